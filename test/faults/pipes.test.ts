// Hardening (issue 14), on the compiled binary: a stdout whose reader went away, `logs -f`
// under a flood of rotations, `status` of a failed stack, the errno of an unreachable network.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  cleanEnv,
  cleanupAll,
  FIXTURE_RUNNER,
  killGroupAtEnd,
  processAlive,
  runCli,
  spawnDevDaemon,
  startCli,
  stigmerBin,
  stopSupervisorAtEnd,
  tempDir,
  waitFor,
  type DaemonProcess,
} from "../helpers.ts";

let daemon: DaemonProcess;
beforeAll(async () => {
  daemon = await spawnDevDaemon();
});
afterAll(() => daemon.stop());

afterEach(cleanupAll);

const KEY = "sk-ant-pipes-test-0123456789abcdef";

function setup(extra: Record<string, string> = {}) {
  const home = tempDir();
  stopSupervisorAtEnd(home);
  const starts = path.join(tempDir("stigmer-work-"), "starts");
  const env = cleanEnv({
    STIGMER_HOME: home,
    STIGMER_BACKEND_ENDPOINT: daemon.endpoint,
    TEMPORAL_SERVICE_ADDRESS: daemon.endpoint,
    ANTHROPIC_API_KEY: KEY,
    FIXTURE_STARTS: starts,
    ...extra,
  });
  const runnerPids = () => (existsSync(starts) ? readFileSync(starts, "utf8").trim().split("\n").filter(Boolean).map((line) => Number(line.split(" ")[1])) : []);
  return { home, env, runnerPids, runnerLog: path.join(home, "logs", "agent-runner.log"), cli: (...args: string[]) => runCli(args, env) };
}

interface PipeResult {
  /** The exit code of stigmer itself, the first command of the pipe. */
  code: number;
  /** What the reader at the end of the pipe printed. */
  read: string;
  stderr: string;
}

/**
 * `stigmer ARGS | READER` through a real pipe (bash): stigmer's stderr is kept apart, and its
 * exit code is the pipe's first. `before` runs first in the same subshell, e.g. a pause so that
 * the reader has surely gone before stigmer writes.
 */
