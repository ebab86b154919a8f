// Everything the bench starts, and the one temporary directory it writes in: all of it is ended and removed on
// the way out, after Ctrl-C too. A process is started as the leader of a process group of its own, so that it and
// everything it forks can be ended together by signalling the group.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startTicks } from "./proc.ts";

/** The bench's temporary directory: every STIGMER_HOME, log and compiled probe goes under it. */
export const scratch = mkdtempSync(path.join(tmpdir(), "stigmer-bench-"));

/**
 * Process groups to end on the way out, each with its leader's start time: pids wrap (pid_max is 32768 here), and a
 * group that is gone must never be taken for a new one that got its number. A group leaves the map once it is gone.
 */
const liveGroups = new Map<number, string | null>();
/** Synchronous clean-ups (`local stop`, `pm2 kill`, …), run before the groups are killed, newest first. */
const cleanUps = new Set<() => void>();

/** A moment for a process told to stop to stop its own children; stigmer needs a few tens of ms. */
const GRACE_ON_ABORT_MS = 300;
export const POLL_MS = 10;

/** Runs `fn` on the way out unless the returned function is called first (the thing was stopped properly). */
export function onCleanUp(fn: () => void): () => void {
  cleanUps.add(fn);
  return () => cleanUps.delete(fn);
}

/** Ends `pgid`'s group on the way out, also when the bench did not start it (a background supervisor, its runner). */
export function trackGroup(pgid: number): void {
  liveGroups.set(pgid, startTicks(pgid));
}

export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

/** Blocks the thread: the clean-up also runs from a signal handler right before exiting, where nothing async runs. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function cleanUp(): void {
  for (const fn of [...cleanUps].reverse()) {
    cleanUps.delete(fn);
    try {
      fn();
    } catch {
      // Best effort: the process groups below are killed anyway.
    }
  }
  if ([...liveGroups.keys()].some((pgid) => groupExists(pgid))) {
    for (const pgid of liveGroups.keys()) signalGroup(pgid, "SIGTERM");
    sleepSync(GRACE_ON_ABORT_MS);
    for (const pgid of liveGroups.keys()) signalGroup(pgid, "SIGKILL");
  }
  liveGroups.clear();
  rmSync(scratch, { recursive: true, force: true });
}

for (const [signal, exitCode] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.on(signal, () => {
    cleanUp();
    process.exit(exitCode);
  });
}

/**
 * Whether the group `pgid` is still the one tracked: the kernel keeps a pid number taken while any process is in
 * the group it names, so a group with members and no process of that pid is ours; a process of that pid must
 * have our leader's start time.
 */
function isStillOurs(pgid: number, leaderStart: string | null): boolean {
  if (!groupExists(pgid)) return false;
  const now = startTicks(pgid);
  return now === null || now === leaderStart;
}

/** Signals the group `pgid`, unless it is one the bench tracks that is gone, or whose number another process now has. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  if (liveGroups.has(pgid) && !isStillOurs(pgid, liveGroups.get(pgid) ?? null)) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already gone.
  }
}

export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Whether any process of the group `pgid` is left (a zombie counts until its parent reaps it). */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every `pollMs` until it returns something truthy, which it returns; fails after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => T | null | undefined | false, pollMs = POLL_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(pollMs);
  }
}

/** A new directory under the scratch one. */
export function freshDir(prefix: string): string {
  return mkdtempSync(path.join(scratch, `${prefix.replace(/\W+/g, "-")}-`));
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Started {
  child: ChildProcess;
  /** The child's pid, which is also its process group's id. */
  pid: number;
  exited: Promise<Exit>;
}

export interface StartOptions {
  env: Record<string, string>;
  cwd?: string;
  /** An open file descriptor, "pipe" or "ignore" (the default) for stdout; stderr is always ignored. */
  stdout?: number | "ignore" | "pipe";
  /** "pipe" to write to its stdin; "ignore" (the default) for /dev/null. */
  stdin?: "ignore" | "pipe";
}

/** Starts a process as the leader of its own group, so that it and all it forks can be ended together. */
export function startInGroup(command: string, args: string[], options: StartOptions): Started {
  const child = spawn(command, args, {
    env: options.env,
    cwd: options.cwd,
    detached: true,
    stdio: [options.stdin ?? "ignore", options.stdout ?? "ignore", "ignore"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${command} could not be started`);
  trackGroup(pid);
  const exited = new Promise<Exit>((resolve) =>
    child.once("exit", (code, signal) => {
      // Whatever the leader left in its group is still killed on the way out.
      if (!groupExists(pid)) liveGroups.delete(pid);
      resolve({ code, signal });
    }),
  );
  return { child, pid, exited };
}

/** Waits for the exit; after `timeoutMs` kills the whole group and fails the benchmark. */
export async function exitWithin(started: Started, timeoutMs: number, what: string): Promise<Exit> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
  const outcome = await Promise.race([started.exited, timedOut]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    signalGroup(started.pid, "SIGKILL");
    await started.exited;
    throw new Error(`${what} did not finish within ${timeoutMs / 1000} s`);
  }
  return outcome;
}

/** SIGTERM to the group, then waits for the leader's exit, which must be 0, and for the whole group to be gone. */
export async function stopGroup(started: Started, timeoutMs: number, what: string): Promise<void> {
  signalGroup(started.pid, "SIGTERM");
  const exit = await exitWithin(started, timeoutMs, `${what} after SIGTERM`);
  if (exit.code !== 0) throw new Error(`${what} exited with ${exit.code ?? exit.signal} after SIGTERM, not 0`);
  await until(`${what}: its process group gone after SIGTERM`, timeoutMs, () => !groupExists(started.pid));
  liveGroups.delete(started.pid);
}

export const TRIAL_TIMEOUT_MS = 120_000;
export const STOP_TIMEOUT_MS = 15_000;

/** Wall time of one run, spawn to exit; fails unless it exits with `status` and `check` finds nothing wrong with its stdout. */
export function timedRun(command: string, args: string[], env: Record<string, string>, status: number, check: (stdout: string) => string | null): number {
  const began = performance.now();
  const result = spawnSync(command, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: TRIAL_TIMEOUT_MS });
  const elapsed = performance.now() - began;
  const problem = result.status !== status ? `exit ${result.status ?? result.signal}, expected ${status}` : check(result.stdout);
  if (problem) throw new Error(`${command} ${args.join(" ")} failed (${problem}): ${result.stdout}`);
  return elapsed;
}

/** `timedRun` of a command that must exit 0 and print `expect`. */
export function timedRunPrinting(command: string, args: string[], env: Record<string, string>, expect: string): number {
  return timedRun(command, args, env, 0, (stdout) => (stdout.includes(expect) ? null : `no "${expect}" on stdout`));
}

/** The moment now on the wall clock (CLOCK_REALTIME), in ms with µs resolution: what a Python `time.time_ns()` compares with. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
