import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { StigmerError } from "../../cli/errors.ts";
import { parseChoice, parseCount } from "../../cli/values.ts";
import { currentLayout } from "../../lifecycle/control/client.ts";
import { componentLog } from "../../lifecycle/control/state-dir.ts";
import { followFile, lastLinesOfFile } from "../../lifecycle/process/log-tail.ts";
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
    if (!existsSync(path)) {
      throw new StigmerError(`There is no log yet at ${path}.`, { fix: "Start the stack first: stigmer local start --detach" });
    }
    const { text, size } = lastLinesOfFile(path, count);
    process.stdout.write(text);
    if (!args.follow) return;
    const stop = new AbortController();
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());
    await followFile(path, size, (bytes) => process.stdout.write(bytes), stop.signal);
  },
});
