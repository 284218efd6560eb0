/**
 * One kernel's column of `natlab matrix`, as data: what the worker on that
 * kernel writes (results/matrix/<kernel>/column.json) and what the table, the
 * results page and `natlab matrix --merge` read. Pure: no I/O but reading and
 * writing that one file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** One row of one column: a golden case file or a lab, on one kernel. */
export interface Cell {
  passed: number;
  failed: number;
  skipped: number;
  /** Names of what failed, and why, shortened. */
  failures: string[];
  /** The program did not load: the verifier's last lines. */
  verifier?: string;
  error?: string;
  /** How long the row took on that kernel (a lab's; golden rows share one time, the column's goldenSeconds). */
  seconds?: number;
  /** Labs only: how the translator was attached, `clsact` or `literal` (the write-up's tc steps). */
  variant?: string;
  /** Labs only: the run's results directory, relative to the column's directory. */
  results?: string;
}

export interface KernelColumn {
  kernel: string;
  /** `uname -r` on that kernel; "?" when the worker never reported. */
  version: string;
  seconds: number;
  /** How long every golden case file took together (they run as one batch). */
  goldenSeconds?: number;
  /** The variant a lab with literal steps gets there: literal where prio, matchall, act_bpf and act_csum exist. */
  variant?: string;
  golden: Record<string, Cell>;
  labs: Record<string, Cell>;
  /** Set when the translator loads nowhere on this kernel: the verifier's reason, in one line. */
  unsupported?: string;
}

/** The column file's name inside a column directory. */
export const COLUMN_FILE = "column.json";
/** The TAP report of a column (a test point per golden case and per lab flow); JUnit is made from it. */
export const COLUMN_TAP = "column.tap";

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

/** A kernel whose worker never reported: one row that says why. */
export function failedColumn(kernel: string, error: string, seconds: number): KernelColumn {
  const cell: Cell = { passed: 0, failed: 1, skipped: 0, failures: [], error, verifier: verifierExcerpt(error) };
  return { kernel, version: "?", seconds, golden: { "(all cases)": cell }, labs: {} };
}

/**
 * A column whose worker stopped before the end (a VM that timed out): what it
 * finished stays, every lab it did not report fails with `why` (and so does a
 * golden part it never reached), so the table cannot show a short column as a pass.
 */
export function markUnfinished(column: KernelColumn, labs: string[], why: string): KernelColumn {
  const cell = (): Cell => ({ passed: 0, failed: 1, skipped: 0, failures: [], error: `not finished: ${why}` });
  const golden = Object.keys(column.golden).length ? column.golden : { "(all cases)": cell() };
  const missing = labs.filter((l) => !(l in column.labs));
  return { ...column, golden, labs: { ...column.labs, ...Object.fromEntries(missing.map((l) => [l, cell()])) } };
}

/**
 * "Not supported" when no golden group could load the translator: every one of
 * them failed with a verifier log. The log's last line that is neither libbpf's
 * nor the statistics says why.
 */
export function unsupportedReason(golden: Record<string, Cell>): string | undefined {
  const cells = Object.values(golden);
  if (cells.length === 0 || !cells.every((c) => c.verifier !== undefined && c.passed === 0)) return undefined;
  const lines = (cells[0].verifier ?? "")
    .split("\n")
    .filter((l) => l.trim() && !/^(processed \d+ insns|libbpf:|verification time)/.test(l));
  return `the verifier refused the translator: ${lines.at(-1)?.trim() ?? cells[0].error ?? "no reason given"}`;
}

/** Every cell of a column. */
export function cellsOf(c: KernelColumn): Cell[] {
  return [...Object.values(c.golden), ...Object.values(c.labs)];
}

/** True when anything in the columns failed, could not run, or could not load. */
export function anyFailed(columns: KernelColumn[]): boolean {
  return columns.some((c) => c.unsupported !== undefined || cellsOf(c).some((x) => x.failed > 0 || x.error));
}

export function readColumn(path: string): KernelColumn {
  const c = JSON.parse(readFileSync(path, "utf8")) as KernelColumn;
  if (typeof c.kernel !== "string" || typeof c.golden !== "object" || typeof c.labs !== "object") {
    throw new Error(`${path} is not a natlab matrix column (no kernel, golden or labs)`);
  }
  return c;
}

/**
 * The column directories under `dir`: `dir` itself when it holds a column.json,
 * else its subdirectories that do, two levels deep (a CI artifact unpacks as
 * ARTIFACT/<kernel>/column.json or ARTIFACT/matrix/<kernel>/column.json).
 */
export function findColumnDirs(dir: string, depth = 3): string[] {
  if (existsSync(join(dir, COLUMN_FILE))) return [dir];
  if (depth === 0 || !existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const sub = join(dir, entry);
      return statSync(sub).isDirectory() ? findColumnDirs(sub, depth - 1) : [];
    });
}
