import { defineCommand } from "../../cli/command.ts";
import { StigmerError } from "../../cli/errors.ts";
import { currentLayout } from "../../lifecycle/control/client.ts";
import { configPath, readConfigFile } from "../../lifecycle/start/config-file.ts";
import { listSettings, settingByKey } from "../../lifecycle/start/settings.ts";
import { configKey } from "../../lifecycle/start/start-options.ts";
import { KEY_ARG } from "./shared.ts";

export default defineCommand({
  meta: { name: "get", description: "Print a setting's effective value (environment, file or default)" },
  args: {
    key: KEY_ARG,
    json: { type: "boolean", description: "Print JSON: {key, value, origin, env, description}" },
  },
  async run({ args }) {
    const key = configKey(settingByKey(args.key));
    const file = readConfigFile(configPath(currentLayout().home));
    const setting = listSettings({ flags: {}, env: process.env, file }).find((entry) => entry.key === key)!;
    if (args.json) {
      process.stdout.write(`${JSON.stringify(setting, null, 2)}\n`);
      return;
    }
    if (setting.value === null) throw new StigmerError(`${key} is not set.`, { fix: `stigmer config set ${key} VALUE` });
    process.stdout.write(`${setting.value}\n`);
  },
});
