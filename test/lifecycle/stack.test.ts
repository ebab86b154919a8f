// The whole local stack: Temporal (a stand-in CLI), stigmer-server (--server) and the runner, in order.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { installTemporalCli } from "../../examples/temporal-cli.ts";
import {
  cleanEnv,
  cleanupAll,
  FIXTURE_RUNNER,
  FIXTURES,
  freePort,
  killGroupAtEnd,
  processAlive,
  ROOT,
  runCli,
  spawnDevDaemon,
  startCli,
  stopSupervisorAtEnd,
  tempDir,
  waitFor,
} from "../helpers.ts";

afterEach(cleanupAll);

const SERVER = path.join(FIXTURES, "daemon-server.sh");
const DEMO_RUNNER = path.join(ROOT, "examples", "agent-runner");
const KEY = "sk-ant-stack-test-1234567890";

async function setup(extra: Record<string, string> = {}) {
  const home = tempDir();
  stopSupervisorAtEnd(home);
  const work = tempDir("stigmer-work-");
  const bin = path.join(work, "bin");
  mkdirSync(bin);
  const temporalCli = installTemporalCli(bin);
  const port = await freePort();
  const temporalPort = await freePort();
  const file = (name: string) => path.join(work, name);
  const env = cleanEnv({
    STIGMER_HOME: home,
    ANTHROPIC_API_KEY: KEY,
    STIGMER_BACKEND_ENDPOINT: `127.0.0.1:${port}`,
    TEMPORAL_SERVICE_ADDRESS: `127.0.0.1:${temporalPort}`,
    STIGMER_TEMPORAL: "auto",
    PATH: `${bin}:${process.env.PATH}`,
    DAEMON_SERVER_BUN: process.execPath,
    DAEMON_SERVER_PORT: String(port),
    DAEMON_SERVER_STARTS: file("server-starts"),
    FIXTURE_STARTS: file("runner-starts"),
    STANDIN_TEMPORAL_STARTS: file("temporal-starts"),
    ...extra,
  });
  const lines = (name: string) => (existsSync(file(name)) ? readFileSync(file(name), "utf8").trim().split("\n").filter(Boolean) : []);
  const cli = (...args: string[]) => runCli(args, env);
  const status = () => JSON.parse(cli("local", "status", "--json").stdout);
  const supervisorLog = () => readFileSync(path.join(home, "logs", "supervisor.log"), "utf8");
  return { home, work, bin, temporalCli, env, port, temporalPort, lines, cli, status, supervisorLog };
}

/** Processes whose command line mentions `text` (a test's own temp directory): what a test must not leave behind. */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text) && processAlive(Number(entry))) found.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}

/** Each named event's position in the supervisor's log, which must be in the order given. */
function expectInOrder(log: string, events: string[]): void {
  const positions = events.map((event) => log.indexOf(event));
  for (const [index, position] of positions.entries()) if (position < 0) throw new Error(`"${events[index]}" is not in the log:\n${log}`);
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
}

