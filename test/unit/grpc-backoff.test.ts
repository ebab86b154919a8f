import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { EXPECTED_REWRITES, withoutLocalTime } from "../../build/grpc-backoff.ts";
import { ROOT } from "../helpers.ts";

const BACKOFF = path.join(ROOT, "node_modules", "@grpc", "grpc-js", "build", "src", "backoff-timeout.js");

test("the installed grpc-js backoff timer computes both end times on the epoch time, with no local-time call left", () => {
  const rewritten = withoutLocalTime(readFileSync(BACKOFF, "utf8"));
  expect(rewritten).not.toMatch(/Milliseconds\(/);
  expect(rewritten.match(/\.setTime\(([\w$.]+)\.getTime\(\) \+ [^;]+\);/g)).toHaveLength(EXPECTED_REWRITES);
});

test("a rewritten addition ends at the time the local-time one does", () => {
  const source = `
    function timerEnd(start, delay) { const end = new Date(start); end.setMilliseconds(end.getMilliseconds() + delay); return end.getTime(); }
    function resetEnd(start, state) { const next = new Date(start); next.setMilliseconds(next.getMilliseconds() + state.nextDelay); return next.getTime(); }
    return [timerEnd, resetEnd];`;
  type Ends = [(start: number, delay: number) => number, (start: number, state: { nextDelay: number }) => number];
  const [timerEnd, resetEnd] = new Function(source)() as Ends;
  const [rewrittenTimerEnd, rewrittenResetEnd] = new Function(withoutLocalTime(source))() as Ends;
  for (const [start, delay] of [
    [0, 1500],
    [Date.UTC(2026, 11, 3, 23, 59, 59, 999), 1],
    [Date.now(), 120_000],
  ] as const) {
    expect(rewrittenTimerEnd(start, delay)).toBe(timerEnd(start, delay));
    expect(rewrittenResetEnd(start, { nextDelay: delay })).toBe(resetEnd(start, { nextDelay: delay }));
    expect(rewrittenTimerEnd(start, delay)).toBe(start + delay);
  }
});

test("a grpc-js whose backoff timer changed fails the build and says where to look", () => {
  const changed = "this.endTime = new Date(this.startTime.getTime() + delay);";
  expect(() => withoutLocalTime(changed)).toThrow(/backoff-timeout\.js changed: 0 of the 2 .*build\/grpc-backoff\.ts/);
  const once = "a.setMilliseconds(a.getMilliseconds() + delay);";
  expect(() => withoutLocalTime(once)).toThrow(/1 of the 2/);
});
