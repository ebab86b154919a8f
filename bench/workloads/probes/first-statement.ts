// Probes, the runner's first statement: how much of the main run's 2× target (start → main.py's first statement,
// against `python3 main.py` started directly) is left for stigmer once the check shared/DESIGN.md puts before the
// runner is paid for. "The least start" is a compiled program (build.ts's settings) that does only what any start
// must do before it may spawn the runner: load @grpc/grpc-js (the project's gRPC client), ask the serving dev daemon
// grpc.health.v1 Health/Check for Temporal's service and for the server as a whole at once (as `local start
// --temporal off` does: both must answer SERVING, else it exits 1), then spawn `python3 main.py` with its output
// inherited. It reads no flags, settings or keys, opens no log, socket or state file, and reads no output. "The flat
// start" adds, in one flat file, what DESIGN.md asks of a supervisor before its runner starts (see startProgramSource),
// but still reads no flags, settings or key. "The least first start" is the least start on a machine where nothing
// is known yet, as the main run's new-STIGMER_HOME row: it also asks the Python its version (DESIGN.md: ≥ 3.11,
// checked before start) with stigmer's own probe, in a process of its own while the checks run. Beside them the floor
// and, when its binary is there, `stigmer local start` in a used STIGMER_HOME and in a new one, all timed as the main
// run's first-statement rows (same fixture, stamp and stop), in turns. No target. Then the least start step by step
// (its own wall-clock marks), against what the 2× target leaves before the spawn.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { FIRST_STATEMENT_RUNNER, readStamp, ROOT, TEMPORAL_SERVICE } from "../../harness/contenders/fixtures.ts";
import { compileProgram } from "../../harness/contenders/compile.ts";
import { formatMs, formatRange, formatRatio, markdownTable } from "../../harness/report/format.ts";
import { freshDir, startInGroup } from "../../harness/processes/processes.ts";
import { cleanEnv, findPython, floorRunnerEnv, prepare, stigmerBinary } from "../../harness/contenders/setup.ts";
import { alternate, summarize, type Summary } from "../../harness/report/stats.ts";
import { GUARD_SCRIPT } from "../../../src/lifecycle/supervisor/orphan-guard.ts";
import { PROBE_SCRIPT } from "../../../src/platform/python/python.ts";
import { directTrial, stigmerTrial, timeFirstStatement } from "../first-statement.ts";

const RUNS = { full: 20, quick: 3 };
const TARGET_RATIO = 2;

/**
 * The source of a start program. argv: python, runner directory, endpoint, and with `supervisorDuties` a fresh
 * directory for the supervisor's files. A service name under 128 bytes fits the request's one-byte length. A failed
 * check is printed on stdout, which the bench shows when the runner's stamp does not come.
 *
 * The least start spawns the runner in its own process group, its output inherited; the runner gets the bench's
 * SIGTERM with the group, and the program ends when it does. With `supervisorDuties` (the flat start) it also does,
 * in one flat file with the fewest kinds of calls, what shared/DESIGN.md asks of a supervisor before its runner
 * starts, each as stigmer does it under Bun: its log opened and written; the control socket that makes it the one
 * supervisor of its home (Bun.listen); the state file written whole and renamed; the orphan guard (stigmer's
 * own script, in a session of its own, fed the runner's group through a pipe); the runner's output through a FIFO
 * pair made by mkfifo in a private temporary directory while the check runs; the runner spawned by Bun.spawn in a
 * process group of its own; the state file again after the spawn. Then it reads the pair into the runner's log and
 * onto stdout. A SIGTERM ends the runner's group, then tells the guard that the stop is clean.
 */
