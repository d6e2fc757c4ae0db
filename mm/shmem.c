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
 * A read error leaves a poisoned entry at the index
 * (shmem_set_folio_swapin_error): the slot is freed, and every later
 * lookup of the index fails with -EIO (a fault: SIGBUS) until truncation
 * takes the index.
 * Simplified: the swap entries live in an xarray of their own beside the
 * pages (kmm_file.i_swap, as the workingset shadows do in i_shadows), so no
 * walker of i_pages ever meets a value entry; the same index never holds
 * both.
 *
 * Invariant (filemap_check, swapfile_check): an index of a shmem file holds
 * a page or a swap entry, never both, below the end of the file; f->swapped
 * counts the entries, poisoned ones included (Linux's info->swapped drops
 * those; here the count stays, because the page cache's lookups test
 * f->swapped before i_swap and must still find them); each entry but a
 * poisoned one holds one count of its slot, so a slot's count is the PTEs
 * plus the shmem index entries that hold it.
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

/* make_poisoned_swp_entry(), is_poisoned_swp_entry(): mm/include/swap.h. */

/* NR_FILE_PAGES and NR_SHMEM follow the resident pages of shmem files. */
static void account_shmem_page(struct page *page, long n)
{
	pg_data_t *pgdat = NODE_DATA_M(page_machine(page), page_to_nid(page));

	mod_node_page_state(pgdat, NR_FILE_PAGES, n);
	mod_node_page_state(pgdat, NR_SHMEM, n);
}

/*
 * shmem_add_to_page_cache()'s swap half: @page, in the swap cache with
 * @entry, takes the entry's place at @idx of @f again (the page cache's
 * reference taken, the index entry's slot count dropped).
 * Return: 0; -EAGAIN when @idx no longer holds @entry alone (truncated,
 * or already back); -ENOMEM when the index has no room.
 * Context: @page locked.
 */
static int shmem_page_back(struct kmm_file *f, unsigned long idx, struct page *page, swp_entry_t entry)
{
	int err = -EAGAIN;

	spin_lock(&f->i_pages_lock);
	if (PageSwapCache(page) && page->private == entry.val &&
	    xa_load(&f->i_swap, idx) == swp_to_radix(entry) && !xa_load(&f->i_pages, idx))
		err = xa_store(&f->i_pages, idx, page) ? -ENOMEM : 0;
	if (!err) {
		xa_erase(&f->i_swap, idx);
		f->swapped--;
		f->nrpages++;
		page->mapping = f;
		page->index = idx;
		get_page(page);		/* the page cache's */
	}
	spin_unlock(&f->i_pages_lock);
	if (!err) {
		account_shmem_page(page, 1);
		swap_free(f->m, entry);		/* the index entry's count */
	}
	return err;
}

/* ---- Walking the swap entries of a range ---- */

#define SWAP_BATCH	32

/*
 * The swap entries of a shmem file at indexes [next, end], in index order,
 * a batch at a time: each batch is found under one hold of i_pages_lock and
 * used with the lock dropped (no swap lock is taken under it).
 */
struct swap_range {
	struct kmm_file *f;
	unsigned long next, end;	/* still to look at */
	bool done;
	unsigned int nr;		/* entries in the batch */
	unsigned long idx[SWAP_BATCH];
	swp_entry_t entry[SWAP_BATCH];
};

static void swap_range_init(struct swap_range *r, struct kmm_file *f, unsigned long start,
			    unsigned long end)
{
	r->f = f;
	r->next = start;
	r->end = end;
	r->done = start > end;
	r->nr = 0;
}

/*
 * The next batch of @r, taken out of the index (f->swapped follows) when
 * @take: the caller then owns each entry's slot count.
 * Return: the entries in the batch; 0 when the walk is over.
 */
static unsigned int swap_range_next(struct swap_range *r, bool take)
{
	struct kmm_file *f = r->f;

	r->nr = 0;
	spin_lock(&f->i_pages_lock);
	while (!r->done && r->nr < SWAP_BATCH) {
		void *v = f->swapped ? xa_find(&f->i_swap, &r->next, r->end, XA_PRESENT) : NULL;

		if (!v) {
			r->done = true;
			break;
		}
		r->idx[r->nr] = r->next;
		r->entry[r->nr++] = radix_to_swp(v);
		if (take) {
			xa_erase(&f->i_swap, r->next);
			f->swapped--;
		}
		if (r->next == r->end || r->next == ~0UL)
			r->done = true;
		else
			r->next++;
	}
	spin_unlock(&f->i_pages_lock);
	return r->nr;
}

