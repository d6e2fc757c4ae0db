// SPDX-License-Identifier: MIT
/*
 * mm/include/swap.h - what the rest of mm/ (faults, fork, exit, mlock, the
 * page allocator's slow path, /proc) sees of the pressure layer: the LRU
 * lists, the swap cache flags, swap slot counts, and kswapd's wake-up.
 *
 * Linux counterpart: include/linux/swap.h, include/linux/mm_inline.h
 * (folio_lru_list, lru_list names), include/linux/pagevec.h (folio_batch).
 *
 * THE LRU INTERFACE (for the fault path today and the page cache tomorrow).
 * Every user page - anonymous, swap cache, page cache (file or shmem) - is
 * on exactly one LRU list of its node's lruvec, or on the way there, or
 * isolated by reclaim:
 *
 *   folio_add_lru(page)     a new page, once its owner has set it up
 *                           (PG_swapbacked for anon and shmem, ->mapping):
 *                           it goes into this CPU slot's add batch
 *                           (PG_lru_batch), drained to the lists every
 *                           FOLIO_BATCH_SIZE pages or by lru_add_drain().
 *                           Evictable pages land inactive (active with
 *                           PG_active set), PG_mlocked ones on unevictable.
 *   __page_cache_release()  the last reference is going: take the page off
 *                           its list or out of its batch (the free path
 *                           calls this; an isolated page always has
 *                           reclaim's reference, so it never gets here).
 *   folio_mark_accessed()   a reference the MMU does not see (read(), a
 *                           cache lookup): inactive,unreferenced ->
 *                           inactive,referenced -> active.
 *   folio_mark_lazyfree()   MADV_FREE: an anon page becomes clean file-like
 *                           (inactive file list, no PG_swapbacked).
 *   mlock_folio_lru() /     PG_mlocked was set / cleared: move the page
 *   munlock_folio_lru()     to / from the unevictable list.
 *
 * Which list: PG_unevictable -> LRU_UNEVICTABLE; else PG_swapbacked picks
 * anon (anonymous, swap cache, shmem) over file, and PG_active active over
 * inactive (Linux's folio_lru_list). A file page cache (issue 16) adds its
 * pages with PG_swapbacked clear and page->mapping its file; reclaim then
 * unmaps it with try_to_unmap(page, 0) and drops it from the cache when
 * clean (see mm/vmscan.c's remove_mapping).
 *
 * Swap: an anonymous page in the swap cache has PG_swapcache and its
 * swap entry in page->private; the cache holds one reference. A swap
 * slot's count is the number of PTEs holding its entry; SWAP_HAS_CACHE
 * marks a slot whose page is in the swap cache.
 *
 * Locking: procs->lock -> per-CPU batch lock -> lruvec->lru_lock ->
 * zone->lock (docs/locking.md). Every function here takes what it needs.
 */
#ifndef KMM_SWAP_H
#define KMM_SWAP_H

#include <stdbool.h>

#include "mm/include/machine.h"
#include "mm/include/pgtable.h"

/* ---- Page flags with a second meaning (Linux's aliases) ---- */

#define PG_swapcache	PG_owner_priv_1	/* swapbacked pages: in the swap cache */
#define PG_readahead	PG_reclaim	/* brought in by swap readahead, not yet used */

static inline bool PageSwapCache(const struct page *p)
{
	return page_flag_test(p, PG_swapbacked) && page_flag_test(p, PG_swapcache);
}
static inline bool PageLRUBatch(const struct page *p)
{
	return page_flag_test(p, PG_lru_batch);
}
static inline swp_entry_t page_swap_entry(const struct page *p)
{
	return (swp_entry_t){ p->private };
}

/* ---- Swap entries (include/linux/swapops.h) ---- */

#define MAX_SWAPFILES	24	/* 32 types less device, migration, hwpoison, marker */
#define SWP_TYPE_SHIFT	58

static inline swp_entry_t swp_entry(unsigned int type, unsigned long offset)
{
	return (swp_entry_t){ ((unsigned long)type << SWP_TYPE_SHIFT) | offset };
}
static inline unsigned int swp_type(swp_entry_t e)
{
	return (unsigned int)(e.val >> SWP_TYPE_SHIFT);
}
static inline unsigned long swp_offset(swp_entry_t e)
{
	return e.val & ((1UL << SWP_TYPE_SHIFT) - 1);
}

