// SPDX-License-Identifier: MIT
/*
 * mm/page_alloc_slowpath.c - getting pages: the watermark check with its
 * reserve rules, the zonelist walk (get_page_from_freelist), the slow path
 * (kswapd wake-up, reclaim hook, drain, HighAtomic unreserve, OOM hook,
 * __GFP_NOFAIL), page
 * preparation (__GFP_ZERO, __GFP_COMP) and the kernel-named allocation
 * entry points (alloc_pages, alloc_pages_node, __get_free_pages, ...).
 *
 * Linux counterpart: mm/page_alloc.c (6.12): __zone_watermark_ok,
 * zone_watermark_fast, gfp_to_alloc_flags, get_page_from_freelist,
 * __alloc_pages_slowpath, __alloc_pages_noprof, prep_new_page.
 *
 * Decisions where kmm has no kernel around it:
 *  - numa_node_id() is 0: every CPU slot sits on node 0.
 *  - The slow path wakes each node's kswapd (wake_all_kswapds ->
 *    wakeup_kswapd, mm/vmscan.c) when the request allows it, on entry and
 *    on every retry, as Linux does; rmqueue() wakes it for a boosted zone.
 *  - Direct reclaim calls m->reclaim (mm/vmscan.c's try_to_free_pages);
 *    should_reclaim_retry counts what reclaim could still free
 *    (zone_reclaimable_pages). Where reclaim made no progress the slow path
 *    goes on to the OOM hook as Linux's does; after it (once per request)
 *    the slow path drains the per-CPU lists and unreserves a HighAtomic
 *    pageblock, standing in for the progress Linux's asynchronous oom_reaper
 *    would already have made (kmm reaps a current-task victim only when its
 *    call returns) or a kill would make (no processes, or no hook). Without
 *    a reclaim layer that drain follows the (empty) reclaim.
 *  - OOM calls m->oom where Linux would call out_of_memory(); with no hook
 *    there is no progress and the allocation fails (Linux would panic with
 *    nothing to kill). For !__GFP_FS Linux claims progress without killing;
 *    kmm does too, so such requests retry - at most KMM_SLOWPATH_MAX_ROUNDS
 *    times in all (Linux may loop forever).
 *  - __GFP_NOFAIL: after the rounds, the request may use the min reserve and
 *    then ignore watermarks (what Linux grants it); if even that finds no
 *    page, kmm logs that the allocation could not be honoured and returns
 *    NULL with the failure report - a value, never a hang.
 *
 * The fast path. alloc_pages() and its siblings first try
 * alloc_pages_fast(), inline in each of them: orders 0..3 on the local
 * node, the preferred zone from a per-node table built at boot
 * (build_fast_zones), the zone's flags and the high-mark check (6.12's
 * get_page_from_freelist() checks the watermark before every rmqueue(), a
 * pcp hit too), then a pop from this CPU slot's pcp list with rmqueue()'s
 * counters (pcp_alloc_fast and pcp_take, page_alloc.h: the pcp take rmqueue()
 * uses too). It changes nothing unless it
 * hands out a page; otherwise __alloc_pages() runs from the start: the same
 * first step written out (the gfp_zone table, the ZONE_BELOW_HIGH test, the
 * watermark, rmqueue()), then the ordinary walk from where it
 * stopped, so the checks, their order and their side effects are those of
 * the plain walk. Cold work (__GFP_ZERO, __GFP_COMP, argument errors,
 * refills, the buddy) is out of line. bench/page_alloc measures it;
 * `bench/page_alloc pair ORDER N` under callgrind counts its instructions.
 *
 * Invariant: a page handed out has refcount 1 and no buddy state; with
 * __GFP_COMP it is a compound head with compound_order set.
 * Locking: takes zone and pcp locks through rmqueue(); never holds one while
 * calling the reclaim or OOM hooks.
 */
#include <errno.h>
#include <string.h>

#include "mm/include/swap.h"
#include "mm/include/vmstat.h"
#include "mm/include/highmem.h"
#include "mm/include/page_block.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"

static inline int numa_node_id_m(struct kmm_machine *m)
{
	(void)m;
	return 0;	/* every CPU slot sits on node 0 */
}

/* ---- Watermarks ---- */

static inline long __zone_watermark_unusable_free(const struct zone *z, unsigned int order,
						  unsigned int alloc_flags)
{
	long unusable = (1L << order) - 1;

	if (likely(!(alloc_flags & ALLOC_RESERVES)))
		unusable += (long)READ_ONCE(z->nr_free_highatomic);
	if (!(alloc_flags & ALLOC_CMA))
		unusable += (long)zone_page_state(z, NR_FREE_CMA_PAGES);
	return unusable;
}

/*
 * free_area_empty() (mm/page_alloc.c) inline for the watermark check: a
 * lockless peek at the list head, and at order MAX_PAGE_ORDER the Movable
 * list also counts the zone's deferred sections.
 */
static inline bool free_list_empty_peek(const struct zone *z, unsigned int order, int mt)
{
	const struct list_head *head = &z->free_area[order].free_list[mt];

	if (__atomic_load_n(&head->next, __ATOMIC_RELAXED) != head)
		return false;
	return !(order == MAX_PAGE_ORDER && mt == MIGRATE_MOVABLE &&
		 __atomic_load_n(&z->nr_deferred_blocks, __ATOMIC_RELAXED));
}

