// A failing component's known signatures become a cause and a fix: in status, in start's
// failure, in doctor while a supervisor runs; and `restart --reload-keys` hands rotated keys over.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { cleanEnv, cleanupAll, FIXTURE_RUNNER, runCli, spawnDevDaemon, stigmerBin, stopSupervisorAtEnd, tempDir, waitFor, type DaemonProcess } from "../helpers.ts";
import { startKeyringSession, type KeyringSession } from "../secrets/session.ts";

afterEach(cleanupAll);

let daemon: DaemonProcess;
beforeAll(async () => {
  daemon = await spawnDevDaemon();
});
afterAll(() => daemon.stop());

function setup(extra: Record<string, string>) {
  const home = tempDir();
  stopSupervisorAtEnd(home);
  const env = cleanEnv({
    STIGMER_HOME: home,
    ANTHROPIC_API_KEY: "sk-ant-diagnosis-test-1234567890",
    STIGMER_BACKEND_ENDPOINT: daemon.endpoint,
    TEMPORAL_SERVICE_ADDRESS: daemon.endpoint,
    ...extra,
  });
  return { home, env, cli: (...args: string[]) => runCli(args, env) };
}

const SIGNATURES = [
  ["ModuleNotFoundError: No module named 'temporalio'", "a Python package is missing: temporalio", "poetry install"],
  ["RuntimeError: Failed to connect to Temporal at localhost:7233", "cannot reach Temporal", "--temporal auto"],
  ['anthropic.AuthenticationError: Error code: 401 - {"error":{"type":"authentication_error","message":"invalid x-api-key"}}', "rejected the key", "stigmer local restart --reload-keys"],
  ["ValueError: api_key is required for anthropic provider", "got no key for the anthropic provider", "stigmer secrets set ANTHROPIC_API_KEY"],
  ["ValueError: model 'qwen2.5-coder:7b' belongs to provider 'ollama', but STIGMER_LLM_PROVIDER is 'anthropic'", "belongs to the ollama provider", "--model"],
  ["grpc._channel._InactiveRpcError: status = StatusCode.UNAVAILABLE details = failed to connect to all addresses", "cannot reach stigmer-server", "--endpoint"],
  ["ERROR: Package 'agent-runner' requires a different Python: 3.10.12 not in '>=3.11'", "too old", "--python"],
] as const;

describe("diagnosis of a failing runner", () => {
  test.each(SIGNATURES)("%p: start's failure names the cause and the fix", (line, cause, fix) => {
    const s = setup({ FIXTURE_MODE: "exit", FIXTURE_READY: "never", FIXTURE_SAY_ERR: line });
    const result = s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER);
    expect(result.code).toBe(1);
    const causeLine = (stderr: string) => stderr.split("\n").find((text) => text.startsWith("Cause: ")) ?? "";
    expect(causeLine(result.stderr)).toContain(cause);
    expect(result.stderr).toContain(fix);
    const foreground = s.cli("local", "start", "--runner", FIXTURE_RUNNER);
    expect(foreground.code).toBe(1);
    expect(causeLine(foreground.stderr)).toContain(cause);
  });

  test("a runner that fails after it was ready: status --json has runner.diagnosis and each component's, exit 1; doctor says it", async () => {
    const s = setup({ FIXTURE_MODE: "exit", FIXTURE_EXIT_AFTER: "0.2", FIXTURE_SAY_ERR: SIGNATURES[2][0] });
    expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER, "--max-restarts", "0").code).toBe(0);
    const failed = await waitFor("the runner to fail", () => {
      const result = s.cli("local", "status", "--json");
      const report = JSON.parse(result.stdout);
      return report.runner.state === "failed" ? { result, report } : null;
    });
    expect(failed.result.code).toBe(1);
    expect(failed.report.runner.diagnosis).toEqual({
      cause: "the anthropic API rejected the key",
      fix: "stigmer secrets set ANTHROPIC_API_KEY, then stigmer local restart --reload-keys",
    });
    expect(failed.report.components.at(-1).diagnosis).toEqual(failed.report.runner.diagnosis);
    expect(s.cli("local", "status").stdout).toContain("agent-runner: the anthropic API rejected the key");
    const doctor = JSON.parse(s.cli("doctor", "--json", "--runner", FIXTURE_RUNNER).stdout);
    expect(doctor.checks.find((check: { check: string }) => check.check === "stack")).toMatchObject({
      verdict: "fail",
      detail: "agent-runner failed: the anthropic API rejected the key",
    });
    expect(JSON.stringify(failed.report)).not.toContain("sk-ant-diagnosis");
  });
});

describe("restart --reload-keys", () => {
  const OLD = "sk-ant-reload-old-Qw3Er5Ty7Ui9Op1";
  const NEW = "sk-ant-reload-new-Zx2Cv4Bn6Mm8Lk0";
  const sha256 = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
  let session: KeyringSession;
  beforeAll(async () => {
    session = await startKeyringSession();
  });
  afterAll(() => session.stop());

  const setKey = (value: string) => Bun.spawnSync([stigmerBin(), "secrets", "set", "ANTHROPIC_API_KEY", "--stdin"], { env: session.env, stdin: Buffer.from(`${value}\n`) }).exitCode;

  test("a key rotated in the keyring reaches the runner; old and new stay redacted", async () => {
    expect(setKey(OLD)).toBe(0);
    const envOut = path.join(tempDir("stigmer-reload-"), "env.json");
    // The runner writes its environment (keys hashed) and prints OLD_VALUE in every encoding at each start.
    const env = { ...session.env, STIGMER_BACKEND_ENDPOINT: daemon.endpoint, TEMPORAL_SERVICE_ADDRESS: daemon.endpoint, FIXTURE_MODE: "env", FIXTURE_ENV_OUT: envOut, OLD_VALUE: OLD, FIXTURE_SAY_ENCODED: "OLD_VALUE,STIGMER_LLM_API_KEY" };
    const started = runCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER], env);
    // Stopped before the session's directories go (they are removed after each test, before afterAll).
    stopSupervisorAtEnd(session.stigmerHome);
    expect(started.code).toBe(0);
    expect(started.stderr).toContain("ANTHROPIC_API_KEY from keyring");
    await waitFor("the first environment", () => existsSync(envOut) && statSync(envOut).size > 0);
    expect(JSON.parse(readFileSync(envOut, "utf8")).STIGMER_LLM_API_KEY).toBe(sha256(OLD));

    expect(setKey(NEW)).toBe(0);
    const reloaded = runCli(["local", "restart", "--reload-keys"], env);
    expect(reloaded.code).toBe(0);
    expect(reloaded.stderr).toContain("ANTHROPIC_API_KEY from keyring");
    await waitFor("the new key in the runner", () => JSON.parse(readFileSync(envOut, "utf8")).STIGMER_LLM_API_KEY === sha256(NEW), 20_000);
    const status = JSON.parse(runCli(["local", "status", "--json"], env).stdout);
    expect(status.keys).toEqual([{ name: "ANTHROPIC_API_KEY", source: "keyring" }]);
    const log = readFileSync(path.join(session.stigmerHome, "logs", "agent-runner.log"), "utf8");
    expect(log).toContain("OLD_VALUE plain [REDACTED]");
    expect(log).toContain("STIGMER_LLM_API_KEY plain [REDACTED]");
    for (const key of [OLD, NEW]) expect(log).not.toContain(key);
    expect(log.match(/OLD_VALUE plain/g)!.length).toBeGreaterThanOrEqual(2);
  });
});
