import { takeOutputPipes } from "../../platform/process/output-pipes.ts";
import { DEFAULT_PIPE_CAPACITY } from "../../platform/process/pipe-capacity.ts";
import { groupHasLivingMember, hasProcFs } from "../../platform/process/proc.ts";
import { readUntil, runToEnd, startChild, type OutputStream, type StartError } from "../../platform/process/spawn.ts";
import { sleep } from "../../platform/process/timers.ts";

export interface LaunchSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
}

export interface ProcessExit {
  code: number | null;
  signal: string | null;
  /** Set when the process could not be started at all (missing file, no permission). */
  error?: string;
}

export interface LaunchedProcess {
  pid: number;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Resolves once the leader has exited and been reaped; never rejects. */
  exited: Promise<ProcessExit>;
  /** How many bytes its stdout and stderr pipes each hold, as far as we know by now. */
  outputCapacity: () => number;
  /** Gives its output pipes more room, in the background and once, where that can be done (see pipe-capacity.ts). */
  raiseOutputCapacity: () => void;
  /**
   * Stops reading its stdout and stderr, and closes them: once it has exited, a process it started
   * in a session of its own (out of reach of its group's signals) may hold them open for as long as
   * it runs, and would keep them, their reading and this process alive.
   */
  abandonOutput: () => void;
}

const isWindows = process.platform === "win32";

/**
 * Starts a process as the leader of a new session and process group (POSIX) so that
 * the whole tree it forks can be signalled at once, and so that the terminal's Ctrl-C
 * reaches only us: we decide how the runner stops.
 */
export function launchInGroup(spec: LaunchSpec): LaunchedProcess {
  const abandoned = new AbortController();
  const pipes = takeOutputPipes(abandoned.signal);
  let child: ReturnType<typeof startChild>;
  try {
    child = startChild(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: !isWindows,
      stdin: "ignore",
      stdout: pipes?.writeEnds[0] ?? "pipe",
      stderr: pipes?.writeEnds[1] ?? "pipe",
    });
  } finally {
    pipes?.closeWriteEnds();
  }
  const exited = child.exited.then(({ code, signal, startError }): ProcessExit =>
    startError ? { code, signal, error: describeSpawnError(startError, spec.command) } : { code, signal },
  );
  return {
    pid: child.pid,
    stdout: pipes?.stdout ?? (child.stdout ? readUntil(child.stdout, abandoned.signal) : NO_OUTPUT),
    stderr: pipes?.stderr ?? (child.stderr ? readUntil(child.stderr, abandoned.signal) : NO_OUTPUT),
    exited,
    outputCapacity: () => pipes?.capacity() ?? DEFAULT_PIPE_CAPACITY,
    raiseOutputCapacity: () => pipes?.raiseCapacity(),
    abandonOutput: () => abandoned.abort(),
  };
}

/** The output of a process that never started. */
const NO_OUTPUT: OutputStream = { async *[Symbol.asyncIterator]() {} };

function describeSpawnError(error: StartError, command: string): string {
  if (error.code === "ENOENT") return `${command} does not exist`;
  if (error.code === "EACCES") return `${command} is not executable`;
  return `${command} could not be started: ${error.message}`;
}

/** Sends a signal to every process in the group; false when the group is gone. */
export function signalGroup(pgid: number, signal: "SIGTERM" | "SIGKILL"): boolean {
  if (pgid <= 0) return false;
  if (isWindows) {
    const force = signal === "SIGKILL" ? ["/F"] : [];
    return runToEnd("taskkill", ["/PID", String(pgid), "/T", ...force], { stdout: "ignore" }).status === 0;
  }
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function groupAlive(pgid: number): boolean {
  if (pgid <= 0) return false;
  if (isWindows) {
    try {
      process.kill(pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return hasProcFs ? groupHasLivingMember(pgid) : true;
}

const POLL_MS = 25;

/**
 * Ends a process group: SIGTERM to all of it, up to `graceMs` for every member to leave,
 * then SIGKILL to whatever is left. Resolves once the group is empty.
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<"terminated" | "killed"> {
  if (!signalGroup(pgid, "SIGTERM")) return "terminated";
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) {
      signalGroup(pgid, "SIGKILL");
      await untilGroupGone(pgid, KILLED_GONE_MS);
      return "killed";
    }
    await sleep(POLL_MS);
  }
  return "terminated";
}

/** The longest a group SIGKILLed is waited for: a member in uninterruptible sleep may take a moment. */
export const KILLED_GONE_MS = 5000;

/** Resolves once the group is empty, or after `withinMs`. */
export async function untilGroupGone(pgid: number, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(POLL_MS);
}
