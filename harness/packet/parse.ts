/**
 * Bytes to a Packet: the same layer list the builder takes, every field
 * filled. It never throws: what it cannot decode becomes a `payload` layer
 * and a line in `problems`. Layers after an ICMP/ICMPv6 error are the quoted
 * packet, which may be cut short (then its last header carries only the
 * fields whose bytes are present, and the error's `quotelen` says how many
 * bytes were quoted).
 */
import { decodeEth, ETH_HLEN, layerOfEtherType } from "./eth.ts";
import { decodeIcmp, decodeIcmpExt, ICMP_HLEN, isIcmpError } from "./icmp.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6, IPV6_HLEN } from "./ipv6.ts";
import { decodeFrag, decodeIpv6Opts, decodeRouting } from "./ipv6ext.ts";
import type { Layer, LayerName, Packet } from "./layers.ts";
import { layerOfProto } from "./numbers.ts";
import { decodePayload } from "./payload.ts";
import { decodeSll, LINKTYPE } from "./pcap.ts";
import { decodeTcp } from "./tcp.ts";
import { decodeUdp, UDP_HLEN } from "./udp.ts";

export interface ParseOptions {
  /** pcap link type of the frame: 1 Ethernet (default), 113 LINUX_SLL, 276 LINUX_SLL2, 101/228/229 raw IP. */
  linktype?: number;
}

/** Where a layer sits in the frame: header [start, hdrEnd), with what it carries up to `end`. */
export interface Span {
  name: LayerName;
  start: number;
  hdrEnd: number;
  end: number;
  quoted: boolean;
  /** IP layers: the datagram is all there (its length field fits the bytes present). */
  complete?: boolean;
}

export interface Decoded {
  packet: Packet;
  spans: Span[];
  /** What was malformed, one line each, with the byte offset. */
  problems: string[];
  /** Bytes after the outermost IP datagram (Ethernet padding). */
  trailer: Buffer;
}

export function parse(frame: Buffer, opts: ParseOptions = {}): Packet {
  return decode(frame, opts).packet;
}

export function decode(frame: Buffer, opts: ParseOptions = {}): Decoded {
  const d = new Decoder(frame);
  try {
    d.run(opts.linktype ?? LINKTYPE.ETHERNET);
  } catch (e) {
    // A decoder bug must not lose the frame: keep what was decoded, the rest as payload.
    d.problems.push(`decoder error at byte ${d.off}: ${(e as Error).message}`);
    if (d.off < d.end) d.push("payload", decodePayload(frame.subarray(d.off, d.end)), d.off, d.end, d.end);
  }
  // A Packet has at least one layer: an empty frame is an empty payload.
  if (d.layers.length === 0) d.push("payload", decodePayload(frame), 0, 0, 0);
  return { packet: d.layers as Packet, spans: d.spans, problems: d.problems, trailer: d.trailer };
}

class Decoder {
  layers: Layer[] = [];
  spans: Span[] = [];
  problems: string[] = [];
  trailer: Buffer = Buffer.alloc(0);
  off = 0;
  end: number;
  quoted = false;
  /** Inside a fragment: the transport length fields describe the whole datagram, not these bytes. */
  fragment = false;

  constructor(readonly b: Buffer) {
    this.end = b.length;
  }

  push(name: LayerName, fields: object, start: number, hdrEnd: number, end: number, complete?: boolean): void {
    this.layers.push({ [name]: fields } as Layer);
    this.spans.push({ name, start, hdrEnd, end, quoted: this.quoted, ...(complete === undefined ? {} : { complete }) });
  }

  problem(what: string): void {
    this.problems.push(`${this.quoted ? "quoted " : ""}${what} at byte ${this.off}`);
  }

  run(linktype: number): void {
    let kind: LayerName = this.first(linktype);
    while (this.off < this.end) kind = this.step(kind);
  }

