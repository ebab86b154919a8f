import { Buffer } from "node:buffer";
import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import { findOnPath } from "../process/executables.ts";
import { killNow, startChild } from "../process/spawn.ts";
import { sleep } from "../process/timers.ts";
import { StigmerError } from "../../cli/errors.ts";
import { envPythonCandidates, osFamily, pathPythonCommands, venvPythonCandidates, type OsFamily } from "../files/paths.ts";

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

/**
 * What one probe asks a Python, in one process: its version (first line), the interpreter it runs as
 * (second line, `sys.executable`: the same file as the one run, once both are resolved, means it is an
 * interpreter, not a wrapper or a shim that may pick another Python tomorrow), and, given a JSON list
 * of distribution names, those it lacks (third line; absent when it could not tell). Old or odd
 * Pythons still answer the first line, and one whose path stdout cannot encode (a Windows code page,
 * bytes that are not UTF-8) answers an empty second. The path is resolved here, not by the probe:
 * importing `os` for os.path.realpath took ~2 ms of the ~15 a probe takes under -S.
 */
export const PROBE_SCRIPT = `
import sys
print('%d.%d.%d' % tuple(sys.version_info[:3]))
try:
    print(sys.executable or '')
except Exception:
    print('')
if len(sys.argv) > 1:
    try:
        import importlib.metadata as metadata, json, re
        normalize = lambda name: re.sub(r"[-_.]+", "-", name).lower()
        installed = {normalize(d.metadata["Name"] or "") for d in metadata.distributions()}
        print(json.dumps([name for name in json.loads(sys.argv[1]) if normalize(name) not in installed]))
    except Exception:
        pass
`;

/** A probe's answer: null where the Python did not say (not a working Python, not asked, could not tell). */
export interface PythonAnswer {
  version: string | null;
  /** `sys.executable`; its real path once probePython has resolved it. */
  executable: string | null;
  /** The distributions asked about that it lacks. */
  missing: string[] | null;
}

/** Reads what PROBE_SCRIPT printed; a failed run answers nothing. Pure. */
export function parsePythonAnswer(status: number | null, stdout: string, askedDistributions: boolean): PythonAnswer {
  if (status !== 0) return { version: null, executable: null, missing: null };
  const [first = "", second = "", third = ""] = stdout.split(/\r?\n/);
  const version = parsePythonVersion(first);
  const executable = second.trim();
  let missing: string[] | null = null;
  if (askedDistributions) {
    try {
      const list: unknown = JSON.parse(third);
      if (Array.isArray(list) && list.every((name) => typeof name === "string")) missing = list;
    } catch {
      // Not a list: it could not tell.
    }
  }
  return { version: version ? version.join(".") : null, executable: executable !== "" ? executable : null, missing };
}

export interface ProbeOptions {
  timeoutMs: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** How long the output of a probe that has exited may take to drain, when a fork it left holds its stdout. */
const DRAIN_MS = 200;

/**
 * The one place that runs a program to ask it something (a Python, Poetry): a child process,
 * so this thread goes on meanwhile, whose stdout is collected. On Linux and macOS it gets a process
 * group of its own, ended whole once it has exited (or at `timeoutMs`): a `--python` that forks (a
 * wrapper script, a shim) leaves nothing behind. `status` is null when it did not exit by itself
 * or could not be started.
 */
export async function runProbe(command: string, args: readonly string[], options: ProbeOptions): Promise<{ status: number | null; stdout: string }> {
  const ownGroup = process.platform !== "win32";
  const env = options.env && Object.fromEntries(Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const child = startChild(command, args, { cwd: options.cwd, env, detached: ownGroup, stdin: "ignore", stdout: "pipe", stderr: "ignore" });
  if (child.pid < 0) return { status: null, stdout: "" };
  // Windows has no group to end, and a pid of a process that has exited may already name another: only one that did not exit is killed.
  const end = (timedOut: boolean) => (ownGroup ? endGroup(child.pid) : timedOut && killNow(child.pid));
  const chunks: Uint8Array[] = [];
  const collected = (async () => {
    try {
      for await (const chunk of child.stdout!) chunks.push(chunk);
    } catch {
      // The pipe broke: what came before it is what it said.
    }
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), options.timeoutMs)));
  const exit = await Promise.race([child.exited, timedOut]);
  clearTimeout(timer);
  // What it leaves behind goes with it (a wrapper's fork may hold the pipe open); then its output drains.
  end(exit === "timeout");
  await Promise.race([collected, sleep(DRAIN_MS)]);
  const stdout = Buffer.concat(chunks).toString("utf8");
  return { status: exit === "timeout" ? null : exit.code, stdout };
}

function endGroup(leader: number | undefined): void {
  // A pid of 0 (the spawn failed) would name our own group.
  if (leader === undefined || leader <= 0) return;
  killNow(-leader);
}

/**
 * Asks the interpreter its version and real path and, given `distributions`, which of them it lacks:
 * one process. Without distributions it skips `site` (-S): the version and path need no packages,
 * and a Python with many .pth files answers several times faster.
 */
export async function probePython(candidate: PythonCandidate, distributions: readonly string[] = [], timeoutMs = 10_000): Promise<PythonAnswer> {
  const asked = distributions.length > 0;
  const args = asked ? ["-c", PROBE_SCRIPT, JSON.stringify(distributions)] : ["-S", "-c", PROBE_SCRIPT];
  const result = await runProbe(candidate.command, [...candidate.args, ...args], { timeoutMs });
  const answer = parsePythonAnswer(result.status, result.stdout, asked);
  return { ...answer, executable: answer.executable === null ? null : realPathOrNull(answer.executable) };
}

function realPathOrNull(file: string): string | null {
  try {
    return realpathSync(file);
  } catch {
    return null;
  }
}

/**
 * choosePython, with Poetry's environment (a process of its own) asked only when the choice gets
 * that far: the choice is made once without it, and again with its answer when it was wanted.
 */
export async function findPython(lookup: PythonLookup, poetryEnv?: () => Promise<string | null>): Promise<{ chosen: PythonCandidate | null; tried: string[] }> {
  if (!poetryEnv) return choosePython(lookup);
  let wanted = false;
  const first = choosePython({
    ...lookup,
    poetryEnv: () => {
      wanted = true;
      return null;
    },
  });
  if (!wanted) return first;
  const env = await poetryEnv();
  return choosePython({ ...lookup, poetryEnv: () => env });
}

export function noPythonError(tried: readonly string[]): StigmerError {
  return new StigmerError(`No Python found. Tried:\n${triedList(tried)}`, { fix: PYTHON_FIX });
}

/** Why the chosen interpreter cannot run the runner, given the version it told (null: it did not run as Python); null when it can. Pure. */
export function pythonProblem(chosen: PythonCandidate, tried: readonly string[], version: string | null): StigmerError | null {
  const display = [chosen.command, ...chosen.args].join(" ");
  if (!version) {
    return new StigmerError(`${display} did not run as Python (asked for its version). Tried:\n${triedList(tried)}`, {
      fix: PYTHON_FIX,
    });
  }
  if (!isSupportedPython(parsePythonVersion(version)!)) {
    return new StigmerError(`${display} is Python ${version}; the Agent Runner needs ${MIN_PYTHON.join(".")} or newer.`, {
      fix: PYTHON_FIX,
    });
  }
  return null;
}

function triedList(tried: readonly string[]): string {
  return tried.map((place) => `  - ${place}`).join("\n");
}
