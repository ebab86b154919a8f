// The runner as a Python project: its pyproject.toml, Poetry's environment for it, the Python
// lookup `start` and `doctor` make for it, and which of its declared distributions the chosen
// Python lacks (asked of that Python in the same process as its version, by distribution name:
// no guessing of import names).
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { StigmerError } from "../../cli/errors.ts";
import { findOnPath } from "../process/executables.ts";
import { cachedVersion, interpreterIdentity, isCacheable, readVersionCache, withEntry, type CachedVersion } from "./python-cache.ts";
import { findPython, noPythonError, probePython, pythonProblem, runProbe, type PythonLookup, type ResolvedPython } from "./python.ts";

export interface DeclaredDependencies {
  /** Distribution names, as written. */
  names: string[];
  /** A Poetry project installs with `poetry install`; another with `pip install -e .`. */
  poetry: boolean;
  pyproject: string;
}

/** The names in `[project].dependencies` (PEP 508 strings) or `[tool.poetry.dependencies]` (keys but python). Pure. */
export function declaredDependencies(text: string, pyproject: string): DeclaredDependencies {
  const document = parseToml(text) as {
    project?: { dependencies?: unknown };
    tool?: { poetry?: { dependencies?: Record<string, unknown> } };
  };
  const names = new Set<string>();
  if (Array.isArray(document.project?.dependencies)) {
    for (const requirement of document.project.dependencies) {
      const name = typeof requirement === "string" ? /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(requirement)?.[1] : undefined;
      if (name) names.add(name);
    }
  }
  const poetry = document.tool?.poetry;
  for (const name of Object.keys(poetry?.dependencies ?? {})) if (name.toLowerCase() !== "python") names.add(name);
  return { names: [...names], poetry: poetry !== undefined, pyproject };
}

/** The runner's declared dependencies, or null when its directory has no pyproject.toml. */
export function readDeclaredDependencies(runnerDir: string): DeclaredDependencies | null {
  const pyproject = path.join(runnerDir, "pyproject.toml");
  let text: string;
  try {
    text = readFileSync(pyproject, "utf8");
  } catch {
    return null;
  }
  return declaredDependencies(text, pyproject);
}

export interface DependencyCheck {
  /** The runner's pyproject.toml, or null when it has none (nothing to check). */
  pyproject: string | null;
  /** Those of its distributions the Python lacks; null when that Python could not list its packages. */
  missing: string[] | null;
  /** The command that installs them. */
  fix: string | null;
}

/** What the runner's pyproject.toml needs that the Python lacks, from the probe's answer. Pure. */
export function dependencyCheck(runnerDir: string, declared: DeclaredDependencies | null, missing: string[] | null): DependencyCheck {
  if (!declared) return { pyproject: null, missing: [], fix: null };
  const lacking = declared.names.length === 0 ? [] : missing;
  return { pyproject: declared.pyproject, missing: lacking, fix: lacking?.length ? installCommand(runnerDir, declared) : null };
}

/** Why the runner cannot start with this Python's packages; null when nothing is missing. */
export function dependencyProblem(check: DependencyCheck, python: { command: string; args: readonly string[] }): StigmerError | null {
  if (check.missing === null) return cannotListError(python);
  return check.missing.length ? missingDependenciesError(check, python) : null;
}

function cannotListError(python: { command: string; args: readonly string[] }): StigmerError {
  return new StigmerError(`${[python.command, ...python.args].join(" ")} could not list its installed packages.`, { fix: "Check that it is a working Python 3.11+, or pass --python." });
}

export function missingDependenciesError(check: DependencyCheck, python: { command: string; args: readonly string[] }): StigmerError {
  const missing = check.missing ?? [];
  return new StigmerError(
    `${[python.command, ...python.args].join(" ")} lacks ${missing.length === 1 ? "a package" : `${missing.length} packages`} the runner needs (${check.pyproject}): ${missing.join(", ")}.`,
    { fix: `${check.fix} — or point --python at the environment that has them.` },
  );
}

