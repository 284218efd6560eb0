/**
 * What a flow saw, kept for the report: every decoded frame of every capture,
 * which frames each expectation matched (or, when it failed, the closest frame
 * and its field-by-field diff), and the counters around the flow. The console
 * and TAP say whether a flow passed; this says why, frame by frame.
 */
import type { Expect } from "../lab/schema.ts";
import type { CaptureMatch, Frame } from "../match/capture.ts";
import { showCount } from "../match/capture.ts";

export interface CaptureDetail {
  /** "ns:dev" */
  on: string;
  pcap: string;
  frames: Frame[];
}

export interface ExpectDetail {
  index: number;
  on: string;
  why?: string;
  /** the partial packet the lab file wrote */
  packet: Expect["packet"];
  /** "at least 3", "exactly 1" */
  wanted: string;
  /** set when the expectation does not apply to this offload setting */
  notApplied?: string;
  ok: boolean;
  match?: CaptureMatch;
}

export interface FlowDetail {
  why?: string;
  /** the device a crafted packet was injected on ("ns:dev"); the packet is flows/<slug>/injected.pcap */
  injectedOn?: string;
  offloads: "on" | "off";
  captures: CaptureDetail[];
  expects: ExpectDetail[];
  /** frames that broke `only: true`, by capture */
  unexpected: { on: string; index: number }[];
  /** conntrack tables read after the flow, by lab namespace */
  conntrack: Record<string, string[]>;
  /** the kernel's checksum error counters, how far each moved during the flow, by lab namespace */
  csumErrors: Record<string, Record<string, number>>;
  /** the translator's counters that moved during the flow, by device ("ns:dev") */
  translator: Record<string, Record<string, number>>;
}

/** One expectation's detail from its match against the capture. */
export function expectDetail(
  index: number,
  e: Expect,
  match: CaptureMatch | undefined,
  notApplied?: string,
): ExpectDetail {
  return {
    index,
    on: e.on,
    why: e.why,
    packet: e.packet,
    wanted: showCount(match?.count.wanted ?? { op: ">=", n: 1 }),
    notApplied,
    ok: match?.ok ?? true,
    match,
  };
}

/** after - before, for the names that moved (translator counters: a flow moves a few of many). */
export function moved(before: Record<string, number> = {}, after: Record<string, number> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v !== (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}

/** after - before for each of `names` (0 included: "no checksum error" is worth showing). */
export function deltas(
  names: string[],
  before: Record<string, number> = {},
  after: Record<string, number> = {},
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) if (n in after) out[n] = after[n] - (before[n] ?? 0);
  return out;
}
