import { formatDuration } from "../../../cli/duration.ts";
import { counted, paint } from "../../../cli/output.ts";
import type { StackMemberReport, StatusReport } from "../../../lifecycle/control/status.ts";
import { serviceRow, type ServiceReport } from "../../../platform/service/report.ts";

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
  restarting: "yellow",
  unknown: "yellow",
};

function describeMember(member: StackMemberReport, uptimeMs: number | null, nextRestartInMs: number | null): string {
  const parts: string[] = [];
  if (member.pid !== null) parts.push(`pid ${member.pid}`);
  if (uptimeMs !== null) parts.push(`up ${formatDuration(uptimeMs)}`);
  if (member.pid !== null && !member.ready) parts.push("not ready yet");
  parts.push(counted(member.restarts, "restart"));
  if (member.lastExitCode !== null) parts.push(`last exit code ${member.lastExitCode}`);
  if (member.lastSignal !== null) parts.push(`last killed by ${member.lastSignal}`);
  if (nextRestartInMs !== null) parts.push(`next try in ${formatDuration(nextRestartInMs)}`);
  return parts.join(", ");
}

/** `stigmer local status` for people: a short aligned table, one row per component, coloured when `color`. */
export function renderStatus(report: StatusReport, color: boolean, service: ServiceReport | null = null): string {
  const rows: [string, string, string][] = [];
  const supervisor = report.supervisor;
  rows.push(
    supervisor
      ? ["supervisor", "running", `pid ${supervisor.pid}, since ${supervisor.startedAt}, v${supervisor.version}`]
      : ["supervisor", "not running", "start it with: stigmer local start --detach"],
  );
  for (const member of report.components) {
    // Uptime and the next try are the runner's in the report; the others' rows do without them.
    const runner = report.runner && report.runner.pid === member.pid && member.pid !== null ? report.runner : null;
    rows.push([member.name, member.state, describeMember(member, runner?.uptimeMs ?? null, runner?.nextRestartInMs ?? null)]);
  }
  if (report.daemon) {
    rows.push(["daemon", report.daemon.status, [report.daemon.endpoint, report.daemon.detail].filter(Boolean).join(": ")]);
  }
  if (service) rows.push(serviceRow(service));
  const nameWidth = Math.max(...rows.map(([name]) => name.length));
  const stateWidth = Math.max(...rows.map(([, state]) => state.length));
  const lines = rows.map(([name, state, detail]) => {
    const painted = paint(STATE_COLOR[state] ?? "dim", state.padEnd(stateWidth), color);
    return `${name.padEnd(nameWidth)}  ${painted}  ${detail}`.trimEnd();
  });
  if (report.runner && report.runner.stderrTail.length > 0 && report.runner.state !== "running") {
    lines.push("", "last stderr lines of the runner:", ...report.runner.stderrTail.map((line) => `  | ${line}`));
  }
  for (const member of report.components.filter((entry) => entry.diagnosis && entry.state !== "running")) {
    lines.push("", paint("yellow", `${member.name}: ${member.diagnosis!.cause}`, color), `  → ${member.diagnosis!.fix}`);
  }
  const logs = report.components.length ? report.components.map((member) => member.log) : [report.logs.runner];
  lines.push("", ...[...logs, report.logs.supervisor].map((log, index) => `${index === 0 ? "logs" : "    "}  ${log}`));
  if (report.logs.problem) lines.push(paint("yellow", `      ${report.logs.problem}`, color));
  return `${lines.join("\n")}\n`;
}
