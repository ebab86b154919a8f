// Probes, flood: what copying the flood workload's output from a pipe into a file costs a program on Bun, mostly before
// any line splitting or redaction. The flood of the main run (bench/fixtures/flood.py: 100,000 lines of 1,000 bytes,
// one write(2) each) goes through a FIFO into a compiled program that reads it with `Bun.file(fd).stream()`, as
// stigmer's supervisor does, and writes each chunk to a file with `writeSync`: the least a supervisor on Bun does with it.
// Timed like the flood workload (the runner's stamp before its first line until all of it is in the file), in turns
// with its floor (`python3 flood.py | cat > file`) and, when the binary is there, with stigmer itself. The program runs
// with Bun's defaults, then with the engine settings stigmer gives its background supervisor, then with those and the
// FIFO enlarged from 64 KiB to 1 MiB before the runner starts (F_SETPIPE_SZ, set by a Python one-liner: Bun has no
// fcntl). Three more read that FIFO the way cat does, with reads that wait in the kernel: on the program's only thread
// (which a supervisor, with its socket and timers to serve, cannot do), and in a Worker that posts each chunk to the
// main thread (which a supervisor could do; the idle probes show what a Worker keeps resident), at once or after a
// pause of 1 ms when a read found less than 4 KiB (as stigmer's reads pause: read-pacing.ts). One does what the
// target asks of any supervisor, and no more: stigmer's own line assembly, redactor and log file on the enlarged FIFO.
// One puts `cat` between the runner and the enlarged FIFO, so that the runner writes into a pipe no event loop polls.
// One looks at the enlarged FIFO with non-blocking reads on the main thread, on a timer, never through epoll. One reads it
// as stigmer's supervisor does: non-blocking reads into one reused buffer once a thread waiting in poll(2) finds it
// readable (src/platform/process/readable-wait.ts), alone and through stigmer's line path.
// Two are not Bun (bench/fixtures/epoll-copier.py): Python's epoll on an anonymous pipe of 64 KiB, reading until it is
// empty, into one reused buffer or into a fresh bytes object per read; they poll alike and differ in what a read costs.
// Each row also has the runner's own CPU time writing the flood (bench/fixtures/flood.py counts it): the runner, a
// single thread that does nothing but write, cannot finish its flood in less than that, and it grows with what the
// reader costs per read (the two Python rows), whether or not the reader polls.
// 10 runs each (1 with --quick). Then the Bun readers on the enlarged FIFO (the stream and the thread's reader, alone
// and through the line path) copy a runner that chats instead (1,000 lines of 100 bytes, 5 ms apart), their CPU time
// against the stream's: what each way of reading costs most of the day. 3 runs each (1 with --quick).
// No target: it shows how much of the flood target is Bun's own.
import path from "node:path";
import { existsSync, rmSync } from "node:fs";
import { compileProgram } from "../../harness/contenders/compile.ts";
import { fileSize, FLOOD_RUNNER, ROOT } from "../../harness/contenders/fixtures.ts";
import { formatMs, formatRange, formatRatio, markdownTable } from "../../harness/report/format.ts";
import { freePort } from "../../harness/processes/ports.ts";
import { cpuTimeMs } from "../../harness/processes/proc.ts";
import { freshDir, startInGroup, TRIAL_TIMEOUT_MS, until, type Started } from "../../harness/processes/processes.ts";
import { cleanEnv, findPython, prepare, stigmerBinary } from "../../harness/contenders/setup.ts";
import { inTurns, summarize } from "../../harness/report/stats.ts";
import { BUN_SUPERVISOR_SETTINGS } from "../../../src/platform/process/self.ts";
import { endWithRunner, floodOnce, LINE_BYTES, LINES, pipeTrial, REDACTED_FLOOD, stigmerTrial, UNREDACTED_FLOOD, unsupervisedFloodEnv, type FloodSpan } from "../flood.ts";

