// SPDX-License-Identifier: MIT
/*
 * mm/page_alloc.h - the buddy allocator's own helpers, shared by
 * mm/page_alloc.c (free lists, merging, per-CPU lists, the free path) and
 * mm/page_alloc_fallback.c (migrate-type fallback, the HighAtomic reserve):
 * pageblock types, a free block's buddy state, free-list links and the
 * counters they move. Private to those files; the rest of mm/ sees the
 * allocator through mm/internal.h.
 *
 * Linux counterpart: the static helpers at the top of mm/page_alloc.c and
 * include/linux/pageblock-flags.h (6.12).
 *
 * Invariant and locking: those of mm/page_alloc.c. Every helper that
 * changes a free list or its counts expects zone->lock held; the watermark
 * check may peek at list heads and nr_free without it, so writers publish
 * with relaxed atomic stores.
 */
#ifndef KMM_MM_PAGE_ALLOC_H
#define KMM_MM_PAGE_ALLOC_H

#include "mm/include/vmstat.h"
#include "mm/include/mmdebug.h"
#include "mm/internal.h"

/* ---- mm/page_alloc.c ---- */

/**
 * deferred_init_one_block() - initialise the struct pages of @zone's next
 * deferred MAX_PAGE_ORDER block and put it on the free lists. Context: zone->lock held.
 */
void deferred_init_one_block(struct zone *zone);
/*
 * init_lazy_chunks() - initialise the not yet initialised struct pages of
 * [@pfn, @pfn + @nr) (mm/page_alloc.c). Caller holds zone->lock.
 */
void init_lazy_chunks(struct zone *zone, unsigned long pfn, unsigned long nr);
/*
 * init_expand_chunks() - init_lazy_chunks() of the chunks that expand()
 * of the block of order @high at @pfn down to @low touches (mm/page_alloc.c).
 * Caller holds zone->lock.
 */
void init_expand_chunks(struct zone *zone, unsigned long pfn, unsigned int low,
			unsigned int high);
/**
 * __free_pages_ok() - check, clean and free the block of @order at @page
 * straight to the buddy (FPI_* flags in @fpi). Context: takes zone->lock.
 */
void __free_pages_ok(struct page *page, unsigned int order, int fpi);

/* ---- mm/page_alloc_fallback.c ---- */

/**
 * __rmqueue_fallback() - a block of @order for @start_mt taken from another
 * migrate type's lists, claiming its pageblock when that pays.
 * Context: zone->lock held. Return: the block, or NULL.
 */
struct page *__rmqueue_fallback(struct zone *zone, unsigned int order, int start_mt,
				unsigned int alloc_flags);


/* ---- Pageblock migrate types ---- */

static inline unsigned long pageblock_index(const struct zone *z, unsigned long pfn)
{
	int pbo = z->machine->pageblock_order;

	return (pfn >> pbo) - (z->zone_start_pfn >> pbo);
}

/* The zone's pageblock array: memory hotplug publishes a larger one as the zone grows. */
static inline unsigned char *pageblock_array(const struct zone *z)
{
	return __atomic_load_n(&z->pageblock_mt, __ATOMIC_ACQUIRE);
}

static inline int get_pfnblock_migratetype(const struct zone *z, unsigned long pfn)
{
	return __atomic_load_n(&pageblock_array(z)[pageblock_index(z, pfn)], __ATOMIC_RELAXED);
}

/* get_pfnblock_migratetype() for a caller that knows @z's machine @m. */
static inline int get_pfnblock_migratetype_m(const struct kmm_machine *m, const struct zone *z,
					     unsigned long pfn)
{
	int pbo = m->pageblock_order;

	return __atomic_load_n(&pageblock_array(z)[(pfn >> pbo) - (z->zone_start_pfn >> pbo)],
			       __ATOMIC_RELAXED);
}

static inline void set_pfnblock_migratetype(struct zone *z, unsigned long pfn, int mt)
{
	__atomic_store_n(&pageblock_array(z)[pageblock_index(z, pfn)], (unsigned char)mt,
			 __ATOMIC_RELAXED);
}

/* Retype every pageblock a block of @order at @pfn covers. */
static inline void change_pageblock_range(struct zone *z, unsigned long pfn, unsigned int order,
					  int mt)
{
	unsigned long nr = z->machine->pageblock_nr_pages;
	unsigned long end = pfn + (1UL << order);

	for (pfn = ALIGN_DOWN(pfn, nr); pfn < end; pfn += nr)
		set_pfnblock_migratetype(z, pfn, mt);
}

