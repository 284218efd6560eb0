/**
 * Frames a reference is not given because one of them stops its kernel
 * (docs/translator.md, "Jool 4.1.9"): counted as n/a with the reason.
 */
import { ETH, ETH_P_IP, IPPROTO_ICMP, icmpError, ipv4Payload, rfc4884Bytes } from "./frame.ts";

const IPOPT_END = 0;
const IPOPT_NOOP = 1;
const IPOPT_LSRR = 0x83;
const IPOPT_SSRR = 0x89;

/**
 * Frames a reference is not given because one of them stops it for good,
 * with the reason. Jool 4.1.9 walks the outer IPv4 options looking for a
 * source route (has_unexpired_src_route() in rfc7915/4to6.c) by adding each
 * option's length byte: an option of length 0 (not End or No-Op) never
 * advances, and the kernel's CPU spins in softirq (a soft lockup; the VM is
 * lost). The kernel checks options only after PREROUTING, where Jool sits,
 * so one such packet from the wire does it. natlab drops such a packet
 * (a malformed option: `dropped.malformed`).
 */
export function referenceHazard(reference: string, frame: Buffer): string | undefined {
  if (reference !== "jool") return undefined;
  return optionHazard(frame) ?? extensionHazard(frame) ?? nestedErrorHazard(frame);
}

/** ICMPv4 errors that quote a packet (RFC 792): Destination Unreachable, Time Exceeded, Parameter Problem. */
const ICMP_QUOTING = new Set([3, 11, 12]);
const ICMP_HEADER = 8;

/**
 * Jool 4.1.9 panics the guest in 4to6 on an ICMPv4 error quoting an ICMP
 * error whose own quoted packet is ICMP again (three ICMP headers deep):
 * a NULL dereference in skb_release_data() when the kernel frees the IPv6
 * packet Jool built (kfree_skb_reason from ip6_finish_output or
 * validate_xmit_skb; call trace sendpkt_send, core_common, core_4to6).
 * Found by `natlab fuzz --reference jool` surviving the crash: every
 * crashed frame was such a packet (seed 21: frames 0/1606 and 0/7459, 126
 * and 138 bytes), and Jool translates an error quoting an error two deep
 * (`icmp-errors/error-quoting-an-error-4to6-is-dropped`) without harm.
 * The shape is not enough on its own (a 98-byte one built by hand went
 * through unharmed); what else it takes was not narrowed down, so the
 * whole shape is kept from Jool. natlab drops all of them (RFC 7915 §4.3:
 * one embedded header at most).
 */
function nestedErrorHazard(frame: Buffer): string | undefined {
  const outer = ipv4Payload(frame);
  if (!outer || outer.proto !== IPPROTO_ICMP || !ICMP_QUOTING.has(frame[outer.at])) return undefined;
  const q1 = outer.at + ICMP_HEADER;
  if (frame.length < q1 + 20 || frame[q1 + 9] !== IPPROTO_ICMP) return undefined;
  const e2 = q1 + 4 * (frame[q1] & 0x0f);
  if (frame.length < e2 + ICMP_HEADER || !ICMP_QUOTING.has(frame[e2])) return undefined;
  const q2 = e2 + ICMP_HEADER;
  if (frame.length < q2 + 20 || frame[q2] >> 4 !== 4 || frame[q2 + 9] !== IPPROTO_ICMP) return undefined;
  return "an ICMP error quoting an ICMP error that quotes ICMP again: Jool 4.1.9 panics the kernel in 4to6 (skb_release_data from sendpkt_send)";
}

/**
 * Jool 4.1.9 panicked the guest on an ICMPv6 error with an RFC 4884 length
 * attribute (6to4): handle_icmp_extension() (rfc7915/common.c) computed a
 * negative length for the quoted part and skb_copy_bits() copied with it
 * (`__memcpy` with length −4 in softirq; call trace handle_icmp_extension,
 * post_icmp4error, core_6to4). Which lengths do it was not narrowed down:
 * every ICMP error whose length attribute is set and shorter than what
 * follows (an extension present) is kept from Jool, both ways, since the
 * same function serves 4to6, and behind IPv6 extension headers too (seed
 * 4: one behind an atomic Fragment Header, length 2 before a 53-byte
 * quote, ended the guest with a page fault).
 */
function extensionHazard(frame: Buffer): string | undefined {
  // icmpError() walks IPv6's extension headers to the ICMPv6 header: seed 4 crashed Jool with an error
  // behind an atomic Fragment Header, which a look at the fixed header alone let through.
  const e = icmpError(frame);
  const bytes = e ? rfc4884Bytes(frame, e) : 0;
  return e && bytes > 0 && bytes < frame.length - e.icmp - ICMP_HEADER
    ? "an ICMP error with an RFC 4884 length and an extension: Jool 4.1.9's handle_icmp_extension() panicked on one"
    : undefined;
}

function optionHazard(frame: Buffer): string | undefined {
  if (frame.length < ETH + 20 || frame.readUInt16BE(12) !== ETH_P_IP) return undefined;
  const end = ETH + 4 * (frame[ETH] & 0x0f);
  let o = ETH + 20;
  while (o < end && o < frame.length && frame[o] !== IPOPT_LSRR && frame[o] !== IPOPT_SSRR) {
    if (frame[o] === IPOPT_END) return undefined;
    if (frame[o] === IPOPT_NOOP) {
      o++;
      continue;
    }
    const len = o + 1 < frame.length ? frame[o + 1] : 0;
    if (len === 0)
      return "an IPv4 option of length 0: Jool 4.1.9's source-route walk never ends (a kernel soft lockup)";
    o += len;
  }
  return undefined;
}
