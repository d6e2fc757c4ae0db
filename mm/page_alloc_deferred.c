// SPDX-License-Identifier: MIT
/*
 * mm/page_alloc_deferred.c - deferred sections: free MAX_PAGE_ORDER blocks
 * counted at boot before their struct pages exist, initialised the first
 * time the allocator reaches for them (deferred_init_one_block()), and the
 * free chunks of a split deferred block initialised as expand() makes a
 * head in them or hands their pages out (init_lazy_chunks()). Moved out of
 * page_alloc.c as it was (session 28, a pure move): none of it is on an
 * order-0 fast path.
 *
 * Linux counterpart: mm/mm_init.c's deferred struct page init
 * (deferred_init_memmap, deferred_init_memmap_chunk, deferred_grow_zone),
 * in role; the rows in docs/linux-map.md say how each differs.
 *
 * Locking: zone->lock guards a zone's deferred ranges and counts (taken
 * here by zone_add_deferred_blocks(), held by the callers of the rest).
 */
#include <stdlib.h>

#include "mm/include/addr.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"
#include "mm/include/mmdebug.h"
#include "mm/page_alloc.h"

/* count_vm_events() with the cached CPU slot; nothing before the CPU slots exist. */
static inline void count_events(struct kmm_machine *m, enum vm_event_item item, long n)
{
	if (m->cpus)
		count_events_cpu(m, kmm_this_cpu_inline(m), item, n);
}

/**
 * zone_add_deferred_blocks() - count @nr free MAX_PAGE_ORDER blocks from
 * @start_pfn, all in one section of @zone, whose struct pages stay untouched
 * until the allocator needs them. They are handed out in the order they were
 * added (boot adds them in the order an eager boot would free them).
 * @zone: the zone spanning the blocks.
 * @start_pfn: first pfn, MAX_ORDER_NR_PAGES aligned. @nr: blocks, >= 1.
 * Context: boot; takes zone->lock.
 */
void zone_add_deferred_blocks(struct zone *zone, unsigned long start_pfn, unsigned long nr)
{
	struct kmm_machine *m = zone->machine;
	struct deferred_range *dr = malloc(sizeof(*dr));
	unsigned long pages = nr << MAX_PAGE_ORDER;

	if (!dr) {
		kmm_printk(m, "kmm: no memory for a deferred range record at pfn %#lx", start_pfn);
		return;
	}
	dr->start_pfn = start_pfn;
	dr->nr_blocks = nr;
	spin_lock(&zone->lock);
	list_add_tail(&dr->list, &zone->deferred_ranges);
	__atomic_store_n(&zone->nr_deferred_blocks, zone->nr_deferred_blocks + nr, __ATOMIC_RELAXED);
	nr_free_add(&zone->free_area[MAX_PAGE_ORDER], (long)nr);
	/* Both or neither (a test's hand-made machine may have no sections). */
	if (m->section_state && m->section_deferred) {
		unsigned long sec = start_pfn >> SECTION_SHIFT;
		unsigned int first = (unsigned int)((start_pfn & (PAGES_PER_SECTION - 1)) >> MAX_PAGE_ORDER);
		uint32_t bits = (nr >= 32 ? ~0u : ((1u << nr) - 1)) << first;

		__atomic_fetch_or(&m->section_deferred[sec], bits, __ATOMIC_RELEASE);
		if (pages == PAGES_PER_SECTION)
			__atomic_store_n(&m->section_state[sec], SECTION_DEFERRED, __ATOMIC_RELEASE);
	}
	atomic_fetch_add_explicit(&zone->managed_pages, (long)pages, memory_order_relaxed);
	mod_zone_freepages_locked(zone, NR_FREE_PAGES, (long)pages);
	spin_unlock(&zone->lock);
	count_events(m, PGFREE, (long)pages);
}

/**
 * zone_add_deferred_section() - zone_add_deferred_blocks() of a whole section.
 * @zone: the zone spanning the section. @start_pfn: first pfn, section aligned.
 * Context: boot; takes zone->lock.
 */
void zone_add_deferred_section(struct zone *zone, unsigned long start_pfn)
{
	zone_add_deferred_blocks(zone, start_pfn, PAGES_PER_SECTION >> MAX_PAGE_ORDER);
}

/*
 * Initialise the struct pages of the first deferred block and put it at the
 * tail of the Movable list of MAX_PAGE_ORDER. Boot frees blocks to the tail
 * in ascending order (FPI_TO_TAIL) and the blocks are handed out only when
 * that list is empty, in the order boot deferred them, so the list order is
 * the same as if they had been initialised at boot. Only the head's chunk
 * (MEMMAP_CHUNK_PAGES struct pages, one host page) is touched now: the
 * others become SECTION_LAZY_FREE, free tails of the block, and are
 * initialised as expand() makes a head in them or hands their pages out
 * (init_lazy_chunks()), or as a reader asks for one (kmm_pfn_to_page()), so
 * a machine commits its mem_map as its allocations grow, a host page at a
 * time, as Linux's deferred init grows a zone a section at a time. A machine
 * without section_lazy (a test's hand-made one) initialises the whole block.
 * Their counts were added when the block was deferred.
 */
