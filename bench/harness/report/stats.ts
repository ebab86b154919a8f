// Medians, spreads and the order contenders take turns in.

export interface Summary {
  median: number;
  min: number;
  max: number;
  count: number;
}

export function summarize(values: number[]): Summary {
  if (values.length === 0) throw new Error("no measurements");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, count: sorted.length };
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * The order of `items` in round `round`: reversed every other round and rotated by one every two, so that no
 * contender always runs first or right after the same other one; whatever else the machine is doing at the time
 * then slows all of them alike. With two items: AB BA BA AB …, ABBA order.
 */
export function turnOrder<T>(items: readonly T[], round: number): T[] {
  const shift = Math.floor(round / 2) % items.length;
  const order = [...items.slice(shift), ...items.slice(0, shift)];
  return round % 2 === 0 ? order : order.reverse();
}

/** Runs each of `runs` once a round, `rounds` rounds, in turn order. */
export async function inTurns(runs: readonly (() => Promise<unknown>)[], rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const run of turnOrder(runs, round)) await run();
  }
}

/**
 * Runs each of `contenders` once untimed (paging in binaries, Python, grpc-js), then `rounds` rounds in turn order,
 * and returns each one's measurements in the order given.
 */
export async function alternate(contenders: readonly (() => number | Promise<number>)[], rounds: number, untimedFirst = true): Promise<number[][]> {
  const measured = contenders.map(() => [] as number[]);
  if (untimedFirst) for (const run of contenders) await run();
  await inTurns(
    contenders.map((run, index) => async () => measured[index]!.push(await run())),
    rounds,
  );
  return measured;
}
