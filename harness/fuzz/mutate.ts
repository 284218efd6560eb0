/**
 * Mutations of a seed frame (a golden input or a generated packet), each
 * aimed at a place where translators go wrong: bit flips, truncation at each
 * layer, length fields that lie both ways, long or odd extension-header
 * chains, option lengths, ICMP errors quoting ICMP errors, quotes cut
 * mid-header, addresses moved in and out of the prefix, wrong and zero
 * checksums, protocol numbers and ICMP types of the other family. Most
 * mutations repair what they did not mean to break (repair.ts), some of the
 * time, so that both the translator's first checks and the code behind them
 * are reached. Every mutation is a pure function of the seed and the Rng.
 */

import { decode, parseIpv6, type Span } from "../packet/index.ts";
import { embedIpv4, type Prefix } from "../packet/prefix.ts";
import { randomIpv4 } from "./generate.ts";
import { fitOuterLength, outerIp, repairChecksums } from "./repair.ts";
import type { Rng } from "./rng.ts";

/** A frame to mutate, decoded once. */
export interface Seed {
  frame: Buffer;
  spans: Span[];
  /** Where it came from, for the report: "golden:icmp-errors/..." or "generated". */
  origin: string;
}

export function seedOf(frame: Buffer, origin: string): Seed {
  return { frame, spans: decode(frame).spans, origin };
}

type Mutation = (rng: Rng, seed: Seed, prefix: Prefix) => Buffer | undefined;

const IP_NAMES = new Set(["ipv4", "ipv6"]);
const L4_NAMES = new Set(["tcp", "udp", "icmp", "icmpv6"]);

/** Repair the checksums (and sometimes the quoted ones) with probability `p`; keep layer `keep` as it is. */
function maybeRepair(rng: Rng, frame: Buffer, p: number, keep?: number): Buffer {
  if (rng.chance(p)) repairChecksums(frame, { quoted: rng.chance(0.5), keep });
  return frame;
}

function pickSpan(rng: Rng, seed: Seed, names: Set<string>, quoted?: boolean): [Span, number] | undefined {
  const all = seed.spans
    .map((s, i) => [s, i] as [Span, number])
    .filter(([s]) => names.has(s.name) && (quoted === undefined || s.quoted === quoted));
  return all.length ? rng.pick(all) : undefined;
}

/** Flip 1-4 bits, mostly inside headers. */
const bitflip: Mutation = (rng, seed) => {
  const f = Buffer.from(seed.frame);
  const n = rng.range(1, 4);
  for (let k = 0; k < n; k++) {
    const s = rng.chance(0.7) ? rng.pick(seed.spans) : undefined;
    const lo = s ? s.start : 14;
    const hi = s ? Math.max(s.hdrEnd, s.start + 1) : f.length;
    if (hi <= lo || lo >= f.length) continue;
    const at = Math.min(f.length - 1, rng.range(lo, hi - 1));
    f[at] ^= 1 << rng.int(8);
  }
  return maybeRepair(rng, f, 0.4);
};

/** Cut the frame at a layer boundary, a few bytes either side; the IP length then lies, or is fitted to the cut. */
const truncate: Mutation = (rng, seed) => {
  const s = rng.pick(seed.spans);
  const at = rng.pick([s.start, s.hdrEnd, s.end]) + rng.range(-4, 4);
  if (at <= 14 || at >= seed.frame.length) return undefined;
  const f = Buffer.from(seed.frame.subarray(0, at));
  if (rng.chance(0.5)) fitOuterLength(f);
  return maybeRepair(rng, f, 0.6);
};

/** Where each length field sits, relative to its header, and its width. */
const LENGTH_FIELDS: Record<string, [number, 1 | 2][]> = {
  ipv4: [
    [2, 2],
    [0, 1], // version/IHL: the low nibble is the header length
  ],
  ipv6: [[4, 2]],
  udp: [[4, 2]],
  tcp: [[12, 1]], // data offset, high nibble
  hbh: [[1, 1]],
  dstopts: [[1, 1]],
  routing: [[1, 1]],
  icmp: [[5, 1]], // RFC 4884 length of an error
  icmpv6: [[4, 1]],
};

