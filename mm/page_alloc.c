// SPDX-License-Identifier: MIT
/*
 * mm/page_alloc.c - the buddy page allocator: free areas, splitting and
 * merging, deferred sections, buddy=lazy, per-CPU page lists, the allocation fast and
 * slow paths' building blocks, and the freeing entry points (__free_pages).
 * The allocation paths and the watermark check are in page_alloc_slowpath.c;
 * the deferred sections' initialisation in page_alloc_deferred.c;
 * migrate-type fallback and the HighAtomic reserve in page_alloc_fallback.c;
 * the free-list helpers both use in page_alloc.h. The per-CPU lists and the
 * free path stay in this file with the buddy core on purpose: the order-0
 * fast paths inline across them (one translation unit, see bench/page_alloc.c).
 *
 * Linux counterpart: mm/page_alloc.c (6.12). Kept: free_area[order] lists per
 * migrate type with nr_free; merging with buddy_pfn = pfn ^ (1 << order) up to
 * MAX_PAGE_ORDER, stopping at pageblock boundaries between unmergeable types;
 * the fallbacks[] table, largest-first stealing and whole-pageblock claiming;
 * watermark boosting; the HighAtomic reserve; per-CPU lists with 6.12's
 * batch/high auto-tuning; the watermark check with the ALLOC_* reserve rules;
 * the slow path's order of attempts. Simplified: no compaction, no cpusets,
 * no CMA areas (the lists exist, empty), no page isolation users yet, no
 * kswapd (the reclaim layer plugs in through m->reclaim and m->oom).
 * Added: deferred sections (a section's free blocks are counted before its
 * struct pages exist; they are initialised the first time the allocator
 * reaches for them, in the order eager init would have handed them out) and
 * buddy=lazy (frees skip merging until an allocation runs dry).
 *
 * buddy=lazy, the first seed's idea: a free parks the block on the list of
 * its own order, marked PG_lazy_free, without looking at its buddy. When a
 * request finds its migrate type's lists empty at its order and above, one
 * pass walks every free list from order 0 up and merges each parked block
 * with its free buddy (merged blocks stay parked, so merges cascade upward
 * within the pass), then the request retries. It pays when the same order
 * is freed and allocated again and again - the seed's thrash of one
 * 512-page block skips a merge and a split per cycle. It costs when big
 * requests meet memory freed in small pieces: the pass walks every free
 * block of the zone, mergeable or not, and until it runs the lists hold
 * small blocks that eager mode would already have merged (bench/page_alloc.c
 * measures both).
 *
 * Invariant: a free block of order k is 2^k-aligned in pfn space, has
 * PGTY_buddy and private == k on its head page, and sits on exactly one
 * free_area[k].free_list[mt] of its zone, where mt is its pageblock's type.
 * nr_free counts blocks, NR_FREE_PAGES pages (neither counts pcp pages; both
 * count deferred sections). In eager mode no two free buddies of the same
 * order are both free and mergeable. page_alloc_check() proves all of it.
 *
 * Locking: zone->lock guards free_area, pageblock_mt, deferred sections and
 * nr_reserved_highatomic. A CPU slot's per_cpu_pages (lists, counts, NUMA
 * event counters) is guarded by the slot's guard (mm/include/cpu_slot.h):
 * a thread that owns its slot enters with a plain store and no locked
 * instruction; a shared slot, or another thread draining it, takes the
 * slot's lock. The fast path never takes zone->lock unless the list must be
 * refilled or drained. Order: slot guard -> zone->lock.
 *
 * Fast path costs (see bench/page_alloc.c): the CPU slot comes from a
 * per-thread cache (one TLS load), the event counters and numa_hit /
 * numa_local are the slot's own (relaxed load+store, folded on read as
 * Linux's per-CPU vm_numa_event), and everything cold (refill, drain over
 * high, bad pages, compound teardown, isolated pageblocks) is out of line.
 * An order-0 pair runs no locked instruction: even the refcount drop of
 * __free_pages() is a plain store (why that is exact: above __free_pages()).
 * A pair through the buddy (orders above PAGE_ALLOC_COSTLY_ORDER) runs two,
 * zone->lock's exchange on each side: NR_FREE_PAGES changes only under
 * that lock, with a relaxed load and store (mod_zone_freepages_locked()),
 * and free_pages_slow() drops a count of 1 with a plain store as the fast
 * path does (session 22: they were five; bench/page_alloc's order-10 row
 * went from 1.81x glibc's malloc(4M)+free to ~1.2x; one call level fewer on
 * each side, rmqueue() a tail call and no alloc_context on a first-try
 * success: 730 -> 653 instructions a pair).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/addr.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"
#include "mm/include/mmdebug.h"
#include "mm/page_alloc.h"

const char *const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate",
};

const char *const zone_names[MAX_NR_ZONES] = {
	"DMA", "DMA32", "Normal", "HighMem", "Movable", "Device",
};

/* ---- Pageblock migrate types ---- */

/**
 * get_pageblock_migratetype() - the migrate type of @page's pageblock.
 * @page: any initialised page of a zone.
 * Context: lockless read (zone->lock for a stable answer).
 * Return: an enum migratetype.
 */
int get_pageblock_migratetype(const struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	const struct zone *z = page_zone(page);

	return get_pfnblock_migratetype(z, page_to_pfn_m(m, page));
}

/**
 * set_pageblock_migratetype() - retype @page's pageblock.
 * @page: any initialised page of a zone.
 * @migratetype: the new type.
 * Context: zone->lock held (free lists must follow the type).
 */
void set_pageblock_migratetype(struct page *page, int migratetype)
{
	struct kmm_machine *m = page_machine(page);

	set_pfnblock_migratetype(page_zone(page), page_to_pfn_m(m, page), migratetype);
}

/* ---- Buddy state of a page ---- */

/*
 * The buddy of @page (at @pfn) of @order, if it is a free block of the same
 * order in the same zone. A buddy never leaves the section (sections are
 * larger than MAX_PAGE_ORDER blocks), so its struct page exists iff ours does.
 * The buddy may belong to another owner: only its type word is read before
 * it is known to be free (Linux reads it with data_race() too).
 */
static inline struct page *find_buddy_page_pfn(struct page *page, unsigned long pfn,
					       unsigned int order, unsigned long *buddy_pfn)
{
	unsigned long bpfn = pfn ^ (1UL << order);
	struct page *buddy = page + ((long)bpfn - (long)pfn);

	if (buddy_pfn)
		*buddy_pfn = bpfn;
	if ((__atomic_load_n(&buddy->page_type, __ATOMIC_RELAXED) >> 24) != PGTY_buddy ||
	    buddy_order(buddy) != order)
		return NULL;
	/* Free pages' flags are stable under zone->lock; @page may be anyone's. */
	unsigned long f = __atomic_load_n(&page->flags, __ATOMIC_RELAXED);

	if (((f ^ buddy->flags) >> PG_ZONE_SHIFT) & ((1UL << (PG_ZONE_BITS + PG_NODE_BITS)) - 1))
		return NULL;
	return buddy;
}

/* ---- Counters ---- */

/* This thread's CPU slot on @m: kmm_this_cpu()'s per-thread cache. */
static inline int pcp_this_cpu(struct kmm_machine *m)
{
	return kmm_this_cpu_inline(m);
}

/* count_vm_events() with the cached CPU slot; nothing before the CPU slots exist. */
static inline void count_events(struct kmm_machine *m, enum vm_event_item item, long n)
{
	if (m->cpus)
		count_events_cpu(m, pcp_this_cpu(m), item, n);
}

