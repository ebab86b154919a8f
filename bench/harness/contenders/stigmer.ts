// Stigmer's background supervisor, as the workloads start, check and stop it.
import { mkdtempSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { FIXTURE_RUNNER } from "./fixtures.ts";
import { isGone } from "../processes/proc.ts";
import {
  exitWithin,
  onCleanUp,
  scratch,
  sleep,
  startInGroup,
  STOP_TIMEOUT_MS,
  timedRun,
  trackGroup,
  TRIAL_TIMEOUT_MS,
  until,
  untrackGroup,
} from "../processes/processes.ts";
import { stigmerEnv, type Setup } from "./setup.ts";

/** The parts of `local status --json` (DESIGN.md, "Status") checked here. */
export interface StatusJson {
  supervisor: { pid: number } | null;
  runner: { state: string; pid: number | null; restarts: number } | null;
  daemon: { endpoint: string; status: string; detail: string | null } | null;
  /** Absent from a binary older than the stack. */
  components?: { name: string; state: string; pid: number | null; restarts: number; ready: boolean; readyAt?: string | null }[];
}

export function parseStatus(stdout: string): StatusJson {
  return JSON.parse(stdout) as StatusJson;
}

/** A background supervisor the bench started, and the runner it supervises. */
export interface Background {
  home: string;
  env: Record<string, string>;
  supervisorPid: number;
  runnerPid: number;
  /** What its daemon watcher must report: `serving` against the dev daemon, `unreachable` against a closed port. */
  daemonStatus: "serving" | "unreachable";
  /** Drops the `local stop` that would otherwise run on the way out. */
  releaseCleanUp: () => void;
}

/** What a status that should show a well runner under this supervisor shows otherwise; null when all is as expected. */
export function runningProblem(report: StatusJson, background: Background): string | null {
  if (report.supervisor?.pid !== background.supervisorPid) return `supervisor ${report.supervisor?.pid}, expected ${background.supervisorPid}`;
  if (report.runner?.state !== "running" || report.runner.pid !== background.runnerPid || report.runner.restarts !== 0) {
    return `runner ${JSON.stringify(report.runner)}, expected pid ${background.runnerPid} running, never restarted`;
  }
  if (report.daemon?.status !== background.daemonStatus) return `daemon ${JSON.stringify(report.daemon)}, expected ${background.daemonStatus}`;
  if (report.components) {
    // --temporal off and no --server: the runner is the whole stack, and it has printed its ready line.
    const names = report.components.map((component) => component.name).join(", ");
    const runner = report.components.find((component) => component.name === "agent-runner");
    if (names !== "agent-runner" || !runner?.ready || runner.pid !== background.runnerPid) {
      return `components ${JSON.stringify(report.components)}, expected the agent-runner only, pid ${background.runnerPid}, ready`;
    }
  }
  return null;
}

/** `local status --json` in `env`, which must exit 0 and pass `check`. */
export function statusNow(setup: Setup, env: Record<string, string>, check: (report: StatusJson) => string | null): StatusJson {
  let report: StatusJson | undefined;
  timedRun(setup.stigmer, ["local", "status", "--json"], env, 0, (stdout) => check((report = parseStatus(stdout))));
  return report!;
}

export interface BackgroundOptions {
  /** The daemon's and Temporal's address: the serving dev daemon's, or a closed port's. */
  endpoint: string;
  /**
   * true: the daemon serves, and checking it and Temporal before the runner starts is part of what start does.
   * false: `--no-wait-daemon`, for an endpoint where nothing listens.
   */
  waitDaemon: boolean;
  /** Default: test/fixtures/runner.py, quiet (it prints its ready line and waits). */
  runner?: string;
  /** Flags beyond the usual ones (`--restart never`, …). */
  extraArgs?: string[];
  /** Variables for the runner (FIXTURE_*, BENCH_*). */
  runnerEnv?: Record<string, string>;
}

/**
 * `local start --detach` in a fresh STIGMER_HOME, timed from spawn to its exit (it returns once the runner has
 * printed its ready line, which every fixture does at its start). The supervisor and the runner it leaves behind
 * are stopped on the way out if `stopBackground` does not get to do it.
 */
export async function startBackground(setup: Setup, options: BackgroundOptions): Promise<{ background: Background; ms: number }> {
  const home = mkdtempSync(path.join(scratch, "home-"));
  // The dev daemon answers for Temporal too: `--temporal off` still waits for it there.
  const env = { ...stigmerEnv(setup, home, options.runnerEnv), TEMPORAL_SERVICE_ADDRESS: options.endpoint };
  const releaseCleanUp = onCleanUp(() => {
    spawnSync(setup.stigmer, ["local", "stop", "--timeout", "1s"], { env, stdio: "ignore", timeout: 10_000 });
  });
  const args = ["local", "start", "--detach", "--runner", options.runner ?? FIXTURE_RUNNER, "--python", setup.python, ...setup.temporalOff];
  args.push("--endpoint", options.endpoint, ...(options.waitDaemon ? [] : ["--no-wait-daemon"]), ...(options.extraArgs ?? []));
  const began = performance.now();
  const started = startInGroup(setup.stigmer, args, { env });
  const exit = await exitWithin(started, TRIAL_TIMEOUT_MS, "stigmer local start --detach");
  const ms = performance.now() - began;
  if (exit.code !== 0) throw new Error(`stigmer local start --detach exited with ${exit.code ?? exit.signal}, not 0`);
  let report = statusNow(setup, env, (report) => (report.supervisor && report.runner?.pid ? null : "no supervisor or runner pid"));
  const background: Background = {
    home,
    env,
    supervisorPid: report.supervisor!.pid,
    runnerPid: report.runner!.pid!,
    daemonStatus: options.waitDaemon ? "serving" : "unreachable",
    releaseCleanUp,
  };
  // Both lead process groups of their own; killed by group if `local stop` does not end them.
  trackGroup(background.supervisorPid);
  trackGroup(background.runnerPid);
  // `start --detach` returns at the runner's ready line, often before the supervisor's daemon watcher has finished
  // its first check; `status` then checks the daemon itself, at --endpoint / STIGMER_BACKEND_ENDPOINT /
  // localhost:50051 rather than at the supervisor's endpoint. Ask again until the supervisor's own answer is in.
  const deadline = Date.now() + TRIAL_TIMEOUT_MS;
  while (report.daemon?.endpoint !== options.endpoint && Date.now() < deadline) {
    await sleep(50);
    report = statusNow(setup, env, () => null);
  }
  const problem = runningProblem(report, background);
  if (problem) throw new Error(`after stigmer local start --detach: ${problem}`);
  return { background, ms };
}

/** `local stop`, which must exit 0 and leave neither the supervisor nor the runner behind. */
export async function stopBackground(setup: Setup, background: Background): Promise<void> {
  const stop = spawnSync(setup.stigmer, ["local", "stop"], { env: background.env, encoding: "utf8", timeout: TRIAL_TIMEOUT_MS });
  if (stop.status !== 0) throw new Error(`stigmer local stop exited with ${stop.status ?? stop.signal}: ${stop.stderr}`);
  await until("after stigmer local stop, the supervisor and the runner gone", STOP_TIMEOUT_MS, () => isGone(background.supervisorPid) && isGone(background.runnerPid));
  untrackGroup(background.supervisorPid);
  untrackGroup(background.runnerPid);
  background.releaseCleanUp();
  rmSync(background.home, { recursive: true, force: true });
}
