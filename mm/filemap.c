// SPDX-License-Identifier: MIT
/*
 * mm/filemap.c - the page cache: each file's pages in an xarray by page
 * index, filled by reads and faults, dirtied by writes, emptied by
 * truncation, reclaim and drop_caches; the layer's entry ("filemap") and
 * its checker.
 *
 * Linux counterpart: mm/filemap.c (filemap_add_folio, __filemap_get_folio,
 * filemap_read, filemap_fault, __filemap_remove_folio), mm/truncate.c
 * (truncate_inode_pages_range, truncate_setsize, invalidate_mapping_pages,
 * truncate_pagecache's unmap_mapping_range), fs/drop_caches.c,
 * mm/shmem.c's page allocation (shmem pages: swap-backed, zero-filled).
 * Kept: PG_uptodate/dirty/locked and the DIRTY tag, NR_FILE_PAGES, NR_SHMEM,
 * folio_mark_accessed on read() hits and fills (once per page per read),
 * the readahead window (mm/readahead.c) on read() misses and PG_readahead
 * hits, SIGBUS past the end of the file, unmapping before truncation,
 * drop_caches dropping clean unmapped pages only.
 * Kept too, the fault path: filemap_fault's major fault on a miss with mmap
 * read-around (do_sync_mmap_readahead: VM_SEQ_READ, VM_RAND_READ, mmap_miss
 * and MMAP_LOTSAMISS), the next window from a PG_readahead hit
 * (do_async_mmap_readahead), and fault-around (filemap_map_pages).
 * Simplified: a page is read before it enters the cache (no !uptodate page
 * is ever visible, so nobody waits on one), and enters it only if no page
 * of the file was written to the backing store since its read began
 * (kmm_file.write_seq: else it may be older than the store, which Linux's
 * locked !uptodate page in the slot excludes); single pages, no large folios;
 * a file's mappings share one fault window (kmm_file.f_ra); reclaim's shadow
 * entries (mm/workingset.c) live in an xarray of their own beside the
 * pages (f->i_shadows), dropped with them by truncation and invalidation;
 * a shmem page swapped out by reclaim leaves its swap entry in a third
 * xarray (f->i_swap, mm/shmem.c), and every lookup of its index reads it
 * back (find_get_page_swap).
 *
 * Invariant (filemap_check): for every file, the xarray holds nrpages pages,
 * each with ->mapping the file, ->index its slot, PG_uptodate, and at least
 * the cache's reference plus its mappings; PG_dirty <=> the DIRTY tag; the
 * dirty pages of all files sum to NR_FILE_DIRTY; a shmem file's swap
 * entries (f->swapped of them) sit at indexes with no page, below the end;
 * no page lies wholly past
 * the end of its file; a present writable PTE of a shared mapping of a file
 * with a backing store maps a dirty page (write-notify keeps it so);
 * PG_writeback <=> the WRITEBACK tag, only with a backing store, and every
 * such page is in the machine's queue of writes in flight, which holds
 * exactly NR_WRITEBACK pages, each once (writeback_check).
 *
 * Locking: see mm/include/filemap.h. Every entry from a system call runs
 * inside procs_enter() (the file syscalls in fs/ bracket themselves), so
 * the checkers, which stop that world, never see a transient reference.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/kmm/vmalloc.h"
#include "mm/include/slab.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"
#include "mm/pagecache.h"

/* ---- Page locks ---- */

bool trylock_page(struct page *page)
{
	return !(__atomic_fetch_or(&page->flags, 1UL << PG_locked, __ATOMIC_ACQUIRE) &
		 (1UL << PG_locked));
}

void lock_page(struct page *page)
{
	while (!trylock_page(page))
		sched_yield();
}

void unlock_page(struct page *page)
{
	__atomic_fetch_and(&page->flags, ~(1UL << PG_locked), __ATOMIC_RELEASE);
}

/* ---- Accounting ---- */

static pg_data_t *pgdat_of(struct page *page)
{
	return NODE_DATA_M(page_machine(page), page_to_nid(page));
}

static void account_cache_page(struct kmm_file *f, struct page *page, long n)
{
	mod_node_page_state(pgdat_of(page), NR_FILE_PAGES, n);
	if (f->shmem)
		mod_node_page_state(pgdat_of(page), NR_SHMEM, n);
}

/* The page is leaving the cache dirty (truncation, unlink): it will never be written. */
static void cancel_dirty_page(struct kmm_file *f, struct page *page)
{
	if (!page_flag_test(page, PG_dirty))
		return;
	page_flag_clear(page, PG_dirty);
	if (!f->shmem)
		mod_node_page_state(pgdat_of(page), NR_FILE_DIRTY, -1);
}

/* ---- Files ---- */

void mapping_init(struct kmm_machine *m, struct kmm_file *f)
{
	f->m = m;
	spin_lock_init(&f->i_pages_lock);
	xa_init(&f->i_pages);
	xa_init(&f->i_shadows);
	xa_init(&f->i_swap);
	f->i_shadows.update = workingset_update_node;	/* its leaves are the workingset's shadow nodes */
	sim_rwlock_init(&f->i_rwsem);
	sim_rwlock_init(&f->invalidate_lock);
	INIT_LIST_HEAD(&f->files_node);
	spin_lock_init(&f->ra_lock);
	file_ra_state_init(m, &f->f_ra);
	filemap_register(m, f);
}

void filemap_register(struct kmm_machine *m, struct kmm_file *f)
{
	struct pagecache_state *st = pagecache_of(m);

	if (!st)
		return;
	spin_lock(&st->files_lock);
	if (list_empty(&f->files_node))
		list_add_tail(&f->files_node, &st->files);
	spin_unlock(&st->files_lock);
}

void filemap_unregister(struct kmm_machine *m, struct kmm_file *f)
{
	struct pagecache_state *st = pagecache_of(m);

	if (!st)
		return;
	spin_lock(&st->files_lock);
	if (!list_empty(&f->files_node)) {
		list_del(&f->files_node);
		INIT_LIST_HEAD(&f->files_node);
	}
	spin_unlock(&st->files_lock);
}

/*
 * Walk the list with a reference on each file across @fn (files_lock is
 * dropped meanwhile): a file whose last reference is going (refcount 0) is
 * skipped; the next one is found again from the list, so a file leaving
 * during @fn does not break the walk.
 */
