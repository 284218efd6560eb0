/**
 * The Internet checksum (RFC 1071) and the pseudo-headers that TCP, UDP and
 * ICMPv6 add to it (RFC 793 3.1 / RFC 768 for IPv4, RFC 8200 8.1 for IPv6).
 */

/**
 * One's complement sum of `buf` read as big-endian 16-bit words, folded to
 * 16 bits and NOT complemented. An odd last byte is the high byte of a word
 * padded with zero (RFC 1071 section 4.1). `initial` chains sums.
 */
export function onesSum(buf: Uint8Array, initial = 0): number {
  let sum = initial;
  const even = buf.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (buf.length & 1) sum += buf[buf.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum to put in a header: the complement of the one's complement sum of all the buffers, concatenated. */
export function inetChecksum(...bufs: Uint8Array[]): number {
  return ~onesSum(Buffer.concat(bufs)) & 0xffff;
}

/** IPv4 pseudo-header (RFC 793 section 3.1, RFC 768): src, dst, zero, protocol, length (16 bits). */
export function pseudoHeader4(src: Buffer, dst: Buffer, proto: number, len: number): Buffer {
  const b = Buffer.alloc(12);
  src.copy(b, 0);
  dst.copy(b, 4);
  b[9] = proto;
  b.writeUInt16BE(len & 0xffff, 10);
  return b;
}

/** IPv6 pseudo-header (RFC 8200 section 8.1): src, final dst, 32-bit upper-layer length, 3 zero bytes, next header. */
export function pseudoHeader6(src: Buffer, dst: Buffer, proto: number, len: number): Buffer {
  const b = Buffer.alloc(40);
  src.copy(b, 0);
  dst.copy(b, 16);
  b.writeUInt32BE(len >>> 0, 32);
  b[39] = proto;
  return b;
}

/** A pseudo-header for either family, chosen by the address length. */
export function pseudoHeader(src: Buffer, dst: Buffer, proto: number, len: number): Buffer {
  return src.length === 4 ? pseudoHeader4(src, dst, proto, len) : pseudoHeader6(src, dst, proto, len);
}

/**
 * A checksum that is certainly wrong: the right one plus one. One's
 * complement has two zeros (0x0000 and 0xffff); if "plus one" lands on the
 * other zero, or on 0 (which a UDP receiver reads as "no checksum", RFC 768),
 * take 1 instead, so the result is never accepted.
 */
export function badChecksum(right: number): number {
  const bad = (right + 1) & 0xffff;
  return bad === 0 ? 1 : bad;
}

/** True when a header whose checksum field is included in `sum` verifies: the sum is all ones (RFC 1071 section 1). */
export function sumVerifies(sum: number): boolean {
  return sum === 0xffff;
}
