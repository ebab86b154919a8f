#!/usr/bin/env bun
// The entry point stays tiny: `--version` answers before any command code is loaded.
import { VERSION } from "./version.ts";

/**
 * Where the commands live. A compiled binary holds them as a second entry point beside this one
 * (build.ts sets the path): a binary whose entry module held the whole CLI would load all of its
 * bytecode, ~9 ms, even for `--version`. From the source, it is the module itself.
 */
declare const STIGMER_CLI_ENTRY: string | undefined;
const CLI_ENTRY = typeof STIGMER_CLI_ENTRY === "string" ? STIGMER_CLI_ENTRY : "./cli/run.ts";

async function main(argv: string[]): Promise<void> {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    // console.log, not process.stdout: building Node's stream for stdout costs a compiled binary ~20 ms.
    console.log(`stigmer ${VERSION}`);
    return;
  }
  const { runCli }: typeof import("./cli/run.ts") = await import(CLI_ENTRY);
  process.exitCode = await runCli(argv);
}

void main(process.argv.slice(2));
