// SPDX-License-Identifier: MIT
/*
 * mm/addr.c - conversions between host pointers, physical addresses,
 * simulated kernel virtual addresses, page frame numbers and struct pages.
 *
 * Linux counterpart: arch/x86/include/asm/page*.h (__pa, __va, virt_to_page),
 * include/asm-generic/memory_model.h (pfn_to_page, page_to_pfn with
 * SPARSEMEM_VMEMMAP: one virtually contiguous array), include/linux/mm.h
 * (lowmem_page_address). page_address() itself is in mm/highmem.c, as in
 * Linux: this file calls no layer above it.
 *
 * Kept: the vmemmap model - struct page of pfn N is vmemmap[N], so
 * page_to_pfn is a subtraction; __pa/__va as PAGE_OFFSET arithmetic on the
 * direct map.
 * Added: a page finds its machine from the slot in page->flags, and - for a
 * struct page not initialised yet - from which machine's vmemmap holds it;
 * sections that are wholly reserved are initialised on first lookup.
 *
 * Invariant: for every machine m and lowmem pfn p,
 *   lowmem_page_address(pfn_to_page(p)) == m->ram.direct + p * PAGE_SIZE and
 *   __pa_m(m, page_to_kva(pfn_to_page(p))) == p * PAGE_SIZE.
 *
 * Locking: none (immutable boot data); the section state byte is updated
 * with atomics so that two threads never initialise one section twice.
 */
#include <errno.h>
#include <string.h>

#include "mm/include/addr.h"
#include "mm/internal.h"

static inline uint64_t direct_map_bytes(const struct kmm_machine *m)
{
	return kmm_direct_map_bytes(m);
}

uint64_t __pa_m(const struct kmm_machine *m, uint64_t kva)
{
	if (!m || kva < m->layout.page_offset || kva - m->layout.page_offset >= direct_map_bytes(m))
		return (uint64_t)-1;
	return kva - m->layout.page_offset;
}

uint64_t __va_m(const struct kmm_machine *m, uint64_t pa)
{
	if (!m || pa >= direct_map_bytes(m))
		return 0;
	return m->layout.page_offset + pa;
}

uint64_t kmm_host_to_phys(const struct kmm_machine *m, const void *p)
{
	if (!m || !virt_addr_valid_m(m, p))
		return (uint64_t)-1;
	return virt_to_phys_m(m, p);
}

void *kmm_phys_to_host(const struct kmm_machine *m, uint64_t pa)
{
	if (!m || !m->ram.direct || pa >= direct_map_bytes(m))
		return NULL;
	return phys_to_virt_m(m, pa);
}

uint64_t kmm_host_to_kva(const struct kmm_machine *m, const void *p)
{
	if (!m)
		return 0;
	if (virt_addr_valid_m(m, p))
		return kmm_direct_kva(m, p);
	return kernel_host_to_va(m, p);
}

void *kmm_kva_to_host(const struct kmm_machine *m, uint64_t kva)
{
	uint64_t pa = __pa_m(m, kva);

	if (pa != (uint64_t)-1)
		return phys_to_virt_m(m, pa);
	return m ? kernel_va_to_host(m, kva) : NULL;
}

struct kmm_machine *kmm_machine_of_host(const void *p)
{
	struct kmm_machine *m = kmm_current();

	if (m && kmm_host_to_phys(m, p) != (uint64_t)-1)
		return m;
	for (int i = 1; i <= KMM_MAX_MACHINES; i++) {
		m = __atomic_load_n(&kmm_machines[i], __ATOMIC_ACQUIRE);
		if (m && virt_addr_valid_m(m, p))
			return m;
	}
	return NULL;
}

struct kmm_machine *kmm_machine_of_kernel_window(const void *p)
{
	struct kmm_machine *m = kmm_current();

	if (m && kernel_host_to_va(m, p))
		return m;
	for (int i = 1; i <= KMM_MAX_MACHINES; i++) {
		m = __atomic_load_n(&kmm_machines[i], __ATOMIC_ACQUIRE);
		if (m && kernel_host_to_va(m, p))
			return m;
	}
	return NULL;
}

