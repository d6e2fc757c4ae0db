// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_rss.c - what libkmm-malloc.so keeps resident
 * that no live block needs (linked against the shim by cmake/shim.cmake,
 * as integration_malloc_api).
 *
 * Covers: a freed huge block used sparsely is kept without its pages,
 * one used densely with them (for the next block's reuse); the heap's
 * byte bound, and a block above it kept without the heap's work on it; the bound kept up to what a program that re-uses huge blocks has had
 * live, until malloc_trim(); a block reused without reshaping its mapping; glibc's memory where a freed huge block was; the empty
 * slabs a storm of frees leaves on the nodes of the shim's caches (at
 * most 4 MiB, until malloc_trim()); a new slab resident only where blocks
 * were handed out (its other objects untouched); where the build packs the library's relative relocations
 * (KMM_SHIM_RELR, cmake/shim.cmake's probe), that they are packed and what
 * the loader reads of the read-only segment fits its first 64 KiB; where
 * lld lays the code out (KMM_SHIM_ORDERED), that the C runtime's functions
 * the loader calls at start and exit lie in the first 64 KiB of the code
 * and the unwind tables after the code, out of the segment the loader
 * reads at start, found by the unwinder; that a thread cancelled in a
 * write the library makes unwinds to its cleanup handler; and (where shim/hot-symbols.txt's
 * names are exact: cmake/shim_hot_symbols.cmake) that a program whose
 * threads come and go and free in batches maps no window of the code past
 * the list's first two groups (what the small programs run).
 * docs/malloc.md has the figures these behaviours were measured by.
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch/sim/sim.h"
#include "harness.h"
#include "shim/shim.h"

#define MIB (1UL << 20)

/* The stores into a block are not dead and its bytes are not assumed fresh. */
static void keep(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* Whether @fd has bytes to read now. */
static bool poll_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* With nothing cached (a trim first), a new 16 MiB block whose first @written bytes are @byte. */
static unsigned char *written_huge_block(int byte, size_t written)
{
	malloc_trim(0);		/* nothing cached */
	unsigned char *a = malloc(16 * MIB);

	assert_true(a != NULL);
	memset(a, byte, written);
	keep(a);
	return a;
}

/* End of a test: the cache given back, and the shim's machine passes its checker. */
static void trim_and_check(void)
{
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * A 16 MiB block of which the program wrote 4 MiB, freed: cached (the
 * next 16 MiB block gets the same address) but without its pages, so the
 * process's RSS falls by about what was written, and the next block reads
 * zero where the old one was written. Before, the cache kept all 4 MiB
 * resident for a block that might write only its first bytes.
 */
TEST(sparse_huge_block_cached_without_its_pages)
{
	unsigned char *a = written_huge_block(0xab, 4 * MIB);
	long written = (long)sim_host_rss_kb();
	free(a);
	long after = (long)sim_host_rss_kb();
	printf("  rss: 4 MiB written of a 16 MiB block: %ld KiB left after free\n",
	       after - (written - 4096));
	expect_true(after <= written - 3 * 1024);
	unsigned char *b = malloc(16 * MIB);
	expect_true(b == a);	/* the mapping was cached */
	keep(b);
	expect_eq(b[0], 0);
	expect_eq(b[4 * MIB - 1], 0);
	free(b);
	trim_and_check();
}

/*
 * A block written through keeps its pages in the cache: the next block of
 * its size reuses them (no fault, no zeroing), so RSS stays and the bytes
 * are still there (malloc does not clear them, as glibc's reuse does not).
 */
TEST(dense_huge_block_cached_with_its_pages)
{
	unsigned char *a = written_huge_block(0xcd, 16 * MIB);
	long written = (long)sim_host_rss_kb();
	free(a);
	expect_true((long)sim_host_rss_kb() >= written - 1024);
	unsigned char *b = malloc(16 * MIB);
	expect_true(b == a);
	keep(b);
	expect_eq(b[0], 0xcd);
	expect_eq(b[16 * MIB - 1], 0xcd);
	free(b);
	trim_and_check();
}

/*
 * The cache's bound: no more bytes than the live huge blocks hold, or 24
 * MiB (HUGE_CACHE_FLOOR), whichever is more, and 64 MiB at most (the
 * default KMM_MALLOC_HUGE_CACHE): of six dense 16 MiB blocks freed one
 * after the other, the last one freed stays resident, the others go.
 */
TEST(huge_cache_bound)
{
	unsigned char *v[6];

	malloc_trim(0);
	long base = (long)sim_host_rss_kb();
	for (int i = 0; i < 6; i++) {
		v[i] = malloc(16 * MIB);
		assert_true(v[i] != NULL);
		memset(v[i], 0x5a, 16 * MIB);
		keep(v[i]);
	}
	long grown = (long)sim_host_rss_kb() - base;
	for (int i = 0; i < 6; i++)
		free(v[i]);
	long after = (long)sim_host_rss_kb() - base;
	printf("  rss: 6 x 16 MiB written: grew %ld MiB, %ld MiB cached after free\n",
	       grown / 1024, after / 1024);
	expect_true(grown >= 90 * 1024);
	expect_true(after <= (24 + 4) * 1024);
	expect_true(after >= 14 * 1024);	/* the last ones freed stay for reuse */
	malloc_trim(0);
	expect_true((long)sim_host_rss_kb() - base <= 4 * 1024);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * A program that re-uses its freed huge blocks keeps, in the heap, what
 * its live blocks lack of the most they held after such a re-use: here
 * three dense 16 MiB blocks live after one of them came from the heap
 * (48 MiB), all freed, stay resident (above the 24 MiB floor), and the
 * next three blocks are those ranges with their bytes, not fresh ones
 * (which read zero). Before session 15, the bound fell with the live
 * bytes to the floor, and two of the three went back to the host and were
 * mapped again. (The first free, with 32 MiB still live and no re-use yet,
 * keeps no pages: live and resident free bytes stay within the floor.)
 * malloc_trim() still gives all back, and forgets the high-water: the
 * next frees find the floor again.
 */
TEST(huge_cache_keeps_what_the_program_reused)
{
	unsigned char *v[3];

	malloc_trim(0);
	long base = (long)sim_host_rss_kb();
	for (int i = 0; i < 3; i++) {
		v[i] = malloc(16 * MIB);
		assert_true(v[i] != NULL);
		memset(v[i], 0x61 + i, 16 * MIB);
		keep(v[i]);
	}
	free(v[2]);
	v[2] = malloc(16 * MIB);	/* from the heap: the high-water is 48 MiB */
	assert_true(v[2] != NULL);
	memset(v[2], 0x63, 16 * MIB);
	keep(v[2]);
	for (int i = 0; i < 3; i++)
		free(v[i]);
	long cached = (long)sim_host_rss_kb() - base;
	printf("  rss: 3 x 16 MiB re-used, then freed: %ld MiB cached\n", cached / 1024);
	expect_true(cached >= 46 * 1024);
	for (int i = 0; i < 3; i++) {
		v[i] = malloc(16 * MIB);
		assert_true(v[i] != NULL);
		keep(v[i]);
	}
	for (int i = 0; i < 3; i++) {
		printf("  block %d: first byte %#x\n", i, v[i][0]);
		expect_true(v[i][0] >= 0x61 && v[i][0] <= 0x63);	/* a cached mapping's bytes */
	}
	for (int i = 0; i < 3; i++)
		free(v[i]);
	malloc_trim(0);
	expect_true((long)sim_host_rss_kb() - base <= 4 * 1024);
	/* The high-water forgotten: three blocks freed again leave the floor's worth. */
	for (int i = 0; i < 3; i++) {
		v[i] = malloc(16 * MIB);
		assert_true(v[i] != NULL);
		memset(v[i], 0x71, 16 * MIB);
		keep(v[i]);
	}
	for (int i = 0; i < 3; i++)
		free(v[i]);
	cached = (long)sim_host_rss_kb() - base;
	printf("  after malloc_trim, 3 x 16 MiB freed: %ld MiB cached\n", cached / 1024);
	expect_true(cached <= (24 + 4) * 1024);
	trim_and_check();
}

/*
 * This program's own mincore(), mprotect(), madvise(), munmap() and
 * mremap(), found before libc's (test programs export their symbols,
 * -rdynamic), count the calls the shim makes and pass them on to the
 * kernel. (glibc's own calls do not come here: it calls its internal
 * names.)
 */
static atomic_long nr_mincore, nr_mprotect, nr_madvise, nr_munmap, nr_mremap;

int mincore(void *addr, size_t len, unsigned char *vec)
{
	atomic_fetch_add(&nr_mincore, 1);
	return (int)syscall(SYS_mincore, addr, len, vec);
}

int mprotect(void *addr, size_t len, int prot)
{
	atomic_fetch_add(&nr_mprotect, 1);
	return (int)syscall(SYS_mprotect, addr, len, prot);
}

int madvise(void *addr, size_t len, int advice)
{
	atomic_fetch_add(&nr_madvise, 1);
	return (int)syscall(SYS_madvise, addr, len, advice);
}

int munmap(void *addr, size_t len)
{
	atomic_fetch_add(&nr_munmap, 1);
	return (int)syscall(SYS_munmap, addr, len);
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	atomic_fetch_add(&nr_mremap, 1);
	/* the shim never passes MREMAP_FIXED: no fifth argument to forward */
	return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, 0);
}

struct host_calls {
	long mincore, mprotect, madvise, munmap, mremap;
};

static struct host_calls host_calls_now(void)
{
	return (struct host_calls){ atomic_load(&nr_mincore), atomic_load(&nr_mprotect),
				    atomic_load(&nr_madvise), atomic_load(&nr_munmap),
				    atomic_load(&nr_mremap) };
}

/*
 * A freed huge block is kept as it is and the next block of its size
 * takes it as it is: no host call changes the mapping (until session 8
 * the cache closed it on free with mprotect and opened it whole on reuse,
 * and every page's entry changed twice: on a host that shadows page
 * tables, each page then faulted again on its first touch). A smaller
 * block there ends on the old guard page, which becomes its own, and leaves
 * the front of the range free: no host call at all (until session 25 it
 * took the range's front and closed a guard page of its own, one mprotect,
 * which takes the host's mmap lock for writing; until session 16 the old
 * guard was opened too, a second): no mprotect, munmap or mremap, nothing
 * discarded.
 */
TEST(huge_block_reused_without_reshaping_its_mapping)
{
	unsigned char *a = written_huge_block(0x33, 16 * MIB);
	free(a);
	struct host_calls c0 = host_calls_now();
	unsigned char *b = malloc(16 * MIB);
	expect_true(b == a);
	keep(b);
	expect_eq(b[16 * MIB - 1], 0x33);
	free(b);
	struct host_calls c1 = host_calls_now();
	printf("  16 MiB freed and reused at its size: %ld mprotect, %ld madvise, %ld munmap, "
	       "%ld mremap\n", c1.mprotect - c0.mprotect, c1.madvise - c0.madvise,
	       c1.munmap - c0.munmap, c1.mremap - c0.mremap);
	expect_eq(c1.mprotect - c0.mprotect, 0);
	expect_eq(c1.madvise - c0.madvise, 0);
	expect_eq(c1.munmap - c0.munmap, 0);
	expect_eq(c1.mremap - c0.mremap, 0);
	expect_true(c1.mincore > c0.mincore);	/* the counters see the shim's calls */
	unsigned char *c = malloc(12 * MIB);
	expect_true(c == a + 4 * MIB);
	keep(c);
	expect_eq(c[12 * MIB - 1], 0x33);	/* the pages it took kept theirs */
	free(c);
	struct host_calls c2 = host_calls_now();
	printf("  then 12 MiB in it: %ld mprotect, %ld madvise, %ld munmap, %ld mremap\n",
	       c2.mprotect - c1.mprotect, c2.madvise - c1.madvise, c2.munmap - c1.munmap,
	       c2.mremap - c1.mremap);
	expect_eq(c2.mprotect - c1.mprotect, 0);
	expect_eq(c2.madvise - c1.madvise, 0);	/* the 4 MiB left free keeps its pages */
	expect_eq(c2.munmap - c1.munmap, 0);
	expect_eq(c2.mremap - c1.mremap, 0);
	trim_and_check();
}

/*
 * With no huge block live, the heap's byte bound is its 24 MiB floor. A
 * freed 16 MiB block fits: the heap asks which of its pages are resident
 * (mincore, one call for the 16 MiB), to keep them or not. A freed 32 MiB block does not fit: it is
 * not asked about (what lies beyond the bound is discarded at once, the
 * rest taken as resident; until session 16 all of it went straight back
 * to the host), nor closed, as free did before session 9.
 */
TEST(huge_block_above_the_heap_bound_is_not_asked_about)
{
	unsigned char *a = written_huge_block(0x11, MIB);
	long m = atomic_load(&nr_mincore), p = atomic_load(&nr_mprotect);
	free(a);
	printf("  16 MiB block freed: %ld mincore, %ld mprotect\n", atomic_load(&nr_mincore) - m,
	       atomic_load(&nr_mprotect) - p);
	/* one call for its 4,096 pages (16 until session 16: 256 pages per call) */
	expect_eq(atomic_load(&nr_mincore) - m, 1);
	malloc_trim(0);
	unsigned char *b = malloc(32 * MIB);
	assert_true(b != NULL);
	memset(b, 0x22, MIB);
	keep(b);
	m = atomic_load(&nr_mincore);
	p = atomic_load(&nr_mprotect);
	free(b);
	printf("  32 MiB block freed: %ld mincore, %ld mprotect\n", atomic_load(&nr_mincore) - m,
	       atomic_load(&nr_mprotect) - p);
	expect_eq(atomic_load(&nr_mincore) - m, 0);
	expect_eq(atomic_load(&nr_mprotect) - p, 0);
	trim_and_check();
}

/*
 * Once a freed huge block's mapping is given back, the host may map
 * glibc's memory there (a thread's arena did, in this file's first runs:
 * its TSD destructor's free aborted as "inside a freed block"). A chunk
 * glibc mapped for itself at such an address is glibc's to free: here
 * one laid out as glibc lays out a chunk it mmapped (prev_size 0, size
 * with IS_MMAPPED), which __libc_free unmaps.
 */
TEST(glibc_memory_where_a_freed_huge_block_was)
{
	size_t *chunk = MAP_FAILED;

	/*
	 * The host may hand the address on before this thread maps it (the
	 * harness's own stdio, a trim's bookkeeping): try a few blocks, and
	 * fail if none of their addresses could be mapped, since the case
	 * this test names was then never run.
	 */
	for (int tries = 0; tries < 8 && chunk == MAP_FAILED; tries++) {
		malloc_trim(0);
		unsigned char *a = malloc(16 * MIB);

		assert_true(a != NULL);
		free(a);
		malloc_trim(0);		/* the mapping goes back to the host */
		chunk = mmap(a, 64 << 10, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (chunk != MAP_FAILED && chunk != (size_t *)a) {
			munmap(chunk, 64 << 10);	/* a kernel that ignores NOREPLACE */
			chunk = MAP_FAILED;
		}
		if (chunk == MAP_FAILED)
			printf("  try %d: the freed block's address was taken meanwhile\n", tries + 1);
	}
	assert_true(chunk != MAP_FAILED);
	chunk[0] = 0;			/* prev_size: the chunk starts its mapping */
	chunk[1] = (64 << 10) | 2;	/* size | IS_MMAPPED */
	free(chunk + 2);
	expect_true(!sim_mapped(chunk));	/* glibc unmapped it */
	expect_eq(kmm_malloc_check(), 0);
}

/* ---- Empty slabs after a storm of frees ---- */

static void stats_text(char *buf, size_t cap)
{
	char path[] = "/tmp/kmm-malloc-rss-XXXXXX";
	int fd = mkstemp(path);
	ssize_t n;

	assert_true(fd >= 0);
	kmm_malloc_print_stats(fd);
	n = pread(fd, buf, cap - 1, 0);
	close(fd);
	unlink(path);
	buf[n > 0 ? n : 0] = 0;
}

/* slabinfo's <active_objs>, <num_objs> and <num_slabs> of cache @name; false if absent. */
static bool slab_counts_pages(const char *name, unsigned long *active, unsigned long *total,
			      unsigned long *slabs, unsigned long *pages)
{
	static char buf[1 << 16];
	char key[64];

	stats_text(buf, sizeof(buf));
	snprintf(key, sizeof(key), "\n%s ", name);
	const char *l = strstr(buf, key);
	if (!l)
		return false;
	const char *d = strstr(l, "slabdata");
	unsigned long active_slabs;
	unsigned long pages_per_slab;
	bool ok = sscanf(l + strlen(key), "%lu %lu %*u %*u %lu", active, total,
			 &pages_per_slab) == 3 && d &&
		  sscanf(d, "slabdata %lu %lu", &active_slabs, slabs) == 2;
	if (ok && pages)
		*pages = pages_per_slab;
	return ok;
}

static bool slab_counts(const char *name, unsigned long *active, unsigned long *total,
			unsigned long *slabs)
{
	return slab_counts_pages(name, active, total, slabs, NULL);
}

static void **storm;
static long storm_n;

static void *allocate_storm(void *arg)
{
	(void)arg;
	for (long i = 0; i < storm_n; i++) {
		storm[i] = malloc(200);	/* malloc-224 */
		if (!storm[i])
			return storm;
		memset(storm[i], 0x42, 200);
	}
	return NULL;
}

static void *free_storm(void *arg)
{
	(void)arg;
	for (long i = 0; i < storm_n; i++)
		free(storm[i]);
	return NULL;
}

/*
 * One thread allocates about 20000 blocks of 200 bytes (1121 slabs),
 * another frees them all: every free is of another thread's block, and
 * the slabs empty one after the other onto the freeing CPU's partial
 * list; each time it holds cpu_partial_slabs (Linux's: 2 * 120 objects'
 * worth for objects below 256 bytes) they go to the node, which keeps
 * the empty ones within the machine's budget for them. The count is chosen
 * so the list is full at the end. The slabs that stay are that list's, the
 * allocating CPU's current slab and the empty ones the node keeps for the
 * next batch (kmem_cache_keep_empty()): at most 4 MiB for all the shim's
 * caches together, and those of the objects in the sheaves and the barn
 * (kmem_cache_keep_sheaves()) (with min_partial 5 it kept 5 per cache, whose RAM no
 * other cache could use; with none, every emptied slab went back to the
 * page allocator and was built again by the next batch). malloc_trim()
 * frees them.
 */
TEST(free_storm_keeps_at_most_4_mib_of_empty_slabs_and_malloc_trim_frees_them)
{
	pthread_t t;
	void *r;
	unsigned long active, total, slabs, before, pages;
	const unsigned long budget_pages = (4UL << 20) / (unsigned long)sysconf(_SC_PAGESIZE);

	assert_true(kmm_malloc_machine() != NULL);	/* booted: its caches exist */
	/*
	 * No malloc-224 line, or one that does not parse: the shim's own
	 * classes are off (hardened or debug mode, which this test does not
	 * run in) or the stats text changed. Either way the storm would not
	 * be measured: fail rather than pass on nothing.
	 */
	malloc_trim(0);		/* no empty slab kept by an earlier test */
	bool parsed = slab_counts_pages("malloc-224", &active, &total, &slabs, &pages);

	if (!parsed)
		printf("  no parsable malloc-224 line in kmm_malloc_print_stats()'s slabinfo\n");
	assert_true(parsed);
	/* objects per slab, and the count to compare with: this CPU's slab made */
	void *probe = malloc(200);
	assert_true(slab_counts("malloc-224", &active, &total, &before));
	free(probe);
	assert_true(before > 0 && total >= before);	/* the probe's slab is counted */
	unsigned long per_slab = total / before;
	unsigned long cpu_partial_slabs = (2 * 120 + per_slab - 1) / per_slab;
	storm_n = (long)(per_slab * (cpu_partial_slabs * 80 + 1));
	storm = calloc((size_t)storm_n, sizeof(*storm));
	assert_true(storm != NULL);
	assert_eq(pthread_create(&t, NULL, allocate_storm, NULL), 0);
	pthread_join(t, &r);
	assert_true(r == NULL);
	assert_eq(pthread_create(&t, NULL, free_storm, NULL), 0);
	pthread_join(t, NULL);
	assert_true(slab_counts("malloc-224", &active, &total, &slabs));
	printf("  malloc-224 after %ld frees from another thread: %lu slabs more than before "
	       "(cpu_partial_slabs %lu, %lu pages each; 4 MiB: %lu slabs)\n", storm_n,
	       slabs - before, cpu_partial_slabs, pages, budget_pages / pages);
	/*
	 * the storm emptied more than 4 MiB of slabs: the budget's worth is
	 * kept, no more, besides the slabs of the objects the freeing CPU's
	 * sheaf and the CPU's barn hold (mm/slab.h: SHEAF_BARN_BYTES, 256
	 * KiB of objects, 32 full sheaves of malloc-224 besides the CPU's
	 * own, two pages' worth each, freed in address order: each sheaf's
	 * objects in at most 3 slabs)
	 */
	unsigned long held = (32 + 1) * 3;
	expect_true(storm_n / (long)per_slab * (long)pages > (long)budget_pages);
	expect_true(slabs <= before + cpu_partial_slabs + 1 + budget_pages / pages + held);
	expect_true(slabs >= before + budget_pages / pages / 2);
	malloc_trim(0);
	assert_true(slab_counts("malloc-224", &active, &total, &slabs));
	printf("  after malloc_trim: %ld slabs more than before\n", (long)(slabs - before));
	expect_true(slabs <= before);
	free(storm);
	expect_eq(kmm_malloc_check(), 0);
}

/* Run test @name again in a fresh process (no page of the library mapped yet); expect it to pass. */
static void run_fresh(const char *name)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		setenv("KMM_TEST", name, 1);
		setenv("KMM_RSS_CHILD", "1", 1);
		execl("/proc/self/exe", "integration_malloc_rss", (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0 && waitpid(pid, &status, 0) == pid);
	expect_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * A new slab's objects stay untouched until malloc reaches them (mm/slab.h,
 * slab_fresh()): Linux's allocate_slab() writes the free pointer of every
 * object of a new slab, and so did kmm, which made a program's first block
 * of 4-8 KiB bring its whole order-3 slab in (malloc-6528: five blocks, 32
 * KiB; thread_relay@1's peak was 76 KB higher for such slabs). In a fresh
 * process, after one 6,000-byte block is allocated and its first byte
 * written, only that block's first page of its slab's 32 KiB is resident.
 */
TEST(a_new_slab_is_resident_only_where_blocks_were_handed_out)
{
	if (!getenv("KMM_RSS_CHILD")) {
		run_fresh(__func__ + strlen("test_"));
		return;
	}
	unsigned char *p = malloc(6000), vec[8];
	uintptr_t slab = (uintptr_t)p & ~(uintptr_t)4095;	/* the colour is under a page */
	unsigned int resident = 0;

	assert_true(p != NULL);
	p[0] = 1;
	keep(p);
	assert_eq(mincore((void *)slab, sizeof(vec) * 4096, vec), 0);
	for (size_t i = 0; i < sizeof(vec); i++)
		resident += vec[i] & 1;
	printf("  a block of the first slab of malloc-6528: %u of its 8 pages resident\n", resident);
	expect_eq(resident, 1);
	free(p);
}

static atomic_int cancel_cleanups;

static void count_cleanup(void *arg)
{
	(void)arg;
	atomic_fetch_add(&cancel_cleanups, 1);
}

/* Writes the shim's statistics into @arg's pipe, which nobody reads, until cancelled. */
static void *print_stats_until_cancelled(void *arg)
{
	pthread_cleanup_push(count_cleanup, NULL);
	for (;;)
		kmm_malloc_print_stats(*(int *)arg);
	pthread_cleanup_pop(0);
	return NULL;
}

/*
 * A thread cancelled in write(), a cancellation point the library calls
 * (kmm_malloc_print_stats() into a pipe nobody reads, so it blocks),
 * unwinds through the library's frames (with the tables the next test
 * finds; glibc also runs a C thread's cleanup handlers where an unwind
 * stops short) to its cleanup handler and ends cancelled, holding none of
 * the shim's locks: the shim then serves and checks clean.
 */
TEST(a_thread_cancelled_in_a_write_the_library_makes_unwinds_through_it)
{
	int fds[2];
	pthread_t t;
	void *ret = NULL;

	assert_eq(pipe(fds), 0);
	atomic_store(&cancel_cleanups, 0);
	assert_eq(pthread_create(&t, NULL, print_stats_until_cancelled, &fds[1]), 0);
	while (!poll_readable(fds[0]))
		sched_yield();	/* until the thread is in the library's writes */
	assert_eq(pthread_cancel(t), 0);
	assert_eq(pthread_join(t, &ret), 0);
	expect_true(ret == PTHREAD_CANCELED);
	expect_eq(atomic_load(&cancel_cleanups), 1);
	close(fds[0]);
	close(fds[1]);
	void *p = malloc(100);

	expect_true(p != NULL);
	free(p);
	expect_eq(kmm_malloc_check(), 0);
}

/* libgcc's lookup of the unwind table entry covering @pc (unwind-dw2-fde.h). */
struct dwarf_eh_bases {
	void *tbase, *dbase, *func;
};

/*
 * What backtraces through the library, gdb without its debug information,
 * and pthread_cancel's unwinding of a C++ thread read are its unwind tables
 * (.eh_frame, indexed by .eh_frame_hdr), which shim/plt_first.ld moves past
 * the code: the unwinder finds the entry of each of the library's entry
 * points, starting at that function (with the index unreadable, none).
 */
TEST(the_unwinder_finds_the_library_functions_tables)
{
	void *gcc_s = dlopen("libgcc_s.so.1", RTLD_NOW);
	const char *names[] = { "malloc", "free", "realloc", "kmm_malloc_print_stats" };

	assert_true(gcc_s != NULL);
	const void *(*find_fde)(void *, struct dwarf_eh_bases *) =
		(const void *(*)(void *, struct dwarf_eh_bases *))dlsym(gcc_s, "_Unwind_Find_FDE");

	assert_true(find_fde != NULL);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		void *fn = dlsym(RTLD_DEFAULT, names[i]);
		struct dwarf_eh_bases bases = { 0 };
		Dl_info info;

		assert_true(fn != NULL && dladdr(fn, &info) && strstr(info.dli_fname, "libkmm-malloc"));
		const void *fde = find_fde((char *)fn + 1, &bases);

		printf("  %s: %s\n", names[i], fde && bases.func == fn ? "its entry found" : "no entry");
		expect_true(fde != NULL && bases.func == fn);
	}
	dlclose(gcc_s);
}

#ifdef KMM_SHIM_RELR
/* The end of section @want in the ELF file @path, 0 when it is not there. */
static unsigned long section_end(const char *path, const char *want)
{
	FILE *f = fopen(path, "rb");
	ElfW(Ehdr) eh;
	unsigned long end = 0;

	assert_true(f != NULL);
	assert_eq(fread(&eh, sizeof(eh), 1, f), 1);
	ElfW(Shdr) *sh = calloc(eh.e_shnum, sizeof(*sh));

	assert_true(sh != NULL);
	assert_eq(fseek(f, (long)eh.e_shoff, SEEK_SET), 0);
	assert_eq(fread(sh, sizeof(*sh), eh.e_shnum, f), eh.e_shnum);
	char *names = malloc(sh[eh.e_shstrndx].sh_size);

	assert_true(names != NULL);
	assert_eq(fseek(f, (long)sh[eh.e_shstrndx].sh_offset, SEEK_SET), 0);
	assert_eq(fread(names, 1, sh[eh.e_shstrndx].sh_size, f), sh[eh.e_shstrndx].sh_size);
	for (int i = 0; i < eh.e_shnum; i++)
		if (sh[i].sh_name < sh[eh.e_shstrndx].sh_size && !strcmp(names + sh[i].sh_name, want))
			end = sh[i].sh_addr + sh[i].sh_size;
	free(names);
	free(sh);
	fclose(f);
	return end;
}

#endif

#ifdef KMM_SHIM_RELR
/*
 * At start the loader reads the dynamic symbols, their strings and hash and
 * the relocation tables, and the boot and a malloc read .rodata, all at the
 * start of the read-only segment. Packed (DT_RELR), the ~540 relative
 * relocations take ~170 bytes instead of 13 KB and .rodata ends below
 * 64 KiB: the host's fault-around maps one 64 KiB window of the segment
 * instead of two (64 KB of every process's start RSS, docs/malloc.md).
 * Unpacked, DT_RELR is missing, DT_RELA holds every relative relocation and
 * .rodata runs past 64 KiB. (If .rodata itself grows past the window, this
 * fails too: the 64 KB is back.) The window is checked only where lld lays
 * the library out (KMM_SHIM_ORDERED).
 */
TEST(relative_relocations_packed_and_rodata_in_the_first_window)
{
	ElfW(Addr) relr = 0, relasz = 0, relaent = 0;
	void *self = dlopen("libkmm-malloc.so", RTLD_NOW | RTLD_NOLOAD);
	struct link_map *lm = NULL;

	assert_true(self != NULL);
	assert_eq(dlinfo(self, RTLD_DI_LINKMAP, &lm), 0);
	for (const ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_RELR)
			relr = d->d_un.d_ptr;
		else if (d->d_tag == DT_RELASZ)
			relasz = d->d_un.d_val;
		else if (d->d_tag == DT_RELAENT)
			relaent = d->d_un.d_val;
	}
	unsigned long rodata_end = section_end(lm->l_name, ".rodata");

	printf("  %s: DT_RELR %s, %lu RELA relocations, .rodata ends at %#lx\n", lm->l_name,
	       relr ? "present" : "missing", (unsigned long)(relaent ? relasz / relaent : 0),
	       rodata_end);
	expect_true(relr != 0);
	expect_true(relaent != 0 && relasz / relaent < 64);
#ifdef KMM_SHIM_ORDERED
	/*
	 * Only lld's layout puts .rodata in the first window; GNU ld, which
	 * packs the relocations too, puts the code first (.rodata ~0x55000).
	 */
	expect_true(rodata_end != 0 && rodata_end <= 0x10000);
#endif
	dlclose(self);
}
#endif

#ifdef KMM_SHIM_ORDERED
/* The library's file, read whole into a buffer the caller frees; its size in *@len. */
static unsigned char *library_file(size_t *len)
{
	void *self = dlopen("libkmm-malloc.so", RTLD_NOW | RTLD_NOLOAD);
	struct link_map *lm = NULL;

	assert_true(self != NULL);
	assert_eq(dlinfo(self, RTLD_DI_LINKMAP, &lm), 0);
	FILE *f = fopen(lm->l_name, "rb");

	assert_true(f != NULL);
	assert_eq(fseek(f, 0, SEEK_END), 0);
	*len = (size_t)ftell(f);
	unsigned char *buf = malloc(*len);

	assert_true(buf != NULL);
	rewind(f);
	assert_eq(fread(buf, 1, *len, f), *len);
	fclose(f);
	dlclose(self);
	return buf;
}

/*
 * The loader calls crtbeginS.o's frame_dummy when it loads the library and
 * __do_global_dtors_aux at exit. Left after the hot list (where the linker
 * puts an object's code that the list does not name), they made every
 * process map a third 64 KiB window of the library's code (64 KB of start
 * RSS); cmake/shim.cmake's ordering file puts them ahead of the list, in the
 * first window of the code.
 */
TEST(the_c_runtime_functions_the_loader_calls_lie_in_the_first_window_of_code)
{
	size_t len;
	unsigned char *file = library_file(&len);
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)file;
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(file + eh->e_phoff);
	const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(file + eh->e_shoff);
	ElfW(Addr) code = 0, dummy = 0, dtors = 0;

	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) && !code)
			code = ph[i].p_vaddr;
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		const ElfW(Sym) *sym = (const ElfW(Sym) *)(file + sh[i].sh_offset);
		const char *names = (const char *)(file + sh[sh[i].sh_link].sh_offset);

		for (size_t k = 0; k < sh[i].sh_size / sizeof(*sym); k++) {
			if (!strcmp(names + sym[k].st_name, "frame_dummy"))
				dummy = sym[k].st_value;
			else if (!strcmp(names + sym[k].st_name, "__do_global_dtors_aux"))
				dtors = sym[k].st_value;
		}
	}
	printf("  code from %#lx: frame_dummy at %#lx, __do_global_dtors_aux at %#lx\n",
	       (unsigned long)code, (unsigned long)dummy, (unsigned long)dtors);
	assert_true(code != 0 && dummy != 0 && dtors != 0);	/* a symbol table to read */
	expect_true(dummy >= code && dummy < code + 0x10000);
	expect_true(dtors >= code && dtors < code + 0x10000);
	free(file);
}

