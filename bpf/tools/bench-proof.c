// SPDX-License-Identifier: MIT
/*
 * bench-proof: time translator builds with in-kernel repetition, and prove
 * that every timed run translated.
 *
 *   bench-proof IN.pcap OBJ.o [OBJ2.o ...] [--prefix P/LEN] [--rounds R] [--repeat N]
 *
 * Each object must carry the bench sections of bpf/bench.h. For every frame
 * of IN.pcap the runner takes R rounds; in each round it calls, in turn,
 * every object's `bench/6to4` or `bench/4to6` (by the frame's family) and then the first object's `bench/floor`,
 * `bench/proto_rt` and `bench/ok`, each once with BPF_PROG_TEST_RUN and
 * `repeat N`. The kernel reports the mean time of the N runs, in whole ns.
 * The order of the programs is shuffled every round, so that neither the
 * position in the round, nor the program before, nor drift on a busy
 * machine favours one of them.
 *
 * Proof, on every call: the frame that comes out is the frame that went in
 * (bench.h puts it back after each run); and for the translator, the object's
 * `bench_tally` map grew by N runs, N translations and N restores.
 *
 * One JSON line per frame on stdout: the ns of every call of every
 * program, in round order; harness/bench/micro.ts does the statistics.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "nat64_abi.h"

#define MAX_OBJECTS 4
#define MAX_ROUNDS 4096
#define MAX_FRAME 65536

enum { BENCH_RUNS, BENCH_TRANSLATED, BENCH_RESTORED, BENCH_TALLY_COUNT }; /* bpf/bench.h */

#define MAX_FRAMES 32
#define MAX_SLOTS (MAX_OBJECTS + 3)

/* One program timed: an object's translator, or one of the first object's reference programs. */
struct slot {
	char label[16];       /* "xlat[0]", "floor", "proto_rt", "ok" */
	int object;           /* index of the object it comes from */
	const char *section;  /* NULL for the translator: bench/6to4 or bench/4to6 by the frame */
	int content_changes;  /* proto_rt: the bytes of the room it makes are not put back */
};

struct frame {
	uint32_t len;
	unsigned char *data;
	const char *dir; /* "6to4" or "4to6" */
	uint32_t ns[MAX_SLOTS][MAX_ROUNDS];
	uint32_t failed[MAX_SLOTS];
};

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "bench-proof: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
	exit(1);
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
		die("the kernel refused (see the verifier log above):", path);
	return obj;
}

static int prog_fd(struct bpf_object *obj, const char *path, const char *sec)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		if (!strcmp(bpf_program__section_name(p), sec))
			return bpf_program__fd(p);
	fprintf(stderr, "bench-proof: %s has no section %s: it was built before the bench driver (bpf/bench.h); "
			"rebuild it from its source with make -C bpf\n", path, sec);
	exit(1);
}

static int map_fd(struct bpf_object *obj, const char *path, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (!m)
		die("no map named in", path);
	return bpf_map__fd(m);
}

static void set_prefix(struct bpf_object *obj, const char *path, const char *prefix)
{
	struct nat64_config c = { 0 };
	const char *slash = strchr(prefix, '/');
	char buf[64];
	__u32 key = 0;

	if (!slash || slash - prefix >= (long)sizeof(buf))
		die("bad --prefix", prefix);
	memcpy(buf, prefix, slash - prefix);
	buf[slash - prefix] = 0;
	if (inet_pton(AF_INET6, buf, c.prefix) != 1)
		die("bad --prefix", prefix);
	c.len = atoi(slash + 1);
	if (bpf_map_update_elem(map_fd(obj, path, "nat64_config"), &key, &c, 0))
		die("cannot write the prefix into nat64_config of", path);
}

/* The sum over CPUs of one bench_tally item: a run may move between CPUs. */
static uint64_t tally(int fd, uint32_t item)
{
	static uint64_t v[1024];
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0;

	if (ncpu < 1 || ncpu > 1024 || bpf_map_lookup_elem(fd, &item, v))
		die("cannot read bench_tally", NULL);
	for (int i = 0; i < ncpu; i++)
		sum += v[i];
	return sum;
}

/*
 * A new order of the programs for every round (Fisher-Yates with a fixed
 * seed): neither the position in the round nor the program run just before
 * (whose code and data are then in the caches) favours one of them.
 */
static void shuffle(int *order, int n, uint64_t *seed)
{
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = n - 1; i > 0; i--) {
		*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL; /* Knuth's MMIX LCG */
		int j = (int)((*seed >> 33) % (uint64_t)(i + 1));
		int t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
}

