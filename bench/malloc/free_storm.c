// SPDX-License-Identifier: MIT
/*
 * bench/malloc/free_storm.c - a storm of frees across threads.
 *
 * T threads in a ring. Each round every thread allocates B objects of
 * 16..256 bytes and writes them; after a barrier, every thread frees the B
 * objects its left neighbour allocated (checking a byte of each); after a
 * second barrier the next round starts. Every free is of an object another
 * thread allocated, and all threads free at once. The output (one checksum
 * per thread and a total) depends only on the arguments.
 *
 * usage: free_storm [threads [rounds [batch]]]   (defaults 2 200 10000)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int nthreads = 2;
static long rounds = 200, batch = 10000;
static unsigned char ***bufs;	/* bufs[thread][i]: the objects of this round */
static uint64_t sums[256];
static pthread_barrier_t barrier;

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	int left = (id + nthreads - 1) % nthreads;
	uint64_t sum = 0;

	for (long r = 0; r < rounds; r++) {
		for (long i = 0; i < batch; i++) {
			size_t len = 16 + (size_t)((i * 37 + r * 11 + id) % 241);
			unsigned char *p = malloc(len);
			if (!p) {
				fprintf(stderr, "free_storm: out of memory\n");
				exit(1);
			}
			p[0] = (unsigned char)(i + id);
			p[len - 1] = (unsigned char)r;
			bufs[id][i] = p;
		}
		pthread_barrier_wait(&barrier);
		for (long i = 0; i < batch; i++) {
			sum += bufs[left][i][0];
			free(bufs[left][i]);
		}
		pthread_barrier_wait(&barrier);
	}
	sums[id] = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[256];
	uint64_t total = 0;

	if (argc > 1)
		nthreads = atoi(argv[1]);
	if (argc > 2)
		rounds = atol(argv[2]);
	if (argc > 3)
		batch = atol(argv[3]);
	if (nthreads < 1 || nthreads > 256 || rounds < 1 || batch < 1) {
		fprintf(stderr, "usage: free_storm [threads 1..256 [rounds [batch]]]\n");
		return 2;
	}
	bufs = calloc((size_t)nthreads, sizeof(*bufs));
	if (!bufs)
		return 1;
	for (int i = 0; i < nthreads; i++)
		if (!(bufs[i] = calloc((size_t)batch, sizeof(**bufs))))
			return 1;
	pthread_barrier_init(&barrier, NULL, (unsigned)nthreads);
	for (int i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		printf("thread %d: %llu\n", i, (unsigned long long)sums[i]);
		total += sums[i];
	}
	printf("total: %llu\n", (unsigned long long)total);
	pthread_barrier_destroy(&barrier);
	for (int i = 0; i < nthreads; i++)
		free(bufs[i]);
	free(bufs);
	return 0;
}
