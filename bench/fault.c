// SPDX-License-Identifier: MIT
/*
 * bench/fault.c - page faults, copy-on-write, fork and TLB hits in kmm's
 * simulated processes, each next to the host kernel doing the same work in
 * the same run:
 *
 *   demand-zero   kmm: write one byte per page of a fresh anonymous mapping
 *                 (MMU miss, fault, zeroed page, retry) / host: the same on a
 *                 real mmap(MAP_PRIVATE|MAP_ANONYMOUS)
 *   cow           kmm: after fork, the child writes every page (copy) / host:
 *                 a real fork, the child times its writes and reports them
 *   fork          kmm_fork of a process with FORK_MB touched / a real fork()
 *                 of this process with the same amount touched (parent-side
 *                 time of the fork call)
 *   tlb-hit       kmm_access of 8 bytes on 16 pages already in the TLB / a
 *                 plain volatile 8-byte load loop on host memory
 *   tlb-hit inline the same through kmm_load64 (<kmm/process.h>'s inline
 *                 accessor: the hit path in this loop, no call, no lock)
 *   vma map/unmap N  kmm: N one-page anonymous mappings, a page apart (so
 *                 none merge), mapped MAP_FIXED_NOREPLACE in a shuffled
 *                 order, then unmapped in another: the VMA tree's insert
 *                 and removal at N = 10^3, 10^4, 10^5 live VMAs (thread CPU
 *                 ns per call) / the host's mmap and munmap the same way,
 *                 where its vm.max_map_count allows N (65530 by default:
 *                 not 10^5, whose row prints "-" for the host); and the
 *                 per-call cost at N over the cost at 10^3 (flat: 1.00).
 *                 These rows boot a machine of their own with ram=huge
 *                 (RAM and struct pages on the host's transparent huge
 *                 pages, as Linux's direct map: 10^5 VMAs and their slabs
 *                 spread over ~20 MB); KMM_BENCH_VMA_RAM=memfd|anon|huge
 *                 picks another backing (e.g. to time the huge pages alone)
 *
 * The tlb-hit rows (and their host peer) time the thread's CPU time, not
 * the wall clock: they run one thread that makes no system call, and on a
 * shared machine the wall clock mostly measures how long the scheduler
 * kept it waiting (bench_thread_ns(), as bench/page_alloc.c).
 *
 * and then, on 1, 2, 4 ... -t N threads, demand-zero faults of N processes
 * (one per thread) and of N threads of one process (each its own VMA), as
 * wall-clock throughput next to the host's faults on as many threads, and
 * each thread's munmap of the pages it faulted (pages per second; the
 * host's the same, its mapping kept from an untimed fault pass).
 *
 * Medians of REPS runs; "ratio" is kmm time / host time (lower is better;
 * 1.0 would mean as fast as the host kernel). Environment: KMM_BENCH_FORK_MB
 * (default 1024), KMM_BENCH_PAGES (default 16384 = 64 MiB), KMM_BENCH_REPS (5).
 * Usage: bench/fault [-t N] (default: the online CPUs)
 *        bench/fault vma N [ORDER]  the kmm side of the vma rows alone, once,
 *                            for instruction counting (valgrind
 *                            --tool=callgrind '--toggle-collect=kmm_vma_*');
 *                            ORDER: random (the rows' shuffled orders, the
 *                            default), down (mapped highest first, each
 *                            below the last, as top-down mmap places them,
 *                            and unmapped in the same order) or up (lowest
 *                            first, both ways)
 *        bench/fault threads [-t N]  the per-thread-count rows alone (N
 *                            processes, N threads of one process, and the
 *                            host), for interleaved old/new runs under
 *                            chrt that hold the CPUs a few seconds only
 *        bench/fault touch N the kmm side of the demand-zero row alone, once:
 *                            one byte written to each of N fresh pages of
 *                            one process (mem=1536M), for instruction
 *                            counting (--toggle-collect=kmm_touch)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kmm/process.h>

#include "bench/bench.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}


static long env_long(const char *name, long def)
{
	const char *s = getenv(name);
	return s && *s ? strtol(s, NULL, 0) : def;
}

#define PAGE 4096UL

/* ---- host peers ---- */