/** A length field that says more or less than there is, by a little or a lot. */
const lengthLie: Mutation = (rng, seed) => {
  const cands = seed.spans.map((s, i) => [s, i] as const).filter(([s]) => LENGTH_FIELDS[s.name]);
  if (!cands.length) return undefined;
  const [s, i] = rng.pick(cands);
  const [off, width] = rng.pick(LENGTH_FIELDS[s.name]);
  const f = Buffer.from(seed.frame);
  if (s.start + off + width > f.length) return undefined;
  if (s.name === "ipv4" && off === 0) {
    f[s.start] = (f[s.start] & 0xf0) | rng.int(16);
  } else if (s.name === "tcp") {
    f[s.start + 12] = (rng.int(16) << 4) | (f[s.start + 12] & 0x0f);
  } else if (width === 1) {
    f[s.start + off] = rng.chance(0.5) ? (f[s.start + off] + rng.pick([1, -1, 2, -2, 8])) & 0xff : rng.int(256);
  } else {
    const v = f.readUInt16BE(s.start + off);
    const lie = rng.pick([v + 1, v - 1, v + rng.range(2, 64), v - rng.range(2, 64), 0, 0xffff, rng.int(0x10000)]);
    f.writeUInt16BE(lie & 0xffff, s.start + off);
  }
  return maybeRepair(rng, f, 0.7, rng.chance(0.5) ? undefined : i);
};

const EXT_TYPES = [0, 43, 44, 60, 60, 43, 44, 0x87, 51, 50, 135, 139, 140, 253];

/** A chain of extension headers after the IPv6 header: long, odd lengths, repeated, misplaced, unknown. */
const extChain: Mutation = (rng, seed) => {
  const ip = outerIp(seed.spans);
  if (ip?.name !== "ipv6" || ip.hdrEnd > seed.frame.length) return undefined;
  const f = seed.frame;
  const n = rng.chance(0.3) ? rng.range(8, 40) : rng.range(1, 6);
  const headers: Buffer[] = [];
  const types: number[] = [];
  for (let k = 0; k < n; k++) {
    const type = rng.pick(EXT_TYPES);
    const units = rng.chance(0.8) ? rng.int(3) : rng.int(256);
    const h = type === 44 ? Buffer.alloc(8) : Buffer.alloc(8 * (units + 1));
    if (type === 44) {
      // Fragment: offset 0 with M clear (atomic) or random.
      h.writeUInt16BE(rng.chance(0.6) ? 0 : rng.int(0x10000), 2);
      h.writeUInt32BE(rng.u32(), 4);
    } else {
      h[1] = rng.chance(0.9) ? units : rng.int(256); // the length field may lie about the header's size
      if (type === 43) {
        h[2] = rng.pick([0, 2, 3, 4, 253]); // routing type
        h[3] = rng.chance(0.7) ? 0 : rng.range(1, 255); // segments left
      } else {
        // Options: PadN over the rest, or a TLV whose length runs past the header.
        h[2] = rng.chance(0.7) ? 1 : rng.int(256);
        h[3] = rng.chance(0.7) ? h.length - 4 : rng.int(256);
      }
    }
    headers.push(h);
    types.push(type);
  }
  const first = f[ip.start + 6];
  types.push(first);
  headers.forEach((h, k) => {
    h[0] = types[k + 1];
  });
  const out = Buffer.concat([f.subarray(0, ip.hdrEnd), ...headers, f.subarray(ip.hdrEnd)]);
  out[ip.start + 6] = types[0];
  if (rng.chance(0.9)) fitOuterLength(out);
  return maybeRepair(rng, out, 0.8);
};

/** IPv4 options with lengths that fit, are zero, one, or run past the header. */
const ipv4Options: Mutation = (rng, seed) => {
  const ip = outerIp(seed.spans);
  if (ip?.name !== "ipv4" || ip.hdrEnd > seed.frame.length) return undefined;
  const f = seed.frame;
  const words = rng.range(1, 10);
  const opts = Buffer.alloc(words * 4);
  let at = 0;
  while (at < opts.length) {
    const type = rng.pick([0, 1, 7, 68, 131, 137, 130, 148, 25, rng.int(256)]);
    opts[at] = type;
    if (type === 0 || type === 1) {
      at++;
      continue;
    }
    const room = opts.length - at;
    opts[at + 1] = rng.chance(0.7) ? Math.min(room, rng.range(2, 12)) : rng.pick([0, 1, room + 1, 255]);
    at += Math.max(2, Math.min(opts[at + 1], room));
  }
  const out = Buffer.concat([f.subarray(0, ip.hdrEnd), opts, f.subarray(ip.hdrEnd)]);
  const ihl = (ip.hdrEnd - ip.start) / 4 + words;
  out[ip.start] = 0x40 | Math.min(ihl, 15);
  fitOuterLength(out);
  return maybeRepair(rng, out, 0.9);
};

