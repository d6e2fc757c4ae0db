// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_huge.c - the malloc shim's reuse of freed huge
 * ranges (shim/huge_cache.c), linked against the shim by cmake/shim.cmake.
 *
 * Covers: a freed range split for a smaller block keeps the rest's pages,
 * and the two join again, so the next larger block finds them resident; a
 * block written through keeps its pages when freed even though the range
 * it was carved from is twice its size and held nothing; malloc_trim()
 * gives back the free range beside a live block; two blocks carved side by
 * side from one freed range join it again when freed, and a block as large
 * as the whole range takes it without a fault; the live and the resident
 * free bytes stay within the 24 MiB floor before any re-use; realloc grows
 * a huge block without copying it (mremap), and in place into the free
 * range right after it, with that range's pages; four threads allocating,
 * growing and freeing huge blocks at once each keep their bytes, and the
 * heap's invariant holds after; a block carved over an empty range takes
 * the pages of a resident free range elsewhere (moved, not faulted in),
 * and so does a fresh mapping made for a block no free run can hold, but
 * not calloc's block; a fresh block takes the pages of free RAM blocks
 * (those the next trim would give back) too; with two CPU slots freeing,
 * a fresh block counts in the re-use high that bounds the pages kept;
 * realloc moves a block of several host mappings whole, gives a grown
 * block's new part resident free pages, and moves a page block's pages
 * into the huge block it grows into. Residency is read with mincore(),
 * which faults nothing in, and faults with getrusage(): no timing.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "harness.h"
#include "shim/shim.h"

#define MIB (1UL << 20)
#define PG 4096UL

