// The supervisors stigmer is compared with (pm2, supervisord) and the bash loop that is their floor, each able to
// start the fixture runner in a fresh directory and to end everything it started. Used by the `--peers` workloads
// and, for supervisord's idle memory, by the main run's idle workload.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FIXTURE_RUNNER, readStarts, ROOT } from "./fixtures.ts";
import { onCleanUp, signalGroup, signalProcess, sleepSync, startInGroup, trackGroup, until } from "../processes/processes.ts";
import { floorRunnerEnv, stigmerEnv, type Setup } from "./setup.ts";

/** How long a stop command gives a runner between SIGTERM and SIGKILL, under every contender. */
export const STOP_TIMEOUT_S = 2;
const READY_TIMEOUT_MS = 30_000;

export const PM2_BIN = path.join(ROOT, "node_modules", "pm2", "bin", "pm2");
export const FLOOR_NAME = "bash loop (floor)";

/** One supervised runner under one contender. */
export interface Instance {
  /** The supervisor's own process (what memory and CPU are read from). */
  supervisorPid: number;
  logFile: string;
  /** Wall time of its status command (must succeed); null when it has none. */
  status: (() => number) | null;
  /** Runs its stop command; returns its wall time, or null when it has none. */
  stop: () => number | null;
  /** Ends everything it started, whatever state it is in; runs once, also on the way out. */
  teardown: () => void;
}

export interface RunOptions {
  /** FIXTURE_* settings of test/fixtures/runner.py. */
  fixture: Record<string, string>;
  /** Restart the runner whenever it exits, at once. */
  restart: boolean;
  dir: string;
  /**
   * stigmer: `local start` in the foreground rather than `--detach`. The crash loop has always run so: `--detach`
   * used to refuse a runner that did not stay up 0.5 s, and now returns once its ready line is printed, but the
   * foreground keeps the rows comparable with the earlier runs.
   */
  foreground?: boolean;
}

export interface Contender {
  name: string;
  start: (options: RunOptions) => Promise<Instance>;
}

export function readPidFile(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isFinite(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Waits for the runner's first start (its FIXTURE_STARTS line) and returns its pid. */
export async function waitForRunner(starts: string, what: string): Promise<number> {
  return (await until(`${what}: runner start`, READY_TIMEOUT_MS, () => readStarts(starts)[0])).pid;
}

/** A teardown that runs once: from the workload's `finally`, or on the way out if that never came. */
function teardownOnce(fn: () => void): () => void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    release();
    fn();
  };
  const release = onCleanUp(run);
  return run;
}

/**
 * SIGKILL to the runners and grandchildren the fixture recorded, each with its group, so that none outlives the
 * bench. A crash loop records hundreds of pids that are long gone and may have been handed to other processes since,
 * so a pid is only signalled while its environment still names this run's FIXTURE_STARTS file.
 */
function killFixtureProcesses(options: RunOptions): void {
  const marker = `FIXTURE_STARTS=${options.fixture.FIXTURE_STARTS}\0`;
  const grandchild = options.fixture.FIXTURE_GRANDCHILD ? readPidFile(options.fixture.FIXTURE_GRANDCHILD) : null;
  const pids = [...readStarts(options.fixture.FIXTURE_STARTS ?? "").map((start) => start.pid), ...(grandchild ? [grandchild] : [])];
  for (const pid of pids) {
    if (!hasInEnvironment(pid, marker)) continue;
    signalProcess(-pid, "SIGKILL");
    signalProcess(pid, "SIGKILL");
  }
}

function hasInEnvironment(pid: number, entry: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").includes(entry);
  } catch {
    return false;
  }
}

