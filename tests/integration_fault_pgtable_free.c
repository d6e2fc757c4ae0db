// SPDX-License-Identifier: MIT
/*
 * tests/integration_fault_pgtable_free.c - which page tables munmap frees
 * (free_pgtables_range(), mm/memory.c), held against Linux's rule
 * (free_pgd_range(): a table goes only when no VMA in [floor, ceiling) -
 * the unmapped range widened to its neighbours - still lies in its span).
 *
 * Two VMAs of one process, A and B, both touched, share one PTE table.
 * munmap(B) must keep that table: A's entries are in it, and A's pages
 * still read back what was written. munmap(A) then leaves no VMA in the
 * spans of the PTE table and of the upper tables allocated for it: Linux
 * frees them all, and so must kmm (the process's table count comes back to
 * what it was before A and B were touched).
 *
 * kmm differs from Linux in one case, not held here: a table whose span
 * holds another VMA with no entry in it is freed (Linux keeps it); a
 * fault of that VMA that walked to it meanwhile sees the unlink
 * (pte_lock_seen(), integration_fault_unlinked_table) and faults again.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <kmm/process.h>

#include "mm/include/mm.h"
#include "mm/include/pgtable.h"

#define PG PAGE_SIZE
#define BASE 0x40000000UL		/* 1 GiB: a PTE table's span (2 MiB) starts here */
#define A_ADDR BASE			/* 4 pages */
#define B_ADDR (BASE + 64 * PG)		/* 4 pages, the same PTE table */
#define RW (KMM_PROT_READ | KMM_PROT_WRITE)
#define ANON_FIXED (KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_FIXED)

static unsigned long tables(struct task_struct *t)
{
	return pgtable_count_tables(&t->mm->pgt);
}

TEST(munmap_keeps_a_table_a_neighbour_maps_into_and_frees_what_no_vma_spans)
{
	struct kmm_machine *m = boot("mem=128M arch=x86_64");
	struct task_struct *p = kmm_spawn(m, "tables");
	unsigned char byte = 0;
	uint64_t got;

	assert_true(p != NULL);
	unsigned long before = tables(p);	/* its stack's */

	assert_eq(kmm_mmap(p, A_ADDR, 4 * PG, RW, ANON_FIXED, &got), 0);
	assert_eq(kmm_mmap(p, B_ADDR, 4 * PG, RW, ANON_FIXED, &got), 0);
	for (int i = 0; i < 4; i++) {
		byte = (unsigned char)(0x10 + i);
		assert_eq(kmm_access(p, A_ADDR + (uint64_t)i * PG, &byte, 1, true), 0);
		assert_eq(kmm_access(p, B_ADDR + (uint64_t)i * PG, &byte, 1, true), 0);
	}
	unsigned long both = tables(p);

	expect_true(both > before);

	/* B goes: the table stays, with A's entries and pages */
	assert_eq(kmm_munmap(p, B_ADDR, 4 * PG), 0);
	expect_eq(tables(p), both);
	for (int i = 0; i < 4; i++) {
		expect_true(pt_present(p, A_ADDR + (uint64_t)i * PG));
		assert_eq(kmm_access(p, A_ADDR + (uint64_t)i * PG, &byte, 1, false), 0);
		expect_eq(byte, 0x10 + i);
	}
	pt_check(m);

	/* A goes: no VMA left in the tables' spans, all of them go */
	assert_eq(kmm_munmap(p, A_ADDR, 4 * PG), 0);
	expect_eq(tables(p), before);
	pt_check(m);
	kmm_exit(p, 0);
	kmm_task_release(p);
	done(m);
}
