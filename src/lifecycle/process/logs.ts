import { fstatSync, ftruncateSync, lstatSync, renameSync, unlinkSync, writevSync, type Stats } from "node:fs";
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
 * A write of 16 KiB or more is a system call's worth already: it goes out as it is, in the same
 * system call as what waits (writev), instead of being copied first. In a flood, most chunks of
 * the pipe are that big, and each brings the end of a line begun in the chunk before, which
 * waits: one call per chunk instead of two took the flood workload from 1.53x to 1.43x of its
 * floor (bench, 10 turns, in a throwaway build).
 */
const GATHER_BYTES = 64 * 1024;
const DIRECT_BYTES = 16 * 1024;
const FLUSH_MS = 5;

/** How often a log that is written to looks whether its file is still the one at its path. */
const PATH_CHECK_MS = 1000;

/**
 * An append-only log file, rotated by size. A write that fails (disk full, its directory removed)
 * is reported once through `onError` and the bytes are dropped: logging must never stop the
 * runner. It recovers by itself when writing works again. A file moved away or removed (by hand,
 * by logrotate) is left alone: within a second, or at the next rotation, the lines go to a new
 * file at the path. A rotation that cannot move the files is reported once; the file then grows
 * on, and the rotation is tried again once it has grown by another `maxBytes`.
 */
export class LogFile {
  /** Null while no file is open: after close, or while the file at the path cannot be opened. */
  private fd: number | null = null;
  private size = 0;
  private closed = false;
  /** When the file at the path was last compared with ours (performance.now()). */
  private checkedAt = 0;
  /** After a rotation that failed, the size at which the next is tried; null while rotating works. */
  private rotationRetrySize: number | null = null;
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
    this.open();
  }

  /** Takes `bytes`; after close, drops them. */
  write(bytes: Buffer | string): void {
    if (this.closed) return;
    const data = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
    // What is waiting goes first when this write would take the file past its rotation size,
    // so that rotation still happens between writes, never inside one.
    if (this.gatheredBytes > 0 && this.pastSize(this.gatheredBytes + data.length)) this.flush();
    if (data.length >= DIRECT_BYTES) return this.writeOut([this.takeGathered(), data]);
    if (this.gatheredBytes + data.length > GATHER_BYTES) this.flush();
    data.copy(this.gathered, this.gatheredBytes);
    this.gatheredBytes += data.length;
    if (this.gatheredBytes === GATHER_BYTES) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Writes what is waiting now. */
  flush(): void {
    this.writeOut([this.takeGathered()]);
  }

  /** What waits (a view of the reused buffer, empty when nothing does), no longer waiting. */
  private takeGathered(): Buffer {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const data = this.gathered.subarray(0, this.gatheredBytes);
    this.gatheredBytes = 0;
    return data;
  }

  /** Whether `bytes` more would take the file past its size, with a rotation due then (none while a failed one waits). */
  private pastSize(bytes: number): boolean {
    return this.size + bytes > this.rotation.maxBytes && this.size >= (this.rotationRetrySize ?? 0);
  }

  /** Writes `parts` one after the other, rotating first if they would take the file past its size. */
  private writeOut(parts: Buffer[]): void {
    let rest = parts.filter((part) => part.length > 0);
    const total = rest.reduce((sum, part) => sum + part.length, 0);
    if (total === 0 || this.closed) return;
    try {
      let fd = this.current();
      // An empty file takes what comes, however big.
      if (this.size > 0 && this.pastSize(total)) fd = this.rotate(fd);
      while (rest.length > 0) {
        const written = writevSync(fd, rest);
        this.size += written;
        rest = afterWritten(rest, written);
      }
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
    this.closed = true;
    this.release();
  }

  /** The descriptor to write to: the file at the path, opened anew when ours is no longer there. */
  private current(): number {
    if (this.fd === null) return this.open();
    const now = performance.now();
    if (now - this.checkedAt < PATH_CHECK_MS) return this.fd;
    this.checkedAt = now;
    const ours = this.statAtPath(this.fd);
    if (!ours) return this.reopen();
    // Truncated by another program (logrotate's copytruncate): the next rotation counts from what is there.
    this.size = ours.size;
    return this.fd;
  }

  /** `fd`'s file, when it is the one at the path (not moved away, removed, or replaced); else null. */
  private statAtPath(fd: number): Stats | null {
    try {
      const [here, ours] = [lstatSync(this.path), fstatSync(fd)];
      return here.ino === ours.ino && here.dev === ours.dev ? ours : null;
    } catch {
      return null;
    }
  }

  /** Opens the file at the path (or throws); its size there decides the next rotation. */
  private open(): number {
    const fd = openPrivateFile(this.path, "append");
    try {
      this.size = fstatSync(fd).size;
    } catch (error) {
      closeQuietly(fd);
      throw error;
    }
    this.fd = fd;
    this.checkedAt = performance.now();
    return fd;
  }

  /**
   * Lets go of the descriptor, forgotten before it is closed: should no file open after it, no
   * later write may reach whatever file or socket is given its number next.
   */
  private release(): void {
    const fd = this.fd;
    this.fd = null;
    this.size = 0;
    if (fd !== null) closeQuietly(fd);
  }

  private reopen(): number {
    this.release();
    return this.open();
  }

  /** Moves the files along and opens a new one at the path; returns the descriptor to write to. */
  private rotate(fd: number): number {
    // Moved away or removed already: a new file at the path is the rotation, and the other one is not touched.
    if (!this.statAtPath(fd)) return this.reopen();
    // One file kept: a new one in its place, not the old one truncated, so that `logs -f` sees a
    // new file rather than the one it reads shrink and grow again under it.
    if (this.rotation.files === 1) {
      try {
        unlinkSync(this.path);
      } catch (error) {
        // Gone already: the new file is all there is to do. A directory that keeps its names (read-only): truncated in place, as it can be.
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
          ftruncateSync(fd, 0);
          this.size = 0;
          return fd;
        }
      }
      return this.reopen();
    }
    const failure = this.shiftFiles();
    if (failure !== null) {
      if (this.rotationRetrySize === null) this.onError(`cannot rotate ${this.path}: ${failure}; it grows past its size until it can`);
      this.rotationRetrySize = this.size + this.rotation.maxBytes;
      return fd;
    }
    if (this.rotationRetrySize !== null) {
      this.rotationRetrySize = null;
      this.onError(`rotating ${this.path} works again`);
    }
    return this.reopen();
  }

  /** `log.<n-2>` → `log.<n-1>` … `log` → `log.1`; stops at the first move that fails (a missing file is fine), and says why. */
  private shiftFiles(): string | null {
    for (let index = this.rotation.files - 1; index >= 1; index--) {
      const from = index === 1 ? this.path : `${this.path}.${index - 1}`;
      try {
        renameSync(from, `${this.path}.${index}`);
      } catch (error) {
        // Fewer files than the limit so far.
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") return (error as Error).message;
      }
    }
    return null;
  }
}

/** What is left of `parts` once their first `written` bytes have gone out. */
export function afterWritten(parts: Buffer[], written: number): Buffer[] {
  let skip = written;
  let index = 0;
  while (index < parts.length && skip >= parts[index]!.length) skip -= parts[index++]!.length;
  const rest = parts.slice(index);
  if (rest.length > 0 && skip > 0) rest[0] = rest[0]!.subarray(skip);
  return rest;
}

/** One supervisor log line: ISO-8601 UTC time, level, message. */
export function supervisorLine(level: "info" | "warn" | "error", message: string, now = new Date()): string {
  return `${now.toISOString()} ${level.padEnd(5)} ${message}\n`;
}
