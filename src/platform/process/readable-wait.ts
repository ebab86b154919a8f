// Waiting for a pipe to have something to read on a thread of its own, so the supervisor can read
// it with plain non-blocking reads into one buffer of its own (readWhenReadable, below).
//
// Why: a runner that floods its output writes more slowly when the process reading the other end
// pays more for each read. Bun's only way to wait for a pipe on its event loop is its stream, which
// allocates a fresh buffer for every read and takes none of ours; under it the flood workload's
// runner spent 1.2-1.6x its CPU time under `| cat > file`, where an epoll loop reading into one
// reused buffer costs the runner nothing more (bench/RESULTS.md, session 17). A JavaScript Worker
// could wait instead, but keeps ~8 MiB resident all day; this thread keeps a few KiB.
//
// No JavaScript runtime can start a thread that waits in poll(2), so it is written in C and
// compiled when first needed by the C compiler built into Bun (bun:ffi's `cc`, TinyCC, ~8 ms,
// once per process). bun:ffi stays out of every other path: loading it costs ~4 MiB resident.
// Linux only, where it is tested; elsewhere, and wherever it cannot be compiled or started, there
// is no wait and the caller reads with Bun's stream.
//
// poll(2), not one epoll set for every pipe: a pipe in an epoll set has each of its writer's
// writes run the set's wake-up, and even added only while a wait is open and removed at its call,
// the flood took 1.10-1.12x its floor against 1.02-1.04x this way (12 floods each, in turns). The
// thread tells the event loop through a pipe of its own, which Bun's stream reads: that pipe is in
// the event loop's epoll set, but only the thread writes to it, once per wait.
import { mkdtempSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { closeQuietly } from "../../lifecycle/control/state-dir.ts";
import { PIPE_CAPACITY } from "./pipe-capacity.ts";

/** What `ps -L` and /proc/<pid>/task/<tid>/comm call the threads (at most 15 bytes). */
export const WAIT_THREAD_NAME = "stigmer-wait";

/**
 * One thread per descriptor, asleep in read(2) on a control pipe until asked to wait: then in
 * poll(2) until the descriptor is readable (or has no writer left), when it writes one byte to its
 * reply pipe, which the event loop reads with Bun's stream. It stops when the control pipe's write
 * end is closed (or on any error), closing its ends, so the reply stream ends too. Not bun:ffi's
 * thread-safe JSCallback: Bun has a history of heap corruption when a thread not its own calls one
 * (oven-sh/bun#28113, #33840, #41857), and a supervisor that runs all day must not crash. Signals
 * are blocked on the thread, so they reach the event loop's and its calls are never interrupted.
 * No headers: only the declarations it needs (glibc, 64-bit).
 */
const SOURCE = String.raw`
typedef struct { int fd; short events; short revents; } poll_entry;
extern int poll(poll_entry *entries, unsigned long count, int timeout);
extern int pthread_create(void **thread, const void *attributes, void *(*run)(void *), void *argument);
extern int pthread_detach(void *thread);
extern int pthread_sigmask(int how, const void *set, void *old);
extern void *pthread_self(void);
extern int pthread_setname_np(void *thread, const char *name);
extern long read(int fd, void *buffer, unsigned long size);
extern long write(int fd, const void *buffer, unsigned long size);
extern int pipe2(int fds[2], int flags);
extern int close(int fd);
extern void *malloc(unsigned long size);
extern void free(void *pointer);

#define SIG_BLOCK 0
#define POLLIN 1
#define O_CLOEXEC 02000000
#define THREAD_NAME "${WAIT_THREAD_NAME}"

struct watch { int fd; int control; int reply; };

static void *run(void *argument) {
  struct watch *watch = argument;
  /* Every bit set: every signal (sigset_t is 128 bytes in glibc). */
  unsigned char all[128];
  for (int byte = 0; byte < 128; byte++) all[byte] = 0xff;
  pthread_sigmask(SIG_BLOCK, all, 0);
  pthread_setname_np(pthread_self(), THREAD_NAME);
  char request;
  /* One byte asks for one wait; the end of the control pipe, or an error, stops the thread. */
  while (read(watch->control, &request, 1) == 1) {
    poll_entry entries[2] = { { watch->fd, POLLIN, 0 }, { watch->control, POLLIN, 0 } };
    if (poll(entries, 2, -1) < 0 || entries[1].revents) break;
    if (write(watch->reply, "r", 1) != 1) break;
  }
  close(watch->control);
  close(watch->reply);
  free(watch);
  return 0;
}

/* Starts the thread for fd: ends[0] is then the control pipe's write end, ends[1] the reply pipe's read end. 0, or -1. */
int watch_readable(int fd, int *ends) {
  int control[2], reply[2];
  /* Close-on-exec: a child that kept the control pipe's write end would keep the thread from stopping. */
  if (pipe2(control, O_CLOEXEC) != 0) return -1;
  if (pipe2(reply, O_CLOEXEC) != 0) {
    close(control[0]);
    close(control[1]);
    return -1;
  }
  struct watch *watch = malloc(sizeof *watch);
  void *thread;
  if (watch) {
    watch->fd = fd; watch->control = control[0]; watch->reply = reply[1];
    if (pthread_create(&thread, 0, run, watch) == 0) {
      pthread_detach(thread);
      ends[0] = control[1];
      ends[1] = reply[0];
      return 0;
    }
    free(watch);
  }
  close(control[0]);
  close(control[1]);
  close(reply[0]);
  close(reply[1]);
  return -1;
}
`;

/** Waits for one descriptor to be readable, as often as asked. */
export interface ReadableWait {
  /** Resolves once the descriptor has something to read, or no writer left (or the wait is closed). One wait at a time. */
  readable(): Promise<void>;
  /** Stops the thread. The descriptor stays open: it is the caller's to close, after this. */
  close(): void;
  /** Whether it was closed, or its thread stopped on its own: a wait then resolves at once. */
  readonly closed: boolean;
}

type Watch = (fd: number, ends: Int32Array) => number;
type BunFiles = { file(fd: number): { stream(): ReadableStream<Uint8Array> } };

/** Bun's API, where a wait can be had: Bun on Linux. */
const bun = process.platform === "linux" ? (globalThis as { Bun?: BunFiles }).Bun : undefined;

const REQUEST = new Uint8Array([1]);

/** Compiled on first use, once; null when it cannot be. */
let helper: Promise<Watch | null> | undefined;

/** A wait on `fd` (open, non-blocking, ours), or null where no thread can wait for it. */
export async function readableWait(fd: number): Promise<ReadableWait | null> {
  helper ??= compileHelper();
  const watch = await helper;
  if (!watch || !bun) return null;
  const ends = new Int32Array(2);
  if (watch(fd, ends) !== 0) return null;
  const [control, reply] = [ends[0]!, ends[1]!];
  // Our own pipe, in the event loop's epoll set where the runner's is not: the thread's one byte per wait.
  const replies = bun.file(reply).stream().getReader();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    closeQuietly(control);
  };
  /** Who waits now; each reply byte, and the end, lets them go. */
  let waiter: (() => void) | null = null;
  const letGo = () => {
    const waiting = waiter;
    waiter = null;
    waiting?.();
  };
  // The only reader of the reply pipe. Its end comes once the thread has stopped (on close, or an
  // error of its own): only then is the read end ours to close.
  void (async () => {
    try {
      while (!(await replies.read()).done) letGo();
    } catch {
      // A failed read of our own pipe ends it the same way.
    }
    close();
    closeQuietly(reply);
    letGo();
  })();
  return {
    readable() {
      if (closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        waiter = resolve;
        // A pipe of our own that holds at most one byte at a time: this write does not block.
        writeSync(control, REQUEST);
      });
    },
    close,
    get closed() {
      return closed;
    },
  };
}

