// What a process costs, read from /proc (Linux): memory, CPU time, whether it still runs.
//
// The three memory figures (bench/README.md, "Memory"):
//   RSS (VmRSS)   every resident page the process maps, the compiled binary's file-backed code pages included, which
//                 the page cache shares with every other process running the same file;
//   RssAnon       its private anonymous memory (heap, stacks): what it really costs the machine;
//   PSS           (smaps_rollup) RSS with each shared page divided among the processes that map it.
// VmHWM is the kernel's own peak of RSS, so sampling it now and then still catches a peak that fell between two
// samples. RssAnon and PSS have no such peak: only the largest sample is kept.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { spawnSync } from "node:child_process";

const CLOCK_TICKS_PER_SECOND = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

/** The fields of /proc/<pid>/stat after the command name, which is in parentheses and may hold spaces. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  } catch {
    return null;
  }
}

/** Whether the process has finished: gone, or a zombie whose parent has not reaped it yet. */
export function isGone(pid: number): boolean {
  const fields = statFields(pid);
  return fields === null || fields[0] === "Z";
}

/** When the process started, in clock ticks since boot: with the pid, it names one process even after pids wrap. */
export function startTicks(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/** CPU time (user + system, ms) a live process has used so far, its children not included; null once it has gone. */
export function cpuTimeMs(pid: number): number | null {
  const fields = statFields(pid);
  if (!fields) return null;
  // utime and stime: fields 14 and 15 of stat, the 12th and 13th after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** CPU time (user + system, ms) of the children the process has waited for (cutime + cstime); null once it has gone. */
function reapedChildrenCpuMs(pid: number): number | null {
  const fields = statFields(pid);
  return fields ? ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS_PER_SECOND : null;
}

/** One clock tick of CPU time, in ms: the resolution of `cpuTimeMs`. */
export const CPU_TICK_MS = 1000 / CLOCK_TICKS_PER_SECOND;

function kilobytesField(text: string, field: string): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(text);
  return match ? Number(match[1]) * 1024 : null;
}

/** A size field of /proc/<pid>/status ("VmRSS", "VmHWM", "RssAnon", "RssFile"), in bytes; null once the process has gone. */
export function statusBytes(pid: number, field: string): number | null {
  try {
    return kilobytesField(readFileSync(`/proc/${pid}/status`, "utf8"), field);
  } catch {
    return null;
  }
}

/** The process's PSS in bytes, from /proc/<pid>/smaps_rollup (which walks its page tables: slower than status). */
export function pssBytes(pid: number): number | null {
  try {
    return kilobytesField(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"), "Pss");
  } catch {
    return null;
  }
}

export interface Memory {
  rss: number;
  anon: number;
  pss: number;
}

/** RSS, RssAnon and PSS of a live process, read now; null once it has gone. */
export function memoryOf(pid: number): Memory | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const rss = kilobytesField(status, "VmRSS");
  const anon = kilobytesField(status, "RssAnon");
  const pss = pssBytes(pid);
  return rss === null || anon === null || pss === null ? null : { rss, anon, pss };
}

export interface Peaks {
  /** VmHWM: the kernel's own peak of RSS. */
  rss: number;
  /** The largest RssAnon sampled. */
  anon: number;
  /** The largest PSS sampled (less often: see PSS_EVERY). */
  pss: number;
  /** CPU time (user + system) used up to the last sample. */
  cpuMs: number;
}

/** /proc/<pid>/status is read every SAMPLE_MS; smaps_rollup, which costs the process a page-table walk, every PSS_EVERY-th time. */
export const SAMPLE_MS = 10;
export const PSS_EVERY = 5;

/**
 * Samples a process's memory and CPU time until `stop()`, which samples once more and returns the peaks. A process
 * that exits meanwhile keeps the figures of its last sample.
 */
export function samplePeaks(pid: number): { stop: () => Peaks } {
  const peaks: Peaks = { rss: 0, anon: 0, pss: 0, cpuMs: 0 };
  let count = 0;
  const sample = (withPss: boolean) => {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, "utf8");
    } catch {
      return;
    }
    peaks.rss = Math.max(peaks.rss, kilobytesField(status, "VmHWM") ?? 0);
    peaks.anon = Math.max(peaks.anon, kilobytesField(status, "RssAnon") ?? 0);
    peaks.cpuMs = Math.max(peaks.cpuMs, cpuTimeMs(pid) ?? 0);
    if (withPss) peaks.pss = Math.max(peaks.pss, pssBytes(pid) ?? 0);
  };
  sample(true);
  const timer = setInterval(() => sample(++count % PSS_EVERY === 0), SAMPLE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      sample(true);
      return peaks;
    },
  };
}

function executableOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

/**
 * The live processes descending from `pid` that run its own executable: a supervisor's helper processes (stigmer's
 * short-lived health checker, `local __health-checks`), not the runner or anything else it supervises.
 */
export function helpersOf(pid: number): number[] {
  const executable = executableOf(pid);
  if (executable === null) return [];
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (!fields || fields[0] === "Z") continue;
    const parent = Number(fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const descendants: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    descendants.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return descendants.filter((descendant) => executableOf(descendant) === executable);
}

export interface TreeMemory {
  /** The supervisor's own figures. */
  own: Memory;
  /** Its helper processes alive at the reading, with theirs. */
  helpers: { pid: number; memory: Memory }[];
  /** RssAnon and PSS of the supervisor and its helpers together (both add up; RSS does not: shared pages would count twice). */
  anon: number;
  pss: number;
}

/** `memoryOf` the supervisor and of its helper processes, read now; null once the supervisor has gone. */
export function treeMemoryOf(pid: number): TreeMemory | null {
  const own = memoryOf(pid);
  if (own === null) return null;
  const helpers = helpersOf(pid).flatMap((helper) => {
    const memory = memoryOf(helper);
    return memory ? [{ pid: helper, memory }] : [];
  });
  const sum = (pick: (memory: Memory) => number) => pick(own) + helpers.reduce((total, helper) => total + pick(helper.memory), 0);
  return { own, helpers, anon: sum((memory) => memory.anon), pss: sum((memory) => memory.pss) };
}

/**
 * CPU time (user + system, ms) of the supervisor and its helpers so far: its own, that of the children it has
 * waited for (a helper that has exited; the runner too, were it to exit, which the idle workloads check it does not),
 * and that of its live helpers. The difference of two readings is what they used in between. Null once it has gone.
 */
export function treeCpuTimeMs(pid: number): number | null {
  const own = cpuTimeMs(pid);
  const reaped = reapedChildrenCpuMs(pid);
  if (own === null || reaped === null) return null;
  return own + reaped + helpersOf(pid).reduce((total, helper) => total + (cpuTimeMs(helper) ?? 0), 0);
}
