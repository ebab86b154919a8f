import { describe, expect, test } from "bun:test";
import { StigmerError } from "../../../src/cli/errors.ts";
import { resolveKeys, type KeyringAnswer, type KeySources } from "../../../src/secrets/chain.ts";
import { keyNamesFor } from "../../../src/secrets/providers.ts";

function sources(options: {
  env?: Record<string, string>;
  keyring?: Record<string, KeyringAnswer>;
  prompt?: Record<string, string>;
  warnings?: string[];
  asked?: string[];
}): KeySources {
  return {
    environment: (name) => options.env?.[name],
    keyring: options.keyring
      ? async (name) => {
          options.asked?.push(`keyring:${name}`);
          return options.keyring![name] ?? { missing: true };
        }
      : undefined,
    prompt: options.prompt
      ? async (name) => {
          options.asked?.push(`prompt:${name}`);
          return options.prompt![name]!;
        }
      : undefined,
    warn: (message) => options.warnings?.push(message),
  };
}

describe("resolveKeys", () => {
  test("the environment wins and nothing else is asked", async () => {
    const asked: string[] = [];
    const keys = await resolveKeys(["ANTHROPIC_API_KEY"], sources({ env: { ANTHROPIC_API_KEY: "sk-env" }, keyring: {}, prompt: {}, asked }));
    expect(keys).toEqual([{ name: "ANTHROPIC_API_KEY", value: "sk-env", source: "environment" }]);
    expect(asked).toEqual([]);
  });

  test("an empty environment variable falls through to the keyring", async () => {
    const keys = await resolveKeys(
      ["OPENAI_API_KEY"],
      sources({ env: { OPENAI_API_KEY: "  " }, keyring: { OPENAI_API_KEY: { found: "sk-ring" } } }),
    );
    expect(keys).toEqual([{ name: "OPENAI_API_KEY", value: "sk-ring", source: "keyring" }]);
  });

  test("keyring missing → the prompt; the order is environment, keyring, prompt", async () => {
    const asked: string[] = [];
    const keys = await resolveKeys(["ANTHROPIC_API_KEY"], sources({ keyring: {}, prompt: { ANTHROPIC_API_KEY: "sk-typed" }, asked }));
    expect(keys).toEqual([{ name: "ANTHROPIC_API_KEY", value: "sk-typed", source: "entered" }]);
    expect(asked).toEqual(["keyring:ANTHROPIC_API_KEY", "prompt:ANTHROPIC_API_KEY"]);
  });

  test("an unavailable keyring is one warning, then the prompt", async () => {
    const warnings: string[] = [];
    const keys = await resolveKeys(
      ["ANTHROPIC_API_KEY"],
      sources({ keyring: { ANTHROPIC_API_KEY: { unavailable: "no D-Bus session" } }, prompt: { ANTHROPIC_API_KEY: "sk-typed" }, warnings }),
    );
    expect(keys[0]?.source).toBe("entered");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("no D-Bus session");
  });

  test("no key and no terminal: exit 1 naming both fixes", async () => {
    const error = await resolveKeys(["ANTHROPIC_API_KEY"], sources({ keyring: {} })).catch((caught) => caught);
    expect(error).toBeInstanceOf(StigmerError);
    expect((error as StigmerError).exitCode).toBe(1);
    expect((error as StigmerError).fix).toContain("export ANTHROPIC_API_KEY=");
    expect((error as StigmerError).fix).toContain("stigmer secrets set ANTHROPIC_API_KEY");
  });

  test("a key with a newline or a control character is refused, without quoting it", async () => {
    for (const value of ["sk-line\nbreak", "sk-bell\u0007x"]) {
      const error = await resolveKeys(["ANTHROPIC_API_KEY"], sources({ env: { ANTHROPIC_API_KEY: value } })).catch((caught) => caught);
      expect(error).toBeInstanceOf(StigmerError);
      expect((error as StigmerError).message).toContain("ANTHROPIC_API_KEY in the environment cannot be used");
      expect((error as StigmerError).message).not.toContain(value);
    }
    const fromRing = await resolveKeys(["OPENAI_API_KEY"], sources({ keyring: { OPENAI_API_KEY: { found: "a\rb-long" } } })).catch((caught) => caught);
    expect((fromRing as StigmerError).fix).toContain("stigmer secrets set OPENAI_API_KEY");
  });

  test("each provider's key names", () => {
    expect(keyNamesFor("anthropic")).toEqual(["ANTHROPIC_API_KEY"]);
    expect(keyNamesFor("openai")).toEqual(["OPENAI_API_KEY"]);
    expect(keyNamesFor("ollama")).toEqual([]);
  });
});
