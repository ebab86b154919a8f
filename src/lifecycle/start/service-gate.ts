import { formatDuration } from "../../cli/duration.ts";
import { StigmerError } from "../../cli/errors.ts";
import type { DaemonCheck } from "../../daemon/health.ts";
import { TEMPORAL_HEALTH_SERVICE } from "./temporal.ts";

/** How a wait shows progress; drawn by the command (a spinner on a terminal). */
export interface ProgressLine {
  update(text: string): void;
  done(): void;
}

/** A gRPC service the runner needs before it starts, and what counts as up. */
export interface ServiceTarget {
  /** How messages name it: "the daemon", "Temporal". */
  label: string;
  endpoint: string;
  /** grpc.health.v1 service name. */
  service: string;
  /** stigmer-server has no health service today: any gRPC answer opens the gate for it. */
  acceptReachable: boolean;
}

export function daemonTarget(endpoint: string): ServiceTarget {
  return { label: "the daemon", endpoint, service: "", acceptReachable: true };
}

export function temporalTarget(address: string): ServiceTarget {
  return { label: "Temporal", endpoint: address, service: TEMPORAL_HEALTH_SERVICE, acceptReachable: false };
}

/** SERVING, or for a server without the health service (stigmer-server today) any gRPC answer. */
export function isUp(target: Pick<ServiceTarget, "acceptReachable">, check: DaemonCheck): boolean {
  return check.status === "serving" || (target.acceptReachable && check.status === "reachable");
}

/** Where newer stigmer-server builds listen; looked at when nothing answers at the endpoint given. */
export const NEWER_SERVER_ENDPOINT = "localhost:7234";
const NEWER_SERVER_PROBE = "127.0.0.1:7234";

/**
 * When the daemon does not answer at `endpoint` but a gRPC server answers where newer
 * stigmer-server builds listen, the flag that points at it; else null.
 */
export async function newerServerHint(endpoint: string): Promise<string | null> {
  if (endpoint === NEWER_SERVER_ENDPOINT || endpoint === NEWER_SERVER_PROBE) return null;
  const { checkDaemon, daemonAnswers } = await import("../../daemon/health.ts");
  const check = await checkDaemon(NEWER_SERVER_PROBE, { deadlineMs: 1000 });
  if (!daemonAnswers(check)) return null;
  return `A gRPC server answers on ${NEWER_SERVER_ENDPOINT}, where newer stigmer-server builds listen: start with --endpoint ${NEWER_SERVER_ENDPOINT} (or export STIGMER_BACKEND_ENDPOINT=${NEWER_SERVER_ENDPOINT}).`;
}

export async function unreachableError(target: ServiceTarget, check: DaemonCheck, waitedMs: number): Promise<StigmerError> {
  const reason = check.detail ?? check.status;
  const skip = "or start anyway with --no-wait-daemon";
  if (target.service !== "") {
    return new StigmerError(`${target.label} at ${target.endpoint} did not answer within ${formatDuration(waitedMs)}: ${reason}.`, {
      fix: `Start it (temporal server start-dev), point TEMPORAL_SERVICE_ADDRESS at it, let stigmer run a dev server with --temporal auto, ${skip}.`,
    });
  }
  const hint = await newerServerHint(target.endpoint);
  return new StigmerError(`The Stigmer daemon at ${target.endpoint} did not answer within ${formatDuration(waitedMs)}: ${reason}.`, {
    fix:
      hint ??
      `Start stigmer-server, or point --endpoint (STIGMER_BACKEND_ENDPOINT) at it (newer builds listen on ${NEWER_SERVER_ENDPOINT}), ${skip}.`,
  });
}

/**
 * Waits, up to `timeoutMs`, for a service the runner needs (the daemon, Temporal) to answer
 * before the runner is started: the runner is useless without them.
 */
export async function gateOn(target: ServiceTarget, timeoutMs: number, progress: ProgressLine, signal?: AbortSignal): Promise<DaemonCheck> {
  const { waitForDaemon } = await import("../../daemon/health.ts");
  const check = await waitForDaemon(target.endpoint, {
    service: target.service,
    timeoutMs,
    signal,
    accept: (latest) => isUp(target, latest),
    onProgress: (latest, elapsedMs) => {
      if (!isUp(target, latest)) {
        progress.update(
          `waiting for ${target.label} at ${target.endpoint}: ${latest.detail ?? latest.status} (${formatDuration(elapsedMs)} of ${formatDuration(timeoutMs)})`,
        );
      }
    },
  });
  progress.done();
  if (signal?.aborted) throw new StigmerError(`Stopped while waiting for ${target.label}.`);
  if (!isUp(target, check)) throw await unreachableError(target, check, timeoutMs);
  return check;
}
