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
 * and copies the runner's output in batches. It never reaches the runner, whose environment is
 * built in the plan. Measured (bench/RESULTS.md):
 * - without the DFG and FTL JITs, whose code is ~5.5 MiB of the binary that would otherwise be
 *   paged in, a 200 MB flood peaks at 56 MiB instead of 62 at the same CPU time; `--smol` keeps
 *   the heap a little tighter;
 * - without Bun's GC timer (a collection check every second, later every 30 s), the idle
 *   supervisor uses 0.03-0.07 % of a core instead of 0.17-0.20 % in its first minute; JSC still
 *   collects as memory is allocated, so after a flood ~2 MiB more stay resident.
 */
export function backgroundRuntimeEnv(): Record<string, string> {
  if (!("Bun" in globalThis)) return {};
  return { BUN_JSC_useDFGJIT: "0", BUN_OPTIONS: "--smol", BUN_GC_TIMER_DISABLE: "1" };
}
