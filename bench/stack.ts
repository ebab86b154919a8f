// "Stack ready" (issue 13), part of `bun bench/run.ts`: the wall time of `stigmer local start -d` bringing up
// the whole local stack — the stand-in Temporal CLI, the stand-in stigmer-server, the demo Agent Runner — until
// it returns (once all three are ready), against a bash script that starts the same three in the same order
// itself and polls for each (the floor). See bench/README.md.
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type AddressInfo } from "node:net";
import path from "node:path";
import { installTemporalCli } from "../examples/temporal-cli.ts";

/** What bench/run.ts lends this file: its setup and its process bookkeeping. */
export interface StackContext {
  root: string;
  scratch: string;
  stigmer: string;
  python: string;
  baseEnv: Record<string, string>;
  trials: number;
  startInGroup: (
    command: string,
    args: string[],
    options: { env: Record<string, string>; cwd?: string },
  ) => { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> };
  exitWithin: (
    started: { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> },
    timeoutMs: number,
    what: string,
  ) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Process groups killed on the way out. */
  liveGroups: Set<number>;
  /** STIGMER_HOMEs given `local stop` on the way out. */
  liveHomes: Map<string, Record<string, string>>;
  isGone: (pid: number) => boolean;
}

export interface StackResult {
  /** Wall times (ms), spawn to exit 0, one per trial. */
  stigmer: number[];
  floor: number[];
  /** How the floor looks at a port: `nc -z`, or bash's /dev/tcp without nc. */
  portCheck: string;
  /** Per component, ms from the spawn until it was ready (stigmer: status's readyAt; the floor: bash's $EPOCHREALTIME). */
  stigmerPhases: Map<string, number[]>;
  floorPhases: Map<string, number[]>;
}

export const COMPONENTS = ["temporal", "stigmer-server", "agent-runner"] as const;
const KEY = "sk-ant-bench-not-a-real-key-0000";
const MODEL = "claude-sonnet-4.5";
const TRIAL_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;
const POLL_MS = 10;
/** The stand-in Temporal dev server's UI listens this far above its gRPC port, as the real CLI's does. */
const UI_PORT_OFFSET = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function listenOnce(port: number): Promise<number | null> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => {
      const bound = (server.address() as AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

/** A free port of 127.0.0.1 (the kernel's pick, closed again); with `alsoFree`, one whose port + `alsoFree` is free too. */
async function freePort(alsoFree?: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (port === null) continue;
    if (alsoFree === undefined) return port;
    if (port + alsoFree <= 65535 && (await listenOnce(port + alsoFree)) !== null) return port;
  }
  throw new Error("no free port pair on 127.0.0.1");
}

/** Whether something accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function untilGone(ctx: StackContext, pids: number[], what: string): Promise<void> {
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (pids.some((pid) => !ctx.isGone(pid))) {
    if (Date.now() > deadline) {
      const left = pids.filter((pid) => !ctx.isGone(pid));
      throw new Error(`${what}: pids ${left.join(", ")} still running after ${STOP_TIMEOUT_MS / 1000} s`);
    }
    await sleep(POLL_MS);
  }
}

async function nothingListens(ports: number[], what: string): Promise<void> {
  for (const port of ports) {
    if (await accepts(port)) throw new Error(`${what}: something still listens on 127.0.0.1:${port}`);
  }
}

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

/** The parts of `local status --json` checked here. */
interface StatusJson {
  supervisor: { pid: number } | null;
  components?: { name: string; state: string; pid: number | null; ready: boolean; readyAt: string | null }[];
}

/** One `stigmer local start -d` of the whole stack in a fresh STIGMER_HOME; stopped with `local stop` and checked. */
async function stigmerTrial(ctx: StackContext, temporalCli: string, phases: Map<string, number[]> | null): Promise<number> {
  const home = mkdtempSync(path.join(ctx.scratch, "stack-home-"));
  const ports = await freshPorts();
  const env: Record<string, string> = {
    ...ctx.baseEnv,
    STIGMER_HOME: home,
    ANTHROPIC_API_KEY: KEY,
    STIGMER_NO_KEYRING: "1",
    TEMPORAL_SERVICE_ADDRESS: `127.0.0.1:${ports.temporal}`,
    DAEMON_SERVER_BUN: process.execPath,
    DAEMON_SERVER_PORT: String(ports.server),
  };
  const args = [
    "local", "start", "-d",
    "--temporal", temporalCli,
    "--server", path.join(ctx.root, "test", "fixtures", "daemon-server.sh"),
    "--runner", path.join(ctx.root, "examples", "agent-runner"),
    "--python", ctx.python,
    "--endpoint", `127.0.0.1:${ports.server}`,
  ];
  ctx.liveHomes.set(home, env);
  const spawnedAt = Date.now();
  const began = performance.now();
  const start = spawnSync(ctx.stigmer, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: TRIAL_TIMEOUT_MS });
  const ms = performance.now() - began;
  if (start.status !== 0) {
    throw new Error(`stigmer local start -d (stack) exited with ${start.status ?? start.signal}:\n${start.stdout}${start.stderr}`);
  }
  const status = spawnSync(ctx.stigmer, ["local", "status", "--json"], { env, encoding: "utf8", timeout: TRIAL_TIMEOUT_MS });
  const report = JSON.parse(status.stdout) as StatusJson;
  const components = report.components ?? [];
  const pids = [report.supervisor?.pid, ...components.map((component) => component.pid)].filter((pid): pid is number => typeof pid === "number");
  // Each leads a process group of its own: killed by group on the way out if `local stop` does not end it.
  for (const pid of pids) ctx.liveGroups.add(pid);
  const names = components.map((component) => component.name).join(", ");
  if (status.status !== 0 || !report.supervisor || names !== COMPONENTS.join(", ") || components.some((c) => c.state !== "running" || !c.ready || !c.pid)) {
    throw new Error(`after stigmer local start -d (stack), status exited ${status.status} with ${status.stdout}: expected ${COMPONENTS.join(", ")} all running and ready`);
  }
  for (const component of components) phases?.get(component.name)!.push(Date.parse(component.readyAt!) - spawnedAt);
  const stop = spawnSync(ctx.stigmer, ["local", "stop"], { env, encoding: "utf8", timeout: TRIAL_TIMEOUT_MS });
  if (stop.status !== 0) throw new Error(`stigmer local stop (stack) exited with ${stop.status ?? stop.signal}: ${stop.stderr}`);
  await untilGone(ctx, pids, "after stigmer local stop (stack)");
  await nothingListens([ports.temporal, ports.temporal + UI_PORT_OFFSET, ports.server], "after stigmer local stop (stack)");
  for (const pid of pids) ctx.liveGroups.delete(pid);
  ctx.liveHomes.delete(home);
  rmSync(home, { recursive: true, force: true });
  return ms;
}