/*
 * The unwind tables (~70 KB) lie after the code, in a read-only segment of
 * their own (shim/plt_first.ld): the segment the loader reads at start (the
 * dynamic symbols, the relocations, .rodata) then ends within its first 64
 * KiB. With the tables in it, it ran to ~130 KB, and where the page cache
 * held the file in large folios the host mapped a whole 128 KB folio at the
 * loader's first read: 64 KB more in every process (docs/malloc-measured.md).
 */
TEST(the_unwind_tables_lie_after_the_code_out_of_the_segment_read_at_start)
{
	size_t len;
	unsigned char *file = library_file(&len);
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)file;
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(file + eh->e_phoff);
	ElfW(Addr) first_end = 0, code_end = 0, tables = 0;

	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !first_end)
			first_end = ph[i].p_vaddr + ph[i].p_memsz;
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X))
			code_end = ph[i].p_vaddr + ph[i].p_memsz;
		if (ph[i].p_type == PT_GNU_EH_FRAME)
			tables = ph[i].p_vaddr;
	}
	printf("  the first segment ends at %#lx, the code at %#lx; the unwind tables' index at %#lx\n",
	       (unsigned long)first_end, (unsigned long)code_end, (unsigned long)tables);
	assert_true(first_end != 0 && code_end != 0 && tables != 0);
	expect_true(first_end <= 0x10000);
	expect_true(tables >= code_end);
	free(file);
}

