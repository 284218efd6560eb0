/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * natlab's stateless NAT64 (RFC 7915 "SIIT") for tc cls_bpf, direct action.
 *
 *   sec "6to4": IPv6 -> IPv4, at egress of the translating device. Only
 *               packets whose source AND destination lie in the prefix.
 *   sec "4to6": IPv4 -> IPv6, at its ingress. Every IPv4 address maps into
 *               the prefix (RFC 6052).
 *
 * Anything not for us returns TC_ACT_OK untouched; anything we would only
 * half-handle is dropped (TC_ACT_SHOT) and counted. Every check is made,
 * and the new headers are built (stack or per-CPU scratch), before the
 * packet changes, so a packet is never emitted half-translated: once the
 * first byte changes, only a failing kernel helper can stop us, and that
 * drops. The headers are read and
 * written in place (direct packet access), with the load/store helpers as
 * the fallback for frames whose headers are not in the linear part.
 *
 * TTL / Hop Limit are copied, not decremented (RFC 7915 4.1 and 5.1 ask the
 * translator, being a router, to decrement): here the kernel's own
 * forwarding does that, on the IPv6 side before egress (6to4) and on the
 * IPv6 side after ingress (4to6), so decrementing again would count the hop
 * twice.
 *
 * Checksums: the IPv4 header checksum is computed; TCP/UDP get the
 * pseudo-header difference through bpf_l4_csum_replace(BPF_F_PSEUDO_HDR),
 * which is also right for CHECKSUM_PARTIAL packets from local sockets;
 * ICMP <-> ICMPv6 adds or removes the ICMPv6 pseudo-header and, for errors,
 * the difference of the quoted headers - all incremental (RFC 1624), so a
 * wrong checksum stays exactly as wrong. -DNAT64_NO_L4_CSUM_FIX leaves every
 * L4 checksum alone (to prove the tests catch it).
 */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
/*
 * linux/icmp.h includes linux/if.h, which includes the C library's
 * sys/socket.h, not built for the BPF target: stand in for if.h (icmp.h
 * needs only IFNAMSIZ from it).
 */
#define _LINUX_IF_H
#define IFNAMSIZ 16
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "nat64_abi.h"
#include "csum.h"
#include "rfc6052.h"
#include "icmp.h"

#ifdef NAT64_PIPE
#define XLAT_DONE TC_ACT_PIPE /* act_bpf followed by act_csum on kernels that have them */
#else
#define XLAT_DONE TC_ACT_OK
#endif

/*
 * -DNAT64_BENCH_STOP=N: the translation returns XLAT_STOPPED right after its
 * Nth stage (6to4: 0 before any, 1 classify, 2 check, 3 L4, 4 build,
 * 5 rewrite; 4to6 the same with build as 3 and L4 as 4; the counter comes
 * last). Timed against each other with `natlab bench compare`, these
 * builds give the cost of each stage (docs/bench.md). A timing build only:
 * tc never loads one.
 */
#ifdef NAT64_BENCH_STOP
#define XLAT_STOPPED (-1)
#define STAGE_DONE(n)                                  \
	do {                                               \
		if ((n) == NAT64_BENCH_STOP)                   \
			return XLAT_STOPPED; /* a timing build: stop here */ \
	} while (0)
#else
#define STAGE_DONE(n) do { } while (0)
#endif

/*
 * Knock-out builds (bpf/Makefile), each with one behaviour's code removed,
 * so the tests can show that its golden cases fail without it:
 *   -DNAT64_NO_L4_CSUM_FIX  no L4 checksum is fixed (TCP, UDP, ICMP, quoted)
 *   -DNAT64_NO_QUOTED_XLAT  an ICMP error's quoted packet is copied as it is
 *                           (outer header, type/code and checksum translated)
 *   -DNAT64_NO_MTU_ADJUST   the Packet Too Big / Fragmentation Needed MTU is
 *                           copied (no +-20, plateau or 1280 floor): icmp.h
 *   -DNAT64_NO_ICMP_SIZE_LIMIT  a translated ICMP error is not cut to 1280/576
 *   -DNAT64_NO_RFC4884      an RFC 4884 extension is read as quote: icmp_size.h
 *   -DNAT64_NO_CSUM_CHECK   a checksum no receiver accepts is translated, and
 *                           so made acceptable (IPv6 UDP checksum 0, an
 *                           all-zero ICMPv4 Echo Reply with 0x0000)
 */
#ifdef NAT64_NO_QUOTED_XLAT
#define QUOTED_XLAT 0
#else
#define QUOTED_XLAT 1
#endif

#ifdef NAT64_NO_CSUM_CHECK
#define CSUM_CHECK_KNOCKED_OUT 1
#else
#define CSUM_CHECK_KNOCKED_OUT 0
#endif

