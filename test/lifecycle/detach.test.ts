// `start --detach` and the commands that talk to the background supervisor, end to end.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanEnv, cleanupAll, stopSupervisorAtEnd, FIXTURE_RUNNER, killAtEnd, killGroupAtEnd, processAlive, runCli, startCli, tempDir, waitFor, spawnDevDaemon, type DaemonProcess } from "../helpers.ts";
import { DEFAULT_PIPE_CAPACITY, PIPE_CAPACITY } from "../../src/platform/process/pipe-capacity.ts";
import { BUN_SUPERVISOR_SETTINGS } from "../../src/platform/process/self.ts";

afterEach(cleanupAll);

// The runner is only started once the daemon answers: a development daemon stands in for stigmer-server.
let daemon: DaemonProcess;
beforeAll(async () => {
  daemon = await spawnDevDaemon();
});
afterAll(() => daemon.stop());

const KEY = "sk-ant-detach-test-abcdefghijklmnop";

function setup(extra: Record<string, string> = {}) {
  const home = tempDir();
  stopSupervisorAtEnd(home);
  const work = tempDir("stigmer-work-");
  const env = cleanEnv({ STIGMER_HOME: home, STIGMER_BACKEND_ENDPOINT: daemon.endpoint, TEMPORAL_SERVICE_ADDRESS: daemon.endpoint, ANTHROPIC_API_KEY: KEY, ...extra });
  const cli = (...args: string[]) => runCli(args, env);
  const status = () => {
    const result = cli("local", "status", "--json");
    return { code: result.code, report: JSON.parse(result.stdout) };
  };
  const state = () => JSON.parse(readFileSync(path.join(home, "run", "supervisor.json"), "utf8"));
  return { home, work, env, cli, status, state };
}

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : entry.isFile() ? [full] : [];
  });
}

