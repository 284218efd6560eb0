/**
 * What a run leaves behind, under results/<lab>/:
 *
 *   report.tap          TAP 13, one test point per flow
 *   junit.xml           the same for CI
 *   summary.json        machine-readable: lab, kernel, variant, run id, flows with status/duration/failure
 *   trace.txt           bpf_printk output of the translator during the run
 *   plan.sh             the executed plan, as shell
 *   flows/<slug>/<ns>-<dev>.pcap   one capture per flow and device
 *
 * A run starts by removing the previous results of its own lab, and of
 * nothing else.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { stripColor } from "./color.ts";
import { junitFromTap } from "./junit.ts";
import type { TapWriter } from "./tap.ts";

export interface ResultsLayout {
  dir: string;
  tap: string;
  junit: string;
  summary: string;
  trace: string;
  plan: string;
  flowDir(flow: string): string;
  /** the capture of `dev` ("ns:dev") during `flow` */
  pcap(flow: string, dev: string): string;
}

/** A flow name as a directory name: "ping 6→4 (offloads on)" -> "ping-6-4-offloads-on". */
export function slug(name: string): string {
  const s = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return s.slice(0, 64) || "flow";
}

/** "router:eth1" -> "router-eth1" (":" is awkward in file names on some systems and in URLs). */
export function devFile(dev: string): string {
  return dev.replace(/[^A-Za-z0-9_.-]+/g, "-");
}

const LAB_NAME = /^[a-z][a-z0-9-]{0,63}$/;

/** The paths of a lab's results under `root` (the project root); creates nothing. */
export function resultsLayout(root: string, lab: string): ResultsLayout {
  if (!LAB_NAME.test(lab)) throw new Error(`lab name "${lab}" cannot name a results directory (lowercase letters, digits, '-')`);
  const dir = resolve(root, "results", lab);
  const flowDir = (flow: string) => join(dir, "flows", slug(flow));
  return {
    dir,
    tap: join(dir, "report.tap"),
    junit: join(dir, "junit.xml"),
    summary: join(dir, "summary.json"),
    trace: join(dir, "trace.txt"),
    plan: join(dir, "plan.sh"),
    flowDir,
    pcap: (flow, dev) => join(flowDir(flow), `${devFile(dev)}.pcap`),
  };
}

/** The results directory of a lab, emptied of the previous run's results and created. */
export async function resultsDir(root: string, lab: string): Promise<ResultsLayout> {
  const layout = resultsLayout(root, lab);
  // resultsLayout accepts only plain names, so this is always results/<lab> itself.
  await rm(layout.dir, { recursive: true, force: true });
  await mkdir(join(layout.dir, "flows"), { recursive: true });
  return layout;
}

export type FlowStatus = "pass" | "fail" | "skip";

export interface FlowSummary {
  name: string;
  status: FlowStatus;
  durationMs: number;
  /** the failure text (no colour) */
  failure?: string;
  skip?: string;
  /** captures, relative to the results directory */
  pcaps?: string[];
}

export interface Summary {
  lab: string;
  kernel: string;
  variant: string;
  runId: string;
  startedAt: string;
  durationMs: number;
  counts: Record<FlowStatus, number>;
  flows: FlowSummary[];
}

/** The summary of a run: counts by status; failure texts lose their terminal colours. */
export function summarize(meta: Omit<Summary, "counts" | "flows">, flows: FlowSummary[]): Summary {
  const counts: Record<FlowStatus, number> = { pass: 0, fail: 0, skip: 0 };
  for (const f of flows) counts[f.status]++;
  const plain = flows.map((f) => (f.failure === undefined ? f : { ...f, failure: stripColor(f.failure) }));
  return { ...meta, counts, flows: plain };
}

/** A path inside the results directory, as summary.json records it. */
export function inResults(layout: ResultsLayout, path: string): string {
  return relative(layout.dir, path);
}

/** Write report.tap, junit.xml and summary.json. */
export async function writeReports(layout: ResultsLayout, tap: TapWriter, summary: Summary): Promise<void> {
  await mkdir(layout.dir, { recursive: true });
  await writeFile(layout.tap, tap.toString());
  const times = tap.results.map((r) => r.durationMs);
  await writeFile(layout.junit, await junitFromTap(tap.toString({ todoAsSkip: true }), summary.lab, times));
  await writeFile(layout.summary, JSON.stringify(summary, null, 2) + "\n");
}
