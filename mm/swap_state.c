// SPDX-License-Identifier: MIT
/*
 * mm/swap_state.c - the swap cache, add_to_swap, swap I/O, swap-in with
 * readahead (do_swap_page), the hooks the process layer calls when a swap
 * PTE is copied or dropped, and swapoff's try_to_unuse.
 *
 * Linux counterpart: mm/swap_state.c (add_to_swap_cache,
 * __delete_from_swap_cache, delete_from_swap_cache, swap_cache_get_folio,
 * __read_swap_cache_async, swap_cluster_readahead, swapin_nr_pages),
 * mm/swapfile.c (folio_free_swap, free_swap_and_cache_nr, try_to_unuse,
 * unuse_pte), mm/page_io.c (swap_writepage, swap_read_folio),
 * mm/vmscan.c (add_to_swap's use), mm/memory.c (do_swap_page).
 * Kept: a page in the swap cache holds a cache reference and its entry in
 * ->private; a slot whose last PTE goes while its page sits unmapped in the
 * cache is freed together with the page (or when swap is more than half
 * full); swap-in reads a window of 2^page-cluster slots around the fault,
 * shrunk or grown by Linux's hit heuristic (swapin_nr_pages), marking the
 * extra pages PG_readahead and counting swap_ra / swap_ra_hit; a swapped-in
 * page is mapped writable at once when no other PTE or mapping shares it
 * (what SWP_EXCLUSIVE tells Linux), and leaves the swap cache on a write
 * fault, when swap is half full or the VMA is locked
 * (should_try_to_free_swap); pswpin/pswpout and pgpgin/pgpgout count pages
 * and sectors.
 * Writeback: swap_writepage sets PG_writeback and NR_WRITEBACK and writes
 * the bytes at once; the page stays under writeback (and in the swap cache:
 * folio_free_swap refuses it, swapoff waits for it) until its completion on
 * the virtual clock (mm/page-writeback.c's queue, shared with file pages).
 * Plugging (Linux's swap_iocb, mm/page_io.c): reclaim's writes of a batch
 * wait in a plug (swap_writepage_plug) and readahead's reads of a window
 * wait until every page of it is in the swap cache, locked; then each run
 * of adjacent slots goes to the host in one call (swap_write_unplug,
 * read_ahead_pages). The faulting page itself is read first, alone.
 * Simplified: reads are synchronous (the host call returns with the bytes);
 * cluster readahead only (Linux 6.12 prefers VMA-based readahead on SSDs);
 * no zswap, no zero-page detection.
 *
 * Locking: a page read from swap enters the swap cache locked (PG_locked)
 * and is unlocked when the read ends, uptodate or (failed) out of the
 * cache again; whoever finds it in the cache and uses its bytes - a fault,
 * shmem, swapoff - locks it first, so waits for the read (Linux's
 * folio_lock_or_retry). PG_locked -> the PTE table's lock.
 * do_swap_page runs with the VMA read-locked and maps under the lock of
 * the entry's PTE table after reading the entry again; try_to_unuse walks
 * each mm under mmap_read_lock the same way; free_swap_and_cache and
 * swap_dup_pte run under the caller's PTE lock. The swap cache and
 * the map are under si->lock; no si->lock across I/O or allocation.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/filemap.h"
#include "mm/include/highmem.h"
#include "mm/swap.h"

#define SECTORS_PER_PAGE (PAGE_SIZE / 512)

/* ---- The swap cache ---- */

static struct swap_info_struct *entry_area(struct kmm_machine *m, swp_entry_t entry)
{
	struct pressure *p = pressure_of(m);
	unsigned int type = swp_type(entry);
	struct swap_info_struct *si;

	if (!p || type >= MAX_SWAPFILES || !(si = swap_info_lockless(p, type)))
		return NULL;
	return swp_offset(entry) && swp_offset(entry) < si->max ? si : NULL;
}

struct page *swap_cache_get(struct kmm_machine *m, swp_entry_t entry)
{
	struct swap_info_struct *si = entry_area(m, entry);
	struct page *page;

	if (!si)
		return NULL;
	spin_lock(&si->lock);
	page = si->swap_cache[swp_offset(entry)];
	if (page)
		get_page(page);
	spin_unlock(&si->lock);
	return page;
}

/* The slot already has SWAP_HAS_CACHE; the cache takes its own reference. */
static void add_to_swap_cache(struct swap_info_struct *si, struct page *page, swp_entry_t entry)
{
	get_page(page);
	page_flag_set(page, PG_swapbacked);
	page_flag_set(page, PG_swapcache);
	page->private = entry.val;
	spin_lock(&si->lock);
	si->swap_cache[swp_offset(entry)] = page;
	spin_unlock(&si->lock);
	mod_node_page_state(page_pgdat(page), NR_SWAPCACHE, 1);
}

/*
 * The page leaves its slot. With @refs (reclaim), only if exactly @refs
 * references hold it and no PTE maps it, tested under si->lock, where every
 * swap-cache lookup takes its reference (swap_cache_get and the read path):
 * no lookup can come between the test and the removal (Linux's
 * folio_ref_freeze in __remove_mapping); the shadow is then taken here.
 */
