// Starting children (src/platform/process/spawn.ts), both ways: Bun.spawn, and the node:child_process
// fallback that Deno uses, run here under Bun. Real processes throughout.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readProcStat } from "../../../src/platform/process/proc.ts";
import { bunSpawner, nodeSpawner, type OutputStream, type Spawner } from "../../../src/platform/process/spawn.ts";
import { cleanupAll, processAlive, ROOT, tempDir, waitFor } from "../../helpers.ts";

afterEach(cleanupAll);

async function readAll(stream: OutputStream | null): Promise<string> {
  let text = "";
  for await (const chunk of stream ?? []) text += Buffer.from(chunk).toString("utf8");
  return text;
}

const SPAWNERS: [string, Spawner][] = [
  ["Bun.spawn", bunSpawner!],
  ["node:child_process", nodeSpawner],
];

describe.each(SPAWNERS)("%s", (name, spawner) => {
  test("its exit code, and its stdout and stderr through pipes", async () => {
    const child = spawner.start("sh", ["-c", "echo to stdout; echo to stderr >&2; exit 3"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    expect(child.pid).toBeGreaterThan(0);
    const [stdout, stderr, exit] = await Promise.all([readAll(child.stdout), readAll(child.stderr), child.exited]);
    expect({ stdout, stderr }).toEqual({ stdout: "to stdout\n", stderr: "to stderr\n" });
    expect(exit).toEqual({ code: 3, signal: null });
  });

  test("detached, it leads a process group of its own; killed, it ends with the signal's name", async () => {
    const child = spawner.start("sleep", ["30"], { detached: true, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    expect(readProcStat(child.pid)?.pgrp).toBe(child.pid);
    process.kill(child.pid, "SIGTERM");
    expect(await child.exited).toEqual({ code: null, signal: "SIGTERM" });
  });

  test("its working directory and environment are the ones given", async () => {
    const dir = tempDir();
    const child = spawner.start("sh", ["-c", 'echo "$PWD $GREETING"'], { cwd: dir, env: { GREETING: "hello", PATH: process.env.PATH! }, stdin: "ignore", stdout: "pipe", stderr: "ignore" });
    expect(await readAll(child.stdout)).toBe(`${dir} hello\n`);
  });

  test("a file that is missing or not executable is not thrown: it is how the child ends", async () => {
    const missing = spawner.start("/nonexistent/runner", [], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    expect(missing.pid).toBe(-1);
    expect((await missing.exited).startError?.code).toBe("ENOENT");
    const script = path.join(tempDir(), "not-executable.sh");
    writeFileSync(script, "#!/bin/sh\necho hi\n");
    chmodSync(script, 0o644);
    const refused = await spawner.start(script, [], { stdin: "ignore", stdout: "ignore", stderr: "ignore" }).exited;
    expect(refused).toMatchObject({ code: null, signal: null, startError: { code: "EACCES" } });
  });

  test("what is written to its stdin is read, and its end ends the reading", async () => {
    const child = spawner.start("sh", ["-c", 'while IFS= read -r line; do echo "got $line"; done'], { stdin: "pipe", stdout: "pipe", stderr: "ignore" });
    child.stdin!.write("one\n");
    child.stdin!.write("two\n");
    child.stdin!.end();
    expect(await readAll(child.stdout)).toBe("got one\ngot two\n");
    expect((await child.exited).code).toBe(0);
  });

  test("its output can go to a descriptor of ours", async () => {
    const file = path.join(tempDir(), "out.txt");
    const fd = openSync(file, "w");
    const child = spawner.start("sh", ["-c", "echo into the file"], { stdin: "ignore", stdout: fd, stderr: fd });
    closeSync(fd);
    expect((await child.exited).code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("into the file\n");
  });

  test("runToEnd: the exit code and what it printed; a command that does not exist is no exit code", () => {
    expect(spawner.runToEnd("sh", ["-c", "echo printed; exit 4"], { stdout: "text" })).toEqual({ status: 4, stdout: "printed\n" });
    expect(spawner.runToEnd("sh", ["-c", "echo dropped"], { stdout: "ignore" })).toEqual({ status: 0, stdout: "" });
    expect(spawner.runToEnd("/nonexistent/tool", [], { stdout: "text" }).status).toBeNull();
  });

  test("unref: the parent exits while the child, and the pipe to its stdin, still run", async () => {
    const module = path.join(ROOT, "src", "platform", "process", "spawn.ts");
    const program = `
      const { bunSpawner, nodeSpawner } = await import(${JSON.stringify(module)});
      const spawner = ${JSON.stringify(name)} === "Bun.spawn" ? bunSpawner : nodeSpawner;
      const child = spawner.start("sleep", ["30"], { detached: true, stdin: "pipe", stdout: "ignore", stderr: "ignore" });
      child.stdin.write("kept open\\n");
      child.unref();
      console.log(child.pid);`;
    const began = performance.now();
    const parent = Bun.spawnSync([process.execPath, "-e", program], { stdout: "pipe", stderr: "pipe" });
    const sleeper = Number(parent.stdout.toString());
    try {
      expect(parent.exitCode).toBe(0);
      expect(performance.now() - began).toBeLessThan(10_000);
      expect(processAlive(sleeper)).toBe(true);
    } finally {
      process.kill(sleeper, "SIGKILL");
    }
    await waitFor("the sleeper to be gone", () => !processAlive(sleeper));
  });
});
