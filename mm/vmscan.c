// SPDX-License-Identifier: MIT
/*
 * mm/vmscan.c - page reclaim: the two-list LRU scan (shrink_lruvec,
 * shrink_list, shrink_active_list, shrink_inactive_list, shrink_folio_list),
 * the anon/file balance (get_scan_count), direct reclaim
 * (try_to_free_pages, the page allocator's m->reclaim) and kswapd
 * (wakeup_kswapd, balance_pgdat, kswapd_try_to_sleep).
 *
 * Linux counterpart: mm/vmscan.c (6.12, classic LRU, no MGLRU, no memcg).
 * Kept: isolation from the list tail in batches of SWAP_CLUSTER_MAX,
 * skipping (and counting pgskip_*) pages above the reclaim zone; the
 * referenced check through the reverse map on the accessed bits the MMU
 * sets (folio_check_references: a page referenced twice is activated, once
 * is rotated, never is reclaimed; VM_EXEC file pages activate at once);
 * active lists deactivated while inactive_is_low (ratio sqrt(10 * GB)),
 * except referenced VM_EXEC file pages; anon pages get a swap slot
 * (add_to_swap), are unmapped from every mapper (try_to_unmap writes the
 * swap entry), written (pageout) and freed from the swap cache; clean file
 * pages are unmapped and dropped from their file; MADV_FREE pages are
 * discarded unless redirtied; get_scan_count's SCAN_FILE without swap,
 * SCAN_EQUAL at priority 0, file_is_tiny, cache_trim_mode and the
 * swappiness-weighted fractions; priorities DEF_PRIORITY (12) down to 0 in
 * direct reclaim and to 1 in kswapd; shrink_slab after the lists, its freed
 * slab pages counted as reclaimed; kswapd reclaims until a zone up to the
 * requested one meets its high watermark (pgdat_balanced), reclaims
 * watermark boosts without swapping or writing and then resets them, gives
 * up after MAX_RECLAIM_RETRIES fruitless runs (node_unreclaimable); the
 * vmstat events pgscan/pgsteal_{kswapd,direct,anon,file}, pgrefill,
 * pgactivate, pgdeactivate, pgrotated-free, pageoutrun, allocstall_*,
 * kswapd_high_wmark_hit_quickly, slabs_scanned (in shrink_slab).
 * Writeback: a page under writeback is marked PG_reclaim and kept (its
 * completion rotates it to the inactive tail); a dirty file page is left to
 * the flusher, as 6.12 does: marked PG_reclaim, counted
 * nr_vmscan_immediate_reclaim and activated, and when every page a batch
 * took was dirty with nobody writing it the flusher is woken
 * (wakeup_flusher_threads, WB_REASON_VMSCAN); only kswapd writes one
 * itself (filemap_pageout, nr_vmscan_write), meeting it again marked on a
 * node it found all unqueued dirty (PGDAT_DIRTY, cleared once balanced);
 * a written page is freed by a later pass; a
 * reclaimer meeting marked pages still in flight (nr_immediate), and direct
 * reclaim that freed nothing by priority 1, wait on the virtual clock
 * (reclaim_throttle). Swap-outs go the same way (anon pages by
 * swap_writepage, dirty shmem pages by mm/shmem.c's shmem_writeout()): the
 * page stays in the swap cache under writeback and a later pass frees it.
 * Simplified: PGDAT_DIRTY is set only when kswapd took at least one file
 * page (6.12 also sets it when it took none); no PGDAT_WRITEBACK or
 * congested node (see the writeback cases in shrink_folio_list); refault detection
 * for anon pages only (an evicted swap-cache page leaves a workingset
 * shadow, mm/workingset.c; file pages leave none yet); no compaction,
 * so order > 0 requests reclaim as order 0 does; kswapd's short "premature
 * sleep" (HZ/10) runs on the virtual clock: a balanced kswapd naps until
 * 100 ms of virtual time have passed; a wake-up before that counts
 * kswapd_low_wmark_hit_quickly, an unbalanced node at the nap's end
 * kswapd_high_wmark_hit_quickly (and kswapd runs again).
 * Added: kswapd=step runs a woken kswapd at kmm_kswapd_run_pending() (after
 * each scenario command), with a report of what it did.
 *
 * Locking: every pass that isolates pages (shrink_node, kswapd's aging)
 * runs inside procs_enter(), so process_check and pressure_check (which
 * stop that world) never see an isolated page's extra reference; the
 * reverse-map walks take their own locks (folio_referenced, try_to_unmap);
 * lruvec->lru_lock only around list moves. shrink_folio_list holds each
 * page's PG_locked (a trylock: a page someone holds is kept for a later
 * pass) from before its first look at the page's ->mapping and flags to
 * its keep, activation or free, so truncation, DONTNEED, the write-out
 * paths and a swap-in (which take the page lock to change them) never
 * move under it; its write-out and removal helpers (add_to_swap,
 * swap_writepage, shmem_writeout, filemap_pageout, remove_mapping) run on
 * the locked page. The pages of a batch that go on to be written or freed
 * stay locked across the batch's one TLB shootdown wait: several page locks
 * at once, each taken by trylock, so none is awaited while others are held.
 * Order: PG_locked -> a PTE table's lock, i_pages_lock, si->lock. No spinning
 * lock across swap I/O.
 */
#include <errno.h>
#include <string.h>

#include "include/kmm/swap.h"
#include "mm/include/events.h"
#include "mm/include/filemap.h"
#include "mm/include/slab.h"
#include "mm/swap.h"

/* ---- Helpers ---- */

static _Thread_local bool in_reclaim;	/* PF_MEMALLOC: reclaim must not recurse */

/*
 * A reclaim pass that isolates pages runs inside procs_enter(), so the
 * checkers - which stop the process layer's world (procs_stop) - never see
 * an isolated page, and the rmap walkers' SRCU rules hold.
 */
static int reclaim_enter(struct kmm_machine *m)
{
	return procs_of(m) ? procs_enter(m) : 0;
}

static void reclaim_exit(struct kmm_machine *m, int token)
{
	if (procs_of(m))
		procs_exit(m, token);
}

/* list_splice(): @list's entries at the head of @head; @list is left stale. */
static void splice_head(struct list_head *list, struct list_head *head)
{
	if (list_empty(list))
		return;
	struct list_head *first = list->next, *last = list->prev, *at = head->next;

	first->prev = head;
	head->next = first;
	last->next = at;
	at->prev = last;
}

static struct page *lru_to_page(struct list_head *list)
{
	return list_entry(list->prev, struct page, lru);
}

/* can_reclaim_anon_pages(): anonymous pages can go somewhere (free swap). */
static bool can_reclaim_anon_pages(struct kmm_machine *m)
{
	return get_nr_swap_pages(m) > 0;
}

unsigned long zone_reclaimable_pages(struct zone *zone)
{
	unsigned long nr = zone_page_state(zone, NR_ZONE_INACTIVE_FILE) +
			   zone_page_state(zone, NR_ZONE_ACTIVE_FILE);

	if (can_reclaim_anon_pages(zone->machine))
		nr += zone_page_state(zone, NR_ZONE_INACTIVE_ANON) +
		      zone_page_state(zone, NR_ZONE_ACTIVE_ANON);
	return nr;
}

/* inactive_is_low(): the inactive list is short of its share of the pair. */
static bool inactive_is_low(struct lruvec *lruvec, enum lru_list inactive_lru)
{
	enum lru_list active_lru = (enum lru_list)(inactive_lru + LRU_ACTIVE);
	unsigned long inactive = node_page_state(lruvec->pgdat,
						 (enum node_stat_item)(NR_LRU_BASE + inactive_lru));
	unsigned long active = node_page_state(lruvec->pgdat,
					       (enum node_stat_item)(NR_LRU_BASE + active_lru));
	unsigned long gb = (inactive + active) >> (30 - PAGE_SHIFT);
	unsigned long ratio = gb ? int_sqrt(10 * gb) : 1;

	return inactive * ratio < active;
}

static int vm_swappiness(struct kmm_machine *m)
{
	return __atomic_load_n(&pressure_of(m)->swappiness, __ATOMIC_RELAXED);
}

/* ---- Isolation ---- */

