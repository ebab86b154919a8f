// `stigmer secrets` against a real Secret Service (gnome-keyring in a private D-Bus session),
// and against none at all.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { StigmerError } from "../../src/cli/errors.ts";
import { resolveKeys } from "../../src/secrets/chain.ts";
import { KEYRING_TIMEOUT_MS, keyringSource, systemKeyring } from "../../src/secrets/keyring.ts";
import { offerToSave } from "../../src/secrets/prompt.ts";
import { cleanupAll, runCli, stigmerBin, tempDir } from "../helpers.ts";
import { filesContaining, isolatedEnv, startKeyringSession, type KeyringSession } from "./session.ts";

const KEY = "sk-test-Zq8vN3kLw0pXr5Ty";
const OTHER_KEY = "sk-other-Hh4Jd9Qm2Vb7Nc";

/** Runs the CLI with `input` on stdin. */
function runWithInput(args: string[], env: Record<string, string>, input: string) {
  const result = spawnSync(stigmerBin(), args, { env, input, encoding: "utf8", timeout: 30_000 });
  return { code: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

let session: KeyringSession | undefined;

afterEach(() => {
  if (session) {
    // No key in STIGMER_HOME, and none in plain text anywhere in HOME, where the keyring keeps its (encrypted) files.
    expect(filesContaining(session.stigmerHome, KEY)).toEqual([]);
    expect(filesContaining(session.home, KEY)).toEqual([]);
    expect(filesContaining(session.home, OTHER_KEY)).toEqual([]);
    session.stop();
    session = undefined;
  }
  cleanupAll();
});

describe("with a real Secret Service", () => {
  beforeEach(async () => {
    session = await startKeyringSession();
  });

  test("set --stdin, get, get --reveal, list, delete: a round trip", () => {
    const env = session!.env;
    const set = runWithInput(["secrets", "set", "TEST_KEY", "--stdin"], env, `${KEY}\n`);
    expect(set.stderr).toContain("Stored TEST_KEY in the system keyring.");
    expect(set.code).toBe(0);
    expect(`${set.stdout}${set.stderr}`).not.toContain(KEY);

    expect(runWithInput(["secrets", "set", "OTHER_KEY", "--stdin"], env, OTHER_KEY).code).toBe(0);

    const get = runCli(["secrets", "get", "TEST_KEY"], env);
    expect(get.code).toBe(0);
    expect(get.stdout).toBe("TEST_KEY is set, from the system keyring\n");
    expect(get.stderr).not.toContain(KEY);

    const reveal = runCli(["secrets", "get", "TEST_KEY", "--reveal"], env);
    expect(reveal.code).toBe(0);
    expect(reveal.stdout).toBe(`${KEY}\n`);

    const list = runCli(["secrets", "list"], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toBe("OTHER_KEY\nTEST_KEY\n");

    const replaced = runWithInput(["secrets", "set", "TEST_KEY", "--stdin"], env, `${OTHER_KEY}\n`);
    expect(replaced.stderr).toContain("Replaced TEST_KEY");
    expect(runCli(["secrets", "get", "TEST_KEY", "--reveal"], env).stdout).toBe(`${OTHER_KEY}\n`);

    const deleted = runCli(["secrets", "delete", "TEST_KEY"], env);
    expect(deleted.code).toBe(0);
    expect(deleted.stderr).toContain("Deleted TEST_KEY");
    expect(runCli(["secrets", "list"], env).stdout).toBe("OTHER_KEY\n");

    const gone = runCli(["secrets", "get", "TEST_KEY"], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("TEST_KEY is not set");
    expect(gone.stderr).toContain("stigmer secrets set TEST_KEY");

    expect(runCli(["secrets", "delete", "TEST_KEY"], env).code).toBe(0);
  });

  test("the native addon loads from a copy of the binary in another directory, away from node_modules", () => {
    const elsewhere = tempDir("stigmer-elsewhere-");
    const copy = path.join(elsewhere, "stigmer");
    copyFileSync(stigmerBin(), copy);
    chmodSync(copy, 0o755);
    const run = (args: string[], input?: string) => spawnSync(copy, args, { env: session!.env, cwd: elsewhere, input, encoding: "utf8", timeout: 30_000 });
    expect(run(["secrets", "set", "COPY_KEY", "--stdin"], `${KEY}\n`).status).toBe(0);
    const reveal = run(["secrets", "get", "COPY_KEY", "--reveal"]);
    expect(reveal.stderr).not.toContain("did not load");
    expect(reveal.stdout).toBe(`${KEY}\n`);
  });

  test("the environment wins over the keyring, as in local start", () => {
    expect(runWithInput(["secrets", "set", "TEST_KEY", "--stdin"], session!.env, KEY).code).toBe(0);
    const get = runCli(["secrets", "get", "TEST_KEY", "--reveal"], { ...session!.env, TEST_KEY: OTHER_KEY });
    expect(get.stderr).toContain("from the environment");
    expect(get.stdout).toBe(`${OTHER_KEY}\n`);
  });

  test("a value of more than one line, or with control characters, or empty, is refused and nothing is stored", () => {
    const env = session!.env;
    for (const input of [`${KEY}\nsecond line\n`, `sk-\u0007-bell-1234\n`, "\n", ""]) {
      const result = runWithInput(["secrets", "set", "TEST_KEY", "--stdin"], env, input);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("Refused to store TEST_KEY");
      expect(result.stderr).not.toContain(KEY);
    }
    expect(runCli(["secrets", "get", "TEST_KEY"], env).code).toBe(1);
    expect(runCli(["secrets", "list"], env).stdout).toBe("");
  });

  test("a bad name is a usage error (exit 2)", () => {
    for (const args of [["set", "lower_case", "--stdin"], ["get", "1ABC"], ["delete", "WITH-DASH"], ["get", "A B"]]) {
      const result = runWithInput(["secrets", ...args], session!.env, KEY);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("is not a key name");
    }
  });

  test("set without --stdin and without a terminal says how to pipe the key in", () => {
    const result = runWithInput(["secrets", "set", "TEST_KEY"], session!.env, "");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no terminal");
    expect(result.stderr).toContain("--stdin");
  });
});

describe("without a usable keyring", () => {
  test("no D-Bus: every secrets command exits 1 with the reason and a fix", () => {
    const { env, stigmerHome } = isolatedEnv();
    const set = runWithInput(["secrets", "set", "TEST_KEY", "--stdin"], env, KEY);
    expect(set.code).toBe(1);
    expect(set.stderr).toContain("The system keyring is unavailable: no D-Bus session bus");
    expect(set.stderr).toContain("export TEST_KEY=");
    expect(set.stderr).not.toContain("Unexpected");
    for (const args of [["get", "TEST_KEY"], ["list"], ["delete", "TEST_KEY"]]) {
      const result = runCli(["secrets", ...args], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("The system keyring is unavailable");
    }
    expect(filesContaining(stigmerHome, KEY)).toEqual([]);
  });

  test("STIGMER_NO_KEYRING=1 switches it off, with a clear error for the secrets commands", () => {
    const { env } = isolatedEnv({ STIGMER_NO_KEYRING: "1" });
    const result = runWithInput(["secrets", "set", "TEST_KEY", "--stdin"], env, KEY);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("STIGMER_NO_KEYRING=1");
    expect(keyringSource({ env: { STIGMER_NO_KEYRING: "1" } })).toBeUndefined();
  });

  test("in the key chain, no D-Bus is one warning, then the next source; not a crash", async () => {
    const warnings: string[] = [];
    const keyring = keyringSource({ env: { PATH: process.env.PATH } })!;
    const keys = await resolveKeys(["TEST_KEY"], {
      environment: () => undefined,
      keyring,
      prompt: async () => KEY,
      warn: (message) => warnings.push(message),
    });
    expect(keys).toEqual([{ name: "TEST_KEY", value: KEY, source: "entered" }]);
    expect(warnings).toEqual(["Keyring unavailable (no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)); not looking there for TEST_KEY."]);

    const withoutPrompt = resolveKeys(["TEST_KEY"], { environment: () => undefined, keyring, warn: () => {} });
    await expect(withoutPrompt).rejects.toBeInstanceOf(StigmerError);
  });

  test("a keyring found unavailable is not offered to save the entered key", async () => {
    const keyring = systemKeyring({ env: { PATH: process.env.PATH } });
    expect(keyring.unavailable).toBeUndefined();
    expect(await keyring.read("TEST_KEY")).toHaveProperty("unavailable");
    // No terminal is needed: the question is never asked.
    expect(await offerToSave("TEST_KEY", KEY, keyring)).toEqual({ failed: keyring.unavailable! });
  });

  test("a session bus that accepts but never answers is unavailable after the timeout, not a hang", async () => {
    const socketPath = path.join(tempDir("stigmer-keys-bus-"), "bus");
    const silent = createServer((socket) => socket.on("data", () => {}));
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
    try {
      const started = Date.now();
      const answer = await keyringSource({ env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${socketPath},guid=0` } })!("TEST_KEY");
      expect(answer).toEqual({ unavailable: `the D-Bus session bus did not answer within ${KEYRING_TIMEOUT_MS / 1000} s` });
      expect(Date.now() - started).toBeLessThan(KEYRING_TIMEOUT_MS + 2_000);

      const { env } = isolatedEnv({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${socketPath}` });
      const list = runCli(["secrets", "list"], env);
      expect(list.code).toBe(1);
      expect(list.stderr).toContain("did not answer");
    } finally {
      silent.close();
    }
  }, 20_000);
});
