// `stigmer doctor`: each pre-flight check with a verdict and a fix, exit 0 only when none fails.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { cleanEnv, cleanupAll, FIXTURE_RUNNER, FIXTURES, freePort, runCli, spawnDevDaemon, tempDir, waitFor } from "./helpers.ts";

afterEach(cleanupAll);

interface Check {
  check: string;
  verdict: "pass" | "warn" | "fail";
  detail: string;
  fix: string | null;
}

function doctor(args: string[], env: Record<string, string>) {
  const result = runCli(["doctor", "--json", ...args], env);
  const parsed = JSON.parse(result.stdout) as { ok: boolean; checks: Check[] };
  const by = (name: string) => parsed.checks.filter((check) => check.check === name);
  return { code: result.code, ok: parsed.ok, by, checks: parsed.checks };
}

describe("doctor", () => {
  test("everything in order: exit 0, and the key's source named without its value", async () => {
    const daemon = await spawnDevDaemon();
    try {
      const env = cleanEnv({ STIGMER_HOME: tempDir(), ANTHROPIC_API_KEY: "sk-ant-doctor-secret-1234", TEMPORAL_SERVICE_ADDRESS: daemon.endpoint });
      const result = doctor(["--runner", FIXTURE_RUNNER, "--endpoint", daemon.endpoint], env);
      expect(result.code).toBe(0);
      expect(result.ok).toBe(true);
      expect(result.checks.map((check) => check.check)).toEqual(["runner", "python", "dependencies", "home", "model", "keyring", "key", "temporal", "daemon", "service"]);
      expect(result.by("python")[0]!.detail).toMatch(/^Python 3\.\d+\.\d+ /);
      expect(result.by("key")[0]).toMatchObject({ verdict: "pass", detail: "ANTHROPIC_API_KEY from environment" });
      expect(result.by("keyring")[0]).toMatchObject({ verdict: "pass", detail: "switched off (STIGMER_NO_KEYRING=1)" });
      expect(result.by("daemon")[0]).toMatchObject({ verdict: "pass", detail: `${daemon.endpoint} serving` });
      expect(result.by("temporal")[0]).toMatchObject({ verdict: "pass", detail: `${daemon.endpoint} serving` });
      expect(result.by("model")[0]).toMatchObject({ verdict: "pass", detail: "claude-sonnet-4.5 (default for anthropic)" });
      expect(JSON.stringify(result.checks)).not.toContain("sk-ant-doctor-secret-1234");
    } finally {
      await daemon.stop();
    }
  });

  test("each failure has a fix, and any failure means exit 1", async () => {
    const home = tempDir();
    const oldPython = path.join(home, "python-old");
    writeFileSync(oldPython, "#!/bin/sh\necho 3.10.2\n");
    chmodSync(oldPython, 0o755);
    const env = cleanEnv({ STIGMER_HOME: path.join(home, "state"), STIGMER_PYTHON: oldPython });
    const result = doctor(["--runner", "/nope/runner", "--endpoint", `127.0.0.1:${await freePort()}`], env);
    expect(result.code).toBe(1);
    expect(result.ok).toBe(false);
    expect(result.by("runner")[0]).toMatchObject({ verdict: "fail" });
    expect(result.by("python")[0]!.detail).toContain("is Python 3.10.2");
    expect(result.by("key")[0]).toMatchObject({ verdict: "fail", fix: "export ANTHROPIC_API_KEY=…   or   stigmer secrets set ANTHROPIC_API_KEY" });
    expect(result.by("daemon")[0]!.detail).toContain("unreachable: connection refused");
    for (const check of result.checks.filter((c) => c.verdict === "fail")) expect(check.fix).toBeTruthy();
  });

  test("STIGMER_HOME: a file fails, open permissions warn, a missing one passes", () => {
    const dir = tempDir();
    const file = path.join(dir, "file");
    writeFileSync(file, "");
    const base = { ANTHROPIC_API_KEY: "sk-ant-1234567", STIGMER_BACKEND_ENDPOINT: "127.0.0.1:1" };
    expect(doctor([], cleanEnv({ ...base, STIGMER_HOME: file })).by("home")[0]).toMatchObject({ verdict: "fail" });
    const open = path.join(dir, "open");
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    expect(doctor([], cleanEnv({ ...base, STIGMER_HOME: open })).by("home")[0]).toMatchObject({ verdict: "warn", fix: `chmod 700 ${open}` });
    expect(doctor([], cleanEnv({ ...base, STIGMER_HOME: path.join(dir, "new") })).by("home")[0]!.verdict).toBe("pass");
  });

  test("the human form: one line a check, fixes under failures, a summary; no colour with NO_COLOR", () => {
    const env = cleanEnv({ STIGMER_HOME: tempDir(), STIGMER_BACKEND_ENDPOINT: "127.0.0.1:1" });
    const result = runCli(["doctor", "--runner", FIXTURE_RUNNER], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✔ runner {8}/m);
    expect(result.stdout).toMatch(/^✖ key {11}ANTHROPIC_API_KEY is not set\n {16}→ export ANTHROPIC_API_KEY=/m);
    expect(result.stdout).toContain("checks failed.");
    expect(result.stdout).not.toContain("\u001B[");
  });
});

