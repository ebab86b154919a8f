import { defineCommand } from "citty";
import { isatty } from "node:tty";
import { usageError } from "../../cli/errors.ts";

export default defineCommand({
  meta: { name: "__supervise", description: "The background supervisor (started by local start --detach)", hidden: true },
  async run() {
    // isatty, not process.stdin.isTTY: building the stdin stream would stay in the supervisor's memory for its whole life.
    if (isatty(0)) throw usageError("This command is run by stigmer local start --detach, not by hand.");
    const { runBackground } = await import("../../lifecycle/supervisor/background.ts");
    return runBackground();
  },
});
