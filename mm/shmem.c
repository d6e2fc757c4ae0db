// SPDX-License-Identifier: MIT
/*
 * mm/shmem.c - shmem (tmpfs files and MAP_SHARED|MAP_ANONYMOUS objects)
 * under memory pressure: reclaim moves a page to swap and leaves its swap
 * entry at the page's index; every lookup of that index brings it back;
 * truncation frees the entry; swapoff brings every entry of the area back.
 *
 * Linux counterpart: mm/shmem.c (6.12): shmem_writepage, shmem_swapin_folio,
 * shmem_add_to_page_cache's swap half, shmem_free_swap / shmem_undo_range's
 * swap half, shmem_unuse, shmem_swap_usage / shmem_partial_swap_usage, and
 * mm/filemap.c's filemap_get_incore_folio (mincore of a swapped page).
 * Kept: a dirty shmem page on the inactive list gets a swap slot, leaves the
 * page cache for the swap cache (NR_SHMEM and NR_FILE_PAGES fall; the cache's
 * reference is dropped), the slot's count is held by the file's index entry
 * (swap_shmem_alloc), the page is written (pswpout) and reclaim frees it
 * from the swap cache (leaving a workingset shadow, as an anonymous page
 * does); a clean shmem page (never written: zeros) is simply dropped, as
 * Linux's __remove_mapping drops it, and the hole reads zeros again. A
 * lookup of a swapped index reads the page through the swap cache with
 * cluster readahead (pswpin, a major fault for a fault), puts it back in the
 * page cache dirty (its swap copy goes: delete_from_swap_cache, swap_free).
 * A write error puts the page back where it was (AOP_WRITEPAGE_ACTIVATE).
 * Simplified: the swap entries live in an xarray of their own beside the
 * pages (kmm_file.i_swap, as the workingset shadows do in i_shadows), so no
 * walker of i_pages ever meets a value entry; the same index never holds
 * both.
 *
 * Invariant (filemap_check, swapfile_check): an index of a shmem file holds
 * a page or a swap entry, never both, below the end of the file; f->swapped
 * counts the entries; each entry holds one count of its slot, so a slot's
 * count is the PTEs plus the shmem index entries that hold it.
 *
 * Locking: PG_locked (held across the write-out and the swap-in, so the two
 * never cross) -> f->i_pages_lock (i_pages, i_swap, nrpages, swapped). No
 * swap lock is taken under i_pages_lock; no lock is held across swap I/O
 * except the page's own lock.
 */
#include <errno.h>

#include "mm/include/filemap.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"
#include "mm/swap.h"

/* swp_to_radix_entry(): an odd value, never taken for a page pointer. */
static void *swp_to_radix(swp_entry_t e)
{
	return (void *)(uintptr_t)((e.val << 1) | 1);
}

static swp_entry_t radix_to_swp(const void *v)
{
	return (swp_entry_t){ (unsigned long)((uintptr_t)v >> 1) };
}

/* NR_FILE_PAGES and NR_SHMEM follow the resident pages of shmem files. */
static void account_shmem_page(struct page *page, long n)
{
	pg_data_t *pgdat = NODE_DATA_M(page_machine(page), page_to_nid(page));

	mod_node_page_state(pgdat, NR_FILE_PAGES, n);
	mod_node_page_state(pgdat, NR_SHMEM, n);
}

/* ---- Swap-out ---- */

/*
 * Undo a write-out that failed: the page goes back to its index, unless the
 * index changed meanwhile (truncated): then it just leaves the swap cache.
 * Context: page locked, in the swap cache with @entry, mapping NULL.
 */
