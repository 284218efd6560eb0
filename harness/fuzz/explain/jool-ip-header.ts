/** Jool's outer IPv4 header: the TOS it takes from its route lookup (docs/translator.md, "Jool 4.1.9"). */
import { ETH, onlyFields, referenceDrops, sectionIs, trafficClass } from "./frame.ts";
import { joolPtbMtuDiffers } from "./jool-icmp.ts";
import type { Explanation } from "./types.ts";

/** Linux's route key mask of the TOS (include/uapi/linux/in_route.h, net/ipv4/route.c) and its link-scope bit. */
const IPTOS_RT_MASK = 0x1c;
const RTO_ONLINK = 0x01;

export const joolIpHeader: Explanation[] = [
  {
    id: "jool-tos-route-mask",
    reference: "jool",
    what: "Jool writes the outer TOS from its route's flow key: Linux 6.1 keeps bits 0x1c and routes bit 0 link-local (no route: dropped)",
    holds(d) {
      const tc = trafficClass(d.frame.frame);
      if (tc === undefined || !sectionIs(d, "6to4")) return false;
      if (referenceDrops(d)) return (tc & RTO_ONLINK) !== 0;
      const theirs = d.theirs[0];
      // The outer header's path is ipv4[1] when an IPv4 packet rides inside (protocol 4): two ipv4 layers.
      const ip = d.comparison.fields.includes("ipv4[1].tos") ? "ipv4[1]" : "ipv4";
      return (
        theirs !== undefined &&
        theirs[ETH + 1] === (tc & IPTOS_RT_MASK) &&
        d.comparison.fields.includes(`${ip}.tos`) &&
        // With a Packet Too Big, Jool's next-hop MTU may differ as well (jool-ptb-next-hop-mtu).
        (onlyFields(d, [`${ip}.tos`, `${ip}.chksum`]) ||
          (onlyFields(d, [`${ip}.tos`, `${ip}.chksum`, "icmp.mtu", "icmp.chksum"]) && joolPtbMtuDiffers(d)))
      );
    },
  },
];
