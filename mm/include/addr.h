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
 * Nothing outside mm/addr.c and this header does arithmetic across the two
 * (tests/boundaries.py holds every other file away from ram.direct). Two
 * host ranges hold kernel addresses:
 *   - the direct map, m->ram.direct, set up by boot: lowmem only;
 *   - the kernel window, m->kwin, reserved by the vmalloc layer's init: the
 *     vmalloc, PKMAP and fixmap space above the direct map, where frames
 *     appear only while something maps them there (vmalloc, kmap).
 * Both are plain data of the machine, so every conversion here is
 * arithmetic: this file calls no layer above it. Where a page's bytes are
 * depends on whether it has an address at all: page_address() (mm/highmem.c,
 * as in Linux) answers for highmem, kmap_local_page() maps it.
 *
 * Fast paths use the unchecked inline forms (virt_to_phys_m(),
 * phys_to_virt_m(), virt_to_page_m(), lowmem_page_address_m()) after a
 * virt_addr_valid_m() test or on an address they know is in the direct map;
 * everything else uses the checked functions, which say "not here" with
 * (uint64_t)-1, 0 or NULL.
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

/* ---- The direct map, inline for the fast paths ---- */

/** kmm_direct_map_bytes() - bytes of @m's direct map (lowmem: PFN_PHYS(max_low_pfn)). */
static inline uint64_t kmm_direct_map_bytes(const struct kmm_machine *m)
{
	return m->ram.direct_len;
}

/**
 * kmm_direct_map_base() - host address of physical 0 in @m's direct map,
 * for code that keeps a per-byte shadow or bitmap of it (slab's shadow, the
 * malloc shim's live map). Never add to it yourself: convert with the
 * functions below.
 */
static inline const void *kmm_direct_map_base(const struct kmm_machine *m)
{
	return m->ram.direct;
}

/** virt_addr_valid_m() - is host pointer @p in @m's direct map (Linux's virt_addr_valid)? */
static inline bool virt_addr_valid_m(const struct kmm_machine *m, const void *p)
{
	/* One compare: below the base wraps around to a huge offset. */
	return (uintptr_t)p - (uintptr_t)m->ram.direct < m->ram.direct_len;
}

/** virt_to_phys_m() - physical address of @p. @p must be in the direct map (unchecked). */
static inline uint64_t virt_to_phys_m(const struct kmm_machine *m, const void *p)
{
	return (uint64_t)((const char *)p - (const char *)m->ram.direct);
}

/** phys_to_virt_m() - direct-map host pointer of lowmem @pa (unchecked). */
static inline void *phys_to_virt_m(const struct kmm_machine *m, uint64_t pa)
{
	return (char *)m->ram.direct + pa;
}

/**
 * virt_to_page_m() - the struct page of direct-map pointer @p (unchecked; the
 * raw vmemmap slot, initialised only if its section is, see below).
 */
static inline struct page *virt_to_page_m(const struct kmm_machine *m, const void *p)
{
	return pfn_to_page_m(m, (unsigned long)(virt_to_phys_m(m, p) >> PAGE_SHIFT));
}

/** lowmem_page_address_m() - direct-map host address of lowmem @page (unchecked). */
static inline void *lowmem_page_address_m(const struct kmm_machine *m, const struct page *page)
{
	return phys_to_virt_m(m, PFN_PHYS(page_to_pfn_m(m, page)));
}

/**
 * kmm_direct_kva() - the simulated kernel virtual address of direct-map
 * pointer @p: PAGE_OFFSET + its physical address (unchecked; what reports
 * print instead of host pointers).
 */
static inline uint64_t kmm_direct_kva(const struct kmm_machine *m, const void *p)
{
	return m->layout.page_offset + virt_to_phys_m(m, p);
}

/* ---- The kernel window (vmalloc, PKMAP, fixmap) ---- */

/**
 * kernel_va_to_host() - host pointer of kernel virtual @va in @m's kernel
 * window. Return: NULL if @va is outside it (or the vmalloc layer is down).
 */
static inline void *kernel_va_to_host(const struct kmm_machine *m, uint64_t va)
{
	if (!m->kwin.host || va < m->kwin.va || va - m->kwin.va >= m->kwin.bytes)
		return NULL;
	return m->kwin.host + (va - m->kwin.va);
}

/** kernel_host_to_va() - the inverse. Return: 0 if @p is outside the window. */
static inline uint64_t kernel_host_to_va(const struct kmm_machine *m, const void *p)
{
	const char *c = p;

	if (!m->kwin.host || c < m->kwin.host || (uint64_t)(c - m->kwin.host) >= m->kwin.bytes)
		return 0;
	return m->kwin.va + (uint64_t)(c - m->kwin.host);
}

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
 * kmm_phys_to_host() - direct-map host pointer of physical @pa.
 * Return: the pointer, or NULL if @pa is not lowmem (incl. (uint64_t)-1).
 */
void *kmm_phys_to_host(const struct kmm_machine *m, uint64_t pa);

/**
 * kmm_host_to_kva() - simulated kernel virtual address of a host pointer:
 * direct map, or the kernel window (vmalloc, PKMAP, fixmap).
 * Return: the address, or 0 if @p belongs to no kernel mapping of @m.
 */
uint64_t kmm_host_to_kva(const struct kmm_machine *m, const void *p);

/**
 * kmm_kva_to_host() - host pointer for a simulated kernel virtual address
 * (direct map or the kernel window).
 * Return: the pointer, or NULL outside both.
 */
void *kmm_kva_to_host(const struct kmm_machine *m, uint64_t kva);

/**
 * kmm_machine_of_host() - the machine whose direct map holds @p (the current
 * machine is tried first). Return: the machine or NULL.
 */
struct kmm_machine *kmm_machine_of_host(const void *p);

/**
 * kmm_machine_of_kernel_window() - the machine whose kernel window holds @p
 * (the current machine first). Return: the machine or NULL.
 */
struct kmm_machine *kmm_machine_of_kernel_window(const void *p);

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
 * lowmem_page_address() - direct-map host address of @page (Linux's
 * lowmem_page_address). Return: NULL for a highmem page or no page.
 * page_address() (mm/highmem.c) adds the kmapped highmem case.
 */
void *lowmem_page_address(const struct page *page);

/**
 * kmm_init_reserved_section() - initialise the struct pages of a
 * SECTION_RESERVED section (every frame reserved) if nobody has yet.
 * Called by kmm_pfn_to_page(); safe from several threads at once.
 */
void kmm_init_reserved_section(struct kmm_machine *m, unsigned long section);
/**
 * kmm_init_reserved_block() - initialise the struct pages of @pfn's chunk
 * (MEMMAP_CHUNK_PAGES frames) if it is a reserved chunk of an ONLINE
 * section left untouched at boot (m->section_reserved, m->reserved_chunks).
 * Called by kmm_pfn_to_page(); safe from several threads at once.
 */
void kmm_init_reserved_block(struct kmm_machine *m, unsigned long pfn);
/**
 * kmm_init_free_chunk() - initialise the struct pages of @pfn's chunk
 * (MEMMAP_CHUNK_PAGES frames) as free tails of zone @zid of node @nid, if it
 * is a SECTION_LAZY_FREE chunk (a deferred block the allocator has split,
 * mm/page_alloc.c) nobody has initialised yet.
 * Called by kmm_pfn_to_page() and init_lazy_chunks(); safe from several
 * threads at once. Context: takes m->reserved_block_lock (after zone->lock
 * where the caller holds it).
 */
void kmm_init_free_chunk(struct kmm_machine *m, unsigned long pfn, int zid, int nid);

#endif /* KMM_ADDR_H */