/*
 * zone_statistics() from outside a slot section (the buddy path): in the
 * slot's counters, or (the slot busy: the buddy path is where a busy slot
 * sends its thread) in the zone's base words, atomically.
 */
static void zone_statistics_slow(struct zone *preferred, struct zone *z)
{
	struct kmm_machine *m = z->machine;
	int cpu = pcp_this_cpu(m);
	struct kmm_cpu_guard *g = &m->cpus[cpu].guard;
	int token;

	if (likely(z->per_cpu_pageset && preferred->per_cpu_pageset &&
		   (token = kmm_cpu_tryenter(g)) != -2)) {
		zone_statistics(preferred, z, cpu, per_cpu_ptr(z->per_cpu_pageset, cpu));
		kmm_cpu_exit(g, token);
		return;
	}
	if (z->node == preferred->node) {
		atomic_fetch_add_explicit(&z->vm_numa_event[NUMA_HIT], 1, memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&z->vm_numa_event[NUMA_MISS], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&preferred->vm_numa_event[NUMA_FOREIGN], 1,
					  memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&z->vm_numa_event[z->node == 0 ? NUMA_LOCAL : NUMA_OTHER], 1,
				  memory_order_relaxed);
}

unsigned long zone_numa_event_state(struct zone *z, enum numa_stat_item item)
{
	long sum = atomic_load_explicit(&z->vm_numa_event[item], memory_order_relaxed);

	if (z->per_cpu_pageset)
		for (int c = 0; c < z->machine->nr_cpus; c++)
			if (cpu_populated(&z->machine->percpu, c))	/* the others are zero */
				sum += (long)__atomic_load_n(
					&per_cpu_ptr(z->per_cpu_pageset, c)->numa_event[item],
					__ATOMIC_RELAXED);
	return sum < 0 ? 0 : (unsigned long)sum;
}

/**
 * free_area_empty() - no free block of @order on @mt's list (deferred blocks count).
 * @zone: the zone. @order: the order. @mt: the migrate type.
 * Context: lockless peek; a stable answer needs zone->lock.
 * Return: true if empty.
 */
bool free_area_empty(const struct zone *zone, unsigned int order, int mt)
{
	return fl_empty(&zone->free_area[order].free_list[mt]) && !has_deferred(zone, order, mt);
}

/* ---- Freeing into the buddy ---- */

/*
 * Whether the block just freed is likely to merge soon: its would-be merged
 * block's buddy is free. Such blocks go to the tail so the allocator takes
 * others first and gives the merge a chance (6.12 buddy_merge_likely()).
 */
static bool buddy_merge_likely(unsigned long pfn, unsigned long buddy_pfn, struct page *page,
			       unsigned int order)
{
	unsigned long higher_pfn;
	struct page *higher;

	if (order >= MAX_PAGE_ORDER - 1)
		return false;
	higher_pfn = buddy_pfn & pfn;
	higher = page + ((long)higher_pfn - (long)pfn);
	return find_buddy_page_pfn(higher, higher_pfn, order + 1, NULL) != NULL;
}

/*
 * Merge the block with its free buddies and put the result on a free list.
 * Caller holds zone->lock; @mt is the block's pageblock type. Not cloned:
 * gcc -O3 made a second copy (__free_one_page.constprop.0) for its
 * constant-argument callers, a function shim/hot-symbols.txt cannot name in
 * both the RelWithDebInfo and the Release library (only the Release one has
 * it), so the one-malloc program ran code past the library's first two
 * windows (integration_shim_hot_symbols_run).
 */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noclone))
#endif
static void __free_one_page(struct page *page, unsigned long pfn, struct zone *zone,
			    unsigned int order, int mt, int fpi)
{
	struct kmm_machine *m = zone->machine;
	unsigned long buddy_pfn = 0;
	bool to_tail;

	lockdep_assert_held(&zone->lock);
	VM_BUG_ON(order >= NR_PAGE_ORDERS);
	VM_BUG_ON_PAGE(pfn & ((1UL << order) - 1), page);
	VM_BUG_ON_PAGE(PageBuddy(page), page);
	account_freepages(zone, 1L << order, mt);

	if (m->opts.buddy_lazy && !(fpi & FPI_TO_TAIL)) {
		/* buddy=lazy: park the block unmerged; coalesce_lazy() merges later. */
		set_buddy_order(page, order);
		owner_flag_set(page, PG_lazy_free);
		__atomic_store_n(&zone->nr_lazy_free, zone->nr_lazy_free + (1UL << order),
				 __ATOMIC_RELAXED);
		__add_to_free_list(page, zone, order, mt, false);
		return;
	}

	while (order < MAX_PAGE_ORDER) {
		int buddy_mt = mt;
		struct page *buddy = find_buddy_page_pfn(page, pfn, order, &buddy_pfn);

		if (!buddy)
			break;
		if (unlikely(order >= (unsigned int)m->pageblock_order)) {
			buddy_mt = get_pfnblock_migratetype(zone, buddy_pfn);
			if (mt != buddy_mt &&
			    (!migratetype_is_mergeable(mt) || !migratetype_is_mergeable(buddy_mt)))
				break;
		}
		__del_page_from_free_list(buddy, zone, order, buddy_mt);
		if (unlikely(buddy_mt != mt))
			set_pfnblock_migratetype(zone, buddy_pfn, mt);
		unsigned long combined = buddy_pfn & pfn;

		page += (long)combined - (long)pfn;
		pfn = combined;
		order++;
	}
	set_buddy_order(page, order);
	if (fpi & FPI_TO_TAIL)
		to_tail = true;
	else
		to_tail = buddy_merge_likely(pfn, pfn ^ (1UL << order), page, order);
	__add_to_free_list(page, zone, order, mt, to_tail);
}

/* Do all the pageblocks of [@pfn, +2^@order) have migrate type @mt? */
static bool pageblocks_all(struct zone *zone, unsigned long pfn, unsigned int order, int mt)
{
	unsigned long step = 1UL << zone->machine->pageblock_order, end = pfn + (1UL << order);

	for (pfn += step; pfn < end; pfn += step)
		if (get_pfnblock_migratetype(zone, pfn) != mt)
			return false;
	return true;
}

/*
 * Free a block larger than a pageblock one pageblock at a time
 * (split_large_buddy). When every pageblock has the same migrate type
 * (eagerly merging buddy), the halves would merge back into the whole
 * block at once: it is freed whole, the same end state for one merge walk.
 */
static inline __attribute__((always_inline)) void
split_large_buddy(struct zone *zone, struct page *page, unsigned long pfn, unsigned int order,
		  int fpi)
{
	struct kmm_machine *m = zone->machine;
	unsigned long end = pfn + (1UL << order);

	if (order > (unsigned int)m->pageblock_order) {
		int mt = get_pfnblock_migratetype(zone, pfn);

		if (!m->opts.buddy_lazy && pageblocks_all(zone, pfn, order, mt)) {
			__free_one_page(page, pfn, zone, order, mt, fpi);
			return;
		}
		order = (unsigned int)m->pageblock_order;
	}
	while (pfn != end) {
		int mt = get_pfnblock_migratetype(zone, pfn);

		__free_one_page(page, pfn, zone, order, mt, fpi);
		pfn += 1UL << order;
		page = pfn_to_page_m(m, pfn);
	}
}

