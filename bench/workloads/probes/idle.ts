// Probes, idle: where an idle supervisor's memory and CPU go on Bun. Small programs, each compiled the way build.ts
// compiles stigmer, each doing one thing a supervisor does at rest, are left idle side by side; after 10 s (2 s with
// --quick) their RSS, RssAnon, RssFile and PSS, then their CPU time over 60 s (3 s). The floor is the bare program
// (a timer): the differences to it are what each API costs at rest. Three of them show the ways the resident
// supervisor could check a serving daemon all day (the dev daemon, examples/dev-daemon.ts): a bare TCP connect, a
// grpc-js Health/Check on one long-lived channel, and the same check on a new channel each time. Each binary is
// dropped from the page cache before it starts, as stigmer's is for the idle rows of the main run; the bare program
// runs a second time with its binary read whole into the page cache first, to show what that state adds. Four read a
// FIFO that stays open: on the main thread's stream, in a Worker waiting in read(2) (what that thread keeps resident),
// on a timer, and once a thread compiled by Bun's cc finds it readable, as stigmer's supervisor reads it. A probe may
// read its input on stdin and be sent one status request on its control socket, as stigmer's supervisor is. No target.
import path from "node:path";
import { compileProgram } from "../../harness/contenders/compile.ts";
import { dropFromPageCache, readWhole } from "../../harness/processes/page-cache.ts";
import { FAKE_KEY, ROOT } from "../../harness/contenders/fixtures.ts";
import { formatMiB, formatMs, formatPercent, markdownTable, seconds } from "../../harness/report/format.ts";
import { cpuTimeMs, memoryOf, statusBytes } from "../../harness/processes/proc.ts";
import { cleanEnv } from "../../harness/contenders/setup.ts";
import { controlRequest } from "../../../src/lifecycle/control/client.ts";
import { BUN_SUPERVISOR_SETTINGS } from "../../../src/platform/process/self.ts";
import { freshDir, signalGroup, sleep, startInGroup, untrackGroup, type Started } from "../../harness/processes/processes.ts";

/** How long a probe has to start answering on its control socket. */
const STATUS_TIMEOUT_MS = 10_000;
const SIZES = { full: { settleMs: 10_000, cpuWindowMs: 60_000 }, quick: { settleMs: 2_000, cpuWindowMs: 3_000 } };

interface Probe {
  name: string;
  /** How its binary sits in the page cache when it starts (bench/harness/processes/page-cache.ts); dropped unless said. */
  pageCache?: "read whole";
  /** The program. `SCRATCH` is a directory it may create sockets in; `ENDPOINT` the serving dev daemon's host:port. */
  source: string;
  /** Its environment beyond the bench's clean one. */
  env?: Readonly<Record<string, string>>;
  /** Written to its stdin, which is then closed; without it, stdin is /dev/null. */
  input?: string;
  /** Its control socket, given its pid: one status request goes there once it has started, and must be answered. */
  statusSocket?: (pid: number) => string;
}

const KEEP_ALIVE = "setInterval(() => {}, 5000);";
const NODE_SPAWN = `import { spawn } from "node:child_process";
const child = spawn("sleep", ["100000"], { stdio: ["ignore", "pipe", "pipe"] });
child.stdout.on("data", () => {}); child.stderr.on("data", () => {}); child.on("exit", () => {});`;
const BUN_SPAWN = `const child = Bun.spawn(["sleep", "100000"], { stdio: ["ignore", "pipe", "pipe"] });
(async () => { for await (const _ of child.stdout) {} })(); (async () => { for await (const _ of child.stderr) {} })();`;
const NODE_LISTEN = `import { createServer } from "node:net";
createServer((socket) => socket.end()).listen(SCRATCH + "/node-" + process.pid + ".sock");`;
const BUN_LISTEN = `Bun.listen({ unix: SCRATCH + "/bun-" + process.pid + ".sock", socket: { data(socket) { socket.end(); } } });`;
// Port 1 on 127.0.0.1: nothing listens, as with a daemon that is down.
const NODE_CONNECT = `import { connect } from "node:net";
setInterval(() => { const socket = connect({ host: "127.0.0.1", port: 1 }); socket.on("error", () => socket.destroy()); }, 5000);`;
const BUN_CONNECT = `setInterval(() => { Bun.connect({ hostname: "127.0.0.1", port: 1, socket: { data() {}, connectError() {} } }).catch(() => {}); }, 5000);`;

