// Shared by the tests: the binary under test, temporary STIGMER_HOMEs, and real processes.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TEMPORAL_HEALTH_SERVICE } from "../src/daemon/check.ts";
import { readProcStat } from "../src/platform/process/proc.ts";

export const ROOT = path.resolve(import.meta.dir, "..");
export const FIXTURES = path.join(ROOT, "test", "fixtures");
export const FIXTURE_RUNNER = path.join(FIXTURES, "runner.py");

/** The compiled binary (`npm test` builds it first); STIGMER_BIN points elsewhere. */
export function stigmerBin(): string {
  const bin = process.env.STIGMER_BIN ?? path.join(ROOT, "dist", "stigmer");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build (npm test does).`);
  return bin;
}

const cleanups: (() => void)[] = [];

/** A fresh STIGMER_HOME, removed by `cleanupAll`. */
export function tempDir(prefix = "stigmer-test-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The environment a test runs the CLI in: no inherited keys or STIGMER_* settings, no colour. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (name.startsWith("STIGMER_") || name.endsWith("_API_KEY") || name.startsWith("FIXTURE_") || name.startsWith("TEMPORAL_")) continue;
    env[name] = value;
  }
  env.NO_COLOR = "1";
  env.STIGMER_NO_KEYRING = "1";
  // No test depends on a Temporal of the machine's or a CLI on PATH unless it says so; with a
  // daemon, TEMPORAL_SERVICE_ADDRESS points at it (it answers for Temporal's service too).
  env.STIGMER_TEMPORAL = "off";
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (no stdin). */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000): CliResult {
  const result = spawnSync(stigmerBin(), args, { env, encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
  return { code: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

export interface RunningCli {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the CLI in the background, collecting stdout and stderr together; killed by `cleanupAll`. */
export function startCli(args: string[], env: Record<string, string>): RunningCli {
  const child = spawn(stigmerBin(), args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout!.on("data", (chunk) => (text += chunk));
  child.stderr!.on("data", (chunk) => (text += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return { child, output: () => text, exited };
}

/** Polls until `check` returns a truthy value; throws with `what` after `timeoutMs` (kept generous). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000, everyMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

/** Alive means running or stopped: a zombie waiting for init to reap it holds nothing and counts as gone. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readProcStat(pid);
  return stat !== null && stat.state !== "Z" && stat.state !== "X";
}

/** Remembers a process group to SIGKILL at the end, in case a test failed half-way. */
export function killGroupAtEnd(pgid: number | null): void {
  // 0 or less would be our own group (kill(0)), or every process.
  if (pgid === null || pgid <= 0) return;
  cleanups.push(() => {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // Already gone, as it should be.
    }
  });
}

/** Stops, at the end, a supervisor the test may have left running under `home` (idempotent when none runs). */
export function stopSupervisorAtEnd(home: string): void {
  cleanups.push(() => {
    runCli(["local", "stop", "--timeout", "2s"], cleanEnv({ STIGMER_HOME: home }));
  });
}

/** Remembers a single process to SIGKILL at the end (one that left our process groups). */
export function killAtEnd(pid: number): void {
  cleanups.push(() => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  });
}

export { freePort } from "../examples/dev-daemon.ts";

/** Live runner processes started for this STIGMER_HOME, found by the workspace in their environment (Linux). */
export function runnersOf(home: string): number[] {
  const marker = `SANDBOX_ROOT_DIR=${path.join(home, "workspace")}\0`;
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/environ`, "utf8").includes(marker) && processAlive(Number(entry));
      } catch {
        return false;
      }
    })
    .map(Number);
}

export function cleanupAll(): void {
  while (cleanups.length) cleanups.pop()!();
}

export interface DaemonProcess extends ServerProcess {
  port: number;
  /** SIGUSR1: between SERVING and NOT_SERVING. */
  toggle(): void;
}

/**
 * The development daemon (examples/dev-daemon.ts) in a process of its own: the tests run the
 * CLI synchronously, which would freeze a server living in the test process itself.
 * Not among `cleanupAll`'s: a file shares one daemon across its tests and stops it itself.
 */
export async function spawnDevDaemon(options: { port?: number; health?: boolean; serving?: boolean } = {}): Promise<DaemonProcess> {
  // It answers for Temporal's workflow service too, so one process stands in for both services the runner needs.
  const args = [path.join(ROOT, "examples", "dev-daemon.ts"), "--port", String(options.port ?? 0), "--service", TEMPORAL_HEALTH_SERVICE];
  if (options.health === false) args.push("--no-health");
  if (options.serving === false) args.push("--status", "not-serving");
  const server = await spawnServer("the development daemon", process.execPath, args);
  return { ...server, port: Number(server.endpoint.split(":")[1]), toggle: () => server.child.kill("SIGUSR1") };
}

export interface ServerProcess {
  child: ChildProcess;
  /** "127.0.0.1:PORT", as it printed it. */
  endpoint: string;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then its exit. */
  stop(): Promise<void>;
}

/** A server in a process of its own that prints `listening on 127.0.0.1:PORT` once it listens; not among `cleanupAll`'s. */
export async function spawnServer(what: string, command: string, args: string[]): Promise<ServerProcess> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let text = "";
  child.stdout!.on("data", (chunk) => (text += chunk));
  child.stderr!.on("data", (chunk) => (text += chunk));
  const endpoint = await waitFor(what, () => /listening on (127\.0\.0\.1:\d+)/.exec(text)?.[1]);
  return {
    child,
    endpoint,
    output: () => text,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * The code Bun.build makes of an entry that imports everything `specifier` exports, with `config` (plugins, options);
 * the entry sits in the project, so its packages resolve. A build that logs anything fails.
 */
export async function bundledCodeOf(specifier: string, config: Partial<Bun.BuildConfig> = {}): Promise<string> {
  const cache = path.join(ROOT, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(path.join(cache, "stigmer-bundle-"));
  try {
    const entry = path.join(dir, "entry.ts");
    writeFileSync(entry, `import * as module from ${JSON.stringify(specifier)};\nconsole.log(Object.keys(module).length);\n`);
    const result = await Bun.build({ entrypoints: [entry], target: "bun", outdir: path.join(dir, "out"), ...config, throw: false } as Bun.BuildConfig);
    const logs = result.logs.map(String);
    if (logs.length > 0) throw new Error(`Bun.build of ${specifier} said:\n${logs.join("\n")}`);
    return (await Promise.all(result.outputs.map((output) => output.text()))).join("\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
