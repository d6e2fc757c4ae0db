// SPDX-License-Identifier: MIT
/*
 * mm/include/pgtable.h - x86 page tables in the machine's own format.
 *
 * Linux counterpart: arch/x86/include/asm/pgtable_types.h, pgtable-2level.h,
 * pgtable-3level.h, pgtable_64.h, include/linux/pgtable.h (6.12).
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
 * Locking: the owner's page-table lock (the process layer's procs->lock for user tables,
 * the vmalloc layer's lock for kernel tables). Leaf entries are read and
 * written with atomic loads/stores so the software MMU may read them
 * concurrently and set the accessed/dirty bits with an atomic OR.
 */
#ifndef KMM_PGTABLE_H
#define KMM_PGTABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/util.h"

struct kmm_machine;
struct page;

typedef uint64_t pteval_t;

/* ---- Entry bits (arch/x86/include/asm/pgtable_types.h) ---- */

#define _PAGE_BIT_PRESENT	0
#define _PAGE_BIT_RW		1
#define _PAGE_BIT_USER		2
#define _PAGE_BIT_PWT		3
#define _PAGE_BIT_PCD		4
#define _PAGE_BIT_ACCESSED	5
#define _PAGE_BIT_DIRTY		6
#define _PAGE_BIT_PSE		7
#define _PAGE_BIT_PAT		7
#define _PAGE_BIT_GLOBAL	8
#define _PAGE_BIT_SOFTW1	9
#define _PAGE_BIT_SOFTW2	10
#define _PAGE_BIT_SOFTW3	11
#define _PAGE_BIT_SPECIAL	_PAGE_BIT_SOFTW1	/* no struct page refcounting (zero page) */
#define _PAGE_BIT_UFFD_WP	_PAGE_BIT_SOFTW2
#define _PAGE_BIT_SOFT_DIRTY	_PAGE_BIT_SOFTW3
#define _PAGE_BIT_PROTNONE	_PAGE_BIT_GLOBAL	/* only when !present */
#define _PAGE_BIT_NX		63

#define _PAGE_PRESENT	(1ULL << _PAGE_BIT_PRESENT)
#define _PAGE_RW	(1ULL << _PAGE_BIT_RW)
#define _PAGE_USER	(1ULL << _PAGE_BIT_USER)
#define _PAGE_PWT	(1ULL << _PAGE_BIT_PWT)
#define _PAGE_PCD	(1ULL << _PAGE_BIT_PCD)
#define _PAGE_ACCESSED	(1ULL << _PAGE_BIT_ACCESSED)
#define _PAGE_DIRTY	(1ULL << _PAGE_BIT_DIRTY)
#define _PAGE_PSE	(1ULL << _PAGE_BIT_PSE)
#define _PAGE_GLOBAL	(1ULL << _PAGE_BIT_GLOBAL)
#define _PAGE_SPECIAL	(1ULL << _PAGE_BIT_SPECIAL)
#define _PAGE_UFFD_WP	(1ULL << _PAGE_BIT_UFFD_WP)
#define _PAGE_SOFT_DIRTY (1ULL << _PAGE_BIT_SOFT_DIRTY)
#define _PAGE_PROTNONE	(1ULL << _PAGE_BIT_PROTNONE)
#define _PAGE_NX	(1ULL << _PAGE_BIT_NX)

/* Upper-level entries (Linux _PAGE_TABLE / _KERNPG_TABLE). */
#define _PAGE_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)
#define _KERNPG_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)

/* Leaf protections (the common __P/__S values of x86's protection_map). */
#define PAGE_NONE	(_PAGE_PROTNONE | _PAGE_ACCESSED)
#define PAGE_READONLY	(_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX)
#define PAGE_READONLY_EXEC (_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED)
#define PAGE_SHARED	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX)
#define PAGE_SHARED_EXEC (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)
#define PAGE_COPY	PAGE_READONLY
#define PAGE_COPY_EXEC	PAGE_READONLY_EXEC
#define PAGE_KERNEL	(_PAGE_PRESENT | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED | _PAGE_GLOBAL | _PAGE_NX)
#define PAGE_KERNEL_RO	(_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_GLOBAL | _PAGE_NX)
#define PAGE_KERNEL_EXEC (_PAGE_PRESENT | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED | _PAGE_GLOBAL)

/* Page-table levels, top first, as Linux names them. */
enum pgtable_level {
	PGT_PGD,
	PGT_P4D,
	PGT_PUD,
	PGT_PMD,
	PGT_PTE,
	PGT_NR_LEVELS
};
extern const char *const pgtable_level_names[PGT_NR_LEVELS];

