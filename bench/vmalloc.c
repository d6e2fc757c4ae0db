// SPDX-License-Identifier: MIT
/*
 * bench/vmalloc.c - vmalloc+vfree against the host's mmap+munmap.
 *
 * For 1, 16 and 256 pages, and again for 1 and 16 pages with 10,000 live
 * areas and as many holes between them (the case the augmented free tree
 * exists for: Linux before 5.2 walked the busy list), time a vmalloc, a write to
 * every page and a vfree; the peer, measured in the same run, is an
 * anonymous mmap of the same size, the same writes, and munmap. Both sides
 * really map memory: kmm maps frames of the machine's memory file into its
 * vmalloc window, the host maps fresh anonymous pages. Each figure is the
 * median over batches of the thread's CPU time per operation, user and
 * system (CLOCK_THREAD_CPUTIME_ID: the host's mmap, fault and munmap work
 * counts, a loaded host's waiting does not; wall time until session 18).
 *
 * The two sides do not do the same work, in two ways that are Linux's:
 * vmalloc's pages are not zeroed (vzalloc's are), the host's fresh
 * anonymous pages must be; and vmalloc maps every page of the area when it
 * returns (Linux writes every PTE then; kmm has the host map the frames
 * then too, for areas up to 512 pages, session 20), so the writes take no
 * fault, where each first write to the host's mapping faults. vfree clears
 * the PTEs, and kmm's host mapping of an area of consecutive frames goes
 * at the lazy purge (the TLB flush of the batch), where munmap unmaps at
 * once.
 *
 * kmm maps each run of consecutive frames of an area with one host mmap
 * (vmalloc sorts the area's frames for that), so an area costs one host
 * mapping per run. Making the holes frees 10,000 frames whose neighbours
 * are live areas' frames; taken by the next vmallocs, they give a 16-page
 * area 16 runs, 16 host mmaps and a madvise (the populate) a vmalloc and
 * one unmapping at vfree, where consecutive frames take 1 and a share of
 * the purge's (session 18, when both took one more and nothing was
 * populated: this row trailed the host 3.45x where "16 pages" led 0.89x,
 * and it was the mappings, not the tree: callgrind counted 15% more
 * instructions per area with 3,000 live areas, strace 8.5 times the mmaps).
 * So the "scattered" row measures first, with those frames free (the cost
 * of an area mapped one frame at a time), and the "live areas" rows hold
 * them (allocated, not used) while they measure the tree. The frame runs
 * of one area of each kind are printed.
 *
 * Then, on 1, 2, 4 ... -t N threads of one machine, vmalloc+touch+vfree of
 * 16 pages as wall-clock throughput next to mmap+touch+munmap.
 *
 * Usage: bench/vmalloc [-t N] [CMDLINE]   (default "mem=2G"; KMM_QUICK=1 for a short run)
 *        bench/vmalloc row ROW ITERS [LIVE] (one row's kmm side, for callgrind: run_row())
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <kmm/kmm.h>
#include <kmm/vmalloc.h>

#include "bench/bench.h"

#define PAGE 4096UL
enum { LIVE = 10000, HELD = LIVE + LIVE / 10 };


static void touch(char *p, unsigned long pages)
{
	for (unsigned long i = 0; i < pages; i++)
		p[i * PAGE] = (char)i;
}

/* Median ns per vmalloc+touch+vfree of @pages pages (out of line: run_row() counts it). */
static __attribute__((noinline)) double bench_kmm(unsigned long pages, int batches, int per_batch)
{
	double *t = malloc((size_t)batches * sizeof(*t));

	for (int b = 0; b < batches; b++) {
		double t0 = (double)bench_thread_ns();
		for (int i = 0; i < per_batch; i++) {
			char *p = vmalloc(pages * PAGE);
			if (!p) {
				fprintf(stderr, "vmalloc failed: %s\n", kmm_last_error());
				exit(1);
			}
			touch(p, pages);
			vfree(p);
		}
		t[b] = ((double)bench_thread_ns() - t0) / per_batch;
	}
	double med = median(t, batches);
	free(t);
	return med;
}

static double bench_host(unsigned long pages, int batches, int per_batch)
{
	double *t = malloc((size_t)batches * sizeof(*t));

	for (int b = 0; b < batches; b++) {
		double t0 = (double)bench_thread_ns();
		for (int i = 0; i < per_batch; i++) {
			char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED) {
				perror("mmap");
				exit(1);
			}
			touch(p, pages);
			munmap(p, pages * PAGE);
		}
		t[b] = ((double)bench_thread_ns() - t0) / per_batch;
	}
	double med = median(t, batches);
	free(t);
	return med;
}

/* How many runs of consecutive frames (host mappings) a fresh area of @pages pages has. */
static unsigned long frame_runs(unsigned long pages)
{
	char *p = vmalloc(pages * PAGE);
	unsigned long runs = 0, prev = 0;

	if (!p) {
		fprintf(stderr, "vmalloc failed: %s\n", kmm_last_error());
		exit(1);
	}
	for (unsigned long i = 0; i < pages; i++) {
		unsigned long pfn = vmalloc_to_pfn(p + i * PAGE);
		if (!i || pfn != prev + 1)
			runs++;
		prev = pfn;
	}
	vfree(p);
	return runs;
}

