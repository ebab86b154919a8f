// Concurrency (issue 14): `stigmer local restart` and `stigmer local status` fired 20 at a time at one
// background supervisor.
//
//   npx bun bench/concurrency.ts [--quick]        the binary: STIGMER_BIN, else dist/stigmer
//
// Starts a stack in the background in a temporary STIGMER_HOME (the fixture runner, a development
// daemon standing in for stigmer-server and Temporal), then, each round, fires 20 `restart` at once,
// waits for all of them, and fires 20 `status --json` at once. Prints the p50 and p99 wall time of each
// command (spawn to exit) as a markdown table, and, as the correctness figure, the runner processes
// alive at the end: 1, since restarts are applied one at a time (exit 1 otherwise, or when a command
// failed). 5 rounds; 1 with --quick. Stops everything it started, whatever happens.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startDevDaemon, type DevDaemon } from "../examples/dev-daemon.ts";
import { TEMPORAL_HEALTH_SERVICE } from "../src/lifecycle/start/temporal.ts";

const ROOT = path.resolve(import.meta.dir, "..");
const STIGMER = process.env.STIGMER_BIN ?? path.join(ROOT, "dist", "stigmer");
const RUNNER = path.join(ROOT, "test", "fixtures", "runner.py");
const AT_ONCE = 20;
const ROUNDS = process.argv.includes("--quick") ? 1 : 5;
const COMMAND_TIMEOUT_MS = 120_000;

interface Run {
  code: number | null;
  ms: number;
  output: string;
}

function run(args: string[], env: Record<string, string>): Promise<Run> {
  const began = performance.now();
  const child = spawn(STIGMER, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), COMMAND_TIMEOUT_MS);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - began, output });
    }),
  );
}

/** Live runner processes of this home, found by the workspace in their environment (Linux). */
function runnersOf(home: string): number[] {
  const marker = `SANDBOX_ROOT_DIR=${path.join(home, "workspace")}\0`;
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const state = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.[0];
        return state !== "Z" && readFileSync(`/proc/${entry}/environ`, "utf8").includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Nearest-rank percentile of wall times, in ms. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function main(): Promise<number> {
  if (!existsSync(STIGMER)) throw new Error(`${STIGMER} is missing: run npm run build, or set STIGMER_BIN.`);
  if (!existsSync("/proc")) throw new Error("Counting runner processes needs /proc (Linux).");
  const home = mkdtempSync(path.join(tmpdir(), "stigmer-bench-concurrency-"));
  let daemon: DevDaemon | null = null;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("STIGMER_") && !name.startsWith("FIXTURE_") && !name.startsWith("TEMPORAL_") && !name.endsWith("_API_KEY")) env[name] = value;
  }
  const cleanUp = async () => {
    await run(["local", "stop", "--timeout", "2s"], env);
    for (const pid of runnersOf(home)) process.kill(pid, "SIGKILL");
    await daemon?.stop();
    rmSync(home, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void cleanUp().then(() => process.exit(130)));
  try {
    daemon = await startDevDaemon({ services: ["", TEMPORAL_HEALTH_SERVICE] });
    Object.assign(env, {
      STIGMER_HOME: home,
      STIGMER_BACKEND_ENDPOINT: daemon.endpoint,
      TEMPORAL_SERVICE_ADDRESS: daemon.endpoint,
      STIGMER_TEMPORAL: "off",
      STIGMER_NO_KEYRING: "1",
      ANTHROPIC_API_KEY: "sk-ant-bench-not-a-real-key-0000",
      NO_COLOR: "1",
    });
    const started = await run(["local", "start", "--detach", "--runner", RUNNER], env);
    if (started.code !== 0) throw new Error(`stigmer local start --detach failed:\n${started.output}`);

    const restarts: Run[] = [];
    const statuses: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      restarts.push(...(await Promise.all(Array.from({ length: AT_ONCE }, () => run(["local", "restart"], env)))));
      statuses.push(...(await Promise.all(Array.from({ length: AT_ONCE }, () => run(["local", "status", "--json"], env)))));
    }
    // Once the last runner is ready, a runner process left by a restart would still be there; its short-lived helpers (a pyenv shim's) would not.
    let report: { runner: { pid: number; state: string; restarts: number } } | null = null;
    for (let waited = 0; waited < 30_000 && report?.runner.state !== "running"; waited += 100) {
      await sleep(100);
      report = JSON.parse((await run(["local", "status", "--json"], env)).output);
    }
    await sleep(500);
    const alive = runnersOf(home);

    const failed = [...restarts, ...statuses].filter((result) => result.code !== 0);
    console.log(`stigmer local restart / status, ${AT_ONCE} at once, ${ROUNDS} round${ROUNDS > 1 ? "s" : ""} (${STIGMER})\n`);
    console.log("| command | runs | failed | p50 | p99 |");
    console.log("|---|---:|---:|---:|---:|");
    for (const [name, results] of [["restart", restarts], ["status --json", statuses]] as const) {
      const times = results.map((result) => result.ms);
      console.log(`| ${name} | ${results.length} | ${results.filter((result) => result.code !== 0).length} | ${formatMs(percentile(times, 50))} | ${formatMs(percentile(times, 99))} |`);
    }
    console.log(`\n| correctness | value | expected |`);
    console.log("|---|---:|---:|");
    console.log(`| runner processes alive at the end | ${alive.length} | 1 |`);
    console.log(`| restarts counted by status | ${report?.runner.restarts ?? "?"} | ${ROUNDS * AT_ONCE} |`);
    if (failed.length) console.log(`\nFirst failure:\n${failed[0]!.output}`);
    return alive.length === 1 && failed.length === 0 && report?.runner.restarts === ROUNDS * AT_ONCE ? 0 : 1;
  } finally {
    await cleanUp();
  }
}

process.exit(await main());
