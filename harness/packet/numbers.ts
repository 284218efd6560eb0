/** Protocol numbers (IANA "Assigned Internet Protocol Numbers") and EtherTypes the codec knows. */
import type { LayerName } from "./layers.ts";

export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
/** IEEE 802 "Local Experimental EtherType 1": what an Ethernet frame carrying no IP layer gets by default. */
export const ETH_P_EXPERIMENTAL = 0x88b5;

export const IPPROTO = {
  hbh: 0,
  icmp: 1,
  ipv4: 4,
  tcp: 6,
  udp: 17,
  ipv6: 41,
  routing: 43,
  frag: 44,
  icmpv6: 58,
  none: 59,
  dstopts: 60,
  /** RFC 5237: reserved; used for an IPv4 packet whose next layer is raw payload. */
  reserved: 255,
} as const;

/** The protocol number announcing `next` in an IPv4 protocol or IPv6 next-header field. */
export function protoOf(next: LayerName | undefined, family: 4 | 6): number {
  switch (next) {
    case "hbh":
    case "icmp":
    case "ipv4":
    case "tcp":
    case "udp":
    case "ipv6":
    case "routing":
    case "frag":
    case "icmpv6":
    case "dstopts":
      return IPPROTO[next];
    default:
      // Nothing or raw bytes follow: RFC 8200 section 4.7 "No Next Header" for IPv6.
      return family === 6 ? IPPROTO.none : IPPROTO.reserved;
  }
}

/** The layer a protocol number announces; "payload" for anything the codec does not decode. */
export function layerOfProto(proto: number): LayerName {
  for (const [name, n] of Object.entries(IPPROTO)) {
    if (n === proto && name !== "none" && name !== "reserved") return name as LayerName;
  }
  return "payload";
}