#define MAX_EXT 6   /* IPv6 extension headers walked before giving up */
#define MAX_QEXT 64 /* bytes of extension headers allowed in a quoted IPv6 packet */
#define IP4_HLEN sizeof(struct iphdr)   /* an IPv4 header without options */
#define IP6_HLEN sizeof(struct ipv6hdr)
#define IP4_OFF (ETH_HLEN + IP4_HLEN) /* L4 of a translated IPv4 packet */
#define IP6_OFF (ETH_HLEN + IP6_HLEN) /* L4 of a translated IPv6 packet */
#define IP4_OPT_MAX 40 /* bytes of IPv4 options at most (IHL 15) */
/* The bytes bpf_skb_change_proto adds going to IPv6 (removes going to IPv4), at the front of the IP header. */
#define IP_HLEN_DIFF ((int)(IP6_HLEN - IP4_HLEN))
#define IPV6_MIN_MTU 1280 /* RFC 8200 5; the kernel's name */
#define IP_LEN_MAX 0xffff /* the most a 16-bit Total Length or Payload Length can say */
/* IPv4 flags and fragment offset, as the kernel names them (include/net/ip.h) */
#define IP_MF 0x2000
#define IP_DF 0x4000
#define IP_OFFSET 0x1fff
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nat64_config);
} nat64_config SEC(".maps");

/* How the TCP/UDP checksum of a translated packet is brought up to date. */
enum l4_fix {
	L4_FIX_NONE,   /* none here: ICMP (fixed in the header we write), other protocols, a later fragment */
	L4_FIX_PSEUDO, /* the pseudo-header difference, by bpf_l4_csum_replace */
	L4_FIX_WRITE,  /* written whole: a UDP checksum computed from the bytes (4to6, RFC 7915 4.5) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NAT64_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} nat64_stats SEC(".maps");

#define SCRATCH 64 /* bytes of options or quoted extension headers, or of payload per sum step */

/* The IPv6 Fragment header (RFC 8200 4.5; the kernel's struct frag_hdr is not in its uapi). */
struct frag6 {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset in 8-byte units << 3, and the M flag */
	__be32 id;
};
#define IP6_MF 0x0001 /* in frag_off, host order: more fragments */

struct out4 { /* what 6to4 writes at offset 0, laid out to keep the IP headers 4-aligned */
	__u16 pad;
	struct ethhdr eth;
	struct iphdr ip;
	struct icmpw icmp;
	struct iphdr qip; /* the quoted packet of an ICMP error */
};

struct out6 { /* what 4to6 writes at offset 0, laid out to keep the IP headers 4-aligned */
	__u16 pad;
	struct ethhdr eth;
	struct ipv6hdr ip6;
	union {
		struct frag6 frag; /* a fragment (never ICMP: those are dropped) */
		struct icmpw icmp;
	} l4;
	struct ipv6hdr qip6; /* the quoted packet of an ICMP error */
	struct frag6 qfrag;
};

struct walk6 {
	__u32 off;  /* offset of the upper-layer header (or fragment data) */
	__u8 proto; /* its protocol */
	__u8 frag;  /* a Fragment header was seen */
	__u8 mf;
	__u16 foff; /* fragment offset, 8-byte units */
	__be32 id;
};

/*
 * The quoted packet of an ICMPv6 error (RFC 7915 5.3), at q->start up to
 * q->end: its IPv6 header becomes IPv4 (out->qip), the checksum word of its
 * L4 header is fixed (q->word at q->word_off, if has_word), and q->sum
 * gathers the change of every byte the outer ICMP checksum covers.
 */
struct quoted6 {
	struct nat64_config cfg;
	__u32 start, end; /* in: where the quoted packet starts and the message ends */
	__u32 l4_off;     /* out: offset of the quoted L4 header in the original packet */
	__u32 ext_len;    /* bytes of quoted extension headers */
	__u32 dgram_len;  /* the quoted packet's length, as its Payload Length says */
	__u32 word_off;   /* has_word: the checksum word's offset in the quoted L4 header */
	int has_word;     /* the quoted L4 header's checksum word is rewritten */
	__u32 word_len;   /* has_word: its bytes in the quote, 1 to 4 (a quote may end inside it) */
	__be32 word;      /* has_word: the new word */
	__u64 sum;
};

/* The quoted packet of an ICMPv4 error, and what translating it gives. */
struct quoted4 {
	struct nat64_config cfg;
	struct iphdr ip;  /* in: the quoted IPv4 header's first 20 bytes (quoted_ip4) */
	__u32 start, end; /* in: where the quoted packet starts and the message ends */
	__u32 l4_off;     /* out: offset of the quoted L4 header in the original packet */
	__u32 hlen;       /* quoted IPv4 header length */
	__u32 tot_len;    /* quoted Total Length, as the quote says */
	__u32 frag_len;   /* sizeof(struct frag6) if the quoted packet gets a Fragment header, else 0 */
	__u32 word_off;   /* has_word: the checksum word's offset in the quoted L4 header */
	int has_word;     /* the quoted L4 header's checksum word is rewritten */
	__u32 word_len;   /* has_word: its bytes in the quote, 1 to 4 (a quote may end inside it) */
	__be32 word;      /* has_word: the new word */
	__u64 sum;        /* the change of every byte the outer ICMPv6 checksum covers */
};

/*
 * Space off the 512-byte stack (the program and one subprogram share it):
 * per CPU, so never shared between two runs at once. It also carries what
 * the global subprograms (SUBPROG) and their callers exchange: those take
 * only scalars and the skb (see csum.h), so walk6() leaves its result in w6,
 * and quoted_6to4()/quoted_4to6() read and write q6/q4 and o4/o6 here.
 */
struct scratch {
	union {
		struct { /* 6to4 */
			struct out4 o4;
			struct walk6 w6; /* walk6()'s result */
			struct quoted6 q6;
		};
		struct { /* 4to6 */
			struct out6 o6;
			struct quoted4 q4;
		};
	};
	__u8 b[SCRATCH];
	__u64 sum;
	struct nat64_config dflt; /* the default prefix, see config() */
	__u32 id_key;  /* Identification generator (frag_id): its key, 0 until seeded */
	__u32 id_next; /* and its counter */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} nat64_scratch SEC(".maps");

static __always_inline struct scratch *scratch_get(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&nat64_scratch, &key);
}

