/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * IPv6 -> IPv4 (RFC 7915 section 5). Included by nat64.c.
 *
 * xlat_6to4 (the 6to4 entry point, and bench.h's driver) runs these stages in order, one function each:
 *   classify  IPv6 at all, both addresses in the prefix  xlat_6to4() itself
 *   check     lengths, extension headers                 check_ip6()
 *   fix L4    TCP/UDP checksum plan; ICMPv6 type/code    l4_6to4()
 *   build     the quoted packet of an error, the IPv4
 *             header, the ICMP checksum                  build_ip4()
 *   rewrite   the packet changes, only now               rewrite_6to4()
 * A stage returns 0 to carry on or a drop reason; nothing in the packet
 * changes before the last one.
 */

#define D6 NAT64_DIR_6TO4

/* What the stages of nat64_6to4 learn about a packet, for the stages after them. */
struct xlat6 {
	__be32 saddr, daddr; /* the IPv4 addresses embedded in the IPv6 ones */
	__u32 end;           /* frame offset where the IPv6 packet ends */
	struct walk6 w;      /* the upper layer after the extension headers */
	__u32 l4_len;        /* bytes from the upper-layer header (or fragment data) to the end */
	int first;           /* the first (or only) fragment: the L4 header is in it */
	int mcast;           /* an IPv4 multicast destination */
	int kind;            /* NAT64_XLAT_*: the counter of a translated packet */
	int quoted;          /* an ICMPv6 error whose quoted packet is translated too */
	enum l4_fix fix;     /* how the TCP/UDP checksum is brought up to date */
	__u32 csum_off;      /* L4_FIX_PSEUDO: the checksum's offset in the L4 header */
	__u64 csum_flags;    /* L4_FIX_PSEUDO: for bpf_l4_csum_replace */
	__u32 diff;          /* L4_FIX_PSEUDO: the pseudo-header difference */
	struct icmpw ic6;    /* an ICMPv6 message's first 8 bytes */
};

/*
 * The quoted packet of an ICMPv6 error, from and into the scratch: q6 (struct
 * quoted6, in nat64.c) and o4. 0, or -1 to drop.
 */
SUBPROG int quoted_6to4(struct __sk_buff *skb)
{
	struct scratch *ext = scratch_get();
	struct quoted6 *q;
	struct out4 *out;
	struct ipv6hdr qip6;
	struct walk6 qw;
	__be32 saddr, daddr, old_word;
	__u32 plen, ext_len, msg_len, dg_end;
	__u64 pseudo;

	if (!ext)
		return -1; /* the per-CPU scratch always exists: never taken */
	q = &ext->q6;
	out = &ext->o4;
	if (q->start + IP6_HLEN > q->end || bpf_skb_load_bytes(skb, q->start, &qip6, IP6_HLEN))
		return -1; /* the quote is shorter than an IPv6 header */
	if (qip6.version != 6)
		return -1; /* not an IPv6 header */
	/* the quoted packet went the other way: its addresses must be in the prefix too */
	if (prefix_extract(&q->cfg, &qip6.saddr, &saddr) || prefix_extract(&q->cfg, &qip6.daddr, &daddr))
		return -1; /* an address outside the prefix has no IPv4 form */
	if (walk6(skb, q->start + IP6_HLEN, qip6.nexthdr, q->end))
		return -1; /* quoted extension headers we cannot walk or translate */
	qw = ext->w6;
	q->ext_len = qw.off - (q->start + IP6_HLEN);
	plen = bpf_ntohs(qip6.payload_len);
	q->dgram_len = IP6_HLEN + plen;
	if (q->ext_len > MAX_QEXT || plen < q->ext_len)
		return -1; /* too many quoted extension headers, or a Payload Length they contradict */
	if (ip4_from_ip6(&out->qip, &qip6, &qw, plen - q->ext_len, saddr, daddr, NULL))
		return -1; /* too long for an IPv4 Total Length */
	/* the ICMP checksum loses the quoted IPv6 header and extensions, gains the IPv4 header */
	q->sum = sum16(&out->qip, IP4_HLEN, sub16(&qip6, IP6_HLEN, q->sum));
	if (q->ext_len) {
		ext_len = BOUNDED(q->ext_len, MAX_QEXT);
		if (bpf_skb_load_bytes(skb, q->start + IP6_HLEN, ext->b, ext_len))
			return -1; /* cannot happen: walk6 read them */
		q->sum += (__u32)bpf_csum_diff((__be32 *)ext->b, ext_len, 0, 0, 0);
	}
	q->l4_off = qw.off;
	q->has_word = 0;
	if (ip4_only_proto(qw.proto) || (ip6_only_proto(qw.proto) && qw.proto != IPPROTO_ICMPV6))
		return -1; /* a quoted protocol number of one family only: as for a packet, not translated */
	if (qw.frag && qw.foff)
		return 0; /* a later fragment quoted: no L4 header to fix */
	if (csum_word(qw.proto, &q->word_off))
		return 0; /* a protocol whose checksum we do not know: its bytes are copied */
	/* the quoted datagram ends where the quote does, or where its Payload Length says (RFC 4884 4.1 pads a field) */
	dg_end = q->start + q->dgram_len < q->end ? q->start + q->dgram_len : q->end;
	if (qw.off + q->word_off >= dg_end)
		return 0; /* the quoted datagram ends before the word: nothing to fix */
	q->word_len = dg_end - (qw.off + q->word_off);
	if (q->word_len > sizeof(old_word))
		q->word_len = sizeof(old_word);
	if (q->word_len < sizeof(old_word) && qw.proto != IPPROTO_ICMPV6)
		return 0; /* the quote is cut before the TCP/UDP checksum: nothing to fix */
	old_word = 0; /* a cut ICMP header: the bytes present, zero-padded (zeros add nothing to a sum) */
	if (bpf_skb_load_bytes(skb, qw.off + q->word_off, &old_word, BOUNDED(q->word_len, sizeof(old_word))))
		return -1; /* cannot happen: the bytes are inside the message */
	q->word = old_word;
	if (qw.proto == IPPROTO_ICMPV6) /* the ICMPv6 pseudo-header leaves the quoted echo's checksum */
		pseudo = icmp6_pseudo(&qip6.saddr, plen - q->ext_len, 0, 0);
	else /* TCP/UDP: the pseudo-header loses the IPv6 addresses and gains the IPv4 ones */
		pseudo = sum16(&out->qip.saddr, 2 * sizeof(__be32), sub16(&qip6.saddr, 2 * sizeof(struct in6_addr), 0));
	if (quoted_csum_fix(&q->word, qw.proto, pseudo, 0, q->word_len == sizeof(old_word)))
		return -1; /* a quoted ICMPv6 message that is not an echo */
	/* the quoted message, as far as the quote holds it */
	msg_len = q->end - qw.off < plen - q->ext_len ? q->end - qw.off : plen - q->ext_len;
	if (qw.proto == IPPROTO_ICMPV6 && q->word_len == sizeof(old_word) && echo_reply_zero(skb, q->word, qw.off, msg_len))
		((__u16 *)&q->word)[1] = CSUM_ALL_ONES; /* RFC 1071: an all-zero Echo Reply, as for a packet */
	q->has_word = 1;
	q->sum = sum16(&q->word, sizeof(q->word), sub16(&old_word, sizeof(old_word), q->sum));
	return 0;
}

/*
 * RFC 7915 5.2: the ICMPv4 checksum has no pseudo-header. Update the ICMPv6
 * one: its pseudo-header out (both addresses, the upper-layer length `len`,
 * next header 58), the old type/code/rest-of-header out and the new in.
 * `sum` carries changes made deeper in the message (a translated quoted
 * packet); 0 for echo.
 */
static __always_inline __u16 icmp4_check(struct out4 *out, struct icmpw *ic6, const struct ipv6hdr *ip6,
					 __u32 len, __u64 sum)
{
	__u16 check = ic6->zero;

	ic6->zero = 0;
	sum = icmp6_pseudo(&ip6->saddr, len, 0, sum);
	sum = sum16(&out->icmp, sizeof(out->icmp), sub16(ic6, sizeof(*ic6), sum));
#ifndef NAT64_NO_L4_CSUM_FIX
	check = csum_update(check, fold64(sum));
#endif
	out->icmp.zero = check;
	return check;
}

/*
 * Check: the Payload Length fits the frame, and the extension headers are
 * ones RFC 7915 5.1 translates (walk6).
 */
static __always_inline int check_ip6(struct __sk_buff *skb, const struct ipv6hdr *ip6, struct scratch *sc,
				     struct xlat6 *x)
{
	__u32 plen = bpf_ntohs(ip6->payload_len);
	int drop;

	if (plen == 0 && ip6->nexthdr == IPPROTO_HOPOPTS)
		return NAT64_DROP_BAD_HEADER; /* perhaps a jumbogram (RFC 2675): it has no IPv4 form */
	x->end = IP6_OFF + plen;
	if (x->end > skb->len)
		return NAT64_DROP_TRUNCATED; /* the packet claims more bytes than the frame has */
	if (is_ext(ip6->nexthdr)) {
		drop = walk6(skb, IP6_OFF, ip6->nexthdr, x->end);
		if (drop)
			return drop; /* a header RFC 7915 5.1 does not translate, or a chain we cannot walk */
		x->w = sc->w6;
	} else { /* no extension headers: no walk (a subprogram call) */
		x->w.off = IP6_OFF;
		x->w.proto = ip6->nexthdr;
		x->w.frag = 0;
		x->w.mf = 0;
		x->w.foff = 0;
		x->w.id = 0;
	}
	x->l4_len = x->end - x->w.off;
	x->first = !x->w.frag || x->w.foff == 0;
	return 0;
}

/*
 * An IPv6 UDP header (first fragment) whose checksum is 0, or unreadable.
 * RFC 8200 8.1: "IPv6 receivers must discard UDP packets containing a zero
 * checksum" (RFC 6935 allows it only between tunnel endpoints configured
 * for it, none of them an IPv4 host). RFC 7915 5.5 has no rule for it.
 * Translated as is, the 0 would reach IPv4 as "no checksum" (RFC 768), a
 * corrupt datagram made acceptable; computing one would repair a packet
 * the sender left unprotected, and cannot be done for a fragment. So the
 * packet is dropped and counted (docs/translator.md). A subprogram: the
 * verifier checks it once, not in every state of the caller.
 */
SUBPROG int udp6_zero_csum(struct __sk_buff *skb, __u32 udp_off)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 off = udp_off + offsetof(struct udphdr, check);
	__be16 check;

	if (CSUM_CHECK_KNOCKED_OUT)
		return 0; /* knock-out build: the 0 is translated */
	/* in the linear part (the usual case): read in place, no helper call */
	if (off < 0x1000 && data + off + sizeof(check) <= end)
		return *(__be16 *)(data + off) == 0;
	if (bpf_skb_load_bytes(skb, off, &check, sizeof(check)))
		return 1; /* cannot happen: the header length was checked */
	return check == 0;
}