static double host_demand_zero(unsigned long pages)
{
	unsigned char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	uint64_t t0 = now_ns();
	for (unsigned long i = 0; i < pages; i++)
		((volatile unsigned char *)p)[i * PAGE] = 1;
	uint64_t t1 = now_ns();
	munmap(p, pages * PAGE);
	return (double)(t1 - t0) / (double)pages;
}

static double host_cow(unsigned long pages)
{
	unsigned char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd[2];
	double r = 0;

	if (p == MAP_FAILED || pipe(fd))
		return 0;
	for (unsigned long i = 0; i < pages; i++)
		p[i * PAGE] = 1;
	pid_t pid = fork();
	if (pid == 0) {
		uint64_t t0 = now_ns();
		for (unsigned long i = 0; i < pages; i++)
			((volatile unsigned char *)p)[i * PAGE] = 2;
		double ns = (double)(now_ns() - t0) / (double)pages;
		if (write(fd[1], &ns, sizeof(ns)) != sizeof(ns))
			_exit(1);
		_exit(0);
	}
	if (read(fd[0], &r, sizeof(r)) != sizeof(r))
		r = 0;
	waitpid(pid, NULL, 0);
	close(fd[0]);
	close(fd[1]);
	munmap(p, pages * PAGE);
	return r;
}

static double host_fork(unsigned long bytes)
{
	unsigned char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 0;
	for (unsigned long i = 0; i < bytes; i += PAGE)
		p[i] = 1;
	uint64_t t0 = now_ns();
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	uint64_t t1 = now_ns();
	waitpid(pid, NULL, 0);
	munmap(p, bytes);
	return (double)(t1 - t0) / 1e6;	/* ms */
}

static double host_load(unsigned long loads)
{
	static uint64_t buf[16 * PAGE / 8];
	volatile uint64_t *v = buf;
	uint64_t sum = 0;

	memset(buf, 1, sizeof(buf));
	uint64_t t0 = bench_thread_ns();
	for (unsigned long i = 0; i < loads; i++)
		sum += v[(i * (PAGE / 8)) % (16 * PAGE / 8)];
	uint64_t t1 = bench_thread_ns();
	if (sum == 42)
		puts("");
	return (double)(t1 - t0) / (double)loads;
}

/* ---- kmm ---- */

static double kmm_demand_zero(struct kmm_machine *m, unsigned long pages)
{
	struct task_struct *t = kmm_spawn(m, "bench");
	uint64_t x;

	if (!t || kmm_mmap(t, 0, pages * PAGE, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &x))
		return 0;
	uint64_t t0 = now_ns();
	kmm_touch(t, x, pages * PAGE, true);
	uint64_t t1 = now_ns();
	kmm_exit(t, 0);
	kmm_task_release(t);
	return (double)(t1 - t0) / (double)pages;
}

static double kmm_cow(struct kmm_machine *m, unsigned long pages)
{
	struct task_struct *t = kmm_spawn(m, "bench"), *c;
	uint64_t x;

	if (!t || kmm_mmap(t, 0, pages * PAGE, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &x))
		return 0;
	kmm_touch(t, x, pages * PAGE, true);
	c = kmm_fork(t, "child");
	if (!c)
		return 0;
	uint64_t t0 = now_ns();
	kmm_touch(c, x, pages * PAGE, true);
	uint64_t t1 = now_ns();
	kmm_exit(c, 0);
	kmm_exit(t, 0);
	kmm_task_release(c);
	kmm_task_release(t);
	return (double)(t1 - t0) / (double)pages;
}

