import type { KeySource, ResolvedKey } from "../../secrets/chain.ts";
import { chmodSync, closeSync, lstatSync, openSync, rmSync, statSync, constants, type Stats } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { StigmerError } from "../../cli/errors.ts";
import { answersAt, listenLocal, type ConnectionHandler, type LocalConnection, type LocalServer } from "../../platform/net/listen.ts";
import { sleep } from "../../platform/process/timers.ts";
import { ensurePrivateDir, type HomeLayout } from "./state-dir.ts";

export type ControlOp = "status" | "restart" | "stop";
export const CONTROL_OPS: readonly ControlOp[] = ["status", "restart", "stop"];
/** One request: what to do, and to which component (`restart`; the runner when absent). */
export interface ControlRequest {
  op: ControlOp;
  component?: string;
  /** `restart --reload-keys`: keys resolved again by the caller, handed over on this private socket only. */
  keys?: ResolvedKey[];
}
/** A request as it travels: with the moment (ms since the epoch) after which its caller no longer waits for it. */
export interface DeadlinedRequest extends ControlRequest {
  deadline: number;
}

/**
 * How the supervisor answers one request. `accept(answerBy)`, for a command it queues, tells the
 * caller at once by when (ms since the epoch) the answer will come, so the caller waits that long.
 */
export type ControlHandler = (request: DeadlinedRequest, accept: (answerBy: number) => void) => Promise<unknown>;

/** Unix socket paths are limited to 104 bytes on macOS and 108 on Linux, terminator included. */
const MAX_SOCKET_PATH = 100;

/**
 * Where the control endpoint of the supervisor of a STIGMER_HOME lives: `run/control.sock`;
 * when that path is too long for a Unix socket, a private directory under the temp dir,
 * named by a hash of the home; a named pipe on Windows. Worked out only where the supervisor
 * starts (its launcher and itself, in one environment); every other command reads it from the
 * state file, since its temp dir may not be the supervisor's.
 */
export function controlSocketPath(layout: HomeLayout, platform: NodeJS.Platform = process.platform): string {
  if (platform === "win32") return `\\\\.\\pipe\\stigmer-${homeDigest(layout.home)}`;
  if (Buffer.byteLength(layout.controlSocket) <= MAX_SOCKET_PATH) return layout.controlSocket;
  return path.join(tmpdir(), `stigmer-${userInfo().uid}`, `${homeDigest(layout.home)}.sock`);
}

/**
 * 64 bits of FNV-1a over the home's path, in hex: enough to tell one user's homes apart, which is
 * all the name has to do. It keeps nothing secret (a home's path can be guessed, whatever the
 * hash), so not node:crypto, which the supervisor would load for its whole life (bench --probes).
 */
function homeDigest(home: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(home)) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return hash.toString(16).padStart(16, "0");
}

export function alreadyRunningError(home: string): StigmerError {
  return new StigmerError(`A supervisor is already running for STIGMER_HOME=${home}.`, {
    fix: "See it with: stigmer local status   (stop it with: stigmer local stop)",
  });
}

function notTrusted(what: string, fix: string): StigmerError {
  return new StigmerError(`${what}; stigmer does not trust a control socket there.`, { fix });
}

/**
 * The directory of a control socket must be a real directory of the user's that nobody else
 * can write to, and the socket, when there, a socket of the user's: otherwise another user could
 * have put their own socket there, answering `status` with lies or `stop` for a pid of their
 * choosing. Checked by the supervisor before it binds and by every command before it connects.
 */
export function checkControlSocket(socketPath: string): void {
  if (process.platform === "win32") return;
  const uid = process.getuid!();
  const dir = path.dirname(socketPath);
  const fix = `Remove it (rm -r ${dir}) and start the supervisor again; or point STIGMER_HOME at a directory of your own.`;
  const dirStat = lstatIfThere(dir);
  if (dirStat) {
    if (!dirStat.isDirectory()) throw notTrusted(`${dir} is not a directory (a symbolic link?)`, fix);
    if (dirStat.uid !== uid) throw notTrusted(`${dir} belongs to another user (uid ${dirStat.uid})`, fix);
    if ((dirStat.mode & 0o022) !== 0) throw notTrusted(`${dir} can be written by others (mode ${(dirStat.mode & 0o777).toString(8)})`, `chmod 700 ${dir}, or: ${fix}`);
  }
  const socketStat = lstatIfThere(socketPath);
  if (socketStat && socketStat.isSocket() && socketStat.uid !== uid) throw notTrusted(`${socketPath} belongs to another user (uid ${socketStat.uid})`, fix);
}

