// Restart gap: the start-to-start interval of a runner that exits at once (test/fixtures/runner.py, mode `exit`,
// stamping each start into FIXTURE_STARTS), under `local start --restart always --restart-delay 0 --min-uptime 0
// --max-restarts 100000` in the foreground, stopped with SIGTERM (which must exit 0).
// Floor: the same runner in `while true; do python3 runner.py; done`. Both intervals include the runner's own run
// (Python's start-up, imports, exit); the difference of the medians is what stigmer adds per restart.
// Target: ≤ 1.5× the floor.
import path from "node:path";
import { FIXTURE_RUNNER, readStarts } from "../harness/contenders/fixtures.ts";
import { formatMs } from "../harness/report/format.ts";
import { exitWithin, freshDir, signalGroup, sleep, startInGroup, STOP_TIMEOUT_MS, TRIAL_TIMEOUT_MS, POLL_MS, type Started } from "../harness/processes/processes.ts";
import { floorRunnerEnv, stigmerEnv, type Setup } from "../harness/contenders/setup.ts";
import { inTurns, summarize } from "../harness/report/stats.ts";
import { row, type WorkloadResult } from "../harness/report/table.ts";

const SIZES = { full: { trials: 10, intervalsPerTrial: 15 }, quick: { trials: 1, intervalsPerTrial: 8 } };
const TARGET_RATIO = 1.5;

/** Lets `started` run until the runner has started `intervals + 1` times, stops it with SIGTERM, returns the intervals (ms) and its exit. */
async function collectIntervals(started: Started, startsFile: string, intervals: number, what: string) {
  const deadline = Date.now() + TRIAL_TIMEOUT_MS;
  let starts = readStarts(startsFile);
  while (starts.length < intervals + 1) {
    if (started.child.exitCode !== null || started.child.signalCode !== null) {
      throw new Error(`${what} ended after ${starts.length} starts, before the benchmark stopped it`);
    }
    if (Date.now() > deadline) {
      signalGroup(started.pid, "SIGKILL");
      throw new Error(`${what}: only ${starts.length} starts within ${TRIAL_TIMEOUT_MS / 1000} s`);
    }
    await sleep(POLL_MS);
    starts = readStarts(startsFile);
  }
  signalGroup(started.pid, "SIGTERM");
  const exit = await exitWithin(started, STOP_TIMEOUT_MS, `${what} after SIGTERM`);
  const intervalsMs = starts.slice(1, intervals + 1).map((start, i) => Number(start.ns - starts[i]!.ns) / 1e6);
  return { intervalsMs, exit };
}

async function stigmerTrial(setup: Setup, intervals: number): Promise<number[]> {
  const home = freshDir("home");
  const startsFile = path.join(home, "starts");
  const env = stigmerEnv(setup, home, { FIXTURE_MODE: "exit", FIXTURE_STARTS: startsFile });
  // --max-restarts: a runner that always exits at once would otherwise be given up on.
  const args = ["local", "start", "--runner", FIXTURE_RUNNER, ...setup.startFlags, "--restart", "always", "--restart-delay", "0", "--min-uptime", "0", "--max-restarts", "100000"];
  const what = "stigmer local start (restart loop)";
  const { intervalsMs, exit } = await collectIntervals(startInGroup(setup.stigmer, args, { env }), startsFile, intervals, what);
  if (exit.code !== 0) throw new Error(`${what} exited with ${exit.code ?? exit.signal} after SIGTERM, not 0`);
  return intervalsMs;
}

async function shellLoopTrial(setup: Setup, intervals: number): Promise<number[]> {
  const startsFile = path.join(freshDir("loop"), "starts");
  const env = floorRunnerEnv(setup, { FIXTURE_MODE: "exit", FIXTURE_STARTS: startsFile });
  const started = startInGroup("bash", ["-c", 'while true; do "$0" "$1"; done', setup.python, FIXTURE_RUNNER], { env, cwd: path.dirname(FIXTURE_RUNNER) });
  return (await collectIntervals(started, startsFile, intervals, "the bash restart loop")).intervalsMs;
}

export async function benchRestartGap(setup: Setup, quick: boolean): Promise<WorkloadResult> {
  const sizes = quick ? SIZES.quick : SIZES.full;
  const stigmer: number[] = [];
  const loop: number[] = [];
  await inTurns(
    [
      async () => stigmer.push(...(await stigmerTrial(setup, sizes.intervalsPerTrial))),
      async () => loop.push(...(await shellLoopTrial(setup, sizes.intervalsPerTrial))),
    ],
    sizes.trials,
  );
  const floor = summarize(loop);
  const mine = summarize(stigmer);
  return {
    rows: [
      row("restart: start-to-start, `stigmer local start --restart always --restart-delay 0`", mine, formatMs, "restarts", { kind: "ratio", floor, maxRatio: TARGET_RATIO }),
      row("floor: `while true; do python3 runner.py; done`", floor, formatMs, "restarts", { kind: "floor" }),
    ],
    notes: [`Restart: stigmer adds ${formatMs(mine.median - floor.median)} per restart to the loop's start-to-start interval (medians).`],
  };
}
