// SPDX-License-Identifier: MIT
/*
 * arch/sim/mmu.h - the simulated CPU's memory-management unit: a page-table
 * walker in the x86 format and a per-CPU TLB.
 *
 * The MMU is hardware: it reads page tables and frames through its own host
 * window onto the whole RAM file (lowmem and highmem alike, no kmap needed),
 * sets the accessed and dirty bits in the leaf entry as an x86 CPU does, and
 * raises a page fault with an x86 error code when the walk fails. It never
 * calls into mm/; the fault loop around it lives in mm/memory.c.
 *
 * TLB: per CPU slot, direct-mapped, SIM_TLB_ENTRIES entries tagged with
 * (virtual page, address-space id, the address space's flush generation).
 * A whole-mm flush bumps the generation (every entry of that mm turns stale
 * at once); a page flush invalidates the matching entry on every CPU, as
 * Linux's flush_tlb_mm_range() does through IPIs. A write hits only an entry
 * filled by a write (or by a read of an already dirty, writable PTE), so the
 * dirty bit is set by a walk exactly as on x86.
 *
 * Locking: a TLB entry is filled and read only by the thread that owns its
 * CPU slot; a flusher on another CPU only stores ~0 into an entry's vpn
 * (atomically), so the owner sees either the old entry or none, as a CPU
 * sees a stale translation until the shootdown IPI lands.
 */
#ifndef KMM_ARCH_SIM_MMU_H
#define KMM_ARCH_SIM_MMU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/sim/sim.h"
#include "mm/include/pgtable.h"

#define SIM_TLB_BITS 10
#define SIM_TLB_ENTRIES (1u << SIM_TLB_BITS)
/* Linux's tlb_single_page_flush_ceiling: above this, flush the whole mm. */
#define SIM_TLB_FLUSH_CEILING 33

/* x86 page-fault error code bits (arch/x86/include/asm/trap_pf.h) */
#define X86_PF_PROT	0x01
#define X86_PF_WRITE	0x02
#define X86_PF_USER	0x04
#define X86_PF_RSVD	0x08
#define X86_PF_INSTR	0x10

enum sim_access {
	SIM_ACCESS_READ = 1,
	SIM_ACCESS_WRITE = 2,
	SIM_ACCESS_FETCH = 4,
};

struct sim_tlb_entry {
	uint64_t vpn;		/* virtual page number; ~0 when invalid */
	uint32_t asid;		/* address-space id */
	uint32_t gen;		/* the address space's flush generation at fill */
	unsigned char *host;	/* host address of the frame in the window */
	unsigned int perm;	/* enum sim_access bits this entry grants */
};

struct sim_tlb {
	struct sim_tlb_entry e[SIM_TLB_ENTRIES];
	unsigned long hits, misses, walks, faults, flushes;	/* owner slot writes */
} __attribute__((aligned(64)));

/* An address-space context: what CR3 and the PCID hold on a real CPU. */
struct sim_mmu_ctx {
	uint64_t cr3;				/* physical address of the root table */
	uint32_t asid;
	_Atomic uint32_t gen;			/* bumped by a whole-context flush */
	const struct pgtable_geometry *geo;
};

struct sim_mmu {
	unsigned char *window;	/* host address of physical 0, whole RAM */
	uint64_t window_len;
	bool own_window;	/* mapped here (unmap at destroy) */
	int nr_cpus;
	struct sim_tlb *tlb;	/* [nr_cpus] */
};

/**
 * sim_mmu_create() - an MMU for @ram with @nr_cpus TLBs. The window is a
 * MAP_SHARED mapping of the whole memory file (or the direct map when the
 * RAM is anonymous and so has no file).
 * Return: the MMU or NULL.
 */
struct sim_mmu *sim_mmu_create(struct sim_ram *ram, int nr_cpus);
void sim_mmu_destroy(struct sim_mmu *mmu);

/** sim_phys() - host address of physical address @pa through the window. */
static inline void *sim_phys(const struct sim_mmu *mmu, uint64_t pa)
{
	return mmu->window + pa;
}

/**
 * sim_mmu_walk() - the hardware walk: translate @va for @access, setting
 * the accessed (and, for a write, dirty) bit. Fills the TLB of @cpu.
 * @fault_code: set to the x86 error code when the walk faults.
 * Return: host address of the byte at @va, or NULL on a fault.
 */
void *sim_mmu_walk(struct sim_mmu *mmu, struct sim_mmu_ctx *ctx, int cpu, uint64_t va,
		   unsigned int access, unsigned int *fault_code);

/**
 * sim_mmu_translate() - TLB lookup, walking on a miss.
 * Return: as sim_mmu_walk().
 */
static inline void *sim_mmu_translate(struct sim_mmu *mmu, struct sim_mmu_ctx *ctx, int cpu,
				      uint64_t va, unsigned int access, unsigned int *fault_code)
{
	struct sim_tlb *tlb = &mmu->tlb[cpu];
	uint64_t vpn = va >> 12;
	struct sim_tlb_entry *e = &tlb->e[vpn & (SIM_TLB_ENTRIES - 1)];

	if (__builtin_expect(__atomic_load_n(&e->vpn, __ATOMIC_RELAXED) == vpn && e->asid == ctx->asid &&
			     e->gen == atomic_load_explicit(&ctx->gen, memory_order_relaxed) &&
			     (e->perm & access) == access, 1)) {
		tlb->hits++;
		return e->host + (va & 0xfff);
	}
	return sim_mmu_walk(mmu, ctx, cpu, va, access, fault_code);
}

/** sim_mmu_flush_ctx() - invalidate every TLB entry of @ctx on all CPUs. */
static inline void sim_mmu_flush_ctx(struct sim_mmu_ctx *ctx)
{
	atomic_fetch_add_explicit(&ctx->gen, 1, memory_order_release);
}
/**
 * sim_mmu_flush_range() - invalidate [start, end) of @ctx on all CPUs: page
 * by page up to SIM_TLB_FLUSH_CEILING pages, else the whole context.
 */
void sim_mmu_flush_range(struct sim_mmu *mmu, struct sim_mmu_ctx *ctx, uint64_t start, uint64_t end);

#endif /* KMM_ARCH_SIM_MMU_H */
