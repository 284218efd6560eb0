/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * ICMP <-> ICMPv6 type, code and "rest of header" mapping (RFC 7915 4.2, 5.2).
 * The checksum and the quoted packet are the caller's (nat64.c).
 */
#ifndef NAT64_ICMP_H
#define NAT64_ICMP_H

/* The first 8 bytes of an ICMP or ICMPv6 header, checksum kept aside as zero. */
struct icmpw {
	__u8 type;
	__u8 code;
	__u16 zero;
	union {
		__be32 w;
		__be16 h[2];
		__u8 b[4];
	} rest;
};

/* RFC 4884 4.1: an original datagram with extensions after it is at least 128 bytes, zero-padded. */
#define ICMP_EXT_ORIG_DGRAM_MIN 128

/* What a type/code mapping found: no counterpart (drop), an informational message, an error. */
enum icmp_class { ICMP_DROP, ICMP_INFO, ICMP_ERROR };

/* The ICMPv4 errors RFC 7915 4.2 translates (the others are dropped by icmp4_to_6). */
static __always_inline int icmp4_is_error(__u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
}

/* RFC 7915 5.2 Figure 6: ICMPv6 Parameter Problem pointer -> ICMPv4; -1 if none. */
static __always_inline int ptr6_to_4(__u32 p)
{
	if (p <= 1)
		return p;    /* version/traffic class */
	if (p == 4 || p == 5)
		return 2;    /* payload length -> total length */
	if (p == 6)
		return 9;    /* next header -> protocol */
	if (p == 7)
		return 8;    /* hop limit -> TTL */
	if (p >= 8 && p <= 23)
		return 12;   /* source address */
	if (p >= 24 && p <= 39)
		return 16;   /* destination address */
	return -1;           /* flow label and beyond the header: not translatable */
}

/* RFC 7915 4.2 Figure 3: ICMPv4 Parameter Problem pointer -> ICMPv6; -1 if none. */
static __always_inline int ptr4_to_6(__u32 p)
{
	switch (p) {
	case 0: return 0;                    /* version/IHL */
	case 1: return 1;                    /* type of service */
	case 2: case 3: return 4;            /* total length */
	case 8: return 7;                    /* TTL */
	case 9: return 6;                    /* protocol */
	case 12: case 13: case 14: case 15: return 8;   /* source */
	case 16: case 17: case 18: case 19: return 24;  /* destination */
	}
	return -1; /* identification, flags, checksum, options: n/a */
}

/*
 * RFC 7915 4.2 (Code 4, MTU 0): "the greatest plateau value that is less
 * than the returned Total Length field, but that is larger than or equal to
 * 1280" - so only the RFC 1191 7.1 plateaus from 1492 up; 0 if none.
 */
static __always_inline __u32 mtu_plateau(__u32 tot)
{
	if (tot > 32000) return 32000;
	if (tot > 17914) return 17914;
	if (tot > 8166) return 8166;
	if (tot > 4352) return 4352;
	if (tot > 2002) return 2002;
	if (tot > 1492) return 1492;
	return 0;
}

/*
 * The Packet Too Big MTU for a Fragmentation Needed MTU (RFC 7915 4.2, Code
 * 4): the IPv4 MTU plus the 20 bytes the IPv6 header adds. A router without
 * RFC 1191 sends 0: then the plateau below the quoted Total Length is the
 * IPv4 path MTU estimate (plus 20 like an advertised MTU). Never below 1280:
 * the plateau rule asks for at least 1280, and an IPv6 node discards a
 * Packet Too Big below 1280 (RFC 8201 4) rather than learn from it.
 * -DNAT64_NO_MTU_ADJUST copies the value unadjusted (a knock-out build).
 */
static __always_inline __u32 ptb_mtu(__u32 mtu, __u32 qtot)
{
#ifdef NAT64_NO_MTU_ADJUST
	(void)qtot;
	return mtu;
#else
	if (mtu == 0) {
		mtu = mtu_plateau(qtot);
		if (mtu)
			mtu += 20;
	} else {
		mtu += 20;
	}
	return mtu < 1280 ? 1280 : mtu;
#endif
}