static bool swap_cache_delete(struct page *page, unsigned long shadow, int refs)
{
	struct kmm_machine *m = page_machine(page);
	swp_entry_t entry = page_swap_entry(page);
	struct swap_info_struct *si = entry_area(m, entry);
	bool mine = false;

	if (si) {
		spin_lock(&si->lock);
		if (si->swap_cache[swp_offset(entry)] == page &&
		    (!refs || (page_ref_count(page) == refs && page_mapcount(page) <= 0))) {
			if (refs)
				shadow = workingset_eviction(page);
			si->swap_cache[swp_offset(entry)] = NULL;
			si->swap_shadow[swp_offset(entry)] = shadow;	/* freed with the slot */
			mine = true;
		}
		spin_unlock(&si->lock);
	}
	/*
	 * Whoever takes the page out of its slot does the rest, once: callers
	 * that do not hold the page lock (free_swap_and_cache, try_to_unuse)
	 * may race with one that does (the slot reclaim of a full swap, a
	 * write's completion), and a second deletion would drop the cache's
	 * reference and NR_SWAPCACHE twice and free a slot another page owns.
	 */
	if (!mine)
		return false;
	page_flag_clear(page, PG_swapcache);
	page_flag_clear(page, PG_readahead);
	page->private = 0;
	mod_node_page_state(page_pgdat(page), NR_SWAPCACHE, -1);
	put_swap_folio(m, entry);
	put_user_page_ref(page);
	return true;
}

bool __delete_from_swap_cache(struct page *page, unsigned long shadow)
{
	return swap_cache_delete(page, shadow, 0);
}

bool swap_cache_reclaim(struct page *page)
{
	return swap_cache_delete(page, 0, 2);
}

bool delete_from_swap_cache(struct page *page)
{
	return __delete_from_swap_cache(page, 0);
}

bool add_to_swap(struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	swp_entry_t entry = get_swap_page(m);
	struct swap_info_struct *si;

	if (!entry.val)
		return false;
	si = entry_area(m, entry);
	add_to_swap_cache(si, page, entry);
	/* The copy on swap does not exist yet: the page must be written. */
	page_flag_set(page, PG_dirty);
	return true;
}

bool folio_free_swap(struct page *page)
{
	struct kmm_machine *m = page_machine(page);

	VM_BUG_ON_PAGE(!page_flag_test(page, PG_locked), page);	/* as Linux's */
	if (!pressure_of(m) || !PageSwapCache(page) || page_flag_test(page, PG_writeback))
		return false;	/* (under writeback: the write's completion must find it cached) */
	if (swp_swapcount(m, page_swap_entry(page)) > 0)
		return false;	/* a PTE still holds the entry: the copy is needed */
	if (!delete_from_swap_cache(page))
		return false;	/* someone else took it out of the swap cache first */
	page_flag_set(page, PG_dirty);	/* the only copy is in RAM now */
	return true;
}

/* ---- Swap I/O (page_io.c) ---- */

/* The page's bytes to or from slot @offset, through kmap_local_page() (page bytes: one way in). */
static int swap_page_rw(struct swap_info_struct *si, unsigned long offset, struct page *page,
			bool write)
{
	void *addr = kmap_local_page(page);
	int err;

	if (!addr)
		return -ENOMEM;		/* this CPU's kmap_local stack is full */
	err = swap_page_io(si, offset, addr, write);
	kunmap_local(addr);
	return err;
}

/* The end of a swap write (end_swap_bio_write): its completion queued, the counts, or the error. */
static int swap_write_end(struct kmm_machine *m, struct swap_info_struct *si, struct page *page,
			  int err)
{
	folio_queue_writeback(page, err);	/* on error: over at once */
	if (err) {
		page_flag_set(page, PG_dirty);
		kmm_printk(m, "Write-error on swap-device (%s, offset %lu): %d", si->path,
			   swp_offset(page_swap_entry(page)), err);
		return err;
	}
	count_vm_event(m, PSWPOUT);
	count_vm_events(m, PGPGOUT, SECTORS_PER_PAGE);
	mod_node_page_state(page_pgdat(page), NR_VMSCAN_WRITE, 1);
	return 0;
}

int swap_writepage(struct page *page)
{
	return swap_writepage_plug(page, NULL);
}

int swap_writepage_plug(struct page *page, struct swap_plug *plug)
{
	struct kmm_machine *m = page_machine(page);
	swp_entry_t entry = page_swap_entry(page);
	struct swap_info_struct *si = entry_area(m, entry);

	if (!si)
		return -EINVAL;
	/* folio_clear_dirty_for_io(), folio_start_writeback(): the bytes go now, the write ends later */
	page_flag_clear(page, PG_dirty);
	folio_start_writeback(page);
	/* (no writeback queue, no page cache layer: the write ends at once, so it is not held) */
	if (plug && plug->nr < SWAP_CLUSTER_MAX && m->subsys[SUBSYS_FILEMAP]) {
		plug->pages[plug->nr++] = page;
		return 0;
	}
	return swap_write_end(m, si, page, swap_page_rw(si, swp_offset(entry), page, true));
}

/* Pages whose bytes can be written by one host call from their direct-map addresses. */
static bool swap_run_next(struct kmm_machine *m, struct page *a, struct page *b)
{
	swp_entry_t ea = page_swap_entry(a), eb = page_swap_entry(b);

	return swp_type(ea) == swp_type(eb) && swp_offset(eb) == swp_offset(ea) + 1 &&
	       !page_is_highmem_m(m, a) && !page_is_highmem_m(m, b);
}

