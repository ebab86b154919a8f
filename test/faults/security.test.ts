// Security properties (issue 8): private files under any umask, a control socket other users
// cannot reach, and a working directory that configures nothing.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanEnv, cleanupAll, stopSupervisorAtEnd, FIXTURE_RUNNER, runCli, spawnDevDaemon, stigmerBin, tempDir, type DaemonProcess } from "../helpers.ts";

let daemon: DaemonProcess;
beforeAll(async () => {
  daemon = await spawnDevDaemon();
});
afterAll(() => daemon.stop());
afterEach(cleanupAll);

function entriesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? [full, ...entriesUnder(full)] : [full];
  });
}

const isRoot = process.getuid?.() === 0;

describe("security", () => {
  test("under umask 000, every directory is 0700 and every file or socket 0600", () => {
    const home = tempDir();
    stopSupervisorAtEnd(home);
    const env = cleanEnv({ STIGMER_HOME: home, ANTHROPIC_API_KEY: "sk-ant-umask-1234567", STIGMER_BACKEND_ENDPOINT: daemon.endpoint, TEMPORAL_SERVICE_ADDRESS: daemon.endpoint });
    const result = spawnSync("sh", ["-c", `umask 000; exec "${stigmerBin()}" local start -d --runner "${FIXTURE_RUNNER}"`], { env, encoding: "utf8" });
    expect(result.status).toBe(0);
    const entries = entriesUnder(home);
    expect(entries.length).toBeGreaterThan(4);
    for (const entry of [home, ...entries]) {
      const stat = statSync(entry);
      expect({ entry, mode: stat.mode & 0o777 }).toEqual({ entry, mode: stat.isDirectory() ? 0o700 : 0o600 });
    }
  });

  // Another user is needed to try; root can make one with setpriv.
  test.skipIf(!isRoot)("the control socket refuses another user: its directory is 0700 and the socket 0600", () => {
    const home = tempDir();
    stopSupervisorAtEnd(home);
    const env = cleanEnv({ STIGMER_HOME: home, ANTHROPIC_API_KEY: "sk-ant-socket-1234567", STIGMER_BACKEND_ENDPOINT: daemon.endpoint, TEMPORAL_SERVICE_ADDRESS: daemon.endpoint });
    expect(runCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER], env).code).toBe(0);
    const socket = path.join(home, "run", "control.sock");
    const connect = `import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); s.sendall(b'{"op":"stop"}\\n'); print("connected")
except OSError as e:
    print(type(e).__name__)`;
    const asNobody = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", connect, socket], { encoding: "utf8" });
    expect(asNobody.stdout.trim()).toBe("PermissionError");
    expect(runCli(["local", "status"], env).code).toBe(0);
  });

  test("a .env and a bunfig.toml in the working directory change nothing", () => {
    const home = tempDir();
    const hostile = tempDir("stigmer-hostile-");
    const marker = path.join(hostile, "preloaded");
    writeFileSync(path.join(hostile, ".env"), "STIGMER_BACKEND_ENDPOINT=evil.example:1\nANTHROPIC_API_KEY=sk-ant-from-dotenv-123\n");
    writeFileSync(path.join(hostile, "bunfig.toml"), 'preload = ["./preload.ts"]\n[run]\npreload = ["./preload.ts"]\n');
    writeFileSync(path.join(hostile, "preload.ts"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`);
    const env = cleanEnv({ STIGMER_HOME: home });
    const status = spawnSync(stigmerBin(), ["local", "status", "--json"], { cwd: hostile, env, encoding: "utf8" });
    expect(JSON.parse(status.stdout).daemon.endpoint).toBe("localhost:50051");
    const doctor = spawnSync(stigmerBin(), ["doctor", "--json", "--runner", FIXTURE_RUNNER], { cwd: hostile, env, encoding: "utf8" });
    const key = JSON.parse(doctor.stdout).checks.find((check: { check: string }) => check.check === "key");
    expect(key.detail).toBe("ANTHROPIC_API_KEY is not set");
    expect(readdirSync(hostile)).not.toContain("preloaded");
  });
});