/*
 * isolate_lru_folios(): take up to @nr_to_scan pages from the tail of
 * @lru onto @dst, each with a reference and PG_lru cleared. Pages of zones
 * above sc->reclaim_idx are skipped (back to the head, counted pgskip_*).
 * *@nr_scanned counts every page looked at. Context: lru_lock held.
 *
 * A page on a list holds no reference of its own: its last holder drops
 * the count to 0 and only then takes it off the list, under lru_lock
 * (put_user_page(), __page_cache_release()). So the reference is
 * speculative, get_page_unless_zero() as Linux's folio_try_get(), and a
 * page whose count is 0 is left where it is (moved to the head, as Linux
 * does) for its freer to take off.
 */
static unsigned long isolate_lru_folios(struct kmm_machine *m, unsigned long nr_to_scan,
					struct lruvec *lruvec, struct list_head *dst,
					unsigned long *nr_scanned, struct scan_control *sc,
					enum lru_list lru)
{
	struct list_head *src = &lruvec->lists[lru];
	unsigned long nr_taken = 0, scan = 0, total_scan = 0, skipped = 0;
	unsigned long nr_zone_taken[MAX_NR_ZONES] = { 0 }, nr_skipped[MAX_NR_ZONES] = { 0 };
	struct list_head folios_skipped;

	INIT_LIST_HEAD(&folios_skipped);
	while (scan < nr_to_scan && !list_empty(src)) {
		struct page *page = lru_to_page(src);
		struct list_head *move_to = src;
		unsigned int zid = page_zonenum(page);

		total_scan++;
		if (skipped < (SWAP_CLUSTER_MAX << 10) && zid > (unsigned int)sc->reclaim_idx) {
			nr_skipped[zid]++;
			skipped++;
			move_to = &folios_skipped;
			goto move;
		}
		scan++;
		if (!sc->may_unmap && page_mapcount(page) > 0)
			goto move;
		if (!get_page_unless_zero(page))
			goto move;	/* being freed */
		page_flag_clear(page, PG_lru);
		nr_taken++;
		nr_zone_taken[zid]++;
		move_to = dst;
move:
		list_move(&page->lru, move_to);
	}
	if (!list_empty(&folios_skipped)) {
		splice_head(&folios_skipped, src);
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (nr_skipped[z])
				count_vm_events(m, (enum vm_event_item)(PGSKIP_DMA + z), (long)nr_skipped[z]);
	}
	*nr_scanned = total_scan;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		if (nr_zone_taken[z])
			update_lru_size(lruvec, lru, (enum zone_type)z, -(long)nr_zone_taken[z]);
	return nr_taken;
}

/*
 * move_folios_to_lru(): isolated pages back onto their lists (by their
 * flags now), then the isolation references are dropped - freeing a page
 * whose other references went meanwhile. Return: evictable pages moved.
 */
static unsigned long move_folios_to_lru(struct kmm_machine *m, struct lruvec *lruvec,
					struct list_head *list)
{
	struct page *put[SWAP_CLUSTER_MAX];
	unsigned long nr = 0, moved = 0;

	while (!list_empty(list)) {
		spin_lock(&lruvec->lru_lock);
		while (!list_empty(list) && nr < SWAP_CLUSTER_MAX) {
			struct page *page = lru_to_page(list);

			list_del(&page->lru);
			lru_add(m, lruvec, page);
			moved += !page_flag_test(page, PG_unevictable);
			if (page_flag_test(page, PG_active))
				workingset_age_nonresident(lruvec, 1);
			put[nr++] = page;
		}
		spin_unlock(&lruvec->lru_lock);
		for (unsigned long i = 0; i < nr; i++)
			put_user_page_ref(put[i]);
		nr = 0;
	}
	return moved;
}

/* ---- The active list ---- */

static void shrink_active_list(struct kmm_machine *m, unsigned long nr_to_scan,
			       struct lruvec *lruvec, struct scan_control *sc, enum lru_list lru)
{
	struct list_head l_hold, l_active, l_inactive;
	unsigned long nr_taken, nr_scanned, nr_rotated = 0, nr_deactivate;
	bool file = is_file_lru(lru);
	pg_data_t *pgdat = lruvec->pgdat;

	INIT_LIST_HEAD(&l_hold);
	INIT_LIST_HEAD(&l_active);
	INIT_LIST_HEAD(&l_inactive);
	lru_add_drain(m);
	spin_lock(&lruvec->lru_lock);
	nr_taken = isolate_lru_folios(m, nr_to_scan, lruvec, &l_hold, &nr_scanned, sc, lru);
	mod_node_page_state(pgdat, file ? NR_ISOLATED_FILE : NR_ISOLATED_ANON, (long)nr_taken);
	count_vm_events(m, PGREFILL, (long)nr_scanned);
	spin_unlock(&lruvec->lru_lock);

	while (!list_empty(&l_hold)) {
		struct page *page = lru_to_page(&l_hold);
		unsigned long vm_flags = 0;

		list_del(&page->lru);
		if (!folio_evictable(page)) {
			folio_putback_lru(page);
			mod_node_page_state(pgdat, file ? NR_ISOLATED_FILE : NR_ISOLATED_ANON, -1);
			nr_taken--;
			continue;
		}
		if (folio_referenced(page, &vm_flags) && (vm_flags & VM_EXEC) && folio_is_file_lru(page)) {
			/* referenced program text gets one more trip around the active list */
			nr_rotated++;
			list_add(&page->lru, &l_active);
			continue;
		}
		page_flag_clear(page, PG_active);
		page_flag_set(page, PG_workingset);
		list_add(&page->lru, &l_inactive);
	}
	move_folios_to_lru(m, lruvec, &l_active);
	nr_deactivate = move_folios_to_lru(m, lruvec, &l_inactive);
	count_vm_events(m, PGDEACTIVATE, (long)nr_deactivate);
	mod_node_page_state(pgdat, file ? NR_ISOLATED_FILE : NR_ISOLATED_ANON, -(long)nr_taken);
	if (nr_rotated)
		lru_note_cost(lruvec, file, 0, nr_rotated);
}

/* ---- Deciding one page ---- */

enum folio_references {
	FOLIOREF_RECLAIM,
	FOLIOREF_RECLAIM_CLEAN,
	FOLIOREF_KEEP,
	FOLIOREF_ACTIVATE,
};

static enum folio_references folio_check_references(struct page *page)
{
	unsigned long vm_flags = 0;
	int referenced_ptes = folio_referenced(page, &vm_flags);
	bool referenced_folio = page_flag_test(page, PG_referenced);

	page_flag_clear(page, PG_referenced);
	if (vm_flags & VM_LOCKED)
		return FOLIOREF_ACTIVATE;	/* mlocked: putback moves it to unevictable */
	if (referenced_ptes) {
		/*
		 * Every mapped page starts with a young PTE from its fault, so
		 * one reference earns another trip around the inactive list;
		 * a second (or a second mapping's) earns activation.
		 */
		page_flag_set(page, PG_referenced);
		if (referenced_folio || referenced_ptes > 1)
			return FOLIOREF_ACTIVATE;
		if ((vm_flags & VM_EXEC) && folio_is_file_lru(page))
			return FOLIOREF_ACTIVATE;
		return FOLIOREF_KEEP;
	}
	if (referenced_folio && folio_is_file_lru(page))
		return FOLIOREF_RECLAIM_CLEAN;
	return FOLIOREF_RECLAIM;
}

static bool find_dirty_pte(struct page *page, struct vm_area_struct *vma, unsigned long addr,
			   void *ptep, void *arg)
{
	if (pte_dirty(pte_get(&vma->vm_mm->pgt, ptep))) {
		*(bool *)arg = true;
		return false;
	}
	return true;
}

/* A shmem page: swap-backed, not anonymous, in a file's page cache (mm/shmem.c). */
static bool folio_is_shmem(const struct page *page)
{
	return page_flag_test(page, PG_swapbacked) && !PageAnon(page) && !PageSwapCache(page) &&
	       page->mapping;
}

/*
 * remove_mapping(): a clean, unmapped page leaves whatever caches it -
 * the swap cache (the slot keeps the data) or its file's page cache - if
 * only the isolation and the cache hold it. Return: true when the
 * isolation reference is the last one.
 */
