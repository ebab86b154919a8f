import { fstatSync, ftruncateSync, renameSync, writeSync } from "node:fs";
import { closeQuietly, openPrivateFile } from "../control/state-dir.ts";

/** Size-based rotation: `log`, `log.1` … `log.<files-1>`, oldest last. */
export interface LogRotation {
  maxBytes: number;
  /** Files kept, the current one included. */
  files: number;
}

export const DEFAULT_ROTATION: LogRotation = { maxBytes: 10 * 1024 * 1024, files: 5 };

/**
 * Writes are gathered and go to the file together, once 64 KiB are waiting or 5 ms after the
 * first: a runner that prints line by line would otherwise cost one system call per line.
 * They gather in one buffer that is reused, so a flood of output allocates nothing here.
 * A write of 16 KiB or more is a system call's worth already: it goes out as it is, after what
 * waits, instead of being copied first (in a flood, most chunks of the pipe are that big).
 */
const GATHER_BYTES = 64 * 1024;
const DIRECT_BYTES = 16 * 1024;
const FLUSH_MS = 5;

/**
 * An append-only log file, rotated by size. A write that fails (disk full, file removed)
 * is reported once through `onError` and the bytes are dropped: logging must never stop
 * the runner. It recovers by itself when writing works again.
 */
export class LogFile {
  private fd: number;
  private size: number;
  private readonly gathered = Buffer.allocUnsafe(GATHER_BYTES);
  private gatheredBytes = 0;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** Why writing fails right now; null while it works. */
  problem: string | null = null;

  constructor(
    readonly path: string,
    private readonly onError: (message: string) => void = () => {},
    private readonly rotation: LogRotation = DEFAULT_ROTATION,
  ) {
    this.fd = openPrivateFile(path, "append");
    this.size = fstatSync(this.fd).size;
  }

  write(bytes: Buffer | string): void {
    const data = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
    // What is waiting goes first when this write would take the file past its rotation size,
    // so that rotation still happens between writes, never inside one.
    if (this.gatheredBytes > 0 && this.size + this.gatheredBytes + data.length > this.rotation.maxBytes) this.flush();
    if (this.gatheredBytes + data.length > GATHER_BYTES || data.length >= DIRECT_BYTES) this.flush();
    if (data.length >= DIRECT_BYTES) return this.writeOut(data);
    data.copy(this.gathered, this.gatheredBytes);
    this.gatheredBytes += data.length;
    if (this.gatheredBytes === GATHER_BYTES) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Writes what is waiting now. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.gatheredBytes === 0) return;
    const data = this.gathered.subarray(0, this.gatheredBytes);
    this.gatheredBytes = 0;
    this.writeOut(data);
  }

  private writeOut(data: Buffer): void {
    try {
      if (this.size > 0 && this.size + data.length > this.rotation.maxBytes) this.rotate();
      let written = 0;
      while (written < data.length) written += writeSync(this.fd, data, written);
      this.size += written;
      if (this.problem !== null) {
        this.problem = null;
        this.onError(`writing ${this.path} works again`);
      }
    } catch (error) {
      if (this.problem === null) {
        this.problem = `cannot write ${this.path}: ${(error as Error).message}`;
        this.onError(`${this.problem}; dropping log lines until it works again`);
      }
    }
  }

  close(): void {
    this.flush();
    closeQuietly(this.fd);
  }

  private rotate(): void {
    if (this.rotation.files === 1) {
      ftruncateSync(this.fd, 0);
      this.size = 0;
      return;
    }
    closeQuietly(this.fd);
    for (let index = this.rotation.files - 1; index >= 1; index--) {
      const from = index === 1 ? this.path : `${this.path}.${index - 1}`;
      try {
        renameSync(from, `${this.path}.${index}`);
      } catch {
        // Fewer files than the limit so far.
      }
    }
    this.fd = openPrivateFile(this.path, "append");
    this.size = fstatSync(this.fd).size;
  }
}

/** One supervisor log line: ISO-8601 UTC time, level, message. */
export function supervisorLine(level: "info" | "warn" | "error", message: string, now = new Date()): string {
  return `${now.toISOString()} ${level.padEnd(5)} ${message}\n`;
}
