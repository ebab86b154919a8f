// The runner waits for the daemon; status follows the daemon; the daemon's moods never restart the runner.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { cleanEnv, cleanupAll, stopSupervisorAtEnd, FIXTURE_RUNNER, freePort, runCli, spawnDevDaemon, startCli, tempDir, waitFor, type DaemonProcess } from "../helpers.ts";

const daemons: DaemonProcess[] = [];
afterEach(async () => {
  for (const daemon of daemons.splice(0)) await daemon.stop();
  cleanupAll();
});

// Temporal answers throughout: these tests are about the daemon.
let temporal: DaemonProcess;
beforeAll(async () => {
  temporal = await spawnDevDaemon();
});
afterAll(() => temporal.stop());

function setup() {
  const home = tempDir();
  stopSupervisorAtEnd(home);
  const starts = path.join(tempDir("stigmer-work-"), "starts");
  const env = cleanEnv({ STIGMER_HOME: home, ANTHROPIC_API_KEY: "sk-ant-gate-test-123456", FIXTURE_STARTS: starts, TEMPORAL_SERVICE_ADDRESS: temporal.endpoint });
  const runs = () => (existsSync(starts) ? readFileSync(starts, "utf8").trim().split("\n").filter(Boolean).length : 0);
  return { home, env, runs };
}

async function daemonOn(port = 0, options: { serving?: boolean; health?: boolean } = {}): Promise<DaemonProcess> {
  const daemon = await spawnDevDaemon({ port, ...options });
  daemons.push(daemon);
  return daemon;
}

describe("the start gate", () => {
  test("no daemon within --daemon-timeout: exit 1 naming the endpoint, the reason and the fixes; no runner", async () => {
    const s = setup();
    const port = await freePort();
    const result = runCli(["local", "start", "--runner", FIXTURE_RUNNER, "--endpoint", `127.0.0.1:${port}`, "--daemon-timeout", "1s"], s.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`The Stigmer daemon at 127.0.0.1:${port} did not answer within 1s: connection refused`);
    expect(result.stderr).toContain("--no-wait-daemon");
    expect(result.stderr).toContain("localhost:7234");
    expect(result.stderr).toContain("waiting for the daemon");
    expect(s.runs()).toBe(0);
  });

  test("the runner starts once the daemon comes up during the wait", async () => {
    const s = setup();
    const port = await freePort();
    const cli = startCli(["local", "start", "--runner", FIXTURE_RUNNER, "--endpoint", `127.0.0.1:${port}`, "--daemon-timeout", "30s"], s.env);
    await waitFor("the wait to begin", () => cli.output().includes("waiting for the daemon"));
    await Bun.sleep(500);
    expect(s.runs()).toBe(0);
    await daemonOn(port);
    await waitFor("the runner", () => s.runs() === 1);
    expect(cli.output()).toContain(`daemon    127.0.0.1:${port} serving`);
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
  });

  test("a gRPC server without the health service opens the gate (stigmer-server today)", async () => {
    const s = setup();
    const daemon = await daemonOn(0, { health: false });
    const result = runCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER, "--endpoint", daemon.endpoint], s.env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("answers (no health service)");
    const report = JSON.parse(runCli(["local", "status", "--json"], s.env).stdout);
    await waitFor("the first check", () => JSON.parse(runCli(["local", "status", "--json"], s.env).stdout).daemon?.status === "reachable");
    expect(report.runner.state).toBe("running");
  });

  test("--no-wait-daemon starts the runner with no daemon at all", async () => {
    const s = setup();
    const port = await freePort();
    const result = runCli(["local", "start", "-d", "--no-wait-daemon", "--runner", FIXTURE_RUNNER, "--endpoint", `127.0.0.1:${port}`], s.env);
    expect(result.code).toBe(0);
    await waitFor("the runner", () => s.runs() === 1);
  });
});

describe("status and the daemon", () => {
  test("with nothing running, status still checks the daemon and exits 3", async () => {
    const s = setup();
    const daemon = await daemonOn(0, { serving: false });
    const result = runCli(["local", "status", "--json", "--endpoint", daemon.endpoint], s.env);
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(report.supervisor).toBeNull();
    expect(report.daemon).toMatchObject({ endpoint: daemon.endpoint, status: "not-serving" });
    const closed = JSON.parse(runCli(["local", "status", "--json", "--endpoint", `127.0.0.1:${await freePort()}`], s.env).stdout);
    expect(closed.daemon).toMatchObject({ status: "unreachable", detail: "connection refused" });
  });

  test("the daemon going away and coming back: status follows it, the runner is never restarted for it", async () => {
    const s = setup();
    let daemon = await daemonOn();
    const port = daemon.port;
    expect(runCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER, "--endpoint", daemon.endpoint], s.env).code).toBe(0);
    const status = () => JSON.parse(runCli(["local", "status", "--json"], s.env).stdout);
    await waitFor("serving", () => status().daemon?.status === "serving");
    const runner = status().runner.pid;
    await daemon.stop();
    await waitFor("unreachable", () => status().daemon?.status === "unreachable", 30_000, 200);
    daemon = await daemonOn(port);
    await waitFor("serving again", () => status().daemon?.status === "serving", 30_000, 200);
    const after = status();
    expect(after.runner.pid).toBe(runner);
    expect(after.runner.restarts).toBe(0);
    const log = readFileSync(path.join(s.home, "logs", "supervisor.log"), "utf8");
    expect(log.match(/is unreachable/g)).toHaveLength(1);
    expect(log.match(/is serving/g)).toHaveLength(2);
  });
});
