// SPDX-License-Identifier: MIT
/*
 * mm/page-writeback.c - dirty pages and their writeback: dirty accounting,
 * the dirty limits (vm.dirty_*), write-protecting shared mappings before a
 * write (folio_mkclean), writing one page, a file's range (fsync), every
 * file (sync), reclaim's pageout, and the throttle on writers.
 *
 * Linux counterpart: mm/page-writeback.c (folio_mark_dirty,
 * folio_clear_dirty_for_io, domain_dirty_limits, global_dirtyable_memory,
 * balance_dirty_pages_ratelimited, write_cache_pages), mm/rmap.c
 * (folio_mkclean), mm/vmscan.c (pageout), fs/fs-writeback.c (wb_writeback,
 * background writeback), fs/sync.c (sync), mm/filemap.c
 * (filemap_write_and_wait_range, file_check_and_advance_wb_err).
 * Kept: NR_FILE_DIRTY, NR_WRITEBACK, nr_dirtied, nr_written, pgpgout; the
 * limits from vm.dirty_ratio/_bytes and vm.dirty_background_ratio/_bytes
 * over free + file LRU pages less the reserves and highmem (a write to one
 * of each pair zeroes the other, as Linux's handlers do); background
 * writeback once dirty pages pass the background threshold; a write error
 * kept for the next fsync and reported once.
 * Simplified: writeback is synchronous, so PG_writeback and NR_WRITEBACK are
 * set only while a page's write runs; the flusher runs inside the writer's
 * call that crossed the background threshold (deterministic, as kswapd=step
 * is), writing files in list order and pages in index order until dirty
 * pages are under it; so a writer is never over the hard limit and
 * balance_dirty_pages never sleeps. Periodic writeback (wb_workfn's
 * wb_check_old_data_flush) runs when kmm_writeback_run_pending() finds
 * vm.dirty_writeback_centisecs of virtual time passed since the last run
 * (the scenario runner calls it after every command, as kswapd=step): files
 * whose first dirty page is older than vm.dirty_expire_centisecs are
 * written whole (Linux's inode dirtied_when).
 *
 * Locking: PG_locked of the page written -> f->i_pages_lock (tags) and the
 * reverse-map locks of folio_mkclean; no lock across the backing store's write.
 */
#include <errno.h>
#include <stdlib.h>

#include "include/kmm/fs.h"
#include "include/kmm/trace.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"
#include "mm/pagecache.h"

/* ---- Limits ---- */

static void dirty_ratio_changed(struct kmm_machine *m)
{
	pagecache_of(m)->dirty_bytes = 0;
}
static void dirty_bytes_changed(struct kmm_machine *m)
{
	pagecache_of(m)->dirty_ratio = 0;
}
static void dirty_background_ratio_changed(struct kmm_machine *m)
{
	pagecache_of(m)->dirty_background_bytes = 0;
}
static void dirty_background_bytes_changed(struct kmm_machine *m)
{
	pagecache_of(m)->dirty_background_ratio = 0;
}

void writeback_state_init(struct pagecache_state *st)
{
	st->dirty_background_ratio = 10;
	st->dirty_ratio = 20;
	st->dirty_expire_centisecs = 3000;
	st->dirty_writeback_centisecs = 500;
	st->read_ahead_kb = 128;
}

const struct ctl_table writeback_sysctls[] = {
	{ .procname = "vm/dirty_background_ratio",
	  .offset = offsetof(struct pagecache_state, dirty_background_ratio), .maxlen = 1,
	  .mode = 0644, .proc_handler = proc_dointvec_minmax, .extra1 = 0, .extra2 = 100,
	  .changed = dirty_background_ratio_changed },
	{ .procname = "vm/dirty_background_bytes",
	  .offset = offsetof(struct pagecache_state, dirty_background_bytes), .maxlen = 1,
	  .mode = 0644, .proc_handler = proc_doulongvec_minmax, .extra1 = 0,
	  .changed = dirty_background_bytes_changed },
	{ .procname = "vm/dirty_ratio", .offset = offsetof(struct pagecache_state, dirty_ratio),
	  .maxlen = 1, .mode = 0644, .proc_handler = proc_dointvec_minmax, .extra1 = 0, .extra2 = 100,
	  .changed = dirty_ratio_changed },
	{ .procname = "vm/dirty_bytes", .offset = offsetof(struct pagecache_state, dirty_bytes),
	  .maxlen = 1, .mode = 0644, .proc_handler = proc_doulongvec_minmax, .extra1 = 2 * 4096,
	  .changed = dirty_bytes_changed },
	{ .procname = "vm/dirty_expire_centisecs",
	  .offset = offsetof(struct pagecache_state, dirty_expire_centisecs), .maxlen = 1,
	  .mode = 0644, .proc_handler = proc_dointvec_minmax, .extra1 = 0, .extra2 = 0x7fffffff },
	{ .procname = "vm/dirty_writeback_centisecs",
	  .offset = offsetof(struct pagecache_state, dirty_writeback_centisecs), .maxlen = 1,
	  .mode = 0644, .proc_handler = proc_dointvec_minmax, .extra1 = 0, .extra2 = 0x7fffffff },
	{ .procname = "vm/drop_caches", .offset = offsetof(struct pagecache_state, drop_caches),
	  .maxlen = 1, .mode = 0200, .proc_handler = drop_caches_sysctl_handler, .extra1 = 1,
	  .extra2 = 4 },
	{ 0 },
};

