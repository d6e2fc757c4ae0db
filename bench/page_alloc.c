// SPDX-License-Identifier: MIT
/*
 * bench/page_alloc.c - what the page allocator costs, next to glibc.
 *
 * On 1, 2, 4 ... -t N threads, each thread on its own CPU slot (the machine
 * boots with nr_cpus=threads; the set-up runs on a thread that has exited,
 * so no slot is shared):
 *   1. order-0 alloc+free pair (the pcp path)          vs malloc(4 KiB)+free
 *   2. the pcp mix: orders 0, 1, 2, 3 in turn           vs malloc(4, 8, 16, 32 KiB)+free
 *   3. alloc_pages_bulk of 16 + release_pages           vs 16 malloc(4 KiB), 16 free
 * and on one thread:
 *   4. order-10 alloc+free with memory fragmented      vs malloc(4 MiB)+free
 *      (every other page of most of RAM held, so the free lists are long
 *      with unmergeable order-0 blocks and one order-10 block is cycled)
 *   5. eager vs lazy coalescing on the seed's thrash: one 512-page block
 *      allocated and freed again and again
 *   6. eager vs lazy on a mixed workload where lazy costs: the same
 *      fragmented memory, an order-10 block taken, split into 1024 pages and
 *      freed page by page; lazy must run its coalescing pass over every free
 *      block of the zone before the next order-10 request succeeds
 *
 * Times are thread CPU time (CLOCK_THREAD_CPUTIME_ID, as bench/slab: on a
 * shared host wall time mostly measures how long the scheduler kept a
 * thread waiting), per operation and averaged over the threads; throughput
 * is threads / time per operation. Figures are medians of RUNS runs
 * (interleaved with the peer's); "kmm/peer" is kmm's time per operation over
 * the peer's (lower is better), lazy / eager for 5 and 6. glibc's malloc
 * does not touch the memory, and neither does alloc_pages. In 4., glibc's
 * malloc(4 MiB) is bookkeeping only from the second pair on (the first free
 * of a mapped chunk raises its mmap threshold past 4 MiB, so the block is
 * split off the heap's top and merged back: no system call), as the buddy
 * allocator's pair is: the two do like work.
 *
 * Usage: bench/page_alloc [-t N]
 *        bench/page_alloc pair ORDER ITERS [fragmented] - only the alloc+free
 *        pair of ORDER (on memory fragmented as for 4. when asked), ITERS
 *        times after a short warm-up, on one thread, then
 *        glibc's malloc(4 KiB << ORDER)+free the same way - for counting
 *        instructions (valgrind --tool=callgrind --toggle-collect=time_pages,
 *        or =time_glibc for the peer: each is called for 1000 + ITERS
 *        pairs), which stay repeatable on a loaded host where nanoseconds
 *        do not.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/kmm.h>

#include "arch/sim/sim.h"
#include "lib/util.h"
#include "mm/include/mmzone.h"

#include "bench/bench.h"

#define RUNS 7

static double time_glibc(size_t bytes, long iters)
{
	uint64_t t0 = bench_thread_ns();

	for (long i = 0; i < iters; i++) {
		void *p = malloc(bytes);

		__asm__ volatile("" : : "r"(p) : "memory");	/* keep the pair */
		free(p);
	}
	return (double)(bench_thread_ns() - t0) / (double)iters;
}

static double time_pages(unsigned int order, long iters)
{
	uint64_t t0 = bench_thread_ns();

	for (long i = 0; i < iters; i++) {
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);

		if (!p) {
			fprintf(stderr, "page_alloc bench: order-%u allocation failed\n", order);
			exit(1);
		}
		__free_pages(p, order);
	}
	return (double)(bench_thread_ns() - t0) / (double)iters;
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
	uint64_t t0 = bench_thread_ns();

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
		/*
		 * The pcp lists may hold all 1024 (their high follows the low
		 * watermark): give them to the buddy, where eager merges them at
		 * once and lazy parks them for its pass.
		 */
		drain_all_pages(kmm_current(), NULL);
	}
	return (double)(bench_thread_ns() - t0) / (double)iters;
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
static int run_pair(const char *order_s, const char *iters_s, bool fragmented)
{
	struct fragmented f;
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

	if (fragmented)
		fragment(&f);
	time_pages((unsigned int)order, 1000);	/* warm the pcp lists */
	double k = time_pages((unsigned int)order, iters);
	time_glibc(4096UL << order, 1000);	/* the peer, warmed the same way */
	double g = time_glibc(4096UL << order, iters);

	printf("order-%lu pair%s: %.1f ns, glibc malloc(%lu KiB)+free %.1f ns, kmm/peer %.2f "
	       "(%ld pairs each, one run)\n", order, fragmented ? " (fragmented)" : "", k,
	       4UL << order, g, k / g, iters);
	if (fragmented)
		unfragment(&f);
	kmm_use(NULL);
	kmm_shutdown(m);
	return 0;
}

/* ---- The multi-threaded workloads ---- */

enum pa_workload { PA_PAIR, PA_MIX, PA_BULK, NR_PA };
static const char *const pa_names[NR_PA] = {
	"order-0 alloc+free (pcp)", "pcp mix orders 0..3", "alloc_pages_bulk 16 + release",
};

struct pa_job {
	struct kmm_machine *m;
	enum pa_workload w;
	long iters;		/* operations per thread */
	bool glibc;
	double ns[BENCH_MAX_THREADS];	/* each thread's CPU time per iteration */
};

