// SPDX-License-Identifier: MIT
/*
 * mm/swap.c - the LRU lists: per-node lruvecs, the per-CPU add batches that
 * feed them, activation (folio_mark_accessed), lazy free, mlock moves, and
 * the cost bookkeeping reclaim balances anon against file with.
 *
 * Linux counterpart: mm/swap.c (6.12, the classic two-list LRU without
 * MGLRU): folio_add_lru, lru_add, folio_batch_move_lru, lru_add_drain,
 * lru_add_drain_all, folio_activate, folio_mark_accessed,
 * folio_mark_lazyfree, lru_note_cost, __page_cache_release (and the batch
 * of them folios_put_refs releases under one lruvec lock:
 * page_cache_release_batch); and
 * include/linux/mm_inline.h (lruvec_add_folio, lruvec_del_folio,
 * update_lru_size). mlock's LRU moves are mm/mlock.c's mlock_folio /
 * munlock_folio halves.
 * Kept: new pages enter through a per-CPU batch of FOLIO_BATCH_SIZE (31);
 * pages land at the list head; evictability is
 * decided when a page is added or put back (mlocked -> unevictable, counted
 * unevictable_pgs_culled / _rescued); activation of a page in this CPU's
 * batch only sets PG_active; the zone and node LRU counters move with the
 * lists. Simplified: no separate activate/deactivate/lazyfree batches
 * (those moves take the lru_lock at once); a page MADV_FREE finds still in
 * another CPU slot's add batch is drained onto its list first
 * (lru_add_drain_all), so it is made lazy-free as one on a list is. An activation ages the
 * lruvec for refault detection (workingset_activation, mm/workingset.c).
 *
 * Invariant: see mm/swap.h. Locking: lru_cpu->lock -> lruvec->lru_lock; no
 * lru_lock is held while a page is freed.
 */
#include <errno.h>
#include <string.h>

#include "mm/include/mmdebug.h"
#include "mm/swap.h"

const char *const lru_list_names[NR_LRU_LISTS] = {
	"inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable",
};

/* ---- Lists and counters ---- */

void lruvec_init(struct lruvec *lruvec, pg_data_t *pgdat)
{
	spin_lock_init(&lruvec->lru_lock);
	for (int l = 0; l < NR_LRU_LISTS; l++)
		INIT_LIST_HEAD(&lruvec->lists[l]);
	lruvec->anon_cost = lruvec->file_cost = 0;
	atomic_init(&lruvec->nonresident_age, 0);
	lruvec->pgdat = pgdat;
}

void update_lru_size(struct lruvec *lruvec, enum lru_list lru, enum zone_type zid, long nr)
{
	mod_zone_page_state(&lruvec->pgdat->node_zones[zid],
			    (enum zone_stat_item)(NR_ZONE_LRU_BASE + lru), nr);
	mod_node_page_state(lruvec->pgdat, (enum node_stat_item)(NR_LRU_BASE + lru), nr);
}

unsigned long lruvec_lru_size(struct lruvec *lruvec, enum lru_list lru, int zid)
{
	unsigned long size = 0;

	for (int z = 0; z <= zid && z < MAX_NR_ZONES; z++)
		size += zone_page_state(&lruvec->pgdat->node_zones[z],
					(enum zone_stat_item)(NR_ZONE_LRU_BASE + lru));
	return size;
}

void lruvec_add_folio(struct lruvec *lruvec, struct page *page)
{
	enum lru_list lru = folio_lru_list(page);

	update_lru_size(lruvec, lru, page_zonenum(page), 1);
	list_add(&page->lru, &lruvec->lists[lru]);
}

void lruvec_del_folio(struct lruvec *lruvec, struct page *page)
{
	enum lru_list lru = folio_lru_list(page);

	list_del(&page->lru);
	update_lru_size(lruvec, lru, page_zonenum(page), -1);
}