const RUNS = { full: 10, quick: 1 };
const EPOLL_COPIER = path.join(ROOT, "bench", "fixtures", "epoll-copier.py");

/** Why the copier ended early, by its exit code (1 is an uncaught error of its own). */
const COPIER_EXITS: Record<number, string> = {
  0: "its runner ended",
  2: "mkfifo failed",
  3: "the Python setting F_SETPIPE_SZ to 1 MiB failed (see /proc/sys/fs/pipe-max-size)",
  4: "its log file could not be written",
  5: "no thread could be started to wait for the FIFO (src/platform/process/readable-wait.ts)",
};

/**
 * The Worker of the "worker" and "pacedworker" readers: blocking reads of up to 1 MiB from the descriptor it is sent,
 * each chunk posted back (its buffer transferred, not copied), then null at the end; when paced, a read under 4 KiB
 * is followed by a 1 ms wait. Plain quotes: it is spliced into COPIER's source.
 */
const BLOCKING_WORKER = [
  'const { readSync } = require("node:fs");',
  "const pause = new Int32Array(new SharedArrayBuffer(4));",
  "self.onmessage = (event) => {",
  "  for (;;) {",
  "    const buffer = new Uint8Array(1 << 20);",
  "    const bytes = readSync(event.data.fd, buffer, 0, buffer.length, null);",
  "    if (bytes === 0) return postMessage(null);",
  "    postMessage(buffer.subarray(0, bytes), [buffer.buffer]);",
  "    if (event.data.paced && bytes < 4096) Atomics.wait(pause, 0, 0, 1);",
  "  }",
  "};",
].join(" ");

/**
 * A template string, so tsc does not check it: a change to LogFile's, LineAssembler's or createRedactor's signature
 * shows only when --probes runs (CI runs it with --quick).
 * argv: the file to copy into, the Python, the runner, "enlarge" to give the FIFO 1 MiB first, and the reader:
 * "stream" (Bun.file(fd).stream(), as stigmer's supervisor reads), "lines" (the same stream through stigmer's
 * LineAssembler, redactor and LogFile), "relay" (the stream, the runner's output coming through `| cat`),
 * "blocking" (readSync in a loop on a blocking descriptor: the thread waits in read(2), as cat's does), "worker"
 * (the same in a Worker, chunks posted back), "pacedworker" (the Worker pausing after short reads), "polled"
 * (non-blocking reads on the main thread, on a timer, no epoll), "thread" (the same reads, each once a thread waiting in
 * poll(2) finds the FIFO readable, as stigmer's supervisor reads) or "threadlines" (that through the line path).
 */
