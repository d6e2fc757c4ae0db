// SPDX-License-Identifier: MIT
/*
 * arch/x86/include/asm/pgtable_types.h - the x86 page-table entry formats:
 * entry bits, protections, the geometry of the 2-level, PAE and 4-level
 * tables, the entry helpers and the swap-entry encoding.
 *
 * Linux counterpart: arch/x86/include/asm/pgtable_types.h, pgtable-2level.h,
 * pgtable-3level.h, pgtable_64.h, pgtable_64_types.h (6.12). The geometries
 * and the swap encoding are defined in arch/x86/mm/pgtable.c; the tables
 * themselves (allocation, walks, freeing) are mm/pgtable.c's.
 *
 * Entry values are handled as 64-bit pteval_t everywhere; 2-level tables store
 * the low 32 bits.
 *
 * Locking: none; pure values and immutable geometry tables.
 */
#ifndef KMM_ASM_PGTABLE_TYPES_H
#define KMM_ASM_PGTABLE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kmm_machine;

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

/** pgtable_geometry_of() - the table shape of @m's arch (layout.pgtable_levels). */
const struct pgtable_geometry *pgtable_geometry_of(const struct kmm_machine *m);

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

#endif /* KMM_ASM_PGTABLE_TYPES_H */
