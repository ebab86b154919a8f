// The runner as a Python project: its pyproject.toml, Poetry's environment for it, the Python
// lookup `start` and `doctor` make for it, and which of its declared distributions the chosen
// Python lacks (asked of that Python once, by distribution name: no guessing of import names).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { StigmerError } from "../cli/errors.ts";
import { findOnPath } from "./executables.ts";
import { runPythonProbe, type PythonLookup } from "./python.ts";

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

const MISSING_SCRIPT = `
import importlib.metadata as metadata, json, re, sys
normalize = lambda name: re.sub(r"[-_.]+", "-", name).lower()
installed = {normalize(d.metadata["Name"] or "") for d in metadata.distributions()}
print(json.dumps([name for name in json.loads(sys.argv[1]) if normalize(name) not in installed]))
`;

/** Which of `names` the Python lacks; one short process (in a group of its own). Null when that Python could not be asked. */
export function missingDistributions(python: { command: string; args: readonly string[] }, names: readonly string[], timeoutMs = 10_000): string[] | null {
  if (names.length === 0) return [];
  const result = runPythonProbe(python, ["-c", MISSING_SCRIPT, JSON.stringify(names)], timeoutMs);
  if (result.status !== 0) return null;
  try {
    return JSON.parse(result.stdout.trim()) as string[];
  } catch {
    return null;
  }
}

export interface DependencyCheck {
  /** The runner's pyproject.toml, or null when it has none (nothing to check). */
  pyproject: string | null;
  missing: string[];
  /** The command that installs them. */
  fix: string | null;
}

/** The runner's declared distributions that the chosen Python lacks, with the command that installs them. */
export function checkRunnerDependencies(runnerDir: string, python: { command: string; args: readonly string[] }): DependencyCheck {
  const declared = readDeclaredDependencies(runnerDir);
  if (!declared) return { pyproject: null, missing: [], fix: null };
  const missing = missingDistributions(python, declared.names);
  if (missing === null) throw new StigmerError(`${[python.command, ...python.args].join(" ")} could not list its installed packages.`, { fix: "Check that it is a working Python 3.11+, or pass --python." });
  return { pyproject: declared.pyproject, missing, fix: missing.length ? installCommand(runnerDir, declared) : null };
}

export function missingDependenciesError(check: DependencyCheck, python: { command: string; args: readonly string[] }): StigmerError {
  return new StigmerError(
    `${[python.command, ...python.args].join(" ")} lacks ${check.missing.length === 1 ? "a package" : `${check.missing.length} packages`} the runner needs (${check.pyproject}): ${check.missing.join(", ")}.`,
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
export function poetryEnvironment(runnerDir: string, isPoetryProject: boolean, timeoutMs = 15_000): string | null {
  if (!isPoetryProject) return null;
  const poetry = findOnPath("poetry");
  if (!poetry) return null;
  const result = spawnSync(poetry, ["env", "info", "--path"], {
    cwd: runnerDir,
    encoding: "utf8",
    timeout: timeoutMs,
    windowsHide: true,
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, POETRY_NO_INTERACTION: "1" },
  });
  const envPath = result.status === 0 ? result.stdout.trim() : "";
  return envPath !== "" ? envPath : null;
}

/** The lookup `start` and `doctor` make for a runner: the given Python, the shell's VIRTUAL_ENV, the runner's own environments. */
export function runnerPythonLookup(settings: {
  explicit: string | undefined;
  explicitSource: string | undefined;
  runnerDir: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}): PythonLookup {
  const { runnerDir } = settings;
  return {
    explicit: settings.explicit,
    explicitSource: settings.explicitSource,
    virtualEnv: settings.env.VIRTUAL_ENV?.trim() || undefined,
    runnerDir,
    cwd: settings.cwd,
    poetryEnv: runnerDir ? () => poetryEnvironment(runnerDir, readDeclaredDependencies(runnerDir)?.poetry ?? false) : undefined,
  };
}
