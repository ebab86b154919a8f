import { parseDuration } from "../../cli/duration.ts";
import { usageError } from "../../cli/errors.ts";
import { formatEndpoint, parseChoice, parseCount, parseEndpoint, parseSize } from "../../cli/values.ts";
import { PROVIDERS, type Provider } from "../../secrets/providers.ts";
import { resolveModel } from "./model.ts";
import type { LogRotation } from "../process/logs.ts";
import { RESTART_MODES, type RestartPolicy } from "../process/machine.ts";

export const DEFAULT_ENDPOINT = "localhost:50051";
/** What the real Agent Runner prints once it polls Temporal for work. */
export const DEFAULT_READY_LINE = "Worker ready";

/** `--temporal`: find or start a dev server (`auto`), leave Temporal to the user (`off`), or the CLI to start it with. */
export type TemporalMode = { kind: "auto"; cli: string | null } | { kind: "off" };

/** `local start`'s flags as citty hands them over: strings, booleans, or absent. */
export interface StartFlags {
  runner?: string;
  python?: string;
  endpoint?: string;
  provider?: string;
  workspace?: string;
  restart?: string;
  restartDelay?: string;
  maxRestartDelay?: string;
  minUptime?: string;
  maxRestarts?: string;
  stopTimeout?: string;
  logMaxSize?: string;
  logFiles?: string;
  daemonTimeout?: string;
  waitDaemon?: boolean;
  server?: string;
  model?: string;
  temporal?: string;
  readyLine?: string;
  readyTimeout?: string;
}

export interface StartOptions {
  runner: string | undefined;
  python: string | undefined;
  endpoint: string;
  provider: Provider;
  /** STIGMER_LLM_MODEL for the runner; null leaves the runner's own default (ollama). */
  model: string | null;
  workspace: string | undefined;
  policy: RestartPolicy;
  stopTimeoutMs: number;
  logs: LogRotation;
  /** stigmer-server to supervise too, started before the runner. */
  server: string | undefined;
  /** How long to wait for the daemon before the first spawn; null: do not wait. */
  daemonTimeoutMs: number | null;
  temporal: TemporalMode;
  /** The runner is ready once a line of its output matches (a RegExp source); null: ready once spawned. */
  readyLine: string | null;
  readyTimeoutMs: number;
}

/** Flags first, then their environment variables, then the defaults of shared/DESIGN.md. Pure. */
export function resolveStartOptions(flags: StartFlags, env: Readonly<Record<string, string | undefined>>): StartOptions {
  const pick = (flag: string | undefined, variable: string): string | undefined => {
    if (flag !== undefined) return flag;
    const value = env[variable];
    return value === undefined || value.trim() === "" ? undefined : value;
  };
  const providerText = pick(flags.provider, "STIGMER_LLM_PROVIDER") ?? "anthropic";
  const provider = parseChoice(providerText, "--provider", PROVIDERS);
  const endpointText = pick(flags.endpoint, "STIGMER_BACKEND_ENDPOINT") ?? DEFAULT_ENDPOINT;
  const policy: RestartPolicy = {
    mode: parseChoice(flags.restart ?? "on-failure", "--restart", RESTART_MODES),
    baseMs: parseDuration(flags.restartDelay ?? "1s", "--restart-delay"),
    maxMs: parseDuration(flags.maxRestartDelay ?? "30s", "--max-restart-delay"),
    minUptimeMs: parseDuration(flags.minUptime ?? "30s", "--min-uptime"),
    maxRestarts: parseCount(flags.maxRestarts ?? "10", "--max-restarts"),
  };
  if (policy.maxMs < policy.baseMs) {
    throw usageError(
      `--max-restart-delay (${flags.maxRestartDelay}) is shorter than --restart-delay (${flags.restartDelay ?? "1s"}).`,
      "Make --max-restart-delay at least as long as --restart-delay.",
    );
  }
  const logFiles = parseCount(flags.logFiles ?? "5", "--log-files");
  if (logFiles < 1) throw usageError("--log-files must be at least 1 (the current file).");
  const workspace = pick(flags.workspace, "SANDBOX_ROOT_DIR");
  if (flags.workspace !== undefined && flags.workspace.trim() === "") {
    throw usageError("--workspace is empty.", "Give a directory, or leave the flag out for $STIGMER_HOME/workspace.");
  }
  const modelText = pick(flags.model, "STIGMER_LLM_MODEL");
  return {
    runner: pick(flags.runner, "STIGMER_AGENT_RUNNER"),
    python: pick(flags.python, "STIGMER_PYTHON"),
    endpoint: formatEndpoint(parseEndpoint(endpointText, flags.endpoint !== undefined ? "--endpoint" : "STIGMER_BACKEND_ENDPOINT")),
    provider,
    model: resolveModel(provider, modelText, flags.model !== undefined ? "--model" : "STIGMER_LLM_MODEL"),
    workspace,
    policy,
    stopTimeoutMs: parseDuration(flags.stopTimeout ?? "10s", "--stop-timeout"),
    logs: {
      maxBytes: parseSize(flags.logMaxSize ?? "10MiB", "--log-max-size"),
      files: logFiles,
    },
    server: pick(flags.server, "STIGMER_SERVER_BIN"),
    daemonTimeoutMs: flags.waitDaemon === false ? null : parseDuration(flags.daemonTimeout ?? "30s", "--daemon-timeout"),
    temporal: parseTemporalMode(pick(flags.temporal, "STIGMER_TEMPORAL") ?? "auto", flags.temporal !== undefined ? "--temporal" : "STIGMER_TEMPORAL"),
    readyLine: parseReadyLine(flags.readyLine ?? DEFAULT_READY_LINE),
    readyTimeoutMs: parseDuration(flags.readyTimeout ?? "60s", "--ready-timeout"),
  };
}

function parseTemporalMode(text: string, flag: string): TemporalMode {
  const value = text.trim();
  if (value === "auto") return { kind: "auto", cli: null };
  if (value === "off") return { kind: "off" };
  if (value === "") throw usageError(`${flag} is empty.`, `Give auto, off, or the path of the temporal CLI.`);
  return { kind: "auto", cli: value };
}

function parseReadyLine(text: string): string | null {
  if (text === "none") return null;
  if (text.trim() === "") throw usageError("--ready-line is empty.", 'Give a pattern (default "Worker ready"), or none for a runner that prints nothing.');
  try {
    new RegExp(text);
  } catch (error) {
    throw usageError(`--ready-line is not a valid regular expression: ${(error as Error).message}.`, "Escape special characters, e.g. --ready-line 'Worker ready\\.'");
  }
  return text;
}
