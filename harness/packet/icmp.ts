/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443) share one header shape: type, code,
 * checksum, and a 32-bit word whose meaning depends on the type. ICMP's
 * checksum covers the message only; ICMPv6's adds the IPv6 pseudo-header
 * (RFC 4443 section 2.3).
 */
import { formatIpv4, parseIpv4 } from "./addr.ts";
import { badChecksum, inetChecksum, pseudoHeader6 } from "./checksum.ts";
import { bytesToHex, hexToBytes } from "./hex.ts";
import type { IcmpExtFields, IcmpFields } from "./layers.ts";
import { IPPROTO } from "./numbers.ts";
import type { Pseudo } from "./tcp.ts";

export const ICMP_HLEN = 8;
export type Family = 4 | 6;

/** Errors quote the offending packet after the header: RFC 792 types 3, 4, 5, 11, 12; RFC 4443 section 2.1 types below 128. */
export function isIcmpError(family: Family, type: number): boolean {
  return family === 4 ? [3, 4, 5, 11, 12].includes(type) : type < 128;
}

/** Echo and the other query messages with identifier and sequence number. */
function hasIdSeq(family: Family, type: number): boolean {
  return family === 4 ? [0, 8, 13, 14, 15, 16, 17, 18].includes(type) : type === 128 || type === 129;
}

/**
 * The second 32-bit word. Start from `rest`, then place each named field
 * where it lives, whatever the type:
 *   id/seq: upper/lower 16 bits;  gw: all 32 (ICMP redirect);
 *   mtu: lower 16 bits in ICMP (RFC 1191), all 32 in ICMPv6;
 *   ptr: top 8 bits in ICMP, all 32 in ICMPv6;
 *   length: RFC 4884 section 4/5: second byte in ICMP, first byte in ICMPv6.
 */
function restWord(f: IcmpFields, family: Family): number {
  let w = f.rest ?? 0;
  const put = (value: number | undefined, shift: number, bits: number) => {
    if (value === undefined) return;
    const mask = bits === 32 ? 0xffffffff : ((1 << bits) - 1) << shift;
    w = ((w & ~mask) | ((value << shift) & mask)) >>> 0;
  };
  put(f.id, 16, 16);
  put(f.seq, 0, 16);
  if (f.gw !== undefined) w = parseIpv4(f.gw).readUInt32BE(0);
  if (family === 4) {
    put(f.mtu, 0, 16);
    put(f.ptr, 24, 8);
    put(f.length, 16, 8);
  } else {
    if (f.mtu !== undefined) w = f.mtu >>> 0;
    if (f.ptr !== undefined) w = f.ptr >>> 0;
    put(f.length, 24, 8);
  }
  return w >>> 0;
}

export function encodeIcmp(f: IcmpFields, family: Family, tail: Buffer, pseudo: Pseudo | undefined): Buffer {
  const h = Buffer.alloc(ICMP_HLEN);
  h[0] = f.type ?? (family === 4 ? 8 : 128);
  h[1] = f.code ?? 0;
  h.writeUInt32BE(restWord(f, family), 4);
  let quote = tail;
  if (f.quotelen !== undefined && f.quotelen < tail.length) quote = tail.subarray(0, f.quotelen);
  if (f.ext !== undefined) quote = withExtension(quote, f, family);
  const msg = Buffer.concat([h, quote]);
  if (f.chksum !== "bad" && f.chksum !== undefined) {
    msg.writeUInt16BE(f.chksum, 2);
  } else {
    const ph =
      family === 6 && pseudo ? pseudoHeader6(pseudo.src, pseudo.dst, IPPROTO.icmpv6, msg.length) : Buffer.alloc(0);
    const right = inetChecksum(ph, msg);
    msg.writeUInt16BE(f.chksum === "bad" ? badChecksum(right) : right, 2);
  }
  return msg;
}

/**
 * RFC 4884 section 4: the original datagram field is `length` words (32-bit
 * in ICMP, 64-bit in ICMPv6), the quote zero-padded to it; the extension
 * structure follows.
 */
function withExtension(quote: Buffer, f: IcmpFields, family: Family): Buffer {
  const unit = family === 4 ? 4 : 8;
  const field = (f.length ?? 0) * unit;
  if (quote.length > field) {
    throw new Error(
      `icmp.ext: the quote is ${quote.length} bytes, more than length ${f.length ?? 0} × ${unit}: give quotelen`,
    );
  }
  return Buffer.concat([quote, Buffer.alloc(field - quote.length), encodeIcmpExt(f.ext as IcmpExtFields)]);
}

