import { restartDelayMs, type BackoffSettings } from "./backoff.ts";

export type RestartMode = "on-failure" | "always" | "never";
export const RESTART_MODES: readonly RestartMode[] = ["on-failure", "always", "never"];

export type ComponentState = "starting" | "running" | "backoff" | "stopping" | "stopped" | "failed";

export interface RestartPolicy extends BackoffSettings {
  mode: RestartMode;
  /** A run that lasted this long resets the count of quick failures. */
  minUptimeMs: number;
  /** Restarts allowed in a row after quick runs; one more quick death means `failed`. */
  maxRestarts: number;
}

export interface Exit {
  code: number | null;
  signal: string | null;
  uptimeMs: number;
  /** Whether the run had become ready; a run that dies before it is ready is a quick failure, however long it took. */
  ready: boolean;
}

/** What the supervisor knows about one component; the status JSON is made from it. */
export interface ComponentStatus {
  state: ComponentState;
  /** Every restart since the supervisor started: after crashes and on request alike. */
  restarts: number;
  /** Consecutive runs shorter than `minUptimeMs`. */
  quickFailures: number;
  lastExit: Exit | null;
}

export type AfterExit =
  | { action: "restart"; delayMs: number; status: ComponentStatus }
  | { action: "stop"; status: ComponentStatus }
  | { action: "fail"; status: ComponentStatus };

export function initialStatus(): ComponentStatus {
  return { state: "starting", restarts: 0, quickFailures: 0, lastExit: null };
}

export function isCleanExit(exit: Exit): boolean {
  return exit.code === 0 && exit.signal === null;
}

/**
 * What happens after a component died on its own (not stopped by us).
 * Pure: the same status, exit, policy and random number give the same answer.
 */
export function decideAfterExit(
  status: ComponentStatus,
  exit: Exit,
  policy: RestartPolicy,
  random: number,
): AfterExit {
  const clean = isCleanExit(exit);
  const wantsRestart = policy.mode === "always" || (policy.mode === "on-failure" && !clean);
  if (!wantsRestart) {
    const state = clean ? "stopped" : "failed";
    return { action: clean ? "stop" : "fail", status: { ...status, state, lastExit: exit } };
  }
  const quick = !exit.ready || exit.uptimeMs < policy.minUptimeMs;
  const quickFailures = quick ? status.quickFailures + 1 : 0;
  if (quickFailures > policy.maxRestarts) {
    return { action: "fail", status: { ...status, state: "failed", quickFailures, lastExit: exit } };
  }
  const delayMs = restartDelayMs(Math.max(1, quickFailures), policy, random);
  return {
    action: "restart",
    delayMs,
    status: { ...status, state: "backoff", quickFailures, lastExit: exit },
  };
}

/** The component is being started again (after a backoff or on request). */
export function restarted(status: ComponentStatus): ComponentStatus {
  return { ...status, state: "starting", restarts: status.restarts + 1 };
}

/** A `restart` request from the user clears the failure streak and the `failed` verdict. */
export function restartRequested(status: ComponentStatus): ComponentStatus {
  return { ...restarted(status), quickFailures: 0 };
}
