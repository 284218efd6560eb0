/**
 * Running one lab on the host, end to end:
 *   load + validate (nothing is created before this passes)
 *   -> plan -> execute setup -> configure BPF -> start services
 *   -> each flow (once per offload setting) -> teardown (always)
 *   -> TAP, JUnit, summary.json, pcaps, trace, plan.sh in results/<lab>/<run-id>/,
 *      which then becomes results/<lab>/latest; runs beyond `keep` are pruned.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { interrupted } from "../exec/cleanup.ts";
import { run } from "../exec/command.ts";
import { HostExecutor, Interrupted, type OwnerInfo, StepFailed } from "../exec/host.ts";
import { type FlowContext, type FlowOutcome, labOffloads, runFlow } from "../flow/flow.ts";
import type { Background } from "../flow/process.ts";
import { startService } from "../flow/services.ts";
import { DEFAULT_NAT64_PREFIX, loadLab } from "../lab/load.ts";
import type { Flow, Lab } from "../lab/schema.ts";
import { defaultVariant, detectFeatures, type Features, type Variant } from "../plan/features.ts";
import { chooseVariant, type Plan, planLab } from "../plan/plan.ts";
import { planToScript } from "../plan/script.ts";
import type { FlowLine } from "../report/console.ts";
import { writeIndex } from "../report/html/index-page.ts";
import { writeHtmlReport } from "../report/html/page.ts";
import {
  finishRun,
  inResults,
  parseKeep,
  type ResultsLayout,
  resultsDir,
  summarize,
  writeReports,
} from "../report/results.ts";
import { TapWriter } from "../report/tap.ts";
import { bpfStatsReader } from "./stats.ts";
import { recordTrace, type TraceRecorder } from "./trace.ts";

export interface LabRunOptions {
  root: string;
  variant?: "clsact" | "literal";
  /** Only flows whose name contains this text. */
  filter?: string;
  /** Replace every BPF attachment's object (e.g. a build without the checksum fix). */
  object?: string;
  /** Replace every BPF attachment's prefix. */
  prefix?: string;
  /** Repetitions: each flow instance this many times in the same namespaces (`--repeat N`), named "FLOW [k/N]". */
  repeat?: number;
  /** Called with progress lines for people. */
  progress: ProgressSink;
  /** How many runs of the lab to keep in results/<lab>/ (default DEFAULT_KEEP). */
  keep?: number;
}

/** A flow's outcome as the console prints it: `natlab run` and `natlab flows` say the same. */
export function flowLine(o: FlowOutcome): FlowLine {
  return {
    name: o.name,
    status: o.status,
    durationMs: o.durationMs,
    failure: o.failures.join("\n\n") || undefined,
    skip: o.reason,
  };
}

export interface ProgressSink {
  labStart(lab: Lab, info: { kernel: string; variant: string; runId: string; flows: number }): void;
  setup(done: number, total: number, why: string): void;
  setupFailed?(step: number, total: number, message: string): void;
  flowStart?(name: string): void;
  flow(outcome: FlowOutcome): void;
  labEnd(lab: string, outcomes: FlowOutcome[], ms: number, resultsDir: string, error?: string, times?: LabTimes): void;
  note(text: string): void;
}

/** Where a lab run's time went besides its flows: its setup steps, and its teardown (services, trace reader, namespaces). */
export interface LabTimes {
  setupMs: number;
  teardownMs: number;
}

export interface LabRunResult {
  lab: string;
  /** The lab file's `compareWith`: the design whose conntrack tables go beside this one's. */
  compareWith?: string;
  outcomes: FlowOutcome[];
  /** Set when the lab could not be built (a setup step or a service failed). */
  error?: string;
  resultsDir: string;
}

export function newRunId(): string {
  return randomBytes(3).toString("hex");
}

/** A lab made ready to build: loaded and validated, overrides applied, planned for this kernel under a run id. */
export interface PreparedLab {
  lab: Lab;
  labPath: string;
  features: Features;
  variant: Variant;
  runId: string;
  plan: Plan;
  nsOf: (labNs: string) => string;
}

/** Load, validate and plan; nothing is created. With runId given, the plan of a lab already built under that id. */
export function prepareLab(
  labPath: string,
  opts: Pick<LabRunOptions, "root" | "variant" | "object" | "prefix">,
  runId = newRunId(),
): PreparedLab {
  const lab = applyOverrides(loadLab(labPath), opts);
  const features = detectFeatures();
  const variant = chooseVariant(features, opts.variant ?? defaultVariant(features, lab.literal !== undefined));
  const plan = planLab(lab, { runId, features, root: opts.root, variant, labPath });
  return {
    lab,
    labPath: resolve(labPath),
    features,
    variant,
    runId,
    plan,
    nsOf: (labNs: string) => plan.namespaces[labNs] ?? labNs,
  };
}

