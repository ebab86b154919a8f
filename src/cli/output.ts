import { createConsola, type ConsolaReporter, type LogObject } from "consola/core";

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
    // Every message is one string: joined, not formatted, as util.format would load its inspector (~0.5 ms) for nothing.
    const text = entry.args.map(String).join(" ");
    const badge = BADGES[entry.type];
    const prefix = badge ? `${paint(badge.color, badge.symbol)} ` : "";
    process.stderr.write(`${prefix}${text}\n`);
  },
};

export const out = createConsola({
  reporters: [lineReporter],
  level: 3,
});

/** "1 restart", "2 restarts": a count with its noun in the right number. */
export function counted(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** Why stdout takes no more output. */
export interface StdoutFailure {
  /** EPIPE: whoever read it went away (`stigmer local logs | head -1`); nothing went wrong. */
  readerGone: boolean;
  reason: string;
}
type StdoutFailureHandler = (failure: StdoutFailure) => void;

let claimedBy: StdoutFailureHandler | null = null;

/**
 * A write to a stdout that failed (a reader that went away, a full disk) is reported by Node's
 * streams as an 'error' event, which without a listener ends the process with a stack trace.
 * This listener, installed once for every command (runCli), passes the failure to the command
 * that claimed it, else to `unclaimed`. A failing stderr is dropped: there is nowhere left to say so.
 */
export function watchStdout(unclaimed: StdoutFailureHandler): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    const readerGone = error.code === "EPIPE";
    (claimedBy ?? unclaimed)({ readerGone, reason: readerGone ? "its reader went away" : error.message });
  });
  process.stderr.on("error", () => {});
}

/**
 * For a command that must wind down by itself when stdout fails (the foreground supervisor stops
 * its stack) instead of ending at once. Returns the release.
 */
export function claimStdoutFailure(handler: StdoutFailureHandler): () => void {
  claimedBy = handler;
  return () => {
    if (claimedBy === handler) claimedBy = null;
  };
}

export function debugEnabled(argv: readonly string[] = process.argv, env = process.env): boolean {
  return argv.includes("--debug") || env.STIGMER_DEBUG === "1";
}
