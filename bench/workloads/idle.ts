// Idle: the background supervisor (`local start --detach`, the quiet fixture runner) left alone, in two set-ups one
// after the other, so that neither shares the binary's pages with the other (which would lower its PSS):
//   - with a serving daemon (the dev daemon, as daemon and Temporal): its watcher looks at the port every 5 s and
//     makes a gRPC health call now and then (the first look, a change, every 5 minutes), each in a health checker
//     process it starts for the call and which ends 2 s after it;
//   - with no daemon (`--no-wait-daemon`, `--endpoint` and TEMPORAL_SERVICE_ADDRESS a closed port): each look is
//     refused.
// After 10 s (2 s with --quick): its RSS, RssAnon and PSS (the runner is not counted); then its user + system CPU
// time over the next 60 s (3 s) as % of one core, while its memory is sampled every second for the window's mean;
// afterwards `status` must show the same runner, never restarted. Its helper processes (descendants running the
// stigmer binary: the health checker) are part of what it costs: RssAnon, PSS and CPU count them,
// RSS is its own (summing RSS would count the shared binary pages twice), and the notes say which helpers there were.
// Before each set-up the binary is dropped from the page cache, so that its pages come in through stigmer's own faults,
// as after a reboot (bench/harness/processes/page-cache.ts); then, for the RSS only, the serving set-up once more with the binary
// read whole into the page cache first, the state a build or an install leaves it in, where the kernel maps whole
// large folios and RSS is ~2-5 MiB higher for the same process (bench/README.md).
// No floor. Targets: RSS ≤ 40 MiB with the daemon serving and ≤ 32 MiB without; with it serving, RssAnon below
// supervisord's, measured here side by side with the same quiet runner when supervisord is on PATH (the peers run
// measures it too); CPU ≤ 0.5 % of a core. The periodic health call falls outside a 60 s window, so what one costs is
// measured on its own: the checker process started as the supervisor starts it, one call to the serving dev daemon,
// its CPU time and peak memory, and that CPU spread over the 5 minutes between the watcher's calls.
import path from "node:path";
import { readStarts } from "../harness/contenders/fixtures.ts";
import { formatMiB, formatMs, formatPercent, MiB, seconds } from "../harness/report/format.ts";
import { hasSupervisord, supervisord, waitForRunner, type Instance } from "../harness/contenders/peers.ts";
import { freePort } from "../harness/processes/ports.ts";
import { spawn } from "node:child_process";
import { cpuTimeMs, memoryOf, statusBytes, treeCpuTimeMs, treeMemoryOf, type Memory, type TreeMemory } from "../harness/processes/proc.ts";
import { dropFromPageCache, readWhole } from "../harness/processes/page-cache.ts";
import { freshDir, sleep } from "../harness/processes/processes.ts";
import type { Setup } from "../harness/contenders/setup.ts";
import { runningProblem, startBackground, statusNow, stopBackground, type Background } from "../harness/contenders/stigmer.ts";
import { row, type Row, type WorkloadResult } from "../harness/report/table.ts";

const SIZES = { full: { settleMs: 10_000, cpuWindowMs: 60_000 }, quick: { settleMs: 2_000, cpuWindowMs: 3_000 } };
/** How often the memory is sampled during the CPU window, for its mean. */
const WINDOW_SAMPLE_MS = 1_000;
const TARGET_RSS_SERVING = 40 * MiB;
const TARGET_RSS_NO_DAEMON = 32 * MiB;
const TARGET_CPU_PERCENT = 0.5;
/** The watcher's pause between health calls while the port keeps accepting (src/daemon/watch.ts). */
const CALL_EVERY_MS = 5 * 60_000;
const CHECKER_TIMEOUT_MS = 30_000;

interface CheckerCall {
  cpuMs: number;
  peakRss: number;
  anon: number;
}

/**
 * One health call the way the supervisor makes it: `stigmer local __health-checks` started, one request line for the
 * serving daemon, its answer read, the process's CPU time and memory read before its input is closed.
 */
async function checkerCall(setup: Setup, endpoint: string): Promise<CheckerCall> {
  const child = spawn(setup.stigmer, ["local", "__health-checks"], { env: setup.baseEnv, stdio: ["pipe", "pipe", "ignore"] });
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      let text = "";
      const timer = setTimeout(() => reject(new Error(`the health checker did not answer within ${CHECKER_TIMEOUT_MS / 1000} s`)), CHECKER_TIMEOUT_MS);
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk: string) => {
        text += chunk;
        if (text.includes("\n")) {
          clearTimeout(timer);
          resolve(text);
        }
      });
      child.stdin.write(`${JSON.stringify({ id: 1, endpoint, service: "", deadlineMs: 5_000 })}\n`);
    });
    if ((JSON.parse(answer) as { check?: { status?: string } }).check?.status !== "serving") throw new Error(`the health checker answered ${answer.trim()}`);
    const cpuMs = cpuTimeMs(pid);
    const peakRss = statusBytes(pid, "VmHWM");
    const anon = statusBytes(pid, "RssAnon");
    if (cpuMs === null || peakRss === null || anon === null) throw new Error("the health checker went away before it was read");
    return { cpuMs, peakRss, anon };
  } finally {
    child.stdin.end();
    await exited;
  }
}

