// SPDX-License-Identifier: MIT
/*
 * xlat-runner: load a translator object once, run every frame of a pcap
 * through it with BPF_PROG_TEST_RUN, write what it lets through.
 *
 *   xlat-runner OBJ IN.pcap OUT.pcap [--report R.jsonl] [--prefix P/LEN]
 *               [--section 6to4|4to6] [--stats S.json]
 *
 * Each frame goes to `6to4` if it is IPv6, else to `4to6` if IPv4, else to
 * `6to4` (which passes what is not IPv6, as the egress hook would), unless
 * --section forces one. The report has one JSON object per input frame:
 *   {"index":i,"section":"6to4","retval":0,"verdict":"ok","out":k,"len":n}
 * verdict: "ok"    returned TC_ACT_OK/PIPE with changed bytes (translated)
 *          "pass"  returned TC_ACT_OK/PIPE with the same bytes (not for us)
 *          "shot"  returned TC_ACT_SHOT (dropped); out is null
 *          "other" any other return code (frame written as returned)
 *          "error" the kernel refused to run it ("reason" says why); out null
 * "out" is the frame's index in OUT.pcap. --stats writes the nat64_stats
 * counters summed over CPUs as one JSON object, names from nat64_stats.h.
 * Exit status: 0, or 1 with a message on stderr when setup fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "nat64_abi.h"

#define NAME_STR(n, s) s,
static const char *stat_names[] = { NAT64_STAT_ITEMS(NAME_STR) };

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "xlat-runner: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* "ADDR/LEN" -> config value; LEN one of RFC 6052's. */
static void parse_prefix(const char *s, struct nat64_config *c)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	int len;

	memset(c, 0, sizeof(*c));
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		die("--prefix %s: expected ADDR/LEN, e.g. 64:ff9b::/96", s);
	memcpy(buf, s, slash - s);
	buf[slash - s] = 0;
	len = atoi(slash + 1);
	if (inet_pton(AF_INET6, buf, c->prefix) != 1)
		die("--prefix %s: not an IPv6 address before the slash", s);
	if (len != 32 && len != 40 && len != 48 && len != 56 && len != 64 && len != 96)
		die("--prefix %s: length must be 32, 40, 48, 56, 64 or 96 (RFC 6052)", s);
	if (len < 96 && c->prefix[8])
		die("--prefix %s: bits 64-71 (the u-octet) must be zero (RFC 6052 2.2)", s);
	for (int i = len / 8; i < 16; i++)
		if (c->prefix[i])
			die("--prefix %s: bits beyond the length must be zero", s);
	c->len = len;
}

struct pcap {
	FILE *f;
	int swap;
};

static uint32_t rd32(const struct pcap *p, uint32_t v)
{
	return p->swap ? __builtin_bswap32(v) : v;
}

