// Peers, crash loop: the runner in mode `exit` (exits 1 at once) under each contender, restarted at once: how many
// restarts in 20 s (5 s with --quick) after the first start, and the start-to-start interval of the runner, from
// the fixture's FIXTURE_STARTS monotonic stamps (it includes Python's start and exit, alike for all). The full run
// cuts the 20 s into 4 rounds of 5 s, the order rotated each round: Python's start-up time drifts with the machine's
// load, and one long window per contender would hand that drift to whoever ran then. stigmer runs in the foreground
// here (see RunOptions.foreground). Floor: the bash loop. Target: interval ≤ 1.2× the floor.
import path from "node:path";
import { readStarts } from "../../harness/contenders/fixtures.ts";
import { formatMs } from "../../harness/report/format.ts";
import { FLOOR_NAME, waitForRunner, type Contender } from "../../harness/contenders/peers.ts";
import { sleep } from "../../harness/processes/processes.ts";
import { turnOrder } from "../../harness/report/stats.ts";
import { contenderDir, type PeerResult } from "./result.ts";

const SIZES = { full: { windowMs: 20_000, rounds: 4 }, quick: { windowMs: 5_000, rounds: 1 } };

export async function benchCrashLoop(quick: boolean, list: Contender[]): Promise<PeerResult[]> {
  const sizes = quick ? SIZES.quick : SIZES.full;
  const restarts = new Map<string, number>(list.map((contender) => [contender.name, 0]));
  const gaps = new Map<string, number[]>(list.map((contender) => [contender.name, []]));
  const windowMs = sizes.windowMs / sizes.rounds;
  for (let round = 0; round < sizes.rounds; round++) {
    for (const contender of turnOrder(list, round)) {
      const dir = contenderDir(contender.name);
      const starts = path.join(dir, "starts");
      const instance = await contender.start({ fixture: { FIXTURE_STARTS: starts, FIXTURE_MODE: "exit" }, restart: true, dir, foreground: true });
      try {
        await waitForRunner(starts, contender.name);
        const first = readStarts(starts).length;
        await sleep(windowMs);
        const all = readStarts(starts);
        restarts.set(contender.name, restarts.get(contender.name)! + all.length - first);
        gaps.get(contender.name)!.push(...all.slice(1).map((start, i) => Number(start.ns - all[i]!.ns) / 1e6));
      } finally {
        instance.teardown();
      }
    }
  }
  return [
    {
      workload: "crash loop",
      measure: `restarts in ${sizes.windowMs / 1000} s${sizes.rounds > 1 ? ` (${sizes.rounds} rounds of ${windowMs / 1000} s)` : ""}`,
      better: "higher",
      format: (value) => value.toFixed(0),
      values: new Map([...restarts].map(([name, count]) => [name, [count]])),
    },
    {
      workload: "crash loop",
      measure: "start-to-start interval (runner exits at once)",
      better: "lower",
      format: formatMs,
      values: new Map([...gaps].map(([name, values]) => [name, values.length > 0 ? values : "no restart"])),
      target: { text: "≤ 1.2× floor", meets: (value, medians) => value <= 1.2 * (medians.get(FLOOR_NAME) ?? -Infinity) },
    },
  ];
}