/*
 * lru_add_decide(): decide evictability as the page goes on (an mlocked
 * page goes to the unevictable list and loses PG_active). The flag is
 * cleared only when set: the drain's common page, evictable and never
 * culled, costs no locked write for it. Context: lru_lock held.
 */
static void lru_add_decide(struct kmm_machine *m, struct page *page)
{
	bool was_unevictable = page_flag_test(page, PG_unevictable);

	if (folio_evictable(page)) {
		if (was_unevictable) {
			page_flag_clear(page, PG_unevictable);
			count_vm_event(m, UNEVICTABLE_PGRESCUED);
		}
	} else {
		page_flag_clear(page, PG_active);
		if (!was_unevictable) {
			page_flag_set(page, PG_unevictable);
			count_vm_event(m, UNEVICTABLE_PGCULLED);
		}
	}
}

/* lru_add(): lru_add_decide(), then the page at its list's head. Context: lru_lock held. */
void lru_add(struct kmm_machine *m, struct lruvec *lruvec, struct page *page)
{
	lru_add_decide(m, page);
	lruvec_add_folio(lruvec, page);
	page_flag_set(page, PG_lru);
}

/* ---- The add batches ---- */

/*
 * A drain's pages of one list and zone in a row, counted once: the zone's
 * and the node's LRU items move by the run's length instead of page by
 * page (Linux's folio_batch_move_lru() moves them per folio, on per-CPU
 * diffs; here the zone's item is an atomic in the zone, so a page at a
 * time cost a locked add on the zone's shared line for every page). The
 * run is flushed before lru_lock is dropped: whoever takes the lock sees
 * the lists and their counters agree, as before.
 */
struct lru_run {
	struct lruvec *lruvec;
	enum lru_list lru;
	enum zone_type zid;
	long nr;
};

static void lru_run_flush(struct lru_run *r)
{
	if (r->nr)
		update_lru_size(r->lruvec, r->lru, r->zid, r->nr);
	r->nr = 0;
}

/*
 * Hold @lruvec's lru_lock: when *@locked is another, flush @run and drop
 * that lock first (Linux's folio_lruvec_relock_irq() in a batch walk).
 */
static inline void lru_relock(struct lruvec **locked, struct lruvec *lruvec, struct lru_run *run)
{
	if (lruvec == *locked)
		return;
	if (*locked) {
		lru_run_flush(run);
		spin_unlock(&(*locked)->lru_lock);
	}
	spin_lock(&lruvec->lru_lock);
	*locked = lruvec;
}

/*
 * lru_add() with the counting left to the run and PG_lru left to the
 * caller. Context: lru_lock held.
 */
static void lru_add_run(struct kmm_machine *m, struct lruvec *lruvec, struct page *page,
			struct lru_run *r)
{
	enum lru_list lru;
	enum zone_type zid = page_zonenum(page);

	lru_add_decide(m, page);
	lru = folio_lru_list(page);
	if (r->nr && (r->lruvec != lruvec || r->lru != lru || r->zid != zid))
		lru_run_flush(r);
	r->lruvec = lruvec;
	r->lru = lru;
	r->zid = zid;
	r->nr++;
	list_add(&page->lru, &lruvec->lists[lru]);
}

/*
 * Move every page of @b onto its list. Context: b->lock held. A page goes
 * from the batch to its list under lru_lock, PG_lru set and PG_lru_batch
 * cleared in one atomic write (an exclusive or of the two: a page in a batch
 * has PG_lru_batch and not PG_lru, lru_cpu_check() checks it). A reader
 * never sees neither: __page_cache_release() reads the two flags without
 * the lock, and a page showing neither is one it leaves where it is.
 */
