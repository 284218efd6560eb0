/** TCP header (RFC 9293 section 3.1). */
import { badChecksum, inetChecksum, pseudoHeader } from "./checksum.ts";
import { bytesToHex, hexToBytes } from "./hex.ts";
import type { TcpFields } from "./layers.ts";
import { IPPROTO } from "./numbers.ts";

/** The addresses an upper layer's checksum covers: the enclosing IP's source and (final) destination. */
export interface Pseudo {
  src: Buffer;
  dst: Buffer;
}

/**
 * Flag letters and bits. N is the old ECN-nonce bit (RFC 3540, now AE in
 * RFC 9768), the lowest of the four bits after the data offset; `reserved`
 * is the three bits above it.
 */
const FLAGS: [string, number][] = [
  ["F", 0x001],
  ["S", 0x002],
  ["R", 0x004],
  ["P", 0x008],
  ["A", 0x010],
  ["U", 0x020],
  ["E", 0x040],
  ["C", 0x080],
  ["N", 0x100],
];

export function tcpFlagBits(letters: string): number {
  let bits = 0;
  for (const ch of letters) {
    const f = FLAGS.find(([l]) => l === ch);
    if (!f) throw new Error(`unknown TCP flag "${ch}" in "${letters}" (use letters from FSRPAUECN)`);
    bits |= f[1];
  }
  return bits;
}

/** Letters in the fixed order FSRPAUECN, so "SA" and "AS" come back as "SA". */
export function tcpFlagLetters(bits: number): string {
  return FLAGS.filter(([, b]) => bits & b)
    .map(([l]) => l)
    .join("");
}

export function encodeTcp(f: TcpFields, tail: Buffer, pseudo: Pseudo | undefined): Buffer {
  const rawOpts = f.options === undefined ? Buffer.alloc(0) : hexToBytes(f.options);
  // Options end on a 32-bit boundary; the padding is zero (End of Option List, RFC 9293 section 3.1).
  const opts = Buffer.concat([rawOpts, Buffer.alloc((4 - (rawOpts.length % 4)) % 4)]);
  if (opts.length > 40)
    throw new Error(`TCP options take ${opts.length} bytes; at most 40 fit (data offset is 4 bits)`);
  const h = Buffer.alloc(20 + opts.length);
  h.writeUInt16BE(f.sport ?? 40000, 0);
  h.writeUInt16BE(f.dport ?? 80, 2);
  h.writeUInt32BE(f.seq ?? 0, 4);
  h.writeUInt32BE(f.ack ?? 0, 8);
  const bits = tcpFlagBits(f.flags ?? "S");
  h.writeUInt16BE(((f.dataofs ?? h.length / 4) << 12) | (((f.reserved ?? 0) & 7) << 9) | bits, 12);
  h.writeUInt16BE(f.window ?? 8192, 14);
  h.writeUInt16BE(f.urgptr ?? 0, 18);
  opts.copy(h, 20);
  const seg = Buffer.concat([h, tail]);
  if (f.chksum !== "bad" && f.chksum !== undefined) {
    seg.writeUInt16BE(f.chksum, 16);
  } else {
    const right = inetChecksum(
      pseudo ? pseudoHeader(pseudo.src, pseudo.dst, IPPROTO.tcp, seg.length) : Buffer.alloc(0),
      seg,
    );
    seg.writeUInt16BE(f.chksum === "bad" ? badChecksum(right) : right, 16);
  }
  return seg;
}

/**
 * The fields whose bytes are present in b[off, end): all of them for a whole
 * header, only the leading ones for a header cut short (an ICMP error need
 * quote only 8 bytes of it, RFC 792).
 */
export function decodeTcp(b: Buffer, off: number, end: number): TcpFields {
  const n = end - off;
  const f: TcpFields = {};
  if (n >= 2) f.sport = b.readUInt16BE(off);
  if (n >= 4) f.dport = b.readUInt16BE(off + 2);
  if (n >= 8) f.seq = b.readUInt32BE(off + 4);
  if (n >= 12) f.ack = b.readUInt32BE(off + 8);
  if (n >= 14) {
    const w = b.readUInt16BE(off + 12);
    f.dataofs = w >> 12;
    f.reserved = (w >> 9) & 7;
    f.flags = tcpFlagLetters(w & 0x1ff);
  }
  if (n >= 16) f.window = b.readUInt16BE(off + 14);
  if (n >= 18) f.chksum = b.readUInt16BE(off + 16);
  if (n >= 20) {
    f.urgptr = b.readUInt16BE(off + 18);
    const hlen = Math.max(20, (f.dataofs ?? 5) * 4);
    f.options = bytesToHex(b.subarray(off + 20, Math.min(off + hlen, end)));
  }
  return f;
}