/* highmem_dirtyable_memory(): free and file pages of highmem zones (i386), at most @total. */
static unsigned long highmem_dirtyable_memory(struct kmm_machine *m, unsigned long total)
{
	unsigned long x = 0;

	if (!kmm_arch_is_32(m))
		return 0;
	for (int n = 0; n < m->nr_node_ids; n++) {
		pg_data_t *pgdat = m->node_data[n];
		if (!pgdat)
			continue;
		for (int t = ZONE_NORMAL + 1; t < MAX_NR_ZONES; t++) {
			struct zone *z = &pgdat->node_zones[t];
			unsigned long nr;
			if (!populated_zone(z) || z->zone_start_pfn < m->max_low_pfn)
				continue;
			nr = zone_page_state(z, NR_FREE_PAGES);
			nr -= KMM_MIN(nr, high_wmark_pages(z));
			nr += zone_page_state(z, NR_ZONE_INACTIVE_FILE);
			nr += zone_page_state(z, NR_ZONE_ACTIVE_FILE);
			x += nr;
		}
	}
	return KMM_MIN(x, total);
}

void global_dirty_limits(struct kmm_machine *m, unsigned long *background, unsigned long *dirty)
{
	const struct pagecache_state *st = pagecache_of(m);
	int ratio_pct = st ? __atomic_load_n(&st->dirty_ratio, __ATOMIC_RELAXED) : 20;
	int bg_pct = st ? __atomic_load_n(&st->dirty_background_ratio, __ATOMIC_RELAXED) : 10;
	unsigned long bytes = st ? __atomic_load_n(&st->dirty_bytes, __ATOMIC_RELAXED) : 0;
	unsigned long bg_bytes = st ? __atomic_load_n(&st->dirty_background_bytes, __ATOMIC_RELAXED) : 0;
	unsigned long x = global_zone_page_state(m, NR_FREE_PAGES);
	unsigned long ratio = ((unsigned long)ratio_pct * PAGE_SIZE) / 100;
	unsigned long bg_ratio = ((unsigned long)bg_pct * PAGE_SIZE) / 100;

	/* global_dirtyable_memory() */
	x -= KMM_MIN(x, m->totalreserve_pages);
	x += global_node_page_state(m, NR_INACTIVE_FILE);
	x += global_node_page_state(m, NR_ACTIVE_FILE);
	x -= highmem_dirtyable_memory(m, x);
	x += 1;		/* never 0 */

	/* domain_dirty_limits(), in Linux's per-PAGE_SIZE fixed point */
	*dirty = bytes ? DIV_ROUND_UP(bytes, PAGE_SIZE) : ratio * x / PAGE_SIZE;
	*background = bg_bytes ? DIV_ROUND_UP(bg_bytes, PAGE_SIZE) : bg_ratio * x / PAGE_SIZE;
	if (*background >= *dirty)
		*background = *dirty / 2;
}

/* ---- Dirty and clean ---- */

static pg_data_t *pgdat_of(struct page *page)
{
	return NODE_DATA_M(page_machine(page), page_to_nid(page));
}

bool folio_mark_dirty(struct page *page)
{
	struct kmm_file *f = page->mapping;

	if (!f || PageAnon(page))
		return false;
	if (__atomic_fetch_or(&page->flags, 1UL << PG_dirty, __ATOMIC_ACQ_REL) & (1UL << PG_dirty))
		return false;
	if (f->shmem)
		return true;	/* no backing store: never written, never counted (Linux: the same) */
	spin_lock(&f->i_pages_lock);
	if (!f->i_pages.marked[PAGECACHE_TAG_DIRTY])
		f->dirtied_when = kmm_clock_ns(f->m);	/* __mark_inode_dirty(): the inode's age */
	xa_set_mark(&f->i_pages, page->index, PAGECACHE_TAG_DIRTY);
	spin_unlock(&f->i_pages_lock);
	mod_node_page_state(pgdat_of(page), NR_FILE_DIRTY, 1);
	mod_node_page_state(pgdat_of(page), NR_DIRTIED, 1);
	return true;
}

