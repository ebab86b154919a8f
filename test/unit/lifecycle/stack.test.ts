import { describe, expect, test } from "bun:test";
import { StigmerError } from "../../../src/cli/errors.ts";
import { homeLayout } from "../../../src/lifecycle/control/state-dir.ts";
import { buildStack, longestStart, readinessTimeout } from "../../../src/lifecycle/start/stack.ts";
import { resolveStartOptions } from "../../../src/lifecycle/start/start-options.ts";
import { TEMPORAL_HEALTH_SERVICE } from "../../../src/daemon/check.ts";
import { planTemporal, temporalAddress, type TemporalProbe } from "../../../src/lifecycle/start/temporal.ts";

const layout = homeLayout("/home/u/.stigmer");
const runner = { command: "/usr/bin/python3", args: ["main.py"], cwd: "/src/runner", env: { MODE: "local" } };

/** Answers as told, and records what it was asked. */
function probe(serving: boolean, cliOnPath: string | null): TemporalProbe & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async serving(address) {
      asked.push(address);
      return serving;
    },
    findCli: (given) => (given ? (given.startsWith("/") ? given : null) : cliOnPath),
  };
}

describe("planTemporal", () => {
  test("auto: a Temporal that answers is used as it is", async () => {
    const answering = probe(true, "/usr/bin/temporal");
    expect(await planTemporal({ kind: "auto", cli: null }, "localhost:7233", layout.temporalDir, answering)).toEqual({
      kind: "external",
      address: "localhost:7233",
      managedBy: "already running",
    });
    expect(answering.asked).toEqual(["localhost:7233"]);
  });

  test("auto: nothing answers and a CLI is on PATH: a dev server on that port, UI 1000 above, database under STIGMER_HOME", async () => {
    expect(await planTemporal({ kind: "auto", cli: null }, "localhost:7300", layout.temporalDir, probe(false, "/usr/bin/temporal"))).toEqual({
      kind: "managed",
      address: "localhost:7300",
      cli: "/usr/bin/temporal",
      args: ["server", "start-dev", "--ip", "127.0.0.1", "--port", "7300", "--ui-port", "8300", "--db-filename", "/home/u/.stigmer/temporal/dev.db"],
      uiUrl: "http://127.0.0.1:8300",
    });
  });

  test("off never starts one and never asks", async () => {
    const quiet = probe(false, "/usr/bin/temporal");
    expect(await planTemporal({ kind: "off" }, "localhost:7233", layout.temporalDir, quiet)).toMatchObject({ kind: "external", managedBy: "--temporal off" });
    expect(quiet.asked).toEqual([]);
  });

  test("no CLI, a CLI that is not there, a remote address: errors with the way out", async () => {
    const none = await planTemporal({ kind: "auto", cli: null }, "localhost:7233", layout.temporalDir, probe(false, null)).catch((error) => error);
    expect(none).toBeInstanceOf(StigmerError);
    expect(none.fix).toContain("brew install temporal");
    expect(none.fix).toContain("--temporal off");
    const missing = await planTemporal({ kind: "auto", cli: "temporal-nope" }, "localhost:7233", layout.temporalDir, probe(false, null)).catch((error) => error);
    expect(missing.message).toBe("--temporal temporal-nope is not an executable file.");
    const remote = await planTemporal({ kind: "auto", cli: null }, "temporal.internal:7233", layout.temporalDir, probe(false, "/usr/bin/temporal")).catch((error) => error);
    expect(remote.message).toContain("a dev server can only be started on this machine");
  });

  test("the address: TEMPORAL_SERVICE_ADDRESS, else localhost:7233; a malformed one is a usage error", () => {
    expect(temporalAddress({})).toBe("localhost:7233");
    expect(temporalAddress({ TEMPORAL_SERVICE_ADDRESS: " 127.0.0.1:7400 " })).toBe("127.0.0.1:7400");
    expect(() => temporalAddress({ TEMPORAL_SERVICE_ADDRESS: "http://x:1" })).toThrow("TEMPORAL_SERVICE_ADDRESS takes HOST:PORT");
  });
});

describe("buildStack", () => {
  const managed = {
    kind: "managed" as const,
    address: "localhost:7233",
    cli: "/usr/bin/temporal",
    args: ["server", "start-dev"],
    uiUrl: "http://127.0.0.1:8233",
  };

  test("temporal → stigmer-server → agent-runner, each with its log and readiness; the server learns where Temporal is", () => {
    const options = resolveStartOptions({ endpoint: "localhost:7234", daemonTimeout: "20s", readyTimeout: "90s" }, {});
    const stack = buildStack(options, layout, { temporal: managed, server: "/opt/stigmer-server", runner, env: { HOME: "/home/u", UNSET: undefined } });
    expect(stack.map((member) => member.name)).toEqual(["temporal", "stigmer-server", "agent-runner"]);
    expect(stack.map((member) => member.log)).toEqual([
      "/home/u/.stigmer/logs/temporal.log",
      "/home/u/.stigmer/logs/stigmer-server.log",
      "/home/u/.stigmer/logs/agent-runner.log",
    ]);
    expect(stack[0]!.launch).toEqual({ command: "/usr/bin/temporal", args: ["server", "start-dev"], cwd: layout.temporalDir, env: { HOME: "/home/u" } });
    expect(stack[0]!.readiness).toEqual({ kind: "health", endpoint: "localhost:7233", service: TEMPORAL_HEALTH_SERVICE, acceptReachable: false, timeoutMs: 20_000 });
    expect(stack[1]!.launch.env).toEqual({ HOME: "/home/u", TEMPORAL_HOST_PORT: "localhost:7233" });
    expect(stack[1]!.readiness).toEqual({ kind: "health", endpoint: "localhost:7234", service: "", acceptReachable: true, timeoutMs: 20_000 });
    expect(stack[2]!.launch).toBe(runner);
    expect(stack[2]!.readiness).toEqual({ kind: "line", pattern: "Worker ready", timeoutMs: 90_000 });
    expect(longestStart(stack)).toBe(130_000);
  });

  test("an external Temporal and no --server: the runner alone; --ready-line none is readiness by uptime", () => {
    const options = resolveStartOptions({ readyLine: "none", minUptime: "200ms" }, {});
    const stack = buildStack(options, layout, { temporal: { kind: "external", address: "localhost:7233", managedBy: "already running" }, server: null, runner, env: {} });
    expect(stack.map((member) => member.name)).toEqual(["agent-runner"]);
    expect(stack[0]!.readiness).toEqual({ kind: "uptime", afterMs: 200 });
    expect(readinessTimeout(stack[0]!)).toBe(5200);
  });

  test("--no-wait-daemon still gives managed services a bounded time to answer", () => {
    const options = resolveStartOptions({ waitDaemon: false }, {});
    const [temporal] = buildStack(options, layout, { temporal: managed, server: null, runner, env: {} });
    expect(readinessTimeout(temporal!)).toBe(30_000);
  });
});