describe("doctor --check-key", () => {
  const VALID = "sk-ant-provider-valid-1234567890";
  let api: ChildProcess;
  let port = 0;
  let requests = "";
  beforeAll(async () => {
    // Not a tempDir: those are removed after each test, and this one outlives them.
    requests = path.join(mkdtempSync(path.join(tmpdir(), "stigmer-api-")), "requests");
    api = spawn("python3", [path.join(FIXTURES, "provider-api.py")], { env: { ...process.env, PROVIDER_VALID_KEY: VALID, PROVIDER_REQUESTS: requests }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    api.stdout!.on("data", (chunk) => (out += chunk));
    port = Number(await waitFor("the provider stand-in", () => /listening on (\d+)/.exec(out)?.[1]));
  });
  afterAll(() => {
    api.kill("SIGTERM");
    rmSync(path.dirname(requests), { recursive: true, force: true });
  });

  const keyCheck = (env: Record<string, string>, args: string[] = ["--check-key"]) => {
    const result = doctor(["--runner", FIXTURE_RUNNER, "--endpoint", "127.0.0.1:1", ...args], cleanEnv({ STIGMER_HOME: tempDir(), ...env }));
    return { ...result, check: result.by("key check")[0] };
  };

  test("valid, rejected, unreachable; the key never in the report", async () => {
    const base = `http://127.0.0.1:${port}`;
    const valid = keyCheck({ ANTHROPIC_API_KEY: VALID, ANTHROPIC_BASE_URL: base });
    expect(valid.check).toMatchObject({ verdict: "pass", detail: "ANTHROPIC_API_KEY accepted by the provider" });
    const rejected = keyCheck({ ANTHROPIC_API_KEY: "sk-ant-provider-wrong-0987654321", ANTHROPIC_BASE_URL: base });
    expect(rejected.check).toMatchObject({ verdict: "fail", detail: `ANTHROPIC_API_KEY rejected: 127.0.0.1:${port} answered HTTP 401` });
    expect(rejected.check!.fix).toContain("stigmer local restart --reload-keys");
    const openai = keyCheck({ OPENAI_API_KEY: VALID, OPENAI_BASE_URL: `${base}/v1`, STIGMER_LLM_PROVIDER: "openai" });
    expect(openai.check).toMatchObject({ verdict: "pass" });
    const closed = await freePort();
    const unreachable = keyCheck({ ANTHROPIC_API_KEY: VALID, ANTHROPIC_BASE_URL: `http://127.0.0.1:${closed}` });
    expect(unreachable.check).toMatchObject({ verdict: "warn" });
    expect(unreachable.check!.detail).toContain(`127.0.0.1:${closed}`);
    for (const result of [valid, rejected, openai, unreachable]) expect(JSON.stringify(result.checks)).not.toContain("sk-ant-provider");
    const seen = readFileSync(requests, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    expect(seen[0]).toEqual({ path: "/v1/models", headers: expect.arrayContaining(["x-api-key", "anthropic-version"]) });
    expect(seen.at(-1)).toEqual({ path: "/v1/models", headers: expect.arrayContaining(["authorization"]) });
  });

  test("without --check-key no provider is asked anything", () => {
    const before = existsSync(requests) ? readFileSync(requests, "utf8") : "";
    const plain = keyCheck({ ANTHROPIC_API_KEY: VALID, ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` }, []);
    expect(plain.check).toBeUndefined();
    expect(existsSync(requests) ? readFileSync(requests, "utf8") : "").toBe(before);
  });
});