int filemap_for_each_file(struct kmm_machine *m, int (*fn)(struct kmm_file *f, void *arg), void *arg)
{
	struct pagecache_state *st = pagecache_of(m);
	size_t n = 0, cap = 0;
	struct kmm_file **v = NULL;
	struct list_head *pos;
	int ret = 0;

	if (!st)
		return 0;
	spin_lock(&st->files_lock);
	list_for_each(pos, &st->files) {
		struct kmm_file *f = list_entry(pos, struct kmm_file, files_node);
		int r = atomic_load(&f->refcount);
		/* take a reference unless the file is already going */
		while (r > 0 && !atomic_compare_exchange_weak(&f->refcount, &r, r + 1))
			;
		if (r <= 0)
			continue;
		if (n == cap) {
			void *q = realloc(v, (cap = cap ? 2 * cap : 32) * sizeof(*v));
			if (!q) {
				atomic_fetch_sub(&f->refcount, 1);
				ret = -ENOMEM;
				break;
			}
			v = q;
		}
		v[n++] = f;
	}
	spin_unlock(&st->files_lock);
	for (size_t i = 0; i < n; i++) {
		if (!ret)
			ret = fn(v[i], arg);
		kmm_file_put(m, v[i]);
	}
	free(v);
	return ret;
}

struct kmm_file *filemap_find_image(struct kmm_machine *m, const char *path, uint64_t size)
{
	struct pagecache_state *st = pagecache_of(m);
	struct kmm_file *found = NULL;
	struct list_head *pos;

	if (!st)
		return NULL;
	spin_lock(&st->files_lock);
	list_for_each(pos, &st->files) {
		struct kmm_file *f = list_entry(pos, struct kmm_file, files_node);
		int r = atomic_load(&f->refcount);
		/* a_ops may be set just after a file is listed (kmmfs_iget): read it atomically */
		if (__atomic_load_n(&f->a_ops, __ATOMIC_ACQUIRE) || f->shmem || i_size_read(f) != size ||
		    strcmp(f->path, path))
			continue;
		while (r > 0 && !atomic_compare_exchange_weak(&f->refcount, &r, r + 1))
			;
		if (r > 0) {
			found = f;
			break;
		}
	}
	spin_unlock(&st->files_lock);
	return found;
}

/* ---- Lookup and insertion ---- */

/*
 * The cached page at @idx with a reference, or NULL; a swapped-out shmem
 * page is read back first (mm/shmem.c): NULL with *@err when that failed,
 * *@major when it was read from swap.
 */
static struct page *find_get_page_swap(struct kmm_file *f, unsigned long idx, bool *major, int *err)
{
	struct page *page;
	bool swapped;

	*err = 0;
	spin_lock(&f->i_pages_lock);
	page = xa_load(&f->i_pages, idx);
	if (page)
		get_page(page);
	swapped = !page && f->swapped && xa_load(&f->i_swap, idx);
	spin_unlock(&f->i_pages_lock);
	if (swapped)
		page = shmem_get_swapped(f, idx, major, err);
	return page;
}

/* find_get_page(): the cached page at @idx with a reference (swapped in if need be), or NULL. */
static struct page *find_get_page(struct kmm_file *f, unsigned long idx)
{
	bool major = false;
	int err;

	return find_get_page_swap(f, idx, &major, &err);
}

uint64_t image_seed(const char *path)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 0x100000001b3ull;
	return h;
}

void image_pattern(uint64_t seed, unsigned long idx, void *buf)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull ^ (idx + 1) * 0xbf58476d1ce4e5b9ull;

	for (size_t i = 0; i < PAGE_SIZE; i += 8) {
		x ^= x >> 31;
		x *= 0x94d049bb133111ebull;
		memcpy((char *)buf + i, &x, 8);
	}
}

/* Deterministic content of a synthetic program image page (a file with no a_ops). */
static void fill_image_page(struct kmm_file *f, unsigned long idx, struct page *page)
{
	unsigned char buf[PAGE_SIZE];

	image_pattern(image_seed(f->path), idx, buf);
	memcpy_to_page(page, 0, (const char *)buf, PAGE_SIZE);
}

/*
 * A new page for @idx, filled: from the backing store (a_ops), the image
 * pattern, or zeros (shmem, or a hole being written). *@major is set when
 * the backing store was read. Return: the page (one reference, not in the
 * cache yet), or NULL with *@err.
 */
struct page *filemap_read_new_page(struct kmm_file *f, unsigned long idx, bool zero, bool *major,
				   int *err)
{
	struct kmm_machine *m = f->m;
	struct page *page = kmm_alloc_pages(m, procs_of(m)->user_gfp, 0, -1);

	if (!page) {
		*err = -ENOMEM;
		return NULL;
	}
	page->index = idx;
	if (f->shmem) {
		clear_highpage(page);
		page_flag_set(page, PG_swapbacked);
	} else if (zero) {
		clear_highpage(page);
	} else if (!f->a_ops) {
		fill_image_page(f, idx, page);
		*major = true;
	} else {
		lock_page(page);
		*err = f->a_ops->read_folio(f, page);
		unlock_page(page);
		if (*err) {
			page->index = 0;
			__free_pages(page, 0);
			return NULL;
		}
		*major = true;
		count_vm_events(m, PGPGIN, PAGE_SIZE / 512);
	}
	page_flag_set(page, PG_uptodate);
	return page;
}

struct page *filemap_fill_new_page(struct kmm_file *f, unsigned long idx, const void *src, int *err)
{
	struct kmm_machine *m = f->m;
	struct page *page = kmm_alloc_pages(m, procs_of(m)->user_gfp, 0, -1);

	if (!page) {
		*err = -ENOMEM;
		return NULL;
	}
	page->index = idx;
	memcpy_to_page(page, 0, src, PAGE_SIZE);
	count_vm_events(m, PGPGIN, PAGE_SIZE / 512);
	page_flag_set(page, PG_uptodate);
	return page;
}

