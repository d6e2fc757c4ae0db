// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_api.c - the C allocation API of libkmm-malloc.so,
 * linked in (cmake/shim.cmake links this program against the shim, so its
 * malloc is kmm's).
 *
 * Covers: every size path (kmalloc classes, compound pages, huge mappings)
 * and the moves between them in realloc; alignment of every aligned form;
 * calloc zeroing and overflow; errno on failure; pointers glibc handed out;
 * C++ new/delete (called by their mangled names); threads; fork; RSS falling
 * after frees; and the aborts on double and invalid free, run in a child.
 */
#include <errno.h>
#include <stdatomic.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch/sim/sim.h"
#include "lib/util.h"
#include "child_aborts.h"
#include "harness.h"
#include "shim/shim.h"

extern void *__libc_malloc(size_t size);
extern void __libc_free(void *p);

/* C++ operators of the shim, by their Itanium ABI names. */
extern void *_Znwm(size_t n);
extern void *_Znam(size_t n);
extern void *_ZnwmSt11align_val_t(size_t n, size_t align);
extern void _ZdlPv(void *p);
extern void _ZdaPv(void *p);
extern void _ZdlPvm(void *p, size_t n);
extern void _ZdlPvSt11align_val_t(void *p, size_t align);

static const size_t sizes[] = { 0, 1, 7, 8, 9, 15, 16, 24, 64, 65, 96, 100, 128, 192, 200,
				256, 500, 1024, 2048, 4000, 4096, 5000, 8192, 8193, 12288,
				65536, 100000, 1 << 20, (1 << 20) + 1, 4 << 20, (4 << 20) + 1,
				16 << 20 };

TEST(every_size_path)
{
	assert_true(kmm_malloc_machine() != NULL);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t n = sizes[i];
		unsigned char *p = malloc(n);
		assert_true(p != NULL);
		expect_true(kmm_malloc_owns(p));
		expect_true(malloc_usable_size(p) >= n);
		if (n > 8)
			expect_eq((uintptr_t)p % 16, 0);
		memset(p, 0xab, n);
		if (n)
			expect_eq(p[n - 1], 0xab);
		free(p);
	}
	expect_eq(kmm_malloc_check(), 0);
}

TEST(calloc_zeroes_and_checks_overflow)
{
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			size_t n = sizes[i];
			unsigned char *p = malloc(n ? n : 1);
			memset(p, 0xff, n);
			free(p);	/* the next calloc may get these dirty bytes back */
			p = calloc(1, n);
			assert_true(p != NULL);
			size_t bad = 0;
			for (size_t k = 0; k < n; k++)
				bad += p[k] != 0;
			expect_eq(bad, 0);
			free(p);
		}
	}
	volatile size_t big = SIZE_MAX / 2;	/* hide the overflow from the compiler */
	errno = 0;
	expect_true(calloc(big, 3) == NULL);
	expect_eq(errno, ENOMEM);
	errno = 0;
	expect_true(reallocarray(NULL, big, 3) == NULL);
	expect_eq(errno, ENOMEM);
}

TEST(enomem)
{
	volatile size_t huge1 = SIZE_MAX - 4096, huge2 = PTRDIFF_MAX;
	errno = 0;
	expect_true(malloc(huge1) == NULL);
	expect_eq(errno, ENOMEM);
	errno = 0;
	expect_true(malloc(huge2) == NULL);
	expect_eq(errno, ENOMEM);
}

TEST(alignment)
{
	for (size_t align = 8; align <= (8u << 20); align <<= 1) {
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i += 3) {
			size_t n = sizes[i];
			void *p = NULL;
			assert_eq(posix_memalign(&p, align, n), 0);
			expect_eq((uintptr_t)p % align, 0);
			expect_true(malloc_usable_size(p) >= n);
			memset(p, 1, n);
			free(p);
			p = aligned_alloc(align, n);
			assert_true(p != NULL);
			expect_eq((uintptr_t)p % align, 0);
			free(p);
			p = memalign(align, n);
			assert_true(p != NULL);
			expect_eq((uintptr_t)p % align, 0);
			free(p);
		}
	}
	void *p = (void *)1;
	expect_eq(posix_memalign(&p, 24, 10), EINVAL);
	expect_eq(posix_memalign(&p, 4, 10), EINVAL);
	expect_true(p == (void *)1);
	volatile size_t odd = 48;	/* hidden from clang's alignment check */
	errno = 0;
	expect_true(aligned_alloc(odd, 10) == NULL);
	expect_eq(errno, EINVAL);
	p = memalign(odd, 10);		/* glibc rounds up to 64 */
	expect_eq((uintptr_t)p % 64, 0);
	free(p);
	p = valloc(10);
	expect_eq((uintptr_t)p % 4096, 0);
	free(p);
	p = pvalloc(10);
	expect_eq((uintptr_t)p % 4096, 0);
	expect_true(malloc_usable_size(p) >= 4096);
	free(p);
}