static inline bool watermark_ok_inline(struct zone *z, unsigned int order, unsigned long mark,
				       int highest_zoneidx, unsigned int alloc_flags,
				       long free_pages)
{
	long min = (long)mark;

	free_pages -= __zone_watermark_unusable_free(z, order, alloc_flags);
	if (unlikely(alloc_flags & ALLOC_RESERVES)) {
		if (alloc_flags & ALLOC_MIN_RESERVE) {
			min -= min / 2;
			if (alloc_flags & ALLOC_NON_BLOCK)
				min -= min / 4;
		}
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
	}
	if (free_pages <= min + READ_ONCE(z->lowmem_reserve[highest_zoneidx]))
		return false;
	if (!order)
		return true;
	for (unsigned int o = order; o < NR_PAGE_ORDERS; o++) {
		if (!__atomic_load_n(&z->free_area[o].nr_free, __ATOMIC_RELAXED))
			continue;
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			if (!free_list_empty_peek(z, o, mt))
				return true;
		if ((alloc_flags & ALLOC_CMA) && !free_list_empty_peek(z, o, MIGRATE_CMA))
			return true;
		if ((alloc_flags & (ALLOC_HIGHATOMIC | ALLOC_OOM)) &&
		    !free_list_empty_peek(z, o, MIGRATE_HIGHATOMIC))
			return true;
	}
	/* buddy=lazy: parked blocks may coalesce into one big enough; let rmqueue try. */
	if (z->machine->opts.buddy_lazy &&
	    __atomic_load_n(&z->nr_lazy_free, __ATOMIC_RELAXED) >= (1UL << order))
		return true;
	return false;
}

/**
 * __zone_watermark_ok() - may @z serve @order with @free_pages free and still
 * keep @mark plus lowmem_reserve[@highest_zoneidx]? ALLOC_MIN_RESERVE takes
 * half of min, ALLOC_NON_BLOCK a further quarter, ALLOC_OOM half again;
 * HighAtomic and CMA pages count only for those allowed them; order > 0 also
 * needs a big enough free block.
 * Return: true if the allocation may proceed.
 */
bool __zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
			 int highest_zoneidx, unsigned int alloc_flags, long free_pages)
{
	return watermark_ok_inline(z, order, mark, highest_zoneidx, alloc_flags, free_pages);
}

/** zone_watermark_ok() - __zone_watermark_ok() with the zone's NR_FREE_PAGES. */
bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
		       int highest_zoneidx, unsigned int alloc_flags)
{
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags,
				   (long)zone_page_state(z, NR_FREE_PAGES));
}

static bool zone_watermark_fast_slow(struct zone *z, unsigned int order, unsigned long mark,
				     int highest_zoneidx, unsigned int alloc_flags,
				     long free_pages);

/*
 * 6.12's zone_watermark_fast(): the order-0 shortcut inline (the common case,
 * a handful of loads and compares), everything else out of line.
 */
static inline bool zone_watermark_fast(struct zone *z, unsigned int order, unsigned long mark,
				       int highest_zoneidx, unsigned int alloc_flags)
{
	long free_pages = (long)zone_page_state(z, NR_FREE_PAGES);

	if (likely(!order)) {
		long usable = free_pages;
		long reserved = __zone_watermark_unusable_free(z, 0, alloc_flags);

		usable -= KMM_MIN(usable, reserved);
		if (likely(usable > (long)mark + READ_ONCE(z->lowmem_reserve[highest_zoneidx])))
			return true;
	} else if (likely(watermark_ok_inline(z, order, mark, highest_zoneidx, alloc_flags,
					      free_pages))) {
		/* order > 0: the full check inline; on failure the slow part repeats it. */
		return true;
	}
	return zone_watermark_fast_slow(z, order, mark, highest_zoneidx, alloc_flags, free_pages);
}

static __attribute__((noinline)) bool zone_watermark_fast_slow(struct zone *z, unsigned int order,
							       unsigned long mark,
							       int highest_zoneidx,
							       unsigned int alloc_flags,
							       long free_pages)
{
	if (__zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, free_pages))
		return true;
	/* __GFP_HIGH order-0 requests ignore the boost at the min mark. */
	if (unlikely(!order && (alloc_flags & ALLOC_MIN_RESERVE) &&
		     READ_ONCE(z->watermark_boost) &&
		     (alloc_flags & ALLOC_WMARK_MASK) == WMARK_MIN)) {
		mark = READ_ONCE(z->_watermark[WMARK_MIN]);
		return __zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags,
					   free_pages);
	}
	return false;
}

/* ---- The allocator proper ---- */

/**
 * gfp_to_alloc_flags() - the slow path's ALLOC_* flags for a request (6.12).
 * Return: ALLOC_WMARK_MIN | ALLOC_CPUSET plus reserve rights.
 */
unsigned int gfp_to_alloc_flags(gfp_t gfp, unsigned int order)
{
	unsigned int alloc_flags = ALLOC_WMARK_MIN | ALLOC_CPUSET;

	/* __GFP_HIGH == ALLOC_MIN_RESERVE and __GFP_KSWAPD_RECLAIM == ALLOC_KSWAPD. */
	alloc_flags |= gfp & (__GFP_HIGH | __GFP_KSWAPD_RECLAIM);
	if (!(gfp & __GFP_DIRECT_RECLAIM)) {
		if (!(gfp & __GFP_NOMEMALLOC)) {
			alloc_flags |= ALLOC_NON_BLOCK;
			if (order > 0)
				alloc_flags |= ALLOC_HIGHATOMIC;
		}
		if (alloc_flags & ALLOC_MIN_RESERVE)
			alloc_flags &= ~ALLOC_CPUSET;
	}
	return alloc_flags;
}

static unsigned int gfp_pfmemalloc_flags(gfp_t gfp)
{
	if (unlikely(gfp & __GFP_NOMEMALLOC))
		return 0;
	if (gfp & __GFP_MEMALLOC)
		return ALLOC_NO_WATERMARKS;
	if (kmm_current_oom_victim())	/* oom_reserves_allowed(current) */
		return ALLOC_OOM;
	return 0;
}

