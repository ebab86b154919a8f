import { describe, expect, test } from "bun:test";
import { FAST_BYTES_PER_MS, RATE_WINDOW_MS, READ_PAUSE_MS, ReadPacing, SHORT_READ_BYTES } from "../../src/lifecycle/process/read-pacing.ts";

/** Reads of `bytes` every `everyMs` from `from` until `until`; the wait after the last. */
function readSteadily(pacing: ReadPacing, bytes: number, everyMs: number, from: number, until: number): number {
  let wait = 0;
  for (let now = from; now <= until; now += everyMs) wait = pacing.afterRead(bytes, now);
  return wait;
}

describe("ReadPacing", () => {
  test("slow output: a short read is followed by a pause, a long one by the next read at once", () => {
    const pacing = new ReadPacing();
    expect(pacing.afterRead(100, 1000)).toBe(READ_PAUSE_MS);
    expect(pacing.afterRead(SHORT_READ_BYTES, 1002)).toBe(0);
    expect(pacing.afterRead(SHORT_READ_BYTES - 1, 1004)).toBe(READ_PAUSE_MS);
  });

  test("output that would fill the pipe in a pause is read without pauses, until it slows down", () => {
    const pacing = new ReadPacing();
    // 2 KiB every 0.04 ms: 50 KiB per ms, over the limit.
    expect(readSteadily(pacing, 2048, 0.04, 1000, 1000 + 2 * RATE_WINDOW_MS)).toBe(0);
    // Then 1 KiB per ms: pauses again once the window says so.
    expect(readSteadily(pacing, 1024, 1, 1021, 1021 + 2 * RATE_WINDOW_MS)).toBe(READ_PAUSE_MS);
  });

  test("output just under the limit keeps its pauses", () => {
    const pacing = new ReadPacing();
    const bytesPerMs = FAST_BYTES_PER_MS - 1024;
    expect(readSteadily(pacing, bytesPerMs / 4, 0.25, 1000, 1000 + 3 * RATE_WINDOW_MS)).toBe(READ_PAUSE_MS);
  });
});
