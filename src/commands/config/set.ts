import { defineCommand } from "../../cli/command.ts";
import { out } from "../../cli/output.ts";
import { ensurePrivateDir } from "../../lifecycle/control/state-dir.ts";
import { writeConfigFile } from "../../lifecycle/start/config-file.ts";
import { setSetting, settingByKey } from "../../lifecycle/start/settings.ts";
import { configKey } from "../../lifecycle/start/start-options.ts";
import { currentConfig, KEY_ARG } from "./shared.ts";

export default defineCommand({
  meta: { name: "set", description: "Set a setting in config.toml (checked like the flag; paths made absolute; other lines and comments kept)" },
  args: {
    key: KEY_ARG,
    value: { type: "positional", required: true, valueHint: "value", description: "The value, as the flag takes it" },
  },
  async run({ args }) {
    const name = settingByKey(args.key);
    const { file, home, text } = currentConfig();
    const updated = setSetting(text, file, name, args.value, process.cwd());
    ensurePrivateDir(home);
    writeConfigFile(file, updated);
    const line = updated.split("\n").find((entry) => entry.startsWith(`${configKey(name)} =`));
    out.success(`${line} (in ${file})`);
  },
});
