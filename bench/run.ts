// The benchmarks (bench/README.md): `bun bench/run.ts [--quick]` runs the main workloads, stigmer against a floor
// that does the same work with nothing in between, and prints one markdown table; `--peers` runs stigmer beside pm2
// and supervisord instead (bench/workloads/peers/), `--probes` small compiled programs that show where stigmer's
// idle memory, start-up time and flood time go, and how much of the first statement's 2× a start that follows
// DESIGN.md leaves (bench/workloads/probes/). STIGMER_BIN names the binary (default dist/stigmer).
//
// Each workload is a module of bench/workloads/ that says at its top what it measures and its floor; what they
// share (processes, /proc, statistics, tables) is in bench/harness/. The exit code says nothing about speed: the
// run fails only when a workload does not do what it should (a process fails, a log misses lines, a trial times out).
import { parseArgs } from "node:util";
import { startDevDaemonProcess } from "./harness/contenders/dev-daemon.ts";
import { formatMs } from "./harness/report/format.ts";
import { cleanUp } from "./harness/processes/processes.ts";
import { prepare } from "./harness/contenders/setup.ts";
import { renderRows, type WorkloadResult } from "./harness/report/table.ts";
import { benchLogCapture } from "./workloads/capture.ts";
import { benchDetach } from "./workloads/detach.ts";
import { benchFirstStatement } from "./workloads/first-statement.ts";
import { benchFlood } from "./workloads/flood.ts";
import { benchIdle } from "./workloads/idle.ts";
import { benchRestartGap } from "./workloads/restart-gap.ts";
import { benchStartUp } from "./workloads/startup.ts";
import { benchStatus } from "./workloads/status.ts";

async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    options: { quick: { type: "boolean", default: false }, peers: { type: "boolean", default: false }, probes: { type: "boolean", default: false } },
  });
  const quick = flags.quick!;
  if (flags.probes) {
    const { runProbes } = await import("./workloads/probes/index.ts");
    return runProbes(quick);
  }
  const setup = prepare();
  if (flags.peers) {
    const { runPeers } = await import("./workloads/peers/index.ts");
    return runPeers(setup, quick);
  }
  const began = performance.now();
  console.log(`stigmer benchmarks (${quick ? "--quick" : "full"}): ${setup.stigmer}, Bun ${Bun.version}, ${setup.python}`);

  const results: WorkloadResult[] = [];
  results.push(await benchStartUp(setup, quick));
  results.push(await benchRestartGap(setup, quick));
  results.push(await benchLogCapture(setup, quick));
  results.push(await benchFlood(setup, quick));
  const daemon = await startDevDaemonProcess(setup.baseEnv);
  try {
    results.push(await benchStatus(setup, quick, daemon.endpoint));
    results.push(await benchDetach(setup, quick, daemon.endpoint));
    results.push(await benchFirstStatement(setup, quick, daemon.endpoint));
    results.push(await benchIdle(setup, quick, daemon.endpoint));
  } finally {
    await daemon.stop();
  }
  // Imported only here: it loads grpc-js (the stand-in Temporal CLI's module).
  const { benchStack } = await import("./workloads/stack.ts");
  results.push(await benchStack(setup, quick));

  console.log();
  console.log(renderRows(results.flatMap((result) => result.rows)));
  console.log();
  for (const note of results.flatMap((result) => result.notes)) console.log(note);
  console.log(`Finished in ${formatMs(performance.now() - began)}.`);
}

try {
  await main();
} finally {
  cleanUp();
}