static unsigned int alloc_flags_nofragment(struct kmm_machine *m, struct zone *zone, gfp_t gfp)
{
	unsigned int alloc_flags = gfp & __GFP_KSWAPD_RECLAIM;

	/* Only kernels with ZONE_DMA32 (x86_64) do this. */
	if (!zone || !(m->zone_types_mask & (1u << ZONE_DMA32)))
		return alloc_flags;
	if (zone->type != ZONE_NORMAL)
		return alloc_flags;
	if (m->nr_node_ids > 1 && !populated_zone(zone - 1))
		return alloc_flags;
	return alloc_flags | ALLOC_NOFRAGMENT;
}

static void prep_compound_page(struct page *page, unsigned int order)
{
	unsigned long nr = 1UL << order;

	__atomic_store_n(&page->flags, page->flags | (1UL << PG_head), __ATOMIC_RELAXED);
	for (unsigned long i = 1; i < nr; i++) {
		struct page *p = &page[i];

		p->compound_head = (unsigned long)page | 1;
		set_page_count(p, 0);
	}
	page[1].compound_order = (unsigned char)order;
}

/* __GFP_ZERO and __GFP_COMP, out of the fast path. */
static __attribute__((noinline)) void prep_new_page_extra(struct page *page, unsigned int order,
							  gfp_t gfp)
{
	if (gfp & __GFP_ZERO) {
		/* Linux's kernel_init_pages(): each page through kmap_local_page() */
		for (unsigned long i = 0; i < (1UL << order); i++)
			clear_highpage(&page[i]);
	}
	if (order && (gfp & __GFP_COMP))
		prep_compound_page(page, order);
}

static inline void prep_new_page(struct page *page, unsigned int order, gfp_t gfp)
{
	page->private = 0;
	set_page_count(page, 1);
	if (unlikely(gfp & (__GFP_ZERO | __GFP_COMP)))
		prep_new_page_extra(page, order, gfp);
}

/*
 * The zonelist walk. @start is where the first pass begins: the preferred
 * zone, or the zone after it when kmm_alloc_pages()'s fast path has already
 * tried the preferred zone exactly as this loop would have. A retry without
 * ALLOC_NOFRAGMENT always starts again at the preferred zone.
 */
static struct page *__get_page_from_freelist(struct kmm_machine *m, gfp_t gfp, unsigned int order,
					     unsigned int alloc_flags,
					     const struct alloc_context *ac, int start)
{
	bool no_fallback;

retry:
	no_fallback = alloc_flags & ALLOC_NOFRAGMENT;
	for (int i = start; ac->zonelist->zones[i]; i++) {
		struct zone *zone = ac->zonelist->zones[i];
		struct zone *preferred = ac->zonelist->zones[ac->preferred_idx];
		unsigned long mark;
		struct page *page;

		if (zone->type > ac->highest_zoneidx)
			continue;
		if (no_fallback && m->nr_node_ids > 1 && zone != preferred &&
		    zone->node != preferred->node) {
			/* Locality matters more than fragmentation: retry allowing fallback. */
			alloc_flags &= ~ALLOC_NOFRAGMENT;
			goto retry;
		}
		if (!(__atomic_load_n(&zone->flags, __ATOMIC_RELAXED) & (1UL << ZONE_BELOW_HIGH))) {
			mark = high_wmark_pages(zone);
			if (zone_watermark_fast(zone, order, mark, (int)ac->highest_zoneidx,
						alloc_flags))
				goto try_this_zone;
			__atomic_fetch_or(&zone->flags, 1UL << ZONE_BELOW_HIGH, __ATOMIC_RELAXED);
		}
		mark = wmark_pages(zone, (enum zone_watermarks)(alloc_flags & ALLOC_WMARK_MASK));
		if (!zone_watermark_fast(zone, order, mark, (int)ac->highest_zoneidx, alloc_flags)) {
			if (alloc_flags & ALLOC_NO_WATERMARKS)
				goto try_this_zone;
			continue;
		}
try_this_zone:
		page = rmqueue(preferred, zone, order, gfp, alloc_flags, ac->migratetype);
		if (page) {
			prep_new_page(page, order, gfp);
			if (unlikely(alloc_flags & ALLOC_HIGHATOMIC))
				reserve_highatomic_pageblock(page, order, zone);
			return page;
		}
	}
	if (no_fallback) {
		alloc_flags &= ~ALLOC_NOFRAGMENT;
		start = ac->preferred_idx;
		goto retry;
	}
	return NULL;
}

static struct page *get_page_from_freelist(struct kmm_machine *m, gfp_t gfp, unsigned int order,
					   unsigned int alloc_flags, const struct alloc_context *ac)
{
	return __get_page_from_freelist(m, gfp, order, alloc_flags, ac, ac->preferred_idx);
}

/*
 * Where Linux runs direct reclaim. With a reclaim layer installed, call it
 * and retry; in either case drain the per-CPU lists once and give back a
 * HighAtomic pageblock, as Linux does after reclaim made progress. Without a
 * reclaim layer kmm still does this drain, standing in for the progress
 * reclaim would have made (documented deviation).
 */
static struct page *__alloc_pages_direct_reclaim(struct kmm_machine *m, gfp_t gfp,
						 unsigned int order, unsigned int alloc_flags,
						 const struct alloc_context *ac,
						 unsigned long *progress)
{
	struct page *page;
	bool drained = false;

	*progress = m->reclaim ? m->reclaim(m, gfp, order, ac->highest_zoneidx) : 0;
	/* No progress: on towards the OOM killer without draining, as Linux. */
	if (!*progress && m->reclaim)
		return NULL;
retry:
	page = get_page_from_freelist(m, gfp, order, alloc_flags, ac);
	if (!page && !drained) {
		unreserve_highatomic_pageblock(ac, false);
		drain_all_pages(m, NULL);
		drained = true;
		goto retry;
	}
	return page;
}

