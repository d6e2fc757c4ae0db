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
 * background writeback, wakeup_flusher_threads), fs/sync.c (sync), mm/filemap.c
 * (filemap_write_and_wait_range, file_check_and_advance_wb_err).
 * Kept: NR_FILE_DIRTY, NR_WRITEBACK, nr_dirtied, nr_written, pgpgout; the
 * limits from vm.dirty_ratio/_bytes and vm.dirty_background_ratio/_bytes
 * over free + file LRU pages less the reserves and highmem (a write to one
 * of each pair zeroes the other, as Linux's handlers do); background
 * writeback once dirty pages pass the background threshold; a write error
 * kept for the next fsync and reported once.
 * Simplified: a write's bytes reach the backing store at submission and its
 * completion waits on the virtual clock, in one queue for the machine (see
 * "Writeback in flight"); the flusher runs inside the writer's call that
 * crossed the background threshold (deterministic, as kswapd=step is),
 * writing files in list order and pages in index order until dirty pages
 * are under it, and inside reclaim's call when reclaim finds only dirty pages
 * nobody writes (skipping pages locked by others: the reclaimer may hold
 * one); a writer past the dirty threshold pauses (the clock moves,
 * writes end) until dirty + writeback pages are under it, so a write never
 * returns over it while anything can be written. Periodic writeback (wb_workfn's
 * wb_check_old_data_flush) runs when kmm_writeback_run_pending() finds
 * vm.dirty_writeback_centisecs of virtual time passed since the last run
 * (the scenario runner calls it after every command, as kswapd=step): files
 * whose first dirty page is older than vm.dirty_expire_centisecs are
 * written whole (Linux's inode dirtied_when).
 *
 * Locking: PG_locked of the page written -> f->i_pages_lock (tags) and the
 * reverse-map locks of folio_mkclean; no lock across the backing store's write.
 * write_cache_pages holds the page locks of a batch (up to 32, in index
 * order) across its one shootdown wait; only a batch's first is awaited
 * (lock_page), the others are trylocks.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "include/kmm/fs.h"
#include "include/kmm/trace.h"
#include "mm/include/swap.h"
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
	x -= KMM_MIN(x, READ_ONCE(m->totalreserve_pages));	/* memory online changes it */
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
	/* (atomic: a zap may ask while truncation takes the page out of its file) */
	struct kmm_file *f = __atomic_load_n(&page->mapping, __ATOMIC_RELAXED);

	if (!f || PageAnon(page))
		return false;
	/* redirtied: a reclaim mark (or a readahead mark: the same bit) is stale now */
	if (page_flag_test(page, PG_reclaim))
		page_flag_clear(page, PG_reclaim);
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
	spin_unlock(pte_lockptr(mm, ptep));
	flush_tlb_range(vma, addr, addr + PAGE_SIZE);
	return true;
}

/*
 * folio_mkclean() without its wait: write-protect and clean every shared
 * PTE of @page, so the next store faults and dirties the page again, each
 * flushed from the TLBs as it goes. A store through an old entry may still
 * be in flight: the caller waits (sim_mmu_shootdown_wait) before the page's
 * bytes are taken. Return: PTEs cleaned.
 */
static int mkclean_nowait(struct page *page)
{
	int cleaned = 0;

	if (page_mapcount(page) > 0) {
		int token = procs_enter(page_machine(page));
		rmap_walk(page, mkclean_one, &cleaned);
		procs_exit(page_machine(page), token);
	}
	return cleaned;
}

/* The shootdown wait after PTEs were cleaned: no store in flight through them. */
static void mkclean_wait(struct kmm_machine *m)
{
	if (procs_of(m))
		sim_mmu_shootdown_wait(procs_of(m)->mmu);
}

/* folio_mkclean(): mkclean_nowait() and, when it cleaned a PTE, the wait. Return: PTEs cleaned. */
static int folio_mkclean(struct page *page)
{
	int cleaned = mkclean_nowait(page);

	if (cleaned)
		mkclean_wait(page_machine(page));
	return cleaned;
}

/*
 * folio_clear_dirty_for_io(): @page (locked) is about to be written. As
 * Linux 6.12's: its shared PTEs are write-protected and cleaned first
 * (folio_mkclean), and if one of them was writable or dirty the page is
 * marked dirty (folio_mark_dirty) before PG_dirty is tested and cleared - a
 * store the PTE saw and the page did not is written, not lost with the PTE's
 * dirty bit. A store's write fault dirties the page under the page lock
 * (do_wp_page), which the caller holds, so none slips in between. (kmm's
 * checker holds that a writable shared PTE maps a dirty page, so the mark
 * finds the page dirty unless that was broken.) Return: was it dirty?
 */
static bool __folio_clear_dirty_for_io(struct kmm_file *f, struct page *page, int cleaned)
{
	if (cleaned)
		folio_mark_dirty(page);
	if (!(__atomic_fetch_and(&page->flags, ~(1UL << PG_dirty), __ATOMIC_ACQ_REL) & (1UL << PG_dirty)))
		return false;
	spin_lock(&f->i_pages_lock);
	xa_clear_mark(&f->i_pages, page->index, PAGECACHE_TAG_DIRTY);
	spin_unlock(&f->i_pages_lock);
	mod_node_page_state(pgdat_of(page), NR_FILE_DIRTY, -1);
	return true;
}

/*
 * The one-page form. (write_cache_pages() cleans a batch's PTEs first, with
 * one shootdown wait for them all, and passes each page's count to
 * __folio_clear_dirty_for_io().)
 */
static bool folio_clear_dirty_for_io(struct kmm_file *f, struct page *page)
{
	return __folio_clear_dirty_for_io(f, page, folio_mkclean(page));
}

/* ---- Writeback in flight ---- */

/*
 * The machine's disks on the virtual clock: one page written every
 * WRITE_PAGE_NS (10 us, about 400 MB/s: an SSD behind a virtio disk), one
 * write at a time for the whole machine (kmmd0 and the swap areas share the
 * queue). A write's bytes reach the host file at submission; what waits is
 * its completion, at max(now, the end of the previous write) + WRITE_PAGE_NS.
 */
#define WRITE_PAGE_NS	10000ull
#define WB_QUEUE_PAGES	1024	/* pages in flight at most: 256 requests (nr_requests) of 16 KiB */
#define JIFFY_NS	4000000ull		/* HZ 250 */
#define MAX_PAUSE_NS	(50 * JIFFY_NS)		/* balance_dirty_pages' MAX_PAUSE: HZ/5 */
#define RECLAIM_WAKE_PAGES 32ul		/* SWAP_CLUSTER_MAX (mm/swap.h is the pressure layer's) */

/* The file whose WRITEBACK tag follows @page's PG_writeback (none for anon, swap cache, shmem). */
static struct kmm_file *wb_file(struct page *page)
{
	struct kmm_file *f;

	if (PageAnon(page) || PageSwapCache(page))
		return NULL;
	f = page->mapping;
	return f && !f->shmem ? f : NULL;
}

/* A write NR_WRITEBACK counts left the transit (queued, or ended): under wb_lock. */
static void wb_transit_done(struct pagecache_state *st)
{
	spin_lock(&st->wb_lock);
	__atomic_sub_fetch(&st->wb_transit, 1, __ATOMIC_SEQ_CST);
	spin_unlock(&st->wb_lock);
}

void folio_start_writeback(struct page *page)
{
	struct kmm_file *f = wb_file(page);
	struct pagecache_state *st = pagecache_of(page_machine(page));

	if (st)		/* before NR_WRITEBACK counts it: see writeback_check() */
		__atomic_add_fetch(&st->wb_transit, 1, __ATOMIC_SEQ_CST);
	page_flag_set(page, PG_writeback);
	if (f) {
		spin_lock(&f->i_pages_lock);
		xa_set_mark(&f->i_pages, page->index, PAGECACHE_TAG_WRITEBACK);
		spin_unlock(&f->i_pages_lock);
	}
	mod_node_page_state(pgdat_of(page), NR_WRITEBACK, 1);
}

/*
 * folio_end_writeback(): the write of @page is over. A page that reclaim
 * marked PG_reclaim goes to the tail of its inactive list, to be freed next
 * (folio_rotate_reclaimable). @written: it reached the disk (nr_written).
 */
static void end_writeback(struct page *page, bool written)
{
	struct kmm_machine *m = page_machine(page);
	struct pagecache_state *st = pagecache_of(m);
	struct kmm_file *f = wb_file(page);
	pg_data_t *pgdat = pgdat_of(page);

	if (f) {
		spin_lock(&f->i_pages_lock);
		xa_clear_mark(&f->i_pages, page->index, PAGECACHE_TAG_WRITEBACK);
		spin_unlock(&f->i_pages_lock);
	}
	page_flag_clear(page, PG_writeback);
	mod_node_page_state(pgdat, NR_WRITEBACK, -1);
	if (written) {
		mod_node_page_state(pgdat, NR_WRITTEN, 1);
		/* acct_reclaim_writeback(): pages written while reclaim waits for them */
		if (st && __atomic_load_n(&st->reclaim_throttled, __ATOMIC_RELAXED))
			mod_node_page_state(pgdat, NR_THROTTLED_WRITTEN, 1);
	}
	if (page_flag_test(page, PG_reclaim)) {
		page_flag_clear(page, PG_reclaim);
		if (written)
			folio_rotate_reclaimable(page);
	}
	/*
	 * A swap-cache page whose last user went while it was written (exit,
	 * munmap: folio_free_swap refused it then) is dropped now, with its
	 * slot. Linux leaves it to the next reclaim pass.
	 */
	if (PageSwapCache(page) && page_mapcount(page) <= 0 && page_ref_count(page) == 2 &&
	    trylock_page(page)) {
		/* folio_free_swap() wants the page lock; a page someone holds is
		 * left to reclaim (as Linux leaves them all) */
		if (PageSwapCache(page) && page_mapcount(page) <= 0 &&
		    page_ref_count(page) == 2 && !swp_swapcount(m, page_swap_entry(page)))
			folio_free_swap(page);
		unlock_page(page);
	}
}

static bool wait_one(struct kmm_machine *m, struct pagecache_state *st, uint64_t deadline);

static size_t nr_in_flight(struct pagecache_state *st)
{
	size_t n;

	spin_lock(&st->wb_lock);
	n = st->wb_tail - st->wb_head;
	spin_unlock(&st->wb_lock);
	return n;
}

void folio_queue_writeback(struct page *page, int err)
{
	struct kmm_machine *m = page_machine(page);
	struct pagecache_state *st = pagecache_of(m);
	uint64_t now;
	bool queued = false;

	if (err || !st) {
		end_writeback(page, !err);	/* failed, or no queue: over at once */
		if (st)
			wb_transit_done(st);
		return;
	}
	/* the device's queue is full: the submitter waits for the oldest write (blk_mq_get_tag) */
	while (nr_in_flight(st) >= WB_QUEUE_PAGES && wait_one(m, st, UINT64_MAX))
		;
	now = kmm_clock_ns(m);
	get_page(page);		/* the I/O's reference */
	spin_lock(&st->wb_lock);
	/*
	 * At the array's end: move the writes in flight to its start only when
	 * they fill at most half of it, else grow it first. A full queue (the
	 * steady state of a long swap-out or write) ends one write and queues
	 * one: moving every write of it each time cost ~1,000 entries per page
	 * (58% of bench/swap's swap-out instructions); now each move is paid
	 * for by the half array of submissions before it.
	 */
	if (st->wb_tail == st->wb_cap && (!st->wb_cap || st->wb_head < st->wb_cap / 2)) {
		/* the checker's scratch grows with the queue: a check allocates nothing */
		size_t cap = st->wb_cap ? 2 * st->wb_cap : 256;
		struct wb_inflight *q = realloc(st->wb_q, cap * sizeof(*q));
		struct page **sorted = q ? realloc(st->wb_sorted, cap * sizeof(*sorted)) : NULL;
		if (q)
			st->wb_q = q;
		if (sorted) {
			st->wb_sorted = sorted;
			st->wb_cap = cap;
		}
	}
	if (st->wb_tail == st->wb_cap && st->wb_head) {	/* (also when growing failed) */
		memmove(st->wb_q, st->wb_q + st->wb_head, (st->wb_tail - st->wb_head) * sizeof(*st->wb_q));
		st->wb_tail -= st->wb_head;
		st->wb_head = 0;
	}
	if (st->wb_tail < st->wb_cap) {
		uint64_t start = KMM_MAX(now, st->disk_busy_until);
		st->disk_busy_until = start + WRITE_PAGE_NS;
		st->wb_q[st->wb_tail].page = page;
		st->wb_q[st->wb_tail].done_ns = st->disk_busy_until;
		st->wb_tail++;
		__atomic_sub_fetch(&st->wb_transit, 1, __ATOMIC_SEQ_CST);
		queued = true;
	}
	spin_unlock(&st->wb_lock);
	if (!queued) {
		end_writeback(page, true);	/* no memory for the queue: complete now */
		wb_transit_done(st);
		put_user_page_ref(page);
	}
}

/* Let the virtual clock reach @t (a wait: the time passes for the whole machine). */
static void clock_wait_until(struct kmm_machine *m, uint64_t t)
{
	kmm_clock_advance_to(m, t);	/* concurrent waiters for one moment move it once */
}

/*
 * End the oldest write in flight if it completes by @deadline, first letting
 * the clock reach its completion time. Return: true if one ended.
 */
static bool wait_one(struct kmm_machine *m, struct pagecache_state *st, uint64_t deadline)
{
	struct wb_inflight e;

	spin_lock(&st->wb_lock);
	if (st->wb_head == st->wb_tail || st->wb_q[st->wb_head].done_ns > deadline) {
		spin_unlock(&st->wb_lock);
		return false;
	}
	e = st->wb_q[st->wb_head++];
	if (st->wb_head == st->wb_tail)
		st->wb_head = st->wb_tail = 0;
	__atomic_add_fetch(&st->wb_transit, 1, __ATOMIC_SEQ_CST);	/* out of the queue, still counted */
	spin_unlock(&st->wb_lock);
	clock_wait_until(m, e.done_ns);
	end_writeback(e.page, true);
	wb_transit_done(st);
	put_user_page_ref(e.page);
	return true;
}

void folio_wait_writeback(struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	struct pagecache_state *st = pagecache_of(m);

	while (page_flag_test(page, PG_writeback)) {
		if (!st || !wait_one(m, st, UINT64_MAX))
			sched_yield();	/* another thread is ending it */
	}
}

unsigned long writeback_complete(struct kmm_machine *m)
{
	struct pagecache_state *st = m ? pagecache_of(m) : NULL;
	unsigned long n = 0;

	if (!st)
		return 0;
	while (wait_one(m, st, kmm_clock_ns(m)))
		n++;
	return n;
}

unsigned long writeback_wait_all(struct kmm_machine *m)
{
	struct pagecache_state *st = m ? pagecache_of(m) : NULL;
	unsigned long n = 0;

	if (!st)
		return 0;
	while (wait_one(m, st, UINT64_MAX))
		n++;
	return n;
}

void reclaim_throttle(struct kmm_machine *m, enum vmscan_throttle_state reason)
{
	struct pagecache_state *st = pagecache_of(m);
	bool woken_by_writes = reason == VMSCAN_THROTTLE_WRITEBACK;
	uint64_t deadline;
	unsigned long done = 0;

	if (!st || !global_node_page_state(m, NR_WRITEBACK))
		return;		/* nothing to wait for: kmm does not sleep (Linux would) */
	deadline = kmm_clock_ns(m) + (woken_by_writes ? 25 * JIFFY_NS : JIFFY_NS);
	__atomic_fetch_add(&st->reclaim_throttled, 1, __ATOMIC_RELAXED);
	/* acct_reclaim_writeback() wakes the waiter once more than SWAP_CLUSTER_MAX were written */
	while ((!woken_by_writes || done <= RECLAIM_WAKE_PAGES) && wait_one(m, st, deadline))
		done++;
	__atomic_fetch_sub(&st->reclaim_throttled, 1, __ATOMIC_RELAXED);
	if (!woken_by_writes || done <= RECLAIM_WAKE_PAGES)
		clock_wait_until(m, deadline);
}

void writeback_state_exit(struct kmm_machine *m, struct pagecache_state *st)
{
	writeback_wait_all(m);
	free(st->wb_q);
	free(st->wb_sorted);
	st->wb_q = NULL;
	st->wb_sorted = NULL;
}

static int cmp_page_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct page *const *)a, y = (uintptr_t)*(struct page *const *)b;

	return x < y ? -1 : x > y;
}

