// The runner's first statement: the wall time from spawning `stigmer local start` in the foreground until the
// runner's first Python statement runs. Stigmer gets `--temporal off`, `--endpoint` and TEMPORAL_SERVICE_ADDRESS at
// the serving dev daemon (checking it and Temporal is part of start, so no `--no-wait-daemon`), `--runner
// bench/fixtures/first-statement --python <python>`, a fake key and no keyring. The fixture's first statement takes
// time.time_ns() (CLOCK_REALTIME), compared with the bench's own wall clock at the spawn; stigmer passes the
// variable naming the stamp file through to the runner with the rest of its environment. Each run is waited for
// until the runner's ready line is out, then stopped with SIGTERM to its process group: it must exit 0 and leave
// nothing behind (its group and the runner gone). Two ways: a new STIGMER_HOME each time (the first start on a
// machine: the Python is asked its version), and one home used by a start before (what a user's start is: the
// Python's version is remembered by its file in python-versions.json, so no Python runs before the runner).
// Floor: `python3 main.py` started directly (same Python, same file, same environment variable), timed and stopped
// the same way. Target: ≤ 2× the floor.
import path from "node:path";
import { FIRST_STATEMENT_RUNNER, readStamp } from "../harness/contenders/fixtures.ts";
import { formatMs } from "../harness/report/format.ts";
import { isGone } from "../harness/processes/proc.ts";
import { freshDir, startInGroup, stopGroup, STOP_TIMEOUT_MS, TRIAL_TIMEOUT_MS, trackGroup, until, untrackGroup, wallClockMs, type Started } from "../harness/processes/processes.ts";
import { floorRunnerEnv, stigmerEnv, type Setup } from "../harness/contenders/setup.ts";
import { alternate, summarize } from "../harness/report/stats.ts";
import { row, type WorkloadResult } from "../harness/report/table.ts";

// 20: with 10, two runs 15 minutes apart, of builds one small change apart, gave used-home medians 2.00× and 2.47× on this
// 2-core machine (RESULTS, session 14).
const TRIALS = { full: 20, quick: 2 };
const TARGET_RATIO = 2;
const READY = "Worker ready";

/** Spawns, waits for the stamp and the ready line, stops; returns the ms from the spawn to the runner's first statement. */
export async function timeFirstStatement(what: string, stampFile: string, spawnIt: () => Started): Promise<number> {
  const spawnedAt = wallClockMs();
  const started = spawnIt();
  let output = "";
  started.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  try {
    const stamp = await until(`${what}: the runner's first statement`, TRIAL_TIMEOUT_MS, () => readStamp(stampFile));
    // Stigmer starts the runner in a process group of its own: ended on the way out too, should stigmer fail to.
    trackGroup(stamp.pid);
    await until(`${what}: the runner's ready line`, TRIAL_TIMEOUT_MS, () => output.includes(READY));
    await stopGroup(started, STOP_TIMEOUT_MS, what);
    await until(`${what}: the runner (pid ${stamp.pid}) gone`, STOP_TIMEOUT_MS, () => isGone(stamp.pid));
    untrackGroup(stamp.pid);
    return Number(stamp.ns) / 1e6 - spawnedAt;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${what} printed:\n${output}`);
  }
}

export function stigmerTrial(setup: Setup, daemonEndpoint: string, home = freshDir("home")): Promise<number> {
  const stampFile = path.join(freshDir("first-statement"), "first-statement");
  const env = { ...stigmerEnv(setup, home, { BENCH_FIRST_STATEMENT: stampFile }), TEMPORAL_SERVICE_ADDRESS: daemonEndpoint };
  const args = ["local", "start", ...setup.temporalOff, "--endpoint", daemonEndpoint, "--runner", FIRST_STATEMENT_RUNNER, "--python", setup.python];
  return timeFirstStatement("stigmer local start (first statement)", stampFile, () => startInGroup(setup.stigmer, args, { env, stdout: "pipe" }));
}

export function directTrial(setup: Pick<Setup, "python" | "baseEnv">): Promise<number> {
  const stampFile = path.join(freshDir("first-statement"), "first-statement");
  const env = floorRunnerEnv(setup, { BENCH_FIRST_STATEMENT: stampFile });
  return timeFirstStatement("python3 main.py (first statement)", stampFile, () =>
    startInGroup(setup.python, ["main.py"], { env, cwd: FIRST_STATEMENT_RUNNER, stdout: "pipe" }),
  );
}

export async function benchFirstStatement(setup: Setup, quick: boolean, daemonEndpoint: string): Promise<WorkloadResult> {
  const usedHome = freshDir("home");
  await stigmerTrial(setup, daemonEndpoint, usedHome);
  const [newHome, used, direct] = await alternate(
    [() => stigmerTrial(setup, daemonEndpoint), () => stigmerTrial(setup, daemonEndpoint, usedHome), () => directTrial(setup)],
    quick ? TRIALS.quick : TRIALS.full,
  );
  const floor = summarize(direct!);
  const first = summarize(newHome!);
  const later = summarize(used!);
  const target = { kind: "ratio", floor, maxRatio: TARGET_RATIO } as const;
  return {
    rows: [
      row("runner's first statement: spawn of `local start` (dev daemon serving, checked) until main.py's first line runs, new STIGMER_HOME", first, formatMs, "starts", target),
      row("the same, STIGMER_HOME used by a start before (the Python's version remembered)", later, formatMs, "starts", target),
      row("floor: `python3 main.py` started directly, the same span", floor, formatMs, "starts", { kind: "floor" }),
    ],
    notes: [
      `First statement: stigmer adds ${formatMs(first.median - floor.median)} before the runner's first line runs in a new home, ${formatMs(later.median - floor.median)} in one used before (medians).`,
    ],
  };
}
