// SPDX-License-Identifier: MIT
/*
 * mm/include/pgtable.h - x86 page tables in the machine's own format.
 *
 * Linux counterpart: include/linux/pgtable.h (6.12). The x86 entry formats
 * (bits, protections, the geometry of each arch's tables, swap entries) are
 * in arch/x86/include/asm/pgtable_types.h and arch/x86/mm/pgtable.c.
 *
 * The tables live in simulated physical memory: every table is one frame from
 * the page allocator (GFP_KERNEL, lowmem, so its bytes are reachable through
 * the direct map), typed PGTY_table, counted in the node's NR_PAGETABLE and in
 * the owner's pgtables_bytes. Entries hold physical addresses and the real
 * x86 bits, so a table dumped from the memory file reads as a CPU would see it.
 * The root (PGD) table is not counted, as x86's pgd_alloc() in Linux 6.12
 * does not count it: VmPTE and PageTables cover the lower levels.
 *
 *   arch=i386        2 levels: PGD(1024 x 32-bit, 4 MiB each) -> PTE(1024 x 32-bit)
 *   arch=i386 + PAE  3 levels: PGD(4 x 64-bit, 1 GiB) -> PMD(512, 2 MiB) -> PTE(512)
 *   arch=x86_64      4 levels: PGD(512, 512 GiB) -> PUD(512, 1 GiB) -> PMD(512) -> PTE(512)
 *
 * Folded levels (P4D everywhere; PUD on PAE; PUD and PMD on 2-level i386) are
 * printed as "folded" by the walk printer, as Linux folds them at compile time.
 * Simplification: the PAE PGD (32 bytes in Linux, from a slab cache) takes a
 * whole frame here; only its first 4 entries are used.
 *
 * Entry values are handled as 64-bit pteval_t everywhere; 2-level tables store
 * the low 32 bits. The API works on one virtual address at a time; callers
 * (the process layer, vmalloc) hold the lock that protects the tables.
 *
 * Invariant: every non-none entry of an upper level points at a PGTY_table
 * frame; a table frame is referenced by exactly one upper entry (or is the root).
 *
 * Locking: leaf entries change under the owner's page-table lock (for user
 * tables the split lock of their PTE table, page->ptl of the table frame, as
 * Linux's ptdesc->ptl; the vmalloc layer's lock for kernel tables) and are read and written with atomic loads/stores, so the software
 * MMU may read them concurrently and set the accessed/dirty bits with an
 * atomic OR. A missing table is allocated with no lock held and installed
 * under @install_lock after the walk is made again under it (user tables),
 * or with a compare-and-swap (kernel tables; the loser frees its frame);
 * tables are unlinked only under the owner's exclusive lock (mmap_write_lock
 * and page_table_lock; a PTE table under its own lock too, after it was seen
 * empty under it) and handed to free_table, which for user tables waits
 * for a grace period (lockless walkers may still be reading them).
 */
#ifndef KMM_PGTABLE_H
#define KMM_PGTABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/sim/sim.h"
#include "arch/x86/include/asm/pgtable_types.h"
#include "lib/util.h"

struct kmm_machine;
struct page;

/* One set of page tables: a process's, or the kernel's. */
struct kmm_pgtable {
	struct kmm_machine *m;
	const struct pgtable_geometry *geo;
	uint64_t pgd_pa;		/* physical address of the root table ("CR3") */
	bool user;			/* upper entries get _PAGE_USER */
	atomic_long pgtables_bytes;	/* bytes of table frames below the root */
	/*
	 * PTE tables unlinked so far, each counted under its own lock: a
	 * fault that read this before its walk and reads it unchanged under
	 * the lock of the table it found knows that table is still linked.
	 */
	atomic_uint pte_unlinks;
	/*
	 * Taken to install a missing table (user tables: mm->page_table_lock,
	 * as Linux's pmd_install() under pmd_lock()), the lock the tables are
	 * freed under, so that free_pgtables never unlinks an upper table it saw
	 * empty into which a fault installed one meanwhile. NULL: installed with
	 * a compare-and-swap (the kernel's tables, which are never freed that way).
	 */
	spinlock_t *install_lock;
	/* Frees an unlinked table frame (counted out already); NULL: at once. */
	void (*free_table)(struct kmm_pgtable *pt, struct page *page);
};