// A FIFO with its write end held open (no output comes, and no end): read on the main thread's stream, by a Worker
// waiting in read(2), looked at with non-blocking reads on the main thread, twice as long apart each time it is found
// empty, up to 100 ms, or read once a thread of stigmer's finds it readable: the ways to read a flood the flood probes
// compare, and what each costs at rest.
const IDLE_FIFO = `import { constants, openSync, readSync } from "node:fs";
const fifo = SCRATCH + "/fifo-" + process.pid;
if (Bun.spawnSync(["mkfifo", "-m", "600", fifo]).exitCode !== 0) process.exit(2);
const read = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
const write = openSync(fifo, constants.O_WRONLY);
const blocking = () => openSync("/proc/self/fd/" + read, constants.O_RDONLY);`;
const WORKER_READER = 'const { readSync } = require("node:fs"); self.onmessage = (event) => { const buffer = new Uint8Array(1 << 20); while (readSync(event.data, buffer, 0, buffer.length, null) > 0); };';
const FIFO_ON_MAIN_THREAD = `${IDLE_FIFO}
(async () => { for await (const _ of Bun.file(read).stream()) {} })();`;
const FIFO_IN_A_WORKER = `${IDLE_FIFO}
new Worker(URL.createObjectURL(new Blob([${JSON.stringify(WORKER_READER)}]))).postMessage(blocking());`;
const FIFO_POLLED = `${IDLE_FIFO}
const buffer = new Uint8Array(1 << 20);
let waitMs = 1;
const look = () => {
  let bytes = -1;
  try { bytes = readSync(read, buffer, 0, buffer.length, null); } catch (error) { if (error.code !== "EAGAIN") throw error; }
  waitMs = bytes > 0 ? 1 : Math.min(waitMs * 2, 100);
  setTimeout(look, waitMs);
};
look();`;
// A thread of stigmer's waits in poll(2) until the FIFO is readable (src/platform/process/readable-wait.ts, compiled by
// Bun's cc): what that C compiler, bun:ffi and the thread keep resident.
const FIFO_THREAD = `${IDLE_FIFO}
import { readableWait, readWhenReadable } from ${JSON.stringify(path.join(ROOT, "src", "platform", "process", "readable-wait.ts"))};
const wait = await readableWait(read);
if (!wait) process.exit(3);
for await (const _ of readWhenReadable(read, wait)) {}`;

// What the supervisor's own code uses of Node's API, each used once: the files under STIGMER_HOME, paths, the user's
// temporary directory (its timers are the globals: src/platform/process/timers.ts). Bun builds these modules on first
// use, and their code stays resident.
const NODE_BASICS = `import { appendFileSync, statSync } from "node:fs";
import path from "node:path";
import { tmpdir } from "node:os";
statSync(SCRATCH); appendFileSync(path.join(SCRATCH, "basics-" + process.pid), tmpdir());`;

// The daemon checks: the first at once (the --quick window is shorter than 5 s), then every 5 s. A check that does
// not find the daemon serving ends the probe with 1, which fails the run.
const HOST_PORT = `const [HOST, PORT] = [ENDPOINT.slice(0, ENDPOINT.lastIndexOf(":")), Number(ENDPOINT.slice(ENDPOINT.lastIndexOf(":") + 1))];`;
const TCP_TO_DAEMON = `${HOST_PORT}
const check = () => Bun.connect({ hostname: HOST, port: PORT, socket: { open(socket) { socket.end(); }, data() {}, error() {} } })
  .catch(() => process.exit(1));
check(); setInterval(check, 5000);`;
/** grpc.health.v1 Health/Check for service "": an empty request; SERVING is field 1 = 1, the two bytes 08 01. */
function grpcHealth(grpcModule: string, channel: "one" | "new each time"): string {
  const call = `client.makeUnaryRequest("/grpc.health.v1.Health/Check", () => Buffer.alloc(0), (bytes) => bytes, {}, { deadline: Date.now() + 2000 },
    (error, response) => { if (error || !response || !Buffer.from([8, 1]).equals(response)) process.exit(1); ${channel === "one" ? "" : "client.close();"} })`;
  const body =
    channel === "one"
      ? `const client = new grpc.Client(ENDPOINT, grpc.credentials.createInsecure());\nconst check = () => ${call};`
      : `const check = () => { const client = new grpc.Client(ENDPOINT, grpc.credentials.createInsecure()); ${call}; };`;
  return `import * as grpc from ${grpcModule};\n${body}\ncheck(); setInterval(check, 5000);`;
}

