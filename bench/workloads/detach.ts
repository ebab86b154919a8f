// `local start --detach`: its wall time until it returns, against the dev daemon (as daemon and Temporal, with
// `--temporal off`): it checks both, starts the background supervisor, and returns once the runner has printed its
// ready line (the fixture prints it first thing). A fresh STIGMER_HOME each time, `local stop` after each.
// No floor and no target: informational.
import { formatMs } from "../harness/report/format.ts";
import type { Setup } from "../harness/contenders/setup.ts";
import { startBackground, stopBackground } from "../harness/contenders/stigmer.ts";
import { summarize } from "../harness/report/stats.ts";
import { row, type WorkloadResult } from "../harness/report/table.ts";

const STARTS = { full: 10, quick: 2 };

export async function benchDetach(setup: Setup, quick: boolean, daemonEndpoint: string): Promise<WorkloadResult> {
  const times: number[] = [];
  for (let trial = 0; trial < (quick ? STARTS.quick : STARTS.full); trial++) {
    const { background, ms } = await startBackground(setup, { endpoint: daemonEndpoint, waitDaemon: true });
    times.push(ms);
    await stopBackground(setup, background);
  }
  const summary = summarize(times);
  return {
    rows: [row("`local start --detach` until it returns (runner's ready line, dev daemon serving as daemon and Temporal)", summary, formatMs, "starts")],
    notes: [`Start --detach: ${formatMs(summary.median)} until it returns (median), which it does at the runner's ready line (the fixture prints it first thing).`],
  };
}