static void report(const char *what, double kmm, double host)
{
	printf("%-40s %10.0f ns %10.0f ns %8.2f\n", what, kmm, host, kmm / host);
	bench_summary("vmalloc", what, 1, "host mmap", kmm / host);
}

/*
 * 10,000 live areas with holes between them: allocate 20,000 one-page
 * areas and free every other one (purged, so the holes are free blocks in
 * the tree); the host gets 10,000 live one-page mappings with holes the
 * same way. Fills @live and @hlive (2 * @nlive each, the odd ones live).
 */
static void make_live_areas(struct kmm_machine *m, void **live, char **hlive, int nlive)
{
	for (int i = 0; i < 2 * nlive; i++) {
		live[i] = vmalloc(PAGE);
		/* Alternate protections so the host cannot merge them into one VMA. */
		hlive[i] = mmap(NULL, PAGE, (i & 2) ? PROT_READ : PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (!live[i] || hlive[i] == MAP_FAILED) {
			fprintf(stderr, "setting up live areas failed: %s\n", kmm_last_error());
			exit(1);
		}
	}
	for (int i = 0; i < 2 * nlive; i += 2) {
		vfree(live[i]);
		munmap(hlive[i], PAGE);
		live[i] = NULL;
		hlive[i] = NULL;
	}
	vm_unmap_aliases_m(m);
}

/*
 * The frames the holes freed, held (see the top): a tenth more than the
 * holes, for the page-table pages the purges freed too. Return: the array
 * of @nheld pages.
 */
static struct page **hold_hole_frames(int nheld)
{
	struct page **held = calloc((size_t)nheld, sizeof(*held));

	for (int i = 0; i < nheld; i++) {
		held[i] = alloc_pages(GFP_KERNEL, 0);
		if (!held[i]) {
			fprintf(stderr, "holding the holes' frames failed: %s\n", kmm_last_error());
			exit(1);
		}
	}
	return held;
}

/*
 * bench/vmalloc row ROW ITERS [LIVE]: one row's kmm side only, ITERS
 * operations after the row's set-up, for counting instructions (valgrind
 * --tool=callgrind '--toggle-collect=bench_kmm*'). ROW: 1, 16, 256 (pages),
 * scattered, live1, live16; LIVE live areas (default 10,000: valgrind
 * needs fewer, its table of host mappings holds a few thousand).
 */
static int run_row(const char *row, const char *iters_s, const char *live_s)
{
	char *end;
	long iters = strtol(iters_s, &end, 10);
	int nlive = live_s ? atoi(live_s) : LIVE;
	unsigned long pages = !strcmp(row, "live1") ? 1 : !strcmp(row, "256") ? 256 :
			      !strcmp(row, "1") ? 1 : 16;
	bool live_row = !strcmp(row, "scattered") || !strncmp(row, "live", 4);

	if (*end || iters <= 0 || nlive <= 0 || nlive > LIVE || (strcmp(row, "1") && strcmp(row, "16") && strcmp(row, "256") &&
				   !live_row) || (live_row && strcmp(row, "scattered") &&
						  strcmp(row, "live1") && strcmp(row, "live16"))) {
		fprintf(stderr, "usage: vmalloc row 1|16|256|scattered|live1|live16 ITERS [1..%d]\n",
			LIVE);
		return 2;
	}
	struct kmm_machine *m = kmm_boot("mem=2G");
	void **live = calloc(2 * LIVE, sizeof(*live));
	char **hlive = calloc(2 * LIVE, sizeof(*hlive));
	struct page **held = NULL;

	if (!m)
		return 1;
	kmm_use(m);
	if (live_row) {
		make_live_areas(m, live, hlive, nlive);
		if (strcmp(row, "scattered"))
			held = hold_hole_frames(nlive + nlive / 10);
	}
	bench_kmm(pages, 1, 200);
	printf("%s: %.0f ns per vmalloc+touch+vfree (%ld, one run)\n", row,
	       bench_kmm(pages, 1, (int)iters), iters);
	for (int i = 0; held && i < nlive + nlive / 10; i++)
		__free_pages(held[i], 0);
	for (int i = 0; i < 2 * LIVE; i++) {
		vfree(live[i]);
		if (hlive[i])
			munmap(hlive[i], PAGE);
	}
	free(held);
	free(live);
	free(hlive);
	kmm_use(NULL);
	kmm_shutdown(m);
	return 0;
}

/* ---- Threads: each thread vmallocs, touches and vfrees 16 pages, on one machine ---- */

struct vm_job {
	struct kmm_machine *m;
	bool host;
	int iters;
};

static void vm_worker(void *arg, int idx)
{
	struct vm_job *j = arg;

	(void)idx;
	if (!j->host)
		kmm_use(j->m);
	for (int i = 0; i < j->iters; i++) {
		if (j->host) {
			char *p = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				       -1, 0);
			if (p == MAP_FAILED)
				exit(1);
			touch(p, 16);
			munmap(p, 16 * PAGE);
		} else {
			char *p = vmalloc(16 * PAGE);
			if (!p)
				exit(1);
			touch(p, 16);
			vfree(p);
		}
	}
}

