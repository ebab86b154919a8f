// The server side of the control socket: a Unix socket (a named pipe on Windows) that commands
// connect to.
//
// Under Bun through `Bun.listen` / `Bun.connect`, elsewhere (Deno, and Windows' named pipes)
// through node:net. The background supervisor holds the socket all day, and what it runs once
// stays resident: measured on compiled probes (bench/RESULTS.md, "--probes"), a node:net server
// cost 7.1 MiB of memory, Bun.listen 1.4 MiB. So node:net is fetched only where it is used, with
// process.getBuiltinModule, never imported: an import would load it under Bun as well.
import type { Socket } from "node:net";

/** One accepted connection, as its server sees it. */
export interface LocalConnection {
  write(text: string): void;
  /** Writes `text`, then closes the connection once it has gone out. */
  end(text: string): void;
  /** Closes it now, dropping what was not sent. */
  destroy(): void;
}

/** What a server does with one connection's bytes, and with its end (closed by either side, or failed). */
export interface ConnectionHandler {
  data(bytes: Uint8Array): void;
  closed(): void;
}

export interface LocalServer {
  /** Stops accepting connections; those open go on until they end. */
  close(): void;
}

interface BunSocket {
  data: BunConnection;
  write(bytes: Uint8Array): number;
  end(): void;
  terminate(): void;
}
interface BunSocketHandlers {
  open?(socket: BunSocket): void;
  data(socket: BunSocket, bytes: Uint8Array): void;
  drain?(socket: BunSocket): void;
  close?(socket: BunSocket): void;
  error?(socket: BunSocket, error: Error): void;
  connectError?(socket: BunSocket, error: Error): void;
}
interface BunRuntime {
  listen(options: { unix: string; socket: BunSocketHandlers }): { stop(): void };
  connect(options: { unix: string; socket: BunSocketHandlers }): Promise<BunSocket>;
}

/** One way to serve and probe the socket per runtime. */
export interface LocalSockets {
  /**
   * Listens at `socketPath`, handing each connection to `accept`. Rejects with the system's error
   * (its `code` EADDRINUSE when the path is taken, by a live server or a socket file left behind).
   */
  listen(socketPath: string, accept: (connection: LocalConnection) => ConnectionHandler): Promise<LocalServer>;
  /** Whether something takes a connection at `socketPath`; one that neither takes nor refuses it within `timeoutMs` counts as alive. */
  answers(socketPath: string, timeoutMs: number): Promise<boolean>;
}

const bun = process.platform === "win32" ? undefined : (globalThis as { Bun?: BunRuntime }).Bun;

/** Through Bun.listen and Bun.connect; null where Bun is not, and on Windows (named pipes). */
export const bunSockets: LocalSockets | null = bun
  ? { listen: (socketPath, accept) => bunListen(bun, socketPath, accept), answers: (socketPath, timeoutMs) => bunAnswers(bun, socketPath, timeoutMs) }
  : null;

/** Through node:net: Deno, and Windows' named pipes. */
export const nodeSockets: LocalSockets = { listen: nodeListen, answers: nodeAnswers };

const sockets = bunSockets ?? nodeSockets;
export const listenLocal = sockets.listen;
export const answersAt = sockets.answers;

/**
 * Bun's sockets write what the kernel takes at once and return how much that was: the rest is
 * kept here and written on `drain`, and an `end` waits for it.
 */
class BunConnection implements LocalConnection {
  handler: ConnectionHandler | null = null;
  private unsent: Buffer | null = null;
  private ending = false;

  constructor(private readonly socket: BunSocket) {}

  write(text: string): void {
    const bytes = Buffer.from(text);
    if (this.unsent) this.unsent = Buffer.concat([this.unsent, bytes]);
    else this.send(bytes);
  }

  end(text: string): void {
    this.write(text);
    this.ending = true;
    if (!this.unsent) this.socket.end();
  }

  destroy(): void {
    this.unsent = null;
    this.socket.terminate();
  }

  drain(): void {
    const unsent = this.unsent;
    this.unsent = null;
    if (unsent) this.send(unsent);
    if (!this.unsent && this.ending) this.socket.end();
  }

  private send(bytes: Buffer): void {
    const written = this.socket.write(bytes);
    // A closed socket takes nothing (-1): there is nobody left to send it to.
    if (written >= 0 && written < bytes.length) this.unsent = bytes.subarray(written);
  }
}

async function bunListen(runtime: BunRuntime, socketPath: string, accept: (connection: LocalConnection) => ConnectionHandler): Promise<LocalServer> {
  const listener = runtime.listen({
    unix: socketPath,
    socket: {
      open(socket) {
        socket.data = new BunConnection(socket);
        socket.data.handler = accept(socket.data);
      },
      data: (socket, bytes) => socket.data.handler?.data(bytes),
      drain: (socket) => socket.data.drain(),
      close: (socket) => socket.data.handler?.closed(),
      error: (socket) => socket.data.destroy(),
    },
  });
  return { close: () => listener.stop() };
}

function nodeListen(socketPath: string, accept: (connection: LocalConnection) => ConnectionHandler): Promise<LocalServer> {
  const server = net().createServer((socket: Socket) => {
    const handler = accept({ write: (text) => void socket.write(text), end: (text) => void socket.end(text), destroy: () => void socket.destroy() });
    socket.on("data", (bytes: Buffer) => handler.data(bytes));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => handler.closed());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve({ close: () => void server.close() });
    });
  });
}

function bunAnswers(runtime: BunRuntime, socketPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), timeoutMs);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      resolve(alive);
    };
    const handlers: BunSocketHandlers = {
      open(socket) {
        socket.end();
        done(true);
      },
      data() {},
      connectError: () => done(false),
    };
    runtime.connect({ unix: socketPath, socket: handlers }).catch(() => done(false));
  });
}

function nodeAnswers(socketPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net().createConnection(socketPath);
    const done = (alive: boolean) => {
      socket.destroy();
      resolve(alive);
    };
    socket.setTimeout(timeoutMs, () => done(true));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function net(): typeof import("node:net") {
  return process.getBuiltinModule("node:net");
}