/* ---- Swap-out ---- */

int shmem_writeout(struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	struct kmm_file *f;
	unsigned long idx;
	swp_entry_t entry;
	int err;

	f = page->mapping;	/* stable: the caller holds the page lock */
	idx = page->index;
	/* is_page_cache_freeable(): only the cache and the isolation hold it */
	if (!f || !f->shmem || page_mapcount(page) > 0 || page_ref_count(page) != 2)
		return -EAGAIN;
	if (!add_to_swap(page))
		return -ENOSPC;		/* no swap: back to the active list */
	entry = page_swap_entry(page);
	/* swap_shmem_alloc(): the index entry holds the slot */
	err = swap_duplicate(m, entry) ? -ENOSPC : 0;
	if (err)
		goto out_uncache;
	spin_lock(&f->i_pages_lock);
	if (page->mapping != f || xa_load(&f->i_pages, idx) != page ||
	    xa_store(&f->i_swap, idx, swp_to_radix(entry))) {
		spin_unlock(&f->i_pages_lock);
		swap_free(m, entry);
		err = -EAGAIN;
		goto out_uncache;
	}
	/* shmem_delete_from_page_cache(): the swap entry takes the page's place */
	xa_erase(&f->i_pages, idx);
	f->nrpages--;
	f->swapped++;
	__atomic_store_n(&page->mapping, NULL, __ATOMIC_RELAXED);	/* PageAnon() reads it racily */
	spin_unlock(&f->i_pages_lock);
	account_shmem_page(page, -1);
	page_flag_clear(page, PG_readahead);
	put_user_page_ref(page);		/* the page cache's: the swap cache holds its own */
	err = swap_writepage(page);
	if (!err)
		return 0;
	/*
	 * The write failed: the page goes back to its index - unless
	 * truncation took the index meanwhile. Then it just leaves the swap
	 * cache with no mapping: reclaim puts it back on its list and drops
	 * the isolation reference, its last, which frees it there.
	 */
	shmem_page_back(f, idx, page, entry);
out_uncache:
	delete_from_swap_cache(page);
	page_flag_set(page, PG_dirty);		/* the only copy is in RAM */
	return err;
}

/* ---- Swap-in ---- */

/*
 * shmem_set_folio_swapin_error(): the page of @entry at @idx of @f could
 * not be read from swap (the reader has taken it out of the swap cache):
 * the index holds the poisoned entry instead, so that every later lookup
 * of it fails with -EIO without reading again, and the slot's count that
 * the index held is dropped, freeing the slot. f->swapped still counts the
 * index (see the file's header). Return: false when @idx no longer holds
 * @entry (truncated or read back meanwhile: look again).
 */
static bool shmem_set_swapin_error(struct kmm_file *f, unsigned long idx, swp_entry_t entry)
{
	bool mine;

	spin_lock(&f->i_pages_lock);
	mine = xa_load(&f->i_swap, idx) == swp_to_radix(entry);
	/* (replacing an entry that is there allocates nothing: it cannot fail) */
	if (mine && xa_store(&f->i_swap, idx, swp_to_radix(poisoned_swp_entry())))
		mine = false;
	spin_unlock(&f->i_pages_lock);
	if (mine)
		swap_free(f->m, entry);
	return mine;
}

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
		if (*err == -EIO)	/* the read failed */
			ok = shmem_set_swapin_error(f, idx, entry);
		else {
			spin_lock(&f->i_pages_lock);
			ok = xa_load(&f->i_swap, idx) == swp_to_radix(entry);
			spin_unlock(&f->i_pages_lock);
		}
		if (!ok)
			*err = -EAGAIN;		/* else -EIO or -ENOMEM */
		return NULL;
	}
	swapin_lock_page(m, page, entry);	/* another thread may still be reading it */
	if (!page_flag_test(page, PG_uptodate)) {
		unlock_page(page);	/* the read we waited for failed */
		put_user_page_ref(page);
		*err = shmem_set_swapin_error(f, idx, entry) ? -EIO : -EAGAIN;
		return NULL;
	}
	folio_wait_writeback(page);	/* shmem_swapin_folio(): its swap-out must end first */
	*err = shmem_page_back(f, idx, page, entry);
	if (*err) {
		unlock_page(page);
		put_user_page_ref(page);
		return NULL;
	}
	delete_from_swap_cache(page);
	folio_mark_dirty(page);		/* its copy on swap goes: RAM holds the only one */
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
		if (is_poisoned_swp_entry(radix_to_swp(v))) {
			*err = -EIO;	/* shmem_swapin_folio(): its read failed before */
			return NULL;
		}
		page = shmem_swapin(f, idx, radix_to_swp(v), major, err);
		if (page || *err != -EAGAIN)
			return page;
		*err = 0;
	}
}

