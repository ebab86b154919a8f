// Peers, idle and CLI latency: all four contenders side by side, each with a quiet runner (mode `serve`): the
// supervisor's RSS, RssAnon and PSS after 10 s (2 s with --quick), then its user + system CPU over 30 s (3 s) as %
// of one core; the runner must not have restarted. RssAnon, PSS and CPU include the supervisor's helper processes
// (descendants running its own executable), RSS is its own. Then, against the same running supervisors, the wall time of
// each one's status command (`pm2 jlist`, `supervisorctl status`, `stigmer local status --json`), the order rotated
// every round, after one untimed run each. The bash loop is the floor of the idle rows; it has no status command.
// Targets: RSS, RssAnon and CPU below supervisord's; status ≤ ½ the faster peer's.
import path from "node:path";
import { readStarts } from "../../harness/contenders/fixtures.ts";
import { formatMiB, formatMs, formatPercent, seconds } from "../../harness/report/format.ts";
import { waitForRunner, type Contender, type Instance } from "../../harness/contenders/peers.ts";
import { treeCpuTimeMs, treeMemoryOf } from "../../harness/processes/proc.ts";
import { sleep } from "../../harness/processes/processes.ts";
import { turnOrder } from "../../harness/report/stats.ts";
import { contenderDir, emptyValues, record, type PeerResult } from "./result.ts";

const SIZES = { full: { settleMs: 10_000, cpuWindowMs: 30_000, statusRuns: 20 }, quick: { settleMs: 2_000, cpuWindowMs: 3_000, statusRuns: 3 } };

export async function benchIdleAndStatus(quick: boolean, list: Contender[]): Promise<PeerResult[]> {
  const sizes = quick ? SIZES.quick : SIZES.full;
  const names = list.map((contender) => contender.name);
  const running: { name: string; instance: Instance; starts: string }[] = [];
  try {
    for (const contender of list) {
      const starts = path.join(contenderDir(contender.name), "starts");
      const instance = await contender.start({ fixture: { FIXTURE_STARTS: starts }, restart: true, dir: path.dirname(starts) });
      await waitForRunner(starts, contender.name);
      running.push({ name: contender.name, instance, starts });
    }
    await sleep(sizes.settleMs);
    const [rss, anon, pss, cpu] = [emptyValues(names), emptyValues(names), emptyValues(names), emptyValues(names)];
    const cpuBefore = new Map<string, number>();
    for (const { name, instance } of running) {
      const memory = treeMemoryOf(instance.supervisorPid);
      if (!memory) throw new Error(`${name}: the supervisor went away while idle`);
      record(rss, name, memory.own.rss);
      record(anon, name, memory.anon);
      record(pss, name, memory.pss);
      cpuBefore.set(name, treeCpuTimeMs(instance.supervisorPid) ?? Number.NaN);
    }
    const began = performance.now();
    await sleep(sizes.cpuWindowMs);
    const windowMs = performance.now() - began;
    for (const { name, instance } of running) {
      record(cpu, name, (((treeCpuTimeMs(instance.supervisorPid) ?? Number.NaN) - cpuBefore.get(name)!) / windowMs) * 100);
    }
    const withStatus = running.filter((entry) => entry.instance.status);
    const latency = emptyValues(names, new Map(running.filter((entry) => !entry.instance.status).map((entry) => [entry.name, "no status command"])));
    for (const entry of withStatus) entry.instance.status!(); // untimed: pages the binaries in
    for (let round = 0; round < sizes.statusRuns; round++) {
      for (const entry of turnOrder(withStatus, round)) record(latency, entry.name, entry.instance.status!());
    }
    for (const { name, starts } of running) {
      if (readStarts(starts).length !== 1) throw new Error(`${name}: the quiet runner restarted while idle`);
    }
    const belowSupervisord = (text: string) => ({ text, meets: (value: number, medians: Map<string, number>) => value < (medians.get("supervisord") ?? -Infinity) });
    const after = `after ${seconds(sizes.settleMs)}`;
    return [
      { workload: "idle", measure: `supervisor RSS ${after}, runner not counted`, better: "lower", format: formatMiB, values: rss, target: belowSupervisord("< supervisord") },
      { workload: "idle", measure: "supervisor RssAnon, helpers included, same moment", better: "lower", format: formatMiB, values: anon, target: belowSupervisord("< supervisord") },
      { workload: "idle", measure: "supervisor PSS, helpers included, same moment", better: "lower", format: formatMiB, values: pss },
      {
        workload: "idle",
        measure: `supervisor CPU over the next ${seconds(sizes.cpuWindowMs)}, % of one core`,
        better: "lower",
        format: formatPercent,
        values: cpu,
        target: { text: "≤ supervisord", meets: (value, medians) => value <= (medians.get("supervisord") ?? -Infinity) },
      },
      {
        workload: "CLI latency",
        measure: "`pm2 jlist` / `supervisorctl -c <conf> status` / `stigmer local status --json`",
        better: "lower",
        format: formatMs,
        values: latency,
        target: {
          text: "≤ ½ × min(pm2, supervisord)",
          meets: (value, medians) => value * 2 <= Math.min(medians.get("pm2") ?? Infinity, medians.get("supervisord") ?? Infinity),
        },
      },
    ];
  } finally {
    for (const { instance } of running) instance.teardown();
  }
}
