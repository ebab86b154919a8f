// One TCP connection attempt, closed as soon as it is made: the daemon watcher's look at
// the port every few seconds, for as long as the supervisor runs.
//
// Under Bun, `Bun.connect` and `Bun.dns.lookup` instead of node:net and node:dns: measured on
// compiled probes left idle (bench/RESULTS.md), a node:net connect every 5 s cost 0.10 % of a
// core and 11 MiB of resident code, Bun.connect 0.03 % and 2.7 MiB. The node: modules are
// imported only where they are used, so that Bun never loads them for this.

/** Ends as soon as the attempt does: null once connected (and closed again), else the error's code or message. */
export interface ConnectAttempt {
  outcome: Promise<string | null>;
  /** Gives up: the outcome stays pending, and a connection made later is closed at once. */
  abandon(): void;
}

interface BunSocket {
  end(): void;
}
interface BunRuntime {
  connect(options: {
    hostname: string;
    port: number;
    socket: { open(socket: BunSocket): void; data(): void; connectError(socket: BunSocket, error: Error): void };
  }): Promise<BunSocket>;
  dns: { lookup(host: string, options?: { family?: 0 | 4 | 6 }): Promise<{ address: string }[]> };
  udpSocket(options: { connect: { hostname: string; port: number } }): Promise<{ close(): void }>;
}

const bun = (globalThis as { Bun?: BunRuntime }).Bun;

/** Every address `host` stands for (itself when it is one), in the resolver's order. */
export async function resolveAddresses(host: string): Promise<string[]> {
  if (isAddress(host)) return [host];
  const found = bun
    ? await bun.dns.lookup(host)
    : await (await import("node:dns/promises")).lookup(host, { all: true, verbatim: true });
  return [...new Set(found.map((entry) => entry.address))];
}

/** An IPv4 address, or an IPv6 one (a host name never holds a colon). */
function isAddress(host: string): boolean {
  return host.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

export async function connectOnce(address: string, port: number): Promise<ConnectAttempt> {
  return bun ? bunConnect(bun, address, port) : nodeConnectOnce((await import("node:net")).connect, address, port);
}

function bunConnect(runtime: BunRuntime, address: string, port: number): ConnectAttempt {
  let settle!: (failure: string | null) => void;
  const outcome = new Promise<string | null>((resolve) => (settle = resolve));
  let abandoned = false;
  // Bun reports a failure both ways (connectError, and a rejected promise), at times before connect returns: the route is looked at once.
  let failing: Promise<void> | null = null;
  const failed = (error: Error) => {
    failing ??= (async () => {
      const code = errorCode(error);
      const failure = code === "ECONNREFUSED" ? ((await routeFailure(runtime, address, port)) ?? code) : code;
      if (!abandoned) settle(failure);
    })();
  };
  runtime
    .connect({
      hostname: address,
      port,
      socket: {
        open(socket) {
          socket.end();
          if (!abandoned) settle(null);
        },
        data() {},
        connectError(_socket, error) {
          failed(error);
        },
      },
    })
    .catch(failed);
  return {
    outcome,
    abandon() {
      abandoned = true;
    },
  };
}

/**
 * Bun (1.4) reports every failed TCP connect to an address it has no route to (ENETUNREACH,
 * EHOSTUNREACH) as ECONNREFUSED, which tells the user a server is down where the network is.
 * Its UDP socket reports the routing error of connect(2) faithfully, and a UDP connect sends
 * nothing: asked after a "refused", it tells the two apart. Null when there is a route.
 */
async function routeFailure(runtime: BunRuntime, address: string, port: number): Promise<string | null> {
  try {
    (await runtime.udpSocket({ connect: { hostname: address, port } })).close();
    return null;
  } catch (error) {
    return errorCode(error as Error);
  }
}

function nodeConnectOnce(connect: typeof import("node:net").connect, address: string, port: number): ConnectAttempt {
  const socket = connect({ host: address, port });
  const outcome = new Promise<string | null>((resolve) => {
    socket.once("connect", () => {
      socket.destroy();
      resolve(null);
    });
    socket.once("error", (error) => {
      socket.destroy();
      resolve(errorCode(error));
    });
  });
  return { outcome, abandon: () => socket.destroy() };
}

function errorCode(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.message;
}
