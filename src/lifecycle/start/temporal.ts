import path from "node:path";
import { StigmerError, usageError } from "../../cli/errors.ts";
import { formatEndpoint, parseEndpoint } from "../../cli/values.ts";
import { TEMPORAL_HEALTH_SERVICE } from "../../daemon/check.ts";
import { resolveExecutable } from "../../platform/process/executables.ts";
import type { TemporalMode } from "./start-options.ts";

export const DEFAULT_TEMPORAL_ADDRESS = "localhost:7233";
/** The dev server's web UI listens this far above its gRPC port (7233 → 8233). */
const UI_PORT_OFFSET = 1000;
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** TEMPORAL_SERVICE_ADDRESS as the runner reads it: the environment's, else localhost:7233. */
export function temporalAddress(env: Readonly<Record<string, string | undefined>>): string {
  const given = env.TEMPORAL_SERVICE_ADDRESS?.trim();
  return given ? formatEndpoint(parseEndpoint(given, "TEMPORAL_SERVICE_ADDRESS")) : DEFAULT_TEMPORAL_ADDRESS;
}

/** How the stack gets its Temporal: one already answering (or the user's business), or a dev server it supervises. */
export type TemporalPlan =
  | { kind: "external"; address: string; managedBy: "already running" | "--temporal off" }
  | { kind: "managed"; address: string; cli: string; args: string[]; uiUrl: string };

export interface TemporalProbe {
  /** Whether Temporal's health answers SERVING at the address, right now. */
  serving(address: string): Promise<boolean>;
  /** The CLI `--temporal` names (a path, or a name on PATH), or else `temporal` on PATH; null when there is none. */
  findCli(given: string | null): string | null;
}

/** The probe for real: a health check (gRPC loaded only when something listens) and a PATH lookup. */
export function liveTemporalProbe(cwd: string): TemporalProbe {
  return {
    async serving(address) {
      const { checkDaemon } = await import("../../daemon/health.ts");
      return (await checkDaemon(address, { service: TEMPORAL_HEALTH_SERVICE, deadlineMs: 1500 })).status === "serving";
    },
    findCli: (given) => resolveExecutable(given ?? "temporal", cwd),
  };
}

/**
 * `--temporal auto`: a Temporal that answers is used as it is; else, with a CLI, a dev server is
 * supervised as the first component, its database under STIGMER_HOME so workflows survive restarts.
 */
export async function planTemporal(mode: TemporalMode, address: string, temporalDir: string, probe: TemporalProbe): Promise<TemporalPlan> {
  if (mode.kind === "off") return { kind: "external", address, managedBy: "--temporal off" };
  if (await probe.serving(address)) return { kind: "external", address, managedBy: "already running" };
  const cli = probe.findCli(mode.cli);
  if (!cli && mode.cli) {
    throw new StigmerError(`--temporal ${mode.cli} is not an executable file.`, {
      fix: "Give the path of the Temporal CLI, or --temporal auto to look for `temporal` on PATH.",
    });
  }
  if (!cli) throw noTemporalError(address);
  const { host, port } = parseEndpoint(address, "TEMPORAL_SERVICE_ADDRESS");
  if (!LOCAL_HOSTS.has(host)) {
    throw new StigmerError(`Temporal does not answer at ${address}, and a dev server can only be started on this machine.`, {
      fix: `Start Temporal at ${address}, point TEMPORAL_SERVICE_ADDRESS at localhost:7233 to let stigmer run a dev server, or use --temporal off.`,
    });
  }
  if (port + UI_PORT_OFFSET > 65535) throw usageError(`TEMPORAL_SERVICE_ADDRESS ${address}: the dev server's UI port ${port + UI_PORT_OFFSET} is out of range.`);
  const database = path.join(temporalDir, "dev.db");
  const ip = host === "[::1]" ? "::1" : "127.0.0.1";
  const uiPort = port + UI_PORT_OFFSET;
  return {
    kind: "managed",
    address,
    cli,
    args: ["server", "start-dev", "--ip", ip, "--port", String(port), "--ui-port", String(uiPort), "--db-filename", database],
    uiUrl: `http://${host === "[::1]" ? "[::1]" : "127.0.0.1"}:${uiPort}`,
  };
}

export function noTemporalError(address: string): StigmerError {
  return new StigmerError(`Temporal does not answer at ${address}, and no temporal CLI was found on PATH to start a dev server.`, {
    fix:
      "Install the Temporal CLI (brew install temporal, or https://docs.temporal.io/cli#install) so stigmer can run `temporal server start-dev`, " +
      "start Temporal yourself (TEMPORAL_SERVICE_ADDRESS says where), or use --temporal PATH to name the CLI, or --temporal off.",
  });
}
