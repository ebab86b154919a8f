import { fileURLToPath } from "node:url";

interface DenoGlobal {
  execPath(): string;
  mainModule: string;
}

/** Bun's compiled binaries see their own entry point under this virtual root. */
function isInsideCompiledBinary(script: string): boolean {
  return script.startsWith("/$bunfs/") || /^[A-Z]:[\\/]~BUN[\\/]/i.test(script);
}

/**
 * How to start this same program again: the compiled binary alone; `bun src/main.ts`;
 * or `deno run -A src/main.ts`. Used to re-execute ourselves as the background supervisor.
 */
export function selfCommand(): { command: string; args: string[] } {
  const deno = (globalThis as { Deno?: DenoGlobal }).Deno;
  if (deno) return { command: deno.execPath(), args: ["run", "-A", fileURLToPath(deno.mainModule)] };
  const script = process.argv[1];
  if (!script || script === process.execPath || isInsideCompiledBinary(script)) return { command: process.execPath, args: [] };
  return { command: process.execPath, args: [script] };
}

/**
 * Engine settings for the background supervisor, a process that lives all day, mostly waits,
 * and copies the runner's output in batches. Measured with a 200 MB flood (bench/RESULTS.md):
 * without the DFG and FTL JITs, whose code is ~5.5 MiB of the binary that would otherwise be
 * paged in, peak RSS 56 MiB instead of 62 at the same CPU time; `--smol` keeps the heap a little
 * tighter. It never reaches the runner, whose environment is built in the plan.
 */
export function backgroundRuntimeEnv(): Record<string, string> {
  if (!("Bun" in globalThis)) return {};
  return { BUN_JSC_useDFGJIT: "0", BUN_OPTIONS: "--smol" };
}
