import { defineCommand } from "../../cli/command.ts";
import { colorEnabled, paint } from "../../cli/output.ts";
import { currentLayout } from "../../lifecycle/control/client.ts";
import { configPath, readConfigFile } from "../../lifecycle/start/config-file.ts";
import { listSettings, type Setting } from "../../lifecycle/start/settings.ts";

export default defineCommand({
  meta: { name: "list", description: "Every setting with its effective value and where it came from (env, file, default)" },
  args: {
    json: { type: "boolean", description: "Print JSON: {file, settings: [{key, value, origin, env, description}]}" },
  },
  async run({ args }) {
    const file = configPath(currentLayout().home);
    const settings = listSettings({ flags: {}, env: process.env, file: readConfigFile(file) });
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ file, settings }, null, 2)}\n`);
      return;
    }
    process.stdout.write(render(settings, file, colorEnabled(process.stdout)));
  },
});

function render(settings: Setting[], file: string, color: boolean): string {
  const keyWidth = Math.max(...settings.map((setting) => setting.key.length));
  const valueWidth = Math.max(...settings.map((setting) => (setting.value ?? "-").length));
  const lines = settings.map((setting) => {
    const value = (setting.value ?? "-").padEnd(valueWidth);
    const origin = setting.origin === "env" ? `env ${setting.env}` : (setting.origin ?? "");
    return `${setting.key.padEnd(keyWidth)}  ${value}  ${paint("dim", origin, color)}`.trimEnd();
  });
  return `${lines.join("\n")}\n\n${paint("dim", `file: ${file}`, color)}\n`;
}
