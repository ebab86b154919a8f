// A stand-in for the Stigmer daemon, for the demo and the tests: a gRPC server on
// 127.0.0.1 that implements grpc.health.v1 Health/Check (service "", and any others named).
//
//   bun examples/dev-daemon.ts [--port N] [--ip HOST] [--service NAME]... [--status serving|not-serving] [--no-health]
//
// --port 0 (the default) picks a free port; the address is printed on stdout as
// `listening on HOST:PORT` (HOST is --ip, 127.0.0.1 by default). --service NAME (repeatable)
// adds a service name the health check knows besides "" (the overall status, always known);
// every known name answers the one status, and any other name answers NOT_FOUND, as the
// health protocol says. SIGUSR1 switches between SERVING and NOT_SERVING and prints the new
// `status …`. --no-health serves gRPC without the health service, as stigmer-server does
// today. SIGTERM / SIGINT shut it down and exit 0.
//
// Tests and the demo can also run it in-process with `startDevDaemon`; examples/temporal-cli.ts
// uses it for the stand-in Temporal dev server.

import * as grpc from "@grpc/grpc-js";
import { createServer } from "node:net";
import { parseArgs } from "node:util";
import {
  HEALTH_CHECK_PATH,
  ServingStatus,
  decodeHealthCheckRequest,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  encodeHealthCheckResponse,
  servingStatusName,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from "../src/daemon/health-protocol.ts";

const healthService: grpc.ServiceDefinition = {
  Check: {
    path: HEALTH_CHECK_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeHealthCheckRequest,
    requestDeserialize: decodeHealthCheckRequest,
    responseSerialize: encodeHealthCheckResponse,
    responseDeserialize: decodeHealthCheckResponse,
  },
};

export interface DevDaemonOptions {
  /** 0 picks a free port. */
  port?: number;
  /** The address to bind; "127.0.0.1" by default. */
  host?: string;
  /**
   * The health service names answered with the serving status; any other name answers
   * NOT_FOUND. `[""]` (the overall status only) by default.
   */
  services?: string[];
  serving?: boolean;
  /** false: a gRPC server without the health service (every call answers UNIMPLEMENTED). */
  health?: boolean;
}

export interface DevDaemon {
  port: number;
  /** "HOST:PORT" ("[HOST]:PORT" for an IPv6 address), e.g. "127.0.0.1:PORT". */
  endpoint: string;
  readonly serving: boolean;
  setServing(serving: boolean): void;
  /** Ends open connections too, so a client sees the daemon gone at once. */
  stop(): Promise<void>;
}

export async function startDevDaemon(options: DevDaemonOptions = {}): Promise<DevDaemon> {
  let serving = options.serving ?? true;
  const services = new Set(options.services ?? [""]);
  const host = options.host ?? "127.0.0.1";
  // An IPv6 address needs brackets before the port.
  const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const server = new grpc.Server();
  if (options.health ?? true) {
    server.addService(healthService, {
      Check(
        call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
        callback: grpc.sendUnaryData<HealthCheckResponse>,
      ) {
        // As the health protocol says: a service name the server does not know is NOT_FOUND.
        if (!services.has(call.request.service)) {
          callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${call.request.service}` });
          return;
        }
        callback(null, { status: serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING });
      },
    });
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${hostPart}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    ),
  );
  return {
    port,
    endpoint: `${hostPart}:${port}`,
    get serving() {
      return serving;
    },
    setServing(value: boolean) {
      serving = value;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        // tryShutdown calls back once the listener and every connection are closed;
        // forceShutdown then closes the connections instead of waiting for clients to leave.
        server.tryShutdown(() => resolve());
        server.forceShutdown();
      }),
  };
}

/** A TCP port that was free a moment ago, on 127.0.0.1: for a stand-in to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function statusLine(serving: boolean): string {
  return `status ${servingStatusName(serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING)}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      ip: { type: "string", default: "127.0.0.1" },
      // "" is always served; each --service adds a name.
      service: { type: "string", multiple: true, default: [] },
      status: { type: "string", default: "serving" },
      "no-health": { type: "boolean", default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port wants 0-65535, got ${values.port}`);
  if (values.status !== "serving" && values.status !== "not-serving") {
    throw new Error(`--status wants serving or not-serving, got ${values.status}`);
  }
  const daemon = await startDevDaemon({
    port,
    host: values.ip,
    services: ["", ...values.service],
    serving: values.status === "serving",
    health: !values["no-health"],
  });
  // Handlers first: whoever reads the address may signal at once.
  process.on("SIGUSR1", () => {
    daemon.setServing(!daemon.serving);
    console.log(statusLine(daemon.serving));
  });
  const shutDown = () => {
    void daemon.stop().then(() => process.exit(0));
  };
  process.once("SIGTERM", shutDown);
  process.once("SIGINT", shutDown);
  console.log(`listening on ${daemon.endpoint}`);
  console.log(values["no-health"] ? "no health service" : statusLine(daemon.serving));
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(`dev-daemon: ${(error as Error).message}`);
    process.exit(1);
  });
}
