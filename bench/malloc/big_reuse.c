// SPDX-License-Identifier: MIT
/*
 * bench/malloc/big_reuse.c - blocks of a few hundred KiB to a few MiB,
 * allocated, written (one byte per 4 KiB and a checksum word) and freed
 * again and again on T threads, each keeping a few live: the shape of
 * buffers in compressors, image and network code. An allocator that hands
 * each one a fresh host mapping pays a fault and a zeroed page per 4 KiB;
 * one that reuses freed blocks does not. The output depends only on the
 * arguments.
 *
 * usage: big_reuse [threads [rounds]]   (defaults 1 2000)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nthreads = 1;
static long rounds = 2000;
static uint64_t sums[64];

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(id + 1), sum = 0;
	unsigned char *live[4] = { 0 };
	size_t sizes[4] = { 0 };

	for (long r = 0; r < rounds; r++) {
		int k = (int)(rnd(&s) % 4);
		if (live[k]) {
			sum += live[k][sizes[k] - 1] + live[k][0];
			free(live[k]);
		}
		/* 256 KiB .. 8 MiB, more of the small ones */
		size_t size = (256UL << 10) << (rnd(&s) % 6);
		size += rnd(&s) % (size / 2);
		unsigned char *p = malloc(size);
		if (!p) {
			fprintf(stderr, "big_reuse: out of memory\n");
			exit(1);
		}
		for (size_t i = 0; i < size; i += 4096)
			p[i] = (unsigned char)(i >> 12);
		p[size - 1] = (unsigned char)r;
		live[k] = p;
		sizes[k] = size;
	}
	for (int k = 0; k < 4; k++)
		if (live[k]) {
			sum += live[k][sizes[k] - 1];
			free(live[k]);
		}
	sums[id] = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[64];
	uint64_t total = 0;

	if (argc > 1)
		nthreads = atoi(argv[1]);
	if (argc > 2)
		rounds = atol(argv[2]);
	if (nthreads < 1 || nthreads > 64 || rounds < 1) {
		fprintf(stderr, "usage: big_reuse [threads 1..64 [rounds]]\n");
		return 2;
	}
	for (int i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		printf("thread %d: %llu\n", i, (unsigned long long)sums[i]);
		total += sums[i];
	}
	printf("total: %llu\n", (unsigned long long)total);
	return 0;
}
