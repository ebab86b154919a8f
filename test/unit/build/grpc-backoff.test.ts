import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { EXPECTED_REWRITES, withoutLocalTime } from "../../../build/grpc-backoff.ts";
import { ROOT } from "../../helpers.ts";

const BACKOFF = path.join(ROOT, "node_modules", "@grpc", "grpc-js", "build", "src", "backoff-timeout.js");

test("the installed grpc-js backoff timer is the one expected: its end times are computed on the epoch time", () => {
  const rewritten = withoutLocalTime(readFileSync(BACKOFF, "utf8"));
  expect(rewritten).toContain("this.endTime.setTime(this.endTime.getTime() + delay);");
  expect(rewritten).toContain("newEndTime.setTime(newEndTime.getTime() + this.nextDelay);");
});

// A zone with daylight-saving time, so that local time and the epoch time can differ (Bun applies TZ at once).
const savedZone = process.env.TZ;
beforeAll(() => {
  process.env.TZ = "America/New_York";
});
afterAll(() => {
  if (savedZone === undefined) delete process.env.TZ;
  else process.env.TZ = savedZone;
});

type EndTimes = [(start: number, delay: number) => number, (start: number, state: { nextDelay: number }) => number];
/** The two expressions as grpc-js writes them, each in a function; the original and the rewritten. */
const LOCAL_TIME_SOURCE = `
  function timerEnd(start, delay) { const end = new Date(start); end.setMilliseconds(end.getMilliseconds() + delay); return end.getTime(); }
  function resetEnd(start, state) { const next = new Date(start); next.setMilliseconds(next.getMilliseconds() + state.nextDelay); return next.getTime(); }
  return [timerEnd, resetEnd];`;

test("a rewritten end time is the start plus the delay, as the local-time one is outside a daylight-saving change", () => {
  expect(new Date(Date.UTC(2026, 0, 15)).getTimezoneOffset()).toBe(300);
  const [timerEnd, resetEnd] = new Function(LOCAL_TIME_SOURCE)() as EndTimes;
  const [rewrittenTimerEnd, rewrittenResetEnd] = new Function(withoutLocalTime(LOCAL_TIME_SOURCE))() as EndTimes;
  for (const [start, delay] of [
    [0, 1500],
    [Date.UTC(2026, 11, 3, 23, 59, 59, 999), 1],
    [Date.UTC(2026, 5, 1, 12), 120_000],
    [Date.UTC(2026, 5, 1, 12), 1000.7],
  ] as const) {
    expect(rewrittenTimerEnd(start, delay)).toBe(Math.floor(start + delay));
    expect(rewrittenTimerEnd(start, delay)).toBe(timerEnd(start, delay));
    expect(rewrittenResetEnd(start, { nextDelay: delay })).toBe(resetEnd(start, { nextDelay: delay }));
  }
});

test("across the autumn change, the rewritten end time is the start plus the delay, where the local-time one is an hour later", () => {
  // 2026-11-01 05:30 UTC is 01:30 EDT; an hour later the clocks have gone back: 01:30 EST.
  const start = Date.UTC(2026, 10, 1, 5, 30);
  const hour = 3_600_000;
  const [timerEnd] = new Function(LOCAL_TIME_SOURCE)() as EndTimes;
  const [rewrittenTimerEnd] = new Function(withoutLocalTime(LOCAL_TIME_SOURCE))() as EndTimes;
  expect(rewrittenTimerEnd(start, hour)).toBe(start + hour);
  expect(timerEnd(start, hour)).toBe(start + 2 * hour);
});

test("a grpc-js whose backoff timer changed fails the build and says where to look", () => {
  expect(() => withoutLocalTime("this.endTime = new Date(this.startTime.getTime() + delay);")).toThrow(
    new RegExp(`0 of the ${EXPECTED_REWRITES} expected local-time additions found\\. Check build/grpc-backoff\\.ts`),
  );
  expect(() => withoutLocalTime("a.setMilliseconds(a.getMilliseconds() + delay);")).toThrow(`1 of the ${EXPECTED_REWRITES}`);
  const withAnother = `${"a.setMilliseconds(a.getMilliseconds() + delay);\n".repeat(EXPECTED_REWRITES)}b.setMilliseconds(0);`;
  expect(() => withoutLocalTime(withAnother)).toThrow("a local-time call is left");
});
