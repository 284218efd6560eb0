/**
 * IPv6 extension headers (RFC 8200 section 4): Hop-by-Hop Options (4.3),
 * Destination Options (4.6), Routing (4.4) and Fragment (4.5).
 */
import { formatIpv6, parseIpv6 } from "./addr.ts";
import { bytesToHex, hexToBytes } from "./hex.ts";
import type { Ipv6FragFields, Ipv6OptsFields, Ipv6RoutingFields, LayerName } from "./layers.ts";
import { protoOf } from "./numbers.ts";

type IpOption = NonNullable<Ipv6OptsFields["options"]>[number];

/** Padding of `n` bytes: Pad1 for one byte, PadN (type 1, zero data) for more (RFC 8200 section 4.2). */
function padding(n: number): Buffer {
  if (n === 0) return Buffer.alloc(0);
  if (n === 1) return Buffer.from([0]);
  const p = Buffer.alloc(n);
  p[0] = 1;
  p[1] = n - 2;
  return p;
}

function optionBytes(options: IpOption[]): Buffer {
  return Buffer.concat(
    options.map((o) => {
      if (o.type === 0 && o.data === undefined && o.len === undefined) return Buffer.from([0]); // Pad1 has no length byte
      const data = o.data === undefined ? Buffer.alloc(0) : hexToBytes(o.data);
      return Buffer.concat([Buffer.from([o.type, o.len ?? data.length]), data]);
    }),
  );
}

/** Hop-by-Hop or Destination Options: next header, length in 8-byte units minus one, options padded to 8. */
export function encodeIpv6Opts(f: Ipv6OptsFields, next: LayerName | undefined, tail: Buffer): Buffer {
  const opts = optionBytes(f.options ?? []);
  const body = Buffer.concat([opts, padding((8 - ((2 + opts.length) % 8)) % 8)]);
  const total = 2 + body.length;
  if (total > 2048)
    throw new Error(`an options header of ${total} bytes is longer than the 2048 its length field allows`);
  const h = Buffer.concat([Buffer.from([f.nh ?? protoOf(next, 6), f.len ?? total / 8 - 1]), body]);
  return Buffer.concat([h, tail]);
}

export function decodeIpv6Opts(b: Buffer, off: number, end: number): Required<Ipv6OptsFields> {
  const body = b.subarray(off + 2, end);
  const options: IpOption[] = [];
  let i = 0;
  while (i < body.length) {
    const type = body[i];
    if (type === 0 || i + 1 >= body.length) {
      options.push({ type });
      i += 1;
      continue;
    }
    const len = body[i + 1];
    const stop = Math.min(i + 2 + len, body.length);
    options.push({ type, len, data: bytesToHex(body.subarray(i + 2, stop)) });
    i = stop;
  }
  // Leave out the last option when it is exactly the padding the encoder adds, so the round trip is exact.
  const last = options[options.length - 1];
  if (last !== undefined) {
    const rest = optionBytes(options.slice(0, -1));
    const pad = padding((8 - ((2 + rest.length) % 8)) % 8);
    if (pad.length > 0 && Buffer.concat([rest, pad]).equals(body)) options.pop();
  }
  return { nh: b[off], len: b[off + 1], options };
}

/**
 * Routing header: next header, length, routing type, segments left, 4 bytes
 * the types use differently (reserved for type 0/2, last entry/flags/tag for
 * a segment routing header, RFC 8754), then 16-byte addresses.
 * segleft defaults to the number of addresses.
 */
export function encodeRouting(f: Ipv6RoutingFields, next: LayerName | undefined, tail: Buffer): Buffer {
  const addrs = (f.addresses ?? []).map(parseIpv6);
  const h = Buffer.alloc(8);
  h[0] = f.nh ?? protoOf(next, 6);
  h[1] = f.len ?? addrs.length * 2;
  h[2] = f.type ?? 0;
  h[3] = f.segleft ?? addrs.length;
  h.writeUInt32BE(f.reserved ?? 0, 4);
  return Buffer.concat([h, ...addrs, tail]);
}

export function decodeRouting(b: Buffer, off: number, end: number): Required<Ipv6RoutingFields> {
  const addresses: string[] = [];
  for (let a = off + 8; a + 16 <= end; a += 16) addresses.push(formatIpv6(b.subarray(a, a + 16)));
  return {
    nh: b[off],
    len: b[off + 1],
    type: b[off + 2],
    segleft: b[off + 3],
    reserved: b.readUInt32BE(off + 4),
    addresses,
  };
}

/**
 * The destination the upper layer's pseudo-header uses: with segments left,
 * the final one (RFC 8200 section 8.1): the last address for types 0 and 2,
 * Segment List[0] (the first listed) for a segment routing header (RFC 8754 section 2).
 */
export function finalDestination(f: Ipv6RoutingFields): string | undefined {
  const addrs = f.addresses ?? [];
  const segleft = f.segleft ?? addrs.length;
  if (segleft === 0 || addrs.length === 0) return undefined;
  return f.type === 4 ? addrs[0] : addrs[addrs.length - 1];
}

/** Fragment header: next header, reserved, offset (13 bits), res (2 bits), M, identification. */
export function encodeFrag(f: Ipv6FragFields, next: LayerName | undefined, tail: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = f.nh ?? protoOf(next, 6);
  h[1] = f.res ?? 0;
  h.writeUInt16BE(((f.offset ?? 0) << 3) | ((f.res2 ?? 0) << 1) | (f.m ? 1 : 0), 2);
  h.writeUInt32BE(f.id ?? 0, 4);
  return Buffer.concat([h, tail]);
}

export function decodeFrag(b: Buffer, off: number): Required<Ipv6FragFields> {
  const w = b.readUInt16BE(off + 2);
  return {
    nh: b[off],
    res: b[off + 1],
    offset: w >> 3,
    res2: (w >> 1) & 3,
    m: (w & 1) === 1,
    id: b.readUInt32BE(off + 4),
  };
}
