#!/usr/bin/env bun
// The entry point stays tiny: `--version` answers before any command code is loaded.
import { VERSION } from "./version.ts";

async function main(argv: string[]): Promise<void> {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    // console.log, not process.stdout: building Node's stream for stdout costs a compiled binary ~20 ms.
    console.log(`stigmer ${VERSION}`);
    return;
  }
  const { runCli } = await import("./cli/run.ts");
  process.exitCode = await runCli(argv);
}

void main(process.argv.slice(2));