/*
 * filemap_add_folio(): put @page (filled, its only reference ours) at @idx.
 * The cache takes a reference of its own; ours goes back to the caller
 * when @get, and is dropped here otherwise - but only once the page is on
 * its way to the LRU: from the moment the slot is unlocked a truncation or
 * a DONTNEED may empty it and drop the cache's reference, and a page whose
 * last reference went must not be put on an LRU list afterwards
 * (isolation's try-get would meet it there, freed or someone else's).
 * With @seq (the page was filled from the backing store, read when the
 * file's write_seq was *@seq): if a page of the file has been written to
 * the store since, ours may hold bytes older than the store's and is not
 * added. The test is under i_pages_lock, and a page is removed from the
 * cache under it only after its write's write_seq increment: so either the
 * page that was written is still in the slot (-EEXIST) or the increment
 * is seen here (-EAGAIN).
 * Return: 0, -EEXIST (someone else's page is there: ours is untouched),
 * -EAGAIN (with @seq: stale, ours is untouched) or -ENOMEM.
 */
static int add_folio(struct kmm_file *f, struct page *page, unsigned long idx, bool get,
		     const unsigned long *seq)
{
	void *shadow = NULL;
	int err;

	page->mapping = f;
	page->index = idx;
	spin_lock(&f->i_pages_lock);
	if (xa_load(&f->i_pages, idx) || (f->swapped && xa_load(&f->i_swap, idx))) {
		err = -EEXIST;	/* a page, or a shmem page on swap (it must be read back) */
	} else if (seq && *seq != filemap_write_seq(f)) {
		err = -EAGAIN;	/* the store changed under our read: read it again */
	} else if ((err = xa_store(&f->i_pages, idx, page)) == 0) {
		f->nrpages++;
		shadow = xa_erase(&f->i_shadows, idx);	/* the page replaces its shadow */
		get_page(page);		/* the cache's (ours stays ours until below) */
	}
	spin_unlock(&f->i_pages_lock);
	if (err) {
		page->mapping = NULL;
		return err;
	}
	if (shadow)
		workingset_refault(page, (unsigned long)shadow);	/* may set PG_active: before the LRU */
	account_cache_page(f, page, 1);
	folio_add_lru(page);		/* file list, or anon for shmem (swap-backed) */
	if (!get)
		put_user_page_ref(page);	/* ours: the last if the slot was emptied meanwhile */
	return 0;
}

int filemap_add_folio(struct kmm_file *f, struct page *page, unsigned long idx, bool get)
{
	return add_folio(f, page, idx, get, NULL);
}

int filemap_add_read_folio(struct kmm_file *f, struct page *page, unsigned long idx, bool get,
			   unsigned long seq)
{
	return add_folio(f, page, idx, get, &seq);
}

/* Free a filled page that never entered the cache. */
void filemap_discard_new_page(struct page *page)
{
	page->mapping = NULL;
	page->index = 0;
	page_flag_clear(page, PG_swapbacked);
	page_flag_clear(page, PG_uptodate);
	__free_pages(page, 0);
}

/*
 * __filemap_get_folio(FGP_CREAT): the page at @idx with a reference, read
 * in (or zero-filled when @zero) on a miss. *@major as alloc_filled_page.
 */
static struct page *filemap_get_or_read(struct kmm_file *f, unsigned long idx, bool zero, bool *major,
					int *err)
{
	for (;;) {
		struct page *page = find_get_page_swap(f, idx, major, err);
		unsigned long seq;

		if (page || *err)
			return page;
		seq = filemap_write_seq(f);	/* before the read: see add_folio() */
		page = filemap_read_new_page(f, idx, zero, major, err);
		if (!page)
			return NULL;
		*err = filemap_add_read_folio(f, page, idx, true, seq);
		if (!*err)
			return page;
		filemap_discard_new_page(page);
		if (*err != -EEXIST && *err != -EAGAIN)
			return NULL;
		*major = false;		/* lost the race: use theirs, or read again */
	}
}

/* ---- The fault path ---- */

/* MMAP_LOTSAMISS: past this many misses (less pages mapped around), faults read no more around. */
#define MMAP_LOTSAMISS	100

int filemap_fault_around_bytes(struct kmm_machine *m)
{
	const struct pagecache_state *st = pagecache_of(m);

	return st ? (int)(__atomic_load_n(&st->fault_around_pages, __ATOMIC_RELAXED) << PAGE_SHIFT) : -ENOENT;
}

int filemap_set_fault_around_bytes(struct kmm_machine *m, uint64_t bytes)
{
	struct pagecache_state *st = pagecache_of(m);
	const struct pgtable_geometry *g = pgtable_geometry_of(m);
	unsigned long pages;

	if (!st)
		return -ENOENT;
	/* fault_around_bytes_set(): at most one page table's worth, at least a page, a power of two */
	if (bytes / PAGE_SIZE > (1UL << g->bits[PGT_PTE]))
		return -EINVAL;
	pages = (unsigned long)KMM_MAX(bytes, (uint64_t)PAGE_SIZE) >> PAGE_SHIFT;
	pages = 1UL << fls_ul(pages) >> 1;	/* rounddown_pow_of_two */
	__atomic_store_n(&st->fault_around_pages, pages, __ATOMIC_RELAXED);
	return 0;
}

unsigned long fault_around_pages(struct kmm_machine *m)
{
	const struct pagecache_state *st = pagecache_of(m);

	return st ? __atomic_load_n(&st->fault_around_pages, __ATOMIC_RELAXED) : 1;
}

/*
 * The first cached page of @f in [*@idx, @end], with a reference (put it
 * with put_user_page_ref()); *@idx is moved to its index. NULL if none.
 */
static struct page *find_get_next_page(struct kmm_file *f, unsigned long *idx, unsigned long end)
{
	struct page *page;

	spin_lock(&f->i_pages_lock);
	page = xa_find(&f->i_pages, idx, end, XA_PRESENT);
	if (page)
		get_page(page);
	spin_unlock(&f->i_pages_lock);
	return page;
}

/*
 * next_uptodate_folio(): the next cached page of @f in [*@idx, @end] that
 * fault-around may map, with a reference and PG_locked: pages being read
 * ahead from (PG_readahead, so that touching them still starts the next
 * window), locked by someone else, or past the end of the file are skipped.
 */
static struct page *next_uptodate_page(struct kmm_file *f, unsigned long *idx, unsigned long end)
{
	while (*idx <= end) {
		struct page *page = find_get_next_page(f, idx, end);

		if (!page)
			return NULL;
		if (page_flag_test(page, PG_uptodate) && !page_flag_test(page, PG_readahead) &&
		    trylock_page(page)) {
			if (page->mapping == f && page->index == *idx &&
			    *idx < DIV_ROUND_UP(i_size_read(f), PAGE_SIZE))
				return page;
			unlock_page(page);
		}
		put_user_page_ref(page);
		if (*idx == end)
			break;
		(*idx)++;
	}
	return NULL;
}

