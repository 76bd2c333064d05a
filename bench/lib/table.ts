import type { Row } from "./types.js";

function fmt(n: number | undefined, unit = ""): string {
  if (n === undefined || Number.isNaN(n)) return "—";
  const s = Math.abs(n) >= 100 ? Math.round(n).toLocaleString("en-US") : n.toPrecision(3);
  return unit ? `${s} ${unit}` : s;
}

/** A plain-text table: suite, case, Swarmlink figure, raw baseline, ratio (higher is better). */
export function renderTable(rows: Row[]): string {
  const head = ["suite", "case", "swarmlink", "raw baseline", "ratio"];
  const body = rows.map((r) => [
    r.suite,
    r.case,
    fmt(r.value, r.unit),
    r.baseline === undefined ? "—" : fmt(r.baseline, r.unit),
    r.ratio === undefined ? "—" : `${r.ratio.toFixed(2)}×`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i >= 2 ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(head), rule, ...body.map(line)].join("\n");
}