/*
 * The one's complement sum of `len` bytes at `off` (even) into the
 * scratch's sum, read in SUM_CHUNK-byte chunks: used only where the RFC leaves
 * no incremental way (an IPv4 UDP datagram with checksum 0, RFC 7915 4.5).
 * Returns 0, or -1 if the bytes cannot be read.
 */
#define SUM_CHUNK SCRATCH
SUBPROG int sum_bytes(struct __sk_buff *skb, __u32 off, __u32 len)
{
	struct scratch *buf = scratch_get();
	__u32 s = 0;

	if (!buf)
		return -1;
	for (int i = 0; i < 65536 / SUM_CHUNK; i++) {
		if (len < SUM_CHUNK)
			break;
		if (bpf_skb_load_bytes(skb, off, buf->b, SUM_CHUNK))
			return -1;
		s = (__u32)bpf_csum_diff(0, 0, (__be32 *)buf->b, SUM_CHUNK, s);
		off += SUM_CHUNK;
		len -= SUM_CHUNK;
	}
	if (len >= SUM_CHUNK)
		return -1;
	if (len) {
		/* the odd last byte is padded with zero on the right (RFC 1071) */
		__builtin_memset(buf->b, 0, SUM_CHUNK);
		if (bpf_skb_load_bytes(skb, off, buf->b, BOUNDED(len, SUM_CHUNK)))
			return -1;
		s = (__u32)bpf_csum_diff(0, 0, (__be32 *)buf->b, SUM_CHUNK, s);
	}
	buf->sum = s;
	return 0;
}

/* The sum sum_bytes() left in the scratch: 0 only when every byte it read was zero. */
static __always_inline __u64 sum_scratch(void)
{
	struct scratch *buf = scratch_get();

	return buf ? buf->sum : 1;
}

/*
 * An ICMPv4 Echo Reply whose every byte is zero: `word` its first four
 * bytes (type 0, code 0, checksum 0), `off` and `len` (at least 4) the
 * message in the frame. Its sum is +0, so only 0xffff checks against it
 * (RFC 1071); the other zero, 0x0000, which an incremental update (RFC 1624)
 * can give, makes receivers discard it. Every other ICMP message has a
 * non-zero byte (its type, or the ICMPv6 pseudo-header), where both zeros
 * check. The data is summed only when the header is all zero.
 */
SUBPROG int echo_reply_zero_data(struct __sk_buff *skb, __u32 off, __u32 len)
{
	if (len <= sizeof(__be32))
		return 1; /* the header is all there is */
	if (sum_bytes(skb, off + sizeof(__be32), len - sizeof(__be32)))
		return 0; /* unreadable: leave the checksum as it is */
	return sum_scratch() == 0;
}

/* The header test inline (almost every message fails it), the data summed in a subprogram. */
static __always_inline int echo_reply_zero(struct __sk_buff *skb, __be32 word, __u32 off, __u32 len)
{
	return word == 0 && echo_reply_zero_data(skb, off, len);
}

