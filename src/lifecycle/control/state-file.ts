import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync, constants } from "node:fs";

/** A process as recorded: the pid, and the start token that proves a live pid is still that process. */
export interface RecordedProcess {
  pid: number;
  startToken: string | null;
}

/**
 * `run/supervisor.json`: what a later command needs to find, or clean up after, a supervisor.
 * Never holds a key.
 */
export interface SupervisorState {
  version: string;
  startedAt: string;
  supervisor: RecordedProcess;
  controlSocket: string;
  /** Process groups of the running components, by name; the leader's pid is the group id. */
  groups: Record<string, RecordedProcess>;
}

/** Writes the state so that a reader sees the old file or the new one, never half of either. */
export function writeStateFile(path: string, state: SupervisorState): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

export type StateRead = { kind: "none" } | { kind: "state"; state: SupervisorState } | { kind: "corrupt"; reason: string };

export function readStateFile(path: string): StateRead {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    // No file, or no directory to hold one (STIGMER_HOME is a file: `start` says so).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "none" };
    return { kind: "corrupt", reason: (error as Error).message };
  }
  try {
    const state = parseState(JSON.parse(text));
    return state ? { kind: "state", state } : { kind: "corrupt", reason: "unexpected content" };
  } catch {
    return { kind: "corrupt", reason: text.trim() === "" ? "empty file" : "not JSON" };
  }
}

function parseRecorded(value: unknown): RecordedProcess | null {
  if (typeof value !== "object" || value === null) return null;
  const { pid, startToken } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0) return null;
  if (startToken !== null && typeof startToken !== "string") return null;
  return { pid: pid as number, startToken: startToken as string | null };
}

/** Checks the shape field by field: a state file is input like any other and may be damaged. */
export function parseState(value: unknown): SupervisorState | null {
  if (typeof value !== "object" || value === null) return null;
  const raw = value as Record<string, unknown>;
  const supervisor = parseRecorded(raw.supervisor);
  if (!supervisor || typeof raw.version !== "string" || typeof raw.startedAt !== "string" || typeof raw.controlSocket !== "string") {
    return null;
  }
  if (typeof raw.groups !== "object" || raw.groups === null) return null;
  const groups: Record<string, RecordedProcess> = {};
  for (const [name, group] of Object.entries(raw.groups)) {
    const recorded = parseRecorded(group);
    if (!recorded) return null;
    groups[name] = recorded;
  }
  return { version: raw.version, startedAt: raw.startedAt, supervisor, controlSocket: raw.controlSocket, groups };
}

export function removeStateFile(path: string): void {
  rmSync(path, { force: true });
}
