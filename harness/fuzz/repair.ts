/**
 * Making a mutated frame consistent again where the mutation did not mean
 * to break it: the outer IP length set to the bytes present, the IPv4
 * header checksums and the L4/ICMP checksums recomputed. A mutation that
 * changes one field and then repairs the rest reaches the translator's
 * deeper code instead of its first sanity check; one that does not repair
 * tests that check. Byte positions are the codec's (harness/packet decode).
 */
import { inetChecksum, pseudoHeader } from "../packet/checksum.ts";
import { decode, parseIpv4, parseIpv6, type Span } from "../packet/index.ts";
import { finalDestination } from "../packet/ipv6ext.ts";
import type { Ipv6RoutingFields } from "../packet/layers.ts";
import { IPPROTO } from "../packet/numbers.ts";

/** Offset of the checksum in each header the repair knows. */
const CSUM_AT: Partial<Record<Span["name"], number>> = { ipv4: 10, tcp: 16, udp: 6, icmp: 2, icmpv6: 2 };

/** The first outer IP header's span, if any. */
export function outerIp(spans: Span[]): Span | undefined {
  return spans.find((s) => !s.quoted && (s.name === "ipv4" || s.name === "ipv6"));
}

/** Set the outer IP header's length field to the bytes present after it (in place). */
export function fitOuterLength(frame: Buffer): void {
  const { spans } = decode(frame);
  const ip = outerIp(spans);
  if (!ip) return;
  const len = frame.length - ip.start;
  if (ip.name === "ipv4" && len >= 4) frame.writeUInt16BE(Math.min(len, 0xffff), ip.start + 2);
  if (ip.name === "ipv6" && len >= 40) frame.writeUInt16BE(Math.min(len - 40, 0xffff), ip.start + 4);
}

export interface RepairOptions {
  /** Repair the quoted packet's IPv4 header checksum and (when whole) its L4 checksum too. */
  quoted?: boolean;
  /** Leave this layer's checksum as it is (the one a mutation broke on purpose). */
  keep?: number;
}

/**
 * Recompute the checksums of `frame` in place, innermost first (an ICMP
 * error's checksum covers its quote). A transport checksum is recomputed
 * only where its bytes are all present and not in a fragment.
 */
export function repairChecksums(frame: Buffer, opts: RepairOptions = {}): void {
  const { packet, spans } = decode(frame);
  // Forward: the addresses each layer's pseudo-header takes, and whether its datagram is whole.
  const context: ({ src: Buffer; dst: Buffer; whole: boolean } | undefined)[] = [];
  let ip: { src: Buffer; dst: Buffer; whole: boolean } | undefined;
  spans.forEach((s, i) => {
    const f = Object.values(packet[i])[0] as Record<string, unknown>;
    if (s.name === "ipv4")
      ip = {
        src: parseIpv4(f.src as string),
        dst: parseIpv4(f.dst as string),
        whole: s.complete === true && !(f.mf === true || (f.frag as number) > 0),
      };
    else if (s.name === "ipv6")
      ip = { src: parseIpv6(f.src as string), dst: parseIpv6(f.dst as string), whole: s.complete === true };
    else if (s.name === "frag" && ip) ip.whole = ip.whole && !(f.m === true || (f.offset as number) > 0);
    else if (s.name === "routing" && ip) {
      const final = finalDestination(f as Ipv6RoutingFields);
      if (final !== undefined) ip.dst = parseIpv6(final);
    }
    context.push(ip && { ...ip });
  });
  // Backward: inner checksums first.
  for (let i = spans.length - 1; i >= 0; i--) {
    const s = spans[i];
    const at = CSUM_AT[s.name];
    if (at === undefined || i === opts.keep || (s.quoted && !opts.quoted)) continue;
    if (s.name === "ipv4") {
      if (s.hdrEnd > frame.length) continue;
      frame.writeUInt16BE(0, s.start + at);
      frame.writeUInt16BE(inetChecksum(frame.subarray(s.start, s.hdrEnd)), s.start + at);
      continue;
    }
    const c = context[i];
    if (!c?.whole || s.end - s.start < at + 2) continue;
    // A quoted transport header is whole only when the quote holds the whole quoted datagram.
    const data = frame.subarray(s.start, s.end);
    data.writeUInt16BE(0, at);
    const proto = IPPROTO[s.name as "tcp" | "udp" | "icmp" | "icmpv6"];
    const ph = s.name === "icmp" ? Buffer.alloc(0) : pseudoHeader(c.src, c.dst, proto, data.length);
    const sum = inetChecksum(ph, data);
    // UDP sends a computed zero as all ones (RFC 768); zero would mean "no checksum".
    data.writeUInt16BE(s.name === "udp" && sum === 0 ? 0xffff : sum, at);
  }
}
