import { isSameProcess } from "../../platform/proc.ts";
import { groupAlive, signalGroup } from "../process/process-tree.ts";
import type { HomeLayout } from "./state-dir.ts";
import { readStateFile, removeStateFile, type RecordedProcess, type SupervisorState } from "./state-file.ts";

export type StaleCheck =
  | { kind: "none" }
  | { kind: "alive"; state: SupervisorState }
  | { kind: "cleaned"; killedGroups: number[]; note: string };

/**
 * A process group recorded by a dead supervisor is ours to kill when its leader is still the
 * process we started (same start token), or when the leader is gone but the group lives on:
 * a pid cannot be handed out again while a group of that id exists, so those members are
 * what is left of our runner. A leader pid now used by an unrelated process is never signalled.
 */
function orphanedGroup(group: RecordedProcess): boolean {
  if (isSameProcess(group.pid, group.startToken)) return true;
  let leaderExists = true;
  try {
    process.kill(group.pid, 0);
  } catch (error) {
    leaderExists = (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !leaderExists && groupAlive(group.pid);
}

/**
 * Finds out whether the state file's supervisor still runs; if it does not, kills what it
 * left behind and removes its state file, so the next command starts from a clean slate.
 * Its socket file is left to `listenControl`, which replaces it only when nothing answers.
 */
export function checkForStaleSupervisor(layout: HomeLayout): StaleCheck {
  const read = readStateFile(layout.stateFile);
  if (read.kind === "none") return { kind: "none" };
  if (read.kind === "corrupt") {
    removeStateFile(layout.stateFile);
    return { kind: "cleaned", killedGroups: [], note: `removed a damaged state file (${read.reason})` };
  }
  const { state } = read;
  if (isSameProcess(state.supervisor.pid, state.supervisor.startToken)) return { kind: "alive", state };
  const killedGroups: number[] = [];
  for (const group of Object.values(state.groups)) {
    if (orphanedGroup(group) && signalGroup(group.pid, "SIGKILL")) killedGroups.push(group.pid);
  }
  // A new supervisor may have written its own state since we read it: remove only the dead one's.
  const again = readStateFile(layout.stateFile);
  if (again.kind === "state" && again.state.supervisor.pid === state.supervisor.pid) removeStateFile(layout.stateFile);
  const killed = killedGroups.length ? `; killed its orphaned process group${killedGroups.length > 1 ? "s" : ""} ${killedGroups.join(", ")}` : "";
  return { kind: "cleaned", killedGroups, note: `cleaned up after a supervisor that died (pid ${state.supervisor.pid})${killed}` };
}