/** What an owner record keeps about a prepared lab: how to plan it again, and what `natlab ls` shows. */
export function ownerInfo(p: PreparedLab, opts: Pick<LabRunOptions, "object" | "prefix">): Omit<OwnerInfo, "kind"> {
  return {
    labPath: p.labPath,
    variant: p.variant,
    overrides: { object: opts.object, prefix: opts.prefix },
    translators: p.lab.bpf.map((b) => ({
      dev: b.dev,
      hook: b.hook,
      object: b.object,
      prefix: b.prefix ?? DEFAULT_NAT64_PREFIX,
    })),
  };
}

export async function runLab(labPath: string, opts: LabRunOptions): Promise<LabRunResult> {
  const started = Date.now();
  const prepared = prepareLab(labPath, opts);
  const { lab, features, variant, runId, plan, nsOf } = prepared;
  const results = await resultsDir(opts.root, lab.name, runId);
  writeFileSync(results.plan, planToScript(plan));
  const flows = selectFlows(lab, opts.filter);
  opts.progress.labStart(lab, {
    kernel: features.kernel,
    variant,
    runId,
    flows: countFlowInstances(flows) * (opts.repeat ?? 1),
  });

  const exec = new HostExecutor(plan, { kind: "run", ...ownerInfo(prepared, opts), results: results.dir });
  const runDir = mkdtempSync(join(tmpdir(), `natlab-${runId}-`));
  exec.owner.addTemp(runDir);
  const services: Background[] = [];
  const trace = await recordTrace(exec.owner);
  let outcomes: FlowOutcome[] = [];
  let error: string | undefined;
  const times: LabTimes = { setupMs: 0, teardownMs: 0 };
  try {
    const setupStart = Date.now();
    await exec.setup((e) => opts.progress.setup(e.index + 1, e.total, e.step.why));
    times.setupMs = Date.now() - setupStart;
    for (const svc of lab.services) services.push(await startService(svc, nsOf(svc.ns), runDir, opts.root));
    const ctx = {
      lab,
      root: opts.root,
      nsOf,
      results,
      runDir,
      stats: bpfStatsReader(lab, nsOf),
      offloads: labOffloads(lab, nsOf),
    };
    outcomes = await runFlows(flows, ctx, trace, opts.progress, opts.repeat);
  } catch (err) {
    error = (err as Error).message;
    if (err instanceof Interrupted) opts.progress.note(`lab ${lab.name}: ${error}`);
    else if (err instanceof StepFailed) opts.progress.setupFailed?.(err.index + 1, err.total, err.message);
    else opts.progress.note(`lab ${lab.name} could not run: ${error}`);
  } finally {
    // The translator's counters as the lab leaves them: `natlab stats LAB` shows them after teardown.
    await saveStats(lab, nsOf, results.stats).catch(() => {});
    const teardownStart = Date.now();
    for (const s of services.reverse()) await s.stop();
    await trace.stop(results.trace);
    await exec.teardown();
    rmSync(runDir, { recursive: true, force: true });
    times.teardownMs = Date.now() - teardownStart;
  }
  await writeRunResults({
    results,
    outcomes,
    error,
    lab,
    plan,
    kernel: features.kernel,
    variant,
    runId,
    started,
    note: opts.progress.note,
  });
  finishRun(results, opts.keep ?? parseKeep(process.env.NATLAB_KEEP_RUNS, "NATLAB_KEEP_RUNS"));
  writeIndex(opts.root);
  opts.progress.labEnd(lab.name, outcomes, Date.now() - started, results.dir, error, error ? undefined : times);
  return { lab: lab.name, compareWith: lab.compareWith, outcomes, error, resultsDir: results.dir };
}

/** The lab's flows whose name contains the filter (all without one). */
export function selectFlows(lab: Lab, filter?: string): Flow[] {
  return lab.flows.filter((f) => !filter || f.name.includes(filter));
}

/** How many flow instances that makes: a flow has one per offload setting it names. */
export function countFlowInstances(flows: Flow[]): number {
  return flows.reduce((n, f) => n + f.offloads.length, 0);
}

/**
 * Every flow, once per offload setting, against a built lab: what `natlab
 * run` does after setup and `natlab flows` does against a lab that is up.
 * An interruption stops it between flows.
 */