/**
 * The floor: the same three stand-ins started in the same order by bash, each waited for by polling every 10 ms
 * (Temporal and the daemon: their port open; the runner: its ready line in its output file). Exits 0 once the
 * runner is ready, leaving the three running in its process group; a stand-in that dies first is exit 1.
 * $EPOCHREALTIME (a bash builtin, no fork) stamps each ready point into the phases file.
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

async function floorTrial(ctx: StackContext, script: string, temporalCli: string, phases: Map<string, number[]> | null): Promise<number> {
  const dir = mkdtempSync(path.join(ctx.scratch, "stack-floor-"));
  const ports = await freshPorts();
  const files = { db: path.join(dir, "dev.db"), out: path.join(dir, "runner.out"), pids: path.join(dir, "pids"), phases: path.join(dir, "phases") };
  // The stand-ins get the environment as stigmer hands it to Temporal and stigmer-server: the user's, key included.
  const env = { ...ctx.baseEnv, ANTHROPIC_API_KEY: KEY };
  const args = [
    script,
    temporalCli, String(ports.temporal), String(ports.temporal + UI_PORT_OFFSET), files.db,
    process.execPath, path.join(ctx.root, "examples", "dev-daemon.ts"), String(ports.server),
    ctx.python, path.join(ctx.root, "examples", "agent-runner"), files.out, files.pids, files.phases,
  ];
  const spawnedAt = Date.now();
  const began = performance.now();
  const started = ctx.startInGroup("bash", args, { env, cwd: dir });
  const pgid = started.child.pid!;
  const exit = await ctx.exitWithin(started, TRIAL_TIMEOUT_MS, "the stack floor script");
  const ms = performance.now() - began;
  // Its three stand-ins outlive it in its process group: killed by group on the way out too.
  ctx.liveGroups.add(pgid);
  const pids = readPids(files.pids);
  try {
    if (exit.code !== 0) {
      const err = existsSync(`${files.out}.err`) ? readFileSync(`${files.out}.err`, "utf8") : "";
      throw new Error(`the stack floor script exited with ${exit.code ?? exit.signal}: ${err}`);
    }
    if (pids.length !== 3 || pids.some((pid) => ctx.isGone(pid))) throw new Error(`the stack floor script: stand-ins ${pids.join(", ")}, expected three running`);
    if (phases) {
      for (const line of readFileSync(files.phases, "utf8").split("\n").filter(Boolean)) {
        const [seconds, name] = line.split(" ") as [string, string];
        phases.get(name)!.push(Number(seconds) * 1000 - spawnedAt);
      }
    }
  } finally {
    try {
      process.kill(-pgid, "SIGTERM");
    } catch {
      // Already gone.
    }
    await untilGone(ctx, pids, "the stack floor's stand-ins after SIGTERM");
    ctx.liveGroups.delete(pgid);
  }
  await nothingListens([ports.temporal, ports.temporal + UI_PORT_OFFSET, ports.server], "after the stack floor");
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

export async function benchStack(ctx: StackContext): Promise<StackResult> {
  const bin = path.join(ctx.scratch, "stack-bin");
  mkdirSync(bin, { recursive: true });
  const temporalCli = installTemporalCli(bin);
  const hasNc = spawnSync("bash", ["-c", "command -v nc"], { env: ctx.baseEnv }).status === 0;
  const portCheck = hasNc ? 'nc -z 127.0.0.1 "$1" 2>/dev/null' : ': 2>/dev/null < "/dev/tcp/127.0.0.1/$1"';
  const script = path.join(ctx.scratch, "stack-floor.sh");
  writeFileSync(script, floorScript(portCheck));
  const newPhases = () => new Map<string, number[]>(COMPONENTS.map((name) => [name, []]));
  const result: StackResult = {
    stigmer: [],
    floor: [],
    portCheck: hasNc ? "nc -z" : "bash's /dev/tcp (no nc on PATH)",
    stigmerPhases: newPhases(),
    floorPhases: newPhases(),
  };
  // Untimed first runs: they page in bun, grpc-js, Python and the binary for both alike.
  await stigmerTrial(ctx, temporalCli, null);
  await floorTrial(ctx, script, temporalCli, null);
  const runStigmer = async () => result.stigmer.push(await stigmerTrial(ctx, temporalCli, result.stigmerPhases));
  const runFloor = async () => result.floor.push(await floorTrial(ctx, script, temporalCli, result.floorPhases));
  for (let trial = 0; trial < ctx.trials; trial++) {
    // ABBA order, so neither contender always runs right after the other.
    for (const run of trial % 2 === 0 ? [runStigmer, runFloor] : [runFloor, runStigmer]) await run();
  }
  return result;
}
