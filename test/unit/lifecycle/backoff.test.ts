import { describe, expect, test } from "bun:test";
import { JITTER, restartDelayMs } from "../../../src/lifecycle/process/backoff.ts";

const settings = { baseMs: 1000, maxMs: 30_000 };

describe("restartDelayMs", () => {
  test("doubles per consecutive quick failure, without jitter at random = 0.5", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => restartDelayMs(n, settings, 0.5))).toEqual([1000, 2000, 4000, 8000, 16000, 30000]);
  });

  test("never exceeds --max-restart-delay, jitter included, also for huge n", () => {
    expect(restartDelayMs(10_000, settings, 0.5)).toBe(30_000);
    // 30 s + 20 % was 36 s: the cap comes after the jitter.
    for (const n of [5, 6, 7, 50, 10_000]) {
      for (const random of [0, 0.25, 0.5, 0.75, 0.999999]) expect(restartDelayMs(n, settings, random)).toBeLessThanOrEqual(settings.maxMs);
    }
    expect(restartDelayMs(6, settings, 0.999999)).toBe(30_000);
  });

  test("at the cap, jitter still spreads restarts below it", () => {
    for (const n of [6, 10_000]) {
      expect(restartDelayMs(n, settings, 0)).toBe(settings.maxMs * (1 - JITTER));
      expect(restartDelayMs(n, settings, 0.25)).toBe(settings.maxMs * (1 - JITTER / 2));
    }
  });

  test("below the cap, jitter stays within ±20 % at both ends of the random range", () => {
    for (const n of [1, 3, 4]) {
      const centre = restartDelayMs(n, settings, 0.5);
      expect(restartDelayMs(n, settings, 0)).toBe(Math.round(centre * (1 - JITTER)));
      expect(restartDelayMs(n, settings, 0.999999)).toBeLessThanOrEqual(Math.round(centre * (1 + JITTER)));
      expect(restartDelayMs(n, settings, 0.999999)).toBeGreaterThan(centre);
    }
  });

  test("a zero delay stays zero, jitter or not", () => {
    expect(restartDelayMs(5, { baseMs: 0, maxMs: 30_000 }, 0.9)).toBe(0);
  });

  test("n below 1 is treated as the first failure", () => {
    expect(restartDelayMs(0, settings, 0.5)).toBe(1000);
  });
});
