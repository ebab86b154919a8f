import { defineCommand } from "../../cli/command.ts";
import { out } from "../../cli/output.ts";

export default defineCommand({
  meta: { name: "uninstall-service", description: "Stop the login service install-service made and remove it (exit 0 when there is none)" },
  async run() {
    const { uninstallService } = await import("../../platform/service/install.ts");
    const { manager, removed } = await uninstallService();
    if (removed) out.success(`Stopped and removed the ${manager.title} (${manager.file}).`);
    else out.info(`No login service to remove (no ${manager.title} at ${manager.file}).`);
  },
});
