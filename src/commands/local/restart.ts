import { defineCommand } from "citty";
import { out } from "../../cli/output.ts";
import { currentLayout, restartRunner } from "../../lifecycle/control/client.ts";

export default defineCommand({
  meta: { name: "restart", description: "Restart the runner in place (keys stay in the supervisor's memory)" },
  async run() {
    const report = await restartRunner(currentLayout());
    out.success(`Runner restarted (pid ${report.runner?.pid ?? "?"}, ${report.runner?.restarts ?? 0} restarts so far).`);
  },
});
