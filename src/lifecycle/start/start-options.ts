import path from "node:path";
import { parseDuration } from "../../cli/duration.ts";
import { usageError } from "../../cli/errors.ts";
import { formatEndpoint, parseChoice, parseCount, parseEndpoint, parseSize } from "../../cli/values.ts";
import { PROVIDERS, type Provider } from "../../secrets/providers.ts";
import type { LogRotation } from "../process/logs.ts";
import { RESTART_MODES, type RestartPolicy } from "../process/machine.ts";
import { resolveModel } from "./model.ts";

export const DEFAULT_ENDPOINT = "localhost:50051";
/** What the real Agent Runner prints once it polls Temporal for work. */
export const DEFAULT_READY_LINE = "Worker ready";

/** `--temporal`: find or start a dev server (`auto`), leave Temporal to the user (`off`), or the CLI to start it with. */
export type TemporalMode = { kind: "auto"; cli: string | null } | { kind: "off" };

/**
 * One start option, declared once: its flag (kebab-case; the config key is the same with `_`),
 * its environment variable, its default, the parser its text goes through, and its help.
 * The flags of `start`, `doctor` and `status`, their help, the config file's keys and
 * `stigmer config` all come from this table.
 */
export interface OptionDeclaration {
  flag: string;
  env?: string;
  boolean?: true;
  valueHint?: string;
  /** What it does, for --help and the README. */
  help: string;
  /** The default as text, parsed like any other value; absent: none, or one decided later (`defaultText` says which). */
  default?: string;
  /** The default in words, where it is not a value (the model depends on the provider). */
  defaultText?: string;
  /** For `--no-<flag>`'s help. */
  negativeHelp?: string;
  /** A path, made absolute when `stigmer config set` stores it. */
  path?: true;
  /** Values to complete in a shell. */
  choices?: readonly string[];
  /** Refuses a bad value with a usage error naming `label` (the flag, variable or file line it came from). */
  check?: (text: string, label: string) => void;
}

const duration = (text: string, label: string) => void parseDuration(text, label);
const count = (text: string, label: string) => void parseCount(text, label);
const choice = (choices: readonly string[]) => (text: string, label: string) => void parseChoice(text, label, choices);

/** The most log files `--log-files` keeps per log. */
const MAX_LOG_FILES = 1000;

export const START_OPTIONS = {
  runner: { flag: "runner", env: "STIGMER_AGENT_RUNNER", valueHint: "path", path: true, help: "Agent Runner: a directory with main.py, a .py file, or an executable" },
  python: { flag: "python", env: "STIGMER_PYTHON", valueHint: "path", path: true, help: "Python 3.11+ to run it with", defaultText: "the runner's .venv/venv, else python3 on PATH" },
  endpoint: { flag: "endpoint", env: "STIGMER_BACKEND_ENDPOINT", valueHint: "host:port", help: "Stigmer daemon (stigmer-server) address; newer builds listen on localhost:7234", default: DEFAULT_ENDPOINT, check: (text, label) => void parseEndpoint(text, label) },
  provider: { flag: "provider", env: "STIGMER_LLM_PROVIDER", valueHint: PROVIDERS.join("|"), help: "LLM provider", default: "anthropic", choices: PROVIDERS, check: choice(PROVIDERS) },
  model: { flag: "model", env: "STIGMER_LLM_MODEL", valueHint: "name", help: "LLM model", defaultText: "claude-sonnet-4.5 for anthropic, gpt-4o for openai, the runner's own for ollama" },
  workspace: { flag: "workspace", env: "SANDBOX_ROOT_DIR", valueHint: "dir", path: true, help: "Sandbox root for the runner", defaultText: "$STIGMER_HOME/workspace" },
  temporal: { flag: "temporal", env: "STIGMER_TEMPORAL", valueHint: "auto|off|path", help: "auto: use the Temporal at TEMPORAL_SERVICE_ADDRESS (localhost:7233), else run `temporal server start-dev`; off: never start one; a path: the Temporal CLI", default: "auto", choices: ["auto", "off"] },
  server: { flag: "server", env: "STIGMER_SERVER_BIN", valueHint: "path", path: true, help: "Also supervise stigmer-server: started after Temporal, stopped before it" },
  restart: { flag: "restart", valueHint: RESTART_MODES.join("|"), help: "When to restart a component that exits", default: "on-failure", choices: RESTART_MODES, check: choice(RESTART_MODES) },
  restartDelay: { flag: "restart-delay", valueHint: "duration", help: "First restart delay, doubled per quick failure", default: "1s", check: duration },
  maxRestartDelay: { flag: "max-restart-delay", valueHint: "duration", help: "Longest restart delay", default: "30s", check: duration },
  minUptime: { flag: "min-uptime", valueHint: "duration", help: "A run this long resets the backoff", default: "30s", check: duration },
  maxRestarts: { flag: "max-restarts", valueHint: "n", help: "Restarts allowed after quick runs before giving up", default: "10", check: count },
  stopTimeout: { flag: "stop-timeout", valueHint: "duration", help: "Grace between SIGTERM and SIGKILL on stop", default: "10s", check: duration },
  daemonTimeout: { flag: "daemon-timeout", valueHint: "duration", help: "How long to wait for the daemon and Temporal to answer", default: "30s", check: duration },
  waitDaemon: { flag: "wait-daemon", boolean: true, help: "Wait for the daemon and Temporal to answer before starting the runner", negativeHelp: "Start the runner without waiting for the daemon or Temporal", default: "true" },
  readyLine: { flag: "ready-line", valueHint: "regex|none", help: "The runner is ready once a line of its output matches; none: once it has stayed up 0.5s", default: DEFAULT_READY_LINE, check: (text, label) => void parseReadyLine(text, label) },
  readyTimeout: { flag: "ready-timeout", valueHint: "duration", help: "How long the runner gets to print its ready line", default: "60s", check: duration },
  logMaxSize: { flag: "log-max-size", valueHint: "size", help: "Rotate a log when it reaches this size", default: "10MiB", check: (text, label) => void parseSize(text, label) },
  logFiles: { flag: "log-files", valueHint: "n", help: "Log files kept per log, the current one included (1 to 1000)", default: "5", check: count },
} as const satisfies Record<string, OptionDeclaration>;

