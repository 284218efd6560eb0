// SPDX-License-Identifier: MIT
/*
 * bench-proof: the translator and the two floor programs timed on the same
 * frames, in the same process, by the same method, with proof that the timed
 * runs of the translator really translated.
 *
 *   bench-proof NAT64.o FLOOR.o IN.pcap [--prefix P/LEN] [--calls N] [--repeats R] [--sample K]
 *
 * Method: BPF_PROG_TEST_RUN with repeat 1, a fresh copy of the frame every
 * call (with `repeat N` the kernel reruns the program on the skb it already
 * translated, so only the first run would translate). The time of a call is
 * the kernel's own measurement around the program run (the syscall and the
 * skb allocation are outside it).
 *
 * For each frame, R repeats; in each repeat the three programs run N calls
 * each, taking turns call by call (so drift and other load on the machine
 * hit all three alike), and the median of each program's N calls is kept. Every K-th timed call (and the
 * last) of each program has its output checked:
 *   nat64        retval 0 (TC_ACT_OK), EtherType and IP version of the other
 *                family, a length 20 bytes away per IP header (40 for an
 *                ICMP error, whose quoted header is translated too)
 *   floor_proto  retval 0 and a frame 20 bytes longer (4to6) or shorter (6to4):
 *                the room was made or taken (the helper leaves the Ethernet
 *                header and the IP header bytes to the program)
 *   floor_ok     retval 0 and the frame unchanged
 * One JSON line per frame on stdout (see harness/bench/micro.ts).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "nat64_abi.h"

enum { NAT64, FLOOR_OK, FLOOR_PROTO, NPROG };
static const char *prog_names[NPROG] = { "nat64", "floor_ok", "floor_proto" };

struct tally {
	uint32_t medians[64];
	uint32_t min;
	uint32_t checked, proven;
	uint32_t retval, out_len, out_ethertype, out_version;
};

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "bench-proof: %s %s\n", msg, arg ? arg : "");
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static struct bpf_object *load(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;

	if (!obj)
		die("cannot open", path);
	bpf_object__for_each_program(p, obj)
		bpf_program__set_type(p, BPF_PROG_TYPE_SCHED_CLS);
	if (bpf_object__load(obj))
		die("the kernel refused", path);
	return obj;
}

static int prog_fd(struct bpf_object *obj, const char *sec)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		if (!strcmp(bpf_program__section_name(p), sec))
			return bpf_program__fd(p);
	die("no such section:", sec);
	return -1;
}

static void set_prefix(struct bpf_object *obj, const char *prefix)
{
	struct nat64_config c = { 0 };
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "nat64_config");
	const char *slash = strchr(prefix, '/');
	char buf[64];
	__u32 key = 0;

	if (!slash || slash - prefix >= 64)
		die("bad --prefix", prefix);
	memcpy(buf, prefix, slash - prefix);
	buf[slash - prefix] = 0;
	if (inet_pton(AF_INET6, buf, c.prefix) != 1)
		die("bad --prefix", prefix);
	c.len = atoi(slash + 1);
	if (!m || bpf_map_update_elem(bpf_map__fd(m), &key, &c, 0))
		die("cannot write the prefix into nat64_config:", prefix);
}

/* Is this output what the program is for? (see the header comment) */
static int proves(int prog, const unsigned char *in, uint32_t in_len, const unsigned char *out, uint32_t out_len,
		  uint32_t retval, int is_v4, int icmp_error)
{
	uint16_t et = out_len >= 14 ? (out[12] << 8 | out[13]) : 0;
	int version = out_len > 14 ? out[14] >> 4 : 0;
	int32_t delta = (is_v4 ? 20 : -20) * (icmp_error ? 2 : 1);

	if (retval != 0)
		return 0;
	switch (prog) {
	case NAT64:
		return et == (is_v4 ? 0x86dd : 0x0800) && version == (is_v4 ? 6 : 4) && (int32_t)(out_len - in_len) == delta;
	case FLOOR_PROTO:
		/* bpf_skb_change_proto only makes or takes the room; the Ethernet header is the program's to rewrite */
		return (int32_t)(out_len - in_len) == (is_v4 ? 20 : -20);
	default:
		return out_len == in_len && !memcmp(in, out, in_len);
	}
}