describe("start --detach and its commands", () => {
  test("the whole life: start, crash, restart, refuse a second, stop, stop again", async () => {
    const s = setup();
    const started = s.cli("local", "start", "--detach", "--runner", FIXTURE_RUNNER, "--restart-delay", "100ms");
    expect(started.code).toBe(0);
    expect(started.stderr).toContain("Running in the background");

    const first = s.status();
    expect(first.code).toBe(0);
    expect(first.report.supervisor.pid).toBeGreaterThan(0);
    expect(first.report.runner).toMatchObject({ state: "running", restarts: 0, lastExitCode: null });
    expect(first.report.logs.runner).toBe(path.join(s.home, "logs", "agent-runner.log"));
    const supervisorPid = first.report.supervisor.pid;
    const firstRunner = first.report.runner.pid;
    killGroupAtEnd(firstRunner);

    process.kill(firstRunner, "SIGKILL");
    const afterCrash = await waitFor("the restart after SIGKILL", () => {
      const now = s.status().report;
      return now.runner.state === "running" && now.runner.pid !== firstRunner ? now : null;
    });
    expect(afterCrash.runner).toMatchObject({ restarts: 1, lastSignal: "SIGKILL" });
    killGroupAtEnd(afterCrash.runner.pid);

    const restarted = s.cli("local", "restart");
    expect(restarted.code).toBe(0);
    const afterRestart = s.status().report;
    expect(afterRestart.runner.pid).not.toBe(afterCrash.runner.pid);
    expect(afterRestart.runner.restarts).toBe(2);
    expect(afterRestart.supervisor.pid).toBe(supervisorPid);
    killGroupAtEnd(afterRestart.runner.pid);

    const second = s.cli("local", "start", "--detach", "--runner", FIXTURE_RUNNER);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`A supervisor is already running (pid ${supervisorPid})`);
    expect(second.stderr).toContain("runner");

    const stopped = s.cli("local", "stop");
    expect(stopped.code).toBe(0);
    expect(processAlive(supervisorPid)).toBe(false);
    expect(processAlive(afterRestart.runner.pid)).toBe(false);
    const after = s.status();
    expect(after.code).toBe(3);
    expect(after.report.supervisor).toBeNull();
    expect(existsSync(path.join(s.home, "run", "supervisor.json"))).toBe(false);
    expect(s.cli("local", "stop").code).toBe(0);
    expect(s.cli("local", "restart").code).toBe(3);
  });

  test("a runner that ignores SIGTERM, with a grandchild: stop returns within --stop-timeout + 2s and both are gone", async () => {
    const s = setup({ FIXTURE_MODE: "ignore-term" });
    const grandchildFile = path.join(s.work, "grandchild");
    s.env.FIXTURE_GRANDCHILD = grandchildFile;
    expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER, "--stop-timeout", "1s").code).toBe(0);
    await waitFor("the grandchild", () => existsSync(grandchildFile) && readFileSync(grandchildFile, "utf8").length > 0);
    const runner = s.status().report.runner.pid;
    const grandchild = Number(readFileSync(grandchildFile, "utf8"));
    killGroupAtEnd(runner);
    const began = performance.now();
    expect(s.cli("local", "stop").code).toBe(0);
    expect(performance.now() - began).toBeLessThan(1000 + 2000);
    expect(processAlive(runner)).toBe(false);
    expect(processAlive(grandchild)).toBe(false);
  });

  test("a runner that exits leaving a grandchild that ignores SIGTERM: stopping, its exit known, until the group is gone; a stop then ends the grandchild too", async () => {
    const s = setup({ FIXTURE_MODE: "exit", FIXTURE_EXIT_AFTER: "1" });
    const grandchildFile = path.join(s.work, "grandchild");
    s.env.FIXTURE_GRANDCHILD = grandchildFile;
    expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER, "--stop-timeout", "5s").code).toBe(0);
    await waitFor("the grandchild", () => existsSync(grandchildFile) && readFileSync(grandchildFile, "utf8").length > 0);
    const grandchild = Number(readFileSync(grandchildFile, "utf8"));
    killAtEnd(grandchild);
    // Its group outlives the runner by the grace period: the run is not over.
    const lingering = await waitFor("the runner stopping", () => {
      const runner = s.status().report.runner;
      return runner.state === "stopping" ? runner : null;
    });
    expect(lingering).toMatchObject({ pid: null, lastExitCode: 1 });
    const stop = s.cli("local", "stop");
    expect(stop.code).toBe(0);
    expect(stop.stdout + stop.stderr).not.toContain("killed");
    expect(processAlive(grandchild)).toBe(false);
  });

  test("a SIGKILLed supervisor takes its runner with it, and the next start cleans up", async () => {
    const s = setup();
    expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER).code).toBe(0);
    const { supervisor, groups } = s.state();
    killGroupAtEnd(groups["agent-runner"].pid);
    process.kill(supervisor.pid, "SIGKILL");
    await waitFor("the orphaned runner to be ended", () => !processAlive(groups["agent-runner"].pid), 10_000);
    const again = s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`cleaned up after a supervisor that died (pid ${supervisor.pid})`);
    const report = s.status().report;
    expect(report.supervisor.pid).not.toBe(supervisor.pid);
    expect(report.runner.state).toBe("running");
    killGroupAtEnd(report.runner.pid);
  });

  test("a state file naming a pid that another program now uses is cleaned up without signalling it", async () => {
    const s = setup();
    const stranger = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
    killGroupAtEnd(stranger.pid!);
    mkdirSync(path.join(s.home, "run"), { recursive: true, mode: 0o700 });
    writeFileSync(
      path.join(s.home, "run", "supervisor.json"),
      JSON.stringify({
        version: "0.0.1",
        startedAt: new Date().toISOString(),
        supervisor: { pid: stranger.pid, startToken: "1" },
        controlSocket: path.join(s.home, "run", "control.sock"),
        groups: { runner: { pid: stranger.pid, startToken: "1" } },
      }),
      { mode: 0o600 },
    );
    const status = s.cli("local", "status");
    expect(status.code).toBe(3);
    expect(status.stderr).toContain("cleaned up after a supervisor that died");
    expect(status.stderr).not.toContain("killed");
    expect(processAlive(stranger.pid!)).toBe(true);
    expect(existsSync(path.join(s.home, "run", "supervisor.json"))).toBe(false);
    expect(s.cli("local", "stop").code).toBe(0);
    expect(processAlive(stranger.pid!)).toBe(true);
  });

  test("a runner that dies at once: start --detach exits 1 with its stderr, and leaves nothing running", () => {
    const s = setup();
    const runner = path.join(s.work, "dies.sh");
    writeFileSync(runner, "#!/bin/sh\necho 'cannot import agent' >&2\nexit 4\n");
    chmodSync(runner, 0o755);
    const result = s.cli("local", "start", "-d", "--runner", runner);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("The agent-runner exited with code 4");
    expect(result.stderr).toContain("| cannot import agent");
    expect(s.status().code).toBe(3);
  });

  test("no key reaches a file under STIGMER_HOME, the supervisor's command line or its environment", async () => {
    const s = setup({ FIXTURE_SAY_KEY: "1" });
    expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER).code).toBe(0);
    await waitFor("the runner's output", () => readFileSync(path.join(s.home, "logs", "agent-runner.log"), "utf8").includes("fixture: ready"));
    const pid = s.status().report.supervisor.pid;
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).not.toContain(KEY);
    expect(readFileSync(`/proc/${pid}/environ`, "utf8")).not.toContain(KEY);
    for (const file of filesUnder(s.home)) expect(readFileSync(file, "utf8")).not.toContain(KEY);
    expect(readFileSync(path.join(s.home, "logs", "agent-runner.log"), "utf8")).toContain("the key is [REDACTED]");
    expect(s.cli("local", "status", "--json").stdout).not.toContain(KEY);
    for (const file of filesUnder(s.home)) expect(statSync(file).mode & 0o777).toBe(0o600);
    for (const dir of ["", "run", "logs", "workspace"]) expect(statSync(path.join(s.home, dir)).mode & 0o777).toBe(0o700);
  });

  test("the background supervisor runs with its engine settings; the runner's environment is the user's, as in the foreground", async () => {
    const s = setup({ FIXTURE_MODE: "env", BUN_OPTIONS: "--user-choice" });
    const envOut = path.join(s.work, "env.json");
    s.env.FIXTURE_ENV_OUT = envOut;
    expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER).code).toBe(0);
    await waitFor("the runner to write its environment", () => existsSync(envOut) && statSync(envOut).size > 0);
    const supervisorEnv = readFileSync(`/proc/${s.status().report.supervisor.pid}/environ`, "utf8").split("\0");
    // The settings as measured (src/platform/process/self.ts): a change to them is a change to this test too.
    expect(BUN_SUPERVISOR_SETTINGS).toEqual({
      BUN_JSC_useDFGJIT: "0",
      BUN_JSC_useBaselineJIT: "0",
      BUN_JSC_useRegExpJIT: "0",
      BUN_OPTIONS: "--smol",
      BUN_GC_TIMER_DISABLE: "1",
    });
    for (const [name, value] of Object.entries(BUN_SUPERVISOR_SETTINGS)) expect(supervisorEnv).toContain(`${name}=${value}`);
    const runnerEnv = JSON.parse(readFileSync(envOut, "utf8"));
    for (const name of Object.keys(BUN_SUPERVISOR_SETTINGS)) if (name !== "BUN_OPTIONS") expect(runnerEnv[name]).toBeUndefined();
    expect(runnerEnv.BUN_OPTIONS).toBe("--user-choice");
  });
});

