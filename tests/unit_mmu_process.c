// SPDX-License-Identifier: MIT
/*
 * tests/unit_mmu_process.c - the software MMU on its own: the hardware walk
 * sets accessed and dirty bits as x86 does, a TLB entry filled by a read does
 * not let a write through (the walk must set D), page and whole-context
 * flushes invalidate exactly what they should, and the fault error codes
 * (not present, write to read-only, user bit missing, NX) come out right.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>

#include "arch/sim/mmu.h"
#include "mm/include/pgtable.h"

TEST(walk_bits_tlb_and_flushes)
{
	struct kmm_machine *m = boot("mem=128M arch=x86_64");
	struct kmm_pgtable pt;
	struct sim_mmu *mmu = sim_mmu_create(&m->ram);
	struct kmm_tlb *tlb0 = sim_tlb_attach(mmu), *tlb1 = sim_tlb_attach(mmu);	/* two CPUs */
	struct sim_mmu_ctx ctx = { 0 };
	const struct pgtable_geometry *g = pgtable_geometry_of(m);
	struct page *frame = kmm_alloc_pages(m, GFP_KERNEL | __GFP_ZERO, 0, -1);
	unsigned long pfn = page_to_pfn(frame);
	uint64_t va = 0x400000;
	unsigned int code = 0;

	assert_true(mmu && frame);
	assert_eq(pgtable_init(&pt, m, true), 0);
	ctx.cr3 = pt.pgd_pa;
	ctx.asid = 77;
	ctx.geo = g;

	/* not present: fault without X86_PF_PROT */
	expect_true(sim_mmu_translate(mmu, &ctx, tlb0, va, SIM_ACCESS_READ, &code) == NULL);
	expect_eq(code, X86_PF_USER);

	/* read-only, user: a read fills the TLB and sets A, not D */
	assert_eq(pgtable_set_pte(&pt, va, pfn_pte_geo(g, pfn, _PAGE_PRESENT | _PAGE_USER | _PAGE_NX)), 0);
	unsigned char *h = sim_mmu_translate(mmu, &ctx, tlb0, va + 5, SIM_ACCESS_READ, &code);
	assert_true(h != NULL);
	expect_eq(*(volatile unsigned char *)h, 0);
	((unsigned char *)page_address(frame))[5] = 0x42;	/* the same bytes, two windows */
	expect_eq(*(volatile unsigned char *)h, 0x42);
	pteval_t e = pgtable_get_pte(&pt, va);
	expect_true(pte_young(e) && !pte_dirty(e));
	unsigned long misses = tlb0->misses;
	expect_true(sim_mmu_translate(mmu, &ctx, tlb0, va, SIM_ACCESS_READ, &code) != NULL);
	expect_eq(tlb0->misses, misses);	/* a hit */
	/* a write to it is a protection fault; so is a fetch (NX) */
	expect_true(sim_mmu_translate(mmu, &ctx, tlb0, va, SIM_ACCESS_WRITE, &code) == NULL);
	expect_eq(code, X86_PF_USER | X86_PF_WRITE | X86_PF_PROT);
	expect_true(sim_mmu_translate(mmu, &ctx, tlb0, va, SIM_ACCESS_FETCH, &code) == NULL);
	expect_eq(code, X86_PF_USER | X86_PF_INSTR | X86_PF_PROT);

	/* made writable (a fault handler would flush): the stale read entry must not
	   grant the write, the walk sets D */
	pgtable_set_pte(&pt, va, pgtable_get_pte(&pt, va) | _PAGE_RW);
	sim_mmu_flush_range(mmu, &ctx, va, va + PAGE_SIZE);
	expect_true(sim_mmu_translate(mmu, &ctx, tlb0, va, SIM_ACCESS_WRITE, &code) != NULL);
	expect_true(pte_dirty(pgtable_get_pte(&pt, va)));
	/* a read entry of another CPU stays until flushed; the flush reaches all CPUs */
	expect_true(sim_mmu_translate(mmu, &ctx, tlb1, va, SIM_ACCESS_READ, &code) != NULL);
	pgtable_clear_pte(&pt, va);
	expect_true(sim_mmu_translate(mmu, &ctx, tlb1, va, SIM_ACCESS_READ, &code) != NULL);	/* stale */
	sim_mmu_flush_range(mmu, &ctx, va, va + PAGE_SIZE);
	expect_true(sim_mmu_translate(mmu, &ctx, tlb1, va, SIM_ACCESS_READ, &code) == NULL);
	expect_true(sim_mmu_translate(mmu, &ctx, tlb0, va, SIM_ACCESS_READ, &code) == NULL);

	/* a whole-context flush (generation bump) drops every entry of the ASID */
	assert_eq(pgtable_set_pte(&pt, va, pfn_pte_geo(g, pfn, PAGE_SHARED | _PAGE_DIRTY)), 0);
	expect_true(sim_mmu_translate(mmu, &ctx, tlb0, va, SIM_ACCESS_WRITE, &code) != NULL);
	pgtable_clear_pte(&pt, va);
	sim_mmu_flush_ctx(&ctx);
	expect_true(sim_mmu_translate(mmu, &ctx, tlb0, va, SIM_ACCESS_WRITE, &code) == NULL);
	/* another ASID never hits this one's entries */
	assert_eq(pgtable_set_pte(&pt, va, pfn_pte_geo(g, pfn, PAGE_SHARED | _PAGE_DIRTY)), 0);
	expect_true(sim_mmu_translate(mmu, &ctx, tlb0, va, SIM_ACCESS_READ, &code) != NULL);
	struct kmm_pgtable pt2;
	assert_eq(pgtable_init(&pt2, m, true), 0);
	struct sim_mmu_ctx other = ctx;
	other.asid = 78;
	other.cr3 = pt2.pgd_pa;	/* empty tables: only a TLB hit could translate */
	expect_true(sim_mmu_translate(mmu, &other, tlb0, va, SIM_ACCESS_READ, &code) == NULL);
	expect_eq(pgtable_destroy(&pt2), 0);
	/* a supervisor-only leaf faults for the user */
	assert_eq(pgtable_set_pte(&pt, va, pfn_pte_geo(g, pfn, PAGE_KERNEL)), 0);
	sim_mmu_flush_ctx(&ctx);
	expect_true(sim_mmu_translate(mmu, &ctx, tlb0, va, SIM_ACCESS_READ, &code) == NULL);
	expect_eq(code, X86_PF_USER | X86_PF_PROT);

	pgtable_clear_pte(&pt, va);
	expect_eq(pgtable_destroy(&pt), 0);
	__free_pages(frame, 0);
	sim_tlb_detach(tlb0);
	sim_tlb_detach(tlb1);
	sim_mmu_destroy(mmu);
	done(m);
}