static bool remove_mapping(struct page *page)
{
	if (PageSwapCache(page)) {
		if (page_ref_count(page) != 2 || page_mapcount(page) > 0)
			return false;	/* cheap first look; swap_cache_reclaim() decides */
		return swap_cache_reclaim(page);
	}
	if (!PageAnon(page) && page->mapping)
		return filemap_remove_mapping(page);	/* mm/filemap.c */
	return page_ref_count(page) == 1 && page_mapcount(page) <= 0;
}

/*
 * What one shrink_folio_list() call met (Linux's struct reclaim_stat, the
 * fields kmm uses): shrink_inactive_list() adds them up in sc->nr.
 */
struct reclaim_stat {
	unsigned long nr_dirty;		/* file pages dirty or under writeback */
	unsigned long nr_unqueued_dirty; /* dirty file pages nobody is writing */
	unsigned long nr_congested;	/* under writeback, marked PG_reclaim by an earlier pass */
	unsigned long nr_writeback;	/* under writeback, marked now */
	unsigned long nr_immediate;	/* under writeback, marked before: the throttle's cue */
	unsigned long nr_pageout;	/* writes started */
};

/*
 * folio_check_dirty_writeback(): is the page dirty, under writeback? Asked
 * of file pages only: anon, shmem and MADV_FREE pages are never "dirty"
 * here (their writes go to swap, which has no flusher).
 */
static void folio_check_dirty_writeback(struct page *page, bool *dirty, bool *writeback)
{
	if (!folio_is_file_lru(page) || PageAnon(page)) {
		*dirty = *writeback = false;
		return;
	}
	*dirty = page_flag_test(page, PG_dirty);
	*writeback = page_flag_test(page, PG_writeback);
}

/*
 * What became of one page in shrink_folio_list. The first pass over a batch
 * decides each page up to its unmap: kept (STEP_KEEP, unlocked, its
 * activation done) or to go on (STEP_GO_ON*, locked, its references
 * verdict in the step). The second pass, after the batch's one shootdown
 * wait, writes or frees the pages that go on.
 */
enum folio_step {
	STEP_KEEP,		/* back to the list (unlocked) */
	STEP_KEEP_LOCKED,	/* back to the list: unlock it first */
	STEP_ACTIVATE_LOCKED,	/* activate (PG_active), unlock, back to the list */
	STEP_FREE,		/* freed: unlock and drop the isolation reference */
	STEP_GO_ON,		/* locked, FOLIOREF_RECLAIM: on to the second pass */
	STEP_GO_ON_CLEAN,	/* locked, FOLIOREF_RECLAIM_CLEAN: likewise */
};

/*
 * The first half of deciding @page (isolated, its lock not yet taken), up
 * to and including try_to_unmap(). *@unmapped is set when a mapped page
 * lost its PTEs: its TLB entries are flushed, but a store through one may
 * still be in flight until the batch's shootdown wait.
 */
static enum folio_step shrink_folio_unmap(struct kmm_machine *m, struct page *page,
					  struct scan_control *sc, struct reclaim_stat *stat,
					  bool *unmapped)
{
	const struct pgtable_geometry *geo = pgtable_geometry_of(m);
	enum folio_references references;
	bool anon, dirty, writeback;

	/*
	 * The page lock first (Linux: folio_trylock): ->mapping and the flags
	 * read below stay as they are while truncation, DONTNEED and a
	 * swap-in, which change them holding it, wait. A page someone holds
	 * locked is left for the next pass.
	 */
	if (!trylock_page(page))
		return STEP_KEEP;
	sc->nr_scanned++;
	if (!folio_evictable(page))
		return STEP_ACTIVATE_LOCKED;
	if (!sc->may_unmap && page_mapcount(page) > 0)
		return STEP_KEEP_LOCKED;
	/* what decides PGDAT_DIRTY and the flusher's wake-up (shrink_inactive_list) */
	folio_check_dirty_writeback(page, &dirty, &writeback);
	if (dirty || writeback)
		stat->nr_dirty++;
	if (dirty && !writeback)
		stat->nr_unqueued_dirty++;
	if (writeback && page_flag_test(page, PG_reclaim))
		stat->nr_congested++;
	if (page_flag_test(page, PG_writeback)) {
		/*
		 * Under writeback (Linux's cases 1 and 2): marked PG_reclaim, so its
		 * completion rotates it to the tail, and kept. Meeting one marked
		 * before (nr_immediate: pages cycle faster than they are written),
		 * shrink_node waits for writes. Linux: kswapd waits so, and marks
		 * the node congested, which makes direct reclaimers wait a jiffy;
		 * kmm's direct reclaim waits as kswapd does.
		 */
		if (page_flag_test(page, PG_reclaim)) {
			stat->nr_immediate++;
		} else {
			page_flag_set(page, PG_reclaim);
			stat->nr_writeback++;
		}
		return STEP_ACTIVATE_LOCKED;
	}
	references = folio_check_references(page);
	if (references == FOLIOREF_ACTIVATE)
		return STEP_ACTIVATE_LOCKED;
	if (references == FOLIOREF_KEEP)
		return STEP_KEEP_LOCKED;
	anon = PageAnon(page);

	if (anon && page_flag_test(page, PG_swapbacked) && !PageSwapCache(page)) {
		if (!(sc->gfp_mask & __GFP_IO))
			return STEP_KEEP_LOCKED;
		if (page_maybe_dma_pinned(page))
			return STEP_KEEP_LOCKED;
		if (!add_to_swap(page))
			return STEP_ACTIVATE_LOCKED;	/* no swap space */
	}
	if (anon && !page_flag_test(page, PG_swapbacked)) {
		/* MADV_FREE: discard unless written since, or referenced elsewhere */
		bool redirtied = page_flag_test(page, PG_dirty);
		if (!redirtied && page_mapcount(page) > 0)
			rmap_walk(page, find_dirty_pte, &redirtied);
		if (redirtied || page_ref_count(page) != 1 + page_mapcount(page)) {
			page_flag_set(page, PG_swapbacked);
			return STEP_ACTIVATE_LOCKED;
		}
	}
	if (page_mapcount(page) > 0) {
		pteval_t swp = 0;
		if (PageSwapCache(page)) {
			swp_entry_t e = page_swap_entry(page);
			swp = swp_entry_to_pte(geo, swp_type(e), swp_offset(e));
		}
		if (!try_to_unmap(page, swp) && page_mapcount(page) > 0)
			return STEP_ACTIVATE_LOCKED;
		*unmapped = true;
	}
	return references == FOLIOREF_RECLAIM_CLEAN ? STEP_GO_ON_CLEAN : STEP_GO_ON;
}

/*
 * The second half: write or free @page (locked, unmapped, and no store in
 * flight through a TLB entry of it: the batch waited). @references is the
 * first half's verdict.
 */
static enum folio_step shrink_folio_out(struct kmm_machine *m, struct page *page,
					struct scan_control *sc, struct reclaim_stat *stat,
					enum folio_references references, struct swap_plug *plug)
{
	bool anon = PageAnon(page);