const COPIER = `import { LineAssembler } from ${JSON.stringify(path.join(ROOT, "src/lifecycle/process/lines.ts"))};
import { LogFile } from ${JSON.stringify(path.join(ROOT, "src/lifecycle/process/logs.ts"))};
import { createRedactor } from ${JSON.stringify(path.join(ROOT, "src/secrets/redact.ts"))};
import { readableWait, readWhenReadable } from ${JSON.stringify(path.join(ROOT, "src/platform/process/readable-wait.ts"))};
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
const [file, python, runner, mode, reader] = process.argv.slice(2);
const dir = mkdtempSync(file + ".fifo-");
if (Bun.spawnSync(["mkfifo", "-m", "600", dir + "/pipe"]).exitCode !== 0) process.exit(2);
const read = openSync(dir + "/pipe", constants.O_RDONLY | constants.O_NONBLOCK);
const write = openSync(dir + "/pipe", constants.O_WRONLY);
rmSync(dir, { recursive: true });
if (mode === "enlarge") {
  const set = Bun.spawnSync([python, "-I", "-S", "-c", "import fcntl; fcntl.fcntl(3, fcntl.F_SETPIPE_SZ, 1 << 20)"], { stdio: ["ignore", "ignore", "ignore", read] });
  if (set.exitCode !== 0) process.exit(3);
}
// The "lines" readers write through stigmer's LineAssembler, redactor and LogFile, which opens the file itself.
const throughLines = reader === "lines" || reader === "threadlines";
const out = throughLines ? -1 : openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o600);
const log = throughLines ? new LogFile(file, (problem) => { console.error(problem); process.exit(4); }, { maxBytes: 2 ** 40, files: 1 }) : null;
const assembler = throughLines ? new LineAssembler(createRedactor([process.env.STIGMER_LLM_API_KEY])) : null;
// "relay": the runner writes into a pipe that cat reads, and cat into the FIFO.
const child = Bun.spawn(reader === "relay" ? ["/bin/sh", "-c", '"$0" "$1" | cat', python, runner] : [python, runner], { stdio: ["ignore", write, "ignore"] });
closeSync(write);
const writeAll = (chunk, length) => {
  if (assembler) {
    for (const whole of assembler.push(Buffer.from(chunk.buffer, chunk.byteOffset, length))) log.write(whole);
    return;
  }
  let written = 0;
  while (written < length) written += writeSync(out, chunk, written, length - written);
};
// Every chunk, then what the line path still holds.
const copyAll = async (chunks) => {
  for await (const chunk of chunks) writeAll(chunk, chunk.byteLength);
  const rest = assembler?.flush();
  if (rest) log.write(rest);
  log?.flush();
};
// The FIFO's read end opened again, now that it has a writer, with the flags given: without O_NONBLOCK, so a read
// waits for data; or with it, since handing the read end to a child (the Python that enlarges it) may have cleared it.
const reopened = (flags) => {
  const fd = openSync("/proc/self/fd/" + read, constants.O_RDONLY | flags);
  closeSync(read);
  return fd;
};
const blocking = () => reopened(0);
// One non-blocking read into \`buffer\`: its bytes, 0 at the end, -1 when the FIFO is empty.
const readNow = (fd, buffer) => {
  try { return readSync(fd, buffer, 0, buffer.length, null); } catch (error) { if (error.code === "EAGAIN") return -1; throw error; }
};
if (reader === "blocking") {
  const fd = blocking();
  const buffer = new Uint8Array(1 << 20);
  for (let bytes; (bytes = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) writeAll(buffer, bytes);
} else if (reader === "polled") {
  (async () => {
    const fd = reopened(constants.O_NONBLOCK);
    const buffer = new Uint8Array(1 << 20);
    let waitMs = 1;
    for (;;) {
      const bytes = readNow(fd, buffer);
      if (bytes === 0) break;
      if (bytes > 0) writeAll(buffer, bytes);
      // A read that found a quarter of the pipe or more: read again at once; less: 1 ms; none: twice the last wait.
      if (bytes >= 256 * 1024) continue;
      waitMs = bytes > 0 ? 1 : Math.min(waitMs * 2, 100);
      await Bun.sleep(waitMs);
    }
  })();
} else if (reader === "thread" || reader === "threadlines") {
  (async () => {
    const fd = reopened(constants.O_NONBLOCK);
    const wait = await readableWait(fd);
    if (!wait) process.exit(5);
    await copyAll(readWhenReadable(fd, wait));
    wait.close();
  })();
} else if (reader === "worker" || reader === "pacedworker") {
  const worker = new Worker(URL.createObjectURL(new Blob([${JSON.stringify(BLOCKING_WORKER)}])));
  worker.onmessage = (event) => (event.data === null ? worker.terminate() : writeAll(event.data, event.data.byteLength));
  worker.postMessage({ fd: blocking(), paced: reader === "pacedworker" });
} else {
  // "stream", "relay" and "lines".
  void copyAll(Bun.file(read).stream());
}
`;

interface BunCopier {
  runtime: "bun";
  name: string;
  mode: "plain" | "enlarge";
  reader: "stream" | "lines" | "relay" | "blocking" | "worker" | "pacedworker" | "polled" | "thread" | "threadlines";
  env: Record<string, string>;
}

