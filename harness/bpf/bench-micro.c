// SPDX-License-Identifier: MIT
/*
 * bench-micro: the cost of one program run per packet, a fresh packet each
 * call (BPF_PROG_TEST_RUN with repeat 1: `repeat N` would rerun the program
 * on the skb it already translated).
 *
 *   bench-micro OBJ IN.pcap [--section NAME] [--calls N] [--prefix P/LEN]
 *
 * For each frame of IN.pcap, N calls (default 20000); prints one JSON line
 * per frame: {"index":i,"section":"6to4","retval":0,"calls":N,
 * "median_ns":m,"mean_ns":t,"min_ns":x} where mean is the mean of the
 * middle 80% (10% trimmed each side). The time is the kernel's own
 * measurement around the program run (test_run's duration), so the syscall
 * and skb allocation are not in it; subtract a floor program's time to get
 * the net cost. Sections: auto (6to4 for IPv6, 4to6 for IPv4) unless
 * --section names one (e.g. floor_ok, floor_proto in bpf/floor.o).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "nat64_stats.h"

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "bench-micro: %s %s\n", msg, arg ? arg : "");
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
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

int main(int argc, char **argv)
{
	const char *obj_path = NULL, *in_path = NULL, *section = NULL, *prefix = NULL;
	long calls = 20000;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--section") && i + 1 < argc)
			section = argv[++i];
		else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
			calls = atol(argv[++i]);
		else if (!strcmp(argv[i], "--prefix") && i + 1 < argc)
			prefix = argv[++i];
		else if (!obj_path)
			obj_path = argv[i];
		else if (!in_path)
			in_path = argv[i];
		else
			die("unexpected argument", argv[i]);
	}
	if (!in_path || calls < 10)
		die("usage: bench-micro OBJ IN.pcap [--section NAME] [--calls N>=10] [--prefix P/LEN]", NULL);

	struct bpf_object *obj = bpf_object__open_file(obj_path, NULL);
	if (!obj)
		die("cannot open", obj_path);
	struct bpf_program *p;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_type(p, BPF_PROG_TYPE_SCHED_CLS);
	if (bpf_object__load(obj))
		die("the kernel refused", obj_path);
	if (prefix) {
		struct nat64_config c = { 0 };
		char buf[64];
		const char *slash = strchr(prefix, '/');
		__u32 key = 0;
		struct bpf_map *m = bpf_object__find_map_by_name(obj, "nat64_config");
		if (!slash || slash - prefix >= 64)
			die("bad --prefix", prefix);
		memcpy(buf, prefix, slash - prefix);
		buf[slash - prefix] = 0;
		if (inet_pton(AF_INET6, buf, c.prefix) != 1)
			die("bad --prefix", prefix);
		c.len = atoi(slash + 1);
		if (!m || bpf_map_update_elem(bpf_map__fd(m), &key, &c, 0))
			die("cannot set the prefix in", obj_path);
	}

	FILE *f = fopen(in_path, "rb");
	uint32_t gh[6], rh[4];
	if (!f || fread(gh, 4, 6, f) != 6 || gh[0] != 0xa1b2c3d4)
		die("not a little-endian classic pcap:", in_path);
	static unsigned char frame[65536], out[65536 + 4096];
	uint32_t *t = calloc(calls, sizeof(*t));
	for (int index = 0; fread(rh, 4, 4, f) == 4; index++) {
		if (rh[2] > sizeof(frame) || fread(frame, 1, rh[2], f) != rh[2])
			die("corrupt record in", in_path);
		const char *sec = section ? section : (frame[12] == 0x08 && frame[13] == 0x00 ? "4to6" : "6to4");
		int fd = prog_fd(obj, sec);
		__u32 retval = 0;
		for (long i = 0; i < calls; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = rh[2], .data_out = out,
				    .data_size_out = sizeof(out), .repeat = 1);
			if (bpf_prog_test_run_opts(fd, &o))
				die("BPF_PROG_TEST_RUN failed on frame of", in_path);
			t[i] = o.duration;
			retval = o.retval;
		}
		qsort(t, calls, sizeof(*t), cmp);
		double sum = 0;
		long lo = calls / 10, hi = calls - calls / 10;
		for (long i = lo; i < hi; i++)
			sum += t[i];
		printf("{\"index\":%d,\"section\":\"%s\",\"retval\":%u,\"calls\":%ld,\"median_ns\":%u,\"mean_ns\":%.1f,"
		       "\"min_ns\":%u}\n",
		       index, sec, retval, calls, t[calls / 2], sum / (hi - lo), t[0]);
		fflush(stdout);
	}
	free(t);
	bpf_object__close(obj);
	return 0;
}
