// `bun bench/run.ts --peers [--quick]`: the same Python workloads under pm2, supervisord, stigmer and a
// bash `while` loop (the floor), alternated within one run (issue 9; see bench/README.md).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

/** What bench/run.ts lends this file: its setup, its process bookkeeping and its formatting. */
export interface PeersContext {
  root: string;
  runner: string;
  scratch: string;
  quick: boolean;
  stigmer: string;
  python: string;
  /** The ready line the fixture prints first (and `local start` waits for): a flood's log starts with it. */
  readyLine: string;
  /** `--temporal off`, or nothing for a binary without the flag. */
  temporalOff: string[];
  baseEnv: Record<string, string>;
  stigmerEnv: (home: string, fixture: Record<string, string>) => Record<string, string>;
  startInGroup: (command: string, args: string[], options: { env: Record<string, string>; cwd?: string }) => { child: { pid?: number } };
  liveGroups: Set<number>;
  /** Synchronous clean-ups run on the way out (also after Ctrl-C). */
  onCleanUp: (fn: () => void) => void;
  isGone: (pid: number) => boolean;
  procStatusBytes: (pid: number, field: string) => number | null;
  cpuTimeMs: (pid: number) => number | null;
  summarize: (values: number[]) => { median: number; min: number; max: number; count: number };
  formatMs: (ms: number) => string;
  formatMiB: (bytes: number) => string;
  formatPercent: (percent: number) => string;
}

interface PeerSizes {
  idleSettleMs: number;
  idleCpuWindowMs: number;
  statusRuns: number;
  crashWindowMs: number;
  /** The crash-loop window is cut into this many parts, the contenders' order rotated each round. */
  crashRounds: number;
  stopTrials: number;
  floodTrials: number;
  floodMegabytes: number;
}
const FULL: PeerSizes = { idleSettleMs: 10_000, idleCpuWindowMs: 30_000, statusRuns: 20, crashWindowMs: 20_000, crashRounds: 4, stopTrials: 3, floodTrials: 5, floodMegabytes: 200 };
const QUICK: PeerSizes = { idleSettleMs: 2_000, idleCpuWindowMs: 3_000, statusRuns: 3, crashWindowMs: 5_000, crashRounds: 1, stopTrials: 1, floodTrials: 1, floodMegabytes: 10 };

const STOP_TIMEOUT_S = 2;
const READY_TIMEOUT_MS = 30_000;
const FLOOD_TIMEOUT_MS = 180_000;
const POLL_MS = 10;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => T | null | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(POLL_MS);
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readPidFile(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isFinite(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The fixture's FIXTURE_STARTS lines: monotonic ns and pid of each start. */
function readStarts(file: string): { ns: bigint; pid: number }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.includes(" "))
    .map((line) => ({ ns: BigInt(line.split(" ")[0]!), pid: Number(line.split(" ")[1]) }));
}

/** Runs `fn` the first time only: a teardown runs from `finally` and again on the way out. */
function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already.
  }
}

/** One supervised runner under one contender. */
interface Instance {
  /** The supervisor's own process (what RSS and CPU are read from). */
  supervisorPid: number;
  logFile: string;
  /** Wall time of its status command (must succeed); null when it has none. */
  status: (() => number) | null;
  /** Runs its stop command; returns its wall time, or null when it has none. */
  stop: () => number | null;
  /** Ends everything it started, whatever state it is in. */
  teardown: () => void;
}

interface RunOptions {
  fixture: Record<string, string>;
  /** Restart the runner whenever it exits, at once. */
  restart: boolean;
  dir: string;
  /**
   * stigmer: `local start` in the foreground rather than `--detach`. The crash loop has always run so: `--detach`
   * used to refuse a runner that did not stay up 0.5 s, and now returns once its ready line is printed, but the
   * foreground keeps the rows comparable with the earlier runs.
   */
  foreground?: boolean;
}

interface Contender {
  name: string;
  start: (options: RunOptions) => Promise<Instance>;
}