static inline __attribute__((always_inline)) void free_one_page(struct zone *zone,
								struct page *page,
								unsigned long pfn,
								unsigned int order, int fpi)
{
	spin_lock(&zone->lock);
	split_large_buddy(zone, page, pfn, order, fpi);
	spin_unlock(&zone->lock);
	count_events(zone->machine, PGFREE, 1L << order);
}

/* ---- buddy=lazy: coalescing on demand ---- */

/*
 * Merge every parked block with its free buddy, smallest order first, so a
 * merge at order k can feed one at k+1 in the same pass. Cost: one walk of
 * every free list below MAX_PAGE_ORDER. Caller holds zone->lock.
 */
static void coalesce_lazy(struct zone *zone)
{
	struct kmm_machine *m = zone->machine;
	LIST_HEAD(work);

	for (unsigned int order = 0; order < MAX_PAGE_ORDER; order++) {
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			struct list_head *l = &zone->free_area[order].free_list[mt];

			while (!fl_empty(l)) {
				struct list_head *e = l->next;

				fl_unlink(e);
				fl_link(e, work.prev, &work);
			}
			while (!list_empty(&work)) {
				struct page *page = list_first_entry(&work, struct page, buddy_list);
				unsigned long pfn = page_to_pfn_m(m, page), buddy_pfn;
				struct page *buddy = NULL;
				int buddy_mt = mt;

				fl_unlink(&page->buddy_list);
				if (page_flag_test(page, PG_lazy_free))
					buddy = find_buddy_page_pfn(page, pfn, order, &buddy_pfn);
				if (buddy && order >= (unsigned int)m->pageblock_order) {
					buddy_mt = get_pfnblock_migratetype(zone, buddy_pfn);
					if (mt != buddy_mt && (!migratetype_is_mergeable(mt) ||
							       !migratetype_is_mergeable(buddy_mt)))
						buddy = NULL;
				}
				if (!buddy) {
					fl_link(&page->buddy_list, l->prev, l);
					continue;
				}
				/* The buddy may sit on @work, on @l or on another type's list. */
				__del_page_from_free_list(buddy, zone, order, buddy_mt);
				if (buddy_mt != mt) {
					set_pfnblock_migratetype(zone, buddy_pfn, mt);
					account_freepages(zone, -(1L << order), buddy_mt);
					account_freepages(zone, 1L << order, mt);
				}
				nr_free_add(&zone->free_area[order], -1);
				if (page_flag_test(page, PG_lazy_free)) {
					owner_flag_clear(page, PG_lazy_free);
					__atomic_store_n(&zone->nr_lazy_free,
							 zone->nr_lazy_free - (1UL << order),
							 __ATOMIC_RELAXED);
				}
				__page_clear_type(page);
				page->private = 0;
				owner_flag_clear(page, PG_reported);	/* merged: not reported */
				unsigned long combined = pfn & buddy_pfn;
				struct page *head = pfn_to_page_m(m, combined);

				set_buddy_order(head, order + 1);
				owner_flag_set(head, PG_lazy_free);
				__atomic_store_n(&zone->nr_lazy_free,
						 zone->nr_lazy_free + (1UL << (order + 1)),
						 __ATOMIC_RELAXED);
				__add_to_free_list(head, zone, order + 1, mt, true);
			}
		}
	}
	/* Everything that could merge has; what is left is settled. */
	for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++)
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			struct list_head *pos;

			list_for_each(pos, &zone->free_area[order].free_list[mt]) {
				struct page *p = list_entry(pos, struct page, buddy_list);

				owner_flag_clear(p, PG_lazy_free);
			}
		}
	__atomic_store_n(&zone->nr_lazy_free, 0UL, __ATOMIC_RELAXED);
}

/* ---- Taking blocks out of the buddy ---- */

/* Caller holds zone->lock. */
static inline __attribute__((always_inline)) struct page *
__rmqueue(struct zone *zone, unsigned int order, int mt, unsigned int alloc_flags)
{
	struct page *page;

	lockdep_assert_held(&zone->lock);
	page = __rmqueue_smallest(zone, order, mt);
	if (unlikely(!page) && zone->nr_lazy_free) {
		coalesce_lazy(zone);
		page = __rmqueue_smallest(zone, order, mt);
	}
	if (unlikely(!page))
		page = __rmqueue_fallback(zone, order, mt, alloc_flags);
	return page;
}

/* ---- Per-CPU page lists ---- */

static inline unsigned int pindex_to_order(unsigned int pindex)
{
	return pindex / MIGRATE_PCPTYPES;
}

static inline bool pcp_allowed_order(unsigned int order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER;
}

/* Return @count pages' worth from @pcp to the buddy, round robin over the lists. */
static void free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp,
			       int pindex)
{
	struct kmm_machine *m = zone->machine;

	count = KMM_MIN(pcp->count, count);
	pindex = pindex - 1;
	spin_lock(&zone->lock);
	while (count > 0) {
		struct list_head *list;
		unsigned int order;
		int nr;

		do {
			if (++pindex > NR_PCP_LISTS - 1)
				pindex = 0;
			list = &pcp->lists[pindex];
		} while (list_empty(list));

		order = pindex_to_order((unsigned int)pindex);
		nr = 1 << order;
		do {
			struct page *page = list_last_entry(list, struct page, pcp_list);
			unsigned long pfn = page_to_pfn_m(m, page);
			int mt = get_pfnblock_migratetype(zone, pfn);

			list_del(&page->pcp_list);
			page->private = 0;
			count -= nr;
			pcp_count_add(pcp, -nr);
			__free_one_page(page, pfn, zone, order, mt, FPI_NONE);
		} while (count > 0 && !list_empty(list));
	}
	spin_unlock(&zone->lock);
}

static int rmqueue_bulk(struct zone *zone, unsigned int order, int count, struct list_head *list,
			int mt, unsigned int alloc_flags)
{
	int i;

	spin_lock(&zone->lock);
	for (i = 0; i < count; i++) {
		struct page *page = __rmqueue(zone, order, mt, alloc_flags);

		if (unlikely(!page))
			break;
		page->private = order;
		list_add_tail(&page->pcp_list, list);
	}
	spin_unlock(&zone->lock);
	return i;
}

/* How many pages to pull from the buddy on a refill (6.12 nr_pcp_alloc()). */
static int nr_pcp_alloc(struct per_cpu_pages *pcp, struct zone *zone, unsigned int order)
{
	int high, base_batch, batch, max_nr_alloc;
	int high_max, high_min;

	base_batch = pcp->batch;
	high_min = pcp->high_min;
	high_max = pcp->high_max;
	high = pcp->high = KMM_CLAMP(pcp->high, high_min, high_max);

	if (unlikely(high < base_batch))
		return 1;
	batch = order ? base_batch : (base_batch << pcp->alloc_factor);
	if (high_min != high_max &&
	    !(__atomic_load_n(&zone->flags, __ATOMIC_RELAXED) & (1UL << ZONE_BELOW_HIGH)))
		high = pcp->high = KMM_MIN(high + batch, high_max);
	if (!order) {
		max_nr_alloc = KMM_MAX(high - pcp->count - base_batch, base_batch);
		if (batch <= max_nr_alloc && pcp->alloc_factor < PCP_BATCH_SCALE_MAX)
			pcp->alloc_factor++;
		batch = KMM_MIN(batch, max_nr_alloc);
	}
	if (batch > 1)
		batch = KMM_MAX(batch >> order, 2);
	return batch;
}

