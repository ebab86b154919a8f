// The supervisor's gRPC health calls, made by a short-lived process of our own (check-server.ts).
//
// The supervisor lives all day. Loading @grpc/grpc-js (with node:http2) into it costs ~17 MiB
// of memory for good, and ~40 ms of CPU; its checks are few: while a component starts, and when
// a port's state changes (watch.ts looks at the port itself, with a bare TCP connect). So the calls
// go to a process started when the first is needed (or ahead, while a component starts), kept
// while calls keep coming, and ended after IDLE_MS without one: at rest, the supervisor holds no
// gRPC code and no HTTP/2 connection.
import { selfCommand } from "../platform/process/self.ts";
import { killNow, startChild, type Child } from "../platform/process/spawn.ts";
import { unrefTimeout, type TimerHandle } from "../platform/process/timers.ts";
import { cancelledCheck, checkResult, type CheckOnce, type DaemonCheck } from "./check.ts";
import { LineSplitter, parseAnswer, type CheckerRequest } from "./checker-protocol.ts";
import { noAnswerWithin } from "./tcp.ts";

/**
 * How long the process stays after its last answer, in case another call comes: while the stack
 * starts, the next component's checks and the watcher's first call follow within milliseconds.
 * Measured (bench/RESULTS.md), the process holds ~11 MiB of private memory while it lives.
 */
const IDLE_MS = 2_000;
/** On top of a call's own deadline: the process may have to start and load gRPC first. */
const START_ALLOWANCE_MS = 10_000;

interface Pending {
  child: Child;
  endpoint: string;
  resolve(check: DaemonCheck): void;
}

export interface HealthCheckerOptions {
  /** The command that serves the calls; by default this program's `local __health-checks`. */
  command?: { command: string; args: string[] };
  idleMs?: number;
}

export class HealthChecker {
  readonly #command: { command: string; args: string[] };
  readonly #idleMs: number;
  #process: Child | null = null;
  /** Those whose exit has been seen: their pid may already name another process. */
  readonly #exited = new WeakSet<Child>();
  #idleTimer: TimerHandle | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #closed = false;

  constructor(options: HealthCheckerOptions = {}) {
    this.#command = options.command ?? checkerCommand();
    this.#idleMs = options.idleMs ?? IDLE_MS;
  }

  /** The process's pid while it runs. */
  get pid(): number | null {
    return this.#process?.pid ?? null;
  }

  /** Starts the process now, so that the first call does not wait for it to load gRPC. */
  warm(): void {
    this.#ensureProcess();
    this.#armIdleTimer();
  }

  /** A health call to `endpoint` for `service` ("" the server as a whole). */
  check(endpoint: string, service: string, deadlineMs: number, signal?: AbortSignal): Promise<DaemonCheck> {
    // Closed: the supervisor is stopping, and a readiness wait still under way must not start another process.
    if (signal?.aborted || this.#closed) return Promise.resolve(cancelledCheck(endpoint));
    const child = this.#ensureProcess();
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    const id = this.#nextId++;
    return new Promise<DaemonCheck>((resolve) => {
      const guard = setTimeout(() => {
        // The process did not answer in time: it is stuck, so it goes, and the next call starts another.
        finish(checkResult(endpoint, "unreachable", noAnswerWithin(deadlineMs)));
        this.#end(child, { kill: true });
      }, deadlineMs + START_ALLOWANCE_MS);
      const cancel = () => {
        this.#send(child, { cancel: id });
        finish(cancelledCheck(endpoint));
      };
      const finish = (check: DaemonCheck) => {
        if (!this.#pending.delete(id)) return;
        clearTimeout(guard);
        signal?.removeEventListener("abort", cancel);
        if (this.#pending.size === 0) this.#armIdleTimer();
        resolve(check);
      };
      this.#pending.set(id, { child, endpoint, resolve: finish });
      signal?.addEventListener("abort", cancel, { once: true });
      this.#send(child, { id, endpoint, service, deadlineMs });
    });
  }

  /** A CheckOnce for one endpoint and service, for waitUntilAnswers and lookFirst. */
  checkOnce(endpoint: string, service = ""): CheckOnce {
    return (deadlineMs, signal) => this.check(endpoint, service, deadlineMs, signal);
  }

  /** Ends the process for good; calls under way come back unreachable, later ones cancelled. */
  close(): void {
    this.#closed = true;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    // Killed, not only told: the supervisor is about to exit, and leaves nothing behind.
    if (this.#process) this.#end(this.#process, { kill: true });
  }

  #ensureProcess(): Child {
    if (this.#process) return this.#process;
    const child = startChild(this.#command.command, this.#command.args, { stdin: "pipe", stdout: "pipe", stderr: "ignore" });
    this.#process = child;
    void this.#readAnswers(child);
    void child.exited.then((exit) => {
      this.#exited.add(child);
      const why = exit.startError ? `did not start: ${exit.startError.message}` : `exited (${exit.signal ?? `code ${exit.code}`})`;
      this.#failAll(child, `the health checker ${why}`);
    });
    return child;
  }

  async #readAnswers(child: Child): Promise<void> {
    if (!child.stdout) return;
    const lines = new LineSplitter();
    const decoder = new TextDecoder();
    try {
      for await (const chunk of child.stdout) {
        for (const line of lines.push(decoder.decode(chunk, { stream: true }))) {
          const answer = parseAnswer(line);
          if (answer) this.#pending.get(answer.id)?.resolve(answer.check);
        }
      }
    } catch {
      // The pipe broke: the process's exit answers the calls still pending.
    }
  }

  /** A write after the process died is dropped (see spawn.ts): its exit answers the calls. */
  #send(child: Child, request: CheckerRequest): void {
    child.stdin?.write(`${JSON.stringify(request)}\n`);
  }

  #armIdleTimer(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    const child = this.#process;
    // Unref'd: a process otherwise done does not wait for it.
    this.#idleTimer = child ? unrefTimeout(() => this.#end(child, { kill: false }), this.#idleMs) : null;
  }

  /** Closing its input ends it (check-server.ts); `kill` for one that may be stuck, or when we are about to exit. */
  #end(child: Child, { kill }: { kill: boolean }): void {
    if (this.#process === child) this.#process = null;
    child.stdin?.end();
    if (kill && child.pid > 0 && !this.#exited.has(child)) killNow(child.pid);
    this.#failAll(child, "the health checker was ended");
  }

  #failAll(child: Child, why: string): void {
    if (this.#process === child) this.#process = null;
    for (const pending of [...this.#pending.values()]) if (pending.child === child) pending.resolve(checkResult(pending.endpoint, "unreachable", why));
  }
}

/**
 * This program's `local __health-checks`. On Linux through /proc/self/exe: the binary that runs,
 * even once an upgrade (`brew upgrade`) has deleted or replaced its file, so the checker is always
 * the supervisor's own version.
 */
function checkerCommand(): { command: string; args: string[] } {
  const self = selfCommand();
  const command = process.platform === "linux" && self.command === process.execPath ? "/proc/self/exe" : self.command;
  return { command, args: [...self.args, "local", "__health-checks"] };
}
