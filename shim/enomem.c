// SPDX-License-Identifier: MIT
/*
 * shim/enomem.c - a program that checks how an allocator fails, for
 * tests/shim_fail.sh: under failure injection (KMM_MALLOC_FAIL=N) or a
 * machine too small for it (KMM_MALLOC_MEM), every call of the C allocation
 * API that fails must return NULL (posix_memalign: ENOMEM) with errno set
 * to ENOMEM, a failed realloc must leave the old block as it was, and the
 * blocks it did get must keep their bytes. It churns a window of blocks of
 * every size path (small, pages, huge), each filled with a pattern checked
 * before it is freed.
 *
 * usage: enomem [steps [window [max_size]]]   (defaults 20000 256 16M)
 * Prints "N calls, F failed with ENOMEM" and exits 0; 1 on a violation.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

struct blk {
	unsigned char *p;
	size_t n;
	unsigned char v;
};

static long calls, failures;

static int bad(const char *what, size_t n)
{
	printf("VIOLATION: %s (size %zu, errno %d)\n", what, n, errno);
	return 1;
}

/* Fill and check only the ends and a middle byte of huge blocks. */
static void fill(struct blk *b)
{
	if (b->n <= 65536) {
		memset(b->p, b->v, b->n);
	} else {
		memset(b->p, b->v, 4096);
		memset(b->p + b->n - 4096, b->v, 4096);
		b->p[b->n / 2] = b->v;
	}
}

static int intact(const struct blk *b)
{
	size_t n = b->n <= 65536 ? b->n : 4096;

	for (size_t i = 0; i < n; i++)
		if (b->p[i] != b->v)
			return 0;
	if (b->n > 65536)
		for (size_t i = b->n - 4096; i < b->n; i++)
			if (b->p[i] != b->v || b->p[b->n / 2] != b->v)
				return 0;
	return 1;
}

static size_t pick_size(uint64_t *s, size_t max)
{
	switch (rnd(s) % 8) {
	case 0:
		return 1 + rnd(s) % max;
	case 1: case 2:
		return 4096 + rnd(s) % 65536;
	default:
		return 1 + rnd(s) % 512;
	}
}

/* One allocation by one of the API's entry points. */
static void *alloc_one(uint64_t *s, size_t n, int *how)
{
	void *p = NULL;
	int err;

	*how = (int)(rnd(s) % 6);
	errno = 0;
	calls++;
	switch (*how) {
	case 0: return malloc(n);
	case 1: return calloc(1, n);
	case 2: return memalign(64, n);
	case 3: return aligned_alloc(4096, (n + 4095) & ~(size_t)4095);
	case 4: return valloc(n);
	default:
		err = posix_memalign(&p, 32, n);
		if (err) {
			errno = err;
			return NULL;
		}
		return p;
	}
}

int main(int argc, char **argv)
{
	long steps = argc > 1 ? atol(argv[1]) : 20000;
	long window = argc > 2 ? atol(argv[2]) : 256;
	size_t max = argc > 3 ? strtoul(argv[3], NULL, 0) : 16 << 20;
	struct blk *w = calloc((size_t)window, sizeof(*w));
	uint64_t s = 42;

	if (!w) {
		puts("out of memory before the first step");
		return 0;
	}
	if (steps < 1 || window < 1 || max < 1) {
		fprintf(stderr, "usage: enomem [steps [window [max_size]]]\n");
		return 2;
	}
	for (long i = 0; i < steps; i++) {
		struct blk *b = &w[rnd(&s) % (uint64_t)window];
		if (b->p && rnd(&s) % 4 == 0) {
			/* realloc: on failure the old block stays as it was */
			size_t n = pick_size(&s, max);
			errno = 0;
			calls++;
			unsigned char *q = realloc(b->p, n);
			if (!q) {
				failures++;
				if (errno != ENOMEM)
					return bad("realloc failed without ENOMEM", n);
				if (!intact(b))
					return bad("a failed realloc changed the block", n);
				continue;
			}
			b->p = q;
			size_t kept = b->n < n ? b->n : n;
			for (size_t k = 0; k < kept && k < 4096; k++)
				if (q[k] != b->v)
					return bad("realloc lost the block's bytes", n);
			b->n = n;
			fill(b);
			continue;
		}
		if (b->p) {
			if (!intact(b))
				return bad("a live block's bytes changed", b->n);
			free(b->p);
			b->p = NULL;
		}
		int how;
		size_t n = pick_size(&s, max);
		void *p = alloc_one(&s, n, &how);
		if (!p) {
			failures++;
			if (errno != ENOMEM)
				return bad(how == 5 ? "posix_memalign failed without ENOMEM"
					   : "an allocation failed without ENOMEM", n);
			continue;
		}
		if (how == 1)
			for (size_t k = 0; k < n; k += 997)
				if (((unsigned char *)p)[k])
					return bad("calloc memory not zero", n);
		b->p = p;
		b->n = n;
		b->v = (unsigned char)(1 + rnd(&s) % 255);
		fill(b);
	}
	for (long k = 0; k < window; k++) {
		if (w[k].p && !intact(&w[k]))
			return bad("a live block's bytes changed", w[k].n);
		free(w[k].p);
	}
	free(w);
	printf("%ld calls, %ld failed with ENOMEM\n", calls, failures);
	return 0;
}
