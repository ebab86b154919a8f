import { describe, expect, test } from "bun:test";
import { buildRunnerEnv, DUMMY_STIGMER_API_KEY } from "../../../src/lifecycle/start/runner-env.ts";

const settings = {
  endpoint: "localhost:50051",
  provider: "anthropic" as const,
  model: "claude-sonnet-4.5" as string | null,
  temporalAddress: "localhost:7233",
  workspace: "/home/u/.stigmer/workspace",
  keys: [{ name: "ANTHROPIC_API_KEY", value: "sk-ant-from-keyring", source: "keyring" as const }],
};

describe("buildRunnerEnv", () => {
  test("adds exactly DESIGN.md's variables to the user's environment", () => {
    const env = buildRunnerEnv({ PATH: "/usr/bin", HOME: "/home/u" }, settings);
    expect(env).toEqual({
      PATH: "/usr/bin",
      HOME: "/home/u",
      TEMPORAL_SERVICE_ADDRESS: "localhost:7233",
      STIGMER_LLM_MODEL: "claude-sonnet-4.5",
      MODE: "local",
      SANDBOX_TYPE: "filesystem",
      SANDBOX_ROOT_DIR: "/home/u/.stigmer/workspace",
      STIGMER_BACKEND_ENDPOINT: "localhost:50051",
      STIGMER_API_KEY: DUMMY_STIGMER_API_KEY,
      STIGMER_LLM_PROVIDER: "anthropic",
      ANTHROPIC_API_KEY: "sk-ant-from-keyring",
      STIGMER_LLM_API_KEY: "sk-ant-from-keyring",
      PYTHONUNBUFFERED: "1",
    });
  });

  test("a STIGMER_API_KEY the user set is kept; pass-through variables are untouched", () => {
    const base = { STIGMER_API_KEY: "real-key", STIGMER_LLM_MODEL: "claude", OLLAMA_BASE_URL: "http://x", TEMPORAL_NAMESPACE: "ns" };
    const env = buildRunnerEnv(base, { ...settings, model: null });
    expect(env.STIGMER_API_KEY).toBe("real-key");
    expect(env.STIGMER_LLM_MODEL).toBe("claude");
    expect(env.OLLAMA_BASE_URL).toBe("http://x");
    expect(env.TEMPORAL_NAMESPACE).toBe("ns");
  });

  test("the resolved key replaces a different value in the environment, and the settings win over the user's", () => {
    const env = buildRunnerEnv({ ANTHROPIC_API_KEY: "", MODE: "cloud", PYTHONUNBUFFERED: "0" }, settings);
    expect(env.ANTHROPIC_API_KEY).toBe("sk-ant-from-keyring");
    expect(env.MODE).toBe("local");
    expect(env.PYTHONUNBUFFERED).toBe("1");
  });

  test("ollama needs no key and no model: none is invented", () => {
    const env = buildRunnerEnv({}, { ...settings, provider: "ollama", model: null, keys: [] });
    expect(env.STIGMER_LLM_PROVIDER).toBe("ollama");
    expect(env).not.toHaveProperty("STIGMER_LLM_API_KEY");
    expect(env).not.toHaveProperty("ANTHROPIC_API_KEY");
    expect(env).not.toHaveProperty("STIGMER_LLM_MODEL");
  });

  test("the model and the Temporal address given win over the user's environment", () => {
    const env = buildRunnerEnv({ STIGMER_LLM_MODEL: "qwen2.5-coder:7b", TEMPORAL_SERVICE_ADDRESS: "elsewhere:1" }, { ...settings, temporalAddress: "127.0.0.1:7300" });
    expect(env.STIGMER_LLM_MODEL).toBe("claude-sonnet-4.5");
    expect(env.TEMPORAL_SERVICE_ADDRESS).toBe("127.0.0.1:7300");
  });
});
