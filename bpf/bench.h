/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Timing the translator with in-kernel repetition (`natlab bench`).
 *
 * BPF_PROG_TEST_RUN with `repeat N` runs a program N times on one skb and
 * reports the mean time per run, which takes the measurement out of the
 * kernel clock's steps (about 10 ns here) - but after the first run the
 * skb is already translated, and a translator would only pass it on. The
 * driver below makes every run translate: it saves the head of the frame,
 * translates it, checks that it did, and puts the frame back as it was, so
 * the next run starts from the same bytes.
 *
 *   sec "bench/6to4"     save, translate, check, restore; and
 *   sec "bench/4to6"     the same the other way
 *   sec "bench/floor"    save, bpf_skb_change_proto to the other family
 *                        (what every translation must do), restore: the
 *                        same work as bench/xlat minus the translator's own
 *   sec "bench/proto_rt" bpf_skb_change_proto there and back: twice the
 *                        floor cost of a translation, nothing saved
 *   sec "bench/ok"       returns TC_ACT_OK: the cost of running a program
 *
 * So bench/<dir> - bench/floor is what the translator costs beyond the
 * change of protocol, and (bench/proto_rt - bench/ok) / 2 what the change
 * of protocol costs: docs/bench.md has the arithmetic. These sections are
 * in every build of nat64.o (tc loads only the section it is given), so
 * any two builds can be compared with `natlab bench compare OLD.o NEW.o`.
 *
 * Proof that every run translated: `bench_tally` counts, per CPU, the runs
 * and the runs that returned XLAT_DONE with the protocol changed; the
 * harness reads both around each call and wants them equal, and wants the
 * frame that comes out to be the frame that went in.
 */
#ifndef NAT64_BENCH_H
#define NAT64_BENCH_H

#define BENCH_SAVE 256 /* bytes of the frame put back after each run: every header a translation rewrites */

enum bench_tally_item {
	BENCH_RUNS,       /* runs of bench/6to4 and bench/4to6 */
	BENCH_TRANSLATED, /* of those, translated (XLAT_DONE and the other protocol) */
	BENCH_RESTORED,   /* of those, put back as they were */
	BENCH_TALLY_COUNT,
};

struct bench_frame {
	__u32 len;   /* the frame's length */
	__u32 saved; /* bytes of it in head[] */
	__u8 head[BENCH_SAVE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_frame);
} bench_save SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BENCH_TALLY_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} bench_tally SEC(".maps");

/*
 * -DNAT64_BENCH_SLOW=N: a knock-out that adds work to every packet (N
 * helper calls reading the first bytes), so the tests can show that
 * `natlab bench compare` calls a slower build slower (nat64-slow.o, N=16),
 * and docs/bench.md that it sees a change of a few percent (N=1).
 */
#ifdef NAT64_BENCH_SLOW
#define BENCH_SLOW_CALLS NAT64_BENCH_SLOW
static __always_inline void bench_slow_down(struct __sk_buff *skb)
{
	__u32 word;

#pragma unroll
	for (int i = 0; i < BENCH_SLOW_CALLS; i++)
		bpf_skb_load_bytes(skb, i * sizeof(word), &word, sizeof(word));
}
#define BENCH_SLOW_DOWN(skb) bench_slow_down(skb)
#else
#define BENCH_SLOW_DOWN(skb) do { } while (0)
#endif

/* What the entry points and the timing driver run: the translation (plus the knock-out's work, if built in). */
static __always_inline int translate_6to4(struct __sk_buff *skb)
{
	BENCH_SLOW_DOWN(skb);
	return xlat_6to4(skb);
}

static __always_inline int translate_4to6(struct __sk_buff *skb)
{
	BENCH_SLOW_DOWN(skb);
	return xlat_4to6(skb);
}

static __always_inline void bench_count(__u32 item)
{
	__u64 *n = bpf_map_lookup_elem(&bench_tally, &item);

	if (n)
		*n += 1;
}

/* The other family's protocol: the one a translation (or the floor) turns the frame into. */
static __always_inline __be16 bench_other(__be16 proto)
{
	return proto == bpf_htons(ETH_P_IPV6) ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6);
}

