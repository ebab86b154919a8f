// Probes, the runner's first statement: how much of the main run's 2× target (start → main.py's first statement,
// against `python3 main.py` started directly) is left for stigmer once the check shared/DESIGN.md puts before the
// runner is paid for. "The least start" is a compiled program (build.ts's settings) that does only what any start
// must do before it may spawn the runner: load @grpc/grpc-js (the project's gRPC client), ask the serving dev daemon
// grpc.health.v1 Health/Check for Temporal's service and for the server as a whole at once (as `local start
// --temporal off` does: both must answer SERVING, else it exits 1), then spawn `python3 main.py` with its output
// inherited. It reads no flags, settings or keys, opens no log, socket or state file, and reads no output. Beside it
// the floor and, when its binary is there, `stigmer local start` in a used STIGMER_HOME, timed as the main run's
// first-statement rows (same fixture, stamp and stop), in turns. No target.
import { existsSync } from "node:fs";
import path from "node:path";
import { FIRST_STATEMENT_RUNNER, ROOT, TEMPORAL_SERVICE } from "../../harness/fixtures.ts";
import { compileProgram } from "../../harness/compile.ts";
import { formatMs, markdownTable } from "../../harness/format.ts";
import { freshDir, startInGroup } from "../../harness/processes.ts";
import { cleanEnv, findPython, floorRunnerEnv, prepare, stigmerBinary } from "../../harness/setup.ts";
import { alternate, summarize, type Summary } from "../../harness/stats.ts";
import { directTrial, stigmerTrial, timeFirstStatement } from "../first-statement.ts";

const RUNS = { full: 20, quick: 3 };
const TARGET_RATIO = 2;

/** argv: python, runner directory, endpoint. A service name under 128 bytes fits the request's one-byte length. */
function leastStartSource(grpcModule: string): string {
  return `(async () => {
  const [python, runnerDir, endpoint] = process.argv.slice(2);
  const grpc = await import(${grpcModule});
  const serving = (service) => new Promise((resolve, reject) => {
    const client = new grpc.Client(endpoint, grpc.credentials.createInsecure());
    const name = Buffer.from(service);
    const request = name.length > 0 ? Buffer.concat([Buffer.from([10, name.length]), name]) : Buffer.alloc(0);
    client.makeUnaryRequest("/grpc.health.v1.Health/Check", () => request, (bytes) => bytes, {}, { deadline: Date.now() + 2000 }, (error, response) => {
      client.close();
      if (!error && response && Buffer.from([8, 1]).equals(response)) resolve();
      else reject(error ?? new Error(service + " is not serving"));
    });
  });
  try {
    await Promise.all([serving(${JSON.stringify(TEMPORAL_SERVICE)}), serving("")]);
  } catch (error) {
    console.error(String(error));
    process.exit(1);
  }
  const { spawn } = await import("node:child_process");
  const runner = spawn(python, ["main.py"], { cwd: runnerDir, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
  process.on("SIGTERM", () => runner.kill("SIGTERM"));
  runner.on("exit", (code) => process.exit(code ?? 0));
})();
`;
}

export async function probeFirstStatement(quick: boolean, daemonEndpoint: string): Promise<string> {
  const baseEnv = cleanEnv();
  const runners = { python: findPython(baseEnv), baseEnv };
  const setup = existsSync(stigmerBinary()) ? prepare() : null;
  const grpcModule = JSON.stringify(path.join(ROOT, "node_modules", "@grpc", "grpc-js"));
  const leastStart = await compileProgram(freshDir("probes-first-statement"), "least-start", leastStartSource(grpcModule), "stigmer");
  const leastTrial = () => {
    const stampFile = path.join(freshDir("first-statement"), "first-statement");
    const env = floorRunnerEnv(runners, { BENCH_FIRST_STATEMENT: stampFile });
    return timeFirstStatement("the least start (first statement)", stampFile, () =>
      startInGroup(leastStart, [runners.python, FIRST_STATEMENT_RUNNER, daemonEndpoint], { env, stdout: "pipe" }),
    );
  };
  const usedHome = freshDir("home");
  const contenders = [() => directTrial(runners), leastTrial];
  if (setup) contenders.push(() => stigmerTrial(setup, daemonEndpoint, usedHome));
  const [direct, least, stigmer] = (await alternate(contenders, quick ? RUNS.quick : RUNS.full)).map(summarize);
  const named: [string, Summary][] = [
    ["floor: `python3 main.py` started directly", direct!],
    ["the least start: grpc-js Health/Check of Temporal and the daemon at once (both SERVING), then `python3 main.py`", least!],
  ];
  if (stigmer) named.push(["`stigmer local start`, STIGMER_HOME used by a start before (as the main run's second row)", stigmer]);
  const rows = named.map(([name, summary], index) => [
    name,
    formatMs(summary.median),
    `${formatMs(summary.min)} – ${formatMs(summary.max)}`,
    `${summary.count}`,
    index === 0 ? "floor" : `${(summary.median / direct!.median).toFixed(2)}×`,
  ]);
  const table = markdownTable(["spawn until main.py's first statement", "median", "min – max", "starts", "vs floor"], rows);
  const left = `Within ${TARGET_RATIO}× of the floor, the least start leaves ${formatMs(TARGET_RATIO * direct!.median - least!.median)} for everything else a start does before the spawn`;
  return `${table}\n\n${left}${stigmer ? `; stigmer takes ${formatMs(stigmer.median - least!.median)} more than the least start` : ""} (medians).`;
}
