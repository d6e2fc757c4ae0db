// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_trim.c - the malloc shim's RAM trim (shim/trim.c,
 * "Returning memory to the host"), linked against the shim by
 * cmake/shim.cmake as integration_malloc_api.
 *
 * Covers: a free block that a trim gave back is not given back again by
 * the next trim (PageReported, mm/page_reporting.c), so a second
 * malloc_trim() in a row discards nothing and says so; a block reused
 * after a trim and freed again is given back by the next one.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "shim/shim.h"

#define MIB (1UL << 20)

static void keep(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static unsigned long trimmed(void)
{
	struct kmm_malloc_stats st;

	kmm_malloc_get_stats(&st);
	return st.trimmed_pages;
}

TEST(a_second_malloc_trim_discards_nothing)
{
	enum { N = 16 };
	unsigned char *b[N];

	assert_true(kmm_malloc_machine() != NULL);
	for (int i = 0; i < N; i++) {
		b[i] = malloc(MIB);		/* page blocks (order 8) */
		assert_true(b[i] != NULL);
		memset(b[i], 0x5a, MIB);
		keep(b[i]);
	}
	for (int i = 0; i < N; i++)
		free(b[i]);
	unsigned long t0 = trimmed();
	int r1 = malloc_trim(0);
	unsigned long t1 = trimmed();
	int r2 = malloc_trim(0);
	unsigned long t2 = trimmed();

	expect_eq(r1, 1);
	/* At least what the trim after the frees spared (4 MiB) went now. */
	expect_true(t1 - t0 >= (4 * MIB) >> 12);
	expect_eq(t2, t1);	/* nothing freed in between: nothing discarded again */
	expect_eq(r2, 0);	/* and malloc_trim says no memory went back, as glibc's */
	expect_eq(kmm_malloc_check(), 0);
}

TEST(a_block_reused_after_a_trim_is_trimmed_again)
{
	malloc_trim(0);
	unsigned long t0 = trimmed();
	unsigned char *p = malloc(2 * MIB);

	assert_true(p != NULL);
	memset(p, 0x33, 2 * MIB);
	keep(p);
	free(p);
	malloc_trim(0);
	/* The block (order 9) and the rest of what it was split from, nothing else. */
	expect_true(trimmed() - t0 >= (2 * MIB) >> 12);
	unsigned long t1 = trimmed();

	malloc_trim(0);
	expect_eq(trimmed(), t1);
	expect_eq(kmm_malloc_check(), 0);
}