static int nr_pcp_free(struct per_cpu_pages *pcp, int batch, int high, bool free_high)
{
	int min_nr_free, max_nr_free;

	if (unlikely(free_high))
		return KMM_MIN(pcp->count, batch << PCP_BATCH_SCALE_MAX);
	min_nr_free = batch;
	max_nr_free = high - batch;
	return KMM_CLAMP((int)pcp->free_count, min_nr_free, max_nr_free);
}

static int nr_pcp_high(struct per_cpu_pages *pcp, struct zone *zone, int batch, bool free_high)
{
	int high, high_min = pcp->high_min, high_max = pcp->high_max;

	high = pcp->high = KMM_CLAMP(pcp->high, high_min, high_max);
	if (unlikely(!high))
		return 0;
	if (unlikely(free_high)) {
		pcp->high = KMM_MAX(high - (batch << PCP_BATCH_SCALE_MAX), high_min);
		return 0;
	}
	if (high_min == high_max)
		return high;
	if (__atomic_load_n(&zone->flags, __ATOMIC_RELAXED) & (1UL << ZONE_BELOW_HIGH)) {
		int free_count = KMM_MAX((int)pcp->free_count, batch);

		pcp->high = KMM_MAX(high - free_count, high_min);
		high = KMM_MAX(pcp->count, high_min);
	} else if (pcp->count >= high) {
		int need_high = pcp->free_count + batch;

		if (pcp->high < need_high)
			pcp->high = KMM_CLAMP(need_high, high_min, high_max);
	}
	return high;
}

/* The pcp went over high: give a batch back and maybe clear ZONE_BELOW_HIGH. */
static __attribute__((noinline)) void free_unref_page_drain(struct zone *zone,
							    struct per_cpu_pages *pcp, int batch,
							    int high, bool free_high,
							    unsigned int pindex)
{
	free_pcppages_bulk(zone, nr_pcp_free(pcp, batch, high, free_high), pcp, (int)pindex);
	if ((__atomic_load_n(&zone->flags, __ATOMIC_RELAXED) & (1UL << ZONE_BELOW_HIGH)) &&
	    zone_watermark_ok(zone, 0, high_wmark_pages(zone), ZONE_MOVABLE, 0))
		__atomic_fetch_and(&zone->flags, ~(1UL << ZONE_BELOW_HIGH), __ATOMIC_RELAXED);
}

/* nr_pcp_high() on a free, and the drain when the list reached it. */
static __attribute__((noinline)) void free_unref_page_tune(struct zone *zone,
							   struct per_cpu_pages *pcp, int batch,
							   bool free_high, unsigned int pindex)
{
	int high = nr_pcp_high(pcp, zone, batch, free_high);

	if (pcp->count >= high)
		free_unref_page_drain(zone, pcp, batch, high, free_high, pindex);
}

/*
 * free_unref_page_add() - the first half of free_unref_page_commit(): @page
 * (of @order, prepared) onto @list of @pcp (a slot's pageset), PGFREE
 * counted in that slot's @events, and the state 6.12 keeps for tuning
 * (alloc_factor, free_count, the previous-free flags) moved on.
 * Context: that slot's guard. Return: 0 when, unless the zone is below its
 * high mark, nothing more is to be done: nr_pcp_high() would change nothing
 * and return pcp->high (high already within [high_min, high_max], no
 * free_high) and the list stays below it. Otherwise 1 + free_high:
 * free_unref_page_tune() must run (tuning high, draining), exactly as 6.12
 * computes it.
 */
static inline __attribute__((always_inline)) int
free_unref_page_add(unsigned long *events, struct per_cpu_pages *pcp, struct list_head *list,
		    struct page *page, unsigned int order)
{
	int high, batch, nr = 1 << order;
	bool free_high = false;

	pcp->alloc_factor >>= 1;
	/* count_events_cpu(): a slot's guard is held, so m->cpus exists */
	unsigned long *ev = &events[PGFREE];
	__atomic_store_n(ev, __atomic_load_n(ev, __ATOMIC_RELAXED) + (unsigned long)nr,
			 __ATOMIC_RELAXED);
	page->private = order;
	list_add(&page->pcp_list, list);
	pcp_count_add(pcp, nr);

	batch = pcp->batch;
	if (order && order <= PAGE_ALLOC_COSTLY_ORDER) {
		free_high = (pcp->free_count >= batch && (pcp->flags & PCPF_PREV_FREE_HIGH_ORDER) &&
			     (!(pcp->flags & PCPF_FREE_HIGH_BATCH) || pcp->count >= batch));
		pcp->flags |= PCPF_PREV_FREE_HIGH_ORDER;
	} else if (pcp->flags & PCPF_PREV_FREE_HIGH_ORDER) {
		pcp->flags &= (unsigned char)~PCPF_PREV_FREE_HIGH_ORDER;
	}
	if (pcp->free_count < (batch << PCP_BATCH_SCALE_MAX))
		pcp->free_count += (short)nr;
	high = pcp->high;
	if (likely(pcp->count < high && high >= pcp->high_min && high <= pcp->high_max &&
		   !free_high))
		return 0;
	return 1 + free_high;
}

static inline bool zone_below_high(const struct zone *zone)
{
	return __atomic_load_n(&zone->flags, __ATOMIC_RELAXED) & (1UL << ZONE_BELOW_HIGH);
}

/* 6.12's free_unref_page_commit(): add to the pcp list, then tune and drain if need be. */
static inline __attribute__((always_inline)) void free_unref_page_commit(struct zone *zone, struct per_cpu_pages *pcp,
					  struct page *page, int mt, unsigned int order, int cpu)
{
	unsigned int pindex = order_to_pindex(mt, order);
	int tune = free_unref_page_add(per_cpu_ptr(zone->machine->vm_events, cpu)->event, pcp, &pcp->lists[pindex],
				       page, order);

	if (unlikely(tune || zone_below_high(zone)))
		free_unref_page_tune(zone, pcp, pcp->batch, tune > 1, pindex);
}

/*
 * free_unref_page_tune() for @page just added to @list of @pcp, then leave
 * the slot's section @g (the free fast path's tail).
 */
static __attribute__((noinline)) void free_unref_page_tune_exit(struct page *page,
								struct per_cpu_pages *pcp,
								struct list_head *list,
								bool free_high,
								struct kmm_cpu_guard *g)
{
	free_unref_page_tune(page_zone(page), pcp, pcp->batch, free_high,
			     (unsigned int)(list - pcp->lists));
	kmm_cpu_exit_owned(g);
}

/* Refill an empty pcp list from the buddy; false if it stays empty. */
static __attribute__((noinline)) bool rmqueue_pcp_refill(struct zone *zone, unsigned int order,
							 int mt, unsigned int alloc_flags,
							 struct per_cpu_pages *pcp,
							 struct list_head *list)
{
	int batch = nr_pcp_alloc(pcp, zone, order);
	int alloced = rmqueue_bulk(zone, order, batch, list, mt, alloc_flags);

	pcp_count_add(pcp, alloced << order);
	return !list_empty(list);
}

/*
 * Take a block of @order from slot @cpu's @list of @zone, refilled from the
 * buddy if empty, counted as rmqueue() counts it (pcp_take()).
 * Context: slot @cpu's guard held. Return: the block, or NULL.
 */
