// The whole key chain inside `local start`: environment → keyring → masked prompt (in a real
// terminal) → the offer to save; the runner gets the key, and nothing of it is on screen or disk.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { cleanupAll, FIXTURE_RUNNER, runCli, stigmerBin, tempDir, waitFor } from "../helpers.ts";
import { filesContaining, isolatedEnv, startKeyringSession, Tmux, type KeyringSession } from "./session.ts";

const KEY = "sk-ant-chain-Zq8Lm3Vx7Tn2Rb5Wk9Jd4";
const sha256 = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

let session: KeyringSession;
let terminal: Tmux;
let envOut: string;

beforeEach(async () => {
  session = await startKeyringSession();
  terminal = new Tmux();
  envOut = path.join(tempDir("stigmer-chain-"), "env.json");
});

afterEach(() => {
  runCli(["local", "stop", "--timeout", "2s"], session.env);
  terminal.stop();
  expect(filesContaining(session.stigmerHome, KEY)).toEqual([]);
  session.stop();
  cleanupAll();
});

function startArgs(): string[] {
  return ["local", "start", "--detach", "--no-wait-daemon", "--runner", FIXTURE_RUNNER];
}

async function runnerEnvironment(): Promise<Record<string, string>> {
  await waitFor("the runner's environment", () => existsSync(envOut) && statSync(envOut).size > 0);
  return JSON.parse(readFileSync(envOut, "utf8"));
}

describe("local start resolves the key", () => {
  test("from the keyring when the environment has none", async () => {
    const stored = Bun.spawnSync([stigmerBin(), "secrets", "set", "ANTHROPIC_API_KEY", "--stdin"], { env: session.env, stdin: Buffer.from(`${KEY}\n`) });
    expect(stored.exitCode).toBe(0);
    const result = runCli(startArgs(), { ...session.env, FIXTURE_MODE: "env", FIXTURE_ENV_OUT: envOut });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("ANTHROPIC_API_KEY from keyring");
    const seen = await runnerEnvironment();
    expect(seen.ANTHROPIC_API_KEY).toBe(sha256(KEY));
    expect(seen.STIGMER_LLM_API_KEY).toBe(sha256(KEY));
  });

  test("from the masked prompt on a terminal, then saved on yes: the next start needs no terminal", async () => {
    const env = { ...session.env, FIXTURE_MODE: "env", FIXTURE_ENV_OUT: envOut };
    terminal.start(`${stigmerBin()} ${startArgs().join(" ")}; echo "EXIT=$?END"; exec sleep 120`, env);
    await waitFor("the prompt", () => terminal.screen().includes("Enter ANTHROPIC_API_KEY (input hidden): "));
    terminal.type(KEY);
    terminal.keys("Enter");
    await waitFor("the save question", () => terminal.screen().includes("Save to the system keyring? [Y/n]"));
    terminal.type("y");
    terminal.keys("Enter");
    await waitFor("the end", () => terminal.screen().includes("END"));
    const screen = terminal.screen();
    expect(screen).toContain("EXIT=0END");
    expect(screen).toContain("ANTHROPIC_API_KEY saved to the system keyring.");
    expect(screen).toContain("ANTHROPIC_API_KEY entered");
    for (let at = 0; at + 5 <= KEY.length; at++) expect(screen).not.toContain(KEY.slice(at, at + 5));
    expect((await runnerEnvironment()).ANTHROPIC_API_KEY).toBe(sha256(KEY));

    expect(runCli(["local", "stop"], session.env).code).toBe(0);
    const again = runCli(startArgs(), session.env);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("ANTHROPIC_API_KEY from keyring");
  }, 60_000);
});

describe("without a usable keyring", () => {
  test("no D-Bus and no terminal: one warning, then exit 1 naming both fixes", () => {
    const { env } = isolatedEnv();
    const result = runCli(startArgs(), env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Keyring unavailable");
    expect(result.stderr.match(/Keyring unavailable/g)).toHaveLength(1);
    expect(result.stderr).toContain("export ANTHROPIC_API_KEY=");
    expect(result.stderr).toContain("stigmer secrets set ANTHROPIC_API_KEY");
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
