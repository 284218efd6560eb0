/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * One's complement arithmetic (RFC 1071). Every value stays in memory byte
 * order, as read from the packet: the one's complement sum of 16-bit words
 * gives the same result in either byte order, so nothing is swapped.
 */
#ifndef NAT64_CSUM_H
#define NAT64_CSUM_H

/*
 * A subprogram the verifier checks once, on its own, instead of at every
 * call site in every state of the caller: this keeps the verifier's work
 * (and load time) small. Its arguments are scalars and the skb only: a
 * global function may take a pointer to memory only from Linux 5.12 on
 * ("bpf: Support pointers in global func args"), and natlab supports 5.10.
 * What it reads and writes beyond those lives in the per-CPU scratch map.
 */
#define SUBPROG __attribute__((noinline))

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

/* A sum over data that includes its own checksum, when that checksum is right (RFC 1071). */
#define CSUM_ALL_ONES 0xffff

/* A UDP checksum that computes to 0 is sent as all ones: 0 means "none" (RFC 768); the kernel's name. */
#define CSUM_MANGLED_0 0xffff

/* A checksum field after the data it covers changed by `diff` (RFC 1624 eqn 3). */
static __always_inline __u16 csum_update(__u16 check, __u32 diff)
{
	return (__u16)~csum_fold(csum_add(diff, (__u16)~check));
}

/*
 * One's complement sums of a few fixed-size fields (n: a constant multiple
 * of 4, at most 40; 4-aligned), inline: for the headers we rewrite this is
 * cheaper than a bpf_csum_diff call. 32-bit words accumulate in 64 bits and
 * fold once (RFC 1071 2(B)). sub16 adds the complement: takes the bytes out.
 */
static __always_inline __u64 sum16(const void *p, const int n, __u64 s)
{
	const __u32 *w = p; /* every field summed here is 4-aligned: sum 32-bit words */

	switch (n / 4) { /* straight-line code: a loop would cost the verifier a state per turn */
	case 10: s += w[9]; /* fallthrough */
	case 9: s += w[8]; /* fallthrough */
	case 8: s += w[7]; /* fallthrough */
	case 7: s += w[6]; /* fallthrough */
	case 6: s += w[5]; /* fallthrough */
	case 5: s += w[4]; /* fallthrough */
	case 4: s += w[3]; /* fallthrough */
	case 3: s += w[2]; /* fallthrough */
	case 2: s += w[1]; /* fallthrough */
	case 1: s += w[0];
	}
	return s;
}

static __always_inline __u64 sub16(const void *p, const int n, __u64 s)
{
	const __u32 *w = p;

	switch (n / 4) {
	case 10: s += (__u32)~w[9]; /* fallthrough */
	case 9: s += (__u32)~w[8]; /* fallthrough */
	case 8: s += (__u32)~w[7]; /* fallthrough */
	case 7: s += (__u32)~w[6]; /* fallthrough */
	case 6: s += (__u32)~w[5]; /* fallthrough */
	case 5: s += (__u32)~w[4]; /* fallthrough */
	case 4: s += (__u32)~w[3]; /* fallthrough */
	case 3: s += (__u32)~w[2]; /* fallthrough */
	case 2: s += (__u32)~w[1]; /* fallthrough */
	case 1: s += (__u32)~w[0];
	}
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

/* 1..n for a length the caller has checked is in 1..n, in a form an old verifier can bound (n: power of 2). */
#define BOUNDED(len, n) ((((len) - 1) & ((n) - 1)) + 1)

#endif
