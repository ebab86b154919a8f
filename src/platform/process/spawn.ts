// Starting child processes: the runner and the other components, the orphan guard, `mkfifo`, `ps`.
//
// Under Bun through `Bun.spawn`, elsewhere (Deno) through node:child_process. The background
// supervisor lives all day, and what it runs once stays resident: measured on compiled probes
// (bench/RESULTS.md, "--probes"), node:child_process with piped output cost 8.3 MiB of memory,
// Bun.spawn 2.4 MiB. So node:child_process is fetched only where it is used, with
// process.getBuiltinModule, never imported: an import would load it under Bun as well.
import type { ChildProcess, SpawnSyncReturns } from "node:child_process";

/**
 * A child's output as the parent reads it: a Node `Readable` and a web `ReadableStream` both are.
 * A chunk may be a view of memory the stream reads into again (output-pipes.ts): it is good until
 * the next chunk is asked for, and whoever keeps it longer keeps a copy.
 */
export type OutputStream = AsyncIterable<Uint8Array>;

/**
 * `stream`'s chunks until its end, or until `signal` aborts: then a read still waiting ends at
 * once (a web stream's reader is cancelled, a Node stream destroyed), even while a process that
 * outlived the child (one it started in a session of its own) still holds the pipe's write end.
 */
export async function* readUntil(stream: OutputStream, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  if (signal.aborted) return;
  if (!isWebStream(stream)) {
    const destroy = () => (stream as { destroy?: () => void }).destroy?.();
    signal.addEventListener("abort", destroy, { once: true });
    try {
      for await (const chunk of stream) yield chunk;
    } catch (error) {
      // A stream destroyed on purpose ends; any other failure is the caller's to hear.
      if (!signal.aborted) throw error;
    } finally {
      signal.removeEventListener("abort", destroy);
    }
    return;
  }
  const reader = stream.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    signal.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
}

function isWebStream(stream: OutputStream): stream is ReadableStream<Uint8Array> {
  return typeof (stream as { getReader?: unknown }).getReader === "function";
}

/** Where a child's stdout or stderr goes: nowhere, a pipe we read, or a descriptor of ours (a pipe's write end). */
export type OutputTarget = "ignore" | "pipe" | number;

export interface ChildOptions {
  cwd?: string;
  env?: Readonly<Record<string, string>>;
  /** Leader of a new session and process group (POSIX; on Windows, a process of its own). */
  detached?: boolean;
  stdin: "ignore" | "pipe";
  stdout: OutputTarget;
  stderr: OutputTarget;
  /** Descriptors of ours the child gets as its fds 3, 4, …, in this order. */
  extraFds?: readonly number[];
}

/** Why a child could not be started at all: the system's error (`ENOENT`, `EACCES`). */
export interface StartError {
  code: string | undefined;
  message: string;
}

export interface ChildExit {
  code: number | null;
  /** The signal that ended it, by name (`SIGTERM`). */
  signal: string | null;
  startError?: StartError;
}

/** Our end of a child's stdin. */
export interface ChildInput {
  write(text: string): void;
  /** Closes it: the child reads the end. */
  end(): void;
}

export interface Child {
  /** -1 when it could not be started (`exited` says why). */
  pid: number;
  stdin: ChildInput | null;
  stdout: OutputStream | null;
  stderr: OutputStream | null;
  /** Resolves once it has exited and been reaped; never rejects. */
  exited: Promise<ChildExit>;
  /** This process may exit while the child (and the pipe to its stdin) still runs. */
  unref(): void;
}

/** How a child run to its end went: its exit code (null when killed or not started) and what it printed. */
export interface Finished {
  status: number | null;
  stdout: string;
}

/** Bun's FileSink: a write, flush or end may return a promise, which rejects (EPIPE) when the child is gone. */
interface BunSink {
  write(text: string): number | Promise<number>;
  flush(): number | Promise<number>;
  end(): number | Promise<number>;
  unref(): void;
}

/** Runs a sink call, dropping its failure, thrown or rejected: the child is gone, and what it would have read does not matter any more. */
function quietly(call: () => unknown): void {
  try {
    const result = call();
    if (result instanceof Promise) result.catch(() => {});
  } catch {
    // Thrown at once: the same.
  }
}
interface BunSubprocess {
  pid: number;
  stdin: BunSink | null;
  stdout: ReadableStream<Uint8Array> | null;
  stderr: ReadableStream<Uint8Array> | null;
  unref(): void;
}
type BunStdio = "ignore" | "pipe" | number;
interface BunSpawnOptions {
  cwd?: string;
  env?: Readonly<Record<string, string>>;
  detached?: boolean;
  windowsHide: boolean;
  stdio: BunStdio[];
  onExit?(subprocess: unknown, code: number | null, signal: string | null): void;
}
interface BunRuntime {
  spawn(command: string[], options: BunSpawnOptions): BunSubprocess;
  spawnSync(command: string[], options: BunSpawnOptions): { exitCode: number | null; stdout: Uint8Array | null };
}

