/**
 * What natlab drops and Jool 4.1.9 translates because Jool does not look:
 * malformed IPv4 options, protocol numbers that mean something in one
 * family only, IGMP (docs/translator.md, "Jool 4.1.9"; natlab's readings
 * are pinned by the golden cases compare-decisions.yaml names).
 */
import {
  ETH,
  ETH_P_IP,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  type IpView,
  icmpError,
  inPrefix,
  natlabDrops,
  outerIp,
  sectionIs,
} from "./frame.ts";
import type { Explanation } from "./types.ts";

const IPOPT_END = 0;
const IPOPT_NOOP = 1;
const IPOPT_LSRR = 0x83;
const IPOPT_SSRR = 0x89;
const IPPROTO_IGMP = 2;
/** RFC 6052 §2.2: bits 64-71 of an IPv4-embedded address. */
const U_OCTET = 8;
const ICMP_ECHOREPLY = 0;
/** natlab's martian IPv4 sources (bpf/nat64.c, ip4_martian_src(); RFC 1812 §5.3.7): network 0, 127, 224 and up. */
const martianSource = (a: Buffer) => a[0] === 0 || a[0] === 127 || a[0] >= 224;

/** An ICMPv4 Echo Reply all of whose bytes are zero, checksum included (0x0000: ICMPv6's pseudo-header would make it right). */
function allZeroEchoReply(f: Buffer, ip: IpView): boolean {
  if (ip.family !== 4 || ip.proto !== IPPROTO_ICMP || ip.later || ip.l4 + 8 > ip.end) return false;
  return f[ip.l4] === ICMP_ECHOREPLY && f.subarray(ip.l4, ip.end).every((b) => b === 0);
}
const IPPROTO_AH = 51;
const AH_HEADER = 12;
/** IPv6's own numbers (RFC 8200, RFC 7045): extension headers, ICMPv6, Mobility, HIP, Shim6. */
const IPV6_ONLY = new Set([0, 43, 44, 60, IPPROTO_ICMPV6, 135, 139, 140]);
/** IPv4's own: ICMP and IGMP. */
const IPV4_ONLY = new Set([IPPROTO_ICMP, IPPROTO_IGMP]);

/** Whether the frame's IPv4 header has an option natlab reads as malformed (bpf/4to6.h, ip4_options()). */
export function malformedIpv4Option(f: Buffer): boolean {
  if (f.length < ETH + 20 || f.readUInt16BE(12) !== ETH_P_IP) return false;
  const end = Math.min(f.length, ETH + 4 * (f[ETH] & 0x0f));
  for (let o = ETH + 20; o < end; ) {
    if (f[o] === IPOPT_END) return false;
    if (f[o] === IPOPT_NOOP) {
      o++;
      continue;
    }
    if (o + 2 > end || f[o + 1] < 2 || o + f[o + 1] > end) return true;
    if ((f[o] === IPOPT_LSRR || f[o] === IPOPT_SSRR) && f[o + 1] < 3) return true;
    o += f[o + 1];
  }
  return false;
}

/**
 * Whether natlab drops a packet for its protocol number (bpf/nat64.c,
 * ip4_only_proto()/ip6_only_proto()): one of the other family's own, or,
 * behind AH, one of either family's own or AH again. `quoted`: the packet
 * an ICMP error quotes, where IGMP counts too (RFC 7915 §4.2 drops it).
 */
function otherFamilyOnly(f: Buffer, ip: IpView, section: "6to4" | "4to6", quoted: boolean): boolean {
  const oneFamily = (p: number) => IPV4_ONLY.has(p) || IPV6_ONLY.has(p);
  // A later fragment carries no AH header to look behind, but its protocol number still counts.
  if (ip.proto === IPPROTO_AH && !ip.later && ip.l4 + AH_HEADER <= ip.end)
    return oneFamily(f[ip.l4]) || f[ip.l4] === IPPROTO_AH;
  if (section === "6to4") return oneFamily(ip.proto) && ip.proto !== IPPROTO_ICMPV6;
  return IPV6_ONLY.has(ip.proto) || (quoted && ip.proto === IPPROTO_IGMP);
}

