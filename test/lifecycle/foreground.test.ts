// `stigmer local start` in the foreground, end to end: the compiled binary, real Python runners.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  cleanEnv,
  cleanupAll,
  FIXTURE_RUNNER,
  killAtEnd,
  killGroupAtEnd,
  processAlive,
  runCli,
  startCli,
  tempDir,
  waitFor,
  spawnDevDaemon,
  type DaemonProcess,
} from "../helpers.ts";

afterEach(cleanupAll);

// The runner is only started once the daemon answers: a development daemon stands in for stigmer-server.
let daemon: DaemonProcess;
beforeAll(async () => {
  daemon = await spawnDevDaemon();
});
afterAll(() => daemon.stop());

const KEY = "sk-ant-test-0123456789abcdef0123456789";
const FAST = ["--restart-delay", "0", "--min-uptime", "10s"];

function setup(extra: Record<string, string> = {}) {
  const home = tempDir();
  const work = tempDir("stigmer-work-");
  const starts = path.join(work, "starts");
  const env = cleanEnv({ STIGMER_HOME: home, STIGMER_BACKEND_ENDPOINT: daemon.endpoint, TEMPORAL_SERVICE_ADDRESS: daemon.endpoint, ANTHROPIC_API_KEY: KEY, FIXTURE_STARTS: starts, ...extra });
  const startTimes = (): number[] =>
    existsSync(starts)
      ? readFileSync(starts, "utf8").trim().split("\n").filter(Boolean).map((line) => Number(line.split(" ")[0]) / 1e6)
      : [];
  const startPids = (): number[] =>
    existsSync(starts) ? readFileSync(starts, "utf8").trim().split("\n").filter(Boolean).map((line) => Number(line.split(" ")[1])) : [];
  return { home, work, env, startTimes, startPids, runnerLog: path.join(home, "logs", "agent-runner.log") };
}

function start(args: string[], env: Record<string, string>) {
  return startCli(["local", "start", "--runner", FIXTURE_RUNNER, ...args], env);
}

/** Children of `pid` that have exited but were never reaped. */
function zombieChildren(pid: number): number[] {
  const zombies: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z" && Number(fields[1]) === pid) zombies.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return zombies;
}