static double kmm_fork_ms(struct kmm_machine *m, unsigned long bytes)
{
	struct task_struct *t = kmm_spawn(m, "bench"), *c;
	uint64_t x;

	if (!t || kmm_mmap(t, 0, bytes, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &x))
		return 0;
	if (kmm_touch(t, x, bytes, true))
		return 0;
	uint64_t t0 = now_ns();
	c = kmm_fork(t, "child");
	uint64_t t1 = now_ns();
	if (!c)
		return 0;
	kmm_exit(c, 0);
	kmm_exit(t, 0);
	kmm_task_release(c);
	kmm_task_release(t);
	return (double)(t1 - t0) / 1e6;
}

static double kmm_tlb_hit(struct kmm_machine *m, unsigned long loads)
{
	struct task_struct *t = kmm_spawn(m, "bench");
	uint64_t x, v, sum = 0;

	if (!t || kmm_mmap(t, 0, 16 * PAGE, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &x))
		return 0;
	kmm_touch(t, x, 16 * PAGE, true);
	for (unsigned long i = 0; i < 16; i++)	/* fill the TLB with read entries */
		kmm_access(t, x + i * PAGE, &v, 8, false);
	uint64_t t0 = bench_thread_ns();
	for (unsigned long i = 0; i < loads; i++) {
		kmm_access(t, x + (i % 16) * PAGE, &v, 8, false);
		sum += v;
	}
	uint64_t t1 = bench_thread_ns();
	if (sum == 42)
		puts("");
	kmm_exit(t, 0);
	kmm_task_release(t);
	return (double)(t1 - t0) / (double)loads;
}

/* The same loads through the inline accessor: a TLB hit is a few instructions in this loop. */
static double kmm_tlb_hit_inline(struct kmm_machine *m, unsigned long loads)
{
	struct task_struct *t = kmm_spawn(m, "bench");
	struct kmm_as as;
	uint64_t x, v, sum = 0;

	if (!t || kmm_mmap(t, 0, 16 * PAGE, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &x) || kmm_as_of(t, &as))
		return 0;
	kmm_touch(t, x, 16 * PAGE, true);
	for (unsigned long i = 0; i < 16; i++)
		kmm_load64(&as, x + i * PAGE, &v);
	uint64_t t0 = bench_thread_ns();
	for (unsigned long i = 0; i < loads; i++) {
		kmm_load64(&as, x + (i % 16) * PAGE + (i & 0x1f8), &v);
		sum += v;
	}
	uint64_t t1 = bench_thread_ns();
	if (sum == 42)
		puts("");
	kmm_exit(t, 0);
	kmm_task_release(t);
	return (double)(t1 - t0) / (double)loads;
}

/* ---- VMAs: N one-page mappings a page apart, mapped and unmapped in shuffled orders ---- */

#define VMA_BASE 0x200000000UL	/* 8 GiB: below anything mmap picks on its own */

/* A fixed permutation of 0..n-1 (xorshift64 from @seed, Fisher-Yates): the same every run. */
static unsigned long *vma_order(unsigned long n, uint64_t seed)
{
	unsigned long *o = malloc(n * sizeof(*o));

	if (!o)
		return NULL;
	for (unsigned long i = 0; i < n; i++)
		o[i] = i;
	for (unsigned long i = n - 1; i > 0; i--) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		unsigned long j = (unsigned long)(seed % (i + 1)), x = o[i];
		o[i] = o[j];
		o[j] = x;
	}
	return o;
}

/* The kmm side's two loops (named kmm_vma_* for callgrind's --toggle-collect). */
static __attribute__((noinline)) int kmm_vma_map(struct task_struct *t, const unsigned long *o,
						 unsigned long n)
{
	uint64_t x;

	for (unsigned long i = 0; i < n; i++)
		if (kmm_mmap(t, VMA_BASE + 2 * o[i] * PAGE, PAGE, KMM_PROT_READ | KMM_PROT_WRITE,
			     KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_FIXED_NOREPLACE, &x))
			return -1;
	return 0;
}

static __attribute__((noinline)) int kmm_vma_unmap(struct task_struct *t, const unsigned long *o,
						   unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		if (kmm_munmap(t, VMA_BASE + 2 * o[i] * PAGE, PAGE))
			return -1;
	return 0;
}