function lstatIfThere(file: string): Stats | null {
  try {
    return lstatSync(file);
  } catch {
    return null;
  }
}

/**
 * Binds the control socket. Binding is also the lock that keeps one supervisor per STIGMER_HOME:
 * only one process can bind a path, and the live supervisor holds it for its whole life.
 * A socket file left by a dead supervisor answers no connection and is replaced; the check
 * and the replacement happen under a short-lived lock file, so two starts cannot both replace it.
 */
export async function listenControl(socketPath: string, home: string, handle: ControlHandler): Promise<LocalServer> {
  const windows = process.platform === "win32";
  if (!windows) {
    ensurePrivateDir(path.dirname(socketPath));
    checkControlSocket(socketPath);
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const bound = await listen(socketPath, handle);
    if (!(bound instanceof Error)) {
      if (!windows) chmodSync(socketPath, 0o600);
      return bound;
    }
    const error: NodeJS.ErrnoException = bound;
    if (error.code !== "EADDRINUSE") {
      throw new StigmerError(`Cannot open the control socket ${socketPath}: ${error.message}.`, { cause: error });
    }
    if (windows) throw alreadyRunningError(home);
    checkIsSocket(socketPath);
    const replaced = await withReplaceLock(socketPath, async () => {
      if (await answersAt(socketPath, 1000)) throw alreadyRunningError(home);
      rmSync(socketPath, { force: true });
      const retry = await listen(socketPath, handle);
      if (retry instanceof Error) return null;
      chmodSync(socketPath, 0o600);
      return retry;
    });
    if (replaced) return replaced;
    await sleep(20);
  }
  throw new StigmerError(`Could not take over the control socket ${socketPath}.`, {
    fix: "Another start may be racing this one; run stigmer local status.",
  });
}

function checkIsSocket(socketPath: string): void {
  let isSocket = true;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch {
    return;
  }
  if (!isSocket) {
    throw new StigmerError(`${socketPath} exists and is not a socket.`, {
      fix: `Remove it (it is not stigmer's): rm ${socketPath}`,
    });
  }
}

const STALE_LOCK_MS = 10_000;