TEST(realloc_moves_between_paths)
{
	static const size_t steps[] = { 1, 17, 200, 3000, 9000, 70000, 3 << 20, 9 << 20,
					30 << 20, 5 << 20, 100000, 5000, 100, 3 };
	unsigned char *p = NULL;
	size_t have = 0;

	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		size_t n = steps[i];
		p = realloc(p, n);
		assert_true(p != NULL);
		expect_true(kmm_malloc_owns(p));
		size_t keep = have < n ? have : n, bad = 0;
		for (size_t k = 0; k < keep; k += (k < 4096 ? 1 : 4093))
			bad += p[k] != (unsigned char)(k * 7);
		expect_eq(bad, 0);
		for (size_t k = 0; k < n; k++)
			p[k] = (unsigned char)(k * 7);
		have = n;
	}
	expect_true(realloc(p, 0) == NULL);	/* frees, as glibc does */
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * realloc between small sizes (shim/realloc.c's first path): a block stays
 * where it is when the new size fits its usable bytes and would not fit a
 * class below half of them (or the block is 16 bytes or less), else it
 * moves; either way the bytes up to the smaller size come along. Three
 * blocks of each size at once: the first of a fresh slab starts on a page,
 * which the long way judges (small_live_size()), the others not.
 */
TEST(realloc_between_classes_keeps_or_moves_by_half)
{
	static const size_t sizes[] = { 1, 8, 16, 17, 24, 40, 48, 49, 64, 100, 200, 256, 300,
					512, 513, 1000, 2048, 4000, 4608, 6000, 8192 };
	size_t kept = 0, moved = 0, off_page = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(sizes); j++) {
			size_t from = sizes[i], to = sizes[j];
			unsigned char *p[3];
			for (int b = 0; b < 3; b++) {
				p[b] = malloc(from);
				assert_true(p[b] != NULL);
				for (size_t k = 0; k < from; k++)
					p[b][k] = (unsigned char)(k * 13 + i + b);
			}
			for (int b = 0; b < 3; b++) {
				size_t usable = malloc_usable_size(p[b]);
				bool keep = to <= usable && (to > usable / 2 || usable <= 16);
				unsigned char *q = realloc(p[b], to);
				assert_true(q != NULL);
				if ((q == p[b]) != keep)
					kmm_test_fail(__FILE__, __LINE__, "realloc(malloc(%zu), %zu): %s, want %s",
						      from, to, q == p[b] ? "kept" : "moved",
						      keep ? "kept" : "moved");
				size_t bad = 0;
				for (size_t k = 0; k < from && k < to; k++)
					bad += q[k] != (unsigned char)(k * 13 + i + b);
				expect_eq(bad, 0);
				expect_true(malloc_usable_size(q) >= to);
				kept += keep;
				moved += !keep;
				off_page += ((uintptr_t)p[b] & 4095) != 0;
				p[b] = q;
			}
			for (int b = 0; b < 3; b++)
				free(p[b]);
		}
	}
	expect_true(kept > 0 && moved > 0 && off_page > 0);
	expect_eq(kmm_malloc_check(), 0);
}

/* Pages of [@a, @a + @len) resident now (mincore). */
static size_t resident_pages(const char *a, size_t len)
{
	static unsigned char vec[1024];
	size_t n = 0, pages = len / 4096;

	if (pages > sizeof(vec) || mincore((void *)a, len, vec))
		return (size_t)-1;
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	return n;
}

/*
 * realloc that moves a page block carries the bytes its malloc asked for,
 * not the whole block: 487 pages, in a 512-page block (a page block keeps
 * its power of two, shim/malloc.c exact_pages()), grown past 4 MiB (a huge
 * mapping: it moves) copies the 487 pages, and the new block's pages past
 * them stay untouched (it copied 2 MiB, faulting in 25 pages the program
 * never wrote). Once the program has asked malloc_usable_size(), every
 * usable byte is its and is carried.
 */
TEST(realloc_of_a_page_block_copies_what_was_asked)
{
	const size_t asked = 487 * 4096, grown = 5 << 20;
	char *p = malloc(asked);

	assert_true(p != NULL);
	assert_true(malloc_usable_size(p) >= 2 << 20);	/* a 2 MiB block ... */
	free(p);
	p = malloc(asked);	/* ... and one whose size nobody asked */
	assert_true(p != NULL);
	memset(p, 0x3c, asked);
	malloc_trim(0);		/* free RAM and cached mappings given back: the next block starts untouched */
	char *q = realloc(p, grown);
	assert_true(q != NULL && q != p);
	size_t bad = 0;
	for (size_t i = 0; i < asked; i += 4093)
		bad += q[i] != 0x3c;
	expect_eq(bad, 0);
	expect_eq(q[asked - 1], 0x3c);
	/* the new block's pages from asked to 2 MiB: never written */
	expect_eq(resident_pages(q + asked, (2 << 20) - asked), 0);
	free(q);

	p = malloc(asked);
	assert_true(p != NULL);
	size_t usable = malloc_usable_size(p);
	assert_true(usable >= 2 << 20);
	memset(p, 0x5a, usable);
	q = realloc(p, usable + (1 << 20));
	assert_true(q != NULL);
	bad = 0;
	for (size_t i = 0; i < usable; i += 4093)
		bad += q[i] != 0x5a;
	expect_eq(bad, 0);
	expect_eq(q[usable - 1], 0x5a);
	free(q);
	expect_eq(kmm_malloc_check(), 0);
}

TEST(glibc_pointers_pass_through)
{
	char *p = __libc_malloc(100);
	assert_true(p != NULL);
	expect_true(!kmm_malloc_owns(p));
	expect_true(malloc_usable_size(p) >= 100);
	strcpy(p, "handed out by glibc");
	p = realloc(p, 5000);
	assert_true(p != NULL);
	expect_eq(strcmp(p, "handed out by glibc"), 0);
	free(p);
	free(NULL);
}