/*
 * A drop is rare and always worth a line in trace_pipe: natlab keeps it in
 * results/<lab>/trace.txt, names the counter item (harness/run/trace.ts) and
 * shows it under a failed flow. Translated and passed packets print nothing,
 * so the common path pays nothing for it. -DNAT64_QUIET removes the line.
 */
static __always_inline int count(int dir, int item, int ret)
{
	__u32 key = dir * NAT64_STAT_PER_DIR + item;
	__u64 *n = bpf_map_lookup_elem(&nat64_stats, &key);

	if (n)
		*n += 1;
#ifndef NAT64_QUIET
	if (ret == TC_ACT_SHOT) {
		if (dir == NAT64_DIR_4TO6)
			bpf_printk("nat64 4to6: drop item %d", item);
		else
			bpf_printk("nat64 6to4: drop item %d", item);
	}
#endif
	return ret;
}
#define PASS(d, it) count(d, NAT64_##it, TC_ACT_OK)
#define DROP(d, it) count(d, NAT64_##it, TC_ACT_SHOT)

/*
 * The stages of a translation return 0 to carry on, or the counter item
 * that says why the packet is dropped (a NAT64_DROP_* item: never 0).
 */
_Static_assert(NAT64_DROP_TRUNCATED > 0, "drop reasons are never 0");
static __always_inline int drop_for(int dir, int reason)
{
	return count(dir, reason, TC_ACT_SHOT);
}

/* ---- direct packet access --------------------------------------------- */

/*
 * Reading and writing the headers straight in the packet costs a bounds
 * check; bpf_skb_load_bytes/store_bytes cost a helper call and a copy each
 * (measured: about 20 ns per packet for the two). The helpers remain the
 * fallback for frames whose headers are not in the linear part.
 */

/* The frame's first `len` (constant) bytes, pulled into the linear part if need be; NULL if shorter. */
static __always_inline void *pkt_head(struct __sk_buff *skb, const __u32 len)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if (data + len <= end)
		return data;
	if (bpf_skb_pull_data(skb, len))
		return NULL;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + len > end)
		return NULL;
	return data;
}

/* `len` (2 or 8) bytes at `off` into `to` (4-aligned): 0, or -1 beyond the frame. */
static __always_inline int pkt_read(struct __sk_buff *skb, __u32 off, void *to, const __u32 len)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	/* a bound the verifier needs (off + len within its MAX_PACKET_OFF); headers lie well below it */
	if (off < 0x1000 && data + off + len <= end) {
		if (len % 4 == 0) { /* whole words: the caller sums them as words */
#pragma unroll
			for (int i = 0; i < len / 4; i++)
				((__u32 *)to)[i] = ((const __u32 *)(data + off))[i];
		} else {
#pragma unroll
			for (int i = 0; i < len / 2; i++)
				((__u16 *)to)[i] = ((const __u16 *)(data + off))[i];
		}
		return 0;
	}
	return bpf_skb_load_bytes(skb, off, to, len) ? -1 : 0;
}

/*
 * After the header change: write the new EtherType and the headers after
 * it, `len` bytes in all (WRITE_LEN), from `eth` (struct out4/out6: eth at offset 2, so the
 * headers after the EtherType are 4-aligned), and the destination MAC too
 * when `mac`. The source MAC and the rest of the frame are already in place
 * (bpf_skb_change_proto and adjust_room move the MAC header along).
 */
#define WRITE_LEN(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member) - offsetof(type, eth.h_proto))
static __always_inline int pkt_write_head(struct __sk_buff *skb, const struct ethhdr *eth, const __u32 len, int mac)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if (data + offsetof(struct ethhdr, h_proto) + len > end) {
		if (mac && bpf_skb_store_bytes(skb, 0, eth->h_dest, ETH_ALEN, 0))
			return -1;
		return bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &eth->h_proto, len, 0);
	}
	if (mac) {
#pragma unroll
		for (int i = 0; i < ETH_ALEN / 2; i++)
			((__u16 *)data)[i] = ((const __u16 *)eth->h_dest)[i];
	}
	*(__be16 *)(data + offsetof(struct ethhdr, h_proto)) = eth->h_proto;
#pragma unroll
	for (int i = 0; i < (len - sizeof(eth->h_proto)) / 4; i++)
		((__u32 *)(data + ETH_HLEN))[i] = ((const __u32 *)(eth + 1))[i];
	return 0;
}

/*
 * Bytes after the IP packet (Ethernet padding of a short frame, or whatever
 * the link left) are not part of it: the translated frame ends where its
 * packet does (docs/translator.md). Trimmed first, before any other change,
 * `end` being the frame offset where the packet ends. A trim the kernel
 * refuses (an encapsulated skb) leaves them: receivers trim by the IP
 * length, so the translation goes on.
 */
