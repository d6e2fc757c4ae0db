// SPDX-License-Identifier: MIT
/*
 * mm/readahead.c - reading ahead of read(): a window per open file that
 * starts small and grows while the reads stay sequential.
 *
 * Linux counterpart: mm/readahead.c (6.12: page_cache_sync_ra,
 * page_cache_async_ra, get_init_ra_size, get_next_ra_size,
 * page_cache_ra_unbounded), include/linux/fs.h (file_ra_state).
 * Kept: the first window is get_init_ra_size(request, max) (4x a small
 * request rounded up to a power of two, 2x a middling one, else max); a
 * sequential miss (at page 0, or right after the previous read) starts a
 * window, a random one reads just the request; the page where the next
 * window should start gets PG_readahead, and a read that hits it moves the
 * window forward with get_next_ra_size (4x below max/16, 2x up to max/2,
 * then max); max is the device's read_ahead_kb (128 KiB: 32 pages;
 * /sys/block/kmmd0/queue/read_ahead_kb, proc/block.c), copied at open.
 * Simplified: windows are read synchronously (the "async" window is read
 * when its marker page is hit, before the read goes on); a window's run of
 * uncached pages is read from the backing store first, with one call where
 * the filesystem can (a_ops->read_ahead, Linux's ->readahead and its one
 * bio): into the run's pages, allocated first, when the allocator can give
 * them all on its fast path above the high mark; else into a buffer, and
 * only then are its pages allocated, filled and cached one by one, so that
 * reclaim under pressure sees the sequence a page-by-page read_folio gives
 * (Linux adds them locked first and reads into them; kmm's goldens of
 * reclaim during readahead keep the old order). Either way the pages are
 * cached after the read, not before (no !uptodate page in the cache),
 * each add refused if a page of the file was written to the store
 * since the read (the file's write_seq: a page made, written back and
 * reclaimed meanwhile would be left stale, which Linux's locked pages
 * exclude); no large folios
 * (order 0 only); no context readahead (page_cache_prev_miss) for
 * interleaved streams. Faults read ahead through mm/filemap.c
 * (do_sync_mmap_readahead, do_async_mmap_readahead); fadvise and madvise
 * WILLNEED and FMODE_RANDOM reads through force_page_cache_ra (at most
 * max(io_pages, ra_pages): io_pages is KMMD0_IO_PAGES, 4 MiB).
 *
 * Locking: none of its own; a file's ra state belongs to its open file (the
 * caller serialises reads of one open file). page_cache_ra_unbounded() adds
 * pages under the file's invalidate_lock held for reading (not nested: its
 * callers hold none), so it never adds one past an end truncation moved.
 */
#include <errno.h>
#include <stdlib.h>

#include "mm/include/addr.h"
#include "mm/include/swap.h"
#include "mm/internal.h"
#include "mm/pagecache.h"

int filemap_read_ahead_kb(struct kmm_machine *m)
{
	const struct pagecache_state *st = pagecache_of(m);

	return st ? __atomic_load_n(&st->read_ahead_kb, __ATOMIC_RELAXED) : -ENOENT;
}

int filemap_set_read_ahead_kb(struct kmm_machine *m, int kb)
{
	struct pagecache_state *st = pagecache_of(m);

	if (!st)
		return -ENOENT;
	__atomic_store_n(&st->read_ahead_kb, kb, __ATOMIC_RELAXED);
	return 0;
}

void file_ra_state_init(struct kmm_machine *m, struct file_ra_state *ra)
{
	const struct pagecache_state *st = pagecache_of(m);
	int kb = st ? __atomic_load_n(&st->read_ahead_kb, __ATOMIC_RELAXED) : 128;

	ra->start = 0;
	ra->size = 0;
	ra->async_size = 0;
	ra->ra_pages = (unsigned int)((unsigned long)kb * 1024 / PAGE_SIZE);
	ra->mmap_miss = 0;
	ra->random = false;
	ra->noreuse = false;
	ra->prev_pos = ~0ULL;
}