/**
 * PATH as it is, but without `program`: each directory that holds one is replaced by a directory of links to
 * everything else in it.
 */
function pathWithout(program: string): string {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => {
      if (!existsSync(path.join(dir, program))) return dir;
      const shadow = tempDir("stigmer-path-");
      for (const name of readdirSync(dir)) if (name !== program) symlinkSync(path.join(dir, name), path.join(shadow, name));
      return shadow;
    })
    .join(path.delimiter);
}

describe("output pipes", () => {
  /** The pipe sizes the runner reports in agent-runner.log (FIXTURE_MODE pipe-size), stdout's and stderr's. */
  const pipeSizes = (home: string) =>
    [...readFileSync(path.join(home, "logs", "agent-runner.log"), "utf8").matchAll(/^pipe-size (\d+) (\d+)$/gm)].map((match) => [Number(match[1]), Number(match[2])]);
  const floodLines = (home: string) => readFileSync(path.join(home, "logs", "agent-runner.log"), "utf8").split("\n").filter((line) => line === "y".repeat(999)).length;
  const FLOOD = { FIXTURE_MODE: "pipe-size", FIXTURE_FLOOD_MB: "20" };

  test.if(process.platform === "linux")("a runner that floods its output gets its pipes raised to 1 MiB (by perl); a quiet one keeps 64 KiB", async () => {
    const flooding = setup(FLOOD);
    expect(flooding.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER, "--log-max-size", "1GiB").code).toBe(0);
    // The raise runs in the background: a report written right after the flood may still see 64 KiB.
    await waitFor("a report of both pipes at 1 MiB", () => pipeSizes(flooding.home).some(([out, err]) => out === PIPE_CAPACITY && err === PIPE_CAPACITY));
    for (const size of pipeSizes(flooding.home).flat()) expect([DEFAULT_PIPE_CAPACITY, PIPE_CAPACITY]).toContain(size);
    expect(pipeSizes(flooding.home).at(-1)).toEqual([PIPE_CAPACITY, PIPE_CAPACITY]);
    expect(floodLines(flooding.home)).toBe(20_000);
    expect(flooding.cli("local", "stop").code).toBe(0);

    const quiet = setup({ FIXTURE_MODE: "pipe-size" });
    expect(quiet.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER).code).toBe(0);
    await waitFor("ten of the runner's lines", () => pipeSizes(quiet.home).length >= 10);
    expect(pipeSizes(quiet.home).flat().every((size) => size === DEFAULT_PIPE_CAPACITY)).toBe(true);
    expect(quiet.cli("local", "stop").code).toBe(0);
  });

  test.if(process.platform === "linux")("without perl a flood's pipes keep their 64 KiB, and every line still reaches the log", async () => {
    const s = setup({ ...FLOOD, PATH: pathWithout("perl") });
    expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER, "--log-max-size", "1GiB").code).toBe(0);
    await waitFor("the flood's end: the runner's pipe sizes", () => pipeSizes(s.home).length >= 3);
    expect(pipeSizes(s.home).flat().every((size) => size === DEFAULT_PIPE_CAPACITY)).toBe(true);
    expect(floodLines(s.home)).toBe(20_000);
    expect(s.status().code).toBe(0);
    expect(s.cli("local", "stop").code).toBe(0);
  });
});