/* RFC 7915 5.2: ICMPv6 -> ICMPv4. */
static __always_inline int icmp6_to_4(const struct icmpw *in, struct icmpw *out)
{
	__u32 mtu;
	int p;

	out->zero = 0;
	out->rest.w = 0;
	out->code = 0;
	switch (in->type) {
	case ICMPV6_ECHO_REQUEST: /* echo request/reply: 128/129 -> 8/0, id and sequence kept */
	case ICMPV6_ECHO_REPLY:
		out->type = in->type == ICMPV6_ECHO_REQUEST ? ICMP_ECHO : ICMP_ECHOREPLY;
		out->rest.w = in->rest.w;
		return ICMP_INFO;
	case ICMPV6_DEST_UNREACH: /* destination unreachable -> type 3 */
		out->type = ICMP_DEST_UNREACH;
		switch (in->code) {
		case ICMPV6_NOROUTE:
		case ICMPV6_NOT_NEIGHBOUR: /* beyond scope of source address */
		case ICMPV6_ADDR_UNREACH:
			out->code = ICMP_HOST_UNREACH;
			break;
		case ICMPV6_ADM_PROHIBITED:
			out->code = ICMP_HOST_ANO; /* host administratively prohibited */
			break;
		case ICMPV6_PORT_UNREACH:
			out->code = ICMP_PORT_UNREACH;
			break;
		default:
			return ICMP_DROP; /* codes 5 and up: no counterpart */
		}
		return ICMP_ERROR;
	case ICMPV6_PKT_TOOBIG: /* packet too big -> fragmentation needed, MTU less the 20-byte header difference */
		out->type = ICMP_DEST_UNREACH;
		out->code = ICMP_FRAG_NEEDED;
		mtu = bpf_ntohl(in->rest.w);
#ifndef NAT64_NO_MTU_ADJUST
		/* RFC 7915 5.2: minimum(MTU - 20, ...): the next-hop MTUs are not known here */
		mtu = mtu > 20 ? mtu - 20 : 0;
#endif
		/* an IPv6 MTU too big for the 16-bit field: the most it can say */
		out->rest.h[1] = bpf_htons(mtu > 0xffff ? 0xffff : mtu);
		return ICMP_ERROR;
	case ICMPV6_TIME_EXCEED: /* time exceeded -> type 11, code unchanged */
		out->type = ICMP_TIME_EXCEEDED;
		out->code = in->code;
		return ICMP_ERROR;
	case ICMPV6_PARAMPROB:
		if (in->code == ICMPV6_UNK_NEXTHDR) { /* unrecognized next header -> protocol unreachable */
			out->type = ICMP_DEST_UNREACH;
			out->code = ICMP_PROT_UNREACH;
			return ICMP_ERROR;
		}
		if (in->code != ICMPV6_HDR_FIELD)
			return ICMP_DROP; /* code 2 (unrecognized option) and others: no counterpart */
		p = ptr6_to_4(bpf_ntohl(in->rest.w));
		if (p < 0)
			return ICMP_DROP; /* a field with no IPv4 counterpart (Figure 6) */
		out->type = ICMP_PARAMETERPROB;
		out->rest.b[0] = p;
		return ICMP_ERROR;
	}
	return ICMP_DROP; /* MLD, ND and unknown types are single-hop or unknown: silently dropped */
}

/* RFC 7915 4.2: ICMPv4 -> ICMPv6. `qtot` is the quoted packet's total length (for MTU 0). */
static __always_inline int icmp4_to_6(const struct icmpw *in, struct icmpw *out, __u32 qtot)
{
	int p;

	out->zero = 0;
	out->rest.w = 0;
	out->code = 0;
	switch (in->type) {
	case ICMP_ECHO: /* echo request/reply: 8/0 -> 128/129 */
	case ICMP_ECHOREPLY:
		out->type = in->type == ICMP_ECHO ? ICMPV6_ECHO_REQUEST : ICMPV6_ECHO_REPLY;
		out->rest.w = in->rest.w;
		return ICMP_INFO;
	case ICMP_DEST_UNREACH:
		out->type = ICMPV6_DEST_UNREACH;
		switch (in->code) {
		case ICMP_NET_UNREACH: case ICMP_HOST_UNREACH: case ICMP_SR_FAILED: case ICMP_NET_UNKNOWN:
		case ICMP_HOST_UNKNOWN: case ICMP_HOST_ISOLATED: case ICMP_NET_UNR_TOS: case ICMP_HOST_UNR_TOS:
			out->code = ICMPV6_NOROUTE;
			break;
		case ICMP_NET_ANO: case ICMP_HOST_ANO: case ICMP_PKT_FILTERED: case ICMP_PREC_CUTOFF:
			out->code = ICMPV6_ADM_PROHIBITED;
			break;
		case ICMP_PORT_UNREACH:
			out->code = ICMPV6_PORT_UNREACH;
			break;
		case ICMP_PROT_UNREACH: /* -> parameter problem, unrecognized next header, pointing at Next Header */
			out->type = ICMPV6_PARAMPROB;
			out->code = ICMPV6_UNK_NEXTHDR;
			out->rest.w = bpf_htonl(offsetof(struct ipv6hdr, nexthdr));
			break;
		case ICMP_FRAG_NEEDED: /* -> packet too big */
			out->type = ICMPV6_PKT_TOOBIG;
			out->rest.w = bpf_htonl(ptb_mtu(bpf_ntohs(in->rest.h[1]), qtot));
			break;
		default:
			return ICMP_DROP; /* 14 (host precedence violation) and unknown codes: no counterpart */
		}
		return ICMP_ERROR;
	case ICMP_TIME_EXCEEDED: /* time exceeded -> type 3, code unchanged */
		out->type = ICMPV6_TIME_EXCEED;
		out->code = in->code;
		return ICMP_ERROR;
	case ICMP_PARAMETERPROB: /* codes 0 and 2 -> erroneous header field with the pointer mapped */
		if (in->code != 0 && in->code != 2)
			return ICMP_DROP; /* code 1 (missing option) and unknown codes: no counterpart */
		p = ptr4_to_6(in->rest.b[0]);
		if (p < 0)
			return ICMP_DROP; /* a field with no IPv6 counterpart (Figure 3) */
		out->type = ICMPV6_PARAMPROB;
		out->rest.w = bpf_htonl(p);
		return ICMP_ERROR;
	}
	return ICMP_DROP; /* source quench, redirect, timestamp, info, address mask, router messages, unknown */
}

#endif
