// `bun bench/run.ts --probes [--quick]`: where stigmer's idle memory and CPU, and its start-up time, go on Bun, from
// small compiled programs (bench/workloads/probes/idle.ts, startup.ts), what of the runner's first statement is left
// to stigmer once the daemon check is paid for (first-statement.ts), and what copying a flood, and a runner's chatter,
// costs a program on Bun (flood.ts). Five tables; no targets.
import { startDevDaemonProcess } from "../../harness/contenders/dev-daemon.ts";
import { formatMs } from "../../harness/report/format.ts";
import { cleanEnv } from "../../harness/contenders/setup.ts";
import { probeFirstStatement } from "./first-statement.ts";
import { probeFlood } from "./flood.ts";
import { probeIdle } from "./idle.ts";
import { probeStartUp } from "./startup.ts";

export async function runProbes(quick: boolean): Promise<void> {
  const began = performance.now();
  console.log(`probes (${quick ? "--quick" : "full"}), Bun ${Bun.version}`);
  const daemon = await startDevDaemonProcess(cleanEnv());
  let idle: string;
  let startUp: string;
  let firstStatement: string;
  try {
    startUp = await probeStartUp(quick, daemon.endpoint);
    firstStatement = await probeFirstStatement(quick, daemon.endpoint);
    idle = await probeIdle(quick, daemon.endpoint);
  } finally {
    await daemon.stop();
  }
  const flood = await probeFlood(quick);
  console.log();
  console.log(idle);
  console.log();
  console.log(startUp);
  console.log();
  console.log(firstStatement);
  console.log();
  console.log(flood);
  console.log();
  console.log(`Probes finished in ${formatMs(performance.now() - began)}.`);
}