static void shmem_writeout_undo(struct kmm_file *f, unsigned long idx, struct page *page,
				swp_entry_t entry)
{
	bool back = false;

	spin_lock(&f->i_pages_lock);
	if (xa_load(&f->i_swap, idx) == swp_to_radix(entry) && !xa_load(&f->i_pages, idx) &&
	    xa_store(&f->i_pages, idx, page) == 0) {
		xa_erase(&f->i_swap, idx);
		f->swapped--;
		f->nrpages++;
		page->mapping = f;
		page->index = idx;
		get_page(page);		/* the page cache's again */
		back = true;
	}
	spin_unlock(&f->i_pages_lock);
	if (back) {
		account_shmem_page(page, 1);
		swap_free(f->m, entry);		/* the index entry's count */
	}
	delete_from_swap_cache(page);
	page_flag_set(page, PG_dirty);		/* the only copy is in RAM */
}

int shmem_writeout(struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	struct kmm_file *f;
	unsigned long idx;
	swp_entry_t entry;
	int err;

	if (!trylock_page(page))
		return -EAGAIN;
	f = page->mapping;
	idx = page->index;
	/* is_page_cache_freeable(): only the cache and the isolation hold it */
	if (!f || !f->shmem || page_mapcount(page) > 0 || page_ref_count(page) != 2) {
		unlock_page(page);
		return -EAGAIN;
	}
	if (!add_to_swap(page)) {
		unlock_page(page);
		return -ENOSPC;		/* no swap: back to the active list */
	}
	entry = page_swap_entry(page);
	/* swap_shmem_alloc(): the index entry holds the slot */
	if (swap_duplicate(m, entry)) {
		delete_from_swap_cache(page);
		page_flag_set(page, PG_dirty);
		unlock_page(page);
		return -ENOSPC;
	}
	spin_lock(&f->i_pages_lock);
	if (page->mapping != f || xa_load(&f->i_pages, idx) != page ||
	    xa_store(&f->i_swap, idx, swp_to_radix(entry))) {
		spin_unlock(&f->i_pages_lock);
		swap_free(m, entry);
		delete_from_swap_cache(page);
		page_flag_set(page, PG_dirty);
		unlock_page(page);
		return -EAGAIN;
	}
	/* shmem_delete_from_page_cache(): the swap entry takes the page's place */
	xa_erase(&f->i_pages, idx);
	f->nrpages--;
	f->swapped++;
	page->mapping = NULL;
	spin_unlock(&f->i_pages_lock);
	account_shmem_page(page, -1);
	page_flag_clear(page, PG_readahead);
	put_user_page_ref(page);		/* the page cache's: the swap cache holds its own */
	err = swap_writepage(page);
	if (err)
		shmem_writeout_undo(f, idx, page, entry);
	unlock_page(page);
	return err;
}

/* ---- Swap-in ---- */

/*
 * shmem_swapin_folio(): bring the page of @entry back to index @idx of @f.
 * Return: the page with a reference, or NULL with *@err: -EAGAIN when the
 * index changed meanwhile (look again), -ENOMEM or -EIO.
 */
static struct page *shmem_swapin(struct kmm_file *f, unsigned long idx, swp_entry_t entry, bool *major,
				 int *err)
{
	struct kmm_machine *m = f->m;
	struct page *page = swap_cache_read(m, entry, procs_of(m)->user_gfp, major, err);
	bool ok;

	if (!page) {
		spin_lock(&f->i_pages_lock);
		ok = xa_load(&f->i_swap, idx) == swp_to_radix(entry);
		spin_unlock(&f->i_pages_lock);
		if (!ok)
			*err = -EAGAIN;		/* else -EIO (the read failed) or -ENOMEM */
		return NULL;
	}
	lock_page(page);
	folio_wait_writeback(page);	/* shmem_swapin_folio(): its swap-out must end first */
	spin_lock(&f->i_pages_lock);
	ok = PageSwapCache(page) && page->private == entry.val &&
	     xa_load(&f->i_swap, idx) == swp_to_radix(entry) && !xa_load(&f->i_pages, idx);
	if (ok && xa_store(&f->i_pages, idx, page)) {
		spin_unlock(&f->i_pages_lock);
		unlock_page(page);
		put_user_page_ref(page);
		*err = -ENOMEM;
		return NULL;
	}
	if (ok) {
		/* shmem_add_to_page_cache(): the page takes the entry's place */
		xa_erase(&f->i_swap, idx);
		f->swapped--;
		f->nrpages++;
		page->mapping = f;
		page->index = idx;
		get_page(page);		/* the page cache's */
	}
	spin_unlock(&f->i_pages_lock);
	if (!ok) {
		unlock_page(page);
		put_user_page_ref(page);
		*err = -EAGAIN;
		return NULL;
	}
	account_shmem_page(page, 1);
	delete_from_swap_cache(page);
	folio_mark_dirty(page);		/* its copy on swap goes: RAM holds the only one */
	swap_free(m, entry);		/* the index entry's count */
	unlock_page(page);
	return page;
}