/*
 * The queue against NR_WRITEBACK and the file pages under writeback. A
 * write is counted before it is queued and after it leaves the queue (a
 * completer outside any process operation, which procs_stop() does not
 * stop: review20 R8), so the counter may exceed the queue by the writes in
 * transit. Read under wb_lock, NR_WRITEBACK first: a transit enters before
 * the counter rises and ends, under the lock, after it falls, so
 * queued <= NR_WRITEBACK <= queued + transit holds at every moment; with
 * nothing in transit it is the exact equality.
 */
int writeback_check(struct kmm_machine *m, long file_writeback)
{
	struct pagecache_state *st = pagecache_of(m);
	long nr, queued, transit;
	struct page **pages;
	int err = 0;

	spin_lock(&st->wb_lock);
	nr = (long)global_node_page_state(m, NR_WRITEBACK);
	transit = __atomic_load_n(&st->wb_transit, __ATOMIC_SEQ_CST);
	pages = st->wb_sorted;	/* under the lock: folio_queue_writeback may grow it */
	queued = (long)(st->wb_tail - st->wb_head);
	if (transit < 0 || nr < queued || nr > queued + transit || file_writeback > queued + transit) {
		spin_unlock(&st->wb_lock);
		return kmm_set_error(-EUCLEAN, "filemap: NR_WRITEBACK is %ld, %ld writes are in flight "
				     "and %ld between the queue and the counter, %ld file pages under "
				     "writeback", nr, queued, transit, file_writeback);
	}
	for (size_t i = st->wb_head; i < st->wb_tail; i++) {
		struct page *page = st->wb_q[i].page;
		if (!page_flag_test(page, PG_writeback) || page_ref_count(page) < 2 ||
		    (i > st->wb_head && st->wb_q[i].done_ns < st->wb_q[i - 1].done_ns)) {
			err = kmm_set_error(-EUCLEAN, "filemap: write in flight of pfn %#lx: PG_writeback %d, "
					    "refcount %d, done at %llu ns (out of order?)", page_to_pfn_m(m, page),
					    page_flag_test(page, PG_writeback), page_ref_count(page),
					    (unsigned long long)st->wb_q[i].done_ns);
			break;
		}
		pages[i - st->wb_head] = page;	/* wb_cap >= wb_tail - wb_head: it fits */
	}
	/* no page twice: sorted in the scratch, under the lock (it is the queue's) */
	if (!err && queued) {
		qsort(pages, (size_t)queued, sizeof(*pages), cmp_page_ptr);
		for (long i = 1; i < queued; i++)
			if (pages[i] == pages[i - 1]) {
				err = kmm_set_error(-EUCLEAN, "filemap: pfn %#lx is in flight twice",
						    page_to_pfn_m(m, pages[i]));
				break;
			}
	}
	spin_unlock(&st->wb_lock);
	return err;
}

