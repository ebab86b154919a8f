import { createConnection } from "node:net";
import { formatDuration } from "../../cli/duration.ts";
import type { ResolvedKey } from "../../secrets/chain.ts";
import { ExitCode, StigmerError } from "../../cli/errors.ts";
import { sleep } from "../../platform/process/timers.ts";
import { isSameProcess, mayStillRun } from "../../platform/process/proc.ts";
import { stigmerHome } from "../../platform/files/paths.ts";
import { checkControlSocket, type ControlOp, type ControlRequest } from "./control.ts";
import { checkForStaleSupervisor } from "./stale.ts";
import { homeLayout, type HomeLayout } from "./state-dir.ts";
import type { SupervisorState } from "./state-file.ts";
import type { StatusReport } from "./status.ts";

/** The commands that talk to a running supervisor: `status`, `stop`, `restart`. */
export function currentLayout(env: NodeJS.ProcessEnv = process.env): HomeLayout {
  return homeLayout(stigmerHome(env));
}

/**
 * `no-supervisor`: nothing took the connection until the deadline. `timeout`: it was taken but no
 * answer came in time; `accepted` says whether the supervisor had queued the command (it may then
 * still finish it, within the time it named) or not (then it never applies it).
 */
export type ControlReply =
  | { kind: "answer"; result: unknown }
  | { kind: "refused"; error: string }
  | { kind: "no-supervisor" }
  | { kind: "timeout"; accepted: boolean };

/** Between attempts to reach a supervisor that is not listening yet or turned the connection away. */
const RETRY_MS = 50;
/** Beyond the time the supervisor named for a queued command, for the answer to travel. */
const ANSWER_SLACK_MS = 1000;

/**
 * Sends one request to the supervisor at `socketPath` and waits for its answer, at most
 * `respondWithinMs` unless the supervisor queues the command and names a later time. The request
 * carries that deadline, so the supervisor never applies it after its caller gave up. Until the
 * deadline, a socket that is not there yet or turns the connection away (a supervisor still
 * starting, or at its connection cap) is tried again: callers ask only a supervisor recorded alive.
 */
export async function controlRequest(socketPath: string, request: ControlOp | ControlRequest, respondWithinMs: number): Promise<ControlReply> {
  const deadline = Date.now() + respondWithinMs;
  const message = `${JSON.stringify({ ...(typeof request === "string" ? { op: request } : request), deadline })}\n`;
  let connected = false;
  for (;;) {
    checkControlSocket(socketPath);
    const outcome = await attempt(socketPath, message, deadline, () => (connected = true));
    if (outcome !== "try-again") return outcome;
    if (Date.now() + RETRY_MS >= deadline) return connected ? { kind: "timeout", accepted: false } : { kind: "no-supervisor" };
    await sleep(RETRY_MS);
  }
}

/** One connection: the answer, or `try-again` when it ended before the supervisor said anything. */
function attempt(socketPath: string, message: string, deadline: number, onConnect: () => void): Promise<ControlReply | "try-again"> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    let text = "";
    let accepted = false;
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (reply: ControlReply | "try-again") => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const waitUntil = (moment: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => finish({ kind: "timeout", accepted }), Math.max(0, moment - Date.now()));
    };
    waitUntil(deadline);
    socket.setEncoding("utf8");
    socket.once("connect", () => {
      onConnect();
      socket.write(message);
    });
    socket.on("data", (chunk: string) => {
      text += chunk;
      for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n")) {
        const line = text.slice(0, newline);
        text = text.slice(newline + 1);
        let reply: { ok?: boolean; result?: unknown; error?: string; accepted?: { answerBy?: unknown } };
        try {
          reply = JSON.parse(line);
        } catch {
          return finish({ kind: "refused", error: "unreadable answer" });
        }
        if (typeof reply.accepted?.answerBy === "number") {
          accepted = true;
          waitUntil(reply.accepted.answerBy + ANSWER_SLACK_MS);
          continue;
        }
        return finish(reply.ok ? { kind: "answer", result: reply.result } : { kind: "refused", error: reply.error ?? "refused" });
      }
    });
    const ended = () => finish(accepted ? { kind: "timeout", accepted } : "try-again");
    socket.once("error", ended);
    socket.once("close", ended);
  });
}

/**
 * How long a supervisor gets to answer at all. It answers `status` and `stop` at once, and
 * acknowledges a `restart` at once with the time it will take; one that says nothing by then is
 * frozen or hung, and what was asked of it is not applied later (the request carries this deadline).
 */
const RESPOND_WITHIN_MS = 3000;

/** The supervisor a state file names, once it is known to be alive; else why there is none. */
type Found = { kind: "alive"; state: SupervisorState } | { kind: "not-running"; note: string | null };

function findSupervisor(layout: HomeLayout): Found {
  const check = checkForStaleSupervisor(layout);
  if (check.kind === "alive") return check;
  return { kind: "not-running", note: check.kind === "cleaned" ? check.note : null };
}

