// grpc-js's backoff timer without local time.
//
// grpc-js times a new channel's name resolution and each subchannel's connection attempts with a
// BackoffTimeout, whose end time is `date.setMilliseconds(date.getMilliseconds() + delay)`. Those
// are local-time operations, and a compiled Bun program's first one loads ICU's time-zone data:
// 4-6 ms of CPU, with TZ set or not (bench/RESULTS.md, 2026-12-03). `local start` pays it before
// its runner may start, `local status` before it answers, the health checker before its first
// answer; nothing else in stigmer needs local time there. Adding the delay to the epoch time gives
// the same end time outside a daylight-saving change and the right one across it. The build fails
// if the file no longer holds exactly the expressions expected, or was not bundled at all, so an
// upgrade of grpc-js is looked at.
import type { GrpcRewrites } from "./grpc-source.ts";

/** `X.setMilliseconds(X.getMilliseconds() + DELAY);`, X a dotted name. */
const LOCAL_TIME_ADD = /\b([\w$]+(?:\.[\w$]+)*)\.setMilliseconds\(\1\.getMilliseconds\(\) \+ ([^;]+?)\);/g;
/** grpc-js 1.14: runTimer's end time and reset's new end time. */
export const EXPECTED_REWRITES = 2;

/** The source with each local-time addition made on the epoch time; throws unless exactly EXPECTED_REWRITES were found and no other local-time call is left. Pure. */
export function withoutLocalTime(source: string): string {
  let rewrites = 0;
  const rewritten = source.replace(LOCAL_TIME_ADD, (_match, date: string, delay: string) => {
    rewrites += 1;
    return `${date}.setTime(${date}.getTime() + ${delay});`;
  });
  const check = "Check build/grpc-backoff.ts against it.";
  if (rewrites !== EXPECTED_REWRITES) {
    throw new Error(`@grpc/grpc-js's backoff-timeout.js changed: ${rewrites} of the ${EXPECTED_REWRITES} expected local-time additions found. ${check}`);
  }
  if (/\b(?:set|get)Milliseconds\(/.test(rewritten)) {
    throw new Error(`@grpc/grpc-js's backoff-timeout.js changed: a local-time call is left beside the ${EXPECTED_REWRITES} additions rewritten. ${check}`);
  }
  return rewritten;
}

/** What build/grpc-source.ts rewrites for this file. */
export const BACKOFF_REWRITES: GrpcRewrites = { "backoff-timeout.js": withoutLocalTime };
