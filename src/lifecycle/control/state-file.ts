import { closeSync, linkSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { StigmerError } from "../../cli/errors.ts";
import { processStartToken } from "../../platform/process/proc.ts";
import { VERSION } from "../../version.ts";
import { controlSocketPath } from "./control.ts";
import { checkOwnHome, openPrivateFile, type HomeLayout } from "./state-dir.ts";

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
  /** Where its control socket is: read from here, never worked out again (the temp dir may differ). */
  controlSocket: string;
  /** Process groups of the running components, by name; the leader's pid is the group id. */
  groups: Record<string, RecordedProcess>;
}

/** Writes the state so that a reader sees the old file or the new one, never half of either. */
export function writeStateFile(path: string, state: SupervisorState): void {
  renameSync(writeTemporaryCopy(path, state), path);
}

/**
 * The state in `<path>.<pid>.tmp`, opened the safe way (a link planted at that name is replaced, never followed).
 * Not synced: the rename alone keeps readers from seeing half a file, and what it records (pids) means nothing
 * after the crash of the machine a sync would guard against; a file that came out empty then is cleaned up as
 * damaged (stale.ts). A sync cost each start ~0.7 ms before its runner, and again after it (bench/RESULTS.md, session 14).
 */
function writeTemporaryCopy(path: string, state: SupervisorState): string {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openPrivateFile(temporary, "replace");
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  return temporary;
}

/**
 * `start --detach` records the background supervisor as soon as it has launched it, before that
 * process has even taken its control socket: a `stop` in that moment finds it and waits for it
 * to answer, instead of saying that nothing runs. Only when there is no state yet: a supervisor
 * that got there first has written its own, which is the better record. Never fails the start.
 */
export function recordLaunchedSupervisor(layout: HomeLayout, pid: number | undefined): void {
  if (pid === undefined || pid <= 0) return;
  const state: SupervisorState = {
    version: VERSION,
    startedAt: new Date().toISOString(),
    supervisor: { pid, startToken: processStartToken(pid) },
    controlSocket: controlSocketPath(layout),
    groups: {},
  };
  try {
    const temporary = writeTemporaryCopy(layout.stateFile, state);
    try {
      linkSync(temporary, layout.stateFile);
    } finally {
      rmSync(temporary, { force: true });
    }
  } catch {
    // There already (EEXIST), or not to be written: the supervisor writes its own in a moment.
  }
}

export type StateRead = { kind: "none" } | { kind: "state"; state: SupervisorState } | { kind: "corrupt"; reason: string };

/**
 * What a supervisor recorded in this home, once the home, its `run/` and the file are known to be
 * the user's own (see `checkOwnHome`, `openPrivateFile`): what a command acts on, kills included.
 */
export function readSupervisorState(layout: HomeLayout): StateRead {
  checkOwnHome(layout);
  return readStateFile(layout.stateFile);
}

/** Reads one state file, opened the safe way; throws a StigmerError for one that cannot or must not be read. */
export function readStateFile(path: string): StateRead {
  const fd = openPrivateFile(path, "read");
  if (fd === null) return { kind: "none" };
  let text: string;
  try {
    text = readFileSync(fd, "utf8");
  } catch (error) {
    return { kind: "corrupt", reason: (error as Error).message };
  } finally {
    closeSync(fd);
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

/**
 * Removes the state file if it still names this supervisor: another may have written its own
 * since. One that cannot be read as the user's is not ours to remove either.
 */
export function removeStateFileOf(path: string, supervisorPid: number): void {
  let read: StateRead;
  try {
    read = readStateFile(path);
  } catch {
    return;
  }
  if (read.kind === "state" && read.state.supervisor.pid === supervisorPid) removeStateFile(path);
}

export function removeStateFile(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch (error) {
    throw new StigmerError(`Cannot remove ${path}: ${(error as Error).message}.`, {
      fix: `Make its directory yours and writable (chmod 700 ${dirname(path)}), then try again.`,
      cause: error,
    });
  }
}