/* folio_clear_dirty_for_io(): the page is about to be written. Return: was it dirty? */
static bool folio_clear_dirty_for_io(struct kmm_file *f, struct page *page)
{
	if (!(__atomic_fetch_and(&page->flags, ~(1UL << PG_dirty), __ATOMIC_ACQ_REL) & (1UL << PG_dirty)))
		return false;
	spin_lock(&f->i_pages_lock);
	xa_clear_mark(&f->i_pages, page->index, PAGECACHE_TAG_DIRTY);
	spin_unlock(&f->i_pages_lock);
	mod_node_page_state(pgdat_of(page), NR_FILE_DIRTY, -1);
	return true;
}

static bool mkclean_one(struct page *page, struct vm_area_struct *vma, unsigned long addr,
			void *ptep, void *arg)
{
	struct mm_struct *mm = vma->vm_mm;
	pteval_t pte;

	(void)ptep;
	if (!(ptep = rmap_lock_pte(page, vma, addr)))
		return true;
	pte = pte_get(&mm->pgt, ptep);
	if (pte_write(pte) || pte_dirty(pte)) {
		pte_set(&mm->pgt, ptep, pte & ~(pteval_t)(_PAGE_RW | _PAGE_DIRTY));
		(*(int *)arg)++;
	}
	spin_unlock(&mm->page_table_lock);
	flush_tlb_range(vma, addr, addr + PAGE_SIZE);
	return true;
}

/*
 * folio_mkclean(): write-protect and clean every shared PTE of @page, so the
 * next store faults and dirties the page again. Return: PTEs cleaned.
 */
static int folio_mkclean(struct page *page)
{
	int cleaned = 0;

	if (page_mapcount(page) > 0) {
		int token = procs_enter(page_machine(page));
		rmap_walk(page, mkclean_one, &cleaned);
		procs_exit(page_machine(page), token);
		if (cleaned && procs_of(page_machine(page)))
			sim_mmu_shootdown_wait(procs_of(page_machine(page))->mmu);
	}
	return cleaned;
}

int folio_write_one(struct kmm_file *f, struct page *page)
{
	struct kmm_machine *m = f->m;
	pg_data_t *pgdat = pgdat_of(page);
	int err;

	if (!f->a_ops || !f->a_ops->writepage || f->shmem)
		return -EAGAIN;
	folio_mkclean(page);
	if (!folio_clear_dirty_for_io(f, page))
		return 0;
	/* folio_start_writeback() ... folio_end_writeback(): synchronous here */
	page_flag_set(page, PG_writeback);
	spin_lock(&f->i_pages_lock);
	xa_set_mark(&f->i_pages, page->index, PAGECACHE_TAG_WRITEBACK);
	spin_unlock(&f->i_pages_lock);
	mod_node_page_state(pgdat, NR_WRITEBACK, 1);
	err = f->a_ops->writepage(f, page);
	mod_node_page_state(pgdat, NR_WRITEBACK, -1);
	spin_lock(&f->i_pages_lock);
	xa_clear_mark(&f->i_pages, page->index, PAGECACHE_TAG_WRITEBACK);
	if (err && !f->wb_err)
		f->wb_err = err;	/* mapping_set_error(): fsync reports it */
	spin_unlock(&f->i_pages_lock);
	page_flag_clear(page, PG_writeback);
	if (err) {
		folio_mark_dirty(page);	/* the data is still only here */
		return err;
	}
	mod_node_page_state(pgdat, NR_WRITTEN, 1);
	count_vm_events(m, PGPGOUT, PAGE_SIZE / 512);
	return 0;
}

int filemap_pageout(struct page *page)
{
	struct kmm_file *f;
	int err = -EAGAIN;

	if (!trylock_page(page))
		return -EAGAIN;
	f = __atomic_load_n((struct kmm_file **)&page->mapping, __ATOMIC_ACQUIRE);
	if (f && !PageAnon(page))
		err = folio_write_one(f, page);
	unlock_page(page);
	return err;
}

/*
 * write_cache_pages(): write the dirty pages of @f with index in
 * [@start, @end], at most *@budget of them (decremented; NULL: all).
 * Return: the first error, or 0.
 */
