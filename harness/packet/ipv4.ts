/** IPv4 header with options (RFC 791 section 3.1). */
import { formatIpv4, parseIpv4 } from "./addr.ts";
import { badChecksum, inetChecksum } from "./checksum.ts";
import { bytesToHex, hexToBytes } from "./hex.ts";
import type { Ipv4Fields, LayerName } from "./layers.ts";
import { protoOf } from "./numbers.ts";

type IpOption = NonNullable<Ipv4Fields["options"]>[number];

/** Options as bytes: EOL (0) and NOP (1) are one byte; others are type, length (of the whole option), data (RFC 791 p.15). Padded with EOL to 4. */
export function encodeIpv4Options(options: IpOption[]): Buffer {
  const parts: Buffer[] = [];
  for (const o of options) {
    const data = o.data === undefined ? Buffer.alloc(0) : hexToBytes(o.data);
    if ((o.type === 0 || o.type === 1) && o.data === undefined && o.len === undefined) {
      parts.push(Buffer.from([o.type]));
    } else {
      parts.push(Buffer.from([o.type, o.len ?? data.length + 2]), data);
    }
  }
  const raw = Buffer.concat(parts);
  const padded = Buffer.concat([raw, Buffer.alloc((4 - (raw.length % 4)) % 4)]);
  if (padded.length > 40) throw new Error(`IPv4 options take ${padded.length} bytes; at most 40 fit (IHL is 4 bits)`);
  return padded;
}

export function encodeIpv4(f: Ipv4Fields, next: LayerName | undefined, tail: Buffer): Buffer {
  const opts = encodeIpv4Options(f.options ?? []);
  const h = Buffer.alloc(20 + opts.length);
  h[0] = ((f.version ?? 4) << 4) | (f.ihl ?? h.length / 4);
  h[1] = f.tos ?? 0;
  h.writeUInt16BE(f.len ?? Math.min(h.length + tail.length, 0xffff), 2);
  h.writeUInt16BE(f.id ?? 0, 4);
  const flags = (f.rf ? 0x8000 : 0) | (f.df ? 0x4000 : 0) | (f.mf ? 0x2000 : 0);
  h.writeUInt16BE(flags | (f.frag ?? 0), 6);
  h[8] = f.ttl ?? 64;
  h[9] = f.proto ?? protoOf(next, 4);
  parseIpv4(f.src ?? "0.0.0.0").copy(h, 12);
  parseIpv4(f.dst ?? "0.0.0.0").copy(h, 16);
  opts.copy(h, 20);
  const right = inetChecksum(h);
  h.writeUInt16BE(f.chksum === undefined ? right : f.chksum === "bad" ? badChecksum(right) : f.chksum, 10);
  return Buffer.concat([h, tail]);
}

/** Decoded options; trailing EOL padding that encodeIpv4Options would add back is left out, so a round trip is exact. */
export function decodeIpv4Options(b: Buffer): IpOption[] {
  const out: IpOption[] = [];
  let i = 0;
  while (i < b.length) {
    const type = b[i];
    if (type === 0 || type === 1 || i + 1 >= b.length) {
      out.push({ type });
      i += 1;
      continue;
    }
    const len = b[i + 1];
    const end = len < 2 ? b.length : Math.min(i + len, b.length);
    out.push({ type, len, data: bytesToHex(b.subarray(i + 2, end)) });
    i = end;
  }
  while (out.length > 0 && out[out.length - 1].type === 0 && out[out.length - 1].len === undefined) {
    const shorter = out.slice(0, -1);
    if (encodeIpv4Options(shorter).length !== b.length) break;
    out.pop();
  }
  return out;
}

/** The fixed header fields; `b` holds at least 20 bytes from `off`. */
export function decodeIpv4(b: Buffer, off: number, ihl: number): Required<Ipv4Fields> {
  const flags = b.readUInt16BE(off + 6);
  return {
    version: b[off] >> 4,
    ihl,
    tos: b[off + 1],
    len: b.readUInt16BE(off + 2),
    id: b.readUInt16BE(off + 4),
    df: (flags & 0x4000) !== 0,
    mf: (flags & 0x2000) !== 0,
    rf: (flags & 0x8000) !== 0,
    frag: flags & 0x1fff,
    ttl: b[off + 8],
    proto: b[off + 9],
    chksum: b.readUInt16BE(off + 10),
    src: formatIpv4(b.subarray(off + 12, off + 16)),
    dst: formatIpv4(b.subarray(off + 16, off + 20)),
    options: decodeIpv4Options(b.subarray(off + 20, off + ihl * 4)),
  };
}
