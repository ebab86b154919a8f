import { defineCommand } from "../../cli/command.ts";
import { parseDuration } from "../../cli/duration.ts";
import { out } from "../../cli/output.ts";
import { currentLayout, stopSupervisor } from "../../lifecycle/control/client.ts";

export default defineCommand({
  meta: { name: "stop", description: "Stop the supervisor and the runner's whole process tree" },
  args: {
    timeout: { type: "string", valueHint: "duration", description: "How long to wait before killing them (default: 10s)" },
  },
  async run({ args }) {
    const timeoutMs = parseDuration(args.timeout ?? "10s", "--timeout");
    const outcome = await stopSupervisor(currentLayout(), timeoutMs);
    switch (outcome.kind) {
      case "not-running":
        if (outcome.note) out.warn(outcome.note);
        out.info("Nothing to stop: no supervisor is running.");
        return;
      case "stopped":
        out.success(`Stopped (supervisor pid ${outcome.pid}).`);
        return;
      case "killed":
        out.warn(`The supervisor (pid ${outcome.pid}) did not stop in time; killed it and its runner.`);
        return;
    }
  },
});