enum vma_walk { VMA_RANDOM, VMA_DOWN, VMA_UP };

/* The order of the @n slots for mapping (*@in) and unmapping (*@out); NULL if out of memory. */
static void vma_orders(unsigned long n, enum vma_walk walk, unsigned long **in, unsigned long **out)
{
	if (walk == VMA_RANDOM) {
		*in = vma_order(n, 0x9e3779b97f4a7c15ull);
		*out = vma_order(n, 0xd1b54a32d192ed03ull);
		return;
	}
	*in = malloc(n * sizeof(**in));
	*out = malloc(n * sizeof(**out));
	for (unsigned long i = 0; *in && *out && i < n; i++)
		(*in)[i] = (*out)[i] = walk == VMA_DOWN ? n - 1 - i : i;
}

/* kmm: thread CPU ns per mmap (@map) and per munmap (@unmap) with @n VMAs. Return: 0 or -1. */
static int vma_kmm_ns(struct kmm_machine *m, unsigned long n, enum vma_walk walk, double *map,
		      double *unmap)
{
	struct task_struct *t = kmm_spawn(m, "bench");
	unsigned long *in, *out;
	int ret = -1;

	vma_orders(n, walk, &in, &out);

	if (t && in && out) {
		uint64_t t0 = bench_thread_ns();
		int a = kmm_vma_map(t, in, n);
		uint64_t t1 = bench_thread_ns();
		int b = a ? -1 : kmm_vma_unmap(t, out, n);
		uint64_t t2 = bench_thread_ns();
		*map = (double)(t1 - t0) / (double)n;
		*unmap = (double)(t2 - t1) / (double)n;
		ret = a || b ? -1 : 0;
	}
	if (t) {
		kmm_exit(t, 0);
		kmm_task_release(t);
	}
	free(in);
	free(out);
	return ret;
}

/* The host: the same on a range reserved and let go first (so that it is free). Return: 0 or -1. */
static int vma_host_ns(unsigned long n, double *map, double *unmap)
{
	unsigned long *in = vma_order(n, 0x9e3779b97f4a7c15ull), *out = vma_order(n, 0xd1b54a32d192ed03ull);
	unsigned char *base = mmap(NULL, 2 * n * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret = -1;

	if (!in || !out || base == MAP_FAILED)
		goto out;
	munmap(base, 2 * n * PAGE);
	uint64_t t0 = bench_thread_ns();
	unsigned long i;
	for (i = 0; i < n; i++)
		if (mmap(base + 2 * in[i] * PAGE, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED)
			break;
	uint64_t t1 = bench_thread_ns();
	if (i < n) {
		munmap(base, 2 * n * PAGE);
		goto out;
	}
	for (i = 0; i < n; i++)
		munmap(base + 2 * out[i] * PAGE, PAGE);
	uint64_t t2 = bench_thread_ns();
	*map = (double)(t1 - t0) / (double)n;
	*unmap = (double)(t2 - t1) / (double)n;
	ret = 0;
out:
	free(in);
	free(out);
	return ret;
}

/* How many mappings the host lets a process have (vm.max_map_count; Linux's default if unreadable). */
static long host_max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	long v = 65530;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = 65530;
		fclose(f);
	}
	return v;
}

/* A machine booted with @cmdline and made current, or NULL with the reason printed. */
static struct kmm_machine *boot_current(const char *cmdline)
{
	struct kmm_machine *m = kmm_boot(cmdline);

	if (!m) {
		fprintf(stderr, "fault: boot failed: %s\n", kmm_last_error());
		return NULL;
	}
	kmm_use(m);
	return m;
}

/* The vma rows' machine: "mem=512M arch=x86_64 ram=" KMM_BENCH_VMA_RAM (default huge). */
static struct kmm_machine *vma_boot(char *cmdline, size_t size)
{
	const char *ram = getenv("KMM_BENCH_VMA_RAM");

