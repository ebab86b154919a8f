// The control socket's server side (src/platform/net/listen.ts), both ways: Bun.listen, and the
// node:net fallback that Deno uses, run here under Bun. Real Unix sockets, real clients.
import { afterEach, describe, expect, test } from "bun:test";
import { createConnection } from "node:net";
import path from "node:path";
import { bunSockets, nodeSockets, type ConnectionHandler, type LocalConnection, type LocalServer, type LocalSockets } from "../../../src/platform/net/listen.ts";
import { cleanupAll, tempDir, waitFor } from "../../helpers.ts";

const servers: LocalServer[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  cleanupAll();
});

/** Sends `text`, then reads until the server closes the connection. */
function exchange(socketPath: string, text: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath, () => socket.write(text));
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(received)));
  });
}

/** A server that answers each line it is sent with `reply(line)`, then ends the connection. */
function lineServer(reply: (line: string) => string) {
  return (connection: LocalConnection): ConnectionHandler => {
    let text = "";
    return {
      data(bytes) {
        text += Buffer.from(bytes).toString("utf8");
        if (text.includes("\n")) connection.end(reply(text.slice(0, text.indexOf("\n"))));
      },
      closed() {},
    };
  };
}

const SOCKETS: [string, LocalSockets][] = [
  ["Bun.listen", bunSockets!],
  ["node:net", nodeSockets],
];

describe.each(SOCKETS)("%s", (_name, sockets) => {
  test("a request in and its answer out; a second listener at the path is refused; closed, it answers no more", async () => {
    const socketPath = path.join(tempDir(), "control.sock");
    const server = await sockets.listen(socketPath, lineServer((line) => `you said ${line}\n`));
    servers.push(server);
    expect((await exchange(socketPath, "hello\n")).toString()).toBe("you said hello\n");
    const second = await sockets.listen(socketPath, lineServer(() => "")).catch((error: NodeJS.ErrnoException) => error);
    expect((second as NodeJS.ErrnoException).code).toBe("EADDRINUSE");
    expect(await sockets.answers(socketPath, 1000)).toBe(true);
    server.close();
    await waitFor("the socket to take no more connections", async () => !(await sockets.answers(socketPath, 1000)));
  });

  test("an answer far larger than the socket's buffer arrives whole, written in parts", async () => {
    const socketPath = path.join(tempDir(), "control.sock");
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let index = 0; index < big.length; index++) big[index] = 97 + (index % 26);
    const text = big.toString("latin1");
    servers.push(
      await sockets.listen(socketPath, (connection) => ({
        data() {
          connection.write(text.slice(0, 1000));
          connection.end(text.slice(1000));
        },
        closed() {},
      })),
    );
    const received = await exchange(socketPath, "go\n");
    expect(received.length).toBe(big.length);
    expect(received.equals(big)).toBe(true);
  });

  test("the server hears of a client that went away, and destroy drops a client", async () => {
    const socketPath = path.join(tempDir(), "control.sock");
    let closed = 0;
    servers.push(
      await sockets.listen(socketPath, (connection) => ({
        data(bytes) {
          if (Buffer.from(bytes).toString().startsWith("drop")) connection.destroy();
        },
        closed: () => void (closed += 1),
      })),
    );
    const leaving = createConnection(socketPath);
    await new Promise((resolve) => leaving.once("connect", resolve));
    leaving.destroy();
    await waitFor("the server to hear the client went", () => closed === 1);
    expect((await exchange(socketPath, "drop me\n")).length).toBe(0);
    await waitFor("the server to count the dropped one too", () => closed === 2);
  });

  test("answers: nothing at the path is no answer", async () => {
    expect(await sockets.answers(path.join(tempDir(), "nothing.sock"), 1000)).toBe(false);
  });
});