  /** The link-layer header; SLL headers become an Ethernet layer (see pcap.ts). */
  first(linktype: number): LayerName {
    if (linktype === LINKTYPE.ETHERNET) return "eth";
    if (linktype === LINKTYPE.LINUX_SLL || linktype === LINKTYPE.LINUX_SLL2) {
      const s = decodeSll(this.b, linktype);
      if (!s) {
        this.problem(`link type ${linktype} header cut short`);
        return "payload";
      }
      this.push("eth", s.eth, 0, s.hlen, this.end);
      this.off = s.hlen;
      return layerOfEtherType(s.eth.type);
    }
    if (linktype === LINKTYPE.RAW || linktype === LINKTYPE.IPV4 || linktype === LINKTYPE.IPV6)
      return this.ipByVersion();
    this.problem(`unknown link type ${linktype}`);
    return "payload";
  }

  ipByVersion(): LayerName {
    const v = this.b[this.off] >> 4;
    return v === 4 ? "ipv4" : v === 6 ? "ipv6" : "payload";
  }

  /** Decode one layer at this.off, advance, and return the kind of the next. */
  step(kind: LayerName): LayerName {
    const { b, off } = this;
    const avail = this.end - off;
    const raw = (why: string): LayerName => {
      this.problem(why);
      return this.step("payload");
    };
    switch (kind) {
      case "eth": {
        if (avail < ETH_HLEN) return raw(`Ethernet header needs ${ETH_HLEN} bytes, ${avail} present`);
        const f = decodeEth(b, off);
        this.push("eth", f, off, off + ETH_HLEN, this.end);
        this.off += ETH_HLEN;
        return layerOfEtherType(f.type);
      }
      case "ipv4": {
        if (avail < 20) return raw(`IPv4 header needs 20 bytes, ${avail} present`);
        const ihl = b[off] & 0xf;
        if (b[off] >> 4 !== 4 || ihl < 5 || ihl * 4 > avail)
          return raw(`IPv4 version ${b[off] >> 4}, IHL ${ihl} do not fit ${avail} bytes`);
        const f = decodeIpv4(b, off, ihl);
        const complete = this.bound(off, f.len, ihl * 4, "IPv4 total length");
        this.fragment = f.mf || f.frag > 0;
        this.push("ipv4", f, off, off + ihl * 4, this.end, complete);
        this.off += ihl * 4;
        // A fragment after the first carries no transport header (RFC 791 section 2.3).
        return f.frag > 0 ? "payload" : layerOfProto(f.proto);
      }
      case "ipv6": {
        if (avail < IPV6_HLEN || b[off] >> 4 !== 6)
          return raw(`IPv6 header needs 40 bytes and version 6, ${avail} bytes present`);
        const f = decodeIpv6(b, off);
        const complete = this.bound(off, IPV6_HLEN + f.plen, IPV6_HLEN, "IPv6 payload length");
        this.push("ipv6", f, off, off + IPV6_HLEN, this.end, complete);
        this.off += IPV6_HLEN;
        return layerOfProto(f.nh);
      }
      case "hbh":
      case "dstopts":
      case "routing": {
        const hlen = avail >= 2 ? (b[off + 1] + 1) * 8 : 8;
        if (avail < hlen) return raw(`${kind} header needs ${hlen} bytes, ${avail} present`);
        const f = kind === "routing" ? decodeRouting(b, off, off + hlen) : decodeIpv6Opts(b, off, off + hlen);
        if (kind === "routing" && (hlen - 8) % 16 !== 0)
          this.problem(`routing header data of ${hlen - 8} bytes is not whole addresses`);
        this.push(kind, f, off, off + hlen, this.end);
        this.off += hlen;
        return layerOfProto(f.nh);
      }
      case "frag": {
        if (avail < 8) return raw(`fragment header needs 8 bytes, ${avail} present`);
        const f = decodeFrag(b, off);
        this.fragment = f.m || f.offset > 0;
        this.push("frag", f, off, off + 8, this.end);
        this.off += 8;
        return f.offset > 0 ? "payload" : layerOfProto(f.nh);
      }
      case "tcp": {
        if (avail < 4) return raw(`TCP header needs 20 bytes, ${avail} present`);
        const f = decodeTcp(b, off, this.end);
        const hlen = Math.max(20, (f.dataofs ?? 5) * 4);
        if (avail < hlen && !this.quoted) this.problem(`TCP header of ${hlen} bytes cut short at ${avail}`);
        if (f.dataofs !== undefined && f.dataofs < 5) this.problem(`TCP data offset ${f.dataofs} is below 5`);
        const hdrEnd = Math.min(off + hlen, this.end);
        this.push("tcp", f, off, hdrEnd, this.end);
        this.off = hdrEnd;
        return "payload";
      }
      case "udp": {
        if (avail < UDP_HLEN) return raw(`UDP header needs 8 bytes, ${avail} present`);
        const f = decodeUdp(b, off);
        if (f.len < UDP_HLEN) this.problem(`UDP length ${f.len} is below 8`);
        else if (f.len > avail && !this.quoted && !this.fragment)
          this.problem(`UDP length ${f.len} but ${avail} bytes present`);
        else if (f.len < avail)
          this.problem(`UDP length ${f.len} but the IP layer carries ${avail} bytes (the rest is kept in the payload)`);
        this.push("udp", f, off, off + UDP_HLEN, this.end);
        this.off += UDP_HLEN;
        return "payload";
      }
      case "icmp":
      case "icmpv6": {
        if (avail < ICMP_HLEN) return raw(`${kind} header needs 8 bytes, ${avail} present`);
        const family = kind === "icmp" ? 4 : 6;
        const f = decodeIcmp(b, off, family);
        this.off += ICMP_HLEN;
        if (f.type === undefined || !isIcmpError(family, f.type) || this.off >= this.end) {
          this.push(kind, f, off, off + ICMP_HLEN, this.end);
          return "payload";
        }
        const msgEnd = this.end;
        const ext = decodeIcmpExt(b, this.off, this.end, family, f);
        if (ext) {
          f.ext = ext.ext; // RFC 4884: the quote is the original datagram field, the extension after it
          this.end = this.off + ext.field;
          // a datagram shorter than the field: the rest is the field's zero padding, rebuilt from `length`
          const whole = this.quotedLength();
          if (
            whole !== undefined &&
            whole < ext.field &&
            b.subarray(this.off + whole, this.end).every((x) => x === 0)
          ) {
            this.end = this.off + whole;
          }
        }
        const original = this.quotedLength();
        if (original !== undefined && original > this.end - this.off) f.quotelen = this.end - this.off;
        this.push(kind, f, off, off + ICMP_HLEN, msgEnd);
        this.quoted = true;
        this.fragment = false;
        return this.ipByVersion();
      }
      default: {
        this.push("payload", decodePayload(b.subarray(off, this.end)), off, this.end, this.end);
        this.off = this.end;
        return "payload";
      }
    }
  }

