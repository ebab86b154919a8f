import path from "node:path";
import { TEMPORAL_HEALTH_SERVICE } from "../../daemon/check.ts";
import type { LaunchSpec } from "../process/process-tree.ts";
import { componentLog, type HomeLayout } from "../control/state-dir.ts";
import type { StartOptions } from "./start-options.ts";
import type { TemporalPlan } from "./temporal.ts";

/** Every component a stack can have, in start order; a stack holds those its options ask for. */
export const COMPONENT_NAMES = ["temporal", "stigmer-server", "agent-runner"] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];
/** The component `logs` and `restart` mean when none is named, and `status`'s `runner`. */
export const RUNNER: ComponentName = "agent-runner";

/** When a component counts as ready, as data: the plan crosses a pipe to the background supervisor. */
export type Readiness =
  /** A grpc.health.v1 check at `endpoint` answers SERVING (or, with `acceptReachable`, any gRPC answer). */
  | { kind: "health"; endpoint: string; service: string; acceptReachable: boolean; timeoutMs: number }
  /** A line of its output matches `pattern` (a RegExp source, matched per line). */
  | { kind: "line"; pattern: string; timeoutMs: number }
  /** It has stayed up `afterMs`: for a runner that prints nothing when it is ready (`--ready-line none`). */
  | { kind: "uptime"; afterMs: number };

export interface ComponentPlan {
  name: ComponentName;
  launch: LaunchSpec;
  log: string;
  readiness: Readiness;
}

export interface StackParts {
  temporal: TemporalPlan;
  /** stigmer-server's executable, when the supervisor runs it too. */
  server: string | null;
  runner: LaunchSpec;
  /** The user's environment, which Temporal and stigmer-server get as it is (plus Temporal's address). */
  env: Readonly<Record<string, string | undefined>>;
}

/** With `--ready-line none`, the runner counts as ready once it has stayed up this long (or `--min-uptime`, if shorter). */
const UP_LONG_ENOUGH_MS = 500;
/** Without `--daemon-timeout` (`--no-wait-daemon`), how long Temporal and stigmer-server get to answer. */
const DEFAULT_SERVICE_WAIT_MS = 30_000;

/**
 * The one place the stack is put together: Temporal (when managed), stigmer-server (with
 * `--server`), then the runner, each with its log and its readiness. Pure.
 */
export function buildStack(options: StartOptions, layout: HomeLayout, parts: StackParts): ComponentPlan[] {
  const serviceWaitMs = options.daemonTimeoutMs ?? DEFAULT_SERVICE_WAIT_MS;
  const plainEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(parts.env)) if (value !== undefined) plainEnv[name] = value;
  const stack: ComponentPlan[] = [];
  if (parts.temporal.kind === "managed") {
    const { cli, args, address } = parts.temporal;
    stack.push({
      name: "temporal",
      launch: { command: cli, args, cwd: layout.temporalDir, env: plainEnv },
      log: componentLog(layout.logsDir, "temporal"),
      readiness: { kind: "health", endpoint: address, service: TEMPORAL_HEALTH_SERVICE, acceptReachable: false, timeoutMs: serviceWaitMs },
    });
  }
  if (parts.server) {
    stack.push({
      name: "stigmer-server",
      launch: {
        command: parts.server,
        args: [],
        cwd: path.dirname(parts.server),
        env: { ...plainEnv, TEMPORAL_HOST_PORT: parts.temporal.address },
      },
      log: componentLog(layout.logsDir, "stigmer-server"),
      // stigmer-server today has no health service: any gRPC answer means it is up.
      readiness: { kind: "health", endpoint: options.endpoint, service: "", acceptReachable: true, timeoutMs: serviceWaitMs },
    });
  }
  stack.push({
    name: RUNNER,
    launch: parts.runner,
    log: layout.runnerLog,
    readiness:
      options.readyLine === null
        ? { kind: "uptime", afterMs: Math.min(UP_LONG_ENOUGH_MS, options.policy.minUptimeMs || UP_LONG_ENOUGH_MS) }
        : { kind: "line", pattern: options.readyLine, timeoutMs: options.readyTimeoutMs },
  });
  return stack;
}

/** A process that fails to spawn says so at once; this bounds the wait for that answer. */
const SPAWN_ANSWER_MS = 5000;

/** How long a component gets to become ready before the start is a failure. */
export function readinessTimeout(member: ComponentPlan): number {
  const { readiness } = member;
  return readiness.kind === "uptime" ? readiness.afterMs + SPAWN_ANSWER_MS : readiness.timeoutMs;
}

/** Every readiness wait of the stack, added up: how long a start may take before it is a failure. */
export function longestStart(stack: readonly ComponentPlan[]): number {
  return stack.reduce((total, member) => total + readinessTimeout(member), 0);
}
