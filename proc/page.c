// SPDX-License-Identifier: MIT
/*
 * proc/page.c - what /proc/kpageflags tells about every page frame: one
 * 64-bit word of KPF_* bits per pfn, for tools that draw physical memory
 * (the HTML report, the `map` verb).
 *
 * Linux counterpart: fs/proc/page.c (6.12): stable_page_flags() and
 * kpageflags_read(). Kept: the KPF_* bit numbers of
 * include/uapi/linux/kernel-page-flags.h and the kernel-hacking bits above
 * 32 (KPF_RESERVED, KPF_MLOCKED, KPF_PRIVATE, ...); a compound page's tail
 * reports its head's folio flags plus KPF_COMPOUND_TAIL; KPF_BUDDY only on
 * the first page of a free block; KPF_NOPAGE for a pfn without a struct
 * page. Simplified: the words are handed out by a C call
 * (kmm_kpageflags()), not read as a binary file; no KSM, THP, hugetlb, idle
 * or hwpoison pages exist. Added (kmm's bits, 42 and up, which Linux leaves
 * unused): the free block's order on its KPF_BUDDY page, a mark on the other
 * pages of a free block and on free pages held by per-CPU lists (Linux
 * shows both as pages with no flags), and the page's node, zone and
 * pageblock migrate type, so that one call gives all a map needs.
 *
 * Sections whose struct pages are not initialised are described without
 * touching them: a deferred block (or section) is free MAX_PAGE_ORDER blocks of
 * movable pageblocks; a wholly reserved one is all KPF_RESERVED (reading it
 * does not initialise it, unlike kmm_pfn_to_page()); a free chunk of a
 * deferred block the allocator has split (SECTION_LAZY_FREE) is tails of the
 * free block whose head precedes it.
 *
 * Locking: page flags are read without locks, as Linux's kpageflags reads
 * them, so a page that changes state during the call is reported in either
 * state; the per-CPU lists are read holding each CPU slot (kmm_cpu_lock), as
 * /proc/zoneinfo reads their counts, and no other lock is taken. Callers
 * that want a consistent picture (the CLI, between two commands) call it
 * while nothing else runs on the machine.
 */
#include <errno.h>
#include <stdlib.h>

#include "include/kmm/proc.h"
#include "mm/include/cpu_slot.h"
#include "mm/include/machine.h"
#include "mm/include/mm.h"
#include "mm/include/mmzone.h"
#include "proc/proc.h"

/* The zone whose span holds @pfn (NULL for none); @hint is tried first. */
static const struct zone *zone_of_pfn(const struct kmm_machine *m, unsigned long pfn,
				      const struct zone *hint)
{
	if (hint && zone_spans_pfn(hint, pfn))
		return hint;
	for (int n = 0; n < m->nr_node_ids; n++) {
		const pg_data_t *pgdat = m->node_data[n];
		if (!pgdat)
			continue;
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &pgdat->node_zones[z];
			if (READ_ONCE(zone->spanned_pages) && zone_spans_pfn(zone, pfn))
				return zone;
		}
	}
	return NULL;
}

/* The migrate type of the pageblock holding @pfn in @z, read from the zone's array. */
static int block_migratetype(const struct kmm_machine *m, const struct zone *z, unsigned long pfn)
{
	int pbo = m->pageblock_order;

	if (!z->pageblock_mt)
		return MIGRATE_MOVABLE;
	return __atomic_load_n(&z->pageblock_mt[(pfn >> pbo) - (z->zone_start_pfn >> pbo)],
			       __ATOMIC_RELAXED);
}

static uint64_t place_bits(int nid, const struct zone *z, int mt)
{
	return ((uint64_t)nid << KPF_KMM_NODE_SHIFT) | ((uint64_t)z->type << KPF_KMM_ZONE_SHIFT) |
	       ((uint64_t)mt << KPF_KMM_MT_SHIFT);
}

/* The node, zone and migrate type fields of a word. */
#define KPF_KMM_PLACE_MASK ((63ULL << KPF_KMM_NODE_SHIFT) | (7ULL << KPF_KMM_ZONE_SHIFT) | \
			    (7ULL << KPF_KMM_MT_SHIFT))

static inline uint64_t bit(int kpf)
{
	return 1ULL << kpf;
}

/* The page has a type (buddy, slab, table...): its _mapcount word is not a count. */
static inline bool page_typed(const struct page *p)
{
	unsigned int t = __atomic_load_n(&p->page_type, __ATOMIC_RELAXED) >> 24;

	return t >= PGTY_buddy && t < PGTY_mapcount_underflow;
}

