// How numbers are printed in every table.

export type Format = (value: number) => string;

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatPercent(percent: number): string {
  return `${percent.toFixed(2)} %`;
}

export const MiB = 1024 * 1024;

/** "1.23×": `value` against `floor`. */
export function formatRatio(value: number, floor: number): string {
  return `${(value / floor).toFixed(2)}×`;
}

/** "min – max" of a summary, each in `format`. */
export function formatRange(summary: { min: number; max: number }, format: Format): string {
  return `${format(summary.min)} – ${format(summary.max)}`;
}

/** "10 s", "0.5 s": a duration in a row's name. */
export function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}