/** A new ICMP error around the seed's IP packet: an error quoting an error, an echo, or the other family's ICMP. */
const wrapInError: Mutation = (rng, seed, prefix) => {
  const ip = outerIp(seed.spans);
  if (!ip) return undefined;
  const quote = seed.frame.subarray(
    ip.start,
    rng.chance(0.5) ? seed.frame.length : Math.min(seed.frame.length, ip.start + rng.range(1, 200)),
  );
  const v4 = ip.name === "ipv4";
  // Written as bytes (Ethernet, IP header, ICMP header, quote), lengths and checksums by repair.ts: the codec's
  // builder validates every field and is many times slower, and this runs for a tenth of all frames.
  const eth = Buffer.from(seed.frame.subarray(0, 14));
  const hdr = Buffer.alloc(v4 ? 20 : 40);
  if (v4) {
    hdr[0] = 0x45;
    hdr[8] = 64; // TTL
    hdr[9] = 1; // ICMP
    Buffer.from(randomIpv4(rng).split(".").map(Number)).copy(hdr, 12);
    Buffer.from(randomIpv4(rng).split(".").map(Number)).copy(hdr, 16);
  } else {
    hdr[0] = 0x60;
    hdr[6] = 58; // ICMPv6
    hdr[7] = 64; // hop limit
    Buffer.from(parseIpv6(embedIpv4(prefix, randomIpv4(rng)))).copy(hdr, 8);
    Buffer.from(parseIpv6(embedIpv4(prefix, randomIpv4(rng)))).copy(hdr, 24);
  }
  const icmp = Buffer.alloc(8);
  icmp[0] = v4 ? rng.pick([3, 11, 12]) : rng.pick([1, 2, 3, 4]);
  icmp[1] = rng.int(4);
  const out = Buffer.concat([eth, hdr, icmp, quote]);
  fitOuterLength(out);
  repairChecksums(out);
  return out;
};

/** Cut an ICMP error's quote inside the quoted IP or transport header; outer lengths and checksum made right. */
const cutQuote: Mutation = (rng, seed) => {
  const q = pickSpan(rng, seed, new Set([...IP_NAMES, ...L4_NAMES, "hbh", "dstopts", "routing", "frag"]), true);
  if (!q) return undefined;
  const [s] = q;
  const at = Math.min(seed.frame.length, s.start + rng.range(1, Math.max(1, s.hdrEnd - s.start)));
  const f = Buffer.from(seed.frame.subarray(0, at));
  fitOuterLength(f);
  return maybeRepair(rng, f, 0.9);
};

/** Move an IPv6 address (outer or quoted) in or out of the prefix, or an IPv4 one to a special address. */
const readdress: Mutation = (rng, seed, prefix) => {
  const q = pickSpan(rng, seed, IP_NAMES);
  if (!q) return undefined;
  const [s] = q;
  const f = Buffer.from(seed.frame);
  const v6 = s.name === "ipv6";
  const at = s.start + (v6 ? rng.pick([8, 24]) : rng.pick([12, 16]));
  if (at + (v6 ? 16 : 4) > f.length) return undefined;
  if (v6) {
    const addr = Buffer.from(parseIpv6(embedIpv4(prefix, randomIpv4(rng))));
    const kind = rng.int(5);
    if (kind === 1) addr[rng.int(prefix.len / 8)] ^= 1 << rng.int(8); // just outside the prefix
    if (kind === 2) addr[8] = rng.range(1, 255); // the u-octet set (RFC 6052 §2.2)
    if (kind === 3) addr[15] ^= prefix.len < 96 ? rng.range(1, 255) : 0; // a non-zero suffix
    if (kind === 4) rng.bytes(16).copy(addr);
    addr.copy(f, at);
  } else {
    Buffer.from(randomIpv4(rng).split(".").map(Number)).copy(f, at);
  }
  return maybeRepair(rng, f, 0.7);
};

