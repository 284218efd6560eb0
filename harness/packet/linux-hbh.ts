/**
 * Which IPv6 Hop-by-Hop headers Linux discards on receipt, before any
 * netfilter hook or forwarding: a router-based translator (Jool in
 * PREROUTING, a tc program or TAYGA behind the forwarding) never sees them.
 * Pure: used by the fuzzer's explanations and by the translators' "n/a".
 */
const ETH = 14;
const IPV6_HEADER = 40;
const IPPROTO_HOPOPTS = 0;
const IPV6_TLV_PAD1 = 0;
const IPV6_TLV_PADN = 1;
const IPV6_TLV_ROUTERALERT = 5;
const IPV6_TLV_CALIPSO = 7;
const IPV6_TLV_IOAM = 0x31;
const IPV6_TLV_JUMBO = 0xc2;
/** net.ipv6.max_hbh_opts_number's default (IP6_DEFAULT_MAX_HBH_OPTS_CNT). */
const MAX_HBH_OPTS = 8;
/** RFC 2460/8200 PadN aligns to 8 octets: 7 bytes of padding at most in a row (RFC 4942 §2.1.9.5). */
const MAX_PADDING = 7;

/**
 * Whether Linux 6.1's ip6_parse_tlv() (net/ipv6/exthdrs.c) discards this
 * Hop-by-Hop header, which ip6_rcv_core() parses before PREROUTING: padding
 * longer than 7 bytes or not zero, more than 8 options, an option running
 * past the header, a Router Alert not 2 bytes long, a misaligned IOAM
 * option, a Jumbo Payload option (a jumbogram is never this short), a
 * CALIPSO option (RFC 5570: ipv6_hop_calipso() accepts one only with a
 * right CRC-16 and a DOI configured, and no namespace a translator runs in
 * configures one), or an unknown option whose two high bits ask to discard
 * (RFC 8200 §4.2).
 */
export function linuxDiscardsHopByHop(f: Buffer): boolean {
  const at = ETH + IPV6_HEADER;
  if (f.length < at + 2 || f[ETH + 6] !== IPPROTO_HOPOPTS) return false;
  const end = at + 8 * (f[at + 1] + 1);
  if (end > f.length) return false; // cut short: natlab drops it too
  let padding = 0;
  let count = 0;
  for (let o = at + 2; o < end; ) {
    if (f[o] === IPV6_TLV_PAD1) {
      if (++padding > MAX_PADDING) return true;
      o++;
      continue;
    }
    if (o + 2 > end || o + 2 + f[o + 1] > end) return true;
    const len = 2 + f[o + 1];
    if (f[o] === IPV6_TLV_PADN) {
      padding += len;
      if (padding > MAX_PADDING || f.subarray(o + 2, o + len).some((b) => b !== 0)) return true;
    } else {
      if (++count > MAX_HBH_OPTS) return true;
      const type = f[o];
      if (type === IPV6_TLV_ROUTERALERT && f[o + 1] !== 2) return true;
      if (type === IPV6_TLV_IOAM && (o - ETH) % 4 !== 0) return true;
      if (type === IPV6_TLV_JUMBO || type === IPV6_TLV_CALIPSO) return true;
      const known = [IPV6_TLV_ROUTERALERT, IPV6_TLV_IOAM, IPV6_TLV_JUMBO, IPV6_TLV_CALIPSO].includes(type);
      if (!known && type >> 6 !== 0) return true;
      padding = 0;
    }
    o += len;
  }
  return false;
}
