import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { sleep, unrefTimeout } from "../../../src/platform/process/timers.ts";
import { ROOT, tempDir } from "../../helpers.ts";

describe("timers", () => {
  test("sleep waits its time", async () => {
    const began = performance.now();
    await sleep(50);
    expect(performance.now() - began).toBeGreaterThanOrEqual(45);
  });

  test("sleep ends at once when its signal aborts, or has aborted, and never rejects", async () => {
    const controller = new AbortController();
    const began = performance.now();
    const waiting = sleep(60_000, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await waiting;
    expect(performance.now() - began).toBeLessThan(1_000);
    await sleep(60_000, { signal: controller.signal });
  });

  test("unrefTimeout fires while the process lives", async () => {
    let fired = false;
    unrefTimeout(() => (fired = true), 10);
    await sleep(50);
    expect(fired).toBe(true);
  });

  // A program whose only work left is an unref'd timer (or an unref'd sleep) of a minute must end at once, under Bun and Deno.
  const program = (dir: string) => {
    const file = path.join(dir, "idle.ts");
    writeFileSync(file, `import { sleep, unrefTimeout } from ${JSON.stringify(path.join(ROOT, "src", "platform", "process", "timers.ts"))};\nunrefTimeout(() => console.log("fired"), 60_000);\nvoid sleep(60_000, { unref: true }).then(() => console.log("slept"));\nconsole.log("started");\n`);
    return file;
  };
  const runtimes: [string, string, (file: string) => string[]][] = [
    ["Bun", process.execPath, (file) => [file]],
    ["Deno", path.join(ROOT, "node_modules", ".bin", "deno"), (file) => ["run", "-A", file]],
  ];
  for (const [name, runtime, args] of runtimes) {
    test(`an unref'd timer does not keep a program alive under ${name}`, () => {
      const result = spawnSync(runtime, args(program(tempDir())), { encoding: "utf8", timeout: 30_000 });
      expect(result.status).toBe(0);
      expect(result.stdout).toBe("started\n");
    });
  }
});