describe("the stack in order", () => {
  test("temporal → stigmer-server → agent-runner, each once the one before is ready; stopped in reverse, Temporal last", async () => {
    const s = await setup();
    const cli = startCli(["local", "start", "--runner", FIXTURE_RUNNER, "--server", SERVER], s.env);
    await waitFor("the stack", () => cli.output().includes("stack ready in"), 30_000);
    // The terminal has it first; the log file gets it within a few milliseconds (writes are gathered).
    await waitFor("the stack in the supervisor's log", () => s.supervisorLog().includes("stack ready in"));
    expect(cli.output()).toContain(`temporal  ${s.temporalCli} server start-dev --ip 127.0.0.1 --port ${s.temporalPort}`);
    expect(cli.output()).toContain(`UI http://127.0.0.1:${s.temporalPort + 1000}`);
    expectInOrder(s.supervisorLog(), [
      "temporal started",
      "temporal ready",
      "stigmer-server started",
      "stigmer-server ready",
      "agent-runner started",
      "agent-runner ready",
      "stack ready in",
    ]);
    const stamps = s.supervisorLog().split("\n").filter(Boolean).map((line) => Date.parse(line.split(" ")[0]!));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    // The server was told where Temporal is; the dev server keeps its database under STIGMER_HOME.
    expect(s.lines("server-starts")[0]!.split(" ")[1]).toBe(`127.0.0.1:${s.temporalPort}`);
    expect(readFileSync(path.join(s.home, "temporal", "dev.db"), "utf8")).toContain("start ");
    const temporalServing = Number(s.lines("temporal-starts")[0]!.split(" ")[0]);
    expect(temporalServing).toBeLessThanOrEqual(Date.parse(/^(\S+) info {2}stigmer-server started/m.exec(s.supervisorLog())![1]!));

    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    expectInOrder(s.supervisorLog(), [
      "stopping agent-runner",
      "agent-runner stopped",
      "stopping stigmer-server",
      "stigmer-server stopped",
      "stopping temporal",
      "temporal stopped",
    ]);
    expect(s.lines("temporal-starts").at(-1)).toEndWith(" stop");
    expect(processesMentioning(s.work)).toEqual([]);
  });

  test("in the background: status lists the three components; logs and restart take a component's name", async () => {
    const s = await setup();
    const started = s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER, "--server", SERVER, "--restart-delay", "100ms");
    expect(started.code).toBe(0);
    expect(started.stderr).toContain("Running in the background");
    const before = s.status();
    expect(before.components.map((member: { name: string }) => member.name)).toEqual(["temporal", "stigmer-server", "agent-runner"]);
    for (const member of before.components) {
      expect(member).toMatchObject({ state: "running", restarts: 0, ready: true, lastExitCode: null, lastSignal: null });
      expect(member.log).toBe(path.join(s.home, "logs", `${member.name}.log`));
      expect(Number.isNaN(Date.parse(member.readyAt))).toBe(false);
      killGroupAtEnd(member.pid);
    }
    const [temporal, server, runner] = before.components;
    expect(before.runner).toMatchObject({ pid: runner.pid, state: "running", ready: true });
    expect(before.logs.runner).toBe(runner.log);

    expect(s.cli("local", "logs", "temporal").stdout).toContain(`Server:  127.0.0.1:${s.temporalPort}`);
    expect(s.cli("local", "logs", "stigmer-server").stdout).toContain(`listening on 127.0.0.1:${s.port}`);
    expect(s.cli("local", "logs").stdout).toContain("Worker ready, polling for tasks...");
    const unknown = s.cli("local", "logs", "nope");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("must be one of temporal, stigmer-server, agent-runner");

    const restarted = s.cli("local", "restart", "agent-runner");
    expect(restarted.code).toBe(0);
    expect(restarted.stderr).toContain("agent-runner restarted");
    const afterRunner = s.status();
    killGroupAtEnd(afterRunner.runner.pid);
    expect(afterRunner.runner.pid).not.toBe(runner.pid);
    expect(afterRunner.components[0].pid).toBe(temporal.pid);
    expect(afterRunner.components[1].pid).toBe(server.pid);

    // Temporal restarted keeps its database: workflows survive.
    expect(s.cli("local", "restart", "temporal").code).toBe(0);
    const afterTemporal = await waitFor("temporal ready again", () => {
      const now = s.status();
      return now.components[0].ready && now.components[0].pid !== temporal.pid ? now : null;
    });
    killGroupAtEnd(afterTemporal.components[0].pid);
    expect(afterTemporal.components[0].restarts).toBe(1);
    expect(readFileSync(path.join(s.home, "temporal", "dev.db"), "utf8").match(/^start /gm)).toHaveLength(2);

    // A crashed server is restarted by itself; the runner is left alone.
    process.kill(server.pid, "SIGKILL");
    const afterCrash = await waitFor("the server's restart", () => {
      const now = s.status();
      return now.components[1].state === "running" && now.components[1].pid !== server.pid ? now : null;
    });
    killGroupAtEnd(afterCrash.components[1].pid);
    expect(afterCrash.components[1].restarts).toBe(1);
    expect(afterCrash.runner.pid).toBe(afterRunner.runner.pid);

    expect(s.cli("local", "stop").code).toBe(0);
    expect(processesMentioning(s.work)).toEqual([]);
    expect(processesMentioning(s.home)).toEqual([]);
  });

  test("a Temporal that never becomes healthy fails start within its timeout and leaves nothing running", async () => {
    const s = await setup({ STANDIN_TEMPORAL_NEVER_SERVE: "1" });
    const startedAt = performance.now();
    const result = s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER, "--server", SERVER, "--daemon-timeout", "2s");
    expect(result.code).toBe(1);
    expect(performance.now() - startedAt).toBeLessThan(20_000);
    expect(result.stderr).toContain(`The temporal did not answer at 127.0.0.1:${s.temporalPort} within 2s`);
    expect(result.stderr).toContain(path.join(s.home, "logs", "temporal.log"));
    expect(s.lines("server-starts")).toHaveLength(0);
    expect(s.lines("runner-starts")).toHaveLength(0);
    expect(s.cli("local", "status").code).toBe(3);
    await waitFor("nothing left", () => processesMentioning(s.home).length === 0, 5000);
  });

  test("a Temporal already answering is used, not started twice", async () => {
    const s = await setup();
    const own = spawn(s.temporalCli, ["server", "start-dev", "--ip", "127.0.0.1", "--port", String(s.temporalPort), "--headless"], {
      stdio: ["ignore", "pipe", "inherit"],
      env: s.env,
      detached: true,
    });
    killGroupAtEnd(own.pid!);
    let banner = "";
    own.stdout!.on("data", (chunk) => (banner += chunk));
    await waitFor("our own Temporal", () => banner.includes("Server:"));
    const result = s.cli("local", "start", "-d", "--no-wait-daemon", "--runner", FIXTURE_RUNNER);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`temporal  127.0.0.1:${s.temporalPort} (already running)`);
    expect(s.status().components.map((member: { name: string }) => member.name)).toEqual(["agent-runner"]);
    expect(s.lines("temporal-starts")).toHaveLength(1);
    expect(s.cli("local", "stop").code).toBe(0);
    own.kill("SIGTERM");
  });

  test("--temporal off: nothing is started, and start waits for Temporal like the daemon", async () => {
    const s = await setup();
    const result = s.cli("local", "start", "-d", "--temporal", "off", "--runner", FIXTURE_RUNNER, "--daemon-timeout", "1s");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Temporal at 127.0.0.1:${s.temporalPort} did not answer within 1s: connection refused`);
    expect(result.stderr).toContain("--temporal auto");
    expect(s.lines("temporal-starts")).toHaveLength(0);
    expect(s.lines("runner-starts")).toHaveLength(0);
  });

  test("no Temporal and no CLI: the error names brew install temporal and --temporal off; doctor says the same", async () => {
    const s = await setup({ PATH: process.env.PATH! });
    const result = s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Temporal does not answer at 127.0.0.1:${s.temporalPort}, and no temporal CLI was found on PATH`);
    expect(result.stderr).toContain("brew install temporal");
    expect(result.stderr).toContain("--temporal off");
    const doctor = JSON.parse(s.cli("doctor", "--json", "--runner", FIXTURE_RUNNER).stdout);
    const check = doctor.checks.find((entry: { check: string }) => entry.check === "temporal");
    expect(check).toMatchObject({ verdict: "fail" });
    expect(check.fix).toContain("brew install temporal");
    const missing = s.cli("local", "start", "--temporal", "/nope/temporal", "--runner", FIXTURE_RUNNER);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("--temporal /nope/temporal is not an executable file");
    // With the CLI on PATH again, doctor says start would run it.
    const withCli = JSON.parse(runCli(["doctor", "--json", "--runner", FIXTURE_RUNNER], { ...s.env, PATH: `${s.bin}:${process.env.PATH}` }).stdout);
    expect(withCli.checks.find((entry: { check: string }) => entry.check === "temporal").detail).toContain(`start will run ${s.temporalCli} server start-dev`);
  });
});

