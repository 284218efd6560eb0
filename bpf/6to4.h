/* SPDX-License-Identifier: MIT */
/* IPv6 -> IPv4 (RFC 7915 section 5). Included by nat64.c. */

#define D6 NAT64_DIR_6TO4


/*
 * The quoted packet of an ICMPv6 error (RFC 7915 5.3), at r->q up to r->end:
 * its IPv6 header becomes IPv4 (o->qip), the checksum word of its L4 header
 * is fixed (r->word, at r->woff, -1 if none), and r->sum gathers the change
 * of every byte the outer ICMP checksum covers. 0, or -1 to drop.
 */
struct quoted6 {
	struct nat64_config c;
	__u32 q, end; /* in: where the quoted packet starts and the message ends */
	__u32 l4;     /* out: offset of the quoted L4 header in the original packet */
	__u32 qext;   /* bytes of quoted extension headers */
	int woff;     /* checksum word offset in the quoted L4 header, -1 none */
	__be32 word;  /* the new word */
	__u64 sum;
};

SUBPROG int quoted_6to4(struct __sk_buff *skb, struct quoted6 *r, struct out4 *o)
{
	struct scratch *ext = scratch_get();
	struct ipv6hdr qip6;
	struct walk6 qw;
	__be32 s, d, oldw;
	__u32 qplen, n, q;

	if (!r || !o || !ext)
		return -1;
	q = r->q;
	if (q + 40 > r->end || bpf_skb_load_bytes(skb, q, &qip6, 40))
		return -1;
	if (qip6.version != 6)
		return -1;
	/* the quoted packet went the other way: its addresses must be in the prefix too */
	if (prefix_extract(&r->c, &qip6.saddr, &s) || prefix_extract(&r->c, &qip6.daddr, &d))
		return -1;
	if (walk6(skb, q + 40, qip6.nexthdr, r->end, &qw))
		return -1;
	r->qext = qw.off - (q + 40);
	qplen = bpf_ntohs(qip6.payload_len);
	if (r->qext > MAX_QEXT || qplen < r->qext)
		return -1;
	if (ip4_from_ip6(&o->qip, &qip6, &qw, qplen - r->qext, s, d, NULL))
		return -1;
	/* the ICMP checksum loses the quoted IPv6 header and extensions, gains the IPv4 header */
	r->sum = sum16(&o->qip, 20, sub16(&qip6, 40, r->sum));
	if (r->qext) {
		n = BOUNDED(r->qext, MAX_QEXT);
		if (bpf_skb_load_bytes(skb, q + 40, ext->b, n))
			return -1;
		r->sum += (__u32)bpf_csum_diff((__be32 *)ext->b, n, 0, 0, 0);
	}
	r->l4 = qw.off;
	r->woff = -1;
	if (qw.frag && qw.foff) /* a later fragment quoted: no L4 header to fix */
		return 0;
	r->woff = csum_word(qw.proto);
	if (r->woff < 0)
		return 0;
	if (qw.off + r->woff + 4 > r->end || bpf_skb_load_bytes(skb, qw.off + r->woff, &oldw, 4)) {
		r->woff = -1; /* truncated before the checksum: nothing to fix */
		return 0;
	}
	r->word = oldw;
	if (qw.proto == IPPROTO_ICMPV6) {
		/* only an echo can be quoted (no error about an error): 128/129 -> 8/0, minus the pseudo-header */
		struct icmpw *w = (struct icmpw *)&r->word;
		__be32 ph[2] = { bpf_htonl(qplen - r->qext), bpf_htonl(IPPROTO_ICMPV6) };
		__u16 check = w->zero;
		__u64 ds;

		if (w->type != 128 && w->type != 129)
			return -1;
		ds = sub16(&qip6.saddr, 32, 0);
		ds = sub16(ph, 8, ds);
		ds += (__u16)~(__u16)w->type;
		w->type = w->type == 128 ? 8 : 0;
		ds += w->type;
#ifndef NAT64_NO_L4_CSUM_FIX
		w->zero = csum_update(check, fold64(ds));
#else
		(void)check;
#endif
	} else {
		/* TCP/UDP: the pseudo-header loses the IPv6 addresses and gains the IPv4 ones */
		__u16 *check = qw.proto == IPPROTO_TCP ? (__u16 *)&r->word : (__u16 *)&r->word + 1;
		__u16 ds = fold64(sum16(&o->qip.saddr, 8, sub16(&qip6.saddr, 32, 0)));

#ifndef NAT64_NO_L4_CSUM_FIX
		if (*check || qw.proto == IPPROTO_TCP) {
			*check = csum_update(*check, ds);
			if (qw.proto == IPPROTO_UDP && *check == 0)
				*check = 0xffff;
		}
#else
		(void)check;
		(void)ds;
#endif
	}
	r->sum = sum16(&r->word, 4, sub16(&oldw, 4, r->sum));
	return 0;
}