static inline bool migratetype_is_mergeable(int mt)
{
	return mt < MIGRATE_PCPTYPES;
}

/* ---- Buddy state of a page ---- */

static inline void set_buddy_order(struct page *page, unsigned int order)
{
	page->private = order;
	__page_set_type(page, PGTY_buddy);
}

static inline unsigned int buddy_order(const struct page *page)
{
	return (unsigned int)page->private;
}

/* ---- Counters ---- */

/*
 * NR_FREE_PAGES and NR_FREE_CMA_PAGES change only under zone->lock (every
 * writer is account_freepages() or zone_add_deferred_blocks(), both under
 * it), so an update is a relaxed load and store, no locked instruction:
 * lockless readers (the watermark checks, /proc) see whole values, as with
 * the atomic add it replaces, and no update can be lost. Linux's
 * __mod_zone_freepage_state() is likewise a plain per-CPU update under the
 * lock. An order-10 pair ran two lock adds through here.
 */
static inline void mod_zone_freepages_locked(struct zone *zone, enum zone_stat_item item, long nr)
{
	atomic_long *v = &zone->vm_stat[item];

	lockdep_assert_held(&zone->lock);
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + nr,
			      memory_order_relaxed);
}

/* Context: zone->lock. */
static inline void account_freepages(struct zone *zone, long nr, int mt)
{
	if (mt == MIGRATE_ISOLATE)
		return;
	mod_zone_freepages_locked(zone, NR_FREE_PAGES, nr);
	if (mt == MIGRATE_CMA)
		mod_zone_freepages_locked(zone, NR_FREE_CMA_PAGES, nr);
	else if (mt == MIGRATE_HIGHATOMIC)
		WRITE_ONCE(zone->nr_free_highatomic, zone->nr_free_highatomic + (unsigned long)nr);
}

/* ---- Free lists ---- */

/*
 * Free-list links. The watermark check peeks at list heads and nr_free
 * without zone->lock, as Linux does with READ_ONCE; the writers (all under
 * zone->lock) publish head pointers and counts with relaxed atomic stores so
 * those peeks are well-defined (plain moves on x86, and quiet under TSan).
 */
static inline void fl_link(struct list_head *n, struct list_head *prev, struct list_head *next)
{
	n->next = next;
	n->prev = prev;
	__atomic_store_n(&next->prev, n, __ATOMIC_RELAXED);
	__atomic_store_n(&prev->next, n, __ATOMIC_RELAXED);
}

static inline void fl_unlink(struct list_head *e)
{
	__atomic_store_n(&e->next->prev, e->prev, __ATOMIC_RELAXED);
	__atomic_store_n(&e->prev->next, e->next, __ATOMIC_RELAXED);
	e->next = LIST_POISON1;
	e->prev = LIST_POISON2;
}

static inline bool fl_empty(const struct list_head *head)
{
	return __atomic_load_n(&head->next, __ATOMIC_RELAXED) == head;
}

static inline void nr_free_add(struct free_area *area, long delta)
{
	__atomic_store_n(&area->nr_free, area->nr_free + (unsigned long)delta, __ATOMIC_RELAXED);
}

/* Flag updates on pages the caller owns; relaxed stores so racy readers are defined. */
static inline void owner_flag_set(struct page *p, int bit)
{
	__atomic_store_n(&p->flags, __atomic_load_n(&p->flags, __ATOMIC_RELAXED) | (1UL << bit),
			 __ATOMIC_RELAXED);
}

static inline void owner_flag_clear(struct page *p, int bit)
{
	__atomic_store_n(&p->flags, __atomic_load_n(&p->flags, __ATOMIC_RELAXED) & ~(1UL << bit),
			 __ATOMIC_RELAXED);
}

static inline void __add_to_free_list(struct page *page, struct zone *zone, unsigned int order,
				      int mt, bool tail)
{
	struct free_area *area = &zone->free_area[order];
	struct list_head *head = &area->free_list[mt];

	lockdep_assert_held(&zone->lock);
	if (tail)
		fl_link(&page->buddy_list, head->prev, head);
	else
		fl_link(&page->buddy_list, head, head->next);
	nr_free_add(area, 1);
}

/* Move a free block between lists of the same order (6.12 moves to the tail). */
static inline void move_to_free_list(struct page *page, struct zone *zone, unsigned int order,
				     int old_mt, int new_mt)
{
	struct free_area *area = &zone->free_area[order];

	struct list_head *head = &area->free_list[new_mt];

	fl_unlink(&page->buddy_list);
	fl_link(&page->buddy_list, head->prev, head);
	account_freepages(zone, -(1L << order), old_mt);
	account_freepages(zone, 1L << order, new_mt);
}

