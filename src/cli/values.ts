import { usageError } from "./errors.ts";

export function parseCount(text: string, flag: string): number {
  if (/^-\d/.test(text.trim())) throw usageError(`${flag} must not be negative, not "${text}".`, `For example: ${flag} 10`);
  if (!/^\d+$/.test(text.trim())) {
    throw usageError(`${flag} takes a whole number, not "${text}".`, `For example: ${flag} 10`);
  }
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value)) throw usageError(`${flag} is too large: ${text}.`);
  return value;
}

export function parseChoice<T extends string>(text: string, flag: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw usageError(`${flag} must be one of ${choices.join(", ")}, not "${text}".`);
}

export interface Endpoint {
  host: string;
  port: number;
}

/** `HOST:PORT` (`[::1]:PORT` for IPv6). A URL or a missing port is refused with the form to use. */
export function parseEndpoint(text: string, flag = "--endpoint"): Endpoint {
  const input = text.trim();
  const fix = `Give a host and a port, for example ${flag} localhost:50051.`;
  if (input.includes("://")) {
    throw usageError(`${flag} takes HOST:PORT, not a URL: "${text}".`, fix);
  }
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(input);
  if (!match) throw usageError(`${flag} must be HOST:PORT, not "${text}".`, fix);
  const port = Number(match[2]);
  if (port < 1 || port > 65535) {
    throw usageError(`${flag} has a port out of range (1-65535): "${text}".`, fix);
  }
  return { host: match[1]!, port };
}

export function formatEndpoint(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3 };

/** Byte sizes: `10MiB`, `512KiB`, `1GB`, `4096`. */
export function parseSize(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw usageError(`${flag} takes a size, not "${text}".`, `For example: ${flag} 10MiB (also KiB, GiB, KB, MB, GB, or bytes).`);
  }
  const bytes = Math.round(Number(match[1]) * unit);
  if (bytes < 1) throw usageError(`${flag} must be at least 1 byte.`);
  return bytes;
}