TEST(cxx_operators)
{
	void *p = _Znwm(24), *q = _Znam(0), *r = _ZnwmSt11align_val_t(100, 256);

	expect_true(p && q && r);
	expect_true(kmm_malloc_owns(p) && kmm_malloc_owns(q) && kmm_malloc_owns(r));
	expect_ne(p, q);
	expect_eq((uintptr_t)r % 256, 0);
	_ZdlPvm(p, 24);
	_ZdaPv(q);
	_ZdlPvSt11align_val_t(r, 256);
	p = _Znwm(1 << 20);
	_ZdlPv(p);
}

/* The child names the pointer it is about to free, as the report will. */
static void note(void *p)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "want %#lx\n", (unsigned long)(uintptr_t)p);
	ssize_t w = write(2, buf, (size_t)n);
	(void)w;
}

/* Called through a volatile pointer so the compiler lets the bug happen. */
static void (*volatile free_again)(void *) = free;

static void double_free_small(void)
{
	void *p = malloc(40);
	note(p);
	free_again(p);
	free_again(p);
}
static void double_free_pages(void)
{
	void *p = malloc(100000);
	note(p);
	free_again(p);
	free_again(p);
}
static void double_free_huge(void)
{
	void *p = malloc(20 << 20);
	note(p);
	free_again(p);
	free_again(p);
}
static void interior_free(void)
{
	char *p = malloc(64);
	note(p + 16);
	free_again(p + 16);
}
/* Inside the first 16 bytes: the shim's shadow byte covers 16 (slab_shadow_granule=16). */
static void interior_free_8(void)
{
	char *p = malloc(64);
	note(p + 8);
	free_again(p + 8);
}
static void interior_free_pages(void)
{
	char *p = malloc(50000);
	note(p + 4096);
	free_again(p + 4096);
}
static void double_free_after_reuse_elsewhere(void)
{
	void *a = malloc(100), *b = malloc(100);
	note(a);
	free_again(a);
	free_again(b);
	free_again(a);
}

TEST(double_and_invalid_free_abort_naming_the_pointer)
{
	static void (*const cases[])(void) = { double_free_small, double_free_pages,
					       double_free_huge, interior_free, interior_free_8,
					       interior_free_pages,
					       double_free_after_reuse_elsewhere };
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char err[512];
		expect_true(child_aborts(cases[i], err, sizeof(err)));
		expect_str_contains(err, "kmm-malloc: free(): ");
		char want[64] = "";
		if (sscanf(err, "want %63s", want) == 1) {
			strcat(want, "\n");
			expect_str_contains(err, want + 0);
			/* the report line, not only the note, names it */
			char *report = strstr(err, "kmm-malloc: ");
			expect_true(report && strstr(report, want));
		} else {
			kmm_test_fail(__FILE__, __LINE__, "child did not name its pointer: %s", err);
		}
	}
}

/*
 * A freed small block keeps its sheaf link in its first word (the shim boots
 * slab_freeptr=start, docs/boot-options.md): a write there after the free
 * is caught when the block is handed out again, and malloc aborts naming
 * it. (Mid-object, Linux's place, byte 128 of a 256-byte block held it.)
 */
static void write_first_word_after_free(void)
{
	char *p = malloc(256);
	note(p);
	free_again(p);
	volatile char *v = p;
	for (int i = 0; i < 8; i++)
		v[i] = 0x41;
	free_again(malloc(256));
}

TEST(a_write_into_the_first_word_of_a_freed_block_is_caught_when_it_is_handed_out)
{
	char err[4096], want[64] = "";

	expect_true(child_aborts(write_first_word_after_free, err, sizeof(err)));
	expect_str_contains(err, "the slab allocator reported corruption");
	expect_str_contains(err, "in a CPU's sheaf was overwritten");
	if (sscanf(err, "want %63s", want) == 1) {
		char *report = strstr(err, "kmm-malloc: malloc(");
		expect_true(report && strstr(report, want));
	} else {
		kmm_test_fail(__FILE__, __LINE__, "child did not name its pointer: %s", err);
	}
}

struct churn_arg {
	uint64_t seed;
	long steps;
};

static void *churn(void *argp)
{
	struct churn_arg *a = argp;
	uint64_t s = a->seed;
	void *live[512] = { 0 };
	size_t len[512] = { 0 };

	for (long i = 0; i < a->steps; i++) {
		unsigned k = (unsigned)(kmm_test_rand(&s) % 512);
		if (live[k]) {
			unsigned char *c = live[k];
			if (c[0] != (unsigned char)k || c[len[k] - 1] != (unsigned char)k)
				return (void *)1;
			free(live[k]);
		}
		len[k] = 1 + kmm_test_rand(&s) % (kmm_test_rand(&s) % 8 ? 300 : 40000);
		live[k] = malloc(len[k]);
		if (!live[k])
			return (void *)2;
		memset(live[k], (int)k, len[k]);
	}
	for (int k = 0; k < 512; k++)
		free(live[k]);
	return NULL;
}

