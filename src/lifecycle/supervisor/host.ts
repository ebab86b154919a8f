import { rmSync } from "node:fs";
import { formatDuration } from "../../cli/duration.ts";
import { StigmerError } from "../../cli/errors.ts";
import { isUp, lookFirst, waitUntilAnswers } from "../../daemon/check.ts";
import { HealthChecker } from "../../daemon/checker.ts";
import { DaemonWatcher } from "../../daemon/watch.ts";
import type { LocalServer } from "../../platform/net/listen.ts";
import { processStartToken } from "../../platform/process/proc.ts";
import type { ResolvedKey } from "../../secrets/chain.ts";
import { keyNamesFor } from "../../secrets/providers.ts";
import { createRedactor, type Redactor } from "../../secrets/redact.ts";
import { VERSION } from "../../version.ts";
import { CommandQueue, controlSocketPath, listenControl, type ControlRequest } from "../control/control.ts";
import { removeStateFileOf, writeStateFile, type SupervisorState } from "../control/state-file.ts";
import { componentReport, stackReport, type StatusReport } from "../control/status.ts";
import { Component, type OutputSink, type ReadinessCheck, type ReadyOutcome } from "../process/component.ts";
import { diagnose, type Diagnosis } from "../process/diagnosis.ts";
import { LogFile } from "../process/logs.ts";
import { launchInGroup } from "../process/process-tree.ts";
import type { StartPlan } from "../start/plan.ts";
import { keyVariables } from "../start/runner-env.ts";
import { COMPONENT_NAMES, longestStart, readinessTimeout, RUNNER, type ComponentPlan, type Readiness } from "../start/stack.ts";
import { OrphanGuard } from "./orphan-guard.ts";
import { describeExit, logEvent, Supervisor, type SupervisorLog } from "./supervisor.ts";

/** How often a starting Temporal or stigmer-server is looked at until it answers. */
const READINESS_POLL_MS = 50;

export interface HostSettings {
  plan: StartPlan;
  log: SupervisorLog;
  /** A copy of the runner's output besides its log file: the terminal in the foreground, none in the background. */
  echo: OutputSink | null;
  /** Called when a `stop` request arrives over the control socket. */
  onStopRequest: () => void;
}

/** Said to every command that comes, or waits, once a stop has begun. */
const STOPPING = "a stop was requested";
/**
 * The longest a restart may take beyond the component's --stop-timeout: after the SIGKILL, up to
 * 5 s for the group to be gone (process-tree), then the launch of the new process.
 */
const RESTART_MARGIN_MS = 7000;
/** Beyond the stack's readiness timeouts, for its start to be answered. */
const START_MARGIN_MS = 5000;

/**
 * What a supervisor process is, in the foreground or the background: the components of the
 * stack, the control socket that makes it the one supervisor of its STIGMER_HOME, the queue its
 * commands go through, the state file, the orphan guard, and the log files.
 *
 * What changes the stack (its start, a `restart`) goes through one queue, one command at a time
 * in the order received, so two restarts never run at once and each component has at most one
 * process at any moment. `status` only reads, and is answered at once. `stop` overrides: it refuses
 * the commands waiting and those still to come, ends a start in progress (its component is
 * stopped, so the start gives up), lets a restart in progress finish, then stops the stack.
 */
export class SupervisorHost {
  readonly startedAt = new Date();
  readonly supervisor: Supervisor;
  /** The Agent Runner: `status`'s `runner`, and what `restart` means by default. */
  readonly runner: Component;
  readonly socketPath: string;
  /** Every secret this supervisor has held: a key replaced by --reload-keys stays redacted for its whole life. */
  private secrets: string[];

  private control: LocalServer | null = null;
  private guard: OrphanGuard | null = null;
  private daemon: DaemonWatcher | null = null;
  /** Makes the gRPC health calls (readiness, the daemon watch) in a process of its own: see daemon/checker.ts. */
  private readonly healthChecker = new HealthChecker();
  private closed = false;
  private readonly commands = new CommandQueue();
  private stopping: Promise<void> | null = null;
  /** Each component's log, by name; opened by `open`. */
  private readonly logFiles = new Map<string, LogFile>();
  private readonly selfToken = processStartToken(process.pid);

