// SPDX-License-Identifier: MIT
/*
 * mm/page_alloc_fallback.c - when a request's own migrate type has no free
 * block: stealing from another type's lists, claiming whole pageblocks,
 * boosting the watermarks after a fragmenting fallback, and the HighAtomic
 * reserve that high-order atomic requests keep for themselves.
 *
 * Linux counterpart: mm/page_alloc.c (6.12): fallbacks[],
 * __rmqueue_fallback, find_suitable_fallback, can_steal_fallback,
 * steal_suitable_fallback, move_freepages_block, boost_watermark,
 * reserve_highatomic_pageblock, unreserve_highatomic_pageblock. Kept: the
 * fallbacks[] order, largest-first stealing (it approximates the emptiest
 * pageblock), the smallest foreign block for a movable request that cannot
 * claim, claiming when free plus alike pages reach half a pageblock, a boost
 * of one pageblock up to watermark_boost_factor of the high mark, a reserve
 * of about 1% of the zone. Simplified: no CMA fallback, no compaction.
 *
 * Invariant: a pageblock's free blocks sit on the list of its type, also
 * after a claim or a HighAtomic change (move_freepages_block moves them);
 * nr_reserved_highatomic counts the pages of HighAtomic pageblocks.
 *
 * Locking: zone->lock, held by the caller for __rmqueue_fallback and taken
 * here by the HighAtomic functions.
 */
#include "mm/internal.h"
#include "mm/page_alloc.h"

