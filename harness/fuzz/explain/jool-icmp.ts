/** Jool and ICMP errors (docs/translator.md, "Jool 4.1.9"). */
import {
  ETH,
  errorOutputs,
  ICMP_ERROR_TYPES,
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_ROUTING,
  IPV6_HEADER,
  icmpError,
  ipAt,
  ipv4Payload,
  onlyFields,
  RFC4884_LENGTH_AT,
  referenceDrops,
  rfc4884Bytes,
  sectionIs,
  translatedQuote,
} from "./frame.ts";
import type { Disagreement, Explanation } from "./types.ts";

const ICMP_DEST_UNREACH = 3;
const ICMP_FRAG_NEEDED = 4;
const ICMPV6_PKT_TOOBIG = 2;
const ICMP_ECHO_TYPES = new Set([0, 8, 128, 129]);
/** The end of the upper-layer header bytes a translator rewrites in a quote: through the checksum (RFC 793, RFC 768, RFC 792, RFC 4443). */
const REWRITTEN_THROUGH: Record<number, number> = { 6: 18, 17: 8, 1: 4, 58: 4 };
/** The MTU of Jool's links in natlab's datapath (veth's default): its IPv4 next hop, and its IPv6 one less 20. */
const JOOL_LINK_MTU = 1500;
const IP_HLEN_DIFF = 20;

/**
 * What Jool writes for a Packet Too Big's MTU (rfc7915/6to4.c): RFC 7915
 * §5.2's minimum(advertised MTU − 20, MTU_of_IPv4_nexthop, MTU_of_IPv6_nexthop − 20),
 * the subtraction in unsigned 32 bits (an MTU under 20 wraps, so the
 * next hop's wins).
 */
function joolPtbMtu(advertised: number): number {
  return Math.min((advertised - IP_HLEN_DIFF) >>> 0, JOOL_LINK_MTU, JOOL_LINK_MTU - IP_HLEN_DIFF);
}

/** Whether the input is a Packet Too Big and Jool's MTU is its next-hop minimum, natlab's another. */
export function joolPtbMtuDiffers(d: Disagreement): boolean {
  const f = d.frame.frame;
  const e = icmpError(f);
  const theirs = d.theirs[0];
  if (!e || !theirs || !d.ours || f[e.icmp] !== ICMPV6_PKT_TOOBIG) return false;
  const out = ipAt(theirs, ETH, 4);
  if (!out || out.l4 + 8 > theirs.length || out.l4 + 8 > d.ours.length) return false;
  const mtu = theirs.readUInt16BE(out.l4 + 6);
  return mtu === joolPtbMtu(f.readUInt32BE(e.icmp + 4)) && mtu !== d.ours.readUInt16BE(out.l4 + 6);
}

/** The fields of a translated quoted IPv4 header that its fragment fields touch (and the checksums over them). */
const QUOTED_FRAGMENT_FIELDS = [
  "ipv4[3].id",
  "ipv4[3].mf",
  "ipv4[3].df",
  "ipv4[3].frag",
  "ipv4[3].chksum",
  "icmp.chksum",
  "layers[4]",
];
const IP_MF = 0x2000;
const IP_OFFSET = 0x1fff;

/** Whether the IPv6 packet at `at` has a Fragment Header in its chain. */
function hasFragmentHeader(f: Buffer, at: number, end: number): boolean {
  let next = f[at + 6];
  let o = at + 40;
  for (let k = 0; k < 16 && o + 8 <= end; k++) {
    if (next === IPPROTO_FRAGMENT) return true;
    if (next !== IPPROTO_HOPOPTS && next !== IPPROTO_ROUTING && next !== IPPROTO_DSTOPTS) return false;
    next = f[o];
    o += 8 * (f[o + 1] + 1);
  }
  return false;
}

