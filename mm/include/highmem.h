// SPDX-License-Identifier: MIT
/*
 * mm/include/highmem.h - how kernel code reaches a page's bytes.
 *
 * Linux counterpart: include/linux/highmem.h. The rule, as in Linux: kernel
 * code touches a page's bytes only through kmap_local_page() (or kmap()),
 * or the helpers built on it here and in include/kmm/vmalloc.h
 * (clear_highpage, copy_highpage, memcpy_from_page, memcpy_to_page). For a
 * lowmem page these reduce to its direct-map address (page_address()); a
 * highmem page is mapped into a per-CPU fixmap slot for the duration. The
 * MMU's window onto RAM belongs to the simulated hardware
 * (arch/sim/mmu.h), never to kernel code (tests/boundaries.py checks it).
 */
#ifndef KMM_MM_INCLUDE_HIGHMEM_H
#define KMM_MM_INCLUDE_HIGHMEM_H

#include <string.h>

#include "include/kmm/vmalloc.h"
#include "mm/include/addr.h"

struct vm_area_struct;

/*
 * PageHighMem(): a frame with no direct-map address (i386 above
 * max_low_pfn). Lowmem pages need no mapping, so the helpers below handle
 * them inline and call kmap_local_page() (mm/highmem.c) only for highmem,
 * as Linux's highmem.h does.
 */
static inline bool page_is_highmem_m(const struct kmm_machine *m, const struct page *page)
{
	return kmm_arch_is_32(m) && pfn_is_highmem(m, page_to_pfn_m(m, page));
}

/**
 * clear_user_highpage() - zero a page that will be mapped at user address
 * @vaddr (a fresh anonymous page, the zero-fill of a fault).
 * Context: may map @page into a kmap_local slot of this CPU.
 */
static inline void clear_user_highpage(struct page *page, unsigned long vaddr)
{
	struct kmm_machine *m = page_machine(page);

	(void)vaddr;	/* x86 has no cache aliasing to flush */
	if (__builtin_expect(!page_is_highmem_m(m, page), 1))
		memset(lowmem_page_address_m(m, page), 0, PAGE_SIZE);
	else
		clear_highpage(page);
}

/**
 * copy_user_highpage() - copy @from to @to for user address @vaddr in @vma
 * (copy-on-write, fork's copy of a pinned page, migration).
 * Context: may map both pages into kmap_local slots of this CPU.
 */
static inline void copy_user_highpage(struct page *to, struct page *from, unsigned long vaddr,
				      struct vm_area_struct *vma)
{
	struct kmm_machine *m = page_machine(to);

	(void)vaddr;
	(void)vma;
	if (__builtin_expect(!page_is_highmem_m(m, to) && !page_is_highmem_m(m, from), 1))
		memcpy(lowmem_page_address_m(m, to), lowmem_page_address_m(m, from), PAGE_SIZE);
	else
		copy_highpage(to, from);
}

/**
 * kmap_nr_waiting() - how many kmap() calls of @m wait for a free PKMAP slot
 * now (every slot was in use when they looked). For tests that must know a
 * thread waits before they kunmap() to wake it.
 * Context: takes kmap_lock. Return: the count (0 without a PKMAP area).
 */
int kmap_nr_waiting(struct kmm_machine *m);

#endif /* KMM_MM_INCLUDE_HIGHMEM_H */
