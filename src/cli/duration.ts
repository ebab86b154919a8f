import { usageError } from "./errors.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * Parses the durations every flag takes: `200ms`, `2s`, `1.5s`, `1m30s`, `1h`, or a bare `0`.
 * A bare number other than 0 is refused, because "5" could mean seconds or milliseconds.
 */
export function parseDuration(text: string, flag: string): number {
  const input = text.trim();
  if (input === "0") return 0;
  if (/^-\d/.test(input)) throw usageError(`${flag} must not be negative, not "${text}".`, "Write a duration of 0 or more: 0, 200ms, 2s, 1m.");
  let total = 0;
  let matched = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const start = PART.lastIndex;
    const part = PART.exec(input);
    if (!part || part.index !== start) break;
    total += Number(part[1]) * (UNIT_MS[part[2]!] ?? 0);
    matched = PART.lastIndex;
  }
  if (input.length === 0 || matched !== input.length || !Number.isFinite(total)) {
    throw usageError(
      `${flag} takes a duration, not "${text}".`,
      `Write a number with a unit: 200ms, 2s, 1m, 1h (or 0).`,
    );
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  if (minutes < 60) return seconds ? `${minutes}m${seconds}s` : `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
}