/*
 * The zero UDP checksum test (RFC 8200 8.1, udp6_zero_csum above), inline
 * where the header is in the linear part, the usual case: a subprogram call
 * on every UDP packet cost 6to4 UDP about 3% (docs/bench.md). The read's
 * bounds check splits only the UDP branch's verifier states (about 1% more
 * instructions processed); a frame whose header is not linear goes to the
 * subprogram, which pulls nothing and reads with the helper.
 */
static __always_inline int udp6_zero_csum_fast(struct __sk_buff *skb, __u32 udp_off)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 off = udp_off + offsetof(struct udphdr, check);

	/* a bound the verifier needs (off + 2 within its MAX_PACKET_OFF); headers lie well below it */
	if (off < 0x1000 && data + off + sizeof(__be16) <= end)
		return !CSUM_CHECK_KNOCKED_OUT && *(__be16 *)(data + off) == 0;
	return udp6_zero_csum(skb, udp_off); /* not in the linear part: the helper reads it */
}

/* Fix L4: what each protocol needs, decided before the packet changes; ICMPv6 type and code mapped. */
static __always_inline int l4_6to4(struct __sk_buff *skb, struct out4 *out, struct xlat6 *x)
{
	int class, drop;

	switch (x->w.proto) {
	case IPPROTO_TCP:
		x->kind = NAT64_XLAT_TCP;
		if (x->first && x->l4_len < sizeof(struct tcphdr))
			return NAT64_DROP_TRUNCATED; /* the TCP header is cut */
		x->fix = L4_FIX_PSEUDO;
		x->csum_off = offsetof(struct tcphdr, check);
		break;
	case IPPROTO_UDP:
		x->kind = NAT64_XLAT_UDP;
		if (x->first && x->l4_len < sizeof(struct udphdr))
			return NAT64_DROP_TRUNCATED; /* the UDP header is cut */
		if (x->first && udp6_zero_csum_fast(skb, x->w.off))
			return NAT64_DROP_BAD_CSUM; /* RFC 8200 8.1: invalid in IPv6; IPv4 would read it as "none" */
		x->fix = L4_FIX_PSEUDO;
		x->csum_off = offsetof(struct udphdr, check);
		x->csum_flags |= BPF_F_MARK_MANGLED_0;
		break;
	case IPPROTO_ICMPV6:
		/* an atomic fragment (offset 0, M=0: RFC 8021) holds the whole message, so its checksum can be fixed */
		if (x->w.frag && (x->w.foff || x->w.mf))
			return NAT64_DROP_ICMP_FRAG; /* the ICMPv6 checksum covers the whole message: a fragment cannot be fixed */
		if (x->l4_len < sizeof(struct icmp6hdr) || pkt_read(skb, x->w.off, &x->ic6, sizeof(x->ic6)))
			return NAT64_DROP_TRUNCATED; /* the ICMPv6 header is cut */
		class = icmp6_to_4(&x->ic6, &out->icmp);
		if (class == ICMP_DROP)
			return NAT64_DROP_ICMP_TYPE; /* no ICMPv4 counterpart (RFC 7915 5.2): single-hop or unknown */
		x->kind = class == ICMP_INFO ? NAT64_XLAT_ICMP : NAT64_XLAT_ICMP_ERR;
		x->quoted = QUOTED_XLAT && class == ICMP_ERROR;
		break;
	case IPPROTO_AH:
		drop = x->first ? ah_next(skb, x->w.off, x->end) : 0;
		if (drop)
			return drop; /* a cut AH, or one followed by a protocol of one family only */
		break;
	default: /* checked only here: TCP, UDP and ICMPv6 skip these tests */
		if (ip4_only_proto(x->w.proto) || ip6_only_proto(x->w.proto))
			return NAT64_DROP_FAMILY_PROTO; /* ICMP or IGMP the translator never built; an IPv6-only header */
	}
	if (!x->first)
		x->fix = L4_FIX_NONE; /* a later fragment carries no L4 header */
	return 0;
}

