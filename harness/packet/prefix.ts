/**
 * NAT64 prefixes and IPv4-embedded IPv6 addresses (RFC 6052 section 2.2).
 *
 * A prefix is 32, 40, 48, 56, 64 or 96 bits. Below 96 the IPv4 address
 * skips bits 64-71, the "u" octet, which must be zero; the suffix after the
 * IPv4 address is zero. The same rules as bpf/rfc6052.h, in TypeScript, for
 * the tests, the golden cases and the config map (see configValue).
 * Addresses are parsed and printed by ./addr.ts,
 * which imports nothing from here.
 */
import { formatIpv6, parseIpv4, parseIpv6 } from "./addr.ts";

export const PREFIX_LENGTHS = [32, 40, 48, 56, 64, 96] as const;
export const DEFAULT_PREFIX = "64:ff9b:1:fffe::/96";

export interface Prefix {
  /** 16 bytes, zero beyond the length. */
  bytes: Uint8Array;
  len: number;
  /** Canonical text, e.g. "64:ff9b:1:fffe::/96". */
  text: string;
}

/** Where the four IPv4 bytes go for each prefix length (RFC 6052 2.2, Figure 1). */
export const V4_BYTES: Record<number, number[]> = {
  32: [4, 5, 6, 7],
  40: [5, 6, 7, 9],
  48: [6, 7, 9, 10],
  56: [7, 9, 10, 11],
  64: [9, 10, 11, 12],
  96: [12, 13, 14, 15],
};

/** "P/LEN" -> Prefix; throws with what is wrong and what is allowed. */
export function parsePrefix(s: string): Prefix {
  const m = /^([0-9a-fA-F:.]+)\/(\d+)$/.exec(s.trim());
  if (!m) throw new Error(`prefix "${s}": expected ADDRESS/LENGTH, e.g. ${DEFAULT_PREFIX}`);
  const len = Number(m[2]);
  if (!(PREFIX_LENGTHS as readonly number[]).includes(len))
    throw new Error(`prefix "${s}": length ${len} is not one of ${PREFIX_LENGTHS.join(", ")} (RFC 6052 2.2)`);
  const bytes = ipv6Bytes(m[1]);
  if (len < 96 && bytes[8] !== 0)
    throw new Error(`prefix "${s}": bits 64-71 (the u-octet) must be zero (RFC 6052 2.2)`);
  for (let i = len / 8; i < 16; i++)
    if (bytes[i] !== 0)
      throw new Error(
        `prefix "${s}": bits beyond /${len} must be zero (did you mean ${ipv6Text(bytes.map((b, j) => (j < len / 8 ? b : 0)))}/${len}?)`,
      );
  return { bytes, len, text: `${ipv6Text(bytes)}/${len}` };
}

/** The IPv6 address embedding `ipv4` ("192.0.2.1") in the prefix. */
export function embedIpv4(prefix: Prefix | string, ipv4: string): string {
  const p = typeof prefix === "string" ? parsePrefix(prefix) : prefix;
  const v4 = ipv4Bytes(ipv4);
  const a = new Uint8Array(16);
  a.set(p.bytes.subarray(0, p.len / 8));
  V4_BYTES[p.len].forEach((at, i) => {
    a[at] = v4[i];
  });
  return ipv6Text(a);
}

/** The IPv4 address embedded in `ipv6`, or undefined when it is not in the prefix (or its u-octet is not zero). */
export function extractIpv4(prefix: Prefix | string, ipv6: string): string | undefined {
  const p = typeof prefix === "string" ? parsePrefix(prefix) : prefix;
  const a = ipv6Bytes(ipv6);
  for (let i = 0; i < p.len / 8; i++) if (a[i] !== p.bytes[i]) return undefined;
  if (p.len < 96 && a[8] !== 0) return undefined;
  return V4_BYTES[p.len].map((at) => a[at]).join(".");
}

/**
 * The value of the nat64_config map (bpf/nat64_abi.h, struct nat64_config):
 * 16 prefix bytes, the length, 3 zero bytes. All zero selects the default.
 */
export function configValue(prefix: Prefix | string): Uint8Array {
  const p = typeof prefix === "string" ? parsePrefix(prefix) : prefix;
  const v = new Uint8Array(20);
  v.set(p.bytes);
  v[16] = p.len;
  return v;
}

/** IPv4 text to 4 bytes (the codec's parser: one definition of an address in natlab). */
export function ipv4Bytes(s: string): Uint8Array {
  return new Uint8Array(parseIpv4(s));
}

/** IPv6 text (with :: and a dotted IPv4 tail allowed) to 16 bytes. */
export function ipv6Bytes(s: string): Uint8Array {
  return new Uint8Array(parseIpv6(s));
}

/** 16 bytes to canonical IPv6 text (RFC 5952). */
export function ipv6Text(b: Uint8Array): string {
  return formatIpv6(b);
}
