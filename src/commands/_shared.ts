// What several commands share: the start options as citty flags, and their one resolution
// (flag > environment > $STIGMER_HOME/config.toml > default), all from START_OPTIONS.
import type { ArgsDef } from "citty";
import { currentLayout } from "../lifecycle/control/client.ts";
import type { HomeLayout } from "../lifecycle/control/state-dir.ts";
import { configPath, readConfigFile } from "../lifecycle/start/config-file.ts";
import {
  OPTION_NAMES,
  resolveStartOptions,
  START_OPTIONS,
  type ConfigValues,
  type OptionDeclaration,
  type OptionName,
  type StartFlags,
  type StartOptions,
} from "../lifecycle/start/start-options.ts";

/** The help of an option: what it does, its environment variable, its default. */
export function optionHelp(declaration: OptionDeclaration): string {
  const env = declaration.env ? ` [${declaration.env}]` : "";
  const fallback = declaration.boolean ? undefined : (declaration.defaultText ?? declaration.default);
  return `${declaration.help}${env}${fallback ? ` (default: ${fallback})` : ""}`;
}

/** citty flags for the named start options (all of them by default), help from the declaration. */
export function optionArgs(names: readonly OptionName[] = OPTION_NAMES): ArgsDef {
  const args: ArgsDef = {};
  for (const name of names) {
    const declaration: OptionDeclaration = START_OPTIONS[name];
    args[declaration.flag] = declaration.boolean
      ? { type: "boolean", description: optionHelp(declaration), negativeDescription: declaration.negativeHelp }
      : { type: "string", valueHint: declaration.valueHint, description: optionHelp(declaration) };
  }
  return args;
}

/** The options the command line gave, by name; what it did not give stays absent. */
export function flagsOf(args: Record<string, unknown>, names: readonly OptionName[] = OPTION_NAMES): StartFlags {
  const flags: StartFlags = {};
  for (const name of names) {
    const value = args[START_OPTIONS[name].flag];
    if (typeof value === "string" || typeof value === "boolean") flags[name] = value;
  }
  return flags;
}

export interface ResolvedSettings {
  options: StartOptions;
  layout: HomeLayout;
  file: ConfigValues | null;
}

/** Resolves the start options as `start` does, for any command that needs them. */
export function resolveSettings(args: Record<string, unknown>, names: readonly OptionName[] = OPTION_NAMES): ResolvedSettings {
  const layout = currentLayout();
  const file = readConfigFile(configPath(layout.home));
  return { options: resolveStartOptions(flagsOf(args, names), process.env, file), layout, file };
}