interface Idle {
  /** Read once, after the settling time. */
  memory: TreeMemory;
  cpuPercent: number;
  /** Over the CPU window: the mean RssAnon and PSS (helpers included), and in how many samples a helper was there. */
  window: { anon: number; pss: number; samples: number; withHelpers: number };
  /** The memory of the process idling beside it, read at the same moment as `memory`. */
  besideMemory: Memory | null;
}

/**
 * Leaves `background` alone: its memory after `settleMs` (and that of `besidePid`, idling beside it), then its CPU
 * and its sampled memory over `cpuWindowMs`; then checks that its runner never restarted.
 */
async function idle(setup: Setup, background: Background, sizes: typeof SIZES.full, besidePid?: number): Promise<Idle> {
  const pid = background.supervisorPid;
  const wentAway = () => new Error(`the background supervisor (pid ${pid}) went away while idle`);
  await sleep(sizes.settleMs);
  const memory = treeMemoryOf(pid);
  const besideMemory = besidePid === undefined ? null : memoryOf(besidePid);
  const cpuBefore = treeCpuTimeMs(pid);
  if (memory === null || cpuBefore === null) throw wentAway();
  const samples: TreeMemory[] = [];
  const windowBegan = performance.now();
  const sampler = setInterval(() => {
    const sample = treeMemoryOf(pid);
    if (sample) samples.push(sample);
  }, WINDOW_SAMPLE_MS);
  await sleep(sizes.cpuWindowMs);
  clearInterval(sampler);
  const cpuAfter = treeCpuTimeMs(pid);
  const windowMs = performance.now() - windowBegan;
  if (cpuAfter === null) throw wentAway();
  // Asked only now, since answering costs the supervisor CPU: it must have kept the runner up all along.
  statusNow(setup, background.env, (report) => runningProblem(report, background));
  if (samples.length === 0) samples.push(memory);
  const mean = (pick: (sample: TreeMemory) => number) => samples.reduce((total, sample) => total + pick(sample), 0) / samples.length;
  return {
    memory,
    cpuPercent: ((cpuAfter - cpuBefore) / windowMs) * 100,
    window: { anon: mean((s) => s.anon), pss: mean((s) => s.pss), samples: samples.length, withHelpers: samples.filter((s) => s.helpers.length > 0).length },
    besideMemory,
  };
}

/** Which helper processes the supervisor had at the reading and during the window, and what they held. */
function helpersNote(setUp: string, { memory, window }: Idle): string {
  const own = `its own RSS ${formatMiB(memory.own.rss)}, RssAnon ${formatMiB(memory.own.anon)}, PSS ${formatMiB(memory.own.pss)}`;
  const helpers = memory.helpers.map(({ pid, memory: m }) => `pid ${pid}: RSS ${formatMiB(m.rss)}, RssAnon ${formatMiB(m.anon)}, PSS ${formatMiB(m.pss)}`);
  const atReading =
    helpers.length === 0 ? "no helper process at the reading" : `${helpers.length} helper process(es) at the reading (${helpers.join("; ")})`;
  const during = `a helper in ${window.withHelpers} of ${window.samples} samples of the window, mean RssAnon ${formatMiB(window.anon)}, mean PSS ${formatMiB(window.pss)} (helpers included)`;
  return `Idle, ${setUp}: the supervisor had ${atReading}; ${during}; ${own}.`;
}

/** supervisord with the same quiet runner, to be measured beside stigmer's supervisor; null without supervisord. */
async function startSupervisord(setup: Setup): Promise<{ instance: Instance; starts: string } | null> {
  if (!hasSupervisord()) return null;
  const dir = freshDir("idle-supervisord");
  const starts = path.join(dir, "starts");
  const instance = await supervisord(setup).start({ fixture: { FIXTURE_STARTS: starts }, restart: true, dir });
  await waitForRunner(starts, "supervisord");
  return { instance, starts };
}

