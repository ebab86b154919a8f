import { groupOutlivedLeader, isSameProcess, mayStillRun } from "../../platform/process/proc.ts";
import { signalGroup } from "../process/process-tree.ts";
import type { HomeLayout } from "./state-dir.ts";
import { readSupervisorState, removeStateFile, removeStateFileOf, type RecordedProcess, type SupervisorState } from "./state-file.ts";

export type StaleCheck =
  | { kind: "none" }
  | { kind: "alive"; state: SupervisorState }
  | { kind: "cleaned"; killedGroups: number[]; note: string };

/**
 * SIGKILLs a process group recorded in a state file, only when it is verifiably the one recorded:
 * its leader is still the process we started (same start token), or the leader is gone and the
 * group it left lives on (`groupOutlivedLeader`). A pid without its token, or now used by an
 * unrelated process, is never signalled. True when the group was signalled.
 */
function killRecordedGroup(group: RecordedProcess): boolean {
  const verified = isSameProcess(group.pid, group.startToken) || groupOutlivedLeader(group.pid, group.startToken);
  return verified && signalGroup(group.pid, "SIGKILL");
}

/**
 * Finds out whether the state file's supervisor still runs; if it does not, kills what it
 * left behind and removes its state file, so the next command starts from a clean slate.
 * The file is acted on only once it is known to be the user's own (`readSupervisorState`).
 * Its socket file is left to `listenControl`, which replaces it only when nothing answers.
 */
export function checkForStaleSupervisor(layout: HomeLayout): StaleCheck {
  const read = readSupervisorState(layout);
  if (read.kind === "none") return { kind: "none" };
  if (read.kind === "corrupt") {
    removeStateFile(layout.stateFile);
    return { kind: "cleaned", killedGroups: [], note: `removed a damaged state file (${read.reason})` };
  }
  const { state } = read;
  if (mayStillRun(state.supervisor.pid, state.supervisor.startToken)) return { kind: "alive", state };
  const killedGroups: number[] = [];
  for (const group of Object.values(state.groups)) if (killRecordedGroup(group)) killedGroups.push(group.pid);
  removeStateFileOf(layout.stateFile, state.supervisor.pid);
  const killed = killedGroups.length ? `; killed its orphaned process group${killedGroups.length > 1 ? "s" : ""} ${killedGroups.join(", ")}` : "";
  return { kind: "cleaned", killedGroups, note: `cleaned up after a supervisor that died (pid ${state.supervisor.pid})${killed}` };
}
