// SPDX-License-Identifier: MIT
/*
 * mm/include/addr.h - the one place that converts between kinds of address.
 *
 * Linux counterpart: arch/x86/include/asm/page.h, page_32.h, page_64.h
 * (__pa, __va, virt_to_page, pfn_to_page), include/linux/mm.h
 * (page_address, lowmem_page_address).
 *
 * kmm has two kinds of address (DESIGN.md, decision 2):
 *   - host pointers (void *), which reach real bytes: the lowmem direct map is
 *     one host mapping of the RAM file, so a lowmem page's bytes live at
 *     m->ram.direct + pa;
 *   - simulated addresses (uint64_t): physical addresses, and kernel virtual
 *     addresses in the booted arch's layout (PAGE_OFFSET + pa in the direct
 *     map: 0xC0000000 + pa on i386, 0xffff888000000000 + pa on x86_64).
 *     These are what kmm prints and what page tables hold.
 *
 * Nothing outside mm/addr.c does arithmetic across the two. The vmalloc
 * layer owns the host window over vmalloc/PKMAP/fixmap space; addr.c asks it
 * (kernel_va_to_host / kernel_host_to_va) for addresses outside the direct
 * map, so callers need only these functions.
 *
 * The struct page array: m->vmemmap[pfn] for every pfn below the last
 * section boundary. Struct pages of a section are initialised when boot
 * touches the section (mixed sections), when the allocator first uses a
 * deferred section, or - for sections that are entirely reserved, such as the
 * mem_map of a 1 TiB machine - the first time kmm_pfn_to_page() is asked for
 * one of them (SECTION_RESERVED). Code holding an arbitrary pfn should use
 * kmm_pfn_to_page(); pfn_to_page_m() is the raw array access for pfns known
 * to be initialised (a page the caller got from the allocator, a free-list
 * neighbour inside an online section).
 *
 * Locking: none; all conversions read immutable boot data, except the lazy
 * initialisation of a reserved section, which is serialised per section by
 * an atomic state byte.
 */
#ifndef KMM_ADDR_H
#define KMM_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/include/machine.h"

/* ---- Physical <-> simulated kernel virtual (the direct map) ---- */

/**
 * __pa_m() - physical address of a simulated direct-map kernel address.
 * @kva: PAGE_OFFSET <= kva < high_memory.
 *
 * Return: the physical address, or (uint64_t)-1 if @kva is not in @m's
 * direct map (on i386 that includes every highmem and vmalloc address).
 */
uint64_t __pa_m(const struct kmm_machine *m, uint64_t kva);

/**
 * __va_m() - simulated direct-map kernel address of physical @pa.
 *
 * Return: PAGE_OFFSET + @pa, or 0 if @pa is not lowmem (only lowmem has a
 * direct-map address; highmem needs kmap).
 */
uint64_t __va_m(const struct kmm_machine *m, uint64_t pa);

/** __pa() / __va() - the same on the current machine (kmm_use). */
#define __pa(kva) __pa_m(kmm_current(), (kva))
#define __va(pa) __va_m(kmm_current(), (pa))

/* ---- Host pointers <-> simulated addresses ---- */

/**
 * kmm_host_to_phys() - physical address behind a host pointer into @m's
 * direct map. Return: the address, or (uint64_t)-1 outside the direct map.
 */
uint64_t kmm_host_to_phys(const struct kmm_machine *m, const void *p);

/**
 * kmm_host_to_kva() - simulated kernel virtual address of a host pointer:
 * direct map, or the vmalloc layer's window (vmalloc, PKMAP, fixmap).
 * Return: the address, or 0 if @p belongs to no kernel mapping of @m.
 */
uint64_t kmm_host_to_kva(struct kmm_machine *m, const void *p);

/**
 * kmm_kva_to_host() - host pointer for a simulated kernel virtual address
 * (direct map or the vmalloc layer's window).
 * Return: the pointer, or NULL if nothing is mapped there on the host side.
 */
void *kmm_kva_to_host(struct kmm_machine *m, uint64_t kva);

/**
 * kmm_machine_of_host() - the machine whose direct map holds @p (the current
 * machine is tried first). Return: the machine or NULL.
 */
struct kmm_machine *kmm_machine_of_host(const void *p);

/* ---- Page frames ---- */

/** pfn_valid_m() - true if @pfn has a struct page (its section holds RAM). */
bool pfn_valid_m(const struct kmm_machine *m, unsigned long pfn);

/**
 * kmm_page_machine() - the machine a struct page belongs to, found from the
 * address of the struct page itself (works for pages not yet initialised).
 */
struct kmm_machine *kmm_page_machine(const struct page *page);

/** page_to_phys_m() - physical address of @page. */
static inline uint64_t page_to_phys_m(const struct kmm_machine *m, const struct page *page)
{
	return PFN_PHYS(page_to_pfn_m(m, page));
}

/**
 * page_to_kva() - simulated direct-map kernel address of @page (what
 * page_address() points at, as the guest sees it). Return: 0 for highmem.
 */
uint64_t page_to_kva(const struct page *page);

/**
 * lowmem_pfn_address() - host pointer to the bytes of lowmem frame @pfn.
 * Return: NULL if @pfn is not lowmem.
 */
void *lowmem_pfn_address(const struct kmm_machine *m, unsigned long pfn);

/**
 * kmm_init_reserved_section() - initialise the struct pages of a
 * SECTION_RESERVED section (every frame reserved) if nobody has yet.
 * Called by kmm_pfn_to_page(); safe from several threads at once.
 */
void kmm_init_reserved_section(struct kmm_machine *m, unsigned long section);

#endif /* KMM_ADDR_H */
