import { createConsola, type ConsolaReporter, type LogObject } from "consola/core";
import { formatWithOptions } from "node:util";

/** Colour only on a terminal, never with NO_COLOR (https://no-color.org) or TERM=dumb. */
export function colorEnabled(stream: { isTTY?: boolean } = process.stderr, env = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

const CODES = { red: [31, 39], yellow: [33, 39], green: [32, 39], cyan: [36, 39], dim: [2, 22], bold: [1, 22] } as const;
export type Color = keyof typeof CODES;

export function paint(color: Color, text: string, enabled = colorEnabled()): string {
  if (!enabled) return text;
  const [open, close] = CODES[color];
  return `\u001B[${open}m${text}\u001B[${close}m`;
}

const BADGES: Record<string, { symbol: string; color: Color }> = {
  error: { symbol: "✖", color: "red" },
  fatal: { symbol: "✖", color: "red" },
  warn: { symbol: "⚠", color: "yellow" },
  success: { symbol: "✔", color: "green" },
  ready: { symbol: "✔", color: "green" },
  start: { symbol: "▸", color: "cyan" },
  info: { symbol: "▸", color: "cyan" },
};

/**
 * One line per message on stderr, a symbol in front; stdout stays for results and runner output.
 * Written here instead of consola's fancy reporter, which costs start-up time for box drawing we do not use.
 */
const lineReporter: ConsolaReporter = {
  log(entry: LogObject) {
    const text = formatWithOptions({ colors: false }, ...entry.args);
    const badge = BADGES[entry.type];
    const prefix = badge ? `${paint(badge.color, badge.symbol)} ` : "";
    process.stderr.write(`${prefix}${text}\n`);
  },
};

export const out = createConsola({
  reporters: [lineReporter],
  level: 3,
});

export function debugEnabled(argv: readonly string[] = process.argv, env = process.env): boolean {
  return argv.includes("--debug") || env.STIGMER_DEBUG === "1";
}