static inline __attribute__((always_inline)) struct page *
__rmqueue_pcplist(struct zone *preferred, struct zone *zone, unsigned int order, int mt,
		  unsigned int alloc_flags, int cpu, struct per_cpu_pages *pcp,
		  struct list_head *list)
{
	if (unlikely(list_empty(list)) && !rmqueue_pcp_refill(zone, order, mt, alloc_flags, pcp, list))
		return NULL;
	return pcp_take(preferred, zone, order, cpu, pcp, list, per_cpu_ptr(zone->machine->vm_events, cpu)->event);
}

static inline struct page *rmqueue_pcplist(struct zone *preferred, struct zone *zone,
					   unsigned int order, int mt, unsigned int alloc_flags)
{
	struct kmm_machine *m = zone->machine;
	int cpu = pcp_this_cpu(m);
	struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);
	struct kmm_cpu_guard *g = &m->cpus[cpu].guard;
	struct page *page;
	int token = kmm_cpu_tryenter(g);

	if (unlikely(token == -2))
		return NULL;	/* a shared slot, busy: the buddy instead */
	pcp->free_count >>= 1;
	page = __rmqueue_pcplist(preferred, zone, order, mt, alloc_flags, cpu, pcp,
				 &pcp->lists[order_to_pindex(mt, order)]);
	kmm_cpu_exit(g, token);
	return page;
}

/* rmqueue()'s last step, whichever list gave the page (or none did). */
static inline void rmqueue_wake_boosted(struct zone *zone, unsigned int alloc_flags)
{
	if (unlikely((alloc_flags & ALLOC_KSWAPD) &&
		     (__atomic_load_n(&zone->flags, __ATOMIC_RELAXED) &
		      (1UL << ZONE_BOOSTED_WATERMARK)))) {
		/* kswapd reclaims the boost away, then resets it */
		__atomic_fetch_and(&zone->flags, ~(1UL << ZONE_BOOSTED_WATERMARK),
				   __ATOMIC_RELAXED);
		wakeup_kswapd(zone, 0, 0, zone->type);
	}
}

/* The buddy half of rmqueue(), its last step included. */
static __attribute__((noinline)) struct page *
rmqueue_buddy(struct zone *preferred, struct zone *zone, unsigned int order,
	      unsigned int alloc_flags, int mt)
{
	struct page *page = NULL;

	spin_lock(&zone->lock);
	if (alloc_flags & ALLOC_HIGHATOMIC)
		page = __rmqueue_smallest(zone, order, MIGRATE_HIGHATOMIC);
	if (!page) {
		page = __rmqueue(zone, order, mt, alloc_flags);
		/* OOM and non-blocking order-0 requests may raid the HighAtomic reserve. */
		if (!page && (alloc_flags & (ALLOC_OOM | ALLOC_NON_BLOCK)))
			page = __rmqueue_smallest(zone, order, MIGRATE_HIGHATOMIC);
	}
	spin_unlock(&zone->lock);
	if (page) {
		count_events(zone->machine, PGALLOC_DMA + zone->type, 1L << order);
		zone_statistics_slow(preferred, zone);
		/* Linux emits it under zone->lock; here after, so a subscriber may take it. */
		trace_mm_page_alloc_zone_locked(zone->machine, page_to_pfn_m(zone->machine, page),
						order, mt, false);
	}
	rmqueue_wake_boosted(zone, alloc_flags);
	return page;
}

/* rmqueue() for the pcp orders: the CPU's list, else (or the slot busy) the buddy. */
static __attribute__((noinline)) struct page *
rmqueue_pcp(struct zone *preferred, struct zone *zone, unsigned int order,
	    unsigned int alloc_flags, int mt)
{
	struct page *page = rmqueue_pcplist(preferred, zone, order, mt, alloc_flags);

	if (unlikely(!page))
		return rmqueue_buddy(preferred, zone, order, alloc_flags, mt);
	rmqueue_wake_boosted(zone, alloc_flags);
	return page;
}

/**
 * rmqueue() - take a block of @order for @mt from @zone: the pcp list for
 * orders up to PAGE_ALLOC_COSTLY_ORDER, else (or if the slot is busy) the buddy.
 * @preferred: the zonelist's preferred zone (for numa_* events).
 * Context: enters this CPU slot's guard (a shared slot: trylock), may take zone->lock.
 * Return: the block (refcount still 0), or NULL.
 */
struct page *rmqueue(struct zone *preferred, struct zone *zone, unsigned int order,
		     gfp_t gfp, unsigned int alloc_flags, int mt)
{
	(void)gfp;
	/* a tail call either way: no register is saved for the buddy's orders */
	if (unlikely(!pcp_allowed_order(order)))
		return rmqueue_buddy(preferred, zone, order, alloc_flags, mt);
	return rmqueue_pcp(preferred, zone, order, alloc_flags, mt);
}

unsigned long rmqueue_pcp_bulk(struct zone *zone, int mt, unsigned int alloc_flags,
			       unsigned long i, unsigned long nr, struct page **array)
{
	struct kmm_machine *m = zone->machine;
	int cpu = pcp_this_cpu(m);
	struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);
	struct list_head *list = &pcp->lists[order_to_pindex(mt, 0)];
	struct kmm_cpu_guard *g = &m->cpus[cpu].guard;
	int token = kmm_cpu_tryenter(g);

	if (unlikely(token == -2))
		return i;
	pcp->free_count >>= 1;
	for (; i < nr; i++) {
		if (array[i])
			continue;	/* already populated: Linux skips those slots */
		struct page *page = __rmqueue_pcplist(zone, zone, 0, mt, alloc_flags, cpu, pcp, list);
		if (!page)
			break;
		array[i] = page;
	}
	kmm_cpu_exit(g, token);
	return i;
}

/**
 * drain_zone_pages_cpu() - return every pcp page of @zone's slot @cpu.
 * Context: that slot held (kmm_cpu_lock); takes zone->lock.
 */
static void drain_zone_pages_cpu(struct zone *zone, int cpu)
{
	struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);

	if (pcp->count)
		free_pcppages_bulk(zone, pcp->count, pcp, 0);
}

/**
 * drain_all_pages() - return every pcp page of @zone (all zones if NULL) to the buddy.
 * @m: the machine.
 * Context: holds every CPU slot (kmm_cpu_lock_all: one process-wide barrier,
 * Linux's IPIs), then each zone->lock; not from inside a slot section.
 */
void drain_all_pages(struct kmm_machine *m, struct zone *zone)
{
	if (!m->cpus)
		return;
	kmm_cpu_lock_all(m);
	if (zone) {
		if (zone->per_cpu_pageset)
			for (int cpu = 0; cpu < m->nr_cpus; cpu++)
				if (cpu_populated(&m->percpu, cpu))	/* else empty */
					drain_zone_pages_cpu(zone, cpu);
		kmm_cpu_unlock_all(m);
		return;
	}
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		pg_data_t *pgdat = m->node_data[nid];
		struct zone *z;

		if (!pgdat)
			continue;
		for_each_zone_in_node(z, pgdat)
			if (z->per_cpu_pageset)
				for (int cpu = 0; cpu < m->nr_cpus; cpu++)
					if (cpu_populated(&m->percpu, cpu))	/* else empty */
						drain_zone_pages_cpu(z, cpu);
	}
	kmm_cpu_unlock_all(m);
}

/* ---- Freeing pages ---- */