function contenders(ctx: PeersContext): Contender[] {
  const runnerEnv = (fixture: Record<string, string>) => ({ ...ctx.baseEnv, ...fixture, PYTHONUNBUFFERED: "1" });
  const killTree = (pids: number[]) => {
    for (const pid of pids) {
      kill(-pid, "SIGKILL");
      kill(pid, "SIGKILL");
    }
  };
  /** Runner and grandchild pids the fixture wrote, to be sure none outlives the benchmark. */
  const fixturePids = (options: RunOptions) => {
    const pids = readStarts(options.fixture.FIXTURE_STARTS ?? "").map((start) => start.pid);
    const grandchild = options.fixture.FIXTURE_GRANDCHILD ? readPidFile(options.fixture.FIXTURE_GRANDCHILD) : null;
    return grandchild ? [...pids, grandchild] : pids;
  };

  const pm2Bin = path.join(ctx.root, "node_modules", "pm2", "bin", "pm2");
  const pm2: Contender = {
    name: "pm2",
    async start(options) {
      const home = path.join(options.dir, "pm2-home");
      mkdirSync(home, { recursive: true });
      const env = { ...runnerEnv(options.fixture), PM2_HOME: home };
      const run = (args: string[]) => spawnSync(pm2Bin, args, { env, encoding: "utf8", timeout: 60_000 });
      const teardown = once(() => {
        spawnSync(pm2Bin, ["kill"], { env, stdio: "ignore", timeout: 30_000 });
        killTree(fixturePids(options));
      });
      ctx.onCleanUp(teardown);
      const ping = run(["ping"]);
      if (ping.status !== 0) throw new Error(`pm2 ping failed: ${ping.stderr}`);
      const supervisorPid = readPidFile(path.join(home, "pm2.pid"));
      if (!supervisorPid) throw new Error("pm2: no daemon pid");
      const logFile = path.join(options.dir, "pm2-out.log");
      // An ecosystem file: min_uptime and max_restarts have no command-line flag.
      const app = {
        name: "runner",
        script: ctx.runner,
        interpreter: ctx.python,
        cwd: path.dirname(ctx.runner),
        out_file: logFile,
        error_file: path.join(options.dir, "pm2-err.log"),
        autorestart: options.restart,
        restart_delay: 0,
        min_uptime: 0,
        max_restarts: 100000,
        kill_timeout: STOP_TIMEOUT_S * 1000,
        // pm2 stops with SIGINT by default, which the stubborn runner does not ignore: send what the others send.
        kill_signal: "SIGTERM",
        treekill: true,
      };
      const ecosystem = path.join(options.dir, "pm2.config.json");
      writeFileSync(ecosystem, JSON.stringify({ apps: [app] }, null, 2));
      const args = ["start", ecosystem];
      const started = run(args);
      if (started.status !== 0) throw new Error(`pm2 start failed: ${started.stderr}`);
      return {
        supervisorPid,
        logFile,
        status: () => {
          const began = performance.now();
          const result = spawnSync(pm2Bin, ["jlist"], { env, encoding: "utf8", timeout: 60_000 });
          const ms = performance.now() - began;
          if (result.status !== 0 || !result.stdout.includes('"runner"')) throw new Error(`pm2 jlist failed: ${result.stderr}`);
          return ms;
        },
        stop: () => {
          const began = performance.now();
          const result = run(["stop", "runner"]);
          if (result.status !== 0) throw new Error(`pm2 stop failed: ${result.stderr}`);
          return performance.now() - began;
        },
        teardown,
      };
    },
  };

  const supervisord: Contender = {
    name: "supervisord",
    async start(options) {
      const dir = options.dir;
      const conf = path.join(dir, "supervisord.conf");
      const logFile = path.join(dir, "sv-runner.log");
      writeFileSync(
        conf,
        [
          "[unix_http_server]",
          `file=${dir}/supervisor.sock`,
          "[supervisord]",
          `logfile=${dir}/supervisord.log`,
          `pidfile=${dir}/supervisord.pid`,
          `childlogdir=${dir}`,
          "nodaemon=true",
          "[rpcinterface:supervisor]",
          "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
          "[supervisorctl]",
          `serverurl=unix://${dir}/supervisor.sock`,
          "[program:runner]",
          `command=${ctx.python} ${ctx.runner}`,
          `directory=${path.dirname(ctx.runner)}`,
          `autorestart=${options.restart ? "true" : "false"}`,
          "startsecs=0",
          "startretries=100000",
          `stopwaitsecs=${STOP_TIMEOUT_S}`,
          "stopasgroup=true",
          "killasgroup=true",
          `stdout_logfile=${logFile}`,
          "stdout_logfile_maxbytes=0",
          `stderr_logfile=${dir}/sv-runner.err`,
          "stderr_logfile_maxbytes=0",
          "",
        ].join("\n"),
      );
      // The runner inherits supervisord's environment, fixture settings included.
      const started = ctx.startInGroup("supervisord", ["-c", conf], { env: runnerEnv(options.fixture), cwd: dir });
      const supervisorPid = started.child.pid!;
      const ctl = (args: string[]) => spawnSync("supervisorctl", ["-c", conf, ...args], { env: ctx.baseEnv, encoding: "utf8", timeout: 60_000 });
      const teardown = once(() => {
        kill(supervisorPid, "SIGTERM");
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
        kill(-supervisorPid, "SIGKILL");
        killTree(fixturePids(options));
      });
      ctx.onCleanUp(teardown);
      await until("supervisord's socket", READY_TIMEOUT_MS, () => existsSync(path.join(dir, "supervisor.sock")));
      return {
        supervisorPid,
        logFile,
        status: () => {
          const began = performance.now();
          const result = ctl(["status"]);
          const ms = performance.now() - began;
          // status exits 3 when a program is not RUNNING (the crash loop); here it must just answer.
          if (!/^runner\s/m.test(result.stdout)) throw new Error(`supervisorctl status failed: ${result.stdout}${result.stderr}`);
          return ms;
        },
        stop: () => {
          const began = performance.now();
          const result = ctl(["stop", "runner"]);
          if (result.status !== 0) throw new Error(`supervisorctl stop failed: ${result.stdout}${result.stderr}`);
          return performance.now() - began;
        },
        teardown,
      };
    },
  };

  const stigmer: Contender = {
    name: "stigmer",
    async start(options) {
      const home = path.join(options.dir, "stigmer-home");
      mkdirSync(home, { recursive: true });
      const env = ctx.stigmerEnv(home, options.fixture);
      // No daemon and no Temporal here: --no-wait-daemon skips waiting for both, --temporal off starts none.
      const args = ["local", "start", "--no-wait-daemon", ...ctx.temporalOff, "--runner", ctx.runner, "--python", ctx.python, "--log-max-size", "1GiB"];
      args.push("--stop-timeout", `${STOP_TIMEOUT_S}s`);
      if (options.restart) args.push("--restart", "always", "--restart-delay", "0", "--min-uptime", "0", "--max-restarts", "100000");
      else args.push("--restart", "never");
      if (options.foreground) {
        const started = ctx.startInGroup(ctx.stigmer, args, { env });
        const supervisorPid = started.child.pid!;
        const teardown = once(() => {
          kill(-supervisorPid, "SIGTERM");
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
          kill(-supervisorPid, "SIGKILL");
          killTree(fixturePids(options));
        });
        ctx.onCleanUp(teardown);
        return { supervisorPid, logFile: path.join(home, "logs", "agent-runner.log"), status: null, stop: () => null, teardown };
      }
      args.push("--detach");
      const teardown = once(() => {
        spawnSync(ctx.stigmer, ["local", "stop", "--timeout", "1s"], { env, stdio: "ignore", timeout: 10_000 });
        killTree(fixturePids(options));
      });
      ctx.onCleanUp(teardown);
      const started = spawnSync(ctx.stigmer, args, { env, encoding: "utf8", timeout: 60_000 });
      if (started.status !== 0) throw new Error(`stigmer local start --detach exited ${started.status}: ${started.stderr}`);
      const statusOnce = () => spawnSync(ctx.stigmer, ["local", "status", "--json"], { env, encoding: "utf8", timeout: 60_000 });
      const report = JSON.parse(statusOnce().stdout) as { supervisor: { pid: number } | null };
      if (!report.supervisor) throw new Error("stigmer: no supervisor after start --detach");
      ctx.liveGroups.add(report.supervisor.pid);
      return {
        supervisorPid: report.supervisor.pid,
        logFile: path.join(home, "logs", "agent-runner.log"),
        status: () => {
          const began = performance.now();
          const result = statusOnce();
          const ms = performance.now() - began;
          if (!result.stdout.includes('"supervisor"')) throw new Error(`stigmer local status --json failed: ${result.stderr}`);
          return ms;
        },
        stop: () => {
          const began = performance.now();
          const result = spawnSync(ctx.stigmer, ["local", "stop", "--timeout", `${STOP_TIMEOUT_S}s`], { env, encoding: "utf8", timeout: 60_000 });
          if (result.status !== 0) throw new Error(`stigmer local stop exited ${result.status}: ${result.stderr}`);
          return performance.now() - began;
        },
        teardown,
      };
    },
  };

  const floor: Contender = {
    name: "bash loop (floor)",
    async start(options) {
      const logFile = path.join(options.dir, "loop.log");
      const script = options.restart ? 'while true; do "$0" "$1"; done >> "$2"' : '"$0" "$1" >> "$2"; sleep 3600';
      const started = ctx.startInGroup("bash", ["-c", script, ctx.python, ctx.runner, logFile], { env: runnerEnv(options.fixture), cwd: path.dirname(ctx.runner) });
      const supervisorPid = started.child.pid!;
      const teardown = once(() => {
        kill(-supervisorPid, "SIGKILL");
        killTree(fixturePids(options));
      });
      ctx.onCleanUp(teardown);
      return { supervisorPid, logFile, status: null, stop: () => null, teardown };
    },
  };

  return [pm2, supervisord, stigmer, floor];
}

