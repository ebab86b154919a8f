import { ExitCode, StigmerError } from "../../cli/errors.ts";
import { isSameProcess } from "../../platform/proc.ts";
import { stigmerHome } from "../../platform/paths.ts";
import { controlRequest, controlSocketPath } from "./control.ts";
import { signalGroup } from "../process/process-tree.ts";
import { checkForStaleSupervisor } from "./stale.ts";
import { homeLayout, type HomeLayout } from "./state-dir.ts";
import { readStateFile, removeStateFile } from "./state-file.ts";
import type { StatusReport } from "./status.ts";

/** The commands that talk to a running supervisor: `status`, `stop`, `restart`. */
export function currentLayout(env: NodeJS.ProcessEnv = process.env): HomeLayout {
  return homeLayout(stigmerHome(env));
}

const STATUS_TIMEOUT_MS = 3000;

export type SupervisorQuery =
  | { kind: "running"; report: StatusReport }
  | { kind: "not-running"; note: string | null }
  | { kind: "not-answering"; pid: number };

/** Asks the supervisor for its status; when none answers, cleans up after a dead one. */
export async function querySupervisor(layout: HomeLayout): Promise<SupervisorQuery> {
  const reply = await controlRequest(controlSocketPath(layout), "status", STATUS_TIMEOUT_MS);
  if (reply.kind === "answer") return { kind: "running", report: reply.result as StatusReport };
  const stale = checkForStaleSupervisor(layout);
  if (stale.kind === "alive") return { kind: "not-answering", pid: stale.state.supervisor.pid };
  return { kind: "not-running", note: stale.kind === "cleaned" ? stale.note : null };
}

function notRunning(): StigmerError {
  return new StigmerError("No supervisor is running.", {
    fix: "Start one with: stigmer local start --detach",
    exitCode: ExitCode.notRunning,
  });
}

/** `restart`: a new process for one component, keys kept in the supervisor's memory. */
export async function restartComponent(layout: HomeLayout, component: string): Promise<StatusReport> {
  const reply = await controlRequest(controlSocketPath(layout), { op: "restart", component }, 120_000);
  if (reply.kind === "answer") return reply.result as StatusReport;
  if (reply.kind === "refused") throw new StigmerError(`The supervisor refused to restart: ${reply.error}.`);
  if (reply.kind === "timeout") throw new StigmerError("The supervisor did not finish the restart within 2 minutes.", { fix: "See stigmer local logs --supervisor." });
  const stale = checkForStaleSupervisor(layout);
  if (stale.kind === "alive") throw new StigmerError(`The supervisor (pid ${stale.state.supervisor.pid}) does not answer.`, { fix: "Stop it with: stigmer local stop" });
  throw notRunning();
}

export type StopOutcome = { kind: "stopped"; pid: number } | { kind: "killed"; pid: number } | { kind: "not-running"; note: string | null };

const POLL_MS = 25;
/** Beyond `--timeout`, how long the supervisor gets to finish its own SIGKILL of the runner. */
const MARGIN_MS = 2000;

/**
 * `stop`: asks the supervisor to stop, and waits for it to be gone. A supervisor that does not
 * answer or does not finish in time is killed, with the runner group it recorded, after the
 * identity check. Idempotent: nothing running is not an error.
 */
export async function stopSupervisor(layout: HomeLayout, timeoutMs: number): Promise<StopOutcome> {
  const reply = await controlRequest(controlSocketPath(layout), "stop", Math.min(timeoutMs, STATUS_TIMEOUT_MS) || STATUS_TIMEOUT_MS);
  const state = readStateFile(layout.stateFile);
  const recorded = state.kind === "state" ? state.state : null;
  if (reply.kind === "no-supervisor") {
    const stale = checkForStaleSupervisor(layout);
    if (stale.kind !== "alive") return { kind: "not-running", note: stale.kind === "cleaned" ? stale.note : null };
  }
  const pid = reply.kind === "answer" ? (reply.result as { pid: number }).pid : (recorded?.supervisor.pid ?? 0);
  if (pid <= 0) return { kind: "not-running", note: null };
  const startToken = recorded?.supervisor.pid === pid ? recorded.supervisor.startToken : null;
  const deadline = Date.now() + timeoutMs + MARGIN_MS;
  if (reply.kind === "answer") {
    while (Date.now() < deadline && isSameProcess(pid, startToken)) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (!isSameProcess(pid, startToken)) return { kind: "stopped", pid };
  }
  // It did not answer, or did not finish: kill it and what it recorded, after the identity check.
  if (recorded && isSameProcess(recorded.supervisor.pid, recorded.supervisor.startToken)) {
    try {
      process.kill(recorded.supervisor.pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
  checkForStaleSupervisor(layout);
  if (recorded) {
    for (const group of Object.values(recorded.groups)) if (isSameProcess(group.pid, group.startToken)) signalGroup(group.pid, "SIGKILL");
    removeStateFile(layout.stateFile);
  }
  return { kind: "killed", pid };
}
