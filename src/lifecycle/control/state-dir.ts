import { chmodSync, closeSync, fstatSync, fchmodSync, mkdirSync, openSync, rmSync, statSync, constants, type Stats } from "node:fs";
import { join } from "node:path";
import { StigmerError } from "../../cli/errors.ts";

/** Where everything the tool writes lives, under `STIGMER_HOME` (shared/DESIGN.md). */
export interface HomeLayout {
  home: string;
  runDir: string;
  logsDir: string;
  workspace: string;
  runnerLog: string;
  supervisorLog: string;
  /** The managed Temporal dev server's database. */
  temporalDir: string;
  stateFile: string;
  controlSocket: string;
}

export function homeLayout(home: string): HomeLayout {
  const runDir = join(home, "run");
  const logsDir = join(home, "logs");
  return {
    home,
    runDir,
    logsDir,
    workspace: join(home, "workspace"),
    runnerLog: componentLog(logsDir, "agent-runner"),
    supervisorLog: join(logsDir, "supervisor.log"),
    temporalDir: join(home, "temporal"),
    stateFile: join(runDir, "supervisor.json"),
    controlSocket: join(runDir, "control.sock"),
  };
}

/** Each component logs to `logs/<name>.log`: `stigmer local logs NAME` finds it by the same rule. */
export function componentLog(logsDir: string, name: string): string {
  return join(logsDir, `${name}.log`);
}

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

function currentUid(): number | null {
  return typeof process.getuid === "function" ? process.getuid() : null;
}

function belongsToAnotherUser(path: string, uid: number, what: string): StigmerError {
  return new StigmerError(`${path} belongs to another user (uid ${uid}); ${what}.`, {
    fix: "Point STIGMER_HOME at a directory of your own, for example: export STIGMER_HOME=~/.stigmer",
  });
}

/** Creates a directory (and its parents) readable by the user only, whatever the umask; one that exists is made so too. */
export function ensurePrivateDir(path: string): void {
  ensureOwnDir(path, "make-private");
}

/**
 * The runner's workspace: created 0700 when stigmer creates it; one that exists is the user's
 * and keeps its mode (a project directory given with --workspace is not stigmer's to lock down).
 */
export function ensureWorkspaceDir(path: string): void {
  ensureOwnDir(path, "keep-mode");
}

