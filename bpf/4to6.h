/* SPDX-License-Identifier: MIT */
/* IPv4 -> IPv6 (RFC 7915 section 4). Included by nat64.c. */

#define D4 NAT64_DIR_4TO6


struct quoted4 {
	struct nat64_config c;
	struct iphdr qip; /* in: the quoted IPv4 header's first 20 bytes (quoted_ip4) */
	__u32 q, end;     /* in: where the quoted packet starts and the message ends */
	__u32 l4;         /* out: offset of the quoted L4 header in the original packet */
	__u32 qhl;        /* quoted IPv4 header length */
	__u32 qtot;       /* quoted total length */
	int qf;           /* 8 if the quoted packet gets a Fragment header */
	int woff;         /* checksum word offset in the quoted L4 header, -1 none */
	__be32 word;      /* the new word */
	__u64 sum;
};

/* The first 20 bytes of the quoted IPv4 header into r->qip, checked; 0 or -1. */
static __always_inline int quoted_ip4(struct __sk_buff *skb, struct quoted4 *r)
{
	if (r->q + 20 > r->end || bpf_skb_load_bytes(skb, r->q, &r->qip, 20))
		return -1;
	r->qhl = r->qip.ihl * 4;
	r->qtot = bpf_ntohs(r->qip.tot_len);
	if (r->qip.version != 4 || r->qhl < 20 || r->q + r->qhl > r->end || r->qtot < r->qhl)
		return -1;
	return 0;
}

/*
 * The quoted packet of an ICMP error (RFC 7915 4.3): IPv4 header -> IPv6
 * (o->qip6, o->qfrag), its L4 checksum word fixed (r->word); r->sum gathers
 * the change of every byte the outer checksum covers. 0, or -1 to drop.
 */