/* ---- Writing pages ---- */

/*
 * Write one dirty page of @f (locked by the caller): its shared mappings
 * are write-protected and cleaned first (folio_clear_dirty_for_io). A page
 * already under writeback is waited for when @sync (WB_SYNC_ALL), skipped
 * otherwise (-EBUSY). With @reclaim (pageout) the page gets PG_reclaim: its
 * completion rotates it to the tail of the inactive list. *@started (if
 * given) is set when a write was started (0 is also returned for a page
 * found clean).
 */
static int write_dirty(struct kmm_file *f, struct page *page, bool reclaim, bool *started);

static bool can_write(const struct kmm_file *f)
{
	return f->a_ops && f->a_ops->writepage && !f->shmem;
}

static int write_one(struct kmm_file *f, struct page *page, bool sync, bool reclaim, bool *started)
{
	if (!can_write(f))
		return -EAGAIN;
	if (page_flag_test(page, PG_writeback)) {
		if (!sync)
			return -EBUSY;
		folio_wait_writeback(page);
	}
	if (!folio_clear_dirty_for_io(f, page))
		return 0;
	return write_dirty(f, page, reclaim, started);
}

/*
 * The write itself: @page (locked, not under writeback) was dirty and is
 * clean now, with no writable PTE and no store in flight through an old
 * one (folio_clear_dirty_for_io()). Return: as write_one().
 */
