// SPDX-License-Identifier: MIT
/*
 * bench/malloc/mt_churn.c - a multi-threaded allocation workload.
 *
 * T threads each keep a window of live blocks of random sizes (mostly small,
 * some up to 64 KiB, a few of 1-6 MiB), replacing a random one each step; every
 * block is filled with a pattern derived from its id and checked before it is
 * freed. Half of the frees happen on another thread: blocks pass through a
 * locked hand-off queue, as in a producer/consumer program. The output (one
 * checksum per thread and a total) depends only on the arguments, so runs
 * under different allocators must print the same bytes.
 *
 * usage: mt_churn [threads [steps [window]]]   (defaults 4 200000 2000)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct block {
	uint64_t id;
	size_t size;
	unsigned char *mem;
};

#define QCAP 4096
static struct {
	pthread_mutex_t lock;
	struct block q[QCAP];
	unsigned int head, tail;
} handoff = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int nthreads = 4;
static long steps = 200000;
static int window = 2000;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static size_t pick_size(uint64_t *s)
{
	uint64_t r = rnd(s) % 1000;
	if (r < 800)
		return 1 + rnd(s) % 256;
	if (r < 990)
		return 257 + rnd(s) % 16000;
	if (r < 999)
		return 16384 + rnd(s) % 65536;
	return (1 << 20) + rnd(s) % (5 << 20);
}

static void fill(struct block *b)
{
	unsigned char v = (unsigned char)(b->id * 31 + 7);
	memset(b->mem, v, b->size < 64 ? b->size : 64);
	if (b->size >= 128)
		memset(b->mem + b->size - 16, v ^ 0x5a, 16);
}

/* Check the pattern; return a checksum contribution. Abort on corruption. */
static uint64_t verify(const struct block *b)
{
	unsigned char v = (unsigned char)(b->id * 31 + 7);
	size_t head = b->size < 64 ? b->size : 64;
	for (size_t i = 0; i < head; i++)
		if (b->mem[i] != v) {
			fprintf(stderr, "corrupt block %llu at %zu\n", (unsigned long long)b->id, i);
			abort();
		}
	if (b->size >= 128)
		for (size_t i = b->size - 16; i < b->size; i++)
			if (b->mem[i] != (unsigned char)(v ^ 0x5a)) {
				fprintf(stderr, "corrupt tail of block %llu\n", (unsigned long long)b->id);
				abort();
			}
	return b->id * 1000003ULL + b->size;
}

static void release(struct block *b, uint64_t *sum, uint64_t *s)
{
	*sum += verify(b);
	if (rnd(s) & 1) {
		pthread_mutex_lock(&handoff.lock);
		if (handoff.tail - handoff.head < QCAP) {
			handoff.q[handoff.tail++ % QCAP] = *b;
			pthread_mutex_unlock(&handoff.lock);
			return;
		}
		pthread_mutex_unlock(&handoff.lock);
	}
	free(b->mem);
}

static void drain_some(int n)
{
	while (n--) {
		pthread_mutex_lock(&handoff.lock);
		if (handoff.head == handoff.tail) {
			pthread_mutex_unlock(&handoff.lock);
			return;
		}
		struct block b = handoff.q[handoff.head++ % QCAP];
		pthread_mutex_unlock(&handoff.lock);
		free(b.mem);
	}
}

static void *worker(void *arg)
{
	long t = (long)arg;
	uint64_t s = 0x9e3779b97f4a7c15ULL * (uint64_t)(t + 1), sum = 0, next_id = (uint64_t)t << 40;
	struct block *live = calloc((size_t)window, sizeof(*live));

	if (!live) {
		fprintf(stderr, "out of memory at the start of thread %ld\n", t);
		exit(1);
	}
	for (long i = 0; i < steps; i++) {
		struct block *b = &live[rnd(&s) % (uint64_t)window];
		if (b->mem)
			release(b, &sum, &s);
		b->id = next_id++;
		b->size = pick_size(&s);
		if (rnd(&s) % 16 == 0) {
			b->mem = calloc(1, b->size);
			if (b->mem && b->mem[b->size / 2]) {
				fprintf(stderr, "calloc returned dirty memory\n");
				abort();
			}
		} else if (rnd(&s) % 16 == 0 && b->size > 32) {
			b->mem = malloc(b->size / 2);
			if (b->mem) {
				memset(b->mem, 1, b->size / 2);
				b->mem = realloc(b->mem, b->size);
			}
		} else {
			b->mem = malloc(b->size);
		}
		if (!b->mem) {
			fprintf(stderr, "out of memory at step %ld\n", i);
			exit(1);
		}
		fill(b);
		if ((i & 63) == 0)
			drain_some(64);
	}
	for (int i = 0; i < window; i++)
		if (live[i].mem) {
			sum += verify(&live[i]);
			free(live[i].mem);
		}
	free(live);
	return (void *)(uintptr_t)sum;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		nthreads = atoi(argv[1]);
	if (argc > 2)
		steps = atol(argv[2]);
	if (argc > 3)
		window = atoi(argv[3]);
	if (nthreads < 1 || nthreads > 256 || steps < 1 || window < 1) {
		fprintf(stderr, "usage: mt_churn [threads [steps [window]]]\n");
		return 2;
	}
	pthread_t *tid = calloc((size_t)nthreads, sizeof(*tid));
	uint64_t total = 0;

	if (!tid) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}

	for (long t = 0; t < nthreads; t++)
		if (pthread_create(&tid[t], NULL, worker, (void *)t) != 0)
			return 1;
	for (int t = 0; t < nthreads; t++) {
		void *r;
		pthread_join(tid[t], &r);
		printf("thread %d: %016llx\n", t, (unsigned long long)(uintptr_t)r);
		total += (uint64_t)(uintptr_t)r;
	}
	drain_some(QCAP);
	printf("total: %016llx\n", (unsigned long long)total);
	free(tid);
	return 0;
}
