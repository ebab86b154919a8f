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
