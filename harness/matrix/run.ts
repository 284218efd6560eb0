/**
 * `natlab matrix`: every golden case file and lab on every kernel named, a
 * column per kernel, columns side by side (`--jobs`). Each column is one
 * natlab worker process: on the host, or inside a VM booted from that kernel.
 * Then, from the column directories (here, or CI artifacts with `--merge`):
 *
 *   results/matrix/<kernel>/column.json, column.tap, junit.xml   per column
 *   results/matrix/matrix.txt    the table, as printed
 *   results/matrix/index.html    the results page, linking each lab's report
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { junitFromTap } from "../report/junit.ts";
import { ROOT } from "../root.ts";
import { COLUMN_FILE, COLUMN_TAP, failedColumn, type KernelColumn, markUnfinished, readColumn } from "./column.ts";
import { matrixPage, type PageColumn } from "./page.ts";
import { formatMatrix } from "./table.ts";

export const MATRIX_DIR = join(ROOT, "results", "matrix");
/** What `natlab matrix` runs when no kernel is named. */
export const DEFAULT_KERNELS = ["host", "debian-5.10", "debian-6.1", "debian-6.12"];

export interface MatrixOptions {
  kernels: string[];
  /** Lab files (absolute paths). */
  labs: string[];
  /** Columns that run at the same time. */
  jobs: number;
  /** Where the columns, the table and the page go (default results/matrix). */
  out?: string;
  /** Progress lines, each tagged with its kernel. */
  say?: (line: string) => void;
}

/** Runs the columns, then writes and prints the matrix; the exit status (1 when anything failed). */
export async function runMatrix(
  opts: MatrixOptions,
): Promise<{ columns: KernelColumn[]; table: string; wallSeconds: number }> {
  const out = opts.out ?? MATRIX_DIR;
  const say = opts.say ?? ((l: string) => console.log(l));
  const started = Date.now();
  // Every column loads the same bpf/ objects, and a VM sees the host's files: build them here,
  // once (a stale nat64-pipe.o, made before a counter was added, had the labs read shifted counters).
  const { ensureBuilt } = await import("../bpf/fresh.ts");
  await ensureBuilt((t) => say(`matrix: ${t}`));
  // Kernels are prepared one after the other first: downloads share natlab's apt lists.
  const { prepareKernel } = await import("../vm/kernels.ts");
  for (const k of opts.kernels) {
    if (k !== "host") await prepareKernel(k, { onProgress: (m) => say(`[${k}] ${m}`) });
  }
  const dirs = opts.kernels.map((k) => join(out, k));
  await pool(opts.kernels, Math.max(1, opts.jobs), async (kernel, i) => {
    const dir = dirs[i];
    // Never show an earlier run's column as this one's.
    for (const f of [COLUMN_FILE, COLUMN_TAP, "junit.xml"]) rmSync(join(dir, f), { force: true });
    mkdirSync(dir, { recursive: true });
    const t0 = Date.now();
    say(`matrix: kernel ${kernel} started`);
    const { code, harnessError } = await runColumn(kernel, dir, opts.labs, (l) => say(`[${kernel}] ${l}`)).catch(
      (err: Error): ColumnRun => {
        say(`[${kernel}] ${err.message}`);
        return { code: -1 };
      },
    );
    const seconds = (Date.now() - t0) / 1000;
    if (harnessError) {
      say(`[${kernel}] harness error: natlab's own code failed (not the kernel, not the emulator):`);
      for (const l of harnessError.split("\n")) say(`[${kernel}]   ${l}`);
    }
    const why = harnessError
      ? `harness error (natlab's own code, not the kernel): ${harnessError}`
      : code === -1
        ? "the VM gave no result (see the lines above)"
        : `the natlab worker exited with ${code} before writing its results`;
    if (!existsSync(join(dir, COLUMN_FILE))) {
      writeFileSync(join(dir, COLUMN_FILE), `${JSON.stringify(failedColumn(kernel, why, seconds), null, 2)}\n`);
    } else if (code !== 0) {
      // The worker writes its column after every row: keep what it finished, fail the rest.
      const names = opts.labs.map((l) => basename(l).replace(/\.ya?ml$/, ""));
      const column = markUnfinished({ ...readColumn(join(dir, COLUMN_FILE)), seconds }, names, why);
      writeFileSync(join(dir, COLUMN_FILE), `${JSON.stringify(column, null, 2)}\n`);
    }
    say(`matrix: kernel ${kernel} done after ${seconds.toFixed(0)}s`);
  });
  const wallSeconds = (Date.now() - started) / 1000;
  const { columns, table } = await writeMatrix(dirs, out, wallSeconds);
  return { columns, table, wallSeconds };
}

/** A VM column's time bound: boot, node and the golden cases, then each lab (6.12 took 1800 s for seven, loaded). */
const COLUMN_BASE_SEC = 600;
const COLUMN_PER_LAB_SEC = 600;

/** How a column's worker ended: its exit status (-1: no result), and an error in natlab's own code if that ended it. */
interface ColumnRun {
  code: number;
  harnessError?: string;
}

