/**
 * `natlab matrix`: does the translator load and behave on each kernel?
 * For every kernel, one natlab process (on the host, or inside a VM booted
 * from that kernel) runs the golden packet cases through BPF_PROG_TEST_RUN
 * and the chosen labs, and writes results/matrix/<kernel>.json. Then one
 * table: a row per golden case file and per lab, a column per kernel. A
 * verifier rejection is shown with the verifier's own last lines, not just
 * "failed".
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { ROOT } from "./root.ts";

export interface Cell {
  passed: number;
  failed: number;
  skipped: number;
  /** Names of what failed, and why, shortened. */
  failures: string[];
  /** The program did not load: the verifier's last lines. */
  verifier?: string;
  error?: string;
}

export interface KernelColumn {
  kernel: string;
  version: string;
  seconds: number;
  golden: Record<string, Cell>;
  labs: Record<string, Cell>;
}

/** The lines of a libbpf load failure that say why: the end of the verifier log and the error. */
export function verifierExcerpt(text: string, lines = 12): string | undefined {
  const begin = text.indexOf("-- BEGIN PROG LOAD LOG --");
  if (begin < 0 && !/refused|verifier|Permission denied|Invalid argument/.test(text)) return undefined;
  const end = text.indexOf("-- END PROG LOAD LOG --");
  const log = begin >= 0 ? text.slice(begin, end >= 0 ? end : undefined) : text;
  const kept = log
    .split("\n")
    .filter((l) => l.trim() && !l.includes("BEGIN PROG LOAD LOG"))
    .slice(-lines);
  return kept.join("\n");
}

/** The worker: golden cases and labs on the kernel this process runs on. */
export async function matrixWorker(out: string, labs: string[]): Promise<number> {
  const t0 = Date.now();
  const { detectFeatures } = await import("./plan/features.ts");
  const { loadCases } = await import("./golden/cases.ts");
  const { checkCases } = await import("./golden/check.ts");
  const { runLab } = await import("./run/lab.ts");
  const features = detectFeatures();
  const golden: Record<string, Cell> = {};
  const cases = loadCases();
  for (const file of [...new Set(cases.map((c) => c.file))]) {
    const mine = cases.filter((c) => c.file === file);
    const cell: Cell = { passed: 0, failed: 0, skipped: 0, failures: [] };
    try {
      for (const r of await checkCases(mine)) {
        if (r.ok) cell.passed++;
        else {
          cell.failed++;
          cell.failures.push(`${r.case.name}: ${r.failure.split("\n").slice(1, 4).join(" ").replace(/\s+/g, " ").trim()}`);
        }
      }
    } catch (err) {
      const msg = (err as Error).message;
      cell.failed = mine.length;
      cell.verifier = verifierExcerpt(msg);
      cell.error = msg.split("\n")[0];
    }
    golden[file] = cell;
    console.log(`golden ${file}: ${cell.passed}/${mine.length}${cell.error ? ` (${cell.error})` : ""}`);
  }
  const labCells: Record<string, Cell> = {};
  const quiet = { labStart() {}, setup() {}, flow() {}, labEnd() {}, note() {} };
  for (const lab of labs) {
    let stepFailure = "";
    const r = await runLab(lab, {
      root: ROOT,
      progress: {
        ...quiet,
        flow: (o) => console.log(`  ${o.status === "pass" ? "✓" : o.status === "skip" ? "-" : "✗"} ${o.name}`),
        setupFailed: (_s, _t, m) => (stepFailure = m),
        note: (m) => (stepFailure ||= m),
      },
    });
    const cell: Cell = {
      passed: r.outcomes.filter((o) => o.status === "pass").length,
      failed: r.outcomes.filter((o) => o.status === "fail").length + (r.error ? 1 : 0),
      skipped: r.outcomes.filter((o) => o.status === "skip").length,
      failures: r.outcomes.filter((o) => o.status === "fail").map((o) => `${o.name}: ${(o.failures[0] ?? "").split("\n")[0]}`),
    };
    if (r.error) {
      cell.error = (stepFailure || r.error).split("\n")[0];
      cell.verifier = verifierExcerpt(stepFailure || r.error);
    }
    labCells[r.lab] = cell;
    console.log(`lab ${r.lab}: ${cell.passed} passed, ${cell.failed} failed, ${cell.skipped} skipped`);
  }
  const column: KernelColumn = { kernel: process.env.NATLAB_IN_VM ?? "host", version: features.kernel, seconds: (Date.now() - t0) / 1000, golden, labs: labCells };
  mkdirSync(resolve(out, ".."), { recursive: true });
  writeFileSync(out, `${JSON.stringify(column, null, 2)}\n`);
  return 0;
}

function showCell(c: Cell | undefined): string {
  if (!c) return "-";
  const total = c.passed + c.failed;
  if (c.verifier !== undefined || (c.error && c.passed === 0)) return `✗ ${c.verifier !== undefined ? "not loaded" : "error"}`;
  return `${c.failed ? "✗" : "✓"} ${c.passed}/${total}${c.skipped ? ` (${c.skipped} skipped)` : ""}`;
}

/** The table: golden case files and labs by kernel, then what failed and why. */
export function formatMatrix(columns: KernelColumn[]): string {
  const rows: [string, (k: KernelColumn) => Cell | undefined][] = [];
  const golden = [...new Set(columns.flatMap((c) => Object.keys(c.golden)))];
  const labs = [...new Set(columns.flatMap((c) => Object.keys(c.labs)))];
  for (const g of golden) rows.push([`golden ${g}`, (k) => k.golden[g]]);
  for (const l of labs) rows.push([`lab ${l}`, (k) => k.labs[l]]);
  const head = ["", ...columns.map((c) => `${c.kernel} (${c.version})`)];
  const body = rows.map(([name, get]) => [name, ...columns.map((c) => showCell(get(c)))]);
  const widths = head.map((_, i) => Math.max(...[head, ...body].map((r) => r[i].length)));
  const line = (r: string[]) => r.map((s, i) => s.padEnd(widths[i])).join("  ").trimEnd();
  const out = [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)];
  for (const c of columns) {
    for (const [name, get] of rows) {
      const cell = get(c);
      if (!cell || (cell.failed === 0 && !cell.error)) continue;
      out.push("", `${c.kernel}, ${name}:`);
      if (cell.error) out.push(`  ${cell.error}`);
      if (cell.verifier) out.push("  verifier:", ...cell.verifier.split("\n").map((l) => `    ${l}`));
      for (const f of cell.failures.slice(0, 8)) out.push(`  ✗ ${f}`);
      if (cell.failures.length > 8) out.push(`  … and ${cell.failures.length - 8} more`);
    }
  }
  out.push("", columns.map((c) => `${c.kernel}: ${c.seconds.toFixed(0)}s`).join(", "));
  return out.join("\n");
}

/** A kernel whose worker never reported: every row shows the error. */
export function failedColumn(kernel: string, error: string, seconds: number): KernelColumn {
  return { kernel, version: "?", seconds, golden: { "(all cases)": { passed: 0, failed: 1, skipped: 0, failures: [], error } }, labs: {} };
}

export function readColumn(path: string): KernelColumn {
  return JSON.parse(readFileSync(path, "utf8")) as KernelColumn;
}

export function matrixPath(kernel: string): string {
  return join(ROOT, "results", "matrix", `${kernel}.json`);
}

export function shown(path: string): string {
  return relative(process.cwd(), path) || path;
}
