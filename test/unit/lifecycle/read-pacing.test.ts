import { describe, expect, test } from "bun:test";
import { fastBytesPerMs, fillingReadBytes, RATE_WINDOW_MS, READ_PAUSE_MS, ReadPacing, SHORT_READ_BYTES } from "../../../src/lifecycle/process/read-pacing.ts";
import { DEFAULT_PIPE_CAPACITY, PIPE_CAPACITY } from "../../../src/platform/process/pipe-capacity.ts";

/** Reads of `bytes` every `everyMs` from `from` until `until` from a pipe of `capacity`; the wait after the last. */
function readSteadily(pacing: ReadPacing, bytes: number, everyMs: number, from: number, until: number, capacity = DEFAULT_PIPE_CAPACITY): number {
  let wait = 0;
  for (let now = from; now <= until; now += everyMs) wait = pacing.afterRead(bytes, now, capacity);
  return wait;
}

describe("ReadPacing", () => {
  test("slow output: a short read is followed by a pause, a long one by the next read at once", () => {
    const pacing = new ReadPacing();
    expect(pacing.afterRead(100, 1000, DEFAULT_PIPE_CAPACITY)).toBe(READ_PAUSE_MS);
    expect(pacing.afterRead(SHORT_READ_BYTES, 1002, DEFAULT_PIPE_CAPACITY)).toBe(0);
    expect(pacing.afterRead(SHORT_READ_BYTES - 1, 1004, DEFAULT_PIPE_CAPACITY)).toBe(READ_PAUSE_MS);
  });

  test("output that would fill a 64 KiB pipe in a pause is read without pauses, until it slows down", () => {
    const pacing = new ReadPacing();
    // 2 KiB every 0.04 ms: 50 KiB per ms, over the limit.
    expect(readSteadily(pacing, 2048, 0.04, 1000, 1000 + 2 * RATE_WINDOW_MS)).toBe(0);
    // Then 1 KiB per ms: pauses again once the window says so.
    expect(readSteadily(pacing, 1024, 1, 1021, 1021 + 2 * RATE_WINDOW_MS)).toBe(READ_PAUSE_MS);
  });

  test("output just under the limit keeps its pauses after short reads", () => {
    const pacing = new ReadPacing();
    const bytesPerMs = fastBytesPerMs(DEFAULT_PIPE_CAPACITY) - 1024;
    const read = SHORT_READ_BYTES - 1;
    expect(readSteadily(pacing, read, read / bytesPerMs, 1000, 1000 + 3 * RATE_WINDOW_MS)).toBe(READ_PAUSE_MS);
  });

  test("a flood of 1 KB lines read in the 8-16 KB the pipe holds once the reader has caught up: no pause after those", () => {
    const pacing = new ReadPacing();
    expect(readSteadily(pacing, 8 * 1024, 0.02, 1000, 1000 + 3 * RATE_WINDOW_MS, PIPE_CAPACITY)).toBe(0);
    expect(pacing.afterRead(1000, 1031, PIPE_CAPACITY)).toBe(READ_PAUSE_MS);
  });

  test("a read that finds the pipe three quarters full counts as filling at once, before the window says so", () => {
    const pacing = new ReadPacing();
    expect(pacing.afterRead(100, 1000, DEFAULT_PIPE_CAPACITY)).toBe(READ_PAUSE_MS);
    expect(pacing.filling).toBe(false);
    expect(pacing.afterRead(fillingReadBytes(DEFAULT_PIPE_CAPACITY), 1001, DEFAULT_PIPE_CAPACITY)).toBe(0);
    expect(pacing.filling).toBe(true);
    // One just under it does not.
    const other = new ReadPacing();
    other.afterRead(100, 1000, DEFAULT_PIPE_CAPACITY);
    other.afterRead(fillingReadBytes(DEFAULT_PIPE_CAPACITY) - 1, 1001, DEFAULT_PIPE_CAPACITY);
    expect(other.filling).toBe(false);
  });

  test("the limit is three quarters of the pipe per pause: 48 KiB per ms for 64 KiB", () => {
    expect(fastBytesPerMs(DEFAULT_PIPE_CAPACITY)).toBe(48 * 1024);
    expect(fastBytesPerMs(PIPE_CAPACITY)).toBe(768 * 1024);
  });

  test("a raised pipe keeps the pauses for a flood a 64 KiB one reads without them, and drops them for one that would fill it", () => {
    // 300 KB per ms in reads of 3000 B: a flood of 1 KB lines read as soon as it comes.
    const flood = new ReadPacing();
    expect(readSteadily(flood, 3000, 0.01, 1000, 1000 + 3 * RATE_WINDOW_MS, PIPE_CAPACITY)).toBe(READ_PAUSE_MS);
    const small = new ReadPacing();
    expect(readSteadily(small, 3000, 0.01, 1000, 1000 + 3 * RATE_WINDOW_MS)).toBe(0);
    // Faster than 768 KiB per ms: no pauses even with 1 MiB.
    const faster = new ReadPacing();
    expect(readSteadily(faster, 8 * 1024, 0.01, 1000, 1000 + 3 * RATE_WINDOW_MS, PIPE_CAPACITY)).toBe(0);
  });
});
