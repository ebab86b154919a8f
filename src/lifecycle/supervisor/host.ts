import { rmSync } from "node:fs";
import type { Server } from "node:net";
import { processStartToken } from "../../platform/proc.ts";
import { createRedactor } from "../../secrets/redact.ts";
import { VERSION } from "../../version.ts";
import type { Redactor } from "../../secrets/redact.ts";
import { Component, type ComponentSpec, type OutputSink } from "../process/component.ts";
import { controlSocketPath, listenControl, type ControlOp } from "../control/control.ts";
import { LogFile } from "../process/logs.ts";
import { OrphanGuard } from "./orphan-guard.ts";
import type { StartPlan } from "../start/plan.ts";
import { launchInGroup, type LaunchSpec } from "../process/process-tree.ts";
import type { ProgressLine } from "../start/daemon-gate.ts";
import type { DaemonWatcher } from "../../daemon/health.ts";
import { componentReport, type StatusReport } from "../control/status.ts";
import { removeStateFile, writeStateFile, type SupervisorState } from "../control/state-file.ts";
import { logEvent, Supervisor, type SupervisorLog } from "./supervisor.ts";

export interface HostSettings {
  plan: StartPlan;
  log: SupervisorLog;
  /** A copy of runner output besides its log file: the terminal in the foreground, none in the background. */
  echo: OutputSink | null;
  /** Called when a `stop` request arrives over the control socket. */
  onStopRequest: () => void;
}

/**
 * What a supervisor process is, in the foreground or the background: the components, the
 * control socket that makes it the one supervisor of its STIGMER_HOME, the state file, the
 * orphan guard, and the log files.
 */
/** Without `--daemon-timeout`, how long a supervised stigmer-server gets to answer. */
const DEFAULT_SERVER_WAIT_MS = 30_000;

/** The wait for a supervised server goes to the supervisor's log: once at the start, not every tick. */
function quietProgress(log: SupervisorLog): ProgressLine {
  let said = false;
  return {
    update(text) {
      if (!said) log.info(text);
      said = true;
    },
    done() {},
  };
}

export class SupervisorHost {
  readonly startedAt = new Date();
  readonly runner: Component;
  /** stigmer-server, when `--server` asks the supervisor to run it too. */
  readonly server: Component | null;
  readonly supervisor: Supervisor;
  readonly socketPath: string;

  private control: Server | null = null;
  private guard: OrphanGuard | null = null;
  private daemon: DaemonWatcher | null = null;
  private closed = false;
  private readonly logFiles: LogFile[] = [];
  private readonly selfToken = processStartToken(process.pid);

  constructor(private readonly settings: HostSettings) {
    const { plan, echo } = settings;
    this.socketPath = controlSocketPath(plan.layout);
    const redact = createRedactor(plan.keys.map((key) => key.value));
    this.server = plan.server
      ? this.component("server", plan.server, plan.layout.serverLog, redact, null, (signal) => this.serverAnswers(signal))
      : null;
    this.runner = this.component("runner", plan.launch, plan.layout.runnerLog, redact, echo);
    this.supervisor = new Supervisor(this.server ? [this.server, this.runner] : [this.runner]);
  }

  private component(
    name: string,
    launch: LaunchSpec,
    logPath: string,
    redact: Redactor,
    echo: OutputSink | null,
    ready?: ComponentSpec["ready"],
  ): Component {
    const { plan, log } = this.settings;
    const file = new LogFile(logPath, (message) => log.warn(message), plan.options.logs);
    this.logFiles.push(file);
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
      { name, launch, policy: plan.options.policy, stopTimeoutMs: plan.options.stopTimeoutMs, redact, output, ready },
      (event) => {
        logEvent(log, component, event);
        if (event.type === "spawned" || event.type === "stopped" || event.type === "exited") this.recordState();
      },
      { launch: launchInGroup, random: Math.random, now: () => performance.now() },
    );
    return component;
  }

  /** The server is ready once the daemon endpoint answers; the runner is not started before. */
  private async serverAnswers(signal: AbortSignal): Promise<void> {
    const { options } = this.settings.plan;
    const { gateOnDaemon } = await import("../start/daemon-gate.ts");
    const check = await gateOnDaemon(options.endpoint, options.daemonTimeoutMs ?? DEFAULT_SERVER_WAIT_MS, quietProgress(this.settings.log), signal);
    this.settings.log.info(`server ready: ${check.endpoint} is ${check.status}`);
  }

  /** Takes the control socket: fails when another supervisor runs for this STIGMER_HOME. */
  async open(): Promise<void> {
    this.control = await listenControl(this.socketPath, this.settings.plan.layout.home, (op) => this.handle(op));
    this.guard = new OrphanGuard();
    this.recordState();
  }

  /** Starts the components in order, each once the one before it is ready. */
  async start(): Promise<void> {
    await this.supervisor.start();
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
    const { layout } = this.settings.plan;
    return {
      supervisor: { pid: process.pid, startedAt: this.startedAt.toISOString(), version: VERSION },
      runner: componentReport(this.runner, performance.now()),
      ...(this.server ? { server: componentReport(this.server, performance.now()) } : {}),
      daemon: this.daemon?.last ?? null,
      logs: {
        runner: layout.runnerLog,
        supervisor: layout.supervisorLog,
        ...(this.server ? { server: layout.serverLog } : {}),
        ...this.logProblem(),
      },
    };
  }

  private logProblem(): { problem?: string } {
    const problem = this.logFiles.find((file) => file.problem !== null)?.problem;
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
    for (const file of this.logFiles) file.close();
  }

  private async handle(op: ControlOp): Promise<unknown> {
    switch (op) {
      case "status":
        return this.status();
      case "restart":
        this.settings.log.info("restart requested");
        await this.runner.restart();
        return this.status();
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
