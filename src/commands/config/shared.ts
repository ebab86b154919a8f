import { readFileSync } from "node:fs";
import { StigmerError } from "../../cli/errors.ts";
import { currentLayout } from "../../lifecycle/control/client.ts";
import { configPath } from "../../lifecycle/start/config-file.ts";
import { configKey, OPTION_NAMES } from "../../lifecycle/start/start-options.ts";

export const KEY_ARG = {
  type: "positional",
  required: true,
  valueHint: "key",
  description: `A setting: ${OPTION_NAMES.map(configKey).join(", ")}`,
} as const;

/** The config file's path and its text ("" when there is none yet). */
export function currentConfig(): { file: string; home: string; text: string } {
  const { home } = currentLayout();
  const file = configPath(home);
  try {
    return { file, home, text: readFileSync(file, "utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { file, home, text: "" };
    throw new StigmerError(`Cannot read ${file}: ${(error as Error).message}.`, { fix: `Check its permissions: chmod 600 ${file}` });
  }
}
