import { createHash } from "node:crypto";
import { chmodSync, closeSync, lstatSync, openSync, rmSync, statSync, constants } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { StigmerError } from "../../cli/errors.ts";
import { ensurePrivateDir, type HomeLayout } from "./state-dir.ts";

export type ControlOp = "status" | "restart" | "stop";
export const CONTROL_OPS: readonly ControlOp[] = ["status", "restart", "stop"];
/** One request: what to do, and to which component (`restart`; the runner when absent). */
export interface ControlRequest {
  op: ControlOp;
  component?: string;
}

/** Unix socket paths are limited to 104 bytes on macOS and 108 on Linux, terminator included. */
const MAX_SOCKET_PATH = 100;

/**
 * Where the control endpoint of the supervisor of a STIGMER_HOME lives: `run/control.sock`;
 * when that path is too long for a Unix socket, a private directory under the temp dir,
 * named by a hash of the home; a named pipe on Windows.
 */
export function controlSocketPath(layout: HomeLayout, platform: NodeJS.Platform = process.platform): string {
  // The digest only when needed: node:crypto would cost the supervisor ~7 MiB for its whole life (bench --probes).
  const digest = () => createHash("sha256").update(layout.home).digest("hex").slice(0, 16);
  if (platform === "win32") return `\\\\.\\pipe\\stigmer-${digest()}`;
  if (Buffer.byteLength(layout.controlSocket) <= MAX_SOCKET_PATH) return layout.controlSocket;
  return path.join(tmpdir(), `stigmer-${userInfo().uid}`, `${digest()}.sock`);
}

export function alreadyRunningError(home: string): StigmerError {
  return new StigmerError(`A supervisor is already running for STIGMER_HOME=${home}.`, {
    fix: "See it with: stigmer local status   (stop it with: stigmer local stop)",
  });
}

/**
 * Binds the control socket. Binding is also the lock that keeps one supervisor per STIGMER_HOME:
 * only one process can bind a path, and the live supervisor holds it for its whole life.
 * A socket file left by a dead supervisor answers no connection and is replaced; the check
 * and the replacement happen under a short-lived lock file, so two starts cannot both replace it.
 */
export async function listenControl(
  socketPath: string,
  home: string,
  handle: (request: ControlRequest) => Promise<unknown>,
): Promise<Server> {
  const windows = process.platform === "win32";
  if (!windows) ensurePrivateDir(path.dirname(socketPath));
  for (let attempt = 0; attempt < 100; attempt++) {
    const server = createControlServer(handle);
    const error = await listen(server, socketPath);
    if (!error) {
      if (!windows) chmodSync(socketPath, 0o600);
      return server;
    }
    if (error.code !== "EADDRINUSE") {
      throw new StigmerError(`Cannot open the control socket ${socketPath}: ${error.message}.`, { cause: error });
    }
    if (windows) throw alreadyRunningError(home);
    checkIsSocket(socketPath);
    const replaced = await withReplaceLock(socketPath, async () => {
      if (await answers(socketPath)) throw alreadyRunningError(home);
      rmSync(socketPath, { force: true });
      const retry = createControlServer(handle);
      const again = await listen(retry, socketPath);
      if (again) return null;
      chmodSync(socketPath, 0o600);
      return retry;
    });
    if (replaced) return replaced;
    await new Promise((resolve) => setTimeout(resolve, 20));
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

function listen(server: Server, socketPath: string): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error));
    server.listen(socketPath, () => resolve(null));
  });
}

const MAX_REQUEST_BYTES = 1024;

function createControlServer(handle: (request: ControlRequest) => Promise<unknown>): Server {
  return createServer((socket: Socket) => {
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf("\n");
      if (newline < 0) {
        if (buffer.length > MAX_REQUEST_BYTES) socket.destroy();
        return;
      }
      socket.removeAllListeners("data");
      void answer(socket, buffer.slice(0, newline), handle);
    });
  });
}

async function answer(socket: Socket, line: string, handle: (request: ControlRequest) => Promise<unknown>): Promise<void> {
  let reply: unknown;
  try {
    const request = JSON.parse(line) as { op?: unknown; component?: unknown };
    if (!CONTROL_OPS.includes(request.op as ControlOp)) throw new Error(`unknown request ${JSON.stringify(request.op)}`);
    if (request.component !== undefined && typeof request.component !== "string") throw new Error("component must be a name");
    reply = { ok: true, result: await handle({ op: request.op as ControlOp, component: request.component }) };
  } catch (error) {
    reply = { ok: false, error: (error as Error).message };
  }
  socket.end(`${JSON.stringify(reply)}\n`);
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    const done = (alive: boolean) => {
      socket.destroy();
      resolve(alive);
    };
    socket.setTimeout(1000, () => done(true));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export type ControlReply = { kind: "answer"; result: unknown } | { kind: "refused"; error: string } | { kind: "no-supervisor" } | { kind: "timeout" };

/** Sends one request to the supervisor and waits for its one-line answer. */
export function controlRequest(socketPath: string, request: ControlOp | ControlRequest, timeoutMs: number): Promise<ControlReply> {
  const message = typeof request === "string" ? { op: request } : request;
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    let text = "";
    let settled = false;
    const finish = (reply: ControlReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => finish({ kind: "timeout" }), timeoutMs);
    socket.setEncoding("utf8");
    socket.once("connect", () => socket.write(`${JSON.stringify(message)}\n`));
    socket.on("data", (chunk: string) => {
      text += chunk;
      const newline = text.indexOf("\n");
      if (newline < 0) return;
      try {
        const reply = JSON.parse(text.slice(0, newline)) as { ok: boolean; result?: unknown; error?: string };
        finish(reply.ok ? { kind: "answer", result: reply.result } : { kind: "refused", error: reply.error ?? "refused" });
      } catch {
        finish({ kind: "refused", error: "unreadable answer" });
      }
    });
    socket.once("error", () => finish({ kind: "no-supervisor" }));
    socket.once("end", () => finish({ kind: "no-supervisor" }));
  });
}
