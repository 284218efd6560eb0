/**
 * What the reference's router (Linux 6.1 in the VM, where Jool hooks in
 * PREROUTING) discards before any translator sees the packet: its own
 * checks, not Jool's. natlab's tc program runs before them.
 */
import { linuxDiscardsHopByHop } from "../../packet/linux-hbh.ts";
import { outerIp, referenceDrops, sectionIs } from "./frame.ts";
import type { Explanation } from "./types.ts";

export { linuxDiscardsHopByHop };

export const routerChecks: Explanation[] = [
  {
    id: "router-discards-hop-by-hop",
    reference: "jool",
    what: "the router's Linux discards a Hop-by-Hop header it cannot accept (RFC 8200 §4.2 option actions, RFC 4942 padding) before Jool's hook; natlab skips the header unread",
    holds(d) {
      const ip = outerIp(d.frame.frame);
      return sectionIs(d, "6to4") && referenceDrops(d) && ip?.family === 6 && linuxDiscardsHopByHop(d.frame.frame);
    },
  },
];
