/** Jool and fragmentation (docs/translator.md, "Jool 4.1.9" and "Readings of the RFC"). */
import { translatedIpv6Size } from "../../packet/translated-size.ts";
import { IPV6_MIN_MTU, ipv4Payload, sectionIs } from "./frame.ts";
import type { Explanation } from "./types.ts";

export const joolFragments: Explanation[] = [
  {
    id: "jool-fragments-df-clear",
    reference: "jool",
    what: "Jool fragments an IPv4 packet with DF clear, a fragment included, whose translation exceeds 1280 bytes (RFC 7915 §4.1 SHOULD; a tc program cannot)",
    holds(d) {
      const p = ipv4Payload(d.frame.frame);
      return (
        sectionIs(d, "4to6") &&
        d.theirs.length > 1 &&
        p !== undefined &&
        !p.df &&
        (translatedIpv6Size(d.frame.frame) ?? 0) > IPV6_MIN_MTU
      );
    },
  },
];
