// Peers, supervisor SIGKILLed: SIGKILL to each supervisor 0.3 s after its quiet runner started; is the runner still
// alive 2 s later, an orphan? The bash loop is the floor (it leaves its runner running). Target: no orphan.
import path from "node:path";
import { waitForRunner, type Contender } from "../../harness/contenders/peers.ts";
import { isGone } from "../../harness/processes/proc.ts";
import { signalProcess, sleep } from "../../harness/processes/processes.ts";
import { contenderDir, emptyValues, record, type PeerResult } from "./result.ts";

export async function benchSigkill(list: Contender[]): Promise<PeerResult[]> {
  const alive = emptyValues(list.map((contender) => contender.name));
  for (const contender of list) {
    const dir = contenderDir(contender.name);
    const starts = path.join(dir, "starts");
    const instance = await contender.start({ fixture: { FIXTURE_STARTS: starts }, restart: true, dir });
    try {
      const runnerPid = await waitForRunner(starts, contender.name);
      await sleep(300);
      signalProcess(instance.supervisorPid, "SIGKILL");
      await sleep(2000);
      record(alive, contender.name, isGone(runnerPid) ? 0 : 1);
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
