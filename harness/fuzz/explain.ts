/**
 * Explanations of the differences between natlab and a reference translator
 * that differential fuzzing finds (differential.ts). Each is a named test on
 * one frame (its input and both outputs), written from what the reference
 * is known to do; it explains a disagreement only when
 * fixtures/pcaps/compare-decisions.yaml decides it (`fuzz: [id]`), beside
 * the golden case that pins the same behaviour. A disagreement no decided
 * explanation covers is saved for a human to decide.
 */
import { loadDecisions } from "../golden/compare.ts";
import type { Disagreement } from "./differential.ts";

export interface Explanation {
  id: string;
  /** The reference it is about (a translator name: jool). */
  reference: string;
  /** One line: what the reference does. */
  what: string;
  holds(d: Disagreement): boolean;
}

const ETH = 14;

export const EXPLANATIONS: Explanation[] = [];

const IPOPT_END = 0;
const IPOPT_NOOP = 1;
const IPOPT_LSRR = 0x83;
const IPOPT_SSRR = 0x89;
const ETH_P_IP = 0x0800;

/**
 * Frames a reference is not given because one of them stops it for good,
 * with the reason. Jool 4.1.9 walks the outer IPv4 options looking for a
 * source route (has_unexpired_src_route() in rfc7915/4to6.c) by adding each
 * option's length byte: an option of length 0 (not End or No-Op) never
 * advances, and the kernel's CPU spins in softirq (a soft lockup; the VM is
 * lost). The kernel checks options only after PREROUTING, where Jool sits,
 * so one such packet from the wire does it. natlab drops such a packet
 * (a malformed option: `dropped.malformed`).
 */
export function referenceHazard(reference: string, frame: Buffer): string | undefined {
  if (reference !== "jool" || frame.length < ETH + 20 || frame.readUInt16BE(12) !== ETH_P_IP) return undefined;
  const end = ETH + 4 * (frame[ETH] & 0x0f);
  let o = ETH + 20;
  while (o < end && o < frame.length && frame[o] !== IPOPT_LSRR && frame[o] !== IPOPT_SSRR) {
    if (frame[o] === IPOPT_END) return undefined;
    if (frame[o] === IPOPT_NOOP) {
      o++;
      continue;
    }
    const len = o + 1 < frame.length ? frame[o + 1] : 0;
    if (len === 0) return "an IPv4 option of length 0: Jool 4.1.9's source-route walk never ends (a kernel soft lockup)";
    o += len;
  }
  return undefined;
}

let decided: Set<string> | undefined;

/** The explanation ids compare-decisions.yaml decides for `reference`. */
export function decidedExplanations(reference: string): Set<string> {
  decided ??= new Set(loadDecisions().flatMap((d) => (d.fuzz ?? []).map((id) => `${d.translator}\u0000${id}`)));
  return new Set([...decided].filter((k) => k.startsWith(`${reference}\u0000`)).map((k) => k.split("\u0000")[1]));
}

/** The first decided explanation that holds for this disagreement, if any. */
export function explain(d: Disagreement, reference: string): Explanation | undefined {
  const ok = decidedExplanations(reference);
  return EXPLANATIONS.find((e) => e.reference === reference && ok.has(e.id) && e.holds(d));
}

export { ETH };