unsigned long swap_write_unplug(struct swap_plug *plug)
{
	unsigned long failed = 0;
	unsigned int nr = plug->nr, j;

	plug->nr = 0;
	for (unsigned int i = 0; i < nr; i = j) {
		struct page *page = plug->pages[i];
		struct kmm_machine *m = page_machine(page);
		struct swap_info_struct *si = entry_area(m, page_swap_entry(page));
		unsigned long off = swp_offset(page_swap_entry(page));
		void *bufs[SWAP_CLUSTER_MAX];
		int err = -EAGAIN;	/* not written yet */

		for (j = i + 1; j < nr && swap_run_next(m, plug->pages[j - 1], plug->pages[j]); j++)
			;
		if (j - i > 1) {
			/* lowmem pages: kmap_local_page() is the direct-map address, no slot */
			for (unsigned int k = i; k < j; k++)
				bufs[k - i] = kmap_local_page(plug->pages[k]);
			err = swap_pages_io(si, off, bufs, j - i, true);
			for (unsigned int k = j; k-- > i;)
				kunmap_local(bufs[k - i]);
		}
		for (unsigned int k = i; k < j; k++) {
			struct page *p = plug->pages[k];
			int e = err;

			if (e)	/* alone, or the run failed: page by page, each its own result */
				e = swap_page_rw(si, off + (k - i), p, true);
			if (swap_write_end(m, si, p, e))
				failed |= 1UL << k;
		}
	}
	return failed;
}

/*
 * swap_read_folio() and its completion (swap_read_folio_end): read slot
 * @offset into @page, a fresh page that read_swap_cache_async() put in the
 * swap cache locked. The page stays locked until the read is over, so that
 * a lookup that finds it meanwhile waits (swapin_lock_page) instead of
 * mapping bytes not yet read. On success it is PG_uptodate; on failure it
 * leaves the swap cache (still locked, so a waiter finds it neither
 * uptodate nor cached: the read failed). Either way it is unlocked here.
 * Return: 0 or the read's -errno.
 */
/* The end of a read (swap_read_folio_end): uptodate and counted, or out of the cache; unlocked. */
static int swap_read_end(struct kmm_machine *m, struct swap_info_struct *si, struct page *page,
			 unsigned long offset, int err)
{
	if (err) {
		kmm_printk(m, "Read-error on swap-device (%s, offset %lu): %d", si->path, offset, err);
		delete_from_swap_cache(page);
	} else {
		page_flag_set(page, PG_uptodate);
		count_vm_event(m, PSWPIN);
		count_vm_events(m, PGPGIN, SECTORS_PER_PAGE);
	}
	unlock_page(page);
	return err;
}

static int swap_read_folio(struct kmm_machine *m, struct swap_info_struct *si, struct page *page,
			   unsigned long offset)
{
	struct pressure *p = pressure_of(m);
	int err = 0;

	if (p->swapin_hook)	/* tests: stall or fail the read */
		err = p->swapin_hook(p->swapin_hook_arg, SWAPIN_HOOK_READ, page,
				     swp_entry((unsigned int)si->type, offset));
	if (!err)
		err = swap_page_rw(si, offset, page, false);
	return swap_read_end(m, si, page, offset, err);
}

void swapin_lock_page(struct kmm_machine *m, struct page *page, swp_entry_t entry)
{
	struct pressure *p = pressure_of(m);

	if (trylock_page(page))
		return;
	if (p && p->swapin_hook)	/* tests: a lookup is about to wait for a read */
		p->swapin_hook(p->swapin_hook_arg, SWAPIN_HOOK_WAIT, page, entry);
	lock_page(page);
}

/* ---- Swap-in ---- */

/*
 * __read_swap_cache_async(): the page of @entry in the swap cache, with a
 * reference: found there (perhaps still being read by another thread:
 * whoever uses its bytes locks it first), or a fresh page added to the
 * cache and the LRU, locked (*@allocated set: the caller reads it, which
 * unlocks it). NULL when no PTE holds the entry any more, or no memory.
 */
