// Peers, log flood: the runner in mode `flood` writes 200 MB (10 MB with --quick) of numbered 100-byte lines under
// each contender (stigmer `--detach`, as the two daemons run, with `--restart never`): the wall time from the start
// command (pm2's daemon already up; supervisord's own start included) until the log file holds every byte, then the
// file checked byte for byte; meanwhile the supervisor's memory is sampled: its VmHWM, and the largest RssAnon and
// PSS samples. The runner stays up afterwards, so the supervisor stays measurable. 5 trials (1 with --quick), the
// order rotated. Floor: the bash loop (`python3 runner.py >> log`). Targets: time ≤ 1.2× the floor, peak RSS < 60 MiB.
import path from "node:path";
import { fileSize, floodBytes, READY_LINE, verifyFlood, type Flood } from "../../harness/contenders/fixtures.ts";
import { formatMiB, formatMs, MiB } from "../../harness/report/format.ts";
import { FLOOR_NAME, type Contender } from "../../harness/contenders/peers.ts";
import { PSS_EVERY, SAMPLE_MS, samplePeaks } from "../../harness/processes/proc.ts";
import { until } from "../../harness/processes/processes.ts";
import { turnOrder } from "../../harness/report/stats.ts";
import { contenderDir, emptyValues, record, type PeerResult } from "./result.ts";

const SIZES = { full: { trials: 5, megabytes: 200 }, quick: { trials: 1, megabytes: 10 } };
const LINE_BYTES = 100;
const FLOOD_TIMEOUT_MS = 180_000;

export async function benchLogFlood(quick: boolean, list: Contender[]): Promise<PeerResult[]> {
  const sizes = quick ? SIZES.quick : SIZES.full;
  const flood: Flood = { head: READY_LINE, lines: Math.floor((sizes.megabytes * 1_000_000) / LINE_BYTES), lineBytes: LINE_BYTES };
  const names = list.map((contender) => contender.name);
  const [times, rss, anon, pss] = [emptyValues(names), emptyValues(names), emptyValues(names), emptyValues(names)];
  for (let trial = 0; trial < sizes.trials; trial++) {
    for (const contender of turnOrder(list, trial)) {
      const dir = contenderDir(contender.name);
      // Its pid goes to FIXTURE_STARTS so that the teardown can end the runner whatever its supervisor did.
      const fixture = { FIXTURE_MODE: "flood", FIXTURE_FLOOD_MB: String(sizes.megabytes), FIXTURE_FLOOD_STAY: "1", FIXTURE_STARTS: path.join(dir, "starts") };
      const began = performance.now();
      const instance = await contender.start({ fixture, restart: false, dir });
      try {
        const sampler = samplePeaks(instance.supervisorPid);
        await until(`${contender.name}: ${sizes.megabytes} MB in ${instance.logFile}`, FLOOD_TIMEOUT_MS, () => fileSize(instance.logFile) >= floodBytes(flood));
        record(times, contender.name, performance.now() - began);
        const peaks = sampler.stop();
        record(rss, contender.name, peaks.rss);
        record(anon, contender.name, peaks.anon);
        record(pss, contender.name, peaks.pss);
        verifyFlood(instance.logFile, flood, `${contender.name}'s log`);
      } finally {
        instance.teardown();
      }
    }
  }
  const workload = `log flood ${sizes.megabytes} MB`;
  return [
    {
      workload,
      measure: "start until all of it is in the log file",
      better: "lower",
      format: formatMs,
      values: times,
      target: { text: "≤ 1.2× floor", meets: (value, medians) => value <= 1.2 * (medians.get(FLOOR_NAME) ?? -Infinity) },
    },
    { workload, measure: "supervisor peak RSS (VmHWM)", better: "lower", format: formatMiB, values: rss, target: { text: "< 60 MiB", meets: (value) => value < 60 * MiB } },
    { workload, measure: `supervisor peak RssAnon (largest sample, every ${SAMPLE_MS} ms)`, better: "lower", format: formatMiB, values: anon },
    { workload, measure: `supervisor peak PSS (largest sample, every ${SAMPLE_MS * PSS_EVERY} ms)`, better: "lower", format: formatMiB, values: pss },
  ];
}