	if (page_maybe_dma_pinned(page))
		return STEP_ACTIVATE_LOCKED;
	if (page_flag_test(page, PG_dirty)) {
		/*
		 * A dirty file page is the flusher's, unless kswapd meets it again
		 * (PG_reclaim from its first visit) on a node found full of
		 * unqueued dirty pages (PGDAT_DIRTY): mark it, count it and get it
		 * out of the way; its write's end rotates it back to the tail.
		 */
		if (folio_is_file_lru(page) && !anon &&
		    (!sc->is_kswapd || !page_flag_test(page, PG_reclaim) ||
		     !(__atomic_load_n(&page_pgdat(page)->flags, __ATOMIC_RELAXED) &
		       (1UL << PGDAT_DIRTY)))) {
			mod_node_page_state(page_pgdat(page), NR_VMSCAN_IMMEDIATE, 1);
			page_flag_set(page, PG_reclaim);
			return STEP_ACTIVATE_LOCKED;
		}
		if (references == FOLIOREF_RECLAIM_CLEAN)
			return STEP_KEEP_LOCKED;
		if (!sc->may_writepage)
			return STEP_KEEP_LOCKED;
		if (folio_is_file_lru(page) && !anon) {
			/* kswapd's pageout() of a file page: freed when written (PG_reclaim rotates it) */
			int werr;
			if (!(sc->gfp_mask & __GFP_FS))
				return STEP_KEEP_LOCKED;	/* may_enter_fs() */
			werr = filemap_pageout(page);
			if (werr == -EAGAIN)
				return STEP_KEEP_LOCKED;
			if (werr)
				return STEP_ACTIVATE_LOCKED;
			stat->nr_pageout++;
			if (page_flag_test(page, PG_writeback))
				return STEP_KEEP_LOCKED;
		} else if (PageSwapCache(page)) {
			page_flag_set(page, PG_reclaim);	/* pageout(): rotate it when written */
			if (swap_writepage_plug(page, plug)) {
				page_flag_clear(page, PG_reclaim);
				return STEP_ACTIVATE_LOCKED;
			}
			stat->nr_pageout++;
			if (page_flag_test(page, PG_writeback))
				return STEP_KEEP_LOCKED;	/* freed by a later pass, once written */
		} else if (folio_is_shmem(page)) {
			/* pageout() -> shmem_writepage(): to swap, its index keeps the entry */
			int werr;
			if (!(sc->gfp_mask & __GFP_FS) || !(sc->gfp_mask & __GFP_IO))
				return STEP_KEEP_LOCKED;	/* may_enter_fs() */
			page_flag_set(page, PG_reclaim);	/* pageout(): rotate it when written */
			werr = shmem_writeout(page);
			if (werr)
				page_flag_clear(page, PG_reclaim);
			if (werr == -EAGAIN)
				return STEP_KEEP_LOCKED;
			if (werr)
				return STEP_ACTIVATE_LOCKED;
			stat->nr_pageout++;
			if (page_flag_test(page, PG_writeback))
				return STEP_KEEP_LOCKED;	/* freed by a later pass, once written */
		}
	}
	if (anon && !page_flag_test(page, PG_swapbacked)) {
		if (page_ref_count(page) != 1)
			return STEP_KEEP_LOCKED;
		count_vm_event(m, PGLAZYFREED);
	} else if (!remove_mapping(page)) {
		return STEP_KEEP_LOCKED;
	}
	return STEP_FREE;
}

/*
 * The end of a locked step: activation (an mlocked page goes to the
 * unevictable list instead) and the unlock. Return: STEP_KEEP, or
 * STEP_FREE as it was.
 */
static enum folio_step settle_folio(struct kmm_machine *m, struct page *page, enum folio_step step,
				    unsigned long *pgactivate)
{
	if (step == STEP_ACTIVATE_LOCKED) {
		if (PageSwapCache(page) && (vm_swap_full(m) || page_flag_test(page, PG_mlocked)))
			folio_free_swap(page);
		if (!page_flag_test(page, PG_mlocked)) {
			page_flag_set(page, PG_active);
			(*pgactivate)++;
		}
	}
	if (step != STEP_KEEP)
		unlock_page(page);
	return step == STEP_FREE ? STEP_FREE : STEP_KEEP;
}

/*
 * swap_write_unplug() for shrink_folio_list: the plugged pages written, then
 * each settled as its swap_writepage() would have left it: kept (under
 * writeback) or, its write failed, activated.
 */
static void unplug_swap_writes(struct kmm_machine *m, struct swap_plug *plug,
			       struct reclaim_stat *stat, unsigned long *pgactivate)
{
	unsigned int nr = plug->nr;
	unsigned long failed;

	if (!nr)
		return;
	failed = swap_write_unplug(plug);
	for (unsigned int i = 0; i < nr; i++) {
		struct page *page = plug->pages[i];

		if (failed & (1UL << i)) {
			page_flag_clear(page, PG_reclaim);
			stat->nr_pageout--;
			settle_folio(m, page, STEP_ACTIVATE_LOCKED, pgactivate);
		} else {
			settle_folio(m, page, STEP_KEEP_LOCKED, pgactivate);
		}
	}
}

/*
 * shrink_folio_list(): try to free each isolated page of @list. What
 * cannot be freed stays on @list (PG_active set for activation) for the
 * caller to put back. @stat gets what was met. Return: pages freed.
 *
 * A dirty file page is written here only by kswapd, and only on its second
 * visit (PG_reclaim set by the first) once the node is PGDAT_DIRTY (6.12's
 * rule: writing single pages in LRU order is left to the flusher). Any
 * other visit marks it PG_reclaim, counts nr_vmscan_immediate_reclaim and
 * activates it, out of the way: when the flusher's write of it ends, its
 * completion rotates it to the inactive tail, to be freed next.
 *
 * The TLB shootdown is batched (Linux's TTU_BATCH_FLUSH and
 * try_to_unmap_flush()): a batch of up to SWAP_CLUSTER_MAX pages is
 * unmapped first, each PTE's TLB entries flushed as it goes, then one
 * sim_mmu_shootdown_wait() covers every access still in flight through
 * them, and only then is any page of the batch written out or freed - a
 * store landing after either would be lost, or land in a reused frame.
 * The pages of a batch that go on stay locked across the wait; the second
 * pass takes them in list order, so writes, frees and the putback list
 * come in the order of one pass.
 *
 * Swap writes of a batch are plugged (Linux's swap_write_unplug at the end
 * of shrink_folio_list): pages of adjacent slots reach the host in one
 * call. A plugged page stays locked, on the putback list, until the plug
 * is written: at the batch's end, or before any other write (a page not in
 * the swap cache may go to filemap_pageout or shmem_writeout), so the
 * host's writes and the completions queued keep the order of one pass.
 */
static unsigned long shrink_folio_list(struct kmm_machine *m, struct list_head *list,
				       struct scan_control *sc, struct reclaim_stat *stat)
{
	struct list_head ret;
	unsigned long nr_reclaimed = 0, pgactivate = 0;
	struct swap_plug plug;

	INIT_LIST_HEAD(&ret);
	while (!list_empty(list)) {
		struct page *batch[SWAP_CLUSTER_MAX];
		unsigned char step[SWAP_CLUSTER_MAX];
		unsigned int n = 0;
		bool unmapped = false;

		for (; n < SWAP_CLUSTER_MAX && !list_empty(list); n++) {
			struct page *page = lru_to_page(list);
			enum folio_step s;

			list_del(&page->lru);
			s = shrink_folio_unmap(m, page, sc, stat, &unmapped);
			if (s != STEP_GO_ON && s != STEP_GO_ON_CLEAN)
				s = settle_folio(m, page, s, &pgactivate);
			batch[n] = page;
			step[n] = (unsigned char)s;
		}
		/* The TLB shootdown's wait, once for the batch: before any write-out or free. */
		if (unmapped && procs_of(m))
			sim_mmu_shootdown_wait(procs_of(m)->mmu);
		plug.nr = 0;
		for (unsigned int i = 0; i < n; i++) {
			struct page *page = batch[i];
			enum folio_step s = (enum folio_step)step[i];

			if (s == STEP_GO_ON || s == STEP_GO_ON_CLEAN) {
				if (!PageSwapCache(page))	/* a write of another kind may follow */
					unplug_swap_writes(m, &plug, stat, &pgactivate);
				s = shrink_folio_out(m, page, sc, stat,
						     s == STEP_GO_ON_CLEAN ? FOLIOREF_RECLAIM_CLEAN
									   : FOLIOREF_RECLAIM,
						     &plug);
				if (swap_plugged(&plug, page))
					s = STEP_KEEP;	/* locked until unplug_swap_writes() */
				else
					s = settle_folio(m, page, s, &pgactivate);
			}
			if (s == STEP_FREE) {
				/* free_it: the isolation reference is the last */
				nr_reclaimed++;
				put_user_page_ref(page);
			} else {
				list_add(&page->lru, &ret);
			}
		}
		unplug_swap_writes(m, &plug, stat, &pgactivate);
	}
	splice_head(&ret, list);
	count_vm_events(m, PGACTIVATE, (long)pgactivate);
	return nr_reclaimed;
}

/* ---- The inactive list ---- */

static unsigned long shrink_inactive_list(struct kmm_machine *m, unsigned long nr_to_scan,
					  struct lruvec *lruvec, struct scan_control *sc,
					  enum lru_list lru)
{
	struct list_head folio_list;
	struct reclaim_stat stat = { 0 };
	unsigned long nr_scanned, nr_taken, nr_reclaimed;
	bool file = is_file_lru(lru);
	pg_data_t *pgdat = lruvec->pgdat;
	int off = sc->is_kswapd ? 0 : 1;	/* reclaimer_offset(): kswapd, then direct */