/** A wrong, zero or all-ones checksum in the IPv4 header or a transport header, outer or quoted. */
const checksum: Mutation = (rng, seed) => {
  const q = pickSpan(rng, seed, new Set(["ipv4", ...L4_NAMES]));
  if (!q) return undefined;
  const [s] = q;
  const off = s.start + ({ ipv4: 10, tcp: 16, udp: 6, icmp: 2, icmpv6: 2 } as Record<string, number>)[s.name];
  const f = Buffer.from(seed.frame);
  if (off + 2 > f.length) return undefined;
  // Start from a frame whose other checksums are right, so this one is the only wrong one.
  if (rng.chance(0.7)) repairChecksums(f, { quoted: rng.chance(0.5) });
  const v = f.readUInt16BE(off);
  f.writeUInt16BE(rng.pick([0, 0xffff, (v + 1) & 0xffff, (v - 1) & 0xffff, v ^ 0x8000, rng.int(0x10000)]), off);
  return f;
};

const PROTOCOLS = [0, 1, 2, 4, 6, 17, 41, 43, 44, 47, 50, 51, 58, 59, 60, 103, 132, 135, 139, 253, 255];

/** A protocol or next-header number from the other family, an extension header, or nothing at all. */
const protocol: Mutation = (rng, seed) => {
  const q = pickSpan(rng, seed, new Set(["ipv4", "ipv6", "hbh", "dstopts", "routing", "frag"]));
  if (!q) return undefined;
  const [s] = q;
  const off = s.start + (s.name === "ipv4" ? 9 : s.name === "ipv6" ? 6 : 0);
  const f = Buffer.from(seed.frame);
  if (off >= f.length) return undefined;
  f[off] = rng.chance(0.8) ? rng.pick(PROTOCOLS) : rng.int(256);
  return maybeRepair(rng, f, 0.8);
};

/** An ICMP type and code, outer or quoted: the other family's numbers, errors for echoes and back. */
const icmpType: Mutation = (rng, seed) => {
  const q = pickSpan(rng, seed, new Set(["icmp", "icmpv6"]));
  if (!q) return undefined;
  const [s] = q;
  const f = Buffer.from(seed.frame);
  if (s.start + 2 > f.length) return undefined;
  f[s.start] = rng.chance(0.7)
    ? rng.pick([0, 1, 2, 3, 4, 5, 8, 11, 12, 13, 128, 129, 130, 133, 135, 143, 200, 255])
    : rng.int(256);
  f[s.start + 1] = rng.chance(0.7) ? rng.int(5) : rng.int(256);
  return maybeRepair(rng, f, 0.9);
};

/** Fragment fields: IPv4 MF and offset, or an IPv6 Fragment header's. */
const fragment: Mutation = (rng, seed) => {
  const q = pickSpan(rng, seed, new Set(["ipv4", "frag"]));
  if (!q) return undefined;
  const [s] = q;
  const f = Buffer.from(seed.frame);
  if (s.start + 8 > f.length) return undefined;
  const word = rng.chance(0.3) ? rng.int(0x10000) : rng.pick([0, 1, 0x2000, 0x4000, 0x2001, 8, 9]);
  // IPv4 flags/offset at +6 (DF 0x4000, MF 0x2000); the Fragment header's offset/M at +2 (M is bit 0).
  f.writeUInt16BE(
    s.name === "ipv4" ? word : ((word & 0x1fff) << 3) | (word >> 13),
    s.start + (s.name === "ipv4" ? 6 : 2),
  );
  return maybeRepair(rng, f, 0.8);
};

/** Every mutation, with a name for the report. */
export const MUTATIONS: Record<string, Mutation> = {
  bitflip,
  truncate,
  lengthLie,
  extChain,
  ipv4Options,
  wrapInError,
  cutQuote,
  readdress,
  checksum,
  protocol,
  icmpType,
  fragment,
};
const NAMES = Object.keys(MUTATIONS);

/** One to three mutations of `seed` in a row; the names of those that applied. */
export function mutate(rng: Rng, seed: Seed, prefix: Prefix): { frame: Buffer; applied: string[] } {
  let current = seed;
  const applied: string[] = [];
  const n = rng.chance(0.7) ? 1 : rng.range(2, 3);
  for (let k = 0; k < n * 3 && applied.length < n; k++) {
    const name = rng.pick(NAMES);
    let out: Buffer | undefined;
    try {
      out = MUTATIONS[name](rng, current, prefix);
    } catch {
      out = undefined; // a mutation that cannot apply to this frame (e.g. the codec refuses to build it)
    }
    if (!out || out.length < 14) continue;
    applied.push(name);
    current = applied.length < n ? seedOf(out, current.origin) : { ...current, frame: out };
  }
  return { frame: current.frame, applied };
}