static struct page *read_swap_cache_async(struct kmm_machine *m, swp_entry_t entry, gfp_t gfp,
					  bool *allocated)
{
	struct swap_info_struct *si = entry_area(m, entry);
	unsigned long off = swp_offset(entry);
	struct page *page;

	*allocated = false;
	if (!si)
		return NULL;
	page = swap_cache_get(m, entry);
	if (page)
		return page;
	spin_lock(&si->lock);
	bool unused = !SWAP_COUNT(si->swap_map[off]) || si->swap_map[off] == SWAP_MAP_BAD;
	spin_unlock(&si->lock);
	if (unused)
		return NULL;
	page = kmm_alloc_pages(m, gfp, 0, -1);
	if (!page)
		return NULL;
	/*
	 * The allocation may have reclaimed: look again before claiming the
	 * slot. A slot that has SWAP_HAS_CACHE with no page in the cache is
	 * between two steps of another thread: its read_swap_cache_async()
	 * claimed the slot and is about to add its page, or a deletion took
	 * the page out and is about to clear the flag. Either ends at once, so
	 * wait and look again (Linux: swapcache_prepare() says -EEXIST and
	 * __read_swap_cache_async() retries); taking it for "no page" would
	 * fail the fault with VM_FAULT_OOM and swapoff with -ENOMEM.
	 */
	struct pressure *p = pressure_of(m);
	struct page *cached;
	unsigned long shadow = 0;
	unsigned short v;
	for (;;) {
		spin_lock(&si->lock);
		v = si->swap_map[off];
		cached = si->swap_cache[off];
		if (cached || !SWAP_COUNT(v) || v == SWAP_MAP_BAD || !(v & SWAP_HAS_CACHE))
			break;
		spin_unlock(&si->lock);
		if (p->swapin_hook)	/* tests: a lookup is about to wait for another's claim */
			p->swapin_hook(p->swapin_hook_arg, SWAPIN_HOOK_WAIT, NULL, entry);
		sim_yield();
	}
	if (cached) {
		get_page(cached);
	} else if (SWAP_COUNT(v) && v != SWAP_MAP_BAD) {
		si->swap_map[off] = (unsigned short)(v | SWAP_HAS_CACHE);	/* swapcache_prepare */
		shadow = si->swap_shadow[off];	/* the page replaces its shadow */
		si->swap_shadow[off] = 0;
	} else {
		v = 0;		/* no PTE holds the entry any more */
	}
	spin_unlock(&si->lock);
	if (cached || !v) {
		__free_pages(page, 0);
		return cached;
	}
	if (p->swapin_hook)	/* tests: the slot is claimed, its page not yet in the cache */
		p->swapin_hook(p->swapin_hook_arg, SWAPIN_HOOK_CLAIM, page, entry);
	page_flag_set(page, PG_swapbacked);
	page_flag_set(page, PG_locked);	/* __folio_set_locked(): until its read ends */
	add_to_swap_cache(si, page, entry);
	if (shadow)
		workingset_refault(page, shadow);	/* a recent refault starts active */
	folio_add_lru(page);
	*allocated = true;
	return page;
}

/*
 * swapin_nr_pages(): the readahead window, 2^page-cluster at most. With no
 * readahead hits since last time it is one page unless this fault is next
 * to the previous one; with hits it grows to the next power of two above
 * hits + 2; it never shrinks below half the last window.
 */
static unsigned long swapin_nr_pages(struct pressure *p, struct swap_info_struct *si,
				     unsigned long offset)
{
	unsigned long max_pages = 1UL << __atomic_load_n(&p->page_cluster, __ATOMIC_RELAXED);
	unsigned long hits, pages, last;

	if (max_pages <= 1)
		return 1;
	hits = atomic_exchange(&p->ra_hits, 0);
	pages = hits + 2;
	if (pages == 2) {
		uint64_t prev = __atomic_load_n(&si->readahead_prev, __ATOMIC_RELAXED);
		if (offset != prev + 1 && offset + 1 != prev)
			pages = 1;
	} else {
		unsigned long roundup = 4;
		while (roundup < pages)
			roundup <<= 1;
		pages = roundup;
	}
	if (pages > max_pages)
		pages = max_pages;
	last = atomic_load(&p->ra_last_pages) / 2;
	if (pages < last)
		pages = last;
	if (!hits)	/* a hint: two faults racing here may each store theirs */
		__atomic_store_n(&si->readahead_prev, offset, __ATOMIC_RELAXED);
	atomic_store(&p->ra_last_pages, pages);
	return pages;
}

/*
 * read_swap_cache_async() and the read of a page the caller lets go: the
 * page of @entry is in the swap cache afterwards (read if it was not),
 * unless memory or the read failed.
 */
static void read_one(struct kmm_machine *m, struct swap_info_struct *si, swp_entry_t entry, gfp_t gfp)
{
	bool allocated;
	struct page *page = read_swap_cache_async(m, entry, gfp, &allocated);

	if (!page)
		return;
	if (allocated)
		swap_read_folio(m, si, page, swp_offset(entry));
	put_user_page_ref(page);
}

/*
 * The readahead pages of a window (swap_read_unplug): @nr fresh pages that
 * read_swap_cache_async() put in the swap cache, locked, with a reference,
 * in slot order. Each run of adjacent slots is read by one host call (a run
 * that fails is read again page by page, each page its own result; with a
 * test's swapin_hook, every page alone, the hook before its read); then
 * each page ends as swap_read_folio()'s does, read ones marked PG_readahead
 * (swap_ra), and is let go. Already in the cache when read, none of them
 * can get bytes older than the slot's (review20 R6).
 */
static void read_ahead_pages(struct kmm_machine *m, struct swap_info_struct *si, struct page **pages,
			     unsigned int nr)
{
	unsigned int j;

	for (unsigned int i = 0; i < nr; i = j) {
		unsigned long off = swp_offset(page_swap_entry(pages[i]));
		void *bufs[SWAP_CLUSTER_MAX];
		int err = -EAGAIN;	/* not read yet */

		for (j = i + 1; j < nr && swap_run_next(m, pages[j - 1], pages[j]); j++)
			;
		if (j - i > 1 && !pressure_of(m)->swapin_hook) {
			for (unsigned int k = i; k < j; k++)
				bufs[k - i] = kmap_local_page(pages[k]);	/* lowmem: no slot */
			err = swap_pages_io(si, off, bufs, j - i, false);
			for (unsigned int k = j; k-- > i;)
				kunmap_local(bufs[k - i]);
		}
		for (unsigned int k = i; k < j; k++) {
			struct page *page = pages[k];
			int e = err ? swap_read_folio(m, si, page, off + (k - i))
				    : swap_read_end(m, si, page, off + (k - i), 0);

			if (!e) {
				page_flag_set(page, PG_readahead);
				count_vm_event(m, SWAP_RA);
			}
			put_user_page_ref(page);
		}
	}
}

