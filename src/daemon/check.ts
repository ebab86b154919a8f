// What a look at the daemon (or at Temporal) found, and waiting until it answers, whoever makes
// the call: @grpc/grpc-js in this process (health.ts) or in a short-lived one (checker.ts).
// Nothing here loads gRPC.

import { sleep } from "../platform/process/timers.ts";
import { splitEndpoint, tcpConnectFailure } from "./tcp.ts";

/** See DESIGN.md, "Status": `reachable` is a gRPC server without the health service (stigmer-server today). */
export type DaemonStatus = "serving" | "not-serving" | "reachable" | "unreachable";

export interface DaemonCheck {
  /** "host:port", as given. */
  endpoint: string;
  status: DaemonStatus;
  /** ISO time the answer (or the failure) came. */
  checkedAt: string;
  /** Why, in plain words, when the status is not `serving`. */
  detail: string | null;
}

export const DEFAULT_DEADLINE_MS = 2000;

/** Healthy enough to start the runner. */
export function daemonAnswers(check: DaemonCheck): boolean {
  return check.status === "serving" || check.status === "reachable";
}

/** The service name Temporal's frontend answers grpc.health.v1 for. */
export const TEMPORAL_HEALTH_SERVICE = "temporal.api.workflowservice.v1.WorkflowService";

/** SERVING, or for a server without the health service (stigmer-server today) any gRPC answer. */
export function isUp(target: { acceptReachable: boolean }, check: DaemonCheck): boolean {
  return check.status === "serving" || (target.acceptReachable && check.status === "reachable");
}

/** The health service names asked about: "" is the server as a whole (stigmer-server's daemon). */
export interface HealthTarget {
  /** grpc.health.v1 service name; Temporal's frontend answers for its workflow service. */
  service?: string;
}

export function checkResult(endpoint: string, status: DaemonStatus, detail: string | null): DaemonCheck {
  return { endpoint, status, checkedAt: new Date().toISOString(), detail };
}

export function cancelledCheck(endpoint: string): DaemonCheck {
  return checkResult(endpoint, "unreachable", "check cancelled");
}

/** One look, answered within `deadlineMs`; an aborted signal ends it at once as "check cancelled". */
export type CheckOnce = (deadlineMs: number, signal?: AbortSignal) => Promise<DaemonCheck>;

/**
 * A bare TCP connect first: when nothing listens, that is the answer (unreachable), in a few
 * milliseconds and without gRPC; otherwise `check` makes the call, with what is left of the deadline.
 */
export function lookFirst(endpoint: string, check: CheckOnce): CheckOnce {
  const address = splitEndpoint(endpoint);
  return async (deadlineMs, signal) => {
    const startedAt = performance.now();
    if (address) {
      const failure = await tcpConnectFailure(address.host, address.port, deadlineMs, signal);
      if (failure) return checkResult(endpoint, "unreachable", failure);
    }
    return check(Math.max(deadlineMs - (performance.now() - startedAt), 1), signal);
  };
}

export interface WaitOptions {
  timeoutMs: number;
  /** Pause between checks. */
  intervalMs?: number;
  /** Deadline of each check, cut to the time left. */
  deadlineMs?: number;
  onProgress?: (check: DaemonCheck, elapsedMs: number) => void;
  /** Aborting cancels the check under way and returns it (unreachable, "check cancelled"). */
  signal?: AbortSignal;
  /** What counts as up; by default `daemonAnswers`. */
  accept?: (check: DaemonCheck) => boolean;
}

/** A check needs this long to connect at all, so one near the end of the wait gets at least this. */
const SHORTEST_CHECK_DEADLINE_MS = 250;

/**
 * Checks until the answer is accepted (by default `serving` or `reachable`) or `timeoutMs` has
 * passed, and returns the last check: deciding what a service that never came up means is the caller's.
 */
export async function waitUntilAnswers(check: CheckOnce, options: WaitOptions): Promise<DaemonCheck> {
  const { timeoutMs, intervalMs = 500, deadlineMs = DEFAULT_DEADLINE_MS, onProgress, signal, accept = daemonAnswers } = options;
  const startedAt = performance.now();
  const elapsedMs = () => performance.now() - startedAt;
  for (;;) {
    const leftMs = timeoutMs - elapsedMs();
    const latest = await check(Math.min(deadlineMs, Math.max(leftMs, SHORTEST_CHECK_DEADLINE_MS)), signal);
    if (signal?.aborted) return latest;
    onProgress?.(latest, elapsedMs());
    if (accept(latest) || elapsedMs() >= timeoutMs) return latest;
    // Aborted while pausing: the next check sees the signal and returns at once.
    await sleep(Math.min(intervalMs, timeoutMs - elapsedMs()), { signal });
  }
}