function startProgramSource(
  grpcModule: string,
  { supervisorDuties, asksPython = false, recordsSteps = false }: { supervisorDuties: boolean; asksPython?: boolean; recordsSteps?: boolean },
): string {
  // The wall clock (as the bench's and the fixture's stamps) at each step, written to BENCH_STEPS after the spawn.
  const step = (name: string) => (recordsSteps ? `\n  steps.${name} = performance.timeOrigin + performance.now();` : "");
  const stepsWritten = recordsSteps ? `\n  void import("node:fs").then((fs) => fs.writeFileSync(process.env.BENCH_STEPS, JSON.stringify(steps)));` : "";
  // As stigmer asks a Python it does not know (src/platform/python/python.ts: probePython without distributions).
  const pythonAsked = asksPython
    ? `
  const asked = Bun.spawn([python, "-S", "-c", ${JSON.stringify(PROBE_SCRIPT)}], { stdio: ["ignore", "pipe", "ignore"] });
  const answer = Promise.all([new Response(asked.stdout).text(), asked.exited]).then(([text, code]) => {
    const [major, minor] = text.split("\\n")[0].split(".").map(Number);
    if (code !== 0 || major < 3 || (major === 3 && minor < 11)) fail("the Python is not 3.11 or newer: " + text);
  });`
    : "";
  const pythonAnswered = asksPython ? "\n  await answer;" : "";
  const beforeCheck = supervisorDuties
    ? `
  const fs = await import("node:fs");
  const home = process.argv[5];
  const APPEND = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND;
  const log = fs.openSync(home + "/supervisor.log", APPEND, 0o600);
  fs.writeSync(log, new Date().toISOString() + " info starting\\n");
  Bun.listen({ unix: home + "/control.sock", socket: { data() {} } });
  const recordState = (state) => {
    const fd = fs.openSync(home + "/state.json.tmp", fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o600);
    fs.writeSync(fd, JSON.stringify(state));
    fs.closeSync(fd);
    fs.renameSync(home + "/state.json.tmp", home + "/state.json");
  };
  recordState({ pid: process.pid });
  const guard = Bun.spawn(["/bin/sh", "-c", ${JSON.stringify(GUARD_SCRIPT)}], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  guard.unref();
  const pipeDir = fs.mkdtempSync((await import("node:os")).tmpdir() + "/flat-start-pipe-");
  const fifos = [pipeDir + "/stdout", pipeDir + "/stderr"];
  const pairMade = Bun.spawn(["mkfifo", "-m", "600", ...fifos], { stdio: ["ignore", "ignore", "ignore"] }).exited;`
    : "";
  const runnerOutput = supervisorDuties
    ? `
  if ((await pairMade) !== 0) fail("mkfifo failed");
  const ends = fifos.map((fifo) => [fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK), fs.openSync(fifo, fs.constants.O_WRONLY)]);
  fs.rmSync(pipeDir, { recursive: true });
  const stdio = ["ignore", ends[0][1], ends[1][1]];`
    : `
  const stdio = ["ignore", "inherit", "inherit"];`;
  const afterSpawn = supervisorDuties
    ? `
  for (const [, write] of ends) fs.closeSync(write);
  recordState({ pid: process.pid, runner: runner.pid });
  guard.stdin.write(runner.pid + "\\n");
  guard.stdin.flush();
  const runnerLog = fs.openSync(home + "/runner.log", APPEND, 0o600);
  for (const [read] of ends) void (async () => {
    for await (const chunk of Bun.file(read).stream()) {
      fs.writeSync(runnerLog, chunk);
      process.stdout.write(chunk);
    }
  })();
  process.on("SIGTERM", () => process.kill(-runner.pid, "SIGTERM"));
  runner.exited.then((code) => {
    guard.stdin.write("\\n");
    guard.stdin.end();
    process.exit(code ?? 0);
  });`
    : `
  process.on("SIGTERM", () => {});
  runner.exited.then((code) => process.exit(code ?? 0));`;
  return `(async () => {${recordsSteps ? "\n  const steps = {};" : ""}${step("started")}
  const [python, runnerDir, endpoint] = process.argv.slice(2);
  const fail = (why) => {
    console.log(why);
    process.exit(1);
  };${beforeCheck}${pythonAsked}
  const grpc = await import(${grpcModule});${step("grpcLoaded")}
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
  await Promise.all([serving(${JSON.stringify(TEMPORAL_SERVICE)}), serving("")]).catch((error) => fail(String(error)));${step("checked")}${pythonAnswered}${runnerOutput}
  const runner = Bun.spawn([python, "main.py"], { cwd: runnerDir, stdio, detached: ${supervisorDuties}, env: { ...process.env, PYTHONUNBUFFERED: "1" } });${step("spawned")}${stepsWritten}${afterSpawn}
})();
`;
}

