export const REDACTED = "[REDACTED]";
const REDACTED_BYTES = Buffer.from(REDACTED);

/** Replaces every occurrence of a secret's value in output bytes; pure. */
export type Redactor = ((bytes: Buffer) => Buffer) & { longestSecret: number };

/**
 * Secrets shorter than this are not searched for: replacing every "a" or "12" in the output
 * would destroy it while protecting nothing (such values are refused as keys anyway).
 */
export const MIN_REDACTED_LENGTH = 4;

export function createRedactor(secrets: Iterable<string>): Redactor {
  const needles = [...new Set(secrets)]
    .filter((secret) => secret.length >= MIN_REDACTED_LENGTH)
    .map((secret) => Buffer.from(secret))
    // Longest first, so a key that contains another key is replaced whole.
    .sort((a, b) => b.length - a.length);
  const redact = ((bytes: Buffer) => {
    let out = bytes;
    for (const needle of needles) out = replaceAll(out, needle);
    return out;
  }) as Redactor;
  redact.longestSecret = needles[0]?.length ?? 0;
  return redact;
}

function replaceAll(bytes: Buffer, needle: Buffer): Buffer {
  let at = bytes.indexOf(needle);
  if (at < 0) return bytes;
  const parts: Buffer[] = [];
  let from = 0;
  while (at >= 0) {
    parts.push(bytes.subarray(from, at), REDACTED_BYTES);
    from = at + needle.length;
    at = bytes.indexOf(needle, from);
  }
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
}
