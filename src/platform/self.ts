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
