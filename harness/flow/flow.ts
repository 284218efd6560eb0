/**
 * One flow, once per TX offload setting it asks for:
 *   start captures -> inject or run -> settle -> stop captures
 *   -> decode every frame -> match expectations -> read conntrack,
 *   kernel counters and translator counters -> one outcome.
 * Each wait is bounded; nothing here asserts on time.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../exec/command.ts";
import type { Flow, Lab } from "../lab/schema.ts";
import { devices, splitNsDev, vethEnds } from "../lab/topology.ts";
import { type Frame, matchCapture, onlyCheck, showCount } from "../match/capture.ts";
import { formatFlowFailure, formatUnexpected } from "../match/format.ts";
import { CSUM_ERROR_COUNTERS } from "../match/kernel.ts";
import { checkConntrack, checkCounters, checkStats, type StatsReader } from "../match/state.ts";
import { inspect, readPcap } from "../packet/index.ts";
import { withoutPartialSeeds } from "../packet/partial.ts";
import { type Capture, startCapture } from "./capture.ts";
import { deltas, type ExpectDetail, expectDetail, type FlowDetail, moved } from "./detail.ts";
import { inject } from "./inject.ts";
import { flushConntrack, readConntrack, readCounters } from "./observe.ts";
import { OffloadSwitch } from "./offloads.ts";
import { runProgram } from "./programs.ts";

/** Where a flow's files go: the run's results layout (report/results.ts) is one; flows never import report/. */
export interface FlowFiles {
  flowDir(flow: string): string;
  /** the capture of `dev` ("ns:dev") during `flow` */
  pcap(flow: string, dev: string): string;
}

export interface FlowContext {
  lab: Lab;
  root: string;
  /** lab namespace -> real namespace */
  nsOf: (labNs: string) => string;
  results: FlowFiles;
  stats?: StatsReader;
  /** The run's scratch directory (`{run}` in services and cmd flows). */
  runDir?: string;
  /** The lab's TX offload setting, switched only when a flow needs the other one. */
  offloads: OffloadSwitch;
}

/** The offload switch for a lab's veth ends, in their namespaces. */
export function labOffloads(lab: Lab, nsOf: (ns: string) => string): OffloadSwitch {
  return new OffloadSwitch(vethEnds(lab), (ns, argv) => run(argv, { ns: nsOf(ns), allowFail: true }));
}

export interface FlowOutcome {
  name: string;
  status: "pass" | "fail" | "skip";
  reason?: string;
  durationMs: number;
  /** What the flow did, one line. */
  summary: string;
  /** Readable failure text (diffs, counts, program output). */
  failures: string[];
  /** What each expectation matched, a line each ("expect[0] on host:zb: 1 frame, checksums valid"): what a pass rests on. */
  checks?: string[];
  pcaps: string[];
  /** Every frame and what it met, for the report (absent for a skipped or crashed flow). */
  detail?: FlowDetail;
}

/**
 * One flow instance: the flow under one offload setting (a flow with offloads [on, off] has two, named
 * "NAME (offloads on)" and "NAME (offloads off)"), from its captures to its outcome.
 */
