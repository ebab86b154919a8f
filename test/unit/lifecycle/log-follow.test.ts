// `logs -f`'s follower (followFile) against the supervisor's own writer (LogFile), on real files:
// what it reads when the log rotates, is moved away, is removed, or is one file kept.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, fstatSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { followFile, openLog } from "../../../src/lifecycle/process/log-tail.ts";
import { LogFile, type LogRotation } from "../../../src/lifecycle/process/logs.ts";
import { cleanupAll, tempDir, waitFor } from "../../helpers.ts";

afterEach(cleanupAll);

/** A writer of one log, and `follow()` to start a follower; `numbers()` are the line numbers it printed, in order. */
function followed(rotation: LogRotation) {
  const file = path.join(tempDir(), "x.log");
  const log = new LogFile(file, () => {}, rotation);
  let next = 1;
  const writeLines = (count: number) => {
    for (let i = 0; i < count; i++) {
      // Lines of different lengths: a read that starts where a line does not is seen.
      log.write(`line ${next} ${"x".repeat(20 + ((next * 7) % 31))}\n`);
      next += 1;
      log.flush();
    }
  };
  let text = "";
  const stop = new AbortController();
  let following: Promise<void> | null = null;
  return {
    file,
    log,
    writeLines,
    /** Follows from the log's start, or from its end as it is now (as `logs -f -n 0`). */
    follow(from: "start" | "end") {
      const fd = openLog(file)!;
      following = followFile(file, { fd, position: from === "start" ? 0 : fstatSync(fd).size }, (bytes) => (text += bytes.toString()), stop.signal);
    },
    written: () => next - 1,
    lines: () => text.split("\n").filter((line) => line !== ""),
    numbers: () => text.split("\n").filter((line) => line !== "").map((line) => Number(line.split(" ")[1])),
    async end() {
      stop.abort();
      await following;
      log.close();
    },
  };
}

function expectConsecutive(numbers: number[], first: number, last: number): void {
  expect(numbers).toEqual(Array.from({ length: last - first + 1 }, (_, index) => first + index));
}

describe("followFile", () => {
  test("a log moved away under another name is read to its end, then the new log at the path from its start", async () => {
    const f = followed({ maxBytes: 1 << 20, files: 3 });
    f.follow("start");
    f.writeLines(50);
    await waitFor("50 lines", () => f.numbers().length === 50);
    renameSync(f.file, path.join(path.dirname(f.file), "kept.log"));
    // Still to the file moved away: the writer looks at its path at most once a second.
    f.writeLines(10);
    await Bun.sleep(1_100);
    f.writeLines(40);
    expect(existsSync(f.file)).toBe(true);
    await waitFor("all 100 lines", () => f.numbers().length >= 100, 10_000);
    await f.end();
    expectConsecutive(f.numbers(), 1, 100);
  });

  test("the log removed while rotated files are there: no older line is printed again, and the new log goes on", async () => {
    const f = followed({ maxBytes: 1000, files: 4 });
    f.writeLines(100);
    expect(existsSync(`${f.file}.3`)).toBe(true);
    f.follow("end");
    const from = f.written() + 1;
    f.writeLines(5);
    await waitFor("the 5 lines", () => f.numbers().length === 5);
    rmSync(f.file);
    await Bun.sleep(1_100);
    f.writeLines(10);
    await waitFor("10 more lines", () => f.numbers().length >= 15, 10_000);
    await Bun.sleep(400);
    await f.end();
    expectConsecutive(f.numbers(), from, from + 14);
  }, 30_000);

  test("one file kept (--log-files 1): a follower prints whole lines, in order, while the log starts again and again", async () => {
    const f = followed({ maxBytes: 2000, files: 1 });
    f.follow("start");
    for (let round = 0; round < 100; round++) {
      f.writeLines(10 + ((round * 13) % 27));
      await Bun.sleep(15);
    }
    const last = f.written();
    await waitFor("the last line", () => f.numbers().at(-1) === last, 10_000);
    await f.end();
    // A file replaced twice between two of the follower's looks is lost with nothing kept of it; no line is cut or printed twice.
    for (const line of f.lines()) expect(line).toMatch(/^line \d+ x+$/);
    f.numbers().forEach((n, index, all) => index > 0 && expect(n).toBeGreaterThan(all[index - 1]!));
  });
});
