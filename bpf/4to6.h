/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * IPv4 -> IPv6 (RFC 7915 section 4). Included by nat64.c.
 *
 * xlat_4to6 (the 4to6 entry point, and bench.h's driver) runs these stages in order, one function each:
 *   classify  IPv4 at all, and the prefix to embed into   xlat_4to6() itself
 *   check     header, lengths, checksum, options          check_ip4()
 *   build     the IPv6 header and Fragment header         build_ip6()
 *   fix L4    TCP/UDP checksum plan; ICMP type, quoted
 *             packet and checksum                         l4_4to6()
 *   rewrite   the packet changes, only now                rewrite_4to6()
 * A stage returns 0 to carry on or a drop reason; nothing in the packet
 * changes before the last one.
 */

#define D4 NAT64_DIR_4TO6

/* What the stages of nat64_4to6 learn about a packet, for the stages after them. */
struct xlat4 {
	__u32 hlen;       /* IPv4 header length, options included */
	__u32 end;        /* frame offset where the IPv4 packet ends */
	__u32 l4_off;     /* frame offset of the L4 header (or of a later fragment's data) */
	__u32 l4_len;     /* IPv6 payload after the IPv6 and Fragment headers */
	__u32 frag_len;   /* sizeof(struct frag6) if the packet is a fragment, else 0 */
	int first;        /* the first (or only) fragment: the L4 header is in it */
	int fragmented;
	int mcast;        /* an IPv4 multicast destination */
	int kind;         /* NAT64_XLAT_*: the counter of a translated packet */
	int quoted;       /* an ICMP error whose quoted packet is translated too */
	enum l4_fix fix;  /* how the TCP/UDP checksum is brought up to date */
	__u32 csum_off;   /* L4_FIX_PSEUDO: the checksum's offset in the L4 header */
	__u64 csum_flags; /* L4_FIX_PSEUDO: for bpf_l4_csum_replace */
	__u32 diff;       /* L4_FIX_PSEUDO: the pseudo-header difference */
	__u16 udp_check;  /* L4_FIX_WRITE: the computed UDP checksum */
};

/* The first 20 bytes of the quoted IPv4 header into q->ip, checked; 0 or -1. */
static __always_inline int quoted_ip4(struct __sk_buff *skb, struct quoted4 *q)
{
	if (q->start + IP4_HLEN > q->end || bpf_skb_load_bytes(skb, q->start, &q->ip, IP4_HLEN))
		return -1; /* the quote is shorter than an IPv4 header */
	q->hlen = q->ip.ihl * 4;
	q->tot_len = bpf_ntohs(q->ip.tot_len);
	if (q->ip.version != 4 || q->hlen < IP4_HLEN || q->start + q->hlen > q->end || q->tot_len < q->hlen)
		return -1; /* not an IPv4 header, or one whose lengths contradict the quote */
	return 0;
}

/*
 * The quoted packet of an ICMP error (RFC 7915 4.3), from and into the
 * scratch (q4: struct quoted4, in nat64.c; o6): IPv4 header -> IPv6
 * (out->qip6, out->qfrag), its L4 checksum word fixed (q->word); q->sum
 * gathers the change of every byte the outer checksum covers. 0, or -1 to
 * drop.
 */
SUBPROG int quoted_4to6(struct __sk_buff *skb)
{
	struct scratch *opts = scratch_get();
	struct quoted4 *q;
	struct out6 *out;
	const struct iphdr *qip;
	__be32 old_word;
	__u64 pseudo;
	__u32 opt_len, msg_len, dg_end;

	if (!opts)
		return -1; /* the per-CPU scratch always exists: never taken */
	q = &opts->q4;
	out = &opts->o6;
	qip = &q->ip;
	q->frag_len = ip6_from_ip4(&out->qip6, &out->qfrag, qip, &q->cfg, q->tot_len - q->hlen);
	q->sum = sum16(&out->qip6, IP6_HLEN, sub16(qip, IP4_HLEN, q->sum));
	if (q->frag_len)
		q->sum = sum16(&out->qfrag, sizeof(struct frag6), q->sum);
	if (q->hlen > IP4_HLEN) { /* quoted options are not translated: their bytes leave the sum */
		opt_len = BOUNDED(q->hlen - IP4_HLEN, SCRATCH);
		if (bpf_skb_load_bytes(skb, q->start + IP4_HLEN, opts->b, opt_len))
			return -1; /* beyond the frame: quoted_ip4 checked they are in the message */
		q->sum += (__u32)bpf_csum_diff((__be32 *)opts->b, opt_len, 0, 0, 0);
	}
	q->l4_off = q->start + q->hlen;
	q->has_word = 0;
	if (ip6_only_proto(qip->protocol) || qip->protocol == IPPROTO_IGMP)
		return -1; /* a quoted protocol of one family only, or IGMP (RFC 7915 4.2): as for a packet */
	if (bpf_ntohs(qip->frag_off) & IP_OFFSET)
		return 0; /* a later fragment quoted: no L4 header to fix */
	if (csum_word(qip->protocol, &q->word_off))
		return 0; /* a protocol whose checksum we do not know: its bytes are copied */
	/* the quoted datagram ends where the quote does, or where its Total Length says (RFC 4884 4.1 pads a field) */
	dg_end = q->start + q->tot_len < q->end ? q->start + q->tot_len : q->end;
	if (q->l4_off + q->word_off >= dg_end)
		return 0; /* the quoted datagram ends before the word: nothing to fix */
	q->word_len = dg_end - (q->l4_off + q->word_off);
	if (q->word_len > sizeof(old_word))
		q->word_len = sizeof(old_word);
	if (q->word_len < sizeof(old_word) && qip->protocol != IPPROTO_ICMP)
		return 0; /* the quote is cut before the TCP/UDP checksum: nothing to fix */
	old_word = 0; /* a cut ICMP header: the bytes present, zero-padded (zeros add nothing to a sum) */
	if (bpf_skb_load_bytes(skb, q->l4_off + q->word_off, &old_word, BOUNDED(q->word_len, sizeof(old_word))))
		return -1; /* cannot happen: the bytes are inside the message */
	q->word = old_word;
	if (qip->protocol == IPPROTO_ICMP)
		pseudo = icmp6_pseudo(&out->qip6.saddr, q->tot_len - q->hlen, 1, 0);
	else
		pseudo = sum16(&out->qip6.saddr, 2 * sizeof(struct in6_addr), sub16(&qip->saddr, 2 * sizeof(__be32), 0));
	if (quoted_csum_fix(&q->word, qip->protocol, pseudo, 1, q->word_len == sizeof(old_word)))
		return -1; /* a quoted ICMP message that is not an echo */
	msg_len = q->end - q->l4_off < q->tot_len - q->hlen ? q->end - q->l4_off : q->tot_len - q->hlen;
	if (!CSUM_CHECK_KNOCKED_OUT && qip->protocol == IPPROTO_ICMP && q->word_len == sizeof(old_word) &&
	    echo_reply_zero(skb, old_word, q->l4_off, msg_len))
		return -1; /* a corrupt all-zero Echo Reply quoted (0x0000): ICMPv6 would make it right */
	q->has_word = 1;
	q->sum = sum16(&q->word, sizeof(q->word), sub16(&old_word, sizeof(old_word), q->sum));
	return 0;
}

/*
 * IPv4 options (RFC 7915 4.1): not translated, except that a packet with an
 * unexpired Loose or Strict Source Route option MUST be dropped. 0 or a
 * drop reason.
 */
SUBPROG int ip4_options(struct __sk_buff *skb, __u32 off, __u32 end)
{
	__u8 opt[3]; /* type, length, pointer */

	for (int i = 0; i < IP4_OPT_MAX; i++) {
		if (off >= end)
			break;
		if (bpf_skb_load_bytes(skb, off, opt, 1))
			return NAT64_DROP_TRUNCATED; /* cannot happen: the header is in the frame */
		if (opt[0] == IPOPT_END)
			break;
		if (opt[0] == IPOPT_NOOP) {
			off++;
			continue;
		}
		if (off + 2 > end || bpf_skb_load_bytes(skb, off, opt, 2) || opt[1] < 2 || off + opt[1] > end)
			return NAT64_DROP_BAD_HEADER; /* an option whose length runs past the header */
		if (opt[0] == IPOPT_LSRR || opt[0] == IPOPT_SSRR) {
			/* unexpired: the pointer still lies inside the route data */
			if (opt[1] < 3 || bpf_skb_load_bytes(skb, off + 2, &opt[2], 1))
				return NAT64_DROP_BAD_HEADER; /* a source route without its pointer */
			if (opt[2] <= opt[1])
				return NAT64_DROP_SRC_ROUTE; /* RFC 7915 4.1: MUST be dropped */
		}
		off += opt[1];
	}
	return 0;
}

/*
 * Check: the IPv4 header is whole, its lengths fit the frame, its checksum
 * (options included) is right, and it carries no unexpired source route
 * (RFC 7915 4.1). A damaged header is not translated.
 */
static __always_inline int check_ip4(struct __sk_buff *skb, const struct iphdr *ip4, struct scratch *sc,
				     struct xlat4 *x)
{
	__u32 tot_len = bpf_ntohs(ip4->tot_len), opt_len;
	__u64 sum;
	int drop;

	x->hlen = ip4->ihl * 4;
	if (ip4->version != 4 || x->hlen < IP4_HLEN || tot_len < x->hlen)
		return NAT64_DROP_BAD_HEADER; /* not a well-formed IPv4 header */
	x->end = ETH_HLEN + tot_len;
	if (x->end > skb->len)
		return NAT64_DROP_TRUNCATED; /* the packet claims more bytes than the frame has */
	sum = sum16(ip4, IP4_HLEN, 0);
	if (x->hlen > IP4_HLEN) {
		opt_len = BOUNDED(x->hlen - IP4_HLEN, SCRATCH);
		if (bpf_skb_load_bytes(skb, IP4_OFF, sc->b, opt_len))
			return NAT64_DROP_TRUNCATED; /* options beyond the frame */
		sum += (__u32)bpf_csum_diff(0, 0, (__be32 *)sc->b, opt_len, 0);
		drop = ip4_options(skb, IP4_OFF, ETH_HLEN + x->hlen);
		if (drop)
			return drop; /* a source route or a malformed option */
	}
	if (fold64(sum) != CSUM_ALL_ONES)
		return NAT64_DROP_BAD_HEADER; /* a wrong header checksum: the header is damaged */
	return 0;
}

/*
 * Build: the IPv6 header, and the Fragment header of a fragment, in the
 * scratch (out); an IPv4 multicast destination also gets its Ethernet
 * address, 33:33 + the low 32 bits (RFC 2464 7).
 */
static __always_inline void build_ip6(const struct iphdr *ip4, const struct nat64_config *cfg, struct out6 *out,
				      struct xlat4 *x)
{
	__u16 frag_off = bpf_ntohs(ip4->frag_off);

	x->l4_off = ETH_HLEN + x->hlen;
	x->l4_len = x->end - x->l4_off;
	x->fragmented = (frag_off & (IP_MF | IP_OFFSET)) != 0;
	x->first = (frag_off & IP_OFFSET) == 0;
	out->eth.h_proto = bpf_htons(ETH_P_IPV6);
	x->frag_len = ip6_from_ip4(&out->ip6, &out->l4.frag, ip4, cfg, x->l4_len);
	/* multicast 224.0.0.0/4 -> prefix::224.x.y.z */
	x->mcast = IN_MULTICAST(bpf_ntohl(ip4->daddr));
	if (x->mcast) {
		out->eth.h_dest[0] = 0x33;
		out->eth.h_dest[1] = 0x33;
		__builtin_memcpy(&out->eth.h_dest[2], &out->ip6.daddr.s6_addr32[3], sizeof(__be32));
	}
}

/* TCP: the pseudo-header changes (RFC 7915 4.5). */
static __always_inline int tcp_4to6(struct xlat4 *x)
{
	x->kind = NAT64_XLAT_TCP;
	if (x->first && x->l4_len < sizeof(struct tcphdr))
		return NAT64_DROP_TRUNCATED; /* the TCP header is cut */
	x->fix = L4_FIX_PSEUDO;
	x->csum_off = offsetof(struct tcphdr, check);
	return 0;
}

/*
 * UDP: the pseudo-header changes; a datagram without checksum (0) gets one
 * computed, since IPv6 requires it (RFC 7915 4.5).
 */
static __always_inline int udp_4to6(struct __sk_buff *skb, struct scratch *sc, struct out6 *out, struct xlat4 *x)
{
	__be16 check = 0, udp_len;
	__u32 len;

	x->kind = NAT64_XLAT_UDP;
	x->fix = L4_FIX_PSEUDO;
	x->csum_off = offsetof(struct udphdr, check);
	x->csum_flags |= BPF_F_MARK_MANGLED_0;
	if (!x->first)
		return 0; /* a later fragment: its UDP header went with the first */
	if (x->l4_len < sizeof(struct udphdr) ||
	    pkt_read(skb, x->l4_off + offsetof(struct udphdr, check), &check, sizeof(check)))
		return NAT64_DROP_TRUNCATED; /* the UDP header is cut */
	if (check != 0)
		return 0; /* a checksum to update: the pseudo-header difference does it */
	if (x->fragmented)
		return NAT64_DROP_UDP_ZERO_FRAG; /* RFC 7915 4.5: a fragment cannot be summed whole: drop */
	if (bpf_skb_load_bytes(skb, x->l4_off + offsetof(struct udphdr, len), &udp_len, sizeof(udp_len)))
		return NAT64_DROP_TRUNCATED; /* cannot happen: the header was read above */
	len = bpf_ntohs(udp_len);
	if (len < sizeof(struct udphdr) || len > x->l4_len)
		return NAT64_DROP_TRUNCATED; /* the UDP length runs past the packet */
	x->fix = L4_FIX_WRITE;
#ifndef NAT64_NO_L4_CSUM_FIX
	if (sum_bytes(skb, x->l4_off, len))
		return NAT64_DROP_HELPER; /* the datagram could not be read */
	{
		__be32 ph[2] = { bpf_htonl(len), bpf_htonl(IPPROTO_UDP) };
		__u64 sum = sum16(&out->ip6.saddr, 2 * sizeof(struct in6_addr), sc->sum);

		x->udp_check = ~fold64(sum16(ph, sizeof(ph), sum));
		if (x->udp_check == 0)
			x->udp_check = CSUM_MANGLED_0;
	}
#endif
	return 0;
}

/*
 * An ICMPv4 error (RFC 7915 4.2, 4.3): type and code mapped, and the quoted
 * packet translated (q). `sum` gets the change its translation makes to the
 * bytes the checksum covers.
 */
static __always_inline int icmp_error_4to6(struct __sk_buff *skb, const struct nat64_config *cfg,
					   const struct icmpw *ic4, struct out6 *out, struct xlat4 *x,
					   struct quoted4 *q, __u64 *sum)
{
	struct icmp_ext_buf *fit;
	__u32 dgram;
	int d;

	q->start = x->l4_off + sizeof(struct icmphdr);
	/* RFC 4884: the quote is the original datagram field, an extension may follow it */
	q->end = q->start + icmp_ext_field(icmp4_has_length(ic4->type) ? ic4->rest.b[1] : 0, 4, x->end - q->start);
	if (quoted_ip4(skb, q))
		return NAT64_DROP_INNER; /* the quote holds no usable IPv4 header */
	if (icmp4_to_6(ic4, &out->l4.icmp, q->tot_len) == ICMP_DROP)
		return NAT64_DROP_ICMP_TYPE; /* a code with no ICMPv6 counterpart (RFC 7915 4.2) */
	x->kind = NAT64_XLAT_ICMP_ERR;
	if (!QUOTED_XLAT)
		return 0; /* knock-out build: the quote is copied as it is */
	q->cfg = *cfg;
	q->sum = 0;
	if (quoted_4to6(skb))
		return NAT64_DROP_INNER; /* the quoted packet cannot be translated */
	*sum = q->sum;
	/* RFC 4443 2.4 (c): at most 1280 bytes; RFC 4884: the field in 8-byte words, the extension after it */
	d = (int)(IP6_HLEN + q->frag_len) - (int)q->hlen;
	x->quoted = 1;
	if (icmp_fit_plain(q->end - q->start, x->end - q->start, d, ICMP_ROOM(ICMP6_ERR_MAX, IP6_HLEN))) {
		x->l4_len = sizeof(struct icmphdr) + x->end - q->start + d; /* fits whole, no extension */
	} else {
		dgram = icmp_field_datagram(q->end - q->start, x->end - q->start, q->tot_len);
		if (icmp_fit(skb, x->l4_off, x->end, q->end - q->start,
			     ICMP_FIT_HOW(1, icmp6_has_length(out->l4.icmp.type), dgram, d)))
			return NAT64_DROP_HELPER; /* the bytes to leave out or to move could not be read */
		fit = icmp_ext_buf_get();
		if (!fit)
			return NAT64_DROP_HELPER; /* the per-CPU map always exists: never taken */
		*sum += fit->fit.sum;
		out->l4.icmp.rest.b[0] |= fit->fit.attr; /* 0 where the type has no length attribute */
		x->l4_len = fit->fit.len;
		x->quoted = QUOTED_FIT;
	}
	if (x->l4_len > IP_LEN_MAX)
		return NAT64_DROP_BAD_HEADER; /* too long for the Payload Length (a knock-out build's) */
	out->ip6.payload_len = bpf_htons(x->l4_len);
	return 0;
}

/*
 * ICMPv4 -> ICMPv6 (RFC 7915 4.2): echo or error; the checksum gains the
 * ICMPv6 pseudo-header and every change below it, all incremental.
 */
static __always_inline int icmp_4to6(struct __sk_buff *skb, const struct nat64_config *cfg, struct out6 *out,
				     struct xlat4 *x, struct quoted4 *q)
{
	struct icmpw ic4;
	__u64 sum = 0;
	__u16 check;
	int drop;

	if (x->fragmented)
		return NAT64_DROP_ICMP_FRAG; /* the ICMPv6 checksum needs the whole message's length and bytes */
	if (x->l4_len < sizeof(struct icmphdr) || pkt_read(skb, x->l4_off, &ic4, sizeof(ic4)))
		return NAT64_DROP_TRUNCATED; /* the ICMP header is cut */
	x->kind = NAT64_XLAT_ICMP;
	if (icmp4_is_error(ic4.type)) {
		drop = icmp_error_4to6(skb, cfg, &ic4, out, x, q, &sum);
		if (drop)
			return drop; /* its type, code or quote cannot be translated */
	} else if (icmp4_to_6(&ic4, &out->l4.icmp, 0) != ICMP_INFO) {
		return NAT64_DROP_ICMP_TYPE; /* no ICMPv6 counterpart (RFC 7915 4.2) */
	} else if (!CSUM_CHECK_KNOCKED_OUT && *(const __be32 *)&ic4 == 0 && /* no subprogram call on every echo */
		   echo_reply_zero(skb, *(const __be32 *)&ic4, x->l4_off, x->l4_len)) {
		/* RFC 1071: all-zero bytes need 0xffff; with 0x0000 it is corrupt, and ICMPv6 would make it right */
		return NAT64_DROP_BAD_CSUM;
	}
	check = ic4.zero;
	ic4.zero = 0;
	sum = icmp6_pseudo(&out->ip6.saddr, x->l4_len, 1, sum);
	sum = sum16(&out->l4.icmp, sizeof(ic4), sub16(&ic4, sizeof(ic4), sum));
	out->l4.icmp.zero = check;
#ifndef NAT64_NO_L4_CSUM_FIX
	out->l4.icmp.zero = csum_update(check, fold64(sum));
#endif
	return 0;
}

/* Fix L4: what each protocol needs, decided and computed before the packet changes. */
static __always_inline int l4_4to6(struct __sk_buff *skb, const struct iphdr *ip4, const struct nat64_config *cfg,
				   struct scratch *sc, struct out6 *out, struct xlat4 *x, struct quoted4 *q)
{
	int drop = 0;

	switch (ip4->protocol) {
	case IPPROTO_IGMP:
		return NAT64_DROP_IGMP; /* RFC 7915 4.2: single-hop: SHOULD be silently dropped, not made MLD */
	case IPPROTO_TCP:
		drop = tcp_4to6(x);
		break;
	case IPPROTO_UDP:
		drop = udp_4to6(skb, sc, out, x);
		break;
	case IPPROTO_ICMP:
		drop = icmp_4to6(skb, cfg, out, x, q);
		break;
	case IPPROTO_AH:
		drop = x->first ? ah_next(skb, x->l4_off, x->end) : 0;
		break;
	default: /* checked only here: TCP, UDP and ICMP skip this test */
		if (ip6_only_proto(ip4->protocol))
			return NAT64_DROP_FAMILY_PROTO; /* it would make the payload an IPv6 header or a raw ICMPv6 message */
	}
	if (drop)
		return drop; /* a cut, untranslatable or unsummable L4 header */
	if (!x->first)
		x->fix = L4_FIX_NONE; /* a later fragment carries no L4 header */
	if (x->fix == L4_FIX_PSEUDO) /* TCP/UDP pseudo-header: IPv4 addresses out, IPv6 in */
		x->diff = pseudo_diff(cfg, &ip4->saddr, &out->ip6.saddr, 1);
	return 0;
}

/*
 * Rewrite: the IPv4 header (and the quoted one) become IPv6, then the L4
 * checksum. bpf_skb_adjust_room opens or closes room at the end of the
 * IPv4 header, bpf_skb_change_proto then adds IP_HLEN_DIFF bytes in front.
 */
static __always_inline int rewrite_4to6(struct __sk_buff *skb, struct out6 *out, const struct xlat4 *x,
					const struct quoted4 *q)
{
	__u32 old_l4 = x->l4_off, new_l4 = IP6_OFF + x->frag_len;
	int room, err;

	if (x->quoted) {
		/* [eth][ip4+opts][icmp][qip4+opts][L4] -> [eth][ip6][icmp6][qip6][qfrag][L4] */
		old_l4 = q->l4_off;
		new_l4 = IP6_OFF + sizeof(struct icmp6hdr) + IP6_HLEN + q->frag_len;
	}
	trim_trailer(skb, x->end);
	if (x->quoted == QUOTED_FIT && icmp_fit_trim(skb))
		return NAT64_DROP_HELPER; /* the kernel could not cut the error to its size */
	room = (int)new_l4 - IP_HLEN_DIFF - (int)old_l4;
	if (room && bpf_skb_adjust_room(skb, room, BPF_ADJ_ROOM_NET, 0))
		return NAT64_DROP_HELPER; /* the kernel could not resize the packet */
	if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0))
		return NAT64_DROP_HELPER; /* the kernel could not change the protocol */
	if (x->quoted && q->frag_len)
		err = pkt_write_head(skb, &out->eth, WRITE_LEN(struct out6, qfrag), x->mcast);
	else if (x->quoted)
		err = pkt_write_head(skb, &out->eth, WRITE_LEN(struct out6, qip6), x->mcast);
	else if (x->frag_len || x->kind == NAT64_XLAT_ICMP || x->kind == NAT64_XLAT_ICMP_ERR) /* an error: knock-out */
		err = pkt_write_head(skb, &out->eth, WRITE_LEN(struct out6, l4), x->mcast);
	else
		err = pkt_write_head(skb, &out->eth, WRITE_LEN(struct out6, ip6), x->mcast);
	if (err)
		return NAT64_DROP_HELPER; /* the new headers could not be written */
	if (x->quoted) {
		if (q->has_word &&
		    bpf_skb_store_bytes(skb, new_l4 + q->word_off, &q->word, BOUNDED(q->word_len, sizeof(q->word)), 0))
			return NAT64_DROP_HELPER; /* the quoted checksum could not be written */
		if (x->quoted == QUOTED_FIT && icmp_fit_place(skb, IP6_OFF))
			return NAT64_DROP_HELPER; /* the extension could not be moved */
		return 0;
	}
