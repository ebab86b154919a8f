// How the runner's output reaches the supervisor: real pipes made from FIFOs under Bun
// (src/platform/process/output-pipes.ts), read when a thread of ours finds them readable
// (readable-wait.ts), and "pipe" stdio when no FIFO can be made.
import { afterEach, describe, expect, test } from "bun:test";
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { WAIT_THREAD_NAME } from "../../src/platform/process/readable-wait.ts";
import { cleanEnv, cleanupAll, FIXTURE_RUNNER, killAtEnd, processAlive, runCli, startCli, stopSupervisorAtEnd, tempDir, waitFor } from "../helpers.ts";

afterEach(cleanupAll);

/** The interpreter itself: a pyenv shim on PATH is a shell script that needs PATH to work. */
const PYTHON = Bun.spawnSync(["python3", "-c", "import sys; print(sys.executable)"]).stdout.toString().trim();

function setup(extra: Record<string, string> = {}) {
  const home = tempDir();
  const scratch = tempDir("stigmer-tmpdir-");
  const env = cleanEnv({ STIGMER_HOME: home, TMPDIR: scratch, STIGMER_LLM_PROVIDER: "ollama", ...extra });
  return { home, scratch, env, runnerLog: path.join(home, "logs", "agent-runner.log") };
}

function start(env: Record<string, string>, extra: string[] = []) {
  return startCli(["local", "start", "--no-wait-daemon", "--runner", FIXTURE_RUNNER, "--python", PYTHON, ...extra], env);
}

function runnerPid(log: string): number | null {
  const match = /runner started \(pid (\d+)\)/.exec(log);
  return match ? Number(match[1]) : null;
}

/** Where a descriptor's link points; "" once it is closed. */
function linkOf(link: string): string {
  try {
    return readlinkSync(link);
  } catch {
    return "";
  }
}

function openDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** How many of `pid`'s threads wait for a pipe to be readable (readable-wait.ts names them). */
function waitThreads(pid: number | "self"): number {
  const names = readdirSync(`/proc/${pid}/task`).map((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/comm`, "utf8").trim();
    } catch {
      return "";
    }
  });
  return names.filter((name) => name === WAIT_THREAD_NAME).length;
}

/** A FIFO of our own, both ends open (the read end non-blocking, as the supervisor's), its name gone. */
function fifo(): { read: number; write: number } {
  const dir = tempDir("stigmer-fifo-");
  const name = path.join(dir, "pipe");
  expect(Bun.spawnSync(["mkfifo", name]).exitCode).toBe(0);
  const read = openSync(name, constants.O_RDONLY | constants.O_NONBLOCK);
  return { read, write: openSync(name, constants.O_WRONLY) };
}

/**
 * A runner that starts a helper in a session of its own (as agents start browsers), which holds
 * the runner's stdout and stderr for 60 s and prints "helper <pid>"; then the runner prints its
 * ready line and serves ("serve": sleeps) or exits 1 ("exit").
 */
function escapingRunner(home: string, then: "serve" | "exit"): string {
  const dir = path.join(home, `escaping-${then}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, "main.py"),
    [
      "import subprocess, sys, time",
      'helper = subprocess.Popen(["sleep", "60"], start_new_session=True)',
      'print(f"helper {helper.pid}", flush=True)',
      'print("Worker ready", flush=True)',
      then === "serve" ? "time.sleep(3600)" : "sys.exit(1)",
      "",
    ].join("\n"),
  );
  return dir;
}

function helperPids(output: string): number[] {
  return [...output.matchAll(/^helper (\d+)$/gm)].map((match) => Number(match[1]));
}

