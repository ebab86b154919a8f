// Stack ready (issue 13): the wall time of `stigmer local start -d` bringing up the whole local stack — the stand-in
// Temporal CLI (examples/temporal-cli.ts), the stand-in stigmer-server (test/fixtures/daemon-server.sh), the demo
// Agent Runner (examples/agent-runner) — until it exits 0, which it does once all three are ready. Then `status`
// must list the three running and ready, and `local stop` must leave none of them and no port open.
// Floor: one bash script that starts the same three in the same order itself, each waited for by polling every
// 10 ms (Temporal and the daemon: their port open; the runner: its ready line in its output file), exiting 0 once
// the runner is ready. Target: ≤ 1.2× the floor. Imported only when run: it loads grpc-js (via the stand-in CLI's
// module).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { installTemporalCli } from "../../examples/temporal-cli.ts";
import { FAKE_KEY, ROOT } from "../harness/contenders/fixtures.ts";
import { formatMs, formatRatio } from "../harness/report/format.ts";
import { freePort, nothingListens } from "../harness/processes/ports.ts";
import { isGone } from "../harness/processes/proc.ts";
import { exitWithin, freshDir, onCleanUp, scratch, signalGroup, startInGroup, STOP_TIMEOUT_MS, trackGroup, TRIAL_TIMEOUT_MS, until, untrackGroup } from "../harness/processes/processes.ts";
import type { Setup } from "../harness/contenders/setup.ts";
import { parseStatus } from "../harness/contenders/stigmer.ts";
import { inTurns, summarize } from "../harness/report/stats.ts";
import { row, type WorkloadResult } from "../harness/report/table.ts";

const TRIALS = { full: 10, quick: 2 };
const TARGET_RATIO = 1.2;
const COMPONENTS = ["temporal", "stigmer-server", "agent-runner"] as const;
const MODEL = "claude-sonnet-4.5";
/** The stand-in Temporal dev server's UI listens this far above its gRPC port, as the real CLI's does. */
const UI_PORT_OFFSET = 1000;

type Phases = Map<string, number[]>;
const newPhases = (): Phases => new Map(COMPONENTS.map((name) => [name, []]));

interface Ports {
  temporal: number;
  server: number;
}

async function freshPorts(): Promise<Ports> {
  const temporal = await freePort(UI_PORT_OFFSET);
  let server = await freePort();
  while (server === temporal || server === temporal + UI_PORT_OFFSET) server = await freePort();
  return { temporal, server };
}

const untilGone = (pids: number[], what: string) => until(`${what}: pids ${pids.join(", ")} gone`, STOP_TIMEOUT_MS, () => pids.every(isGone));