/*
 * Build: an ICMPv6 error's quoted packet translated (q), then the IPv4
 * header (RFC 7915 5.1) and the ICMP checksum, in the scratch (out).
 */
static __always_inline int build_ip4(struct __sk_buff *skb, const struct ipv6hdr *ip6, const struct nat64_config *cfg,
				     struct scratch *sc, struct out4 *out, struct xlat6 *x, struct quoted6 *q)
{
	__u32 icmp_len = x->l4_len; /* the ICMPv6 message's length, for its pseudo-header */
	struct icmp_ext_buf *fit;
	__u64 sum = 0;
	__u32 dgram;
	__u16 check = CSUM_ALL_ONES; /* the ICMP checksum, once computed */
	int d;

	if (x->quoted) {
		q->cfg = *cfg;
		q->start = x->w.off + sizeof(struct icmp6hdr);
		/* RFC 4884: the quote is the original datagram field, an extension may follow it */
		q->end = q->start + icmp_ext_field(icmp6_has_length(x->ic6.type) ? x->ic6.rest.b[0] : 0, 8, x->end - q->start);
		q->sum = 0;
		if (quoted_6to4(skb))
			return NAT64_DROP_INNER; /* the quoted packet cannot be translated */
		sum = q->sum;
		/* RFC 1812 4.3.2.3: at most 576 bytes; RFC 4884: the field in 4-byte words, the extension after it */
		d = (int)IP4_HLEN - (int)(IP6_HLEN + q->ext_len);
		if (icmp_fit_plain(q->end - q->start, x->end - q->start, d, ICMP_ROOM(ICMP4_ERR_MAX, IP4_HLEN))) {
			x->l4_len = sizeof(struct icmphdr) + x->end - q->start + d; /* fits whole, no extension */
		} else {
			dgram = icmp_field_datagram(q->end - q->start, x->end - q->start, q->dgram_len);
			if (icmp_fit(skb, x->w.off, x->end, q->end - q->start,
				     ICMP_FIT_HOW(0, icmp4_has_length(out->icmp.type), dgram, d)))
				return NAT64_DROP_HELPER; /* the bytes to leave out or to move could not be read */
			fit = icmp_ext_buf_get();
			if (!fit)
				return NAT64_DROP_HELPER; /* the per-CPU map always exists: never taken */
			sum += fit->fit.sum;
			out->icmp.rest.b[1] |= fit->fit.attr; /* 0 where the type has no length attribute */
			x->l4_len = fit->fit.len;
			x->quoted = QUOTED_FIT;
		}
	}
	if (ip4_from_ip6(&out->ip, ip6, &x->w, x->l4_len, x->saddr, x->daddr, sc))
		return NAT64_DROP_BAD_HEADER; /* too long for the Total Length */
	if (x->kind == NAT64_XLAT_ICMP || x->kind == NAT64_XLAT_ICMP_ERR) /* an unquoted error: knock-out build */
		check = icmp4_check(out, &x->ic6, ip6, icmp_len, sum);
	/*
	 * An all-zero Echo Reply has checksum 0 here: that register is tested
	 * first (almost every message fails it), then the header word, then
	 * the data in a subprogram. Reading the word back straight after its
	 * halves were stored would stall the CPU's store forwarding on every
	 * echo (docs/bench.md: 8% of a 6to4 echo).
	 */
	if (x->kind == NAT64_XLAT_ICMP && check == 0 && *(const __be32 *)&out->icmp == 0 &&
	    echo_reply_zero(skb, *(const __be32 *)&out->icmp, x->w.off, x->l4_len))
		out->icmp.zero = CSUM_ALL_ONES; /* RFC 1071: all-zero data sums to 0, so its checksum is 0xffff, never 0 */
	if (x->fix == L4_FIX_PSEUDO) /* TCP/UDP pseudo-header: IPv6 addresses out, IPv4 in (length and protocol agree) */
		x->diff = pseudo_diff(cfg, &out->ip.saddr, &ip6->saddr, 0);
	return 0;
}