void swap_cache_prefetch(struct kmm_machine *m, swp_entry_t entry, gfp_t gfp)
{
	struct swap_info_struct *si = entry_area(m, entry);

	if (si)
		read_one(m, si, entry, gfp);
}

/*
 * swap_cluster_readahead(): read the aligned window around @entry's slot,
 * then return the target page (read, in the cache, referenced), or NULL.
 */
static struct page *swapin_readahead(struct kmm_machine *m, struct swap_info_struct *si,
				     swp_entry_t entry, gfp_t gfp, int *err)
{
	unsigned long off = swp_offset(entry);
	unsigned long mask = swapin_nr_pages(pressure_of(m), si, off) - 1;
	struct page *page;
	bool allocated;

	/* The target first, so that reclaim run by a later allocation cannot take it. */
	page = read_swap_cache_async(m, entry, gfp, &allocated);
	if (!page) {
		*err = -ENOMEM;
		return NULL;
	}
	if (allocated && swap_read_folio(m, si, page, off)) {
		/* !folio_test_uptodate(): whatever the host said, the page could not be read */
		put_user_page_ref(page);
		*err = -EIO;
		return NULL;
	}
	if (mask) {
		unsigned long start = off & ~mask, end = off | mask;
		struct page *ra[SWAP_CLUSTER_MAX];
		unsigned int nr = 0;

		if (!start)
			start = 1;	/* the header */
		if (end >= si->max)
			end = si->max - 1;
		/* Linux's plug: the window's fresh pages in the cache first, then their reads */
		for (unsigned long o = start; o <= end; o++) {
			struct page *p;
			if (o == off)
				continue;
			p = read_swap_cache_async(m, swp_entry((unsigned int)si->type, o),
						  gfp | __GFP_NOWARN | __GFP_NORETRY, &allocated);
			if (p && !allocated)
				put_user_page_ref(p);	/* cached already */
			else if (p)
				ra[nr++] = p;
			if (nr == SWAP_CLUSTER_MAX) {
				read_ahead_pages(m, si, ra, nr);
				nr = 0;
			}
		}
		read_ahead_pages(m, si, ra, nr);
	}
	return page;
}

struct page *swap_cache_read(struct kmm_machine *m, swp_entry_t entry, gfp_t gfp, bool *major,
			     int *err)
{
	struct swap_info_struct *si = entry_area(m, entry);
	struct page *page;

	*err = -ENOMEM;
	if (!si)
		return NULL;	/* swapoff took the area away: the caller looks at its entry again */
	page = swap_cache_get(m, entry);
	if (page) {
		if (page_flag_test(page, PG_readahead)) {
			page_flag_clear(page, PG_readahead);
			count_vm_event(m, SWAP_RA_HIT);
			atomic_fetch_add(&pressure_of(m)->ra_hits, 1);
		}
		return page;
	}
	page = swapin_readahead(m, si, entry, gfp, err);
	if (page) {
		*major = true;
		*err = 0;
	}
	return page;
}

/* pte_mkdirty() as the fault path writes it: dirty and soft-dirty. */
static pteval_t mkdirty(pteval_t v)
{
	return v | _PAGE_DIRTY | _PAGE_SOFT_DIRTY;
}

/*
 * Map swap-cache @page at @ptep in place of @entry: counters, reverse map,
 * the PTE's slot reference dropped. @write: a write fault. @unuse:
 * swapoff (the PTE is made old and never writable, as unuse_pte does).
 */
static void map_swap_page(struct vm_area_struct *vma, unsigned long addr, void *ptep,
			  struct page *page, swp_entry_t entry, bool write, bool unuse)
{
	struct mm_struct *mm = vma->vm_mm;
	struct kmm_machine *m = mm->m;
	const struct pgtable_geometry *g = mm->pgt.geo;
	bool exclusive;
	pteval_t pte;

	add_mm_counter(mm, MM_SWAPENTS, -1);
	add_mm_counter(mm, MM_ANONPAGES, 1);
	swap_free(m, entry);
	/* Nobody else holds the entry or maps the page: it is this PTE's alone. */
	exclusive = page_mapcount(page) <= 0 && swp_swapcount(m, entry) == 0;
	if (PageSwapCache(page) && (unuse || vm_swap_full(m) || (vma->vm_flags & VM_LOCKED) ||
				    page_flag_test(page, PG_mlocked) || (write && exclusive)))
		folio_free_swap(page);
	if (pressure_of(m)->swapin_hook)	/* tests: the slot is free, the PTE not yet stored */
		pressure_of(m)->swapin_hook(pressure_of(m)->swapin_hook_arg, SWAPIN_HOOK_MAP, page,
					    entry);
	pte = pfn_pte_geo(g, page_to_pfn_m(m, page), vma->vm_page_prot);
	if (unuse) {
		pte &= ~(pteval_t)_PAGE_ACCESSED;
	} else if (exclusive && (vma->vm_flags & VM_WRITE)) {
		pte |= _PAGE_RW;
		if (write)
			pte = mkdirty(pte);
	}
	if (page_mapcount(page) <= 0)
		folio_add_new_anon_rmap(page, vma, addr);
	else
		folio_add_anon_rmap_pte(page);
	pte_set(&mm->pgt, ptep, pte);	/* the caller's reference becomes the mapping's */
	if (vma->vm_flags & VM_LOCKED)
		mlock_page(page);
	update_hiwater(mm);
}

