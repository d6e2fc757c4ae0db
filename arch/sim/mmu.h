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
 * TLB: one per host thread per MMU (struct kmm_tlb, include/kmm/mmu.h),
 * direct-mapped, KMM_TLB_ENTRIES entries tagged with (virtual page,
 * address-space id, the address space's flush generation). A whole-mm flush
 * bumps the generation (every entry of that mm turns stale at once); a page
 * flush invalidates the matching entry in every TLB of the MMU, as Linux's
 * flush_tlb_mm_range() does through IPIs. A write hits only an entry filled
 * by a write (or by a read of an already dirty, writable PTE), so the dirty
 * bit is set by a walk exactly as on x86.
 *
 * Locking: a TLB entry is filled and read only by the thread that owns the
 * TLB; a flusher on another thread only stores ~0 into an entry's vpn
 * (atomically), so the owner sees either the old entry or none, as a CPU
 * sees a stale translation until the shootdown IPI lands. mmu->tlbs_lock
 * guards the MMU's list of TLBs (attach, detach, and flushes walking it);
 * a thread's TLBs are detached and freed when the thread exits.
 */
#ifndef KMM_ARCH_SIM_MMU_H
#define KMM_ARCH_SIM_MMU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/sim/sim.h"
#include "include/kmm/mmu.h"
#include "arch/x86/include/asm/pgtable_types.h"

#define SIM_TLB_ENTRIES KMM_TLB_ENTRIES
/* Linux's tlb_single_page_flush_ceiling: above this, flush the whole mm. */
#define SIM_TLB_FLUSH_CEILING 33

/* x86 page-fault error code bits (arch/x86/include/asm/trap_pf.h) */
#define X86_PF_PROT	0x01
#define X86_PF_WRITE	0x02
#define X86_PF_USER	0x04
#define X86_PF_RSVD	0x08
#define X86_PF_INSTR	0x10

enum sim_access {
	SIM_ACCESS_READ = KMM_ACCESS_READ,
	SIM_ACCESS_WRITE = KMM_ACCESS_WRITE,
	SIM_ACCESS_FETCH = KMM_ACCESS_FETCH,
};

/* An address-space context: what CR3 and the PCID hold on a real CPU. */
struct sim_mmu_ctx {
	uint64_t cr3;				/* physical address of the root table */
	uint32_t asid;
	uint32_t gen;				/* bumped by a whole-context flush (atomic) */
	const struct pgtable_geometry *geo;
};

struct sim_mmu {
	unsigned char *window;	/* host address of physical 0, whole RAM */
	uint64_t window_len;
	bool own_window;	/* mapped here (unmap at destroy) */
	spinlock_t tlbs_lock;	/* @tlbs */
	struct kmm_tlb *tlbs;	/* every attached TLB (->mmu_next) */
	unsigned long range_flushes;	/* sim_mmu_flush_range() calls (atomic) */
	unsigned long busy_waits;	/* TLBs a shootdown found inside a bracket and waited for (atomic) */
	unsigned long shootdowns;	/* sim_mmu_shootdown_wait() calls (atomic) */
};

/**
 * sim_mmu_create() - an MMU for @ram. The window is a MAP_SHARED mapping of
 * the whole memory file (or the direct map when the RAM is anonymous and so
 * has no file). Return: the MMU or NULL.
 */
struct sim_mmu *sim_mmu_create(struct sim_ram *ram);
/** sim_mmu_destroy() - unmap the window; TLBs still attached are detached (their threads free them). */
void sim_mmu_destroy(struct sim_mmu *mmu);

/** sim_phys() - host address of physical address @pa through the window. */
static inline void *sim_phys(const struct sim_mmu *mmu, uint64_t pa)
{
	return mmu->window + pa;
}

/**
 * sim_mmu_tlb() - this thread's TLB for @mmu, attached on first use (a
 * detached TLB of the thread is reused); it becomes kmm_tlb_this.
 * Return: the TLB, or NULL when out of host memory.
 */
struct kmm_tlb *sim_mmu_tlb(struct sim_mmu *mmu);
/** sim_tlb_attach() - a fresh TLB on @mmu owned by the caller (a second CPU, for tests). */
struct kmm_tlb *sim_tlb_attach(struct sim_mmu *mmu);
/** sim_tlb_detach() - take a sim_tlb_attach() TLB off its MMU and free it. */
void sim_tlb_detach(struct kmm_tlb *tlb);

/**
 * sim_mmu_walk() - the hardware walk: translate @va for @access, setting
 * the accessed (and, for a write, dirty) bit. Fills @tlb.
 * @fault_code: set to the x86 error code when the walk faults.
 * Return: host address of the byte at @va, or NULL on a fault.
 */
void *sim_mmu_walk(struct sim_mmu *mmu, struct sim_mmu_ctx *ctx, struct kmm_tlb *tlb, uint64_t va,
		   unsigned int access, unsigned int *fault_code);

/** sim_tlb_hit() - the host address of @va if @tlb holds a translation granting @access, else NULL. */
static inline void *sim_tlb_hit(struct kmm_tlb *tlb, struct sim_mmu_ctx *ctx, uint64_t va,
				unsigned int access)
{
	uint64_t vpn = va >> 12;
	struct kmm_tlb_entry *e = &tlb->e[vpn & (SIM_TLB_ENTRIES - 1)];

	if (__builtin_expect(__atomic_load_n(&e->vpn, __ATOMIC_ACQUIRE) == vpn && e->asid == ctx->asid &&
			     e->gen == __atomic_load_n(&ctx->gen, __ATOMIC_RELAXED) &&
			     (e->perm & access) == access, 1)) {
		tlb->hits++;
		return (void *)(uintptr_t)(va + e->addend);
	}
	return NULL;
}

/**
 * sim_mmu_translate() - TLB lookup in @tlb, walking on a miss.
 * Return: as sim_mmu_walk().
 */
static inline void *sim_mmu_translate(struct sim_mmu *mmu, struct sim_mmu_ctx *ctx,
				      struct kmm_tlb *tlb, uint64_t va, unsigned int access,
				      unsigned int *fault_code)
{
	void *host = sim_tlb_hit(tlb, ctx, va, access);

	return host ? host : sim_mmu_walk(mmu, ctx, tlb, va, access, fault_code);
}

/*
 * The access bracket is half of a Dekker pair: the owner marks its TLB busy
 * and then loads an entry; a flusher invalidates entries and then loads
 * every TLB's busy (sim_mmu_shootdown_wait). Each side's store must be
 * ordered before its load. Two ways, chosen once, before the first MMU
 * exists:
 * - asymmetric (the host has membarrier(2), KMM_CPU_LOCKED is unset and
 *   ThreadSanitizer is not watching): the owner's store is plain (and a
 *   compiler barrier); the shootdown runs membarrier(PRIVATE_EXPEDITED),
 *   a full barrier on every running thread of the process, before its
 *   loads: either an owner's store is visible to them, or the owner's
 *   later loads see the invalidation. The cost moves from every access to
 *   the rare shootdown, as the CPU slots' guard does (mm/cpu_slot.c);
 *   unmap paths therefore wait once per batch (zap: 64 pages; truncation:
 *   once per range; reclaim: SWAP_CLUSTER_MAX pages; writeback's mkclean:
 *   32 pages), not once per page.
 * - locked: the owner's store is a locked read-modify-write (a full
 *   barrier), and so is one in the shootdown; ThreadSanitizer models both.
 * Under ThreadSanitizer, which cannot see membarrier's ordering, the locked
 * way is the default; KMM_TSAN_ASYMMETRIC=1 asks for the other, so that
 * TSan checks the rest of it (docs/testing.md: what TSan can and cannot
 * tell about it).
 */
#if defined(__SANITIZE_THREAD__)
#define SIM_TLB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIM_TLB_TSAN 1
#endif
#endif

/* Whether brackets open with a plain store (the asymmetric way above). Set once (atomic). */
extern int sim_tlb_asymmetric;

/**
 * sim_tlb_access_begin() / sim_tlb_access_end() - bracket one translation
 * through @tlb and the loads or stores made with it: an instruction in
 * flight (kmm_access's copy). Never held across a page fault or anything
 * that blocks; only @tlb's owning thread opens and closes its brackets, and
 * brackets do not nest (one instruction is in flight at a time: the access
 * loop closes its bracket before it faults or calls anything that may
 * access), so busy is a flag, 1 inside and 0 outside. The inline accessors
 * of <kmm/process.h> do not bracket.
 *
 * Opening and closing are stores, not read-modify-writes of a count: a
 * kmm_access() hit in a loop then carries no chain of store-to-load
 * forwarding from one call's bracket to the next (two such links a call
 * with the count). The shared empty TLB of threads that made no access yet
 * is written by many threads: it is on no MMU's list and nothing waits on
 * it, so its flag may say anything.
 */
static inline void sim_tlb_access_begin(struct kmm_tlb *tlb)
{
	if (__builtin_expect(__atomic_load_n(&sim_tlb_asymmetric, __ATOMIC_RELAXED), 1)) {
		__atomic_store_n(&tlb->busy, 1, __ATOMIC_RELAXED);
		atomic_signal_fence(memory_order_seq_cst);	/* before the entry's loads */
		return;
	}
	(void)__atomic_exchange_n(&tlb->busy, 1, __ATOMIC_SEQ_CST);	/* a full barrier */
}
/*
 * Closing is a release store: it orders the access's loads and stores
 * before it, so a shootdown that reads 0 finds the copy done.
 */
static inline void sim_tlb_access_end(struct kmm_tlb *tlb)
{
	__atomic_store_n(&tlb->busy, 0, __ATOMIC_RELEASE);
}
/**
 * sim_mmu_shootdown_wait() - after translations were flushed: wait until no
 * TLB of @mmu is inside an access bracket that may still use one (what the
 * acknowledgement of a TLB-shootdown IPI guarantees on x86). The caller
 * must not be inside a bracket itself. Costs a membarrier(2) in the
 * asymmetric way, and nothing more than the lock when no other thread has
 * a TLB on @mmu.
 */
void sim_mmu_shootdown_wait(struct sim_mmu *mmu);

/** sim_mmu_flush_ctx() - invalidate every TLB entry of @ctx on all CPUs. */
static inline void sim_mmu_flush_ctx(struct sim_mmu_ctx *ctx)
{
	__atomic_fetch_add(&ctx->gen, 1, __ATOMIC_SEQ_CST);
}
/**
 * sim_mmu_flush_range() - invalidate [start, end) of @ctx on all CPUs: page
 * by page up to SIM_TLB_FLUSH_CEILING pages, else the whole context.
 */
void sim_mmu_flush_range(struct sim_mmu *mmu, struct sim_mmu_ctx *ctx, uint64_t start, uint64_t end);

#endif /* KMM_ARCH_SIM_MMU_H */