static int write_dirty(struct kmm_file *f, struct page *page, bool reclaim, bool *started)
{
	struct kmm_machine *m = f->m;
	int err;

	folio_start_writeback(page);
	if (reclaim)
		page_flag_set(page, PG_reclaim);
	err = f->a_ops->writepage(f, page);	/* the bytes reach the image now */
	/* before the page can leave the cache: a read of the store older than this is stale */
	__atomic_fetch_add(&f->write_seq, 1, __ATOMIC_SEQ_CST);
	if (err) {
		spin_lock(&f->i_pages_lock);
		if (!f->wb_err)
			f->wb_err = err;	/* mapping_set_error(): fsync reports it */
		spin_unlock(&f->i_pages_lock);
		folio_queue_writeback(page, err);
		folio_mark_dirty(page);	/* the data is still only here */
		return err;
	}
	count_vm_events(m, PGPGOUT, PAGE_SIZE / 512);	/* submit_bio() counts them */
	folio_queue_writeback(page, 0);
	if (started)
		*started = true;
	return 0;
}

int folio_write_one(struct kmm_file *f, struct page *page)
{
	return write_one(f, page, true, false, NULL);
}

int filemap_pageout(struct page *page)
{
	struct kmm_file *f;
	int err = -EAGAIN;
	bool started = false;

	/* the page is locked (by reclaim): ->mapping stays as it is */
	f = __atomic_load_n((struct kmm_file **)&page->mapping, __ATOMIC_ACQUIRE);
	if (f && !PageAnon(page))
		err = write_one(f, page, false, true, &started);
	if (started)
		mod_node_page_state(pgdat_of(page), NR_VMSCAN_WRITE, 1);	/* pageout()'s count */
	return err == -EBUSY ? -EAGAIN : err;
}