int main(int argc, char **argv)
{
	const char *in_path = NULL, *prefix = NULL, *paths[MAX_OBJECTS];
	long rounds = 20, repeat = 300, batches = 20;
	int nobj = 0, nframe = 0, nslot = 0;
	uint64_t seed = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--prefix") && i + 1 < argc)
			prefix = argv[++i];
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atol(argv[++i]);
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = atol(argv[++i]);
		else if (!strcmp(argv[i], "--batches") && i + 1 < argc)
			batches = atol(argv[++i]);
		else if (!in_path)
			in_path = argv[i];
		else if (nobj < MAX_OBJECTS)
			paths[nobj++] = argv[i];
		else
			die("too many objects at", argv[i]);
	}
	if (!in_path || !nobj || rounds < 1 || batches < 1 || rounds * batches > MAX_ROUNDS || repeat < 1)
		die("usage: bench-proof IN.pcap OBJ.o [OBJ2.o...] [--prefix P/LEN] [--batches B] [--rounds R] [--repeat N]"
		    " (B * R <= 4096)", NULL);

	static struct slot slots[MAX_SLOTS];
	static struct frame frames[MAX_FRAMES];
	static unsigned char out[MAX_FRAME + 4096];

	for (int o = 0; o < nobj; o++) {
		slots[nslot] = (struct slot){ .object = o };
		snprintf(slots[nslot++].label, sizeof(slots[0].label), "xlat[%d]", o);
	}
	slots[nslot++] = (struct slot){ "floor", 0, "bench/floor" };
	slots[nslot++] = (struct slot){ "proto_rt", 0, "bench/proto_rt", 1 };
	slots[nslot++] = (struct slot){ "ok", 0, "bench/ok" };

	FILE *f = fopen(in_path, "rb");
	uint32_t gh[6], rh[4];
	if (!f || fread(gh, 4, 6, f) != 6 || gh[0] != 0xa1b2c3d4)
		die("not a little-endian classic pcap:", in_path);
	while (fread(rh, 4, 4, f) == 4) {
		struct frame *fr = &frames[nframe];

		if (nframe == MAX_FRAMES)
			die("too many frames in", in_path);
		if (rh[2] > MAX_FRAME || rh[2] < 34 || !(fr->data = malloc(rh[2])) || fread(fr->data, 1, rh[2], f) != rh[2])
			die("corrupt or short record in", in_path);
		fr->len = rh[2];
		fr->dir = fr->data[12] == 0x08 && fr->data[13] == 0x00 ? "4to6" : "6to4";
		nframe++;
	}
	fclose(f);

	/*
	 * Every batch loads the objects anew: where the kernel puts a program's
	 * code and its maps moves its cost by a few percent, the same object
	 * against itself included, so the batches sample placements as the
	 * rounds sample time.
	 */
	for (long b = 0; b < batches; b++) {
		struct bpf_object *objs[MAX_OBJECTS];
		int fd[MAX_SLOTS], tally_fd[MAX_OBJECTS];

		/* every other batch loads them in reverse order: the first loaded is not always the same */
		for (int n = 0; n < nobj; n++) {
			int o = b % 2 ? nobj - 1 - n : n;

			objs[o] = load(paths[o]);
			if (prefix)
				set_prefix(objs[o], paths[o], prefix);
			tally_fd[o] = map_fd(objs[o], paths[o], "bench_tally");
		}
		for (int i = 0; i < nframe; i++) {
			struct frame *fr = &frames[i];
			char xlat_sec[16];

			snprintf(xlat_sec, sizeof(xlat_sec), "bench/%s", fr->dir);
			for (int k = 0; k < nslot; k++)
				fd[k] = prog_fd(objs[slots[k].object], paths[slots[k].object],
						slots[k].section ? slots[k].section : xlat_sec);
			for (long r = 0; r < rounds; r++) {
				int order[MAX_SLOTS];

				shuffle(order, nslot, &seed);
				for (int j = 0; j < nslot; j++) {
					int k = order[j];
					struct slot *s = &slots[k];
					int tfd = s->section ? -1 : tally_fd[s->object];
					uint64_t before[BENCH_TALLY_COUNT];
					LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = fr->data, .data_size_in = fr->len,
						    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);

					for (int t = 0; tfd >= 0 && t < BENCH_TALLY_COUNT; t++)
						before[t] = tally(tfd, t);
					if (bpf_prog_test_run_opts(fd[k], &o))
						die("BPF_PROG_TEST_RUN failed for", s->label);
					fr->ns[k][b * rounds + r] = o.duration;
					/* the frame must come out as it went in, or the next run timed something else */
					int same = o.data_size_out == fr->len &&
						   (s->content_changes || !memcmp(fr->data, out, fr->len));
					int bad = o.retval != 0 || !same;

					for (int t = 0; tfd >= 0 && t < BENCH_TALLY_COUNT; t++)
						bad |= tally(tfd, t) - before[t] != (uint64_t)repeat;
					if (bad && getenv("BENCH_DEBUG"))
						fprintf(stderr, "%s frame %d: retval %u, %u -> %u bytes\n", s->label, i, o.retval,
							fr->len, o.data_size_out);
					fr->failed[k] += bad;
				}
			}
		}
		for (int o = 0; o < nobj; o++)
			bpf_object__close(objs[o]);
		fprintf(stderr, "bench-proof: batch %ld/%ld\n", b + 1, batches);
	}

	for (int i = 0; i < nframe; i++) {
		struct frame *fr = &frames[i];

		printf("{\"index\":%d,\"section\":\"%s\",\"in_len\":%u,\"batches\":%ld,\"rounds\":%ld,\"repeat\":%ld,"
		       "\"failed\":{", i, fr->dir, fr->len, batches, rounds, repeat);
		for (int k = 0; k < nslot; k++)
			printf("%s\"%s\":%u", k ? "," : "", slots[k].label, fr->failed[k]);
		printf("},\"programs\":{");
		for (int k = 0; k < nslot; k++) {
			printf("%s\"%s\":[", k ? "," : "", slots[k].label);
			for (long r = 0; r < batches * rounds; r++)
				printf("%s%u", r ? "," : "", fr->ns[k][r]);
			printf("]");
		}
		printf("}}\n");
		free(fr->data);
	}
	return 0;
}
