// SPDX-License-Identifier: MIT
/*
 * tests/unit_pgtable_process.c - the shared page-table code on all three
 * geometries: walk with and without allocation, entry bits in the frames,
 * table accounting (NR_PAGETABLE, pgtables_bytes), range freeing, swap
 * entry encoding and the level-by-level walk printer.
 */
#include "mm/include/vmstat.h"
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>

#include "mm/include/pgtable.h"
#include "mm/internal.h"

static const char *const cmdlines[] = { "mem=256M arch=x86_64", "mem=256M arch=i386",
					"mem=256M arch=i386-pae" };

static unsigned long nr_pagetable(struct kmm_machine *m)
{
	return global_node_page_state(m, NR_PAGETABLE);
}

static int count_leaf(void *arg, uint64_t va, void *slot, pteval_t v)
{
	(void)va; (void)slot; (void)v;
	(*(int *)arg)++;
	return 0;
}

TEST(walk_alloc_set_get_clear_free_all_geometries)
{
	for (size_t c = 0; c < ARRAY_SIZE(cmdlines); c++) {
		struct kmm_machine *m = boot(cmdlines[c]);
		struct kmm_pgtable pt;
		unsigned long base = nr_pagetable(m);
		const struct pgtable_geometry *g = pgtable_geometry_of(m);
		uint64_t va = 0x08048000ULL, va2 = va + 5 * PAGE_SIZE;
		uint64_t far = g->levels == 4 ? 0x7f0000000000ULL : 0xb0000000ULL;

		assert_eq(pgtable_init(&pt, m, true), 0);
		expect_eq(pgtable_nr_tables(&pt), 0);	/* the root is not counted (6.12's pgd_alloc) */
		expect_eq(nr_pagetable(m), base);
		expect_eq(g->levels, c == 0 ? 4 : c == 1 ? 2 : 3);

		/* A lookup without allocation finds nothing and allocates nothing. */
		expect_true(pgtable_walk(&pt, va, false, NULL) == NULL);
		expect_eq(pgtable_get_pte(&pt, va), 0);
		expect_eq(pgtable_nr_tables(&pt), 0);

		unsigned long pfn = 0x1234;
		pteval_t v = pfn_pte_geo(g, pfn, PAGE_SHARED | _PAGE_DIRTY);
		assert_eq(pgtable_set_pte(&pt, va, v), 0);
		/* one table per real level below the root */
		expect_eq(pgtable_nr_tables(&pt), (unsigned long)g->levels - 1);
		expect_eq(nr_pagetable(m), base + (unsigned long)g->levels - 1);
		expect_eq(atomic_load(&pt.pgtables_bytes), (long)((g->levels - 1) * PAGE_SIZE));
		expect_eq(pgtable_count_tables(&pt), (unsigned long)g->levels - 1);
		expect_eq(pgtable_get_pte(&pt, va), v);
		expect_eq(pte_pfn_geo(g, pgtable_get_pte(&pt, va)), pfn);
		expect_eq(!!(v & _PAGE_NX), g->has_nx);

		/* The entry's bytes are really in the table frame: read it raw. */
		void *slot = pgtable_walk(&pt, va, false, NULL);
		assert_true(slot != NULL);
		if (g->entry_size == 4)
			expect_eq(*(uint32_t *)slot, (uint32_t)v);
		else
			expect_eq(*(uint64_t *)slot, v);
		/* The next entry in the same PTE table is 8 or 4 bytes further. */
		expect_true((char *)pgtable_walk(&pt, va + PAGE_SIZE, false, NULL) ==
			    (char *)slot + g->entry_size);

		/* Same PTE table for va2; a far address needs new tables. */
		assert_eq(pgtable_set_pte(&pt, va2, pfn_pte_geo(g, 77, PAGE_READONLY)), 0);
		expect_eq(pgtable_nr_tables(&pt), (unsigned long)g->levels - 1);
		assert_eq(pgtable_set_pte(&pt, far, pfn_pte_geo(g, 78, PAGE_READONLY)), 0);
		expect_true(pgtable_nr_tables(&pt) > (unsigned long)g->levels - 1);

		int n = 0;
		pgtable_for_each_leaf(&pt, 0, 0, false, count_leaf, &n);
		expect_eq(n, 3);
		n = 0;
		pgtable_for_each_leaf(&pt, va, va2, false, count_leaf, &n);
		expect_eq(n, 1);

		/* The walk printer names every level, folded ones too. */
		struct strbuf sb;
		sb_init(&sb);
		pgtable_dump_walk(&pt, va, &sb);
		expect_str_contains(sb.buf, "PGD");
		expect_str_contains(sb.buf, "P4D  folded");
		expect_str_contains(sb.buf, "PTE  table");
		expect_str_contains(sb.buf, "pfn 0x1234");
		expect_str_contains(sb.buf, "P RW U A D");
		sb_free(&sb);

		/* Clearing and freeing the range returns the tables of that range. */
		expect_eq(pgtable_clear_pte(&pt, far), pfn_pte_geo(g, 78, PAGE_READONLY));
		unsigned long before = pgtable_nr_tables(&pt);
		unsigned long freed = pgtable_free_range(&pt, far, far + PAGE_SIZE);
		expect_true(freed >= 1);
		expect_eq(pgtable_nr_tables(&pt), before - freed);
		expect_eq(pgtable_nr_tables(&pt), (unsigned long)g->levels - 1);

		/* A range with live leaves keeps its tables. */
		expect_eq(pgtable_free_range(&pt, va, va + PAGE_SIZE), 0);
		pgtable_clear_pte(&pt, va);
		pgtable_clear_pte(&pt, va2);
		expect_eq(pgtable_destroy(&pt), 0);
		expect_eq(nr_pagetable(m), base);
		done(m);
	}
}

TEST(swap_entries_round_trip)
{
	struct kmm_machine *m = boot("mem=128M arch=x86_64");
	const struct pgtable_geometry *g = pgtable_geometry_of(m);
	pteval_t v = swp_entry_to_pte(g, 3, 123456);

	expect_true(!pte_present(v));
	expect_true(!pte_none(v));
	expect_true(pte_is_swap(g, v));
	expect_eq(pte_swp_type(g, v), 3);
	expect_eq(pte_swp_offset(g, v), 123456);
	done(m);

	m = boot("mem=128M arch=i386");
	g = pgtable_geometry_of(m);
	v = swp_entry_to_pte(g, 1, 4242);
	expect_true(!pte_present(v));
	expect_eq(pte_swp_type(g, v), 1);
	expect_eq(pte_swp_offset(g, v), 4242);
	done(m);
}

TEST(kernel_addresses_on_4level)
{
	struct kmm_machine *m = boot("mem=128M arch=x86_64");
	struct kmm_pgtable pt;
	const struct pgtable_geometry *g = pgtable_geometry_of(m);
	uint64_t kva = 0xffffc90000001000ULL;

	assert_eq(pgtable_init(&pt, m, false), 0);
	assert_eq(pgtable_set_pte(&pt, kva, pfn_pte_geo(g, 5, PAGE_KERNEL)), 0);
	expect_eq(pte_pfn_geo(g, pgtable_get_pte(&pt, kva)), 5);
	/* a non-canonical address is refused */
	int err = 0;
	expect_true(pgtable_walk(&pt, 0x0000900000000000ULL, true, &err) == NULL);
	expect_eq(err, -EFAULT);
	pgtable_clear_pte(&pt, kva);
	expect_eq(pgtable_destroy(&pt), 0);
	done(m);
}