/**
 * pgtable_init() - allocate the root table of @pt for machine @m.
 * @user: true for a process's tables (upper entries carry _PAGE_USER).
 * Context: may allocate with GFP_KERNEL.
 * Return: 0, or -ENOMEM with @pt untouched except for zeroed fields.
 */
int pgtable_init(struct kmm_pgtable *pt, struct kmm_machine *m, bool user);

/**
 * pgtable_destroy() - free every table frame of @pt, root included. Leaf
 * entries must already have been cleared by the owner (their pages are not
 * touched); the function counts and returns how many present leaves it found,
 * so a caller can assert 0.
 */
unsigned long pgtable_destroy(struct kmm_pgtable *pt);

/**
 * pgtable_walk() - find the leaf PTE slot of @va.
 * @alloc: allocate missing tables on the way (GFP_KERNEL|__GFP_ZERO).
 * @err: set to -ENOMEM if an allocation failed, -EFAULT if @va is beyond the
 *       tables' reach, 0 otherwise (may be NULL).
 * Return: a host pointer to the entry (4 or 8 bytes wide, see pte_get()), or
 * NULL when a table on the way is missing (and !@alloc) or on error.
 */
void *pgtable_walk(struct kmm_pgtable *pt, uint64_t va, bool alloc, int *err);

/** pte_get() - read the leaf entry at @slot (atomic load). */
static inline pteval_t pte_get(const struct kmm_pgtable *pt, const void *slot)
{
	if (pt->geo->entry_size == 4)
		return __atomic_load_n((const uint32_t *)slot, __ATOMIC_RELAXED);
	return __atomic_load_n((const uint64_t *)slot, __ATOMIC_RELAXED);
}
/** pte_set() - write the leaf entry at @slot (atomic store). */
static inline void pte_set(const struct kmm_pgtable *pt, void *slot, pteval_t v)
{
	if (pt->geo->entry_size == 4)
		__atomic_store_n((uint32_t *)slot, (uint32_t)v, __ATOMIC_RELEASE);
	else
		__atomic_store_n((uint64_t *)slot, v, __ATOMIC_RELEASE);
}
/** pte_xchg() - swap in @v, returning the old value (ptep_get_and_clear's core). */
static inline pteval_t pte_xchg(const struct kmm_pgtable *pt, void *slot, pteval_t v)
{
	if (pt->geo->entry_size == 4)
		return __atomic_exchange_n((uint32_t *)slot, (uint32_t)v, __ATOMIC_ACQ_REL);
	return __atomic_exchange_n((uint64_t *)slot, v, __ATOMIC_ACQ_REL);
}
/** pte_or() - atomically set bits (the MMU's accessed/dirty update). */
static inline void pte_or(const struct kmm_pgtable *pt, void *slot, pteval_t bits)
{
	if (pt->geo->entry_size == 4)
		__atomic_fetch_or((uint32_t *)slot, (uint32_t)bits, __ATOMIC_RELAXED);
	else
		__atomic_fetch_or((uint64_t *)slot, bits, __ATOMIC_RELAXED);
}
/** pte_clear_bits() - atomically clear bits (ptep_set_wrprotect, test_and_clear_young). */
static inline pteval_t pte_clear_bits(const struct kmm_pgtable *pt, void *slot, pteval_t bits)
{
	if (pt->geo->entry_size == 4)
		return __atomic_fetch_and((uint32_t *)slot, ~(uint32_t)bits, __ATOMIC_RELAXED);
	return __atomic_fetch_and((uint64_t *)slot, ~bits, __ATOMIC_RELAXED);
}