static __always_inline void trim_trailer(struct __sk_buff *skb, __u32 end)
{
	if (skb->len > end)
		bpf_skb_change_tail(skb, end, 0);
}

/*
 * The prefix: the map's, or the default (written into the scratch) when the
 * entry is all zero; NULL if its length is invalid. A pointer, not a copy:
 * a copy on the stack is split into bytes by the compiler and rebuilt into
 * words at every use.
 */
static __always_inline const struct nat64_config *config(struct scratch *sc)
{
	__u32 key = 0;
	const struct nat64_config *v = bpf_map_lookup_elem(&nat64_config, &key);

	if (!v || v->len == 0) {
		prefix_default(&sc->dflt);
		return &sc->dflt;
	}
	return prefix_len_ok(v->len) ? v : NULL;
}

/*
 * The TCP/UDP pseudo-header difference (RFC 1624) when the IPv4 addresses
 * `v4` (8 bytes) are replaced by the IPv6 addresses `v6` (32 bytes), or the
 * other way when `to4`; length and protocol sum the same in both. With a /96
 * prefix the IPv6 addresses are prefix + IPv4 address, so the difference is
 * twice the prefix's sum, the same for every packet: no address is summed
 * (and a checksum-neutral prefix gives 0: docs/translator.md, "Checksum-neutral prefixes").
 */
static __always_inline __u16 pseudo_diff(const struct nat64_config *c, const void *v4, const void *v6, int to6)
{
	if (c->len == 96)
		return fold64(2 * (to6 ? sum16(c->prefix, 12, 0) : sub16(c->prefix, 12, 0)));
	return to6 ? fold64(sum16(v6, 32, sub16(v4, 8, 0))) : fold64(sum16(v4, 8, sub16(v6, 32, 0)));
}

/* ---- IPv6 extension headers ------------------------------------------ */

static __always_inline int is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_DSTOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT;
}

/*
 * Walk the extension headers from `off` (just after a 40-byte IPv6 header),
 * staying below `end`. RFC 7915 5.1: Hop-by-Hop, Destination Options and a
 * Routing header with Segments Left 0 are skipped (not translated); Segments
 * Left != 0 MUST NOT be translated. Returns 0 or a drop reason; the walk
 * in the scratch's w6.
 */
SUBPROG int walk6(struct __sk_buff *skb, __u32 off, __u32 nh, __u32 end)
{
	struct scratch *sc = scratch_get();
	struct walk6 *w; /* the result, left in the scratch for the caller */
	__u8 h[8];

	if (!sc)
		return NAT64_DROP_HELPER; /* the per-CPU scratch always exists: never taken */
	w = &sc->w6;
	w->frag = 0;
	w->mf = 0;
	w->foff = 0;
	w->id = 0;
#pragma unroll
	for (int i = 0; i < MAX_EXT; i++) {
		if (!is_ext(nh))
			break;
		if (off + 8 > end || bpf_skb_load_bytes(skb, off, h, 8))
			return NAT64_DROP_TRUNCATED;
		if (nh == IPPROTO_FRAGMENT) {
			__u16 fo = ((__u16)h[2] << 8) | h[3];

			nh = h[0];
			/*
			 * RFC 7915 5.1.1 (Protocol): an extension header after the
			 * Fragment Header (AH included, ESP not) SHOULD be dropped.
			 * So the Fragment Header ends the walk: what follows is the
			 * upper layer, or fragment data in a later fragment.
			 */
			if (is_ext(nh) || nh == IPPROTO_AH)
				return NAT64_DROP_EXT_AFTER_FRAG;
			w->frag = 1;
			w->foff = fo >> 3;
			w->mf = fo & IP6_MF;
			__builtin_memcpy(&w->id, &h[4], 4);
			off += 8;
			break;
		}
		if (nh == IPPROTO_HOPOPTS && i != 0)
			return NAT64_DROP_BAD_HEADER; /* Hop-by-Hop only first (RFC 8200 4.1) */
		if (nh == IPPROTO_ROUTING && h[3] != 0)
			return NAT64_DROP_SEGLEFT; /* RFC 7915 5.1: MUST NOT translate */
		off += ((__u32)h[1] + 1) * 8;
		nh = h[0];
	}
	if (is_ext(nh))
		return NAT64_DROP_EXT_CHAIN;
	if (off > end)
		return NAT64_DROP_TRUNCATED;
	w->off = off;
	w->proto = nh;
	return 0;
}

