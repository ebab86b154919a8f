// `bun bench/run.ts --probes [--quick]`: where an idle supervisor's memory and CPU go on Bun.
// Small programs, each compiled the way build.ts compiles stigmer (minify, bytecode), each doing
// one thing a supervisor does at rest, are left idle side by side; their RSS and CPU time are
// read from /proc. The differences to the bare program are what each API costs (issue 9: the
// idle RSS and CPU targets, and why they are out of reach; see bench/RESULTS.md).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** What bench/run.ts lends this file. */
export interface ProbesContext {
  root: string;
  scratch: string;
  quick: boolean;
  liveGroups: Set<number>;
  procStatusBytes: (pid: number, field: string) => number | null;
  cpuTimeMs: (pid: number) => number | null;
  formatMiB: (bytes: number) => string;
  formatPercent: (percent: number) => string;
}

interface Probe {
  name: string;
  /** The program; `SCRATCH` stands for a directory it may create sockets in. */
  source: string;
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

function probes(root: string): Probe[] {
  const grpc = JSON.stringify(path.join(root, "node_modules", "@grpc", "grpc-js"));
  return [
    { name: "bare: a timer every 5 s", source: KEEP_ALIVE },
    { name: "node:child_process spawn, output piped", source: `${NODE_SPAWN}\n${KEEP_ALIVE}` },
    { name: "Bun.spawn, output piped", source: `${BUN_SPAWN}\n${KEEP_ALIVE}` },
    { name: "node:net Unix socket server", source: `${NODE_LISTEN}\n${KEEP_ALIVE}` },
    { name: "Bun.listen Unix socket server", source: `${BUN_LISTEN}\n${KEEP_ALIVE}` },
    { name: "node:net connect every 5 s (closed port)", source: NODE_CONNECT },
    { name: "Bun.connect every 5 s (closed port)", source: BUN_CONNECT },
    { name: "node:dns lookup('localhost') every 5 s", source: `import { lookup } from "node:dns/promises";\nsetInterval(() => void lookup("localhost", { all: true }), 5000);` },
    { name: "Bun.dns.lookup('localhost') every 5 s", source: `setInterval(() => void Bun.dns.lookup("localhost"), 5000);` },
    { name: "import @grpc/grpc-js, nothing else", source: `void import(${grpc});\n${KEEP_ALIVE}` },
    { name: "stigmer's mix: node:child_process + node:net server + Bun.connect every 5 s", source: `${NODE_SPAWN}\n${NODE_LISTEN}\n${BUN_CONNECT}` },
    { name: "all Bun-native: Bun.spawn + Bun.listen + Bun.connect every 5 s", source: `${BUN_SPAWN}\n${BUN_LISTEN}\n${BUN_CONNECT}` },
  ];
}

const SETTLE_MS = { full: 10_000, quick: 2_000 };
const CPU_WINDOW_MS = { full: 60_000, quick: 3_000 };

export async function runProbes(ctx: ProbesContext): Promise<void> {
  const dir = path.join(ctx.scratch, "probes");
  mkdirSync(dir, { recursive: true });
  const list = probes(ctx.root);
  const began = performance.now();
  const binaries: string[] = [];
  for (const [index, probe] of list.entries()) binaries.push(await compileProbe(dir, index, probe));
  console.log(`probes (${ctx.quick ? "--quick" : "full"}): ${list.length} programs compiled with Bun ${Bun.version} in ${((performance.now() - began) / 1000).toFixed(1)} s`);
  const running: ChildProcess[] = binaries.map((binary) => {
    const child = spawn(binary, [], { cwd: dir, detached: true, stdio: "ignore" });
    ctx.liveGroups.add(child.pid!);
    return child;
  });
  const settle = ctx.quick ? SETTLE_MS.quick : SETTLE_MS.full;
  const window = ctx.quick ? CPU_WINDOW_MS.quick : CPU_WINDOW_MS.full;
  await Bun.sleep(settle);
  const memory = running.map((child) => ({
    rss: ctx.procStatusBytes(child.pid!, "VmRSS"),
    anon: ctx.procStatusBytes(child.pid!, "RssAnon"),
    file: ctx.procStatusBytes(child.pid!, "RssFile"),
    cpuBefore: ctx.cpuTimeMs(child.pid!),
  }));
  const windowBegan = performance.now();
  await Bun.sleep(window);
  const windowMs = performance.now() - windowBegan;
  const cpu = running.map((child, index) => {
    const after = ctx.cpuTimeMs(child.pid!);
    const before = memory[index]!.cpuBefore;
    if (after === null || before === null) throw new Error(`probe "${list[index]!.name}" exited while idle`);
    return ((after - before) / windowMs) * 100;
  });
  for (const child of running) {
    process.kill(-child.pid!, "SIGKILL");
    ctx.liveGroups.delete(child.pid!);
  }
  const bare = memory[0]!.rss!;
  const lines = [
    `| program (compiled, idle; after ${settle / 1000} s) | VmRSS | vs bare | RssAnon | RssFile | CPU over ${window / 1000} s, % of one core |`,
    "|---|---|---|---|---|---|",
  ];
  list.forEach((probe, index) => {
    const { rss, anon, file } = memory[index]!;
    const delta = index === 0 ? "—" : `${rss! >= bare ? "+" : "−"}${ctx.formatMiB(Math.abs(rss! - bare))}`;
    lines.push(`| ${probe.name} | ${ctx.formatMiB(rss!)} | ${delta} | ${ctx.formatMiB(anon!)} | ${ctx.formatMiB(file!)} | ${ctx.formatPercent(cpu[index]!)} |`);
  });
  console.log();
  console.log(lines.join("\n"));
  console.log();
  console.log(`CPU time is user + system from /proc/<pid>/stat, in clock ticks (10 ms): over ${window / 1000} s one tick is ${ctx.formatPercent(1000 / window)}.`);
  console.log(`Probes finished in ${((performance.now() - began) / 1000).toFixed(1)} s.`);
}

async function compileProbe(dir: string, index: number, probe: Probe): Promise<string> {
  const source = path.join(dir, `probe-${index}.ts`);
  const binary = path.join(dir, `probe-${index}`);
  writeFileSync(source, `const SCRATCH = ${JSON.stringify(dir)};\n${probe.source}\n`);
  const result = await Bun.build({ entrypoints: [source], compile: { outfile: binary }, minify: true, bytecode: true });
  if (!result.success) throw new Error(`probe "${probe.name}" did not compile:\n${result.logs.join("\n")}`);
  return binary;
}