/* Linux's stable_page_flags() for an initialised page that is not part of a free block. */
static uint64_t page_kpf(const struct page *page)
{
	const struct page *head = compound_head(page);
	unsigned long k = head->flags;
	uint64_t u = 0;

	if (PageTail(page))
		u |= bit(KPF_COMPOUND_TAIL);
	else if (PageHead(page))
		u |= bit(KPF_COMPOUND_HEAD);
	if (PageSlab(head))
		u |= bit(KPF_SLAB);
	else if (PageTable(head))
		u |= bit(KPF_PGTABLE);
	else if (page_has_type(head, PGTY_offline))
		u |= bit(KPF_OFFLINE);
	else if (!page_typed(head) && page_mapcount(head) > 0)
		u |= bit(KPF_MMAP);
	if (PageAnon(head))
		u |= bit(KPF_ANON);
	static const struct { int pg, kpf; } copy[] = {
		{ PG_locked, KPF_LOCKED }, { PG_dirty, KPF_DIRTY }, { PG_uptodate, KPF_UPTODATE },
		{ PG_writeback, KPF_WRITEBACK }, { PG_lru, KPF_LRU },
		{ PG_referenced, KPF_REFERENCED }, { PG_active, KPF_ACTIVE },
		{ PG_reclaim, KPF_RECLAIM }, { PG_swapbacked, KPF_SWAPBACKED },
		{ PG_unevictable, KPF_UNEVICTABLE }, { PG_mlocked, KPF_MLOCKED },
		{ PG_reserved, KPF_RESERVED }, { PG_owner_2, KPF_MAPPEDTODISK },
		{ PG_private, KPF_PRIVATE }, { PG_private_2, KPF_PRIVATE_2 },
		{ PG_owner_priv_1, KPF_OWNER_PRIVATE }, { PG_arch_1, KPF_ARCH },
	};
	for (size_t i = 0; i < ARRAY_SIZE(copy); i++)
		if (k & (1UL << copy[i].pg))
			u |= bit(copy[i].kpf);
	return u;
}

/*
 * The free block of the buddy allocator that covers @pfn from an earlier
 * pfn, if any: its head is the @pfn aligned down to 2^o for some o, typed
 * PGTY_buddy with an order >= o (Linux's is_free_buddy_page() search).
 * Return: the order of that block, or -1.
 */
static int covering_free_block(const struct kmm_machine *m, unsigned long pfn)
{
	for (unsigned int o = 1; o <= MAX_PAGE_ORDER; o++) {
		unsigned long head = pfn & ~((1UL << o) - 1);
		unsigned long sec = head >> SECTION_SHIFT;
		if (head == pfn)
			continue;
		if (sec >= READ_ONCE(m->nr_sections))
			return -1;
		int state = pfn_init_state(m, head);
		if (state == SECTION_LAZY_FREE)	/* a free tail: the head is further out */
			continue;
		if (state != SECTION_ONLINE)
			return -1;
		const struct page *p = pfn_to_page_m(m, head);
		if (PageBuddy(p) && p->private >= o && p->private <= MAX_PAGE_ORDER)
			return (int)p->private;
	}
	return -1;
}

/* A free block held by a per-CPU list. */
struct pcp_block {
	unsigned long pfn;
	unsigned int order;
};

/*
 * The blocks on every per-CPU list of @m that overlap [@lo, @hi), each
 * slot's lists read holding the slot (kmm_cpu_lock), as /proc/zoneinfo
 * reads its counts. Return: a malloc()ed array (*@n entries), or NULL.
 */
static struct pcp_block *pcp_blocks(struct kmm_machine *m, unsigned long lo, unsigned long hi,
				    size_t *n)
{
	struct pcp_block *b = NULL;
	size_t cap = 0;

	*n = 0;
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		for (int t = 0; t < MAX_NR_ZONES; t++) {
			struct zone *z = &m->node_data[nid]->node_zones[t];
			if (!z->per_cpu_pageset || zone_end_pfn(z) <= lo ||
			    READ_ONCE(z->zone_start_pfn) >= hi)
				continue;
			for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
				struct per_cpu_pages *pcp = per_cpu_ptr(z->per_cpu_pageset, cpu);
				if (!cpu_populated(&m->percpu, cpu))
					continue;	/* never handed out: no page on it */
				kmm_cpu_lock(m, cpu);
				for (int l = 0; l < NR_PCP_LISTS; l++) {
					struct list_head *pos;
					list_for_each(pos, &pcp->lists[l]) {
						struct page *page = list_entry(pos, struct page, pcp_list);
						unsigned long p = page_to_pfn_m(m, page);
						unsigned int o = (unsigned int)page->private;
						if (o > MAX_PAGE_ORDER || p + (1UL << o) <= lo || p >= hi)
							continue;
						if (*n == cap) {
							cap = cap ? 2 * cap : 64;
							struct pcp_block *nb = realloc(b, cap * sizeof(*b));
							if (!nb) {
								kmm_cpu_unlock(m, cpu);
								free(b);
								*n = 0;
								return NULL;
							}
							b = nb;
						}
						b[(*n)++] = (struct pcp_block){ p, o };
					}
				}
				kmm_cpu_unlock(m, cpu);
			}
		}
	}
	return b;
}