describe("the runner's environment", () => {
  test("is DESIGN.md's table, in the runner's directory, with the key from the environment", async () => {
    const s = setup({ FIXTURE_MODE: "env", STIGMER_LLM_MODEL: "claude-test" });
    const envOut = path.join(s.work, "env.json");
    s.env.FIXTURE_ENV_OUT = envOut;
    const cli = start(["--endpoint", daemon.endpoint], s.env);
    await waitFor("the runner to write its environment", () => existsSync(envOut) && statSync(envOut).size > 0);
    const seen = JSON.parse(readFileSync(envOut, "utf8"));
    const hash = `sha256:${new Bun.CryptoHasher("sha256").update(KEY).digest("hex")}`;
    expect(seen).toMatchObject({
      MODE: "local",
      SANDBOX_TYPE: "filesystem",
      SANDBOX_ROOT_DIR: path.join(s.home, "workspace"),
      STIGMER_BACKEND_ENDPOINT: daemon.endpoint,
      STIGMER_API_KEY: hash.replace(/^sha256:.*/, seen.STIGMER_API_KEY),
      STIGMER_LLM_PROVIDER: "anthropic",
      ANTHROPIC_API_KEY: hash,
      STIGMER_LLM_API_KEY: hash,
      PYTHONUNBUFFERED: "1",
      TEMPORAL_SERVICE_ADDRESS: daemon.endpoint,
      STIGMER_LLM_MODEL: "claude-test",
      __cwd: path.dirname(FIXTURE_RUNNER),
    });
    expect(seen.STIGMER_API_KEY).toBe(`sha256:${new Bun.CryptoHasher("sha256").update("dummy-local-key").digest("hex")}`);
    expect(statSync(path.join(s.home, "workspace")).mode & 0o777).toBe(0o700);
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    expect(cli.output()).toContain("ANTHROPIC_API_KEY from environment");
    expect(cli.output()).not.toContain(KEY);
  });

  test("no key and no terminal: exit 1 naming both fixes, nothing spawned", () => {
    const s = setup({ ANTHROPIC_API_KEY: "" });
    const result = runCli(["local", "start", "--runner", FIXTURE_RUNNER], s.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("ANTHROPIC_API_KEY is not set");
    expect(result.stderr).toContain("export ANTHROPIC_API_KEY=");
    expect(result.stderr).toContain("stigmer secrets set ANTHROPIC_API_KEY");
    expect(s.startTimes()).toEqual([]);
  });

  test("ollama needs no key", async () => {
    const s = setup({ ANTHROPIC_API_KEY: "", FIXTURE_MODE: "exit", FIXTURE_EXIT: "0" });
    const result = runCli(["local", "start", "--runner", FIXTURE_RUNNER, "--provider", "ollama"], s.env);
    expect(result.code).toBe(0);
    expect(s.startTimes()).toHaveLength(1);
  });
});

describe("restarts", () => {
  test("a crashing runner is restarted with the doubling backoff, then failed with its last exit and stderr", async () => {
    const s = setup({ FIXTURE_MODE: "exit", FIXTURE_EXIT: "3" });
    const args = ["--restart-delay", "200ms", "--max-restart-delay", "1s", "--max-restarts", "3", "--min-uptime", "10s"];
    const cli = start(args, s.env);
    const { code } = await cli.exited;
    expect(code).toBe(1);
    const times = s.startTimes();
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    const announced = [...readFileSync(path.join(s.home, "logs", "supervisor.log"), "utf8").matchAll(/restarting in (\d+)ms/g)].map((m) => Number(m[1]));
    [200, 400, 800].forEach((expected, i) => {
      expect(announced[i]!).toBeGreaterThanOrEqual(expected * 0.8);
      expect(announced[i]!).toBeLessThanOrEqual(expected * 1.2);
      expect(gaps[i]!).toBeGreaterThanOrEqual(announced[i]!);
      // Generous: the gap also holds a Python start-up on a machine that may be busy.
      expect(gaps[i]!).toBeLessThan(expected * 1.2 + 5000);
    });
    const output = cli.output();
    expect(output).toContain("The agent-runner failed: it exited with code 3");
    expect(output).toContain("4 quick runs in a row");
    expect(output).toContain("| fixture: exiting with 3");
    expect(output).toContain(s.runnerLog);
    expect(output).not.toMatch(/^\s+at /m);
    const log = readFileSync(s.runnerLog, "utf8");
    expect(log.match(/fixture: exiting with 3/g)).toHaveLength(4);
  });

  test("the delay is capped by --max-restart-delay", async () => {
    const s = setup({ FIXTURE_MODE: "exit" });
    const cli = start(["--restart-delay", "100ms", "--max-restart-delay", "150ms", "--max-restarts", "4"], s.env);
    expect((await cli.exited).code).toBe(1);
    const times = s.startTimes();
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    expect(gaps).toHaveLength(4);
    for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThanOrEqual(150 * 0.8);
  });

  test("on-failure: a clean exit ends the command with 0 and no restart", async () => {
    const s = setup({ FIXTURE_MODE: "exit", FIXTURE_EXIT: "0" });
    const cli = start(FAST, s.env);
    expect((await cli.exited).code).toBe(0);
    expect(s.startTimes()).toHaveLength(1);
    expect(cli.output()).toContain("not restarting (--restart on-failure)");
  });

  test("always: a clean exit is restarted too", async () => {
    const s = setup({ FIXTURE_MODE: "exit", FIXTURE_EXIT: "0" });
    const cli = start([...FAST, "--restart", "always", "--max-restarts", "2"], s.env);
    expect((await cli.exited).code).toBe(1);
    expect(s.startTimes()).toHaveLength(3);
  });

  test("never: a crash is not restarted", async () => {
    const s = setup({ FIXTURE_MODE: "exit", FIXTURE_EXIT: "5" });
    const cli = start([...FAST, "--restart", "never"], s.env);
    expect((await cli.exited).code).toBe(1);
    expect(s.startTimes()).toHaveLength(1);
    expect(cli.output()).toContain("exited with code 5");
  });

  test("restarts leave no zombie behind and no grandchild of an earlier run", async () => {
    const s = setup({ FIXTURE_MODE: "exit", FIXTURE_EXIT_AFTER: "0.3" });
    const grandchildFile = path.join(s.work, "grandchild");
    s.env.FIXTURE_GRANDCHILD = grandchildFile;
    const cli = start(["--restart-delay", "0", "--max-restarts", "1000", "--stop-timeout", "300ms"], s.env);
    const supervisorPid = cli.child.pid!;
    const grandchildren: number[] = [];
    let zombiesSeen = 0;
    await waitFor("five runs", () => {
      if (existsSync(grandchildFile)) {
        const pid = Number(readFileSync(grandchildFile, "utf8"));
        if (pid && !grandchildren.includes(pid)) grandchildren.push(pid);
      }
      // A zombie may exist for an instant before the exit is reaped; one that stays is a leak.
      zombiesSeen = zombieChildren(supervisorPid).length > 0 ? zombiesSeen + 1 : 0;
      expect(zombiesSeen).toBeLessThan(20);
      return s.startTimes().length >= 5;
    });
    const previousRuns = grandchildren.slice(0, -2);
    expect(previousRuns.length).toBeGreaterThan(0);
    for (const pid of previousRuns) expect(processAlive(pid)).toBe(false);
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    for (const pid of grandchildren) await waitFor(`grandchild ${pid} to be gone`, () => !processAlive(pid), 5000);
  });
});

describe("stopping", () => {
  test("SIGTERM stops the runner's whole group and exits 0", async () => {
    const s = setup();
    const grandchildFile = path.join(s.work, "grandchild");
    s.env.FIXTURE_GRANDCHILD = grandchildFile;
    const cli = start(["--stop-timeout", "500ms"], s.env);
    await waitFor("the grandchild", () => existsSync(grandchildFile) && readFileSync(grandchildFile, "utf8").length > 0);
    const [runnerPid] = s.startPids();
    const grandchild = Number(readFileSync(grandchildFile, "utf8"));
    killGroupAtEnd(runnerPid!);
    expect(processAlive(grandchild)).toBe(true);
    cli.child.kill("SIGTERM");
    const { code } = await cli.exited;
    expect(code).toBe(0);
    expect(processAlive(runnerPid!)).toBe(false);
    expect(processAlive(grandchild)).toBe(false);
    expect(cli.output()).toContain("SIGTERM received: stopping");
  });

  test("Ctrl-C (SIGINT) stops it the same way", async () => {
    const s = setup();
    const cli = start([], s.env);
    await waitFor("the runner", () => cli.output().includes("fixture: ready"));
    const [runnerPid] = s.startPids();
    cli.child.kill("SIGINT");
    expect((await cli.exited).code).toBe(0);
    expect(processAlive(runnerPid!)).toBe(false);
  });

  test("a second Ctrl-C kills at once what is left of the group, once its runner has stopped too", async () => {
    // The runner stops on SIGTERM; its grandchild ignores it.
    const s = setup();
    const grandchildFile = path.join(s.work, "grandchild");
    s.env.FIXTURE_GRANDCHILD = grandchildFile;
    // A grace period far beyond the test's timeout: only the second Ctrl-C can end it in time.
    const cli = start(["--stop-timeout", "300s"], s.env);
    await waitFor("the grandchild", () => existsSync(grandchildFile) && readFileSync(grandchildFile, "utf8").length > 0);
    const grandchild = Number(readFileSync(grandchildFile, "utf8"));
    killAtEnd(grandchild);
    const [runnerPid] = s.startPids();
    cli.child.kill("SIGINT");
    await waitFor("the runner gone", () => !processAlive(runnerPid!));
    await Bun.sleep(300);
    cli.child.kill("SIGINT");
    await cli.exited;
    expect(processAlive(grandchild)).toBe(false);
  });

  test("a runner that ignores SIGTERM is killed after --stop-timeout", async () => {
    const s = setup({ FIXTURE_MODE: "ignore-term" });
    const cli = start(["--stop-timeout", "700ms"], s.env);
    await waitFor("the runner", () => cli.output().includes("fixture: ready"));
    const [runnerPid] = s.startPids();
    killGroupAtEnd(runnerPid!);
    const stoppedAt = performance.now();
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    expect(performance.now() - stoppedAt).toBeGreaterThanOrEqual(700);
    expect(processAlive(runnerPid!)).toBe(false);
    expect(cli.output()).toContain("killed after --stop-timeout");
  });
});

describe("output", () => {
  test("stdout and stderr lines go to the terminal and the log, with keys redacted", async () => {
    const s = setup({ FIXTURE_SAY: `stdout says ${KEY} here`, FIXTURE_SAY_ERR: `stderr says ${KEY}` });
    const cli = start([], s.env);
    await waitFor("the runner", () => cli.output().includes("fixture: ready"));
    cli.child.kill("SIGTERM");
    await cli.exited;
    const log = readFileSync(s.runnerLog, "utf8");
    expect(log).toContain("stdout says [REDACTED] here\n");
    expect(log).toContain("stderr says [REDACTED]\n");
    expect(log).not.toContain(KEY);
    expect(cli.output()).toContain("stdout says [REDACTED] here");
    expect(cli.output()).not.toContain(KEY);
    expect(statSync(s.runnerLog).mode & 0o777).toBe(0o600);
    const supervisorLog = readFileSync(path.join(s.home, "logs", "supervisor.log"), "utf8");
    expect(supervisorLog).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info {2}agent-runner started \(pid \d+\)/m);
  });

  test("a flood of output reaches the log whole, line by line", async () => {
    const s = setup({ FIXTURE_MODE: "flood", FIXTURE_FLOOD_MB: "20" });
    const cli = start(["--log-max-size", "100MiB"], s.env);
    expect((await cli.exited).code).toBe(0);
    const log = readFileSync(s.runnerLog);
    const [readyLine, ...lines] = log.toString("latin1").split("\n");
    expect(readyLine).toBe("Worker ready, polling for tasks...");
    expect(lines).toHaveLength(200_001);
    expect(lines[0]).toStartWith("00000000 ");
    expect(lines[199_999]).toStartWith("00199999 ");
    for (const line of [lines[1], lines[123_456], lines[199_998]]) expect(line).toHaveLength(99);
  });
});

