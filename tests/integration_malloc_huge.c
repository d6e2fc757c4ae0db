// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_huge.c - the malloc shim's reuse of freed huge
 * mappings (shim/huge_cache.c), linked against the shim by cmake/shim.cmake.
 *
 * Covers: a cached mapping handed whole to a smaller block keeps its spare
 * tail's pages, so the next larger block finds them resident; a block
 * written through keeps its mapping's pages when freed even though the
 * mapping is twice its size and its tail held nothing; malloc_trim() gives
 * back a live block's spare tail; realloc grows a huge block without copying
 * it (mremap). Residency is read with mincore(), which faults nothing in,
 * and faults with getrusage(): no timing.
 */
#include <malloc.h>
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
 * 10 MiB written and freed, then 5.5 MiB (handed the 10 MiB mapping whole),
 * freed, then 10 MiB again: the same mapping, every page still resident.
 * The tail past the 5.5 MiB block was discarded when it was handed out, so
 * 4.5 MiB faulted in again.
 */
TEST(a_smaller_block_keeps_the_mappings_tail_resident)
{
	malloc_trim(0);		/* an empty cache */
	unsigned char *a = written(10 * MIB, 1);
	free(a);
	unsigned char *b = malloc(11 * MIB / 2);
	assert_true(b != NULL);
	expect_true(b == a);
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
 * A 10 MiB block touched once is freed: sparse, its mapping is cached
 * without pages. A 6 MiB block handed that mapping is written through and
 * freed: dense, so its 6 MiB stay resident for the next 6 MiB block, though
 * they are less than three quarters of the mapping (judged on the mapping,
 * they went).
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
	expect_true(b == a);
	free(b);
	unsigned char *c = malloc(6 * MIB);
	assert_true(c != NULL);
	expect_true(c == a);
	size_t res = resident_pages(c, 6 * MIB);
	printf("  6 MiB block in a 10 MiB mapping: %zu of %lu pages resident\n", res, 6 * MIB / PG);
	expect_eq(res, 6 * MIB / PG);
	free(c);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/* malloc_trim() discards a live block's spare tail (past its guard page), not the block. */
TEST(malloc_trim_gives_back_a_live_blocks_spare_tail)
{
	malloc_trim(0);
	unsigned char *a = written(10 * MIB, 4);
	free(a);
	unsigned char *b = written(11 * MIB / 2, 5);
	assert_true(b == a);
	const unsigned char *tail = b + 11 * MIB / 2 + PG;	/* past the guard page */
	size_t tail_len = 10 * MIB - 11 * MIB / 2 - PG;
	expect_eq(resident_pages(tail, tail_len), tail_len / PG);
	malloc_trim(0);
	expect_eq(resident_pages(tail, tail_len), 0);
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
