import { describe, expect, test } from "bun:test";
import { formatDuration, parseDuration } from "../../../src/cli/duration.ts";
import { StigmerError } from "../../../src/cli/errors.ts";

describe("parseDuration", () => {
  test.each([
    ["0", 0],
    ["200ms", 200],
    ["2s", 2000],
    ["1.5s", 1500],
    ["1m", 60_000],
    ["1m30s", 90_000],
    ["1h", 3_600_000],
    [" 10s ", 10_000],
  ])("%p is %p ms", (text, ms) => {
    expect(parseDuration(text, "--x")).toBe(ms);
  });

  test.each(["", "5", "-1s", "1x", "s", "1s2", "1 s", "ms", "1e3ms", "1.s"])("%p is a usage error naming the flag", (text) => {
    let error: unknown;
    try {
      parseDuration(text, "--restart-delay");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StigmerError);
    expect((error as StigmerError).exitCode).toBe(2);
    expect((error as StigmerError).message).toContain("--restart-delay");
    expect((error as StigmerError).fix).toContain("200ms");
  });
});

describe("formatDuration", () => {
  test.each([
    [0, "0ms"],
    [250, "250ms"],
    [1000, "1s"],
    [1500, "1.5s"],
    [90_000, "1m30s"],
    [3_600_000, "1h"],
    [3_660_000, "1h1m"],
  ])("%p ms reads %p", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