// stigmer's no-daemon background supervisor's duties at rest, in one flat file with the fewest kinds of calls: its plan
// (a key and the runner's environment) read from stdin as the supervisor reads it; its own log; a Unix socket that
// answers the status request the harness sends once; the state file written whole and renamed, before and
// after the runner starts; an orphan guard (`sh` reading the runner's pid from a stdin pipe); a FIFO pair by mkfifo
// for the runner's output, each read once a thread of stigmer's finds it readable (src/platform/process/readable-wait.ts)
// into the buffer that read the plan, its whole lines logged (what follows its last newline is dropped, not carried
// over) with the key's first occurrence redacted, the ready line matched, a 1 ms pause after every read (stigmer's
// only after short ones); a spare FIFO made in the background; the signal handlers; a TCP look at a closed port
// every 5 s. Run with the same engine settings: what stigmer's code organisation adds at
// rest is the difference to its no-daemon idle row of the main run. Unlike stigmer's, its children stay in its
// process group, so that ending the probe's group ends them too.
const FLAT_SUPERVISOR = `import { closeSync, constants, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { readableWait } from ${JSON.stringify(path.join(ROOT, "src", "platform", "process", "readable-wait.ts"))};
const APPEND = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND;
const chunks = [];
const buffer = Buffer.allocUnsafe(65536);
for (;;) {
  let read;
  try { read = readSync(0, buffer, 0, buffer.length, null); } catch (error) {
    if (error.code !== "EAGAIN") throw error;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    continue;
  }
  if (read === 0) break;
  chunks.push(Buffer.from(buffer.subarray(0, read)));
}
const plan = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const home = path.join(SCRATCH, "flat-" + process.pid);
mkdirSync(home, { mode: 0o700 });
const log = openSync(path.join(home, "supervisor.log"), APPEND, 0o600);
const say = (message) => writeSync(log, new Date().toISOString() + " info " + message + "\\n");
say("starting");
let runner = null;
const status = () => ({ supervisor: { pid: process.pid }, runner: { pid: runner?.pid ?? null, state: "running" } });
Bun.listen({ unix: path.join(home, "control.sock"), socket: { data(socket, bytes) {
  if (JSON.parse(Buffer.from(bytes).toString("utf8")).op === "status") socket.end(JSON.stringify({ ok: true, result: status() }) + "\\n");
} } });
const recordState = (state) => {
  const temporary = path.join(home, "state.json.tmp");
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  writeSync(fd, JSON.stringify(state));
  closeSync(fd);
  renameSync(temporary, path.join(home, "state.json"));
};
recordState({ pid: process.pid });
const guard = Bun.spawn(["/bin/sh", "-c", "while IFS= read -r line; do :; done"], { stdio: ["pipe", "ignore", "ignore"] });
guard.unref();
const [out, err] = [path.join(home, "out"), path.join(home, "err")];
Bun.spawnSync(["mkfifo", "-m", "600", out, err]);
const ends = [out, err].map((fifo) => [openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK), openSync(fifo, constants.O_WRONLY)]);
rmSync(out); rmSync(err);
runner = Bun.spawn(["sh", "-c", "echo 'Worker ready, polling for tasks...'; exec sleep 100000"], { stdio: ["ignore", ends[0][1], ends[1][1]], env: plan.env, onExit() {} });
for (const [, write] of ends) closeSync(write);
recordState({ pid: process.pid, runner: runner.pid });
guard.stdin.write(runner.pid + "\\n");
guard.stdin.flush();
mkdirSync(path.join(home, "spare"));
Bun.spawn(["mkfifo", "-m", "600", path.join(home, "spare", "out")], { stdio: ["ignore", "ignore", "ignore"], onExit() {} });
const runnerLog = openSync(path.join(home, "runner.log"), APPEND, 0o600);
const key = Buffer.from(plan.key);
const READY = /Worker ready, polling for tasks\\.\\.\\./;
for (const [read] of ends) void (async () => {
  const wait = await readableWait(read);
  for (;;) {
    await wait.readable();
    let length;
    try { length = readSync(read, buffer, 0, buffer.length, null); } catch (error) { if (error.code === "EAGAIN") continue; throw error; }
    if (length === 0) break;
    let bytes = buffer.subarray(0, length);
    const at = bytes.indexOf(key);
    if (at >= 0) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from("[REDACTED]"), bytes.subarray(at + key.length)]);
    writeSync(runnerLog, bytes.subarray(0, bytes.lastIndexOf(10) + 1));
    if (READY.test(bytes.toString("latin1"))) say("ready");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
})();
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => {});
setInterval(() => { Bun.connect({ hostname: "127.0.0.1", port: 1, socket: { data() {}, connectError() {} } }).catch(() => {}); }, 5000);`;