int kmm_kpageflags(struct kmm_machine *m, unsigned long pfn, unsigned long nr, uint64_t *out)
{
	size_t npcp = 0;
	unsigned long first = pfn;
	const struct zone *z = NULL;
	unsigned long tail_end = 0;	/* pages before this are tails of a free block */
	int tail_order = 0;

	m = proc_machine(m);
	if (!m || !out)
		return -EINVAL;
	if (!m->section_state)
		return -ENOENT;
	if (nr && pfn < READ_ONCE(m->max_pfn)) {
		int o = covering_free_block(m, pfn);
		if (o >= 0) {
			tail_end = (pfn & ~((1UL << o) - 1)) + (1UL << o);
			tail_order = o;
		}
	}
	for (unsigned long i = 0; i < nr; i++, pfn++) {
		unsigned long sec = pfn >> SECTION_SHIFT;
		int state = sec < READ_ONCE(m->nr_sections) && pfn < READ_ONCE(m->max_pfn)
			? pfn_init_state(m, pfn) : SECTION_ABSENT;

		if (state == SECTION_ABSENT || !(z = zone_of_pfn(m, pfn, z))) {
			out[i] = bit(KPF_NOPAGE);
			continue;
		}
		uint64_t place = place_bits(z->node, z, block_migratetype(m, z, pfn));
		if (state == SECTION_DEFERRED) {
			/* all free MAX_PAGE_ORDER blocks, movable (their pageblocks say so) */
			if (!(pfn & (MAX_ORDER_NR_PAGES - 1)))
				out[i] = bit(KPF_BUDDY) |
					 ((uint64_t)MAX_PAGE_ORDER << KPF_KMM_ORDER_SHIFT) | place;
			else
				out[i] = bit(KPF_KMM_BUDDY_TAIL) |
					 ((uint64_t)MAX_PAGE_ORDER << KPF_KMM_ORDER_SHIFT) | place;
			continue;
		}
		if (state == SECTION_LAZY_FREE && pfn < tail_end) {
			/* a free tail of a split deferred block, not initialised yet */
			out[i] = bit(KPF_KMM_BUDDY_TAIL) |
				 ((uint64_t)tail_order << KPF_KMM_ORDER_SHIFT) | place;
			continue;
		}
		if (state == SECTION_LAZY_FREE) {
			/* its block was split or taken meanwhile: the chunk is read as it is now */
			kmm_pfn_to_page(m, pfn);
			state = pfn_init_state(m, pfn);
		}
		if (state != SECTION_ONLINE) {		/* reserved, not initialised yet */
			out[i] = bit(KPF_RESERVED) | place;
			continue;
		}
		const struct page *page = pfn_to_page_m(m, pfn);
		/* a page's own node and zone, not the span's (zones of nodes may interleave) */
		place = ((uint64_t)page_to_nid(page) << KPF_KMM_NODE_SHIFT) |
			((uint64_t)page_zonenum(page) << KPF_KMM_ZONE_SHIFT) |
			(place & (7ULL << KPF_KMM_MT_SHIFT));
		if (PageBuddy(page) && page->private <= MAX_PAGE_ORDER) {
			tail_order = (int)page->private;
			tail_end = pfn + (1UL << tail_order);
			out[i] = bit(KPF_BUDDY) | ((uint64_t)tail_order << KPF_KMM_ORDER_SHIFT) | place;
			continue;
		}
		if (pfn < tail_end) {
			out[i] = bit(KPF_KMM_BUDDY_TAIL) |
				 ((uint64_t)tail_order << KPF_KMM_ORDER_SHIFT) | place;
			continue;
		}
		out[i] = page_kpf(page) | place;
	}
	/* free blocks on per-CPU lists: Linux shows them as pages with no flag */
	struct pcp_block *pb = nr ? pcp_blocks(m, first, first + nr, &npcp) : NULL;
	for (size_t b = 0; b < npcp; b++) {
		for (unsigned long p = pb[b].pfn; p < pb[b].pfn + (1UL << pb[b].order); p++) {
			if (p < first || p >= first + nr)
				continue;
			uint64_t *w = &out[p - first];
			*w = (*w & (KPF_KMM_PLACE_MASK)) | bit(KPF_KMM_PCP) |
			     ((uint64_t)pb[b].order << KPF_KMM_ORDER_SHIFT);
		}
	}
	free(pb);
	return 0;
}
