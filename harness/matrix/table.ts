/**
 * The matrix as text, for the console and results/matrix/matrix.txt: a row per
 * golden case file and per lab, a column per kernel; under the table, what
 * failed where and why, with the verifier's last lines when a program did not
 * load. Pure.
 */
import type { Cell, KernelColumn } from "./column.ts";

/** A row of the matrix: its label and how to find its cell in a column. */
export interface Row {
  name: string;
  kind: "golden" | "lab";
  key: string;
  cell(c: KernelColumn): Cell | undefined;
}

/** Golden case files first, then labs, each in the order they first appear. */
export function matrixRows(columns: KernelColumn[]): Row[] {
  const golden = [...new Set(columns.flatMap((c) => Object.keys(c.golden)))];
  const labs = [...new Set(columns.flatMap((c) => Object.keys(c.labs)))];
  return [
    ...golden.map((g): Row => ({ name: `golden ${g}`, kind: "golden", key: g, cell: (c) => c.golden[g] })),
    ...labs.map((l): Row => ({ name: `lab ${l}`, kind: "lab", key: l, cell: (c) => c.labs[l] })),
  ];
}

/** One cell in words: "✓ 9/9 literal 41s", "✗ 3/4 2s", "✗ not loaded", "-" when that kernel has no such row. */
export function cellText(c: Cell | undefined, column?: KernelColumn): string {
  if (column?.unsupported !== undefined) return "not supported";
  if (!c) return "-";
  if (c.verifier !== undefined && c.passed === 0) return "✗ not loaded";
  if (c.error && c.passed === 0) return "✗ error";
  const parts = [`${c.failed ? "✗" : "✓"} ${c.passed}/${c.passed + c.failed}`];
  if (c.skipped) parts.push(`(${c.skipped} skipped)`);
  if (c.variant) parts.push(c.variant);
  if (c.seconds !== undefined) parts.push(`${c.seconds.toFixed(0)}s`);
  return parts.join(" ");
}

/** The column's heading: "debian-5.10 (5.10.0-46-amd64)". */
export function columnTitle(c: KernelColumn): string {
  return `${c.kernel} (${c.version})`;
}

/** The whole matrix as text: the table, then the details of every failed cell, then each column's time. */
export function formatMatrix(columns: KernelColumn[], wallSeconds?: number): string {
  const rows = matrixRows(columns);
  const head = ["", ...columns.map(columnTitle)];
  const body = rows.map((r) => [r.name, ...columns.map((c) => cellText(r.cell(c), c))]);
  const widths = head.map((_, i) => Math.max(...[head, ...body].map((r) => [...r[i]].length)));
  const line = (r: string[]) =>
    r
      .map((s, i) => s + " ".repeat(widths[i] - [...s].length))
      .join("  ")
      .trimEnd();
  const out = [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)];
  for (const c of columns) {
    if (c.unsupported !== undefined) {
      out.push("", `${c.kernel}: not supported: ${c.unsupported}`);
      const v = Object.values(c.golden).find((x) => x.verifier)?.verifier;
      if (v) out.push("  verifier:", ...v.split("\n").map((l) => `    ${l}`));
      continue;
    }
    for (const r of rows) {
      const cell = r.cell(c);
      if (!cell || (cell.failed === 0 && !cell.error)) continue;
      out.push("", `${c.kernel}, ${r.name}:`);
      if (cell.error) out.push(...cell.error.split("\n").map((l) => `  ${l}`));
      if (cell.verifier) out.push("  verifier:", ...cell.verifier.split("\n").map((l) => `    ${l}`));
      for (const f of cell.failures.slice(0, 8)) out.push(`  ✗ ${f}`);
      if (cell.failures.length > 8) out.push(`  … and ${cell.failures.length - 8} more`);
    }
  }
  const times = columns
    .map((c) => {
      const golden = c.goldenSeconds !== undefined ? ` (golden cases ${c.goldenSeconds.toFixed(0)}s)` : "";
      return `${c.kernel} ${c.seconds.toFixed(0)}s${golden}`;
    })
    .join(", ");
  out.push("", `time per column: ${times}${wallSeconds !== undefined ? `; wall time ${wallSeconds.toFixed(0)}s` : ""}`);
  return out.join("\n");
}
