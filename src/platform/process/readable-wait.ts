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
// the flood took 1.10-1.12x its floor against 1.02-1.04x this way (12 floods each, in turns). An
// epoll set costs a runner that prints a line every 5 ms less, though: 100-130 ms of CPU over
// 1,000 lines against 115-160 ms, where Bun's stream takes 55-85 ms. This way each line wakes the
// thread twice (the event loop's request, then the pipe) and the event loop once.
import { mkdtempSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { closeQuietly } from "../../lifecycle/control/state-dir.ts";
import { PIPE_CAPACITY } from "./pipe-capacity.ts";

/** What `ps -L` and /proc/<pid>/task/<tid>/comm call the threads (at most 15 bytes). */
export const WAIT_THREAD_NAME = "stigmer-wait";

/**
 * One thread per descriptor, asleep in read(2) on a control pipe until asked to wait: then in
 * poll(2) until the descriptor is readable (or has no writer left), when it calls back once. It
 * stops when the control pipe's write end is closed; only then does it close its end. Signals are
 * blocked on it, so they still reach the event loop's thread and its calls are never interrupted.
 * No headers: only the declarations it needs.
 */
const SOURCE = String.raw`
typedef struct { int fd; short events; short revents; } poll_entry;
extern int poll(poll_entry *entries, unsigned long count, int timeout);
extern int pthread_create(void **thread, const void *attributes, void *(*run)(void *), void *argument);
extern int pthread_detach(void *thread);
extern int pthread_sigmask(int how, const void *set, void *old);
extern void *pthread_self(void);
extern long read(int fd, void *buffer, unsigned long size);
extern int pipe(int fds[2]);
extern int fcntl(int fd, int command, ...);
extern int close(int fd);
extern void *malloc(unsigned long size);
extern void free(void *pointer);
extern int pthread_setname_np(void *thread, const char *name);

#define SIG_BLOCK 0
#define POLLIN 1
#define F_SETFD 2
#define FD_CLOEXEC 1
#define THREAD_NAME "${WAIT_THREAD_NAME}"

typedef void (*on_readable)(int id);
struct watch { int fd; int control; int id; on_readable readable; };

/* Blocks until the next request: 1, or 0 once the control pipe's write end is closed. */
static int requested(int control) {
  char request;
  for (;;) {
    long got = read(control, &request, 1);
    if (got >= 0) return got == 1;
  }
}

static void *run(void *argument) {
  struct watch *watch = argument;
  /* Every bit set: every signal (sigset_t is 128 bytes in glibc). */
  unsigned char all[128];
  for (int byte = 0; byte < 128; byte++) all[byte] = 0xff;
  pthread_sigmask(SIG_BLOCK, all, 0);
  pthread_setname_np(pthread_self(), THREAD_NAME);
  while (requested(watch->control)) {
    poll_entry entries[2] = { { watch->fd, POLLIN, 0 }, { watch->control, POLLIN, 0 } };
    while (poll(entries, 2, -1) < 0) {}
    if (entries[1].revents) break;
    watch->readable(watch->id);
  }
  close(watch->control);
  free(watch);
  return 0;
}

/* Starts the thread for fd; returns the control pipe's write end, or -1. */
int watch_readable(int fd, int id, on_readable readable) {
  int control[2];
  if (pipe(control) != 0) return -1;
  /* Not for children (Bun's spawn closes what it does not hand over, but not every spawn is Bun's):
     one that kept the write end would keep the thread from ever seeing it closed. */
  fcntl(control[0], F_SETFD, FD_CLOEXEC);
  fcntl(control[1], F_SETFD, FD_CLOEXEC);
  struct watch *watch = malloc(sizeof *watch);
  void *thread;
  if (watch) {
    watch->fd = fd; watch->control = control[0]; watch->id = id; watch->readable = readable;
    if (pthread_create(&thread, 0, run, watch) == 0) {
      pthread_detach(thread);
      return control[1];
    }
    free(watch);
  }
  close(control[0]);
  close(control[1]);
  return -1;
}
`;

/** Waits for one descriptor to be readable, as often as asked. */
export interface ReadableWait {
  /** Resolves once the descriptor has something to read, or no writer left. One wait at a time. */
  readable(): Promise<void>;
  /** Stops the thread. The descriptor stays open: it is the caller's to close, after this. */
  close(): void;
}

interface Helper {
  watch(fd: number, id: number): number;
}

const REQUEST = new Uint8Array([1]);

/** Resolvers of the waits in progress, by watch id. */
const waiting = new Map<number, () => void>();
let nextId = 1;
/** Compiled on first use, once; null when it cannot be. */
let helper: Promise<Helper | null> | undefined;
/**
 * The thread's call reaches the event loop through bun:ffi's thread-safe callback, which does not
 * keep the process alive: while any wait is open, this timer does (as a stream being read would).
 */
let keepAlive: ReturnType<typeof setInterval> | null = null;
let openWaits = 0;

/** A wait on `fd` (open, non-blocking, ours), or null where no thread can wait for it. */
export async function readableWait(fd: number): Promise<ReadableWait | null> {
  helper ??= compileHelper();
  const compiled = await helper;
  if (!compiled) return null;
  const id = nextId++;
  const control = compiled.watch(fd, id);
  if (control < 0) return null;
  openWaits++;
  keepAlive ??= setInterval(() => {}, 2 ** 30);
  let closed = false;
  return {
    readable() {
      return new Promise<void>((resolve) => {
        if (closed) return resolve();
        waiting.set(id, resolve);
        // A pipe of our own, holding at most one byte at a time: this write does not block.
        writeSync(control, REQUEST);
      });
    },
    close() {
      if (closed) return;
      closed = true;
      closeQuietly(control);
      settle(id);
      if (--openWaits === 0 && keepAlive) {
        clearInterval(keepAlive);
        keepAlive = null;
      }
    },
  };
}

function settle(id: number): void {
  const resolve = waiting.get(id);
  if (!resolve) return;
  waiting.delete(id);
  resolve();
}

async function compileHelper(): Promise<Helper | null> {
  if (!(globalThis as { Bun?: unknown }).Bun || process.platform !== "linux") return null;
  let dir: string | null = null;
  try {
    const { cc, JSCallback } = await import("bun:ffi");
    // TinyCC reads its source from a file: a private directory, gone again at once.
    dir = mkdtempSync(path.join(tmpdir(), "stigmer-cc-"));
    const source = path.join(dir, "readable-wait.c");
    writeFileSync(source, SOURCE, { mode: 0o600 });
    const library = cc({ source, symbols: { watch_readable: { args: ["i32", "i32", "function"], returns: "i32" } } });
    // One callback for every thread, for the life of the process: a thread may call it after its wait was closed.
    const readable = new JSCallback((id: number) => settle(id), { args: ["i32"], returns: "void", threadsafe: true });
    return { watch: (fd, id) => library.symbols.watch_readable(fd, id, readable.ptr) };
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
 * the next is asked for. `wait` says when the pipe is readable, except after a read that filled the
 * buffer, when more is most likely waiting. Ends when no writer is left; `fd` stays open.
 */
export async function* readWhenReadable(fd: number, wait: ReadableWait): AsyncGenerator<Uint8Array> {
  let buffer = new Uint8Array(FIRST_READ_BYTES);
  let full = false;
  for (;;) {
    if (!full) await wait.readable();
    const bytes = readNow(fd, buffer);
    if (bytes === 0) return;
    full = bytes === buffer.length;
    if (bytes > 0) yield buffer.subarray(0, bytes);
    if (full && buffer.length < PIPE_CAPACITY) buffer = new Uint8Array(PIPE_CAPACITY);
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
