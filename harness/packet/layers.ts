/**
 * The packet syntax shared by lab files, golden cases and the codec.
 *
 * A packet is a list of layers, outermost first, written scapy-style:
 *
 *   - eth: {}
 *   - ipv6: {src: 64:ff9b:1:fffe::c0a8:201, dst: 64:ff9b:1:fffe::c0a8:202}
 *   - tcp: {sport: 40000, dport: 80, flags: S}
 *   - payload: {text: hello}
 *
 * Every field may be left out: the builder derives it (lengths, checksums,
 * next-header/protocol numbers, Ethernet type) or uses a default (TTL 64...).
 * Layers that follow an ICMP or ICMPv6 error are the quoted (offending)
 * packet, exactly as on the wire.
 *
 * The parser returns the same shape with every field filled in, so an
 * expectation in a lab file is simply a partial packet: fields it names must
 * be equal, fields it leaves out are ignored (see harness/match).
 *
 * This file is the one definition: types come from z.infer, validation from
 * the schemas, and the lab JSON Schema is generated from them.
 */
import { z } from "zod";

const u8 = z.number().int().min(0).max(0xff);
const u16 = z.number().int().min(0).max(0xffff);
const u32 = z.number().int().min(0).max(0xffffffff);
/** A checksum: a number, or "bad" to ask the builder for a wrong one (the right one plus one). */
export const Checksum = z
  .union([u16, z.literal("bad")])
  .describe('checksum value, or "bad" for a deliberately wrong one');
const mac = z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, "a MAC address like 02:00:00:00:00:0a");
const ipv4 = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "an IPv4 address like 192.0.2.1");
const ipv6 = z.string().regex(/^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$/, "an IPv6 address like 2001:db8::1");
const hex = z.string().regex(/^([0-9a-fA-F]{2}[ :]?)*$/, "hex bytes like 'de ad be ef'");

/** Option in IPv4 header or IPv6 HBH/DestOpts: type, then data bytes (length derived). */
export const IpOption = z.strictObject({
  type: u8.describe("option type (IPv4: 7 record route, 131 loose source route...; IPv6: 1 PadN...)"),
  data: hex.optional(),
  len: u8.optional().describe("option length; derived from data"),
});

export const Eth = z.strictObject({
  dst: mac.optional().describe("destination MAC; derived from the lab's neighbours when injecting"),
  src: mac.optional().describe("source MAC; the injecting device's MAC when injecting"),
  type: u16.optional().describe("EtherType; derived from the next layer"),
  pad: hex.optional().describe("bytes after the IP packet (Ethernet padding of a short frame), counted in no length"),
});

export const Ipv4 = z.strictObject({
  version: z.number().int().min(0).max(15).optional().describe("IP version; 4 unless you want a broken packet"),
  ihl: z.number().int().min(0).max(15).optional().describe("header length in 32-bit words; derived"),
  tos: u8.optional().describe("type of service: DSCP and ECN, the 8 bits RFC 7915 copies to the IPv6 traffic class"),
  len: u16.optional().describe("total length; derived"),
  id: u16.optional().describe("identification; on 6to4 output the translator chooses it (RFC 7915 section 5.1)"),
  df: z.boolean().optional().describe("don't fragment"),
  mf: z.boolean().optional().describe("more fragments"),
  rf: z.boolean().optional().describe("the reserved flag bit"),
  frag: z.number().int().min(0).max(0x1fff).optional().describe("fragment offset in 8-byte units"),
  ttl: u8.optional().describe("time to live; default 64 when building"),
  proto: u8.optional().describe("protocol; derived from the next layer"),
  chksum: Checksum.optional(),
  src: ipv4.optional().describe("source address"),
  dst: ipv4.optional().describe("destination address"),
  options: z.array(IpOption).optional().describe("IPv4 options; padded with EOL to a multiple of 4"),
});

export const Ipv6 = z.strictObject({
  version: z.number().int().min(0).max(15).optional().describe("IP version; 6 unless you want a broken packet"),
  tc: u8.optional().describe("traffic class"),
  fl: z.number().int().min(0).max(0xfffff).optional().describe("flow label"),
  plen: u16.optional().describe("payload length; derived"),
  nh: u8.optional().describe("next header; derived from the next layer"),
  hlim: u8.optional().describe("hop limit; default 64 when building"),
  src: ipv6.optional().describe("source address"),
  dst: ipv6.optional().describe("destination address"),
});