describe("readiness", () => {
  const NO_DAEMON = ["--no-wait-daemon", "--runner", FIXTURE_RUNNER];

  test("start -d returns only once the runner printed its ready line", async () => {
    const s = await setup({ FIXTURE_READY: "2" });
    const startedAt = performance.now();
    const result = s.cli("local", "start", "-d", ...NO_DAEMON);
    expect(result.code).toBe(0);
    expect(performance.now() - startedAt).toBeGreaterThan(2000);
    const runner = s.status().components.find((member: { name: string }) => member.name === "agent-runner");
    expect(runner).toMatchObject({ state: "running", ready: true });
    const ready = await waitFor("the ready line in the supervisor's log", () => /agent-runner ready \(pid \d+, ([\d.]+)s after its start\)/.exec(s.supervisorLog()));
    expect(Number(ready[1])).toBeGreaterThanOrEqual(2);
  });

  test("until the ready line, the runner is starting and not ready; the foreground says when the stack is ready", async () => {
    const s = await setup({ FIXTURE_READY: "3" });
    const cli = startCli(["local", "start", ...NO_DAEMON], s.env);
    const early = await waitFor("the runner's start", () => {
      const result = s.cli("local", "status", "--json");
      if (result.code !== 0) return null;
      const report = JSON.parse(result.stdout);
      return report.runner?.pid ? report : null;
    });
    expect(early.runner).toMatchObject({ state: "starting", ready: false, readyAt: null });
    expect(s.cli("local", "status").stdout).toMatch(/agent-runner +starting +pid \d+, up [\d.]+m?s, not ready yet/);
    await waitFor("the ready line", () => cli.output().includes("stack ready in"), 20_000);
    expect(cli.output()).toMatch(/stack ready in [\d.]+s: temporal → agent-runner/);
    expect(s.status().runner).toMatchObject({ state: "running", ready: true });
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
  });

  test("a runner that never prints it: exit 1 after --ready-timeout with its stderr tail, nothing left running", async () => {
    const s = await setup({ FIXTURE_READY: "never", FIXTURE_SAY_ERR: "still loading the model" });
    const result = s.cli("local", "start", "-d", ...NO_DAEMON, "--ready-timeout", "2s");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("The agent-runner was not ready within 2s: no line of its output matched /Worker ready/");
    expect(result.stderr).toContain("| still loading the model");
    expect(result.stderr).toContain("--ready-line none");
    expect(s.cli("local", "status").code).toBe(3);
    const runnerPid = Number(s.lines("runner-starts")[0]!.split(" ")[1]);
    await waitFor("nothing left", () => !processAlive(runnerPid) && processesMentioning(s.home).length === 0, 5000);
  });

  test("--ready-line none, and a pattern of one's own", async () => {
    const s = await setup({ FIXTURE_READY: "never" });
    expect(s.cli("local", "start", "-d", ...NO_DAEMON, "--ready-line", "none").code).toBe(0);
    expect(s.status().runner).toMatchObject({ state: "running", ready: true });
    expect(s.cli("local", "stop").code).toBe(0);
    expect(s.cli("local", "start", "-d", ...NO_DAEMON, "--ready-line", "^fixture: ready$").code).toBe(0);
    expect(s.status().runner).toMatchObject({ ready: true });
    expect(s.cli("local", "stop").code).toBe(0);
  });
});