unsigned int filemap_map_pages(struct vm_area_struct *vma, unsigned long fault_addr,
			       unsigned long start_pgoff, unsigned long end_pgoff)
{
	struct mm_struct *mm = vma->vm_mm;
	struct kmm_machine *m = mm->m;
	const struct pgtable_geometry *g = mm->pgt.geo;
	struct kmm_file *f = vma->vm_file;
	unsigned long idx = start_pgoff, mapped = 0, mmap_miss = 0;
	unsigned int ret = 0;
	struct page *page;

	while ((page = next_uptodate_page(f, &idx, end_pgoff)) != NULL) {
		unsigned long addr = vma->vm_start + ((idx - vma->vm_pgoff) << PAGE_SHIFT);
		spinlock_t *ptl;
		void *slot;

		/* filemap_map_order0_folio(): every page mapped around counts against the misses */
		if (!page_flag_test(page, PG_workingset))
			mmap_miss++;
		slot = pte_offset_map_lock(mm, addr, &ptl);
		if (slot && pte_none(pte_get(&mm->pgt, slot))) {
			/* set_pte_range(), and a reference of the mapping's own (folio_ref_inc) */
			get_page(page);
			folio_add_file_rmap_pte(page);
			add_mm_counter(mm, page_flag_test(page, PG_swapbacked) ? MM_SHMEMPAGES : MM_FILEPAGES, 1);
			pte_set(&mm->pgt, slot, pfn_pte_geo(g, page_to_pfn_m(m, page), vma->vm_page_prot));
			if (vma->vm_flags & VM_LOCKED)
				mlock_page(page);
			if (addr == fault_addr)
				ret = VM_FAULT_NOPAGE;
			mapped++;
		}
		if (slot)
			pte_unmap_unlock(ptl);
		unlock_page(page);
		put_user_page_ref(page);	/* the lookup's */
		if (idx == end_pgoff)
			break;
		idx++;
	}
	if (mapped)
		update_hiwater(mm);
	spin_lock(&f->ra_lock);
	f->f_ra.mmap_miss = mmap_miss >= f->f_ra.mmap_miss ? 0 : f->f_ra.mmap_miss - (unsigned int)mmap_miss;
	spin_unlock(&f->ra_lock);
	return ret;
}

/*
 * do_sync_mmap_readahead(): a fault missed the cache at @idx. VM_RAND_READ
 * reads nothing around; VM_SEQ_READ reads a window from @idx on; otherwise,
 * unless the file's faults miss much more than they hit, read around @idx:
 * ra_pages centred on it, the last quarter marked for the next window.
 */
static void do_sync_mmap_readahead(struct vm_area_struct *vma, struct kmm_file *f, unsigned long idx)
{
	struct file_ra_state ra;

	if (vma->vm_flags & VM_RAND_READ)
		return;
	spin_lock(&f->ra_lock);
	ra = f->f_ra;
	if (!ra.ra_pages) {
		spin_unlock(&f->ra_lock);
		return;
	}
	if (vma->vm_flags & VM_SEQ_READ) {
		spin_unlock(&f->ra_lock);
		page_cache_sync_ra(f, &ra, idx, ra.ra_pages);
		spin_lock(&f->ra_lock);
		f->f_ra.start = ra.start;
		f->f_ra.size = ra.size;
		f->f_ra.async_size = ra.async_size;
		spin_unlock(&f->ra_lock);
		return;
	}
	if (f->f_ra.mmap_miss < MMAP_LOTSAMISS * 10)
		f->f_ra.mmap_miss++;
	if (f->f_ra.mmap_miss > MMAP_LOTSAMISS) {
		spin_unlock(&f->ra_lock);
		return;
	}
	/* mmap read-around */
	ra.start = idx > ra.ra_pages / 2 ? idx - ra.ra_pages / 2 : 0;
	ra.size = ra.ra_pages;
	ra.async_size = ra.ra_pages / 4;
	f->f_ra.start = ra.start;
	f->f_ra.size = ra.size;
	f->f_ra.async_size = ra.async_size;
	spin_unlock(&f->ra_lock);
	ra_submit(f, &ra);
}

/* do_async_mmap_readahead(): a fault found @page cached; a PG_readahead page starts the next window. */
static void do_async_mmap_readahead(struct vm_area_struct *vma, struct kmm_file *f, struct page *page,
				    unsigned long idx)
{
	struct file_ra_state ra;

	if (vma->vm_flags & VM_RAND_READ)
		return;
	spin_lock(&f->ra_lock);
	if (!f->f_ra.ra_pages) {
		spin_unlock(&f->ra_lock);
		return;
	}
	if (f->f_ra.mmap_miss)
		f->f_ra.mmap_miss--;
	ra = f->f_ra;
	spin_unlock(&f->ra_lock);
	if (!page_flag_test(page, PG_readahead))
		return;
	page_cache_async_ra(f, &ra, page, idx, ra.ra_pages);
	spin_lock(&f->ra_lock);
	f->f_ra.start = ra.start;
	f->f_ra.size = ra.size;
	f->f_ra.async_size = ra.async_size;
	spin_unlock(&f->ra_lock);
}

struct page *filemap_fault(struct vm_area_struct *vma, unsigned long idx, unsigned int *ret)
{
	struct kmm_file *f = vma->vm_file;
	bool major = false, plain = vma->kind == VMA_PLAIN && !f->shmem;
	struct page *page;
	int err = 0;