/** Hop-by-Hop (0) and Destination Options (60) headers. */
export const Ipv6Opts = z.strictObject({
  nh: u8.optional().describe("next header; derived from the next layer"),
  len: u8.optional().describe("length in 8-byte units, not counting the first 8; derived"),
  options: z.array(IpOption).optional().describe("options; PadN added to fill 8-byte units"),
});

export const Ipv6Routing = z.strictObject({
  nh: u8.optional().describe("next header; derived from the next layer"),
  len: u8.optional().describe("length in 8-byte units, not counting the first 8; derived"),
  type: u8.optional().describe("routing type (0, 2, 3 or 4)"),
  segleft: u8
    .optional()
    .describe(
      "segments left; a translator drops a packet whose routing header has segments left (RFC 7915 section 5.1)",
    ),
  reserved: u32.optional().describe("the 32 bits after segments left"),
  addresses: z.array(ipv6).optional().describe("the addresses of a type 0 routing header"),
});

export const Ipv6Frag = z.strictObject({
  nh: u8.optional().describe("next header; derived from the next layer"),
  res: u8.optional().describe("the reserved 8 bits after next header"),
  offset: z.number().int().min(0).max(0x1fff).optional().describe("fragment offset in 8-byte units"),
  res2: z.number().int().min(0).max(3).optional().describe("the 2 reserved bits before M"),
  m: z.boolean().optional().describe("more fragments"),
  id: u32.optional().describe("fragment identification (32 bits)"),
});

export const Tcp = z.strictObject({
  sport: u16.optional().describe("source port"),
  dport: u16.optional().describe("destination port"),
  seq: u32.optional().describe("sequence number"),
  ack: u32.optional().describe("acknowledgement number"),
  dataofs: z.number().int().min(0).max(15).optional().describe("header length in 32-bit words; derived"),
  reserved: z.number().int().min(0).max(15).optional().describe("the 4 reserved bits"),
  flags: z
    .string()
    .regex(/^[FSRPAUECN]*$/, "TCP flags as letters, e.g. S, SA, PA, FA")
    .optional(),
  window: u16.optional().describe("receive window"),
  chksum: Checksum.optional().describe("checksum; derived unless given"),
  urgptr: u16.optional().describe("urgent pointer"),
  options: hex.optional().describe("raw option bytes, padded with NOP/EOL to 4"),
});

export const Udp = z.strictObject({
  sport: u16.optional().describe("source port"),
  dport: u16.optional().describe("destination port"),
  len: u16.optional().describe("UDP length, header included; derived"),
  chksum: Checksum.optional().describe("0 means no checksum (IPv4 only)"),
});

/** One object of an RFC 4884 extension structure (section 7): length derived, class, C-Type, data. */
export const IcmpExtObject = z.strictObject({
  class: u8.describe("Class-Num (1 MPLS label stack, RFC 4950; 2 interface information, RFC 5837...)"),
  ctype: u8.describe("C-Type"),
  data: hex.optional().describe("the object's payload"),
  size: z
    .number()
    .int()
    .min(0)
    .max(65531)
    .optional()
    .describe("instead of data: this many bytes of the counting pattern"),
  len: u16.optional().describe("object length, its 4-byte header included; derived"),
});

/** The RFC 4884 extension structure (section 7) after an error's original datagram field. */
export const IcmpExt = z.strictObject({
  version: z.number().int().min(0).max(15).optional().describe("extension version; 2"),
  chksum: Checksum.optional().describe("checksum over the extension structure only; derived unless given"),
  objects: z.array(IcmpExtObject).describe("the extension objects, in order"),
  data: hex
    .optional()
    .describe(
      "bytes after the objects, raw: what the parser gives when the bytes after the extension header are not a list of objects",
    ),
});

/**
 * ICMP and ICMPv6 share a shape. The 4 bytes after the checksum mean
 * different things per type; name the field that fits, or give `rest`
 * as the raw 32-bit word.
 *   echo:                      id, seq
 *   IPv4 frag needed (3/4):    mtu (next-hop MTU)
 *   ICMPv6 packet too big (2): mtu (32 bits)
 *   parameter problem:         ptr (8 bits in ICMP, 32 in ICMPv6)
 *   RFC 4884 errors:           length (of the original datagram, in 32/64-bit words)
 */
