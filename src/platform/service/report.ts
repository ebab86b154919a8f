// Whether a login service is installed, what its manager says of it, and whether it is what runs
// the stack: for `status`, `doctor` and `start --detach`.
import { Buffer } from "node:buffer";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { StigmerError } from "../../cli/errors.ts";
import type { SupervisorQuery } from "../../lifecycle/control/client.ts";
import type { HomeLayout } from "../../lifecycle/control/state-dir.ts";
import type { CheckResult } from "../../lifecycle/start/preflight.ts";
import { serviceLog } from "./description.ts";
import { currentServiceManager, type ServiceRunState } from "./manager.ts";
import { commandRunner } from "./run-command.ts";

export interface ServiceReport {
  /** `systemd user unit stigmer.service`, `LaunchAgent dev.stigmer.local`, `logon task stigmer-me`. */
  title: string;
  file: string;
  installed: boolean;
  /** What its manager says (`stopped` when it is not installed). */
  state: ServiceRunState;
  /** Its main process, when the manager tells it. */
  pid: number | null;
  /** Whether it is what runs the supervisor of this STIGMER_HOME. */
  runsStack: boolean;
  /** Why its last start failed (the error and its fix, from logs/service.log), when that is how its log ends; else null. */
  lastFailure: string | null;
  /** What the manager said beyond the state, or null. */
  detail: string | null;
  hints: { start: string; stop: string };
}

/**
 * The service as `status` and `doctor` show it, given the pid of the supervisor that answers (or
 * null); null on a system where stigmer installs none.
 */
export function inspectService(layout: HomeLayout, supervisorPid: number | null, env: NodeJS.ProcessEnv = process.env): ServiceReport | null {
  let manager;
  try {
    manager = currentServiceManager(layout, env);
  } catch (error) {
    if (error instanceof StigmerError) return null;
    throw error;
  }
  const run = commandRunner(env);
  const { title, file, hints } = manager;
  if (!manager.installed(run)) return { title, file, installed: false, state: "stopped", pid: null, runsStack: false, lastFailure: null, detail: null, hints };
  const { state, pid, detail } = manager.query(run);
  // The logon task does not tell its process: a task that runs is taken to run the supervisor that answers.
  const runsStack = supervisorPid !== null && state === "running" && (pid === null || pid === supervisorPid);
  const lastFailure = runsStack ? null : lastFailureIn(readTail(serviceLog(layout)));
  return { title, file, installed: true, state, pid, runsStack, lastFailure, detail, hints };
}

/** The pid of the supervisor a query found, running or not answering: the one a service may be running. */
export function supervisorPidOf(query: SupervisorQuery): number | null {
  return query.kind === "running" ? (query.report.supervisor?.pid ?? null) : query.kind === "not-answering" ? query.pid : null;
}

/**
 * The error that ends the service's log, with its fix: `start`'s last words when it could not
 * start (`✖ ANTHROPIC_API_KEY is not set, …` then `→ … stigmer secrets set ANTHROPIC_API_KEY`),
 * or when the stack failed for good. Lines between the two (a component's last stderr lines) are
 * left out. A log that ends otherwise (a clean stop) has none. Pure.
 */
export function lastFailureIn(text: string): string | null {
  const lines = text.replace(/\u001B\[[0-9;]*m/g, "").split("\n").map((line) => line.trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const start = lines.findLastIndex((line) => line.startsWith("✖ "));
  // What follows the error is its own: indented continuation lines and the fix.
  if (start < 0 || lines.slice(start + 1).some((line) => !/^\s/.test(line))) return null;
  const fixes = lines.slice(start + 1).map((line) => line.trim()).filter((line) => line.startsWith("→ "));
  return [lines[start]!.slice(2), ...fixes].join(" ");
}

/** The end of a log, where the last run's words are. */
const TAIL_BYTES = 16 * 1024;

function readTail(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return "";
  }
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.min(size, TAIL_BYTES));
    readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    return buffer.toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** `status`'s row for the service: name, state, detail. Pure. */
export function serviceRow(report: ServiceReport): [string, string, string] {
  if (!report.installed) return ["service", "not installed", "stigmer local install-service starts the stack at login"];
  if (report.runsStack) return ["service", "running", `${report.title} runs this stack (pid ${report.pid ?? "unknown"})`];
  const failure = report.lastFailure && `; last start failed: ${report.lastFailure}`;
  const detail = {
    running: `${report.title}${report.pid === null ? "" : ` (pid ${report.pid})`}, not the supervisor that answers`,
    restarting: `${report.title} will start again${report.detail ? ` (${report.detail})` : ""}`,
    stopped: `${report.title}, starts at login (now: ${report.hints.start})${report.detail ? `; ${report.detail}` : ""}`,
    unknown: `${report.title}: ${report.detail ?? "its manager did not answer"}`,
  }[report.state];
  return ["service", report.state, `${detail}${failure || ""}`];
}

/** `doctor`'s check of the service. Pure. */
export function serviceCheck(report: ServiceReport): CheckResult {
  const [, state, detail] = serviceRow(report);
  const result = (verdict: CheckResult["verdict"], fix: string | null): CheckResult => ({ check: "service", verdict, detail: `${state}: ${detail}`, fix });
  if (!report.installed || report.runsStack || (report.state === "running" && report.lastFailure === null)) return result("pass", null);
  if (report.lastFailure !== null) return result("fail", `Mend the cause (the checks above show it), then: ${report.hints.start}`);
  return result(report.state === "unknown" ? "warn" : "pass", null);
}

/**
 * `start --detach` next to a service that runs the stack, or is about to run it again, would be a
 * second supervisor fighting it: refused, with the way to use or stop the service. Null: go ahead. Pure.
 */
export function detachRefusal(report: ServiceReport | null): StigmerError | null {
  if (!report?.installed || (report.state !== "running" && report.state !== "restarting")) return null;
  const stop = `or stop it first: ${report.hints.stop}`;
  if (report.state === "restarting") {
    return new StigmerError(`The ${report.title} runs the stack, and will start it again shortly${report.lastFailure ? `; its last start failed: ${report.lastFailure}` : ""}.`, {
      fix: `Mend that and let it try again (see stigmer local status), ${stop}`,
    });
  }
  return new StigmerError(`The ${report.title} already runs the stack${report.pid === null ? "" : ` (pid ${report.pid})`}.`, {
    fix: `Use it (stigmer local status, stigmer local restart, stigmer local logs -f), ${stop}`,
  });
}