int main(int argc, char **argv)
{
	const char *nat_path = NULL, *floor_path = NULL, *in_path = NULL, *prefix = NULL;
	long calls = 20000, repeats = 5, sample = 97;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--prefix") && i + 1 < argc)
			prefix = argv[++i];
		else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
			calls = atol(argv[++i]);
		else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
			repeats = atol(argv[++i]);
		else if (!strcmp(argv[i], "--sample") && i + 1 < argc)
			sample = atol(argv[++i]);
		else if (!nat_path)
			nat_path = argv[i];
		else if (!floor_path)
			floor_path = argv[i];
		else if (!in_path)
			in_path = argv[i];
		else
			die("unexpected argument", argv[i]);
	}
	if (!in_path || calls < 10 || repeats < 1 || repeats > 64 || sample < 1)
		die("usage: bench-proof NAT64.o FLOOR.o IN.pcap [--prefix P/LEN] [--calls N>=10] [--repeats 1..64] [--sample K]",
		    NULL);

	struct bpf_object *nat = load(nat_path), *floor = load(floor_path);
	if (prefix)
		set_prefix(nat, prefix);
	int fds[NPROG] = { -1, prog_fd(floor, "floor_ok"), prog_fd(floor, "floor_proto") };

	FILE *f = fopen(in_path, "rb");
	uint32_t gh[6], rh[4];
	if (!f || fread(gh, 4, 6, f) != 6 || gh[0] != 0xa1b2c3d4)
		die("not a little-endian classic pcap:", in_path);
	static unsigned char frame[65536], out[65536 + 4096];
	uint32_t *t[NPROG];
	for (int p = 0; p < NPROG; p++)
		if (!(t[p] = calloc(calls, sizeof(*t[p]))))
			die("out of memory for --calls", NULL);

	for (int index = 0; fread(rh, 4, 4, f) == 4; index++) {
		if (rh[2] > sizeof(frame) || rh[2] < 34 || fread(frame, 1, rh[2], f) != rh[2])
			die("corrupt or short record in", in_path);
		int is_v4 = frame[12] == 0x08 && frame[13] == 0x00;
		/* ICMP type 3/11/12 (IPv4, protocol 1) or ICMPv6 type < 128 (IPv6, next header 58) */
		int icmp_error = is_v4 ? frame[23] == 1 && (frame[34] == 3 || frame[34] == 11 || frame[34] == 12)
				       : frame[20] == 58 && rh[2] > 54 && frame[54] < 128;
		const char *sec = is_v4 ? "4to6" : "6to4";
		struct tally tl[NPROG];

		memset(tl, 0, sizeof(tl));
		fds[NAT64] = prog_fd(nat, sec);
		for (long r = 0; r < repeats; r++) {
			/* call by call in turn, so whatever else the machine does hits all three alike */
			for (long i = 0; i < calls; i++) {
				for (int p = 0; p < NPROG; p++) {
					LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = rh[2], .data_out = out,
						    .data_size_out = sizeof(out), .repeat = 1);
					if (bpf_prog_test_run_opts(fds[p], &o))
						die("BPF_PROG_TEST_RUN failed for", prog_names[p]);
					t[p][i] = o.duration;
					if (i % sample == 0 || i == calls - 1) {
						struct tally *x = &tl[p];
						x->checked++;
						x->proven += proves(p, frame, rh[2], out, o.data_size_out, o.retval, is_v4, icmp_error);
						x->retval = o.retval;
						x->out_len = o.data_size_out;
						x->out_ethertype = o.data_size_out >= 14 ? (out[12] << 8 | out[13]) : 0;
						x->out_version = o.data_size_out > 14 ? out[14] >> 4 : 0;
					}
				}
			}
			for (int p = 0; p < NPROG; p++) {
				qsort(t[p], calls, sizeof(*t[p]), cmp);
				tl[p].medians[r] = t[p][calls / 2];
				if (r == 0 || t[p][0] < tl[p].min)
					tl[p].min = t[p][0];
			}
		}
		printf("{\"index\":%d,\"section\":\"%s\",\"in_len\":%u,\"calls\":%ld,\"repeats\":%ld", index, sec, rh[2], calls,
		       repeats);
		for (int p = 0; p < NPROG; p++) {
			struct tally *x = &tl[p];
			printf(",\"%s\":{\"medians_ns\":[", prog_names[p]);
			for (long r = 0; r < repeats; r++)
				printf("%s%u", r ? "," : "", x->medians[r]);
			printf("],\"min_ns\":%u,\"checked\":%u,\"proven\":%u,\"retval\":%u,\"out_len\":%u,\"out_ethertype\":%u,"
			       "\"out_version\":%u}",
			       x->min, x->checked, x->proven, x->retval, x->out_len, x->out_ethertype, x->out_version);
		}
		printf("}\n");
		fflush(stdout);
	}
	for (int p = 0; p < NPROG; p++)
		free(t[p]);
	bpf_object__close(nat);
	bpf_object__close(floor);
	return 0;
}