  constructor(private readonly settings: HostSettings) {
    const { plan, echo } = settings;
    this.socketPath = controlSocketPath(plan.layout);
    this.secrets = [...plan.secrets];
    const redact = createRedactor(this.secrets);
    const components = plan.stack.map((member) => this.component(member, redact, member.name === RUNNER ? echo : null));
    this.supervisor = new Supervisor(components);
    this.runner = this.supervisor.find(RUNNER)!;
  }

  private component(member: ComponentPlan, redact: Redactor, echo: OutputSink | null): Component {
    const { plan, log } = this.settings;
    // A component has output only once it runs, after `open` has opened its log.
    const file = () => this.logFiles.get(member.name);
    const output: OutputSink = {
      stdout(lines) {
        file()?.write(lines);
        echo?.stdout(lines);
      },
      stderr(lines) {
        file()?.write(lines);
        echo?.stderr(lines);
      },
    };
    const component: Component = new Component(
      {
        name: member.name,
        launch: member.launch,
        policy: plan.options.policy,
        stopTimeoutMs: plan.options.stopTimeoutMs,
        redact,
        output,
        readiness: this.readinessCheck(member),
      },
      (event) => {
        logEvent(log, component, event);
        // The line that made it ready is in its log by the time anyone is told it is ready.
        if (event.type === "ready") file()?.flush();
        if (event.type === "spawned" || event.type === "stopped" || event.type === "exited") this.recordState();
      },
      { launch: launchInGroup, random: Math.random, now: () => performance.now() },
    );
    return component;
  }

  private readinessCheck(member: ComponentPlan): ReadinessCheck {
    const { readiness } = member;
    switch (readiness.kind) {
      case "uptime":
        return { kind: "uptime", afterMs: readiness.afterMs };
      case "line":
        return { kind: "line", pattern: new RegExp(readiness.pattern, "m") };
      case "health":
        return { kind: "probe", wait: (signal) => this.answers(member.name, readiness, signal) };
    }
  }

  /** Checks the component's endpoint until it answers; the wait is said once in the supervisor's log. */
  private async answers(name: string, readiness: Extract<Readiness, { kind: "health" }>, signal: AbortSignal): Promise<boolean> {
    let said = false;
    const call = this.healthChecker.checkOnce(readiness.endpoint, readiness.service);
    const check = await waitUntilAnswers(lookFirst(readiness.endpoint, call), {
      timeoutMs: Number.MAX_SAFE_INTEGER,
      // Each component after it waits on this one: a short pause between looks (a refused port answers in a millisecond).
      intervalMs: READINESS_POLL_MS,
      signal,
      accept: (latest) => isUp(readiness, latest),
      onProgress: (latest) => {
        if (said || isUp(readiness, latest)) return;
        said = true;
        this.settings.log.info(`waiting for ${name} to answer at ${readiness.endpoint}: ${latest.detail ?? latest.status}`);
      },
    });
    return !signal.aborted && isUp(readiness, check);
  }

  /**
   * Opens the components' logs (a refusal, such as a planted link, is said to whoever started us)
   * and takes the control socket: fails when another supervisor runs for this STIGMER_HOME.
   */
  async open(): Promise<void> {
    const { plan, log } = this.settings;
    try {
      for (const member of plan.stack) this.logFiles.set(member.name, new LogFile(member.log, (message) => log.warn(message), plan.options.logs));
      this.control = await listenControl(this.socketPath, plan.layout.home, (request, accept) => this.handle(request, accept));
    } catch (error) {
      // `start --detach` recorded us as launched: we never ran, so no later command should find us.
      removeStateFileOf(plan.layout.stateFile, process.pid);
      throw error;
    }
    this.guard = new OrphanGuard();
    this.recordState();
  }

  /** Starts the components in order, each once the one before it is ready; throws what kept one from being ready. */
  async start(): Promise<void> {
    const { stack } = this.settings.plan;
    if (this.stopping) throw new StigmerError(`Stopped before the stack started: ${STOPPING}.`, { fix: "Start it again when you want it: stigmer local start" });
    // Loading gRPC in the checker overlaps the first component's own start, instead of delaying its readiness.
    if (stack.some((member) => member.readiness.kind === "health")) this.healthChecker.warm();
    const starting = this.commands.submit(
      () => this.supervisor.start((component) => memberTimeout(stack, component.spec.name)),
      longestStart(stack) + START_MARGIN_MS,
    );
    const result = await starting.done;
    if (!result.ready) throw this.notReadyError(result.component, result.outcome);
  }

