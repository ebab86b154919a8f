// Peers, stubborn stop: the runner in mode `ignore-term` with a grandchild that ignores SIGTERM too: the wall time of
// `pm2 stop runner` / `supervisorctl stop runner` / `stigmer local stop --timeout 2s`, then how many of runner and
// grandchild are left 0.1 s after it returned. 3 trials (1 with --quick), the order rotated. The bash loop has no
// stop command. Target: none left.
import path from "node:path";
import { formatMs } from "../../harness/report/format.ts";
import { FLOOR_NAME, readPidFile, STOP_TIMEOUT_S, waitForRunner, type Contender } from "../../harness/contenders/peers.ts";
import { isGone } from "../../harness/processes/proc.ts";
import { sleep, until } from "../../harness/processes/processes.ts";
import { turnOrder } from "../../harness/report/stats.ts";
import { contenderDir, emptyValues, record, type PeerResult } from "./result.ts";

const TRIALS = { full: 3, quick: 1 };

export async function benchStubbornStop(quick: boolean, list: Contender[]): Promise<PeerResult[]> {
  const withStop = list.filter((contender) => contender.name !== FLOOR_NAME);
  const names = list.map((contender) => contender.name);
  const times = emptyValues(names, new Map([[FLOOR_NAME, "no stop command"]]));
  const left = emptyValues(names, new Map([[FLOOR_NAME, "—"]]));
  for (let trial = 0; trial < (quick ? TRIALS.quick : TRIALS.full); trial++) {
    for (const contender of turnOrder(withStop, trial)) {
      const dir = contenderDir(contender.name);
      const starts = path.join(dir, "starts");
      const grandchildFile = path.join(dir, "grandchild");
      const fixture = { FIXTURE_STARTS: starts, FIXTURE_MODE: "ignore-term", FIXTURE_GRANDCHILD: grandchildFile };
      const instance = await contender.start({ fixture, restart: true, dir });
      try {
        const runnerPid = await waitForRunner(starts, contender.name);
        const grandchild = await until(`${contender.name}: grandchild pid`, 30_000, () => readPidFile(grandchildFile));
        await sleep(300);
        record(times, contender.name, instance.stop()!);
        await sleep(100);
        record(left, contender.name, (isGone(runnerPid) ? 0 : 1) + (isGone(grandchild) ? 0 : 1));
      } finally {
        instance.teardown();
      }
    }
  }
  return [
    { workload: "stubborn stop", measure: `stop command until it returns (${STOP_TIMEOUT_S} s timeout)`, better: "lower", format: formatMs, values: times },
    {
      workload: "stubborn stop",
      measure: "runner + grandchild left 0.1 s after it returned (of 2)",
      better: "lower",
      format: (value) => value.toFixed(0),
      values: left,
      target: { text: "0 left", meets: (value) => value === 0 },
    },
  ];
}