function probes(dir: string): Probe[] {
  const grpc = JSON.stringify(path.join(ROOT, "node_modules", "@grpc", "grpc-js"));
  // How the flat supervisor runs: on its stdin a plan as stigmer's gets one (a key to redact, the runner's environment).
  const flatRun = {
    env: BUN_SUPERVISOR_SETTINGS,
    input: JSON.stringify({ key: FAKE_KEY, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } }),
    statusSocket: (pid: number) => path.join(dir, `flat-${pid}`, "control.sock"),
  };
  return [
    { name: "bare: a timer every 5 s", source: KEEP_ALIVE },
    { name: "the same, its binary read whole into the page cache first (as a build or an install leaves it)", source: KEEP_ALIVE, pageCache: "read whole" },
    { name: "node:child_process spawn, output piped", source: `${NODE_SPAWN}\n${KEEP_ALIVE}` },
    { name: "Bun.spawn, output piped", source: `${BUN_SPAWN}\n${KEEP_ALIVE}` },
    { name: "node:net Unix socket server", source: `${NODE_LISTEN}\n${KEEP_ALIVE}` },
    { name: "Bun.listen Unix socket server", source: `${BUN_LISTEN}\n${KEEP_ALIVE}` },
    { name: "node:net connect every 5 s (closed port)", source: NODE_CONNECT },
    { name: "Bun.connect every 5 s (closed port)", source: BUN_CONNECT },
    { name: "node:dns lookup('localhost') every 5 s", source: `import { lookup } from "node:dns/promises";\nsetInterval(() => void lookup("localhost", { all: true }), 5000);` },
    { name: "Bun.dns.lookup('localhost') every 5 s", source: `setInterval(() => void Bun.dns.lookup("localhost"), 5000);` },
    { name: "import @grpc/grpc-js, nothing else", source: `void import(${grpc});\n${KEEP_ALIVE}` },
    { name: "stigmer's mix before issue 17: node:child_process + node:net server + Bun.connect every 5 s", source: `${NODE_SPAWN}\n${NODE_LISTEN}\n${BUN_CONNECT}` },
    { name: "all Bun-native: Bun.spawn + Bun.listen + Bun.connect every 5 s", source: `${BUN_SPAWN}\n${BUN_LISTEN}\n${BUN_CONNECT}` },
    { name: "node:fs, path, os, each used once (what the supervisor's own code imports)", source: `${NODE_BASICS}\n${KEEP_ALIVE}` },
    { name: "the floor of a supervisor on Bun: those + Bun.spawn + Bun.listen + Bun.connect every 5 s", source: `${NODE_BASICS}\n${BUN_SPAWN}\n${BUN_LISTEN}\n${BUN_CONNECT}` },
    {
      name: "a flat supervisor with stigmer's engine settings, doing what stigmer's does at rest with no daemon: its plan from stdin, its log, a Unix socket answering one status request, the state file written and renamed twice, an orphan guard, the runner's output through a FIFO pair redacted, logged and matched, a spare FIFO, Bun.connect every 5 s",
      source: FLAT_SUPERVISOR,
      ...flatRun,
    },
    {
      name: "the same, with stigmer's background supervisor's modules loaded beside it and not run (src/lifecycle/supervisor/background.ts imported)",
      source: `import * as supervisorModules from ${JSON.stringify(path.join(ROOT, "src", "lifecycle", "supervisor", "background.ts"))};\nglobalThis.loaded = supervisorModules;\n${FLAT_SUPERVISOR}`,
      ...flatRun,
    },
    { name: "a FIFO made by mkfifo (Bun.spawnSync), its write end held open, read by Bun.file(fd).stream() on the main thread, as stigmer's supervisor reads its runner's output where no thread can wait for it", source: `${FIFO_ON_MAIN_THREAD}\n${KEEP_ALIVE}` },
    { name: "the same FIFO read by a Worker whose thread waits in read(2) (how a supervisor could read a flood at cat's pace: see the flood probes)", source: `${FIFO_IN_A_WORKER}\n${KEEP_ALIVE}` },
    { name: "the same FIFO looked at by non-blocking reads on the main thread, at most 100 ms apart while it stays empty (no epoll: see the flood probes)", source: FIFO_POLLED },
    { name: "the same FIFO read once a thread waiting in poll(2) finds it readable, as stigmer's supervisor reads its runner's output (src/platform/process/readable-wait.ts, compiled by Bun's cc)", source: FIFO_THREAD },
    { name: "daemon check (a): Bun.connect to the serving daemon's port every 5 s, closed at once", source: TCP_TO_DAEMON },
    { name: "daemon check (b): grpc-js Health/Check every 5 s, one long-lived channel", source: grpcHealth(grpc, "one") },
    { name: "daemon check (c): grpc-js Health/Check every 5 s, a new channel each time, closed after", source: grpcHealth(grpc, "new each time") },
  ];
}