export type OptionName = keyof typeof START_OPTIONS;
export const OPTION_NAMES = Object.keys(START_OPTIONS) as OptionName[];

/** The key of an option in config.toml: the flag's name with `_` for `-`. */
export function configKey(name: OptionName): string {
  return START_OPTIONS[name].flag.replaceAll("-", "_");
}

export function optionByConfigKey(key: string): OptionName | undefined {
  return OPTION_NAMES.find((name) => configKey(name) === key);
}

/** Where a value came from, as `stigmer config list` shows it and as errors name it. */
export type ValueOrigin = "flag" | "env" | "file" | "default";

export interface PickedValue {
  text: string;
  origin: ValueOrigin;
  /** How an error names it: `--restart-delay`, `STIGMER_LLM_MODEL`, `restart_delay in /…/config.toml line 3`. */
  label: string;
}

/** `local start`'s flags as the command line gives them (cli/arguments.ts): strings, booleans, or absent. */
export type StartFlags = Partial<Record<OptionName, string | boolean | undefined>>;

/** What config.toml holds: a value's text and its line, by option. */
export interface ConfigValues {
  path: string;
  values: Partial<Record<OptionName, { text: string; line: number }>>;
}

export interface OptionInputs {
  flags: StartFlags;
  env: Readonly<Record<string, string | undefined>>;
  file: ConfigValues | null;
}

/** Each option's value and its origin: flag > environment variable > config file > default. Pure. */
export function pickValues(inputs: OptionInputs): Partial<Record<OptionName, PickedValue>> {
  const picked: Partial<Record<OptionName, PickedValue>> = {};
  for (const name of OPTION_NAMES) {
    const declaration: OptionDeclaration = START_OPTIONS[name];
    const flag = inputs.flags[name];
    const fromEnv = declaration.env ? inputs.env[declaration.env] : undefined;
    const fromFile = inputs.file?.values[name];
    if (flag !== undefined) {
      picked[name] = { text: String(flag), origin: "flag", label: typeof flag === "boolean" && !flag ? `--no-${declaration.flag}` : `--${declaration.flag}` };
    } else if (fromEnv !== undefined && fromEnv.trim() !== "") {
      picked[name] = { text: fromEnv, origin: "env", label: declaration.env! };
    } else if (fromFile) {
      picked[name] = { text: fromFile.text, origin: "file", label: `${configKey(name)} in ${inputs.file!.path} line ${fromFile.line}` };
    } else if (declaration.default !== undefined) {
      picked[name] = { text: declaration.default, origin: "default", label: `--${declaration.flag}` };
    }
  }
  return picked;
}

export interface StartOptions {
  runner: string | undefined;
  python: string | undefined;
  /** Where `python` came from, as `start` says it: `--python`, `STIGMER_PYTHON`, `config.toml`. */
  pythonSource: string | undefined;
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
  /** The runner is ready once a line of its output matches (a RegExp source); null: ready once it has stayed up a moment. */
  readyLine: string | null;
  readyTimeoutMs: number;
}

/**
 * The one resolver of start options, for `start`, `doctor`, `status` and `config`:
 * flag > environment variable > config file > default, each value parsed by its
 * declaration's rule and any error naming where the value came from. Pure.
 */