/* Does the PTE of @addr still hold @orig? Looked at under the page-table lock. */
static bool pte_still(struct mm_struct *mm, uint64_t addr, pteval_t orig)
{
	spinlock_t *ptl;
	void *ptep = pte_offset_map_lock(mm, addr, &ptl);
	bool same = ptep && pte_get(&mm->pgt, ptep) == orig;

	if (ptep)
		pte_unmap_unlock(ptl);
	return same;
}

int do_swap_page(struct kmm_machine *m, struct vm_area_struct *vma, uint64_t addr, void *ptep,
		 pteval_t orig, unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	const struct pgtable_geometry *g = mm->pgt.geo;
	swp_entry_t entry = swp_entry(pte_swp_type(g, orig), pte_swp_offset(g, orig));
	struct swap_info_struct *si;
	struct page *page;
	spinlock_t *ptl;
	bool major = false;
	int ret = 0, err;

	if (is_poisoned_swp_entry(entry))
		return VM_FAULT_HWPOISON;	/* handle_pte_marker(): its page was lost */
	si = entry_area(m, entry);
	if (!si) {
		/*
		 * Linux's get_swap_device() failing. swapoff takes an area out
		 * of swap_info[] (a release store) only after try_to_unuse() has
		 * put every page of it back in its PTE; the NULL read here with
		 * acquire makes that PTE store visible to the look below. So if
		 * swapoff ended after this fault read @orig, the PTE holds the
		 * page now and the fault is retried (it returns 0, as Linux's
		 * do_swap_page does); the process must not get SIGBUS for a page
		 * that is in RAM. An entry still in the PTE names no area: a bad
		 * entry (swap_info_get() logs it).
		 */
		if (!pte_still(mm, addr, orig))
			return 0;
		swap_info_get(m, entry);
		return -EFAULT;
	}
	page = swap_cache_read(m, entry, procs_of(m)->user_gfp, &major, &err);
	if (!page) {
		/*
		 * -EIO: the fault's SIGBUS (VM_FAULT_SIGBUS); -ENOMEM: its OOM
		 * path (VM_FAULT_OOM, retried) - unless someone mapped the PTE
		 * meanwhile. Looked at under the page-table lock, as Linux backs
		 * out: swapoff's unuse and another fault's map free the slot
		 * (and the cache page) before they store the PTE, both under
		 * that lock, so a look without it could find the slot free and
		 * the old entry still in the PTE, and take a page being mapped
		 * for no memory, fault after fault while that thread was held
		 * up there: kmm_access() gave up after 16 (review14 R3).
		 */
		struct pressure *p = pressure_of(m);

		if (p->swapin_hook)	/* tests: the read came back empty */
			p->swapin_hook(p->swapin_hook_arg, SWAPIN_HOOK_RECHECK, NULL, entry);
		return pte_still(mm, addr, orig) ? err : 0;
	}
	if (major)
		ret = VM_FAULT_MAJOR;
	/* folio_lock_or_retry(): a page found in the cache may still be being read */
	swapin_lock_page(m, page, entry);
	/* Map it only if the entry is still there (another thread may have won). */
	ptep = pte_offset_map_lock(mm, addr, &ptl);
	if (!ptep || pte_get(&mm->pgt, ptep) != orig) {
		/* retry the fault */
	} else if (!page_flag_test(page, PG_uptodate)) {
		ret = -EIO;		/* the read we waited for failed: VM_FAULT_SIGBUS */
	} else if (!PageSwapCache(page) || page_swap_entry(page).val != entry.val) {
		/* retry the fault */
	} else {
		map_swap_page(vma, (unsigned long)addr, ptep, page, entry, flags & FAULT_FLAG_WRITE,
			      false);
		/* our reference is the mapping's now: unlock before a zap can take it */
		unlock_page(page);
		pte_unmap_unlock(ptl);
		return ret;
	}
	if (ptep)
		pte_unmap_unlock(ptl);
	unlock_page(page);
	put_user_page_ref(page);
	return ret;
}

/* ---- The process layer's hooks ---- */

void free_swap_and_cache(struct kmm_machine *m, pteval_t pte)
{
	const struct pgtable_geometry *g = pgtable_geometry_of(m);
	swp_entry_t entry = swp_entry(pte_swp_type(g, pte), pte_swp_offset(g, pte));
	struct swap_info_struct *si;
	struct page *page = NULL;

	if (is_poisoned_swp_entry(entry))
		return;		/* a marker holds no slot */
	swap_free(m, entry);
	si = entry_area(m, entry);
	if (!si)
		return;
	spin_lock(&si->lock);
	if (!SWAP_COUNT(si->swap_map[swp_offset(entry)]) && si->swap_cache[swp_offset(entry)]) {
		page = si->swap_cache[swp_offset(entry)];
		get_page(page);
	}
	spin_unlock(&si->lock);
	if (!page)
		return;
	/* __try_to_reclaim_swap(TTRS_UNMAPPED | TTRS_FULL): a locked page (being read) is left */
	if ((page_mapcount(page) <= 0 || vm_swap_full(m)) && trylock_page(page)) {
		folio_free_swap(page);
		unlock_page(page);
	}
	put_user_page_ref(page);
}

