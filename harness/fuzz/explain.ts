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

const IPV6_HEADER = 40;
const IPPROTO_ICMP = 1;
const IPPROTO_UDP = 17;
const IPPROTO_ICMPV6 = 58;
const IPTOS_RT_MASK = 0x1c;
const RTO_ONLINK = 0x01;
const ICMP_DEST_UNREACH = 3;
const ICMP_FRAG_NEEDED = 4;
const IPV6_MIN_MTU = 1280;
/** ICMPv4 errors (RFC 792) and ICMPv6 errors (RFC 4443: types below 128). */
const ICMP_ERROR_TYPES = new Set([3, 4, 5, 11, 12]);

/** The input's IPv6 Traffic Class, or undefined when it is not IPv6. */
function trafficClass(f: Buffer): number | undefined {
  if (f.length < ETH + IPV6_HEADER || f.readUInt16BE(12) !== 0x86dd) return undefined;
  return (f.readUInt16BE(ETH) >> 4) & 0xff;
}

/** Offset of an IPv4 packet's payload, with its protocol and whether it is a fragment, or undefined. */
function ipv4Payload(f: Buffer): { at: number; proto: number; fragment: boolean; df: boolean } | undefined {
  if (f.length < ETH + 20 || f.readUInt16BE(12) !== ETH_P_IP) return undefined;
  const frag = f.readUInt16BE(ETH + 6);
  return {
    at: ETH + 4 * (f[ETH] & 0x0f),
    proto: f[ETH + 9],
    fragment: (frag & 0x3fff) !== 0,
    df: (frag & 0x4000) !== 0,
  };
}

const sectionIs = (d: Disagreement, s: "6to4" | "4to6") => d.comparison.kind.startsWith(`${s}:`);
const onlyFields = (d: Disagreement, allowed: string[]) =>
  d.comparison.fields.length > 0 && d.comparison.fields.every((f) => allowed.includes(f));

/**
 * What Jool 4.1.9 is known to do differently, each pinned by a golden case
 * (compare-decisions.yaml names the cases and these ids together).
 */
export const EXPLANATIONS: Explanation[] = [
  {
    id: "jool-tos-route-mask",
    reference: "jool",
    what: "Jool writes the outer TOS from its route's flow key: Linux 6.1 keeps bits 0x1c and routes bit 0 link-local (no route: dropped)",
    holds(d) {
      const tc = trafficClass(d.frame.frame);
      if (tc === undefined || !sectionIs(d, "6to4")) return false;
      if (d.comparison.kind.endsWith("natlab translates, jool drops it")) return (tc & RTO_ONLINK) !== 0;
      const theirs = d.theirs[0];
      return (
        onlyFields(d, ["ipv4.tos", "ipv4.chksum"]) && theirs !== undefined && theirs[ETH + 1] === (tc & IPTOS_RT_MASK)
      );
    },
  },
  {
    id: "jool-udp-checksum-zero-dropped",
    reference: "jool",
    what: "Jool drops IPv4 UDP without a checksum (its default amend-udp-checksum-zero false; RFC 7915 §4.5 allows it)",
    holds(d) {
      const p = ipv4Payload(d.frame.frame);
      return (
        sectionIs(d, "4to6") &&
        d.comparison.kind.endsWith("natlab translates, jool drops it") &&
        p !== undefined &&
        p.proto === IPPROTO_UDP &&
        d.frame.frame.length >= p.at + 8 &&
        d.frame.frame.readUInt16BE(p.at + 6) === 0
      );
    },
  },
  {
    id: "jool-udp-checksum-zero-result",
    reference: "jool",
    what: "a UDP checksum that comes out 0 is sent by Jool as 0x0000 into IPv6 (natlab: 0xffff, RFC 768)",
    holds(d) {
      const theirs = d.theirs[0];
      return (
        sectionIs(d, "4to6") &&
        onlyFields(d, ["udp.chksum"]) &&
        theirs !== undefined &&
        theirs.readUInt16BE(ETH + IPV6_HEADER + 6) === 0
      );
    },
  },
  {
    id: "jool-fragments-df-clear",
    reference: "jool",
    what: "Jool fragments an IPv4 packet with DF clear whose translation exceeds 1280 bytes (RFC 7915 §4.1 SHOULD; a tc program cannot)",
    holds(d) {
      const p = ipv4Payload(d.frame.frame);
      return (
        sectionIs(d, "4to6") &&
        d.theirs.length > 1 &&
        p !== undefined &&
        !p.df &&
        d.frame.frame.length - ETH + 20 > IPV6_MIN_MTU
      );
    },
  },
  {
    id: "jool-error-about-error",
    reference: "jool",
    what: "Jool translates an ICMP error quoting an ICMP error (RFC 7915 §4.3/§5.3: MUST drop; natlab drops)",
    holds(d) {
      if (!d.comparison.kind.endsWith("jool translates")) return false;
      const f = d.frame.frame;
      const p = ipv4Payload(f);
      if (p) {
        if (p.proto !== IPPROTO_ICMP || !ICMP_ERROR_TYPES.has(f[p.at])) return false;
        const q = p.at + 8;
        return f.length > q + 20 && f[q + 9] === IPPROTO_ICMP && ICMP_ERROR_TYPES.has(f[q + 4 * (f[q] & 0x0f)]);
      }
      // 6to4: ICMPv6 error (type < 128) quoting IPv6 with ICMPv6 error.
      const a = ETH + IPV6_HEADER;
      return (
        f.length > a + 8 + IPV6_HEADER &&
        f[ETH + 6] === IPPROTO_ICMPV6 &&
        f[a] < 128 &&
        f[a + 8 + 6] === IPPROTO_ICMPV6 &&
        f[a + 8 + IPV6_HEADER] < 128
      );
    },
  },
  {
    id: "jool-mtu-plateau",
    reference: "jool",
    what: "Fragmentation Needed with MTU 0: Jool takes the minimum with its next hop's IPv6 MTU (RFC 7915 §4.2); natlab has no next hop",
    holds(d) {
      const f = d.frame.frame;
      const p = ipv4Payload(f);
      return (
        sectionIs(d, "4to6") &&
        onlyFields(d, ["icmpv6.mtu", "icmpv6.chksum"]) &&
        p !== undefined &&
        p.proto === IPPROTO_ICMP &&
        f[p.at] === ICMP_DEST_UNREACH &&
        f[p.at + 1] === ICMP_FRAG_NEEDED
      );
    },
  },
];

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
  if (reference !== "jool") return undefined;
  return optionHazard(frame) ?? extensionHazard(frame);
}

