// SPDX-License-Identifier: MIT
/*
 * bench/page_alloc.c - what the page allocator costs, next to glibc.
 *
 *   1. order-0 alloc+free pair on the per-CPU path   vs malloc(4 KiB)+free
 *   2. order-3 alloc+free pair (also per-CPU lists)   vs malloc(32 KiB)+free
 *   3. order-10 alloc+free with memory fragmented      vs malloc(4 MiB)+free
 *      (every other page of most of RAM held, so the free lists are long
 *      with unmergeable order-0 blocks and one order-10 block is cycled)
 *   4. eager vs lazy coalescing on the seed's thrash: one 512-page block
 *      allocated and freed again and again
 *   5. eager vs lazy on a mixed workload where lazy costs: the same
 *      fragmented memory, an order-10 block taken, split into 1024 pages and
 *      freed page by page; lazy must run its coalescing pass over every free
 *      block of the zone before the next order-10 request succeeds
 *
 * Each figure is the median of RUNS runs of ITERS pairs, in ns per pair;
 * ratios are kmm / glibc (or lazy / eager) measured in the same run.
 * glibc's malloc does not touch the memory, and neither does alloc_pages.
 *
 * `page_alloc pair ORDER ITERS` runs only the alloc+free pair of ORDER,
 * ITERS times after a short warm-up, on the eager machine - for counting
 * instructions (valgrind --tool=callgrind, perf stat -e instructions),
 * which stay repeatable on a loaded host where nanoseconds do not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/kmm.h>

#include "arch/sim/sim.h"

#include "bench/bench.h"

#define RUNS 7


static double time_glibc(size_t bytes, long iters)
{
	uint64_t t0 = sim_now_ns();

	for (long i = 0; i < iters; i++) {
		void *p = malloc(bytes);

		__asm__ volatile("" : : "r"(p) : "memory");	/* keep the pair */
		free(p);
	}
	return (double)(sim_now_ns() - t0) / (double)iters;
}

static double time_pages(unsigned int order, long iters)
{
	uint64_t t0 = sim_now_ns();

	for (long i = 0; i < iters; i++) {
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);

		if (!p) {
			fprintf(stderr, "page_alloc bench: order-%u allocation failed\n", order);
			exit(1);
		}
		__free_pages(p, order);
	}
	return (double)(sim_now_ns() - t0) / (double)iters;
}

/* Hold every other page of most of memory; keep one order-10 block free. */
struct fragmented {
	struct page **held;
	long nr;
};

static void fragment(struct fragmented *f)
{
	struct page *big = alloc_pages(GFP_KERNEL, 10);
	long cap = 1L << 20, n = 0;
	struct page **all = malloc(sizeof(*all) * (size_t)cap);

	f->held = malloc(sizeof(*f->held) * (size_t)cap);
	f->nr = 0;
	while (n < cap && (all[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0)))
		n++;
	for (long i = 0; i < n; i++) {
		if (page_to_pfn(all[i]) & 1)
			__free_pages(all[i], 0);
		else
			f->held[f->nr++] = all[i];
	}
	free(all);
	__free_pages(big, 10);
}

static void unfragment(struct fragmented *f)
{
	for (long i = 0; i < f->nr; i++)
		__free_pages(f->held[i], 0);
	free(f->held);
}

static double time_split_free(long iters)
{
	uint64_t t0 = sim_now_ns();

	for (long i = 0; i < iters; i++) {
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 10);

		if (!p) {
			fprintf(stderr, "page_alloc bench: mixed workload ran dry at %ld\n", i);
			exit(1);
		}
		unsigned long pfn = page_to_pfn(p);

		split_page(p, 10);
		for (unsigned long j = 0; j < 1024; j++)
			__free_pages(kmm_pfn_to_page(kmm_current(), pfn + j), 0);
	}
	return (double)(sim_now_ns() - t0) / (double)iters;
}

static struct kmm_machine *boot(const char *cmdline)
{
	struct kmm_machine *m = kmm_boot(cmdline);

	if (!m) {
		fprintf(stderr, "page_alloc bench: kmm_boot(\"%s\"): %s\n", cmdline, kmm_last_error());
		exit(1);
	}
	kmm_use(m);
	return m;
}