export async function probeFirstStatement(quick: boolean, daemonEndpoint: string): Promise<string> {
  const baseEnv = cleanEnv();
  const floorSetup = { python: findPython(baseEnv), baseEnv };
  const setup = existsSync(stigmerBinary()) ? prepare() : null;
  const grpcModule = JSON.stringify(path.join(ROOT, "node_modules", "@grpc", "grpc-js"));
  const dir = freshDir("probes-first-statement");
  const leastStart = await compileProgram(dir, "least-start", startProgramSource(grpcModule, { supervisorDuties: false, recordsSteps: true }), "stigmer");
  const flatStart = await compileProgram(dir, "flat-start", startProgramSource(grpcModule, { supervisorDuties: true }), "stigmer");
  const leastFirstStart = await compileProgram(dir, "least-first-start", startProgramSource(grpcModule, { supervisorDuties: false, asksPython: true }), "stigmer");
  const leastSteps: LeastStartSteps[] = [];
  const programTrial = (what: string, binary: string, extraArgs: () => string[], recordsSteps = false) => async () => {
    const trialDir = freshDir("first-statement");
    const stampFile = path.join(trialDir, "first-statement");
    const stepsFile = path.join(trialDir, "steps.json");
    const env = floorRunnerEnv(floorSetup, { BENCH_FIRST_STATEMENT: stampFile, ...(recordsSteps ? { BENCH_STEPS: stepsFile } : {}) });
    const ms = await timeFirstStatement(`${what} (first statement)`, stampFile, () =>
      startInGroup(binary, [floorSetup.python, FIRST_STATEMENT_RUNNER, daemonEndpoint, ...extraArgs()], { env, stdout: "pipe" }),
    );
    if (recordsSteps) leastSteps.push(leastStartSteps(stepsFile, stampFile, ms));
    return ms;
  };
  const usedHome = freshDir("home");
  const contenders = [
    () => directTrial(floorSetup),
    programTrial("the least start", leastStart, () => [], true),
    programTrial("the flat start", flatStart, () => [freshDir("flat-start")]),
    programTrial("the least first start", leastFirstStart, () => []),
  ];
  if (setup) contenders.push(() => stigmerTrial(setup, daemonEndpoint, usedHome), () => stigmerTrial(setup, daemonEndpoint));
  const [direct, least, flat, leastFirst, stigmer, stigmerFirst] = (await alternate(contenders, quick ? RUNS.quick : RUNS.full)).map(summarize);
  const named: [string, Summary][] = [
    ["floor: `python3 main.py` started directly", direct!],
    ["the least start: grpc-js Health/Check of Temporal and the daemon at once (both SERVING), then `python3 main.py`", least!],
    ["the flat start: the same, and before the spawn what DESIGN.md asks of a supervisor (log, control socket, state file, orphan guard, FIFO pair made during the check, the runner's own group)", flat!],
    ["the least first start: the least start, and the Python asked its version (stigmer's probe, `-S`) while the checks run, as in a new STIGMER_HOME", leastFirst!],
  ];
  if (stigmer) named.push(["`stigmer local start`, STIGMER_HOME used by a start before (as the main run's second row)", stigmer]);
  if (stigmerFirst) named.push(["`stigmer local start`, a new STIGMER_HOME each time (as the main run's first row)", stigmerFirst]);
  const rows = named.map(([name, summary], index) => [
    name,
    formatMs(summary.median),
    formatRange(summary, formatMs),
    `${summary.count}`,
    index === 0 ? "floor" : formatRatio(summary.median, direct!.median),
  ]);
  const table = markdownTable(["spawn until main.py's first statement", "median", "min – max", "starts", "vs floor"], rows);
  const leftAfter = (summary: Summary) => {
    const left = TARGET_RATIO * direct!.median - summary.median;
    return left >= 0 ? `leaves ${formatMs(left)}` : `is already ${formatMs(-left)} over`;
  };
  const leftNote = `Of ${TARGET_RATIO}× the floor, the least start ${leftAfter(least!)} for everything else a start does before the spawn, and the flat start ${leftAfter(flat!)} before it reads flags, settings or a key`;
  const stigmerNote = stigmer ? `; stigmer takes ${formatMs(stigmer.median - flat!.median)} more than the flat start` : "";
  const firstNote = `. On a first start, the least first start ${leftAfter(leastFirst!)}${stigmerFirst ? `, and stigmer takes ${formatMs(stigmerFirst.median - leastFirst!.median)} more than it` : ""}`;
  return `${table}\n\n${leftNote}${stigmerNote}${firstNote} (medians).\n\n${stepsTable(leastSteps.slice(-least!.count), direct!)}`;
}

