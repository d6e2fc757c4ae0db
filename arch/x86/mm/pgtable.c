// SPDX-License-Identifier: MIT
/*
 * arch/x86/mm/pgtable.c - the x86 entry formats: the geometry of the
 * 2-level (i386), 3-level (PAE) and 4-level (x86_64) tables, the swap-entry
 * encoding in non-present entries, and the names of an entry's bits.
 *
 * Linux counterpart: arch/x86/include/asm/pgtable-2level.h,
 * pgtable-3level.h, pgtable_64.h (__swp_entry, __pte_to_swp_entry, the
 * inverted offset against L1TF), pgtable_types.h (6.12). Added:
 * pte_flags_str(), the entry's bits by name for the walk printer.
 *
 * Invariant: a geometry's real levels' shifts and bits tile the virtual
 * address below va_limit exactly; swp_entry_to_pte() never sets present or
 * protnone, and pte_swp_type()/pte_swp_offset() invert it.
 *
 * Locking: none; immutable tables and pure functions.
 */
#include <stdio.h>

#include "arch/x86/include/asm/pgtable_types.h"
#include "mm/include/boot.h"

static const struct pgtable_geometry geo_2level = {
	.levels = 2,
	.entry_size = 4,
	.real = { true, false, false, false, true },
	.shift = { 22, 22, 22, 22, 12 },
	.bits = { 10, 0, 0, 0, 10 },
	.pfn_mask = 0xfffff000ULL,
	.has_nx = false,
	.va_limit = 1ULL << 32,
};

static const struct pgtable_geometry geo_pae = {
	.levels = 3,
	.entry_size = 8,
	.real = { true, false, false, true, true },
	.shift = { 30, 30, 30, 21, 12 },
	.bits = { 2, 0, 0, 9, 9 },
	.pfn_mask = 0x00000ffffffff000ULL,	/* __PHYSICAL_MASK_SHIFT 44 */
	.has_nx = true,
	.va_limit = 1ULL << 32,
};

static const struct pgtable_geometry geo_4level = {
	.levels = 4,
	.entry_size = 8,
	.real = { true, false, true, true, true },
	.shift = { 39, 39, 30, 21, 12 },
	.bits = { 9, 0, 9, 9, 9 },
	.pfn_mask = 0x000ffffffffff000ULL,	/* __PHYSICAL_MASK_SHIFT 52 */
	.has_nx = true,
	.va_limit = 1ULL << 48,
};

const struct pgtable_geometry *pgtable_geometry_of(const struct kmm_machine *m)
{
	int levels = m->layout.pgtable_levels;

	if (!levels)
		levels = m->opts.arch == KMM_ARCH_I386 ? 2 :
			 m->opts.arch == KMM_ARCH_I386_PAE ? 3 : 4;
	return levels == 2 ? &geo_2level : levels == 3 ? &geo_pae : &geo_4level;
}

/* ---- Swap entries ---- */

pteval_t swp_entry_to_pte(const struct pgtable_geometry *g, unsigned int type, unsigned long offset)
{
	if (g->entry_size == 4)
		return ((pteval_t)(type & 0x1f) << 1) | ((pteval_t)offset << 9);
	/* offset inverted in bits 9..57, type in 58..62 */
	pteval_t off = (~(pteval_t)offset << 9) & ((1ULL << 58) - (1ULL << 9));
	return off | ((pteval_t)(type & 0x1f) << 58);
}

bool pte_is_swap(const struct pgtable_geometry *g, pteval_t v)
{
	(void)g;
	return !pte_none(v) && !pte_present(v);
}

unsigned int pte_swp_type(const struct pgtable_geometry *g, pteval_t v)
{
	if (g->entry_size == 4)
		return (unsigned int)((v >> 1) & 0x1f);
	return (unsigned int)((v >> 58) & 0x1f);
}

unsigned long pte_swp_offset(const struct pgtable_geometry *g, pteval_t v)
{
	if (g->entry_size == 4)
		return (unsigned long)((v >> 9) & 0x7fffff);
	return (unsigned long)((~v >> 9) & ((1ULL << 49) - 1));
}

/* ---- Printing an entry ---- */

char *pte_flags_str(const struct pgtable_geometry *g, pteval_t v, char *buf, size_t len)
{
	static const struct { pteval_t bit; const char *name; } bits[] = {
		{ _PAGE_PRESENT, "P" }, { _PAGE_RW, "RW" }, { _PAGE_USER, "U" },
		{ _PAGE_PWT, "PWT" }, { _PAGE_PCD, "PCD" }, { _PAGE_ACCESSED, "A" },
		{ _PAGE_DIRTY, "D" }, { _PAGE_PSE, "PSE" }, { _PAGE_GLOBAL, "G" },
		{ _PAGE_SPECIAL, "SPECIAL" }, { _PAGE_UFFD_WP, "UFFD_WP" },
		{ _PAGE_SOFT_DIRTY, "SOFT_DIRTY" }, { _PAGE_NX, "NX" },
	};
	size_t pos = 0;

	buf[0] = 0;
	if (pte_none(v)) {
		snprintf(buf, len, "none");
		return buf;
	}
	if (pte_is_swap(g, v) && !pte_protnone(v)) {
		snprintf(buf, len, "swap type %u offset %lu", pte_swp_type(g, v), pte_swp_offset(g, v));
		return buf;
	}
	for (size_t i = 0; i < ARRAY_SIZE(bits) && pos < len; i++) {
		pteval_t b = bits[i].bit;
		const char *name = bits[i].name;
		if (b == _PAGE_NX && !g->has_nx)
			continue;
		if (b == _PAGE_GLOBAL && pte_protnone(v))
			name = "PROTNONE";
		if (v & b)
			pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", pos ? " " : "", name);
	}
	return buf;
}
