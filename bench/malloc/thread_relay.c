// SPDX-License-Identifier: MIT
/*
 * bench/malloc/thread_relay.c - a server-like workload: short-lived threads
 * that hand their live objects on to the threads that replace them.
 *
 * T lanes, each with a window of W live objects of 8..1000 bytes. A lane is
 * served by a thread that replaces R random objects of the window (free one,
 * allocate one of a new size, touch both ends) and exits; a new thread then
 * takes the same window over, freeing what its predecessor allocated, for G
 * generations. All lanes run at once, so up to T threads live together and
 * new ones keep arriving (the shape of a thread-per-connection server and of
 * the larson benchmark). The output (one checksum per lane and a total)
 * depends only on the arguments.
 *
 * Each lane's state (its seed and sum, written every replacement) sits on a
 * cache line of its own, as a program's per-thread state does: side by side
 * (32 bytes each, one calloc) two lanes shared a line whenever the
 * allocator placed the array on a 64-byte boundary, and the row then
 * measured that line's ping-pong between the CPUs instead of the allocator.
 * kmm, mimalloc and jemalloc place a 64-byte block there; glibc's block
 * started 32 bytes into a line, so its lanes' written fields fell on two
 * lines. Session 27, 2 100 2000 1000 under chrt -f 1, CPU time (user +
 * sys) as a ratio to glibc's, medians of 11 interleaved runs, side by side
 * -> apart: kmm 0.94 -> 0.52, mimalloc 1.12 -> 0.91, jemalloc 1.35 -> 1.07
 * (perf: under kmm the loop's own loads of its lane took twice glibc's
 * samples). -p keeps them side by side.
 *
 * usage: thread_relay [-p] [threads [generations [rounds [window]]]]
 *        (defaults 2 200 5000 1000; -p: the lanes' states packed, 32 bytes
 *        apart, as before session 27)
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lane {
	unsigned char **live;
	unsigned short *len;
	uint64_t seed, sum;
};

static long generations = 200, rounds = 5000, window = 1000;

/* A cache line: the lanes' states are this far apart unless packed (-p). */
#define LINE 64
_Static_assert(sizeof(struct lane) <= LINE, "a lane's state fits a line");

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* One generation of a lane: R replacements in the window it inherited. */
static void *generation(void *arg)
{
	struct lane *l = arg;

	for (long i = 0; i < rounds; i++) {
		long k = (long)(rnd(&l->seed) % (uint64_t)window);
		if (l->live[k]) {
			l->sum += l->live[k][0] + l->live[k][l->len[k] - 1];
			free(l->live[k]);
		}
		uint64_t r = rnd(&l->seed);
		l->len[k] = (unsigned short)((r & 3) ? 8 + (r >> 8) % 120 : 8 + (r >> 8) % 992);
		l->live[k] = malloc(l->len[k]);
		if (!l->live[k]) {
			fprintf(stderr, "thread_relay: out of memory\n");
			exit(1);
		}
		l->live[k][0] = (unsigned char)i;
		l->live[k][l->len[k] - 1] = (unsigned char)k;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	bool packed = argc > 1 && !strcmp(argv[1], "-p");

	if (packed) {
		argv++;
		argc--;
	}
	int nthreads = argc > 1 ? atoi(argv[1]) : 2;
	uint64_t total = 0;

	if (argc > 2)
		generations = atol(argv[2]);
	if (argc > 3)
		rounds = atol(argv[3]);
	if (argc > 4)
		window = atol(argv[4]);
	if (nthreads < 1 || nthreads > 256 || generations < 1 || rounds < 1 || window < 1) {
		fprintf(stderr, "usage: thread_relay [-p] [threads 1..256 [generations [rounds [window]]]]\n");
		return 2;
	}
	/* Packed: one calloc of the states side by side; else a line each, from a line's start. */
	size_t stride = packed ? sizeof(struct lane) : LINE;
	unsigned char *lane_mem = packed ? calloc((size_t)nthreads, sizeof(struct lane))
					 : calloc((size_t)nthreads * LINE + LINE - 1, 1);
	pthread_t *t = calloc((size_t)nthreads, sizeof(*t));
	if (!lane_mem || !t)
		return 1;
	uintptr_t first = packed ? (uintptr_t)lane_mem
				 : ((uintptr_t)lane_mem + LINE - 1) & ~(uintptr_t)(LINE - 1);
	struct lane *lane_at[256];
	for (int i = 0; i < nthreads; i++)
		lane_at[i] = (struct lane *)(first + (size_t)i * stride);
	for (int i = 0; i < nthreads; i++) {
		lane_at[i]->live = calloc((size_t)window, sizeof(*lane_at[i]->live));
		lane_at[i]->len = calloc((size_t)window, sizeof(*lane_at[i]->len));
		lane_at[i]->seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
		if (!lane_at[i]->live || !lane_at[i]->len)
			return 1;
	}
	for (long g = 0; g < generations; g++) {
		for (int i = 0; i < nthreads; i++)
			if (pthread_create(&t[i], NULL, generation, lane_at[i])) {
				fprintf(stderr, "thread_relay: pthread_create failed\n");
				return 1;
			}
		for (int i = 0; i < nthreads; i++)
			pthread_join(t[i], NULL);
	}
	for (int i = 0; i < nthreads; i++) {
		for (long k = 0; k < window; k++)
			free(lane_at[i]->live[k]);
		free(lane_at[i]->live);
		free(lane_at[i]->len);
		printf("lane %d: %llu\n", i, (unsigned long long)lane_at[i]->sum);
		total += lane_at[i]->sum;
	}
	printf("total: %llu\n", (unsigned long long)total);
	free(lane_mem);
	free(t);
	return 0;
}
