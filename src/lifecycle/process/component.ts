import type { OutputStream } from "../../platform/process/spawn.ts";
import type { Redactor } from "../../secrets/redact.ts";
import { LineAssembler, StreamTail } from "./lines.ts";
import {
  decideAfterExit,
  initialStatus,
  restarted,
  restartRequested,
  type ComponentState,
  type ComponentStatus,
  type Exit,
  type RestartPolicy,
} from "./machine.ts";
import { groupAlive, KILLED_GONE_MS, terminateGroup, untilGroupGone, type LaunchedProcess, type LaunchSpec, type ProcessExit } from "./process-tree.ts";
import { ReadPacing } from "./read-pacing.ts";
import { sleep } from "../../platform/process/timers.ts";

/** Where a component's output goes: whole, redacted lines, good only during the call (OutputStream's chunks). */
export interface OutputSink {
  stdout(lines: Buffer): void;
  stderr(lines: Buffer): void;
}

/** How a run shows it can be relied on. */
export type ReadinessCheck =
  /** It has stayed up this long. */
  | { kind: "uptime"; afterMs: number }
  /** A line of its (redacted) output matches. */
  | { kind: "line"; pattern: RegExp }
  /** `wait` resolves true once it answers (Temporal, stigmer-server); it is aborted when the run ends. */
  | { kind: "probe"; wait(signal: AbortSignal): Promise<boolean> };

export interface ComponentSpec {
  /** `temporal`, `stigmer-server`, `agent-runner`: how logs, status and restart name it. */
  name: string;
  launch: LaunchSpec;
  policy: RestartPolicy;
  stopTimeoutMs: number;
  redact: Redactor;
  output: OutputSink;
  readiness: ReadinessCheck;
}

/** How a wait for readiness ended. */
export type ReadyOutcome = { kind: "ready" } | { kind: "exited"; exit: Exit; error?: string } | { kind: "stopped" } | { kind: "timeout" };

export type ComponentEvent =
  | { type: "spawned"; pid: number }
  | { type: "ready"; pid: number; afterMs: number }
  | { type: "exited"; exit: Exit; error?: string; next: "restart"; delayMs: number }
  | { type: "exited"; exit: Exit; error?: string; next: "stop" | "fail" }
  | { type: "stopping"; pid: number }
  | { type: "stopped"; forced: boolean };

/** The seams the component's I/O goes through, replaceable where a test needs determinism. */
export interface ComponentIo {
  launch(spec: LaunchSpec): LaunchedProcess;
  random(): number;
  now(): number;
}

export const STDERR_TAIL_LINES = 20;
/** After the leader exits, how long its pipes may take to deliver the last output. */
const DRAIN_MS = 200;

/**
 * One supervised process: spawns it in its own group, copies its output, and restarts it
 * as `decideAfterExit` says. `settled` resolves when it stops for good on its own.
 */
export class Component {
  status: ComponentStatus = initialStatus();
  pid: number | null = null;
  startedAt: number | null = null;
  nextRestartAt: number | null = null;
  /** The end of its stderr, over all its runs: what a failure is diagnosed from. */
  private readonly stderrEnd = new StreamTail();
  /** Whether the current run is ready; `readyAt` is when it became so. */
  ready = false;
  readyAt: string | null = null;

  private current: { process: LaunchedProcess; done: Promise<void> } | null = null;
  /** Counts spawns, so that the end of an old run never acts on a newer one. */
  private generation = 0;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private stopping = false;
  /** The end of the last stop or restart asked for (see `inTurn`). */
  private turns: Promise<void> = Promise.resolve();
  private readinessWait: AbortController | null = null;
  private readyWaiters: ((outcome: ReadyOutcome) => void)[] = [];
  private resolveSettled!: (state: ComponentState) => void;
  readonly settled: Promise<ComponentState> = new Promise((resolve) => (this.resolveSettled = resolve));

  constructor(
    readonly spec: ComponentSpec,
    private readonly onEvent: (event: ComponentEvent) => void,
    private readonly io: ComponentIo,
  ) {}

  get state(): ComponentState {
    return this.status.state;
  }

  /** The last lines of its stderr. */
  get stderrTail(): string[] {
    return this.stderrEnd.lines(STDERR_TAIL_LINES);
  }