function pm2(setup: Setup): Contender {
  return {
    name: "pm2",
    async start(options) {
      const home = path.join(options.dir, "pm2-home");
      mkdirSync(home, { recursive: true });
      const env = { ...floorRunnerEnv(setup, options.fixture), PM2_HOME: home };
      const run = (args: string[]) => spawnSync(PM2_BIN, args, { env, encoding: "utf8", timeout: 60_000 });
      const teardown = teardownOnce(() => {
        spawnSync(PM2_BIN, ["kill"], { env, stdio: "ignore", timeout: 30_000 });
        killFixtureProcesses(options);
      });
      const ping = run(["ping"]);
      if (ping.status !== 0) throw new Error(`pm2 ping failed: ${ping.stderr}`);
      const supervisorPid = readPidFile(path.join(home, "pm2.pid"));
      if (!supervisorPid) throw new Error("pm2: no daemon pid");
      const logFile = path.join(options.dir, "pm2-out.log");
      // An ecosystem file: min_uptime and max_restarts have no command-line flag.
      const app = {
        name: "runner",
        script: FIXTURE_RUNNER,
        interpreter: setup.python,
        cwd: path.dirname(FIXTURE_RUNNER),
        out_file: logFile,
        error_file: path.join(options.dir, "pm2-err.log"),
        autorestart: options.restart,
        restart_delay: 0,
        min_uptime: 0,
        max_restarts: 100000,
        kill_timeout: STOP_TIMEOUT_S * 1000,
        // pm2 stops with SIGINT by default, which the stubborn runner does not ignore: send what the others send.
        kill_signal: "SIGTERM",
        treekill: true,
      };
      const ecosystem = path.join(options.dir, "pm2.config.json");
      writeFileSync(ecosystem, JSON.stringify({ apps: [app] }, null, 2));
      const started = run(["start", ecosystem]);
      if (started.status !== 0) throw new Error(`pm2 start failed: ${started.stderr}`);
      return {
        supervisorPid,
        logFile,
        status: () => {
          const began = performance.now();
          const result = run(["jlist"]);
          const ms = performance.now() - began;
          if (result.status !== 0 || !result.stdout.includes('"runner"')) throw new Error(`pm2 jlist failed: ${result.stderr}`);
          return ms;
        },
        stop: () => {
          const began = performance.now();
          const result = run(["stop", "runner"]);
          if (result.status !== 0) throw new Error(`pm2 stop failed: ${result.stderr}`);
          return performance.now() - began;
        },
        teardown,
      };
    },
  };
}

export function supervisord(setup: Setup): Contender {
  return {
    name: "supervisord",
    async start(options) {
      const dir = options.dir;
      const conf = path.join(dir, "supervisord.conf");
      const logFile = path.join(dir, "sv-runner.log");
      writeFileSync(
        conf,
        [
          "[unix_http_server]",
          `file=${dir}/supervisor.sock`,
          "[supervisord]",
          `logfile=${dir}/supervisord.log`,
          `pidfile=${dir}/supervisord.pid`,
          `childlogdir=${dir}`,
          "nodaemon=true",
          "[rpcinterface:supervisor]",
          "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
          "[supervisorctl]",
          `serverurl=unix://${dir}/supervisor.sock`,
          "[program:runner]",
          `command=${setup.python} ${FIXTURE_RUNNER}`,
          `directory=${path.dirname(FIXTURE_RUNNER)}`,
          `autorestart=${options.restart ? "true" : "false"}`,
          "startsecs=0",
          "startretries=100000",
          `stopwaitsecs=${STOP_TIMEOUT_S}`,
          "stopasgroup=true",
          "killasgroup=true",
          `stdout_logfile=${logFile}`,
          "stdout_logfile_maxbytes=0",
          `stderr_logfile=${dir}/sv-runner.err`,
          "stderr_logfile_maxbytes=0",
          "",
        ].join("\n"),
      );
      // The runner inherits supervisord's environment, fixture settings included.
      const started = startInGroup("supervisord", ["-c", conf], { env: floorRunnerEnv(setup, options.fixture), cwd: dir });
      const supervisorPid = started.pid;
      const ctl = (args: string[]) => spawnSync("supervisorctl", ["-c", conf, ...args], { env: setup.baseEnv, encoding: "utf8", timeout: 60_000 });
      const teardown = teardownOnce(() => {
        // Through the child object, which knows whether it has exited already (SIGKILLed by a workload, say).
        started.child.kill("SIGTERM");
        sleepSync(300);
        signalGroup(supervisorPid, "SIGKILL");
        killFixtureProcesses(options);
      });
      await until("supervisord's socket", READY_TIMEOUT_MS, () => existsSync(path.join(dir, "supervisor.sock")));
      return {
        supervisorPid,
        logFile,
        status: () => {
          const began = performance.now();
          const result = ctl(["status"]);
          const ms = performance.now() - began;
          // status exits 3 when a program is not RUNNING (the crash loop); here it must just answer.
          if (!/^runner\s/m.test(result.stdout)) throw new Error(`supervisorctl status failed: ${result.stdout}${result.stderr}`);
          return ms;
        },
        stop: () => {
          const began = performance.now();
          const result = ctl(["stop", "runner"]);
          if (result.status !== 0) throw new Error(`supervisorctl stop failed: ${result.stdout}${result.stderr}`);
          return performance.now() - began;
        },
        teardown,
      };
    },
  };
}

