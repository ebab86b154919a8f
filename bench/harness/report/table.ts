// The rows of the main run's table: each a measure with its median, spread and count, what it is compared with,
// its target and whether it meets it.
import { formatRange, formatRatio, markdownTable, type Format } from "./format.ts";
import { summarize, type Summary } from "./stats.ts";

export interface Row {
  measure: string;
  summary: Summary;
  format: Format;
  /** "runs", "starts", …: what the count counts. */
  unitOfCount: string;
  /** The "vs floor" cell: "floor", a ratio, or "—". */
  versus: string;
  target: string;
  /** "yes", "no" or "—". */
  meets: string;
}

/** What a row is judged by. */
export type Judge =
  /** Informational: no target. */
  | { kind: "none" }
  /** It is a floor, what other rows' ratios are taken against. */
  | { kind: "floor" }
  /** Informational, its ratio to a floor shown: no target. */
  | { kind: "versus"; floor: Summary }
  /** Its median may be at most `maxRatio` times the floor's. */
  | { kind: "ratio"; floor: Summary; maxRatio: number }
  /** Its median may be at most `max` (in the row's unit); with `versus`, the ratio to that floor is shown too. */
  | { kind: "at most"; max: number; versus?: Summary }
  /** Its median must be below a reference measured elsewhere (null: that reference could not be measured). */
  | { kind: "below"; what: string; reference: number | null };

const yesNo = (meets: boolean) => (meets ? "yes" : "no");

export function row(measure: string, values: number[] | Summary, format: Format, unitOfCount: string, judge: Judge = { kind: "none" }): Row {
  const summary = Array.isArray(values) ? summarize(values) : values;
  const cells = { versus: "—", target: "—", meets: "—" };
  switch (judge.kind) {
    case "floor":
      cells.versus = "floor";
      break;
    case "versus":
      cells.versus = formatRatio(summary.median, judge.floor.median);
      break;
    case "ratio": {
      const ratio = summary.median / judge.floor.median;
      Object.assign(cells, { versus: formatRatio(summary.median, judge.floor.median), target: `≤ ${judge.maxRatio}× floor`, meets: yesNo(ratio <= judge.maxRatio) });
      break;
    }
    case "at most":
      if (judge.versus) cells.versus = formatRatio(summary.median, judge.versus.median);
      Object.assign(cells, { target: `≤ ${format(judge.max)}`, meets: yesNo(summary.median <= judge.max) });
      break;
    case "below":
      cells.target = judge.reference === null ? `< ${judge.what} (not measured)` : `< ${judge.what}, ${format(judge.reference)}`;
      if (judge.reference !== null) cells.meets = yesNo(summary.median < judge.reference);
      break;
  }
  return { measure, summary, format, unitOfCount, ...cells };
}

export function renderRows(rows: readonly Row[]): string {
  const header = ["measure", "median", "min – max", "n", "vs floor", "target", "meets target"];
  return markdownTable(
    header,
    rows.map(({ measure, summary, format, unitOfCount, versus, target, meets }) => [
      measure,
      format(summary.median),
      formatRange(summary, format),
      `${summary.count} ${unitOfCount}`,
      versus,
      target,
      meets,
    ]),
  );
}

/** What a workload of the main run hands back: its rows, and lines printed under the table. */
export interface WorkloadResult {
  rows: Row[];
  notes: string[];
}
