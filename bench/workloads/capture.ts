// Log capture: the wall time of a foreground `local start` (default `--restart on-failure`) while the runner
// (test/fixtures/runner.py, mode `flood`) writes 100 MB (10 MB with --quick) of numbered 100-byte lines and exits 0,
// stigmer's own stdout and stderr on /dev/null; the whole run, start-up and shutdown included. Meanwhile the
// supervisor's memory peaks and CPU time are sampled from /proc. Both files are checked byte for byte.
// Floor: `python3 runner.py > file`. Target: ≤ 2× the floor; peak RSS ≤ 100 MiB.
import { closeSync, openSync, rmSync } from "node:fs";
import path from "node:path";
import { FIXTURE_RUNNER, READY_LINE, verifyFlood, type Flood } from "../harness/contenders/fixtures.ts";
import { formatMiB, formatMs, MiB } from "../harness/report/format.ts";
import { exitWithin, freshDir, startInGroup, TRIAL_TIMEOUT_MS } from "../harness/processes/processes.ts";
import { PSS_EVERY, SAMPLE_MS, samplePeaks, type Peaks } from "../harness/processes/proc.ts";
import { floorRunnerEnv, stigmerEnv, type Setup } from "../harness/contenders/setup.ts";
import { inTurns, summarize } from "../harness/report/stats.ts";
import { row, type WorkloadResult } from "../harness/report/table.ts";

const SIZES = { full: { trials: 5, megabytes: 100 }, quick: { trials: 1, megabytes: 10 } };
const LINE_BYTES = 100;
const TARGET_RATIO = 2;
const TARGET_PEAK_RSS = 100 * MiB;

async function stigmerTrial(setup: Setup, megabytes: number, flood: Flood): Promise<{ ms: number; peaks: Peaks }> {
  const home = freshDir("home");
  const env = stigmerEnv(setup, home, { FIXTURE_MODE: "flood", FIXTURE_FLOOD_MB: String(megabytes) });
  const what = "stigmer local start (log capture)";
  try {
    const began = performance.now();
    // stdout and stderr go to /dev/null: in the foreground stigmer echoes the runner's output too.
    const started = startInGroup(setup.stigmer, ["local", "start", "--runner", FIXTURE_RUNNER, ...setup.startFlags], { env });
    const sampler = samplePeaks(started.pid);
    const exit = await exitWithin(started, TRIAL_TIMEOUT_MS, what);
    const ms = performance.now() - began;
    const peaks = sampler.stop();
    if (exit.code !== 0) throw new Error(`${what} exited with ${exit.code ?? exit.signal}`);
    if (peaks.rss === 0) throw new Error("the supervisor's VmHWM could not be read from /proc before it exited");
    verifyFlood(path.join(home, "logs", "agent-runner.log"), flood, "stigmer's runner log");
    return { ms, peaks };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

async function redirectTrial(setup: Setup, megabytes: number, flood: Flood): Promise<number> {
  const dir = freshDir("redirect");
  const file = path.join(dir, "redirect.log");
  const env = floorRunnerEnv(setup, { FIXTURE_MODE: "flood", FIXTURE_FLOOD_MB: String(megabytes) });
  // Handing python an open file as stdout is exactly what the shell does for `> file`.
  const fd = openSync(file, "w", 0o600);
  try {
    const began = performance.now();
    const started = startInGroup(setup.python, [FIXTURE_RUNNER], { env, cwd: path.dirname(FIXTURE_RUNNER), stdout: fd });
    const exit = await exitWithin(started, TRIAL_TIMEOUT_MS, "python3 runner.py > file");
    const ms = performance.now() - began;
    if (exit.code !== 0) throw new Error(`python3 runner.py > file exited with ${exit.code ?? exit.signal}`);
    verifyFlood(file, flood, "the redirected file");
    return ms;
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchLogCapture(setup: Setup, quick: boolean): Promise<WorkloadResult> {
  const sizes = quick ? SIZES.quick : SIZES.full;
  const flood: Flood = { head: READY_LINE, lines: (sizes.megabytes * 1_000_000) / LINE_BYTES, lineBytes: LINE_BYTES };
  const stigmer: number[] = [];
  const peaks: Peaks[] = [];
  const redirect: number[] = [];
  const runStigmer = async () => {
    const trial = await stigmerTrial(setup, sizes.megabytes, flood);
    stigmer.push(trial.ms);
    peaks.push(trial.peaks);
  };
  const runRedirect = async () => void redirect.push(await redirectTrial(setup, sizes.megabytes, flood));
  await inTurns([runStigmer, runRedirect], sizes.trials);
  const floor = summarize(redirect);
  const label = `${sizes.megabytes} MB, ${flood.lines.toLocaleString("en-US")} lines`;
  return {
    rows: [
      row(`log capture (${label}) into agent-runner.log`, stigmer, formatMs, "runs", { kind: "ratio", floor, maxRatio: TARGET_RATIO }),
      row("floor: `python3 runner.py > file`", floor, formatMs, "runs", { kind: "floor" }),
      // No target: it explains the capture's wall time, which the runner's and this CPU time share 2 cores for.
      row("supervisor CPU time (user + system) during the capture", peaks.map((p) => p.cpuMs), formatMs, "runs"),
      row("supervisor peak RSS (VmHWM) during the capture", peaks.map((p) => p.rss), formatMiB, "runs", { kind: "at most", max: TARGET_PEAK_RSS }),
      row(`supervisor peak RssAnon during the capture (largest sample, every ${SAMPLE_MS} ms)`, peaks.map((p) => p.anon), formatMiB, "runs"),
      row(`supervisor peak PSS during the capture (largest sample, every ${SAMPLE_MS * PSS_EVERY} ms)`, peaks.map((p) => p.pss), formatMiB, "runs"),
    ],
    notes: [],
  };
}