/** natlab's bound on the extension headers it walks (bpf/nat64.c, MAX_EXT). */
const MAX_EXT = 6;
const IPPROTO_HOPOPTS_HEADER = 0;
const IPPROTO_FRAGMENT_HEADER = 44;
const IPPROTO_ROUTING_HEADER = 43;
/** natlab's bound on a quoted packet's extension headers, in bytes (bpf/nat64.c, MAX_QEXT). */
const MAX_QEXT = 64;
const IP_MAXPACKET = 65535;
const IPV4_HEADER = 20;

/**
 * The extension headers (Hop-by-Hop, Routing, Destination Options,
 * Fragment) of the IPv6 packet at `at`, in order, whether a Routing header
 * has Segments Left, and what follows them.
 */
function ipv6Chain(
  f: Buffer,
  at: number,
  end: number,
): { headers: number[]; segmentsLeft: boolean; routingSegments: number[]; upper: number; upperAt: number } {
  const headers: number[] = [];
  const routingSegments: number[] = [];
  let segmentsLeft = false;
  let next = f[at + 6];
  let o = at + 40;
  for (let k = 0; k < 16 && o + 8 <= end && [0, 43, 44, 60].includes(next); k++) {
    headers.push(next);
    if (next === IPPROTO_ROUTING_HEADER) routingSegments.push(f[o + 3]);
    if (next === IPPROTO_ROUTING_HEADER && f[o + 3] !== 0) segmentsLeft = true;
    const after = f[o];
    o += next === IPPROTO_FRAGMENT_HEADER ? 8 : 8 * (f[o + 1] + 1);
    next = after;
  }
  return { headers, segmentsLeft, routingSegments, upper: next, upperAt: o };
}

/** Whether natlab's walk of a chain stops (bpf/nat64.c, walk6()) where Jool's summarize_skb6() goes on. */
function chainNatlabRefuses(c: ReturnType<typeof ipv6Chain>, end: number): boolean {
  const fragment = c.headers.indexOf(IPPROTO_FRAGMENT_HEADER);
  return (
    c.headers.length > MAX_EXT ||
    c.headers.lastIndexOf(IPPROTO_HOPOPTS_HEADER) > 0 ||
    (fragment >= 0 && fragment === c.headers.length - 1 && c.upper === IPPROTO_AH) ||
    (c.upper === IPPROTO_AH && fragment < 0 && end - c.upperAt < AH_HEADER)
  );
}