export async function runFlows(
  flows: Flow[],
  ctx: FlowContext,
  trace: TraceRecorder,
  progress: ProgressSink,
  repeat = 1,
): Promise<FlowOutcome[]> {
  const outcomes: FlowOutcome[] = [];
  // `--repeat N`: each flow instance N times in a row (repetitions), as "FLOW [k/N]".
  const instances = flows.flatMap((flow) =>
    flow.offloads.flatMap((offloads) => Array.from({ length: repeat }, (_, i) => ({ flow, offloads, k: i + 1 }))),
  );
  for (const { flow: base, offloads, k } of instances) {
    if (interrupted()) return outcomes;
    const flow = repeat > 1 ? { ...base, name: `${base.name} [${k}/${repeat}]` } : base;
    progress.flowStart?.(flow.name);
    // A repeated flow starts from the lab's state, not from what its last repetition left cached (a learnt PMTU).
    if (k > 1) await flushRouteCaches(Object.keys(ctx.lab.namespaces).map(ctx.nsOf));
    const mark = trace.mark();
    const outcome = await runFlow(flow, offloads, ctx).catch((err: Error) =>
      crashed(flow.name, offloads, flow.offloads.length, err),
    );
    if (interrupted()) return outcomes;
    // A failed flow carries the translator's bpf_printk lines from its own time window.
    await new Promise((r) => setTimeout(r, outcome.status === "fail" ? 100 : 0));
    const lines = trace.since(mark).trim();
    if (outcome.status === "fail" && lines)
      outcome.failures.push(`bpf_printk during the flow (trace_pipe):\n${indentText(lines)}`);
    outcomes.push(outcome);
    progress.flow(outcome);
  }
  return outcomes;
}

/** TAP, JUnit and summary.json of a run (or of `natlab flows`), from its outcomes. */
export async function writeRunResults(x: {
  results: ResultsLayout;
  outcomes: FlowOutcome[];
  error?: string;
  lab: Lab;
  plan: Plan;
  kernel: string;
  variant: string;
  runId: string;
  started: number;
  note: (text: string) => void;
}): Promise<void> {
  const { results, outcomes, error } = x;
  const tap = new TapWriter();
  for (const o of outcomes) {
    tap.add({
      name: o.name,
      ok: o.status !== "fail",
      skip: o.status === "skip" ? (o.reason ?? "skipped") : undefined,
      durationMs: o.durationMs,
      // What each expectation matched goes with a pass too (JUnit's system-out carries the comment).
      comment: [o.summary || o.name, ...(o.checks ?? [])].join("; "),
      diagnostics: o.failures.length
        ? { message: o.failures.join("\n\n"), pcaps: o.pcaps.map((p) => inResults(results, p)) }
        : o.status === "pass" && o.checks?.length
          ? { checked: o.checks }
          : undefined,
    });
  }
  if (error) tap.add({ name: `lab ${x.lab.name} setup`, ok: false, durationMs: 0, diagnostics: error });
  const summary = summarize(
    {
      lab: x.lab.name,
      kernel: x.kernel,
      variant: x.variant,
      runId: x.runId,
      startedAt: new Date(x.started).toISOString(),
      durationMs: Date.now() - x.started,
    },
    outcomes
      .map((o) => ({
        name: o.name,
        status: o.status,
        durationMs: o.durationMs,
        failure: o.failures.length ? o.failures.join("\n\n") : undefined,
        skip: o.status === "skip" ? o.reason : undefined,
        pcaps: o.pcaps.map((p) => inResults(results, p)),
      }))
      .concat(
        // A lab that could not be built is one failure, here as in TAP and JUnit.
        error
          ? [
              {
                name: `lab ${x.lab.name} setup`,
                status: "fail" as const,
                durationMs: 0,
                failure: error,
                skip: undefined,
                pcaps: [],
              },
            ]
          : [],
      ),
  );
  // The page for people first: summary.json, written last, marks the run finished.
  await writeHtmlReport({ lab: x.lab, plan: x.plan, summary, outcomes, layout: results, error }).catch((err: Error) =>
    x.note(`report.html could not be written: ${err.message}`),
  );
  await writeReports(results, tap, summary);
}

/** `ip route flush cache` in each namespace, both families: PMTU and redirect exceptions learnt by an earlier flow instance. */
async function flushRouteCaches(namespaces: string[]): Promise<void> {
  for (const ns of namespaces) {
    for (const family of ["-4", "-6"]) await run(["ip", family, "route", "flush", "cache"], { ns, allowFail: true });
  }
}

async function saveStats(lab: Lab, nsOf: (ns: string) => string, file: string): Promise<void> {
  const devs = [...new Set(lab.bpf.map((b) => b.dev))];
  if (!devs.length) return;
  const snapshot = await bpfStatsReader(lab, nsOf).snapshot(devs);
  writeFileSync(file, `${JSON.stringify(snapshot, null, 2)}\n`);
}

function indentText(s: string): string {
  return s
    .split("\n")
    .slice(-40)
    .map((l) => `    ${l}`)
    .join("\n");
}

function crashed(name: string, offloads: string, instances: number, err: Error): FlowOutcome {
  return {
    name: instances > 1 ? `${name} (offloads ${offloads})` : name,
    status: "fail",
    durationMs: 0,
    summary: "",
    failures: [`the flow could not run: ${err.message}`],
    pcaps: [],
  };
}

/** --object / --prefix: the same lab with another translator build or prefix. */
function applyOverrides(lab: Lab, opts: Pick<LabRunOptions, "object" | "prefix">): Lab {
  if (!opts.object && !opts.prefix) return lab;
  return {
    ...lab,
    bpf: lab.bpf.map((b) => ({ ...b, object: opts.object ?? b.object, prefix: opts.prefix ?? b.prefix })),
  };
}