	if ((uint64_t)idx >= DIV_ROUND_UP(i_size_read(f), PAGE_SIZE)) {
		*ret |= VM_FAULT_SIGBUS;	/* beyond the end of the file */
		return NULL;
	}
	page = find_get_page_swap(f, idx, &major, &err);
	if (major)
		*ret |= VM_FAULT_MAJOR;		/* shmem_fault(): read back from swap */
	if (!page && err) {
		*ret |= err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
		return NULL;
	}
	if (page) {
		if (plain)
			do_async_mmap_readahead(vma, f, page, idx);
		return page;
	}
	if (plain) {
		/* no page in the cache at all: a major fault, whatever readahead brings */
		*ret |= VM_FAULT_MAJOR;
		do_sync_mmap_readahead(vma, f, idx);
	}
	/*
	 * The page is read in and added under the invalidate lock, below the
	 * end as it is now: a truncation that has moved the end has emptied
	 * the cache past it too, and one that moves it later finds our page.
	 */
	sim_read_lock(&f->invalidate_lock);
	if ((uint64_t)idx >= DIV_ROUND_UP(i_size_read(f), PAGE_SIZE)) {
		sim_read_unlock(&f->invalidate_lock);
		*ret |= VM_FAULT_SIGBUS;
		return NULL;
	}
	page = filemap_get_or_read(f, idx, false, &major, &err);
	sim_read_unlock(&f->invalidate_lock);
	if (!page) {
		*ret |= err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
		return NULL;
	}
	return page;
}

/* ---- Removal ---- */

/*
 * __filemap_remove_folio(): take @page (locked by the caller) out of @f.
 * The cache's reference goes to the caller. When @reclaimed (reclaim evicts
 * it), a shadow entry takes its place (workingset_eviction).
 * Return: false if it was not there.
 */
static bool remove_page_locked(struct kmm_file *f, struct page *page, bool reclaimed, int refs)
{
	spin_lock(&f->i_pages_lock);
	/*
	 * @refs > 0: only while the count is exactly that, tested under the
	 * lock every lookup takes its reference under (Linux: folio_ref_freeze()
	 * in __remove_mapping()) - a fault that found the page meanwhile holds
	 * one more and is about to map it, which a page out of its file must
	 * not be (its reverse map goes through ->mapping).
	 */
	if (page->mapping != f || xa_load(&f->i_pages, page->index) != page ||
	    (refs > 0 && page_ref_count(page) != refs)) {
		spin_unlock(&f->i_pages_lock);
		return false;
	}
	xa_erase(&f->i_pages, page->index);
	if (reclaimed) {
		/* a shadow is odd (bit 0 set): never taken for a pointer */
		xa_store(&f->i_shadows, page->index, (void *)workingset_eviction(page));	/* no memory: none */
	}
	f->nrpages--;
	__atomic_store_n(&page->mapping, NULL, __ATOMIC_RELAXED);	/* PageAnon() reads it racily */
	spin_unlock(&f->i_pages_lock);
	account_cache_page(f, page, -1);
	page_flag_clear(page, PG_readahead);
	return true;
}

bool filemap_remove_mapping(struct page *page)
{
	struct kmm_file *f;
	bool ok = false;

	/* with the page locked (by reclaim), ->mapping cannot be cleared under us */
	f = __atomic_load_n((struct kmm_file **)&page->mapping, __ATOMIC_ACQUIRE);
	/*
	 * A clean shmem page was never written (zeros): it goes as a file page
	 * does, leaving no shadow (Linux's __remove_mapping: not a file-LRU page).
	 */
	if (f && !page_flag_test(page, PG_dirty) && !page_flag_test(page, PG_writeback) &&
	    page_ref_count(page) == 2 && page_mapcount(page) <= 0)
		ok = remove_page_locked(f, page, !f->shmem, 2);
	if (ok)
		put_user_page_ref(page);	/* the page cache's reference */
	return ok;
}

/*
 * Unmap every PTE of @page (it is going away with the truncated part of its
 * file), then wait for the accesses in flight through the flushed
 * translations (a kmm_access() copy of another process's thread) before the
 * caller drops the cache's reference and frees the frame. Truncation calls
 * it only for a page mapped again after unmap_range_of() (a fault that
 * raced it); one wait per page is then the price of the race.
 */
static void unmap_page_range_of(struct page *page)
{
	if (page_mapcount(page) > 0) {
		unmap_mapping_folio(page);
		if (procs_of(page_machine(page)))
			sim_mmu_shootdown_wait(procs_of(page_machine(page))->mmu);
	}
}

/*
 * Truncation's first step (Linux's truncate_pagecache(): unmap_mapping_range()
 * before truncate_inode_pages()): unmap every mapped page of [@start, @end]
 * of @f, each PTE flushed as it goes, then wait ONCE for the accesses in
 * flight through any of those translations. The page cache still holds each
 * page, so no frame can be freed before the wait; the caller drops the
 * cache's references after it. One shootdown wait per truncation instead of
 * one per mapped page: with the asymmetric access bracket (arch/sim/mmu.h)
 * each wait is a membarrier(2).
 */
static void unmap_range_of(struct kmm_file *f, unsigned long start, unsigned long end)
{
	struct kmm_machine *m = NULL;
	unsigned long idx = start;

	/*
	 * No VMA maps the file: nothing to unmap (the common truncation, of a
	 * file written with write()). A mapping made after this test maps its
	 * pages by faults, which the caller's second pass unmaps one by one.
	 */
	sim_read_lock(&f->i_mmap_lock);
	bool mapped = !list_empty(&f->i_mmap);
	sim_read_unlock(&f->i_mmap_lock);
	if (!mapped)
		return;
	for (;;) {
		struct page *page = find_get_next_page(f, &idx, end);

		if (!page)
			break;
		if (page_mapcount(page) > 0) {
			lock_page(page);
			if (page->mapping == f && page_mapcount(page) > 0) {
				unmap_mapping_folio(page);
				m = page_machine(page);
			}
			unlock_page(page);
		}
		put_user_page_ref(page);
		if (idx == end || idx == ~0UL)
			break;
		idx++;
	}
	if (m && procs_of(m))
		sim_mmu_shootdown_wait(procs_of(m)->mmu);
}

/*
 * Drop pages [@start, @end] of @f: unmap them, wait for their writeback,
 * cancel their dirt, take them out. With @only_clean, dirty, mapped, under
 * writeback or otherwise referenced pages stay (invalidate_mapping_pages).
 * Return: pages dropped.
 */
