import { rmSync } from "node:fs";
import type { Server } from "node:net";
import { formatDuration } from "../../cli/duration.ts";
import { StigmerError } from "../../cli/errors.ts";
import type { DaemonWatcher } from "../../daemon/health.ts";
import { processStartToken } from "../../platform/proc.ts";
import { createRedactor, type Redactor } from "../../secrets/redact.ts";
import { VERSION } from "../../version.ts";
import { controlSocketPath, listenControl, type ControlRequest } from "../control/control.ts";
import { removeStateFile, writeStateFile, type SupervisorState } from "../control/state-file.ts";
import { componentReport, stackReport, type StatusReport } from "../control/status.ts";
import { Component, type OutputSink, type ReadinessCheck, type ReadyOutcome } from "../process/component.ts";
import { LogFile } from "../process/logs.ts";
import { launchInGroup } from "../process/process-tree.ts";
import type { StartPlan } from "../start/plan.ts";
import { COMPONENT_NAMES, readinessTimeout, RUNNER, type ComponentPlan, type Readiness } from "../start/stack.ts";
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

/**
 * What a supervisor process is, in the foreground or the background: the components of the
 * stack, the control socket that makes it the one supervisor of its STIGMER_HOME, the state
 * file, the orphan guard, and the log files.
 */
export class SupervisorHost {
  readonly startedAt = new Date();
  readonly supervisor: Supervisor;
  /** The Agent Runner: `status`'s `runner`, and what `restart` means by default. */
  readonly runner: Component;
  readonly socketPath: string;

  private control: Server | null = null;
  private guard: OrphanGuard | null = null;
  private daemon: DaemonWatcher | null = null;
  private closed = false;
  private readonly logFiles = new Map<Component, LogFile>();
  private readonly selfToken = processStartToken(process.pid);

  constructor(private readonly settings: HostSettings) {
    const { plan, echo } = settings;
    this.socketPath = controlSocketPath(plan.layout);
    const redact = createRedactor(plan.secrets);
    const components = plan.stack.map((member) => this.component(member, redact, member.name === RUNNER ? echo : null));
    this.supervisor = new Supervisor(components);
    this.runner = this.supervisor.find(RUNNER)!;
  }

  private component(member: ComponentPlan, redact: Redactor, echo: OutputSink | null): Component {
    const { plan, log } = this.settings;
    const file = new LogFile(member.log, (message) => log.warn(message), plan.options.logs);
    const output: OutputSink = {
      stdout(lines) {
        file.write(lines);
        echo?.stdout(lines);
      },
      stderr(lines) {
        file.write(lines);
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
        if (event.type === "ready") file.flush();
        if (event.type === "spawned" || event.type === "stopped" || event.type === "exited") this.recordState();
      },
      { launch: launchInGroup, random: Math.random, now: () => performance.now() },
    );
    this.logFiles.set(component, file);
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
    const { waitForDaemon } = await import("../../daemon/health.ts");
    const accept = (status: string) => status === "serving" || (readiness.acceptReachable && status === "reachable");
    let said = false;
    const check = await waitForDaemon(readiness.endpoint, {
      service: readiness.service,
      timeoutMs: Number.MAX_SAFE_INTEGER,
      // Each component after it waits on this one: a short pause between looks (a refused port answers in a millisecond).
      intervalMs: READINESS_POLL_MS,
      signal,
      accept: (latest) => accept(latest.status),
      onProgress: (latest) => {
        if (said || accept(latest.status)) return;
        said = true;
        this.settings.log.info(`waiting for ${name} to answer at ${readiness.endpoint}: ${latest.detail ?? latest.status}`);
      },
    });
    return !signal.aborted && accept(check.status);
  }

  /** Takes the control socket: fails when another supervisor runs for this STIGMER_HOME. */
  async open(): Promise<void> {
    this.control = await listenControl(this.socketPath, this.settings.plan.layout.home, (request) => this.handle(request));
    this.guard = new OrphanGuard();
    this.recordState();
  }

  /** Starts the components in order, each once the one before it is ready; throws what kept one from being ready. */
  async start(): Promise<void> {
    const { stack } = this.settings.plan;
    const result = await this.supervisor.start((component) => memberTimeout(stack, component.spec.name));
    if (!result.ready) throw this.notReadyError(result.component, result.outcome);
  }

  private notReadyError(component: Component, outcome: Exclude<ReadyOutcome, { kind: "ready" }>): StigmerError {
    const member = this.settings.plan.stack.find((entry) => entry.name === component.spec.name)!;
    const { name } = member;
    const tail = stderrTail(component);
    const read = `Read ${member.log}`;
    switch (outcome.kind) {
      case "stopped":
        return new StigmerError(`Stopped while ${name} was starting.`);
      case "exited":
        return new StigmerError(`The ${name} ${outcome.error ?? describeExit(outcome.exit)}, before it was ready.${tail}`, {
          fix: `${read}, fix the cause, and start again.`,
        });
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

  /** Re-checks the daemon every few seconds on one channel, logging each change once. */
  async watchDaemon(): Promise<void> {
    const { DaemonWatcher } = await import("../../daemon/health.ts");
    if (this.closed) return;
    const { log, plan } = this.settings;
    this.daemon = new DaemonWatcher(plan.options.endpoint);
    this.daemon.start((check, previous) => {
      const detail = check.detail ? ` (${check.detail})` : "";
      const message = `daemon ${check.endpoint} is ${check.status}${detail}`;
      if (previous === null && (check.status === "serving" || check.status === "reachable")) log.info(message);
      else if (check.status === "unreachable" || check.status === "not-serving") log.warn(message);
      else log.info(message);
    });
  }

  status(): StatusReport {
    const { layout, stack } = this.settings.plan;
    const now = performance.now();
    return {
      supervisor: { pid: process.pid, startedAt: this.startedAt.toISOString(), version: VERSION },
      runner: componentReport(this.runner, now),
      daemon: this.daemon?.last ?? null,
      logs: { runner: layout.runnerLog, supervisor: layout.supervisorLog, ...this.logProblem() },
      components: stackReport(
        this.supervisor.components.map((component, index) => ({ component, log: stack[index]!.log })),
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
    await this.supervisor.stop();
    this.guard?.close();
    const control = this.control;
    this.control = null;
    if (control) {
      await new Promise<void>((resolve) => control.close(() => resolve()));
      if (process.platform !== "win32") rmSync(this.socketPath, { force: true });
    }
    removeStateFile(this.settings.plan.layout.stateFile);
    for (const file of this.logFiles.values()) file.close();
  }

  private async handle(request: ControlRequest): Promise<unknown> {
    switch (request.op) {
      case "status":
        return this.status();
      case "restart": {
        const name = request.component ?? RUNNER;
        const component = this.supervisor.find(name);
        if (!component) throw new Error(unknownComponent(name, this.supervisor.components));
        this.settings.log.info(`restart of ${name} requested`);
        await component.restart();
        return this.status();
      }
      case "stop":
        this.settings.log.info("stop requested");
        this.settings.onStopRequest();
        return { stopping: true, pid: process.pid };
    }
  }

  private recordState(): void {
    const groups: SupervisorState["groups"] = {};
    for (const component of this.supervisor.components) {
      if (component.pid !== null) groups[component.spec.name] = { pid: component.pid, startToken: processStartToken(component.pid) };
    }
    this.guard?.watch(Object.values(groups).map((group) => group.pid));
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
