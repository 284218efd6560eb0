/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * The counters of bpf/nat64.c, shared by the program and the harness's C
 * tools through nat64_abi.h.
 *
 * Map `nat64_stats`: BPF_MAP_TYPE_PERCPU_ARRAY, key __u32, value __u64
 * (packets), NAT64_STAT_COUNT entries. Index = direction * NAT64_STAT_PER_DIR
 * + item, direction 0 = 6to4, 1 = 4to6. Names are "<dir>.<item name>", e.g.
 * "6to4.translated.tcp". harness/bpf/stats.ts lists the same names in the
 * same order: change both together, append only.
 */
#ifndef NAT64_STATS_H
#define NAT64_STATS_H

#define NAT64_STAT_ITEMS(X)                                                  \
	X(XLAT_TCP, "translated.tcp")                                        \
	X(XLAT_UDP, "translated.udp")                                        \
	X(XLAT_ICMP, "translated.icmp")           /* echo request/reply */   \
	X(XLAT_ICMP_ERR, "translated.icmp_error") /* with quoted packet */   \
	X(XLAT_OTHER, "translated.other")         /* other protocols, and non-first fragments */ \
	X(PASS_NOT_IP, "passed.not_ip")           /* not IPv6 (6to4) / not IPv4 (4to6) */ \
	X(PASS_NOT_PREFIX, "passed.not_prefix")   /* 6to4: src or dst outside the prefix */ \
	X(PASS_BAD_CONFIG, "passed.bad_config")   /* nat64_config holds an invalid length */ \
	X(DROP_TRUNCATED, "dropped.truncated")    /* headers or lengths beyond the frame */ \
	X(DROP_BAD_HEADER, "dropped.bad_header")  /* bad version/IHL/checksum, jumbo, too big */ \
	X(DROP_SRC_ROUTE, "dropped.source_route") /* RFC 7915 4.1 */         \
	X(DROP_SEGLEFT, "dropped.routing_segleft") /* RFC 7915 5.1 */        \
	X(DROP_EXT_CHAIN, "dropped.ext_chain")    /* extension chain too long */ \
	X(DROP_ICMP_TYPE, "dropped.icmp_type")    /* untranslatable ICMP type/code */ \
	X(DROP_ICMP_FRAG, "dropped.icmp_fragment") /* fragmented ICMP */     \
	X(DROP_UDP_ZERO_FRAG, "dropped.udp_zero_csum_fragment") /* RFC 7915 4.5 */ \
	X(DROP_INNER, "dropped.inner")            /* quoted packet untranslatable */ \
	X(DROP_HELPER, "dropped.helper")          /* a kernel helper failed */ \
	X(DROP_EXT_AFTER_FRAG, "dropped.ext_after_fragment") /* RFC 7915 5.1.1 */ \
	X(DROP_IGMP, "dropped.igmp")              /* RFC 7915 4.2: single-hop, not translated */ \
	X(DROP_FAMILY_PROTO, "dropped.family_protocol") /* a protocol number of one family only */ \
	X(DROP_BAD_CSUM, "dropped.bad_checksum")  /* a checksum no receiver accepts, which translation would make valid */ \
	X(DROP_BAD_SRC, "dropped.bad_source")     /* 4to6: an IPv4 source no packet may carry (RFC 7915 4.1) */

#define NAT64_STAT_ENUM(n, s) NAT64_##n,
enum nat64_stat_item { NAT64_STAT_ITEMS(NAT64_STAT_ENUM) NAT64_STAT_PER_DIR };
#undef NAT64_STAT_ENUM

enum nat64_dir { NAT64_DIR_6TO4 = 0, NAT64_DIR_4TO6 = 1 };
#define NAT64_STAT_COUNT (2 * NAT64_STAT_PER_DIR)

#endif