int swap_dup_pte(struct kmm_machine *m, pteval_t pte)
{
	const struct pgtable_geometry *g = pgtable_geometry_of(m);

	if (is_poisoned_pte(g, pte))
		return 0;	/* a marker holds no slot */
	return swap_duplicate(m, swp_entry(pte_swp_type(g, pte), pte_swp_offset(g, pte)));
}

/* The swap PTEs of a range, collected under each table's PTE lock. */
struct willneed_ctx {
	const struct pgtable_geometry *geo;
	pteval_t *ptes;
	size_t nr, cap;
};

static int collect_willneed(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct willneed_ctx *c = arg;

	(void)va;
	(void)slot;
	if (pte_present(v) || !pte_is_swap(c->geo, v))
		return 0;
	if (c->nr == c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 64;
		pteval_t *n = realloc(c->ptes, ncap * sizeof(*n));
		if (!n)
			return 1;	/* no memory: read what was collected (advice only) */
		c->ptes = n;
		c->cap = ncap;
	}
	c->ptes[c->nr++] = v;
	return 0;
}

void swapin_walk_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	struct kmm_machine *m = mm->m;
	struct willneed_ctx c = { .geo = mm->pgt.geo };

	walk_ptes_locked(mm, start, end, true, collect_willneed, &c);
	/* read_swap_cache_async() of each: allocation may reclaim, so no lock is held */
	for (size_t i = 0; i < c.nr; i++)
		swap_cache_prefetch(m, swp_entry(pte_swp_type(c.geo, c.ptes[i]), pte_swp_offset(c.geo, c.ptes[i])),
				    procs_of(m)->user_gfp | __GFP_NOWARN);
	free(c.ptes);
	lru_add_drain(m);	/* the new pages onto the LRU now */
}

/* ---- swapoff: try_to_unuse ---- */

struct unuse_ctx {
	const struct pgtable_geometry *geo;
	unsigned int type;
	unsigned long *addrs;
	size_t nr, cap;
	int err;
};

static int collect_swap_pte(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct unuse_ctx *c = arg;

	(void)slot;
	if (pte_present(v) || pte_swp_type(c->geo, v) != c->type)
		return 0;
	if (c->nr == c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 64;
		unsigned long *n = realloc(c->addrs, ncap * sizeof(*n));
		if (!n) {
			c->err = -ENOMEM;
			return 1;
		}
		c->addrs = n;
		c->cap = ncap;
	}
	c->addrs[c->nr++] = (unsigned long)va;
	return 0;
}

/*
 * unuse_pte() on a page that could not be read (!folio_test_uptodate, Linux
 * 6.12): the PTE at @addr, if it still holds @pte, gets the poisoned marker
 * instead, and its slot reference goes, so that swapoff completes; the
 * process gets SIGBUS only if it touches that page again. The read's
 * failure is in dmesg already ("Read-error on swap-device").
 */
static void unuse_poison(struct vm_area_struct *vma, unsigned long addr, pteval_t pte,
			 swp_entry_t entry)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	void *ptep = pte_offset_map_lock(mm, addr, &ptl);
	bool mine = ptep && pte_get(&mm->pgt, ptep) == pte;

	if (mine) {
		pte_set(&mm->pgt, ptep, pte_poisoned(mm->pgt.geo));
		add_mm_counter(mm, MM_SWAPENTS, -1);
	}
	if (ptep)
		pte_unmap_unlock(ptl);
	if (mine)
		swap_free(mm->m, entry);
	/* (changed meanwhile: the next pass looks again) */
}

/*
 * unuse_vma(): every swap PTE of area @si in @vma gets its page back: read
 * with no lock held, mapped under its PTE lock if the entry is
 * still there. Context: mmap_read_lock(@vma->vm_mm) held.
 */
static int unuse_vma(struct kmm_machine *m, struct vm_area_struct *vma, struct swap_info_struct *si,
		     struct unuse_ctx *c)
{
	struct mm_struct *mm = vma->vm_mm;