describe("the runner's output channel", () => {
  test("stdout and stderr are pipes whose names are gone, and nothing is left in TMPDIR", async () => {
    const s = setup({ FIXTURE_SAY: "hello on stdout", FIXTURE_SAY_ERR: "hello on stderr" });
    const cli = start(s.env);
    const pid = await waitFor("the runner to start", () => runnerPid(cli.output()));
    await waitFor("both lines in the log", () => {
      const log = existsSync(s.runnerLog) ? readFileSync(s.runnerLog, "utf8") : "";
      return log.includes("hello on stdout") && log.includes("hello on stderr");
    });
    for (const fd of [1, 2]) {
      expect(statSync(`/proc/${pid}/fd/${fd}`).isFIFO()).toBe(true);
      expect(readlinkSync(`/proc/${pid}/fd/${fd}`)).toMatch(/ \(deleted\)$/);
    }
    // Each is read when a thread of the supervisor's finds it readable.
    expect(waitThreads(cli.child.pid!)).toBe(2);
    // The pair for the next run is already open, and its names are removed as well. What may be
    // there is Bun's own: the headers its C compiler keeps per user, for the reader's thread.
    await Bun.sleep(300);
    expect(readdirSync(s.scratch).filter((name) => name !== `bun-cc-${process.getuid!()}`)).toEqual([]);
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
  });

  test("a crash loop does not leak descriptors: each run's pipes are closed once it is over", async () => {
    const s = setup({ FIXTURE_MODE: "exit", FIXTURE_SAY: "short run" });
    const cli = start(s.env, ["--restart", "always", "--restart-delay", "0", "--min-uptime", "0", "--max-restarts", "1000"]);
    const supervisor = cli.child.pid!;
    const restarts = () => (cli.output().match(/runner started/g) ?? []).length;
    await waitFor("5 runs", () => restarts() >= 5);
    const early = openDescriptors(supervisor);
    await waitFor("40 runs", () => restarts() >= 40, 60_000);
    // A run or two may be between spawn and exit at either look, each holding up to 10 (its two
    // pipes' read ends, and for each a wait thread's control and reply pipes); 30 leaked runs would be 60 or more.
    expect(openDescriptors(supervisor)).toBeLessThanOrEqual(early + 20);
    // Nor threads: each run's two stop with its pipes.
    expect(waitThreads(supervisor)).toBeLessThanOrEqual(4);
    await waitFor("every run's line in the log", () => (readFileSync(s.runnerLog, "utf8").match(/short run/g) ?? []).length >= 40);
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
  });

  test("a helper the runner left in a session of its own, holding its output, keeps neither the pipes nor the supervisor: stop ends it at once, in the foreground and the background", async () => {
    const s = setup();
    const runner = escapingRunner(s.home, "serve");
    const cli = startCli(["local", "start", "--no-wait-daemon", "--runner", runner, "--python", PYTHON], s.env);
    const helper = await waitFor("the helper", () => helperPids(cli.output())[0]);
    killAtEnd(helper);
    await waitFor("the ready line", () => cli.output().includes("Worker ready"));
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    // Stopped without waiting for the helper's 60 s: it still runs, out of reach as the README says.
    expect(processAlive(helper)).toBe(true);

    const detached = runCli(["local", "start", "--detach", "--no-wait-daemon", "--runner", runner, "--python", PYTHON], s.env);
    expect(detached.code).toBe(0);
    stopSupervisorAtEnd(s.home);
    const background = await waitFor("the second helper", () => {
      const log = existsSync(s.runnerLog) ? readFileSync(s.runnerLog, "utf8") : "";
      return helperPids(log)[1];
    });
    killAtEnd(background);
    const stop = runCli(["local", "stop"], s.env);
    expect(stop.code).toBe(0);
    expect(stop.stdout + stop.stderr).not.toContain("killed");
  });

  test("a worker in the runner's group is read until it has stopped: its last lines, printed a second into the stop, are kept", async () => {
    const s = setup();
    const dir = path.join(s.home, "worker-runner");
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, "main.py"),
      [
        "import subprocess, time",
        `subprocess.Popen(["/bin/sh", "-c", "trap 'echo worker: bye; sleep 1; echo worker: flushing; exit 0' TERM; while :; do sleep 0.1; done"])`,
        'print("Worker ready", flush=True)',
        "time.sleep(3600)",
        "",
      ].join("\n"),
    );
    const cli = startCli(["local", "start", "--no-wait-daemon", "--runner", dir, "--python", PYTHON], s.env);
    await waitFor("the ready line", () => cli.output().includes("Worker ready"));
    await Bun.sleep(300);
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    expect(cli.output()).toContain("worker: flushing");
    expect(readFileSync(s.runnerLog, "utf8")).toContain("worker: flushing");
  });

  test("a crash loop whose runs each leave such a helper leaks no threads or descriptors", async () => {
    const s = setup();
    const cli = startCli(
      ["local", "start", "--no-wait-daemon", "--runner", escapingRunner(s.home, "exit"), "--python", PYTHON, "--restart", "always", "--restart-delay", "0", "--min-uptime", "0", "--max-restarts", "1000"],
      s.env,
    );
    const supervisor = cli.child.pid!;
    const runs = () => helperPids(cli.output());
    await waitFor("3 runs", () => runs().length >= 3, 60_000);
    const early = openDescriptors(supervisor);
    await waitFor("12 runs", () => runs().length >= 12, 60_000);
    for (const pid of runs()) killAtEnd(pid);
    // Each run's pipes, with their two threads, are let go once it is over, helper or not.
    expect(waitThreads(supervisor)).toBeLessThanOrEqual(4);
    expect(openDescriptors(supervisor)).toBeLessThanOrEqual(early + 20);
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    for (const pid of runs()) killAtEnd(pid);
  });

  test("without mkfifo on PATH the runner gets sockets, and its output still reaches the log", async () => {
    const bin = tempDir("stigmer-bin-");
    mkdirSync(path.join(bin, "only"));
    symlinkSync(PYTHON, path.join(bin, "only", "python3"));
    const s = setup({ FIXTURE_SAY: "said without a fifo", PATH: path.join(bin, "only") });
    const cli = start(s.env);
    const pid = await waitFor("the runner to start", () => runnerPid(cli.output()));
    await waitFor("the line in the log", () => existsSync(s.runnerLog) && readFileSync(s.runnerLog, "utf8").includes("said without a fifo"));
    expect(statSync(`/proc/${pid}/fd/1`).isSocket()).toBe(true);
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
  });

  test("a pair prepared ahead is the one the next child gets", async () => {
    const { prepareOutputPipes, takeOutputPipes } = await import("../../src/platform/process/output-pipes.ts");
    const saved = process.env.TMPDIR;
    const scratch = tempDir("stigmer-tmpdir-");
    // Our descriptors of FIFOs made under `scratch` (whose names are gone by then).
    const fifoEnds = () => readdirSync("/proc/self/fd").filter((fd) => linkOf(`/proc/self/fd/${fd}`).startsWith(scratch)).map(Number);
    process.env.TMPDIR = scratch;
    try {
      prepareOutputPipes();
      // Both FIFOs, each open at both ends, before any child asks.
      const prepared = await waitFor("the prepared pair", () => {
        const ends = fifoEnds();
        return ends.length === 4 && readdirSync(scratch).length === 0 ? ends : null;
      });
      const pipes = takeOutputPipes(new AbortController().signal)!;
      expect(prepared).toEqual(expect.arrayContaining([...pipes.writeEnds]));
      pipes.closeWriteEnds();
      // With no writer left, both streams end at once (and close their read ends).
      for (const stream of [pipes.stdout, pipes.stderr]) for await (const chunk of stream) throw new Error(`unexpected output: ${chunk.byteLength} bytes`);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  test("a process that exits while its pair is being made leaves nothing in TMPDIR", async () => {
    const scratch = tempDir("stigmer-tmpdir-");
    const module = path.resolve(import.meta.dir, "../../src/platform/process/output-pipes.ts");
    const script = `const { prepareOutputPipes } = await import(${JSON.stringify(module)}); prepareOutputPipes(); process.exit(0);`;
    const exited = Bun.spawnSync([process.execPath, "-e", script], { env: cleanEnv({ TMPDIR: scratch }) });
    expect(exited.exitCode).toBe(0);
    // Long enough for a mkfifo left running to have made its FIFOs, had their directory still been there.
    await Bun.sleep(300);
    expect(readdirSync(scratch)).toEqual([]);
  });

  test("a wait ends once the pipe is readable, or has no writer left; closed, its thread stops", async () => {
    const { readableWait } = await import("../../src/platform/process/readable-wait.ts");
    const { read, write } = fifo();
    const before = waitThreads("self");
    const wait = (await readableWait(read))!;
    expect(wait).not.toBeNull();
    await waitFor("its thread", () => waitThreads("self") === before + 1);
    let woke = false;
    const readable = wait.readable().then(() => (woke = true));
    await Bun.sleep(200);
    expect(woke).toBe(false);
    writeSync(write, "x");
    await readable;
    const buffer = new Uint8Array(16);
    expect(readSync(read, buffer)).toBe(1);
    closeSync(write);
    await wait.readable();
    expect(readSync(read, buffer)).toBe(0);
    wait.close();
    await waitFor("its thread to stop", () => waitThreads("self") === before);
    closeSync(read);
  });

  test("a process waiting for a pipe stays alive until it is readable", async () => {
    const { read, write } = fifo();
    const module = path.resolve(import.meta.dir, "../../src/platform/process/readable-wait.ts");
    // Nothing else keeps this process alive: its only work is the wait on its fd 3.
    const script = [
      `const { readableWait } = await import(${JSON.stringify(module)});`,
      `const wait = await readableWait(3);`,
      `await wait.readable();`,
      `console.log(require("node:fs").readFileSync(3, "utf8"));`,
      `wait.close();`,
    ].join(" ");
    const child = Bun.spawn([process.execPath, "-e", script], { stdio: ["ignore", "pipe", "inherit", read], env: cleanEnv() });
    closeSync(read);
    await Bun.sleep(500);
    writeSync(write, "written late");
    closeSync(write);
    expect(await child.exited).toBe(0);
    expect((await new Response(child.stdout).text()).trim()).toBe("written late");
  });

  test("a flood arrives whole and in order", async () => {
    const s = setup({ FIXTURE_MODE: "flood", FIXTURE_FLOOD_MB: "30" });
    const cli = start(s.env, ["--restart", "never", "--log-max-size", "1GiB"]);
    expect((await cli.exited).code).toBe(0);
    const [readyLine, ...lines] = readFileSync(s.runnerLog, "utf8").split("\n");
    expect(readyLine).toBe("Worker ready, polling for tasks...");
    lines.pop();
    expect(lines.length).toBe(300_000);
    lines.forEach((line, index) => {
      if (!line.startsWith(String(index).padStart(8, "0"))) throw new Error(`line ${index} is out of place: ${line.slice(0, 20)}`);
    });
  });
});