/** One way to start children per runtime. */
export interface Spawner {
  /** Starts `command`; a failure to start is not thrown, it is how `exited` resolves. */
  start(command: string, args: readonly string[], options: ChildOptions): Child;
  /** Runs `command` to its end, waiting for it: short helpers only (`mkfifo`, `ps`, `taskkill`). Never throws. */
  runToEnd(command: string, args: readonly string[], options: { stdout: "ignore" | "text" }): Finished;
}

const bun = (globalThis as { Bun?: BunRuntime }).Bun;

/**
 * SIGKILL to a process (or, negative, a process group), one not known to have been reaped: the
 * caller's to know, since a reaped pid may already name another. Gone already is not an error.
 */
export function killNow(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Through Bun.spawn; null where Bun is not. */
export const bunSpawner: Spawner | null = bun
  ? {
      start: (command, args, options) => bunStart(bun, command, args, options),
      runToEnd(command, args, options) {
        try {
          const result = bun.spawnSync([command, ...args], { stdio: ["ignore", outputOf(options), "ignore"], windowsHide: true });
          return { status: result.exitCode, stdout: result.stdout ? Buffer.from(result.stdout).toString("utf8") : "" };
        } catch {
          return { status: null, stdout: "" };
        }
      },
    }
  : null;

/** Through node:child_process: where Bun is not (Deno). */
export const nodeSpawner: Spawner = {
  start: nodeStart,
  runToEnd(command, args, options) {
    const result: SpawnSyncReturns<string> = childProcess().spawnSync(command, [...args], {
      encoding: "utf8",
      stdio: ["ignore", outputOf(options), "ignore"],
      windowsHide: true,
    });
    return { status: result.status, stdout: result.stdout ?? "" };
  },
};

const spawner = bunSpawner ?? nodeSpawner;
export const startChild = spawner.start;
export const runToEnd = spawner.runToEnd;

function outputOf(options: { stdout: "ignore" | "text" }): "ignore" | "pipe" {
  return options.stdout === "text" ? "pipe" : "ignore";
}

function bunStart(runtime: BunRuntime, command: string, args: readonly string[], options: ChildOptions): Child {
  let settle!: (exit: ChildExit) => void;
  const exited = new Promise<ChildExit>((resolve) => (settle = resolve));
  let subprocess: BunSubprocess;
  try {
    subprocess = runtime.spawn([command, ...args], {
      cwd: options.cwd,
      env: options.env,
      detached: options.detached,
      windowsHide: true,
      stdio: [options.stdin, options.stdout, options.stderr, ...(options.extraFds ?? [])],
      onExit: (_subprocess, code, signal) => settle({ code: signal ? null : code, signal }),
    });
  } catch (error) {
    // Bun throws what Node reports as an 'error' event: a missing or non-executable file.
    settle({ code: null, signal: null, startError: startError(error) });
    return { pid: -1, stdin: null, stdout: null, stderr: null, exited, unref() {} };
  }
  const sink = subprocess.stdin;
  return {
    pid: subprocess.pid,
    stdin: sink && {
      write(text) {
        quietly(() => sink.write(text));
        quietly(() => sink.flush());
      },
      end() {
        quietly(() => sink.end());
      },
    },
    stdout: subprocess.stdout,
    stderr: subprocess.stderr,
    exited,
    unref() {
      subprocess.unref();
      sink?.unref();
    },
  };
}

function nodeStart(command: string, args: readonly string[], options: ChildOptions): Child {
  const child: ChildProcess = childProcess().spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env,
    detached: options.detached,
    windowsHide: true,
    stdio: [options.stdin, options.stdout, options.stderr, ...(options.extraFds ?? [])],
  });
  const exited = new Promise<ChildExit>((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, startError: startError(error) }));
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const input = child.stdin;
  input?.on("error", () => {});
  return {
    pid: child.pid ?? -1,
    stdin: input && { write: (text) => void input.write(text), end: () => void input.end() },
    stdout: child.stdout,
    stderr: child.stderr,
    exited,
    unref() {
      child.unref();
      (input as unknown as { unref?: () => void } | null)?.unref?.();
    },
  };
}

function startError(error: unknown): StartError {
  return { code: (error as NodeJS.ErrnoException).code, message: (error as Error).message };
}

function childProcess(): typeof import("node:child_process") {
  return process.getBuiltinModule("node:child_process");
}