	INIT_LIST_HEAD(&folio_list);
	lru_add_drain(m);
	spin_lock(&lruvec->lru_lock);
	nr_taken = isolate_lru_folios(m, nr_to_scan, lruvec, &folio_list, &nr_scanned, sc, lru);
	mod_node_page_state(pgdat, file ? NR_ISOLATED_FILE : NR_ISOLATED_ANON, (long)nr_taken);
	count_vm_events(m, (enum vm_event_item)(PGSCAN_KSWAPD + off), (long)nr_scanned);
	count_vm_events(m, file ? PGSCAN_FILE : PGSCAN_ANON, (long)nr_scanned);
	spin_unlock(&lruvec->lru_lock);
	if (!nr_taken)
		return 0;

	nr_reclaimed = shrink_folio_list(m, &folio_list, sc, &stat);

	move_folios_to_lru(m, lruvec, &folio_list);
	mod_node_page_state(pgdat, file ? NR_ISOLATED_FILE : NR_ISOLATED_ANON, -(long)nr_taken);
	count_vm_events(m, (enum vm_event_item)(PGSTEAL_KSWAPD + off), (long)nr_reclaimed);
	count_vm_events(m, file ? PGSTEAL_FILE : PGSTEAL_ANON, (long)nr_reclaimed);
	lru_note_cost(lruvec, file, stat.nr_pageout, nr_scanned - nr_reclaimed);
	sc->nr_pageout += stat.nr_pageout;
	sc->nr_immediate += stat.nr_immediate;
	/*
	 * Every page taken was dirty and nobody writes it: the flusher is
	 * behind (dirty pages reached the tail before the dirty limits or the
	 * expiry made it write them). Wake it, outside the isolation.
	 */
	if (stat.nr_unqueued_dirty == nr_taken)
		wakeup_flusher_threads(m);
	sc->nr.dirty += stat.nr_dirty;
	sc->nr.congested += stat.nr_congested;
	sc->nr.unqueued_dirty += stat.nr_unqueued_dirty;
	sc->nr.writeback += stat.nr_writeback;
	sc->nr.taken += nr_taken;
	if (file)
		sc->nr.file_taken += nr_taken;
	return nr_reclaimed;
}

static unsigned long shrink_list(struct kmm_machine *m, enum lru_list lru, unsigned long nr_to_scan,
				 struct lruvec *lruvec, struct scan_control *sc)
{
	if (is_active_lru(lru)) {
		if (sc->may_deactivate & (is_file_lru(lru) ? DEACTIVATE_FILE : DEACTIVATE_ANON))
			shrink_active_list(m, nr_to_scan, lruvec, sc, lru);
		else
			sc->skipped_deactivate = 1;
		return 0;
	}
	return shrink_inactive_list(m, nr_to_scan, lruvec, sc, lru);
}

/* ---- Balancing anon against file ---- */

enum scan_balance { SCAN_EQUAL, SCAN_FRACT, SCAN_ANON, SCAN_FILE };

/*
 * get_scan_count(): how many pages of each evictable list to scan at this
 * priority: (list size >> priority), then weighted between anon and file -
 * all file without swap, equal at priority 0, all anon if file is tiny,
 * all file while inactive file is plentiful, else by swappiness against
 * the recent cost of reclaiming each (anon weight swappiness, file weight
 * 200 - swappiness, each divided by its cost share).
 */
static void get_scan_count(struct kmm_machine *m, struct lruvec *lruvec, struct scan_control *sc,
			   unsigned long nr[NR_LRU_LISTS])
{
	int swappiness = vm_swappiness(m);
	uint64_t fraction[2] = { 0, 0 }, denominator = 1;
	enum scan_balance scan_balance;

	if (!sc->may_swap || !can_reclaim_anon_pages(m)) {
		scan_balance = SCAN_FILE;
	} else if (!sc->priority && swappiness) {
		scan_balance = SCAN_EQUAL;
	} else if (sc->file_is_tiny) {
		scan_balance = SCAN_ANON;
	} else if (sc->cache_trim_mode) {
		scan_balance = SCAN_FILE;
	} else {
		uint64_t total_cost = sc->anon_cost + sc->file_cost;
		uint64_t anon_cost = total_cost + sc->anon_cost;
		uint64_t file_cost = total_cost + sc->file_cost;
		uint64_t ap, fp;

		total_cost = anon_cost + file_cost;
		ap = (uint64_t)swappiness * (total_cost + 1) / (anon_cost + 1);
		fp = (uint64_t)(MAX_SWAPPINESS - swappiness) * (total_cost + 1) / (file_cost + 1);
		fraction[0] = ap;
		fraction[1] = fp;
		denominator = ap + fp;
		scan_balance = SCAN_FRACT;
	}
	for (int lru = 0; lru < LRU_UNEVICTABLE; lru++) {
		bool file = is_file_lru((enum lru_list)lru);
		unsigned long scan = lruvec_lru_size(lruvec, (enum lru_list)lru, sc->reclaim_idx);

		scan >>= sc->priority;
		switch (scan_balance) {
		case SCAN_EQUAL:
			break;
		case SCAN_FRACT:
			scan = denominator ? (unsigned long)((uint64_t)scan * fraction[file] / denominator)
					   : 0;
			break;
		case SCAN_FILE:
		case SCAN_ANON:
			if ((scan_balance == SCAN_FILE) != file)
				scan = 0;
			break;
		}
		nr[lru] = scan;
	}
	nr[LRU_UNEVICTABLE] = 0;
}

/*
 * shrink_lruvec(): scan the lists in rounds of SWAP_CLUSTER_MAX per list
 * until get_scan_count's targets are done - or, past the first priority of
 * direct reclaim and in kswapd, until nr_to_reclaim is met, after which the
 * smaller type stops and the larger keeps its original proportion.
 */
static void shrink_lruvec(struct kmm_machine *m, struct lruvec *lruvec, struct scan_control *sc)
{
	unsigned long nr[NR_LRU_LISTS], targets[NR_LRU_LISTS];
	unsigned long nr_reclaimed = 0, nr_to_reclaim = sc->nr_to_reclaim;
	bool proportional_reclaim = !sc->is_kswapd && sc->priority == DEF_PRIORITY;

	get_scan_count(m, lruvec, sc, nr);
	memcpy(targets, nr, sizeof(nr));
	while (nr[LRU_INACTIVE_ANON] || nr[LRU_ACTIVE_FILE] || nr[LRU_INACTIVE_FILE]) {
		unsigned long nr_anon, nr_file, percentage, nr_scanned;
		int lru;

		for (lru = 0; lru < LRU_UNEVICTABLE; lru++) {
			if (nr[lru]) {
				unsigned long nr_to_scan = KMM_MIN(nr[lru], SWAP_CLUSTER_MAX);
				nr[lru] -= nr_to_scan;
				nr_reclaimed += shrink_list(m, (enum lru_list)lru, nr_to_scan, lruvec, sc);
			}
		}
		if (nr_reclaimed < nr_to_reclaim || proportional_reclaim)
			continue;
		nr_file = nr[LRU_INACTIVE_FILE] + nr[LRU_ACTIVE_FILE];
		nr_anon = nr[LRU_INACTIVE_ANON] + nr[LRU_ACTIVE_ANON];
		if (!nr_file || !nr_anon)
			break;
		if (nr_file > nr_anon) {
			unsigned long scan_target = targets[LRU_INACTIVE_ANON] + targets[LRU_ACTIVE_ANON] + 1;
			lru = LRU_BASE;
			percentage = nr_anon * 100 / scan_target;
		} else {
			unsigned long scan_target = targets[LRU_INACTIVE_FILE] + targets[LRU_ACTIVE_FILE] + 1;
			lru = LRU_FILE;
			percentage = nr_file * 100 / scan_target;
		}
		nr[lru] = 0;
		nr[lru + LRU_ACTIVE] = 0;
		lru = (lru == LRU_FILE) ? LRU_BASE : LRU_FILE;
		nr_scanned = targets[lru] - nr[lru];
		nr[lru] = targets[lru] * (100 - percentage) / 100;
		nr[lru] -= KMM_MIN(nr[lru], nr_scanned);
		lru += LRU_ACTIVE;
		nr_scanned = targets[lru] - nr[lru];
		nr[lru] = targets[lru] * (100 - percentage) / 100;
		nr[lru] -= KMM_MIN(nr[lru], nr_scanned);
	}
	sc->nr_reclaimed += nr_reclaimed;
	/* Keep enough inactive anon pages to choose from next time. */
	if (can_reclaim_anon_pages(m) && inactive_is_low(lruvec, LRU_INACTIVE_ANON))
		shrink_active_list(m, SWAP_CLUSTER_MAX, lruvec, sc, LRU_ACTIVE_ANON);
}

