import { formatDuration } from "../../cli/duration.ts";
import { StigmerError } from "../../cli/errors.ts";
import { isUp, TEMPORAL_HEALTH_SERVICE, type DaemonCheck } from "../../daemon/check.ts";
import type { StartOptions } from "./start-options.ts";

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

/**
 * The services `start` waits for before the runner when the supervisor does not run them:
 * Temporal with `--temporal off`, the daemon without `--server`; none with `--no-wait-daemon`. Pure.
 */
export function unmanagedTargets(options: Pick<StartOptions, "daemonTimeoutMs" | "temporal" | "server" | "endpoint">, temporalAddress: string): ServiceTarget[] {
  if (options.daemonTimeoutMs === null) return [];
  const targets: ServiceTarget[] = [];
  if (options.temporal.kind === "off") targets.push(temporalTarget(temporalAddress));
  if (!options.server) targets.push(daemonTarget(options.endpoint));
  return targets;
}

/** A look taken earlier older than this is asked again: a prompt for a key may have come in between. */
const LOOK_FRESH_MS = 3000;
/** The longest a look ahead waits for its answer, as each check of the gate does. */
const LOOK_DEADLINE_MS = 2000;

function targetKey(target: ServiceTarget): string {
  return `${target.service}@${target.endpoint}`;
}

/** Looks taken ahead of the gates, by target; each resolves to one check, or null when it could not be made. */
export type Looks = Map<string, Promise<DaemonCheck | null>>;

/**
 * One check of each target, begun while `start` is still planning (its Python probe runs in a
 * process of its own): loading gRPC, the CPU work of a first check, and the round trip are done by
 * the time the gates are reached. Nothing is printed; `signal` cancels them when the plan fails.
 * No TCP look goes first (see CheckOptions.tcpLookFirst): a look ahead expects the service up;
 * where nothing listens, it has loaded gRPC for nothing, once, in a start that then waits or fails.
 */
export function lookAhead(targets: readonly ServiceTarget[], timeoutMs: number, signal: AbortSignal): Looks {
  const looks: Looks = new Map();
  const deadlineMs = Math.max(Math.min(LOOK_DEADLINE_MS, timeoutMs), 250);
  for (const target of targets) {
    const look = import("../../daemon/health.ts")
      .then(({ checkDaemon }) => checkDaemon(target.endpoint, { service: target.service, deadlineMs, signal, tcpLookFirst: false }))
      .catch(() => null);
    looks.set(targetKey(target), look);
  }
  return looks;
}

/** Whether a look taken earlier opens the gate by itself: the service was up, and not long ago. Pure. */
export function lookStillOpens(target: Pick<ServiceTarget, "acceptReachable">, look: DaemonCheck | null, nowMs: number): boolean {
  if (!look || !isUp(target, look)) return false;
  const age = nowMs - Date.parse(look.checkedAt);
  return age >= 0 && age <= LOOK_FRESH_MS;
}

/** The gate, opened at once by a look ahead that found the service up; else the wait of `gateOn`, with its progress and errors. */
export async function passGate(target: ServiceTarget, looks: Looks, timeoutMs: number, progress: ProgressLine): Promise<DaemonCheck> {
  const look = (await looks.get(targetKey(target))) ?? null;
  if (lookStillOpens(target, look, Date.now())) return look!;
  return gateOn(target, timeoutMs, progress);
}