/*
 * Protocol numbers of one family only (docs/translator.md). RFC 7915 4.1
 * and 5.1 copy the protocol number, but these would change meaning on the
 * way: an IPv4 payload read as an IPv6 extension header (Hop-by-Hop,
 * Routing, Fragment, Destination Options, Mobility, HIP, Shim6: RFC 7045)
 * or as a raw ICMPv6 message; an IPv6 payload read as ICMPv4 or IGMP. The
 * translator never builds those, so it drops them (dropped.family_protocol).
 */
#define IPPROTO_HIP 139  /* Host Identity Protocol (RFC 7401) */
#define IPPROTO_SHIM6 140 /* Shim6 (RFC 5533) */
static __always_inline int ip6_only_proto(__u8 proto)
{
	return is_ext(proto) || proto == IPPROTO_ICMPV6 || proto == IPPROTO_MH || proto == IPPROTO_HIP ||
	       proto == IPPROTO_SHIM6;
}

static __always_inline int ip4_only_proto(__u8 proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_IGMP;
}

/*
 * An IPv4 source address no packet may carry ("martian", RFC 1812 5.3.7):
 * network 0, loopback (127/8), multicast (224/4) and the reserved 240/4,
 * the limited broadcast 255.255.255.255 included: the first octet is 0,
 * 127, or 224 and up (class D and E).
 */
#define IN_CLASSD_FIRST 224
static __always_inline int ip4_martian_src(__be32 saddr)
{
	__u32 net = bpf_ntohl(saddr) >> IN_CLASSA_NSHIFT;

	return net == 0 || net == IN_LOOPBACKNET || net >= IN_CLASSD_FIRST;
}

/*
 * The Authentication Header (RFC 4302) exists in both families: it is
 * translated like any other protocol, number copied, bytes untouched (its
 * ICV covers the addresses, RFC 4302 3.3.3.1, so only a receiver that does
 * not check it can use the result). Its Next Header names what follows, in
 * the packet's own family: one family's protocol there (an extension header
 * or ICMPv6 behind AH in IPv6, ICMP or IGMP in IPv4) would change meaning as
 * the IP header's own would (docs/translator.md), and an AH behind an AH is
 * not looked through. `off`: the AH in the frame, `end`: the packet's end.
 * 0, or a drop reason.
 */
#define AH_HLEN 12 /* next header, length, reserved, SPI, sequence number (RFC 4302 2) */
SUBPROG int ah_next(struct __sk_buff *skb, __u32 off, __u32 end)
{
	__u8 nh;

	if (off + AH_HLEN > end || bpf_skb_load_bytes(skb, off, &nh, sizeof(nh)))
		return NAT64_DROP_TRUNCATED; /* the AH is cut before its sequence number */
	if (ip4_only_proto(nh) || ip6_only_proto(nh) || nh == IPPROTO_AH)
		return NAT64_DROP_FAMILY_PROTO; /* what follows would change meaning, or is not looked at */
	return 0;
}

/* ---- header translation ---------------------------------------------- */

/*
 * The Identification of a translated packet with DF=0 (RFC 7915 5.1 asks
 * for one from the translator's own generator). RFC 7739 5.3's hash-based
 * scheme, cut down: a per-CPU counter plus a per-address-pair offset from a
 * keyed hash; key and counter start random, drawn once per CPU (a
 * bpf_get_prandom_u32 call per packet showed in natlab bench). So the IDs
 * of one pair on one CPU only grow (by one per DF=0 packet the CPU
 * translates, whoever it is for: no reuse before 65536 of them) and
 * different pairs start from unrelated values. What it does not give: the counter is shared
 * by all pairs on a CPU, so a host that sees its own IDs learns how many
 * small packets the CPU translated in between (the side channel RFC 7739
 * warns of), and the hash is a multiply, not a cryptographic function: an
 * observer of many IDs could recover the key. Good enough for telling
 * fragments apart (RFC 6864), not for secrecy.
 */
static __always_inline __u16 frag_id(struct scratch *sc, __be32 src, __be32 dst)
{
	if (!sc->id_key) {
		sc->id_key = bpf_get_prandom_u32() | 1;
		sc->id_next = bpf_get_prandom_u32();
	}
	/* Knuth's multiplicative hash: its high bits mix every bit of the pair */
	return (__u16)((((src ^ dst ^ sc->id_key) * 0x9e3779b1u) >> 16) + sc->id_next++);
}

/*
 * The IPv4 header for an IPv6 header (RFC 7915 5.1 / 5.1.1). `l4len` is
 * the length after the extension headers; `sc` the per-CPU scratch for the
 * Identification, or NULL for the packet inside an ICMP error (its
 * Identification is unknowable: 0).
 */