#ifndef NAT64_NO_L4_CSUM_FIX
	if (x->fix == L4_FIX_WRITE &&
	    bpf_skb_store_bytes(skb, new_l4 + offsetof(struct udphdr, check), &x->udp_check, sizeof(x->udp_check), 0))
		return NAT64_DROP_HELPER; /* the UDP checksum could not be written */
	/* a checksum-neutral prefix (docs/translator.md) changes nothing: skip the helper */
	if (x->fix == L4_FIX_PSEUDO && x->diff != 0 && x->diff != CSUM_ALL_ONES &&
	    bpf_l4_csum_replace(skb, new_l4 + x->csum_off, 0, x->diff, x->csum_flags))
		return NAT64_DROP_HELPER; /* the L4 checksum could not be updated */
#endif
	return 0;
}

static __always_inline int xlat_4to6(struct __sk_buff *skb)
{
	const struct nat64_config *cfg;
	const struct iphdr *ip4; /* the packet's own: read in place until the header change */
	struct scratch *sc;
	struct xlat4 x = { .kind = NAT64_XLAT_OTHER, .fix = L4_FIX_NONE, .csum_flags = BPF_F_PSEUDO_HDR };
	struct quoted4 *q; /* in the scratch, set in the ICMP error path only: no per-packet zeroing */
	void *head;
	int drop;

	STAGE_DONE(0);
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return PASS(D4, PASS_NOT_IP); /* not IPv4: not for this hook */
	sc = scratch_get();
	if (!sc)
		return DROP(D4, DROP_HELPER); /* the per-CPU scratch always exists: never taken */
	cfg = config(sc);
	if (!cfg)
		return PASS(D4, PASS_BAD_CONFIG); /* the map holds an invalid prefix length: translate nothing */
	head = pkt_head(skb, IP4_OFF);
	if (!head)
		return DROP(D4, DROP_TRUNCATED); /* shorter than an IPv4 header */
	ip4 = head + ETH_HLEN;
	STAGE_DONE(1);
	drop = check_ip4(skb, ip4, sc, &x);
	if (drop)
		return drop_for(D4, drop); /* damaged, or a source route (RFC 7915 4.1) */
	STAGE_DONE(2);
	build_ip6(ip4, cfg, &sc->o6, &x);
	STAGE_DONE(3);
	q = &sc->q4;
	drop = l4_4to6(skb, ip4, cfg, sc, &sc->o6, &x, q);
	if (drop)
		return drop_for(D4, drop); /* an L4 part we cannot translate whole */
	/*
	 * RFC 7915 4.1 (Source Address): an illegal source (RFC 1812 5.3.7)
	 * SHOULD be silently dropped, except in an ICMPv4 error, whose source
	 * is translated "for the purpose of trouble shooting".
	 */
	if (x.kind != NAT64_XLAT_ICMP_ERR && ip4_martian_src(ip4->saddr))
		return drop_for(D4, NAT64_DROP_BAD_SRC);
	STAGE_DONE(4);
	drop = rewrite_4to6(skb, &sc->o6, &x, q);
	if (drop)
		return drop_for(D4, drop); /* a kernel helper failed: dropped, never sent half-translated */
	STAGE_DONE(5);
	return count(D4, x.kind, XLAT_DONE);
}
