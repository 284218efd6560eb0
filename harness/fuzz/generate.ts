/**
 * Fresh, valid packets for the fuzzer, built with the codec
 * (harness/packet) from random fields: every length and checksum is right,
 * so what the translator does with them is what it does with real traffic.
 * IPv6 packets have both addresses in the prefix (the NAT66 design puts them
 * there), so the `6to4` direction takes them; IPv4 packets go to `4to6`.
 * They are seeds for the mutator as well as frames of their own.
 */

import { build, type Layer, type Packet } from "../packet/index.ts";
import { embedIpv4, type Prefix } from "../packet/prefix.ts";
import type { Rng } from "./rng.ts";

/** A random IPv4 address; now and then one of the kinds translators treat specially. */
export function randomIpv4(rng: Rng): string {
  if (rng.chance(0.05))
    return rng.pick(["0.0.0.0", "255.255.255.255", "127.0.0.1", "224.0.0.1", "239.1.2.3", "169.254.1.1", "10.0.0.1"]);
  return [rng.range(1, 223), rng.int(256), rng.int(256), rng.range(1, 254)].join(".");
}

const TCP_FLAGS = ["S", "SA", "A", "PA", "FA", "R", "RA", "FPA", "SE", "AC"];
/** MSS, SACK-permitted, timestamps, window scale: the options real stacks send. */
const TCP_OPTIONS = ["", "020405b4", "020405b40402080a0000000100000000", "01030307", "0402"];

function payload(rng: Rng, max: number): Layer[] {
  const size = rng.size(max);
  return size === 0 && rng.chance(0.5) ? [] : [{ payload: { size, fill: rng.chance(0.3) ? rng.int(256) : undefined } }];
}

function tcp(rng: Rng): Layer {
  return {
    tcp: {
      sport: rng.range(1, 65535),
      dport: rng.pick([80, 443, 22, rng.range(1, 65535)]),
      seq: rng.u32(),
      ack: rng.u32(),
      flags: rng.pick(TCP_FLAGS),
      window: rng.int(65536),
      options: rng.pick(TCP_OPTIONS) || undefined,
    },
  };
}

function udp(rng: Rng, family: 4 | 6): Layer {
  // Over IPv4 a zero checksum means "none" (RFC 768): the translator must compute one (RFC 7915 §4.5).
  return {
    udp: {
      sport: rng.range(1, 65535),
      dport: rng.range(1, 65535),
      ...(family === 4 && rng.chance(0.15) ? { chksum: 0 } : {}),
    },
  };
}

/** The upper layers of a packet: transport, echo, or another protocol. */
function upper(rng: Rng, family: 4 | 6, max: number): Layer[] {
  const r = rng.int(10);
  if (r < 3) return [tcp(rng), ...payload(rng, max)];
  if (r < 6) return [udp(rng, family), ...payload(rng, max)];
  if (r < 9) {
    const type = family === 4 ? rng.pick([8, 0]) : rng.pick([128, 129]);
    // Now and then an echo that sums to zero: its only right checksum is 0xffff (RFC 1624 §3).
    const zero = rng.chance(0.05);
    const echo = { type, code: 0, id: zero ? 0 : rng.int(65536), seq: zero ? 0 : rng.int(65536) };
    return [family === 4 ? { icmp: echo } : { icmpv6: echo }, ...(zero ? [] : payload(rng, max))];
  }
  // Other protocols are translated with the number copied (RFC 7915 §4.1, §5.1): GRE, SCTP, ESP.
  return payload(rng, max);
}

function ipv4(rng: Rng, src: string, dst: string, extra: object = {}): Layer {
  const frag = rng.chance(0.1);
  return {
    ipv4: {
      src,
      dst,
      ttl: rng.range(1, 255),
      tos: rng.chance(0.3) ? rng.int(256) : 0,
      id: rng.int(65536),
      df: rng.chance(0.6),
      ...(frag ? { mf: rng.chance(0.5), frag: rng.chance(0.5) ? rng.range(1, 0x1fff) : 0 } : {}),
      ...(rng.chance(0.05) ? { options: [{ type: 1 }, { type: 7, data: "04000000000000" }] } : {}),
      ...extra,
    },
  };
}