	snprintf(cmdline, size, "mem=512M arch=x86_64 ram=%s", ram && *ram ? ram : "huge");
	return boot_current(cmdline);
}

static void run_vma(int reps)
{
	static const unsigned long ns[] = { 1000, 10000, 100000 };
	double km[3][2] = { { 0 } }, k[2][64], h[2][64];
	long host_max = host_max_map_count();
	char cmdline[64];
	struct kmm_machine *m = vma_boot(cmdline, sizeof(cmdline));

	if (!m)
		exit(1);
	printf("\nvma map/unmap (%s): N one-page VMAs a page apart, mapped MAP_FIXED_NOREPLACE in a "
	       "shuffled order, unmapped in another; thread CPU ns per call, median of %d runs; last "
	       "column: ns per call at N / at N=1000 (flat: 1.00)\n", cmdline, reps);
	printf("%-22s %12s %12s %s %8s %10s\n", "test", "kmm", "host", "unit     ", "ratio", "vs N=1000");
	for (int c = 0; c < 3; c++) {
		unsigned long n = ns[c];
		/* the host's mappings so far plus these, with room to spare */
		bool host = (long)n + 1000 <= host_max;
		for (int r = 0; r < reps; r++) {
			if (vma_kmm_ns(m, n, VMA_RANDOM, &k[0][r], &k[1][r])) {
				fprintf(stderr, "fault: kmm could not map or unmap %lu VMAs\n", n);
				exit(1);
			}
			if (host && vma_host_ns(n, &h[0][r], &h[1][r]))
				host = false;
		}
		for (int op = 0; op < 2; op++) {
			char name[32], rs[16], fs[16];
			double kmed = median(k[op], reps), hmed = host ? median(h[op], reps) : 0;
			km[c][op] = kmed;
			snprintf(name, sizeof(name), "vma %s %lu", op ? "unmap" : "map", n);
			if (host) {
				printf("%-22s %12.1f %12.1f %s %8s", name, kmed, hmed, "ns/call  ",
				       bench_fmt_ratio(rs, sizeof(rs), kmed / hmed));
				bench_summary("fault", name, 1, "host", kmed / hmed);
			} else {
				printf("%-22s %12.1f %12s %s %8s", name, kmed, "-", "ns/call  ", "-");
			}
			printf(" %10s\n", bench_fmt_ratio(fs, sizeof(fs), kmed / km[0][op]));
			if (c > 0)
				bench_summary("fault", name, 1, "kmm N=1000", kmed / km[0][op]);
		}
	}
	kmm_use(NULL);
	kmm_shutdown(m);
	if (host_max < 101000)
		printf("(the host's vm.max_map_count is %ld: no host row at N=100000)\n", host_max);
}

/* ---- Threads: N processes faulting on N threads, and N threads of one process ---- */

struct fault_job {
	struct kmm_machine *m;
	unsigned long pages;		/* per thread */
	bool host;
	struct task_struct *shared;	/* kmm: one process for every thread, else NULL */
	struct task_struct *own[BENCH_MAX_THREADS];	/* kmm: each thread's process, made beforehand */
	uint64_t base[BENCH_MAX_THREADS];		/* where each thread faults */
	bool keep;					/* host: leave the mapping for unmap_worker() */
	unsigned char *hostp[BENCH_MAX_THREADS];	/* host: each thread's mapping, kept */
};