async function compileHelper(): Promise<Watch | null> {
  if (!bun) return null;
  let dir: string | null = null;
  try {
    const { cc } = await import("bun:ffi");
    // TinyCC reads its source from a file: a private directory, gone again at once.
    dir = mkdtempSync(path.join(tmpdir(), "stigmer-cc-"));
    const source = path.join(dir, "readable-wait.c");
    writeFileSync(source, SOURCE, { mode: 0o600 });
    const library = cc({ source, symbols: { watch_readable: { args: ["i32", "ptr"], returns: "i32" } } });
    return (fd, ends) => library.symbols.watch_readable(fd, ends);
  } catch {
    return null;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** The first read buffer's size; one that a read fills is replaced by one of PIPE_CAPACITY (a flood). */
const FIRST_READ_BYTES = 64 * 1024;

/**
 * Non-blocking reads of `fd` into a buffer of ours, reused: each chunk is a view of it, good until
 * the next is asked for. Each read waits for `wait` first, even after one that filled the buffer:
 * the event loop then gets its turn between reads however fast the writer is (signals, the control
 * socket, a child's exit). Ends when no writer is left ("end") or the wait is closed ("closed");
 * `fd` stays open.
 */
export async function* readWhenReadable(fd: number, wait: ReadableWait): AsyncGenerator<Uint8Array, "end" | "closed"> {
  let buffer = new Uint8Array(FIRST_READ_BYTES);
  for (;;) {
    await wait.readable();
    if (wait.closed) return "closed";
    const bytes = readNow(fd, buffer);
    if (bytes === 0) return "end";
    if (bytes > 0) yield buffer.subarray(0, bytes);
    if (bytes === buffer.length && buffer.length < PIPE_CAPACITY) buffer = new Uint8Array(PIPE_CAPACITY);
  }
}

/** One read: its bytes, 0 at the end (no writer left), -1 when there is nothing to read yet. */
function readNow(fd: number, buffer: Uint8Array): number {
  try {
    return readSync(fd, buffer, 0, buffer.length, null);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EAGAIN") return -1;
    throw error;
  }
}