// ---------------------------------------------------------------------------------------------

interface Result {
  workload: string;
  measure: string;
  better: "lower" | "higher";
  format: (value: number) => string;
  /** Per contender name: the values measured (or a text when not applicable). */
  values: Map<string, number[] | string>;
  /** Says whether stigmer meets the issue's target for this row. */
  target?: { text: string; meets: (stigmer: number, medians: Map<string, number>) => boolean };
}

/** ABBA-like: the order of contenders rotates every trial. */
function rotated<T>(items: T[], trial: number): T[] {
  const shift = trial % items.length;
  const order = [...items.slice(shift), ...items.slice(0, shift)];
  return trial % 2 === 0 ? order : order.reverse();
}

let dirCount = 0;
function freshDir(ctx: PeersContext, name: string): string {
  const dir = path.join(ctx.scratch, `peer-${dirCount++}-${name.replace(/\W+/g, "-")}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function waitReady(starts: string, what: string): Promise<number> {
  const first = await until(`${what}: runner start`, READY_TIMEOUT_MS, () => readStarts(starts)[0]);
  return first.pid;
}

async function benchIdleAndStatus(ctx: PeersContext, sizes: PeerSizes, list: Contender[]): Promise<Result[]> {
  // All four idle side by side (an idle supervisor barely touches the CPU), each with a quiet runner.
  const running: { contender: Contender; instance: Instance; starts: string }[] = [];
  try {
    for (const contender of list) {
      const dir = freshDir(ctx, contender.name);
      const starts = path.join(dir, "starts");
      const instance = await contender.start({ fixture: { FIXTURE_STARTS: starts }, restart: true, dir });
      await waitReady(starts, contender.name);
      running.push({ contender, instance, starts });
    }
    await sleep(sizes.idleSettleMs);
    const rss = new Map<string, number[] | string>();
    const cpuBefore = new Map<string, number>();
    for (const { contender, instance } of running) {
      rss.set(contender.name, [ctx.procStatusBytes(instance.supervisorPid, "VmRSS") ?? Number.NaN]);
      cpuBefore.set(contender.name, ctx.cpuTimeMs(instance.supervisorPid) ?? Number.NaN);
    }
    const began = performance.now();
    await sleep(sizes.idleCpuWindowMs);
    const windowMs = performance.now() - began;
    const cpu = new Map<string, number[] | string>();
    for (const { contender, instance } of running) {
      const after = ctx.cpuTimeMs(instance.supervisorPid) ?? Number.NaN;
      cpu.set(contender.name, [((after - cpuBefore.get(contender.name)!) / windowMs) * 100]);
    }
    // CLI latency, against the same running supervisors, rotated every round.
    const latency = new Map<string, number[] | string>();
    const withStatus = running.filter((entry) => entry.instance.status);
    for (const entry of running) latency.set(entry.contender.name, entry.instance.status ? [] : "no status command");
    for (const entry of withStatus) entry.instance.status!(); // untimed: pages the binaries in
    for (let round = 0; round < sizes.statusRuns; round++) {
      for (const entry of rotated(withStatus, round)) (latency.get(entry.contender.name) as number[]).push(entry.instance.status!());
    }
    for (const { contender, starts } of running) {
      if (readStarts(starts).length !== 1) throw new Error(`${contender.name}: the quiet runner restarted while idle`);
    }
    const s = (ms: number) => `${ms / 1000} s`;
    const peerMin = (medians: Map<string, number>, names: string[]) => Math.min(...names.map((name) => medians.get(name) ?? Infinity));
    return [
      {
        workload: "idle",
        measure: `supervisor RSS after ${s(sizes.idleSettleMs)}, runner not counted`,
        better: "lower",
        format: ctx.formatMiB,
        values: rss,
        target: { text: "< supervisord", meets: (value, medians) => value < (medians.get("supervisord") ?? -Infinity) },
      },
      {
        workload: "idle",
        measure: `supervisor CPU over the next ${s(sizes.idleCpuWindowMs)}, % of one core`,
        better: "lower",
        format: ctx.formatPercent,
        values: cpu,
        target: { text: "≤ supervisord", meets: (value, medians) => value <= (medians.get("supervisord") ?? -Infinity) },
      },
      {
        workload: "CLI latency",
        measure: "`pm2 jlist` / `supervisorctl -c <conf> status` / `stigmer local status --json`",
        better: "lower",
        format: ctx.formatMs,
        values: latency,
        target: { text: "≤ ½ × min(pm2, supervisord)", meets: (value, medians) => value * 2 <= peerMin(medians, ["pm2", "supervisord"]) },
      },
    ];
  } finally {
    for (const { instance } of running) instance.teardown();
  }
}

async function benchSigkill(ctx: PeersContext, list: Contender[]): Promise<Result[]> {
  const alive = new Map<string, number[] | string>();
  for (const contender of list) {
    const dir = freshDir(ctx, contender.name);
    const starts = path.join(dir, "starts");
    const instance = await contender.start({ fixture: { FIXTURE_STARTS: starts }, restart: true, dir });
    try {
      const runnerPid = await waitReady(starts, contender.name);
      await sleep(300);
      kill(instance.supervisorPid, "SIGKILL");
      await sleep(2000);
      alive.set(contender.name, [ctx.isGone(runnerPid) ? 0 : 1]);
    } finally {
      instance.teardown();
    }
  }
  return [
    {
      workload: "supervisor SIGKILLed",
      measure: "quiet runner still alive 2 s later (orphan; 1 = yes)",
      better: "lower",
      format: (value) => (value >= 0.5 ? "yes" : "no"),
      values: alive,
      target: { text: "no orphan", meets: (value) => value < 0.5 },
    },
  ];
}

async function benchCrashLoop(ctx: PeersContext, sizes: PeerSizes, list: Contender[]): Promise<Result[]> {
  const restarts = new Map<string, number[] | string>();
  const gaps = new Map<string, number[]>();
  for (const contender of list) {
    restarts.set(contender.name, [0]);
    gaps.set(contender.name, []);
  }
  // Rounds in rotated order: Python's own start-up time drifts with the machine's load over a
  // minute or more, which one long window per contender would hand to whoever ran at the time.
  const windowMs = sizes.crashWindowMs / sizes.crashRounds;
  for (let round = 0; round < sizes.crashRounds; round++) {
    for (const contender of rotated(list, round)) {
      const dir = freshDir(ctx, contender.name);
      const starts = path.join(dir, "starts");
      // Exits at once with 1; the exit time is the next start minus the runner's own run, so the gap
      // here is start-to-start (Python start-up and exit included alike for every contender).
      const instance = await contender.start({ fixture: { FIXTURE_STARTS: starts, FIXTURE_MODE: "exit" }, restart: true, dir, foreground: true });
      try {
        await waitReady(starts, contender.name);
        const first = readStarts(starts).length;
        await sleep(windowMs);
        const all = readStarts(starts);
        (restarts.get(contender.name) as number[])[0]! += all.length - first;
        gaps.get(contender.name)!.push(...all.slice(1).map((start, i) => Number(start.ns - all[i]!.ns) / 1e6));
      } finally {
        instance.teardown();
      }
    }
  }
  const intervals = new Map<string, number[] | string>([...gaps].map(([name, values]) => [name, values.length > 0 ? values : "no restart"]));
  const floor = "bash loop (floor)";
  return [
    {
      workload: "crash loop",
      measure: `restarts in ${sizes.crashWindowMs / 1000} s${sizes.crashRounds > 1 ? ` (${sizes.crashRounds} rounds of ${windowMs / 1000} s)` : ""}`,
      better: "higher",
      format: (v) => v.toFixed(0),
      values: restarts,
    },
    {
      workload: "crash loop",
      measure: "start-to-start interval (runner exits at once)",
      better: "lower",
      format: ctx.formatMs,
      values: intervals,
      target: { text: "≤ 1.2× floor", meets: (value, medians) => value <= 1.2 * (medians.get(floor) ?? -Infinity) },
    },
  ];
}

async function benchStubbornStop(ctx: PeersContext, sizes: PeerSizes, list: Contender[]): Promise<Result[]> {
  const withStop = list.filter((contender) => contender.name !== "bash loop (floor)");
  const times = new Map<string, number[] | string>();
  const left = new Map<string, number[] | string>();
  for (const contender of list) {
    times.set(contender.name, withStop.includes(contender) ? [] : "no stop command");
    left.set(contender.name, withStop.includes(contender) ? [] : "—");
  }
  for (let trial = 0; trial < sizes.stopTrials; trial++) {
    for (const contender of rotated(withStop, trial)) {
      const dir = freshDir(ctx, contender.name);
      const starts = path.join(dir, "starts");
      const grandchildFile = path.join(dir, "grandchild");
      const fixture = { FIXTURE_STARTS: starts, FIXTURE_MODE: "ignore-term", FIXTURE_GRANDCHILD: grandchildFile };
      const instance = await contender.start({ fixture, restart: true, dir });
      try {
        const runnerPid = await waitReady(starts, contender.name);
        const grandchild = await until(`${contender.name}: grandchild pid`, READY_TIMEOUT_MS, () => readPidFile(grandchildFile));
        await sleep(300);
        (times.get(contender.name) as number[]).push(instance.stop()!);
        await sleep(100);
        (left.get(contender.name) as number[]).push((ctx.isGone(runnerPid) ? 0 : 1) + (ctx.isGone(grandchild) ? 0 : 1));
      } finally {
        instance.teardown();
      }
    }
  }
  return [
    { workload: "stubborn stop", measure: `stop command until it returns (${STOP_TIMEOUT_S} s timeout)`, better: "lower", format: ctx.formatMs, values: times },
    {
      workload: "stubborn stop",
      measure: "runner + grandchild left 0.1 s after it returned (of 2)",
      better: "lower",
      format: (v) => v.toFixed(0),
      values: left,
      target: { text: "0 left", meets: (value) => value === 0 },
    },
  ];
}

async function benchFlood(ctx: PeersContext, sizes: PeerSizes, list: Contender[]): Promise<Result[]> {
  // The fixture's ready line, then the flood: the same bytes under every contender.
  const expectedBytes = Buffer.byteLength(ctx.readyLine) + Math.floor((sizes.floodMegabytes * 1_000_000) / 100) * 100;
  const times = new Map<string, number[] | string>();
  const peaks = new Map<string, number[] | string>();
  for (const contender of list) {
    times.set(contender.name, []);
    peaks.set(contender.name, []);
  }
  for (let trial = 0; trial < sizes.floodTrials; trial++) {
    for (const contender of rotated(list, trial)) {
      const dir = freshDir(ctx, contender.name);
      // The runner stays up once it has written everything, as it did when `start --detach` returned only for a
      // runner that lived 0.5 s (it now returns at the ready line, printed before the flood): the supervisor stays measurable.
      // Its pid goes to FIXTURE_STARTS so that the teardown can end it whatever its supervisor did.
      const fixture = {
        FIXTURE_MODE: "flood",
        FIXTURE_FLOOD_MB: String(sizes.floodMegabytes),
        FIXTURE_FLOOD_STAY: "1",
        FIXTURE_STARTS: path.join(dir, "starts"),
      };
      // From the start command (pm2's daemon already up, supervisord's start included) until the whole flood is in the file.
      const began = performance.now();
      // stigmer as it runs all day, like the two daemons: `--detach` (in the foreground it would also copy the flood to its stdout).
      const instance = await contender.start({ fixture, restart: false, dir });
      try {
        let peak = 0;
        await until(`${contender.name}: ${sizes.floodMegabytes} MB in ${instance.logFile}`, FLOOD_TIMEOUT_MS, () => {
          peak = Math.max(peak, ctx.procStatusBytes(instance.supervisorPid, "VmHWM") ?? 0);
          return fileSize(instance.logFile) >= expectedBytes;
        });
        (times.get(contender.name) as number[]).push(performance.now() - began);
        peak = Math.max(peak, ctx.procStatusBytes(instance.supervisorPid, "VmHWM") ?? 0);
        (peaks.get(contender.name) as number[]).push(peak);
        const size = fileSize(instance.logFile);
        if (size !== expectedBytes) throw new Error(`${contender.name}: ${size} bytes in the log, expected ${expectedBytes}`);
      } finally {
        instance.teardown();
      }
    }
  }
  const floor = "bash loop (floor)";
  return [
    {
      workload: `log flood ${sizes.floodMegabytes} MB`,
      measure: "start until all of it is in the log file",
      better: "lower",
      format: ctx.formatMs,
      values: times,
      target: { text: "≤ 1.2× floor", meets: (value, medians) => value <= 1.2 * (medians.get(floor) ?? -Infinity) },
    },
    {
      workload: `log flood ${sizes.floodMegabytes} MB`,
      measure: "supervisor peak RSS (VmHWM)",
      better: "lower",
      format: ctx.formatMiB,
      values: peaks,
      target: { text: "< 60 MiB", meets: (value) => value < 60 * 1024 * 1024 },
    },
  ];
}

function render(ctx: PeersContext, results: Result[], names: string[]): string {
  const header = ["workload", "measure", ...names, "stigmer ahead of best peer?", "target", "meets target"];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const result of results) {
    const medians = new Map<string, number>();
    const cells = names.map((name) => {
      const values = result.values.get(name);
      if (values === undefined || typeof values === "string") return values ?? "—";
      const summary = ctx.summarize(values);
      medians.set(name, summary.median);
      if (summary.count === 1) return result.format(summary.median);
      return `${result.format(summary.median)} (${result.format(summary.min)} – ${result.format(summary.max)}, n=${summary.count})`;
    });
    const mine = medians.get("stigmer");
    const peers = ["pm2", "supervisord"].map((name) => medians.get(name)).filter((value): value is number => value !== undefined);
    let ahead = "—";
    if (mine !== undefined && peers.length > 0) {
      const best = result.better === "lower" ? Math.min(...peers) : Math.max(...peers);
      ahead = mine === best ? "tie" : (result.better === "lower" ? mine < best : mine > best) ? "yes" : "no";
    }
    const target = result.target?.text ?? "—";
    const meets = result.target && mine !== undefined ? (result.target.meets(mine, medians) ? "yes" : "no") : "—";
    lines.push(`| ${[result.workload, result.measure, ...cells, ahead, target, meets].join(" | ")} |`);
  }
  return lines.join("\n");
}

function version(command: string, args: string[], env: Record<string, string>): string {
  const result = spawnSync(command, args, { env, encoding: "utf8" });
  return `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n")[0] ?? "?";
}

export async function runPeers(ctx: PeersContext): Promise<void> {
  const sizes = ctx.quick ? QUICK : FULL;
  const pm2Bin = path.join(ctx.root, "node_modules", "pm2", "bin", "pm2");
  if (!existsSync(pm2Bin)) throw new Error("pm2 is missing: npm install (it is a dev dependency).");
  if (spawnSync("supervisord", ["--version"]).status !== 0) throw new Error("supervisord is missing: apt-get install supervisor.");
  const pm2Version = JSON.parse(readFileSync(path.join(ctx.root, "node_modules", "pm2", "package.json"), "utf8")).version as string;
  console.log(
    `peers (${ctx.quick ? "--quick" : "full"}): pm2 ${pm2Version} (node ${version("node", ["--version"], ctx.baseEnv)}), ` +
      `supervisord ${version("supervisord", ["--version"], ctx.baseEnv)}, ${version(ctx.python, ["--version"], ctx.baseEnv)}, stigmer ${version(ctx.stigmer, ["--version"], ctx.baseEnv)}`,
  );
  const list = contenders(ctx);
  const began = performance.now();
  const results: Result[] = [];
  const step = async (name: string, run: () => Promise<Result[]>) => {
    const t = performance.now();
    results.push(...(await run()));
    console.log(`  ${name}: ${ctx.formatMs(performance.now() - t)}`);
  };
  await step("idle + CLI latency", () => benchIdleAndStatus(ctx, sizes, list));
  await step("SIGKILL", () => benchSigkill(ctx, list));
  await step("crash loop", () => benchCrashLoop(ctx, sizes, list));
  await step("stubborn stop", () => benchStubbornStop(ctx, sizes, list));
  await step("log flood", () => benchFlood(ctx, sizes, list));
  console.log();
  console.log(render(ctx, results, list.map((contender) => contender.name)));
  console.log();
  console.log(`Peers finished in ${ctx.formatMs(performance.now() - began)}.`);
}
