import { chmodSync, closeSync, fstatSync, fchmodSync, mkdirSync, openSync, statSync, constants } from "node:fs";
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

/** Creates a directory (and its parents) readable by the user only, whatever the umask. */
export function ensurePrivateDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true, mode: PRIVATE_DIR });
    // Followed if it is a symbolic link: the directory it leads to is what must be ours and private.
    const stat = statSync(path);
    if (!stat.isDirectory()) throw notADirectory(path);
    const uid = typeof process.getuid === "function" ? process.getuid() : null;
    if (uid !== null && stat.uid !== uid) {
      throw new StigmerError(`${path} belongs to another user (uid ${stat.uid}); keys and logs must not go there.`, {
        fix: "Point STIGMER_HOME at a directory of your own, for example: export STIGMER_HOME=~/.stigmer",
      });
    }
    if ((stat.mode & 0o777) !== PRIVATE_DIR) chmodSync(path, PRIVATE_DIR);
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

/** Opens a file for appending, created 0600 (and made 0600 if it was not). */
export function openPrivateAppend(path: string): number {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, PRIVATE_FILE);
  if ((fstatSync(fd).mode & 0o777) !== PRIVATE_FILE) fchmodSync(fd, PRIVATE_FILE);
  return fd;
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing to release.
  }
}