/* The first window for a read of @size pages, at most @max. */
static unsigned long get_init_ra_size(unsigned long size, unsigned long max)
{
	unsigned long newsize = size <= 1 ? 1 : 1UL << fls_ul(size - 1);	/* roundup_pow_of_two */

	if (newsize <= max / 32)
		newsize = newsize * 4;
	else if (newsize <= max / 4)
		newsize = newsize * 2;
	else
		newsize = max;
	return newsize;
}

/* The next window after one of ra->size pages. */
static unsigned long get_next_ra_size(const struct file_ra_state *ra, unsigned long max)
{
	unsigned long cur = ra->size;

	if (cur < max / 16)
		return 4 * cur;
	if (cur <= max / 2)
		return 2 * cur;
	return max;
}

/*
 * Linux's page_cache_ra_unbounded() with its read_pages(): each run of
 * pages not cached yet (at most RA_BATCH, a cached page ending it) is read
 * from the backing store at once where the filesystem can (a_ops->read_ahead:
 * kmmfs reads a run of consecutive blocks with one host read). Where the
 * run's pages can be had without the allocator ever leaving its fast path
 * (room_for_run()), they are allocated first and read into directly, one
 * copy; otherwise the run is read into a buffer and, page by page as
 * before, a page is allocated, filled and put in the cache, so that
 * reclaim, kswapd and the goldens of memory under pressure see the
 * sequence a page-by-page read_folio gives. Either way the pages enter the
 * cache in index order, each onto the LRU as it goes in.
 * Between the read and a page's add another thread may make that page
 * (a fault or another readahead, which do not hold i_rwsem), dirty it,
 * write it back and see it reclaimed: its bytes as read are then older
 * than the store's. So the file's write_seq is taken before the read and
 * each add is refused once it moved (filemap_add_read_folio()); the rest
 * of the run is then read page by page, each page's read checked the same
 * way (one refused then is left for the reader to read itself).
 * The buffer (RA_BATCH pages) is kept in the page cache's state between
 * calls: taken by exchange, a second reader meanwhile allocates its own.
 */
#define RA_BATCH	32
/* Free pages above the high mark, past the run, that room_for_run() wants: two pcp refills. */
#define RA_ROOM_SLACK	256

static char *get_ra_buffer(struct pagecache_state *st)
{
	char *buf = __atomic_exchange_n(&st->ra_buf, NULL, __ATOMIC_ACQUIRE);

	return buf ? buf : malloc((size_t)RA_BATCH * PAGE_SIZE);
}