/*
 * Rewrite: the IPv6 header (and the quoted one) become IPv4, then the L4
 * checksum. bpf_skb_adjust_room opens or closes room at the end of the
 * IPv6 header, bpf_skb_change_proto then takes IP_HLEN_DIFF bytes from the
 * front.
 */
static __always_inline int rewrite_6to4(struct __sk_buff *skb, struct out4 *out, const struct xlat6 *x,
					const struct quoted6 *q)
{
	__u32 old_l4 = x->w.off, new_l4 = IP4_OFF; /* the extension headers go */
	int room, err;

	if (x->quoted) {
		/* [eth][ip6][ext][icmp6][qip6][qext][L4] -> [eth][ip4][icmp][qip4][L4] */
		old_l4 = q->l4_off;
		new_l4 = IP4_OFF + sizeof(struct icmphdr) + IP4_HLEN;
	}
	trim_trailer(skb, x->end);
	if (x->quoted == QUOTED_FIT && icmp_fit_trim(skb))
		return NAT64_DROP_HELPER; /* the kernel could not cut the error to its size */
	room = (int)new_l4 + IP_HLEN_DIFF - (int)old_l4;
	if (room && bpf_skb_adjust_room(skb, room, BPF_ADJ_ROOM_NET, 0))
		return NAT64_DROP_HELPER; /* the kernel could not resize the packet */
	if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0))
		return NAT64_DROP_HELPER; /* the kernel could not change the protocol */
	if (x->quoted)
		err = pkt_write_head(skb, &out->eth, WRITE_LEN(struct out4, qip), x->mcast);
	else if (x->kind == NAT64_XLAT_ICMP || x->kind == NAT64_XLAT_ICMP_ERR)
		err = pkt_write_head(skb, &out->eth, WRITE_LEN(struct out4, icmp), x->mcast);
	else
		err = pkt_write_head(skb, &out->eth, WRITE_LEN(struct out4, ip), x->mcast);
	if (err)
		return NAT64_DROP_HELPER; /* the new headers could not be written */
	if (x->quoted) {
		if (q->has_word &&
		    bpf_skb_store_bytes(skb, new_l4 + q->word_off, &q->word, BOUNDED(q->word_len, sizeof(q->word)), 0))
			return NAT64_DROP_HELPER; /* the quoted checksum could not be written */
		if (x->quoted == QUOTED_FIT && icmp_fit_place(skb, IP4_OFF))
			return NAT64_DROP_HELPER; /* the extension could not be moved */
		return 0;
	}