static void run_threaded(struct kmm_machine *m, int max_threads, int batches)
{
	int counts[16], nc = bench_thread_counts(max_threads, counts);
	double one = 0;

	printf("\nvmalloc, per thread count: vmalloc+touch+vfree of 16 pages, wall-clock throughput, "
	       "median of %d runs; peer: mmap+touch+munmap on as many threads\n", batches);
	bench_header();
	for (int c = 0; c < nc; c++) {
		int t = counts[c];
		struct vm_job k = { m, false, 100 }, h = { NULL, true, 100 };
		double kr[64], hr[64];
		bench_run_threads(t, vm_worker, &k);
		for (int b = 0; b < batches; b++) {
			kr[b] = 100.0 * t / ((double)bench_run_threads(t, vm_worker, &k) / 1e9);
			hr[b] = 100.0 * t / ((double)bench_run_threads(t, vm_worker, &h) / 1e9);
		}
		double kops = median(kr, batches), hops = median(hr, batches);
		if (t == 1)
			one = kops;
		bench_row("vmalloc", "vmalloc+touch+vfree 16 pages", t, kops, one, "host mmap", hops);
	}
}

int main(int argc, char **argv)
{
	int max_threads;
	argc = bench_threads_arg(argc, argv, &max_threads);
	const char *cmdline = argc > 1 ? argv[1] : "mem=2G";
	bool quick = getenv("KMM_QUICK") && atoi(getenv("KMM_QUICK"));
	int batches = quick ? 5 : 21;
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "row"))
		return run_row(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	struct kmm_machine *m = kmm_boot(cmdline);

	if (!m) {
		fprintf(stderr, "kmm_boot(\"%s\"): %s\n", cmdline, kmm_last_error());
		return 1;
	}
	kmm_use(m);
	printf("bench/vmalloc: %s; median of %d batches, thread CPU time (user+system) per "
	       "operation\n", cmdline, batches);
	printf("%-40s %13s %13s %8s\n", "operation (alloc+touch+free)", "kmm vmalloc", "host mmap",
	       "kmm/host");

	static const unsigned long sizes[] = { 1, 16, 256 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int per = sizes[i] == 256 ? 20 : 200;
		char what[64];
		snprintf(what, sizeof(what), "%lu page%s", sizes[i], sizes[i] > 1 ? "s" : "");
		/* A warm-up batch each: first touches of the memory file cost more. */
		bench_kmm(sizes[i], 1, per);
		bench_host(sizes[i], 1, per);
		double k = bench_kmm(sizes[i], batches, per);
		double h = bench_host(sizes[i], batches, per);
		report(what, k, h);
	}

	void **live = calloc(2 * LIVE, sizeof(*live));
	char **hlive = calloc(2 * LIVE, sizeof(*hlive));
	struct kmm_vmalloc_stats st;

	make_live_areas(m, live, hlive, LIVE);
	kmm_vmalloc_stats(m, &st);
	/* First with the holes' frames free: each area gets frames no two of which touch. */
	unsigned long runs_scattered = frame_runs(16);
	bench_kmm(16, 1, 200);
	double k = bench_kmm(16, batches, 200);
	double h = bench_host(16, batches, 200);
	report("16 pages, 10,000 live areas, scattered", k, h);
	/* Then with them held while the tree is measured (see the top). */
	struct page **held = hold_hole_frames(HELD);
	unsigned long runs_held = frame_runs(16);
	bench_kmm(1, 1, 200);
	bench_host(1, 1, 200);
	k = bench_kmm(1, batches, 200);
	h = bench_host(1, batches, 200);
	report("1 page, 10,000 live areas", k, h);
	k = bench_kmm(16, batches, 200);
	h = bench_host(16, batches, 200);
	report("16 pages, 10,000 live areas", k, h);
	for (int i = 0; i < HELD; i++)
		__free_pages(held[i], 0);
	free(held);
	printf("(live: %llu busy areas, %llu free blocks in the tree; purges so far %llu; frame runs "
	       "of a 16-page area: %lu with the holes' frames free, %lu with them held)\n",
	       st.nr_busy, st.nr_free_areas, st.nr_purges, runs_scattered, runs_held);
	for (int i = 1; i < 2 * LIVE; i += 2) {
		vfree(live[i]);
		munmap(hlive[i], PAGE);
	}
	free(live);
	free(hlive);
	vm_unmap_aliases_m(m);
	run_threaded(m, max_threads, batches);
	vm_unmap_aliases_m(m);
	int err = kmm_check(m);
	kmm_shutdown(m);
	if (err) {
		fprintf(stderr, "kmm_check failed: %s\n", kmm_last_error());
		return 1;
	}
	return 0;
}
