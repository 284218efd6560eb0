/**
 * Explanations of the differences between natlab and a reference
 * translator that differential fuzzing finds (../differential.ts), a file
 * per class. Each is a named test on one frame (its input and both
 * outputs), written from what the reference is known to do; it explains a
 * disagreement only when fixtures/pcaps/compare-decisions.yaml decides it
 * (`fuzz: [id]`), beside the golden case that pins the same behaviour. A
 * disagreement no decided explanation covers is saved for a human to decide.
 */
import { loadDecisions } from "../../golden/compare.ts";
import { joolChecks } from "./jool-checks.ts";
import { joolChecksumForm } from "./jool-checksum-form.ts";
import { joolFragments } from "./jool-fragments.ts";
import { joolIcmp } from "./jool-icmp.ts";
import { joolIpHeader } from "./jool-ip-header.ts";
import { joolLenient } from "./jool-lenient.ts";
import { joolUdp } from "./jool-udp.ts";
import { routerChecks } from "./router.ts";
import type { Disagreement, Explanation } from "./types.ts";

export { ETH } from "./frame.ts";
export { referenceHazard } from "./hazards.ts";
export type { Explanation } from "./types.ts";

/** Every explanation, in the order they are tried (the first that holds names the disagreement). */
export const EXPLANATIONS: Explanation[] = [
  ...joolIpHeader,
  ...joolUdp,
  ...joolFragments,
  ...joolIcmp,
  ...joolChecks,
  ...joolLenient,
  ...routerChecks,
  ...joolChecksumForm,
];

let decided: Set<string> | undefined;

/** The explanation ids compare-decisions.yaml decides for `reference`. */
export function decidedExplanations(reference: string): Set<string> {
  decided ??= new Set(loadDecisions().flatMap((d) => (d.fuzz ?? []).map((id) => `${d.translator}\u0000${id}`)));
  return new Set([...decided].filter((k) => k.startsWith(`${reference}\u0000`)).map((k) => k.split("\u0000")[1]));
}

/** The first decided explanation that holds for this disagreement, if any; else several that hold together. */
export function explain(d: Disagreement, reference: string): Explanation | undefined {
  const ok = decidedExplanations(reference);
  const decided = EXPLANATIONS.filter((e) => e.reference === reference && ok.has(e.id));
  return decided.find((e) => e.holds(d)) ?? explainTogether(d, decided);
}

/** More differing fields than this are not split between explanations (2^n subsets are tried). */
const MAX_SPLIT_FIELDS = 8;
const isChecksum = (field: string) => field.endsWith(".chksum");
/** Outer layers by name (Ethernet, IP, upper layer); a quoted layer's path carries its index. */
const OUTER_LAYER: Record<string, number> = { eth: 0, ipv4: 1, ipv6: 1 };

/** The index of the layer a field path names: "udp[4].chksum" 4, "ipv4.ttl" 1, "icmp.mtu" 2. */
function layerOf(field: string): number {
  const m = /^(\w+)(?:\[(\d+)\])?/.exec(field);
  if (!m) return 0;
  return m[2] !== undefined ? Number(m[2]) : (OUTER_LAYER[m[1]] ?? 2);
}

/**
 * Whether a differing field can be a cause rather than a consequence: any
 * field but a checksum, and a checksum only when nothing else differs in
 * its layer or after it (what it sums). A quoted UDP checksum that Jool
 * writes differently is a cause; an outer ICMP checksum that sums a
 * changed MTU is not.
 */
function canBeCause(field: string, fields: string[]): boolean {
  if (!isChecksum(field)) return true;
  const layer = layerOf(field);
  return !fields.some((x) => x !== field && !isChecksum(x) && layerOf(x) >= layer);
}

/** The disagreement as it would be if only `fields` differed. */
function narrowed(d: Disagreement, fields: string[]): Disagreement {
  const section = d.comparison.kind.split(":")[0];
  return { ...d, comparison: { ...d.comparison, kind: `${section}: ${fields.join(", ")}`, fields } };
}

/**
 * A frame that shows two known behaviours at once (a Packet Too Big whose
 * MTU Jool lowers and whose quoted UDP checksum 0 it updates): each
 * explanation holds for a part of the differing fields, and the parts
 * cover them all. A part must hold a field that can be a cause: a checksum
 * that sums other differing fields only follows them, and an explanation
 * given nothing but such consequences would take a difference it was not
 * written for.
 */
export function explainTogether(d: Disagreement, candidates: Explanation[]): Explanation | undefined {
  const fields = d.comparison.fields;
  if (fields.length < 2 || fields.length > MAX_SPLIT_FIELDS) return undefined;
  const subsets: string[][] = [];
  for (let mask = 1; mask < 1 << fields.length; mask++) {
    const s = fields.filter((_, i) => mask & (1 << i));
    if (s.length < fields.length && s.some((x) => canBeCause(x, fields))) subsets.push(s);
  }
  subsets.sort((a, b) => b.length - a.length);
  const parts = candidates.flatMap((e) => {
    const s = subsets.find((x) => e.holds(narrowed(d, x)));
    return s ? [{ e, s }] : [];
  });
  parts.sort((a, b) => b.s.length - a.s.length);
  const covered = new Set<string>();
  const used: typeof parts = [];
  for (const p of parts) {
    if (p.s.every((x) => covered.has(x))) continue;
    used.push(p);
    for (const x of p.s) covered.add(x);
  }
  if (used.length < 2 || !fields.every((x) => covered.has(x))) return undefined;
  used.sort((a, b) => a.e.id.localeCompare(b.e.id)); // one name per combination, however it was found
  return {
    id: used.map((p) => p.e.id).join(" + "),
    reference: used[0].e.reference,
    what: used.map((p) => `${p.e.what} (${p.s.join(", ")})`).join("; and "),
    holds: () => true,
  };
}