/** One's complement addition of `delta` to the sum a checksum field stands for; the new field. */
function shiftChecksum(field: number, delta: number): number {
  let s = (~field & 0xffff) + (((delta % 0xffff) + 0xffff) % 0xffff);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export const joolIcmp: Explanation[] = [
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
  {
    id: "jool-ptb-next-hop-mtu",
    reference: "jool",
    what: "Packet Too Big 6to4: Jool takes the minimum with its next hops' MTUs (RFC 7915 §5.2: 1480 on its 1500-byte links); natlab has no next hop",
    holds(d) {
      return sectionIs(d, "6to4") && onlyFields(d, ["icmp.mtu", "icmp.chksum"]) && joolPtbMtuDiffers(d);
    },
  },
  {
    id: "jool-quoted-icmp-pseudo-length",
    reference: "jool",
    what: "a quoted echo cut short: Jool's pseudo-header counts the quoted bytes, natlab's the length the quoted IP header gives (the whole echo's)",
    holds(d) {
      const x = errorOutputs(d);
      if (!x?.e.quoted) return false;
      const { f, e, ours, theirs, four } = x;
      // The quoted ICMP message is layer 4, or 5 behind a quoted Fragment Header.
      // A quoted echo its IP header cuts before 8 bytes parses as payload: its checksum shows as the payload's bytes.
      const payload = ["payload[4].hex", "payload[5].hex"];
      const fields = [
        ...(four
          ? ["icmpv6.chksum", "icmpv6[4].chksum", "icmpv6[5].chksum"]
          : ["icmp.chksum", "icmp[4].chksum", "icmp[5].chksum"]),
        ...payload,
      ];
      if (!onlyFields(d, fields)) return false;
      const q = x.e.quoted;
      if (q.later || !ICMP_ECHO_TYPES.has(f[q.l4]) || q.l4 + 4 > e.ip.end) return false;
      // What the quoted IP header says the echo's upper layer is, against what is quoted of it.
      const claimed = four ? f.readUInt16BE(q.at + 2) - (q.l4 - q.at) : f.readUInt16BE(q.at + 4) + q.at + 40 - q.l4;
      const present = e.ip.end - q.l4;
      if (claimed === present) return false;
      const quoted = translatedQuote(ours, four ? 6 : 4);
      if (!quoted || quoted.l4 + 4 > ours.length || quoted.l4 + 4 > theirs.length) return false;
      // Only the quoted checksum word may differ in the quoted bytes.
      const rest = (b: Buffer) => {
        const c = Buffer.from(b.subarray(quoted.l4));
        c.writeUInt16BE(0, 2);
        return c;
      };
      if (d.comparison.fields.some((x) => payload.includes(x)) && !rest(ours).equals(rest(theirs))) return false;
      const mine = ours.readUInt16BE(quoted.l4 + 2);
      // 4to6 adds the pseudo-header's length, 6to4 takes it away.
      const expected = shiftChecksum(mine, four ? present - claimed : claimed - present);
      const got = theirs.readUInt16BE(quoted.l4 + 2);
      return got === expected || (got === 0xffff && expected === 0) || (got === 0 && expected === 0xffff);
    },
  },
  {
    id: "jool-icmp-length-past-the-end",
    reference: "jool",
    what: "Jool drops an ICMP error whose RFC 4884 length attribute runs past the end of the message (JSTAT_ICMPEXT_BIG); natlab reads it as no extension",
    holds(d) {
      const f = d.frame.frame;
      const e = icmpError(f);
      if (!e || !referenceDrops(d)) return false;
      return rfc4884Bytes(f, e) > e.ip.end - (e.icmp + 8);
    },
  },
  {
    id: "jool-quoted-fragment-header-mixed-up",
    reference: "jool",
    what: "6to4: Jool takes the quoted header's fragment fields from the outer packet's Fragment Header (none: a new ID, MF 0), not the quoted packet's",
    holds(d) {
      const f = d.frame.frame;
      const e = icmpError(f);
      const theirs = d.theirs[0];
      if (!sectionIs(d, "6to4") || !e?.quoted || !theirs || d.comparison.fields.length === 0) return false;
      const fields = d.comparison.fields;
      if (!fields.every((x) => QUOTED_FRAGMENT_FIELDS.includes(x) || (x === "icmp.mtu" && joolPtbMtuDiffers(d))))
        return false;
      const outerFrag = hasFragmentHeader(f, ETH, e.ip.end);
      const quotedFrag = hasFragmentHeader(f, e.quoted.at, e.ip.end);
      if (outerFrag === quotedFrag) return false;
      if (outerFrag) return true; // the quoted header gets fields read where the outer packet's Fragment Header was
      // No Fragment Header outside: Jool writes the quoted header as unfragmented (MF 0, offset 0).
      const q = translatedQuote(theirs, 4);
      return q !== undefined && (theirs.readUInt16BE(q.at + 6) & (IP_MF | IP_OFFSET)) === 0;
    },
  },
  {
    id: "jool-quoted-echo-code-zeroed",
    reference: "jool",
    what: "Jool writes code 0 into a quoted echo message; natlab keeps its code (RFC 7915 §4.2/§5.2 adjust the Type only)",
    holds(d) {
      const f = d.frame.frame;
      const e = icmpError(f);
      const theirs = d.theirs[0];
      const four = sectionIs(d, "4to6");
      const name = four ? "icmpv6" : "icmp";
      const layer = [4, 5].find((n) => d.comparison.fields.includes(`${name}[${n}].code`));
      if (!(four || sectionIs(d, "6to4")) || !e?.quoted || !theirs || layer === undefined) return false;
      if (!onlyFields(d, [`${name}[${layer}].code`, `${name}[${layer}].chksum`, `${name}.chksum`])) return false;
      const q = e.quoted;
      if (q.later || !ICMP_ECHO_TYPES.has(f[q.l4]) || q.l4 + 2 > e.ip.end || f[q.l4 + 1] === 0) return false;
      const tq = translatedQuote(theirs, four ? 6 : 4);
      return tq !== undefined && tq.l4 + 2 <= theirs.length && theirs[tq.l4 + 1] === 0;
    },
  },
  {
    id: "jool-quoted-past-its-length",
    reference: "jool",
    what: "a quote that runs past its own IP header's length: Jool translates the quoted upper-layer header there; natlab reads the quoted packet as its header says (RFC 7915 §4.3/§5.3) and copies the bytes after it",
    holds(d) {
      const x = errorOutputs(d);
      if (!x?.e.quoted) return false;
      const { f, e, ours, theirs, four } = x;
      const outerChecksum = four ? "icmpv6.chksum" : "icmp.chksum";
      if (!d.comparison.fields.every((x) => x === outerChecksum || /^payload\[\d+\]\.hex$/.test(x))) return false;
      const q = x.e.quoted;
      const through = REWRITTEN_THROUGH[q.proto];
      // q.end is the quoted header's own end (or the frame's): the quote must go on after it, inside the header a translator rewrites.
      if (q.later || through === undefined || q.end >= e.ip.end || q.end >= q.l4 + through) return false;
      const upper = f.subarray(q.l4, e.ip.end);
      // The quoted upper-layer bytes of an output, as far as it goes (both cut an error to 576 or 1280 bytes).
      const at = (out: Buffer) => {
        const tq = translatedQuote(out, four ? 6 : 4);
        return tq && tq.l4 <= out.length ? out.subarray(tq.l4, Math.min(out.length, tq.l4 + upper.length)) : undefined;
      };
      const mine = at(ours);
      const jools = at(theirs);
      // natlab copies what lies past the quoted packet's end (a type before it is translated); Jool rewrites it.
      const past = q.end - q.l4;
      const same = (b: Buffer) => b.subarray(past).equals(upper.subarray(past, b.length));
      return mine !== undefined && jools !== undefined && mine.length > past && same(mine) && !same(jools);
    },
  },
  {
    id: "jool-keeps-the-field-padding",
    reference: "jool",
    what: "an error whose RFC 4884 extension goes (it does not fit, or a Parameter Problem): Jool keeps the zeros that padded the datagram to the 128-byte field as quote; natlab takes them out with the extension",
    holds(d) {
      const x = errorOutputs(d, d.comparison.normalised ?? d.theirs[0]);
      if (!x) return false;
      const { f, e, ours, theirs, four } = x;
      if (!onlyFields(d, four ? ["ipv6.plen", "icmpv6.chksum"] : ["ipv4.len", "ipv4.chksum", "icmp.chksum"]))
        return false;
      if (rfc4884Bytes(f, e) === 0) return false;
      const out = ipAt(ours, ETH, four ? 6 : 4);
      if (!out || theirs.length <= ours.length || !theirs.subarray(ours.length).every((b) => b === 0)) return false;
      // Neither has a length attribute: the extension went from both. (The rest is the field comparison's.)
      const at = out.l4 + RFC4884_LENGTH_AT[four ? 6 : 4];
      return at < ours.length && ours[at] === 0 && theirs[at] === 0;
    },
  },
];