/**
 * Jool 4.1.9 panicked the guest on an ICMPv6 error with an RFC 4884 length
 * attribute (6to4): handle_icmp_extension() (rfc7915/common.c) computed a
 * negative length for the quoted part and skb_copy_bits() copied with it
 * (`__memcpy` with length −4 in softirq; call trace handle_icmp_extension,
 * post_icmp4error, core_6to4). Which lengths do it was not narrowed down:
 * every ICMP error whose length attribute is set and shorter than what
 * follows (an extension present) is kept from Jool, both ways, since the
 * same function serves 4to6.
 */
function extensionHazard(frame: Buffer): string | undefined {
  const why =
    "an ICMP error with an RFC 4884 length and an extension: Jool 4.1.9's handle_icmp_extension() panicked on one";
  if (frame.length < ETH + 20) return undefined;
  const type = frame.readUInt16BE(12);
  if (type === 0x86dd && frame.length >= ETH + IPV6_HEADER + 8 && frame[ETH + 6] === IPPROTO_ICMPV6) {
    const icmp = ETH + IPV6_HEADER;
    // RFC 4884 §4.5: ICMPv6 Destination Unreachable (1) and Time Exceeded (3), length in 64-bit words.
    const words = frame[icmp + 4];
    const payload = frame.length - icmp - 8;
    return (frame[icmp] === 1 || frame[icmp] === 3) && words > 0 && 8 * words < payload ? why : undefined;
  }
  const p = ipv4Payload(frame);
  if (p && p.proto === IPPROTO_ICMP && frame.length >= p.at + 8) {
    // RFC 4884 §4.1: ICMPv4 Destination Unreachable, Time Exceeded, Parameter Problem; length in 32-bit words.
    const words = frame[p.at + 5];
    const payload = frame.length - p.at - 8;
    return [3, 11, 12].includes(frame[p.at]) && words > 0 && 4 * words < payload ? why : undefined;
  }
  return undefined;
}

function optionHazard(frame: Buffer): string | undefined {
  if (frame.length < ETH + 20 || frame.readUInt16BE(12) !== ETH_P_IP) return undefined;
  const end = ETH + 4 * (frame[ETH] & 0x0f);
  let o = ETH + 20;
  while (o < end && o < frame.length && frame[o] !== IPOPT_LSRR && frame[o] !== IPOPT_SSRR) {
    if (frame[o] === IPOPT_END) return undefined;
    if (frame[o] === IPOPT_NOOP) {
      o++;
      continue;
    }
    const len = o + 1 < frame.length ? frame[o + 1] : 0;
    if (len === 0)
      return "an IPv4 option of length 0: Jool 4.1.9's source-route walk never ends (a kernel soft lockup)";
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