  private notReadyError(component: Component, outcome: Exclude<ReadyOutcome, { kind: "ready" }>): StigmerError {
    const member = this.settings.plan.stack.find((entry) => entry.name === component.spec.name)!;
    const { name } = member;
    const tail = stderrTail(component);
    const read = `Read ${member.log}`;
    switch (outcome.kind) {
      case "stopped":
        return new StigmerError(`Stopped while ${name} was starting: a stop was asked for (stigmer local stop, or a signal).`, {
          fix: "Start it again when you want it: stigmer local start",
        });
      case "exited": {
        const diagnosis = this.diagnosis(component);
        const cause = diagnosis ? `\nCause: ${diagnosis.cause}.` : "";
        return new StigmerError(`The ${name} ${outcome.error ?? describeExit(outcome.exit)}, before it was ready.${tail}${cause}`, {
          fix: diagnosis ? `${diagnosis.fix}.` : `${read}, fix the cause, and start again.`,
        });
      }
      case "timeout": {
        const { readiness } = member;
        const within = formatDuration(memberTimeout(this.settings.plan.stack, name));
        if (readiness.kind === "line") {
          return new StigmerError(`The ${name} was not ready within ${within}: no line of its output matched /${readiness.pattern}/.${tail}`, {
            fix: `${read}. A runner that prints another line when it is ready: --ready-line REGEX; one that prints nothing: --ready-line none. A slow one: --ready-timeout.`,
          });
        }
        const endpoint = readiness.kind === "health" ? readiness.endpoint : "";
        return new StigmerError(`The ${name} did not answer at ${endpoint} within ${within}.${tail}`, {
          fix: `${read}, fix the cause, and start again (or give it longer with --daemon-timeout).`,
        });
      }
    }
  }

  /** Looks at the daemon every few seconds (see daemon/watch.ts), logging each change once. */
  watchDaemon(): void {
    if (this.closed) return;
    const { log, plan } = this.settings;
    this.daemon = new DaemonWatcher(plan.options.endpoint, this.healthChecker.checkOnce(plan.options.endpoint));
    this.daemon.start((check, previous) => {
      const detail = check.detail ? ` (${check.detail})` : "";
      const message = `daemon ${check.endpoint} is ${check.status}${detail}`;
      if (previous === null && (check.status === "serving" || check.status === "reachable")) log.info(message);
      else if (check.status === "unreachable" || check.status === "not-serving") log.warn(message);
      else log.info(message);
    });
  }

  /** Why the component's last run failed, when its redacted output says so in a known way. */
  diagnosis(component: Component): Diagnosis | null {
    if (component.status.lastExit === null) return null;
    const { plan } = this.settings;
    return diagnose(component.stderrTail, {
      runnerDir: plan.runner.dir,
      keyName: keyNamesFor(plan.options.provider)[0] ?? null,
      endpoint: plan.options.endpoint,
      temporalAddress: plan.temporal.address,
      provider: plan.options.provider,
    });
  }

  status(): StatusReport {
    const { layout, stack } = this.settings.plan;
    const now = performance.now();
    return {
      supervisor: { pid: process.pid, startedAt: this.startedAt.toISOString(), version: VERSION },
      runner: componentReport(this.runner, now, this.diagnosis(this.runner)),
      daemon: this.daemon?.last ?? null,
      logs: { runner: layout.runnerLog, supervisor: layout.supervisorLog, ...this.logProblem() },
      keys: this.settings.plan.keys.map((key) => ({ name: key.name, source: key.source })),
      components: stackReport(
        this.supervisor.components.map((component, index) => ({ component, log: stack[index]!.log, diagnosis: this.diagnosis(component) })),
        now,
      ),
    };
  }

  private logProblem(): { problem?: string } {
    const problem = [...this.logFiles.values()].find((file) => file.problem !== null)?.problem;
    return problem ? { problem } : {};
  }

