// SPDX-License-Identifier: MIT
/*
 * bench/bench.h - helpers every benchmark shares: the median of a sample.
 * Benchmarks print medians (never means) so one preempted run on a shared
 * host does not move the figure.
 */
#ifndef KMM_BENCH_H
#define KMM_BENCH_H

#include <stdlib.h>

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* median() - sorts @v in place and returns its median (n >= 1). */
static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* KMM_BENCH_H */
