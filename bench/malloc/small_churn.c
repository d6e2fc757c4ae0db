// SPDX-License-Identifier: MIT
/*
 * bench/malloc/small_churn.c - single-threaded churn of small objects.
 *
 * A window of W live objects of 8..512 bytes (most under 128, as in object
 * graphs of interpreters and compilers); each step frees a random one and
 * allocates a new one of a new size, touching its first and last bytes. The
 * output is a checksum that depends only on the arguments.
 *
 * usage: small_churn [steps [window]]   (defaults 5000000 100000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

int main(int argc, char **argv)
{
	long steps = argc > 1 ? atol(argv[1]) : 5000000;
	long window = argc > 2 ? atol(argv[2]) : 100000;
	uint64_t s = 12345, sum = 0;

	if (steps < 1 || window < 1) {
		fprintf(stderr, "usage: small_churn [steps [window]]\n");
		return 2;
	}
	unsigned char **live = calloc((size_t)window, sizeof(*live));
	unsigned short *len = calloc((size_t)window, sizeof(*len));
	if (!live || !len)
		return 1;
	for (long i = 0; i < steps; i++) {
		long k = (long)(rnd(&s) % (uint64_t)window);
		if (live[k]) {
			sum += live[k][0] + live[k][len[k] - 1];
			free(live[k]);
		}
		uint64_t r = rnd(&s);
		len[k] = (unsigned short)((r & 3) ? 8 + (r >> 8) % 120 : 8 + (r >> 8) % 504);
		live[k] = malloc(len[k]);
		if (!live[k])
			return 1;
		live[k][0] = (unsigned char)i;
		live[k][len[k] - 1] = (unsigned char)k;
	}
	for (long k = 0; k < window; k++)
		free(live[k]);
	free(live);
	free(len);
	printf("%llu\n", (unsigned long long)sum);
	return 0;
}
