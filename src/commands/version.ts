import { defineCommand } from "../cli/command.ts";
import { buildInfo } from "../version.ts";

export default defineCommand({
  meta: { name: "version", description: "Print the version, commit, build date and target" },
  args: {
    json: { type: "boolean", description: "Print JSON" },
  },
  run({ args }) {
    const info = buildInfo();
    if (args.json) {
      process.stdout.write(`${JSON.stringify(info)}\n`);
      return;
    }
    process.stdout.write(
      `stigmer ${info.version}\ncommit  ${info.commit}\nbuilt   ${info.date ?? "from source"}\ntarget  ${info.target}\n`,
    );
  },
});