static bool should_reclaim_retry(struct kmm_machine *m, gfp_t gfp, unsigned int order,
				 const struct alloc_context *ac, unsigned int alloc_flags,
				 bool did_some_progress, int *no_progress_loops)
{
	(void)gfp;
	if (did_some_progress && order <= PAGE_ALLOC_COSTLY_ORDER)
		*no_progress_loops = 0;
	else
		(*no_progress_loops)++;
	if (!m->reclaim)
		return false;	/* no reclaim layer: nothing to retry for */
	if (*no_progress_loops > MAX_RECLAIM_RETRIES)
		goto out;
	/*
	 * Keep reclaiming while some zone's free pages plus what reclaim could
	 * still free there (zone_reclaimable_pages: file LRU, and anon while
	 * swap has room) would pass its min watermark.
	 */
	for (int i = ac->preferred_idx; ac->zonelist->zones[i]; i++) {
		struct zone *zone = ac->zonelist->zones[i];
		long available;

		if (zone->type > ac->highest_zoneidx)
			continue;
		available = (long)(zone_reclaimable_pages(zone) + zone_page_state(zone, NR_FREE_PAGES));
		if (__zone_watermark_ok(zone, order, min_wmark_pages(zone), (int)ac->highest_zoneidx,
					alloc_flags, available))
			return true;
	}
out:
	/* Before the OOM killer, the HighAtomic reserve goes back (6.12, every such round). */
	return unreserve_highatomic_pageblock(ac, true);
}

static struct page *__alloc_pages_may_oom(struct kmm_machine *m, gfp_t gfp, unsigned int order,
					  const struct alloc_context *ac, unsigned long *progress)
{
	struct page *page;

	*progress = 0;
	/* One more pass at the high mark, to catch a parallel OOM kill. */
	page = get_page_from_freelist(m, (gfp | __GFP_HARDWALL) & ~__GFP_DIRECT_RECLAIM, order,
				      ALLOC_WMARK_HIGH | ALLOC_CPUSET, ac);
	if (page)
		return page;
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		return NULL;
	if (gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE))
		return NULL;
	if (ac->highest_zoneidx < ZONE_NORMAL)
		return NULL;
	/* Linux's out_of_memory() claims progress without killing for !__GFP_FS. */
	bool freed = !(gfp & __GFP_FS) ? true : (m->oom ? m->oom(m, gfp, order) : false);

	if (freed || (gfp & __GFP_NOFAIL)) {
		*progress = freed;
		if (gfp & __GFP_NOFAIL)
			page = get_page_from_freelist(m, gfp, order, ALLOC_NO_WATERMARKS, ac);
	}
	return page;
}

/* wake_all_kswapds(): each node with an eligible zone in the zonelist, once. */
static void wake_all_kswapds(struct kmm_machine *m, unsigned int order, gfp_t gfp,
			     const struct alloc_context *ac)
{
	pg_data_t *last = NULL;

	if (!m->reclaim)
		return;		/* no reclaim layer, no kswapd */
	for (int i = ac->preferred_idx; ac->zonelist->zones[i]; i++) {
		struct zone *zone = ac->zonelist->zones[i];

		if (zone->type > ac->highest_zoneidx || zone->zone_pgdat == last)
			continue;
		last = zone->zone_pgdat;
		wakeup_kswapd(zone, gfp, (int)order, ac->highest_zoneidx);
	}
}

static inline bool prepare_alloc_pages(struct kmm_machine *m, gfp_t gfp, int nid,
				       struct alloc_context *ac);

/*
 * check_retry_zonelist(): were @ac's zonelists replaced since it was made
 * (memory hotplug populated a zone)? Then the walk may have missed a zone,
 * and the slow path starts again on the new lists before it fails or kills.
 */
static bool zonelists_replaced(const struct alloc_context *ac)
{
	const struct zonelist *now = node_zonelist(ac->pgdat, ZONELIST_FALLBACK);

	return ac->zonelist != now && ac->zonelist != now + ZONELIST_NOFALLBACK;
}

