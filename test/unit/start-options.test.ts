import { describe, expect, test } from "bun:test";
import { StigmerError } from "../../src/cli/errors.ts";
import { resolveStartOptions } from "../../src/lifecycle/start/start-options.ts";

describe("resolveStartOptions", () => {
  test("defaults are those of DESIGN.md", () => {
    expect(resolveStartOptions({}, {})).toEqual({
      runner: undefined,
      python: undefined,
      endpoint: "localhost:50051",
      provider: "anthropic",
      workspace: undefined,
      policy: { mode: "on-failure", baseMs: 1000, maxMs: 30_000, minUptimeMs: 30_000, maxRestarts: 10 },
      stopTimeoutMs: 10_000,
      logs: { maxBytes: 10 * 1024 * 1024, files: 5 },
      daemonTimeoutMs: 30_000,
      server: undefined,
    });
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
});