function ipv6(rng: Rng, src: string, dst: string, extra: object = {}): Layer {
  return {
    ipv6: {
      src,
      dst,
      hlim: rng.range(1, 255),
      tc: rng.chance(0.3) ? rng.int(256) : 0,
      fl: rng.chance(0.3) ? rng.int(0x100000) : 0,
      ...extra,
    },
  };
}

/** Extension headers a translator meets: options (padding only), routing with nothing left, fragments. */
function extensions(rng: Rng): Layer[] {
  const out: Layer[] = [];
  if (rng.chance(0.3)) out.push({ hbh: { options: rng.chance(0.5) ? [{ type: 1, data: "0000" }] : [] } });
  if (rng.chance(0.3)) out.push({ dstopts: {} });
  if (rng.chance(0.2)) out.push({ routing: { type: rng.pick([0, 2, 4]), segleft: 0 } });
  if (rng.chance(0.3))
    out.push({ frag: { id: rng.u32(), offset: rng.chance(0.3) ? rng.range(1, 0x1fff) : 0, m: rng.chance(0.5) } });
  return out;
}

/** An ICMP error about a packet that went the other way; the quote whole or cut. */
function error(rng: Rng, family: 4 | 6, inner: Layer[]): Layer[] {
  let icmp: Record<string, number>;
  if (family === 4) {
    const type = rng.pick([3, 3, 3, 11, 12]);
    icmp =
      type === 3
        ? { type, code: rng.int(16) }
        : type === 11
          ? { type, code: rng.int(2) }
          : { type, code: rng.int(3), ptr: rng.int(24) };
    if (type === 3 && icmp.code === 4) icmp.mtu = rng.pick([0, 68, 576, 1280, 1400, 1480, 1500, rng.int(65536)]);
  } else {
    const type = rng.pick([1, 1, 2, 3, 4]);
    icmp =
      type === 1
        ? { type, code: rng.int(7) }
        : type === 2
          ? { type, code: 0, mtu: rng.pick([1280, 1400, 1500, rng.u32()]) }
          : type === 3
            ? { type, code: rng.int(2) }
            : { type, code: rng.int(3), ptr: rng.int(48) };
  }
  // RFC 792 asks for the IP header and 8 bytes at least; most stacks quote more.
  const ipHdr = family === 4 ? 20 : 40;
  if (rng.chance(0.4)) icmp.quotelen = ipHdr + rng.pick([0, 4, 8, 8, 16, 28]);
  return [family === 4 ? { icmp } : { icmpv6: icmp }, ...inner];
}

/** One valid frame for `prefix`: IPv4 for 4to6, or IPv6 with both addresses in the prefix for 6to4. */
export function generateValid(rng: Rng, prefix: Prefix): Buffer {
  const family: 4 | 6 = rng.chance(0.5) ? 4 : 6;
  const [a, b, router] = [randomIpv4(rng), randomIpv4(rng), randomIpv4(rng)];
  const max = rng.chance(0.1) ? 1400 : 200;
  const layers: Layer[] = [{ eth: {} }];
  const isError = rng.chance(0.3);
  if (family === 4) {
    if (isError) {
      // 4to6: an IPv4 router reports on a packet the IPv6 side (here `a`) sent to `b`.
      layers.push(ipv4(rng, router, a, { mf: false, frag: 0 }));
      const inner = [ipv4(rng, a, b, { mf: false, frag: 0 }), ...upper(rng, 4, 64)];
      layers.push(...error(rng, 4, inner));
    } else {
      layers.push(ipv4(rng, a, b), ...upper(rng, 4, max));
    }
  } else {
    const [pa, pb, pr] = [embedIpv4(prefix, a), embedIpv4(prefix, b), embedIpv4(prefix, router)];
    if (isError) {
      layers.push(ipv6(rng, pr, pa));
      const inner = [ipv6(rng, pa, pb), ...upper(rng, 6, 64)];
      layers.push(...error(rng, 6, inner));
    } else {
      layers.push(ipv6(rng, pa, pb), ...extensions(rng), ...upper(rng, 6, max));
    }
  }
  // A fragment after the first still gets its transport header built: to the translator those are payload bytes.
  return build(layers as Packet);
}
