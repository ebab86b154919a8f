// A stand-in for the Temporal CLI's development server, for the demo and the tests: the
// real `temporal` binary cannot be installed here, so this answers the one command Stigmer
// runs the way the real one does, on 127.0.0.1.
//
//   temporal server start-dev --ip 127.0.0.1 --port PORT --ui-port UIPORT --db-filename PATH
//                             [--namespace NS]... [--log-format pretty|json] [--headless]
//   temporal --version        prints `temporal version 1.3.0-standin`
//
// `server start-dev`:
//   - opens the database file --db-filename (created with mode 0600 if absent) and, once
//     serving, appends `start <ISO time> pid <pid>` to it, so a test can see the same file
//     kept across restarts. Like the real CLI it does not create the file's directory: a
//     missing one is exit 1 with a message; the caller creates it. Without --db-filename
//     the database is in memory, as with the real CLI.
//   - serves grpc.health.v1 on --ip:--port (examples/dev-daemon.ts) for "" and
//     temporal.api.workflowservice.v1.WorkflowService, and HTTP on --ip:--ui-port
//     (`Temporal UI (stand-in)` on GET /) unless --headless. --port defaults to 7233 and
//     --ui-port to --port + 1000, as with the real CLI.
//   - prints the real dev server's banner (CLI/Server/UI versions, `Server:`, `UI:`,
//     `Metrics:`); metrics are not served.
//   - a port in use is exit 1 with `failed to bind IP:PORT: address already in use`.
//   - SIGTERM / SIGINT close both servers and exit 0.
// Other `--flag value` pairs the real CLI accepts are taken and ignored; an unknown command
// is exit 1 with a usage message on stderr.
//
// Knobs for the tests (environment):
//   STANDIN_TEMPORAL_DELAY_MS=N     wait N ms before binding (a slow start)
//   STANDIN_TEMPORAL_NEVER_SERVE=1  bind, but answer every health check NOT_SERVING
//   STANDIN_TEMPORAL_STARTS=FILE    append `<Date.now()> start` once serving and
//                                   `<Date.now()> stop` when a signal ends it
//
// `installTemporalCli(dir)` writes an executable `temporal` script into dir that runs this
// file with the current bun (or node); put dir on PATH.

import * as grpc from "@grpc/grpc-js";
import { appendFileSync, chmodSync, closeSync, existsSync, openSync, writeFileSync, writeSync } from "node:fs";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TEMPORAL_HEALTH_SERVICE } from "../src/daemon/check.ts";
import { startDevDaemon, type DevDaemon } from "./dev-daemon.ts";

export const STANDIN_VERSION = "1.3.0-standin";
const SERVER_VERSION = "1.27.0";
const UI_VERSION = "2.36.0";

const SELF = fileURLToPath(import.meta.url);

/** A shell word for `value`: single quotes, with each ' written as '\''. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Writes an executable `temporal` into `dir` that runs this stand-in with the running
 * bun/node (`process.execPath`), and returns its path. Put `dir` on PATH to use it.
 */
