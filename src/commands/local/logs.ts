import { defineCommand } from "../../cli/command.ts";
import { closeSync } from "node:fs";
import { out } from "../../cli/output.ts";
import { parseChoice, parseCount } from "../../cli/values.ts";
import { currentLayout } from "../../lifecycle/control/client.ts";
import { componentLog } from "../../lifecycle/control/state-dir.ts";
import { followFile, lastLines, openLog, type FollowStart } from "../../lifecycle/process/log-tail.ts";
import { COMPONENT_NAMES, RUNNER } from "../../lifecycle/start/stack.ts";

export default defineCommand({
  meta: { name: "logs", description: `Print (and follow) a component's log (${COMPONENT_NAMES.join(", ")}; default ${RUNNER}), or the supervisor's` },
  args: {
    component: { type: "positional", required: false, valueHint: COMPONENT_NAMES.join("|"), description: `Whose log (default: ${RUNNER})` },
    follow: { type: "boolean", alias: "f", description: "Keep printing new lines, across rotation, until Ctrl-C" },
    lines: { type: "string", alias: "n", valueHint: "n", description: "How many of the last lines to print (default: 50)" },
    supervisor: { type: "boolean", description: "The supervisor's log instead of a component's" },
  },
  async run({ args }) {
    const layout = currentLayout();
    const name = parseChoice(args.component ?? RUNNER, "COMPONENT", COMPONENT_NAMES);
    const path = args.supervisor ? layout.supervisorLog : componentLog(layout.logsDir, name);
    const count = parseCount(args.lines ?? "50", "--lines");
    const fd = openLog(path);
    if (fd === null) {
      // Not an error: the log appears once the stack has started, and a script asking early has nothing to print.
      out.info(`No log at ${path} yet: ${args.follow ? "waiting for it (Ctrl-C to stop)" : "nothing to print"}.`);
      if (args.follow) await follow(path, null);
      return;
    }
    const { text, end } = lastLines(fd, count, args.follow ? "leave" : "include");
    process.stdout.write(text);
    if (args.follow) await follow(path, { fd, position: end });
    else closeSync(fd);
  },
});

/** Until Ctrl-C or SIGTERM; a reader that goes away ends the command too (runCli). */
async function follow(path: string, from: FollowStart | null): Promise<void> {
  const stop = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());
  await followFile(path, from, (bytes) => process.stdout.write(bytes), stop.signal);
}
