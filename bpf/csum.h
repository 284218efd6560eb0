/* SPDX-License-Identifier: MIT */
/*
 * One's complement arithmetic (RFC 1071). Every value stays in memory byte
 * order, as read from the packet: the one's complement sum of 16-bit words
 * gives the same result in either byte order, so nothing is swapped.
 */
#ifndef NAT64_CSUM_H
#define NAT64_CSUM_H

static __always_inline __u32 csum_add(__u32 a, __u32 b)
{
	a += b;
	return a + (a < b);
}

static __always_inline __u16 csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* A checksum field after the data it covers changed by `diff` (RFC 1624 eqn 3). */
static __always_inline __u16 csum_update(__u16 check, __u32 diff)
{
	return (__u16)~csum_fold(csum_add(diff, (__u16)~check));
}

/*
 * Sums of a few fixed-size, 2-aligned fields, inline: for the headers we
 * rewrite this is cheaper than a bpf_csum_diff call. Accumulate in 64 bits,
 * fold once. sub16 adds the one's complement, i.e. takes the bytes out.
 */
static __always_inline __u64 sum16(const void *p, const int n, __u64 s)
{
	const __u16 *w = p;

#pragma unroll
	for (int i = 0; i < n / 2; i++)
		s += w[i];
	return s;
}

static __always_inline __u64 sub16(const void *p, const int n, __u64 s)
{
	const __u16 *w = p;

#pragma unroll
	for (int i = 0; i < n / 2; i++)
		s += (__u16)~w[i];
	return s;
}

static __always_inline __u16 fold64(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* The header checksum of a 20-byte IPv4 header (its check field must be 0). */
static __always_inline __u16 ip4_csum(const struct iphdr *ip)
{
	return (__u16)~fold64(sum16(ip, 20, 0));
}

/* 1..n for a length the caller has checked is in 1..n, in a form an old verifier can bound (n: power of 2). */
#define BOUNDED(len, n) ((((len) - 1) & ((n) - 1)) + 1)

/*
 * The one's complement sum of `len` bytes at `off` (even), read in SUM_CHUNK-byte
 * chunks into `buf`: used only where the RFC leaves no incremental way (an IPv4 UDP
 * datagram with checksum 0, RFC 7915 4.5). Returns -1 if the bytes cannot be read.
 */
#define SUM_CHUNK 128
static __always_inline __s64 sum_bytes(struct __sk_buff *skb, __u32 off, __u32 len, __u8 *buf)
{
	__u32 s = 0;

	for (int i = 0; i < 65536 / SUM_CHUNK; i++) {
		if (len < SUM_CHUNK)
			break;
		if (bpf_skb_load_bytes(skb, off, buf, SUM_CHUNK))
			return -1;
		s = (__u32)bpf_csum_diff(0, 0, (__be32 *)buf, SUM_CHUNK, s);
		off += SUM_CHUNK;
		len -= SUM_CHUNK;
	}
	if (len >= SUM_CHUNK)
		return -1;
	if (len) {
		/* the odd last byte is padded with zero on the right (RFC 1071) */
		__builtin_memset(buf, 0, SUM_CHUNK);
		if (bpf_skb_load_bytes(skb, off, buf, BOUNDED(len, SUM_CHUNK)))
			return -1;
		s = (__u32)bpf_csum_diff(0, 0, (__be32 *)buf, SUM_CHUNK, s);
	}
	return s;
}

#endif
