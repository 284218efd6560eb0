/** Jool and the UDP checksum (docs/translator.md, "Jool 4.1.9"). */
import {
  ETH,
  IPPROTO_UDP,
  type IpView,
  icmpError,
  ipAt,
  natlabDrops,
  onlyFields,
  outerIp,
  referenceDrops,
  sectionIs,
  translatedQuote,
} from "./frame.ts";
import type { Explanation } from "./types.ts";

export const joolUdp: Explanation[] = [
  {
    id: "jool-udp-checksum-zero-dropped",
    reference: "jool",
    what: "Jool drops IPv4 UDP without a checksum, outer or quoted (its default amend-udp-checksum-zero false; RFC 7915 §4.5 allows it)",
    holds(d) {
      const f = d.frame.frame;
      const ip = outerIp(f);
      if (!sectionIs(d, "4to6") || !referenceDrops(d) || ip?.family !== 4) return false;
      // can_compute_csum() (rfc7915/4to6.c) serves the packet an ICMP error quotes too.
      const zero = (p: IpView, end: number) =>
        p.proto === IPPROTO_UDP && !p.later && p.l4 + 8 <= end && f.readUInt16BE(p.l4 + 6) === 0;
      const q = icmpError(f)?.quoted;
      return zero(ip, ip.end) || (q !== undefined && zero(q, ip.end));
    },
  },
  {
    id: "jool-udp-checksum-zero-result",
    reference: "jool",
    what: "a UDP checksum that comes out 0 is sent by Jool as 0x0000 into IPv6 (natlab: 0xffff, RFC 768), outer or quoted",
    holds(d) {
      const theirs = d.theirs[0];
      const ours = d.ours;
      if (!sectionIs(d, "4to6") || !theirs || !ours) return false;
      const outer = onlyFields(d, ["udp.chksum"]);
      if (!outer && !onlyFields(d, ["udp[4].chksum", "udp[5].chksum"])) return false;
      // The UDP header in both outputs: the packet's own, or the quoted packet's.
      const udpAt = (f: Buffer) => {
        const ip = ipAt(f, ETH, 6);
        const q = ip && !outer ? ipAt(f, ip.l4 + 8, 6) : ip;
        return q?.proto === IPPROTO_UDP && q.l4 + 8 <= f.length ? q.l4 : undefined;
      };
      const a = udpAt(ours);
      const b = udpAt(theirs);
      return a !== undefined && a === b && ours.readUInt16BE(a + 6) === 0xffff && theirs.readUInt16BE(b + 6) === 0;
    },
  },
  {
    id: "jool-quoted-ipv6-udp-checksum-zero-updated",
    reference: "jool",
    what: "6to4: a quoted IPv6 UDP checksum of 0 is updated by Jool as if it were a sum (natlab copies it: 0 says no checksum in IPv4)",
    holds(d) {
      const f = d.frame.frame;
      const q = icmpError(f)?.quoted;
      const theirs = d.theirs[0];
      const ours = d.ours;
      if (!sectionIs(d, "6to4") || !q || q.proto !== IPPROTO_UDP || q.later || !theirs || !ours) return false;
      if (!onlyFields(d, ["udp[4].chksum", "icmp.chksum"]) || q.l4 + 8 > f.length || f.readUInt16BE(q.l4 + 6) !== 0)
        return false;
      const oq = translatedQuote(ours, 4);
      return (
        oq !== undefined &&
        oq.l4 + 8 <= ours.length &&
        ours.readUInt16BE(oq.l4 + 6) === 0 &&
        theirs.readUInt16BE(oq.l4 + 6) !== 0
      );
    },
  },
  {
    id: "jool-ipv6-udp-checksum-zero-translated",
    reference: "jool",
    what: "Jool translates IPv6 UDP with checksum 0 (natlab drops it: RFC 8200 §8.1, IPv6 receivers discard it)",
    holds(d) {
      const ip = outerIp(d.frame.frame);
      return (
        sectionIs(d, "6to4") &&
        natlabDrops(d) &&
        ip?.family === 6 &&
        ip.proto === IPPROTO_UDP &&
        !ip.later &&
        ip.l4 + 8 <= ip.end &&
        d.frame.frame.readUInt16BE(ip.l4 + 6) === 0
      );
    },
  },
];