static __always_inline int ip4_from_ip6(struct iphdr *ip, const struct ipv6hdr *ip6, const struct walk6 *w,
					__u32 l4len, __be32 src, __be32 dst, struct scratch *sc)
{
	__u32 tot = IP4_HLEN + l4len, idfo, w0, w1, w2;
	__u32 proto = w->proto == IPPROTO_ICMPV6 ? IPPROTO_ICMP : w->proto;
	__u32 *h = (__u32 *)ip;
	__u16 check;

	if (tot > IP_LEN_MAX)
		return -1; /* too long for the Total Length */
	/* idfo: Identification (high half), flags and fragment offset (low half) */
	if (w->frag) {
		/* RFC 7915 5.1.1: low 16 bits of the Identification, MF and offset copied, DF clear */
		idfo = (bpf_ntohl(w->id) << 16) | (w->mf ? IP_MF : 0) | w->foff;
	} else if (tot <= IPV6_MIN_MTU - IP_HLEN_DIFF) {
		/*
		 * RFC 7915 5.1: DF is 0 when the IPv4 packet is at most 1260 bytes
		 * (an IPv6 node may rely on IPv4 routers fragmenting it to fit the
		 * IPv6 minimum MTU on the way back), 1 otherwise; the Identification
		 * comes from a generator.
		 */
		idfo = sc ? (__u32)frag_id(sc, src, dst) << 16 : 0;
	} else {
		/* DF set and not a fragment: an atomic datagram, any ID will do (RFC 6864 4.1) */
		idfo = IP_DF;
	}
	/*
	 * The header as five words, built and summed in registers and stored
	 * whole (stored field by field and read back as words for the sum, each
	 * word cost the CPU a failed store-to-load forwarding).
	 * Version 4, IHL 5; Type of Service: all 8 bits of the Traffic Class (RFC 7915 5.1).
	 */
	w0 = bpf_htonl(0x45000000 | ((bpf_ntohl(*(const __be32 *)ip6) >> 4) & 0x00ff0000) | tot);
	w1 = bpf_htonl(idfo);
	/* TTL copied (see the top of this file); RFC 7915 5.1: ICMPv6 (58) becomes ICMP (1) */
	w2 = bpf_htonl(((__u32)ip6->hop_limit << 24) | (proto << 16));
	check = (__u16)~fold64((__u64)w0 + w1 + w2 + src + dst);
	h[0] = w0;
	h[1] = w1;
	h[2] = w2 | bpf_htonl(bpf_ntohs(check)); /* the checksum: the word's last two bytes */
	h[3] = src;
	h[4] = dst;
	return 0;
}


/*
 * The IPv6 header (and Fragment header, returned size 8, else 0) for an
 * IPv4 header (RFC 7915 4.1). `l4len` is the length after the IPv4 header.
 */
static __always_inline int ip6_from_ip4(struct ipv6hdr *ip6, struct frag6 *fh, const struct iphdr *ip,
					const struct nat64_config *c, __u32 l4len)
{
	__u16 fo = bpf_ntohs(ip->frag_off);
	__u8 proto = ip->protocol == IPPROTO_ICMP ? IPPROTO_ICMPV6 : ip->protocol;
	int f = 0;

	/* Traffic Class: all 8 bits of the TOS; Flow Label 0 (RFC 7915 4.1) */
	*(__be32 *)ip6 = bpf_htonl(0x60000000 | ((__u32)ip->tos << 20));
	prefix_embed(c, ip->saddr, &ip6->saddr);
	prefix_embed(c, ip->daddr, &ip6->daddr);
	/*
	 * A Fragment header only for an IPv4 fragment (RFC 7915 4.1): a whole
	 * packet with DF=0 gets none, since RFC 7915 dropped RFC 6145's advice
	 * to add one (atomic fragments, RFC 8021).
	 */
	if (fo & (IP_MF | IP_OFFSET)) {
		f = 8;
		fh->nexthdr = proto;
		fh->reserved = 0;
		fh->frag_off = bpf_htons(((fo & IP_OFFSET) << 3) | ((fo & IP_MF) ? IP6_MF : 0));
		fh->id = bpf_htonl(bpf_ntohs(ip->id)); /* high 16 bits zero (RFC 7915 4.1) */
		proto = IPPROTO_FRAGMENT;
	}
	/* Payload Length, Next Header, Hop Limit (TTL copied: see the top) as one word, stored whole */
	((__be32 *)ip6)[1] = bpf_htonl(((l4len + f) << 16) | ((__u32)proto << 8) | ip->ttl);
	return f;
}

/*
 * Where the checksum of a TCP/UDP/ICMP header sits: the offset of the
 * 4-byte word that holds it (a quoted packet's is rewritten as one word).
 * 0 and the word in `off`, or -1 for a protocol without one.
 */