#endif

#ifdef KMM_SHIM_ORDERED
/*
 * The library's data segment (.data, .got.plt, the start of .bss) is a
 * private mapping of its file: a page a process writes first is copied
 * (anonymous), but one it reads first is mapped from the page cache with
 * every page around it that the cache holds (the host's fault-around), and
 * .data holds 32 KB no process touches (arch/sim/mmu.c's empty_tlb). After
 * 4eccaff moved the segment by 0x140 bytes, the loader's first access to
 * .got.plt (its lazy relocations read each entry, then write it) and
 * kmm_machine_alloc()'s read of next_serial came first in their page, and a
 * malloc-once process had all 40 KB of the segment resident, not 8
 * (start_cost 1,916 -> 1,944 KB, setarch -R). shim/plt_first.ld keeps
 * .got.plt in the page where .bss starts (which the loader writes first),
 * shim/hot-data.txt puts the big variables first in .data. In a fresh
 * process, after a malloc and a free, every resident page of the library's
 * writable mappings of its file is one the process wrote.
 */
TEST(a_program_that_mallocs_once_maps_no_page_of_the_library_data_it_did_not_write)
{
	if (!getenv("KMM_RSS_CHILD")) {
		run_fresh(__func__ + strlen("test_"));
		return;
	}
	void *volatile p = malloc(64);
	FILE *smaps;
	char line[512];
	bool in = false;
	long rss = 0, anon = 0, vmas = 0, v;

	assert_true(p != NULL);
	free(p);
	assert_true((smaps = fopen("/proc/self/smaps", "r")) != NULL);
	while (fgets(line, sizeof(line), smaps)) {
		unsigned long a, b;
		char perm[8];

		if (sscanf(line, "%lx-%lx %7s", &a, &b, perm) == 3) {
			in = strstr(line, "libkmm-malloc.so") && perm[1] == 'w';
			vmas += in;
		} else if (in && sscanf(line, "Rss: %ld kB", &v) == 1) {
			rss += v;
		} else if (in && sscanf(line, "Anonymous: %ld kB", &v) == 1) {
			anon += v;
		}
	}
	fclose(smaps);
	printf("  the library's writable file mappings: %ld, %ld KB resident, %ld KB of it written\n",
	       vmas, rss, anon);
	assert_true(vmas >= 1);
	expect_eq(rss, anon);
}
#endif

