import { describe, expect, test } from "bun:test";
import { StigmerError } from "../../../src/cli/errors.ts";
import {
  OPTION_NAMES,
  pickValues,
  resolveStartOptions,
  START_OPTIONS,
  type ConfigValues,
  type OptionDeclaration,
  type OptionName,
} from "../../../src/lifecycle/start/start-options.ts";

describe("resolveStartOptions", () => {
  test("defaults are those of DESIGN.md", () => {
    expect(resolveStartOptions({}, {})).toEqual({
      runner: undefined,
      python: undefined,
      pythonSource: undefined,
      endpoint: "localhost:50051",
      provider: "anthropic",
      workspace: undefined,
      policy: { mode: "on-failure", baseMs: 1000, maxMs: 30_000, minUptimeMs: 30_000, maxRestarts: 10 },
      stopTimeoutMs: 10_000,
      logs: { maxBytes: 10 * 1024 * 1024, files: 5 },
      daemonTimeoutMs: 30_000,
      server: undefined,
      model: "claude-sonnet-4.5",
      temporal: { kind: "auto", cli: null },
      readyLine: "Worker ready",
      readyTimeoutMs: 60_000,
    });
  });

  test("the model: flag, then STIGMER_LLM_MODEL, then the provider's default (none for ollama)", () => {
    expect(resolveStartOptions({ provider: "openai" }, {}).model).toBe("gpt-4o");
    expect(resolveStartOptions({ provider: "ollama" }, {}).model).toBeNull();
    expect(resolveStartOptions({}, { STIGMER_LLM_MODEL: "claude-opus-4" }).model).toBe("claude-opus-4");
    expect(resolveStartOptions({ model: "anthropic:claude-3-5-haiku" }, { STIGMER_LLM_MODEL: "claude-opus-4" }).model).toBe("anthropic:claude-3-5-haiku");
    expect(resolveStartOptions({ provider: "ollama", model: "llama3.1:8b" }, {}).model).toBe("llama3.1:8b");
  });

  test("a model whose provider prefix contradicts the provider is a usage error", () => {
    const error = (() => {
      try {
        resolveStartOptions({ model: "openai:gpt-4o" }, {});
      } catch (caught) {
        return caught;
      }
    })() as StigmerError;
    expect(error).toBeInstanceOf(StigmerError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("openai model, but the provider is anthropic");
    expect(error.fix).toContain("--provider openai");
    expect(() => resolveStartOptions({ provider: "ollama" }, { STIGMER_LLM_MODEL: "anthropic:claude-sonnet-4.5" })).toThrow("STIGMER_LLM_MODEL");
  });

  test("--temporal auto|off|PATH, from the flag or STIGMER_TEMPORAL", () => {
    expect(resolveStartOptions({ temporal: "off" }, {}).temporal).toEqual({ kind: "off" });
    expect(resolveStartOptions({}, { STIGMER_TEMPORAL: "off" }).temporal).toEqual({ kind: "off" });
    expect(resolveStartOptions({ temporal: "/opt/temporal" }, { STIGMER_TEMPORAL: "off" }).temporal).toEqual({ kind: "auto", cli: "/opt/temporal" });
    expect(() => resolveStartOptions({ temporal: " " }, {})).toThrow("--temporal is empty");
  });

  test("--ready-line: a regular expression, or none; --ready-timeout a duration", () => {
    expect(resolveStartOptions({ readyLine: "none" }, {}).readyLine).toBeNull();
    expect(resolveStartOptions({ readyLine: "^ready$", readyTimeout: "2m" }, {})).toMatchObject({ readyLine: "^ready$", readyTimeoutMs: 120_000 });
    expect(() => resolveStartOptions({ readyLine: "(unclosed" }, {})).toThrow("not a valid regular expression");
  });

  test("environment variables fill in what flags leave out; flags win", () => {
    const env = {
      STIGMER_AGENT_RUNNER: "/opt/runner",
      STIGMER_PYTHON: "/usr/bin/python3.12",
      STIGMER_BACKEND_ENDPOINT: "localhost:7234",
      STIGMER_LLM_PROVIDER: "openai",
      SANDBOX_ROOT_DIR: "/tmp/sandbox",
      STIGMER_SERVER_BIN: "/opt/stigmer-server",
    };
    expect(resolveStartOptions({}, env)).toMatchObject({
      runner: "/opt/runner",
      python: "/usr/bin/python3.12",
      endpoint: "localhost:7234",
      provider: "openai",
      workspace: "/tmp/sandbox",
      server: "/opt/stigmer-server",
    });
    expect(resolveStartOptions({ runner: "./r", endpoint: "127.0.0.1:9", provider: "ollama" }, env)).toMatchObject({
      runner: "./r",
      endpoint: "127.0.0.1:9",
      provider: "ollama",
    });
  });

  test("an empty environment variable counts as unset", () => {
    expect(resolveStartOptions({}, { STIGMER_LLM_PROVIDER: "", STIGMER_BACKEND_ENDPOINT: " " })).toMatchObject({
      provider: "anthropic",
      endpoint: "localhost:50051",
    });
  });

  test("durations, counts and modes are parsed", () => {
    const options = resolveStartOptions(
      { restart: "always", restartDelay: "0", maxRestartDelay: "2s", minUptime: "500ms", maxRestarts: "3", stopTimeout: "1m" },
      {},
    );
    expect(options.policy).toEqual({ mode: "always", baseMs: 0, maxMs: 2000, minUptimeMs: 500, maxRestarts: 3 });
    expect(options.stopTimeoutMs).toBe(60_000);
    expect(resolveStartOptions({ logMaxSize: "512KiB", logFiles: "2" }, {}).logs).toEqual({ maxBytes: 512 * 1024, files: 2 });
    expect(resolveStartOptions({ daemonTimeout: "5s" }, {}).daemonTimeoutMs).toBe(5000);
    expect(resolveStartOptions({ daemonTimeout: "5s", waitDaemon: false }, {}).daemonTimeoutMs).toBeNull();
  });

  test.each([
    [{ provider: "gemini" }, "--provider"],
    [{ restart: "sometimes" }, "--restart"],
    [{ restartDelay: "fast" }, "--restart-delay"],
    [{ maxRestarts: "-1" }, "--max-restarts"],
    [{ endpoint: "http://localhost:50051" }, "--endpoint"],
    [{ restartDelay: "10s", maxRestartDelay: "1s" }, "--max-restart-delay"],
    [{ workspace: "" }, "--workspace"],
    [{ logMaxSize: "big" }, "--log-max-size"],
    [{ logMaxSize: "0" }, "--log-max-size"],
    [{ logFiles: "0" }, "--log-files"],
    [{ logFiles: "1001" }, "--log-files"],
    [{ daemonTimeout: "forever" }, "--daemon-timeout"],
  ])("%p is a usage error about %p", (flags, flag) => {
    let error: unknown;
    try {
      resolveStartOptions(flags, {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StigmerError);
    expect((error as StigmerError).exitCode).toBe(2);
    expect((error as StigmerError).message).toContain(flag);
  });

  test("--restart-delay longer than the default maximum names the default, not undefined", () => {
    expect(() => resolveStartOptions({ restartDelay: "1m30s" }, {})).toThrow("the default --max-restart-delay (30s) is shorter than --restart-delay (1m30s)");
  });
});

/** Three valid values per option, told apart: one for the flag, one for the environment, one for the file. */
const SAMPLES: Record<OptionName, [string, string, string]> = {
  runner: ["/flag/runner", "/env/runner", "/file/runner"],
  python: ["/flag/python", "/env/python", "/file/python"],
  endpoint: ["flag:1", "env:2", "file:3"],
  provider: ["openai", "ollama", "anthropic"],
  model: ["claude-flag", "claude-env", "claude-file"],
  workspace: ["/flag/ws", "/env/ws", "/file/ws"],
  temporal: ["off", "/env/temporal", "/file/temporal"],
  server: ["/flag/server", "/env/server", "/file/server"],
  restart: ["always", "never", "always"],
  restartDelay: ["2s", "3s", "4s"],
  maxRestartDelay: ["1m", "2m", "3m"],
  minUptime: ["1s", "2s", "3s"],
  maxRestarts: ["1", "2", "3"],
  stopTimeout: ["1s", "2s", "3s"],
  daemonTimeout: ["1s", "2s", "3s"],
  waitDaemon: ["false", "true", "false"],
  readyLine: ["flag", "env", "file"],
  readyTimeout: ["1s", "2s", "3s"],
  logMaxSize: ["1MiB", "2MiB", "3MiB"],
  logFiles: ["1", "2", "3"],
};

describe("precedence: flag > environment > config file > default, for every option", () => {
  const fileWith = (name: OptionName): ConfigValues => ({ path: "/c.toml", values: { [name]: { text: SAMPLES[name][2], line: 7 } } });
  const flagOf = (name: OptionName) => {
    const declaration: OptionDeclaration = START_OPTIONS[name];
    return { [name]: declaration.boolean ? SAMPLES[name][0] === "true" : SAMPLES[name][0] };
  };

  test.each(OPTION_NAMES)("%s", (name) => {
    const declaration: OptionDeclaration = START_OPTIONS[name];
    const env = declaration.env ? { [declaration.env]: SAMPLES[name][1] } : {};
    const all = pickValues({ flags: flagOf(name), env, file: fileWith(name) })[name];
    expect(all).toMatchObject({ text: SAMPLES[name][0], origin: "flag", label: declaration.boolean ? `--no-${declaration.flag}` : `--${declaration.flag}` });
    if (declaration.env) {
      expect(pickValues({ flags: {}, env, file: fileWith(name) })[name]).toMatchObject({ text: SAMPLES[name][1], origin: "env", label: declaration.env });
    }
    expect(pickValues({ flags: {}, env: {}, file: fileWith(name) })[name]).toMatchObject({
      text: SAMPLES[name][2],
      origin: "file",
      label: `${declaration.flag.replaceAll("-", "_")} in /c.toml line 7`,
    });
    const fallback = pickValues({ flags: {}, env: {}, file: null })[name];
    if (declaration.default === undefined) expect(fallback).toBeUndefined();
    else expect(fallback).toMatchObject({ text: declaration.default, origin: "default" });
    // The resolver accepts each of them: the sample values are valid, so the table tests precedence alone.
    for (const source of [{ flags: flagOf(name), env: {}, file: null }, { flags: {}, env, file: null }, { flags: {}, env: {}, file: fileWith(name) }]) {
      expect(() => resolveStartOptions(source.flags, source.env, source.file)).not.toThrow();
    }
  });

  test("an error names where the bad value came from", () => {
    expect(() => resolveStartOptions({}, { STIGMER_LLM_PROVIDER: "gemini" })).toThrow("STIGMER_LLM_PROVIDER must be one of");
    const file: ConfigValues = { path: "/c.toml", values: { stopTimeout: { text: "soon", line: 4 } } };
    expect(() => resolveStartOptions({}, {}, file)).toThrow('stop_timeout in /c.toml line 4 takes a duration, not "soon"');
  });
});