void shmem_swapin_range(struct kmm_file *f, unsigned long start, unsigned long end)
{
	struct kmm_machine *m = f->m;
	struct swap_range r;

	if (!f->shmem || !pressure_of(m))
		return;
	swap_range_init(&r, f, start, end);
	while (swap_range_next(&r, false))
		for (unsigned int i = 0; i < r.nr; i++)
			if (!is_poisoned_swp_entry(r.entry[i]))
				swap_cache_prefetch(m, r.entry[i], procs_of(m)->user_gfp | __GFP_NOWARN);
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
	struct swap_range r;
	unsigned long freed = 0;

	swap_range_init(&r, f, start, end);
	while (swap_range_next(&r, true)) {
		for (unsigned int i = 0; i < r.nr; i++)
			if (!is_poisoned_swp_entry(r.entry[i]))	/* (a poisoned one holds no slot) */
				shmem_free_swap(f->m, r.entry[i]);
		freed += r.nr;
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
	struct swap_range r;

	if (!f->shmem)
		return 0;
	swap_range_init(&r, f, 0, ~0UL);
	while (swap_range_next(&r, false)) {
		for (unsigned int i = 0; i < r.nr; i++) {
			struct page *page;
			bool major = false;
			int err;

			if (swp_type(r.entry[i]) != a->type)
				continue;
			page = shmem_get_swapped(f, r.idx[i], &major, &err);
			if (page)
				put_user_page_ref(page);
			else if (err == -ENOMEM)
				return a->err = err;
			/* -EIO: the index is poisoned now, its slot free (shmem_unuse goes on) */
		}
	}
	return 0;
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
	struct swap_range r;
	unsigned long n = 0, nr;

	if (!f || !f->shmem)
		return 0;
	swap_range_init(&r, f, start, end);
	while ((nr = swap_range_next(&r, false)) != 0)
		for (unsigned int i = 0; i < nr; i++)
			n += !is_poisoned_swp_entry(r.entry[i]);	/* not on swap */
	return n;
}

bool shmem_next_swapped(struct kmm_file *f, unsigned long *idx, unsigned long end)
{
	bool found;

	if (!f || !f->shmem || *idx > end)
		return false;
	spin_lock(&f->i_pages_lock);
	for (;;) {
		void *v = f->swapped ? xa_find(&f->i_swap, idx, end, XA_PRESENT) : NULL;
		found = v && !is_poisoned_swp_entry(radix_to_swp(v));
		if (found || !v || *idx == end || *idx == ~0UL)
			break;
		++*idx;		/* a poisoned index is not on swap */
	}
	spin_unlock(&f->i_pages_lock);
	return found;
}

/* filemap_get_incore_folio(): a swapped page still in the swap cache is in core. */
static bool in_swap_cache(struct kmm_machine *m, swp_entry_t entry)
{
	struct page *page = pressure_of(m) ? swap_cache_get(m, entry) : NULL;

	if (page)
		put_user_page_ref(page);
	return page != NULL;
}

bool shmem_incore(struct kmm_file *f, unsigned long idx)
{
	void *v;

	if (!f->shmem)
		return false;
	spin_lock(&f->i_pages_lock);
	v = f->swapped ? xa_load(&f->i_swap, idx) : NULL;
	spin_unlock(&f->i_pages_lock);
	return v && !is_poisoned_swp_entry(radix_to_swp(v)) && in_swap_cache(f->m, radix_to_swp(v));
}

unsigned long shmem_fincore(struct kmm_file *f, unsigned char *vec, unsigned long n)
{
	struct swap_range r;
	unsigned long found = 0;

	if (!f->shmem || !n)
		return 0;
	swap_range_init(&r, f, 0, n - 1);
	while (swap_range_next(&r, false))
		for (unsigned int i = 0; i < r.nr; i++)
			if (!vec[r.idx[i]] && !is_poisoned_swp_entry(r.entry[i]) &&
			    in_swap_cache(f->m, r.entry[i])) {
				vec[r.idx[i]] = 1;
				found++;
			}
	return found;
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
		if (is_poisoned_swp_entry(radix_to_swp(v)))
			continue;	/* on no swap area */
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
