// What several commands share: the start options as citty flags, and their one resolution
// (flag > environment > $STIGMER_HOME/config.toml > default), all from START_OPTIONS.
import type { ArgsDef } from "citty";
import { out } from "../cli/output.ts";
import { currentLayout } from "../lifecycle/control/client.ts";
import type { HomeLayout } from "../lifecycle/control/state-dir.ts";
import type { KeySources, ResolvedKey } from "../secrets/chain.ts";
import type { Keyring } from "../secrets/keyring.ts";
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

/** Where `start` (and `restart --reload-keys`) look for keys: the environment, the keyring, then a prompt on a terminal. */
export async function userKeySources(): Promise<{ keyring: Keyring | undefined; keySources: KeySources }> {
  const { keyringDisabled, systemKeyring } = await import("../secrets/keyring.ts");
  const { canPrompt, promptKey } = await import("../secrets/prompt.ts");
  // One keyring for looking up and for saving: one found unavailable is not offered a save.
  const keyring = keyringDisabled() ? undefined : systemKeyring();
  return {
    keyring,
    keySources: {
      environment: (name) => process.env[name],
      keyring: keyring && ((name) => keyring.read(name)),
      prompt: canPrompt() ? (name) => promptKey(name) : undefined,
      warn: (message) => out.warn(message),
    },
  };
}

/** A key typed at the prompt may be kept in the keyring, so the next start asks nothing. */
export async function offerToSaveEnteredKeys(keys: readonly ResolvedKey[], keyring: Keyring | undefined): Promise<void> {
  if (!keyring || keyring.unavailable !== undefined) return;
  const { offerToSave } = await import("../secrets/prompt.ts");
  for (const key of keys.filter((resolved) => resolved.source === "entered")) {
    const outcome = await offerToSave(key.name, key.value, keyring);
    if (outcome === "saved") out.success(`${key.name} saved to the system keyring.`);
    else if (typeof outcome === "object") out.warn(`${key.name} was not saved to the keyring: ${outcome.failed}`);
  }
}
