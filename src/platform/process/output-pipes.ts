import { constants, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { closeQuietly } from "../../lifecycle/control/state-dir.ts";
import { DEFAULT_PIPE_CAPACITY, PIPE_CAPACITY, raisePipeCapacity } from "./pipe-capacity.ts";
import { readableWait, readWhenReadable, type ReadableWait } from "./readable-wait.ts";
import { readUntil, runToEnd, startChild, type OutputStream } from "./spawn.ts";

/** A child's stdout and stderr as real pipes: the ends to hand to `spawn`, and the streams to read. */
export interface OutputPipes {
  /** The write ends, for the child's fds 1 and 2. */
  writeEnds: [number, number];
  stdout: OutputStream;
  stderr: OutputStream;
  /** Our copies of the write ends: closed once the child holds its own, so its exit ends the streams. */
  closeWriteEnds(): void;
  /** How many bytes each pipe holds: more once they have been raised. */
  capacity(): number;
  /** Raises the pipes' capacity in the background, once (Linux; see pipe-capacity.ts): those still being read. */
  raiseCapacity(): void;
}

interface BunFile {
  stream(): ReadableStream<Uint8Array>;
}
type BunGlobal = { file(fd: number): BunFile };

const bun = (globalThis as { Bun?: BunGlobal }).Bun;

/**
 * Why this exists: Bun's `"pipe"` stdio is a socketpair. A runner that prints line by line
 * (PYTHONUNBUFFERED=1, which the contract sets) pays for that: each write becomes a socket
 * buffer of its own, the socket holds ~270 of them (27 KB of 100-byte lines), and the reader wakes
 * every few lines. A 200 MB flood took 7.3 s through it where `> file` took 5.1 s; through a
 * pipe, 5.1 s. Node and Deno give children real pipes already, so they use `"pipe"`.
 *
 * A pipe is made from a FIFO (no JavaScript runtime can call pipe(2)): `mkfifo` in a fresh
 * private directory, both ends opened, the name removed at once. Spawning `mkfifo` takes a few
 * milliseconds, so the pair for the next child is made in the background while this one runs,
 * keeping it out of the restart gap (and the first child's while a foreground start waits for the
 * services the runner needs: see prepareOutputPipes). When `mkfifo` cannot be used, children get
 * `"pipe"`. A pair a child floods is raised from 64 KiB to 1 MiB on Linux (pipe-capacity.ts).
 *
 * Each pipe is read into a buffer of ours once a thread of ours finds it readable
 * (readable-wait.ts: a flooding runner writes faster than under Bun's stream); with Bun's stream
 * where no such thread can be started.
 */
class FifoSupply {
  private spare: FifoPair | null = null;
  private preparing = false;
  private broken = false;

  take(): FifoPair | null {
    if (this.broken) return null;
    const pair = this.spare ?? this.makeNow();
    this.spare = null;
    // Once the child this pair is for has been spawned (synchronously, by our caller): spawning
    // mkfifo first held that spawn back by its own (the parent waits for the exec).
    if (pair) queueMicrotask(() => this.prepareNext());
    return pair;
  }

  private makeNow(): FifoPair | null {
    const dir = privateDir();
    if (!dir) return this.giveUp();
    const names = fifoNames(dir);
    if (runToEnd("mkfifo", ["-m", "600", ...names], { stdout: "ignore" }).status !== 0) {
      removeQuietly(dir);
      return this.giveUp();
    }
    return openFifos(dir, names) ?? this.giveUp();
  }

  /** Has the next pair made in the background: before the first child too, when one is sure to come. */
  prepareNext(): void {
    if (this.preparing || this.spare) return;
    const dir = privateDir();
    if (!dir) return;
    this.preparing = true;
    const names = fifoNames(dir);
    const child = startChild("mkfifo", ["-m", "600", ...names], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    // A process on its way out does not wait for this, but takes the directory with it: a mkfifo
    // still running then finds it gone and makes nothing.
    const removeOnExit = () => removeQuietly(dir);
    process.once("exit", removeOnExit);
    void child.exited.then(({ code }) => {
      process.off("exit", removeOnExit);
      this.preparing = false;
      if (code !== 0) return removeQuietly(dir);
      this.spare = openFifos(dir, names);
    });
    child.unref();
  }

  private giveUp(): null {
    this.broken = true;
    return null;
  }
}

interface FifoPair {
  read: [number, number];
  write: [number, number];
}

function privateDir(): string | null {
  try {
    return mkdtempSync(path.join(tmpdir(), "stigmer-pipe-"));
  } catch {
    return null;
  }
}

function fifoNames(dir: string): [string, string] {
  return [path.join(dir, "stdout"), path.join(dir, "stderr")];
}

/** Opens both ends of both FIFOs (the read end first, without blocking, so the write end can open), then removes them by name. */
function openFifos(dir: string, names: [string, string]): FifoPair | null {
  const opened: number[] = [];
  try {
    for (const name of names) {
      opened.push(openSync(name, constants.O_RDONLY | constants.O_NONBLOCK));
      opened.push(openSync(name, constants.O_WRONLY));
    }
    return { read: [opened[0]!, opened[2]!], write: [opened[1]!, opened[3]!] };
  } catch {
    for (const fd of opened) closeQuietly(fd);
    return null;
  } finally {
    removeQuietly(dir);
  }
}

function removeQuietly(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Only names of FIFOs nobody else can open (the directory is 0700); nothing to lose.
  }
}

/**
 * Reads a pipe until every writer has closed it, or until `signal` aborts (the reader gives up on
 * what is left: see LaunchedProcess.abandonOutput), then closes our end and says so.
 */
async function* readPipe(read: (fd: number) => BunFile, fd: number, closed: () => void, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  let wait: ReadableWait | null = null;
  const stopWaiting = () => wait?.close();
  signal.addEventListener("abort", stopWaiting, { once: true });
  try {
    wait = signal.aborted ? null : await readableWait(fd);
    if (signal.aborted) return;
    if (wait) {
      const ended = yield* readWhenReadable(fd, wait);
      if (ended === "end" || signal.aborted) return;
      // The thread stopped on its own: the rest through Bun's stream.
    }
    yield* readUntil(read(fd).stream(), signal);
  } finally {
    signal.removeEventListener("abort", stopWaiting);
    wait?.close();
    closeQuietly(fd);
    closed();
  }
}

const supply = bun && process.platform !== "win32" ? new FifoSupply() : null;

/**
 * Starts making the next child's pipes in the background, so a spawn that comes later does not
 * wait for `mkfifo`: a foreground `start` calls it while it waits for the services the runner needs.
 */
export function prepareOutputPipes(): void {
  supply?.prepareNext();
}

/**
 * Real pipes for the next child's output, or null when `"pipe"` stdio already is one (or none can
 * be made). Once `signal` aborts, they are read no more and closed.
 */
export function takeOutputPipes(signal: AbortSignal): OutputPipes | null {
  const pair = supply?.take();
  if (!pair || !bun) return null;
  const read = (fd: number) => bun.file(fd);
  // A read end once closed may be another file's number by now: only those still open are raised.
  const open = new Set(pair.read);
  let capacity = DEFAULT_PIPE_CAPACITY;
  let raising = false;
  return {
    writeEnds: pair.write,
    stdout: readPipe(read, pair.read[0], () => open.delete(pair.read[0]), signal),
    stderr: readPipe(read, pair.read[1], () => open.delete(pair.read[1]), signal),
    closeWriteEnds() {
      for (const fd of pair.write) closeQuietly(fd);
    },
    capacity: () => capacity,
    raiseCapacity() {
      if (raising) return;
      raising = true;
      void raisePipeCapacity([...open]).then((raised) => {
        if (raised) capacity = PIPE_CAPACITY;
      });
    },
  };
}
