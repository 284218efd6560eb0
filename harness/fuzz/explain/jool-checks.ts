/**
 * What Jool 4.1.9 checks before it translates and natlab does not, each
 * read in Jool's source (mod/common/packet.c, rfc7915/*.c,
 * address_xlat.c): Jool drops, natlab translates (docs/translator.md,
 * "Jool 4.1.9").
 */
import {
  embeddedIpv4,
  IPPROTO_TCP,
  icmpChecksumRight,
  icmpError,
  outerIp,
  quotedTransportWhole,
  referenceDrops,
  sectionIs,
  subnetScoped,
} from "./frame.ts";
import type { Disagreement, Explanation } from "./types.ts";

/** The IPv4 addresses Jool translates or derives for this frame, with whether Jool checks each for scope. */
function checkedIpv4(d: Disagreement): Buffer[] {
  const f = d.frame.frame;
  const ip = outerIp(f);
  if (!ip) return [];
  const err = icmpError(f);
  const v4 = (a: Buffer) => (ip.family === 4 ? a : embeddedIpv4(a, d.frame.prefix));
  // address_xlat.c: the destination always; the source unless the packet is an ICMP error.
  const out = [v4(ip.dst), err ? undefined : v4(ip.src)];
  // The quoted packet is translated like a packet of its own (not an error): both addresses.
  if (err?.quoted) out.push(v4(err.quoted.src), v4(err.quoted.dst));
  return out.filter((a): a is Buffer => a !== undefined);
}

/**
 * IPv4 sources Linux routes nothing from (net/ipv4/route.c):
 * ip_route_output_key_hash_rcu() refuses a multicast, limited broadcast or
 * zero-network source (-EINVAL), and __mkroute_output() a loopback source
 * on a device that is not loopback.
 */
function unroutableSource(a: Buffer): boolean {
  return a[0] === 0 || a[0] === 127 || (a[0] >= 224 && a[0] < 240) || a.equals(Buffer.from([255, 255, 255, 255]));
}

export const joolChecks: Explanation[] = [
  {
    id: "jool-icmp-error-checksum-checked",
    reference: "jool",
    what: "Jool drops an ICMP error whose checksum is wrong (it recomputes the checksum; natlab keeps a wrong one wrong)",
    holds(d) {
      const e = icmpError(d.frame.frame);
      return referenceDrops(d) && e !== undefined && !icmpChecksumRight(d.frame.frame, e.ip);
    },
  },
  {
    id: "jool-quoted-later-fragment-dropped",
    reference: "jool",
    what: "Jool drops an ICMP error quoting a fragment other than the first (validate_inner4/6: 'not a first fragment')",
    holds(d) {
      const e = icmpError(d.frame.frame);
      return referenceDrops(d) && e?.quoted?.later === true;
    },
  },
  {
    id: "jool-quoted-transport-header-cut",
    reference: "jool",
    what: "Jool drops an ICMP error whose quoted TCP header (with its options), UDP or ICMP header is not whole",
    holds(d) {
      const e = icmpError(d.frame.frame);
      return referenceDrops(d) && e?.quoted !== undefined && !quotedTransportWhole(d.frame.frame, e.quoted, e.ip.end);
    },
  },
  {
    id: "jool-subnet-scoped-address",
    reference: "jool",
    what: "Jool does not translate an IPv4 address of subnet scope (0/8, 127/8, 169.254/16, 224/4, 255.255.255.255), outer or quoted",
    holds(d) {
      return (sectionIs(d, "4to6") || sectionIs(d, "6to4")) && referenceDrops(d) && checkedIpv4(d).some(subnetScoped);
    },
  },
  {
    id: "jool-ipv4-source-unroutable",
    reference: "jool",
    what: "6to4: Linux gives Jool no route for an IPv4 source in 0/8, 127/8, 224/4 or 255.255.255.255 (an ICMP error's source escapes Jool's own check)",
    holds(d) {
      const ip = outerIp(d.frame.frame);
      const src = ip?.family === 6 ? embeddedIpv4(ip.src, d.frame.prefix) : undefined;
      return sectionIs(d, "6to4") && referenceDrops(d) && src !== undefined && unroutableSource(src);
    },
  },
  {
    id: "jool-tcp-header-cut",
    reference: "jool",
    what: "Jool drops a TCP segment shorter than its own data offset says (it pulls the whole header, options included); natlab reads the first 20 bytes",
    holds(d) {
      const f = d.frame.frame;
      const ip = outerIp(f);
      return (
        referenceDrops(d) &&
        ip?.proto === IPPROTO_TCP &&
        !ip.later &&
        ip.l4 + 20 <= ip.end &&
        ip.end - ip.l4 < 4 * (f[ip.l4 + 12] >> 4)
      );
    },
  },
];
