import { accessSync, constants, lstatSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { StigmerError } from "../../cli/errors.ts";
import type { DaemonCheck } from "../../daemon/health.ts";
import type { ResolvedPython } from "../../platform/python/python.ts";
import { pythonCacheFile, readVersionCache } from "../../platform/python/python-cache.ts";
import { dependencyProblem, examineRunnerPython, type DependencyCheck } from "../../platform/python/runner-project.ts";
import { resolveRunner, type RunnerTarget } from "../../platform/python/runner.ts";
import type { KeyringAnswer } from "../../secrets/chain.ts";
import type { KeyVerdict } from "../../secrets/provider-check.ts";
import { keyNamesFor, type Provider } from "../../secrets/providers.ts";
import { keyValueProblem } from "../../secrets/values.ts";
import { DEFAULT_MODELS } from "./model.ts";
import type { StartOptions, TemporalMode } from "./start-options.ts";
import { noTemporalError, temporalAddress } from "./temporal.ts";
import type { HomeLayout } from "../control/state-dir.ts";

export type Verdict = "pass" | "warn" | "fail";

export interface CheckResult {
  check: string;
  verdict: Verdict;
  detail: string;
  fix: string | null;
}

/** The edges the checks reach through: the keyring and the daemon, loaded only when asked. */
export interface PreflightIo {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  uid: number | null;
  /** Absent when the keyring is switched off. */
  keyring?: (name: string) => Promise<KeyringAnswer>;
  checkDaemon(endpoint: string): Promise<DaemonCheck>;
  /** Temporal's health at the address (its workflow service). */
  checkTemporal(address: string): Promise<DaemonCheck>;
  /** The Temporal CLI `--temporal` would run, or null. */
  findTemporalCli(given: string | null): string | null;
  /** `--check-key`: asks the provider whether it accepts the key; absent, no provider is asked anything. */
  checkKey?: (provider: Provider, key: string) => Promise<KeyVerdict>;
  /** The flag to use when the daemon answers where newer stigmer-server builds listen. */
  newerServerHint(endpoint: string): Promise<string | null>;
  /** Whether `start` could ask for a missing key. */
  terminal: boolean;
}

const pass = (check: string, detail: string): CheckResult => ({ check, verdict: "pass", detail, fix: null });
const warn = (check: string, detail: string, fix: string | null): CheckResult => ({ check, verdict: "warn", detail, fix });
const fail = (check: string, detail: string, fix: string | null): CheckResult => ({ check, verdict: "fail", detail, fix });

function fromError(check: string, error: unknown): CheckResult {
  if (error instanceof StigmerError) return fail(check, error.message, error.fix ?? null);
  throw error;
}

/** Every check `local start` makes before it spawns, each with a verdict and a fix. */
export async function runPreflight(options: StartOptions, layout: HomeLayout, io: PreflightIo): Promise<CheckResult[]> {
  const daemon = io.checkDaemon(options.endpoint);
  const address = temporalAddress(io.env);
  const temporal = io.checkTemporal(address);
  const results: CheckResult[] = [];
  let runner: RunnerTarget | null = null;
  try {
    runner = resolveRunner(options.runner, io.cwd);
    results.push(pass("runner", runner.kind === "python-script" ? runner.script : runner.executable));
  } catch (error) {
    results.push(fromError("runner", error));
  }
  if (runner?.kind !== "executable") {
    try {
      // Asked afresh, never from start's version cache: doctor says what the interpreter answers now.
      const { python, dependencies } = await examineRunnerPython({ explicit: options.python, explicitSource: options.pythonSource, runnerDir: runner?.dir, env: io.env, cwd: io.cwd }, null);
      results.push(pass("python", `Python ${python.version} (${[python.command, ...python.args].join(" ")}, from ${python.source})`));
      if (dependencies) results.push(describeDependencies(dependencies, python));
    } catch (error) {
      results.push(fromError("python", error));
    }
  }
  results.push(checkHome(layout.home, io.uid));
  results.push(describeModel(options));
  results.push(...(await checkKeys(options, io)));
  results.push(describeTemporal(await temporal, options.temporal, io.findTemporalCli(options.temporal.kind === "auto" ? options.temporal.cli : null)));
  const daemonCheck = await daemon;
  results.push(describeDaemon(daemonCheck, daemonCheck.status === "unreachable" ? await io.newerServerHint(options.endpoint) : null));
  return results;
}

/** The distributions the runner's pyproject.toml names, as the chosen Python answered about them. */
function describeDependencies(check: DependencyCheck, python: ResolvedPython): CheckResult {
  if (check.pyproject === null) return pass("dependencies", "no pyproject.toml beside the runner: not checked");
  const problem = dependencyProblem(check, python);
  if (!problem) return pass("dependencies", `all installed (${check.pyproject})`);
  if (check.missing === null) return fromError("dependencies", problem);
  return fail("dependencies", `missing: ${check.missing.join(", ")}`, problem.fix ?? null);
}

/** STIGMER_HOME: absent is fine (start creates it); present must be ours, private and writable. */
export function checkHome(home: string, uid: number | null): CheckResult {
  const check = "home";
  let stat;
  try {
    stat = lstatSync(home);
  } catch {
    return pass(check, `${home} (will be created, 0700)`);
  }
  if (stat.isSymbolicLink()) {
    return warn(check, `${home} is a symbolic link`, "Point STIGMER_HOME at the real directory.");
  }
  if (!stat.isDirectory()) return fail(check, `${home} is not a directory`, "Move it away, or point STIGMER_HOME elsewhere.");
  if (uid !== null && stat.uid !== uid) {
    return fail(check, `${home} belongs to another user (uid ${stat.uid})`, "Point STIGMER_HOME at a directory of your own.");
  }
  try {
    accessSync(home, constants.W_OK);
    rmSync(mkdtempSync(path.join(home, ".doctor-")), { recursive: true });
  } catch {
    return fail(check, `${home} is not writable`, `Fix its permissions: chmod u+rwx ${home}`);
  }
  // start refuses a version cache that is a link or not the user's, as every file under the home.
  try {
    readVersionCache(pythonCacheFile(home));
  } catch (error) {
    return fromError(check, error);
  }
  if ((stat.mode & 0o077) !== 0) {
    return warn(check, `${home} is readable by others (mode ${(stat.mode & 0o777).toString(8)})`, `chmod 700 ${home}`);
  }
  return pass(check, `${home} (0700)`);
}

async function checkKeys(options: StartOptions, io: PreflightIo): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const names = keyNamesFor(options.provider);
  const answers = new Map<string, KeyringAnswer>();
  if (!io.keyring) {
    results.push(pass("keyring", "switched off (STIGMER_NO_KEYRING=1)"));
  } else {
    const probeName = names[0] ?? "ANTHROPIC_API_KEY";
    const answer = await io.keyring(probeName);
    answers.set(probeName, answer);
    results.push(
      "unavailable" in answer
        ? warn("keyring", `unavailable: ${answer.unavailable}`, "Keys can still come from the environment or the prompt; see stigmer secrets --help.")
        : pass("keyring", "reachable"),
    );
  }
  if (names.length === 0) results.push(pass("key", `${options.provider} needs no key`));
  for (const name of names) {
    const fromEnv = io.env[name];
    const answer = fromEnv?.trim() ? undefined : (answers.get(name) ?? (io.keyring ? await io.keyring(name) : undefined));
    const found = fromEnv?.trim()
      ? { value: fromEnv, where: "environment" as const }
      : answer && "found" in answer && answer.found !== ""
        ? { value: answer.found, where: "keyring" as const }
        : null;
    if (found) {
      const usable = usableKey(name, found.value, found.where);
      results.push(usable);
      if (usable.verdict === "pass" && io.checkKey) results.push(describeKeyVerdict(name, await io.checkKey(options.provider, found.value)));
      continue;
    }
    const fix = `export ${name}=…   or   stigmer secrets set ${name}`;
    results.push(io.terminal ? warn("key", `${name} is not set; start will ask for it`, fix) : fail("key", `${name} is not set`, fix));
  }
  return results;
}