/** pgtable_get_pte() - the leaf entry of @va, 0 (none) when no table maps it. */
pteval_t pgtable_get_pte(struct kmm_pgtable *pt, uint64_t va);
/**
 * pgtable_set_pte() - store @v as the leaf entry of @va, allocating tables.
 * Return: 0, -ENOMEM (nothing changed) or -EFAULT (@va out of reach).
 */
int pgtable_set_pte(struct kmm_pgtable *pt, uint64_t va, pteval_t v);
/** pgtable_clear_pte() - clear the leaf entry of @va. Return: the old entry. */
pteval_t pgtable_clear_pte(struct kmm_pgtable *pt, uint64_t va);

/**
 * pgtable_free_range() - free the table frames that only map [@start, @end)
 * (Linux free_pgd_range with floor = @start, ceiling = @end), plus any table
 * left with no entries at all by the range's removal. Leaf entries in the
 * range must be none already.
 * Return: the number of table frames freed.
 */
unsigned long pgtable_free_range(struct kmm_pgtable *pt, uint64_t start, uint64_t end);

/**
 * pgtable_for_each_present() - call @fn for every present (or non-none, if
 * @nonnone) leaf entry in [@start, @end), in address order, skipping missing
 * tables in one step. @fn returns nonzero to stop; that value is returned.
 */
int pgtable_for_each_leaf(struct kmm_pgtable *pt, uint64_t start, uint64_t end, bool nonnone,
			  int (*fn)(void *arg, uint64_t va, void *slot, pteval_t v), void *arg);

/**
 * pgtable_for_each_pte_table() - call @fn once for every leaf (PTE) table
 * that maps part of [@start, @end), in address order, skipping missing
 * tables in one step: @va is the first address of the part, @slot its first
 * entry and @nr the number of entries (pages) of the part, consecutive in
 * the table (pte_slot_at() steps through them). No lock is taken: the caller
 * holds what keeps the tables (mmap_lock) and takes the page-table lock for
 * the entries. @fn returns nonzero to stop; that value is returned.
 */
int pgtable_for_each_pte_table(struct kmm_pgtable *pt, uint64_t start, uint64_t end,
			       int (*fn)(void *arg, uint64_t va, void *slot, unsigned long nr), void *arg);
/** pte_slot_at() - the entry @i places after @slot in the same table. */
static inline void *pte_slot_at(const struct kmm_pgtable *pt, void *slot, unsigned long i)
{
	return (char *)slot + i * (size_t)pt->geo->entry_size;
}

/**
 * pgtable_for_each_entry() - call @fn for every present upper entry (with
 * its level, the physical address of its table, its index and the first
 * address it maps), each followed by the entries of the table it points at,
 * and for every non-none leaf: the whole tree in address order. Folded
 * levels are not visited. @fn returns nonzero to stop; that value is returned.
 */
int pgtable_for_each_entry(struct kmm_pgtable *pt,
			   int (*fn)(void *arg, int level, uint64_t table, unsigned long idx,
				     uint64_t va, pteval_t v),
			   void *arg);

/** pgtable_nr_tables() - table frames of @pt below the root (pgtables_bytes / PAGE_SIZE). */
unsigned long pgtable_nr_tables(const struct kmm_pgtable *pt);
/** pgtable_count_tables() - table frames below the root found by walking them (checkers). */
unsigned long pgtable_count_tables(struct kmm_pgtable *pt);

struct strbuf;
/**
 * pgtable_dump_walk() - print the walk of @va level by level, as a learner
 * would draw it: each level's table address, index, entry value and bits, the
 * folded levels marked, then the final physical address or where the walk stopped.
 */
void pgtable_dump_walk(struct kmm_pgtable *pt, uint64_t va, struct strbuf *sb);

#endif /* KMM_PGTABLE_H */
