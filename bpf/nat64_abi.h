/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * What user space shares with bpf/nat64.c: the maps it reads or writes and
 * the layout of their values. The program and the harness's C tools
 * (bpf/tools/xlat-runner.c, bpf/tools/bench-proof.c) include this file;
 * harness/bpf/config.ts and harness/bpf/stats.ts write the same layouts
 * from TypeScript: change them together.
 *
 *   nat64_config  BPF_MAP_TYPE_ARRAY, 1 entry, key __u32 0, struct nat64_config
 *   nat64_stats   BPF_MAP_TYPE_PERCPU_ARRAY, key __u32, __u64 packets
 *                 (nat64_stats.h)
 */
#ifndef NAT64_ABI_H
#define NAT64_ABI_H

#include "nat64_stats.h"

/*
 * The value of map `nat64_config` (20 bytes). All zero means the default
 * prefix 64:ff9b:1:fffe::/96.
 */
struct __attribute__((aligned(4))) nat64_config {
	__u8 prefix[16]; /* bits beyond len are ignored */
	__u8 len;        /* 32, 40, 48, 56, 64 or 96 (RFC 6052 2.2) */
	__u8 pad[3];
};

#endif
