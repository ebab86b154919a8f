// Servers on 127.0.0.1 for the daemon tests (health.test.ts, watch.test.ts), each stopped by the test file's cleanups.
import { createServer, type AddressInfo, type Socket } from "node:net";
import { startDevDaemon, type DevDaemon, type DevDaemonOptions } from "../../examples/dev-daemon.ts";

export function testServers(cleanups: (() => unknown)[]) {
  return {
    /** The development daemon, in this process. */
    async devDaemon(options: DevDaemonOptions = {}): Promise<DevDaemon> {
      const daemon = await startDevDaemon(options);
      cleanups.push(() => daemon.stop());
      return daemon;
    },

    /** Accepts TCP connections and never sends a byte: no HTTP/2 SETTINGS, so no gRPC. */
    async silentServer(): Promise<string> {
      const sockets = new Set<Socket>();
      const server = createServer((socket) => {
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      cleanups.push(() => {
        for (const socket of sockets) socket.destroy();
        server.close();
      });
      return `127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
  };
}