static struct page *__alloc_pages_slowpath(struct kmm_machine *m, gfp_t gfp, unsigned int order,
					   struct alloc_context *ac)
{
	bool can_direct_reclaim = gfp & __GFP_DIRECT_RECLAIM;
	bool costly = order > PAGE_ALLOC_COSTLY_ORDER;
	unsigned int alloc_flags, reserve_flags;
	unsigned long progress;
	int no_progress_loops, rounds = 0;
	bool oom_drained;
	struct page *page;

restart:
	progress = 0;
	no_progress_loops = 0;
	oom_drained = false;
	alloc_flags = gfp_to_alloc_flags(gfp, order);
	/* Below the low mark everywhere: kswapd starts before anything else. */
	if (alloc_flags & ALLOC_KSWAPD)
		wake_all_kswapds(m, order, gfp, ac);
	page = get_page_from_freelist(m, gfp, order, alloc_flags, ac);
	if (page)
		return page;
retry:
	if (++rounds > KMM_SLOWPATH_MAX_ROUNDS)
		goto nopage;
	if (alloc_flags & ALLOC_KSWAPD)
		wake_all_kswapds(m, order, gfp, ac);
	reserve_flags = gfp_pfmemalloc_flags(gfp);
	if (reserve_flags)
		alloc_flags = reserve_flags | (alloc_flags & ALLOC_KSWAPD);
	page = get_page_from_freelist(m, gfp, order, alloc_flags, ac);
	if (page)
		return page;
	if (!can_direct_reclaim)
		goto nopage;
	page = __alloc_pages_direct_reclaim(m, gfp, order, alloc_flags, ac, &progress);
	if (page)
		return page;
	if (gfp & __GFP_NORETRY)
		goto nopage;
	if (costly && !(gfp & __GFP_RETRY_MAYFAIL))
		goto nopage;
	if (should_reclaim_retry(m, gfp, order, ac, alloc_flags, progress > 0, &no_progress_loops))
		goto retry;
	if (zonelists_replaced(ac))
		goto restart_new_zonelists;
	page = __alloc_pages_may_oom(m, gfp, order, ac, &progress);
	if (page)
		return page;
	/*
	 * kmm: a kill that has freed nothing yet (the victim is the current task,
	 * reaped when its call returns, where Linux's oom_reaper would already
	 * be at work) or no kill at all (a machine without processes): what the
	 * per-CPU lists and a HighAtomic block hold is the progress there is.
	 * Take it once, as the drain after a successful reclaim would have.
	 */
	if (m->reclaim && !oom_drained) {
		oom_drained = true;
		unreserve_highatomic_pageblock(ac, false);
		drain_all_pages(m, NULL);
		page = get_page_from_freelist(m, gfp, order, alloc_flags, ac);
		if (page)
			return page;
	}
	/* An OOM victim used its reserves: fail rather than loop or kill again. */
	if (kmm_current_oom_victim() && ((alloc_flags & ALLOC_OOM) || (gfp & __GFP_NOMEMALLOC)))
		goto nopage;
	if (progress) {
		no_progress_loops = 0;
		goto retry;
	}
nopage:
	if (zonelists_replaced(ac))
		goto restart_new_zonelists;
	if (gfp & __GFP_NOFAIL) {
		/* Linux: some reserve access, then loop forever. kmm: bounded (KMM_SLOWPATH_MAX_ROUNDS). */
		page = get_page_from_freelist(m, gfp, order, ALLOC_MIN_RESERVE, ac);
		if (page)
			return page;
		page = get_page_from_freelist(m, gfp, order, ALLOC_NO_WATERMARKS, ac);
		if (page)
			return page;
		kmm_printk(m, "kmm: __GFP_NOFAIL allocation of order %u cannot be satisfied "
			   "(no memory and nothing reclaimable); failing after %d rounds",
			   order, rounds);
	}
	warn_alloc(m, gfp, order);
	return NULL;

restart_new_zonelists:
	/* rounds go on counting: each restart needs another rebuild, so this ends */
	if (prepare_alloc_pages(m, gfp, ac->pgdat->node_id, ac))
		goto restart;
	goto nopage;
}

/* gfp_zone_m() (mm/gfp.c) inline: the same table, the same folding. */
static inline enum zone_type gfp_zone_fast(const struct kmm_machine *m, gfp_t gfp)
{
	enum zone_type z = (enum zone_type)gfp_zone_table[gfp & GFP_ZONEMASK];

	if (m->zone_types_mask && z != ZONE_MOVABLE && !(m->zone_types_mask & (1u << z)))
		z = ZONE_NORMAL;
	return z;
}

/* gfp_migratetype() (mm/gfp.c) inline: __GFP_MOVABLE wins, then __GFP_RECLAIMABLE. */
static inline int gfp_migratetype_fast(gfp_t gfp)
{
	if (gfp & __GFP_MOVABLE)
		return MIGRATE_MOVABLE;
	return (gfp & __GFP_RECLAIMABLE) ? MIGRATE_RECLAIMABLE : MIGRATE_UNMOVABLE;
}

static inline bool prepare_alloc_pages(struct kmm_machine *m, gfp_t gfp, int nid,
				       struct alloc_context *ac)
{
	pg_data_t *pgdat = m->node_data[nid];

	ac->highest_zoneidx = gfp_zone_fast(m, gfp);
	ac->pgdat = pgdat;
	ac->zonelist = node_zonelist(pgdat, (gfp & __GFP_THISNODE) ? ZONELIST_NOFALLBACK
								  : ZONELIST_FALLBACK);
	ac->migratetype = gfp_migratetype_fast(gfp);
	ac->preferred_idx = 0;
	while (ac->zonelist->zones[ac->preferred_idx] &&
	       ac->zonelist->zones[ac->preferred_idx]->type > ac->highest_zoneidx)
		ac->preferred_idx++;
	return ac->zonelist->zones[ac->preferred_idx] != NULL;
}

/*
 * The first allocation attempt. Its common case - the preferred zone is not
 * marked below its high watermark and passes the high-mark check - is the
 * first iteration of get_page_from_freelist() written out inline (the same
 * checks, in the same order, with the same side effects); anything else, or
 * a miss in rmqueue(), goes on through the ordinary walk from the zone where
 * the inline attempt stopped. The fast path's flags never hold
 * ALLOC_HIGHATOMIC or ALLOC_NO_WATERMARKS, so nothing after rmqueue() is skipped.
 */