static inline void __del_page_from_free_list(struct page *page, struct zone *zone,
					     unsigned int order, int mt)
{
	unsigned long f = __atomic_load_n(&page->flags, __ATOMIC_RELAXED);

	(void)mt;
	lockdep_assert_held(&zone->lock);
	fl_unlink(&page->buddy_list);
	__page_clear_type(page);
	page->private = 0;
	/* One test for both marks a free block may carry: the common block has neither. */
	if (unlikely(f & ((1UL << PG_lazy_free) | (1UL << PG_reported)))) {
		/* A reported block stops being one when it leaves its list (6.12 does too). */
		__atomic_store_n(&page->flags, f & ~((1UL << PG_lazy_free) | (1UL << PG_reported)),
				 __ATOMIC_RELAXED);
		if (f & (1UL << PG_lazy_free))
			__atomic_store_n(&zone->nr_lazy_free, zone->nr_lazy_free - (1UL << order),
					 __ATOMIC_RELAXED);
	}
	nr_free_add(&zone->free_area[order], -1);
}

static inline void del_page_from_free_list(struct page *page, struct zone *zone,
					   unsigned int order, int mt)
{
	__del_page_from_free_list(page, zone, order, mt);
	account_freepages(zone, -(1L << order), mt);
}

static inline bool has_deferred(const struct zone *zone, unsigned int order, int mt)
{
	return order == MAX_PAGE_ORDER && mt == MIGRATE_MOVABLE &&
	       __atomic_load_n(&zone->nr_deferred_blocks, __ATOMIC_RELAXED);
}

static inline struct page *get_page_from_free_area(struct zone *zone, unsigned int order, int mt)
{
	struct list_head *l = &zone->free_area[order].free_list[mt];

	if (unlikely(list_empty(l))) {
		if (!has_deferred(zone, order, mt))
			return NULL;
		deferred_init_one_block(zone);
	}
	return list_first_entry(l, struct page, buddy_list);
}

/* ---- Taking blocks out of the buddy (the caller holds zone->lock) ---- */

/*
 * The memmap chunks (reserved_chunks[] bits of @pfn's MAX_PAGE_ORDER block)
 * that expand() of the block of order @high at @pfn down to @low touches:
 * those of the pages handed out, [@pfn, @pfn + 2^@low), and of each new
 * head, @pfn + 2^h for @low <= h < @high. @pfn is 2^@high-aligned, so a
 * head below a chunk's size sits in @pfn's own chunk.
 */
static inline unsigned int expand_chunk_mask(unsigned long pfn, unsigned int low,
					     unsigned int high)
{
	unsigned int c0 = (unsigned int)(pfn >> MEMMAP_CHUNK_SHIFT) & (MEMMAP_CHUNKS_PER_BLOCK - 1);
	unsigned int need = 1u << c0;

	if (low > MEMMAP_CHUNK_SHIFT)
		need |= ((1u << (1u << (low - MEMMAP_CHUNK_SHIFT))) - 1) << c0;
	for (unsigned int h = KMM_MAX(low, MEMMAP_CHUNK_SHIFT); h < high; h++)
		need |= 1u << (c0 + (1u << (h - MEMMAP_CHUNK_SHIFT)));
	return need;
}

/*
 * Split a block of order @high down to @low, freeing the upper halves. Every
 * block handed out goes through here: in a block whose struct pages are
 * initialised a chunk at a time (SECTION_LAZY_FREE), the chunks of the new
 * heads and of the pages handed out are initialised first
 * (init_expand_chunks()): only when the block's own section_lazy bit is
 * set and one of those chunks is still untouched (its bit in the block's
 * reserved_chunks[] mask: cleared with release after the chunk's pages are
 * made, so a clear bit read with acquire means nothing to do). Always
 * inlined, as it was before the mask: expand() out of line was a function
 * the malloc shim's hot-symbol list did not name. The section's word alone called init_lazy_chunks() up to @high -
 * @low + 1 times on every split while any block of the section still had a
 * lazy chunk (~56 instructions a call; 10.8k calls, 117 chunks made, in
 * mt_churn 1 100000 2000).
 */