TEST(threads)
{
	pthread_t t[6];
	struct churn_arg a[6];
	long steps = kmm_test_quick() ? 20000 : 200000;

	for (int i = 0; i < 6; i++) {
		a[i] = (struct churn_arg){ kmm_test_seed() + (uint64_t)i * 7919 + 1, steps };
		assert_eq(pthread_create(&t[i], NULL, churn, &a[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		void *r;
		pthread_join(t[i], &r);
		expect_true(r == NULL);
	}
	expect_eq(kmm_malloc_check(), 0);
}

static atomic_int stop_forking;
static void *fork_busy(void *arg)
{
	struct churn_arg a = { (uint64_t)(uintptr_t)arg, 1000 };
	while (!atomic_load(&stop_forking))
		if (churn(&a))
			return (void *)1;
	return NULL;
}

TEST(fork_while_threads_allocate)
{
	pthread_t t[3];
	int rounds = kmm_test_quick() ? 5 : 30;

	atomic_store(&stop_forking, 0);
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, fork_busy, (void *)(uintptr_t)(i + 11));
	for (int r = 0; r < rounds; r++) {
		pid_t pid = fork();
		if (pid == 0) {
			struct churn_arg a = { 99, 5000 };
			void *big = malloc(10 << 20);
			if (churn(&a) || !big || kmm_malloc_check() != 0)
				_exit(1);
			free(big);
			_exit(0);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		expect_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	atomic_store(&stop_forking, 1);
	for (int i = 0; i < 3; i++) {
		void *r;
		pthread_join(t[i], &r);
		expect_true(r == NULL);
	}
}

/* Allocate @n blocks of @size, touch them, free them; RSS before and after (KiB). */
static void rss_cycle(size_t size, int n, bool trim, long *grown, long *after)
{
	void **v = malloc((size_t)n * sizeof(*v));
	long base = (long)sim_host_rss_kb();

	for (int i = 0; i < n; i++) {
		v[i] = malloc(size);
		if (!v[i]) {
			kmm_test_fail(__FILE__, __LINE__, "malloc(%zu) number %d failed", size, i);
			n = i;
			break;
		}
		memset(v[i], 0x5c, size);
	}
	*grown = (long)sim_host_rss_kb() - base;
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
	if (trim)
		malloc_trim(0);
	*after = (long)sim_host_rss_kb() - base;
	printf("  rss: %d x %zu bytes%s: grew %ld MiB, %ld MiB left after free\n", n, size,
	       trim ? " + malloc_trim" : "", *grown / 1024, *after / 1024);
}

/*
 * A freed huge block's range is handed to the next huge block that fits in
 * it (same address, its bytes kept), reads as zero for calloc, a larger
 * block's freed range serves a smaller one with its pages, and malloc_trim
 * gives the free ranges back (shim/huge_cache.c).
 */
TEST(huge_blocks_reused_from_cache)
{
	size_t size = 6 << 20;

	malloc_trim(0);		/* no mapping cached by an earlier test */
	unsigned char *a = malloc(size);

	assert_true(a != NULL);
	memset(a, 0xab, size);
	__asm__ volatile("" : : "r"(a) : "memory");	/* the stores are not dead */
	free(a);
	unsigned char *b = malloc(size - 4096);	/* fits: reused, ending on a's guard page */
	expect_true(b == a + 4096);
	__asm__ volatile("" : : "r"(b) : "memory");	/* the compiler may not assume it fresh */
	expect_eq(b[0], 0xab);	/* malloc does not clear it (glibc's reuse does not either) */
	b[size - 4097] = 1;
	free(b);
	unsigned char *c = calloc(1, size);
	expect_true(c == a);
	size_t nonzero = 0;
	for (size_t i = 0; i < size; i += 512)
		nonzero += c[i] != 0;
	expect_eq(nonzero, 0);
	memset(c, 0xcd, size);
	__asm__ volatile("" : : "r"(c) : "memory");
	free(c);
	/*
	 * A block larger than every free range is a fresh mapping; written
	 * through and freed, it joins the heap with its pages...
	 */
	unsigned char *d = malloc(size * 3);
	assert_true(d != NULL);
	__asm__ volatile("" : : "r"(d) : "memory");
	memset(d, 0xcd, size * 3);
	__asm__ volatile("" : : "r"(d) : "memory");
	free(d);
	/*
	 * ... and a smaller one is carved from a free range that holds its
	 * pages (c's, or d's end, on its guard page: whichever the host placed
	 * where; both read 0xcd).
	 */
	unsigned char *e = malloc(size);
	expect_true(e == d + 2 * size || e == c || e == d);
	__asm__ volatile("" : : "r"(e) : "memory");
	expect_eq(e[0], 0xcd);
	expect_eq(e[size - 1], 0xcd);
	free(e);
	/*
	 * The same size again takes the same place; a smaller one leaves the
	 * rest of its range free with its pages, until malloc_trim() gives the
	 * free ranges back.
	 */
	unsigned char *f = malloc(size);
	expect_true(f == e);
	memset(f, 0x11, size);
	__asm__ volatile("" : : "r"(f) : "memory");
	free(f);
	long cached = (long)sim_host_rss_kb();
	/* where no page faults: in f's range, or in another free range with its pages */
	unsigned char *g = malloc(size - (1 << 20));
	bool in_f = g >= f && g < f + size;
	expect_true(in_f || (g >= c && g < c + size) || (g >= d && g < d + 3 * size));
	long kept = (long)sim_host_rss_kb();
	expect_true(kept >= cached - 256);
	expect_true(malloc_trim(0) != 0);
	expect_true((long)sim_host_rss_kb() <= kept - 768);
	expect_eq(g[0], in_f ? 0x11 : 0xcd);
	free(g);
	expect_true(malloc_trim(0) != 0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * live_map (shim/malloc.c) keeps two bits per page in the default mode,
 * where only page blocks, which start on a page, use it: 1,024 blocks of 64
 * KiB (64 MiB of RAM) mark 2,048 bits, 256 bytes of the map, which touch
 * one or two of its pages. At two bits per 8 bytes the blocks' bits were
 * 2 KiB apart: a bit in every other page of a 2 MiB stretch of the map,
 * 512 pages. The map's own resident pages are counted (mincore, review14
 * R5): the process's RSS would also count the blocks' RAM and whatever else
 * a block costs.
 */
TEST(page_blocks_cost_live_map_bits_per_page)
{
	enum { N = 1024 };
	static char *blocks[N];
	assert_true(kmm_malloc_machine() != NULL);
	size_t base = kmm_malloc_live_map_resident();

	for (int i = 0; i < N; i++) {
		blocks[i] = malloc(64 << 10);
		assert_true(blocks[i] != NULL);
		blocks[i][0] = (char)i;
	}
	size_t grown = kmm_malloc_live_map_resident() - base;
	printf("  1024 blocks of 64 KiB: %zu KiB more of live_map resident\n", grown >> 10);
	expect_true(kmm_malloc_live_map_resident() > 0);
	expect_true(grown <= 3 * 4096);
	for (int i = 0; i < N; i++)
		free(blocks[i]);
	expect_eq(kmm_malloc_check(), 0);
}

TEST(rss_falls_after_free)
{
	long grown, after;

	/* Compound pages of 1 MiB: 256 MiB, then malloc_trim. */
	rss_cycle(1 << 20, 256, true, &grown, &after);
	expect_true(grown > 200 * 1024);
	expect_true(after < grown / 8);
	/*
	 * Same without malloc_trim: each time free memory grows by the trim
	 * limit (a quarter of the RAM in use, 4M..64M) the free blocks beyond
	 * what the trim spares at the heads of the free lists (what the program
	 * re-allocates, at most four limits' worth: shim/trim.c, trim_keep())
	 * are given back, so at most about five limits stay resident (22 MiB of
	 * 519 when measured with a fixed four limits).
	 */
	rss_cycle(512 << 10, 1024, false, &grown, &after);
	expect_true(grown > 400 * 1024);
	expect_true(after < grown / 3);
	/*
	 * Freed huge blocks keep their pages only within the heap's bound: the
	 * live and the resident free bytes together within 24M, or the most
	 * live right after a block came from the heap (KMM_MALLOC_HUGE_CACHE,
	 * 64M, at most). With every block freed, 24M; malloc_trim gives those
	 * back too.
	 */
	rss_cycle(16 << 20, 16, false, &grown, &after);
	expect_true(grown > 200 * 1024);
	expect_true(after <= (24 + 8) * 1024);
	rss_cycle(16 << 20, 16, true, &grown, &after);
	expect_true(grown > 150 * 1024);
	expect_true(after < grown / 8);
	/*
	 * 128 MiB of 64-byte objects: the slab's shadow (a byte per 8 bytes,
	 * 16 MiB here) goes back with the RAM it describes; what stays is the
	 * struct pages (64 bytes per 4 KiB). First of the slab cases: no
	 * shadow is resident before it.
	 */
	rss_cycle(64, 2 << 20, true, &grown, &after);
	expect_true(grown > 128 * 1024);
	expect_true(after < grown / 25);
	/* Small objects: slabs go back to the buddy allocator, malloc_trim gives the RAM back. */
	rss_cycle(200, 1 << 20, true, &grown, &after);
	expect_true(grown > 150 * 1024);
	expect_true(after < grown / 2);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * Freed RAM kept resident follows the program's size: with little in use
 * the trim limit is its floor, 4 MiB, so after 48 blocks of 1 MiB are
 * touched and freed (no malloc_trim) a few limits' worth stays resident:
 * each trim spares at most four limits of resident free blocks (trim_keep();
 * 8 MiB stayed when a fixed four limits was the rule; the bound is 16). (A
 * flat 64M limit kept all 48 MiB.)
 */
TEST(freed_ram_follows_heap_size)
{
	long grown, after;

	malloc_trim(0);		/* nothing freed by earlier tests is resident */
	rss_cycle(1 << 20, 48, false, &grown, &after);
	expect_true(grown >= 40 * 1024);
	expect_true(after <= 16 * 1024);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * calloc of a page block of 128 KiB or more does not write it: its RAM is
 * discarded and reads as zero, so the pages the program leaves untouched
 * cost nothing (zeroing wrote all 2 MiB). Every sampled byte reads zero,
 * also of a block whose RAM held bytes before.
 */
TEST(calloc_of_a_large_block_commits_nothing)
{
	size_t size = 2 << 20;
	unsigned char *a = malloc(size);

	assert_true(a != NULL);
	memset(a, 0x77, size);
	__asm__ volatile("" : : "r"(a) : "memory");
	free(a);
	unsigned char *b = calloc(1, size);	/* the same RAM or other: zero either way */
	assert_true(b != NULL);
	size_t nonzero = 0;
	for (size_t i = 0; i < size; i += 1024)
		nonzero += b[i] != 0;
	expect_eq(nonzero, 0);
	free(b);
	malloc_trim(0);		/* no free block resident: the next calloc finds none */
	long base = (long)sim_host_rss_kb();
	unsigned char *c = calloc(1, size);
	assert_true(c != NULL);
	long grown = (long)sim_host_rss_kb() - base;
	printf("  rss: calloc(1, %zu) grew %ld KiB\n", size, grown);
	expect_true(grown <= 256);
	nonzero = 0;
	for (size_t i = 0; i < size; i += 4096)
		nonzero += c[i] != 0;
	expect_eq(nonzero, 0);
	c[0] = 1;
	c[size - 1] = 2;
	__asm__ volatile("" : : "r"(c) : "memory");
	free(c);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * calloc of @size over a block of @size that was written and freed, the
 * first host page of it mlock()ed while it was live: the shim's
 * MADV_DONTNEED over the block then fails with EINVAL on the locked range
 * (the host keeps every byte of it), and the shim must clear the block
 * itself. One page locked is within any RLIMIT_MEMLOCK, so this runs
 * without privilege (it says "not run" if mlock is refused all the same).
 */
static void calloc_over_a_locked_block(size_t size)
{
	unsigned char *a = malloc(size);
	size_t nonzero = 0;

	assert_true(a != NULL);
	memset(a, 0x77, size);
	__asm__ volatile("" : : "r"(a) : "memory");
	if (mlock(a, 4096)) {
		printf("  not run for %zu bytes: mlock of one page refused (%s)\n", size,
		       strerror(errno));
		free(a);
		return;
	}
	free(a);
	unsigned char *b = calloc(1, size);
	assert_true(b != NULL);
	/* The same block again, or this proves nothing. */
	expect_true(b == a);
	for (size_t i = 0; i < size; i += 64)
		nonzero += b[i] != 0;
	if (nonzero)
		kmm_test_fail(__FILE__, __LINE__, "calloc(1, %zu): %zu of %zu sampled bytes not zero",
			      size, nonzero, size / 64);
	munlock(a, 4096);
	free(b);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * A calloc block that the shim zeroes by giving its pages back to the host
 * (MADV_DONTNEED) must still read as zero where the host refuses, as it does
 * for a range the program has mlock()ed (EINVAL, bytes kept): a block of
 * 256 KiB (compound pages of the machine's RAM, zeroed so from 128 KiB up)
 * and a huge block of 8 MiB reused from the cache of freed mappings, each
 * written, freed and taken again by calloc, read as zero.
 */
TEST(calloc_is_zero_where_the_host_keeps_the_bytes)
{
	calloc_over_a_locked_block(256 << 10);
	calloc_over_a_locked_block(8 << 20);
}

/* Read file @path into @buf (at most @cap - 1 bytes, NUL-terminated) and remove it. */
static void read_and_unlink(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;

	buf[n] = 0;
	if (f)
		fclose(f);
	unlink(path);
}

/* What kmm_malloc_print_stats() writes, into @buf. */
static void stats_text(char *buf, size_t cap)
{
	char path[] = "/tmp/kmm-malloc-stats-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	kmm_malloc_print_stats(fd);
	close(fd);
	read_and_unlink(path, buf, cap);
}

/*
 * Between kmalloc's classes up to 512 bytes the shim has its own caches
 * (malloc-48 ... malloc-448): each size takes the smallest class that
 * holds it, 16-aligned (1 .. 8 bytes too: slab_shadow_granule=16 makes no
 * kmalloc-8, as Linux makes none when KMALLOC_MIN_SIZE is 16), and 20000 blocks of 300 bytes take about 320
 * bytes each (kmalloc-512 took 512: 11.5 MiB with the slab's shadow, now
 * about 7.2).
 */
TEST(size_classes_between_kmallocs)
{
	static const size_t want[][2] = {
		{ 1, 16 }, { 8, 16 }, { 9, 16 }, { 17, 32 }, { 33, 48 }, { 48, 48 }, { 49, 64 },
		{ 65, 80 }, { 81, 96 }, { 100, 112 }, { 113, 128 }, { 129, 160 }, { 161, 192 },
		{ 200, 224 }, { 225, 256 }, { 257, 320 }, { 321, 384 }, { 385, 448 },
		{ 449, 512 }, { 513, 1024 }, { 1025, 2048 }, { 4096, 4096 }, { 4097, 4608 },
		{ 4368, 4608 }, { 4609, 5376 }, { 5377, 6528 }, { 6529, 8192 }, { 8192, 8192 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		void *p = malloc(want[i][0]);
		assert_true(p != NULL);
		if (malloc_usable_size(p) != want[i][1])
			kmm_test_fail(__FILE__, __LINE__, "malloc(%zu): %zu usable bytes, want %zu",
				      want[i][0], malloc_usable_size(p), want[i][1]);
		if (want[i][0] > 8)
			expect_eq((uintptr_t)p % 16, 0);
		free(p);
	}
	enum { N = 20000 };
	void **v = malloc(N * sizeof(*v));
	assert_true(v != NULL);
	malloc_trim(0);		/* no free RAM resident to hide what the blocks take */
	long base = (long)sim_host_rss_kb();
	for (int i = 0; i < N; i++) {
		v[i] = malloc(300);
		assert_true(v[i] != NULL);
		memset(v[i], 0x3c, 300);
	}
	long grown = (long)sim_host_rss_kb() - base;
	printf("  rss: %d x 300 bytes: grew %ld KiB\n", N, grown);
	expect_true(grown <= 9 * 1024);
	for (int i = 0; i < N; i++)
		free(v[i]);
	free(v);
	char buf[16384];
	stats_text(buf, sizeof(buf));
	expect_str_contains(buf, "malloc-320");
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * Between 4 and 8 KiB the shim has three caches of its own (malloc-4608,
 * -5376, -6528: 7, 6 and 5 blocks per 32 KiB slab, shim/classes.c): 2000
 * blocks of 4368 bytes (sqlite's page-cache entries) take 4608 bytes each
 * and their shadow: RSS grew by 10.2 MiB, where kmalloc-8k took 8192 bytes
 * each and 17.8 MiB.
 */
TEST(size_classes_between_4k_and_8k)
{
	enum { N = 2000, SIZE = 4368 };
	void **v = malloc(N * sizeof(*v));

	assert_true(v != NULL);
	malloc_trim(0);		/* no free RAM resident to hide what the blocks take */
	long base = (long)sim_host_rss_kb();
	for (int i = 0; i < N; i++) {
		v[i] = malloc(SIZE);
		assert_true(v[i] != NULL);
		memset(v[i], 0x4b, SIZE);
	}
	long grown = (long)sim_host_rss_kb() - base;
	printf("  rss: %d x %d bytes: grew %ld KiB\n", N, SIZE, grown);
	expect_true(grown <= 12 * 1024);
	for (int i = 0; i < N; i++)
		free(v[i]);
	free(v);
	char buf[16384];
	stats_text(buf, sizeof(buf));
	expect_str_contains(buf, "malloc-4608");
	expect_eq(kmm_malloc_check(), 0);
}

TEST(stats_print)
{
	char buf[4096];

	stats_text(buf, sizeof(buf));
	expect_str_contains(buf, "kmm-malloc: machine \"mem=");
	expect_str_contains(buf, "peak");
}

/* All of @fd until its end into @buf (@cap bytes, NUL-terminated). */
static void read_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t got;

	while (len < cap - 1 && (got = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)got;
	buf[len] = 0;
	close(fd);
}

/*
 * KMM_MALLOC_CPUS (review16 R8): a value that is no number from 1 to 64 is
 * named on stderr and the default, four times the online CPUs and at least
 * 16, kept; atoi() read
 * "abc" and "0" as 0 and "4x" as 4, and the clamp made them one CPU slot and
 * 100000 64, silently. The test runs itself again with each value and reads
 * the machine's command line (its nr_cpus=) from the child's stats.
 */
TEST(kmm_malloc_cpus_that_is_no_cpu_count_is_named_and_the_default_kept)
{
	if (getenv("KMM_CPUS_CHILD")) {
		free(malloc(8));
		kmm_malloc_print_stats(1);
		_exit(0);
	}
	static const struct { const char *value; int cpus; } runs[] = {
		{ "abc", 0 }, { "0", 0 }, { "4x", 0 }, { "100000", 0 }, { "-2", 0 }, { "3", 3 },
		{ "64", 64 },
	};
	int dflt = KMM_CLAMP(KMM_MAX(sim_online_cpus() * 4, 16), 1, 64);

	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		int out[2], err[2], status = 0;
		char text[4096], errs[512], want[32], warning[128];

		assert_eq(pipe(out), 0);
		assert_eq(pipe(err), 0);
		pid_t pid = fork();
		if (pid == 0) {
			dup2(out[1], 1);
			dup2(err[1], 2);
			setenv("KMM_MALLOC_CPUS", runs[i].value, 1);
			setenv("KMM_CPUS_CHILD", "1", 1);
			setenv("KMM_TEST", "kmm_malloc_cpus_that_is_no_cpu_count_is_named_and_the_default_kept", 1);
			unsetenv("KMM_MALLOC_CMDLINE");
			execl("/proc/self/exe", "integration_malloc_api", (char *)NULL);
			_exit(127);
		}
		close(out[1]);
		close(err[1]);
		read_all(out[0], text, sizeof(text));
		read_all(err[0], errs, sizeof(errs));
		waitpid(pid, &status, 0);
		expect_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		snprintf(want, sizeof(want), " nr_cpus=%d ", runs[i].cpus ? runs[i].cpus : dflt);
		snprintf(warning, sizeof(warning), "kmm-malloc: KMM_MALLOC_CPUS=\"%s\" is not a number "
			 "from 1 to 64; keeping %d\n", runs[i].value, dflt);
		if (!strstr(text, want))
			kmm_test_fail(__FILE__, __LINE__, "KMM_MALLOC_CPUS=%s: no \"%s\" in the stats: %.200s",
				      runs[i].value, want, text);
		if (runs[i].cpus ? strstr(errs, "KMM_MALLOC_CPUS") != NULL : !strstr(errs, warning))
			kmm_test_fail(__FILE__, __LINE__, "KMM_MALLOC_CPUS=%s: stderr \"%s\"",
				      runs[i].value, errs);
	}
}

/*
 * The byte counters run only with KMM_MALLOC_STATS set before the first
 * malloc, so the test runs itself again with it (and KMM_TEST naming it).
 */
TEST(stats_count_bytes)
{
	if (!getenv("KMM_MALLOC_STATS")) {
		char path[] = "/tmp/kmm-malloc-stats-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		close(fd);
		pid_t pid = fork();
		if (pid == 0) {
			setenv("KMM_MALLOC_STATS", path, 1);
			setenv("KMM_TEST", "stats_count_bytes", 1);
			execl("/proc/self/exe", "integration_malloc_api", (char *)NULL);
			_exit(127);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		expect_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		char buf[8192];
		read_and_unlink(path, buf, sizeof(buf));
		expect_str_contains(buf, "kmm-malloc: current ");
		expect_str_contains(buf, "slabinfo - version: 2.1");
		expect_str_contains(buf, "kmalloc-8k");
		return;
	}
	struct kmm_malloc_stats a, b, c;
	void *v[10];

	kmm_malloc_get_stats(&a);
	for (int i = 0; i < 10; i++)
		v[i] = malloc(1 << 20);
	kmm_malloc_get_stats(&b);
	expect_true(b.current_bytes - a.current_bytes >= 10L << 20);
	expect_true(b.peak_bytes >= b.current_bytes);
	expect_true(b.mallocs >= a.mallocs + 10);
	for (int i = 0; i < 10; i++)
		free(v[i]);
	kmm_malloc_get_stats(&c);
	expect_true(c.current_bytes <= b.current_bytes - (10L << 20));
	expect_true(c.peak_bytes >= b.current_bytes);
	expect_true(c.frees >= b.frees + 10);
}

/*
 * The shim's other settings (review18 R2): KMM_MALLOC_HARDEN and
 * KMM_MALLOC_CHECK take Linux's on/off words, KMM_MALLOC_FAIL a number,
 * KMM_MALLOC_QUARANTINE a size; anything else is named on stderr and the
 * default kept ("abc" meant hardened on, FAIL=1x made every allocation
 * fail, silently). KMM_MALLOC_STATS and KMM_MALLOC_TRACE name a file they
 * cannot open. The test
 * runs itself again with each setting, as the test above does.
 */
TEST(shim_settings_that_are_not_values_are_named_and_the_default_kept)
{
	if (getenv("KMM_SETTINGS_CHILD")) {
		for (int i = 0; i < 100; i++) {
			void *p = malloc(64 + (size_t)i * 100);
			if (!p)
				_exit(3);
			free(p);
		}
		kmm_malloc_print_stats(1);
		exit(0);	/* atexit: KMM_MALLOC_STATS, KMM_MALLOC_CHECK */
	}
	static const struct { const char *name, *value, *harden, *warning; bool hardened; } runs[] = {
		{ "KMM_MALLOC_HARDEN", "abc", NULL,
		  "KMM_MALLOC_HARDEN=\"abc\" is not an on/off word (on/off, 1/0, y/n or t/f); "
		  "keeping off", false },
		{ "KMM_MALLOC_HARDEN", "on", NULL, NULL, true },
		{ "KMM_MALLOC_HARDEN", "no", NULL, NULL, false },
		{ "KMM_MALLOC_CHECK", "zz", NULL, "KMM_MALLOC_CHECK=\"zz\" is not an on/off word", false },
		{ "KMM_MALLOC_FAIL", "1x", NULL, "KMM_MALLOC_FAIL=\"1x\" is not a number; keeping 0 "
		  "(no failures)", false },
		{ "KMM_MALLOC_FAIL", "abc", NULL, "KMM_MALLOC_FAIL=\"abc\" is not a number", false },
		{ "KMM_MALLOC_QUARANTINE", "abc", "1", "KMM_MALLOC_QUARANTINE=\"abc\" is not a size "
		  "such as 1M; keeping 1M", true },
		{ "KMM_MALLOC_TRIM", "lots", NULL, "KMM_MALLOC_TRIM=\"lots\" is not a size such as "
		  "1M; keeping 64M", false },
		{ "KMM_MALLOC_HUGE_CACHE", "9Q", NULL, "KMM_MALLOC_HUGE_CACHE=\"9Q\" is not a size "
		  "such as 1M; keeping 64M", false },
		{ "KMM_MALLOC_STATS", "/nonexistent-kmm-dir/stats", NULL,
		  "KMM_MALLOC_STATS: cannot open \"/nonexistent-kmm-dir/stats\"; to standard error",
		  false },
		{ "KMM_MALLOC_TRACE", "/nonexistent-kmm-dir/trace", NULL,
		  "KMM_MALLOC_TRACE: cannot open \"/nonexistent-kmm-dir/trace\"; not tracing", false },
		{ "KMM_MALLOC_TRACE_PID", "abc", NULL,	/* with KMM_MALLOC_TRACE=/dev/null */
		  "KMM_MALLOC_TRACE_PID=\"abc\" is not a process id; not tracing", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		int out[2], err[2], status = 0;
		char text[4096], errs[2048];

		assert_eq(pipe(out), 0);
		assert_eq(pipe(err), 0);
		pid_t pid = fork();
		if (pid == 0) {
			dup2(out[1], 1);
			dup2(err[1], 2);
			unsetenv("KMM_MALLOC_CMDLINE");
			unsetenv("KMM_MALLOC_HARDEN");
			if (runs[i].harden)
				setenv("KMM_MALLOC_HARDEN", runs[i].harden, 1);
			setenv(runs[i].name, runs[i].value, 1);
			if (!strcmp(runs[i].name, "KMM_MALLOC_TRACE_PID"))
				setenv("KMM_MALLOC_TRACE", "/dev/null", 1);
			setenv("KMM_SETTINGS_CHILD", "1", 1);
			setenv("KMM_TEST", "shim_settings_that_are_not_values_are_named_and_the_default_kept", 1);
			execl("/proc/self/exe", "integration_malloc_api", (char *)NULL);
			_exit(127);
		}
		close(out[1]);
		close(err[1]);
		read_all(out[0], text, sizeof(text));
		read_all(err[0], errs, sizeof(errs));
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			kmm_test_fail(__FILE__, __LINE__, "%s=%s: the child ended with status 0x%x",
				      runs[i].name, runs[i].value, status);
		if (runs[i].warning ? !strstr(errs, runs[i].warning) : strstr(errs, runs[i].name) != NULL)
			kmm_test_fail(__FILE__, __LINE__, "%s=%s: stderr \"%.300s\"", runs[i].name,
				      runs[i].value, errs);
		if (!!strstr(text, "slab_freelist_hardened=on") != runs[i].hardened)
			kmm_test_fail(__FILE__, __LINE__, "%s=%s: hardened mode %s: %.200s", runs[i].name,
				      runs[i].value, runs[i].hardened ? "off" : "on", text);
	}
}
