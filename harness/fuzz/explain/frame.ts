/**
 * Reading the frames of a disagreement, for the explanations: kernel
 * constant names, offsets into an Ethernet frame, and the checks every
 * explanation repeats (the direction, the verdicts, the fields that differ).
 */
import { parsePrefix, V4_BYTES } from "../../packet/prefix.ts";
import type { Disagreement } from "./types.ts";

export const ETH = 14;
export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const IPV6_HEADER = 40;
export const IPPROTO_ICMP = 1;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPV6_MIN_MTU = 1280;
/** ICMPv4 errors (RFC 792) and ICMPv6 errors (RFC 4443: types below 128). */
export const ICMP_ERROR_TYPES = new Set([3, 4, 5, 11, 12]);

/** The input's IPv6 Traffic Class, or undefined when it is not IPv6. */
export function trafficClass(f: Buffer): number | undefined {
  if (f.length < ETH + IPV6_HEADER || f.readUInt16BE(12) !== ETH_P_IPV6) return undefined;
  return (f.readUInt16BE(ETH) >> 4) & 0xff;
}

/** Offset of an IPv4 packet's payload, with its protocol and whether it is a fragment, or undefined. */
export function ipv4Payload(f: Buffer): { at: number; proto: number; fragment: boolean; df: boolean } | undefined {
  if (f.length < ETH + 20 || f.readUInt16BE(12) !== ETH_P_IP) return undefined;
  const frag = f.readUInt16BE(ETH + 6);
  return {
    at: ETH + 4 * (f[ETH] & 0x0f),
    proto: f[ETH + 9],
    fragment: (frag & 0x3fff) !== 0,
    df: (frag & 0x4000) !== 0,
  };
}

/** Whether the disagreement is in this direction. */
export const sectionIs = (d: Disagreement, s: "6to4" | "4to6") => d.comparison.kind.startsWith(`${s}:`);

/** Whether both translated and every field that differs is one of `allowed`. */
export const onlyFields = (d: Disagreement, allowed: string[]) =>
  d.comparison.fields.length > 0 && d.comparison.fields.every((f) => allowed.includes(f));

/** Whether the class is "<section>: natlab translates, <reference> drops it" (or routes it untranslated). */
export const referenceDrops = (d: Disagreement) =>
  / natlab translates, \S+ (drops it|routes it untranslated)$/.test(d.comparison.kind);

/** Whether the class is "<section>: natlab drops it, <reference> translates". */
export const natlabDrops = (d: Disagreement) => / natlab drops it, \S+ translates$/.test(d.comparison.kind);

export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_DSTOPTS = 60;
const IP6_MF_OFFSET = 0xfff8;
const IP_OFFSET = 0x1fff;

/** An IP packet inside a frame: where its upper layer starts, which it is, and whether it is a later fragment. */
export interface IpView {
  family: 4 | 6;
  /** Offset of the IP header in the frame. */
  at: number;
  /** Where the packet ends: its own length, or the frame's end when that is shorter. */
  end: number;
  /** The upper-layer protocol (after IPv6's Hop-by-Hop, Routing, Destination Options and Fragment headers). */
  proto: number;
  /** Offset of the upper-layer header. */
  l4: number;
  /** A fragment other than the first (IPv4 offset, or an IPv6 Fragment Header's offset, not zero). */
  later: boolean;
  /** The IPv4 source and destination, or the IPv6 ones (16 bytes each). */
  src: Buffer;
  dst: Buffer;
}

/** The IP packet at `at` (`family` by its version field), or undefined when its fixed header is not all there. */
export function ipAt(f: Buffer, at: number, family: 4 | 6): IpView | undefined {
  if (family === 4) {
    if (f.length < at + 20) return undefined;
    const end = Math.min(f.length, at + f.readUInt16BE(at + 2));
    return {
      family,
      at,
      end,
      proto: f[at + 9],
      l4: at + 4 * (f[at] & 0x0f),
      later: (f.readUInt16BE(at + 6) & IP_OFFSET) !== 0,
      src: f.subarray(at + 12, at + 16),
      dst: f.subarray(at + 16, at + 20),
    };
  }
  if (f.length < at + IPV6_HEADER) return undefined;
  const end = Math.min(f.length, at + IPV6_HEADER + f.readUInt16BE(at + 4));
  let proto = f[at + 6];
  let o = at + IPV6_HEADER;
  let later = false;
  // RFC 8200 §4: the extension headers a translator skips, at most a handful (natlab's own bound is six).
  for (let k = 0; k < 16 && o + 8 <= end; k++) {
    if (proto === IPPROTO_FRAGMENT) {
      later ||= (f.readUInt16BE(o + 2) & IP6_MF_OFFSET) !== 0;
      proto = f[o];
      o += 8;
    } else if (proto === IPPROTO_HOPOPTS || proto === IPPROTO_ROUTING || proto === IPPROTO_DSTOPTS) {
      proto = f[o];
      o += 8 * (f[o + 1] + 1);
    } else break;
  }
  return { family, at, end, proto, l4: o, later, src: f.subarray(at + 8, at + 24), dst: f.subarray(at + 24, at + 40) };
}

/** The frame's own IP packet, by its EtherType. */
export function outerIp(f: Buffer): IpView | undefined {
  if (f.length < ETH) return undefined;
  const type = f.readUInt16BE(12);
  return type === ETH_P_IP ? ipAt(f, ETH, 4) : type === ETH_P_IPV6 ? ipAt(f, ETH, 6) : undefined;
}

/** ICMPv6 error types (RFC 4443 §2.1: below 128) and ICMPv4's that quote a packet. */
const ICMP4_QUOTING = new Set([3, 11, 12]);