static inline __attribute__((always_inline)) unsigned int
expand(struct zone *zone, struct page *page, unsigned int low, unsigned int high, int mt)
{
	unsigned long size = 1UL << high;
	unsigned int nr_added = 0;
	struct kmm_machine *m = zone->machine;

	if (m->section_lazy) {
		unsigned long pfn = page_to_pfn_m(m, page);
		unsigned int bit = (unsigned int)((pfn >> MAX_PAGE_ORDER) &
						  ((PAGES_PER_SECTION >> MAX_PAGE_ORDER) - 1));

		if (unlikely((__atomic_load_n(&m->section_lazy[pfn >> SECTION_SHIFT],
					      __ATOMIC_ACQUIRE) >> bit) & 1) &&
		    (__atomic_load_n(&m->reserved_chunks[pfn >> MAX_PAGE_ORDER], __ATOMIC_ACQUIRE) &
		     expand_chunk_mask(pfn, low, high)))
			init_expand_chunks(zone, pfn, low, high);
	}
	while (high > low) {
		high--;
		size >>= 1;
		__add_to_free_list(&page[size], zone, high, mt, false);
		set_buddy_order(&page[size], high);
		nr_added += (unsigned int)size;
	}
	return nr_added;
}

static inline void page_del_and_expand(struct zone *zone, struct page *page,
				       unsigned int low, unsigned int high, int mt)
{
	long nr = 1L << high;

	__del_page_from_free_list(page, zone, high, mt);
	nr -= expand(zone, page, low, high, mt);
	account_freepages(zone, -nr, mt);
}

/*
 * A free block of order above @order, from @from up, whose memory a free
 * page reporting device has not taken (not PageReported), on a list already
 * initialised; NULL if none. Its order in *@found. Context: zone->lock.
 */
static inline struct page *unreported_block_above(struct zone *zone, unsigned int from, int mt,
						  unsigned int *found)
{
	for (unsigned int cur = from; cur < NR_PAGE_ORDERS; cur++) {
		struct list_head *l = &zone->free_area[cur].free_list[mt];

		if (list_empty(l))
			continue;
		struct page *page = list_first_entry(l, struct page, buddy_list);

		if (!PageReported(page)) {
			*found = cur;
			return page;
		}
	}
	return NULL;
}

/*
 * The smallest free block of @order or more, split down to @order. Added
 * (kmm): where that block's memory was taken by a free page reporting
 * device (PageReported at the head of the smallest order that has blocks:
 * mm/page_reporting.c puts reported blocks at the tails, so the order is
 * mostly reported; a block freed to the tail may still sit unreported
 * behind them, and is not looked for), an unreported block of a higher
 * order is split instead if there is one. Its memory is still there, the reported
 * block's would be faulted in afresh: the malloc shim (the one reporting
 * device) so re-uses what the program freed before touching more RAM.
 * mixed_sizes 100000 1000 held 49 MB of such free blocks resident at its
 * peak (docs/malloc.md). Without a reporting device no block is reported,
 * and the choice is Linux's.
 */
static inline struct page *__rmqueue_smallest(struct zone *zone, unsigned int order, int mt)
{
	for (unsigned int cur = order; cur < NR_PAGE_ORDERS; cur++) {
		struct page *page = get_page_from_free_area(zone, cur, mt);

		if (!page)
			continue;
		if (unlikely(PageReported(page))) {
			unsigned int found;
			struct page *there = unreported_block_above(zone, cur + 1, mt, &found);

			if (there) {
				page = there;
				cur = found;
			}
		}
		page_del_and_expand(zone, page, order, cur, mt);
		return page;
	}
	return NULL;
}

/* ---- Per-CPU lists: the helpers the fast paths share ---- */

/*
 * pcp->count changes under the slot's guard; show_mem() sums the slots
 * without it, so the writer publishes with a relaxed store (a plain add on
 * x86, and a defined race for the reader).
 */
static inline void pcp_count_add(struct per_cpu_pages *pcp, int delta)
{
	__atomic_store_n(&pcp->count, pcp->count + delta, __ATOMIC_RELAXED);
}

static inline unsigned int order_to_pindex(int mt, unsigned int order)
{
	return (unsigned int)(MIGRATE_PCPTYPES * order + (unsigned int)mt);
}

/*
 * count_vm_events() for a caller that already knows its CPU slot (whose
 * counters only that slot writes; sum_vm_event() folds them on read).
 */
static inline void count_events_cpu(struct kmm_machine *m, int cpu, enum vm_event_item item,
				    long n)
{
	if (likely(m->cpus)) {
		unsigned long *ev = &per_cpu_ptr(m->vm_events, cpu)->event[item];

		__atomic_store_n(ev, __atomic_load_n(ev, __ATOMIC_RELAXED) + (unsigned long)n,
				 __ATOMIC_RELAXED);
	}
}