function describeModel(options: StartOptions): CheckResult {
  if (options.model === null) return pass("model", `the runner's own default (${options.provider})`);
  const isDefault = options.model === DEFAULT_MODELS[options.provider];
  return pass("model", `${options.model}${isDefault ? ` (default for ${options.provider})` : ""}`);
}

/** Temporal: answering is a pass; absent is fine when `start` can run a dev server, else a failure with the ways out. */
export function describeTemporal(check: DaemonCheck, mode: TemporalMode, cli: string | null): CheckResult {
  if (check.status === "serving") return pass("temporal", `${check.endpoint} serving`);
  const why = `${check.endpoint} ${check.status === "unreachable" ? "unreachable" : "not serving"}: ${check.detail ?? check.status}`;
  if (mode.kind === "off") {
    return fail("temporal", `${why} (--temporal off)`, "Start Temporal (temporal server start-dev), or let stigmer run one with --temporal auto.");
  }
  if (cli) return pass("temporal", `${why}; start will run ${cli} server start-dev`);
  if (mode.cli) return fail("temporal", `${why}; --temporal ${mode.cli} is not an executable file`, "Give the path of the Temporal CLI, or --temporal auto.");
  const error = noTemporalError(check.endpoint);
  return fail("temporal", `${why}; no temporal CLI on PATH`, error.fix ?? null);
}

function describeKeyVerdict(name: string, verdict: KeyVerdict): CheckResult {
  switch (verdict.status) {
    case "valid":
      return pass("key check", `${name} accepted by the provider`);
    case "rejected":
      return fail("key check", `${name} rejected: ${verdict.detail}`, `stigmer secrets set ${name} (or export a valid ${name}), then stigmer local restart --reload-keys`);
    case "unreachable":
      return warn("key check", `${name} not checked: ${verdict.detail}`, "Check the network, or ANTHROPIC_BASE_URL / OPENAI_BASE_URL.");
  }
}

/** The rule `start` applies to a key it found (secrets/values.ts), so doctor never passes a key start refuses. */
function usableKey(name: string, value: string, where: "environment" | "keyring"): CheckResult {
  const problem = keyValueProblem(value);
  if (problem === undefined) return pass("key", `${name} from ${where}`);
  const fix = where === "environment" ? `export ${name}=… with the whole key on one line` : `stigmer secrets set ${name}`;
  return fail("key", `${name} from ${where} cannot be used: ${problem}`, fix);
}

export function describeDaemon(check: DaemonCheck, hint: string | null = null): CheckResult {
  const fix = hint ?? `Start stigmer-server, or point --endpoint / STIGMER_BACKEND_ENDPOINT at it (newer builds listen on localhost:7234).`;
  switch (check.status) {
    case "serving":
      return pass("daemon", `${check.endpoint} serving`);
    case "reachable":
      return pass("daemon", `${check.endpoint} answers gRPC (no health service)`);
    case "not-serving":
      return warn("daemon", `${check.endpoint} answers but is not serving${check.detail ? `: ${check.detail}` : ""}`, "Check stigmer-server's own log.");
    case "unreachable":
      return fail("daemon", `${check.endpoint} unreachable: ${check.detail ?? "no answer"}`, fix);
  }
}