void deferred_init_one_block(struct zone *zone)
{
	struct kmm_machine *m = zone->machine;
	struct deferred_range *dr =
		list_first_entry(&zone->deferred_ranges, struct deferred_range, list);
	unsigned long start = dr->start_pfn, pfn, end = start + MAX_ORDER_NR_PAGES;
	struct list_head *list = &zone->free_area[MAX_PAGE_ORDER].free_list[MIGRATE_MOVABLE];
	bool lazy = m->section_state && m->section_deferred && m->section_lazy &&
		    m->reserved_chunks && !m->opts.eager_memmap;

	if (--dr->nr_blocks) {
		dr->start_pfn += MAX_ORDER_NR_PAGES;
	} else {
		list_del(&dr->list);
		free(dr);
	}
	__atomic_store_n(&zone->nr_deferred_blocks, zone->nr_deferred_blocks - 1, __ATOMIC_RELAXED);
	if (lazy)
		end = start + MEMMAP_CHUNK_PAGES;
	for (pfn = start; pfn < end; pfn++) {
		struct page *p = pfn_to_page_m(m, pfn);

		__init_single_page(m, p, pfn, zone->type, zone->node);
		owner_flag_clear(p, PG_reserved);
		set_page_count(p, 0);
	}
	atomic_fetch_add_explicit(&m->memmap_init_pages, end - start, memory_order_relaxed);
	struct page *head = pfn_to_page_m(m, start);

	set_buddy_order(head, MAX_PAGE_ORDER);
	fl_link(&head->buddy_list, list->prev, list);
	change_pageblock_range(zone, start, MAX_PAGE_ORDER, MIGRATE_MOVABLE);
	if (m->section_state && m->section_deferred) {
		unsigned long sec = start >> SECTION_SHIFT;
		unsigned int bit = (unsigned int)((start & (PAGES_PER_SECTION - 1)) >> MAX_PAGE_ORDER);

		if (lazy) {
			/* The other chunks untouched, before the block stops being deferred. */
			__atomic_store_n(&m->reserved_chunks[start >> MAX_PAGE_ORDER],
					 (uint16_t)(((1u << MEMMAP_CHUNKS_PER_BLOCK) - 1) & ~1u),
					 __ATOMIC_RELEASE);
			__atomic_fetch_or(&m->section_lazy[sec], 1u << bit, __ATOMIC_RELEASE);
		}
		/* The pages first, then the bit, then the state (pfn_init_state reads backwards). */
		__atomic_fetch_and(&m->section_deferred[sec], ~(1u << bit), __ATOMIC_RELEASE);
		if (m->section_state[sec] == SECTION_DEFERRED)
			__atomic_store_n(&m->section_state[sec], SECTION_ONLINE, __ATOMIC_RELEASE);
	}
}

/**
 * init_lazy_chunks() - initialise the struct pages of every SECTION_LAZY_FREE
 * chunk that [@pfn, @pfn + @nr) overlaps, as free tails of @zone (what
 * deferred_init_one_block() would have made them), before the allocator
 * makes a head in them or hands them out.
 * @zone: the zone of the pages. @pfn: the first. @nr: how many, >= 1, all in
 * one MAX_PAGE_ORDER block.
 * Context: zone->lock held (expand(), extend_pages_exact()); takes
 * m->reserved_block_lock.
 */
void init_lazy_chunks(struct zone *zone, unsigned long pfn, unsigned long nr)
{
	struct kmm_machine *m = zone->machine;

	lockdep_assert_held(&zone->lock);
	for (unsigned long p = ALIGN_DOWN(pfn, MEMMAP_CHUNK_PAGES); p < pfn + nr;
	     p += MEMMAP_CHUNK_PAGES)
		if (pfn_init_state(m, p) == SECTION_LAZY_FREE)
			kmm_init_free_chunk(m, p, zone->type, zone->node);
}

/*
 * expand()'s chunks, one of which expand() found untouched: each checked
 * again under the lock (init_lazy_chunks()). Out of line: expand() is
 * inlined into every taker of a block.
 */
void init_expand_chunks(struct zone *zone, unsigned long pfn, unsigned int low, unsigned int high)
{
	init_lazy_chunks(zone, pfn, 1UL << low);
	for (unsigned int h = low; h < high; h++)
		init_lazy_chunks(zone, pfn + (1UL << h), 1);
}
