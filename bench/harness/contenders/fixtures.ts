// The runners the bench runs, and how what they leave behind is checked.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dir, "..", "..", "..");

/** test/fixtures/runner.py, driven by FIXTURE_* variables (its docstring): exits at once, serves quietly, floods, … */
export const FIXTURE_RUNNER = path.join(ROOT, "test", "fixtures", "runner.py");
/** bench/fixtures/flood.py: numbered lines of any length, one write(2) each, once told to go. */
export const FLOOD_RUNNER = path.join(ROOT, "bench", "fixtures", "flood.py");
/** bench/fixtures/first-statement/: a runner directory whose main.py stamps the time of its first statement. */
export const FIRST_STATEMENT_RUNNER = path.join(ROOT, "bench", "fixtures", "first-statement");

/**
 * The real runner's ready line, which every fixture prints first and `local start` waits for (`--ready-line`'s
 * default, "Worker ready"): a flood's log starts with it.
 */
export const READY_LINE = "Worker ready, polling for tasks...\n";
/** Temporal's health service name: one dev daemon answering it stands in for both the daemon and Temporal. */
export const TEMPORAL_SERVICE = "temporal.api.workflowservice.v1.WorkflowService";
/** What every `local start` gets as its LLM key: long enough to be redacted, so the redactor runs on all output. */
export const FAKE_KEY = "sk-ant-bench-not-a-real-key-0000";

/** The lines the fixture appends to its FIXTURE_STARTS file: CLOCK_MONOTONIC ns and pid of each start. */
export function readStarts(file: string): { ns: bigint; pid: number }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.includes(" "))
    .map((line) => ({ ns: BigInt(line.split(" ")[0]!), pid: Number(line.split(" ")[1]) }));
}

/** A "<number> <pid>" stamp a fixture wrote (a CLOCK_REALTIME ns, a start), or null while the file is not complete. */
export function readStamp(file: string): { ns: bigint; pid: number } | null {
  try {
    const [ns, pid] = readFileSync(file, "utf8").split("\n")[0]!.split(" ");
    return ns && pid ? { ns: BigInt(ns), pid: Number(pid) } : null;
  } catch {
    return null;
  }
}

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** A flood: `head` (the ready line, …), then `lines` lines of `lineBytes` bytes each: "%08d " + "x" × (lineBytes − 10) + "\n". */
export interface Flood {
  head: string;
  lines: number;
  lineBytes: number;
}

export function floodBytes(flood: Flood): number {
  return Buffer.byteLength(flood.head) + flood.lines * flood.lineBytes;
}

/** Writes the numbered lines `first` … `first + count − 1` of a flood into `into` (a buffer of `count` lines of their body). */
function numberLines(into: Buffer, flood: Flood, first: number, count: number): void {
  for (let line = 0; line < count; line++) {
    let number = first + line;
    // "%08d": eight digits, written from the right.
    for (let digit = 7, at = line * flood.lineBytes + 7; digit >= 0; digit--, at--) {
      into[at] = 0x30 + (number % 10);
      number = Math.floor(number / 10);
    }
  }
}

/** A buffer of `count` flood lines with their numbers left to `numberLines`: "00000000 " + "x" × (lineBytes − 10) + "\n". */
function lineTemplate(flood: Flood, count: number): Buffer {
  const line = Buffer.from(`00000000 ${"x".repeat(flood.lineBytes - 10)}\n`, "latin1");
  const template = Buffer.alloc(count * flood.lineBytes);
  for (let at = 0; at < template.length; at += line.length) line.copy(template, at);
  return template;
}

/**
 * Fails unless `file` holds exactly the flood, byte for byte: its size first (cheap), then every byte, read and
 * compared a megabyte at a time, so that a line lost, doubled, cut or reordered anywhere is caught.
 */
export function verifyFlood(file: string, flood: Flood, what: string): void {
  const expectedBytes = floodBytes(flood);
  const size = fileSize(file);
  if (size !== expectedBytes) throw new Error(`${what}: ${file} holds ${size} bytes, expected ${expectedBytes} (${flood.lines} lines of ${flood.lineBytes} bytes after the head)`);
  const head = Buffer.from(flood.head);
  const linesPerChunk = Math.max(1, Math.floor((1 << 20) / flood.lineBytes));
  const fd = openSync(file, "r");
  try {
    const actual = Buffer.alloc(Math.max(head.length, linesPerChunk * flood.lineBytes));
    readSync(fd, actual, 0, head.length, 0);
    if (!actual.subarray(0, head.length).equals(head)) throw new Error(`${what}: ${file} does not start with ${JSON.stringify(flood.head)}`);
    const template = lineTemplate(flood, linesPerChunk);
    let position = head.length;
    for (let first = 0; first < flood.lines; first += linesPerChunk) {
      const count = Math.min(linesPerChunk, flood.lines - first);
      numberLines(template, flood, first, count);
      const expected = template.subarray(0, count * flood.lineBytes);
      readSync(fd, actual, 0, expected.length, position);
      if (!actual.subarray(0, expected.length).equals(expected)) {
        throw new Error(`${what}: ${file} differs from the flood within lines ${first} – ${first + linesPerChunk - 1}`);
      }
      position += expected.length;
    }
  } finally {
    closeSync(fd);
  }
}
