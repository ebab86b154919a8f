#!/usr/bin/env bun
// The entry point stays tiny: `--version` answers before any command code is loaded.
import { isSuperviseCommand } from "./lifecycle/supervisor/supervise-command.ts";
import { VERSION } from "./version.ts";

/**
 * The modules main loads by path. A compiled binary holds each as an entry point of its own beside
 * this one (build.ts sets their paths), so that this one holds none of their code: `--version` loads
 * none of the commands (it once cost ~9 ms), and the background supervisor, which lives all day, none
 * of the commands' modules or the built-in modules they use (~2 MiB). From the source, they are the
 * modules themselves.
 */
declare const STIGMER_ENTRIES: { cli: string; supervisor: string } | undefined;
const ENTRIES =
  typeof STIGMER_ENTRIES === "object" ? STIGMER_ENTRIES : { cli: "./cli/run.ts", supervisor: "./lifecycle/supervisor/background.ts" };

async function main(argv: string[]): Promise<void> {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    // console.log, not process.stdout: building Node's stream for stdout costs a compiled binary ~20 ms.
    console.log(`stigmer ${VERSION}`);
    return;
  }
  if (isSuperviseCommand(argv)) {
    const { superviseDetached }: typeof import("./lifecycle/supervisor/background.ts") = await import(ENTRIES.supervisor);
    process.exitCode = await superviseDetached();
    return;
  }
  const { runCli }: typeof import("./cli/run.ts") = await import(ENTRIES.cli);
  process.exitCode = await runCli(argv);
}

void main(process.argv.slice(2));