describe("the model the runner gets (the demo runner loads its settings as the real one does)", () => {
  let temporal: Awaited<ReturnType<typeof spawnDevDaemon>>;
  beforeAll(async () => {
    temporal = await spawnDevDaemon();
  });
  afterAll(() => temporal.stop());

  async function runDemo(args: string[], extra: Record<string, string> = {}) {
    const s = await setup({ TEMPORAL_SERVICE_ADDRESS: temporal.endpoint, ...extra });
    const result = s.cli("local", "start", "-d", "--no-wait-daemon", "--runner", DEMO_RUNNER, ...args);
    const log = existsSync(path.join(s.home, "logs", "agent-runner.log")) ? readFileSync(path.join(s.home, "logs", "agent-runner.log"), "utf8") : "";
    if (result.code === 0) expect(s.cli("local", "stop").code).toBe(0);
    return { result, log };
  }

  test("anthropic gets claude-sonnet-4.5; openai gpt-4o; ollama the runner's own default", async () => {
    const anthropic = await runDemo([]);
    expect(anthropic.result.code).toBe(0);
    expect(anthropic.result.stderr).toContain("provider  anthropic, model claude-sonnet-4.5 (default)");
    expect(anthropic.log).toContain("provider=anthropic model=claude-sonnet-4.5");
    expect(anthropic.log).toContain(`temporal=${temporal.endpoint}`);
    expect(anthropic.log).not.toContain(KEY);
    const openai = await runDemo(["--provider", "openai"], { OPENAI_API_KEY: "sk-openai-test-1234567890" });
    expect(openai.result.code).toBe(0);
    expect(openai.log).toContain("provider=openai model=gpt-4o");
    const ollama = await runDemo(["--provider", "ollama"]);
    expect(ollama.result.code).toBe(0);
    expect(ollama.result.stderr).toContain("model the runner's own default");
    expect(ollama.log).toContain("provider=ollama model=qwen2.5-coder:7b");
  });

  test("--model and STIGMER_LLM_MODEL reach the runner; a model of another provider is refused", async () => {
    const explicit = await runDemo(["--model", "claude-opus-4-1"], { STIGMER_LLM_MODEL: "claude-3-5-haiku" });
    expect(explicit.log).toContain("model=claude-opus-4-1");
    const fromEnv = await runDemo([], { STIGMER_LLM_MODEL: "claude-3-5-haiku" });
    expect(fromEnv.log).toContain("model=claude-3-5-haiku");
    const prefixed = await runDemo(["--model", "openai:gpt-4o"]);
    expect(prefixed.result.code).toBe(2);
    expect(prefixed.result.stderr).toContain("--model openai:gpt-4o is a openai model, but the provider is anthropic");
    // A name the runner's own parser gives to another provider: the runner refuses it before it is ready.
    const ollamaModel = await runDemo(["--model", "qwen2.5-coder:7b"]);
    expect(ollamaModel.result.code).toBe(1);
    expect(ollamaModel.result.stderr).toContain("before it was ready");
    expect(ollamaModel.result.stderr).toContain("belongs to provider 'ollama'");
  });
});