/** The command that installs what is missing. */
export function installCommand(runnerDir: string, declared: DeclaredDependencies): string {
  return declared.poetry ? `cd ${runnerDir} && poetry install` : `cd ${runnerDir} && pip install -e .`;
}

/**
 * The virtual environment Poetry made for the runner, when its pyproject.toml is a Poetry
 * project and `poetry` is on PATH: `poetry env info --path` in its directory, bounded in time.
 */
export async function poetryEnvironment(runnerDir: string, isPoetryProject: boolean, timeoutMs = 15_000): Promise<string | null> {
  if (!isPoetryProject) return null;
  const poetry = findOnPath("poetry");
  if (!poetry) return null;
  const result = await runProbe(poetry, ["env", "info", "--path"], { cwd: runnerDir, timeoutMs, env: { ...process.env, POETRY_NO_INTERACTION: "1" } });
  const envPath = result.status === 0 ? result.stdout.trim() : "";
  return envPath !== "" ? envPath : null;
}

export interface RunnerPythonSettings {
  explicit: string | undefined;
  explicitSource: string | undefined;
  runnerDir: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** The lookup `start` and `doctor` make for a runner: the given Python, the shell's VIRTUAL_ENV, the runner's own environment (Poetry's is asked apart, see findPython). */
export function runnerPythonLookup(settings: RunnerPythonSettings): PythonLookup {
  return {
    explicit: settings.explicit,
    explicitSource: settings.explicitSource,
    virtualEnv: settings.env.VIRTUAL_ENV?.trim() || undefined,
    runnerDir: settings.runnerDir,
    cwd: settings.cwd,
  };
}

/** The runner's Python as `start` and `doctor` find it, and what its pyproject.toml needs of it. */
export interface RunnerPython {
  python: ResolvedPython;
  /** Null when the runner's directory is not known (doctor with a bad --runner): nothing to check. */
  dependencies: DependencyCheck | null;
  /** The version cache with this interpreter's answer in it, to write once STIGMER_HOME is ready; null when there is nothing new. */
  cacheUpdate: CachedVersion[] | null;
}

/**
 * Finds the runner's Python, and asks it, in one process, its version and which of the runner's
 * declared distributions it lacks. With `cacheFile`, a version already known for this very
 * interpreter file (python-cache.ts) is taken from there, and when nothing else needs asking, no
 * Python runs at all. Throws the StigmerError of a missing, broken or too old Python (or of a
 * cache file refused); what is missing is the caller's to judge (`dependencyProblem`).
 */
export async function examineRunnerPython(settings: RunnerPythonSettings, cacheFile: string | null): Promise<RunnerPython> {
  const { runnerDir } = settings;
  const declared = runnerDir ? readDeclaredDependencies(runnerDir) : null;
  const poetryEnv = runnerDir && declared?.poetry ? () => poetryEnvironment(runnerDir, true) : undefined;
  const { chosen, tried } = await findPython(runnerPythonLookup(settings), poetryEnv);
  if (!chosen) throw noPythonError(tried);
  const distributions = declared?.names ?? [];
  const identity = cacheFile !== null && chosen.args.length === 0 ? interpreterIdentity(chosen.command) : null;
  const entries = identity && cacheFile !== null ? readVersionCache(cacheFile) : [];
  const known = identity && distributions.length === 0 ? cachedVersion(entries, identity) : null;
  const answer = known ? null : await probePython(chosen, distributions);
  const version = known ?? answer!.version;
  const problem = pythonProblem(chosen, tried, version);
  if (problem) throw problem;
  const python: ResolvedPython = { ...chosen, version: version! };
  const fresh = identity && answer && isCacheable(chosen, identity, answer) && cachedVersion(entries, identity) !== answer.version;
  return {
    python,
    dependencies: runnerDir ? dependencyCheck(runnerDir, declared, answer?.missing ?? null) : null,
    cacheUpdate: fresh ? withEntry(entries, { ...identity, version: answer.version! }) : null,
  };
}
