import type { ArgsDef, CommandContext, CommandDef } from "citty";
import { parseArguments } from "./arguments.ts";
import { ExitCode, StigmerError, usageError } from "./errors.ts";
import { colorEnabled, debugEnabled, out, paint, watchStdout } from "./output.ts";
import { rootCommand } from "../commands/root.ts";

export type AnyCommand = CommandDef<ArgsDef>;
type Resolvable<T> = T | Promise<T> | (() => T | Promise<T>);

/** A command's meta, args or sub-commands: given as they are, as a promise, or by a (lazy) function. */
export async function resolve<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === "function" ? (value as () => T | Promise<T>)() : value;
}

const GLOBAL_FLAGS = new Set(["--debug"]);
const HELP_FLAGS = new Set(["--help", "-h"]);

interface Resolved {
  chain: AnyCommand[];
  /** The arguments that belong to the last command of the chain. */
  rest: string[];
}

/** Walks `stigmer local start …` down to the command that runs, loading only that path. */
async function resolveChain(argv: string[]): Promise<Resolved> {
  const chain: AnyCommand[] = [rootCommand as AnyCommand];
  let rest = argv;
  for (;;) {
    const command = chain[chain.length - 1]!;
    const subCommands = command.subCommands ? await resolve(command.subCommands) : undefined;
    if (!subCommands) return { chain, rest };
    const index = rest.findIndex((arg) => !arg.startsWith("-"));
    if (index < 0) return { chain, rest };
    const name = rest[index]!;
    const loader = subCommands[name];
    if (!loader) {
      throw usageError(`Unknown command "${name}" for "${commandName(chain)}".`, `See: ${commandName(chain)} --help`);
    }
    chain.push((await resolve(loader)) as AnyCommand);
    rest = [...rest.slice(0, index), ...rest.slice(index + 1)];
  }
}

/** The words before `--`: after it, `--help` is a word like any other (`stigmer complete -- local start --help`). */
function beforeSeparator(words: string[]): string[] {
  const separator = words.indexOf("--");
  return separator < 0 ? words : words.slice(0, separator);
}

function commandName(chain: AnyCommand[]): string {
  return chain.map((command) => (command.meta as { name?: string } | undefined)?.name ?? "").join(" ");
}

function report(error: unknown, debug: boolean): ExitCode {
  if (error instanceof StigmerError) {
    out.error(error.message);
    if (error.fix) process.stderr.write(`  ${paint("dim", "→")} ${error.fix}\n`);
    if (debug && error.cause instanceof Error) process.stderr.write(`${error.cause.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  out.error(`Unexpected error: ${message}`);
  if (debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write(`  ${paint("dim", "→")} Run again with --debug for details, and report it.\n`);
  return ExitCode.error;
}

/**
 * A stdout that fails ends the command, whichever it is, unless it claimed the failure (the
 * foreground supervisor stops its stack instead): a reader that went away (`… | head -1`) quietly,
 * with the exit code the command returned if it had finished (`status`'s 3 when nothing runs), else 0;
 * any other failure (a full disk) with an error, exit 1.
 */
function endOnStdoutFailure(debug: boolean): void {
  watchStdout((failure) => {
    const code = failure.readerGone
      ? undefined
      : report(
          new StigmerError(`Cannot write the output: ${failure.reason}.`, { fix: "Check where stdout goes (a full disk, a closed file), then run the command again." }),
          debug,
        );
    // The failure is reported before a command that has just written its last line returns its exit code: let it.
    setImmediate(() => process.exit(code));
  });
}

/** Runs one command line; returns the exit code. Errors become one message and a fix. */
export async function runCli(argv: string[]): Promise<ExitCode> {
  const debug = debugEnabled(argv);
  endOnStdoutFailure(debug);
  const words = argv.filter((arg) => !GLOBAL_FLAGS.has(arg));
  let chain: AnyCommand[] = [rootCommand as AnyCommand];
  try {
    const resolved = await resolveChain(words);
    chain = resolved.chain;
    const command = chain[chain.length - 1]!;
    const name = commandName(chain);
    if (beforeSeparator(resolved.rest).some((arg) => HELP_FLAGS.has(arg))) {
      process.stdout.write(`${await usageOf(chain, colorEnabled(process.stdout))}\n`);
      return ExitCode.ok;
    }
    if (!command.run) {
      throw usageError(`"${name}" needs a command.`, `See: ${name} --help`);
    }
    const args = parseArguments(command.args ? await resolve(command.args) : {}, resolved.rest, name);
    const context = { rawArgs: resolved.rest, args, cmd: command } as CommandContext<ArgsDef>;
    const result: unknown = await command.run(context);
    return typeof result === "number" ? (result as ExitCode) : ExitCode.ok;
  } catch (error) {
    const code = report(error, debug);
    if (code === ExitCode.usage) process.stderr.write(await shortUsage(chain));
    return code;
  }
}

/** citty's help, named by the whole command path, without colour where colour is off. citty is loaded for it alone. */
async function usageOf(chain: AnyCommand[], color: boolean): Promise<string> {
  const { renderUsage } = await import("citty");
  const parentName = commandName(chain.slice(0, -1));
  const parent = parentName ? ({ meta: { name: parentName } } as AnyCommand) : undefined;
  const usage = await renderUsage(chain[chain.length - 1]!, parent);
  return color ? usage : stripAnsi(usage);
}

function stripAnsi(text: string): string {
  return text.replace(/\u001B\[[0-9;]*m/g, "");
}

/** The USAGE line of the command's help: enough to see the mistake, short enough to read. */
async function shortUsage(chain: AnyCommand[]): Promise<string> {
  const usage = await usageOf(chain, colorEnabled(process.stderr));
  const line = usage.split("\n").find((text) => text.includes("USAGE"));
  return line ? `\n${line}\n` : "";
}