export function resolveStartOptions(
  flags: StartFlags,
  env: Readonly<Record<string, string | undefined>>,
  file: ConfigValues | null = null,
): StartOptions {
  const picked = pickValues({ flags, env, file });
  const text = (name: OptionName) => picked[name]?.text;
  const label = (name: OptionName) => picked[name]?.label ?? `--${START_OPTIONS[name].flag}`;
  const parsed = <T>(name: OptionName, parse: (text: string, label: string) => T) => parse(text(name)!, label(name));
  for (const name of OPTION_NAMES) {
    const declaration: OptionDeclaration = START_OPTIONS[name];
    const value = text(name);
    if (value !== undefined && declaration.check) declaration.check(value, label(name));
  }
  const provider = parsed("provider", (value, where) => parseChoice(value.trim(), where, PROVIDERS));
  const policy: RestartPolicy = {
    mode: parsed("restart", (value, where) => parseChoice(value.trim(), where, RESTART_MODES)),
    baseMs: parsed("restartDelay", parseDuration),
    maxMs: parsed("maxRestartDelay", parseDuration),
    minUptimeMs: parsed("minUptime", parseDuration),
    maxRestarts: parsed("maxRestarts", parseCount),
  };
  if (policy.maxMs < policy.baseMs) {
    const described = (name: OptionName) => `${picked[name]!.origin === "default" ? "the default " : ""}${label(name)} (${text(name)})`;
    throw usageError(
      `${described("maxRestartDelay")} is shorter than ${described("restartDelay")}.`,
      "Make --max-restart-delay at least as long as --restart-delay.",
    );
  }
  const logFiles = parsed("logFiles", parseCount);
  if (logFiles < 1) throw usageError(`${label("logFiles")} must be at least 1 (the current file).`);
  // Each rotation moves every file along: a limit keeps that a few milliseconds' work.
  if (logFiles > MAX_LOG_FILES) throw usageError(`${label("logFiles")} must be at most ${MAX_LOG_FILES}.`, "Keep more output with a larger --log-max-size.");
  if (picked.workspace && picked.workspace.text.trim() === "") {
    throw usageError(`${label("workspace")} is empty.`, "Give a directory, or leave it out for $STIGMER_HOME/workspace.");
  }
  const waitDaemon = parsed("waitDaemon", parseBoolean);
  return {
    runner: text("runner"),
    python: text("python"),
    pythonSource: picked.python && originName("python", picked.python.origin, file),
    endpoint: formatEndpoint(parsed("endpoint", parseEndpoint)),
    provider,
    model: resolveModel(provider, text("model"), label("model")),
    workspace: text("workspace"),
    policy,
    stopTimeoutMs: parsed("stopTimeout", parseDuration),
    logs: { maxBytes: parsed("logMaxSize", parseSize), files: logFiles },
    server: text("server"),
    daemonTimeoutMs: waitDaemon ? parsed("daemonTimeout", parseDuration) : null,
    temporal: parsed("temporal", parseTemporalMode),
    readyLine: parsed("readyLine", parseReadyLine),
    readyTimeoutMs: parsed("readyTimeout", parseDuration),
  };
}

/** Where a value came from, in a word a user knows: `--python`, `STIGMER_PYTHON`, `config.toml`. */
function originName(name: OptionName, origin: ValueOrigin, file: ConfigValues | null): string {
  const declaration: OptionDeclaration = START_OPTIONS[name];
  switch (origin) {
    case "flag":
      return `--${declaration.flag}`;
    case "env":
      return declaration.env!;
    case "file":
      return path.basename(file!.path);
    case "default":
      return "default";
  }
}

export function parseBoolean(text: string, label: string): boolean {
  if (text === "true") return true;
  if (text === "false") return false;
  throw usageError(`${label} takes true or false, not "${text}".`);
}

function parseTemporalMode(text: string, label: string): TemporalMode {
  const value = text.trim();
  if (value === "auto") return { kind: "auto", cli: null };
  if (value === "off") return { kind: "off" };
  if (value === "") throw usageError(`${label} is empty.`, "Give auto, off, or the path of the temporal CLI.");
  return { kind: "auto", cli: value };
}

function parseReadyLine(text: string, label: string): string | null {
  if (text === "none") return null;
  if (text.trim() === "") throw usageError(`${label} is empty.`, 'Give a pattern (default "Worker ready"), or none for a runner that prints nothing.');
  try {
    new RegExp(text);
  } catch (error) {
    throw usageError(`${label} is not a valid regular expression: ${(error as Error).message}.`, "Escape special characters, e.g. 'Worker ready\\.'");
  }
  return text;
}
