// SPDX-License-Identifier: MIT
/*
 * bench/malloc/realloc_grow.c - big blocks grown by realloc: on T threads,
 * each round grows one buffer from 64 KiB to a size between 5 and 40 MiB in
 * steps of an eighth, as a program reading a file or a network stream of
 * unknown length into one buffer does, writes each new part (one byte per
 * 4 KiB and the last byte) and reads back, after each step, the last byte
 * and one other written before it (into the checksum); beside it two blocks of 256 KiB to 3 MiB are freed and
 * allocated again at every step, so that the growth crosses the page
 * allocator's largest block (4 MiB) with other blocks coming and going.
 * An allocator that grows a mapped block with mremap() moves no byte and
 * faults in only the new part; one that copies pays for the whole block at
 * every step. The output (one checksum per thread and a total) depends
 * only on the arguments.
 *
 * usage: realloc_grow [threads [rounds]]   (defaults 1 30)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define START_SIZE	(64UL << 10)
#define SIDE_BLOCKS	2

static int nthreads = 1;
static long rounds = 30;
static uint64_t sums[64];

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size);

	if (!q) {
		fprintf(stderr, "realloc_grow: out of memory\n");
		exit(1);
	}
	return q;
}

/* Bytes [@from, @to) of @p written: the first of each 4 KiB page, and the last one. */
static void write_part(unsigned char *p, size_t from, size_t to, unsigned char tag)
{
	for (size_t i = (from + 4095) & ~(size_t)4095; i < to; i += 4096)
		p[i] = (unsigned char)(tag + (i >> 12));
	p[to - 1] = tag;
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(id + 1), sum = 0;
	unsigned char *side[SIDE_BLOCKS] = { 0 };

	for (long r = 0; r < rounds; r++) {
		size_t target = (5UL << 20) + rnd(&s) % (35UL << 20);
		size_t size = START_SIZE;
		unsigned char tag = (unsigned char)(r * 7 + id);
		unsigned char *p = xrealloc(NULL, size);

		write_part(p, 0, size, tag);
		while (size < target) {
			size_t n = size + size / 8 + 4096;
			if (n > target)
				n = target;
			/* a page written before this step, to read back after it */
			size_t probe = (rnd(&s) % size) & ~(size_t)4095;
			p = xrealloc(p, n);
			sum += p[probe] + p[size - 1];
			write_part(p, size, n, tag);
			size = n;
			int k = (int)(rnd(&s) % SIDE_BLOCKS);
			free(side[k]);
			size_t ss = (256UL << 10) + rnd(&s) % (3UL << 20);
			side[k] = xrealloc(NULL, ss);
			write_part(side[k], 0, ss, (unsigned char)k);
		}
		sum += size + p[size - 1];
		free(p);
	}
	for (int k = 0; k < SIDE_BLOCKS; k++)
		free(side[k]);
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
		fprintf(stderr, "usage: realloc_grow [threads 1..64 [rounds]]\n");
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
