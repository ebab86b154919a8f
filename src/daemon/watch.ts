// The supervisor's watch on the daemon, all day: a bare TCP connect every few seconds, and the
// gRPC health call only where it tells something new (checker.ts runs it outside the supervisor).
//
// The call is made for the first look, whenever the port's state changes (it starts or stops
// accepting connections), and every CONFIRM_EVERY_MS while it accepts them, which catches a daemon
// that turns not-serving without closing its port. In between, a port that still accepts keeps the
// last call's answer when it was serving or reachable, and its checkedAt: the time that answer came;
// a daemon not serving is asked again at every look. Each call starts the checker
// process (~0.2 s of CPU: Bun, then gRPC loaded), so a call a minute would cost the idle supervisor
// ~0.3 % of a core (bench/RESULTS.md); one every five minutes, 0.06 %.
import { unrefTimeout, type TimerHandle } from "../platform/process/timers.ts";
import { checkResult, daemonAnswers, DEFAULT_DEADLINE_MS, type CheckOnce, type DaemonCheck } from "./check.ts";
import { splitEndpoint, tcpConnectFailure } from "./tcp.ts";

const CONFIRM_EVERY_MS = 5 * 60_000;

export interface DaemonWatcherOptions {
  /** Pause between the end of one look and the start of the next. */
  intervalMs?: number;
  /** How long a health call's answer stands while the port keeps accepting connections. */
  confirmEveryMs?: number;
  deadlineMs?: number;
}

/** Called with the first check, then once for each change of status (not of detail). */
export type DaemonChangeListener = (check: DaemonCheck, previous: DaemonCheck | null) => void;

export class DaemonWatcher {
  readonly #call: CheckOnce;
  readonly #address: { host: string; port: number } | null;
  readonly #intervalMs: number;
  readonly #confirmEveryMs: number;
  readonly #deadlineMs: number;
  #last: DaemonCheck | null = null;
  #lastCallAt = 0;
  #calls = 0;
  #running = false;
  #timer: TimerHandle | null = null;
  #lookUnderWay: AbortController | null = null;

  /** `call` is the health call itself (a HealthChecker's checkOnce in the supervisor). */
  constructor(
    readonly endpoint: string,
    call: CheckOnce,
    options: DaemonWatcherOptions = {},
  ) {
    this.#call = call;
    this.#address = splitEndpoint(endpoint);
    this.#intervalMs = options.intervalMs ?? 5000;
    this.#confirmEveryMs = options.confirmEveryMs ?? CONFIRM_EVERY_MS;
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  }

  /** The latest check, or null before the first one finished. */
  get last(): DaemonCheck | null {
    return this.#last;
  }

  /** How many health calls the watch has made (the looks in between are not calls). */
  get calls(): number {
    return this.#calls;
  }

  start(onChange: DaemonChangeListener): void {
    if (this.#running) throw new Error(`already watching ${this.endpoint}`);
    this.#running = true;
    void this.#tick(onChange);
  }

  /** Cancels the look under way; `start` may be called again. */
  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#lookUnderWay?.abort();
    this.#lookUnderWay = null;
  }

  async #tick(onChange: DaemonChangeListener): Promise<void> {
    const lookUnderWay = new AbortController();
    this.#lookUnderWay = lookUnderWay;
    const check = await this.#look(lookUnderWay.signal);
    if (!this.#running || lookUnderWay.signal.aborted) return;
    const previous = this.#last;
    this.#last = check;
    // Scheduled before the listener runs, so a listener that throws does not end the watch.
    // Unref'd: a forgotten watcher must not keep a process alive that is otherwise done.
    this.#timer = unrefTimeout(() => void this.#tick(onChange), this.#intervalMs);
    if (previous?.status !== check.status) onChange(check, previous);
  }

  async #look(signal: AbortSignal): Promise<DaemonCheck> {
    const last = this.#last;
    if (this.#address) {
      const failure = await tcpConnectFailure(this.#address.host, this.#address.port, this.#deadlineMs, signal);
      if (failure) return checkResult(this.endpoint, "unreachable", failure);
      // The port accepts, as it did at the last look: the last call's answer stands until it is due again.
      // Only an answer that lets the runner work stands: a not-serving daemon is asked again at each look, until it serves.
      const stillStands = last !== null && daemonAnswers(last) && performance.now() - this.#lastCallAt < this.#confirmEveryMs;
      if (stillStands) return last;
    }
    this.#calls += 1;
    this.#lastCallAt = performance.now();
    return this.#call(this.#deadlineMs, signal);
  }
}
