import { readdirSync, readFileSync } from "node:fs";
import { runToEnd } from "./spawn.ts";

/** The fields of /proc/PID/stat that the supervisor needs (Linux only). */
export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  /** Clock ticks after boot: with the pid, it names a process uniquely, even when the pid is reused. */
  startTime: number;
}

/** Parses /proc/PID/stat; the command name may hold spaces and parentheses, so split after the last ")". */
export function parseProcStat(pid: number, text: string): ProcStat | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(" ");
  const number = (index: number) => Number(fields[index]);
  if (fields.length < 20 || !Number.isFinite(number(19))) return null;
  return { pid, state: fields[0]!, ppid: number(1), pgrp: number(2), startTime: number(19) };
}

export const hasProcFs = process.platform === "linux";

export function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(pid, readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

/**
 * Whether a process group still has a member that is not a zombie. A killed grandchild
 * stays a zombie until init reaps it, which some inits do late; it holds nothing, so it
 * does not count. Linux only.
 */
export function groupHasLivingMember(pgid: number): boolean {
  return !livingMembers(pgid).next().done;
}

function* livingMembers(pgid: number): Generator<ProcStat> {
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readProcStat(pid);
    if (stat && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") yield stat;
  }
}

/**
 * A token that, with the pid, names one process for its whole life, so that a pid reused
 * by another program is never mistaken for ours: the start time in clock ticks on Linux,
 * the start date `ps` prints on macOS and the BSDs; null where neither is to be had.
 */
export function processStartToken(pid: number): string | null {
  if (pid <= 0) return null;
  if (hasProcFs) {
    const stat = readProcStat(pid);
    return stat ? String(stat.startTime) : null;
  }
  if (process.platform === "win32") return null;
  const result = runToEnd("ps", ["-o", "lstart=", "-p", String(pid)], { stdout: "text" });
  const text = result.status === 0 ? result.stdout.trim() : "";
  return text === "" ? null : text;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The process is alive and is the one recorded: same pid, same start token. A null token
 * matches nothing: a pid without its token proves nothing, and a file that names one must not
 * get a live process of somebody else's signalled.
 */
export function isSameProcess(pid: number, startToken: string | null): boolean {
  if (startToken === null || pid <= 0 || !pidExists(pid)) return false;
  if (hasProcFs) {
    // A zombie has exited; it only waits for its parent (often init, sometimes late) to reap it.
    const stat = readProcStat(pid);
    return stat !== null && stat.state !== "Z" && stat.state !== "X" && String(stat.startTime) === startToken;
  }
  return processStartToken(pid) === startToken;
}

/**
 * Whether a recorded process may still run: the same process (`isSameProcess`), or, on Windows,
 * where no start token is to be had, a live pid. Enough to talk to it; never enough to signal it.
 */
export function mayStillRun(pid: number, startToken: string | null): boolean {
  if (startToken === null && process.platform === "win32") return pid > 0 && pidExists(pid);
  return isSameProcess(pid, startToken);
}

/**
 * Whether the group a recorded leader started lives on after that leader exited: the leader's
 * pid is free and the group has members, every one started no earlier than the leader (members
 * older than it are not what it left). A pid cannot be handed out again while a group of that id
 * exists, so such members are what is left of it. Linux only (start times in clock ticks).
 */
export function groupOutlivedLeader(pgid: number, leaderStartToken: string | null): boolean {
  if (!hasProcFs || leaderStartToken === null || pgid <= 0 || pidExists(pgid)) return false;
  const leaderStart = Number(leaderStartToken);
  const members = [...livingMembers(pgid)];
  return Number.isFinite(leaderStart) && members.length > 0 && members.every((member) => member.startTime >= leaderStart);
}
