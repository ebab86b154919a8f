// Ports of 127.0.0.1. The bench's own only listening sockets are the moments it takes to get a free port from the
// kernel and close it again.
import { connect, createServer, type AddressInfo } from "node:net";

function listenOnce(port: number): Promise<number | null> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => {
      const bound = (server.address() as AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A port of 127.0.0.1 that nothing listens on: one the kernel just handed out and we closed again. With `alsoFree`,
 * one whose port + `alsoFree` is free too (the stand-in Temporal's UI port).
 */
export async function freePort(alsoFree?: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (port === null) continue;
    if (alsoFree === undefined) return port;
    if (port + alsoFree <= 65535 && (await listenOnce(port + alsoFree)) !== null) return port;
  }
  throw new Error("no free port on 127.0.0.1");
}

/** Whether something accepts a TCP connection on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function nothingListens(ports: number[], what: string): Promise<void> {
  for (const port of ports) {
    if (await accepts(port)) throw new Error(`${what}: something still listens on 127.0.0.1:${port}`);
  }
}