/*
 * write_cache_pages(): start writing the dirty pages of @f with index in
 * [@start, @end], at most *@budget of them (decremented; NULL: all). With
 * @sync (WB_SYNC_ALL) a page still under an earlier write is waited for;
 * without, it is skipped. Return: the first error, or 0.
 */
static int __write_cache_pages(struct kmm_file *f, unsigned long start, unsigned long end,
			       long *budget, bool sync, bool trylock);

static int write_cache_pages(struct kmm_file *f, unsigned long start, unsigned long end, long *budget,
			     bool sync)
{
	return __write_cache_pages(f, start, end, budget, sync, false);
}

/* Pages cleaned, written and waited for together (Linux's folio_batch holds 31). */
#define WB_BATCH 32

/*
 * Gather into @batch (*@n pages so far) up to @room dirty pages of @f from
 * index *@idx to @end, each locked and with a reference, advancing *@idx
 * past each page looked at. With @trylock a page someone holds locked is
 * skipped; without, only the batch's first page is waited for (lock_page),
 * so no page lock is awaited while others are held: a later one locked
 * elsewhere ends the batch and heads the next. A page under writeback is
 * skipped without @sync; with it, waited for only as a batch's first page
 * (the clock moves before the batch's writes, as it did one page at a
 * time). Return: false when the range holds no more dirty pages.
 */
