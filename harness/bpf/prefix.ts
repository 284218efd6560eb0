/**
 * NAT64 prefixes and IPv4-embedded IPv6 addresses (RFC 6052 section 2.2).
 *
 * A prefix is 32, 40, 48, 56, 64 or 96 bits. Below 96 the IPv4 address
 * skips bits 64-71, the "u" octet, which must be zero; the suffix after the
 * IPv4 address is zero. The same rules as bpf/rfc6052.h, in TypeScript, for
 * the tests, the codec and the config map (see configValue).
 *
 * Self-contained (no imports from harness/packet) so the codec can use it.
 */

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
const V4_BYTES: Record<number, number[]> = {
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
  if (len < 96 && bytes[8] !== 0) throw new Error(`prefix "${s}": bits 64-71 (the u-octet) must be zero (RFC 6052 2.2)`);
  for (let i = len / 8; i < 16; i++)
    if (bytes[i] !== 0) throw new Error(`prefix "${s}": bits beyond /${len} must be zero (did you mean ${ipv6Text(bytes.map((b, j) => (j < len / 8 ? b : 0)))}/${len}?)`);
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
 * The value of the nat64_config map (bpf/nat64_stats.h, struct nat64_config):
 * 16 prefix bytes, the length, 3 zero bytes. All zero selects the default.
 */
export function configValue(prefix: Prefix | string): Uint8Array {
  const p = typeof prefix === "string" ? parsePrefix(prefix) : prefix;
  const v = new Uint8Array(20);
  v.set(p.bytes);
  v[16] = p.len;
  return v;
}

export function ipv4Bytes(s: string): Uint8Array {
  const parts = s.split(".");
  if (parts.length !== 4 || parts.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255))
    throw new Error(`"${s}" is not an IPv4 address like 192.0.2.1`);
  return Uint8Array.from(parts.map(Number));
}

/** IPv6 text (with :: and a dotted IPv4 tail allowed) to 16 bytes. */
export function ipv6Bytes(s: string): Uint8Array {
  const bad = () => new Error(`"${s}" is not an IPv6 address like 2001:db8::1`);
  let text = s;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Bytes(dotted[2]);
    tail.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    text = dotted[1].endsWith("::") ? dotted[1] : dotted[1].slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) throw bad();
  const words = (h: string) => (h === "" ? [] : h.split(":").map((w) => (/^[0-9a-fA-F]{1,4}$/.test(w) ? parseInt(w, 16) : Number.NaN)));
  const head = words(halves[0]);
  const rest = halves.length === 2 ? words(halves[1]) : [];
  const given = head.length + rest.length + tail.length;
  if (head.concat(rest).some(Number.isNaN) || given > 8 || (halves.length === 1 && given !== 8) || (halves.length === 2 && given === 8)) throw bad();
  const all = [...head, ...new Array(8 - given).fill(0), ...rest, ...tail];
  const b = new Uint8Array(16);
  all.forEach((w, i) => {
    b[2 * i] = w >> 8;
    b[2 * i + 1] = w & 0xff;
  });
  return b;
}

/** 16 bytes to canonical IPv6 text (RFC 5952: lower case, longest zero run as ::). */
export function ipv6Text(b: Uint8Array): string {
  const w = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (ws: number[]) => ws.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}
