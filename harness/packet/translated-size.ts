/**
 * How big an IPv4 packet is once RFC 7915 §4.1 has made IPv6 of it: what a
 * router's link must carry. Pure: used by the datapath translators' "n/a"
 * (harness/translators/tc.ts) and by the fuzzer's explanation of Jool's
 * fragmentation (harness/fuzz/explain/jool-fragments.ts).
 */
const ETH = 14;
const ETH_P_IP = 0x0800;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const IPV6_FRAGMENT_HEADER = 8;
const IP_MF_OFFSET = 0x3fff;
const IPPROTO_ICMP = 1;
/** ICMPv4 errors that quote a packet (RFC 792): cut to IPV6_MIN_MTU when translated (RFC 4443 §2.4 (c)). */
const ICMP_QUOTING = new Set([3, 11, 12]);
const IPV6_MIN_MTU = 1280;

/**
 * Bytes of IPv6 made of this Ethernet frame's IPv4 packet (as far as the
 * frame holds it): 40 bytes of header for the IPv4 header and its options,
 * 8 more for a Fragment Header when it is a fragment, an ICMP error cut to
 * 1280; undefined when the frame is not IPv4.
 */
export function translatedIpv6Size(frame: Buffer): number | undefined {
  if (frame.length < ETH + IPV4_HEADER || frame.readUInt16BE(12) !== ETH_P_IP) return undefined;
  const ihl = 4 * (frame[ETH] & 0x0f);
  const fragment = (frame.readUInt16BE(ETH + 6) & IP_MF_OFFSET) !== 0;
  const bytes = Math.min(frame.readUInt16BE(ETH + 2), frame.length - ETH);
  const size = IPV6_HEADER + (fragment ? IPV6_FRAGMENT_HEADER : 0) + Math.max(0, bytes - ihl);
  const error = frame[ETH + 9] === IPPROTO_ICMP && !fragment && ICMP_QUOTING.has(frame[ETH + ihl]);
  return error ? Math.min(size, IPV6_MIN_MTU) : size;
}