static __attribute__((noinline, cold)) void bad_page(struct page *page, const char *reason)
{
	struct kmm_machine *m = page_machine(page);

	kmm_printk(m, "BUG: Bad page state in process %s  pfn:%05lx", kmm_comm(m),
		   page_to_pfn_m(m, page));
	/* mapping is a host pointer: shown as Linux's %p shows one it may not hash. */
	kmm_printk(m, "page: refcount:%d mapcount:%d mapping:%s index:%#lx pfn:%#lx",
		   page_ref_count(page), page_mapcount(page),
		   page->mapping ? "(____ptrval____)" : "0000000000000000", page->index,
		   page_to_pfn_m(m, page));
	kmm_printk(m, "page dumped because: %s", reason);
	kmm_set_error(-EFAULT, "bad page state at pfn %#lx: %s", page_to_pfn_m(m, page), reason);
}

/*
 * Check and clean a block about to be freed: undo compound metadata, clear
 * flags. False if the page is in a state that must not be freed (reported).
 */
/* Undo __GFP_COMP's metadata on the tail pages. */
static __attribute__((noinline)) void free_tail_pages_prepare(struct page *page, unsigned int order)
{
	for (unsigned long i = 1; i < (1UL << order); i++) {
		page[i].compound_head = 0;
		if (i == 1)
			page[i].compound_order = 0;
		page[i].mapping = NULL;
	}
}

/*
 * Flags no page may carry into the allocator (part of Linux's
 * PAGE_FLAGS_CHECK_AT_FREE): a page still on an LRU list or in an add batch
 * is where isolate_lru_folios() can try to take a reference, and the free
 * fast path's plain store of the count relies on no such page reaching it
 * (__free_pages()). Tested with the PG_head test, in the same instruction.
 */
#define FREE_CHECK_FLAGS ((1UL << PG_lru) | (1UL << PG_lru_batch))

/* A typed or mapped page being freed: drop the type, refuse a mapped page. */
static __attribute__((noinline)) bool free_pages_check_type(struct page *page)
{
	/* A typed page (slab, table, ...) gets its type word back as a mapcount, as 6.12 does. */
	if ((page->page_type >> 24) > PGTY_buddy && (page->page_type >> 24) < PGTY_mapcount_underflow)
		__page_clear_type(page);
	if (unlikely(page_mapcount(page) != 0)) {
		bad_page(page, "nonzero mapcount");
		return false;
	}
	return true;
}

/* free_pages_prepare()'s checks for a buddy, typed or compound page, out of line. */
static __attribute__((noinline)) bool free_pages_prepare_slow(struct page *page,
							      unsigned int order)
{
	if (unlikely(PageBuddy(page))) {
		bad_page(page, "freeing a free page");
		return false;
	}
	if (unlikely(__atomic_load_n(&page->flags, __ATOMIC_RELAXED) & FREE_CHECK_FLAGS)) {
		bad_page(page, "PAGE_FLAGS_CHECK_AT_FREE flag(s) set");
		return false;
	}
	if (unlikely(PageHead(page)))
		free_tail_pages_prepare(page, order);
	/* UINT_MAX is both "no type" and "mapcount 0": the common case, nothing to fix. */
	if (unlikely(page->page_type != ~0u) && !free_pages_check_type(page))
		return false;
	return true;
}

/*
 * Check and clean a block about to be freed. The common page (no type,
 * mapcount 0, not compound) costs one compare of page_type and one of the
 * flags word read once; everything else is free_pages_prepare_slow()'s.
 */
static inline unsigned long __free_pages_prepare(struct page *page, unsigned int order)
{
	unsigned long flags = __atomic_load_n(&page->flags, __ATOMIC_RELAXED);

	if (unlikely(page->page_type != ~0u || (flags & ((1UL << PG_head) | FREE_CHECK_FLAGS)))) {
		if (!free_pages_prepare_slow(page, order))
			return 0;
		flags = __atomic_load_n(&page->flags, __ATOMIC_RELAXED);
	}
	flags &= ~PG_FLAGS_MASK;
	page->mapping = NULL;
	page->private = 0;
	__atomic_store_n(&page->flags, flags, __ATOMIC_RELAXED);
	return flags;
}

/*
 * Return: false if the page must not be freed (reported). The flags word
 * __free_pages_prepare() leaves is never 0 (a page's machine slot is >= 1),
 * so 0 can say so.
 */
static inline bool free_pages_prepare(struct page *page, unsigned int order)
{
	return __free_pages_prepare(page, order) != 0;
}

/*
 * Check, clean and free a block straight to the buddy (no CPU list): the
 * boot's frees and the large orders here; mm/page_alloc_exact.c's runs.
 * Context: takes zone->lock.
 */
void __free_pages_ok(struct page *page, unsigned int order, int fpi)
{
	struct kmm_machine *m = page_machine(page);

	if (free_pages_prepare(page, order))
		free_one_page(page_zone(page), page, page_to_pfn_m(m, page), order, fpi);
}

static __attribute__((noinline)) void free_unref_page_locked_out(struct zone *zone,
								 struct page *page,
								 unsigned long pfn,
								 unsigned int order)
{
	free_one_page(zone, page, pfn, order, FPI_NONE);
}

/*
 * free_unref_page() in a nested section or a shared slot: the slot's guard
 * the general way (a shared slot's lock busy: the buddy instead).
 */
static __attribute__((noinline)) void free_unref_page_slot(struct zone *zone, struct page *page,
							   unsigned long pfn, int mt,
							   unsigned int order, int cpu,
							   struct kmm_cpu_guard *g)
{
	int token = kmm_cpu_tryenter(g);

	if (likely(token != -2)) {
		free_unref_page_commit(zone, per_cpu_ptr(zone->per_cpu_pageset, cpu), page, mt, order, cpu);
		kmm_cpu_exit(g, token);
	} else {
		free_unref_page_locked_out(zone, page, pfn, order);
	}
}

static inline __attribute__((always_inline)) void free_unref_page(struct kmm_machine *m,
								 struct page *page,
								 unsigned int order)
{
	unsigned long pfn = page_to_pfn_m(m, page);
	struct zone *zone;
	struct kmm_cpu_guard *g;
	unsigned long flags;
	int mt, cpu;

	if (unlikely(!pcp_allowed_order(order))) {
		__free_pages_ok(page, order, FPI_NONE);
		return;
	}
	flags = __free_pages_prepare(page, order);
	if (unlikely(!flags))
		return;
	/* page_zone() from the flags word just written, with the machine already known */
	zone = &m->node_data[(flags >> PG_NODE_SHIFT) & ((1u << PG_NODE_BITS) - 1)]
			->node_zones[(flags >> PG_ZONE_SHIFT) & ((1u << PG_ZONE_BITS) - 1)];
	mt = get_pfnblock_migratetype(zone, pfn);
	if (unlikely(mt >= MIGRATE_PCPTYPES)) {
		if (mt == MIGRATE_ISOLATE) {
			free_unref_page_locked_out(zone, page, pfn, order);
			return;
		}
		mt = MIGRATE_MOVABLE;
	}
	if (likely(kmm_cpu_cache.serial == m->serial)) {
		cpu = kmm_cpu_cache.cpu;
		g = kmm_cpu_cache.guard;
		/* The common case: the slot owned, no section open (no locked instruction). */
		if (likely(kmm_cpu_enter_owned(g))) {
			free_unref_page_commit(zone, per_cpu_ptr(zone->per_cpu_pageset, cpu), page, mt, order, cpu);
			kmm_cpu_exit_owned(g);
			return;
		}
	} else {
		cpu = pcp_this_cpu(m);
		g = &m->cpus[cpu].guard;
	}
	free_unref_page_slot(zone, page, pfn, mt, order, cpu, g);
}