describe("logs", () => {
  test("-n prints the tail; -f follows across rotation without losing a line", async () => {
    const s = setup({ FIXTURE_MODE: "count", FIXTURE_COUNT_EVERY: "0.005" });
    expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER, "--log-max-size", "16KiB", "--log-files", "3").code).toBe(0);
    const logFile = path.join(s.home, "logs", "agent-runner.log");
    await waitFor("a few lines", () => readFileSync(logFile, "utf8").split("\n").length > 20);
    const tail = s.cli("local", "logs", "-n", "3");
    expect(tail.code).toBe(0);
    expect(tail.stdout.trim().split("\n")).toHaveLength(3);
    expect(tail.stdout).toMatch(/^count \d{8} /);

    const follower = startCli(["local", "logs", "-f", "-n", "1"], s.env);
    const rotations = () => (existsSync(`${logFile}.2`) ? 2 : existsSync(`${logFile}.1`) ? 1 : 0);
    await waitFor("two rotations", () => rotations() === 2 && follower.output().split("\n").length > 710, 30_000);
    follower.child.kill("SIGINT");
    expect((await follower.exited).code).toBe(0);
    const numbers = follower.output().trim().split("\n").map((line) => Number(line.split(" ")[1]));
    expect(numbers.length).toBeGreaterThan(700);
    numbers.forEach((n, i) => i > 0 && expect(n).toBe(numbers[i - 1]! + 1));
    expect(existsSync(`${logFile}.3`)).toBe(false);
    expect(statSync(logFile).size).toBeLessThanOrEqual(16 * 1024);
  });

  test("--supervisor prints the supervisor's timestamped lines; no log yet is a note, exit 0", () => {
    const s = setup();
    const missing = s.cli("local", "logs");
    expect(missing.code).toBe(0);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain(`No log at ${path.join(s.home, "logs", "agent-runner.log")} yet: nothing to print.`);
    expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER).code).toBe(0);
    const result = s.cli("local", "logs", "--supervisor");
    expect(result.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z info {2}background supervisor \d+ started/m);
  });
});
