// The versions of interpreters already asked, so that `start` need not run a Python to learn what
// cannot have changed: `$STIGMER_HOME/python-versions.json`, keyed by the interpreter file's real
// path and identity (device, inode, size, modification and change times). The cache saves the
// version probe only: what runs is still the interpreter `choosePython` picked, and nothing read
// from the file is ever run. A file that does not parse, or is not this format, is ignored (and
// rewritten whole on the next write); one that is a link, or not the user's, is refused as every
// file under STIGMER_HOME is (control/state-dir.ts).
import { readFileSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { closeQuietly, openPrivateFile } from "../../lifecycle/control/state-dir.ts";
import type { PythonAnswer, PythonCandidate } from "./python.ts";
import { replaceFile } from "../files/replace-file.ts";

/** The interpreter file as it is on disk now: any change to it (a reinstall, an upgrade, a touch) changes one of these. */
export interface InterpreterIdentity {
  /** The real path: links followed. */
  path: string;
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

export interface CachedVersion extends InterpreterIdentity {
  version: string;
}

const FORMAT = "stigmer-python-versions/1";
/** Entries kept, the newest first: a few interpreters per machine, never a growing file. */
export const CACHE_ENTRIES = 16;
const IDENTITY_FIELDS = ["path", "dev", "ino", "size", "mtimeNs", "ctimeNs"] as const;
const VERSION = /^\d+\.\d+\.\d+$/;

export function pythonCacheFile(home: string): string {
  return path.join(home, "python-versions.json");
}

/** The entries of a cache file's text; anything that is not this format, or an entry that is not whole, is left out. Pure. */
export function parseVersionCache(text: string): CachedVersion[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof document !== "object" || document === null) return [];
  const { format, entries } = document as { format?: unknown; entries?: unknown };
  if (format !== FORMAT || !Array.isArray(entries)) return [];
  return entries.filter(isWholeEntry).slice(0, CACHE_ENTRIES);
}

function isWholeEntry(entry: unknown): entry is CachedVersion {
  if (typeof entry !== "object" || entry === null) return false;
  const record = entry as Record<string, unknown>;
  return IDENTITY_FIELDS.every((field) => typeof record[field] === "string" && record[field] !== "") && typeof record.version === "string" && VERSION.test(record.version);
}

export function renderVersionCache(entries: readonly CachedVersion[]): string {
  const plain = entries.map((entry) => ({ path: entry.path, dev: entry.dev, ino: entry.ino, size: entry.size, mtimeNs: entry.mtimeNs, ctimeNs: entry.ctimeNs, version: entry.version }));
  return `${JSON.stringify({ format: FORMAT, entries: plain }, null, 2)}\n`;
}

/** The validity rule: a version counts only for the very same file, unchanged in every field of its identity. Pure. */
export function cachedVersion(entries: readonly CachedVersion[], identity: InterpreterIdentity): string | null {
  const entry = entries.find((candidate) => IDENTITY_FIELDS.every((field) => candidate[field] === identity[field]));
  return entry && VERSION.test(entry.version) ? entry.version : null;
}

/**
 * Whether an answer may be kept for next time: the interpreter was named without launcher arguments
 * (`py -3` picks among installed Pythons), and it runs as the file itself (its real `sys.executable`
 * is the file we ran), so its version can only change when the file does. A wrapper script, or a
 * pyenv/asdf shim, runs some other Python that can change under it: it is asked every time. Pure.
 */
export function isCacheable(candidate: Pick<PythonCandidate, "args">, identity: InterpreterIdentity, answer: PythonAnswer): boolean {
  return candidate.args.length === 0 && answer.version !== null && VERSION.test(answer.version) && answer.executable === identity.path;
}

/** The entries with this interpreter's answer first, an older entry for the same path dropped. Pure. */
export function withEntry(entries: readonly CachedVersion[], entry: CachedVersion): CachedVersion[] {
  return [entry, ...entries.filter((other) => other.path !== entry.path)].slice(0, CACHE_ENTRIES);
}

/** The identity of the file `command` runs, or null when it cannot be looked at. */
export function interpreterIdentity(command: string): InterpreterIdentity | null {
  try {
    const real = realpathSync(command);
    const stat = statSync(real, { bigint: true });
    if (!stat.isFile()) return null;
    return {
      path: real,
      dev: String(stat.dev),
      ino: String(stat.ino),
      size: String(stat.size),
      mtimeNs: String(stat.mtimeNs),
      ctimeNs: String(stat.ctimeNs),
    };
  } catch {
    return null;
  }
}

/**
 * The cache's entries; none when it does not exist or does not parse. Opened the safe way: a link,
 * a file of another user, or anything but a regular file is refused with a StigmerError naming it.
 */
export function readVersionCache(file: string): CachedVersion[] {
  const fd = openPrivateFile(file, "read");
  if (fd === null) return [];
  try {
    return parseVersionCache(readFileSync(fd, "utf8"));
  } catch {
    // Unreadable half-way (a directory's error comes from openPrivateFile): as if corrupt.
    return [];
  } finally {
    closeQuietly(fd);
  }
}

/**
 * Replaces the cache in one step (a reader sees the old file or the new one), 0600, never through a
 * link. Not durable: a sync cost a start up to tens of milliseconds on a busy disk, and a cache a
 * crash leaves torn is only ignored (and the Python asked again).
 */
export function writeVersionCache(file: string, entries: readonly CachedVersion[]): void {
  replaceFile(file, renderVersionCache(entries), (temporary) => openPrivateFile(temporary, "replace"), { durable: false });
}