export const joolLenient: Explanation[] = [
  {
    id: "jool-ipv4-options-unchecked",
    reference: "jool",
    what: "Jool ignores IPv4 options it does not look for: an option whose length is under 2 or runs past the header is translated (natlab: malformed, dropped)",
    holds(d) {
      return sectionIs(d, "4to6") && natlabDrops(d) && malformedIpv4Option(d.frame.frame);
    },
  },
  {
    id: "jool-copies-one-family-protocol",
    reference: "jool",
    what: "Jool copies a protocol number of one family only (IPv6 extension headers, ICMPv6, Mobility, HIP, Shim6 into IPv6; ICMP, IGMP into IPv4), also behind AH and in a quoted packet",
    holds(d) {
      const f = d.frame.frame;
      const s = sectionIs(d, "6to4") ? "6to4" : sectionIs(d, "4to6") ? "4to6" : undefined;
      const ip = outerIp(f);
      if (!s || !ip || !natlabDrops(d)) return false;
      const q = icmpError(f)?.quoted;
      return otherFamilyOnly(f, ip, s, false) || (q !== undefined && otherFamilyOnly(f, q, s, true));
    },
  },
  {
    id: "jool-translates-igmp",
    reference: "jool",
    what: "Jool translates IGMP as any other protocol (RFC 7915 §4.2: SHOULD be silently dropped, as natlab does)",
    holds(d) {
      const ip = outerIp(d.frame.frame);
      return sectionIs(d, "4to6") && natlabDrops(d) && ip?.family === 4 && ip.proto === IPPROTO_IGMP;
    },
  },
  {
    id: "jool-u-octet-ignored",
    reference: "jool",
    what: "Jool extracts the IPv4 address whatever the u-octet (bits 64-71) holds; natlab leaves such an address alone (RFC 6052 §2.2: MUST be zero)",
    holds(d) {
      const ip = outerIp(d.frame.frame);
      const prefix = d.frame.prefix;
      if (ip?.family !== 6 || !sectionIs(d, "6to4") || !d.comparison.kind.endsWith("natlab passes it, jool translates"))
        return false;
      if (prefix.endsWith("/96") || !inPrefix(ip.src, prefix) || !inPrefix(ip.dst, prefix)) return false;
      return ip.src[U_OCTET] !== 0 || ip.dst[U_OCTET] !== 0;
    },
  },
  {
    id: "jool-all-zero-echo-reply-translated",
    reference: "jool",
    what: "Jool translates an all-zero ICMPv4 Echo Reply with checksum 0x0000, outer or quoted (natlab drops it: ICMPv6's pseudo-header would make a corrupt checksum right)",
    holds(d) {
      const f = d.frame.frame;
      const ip = outerIp(f);
      if (!ip || !sectionIs(d, "4to6") || !natlabDrops(d)) return false;
      const q = icmpError(f)?.quoted;
      return (
        allZeroEchoReply(f, ip) || (q !== undefined && allZeroEchoReply(f, { ...q, end: Math.min(q.end, ip.end) }))
      );
    },
  },
  {
    id: "jool-martian-source-translated",
    reference: "jool",
    what: "Jool translates an IPv4 source no packet may carry (class E; any, in an ICMP error); natlab drops it (RFC 1812 §5.3.7)",
    holds(d) {
      const ip = outerIp(d.frame.frame);
      return sectionIs(d, "4to6") && natlabDrops(d) && ip?.family === 4 && martianSource(ip.src);
    },
  },
  {
    id: "jool-ipv6-chain-unchecked",
    reference: "jool",
    what: "Jool walks any IPv6 extension-header chain: more than six headers, a Hop-by-Hop header not first, AH after the Fragment Header, AH cut short, Segments Left in a second Routing header are translated (natlab drops each)",
    holds(d) {
      const f = d.frame.frame;
      if (!sectionIs(d, "6to4") || !natlabDrops(d)) return false;
      const ip = outerIp(f);
      if (ip?.family !== 6) return false;
      const chain = ipv6Chain(f, ETH, ip.end);
      // Jool's has_nonzero_segments_left() looks at the first Routing header only.
      const laterSegments = chain.routingSegments[0] === 0 && chain.routingSegments.slice(1).some((n) => n !== 0);
      return chainNatlabRefuses(chain, ip.end) || laterSegments;
    },
  },
  {
    id: "jool-quoted-ipv6-unchecked",
    reference: "jool",
    what: "6to4: a quoted IPv6 packet natlab cannot translate and Jool does not check: an address with its u-octet set, a chain natlab's walk refuses (Segments Left included), more than 64 bytes of extension headers, a Payload Length shorter than them or too long for IPv4",
    holds(d) {
      const f = d.frame.frame;
      const e = icmpError(f);
      const q = e?.quoted;
      if (!sectionIs(d, "6to4") || !natlabDrops(d) || !e || q?.family !== 6 || f[q.at] >> 4 !== 6) return false;
      const prefix = d.frame.prefix;
      const uOctet =
        !prefix.endsWith("/96") &&
        inPrefix(q.src, prefix) &&
        inPrefix(q.dst, prefix) &&
        (q.src[U_OCTET] !== 0 || q.dst[U_OCTET] !== 0);
      const chain = ipv6Chain(f, q.at, e.ip.end);
      const extBytes = chain.upperAt - (q.at + 40);
      const plen = f.readUInt16BE(q.at + 4);
      return (
        uOctet ||
        chain.segmentsLeft ||
        chainNatlabRefuses(chain, e.ip.end) ||
        extBytes > MAX_QEXT ||
        plen < extBytes ||
        plen - extBytes + IPV4_HEADER > IP_MAXPACKET
      );
    },
  },
  {
    id: "jool-ipv4-ah-unchecked",
    reference: "jool",
    what: "4to6: Jool copies IPv4 protocol 51 however short; natlab drops an AH cut before its sequence number (RFC 4302 §2: 12 bytes), as it does in 6to4",
    holds(d) {
      const ip = outerIp(d.frame.frame);
      return (
        sectionIs(d, "4to6") &&
        natlabDrops(d) &&
        ip?.family === 4 &&
        ip.proto === IPPROTO_AH &&
        !ip.later &&
        ip.end - ip.l4 < AH_HEADER
      );
    },
  },
];