/* prepare_scan_control(): costs, deactivation, cache trim mode, file_is_tiny. */
static void prepare_scan_control(struct kmm_machine *m, pg_data_t *pgdat, struct scan_control *sc)
{
	struct lruvec *lruvec = node_lruvec(m, pgdat->node_id);
	unsigned long file, free = 0, total_high_wmark = 0, anon;

	spin_lock(&lruvec->lru_lock);
	sc->anon_cost = lruvec->anon_cost;
	sc->file_cost = lruvec->file_cost;
	spin_unlock(&lruvec->lru_lock);
	if (sc->force_deactivate) {
		sc->may_deactivate = DEACTIVATE_ANON | DEACTIVATE_FILE;
	} else {
		sc->may_deactivate = 0;
		if (inactive_is_low(lruvec, LRU_INACTIVE_ANON))
			sc->may_deactivate |= DEACTIVATE_ANON;
		if (inactive_is_low(lruvec, LRU_INACTIVE_FILE))
			sc->may_deactivate |= DEACTIVATE_FILE;
	}
	file = node_page_state(pgdat, NR_INACTIVE_FILE);
	sc->cache_trim_mode = (file >> sc->priority) && !(sc->may_deactivate & DEACTIVATE_FILE);
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &pgdat->node_zones[z];
		if (!managed_zone(zone))
			continue;
		free += zone_page_state(zone, NR_FREE_PAGES);
		total_high_wmark += high_wmark_pages(zone);
	}
	file = node_page_state(pgdat, NR_ACTIVE_FILE) + node_page_state(pgdat, NR_INACTIVE_FILE);
	anon = node_page_state(pgdat, NR_INACTIVE_ANON);
	sc->file_is_tiny = file + free <= total_high_wmark && !(sc->may_deactivate & DEACTIVATE_ANON) &&
			   (anon >> sc->priority);
}

/* Slab pages (bytes -> pages) the node holds now: what shrink_slab gave back is the drop. */
static unsigned long node_slab_pages(pg_data_t *pgdat)
{
	return (node_page_state(pgdat, NR_SLAB_RECLAIMABLE_B) +
		node_page_state(pgdat, NR_SLAB_UNRECLAIMABLE_B)) >> PAGE_SHIFT;
}

void shrink_node(pg_data_t *pgdat, struct scan_control *sc)
{
	struct kmm_machine *m = pgdat->node_zones[0].machine;
	struct lruvec *lruvec = node_lruvec(m, pgdat->node_id);
	unsigned long nr_reclaimed = sc->nr_reclaimed, slab_before, slab_after;

	int token = reclaim_enter(m);
	prepare_scan_control(m, pgdat, sc);
	sc->nr_immediate = 0;
	memset(&sc->nr, 0, sizeof(sc->nr));
	shrink_lruvec(m, lruvec, sc);
	reclaim_exit(m, token);
	/*
	 * kswapd found every file page it took dirty and unqueued: from now
	 * until the node is balanced it writes the dirty pages it meets again.
	 */
	if (sc->is_kswapd && sc->nr.unqueued_dirty && sc->nr.unqueued_dirty == sc->nr.file_taken)
		__atomic_fetch_or(&pgdat->flags, 1UL << PGDAT_DIRTY, __ATOMIC_RELAXED);
	if (sc->nr_immediate)
		reclaim_throttle(m, VMSCAN_THROTTLE_WRITEBACK);	/* pages cycle faster than written */
	slab_before = node_slab_pages(pgdat);
	shrink_slab(m, sc->gfp_mask, pgdat->node_id, sc->priority);
	slab_after = node_slab_pages(pgdat);
	if (slab_after < slab_before)
		sc->nr_reclaimed += slab_before - slab_after;	/* reclaim_state->reclaimed */
	if (sc->nr_reclaimed - nr_reclaimed)
		__atomic_store_n(&pgdat->kswapd_failures, 0, __ATOMIC_RELAXED);
}

/* ---- Direct reclaim ---- */

/* shrink_zones(): each node with a zone up to reclaim_idx in node 0's zonelist, once. */
static void shrink_zones(struct kmm_machine *m, struct scan_control *sc)
{
	struct zonelist *zl = node_zonelist(m->node_data[0], ZONELIST_FALLBACK);
	pg_data_t *last = NULL;

	for (int i = 0; zl->zones[i]; i++) {
		struct zone *zone = zl->zones[i];
		if (zone->type > sc->reclaim_idx || !managed_zone(zone) || zone->zone_pgdat == last)
			continue;
		last = zone->zone_pgdat;
		shrink_node(zone->zone_pgdat, sc);
	}
	/* consider_reclaim_throttle(): nothing freed down to priority 1 */
	if (last && sc->priority == 1 && !sc->nr_reclaimed)
		reclaim_throttle(m, VMSCAN_THROTTLE_NOPROGRESS);
}

static unsigned long do_try_to_free_pages(struct kmm_machine *m, struct scan_control *sc,
					  bool count_stall)
{
	int initial_priority = sc->priority;

	if (count_stall)
		count_vm_event(m, (enum vm_event_item)(ALLOCSTALL_DMA + sc->reclaim_idx));
retry:
	do {
		sc->nr_scanned = 0;
		shrink_zones(m, sc);
		if (sc->nr_reclaimed >= sc->nr_to_reclaim)
			break;
		if (sc->priority < DEF_PRIORITY - 2)
			sc->may_writepage = 1;
	} while (--sc->priority >= 0);
	if (sc->nr_reclaimed)
		return sc->nr_reclaimed;
	/* Deactivation was skipped all the way down: force it and go again. */
	if (sc->skipped_deactivate) {
		sc->priority = initial_priority;
		sc->force_deactivate = 1;
		sc->skipped_deactivate = 0;
		goto retry;
	}
	return 0;
}

unsigned long try_to_free_pages(struct kmm_machine *m, gfp_t gfp, unsigned int order,
				enum zone_type highest_zoneidx)
{
	struct scan_control sc = {
		.nr_to_reclaim = SWAP_CLUSTER_MAX,
		.gfp_mask = gfp,
		.order = (int)order,
		.priority = DEF_PRIORITY,
		.reclaim_idx = highest_zoneidx,
		.may_writepage = 1,
		.may_unmap = 1,
		.may_swap = 1,
	};
	unsigned long progress;

	if (in_reclaim || !pressure_of(m))
		return 0;
	in_reclaim = true;
	progress = do_try_to_free_pages(m, &sc, true);
	in_reclaim = false;
	return progress;
}

/*
 * shrink_all_memory(): what memory.reclaim does for a cgroup - full
 * reclaim passes until @nr pages are freed, giving up after
 * MAX_RECLAIM_RETRIES passes that freed nothing.
 */
unsigned long shrink_all_memory(struct kmm_machine *m, unsigned long nr)
{
	unsigned long done = 0;
	int retries = MAX_RECLAIM_RETRIES;

	if (in_reclaim || !pressure_of(m) || !nr)
		return 0;
	in_reclaim = true;
	while (done < nr) {
		struct scan_control sc = {
			.nr_to_reclaim = KMM_MAX(nr - done, SWAP_CLUSTER_MAX),
			.gfp_mask = GFP_HIGHUSER_MOVABLE,
			.priority = DEF_PRIORITY,
			.reclaim_idx = MAX_NR_ZONES - 1,
			.may_writepage = 1,
			.may_unmap = 1,
			.may_swap = 1,
		};
		unsigned long got = do_try_to_free_pages(m, &sc, false);

		done += got;
		if (!got && !retries--)
			break;
	}
	in_reclaim = false;
	return done;
}