static bool gather_dirty(struct kmm_file *f, unsigned long *idx, unsigned long end, bool sync,
			 bool trylock, struct page **batch, unsigned int *n, unsigned int room)
{
	while (*n < room) {
		struct page *page;
		spin_lock(&f->i_pages_lock);
		page = xa_find(&f->i_pages, idx, end, PAGECACHE_TAG_DIRTY);
		if (page)
			get_page(page);
		spin_unlock(&f->i_pages_lock);
		if (!page)
			return false;
		if (!trylock && !*n) {
			lock_page(page);
		} else if (!trylock_page(page)) {
			put_user_page_ref(page);
			if (!trylock)
				return true;
			goto next;
		}
		if (page->mapping != f || !page_flag_test(page, PG_dirty))
			goto skip;
		if (can_write(f) && page_flag_test(page, PG_writeback)) {
			if (!sync)
				goto skip;	/* WB_SYNC_NONE: the next round takes it */
			if (*n) {
				unlock_page(page);
				put_user_page_ref(page);
				return true;
			}
			folio_wait_writeback(page);
		}
		batch[(*n)++] = page;
		goto next;
skip:
		unlock_page(page);
		put_user_page_ref(page);
next:
		if (*idx == end || *idx == ~0UL)
			return false;
		(*idx)++;
	}
	return true;
}

/*
 * The body of write_cache_pages(). With @trylock a page someone holds
 * locked is skipped (the flusher woken by reclaim runs inline in the
 * reclaimer, which may hold a page lock of its own: Linux's flusher is a
 * thread of its own and would just wait).
 *
 * Pages go in batches of up to WB_BATCH: every shared PTE of the batch is
 * cleaned and flushed, then one shootdown wait covers the stores in flight
 * through them all, then the pages are written in index order - one wait
 * per batch instead of one per mapped page (with the asymmetric bracket
 * each wait is a membarrier(2)). The writes, the budget and the device
 * queue's limit come out as they did one page at a time.
 */