static void batch_move_lru_locked(struct kmm_machine *m, struct lru_cpu *b)
{
	struct lruvec *locked = NULL;
	struct lru_run run = { .nr = 0 };

	for (unsigned int i = 0; i < b->nr; i++) {
		struct page *page = b->pages[i];
		struct lruvec *lruvec = folio_lruvec(page);

		lru_relock(&locked, lruvec, &run);
		lru_add_run(m, lruvec, page, &run);
		unsigned long old = __atomic_fetch_xor(&page->flags,
						       (1UL << PG_lru) | (1UL << PG_lru_batch),
						       __ATOMIC_RELAXED);
		VM_BUG_ON_PAGE((old & ((1UL << PG_lru) | (1UL << PG_lru_batch))) !=
			       (1UL << PG_lru_batch), page);
	}
	if (locked) {
		lru_run_flush(&run);
		spin_unlock(&locked->lru_lock);
	}
	b->nr = 0;
}

static void drain_cpu_batch(struct kmm_machine *m, struct lru_cpu *b)
{
	spin_lock(&b->lock);
	if (b->nr)
		batch_move_lru_locked(m, b);
	spin_unlock(&b->lock);
}

void folio_add_lru(struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	struct pressure *p = pressure_of(m);
	struct lru_cpu *b;

	if (!p)
		return;
	b = per_cpu_ptr(p->cpu, kmm_this_cpu_inline(m));
	spin_lock(&b->lock);
	page_flag_set(page, PG_lru_batch);
	b->pages[b->nr++] = page;
	if (b->nr == FOLIO_BATCH_SIZE)
		batch_move_lru_locked(m, b);
	spin_unlock(&b->lock);
}

void lru_add_drain(struct kmm_machine *m)
{
	struct pressure *p = pressure_of(m);

	if (p)
		drain_cpu_batch(m, per_cpu_ptr(p->cpu, kmm_this_cpu_inline(m)));
}

void lru_add_drain_all(struct kmm_machine *m)
{
	struct pressure *p = pressure_of(m);

	if (!p)
		return;
	for (int cpu = 0; cpu < m->nr_cpus; cpu++)
		if (cpu_populated(&m->percpu, cpu))	/* else never handed out: empty */
			drain_cpu_batch(m, per_cpu_ptr(p->cpu, cpu));
}

/* A page freed while still in an add batch leaves it (the batch holds no reference). */
static void batch_remove(struct kmm_machine *m, struct page *page)
{
	struct pressure *p = pressure_of(m);

	for (int cpu = 0; cpu < m->nr_cpus && PageLRUBatch(page); cpu++) {
		struct lru_cpu *b = per_cpu_ptr(p->cpu, cpu);

		if (!cpu_populated(&m->percpu, cpu))
			continue;	/* never handed out: its batch is empty */
		spin_lock(&b->lock);
		for (unsigned int i = 0; i < b->nr; i++) {
			if (b->pages[i] != page)
				continue;
			memmove(&b->pages[i], &b->pages[i + 1], (b->nr - i - 1) * sizeof(b->pages[0]));
			b->nr--;
			page_flag_clear(page, PG_lru_batch);
			break;
		}
		spin_unlock(&b->lock);
	}
}

/* ---- Leaving the LRU ---- */

void __page_cache_release(struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	struct lruvec *lruvec;
	bool batched;

	if (!pressure_of(m))
		return;
	/*
	 * A page in an add batch leaves it here, or a drain on another CPU
	 * moves it to a list meanwhile. The drain sets PG_lru and clears
	 * PG_lru_batch in one atomic write to the flags word: a read that finds
	 * PG_lru_batch clear finds PG_lru in the same word (two steps, clear
	 * first, let a release read between them, see neither, and return
	 * while the drain put the page on a list). A page seen in a batch may
	 * be on a list by the time batch_remove() looks: PG_lru is tested
	 * under lru_lock, after the drain's move is complete. A page on
	 * neither stays so: nobody adds it now (its count is 0).
	 */
	batched = PageLRUBatch(page);
	if (batched)
		batch_remove(m, page);
	if (!batched && !PageLRU(page))
		return;
	lruvec = folio_lruvec(page);
	spin_lock(&lruvec->lru_lock);
	if (PageLRU(page)) {
		lruvec_del_folio(lruvec, page);
		page_flag_clear(page, PG_lru);
	}
	spin_unlock(&lruvec->lru_lock);
	page_flag_clear(page, PG_active);
	page_flag_clear(page, PG_unevictable);
}