/** One status request to a probe's control socket, made as `stigmer local status` makes it; the answer must name its runner. */
async function askStatus(probe: Started, socketPath: string, name: string): Promise<void> {
  const reply = await controlRequest(socketPath, "status", STATUS_TIMEOUT_MS);
  if (reply.kind === "answer" && (reply.result as { runner?: { pid?: number | null } } | null)?.runner?.pid) return;
  const exit = probe.child.exitCode ?? probe.child.signalCode;
  if (exit !== null) throw new Error(`probe "${name}" exited (${exit}) before it answered a status request`);
  throw new Error(`probe "${name}" did not answer a status request on ${socketPath} with its runner within ${STATUS_TIMEOUT_MS / 1000} s: ${JSON.stringify(reply)}`);
}

export async function probeIdle(quick: boolean, daemonEndpoint: string): Promise<string> {
  const sizes = quick ? SIZES.quick : SIZES.full;
  const dir = freshDir("probes-idle");
  const list = probes(dir);
  const compileBegan = performance.now();
  const binaries: string[] = [];
  for (const [index, probe] of list.entries()) {
    const source = `const SCRATCH = ${JSON.stringify(dir)};\nconst ENDPOINT = ${JSON.stringify(daemonEndpoint)};\n${probe.source}\n`;
    binaries.push(await compileProgram(dir, `probe-${index}`, source, "stigmer"));
  }
  console.log(`idle probes: ${list.length} programs compiled in ${formatMs(performance.now() - compileBegan)}`);
  const running = binaries.map((binary, index) => {
    if (list[index]!.pageCache === "read whole") readWhole(binary);
    else dropFromPageCache(binary);
    const { input } = list[index]!;
    const started = startInGroup(binary, [], { env: { ...cleanEnv(), ...list[index]!.env }, cwd: dir, stdin: input === undefined ? "ignore" : "pipe" });
    // A probe that exits before reading it is reported by askStatus, not by an EPIPE here.
    if (input !== undefined) started.child.stdin!.on("error", () => {}).end(input);
    return started;
  });
  try {
    await Promise.all(running.map((probe, index) => list[index]!.statusSocket && askStatus(probe, list[index]!.statusSocket!(probe.pid), list[index]!.name)));
    await sleep(sizes.settleMs);
    const readings = running.map((probe, index) => {
      const memory = memoryOf(probe.pid);
      const file = statusBytes(probe.pid, "RssFile");
      const cpuBefore = cpuTimeMs(probe.pid);
      if (!memory || file === null || cpuBefore === null) throw new Error(`probe "${list[index]!.name}" exited while settling`);
      return { ...memory, file, cpuBefore };
    });
    const windowBegan = performance.now();
    await sleep(sizes.cpuWindowMs);
    const windowMs = performance.now() - windowBegan;
    const cpuPercents = running.map((probe, index) => {
      const after = cpuTimeMs(probe.pid);
      if (after === null || probe.child.exitCode !== null) throw new Error(`probe "${list[index]!.name}" exited while idle (exit ${probe.child.exitCode})`);
      return ((after - readings[index]!.cpuBefore) / windowMs) * 100;
    });
    const bare = readings[0]!.rss;
    const rows = list.map((probe, index) => {
      const { rss, anon, file, pss } = readings[index]!;
      const delta = index === 0 ? "—" : `${rss >= bare ? "+" : "−"}${formatMiB(Math.abs(rss - bare))}`;
      return [probe.name, formatMiB(rss), delta, formatMiB(anon), formatMiB(file), formatMiB(pss), formatPercent(cpuPercents[index]!)];
    });
    const header = [`program (compiled, idle; after ${seconds(sizes.settleMs)})`, "VmRSS", "vs bare", "RssAnon", "RssFile", "PSS", `CPU over ${seconds(sizes.cpuWindowMs)}, % of one core`];
    return [
      markdownTable(header, rows),
      "",
      `CPU time is user + system from /proc/<pid>/stat, in clock ticks (10 ms): over ${seconds(sizes.cpuWindowMs)} one tick is ${formatPercent(1000 / sizes.cpuWindowMs)}.`,
      `The daemon checks (a)–(c) ask examples/dev-daemon.ts at ${daemonEndpoint}: once at start, then every 5 s; a check that fails ends the probe, which fails the run.`,
    ].join("\n");
  } finally {
    for (const probe of running) {
      signalGroup(probe.pid, "SIGKILL");
      await probe.exited;
      untrackGroup(probe.pid);
    }
  }
}
