// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_blocks.c - the malloc shim's page blocks (8 KiB to
 * 4 MiB) as exact-size blocks (alloc_pages_exact(): order-0 pages, no
 * compound head), and realloc shrinking or growing one in place; linked
 * against the shim by cmake/shim.cmake.
 *
 * Covers: a 1.1 MiB block takes its whole 512-page block and gives it all
 * back; realloc shrinks a block by freeing its end and grows it into the
 * free pages after it (same pointer, bytes kept, pages counted); calloc of
 * an exact block reads zero; a double free and a realloc of a freed block
 * that realloc resized are still reported; realloc moving a block into a
 * huge one (past 4 MiB) leaves none of the old block's pages resident; a
 * smaller block taking a freed one again holds none of its last 32nd and
 * keeps the rest of its end resident.
 * Pages are counted with the machine's NR_FREE_PAGES after a drain of the
 * per-CPU lists, residency with mincore(): no timing.
 */
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child_aborts.h"
#include "harness.h"
#include "kmm/kmm.h"
#include "mm/include/addr.h"
#include "mm/include/machine.h"
#include "shim/shim.h"

#define PG 4096UL

static void keep(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/*
 * 16 MiB taken, written and freed in 1 MiB blocks, so that neither trim
 * (shim/trim.c) runs at the next free: the footprint stays below the peak
 * trim's mark and a freed 2 MiB below the free-growth trim's 4 MiB.
 */
static void take_and_free_16m(void)
{
	unsigned char *warm[16];

	for (int i = 0; i < 16; i++) {
		warm[i] = malloc(1UL << 20);
		assert_true(warm[i] != NULL);
		memset(warm[i], i, 1UL << 20);
		keep(warm[i]);
	}
	for (int i = 0; i < 16; i++)
		free(warm[i]);
}

/* The shim machine's free pages, its per-CPU lists drained first. */
static unsigned long free_pages_now(void)
{
	struct kmm_machine *m = kmm_malloc_machine();

	assert_true(m != NULL);
	kmm_drain(m);
	return kmm_nr_free_pages(m);
}

/* Bytes of @p[0 .. @n) that are not @c. */
static size_t wrong_bytes(const unsigned char *p, size_t n, int c)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++)
		bad += p[i] != (unsigned char)c;
	return bad;
}

/*
 * A 1.1 MiB block takes its whole 512-page (2 MiB) block: giving back the
 * unused end at once cost more in fragmentation than it saved (shim/malloc.c
 * exact_pages()). Its pages all come back when it is freed.
 */
TEST(a_page_block_keeps_its_power_of_two)
{
	const size_t size = 11 * (1UL << 20) / 10;	/* 1,153,433 bytes: 282 pages */
	char *warm = malloc(size);	/* the machine booted, the free lists settled */
	free(warm);

	unsigned long before = free_pages_now();
	unsigned char *p = malloc(size);
	assert_true(p != NULL);
	expect_eq(before - kmm_nr_free_pages(kmm_malloc_machine()), 512);
	expect_eq(malloc_usable_size(p), 512 * PG);
	free(p);
	expect_eq(free_pages_now(), before);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * A page block is one unit while it lives as malloc made it (shim/blocks.h):
 * its power-of-two block not split (its first page counted once, the
 * others not at all; before, alloc_pages_exact() counted every page), and
 * free gives it back in one piece: the machine's free pages (its CPU lists
 * drained) move by exactly the block's pages each way.
 */
