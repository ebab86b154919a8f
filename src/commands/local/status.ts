import { defineCommand } from "citty";
import { ExitCode, StigmerError } from "../../cli/errors.ts";
import { colorEnabled, out } from "../../cli/output.ts";
import { currentLayout, querySupervisor } from "../../lifecycle/control/client.ts";
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
    if (query.kind === "not-answering") {
      throw new StigmerError(`The supervisor (pid ${query.pid}) does not answer.`, { fix: "Stop it with: stigmer local stop" });
    }
    if (query.kind === "not-running" && query.note) out.warn(query.note);
    const report: StatusReport =
      query.kind === "running"
        ? query.report
        : { supervisor: null, runner: null, daemon: null, logs: { runner: layout.runnerLog, supervisor: layout.supervisorLog }, components: [] };
    // Before the supervisor's first check has finished, or with none running, check here.
    if (report.daemon === null) {
      const { endpoint } = resolveSettings(args, ["endpoint"]).options;
      const { checkDaemon } = await import("../../daemon/health.ts");
      report.daemon = await checkDaemon(endpoint);
    }
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report, colorEnabled(process.stdout)));
    return !report.supervisor ? ExitCode.notRunning : report.components.some((member) => member.state === "failed") ? ExitCode.error : ExitCode.ok;
  },
});
