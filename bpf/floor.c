/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* Floor programs for bench-micro: what a translator costs at the least. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Does nothing: the cost of running a program at all. */
SEC("floor_ok")
int prog_ok(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

/* Only changes the protocol (the header-size change every translation makes). */
SEC("floor_proto")
int prog_change_proto(struct __sk_buff *skb)
{
	__be16 to = skb->protocol == bpf_htons(ETH_P_IPV6) ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6);

	if (bpf_skb_change_proto(skb, to, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "Dual MIT/GPL"; /* as bpf/nat64.c; no GPL-only helper here */