/** An ICMP error of the frame's own family (outer): its header's offset and the quoted IP packet, if whole. */
export function icmpError(f: Buffer): { ip: IpView; icmp: number; quoted?: IpView } | undefined {
  const ip = outerIp(f);
  if (!ip || ip.later || ip.l4 + 8 > ip.end) return undefined;
  const isError =
    ip.family === 4
      ? ip.proto === IPPROTO_ICMP && ICMP4_QUOTING.has(f[ip.l4])
      : ip.proto === IPPROTO_ICMPV6 && f[ip.l4] < 128;
  if (!isError) return undefined;
  return { ip, icmp: ip.l4, quoted: ipAt(f, ip.l4 + 8, ip.family) };
}

/** Where an RFC 4884 length attribute sits in an ICMP header: byte 5 of ICMPv4's, byte 4 of ICMPv6's. */
export const RFC4884_LENGTH_AT: Record<4 | 6, number> = { 4: 5, 6: 4 };

/**
 * The original-datagram length an ICMP error's RFC 4884 length attribute
 * gives, in bytes (§4.1: ICMPv4 3, 11, 12 count 32-bit words; §4.5:
 * ICMPv6 1, 3 count 64-bit words); 0 for another type or no attribute.
 */
export function rfc4884Bytes(f: Buffer, e: { ip: IpView; icmp: number }): number {
  const type = f[e.icmp];
  const words = f[e.icmp + RFC4884_LENGTH_AT[e.ip.family]];
  if (e.ip.family === 4) return [3, 11, 12].includes(type) ? 4 * words : 0;
  return [1, 3].includes(type) ? 8 * words : 0;
}

/** In a translated ICMP error (`family` its own), the quoted IP packet: after the outer header and 8 bytes of ICMP. */
export function translatedQuote(out: Buffer, family: 4 | 6): IpView | undefined {
  const ip = ipAt(out, ETH, family);
  return ip && ipAt(out, ip.l4 + 8, family);
}

/** The one's complement sum of `b` (RFC 1071), folded to 16 bits. */
export function sum16(b: Buffer, initial = 0): number {
  let s = initial;
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i);
  if (b.length % 2) s += b[b.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Whether the ICMP (or ICMPv6, with its pseudo-header) message of `ip` sums right. */
export function icmpChecksumRight(f: Buffer, ip: IpView): boolean {
  const msg = f.subarray(ip.l4, ip.end);
  if (ip.family === 4) return sum16(msg) === 0xffff;
  const pseudo = Buffer.alloc(40);
  ip.src.copy(pseudo, 0);
  ip.dst.copy(pseudo, 16);
  pseudo.writeUInt32BE(msg.length, 32);
  pseudo[39] = IPPROTO_ICMPV6;
  return sum16(msg, sum16(pseudo)) === 0xffff;
}

/** The upper-layer header bytes a translator reads of a quoted packet: TCP's whole header, UDP's and ICMP's 8. */
export function quotedTransportWhole(f: Buffer, q: IpView, end: number): boolean {
  const have = Math.min(q.end, end) - q.l4;
  if (q.later) return true;
  if (q.proto === IPPROTO_TCP) return have >= 20 && have >= 4 * (f[q.l4 + 12] >> 4);
  if (q.proto === IPPROTO_UDP || q.proto === IPPROTO_ICMP || q.proto === IPPROTO_ICMPV6) return have >= 8;
  return true;
}

/**
 * The IPv4 address an IPv6 address embeds under a prefix "P/LEN" (RFC 6052 §2.2, prefix.ts's
 * table), or undefined for another length. Unlike extractIpv4, the prefix bytes are not
 * compared: a fuzzed frame's address is read where the translator would read it.
 */
export function embeddedIpv4(addr: Buffer, prefix: string): Buffer | undefined {
  const at = V4_BYTES[Number(prefix.split("/")[1])];
  return at && addr.length === 16 ? Buffer.from(at.map((i) => addr[i])) : undefined;
}

/**
 * Whether an IPv4 address has less than global scope in Jool's reading
 * (addr4_is_scope_subnet(), mod/common/address.c): network 0, loopback
 * 127/8, link-local 169.254/16, multicast 224/4, the limited broadcast.
 */
export function subnetScoped(a: Buffer): boolean {
  return (
    a[0] === 0 ||
    a[0] === 127 ||
    (a[0] === 169 && a[1] === 254) ||
    (a[0] >= 224 && a[0] < 240) ||
    a.equals(Buffer.from([255, 255, 255, 255]))
  );
}

/** Whether an IPv6 address lies in the prefix "P/LEN" (its first LEN bits; natlab's lengths are whole bytes). */
export function inPrefix(addr: Buffer, prefix: string): boolean {
  const p = parsePrefix(prefix);
  return addr.length === 16 && addr.subarray(0, p.len / 8).equals(Buffer.from(p.bytes.subarray(0, p.len / 8)));
}

/**
 * What an explanation of a translated ICMP error starts from: the frame, its error, natlab's
 * output and the reference's (`theirs`, its first output unless given), and the direction.
 * Undefined unless the frame is an ICMP error of either section and both sides sent one.
 */
export function errorOutputs(
  d: Disagreement,
  theirs: Buffer | undefined = d.theirs[0],
):
  | { f: Buffer; e: NonNullable<ReturnType<typeof icmpError>>; ours: Buffer; theirs: Buffer; four: boolean }
  | undefined {
  const four = sectionIs(d, "4to6");
  const e = icmpError(d.frame.frame);
  if (!(four || sectionIs(d, "6to4")) || !e || !d.ours || !theirs) return undefined;
  return { f: d.frame.frame, e, ours: d.ours, theirs, four };
}