describe("platform resolution", () => {
  test("a .venv inside the runner's directory is preferred over PATH", async () => {
    const s = setup({ FIXTURE_MODE: "exit", FIXTURE_EXIT: "0" });
    const runnerDir = path.join(s.work, "runner");
    mkdirSync(path.join(runnerDir, ".venv", "bin"), { recursive: true });
    writeFileSync(path.join(runnerDir, "main.py"), readFileSync(FIXTURE_RUNNER));
    const realPython = Bun.spawnSync(["python3", "-c", "import sys; print(sys.executable)"]).stdout.toString().trim();
    symlinkSync(realPython, path.join(runnerDir, ".venv", "bin", "python3"));
    const result = runCli(["local", "start", "--runner", runnerDir], s.env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`${runnerDir}/.venv/bin/python3, from venv`);
  });

  test("a Python older than 3.11 is refused with the fix", () => {
    const s = setup();
    const oldPython = path.join(s.work, "python-old");
    writeFileSync(oldPython, "#!/bin/sh\necho 3.9.18\n");
    chmodSync(oldPython, 0o755);
    const result = runCli(["local", "start", "--runner", FIXTURE_RUNNER, "--python", oldPython], s.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is Python 3.9.18; the Agent Runner needs 3.11 or newer");
    expect(result.stderr).toContain("--python");
    expect(s.startTimes()).toEqual([]);
  });

  test("something that is not Python, and a missing one, are refused naming what was tried", () => {
    const s = setup();
    const notPython = runCli(["local", "start", "--runner", FIXTURE_RUNNER, "--python", "/bin/true"], s.env);
    expect(notPython.code).toBe(1);
    expect(notPython.stderr).toContain("/bin/true did not run as Python");
    const missing = runCli(["local", "start", "--runner", FIXTURE_RUNNER, "--python", "/nope/python3"], s.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("- /nope/python3");
  });

  test("an executable runner runs without Python", async () => {
    const s = setup();
    const script = path.join(s.work, "runner.sh");
    writeFileSync(script, `#!/bin/sh\necho "Worker ready, polling for tasks..."\necho "shell runner $MODE" >&2\nexit 0\n`);
    chmodSync(script, 0o755);
    const result = runCli(["local", "start", "--runner", script], s.env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("shell runner local");
  });

  test("a missing runner and a directory without main.py are exit 1 with a fix", () => {
    const s = setup();
    const missing = runCli(["local", "start", "--runner", "/nope/runner"], s.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("/nope/runner does not exist");
    expect(missing.stderr).toContain("STIGMER_AGENT_RUNNER");
    const empty = runCli(["local", "start", "--runner", s.work], s.env);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("has no main.py");
    const none = runCli(["local", "start"], s.env);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("No Agent Runner given");
  });
});
