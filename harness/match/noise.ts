/**
 * Packets a link sends on its own, which a flow did not cause: a fresh IPv6
 * interface solicits routers, joins multicast groups and probes for duplicate
 * addresses; IPv4 resolves neighbours and reports IGMP memberships; switches
 * and some hosts send LLDP. Captures drop these before matching unless a
 * flow sets `noise: true`, so "nothing else was seen" (`only`) stays true.
 */
import { layerFields, layerName, type Packet } from "../packet/layers.ts";

const ETH_ARP = 0x0806;
const ETH_LLDP = 0x88cc;
const IPPROTO_IGMP = 2;

/**
 * ICMPv6 types of link housekeeping:
 *   130-132 MLDv1 query, report, done (RFC 2710 §3); 143 MLDv2 report (RFC 3810 §5.2);
 *   133-136 router and neighbour solicitation/advertisement (RFC 4861 §4), which
 *   includes DAD probes: neighbour solicitations from :: (RFC 4862 §5.4.2).
 */
const ICMPV6_NOISE = new Set([130, 131, 132, 133, 134, 135, 136, 143]);

/** Whether a packet is link housekeeping rather than traffic a flow sent. Works on partial packets too. */
export function isNoise(packet: Packet): boolean {
  for (const layer of packet) {
    const name = layerName(layer);
    const f = layerFields(layer);
    switch (name) {
      case "eth":
        if (f.type === ETH_ARP || f.type === ETH_LLDP) return true;
        break;
      case "ipv4":
        return f.proto === IPPROTO_IGMP;
      case "ipv6":
      case "hbh":
      case "dstopts":
        // MLD rides behind a Hop-by-Hop header (RFC 2711 router alert): look further.
        break;
      case "icmpv6":
        return ICMPV6_NOISE.has(f.type as number);
      default:
        return false;
    }
  }
  return false;
}
