import { parseDuration } from "../../cli/duration.ts";
import { usageError } from "../../cli/errors.ts";
import { formatEndpoint, parseChoice, parseCount, parseEndpoint, parseSize } from "../../cli/values.ts";
import { PROVIDERS, type Provider } from "../../secrets/providers.ts";
import type { LogRotation } from "../process/logs.ts";
import { RESTART_MODES, type RestartPolicy } from "../process/machine.ts";

export const DEFAULT_ENDPOINT = "localhost:50051";

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
}

export interface StartOptions {
  runner: string | undefined;
  python: string | undefined;
  endpoint: string;
  provider: Provider;
  workspace: string | undefined;
  policy: RestartPolicy;
  stopTimeoutMs: number;
  logs: LogRotation;
  /** stigmer-server to supervise too, started before the runner. */
  server: string | undefined;
  /** How long to wait for the daemon before the first spawn; null: do not wait. */
  daemonTimeoutMs: number | null;
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
  return {
    runner: pick(flags.runner, "STIGMER_AGENT_RUNNER"),
    python: pick(flags.python, "STIGMER_PYTHON"),
    endpoint: formatEndpoint(parseEndpoint(endpointText, flags.endpoint !== undefined ? "--endpoint" : "STIGMER_BACKEND_ENDPOINT")),
    provider,
    workspace,
    policy,
    stopTimeoutMs: parseDuration(flags.stopTimeout ?? "10s", "--stop-timeout"),
    logs: {
      maxBytes: parseSize(flags.logMaxSize ?? "10MiB", "--log-max-size"),
      files: logFiles,
    },
    server: pick(flags.server, "STIGMER_SERVER_BIN"),
    daemonTimeoutMs: flags.waitDaemon === false ? null : parseDuration(flags.daemonTimeout ?? "30s", "--daemon-timeout"),
  };
}
