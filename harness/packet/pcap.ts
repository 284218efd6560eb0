/**
 * Classic libpcap files (https://www.tcpdump.org/manpages/pcap-savefile.5.html):
 * a 24-byte file header, then per frame a 16-byte record header and the
 * bytes. Written by hand rather than taken from a library because we need
 * both reading and writing, synchronously, and the format is that small.
 * Reads both byte orders and both time resolutions (microseconds, magic
 * 0xa1b2c3d4; nanoseconds, 0xa1b23c4d); writes little-endian microseconds.
 * pcapng (what tshark writes by default) is not read: capture with tcpdump -w.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { formatMac } from "./addr.ts";
import type { EthFields } from "./layers.ts";

export const LINKTYPE = {
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface PcapFrame {
  /** Seconds since the epoch, fractional. */
  ts: number;
  data: Buffer;
  /** Length on the wire when the capture cut the frame (snaplen); absent when whole. */
  origLen?: number;
}

export interface Pcap {
  linktype: number;
  frames: PcapFrame[];
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

export function readPcap(source: string | Buffer): Pcap {
  const where = typeof source === "string" ? source : "buffer";
  const b = typeof source === "string" ? readFileSync(source) : source;
  if (b.length < 24) throw new Error(`${where}: ${b.length} bytes is too short for a pcap file header (24)`);
  const le = b.readUInt32LE(0);
  const be = b.readUInt32BE(0);
  let little: boolean;
  let nano: boolean;
  if (le === MAGIC_US || le === MAGIC_NS) [little, nano] = [true, le === MAGIC_NS];
  else if (be === MAGIC_US || be === MAGIC_NS) [little, nano] = [false, be === MAGIC_NS];
  else if (be === 0x0a0d0d0a)
    throw new Error(
      `${where}: this is pcapng, not classic pcap; capture with tcpdump -w, or convert with editcap -F pcap`,
    );
  else throw new Error(`${where}: not a pcap file (magic 0x${be.toString(16)})`);
  const u32 = (o: number) => (little ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linktype = u32(20) & 0xffff; // the upper bits hold FCS information
  const frames: PcapFrame[] = [];
  let o = 24;
  // A record cut short (tcpdump killed mid-write) ends the file rather than failing it.
  while (o + 16 <= b.length) {
    const sec = u32(o);
    const frac = u32(o + 4);
    const incl = u32(o + 8);
    const orig = u32(o + 12);
    if (o + 16 + incl > b.length) break;
    const frame: PcapFrame = {
      ts: sec + frac / (nano ? 1e9 : 1e6),
      data: Buffer.from(b.subarray(o + 16, o + 16 + incl)),
    };
    if (orig !== incl) frame.origLen = orig;
    frames.push(frame);
    o += 16 + incl;
  }
  return { linktype, frames };
}

/** The bytes of a pcap file; frames given as bare Buffers get timestamps 0, 1 µs, 2 µs, ... */
export function pcapBytes(frames: (PcapFrame | Buffer)[], linktype: number = LINKTYPE.ETHERNET): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(MAGIC_US, 0);
  h.writeUInt16LE(2, 4); // version 2.4
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(262144, 16); // snaplen
  h.writeUInt32LE(linktype, 20);
  const parts: Buffer[] = [h];
  frames.forEach((f, i) => {
    const fr: PcapFrame = Buffer.isBuffer(f) ? { ts: i / 1e6, data: f } : f;
    const r = Buffer.alloc(16);
    let sec = Math.floor(fr.ts);
    let usec = Math.round((fr.ts - sec) * 1e6);
    if (usec >= 1e6) [sec, usec] = [sec + 1, usec - 1e6];
    r.writeUInt32LE(sec, 0);
    r.writeUInt32LE(usec, 4);
    r.writeUInt32LE(fr.data.length, 8);
    r.writeUInt32LE(fr.origLen ?? fr.data.length, 12);
    parts.push(r, fr.data);
  });
  return Buffer.concat(parts);
}

export function writePcap(path: string, frames: (PcapFrame | Buffer)[], linktype: number = LINKTYPE.ETHERNET): void {
  writeFileSync(path, pcapBytes(frames, linktype));
}

/** What a Linux "cooked" header says beyond the Ethernet-like view. */
export interface SllInfo {
  /** 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us (outgoing). */
  pkttype: number;
  hatype: number;
  /** SLL2 only. */
  ifindex?: number;
  addr: string;
}

/**
 * `tcpdump -i any` writes LINUX_SLL (16-byte header) or LINUX_SLL2 (20
 * bytes) instead of Ethernet (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html).
 * We show it as an Ethernet layer, so lab expectations need no second shape:
 * type = the SLL protocol field, src = the link-layer address when it is a
 * 6-byte MAC (else zeros), dst = 00:00:00:00:00:00 (SLL does not record it).
 * The rest is in `sll`. Returns undefined when the header is cut short.
 */
export function decodeSll(
  b: Buffer,
  linktype: number,
): { eth: Required<Omit<EthFields, "pad">>; hlen: number; sll: SllInfo } | undefined {
  const zeros = "00:00:00:00:00:00";
  if (linktype === LINKTYPE.LINUX_SLL) {
    if (b.length < 16) return undefined;
    const halen = b.readUInt16BE(4);
    const addr = formatMac(b.subarray(6, 12));
    const sll: SllInfo = { pkttype: b.readUInt16BE(0), hatype: b.readUInt16BE(2), addr };
    return { eth: { dst: zeros, src: halen === 6 ? addr : zeros, type: b.readUInt16BE(14) }, hlen: 16, sll };
  }
  if (b.length < 20) return undefined;
  const halen = b[11];
  const addr = formatMac(b.subarray(12, 18));
  const sll: SllInfo = { pkttype: b[10], hatype: b.readUInt16BE(8), ifindex: b.readUInt32BE(4), addr };
  return { eth: { dst: zeros, src: halen === 6 ? addr : zeros, type: b.readUInt16BE(0) }, hlen: 20, sll };
}