function ensureOwnDir(path: string, existing: "make-private" | "keep-mode"): void {
  try {
    const created = mkdirSync(path, { recursive: true, mode: PRIVATE_DIR }) !== undefined;
    // Followed if it is a symbolic link: the directory it leads to is what must be ours and private.
    const stat = statSync(path);
    if (!stat.isDirectory()) throw notADirectory(path);
    const uid = currentUid();
    if (uid !== null && stat.uid !== uid) throw belongsToAnotherUser(path, stat.uid, "keys and logs must not go there");
    // mkdir's mode is filtered by the umask: a directory stigmer created is made 0700 whatever the umask.
    if ((created || existing === "make-private") && (stat.mode & 0o777) !== PRIVATE_DIR) chmodSync(path, PRIVATE_DIR);
  } catch (error) {
    if (error instanceof StigmerError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOTDIR") throw notADirectory(path);
    throw new StigmerError(`Cannot create ${path}: ${(error as Error).message}.`, {
      fix: "Point STIGMER_HOME at a directory you can write to, for example: export STIGMER_HOME=~/.stigmer",
      cause: error,
    });
  }
}

function notADirectory(path: string): StigmerError {
  return new StigmerError(`${path} exists but is not a directory.`, {
    fix: "Move it away, or point STIGMER_HOME at another directory.",
  });
}

/**
 * Before a command acts on what a supervisor recorded, the home and its `run/` must be the
 * user's own directories: a file in a home of somebody else's is their word, not ours, and
 * nothing is signalled on it. A home that does not exist yet is fine (nothing runs there).
 */
export function checkOwnHome(layout: HomeLayout): void {
  const uid = currentUid();
  for (const dir of [layout.home, layout.runDir]) {
    let stat: Stats;
    try {
      stat = statSync(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      if (code === "ENOTDIR") throw notADirectory(layout.home);
      throw new StigmerError(`Cannot look into ${dir}: ${(error as Error).message}.`, {
        fix: `Make it yours and readable (chmod 700 ${dir}), or point STIGMER_HOME at a directory of your own.`,
        cause: error,
      });
    }
    if (!stat.isDirectory()) throw notADirectory(dir);
    if (uid !== null && stat.uid !== uid) throw belongsToAnotherUser(dir, stat.uid, "stigmer acts only on a home of its own user");
  }
}

/**
 * How a file under STIGMER_HOME is opened: `read`; `append` (created when missing); `replace`:
 * a new file in place of whatever had the name (the temporary copy of the state file).
 */
export type PrivateOpen = "read" | "append" | "replace";

/**
 * The one way to open a file under STIGMER_HOME, for reading or writing. A symbolic link is
 * refused rather than followed (O_NOFOLLOW), as is anything but a regular file of the user's,
 * and, for writing, one with other names (hard links): a link planted where a log goes must not
 * get its target appended to or chmodded. Files are created 0600, and one of the user's that is
 * not is made so. `read` gives null when the file does not exist.
 */
export function openPrivateFile(path: string, how: "read"): number | null;
export function openPrivateFile(path: string, how: "append" | "replace"): number;
export function openPrivateFile(path: string, how: PrivateOpen): number | null {
  const { O_RDONLY, O_WRONLY, O_APPEND, O_CREAT, O_EXCL } = constants;
  const noFollow = constants.O_NOFOLLOW ?? 0;
  const flags = { read: O_RDONLY, append: O_WRONLY | O_APPEND | O_CREAT, replace: O_WRONLY | O_CREAT | O_EXCL }[how] | noFollow;
  let fd: number;
  try {
    if (how === "replace") rmSync(path, { force: true });
    fd = openSync(path, flags, PRIVATE_FILE);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (how === "read" && (code === "ENOENT" || code === "ENOTDIR")) return null;
    throw cannotOpen(path, error as NodeJS.ErrnoException);
  }
  try {
    const stat = fstatSync(fd);
    const uid = currentUid();
    if (!stat.isFile()) throw new StigmerError(`${path} is not a regular file; stigmer will not use it.`, { fix: `Move it away: mv ${path} ${path}.away` });
    if (uid !== null && stat.uid !== uid) throw belongsToAnotherUser(path, stat.uid, "stigmer will not use it");
    // A hard link would carry writes to a file that has another name elsewhere; reading one is harmless.
    if (how !== "read" && stat.nlink > 1) throw new StigmerError(`${path} has other names (hard links); stigmer will not use it.`, { fix: `Move it away: mv ${path} ${path}.away` });
    if (how !== "read" && (stat.mode & 0o777) !== PRIVATE_FILE) fchmodSync(fd, PRIVATE_FILE);
    return fd;
  } catch (error) {
    closeQuietly(fd);
    throw error;
  }
}

function cannotOpen(path: string, error: NodeJS.ErrnoException): StigmerError {
  if (error.code === "ELOOP" || error.code === "EMLINK") {
    return new StigmerError(`${path} is a symbolic link; stigmer does not follow links under STIGMER_HOME.`, {
      fix: `Remove the link (rm ${path}); stigmer creates the file itself.`,
      cause: error,
    });
  }
  if (error.code === "EACCES" || error.code === "EPERM") {
    return new StigmerError(`Cannot open ${path}: permission denied.`, {
      fix: `Make it yours and private (chmod 600 ${path}, its directory 700), or point STIGMER_HOME at a directory of your own.`,
      cause: error,
    });
  }
  return new StigmerError(`Cannot open ${path}: ${error.message}.`, { cause: error });
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing to release.
  }
}
