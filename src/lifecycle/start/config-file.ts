import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseToml, stringify as stringifyToml, TomlError } from "smol-toml";
import { StigmerError, usageError } from "../../cli/errors.ts";
import { looksLikeKeyName, looksLikeKeyValue } from "../../secrets/key-shapes.ts";
import { replaceFile } from "../../platform/files/replace-file.ts";
import { openPrivateFile } from "../control/state-dir.ts";
import { configKey, OPTION_NAMES, optionByConfigKey, START_OPTIONS, type ConfigValues, type OptionDeclaration, type OptionName } from "./start-options.ts";

// smol-toml: small, no dependencies, TOML 1.0 compliant, and its errors carry the line; it drops
// comments when it writes, so `set` and `unset` edit the file's lines and only render one value.

export const CONFIG_FILE = "config.toml";

export function configPath(home: string): string {
  return path.join(home, CONFIG_FILE);
}

const KEYS_HELP = "See the keys with: stigmer config list";

/** The file's settings, checked key by key; null when there is no file. */
export function readConfigFile(file: string): ConfigValues | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw new StigmerError(`Cannot read ${file}: ${(error as Error).message}.`, { fix: `Check its permissions: chmod 600 ${file}` });
  }
  return parseConfigText(text, file);
}

/** Parses and checks config.toml's text: every error names the file, the line, the key and the fix. Pure. */
export function parseConfigText(text: string, file: string): ConfigValues {
  let document: Record<string, unknown>;
  try {
    document = parseToml(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = error.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
    throw usageError(`${file} line ${error.line}: ${reason}.`, "Fix that line (TOML: key = \"value\", one per line), or remove the file.");
  }
  const values: ConfigValues["values"] = {};
  for (const [key, value] of Object.entries(document)) {
    const line = lineOf(text, key);
    const where = `${key} in ${file} line ${line}`;
    if (looksLikeKeyName(key) || (typeof value === "string" && looksLikeKeyValue(value))) {
      throw usageError(`${where}: API keys are never kept in the config file.`, keyFix(key));
    }
    const name = optionByConfigKey(key);
    if (!name) {
      const guess = closestKey(key);
      throw usageError(`${file} line ${line}: unknown key "${key}".`, guess ? `Did you mean ${guess}? ${KEYS_HELP}` : KEYS_HELP);
    }
    const declaration: OptionDeclaration = START_OPTIONS[name];
    const textValue = valueText(value, declaration);
    if (textValue === null) {
      const wanted = declaration.boolean ? "true or false" : "a string (or a whole number)";
      throw usageError(`${where} takes ${wanted}.`, `For example: ${key} = ${example(name)}`);
    }
    declaration.check?.(textValue, where);
    values[name] = { text: textValue, line };
  }
  return { path: file, values };
}

function valueText(value: unknown, declaration: OptionDeclaration): string | null {
  if (declaration.boolean) return typeof value === "boolean" ? String(value) : null;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return null;
}

function keyFix(key: string): string {
  return `Store the key in the keyring instead (stigmer secrets set ANTHROPIC_API_KEY, or OPENAI_API_KEY), or export it; then remove ${key} from the file.`;
}

/** The line a top-level key is on (1-based); 1 when it cannot be told (a quoted key written another way). */
function lineOf(text: string, key: string): number {
  const lines = text.split("\n");
  const index = lines.findIndex((line) => keyOnLine(line) === key);
  return index < 0 ? 1 : index + 1;
}

/** The bare or quoted key a `key = value` line sets, or null. */
function keyOnLine(line: string): string | null {
  const match = /^\s*(?:([A-Za-z0-9_-]+)|"([^"]*)"|'([^']*)')\s*=/.exec(line);
  return match ? (match[1] ?? match[2] ?? match[3] ?? null) : null;
}

function example(name: OptionName): string {
  const declaration: OptionDeclaration = START_OPTIONS[name];
  if (declaration.boolean) return "false";
  return JSON.stringify(declaration.default ?? (declaration.path ? "/absolute/path" : "value"));
}

function closestKey(key: string): string | null {
  let best: { key: string; distance: number } | null = null;
  for (const name of OPTION_NAMES) {
    const candidate = configKey(name);
    const distance = editDistance(key.replaceAll("-", "_"), candidate);
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.key : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The value as TOML stores it: booleans for switches, whole numbers for counts, strings otherwise. */
function tomlValue(name: OptionName, text: string): string | number | boolean {
  const declaration: OptionDeclaration = START_OPTIONS[name];
  if (declaration.boolean) return text === "true";
  if (/^\d+$/.test(text) && (name === "maxRestarts" || name === "logFiles")) return Number(text);
  return text;
}

/**
 * `text` with `key = value` set: the line that sets it replaced, or a new line after the last
 * top-level key; every other line, comments included, kept as it was. Pure.
 */
export function withValue(text: string, name: OptionName, valueText: string): string {
  const key = configKey(name);
  const rendered = stringifyToml({ [key]: tomlValue(name, valueText) }).trim();
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const tableStart = lines.findIndex((line) => /^\s*\[/.test(line));
  const topLevel = tableStart < 0 ? lines.length : tableStart;
  const existing = lines.findIndex((line, index) => index < topLevel && keyOnLine(line) === key);
  if (existing >= 0) {
    lines[existing] = rendered;
  } else {
    let after = -1;
    for (let index = 0; index < topLevel; index++) if (keyOnLine(lines[index]!) !== null) after = index;
    lines.splice(after >= 0 ? after + 1 : topLevel, 0, rendered);
  }
  return `${lines.join("\n")}\n`;
}

/** `text` without the line that sets `key`; the rest as it was. Pure. */
export function withoutValue(text: string, name: OptionName): string {
  const key = configKey(name);
  const lines = text.replace(/\n$/, "").split("\n").filter((line) => keyOnLine(line) !== key);
  return lines.length === 0 || (lines.length === 1 && lines[0] === "") ? "" : `${lines.join("\n")}\n`;
}

/** Replaces the file in one step, private to the user. */
export function writeConfigFile(file: string, text: string): void {
  replaceFile(file, text, (temporary) => openPrivateFile(temporary, "replace"));
}
