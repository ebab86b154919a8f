// The TCP look that checkDaemon takes before loading gRPC.
import { afterEach, describe, expect, test } from "bun:test";
import { lookup } from "node:dns/promises";
import { createServer, type AddressInfo, type Server } from "node:net";
import { splitEndpoint, tcpConnectFailure } from "../../src/daemon/tcp.ts";
import { freePort } from "../helpers.ts";

const servers: Server[] = [];
afterEach(() => {
  while (servers.length) servers.pop()!.close();
});

/** Listens on one address only, or returns null where that address does not exist (no IPv6). */
async function listenOn(host: string): Promise<number | null> {
  const server = createServer((socket) => socket.destroy());
  const listening = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(0, host, () => resolve(true));
  });
  if (!listening) return null;
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

describe("splitEndpoint", () => {
  test("host:port, [v6]:port", () => {
    expect(splitEndpoint("localhost:50051")).toEqual({ host: "localhost", port: 50051 });
    expect(splitEndpoint("10.0.0.7:7234")).toEqual({ host: "10.0.0.7", port: 7234 });
    expect(splitEndpoint("[::1]:50051")).toEqual({ host: "::1", port: 50051 });
  });

  test("anything else is left to gRPC", () => {
    for (const endpoint of ["localhost", "::1:50051", "host:99999", "dns:///host:1", "host:", ":50051"]) {
      expect(splitEndpoint(endpoint)).toBeNull();
    }
  });
});

describe("tcpConnectFailure", () => {
  test("null once something accepts", async () => {
    const port = (await listenOn("127.0.0.1"))!;
    expect(await tcpConnectFailure("127.0.0.1", port, 10_000)).toBeNull();
  });

  test("localhost counts when only one of its addresses listens", async () => {
    const v4 = (await listenOn("127.0.0.1"))!;
    expect(await tcpConnectFailure("localhost", v4, 10_000)).toBeNull();
    // Only where localhost names ::1 too (not in every container's /etc/hosts).
    const localhostHasV6 = (await lookup("localhost", { all: true })).some(({ address }) => address === "::1");
    const v6 = localhostHasV6 ? await listenOn("::1") : null;
    if (v6 !== null) expect(await tcpConnectFailure("localhost", v6, 10_000)).toBeNull();
  });

  test("a closed port is refused", async () => {
    expect(await tcpConnectFailure("127.0.0.1", await freePort(), 10_000)).toBe("connection refused");
    expect(await tcpConnectFailure("localhost", await freePort(), 10_000)).toBe("connection refused");
  });

  test("a name that does not resolve says so", async () => {
    expect(await tcpConnectFailure("stigmer-test.invalid", 50051, 10_000)).toBe("cannot resolve host stigmer-test.invalid");
  });
});