/*
 * The shape of one arch's tables: for each of the five named levels, whether
 * it is real (has its own table) and, if so, the address bit its index
 * starts at and how many index bits it has.
 */
struct pgtable_geometry {
	int levels;			/* 2, 3 or 4 real levels */
	int entry_size;			/* 4 or 8 bytes */
	bool real[PGT_NR_LEVELS];
	int shift[PGT_NR_LEVELS];	/* for folded levels: the shift of the next real one above */
	int bits[PGT_NR_LEVELS];	/* 0 for folded levels */
	pteval_t pfn_mask;		/* physical-address bits of an entry */
	bool has_nx;
	uint64_t va_limit;		/* first virtual address the tables cannot map */
};

/* One set of page tables: a process's, or the kernel's. */
struct kmm_pgtable {
	struct kmm_machine *m;
	const struct pgtable_geometry *geo;
	uint64_t pgd_pa;		/* physical address of the root table ("CR3") */
	bool user;			/* upper entries get _PAGE_USER */
	atomic_long pgtables_bytes;	/* bytes of table frames below the root */
};

/** pgtable_geometry_of() - the table shape of @m's arch (layout.pgtable_levels). */
const struct pgtable_geometry *pgtable_geometry_of(const struct kmm_machine *m);

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

/** pgtable_nr_tables() - table frames of @pt below the root (pgtables_bytes / PAGE_SIZE). */
unsigned long pgtable_nr_tables(const struct kmm_pgtable *pt);
/** pgtable_count_tables() - table frames below the root found by walking them (checkers). */
unsigned long pgtable_count_tables(struct kmm_pgtable *pt);

/* ---- Entry helpers ---- */

static inline bool pte_none(pteval_t v) { return v == 0; }
static inline bool pte_present(pteval_t v) { return v & (_PAGE_PRESENT | _PAGE_PROTNONE); }
static inline bool pte_write(pteval_t v) { return v & _PAGE_RW; }
static inline bool pte_dirty(pteval_t v) { return v & _PAGE_DIRTY; }
static inline bool pte_young(pteval_t v) { return v & _PAGE_ACCESSED; }
static inline bool pte_special(pteval_t v) { return v & _PAGE_SPECIAL; }
static inline bool pte_protnone(pteval_t v)
{
	return (v & (_PAGE_PRESENT | _PAGE_PROTNONE)) == _PAGE_PROTNONE;
}
/** pte_pfn() - the frame an entry points at (geometry-specific address mask). */
static inline unsigned long pte_pfn_geo(const struct pgtable_geometry *g, pteval_t v)
{
	return (unsigned long)((v & g->pfn_mask) >> 12);
}
/** pfn_pte() - an entry for frame @pfn with protection bits @prot. */
static inline pteval_t pfn_pte_geo(const struct pgtable_geometry *g, unsigned long pfn, pteval_t prot)
{
	if (!g->has_nx)
		prot &= ~_PAGE_NX;
	return (((pteval_t)pfn << 12) & g->pfn_mask) | prot;
}

/*
 * Swap entries in non-present PTEs (x86 encoding, simplified): present and
 * protnone clear; on 64-bit entries the type sits in bits 58..62 and the
 * offset, stored inverted as Linux does against L1TF, in bits 9..57; on
 * 2-level i386 the type is bits 1..5 and the offset bits 9..31.
 */
typedef struct { unsigned long val; } swp_entry_t;
#define SWP_TYPE_BITS 5
pteval_t swp_entry_to_pte(const struct pgtable_geometry *g, unsigned int type, unsigned long offset);
bool pte_is_swap(const struct pgtable_geometry *g, pteval_t v);
unsigned int pte_swp_type(const struct pgtable_geometry *g, pteval_t v);
unsigned long pte_swp_offset(const struct pgtable_geometry *g, pteval_t v);

/**
 * pte_flags_str() - the set bits of @v as "P RW U A D NX ..." into @buf.
 * Return: @buf.
 */
char *pte_flags_str(const struct pgtable_geometry *g, pteval_t v, char *buf, size_t len);

struct strbuf;
/**
 * pgtable_dump_walk() - print the walk of @va level by level, as a learner
 * would draw it: each level's table address, index, entry value and bits, the
 * folded levels marked, then the final physical address or where the walk stopped.
 */
void pgtable_dump_walk(struct kmm_pgtable *pt, uint64_t va, struct strbuf *sb);

#endif /* KMM_PGTABLE_H */