export const Icmp = z.strictObject({
  type: u8
    .optional()
    .describe("message type (ICMP: 8 echo request, 3 unreachable...; ICMPv6: 128 echo request, 1 unreachable...)"),
  code: u8.optional().describe("message code"),
  chksum: Checksum.optional().describe("checksum; derived unless given"),
  id: u16.optional().describe("echo identifier"),
  seq: u16.optional().describe("echo sequence number"),
  mtu: u32.optional().describe("next-hop MTU of a Fragmentation Needed (ICMP 3/4) or Packet Too Big (ICMPv6 2)"),
  ptr: u32.optional().describe("pointer of a Parameter Problem: 8 bits in ICMP, 32 in ICMPv6"),
  gw: ipv4.optional().describe("gateway address of an ICMP redirect"),
  length: u8.optional().describe("RFC 4884 length of the original datagram, in 32-bit (ICMP) or 64-bit (ICMPv6) words"),
  rest: u32.optional().describe("the 32 bits after the checksum, raw"),
  ext: IcmpExt.optional().describe(
    "errors only: an RFC 4884 extension structure after the quote, which is zero-padded to `length` words first (build only: the parser leaves it in the quote)",
  ),
  quotelen: u16
    .optional()
    .describe(
      "errors only: bytes of the quoted packet present; the builder cuts the quoted packet to this length (its lengths and checksums still describe the whole original); the parser fills it when the quote is shorter than the quoted IP length says",
    ),
});

export const Payload = z.strictObject({
  text: z.string().optional().describe("UTF-8 text"),
  hex: hex.optional(),
  size: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .optional()
    .describe("length in bytes, filled with `fill` (default a counting pattern)"),
  fill: u8.optional().describe("the byte `size` is filled with"),
});

export const Layer = z.union([
  z.strictObject({ eth: Eth.describe("Ethernet II header") }),
  z.strictObject({ ipv4: Ipv4.describe("IPv4 header") }),
  z.strictObject({ ipv6: Ipv6.describe("IPv6 header") }),
  z.strictObject({ hbh: Ipv6Opts.describe("IPv6 Hop-by-Hop Options header") }),
  z.strictObject({ dstopts: Ipv6Opts.describe("IPv6 Destination Options header") }),
  z.strictObject({ routing: Ipv6Routing.describe("IPv6 Routing header") }),
  z.strictObject({ frag: Ipv6Frag.describe("IPv6 Fragment header") }),
  z.strictObject({ tcp: Tcp.describe("TCP header") }),
  z.strictObject({ udp: Udp.describe("UDP header") }),
  z.strictObject({ icmp: Icmp.describe("ICMP (IPv4) header; after an error, the quoted packet follows") }),
  z.strictObject({ icmpv6: Icmp.describe("ICMPv6 header; after an error, the quoted packet follows") }),
  z.strictObject({ payload: Payload.describe("bytes after the last header") }),
]);
export const Packet = z.array(Layer).min(1).describe("layers, outermost first");

export type Layer = z.infer<typeof Layer>;
export type Packet = z.infer<typeof Packet>;
export type EthFields = z.infer<typeof Eth>;
export type Ipv4Fields = z.infer<typeof Ipv4>;
export type Ipv6Fields = z.infer<typeof Ipv6>;
export type Ipv6OptsFields = z.infer<typeof Ipv6Opts>;
export type Ipv6RoutingFields = z.infer<typeof Ipv6Routing>;
export type Ipv6FragFields = z.infer<typeof Ipv6Frag>;
export type TcpFields = z.infer<typeof Tcp>;
export type UdpFields = z.infer<typeof Udp>;
export type IcmpFields = z.infer<typeof Icmp>;
export type IcmpExtFields = z.infer<typeof IcmpExt>;
export type PayloadFields = z.infer<typeof Payload>;
/** The name of a layer: "eth", "ipv4", ... */
export type LayerName = Layer extends infer L ? (L extends Record<infer K, unknown> ? K & string : never) : never;

/** The one key of a layer object. */
export function layerName(layer: Layer): LayerName {
  return Object.keys(layer)[0] as LayerName;
}
/** The fields of a layer object. */
export function layerFields(layer: Layer): Record<string, unknown> {
  return Object.values(layer)[0] as Record<string, unknown>;
}
