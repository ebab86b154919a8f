import { usageError } from "./errors.ts";

export function parseCount(text: string, flag: string): number {
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
