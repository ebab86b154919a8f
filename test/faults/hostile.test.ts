// Hostile input (issue 8): each refused with exit 1 or 2, one clear message under 25 lines,
// no stack trace, and nothing written.
import { afterEach, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanEnv, cleanupAll, FIXTURE_RUNNER, runCli, stigmerBin, tempDir } from "../helpers.ts";

afterEach(cleanupAll);

function expectCleanRefusal(result: { code: number | null; stderr: string }, codes: (number | null)[], message: string): void {
  expect(codes).toContain(result.code);
  expect(result.stderr).toContain(message);
  expect(result.stderr.trim().split("\n").length).toBeLessThan(25);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toContain("Unexpected error");
}

const START = ["local", "start", "--runner", FIXTURE_RUNNER];

describe("malformed values in every flag", () => {
  test.each([
    [[...START, "--restart-delay", "1 s"], "--restart-delay takes a duration"],
    [[...START, "--max-restart-delay=-5s"], "--max-restart-delay must not be negative"],
    [[...START, "--max-restart-delay", "-5s"], "--max-restart-delay must not be negative"],
    [[...START, "--max-restarts", "-1"], "--max-restarts must not be negative"],
    [[...START, "--min-uptime", "3"], "--min-uptime takes a duration"],
    [[...START, "--stop-timeout", "10 seconds"], "--stop-timeout takes a duration"],
    [[...START, "--daemon-timeout", "∞"], "--daemon-timeout takes a duration"],
    [[...START, "--max-restarts", "ten"], "--max-restarts takes a whole number"],
    [[...START, "--max-restarts", "1e3"], "--max-restarts takes a whole number"],
    [[...START, "--log-max-size", "huge"], "--log-max-size takes a size"],
    [[...START, "--log-files=-2"], "--log-files must not be negative"],
    [[...START, "--restart", "maybe"], "--restart must be one of"],
    [[...START, "--provider", "gemini"], "--provider must be one of"],
    [[...START, "--endpoint", "localhost"], "--endpoint must be HOST:PORT"],
    [[...START, "--endpoint", "localhost:70000"], "port out of range"],
    [[...START, "--endpoint", "grpc://localhost:50051"], "not a URL"],
    [["local", "stop", "--timeout", "soon"], "--timeout takes a duration"],
    [["local", "logs", "-n", "many"], "--lines takes a whole number"],
    [["local", "frobnicate"], 'Unknown command "frobnicate"'],
    [["local", "status", "--jsn"], "Unknown option --jsn"],
    [["secrets", "get", "lower_case"], "is not a key name"],
    [["secrets", "set", "1KEY", "--stdin"], "is not a key name"],
  ])("%p", (args, message) => {
    const home = path.join(tempDir(), "home");
    const result = runCli(args, cleanEnv({ STIGMER_HOME: home, ANTHROPIC_API_KEY: "sk-ant-1234567" }));
    expectCleanRefusal(result, [2], message);
    expect(existsSync(home)).toBe(false);
  });
});

describe("a hostile environment", () => {
  test("a key with a newline or a control character in the environment", () => {
    for (const key of ["sk-ant-one\nsk-ant-two", "sk-ant-\u0007bell"]) {
      const home = path.join(tempDir(), "home");
      const result = runCli(START, cleanEnv({ STIGMER_HOME: home, ANTHROPIC_API_KEY: key }));
      expectCleanRefusal(result, [1], "ANTHROPIC_API_KEY in the environment cannot be used");
      expect(result.stderr).not.toContain(key);
    }
  });

  test("STIGMER_HOME that is a file, or a symbolic link to a directory of another user", () => {
    const dir = tempDir();
    const file = path.join(dir, "file");
    writeFileSync(file, "");
    expectCleanRefusal(runCli(START, cleanEnv({ STIGMER_HOME: file, ANTHROPIC_API_KEY: "sk-ant-1234567" })), [1], "is not a directory");
    if (process.getuid?.() !== 0) return;
    const foreign = path.join(dir, "foreign");
    mkdirSync(foreign, { mode: 0o755 });
    chownSync(foreign, 65534, 65534);
    const link = path.join(dir, "link");
    symlinkSync(foreign, link);
    const result = runCli(START, cleanEnv({ STIGMER_HOME: link, ANTHROPIC_API_KEY: "sk-ant-1234567" }));
    expectCleanRefusal(result, [1], "belongs to another user (uid 65534)");
    expect(readdirSync(foreign)).toEqual([]);
  });

  test("a --runner that is neither a .py file nor executable", () => {
    const dir = tempDir();
    const runner = path.join(dir, "runner.sh");
    writeFileSync(runner, "#!/bin/sh\n", { mode: 0o644 });
    const result = runCli(["local", "start", "--runner", runner], cleanEnv({ STIGMER_HOME: path.join(dir, "home"), ANTHROPIC_API_KEY: "sk-ant-1234567" }));
    expectCleanRefusal(result, [1], "is neither a .py file nor executable");
    expect(result.stderr).toContain(`chmod +x ${runner}`);
    expect(existsSync(path.join(dir, "home"))).toBe(false);
  });

  // Root writes anywhere: the unwritable case needs another user, which root can become with setpriv.
  test.skipIf(process.getuid?.() !== 0)("a STIGMER_HOME that cannot be created", () => {
    const parent = tempDir();
    chmodSync(parent, 0o755);
    const home = path.join(parent, "home");
    const result = spawnSync(
      "setpriv",
      ["--reuid=65534", "--regid=65534", "--clear-groups", stigmerBin(), ...START, "--python", "/usr/bin/python3"],
      { env: cleanEnv({ STIGMER_HOME: home, ANTHROPIC_API_KEY: "sk-ant-1234567", HOME: parent }), encoding: "utf8" },
    );
    expectCleanRefusal({ code: result.status, stderr: result.stderr }, [1], `Cannot create ${home}`);
    expect(result.stderr).toContain("Point STIGMER_HOME at a directory you can write to");
  });

  test.each([
    ["empty", ""],
    ["truncated", '{"version":"0.1.0","startedAt":"2026-'],
    ["of the wrong shape", JSON.stringify({ supervisor: "yes", groups: [] })],
  ])("a state file that is %s: cleaned up with a note, status exits 3", (_, content) => {
    const home = tempDir();
    mkdirSync(path.join(home, "run"), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(home, "run", "supervisor.json"), content, { mode: 0o600 });
    const result = runCli(["local", "status", "--endpoint", "127.0.0.1:1"], cleanEnv({ STIGMER_HOME: home }));
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("removed a damaged state file");
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(path.join(home, "run", "supervisor.json"))).toBe(false);
  });

  test("a control socket path already taken by something that is not a socket", () => {
    const home = tempDir();
    mkdirSync(path.join(home, "run"), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(home, "run", "control.sock"), "mine");
    const result = runCli([...START, "-d", "--no-wait-daemon"], cleanEnv({ STIGMER_HOME: home, ANTHROPIC_API_KEY: "sk-ant-1234567" }));
    expectCleanRefusal(result, [1], "control.sock exists and is not a socket");
  });
});