#ifdef KMM_SHIM_ORDER_FILE
/* ---- The code a small threaded program maps ---- */

struct relay_lane {
	unsigned char *live[1000];
	uint64_t seed;
};

static uint64_t relay_rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* One generation (bench/malloc/thread_relay.c's shape): 2,000 replacements in the lane's window. */
static void *relay_generation(void *arg)
{
	struct relay_lane *l = arg;

	for (int i = 0; i < 2000; i++) {
		uint64_t k = relay_rnd(&l->seed) % 1000, r = relay_rnd(&l->seed);
		size_t len = (r & 3) ? 8 + (r >> 8) % 120 : 8 + (r >> 8) % 992;

		free(l->live[k]);
		l->live[k] = malloc(len);
		assert_true(l->live[k] != NULL);
		l->live[k][0] = (unsigned char)i;
		l->live[k][len - 1] = (unsigned char)k;
	}
	return NULL;
}

/* The present pages of [@start, @end) by /proc/self/pagemap: bit i of @present[i / 64]. */
static void present_pages(uintptr_t start, uintptr_t end, uint64_t *present)
{
	FILE *f = fopen("/proc/self/pagemap", "rb");
	size_t n = (end - start) / 4096;
	uint64_t e;

	assert_true(f != NULL);
	for (size_t i = 0; i < n; i++) {
		assert_eq(fseek(f, (long)((start / 4096 + i) * sizeof(e)), SEEK_SET), 0);
		assert_eq(fread(&e, sizeof(e), 1, f), 1);
		if (e >> 63)
			present[i / 64] |= 1ULL << (i % 64);
	}
	fclose(f);
}

/*
 * The end of the ordering file's functions in this process, up to the line
 * that starts with @stop (NULL: all of them), within the code's mapping
 * ending at @end; @listed names, @found of them functions of the library.
 */
static uintptr_t listed_functions_end(const char *stop, uintptr_t end, long *listed, long *found)
{
	FILE *order = fopen(KMM_SHIM_ORDER_FILE, "r");
	size_t len;
	unsigned char *file = library_file(&len);
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)file;
	const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(file + eh->e_shoff);
	void *self = dlopen("libkmm-malloc.so", RTLD_NOW | RTLD_NOLOAD);
	struct link_map *lm = NULL;
	uintptr_t hot_end = 0;
	char line[512];

	assert_true(order != NULL && self != NULL);
	assert_eq(dlinfo(self, RTLD_DI_LINKMAP, &lm), 0);
	while (fgets(line, sizeof(line), order)) {
		line[strcspn(line, "\n")] = 0;
		if (stop && !strncmp(line, stop, strlen(stop)))
			break;
		if (!line[0] || line[0] == '#')
			continue;
		(*listed)++;
		for (int i = 0; i < eh->e_shnum; i++) {
			if (sh[i].sh_type != SHT_SYMTAB)
				continue;
			const ElfW(Sym) *sym = (const ElfW(Sym) *)(file + sh[i].sh_offset);
			const char *names = (const char *)(file + sh[sh[i].sh_link].sh_offset);

			for (size_t k = 0; k < sh[i].sh_size / sizeof(*sym); k++) {
				uintptr_t e = lm->l_addr + sym[k].st_value + sym[k].st_size;

				if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC ||
				    strcmp(names + sym[k].st_name, line))
					continue;
				(*found)++;
				if (e > hot_end && e <= end)
					hot_end = e;
			}
		}
	}
	fclose(order);
	dlclose(self);
	free(file);
	return hot_end;
}

