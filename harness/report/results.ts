/**
 * What a run leaves behind. Every run has its own directory, so a run of one
 * flow never replaces a full run's results and two runs at once never write
 * into each other's files:
 *
 *   results/<lab>/<run-id>/
 *     run.json            who made it and when (lab, run id, start time, pid)
 *     report.tap          TAP 13, one test point per flow
 *     junit.xml           the same for CI
 *     summary.json        machine-readable: lab, kernel, variant, run id, flows with status/duration/failure
 *     report.html         the run for people: topology, a packet ladder per flow
 *     trace.txt           bpf_printk output of the translator during the run
 *     plan.sh             the executed plan, as shell
 *     stats.json          the translator's counters just before teardown
 *     flows/<slug>/<ns>-<dev>.pcap   one capture per flow and device
 *   results/<lab>/latest  a link to the run that finished last
 *
 * When a run finishes, the oldest runs of its lab beyond the number to keep
 * are removed: only directories natlab made (they hold run.json), never one
 * whose run is still going, never the one `latest` names.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { stripColor } from "../text/color.ts";
import { junitFromTap } from "./junit.ts";
import type { TapWriter } from "./tap.ts";

export interface ResultsLayout {
  /** this run's directory: results/<lab>/<run-id> */
  dir: string;
  /** the lab's directory, holding its runs and `latest` */
  labDir: string;
  runId: string;
  run: string;
  tap: string;
  junit: string;
  summary: string;
  html: string;
  trace: string;
  plan: string;
  stats: string;
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
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** How many runs of a lab are kept when nobody says (`natlab run --keep N` or NATLAB_KEEP_RUNS). */
export const DEFAULT_KEEP = 10;

/** results/<lab>, for a lab name that can name a directory. */
export function labResultsDir(root: string, lab: string): string {
  if (!LAB_NAME.test(lab))
    throw new Error(`lab name "${lab}" cannot name a results directory (lowercase letters, digits, '-')`);
  return resolve(root, "results", lab);
}

/** The paths of one run's results under `root` (the project root); creates nothing. */
export function resultsLayout(root: string, lab: string, runId: string): ResultsLayout {
  const labDir = labResultsDir(root, lab);
  if (!RUN_ID.test(runId) || runId === "latest") throw new Error(`run id "${runId}" cannot name a results directory`);
  return layoutOf(labDir, runId);
}

/** The layout of an existing run directory (results/<lab>/<run-id>, or `latest`). */
export function layoutOf(labDir: string, runId: string): ResultsLayout {
  const dir = join(labDir, runId);
  const flowDir = (flow: string) => join(dir, "flows", slug(flow));
  return {
    dir,
    labDir,
    runId,
    run: join(dir, "run.json"),
    tap: join(dir, "report.tap"),
    junit: join(dir, "junit.xml"),
    summary: join(dir, "summary.json"),
    html: join(dir, "report.html"),
    trace: join(dir, "trace.txt"),
    plan: join(dir, "plan.sh"),
    stats: join(dir, "stats.json"),
    flowDir,
    pcap: (flow, dev) => join(flowDir(flow), `${devFile(dev)}.pcap`),
  };
}

/** What the flat layout of older natlab versions left directly in results/<lab>/. */
const FLAT = ["report.tap", "junit.xml", "summary.json", "trace.txt", "plan.sh", "stats.json", "flows"];

/**
 * A fresh directory for this run, with run.json in it. Results an older
 * natlab left flat in results/<lab>/ are removed (they would read as current).
 */
export async function resultsDir(root: string, lab: string, runId: string, now = new Date()): Promise<ResultsLayout> {
  const layout = resultsLayout(root, lab, runId);
  for (const f of FLAT) await rm(join(layout.labDir, f), { recursive: true, force: true });
  for (const f of existsSync(layout.labDir) ? readdirSync(layout.labDir) : []) {
    if (/^compare-.*\.md$/.test(f)) await rm(join(layout.labDir, f), { force: true });
  }
  await mkdir(join(layout.dir, "flows"), { recursive: true });
  const record: RunRecord = {
    lab,
    runId,
    startedAt: now.toISOString(),
    pid: process.pid,
    pidStart: pidStart(process.pid),
  };
  await writeFile(layout.run, `${JSON.stringify(record, null, 2)}\n`);
  return layout;
}

/** run.json: enough to order a lab's runs and to tell a live run from a dead one. */
export interface RunRecord {
  lab: string;
  runId: string;
  startedAt: string;
  pid: number;
  /** the process's start time in clock ticks since boot (/proc/PID/stat field 22): a reused pid is another process */
  pidStart?: number;
}

/** A process's start time (clock ticks since boot), or undefined when it does not exist. */
export function pidStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote a run record is still running (the same process, not a reused pid). */
function alive(r: RunRecord): boolean {
  const now = pidStart(r.pid);
  return now !== undefined && (r.pidStart === undefined || now === r.pidStart);
}

/** The runs of a lab natlab made, oldest first. */
export function listRuns(labDir: string): { dir: string; record: RunRecord; finished: boolean }[] {
  if (!existsSync(labDir)) return [];
  const runs = [];
  for (const name of readdirSync(labDir)) {
    const dir = join(labDir, name);
    if (name === "latest" || !existsSync(join(dir, "run.json"))) continue;
    try {
      const record = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as RunRecord;
      runs.push({ dir, record, finished: existsSync(join(dir, "summary.json")) });
    } catch {
      // A run.json being written right now, or damaged: not ours to judge; leave the directory alone.
    }
  }
  return runs.sort((a, b) => a.record.startedAt.localeCompare(b.record.startedAt) || a.dir.localeCompare(b.dir));
}

/** The run `latest` points at, or undefined when the lab has no finished run. */
export function latestRun(root: string, lab: string): ResultsLayout | undefined {
  const labDir = labResultsDir(root, lab);
  const link = join(labDir, "latest");
  try {
    const target = readlinkSync(link);
    if (existsSync(join(labDir, target))) return layoutOf(labDir, target);
  } catch {
    // no link yet
  }
  return undefined;
}

/**
 * A finished run becomes `latest` (the link is replaced in one rename, so a
 * reader never sees it missing), then the lab's runs beyond `keep` (this one
 * included) are pruned, oldest first. Returns the directories removed.
 */
export function finishRun(layout: ResultsLayout, keep = DEFAULT_KEEP): string[] {
  const link = join(layout.labDir, "latest");
  const tmp = join(layout.labDir, `.latest-${layout.runId}`);
  rmSync(tmp, { force: true });
  symlinkSync(layout.runId, tmp);
  renameSync(tmp, link);
  // This run and the newest `keep - 1` others stay; of the rest, a run still going is left to finish (and prune) itself.
  const others = listRuns(layout.labDir).filter((r) => r.dir !== layout.dir);
  const older = others.slice(0, Math.max(0, others.length - (Math.max(1, keep) - 1)));
  const removed: string[] = [];
  for (const r of older.filter((r) => !(alive(r.record) && !r.finished))) {
    rmSync(r.dir, { recursive: true, force: true });
    removed.push(r.dir);
  }
  return removed;
}

/** `--keep N` / NATLAB_KEEP_RUNS: a whole number of runs to keep, at least 1. */
export function parseKeep(value: string | undefined, from = "--keep"): number {
  if (value === undefined || value === "") return DEFAULT_KEEP;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new Error(`${from} is the number of runs to keep per lab (1 or more), not "${value}"`);
  return Number(value);
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
