import { defineCommand } from "citty";
import { usageError } from "../../cli/errors.ts";

export default defineCommand({
  meta: { name: "__supervise", description: "The background supervisor (started by local start --detach)", hidden: true },
  async run() {
    if (process.stdin.isTTY) throw usageError("This command is run by stigmer local start --detach, not by hand.");
    const { runBackground } = await import("../../lifecycle/background.ts");
    return runBackground();
  },
});
