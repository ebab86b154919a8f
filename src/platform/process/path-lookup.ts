// Where on PATH a command is (a pure function of PATH and a test for files), and that test for
// a file given by its path: apart from executables.ts (which brings the `which` package) so that
// the background supervisor can look up the one program it runs with its output pipes
// (pipe-capacity.ts) without loading `which`.
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import type { OsFamily } from "../files/paths.ts";

/**
 * The PATH entries a command may come from: absolute ones only. An empty or relative entry
 * means the current directory, where anyone can leave a `python3` to be run with the key.
 * Quotes around an entry (Windows allows them) are removed first.
 */
export function searchDirectories(pathValue: string | undefined, family: OsFamily): string[] {
  const p = family === "windows" ? path.win32 : path.posix;
  return (pathValue ?? "")
    .split(family === "windows" ? ";" : ":")
    .map((entry) => (/^".*"$/.test(entry) ? entry.slice(1, -1) : entry))
    .filter((entry) => entry !== "" && p.isAbsolute(entry));
}

export interface PathLookup {
  /** The PATH value. */
  path: string | undefined;
  family: OsFamily;
  /** The executable file at a full path, with the platform's extension added (PATHEXT on Windows), or null. */
  executableAt: (file: string) => string | null;
}

/**
 * A command's full path from the absolute PATH entries, in order, or null; pure given
 * `executableAt`. Never the current directory: `which` on Windows looks there first whatever
 * PATH says, so it is only asked about one full path at a time (with a separator in the
 * command, it searches no directory and only adds PATHEXT's extensions).
 */
export function lookUpOnPath(command: string, lookup: PathLookup): string | null {
  const p = lookup.family === "windows" ? path.win32 : path.posix;
  for (const directory of searchDirectories(lookup.path, lookup.family)) {
    const found = lookup.executableAt(p.join(directory, command));
    if (found !== null) return found;
  }
  return null;
}

/** `file` itself when it is a regular file we may execute (Windows has no execute bit to ask about), else null. */
export function executableFile(file: string): string | null {
  try {
    if (!statSync(file).isFile()) return null;
    if (process.platform !== "win32") accessSync(file, constants.X_OK);
    return file;
  } catch {
    return null;
  }
}
