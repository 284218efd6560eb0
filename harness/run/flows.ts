/**
 * A lab's flows against the lab while it is up: the lab is planned again
 * under its run id (the plan is pure, so the same namespaces come out), and
 * the flows run through runFlows and writeRunResults, the code `natlab run`
 * uses. The captures and programs a flow starts are recorded under an owner
 * of kind `flows`, so a SIGKILL leaves none of them running in the lab.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { onCleanup } from "../exec/cleanup.ts";
import { Owner, type OwnerRecord, setCurrentOwner } from "../exec/owner.ts";
import { labOffloads } from "../flow/flow.ts";
import { ConsoleReporter } from "../report/console.ts";
import { writeIndex } from "../report/html/index-page.ts";
import { finishRun, parseKeep, resultsDir } from "../report/results.ts";
import { ROOT } from "../root.ts";
import {
  countFlowInstances,
  flowLine,
  newRunId,
  type ProgressSink,
  prepareLab,
  runFlows,
  selectFlows,
  writeRunResults,
} from "./lab.ts";
import { bpfStatsReader } from "./stats.ts";
import { recordTrace } from "./trace.ts";

export async function flowsAgainst(
  r: OwnerRecord,
  opts: { filter?: string },
): Promise<{ passed: number; failed: number }> {
  if (!r.labPath) throw new UsageError(`natlab flows: the record of lab ${r.lab} names no lab file`);
  const started = Date.now();
  const p = prepareLab(
    r.labPath,
    { root: ROOT, variant: r.variant as "clsact" | "literal" | undefined, ...r.overrides },
    r.runId,
  );
  const missing = Object.values(p.plan.namespaces).filter((ns) => !r.namespaces.includes(ns));
  if (missing.length) {
    throw new UsageError(
      `natlab flows: ${r.labPath} changed since the lab went up (no namespace ${missing.join(", ")}): natlab down ${r.lab} && natlab up ${r.labPath}`,
    );
  }
  const flows = selectFlows(p.lab, opts.filter);
  if (flows.length === 0)
    throw new UsageError(`natlab flows: no flow of lab ${r.lab} has "${opts.filter}" in its name`);
  const owner = new Owner({ runId: `${r.runId}-flows-${newRunId()}`, lab: r.lab, kind: "flows" });
  setCurrentOwner(owner);
  const forget = onCleanup(`flows against lab ${r.lab}`, () => owner.remove());
  const reporter = new ConsoleReporter();
  const progress: ProgressSink = {
    labStart: () => {},
    setup: () => {},
    flow: (o) => reporter.flow(flowLine(o)),
    labEnd: () => {},
    note: (t) => process.stderr.write(`natlab: ${t}\n`),
  };
  reporter.labStart({
    lab: `${r.lab} (up, run ${r.runId})`,
    flows: countFlowInstances(flows),
    kernel: p.features.kernel,
    variant: p.variant,
  });
  const results = await resultsDir(ROOT, p.lab.name, owner.record.runId);
  const runDir = mkdtempSync(join(tmpdir(), `natlab-${r.runId}-flows-`));
  owner.addTemp(runDir);
  const trace = await recordTrace(owner);
  const ctx = {
    lab: p.lab,
    root: ROOT,
    nsOf: p.nsOf,
    results,
    runDir,
    stats: bpfStatsReader(p.lab, p.nsOf),
    offloads: labOffloads(p.lab, p.nsOf),
  };
  let outcomes: Awaited<ReturnType<typeof runFlows>> = [];
  try {
    outcomes = await runFlows(flows, ctx, trace, progress);
  } finally {
    await trace.stop(results.trace);
    rmSync(runDir, { recursive: true, force: true });
  }
  const runId = owner.record.runId;
  await writeRunResults({
    results,
    outcomes,
    lab: p.lab,
    plan: p.plan,
    kernel: p.features.kernel,
    variant: p.variant,
    runId,
    started,
    note: progress.note,
  });
  finishRun(results, parseKeep(process.env.NATLAB_KEEP_RUNS, "NATLAB_KEEP_RUNS"));
  writeIndex(ROOT);
  const count = (s: string) => outcomes.filter((o) => o.status === s).length;
  reporter.summary({
    lab: r.lab,
    passed: count("pass"),
    failed: count("fail"),
    skipped: count("skip"),
    durationMs: Date.now() - started,
    resultsDir: results.dir,
  });
  forget();
  owner.remove();
  setCurrentOwner(undefined);
  return { passed: count("pass"), failed: count("fail") };
}
