// The stand-ins the demo and the tests use in place of programs that cannot be installed
// here, run as real processes: the Temporal CLI's dev server (examples/temporal-cli.ts,
// through the `temporal` script installTemporalCli writes, found on PATH) and the Agent
// Runner (examples/agent-runner/main.py).
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { installTemporalCli } from "../examples/temporal-cli.ts";
import { checkDaemon } from "../src/daemon/health.ts";
import { TEMPORAL_HEALTH_SERVICE } from "../src/daemon/check.ts";
import {
  HEALTH_CHECK_PATH,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  servingStatusName,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from "../src/daemon/health-protocol.ts";
import { ROOT, cleanupAll, freePort, tempDir, waitFor } from "./helpers.ts";

// Room for slow machines; passing runs take a second or two each.
setDefaultTimeout(60_000);

const MAIN_PY = path.join(ROOT, "examples", "agent-runner", "main.py");
const PYTHON = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).stdout.trim();

const children: ChildProcess[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await gone;
    }
  }
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  cleanupAll();
});

interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a process (killed after the test if still running), collecting stdout and stderr apart. */
function run(command: string, args: string[], env: Record<string, string>, cwd?: string): Running {
  const child = spawn(command, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** A directory holding the `temporal` stand-in, and an environment with it first on PATH. */
function temporalOnPath(extra: Record<string, string> = {}): { dir: string; env: Record<string, string> } {
  const dir = tempDir("stigmer-standin-");
  const script = installTemporalCli(dir);
  expect(script).toBe(path.join(dir, "temporal"));
  return { dir, env: { PATH: `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: process.env.HOME ?? dir, ...extra } };
}

interface DevServer extends Running {
  port: number;
  endpoint: string;
}

/** `temporal server start-dev` on free ports; resolves once the banner is out (the ports are bound by then). */
async function startDevServer(
  env: Record<string, string>,
  options: { port?: number; uiPort?: number; db?: string; headless?: boolean; extra?: string[] } = {},
): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  const args = ["server", "start-dev", "--ip", "127.0.0.1", "--port", String(port)];
  if (options.headless) args.push("--headless");
  else args.push("--ui-port", String(options.uiPort ?? (await freePort())));
  if (options.db) args.push("--db-filename", options.db);
  args.push(...(options.extra ?? []));
  const server = run("temporal", args, env);
  await waitFor("the dev server's banner", () => server.stdout().includes("Metrics:") || server.child.exitCode !== null);
  if (!server.stdout().includes("Metrics:")) throw new Error(`temporal exited: ${server.stderr()}`);
  return { ...server, port, endpoint: `127.0.0.1:${port}` };
}

/** One grpc.health.v1 Check for `service`: the status's name, or the gRPC error code's. */
async function healthOf(endpoint: string, service: string): Promise<string> {
  const client = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  try {
    return await new Promise<string>((resolve) =>
      client.makeUnaryRequest<HealthCheckRequest, HealthCheckResponse>(
        HEALTH_CHECK_PATH,
        encodeHealthCheckRequest,
        decodeHealthCheckResponse,
        { service },
        new grpc.Metadata(),
        { deadline: Date.now() + 5_000 },
        (error, response) => resolve(error ? grpc.status[error.code] : servingStatusName(response!.status)),
      ),
    );
  } finally {
    client.close();
  }
}

async function listenOnFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

describe("examples/temporal-cli.ts as `temporal` on PATH", () => {
  test("--version; an unknown command is exit 1 with a usage message on stderr", () => {
    const { env } = temporalOnPath();
    const version = spawnSync("temporal", ["--version"], { env, encoding: "utf8" });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe("temporal version 1.3.0-standin");

    const unknown = spawnSync("temporal", ["workflow", "list"], { env, encoding: "utf8" });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain(`unknown command "workflow"`);
    expect(unknown.stderr).toContain("Usage:");
    const unknownSub = spawnSync("temporal", ["server", "start"], { env, encoding: "utf8" });
    expect(unknownSub.status).toBe(1);
    expect(unknownSub.stderr).toContain("Usage:");
  });

  test("serves SERVING for the workflow service and the UI, prints the banner, exits 0 on SIGTERM; the database keeps each start", async () => {
    const starts = path.join(tempDir(), "starts");
    const { dir, env } = temporalOnPath({ STANDIN_TEMPORAL_STARTS: starts });
    mkdirSync(path.join(dir, "data"));
    const db = path.join(dir, "data", "temporal.db");
    const uiPort = await freePort();
    const first = await startDevServer(env, { db, extra: ["--namespace", "stigmer", "--log-format", "json", "--log-level", "warn"] });
    const banner = first.stdout().split("\n");
    expect(banner[0]).toBe("CLI 1.3.0-standin (Server 1.27.0, UI 2.36.0)");
    expect(banner[1]).toBe("");
    expect(banner[2]).toBe(`Server:  ${first.endpoint}`);
    expect(banner[3]).toMatch(/^UI:      http:\/\/127\.0\.0\.1:\d+$/);
    expect(banner[4]).toBe(`Metrics: http://127.0.0.1:${first.port + 1}/metrics`);

    expect(await healthOf(first.endpoint, TEMPORAL_HEALTH_SERVICE)).toBe("SERVING");
    expect(await healthOf(first.endpoint, "")).toBe("SERVING");
    expect(await healthOf(first.endpoint, "some.other.Service")).toBe("NOT_FOUND");
    expect((await checkDaemon(first.endpoint)).status).toBe("serving");
    const ui = await fetch(banner[3]!.slice("UI:      ".length) + "/");
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain("Temporal UI (stand-in)");

    expect(statSync(db).mode & 0o777).toBe(0o600);
    expect(readFileSync(db, "utf8")).toMatch(new RegExp(`^start \\d{4}-\\d\\d-\\d\\dT\\S+Z pid ${first.child.pid}\\n$`));

    first.child.kill("SIGTERM");
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect((await checkDaemon(first.endpoint)).status).toBe("unreachable");

    // The same database, ports and all, on a restart: a second line, nothing lost.
    const second = await startDevServer(env, { port: first.port, uiPort, db });
    expect(second.stdout()).toContain(`UI:      http://127.0.0.1:${uiPort}`);
    expect(await healthOf(second.endpoint, TEMPORAL_HEALTH_SERVICE)).toBe("SERVING");
    const lines = readFileSync(db, "utf8").trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEndWith(`pid ${second.child.pid}`);

    second.child.kill("SIGINT");
    expect(await second.exited).toEqual({ code: 0, signal: null });
    const events = readFileSync(starts, "utf8").trim().split("\n").map((line) => line.split(" "));
    expect(events.map(([, event]) => event)).toEqual(["start", "stop", "start", "stop"]);
    const times = events.map(([time]) => Number(time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  test("a port already taken is exit 1 with `failed to bind`", async () => {
    const { env } = temporalOnPath();
    const port = await listenOnFreePort();
    const server = run("temporal", ["server", "start-dev", "--ip", "127.0.0.1", "--port", String(port), "--headless"], env);
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.stderr().trim()).toBe(`failed to bind 127.0.0.1:${port}: address already in use`);
    expect(server.stdout()).not.toContain("Server:");
  });

  test("a --db-filename whose directory is missing is exit 1; the directory is not created", async () => {
    const { dir, env } = temporalOnPath();
    const db = path.join(dir, "missing", "temporal.db");
    const server = run("temporal", ["server", "start-dev", "--port", String(await freePort()), "--headless", "--db-filename", db], env);
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.stderr()).toContain(`directory ${path.join(dir, "missing")} does not exist`);
    expect(existsSync(path.join(dir, "missing"))).toBe(false);
  });

  test("STANDIN_TEMPORAL_NEVER_SERVE=1: the port answers, NOT_SERVING, and keeps to it", async () => {
    const { env } = temporalOnPath({ STANDIN_TEMPORAL_NEVER_SERVE: "1" });
    const server = await startDevServer(env, { headless: true });
    expect(await healthOf(server.endpoint, TEMPORAL_HEALTH_SERVICE)).toBe("NOT_SERVING");
    await Bun.sleep(300);
    expect(await healthOf(server.endpoint, TEMPORAL_HEALTH_SERVICE)).toBe("NOT_SERVING");
    expect((await checkDaemon(server.endpoint)).status).toBe("not-serving");
    server.child.kill("SIGTERM");
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  test("STANDIN_TEMPORAL_DELAY_MS: nothing listens until the delay has passed", async () => {
    const { env } = temporalOnPath({ STANDIN_TEMPORAL_DELAY_MS: "1500" });
    const port = await freePort();
    const startedAt = performance.now();
    const server = run("temporal", ["server", "start-dev", "--port", String(port), "--headless"], env);
    await Bun.sleep(300);
    expect((await checkDaemon(`127.0.0.1:${port}`, { deadlineMs: 500 })).status).toBe("unreachable");
    await waitFor("the banner", () => server.stdout().includes("Metrics:"));
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(1500);
    expect(await healthOf(`127.0.0.1:${port}`, TEMPORAL_HEALTH_SERVICE)).toBe("SERVING");
  });
});

describe("examples/agent-runner/main.py", () => {
  /** The environment stigmer gives the runner in local mode, and nothing inherited beyond PATH and HOME. */
  function runnerEnv(temporalAddress: string, extra: Record<string, string> = {}): Record<string, string> {
    const workspace = tempDir("stigmer-workspace-");
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? workspace,
      PYTHONUNBUFFERED: "1",
      MODE: "local",
      SANDBOX_TYPE: "filesystem",
      SANDBOX_ROOT_DIR: workspace,
      STIGMER_BACKEND_ENDPOINT: "127.0.0.1:50051",
      TEMPORAL_SERVICE_ADDRESS: temporalAddress,
      DEMO_HEARTBEAT_SECONDS: "0.2",
      ...extra,
    };
  }

  function runnerOnce(env: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
    const result = spawnSync(PYTHON, [MAIN_PY], { env, encoding: "utf8", timeout: 30_000 });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  test("nothing listening at TEMPORAL_SERVICE_ADDRESS: exit 1, `Failed to connect to Temporal`", async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const result = runnerOnce(runnerEnv(address, { STIGMER_LLM_PROVIDER: "ollama" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Failed to connect to Temporal at ${address}: `);
    expect(result.stdout).not.toContain("Worker ready");
  });

  test("STIGMER_LLM_PROVIDER=anthropic without STIGMER_LLM_MODEL: the local default qwen2.5-coder:7b is Ollama's, exit 1", async () => {
    const result = runnerOnce(
      runnerEnv(`127.0.0.1:${await freePort()}`, { STIGMER_LLM_PROVIDER: "anthropic", ANTHROPIC_API_KEY: "sk-ant-test-not-real" }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      "ValueError: model 'qwen2.5-coder:7b' belongs to provider 'ollama', but STIGMER_LLM_PROVIDER is 'anthropic'",
    );
    expect(result.stdout).not.toContain("Worker ready");
  });

  test("the provider comes from the model name; a key is needed for anthropic and openai", async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const cases: [Record<string, string>, string][] = [
      [{ STIGMER_LLM_PROVIDER: "anthropic", STIGMER_LLM_MODEL: "claude-sonnet-4.5" }, "ValueError: api_key is required for anthropic provider"],
      [{ STIGMER_LLM_PROVIDER: "openai", STIGMER_LLM_MODEL: "gpt-4o", ANTHROPIC_API_KEY: "k" }, "ValueError: api_key is required for openai provider"],
      [
        { STIGMER_LLM_PROVIDER: "anthropic", STIGMER_LLM_MODEL: "ollama:llama3", STIGMER_LLM_API_KEY: "k" },
        "ValueError: model 'ollama:llama3' belongs to provider 'ollama', but STIGMER_LLM_PROVIDER is 'anthropic'",
      ],
      [
        { STIGMER_LLM_PROVIDER: "ollama", STIGMER_LLM_MODEL: "o3-mini" },
        "ValueError: model 'o3-mini' belongs to provider 'openai', but STIGMER_LLM_PROVIDER is 'ollama'",
      ],
      [
        { STIGMER_LLM_PROVIDER: "openai", STIGMER_LLM_MODEL: "llama3", OPENAI_API_KEY: "k" },
        "ValueError: model 'llama3' belongs to provider 'ollama', but STIGMER_LLM_PROVIDER is 'openai'",
      ],
    ];
    for (const [extra, message] of cases) {
      const result = runnerOnce(runnerEnv(address, extra));
      expect({ extra, code: result.code, stderr: result.stderr.trim() }).toEqual({ extra, code: 1, stderr: message });
    }
    // Settings that pass go on to Temporal, which is not there.
    const passing: Record<string, string>[] = [
      { STIGMER_LLM_PROVIDER: "openai", STIGMER_LLM_MODEL: "openai:gpt-4o", OPENAI_API_KEY: "k" },
      { STIGMER_LLM_PROVIDER: "anthropic", STIGMER_LLM_MODEL: "anthropic:claude-opus-4", STIGMER_LLM_API_KEY: "k" },
      { STIGMER_LLM_PROVIDER: "ollama", STIGMER_LLM_MODEL: "llama3" },
    ];
    for (const extra of passing) {
      const result = runnerOnce(runnerEnv(address, extra));
      expect({ extra, code: result.code, stderr: result.stderr }).toMatchObject({ extra, code: 1 });
      expect(result.stderr).toContain("Failed to connect to Temporal");
    }
  });

  test("anthropic + claude-sonnet-4.5 + a key + a listening Temporal: `Worker ready, polling for tasks...`, never the key; SIGTERM exits 0", async () => {
    const { env: temporalEnv } = temporalOnPath();
    const temporal = await startDevServer(temporalEnv, { headless: true });
    const key = "sk-ant-test-0123456789-not-real";
    const env = runnerEnv(temporal.endpoint, {
      STIGMER_LLM_PROVIDER: "anthropic",
      STIGMER_LLM_MODEL: "claude-sonnet-4.5",
      STIGMER_LLM_API_KEY: key,
      ANTHROPIC_API_KEY: key,
    });
    const runner = run(PYTHON, [MAIN_PY], env, env.SANDBOX_ROOT_DIR);
    await waitFor("the ready line", () => runner.stdout().split("\n").includes("Worker ready, polling for tasks...") || runner.child.exitCode !== null);
    expect(runner.stdout()).toContain("provider=anthropic model=claude-sonnet-4.5");
    expect(runner.stdout()).toContain(`temporal=${temporal.endpoint} namespace=default`);
    expect(runner.stdout()).toContain("daemon=127.0.0.1:50051");
    await waitFor("a heartbeat", () => runner.stdout().includes("heartbeat 1"));
    runner.child.kill("SIGTERM");
    expect(await runner.exited).toEqual({ code: 0, signal: null });
    expect(runner.stdout()).toContain("agent-runner: bye");
    expect(runner.stdout() + runner.stderr()).not.toContain(key);
  });

  test("provider ollama with no model and no key: the local default model, ready", async () => {
    const { env: temporalEnv } = temporalOnPath();
    const temporal = await startDevServer(temporalEnv, { headless: true });
    const env = runnerEnv(temporal.endpoint.replace("127.0.0.1", "localhost"), { STIGMER_LLM_PROVIDER: "ollama" });
    const runner = run(PYTHON, [MAIN_PY], env, env.SANDBOX_ROOT_DIR);
    await waitFor("the ready line", () => runner.stdout().includes("Worker ready, polling for tasks...") || runner.child.exitCode !== null);
    expect(runner.stdout()).toContain("provider=ollama model=qwen2.5-coder:7b api key=not needed");
    runner.child.kill("SIGINT");
    expect(await runner.exited).toEqual({ code: 0, signal: null });
    expect(runner.stderr()).toBe("");
  });
});