unsigned long kmm_reclaim(struct kmm_machine *m, unsigned long nr_pages)
{
	return m ? shrink_all_memory(m, nr_pages) : 0;
}

/* ---- kswapd ---- */

/* pgdat_balanced(): some zone up to @highest_zoneidx meets its high mark for @order. */
static bool pgdat_balanced(pg_data_t *pgdat, int order, int highest_zoneidx)
{
	bool any = false;

	for (int i = 0; i <= highest_zoneidx; i++) {
		struct zone *zone = &pgdat->node_zones[i];

		if (!managed_zone(zone))
			continue;
		any = true;
		if (zone_watermark_ok(zone, (unsigned int)order, high_wmark_pages(zone),
				      highest_zoneidx, 0))
			return true;
	}
	return !any;	/* no eligible zone: nothing to balance */
}

static bool pgdat_watermark_boosted(pg_data_t *pgdat, int highest_zoneidx)
{
	for (int i = highest_zoneidx; i >= 0; i--) {
		struct zone *zone = &pgdat->node_zones[i];
		if (managed_zone(zone) && __atomic_load_n(&zone->watermark_boost, __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

static void kswapd_mark_woken(void *arg)
{
	struct kswapd *k = arg;

	atomic_store(&k->woken, true);
}

void wakeup_kswapd(struct zone *zone, gfp_t gfp, int order, enum zone_type highest_zoneidx)
{
	struct kmm_machine *m = zone->machine;
	struct pressure *p = pressure_of(m);
	pg_data_t *pgdat = zone->zone_pgdat;
	struct kswapd *k;
	enum zone_type curr;

	if (!p || !managed_zone(zone))
		return;
	k = &p->node[pgdat->node_id].kswapd;
	curr = __atomic_load_n(&pgdat->kswapd_highest_zoneidx, __ATOMIC_RELAXED);
	if (curr == MAX_NR_ZONES || curr < highest_zoneidx)
		__atomic_store_n(&pgdat->kswapd_highest_zoneidx, highest_zoneidx, __ATOMIC_RELAXED);
	if (__atomic_load_n(&pgdat->kswapd_order, __ATOMIC_RELAXED) < order)
		__atomic_store_n(&pgdat->kswapd_order, order, __ATOMIC_RELAXED);
	if (atomic_load(&k->woken))
		return;		/* already awake: it will see the new order and zone */
	/* A hopeless node is left to direct reclaim; a balanced one needs nothing. */
	if (__atomic_load_n(&pgdat->kswapd_failures, __ATOMIC_RELAXED) >= MAX_RECLAIM_RETRIES ||
	    (pgdat_balanced(pgdat, order, (int)highest_zoneidx) &&
	     !pgdat_watermark_boosted(pgdat, (int)highest_zoneidx)))
		return;
	bool woke = false;
	spin_lock(&k->lock);
	if (!atomic_load(&k->woken)) {
		k->wake = (struct kswapd_report){
			.order = order,
			.highest_zoneidx = highest_zoneidx,
			.waker_zone = zone->name,
			.waker_free = zone_page_state(zone, NR_FREE_PAGES),
			.waker_low = low_wmark_pages(zone),
			.waker_boosted = __atomic_load_n(&zone->watermark_boost, __ATOMIC_RELAXED) != 0,
		};
		if (k->napping) {
			/* woken in the short sleep: it went to sleep too early */
			k->napping = false;
			k->woke_from_nap = kmm_clock_ns(m) < k->nap_until;
		}
		atomic_store(&k->woken, true);
		woke = true;
	}
	spin_unlock(&k->lock);
	if (!woke)
		return;
	trace_mm_vmscan_wakeup_kswapd(m, pgdat->node_id, (int)zone->type, (unsigned int)order, gfp);
	if (p->kswapd_mode == KSWAPD_THREAD)
		sim_waitq_wake(&k->wq, NULL, NULL);
}

/* kswapd_age_node(): keep the inactive anon list fed while swap can take pages. */
static void kswapd_age_node(struct kmm_machine *m, pg_data_t *pgdat, struct scan_control *sc)
{
	struct lruvec *lruvec = node_lruvec(m, pgdat->node_id);

	if (!can_reclaim_anon_pages(m) || !inactive_is_low(lruvec, LRU_INACTIVE_ANON))
		return;
	int token = reclaim_enter(m);
	shrink_active_list(m, SWAP_CLUSTER_MAX, lruvec, sc, LRU_ACTIVE_ANON);
	reclaim_exit(m, token);
}

/*
 * kswapd_shrink_node(): one shrink_node aimed at the high marks of the
 * eligible zones. Return: true if it scanned that much (no need to raise
 * the priority).
 */
static bool kswapd_shrink_node(pg_data_t *pgdat, struct scan_control *sc)
{
	sc->nr_to_reclaim = 0;
	for (int z = 0; z <= (int)sc->reclaim_idx; z++) {
		struct zone *zone = &pgdat->node_zones[z];
		if (managed_zone(zone))
			sc->nr_to_reclaim += KMM_MAX(high_wmark_pages(zone), SWAP_CLUSTER_MAX);
	}
	shrink_node(pgdat, sc);
	if (sc->order && sc->nr_reclaimed >= (2UL << sc->order))
		sc->order = 0;	/* twice the request is free: judge by order 0 now */
	return sc->nr_scanned >= sc->nr_to_reclaim;
}

/*
 * balance_pgdat(): reclaim until pgdat_balanced(), raising the scan
 * priority when a pass falls short; boosted watermarks are reclaimed
 * without swapping or writing, then the boosts are reset.
 * Return: the order kswapd ended at.
 */
static int balance_pgdat(struct kmm_machine *m, pg_data_t *pgdat, int order, int highest_zoneidx,
			 struct kswapd_report *r)
{
	unsigned long zone_boosts[MAX_NR_ZONES] = { 0 }, nr_boost_reclaim = 0;
	struct scan_control sc = {
		.gfp_mask = GFP_KERNEL,
		.order = order,
		.may_unmap = 1,
		.is_kswapd = 1,
	};
	bool boosted;

	count_vm_event(m, PAGEOUTRUN);
	for (int i = 0; i <= highest_zoneidx; i++) {
		struct zone *zone = &pgdat->node_zones[i];
		if (!managed_zone(zone))
			continue;
		zone_boosts[i] = __atomic_load_n(&zone->watermark_boost, __ATOMIC_RELAXED);
		nr_boost_reclaim += zone_boosts[i];
	}
	boosted = nr_boost_reclaim;
restart:
	sc.priority = DEF_PRIORITY;
	do {
		unsigned long nr_reclaimed = sc.nr_reclaimed;
		bool raise_priority = true, balanced;

		sc.reclaim_idx = (enum zone_type)highest_zoneidx;
		balanced = pgdat_balanced(pgdat, sc.order, highest_zoneidx);
		if (!balanced && nr_boost_reclaim) {
			/* a real shortage: forget the boost, reclaim properly */
			nr_boost_reclaim = 0;
			goto restart;
		}
		if (!nr_boost_reclaim && balanced)
			break;
		r->passes++;
		r->end_priority = sc.priority;	/* the lowest reached so far */
		if (nr_boost_reclaim && sc.priority == DEF_PRIORITY - 2)
			raise_priority = false;
		sc.may_writepage = !nr_boost_reclaim;
		sc.may_swap = !nr_boost_reclaim;
		kswapd_age_node(m, pgdat, &sc);
		if (sc.priority < DEF_PRIORITY - 2)
			sc.may_writepage = 1;
		sc.nr_scanned = 0;
		if (kswapd_shrink_node(pgdat, &sc))
			raise_priority = false;
		nr_reclaimed = sc.nr_reclaimed - nr_reclaimed;
		nr_boost_reclaim -= KMM_MIN(nr_boost_reclaim, nr_reclaimed);
		r->nr_scanned += sc.nr_scanned;
		if (nr_boost_reclaim && !nr_reclaimed)
			break;
		if (raise_priority || !nr_reclaimed)
			sc.priority--;
	} while (sc.priority >= 1);
	if (!sc.nr_reclaimed && r->passes)
		__atomic_fetch_add(&pgdat->kswapd_failures, 1, __ATOMIC_RELAXED);
	if (boosted) {
		for (int i = 0; i <= highest_zoneidx; i++) {
			struct zone *zone = &pgdat->node_zones[i];
			if (!zone_boosts[i])
				continue;
			spin_lock(&zone->lock);
			unsigned long b = zone->watermark_boost;
			__atomic_store_n(&zone->watermark_boost, b - KMM_MIN(b, zone_boosts[i]),
					 __ATOMIC_RELAXED);
			spin_unlock(&zone->lock);
			r->boosted += zone_boosts[i];
		}
		r->boost_reset = true;
	}
	r->nr_reclaimed += sc.nr_reclaimed;
	return sc.order;
}

#define KSWAPD_NAP_NS	100000000ull	/* HZ/10 */

/* prepare_kswapd_sleep(): balanced, or hopeless (left to direct reclaim). */
static bool prepare_kswapd_sleep(pg_data_t *pgdat, int order, int highest_zoneidx)
{
	if (__atomic_load_n(&pgdat->kswapd_failures, __ATOMIC_RELAXED) >= MAX_RECLAIM_RETRIES)
		return true;
	if (!pgdat_balanced(pgdat, order, highest_zoneidx))
		return false;
	/* clear_pgdat_congested(): balanced, kswapd leaves dirty pages to the flusher again */
	__atomic_fetch_and(&pgdat->flags, ~(1UL << PGDAT_DIRTY), __ATOMIC_RELAXED);
	return true;
}

/*
 * kswapd_try_to_sleep(): a balanced (or hopeless) node lets kswapd start
 * its short sleep (the caller records the nap on the virtual clock;
 * kswapd_nap_over() and wakeup_kswapd() end it); else it stays awake for
 * another round, counted kswapd_high_wmark_hit_quickly.
 * Return: true when kswapd goes to sleep.
 */
static bool kswapd_try_to_sleep(struct kmm_machine *m, pg_data_t *pgdat, int reclaim_order,
				int highest_zoneidx)
{
	if (prepare_kswapd_sleep(pgdat, reclaim_order, highest_zoneidx))
		return true;
	count_vm_event(m, KSWAPD_HIGH_WMARK_HIT_QUICKLY);
	return false;
}

/*
 * One wake-up's work (the body of Linux's kswapd() loop): take the
 * recorded order and zone, balance, and go on while the node cannot sleep
 * (each such round counted kswapd_high_wmark_hit_quickly), at most
 * MAX_RECLAIM_RETRIES + 1 rounds - by then a fruitless node is hopeless.
 */
void kswapd_work(struct kmm_machine *m, struct kswapd *k)
{
	pg_data_t *pgdat = k->pgdat;
	struct kswapd_report r;
	uint64_t t0 = sim_now_ns();
	bool was_in_reclaim = in_reclaim;

	bool premature;

	spin_lock(&k->lock);
	r = k->wake;
	premature = k->woke_from_nap;
	k->woke_from_nap = false;
	k->napping = false;
	spin_unlock(&k->lock);
	if (premature)
		count_vm_event(m, KSWAPD_LOW_WMARK_HIT_QUICKLY);
	in_reclaim = true;
	r.nr_reclaimed = r.nr_scanned = 0;
	r.passes = 0;
	r.rounds = 0;
	r.boost_reset = false;
	r.boosted = 0;
	bool nap = false;
	for (int round = 0; round <= MAX_RECLAIM_RETRIES; round++) {
		int order = __atomic_exchange_n(&pgdat->kswapd_order, 0, __ATOMIC_RELAXED);
		enum zone_type idx = __atomic_exchange_n(&pgdat->kswapd_highest_zoneidx,
							 (enum zone_type)MAX_NR_ZONES, __ATOMIC_RELAXED);

		if (idx == MAX_NR_ZONES)
			idx = r.highest_zoneidx;
		r.order = order;
		r.highest_zoneidx = idx;
		r.rounds++;
		trace_mm_vmscan_kswapd_wake(m, pgdat->node_id, (int)idx, (unsigned int)order);
		int reclaim_order = balance_pgdat(m, pgdat, order, (int)idx, &r);
		if (kswapd_try_to_sleep(m, pgdat, reclaim_order, (int)idx)) {
			nap = true;
			break;
		}
	}
	spin_lock(&k->lock);
	if (nap) {
		/* schedule_timeout(HZ/10): the short sleep, on the virtual clock */
		k->napping = true;
		k->nap_until = kmm_clock_ns(m) + KSWAPD_NAP_NS;
	}
	spin_unlock(&k->lock);
	atomic_store(&k->woken, false);
	trace_mm_vmscan_kswapd_sleep(m, pgdat->node_id);
	r.balanced = pgdat_balanced(pgdat, 0, (int)r.highest_zoneidx);
	for (int z = (int)r.highest_zoneidx; z >= 0; z--) {
		struct zone *zone = &pgdat->node_zones[z];
		if (zone->name && r.waker_zone && !strcmp(zone->name, r.waker_zone)) {
			r.end_free = zone_page_state(zone, NR_FREE_PAGES);
			r.end_high = high_wmark_pages(zone);
		}
	}
	in_reclaim = was_in_reclaim;
	r.kswapd_failures = __atomic_load_n(&pgdat->kswapd_failures, __ATOMIC_RELAXED);
	r.hopeless = r.kswapd_failures >= MAX_RECLAIM_RETRIES;
	spin_lock(&k->lock);		/* the counters and report, for the views */
	k->ns += sim_now_ns() - t0;
	k->runs++;
	k->sleeps++;
	k->reclaimed += r.nr_reclaimed;
	k->last = r;
	k->has_report = true;
	spin_unlock(&k->lock);
}

/*
 * The end of kswapd's short sleep, reached without a wake-up: a node that
 * is still balanced lets it sleep for good; one that is not counts
 * kswapd_high_wmark_hit_quickly and kswapd runs again (returns true).
 */
static bool kswapd_nap_over(struct kmm_machine *m, struct kswapd *k)
{
	pg_data_t *pgdat = k->pgdat;
	bool again = false;

	spin_lock(&k->lock);
	if (k->napping && kmm_clock_ns(m) >= k->nap_until) {
		k->napping = false;
		int idx = (int)k->last.highest_zoneidx;
		if (!prepare_kswapd_sleep(pgdat, 0, idx)) {
			again = true;
			k->wake = k->last;
			atomic_store(&k->woken, true);
		}
	}
	spin_unlock(&k->lock);
	if (again)
		count_vm_event(m, KSWAPD_HIGH_WMARK_HIT_QUICKLY);
	return again;
}

int kmm_kswapd_run_pending(struct kmm_machine *m)
{
	struct pressure *p = m ? pressure_of(m) : NULL;
	int ran = 0;

	if (!p || p->kswapd_mode != KSWAPD_STEP)
		return 0;
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		struct kswapd *k = &p->node[nid].kswapd;
		if (!k->pgdat)
			continue;
		if (!atomic_load(&k->woken) && kswapd_nap_over(m, k))
			kswapd_work(m, k);	/* not balanced after the short sleep */
		else if (atomic_load(&k->woken))
			kswapd_work(m, k);
		else
			continue;
		ran++;
	}
	return ran;
}

long kmm_kswapd_run(struct kmm_machine *m, int nid)
{
	struct pressure *p = m ? pressure_of(m) : NULL;
	struct kswapd *k;
	unsigned long before;

	if (!p || nid < 0 || nid >= m->nr_node_ids || !p->node[nid].kswapd.pgdat)
		return kmm_set_error(-EINVAL, "kswapd: no node %d", nid);
	k = &p->node[nid].kswapd;
	if (!atomic_load(&k->woken)) {
		pg_data_t *pgdat = k->pgdat;
		int top = 0;
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (managed_zone(&pgdat->node_zones[z]))
				top = z;
		spin_lock(&k->lock);
		k->wake = (struct kswapd_report){ .highest_zoneidx = (enum zone_type)top };
		__atomic_store_n(&pgdat->kswapd_highest_zoneidx, (enum zone_type)top, __ATOMIC_RELAXED);
		atomic_store(&k->woken, true);
		spin_unlock(&k->lock);
	}
	before = k->reclaimed;
	if (p->kswapd_mode == KSWAPD_THREAD) {
		sim_waitq_wake(&k->wq, kswapd_mark_woken, k);
		return 0;	/* the thread runs it */
	}
	kswapd_work(m, k);
	return (long)(k->reclaimed - before);
}