/** Runs `work` holding `<socket>.lock`; null when another process holds it (try again later). */
async function withReplaceLock<T>(socketPath: string, work: () => Promise<T | null>): Promise<T | null> {
  const lock = `${socketPath}.lock`;
  let fd: number;
  try {
    fd = openSync(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch {
    // A lock left by a process that died while replacing expires.
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { force: true });
    } catch {
      // Released meanwhile.
    }
    return null;
  }
  try {
    return await work();
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

/** The server, or why it could not listen. Connections beyond MAX_CONNECTIONS are closed as they come. */
function listen(socketPath: string, handle: ControlHandler): Promise<LocalServer | NodeJS.ErrnoException> {
  let open = 0;
  const accept = (connection: LocalConnection): ConnectionHandler => {
    if (open >= MAX_CONNECTIONS) {
      connection.destroy();
      return TURNED_AWAY;
    }
    open += 1;
    return serve(connection, handle, () => (open -= 1));
  };
  return listenLocal(socketPath, accept).catch((error: NodeJS.ErrnoException) => error);
}

const TURNED_AWAY: ConnectionHandler = { data() {}, closed() {} };

/** Room for a request and the few keys `restart --reload-keys` hands over. */
const MAX_REQUEST_BYTES = 16 * 1024;
/**
 * Connections served at once: far above what people and scripts open (a burst of 20 commands),
 * far below the supervisor's limit on open files, which its components' pipes and logs need.
 * Those beyond are closed as they come.
 */
export const MAX_CONNECTIONS = 64;
/** A connection that has not sent a whole request by then is closed: idle ones would hold the cap. */
export const REQUEST_WITHIN_MS = 2000;

/** Reads one request, a line of JSON, and answers it; `release` once the connection is over. */
function serve(connection: LocalConnection, handle: ControlHandler, release: () => void): ConnectionHandler {
  const received: Buffer[] = [];
  let receivedBytes = 0;
  let requested = false;
  const timer = setTimeout(() => connection.destroy(), REQUEST_WITHIN_MS);
  return {
    data(bytes) {
      if (requested) return;
      const newline = bytes.indexOf(0x0a);
      // A copy: the runtime may reuse the memory of what it handed over.
      received.push(Buffer.from(newline < 0 ? bytes : bytes.subarray(0, newline)));
      receivedBytes += bytes.length;
      if (newline < 0) {
        if (receivedBytes > MAX_REQUEST_BYTES) connection.destroy();
        return;
      }
      requested = true;
      // The request is in: answering it may take as long as the command does.
      clearTimeout(timer);
      void answer(connection, Buffer.concat(received).toString("utf8"), handle);
    },
    closed() {
      clearTimeout(timer);
      release();
    },
  };
}

function parseRequest(line: string): DeadlinedRequest {
  const request = JSON.parse(line) as { op?: unknown; component?: unknown; deadline?: unknown; keys?: unknown };
  if (!CONTROL_OPS.includes(request.op as ControlOp)) throw new Error(`unknown request ${JSON.stringify(request.op)}`);
  if (request.component !== undefined && typeof request.component !== "string") throw new Error("component must be a name");
  if (typeof request.deadline !== "number" || !Number.isFinite(request.deadline)) throw new Error("a request needs a deadline");
  const keys = request.keys === undefined ? undefined : parseKeys(request.keys);
  return { op: request.op as ControlOp, component: request.component, deadline: request.deadline, ...(keys ? { keys } : {}) };
}

const KEY_SOURCES: readonly KeySource[] = ["environment", "keyring", "entered"];

function parseKeys(value: unknown): ResolvedKey[] {
  if (!Array.isArray(value)) throw new Error("keys must be a list");
  return value.map((entry) => {
    const { name, value: key, source } = (entry ?? {}) as Record<string, unknown>;
    if (typeof name !== "string" || typeof key !== "string" || !KEY_SOURCES.includes(source as KeySource)) throw new Error("a key needs a name, a value and a source");
    return { name, value: key, source: source as KeySource };
  });
}

async function answer(connection: LocalConnection, line: string, handle: ControlHandler): Promise<void> {
  let request: DeadlinedRequest;
  try {
    request = parseRequest(line);
  } catch (error) {
    connection.end(`${JSON.stringify({ ok: false, error: (error as Error).message })}\n`);
    return;
  }
  // Read after its caller gave up (this process was frozen, say): not applied, then or ever.
  if (Date.now() > request.deadline) {
    connection.destroy();
    return;
  }
  let reply: unknown;
  try {
    const accept = (answerBy: number) => connection.write(`${JSON.stringify({ accepted: { answerBy } })}\n`);
    reply = { ok: true, result: await handle(request, accept) };
  } catch (error) {
    reply = { ok: false, error: (error as Error).message };
  }
  connection.end(`${JSON.stringify(reply)}\n`);
}

/** For a command's turn to come a little after the commands ahead of it end, as it always does. */
const QUEUE_SLACK_MS = 1000;

/**
 * The supervisor's commands that change the stack (its start, `restart`), applied one at a time
 * in the order received. Each says the longest it may take; when queued it is told by when it
 * will have been answered, and one whose turn comes too late for that (the supervisor was frozen
 * meanwhile) is refused rather than applied for a caller that gave up. `close` refuses what waits
 * and what comes, and resolves once the command in progress has finished.
 */
export class CommandQueue {
  private tail: Promise<unknown> = Promise.resolve();
  /** The longest the commands queued and in progress may still take, together. */
  private backlogMs = 0;
  private closedBecause: string | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  submit<T>(work: () => Promise<T>, longestMs: number): { answerBy: number; done: Promise<T> } {
    if (this.closedBecause !== null) throw new Error(this.closedBecause);
    const answerBy = this.now() + this.backlogMs + longestMs + QUEUE_SLACK_MS;
    this.backlogMs += longestMs;
    const done = this.tail.then(async () => {
      try {
        if (this.closedBecause !== null) throw new Error(this.closedBecause);
        if (this.now() + longestMs > answerBy) throw new Error("its turn came too late to be answered in time; not applied");
        return await work();
      } finally {
        this.backlogMs -= longestMs;
      }
    });
    this.tail = done.catch(() => {});
    return { answerBy, done };
  }

  close(reason: string): Promise<void> {
    this.closedBecause ??= reason;
    return this.tail.then(() => {});
  }
}