function throughPipe(args: string[], reader: string, env: Record<string, string>, before = ""): PipeResult {
  const dir = tempDir("stigmer-pipe-");
  const stderrFile = path.join(dir, "stderr");
  const quoted = [stigmerBin(), ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
  const script = `{ ${before} exec ${quoted} 2>'${stderrFile}'; } | ${reader}; exit "\${PIPESTATUS[0]}"`;
  const result = spawnSync("bash", ["-c", script], { env, encoding: "utf8", timeout: 60_000 });
  return { code: result.status ?? -1, read: result.stdout, stderr: existsSync(stderrFile) ? readFileSync(stderrFile, "utf8") : "" };
}

/** Bun's report of an uncaught error, which a closed stdout used to cause. */
const CRASH = /EPIPE|broken pipe|Bun v\d|^\s+at /m;

describe("a stdout whose reader went away", () => {
  test("logs | head -1: the first line, then a quiet exit 0", () => {
    const s = setup();
    mkdirSync(path.dirname(s.runnerLog), { recursive: true });
    // Far more than a pipe holds (64 KiB), so that stigmer is still writing when head goes.
    writeFileSync(s.runnerLog, Array.from({ length: 200_000 }, (_, i) => `line ${i}`).join("\n") + "\n");
    const result = throughPipe(["local", "logs", "-n", "200000"], "head -1", s.env);
    expect(result.read).toBe("line 0\n");
    expect(result.stderr).not.toMatch(CRASH);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  test("version | head -0, and status | head -0 with nothing running (its own exit code, 3)", () => {
    const s = setup();
    // head -0 reads nothing and exits at once; the pause makes sure it has before stigmer writes.
    const version = throughPipe(["version"], "head -0", s.env, "sleep 0.3;");
    expect(version.stderr).toBe("");
    expect(version.code).toBe(0);
    const status = throughPipe(["local", "status"], "head -0", s.env, "sleep 0.3;");
    expect(status.stderr).not.toMatch(CRASH);
    expect(status.code).toBe(3);
  });

  test("another failure of stdout (a full disk) is one error and exit 1", () => {
    const s = setup();
    const result = spawnSync("sh", ["-c", `exec '${stigmerBin()}' version > /dev/full`], { env: s.env, encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("✖ Cannot write the output: ENOSPC");
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  test("logs -f | head -1: ends quietly, exit 0, once the next line finds the reader gone", async () => {
    const s = setup();
    mkdirSync(path.dirname(s.runnerLog), { recursive: true });
    writeFileSync(s.runnerLog, "first\n");
    const dir = tempDir("stigmer-pipe-");
    const script = `'${stigmerBin()}' local logs -f 2>'${dir}/stderr' | head -1 > '${dir}/read'; echo "\${PIPESTATUS[0]}" > '${dir}/code'`;
    const pipe = spawn("bash", ["-c", script], { env: s.env, stdio: "ignore", detached: true });
    killGroupAtEnd(pipe.pid!);
    await waitFor("head to print the first line and go", () => existsSync(`${dir}/read`) && readFileSync(`${dir}/read`, "utf8") === "first\n");
    // Until something is written, nothing tells logs -f that its reader has gone (as with tail -f).
    const appender = setInterval(() => appendFileSync(s.runnerLog, "more\n"), 50);
    try {
      await waitFor("logs -f to end", () => existsSync(`${dir}/code`), 10_000);
    } finally {
      clearInterval(appender);
    }
    expect(readFileSync(`${dir}/code`, "utf8").trim()).toBe("0");
    expect(readFileSync(`${dir}/stderr`, "utf8")).toBe("");
  });

  test("start | head -1 in the foreground: a stop, the runner group gets SIGTERM and its grace, nothing is left", async () => {
    const s = setup({ FIXTURE_MODE: "count", FIXTURE_COUNT_EVERY: "0.05" });
    const result = throughPipe(["local", "start", "--runner", FIXTURE_RUNNER, "--stop-timeout", "5s"], "head -1", s.env);
    expect(result.read).toBe("Worker ready, polling for tasks...\n");
    expect(result.stderr).not.toMatch(CRASH);
    expect(result.code).toBe(0);
    const [runner] = s.runnerPids();
    expect(runner).toBeGreaterThan(0);
    killGroupAtEnd(runner!);
    expect(processAlive(runner!)).toBe(false);
    const supervisorLog = readFileSync(path.join(s.home, "logs", "supervisor.log"), "utf8");
    expect(supervisorLog).toContain("stdout closed (its reader went away): stopping");
    // Stopped by SIGTERM within the grace (the fixture exits 0 on it), not killed after --stop-timeout.
    expect(supervisorLog).toContain("agent-runner stopped\n");
    expect(supervisorLog).not.toContain("killed after --stop-timeout");
    expect(readdirSync(path.join(s.home, "run"))).toEqual([]);
  });

  test("start 2>&1 | head -1: stderr gone too, the same clean stop", async () => {
    const s = setup({ FIXTURE_MODE: "count", FIXTURE_COUNT_EVERY: "0.05" });
    const dir = tempDir("stigmer-pipe-");
    const script = `'${stigmerBin()}' local start --runner '${FIXTURE_RUNNER}' 2>&1 | head -1 > '${dir}/read'; exit "\${PIPESTATUS[0]}"`;
    const result = spawnSync("bash", ["-c", script], { env: s.env, encoding: "utf8", timeout: 60_000 });
    expect(result.status).toBe(0);
    expect(readFileSync(`${dir}/read`, "utf8")).toStartWith("▸ runner");
    const [runner] = s.runnerPids();
    killGroupAtEnd(runner!);
    expect(processAlive(runner!)).toBe(false);
    expect(readFileSync(path.join(s.home, "logs", "supervisor.log"), "utf8")).toContain("agent-runner stopped\n");
    expect(readdirSync(path.join(s.home, "run"))).toEqual([]);
  });
});

describe("logs", () => {
  test("-f under a flood with 64 KiB rotation: every line, in order, none lost", async () => {
    // ~15-20k lines a second (66 bytes each): a rotation every ~60 ms, several between two looks of logs -f.
    const s = setup({ FIXTURE_MODE: "count", FIXTURE_COUNT_EVERY: "0" });
    expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER, "--log-max-size", "64KiB", "--log-files", "20").code).toBe(0);
    const follower = startCli(["local", "logs", "-f", "-n", "0"], s.env);
    await Bun.sleep(4000);
    follower.child.kill("SIGINT");
    expect((await follower.exited).code).toBe(0);
    // Stopped mid-line, maybe: the whole lines.
    const output = follower.output();
    const lines = output.slice(0, output.lastIndexOf("\n")).split("\n");
    const numbers = lines.filter((line) => line.startsWith("count ")).map((line) => Number(line.split(" ")[1]));
    expect(numbers.length).toBe(lines.length);
    // Enough to have crossed many rotations (~1000 lines a file).
    expect(numbers.length).toBeGreaterThan(10_000);
    const gaps = numbers.filter((n, i) => i > 0 && n !== numbers[i - 1]! + 1).length;
    expect(gaps).toBe(0);
  });

  test("no log yet: a note on stderr, nothing on stdout, exit 0", () => {
    const s = setup();
    const result = s.cli("local", "logs");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`No log at ${s.runnerLog} yet: nothing to print.`);
  });

  test("-f with no log yet waits for it, then prints it from its start", async () => {
    const s = setup();
    const follower = startCli(["local", "logs", "-f"], s.env);
    await waitFor("the note", () => follower.output().includes("waiting for it"));
    mkdirSync(path.dirname(s.runnerLog), { recursive: true });
    writeFileSync(s.runnerLog, "one\ntwo\n");
    await waitFor("the lines", () => follower.output().includes("one\ntwo\n"));
    follower.child.kill("SIGINT");
    expect((await follower.exited).code).toBe(0);
  });
});

describe("status", () => {
  test("a stack whose runner is failed: exit 1, and --json still prints the report", async () => {
    // Ready at once, then exit 3 after 3 s: after `start -d` has returned, even on a slow machine.
    const s = setup({ FIXTURE_MODE: "exit", FIXTURE_EXIT: "3", FIXTURE_EXIT_AFTER: "3" });
    const started = s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER, "--max-restarts", "0");
    expect(started.stderr).toContain("Running in the background");
    const report = await waitFor("the runner to fail", () => {
      const result = s.cli("local", "status", "--json");
      const parsed = JSON.parse(result.stdout);
      return parsed.runner.state === "failed" ? { code: result.code, parsed } : null;
    });
    expect(report.code).toBe(1);
    expect(report.parsed.supervisor.pid).toBeGreaterThan(0);
    expect(report.parsed.components.find((member: { name: string }) => member.name === "agent-runner")).toMatchObject({ state: "failed", lastExitCode: 3 });
    const table = s.cli("local", "status");
    expect(table.code).toBe(1);
    expect(table.stdout).toContain("failed");
  });
});

describe("the daemon's address unreachable (in a network namespace of our own: nothing leaves it)", () => {
  // `unshare -n` makes an empty namespace (loopback only), gone with the process: nothing is sent
  // anywhere. Documentation addresses get routes there: 198.51.100.0/24 "unreachable", 192.0.2.0/24
  // "prohibit"; any other address has no route at all. Needs root (CI runs as root); skipped without.
  const canUnshare = spawnSync("unshare", ["-n", "true"]).status === 0;
  test.skipIf(!canUnshare)("no route is 'network unreachable', an unreachable route 'host unreachable', a prohibited one 'not permitted', a closed port 'connection refused'", () => {
    const env = cleanEnv({ STIGMER_HOME: tempDir() });
    const script = [
      "ip link set lo up",
      "ip route add unreachable 198.51.100.0/24",
      "ip route add prohibit 192.0.2.0/24",
      ...["198.51.100.7:50051", "203.0.113.7:50051", "192.0.2.7:50051", "127.0.0.1:1"].map((endpoint) => `'${stigmerBin()}' local status --json --endpoint ${endpoint}; echo`),
    ].join("; ");
    const result = spawnSync("unshare", ["-n", "sh", "-c", script], { env, encoding: "utf8", timeout: 30_000 });
    const reports = result.stdout
      .split(/\n(?=\{)/)
      .filter((text) => text.trim())
      .map((text) => JSON.parse(text));
    expect(reports.map((report) => report.daemon.detail)).toEqual(["host unreachable", "network unreachable", "connection not permitted", "connection refused"]);
  });
});