static unsigned long drop_range(struct kmm_file *f, unsigned long start, unsigned long end,
				bool only_clean)
{
	unsigned long idx = start, dropped = 0;

	/* the range's shadow entries go too (truncation; invalidation's clear_shadow_entries) */
	spin_lock(&f->i_pages_lock);
	for (unsigned long i = start; xa_find(&f->i_shadows, &i, end, XA_PRESENT);) {
		xa_erase(&f->i_shadows, i);
		if (i == end || i == ~0UL)
			break;
		i++;
	}
	spin_unlock(&f->i_pages_lock);
	/* shmem_undo_range(): truncation frees the range's pages on swap too */
	if (!only_clean && f->shmem)
		shmem_free_swap_range(f, start, end);
	if (!only_clean)
		unmap_range_of(f, start, end);

	for (;;) {
		struct page *page = find_get_next_page(f, &idx, end);

		if (!page)
			break;
		if (only_clean) {
			if (!trylock_page(page))
				goto next;
			if (page_flag_test(page, PG_dirty) || page_flag_test(page, PG_writeback) ||
			    page_mapcount(page) > 0 || page_ref_count(page) != 2) {
				unlock_page(page);
				goto next;
			}
		} else {
			lock_page(page);
			unmap_page_range_of(page);
			folio_wait_writeback(page);	/* truncate_inode_pages_range() waits */
		}
		if (page->mapping == f && remove_page_locked(f, page, false, only_clean ? 2 : 0)) {
			cancel_dirty_page(f, page);
			unlock_page(page);
			put_user_page_ref(page);	/* the cache's */
			dropped++;
		} else {
			unlock_page(page);
		}
next:
		put_user_page_ref(page);		/* ours */
		if (idx == end || idx == ~0UL)
			break;
		idx++;
	}
	return dropped;
}

void truncate_inode_pages_final(struct kmm_machine *m, struct kmm_file *f)
{
	filemap_unregister(m, f);
	if (f->nrpages || f->swapped) {
		int token = procs_enter(m);
		drop_range(f, 0, ~0UL, false);
		procs_exit(m, token);
	}
	xa_destroy(&f->i_pages);
	xa_destroy(&f->i_shadows);
	xa_destroy(&f->i_swap);
	if (f->a_ops && f->a_ops->release)
		f->a_ops->release(f);
}

void pagecache_isize_extended(struct kmm_file *f, uint64_t from, uint64_t to)
{
	static const char zeros[PAGE_SIZE];
	struct page *page;

	if (from >= to || !(from & (PAGE_SIZE - 1)))
		return;		/* no page straddles the old end */
	page = find_get_page(f, (unsigned long)(from >> PAGE_SHIFT));
	if (!page)
		return;		/* not cached: read_folio zeroes past the end */
	lock_page(page);
	if (page->mapping == f) {
		size_t off = (size_t)(from & (PAGE_SIZE - 1));
		size_t end = (size_t)KMM_MIN(to - (from & PAGE_MASK), (uint64_t)PAGE_SIZE);
		memcpy_to_page(page, off, zeros, end - off);
	}
	unlock_page(page);
	put_user_page_ref(page);
}

void truncate_setsize(struct kmm_file *f, uint64_t size)
{
	uint64_t old;
	unsigned long first = (unsigned long)DIV_ROUND_UP(size, PAGE_SIZE);

	/* no fault or readahead adds a page while the size moves and the cache past it empties */
	sim_write_lock(&f->invalidate_lock);
	old = i_size_read(f);
	i_size_write(f, size);
	if (size > old)
		pagecache_isize_extended(f, old, size);
	if (size < old) {
		/* truncate_pagecache(): faults past the new end now get SIGBUS */
		drop_range(f, first, ~0UL, false);
		/* ... and the private COW copies of those pages go too (even_cows) */
		unmap_mapping_range(f, first);
		if (size & (PAGE_SIZE - 1)) {
			/*
			 * The partial last page keeps its head; its tail reads as zeros, on
			 * disk too (block_truncate_page): read it in if it is not cached, so
			 * that a later extension of the file never shows the old bytes.
			 */
			bool major = false;
			int err = 0;
			struct page *page = filemap_get_or_read(f, (unsigned long)(size >> PAGE_SHIFT), false,
								&major, &err);
			if (page) {
				static const char zeros[PAGE_SIZE];
				size_t off = (size_t)(size & (PAGE_SIZE - 1));
				lock_page(page);
				memcpy_to_page(page, off, zeros, PAGE_SIZE - off);
				folio_mark_dirty(page);
				unlock_page(page);
				put_user_page_ref(page);
			}
		}
	}
	sim_write_unlock(&f->invalidate_lock);
}

unsigned long invalidate_mapping_pages(struct kmm_file *f, unsigned long start, unsigned long end)
{
	return drop_range(f, start, end, true);
}

static int drop_one(struct kmm_file *f, void *arg)
{
	*(unsigned long *)arg += invalidate_mapping_pages(f, 0, ~0UL);
	return 0;
}

unsigned long drop_pagecache(struct kmm_machine *m)
{
	unsigned long n = 0;
	int token = procs_enter(m);

	lru_add_drain_all(m);
	filemap_for_each_file(m, drop_one, &n);
	procs_exit(m, token);
	return n;
}

unsigned long filemap_fincore(struct kmm_file *f, unsigned char *vec, unsigned long n)
{
	unsigned long idx = 0, cached = 0;
	struct page *page;

	memset(vec, 0, n);
	if (!n)
		return 0;
	spin_lock(&f->i_pages_lock);
	while ((page = xa_find(&f->i_pages, &idx, n - 1, XA_PRESENT)) != NULL) {
		vec[idx] = 1 | (xa_get_mark(&f->i_pages, idx, PAGECACHE_TAG_DIRTY) ? 2 : 0);
		cached++;
		if (idx == n - 1)
			break;
		idx++;
	}
	spin_unlock(&f->i_pages_lock);
	/* a shmem page on swap is in core while the swap cache still has it (mincore's rule) */
	return cached + shmem_fincore(f, vec, n);
}

/* ---- read() and write() ---- */

