// The `--peers` table: a column per contender, each row saying whether stigmer is ahead of the better of pm2 and
// supervisord and whether it meets its target.
import { freshDir } from "../../harness/processes/processes.ts";
import { markdownTable, type Format } from "../../harness/report/format.ts";
import { summarize } from "../../harness/report/stats.ts";

export interface PeerResult {
  workload: string;
  measure: string;
  better: "lower" | "higher";
  format: Format;
  /** Per contender name: the values measured, or a text when not applicable. */
  values: Map<string, number[] | string>;
  /** Whether stigmer meets the target for this row, given every contender's median. */
  target?: { text: string; meets: (stigmer: number, medians: Map<string, number>) => boolean };
}

/** Per contender, an empty list of values (or the text for those it does not apply to). */
export function emptyValues(names: string[], notApplicable: Map<string, string> = new Map()): Map<string, number[] | string> {
  return new Map(names.map((name) => [name, notApplicable.get(name) ?? []]));
}

/** Appends to a contender's values. */
export function record(values: Map<string, number[] | string>, name: string, value: number): void {
  const list = values.get(name);
  if (!Array.isArray(list)) throw new Error(`no values recorded for ${name}`);
  list.push(value);
}

/** A fresh directory for one contender's run. */
export function contenderDir(name: string): string {
  return freshDir(`peer-${name}`);
}

export function renderPeers(results: PeerResult[], names: string[]): string {
  const header = ["workload", "measure", ...names, "stigmer ahead of best peer?", "target", "meets target"];
  const rows = results.map((result) => {
    const medians = new Map<string, number>();
    const cells = names.map((name) => {
      const values = result.values.get(name);
      if (values === undefined || typeof values === "string") return values ?? "—";
      const summary = summarize(values);
      medians.set(name, summary.median);
      if (summary.count === 1) return result.format(summary.median);
      return `${result.format(summary.median)} (${result.format(summary.min)} – ${result.format(summary.max)}, n=${summary.count})`;
    });
    const mine = medians.get("stigmer");
    const peers = ["pm2", "supervisord"].map((name) => medians.get(name)).filter((value): value is number => value !== undefined);
    let ahead = "—";
    if (mine !== undefined && peers.length > 0) {
      const best = result.better === "lower" ? Math.min(...peers) : Math.max(...peers);
      ahead = mine === best ? "tie" : (result.better === "lower" ? mine < best : mine > best) ? "yes" : "no";
    }
    const target = result.target?.text ?? "—";
    const meets = result.target && mine !== undefined ? (result.target.meets(mine, medians) ? "yes" : "no") : "—";
    return [result.workload, result.measure, ...cells, ahead, target, meets];
  });
  return markdownTable(header, rows);
}
