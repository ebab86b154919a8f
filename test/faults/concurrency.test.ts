// Commands at the same time, and a supervisor that cannot answer (issue 14), on the compiled binary;
// and the command queue they go through, in-process.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import path from "node:path";
import { CommandQueue, MAX_CONNECTIONS, REQUEST_WITHIN_MS } from "../../src/lifecycle/control/control.ts";
import { cleanEnv, cleanupAll, runnersOf, FIXTURE_RUNNER, killAtEnd, killGroupAtEnd, processAlive, runCli, spawnDevDaemon, startCli, stopSupervisorAtEnd, tempDir, waitFor, type DaemonProcess } from "../helpers.ts";

let daemon: DaemonProcess;
beforeAll(async () => {
  daemon = await spawnDevDaemon();
});
afterAll(() => daemon.stop());

afterEach(cleanupAll);

function setup(extra: Record<string, string> = {}) {
  const home = tempDir();
  stopSupervisorAtEnd(home);
  const env = cleanEnv({ STIGMER_HOME: home, STIGMER_BACKEND_ENDPOINT: daemon.endpoint, TEMPORAL_SERVICE_ADDRESS: daemon.endpoint, ANTHROPIC_API_KEY: "sk-ant-concurrency-12345678", ...extra });
  const cli = (...args: string[]) => runCli(args, env);
  const status = () => JSON.parse(cli("local", "status", "--json").stdout);
  const supervisorPid = (): number => JSON.parse(readFileSync(path.join(home, "run", "supervisor.json"), "utf8")).supervisor.pid;
  return { home, env, cli, status, supervisorPid };
}


/** Every runner this home ever had is killed at the end, whatever the test did. */
function killRunnersAtEnd(home: string): void {
  for (const pid of runnersOf(home)) killGroupAtEnd(pid);
}

function openFdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

describe("commands at the same time", () => {
  test("20 restarts at once: applied one after another, one runner at the end, the one status shows", async () => {
    const s = setup();
    expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER).code).toBe(0);
    const restarts = Array.from({ length: 20 }, () => startCli(["local", "restart"], s.env));
    const codes = await Promise.all(restarts.map((run) => run.exited.then((exit) => exit.code)));
    killRunnersAtEnd(s.home);
    expect(codes).toEqual(Array(20).fill(0));
    const report = s.status();
    expect(report.runner.restarts).toBe(20);
    // A runner just launched may still have short-lived helpers of its own (a pyenv shim's); a second runner stays.
    await waitFor("one runner, the one status shows", () => runnersOf(s.home).join() === String(report.runner.pid), 5000);
  });

  test("restart and stop at once, five times: stop wins or comes after, and nothing is left running", async () => {
    for (let round = 0; round < 5; round++) {
      const s = setup();
      expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER).code).toBe(0);
      const supervisor = s.supervisorPid();
      const restart = startCli(["local", "restart"], s.env);
      const stop = startCli(["local", "stop"], s.env);
      const [restarted, stopped] = await Promise.all([restart.exited, stop.exited]);
      killRunnersAtEnd(s.home);
      expect(stopped.code).toBe(0);
      expect(stop.output()).toContain("Stopped");
      // Applied before the stop, refused because of it, or too late to find a supervisor: never applied after it.
      if (restarted.code === 1) expect(restart.output()).toContain("a stop was requested");
      else if (restarted.code === 3) expect(restart.output()).toContain("No supervisor is running");
      else expect(restarted.code).toBe(0);
      await Bun.sleep(1000);
      expect(runnersOf(s.home)).toEqual([]);
      expect(processAlive(supervisor)).toBe(false);
    }
  });

  test("stop while the stack is still starting: the start gives up with exit 1 and nothing is left", async () => {
    const s = setup({ FIXTURE_READY: "3" });
    const start = startCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER], s.env);
    await waitFor("the runner to be launched", () => runnersOf(s.home).length === 1);
    killRunnersAtEnd(s.home);
    const stop = s.cli("local", "stop");
    expect(stop.code).toBe(0);
    expect(stop.stderr).toContain("Stopped");
    const started = await start.exited;
    expect(started.code).toBe(1);
    expect(start.output()).toContain("Stopped while agent-runner was starting");
    expect(runnersOf(s.home)).toEqual([]);
    expect(existsSync(path.join(s.home, "run", "supervisor.json"))).toBe(false);
  });

  test("stop just after start --detach launched the supervisor, before it took its socket: stopped, not 'nothing to stop'", async () => {
    const s = setup();
    const start = startCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER], s.env);
    // The launched supervisor is frozen the moment it appears, so that the stop comes before it can take its socket.
    const supervisor = await waitFor(
      "the launched supervisor",
      () => {
        const child = childrenOf(start.child.pid!).find((pid) => readCmdline(pid).includes("__supervise"));
        if (child) process.kill(child, "SIGSTOP");
        return child;
      },
      20_000,
      1,
    );
    killAtEnd(supervisor);
    try {
      expect(existsSync(path.join(s.home, "run", "control.sock"))).toBe(false);
      const stop = startCli(["local", "stop"], s.env);
      await Bun.sleep(300);
      process.kill(supervisor, "SIGCONT");
      expect((await stop.exited).code).toBe(0);
      expect(stop.output()).toContain(`Stopped (supervisor pid ${supervisor})`);
    } finally {
      process.kill(supervisor, "SIGCONT");
    }
    expect((await start.exited).code).toBe(1);
    await Bun.sleep(1000);
    killRunnersAtEnd(s.home);
    expect(runnersOf(s.home)).toEqual([]);
    expect(processAlive(supervisor)).toBe(false);
  });
});

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