static void put_ra_buffer(struct pagecache_state *st, char *buf)
{
	char *none = NULL;

	if (buf && !__atomic_compare_exchange_n(&st->ra_buf, &none, buf, false, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
		free(buf);
}

/*
 * Can @nr pages be allocated before any of them is cached, with nothing
 * that reclaim, kswapd or the pcp lists' high-mark rules would do
 * differently? Only when the preferred zone of user pages is lowmem, not
 * marked below its high mark, and has the run plus RA_ROOM_SLACK free
 * above that mark: every allocation of the run then stays on the fast
 * path above the high mark. Racy by nature (another thread may allocate
 * meanwhile); the worst case is a reclaim that finds the run's pages not
 * on the LRU yet, as Linux's finds them locked.
 */
static bool room_for_run(struct kmm_machine *m, gfp_t gfp, unsigned int nr)
{
	const pg_data_t *pgdat = NODE_DATA_M(m, 0);
	struct zone *z;

	if (kmm_arch_is_32(m) || m->nr_node_ids > 1)
		return false;	/* highmem pages have no direct-map address; one node only */
	z = __atomic_load_n(&pgdat->fast_zone[gfp & GFP_ZONEMASK], __ATOMIC_ACQUIRE);
	return z && !(__atomic_load_n(&z->flags, __ATOMIC_RELAXED) & (1UL << ZONE_BELOW_HIGH)) &&
	       zone_page_state(z, NR_FREE_PAGES) > high_wmark_pages(z) + nr + RA_ROOM_SLACK;
}

/* Allocate @nr pages for a run; all or none. */
static bool alloc_run(struct kmm_machine *m, gfp_t gfp, struct page **pages, unsigned int nr)
{
	for (unsigned int k = 0; k < nr; k++) {
		if (!(pages[k] = kmm_alloc_pages(m, gfp, 0, -1))) {
			while (k--)
				__free_pages(pages[k], 0);
			return false;
		}
	}
	return true;
}

unsigned long page_cache_ra_unbounded(struct kmm_file *f, unsigned long index, unsigned long nr,
				      unsigned long lookahead)
{
	unsigned long end_idx, read = 0, marker = lookahead ? index + nr - lookahead : ~0UL;
	struct kmm_machine *m = f->m;
	struct pagecache_state *st = pagecache_of(m);
	gfp_t gfp = procs_of(m)->user_gfp;
	struct page *pages[RA_BATCH];
	void *dst[RA_BATCH];
	char *buf = NULL;
	bool batch;

	/* filemap_invalidate_lock_shared(): no truncation moves the end meanwhile */
	sim_read_lock(&f->invalidate_lock);
	end_idx = (unsigned long)DIV_ROUND_UP(i_size_read(f), PAGE_SIZE);
	nr = index < end_idx ? KMM_MIN(nr, end_idx - index) : 0;
	batch = nr > 1 && st && f->a_ops && f->a_ops->read_ahead && !f->shmem;
	for (unsigned long i = 0; i < nr;) {
		unsigned int want = 0, direct = 0;
		unsigned long seq;
		bool filled = false;
		struct page *page;

		/* the run of missing pages from index + i, up to a cached one */
		while (i + want < nr && want < RA_BATCH) {
			spin_lock(&f->i_pages_lock);
			page = xa_load(&f->i_pages, index + i + want);
			spin_unlock(&f->i_pages_lock);
			if (page)
				break;
			want++;
		}
		if (!want) {
			i++;	/* already cached: read around it */
			continue;
		}
		/* else (one page, no memory for a buffer, a read error) read_folio, page by page */
		if (batch && want > 1) {
			if (room_for_run(m, gfp, want) && alloc_run(m, gfp, pages, want)) {
				direct = want;
				for (unsigned int k = 0; k < want; k++)
					dst[k] = lowmem_page_address_m(m, pages[k]);
			} else if (buf || (buf = get_ra_buffer(st)) != NULL) {
				for (unsigned int k = 0; k < want; k++)
					dst[k] = buf + (size_t)k * PAGE_SIZE;
			}
			seq = filemap_write_seq(f);	/* before the read */
			filled = (direct || buf) && !f->a_ops->read_ahead(f, index + i, want, dst);
			if (filled && st->ra_read_hook)
				st->ra_read_hook(st->ra_read_hook_arg, f, index + i, want, direct);
		}
		for (unsigned int k = 0; k < want;) {
			bool major = false;
			int err = 0;

			if (!filled)
				seq = filemap_write_seq(f);
			if (filled && direct) {
				page = pages[k];
				page->index = index + i;
				count_vm_events(m, PGPGIN, PAGE_SIZE / 512);
				page_flag_set(page, PG_uptodate);
			} else if (filled) {
				page = filemap_fill_new_page(f, index + i, dst[k], &err);
			} else {
				if (direct) {	/* the read failed, or a later one is stale */
					for (unsigned int j = k; j < want; j++)
						__free_pages(pages[j], 0);
					direct = 0;
				}
				page = filemap_read_new_page(f, index + i, false, &major, &err);
			}
			if (!page)
				goto out;	/* out of memory or a read error: the reader reports it */
			if (index + i == marker)
				page_flag_set(page, PG_readahead);
			err = filemap_add_read_folio(f, page, index + i, false, seq);
			if (err) {
				page_flag_clear(page, PG_readahead);
				filemap_discard_new_page(page);
				if (err == -EAGAIN && filled) {
					/* the store changed since the run's read: the rest page by page */
					for (unsigned int j = k + 1; direct && j < want; j++)
						__free_pages(pages[j], 0);
					direct = 0;
					filled = false;
					continue;	/* this page again, from the store */
				}
			} else {
				read++;
			}
			k++;
			i++;
		}
	}
out:
	sim_read_unlock(&f->invalidate_lock);
	if (buf)
		put_ra_buffer(st, buf);
	return read;
}

void do_page_cache_ra(struct kmm_file *f, unsigned long index, unsigned long nr, unsigned long lookahead)
{
	uint64_t isize = i_size_read(f);
	unsigned long end_index;

	if (!isize)
		return;
	end_index = (unsigned long)((isize - 1) >> PAGE_SHIFT);
	if (index > end_index)
		return;
	/* trimmed to the end of the file first: the marker moves with the end */
	if (nr > end_index - index)
		nr = end_index - index + 1;
	page_cache_ra_unbounded(f, index, nr, lookahead);
}

/* page_cache_ra_order() for order 0: read the current window, marking where the next one starts. */
void ra_submit(struct kmm_file *f, struct file_ra_state *ra)
{
	do_page_cache_ra(f, ra->start, ra->size, ra->async_size);
}

void force_page_cache_ra(struct kmm_file *f, const struct file_ra_state *ra, unsigned long index,
			 unsigned long nr)
{
	unsigned long max_pages = KMM_MAX((unsigned long)KMMD0_IO_PAGES, (unsigned long)ra->ra_pages);

	if (f->shmem)
		return;		/* no read_folio: nothing to read ahead (tmpfs) */
	/* a request past the window may go up to the disk's largest I/O (bdi->io_pages) */
	nr = KMM_MIN(nr, max_pages);
	while (nr) {
		unsigned long chunk = KMM_MIN(nr, (2UL << 20) / PAGE_SIZE);
		do_page_cache_ra(f, index, chunk, 0);
		index += chunk;
		nr -= chunk;
	}
}

void page_cache_sync_ra(struct kmm_file *f, struct file_ra_state *ra, unsigned long index,
			unsigned long req_count)
{
	unsigned long max = ra->ra_pages;
	unsigned long prev_index = ra->prev_pos == ~0ULL ? ~0UL : (unsigned long)(ra->prev_pos >> PAGE_SHIFT);

	if (!max || ra->random) {
		/* no window (read_ahead_kb 0, or FMODE_RANDOM): just what was asked for */
		force_page_cache_ra(f, ra, index, max ? req_count : 1);
		return;
	}
	if (!index || req_count > max || index - prev_index <= 1UL) {
		/* a sequential read (or a large one): a fresh window */
		ra->start = index;
		ra->size = (unsigned int)get_init_ra_size(req_count, max);
		ra->async_size = ra->size > req_count ? ra->size - (unsigned int)req_count
						      : ra->size >> 1;
		ra_submit(f, ra);
		return;
	}
	/* a random read: just what was asked for, no window */
	page_cache_ra_unbounded(f, index, KMM_MIN(req_count, max), 0);
}

void page_cache_async_ra(struct kmm_file *f, struct file_ra_state *ra, struct page *page,
			 unsigned long index, unsigned long req_count)
{
	unsigned long max = ra->ra_pages, expected;

	page_flag_clear(page, PG_readahead);
	if (!max)
		return;
	expected = ra->start + ra->size - ra->async_size;
	if (index == expected) {
		ra->start += ra->size;
		ra->size = (unsigned int)get_next_ra_size(ra, max);
		ra->async_size = ra->size;
	} else {
		/* a marker of an older window (or another reader's): start from here */
		unsigned long start = index + 1;
		while (start < index + max) {
			struct page *p;
			spin_lock(&f->i_pages_lock);
			p = xa_load(&f->i_pages, start);
			spin_unlock(&f->i_pages_lock);
			if (!p)
				break;
			start++;
		}
		if (start - index > max)
			return;
		ra->start = start;
		ra->size = (unsigned int)(start - index + req_count);
		ra->size = (unsigned int)get_next_ra_size(ra, max);
		ra->async_size = ra->size;
	}
	ra_submit(f, ra);
}