static void fault_worker(void *arg, int idx)
{
	struct fault_job *j = arg;

	if (j->host) {
		unsigned char *p = mmap(NULL, j->pages * PAGE, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return;
		for (unsigned long i = 0; i < j->pages; i++)
			((volatile unsigned char *)p)[i * PAGE] = 1;
		if (j->keep)
			j->hostp[idx] = p;
		else
			munmap(p, j->pages * PAGE);
		return;
	}
	kmm_use(j->m);
	struct task_struct *t = j->shared ? j->shared : j->own[idx];
	kmm_touch(t, j->base[idx], j->pages * PAGE, true);
}

/* munmap of what fault_worker() faulted in (the host's kept mapping). */
static void unmap_worker(void *arg, int idx)
{
	struct fault_job *j = arg;

	if (j->host) {
		if (j->hostp[idx])
			munmap(j->hostp[idx], j->pages * PAGE);
		return;
	}
	kmm_use(j->m);
	struct task_struct *t = j->shared ? j->shared : j->own[idx];
	kmm_munmap(t, j->base[idx], j->pages * PAGE);
}

/*
 * Faults per second on @threads threads: each its own process, or (@shared)
 * one process's VMAs; then (into *@unmap) pages unmapped per second as each
 * thread munmaps the region it faulted.
 */
static double kmm_fault_rate(struct kmm_machine *m, int threads, unsigned long pages, bool shared,
			     double *unmap)
{
	static struct fault_job j;
	struct task_struct *one = shared ? kmm_spawn(m, "bench") : NULL;

	*unmap = 0;

	memset(&j, 0, sizeof(j));
	j.m = m;
	j.pages = pages;
	j.shared = one;
	for (int i = 0; i < threads; i++) {
		struct task_struct *t = one ? one : (j.own[i] = kmm_spawn(m, "bench"));
		/*
		 * One page more, unmapped again: the hole above each thread's
		 * region keeps the next one (placed just below it) from merging
		 * with it, so that threads of one process fault in VMAs of their
		 * own, as the row's name says.
		 */
		if (!t || kmm_mmap(t, 0, (pages + 1) * PAGE, KMM_PROT_READ | KMM_PROT_WRITE,
				   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &j.base[i]) ||
		    kmm_munmap(t, j.base[i] + pages * PAGE, PAGE))
			return 0;
	}
	uint64_t ns = bench_run_threads(threads, fault_worker, &j);
	uint64_t uns = bench_run_threads(threads, unmap_worker, &j);

	*unmap = (double)pages * threads / ((double)uns / 1e9);
	for (int i = 0; i < threads; i++) {
		struct task_struct *t = one ? one : j.own[i];
		if (!one) {
			kmm_exit(t, 0);
			kmm_task_release(t);
		}
	}
	if (one) {
		kmm_exit(one, 0);
		kmm_task_release(one);
	}
	return (double)pages * threads / ((double)ns / 1e9);
}

static double host_fault_rate(int threads, unsigned long pages)
{
	static struct fault_job j;

	memset(&j, 0, sizeof(j));
	j.pages = pages;
	j.host = true;
	uint64_t ns = bench_run_threads(threads, fault_worker, &j);
	return (double)pages * threads / ((double)ns / 1e9);
}

/* The host's munmap of @pages faulted pages on each of @threads threads: pages per second. */
static double host_unmap_rate(int threads, unsigned long pages)
{
	static struct fault_job j;

	memset(&j, 0, sizeof(j));
	j.pages = pages;
	j.host = true;
	j.keep = true;
	bench_run_threads(threads, fault_worker, &j);
	uint64_t ns = bench_run_threads(threads, unmap_worker, &j);
	return (double)pages * threads / ((double)ns / 1e9);
}

static void run_threaded(int max_threads, unsigned long pages, int reps)
{
	int counts[16], nc = bench_thread_counts(max_threads, counts);

	printf("\nfault, per thread count: demand-zero write faults, then the munmap of the faulted "
	       "pages, wall-clock throughput, median of %d runs; peer: the host kernel's on as many "
	       "threads\n", reps);
	bench_header();
	for (int shared = 0; shared < 2; shared++) {
		const char *name = shared ? "demand-zero, threads of one process"
					  : "demand-zero, one process per thread";
		const char *uname = shared ? "munmap, threads of one process"
					   : "munmap, one process per thread";
		double one = 0, uone = 0;
		for (int c = 0; c < nc; c++) {
			int t = counts[c];
			char cmd[96];
			double k[64], h[64], ku[64], hu[64];
			snprintf(cmd, sizeof(cmd), "mem=%luM arch=x86_64 nr_cpus=%d",
				 (pages * (unsigned long)t * PAGE >> 20) + 512, t + 1);
			struct kmm_machine *m = boot_current(cmd);
			if (!m)
				exit(1);
			kmm_fault_rate(m, t, pages, shared, ku);	/* warm: deferred struct pages, pcp lists */
			for (int r = 0; r < reps; r++) {
				k[r] = kmm_fault_rate(m, t, pages, shared, &ku[r]);
				h[r] = host_fault_rate(t, pages);
				hu[r] = host_unmap_rate(t, pages);
			}
			double kr = median(k, reps), hr = median(h, reps);
			double kur = median(ku, reps), hur = median(hu, reps);
			if (t == 1) {
				one = kr;
				uone = kur;
			}
			bench_row("fault", name, t, kr, one, "host", hr);
			bench_row("fault", uname, t, kur, uone, "host", hur);
			kmm_use(NULL);
			kmm_shutdown(m);
		}
	}
}

static void row(const char *name, const char *unit, double *k, double *h, int reps)
{
	double km = median(k, reps), hm = median(h, reps), ratio = hm > 0 ? km / hm : 0;
	char rs[16];

	printf("%-14s %12.1f %12.1f %s %8s\n", name, km, hm, unit, bench_fmt_ratio(rs, sizeof(rs), ratio));
	bench_summary("fault", name, 1, "host", ratio);
}

/*
 * The argument of `fault VERB N` as a count from 1 to @max (*@n), and a
 * machine booted with @cmdline and made current. Return: the machine, or
 * NULL with the message printed and *@rc the exit status.
 */
static struct kmm_machine *only_boot(const char *verb, const char *arg, unsigned long max,
				     const char *what, const char *cmdline, unsigned long *n,
				     int *rc)
{
	char *end;

	*n = strtoul(arg, &end, 10);
	if (*end || *n < 1 || *n > max) {
		fprintf(stderr, "fault %s: '%s': want a %s count from 1 to %lu\n", verb, arg, what,
			max);
		*rc = 2;
		return NULL;
	}
	struct kmm_machine *m = boot_current(cmdline);
	if (!m)
		*rc = 1;
	return m;
}

/* `fault vma N [ORDER]`: the kmm side of the vma rows alone, once (ORDER: the header). */
static int vma_only(const char *arg, const char *order)
{
	static const char *const names[] = { "random", "down", "up" };
	enum vma_walk walk = VMA_RANDOM;
	unsigned long n;
	double map, unmap;

	while (order && strcmp(order, names[walk]))
		if (++walk > VMA_UP) {
			fprintf(stderr, "fault vma: order '%s': want random, down or up\n", order);
			return 2;
		}
	char *end, cmdline[64];

	n = strtoul(arg, &end, 10);
	if (*end || n < 1 || n > 1000000) {
		fprintf(stderr, "fault vma: '%s': want a VMA count from 1 to 1000000\n", arg);
		return 2;
	}
	struct kmm_machine *m = vma_boot(cmdline, sizeof(cmdline));
	if (!m)
		return 1;
	if (vma_kmm_ns(m, n, walk, &map, &unmap)) {
		fprintf(stderr, "fault: kmm could not map or unmap %lu VMAs\n", n);
		return 1;
	}
	/* The order last: scripts read the figures as the 4th and 7th words. */
	printf("vma %lu: map %.1f ns/call, unmap %.1f ns/call (thread CPU)%s%s\n", n, map, unmap,
	       order ? ", order " : "", order ? names[walk] : "");
	kmm_use(NULL);
	kmm_shutdown(m);
	return 0;
}

/* `fault touch N`: the kmm side of the demand-zero row alone, once. */
static int touch_only(const char *arg)
{
	unsigned long n;
	int rc;
	struct kmm_machine *m = only_boot("touch", arg, 300000, "page", "mem=1536M arch=x86_64", &n,
					  &rc);

	if (!m)
		return rc;
	double ns = kmm_demand_zero(m, n);
	if (ns <= 0) {
		fprintf(stderr, "fault: kmm could not map %lu pages\n", n);
		return 1;
	}
	printf("touch %lu: %.1f ns a fault (wall)\n", n, ns);
	kmm_use(NULL);
	kmm_shutdown(m);
	return 0;
}

int main(int argc, char **argv)
{
	int max_threads;
	if (argc >= 2 && !strcmp(argv[1], "touch")) {
		if (argc != 3) {
			fprintf(stderr, "usage: fault touch N\n");
			return 2;
		}
		return touch_only(argv[2]);
	}
	if (argc >= 2 && !strcmp(argv[1], "vma")) {
		if (argc != 3 && argc != 4) {
			fprintf(stderr, "usage: fault vma N [random|down|up]\n");
			return 2;
		}
		return vma_only(argv[2], argc == 4 ? argv[3] : NULL);
	}
	bool threads_only = argc >= 2 && !strcmp(argv[1], "threads");

	if (threads_only) {
		argv[1] = argv[0];	/* bench_threads_arg() parses what follows */
		argc--;
		argv++;
	}
	if (bench_threads_arg(argc, argv, &max_threads) != 1) {
		fprintf(stderr, "%s: unexpected argument '%s'\nusage: fault [-t N]\n", argv[0], argv[1]);
		return 2;
	}
	int reps = (int)env_long("KMM_BENCH_REPS", 5);
	unsigned long pages = (unsigned long)env_long("KMM_BENCH_PAGES", 16384);
	unsigned long fork_mb = (unsigned long)env_long("KMM_BENCH_FORK_MB", 1024);
	unsigned long loads = 4000000;
	char cmdline[64];
	double k[64], h[64];

	if (reps < 1 || reps > 64)
		reps = 5;
	if (threads_only) {
		run_threaded(max_threads, pages / 4 ? pages / 4 : 1, reps);
		return 0;
	}
	snprintf(cmdline, sizeof(cmdline), "mem=%luM arch=x86_64", fork_mb + 1024);
	struct kmm_machine *m = boot_current(cmdline);
	if (!m)
		return 1;
	printf("bench/fault: %s, %d runs each, medians; ratio = kmm / host (host kernel, same run)\n",
	       cmdline, reps);
	printf("%-14s %12s %12s %s %8s\n", "test", "kmm", "host", "unit     ", "ratio");

	for (int r = 0; r < reps; r++) {
		k[r] = kmm_demand_zero(m, pages);
		h[r] = host_demand_zero(pages);
	}
	row("demand-zero", "ns/fault ", k, h, reps);

	for (int r = 0; r < reps; r++) {
		k[r] = kmm_cow(m, pages);
		h[r] = host_cow(pages);
	}
	row("cow", "ns/fault ", k, h, reps);

	int freps = reps < 3 ? reps : 3;
	for (int r = 0; r < freps; r++) {
		k[r] = kmm_fork_ms(m, fork_mb << 20);
		h[r] = host_fork(fork_mb << 20);
	}
	char name[32];
	snprintf(name, sizeof(name), "fork %luM", fork_mb);
	row(name, "ms/fork  ", k, h, freps);

	for (int r = 0; r < reps; r++) {
		k[r] = kmm_tlb_hit(m, loads);
		h[r] = host_load(loads);
	}
	row("tlb-hit load", "ns/access", k, h, reps);
	printf("(tlb-hit through kmm_access: %.1f M translations/s)\n", 1e3 / median(k, reps));
	for (int r = 0; r < reps; r++) {
		k[r] = kmm_tlb_hit_inline(m, loads * 8);
		h[r] = host_load(loads * 8);
	}
	row("tlb-hit inline", "ns/access", k, h, reps);
	printf("(tlb-hit through kmm_load64: %.1f M translations/s)\n", 1e3 / median(k, reps));
	kmm_use(NULL);
	kmm_shutdown(m);
	run_vma(reps < 3 ? reps : 3);
	run_threaded(max_threads, pages / 4 ? pages / 4 : 1, reps);
	return 0;
}