struct page *shmem_get_swapped(struct kmm_file *f, unsigned long idx, bool *major, int *err)
{
	*err = 0;
	for (;;) {
		struct page *page;
		void *v;

		spin_lock(&f->i_pages_lock);
		page = xa_load(&f->i_pages, idx);
		if (page)
			get_page(page);
		v = page || !f->swapped ? NULL : xa_load(&f->i_swap, idx);
		spin_unlock(&f->i_pages_lock);
		if (page || !v)
			return page;
		page = shmem_swapin(f, idx, radix_to_swp(v), major, err);
		if (page || *err != -EAGAIN)
			return page;
		*err = 0;
	}
}

void shmem_swapin_range(struct kmm_file *f, unsigned long start, unsigned long end)
{
	struct kmm_machine *m = f->m;
	unsigned long idx = start;

	if (!f->shmem || !pressure_of(m))
		return;
	for (;;) {
		void *v;

		spin_lock(&f->i_pages_lock);
		v = f->swapped ? xa_find(&f->i_swap, &idx, end, XA_PRESENT) : NULL;
		spin_unlock(&f->i_pages_lock);
		if (!v)
			break;
		swap_cache_prefetch(m, radix_to_swp(v), procs_of(m)->user_gfp | __GFP_NOWARN);
		if (idx == end || idx == ~0UL)
			break;
		idx++;
	}
	lru_add_drain(m);
}

/* ---- Truncation ---- */

/*
 * shmem_free_swap(): the index no longer holds @entry: drop its count, and
 * its swap-cache page when nobody else wants it (a page being written out
 * right now, locked, is freed by reclaim once written).
 */
static void shmem_free_swap(struct kmm_machine *m, swp_entry_t entry)
{
	struct page *page;

	if (!pressure_of(m))
		return;		/* the areas went with the pressure layer */
	swap_free(m, entry);
	page = swap_cache_get(m, entry);
	if (!page)
		return;
	if (trylock_page(page)) {
		/* (under writeback: folio_free_swap's rule; its completion drops it) */
		if (PageSwapCache(page) && page->private == entry.val && page_mapcount(page) <= 0 &&
		    !swp_swapcount(m, entry) && !page_flag_test(page, PG_writeback))
			delete_from_swap_cache(page);
		unlock_page(page);
	}
	put_user_page_ref(page);
}

unsigned long shmem_free_swap_range(struct kmm_file *f, unsigned long start, unsigned long end)
{
	unsigned long idx = start, freed = 0;

	for (;;) {
		void *v;

		spin_lock(&f->i_pages_lock);
		v = f->swapped ? xa_find(&f->i_swap, &idx, end, XA_PRESENT) : NULL;
		if (v) {
			xa_erase(&f->i_swap, idx);
			f->swapped--;
		}
		spin_unlock(&f->i_pages_lock);
		if (!v)
			break;
		shmem_free_swap(f->m, radix_to_swp(v));
		freed++;
		if (idx == end || idx == ~0UL)
			break;
		idx++;
	}
	return freed;
}