int main(int argc, char **argv)
{
	const char *obj_path = NULL, *in_path = NULL, *out_path = NULL;
	const char *report_path = NULL, *prefix = NULL, *section = NULL, *stats_path = NULL;
	int pos = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--report") && i + 1 < argc)
			report_path = argv[++i];
		else if (!strcmp(a, "--prefix") && i + 1 < argc)
			prefix = argv[++i];
		else if (!strcmp(a, "--section") && i + 1 < argc)
			section = argv[++i];
		else if (!strcmp(a, "--stats") && i + 1 < argc)
			stats_path = argv[++i];
		else if (a[0] == '-' && a[1] == '-')
			die("unknown or incomplete option %s (see the usage at the top of xlat-runner.c)", a);
		else if (pos == 0)
			obj_path = a, pos++;
		else if (pos == 1)
			in_path = a, pos++;
		else if (pos == 2)
			out_path = a, pos++;
		else
			die("too many arguments at %s", a);
	}
	if (!out_path)
		die("%s", "usage: xlat-runner OBJ IN.pcap OUT.pcap [--report R.jsonl] [--prefix P/LEN] "
			  "[--section 6to4|4to6] [--stats S.json]");
	if (section && strcmp(section, "6to4") && strcmp(section, "4to6"))
		die("--section %s: must be 6to4 or 4to6", section);

	libbpf_set_print(silent);
	struct bpf_object *obj = bpf_object__open_file(obj_path, NULL);
	if (!obj)
		die("cannot open BPF object %s (run make -C bpf)", obj_path);
	struct bpf_program *prog, *p6 = NULL, *p4 = NULL;
	bpf_object__for_each_program(prog, obj) {
		bpf_program__set_type(prog, BPF_PROG_TYPE_SCHED_CLS);
		if (!strcmp(bpf_program__section_name(prog), "6to4"))
			p6 = prog;
		if (!strcmp(bpf_program__section_name(prog), "4to6"))
			p4 = prog;
		/* only the two entry points: the bench driver's sections (bpf/bench.h) are not loaded for nothing */
		if (prog != p6 && prog != p4)
			bpf_program__set_autoload(prog, false);
	}
	if (!p6 || !p4)
		die("%s has no sections 6to4 and 4to6", obj_path);
	/* NAT64_VERIFIER_STATS=1: print how hard the verifier worked (instructions processed) */
	static char log6[65536], log4[65536];
	int vstats = getenv("NAT64_VERIFIER_STATS") != NULL;
	if (vstats) {
		bpf_program__set_log_level(p6, 4);
		bpf_program__set_log_buf(p6, log6, sizeof(log6));
		bpf_program__set_log_level(p4, 4);
		bpf_program__set_log_buf(p4, log4, sizeof(log4));
	}
	if (bpf_object__load(obj))
		die("the kernel refused %s (verifier log above)", obj_path);
	if (vstats)
		fprintf(stderr, "6to4: %s4to6: %s", strstr(log6, "processed") ? strstr(log6, "processed") : log6,
			strstr(log4, "processed") ? strstr(log4, "processed") : log4);
	if (prefix) {
		struct nat64_config c;
		__u32 key = 0;
		struct bpf_map *m = bpf_object__find_map_by_name(obj, "nat64_config");

		parse_prefix(prefix, &c);
		if (!m || bpf_map_update_elem(bpf_map__fd(m), &key, &c, 0))
			die("cannot write the prefix into nat64_config of %s", obj_path);
	}
	int fd6 = bpf_program__fd(p6), fd4 = bpf_program__fd(p4);

	struct pcap in = { fopen(in_path, "rb"), 0 };
	if (!in.f)
		die("cannot read %s", in_path);
	uint32_t gh[6];
	if (fread(gh, 4, 6, in.f) != 6)
		die("%s: not a pcap file (too short)", in_path);
	if (gh[0] == 0xd4c3b2a1 || gh[0] == 0x4d3cb2a1)
		in.swap = 1;
	else if (gh[0] != 0xa1b2c3d4 && gh[0] != 0xa1b23c4d)
		die("%s: not a classic pcap file (pcapng? convert with editcap -F pcap)", in_path);
	if ((rd32(&in, gh[5]) & 0xffff) != 1)
		die("%s: link type is not Ethernet", in_path);

	FILE *out = fopen(out_path, "wb");
	if (!out)
		die("cannot write %s", out_path);
	uint32_t oh[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 262144, 1 };
	if (gh[0] == 0xa1b23c4d || gh[0] == 0x4d3cb2a1)
		oh[0] = 0xa1b23c4d; /* keep nanosecond timestamps */
	fwrite(oh, 4, 6, out);
	FILE *rep = report_path ? fopen(report_path, "w") : NULL;
	if (report_path && !rep)
		die("cannot write %s", report_path);

	static unsigned char frame[262144], result[262144 + 4096];
	uint32_t rh[4];
	int index = 0, nout = 0, nshot = 0, nerr = 0;
	while (fread(rh, 4, 4, in.f) == 4) {
		uint32_t caplen = rd32(&in, rh[2]);
		if (caplen > sizeof(frame) || fread(frame, 1, caplen, in.f) != caplen)
			die("%s: truncated or corrupt record", in_path);
		const char *sec = section;
		if (!sec) {
			uint16_t et = caplen >= 14 ? (frame[12] << 8 | frame[13]) : 0;
			sec = et == 0x0800 ? "4to6" : "6to4";
		}
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = caplen, .data_out = result,
			    .data_size_out = sizeof(result), .repeat = 1);
		int err = bpf_prog_test_run_opts(!strcmp(sec, "6to4") ? fd6 : fd4, &o);
		const char *verdict;
		int written = -1;
		if (err) {
			verdict = "error";
			nerr++;
		} else if (o.retval == TC_ACT_SHOT) {
			verdict = "shot";
			nshot++;
		} else {
			if (o.retval == TC_ACT_OK || o.retval == TC_ACT_PIPE)
				verdict = o.data_size_out == caplen && !memcmp(frame, result, caplen) ? "pass" : "ok";
			else
				verdict = "other";
			uint32_t r[4] = { rh[0], rh[1], o.data_size_out, o.data_size_out };
			if (in.swap)
				r[0] = rd32(&in, rh[0]), r[1] = rd32(&in, rh[1]);
			fwrite(r, 4, 4, out);
			fwrite(result, 1, o.data_size_out, out);
			written = nout++;
		}
		if (rep) {
			fprintf(rep, "{\"index\":%d,\"section\":\"%s\",", index, sec);
			if (err)
				fprintf(rep, "\"retval\":null,\"verdict\":\"error\",\"out\":null,\"reason\":\"%s%s\"}\n",
					strerror(-err),
					caplen < 34 ? " (BPF_PROG_TEST_RUN needs at least an Ethernet and an IP header)" : "");
			else if (written < 0)
				fprintf(rep, "\"retval\":%d,\"verdict\":\"%s\",\"out\":null}\n", (int)o.retval, verdict);
			else
				fprintf(rep, "\"retval\":%d,\"verdict\":\"%s\",\"out\":%d,\"len\":%u}\n", (int)o.retval,
					verdict, written, o.data_size_out);
		}
		index++;
	}
	fclose(out);
	if (rep)
		fclose(rep);

	if (stats_path) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, "nat64_stats");
		int ncpu = libbpf_num_possible_cpus();
		FILE *s = fopen(stats_path, "w");
		if (!m || ncpu <= 0 || !s)
			die("cannot dump the counters to %s", stats_path);
		__u64 *v = calloc(ncpu, sizeof(__u64));
		fprintf(s, "{");
		for (__u32 k = 0; k < NAT64_STAT_COUNT; k++) {
			__u64 sum = 0;
			if (bpf_map_lookup_elem(bpf_map__fd(m), &k, v) == 0)
				for (int c = 0; c < ncpu; c++)
					sum += v[c];
			fprintf(s, "%s\"%s.%s\":%llu", k ? "," : "", k < NAT64_STAT_PER_DIR ? "6to4" : "4to6",
				stat_names[k % NAT64_STAT_PER_DIR], (unsigned long long)sum);
		}
		fprintf(s, "}\n");
		fclose(s);
		free(v);
	}
	fprintf(stderr, "xlat-runner: %d frames, %d written, %d shot, %d errors\n", index, nout, nshot, nerr);
	bpf_object__close(obj);
	return 0;
}
