/** IPv6 fixed header (RFC 8200 section 3). */
import { formatIpv6, parseIpv6 } from "./addr.ts";
import type { Ipv6Fields, LayerName } from "./layers.ts";
import { protoOf } from "./numbers.ts";

export const IPV6_HLEN = 40;

export function encodeIpv6(f: Ipv6Fields, next: LayerName | undefined, tail: Buffer): Buffer {
  const h = Buffer.alloc(IPV6_HLEN);
  const word = (((f.version ?? 6) & 0xf) << 28) | ((f.tc ?? 0) << 20) | (f.fl ?? 0);
  h.writeUInt32BE(word >>> 0, 0);
  h.writeUInt16BE(f.plen ?? Math.min(tail.length, 0xffff), 4);
  h[6] = f.nh ?? protoOf(next, 6);
  h[7] = f.hlim ?? 64;
  parseIpv6(f.src ?? "::").copy(h, 8);
  parseIpv6(f.dst ?? "::").copy(h, 24);
  return Buffer.concat([h, tail]);
}

/** `b` holds at least 40 bytes from `off`. */
export function decodeIpv6(b: Buffer, off: number): Required<Ipv6Fields> {
  const word = b.readUInt32BE(off);
  return {
    version: word >>> 28,
    tc: (word >>> 20) & 0xff,
    fl: word & 0xfffff,
    plen: b.readUInt16BE(off + 4),
    nh: b[off + 6],
    hlim: b[off + 7],
    src: formatIpv6(b.subarray(off + 8, off + 24)),
    dst: formatIpv6(b.subarray(off + 24, off + 40)),
  };
}