/* fallbacks[] of 6.12: which free lists a request may steal from, in order. */
static const int fallbacks[MIGRATE_PCPTYPES][MIGRATE_PCPTYPES - 1] = {
	[MIGRATE_UNMOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
};

/*
 * Count the free and the movable (LRU) pages of the pageblock around @page.
 * False if the pageblock straddles the zone's edges.
 */
static bool prep_move_freepages_block(struct zone *zone, struct page *page,
				      unsigned long *start_pfn, int *num_free, int *num_movable)
{
	struct kmm_machine *m = zone->machine;
	unsigned long pfn = page_to_pfn_m(m, page);
	unsigned long start = ALIGN_DOWN(pfn, m->pageblock_nr_pages);
	unsigned long end = start + m->pageblock_nr_pages;

	if (!zone_spans_pfn(zone, start) || !zone_spans_pfn(zone, end - 1))
		return false;
	*start_pfn = start;
	if (num_free) {
		*num_free = 0;
		*num_movable = 0;
		for (pfn = start; pfn < end;) {
			struct page *p = pfn_to_page_m(m, pfn);

			if (PageBuddy(p)) {
				int nr = 1 << buddy_order(p);

				*num_free += nr;
				pfn += (unsigned long)nr;
				continue;
			}
			if (PageLRU(p))
				(*num_movable)++;
			pfn++;
		}
	}
	return true;
}

static int __move_freepages_block(struct zone *zone, unsigned long start_pfn, int old_mt,
				  int new_mt)
{
	struct kmm_machine *m = zone->machine;
	unsigned long pfn, end = start_pfn + m->pageblock_nr_pages;
	int moved = 0;

	lockdep_assert_held(&zone->lock);

	for (pfn = start_pfn; pfn < end;) {
		struct page *p = pfn_to_page_m(m, pfn);

		if (!PageBuddy(p)) {
			pfn++;
			continue;
		}
		unsigned int order = buddy_order(p);

		move_to_free_list(p, zone, order, old_mt, new_mt);
		pfn += 1UL << order;
		moved += 1 << order;
	}
	set_pfnblock_migratetype(zone, start_pfn, new_mt);
	return moved;
}

static int move_freepages_block(struct zone *zone, struct page *page, int old_mt, int new_mt)
{
	unsigned long start_pfn;

	if (!prep_move_freepages_block(zone, page, &start_pfn, NULL, NULL))
		return -1;
	return __move_freepages_block(zone, start_pfn, old_mt, new_mt);
}

static bool can_steal_fallback(const struct kmm_machine *m, unsigned int order, int start_mt)
{
	if (order >= (unsigned int)m->pageblock_order)
		return true;
	return order >= (unsigned int)m->pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	       start_mt == MIGRATE_UNMOVABLE;
}

/**
 * boost_watermark() - raise the zone's watermarks by a pageblock after a
 * fragmenting fallback, up to watermark_boost_factor of the high mark.
 * Context: zone->lock held.
 */
static bool boost_watermark(struct zone *zone)
{
	struct kmm_machine *m = zone->machine;
	unsigned long max_boost, high = zone->_watermark[WMARK_HIGH];

	if (!m->watermark_boost_factor)
		return false;
	if (m->pageblock_nr_pages * 4 > zone_managed_pages(zone))
		return false;
	max_boost = (high / 10000) * (unsigned long)m->watermark_boost_factor +
		    (high % 10000) * (unsigned long)m->watermark_boost_factor / 10000;
	if (!max_boost)
		return false;
	max_boost = KMM_MAX(m->pageblock_nr_pages, max_boost);
	__atomic_store_n(&zone->watermark_boost,
			 KMM_MIN(zone->watermark_boost + m->pageblock_nr_pages, max_boost),
			 __ATOMIC_RELAXED);
	return true;
}

static int find_suitable_fallback(struct zone *zone, unsigned int order, int mt,
				  bool only_stealable, bool *can_steal)
{
	*can_steal = false;
	for (int i = 0; i < MIGRATE_PCPTYPES - 1; i++) {
		int fmt = fallbacks[mt][i];

		if (free_area_empty(zone, order, fmt))
			continue;
		if (can_steal_fallback(zone->machine, order, mt))
			*can_steal = true;
		if (!only_stealable || *can_steal)
			return fmt;
	}
	return -1;
}

/*
 * Take @page (a free block of @cur_order on a foreign list) for a request of
 * @order and @start_mt; claim its whole pageblock when that pays (6.12's
 * steal_suitable_fallback()).
 */
static struct page *steal_suitable_fallback(struct zone *zone, struct page *page,
					    unsigned int cur_order, unsigned int order,
					    int start_mt, unsigned int alloc_flags, bool whole_block)
{
	struct kmm_machine *m = zone->machine;
	int block_mt = get_pageblock_migratetype(page);
	int free_pages, movable_pages, alike_pages;
	unsigned long start_pfn;

	if (block_mt == MIGRATE_HIGHATOMIC)
		goto single_page;

	if (cur_order >= (unsigned int)m->pageblock_order) {
		del_page_from_free_list(page, zone, cur_order, block_mt);
		change_pageblock_range(zone, page_to_pfn_m(m, page), cur_order, start_mt);
		unsigned int added = expand(zone, page, order, cur_order, start_mt);

		account_freepages(zone, added, start_mt);
		return page;
	}

	if (boost_watermark(zone) && (alloc_flags & ALLOC_KSWAPD))
		__atomic_fetch_or(&zone->flags, 1UL << ZONE_BOOSTED_WATERMARK, __ATOMIC_RELAXED);

	if (!whole_block)
		goto single_page;
	if (!prep_move_freepages_block(zone, page, &start_pfn, &free_pages, &movable_pages))
		goto single_page;

	if (start_mt == MIGRATE_MOVABLE)
		alike_pages = movable_pages;
	else if (block_mt == MIGRATE_MOVABLE)
		alike_pages = (int)m->pageblock_nr_pages - (free_pages + movable_pages);
	else
		alike_pages = 0;

	if (free_pages + alike_pages >= (1 << (m->pageblock_order - 1))) {
		__move_freepages_block(zone, start_pfn, block_mt, start_mt);
		return __rmqueue_smallest(zone, order, start_mt);
	}

single_page:
	page_del_and_expand(zone, page, order, cur_order, block_mt);
	return page;
}

struct page *__rmqueue_fallback(struct zone *zone, unsigned int order, int start_mt,
				unsigned int alloc_flags)
{
	struct kmm_machine *m = zone->machine;
	unsigned int min_order = order;
	int cur, fmt = -1;
	bool can_steal;

	lockdep_assert_held(&zone->lock);

	if (order < (unsigned int)m->pageblock_order && (alloc_flags & ALLOC_NOFRAGMENT))
		min_order = (unsigned int)m->pageblock_order;

	/* The largest foreign block first: it approximates the emptiest pageblock. */
	for (cur = MAX_PAGE_ORDER; cur >= (int)min_order; cur--) {
		fmt = find_suitable_fallback(zone, (unsigned int)cur, start_mt, false, &can_steal);
		if (fmt == -1)
			continue;
		/*
		 * A movable request that cannot claim the block takes the
		 * smallest foreign block instead: less lasting damage.
		 */
		if (!can_steal && start_mt == MIGRATE_MOVABLE && (unsigned int)cur > order)
			goto find_smallest;
		goto do_steal;
	}
	return NULL;

find_smallest:
	for (cur = (int)order; cur < NR_PAGE_ORDERS; cur++) {
		fmt = find_suitable_fallback(zone, (unsigned int)cur, start_mt, false, &can_steal);
		if (fmt != -1)
			break;
	}
	if (cur >= NR_PAGE_ORDERS)
		return NULL;

do_steal: {
	struct page *page = get_page_from_free_area(zone, (unsigned int)cur, fmt);

	return steal_suitable_fallback(zone, page, (unsigned int)cur, order, start_mt,
				       alloc_flags, can_steal);
	}
}

/* ---- HighAtomic reserve ---- */

/**
 * reserve_highatomic_pageblock() - turn @page's pageblock into HighAtomic
 * reserve, up to about 1% of the zone.
 * @page: the page a high-order atomic request just got. @order: its order.
 * @zone: its zone.
 * Context: takes zone->lock.
 */
void reserve_highatomic_pageblock(struct page *page, unsigned int order, struct zone *zone)
{
	struct kmm_machine *m = zone->machine;
	unsigned long max_managed;
	int mt;

	if (zone_managed_pages(zone) / 100 < m->pageblock_nr_pages)
		return;
	max_managed = ALIGN_UP(zone_managed_pages(zone) / 100, m->pageblock_nr_pages);
	if (zone->nr_reserved_highatomic >= max_managed)
		return;

	spin_lock(&zone->lock);
	if (zone->nr_reserved_highatomic >= max_managed)
		goto out_unlock;
	mt = get_pageblock_migratetype(page);
	if (!migratetype_is_mergeable(mt))
		goto out_unlock;
	if (order < (unsigned int)m->pageblock_order) {
		if (move_freepages_block(zone, page, mt, MIGRATE_HIGHATOMIC) == -1)
			goto out_unlock;
		zone->nr_reserved_highatomic += m->pageblock_nr_pages;
	} else {
		change_pageblock_range(zone, page_to_pfn_m(m, page), order, MIGRATE_HIGHATOMIC);
		zone->nr_reserved_highatomic += 1UL << order;
	}
out_unlock:
	spin_unlock(&zone->lock);
}

/*
 * Give HighAtomic pageblocks back to @ac's migrate type when memory is
 * short; keep one pageblock per zone unless @force.
 */
/**
 * unreserve_highatomic_pageblock() - hand one HighAtomic pageblock back to
 * @ac's migrate type; keep one per zone unless @force.
 * @ac: the failing request. @force: memory is critically short.
 * Context: takes zone->lock. Return: true if a block was converted.
 */
bool unreserve_highatomic_pageblock(const struct alloc_context *ac, bool force)
{
	for (int i = ac->preferred_idx; ac->zonelist->zones[i]; i++) {
		struct zone *zone = ac->zonelist->zones[i];
		struct kmm_machine *m = zone->machine;

		if (zone->type > ac->highest_zoneidx)
			continue;
		if (!force && zone->nr_reserved_highatomic <= m->pageblock_nr_pages)
			continue;
		spin_lock(&zone->lock);
		for (unsigned int order = 0; order < NR_PAGE_ORDERS; order++) {
			struct page *page = get_page_from_free_area(zone, order, MIGRATE_HIGHATOMIC);
			int mt, ret;

			if (!page)
				continue;
			mt = get_pageblock_migratetype(page);
			if (mt == MIGRATE_HIGHATOMIC) {
				unsigned long size = KMM_MAX(m->pageblock_nr_pages, 1UL << order);

				size = KMM_MIN(size, zone->nr_reserved_highatomic);
				zone->nr_reserved_highatomic -= size;
			}
			if (order < (unsigned int)m->pageblock_order) {
				ret = move_freepages_block(zone, page, mt, ac->migratetype);
			} else {
				move_to_free_list(page, zone, order, mt, ac->migratetype);
				change_pageblock_range(zone, page_to_pfn_m(m, page), order,
						       ac->migratetype);
				ret = 1;
			}
			if (ret > 0) {
				spin_unlock(&zone->lock);
				return true;
			}
		}
		spin_unlock(&zone->lock);
	}
	return false;
}
