import { StigmerError } from "../cli/errors.ts";
import { INDEX_ACCOUNT, parseIndex } from "./keyring.ts";
import { keyValueProblem } from "./values.ts";

export type KeySource = "environment" | "keyring" | "entered";

export interface ResolvedKey {
  name: string;
  value: string;
  source: KeySource;
}

export const SOURCE_LABEL: Record<KeySource, string> = {
  environment: "from environment",
  keyring: "from keyring",
  entered: "entered",
};

/** What the keyring said: a value, nothing stored, or that it could not be asked. */
export type KeyringAnswer = { found: string } | { missing: true } | { unavailable: string };

/**
 * Where keys can come from, in the order they are asked. Each is an edge (environment,
 * OS keyring, terminal); the chain itself only decides the order and the error.
 */
export interface KeySources {
  environment(name: string): string | undefined;
  /** Absent when the keyring is switched off (`STIGMER_NO_KEYRING=1`). */
  keyring?: (name: string) => Promise<KeyringAnswer>;
  /** Absent when stdin is not a terminal. */
  prompt?: (name: string) => Promise<string>;
  warn(message: string): void;
}

export function missingKeyError(name: string): StigmerError {
  return new StigmerError(`${name} is not set, and there is no terminal to ask for it.`, {
    fix: `export ${name}=…   or store it once with   stigmer secrets set ${name}`,
  });
}

/** environment → keyring → prompt, for each key name; the first non-empty value wins. */
export async function resolveKeys(names: readonly string[], sources: KeySources): Promise<ResolvedKey[]> {
  const keys: ResolvedKey[] = [];
  for (const name of names) keys.push(await resolveKey(name, sources));
  return keys;
}

/**
 * The names `stigmer secrets list` shows, so that their values in the environment count as
 * secrets too (key-variables.ts). Asked only when one of `keys` came from the keyring: it then
 * answered and is unlocked, so the index costs no unlock dialog and no timeout. A start whose keys
 * all come from the environment does not touch the keyring, as before.
 */
export async function storedKeyNames(keys: readonly ResolvedKey[], sources: KeySources): Promise<string[]> {
  if (!sources.keyring || !keys.some((key) => key.source === "keyring")) return [];
  const answer = await sources.keyring(INDEX_ACCOUNT);
  return "found" in answer ? parseIndex(answer.found) : [];
}

/** A key that cannot travel in an environment variable, or that the redactor could not hide, is refused. */
function usable(key: ResolvedKey): ResolvedKey {
  const problem = keyValueProblem(key.value);
  if (problem === undefined) return key;
  const where = key.source === "environment" ? "in the environment" : "in the keyring";
  throw new StigmerError(`${key.name} ${where} cannot be used: ${problem}.`, {
    fix: key.source === "environment" ? `export ${key.name}=… with the key on one line` : `stigmer secrets set ${key.name}`,
  });
}

async function resolveKey(name: string, sources: KeySources): Promise<ResolvedKey> {
  const fromEnv = sources.environment(name);
  if (fromEnv !== undefined && fromEnv.trim() !== "") return usable({ name, value: fromEnv, source: "environment" });
  if (sources.keyring) {
    const answer = await sources.keyring(name);
    if ("found" in answer && answer.found !== "") return usable({ name, value: answer.found, source: "keyring" });
    if ("unavailable" in answer) sources.warn(`Keyring unavailable (${answer.unavailable}); not looking there for ${name}.`);
  }
  if (sources.prompt) return { name, value: await sources.prompt(name), source: "entered" };
  throw missingKeyError(name);
}