export async function runFlow(flow: Flow, offloads: "on" | "off", ctx: FlowContext): Promise<FlowOutcome> {
  const instanceName = flow.offloads.length > 1 ? `${flow.name} (offloads ${offloads})` : flow.name;
  const t0 = Date.now();
  if (flow.skip) {
    return {
      name: instanceName,
      status: "skip",
      reason: flow.skip,
      durationMs: 0,
      summary: "",
      failures: [],
      pcaps: [],
    };
  }
  const dir = ctx.results.flowDir(instanceName);
  mkdirSync(dir, { recursive: true });
  const failures: string[] = [];
  const devs = devices(ctx.lab);

  // TX offloads for this flow instance: on (the veth default) or off everywhere.
  await ctx.offloads.set(offloads);
  for (const c of flow.conntrack) await flushConntrack(ctx.nsOf(c.ns));
  // Every namespace's counters (the report shows checksum errors for all) and every translator's.
  const counterNs = Object.keys(ctx.lab.namespaces);
  const countersBefore = new Map<string, Record<string, number>>();
  for (const ns of counterNs) countersBefore.set(ns, await readCounters(ctx.nsOf(ns)).catch(() => ({})));
  const statsDevs = [...new Set([...flow.stats.map((s) => s.dev), ...ctx.lab.bpf.map((b) => b.dev)])];
  const statsBefore = ctx.stats && statsDevs.length ? await ctx.stats.snapshot(statsDevs) : undefined;

  const captureOn = [...new Set([...flow.capture, ...flow.expect.map((e) => e.on)])];
  const captures: Capture[] = [];
  let summary = "";
  try {
    for (const on of captureOn) {
      const { ns, dev } = splitNsDev(on);
      captures.push(await startCapture(ctx.nsOf(ns), dev, ctx.results.pcap(instanceName, on)));
    }
    if (flow.inject) {
      const { ns } = splitNsDev(flow.inject.dev);
      const r = await inject(flow.inject, ctx.nsOf(ns), devs.get(flow.inject.dev), join(dir, "injected.pcap"));
      summary = `injected ${flow.inject.count} × ${r.bytes}-byte frame on ${flow.inject.dev}`;
    } else if (flow.run) {
      const r = await runProgram(flow.run, ctx.nsOf, ctx.root, ctx.runDir);
      summary = r.summary;
      if (!r.ok) failures.push(`the program failed: ${r.summary}\n${indent(r.output.trim())}`);
    }
    await new Promise((r) => setTimeout(r, flow.settle * 1000));
    // Every capture has written what it saw before any is stopped.
    await Promise.all(captures.map((c) => c.quiet()));
  } finally {
    for (const c of captures) await c.stop();
  }

  // Decode every capture and check what was expected on it.
  const frames: Record<string, Frame[]> = {};
  for (const c of captures) {
    const on = captureOn[captures.indexOf(c)];
    frames[on] = decodeCapture(c.file, offloads);
  }
  const applies = (e: (typeof flow.expect)[number]) => e.offloads === undefined || e.offloads === offloads;
  const active = flow.expect.filter(applies);
  const expects: ExpectDetail[] = [];
  const checks: string[] = [];
  flow.expect.forEach((e, i) => {
    if (!applies(e)) {
      expects.push(expectDetail(i, e, undefined, `only with offloads ${e.offloads}`));
      return;
    }
    const m = matchCapture(e, frames[e.on] ?? [], { noise: flow.noise });
    expects.push(expectDetail(i, e, m));
    checks.push(matchedLine(i, e, m));
    if (!m.ok)
      failures.push(
        formatFlowFailure({
          index: i,
          expect: e,
          result: m,
          frames: frames[e.on] ?? [],
          pcap: ctx.results.pcap(instanceName, e.on),
        }),
      );
  });
  const unexpected: FlowDetail["unexpected"] = [];
  if (flow.only) {
    const o = onlyCheck(active, frames, { noise: flow.noise });
    unexpected.push(...o.unexpected.map((u) => ({ on: u.on, index: u.index })));
    checks.push(
      `only: ${o.ok ? "no other frame" : `${o.unexpected.length} other frame(s)`} on ${captureOn.join(", ")}`,
    );
    if (!o.ok)
      failures.push(
        formatUnexpected(
          o.unexpected,
          Object.fromEntries(captureOn.map((on) => [on, ctx.results.pcap(instanceName, on)])),
        ),
      );
  }
  const conntrack: FlowDetail["conntrack"] = {};
  for (const ns of new Set(flow.conntrack.map((c) => c.ns))) {
    const entries = await readConntrack(ctx.nsOf(ns));
    conntrack[ns] = entries.map((e) => e.line);
    // Kept with the flow's captures: the lab's design, as the kernel's state shows it.
    writeFileSync(join(dir, `conntrack-${ns}.txt`), `${entries.map((e) => e.line).join("\n")}\n`);
    for (const c of flow.conntrack.filter((x) => x.ns === ns)) failures.push(...checkConntrack(c, entries));
  }
  const countersAfter = new Map<string, Record<string, number>>();
  for (const ns of counterNs) countersAfter.set(ns, await readCounters(ctx.nsOf(ns)).catch(() => ({})));
  for (const k of flow.kernelCounters) {
    const names = k.ns === "all" ? Object.keys(ctx.lab.namespaces) : [k.ns];
    for (const ns of names)
      failures.push(...checkCounters(k, ns, countersBefore.get(ns) ?? {}, countersAfter.get(ns) ?? {}));
  }
  const translator: FlowDetail["translator"] = {};
  if (ctx.stats && statsBefore) {
    const after = await ctx.stats.snapshot(statsDevs);
    for (const s of flow.stats) failures.push(...checkStats(s, statsBefore, after));
    for (const dev of statsDevs) translator[dev] = moved(statsBefore[dev], after[dev]);
  }
  const csumErrors = Object.fromEntries(
    counterNs.map((ns) => [ns, deltas(CSUM_ERROR_COUNTERS, countersBefore.get(ns), countersAfter.get(ns))]),
  );
  return {
    name: instanceName,
    status: failures.length ? "fail" : "pass",
    durationMs: Date.now() - t0,
    summary,
    failures,
    checks,
    pcaps: captures.map((c) => c.file),
    detail: {
      why: flow.why,
      injectedOn: flow.inject?.dev,
      offloads,
      captures: captures.map((c, i) => ({ on: captureOn[i], pcap: c.file, frames: frames[captureOn[i]] ?? [] })),
      expects,
      unexpected,
      conntrack,
      csumErrors,
      translator,
    },
  };
}

/** "expect[0] on host:zb: 1 frame, checksums valid (wanted exactly 1 of 2 captured)", for the reports of a pass. */
function matchedLine(i: number, e: Flow["expect"][number], m: ReturnType<typeof matchCapture>): string {
  const n = m.count.got;
  const frames = n === 0 ? "no frame" : `${n} frame${n === 1 ? "" : "s"}`;
  const valid = m.checksumFailures.length ? ", checksums BAD" : ", checksums valid";
  const sums = n === 0 ? "" : e.checksums === "valid" ? valid : ", checksums not checked";
  return `expect[${i}] on ${e.on}: ${frames}${sums} (wanted ${showCount(m.count.wanted)} of ${m.frames.total} captured)`;
}

/** Every frame of a capture, decoded, with its checksum problems (correct CHECKSUM_PARTIAL seeds accepted when offloads are on). */
export function decodeCapture(file: string, offloads: "on" | "off"): Frame[] {
  const pcap = readPcap(readFileSync(file));
  return pcap.frames.map((f, i) => {
    const { packet, problems } = inspect(f.data, { linktype: pcap.linktype });
    return {
      index: i + 1,
      packet,
      ts: f.ts,
      problems: offloads === "on" ? withoutPartialSeeds(packet, problems) : problems,
    };
  });
}

export function indent(s: string, by = "    "): string {
  return s.replace(/^/gm, by);
}