export function installTemporalCli(dir: string): string {
  const script = path.join(path.resolve(dir), "temporal");
  writeFileSync(script, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(SELF)} "$@"\n`);
  chmodSync(script, 0o755);
  return script;
}

const USAGE = `Usage:
  temporal [command]

Available Commands:
  server      Run Temporal Server (stand-in: only start-dev)

Flags:
  -h, --help      help for temporal
  -v, --version   version for temporal

Use "temporal [command] --help" for more information about a command.
`;

const START_DEV_USAGE = `Usage:
  temporal server start-dev [flags]

Flags (the stand-in uses these; other flags of the real CLI are accepted and ignored):
      --ip string            IP address bound by the frontend and UI (default "127.0.0.1")
  -p, --port int             Port for the frontend gRPC service (default 7233)
      --ui-port int          Port for the Web UI (default --port + 1000)
  -f, --db-filename string   File in which to persist Temporal state (default: in memory)
  -n, --namespace strings    Namespaces to create at launch
      --headless             Disable the Web UI
      --log-format string    Log format: pretty or json
`;

/** Flags of the real CLI that take no value: everything else starting with - takes one. */
const BOOLEAN_FLAGS = new Set([
  "headless",
  "help",
  "h",
  "log-config",
  "no-json-shorthand-payloads",
  "disable-config-file",
  "disable-config-env",
  "ui-codec-endpoint-include-credentials",
]);

const SHORT_FLAGS: Record<string, string> = { p: "port", f: "db-filename", n: "namespace", o: "output" };

class UsageError extends Error {}

/** `--flag value`, `--flag=value` and the real CLI's short forms; repeated flags keep every value. */
function parseFlags(args: string[]): Map<string, string[]> {
  const flags = new Map<string, string[]>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const match = /^--?([A-Za-z0-9][\w-]*)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new UsageError(`unexpected argument "${arg}"`);
    const name = SHORT_FLAGS[match[1]!] ?? match[1]!;
    let value = match[2];
    if (value === undefined) {
      if (BOOLEAN_FLAGS.has(name)) value = "true";
      else {
        value = args[++index];
        if (value === undefined) throw new UsageError(`flag needs an argument: --${name}`);
      }
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return flags;
}

function portFlag(flags: Map<string, string[]>, name: string, fallback: number): number {
  const text = flags.get(name)?.at(-1);
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`invalid argument "${text}" for "--${name}" flag`);
  return port;
}

/** Ends the process with `code` after `message` on stderr. */
function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function isAddressInUse(error: unknown): boolean {
  return /EADDRINUSE|address already in use/i.test(String((error as Error)?.message ?? error));
}

function listenHttp(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

async function startDev(args: string[]): Promise<void> {
  const flags = parseFlags(args);
  // grpc-js logs a failed bind itself ("E No address added…"); the message below says it plainly.
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  if (flags.has("help") || flags.has("h")) {
    process.stdout.write(START_DEV_USAGE);
    process.exit(0);
  }
  const ip = flags.get("ip")?.at(-1) ?? "127.0.0.1";
  const port = portFlag(flags, "port", 7233);
  const headless = flags.get("headless")?.at(-1) !== undefined && flags.get("headless")!.at(-1) !== "false";
  const dbFilename = flags.get("db-filename")?.at(-1);
  const logFormat = flags.get("log-format")?.at(-1);
  if (logFormat !== undefined && logFormat !== "pretty" && logFormat !== "json" && logFormat !== "text") {
    throw new UsageError(`invalid argument "${logFormat}" for "--log-format" flag: must be pretty or json`);
  }
  const startsFile = process.env.STANDIN_TEMPORAL_STARTS || null;
  const delayMs = Number(process.env.STANDIN_TEMPORAL_DELAY_MS ?? 0);
  const neverServe = process.env.STANDIN_TEMPORAL_NEVER_SERVE === "1";

  // The database first, as the real server opens SQLite before it binds anything.
  let db: number | null = null;
  if (dbFilename) {
    const dir = path.dirname(path.resolve(dbFilename));
    if (!existsSync(dir)) fail(`failed to open database ${dbFilename}: directory ${dir} does not exist`);
    try {
      db = openSync(dbFilename, "a", 0o600);
    } catch (error) {
      fail(`failed to open database ${dbFilename}: ${(error as Error).message}`);
    }
  }

  // Handlers before the slow part: a signal during the delay or the bind still ends cleanly.
  let daemon: DevDaemon | null = null;
  let ui: Server | null = null;
  let serving = false;
  let stopping = false;
  const shutDown = () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await daemon?.stop();
      if (ui) {
        ui.closeAllConnections();
        await new Promise<void>((resolve) => ui!.close(() => resolve()));
      }
      if (db !== null) closeSync(db);
      if (serving && startsFile) appendFileSync(startsFile, `${Date.now()} stop\n`);
      process.exit(0);
    })();
  };
  process.once("SIGTERM", shutDown);
  process.once("SIGINT", shutDown);

  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  if (stopping) return;

  try {
    daemon = await startDevDaemon({ host: ip, port, services: ["", TEMPORAL_HEALTH_SERVICE], serving: !neverServe });
  } catch (error) {
    if (isAddressInUse(error)) fail(`failed to bind ${ip}:${port}: address already in use`);
    fail(`failed to bind ${ip}:${port}: ${(error as Error).message}`);
  }
  const boundPort = daemon.port;
  let uiPort: number | null = null;
  if (!headless) {
    const wantedUiPort = portFlag(flags, "ui-port", boundPort + 1000);
    ui = createServer((request, response) => {
      if (request.method === "GET" && (request.url === "/" || request.url?.startsWith("/?"))) {
        response.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        response.end("Temporal UI (stand-in)\n");
      } else {
        response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
        response.end("not found\n");
      }
    });
    try {
      uiPort = await listenHttp(ui, ip, wantedUiPort);
    } catch (error) {
      await daemon.stop();
      const reason = isAddressInUse(error) ? "address already in use" : (error as Error).message;
      fail(`failed to bind ${ip}:${wantedUiPort}: ${reason}`);
    }
  }
  if (stopping) return;

  serving = true;
  if (db !== null) writeSync(db, `start ${new Date().toISOString()} pid ${process.pid}\n`);
  if (startsFile) appendFileSync(startsFile, `${Date.now()} start\n`);
  const lines = [`CLI ${STANDIN_VERSION} (Server ${SERVER_VERSION}, UI ${UI_VERSION})`, "", `Server:  ${ip}:${boundPort}`];
  if (uiPort !== null) lines.push(`UI:      http://${ip}:${uiPort}`);
  lines.push(`Metrics: http://${ip}:${boundPort + 1}/metrics`);
  // One synchronous write: whoever reads the banner may signal at once.
  writeSync(1, `${lines.join("\n")}\n`);
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "--version" || command === "-v" || command === "version") {
    process.stdout.write(`temporal version ${STANDIN_VERSION}\n`);
    return;
  }
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(USAGE);
    return;
  }
  if (command !== "server") fail(`Error: unknown command "${command}" for "temporal"\n${USAGE}`);
  const [subcommand, ...args] = rest;
  if (subcommand !== "start-dev") {
    fail(`Error: unknown command "${subcommand ?? ""}" for "temporal server"\nUsage:\n  temporal server start-dev [flags]`);
  }
  try {
    await startDev(args);
  } catch (error) {
    if (error instanceof UsageError) fail(`Error: ${error.message}\n${START_DEV_USAGE}`);
    throw error;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    fail(`temporal: ${(error as Error).message}`);
  });
}
