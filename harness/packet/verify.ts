/**
 * Checksum verdicts for a frame, every checksum it carries:
 *   - IPv4 header checksum, outer and quoted (a quoted header is whole
 *     whenever the error quotes anything useful);
 *   - TCP, UDP, ICMP and ICMPv6 when their bytes are all present: not in a
 *     fragment (the checksum covers the whole datagram), not when the IP
 *     length says bytes are missing, and by default not inside an ICMP error
 *     (a quoted packet is usually cut short; ask with {quotedL4: true} to
 *     check the quoted ones that are whole).
 * One's complement has two zeros: a TCP/ICMP checksum of 0xffff where the
 * computation gives 0x0000 verifies (the sum over the header comes out all
 * ones either way). A UDP checksum of 0 means "none" over IPv4 (RFC 768) and
 * is wrong over IPv6 (RFC 8200 section 8.1).
 */
import { parseIpv4, parseIpv6 } from "./addr.ts";
import { inetChecksum, onesSum, pseudoHeader, sumVerifies } from "./checksum.ts";
import { finalDestination } from "./ipv6ext.ts";
import type { Ipv6RoutingFields, Packet } from "./layers.ts";
import { IPPROTO } from "./numbers.ts";
import { type Decoded, decode, type ParseOptions } from "./parse.ts";
import type { Pseudo } from "./tcp.ts";

export interface ChecksumProblem {
  /** Layer name, "quoted " in front inside an ICMP error. */
  layer: string;
  field: string;
  /** What the checksum should be (computed with the field zeroed). */
  expected: number;
  /** What the frame carries. */
  actual: number;
  /** Index of the layer in parse(frame). */
  index?: number;
}

export interface VerifyOptions extends ParseOptions {
  quotedL4?: boolean;
}

/** The checksums that are wrong; an empty list when all that can be checked are right. */
export function checksumProblems(frame: Buffer, opts: VerifyOptions = {}): ChecksumProblem[] {
  return onlyWrong(checksumVerdicts(frame, opts));
}

/** Every checksum that was checked, right or wrong (a checksum that cannot be checked is left out). */
export function checksumVerdicts(frame: Buffer, opts: VerifyOptions = {}): (ChecksumProblem & { ok: boolean })[] {
  return verdictsOf(frame, decode(frame, opts), opts);
}

/** The verdicts of a frame already decoded (saves a second decode when the caller needs the layers too). */
export function checksumVerdictsOf(
  frame: Buffer,
  decoded: Decoded,
  opts: VerifyOptions = {},
): (ChecksumProblem & { ok: boolean })[] {
  return verdictsOf(frame, decoded, opts);
}

/** A frame decoded once: its layers and the checksums that are wrong (parse and checksumProblems in one pass). */
export function inspect(frame: Buffer, opts: VerifyOptions = {}): { packet: Packet; problems: ChecksumProblem[] } {
  const decoded = decode(frame, opts);
  return { packet: decoded.packet, problems: onlyWrong(verdictsOf(frame, decoded, opts)) };
}

function onlyWrong(verdicts: (ChecksumProblem & { ok: boolean })[]): ChecksumProblem[] {
  return verdicts.filter((v) => !v.ok).map(({ ok: _, ...p }) => p);
}

function verdictsOf(
  frame: Buffer,
  { packet, spans }: Decoded,
  opts: VerifyOptions,
): (ChecksumProblem & { ok: boolean })[] {
  const out: (ChecksumProblem & { ok: boolean })[] = [];
  let ip: (Pseudo & { complete: boolean; fragmented: boolean }) | undefined;
  spans.forEach((s, index) => {
    const f = Object.values(packet[index])[0] as Record<string, unknown>;
    const data = frame.subarray(s.start, s.end);
    const report = (expected: number, offset: number, ok = false) =>
      out.push({
        layer: (s.quoted ? "quoted " : "") + s.name,
        field: "chksum",
        expected,
        actual: data.readUInt16BE(offset),
        index,
        ok,
      });
    /** Check a checksum at `offset` in this layer's bytes, with an optional pseudo-header in front. */
    const check = (ph: Buffer, bytes: Buffer, offset: number) => {
      const zeroed = Buffer.from(bytes);
      zeroed.writeUInt16BE(0, offset);
      const expected = inetChecksum(ph, zeroed);
      // A UDP sender sends a computed 0 as 0xffff (RFC 768).
      report(s.name === "udp" && expected === 0 ? 0xffff : expected, offset, sumVerifies(onesSum(bytes, onesSum(ph))));
    };
    switch (s.name) {
      case "ipv4":
        ip = {
          src: parseIpv4(f.src as string),
          dst: parseIpv4(f.dst as string),
          complete: s.complete === true,
          fragmented: f.mf === true || (f.frag as number) > 0,
        };
        check(Buffer.alloc(0), frame.subarray(s.start, s.hdrEnd), 10);
        return;
      case "ipv6":
        ip = {
          src: parseIpv6(f.src as string),
          dst: parseIpv6(f.dst as string),
          complete: s.complete === true,
          fragmented: false,
        };
        return;
      case "routing": {
        const final = finalDestination(f as Ipv6RoutingFields);
        if (ip && final !== undefined) ip.dst = parseIpv6(final);
        return;
      }
      case "frag":
        if (ip) ip.fragmented = f.m === true || (f.offset as number) > 0;
        return;
      case "tcp":
      case "udp":
      case "icmp":
      case "icmpv6": {
        if (s.quoted && !opts.quotedL4) return;
        if (!ip?.complete || ip.fragmented) return;
        if (s.name === "tcp" && s.hdrEnd - s.start < 20) return;
        const proto = IPPROTO[s.name];
        const ph = s.name === "icmp" ? Buffer.alloc(0) : pseudoHeader(ip.src, ip.dst, proto, data.length);
        if (s.name === "udp" && data.readUInt16BE(6) === 0) {
          const c = inetChecksum(ph, data);
          report(c === 0 ? 0xffff : c, 6, ip.src.length === 4);
          return;
        }
        check(ph, data, s.name === "udp" ? 6 : s.name === "tcp" ? 16 : 2);
        return;
      }
    }
  });
  return out;
}