  /** The original length of the packet an ICMP error quotes, from its IP header, when that much is present. */
  quotedLength(): number | undefined {
    const { b, off } = this;
    const v = b[off] >> 4;
    if (v === 4 && this.end - off >= 4) return b.readUInt16BE(off + 2);
    if (v === 6 && this.end - off >= 6) return IPV6_HLEN + b.readUInt16BE(off + 4);
    return undefined;
  }

  /**
   * Limit what follows to the datagram's stated length. Returns whether the
   * whole datagram is present. Bytes beyond it are the trailer (Ethernet
   * padding) for the outermost datagram, a problem elsewhere.
   */
  bound(off: number, len: number, hlen: number, what: string): boolean {
    const avail = this.end - off;
    if (len < hlen) {
      this.problem(`${what} ${len} is shorter than the ${hlen}-byte header`);
      return false;
    }
    if (len > avail) {
      if (!this.quoted) this.problem(`${what} ${len} but ${avail} bytes present`);
      return false;
    }
    if (len < avail) {
      const outermost = !this.quoted && !this.spans.some((s) => s.name === "ipv4" || s.name === "ipv6");
      if (outermost) this.trailer = this.b.subarray(off + len, this.end);
      else this.problem(`${avail - len} bytes after the ${len}-byte datagram are ignored`);
      this.end = off + len;
    }
    return true;
  }
}