/* ---- swapoff ---- */

struct unuse_arg {
	unsigned int type;
	int err;
};

static int unuse_file(struct kmm_file *f, void *arg)
{
	struct unuse_arg *a = arg;
	unsigned long idx = 0;

	if (!f->shmem)
		return 0;
	for (;;) {
		struct page *page;
		bool major = false;
		void *v = NULL;
		int err;

		/* the next entry of the area from @idx on */
		spin_lock(&f->i_pages_lock);
		while (f->swapped && (v = xa_find(&f->i_swap, &idx, ~0UL, XA_PRESENT)) != NULL) {
			if (swp_type(radix_to_swp(v)) == a->type)
				break;
			if (idx == ~0UL) {
				v = NULL;
				break;
			}
			idx++;
		}
		if (!f->swapped)
			v = NULL;
		spin_unlock(&f->i_pages_lock);
		if (!v)
			return 0;
		page = shmem_get_swapped(f, idx, &major, &err);
		if (page)
			put_user_page_ref(page);
		else if (err)
			return a->err = err;
		if (idx == ~0UL)
			return 0;
		idx++;
	}
}

int shmem_unuse(struct kmm_machine *m, unsigned int type)
{
	struct unuse_arg a = { type, 0 };
	int ret = filemap_for_each_file(m, unuse_file, &a);

	return ret ? ret : a.err;
}

/* ---- Views ---- */

unsigned long shmem_partial_swap_usage(struct kmm_file *f, unsigned long start, unsigned long end)
{
	unsigned long idx = start, n = 0;

	if (!f || !f->shmem || start > end)
		return 0;
	spin_lock(&f->i_pages_lock);
	while (f->swapped && xa_find(&f->i_swap, &idx, end, XA_PRESENT)) {
		n++;
		if (idx == end || idx == ~0UL)
			break;
		idx++;
	}
	spin_unlock(&f->i_pages_lock);
	return n;
}

bool shmem_next_swapped(struct kmm_file *f, unsigned long *idx, unsigned long end)
{
	bool found;

	if (!f || !f->shmem || *idx > end)
		return false;
	spin_lock(&f->i_pages_lock);
	found = f->swapped && xa_find(&f->i_swap, idx, end, XA_PRESENT);
	spin_unlock(&f->i_pages_lock);
	return found;
}

bool shmem_incore(struct kmm_file *f, unsigned long idx)
{
	struct page *page = NULL;
	void *v;

	if (!f->shmem)
		return false;
	spin_lock(&f->i_pages_lock);
	v = f->swapped ? xa_load(&f->i_swap, idx) : NULL;
	spin_unlock(&f->i_pages_lock);
	/* filemap_get_incore_folio(): a swapped page still in the swap cache is in core */
	if (v && pressure_of(f->m))
		page = swap_cache_get(f->m, radix_to_swp(v));
	if (page)
		put_user_page_ref(page);
	return page != NULL;
}

struct swap_walk {
	int (*fn)(void *arg, struct kmm_file *f, unsigned long idx, swp_entry_t e);
	void *arg;
};

static int walk_file_swap(struct kmm_file *f, void *arg)
{
	struct swap_walk *w = arg;
	unsigned long idx;
	void *v;
	int ret = 0;

	if (!f->shmem)
		return 0;
	spin_lock(&f->i_pages_lock);
	xa_for_each(&f->i_swap, idx, v) {
		if ((ret = w->fn(w->arg, f, idx, radix_to_swp(v))) != 0)
			break;
	}
	spin_unlock(&f->i_pages_lock);
	return ret;
}

int shmem_for_each_swap_entry(struct kmm_machine *m,
			      int (*fn)(void *arg, struct kmm_file *f, unsigned long idx, swp_entry_t e),
			      void *arg)
{
	struct swap_walk w = { fn, arg };

	return filemap_for_each_file(m, walk_file_swap, &w);
}