/* folio_lru_list() of a page whose flags word reads @f. */
static inline enum lru_list lru_list_of(unsigned long f)
{
	if (f & (1UL << PG_unevictable))
		return LRU_UNEVICTABLE;
	return (enum lru_list)((f & (1UL << PG_swapbacked) ? 0 : LRU_FILE) +
			       (f & (1UL << PG_active) ? LRU_ACTIVE : 0));
}

/*
 * lruvec_del_folio() of @page (its flags word read as @f under lru_lock)
 * with the counting left to @r: a run of pages of one list and zone
 * leaving together. Context: lru_lock held.
 */
static void lru_del_run(struct lruvec *lruvec, struct page *page, unsigned long f,
			struct lru_run *r)
{
	enum lru_list lru = lru_list_of(f);
	enum zone_type zid = (enum zone_type)((f >> PG_ZONE_SHIFT) & ((1u << PG_ZONE_BITS) - 1));

	if (r->nr && (r->lruvec != lruvec || r->lru != lru || r->zid != zid))
		lru_run_flush(r);
	r->lruvec = lruvec;
	r->lru = lru;
	r->zid = zid;
	r->nr--;
	list_del(&page->lru);
}

/*
 * __page_cache_release() of @nr pages whose last reference went, as
 * Linux's folios_put_refs() releases a batch: lru_lock is held across the
 * pages of one lruvec in a row (taken once per batch when they share it,
 * as a munmap's do), the zone's and node's LRU items move once per run of
 * one list and zone (flushed before the lock drops, so whoever takes it
 * sees lists and counters agree), a page's flags word is read once
 * outside the lock and once under it, and its three LRU flags go in one
 * atomic and. A page still in an add batch leaves it as in
 * __page_cache_release(), with lru_lock dropped around batch_remove()
 * (lru_cpu->lock comes first in the lock order). A page on no list and in
 * no batch is left as it is, as there.
 */
void page_cache_release_batch(struct page **pages, unsigned int nr)
{
	struct kmm_machine *m;
	struct lruvec *locked = NULL;
	struct lru_run run = { .nr = 0 };

	if (!nr || !pressure_of(m = page_machine(pages[0])))
		return;
	for (unsigned int i = 0; i < nr; i++) {
		struct page *page = pages[i];
		unsigned long f = __atomic_load_n(&page->flags, __ATOMIC_RELAXED);
		struct lruvec *lruvec;

		if (f & (1UL << PG_lru_batch)) {
			if (locked) {
				lru_run_flush(&run);
				spin_unlock(&locked->lru_lock);
				locked = NULL;
			}
			batch_remove(m, page);
		} else if (!(f & (1UL << PG_lru))) {
			continue;
		}
		lruvec = node_lruvec(m, (int)((f >> PG_NODE_SHIFT) & ((1u << PG_NODE_BITS) - 1)));
		lru_relock(&locked, lruvec, &run);
		f = __atomic_load_n(&page->flags, __ATOMIC_RELAXED);
		if (f & (1UL << PG_lru))
			lru_del_run(lruvec, page, f, &run);
		__atomic_fetch_and(&page->flags,
				   ~((1UL << PG_lru) | (1UL << PG_active) | (1UL << PG_unevictable)),
				   __ATOMIC_RELAXED);
	}
	if (locked) {
		lru_run_flush(&run);
		spin_unlock(&locked->lru_lock);
	}
}

void folio_putback_lru(struct page *page)
{
	struct lruvec *lruvec = folio_lruvec(page);

	spin_lock(&lruvec->lru_lock);
	lru_add(page_machine(page), lruvec, page);
	spin_unlock(&lruvec->lru_lock);
	put_user_page_ref(page);	/* the isolation reference */
}

/* ---- Moves between lists ---- */

/*
 * folio_activate(): an inactive evictable page on a list goes to the head
 * of the active list (pgactivate).
 */