/* One case only, for instruction counting. */
static int run_pair(const char *order_s, const char *iters_s)
{
	char *end;
	unsigned long order = strtoul(order_s, &end, 10);
	long iters;

	if (*end || order > 10) {
		fprintf(stderr, "page_alloc bench: bad order '%s' (0..10)\n", order_s);
		return 2;
	}
	iters = strtol(iters_s, &end, 10);
	if (*end || iters <= 0) {
		fprintf(stderr, "page_alloc bench: bad iteration count '%s'\n", iters_s);
		return 2;
	}
	struct kmm_machine *m = boot("mem=256M maxcpus=2 buddy=eager");

	time_pages((unsigned int)order, 1000);	/* warm the pcp lists */
	printf("order-%lu pair: %.1f ns (%ld pairs)\n", order, time_pages((unsigned int)order, iters),
	       iters);
	kmm_use(NULL);
	kmm_shutdown(m);
	return 0;
}

int main(int argc, char **argv)
{
	double a[RUNS], b[RUNS], x, y;
	const char *eager_cmd = "mem=256M maxcpus=2 buddy=eager";
	const char *lazy_cmd = "mem=256M maxcpus=2 buddy=lazy";
	struct kmm_machine *m;
	struct fragmented f;

	if (argc == 4 && !strcmp(argv[1], "pair"))
		return run_pair(argv[2], argv[3]);
	if (argc != 1) {
		fprintf(stderr, "usage: page_alloc [pair ORDER ITERS]\n");
		return 2;
	}
	m = boot(eager_cmd);

	printf("page_alloc bench (%s), median of %d runs, ns per alloc+free pair\n", eager_cmd, RUNS);
	time_pages(0, 10000);	/* warm the pcp lists */
	for (int r = 0; r < RUNS; r++) {
		a[r] = time_pages(0, 200000);
		b[r] = time_glibc(4096, 200000);
	}
	x = median(a, RUNS);
	y = median(b, RUNS);
	printf("order-0 (pcp path)       %8.1f ns   glibc malloc(4K)   %8.1f ns   ratio %.2f\n", x, y,
	       x / y);
	for (int r = 0; r < RUNS; r++) {
		a[r] = time_pages(3, 100000);
		b[r] = time_glibc(8 * 4096, 100000);
	}
	x = median(a, RUNS);
	y = median(b, RUNS);
	printf("order-3 (pcp path)       %8.1f ns   glibc malloc(32K)  %8.1f ns   ratio %.2f\n", x, y,
	       x / y);
	fragment(&f);
	for (int r = 0; r < RUNS; r++) {
		a[r] = time_pages(10, 20000);

		b[r] = time_glibc(1024 * 4096, 20000);
	}
	x = median(a, RUNS);
	y = median(b, RUNS);
	printf("order-10 (fragmented)    %8.1f ns   glibc malloc(4M)   %8.1f ns   ratio %.2f\n", x, y,
	       x / y);
	for (int r = 0; r < RUNS; r++)
		a[r] = time_split_free(200);
	double mixed_eager = median(a, RUNS);

	unfragment(&f);

	/* The thrash, eager and lazy machines alternating run by run (fair under load). */
	struct kmm_machine *lazy = boot(lazy_cmd);

	for (int r = 0; r < RUNS; r++) {
		kmm_use(m);
		a[r] = time_pages(9, 100000);
		kmm_use(lazy);
		b[r] = time_pages(9, 100000);
	}
	double thrash_eager = median(a, RUNS), thrash_lazy = median(b, RUNS);

	kmm_use(NULL);
	kmm_shutdown(m);
	m = lazy;
	kmm_use(m);
	fragment(&f);
	for (int r = 0; r < RUNS; r++)
		a[r] = time_split_free(200);
	double mixed_lazy = median(a, RUNS);

	unfragment(&f);
	kmm_use(NULL);
	kmm_shutdown(m);

	printf("thrash: order-9 pair     eager %8.1f ns   lazy %8.1f ns   lazy/eager %.2f\n",
	       thrash_eager, thrash_lazy, thrash_lazy / thrash_eager);
	printf("mixed: order-10 split+1024 frees  eager %8.0f ns   lazy %8.0f ns   lazy/eager %.2f\n",
	       mixed_eager, mixed_lazy, mixed_lazy / mixed_eager);
	return 0;
}