function stigmer(setup: Setup): Contender {
  return {
    name: "stigmer",
    async start(options) {
      const home = path.join(options.dir, "stigmer-home");
      mkdirSync(home, { recursive: true });
      const env = stigmerEnv(setup, home, options.fixture);
      const logFile = path.join(home, "logs", "agent-runner.log");
      // No daemon and no Temporal here: --no-wait-daemon skips waiting for both, --temporal off starts none.
      const args = ["local", "start", "--no-wait-daemon", ...setup.temporalOff, "--runner", FIXTURE_RUNNER, "--python", setup.python, "--log-max-size", "1GiB"];
      args.push("--stop-timeout", `${STOP_TIMEOUT_S}s`);
      if (options.restart) args.push("--restart", "always", "--restart-delay", "0", "--min-uptime", "0", "--max-restarts", "100000");
      else args.push("--restart", "never");
      if (options.foreground) {
        const started = startInGroup(setup.stigmer, args, { env });
        const supervisorPid = started.pid;
        const teardown = teardownOnce(() => {
          signalGroup(supervisorPid, "SIGTERM");
          sleepSync(300);
          signalGroup(supervisorPid, "SIGKILL");
          killFixtureProcesses(options);
        });
        return { supervisorPid, logFile, status: null, stop: () => null, teardown };
      }
      args.push("--detach");
      const teardown = teardownOnce(() => {
        spawnSync(setup.stigmer, ["local", "stop", "--timeout", "1s"], { env, stdio: "ignore", timeout: 10_000 });
        killFixtureProcesses(options);
      });
      const started = spawnSync(setup.stigmer, args, { env, encoding: "utf8", timeout: 60_000 });
      if (started.status !== 0) throw new Error(`stigmer local start --detach exited ${started.status}: ${started.stderr}`);
      const statusOnce = () => spawnSync(setup.stigmer, ["local", "status", "--json"], { env, encoding: "utf8", timeout: 60_000 });
      const report = JSON.parse(statusOnce().stdout) as { supervisor: { pid: number } | null };
      if (!report.supervisor) throw new Error("stigmer: no supervisor after start --detach");
      trackGroup(report.supervisor.pid);
      return {
        supervisorPid: report.supervisor.pid,
        logFile,
        status: () => {
          const began = performance.now();
          const result = statusOnce();
          const ms = performance.now() - began;
          if (!result.stdout.includes('"supervisor"')) throw new Error(`stigmer local status --json failed: ${result.stderr}`);
          return ms;
        },
        stop: () => {
          const began = performance.now();
          const result = spawnSync(setup.stigmer, ["local", "stop", "--timeout", `${STOP_TIMEOUT_S}s`], { env, encoding: "utf8", timeout: 60_000 });
          if (result.status !== 0) throw new Error(`stigmer local stop exited ${result.status}: ${result.stderr}`);
          return performance.now() - began;
        },
        teardown,
      };
    },
  };
}

function bashLoop(setup: Setup): Contender {
  return {
    name: FLOOR_NAME,
    async start(options) {
      const logFile = path.join(options.dir, "loop.log");
      const script = options.restart ? 'while true; do "$0" "$1"; done >> "$2"' : '"$0" "$1" >> "$2"; sleep 3600';
      const started = startInGroup("bash", ["-c", script, setup.python, FIXTURE_RUNNER, logFile], {
        env: floorRunnerEnv(setup, options.fixture),
        cwd: path.dirname(FIXTURE_RUNNER),
      });
      const supervisorPid = started.pid;
      const teardown = teardownOnce(() => {
        signalGroup(supervisorPid, "SIGKILL");
        killFixtureProcesses(options);
      });
      return { supervisorPid, logFile, status: null, stop: () => null, teardown };
    },
  };
}

/** pm2, supervisord, stigmer and the bash loop, in the order of the peers table's columns. */
export function allContenders(setup: Setup): Contender[] {
  return [pm2(setup), supervisord(setup), stigmer(setup), bashLoop(setup)];
}

/** Whether supervisord and supervisorctl can be run (Debian package `supervisor`). */
export function hasSupervisord(): boolean {
  return spawnSync("supervisord", ["--version"]).status === 0;
}