/** One `stigmer local start -d` of the whole stack in a fresh STIGMER_HOME; stopped with `local stop` and checked. */
async function stigmerTrial(setup: Setup, temporalCli: string, phases: Phases | null): Promise<number> {
  const home = freshDir("stack-home");
  const ports = await freshPorts();
  const env: Record<string, string> = {
    ...setup.baseEnv,
    STIGMER_HOME: home,
    ANTHROPIC_API_KEY: FAKE_KEY,
    STIGMER_NO_KEYRING: "1",
    TEMPORAL_SERVICE_ADDRESS: `127.0.0.1:${ports.temporal}`,
    DAEMON_SERVER_BUN: process.execPath,
    DAEMON_SERVER_PORT: String(ports.server),
  };
  const args = ["local", "start", "-d", "--temporal", temporalCli, "--server", path.join(ROOT, "test", "fixtures", "daemon-server.sh")];
  args.push("--runner", path.join(ROOT, "examples", "agent-runner"), "--python", setup.python, "--endpoint", `127.0.0.1:${ports.server}`);
  const releaseCleanUp = onCleanUp(() => void spawnSync(setup.stigmer, ["local", "stop", "--timeout", "1s"], { env, stdio: "ignore", timeout: 10_000 }));
  const spawnedAt = Date.now();
  const began = performance.now();
  const start = spawnSync(setup.stigmer, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: TRIAL_TIMEOUT_MS });
  const ms = performance.now() - began;
  if (start.status !== 0) throw new Error(`stigmer local start -d (stack) exited with ${start.status ?? start.signal}:\n${start.stdout}${start.stderr}`);
  const status = spawnSync(setup.stigmer, ["local", "status", "--json"], { env, encoding: "utf8", timeout: TRIAL_TIMEOUT_MS });
  const report = parseStatus(status.stdout);
  const components = report.components ?? [];
  const pids = [report.supervisor?.pid, ...components.map((component) => component.pid)].filter((pid): pid is number => typeof pid === "number");
  // Each leads a process group of its own: killed by group on the way out if `local stop` does not end it.
  for (const pid of pids) trackGroup(pid);
  const names = components.map((component) => component.name).join(", ");
  if (status.status !== 0 || !report.supervisor || names !== COMPONENTS.join(", ") || components.some((c) => c.state !== "running" || !c.ready || !c.pid)) {
    throw new Error(`after stigmer local start -d (stack), status exited ${status.status} with ${status.stdout}: expected ${COMPONENTS.join(", ")} all running and ready`);
  }
  for (const component of components) phases?.get(component.name)!.push(Date.parse(component.readyAt!) - spawnedAt);
  const stop = spawnSync(setup.stigmer, ["local", "stop"], { env, encoding: "utf8", timeout: TRIAL_TIMEOUT_MS });
  if (stop.status !== 0) throw new Error(`stigmer local stop (stack) exited with ${stop.status ?? stop.signal}: ${stop.stderr}`);
  await untilGone(pids, "after stigmer local stop (stack)");
  await nothingListens([ports.temporal, ports.temporal + UI_PORT_OFFSET, ports.server], "after stigmer local stop (stack)");
  for (const pid of pids) untrackGroup(pid);
  releaseCleanUp();
  rmSync(home, { recursive: true, force: true });
  return ms;
}

/**
 * The floor script. Exits 0 once the runner is ready, leaving the three running in its process group; a stand-in
 * that dies first is exit 1. $EPOCHREALTIME (a bash builtin, no fork) stamps each ready point into the phases file.
 */
function floorScript(portCheck: string): string {
  return `set -u
temporal_cli=$1 temporal_port=$2 ui_port=$3 db=$4 bun=$5 dev_daemon=$6 server_port=$7 python=$8 runner_dir=$9 out=\${10} pids=\${11} phases=\${12}
port_open() { ${portCheck}; }
"$temporal_cli" server start-dev --ip 127.0.0.1 --port "$temporal_port" --ui-port "$ui_port" --db-filename "$db" >/dev/null 2>&1 &
temporal=$!; echo "$temporal" >> "$pids"
until port_open "$temporal_port"; do kill -0 "$temporal" 2>/dev/null || exit 1; sleep 0.01; done
echo "$EPOCHREALTIME temporal" >> "$phases"
"$bun" "$dev_daemon" --port "$server_port" >/dev/null 2>&1 &
server=$!; echo "$server" >> "$pids"
until port_open "$server_port"; do kill -0 "$server" 2>/dev/null || exit 1; sleep 0.01; done
echo "$EPOCHREALTIME stigmer-server" >> "$phases"
cd "$runner_dir"
MODE=local STIGMER_LLM_PROVIDER=anthropic STIGMER_LLM_MODEL=${MODEL} \\
  TEMPORAL_SERVICE_ADDRESS="127.0.0.1:$temporal_port" STIGMER_BACKEND_ENDPOINT="127.0.0.1:$server_port" PYTHONUNBUFFERED=1 \\
  "$python" main.py > "$out" 2> "$out.err" &
runner=$!; echo "$runner" >> "$pids"
until grep -q 'Worker ready' "$out"; do kill -0 "$runner" 2>/dev/null || exit 1; sleep 0.01; done
echo "$EPOCHREALTIME agent-runner" >> "$phases"
`;
}

function readPids(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number);
}