/* ---- Page frames ---- */

bool pfn_valid_m(const struct kmm_machine *m, unsigned long pfn)
{
	unsigned long section = pfn >> SECTION_SHIFT;

	if (!m || !m->section_state || section >= m->nr_sections)
		return false;
	return __atomic_load_n(&m->section_state[section], __ATOMIC_ACQUIRE) != SECTION_ABSENT;
}

static bool vmemmap_holds(const struct kmm_machine *m, const struct page *page)
{
	return m && m->vmemmap && page >= m->vmemmap &&
	       (size_t)((const char *)page - (const char *)m->vmemmap) < m->vmemmap_bytes;
}

struct kmm_machine *kmm_page_machine(const struct page *page)
{
	struct kmm_machine *m = page_machine(page);

	if (vmemmap_holds(m, page))
		return m;
	m = kmm_current();
	if (vmemmap_holds(m, page))
		return m;
	for (int i = 1; i <= KMM_MAX_MACHINES; i++) {
		m = __atomic_load_n(&kmm_machines[i], __ATOMIC_ACQUIRE);
		if (vmemmap_holds(m, page))
			return m;
	}
	return NULL;
}

/**
 * page_to_pfn() - the frame number of @page, on whichever machine holds it.
 * Context: any. Return: the pfn, or 0 if @page is no machine's struct page.
 */
unsigned long page_to_pfn(const struct page *page)
{
	struct kmm_machine *m = kmm_page_machine(page);

	return m ? page_to_pfn_m(m, page) : 0;
}

/*
 * The zone and node of @pfn, by the zone spans (first zone that spans it, as
 * Linux's __init_page_from_nid picks). Reserved sections are wholly inside
 * one zone of one node, so this always finds one for them.
 */
static bool pfn_zone_nid(const struct kmm_machine *m, unsigned long pfn, int *zid, int *nid)
{
	for (int n = 0; n < m->nr_node_ids; n++) {
		const pg_data_t *pgdat = m->node_data[n];

		for (int z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &pgdat->node_zones[z];

			if (zone->spanned_pages && zone_spans_pfn(zone, pfn)) {
				*zid = z;
				*nid = n;
				return true;
			}
		}
	}
	return false;
}