/* ---- LRU lists (mm/swap.c) ---- */

enum lru_list {
	LRU_INACTIVE_ANON,
	LRU_ACTIVE_ANON,
	LRU_INACTIVE_FILE,
	LRU_ACTIVE_FILE,
	LRU_UNEVICTABLE,
	NR_LRU_LISTS
};
#define LRU_BASE	0
#define LRU_ACTIVE	1
#define LRU_FILE	2
extern const char *const lru_list_names[NR_LRU_LISTS];	/* "inactive_anon", ... */

static inline bool is_file_lru(enum lru_list lru)
{
	return lru == LRU_INACTIVE_FILE || lru == LRU_ACTIVE_FILE;
}
static inline bool is_active_lru(enum lru_list lru)
{
	return lru == LRU_ACTIVE_ANON || lru == LRU_ACTIVE_FILE;
}
/** folio_is_file_lru() - file pages are those not backed by swap. */
static inline bool folio_is_file_lru(const struct page *p)
{
	return !page_flag_test(p, PG_swapbacked);
}
/** folio_lru_list() - the list @p belongs on, from its flags. */
static inline enum lru_list folio_lru_list(const struct page *p)
{
	if (page_flag_test(p, PG_unevictable))
		return LRU_UNEVICTABLE;
	return (enum lru_list)((folio_is_file_lru(p) ? LRU_FILE : 0) +
			       (page_flag_test(p, PG_active) ? LRU_ACTIVE : 0));
}

/** folio_add_lru() - see the header. Context: any; takes the CPU slot's batch lock. */
void folio_add_lru(struct page *page);
/** __page_cache_release() - off the LRU for good (last reference). Context: takes lru_lock. */
void __page_cache_release(struct page *page);
/** lru_add_drain() - this CPU slot's add batch onto the lists. */
void lru_add_drain(struct kmm_machine *m);
/** lru_add_drain_all() - every CPU slot's add batch onto the lists. */
void lru_add_drain_all(struct kmm_machine *m);
void folio_mark_accessed(struct page *page);
void folio_mark_lazyfree(struct page *page);
void mlock_folio_lru(struct page *page);
void munlock_folio_lru(struct page *page);

/* ---- Swap slots and the swap cache (mm/swapfile.c, mm/swap_state.c) ---- */

/** total_swap_pages() - usable slots of every active area (SwapTotal). */
unsigned long total_swap_pages(struct kmm_machine *m);
/** get_nr_swap_pages() - free slots in areas that take new pages (SwapFree). */
long get_nr_swap_pages(struct kmm_machine *m);
/** swp_swapcount() - PTEs holding @entry (0 for a bad or free entry). */
int swp_swapcount(struct kmm_machine *m, swp_entry_t entry);
/**
 * folio_free_swap() - if @page is in the swap cache and no PTE holds its
 * entry any more, drop it from the cache and free the slot.
 * Return: true if it did. Context: the caller holds a reference.
 */
bool folio_free_swap(struct page *page);

struct strbuf;
/** swap_show() - /proc/swaps of @m. Return: 0. */
int swap_show(struct kmm_machine *m, struct strbuf *sb);

/* ---- Reclaim (mm/vmscan.c) ---- */

/**
 * wakeup_kswapd() - an allocation for @highest_zoneidx dipped below @zone's
 * low watermark: record the request and wake the node's kswapd (in step
 * mode it runs at the next kmm_kswapd_run_pending(); with kswapd=thread its
 * host thread runs now). Not woken when the node is already balanced or
 * hopeless (kswapd_failures >= MAX_RECLAIM_RETRIES).
 */
void wakeup_kswapd(struct zone *zone, gfp_t gfp, int order, enum zone_type highest_zoneidx);
/**
 * zone_reclaimable_pages() - what reclaim could still free in @zone: its
 * file LRU pages, plus its anon LRU pages while swap has room
 * (should_reclaim_retry's estimate).
 */
unsigned long zone_reclaimable_pages(struct zone *zone);

#endif /* KMM_SWAP_H */
