// The source runs unchanged under Deno (Deno from the npm package `deno`).
import { afterEach, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { cleanEnv, cleanupAll, FIXTURE_RUNNER, freePort, processAlive, ROOT, tempDir, waitFor } from "./helpers.ts";

afterEach(cleanupAll);

const DENO = path.join(ROOT, "node_modules", ".bin", "deno");
const MAIN = path.join(ROOT, "src", "main.ts");

function deno(args: string[], env: Record<string, string>) {
  const result = spawnSync(DENO, ["run", "-A", MAIN, ...args], { env, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("under Deno", () => {
  test("--version", () => {
    const result = deno(["--version"], cleanEnv());
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^stigmer \d+\.\d+\.\d+\n$/);
  });

  test("local status --json with nothing running: exit 3, supervisor null, a closed port found closed (node:net, node:dns)", async () => {
    const endpoint = `localhost:${await freePort()}`;
    const result = deno(["local", "status", "--json", "--endpoint", endpoint], cleanEnv({ STIGMER_HOME: tempDir() }));
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(report.supervisor).toBeNull();
    expect(report.daemon).toMatchObject({ endpoint, status: "unreachable", detail: "connection refused" });
  });

  test("a foreground start of a fixture runner, stopped by SIGTERM", async () => {
    const env = cleanEnv({ STIGMER_HOME: tempDir(), ANTHROPIC_API_KEY: "sk-deno-test-key-123" });
    const child = spawn(DENO, ["run", "-A", MAIN, "local", "start", "--runner", FIXTURE_RUNNER, "--no-wait-daemon"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const runnerPid = await waitFor("the runner", () => Number(/runner started \(pid (\d+)\)/.exec(output)?.[1] ?? 0), 60_000);
    await waitFor("the runner to be ready", () => output.includes("fixture: ready"));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(processAlive(runnerPid)).toBe(false);
    expect(output).toContain("SIGTERM received: stopping");
  });

  test("start --detach re-executes itself under Deno, and stop ends it", async () => {
    const env = cleanEnv({ STIGMER_HOME: tempDir(), ANTHROPIC_API_KEY: "sk-deno-test-key-123" });
    const started = deno(["local", "start", "--detach", "--runner", FIXTURE_RUNNER, "--no-wait-daemon"], env);
    expect(started.code).toBe(0);
    const status = deno(["local", "status", "--json"], env);
    const report = JSON.parse(status.stdout);
    expect(report.runner.state).toBe("running");
    expect(deno(["local", "stop"], env).code).toBe(0);
    expect(processAlive(report.supervisor.pid)).toBe(false);
    expect(processAlive(report.runner.pid)).toBe(false);
  });
});
