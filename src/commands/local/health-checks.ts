import { defineCommand } from "../../cli/command.ts";
import { usageError } from "../../cli/errors.ts";
import { stdinIsTerminal } from "../../platform/process/terminal.ts";

export default defineCommand({
  meta: { name: "__health-checks", description: "The supervisor's gRPC health calls (started by the supervisor)", hidden: true },
  async run() {
    if (stdinIsTerminal()) throw usageError("This command is run by the supervisor, not by hand.");
    const { serveHealthChecks } = await import("../../daemon/check-server.ts");
    await serveHealthChecks(process.stdin, (line) => process.stdout.write(`${line}\n`));
    // Its channels may hold unref'd sockets or timers; the supervisor is gone or done with us.
    process.exit(0);
  },
});