ssize_t filemap_read(struct kmm_file *f, struct file_ra_state *ra, void *buf, size_t len, uint64_t pos)
{
	uint64_t isize = i_size_read(f);
	unsigned long last_idx, prev_idx = ~0UL;
	size_t done = 0;

	if (pos >= isize || !len)
		return 0;
	if (len > isize - pos)
		len = (size_t)(isize - pos);
	last_idx = (unsigned long)((pos + len - 1) >> PAGE_SHIFT);
	if (ra && ra->prev_pos != ~0ULL)
		prev_idx = (unsigned long)(ra->prev_pos >> PAGE_SHIFT);
	while (done < len) {
		uint64_t at = pos + done;
		unsigned long idx = (unsigned long)(at >> PAGE_SHIFT);
		size_t off = (size_t)(at & (PAGE_SIZE - 1));
		size_t n = KMM_MIN(PAGE_SIZE - off, len - done);
		bool major = false;
		int err = 0;
		struct page *page = find_get_page_swap(f, idx, &major, &err);

		if (!page && err)
			return done ? (ssize_t)done : err;	/* a shmem page swap could not give back */
		if (!page && ra && ra->ra_pages) {
			page_cache_sync_ra(f, ra, idx, last_idx - idx + 1);
			page = find_get_page(f, idx);
		} else if (page && ra && page_flag_test(page, PG_readahead)) {
			page_cache_async_ra(f, ra, page, idx, last_idx - idx + 1);
		}
		if (!page)
			page = filemap_get_or_read(f, idx, false, &major, &err);
		if (!page)
			return done ? (ssize_t)done : err;
		memcpy_from_page((char *)buf + done, page, off, n);
		/* filemap_read(): one access per page, not per read() of the same page */
		if (idx != prev_idx)
			folio_mark_accessed(page);
		prev_idx = idx;
		put_user_page_ref(page);
		done += n;
	}
	if (ra)
		ra->prev_pos = pos + done - 1;
	return (ssize_t)done;
}

ssize_t generic_perform_write(struct kmm_file *f, const void *buf, size_t len, uint64_t pos)
{
	size_t done = 0;

	while (done < len) {
		uint64_t at = pos + done, isize = i_size_read(f);
		unsigned long idx = (unsigned long)(at >> PAGE_SHIFT);
		size_t off = (size_t)(at & (PAGE_SIZE - 1));
		size_t n = KMM_MIN(PAGE_SIZE - off, len - done);
		/* write_begin: a page wholly overwritten, or past the old end, needs no read */
		bool whole = (off == 0 && n == PAGE_SIZE) ||
			     ((uint64_t)idx << PAGE_SHIFT) >= isize;
		bool major = false;
		int err = 0;
		struct page *page = filemap_get_or_read(f, idx, whole, &major, &err);

		if (!page)
			return done ? (ssize_t)done : err;
		lock_page(page);
		memcpy_to_page(page, off, (const char *)buf + done, n);
		folio_mark_dirty(page);
		folio_mark_accessed(page);
		unlock_page(page);
		put_user_page_ref(page);
		done += n;
		if (at + n > isize) {
			i_size_write(f, at + n);
			/* generic_write_end(): the gap between the old end and this write reads as zeros */
			if (isize < at)
				pagecache_isize_extended(f, isize, at);
		}
		balance_dirty_pages_ratelimited(f);
	}
	return (ssize_t)done;
}

/* ---- The checker ---- */

struct check_ctx {
	struct kmm_machine *m;
	long dirty;
	long writeback;
	unsigned long leaves;	/* leaf nodes of the files' i_shadows: the shadow nodes */
	int err;
};

static bool check_pte_dirty(struct page *page, struct vm_area_struct *vma, unsigned long addr,
			   void *ptep, void *arg)
{
	(void)addr;
	if (pte_write(pte_get(&vma->vm_mm->pgt, ptep)) && !page_flag_test(page, PG_dirty))
		*(int *)arg = 1;
	return true;
}

static int check_file(struct kmm_file *f, void *arg)
{
	struct check_ctx *c = arg;
	struct kmm_machine *m = c->m;
	unsigned long idx, n = 0, pages_in_size = (unsigned long)DIV_ROUND_UP(i_size_read(f), PAGE_SIZE);
	struct page *page;
	char why[160];

	spin_lock(&f->i_pages_lock);
	if (xa_check(&f->i_pages, why, sizeof(why))) {
		c->err = kmm_set_error(-EUCLEAN, "filemap: %s: %s", f->path, why);
		goto out;
	}
	xa_for_each(&f->i_pages, idx, page) {
		bool dirty = page_flag_test(page, PG_dirty);
		n++;
		if (page->mapping != f || page->index != idx) {
			c->err = kmm_set_error(-EUCLEAN, "filemap: %s page %lu (pfn %#lx) has mapping/index of "
					       "another place (index %lu)", f->path, idx,
					       page_to_pfn_m(m, page), page->index);
			goto out;
		}
		if (!page_flag_test(page, PG_uptodate)) {
			c->err = kmm_set_error(-EUCLEAN, "filemap: %s page %lu is cached but not uptodate",
					       f->path, idx);
			goto out;
		}
		if (page_ref_count(page) < 1 + KMM_MAX(page_mapcount(page), 0)) {
			c->err = kmm_set_error(-EUCLEAN, "filemap: %s page %lu has refcount %d, mapcount %d",
					       f->path, idx, page_ref_count(page), page_mapcount(page));
			goto out;
		}
		if (dirty != xa_get_mark(&f->i_pages, idx, PAGECACHE_TAG_DIRTY) && !f->shmem) {
			c->err = kmm_set_error(-EUCLEAN, "filemap: %s page %lu: PG_dirty %d but the DIRTY tag %d",
					       f->path, idx, dirty, !dirty);
			goto out;
		}
		if (page_flag_test(page, PG_locked)) {
			c->err = kmm_set_error(-EUCLEAN, "filemap: %s page %lu is locked with no operation running",
					       f->path, idx);
			goto out;
		}
		if (page_flag_test(page, PG_writeback) != xa_get_mark(&f->i_pages, idx, PAGECACHE_TAG_WRITEBACK) &&
		    !f->shmem) {
			c->err = kmm_set_error(-EUCLEAN, "filemap: %s page %lu: PG_writeback %d but the WRITEBACK tag %d",
					       f->path, idx, page_flag_test(page, PG_writeback),
					       !page_flag_test(page, PG_writeback));
			goto out;
		}
		if (page_flag_test(page, PG_writeback) && (f->shmem || !f->a_ops)) {
			c->err = kmm_set_error(-EUCLEAN, "filemap: %s page %lu is under writeback with no "
					       "backing store", f->path, idx);
			goto out;
		}
		c->writeback += page_flag_test(page, PG_writeback);
		if (idx >= pages_in_size) {
			c->err = kmm_set_error(-EUCLEAN, "filemap: %s page %lu lies past the end of the file "
					       "(%lu pages)", f->path, idx, pages_in_size);
			goto out;
		}
		if (dirty && !f->shmem)
			c->dirty++;
	}
	if (n != f->nrpages) {
		c->err = kmm_set_error(-EUCLEAN, "filemap: %s has nrpages %lu but %lu pages cached",
				       f->path, f->nrpages, n);
		goto out;
	}
	if (xa_check(&f->i_shadows, why, sizeof(why))) {
		c->err = kmm_set_error(-EUCLEAN, "filemap: %s's shadows: %s", f->path, why);
		goto out;
	}
	if (xa_check(&f->i_swap, why, sizeof(why))) {
		c->err = kmm_set_error(-EUCLEAN, "filemap: %s's swap entries: %s", f->path, why);
		goto out;
	}
	{
		void *entry;
		n = 0;
		xa_for_each(&f->i_swap, idx, entry) {
			n++;
			if (!f->shmem || !((uintptr_t)entry & 1) || xa_load(&f->i_pages, idx) ||
			    idx >= pages_in_size) {
				c->err = kmm_set_error(-EUCLEAN, "filemap: %s has a bad swap entry at %lu "
						       "(not shmem, not a value, beside a page, or past the end)",
						       f->path, idx);
				goto out;
			}
		}
		if (n != f->swapped) {
			c->err = kmm_set_error(-EUCLEAN, "filemap: %s has swapped %lu but %lu swap entries",
					       f->path, f->swapped, n);
			goto out;
		}
	}
	{
		void *shadow;
		unsigned long last_leaf = ~0UL;
		xa_for_each(&f->i_shadows, idx, shadow) {
			if (idx >> XA_CHUNK_SHIFT != last_leaf) {
				c->leaves++;
				last_leaf = idx >> XA_CHUNK_SHIFT;
			}
			if (!((uintptr_t)shadow & 1) || xa_load(&f->i_pages, idx) ||
			    idx >= pages_in_size) {
				c->err = kmm_set_error(-EUCLEAN, "filemap: %s has a bad shadow entry at %lu "
						       "(not a shadow, beside a page, or past the end)", f->path, idx);
				goto out;
			}
		}
	}
out:
	spin_unlock(&f->i_pages_lock);
	if (c->err)
		return c->err;
	/* write-notify: a writable shared PTE of a file with a backing store maps a dirty page */
	if (f->a_ops && !f->shmem) {
		xa_for_each(&f->i_pages, idx, page) {
			int bad = 0;
			if (page_mapcount(page) <= 0)
				continue;
			rmap_walk(page, check_pte_dirty, &bad);
			if (bad)
				return c->err = kmm_set_error(-EUCLEAN, "filemap: %s page %lu is mapped "
							      "writable but clean", f->path, idx);
		}
	}
	return 0;
}

