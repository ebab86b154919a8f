// Start-up: the wall time of `stigmer --version`, spawn to exit.
// Floor: a hello-world compiled by the same Bun with a bare `bun build --compile`: the least a compiled Bun
// program costs to start. Target: ≤ 1.5× the floor.
import { compileProgram } from "../harness/contenders/compile.ts";
import { formatMs } from "../harness/report/format.ts";
import { freshDir, timedRunPrinting } from "../harness/processes/processes.ts";
import type { Setup } from "../harness/contenders/setup.ts";
import { alternate } from "../harness/report/stats.ts";
import { row, type WorkloadResult } from "../harness/report/table.ts";

const RUNS = { full: 30, quick: 5 };
const TARGET_RATIO = 1.5;

export async function benchStartUp(setup: Setup, quick: boolean): Promise<WorkloadResult> {
  const hello = await compileProgram(freshDir("hello"), "hello", 'console.log("hello");\n', "bare");
  const [stigmer, floor] = await alternate(
    [() => timedRunPrinting(setup.stigmer, ["--version"], setup.baseEnv, "stigmer "), () => timedRunPrinting(hello, [], setup.baseEnv, "hello")],
    quick ? RUNS.quick : RUNS.full,
  );
  const floorRow = row("floor: `bun build --compile` hello-world", floor!, formatMs, "runs", { kind: "floor" });
  return {
    rows: [row("`stigmer --version`", stigmer!, formatMs, "runs", { kind: "ratio", floor: floorRow.summary, maxRatio: TARGET_RATIO }), floorRow],
    notes: [],
  };
}
