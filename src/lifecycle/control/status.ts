import { formatDuration } from "../../cli/duration.ts";
import { paint } from "../../cli/output.ts";
import type { DaemonCheck } from "../../daemon/health.ts";
import type { Component } from "../process/component.ts";
import type { ComponentState } from "../process/machine.ts";


export interface ComponentReport {
  state: ComponentState;
  pid: number | null;
  restarts: number;
  lastExitCode: number | null;
  lastSignal: string | null;
  uptimeMs: number | null;
  nextRestartInMs: number | null;
  command: string[];
  /** The last lines of stderr, kept for telling why it crashed. */
  stderrTail: string[];
}

/** `stigmer local status --json` (shared/DESIGN.md, "Status"). */
export interface StatusReport {
  supervisor: { pid: number; startedAt: string; version: string } | null;
  runner: ComponentReport | null;
  server?: ComponentReport | null;
  daemon: DaemonCheck | null;
  /** `problem`: why a log cannot be written right now (disk full, say); the runner runs on regardless. */
  logs: { runner: string; supervisor: string; server?: string; problem?: string };
}

export function componentReport(component: Component, now: number): ComponentReport {
  const running = component.state === "running" && component.startedAt !== null;
  return {
    state: component.state,
    pid: component.pid,
    restarts: component.status.restarts,
    lastExitCode: component.status.lastExit?.code ?? null,
    lastSignal: component.status.lastExit?.signal ?? null,
    uptimeMs: running ? Math.round(now - component.startedAt!) : null,
    nextRestartInMs: component.nextRestartAt === null ? null : Math.max(0, Math.round(component.nextRestartAt - now)),
    command: component.command,
    stderrTail: component.stderrTail,
  };
}

const STATE_COLOR: Record<string, "green" | "yellow" | "red" | "dim"> = {
  running: "green",
  serving: "green",
  reachable: "green",
  starting: "yellow",
  backoff: "yellow",
  stopping: "yellow",
  "not-serving": "yellow",
  stopped: "dim",
  "not running": "dim",
  failed: "red",
  unreachable: "red",
};

function describeComponent(report: ComponentReport): string {
  const parts: string[] = [];
  if (report.pid !== null) parts.push(`pid ${report.pid}`);
  if (report.uptimeMs !== null) parts.push(`up ${formatDuration(report.uptimeMs)}`);
  parts.push(`${report.restarts} restart${report.restarts === 1 ? "" : "s"}`);
  if (report.lastExitCode !== null) parts.push(`last exit code ${report.lastExitCode}`);
  if (report.lastSignal !== null) parts.push(`last killed by ${report.lastSignal}`);
  if (report.nextRestartInMs !== null) parts.push(`next try in ${formatDuration(report.nextRestartInMs)}`);
  return parts.join(", ");
}

/** The human form: a short aligned table, coloured when `color`. */
export function renderStatus(report: StatusReport, color: boolean): string {
  const rows: [string, string, string][] = [];
  const supervisor = report.supervisor;
  rows.push(
    supervisor
      ? ["supervisor", "running", `pid ${supervisor.pid}, since ${supervisor.startedAt}, v${supervisor.version}`]
      : ["supervisor", "not running", "start it with: stigmer local start --detach"],
  );
  if (report.server) rows.push(["server", report.server.state, describeComponent(report.server)]);
  if (report.runner) rows.push(["runner", report.runner.state, describeComponent(report.runner)]);
  if (report.daemon) {
    rows.push(["daemon", report.daemon.status, [report.daemon.endpoint, report.daemon.detail].filter(Boolean).join(": ")]);
  }
  const nameWidth = Math.max(...rows.map(([name]) => name.length));
  const stateWidth = Math.max(...rows.map(([, state]) => state.length));
  const lines = rows.map(([name, state, detail]) => {
    const painted = paint(STATE_COLOR[state] ?? "dim", state.padEnd(stateWidth), color);
    return `${name.padEnd(nameWidth)}  ${painted}  ${detail}`.trimEnd();
  });
  if (report.runner && report.runner.stderrTail.length > 0 && report.runner.state !== "running") {
    lines.push("", "last stderr lines of the runner:", ...report.runner.stderrTail.map((line) => `  | ${line}`));
  }
  lines.push("", `logs  ${report.logs.runner}`, `      ${report.logs.supervisor}`);
  if (report.logs.problem) lines.push(paint("yellow", `      ${report.logs.problem}`, color));
  return `${lines.join("\n")}\n`;
}