static int filemap_check(struct kmm_machine *m)
{
	struct check_ctx c = { .m = m };
	long counted;
	int token;

	token = procs_stop(m);
	if (token == -EDEADLK)
		return 0;	/* called from inside an operation: the outer one checks */
	filemap_for_each_file(m, check_file, &c);
	if (!c.err)
		c.err = writeback_check(m, c.writeback);
	if (!c.err)
		c.err = workingset_shadow_check(m, c.leaves);
	/* read while the world is stopped: a fault after the resume dirties more */
	counted = (long)global_node_page_state(m, NR_FILE_DIRTY);
	procs_resume(m);
	if (c.err)
		return c.err;
	if (counted != c.dirty)
		return kmm_set_error(-EUCLEAN, "filemap: NR_FILE_DIRTY is %ld but %ld cached pages are dirty",
				     counted, c.dirty);
	return 0;
}

/* ---- The entry ---- */

/*
 * fs/drop_caches.c: 1 drops clean unmapped page-cache pages, 2 shrinks the
 * slab caches (drop_slab), 3 both; 4 only silences the message. Linux logs
 * "COMM (PID): drop_caches: N" once per writer (here: every write).
 */
int drop_caches_sysctl_handler(struct kmm_machine *m, const struct ctl_table *t, int *data,
			       const char *text, struct strbuf *sb)
{
	int v;

	if (!text) {
		(void)sb;
		return -EACCES;	/* mode 0200: write only */
	}
	if (proc_parse_int_range(text, t->extra1, t->extra2, &v))
		return -EINVAL;
	__atomic_store_n(data, v, __ATOMIC_RELAXED);
	if (v & 1)
		drop_pagecache(m);
	if (v & 2) {
		/* drop_slab(): shrink every node's caches until a round frees little */
		for (int nid = 0; nid < m->nr_node_ids; nid++)
			while (shrink_slab(m, GFP_KERNEL, nid, 0) >= 10)
				;
	}
	if (!(v & 4)) {
		struct task_struct *cur = current_task();
		kmm_printk(m, "%s (%d): drop_caches: %d", cur ? cur->comm : "kmm", cur ? cur->pid : 0, v);
	}
	return 0;
}

static int filemap_init(struct kmm_machine *m)
{
	struct pagecache_state *st = calloc(1, sizeof(*st));

	if (!st)
		return kmm_set_error(-ENOMEM, "filemap: out of memory for the page cache state");
	spin_lock_init(&st->files_lock);
	spin_lock_init(&st->wb_lock);
	INIT_LIST_HEAD(&st->files);
	st->fault_around_pages = 65536 / PAGE_SIZE;	/* fault_around_bytes: 64 KiB */
	writeback_state_init(st);
	m->subsys[SUBSYS_FILEMAP] = st;
	return workingset_shadow_init(m, st);
}

static void filemap_shutdown(struct kmm_machine *m)
{
	struct pagecache_state *st = pagecache_of(m);
	struct list_head *pos, *n;

	if (!st)
		return;
	writeback_state_exit(m, st);	/* every write in flight ends */
	workingset_shadow_shutdown(m, st);
	/* files still mapped by processes outlive the layer: take them off the list */
	spin_lock(&st->files_lock);
	list_for_each_safe(pos, n, &st->files) {
		list_del(pos);
		INIT_LIST_HEAD(pos);
	}
	spin_unlock(&st->files_lock);
	m->subsys[SUBSYS_FILEMAP] = NULL;
	free(st->ra_buf);
	free(st);
}

const struct kmm_subsys filemap_subsys = {
	.name = "filemap",
	.id = SUBSYS_FILEMAP,
	.init = filemap_init,
	.check = filemap_check,
	.shutdown = filemap_shutdown,
	.sysctls = writeback_sysctls,
};