async function floorTrial(setup: Setup, script: string, temporalCli: string, phases: Phases | null): Promise<number> {
  const dir = freshDir("stack-floor");
  const ports = await freshPorts();
  const files = { db: path.join(dir, "dev.db"), out: path.join(dir, "runner.out"), pids: path.join(dir, "pids"), phases: path.join(dir, "phases") };
  // The stand-ins get the environment as stigmer hands it to Temporal and stigmer-server: the user's, key included.
  const env = { ...setup.baseEnv, ANTHROPIC_API_KEY: FAKE_KEY };
  const args = [
    script,
    temporalCli, String(ports.temporal), String(ports.temporal + UI_PORT_OFFSET), files.db,
    process.execPath, path.join(ROOT, "examples", "dev-daemon.ts"), String(ports.server),
    setup.python, path.join(ROOT, "examples", "agent-runner"), files.out, files.pids, files.phases,
  ];
  const spawnedAt = Date.now();
  const began = performance.now();
  // Its three stand-ins outlive it in its process group, which stays tracked until they are gone.
  const started = startInGroup("bash", args, { env, cwd: dir });
  const exit = await exitWithin(started, TRIAL_TIMEOUT_MS, "the stack floor script");
  const ms = performance.now() - began;
  const pids = readPids(files.pids);
  try {
    if (exit.code !== 0) {
      const err = existsSync(`${files.out}.err`) ? readFileSync(`${files.out}.err`, "utf8") : "";
      throw new Error(`the stack floor script exited with ${exit.code ?? exit.signal}: ${err}`);
    }
    if (pids.length !== 3 || pids.some(isGone)) throw new Error(`the stack floor script: stand-ins ${pids.join(", ")}, expected three running`);
    for (const line of phases ? readFileSync(files.phases, "utf8").split("\n").filter(Boolean) : []) {
      const [seconds, name] = line.split(" ") as [string, string];
      phases!.get(name)!.push(Number(seconds) * 1000 - spawnedAt);
    }
  } finally {
    signalGroup(started.pid, "SIGTERM");
    await untilGone(pids, "the stack floor's stand-ins after SIGTERM");
    untrackGroup(started.pid);
  }
  await nothingListens([ports.temporal, ports.temporal + UI_PORT_OFFSET, ports.server], "after the stack floor");
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

export async function benchStack(setup: Setup, quick: boolean): Promise<WorkloadResult> {
  const bin = path.join(scratch, "stack-bin");
  mkdirSync(bin, { recursive: true });
  const temporalCli = installTemporalCli(bin);
  const hasNc = spawnSync("bash", ["-c", "command -v nc"], { env: setup.baseEnv }).status === 0;
  const portCheck = hasNc ? "nc -z" : "bash's /dev/tcp (no nc on PATH)";
  const script = path.join(scratch, "stack-floor.sh");
  writeFileSync(script, floorScript(hasNc ? 'nc -z 127.0.0.1 "$1" 2>/dev/null' : ': 2>/dev/null < "/dev/tcp/127.0.0.1/$1"'));
  const stigmerPhases = newPhases();
  const floorPhases = newPhases();
  const stigmer: number[] = [];
  const floor: number[] = [];
  // Untimed first runs: they page in bun, grpc-js, Python and the binary for both alike.
  await stigmerTrial(setup, temporalCli, null);
  await floorTrial(setup, script, temporalCli, null);
  const runStigmer = async () => void stigmer.push(await stigmerTrial(setup, temporalCli, stigmerPhases));
  const runFloor = async () => void floor.push(await floorTrial(setup, script, temporalCli, floorPhases));
  await inTurns([runStigmer, runFloor], quick ? TRIALS.quick : TRIALS.full);
  const mine = summarize(stigmer);
  const floorSummary = summarize(floor);
  const phasesText = (phases: Phases) => COMPONENTS.map((name) => `${name} ${formatMs(summarize(phases.get(name)!).median)}`).join(", ");
  return {
    rows: [
      row("stack ready: `local start -d --temporal <stand-in> --server daemon-server.sh --runner examples/agent-runner` until it returns", mine, formatMs, "starts", {
        kind: "ratio",
        floor: floorSummary,
        maxRatio: TARGET_RATIO,
      }),
      row(`floor: bash starting the same three in order, polling every 10 ms (${portCheck.split(" (")[0]})`, floorSummary, formatMs, "starts", { kind: "floor" }),
    ],
    notes: [
      `Stack ready: stigmer ${formatMs(mine.median)}, floor ${formatMs(floorSummary.median)} (medians), ${formatRatio(mine.median, floorSummary.median)}; the floor looks at ports with ${portCheck}.`,
      `Stack ready, median time from the spawn until each was ready: stigmer ${phasesText(stigmerPhases)}; floor ${phasesText(floorPhases)}.`,
    ],
  };
}
