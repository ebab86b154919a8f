import { spawnSync, type SpawnSyncOptionsWithStringEncoding } from "node:child_process";
import { statSync } from "node:fs";
import path from "node:path";
import { findOnPath } from "./executables.ts";
import { StigmerError } from "../cli/errors.ts";
import { envPythonCandidates, osFamily, pathPythonCommands, venvPythonCandidates, type OsFamily } from "./paths.ts";

export const MIN_PYTHON: readonly [number, number] = [3, 11];

/** Where the interpreter came from, as `start` and `doctor` say it: `from --python`, `from poetry`, … */
export type PythonSource = string;

export interface PythonCandidate {
  command: string;
  args: string[];
  source: PythonSource;
}

export interface ResolvedPython extends PythonCandidate {
  version: string;
}

export interface PythonLookup {
  /** `--python` / `STIGMER_PYTHON` / config.toml's `python`, when given. */
  explicit?: string;
  /** Where `explicit` came from: `--python`, `STIGMER_PYTHON`, `config.toml`. */
  explicitSource?: string;
  /** An active virtual environment (the VIRTUAL_ENV variable of the shell). */
  virtualEnv?: string;
  /** The runner's directory, searched for `.venv` / `venv`. */
  runnerDir?: string;
  /** Poetry's environment for the runner's directory; asked only when nothing before it was found. */
  poetryEnv?: () => string | null;
  family?: OsFamily;
  cwd?: string;
  isFile?: (file: string) => boolean;
  onPath?: (command: string) => string | null;
}

const PYTHON_FIX =
  "Install the runner's environment (cd <runner> && poetry install), activate a virtual environment, or pass --python PATH (STIGMER_PYTHON); Python 3.11 or newer.";

function isFileOnDisk(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Picks the interpreter the way the runner's developers installed it: the one given (`--python`,
 * STIGMER_PYTHON, config.toml); else an active VIRTUAL_ENV; else a `.venv`/`venv` inside the runner's
 * directory; else Poetry's environment for it; else python3 / python (/ py -3 on Windows) on PATH.
 * Pure given `isFile`, `onPath` and `poetryEnv`. Returns the choice and every place tried.
 */
export function choosePython(lookup: PythonLookup): { chosen: PythonCandidate | null; tried: string[] } {
  const family = lookup.family ?? osFamily();
  const isFile = lookup.isFile ?? isFileOnDisk;
  const onPath = lookup.onPath ?? findOnPath;
  const p = family === "windows" ? path.win32 : path.posix;
  const tried: string[] = [];
  const firstFile = (candidates: string[], source: string): PythonCandidate | null => {
    for (const candidate of candidates) {
      tried.push(`${candidate} (${source})`);
      if (isFile(candidate)) return { command: candidate, args: [], source };
    }
    return null;
  };

  if (lookup.explicit) {
    const explicit = lookup.explicit;
    const source = lookup.explicitSource ?? "--python";
    if (explicit.includes("/") || explicit.includes("\\")) {
      const file = p.resolve(lookup.cwd ?? process.cwd(), explicit);
      tried.push(`${file} (${source})`);
      return { chosen: isFile(file) ? { command: file, args: [], source } : null, tried };
    }
    tried.push(`${explicit} on PATH (${source})`);
    const found = onPath(explicit);
    return { chosen: found ? { command: found, args: [], source } : null, tried };
  }

  const fromVirtualEnv = lookup.virtualEnv ? firstFile(envPythonCandidates(lookup.virtualEnv, family), "VIRTUAL_ENV") : null;
  if (fromVirtualEnv) return { chosen: fromVirtualEnv, tried };

  if (lookup.runnerDir) {
    const fromVenv = firstFile(venvPythonCandidates(lookup.runnerDir, family), "venv");
    if (fromVenv) return { chosen: fromVenv, tried };
  }

  const poetryEnv = lookup.poetryEnv?.();
  if (lookup.poetryEnv) tried.push(poetryEnv ? `${poetryEnv} (poetry env info --path)` : "Poetry's environment (none for this runner, or no poetry on PATH)");
  const fromPoetry = poetryEnv ? firstFile(envPythonCandidates(poetryEnv, family), "poetry") : null;
  if (fromPoetry) return { chosen: fromPoetry, tried };

  for (const { command, args } of pathPythonCommands(family)) {
    tried.push(`${[command, ...args].join(" ")} on PATH`);
    const found = onPath(command);
    if (found) return { chosen: { command: found, args, source: "PATH" }, tried };
  }
  return { chosen: null, tried };
}

/** "3.11.7" → [3, 11, 7]; null for anything else. */
export function parsePythonVersion(text: string): [number, number, number] | null {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null;
}

export function isSupportedPython(version: readonly number[]): boolean {
  const [major = 0, minor = 0] = version;
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

const VERSION_SCRIPT = "import sys; print('%d.%d.%d' % sys.version_info[:3])";

/**
 * Runs a Python with `args` to ask it something, and returns what it printed. On Linux and macOS
 * it gets a process group of its own, ended whole afterwards: a `--python` that forks (a wrapper
 * script, a shim) leaves nothing behind. A fork that keeps stdout open makes it wait until
 * `timeoutMs`. `status` is null when it did not exit by itself.
 */
export function runPythonProbe(python: { command: string; args: readonly string[] }, args: readonly string[], timeoutMs: number): { status: number | null; stdout: string } {
  const ownGroup = process.platform !== "win32";
  // Node's types declare `detached` for spawn only; spawnSync takes it too (a new session and group).
  const options: SpawnSyncOptionsWithStringEncoding & { detached: boolean } = {
    encoding: "utf8",
    timeout: timeoutMs,
    windowsHide: true,
    detached: ownGroup,
    stdio: ["ignore", "pipe", "ignore"],
  };
  const result = spawnSync(python.command, [...python.args, ...args], options);
  if (ownGroup) endGroup(result.pid);
  return { status: result.status, stdout: typeof result.stdout === "string" ? result.stdout : "" };
}

function endGroup(leader: number | undefined): void {
  // A pid of 0 (the spawn failed) would name our own group.
  if (leader === undefined || leader <= 0) return;
  try {
    process.kill(-leader, "SIGKILL");
  } catch {
    // Nothing left in it: the usual case.
  }
}

/** Runs the interpreter to learn its version; null when it is not a working Python. */
export function probePythonVersion(candidate: PythonCandidate, timeoutMs = 10_000): string | null {
  const result = runPythonProbe(candidate, ["-c", VERSION_SCRIPT], timeoutMs);
  if (result.status !== 0) return null;
  const version = parsePythonVersion(result.stdout);
  return version ? version.join(".") : null;
}

export function resolvePython(lookup: PythonLookup): ResolvedPython {
  const { chosen, tried } = choosePython(lookup);
  const triedList = tried.map((place) => `  - ${place}`).join("\n");
  if (!chosen) {
    throw new StigmerError(`No Python found. Tried:\n${triedList}`, { fix: PYTHON_FIX });
  }
  const display = [chosen.command, ...chosen.args].join(" ");
  const version = probePythonVersion(chosen);
  if (!version) {
    throw new StigmerError(`${display} did not run as Python (asked for its version). Tried:\n${triedList}`, {
      fix: PYTHON_FIX,
    });
  }
  if (!isSupportedPython(parsePythonVersion(version)!)) {
    throw new StigmerError(`${display} is Python ${version}; the Agent Runner needs ${MIN_PYTHON.join(".")} or newer.`, {
      fix: PYTHON_FIX,
    });
  }
  return { ...chosen, version };
}