static __always_inline int csum_word(__u8 proto, __u32 *off)
{
	switch (proto) {
	case IPPROTO_TCP:
		*off = offsetof(struct tcphdr, check); /* check, urg_ptr */
		return 0;
	case IPPROTO_UDP:
		*off = offsetof(struct udphdr, len); /* len, check */
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		*off = 0; /* type, code, check */
		return 0;
	}
	return -1;
}

/*
 * The one's complement sum of the ICMPv6 pseudo-header (RFC 8200 8.1):
 * both addresses (`addrs`: saddr then daddr), the upper-layer length and
 * next header 58. `add` adds it; otherwise its complement is added, which
 * takes it out of a sum (ICMPv4 has no pseudo-header, RFC 7915 4.2, 5.2).
 */
static __always_inline __u64 icmp6_pseudo(const struct in6_addr *addrs, __u32 len, int add, __u64 sum)
{
	__be32 ph[2] = { bpf_htonl(len), bpf_htonl(IPPROTO_ICMPV6) };

	if (add)
		return sum16(ph, sizeof(ph), sum16(addrs, 2 * sizeof(*addrs), sum));
	return sub16(ph, sizeof(ph), sub16(addrs, 2 * sizeof(*addrs), sum));
}

/* The first word of an ICMP or ICMPv6 header. */
struct icmp_word {
	__u8 type;
	__u8 code;
	__u16 check;
};

/*
 * The checksum word (csum_word()) of the L4 header inside an ICMP error's
 * quote, translated in place: RFC 7915 4.3 and 5.3 translate the quoted
 * packet like any packet, so its checksum follows its pseudo-header.
 * `pseudo` is what the translation adds to the sum that checksum covers:
 * the new addresses less the old for TCP and UDP, the ICMPv6 pseudo-header
 * added (`to6`) or taken out for the quoting family's own ICMP, whose echo
 * type changes too (ICMP 8/0 <-> ICMPv6 128/129). A UDP checksum of 0 ("none")
 * stays 0; one that comes out 0 is sent as 0xffff (RFC 768). A quote cut
 * inside the word (not `whole`: an ICMP header of 1 to 3 bytes) still gets
 * its type translated, and no checksum. 0, or -1 when the quoted ICMP
 * message is not an echo (no error is sent about an error).
 */
static __always_inline int quoted_csum_fix(__be32 *word, __u8 proto, __u64 pseudo, int to6, int whole)
{
	struct icmp_word *icmp = (struct icmp_word *)word;
	__u16 *check;

	if (proto == (to6 ? IPPROTO_ICMP : IPPROTO_ICMPV6)) {
		__u16 old = *(__u16 *)word; /* type and code, summed as the word they share */

		if (to6 && icmp->type == ICMP_ECHO)
			icmp->type = ICMPV6_ECHO_REQUEST;
		else if (to6 && icmp->type == ICMP_ECHOREPLY)
			icmp->type = ICMPV6_ECHO_REPLY;
		else if (!to6 && icmp->type == ICMPV6_ECHO_REQUEST)
			icmp->type = ICMP_ECHO;
		else if (!to6 && icmp->type == ICMPV6_ECHO_REPLY)
			icmp->type = ICMP_ECHOREPLY;
		else
			return -1; /* an error or another message quoted: an error about it is never sent */
		if (!whole)
			return 0; /* the quote ends before the checksum: the type was all there was to translate */
		pseudo += (__u16)~old + *(__u16 *)word;
		check = &icmp->check;
	} else {
		check = proto == IPPROTO_TCP ? (__u16 *)word : (__u16 *)word + 1;
		if (proto == IPPROTO_UDP && *check == 0)
			return 0; /* a UDP datagram without checksum: nothing to follow */
	}
#ifndef NAT64_NO_L4_CSUM_FIX
	*check = csum_update(*check, fold64(pseudo));
	if (proto == IPPROTO_UDP && *check == 0)
		*check = CSUM_MANGLED_0;
#endif
	return 0;
}

#include "icmp_size.h"
#include "6to4.h"
#include "4to6.h"
#include "bench.h"

/*
 * The two entry points. The translation itself is an inline function, so
 * that bench.h's timing driver runs the same code without a second copy.
 */
SEC("6to4")
int nat64_6to4(struct __sk_buff *skb)
{
	return translate_6to4(skb);
}

SEC("4to6")
int nat64_4to6(struct __sk_buff *skb)
{
	return translate_4to6(skb);
}

/*
 * Dual-licensed like the rest of bpf/ (the SPDX line at the top). The
 * kernel reads "Dual MIT/GPL" as GPL-compatible, which this program needs:
 * bpf_trace_printk (bpf_printk, in count()) is a GPL-only helper. Every
 * other helper it calls (the skb load/store/csum/adjust helpers, map
 * lookups, bpf_get_prandom_u32) is not.
 */
char _license[] SEC("license") = "Dual MIT/GPL";
