
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
  // node:url only here: under Bun it would stay resident in the background supervisor (timers.ts).
  if (deno) return { command: deno.execPath(), args: ["run", "-A", process.getBuiltinModule("node:url").fileURLToPath(deno.mainModule)] };
  const script = process.argv[1];
  if (!script || script === process.execPath || isInsideCompiledBinary(script)) return { command: process.execPath, args: [] };
  return { command: process.execPath, args: [script] };
}

/**
 * How to start this program as the background supervisor, with `args`. On Linux and macOS through
 * /bin/sh, which sets the core file size to 0 and then execs it (same pid): the supervisor holds
 * the keys in memory, and a crash or a SIGABRT must not write them to a core file. Bun cannot
 * set an rlimit itself. Only the soft limit: the runner inherits it, and may raise it again.
 */
export function backgroundCommand(args: readonly string[]): { command: string; args: string[] } {
  const self = selfCommand();
  if (process.platform === "win32") return { command: self.command, args: [...self.args, ...args] };
  return { command: "/bin/sh", args: ["-c", 'ulimit -S -c 0 && exec "$0" "$@"', self.command, ...self.args, ...args] };
}

/**
 * Variables that make the runtime serve a debugger (which can evaluate code, and so read the
 * keys, from any local account: it listens on loopback) or load code before ours. The runner
 * still gets them: its environment is built in the plan, from the user's.
 */
const RUNTIME_HOOK = /^(?:BUN_INSPECT(?:_.*)?|BUN_OPTIONS|NODE_OPTIONS)$/;

/** What backgroundEnvironment sets under Bun; one declaration, so that the tests and the bench's flood probe use exactly these. */
export const BUN_SUPERVISOR_SETTINGS: Readonly<Record<string, string>> = {
  BUN_JSC_useDFGJIT: "0",
  BUN_JSC_useBaselineJIT: "0",
  BUN_JSC_useRegExpJIT: "0",
  BUN_OPTIONS: "--smol",
  BUN_GC_TIMER_DISABLE: "1",
};

/**
 * The background supervisor's environment: `env` without the runtime's debugging and preload
 * hooks, plus engine settings for a process that lives all day, mostly waits, and copies the
 * runner's output in batches. Measured (bench/RESULTS.md):
 * - without the DFG and FTL JITs, whose code is ~5.5 MiB of the binary that would otherwise be
 *   paged in, a 200 MB flood peaks at 56 MiB instead of 62 at the same CPU time; `--smol` keeps
 *   the heap a little tighter, and a flood's chunks are collected and their memory reused sooner
 *   (bench --probes, flood: a bare copier uses less CPU with these settings than with Bun's own);
 * - without the baseline and RegExp JITs either, the idle supervisor is ~1 MiB smaller (36.3 →
 *   35.3 MiB RSS with no daemon under Bun 1.4.5) at the same flood CPU time: its JavaScript is
 *   glue between native calls, and the only regular expression it runs often is a readiness
 *   pattern until ready. No JIT at all (BUN_JSC_useJIT=0) takes ~2.3 MiB off but doubles the
 *   flood's CPU time;
 * - without Bun's GC timer (a collection check every second, later every 30 s), the idle
 *   supervisor uses 0.03-0.07 % of a core instead of 0.17-0.20 % in its first minute; JSC still
 *   collects as memory is allocated, so after a flood ~2 MiB more stay resident;
 * - all five against none, measured again under Bun 1.4.4: idle with no daemon 25.5 → 24.9 MiB,
 *   a 100 MB flood's peak 51 → 37 MiB, its CPU time the same.
 */
export function backgroundEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && !RUNTIME_HOOK.test(name)) clean[name] = value;
  if ("Bun" in globalThis) Object.assign(clean, BUN_SUPERVISOR_SETTINGS);
  return clean;
}