static void folio_activate(struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	struct lruvec *lruvec = folio_lruvec(page);

	spin_lock(&lruvec->lru_lock);
	if (PageLRU(page) && !page_flag_test(page, PG_active) &&
	    !page_flag_test(page, PG_unevictable)) {
		lruvec_del_folio(lruvec, page);
		page_flag_set(page, PG_active);
		lruvec_add_folio(lruvec, page);
		count_vm_event(m, PGACTIVATE);
	}
	spin_unlock(&lruvec->lru_lock);
}

/* A page still in this CPU slot's add batch is marked active; the drain puts it there. */
static void lru_cache_activate_folio(struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	struct lru_cpu *b = per_cpu_ptr(pressure_of(m)->cpu, kmm_this_cpu_inline(m));

	spin_lock(&b->lock);
	for (int i = (int)b->nr - 1; i >= 0; i--) {
		if (b->pages[i] == page) {
			page_flag_set(page, PG_active);
			break;
		}
	}
	spin_unlock(&b->lock);
}

void folio_mark_accessed(struct page *page)
{
	if (!pressure_of(page_machine(page)))
		return;
	if (!page_flag_test(page, PG_referenced)) {
		page_flag_set(page, PG_referenced);
	} else if (page_flag_test(page, PG_unevictable)) {
		/* the unevictable list is never aged: nothing to do */
	} else if (!page_flag_test(page, PG_active)) {
		if (PageLRU(page))
			folio_activate(page);
		else
			lru_cache_activate_folio(page);
		page_flag_clear(page, PG_referenced);
		workingset_activation(page);
	}
}

void folio_mark_lazyfree(struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	struct lruvec *lruvec;

	if (!pressure_of(m)) {
		page_flag_clear(page, PG_swapbacked);
		count_vm_event(m, PGLAZYFREE);
		return;
	}
	if (!PageLRU(page)) {
		lru_add_drain(m);	/* it may still sit in this slot's batch */
		/* or in another slot's (the thread that faulted it runs there): drain them all */
		if (!PageLRU(page) && PageLRUBatch(page))
			lru_add_drain_all(m);
	}
	lruvec = folio_lruvec(page);
	spin_lock(&lruvec->lru_lock);
	if (PageLRU(page) && PageAnon(page) && page_flag_test(page, PG_swapbacked) &&
	    !PageSwapCache(page) && !page_flag_test(page, PG_unevictable)) {
		lruvec_del_folio(lruvec, page);
		page_flag_clear(page, PG_active);
		page_flag_clear(page, PG_referenced);
		page_flag_clear(page, PG_swapbacked);
		lruvec_add_folio(lruvec, page);
		count_vm_event(m, PGLAZYFREE);
	}
	spin_unlock(&lruvec->lru_lock);
}

/*
 * folio_rotate_reclaimable(): a page reclaim wanted (PG_reclaim) finished its
 * write: a clean, unlocked, evictable page on a list moves to the tail of
 * its inactive list (lru_move_tail). An isolated page is left to its
 * isolator; a page in an add batch goes on a list as it is.
 */
void folio_rotate_reclaimable(struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	struct lruvec *lruvec;

	if (!pressure_of(m) || page_flag_test(page, PG_locked) || page_flag_test(page, PG_dirty) ||
	    page_flag_test(page, PG_unevictable) || !PageLRU(page))
		return;
	lruvec = folio_lruvec(page);
	spin_lock(&lruvec->lru_lock);
	if (PageLRU(page) && !page_flag_test(page, PG_unevictable)) {
		lruvec_del_folio(lruvec, page);
		page_flag_clear(page, PG_active);
		update_lru_size(lruvec, folio_lru_list(page), page_zonenum(page), 1);
		list_add_tail(&page->lru, &lruvec->lists[folio_lru_list(page)]);
		count_vm_event(m, PGROTATED);
	}
	spin_unlock(&lruvec->lru_lock);
}

