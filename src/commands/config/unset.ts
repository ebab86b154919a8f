import { defineCommand } from "../../cli/command.ts";
import { out } from "../../cli/output.ts";
import { writeConfigFile } from "../../lifecycle/start/config-file.ts";
import { settingByKey, unsetSetting } from "../../lifecycle/start/settings.ts";
import { configKey } from "../../lifecycle/start/start-options.ts";
import { currentConfig, KEY_ARG } from "./shared.ts";

export default defineCommand({
  meta: { name: "unset", description: "Remove a setting from config.toml (its default, or the environment's, applies again)" },
  args: { key: KEY_ARG },
  async run({ args }) {
    const name = settingByKey(args.key);
    const key = configKey(name);
    const { file, text } = currentConfig();
    const updated = unsetSetting(text, name);
    if (updated === text) {
      out.info(`${key} was not set in ${file}.`);
      return;
    }
    writeConfigFile(file, updated);
    out.success(`${key} removed from ${file}.`);
  },
});