/* The library's code mapping (the one executable mapping of its file): [*@start, *@end). */
static void library_code(uintptr_t *start, uintptr_t *end)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];

	assert_true(maps != NULL);
	while (fgets(line, sizeof(line), maps)) {
		unsigned long a, b;
		char perm[8];

		if (strstr(line, "libkmm-malloc.so") && sscanf(line, "%lx-%lx %7s", &a, &b, perm) == 3 &&
		    perm[2] == 'x') {
			*start = a;
			*end = b;
		}
	}
	fclose(maps);
	assert_true(*start != 0 && *end - *start <= (1UL << 20));
}

/*
 * A program that mallocs once (start_cost's, and every short-lived process)
 * runs the boot and one malloc/free: shim/hot_symbols.sh lists what it runs
 * first, so that it maps the windows of 64 KiB where that first group of the
 * list ends and none past them. A function it runs that the list has in a
 * later group (kmm_registry_lock/unlock after 13c0b0a, session 17) lies past
 * them in the Release library: a third window, 64 KB of every process's
 * start (start_cost 1,832 -> 1,892 KB). In a fresh process, after a malloc
 * and a free, no page of the code past those windows is mapped.
 */
TEST(a_program_that_mallocs_once_maps_no_code_window_past_the_first_group)
{
	if (!getenv("KMM_RSS_CHILD")) {
		run_fresh(__func__ + strlen("test_"));
		return;
	}
	static uint64_t present[(1 << 20) / 4096 / 64];
	uintptr_t start = 0, end = 0;
	void *volatile p = malloc(64);

	assert_true(p != NULL);
	free(p);
	library_code(&start, &end);
	present_pages(start, end, present);
	long listed = 0, found = 0;
	uintptr_t first_end = listed_functions_end("# Then", end, &listed, &found);

	assert_true(found > 100 && first_end > start);
	unsigned long windows = (first_end - 1 - start) / 0x10000 + 1, mapped = 0, past = 0;

	for (size_t i = 0; i < (end - start) / 4096; i++) {
		if (!(present[i / 64] >> (i % 64) & 1))
			continue;
		mapped++;
		if (i * 4096 / 0x10000 >= windows)
			past++;
	}
	printf("  the first group's %ld functions end in the code's first %lu windows of 64 KiB;"
	       " %lu KB mapped, %lu KB of it past them\n", found, windows, mapped * 4, past * 4);
	expect_eq(past, 0);
}

