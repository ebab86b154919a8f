import { defineCommand } from "../../cli/command.ts";
import { isatty } from "node:tty";
import { usageError } from "../../cli/errors.ts";

export default defineCommand({
  meta: { name: "__health-checks", description: "The supervisor's gRPC health calls (started by the supervisor)", hidden: true },
  async run() {
    if (isatty(0)) throw usageError("This command is run by the supervisor, not by hand.");
    const { serveHealthChecks } = await import("../../daemon/check-server.ts");
    await serveHealthChecks(process.stdin, (line) => process.stdout.write(`${line}\n`));
    // Its channels may hold unref'd sockets or timers; the supervisor is gone or done with us.
    process.exit(0);
  },
});