TEST(a_page_block_is_taken_and_given_back_whole)
{
	static const size_t sizes[] = { 12 * 1024, 20 * 1024, 40 * 1024, 100 * 1024, 1100 * 1024 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned long pages = 1UL << fls_ul((sizes[i] + PG - 1) / PG - 1);
		unsigned long before = free_pages_now();
		unsigned char *p = malloc(sizes[i]);

		assert_true(p != NULL);
		expect_eq(before - free_pages_now(), pages);
		expect_eq(malloc_usable_size(p), pages * PG);
		struct page *head = virt_to_page_m(kmm_malloc_machine(), p);
		unsigned long counted = 0;

		for (unsigned long k = 0; k < pages; k++)
			counted += page_ref_count(&head[k]) != 0;
		expect_eq(page_ref_count(head), 1);
		expect_eq(counted, 1);
		memset(p, 0x5a, sizes[i]);
		keep(p);
		free(p);
		expect_eq(free_pages_now(), before);
	}
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * realloc of a 1.1 MiB block (512 pages) to 600 KiB keeps the pointer and
 * gives back all but 150 pages; grown again to 1.1 MiB it takes back 132 of
 * them, right after it (the end it just gave back is free in the buddy),
 * again in place, its bytes kept. Before, both moved the block (malloc,
 * copy, free): 600 KiB is less than half of the usable 2 MiB, and a page
 * block never grew.
 */
TEST(realloc_shrinks_and_grows_a_block_in_place)
{
	const size_t size = 11 * (1UL << 20) / 10, shrunk = 600 * 1024;
	unsigned long before = free_pages_now();
	unsigned char *p = malloc(size);

	assert_true(p != NULL);
	memset(p, 0x21, size);
	keep(p);
	unsigned char *q = realloc(p, shrunk);
	assert_true(q != NULL);
	expect_true(q == p);
	expect_eq(wrong_bytes(q, shrunk, 0x21), 0);
	expect_eq(malloc_usable_size(q), 150 * PG);
	expect_eq(before - free_pages_now(), 150);
	expect_eq(kmm_malloc_check(), 0);

	unsigned char *r = realloc(q, size);
	assert_true(r != NULL);
	expect_true(r == q);
	expect_eq(wrong_bytes(r, shrunk, 0x21), 0);
	expect_eq(malloc_usable_size(r), 282 * PG);
	expect_eq(before - free_pages_now(), 282);
	memset(r, 0x22, size);
	keep(r);
	free(r);
	expect_eq(free_pages_now(), before);
	expect_eq(kmm_malloc_check(), 0);
}

/* Pages of [@p, @p + @n) (page-aligned) resident in this process. */
static unsigned long resident_pages(const void *p, size_t n)
{
	static unsigned char vec[1024];
	unsigned long count = 0;

	assert_true(n / PG <= sizeof(vec));
	assert_eq(mincore((void *)p, n, vec), 0);
	for (size_t i = 0; i < n / PG; i++)
		count += vec[i] & 1;
	return count;
}

/*
 * realloc moving a 1.5 MiB page block into a 5 MiB one (a huge block, its
 * own mapping) copies the bytes and discards the old block's pages as it
 * goes (shim/blocks.h block_move_bytes()), as glibc's mremap() moves them:
 * the old block, free in the buddy, holds nothing resident. Before, all 384
 * of its pages stayed resident (mt_churn 1 10000 2000's peak: 11.7 MB
 * against glibc's 6.9). 16 MiB taken and freed first, so that neither trim
 * (shim/trim.c) runs at the realloc's free: the footprint stays below the
 * peak trim's mark and the freed 2 MiB below the free-growth trim's 4 MiB.
 */
TEST(realloc_into_a_huge_block_leaves_the_old_block_discarded)
{
	const size_t size = 3 * (1UL << 20) / 2, bigger = 5UL << 20;

	take_and_free_16m();
	unsigned char *p = malloc(size);
	assert_true(p != NULL);
	assert_eq((uintptr_t)p % PG, 0);
	memset(p, 0x3c, size);
	keep(p);
	expect_eq(resident_pages(p, size), size / PG);
	unsigned char *q = realloc(p, bigger);
	assert_true(q != NULL);
	expect_true(q != p);
	expect_eq(wrong_bytes(q, size, 0x3c), 0);
	expect_eq(resident_pages(p, size), 0);
	memset(q, 0x3d, bigger);
	keep(q);
	free(q);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * A 1.1 MiB block that takes again the 2 MiB block a 2 MiB - 4 KiB one has
 * written and freed holds none of its last 32nd (16 pages) resident
 * (shim/blocks.h block_discard_top()): the bigger block's end stayed
 * resident under it before, and under every smaller block after it. The
 * rest past its size, 2 MiB / 32 .. 2 MiB / 8 from the end among it, is
 * kept resident (the last eighth was discarded until session 23: a later
 * occupant that wrote it faulted 64 pages in, not 16), so the next 2 MiB -
 * 4 KiB block there finds all but those 16 pages resident before it writes
 * a byte. The pages the small block asked for keep what they held (malloc
 * promises nothing there); it can still use every usable byte. 16 MiB
 * taken and freed first, so that neither trim (shim/trim.c) discards the
 * freed block before it is taken again (the test above says how).
 */
TEST(a_page_block_taken_again_by_a_smaller_block_drops_its_last_32nd_only)
{
	const size_t big = (2UL << 20) - PG, small = 11 * (1UL << 20) / 10, span = 2UL << 20;
	const size_t top = span / 32, small_pages = ALIGN_UP(small, PG) / PG;

	take_and_free_16m();
	unsigned char *p = malloc(big);
	assert_true(p != NULL);
	memset(p, 0x5a, big);
	keep(p);
	expect_true(resident_pages(p + span - span / 8, span / 8) >= span / 8 / PG - 1);
	free(p);
	unsigned char *q = malloc(small);
	assert_true(q == p);	/* the block freed last, from the head of its free list */
	expect_eq(resident_pages(q + span - top, top), 0);
	expect_eq(resident_pages(q, span - top), span / PG - top / PG);
	expect_eq(resident_pages(q, ALIGN_UP(small, PG)), small_pages);
	memset(q, 0x5b, small);
	keep(q);
	free(q);
	unsigned char *r = malloc(big);
	assert_true(r == p);
	/* asked within the last 32nd: nothing more is discarded; 15 pages to fault in */
	expect_eq(resident_pages(r, span), span / PG - top / PG);
	expect_eq(malloc_usable_size(r), span);
	memset(r, 0x5c, span);
	keep(r);
	expect_eq(wrong_bytes(r, span, 0x5c), 0);
	free(r);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * calloc of an exact block reads zero, even where a freed block left bytes
 * (300 pages: discarded, so they read as zero; the allocator no longer
 * clears a block it splits).
 */
TEST(calloc_of_an_exact_block_is_zero)
{
	const size_t size = 300 * PG;
	unsigned char *p = malloc(size);

	assert_true(p != NULL);
	memset(p, 0xee, size);
	keep(p);
	free(p);
	unsigned char *q = calloc(1, size);
	assert_true(q != NULL);
	expect_eq(wrong_bytes(q, size, 0), 0);
	free(q);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * A block realloc shrank in place to 150 pages (the child exits without the
 * misuse when it did not), then freed: its first page's record is what
 * free reads.
 */
static char *shrunk_block(void)
{
	char *p = malloc(11 * (1UL << 20) / 10);
	char *q = p ? realloc(p, 600 * 1024) : NULL;

	if (!q || q != p || malloc_usable_size(q) != 150 * PG)
		_exit(3);
	return q;
}

static void double_free_exact(void)
{
	char *p = shrunk_block();

	free(p);
	free(p);
}

static void realloc_freed_exact(void)
{
	char *p = shrunk_block();

	free(p);
	p = realloc(p, 2 << 20);
	keep(p);
}

TEST(misuse_of_a_freed_exact_block_is_reported)
{
	char err[1024];

	expect_true(child_aborts(double_free_exact, err, sizeof(err)));
	expect_true(strstr(err, "double free") != NULL);
	expect_true(child_aborts(realloc_freed_exact, err, sizeof(err)));
	expect_true(strstr(err, "invalid pointer (freed)") != NULL);
}
