/** Jool and the two forms of a zero one's complement checksum (docs/translator.md, "Jool 4.1.9"). */
import {
  ETH,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  type IpView,
  icmpError,
  outerIp,
} from "./frame.ts";
import type { Explanation } from "./types.ts";

/** Where an upper layer keeps its checksum (RFC 793, RFC 768, RFC 792, RFC 4443). */
const CHECKSUM_AT: Record<number, number> = {
  [IPPROTO_TCP]: 16,
  [IPPROTO_UDP]: 6,
  [IPPROTO_ICMP]: 2,
  [IPPROTO_ICMPV6]: 2,
};

/** The offsets of the checksums a translated frame carries: its upper layer's and its quoted packet's. */
function checksumWords(f: Buffer): number[] {
  const ip = outerIp(f);
  if (!ip) return [];
  const at = (p: IpView) => (p.later || CHECKSUM_AT[p.proto] === undefined ? [] : [p.l4 + CHECKSUM_AT[p.proto]]);
  const q = icmpError(f)?.quoted;
  return [...at(ip), ...(q ? at(q) : [])];
}

export const joolChecksumForm: Explanation[] = [
  {
    id: "jool-checksum-zero-as-0x0000",
    reference: "jool",
    what: "a checksum that comes out zero: natlab writes 0xffff (RFC 1071's complement of +0), Jool 0x0000, outer or quoted; nothing else differs",
    holds(d) {
      const ours = d.ours;
      const theirs = d.comparison.normalised;
      if (!ours || !theirs || ours.length !== theirs.length || !d.comparison.fields.every((x) => x === "bytes"))
        return false;
      const differing: number[] = [];
      for (let i = ETH; i < ours.length; i++) if (ours[i] !== theirs[i]) differing.push(i);
      const words = checksumWords(ours);
      const at = differing[0];
      return (
        differing.length === 2 &&
        differing[1] === at + 1 &&
        words.includes(at) &&
        ours.readUInt16BE(at) === 0xffff &&
        theirs.readUInt16BE(at) === 0
      );
    },
  },
];