/**
 * __free_pages_core() - hand a boot-time free block to the buddy: clear
 * reserved, zero refcounts, count managed pages, free to the list tail.
 * @page: first page, initialised. @order: block order.
 * Context: boot.
 */
void __free_pages_core(struct page *page, unsigned int order)
{
	unsigned long nr = 1UL << order;

	for (unsigned long i = 0; i < nr; i++) {
		owner_flag_clear(&page[i], PG_reserved);
		set_page_count(&page[i], 0);
	}
	atomic_fetch_add_explicit(&page_zone(page)->managed_pages, (long)nr, memory_order_relaxed);
	__free_pages_ok(page, order, FPI_TO_TAIL);
}

/*
 * Someone else holds the first page of a non-compound block: free the rest
 * now, the first page goes when its last reference does.
 */
static __attribute__((noinline)) void free_pages_rest(struct page *page, unsigned int order)
{
	while (order-- > 0)
		free_unref_page(page_machine(page), page + (1UL << order), order);
}

/**
 * __free_pages() - drop a reference on an allocation of @order; free it when
 * it was the last. For a non-compound block whose first page is still held,
 * the rest is freed now and the first page when its last reference goes.
 * @page: first page (NULL is a no-op). @order: the order it was allocated at.
 * Context: any; may enter this CPU slot's guard and take zone->lock.
 */
/*
 * __free_pages() while someone listens (mm/events.c): the same, bracketed as
 * one operation, with mm_page_free when the block really goes back (Linux
 * emits it in free_pages_prepare(); boot's own frees stay silent here).
 */
static __attribute__((noinline)) void free_pages_traced(struct kmm_machine *m, struct page *page,
							unsigned int order)
{
	unsigned long pfn = page_to_pfn_m(m, page);
	bool head = PageHead(page);

	kmm_op_begin(m);
	if (unlikely(page_ref_count(page) <= 0)) {
		bad_page(page, PageBuddy(page) ? "double free" : "refcount already zero");
	} else if (put_page_testzero(page)) {
		trace_mm_page_free(m, pfn, order);
		free_unref_page(m, page, order);
	} else if (!head) {
		for (unsigned int o = order; o-- > 0;)
			trace_mm_page_free(m, pfn + (1UL << o), o);
		free_pages_rest(page, order);
	}
	kmm_op_end(m);
}

/* __free_pages() every way but the fast one (the page's flags word read as @flags). */
static __attribute__((noinline)) void free_pages_slow(struct kmm_machine *m, struct page *page,
						      unsigned int order, unsigned long flags)
{
	if (kmm_trace_on(m, KMM_EVMASK_PAGE_FREE)) {
		free_pages_traced(m, page, order);
		return;
	}
	int count = atomic_load_explicit(&page->_refcount, memory_order_acquire);

	if (unlikely(count <= 0)) {
		bad_page(page, PageBuddy(page) ? "double free" : "refcount already zero");
		return;
	}
	/*
	 * The last reference of a page no LRU holds goes with a plain store,
	 * as on the fast path and for the same reason (above __free_pages()):
	 * the orders above PAGE_ALLOC_COSTLY_ORDER and compound pages come
	 * this way, and an order-10 pair ran one lock sub here.
	 */
	if (count == 1 && !(flags & FREE_CHECK_FLAGS)) {
		set_page_count(page, 0);
		free_unref_page(m, page, order);
	} else if (likely(put_page_testzero(page))) {
		free_unref_page(m, page, order);
	} else if (!(flags & (1UL << PG_head))) {
		free_pages_rest(page, order);
	}
}

static __attribute__((noinline)) void free_frozen_pages_traced(struct kmm_machine *m,
							       struct page *page,
							       unsigned int order)
{
	kmm_op_begin(m);
	trace_mm_page_free(m, page_to_pfn_m(m, page), order);
	free_unref_page(m, page, order);
	kmm_op_end(m);
}

void free_frozen_pages(struct page *page, unsigned int order)
{
	unsigned long flags = __atomic_load_n(&page->flags, __ATOMIC_RELAXED);
	struct kmm_machine *m = kmm_machines[(flags >> PG_MACHINE_SHIFT) & ((1u << PG_MACHINE_BITS) - 1)];

	if (unlikely(page_ref_count(page) != 0)) {
		bad_page(page, "freeing a page whose count is not 0");
		return;
	}
	if (unlikely(kmm_trace_on(m, KMM_EVMASK_PAGE_FREE)))
		free_frozen_pages_traced(m, page, order);
	else
		free_unref_page(m, page, order);
}

/*
 * free_frozen_pages() of @pages[@i..@nr), one at a time (a free_unref_folios()
 * that could not take the slot, or met a page it must report).
 */
static __attribute__((noinline)) void free_frozen_pages_each(struct page **pages, unsigned int i,
							     unsigned int nr)
{
	for (; i < nr; i++)
		free_frozen_pages(pages[i], 0);
}

/**
 * free_unref_folios() - free_frozen_pages() of @nr order-0 pages whose
 * counts are 0, all of one machine, in one section of this thread's CPU
 * slot (Linux's free_unref_folios(): a batch to the per-CPU lists under
 * one pcp lock). Each page is checked and added as free_unref_page()
 * does; the machine, the trace test and the slot are looked up once.
 * Someone tracing page frees, a slot not owned, or a page with a count:
 * free_frozen_pages() from there on, a page at a time.
 * @pages: the pages. @nr: how many.
 * Context: not inside a slot section of its own; may take zone->lock.
 */
void free_unref_folios(struct page **pages, unsigned int nr)
{
	struct kmm_machine *m;
	struct kmm_cpu_guard *g;
	int cpu;

	if (!nr)
		return;
	m = page_machine(pages[0]);
	if (unlikely(kmm_trace_on(m, KMM_EVMASK_PAGE_FREE) || kmm_cpu_cache.serial != m->serial))
		return free_frozen_pages_each(pages, 0, nr);
	g = kmm_cpu_cache.guard;
	if (unlikely(!kmm_cpu_enter_owned(g)))
		return free_frozen_pages_each(pages, 0, nr);
	cpu = kmm_cpu_cache.cpu;
	for (unsigned int i = 0; i < nr; i++) {
		struct page *page = pages[i];
		unsigned long pfn, flags;
		struct zone *zone;
		int mt;

		if (unlikely(page_ref_count(page) != 0)) {
			kmm_cpu_exit_owned(g);
			return free_frozen_pages_each(pages, i, nr);	/* it reports the page */
		}
		flags = __free_pages_prepare(page, 0);
		if (unlikely(!flags))
			continue;
		zone = &m->node_data[(flags >> PG_NODE_SHIFT) & ((1u << PG_NODE_BITS) - 1)]
				->node_zones[(flags >> PG_ZONE_SHIFT) & ((1u << PG_ZONE_BITS) - 1)];
		pfn = page_to_pfn_m(m, page);
		mt = get_pfnblock_migratetype(zone, pfn);
		if (unlikely(mt >= MIGRATE_PCPTYPES)) {
			if (mt == MIGRATE_ISOLATE) {
				free_unref_page_locked_out(zone, page, pfn, 0);
				continue;
			}
			mt = MIGRATE_MOVABLE;
		}
		free_unref_page_commit(zone, per_cpu_ptr(zone->per_cpu_pageset, cpu), page, mt, 0, cpu);
	}
	kmm_cpu_exit_owned(g);
}

