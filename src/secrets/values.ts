import { usageError } from "../cli/errors.ts";
import { MIN_REDACTED_LENGTH } from "./redact.ts";

/** The shape of an environment variable name, which is what a key is stored under. */
export const KEY_NAME = /^[A-Z][A-Z0-9_]*$/;

export function checkKeyName(name: string): string {
  if (!KEY_NAME.test(name)) {
    throw usageError(`"${name}" is not a key name: use capitals, digits and _, starting with a capital.`, "For example: ANTHROPIC_API_KEY");
  }
  return name;
}

/**
 * Why a value cannot be a key, or undefined when it can. The reasons never quote the value.
 * Control characters are refused because a key travels in an environment variable and on one
 * line of a pipe; very short values because the log redactor could not hide them.
 */
export function keyValueProblem(value: string): string | undefined {
  if (value.length === 0) return "the key is empty";
  if (/[\r\n]/.test(value)) return "the key spans more than one line";
  if (/[\u0000-\u001F\u007F]/.test(value)) return "the key contains control characters";
  if (value.length < MIN_REDACTED_LENGTH) return `the key is shorter than ${MIN_REDACTED_LENGTH} characters`;
  return undefined;
}
