// The one place that decides what is a secret. The redactor hides every value listed here, and
// the background supervisor's own environment holds none of them.
import type { ResolvedKey } from "./chain.ts";
import { keyNamesFor, PROVIDERS } from "./providers.ts";
import { MIN_REDACTED_LENGTH } from "./redact.ts";

/** The variable the runner reads its LLM key from first, whatever the provider. */
export const LLM_KEY_VARIABLE = "STIGMER_LLM_API_KEY";

/** Every variable known to hold an LLM key: each provider's, and the runner's own. */
export const KEY_VARIABLES: readonly string[] = [...PROVIDERS.flatMap(keyNamesFor), LLM_KEY_VARIABLE];

/**
 * The secrets of a start: the resolved keys, and the value of every key variable in the
 * environment (the known ones, and the names stored with `stigmer secrets set`), whichever
 * provider was chosen: the runner gets the whole environment, so it can print any of them.
 * Values too short to be keys are left out (see MIN_REDACTED_LENGTH).
 */
export function secretValues(
  env: Readonly<Record<string, string | undefined>>,
  keys: readonly ResolvedKey[],
  storedNames: readonly string[] = [],
): string[] {
  const values = new Set(keys.map((key) => key.value));
  for (const name of new Set([...KEY_VARIABLES, ...storedNames])) {
    const value = env[name];
    if (value !== undefined && value.trim().length >= MIN_REDACTED_LENGTH) values.add(value);
  }
  return [...values];
}