/** Asks the supervisor the state file names, at the control socket the file names. */
function ask(state: SupervisorState, request: ControlRequest): Promise<ControlReply> {
  return controlRequest(state.controlSocket, request, RESPOND_WITHIN_MS);
}

export type SupervisorQuery =
  | { kind: "running"; report: StatusReport }
  | { kind: "not-running"; note: string | null }
  | { kind: "not-answering"; pid: number; startedAt: string; version: string; problem: string };

/** Asks the supervisor for its status; when none runs, cleans up after a dead one. */
export async function querySupervisor(layout: HomeLayout): Promise<SupervisorQuery> {
  const found = findSupervisor(layout);
  if (found.kind === "not-running") return found;
  const reply = await ask(found.state, { op: "status" });
  if (reply.kind === "answer") return { kind: "running", report: reply.result as StatusReport };
  // It may have died while we waited.
  const again = findSupervisor(layout);
  if (again.kind === "not-running") return again;
  const { pid } = again.state.supervisor;
  const problem =
    reply.kind === "refused"
      ? `the supervisor (pid ${pid}) refused to tell its status: ${reply.error}`
      : `the supervisor (pid ${pid}) does not answer (waited ${formatDuration(RESPOND_WITHIN_MS)})`;
  return { kind: "not-answering", pid, startedAt: again.state.startedAt, version: again.state.version, problem };
}

function notRunning(): StigmerError {
  return new StigmerError("No supervisor is running.", {
    fix: "Start one with: stigmer local start --detach",
    exitCode: ExitCode.notRunning,
  });
}

/** `restart`: a new process for one component, keys kept in the supervisor's memory. */
export async function restartComponent(layout: HomeLayout, component: string, keys?: ResolvedKey[]): Promise<StatusReport> {
  const found = findSupervisor(layout);
  if (found.kind === "not-running") throw notRunning();
  const { pid } = found.state.supervisor;
  const reply = await ask(found.state, { op: "restart", component, ...(keys ? { keys } : {}) });
  switch (reply.kind) {
    case "answer":
      return reply.result as StatusReport;
    case "refused":
      throw new StigmerError(`The supervisor refused to restart ${component}: ${reply.error}.`);
    case "timeout":
    case "no-supervisor":
      // It may have stopped while we waited.
      if (findSupervisor(layout).kind === "not-running") throw notRunning();
      if (reply.kind === "timeout" && reply.accepted) {
        throw new StigmerError(`The supervisor (pid ${pid}) took the restart of ${component} but did not finish it in the time it gave.`, {
          fix: "See where it is with: stigmer local status   (and why: stigmer local logs --supervisor)",
        });
      }
      throw new StigmerError(`The supervisor (pid ${pid}) did not answer within ${formatDuration(RESPOND_WITHIN_MS)}; ${component} was not restarted, and will not be.`, {
        fix: "If it stays so, stop it with: stigmer local stop",
      });
  }
}

export type StopOutcome = { kind: "stopped"; pid: number } | { kind: "killed"; pid: number } | { kind: "not-running"; note: string | null };

const POLL_MS = 25;
/** Beyond `--timeout`, how long the supervisor gets to finish its own SIGKILL of the runner. */
const MARGIN_MS = 2000;

/**
 * `stop`: asks the supervisor to stop, and waits for it to be gone. A supervisor that does not
 * answer or does not finish in time is killed, with the process groups it recorded, each only
 * once its identity is verified. Idempotent: nothing running is not an error.
 */
export async function stopSupervisor(layout: HomeLayout, timeoutMs: number): Promise<StopOutcome> {
  const found = findSupervisor(layout);
  if (found.kind === "not-running") return found;
  const { state } = found;
  const { pid, startToken } = state.supervisor;
  const reply = await ask(state, { op: "stop" });
  if (reply.kind === "answer") {
    const deadline = Date.now() + timeoutMs + MARGIN_MS;
    while (Date.now() < deadline && mayStillRun(pid, startToken)) await sleep(POLL_MS);
  }
  // Gone: on our word, or on another's (a stop that came first) while we waited for an answer.
  if (!mayStillRun(pid, startToken)) return { kind: "stopped", pid };
  // It did not answer, or did not finish: kill it and what it recorded, after the identity check.
  if (isSameProcess(pid, startToken)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
    const deadline = Date.now() + MARGIN_MS;
    while (Date.now() < deadline && isSameProcess(pid, startToken)) await sleep(POLL_MS);
  }
  if (mayStillRun(pid, startToken)) {
    throw new StigmerError(`The supervisor (pid ${pid}) did not stop, and its identity cannot be verified here; it was not killed.`, {
      fix: `End it yourself if it is stigmer's: taskkill /PID ${pid} /T /F`,
    });
  }
  // Now dead: its recorded groups are killed (each verified) and its state file removed.
  checkForStaleSupervisor(layout);
  return { kind: "killed", pid };
}
