/**
 * `natlab matrix-worker`: one kernel's column. Runs on the kernel under test
 * (the host, or inside its VM): every golden case file through
 * BPF_PROG_TEST_RUN, then every lab, and writes into the column directory
 *
 *   column.json   the cells (./column.ts)
 *   column.tap    a TAP test point per golden case and per lab flow (JUnit is made from it)
 *
 * Each lab's own results stay where every run puts them, results/<lab>/<run-id>/
 * (shared with the host when in a VM); a cell names its run's directory.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { TapWriter } from "../report/tap.ts";
import { ROOT } from "../root.ts";
import { type Cell, COLUMN_FILE, COLUMN_TAP, type KernelColumn, unsupportedReason, verifierExcerpt } from "./column.ts";

/** The golden case files and the labs on the kernel this process runs on; the column directory is `dir`. */
export async function matrixWorker(dir: string, labs: string[]): Promise<number> {
  const t0 = Date.now();
  const { defaultVariant, detectFeatures } = await import("../plan/features.ts");
  const { loadCases } = await import("../golden/cases.ts");
  const { checkCases } = await import("../golden/check.ts");
  const { runLab } = await import("../run/lab.ts");
  mkdirSync(dir, { recursive: true });
  const features = detectFeatures();
  const tap = new TapWriter();
  const golden: Record<string, Cell> = {};
  const labCells: Record<string, Cell> = {};
  let goldenSeconds: number | undefined;
  // Written after every row, not only at the end: a VM that times out in its last lab
  // still leaves every row it finished (runMatrix marks the rest as not finished).
  const save = () => {
    const column: KernelColumn = {
      kernel: process.env.NATLAB_IN_VM ?? "host",
      version: features.kernel,
      seconds: (Date.now() - t0) / 1000,
      goldenSeconds,
      variant: defaultVariant(features, true),
      golden,
      labs: labCells,
      unsupported: unsupportedReason(golden),
    };
    writeFileSync(join(dir, COLUMN_TAP), tap.toString());
    writeFileSync(join(dir, COLUMN_FILE), `${JSON.stringify(column, null, 2)}\n`);
  };
  // Every case in one checkCases call: the object is loaded once per prefix, not once per
  // case file and prefix (60 loads of both sections before, each seconds of verifier work
  // under emulation). The rows stay per case file.
  const cases = loadCases();
  const files = [...new Set(cases.map((c) => c.file))];
  const goldenStarted = Date.now();
  let results: Awaited<ReturnType<typeof checkCases>> = [];
  let loadError = "";
  try {
    results = await checkCases(cases);
  } catch (err) {
    // The translator did not load (or the runner failed): every case fails with why.
    loadError = (err as Error).message;
  }
  goldenSeconds = (Date.now() - goldenStarted) / 1000;
  for (const file of files) {
    const mine = cases.filter((c) => c.file === file);
    const cell: Cell = { passed: 0, failed: 0, skipped: 0, failures: [] };
    if (loadError) {
      cell.failed = mine.length;
      cell.verifier = verifierExcerpt(loadError);
      cell.error = loadError.split("\n")[0];
      tap.add({ name: `golden ${file}`, ok: false, durationMs: 0, diagnostics: loadError });
    }
    for (const r of results.filter((x) => x.case.file === file)) {
      tap.add({
        name: `golden ${file}: ${r.case.name}`,
        ok: r.ok,
        durationMs: 0,
        diagnostics: r.ok ? undefined : r.failure,
      });
      if (r.ok) cell.passed++;
      else {
        cell.failed++;
        cell.failures.push(
          `${r.case.name}: ${r.failure.split("\n").slice(1, 4).join(" ").replace(/\s+/g, " ").trim()}`,
        );
      }
    }
    golden[file] = cell;
    console.log(`golden ${file}: ${cell.passed}/${mine.length}${cell.error ? ` (${cell.error})` : ""}`);
  }
  save();
  console.log(`golden: ${cases.length} cases in ${goldenSeconds.toFixed(0)}s`);

  const quiet = { labStart() {}, setup() {}, flow() {}, labEnd() {}, note() {} };
  for (const lab of labs) {
    let stepFailure = "";
    const started = Date.now();
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
      failures: r.outcomes
        .filter((o) => o.status === "fail")
        .map((o) => `${o.name}: ${(o.failures[0] ?? "").split("\n")[0]}`),
      seconds: (Date.now() - started) / 1000,
      variant: variantOf(r.resultsDir),
      results: relative(dir, r.resultsDir),
    };
    for (const o of r.outcomes) {
      tap.add({
        name: `lab ${r.lab}: ${o.name}`,
        ok: o.status !== "fail",
        skip: o.status === "skip" ? (o.reason ?? "skipped") : undefined,
        durationMs: o.durationMs,
        diagnostics: o.failures.length ? o.failures.join("\n\n") : undefined,
      });
    }
    if (r.error) {
      cell.error = (stepFailure || r.error).split("\n")[0];
      cell.verifier = verifierExcerpt(stepFailure || r.error);
      tap.add({ name: `lab ${r.lab}: setup`, ok: false, durationMs: 0, diagnostics: stepFailure || r.error });
    }
    labCells[r.lab] = cell;
    save();
    console.log(
      `lab ${r.lab}: ${cell.passed} passed, ${cell.failed} failed, ${cell.skipped} skipped${cell.variant ? ` (${cell.variant})` : ""}`,
    );
  }
  save();
  return 0;
}

/** The variant a lab's run recorded in its summary.json. */
function variantOf(resultsDir: string): string | undefined {
  const path = join(resultsDir, "summary.json");
  if (!existsSync(path)) return undefined;
  return (JSON.parse(readFileSync(path, "utf8")) as { variant?: string }).variant;
}
