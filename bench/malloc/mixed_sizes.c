// SPDX-License-Identifier: MIT
/*
 * bench/malloc/mixed_sizes.c - sizes from 16 bytes to 2 MiB, with realloc.
 *
 * Sizes are drawn log-uniformly, so every path of an allocator is taken:
 * small classes, page-sized blocks, large blocks. One step in eight grows an
 * existing block with realloc (doubling it, as a vector or string builder
 * does). Blocks are written in full once, so peak RSS reflects what the
 * allocator keeps. Output: a checksum.
 *
 * usage: mixed_sizes [steps [window]]   (defaults 150000 1000)
 */
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

int main(int argc, char **argv)
{
	long steps = argc > 1 ? atol(argv[1]) : 150000;
	long window = argc > 2 ? atol(argv[2]) : 1000;
	uint64_t s = 777, sum = 0;

	if (steps < 1 || window < 1) {
		fprintf(stderr, "usage: mixed_sizes [steps [window]]\n");
		return 2;
	}
	unsigned char **live = calloc((size_t)window, sizeof(*live));
	size_t *len = calloc((size_t)window, sizeof(*len));
	if (!live || !len)
		return 1;
	for (long i = 0; i < steps; i++) {
		long k = (long)(rnd(&s) % (uint64_t)window);
		if (live[k] && rnd(&s) % 8 == 0 && len[k] < (1u << 20)) {
			size_t n = len[k] * 2;
			unsigned char *p = realloc(live[k], n);
			if (!p)
				return 1;
			sum += p[len[k] - 1];
			memset(p + len[k], (int)i, n - len[k]);
			live[k] = p;
			len[k] = n;
			continue;
		}
		if (live[k]) {
			sum += live[k][len[k] / 2];
			free(live[k]);
		}
		unsigned bits = 4 + (unsigned)(rnd(&s) % 17);	/* 16 B .. 2 MiB */
		len[k] = (size_t)1 << bits;
		len[k] += rnd(&s) % len[k];
		if (len[k] > (2u << 20))
			len[k] = 2u << 20;
		live[k] = malloc(len[k]);
		if (!live[k])
			return 1;
		memset(live[k], (int)k, len[k]);
	}
	for (long k = 0; k < window; k++)
		free(live[k]);
	free(live);
	free(len);
	printf("%llu\n", (unsigned long long)sum);
	return 0;
}