/*
 * mlock_folio / munlock_folio's LRU half: PG_mlocked was just set (@to_unevictable)
 * or cleared; a page on a list moves to or from the unevictable list. A page in
 * an add batch or isolated is placed by the drain or the putback instead.
 */
static void move_unevictable(struct page *page, bool to_unevictable)
{
	struct kmm_machine *m = page_machine(page);
	struct lruvec *lruvec;

	if (!pressure_of(m) || !PageLRU(page))
		return;
	lruvec = folio_lruvec(page);
	spin_lock(&lruvec->lru_lock);
	if (PageLRU(page) && page_flag_test(page, PG_unevictable) != to_unevictable &&
	    folio_evictable(page) != to_unevictable) {
		lruvec_del_folio(lruvec, page);
		page_flag_clear(page, PG_active);
		if (to_unevictable)
			page_flag_set(page, PG_unevictable);
		else
			page_flag_clear(page, PG_unevictable);
		lruvec_add_folio(lruvec, page);
		count_vm_event(m, to_unevictable ? UNEVICTABLE_PGCULLED : UNEVICTABLE_PGRESCUED);
	}
	spin_unlock(&lruvec->lru_lock);
}

void mlock_folio_lru(struct page *page)
{
	move_unevictable(page, true);
}

void munlock_folio_lru(struct page *page)
{
	move_unevictable(page, false);
}

/* ---- Reclaim cost ---- */

void lru_note_cost(struct lruvec *lruvec, bool file, unsigned long nr_io, unsigned long nr_rotated)
{
	/* An I/O costs SWAP_CLUSTER_MAX rotations: writes are what hurts. */
	unsigned long cost = nr_io * SWAP_CLUSTER_MAX + nr_rotated;
	unsigned long lrusize;

	spin_lock(&lruvec->lru_lock);
	if (file)
		lruvec->file_cost += cost;
	else
		lruvec->anon_cost += cost;
	/* Decay: halve both once they exceed a quarter of the evictable pages. */
	lrusize = node_page_state(lruvec->pgdat, NR_INACTIVE_ANON) +
		  node_page_state(lruvec->pgdat, NR_ACTIVE_ANON) +
		  node_page_state(lruvec->pgdat, NR_INACTIVE_FILE) +
		  node_page_state(lruvec->pgdat, NR_ACTIVE_FILE);
	if (lruvec->file_cost + lruvec->anon_cost > lrusize / 4) {
		lruvec->file_cost /= 2;
		lruvec->anon_cost /= 2;
	}
	spin_unlock(&lruvec->lru_lock);
}

/* ---- Checker: the batches ---- */

int lru_cpu_check(struct kmm_machine *m, unsigned long *seen)
{
	struct pressure *p = pressure_of(m);
	int err = 0;

	for (int cpu = 0; cpu < m->nr_cpus && !err; cpu++) {
		struct lru_cpu *b = per_cpu_ptr(p->cpu, cpu);

		if (!cpu_populated(&m->percpu, cpu))
			continue;	/* never handed out: its batch is empty */
		spin_lock(&b->lock);
		for (unsigned int i = 0; i < b->nr && !err; i++) {
			struct page *page = b->pages[i];
			unsigned long pfn = page_to_pfn_m(m, page);

			if (!PageLRUBatch(page) || PageLRU(page) || page_ref_count(page) < 1)
				err = kmm_set_error(-EUCLEAN, "lru: pfn %#lx in CPU %d's add batch has "
						    "flags lru=%d batch=%d, refcount %d", pfn, cpu,
						    PageLRU(page), PageLRUBatch(page),
						    page_ref_count(page));
			else if (seen[pfn / (8 * sizeof(long))] & (1UL << (pfn % (8 * sizeof(long)))))
				err = kmm_set_error(-EUCLEAN, "lru: pfn %#lx is in an add batch twice "
						    "or also on a list", pfn);
			else
				seen[pfn / (8 * sizeof(long))] |= 1UL << (pfn % (8 * sizeof(long)));
		}
		spin_unlock(&b->lock);
	}
	return err;
}