/** bench/fixtures/epoll-copier.py: an event loop that is not Bun's, its reads into one buffer or each into a fresh one. */
interface PythonCopier {
  runtime: "python";
  name: string;
  buffer: "reused" | "fresh";
}

type Copier = BunCopier | PythonCopier;

/** A copier of the FIFO enlarged to 1 MiB, with the background supervisor's engine settings. */
function enlarged(name: string, reader: BunCopier["reader"]): BunCopier {
  return { runtime: "bun", name, mode: "enlarge", reader, env: { ...BUN_SUPERVISOR_SETTINGS } };
}

const COPIERS: Copier[] = [
  { runtime: "bun", name: "Bun.file(fd).stream() → writeSync, per chunk (a FIFO of 64 KiB), Bun's defaults", mode: "plain", reader: "stream", env: {} },
  {
    runtime: "bun",
    name: `the same with the background supervisor's engine settings (${Object.entries(BUN_SUPERVISOR_SETTINGS).map(([name, value]) => `${name}=${value}`).join(", ")})`,
    mode: "plain",
    reader: "stream",
    env: { ...BUN_SUPERVISOR_SETTINGS },
  },
  enlarged("the same, and the FIFO enlarged to 1 MiB first (F_SETPIPE_SZ)", "stream"),
  enlarged("the same FIFO read by readSync into 1 MiB, its read end blocking: the thread waits in read(2) as cat's does, so it can do nothing else", "blocking"),
  enlarged("the same reads in a Worker (a thread that may block), each chunk posted to the main thread, which writes it", "worker"),
  enlarged("the same, the Worker pausing 1 ms after a read under 4 KiB", "pacedworker"),
  enlarged("the enlarged FIFO looked at by non-blocking readSync into 1 MiB on the main thread: again at once after 256 KiB or more, 1 ms after less, up to 100 ms apart while empty (no epoll)", "polled"),
  enlarged("the enlarged FIFO read as stigmer's supervisor reads it (src/platform/process/readable-wait.ts): non-blocking readSync into a reused buffer (64 KiB, then 1 MiB once a read fills it) once a thread waiting in poll(2) finds it readable, again at once after a read that filled it", "thread"),
  enlarged("the enlarged FIFO's stream, the runner's output coming through `| cat` (a pipe no event loop polls)", "relay"),
  enlarged("the enlarged FIFO's stream through stigmer's own LineAssembler, redactor and LogFile: what the target asks of any supervisor", "lines"),
  enlarged("the thread's reader above through stigmer's LineAssembler, redactor and LogFile: what stigmer does with its runner's output, and no more", "threadlines"),
  { runtime: "python", name: "not Bun: Python's epoll on an anonymous pipe of 64 KiB, non-blocking reads into one reused 1 MiB buffer until it is empty", buffer: "reused" },
  { runtime: "python", name: "the same epoll loop, each read into a fresh bytes object of up to 1 MiB", buffer: "fresh" },
];

/** The readers a chatty runner is shown through: the stream first (the others are compared with it), then the thread's reader. */
const CHATTY_COPIERS: BunCopier[] = [
  enlarged("Bun.file(fd).stream() → writeSync, on the enlarged FIFO, with the supervisor's engine settings", "stream"),
  enlarged("the same stream through stigmer's LineAssembler, redactor and LogFile", "lines"),
  enlarged("the thread's reader (readSync into a reused buffer once a thread finds the FIFO readable, as stigmer reads)", "thread"),
  enlarged("the same through stigmer's LineAssembler, redactor and LogFile", "threadlines"),
];
const CHATTY_RUNS = { full: 3, quick: 1 };

/** How `started` ended, if it has: its exit code and what that means, or its signal. */
function copierEnded(started: Started): string | null {
  const { exitCode, signalCode } = started.child;
  if (signalCode !== null) return `the copier was killed by ${signalCode}`;
  if (exitCode === null) return null;
  return `the copier exited with ${exitCode} (${COPIER_EXITS[exitCode] ?? "an error of its own"})`;
}