  /** Stops every component, then lets go of the socket and the state file. */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.daemon?.stop();
    this.healthChecker.close();
    await this.stopStack();
    this.guard?.close();
    const control = this.control;
    this.control = null;
    if (control) {
      control.close();
      if (process.platform !== "win32") rmSync(this.socketPath, { force: true });
    }
    removeStateFileOf(this.settings.plan.layout.stateFile, process.pid);
    for (const file of this.logFiles.values()) file.close();
  }

  /**
   * Refuses the commands waiting and those to come, then stops the stack: a start in progress
   * gives up once the component it waits for is stopped; a restart in progress finishes first
   * (a component takes its stops and restarts in turn). Once, however many ask.
   */
  private stopStack(): Promise<void> {
    this.stopping ??= (async () => {
      const inProgress = this.commands.close(STOPPING);
      await this.supervisor.stop();
      await inProgress;
    })();
    return this.stopping;
  }

  private async handle(request: ControlRequest, accept: (answerBy: number) => void): Promise<unknown> {
    switch (request.op) {
      case "status":
        return this.status();
      case "restart": {
        const name = request.component ?? RUNNER;
        const component = this.supervisor.find(name);
        if (!component) throw new Error(unknownComponent(name, this.supervisor.components));
        const keys = request.keys;
        const command = this.commands.submit(async () => {
          this.settings.log.info(`restart of ${name} requested${keys ? ", with keys resolved again" : ""}`);
          if (keys) this.reloadKeys(keys);
          await component.restart();
        }, this.settings.plan.options.stopTimeoutMs + RESTART_MARGIN_MS);
        accept(command.answerBy);
        await command.done;
        return this.status();
      }
      case "stop":
        this.settings.log.info("stop requested");
        void this.stopStack();
        this.settings.onStopRequest();
        return { stopping: true, pid: process.pid };
    }
  }

  /**
   * `restart --reload-keys`: the caller resolved the same keys again (a key rotated in the keyring);
   * the runner gets them at its next start, and the old values stay redacted.
   */
  private reloadKeys(keys: ResolvedKey[]): void {
    const { plan } = this.settings;
    const names = (list: readonly ResolvedKey[]) => list.map((key) => key.name).sort().join(", ");
    if (names(keys) !== names(plan.keys)) throw new Error(`this stack uses ${names(plan.keys) || "no key"}, not ${names(keys) || "no key"}`);
    plan.keys = keys;
    this.secrets = [...new Set([...this.secrets, ...keys.map((key) => key.value)])];
    const redact = createRedactor(this.secrets);
    for (const component of this.supervisor.components) component.spec.redact = redact;
    Object.assign(this.runner.spec.launch.env, keyVariables(keys));
  }

  private recordState(): void {
    const groups: SupervisorState["groups"] = {};
    for (const component of this.supervisor.components) {
      if (component.pid !== null) groups[component.spec.name] = { pid: component.pid, startToken: processStartToken(component.pid) };
    }
    // A group whose leader has exited is still ended by the guard should we die while it is stopped.
    this.guard?.watch(this.supervisor.components.flatMap((component) => (component.groupId === null ? [] : [component.groupId])));
    if (!this.control) return;
    try {
      writeStateFile(this.settings.plan.layout.stateFile, {
        version: VERSION,
        startedAt: this.startedAt.toISOString(),
        supervisor: { pid: process.pid, startToken: this.selfToken },
        controlSocket: this.socketPath,
        groups,
      });
    } catch (error) {
      this.settings.log.warn(`cannot write ${this.settings.plan.layout.stateFile}: ${(error as Error).message}`);
    }
  }
}

function memberTimeout(stack: readonly ComponentPlan[], name: string): number {
  return readinessTimeout(stack.find((member) => member.name === name)!);
}

function unknownComponent(name: string, components: readonly Component[]): string {
  const running = components.map((component) => component.spec.name).join(", ");
  const known = (COMPONENT_NAMES as readonly string[]).includes(name);
  return known ? `this stack has no ${name} (it has: ${running})` : `there is no component named ${name} (this stack has: ${running})`;
}

/** The last lines of a component's stderr, indented, for an error message. */
export function stderrTail(component: Component): string {
  const tail = component.stderrTail;
  return tail.length ? `\nLast lines of its stderr:\n${tail.map((line) => `  | ${line}`).join("\n")}` : "";
}