SUBPROG int quoted_4to6(struct __sk_buff *skb, struct quoted4 *r, struct out6 *o)
{
	struct scratch *opts = scratch_get();
	const struct iphdr *qip;
	__be32 oldw;
	__u32 n;
	__u16 fo;

	if (!r || !o || !opts)
		return -1;
	qip = &r->qip;
	fo = bpf_ntohs(qip->frag_off);
	r->qf = ip6_from_ip4(&o->qip6, &o->qfrag, qip, &r->c, r->qtot - r->qhl);
	r->sum = sum16(&o->qip6, 40, sub16(qip, 20, r->sum));
	if (r->qf)
		r->sum = sum16(&o->qfrag, 8, r->sum);
	if (r->qhl > 20) { /* quoted options are not translated: their bytes leave the sum */
		n = BOUNDED(r->qhl - 20, 64);
		if (bpf_skb_load_bytes(skb, r->q + 20, opts->b, n))
			return -1;
		r->sum += (__u32)bpf_csum_diff((__be32 *)opts->b, n, 0, 0, 0);
	}
	r->l4 = r->q + r->qhl;
	r->woff = -1;
	if (fo & IP_OFFMASK) /* a later fragment quoted: no L4 header to fix */
		return 0;
	r->woff = csum_word(qip->protocol);
	if (r->woff < 0)
		return 0;
	if (r->l4 + r->woff + 4 > r->end || bpf_skb_load_bytes(skb, r->l4 + r->woff, &oldw, 4)) {
		r->woff = -1; /* truncated before the checksum: nothing to fix */
		return 0;
	}
	r->word = oldw;
	if (qip->protocol == IPPROTO_ICMP) {
		/* only an echo can be quoted: 8/0 -> 128/129, plus the ICMPv6 pseudo-header */
		struct icmpw *w = (struct icmpw *)&r->word;
		__be32 ph[2] = { bpf_htonl(r->qtot - r->qhl), bpf_htonl(IPPROTO_ICMPV6) };
		__u16 check = w->zero;
		__u64 ds;

		if (w->type != 8 && w->type != 0)
			return -1;
		ds = sum16(&o->qip6.saddr, 32, 0);
		ds = sum16(ph, 8, ds);
		ds += (__u16)~(__u16)w->type;
		w->type = w->type == 8 ? 128 : 129;
		ds += w->type;
#ifndef NAT64_NO_L4_CSUM_FIX
		w->zero = csum_update(check, fold64(ds));
#else
		(void)check;
#endif
	} else {
		__u16 *check = qip->protocol == IPPROTO_TCP ? (__u16 *)&r->word : (__u16 *)&r->word + 1;
		__u16 ds = fold64(sum16(&o->qip6.saddr, 32, sub16(&qip->saddr, 8, 0)));

#ifndef NAT64_NO_L4_CSUM_FIX
		if (*check || qip->protocol == IPPROTO_TCP) {
			*check = csum_update(*check, ds);
			if (qip->protocol == IPPROTO_UDP && *check == 0)
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
 * IPv4 options (RFC 7915 4.1): not translated, except that a packet with an
 * unexpired Loose or Strict Source Route option MUST be dropped. 0 or a
 * drop reason.
 */
SUBPROG int ip4_options(struct __sk_buff *skb, __u32 p, __u32 end)
{
	__u8 o[3];

	for (int i = 0; i < 40; i++) {
		if (p >= end)
			break;
		if (bpf_skb_load_bytes(skb, p, o, 1))
			return NAT64_DROP_TRUNCATED;
		if (o[0] == 0) /* end of options */
			break;
		if (o[0] == 1) { /* no-op */
			p++;
			continue;
		}
		if (p + 2 > end || bpf_skb_load_bytes(skb, p, o, 2) || o[1] < 2 || p + o[1] > end)
			return NAT64_DROP_BAD_HEADER;
		if (o[0] == IPOPT_LSRR || o[0] == IPOPT_SSRR) {
			/* unexpired: the pointer still lies inside the route data */
			if (o[1] < 3 || bpf_skb_load_bytes(skb, p + 2, &o[2], 1))
				return NAT64_DROP_BAD_HEADER;
			if (o[2] <= o[1])
				return NAT64_DROP_SRC_ROUTE;
		}
		p += o[1];
	}
	return 0;
}

static __always_inline int xlat_4to6(struct __sk_buff *skb)
{
	const struct nat64_config *c;
	const struct iphdr *ip4; /* the packet's own: read in place until the header change */
	struct scratch *sc;
	void *p;
	struct out6 *o;
	struct icmpw ic4;
	struct quoted4 q; /* set in the ICMP error path only: no per-packet zeroing */
	__u32 hl, tot, end, l4off, l4len, diff = 0, n;
	__u64 sum;
	__u16 fo, ucheck = 0;
	int r, f, kind = NAT64_XLAT_OTHER, first, fragmented, csum_off = -1, mcast;
	__u64 csum_flags = BPF_F_PSEUDO_HDR;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return PASS(D4, PASS_NOT_IP);
	sc = scratch_get();
	if (!sc)
		return DROP(D4, DROP_HELPER);
	c = config(sc);
	if (!c)
		return PASS(D4, PASS_BAD_CONFIG);
	o = &sc->o6;
	p = pkt_head(skb, ETH_LEN + 20);
	if (!p)
		return DROP(D4, DROP_TRUNCATED);
	ip4 = p + ETH_LEN;
	hl = ip4->ihl * 4;
	tot = bpf_ntohs(ip4->tot_len);
	if (ip4->version != 4 || hl < 20 || tot < hl)
		return DROP(D4, DROP_BAD_HEADER);
	end = ETH_LEN + tot;
	if (end > skb->len)
		return DROP(D4, DROP_TRUNCATED);
	/* the header checksum, options included: a damaged header is not translated */
	sum = sum16(ip4, 20, 0);
	if (hl > 20) {
		n = BOUNDED(hl - 20, 64);
		if (bpf_skb_load_bytes(skb, IP4_OFF, sc->b, n))
			return DROP(D4, DROP_TRUNCATED);
		sum += (__u32)bpf_csum_diff(0, 0, (__be32 *)sc->b, n, 0);
		r = ip4_options(skb, IP4_OFF, ETH_LEN + hl);
		if (r)
			return count(D4, r, TC_ACT_SHOT);
	}
	if (fold64(sum) != 0xffff)
		return DROP(D4, DROP_BAD_HEADER);

	l4off = ETH_LEN + hl;
	l4len = tot - hl;
	fo = bpf_ntohs(ip4->frag_off);
	fragmented = (fo & (IP_MF | IP_OFFMASK)) != 0;
	first = (fo & IP_OFFMASK) == 0;

	o->eth.h_proto = bpf_htons(ETH_P_IPV6);
	f = ip6_from_ip4(&o->ip6, &o->l4.frag, ip4, c, l4len);
	/* multicast 224.0.0.0/4 -> prefix::224.x.y.z; Ethernet 33:33 + the low 32 bits (RFC 2464 7) */
	mcast = (bpf_ntohl(ip4->daddr) >> 28) == 0xe;
	if (mcast) {
		o->eth.h_dest[0] = 0x33; o->eth.h_dest[1] = 0x33;
		__builtin_memcpy(&o->eth.h_dest[2], &o->ip6.daddr.s6_addr[12], 4);
	}

	switch (ip4->protocol) {
	case IPPROTO_IGMP:
		/* RFC 7915 4.2: IGMP is single-hop: SHOULD be silently dropped, not translated to MLD */
		return DROP(D4, DROP_IGMP);
	case IPPROTO_TCP:
		kind = NAT64_XLAT_TCP;
		if (first && l4len < 20)
			return DROP(D4, DROP_TRUNCATED);
		csum_off = 16;
		break;
	case IPPROTO_UDP:
		kind = NAT64_XLAT_UDP;
		csum_off = 6;
		csum_flags |= BPF_F_MARK_MANGLED_0;
		if (!first)
			break;
		if (l4len < 8 || pkt_read(skb, l4off + 6, &ucheck, 2))
			return DROP(D4, DROP_TRUNCATED);
		if (ucheck == 0) {
			/* RFC 7915 4.5: IPv6 needs a UDP checksum. Compute it for a whole
			 * datagram; a fragment can't be summed: drop it (the default). */
			__be16 ulen;

			if (fragmented)
				return DROP(D4, DROP_UDP_ZERO_FRAG);
			if (bpf_skb_load_bytes(skb, l4off + 4, &ulen, 2))
				return DROP(D4, DROP_TRUNCATED);
			n = bpf_ntohs(ulen);
			if (n < 8 || n > l4len)
				return DROP(D4, DROP_TRUNCATED);
#ifndef NAT64_NO_L4_CSUM_FIX
			if (sum_bytes(skb, l4off, n))
				return DROP(D4, DROP_HELPER);
			{
				__be32 ph[2] = { bpf_htonl(n), bpf_htonl(IPPROTO_UDP) };

				sum = sum16(&o->ip6.saddr, 32, sc->sum);
				sum = sum16(ph, 8, sum);
				ucheck = ~fold64(sum);
				if (ucheck == 0)
					ucheck = 0xffff;
			}
#endif
			csum_off = -2; /* written whole below */
		}
		break;
	case IPPROTO_ICMP:
		/* the ICMPv6 checksum needs the whole message's length and bytes */
		if (fragmented)
			return DROP(D4, DROP_ICMP_FRAG);
		if (l4len < 8 || pkt_read(skb, l4off, &ic4, 8))
			return DROP(D4, DROP_TRUNCATED);
		kind = NAT64_XLAT_ICMP;
		if (ic4.type == 3 || ic4.type == 11 || ic4.type == 12) { /* the errors RFC 7915 4.2 translates */
			q.q = l4off + 8;
			q.end = end;
			if (quoted_ip4(skb, &q))
				return DROP(D4, DROP_INNER);
			r = icmp4_to_6(&ic4, &o->l4.icmp, q.qtot);
			if (r == ICMP_DROP)
				return DROP(D4, DROP_ICMP_TYPE);
			kind = NAT64_XLAT_ICMP_ERR;
			sum = 0;
			if (!QUOTED_XLAT)
				goto outer_csum;
			q.c = *c;
			q.sum = 0;
			if (quoted_4to6(skb, &q, o))
				return DROP(D4, DROP_INNER);
			sum = q.sum;
			l4len = l4len - q.qhl + 40 + q.qf;
			if (l4len > 0xffff)
				return DROP(D4, DROP_BAD_HEADER);
			/* RFC 4884 length: 4-byte words -> 8-byte words, kept if still exact */
			if ((o->l4.icmp.type == 1 || o->l4.icmp.type == 3) && ic4.rest.b[1]) {
				__u32 qb = (__u32)ic4.rest.b[1] * 4 + 40 + q.qf - q.qhl;

				if ((qb & 7) == 0)
					o->l4.icmp.rest.b[0] = qb / 8;
			}
			o->ip6.payload_len = bpf_htons(l4len);
		} else {
			if (icmp4_to_6(&ic4, &o->l4.icmp, 0) != ICMP_INFO)
				return DROP(D4, DROP_ICMP_TYPE);
			sum = 0;
		}
	outer_csum:
		{
			/* RFC 7915 4.2: ICMPv6 adds a pseudo-header to the checksum */
			__be32 ph[2] = { bpf_htonl(l4len), bpf_htonl(IPPROTO_ICMPV6) };
			__u16 check = ic4.zero;

			ic4.zero = 0;
			sum = sum16(&o->ip6.saddr, 32, sum);
			sum = sum16(ph, 8, sum);
			sum = sum16(&o->l4.icmp, 8, sub16(&ic4, 8, sum));
			o->l4.icmp.zero = check;
#ifndef NAT64_NO_L4_CSUM_FIX
			o->l4.icmp.zero = csum_update(check, fold64(sum));
#endif
		}
		break;
	}
	if (!first)
		csum_off = -1; /* a later fragment carries no L4 header */
	if (csum_off >= 0) /* TCP/UDP pseudo-header: IPv4 addresses out, IPv6 in */
		diff = pseudo_diff(c, &ip4->saddr, &o->ip6.saddr, 1);

	if (QUOTED_XLAT && kind == NAT64_XLAT_ICMP_ERR) {
		/* [eth][ip4+opts][icmp][qip4+opts][L4] -> [eth][ip6][icmp6][qip6][qfrag][L4] */
		r = (IP6_OFF - 20 + 8 + 40) + q.qf - (int)q.l4;
		if (r && bpf_skb_adjust_room(skb, r, BPF_ADJ_ROOM_NET, 0))
			return DROP(D4, DROP_HELPER);
		if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0))
			return DROP(D4, DROP_HELPER);
		if (q.qf) {
			if (pkt_write_head(skb, &o->eth, 2 + 40 + 8 + 40 + 8, mcast))
				return DROP(D4, DROP_HELPER);
		} else if (pkt_write_head(skb, &o->eth, 2 + 40 + 8 + 40, mcast)) {
			return DROP(D4, DROP_HELPER);
		}
		if (q.woff >= 0 &&
		    bpf_skb_store_bytes(skb, (IP6_OFF + 8 + 40) + (q.qf & 8) + (q.woff & 0x1f), &q.word, 4, 0))
			return DROP(D4, DROP_HELPER);
		return count(D4, kind, XLAT_DONE);
	}

	/* drop the options, make room for a Fragment header */
	r = (IP4_OFF + f) - (int)l4off;
	if (r && bpf_skb_adjust_room(skb, r, BPF_ADJ_ROOM_NET, 0))
		return DROP(D4, DROP_HELPER);
	if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0))
		return DROP(D4, DROP_HELPER);
	if (f || kind == NAT64_XLAT_ICMP || kind == NAT64_XLAT_ICMP_ERR) { /* an error only in NAT64_NO_QUOTED_XLAT */
		if (pkt_write_head(skb, &o->eth, 2 + 40 + 8, mcast))
			return DROP(D4, DROP_HELPER);
	} else if (pkt_write_head(skb, &o->eth, 2 + 40, mcast)) {
		return DROP(D4, DROP_HELPER);
	}
#ifndef NAT64_NO_L4_CSUM_FIX
	if (csum_off == -2 && bpf_skb_store_bytes(skb, IP6_OFF + 6, &ucheck, 2, 0))
		return DROP(D4, DROP_HELPER);
	/* a checksum-neutral prefix changes nothing: skip the helper */
	if (csum_off >= 0 && diff != 0 && diff != 0xffff &&
	    bpf_l4_csum_replace(skb, IP6_OFF + (f & 8) + (csum_off & 0x1f), 0, diff, csum_flags))
		return DROP(D4, DROP_HELPER);
#else
	(void)diff;
	(void)csum_flags;
#endif
	return count(D4, kind, XLAT_DONE);
}