static inline struct page *__alloc_pages(struct kmm_machine *m, gfp_t gfp, unsigned int order,
					 int nid)
{
	pg_data_t *pgdat = m->node_data[nid];
	unsigned int zi = gfp & GFP_ZONEMASK;
	struct zone *zone = (gfp & __GFP_THISNODE) ? NULL
			    : __atomic_load_n(&pgdat->fast_zone[zi], __ATOMIC_ACQUIRE);
	unsigned int alloc_flags = ALLOC_WMARK_LOW;
	bool prepared = false, tried = false;
	struct alloc_context ac;
	struct page *page;
	int hz;

	/*
	 * The preferred zone and highest_zoneidx come from the node's table
	 * (build_fast_zones(): what prepare_alloc_pages() finds) where it has
	 * them, so a first attempt that succeeds builds no alloc_context.
	 */
	if (likely(zone)) {
		hz = __atomic_load_n(&pgdat->fast_zoneidx[zi], __ATOMIC_RELAXED);
	} else {
		if (unlikely(!prepare_alloc_pages(m, gfp, nid, &ac))) {
			warn_alloc(m, gfp, order);
			return NULL;
		}
		prepared = true;
		zone = ac.zonelist->zones[ac.preferred_idx];
		hz = (int)ac.highest_zoneidx;
	}
	alloc_flags |= alloc_flags_nofragment(m, zone, gfp);
	if (likely(!(__atomic_load_n(&zone->flags, __ATOMIC_RELAXED) & (1UL << ZONE_BELOW_HIGH))) &&
	    likely(zone_watermark_fast(zone, order, high_wmark_pages(zone), hz, alloc_flags))) {
		page = rmqueue(zone, zone, order, gfp, alloc_flags, gfp_migratetype_fast(gfp));
		if (likely(page)) {
			prep_new_page(page, order, gfp);
			return page;
		}
		tried = true;
	}
	if (!prepared && unlikely(!prepare_alloc_pages(m, gfp, nid, &ac))) {
		warn_alloc(m, gfp, order);
		return NULL;
	}
	/* on from the zone after the one tried (the table's zone is ac's preferred one) */
	int start = ac.preferred_idx + (tried ? 1 : 0);

	page = __get_page_from_freelist(m, gfp, order, alloc_flags, &ac, start);
	if (likely(page))
		return page;
	return __alloc_pages_slowpath(m, gfp, order, &ac);
}

/**
 * build_fast_zones() - fill @pgdat's fast_zone/fast_zoneidx table: for each
 * value of the zone modifier bits, what prepare_alloc_pages() finds for a
 * request on this node (bad combinations, and preferred zones of another
 * node, stay NULL: the ordinary path handles those). Context: boot, after
 * the zonelists are built.
 */
void build_fast_zones(struct kmm_machine *m, pg_data_t *pgdat)
{
	for (unsigned int bits = 0; bits <= GFP_ZONEMASK; bits++) {
		unsigned int zbits = bits & (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32);
		struct alloc_context ac;
		struct zone *zone = NULL;

		if (!(zbits & (zbits - 1)) && prepare_alloc_pages(m, bits, pgdat->node_id, &ac)) {
			zone = ac.zonelist->zones[ac.preferred_idx];
			if (zone->node != pgdat->node_id)
				zone = NULL;
		}
		/* the zone's index first: a reader that sees the zone sees its index */
		if (zone)
			__atomic_store_n(&pgdat->fast_zoneidx[bits], (unsigned char)ac.highest_zoneidx,
					 __ATOMIC_RELAXED);
		__atomic_store_n(&pgdat->fast_zone[bits], zone, __ATOMIC_RELEASE);
	}
}

/*
 * The allocation fast path: orders 0..PAGE_ALLOC_COSTLY_ORDER on the local
 * node, nobody tracing, no __GFP_ZERO, __GFP_COMP or __GFP_THISNODE (those
 * go the ordinary way), this thread's CPU slot cached, the preferred zone
 * (one table load) neither below its high mark nor boosted and passing the
 * high-mark check, and a page on its pcp list. That is exactly the first
 * step of __alloc_pages() when it succeeds, with the same counters (see
 * pcp_alloc_fast()); the zone flags it requires clear make the steps it
 * leaves out (setting ZONE_BELOW_HIGH, kswapd for a boosted zone) no-ops.
 * Any other case returns NULL having changed nothing, and the caller takes
 * the ordinary path from the start. The watermark check is Linux's: 6.12's
 * get_page_from_freelist() runs zone_watermark_fast() before every
 * rmqueue(), pcp hit or not, and so does this.
 */
static inline __attribute__((always_inline)) struct page *
alloc_pages_fast(struct kmm_machine *m, gfp_t gfp, unsigned int order)
{
	pg_data_t *pgdat = m->node_data[0];
	unsigned int zi = gfp & GFP_ZONEMASK;
	struct zone *zone;
	struct page *page;
	long free_pages, unusable;
	int hz;

	if (unlikely(kmm_cpu_cache.serial != m->serial ||
		     (gfp & (__GFP_THISNODE | __GFP_ZERO | __GFP_COMP)) || !pgdat ||
		     kmm_trace_on(m, KMM_EVMASK_PAGE_ALLOC)))
		return NULL;
	zone = __atomic_load_n(&pgdat->fast_zone[zi], __ATOMIC_ACQUIRE);
	if (unlikely(!zone || (__atomic_load_n(&zone->flags, __ATOMIC_RELAXED) &
			       ((1UL << ZONE_BELOW_HIGH) | (1UL << ZONE_BOOSTED_WATERMARK)))))
		return NULL;
	hz = __atomic_load_n(&pgdat->fast_zoneidx[zi], __ATOMIC_RELAXED);
	free_pages = (long)zone_page_state(zone, NR_FREE_PAGES);
	if (likely(!order)) {
		/* zone_watermark_fast()'s order-0 shortcut, with the fast path's flags */
		unusable = __zone_watermark_unusable_free(zone, 0, ALLOC_WMARK_LOW);
		free_pages -= KMM_MIN(free_pages, unusable);
		if (unlikely(free_pages <= (long)high_wmark_pages(zone) +
					  READ_ONCE(zone->lowmem_reserve[hz])))
			return NULL;
	} else if (unlikely(!watermark_ok_inline(zone, order, high_wmark_pages(zone), hz,
						 ALLOC_WMARK_LOW, free_pages))) {
		return NULL;
	}
	page = pcp_alloc_fast(zone, order, gfp_migratetype_fast(gfp));
	if (likely(page)) {
		/* prep_new_page() without __GFP_ZERO and __GFP_COMP (the slow path's) */
		page->private = 0;
		set_page_count(page, 1);
	}
	return page;
}

