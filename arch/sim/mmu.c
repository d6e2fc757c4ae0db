// SPDX-License-Identifier: MIT
/*
 * arch/sim/mmu.c - the software MMU: hardware page walk, per-CPU TLB, flushes.
 *
 * Linux counterpart: none (this is the CPU); the flush policy mirrors
 * arch/x86/mm/tlb.c (flush_tlb_mm_range with tlb_single_page_flush_ceiling).
 *
 * Invariant: a TLB entry grants SIM_ACCESS_WRITE only if, when it was filled,
 * the leaf PTE was present, writable and dirty; any change that removes a
 * permission or a mapping is followed by a flush of that page or context.
 *
 * Locking: see arch/sim/mmu.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "arch/sim/mmu.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct sim_mmu *sim_mmu_create(struct sim_ram *ram, int nr_cpus)
{
	struct sim_mmu *mmu = calloc(1, sizeof(*mmu));

	if (!mmu)
		return NULL;
	mmu->nr_cpus = nr_cpus;
	mmu->tlb = aligned_alloc(64, sizeof(struct sim_tlb) * (size_t)nr_cpus);
	if (!mmu->tlb)
		goto out_free;
	memset(mmu->tlb, 0, sizeof(struct sim_tlb) * (size_t)nr_cpus);
	for (int c = 0; c < nr_cpus; c++)
		for (unsigned int i = 0; i < SIM_TLB_ENTRIES; i++)
			mmu->tlb[c].e[i].vpn = ~0ULL;	/* before any thread runs */
	if (ram->fd >= 0) {
		void *p = mmap(NULL, ram->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
			       ram->fd, 0);
		if (p == MAP_FAILED)
			goto out_tlb;
		mmu->window = p;
		mmu->window_len = ram->size;
		mmu->own_window = true;
	} else {
		mmu->window = ram->direct;
		mmu->window_len = ram->direct_len;
	}
	return mmu;
out_tlb:
	free(mmu->tlb);
out_free:
	free(mmu);
	return NULL;
}

void sim_mmu_destroy(struct sim_mmu *mmu)
{
	if (!mmu)
		return;
	if (mmu->own_window)
		munmap(mmu->window, mmu->window_len);
	free(mmu->tlb);
	free(mmu);
}

static inline pteval_t read_entry(const struct sim_mmu *mmu, const struct pgtable_geometry *g,
				  uint64_t pa)
{
	if (g->entry_size == 4)
		return __atomic_load_n((uint32_t *)sim_phys(mmu, pa), __ATOMIC_ACQUIRE);
	return __atomic_load_n((uint64_t *)sim_phys(mmu, pa), __ATOMIC_ACQUIRE);
}

static inline void or_entry(const struct sim_mmu *mmu, const struct pgtable_geometry *g,
			    uint64_t pa, pteval_t bits)
{
	if (g->entry_size == 4)
		__atomic_fetch_or((uint32_t *)sim_phys(mmu, pa), (uint32_t)bits, __ATOMIC_RELAXED);
	else
		__atomic_fetch_or((uint64_t *)sim_phys(mmu, pa), bits, __ATOMIC_RELAXED);
}

void *sim_mmu_walk(struct sim_mmu *mmu, struct sim_mmu_ctx *ctx, int cpu, uint64_t va,
		   unsigned int access, unsigned int *fault_code)
{
	const struct pgtable_geometry *g = ctx->geo;
	struct sim_tlb *tlb = &mmu->tlb[cpu];
	uint64_t table = ctx->cr3;
	pteval_t e = 0;
	uint64_t slot_pa = 0;
	unsigned int code = X86_PF_USER;

	tlb->misses++;
	tlb->walks++;
	if (access & SIM_ACCESS_WRITE)
		code |= X86_PF_WRITE;
	if (access & SIM_ACCESS_FETCH)
		code |= X86_PF_INSTR;
	if (g->levels == 4 ? (va >> 47) != 0 : va >= g->va_limit)
		goto fault;
	for (int level = PGT_PGD; level < PGT_NR_LEVELS; level++) {
		if (!g->real[level])
			continue;
		unsigned long idx = (unsigned long)((va >> g->shift[level]) &
						    ((1ULL << g->bits[level]) - 1));
		slot_pa = table + idx * (uint64_t)g->entry_size;
		e = read_entry(mmu, g, slot_pa);
		if (!(e & _PAGE_PRESENT))
			goto fault;
		/* PAE PDPTEs carry no U/S or R/W bits */
		bool pdpte = level == PGT_PGD && g->levels == 3;
		if (!pdpte && !(e & _PAGE_USER)) {
			code |= X86_PF_PROT;
			goto fault;
		}
		if (!pdpte && (access & SIM_ACCESS_WRITE) && !(e & _PAGE_RW)) {
			code |= X86_PF_PROT;
			goto fault;
		}
		if ((access & SIM_ACCESS_FETCH) && g->has_nx && (e & _PAGE_NX)) {
			code |= X86_PF_PROT;
			goto fault;
		}
		table = e & g->pfn_mask;
	}
	/* table now holds the frame's physical address; e the leaf. */
	pteval_t set = _PAGE_ACCESSED;
	if (access & SIM_ACCESS_WRITE)
		set |= _PAGE_DIRTY;
	if ((e & set) != set) {
		or_entry(mmu, g, slot_pa, set);
		e |= set;
	}
	if (table >= mmu->window_len) {
		code |= X86_PF_RSVD;	/* a frame outside RAM: treat as a bad entry */
		goto fault;
	}
	unsigned char *host = sim_phys(mmu, table);
	uint64_t vpn = va >> 12;
	struct sim_tlb_entry *te = &tlb->e[vpn & (SIM_TLB_ENTRIES - 1)];
	unsigned int perm = SIM_ACCESS_READ;
	if ((e & (_PAGE_RW | _PAGE_DIRTY)) == (_PAGE_RW | _PAGE_DIRTY))
		perm |= SIM_ACCESS_WRITE;
	if (!g->has_nx || !(e & _PAGE_NX))
		perm |= SIM_ACCESS_FETCH;
	__atomic_store_n(&te->vpn, ~0ULL, __ATOMIC_RELAXED);
	te->asid = ctx->asid;
	te->gen = atomic_load_explicit(&ctx->gen, memory_order_relaxed);
	te->host = host;
	te->perm = perm;
	__atomic_store_n(&te->vpn, vpn, __ATOMIC_RELEASE);
	return host + (va & 0xfff);
fault:
	tlb->faults++;
	*fault_code = code;
	return NULL;
}

void sim_mmu_flush_range(struct sim_mmu *mmu, struct sim_mmu_ctx *ctx, uint64_t start, uint64_t end)
{
	uint64_t first = start >> 12, last = (end + 0xfff) >> 12;

	if (last - first > SIM_TLB_FLUSH_CEILING || last - first >= SIM_TLB_ENTRIES) {
		sim_mmu_flush_ctx(ctx);
		return;
	}
	for (int c = 0; c < mmu->nr_cpus; c++) {
		struct sim_tlb *tlb = &mmu->tlb[c];
		for (uint64_t vpn = first; vpn < last; vpn++) {
			struct sim_tlb_entry *te = &tlb->e[vpn & (SIM_TLB_ENTRIES - 1)];
			if (__atomic_load_n(&te->vpn, __ATOMIC_RELAXED) == vpn)
				__atomic_store_n(&te->vpn, ~0ULL, __ATOMIC_RELAXED);
		}
		__atomic_fetch_add(&tlb->flushes, 1, __ATOMIC_RELAXED);
	}
}
