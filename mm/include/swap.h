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
 *   folio_rotate_reclaimable()  a write reclaim asked for (PG_reclaim) is
 *                           over: the page goes to the tail of its
 *                           inactive list, to be freed next (pgrotated).
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
#include <stddef.h>

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

/*
 * make_poisoned_swp_entry(): a PTE marker - the last swap type, which no
 * area has - with PTE_MARKER_POISONED. What a PTE or a shmem index holds
 * once its page could not be read back from swap (swapoff's unuse, shmem's
 * swap-in): it holds no slot and counts in no MM_SWAPENTS; a fault on it is
 * VM_FAULT_HWPOISON (SIGBUS), exit and munmap just drop it, fork copies it.
 */
#define SWP_PTE_MARKER		31
#define PTE_MARKER_POISONED	(1UL << 1)

static inline swp_entry_t poisoned_swp_entry(void)
{
	return swp_entry(SWP_PTE_MARKER, PTE_MARKER_POISONED);
}
static inline bool is_poisoned_swp_entry(swp_entry_t e)
{
	return e.val == poisoned_swp_entry().val;
}
/** pte_poisoned() - the PTE form of the marker, for geometry @g. */
static inline pteval_t pte_poisoned(const struct pgtable_geometry *g)
{
	return swp_entry_to_pte(g, SWP_PTE_MARKER, PTE_MARKER_POISONED);
}
/** is_poisoned_pte() - does @v hold the marker? */
static inline bool is_poisoned_pte(const struct pgtable_geometry *g, pteval_t v)
{
	return pte_is_swap(g, v) && !pte_protnone(v) && pte_swp_type(g, v) == SWP_PTE_MARKER &&
	       pte_swp_offset(g, v) == PTE_MARKER_POISONED;
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
/**
 * page_cache_release_batch() - __page_cache_release() of @nr pages (all of
 * one machine, their last references gone), lru_lock taken once per run
 * of pages of one lruvec. Context: takes lru_lock (and lru_cpu->lock).
 */
void page_cache_release_batch(struct page **pages, unsigned int nr);
/** lru_add_drain() - this CPU slot's add batch onto the lists. */
void lru_add_drain(struct kmm_machine *m);
/** lru_add_drain_all() - every CPU slot's add batch onto the lists. */
void lru_add_drain_all(struct kmm_machine *m);
void folio_mark_accessed(struct page *page);
/**
 * folio_mark_lazyfree() - MADV_FREE: a clean, swap-backed anon page moves to
 * the inactive file list without PG_swapbacked (pglazyfree), wherever it
 * was: on a list, or still in the add batch of this or another CPU slot
 * (drained first: lru_add_drain, then lru_add_drain_all). Context: the page
 * locked; takes the batches' locks and lru_lock.
 */
void folio_mark_lazyfree(struct page *page);
void folio_rotate_reclaimable(struct page *page);
void mlock_folio_lru(struct page *page);
void munlock_folio_lru(struct page *page);

/* ---- Refault detection (mm/workingset.c) ---- */

/**
 * workingset_eviction() - @page is leaving memory for good: age its node's
 * lruvec by one eviction and return the shadow to store where the page
 * was (never 0). Context: reclaim, @page isolated.
 */
unsigned long workingset_eviction(struct page *page);
/**
 * workingset_test_recent() - would the page @shadow stands for have stayed
 * resident: is its refault distance within the workingset it competes with
 * (@file: a file page)? *@workingset: it was active before eviction.
 */
bool workingset_test_recent(struct kmm_machine *m, unsigned long shadow, bool file,
			    bool *workingset);
/**
 * workingset_refault() - @page is coming back in place of @shadow, before
 * folio_add_lru(): counts workingset_refault_*, and when the refault is
 * recent sets PG_active (workingset_activate_*) and, for a page that was
 * active before, PG_workingset (workingset_restore_*).
 */
void workingset_refault(struct page *page, unsigned long shadow);
/** workingset_activation() - @page was activated by folio_mark_accessed(): age the lruvec. */
void workingset_activation(struct page *page);

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
 * Return: true if it did. Context: the caller holds a reference and the
 * page lock (a reader of the slot, swapoff and reclaim hold it while they
 * use the page as the slot's copy).
 */
bool folio_free_swap(struct page *page);

struct strbuf;
/** swap_show() - /proc/swaps of @m. Return: 0. */
int swap_show(struct kmm_machine *m, struct strbuf *sb);

/* ---- shmem pages on swap (mm/shmem.c) ---- */

struct kmm_file;
/**
 * shmem_writeout() - reclaim's pageout() of a dirty shmem page (isolated,
 * unmapped; Linux's shmem_writepage): it gets a swap slot, its index holds
 * the swap entry instead, and it is written; it stays in the swap cache for
 * reclaim to free. Context: the page locked by the caller (reclaim), and
 * left locked; no other lock held.
 * Return: 0 written (clean, in the swap cache only); -EAGAIN not now
 * (referenced, moved); -ENOSPC no swap slot; another -errno: the write failed
 * and the page is back in its file, dirty.
 */
int shmem_writeout(struct page *page);
/**
 * shmem_get_swapped() - the page at @idx of shmem file @f with a reference:
 * the cached one, or the swapped-out one read back (*@major when read from
 * swap) and put back in the cache, dirty, its slot freed.
 * Return: the page; NULL with *@err 0 when @idx holds neither (a hole);
 * NULL with *@err -ENOMEM when the swap-in failed for memory (nothing
 * changed), -EIO when the page could not be read (now or before: the index
 * holds a poisoned entry from then on, and its slot is freed).
 */
struct page *shmem_get_swapped(struct kmm_file *f, unsigned long idx, bool *major, int *err);
/**
 * shmem_swapin_range() - MADV_WILLNEED of a shmem mapping (Linux's
 * shmem_swapin_range): the pages of @f's indexes [@start, @end] that are on
 * swap are read into the swap cache, ahead of the faults that will put them
 * back in the file; nothing is mapped. Context: no spinlock held.
 */
void shmem_swapin_range(struct kmm_file *f, unsigned long start, unsigned long end);
/**
 * shmem_free_swap_range() - truncation: drop the swap entries of @f at
 * indexes [@start, @end], freeing their slots. Return: entries dropped.
 */
unsigned long shmem_free_swap_range(struct kmm_file *f, unsigned long start, unsigned long end);
/**
 * shmem_unuse() - swapoff: every shmem index holding an entry of area
 * @type gets its page back, or, when the page cannot be read, a poisoned
 * entry. Return: 0, or -ENOMEM (what came back stays).
 */
int shmem_unuse(struct kmm_machine *m, unsigned int type);
/** shmem_partial_swap_usage() - swap entries of @f at indexes [@start, @end] (smaps' Swap:). */
unsigned long shmem_partial_swap_usage(struct kmm_file *f, unsigned long start, unsigned long end);
/**
 * shmem_next_swapped() - the first index in [*@idx, @end] of @f that is on
 * swap, in *@idx. Return: whether there is one.
 */
bool shmem_next_swapped(struct kmm_file *f, unsigned long *idx, unsigned long end);
/** shmem_incore() - is the swapped-out page at @idx of @f still in the swap cache (mincore)? */
bool shmem_incore(struct kmm_file *f, unsigned long idx);
/**
 * shmem_fincore() - shmem_incore() for the first @n pages of @f: @vec[i] set
 * to 1 where it was 0 and page i is on swap but still in the swap cache.
 * Context: takes i_pages_lock once per batch of swapped pages, not per page.
 * Return: the entries of @vec it set.
 */
unsigned long shmem_fincore(struct kmm_file *f, unsigned char *vec, unsigned long n);
/**
 * shmem_for_each_swap_entry() - call @fn for every swap entry of every shmem
 * file (a poisoned one, on no swap area, is left out) until it returns
 * non-zero (the swap checker). Context: the world
 * stopped (procs_stop); takes the files' locks. Return: that value or 0.
 */
int shmem_for_each_swap_entry(struct kmm_machine *m,
			      int (*fn)(void *arg, struct kmm_file *f, unsigned long idx, swp_entry_t e),
			      void *arg);

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

/* ---- Views for proc/ and cli/ (mm/pressure_views.c) ---- */

/** mkswap_uuid() - the UUID mkswap writes for @path, as text (it is derived from the name). */
void mkswap_uuid(const char *path, char *buf, size_t len);
/** pressure_up() - is @m's pressure layer up (LRU lists, swap, kswapd)? */
bool pressure_up(const struct kmm_machine *m);
/** swap_entry_path() - the path of @e's area into @buf, or "?" if none. */
void swap_entry_path(struct kmm_machine *m, swp_entry_t e, char *buf, size_t len);
/**
 * swap_first_active_area() - the path of the active area of lowest type into
 * @buf. Return: false if none is active (swapoff -a stops there).
 */
bool swap_first_active_area(struct kmm_machine *m, char *buf, size_t len);

/* What one kswapd run did, for the scenario log and the verbs. */
struct kswapd_report {
	int order;
	enum zone_type highest_zoneidx;
	const char *waker_zone;		/* the zone below low that woke it */
	unsigned long waker_free, waker_low;
	unsigned long nr_reclaimed, nr_scanned;
	int passes;			/* balance_pgdat iterations */
	int rounds;			/* balance_pgdat calls (kswapd loops while unbalanced) */
	bool waker_boosted;		/* the waker's zone had a watermark boost */
	int end_priority;
	bool balanced;			/* a zone reached its high mark */
	bool boost_reset;
	unsigned long boosted;		/* watermark boost reclaimed away */
	unsigned long end_free, end_high;	/* of the zone it was woken for */
	int kswapd_failures;		/* the node's count after the run */
	bool hopeless;			/* kswapd_failures reached MAX_RECLAIM_RETRIES */
};
#define DEF_PRIORITY	12		/* reclaim scans lists >> priority, from 12 down to 0 */
/**
 * kswapd_take_report() - copy node @nid's last run's report into @r if it
 * was not taken yet. Return: true if there was a new one.
 */
bool kswapd_take_report(struct kmm_machine *m, int nid, struct kswapd_report *r);
/** kswapd_thread_mode() - does every kswapd run on its own host thread (kswapd=thread)? */
bool kswapd_thread_mode(struct kmm_machine *m);
/* kswapd's counters, summed over the nodes. */
struct kswapd_totals {
	unsigned long runs;		/* balance_pgdat runs */
	unsigned long reclaimed;	/* pages they reclaimed */
	unsigned long woken;		/* kswapds woken and not run yet */
};
void kswapd_totals(struct kmm_machine *m, struct kswapd_totals *t);

/**
 * lru_list_peek() - node @nid's list @lru: its length, and up to @max pages
 * from its head (@head, *@nh of them) and from its tail (@tail, *@nt, tail
 * first), none counted twice. The pages carry no reference: the caller
 * holds procs_enter() and nothing else runs on the machine (the CLI).
 */
unsigned long lru_list_peek(struct kmm_machine *m, int nid, enum lru_list lru, struct page **head,
			    unsigned long *nh, struct page **tail, unsigned long *nt,
			    unsigned long max);
/**
 * lru_page_flags() - @page's reclaim flags as letters into @buf (at least 8
 * bytes): R referenced, D dirty, S swap cache, W workingset, L mlocked, or "-".
 */
void lru_page_flags(const struct page *page, char *buf);

/* Where one virtual page of a process is (the `page NAME ADDR` verb). */
enum page_where {
	PAGE_WHERE_UNMAPPED,		/* no VMA */
	PAGE_WHERE_NONE,		/* mapped, never touched */
	PAGE_WHERE_SWAPPED,		/* the PTE holds a swap entry */
	PAGE_WHERE_POISONED,		/* a poisoned marker: swapoff could not read it */
	PAGE_WHERE_ZERO,		/* the shared zero page */
	PAGE_WHERE_PRESENT,		/* a page of its own */
};
struct page_view {
	enum page_where where;
	unsigned long va;
	/* PAGE_WHERE_PRESENT (and the swap cache page of PAGE_WHERE_SWAPPED) */
	unsigned long pfn;
	const char *zone;
	int lru;			/* enum lru_list, -1 on none, -2 in an add batch */
	char flags[8];			/* lru_page_flags() */
	bool young, dirty;		/* the PTE's accessed and dirty bits */
	int mapcount;
	/* the swap entry: the PTE's (SWAPPED), or the page's swap copy (PRESENT) */
	bool has_swap;
	char swap_path[256];
	unsigned long swap_slot;
	unsigned int swap_type;
	int swap_count;			/* PTEs holding it */
	bool in_swap_cache;		/* SWAPPED: its page is still in the swap cache */
};
/**
 * page_view_of() - fill @v for the page at @va (rounded down) of @t.
 * Return: 0, or -ESRCH when @t has no address space any more.
 * Context: takes procs_enter(), @t's mmap_lock (read) and page_table_lock.
 */
struct task_struct;
int page_view_of(struct task_struct *t, unsigned long va, struct page_view *v);

#endif /* KMM_SWAP_H */
