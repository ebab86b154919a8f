import { defineCommand } from "../../cli/command.ts";
import { ExitCode, StigmerError } from "../../cli/errors.ts";
import { colorEnabled, out } from "../../cli/output.ts";
import { currentLayout, querySupervisor } from "../../lifecycle/control/client.ts";
import { sleep } from "../../platform/process/timers.ts";
import type { HomeLayout } from "../../lifecycle/control/state-dir.ts";
import type { StatusReport } from "../../lifecycle/control/status.ts";
import { renderStatus } from "./present/status-table.ts";
import { optionArgs, resolveSettings } from "../_shared.ts";

export default defineCommand({
  meta: { name: "status", description: "Show the supervisor, every component of the stack (state, pid, restarts, readiness) and the daemon; exit 0 running, 1 a component failed, 3 not running" },
  args: {
    json: { type: "boolean", description: "Print JSON (the format in the README, section \"The daemon\")" },
    ...optionArgs(["endpoint"]),
  },
  async run({ args }) {
    const layout = currentLayout();
    const query = await querySupervisor(layout);
    if (query.kind === "not-answering" && !args.json) {
      throw new StigmerError(`The supervisor (pid ${query.pid}) does not answer.`, { fix: "Stop it with: stigmer local stop" });
    }
    if (query.kind === "not-running" && query.note) out.warn(query.note);
    // A script asking for JSON gets JSON even from a supervisor that does not answer: what is known of it, and the problem.
    const report: StatusReport & { problem?: string } =
      query.kind === "running"
        ? await withDaemonChecked(layout, query.report)
        : {
            supervisor: query.kind === "not-answering" ? { pid: query.pid, startedAt: query.startedAt, version: query.version } : null,
            runner: null,
            daemon: null,
            logs: { runner: layout.runnerLog, supervisor: layout.supervisorLog },
            components: [],
            keys: [],
            ...(query.kind === "not-answering" ? { problem: query.problem } : {}),
          };
    // With none running (or one whose first check never came), check here.
    if (report.daemon === null) {
      const { endpoint } = resolveSettings(args, ["endpoint"]).options;
      const { checkDaemon } = await import("../../daemon/health.ts");
      report.daemon = await checkDaemon(endpoint);
    }
    const { inspectService } = await import("../../platform/service/report.ts");
    const service = inspectService(layout, report.supervisor?.pid ?? null);
    process.stdout.write(args.json ? `${JSON.stringify({ ...report, service }, null, 2)}\n` : renderStatus(report, colorEnabled(process.stdout), service));
    if (report.problem) return ExitCode.error;
    return !report.supervisor ? ExitCode.notRunning : report.components.some((member) => member.state === "failed") ? ExitCode.error : ExitCode.ok;
  },
});

/** How long, right after a start, the supervisor's own first daemon check may take to come in. */
const FIRST_CHECK_WITHIN_MS = 2000;

/**
 * The supervisor's report with its daemon check in. Right after `start -d` the first check may not
 * have finished; asking again briefly keeps the answer the supervisor's (its endpoint, not ours).
 */
async function withDaemonChecked(layout: HomeLayout, report: StatusReport): Promise<StatusReport> {
  const deadline = performance.now() + FIRST_CHECK_WITHIN_MS;
  // The supervisor starts checking once its stack is ready; before, there is nothing to wait for.
  const checking = (latest: StatusReport) => latest.daemon === null && latest.components.every((member) => member.ready);
  while (checking(report) && performance.now() < deadline) {
    await sleep(50);
    const again = await querySupervisor(layout);
    if (again.kind !== "running") break;
    report = again.report;
  }
  return report;
}