export async function benchIdle(setup: Setup, quick: boolean, daemonEndpoint: string): Promise<WorkloadResult> {
  const sizes = quick ? SIZES.quick : SIZES.full;
  const after = `after ${seconds(sizes.settleMs)} idle`;
  const rows: Row[] = [];
  const notes: string[] = [];

  const peer = await startSupervisord(setup);
  dropFromPageCache(setup.stigmer);
  const { background: serving } = await startBackground(setup, { endpoint: daemonEndpoint, waitDaemon: true });
  try {
    const result = await idle(setup, serving, sizes, peer?.instance.supervisorPid);
    if (peer && readStarts(peer.starts).length !== 1) throw new Error("supervisord: the quiet runner restarted while idle");
    const reference = result.besideMemory;
    rows.push(
      row(`background supervisor RSS (VmRSS), runner not counted, ${after} (binary read in by its own page faults)`, [result.memory.own.rss], formatMiB, "run", { kind: "at most", max: TARGET_RSS_SERVING }),
      row("background supervisor RssAnon, helpers included, same moment (dev daemon serving)", [result.memory.anon], formatMiB, "run", {
        kind: "below",
        what: "supervisord's",
        reference: reference?.anon ?? null,
      }),
      row("background supervisor PSS, helpers included, same moment (dev daemon serving)", [result.memory.pss], formatMiB, "run"),
      row(`background supervisor CPU (user + system) over the next ${seconds(sizes.cpuWindowMs)} idle, % of one core`, [result.cpuPercent], formatPercent, "run", {
        kind: "at most",
        max: TARGET_CPU_PERCENT,
      }),
      row(`background supervisor RssAnon, helpers included, mean over those ${seconds(sizes.cpuWindowMs)} (dev daemon serving)`, [result.window.anon], formatMiB, "run"),
    );
    notes.push(helpersNote("dev daemon serving", result));
    const calls: CheckerCall[] = [];
    for (let call = 0; call < (quick ? 1 : 5); call++) calls.push(await checkerCall(setup, daemonEndpoint));
    const cpu = calls.map((call) => call.cpuMs);
    rows.push(
      row("one health call in the checker process (`local __health-checks` started, gRPC loaded, one call), its CPU time", cpu, formatMs, "call"),
      row("the same, its peak RSS (VmHWM)", calls.map((call) => call.peakRss), formatMiB, "call"),
      row("the same, RssAnon at the answer", calls.map((call) => call.anon), formatMiB, "call"),
      row(`that CPU time spread over the ${seconds(CALL_EVERY_MS)} between the watcher's calls, % of one core`, cpu.map((ms) => (ms / CALL_EVERY_MS) * 100), formatPercent, "call", {
        kind: "at most",
        max: TARGET_CPU_PERCENT,
      }),
    );
    notes.push(
      reference
        ? `Idle: supervisord beside it, its quiet runner not counted: RSS ${formatMiB(reference.rss)}, RssAnon ${formatMiB(reference.anon)}, PSS ${formatMiB(reference.pss)}.`
        : "Idle: supervisord is not on PATH, so the RssAnon row has no reference (the --peers run measures it).",
    );
  } finally {
    await stopBackground(setup, serving);
    peer?.instance.teardown();
  }

  readWhole(setup.stigmer);
  const { background: fresh } = await startBackground(setup, { endpoint: daemonEndpoint, waitDaemon: true });
  try {
    await sleep(sizes.settleMs);
    const memory = memoryOf(fresh.supervisorPid);
    if (memory === null) throw new Error(`the background supervisor (pid ${fresh.supervisorPid}) went away while idle`);
    rows.push(
      row(`the same RSS, dev daemon serving, the binary read whole into the page cache first (as a build or an install leaves it), ${after}`, [memory.rss], formatMiB, "run", {
        kind: "at most",
        max: TARGET_RSS_SERVING,
      }),
    );
  } finally {
    await stopBackground(setup, fresh);
  }

  const closedEndpoint = `127.0.0.1:${await freePort()}`;
  dropFromPageCache(setup.stigmer);
  const { background: alone } = await startBackground(setup, { endpoint: closedEndpoint, waitDaemon: false });
  try {
    const result = await idle(setup, alone, sizes);
    rows.push(
      row(`background supervisor RSS, no daemon (\`--no-wait-daemon\`, endpoint a closed port), ${after}`, [result.memory.own.rss], formatMiB, "run", {
        kind: "at most",
        max: TARGET_RSS_NO_DAEMON,
      }),
      row("background supervisor RssAnon, helpers included, same moment (no daemon)", [result.memory.anon], formatMiB, "run"),
      row("background supervisor PSS, helpers included, same moment (no daemon)", [result.memory.pss], formatMiB, "run"),
      row(`background supervisor CPU over the next ${seconds(sizes.cpuWindowMs)} idle, helpers included, no daemon, % of one core`, [result.cpuPercent], formatPercent, "run", {
        kind: "at most",
        max: TARGET_CPU_PERCENT,
      }),
    );
    notes.push(helpersNote("no daemon", result));
  } finally {
    await stopBackground(setup, alone);
  }
  return { rows, notes };
}
