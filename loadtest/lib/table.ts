/**
 * One row of the benchmark table (docs/performance.md): a figure measured on the
 * product beside the same figure for its physical reference, measured in the same run.
 */
export interface BenchRow {
  scenario: string;
  figure: string;
  value: number | null;
  reference: number | null;
  unit: string;
  /** What limits this figure, or how to read it. */
  note?: string;
}

const fmt = (v: number | null) =>
  v === null || !Number.isFinite(v) ? "n/a" : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);

export const ratio = (row: BenchRow) =>
  row.value !== null && row.reference !== null && row.reference !== 0 ? row.value / row.reference : null;

/** A Markdown table, as docs/performance.md holds it; with `notes`, a last column carries each row's note. */
export function toMarkdown(rows: BenchRow[], { notes = false } = {}): string {
  const lines = [
    `| scenario | figure | value | reference | ratio | unit |${notes ? " note |" : ""}`,
    `| --- | --- | ---: | ---: | ---: | --- |${notes ? " --- |" : ""}`,
  ];
  for (const r of rows) {
    const note = notes ? ` ${(r.note ?? "").replace(/\|/g, "\\|")} |` : "";
    lines.push(`| ${r.scenario} | ${r.figure} | ${fmt(r.value)} | ${fmt(r.reference)} | ${fmt(ratio(r))} | ${r.unit} |${note}`);
  }
  return lines.join("\n");
}

/** Percentile of a sample (nearest rank); null for an empty one. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
