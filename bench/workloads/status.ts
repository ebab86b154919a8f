// `local status --json` in three cases: nothing running and the daemon's port closed (must exit 3 and report
// `unreachable`, `connection refused`); nothing running and the dev daemon serving (exit 3, `serving`); a background
// supervisor running against the dev daemon (exit 0; that supervisor, its runner running and never restarted, the
// daemon serving, the agent-runner the only component, ready). Wall time, spawn to exit.
// Floor: `stigmer --version`, alternated with the three, the order rotated and reversed round by round.
// Target: ≤ 100 ms each, absolute (the issue words it so); the ratio to `--version` is shown too.
import { formatMs } from "../harness/report/format.ts";
import { freePort } from "../harness/processes/ports.ts";
import { freshDir, timedRun, timedRunPrinting } from "../harness/processes/processes.ts";
import { stigmerEnv, type Setup } from "../harness/contenders/setup.ts";
import { parseStatus, runningProblem, startBackground, stopBackground, type StatusJson } from "../harness/contenders/stigmer.ts";
import { alternate, summarize } from "../harness/report/stats.ts";
import { row, type WorkloadResult } from "../harness/report/table.ts";

const RUNS = { full: 30, quick: 5 };
const TARGET_MS = 100;

export async function benchStatus(setup: Setup, quick: boolean, daemonEndpoint: string): Promise<WorkloadResult> {
  const emptyEnv = stigmerEnv(setup, freshDir("home"));
  const closedEndpoint = `127.0.0.1:${await freePort()}`;
  const { background } = await startBackground(setup, { endpoint: daemonEndpoint, waitDaemon: true });
  try {
    const status = (env: Record<string, string>, args: string[], exit: number, check: (report: StatusJson) => string | null) => () =>
      timedRun(setup.stigmer, ["local", "status", "--json", ...args], env, exit, (stdout) => check(parseStatus(stdout)));
    const nobody = (report: StatusJson) => (report.supervisor === null ? null : `supervisor ${report.supervisor.pid}, expected none`);
    const [closed, serving, running, version] = await alternate(
      [
        status(emptyEnv, ["--endpoint", closedEndpoint], 3, (report) =>
          nobody(report) ??
          (report.daemon?.status === "unreachable" && report.daemon.detail === "connection refused" ? null : `daemon ${JSON.stringify(report.daemon)}, expected connection refused`),
        ),
        status(emptyEnv, ["--endpoint", daemonEndpoint], 3, (report) =>
          nobody(report) ?? (report.daemon?.status === "serving" ? null : `daemon ${JSON.stringify(report.daemon)}, expected serving`),
        ),
        status(background.env, [], 0, (report) => runningProblem(report, background)),
        () => timedRunPrinting(setup.stigmer, ["--version"], setup.baseEnv, "stigmer "),
      ],
      quick ? RUNS.quick : RUNS.full,
    );
    const floor = summarize(version!);
    const judge = { kind: "at most", max: TARGET_MS, versus: floor } as const;
    return {
      rows: [
        row("`local status --json`, nothing running, daemon port closed", closed!, formatMs, "runs", judge),
        row("`local status --json`, nothing running, dev daemon serving (`--endpoint`)", serving!, formatMs, "runs", judge),
        row("`local status --json`, background supervisor running", running!, formatMs, "runs", judge),
        row("floor: `stigmer --version`, alternated with the three above", floor, formatMs, "runs", { kind: "floor" }),
      ],
      notes: [],
    };
  } finally {
    await stopBackground(setup, background);
  }
}
