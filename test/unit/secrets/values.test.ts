import { describe, expect, test } from "bun:test";
import { StigmerError } from "../../../src/cli/errors.ts";
import { parseChoice, parseCount, parseEndpoint } from "../../../src/cli/values.ts";

function usageFailure(run: () => unknown): StigmerError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StigmerError);
    expect((error as StigmerError).exitCode).toBe(2);
    return error as StigmerError;
  }
  throw new Error("expected a usage error");
}

describe("parseEndpoint", () => {
  test.each([
    ["localhost:50051", { host: "localhost", port: 50051 }],
    ["127.0.0.1:7234", { host: "127.0.0.1", port: 7234 }],
    ["[::1]:1", { host: "[::1]", port: 1 }],
    ["stigmer-server.local:65535", { host: "stigmer-server.local", port: 65535 }],
  ])("%p", (text, endpoint) => {
    expect(parseEndpoint(text)).toEqual(endpoint);
  });

  test("a URL is refused with the HOST:PORT form to use", () => {
    const error = usageFailure(() => parseEndpoint("http://localhost:50051"));
    expect(error.message).toContain("not a URL");
    expect(error.fix).toContain("localhost:50051");
  });

  test.each(["localhost", "localhost:", ":50051", "localhost:0", "localhost:65536", "localhost:99999", "a b:1", "host:port"])(
    "%p is refused",
    (text) => {
      usageFailure(() => parseEndpoint(text));
    },
  );
});

describe("parseCount and parseChoice", () => {
  test("whole numbers only", () => {
    expect(parseCount("0", "--max-restarts")).toBe(0);
    expect(parseCount("12", "--max-restarts")).toBe(12);
    for (const bad of ["-1", "1.5", "ten", "", "1e3", "99999999999999999999"]) {
      expect(usageFailure(() => parseCount(bad, "--max-restarts")).message).toContain("--max-restarts");
    }
  });

  test("choices are listed when the value is not one", () => {
    expect(parseChoice("always", "--restart", ["on-failure", "always", "never"])).toBe("always");
    const error = usageFailure(() => parseChoice("sometimes", "--restart", ["on-failure", "always", "never"]));
    expect(error.message).toContain("on-failure, always, never");
  });
});