#ifndef NAT64_NO_L4_CSUM_FIX
	/* a checksum-neutral prefix (docs/translator.md) changes nothing: skip the helper */
	if (x->fix == L4_FIX_PSEUDO && x->diff != 0 && x->diff != CSUM_ALL_ONES &&
	    bpf_l4_csum_replace(skb, new_l4 + x->csum_off, 0, x->diff, x->csum_flags))
		return NAT64_DROP_HELPER; /* the L4 checksum could not be updated */
#endif
	return 0;
}

static __always_inline int xlat_6to4(struct __sk_buff *skb)
{
	const struct nat64_config *cfg;
	const struct ipv6hdr *ip6; /* the packet's own: read in place until the header change */
	struct scratch *sc;
	struct out4 *out;
	struct xlat6 x = { .kind = NAT64_XLAT_OTHER, .fix = L4_FIX_NONE, .csum_flags = BPF_F_PSEUDO_HDR };
	struct quoted6 *q; /* in the scratch, set in the ICMP error path only: no per-packet zeroing */
	void *head;
	int drop;

	STAGE_DONE(0);
	if (skb->protocol != bpf_htons(ETH_P_IPV6))
		return PASS(D6, PASS_NOT_IP); /* not IPv6: not for this hook */
	sc = scratch_get();
	if (!sc)
		return DROP(D6, DROP_HELPER); /* the per-CPU scratch always exists: never taken */
	cfg = config(sc);
	if (!cfg)
		return PASS(D6, PASS_BAD_CONFIG); /* the map holds an invalid prefix length: translate nothing */
	out = &sc->o4;
	q = &sc->q6;
	head = pkt_head(skb, IP6_OFF);
	if (!head)
		return DROP(D6, DROP_TRUNCATED); /* shorter than an IPv6 header */
	ip6 = head + ETH_HLEN;
	if (ip6->version != 6)
		return DROP(D6, DROP_BAD_HEADER); /* EtherType IPv6, yet not version 6 */
	if (prefix_extract(cfg, &ip6->saddr, &x.saddr) || prefix_extract(cfg, &ip6->daddr, &x.daddr))
		return PASS(D6, PASS_NOT_PREFIX); /* an address outside the prefix: not for the translator */
	STAGE_DONE(1);
	drop = check_ip6(skb, ip6, sc, &x);
	if (drop)
		return drop_for(D6, drop); /* damaged, or a header RFC 7915 5.1 does not translate */
	STAGE_DONE(2);

	out->eth.h_proto = bpf_htons(ETH_P_IP);
	/* IPv4 multicast (224.0.0.0/4): Ethernet 01:00:5e + the low 23 bits (RFC 1112 6.4) */
	x.mcast = IN_MULTICAST(bpf_ntohl(x.daddr));
	if (x.mcast) {
		const __u8 *v4 = (const __u8 *)&x.daddr;

		out->eth.h_dest[0] = 0x01;
		out->eth.h_dest[1] = 0x00;
		out->eth.h_dest[2] = 0x5e;
		out->eth.h_dest[3] = v4[1] & 0x7f;
		out->eth.h_dest[4] = v4[2];
		out->eth.h_dest[5] = v4[3];
	}
	drop = l4_6to4(skb, out, &x);
	if (drop)
		return drop_for(D6, drop); /* an L4 header we cannot translate whole */
	STAGE_DONE(3);
	drop = build_ip4(skb, ip6, cfg, sc, out, &x, q);
	if (drop)
		return drop_for(D6, drop); /* the quoted packet or the new header cannot be built */
	STAGE_DONE(4);
	drop = rewrite_6to4(skb, out, &x, q);
	if (drop)
		return drop_for(D6, drop); /* a kernel helper failed: dropped, never sent half-translated */
	STAGE_DONE(5);
	return count(D6, x.kind, XLAT_DONE);
}
