import { defineCommand } from "../../cli/command.ts";
import { currentLayout } from "../../lifecycle/control/client.ts";
import { configPath } from "../../lifecycle/start/config-file.ts";

export default defineCommand({
  meta: { name: "path", description: "Print where the config file is ($STIGMER_HOME/config.toml), whether or not it exists" },
  async run() {
    process.stdout.write(`${configPath(currentLayout().home)}\n`);
  },
});
