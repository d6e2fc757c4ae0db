// SPDX-License-Identifier: MIT
/*
 * tests/unit_page_bulk.c - alloc_pages_bulk() and release_pages(): the NULL
 * slots are filled and the populated ones left alone, the events and free
 * counts are those of as many single allocations, an exhausted machine
 * gives what it has, bad arguments are refused, and every page comes back.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <stdlib.h>

#include <kmm/kmm.h>

#include "mm/include/vmstat.h"

TEST(bulk_fills_the_holes_and_counts_like_single_allocations)
{
	struct kmm_machine *m = boot("mem=128M");
	struct page *a[64] = { 0 };
	unsigned long free0 = nr_free(m), alloc0 = sum_vm_event(m, PGALLOC_NORMAL) +
						  sum_vm_event(m, PGALLOC_DMA32);

	a[3] = alloc_pages(GFP_KERNEL, 0);	/* already populated: kept */
	struct page *keep = a[3];
	expect_eq(alloc_pages_bulk(GFP_KERNEL, 64, a), 64);
	expect_true(a[3] == keep);
	for (int i = 0; i < 64; i++) {
		assert_true(a[i] != NULL);
		expect_eq(page_ref_count(a[i]), 1);
		for (int j = 0; j < i; j++)
			assert_true(a[i] != a[j]);
	}
	expect_eq(sum_vm_event(m, PGALLOC_NORMAL) + sum_vm_event(m, PGALLOC_DMA32), alloc0 + 64);
	expect_eq(alloc_pages_bulk(GFP_KERNEL, 64, a), 64);	/* full already: nothing taken */
	release_pages(a, 64);
	expect_eq(nr_free(m), free0);
	/* The 6.12 name does the same. */
	struct page *b[8] = { 0 };
	expect_eq(alloc_pages_bulk_array(GFP_KERNEL, 8, b), 8);
	release_pages(b, 8);
	expect_eq(kmm_alloc_pages_bulk(m, GFP_KERNEL | __GFP_DMA | __GFP_HIGHMEM, -1, 8, b), 0);
	expect_str_contains(kmm_last_error(), "zone modifiers");
	expect_eq(kmm_alloc_pages_bulk(m, GFP_KERNEL, 5, 8, b), 0);
	expect_str_contains(kmm_last_error(), "no node 5");
	done(m);
}

TEST(an_exhausted_machine_gives_what_it_has)
{
	struct kmm_machine *m = boot("mem=64M");
	enum { CHUNK = 256 };
	struct page **all = calloc(1 << 16, sizeof(*all));
	unsigned long got = 0, free0 = nr_free(m);

	assert_true(all != NULL);
	for (;;) {
		unsigned long n = alloc_pages_bulk(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY, CHUNK,
						   all + got);
		got += n;
		if (n < CHUNK || got + CHUNK > (1 << 16))
			break;
	}
	expect_true(got > 1000);
	expect_eq(kmm_check(m), 0);
	release_pages(all, (int)got);
	free(all);
	expect_eq(nr_free(m), free0);
	done(m);
}
