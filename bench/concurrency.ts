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
// failed). 5 rounds; 1 with --quick. No floor: most of the latency is 20 processes starting at once.
// Stops everything it started, whatever happens.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { startDevDaemonProcess, type DevDaemonProcess } from "./harness/contenders/dev-daemon.ts";
import { FAKE_KEY, FIXTURE_RUNNER } from "./harness/contenders/fixtures.ts";
import { formatMs, markdownTable } from "./harness/report/format.ts";
import { isGone } from "./harness/processes/proc.ts";
import { cleanUp, freshDir, onCleanUp, signalProcess, sleep } from "./harness/processes/processes.ts";
import { cleanEnv, stigmerBinary } from "./harness/contenders/setup.ts";
import { percentile } from "./harness/report/stats.ts";

const STIGMER = stigmerBinary();
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
        return !isGone(Number(entry)) && readFileSync(`/proc/${entry}/environ`, "utf8").includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function main(): Promise<number> {
  if (!existsSync(STIGMER)) throw new Error(`${STIGMER} is missing: run npm run build, or set STIGMER_BIN.`);
  if (!existsSync("/proc")) throw new Error("Counting runner processes needs /proc (Linux).");
  const home = freshDir("concurrency-home");
  const env = cleanEnv();
  // On the way out, Ctrl-C included: the supervisor stopped, and any runner it left behind.
  onCleanUp(() => {
    spawnSync(STIGMER, ["local", "stop", "--timeout", "2s"], { env, stdio: "ignore", timeout: 30_000 });
    for (const pid of runnersOf(home)) signalProcess(pid, "SIGKILL");
  });
  let daemon: DevDaemonProcess | null = null;
  try {
    daemon = await startDevDaemonProcess(env);
    Object.assign(env, {
      STIGMER_HOME: home,
      STIGMER_BACKEND_ENDPOINT: daemon.endpoint,
      TEMPORAL_SERVICE_ADDRESS: daemon.endpoint,
      STIGMER_TEMPORAL: "off",
      STIGMER_NO_KEYRING: "1",
      ANTHROPIC_API_KEY: FAKE_KEY,
    });
    const started = await run(["local", "start", "--detach", "--runner", FIXTURE_RUNNER], env);
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
    const timing = ([name, results]: [string, Run[]]) => {
      const times = results.map((result) => result.ms);
      return [name, `${results.length}`, `${results.filter((result) => result.code !== 0).length}`, formatMs(percentile(times, 50)), formatMs(percentile(times, 99))];
    };
    console.log(markdownTable(["command", "runs", "failed", "p50", "p99"], [timing(["restart", restarts]), timing(["status --json", statuses])]));
    console.log();
    console.log(
      markdownTable(
        ["correctness", "value", "expected"],
        [
          ["runner processes alive at the end", `${alive.length}`, "1"],
          ["restarts counted by status", `${report?.runner.restarts ?? "?"}`, `${ROUNDS * AT_ONCE}`],
        ],
      ),
    );
    if (failed.length) console.log(`\nFirst failure:\n${failed[0]!.output}`);
    return alive.length === 1 && failed.length === 0 && report?.runner.restarts === ROUNDS * AT_ONCE ? 0 : 1;
  } finally {
    try {
      await daemon?.stop();
    } finally {
      cleanUp();
    }
  }
}

process.exit(await main());