/*
 * A program whose threads come and go, each taking over its predecessor's
 * live blocks (thread_relay's shape), and that frees 10,000 blocks at a
 * time (free_storm's) runs, besides the boot and malloc/free, a thread's
 * slot hand-back and the per-CPU page lists' drain and tuning. The host
 * maps the library's code in 64 KiB windows around each page run, so one
 * such function left off shim/hot-symbols.txt cost these programs a window
 * more of resident code: 64 KB of thread_relay's and free_storm's 2-4 MB
 * peak (docs/malloc.md). In a fresh process (the test run again), after
 * that work, no page of the code past the window where the list's first
 * two groups end is mapped (the third, what mt_churn's two threads run
 * besides, comes after them).
 */
TEST(a_program_of_short_lived_threads_maps_no_code_window_past_the_hot_list)
{
	if (!getenv("KMM_RSS_CHILD")) {
		run_fresh(__func__ + strlen("test_"));
		return;
	}
	static struct relay_lane lane = { .seed = 0x9e3779b97f4a7c15ULL };
	static void *storm_blocks[10000];
	static uint64_t present[(1 << 20) / 4096 / 64];
	uintptr_t start = 0, end = 0;

	for (int g = 0; g < 20; g++) {
		pthread_t t;

		assert_eq(pthread_create(&t, NULL, relay_generation, &lane), 0);
		assert_eq(pthread_join(t, NULL), 0);
	}
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 10000; i++) {
			storm_blocks[i] = malloc(16 + (size_t)(i % 8) * 16);
			assert_true(storm_blocks[i] != NULL);
		}
		for (int i = 0; i < 10000; i++)
			free(storm_blocks[i]);
	}
	library_code(&start, &end);
	present_pages(start, end, present);
	/* Now, with the pages counted: where the listed functions end (the symbol table). */
	long listed = 0, found = 0;
	uintptr_t hot_end = listed_functions_end("# Then what mt_churn", end, &listed, &found);

	assert_true(found > 100 && hot_end > start);
	unsigned long hot_windows = (hot_end - 1 - start) / 0x10000 + 1, mapped = 0, past = 0;

	for (size_t i = 0; i < (end - start) / 4096; i++) {
		if (!(present[i / 64] >> (i % 64) & 1))
			continue;
		mapped++;
		if (i * 4096 / 0x10000 >= hot_windows)
			past++;
	}
	printf("  code %lu KB; the %ld functions of the list's first two groups (%ld names) end in its"
	       " first %lu windows of 64 KiB; %lu KB mapped, %lu KB of it past them\n",
	       (unsigned long)(end - start) / 1024, found, listed, hot_windows, mapped * 4, past * 4);
	expect_eq(past, 0);
}
#endif