/*
 * The fast path's second half, in slot @g's section: drop the last
 * reference, free_pages_prepare() (page->private is set by the add), and
 * free_unref_page_add() onto @list of @pcp. Return: free_unref_page_add()'s.
 */
static inline __attribute__((always_inline)) int
free_pages_fast_commit(struct kmm_cpu_guard *g, struct per_cpu_pages *pcp, struct list_head *list,
		       struct page *page, unsigned int order, unsigned long flags)
{
	set_page_count(page, 0);
	page->mapping = NULL;
	__atomic_store_n(&page->flags, flags & ~PG_FLAGS_MASK, __ATOMIC_RELAXED);
	return free_unref_page_add(slot_events(g), pcp, list, page, order);
}

/*
 * The fast path when this thread's slot section is open already
 * (release_pages(), a slab giving its pages back) or the slot is shared:
 * the same free, nested in the section or under the slot's lock (a shared
 * slot's lock busy: free_pages_slow(), which goes to the buddy).
 */
static __attribute__((noinline)) void free_pages_nested(struct kmm_machine *m, struct page *page,
							unsigned int order, unsigned long flags,
							struct per_cpu_pages *pcp,
							struct list_head *list)
{
	struct kmm_cpu_guard *g = kmm_cpu_cache.guard;
	int token = kmm_cpu_tryenter(g), tune;

	if (unlikely(token == -2)) {
		free_pages_slow(m, page, order, flags);
		return;
	}
	tune = free_pages_fast_commit(g, pcp, list, page, order, flags);
	if (unlikely(tune))
		free_unref_page_tune(page_zone(page), pcp, pcp->batch, tune > 1,
				     (unsigned int)(list - pcp->lists));
	kmm_cpu_exit(g, token);
}

/*
 * The fast path, Linux's put_page_testzero() + free_unref_page() in one pass
 * for the common block: order <= PAGE_ALLOC_COSTLY_ORDER, not compound, no
 * page type and mapcount 0 (one compare: ~0u is both), the last reference,
 * a pcp migrate type, the zone not below its high mark (each free would
 * tune pcp->high), nobody tracing (so no debug checker or failure injection
 * either: they subscribe to the stream), this thread's cached CPU slot
 * entered in owned mode (nested or shared: free_pages_nested()). Every test
 * comes before the page is touched; anything else goes to free_pages_slow()
 * with nothing changed. The fast path calls nothing but tail calls, so it
 * saves few registers.
 *
 * The last reference is dropped with a plain store when the count is 1
 * (Linux: an atomic decrement), and that is exact: a count of 1 seen by its
 * holder cannot change under it. A count is raised only (a) by someone who
 * holds a reference already, (b) under the lock of a structure that holds
 * one (get_page(): a PTE under the page-table lock in GUP, fork and the
 * fault paths; a page-cache or swap-cache slot under its lock), neither
 * possible when the only reference is the freer's; or (c) speculatively,
 * by get_page_unless_zero(), whose one user, isolate_lru_folios(), tries it
 * under lru_lock on a page on an LRU list only. A page on a list or in an
 * add batch never comes here: pages that go on the LRU are freed by their
 * last put_user_page() with an atomic decrement and free_frozen_pages(),
 * after __page_cache_release() took them off under that lock, and
 * FREE_CHECK_FLAGS sends any page still marked to the slow path, which
 * reports it (a new speculative getter - of a pfn, of a page-cache slot
 * without its lock - would have to change this; see get_page_unless_zero()).
 * The count is read with acquire, as the atomic decrement would: it orders
 * this free after whatever the holder that dropped the count to 1 did to
 * the page before it (its release). A count above 1 takes the
 * atomic way (free_pages_slow()). The checks
 * are free_pages_prepare()'s without CONFIG_DEBUG_VM (flags, type/mapcount,
 * compound); kmm's own checks of a bad count stay on the slow path, and the
 * checkers prove the rest.
 */
void __free_pages(struct page *page, unsigned int order)
{
	struct kmm_machine *m;
	struct kmm_cpu_guard *g;
	struct per_cpu_pages *pcp;
	struct list_head *list;
	struct zone *zone;
	unsigned long flags;
	int mt, tune;

	if (unlikely(!page))
		return;
	/* One read of the flags word: the machine's slot, PG_head, node and zone. */
	flags = __atomic_load_n(&page->flags, __ATOMIC_RELAXED);
	m = kmm_machines[(flags >> PG_MACHINE_SHIFT) & ((1u << PG_MACHINE_BITS) - 1)];
	if (unlikely(!pcp_allowed_order(order) || (flags & ((1UL << PG_head) | FREE_CHECK_FLAGS)) ||
		     page->page_type != ~0u ||
		     atomic_load_explicit(&page->_refcount, memory_order_acquire) != 1 ||
		     kmm_cpu_cache.serial != m->serial || kmm_trace_on(m, KMM_EVMASK_PAGE_FREE)))
		return free_pages_slow(m, page, order, flags);
	zone = &m->node_data[(flags >> PG_NODE_SHIFT) & ((1u << PG_NODE_BITS) - 1)]
			->node_zones[(flags >> PG_ZONE_SHIFT) & ((1u << PG_ZONE_BITS) - 1)];
	mt = get_pfnblock_migratetype_m(m, zone, page_to_pfn_m(m, page));
	/* the zone below its high mark means tuning on every free: the slow path's */
	if (unlikely(mt >= MIGRATE_PCPTYPES || zone_below_high(zone)))
		return free_pages_slow(m, page, order, flags);
	pcp = per_cpu_ptr(zone->per_cpu_pageset, kmm_cpu_cache.cpu);
	list = &pcp->lists[order_to_pindex(mt, order)];
	g = kmm_cpu_cache.guard;
	if (unlikely(!kmm_cpu_enter_owned(g)))
		return free_pages_nested(m, page, order, flags, pcp, list);
	tune = free_pages_fast_commit(g, pcp, list, page, order, flags);
	if (likely(!tune)) {
		kmm_cpu_exit_owned(g);
		return;
	}
	free_unref_page_tune_exit(page, pcp, list, tune > 1, g);
}

void release_pages(struct page **pages, int nr)
{
	struct kmm_machine *m;
	struct kmm_cpu_guard *g = NULL;
	int token = 0;

	if (nr <= 0 || !pages[0])
		goto each;
	/* One slot section around the lot: each free nests in it for nothing. */
	m = page_machine(pages[0]);
	if (m && m->cpus) {
		g = &m->cpus[pcp_this_cpu(m)].guard;
		token = kmm_cpu_enter(g);
	}
each:
	for (int i = 0; i < nr; i++)
		if (pages[i])
			__free_pages(pages[i], 0);
	if (g)
		kmm_cpu_exit(g, token);
}

/**
 * free_pages() - __free_pages() by direct-map address (0 is a no-op).
 */
void free_pages(unsigned long addr, unsigned int order)
{
	if (addr)
		__free_pages(virt_to_page((const void *)addr), order);
}

/**
 * split_page() - make a non-compound block of @order into 1 << @order
 * independently freeable order-0 pages.
 */
void split_page(struct page *page, unsigned int order)
{
	if (!page)
		return;
	if (PageHead(page)) {
		kmm_printk(page_machine(page), "WARNING: split_page() of a compound page (pfn %#lx)",
			   page_to_pfn_m(page_machine(page), page));
		kmm_set_error(-EINVAL, "split_page: compound pages cannot be split this way");
		return;
	}
	for (unsigned long i = 1; i < (1UL << order); i++)
		set_page_count(&page[i], 1);
}