/*
 * RFC 7915 5.2: the ICMPv4 checksum has no pseudo-header. Update the ICMPv6
 * one: its pseudo-header out (both addresses, the upper-layer length `len`,
 * next header 58), the old type/code/rest-of-header out and the new in.
 * `sum` carries changes made deeper in the message (a translated quoted
 * packet); 0 for echo.
 */
static __always_inline void icmp4_check(struct out4 *o, struct icmpw *ic6, const struct ipv6hdr *ip6,
					__u32 len, __u64 sum)
{
	__be32 ph[2] = { bpf_htonl(len), bpf_htonl(IPPROTO_ICMPV6) };
	__u16 check = ic6->zero;

	ic6->zero = 0;
	sum = sub16(&ip6->saddr, 32, sum);
	sum = sub16(ph, 8, sum);
	sum = sum16(&o->icmp, 8, sub16(ic6, 8, sum));
	o->icmp.zero = check;
#ifndef NAT64_NO_L4_CSUM_FIX
	o->icmp.zero = csum_update(check, fold64(sum));
#endif
}

static __always_inline int xlat_6to4(struct __sk_buff *skb)
{
	const struct nat64_config *c;
	const struct ipv6hdr *ip6; /* the packet's own: read in place until the header change */
	struct scratch *sc;
	void *p;
	struct out4 *o;
	struct walk6 w;
	struct icmpw ic6;
	struct quoted6 q; /* set in the ICMP error path only: no per-packet zeroing */
	__be32 s, d;
	__u32 plen, end, l4len, diff = 0;
	int r, kind = NAT64_XLAT_OTHER, first, csum_off = -1, mcast;
	__u64 csum_flags = BPF_F_PSEUDO_HDR;

	if (skb->protocol != bpf_htons(ETH_P_IPV6))
		return PASS(D6, PASS_NOT_IP);
	sc = scratch_get();
	if (!sc)
		return DROP(D6, DROP_HELPER);
	c = config(sc);
	if (!c)
		return PASS(D6, PASS_BAD_CONFIG);
	o = &sc->o4;
	p = pkt_head(skb, ETH_LEN + 40);
	if (!p)
		return DROP(D6, DROP_TRUNCATED);
	ip6 = p + ETH_LEN;
	if (ip6->version != 6)
		return DROP(D6, DROP_BAD_HEADER);
	if (prefix_extract(c, &ip6->saddr, &s) || prefix_extract(c, &ip6->daddr, &d))
		return PASS(D6, PASS_NOT_PREFIX);
	plen = bpf_ntohs(ip6->payload_len);
	if (plen == 0) /* a jumbogram (RFC 2675) has no IPv4 form */
		return DROP(D6, DROP_BAD_HEADER);
	end = IP6_OFF + plen;
	if (end > skb->len)
		return DROP(D6, DROP_TRUNCATED);
	if (is_ext(ip6->nexthdr)) {
		r = walk6(skb, IP6_OFF, ip6->nexthdr, end, &w);
		if (r)
			return count(D6, r, TC_ACT_SHOT);
	} else { /* no extension headers: no walk (a subprogram call) */
		w.off = IP6_OFF;
		w.proto = ip6->nexthdr;
		w.frag = 0;
		w.mf = 0;
		w.foff = 0;
		w.id = 0;
	}
	l4len = end - w.off;
	first = !w.frag || w.foff == 0;

	o->eth.h_proto = bpf_htons(ETH_P_IP);
	/* IPv4 multicast (224.0.0.0/4): Ethernet 01:00:5e + the low 23 bits (RFC 1112 6.4) */
	mcast = (bpf_ntohl(d) >> 28) == 0xe;
	if (mcast) {
		const __u8 *v = (const __u8 *)&d;
		o->eth.h_dest[0] = 0x01; o->eth.h_dest[1] = 0x00; o->eth.h_dest[2] = 0x5e;
		o->eth.h_dest[3] = v[1] & 0x7f; o->eth.h_dest[4] = v[2]; o->eth.h_dest[5] = v[3];
	}

	switch (w.proto) {
	case IPPROTO_TCP:
		kind = NAT64_XLAT_TCP;
		if (first && l4len < 20)
			return DROP(D6, DROP_TRUNCATED);
		csum_off = 16;
		break;
	case IPPROTO_UDP:
		kind = NAT64_XLAT_UDP;
		if (first && l4len < 8)
			return DROP(D6, DROP_TRUNCATED);
		/* a zero UDP checksum is invalid in IPv6 (RFC 8200 8.1): it stays 0, "none" in IPv4 */
		csum_off = 6;
		csum_flags |= BPF_F_MARK_MANGLED_0;
		break;
	case IPPROTO_ICMPV6:
		/* the ICMPv6 checksum covers the whole message: a fragment cannot be fixed */
		if (w.frag)
			return DROP(D6, DROP_ICMP_FRAG);
		if (l4len < 8 || pkt_read(skb, w.off, &ic6, 8))
			return DROP(D6, DROP_TRUNCATED);
		r = icmp6_to_4(&ic6, &o->icmp);
		if (r == ICMP_DROP)
			return DROP(D6, DROP_ICMP_TYPE);
		kind = r == ICMP_INFO ? NAT64_XLAT_ICMP : NAT64_XLAT_ICMP_ERR;
		break;
	}
	if (!first)
		csum_off = -1; /* a later fragment carries no L4 header */

	if (QUOTED_XLAT && kind == NAT64_XLAT_ICMP_ERR) {
		__u64 sum;

		q.c = *c;
		q.q = w.off + 8;
		q.end = end;
		q.sum = 0;
		if (quoted_6to4(skb, &q, o))
			return DROP(D6, DROP_INNER);
		sum = q.sum;
		/* RFC 4884 length: 8-byte words of the quoted packet -> 4-byte words, kept if still exact */
		if ((ic6.type == 1 || ic6.type == 3) && ic6.rest.b[0] && o->icmp.type != 12) {
			__u32 qb = (__u32)ic6.rest.b[0] * 8, shrink = 20 + q.qext;

			if (qb > shrink && qb - shrink >= 128)
				o->icmp.rest.b[1] = (qb - shrink) / 4;
		}
		l4len -= 20 + q.qext;
		if (ip4_from_ip6(&o->ip, ip6, &w, l4len, s, d, sc))
			return DROP(D6, DROP_BAD_HEADER);
		icmp4_check(o, &ic6, ip6, l4len + 20 + q.qext, sum);
		/* [eth][ip6][ext][icmp6][qip6][qext][L4] -> [eth][ip4][icmp][qip4][L4] */
		r = (IP4_OFF + 20 + 8 + 20) - (int)q.l4;
		if (r && bpf_skb_adjust_room(skb, r, BPF_ADJ_ROOM_NET, 0))
			return DROP(D6, DROP_HELPER);
		if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0))
			return DROP(D6, DROP_HELPER);
		if (pkt_write_head(skb, &o->eth, 2 + 20 + 8 + 20, mcast))
			return DROP(D6, DROP_HELPER);
		if (q.woff >= 0 &&
		    bpf_skb_store_bytes(skb, (IP4_OFF + 8 + 20) + (q.woff & 0x1f), &q.word, 4, 0))
			return DROP(D6, DROP_HELPER);
		return count(D6, kind, XLAT_DONE);
	}

	if (ip4_from_ip6(&o->ip, ip6, &w, l4len, s, d, sc))
		return DROP(D6, DROP_BAD_HEADER);
	if (kind == NAT64_XLAT_ICMP || kind == NAT64_XLAT_ICMP_ERR) /* an error only in NAT64_NO_QUOTED_XLAT */
		icmp4_check(o, &ic6, ip6, l4len, 0);
	if (csum_off >= 0) /* TCP/UDP pseudo-header: IPv6 addresses out, IPv4 in (length and protocol sum the same) */
		diff = pseudo_diff(c, &o->ip.saddr, &ip6->saddr, 0);

	r = IP4_OFF + 20 - (int)w.off; /* drop the extension headers */
	if (r && bpf_skb_adjust_room(skb, r, BPF_ADJ_ROOM_NET, 0))
		return DROP(D6, DROP_HELPER);
	if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0))
		return DROP(D6, DROP_HELPER);
	if (kind == NAT64_XLAT_ICMP || kind == NAT64_XLAT_ICMP_ERR) {
		if (pkt_write_head(skb, &o->eth, 2 + 20 + 8, mcast))
			return DROP(D6, DROP_HELPER);
	} else if (pkt_write_head(skb, &o->eth, 2 + 20, mcast)) {
		return DROP(D6, DROP_HELPER);
	}
#ifndef NAT64_NO_L4_CSUM_FIX
	/* a checksum-neutral prefix (NOTES: 64:ff9b:1:fffe::/96) changes nothing: skip the helper */
	if (csum_off >= 0 && diff != 0 && diff != 0xffff &&
	    bpf_l4_csum_replace(skb, IP4_OFF + (csum_off & 0x1f), 0, diff, csum_flags))
		return DROP(D6, DROP_HELPER);
#else
	(void)diff;
	(void)csum_flags;
#endif
	return count(D6, kind, XLAT_DONE);
}
