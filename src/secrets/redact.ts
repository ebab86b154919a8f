export const REDACTED = "[REDACTED]";
const REDACTED_BYTES = Buffer.from(REDACTED);

/** Replaces every occurrence of a secret's value, in any of its encoded forms, in output bytes; pure. */
export type Redactor = ((bytes: Buffer) => Buffer) & {
  /** The longest byte sequence searched for: a line cut into pieces keeps this much back, minus one, so no form is cut in two. */
  longestSecret: number;
};

/**
 * Secrets shorter than this are not searched for: replacing every "a" or "12" in the output
 * would destroy it while protecting nothing (such values are refused as keys anyway).
 */
export const MIN_REDACTED_LENGTH = 4;

/**
 * How a program may print a secret besides as it is: JSON-escaped, URL-encoded, or in base64.
 * Output is redacted one batch of whole lines at a time, so a secret that the runner splits with a
 * line break is not found (a documented limit: README, "Keys").
 */
function encodedForms(secret: string): string[] {
  return [...new Set([secret, ...jsonForms(secret), ...urlForms(secret), ...base64Forms(secret)])];
}

export function createRedactor(secrets: Iterable<string>): Redactor {
  const forms = [...new Set(secrets)].filter((secret) => secret.length >= MIN_REDACTED_LENGTH).flatMap(encodedForms);
  const needles = [...new Set(forms)]
    .filter((form) => form.length >= MIN_REDACTED_LENGTH)
    .map((form) => Buffer.from(form))
    // Longest first, so a form that contains another secret (a key inside a longer key) is replaced whole.
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

/** Inside a JSON string: as JSON.stringify writes it, with non-ASCII as \uXXXX (Python's default), with "/" as "\/" (PHP's). */
function jsonForms(secret: string): string[] {
  const escaped = JSON.stringify(secret).slice(1, -1);
  const asciiOnly = escaped.replace(/[^\u0000-\u007F]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return [escaped, asciiOnly].flatMap((form) => [form, form.replaceAll("/", "\\/")]);
}

/**
 * Percent-encoded as common encoders do it: which characters each leaves alone, and whether a
 * space becomes "+", in upper- and lower-case hex. For the usual key (letters, digits, "-", "_")
 * every one of them is the key itself.
 */
const URL_ENCODERS: readonly { keep: RegExp; spaceAsPlus: boolean }[] = [
  { keep: /[A-Za-z0-9\-._~]/, spaceAsPlus: false }, // RFC 3986 unreserved only: Python quote(safe=""), Go
  { keep: /[A-Za-z0-9\-._~/]/, spaceAsPlus: false }, // Python quote(): "/" is safe by default
  { keep: /[A-Za-z0-9\-_.!~*'()]/, spaceAsPlus: false }, // encodeURIComponent
  { keep: /[A-Za-z0-9\-._*]/, spaceAsPlus: true }, // forms: URLSearchParams, Python quote_plus
];

function urlForms(secret: string): string[] {
  return URL_ENCODERS.flatMap(({ keep, spaceAsPlus }) => {
    let upper = "";
    for (const char of secret) {
      if (keep.test(char)) upper += char;
      else if (char === " " && spaceAsPlus) upper += "+";
      else for (const byte of Buffer.from(char)) upper += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
    return [upper, upper.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())];
  });
}

/**
 * In base64, the secret's characters depend on where it starts within a 3-byte group of the
 * encoded text, so there are three forms: for each start, the characters of the whole groups
 * that hold only the secret's bytes. The one or two groups at either end, shared with the
 * bytes around it, are left as they are (at most two bytes of the secret at each end show).
 * In both alphabets: standard ("+/") and URL-safe ("-_").
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  return [0, 1, 2].flatMap((bytesBefore) => {
    const skip = (3 - bytesBefore) % 3;
    const wholeGroups = Math.floor((bytes.length - skip) / 3);
    if (wholeGroups <= 0) return [];
    const inner = bytes.subarray(skip, skip + wholeGroups * 3);
    return [inner.toString("base64"), inner.toString("base64url")];
  });
}