/**
 * One column: the worker on the host as a child process, or in a VM of that kernel. A VM
 * writes only into results/ (shared with it; the rest of its root is a throwaway overlay),
 * so a column directory elsewhere (`--out /tmp/x`) is written there first, then moved.
 */
async function runColumn(kernel: string, dir: string, labs: string[], line: (l: string) => void): Promise<ColumnRun> {
  if (kernel !== "host") {
    const shared = join(ROOT, "results");
    const inShare = !relative(shared, dir).startsWith("..");
    const stage = inShare ? dir : join(shared, "matrix", `.stage-${kernel}-${process.pid}`);
    mkdirSync(stage, { recursive: true });
    const { natlabInVm } = await import("../vm/labs.ts");
    try {
      const argv = ["matrix-worker", "--out", stage, ...labs];
      // Under emulation on a busy machine a lab can take several minutes: the bound grows with the labs.
      const timeoutSec = COLUMN_BASE_SEC + COLUMN_PER_LAB_SEC * labs.length;
      const r = await natlabInVm({ kernel, argv, onLine: line, onProgress: line, timeoutSec });
      line(`kernel ${r.kernel.version}: the worker exited with ${r.exitCode} after ${r.seconds.toFixed(0)}s in the VM`);
      if (!inShare) rebaseColumn(stage, dir);
      return { code: r.exitCode, harnessError: r.harnessError };
    } finally {
      if (!inShare) rmSync(stage, { recursive: true, force: true });
    }
  }
  const argv = ["matrix-worker", "--out", dir, ...labs];
  const { harnessErrorOf } = await import("../vm/labs.ts");
  return new Promise((done) => {
    const child = spawn(join(ROOT, "bin", "natlab"), argv, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let buffer = "";
    let output = "";
    const onData = (d: Buffer) => {
      buffer += d.toString();
      output = (output + d.toString()).slice(-65536); // harnessErrorOf reads only the end
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const l of lines) line(l);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("close", (code, signal) => {
      if (buffer) line(buffer);
      const exitCode = code ?? (signal ? 128 : 1);
      done({ code: exitCode, harnessError: harnessErrorOf({ exitCode, output }) });
    });
  });
}

/** Copies a column from `from` to `to`, its links to lab results made relative to `to`. */
function rebaseColumn(from: string, to: string): void {
  const file = join(from, COLUMN_FILE);
  if (!existsSync(file)) return;
  const column = readColumn(file);
  for (const cell of Object.values(column.labs))
    if (cell.results) cell.results = relative(to, resolve(from, cell.results));
  writeFileSync(join(to, COLUMN_FILE), `${JSON.stringify(column, null, 2)}\n`);
  if (existsSync(join(from, COLUMN_TAP))) copyFileSync(join(from, COLUMN_TAP), join(to, COLUMN_TAP));
}

/** Runs `work` for every item, at most `jobs` at a time. */
async function pool<T>(items: T[], jobs: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(jobs, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
    }
  });
  await Promise.all(lanes);
}

/**
 * From column directories to the outputs: JUnit per column (from its TAP),
 * the table (matrix.txt) and the page (index.html) in `out`.
 */
export async function writeMatrix(
  dirs: string[],
  out: string,
  wallSeconds?: number,
): Promise<{ columns: KernelColumn[]; table: string }> {
  mkdirSync(out, { recursive: true });
  const pages: PageColumn[] = [];
  for (const dir of dirs) {
    const column = readColumn(join(dir, COLUMN_FILE));
    const tap = join(dir, COLUMN_TAP);
    if (existsSync(tap))
      writeFileSync(
        join(dir, "junit.xml"),
        await junitFromTap(readFileSync(tap, "utf8"), `natlab matrix ${column.kernel}`),
      );
    const files = new Set<string>();
    if (existsSync(join(dir, "junit.xml"))) files.add("junit.xml");
    for (const cell of Object.values(column.labs)) {
      for (const f of ["report.html", "summary.json"]) {
        if (cell.results && existsSync(join(dir, cell.results, f))) files.add(`${cell.results}/${f}`);
      }
    }
    pages.push({ column, href: relative(out, dir) || ".", files });
  }
  const columns = pages.map((p) => p.column);
  const table = formatMatrix(columns, wallSeconds);
  writeFileSync(join(out, "matrix.txt"), `${table}\n`);
  writeFileSync(
    join(out, "index.html"),
    matrixPage({ columns: pages, wallSeconds, generatedAt: new Date().toISOString() }),
  );
  return { columns, table };
}

/** `natlab matrix --merge DIR...`: the columns found under the directories, as one matrix in `out`. */
export async function mergeMatrix(roots: string[], out: string): Promise<{ columns: KernelColumn[]; table: string }> {
  const { findColumnDirs } = await import("./column.ts");
  const dirs = roots.flatMap((r) => findColumnDirs(resolve(r)));
  if (dirs.length === 0)
    throw new Error(
      `no ${COLUMN_FILE} under ${roots.join(", ")}: give the directories natlab matrix wrote (results/matrix/<kernel>)`,
    );
  return writeMatrix(dirs, resolve(out));
}
