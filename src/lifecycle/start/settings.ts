import path from "node:path";
import { usageError } from "../../cli/errors.ts";
import { looksLikeKeyName, looksLikeKeyValue } from "../../secrets/key-shapes.ts";
import { parseConfigText, withoutValue, withValue } from "./config-file.ts";
import {
  configKey,
  OPTION_NAMES,
  optionByConfigKey,
  parseBoolean,
  pickValues,
  resolveStartOptions,
  START_OPTIONS,
  type OptionDeclaration,
  type OptionInputs,
  type OptionName,
  type ValueOrigin,
} from "./start-options.ts";

/** One row of `stigmer config list`. */
export interface Setting {
  key: string;
  /** The effective value as text; null when none applies (no runner given). */
  value: string | null;
  origin: ValueOrigin | null;
  /** The environment variable that would set it. */
  env: string | null;
  description: string;
}

/** Every option's effective value and where it came from; the model's default follows the provider. Pure. */
export function listSettings(inputs: OptionInputs): Setting[] {
  const picked = pickValues(inputs);
  const resolved = resolveStartOptions(inputs.flags, inputs.env, inputs.file);
  return OPTION_NAMES.map((name) => {
    const declaration: OptionDeclaration = START_OPTIONS[name];
    const value = picked[name];
    const derived = name === "model" && !value && resolved.model !== null ? resolved.model : null;
    return {
      key: configKey(name),
      value: value?.text ?? derived,
      origin: value?.origin ?? (derived !== null ? "default" : null),
      env: declaration.env ?? null,
      description: declaration.help,
    };
  });
}

/** `stigmer config get|set|unset KEY`: the option a key names (`restart_delay` or `restart-delay`). */
export function settingByKey(key: string): OptionName {
  const name = optionByConfigKey(key.replaceAll("-", "_"));
  if (name) return name;
  if (looksLikeKeyName(key)) throw usageError(`${key} is not a setting: API keys are never kept in the config file.`, `stigmer secrets set ${key.toUpperCase()}`);
  throw usageError(`Unknown setting "${key}".`, `The settings: ${OPTION_NAMES.map(configKey).join(", ")}`);
}

/**
 * The config file's text with `name` set to `value`, checked with the flag's own parser and
 * against the file's other settings; paths are made absolute from `cwd`. Pure.
 */
export function setSetting(text: string, file: string, name: OptionName, value: string, cwd: string): string {
  const declaration: OptionDeclaration = START_OPTIONS[name];
  const key = configKey(name);
  if (looksLikeKeyValue(value)) {
    throw usageError(`That value of ${key} looks like an API key; keys are never kept in the config file.`, "stigmer secrets set ANTHROPIC_API_KEY (or OPENAI_API_KEY)");
  }
  if (declaration.boolean) parseBoolean(value, key);
  declaration.check?.(value, key);
  const stored = declaration.path && value.trim() !== "" ? path.resolve(cwd, value) : value;
  const updated = withValue(text, name, stored);
  // The whole file again, through the reader start uses: what set writes, start accepts.
  resolveStartOptions({}, {}, parseConfigText(updated, file));
  return updated;
}

export function unsetSetting(text: string, name: OptionName): string {
  return withoutValue(text, name);
}