/** The least start's steps, in ms: each from the end of the one before, the first from the bench's spawn. */
interface LeastStartSteps {
  runtime: number;
  grpcLoad: number;
  checks: number;
  spawnCall: number;
  runnerStart: number;
}

const STEP_NAMES: Record<keyof LeastStartSteps, string> = {
  runtime: "Bun's start: the spawn until the program's first statement",
  grpcLoad: "@grpc/grpc-js loaded (with node:http2, node:net and the stream classes)",
  checks: "both Health/Checks answered (two channels, each its HTTP/2 connection)",
  spawnCall: "Bun.spawn of `python3 main.py` returned",
  runnerStart: "the runner's spawn until its first statement",
};

/** One start's steps, from the wall-clock marks the least start wrote, the runner's stamp and the bench's total. */
function leastStartSteps(stepsFile: string, stampFile: string, totalMs: number): LeastStartSteps {
  const marks = JSON.parse(readFileSync(stepsFile, "utf8")) as { started: number; grpcLoaded: number; checked: number; spawned: number };
  const firstStatement = Number(readStamp(stampFile)!.ns) / 1e6;
  const spawnedAt = firstStatement - totalMs;
  return {
    runtime: marks.started - spawnedAt,
    grpcLoad: marks.grpcLoaded - marks.started,
    checks: marks.checked - marks.grpcLoaded,
    spawnCall: marks.spawned - marks.checked,
    runnerStart: firstStatement - marks.spawned,
  };
}

/**
 * Where the least start's time goes, and what the 2× target leaves for the steps before the spawn: twice the
 * floor, less the runner's own start under it. No start compiled by Bun that checks the services with grpc-js (the
 * project's gRPC client) before its runner, as DESIGN.md asks, spends less before the spawn than the least start's
 * first three steps.
 */
function stepsTable(steps: readonly LeastStartSteps[], floor: Summary): string {
  const names = Object.keys(STEP_NAMES) as (keyof LeastStartSteps)[];
  const summaries = Object.fromEntries(names.map((name) => [name, summarize(steps.map((one) => one[name]))])) as Record<keyof LeastStartSteps, Summary>;
  const rows = names.map((name) => [STEP_NAMES[name], formatMs(summaries[name].median), formatRange(summaries[name], formatMs)]);
  const table = markdownTable(["the least start, step by step", "median", "min – max"], rows);
  const beforeSpawn = summarize(steps.map((one) => one.runtime + one.grpcLoad + one.checks + one.spawnCall));
  const budget = TARGET_RATIO * floor.median - summaries.runnerStart.median;
  return `${table}\n\nBefore its runner's spawn the least start spends ${formatMs(beforeSpawn.median)} (median), of which ${formatMs(
    summaries.grpcLoad.median + summaries.checks.median,
  )} on gRPC; ${TARGET_RATIO}× the floor, less the runner's own start under it, leaves ${formatMs(budget)} for everything a start does before the spawn.`;
}
