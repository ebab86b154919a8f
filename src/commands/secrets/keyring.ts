// What the `secrets` verbs share: the keyring they work on, and the errors when there is none.
import { StigmerError } from "../../cli/errors.ts";
import { INTERACTIVE_KEYRING_TIMEOUT_MS, keyringDisabled, keyringError, systemKeyring, type Keyring } from "../../secrets/keyring.ts";

export const NAME_ARG = { type: "positional", required: true, valueHint: "NAME", description: "The key's variable name, e.g. ANTHROPIC_API_KEY" } as const;

/** The keyring, or a clear exit-1 error when it is switched off. */
export function commandKeyring(name?: string): Keyring {
  if (keyringDisabled()) {
    throw new StigmerError("The keyring is switched off (STIGMER_NO_KEYRING=1).", {
      fix: `Unset STIGMER_NO_KEYRING to use it, or export ${name ?? "the key's variable"}=… instead.`,
    });
  }
  return systemKeyring({ timeoutMs: INTERACTIVE_KEYRING_TIMEOUT_MS });
}

/** Runs a keyring operation, turning an unavailable keyring into the user-facing error. */
export async function usingKeyring<T>(name: string | undefined, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw keyringError(error, name);
  }
}

/** Whether the environment would win over the keyring for this name (the order `local start` uses). */
export function setInEnvironment(name: string): boolean {
  const value = process.env[name];
  return value !== undefined && value.trim() !== "";
}
