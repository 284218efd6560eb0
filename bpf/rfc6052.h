/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * IPv4-embedded IPv6 addresses (RFC 6052 2.2). For prefix lengths below 96
 * the IPv4 address skips bits 64-71, the "u" octet, which MUST be zero;
 * the suffix after the IPv4 address is written as zero.
 *
 *   len  bytes 0..15 (P prefix, V IPv4, u u-octet, 0 suffix)
 *    32  PPPP VVVV u000 0000
 *    40  PPPP PVVV uV00 0000
 *    48  PPPP PPVV uVV0 0000
 *    56  PPPP PPPV uVVV 0000
 *    64  PPPP PPPP uVVV V000
 *    96  PPPP PPPP PPPP VVVV
 */
#ifndef NAT64_RFC6052_H
#define NAT64_RFC6052_H

#include "nat64_abi.h"

/* The write-up's 64:ff9b:1:fffe::/96 (checksum-neutral: docs/translator.md, "Checksum-neutral prefixes"). */
static __always_inline void prefix_default(struct nat64_config *c)
{
	__u32 *p32 = (__u32 *)c->prefix;

	p32[0] = bpf_htonl(0x0064ff9b);
	p32[1] = bpf_htonl(0x0001fffe);
	p32[2] = 0;
	p32[3] = 0;
	*(__u32 *)&c->len = 96; /* len, pad */
}

static __always_inline int prefix_len_ok(__u8 len)
{
	return len == 32 || len == 40 || len == 48 || len == 56 || len == 64 || len == 96;
}

/* Four address bytes as one network-order word. */
#define BYTES_BE32(w, x, y, z) bpf_htonl(((__u32)(w) << 24) | ((__u32)(x) << 16) | ((__u32)(y) << 8) | (__u32)(z))

/*
 * The IPv4 address embedded in `a`, if `a` lies in the prefix: 0, else -1.
 * Written as whole words (not byte by byte) so the compiler keeps it in a
 * register.
 */
static __always_inline int prefix_extract(const struct nat64_config *c, const struct in6_addr *a, __be32 *v4)
{
	const __u8 *b = a->s6_addr;
	const __u8 *p = c->prefix;

	if (c->len == 96) {
		const __u32 *p32 = (const __u32 *)c->prefix;
		if (a->s6_addr32[0] != p32[0] || a->s6_addr32[1] != p32[1] || a->s6_addr32[2] != p32[2])
			return -1;
		*v4 = a->s6_addr32[3];
		return 0;
	}
	if (b[8] != 0) /* the u-octet MUST be zero (RFC 6052 2.2) */
		return -1;
	if (a->s6_addr32[0] != ((const __u32 *)c->prefix)[0])
		return -1;
	switch (c->len) {
	case 32:
		*v4 = a->s6_addr32[1];
		return 0;
	case 40:
		if (b[4] != p[4])
			return -1;
		*v4 = BYTES_BE32(b[5], b[6], b[7], b[9]);
		return 0;
	case 48:
		if (b[4] != p[4] || b[5] != p[5])
			return -1;
		*v4 = BYTES_BE32(b[6], b[7], b[9], b[10]);
		return 0;
	case 56:
		if (b[4] != p[4] || b[5] != p[5] || b[6] != p[6])
			return -1;
		*v4 = BYTES_BE32(b[7], b[9], b[10], b[11]);
		return 0;
	case 64:
		if (a->s6_addr32[1] != ((const __u32 *)c->prefix)[1])
			return -1;
		*v4 = BYTES_BE32(b[9], b[10], b[11], b[12]);
		return 0;
	}
	return -1;
}

/* `v4` embedded in the prefix. */
static __always_inline void prefix_embed(const struct nat64_config *c, __be32 v4, struct in6_addr *a)
{
	const __u32 *p32 = (const __u32 *)c->prefix;
	const __u8 *v = (const __u8 *)&v4;
	__u8 *b = a->s6_addr;

	a->s6_addr32[0] = p32[0];
	a->s6_addr32[1] = p32[1];
	if (c->len == 96) {
		a->s6_addr32[2] = p32[2];
		a->s6_addr32[3] = v4;
		return;
	}
	a->s6_addr32[2] = 0; /* u-octet and suffix */
	a->s6_addr32[3] = 0;
	switch (c->len) {
	case 32:
		a->s6_addr32[1] = v4;
		break;
	case 40:
		b[5] = v[0]; b[6] = v[1]; b[7] = v[2]; b[9] = v[3];
		break;
	case 48:
		b[6] = v[0]; b[7] = v[1]; b[9] = v[2]; b[10] = v[3];
		break;
	case 56:
		b[7] = v[0]; b[9] = v[1]; b[10] = v[2]; b[11] = v[3];
		break;
	default: /* 64 */
		b[9] = v[0]; b[10] = v[1]; b[11] = v[2]; b[12] = v[3];
		break;
	}
}

#endif