static int __write_cache_pages(struct kmm_file *f, unsigned long start, unsigned long end,
			       long *budget, bool sync, bool trylock)
{
	unsigned long idx = start;
	bool more = true;
	int ret = 0;

	while (more && (!budget || *budget > 0)) {
		struct page *batch[WB_BATCH];
		int cleaned[WB_BATCH] = { 0 };
		unsigned int n = 0, room = WB_BATCH;
		bool any = false;

		if (budget && *budget < (long)room)
			room = (unsigned int)*budget;
		/* the flusher (WB_SYNC_NONE, inline in kmm) stops at a full device queue */
		if (!sync) {
			size_t busy = nr_in_flight(pagecache_of(f->m));
			if (busy >= WB_QUEUE_PAGES)
				break;
			room = (unsigned int)KMM_MIN((size_t)room, WB_QUEUE_PAGES - busy);
		}
		more = gather_dirty(f, &idx, end, sync, trylock, batch, &n, room);
		for (unsigned int i = 0; i < n && can_write(f); i++)
			any |= (cleaned[i] = mkclean_nowait(batch[i])) != 0;
		if (any)
			mkclean_wait(f->m);
		for (unsigned int i = 0; i < n; i++) {
			struct page *page = batch[i];
			int err = -EAGAIN;
			if (can_write(f))
				err = __folio_clear_dirty_for_io(f, page, cleaned[i])
				      ? write_dirty(f, page, false, NULL) : 0;
			if (!err && budget)
				(*budget)--;
			unlock_page(page);
			put_user_page_ref(page);
			if (err && !ret)
				ret = err;
		}
	}
	return ret;
}

/* __filemap_fdatawait_range(): wait for every page of [@start, @end] under writeback. */
static void fdatawait_range(struct kmm_file *f, unsigned long start, unsigned long end)
{
	unsigned long idx = start;

	for (;;) {
		struct page *page;
		spin_lock(&f->i_pages_lock);
		page = xa_find(&f->i_pages, &idx, end, PAGECACHE_TAG_WRITEBACK);
		if (page)
			get_page(page);
		spin_unlock(&f->i_pages_lock);
		if (!page)
			break;
		folio_wait_writeback(page);
		put_user_page_ref(page);
		if (idx == end || idx == ~0UL)
			break;
		idx++;
	}
}

int filemap_fdatawrite_range(struct kmm_file *f, uint64_t start, uint64_t end)
{
	int token = procs_enter(f->m);
	int err = write_cache_pages(f, (unsigned long)(start >> PAGE_SHIFT), (unsigned long)(end >> PAGE_SHIFT),
				    NULL, false);

	procs_exit(f->m, token);
	return err;
}

/* filemap_fdatawrite_range() with WB_SYNC_ALL, then the wait: fsync's data half. */
static int fdatawrite_and_wait(struct kmm_file *f, uint64_t start, uint64_t end)
{
	int token = procs_enter(f->m);
	unsigned long first = (unsigned long)(start >> PAGE_SHIFT), last = (unsigned long)(end >> PAGE_SHIFT);
	int err = write_cache_pages(f, first, last, NULL, true);

	fdatawait_range(f, first, last);
	procs_exit(f->m, token);
	return err;
}

int filemap_write_and_wait_range(struct kmm_file *f, uint64_t start, uint64_t end)
{
	int err = fdatawrite_and_wait(f, start, end);

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
	int token = procs_enter(m);

	filemap_for_each_file(m, sync_one, &err);
	writeback_wait_all(m);	/* and the swap writes in flight (sync waits for the queue) */
	procs_exit(m, token);
	return err;
}

/* ---- The flusher and the throttle ---- */

struct wb_ctx {
	long budget;		/* pages still to start to reach the target */
	bool trylock;		/* skip pages locked by others (reclaim's wake-up) */
};

static int wb_one(struct kmm_file *f, void *arg)
{
	struct wb_ctx *c = arg;

	if (!f->a_ops || f->shmem)
		return 0;
	__write_cache_pages(f, 0, ~0UL, &c->budget, false, c->trylock);
	return c->budget <= 0;
}

/*
 * wb_writeback() for background work (WB_SYNC_NONE): start writing until
 * the dirty pages are at most @target. Return: pages started.
 */
static long __wb_writeback(struct kmm_machine *m, unsigned long target, bool trylock)
{
	unsigned long dirty = global_node_page_state(m, NR_FILE_DIRTY);
	struct wb_ctx c;

	if (dirty <= target)
		return 0;
	c.budget = (long)(dirty - target);
	c.trylock = trylock;
	filemap_for_each_file(m, wb_one, &c);
	return (long)(dirty - target) - c.budget;
}