static void keep(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* Pages of [@a, @a + @len) resident now; (size_t)-1 if not all mapped. */
static size_t resident_pages(const void *a, size_t len)
{
	static unsigned char vec[4096];
	size_t n = 0, pages = len / PG;

	if (pages > sizeof(vec) || mincore((void *)a, len, vec))
		return (size_t)-1;
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	return n;
}

static unsigned char *written(size_t size, int c)
{
	unsigned char *p = malloc(size);

	assert_true(p != NULL);
	memset(p, c, size);
	keep(p);
	return p;
}

/*
 * 10 MiB written and freed, then 5.5 MiB (carved from the end of the
 * freed range, ending on its closed page: no host call; the rest left free
 * with its pages; from its start until session 25), freed, then 10 MiB
 * again: the same range, every page still resident. (Until session 11 the
 * rest was given back when the 5.5 MiB block took the range, and 4.5 MiB
 * faulted in again.)
 */
TEST(a_smaller_block_keeps_the_mappings_tail_resident)
{
	malloc_trim(0);		/* an empty cache */
	unsigned char *a = written(10 * MIB, 1);
	free(a);
	unsigned char *b = malloc(11 * MIB / 2);
	assert_true(b != NULL);
	expect_true(b == a + 9 * MIB / 2);
	memset(b, 2, 11 * MIB / 2);
	keep(b);
	free(b);
	unsigned char *c = malloc(10 * MIB);
	assert_true(c != NULL);
	expect_true(c == a);
	size_t res = resident_pages(c, 10 * MIB);
	printf("  10 MiB block after a 5.5 MiB one: %zu of %lu pages resident\n", res, 10 * MIB / PG);
	expect_eq(res, 10 * MIB / PG);
	free(c);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * A 10 MiB block touched once is freed: sparse, its range is kept without
 * pages. A 6 MiB block carved from it (its end, on its closed page) is
 * written through and freed: dense, so its 6 MiB stay resident for the
 * next 6 MiB block, though they are less than three quarters of the range
 * (judged on the whole mapping, as until session 12, they went).
 */
TEST(a_dense_block_in_a_larger_mapping_keeps_its_pages)
{
	malloc_trim(0);
	unsigned char *a = malloc(10 * MIB);
	assert_true(a != NULL);
	a[0] = 1;
	keep(a);
	free(a);
	unsigned char *b = written(6 * MIB, 3);
	expect_true(b == a + 4 * MIB);
	free(b);
	unsigned char *c = malloc(6 * MIB);
	assert_true(c != NULL);
	expect_true(c == b);
	size_t res = resident_pages(c, 6 * MIB);
	printf("  6 MiB block in a 10 MiB mapping: %zu of %lu pages resident\n", res, 6 * MIB / PG);
	expect_eq(res, 6 * MIB / PG);
	free(c);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/* Pages of [@a, @a + @len) resident now, counting those not mapped at all as not resident. */
static size_t resident_or_unmapped(const unsigned char *a, size_t len)
{
	size_t n = 0;

	for (size_t off = 0; off < len; off += PG) {
		unsigned char v = 0;
		if (mincore((void *)(a + off), PG, &v) == 0)
			n += v & 1;
	}
	return n;
}

/*
 * malloc_trim() gives back the free range beside a live block (before it:
 * the rest of the range it was carved from, whose end it took), not the
 * block.
 */
TEST(malloc_trim_gives_back_the_free_range_beside_a_live_block)
{
	malloc_trim(0);
	unsigned char *a = written(10 * MIB, 4);
	free(a);
	unsigned char *b = written(11 * MIB / 2, 5);
	assert_true(b == a + 9 * MIB / 2);
	const unsigned char *tail = a;	/* the range's front, before the block */
	size_t tail_len = 9 * MIB / 2;
	expect_eq(resident_pages(tail, tail_len), tail_len / PG);
	malloc_trim(0);
	expect_eq(resident_or_unmapped(tail, tail_len), 0);
	expect_eq(resident_pages(b, 11 * MIB / 2), 11 * MIB / 2 / PG);
	expect_eq(b[0], 5);
	expect_eq(b[11 * MIB / 2 - 1], 5);
	free(b);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * The heap (session 16): a 16 MiB range freed with its pages serves two 6
 * MiB blocks at once, side by side inside it; freed, they join the rest of
 * the range again, and a 16 MiB block takes all of it back, every page
 * resident: it faults nothing in. Before, the first 6 MiB block cut the
 * mapping (its tail unmapped), the second was a fresh mapping, and the
 * 16 MiB block grew one of them with mremap and faulted the rest in (2,560
 * pages).
 */
TEST(blocks_carved_from_one_freed_range_join_it_again)
{
	malloc_trim(0);
	unsigned char *a = written(16 * MIB, 9);
	free(a);
	unsigned char *b = written(6 * MIB, 10);
	unsigned char *c = written(6 * MIB, 11);
	printf("  two 6 MiB blocks in a freed 16 MiB range: at +%ld and +%ld KiB\n",
	       (long)(b - a) / 1024, (long)(c - a) / 1024);
	expect_true(b >= a && b + 6 * MIB <= a + 16 * MIB);
	expect_true(c >= a && c + 6 * MIB <= a + 16 * MIB);
	free(b);
	free(c);
	long before = minor_faults();
	unsigned char *d = malloc(16 * MIB);
	assert_true(d != NULL);
	expect_true(d == a);
	size_t res = resident_pages(d, 16 * MIB);
	memset(d, 12, 16 * MIB);
	keep(d);
	long faults = minor_faults() - before;
	printf("  16 MiB block over them: %zu of %lu pages resident, %ld minor faults\n", res,
	       16 * MIB / PG, faults);
	expect_eq(res, 16 * MIB / PG);
	expect_true(faults < 256);
	free(d);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * A block carved over an empty free range takes the pages of a resident
 * free range elsewhere (session 26: moved with mremap, none faulted in or
 * zeroed): 6 MiB written and freed (resident), an 8 MiB range touched once
 * and freed (empty), a live block between them so that they are two runs;
 * malloc(8 MiB) can only go to the empty range, and finds 6 MiB of pages
 * there, the 6 MiB range left empty. Until then it faulted its 8 MiB in
 * while the 6 MiB stayed resident, and the bound discarded them later.
 * calloc takes no pages that way (its block is discarded to read zero).
 */
TEST(a_block_over_an_empty_range_takes_resident_free_pages)
{
	malloc_trim(0);
	unsigned char *r = written(6 * MIB, 15);
	unsigned char *g = written(5 * MIB, 16);	/* keeps the two ranges apart */
	unsigned char *e = malloc(8 * MIB);
	assert_true(e != NULL);
	e[0] = 1;
	keep(e);
	free(e);			/* sparse: its range kept empty */
	free(r);			/* dense: its pages kept */
	expect_eq(resident_pages(r, 6 * MIB), 6 * MIB / PG);
	long before = minor_faults();
	unsigned char *b = malloc(8 * MIB);
	assert_true(b != NULL);
	expect_true(b == e);
	size_t moved = resident_pages(b, 8 * MIB), left = resident_or_unmapped(r, 6 * MIB);
	memset(b, 17, 8 * MIB);
	keep(b);
	long faults = minor_faults() - before;
	printf("  8 MiB over an empty range: %zu pages there before a write, %zu left in the 6 MiB "
	       "range, %ld minor faults\n", moved, left, faults);
	expect_eq(moved, 6 * MIB / PG);
	expect_eq(left, 0);
	expect_true(faults < (long)(2 * MIB / PG) + 256);
	free(b);
	/* calloc's block reads zero wherever its pages came from */
	unsigned char *z = calloc(1, 6 * MIB);
	assert_true(z != NULL);
	expect_eq(z[0], 0);
	expect_eq(z[6 * MIB - 1], 0);
	free(z);
	free(g);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * calloc takes no pages from elsewhere (its block is discarded to read
 * zero, so moved pages would be given back at once): in the same layout as
 * above, calloc(8 MiB) goes to the empty range, reads zero throughout, and
 * the 6 MiB range keeps its pages.
 */
TEST(calloc_takes_no_resident_free_pages)
{
	malloc_trim(0);
	unsigned char *r = written(6 * MIB, 20);
	unsigned char *g = written(5 * MIB, 21);
	unsigned char *e = malloc(8 * MIB);
	assert_true(e != NULL);
	e[0] = 1;
	keep(e);
	free(e);
	free(r);
	unsigned char *z = calloc(1, 8 * MIB);
	assert_true(z != NULL);
	expect_true(z == e);
	size_t kept = resident_pages(r, 6 * MIB), nonzero = 0;
	for (size_t i = 0; i < 8 * MIB; i++)
		nonzero += z[i] != 0;
	printf("  calloc(8 MiB) over an empty range: %zu pages left in the 6 MiB range, %zu bytes "
	       "not zero\n", kept, nonzero);
	expect_eq(kept, 6 * MIB / PG);
	expect_eq(nonzero, 0);
	free(z);
	free(g);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * A block no run of free ranges can hold gets a fresh mapping, and the
 * pages of the resident free ranges move into it (session 26): 6 MiB
 * written and freed, then malloc(16 MiB) finds 6 MiB of pages in its new
 * mapping and the 6 MiB range empty. Until then the fresh block faulted its
 * 16 MiB in and the bound discarded the 6 MiB at once.
 */
TEST(a_fresh_block_takes_resident_free_pages)
{
	malloc_trim(0);
	unsigned char *r = written(6 * MIB, 18);
	free(r);
	expect_eq(resident_pages(r, 6 * MIB), 6 * MIB / PG);
	unsigned char *b = malloc(16 * MIB);
	assert_true(b != NULL);
	size_t moved = resident_pages(b, 16 * MIB), left = resident_or_unmapped(r, 6 * MIB);
	printf("  16 MiB fresh: %zu pages there before a write, %zu left in the 6 MiB range\n", moved,
	       left);
	expect_eq(moved, 6 * MIB / PG);
	expect_eq(left, 0);
	memset(b, 19, 16 * MIB);
	keep(b);
	expect_eq(b[16 * MIB - 1], 19);
	free(b);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * Before any block came from the heap, the live huge blocks and the free
 * ranges with pages together stay within the 24 MiB floor: with two dense
 * 16 MiB blocks live, the first one freed keeps only 8 MiB of its pages
 * (the rest is discarded), the second one freed brings the pages kept to
 * 24 MiB. Before session 16 the bound was the larger of the floor and the
 * live bytes: the first block kept all its pages, and the program's RSS
 * stood at 48 MiB for 32 MiB of live blocks.
 */
TEST(live_and_free_huge_bytes_stay_within_the_floor)
{
	malloc_trim(0);
	unsigned char *x = written(16 * MIB, 13);
	unsigned char *y = written(16 * MIB, 14);
	size_t before = resident_pages(x, 16 * MIB);
	free(x);
	size_t kept = resident_or_unmapped(x, 16 * MIB);
	printf("  16 MiB freed with 16 MiB live: %zu of %zu pages kept\n", kept, before);
	expect_eq(before, 16 * MIB / PG);
	expect_true(kept <= 8 * MIB / PG + 2);
	expect_true(kept >= 7 * MIB / PG);
	free(y);
	size_t both = resident_or_unmapped(x, 16 * MIB) + resident_or_unmapped(y, 16 * MIB);
	printf("  and the other freed: %zu pages kept of both\n", both);
	expect_true(both <= 24 * MIB / PG + 2);
	expect_true(both >= 23 * MIB / PG);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * realloc of a 6 MiB block written through to 12 MiB: the mapping grows
 * (mremap, in place or moved with its pages), so its 1536 pages are neither
 * copied nor faulted in again; the bytes are kept and the new end is usable
 * past its old guard page. Before, the block moved: a fresh 18 MiB mapping
 * (grown by half) and a copy that faulted 1536 pages in.
 */
TEST(realloc_grows_a_huge_block_without_copying)
{
	malloc_trim(0);		/* no cached mapping to move into */
	unsigned char *a = written(6 * MIB, 7);
	long before = minor_faults();
	unsigned char *b = realloc(a, 12 * MIB);
	long faults = minor_faults() - before;

	assert_true(b != NULL);
	printf("  realloc 6 -> 12 MiB: %ld minor faults\n", faults);
	expect_true(faults < 256);
	expect_eq(resident_pages(b, 6 * MIB), 6 * MIB / PG);
	size_t bad = 0;
	for (size_t i = 0; i < 6 * MIB; i += 4093)
		bad += b[i] != 7;
	expect_eq(bad, 0);
	expect_true(malloc_usable_size(b) >= 12 * MIB);
	memset(b + 6 * MIB, 8, 6 * MIB);	/* the old guard page and past it: open */
	keep(b);
	expect_eq(b[12 * MIB - 1], 8);
	free(b);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * realloc of a 6 MiB block carved from the start of a freed 23.5 MiB range
 * to 12 MiB (asked for as 18: grown by half again) takes the free range
 * right after it: the same address, and the new bytes are the range's
 * resident pages, so writing all 12 MiB faults nothing in and no mapping
 * changes but the guard page (no mremap, munmap or mmap). Before session
 * 16 the 6 MiB block was cut from the range (its tail unmapped) and grown
 * with mremap, which faulted 1,536 new pages in. A 5 MiB block takes the
 * range's end first (it ends on the range's closed page: no host call,
 * session 25); the 6 MiB one, with no closed page to end on, its start.
 */
TEST(realloc_grows_a_huge_block_into_the_free_range_after_it)
{
	malloc_trim(0);
	unsigned char *a = written(47 * MIB / 2, 15);	/* within the heap's 24 MiB floor */
	free(a);
	unsigned char *end = written(5 * MIB, 18);
	expect_true(end == a + 37 * MIB / 2);
	unsigned char *b = written(6 * MIB, 16);
	assert_true(b == a);
	long before = minor_faults();
	unsigned char *c = realloc(b, 12 * MIB);
	assert_true(c != NULL);
	memset(c + 6 * MIB, 17, 6 * MIB);
	keep(c);
	long faults = minor_faults() - before;
	printf("  realloc 6 -> 12 MiB inside a freed 23.5 MiB range: %s, %ld minor faults\n",
	       c == b ? "in place" : "moved", faults);
	expect_true(c == b);
	expect_true(faults < 256);
	expect_eq(c[0], 16);
	expect_eq(c[6 * MIB - 1], 16);
	expect_eq(c[12 * MIB - 1], 17);
	expect_true(malloc_usable_size(c) >= 12 * MIB);
	expect_eq(end[0], 18);
	free(c);
	free(end);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * Whether the host moves several mappings side by side in one mremap
 * (Linux 6.17 on), asked as the shim asks it: two pages, one closed.
 */
static bool host_moves_several_mappings(void)
{
	char *from = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *to = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(from != MAP_FAILED && to != MAP_FAILED);
	assert_eq(mprotect(from + PG, PG, PROT_NONE), 0);
	bool ok = mremap(from, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, to) != MAP_FAILED;
	munmap(ok ? to : from, 2 * PG);
	return ok;
}

/*
 * A block whose mapping is several host mappings (a fresh 16 MiB block
 * that took a freed 6 MiB range's pages: a moved range stays a mapping of
 * its own) grows by realloc to 24 MiB without a copy: mremap refuses to
 * resize it, and it moves whole, its pages with it (session 28). Until
 * then it was copied into a new block, faulting its 4,096 pages in again
 * (realloc_grow: 7 of 10 rounds copied a 4 MiB block so). A host that
 * moves one mapping a call gets the copy, and the bytes are all there.
 */
TEST(realloc_moves_a_block_of_several_mappings_whole)
{
	bool whole = host_moves_several_mappings();

	malloc_trim(0);
	unsigned char *r = written(6 * MIB, 51);
	free(r);
	unsigned char *a = malloc(16 * MIB);
	assert_true(a != NULL);
	expect_eq(resident_pages(a, 16 * MIB), 6 * MIB / PG);	/* the moved range: a mapping apart */
	memset(a, 52, 16 * MIB);
	keep(a);
	long before = minor_faults();
	unsigned char *b = realloc(a, 24 * MIB);
	long faults = minor_faults() - before;
	assert_true(b != NULL);
	printf("  realloc 16 -> 24 MiB of a block of several mappings: %ld minor faults (%s)\n",
	       faults, whole ? "the host moves them whole" : "the host moves one a call: copied");
	if (whole) {
		expect_true(faults < 256);
		expect_eq(resident_pages(b, 16 * MIB), 16 * MIB / PG);
	}
	size_t bad = 0;
	for (size_t i = 0; i < 16 * MIB; i += 4093)
		bad += b[i] != 52;
	expect_eq(bad, 0);
	memset(b + 16 * MIB, 53, 8 * MIB);
	keep(b);
	expect_eq(b[24 * MIB - 1], 53);
	free(b);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * The new part of a block grown by the host (mremap) takes the pages of a
 * resident free range, as a block carved over an empty range does
 * (session 28): an 8 MiB block and a 6 MiB one written, the 6 MiB freed
 * (its pages kept), then realloc(8 -> 16 MiB): the 6 MiB of pages are in
 * the grown block's new part before it is written, none left in the freed
 * range. Until then the new part faulted its pages in while the free
 * range kept its own, for the bound to discard. Not where the host cannot
 * move the block whole at its next growth (moved pages make it several
 * mappings).
 */
TEST(a_grown_blocks_new_part_takes_resident_free_pages)
{
	bool whole = host_moves_several_mappings();

	malloc_trim(0);
	unsigned char *a = written(8 * MIB, 54), *r = written(6 * MIB, 55);
	free(r);
	expect_eq(resident_pages(r, 6 * MIB), 6 * MIB / PG);
	unsigned char *b = realloc(a, 16 * MIB);
	assert_true(b != NULL);
	size_t there = resident_pages(b + 8 * MIB, 8 * MIB), left = resident_or_unmapped(r, 6 * MIB);
	printf("  realloc 8 -> 16 MiB beside a freed 6 MiB range: %zu pages in the new part before "
	       "a write, %zu left in the range\n", there, left);
	if (whole) {
		expect_eq(there, 6 * MIB / PG);
		expect_eq(left, 0);
	}
	expect_eq(b[0], 54);
	expect_eq(b[8 * MIB - 1], 54);
	memset(b + 8 * MIB, 56, 8 * MIB);
	keep(b);
	expect_eq(b[16 * MIB - 1], 56);
	free(b);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * realloc of a 3 MiB page block (in the machine's RAM) to 6 MiB (a huge
 * block, its own mapping): the block's whole pages move into the huge one
 * (sim_move(), as mremap moves a mapped chunk), nothing copied or faulted
 * in (session 28). Until then the bytes were copied, 256 KiB at a time,
 * each part of the page block discarded after: 768 pages faulted in.
 * malloc_trim() first, so that no free RAM block's pages fill the huge
 * block instead.
 */
TEST(realloc_moves_a_page_blocks_pages_into_a_huge_block)
{
	malloc_trim(0);
	unsigned char *a = written(3 * MIB, 57);
	malloc_trim(0);
	long before = minor_faults();
	unsigned char *b = realloc(a, 6 * MIB);
	long faults = minor_faults() - before;
	assert_true(b != NULL);
	printf("  realloc 3 -> 6 MiB out of RAM: %ld minor faults\n", faults);
	expect_true(faults < 256);
	size_t bad = 0;
	for (size_t i = 0; i < 3 * MIB; i += 4093)
		bad += b[i] != 57;
	expect_eq(bad, 0);
	expect_eq(b[3 * MIB - 1], 57);
	memset(b + 3 * MIB, 58, 3 * MIB);
	keep(b);
	expect_eq(b[6 * MIB - 1], 58);
	free(b);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/* ---- Four threads at once ---- */

#define HEAP_THREADS 4
#define HEAP_ROUNDS 120
#define HEAP_SLOTS 3

static uint64_t heap_seed;
static atomic_long heap_bad;

/* One byte per page of @p's @size bytes, and its last, are @tag. */
static void heap_fill(unsigned char *p, size_t size, unsigned char tag)
{
	for (size_t i = 0; i < size; i += PG)
		p[i] = tag;
	p[size - 1] = tag;
}

/* Whether heap_fill(@p, @size, @tag) is there; with !@last, the pages' bytes only. */
static bool heap_holds(const unsigned char *p, size_t size, unsigned char tag, bool last)
{
	for (size_t i = 0; i < size; i += PG)
		if (p[i] != tag)
			return false;
	return !last || p[size - 1] == tag;
}

static void *heap_worker(void *arg)
{
	uint64_t s = heap_seed + (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL;
	unsigned char *live[HEAP_SLOTS] = { 0 };
	size_t sizes[HEAP_SLOTS] = { 0 };
	unsigned char tags[HEAP_SLOTS] = { 0 };

	for (int r = 0; r < HEAP_ROUNDS; r++) {
		int k = (int)t_rnd(&s, HEAP_SLOTS);
		size_t size = 4 * MIB + PG + t_rnd(&s, 16 * MIB);
		unsigned char tag = (unsigned char)(1 + t_rnd(&s, 255));
		if (live[k] && !heap_holds(live[k], sizes[k], tags[k], true))
			atomic_fetch_add(&heap_bad, 1);
		if (live[k] && t_rnd(&s, 4) == 0) {
			unsigned char *q = realloc(live[k], size);	/* grows or shrinks */
			if (!q || !heap_holds(q, size < sizes[k] ? size : sizes[k], tags[k], false))
				atomic_fetch_add(&heap_bad, 1);
			live[k] = q;
		} else {
			free(live[k]);
			live[k] = malloc(size);
		}
		if (!live[k]) {
			atomic_fetch_add(&heap_bad, 1);
			break;
		}
		heap_fill(live[k], size, tag);
		sizes[k] = size;
		tags[k] = tag;
	}
	for (int k = 0; k < HEAP_SLOTS; k++) {
		if (live[k] && !heap_holds(live[k], sizes[k], tags[k], true))
			atomic_fetch_add(&heap_bad, 1);
		free(live[k]);
	}
	return NULL;
}

/*
 * Four threads, each keeping three huge blocks of 4-20 MiB, free, allocate
 * and realloc them at random (the test's seed): every block keeps the bytes
 * its thread wrote while the others carve, split, merge and discard free
 * ranges beside it, and the heap's invariant holds after (kmm_malloc_check()
 * runs huge_cache_check()).
 */
TEST(huge_blocks_on_four_threads_keep_their_bytes)
{
	pthread_t t[HEAP_THREADS];

	malloc_trim(0);
	heap_seed = kmm_test_seed();
	atomic_store(&heap_bad, 0);
	for (int i = 0; i < HEAP_THREADS; i++)
		assert_eq(pthread_create(&t[i], NULL, heap_worker, (void *)(uintptr_t)i), 0);
	for (int i = 0; i < HEAP_THREADS; i++)
		pthread_join(t[i], NULL);
	printf("  %d threads x %d rounds: %ld blocks with wrong bytes\n", HEAP_THREADS, HEAP_ROUNDS,
	       atomic_load(&heap_bad));
	expect_eq(atomic_load(&heap_bad), 0);
	expect_eq(kmm_malloc_check(), 0);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * A fresh huge block takes the pages of free RAM blocks that the next
 * trim would give back (session 27, shim/trim.c's trim_move_free()): a
 * 1.5 MiB and a 768 KiB page block written and freed (3 MiB of free
 * growth: below the 4 MiB that starts a trim, so they stay resident), then
 * malloc(8 MiB) with no free huge range (malloc_trim() gave them all
 * back, and the RAM estimate of re-use with them): the two blocks' pages
 * are in the new block before it is written, and none is left where they
 * were. Until then the huge block faulted its 8 MiB in, and the next trim
 * discarded the RAM blocks' pages.
 */
TEST(a_fresh_block_takes_the_pages_of_free_ram_blocks)
{
	malloc_trim(0);
	unsigned char *r1 = written(3 * MIB / 2, 31), *r2 = written(3 * MIB / 4, 32);
	free(r1);
	free(r2);
	size_t before = resident_pages(r1, 3 * MIB / 2) + resident_pages(r2, 3 * MIB / 4);
	unsigned char *b = malloc(8 * MIB);
	assert_true(b != NULL);
	size_t there = resident_pages(b, 8 * MIB);
	size_t left = resident_pages(r1, 3 * MIB / 2) + resident_pages(r2, 3 * MIB / 4);
	printf("  RAM blocks' pages: %zu resident when freed, %zu left after malloc(8 MiB), "
	       "%zu in it before a write\n", before, left, there);
	expect_eq(before, (3 * MIB / 2 + 3 * MIB / 4) / PG);
	expect_eq(left, 0);
	expect_true(there >= before);
	memset(b, 33, 8 * MIB);
	keep(b);
	expect_eq(b[8 * MIB - 1], 33);
	free(b);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

static void *free_a_page_block(void *arg)
{
	(void)arg;
	free(written(256 << 10, 41));
	return NULL;
}

/*
 * With two CPU slots freeing page blocks (threads allocating apart), a
 * fresh huge block counts in the heap's re-use high as a re-used one does
 * (session 27): 8 MiB and then 30 MiB fresh, the 30 MiB freed keeps all
 * its pages (the live and resident free bytes within the 38 MiB that were
 * live). Before, a fresh block left the high alone: the bound was the
 * 24 MiB floor, and 14 MiB of the freed block were discarded at once
 * (big_reuse 2 1000 faulted them in again).
 */
TEST(a_fresh_block_counts_in_the_reuse_high_with_two_slots_freeing)
{
	pthread_t t;

	malloc_trim(0);
	assert_eq(pthread_create(&t, NULL, free_a_page_block, NULL), 0);
	pthread_join(t, NULL);
	free(written(256 << 10, 42));
	unsigned char *a = written(8 * MIB, 43), *b = written(30 * MIB, 44);
	free(b);
	size_t kept = resident_or_unmapped(b, 30 * MIB);
	printf("  30 MiB fresh block freed beside an 8 MiB one: %zu of %lu pages kept\n", kept,
	       30 * MIB / PG);
	expect_eq(kept, 30 * MIB / PG);
	free(a);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}
