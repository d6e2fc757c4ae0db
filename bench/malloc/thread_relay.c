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
 * usage: thread_relay [threads [generations [rounds [window]]]]
 *        (defaults 2 200 5000 1000)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct lane {
	unsigned char **live;
	unsigned short *len;
	uint64_t seed, sum;
};

static long generations = 200, rounds = 5000, window = 1000;

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
	int nthreads = argc > 1 ? atoi(argv[1]) : 2;
	uint64_t total = 0;

	if (argc > 2)
		generations = atol(argv[2]);
	if (argc > 3)
		rounds = atol(argv[3]);
	if (argc > 4)
		window = atol(argv[4]);
	if (nthreads < 1 || nthreads > 256 || generations < 1 || rounds < 1 || window < 1) {
		fprintf(stderr, "usage: thread_relay [threads 1..256 [generations [rounds [window]]]]\n");
		return 2;
	}
	struct lane *lanes = calloc((size_t)nthreads, sizeof(*lanes));
	pthread_t *t = calloc((size_t)nthreads, sizeof(*t));
	if (!lanes || !t)
		return 1;
	for (int i = 0; i < nthreads; i++) {
		lanes[i].live = calloc((size_t)window, sizeof(*lanes[i].live));
		lanes[i].len = calloc((size_t)window, sizeof(*lanes[i].len));
		lanes[i].seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
		if (!lanes[i].live || !lanes[i].len)
			return 1;
	}
	for (long g = 0; g < generations; g++) {
		for (int i = 0; i < nthreads; i++)
			if (pthread_create(&t[i], NULL, generation, &lanes[i])) {
				fprintf(stderr, "thread_relay: pthread_create failed\n");
				return 1;
			}
		for (int i = 0; i < nthreads; i++)
			pthread_join(t[i], NULL);
	}
	for (int i = 0; i < nthreads; i++) {
		for (long k = 0; k < window; k++)
			free(lanes[i].live[k]);
		free(lanes[i].live);
		free(lanes[i].len);
		printf("lane %d: %llu\n", i, (unsigned long long)lanes[i].sum);
		total += lanes[i].sum;
	}
	printf("total: %llu\n", (unsigned long long)total);
	free(lanes);
	free(t);
	return 0;
}