static long wb_writeback(struct kmm_machine *m, unsigned long target)
{
	return __wb_writeback(m, target, false);
}

long wakeup_flusher_threads(struct kmm_machine *m)
{
	struct pagecache_state *st = m ? pagecache_of(m) : NULL;
	long n;
	int token;

	if (!st)
		return 0;
	token = procs_enter(m);
	atomic_fetch_add(&st->flusher_runs, 1);
	if (st->flusher_hook)
		st->flusher_hook(st->flusher_hook_arg, true);
	n = __wb_writeback(m, 0, true);	/* wb_start_writeback(): every dirty page */
	if (st->flusher_hook)
		st->flusher_hook(st->flusher_hook_arg, false);
	procs_exit(m, token);
	return n;
}

/*
 * balance_dirty_pages(), simplified: past the background threshold the
 * flusher starts writing (wb_start_background_writeback); while dirty +
 * writeback pages are over the dirty threshold the writer pauses - the
 * virtual clock moves on while writes complete - at most MAX_PAUSE a pause,
 * until they are under it. Writes that were already due end without the
 * clock moving: the writer still pauses on. It returns over the threshold
 * only when nothing is in flight and the flusher could start nothing (Linux
 * would sleep on). Linux also slows writers gently between the "freerun"
 * midpoint and the threshold (pos_ratio); kmm pauses only past it.
 */
void balance_dirty_pages_ratelimited(struct kmm_file *f)
{
	struct kmm_machine *m = f->m;
	struct pagecache_state *st = pagecache_of(m);
	bool paused = false;

	if (!st)
		return;
	for (;;) {
		unsigned long bg, thresh, nr_dirty, dirty, ended;
		uint64_t start, deadline;

		global_dirty_limits(m, &bg, &thresh);
		nr_dirty = global_node_page_state(m, NR_FILE_DIRTY);
		if (nr_dirty > bg) {
			atomic_fetch_add(&st->flusher_runs, 1);
			wb_writeback(m, bg);
		}
		dirty = global_node_page_state(m, NR_FILE_DIRTY) + global_node_page_state(m, NR_WRITEBACK);
		if (dirty <= thresh)
			return;
		if (!paused)
			atomic_fetch_add(&st->throttled, 1);
		paused = true;
		start = kmm_clock_ns(m);
		deadline = start + MAX_PAUSE_NS;
		ended = 0;
		while (global_node_page_state(m, NR_FILE_DIRTY) + global_node_page_state(m, NR_WRITEBACK) > thresh &&
		       wait_one(m, st, deadline))
			ended++;	/* (a write already due ends with no time passing) */
		if (!ended) {
			if (!nr_in_flight(st))
				return;	/* nothing to wait for: nothing a pause would change */
			clock_wait_until(m, deadline);	/* a whole MAX_PAUSE went by */
		}
		atomic_fetch_add(&st->pause_ns, kmm_clock_ns(m) - start);
	}
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
		long budget = LONG_MAX;
		write_cache_pages(f, 0, ~0UL, &budget, false);
		c->written += LONG_MAX - budget;
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
	token = procs_enter(m);
	writeback_complete(m);	/* the writes whose time has come end */
	period = (uint64_t)__atomic_load_n(&st->dirty_writeback_centisecs, __ATOMIC_RELAXED) * 10000000ull;
	expire = (uint64_t)__atomic_load_n(&st->dirty_expire_centisecs, __ATOMIC_RELAXED) * 10000000ull;
	now = kmm_clock_ns(m);
	if (!period || now - st->last_periodic < period)
		goto out;
	st->last_periodic = now;
	if (now < expire)
		goto out;
	c.cutoff = now - expire;
	filemap_for_each_file(m, write_old_file, &c);
out:
	procs_exit(m, token);
	return c.written;
}

long kmm_writeback_start(struct kmm_machine *m)
{
	struct pagecache_state *st = m ? pagecache_of(m) : NULL;
	long n;
	int token;

	if (!st)
		return -ENOENT;
	token = procs_enter(m);
	atomic_fetch_add(&st->flusher_runs, 1);
	n = wb_writeback(m, 0);
	procs_exit(m, token);
	return n;
}

long kmm_writeback_wait(struct kmm_machine *m)
{
	long n;
	int token;

	if (!m || !pagecache_of(m))
		return -ENOENT;
	token = procs_enter(m);
	n = (long)writeback_wait_all(m);
	procs_exit(m, token);
	return n;
}
