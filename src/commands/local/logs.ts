import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { StigmerError } from "../../cli/errors.ts";
import { parseCount } from "../../cli/values.ts";
import { currentLayout } from "../../lifecycle/control/client.ts";
import { followFile, lastLinesOfFile } from "../../lifecycle/process/log-tail.ts";

export default defineCommand({
  meta: { name: "logs", description: "Print (and follow) the runner's log, or the supervisor's" },
  args: {
    follow: { type: "boolean", alias: "f", description: "Keep printing new lines, across rotation, until Ctrl-C" },
    lines: { type: "string", alias: "n", valueHint: "n", description: "How many of the last lines to print (default: 50)" },
    supervisor: { type: "boolean", description: "The supervisor's log instead of the runner's" },
  },
  async run({ args }) {
    const layout = currentLayout();
    const path = args.supervisor ? layout.supervisorLog : layout.runnerLog;
    const count = parseCount(args.lines ?? "50", "--lines");
    if (!existsSync(path)) {
      throw new StigmerError(`There is no log yet at ${path}.`, { fix: "Start the runner first: stigmer local start --detach" });
    }
    const { text, size } = lastLinesOfFile(path, count);
    process.stdout.write(text);
    if (!args.follow) return;
    const stop = new AbortController();
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());
    await followFile(path, size, (bytes) => process.stdout.write(bytes), stop.signal);
  },
});
