// The login service, described once: what it runs, with which environment, where its errors go and
// how long it may take to stop. Each service manager's file is rendered from this (systemd.ts,
// launchd.ts, task-scheduler.ts). Pure.
import path from "node:path";
import { usageError } from "../../cli/errors.ts";
import type { HomeLayout } from "../../lifecycle/control/state-dir.ts";
import { COMPONENT_NAMES } from "../../lifecycle/start/stack.ts";
import { OPTION_NAMES, pickValues, START_OPTIONS, type OptionDeclaration, type OptionInputs, type StartOptions } from "../../lifecycle/start/start-options.ts";
import { looksLikeKeyValue } from "../../secrets/key-shapes.ts";

export interface ServiceDescription {
  /** One line saying what it is, for the unit's Description and the task's. */
  summary: string;
  /** The program (an absolute path) and its arguments: `stigmer local start` with the settings baked in as flags. */
  command: readonly string[];
  /** What the service manager puts in its environment: STIGMER_HOME, PATH and the variables the stack reads. Never a key. */
  environment: Readonly<Record<string, string>>;
  workingDirectory: string;
  /**
   * Where its stderr goes: the messages of `start`, among them why it could not start (a key it
   * could not read). Its stdout is dropped: that is the runner's output, already in agent-runner.log.
   */
  errorLog: string;
  /** How long the service manager waits after SIGTERM before it kills what is left. */
  stopTimeoutMs: number;
  /** How long the service manager waits before starting it again after a failure. */
  restartDelayMs: number;
}

export const SUMMARY = "Stigmer local mode: Temporal, stigmer-server and the Agent Runner (stigmer local start)";

/**
 * Variables the service gets from the environment `install-service` ran in, besides STIGMER_HOME.
 * A service manager starts programs with an environment of its own, without the user's shell
 * settings: PATH is where `start` finds python3 and the temporal CLI (launchd's PATH has neither
 * Homebrew nor pyenv); the others tell the stack where Temporal and Ollama are.
 */
export const CARRIED_VARIABLES = ["PATH", "TEMPORAL_SERVICE_ADDRESS", "TEMPORAL_NAMESPACE", "OLLAMA_BASE_URL"] as const;

/**
 * The wait before a new try after a failure. The keyring often unlocks a little after login, and
 * the daemon may come up after the service: a failed start is tried again, without hurrying.
 */
const RESTART_DELAY_MS = 10_000;
/** Beyond the components' stop grace, time for the supervisor to write its last lines and exit. */
const STOP_MARGIN_MS = 5_000;

/** stderr of the service: `start`'s messages, and why the last start failed. */
export function serviceLog(layout: HomeLayout): string {
  return path.join(layout.logsDir, "service.log");
}

/**
 * `start`'s flags for what the command line or the environment set: the service does not see the
 * shell it was installed from. What comes from config.toml stays there, read again at every
 * start (so `stigmer config set` then a restart applies), and defaults stay defaults. Paths are
 * made absolute from `cwd`; each flag carries its value after `=`, so a value starting with `-`
 * stays a value.
 */
export function bakedFlags(inputs: OptionInputs, cwd: string): string[] {
  const picked = pickValues(inputs);
  const flags: string[] = [];
  for (const name of OPTION_NAMES) {
    const value = picked[name];
    if (!value || value.origin === "file" || value.origin === "default") continue;
    const declaration: OptionDeclaration = START_OPTIONS[name];
    if (declaration.boolean) {
      flags.push(value.text === "false" ? `--no-${declaration.flag}` : `--${declaration.flag}`);
      continue;
    }
    if (looksLikeKeyValue(value.text)) {
      throw usageError(`${value.label} looks like an API key; the service must never hold one.`, "Keys go in the keyring: stigmer secrets set ANTHROPIC_API_KEY (or OPENAI_API_KEY)");
    }
    flags.push(`--${declaration.flag}=${isPathValue(declaration, value.text) ? path.resolve(cwd, value.text) : value.text}`);
  }
  return flags;
}

/** A path option's value, or `--temporal`'s when it names the CLI by a path rather than auto, off or a bare name. */
function isPathValue(declaration: OptionDeclaration, text: string): boolean {
  if (declaration.path) return text.trim() !== "";
  if (declaration.flag !== START_OPTIONS.temporal.flag) return false;
  const choices: readonly string[] = START_OPTIONS.temporal.choices;
  return !choices.includes(text.trim()) && /[\\/]/.test(text);
}

export interface ServiceInputs {
  /** How to run this program again (platform/process/self.ts `selfCommand`), made stable (`stableSelf`). */
  self: { command: string; args: readonly string[] };
  /** What start's options come from, as for `start`. */
  options: OptionInputs;
  /** Those options resolved, which checked them. */
  resolved: StartOptions;
  cwd: string;
  layout: HomeLayout;
  env: Readonly<Record<string, string | undefined>>;
}

export function describeService(inputs: ServiceInputs): ServiceDescription {
  const environment: Record<string, string> = { STIGMER_HOME: inputs.layout.home };
  for (const name of CARRIED_VARIABLES) {
    const value = inputs.env[name];
    if (value !== undefined && value.trim() !== "") environment[name] = value;
  }
  return {
    summary: SUMMARY,
    command: [inputs.self.command, ...inputs.self.args, "local", "start", ...bakedFlags(inputs.options, inputs.cwd)],
    environment,
    workingDirectory: inputs.layout.home,
    errorLog: serviceLog(inputs.layout),
    // The stack stops one component after the other, each with up to --stop-timeout.
    stopTimeoutMs: inputs.resolved.stopTimeoutMs * COMPONENT_NAMES.length + STOP_MARGIN_MS,
    restartDelayMs: RESTART_DELAY_MS,
  };
}