describe("the endpoint newer stigmer-server builds listen on", () => {
  test("nothing at the endpoint, a gRPC server on localhost:7234: start's error and doctor's fix name the flag", async () => {
    if (!(await portFree(7234))) {
      console.warn("port 7234 is in use on this machine: the hint test cannot run here");
      return;
    }
    const newer = await spawnDevDaemon({ port: 7234 });
    try {
      const s = await setup({ TEMPORAL_SERVICE_ADDRESS: "127.0.0.1:7234", STIGMER_TEMPORAL: "off" });
      const closed = `127.0.0.1:${await freePort()}`;
      const result = s.cli("local", "start", "-d", "--runner", FIXTURE_RUNNER, "--endpoint", closed, "--daemon-timeout", "1s");
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`The Stigmer daemon at ${closed} did not answer within 1s`);
      expect(result.stderr).toContain("A gRPC server answers on localhost:7234, where newer stigmer-server builds listen: start with --endpoint localhost:7234");
      const doctor = JSON.parse(s.cli("doctor", "--json", "--runner", FIXTURE_RUNNER, "--endpoint", closed).stdout);
      expect(doctor.checks.find((entry: { check: string }) => entry.check === "daemon").fix).toContain("--endpoint localhost:7234");
    } finally {
      await newer.stop();
    }
  });
});

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

// The old --server tests' last case, kept: a server that does not exist is refused before anything starts.
test("a --server that does not exist is refused before anything starts", () => {
  const result = runCli(["local", "start", "--runner", FIXTURE_RUNNER, "--server", "/nope/stigmer-server"], cleanEnv({ STIGMER_HOME: tempDir(), ANTHROPIC_API_KEY: "sk-ant-1234567" }));
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("The server /nope/stigmer-server does not exist");
});
