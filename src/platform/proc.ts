import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

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
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readProcStat(pid);
    if (stat && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") return true;
  }
  return false;
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
  const result = spawnSync("ps", ["-o", "lstart=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const text = result.status === 0 ? result.stdout.trim() : "";
  return text === "" ? null : text;
}

/** The process is alive and is the one recorded: same pid, same start token (when both are known). */
export function isSameProcess(pid: number, startToken: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (hasProcFs) {
    // A zombie has exited; it only waits for its parent (often init, sometimes late) to reap it.
    const stat = readProcStat(pid);
    if (!stat || stat.state === "Z" || stat.state === "X") return false;
    return startToken === null || String(stat.startTime) === startToken;
  }
  const now = processStartToken(pid);
  if (now === null || startToken === null) return now === startToken || process.platform === "win32";
  return now === startToken;
}
