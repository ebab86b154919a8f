// Flood: 100,000 lines of 1,000 bytes (100 MB), each written with one write(2) by the runner (bench/fixtures/flood.py,
// PYTHONUNBUFFERED=1), through stigmer's background supervisor (`local start --detach --restart never`, no daemon)
// into agent-runner.log, with the redactor on: a key is set, and the runner prints it once, which the log must show
// as [REDACTED]. Timed from the runner's own stamp right before its first flood line (CLOCK_REALTIME) until the bench
// sees the whole flood in the file (its size, polled every 5 ms); the file is then checked byte for byte. The
// supervisor's start-up is not in it: the runner waits for a go file, created once the bench samples the supervisor.
// Floor: `python3 flood.py | cat > file`, timed the same way: a pipe and a process that copies it into a file, the
// least a supervisor that captures output does. Target: ≤ 1.3× the floor; peak RSS ≤ 60 MiB.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FAKE_KEY, fileSize, FLOOD_RUNNER, floodBytes, READY_LINE, readStamp, verifyFlood, type Flood } from "../harness/contenders/fixtures.ts";
import { formatMiB, formatMs, MiB } from "../harness/report/format.ts";
import { freePort } from "../harness/processes/ports.ts";
import { cpuTimeMs, PSS_EVERY, SAMPLE_MS, samplePeaks, type Peaks } from "../harness/processes/proc.ts";
import {
  exitWithin,
  freshDir,
  groupExists,
  signalProcess,
  startInGroup,
  STOP_TIMEOUT_MS,
  TRIAL_TIMEOUT_MS,
  until,
  wallClockMs,
  type Started,
} from "../harness/processes/processes.ts";
import { floorRunnerEnv, type Setup } from "../harness/contenders/setup.ts";
import { startBackground, stopBackground } from "../harness/contenders/stigmer.ts";
import { inTurns, summarize } from "../harness/report/stats.ts";
import { row, type WorkloadResult } from "../harness/report/table.ts";

const TRIALS = { full: 5, quick: 1 };
export const LINES = 100_000;
export const LINE_BYTES = 1_000;
const TARGET_RATIO = 1.3;
const TARGET_PEAK_RSS = 60 * MiB;
/** How often the bench looks at the file's size: the time measured is late by up to this much, alike for both. */
const SIZE_POLL_MS = 5;

/** The runner's settings: where its go file and its start stamp are. */
export function floodEnv(dir: string): Record<string, string> {
  return {
    BENCH_FLOOD_LINES: String(LINES),
    BENCH_FLOOD_LINE_BYTES: String(LINE_BYTES),
    BENCH_FLOOD_GO: path.join(dir, "go"),
    BENCH_FLOOD_STARTED: path.join(dir, "started"),
    BENCH_FLOOD_CPU: path.join(dir, "cpu"),
  };
}

/** One flood as the bench saw it: its span (ms), the runner's pid, and the CPU time the runner spent writing it (ms, its own count). */
export interface FloodSpan {
  ms: number;
  runnerPid: number;
  runnerCpuMs: number;
}

/**
 * Lets the runner go and waits until `file` holds the whole flood; returns the ms from the runner's first flood line
 * until then, the runner's pid and its CPU time over the flood. `gone`, when given, is asked at each look: a reason
 * there fails the wait at once (the copying process has died, so the rest of the flood will never come).
 */
export async function floodOnce(dir: string, file: string, flood: Flood, what: string, gone?: () => string | null): Promise<FloodSpan> {
  writeFileSync(path.join(dir, "go"), "");
  await until(`${what}: ${floodBytes(flood)} bytes in ${file}`, TRIAL_TIMEOUT_MS, () => {
    const reason = gone?.();
    if (reason) throw new Error(`${what}: ${reason} before ${floodBytes(flood)} bytes were in ${file}`);
    return fileSize(file) >= floodBytes(flood);
  }, SIZE_POLL_MS);
  const allInMs = wallClockMs();
  const started = readStamp(path.join(dir, "started"));
  if (!started) throw new Error(`${what}: the runner left no start stamp`);
  verifyFlood(file, flood, what);
  // The runner writes it right after its last line, which may still be on its way to the file's end: a moment more.
  const runnerCpu = await until(`${what}: the runner's CPU time`, STOP_TIMEOUT_MS, () => readCpuMs(path.join(dir, "cpu")));
  return { ms: allInMs - Number(started.ns) / 1e6, runnerPid: started.pid, runnerCpuMs: runnerCpu.ms };
}

/** The runner's CPU time once its file is whole (it ends in a newline), in a box so that 0 counts as read. */
function readCpuMs(file: string): { ms: number } | null {
  try {
    const text = readFileSync(file, "utf8");
    const ms = Number.parseFloat(text);
    return text.endsWith("\n") && Number.isFinite(ms) ? { ms } : null;
  } catch {
    return null;
  }
}