/** What one flood cost: its span and the runner's CPU time, and the copying process's CPU time (ms). */
interface Trial extends FloodSpan {
  cpuMs: number;
}

/** What the runner writes: the flood workload's, or `lines` of `lineBytes` with a pause of `everyMs` after each. */
interface Output {
  lines: number;
  lineBytes: number;
  everyMs: number;
}
const FLOOD_OUTPUT: Output = { lines: LINES, lineBytes: LINE_BYTES, everyMs: 0 };
/** A runner that chats all day rather than floods: a short line every few milliseconds. */
const CHATTY_OUTPUT: Output = { lines: 1_000, lineBytes: 100, everyMs: 5 };

/**
 * One run of `output` through `binary`: its span, its CPU time (user + system) from the go until all of it is in the
 * file and checked, and the runner's CPU time writing it.
 */
async function copierTrial(binary: string, python: string, baseEnv: Record<string, string>, copier: Copier, output = FLOOD_OUTPUT): Promise<Trial> {
  const dir = freshDir("probe-flood");
  const file = path.join(dir, "copy.log");
  const shape = { BENCH_FLOOD_LINES: String(output.lines), BENCH_FLOOD_LINE_BYTES: String(output.lineBytes), BENCH_FLOOD_EVERY_MS: String(output.everyMs) };
  const env = unsupervisedFloodEnv({ baseEnv }, dir, { ...(copier.runtime === "bun" ? copier.env : {}), ...shape });
  const what = `probe copier (${copier.name})`;
  const redacted = copier.runtime === "bun" && (copier.reader === "lines" || copier.reader === "threadlines");
  const flood = { ...(redacted ? REDACTED_FLOOD : UNREDACTED_FLOOD), lines: output.lines, lineBytes: output.lineBytes };
  const started =
    copier.runtime === "bun"
      ? startInGroup(binary, [file, python, FLOOD_RUNNER, copier.mode, copier.reader], { env, cwd: dir })
      : startInGroup(python, [EPOLL_COPIER, file, FLOOD_RUNNER, copier.buffer], { env, cwd: dir });
  try {
    // Its start-up is not in the span: the runner's first lines must be in the file before it is let go.
    await until(`${what}: the runner's first lines`, TRIAL_TIMEOUT_MS, () => {
      const ended = copierEnded(started);
      if (ended) throw new Error(`${what}: ${ended} before its runner's first lines`);
      return fileSize(file) >= Buffer.byteLength(flood.head);
    });
    const cpuBefore = cpuTimeMs(started.pid);
    if (cpuBefore === null) throw new Error(`${what} exited before the go`);
    const span = await floodOnce(dir, file, flood, what, () => copierEnded(started));
    const cpuAfter = cpuTimeMs(started.pid);
    if (cpuAfter === null) throw new Error(`${what} exited before it could be read after the flood`);
    await endWithRunner(started, span.runnerPid, what);
    return { ...span, cpuMs: cpuAfter - cpuBefore };
  } finally {
    // Whatever is left of the group after a failure is killed on the way out; the 100 MB copy goes now.
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function probeFlood(quick: boolean): Promise<string> {
  // With stigmer's binary there, its set-up serves the copiers too; without it, the copiers and the floor run alone.
  const setup = existsSync(stigmerBinary()) ? prepare() : null;
  const baseEnv = setup?.baseEnv ?? cleanEnv();
  const python = setup?.python ?? findPython(baseEnv);
  const binary = await compileProgram(freshDir("probes-flood"), "copier", COPIER, "stigmer");
  const floor: FloodSpan[] = [];
  const copied = COPIERS.map((): Trial[] => []);
  const stigmer: Trial[] = [];
  const runs: (() => Promise<void>)[] = [
    async () => void floor.push(await pipeTrial({ python, baseEnv })),
    ...COPIERS.map((copier, index) => async () => void copied[index]!.push(await copierTrial(binary, python, baseEnv, copier))),
  ];
  if (setup) {
    const closedEndpoint = `127.0.0.1:${await freePort()}`;
    runs.push(async () => {
      const { span, peaks } = await stigmerTrial(setup, closedEndpoint);
      stigmer.push({ ...span, cpuMs: peaks.cpuMs });
    });
  }
  await inTurns(runs, quick ? RUNS.quick : RUNS.full);
  const chatty = CHATTY_COPIERS.map((): Trial[] => []);
  await inTurns(
    CHATTY_COPIERS.map((copier, index) => async () => void chatty[index]!.push(await copierTrial(binary, python, baseEnv, copier, CHATTY_OUTPUT))),
    quick ? CHATTY_RUNS.quick : CHATTY_RUNS.full,
  );
  const floorMedian = summarize(floor.map((trial) => trial.ms)).median;
  const floorRunnerMedian = summarize(floor.map((trial) => trial.runnerCpuMs)).median;
  /** A row: the spans and the runner's CPU of `trials`, and the copying process's CPU when it is measured. */
  const line = (name: string, trials: FloodSpan[], cpuMs: number[] | null) => {
    const span = summarize(trials.map((trial) => trial.ms));
    const runner = summarize(trials.map((trial) => trial.runnerCpuMs)).median;
    const cpu = cpuMs ? formatMs(summarize(cpuMs).median) : "—";
    return [name, formatMs(span.median), formatRange(span, formatMs), formatRatio(span.median, floorMedian), cpu, formatMs(runner), formatRatio(runner, floorRunnerMedian)];
  };
  const copyingCpu = (trials: Trial[]) => trials.map((trial) => trial.cpuMs);
  const rows = [
    line("floor: `python3 flood.py | cat > file`", floor, null),
    ...COPIERS.map((copier, index) => line(copier.name, copied[index]!, copyingCpu(copied[index]!))),
    ...(stigmer.length > 0 ? [line("stigmer's background supervisor (lines, redaction, its log file), as in the main run", stigmer, copyingCpu(stigmer))] : []),
  ];
  const header = [
    `the flood (${LINES.toLocaleString("en-US")} × ${LINE_BYTES.toLocaleString("en-US")} B) copied by`,
    "median",
    "min – max",
    "vs floor",
    "its CPU (median)",
    "the runner's CPU (median)",
    "vs the floor's runner",
  ];
  const streamCpu = summarize(chatty[0]!.map((trial) => trial.cpuMs)).median;
  const chattyRows = CHATTY_COPIERS.map((copier, index) => {
    const cpu = summarize(chatty[index]!.map((trial) => trial.cpuMs));
    return [copier.name, formatMs(cpu.median), formatRange(cpu, formatMs), formatRatio(cpu.median, streamCpu)];
  });
  const chattyHeader = [
    `a runner that chats (${CHATTY_OUTPUT.lines.toLocaleString("en-US")} lines of ${CHATTY_OUTPUT.lineBytes} B, one every ${CHATTY_OUTPUT.everyMs} ms) copied by`,
    "its CPU (median)",
    "min – max",
    "vs the stream's",
  ];
  return [
    markdownTable(header, rows),
    "",
    markdownTable(chattyHeader, chattyRows),
    "",
    `The chatty runner: the same copiers' CPU time over ${CHATTY_OUTPUT.lines.toLocaleString("en-US")} lines written ${CHATTY_OUTPUT.everyMs} ms apart (${chatty[0]!.length} runs each, in turns): what each way of reading costs while a runner prints as it works, most of the day.`,
    "",
    `Span: the runner's first flood line until all of it is in the file; ${floor.length} runs each, in turns. CPU: the copying process's user + system time from the go until the whole flood is in the file and checked (the runner's not counted, nor the relay's cat). The runner's CPU: its own count of the user + system time it spent writing the flood (bench/fixtures/flood.py); the span cannot be shorter.`,
  ].join("\n");
}
