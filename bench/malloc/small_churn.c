// SPDX-License-Identifier: MIT
/*
 * bench/malloc/small_churn.c - churn of small objects, on one thread or on
 * several at once.
 *
 * A window of W live objects of 8..512 bytes (most under 128, as in object
 * graphs of interpreters and compilers); each step frees a random one and
 * allocates a new one of a new size, touching its first and last bytes.
 * With T threads, each runs that loop on a window of its own (many threads
 * each churning small objects). The output is a checksum (one line; with
 * T > 1, the sum over the threads) that depends only on the arguments.
 *
 * usage: small_churn [steps [window [threads]]]   (defaults 5000000 100000 1)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static long steps = 5000000, window = 100000;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

struct churn {
	uint64_t seed, sum;
	int failed;
};

static void *churn(void *arg)
{
	struct churn *c = arg;
	uint64_t s = c->seed, sum = 0;
	unsigned char **live = calloc((size_t)window, sizeof(*live));
	unsigned short *len = calloc((size_t)window, sizeof(*len));

	if (!live || !len) {
		c->failed = 1;
		return NULL;
	}
	for (long i = 0; i < steps; i++) {
		long k = (long)(rnd(&s) % (uint64_t)window);
		if (live[k]) {
			sum += live[k][0] + live[k][len[k] - 1];
			free(live[k]);
		}
		uint64_t r = rnd(&s);
		len[k] = (unsigned short)((r & 3) ? 8 + (r >> 8) % 120 : 8 + (r >> 8) % 504);
		live[k] = malloc(len[k]);
		if (!live[k]) {
			c->failed = 1;
			return NULL;
		}
		live[k][0] = (unsigned char)i;
		live[k][len[k] - 1] = (unsigned char)k;
	}
	for (long k = 0; k < window; k++)
		free(live[k]);
	free(live);
	free(len);
	c->sum = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 3 ? atoi(argv[3]) : 1;
	uint64_t sum = 0;

	if (argc > 1)
		steps = atol(argv[1]);
	if (argc > 2)
		window = atol(argv[2]);
	if (steps < 1 || window < 1 || nthreads < 1 || nthreads > 256) {
		fprintf(stderr, "usage: small_churn [steps [window [threads 1..256]]]\n");
		return 2;
	}
	struct churn c[256] = { { 0 } };
	pthread_t t[256];
	c[0].seed = 12345;	/* thread 0's seed: the one-thread figure of old */
	for (int i = 1; i < nthreads; i++)
		c[i].seed = 12345 + 0x9e3779b97f4a7c15ULL * (uint64_t)i;
	if (nthreads == 1) {
		churn(&c[0]);
	} else {
		for (int i = 0; i < nthreads; i++)
			pthread_create(&t[i], NULL, churn, &c[i]);
		for (int i = 0; i < nthreads; i++)
			pthread_join(t[i], NULL);
	}
	for (int i = 0; i < nthreads; i++) {
		if (c[i].failed)
			return 1;
		sum += c[i].sum;
	}
	printf("%llu\n", (unsigned long long)sum);
	return 0;
}