  /** The current run's process group, while any of it is alive: also after its leader exited (`pid` is null then). */
  get groupId(): number | null {
    const pid = this.current?.process.pid ?? 0;
    return pid > 0 ? pid : null;
  }

  get command(): string[] {
    return [this.spec.launch.command, ...this.spec.launch.args];
  }

  /** Spawns the process; returns once it has a pid (or has failed to start). */
  start(): void {
    this.stopping = false;
    this.spawn();
  }

  /** Until the current run is ready, or ends first, or `timeoutMs` passes. */
  untilReady(timeoutMs: number): Promise<ReadyOutcome> {
    if (this.ready) return Promise.resolve({ kind: "ready" });
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish({ kind: "timeout" }), timeoutMs);
      const finish = (outcome: ReadyOutcome) => {
        clearTimeout(timer);
        this.readyWaiters = this.readyWaiters.filter((waiter) => waiter !== finish);
        resolve(outcome);
      };
      this.readyWaiters.push(finish);
    });
  }

  private tellWaiters(outcome: ReadyOutcome): void {
    for (const waiter of [...this.readyWaiters]) waiter(outcome);
  }

  private markReady(generation: number): void {
    if (this.ready || generation !== this.generation || this.pid === null || this.stopping) return;
    this.ready = true;
    this.readyAt = new Date().toISOString();
    if (this.state === "starting") this.setState("running");
    this.onEvent({ type: "ready", pid: this.pid, afterMs: this.io.now() - (this.startedAt ?? this.io.now()) });
    this.tellWaiters({ kind: "ready" });
  }

  private watchReadiness(generation: number): void {
    const { readiness } = this.spec;
    if (readiness.kind === "uptime") {
      setTimeout(() => this.markReady(generation), readiness.afterMs);
    } else if (readiness.kind === "probe") {
      const wait = new AbortController();
      this.readinessWait = wait;
      void readiness.wait(wait.signal).then(
        (answered) => answered && this.markReady(generation),
        () => {},
      );
    }
  }

  /** Lines are matched per line after redaction, and only until the run is ready. */
  private matchReadyLine(lines: Buffer, generation: number): void {
    const { readiness } = this.spec;
    if (this.ready || readiness.kind !== "line" || generation !== this.generation) return;
    readiness.pattern.lastIndex = 0;
    if (readiness.pattern.test(lines.toString("utf8"))) this.markReady(generation);
  }

  /** Stops the process group: SIGTERM, the grace period, then SIGKILL. Idempotent. */
  stop(): Promise<void> {
    return this.inTurn(() => this.stopNow());
  }

  /** Stops the running process, if any, and starts a new one now, clearing a `failed` verdict. */
  restart(): Promise<void> {
    return this.inTurn(async () => {
      await this.stopNow();
      this.status = restartRequested(this.status);
      this.start();
    });
  }

  /**
   * Stops and restarts take turns, each after the one before has finished: two restarts at once
   * would each launch a process, and the first would run on untracked; a stop during a restart
   * would stop the old process and leave the new one running.
   */
  private inTurn(work: () => Promise<void>): Promise<void> {
    const turn = this.turns.then(work);
    this.turns = turn.catch(() => {});
    return turn;
  }

  private async stopNow(): Promise<void> {
    this.stopping = true;
    this.readinessWait?.abort();
    this.tellWaiters({ kind: "stopped" });
    this.cancelRestart();
    const current = this.current;
    if (!current) {
      if (this.state !== "failed") this.setState("stopped");
      return;
    }
    this.setState("stopping");
    this.onEvent({ type: "stopping", pid: current.process.pid });
    const outcome = await terminateGroup(current.process.pid, this.spec.stopTimeoutMs);
    await current.done;
    this.setState("stopped");
    this.onEvent({ type: "stopped", forced: outcome === "killed" });
  }

  private spawn(): void {
    this.nextRestartAt = null;
    const generation = ++this.generation;
    const process = this.io.launch(this.spec.launch);
    this.pid = process.pid > 0 ? process.pid : null;
    this.startedAt = this.io.now();
    this.ready = false;
    this.readyAt = null;
    const outputDone = Promise.all([
      this.pipe(process.stdout, process, (lines) => {
        this.spec.output.stdout(lines);
        this.matchReadyLine(lines, generation);
      }),
      this.pipe(process.stderr, process, (lines) => {
        this.stderrEnd.push(lines);
        this.spec.output.stderr(lines);
        this.matchReadyLine(lines, generation);
      }),
    ]);
    const done = process.exited.then(async (exit) => {
      const uptimeMs = this.io.now() - (this.startedAt ?? this.io.now());
      await Promise.race([outputDone, sleep(DRAIN_MS, { unref: true })]);
      try {
        await this.afterExit(process, exit, uptimeMs, generation);
      } finally {
        // A stop or restart ends the group meanwhile; its members' last lines are read until it is gone, and a moment after.
        // The stop's terminateGroup began before this wait did: the same bound holds for it.
        await untilGroupGone(process.pid, this.spec.stopTimeoutMs + KILLED_GONE_MS);
        await Promise.race([outputDone, sleep(DRAIN_MS, { unref: true })]);
        // What still holds its pipes now is a process it left in a session of its own, no longer ours to read.
        process.abandonOutput();
        // Only now is the run over: until here a second Ctrl-C, or the orphan guard, may still have its group to end.
        if (this.current?.process === process) this.current = null;
      }
    });
    this.current = { process, done };
    if (this.pid !== null) {
      this.setState("starting");
      this.onEvent({ type: "spawned", pid: this.pid });
      this.watchReadiness(generation);
    }
  }

  private async pipe(stream: OutputStream, launched: Pick<LaunchedProcess, "outputCapacity" | "raiseOutputCapacity">, write: (lines: Buffer) => void): Promise<void> {
    const assembler = new LineAssembler(this.spec.redact);
    const pacing = new ReadPacing();
    try {
      for await (const chunk of stream) {
        for (const lines of assembler.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) write(lines);
        const waitMs = pacing.afterRead(chunk.byteLength, this.io.now(), launched.outputCapacity());
        // Only a flood is worth the helper process: a quiet runner or a crash loop never pays for it.
        if (pacing.filling) launched.raiseOutputCapacity();
        // A ref'd timer: with the pause on an unref'd one, each run of a crash loop took ~30 ms longer under Bun (measured).
        if (waitMs > 0) await sleep(waitMs);
      }
    } catch {
      // A failed read ends the output the way its end does: what was read still goes out.
    }
    const rest = assembler.flush();
    if (rest) write(rest);
  }

  private async afterExit(process: LaunchedProcess, processExit: ProcessExit, uptimeMs: number, generation: number): Promise<void> {
    const wasReady = this.ready && generation === this.generation;
    const exit: Exit = { code: processExit.code, signal: processExit.signal, uptimeMs, ready: wasReady };
    if (this.current?.process === process) {
      this.pid = null;
      this.ready = false;
      this.readyAt = null;
      this.readinessWait?.abort();
    }
    const superseded = () => this.stopping || generation !== this.generation;
    // Whatever it left behind in its group would hold ports and files the next run needs. Until the
    // group is gone the run is not over: it is `stopping`, its exit known, and it stays the current
    // run, so a stop that comes meanwhile ends the group too and waits for it.
    if (!superseded() && process.pid > 0 && groupAlive(process.pid)) {
      this.status = { ...this.status, state: "stopping", lastExit: exit };
      await terminateGroup(process.pid, this.spec.stopTimeoutMs);
    }
    if (superseded()) return;
    if (!wasReady) this.tellWaiters({ kind: "exited", exit, error: processExit.error });
    const decision = decideAfterExit(this.status, exit, this.spec.policy, this.io.random());
    this.status = decision.status;
    if (decision.action === "restart") {
      this.nextRestartAt = this.io.now() + decision.delayMs;
      this.onEvent({ type: "exited", exit, error: processExit.error, next: "restart", delayMs: decision.delayMs });
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        this.status = restarted(this.status);
        this.spawn();
      }, decision.delayMs);
      return;
    }
    this.onEvent({ type: "exited", exit, error: processExit.error, next: decision.action });
    this.resolveSettled(this.status.state);
  }

  private cancelRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.nextRestartAt = null;
  }

  private setState(state: ComponentState): void {
    this.status = { ...this.status, state };
  }
}
