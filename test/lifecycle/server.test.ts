// --server: stigmer-server as a second component, started first and stopped last.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanEnv, cleanupAll, stopSupervisorAtEnd, FIXTURE_RUNNER, FIXTURES, freePort, killGroupAtEnd, processAlive, runCli, startCli, tempDir, waitFor } from "../helpers.ts";

afterEach(cleanupAll);

const SERVER = path.join(FIXTURES, "daemon-server.sh");

async function setup() {
  const home = tempDir();
  stopSupervisorAtEnd(home);
  const work = tempDir("stigmer-work-");
  const port = await freePort();
  const env = cleanEnv({
    STIGMER_HOME: home,
    ANTHROPIC_API_KEY: "sk-ant-server-test-123456",
    STIGMER_BACKEND_ENDPOINT: `127.0.0.1:${port}`,
    DAEMON_SERVER_BUN: process.execPath,
    DAEMON_SERVER_PORT: String(port),
    DAEMON_SERVER_STARTS: path.join(work, "server-starts"),
    FIXTURE_STARTS: path.join(work, "runner-starts"),
  });
  const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : []);
  const supervisorLog = () => readFileSync(path.join(home, "logs", "supervisor.log"), "utf8");
  return { home, env, port, serverStarts: () => lines(env.DAEMON_SERVER_STARTS!), runnerStarts: () => lines(env.FIXTURE_STARTS!), supervisorLog };
}

describe("--server", () => {
  test("the server starts first, the runner once the endpoint answers; stop goes in reverse", async () => {
    const s = await setup();
    const cli = startCli(["local", "start", "--runner", FIXTURE_RUNNER, "--server", SERVER], s.env);
    await waitFor("the runner", () => cli.output().includes("fixture: ready"));
    const log = s.supervisorLog();
    const order = ["server started", "server ready: 127.0.0.1", "runner started"].map((text) => log.indexOf(text));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(readFileSync(path.join(s.home, "logs", "stigmer-server.log"), "utf8")).toContain(`listening on 127.0.0.1:${s.port}`);
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    const after = s.supervisorLog();
    expect(after.indexOf("stopping runner")).toBeGreaterThan(0);
    expect(after.indexOf("stopping server")).toBeGreaterThan(after.indexOf("runner stopped"));
  });

  test("in the background: status lists both; a crashed server is restarted, the runner left alone", async () => {
    const s = await setup();
    const started = runCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER, "--server", SERVER, "--restart-delay", "100ms"], s.env);
    expect(started.code).toBe(0);
    const status = () => JSON.parse(runCli(["local", "status", "--json"], s.env).stdout);
    const before = status();
    expect(before.server).toMatchObject({ state: "running", restarts: 0 });
    expect(before.runner).toMatchObject({ state: "running" });
    expect(before.logs.server).toBe(path.join(s.home, "logs", "stigmer-server.log"));
    killGroupAtEnd(before.server.pid);
    killGroupAtEnd(before.runner.pid);
    process.kill(before.server.pid, "SIGKILL");
    const after = await waitFor("the server's restart", () => {
      const now = status();
      return now.server.state === "running" && now.server.pid !== before.server.pid ? now : null;
    });
    killGroupAtEnd(after.server.pid);
    expect(after.server.restarts).toBe(1);
    expect(after.runner.pid).toBe(before.runner.pid);
    expect(s.serverStarts()).toHaveLength(2);
    await waitFor("the daemon back", () => status().daemon?.status === "serving", 30_000, 200);
    expect(runCli(["local", "stop"], s.env).code).toBe(0);
    expect(processAlive(after.server.pid)).toBe(false);
    expect(processAlive(after.runner.pid)).toBe(false);
  });

  test("a server whose endpoint never answers: exit 1, the runner never started, nothing left running", async () => {
    const s = await setup();
    const silent = path.join(tempDir(), "silent-server.sh");
    writeFileSync(silent, "#!/bin/sh\nexec sleep 60\n", { mode: 0o755 });
    const result = runCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER, "--server", silent, "--daemon-timeout", "1s"], s.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`did not answer within 1s`);
    expect(s.runnerStarts()).toHaveLength(0);
    expect(runCli(["local", "status"], s.env).code).toBe(3);
  });

  test("a --server that does not exist is refused before anything starts", () => {
    const result = runCli(["local", "start", "--runner", FIXTURE_RUNNER, "--server", "/nope/stigmer-server"], cleanEnv({ STIGMER_HOME: tempDir(), ANTHROPIC_API_KEY: "sk-ant-1234567" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("The server /nope/stigmer-server does not exist");
  });
});