static void pa_worker(void *arg, int idx)
{
	struct pa_job *j = arg;
	struct page *pages[16];
	void *blocks[16];

	if (!j->glibc)
		kmm_use(j->m);
	uint64_t t0 = bench_thread_ns();
	for (long i = 0; i < j->iters; i++) {
		unsigned int order = j->w == PA_MIX ? (unsigned int)(i & 3) : 0;
		if (j->w == PA_BULK) {
			if (j->glibc) {
				for (int k = 0; k < 16; k++)
					blocks[k] = malloc(4096);
				__asm__ volatile("" : : "r"(blocks) : "memory");
				for (int k = 0; k < 16; k++)
					free(blocks[k]);
			} else {
				memset(pages, 0, sizeof(pages));
				if (alloc_pages_bulk(GFP_KERNEL | __GFP_NOWARN, 16, pages) != 16) {
					fprintf(stderr, "page_alloc bench: alloc_pages_bulk ran short\n");
					exit(1);
				}
				release_pages(pages, 16);
			}
			continue;
		}
		if (j->glibc) {
			void *p = malloc(4096UL << order);
			__asm__ volatile("" : : "r"(p) : "memory");
			free(p);
			continue;
		}
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
		if (!p) {
			fprintf(stderr, "page_alloc bench: order-%u allocation failed\n", order);
			exit(1);
		}
		__free_pages(p, order);
	}
	j->ns[idx] = (double)(bench_thread_ns() - t0) / (double)j->iters;
}

/* Run @j on @t threads; return the operations per second: threads / mean time per operation. */
static double pa_run(struct pa_job *j, int t, double per)
{
	double sum = 0;

	bench_run_threads(t, pa_worker, j);
	for (int i = 0; i < t; i++)
		sum += j->ns[i];
	return (double)t * per / (sum / t / 1e9);
}

struct boot_req {
	const char *cmdline;
	struct kmm_machine *m;
};

/* Boot on a thread of its own: its CPU slot goes back when it exits. */
static void boot_worker(void *arg, int idx)
{
	struct boot_req *r = arg;

	(void)idx;
	r->m = kmm_boot(r->cmdline);
	if (!r->m) {
		fprintf(stderr, "page_alloc bench: kmm_boot(\"%s\"): %s\n", r->cmdline, kmm_last_error());
		exit(1);
	}
}

static void shutdown_worker(void *arg, int idx)
{
	(void)idx;
	kmm_shutdown(arg);
}

static void run_threaded(int max_threads)
{
	int counts[16], nc = bench_thread_counts(max_threads, counts);
	double one[NR_PA] = { 0 };

	printf("\npage_alloc, per thread count (each thread its own CPU slot, nr_cpus = threads), "
	       "thread CPU time, median of %d runs\n", RUNS);
	bench_header();
	for (int w = 0; w < NR_PA; w++) {
		for (int c = 0; c < nc; c++) {
			int t = counts[c];
			char cmd[96];
			snprintf(cmd, sizeof(cmd), "mem=%dM nr_cpus=%d buddy=eager", 256 + 64 * t, t);
			struct boot_req br = { cmd, NULL };
			bench_run_threads(1, boot_worker, &br);
			long iters = w == PA_BULK ? 20000 : 200000;
			struct pa_job k = { br.m, (enum pa_workload)w, iters, false, { 0 } };
			struct pa_job g = { NULL, (enum pa_workload)w, iters, true, { 0 } };
			double kr[RUNS], gr[RUNS];
			double per = w == PA_BULK ? 16.0 : 1.0;	/* operations per iteration */

			k.iters = iters / 10;
			bench_run_threads(t, pa_worker, &k);	/* warm the lists */
			k.iters = iters;
			for (int r = 0; r < RUNS; r++) {
				kr[r] = pa_run(&k, t, per);
				gr[r] = pa_run(&g, t, per);
			}
			double kops = median(kr, RUNS), gops = median(gr, RUNS);
			if (t == 1)
				one[w] = kops;
			bench_row("page_alloc", pa_names[w], t, kops, one[w], "glibc", gops);
			bench_run_threads(1, shutdown_worker, br.m);
		}
	}
}

int main(int argc, char **argv)
{
	double a[RUNS], b[RUNS], x, y;
	const char *eager_cmd = "mem=256M maxcpus=2 buddy=eager";
	const char *lazy_cmd = "mem=256M maxcpus=2 buddy=lazy";
	struct kmm_machine *m;
	struct fragmented f;
	int max_threads;

	argc = bench_threads_arg(argc, argv, &max_threads);
	if ((argc == 4 || (argc == 5 && !strcmp(argv[4], "fragmented"))) &&
	    !strcmp(argv[1], "pair"))
		return run_pair(argv[2], argv[3], argc == 5);
	if (argc != 1) {
		fprintf(stderr, "%s: unexpected argument '%s'\nusage: page_alloc [-t N] [pair ORDER ITERS [fragmented]]\n",
			argv[0], argv[1]);
		return 2;
	}
	run_threaded(max_threads);

	m = boot(eager_cmd);
	printf("\npage_alloc, one thread (%s), median of %d runs, CPU ns per alloc+free pair\n",
	       eager_cmd, RUNS);
	fragment(&f);
	for (int r = 0; r < RUNS; r++) {
		a[r] = time_pages(10, 20000);
		b[r] = time_glibc(1024 * 4096, 20000);
	}
	x = median(a, RUNS);
	y = median(b, RUNS);
	printf("order-10 (fragmented)    %8.1f ns   glibc malloc(4M)   %8.1f ns   kmm/peer %.2f\n", x, y,
	       x / y);
	bench_summary("page_alloc", "order-10 alloc+free, fragmented", 1, "glibc", x / y);
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