/* One more @item in @pcp, a zone's pageset of a slot whose guard the caller holds. */
static inline void numa_event_pcp(struct per_cpu_pages *pcp, enum numa_stat_item item)
{
	unsigned long *v = &pcp->numa_event[item];

	__atomic_store_n(v, __atomic_load_n(v, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

/* One more @item on @z, counted in slot @cpu's pageset (whose guard the caller holds). */
static inline void numa_event_cpu(struct zone *z, int cpu, enum numa_stat_item item)
{
	numa_event_pcp(per_cpu_ptr(z->per_cpu_pageset, cpu), item);
}

/* The event counters of the slot whose guard is @g (struct kmm_cpu points at them). */
static inline unsigned long *slot_events(struct kmm_cpu_guard *g)
{
	return container_of(g, struct kmm_cpu, guard)->events->event;
}

/*
 * Linux's zone_statistics(): numa_hit/miss/foreign/local/other, counted per
 * CPU slot (zone_numa_event_state() folds them), @pcp being @z's pageset of
 * slot @cpu. Context: slot @cpu's guard.
 */
static inline void zone_statistics(struct zone *preferred, struct zone *z, int cpu,
				   struct per_cpu_pages *pcp)
{
	int local = 0;	/* numa_node_id(): every CPU slot sits on node 0 */

	if (likely(z->node == preferred->node)) {
		numa_event_pcp(pcp, NUMA_HIT);
	} else {
		numa_event_pcp(pcp, NUMA_MISS);
		numa_event_cpu(preferred, cpu, NUMA_FOREIGN);
	}
	if (likely(z->node == local))
		numa_event_pcp(pcp, NUMA_LOCAL);
	else
		numa_event_pcp(pcp, NUMA_OTHER);
}

/*
 * pcp_take() - the pcp half of rmqueue(), the one implementation of it:
 * pop the first block of @list (slot @cpu's list of @zone for @order, not
 * empty; @pcp that slot's pageset of @zone, @events its event counters) and
 * count it as rmqueue() does: the zone's PGALLOC event and
 * zone_statistics() against @preferred, in the slot's own words.
 * Context: slot @cpu's guard held (so m->cpus exists). Return: the block.
 */
static inline __attribute__((always_inline)) struct page *
pcp_take(struct zone *preferred, struct zone *zone, unsigned int order, int cpu,
	 struct per_cpu_pages *pcp, struct list_head *list, unsigned long *events)
{
	struct page *page = list_first_entry(list, struct page, pcp_list);
	unsigned long *ev = &events[PGALLOC_DMA + zone->type];

	list_del(&page->pcp_list);
	pcp_count_add(pcp, -(1 << order));
	__atomic_store_n(ev, __atomic_load_n(ev, __ATOMIC_RELAXED) + (1UL << order),
			 __ATOMIC_RELAXED);
	zone_statistics(preferred, zone, cpu, pcp);
	return page;
}

/*
 * pcp_alloc_fast() - rmqueue() of a block of @order (<= PAGE_ALLOC_COSTLY_ORDER)
 * for @mt from a non-empty pcp list of @zone, a zone of the local node that
 * is also the preferred zone, on this thread's cached CPU slot (the caller
 * checked kmm_cpu_cache.serial), entered in owned mode (kmm_cpu_enter_owned()).
 * pcp->free_count halves as on every pcp allocation, and pcp_take() counts
 * as rmqueue() does. A nested, shared or revoked slot or an empty list:
 * NULL, nothing changed (the caller goes the ordinary way, rmqueue(), which
 * refills the list).
 * Context: enters and leaves the slot's guard (no locked instruction).
 */
static inline __attribute__((always_inline)) struct page *
pcp_alloc_fast(struct zone *zone, unsigned int order, int mt)
{
	int cpu = kmm_cpu_cache.cpu;
	struct kmm_cpu_guard *g = kmm_cpu_cache.guard;
	struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);
	struct list_head *list = &pcp->lists[order_to_pindex(mt, order)];
	struct page *page;

	if (unlikely(!kmm_cpu_enter_owned(g)))
		return NULL;
	if (unlikely(list_empty(list))) {
		kmm_cpu_exit_owned(g);
		return NULL;
	}
	pcp->free_count >>= 1;
	page = pcp_take(zone, zone, order, cpu, pcp, list, slot_events(g));
	kmm_cpu_exit_owned(g);
	return page;
}

#endif /* KMM_MM_PAGE_ALLOC_H */
