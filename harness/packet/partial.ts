/**
 * CHECKSUM_PARTIAL in captures. With TX offload on, a locally generated
 * TCP/UDP packet carries in its checksum field not the checksum but the
 * folded pseudo-header sum, for the "hardware" (here: the receiving veth
 * stack, or skb_checksum_help on a device without offload) to finish. A
 * capture shows that seed, which tshark calls wrong.
 *
 * The seed is still checkable: it must be exactly the pseudo-header sum of
 * the packet as it is now. A translator that forgot the pseudo-header change
 * leaves the seed of the *old* addresses, and this check catches it.
 */
import { parseIp } from "./addr.ts";
import { onesSum, pseudoHeader } from "./checksum.ts";
import type { Packet } from "./layers.ts";
import type { ChecksumProblem } from "./verify.ts";

/** The pseudo-header seed a CHECKSUM_PARTIAL packet carries, or undefined if the packet has no outer TCP/UDP. */
export function partialSeed(packet: Packet): { layer: "tcp" | "udp"; seed: number } | undefined {
  let src: string | undefined;
  let dst: string | undefined;
  let l4len = 0;
  for (const layer of packet) {
    if ("ipv4" in layer) {
      src = layer.ipv4.src;
      dst = layer.ipv4.dst;
      l4len = (layer.ipv4.len ?? 0) - (layer.ipv4.ihl ?? 5) * 4;
    } else if ("ipv6" in layer) {
      src = layer.ipv6.src;
      dst = layer.ipv6.dst;
      l4len = layer.ipv6.plen ?? 0;
    } else if ("hbh" in layer || "dstopts" in layer || "routing" in layer || "frag" in layer) {
      const ext = Object.values(layer)[0] as { len?: number };
      l4len -= "frag" in layer ? 8 : ((ext.len ?? 0) + 1) * 8;
    } else if ("tcp" in layer || "udp" in layer) {
      if (!src || !dst) return undefined;
      const proto = "tcp" in layer ? 6 : 17;
      const sum = onesSum(pseudoHeader(parseIp(src), parseIp(dst), proto, l4len));
      return { layer: "tcp" in layer ? "tcp" : "udp", seed: sum };
    } else if (!("eth" in layer)) {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The checksum problems that remain once correct CHECKSUM_PARTIAL seeds are
 * accepted: a TCP/UDP checksum equal to the right seed is not a problem.
 */
export function withoutPartialSeeds(packet: Packet, problems: ChecksumProblem[]): ChecksumProblem[] {
  const p = partialSeed(packet);
  if (!p) return problems;
  return problems.filter(
    (pr) => !(pr.layer === p.layer && (pr.actual === p.seed || (p.seed === 0xffff && pr.actual === 0))),
  );
}