describe("a supervisor that cannot answer", () => {
  test("frozen with SIGSTOP: restart and status give up within 5 s, and the restart is not applied after SIGCONT", async () => {
    const s = setup();
    expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER).code).toBe(0);
    const before = s.status().runner;
    killGroupAtEnd(before.pid);
    const supervisor = s.supervisorPid();
    process.kill(supervisor, "SIGSTOP");
    try {
      let began = performance.now();
      const restart = s.cli("local", "restart");
      expect(performance.now() - began).toBeLessThan(5000);
      expect(restart.code).toBe(1);
      expect(restart.stderr).toContain(`The supervisor (pid ${supervisor}) did not answer within 3s; agent-runner was not restarted, and will not be.`);

      began = performance.now();
      const status = s.cli("local", "status", "--json");
      expect(performance.now() - began).toBeLessThan(5000);
      expect(status.code).toBe(1);
      const report = JSON.parse(status.stdout);
      expect(report.supervisor.pid).toBe(supervisor);
      expect(report.problem).toContain(`the supervisor (pid ${supervisor}) does not answer`);
      expect(s.cli("local", "status").stderr).toContain(`The supervisor (pid ${supervisor}) does not answer`);
    } finally {
      process.kill(supervisor, "SIGCONT");
    }
    await Bun.sleep(1500);
    const after = s.status().runner;
    expect(after.pid).toBe(before.pid);
    expect(after.restarts).toBe(0);
  });

  test("thousands of idle connections: closed within seconds, capped meanwhile; status, restart and stop still work", async () => {
    const s = setup();
    expect(s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER).code).toBe(0);
    killGroupAtEnd(s.status().runner.pid);
    const supervisor = s.supervisorPid();
    const fdsBefore = openFdCount(supervisor);
    const socketPath = path.join(s.home, "run", "control.sock");
    const idle: Socket[] = [];
    let closed = 0;
    for (let i = 0; i < 3000; i++) {
      const socket = createConnection(socketPath);
      socket.on("error", () => {});
      socket.on("close", () => (closed += 1));
      idle.push(socket);
      if (i % 250 === 0) await Bun.sleep(5);
    }
    try {
      await Bun.sleep(500);
      expect(openFdCount(supervisor)).toBeLessThanOrEqual(fdsBefore + MAX_CONNECTIONS + 5);
      const status = s.cli("local", "status", "--json");
      expect(status.code).toBe(0);
      await waitFor("every idle connection to be closed by the supervisor", () => closed === idle.length, REQUEST_WITHIN_MS + 3000);
      expect(openFdCount(supervisor)).toBeLessThanOrEqual(fdsBefore + 2);
      expect(s.cli("local", "restart").code).toBe(0);
      const report = await waitFor("the new runner to be ready", () => {
        const runner = s.status().runner;
        return runner.state === "running" ? runner : null;
      });
      killGroupAtEnd(report.pid);
      expect(report.restarts).toBe(1);
    } finally {
      for (const socket of idle) socket.destroy();
    }
    expect(s.cli("local", "stop").stderr).toContain("Stopped");
  });
});

describe("CommandQueue", () => {
  test("commands run one at a time, in the order received", async () => {
    const queue = new CommandQueue();
    const log: string[] = [];
    const commands = [1, 2, 3].map((n) =>
      queue.submit(async () => {
        log.push(`begin ${n}`);
        await Bun.sleep(5);
        log.push(`end ${n}`);
        return n;
      }, 1000),
    );
    expect(await Promise.all(commands.map((command) => command.done))).toEqual([1, 2, 3]);
    expect(log).toEqual(["begin 1", "end 1", "begin 2", "end 2", "begin 3", "end 3"]);
  });

  test("each is told by when it will be answered: after the longest the ones ahead may take", () => {
    let now = 1_000_000;
    const queue = new CommandQueue(() => now);
    const first = queue.submit(() => new Promise<void>(() => {}), 10_000);
    const second = queue.submit(async () => {}, 5_000);
    expect(first.answerBy).toBeGreaterThanOrEqual(now + 10_000);
    expect(second.answerBy).toBeGreaterThanOrEqual(now + 15_000);
  });

  test("a command whose turn comes too late to be answered in time is refused, not applied", async () => {
    let now = 0;
    const queue = new CommandQueue(() => now);
    let release!: () => void;
    const first = queue.submit(() => new Promise<void>((resolve) => (release = resolve)), 1000);
    let applied = false;
    const second = queue.submit(async () => {
      applied = true;
    }, 1000);
    await waitFor("the first to begin", () => release);
    // The supervisor was frozen meanwhile: the caller of the second has given up.
    now = second.answerBy;
    release();
    await first.done;
    expect(second.done).rejects.toThrow("too late");
    await second.done.catch(() => {});
    expect(applied).toBe(false);
  });

  test("close refuses what waits and what comes, and waits for the command in progress", async () => {
    const queue = new CommandQueue();
    let release!: () => void;
    let finished = false;
    const running = queue.submit(async () => {
      await new Promise<void>((resolve) => (release = resolve));
      finished = true;
    }, 1000);
    const waiting = queue.submit(async () => "applied", 1000);
    await waitFor("the first to begin", () => release);
    const closed = queue.close("a stop was requested");
    expect(() => queue.submit(async () => {}, 1000)).toThrow("a stop was requested");
    release();
    await closed;
    expect(finished).toBe(true);
    await running.done;
    expect(waiting.done).rejects.toThrow("a stop was requested");
  });
});
