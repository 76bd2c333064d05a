/** A plain text table: a header row, then rows; columns padded to their widest cell. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return `${cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n")}\n`;
}

/** Milliseconds since the epoch as a short age, e.g. `3s ago`; 0 as `-`. */
export function age(ms: number, now = Date.now()): string {
  if (!ms) return "-";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

/** A value as a short one-line string for a table cell. */
export function short(v: unknown, max = 40): string {
  const s = v === null || v === undefined ? "-" : typeof v === "string" ? v : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Pretty JSON and a newline: the `--json` output of every command. */
export const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
