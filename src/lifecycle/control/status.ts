import type { DaemonCheck } from "../../daemon/health.ts";
import type { KeySource } from "../../secrets/chain.ts";
import type { Diagnosis } from "../process/diagnosis.ts";
import type { Component } from "../process/component.ts";
import type { ComponentState } from "../process/machine.ts";

export interface ComponentReport {
  state: ComponentState;
  pid: number | null;
  restarts: number;
  /** Whether the current run is ready (Temporal serving, the daemon answering, the runner's ready line). */
  ready: boolean;
  readyAt: string | null;
  lastExitCode: number | null;
  lastSignal: string | null;
  uptimeMs: number | null;
  nextRestartInMs: number | null;
  command: string[];
  /** The last lines of stderr, kept for telling why it crashed. */
  stderrTail: string[];
  /** The cause and fix of its last failure, from the known signatures in its output; null when none matched. */
  diagnosis: Diagnosis | null;
}

/** One entry of `components` (shared/DESIGN.md, "Status"). */
export type StackMemberReport = { name: string } & Pick<
  ComponentReport,
  "state" | "pid" | "restarts" | "ready" | "readyAt" | "lastExitCode" | "lastSignal" | "diagnosis"
> & { log: string };

/** `stigmer local status --json` (shared/DESIGN.md, "Status"). */
export interface StatusReport {
  supervisor: { pid: number; startedAt: string; version: string } | null;
  /** The Agent Runner, in the shape scripts have read since the first version. */
  runner: ComponentReport | null;
  daemon: DaemonCheck | null;
  /** `problem`: why a log cannot be written right now (disk full, say); the runner runs on regardless. */
  logs: { runner: string; supervisor: string; problem?: string };
  /** Every supervised component, in start order. */
  components: StackMemberReport[];
  /** The keys the runner holds and where they came from (never a value). */
  keys: { name: string; source: KeySource }[];
}

export function componentReport(component: Component, now: number, diagnosis: Diagnosis | null = null): ComponentReport {
  const up = (component.state === "running" || component.state === "starting") && component.startedAt !== null && component.pid !== null;
  return {
    state: component.state,
    pid: component.pid,
    restarts: component.status.restarts,
    ready: component.ready,
    readyAt: component.readyAt,
    lastExitCode: component.status.lastExit?.code ?? null,
    lastSignal: component.status.lastExit?.signal ?? null,
    uptimeMs: up ? Math.round(now - component.startedAt!) : null,
    nextRestartInMs: component.nextRestartAt === null ? null : Math.max(0, Math.round(component.nextRestartAt - now)),
    command: component.command,
    stderrTail: component.stderrTail,
    diagnosis,
  };
}

export function stackReport(members: readonly { component: Component; log: string; diagnosis: Diagnosis | null }[], now: number): StackMemberReport[] {
  return members.map(({ component, log, diagnosis }) => {
    const report = componentReport(component, now, diagnosis);
    return {
      name: component.spec.name,
      state: report.state,
      pid: report.pid,
      restarts: report.restarts,
      ready: report.ready,
      readyAt: report.readyAt,
      lastExitCode: report.lastExitCode,
      lastSignal: report.lastSignal,
      diagnosis: report.diagnosis,
      log,
    };
  });
}
