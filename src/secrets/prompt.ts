// Asking for a key on the terminal: raw mode, so the terminal echoes nothing and every key
// press reaches us (Ctrl-C included, as a byte rather than SIGINT); we echo one `*` per
// character. node:process's setRawMode works under Bun and Deno alike.
//
// Cancelling (Ctrl-C or Ctrl-D, anywhere in the line) restores the terminal and throws a
// StigmerError with exit code 1, like every other failure of a start; the message says it
// was cancelled, so there is nothing to fix. Ctrl-D never ends the line: a key half typed or
// half pasted when it was pressed is not a key to store.
import { StringDecoder } from "node:string_decoder";
import { StigmerError } from "../cli/errors.ts";
import { stdinIsTerminal } from "../platform/process/terminal.ts";
import type { Keyring } from "./keyring.ts";
import { keyValueProblem } from "./values.ts";

export interface Terminal {
  input: NodeJS.ReadStream;
  output: NodeJS.WritableStream;
}

/** Prompts go to stderr: stdout carries results, and stays clean when piped. */
const processTerminal = (): Terminal => ({ input: process.stdin, output: process.stderr });

/** Whether a key can be asked for: only on a real terminal. */
export function canPrompt(input?: NodeJS.ReadStream): boolean {
  if (!input && !stdinIsTerminal()) return false;
  const stream = input ?? process.stdin;
  return Boolean(stream.isTTY) && typeof stream.setRawMode === "function";
}

const ATTEMPTS = 3;

/** Asks for a key, masked, until a usable one is entered (three tries). */
export async function promptKey(name: string, terminal: Terminal = processTerminal()): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const line = await readLine(terminal, `Enter ${name} (input hidden): `, { masked: true });
    const value = line.text.trim();
    const problem = line.moreLines ? "the key spans more than one line" : keyValueProblem(value);
    if (problem === undefined) return value;
    if (attempt === ATTEMPTS) throw new StigmerError(`No usable ${name} entered: ${problem}.`, { fix: `Paste the key on one line, or export ${name}=… instead.` });
    terminal.output.write(`${capitalize(problem)}; try again.\n`);
  }
}

/** A yes/no question; Enter alone takes the default. */
export async function confirm(question: string, defaultYes: boolean, terminal: Terminal = processTerminal()): Promise<boolean> {
  const hint = defaultYes ? "[Y/n]" : "[y/N]";
  for (;;) {
    const answer = (await readLine(terminal, `${question} ${hint} `, { masked: false })).text.trim().toLowerCase();
    if (answer === "") return defaultYes;
    if (answer === "y" || answer === "yes") return true;
    if (answer === "n" || answer === "no") return false;
    terminal.output.write("Please answer y or n.\n");
  }
}

export type SaveOutcome = "saved" | "declined" | { failed: string };

/**
 * After a key was entered: offers to store it, and stores it on yes. A keyring that fails is
 * reported in the outcome, not thrown: the key was entered and the start can go on. A keyring
 * already found unavailable is not offered at all.
 */
export async function offerToSave(name: string, value: string, keyring: Keyring, terminal: Terminal = processTerminal()): Promise<SaveOutcome> {
  if (keyring.unavailable !== undefined) return { failed: keyring.unavailable };
  if (!(await confirm("Save to the system keyring?", true, terminal))) return "declined";
  try {
    await keyring.store(name, value);
    return "saved";
  } catch (error) {
    return { failed: error instanceof Error ? error.message : String(error) };
  }
}

interface Line {
  text: string;
  /** Something followed the first line break in the same paste. */
  moreLines: boolean;
}

const CTRL_C = "\u0003";
const CTRL_D = "\u0004";
const CTRL_U = "\u0015";
const ESCAPE = "\u001B";
// A CSI sequence (arrows, bracketed-paste markers) or an escape and one character.
const ESCAPE_SEQUENCE = /^\u001B(?:\[[0-?]*[ -/]*[@-~]|.)?/s;

function cancelled(): StigmerError {
  return new StigmerError("Cancelled.");
}

function readLine(terminal: Terminal, prompt: string, options: { masked: boolean }): Promise<Line> {
  const { input, output } = terminal;
  const wasRaw = input.isRaw;
  const decoder = new StringDecoder("utf8");
  // Code points, so backspace removes a whole character even outside the BMP.
  const typed: string[] = [];
  output.write(prompt);
  input.setRawMode(true);
  input.resume();
  return new Promise<Line>((resolve, reject) => {
    const finish = (outcome: { line: Line } | { error: StigmerError }) => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.setRawMode(wasRaw);
      input.pause();
      output.write("\n");
      if ("line" in outcome) resolve(outcome.line);
      else reject(outcome.error);
    };
    const onEnd = () => finish({ error: cancelled() });
    const onData = (chunk: Buffer | string) => {
      let rest = typeof chunk === "string" ? chunk : decoder.write(chunk);
      while (rest.length > 0) {
        const char = String.fromCodePoint(rest.codePointAt(0)!);
        if (char === ESCAPE) {
          rest = rest.slice(ESCAPE_SEQUENCE.exec(rest)![0].length);
          continue;
        }
        rest = rest.slice(char.length);
        if (char === CTRL_C || char === CTRL_D) return finish({ error: cancelled() });
        if (char === "\r" || char === "\n") {
          const after = rest.replace(/\u001B\[201~/g, "");
          return finish({ line: { text: typed.join(""), moreLines: after.trim() !== "" } });
        }
        if (char === "\u007F" || char === "\b") {
          if (typed.pop() !== undefined) output.write("\b \b");
        } else if (char === CTRL_U) {
          output.write("\b \b".repeat(typed.length));
          typed.length = 0;
        } else if (char >= " ") {
          typed.push(char);
          output.write(options.masked ? "*" : char);
        }
      }
    };
    input.on("data", onData);
    input.once("end", onEnd);
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