/*
 * Whether a run did what the build times: translated (XLAT_DONE and the
 * other family's protocol); in a -DNAT64_BENCH_STOP build, reached its last
 * stage (XLAT_STOPPED), which is what BENCH_TRANSLATED then counts.
 */
static __always_inline int bench_reached(int ret, struct __sk_buff *skb, __be16 proto)
{
#ifdef NAT64_BENCH_STOP
	return ret == XLAT_STOPPED;
#else
	return ret == XLAT_DONE && skb->protocol == bench_other(proto);
#endif
}

/* Keeps the frame's length and its first BENCH_SAVE bytes; NULL when it cannot. */
static __always_inline struct bench_frame *bench_keep(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct bench_frame *f = bpf_map_lookup_elem(&bench_save, &key);
	__u64 n = skb->len;

	if (!f)
		return NULL; /* a per-CPU array lookup of key 0 cannot fail: for the verifier */
	if (n > BENCH_SAVE)
		n = BENCH_SAVE;
	/* keep the compiler from checking a copy of n instead of the n passed on */
	asm volatile("" : "+r"(n));
	if (n < ETH_HLEN || n > BENCH_SAVE)
		return NULL; /* test-run refuses frames shorter than Ethernet + IP before we run */
	f->len = skb->len;
	f->saved = n;
	if (bpf_skb_load_bytes(skb, 0, f->head, n))
		return NULL;
	return f;
}

/*
 * Puts the frame back: the protocol, the length (an ICMP error's quoted
 * header changes size too), then the saved bytes. Past the saved head
 * nothing has moved for a frame whose headers fit in it: a translation
 * only resizes headers (bpf_skb_change_tail would do for the length, but
 * the kernel refuses to shrink this way what a translation has grown).
 */
static __always_inline int bench_restore(struct __sk_buff *skb, __be16 proto, const struct bench_frame *f)
{
	__u64 n = f->saved; /* 64 bits: no zero-extended copy for the verifier to lose the bounds on */

	asm volatile("" : "+r"(n));
	if (skb->protocol != proto && bpf_skb_change_proto(skb, proto, 0))
		return -1;
	/* room in or out just past the IP header (where a quoted header grew or shrank), then all rewritten */
	if (skb->len != f->len && bpf_skb_adjust_room(skb, (__s32)f->len - (__s32)skb->len, BPF_ADJ_ROOM_NET, 0))
		return -1;
	if (n > BENCH_SAVE || n < ETH_HLEN)
		return -1; /* bounds for the verifier; bench_keep set it in range */
	return bpf_skb_store_bytes(skb, 0, f->head, n, 0);
}

/*
 * One run of the driver: save, translate with `xlat` (one direction per
 * section, so each program's stack is the translator's own plus a few
 * words), check, restore.
 */
static __always_inline int bench_run(struct __sk_buff *skb, int (*xlat)(struct __sk_buff *))
{
	__be16 proto = skb->protocol;
	struct bench_frame *f = bench_keep(skb);

	if (!f)
		return TC_ACT_SHOT;
	bench_count(BENCH_RUNS);
	if (bench_reached(xlat(skb), skb, proto))
		bench_count(BENCH_TRANSLATED);
	if (bench_restore(skb, proto, f))
		return TC_ACT_SHOT;
	bench_count(BENCH_RESTORED);
	return TC_ACT_OK;
}

SEC("bench/6to4")
int bench_6to4(struct __sk_buff *skb)
{
	return bench_run(skb, translate_6to4);
}

SEC("bench/4to6")
int bench_4to6(struct __sk_buff *skb)
{
	return bench_run(skb, translate_4to6);
}

SEC("bench/floor")
int bench_floor(struct __sk_buff *skb)
{
	__be16 proto = skb->protocol;
	struct bench_frame *f = bench_keep(skb);

	if (!f)
		return TC_ACT_SHOT;
	if (bpf_skb_change_proto(skb, bench_other(proto), 0))
		return TC_ACT_SHOT;
	if (bench_restore(skb, proto, f))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("bench/proto_rt")
int bench_proto_rt(struct __sk_buff *skb)
{
	__be16 proto = skb->protocol;

	if (bpf_skb_change_proto(skb, bench_other(proto), 0))
		return TC_ACT_SHOT;
	if (bpf_skb_change_proto(skb, proto, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("bench/ok")
int bench_ok(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

#endif /* NAT64_BENCH_H */