static struct page *alloc_pages_common(struct kmm_machine *m, gfp_t gfp, unsigned int order, int nid);

/*
 * __alloc_pages_bulk() (6.12; alloc_pages_bulk() in 6.14): fill the NULL
 * slots of @array with order-0 pages, as many as the preferred zone's pcp
 * list (refilled in batches from the buddy) gives in one CPU slot section
 * after one watermark check for all of them: the high mark plus @nr, with
 * ZONE_BELOW_HIGH clear (Linux checks the low mark plus @nr; the high mark
 * keeps ZONE_BELOW_HIGH and the pcp behaviour exactly as @nr single
 * allocations leave them). Otherwise, or if the pcp gives none, the pages
 * come one by one the ordinary way (Linux takes one so). The slots already
 * populated count in the result. Return: the populated slots.
 */
static unsigned long __alloc_pages_bulk(struct kmm_machine *m, gfp_t gfp, int nid,
					unsigned long nr, struct page **array)
{
	struct alloc_context ac;
	unsigned int alloc_flags = ALLOC_WMARK_LOW;
	unsigned long i = 0, done;
	struct zone *zone;

	while (i < nr && array[i])
		i++;
	if (i == nr)
		return nr;
	/* A single page, or someone listening: one at a time (each an event). */
	if (nr - i == 1 || kmm_trace_on(m, KMM_EVMASK_PAGE_ALLOC) || !prepare_alloc_pages(m, gfp, nid, &ac))
		goto one_by_one;
	zone = ac.zonelist->zones[ac.preferred_idx];
	alloc_flags |= alloc_flags_nofragment(m, zone, gfp);
	if ((__atomic_load_n(&zone->flags, __ATOMIC_RELAXED) & (1UL << ZONE_BELOW_HIGH)) ||
	    !zone_watermark_fast(zone, 0, high_wmark_pages(zone) + nr, (int)ac.highest_zoneidx,
				 alloc_flags))
		goto one_by_one;
	done = rmqueue_pcp_bulk(zone, ac.migratetype, alloc_flags, i, nr, array);
	for (unsigned long k = i; k < done; k++)
		if (array[k])
			prep_new_page(array[k], 0, gfp);
	if (done > i) {
		i = done;
		goto out;
	}
one_by_one:
	/* The ordinary path: at least one page, or none and the error set. */
	for (; i < nr; i++) {
		if (array[i])
			continue;
		if (!(array[i] = alloc_pages_common(m, gfp, 0, nid)))
			break;
	}
out:
	{
		unsigned long populated = 0;
		for (unsigned long k = 0; k < nr; k++)
			populated += array[k] != NULL;
		return populated;
	}
}

/* kmm_alloc_pages()'s argument errors, out of the fast path; NULL with the error set. */
static __attribute__((noinline, cold)) struct page *
alloc_pages_bad_args(struct kmm_machine *m, gfp_t gfp, unsigned int order, int nid)
{
	if (!m) {
		kmm_set_error(-EINVAL, "alloc_pages: no machine (call kmm_use first)");
		return NULL;
	}
	if (order > MAX_PAGE_ORDER) {
		if (!(gfp & __GFP_NOWARN))
			kmm_printk(m, "WARNING: alloc_pages: order %u > MAX_PAGE_ORDER %d", order,
				   MAX_PAGE_ORDER);
		kmm_set_error(-EINVAL, "alloc_pages: order %u exceeds MAX_PAGE_ORDER (%d)", order,
			      MAX_PAGE_ORDER);
		return NULL;
	}
	if (gfp_zone_bad(gfp)) {
		kmm_set_error(-EINVAL, "alloc_pages: gfp %#x combines zone modifiers", gfp);
		return NULL;
	}
	kmm_set_error(-EINVAL, "alloc_pages: no node %d", nid);
	return NULL;
}

/*
 * The allocation while someone listens (mm/events.c): one bracketed
 * operation that asks should_fail_alloc_page() first, as Linux's
 * prepare_alloc_pages() does, and ends with mm_page_alloc (pfn -1 when it
 * failed, as Linux prints a NULL page).
 */
static __attribute__((noinline)) struct page *alloc_pages_traced(struct kmm_machine *m, gfp_t gfp,
								 unsigned int order, int nid)
{
	struct page *page = NULL;

	kmm_op_begin(m);
	if (should_fail_alloc_page(m, gfp, order)) {
		kmm_set_error(-ENOMEM, "alloc_pages: failed by fail_page_alloc (order %u, gfp %#x)",
			      order, gfp);
	} else {
		page = __alloc_pages(m, gfp, order, nid);
		if (!page)
			kmm_set_error(-ENOMEM, "alloc_pages: out of memory (order %u, gfp %#x)",
				      order, gfp);
	}
	trace_mm_page_alloc(m, page ? page_to_pfn_m(m, page) : ~0UL, order, gfp,
			    gfp_migratetype_fast(gfp));
	kmm_op_end(m);
	return page;
}

/* ---- Public entry points ---- */

/**
 * kmm_alloc_pages() - allocate 2^@order pages on machine @m, preferring node
 * @nid (-1: the local node).
 * Return: the first page (refcount 1), or NULL with kmm_last_error() set; a
 * failure report goes to dmesg unless __GFP_NOWARN.
 */