/** RFC 4884 section 7: version (4 bits), 12 reserved bits, checksum over the structure; objects with their lengths. */
export function encodeIcmpExt(e: IcmpExtFields): Buffer {
  const objects = e.objects.map((o) => {
    const data =
      o.data !== undefined ? hexToBytes(o.data) : Buffer.from(Array.from({ length: o.size ?? 0 }, (_, i) => i & 0xff));
    const h = Buffer.alloc(4);
    h.writeUInt16BE(o.len ?? 4 + data.length, 0);
    h[2] = o.class;
    h[3] = o.ctype;
    return Buffer.concat([h, data]);
  });
  const raw = e.data !== undefined ? [hexToBytes(e.data)] : [];
  const ext = Buffer.concat([Buffer.alloc(4), ...objects, ...raw]);
  ext[0] = (e.version ?? 2) << 4;
  const right = inetChecksum(ext);
  ext.writeUInt16BE(e.chksum === undefined ? right : e.chksum === "bad" ? badChecksum(right) : e.chksum, 2);
  return ext;
}

/**
 * The extension structure after an error's original datagram field, read
 * as RFC 4884 says (section 4/5): the type carries a length attribute, the
 * field is at least 128 bytes and an extension header follows it. A
 * non-zero length attribute alone says where the field ends (section 1:
 * without it a receiver "would not be able to determine where the
 * 'original datagram' field ends and where the extension structure
 * begins"; section 5: a compliant receiver reads the field's length from
 * it), whatever follows: bytes after the header that do not tile as
 * objects are kept raw in `data`, never read back into the quote. `start`
 * is the quote's first byte, `end` the message's end. undefined when there
 * is none (length 0, or an attribute that does not comply).
 */
export function decodeIcmpExt(
  b: Buffer,
  start: number,
  end: number,
  family: Family,
  f: IcmpFields,
): { field: number; ext: IcmpExtFields } | undefined {
  const field = (f.length ?? 0) * (family === 4 ? 4 : 8);
  if (field < 128 || start + field + 4 > end) return undefined;
  const h = start + field;
  const header = { version: b[h] >> 4, chksum: b.readUInt16BE(h + 2) };
  const objects: IcmpExtFields["objects"] = [];
  for (let o = h + 4; o < end; ) {
    const len = o + 4 <= end ? b.readUInt16BE(o) : 0;
    if (len < 4 || o + len > end)
      return { field, ext: { ...header, objects: [], data: bytesToHex(b.subarray(h + 4, end)) } };
    objects.push({ class: b[o + 2], ctype: b[o + 3], data: bytesToHex(b.subarray(o + 4, o + len)) });
    o += len;
  }
  return { field, ext: { ...header, objects } };
}

/**
 * Type, code, checksum and the named fields that type defines; `rest` when
 * the type has none, or when bits outside them are set (so a round trip is exact).
 */
export function decodeIcmp(b: Buffer, off: number, family: Family): IcmpFields {
  const type = b[off];
  const code = b[off + 1];
  const w = b.readUInt32BE(off + 4);
  const f: IcmpFields = { type, code, chksum: b.readUInt16BE(off + 2) };
  let named = 0; // bits of w the named fields describe
  if (hasIdSeq(family, type)) {
    f.id = w >>> 16;
    f.seq = w & 0xffff;
    named = 0xffffffff;
  } else if (family === 4) {
    if (type === 5) {
      f.gw = formatIpv4(b.subarray(off + 4, off + 8));
      named = 0xffffffff;
    }
    if (type === 12) {
      f.ptr = w >>> 24;
      named |= 0xff000000;
    }
    if (type === 3 || type === 11 || type === 12) {
      f.length = (w >>> 16) & 0xff;
      named |= 0x00ff0000;
    }
    if (type === 3 && code === 4) {
      f.mtu = w & 0xffff;
      named |= 0xffff;
    }
  } else {
    if (type === 2) {
      f.mtu = w;
      named = 0xffffffff;
    } else if (type === 4) {
      f.ptr = w;
      named = 0xffffffff;
    } else if (type === 1 || type === 3) {
      f.length = w >>> 24;
      named = 0xff000000;
    }
  }
  if ((w & ~named) >>> 0 !== 0 || named === 0) f.rest = w;
  return f;
}