static int write_cache_pages(struct kmm_file *f, unsigned long start, unsigned long end, long *budget)
{
	unsigned long idx = start;
	int ret = 0;

	while (!budget || *budget > 0) {
		struct page *page;
		int err = 0;
		spin_lock(&f->i_pages_lock);
		page = xa_find(&f->i_pages, &idx, end, PAGECACHE_TAG_DIRTY);
		if (page)
			get_page(page);
		spin_unlock(&f->i_pages_lock);
		if (!page)
			break;
		lock_page(page);
		if (page->mapping == f && page_flag_test(page, PG_dirty)) {
			err = folio_write_one(f, page);
			if (!err && budget)
				(*budget)--;
		}
		unlock_page(page);
		put_user_page_ref(page);
		if (err && !ret)
			ret = err;
		if (idx == end || idx == ~0UL)
			break;
		idx++;
	}
	return ret;
}

int filemap_write_and_wait_range(struct kmm_file *f, uint64_t start, uint64_t end)
{
	int token = procs_enter(f->m);
	int err = write_cache_pages(f, (unsigned long)(start >> PAGE_SHIFT),
				    (unsigned long)(end >> PAGE_SHIFT), NULL);

	procs_exit(f->m, token);
	/* file_check_and_advance_wb_err(): an error is reported once */
	spin_lock(&f->i_pages_lock);
	if (!err)
		err = f->wb_err;
	f->wb_err = 0;
	spin_unlock(&f->i_pages_lock);
	return err;
}

static int sync_one(struct kmm_file *f, void *arg)
{
	int err = filemap_write_and_wait_range(f, 0, ~0ULL);

	if (err && !*(int *)arg)
		*(int *)arg = err;
	return 0;
}

int sync_pagecache(struct kmm_machine *m)
{
	int err = 0;

	filemap_for_each_file(m, sync_one, &err);
	return err;
}

/* ---- The flusher and the throttle ---- */

struct wb_ctx {
	long budget;		/* pages still to write to reach the target */
};

static int wb_one(struct kmm_file *f, void *arg)
{
	struct wb_ctx *c = arg;

	if (!f->a_ops || f->shmem)
		return 0;
	write_cache_pages(f, 0, ~0UL, &c->budget);
	return c->budget <= 0;
}

/* wb_writeback() for background work: write until dirty pages are at most @target. */
static void wb_writeback(struct kmm_machine *m, unsigned long target)
{
	unsigned long dirty = global_node_page_state(m, NR_FILE_DIRTY);
	struct wb_ctx c;

	if (dirty <= target)
		return;
	c.budget = (long)(dirty - target);
	filemap_for_each_file(m, wb_one, &c);
}

void balance_dirty_pages_ratelimited(struct kmm_file *f)
{
	struct kmm_machine *m = f->m;
	struct pagecache_state *st = pagecache_of(m);
	unsigned long bg, thresh, dirty;

	if (!st)
		return;
	global_dirty_limits(m, &bg, &thresh);
	dirty = global_node_page_state(m, NR_FILE_DIRTY) + global_node_page_state(m, NR_WRITEBACK);
	if (dirty <= bg)
		return;
	if (dirty > thresh)
		atomic_fetch_add(&st->throttled, 1);
	atomic_fetch_add(&st->flusher_runs, 1);
	wb_writeback(m, bg);
}

/* ---- Periodic writeback of old data ---- */

struct old_ctx {
	uint64_t cutoff;	/* files dirtied at or before this virtual ns */
	long written;
};

static int write_old_file(struct kmm_file *f, void *arg)
{
	struct old_ctx *c = arg;
	bool old;

	if (!f->a_ops || f->shmem)
		return 0;
	spin_lock(&f->i_pages_lock);
	old = f->i_pages.marked[PAGECACHE_TAG_DIRTY] && f->dirtied_when <= c->cutoff;
	spin_unlock(&f->i_pages_lock);
	if (old) {
		long before = (long)global_node_page_state(f->m, NR_WRITTEN);
		write_cache_pages(f, 0, ~0UL, NULL);
		c->written += (long)global_node_page_state(f->m, NR_WRITTEN) - before;
	}
	return 0;
}

long kmm_writeback_run_pending(struct kmm_machine *m)
{
	struct pagecache_state *st = m ? pagecache_of(m) : NULL;
	uint64_t now, period, expire;
	struct old_ctx c = { 0, 0 };
	int token;

	if (!st)
		return 0;
	period = (uint64_t)__atomic_load_n(&st->dirty_writeback_centisecs, __ATOMIC_RELAXED) * 10000000ull;
	expire = (uint64_t)__atomic_load_n(&st->dirty_expire_centisecs, __ATOMIC_RELAXED) * 10000000ull;
	now = kmm_clock_ns(m);
	if (!period || now - st->last_periodic < period)
		return 0;
	st->last_periodic = now;
	if (now < expire)
		return 0;
	c.cutoff = now - expire;
	token = procs_enter(m);
	filemap_for_each_file(m, write_old_file, &c);
	procs_exit(m, token);
	return c.written;
}