static __attribute__((noinline)) struct page *alloc_pages_full(struct kmm_machine *m, gfp_t gfp,
								unsigned int order, int nid)
{
	unsigned int zbits = gfp & (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32);

	if (unlikely(!m || order > MAX_PAGE_ORDER || (zbits & (zbits - 1))))
		return alloc_pages_bad_args(m, gfp, order, nid);
	if (nid < 0)
		nid = numa_node_id_m(m);
	if (unlikely(nid >= m->nr_node_ids || !m->node_data[nid]))
		return alloc_pages_bad_args(m, gfp, order, nid);
	if (kmm_trace_on(m, KMM_EVMASK_PAGE_ALLOC))
		return alloc_pages_traced(m, gfp, order, nid);
	struct page *page = __alloc_pages(m, gfp, order, nid);

	if (unlikely(!page))
		kmm_set_error(-ENOMEM, "alloc_pages: out of memory (order %u, gfp %#x)", order, gfp);
	return page;
}

/*
 * The fast path inline in each entry point, the rest a tail call: no
 * callee-saved register is pushed on the fast path.
 */
static inline __attribute__((always_inline)) struct page *
alloc_pages_common(struct kmm_machine *m, gfp_t gfp, unsigned int order, int nid)
{
	if (likely(m && nid <= 0 && order <= PAGE_ALLOC_COSTLY_ORDER)) {
		struct page *page = alloc_pages_fast(m, gfp, order);

		if (likely(page))
			return page;
	}
	return alloc_pages_full(m, gfp, order, nid);
}

struct page *kmm_alloc_pages(struct kmm_machine *m, gfp_t gfp, unsigned int order, int nid)
{
	return alloc_pages_common(m, gfp, order, nid);
}

/**
 * alloc_pages_whole() - alloc_pages(@gfp, @order) for the malloc shim's page
 * blocks, called inside the shim's CPU slot section, where
 * alloc_pages_fast() cannot run (the section is open, so its owned entry
 * refuses) and each block went the whole way: a block of 2^@order pages,
 * not compound, its first page counted once. alloc_pages_fast()'s checks
 * (nobody tracing; the preferred zone neither below its high mark nor
 * boosted, and passing watermark_ok_inline() at that mark, the per-order
 * free-block test included), then rmqueue() on that zone with the flags
 * get_page_from_freelist()'s first step passes: the CPU's list for orders
 * up to 3, refilled from the buddy as ever, the buddy above. Any other case,
 * and a miss, goes the ordinary way. mt_churn: 583 instructions per block
 * through alloc_pages(), ~409 here.
 * @gfp: no __GFP_ZERO, __GFP_COMP or __GFP_THISNODE.
 * Context: inside this thread's CPU slot section on @m.
 * Return: the block, or NULL.
 */
struct page *alloc_pages_whole(struct kmm_machine *m, gfp_t gfp, unsigned int order)
{
	pg_data_t *pgdat = m->node_data[0];
	unsigned int zi = gfp & GFP_ZONEMASK;
	struct zone *zone = pgdat ? __atomic_load_n(&pgdat->fast_zone[zi], __ATOMIC_ACQUIRE) : NULL;
	struct page *page;

	if (unlikely(!zone || kmm_trace_on(m, KMM_EVMASK_PAGE_ALLOC) ||
		     (__atomic_load_n(&zone->flags, __ATOMIC_RELAXED) &
		      ((1UL << ZONE_BELOW_HIGH) | (1UL << ZONE_BOOSTED_WATERMARK)))))
		return kmm_alloc_pages(m, gfp, order, -1);
	int hz = __atomic_load_n(&pgdat->fast_zoneidx[zi], __ATOMIC_RELAXED);

	if (!watermark_ok_inline(zone, order, high_wmark_pages(zone), hz, ALLOC_WMARK_LOW,
				 (long)zone_page_state(zone, NR_FREE_PAGES)) ||
	    !(page = rmqueue(zone, zone, order, gfp,
			     ALLOC_WMARK_LOW | alloc_flags_nofragment(m, zone, gfp),
			     gfp_migratetype_fast(gfp))))
		return kmm_alloc_pages(m, gfp, order, -1);
	page->private = 0;
	set_page_count(page, 1);
	return page;
}

unsigned long kmm_alloc_pages_bulk(struct kmm_machine *m, gfp_t gfp, int nid, unsigned long nr,
				   struct page **array)
{
	unsigned int zbits = gfp & (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32);

	if (!m || !array || (zbits & (zbits - 1))) {
		kmm_set_error(-EINVAL, "alloc_pages_bulk: %s", !m ? "no machine (call kmm_use first)"
				     : !array ? "no array" : "gfp combines zone modifiers");
		return 0;
	}
	if (nid < 0)
		nid = numa_node_id_m(m);
	if (nid >= m->nr_node_ids || !m->node_data[nid]) {
		kmm_set_error(-EINVAL, "alloc_pages_bulk: no node %d", nid);
		return 0;
	}
	return __alloc_pages_bulk(m, gfp, nid, nr, array);
}

unsigned long alloc_pages_bulk(gfp_t gfp, unsigned long nr_pages, struct page **page_array)
{
	return kmm_alloc_pages_bulk(kmm_current(), gfp, -1, nr_pages, page_array);
}

unsigned long alloc_pages_bulk_array(gfp_t gfp, unsigned long nr_pages, struct page **page_array)
{
	return kmm_alloc_pages_bulk(kmm_current(), gfp, -1, nr_pages, page_array);
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	return alloc_pages_common(kmm_current(), gfp, order, -1);
}

struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	return alloc_pages_common(kmm_current(), gfp, order, nid);
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	/* 6.12 masks __GFP_HIGHMEM off: the caller wants an address. */
	struct page *page = alloc_pages(gfp & ~__GFP_HIGHMEM, order);

	return page ? (unsigned long)page_address(page) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}