TEST(no_nx_on_2level)
{
	struct kmm_machine *m = boot("mem=128M arch=i386");
	struct kmm_pgtable pt;
	struct sim_mmu *mmu = sim_mmu_create(&m->ram);
	struct kmm_tlb *tlb0 = sim_tlb_attach(mmu);
	struct sim_mmu_ctx ctx = { 0 };
	const struct pgtable_geometry *g = pgtable_geometry_of(m);
	struct page *frame = kmm_alloc_pages(m, GFP_KERNEL, 0, -1);
	unsigned int code = 0;

	assert_eq(pgtable_init(&pt, m, true), 0);
	ctx.cr3 = pt.pgd_pa;
	ctx.asid = 1;
	ctx.geo = g;
	/* PAGE_READONLY carries NX, which a 2-level entry cannot hold: fetch works */
	assert_eq(pgtable_set_pte(&pt, 0x08048000, pfn_pte_geo(g, page_to_pfn(frame), PAGE_READONLY)), 0);
	expect_true(sim_mmu_translate(mmu, &ctx, tlb0, 0x08048000, SIM_ACCESS_FETCH, &code) != NULL);
	/* beyond 4 GiB there is nothing to walk */
	pgtable_clear_pte(&pt, 0x08048000);
	expect_eq(pgtable_destroy(&pt), 0);
	__free_pages(frame, 0);
	sim_tlb_detach(tlb0);
	sim_mmu_destroy(mmu);
	done(m);
}