void kmm_init_reserved_section(struct kmm_machine *m, unsigned long section)
{
	unsigned char *state = &m->section_state[section];
	unsigned char expect = SECTION_RESERVED;
	unsigned long start = section << SECTION_SHIFT, pfn;
	int zid = ZONE_NORMAL, nid = 0;

	if (!__atomic_compare_exchange_n(state, &expect, SECTION_INITIALIZING, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		/* Someone else is at it (or it is done): wait for ONLINE. */
		while (__atomic_load_n(state, __ATOMIC_ACQUIRE) == SECTION_INITIALIZING)
			sim_cpu_relax();
		return;
	}
	pfn_zone_nid(m, start, &zid, &nid);
	for (pfn = start; pfn < start + PAGES_PER_SECTION; pfn++)
		__init_single_page(m, pfn_to_page_m(m, pfn), pfn, (enum zone_type)zid, nid);
	atomic_fetch_add_explicit(&m->memmap_init_pages, PAGES_PER_SECTION, memory_order_relaxed);
	__atomic_store_n(state, SECTION_ONLINE, __ATOMIC_RELEASE);
}

/*
 * __init_single_page() for a reserved page initialised after boot, every
 * field stored atomically: a buddy or pageblock walker under zone->lock may
 * read a neighbouring chunk's pages at the same time (PageBuddy, PageLRU:
 * false before as after).
 */
static void init_reserved_page_late(struct kmm_machine *m, unsigned long pfn, int zid, int nid)
{
	struct page *page = pfn_to_page_m(m, pfn), tmp;

	__init_single_page(m, &tmp, pfn, (enum zone_type)zid, nid);
	__atomic_store_n(&page->union_words[0], (unsigned long)&page->lru, __ATOMIC_RELAXED);
	__atomic_store_n(&page->union_words[1], (unsigned long)&page->lru, __ATOMIC_RELAXED);
	for (int i = 2; i < 5; i++)
		__atomic_store_n(&page->union_words[i], tmp.union_words[i], __ATOMIC_RELAXED);
	atomic_store_explicit(&page->_mapcount, atomic_load_explicit(&tmp._mapcount,
								     memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&page->_refcount, atomic_load_explicit(&tmp._refcount,
								     memory_order_relaxed),
			      memory_order_relaxed);
	__atomic_store_n(&page->memcg_data, tmp.memcg_data, __ATOMIC_RELAXED);
	__atomic_store_n(&page->flags, tmp.flags, __ATOMIC_RELAXED);
}

void kmm_init_reserved_block(struct kmm_machine *m, unsigned long pfn)
{
	unsigned long sec = pfn >> SECTION_SHIFT, start = ALIGN_DOWN(pfn, MEMMAP_CHUNK_PAGES);
	uint32_t bit = 1u << ((pfn >> MAX_PAGE_ORDER) & ((PAGES_PER_SECTION >> MAX_PAGE_ORDER) - 1));
	uint16_t *chunks = &m->reserved_chunks[pfn >> MAX_PAGE_ORDER], cbit = memmap_chunk_bit(pfn);
	int zid = ZONE_NORMAL, nid = 0;

	spin_lock(&m->reserved_block_lock);
	if ((__atomic_load_n(&m->section_reserved[sec], __ATOMIC_ACQUIRE) & bit) &&
	    (__atomic_load_n(chunks, __ATOMIC_ACQUIRE) & cbit)) {
		/* A hole before the first zone (pfn 0): boot files it with the zone after. */
		if (!pfn_zone_nid(m, start, &zid, &nid))
			pfn_zone_nid(m, start + MEMMAP_CHUNK_PAGES - 1, &zid, &nid);
		for (pfn = start; pfn < start + MEMMAP_CHUNK_PAGES; pfn++)
			init_reserved_page_late(m, pfn, zid, nid);
		atomic_fetch_add_explicit(&m->memmap_init_pages, MEMMAP_CHUNK_PAGES,
					  memory_order_relaxed);
		/* The pages, then the chunk's bit, then the block's (pfn_init_state reads backwards). */
		if (!(__atomic_and_fetch(chunks, (uint16_t)~cbit, __ATOMIC_RELEASE)))
			__atomic_fetch_and(&m->section_reserved[sec], ~bit, __ATOMIC_RELEASE);
	}
	spin_unlock(&m->reserved_block_lock);
}

void kmm_init_free_chunk(struct kmm_machine *m, unsigned long pfn, int zid, int nid)
{
	unsigned long sec = pfn >> SECTION_SHIFT, start = ALIGN_DOWN(pfn, MEMMAP_CHUNK_PAGES);
	uint32_t bit = 1u << ((pfn >> MAX_PAGE_ORDER) & ((PAGES_PER_SECTION >> MAX_PAGE_ORDER) - 1));
	uint16_t *chunks = &m->reserved_chunks[pfn >> MAX_PAGE_ORDER], cbit = memmap_chunk_bit(pfn);

	spin_lock(&m->reserved_block_lock);
	if ((__atomic_load_n(&m->section_lazy[sec], __ATOMIC_ACQUIRE) & bit) &&
	    (__atomic_load_n(chunks, __ATOMIC_ACQUIRE) & cbit)) {
		/*
		 * Free tails: nobody reads them before the chunk's bit is clear
		 * (pfn_init_state()), so plain stores, published by the release.
		 */
		for (pfn = start; pfn < start + MEMMAP_CHUNK_PAGES; pfn++) {
			struct page *p = pfn_to_page_m(m, pfn);

			__init_single_page(m, p, pfn, (enum zone_type)zid, nid);
			__page_flag_clear(p, PG_reserved);
			set_page_count(p, 0);
		}
		atomic_fetch_add_explicit(&m->memmap_init_pages, MEMMAP_CHUNK_PAGES,
					  memory_order_relaxed);
		/* The pages, then the chunk's bit, then the block's (pfn_init_state reads backwards). */
		if (!(__atomic_and_fetch(chunks, (uint16_t)~cbit, __ATOMIC_RELEASE)))
			__atomic_fetch_and(&m->section_lazy[sec], ~bit, __ATOMIC_RELEASE);
	}
	spin_unlock(&m->reserved_block_lock);
}

/**
 * kmm_pfn_to_page() - the struct page of @pfn on @m.
 *
 * A wholly reserved section (SECTION_RESERVED), or a reserved chunk of a
 * partly reserved section (MEMMAP_CHUNK_PAGES frames boot left untouched,
 * m->reserved_chunks), is initialised on the first call that reaches it, and
 * so is a chunk of free pages of a deferred block the allocator has split
 * (SECTION_LAZY_FREE). A section still deferred (all free, owned by the
 * buddy allocator until it first allocates from it) is returned as is: its
 * struct pages are not initialised yet, as with Linux's deferred init.
 * Context: any; may initialise 32768 struct pages once per reserved section,
 * 64 once per reserved chunk.
 * Return: the page, or NULL if @pfn is beyond the last section or in a
 * section without RAM (e.g. the PCI hole).
 */
struct page *kmm_pfn_to_page(struct kmm_machine *m, unsigned long pfn)
{
	unsigned long section = pfn >> SECTION_SHIFT;
	unsigned char state;

	if (!m || !m->section_state || section >= m->nr_sections)
		return NULL;
	state = __atomic_load_n(&m->section_state[section], __ATOMIC_ACQUIRE);
	if (state == SECTION_ABSENT)
		return NULL;
	if (unlikely(state == SECTION_RESERVED || state == SECTION_INITIALIZING))
		kmm_init_reserved_section(m, section);
	else if (unlikely(m->section_reserved &&
			  __atomic_load_n(&m->section_reserved[section], __ATOMIC_RELAXED)) &&
		 pfn_init_state(m, pfn) == SECTION_RESERVED)
		kmm_init_reserved_block(m, pfn);
	else if (unlikely(m->section_lazy &&
			  __atomic_load_n(&m->section_lazy[section], __ATOMIC_RELAXED)) &&
		 pfn_init_state(m, pfn) == SECTION_LAZY_FREE) {
		/* The block's first chunk is initialised first: its zone and node are the block's. */
		const struct page *first = pfn_to_page_m(m, ALIGN_DOWN(pfn, MAX_ORDER_NR_PAGES));

		kmm_init_free_chunk(m, pfn, (int)page_zonenum(first), page_to_nid(first));
	}
	return pfn_to_page_m(m, pfn);
}

void *lowmem_page_address(const struct page *page)
{
	struct kmm_machine *m = page ? kmm_page_machine(page) : NULL;
	unsigned long pfn;

	if (!m || !m->ram.direct)
		return NULL;
	pfn = page_to_pfn_m(m, page);
	return pfn < m->max_low_pfn ? phys_to_virt_m(m, PFN_PHYS(pfn)) : NULL;
}

uint64_t page_to_kva(const struct page *page)
{
	struct kmm_machine *m = kmm_page_machine(page);
	unsigned long pfn;

	if (!m)
		return 0;
	pfn = page_to_pfn_m(m, page);
	return pfn < m->max_low_pfn ? m->layout.page_offset + PFN_PHYS(pfn) : 0;
}

/**
 * virt_to_page() - the struct page behind a host pointer into a machine's
 * direct map (the current machine is tried first).
 * Return: the page, or NULL if @addr is in no machine's direct map.
 */
struct page *virt_to_page(const void *addr)
{
	struct kmm_machine *m = kmm_machine_of_host(addr);

	if (!m)
		return NULL;
	return kmm_pfn_to_page(m, (unsigned long)PFN_DOWN(virt_to_phys_m(m, addr)));
}