	c->nr = 0;
	c->geo = mm->pgt.geo;
	walk_ptes_locked(mm, vma->vm_start, vma->vm_end, true, collect_swap_pte, c);
	if (c->err)
		return c->err;
	for (size_t i = 0; i < c->nr; i++) {
		unsigned long addr = c->addrs[i];
		void *ptep = pgtable_walk(&mm->pgt, addr, false, NULL);
		pteval_t pte = ptep ? pte_get(&mm->pgt, ptep) : 0;
		bool allocated;

		if (!ptep || pte_none(pte) || pte_present(pte) || pte_swp_type(c->geo, pte) != c->type)
			continue;
		swp_entry_t entry = swp_entry(c->type, pte_swp_offset(c->geo, pte));
		struct page *page = read_swap_cache_async(m, entry, procs_of(m)->user_gfp, &allocated);
		if (!page) {
			if (swp_swapcount(m, entry))
				return -ENOMEM;
			continue;	/* the entry went meanwhile */
		}
		if (allocated && swap_read_folio(m, si, page, swp_offset(entry))) {
			put_user_page_ref(page);
			unuse_poison(vma, addr, pte, entry);
			continue;
		}
		/* unuse_pte_range()'s folio_lock(): a fault's read of it may still be going on */
		swapin_lock_page(m, page, entry);
		if (!page_flag_test(page, PG_uptodate)) {
			unlock_page(page);	/* that read failed */
			put_user_page_ref(page);
			unuse_poison(vma, addr, pte, entry);
			continue;
		}
		spinlock_t *ptl;
		ptep = pte_offset_map_lock(mm, addr, &ptl);
		if (!ptep || pte_get(&mm->pgt, ptep) != pte || !PageSwapCache(page) ||
		    page_swap_entry(page).val != entry.val) {
			if (ptep)
				pte_unmap_unlock(ptl);
			unlock_page(page);
			put_user_page_ref(page);	/* changed meanwhile: the next pass looks again */
			continue;
		}
		map_swap_page(vma, addr, ptep, page, entry, false, true);
		unlock_page(page);	/* (before a zap can take the mapping's reference) */
		pte_unmap_unlock(ptl);
	}
	return 0;
}

/* The live processes' mms, each with a reference (mm_users). */
struct mm_list {
	struct mm_struct **mms;
	size_t nr, cap;
};

static int collect_mm(struct task_struct *t, void *arg)
{
	struct mm_list *l = arg;
	struct mm_struct *mm;

	if (l->nr == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 16;
		struct mm_struct **n = realloc(l->mms, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		l->mms = n;
		l->cap = ncap;
	}
	mm = get_task_mm(t);
	if (mm)
		l->mms[l->nr++] = mm;
	return 0;
}

/*
 * Passes in a row that may free no slot before swapoff gives up (-ENOMEM,
 * the area back in service). Linux has no such bound: it retries until the
 * area is empty or a signal comes, since reclaim can put a page that a
 * fault mapped from the swap cache back on its old entry behind the walk
 * (SWP_WRITEOK stops new slots only). A pass that frees a slot starts the
 * count again, so a chase that moves on never gives up; a slot nothing can
 * free (a bug) fails swapoff instead of hanging it.
 */
#define UNUSE_IDLE_PASSES 64

int try_to_unuse(struct kmm_machine *m, struct swap_info_struct *si)
{
	struct kmm_procs *procs = procs_of(m);
	struct unuse_ctx c = { .type = (unsigned int)si->type };
	unsigned long left = __atomic_load_n(&si->inuse_pages, __ATOMIC_RELAXED);
	int err = 0;

	for (int idle = 0; idle < UNUSE_IDLE_PASSES && !err; idle++) {
		/* shmem_unuse(): the area's entries held by shmem files' indexes (mm/shmem.c) */
		if (procs) {
			int token = procs_enter(m);
			err = shmem_unuse(m, c.type);
			procs_exit(m, token);
		} else {
			err = shmem_unuse(m, c.type);
		}
		if (!err && procs) {
			struct mm_list l = { 0 };
			int token = procs_enter(m);
			err = kmm_for_each_task(m, collect_mm, &l);
			for (size_t i = 0; i < l.nr; i++) {
				struct mm_struct *mm = l.mms[i];
				struct vm_area_struct *vma;
				if (!err) {
					mmap_read_lock(mm);
					VMA_ITERATOR(vmi, mm, 0);
					for_each_vma(vmi, vma) {
						if (vma->anon_vma && (err = unuse_vma(m, vma, si, &c)) != 0)
							break;
					}
					mmap_read_unlock(mm);
				}
				mmput(mm);
			}
			free(l.mms);
			procs_exit(m, token);
		}
		/* tests: a reclaim behind the walk; or an error, as Linux's -EINTR for a signal */
		if (pressure_of(m)->swapin_hook && !err)
			err = pressure_of(m)->swapin_hook(pressure_of(m)->swapin_hook_arg, SWAPIN_HOOK_UNUSE,
							  NULL, swp_entry(c.type, 0));
		/* What is left in the cache: pages no PTE holds (readahead, shared ones now mapped). */
		for (unsigned long off = 1; off < si->max && !err; off++) {
			struct page *page = swap_cache_get(m, swp_entry(c.type, off));
			if (!page)
				continue;
			/* a read of it may still be going on */
			swapin_lock_page(m, page, swp_entry(c.type, off));
			folio_wait_writeback(page);	/* try_to_unuse() waits for the write */
			folio_free_swap(page);
			unlock_page(page);
			put_user_page_ref(page);
		}
		unsigned long now = __atomic_load_n(&si->inuse_pages, __ATOMIC_RELAXED);
		if (!now)
			break;
		if (now < left) {
			left = now;	/* progress: another full allowance of idle passes */
			idle = -1;
		} else {
			sim_yield();	/* let the fault or reclaim in the way move on */
		}
	}
	if (!err && __atomic_load_n(&si->inuse_pages, __ATOMIC_RELAXED))
		err = -ENOMEM;
	free(c.addrs);
	return err;
}