/** One flood through `local start --detach`: its span, the runner's CPU time, and the supervisor's CPU time and memory peaks over it. */
export async function stigmerTrial(setup: Setup, closedEndpoint: string): Promise<{ span: FloodSpan; peaks: Peaks }> {
  const dir = freshDir("flood-stigmer");
  const { background } = await startBackground(setup, {
    endpoint: closedEndpoint,
    waitDaemon: false,
    runner: FLOOD_RUNNER,
    extraArgs: ["--restart", "never", "--log-max-size", "1GiB"],
    runnerEnv: floodEnv(dir),
  });
  try {
    const cpuBefore = cpuTimeMs(background.supervisorPid) ?? 0;
    const sampler = samplePeaks(background.supervisorPid);
    const span = await floodOnce(dir, path.join(background.home, "logs", "agent-runner.log"), REDACTED_FLOOD, "stigmer's runner log");
    const peaks = sampler.stop();
    return { span, peaks: { ...peaks, cpuMs: peaks.cpuMs - cpuBefore } };
  } finally {
    await stopBackground(setup, background);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The flood as it reaches a file with nothing in between: the key the runner prints is not redacted. */
export const UNREDACTED_FLOOD: Flood = { head: `${READY_LINE}key ${FAKE_KEY}\n`, lines: LINES, lineBytes: LINE_BYTES };
/** The flood as a redactor leaves it. */
export const REDACTED_FLOOD: Flood = { ...UNREDACTED_FLOOD, head: `${READY_LINE}key [REDACTED]\n` };

/** The flood runner's environment outside stigmer: the key as stigmer would hand it over (nothing redacts it), and `extra`. */
export function unsupervisedFloodEnv(setup: Pick<Setup, "baseEnv">, dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return floorRunnerEnv(setup, { ...floodEnv(dir), STIGMER_LLM_API_KEY: FAKE_KEY, ...extra });
}

/**
 * Ends a flood's copying process group the way a runner ends: the runner stays up once done, like a real one, so it
 * gets SIGTERM alone (exit 0), and the end of its pipe ends the copier, which must exit 0 and leave nothing behind.
 */
export async function endWithRunner(started: Started, runnerPid: number, what: string): Promise<void> {
  signalProcess(runnerPid, "SIGTERM");
  const exit = await exitWithin(started, STOP_TIMEOUT_MS, `${what} after SIGTERM to the runner`);
  if (exit.code !== 0) throw new Error(`${what} exited with ${exit.code ?? exit.signal} after SIGTERM to the runner, not 0`);
  await until(`${what}: its process group gone`, STOP_TIMEOUT_MS, () => !groupExists(started.pid));
}

/** The floor: `python3 flood.py | cat > file`, the span from the runner's first line until all of it is in the file. */
export async function pipeTrial(setup: Pick<Setup, "python" | "baseEnv">): Promise<FloodSpan> {
  const dir = freshDir("flood-pipe");
  const file = path.join(dir, "flood.log");
  const env = unsupervisedFloodEnv(setup, dir);
  const what = "python3 flood.py | cat > file";
  const started = startInGroup("bash", ["-c", '"$0" "$1" | cat > "$2"', setup.python, FLOOD_RUNNER, file], { env, cwd: dir });
  try {
    const span = await floodOnce(dir, file, UNREDACTED_FLOOD, what);
    // bash would die of a SIGTERM of its own: the runner's exit ends cat, then bash with cat's 0.
    await endWithRunner(started, span.runnerPid, what);
    return span;
  } finally {
    // Whatever is left of the group after a failure is killed on the way out.
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchFlood(setup: Setup, quick: boolean): Promise<WorkloadResult> {
  const closedEndpoint = `127.0.0.1:${await freePort()}`;
  const stigmer: FloodSpan[] = [];
  const peaks: Peaks[] = [];
  const pipe: FloodSpan[] = [];
  const runStigmer = async () => {
    const trial = await stigmerTrial(setup, closedEndpoint);
    stigmer.push(trial.span);
    peaks.push(trial.peaks);
  };
  const runPipe = async () => void pipe.push(await pipeTrial(setup));
  await inTurns([runStigmer, runPipe], quick ? TRIALS.quick : TRIALS.full);
  const floor = summarize(pipe.map((span) => span.ms));
  const floorRunnerCpu = summarize(pipe.map((span) => span.runnerCpuMs));
  const label = `${LINES.toLocaleString("en-US")} lines of ${LINE_BYTES.toLocaleString("en-US")} bytes, one write each`;
  return {
    rows: [
      row(`flood (${label}) through the background supervisor into agent-runner.log, redactor on: first line until all in the file`, stigmer.map((span) => span.ms), formatMs, "runs", {
        kind: "ratio",
        floor,
        maxRatio: TARGET_RATIO,
      }),
      row("floor: `python3 flood.py | cat > file`, the same span", floor, formatMs, "runs", { kind: "floor" }),
      row("the runner's own CPU time (user + system) writing the flood, under the background supervisor", stigmer.map((span) => span.runnerCpuMs), formatMs, "runs", {
        kind: "versus",
        floor: floorRunnerCpu,
      }),
      row("the same, under `| cat > file`", floorRunnerCpu, formatMs, "runs", { kind: "floor" }),
      row("background supervisor CPU time (user + system) during the flood", peaks.map((p) => p.cpuMs), formatMs, "runs"),
      row("background supervisor peak RSS (VmHWM), start-up and flood", peaks.map((p) => p.rss), formatMiB, "runs", { kind: "at most", max: TARGET_PEAK_RSS }),
      row(`background supervisor peak RssAnon during the flood (largest sample, every ${SAMPLE_MS} ms)`, peaks.map((p) => p.anon), formatMiB, "runs"),
      row(`background supervisor peak PSS during the flood (largest sample, every ${SAMPLE_MS * PSS_EVERY} ms)`, peaks.map((p) => p.pss), formatMiB, "runs"),
    ],
    notes: [],
  };
}
