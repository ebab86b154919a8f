// `stigmer doctor`: each pre-flight check with a verdict and a fix, exit 0 only when none fails.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanEnv, cleanupAll, FIXTURE_RUNNER, freePort, runCli, spawnDevDaemon, tempDir } from "./helpers.ts";

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
      expect(result.checks.map((check) => check.check)).toEqual(["runner", "python", "home", "model", "keyring", "key", "temporal", "daemon"]);
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
    expect(result.stdout).toMatch(/^✔ runner {3}/m);
    expect(result.stdout).toMatch(/^✖ key {7}ANTHROPIC_API_KEY is not set\n {12}→ export ANTHROPIC_API_KEY=/m);
    expect(result.stdout).toContain("checks failed.");
    expect(result.stdout).not.toContain("\u001B[");
  });
});
