// SPDX-License-Identifier: MIT
/*
 * mm/pressure.c - the pressure layer of a machine: its state, boot options
 * (swapdir=, kswapd=), init, drain, shutdown, and its invariant checker
 * (LRU lists, add batches, swap map; see mm/swap.h).
 *
 * Linux counterpart: the initcalls that set up lruvecs (lruvec_init in
 * pgdat_init_internals), kswapd_init/kswapd_run, swapfile_init; the
 * checker has none (Linux's VM_BUG_ONs are scattered checks of the same
 * facts).
 *
 * Hooks installed here: m->reclaim (try_to_free_pages), and the process
 * layer's swapin / swap_free / swap_dup (do_swap_page,
 * free_swap_and_cache, swap_dup_pte). m->oom is the OOM killer's ("oom"
 * layer): the page allocator calls it after reclaim gave up.
 *
 * Locking: the checker stops the process layer's world (procs_stop), then
 * takes the batch locks, each lru_lock, swap_lock and si->lock, in the
 * order of mm/swap.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/kmm/swap.h"
#include "mm/include/subsys.h"
#include "mm/swap.h"

/* ---- Boot options ---- */

static int validate_kswapd(const char *val, char *err, size_t len)
{
	if (val && (!strcmp(val, "step") || !strcmp(val, "thread")))
		return 0;
	snprintf(err, len, "kswapd= takes step or thread");
	return -EINVAL;
}

static int validate_swapdir(const char *val, char *err, size_t len)
{
	if (val && val[0] == '/' && strlen(val) < 3000)
		return 0;
	snprintf(err, len, "swapdir= takes an absolute host directory");
	return -EINVAL;
}

static void pressure_boot_options(void)
{
	kmm_register_boot_option("kswapd", validate_kswapd);
	kmm_register_boot_option("swapdir", validate_swapdir);
}

/* ---- The checker ---- */

#define BITS_PER_LONG_ (8 * sizeof(long))

static bool test_seen(const unsigned long *seen, unsigned long pfn)
{
	return seen[pfn / BITS_PER_LONG_] & (1UL << (pfn % BITS_PER_LONG_));
}

/* Every list of @lruvec: flags, node, no page twice, lengths = counters. */
static int check_lruvec(struct kmm_machine *m, struct lruvec *lruvec, unsigned long *seen)
{
	pg_data_t *pgdat = lruvec->pgdat;
	int err = 0;

	spin_lock(&lruvec->lru_lock);
	for (int lru = 0; lru < NR_LRU_LISTS && !err; lru++) {
		unsigned long per_zone[MAX_NR_ZONES] = { 0 }, n = 0;
		unsigned long limit = node_page_state(pgdat, (enum node_stat_item)(NR_LRU_BASE + lru));
		struct list_head *pos;

		for (pos = lruvec->lists[lru].next; pos != &lruvec->lists[lru] && !err; pos = pos->next) {
			struct page *page = list_entry(pos, struct page, lru);
			unsigned long pfn = page_to_pfn_m(m, page);

			if (++n > limit) {
				err = kmm_set_error(-EUCLEAN, "lru: node %d's %s list is longer than its "
						    "counter %lu", pgdat->node_id, lru_list_names[lru],
						    limit);
				break;
			}
			if (pfn >= m->max_pfn || PageBuddy(page) || PageSlab(page) || PageTable(page))
				err = kmm_set_error(-EUCLEAN, "lru: %s list holds pfn %#lx, which is not a "
						    "user page", lru_list_names[lru], pfn);
			else if (!PageLRU(page) || PageLRUBatch(page) || (int)folio_lru_list(page) != lru)
				err = kmm_set_error(-EUCLEAN, "lru: pfn %#lx on the %s list has lru=%d "
						    "batch=%d and belongs on %s", pfn,
						    lru_list_names[lru], PageLRU(page), PageLRUBatch(page),
						    lru_list_names[folio_lru_list(page)]);
			else if (page_to_nid(page) != pgdat->node_id)
				err = kmm_set_error(-EUCLEAN, "lru: pfn %#lx of node %d is on node %d's "
						    "lists", pfn, page_to_nid(page), pgdat->node_id);
			else if (page_ref_count(page) < 1)
				err = kmm_set_error(-EUCLEAN, "lru: pfn %#lx on the %s list has refcount "
						    "%d", pfn, lru_list_names[lru], page_ref_count(page));
			else if ((lru == (int)LRU_UNEVICTABLE) != !folio_evictable(page))
				err = kmm_set_error(-EUCLEAN, "lru: pfn %#lx has mlocked=%d but is on the "
						    "%s list", pfn, page_flag_test(page, PG_mlocked),
						    lru_list_names[lru]);
			else if (test_seen(seen, pfn))
				err = kmm_set_error(-EUCLEAN, "lru: pfn %#lx is on two lists (or a list "
						    "and an add batch)", pfn);
			if (err)
				break;
			seen[pfn / BITS_PER_LONG_] |= 1UL << (pfn % BITS_PER_LONG_);
			per_zone[page_zonenum(page)]++;
		}
		if (err)
			break;
		if (n != limit)
			err = kmm_set_error(-EUCLEAN, "lru: node %d's %s list has %lu pages, its counter "
					    "%lu", pgdat->node_id, lru_list_names[lru], n, limit);
		for (int z = 0; z < MAX_NR_ZONES && !err; z++) {
			unsigned long c = zone_page_state(&pgdat->node_zones[z],
							  (enum zone_stat_item)(NR_ZONE_LRU_BASE + lru));
			if (c != per_zone[z])
				err = kmm_set_error(-EUCLEAN, "lru: zone %s of node %d counts %lu pages "
						    "on %s, the list has %lu",
						    zone_names[z], pgdat->node_id, c, lru_list_names[lru],
						    per_zone[z]);
		}
	}
	spin_unlock(&lruvec->lru_lock);
	return err;
}

struct mapped_ctx {
	struct kmm_machine *m;
	struct vm_area_struct *vma;
	const unsigned long *seen;
	int err;
};

static int check_mapped_pte(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct mapped_ctx *c = arg;
	struct page *page;

	(void)slot;
	if (!pte_present(v) || !(page = vm_normal_page(c->vma, (unsigned long)va, v)))
		return 0;
	if (!test_seen(c->seen, page_to_pfn_m(c->m, page))) {
		c->err = kmm_set_error(-EUCLEAN, "lru: pfn %#lx mapped at %#lx is on no LRU list and "
				       "in no add batch", page_to_pfn_m(c->m, page), (unsigned long)va);
		return 1;
	}
	return 0;
}

static int check_file_pages(struct kmm_machine *m, struct kmm_file *f, const unsigned long *seen)
{
	unsigned long i;
	struct page *page;

	if (!f)
		return 0;
	xa_for_each(&f->i_pages, i, page)
		if (!test_seen(seen, page_to_pfn_m(m, page)))
			return kmm_set_error(-EUCLEAN, "lru: page %lu of %s (pfn %#lx) is on no LRU list",
					     i, f->path, page_to_pfn_m(m, page));
	return 0;
}

/* Mapped, page-cache and swap-cache pages are all on a list or in a batch. */
static int check_user_pages(struct kmm_machine *m, const unsigned long *seen)
{
	struct kmm_procs *procs = procs_of(m);
	struct pressure *p = pressure_of(m);
	struct list_head *pos;
	int err = 0;

	if (procs) {
		tasklist_lock(m);	/* the world is stopped: nothing else changes */
		list_for_each(pos, &procs->tasks) {
			struct task_struct *t = list_entry(pos, struct task_struct, tasks);
			struct mm_struct *mm = t->mm;
			struct vm_area_struct *vma;
			if (!mm)
				continue;
			VMA_ITERATOR(vmi, mm, 0);
			for_each_vma(vmi, vma) {
				struct mapped_ctx c = { m, vma, seen, 0 };
				pgtable_for_each_leaf(&mm->pgt, vma->vm_start, vma->vm_end, false,
						      check_mapped_pte, &c);
				err = c.err;
				if (!err)
					err = check_file_pages(m, vma->vm_file, seen);
				if (err)
					break;
			}
			if (!err)
				err = check_file_pages(m, mm->exe_file, seen);
			if (err)
				break;
		}
		tasklist_unlock(m);
		if (err)
			return err;
	}
	spin_lock(&p->swap_lock);
	for (int t = 0; t < p->nr_swapfiles && !err; t++) {
		struct swap_info_struct *si = p->swap_info[t];
		if (!si)
			continue;
		spin_lock(&si->lock);
		for (unsigned long off = 0; off < si->max && !err; off++) {
			struct page *page = si->swap_cache[off];
			if (page && !test_seen(seen, page_to_pfn_m(m, page)))
				err = kmm_set_error(-EUCLEAN, "lru: the swap cache page of %s slot %lu "
						    "(pfn %#lx) is on no LRU list", si->path, off,
						    page_to_pfn_m(m, page));
		}
		spin_unlock(&si->lock);
	}
	spin_unlock(&p->swap_lock);
	return err;
}

static int pressure_check(struct kmm_machine *m)
{
	struct pressure *p = pressure_of(m);
	unsigned long words = (m->max_pfn + BITS_PER_LONG_ - 1) / BITS_PER_LONG_;
	unsigned long *seen;
	int err;

	if (!p)
		return 0;
	seen = calloc(words ? words : 1, sizeof(long));
	if (!seen)
		return kmm_set_error(-ENOMEM, "pressure check: no memory");
	/* The world stops: no process-layer entry point (and so no reclaim pass) runs. */
	bool stopped = procs_of(m) && procs_stop(m) == 0;
	err = lru_cpu_check(m, seen);
	for (int nid = 0; nid < m->nr_node_ids && !err; nid++)
		if (m->node_data[nid])
			err = check_lruvec(m, &p->node[nid].lruvec, seen);
	if (!err && stopped) {
		/* Reclaim isolates only inside procs_enter(), which procs_stop() waited out. */
		unsigned long iso = global_node_page_state(m, NR_ISOLATED_ANON) +
				    global_node_page_state(m, NR_ISOLATED_FILE);
		if (iso)
			err = kmm_set_error(-EUCLEAN, "lru: %lu pages isolated outside any reclaim pass",
					    iso);
	}
	if (!err)
		err = check_user_pages(m, seen);
	if (!err)
		err = swapfile_check(m);
	if (stopped)
		procs_resume(m);
	free(seen);
	return err;
}

/* ---- Init, drain, shutdown ---- */

static void pressure_drain(struct kmm_machine *m)
{
	lru_add_drain_all(m);
}

/* Give every swap cache page back (the areas go away with the layer). */
static void drop_swap_cache(struct kmm_machine *m)
{
	struct pressure *p = pressure_of(m);

	for (int t = 0; t < MAX_SWAPFILES; t++) {
		struct swap_info_struct *si = p->swap_info[t];
		for (unsigned long off = 1; si && off < si->max; off++) {
			struct page *page = si->swap_cache[off];
			if (!page)
				continue;
			get_page(page);
			delete_from_swap_cache(page);
			put_user_page_ref(page);
		}
	}
}

static void pressure_meminfo(struct kmm_machine *m, struct meminfo_extra *x)
{
	long free = get_nr_swap_pages(m);

	x->swap_total = total_swap_pages(m);
	x->swap_free = free > 0 ? (unsigned long)free : 0;
}

static void pressure_shutdown(struct kmm_machine *m)
{
	struct pressure *p = pressure_of(m);
	struct kmm_procs *procs = procs_of(m);

	if (!p)
		return;
	kswapd_shutdown(m);
	lru_add_drain_all(m);
	m->reclaim = NULL;
	if (procs) {
		procs->swapin = NULL;
		procs->swapin_range = NULL;
		procs->swap_free = NULL;
		procs->swap_dup = NULL;
	}
	drop_swap_cache(m);
	swap_shutdown(m);
	m->subsys[SUBSYS_PRESSURE] = NULL;
	pcpu_free(m, p->cpu);
	sim_release(p, sizeof(*p));
}

static int pressure_init(struct kmm_machine *m)
{
	const char *mode = kmm_boot_option(m, "kswapd");
	const char *dir = kmm_boot_option(m, "swapdir");
	/*
	 * 40 KiB, most of it per possible node (MAX_NUMNODES) and the swap
	 * directory's name: zeroed pages from the host, committed as touched
	 * (a machine with one node and no swapdir= touches two of them:
	 * mm/swap.h orders the struct for it).
	 */
	struct pressure *p = sim_reserve(sizeof(*p), true);
	struct kmm_procs *procs = procs_of(m);
	int err;

	if (!p)
		return kmm_set_error(-ENOMEM, "pressure: no memory for its state");
	/*
	 * The LRU add batches: per-CPU data, all zero to start (an unlocked
	 * lock, no page), so a slot's is touched only when it first adds a page.
	 */
	p->cpu = pcpu_alloc(m, sizeof(*p->cpu), NULL, NULL);
	if (!p->cpu) {
		sim_release(p, sizeof(*p));
		return kmm_set_error(-ENOMEM, "pressure: no memory for its state");
	}
	p->m = m;
	p->kswapd_mode = mode && !strcmp(mode, "thread") ? KSWAPD_THREAD : KSWAPD_STEP;
	p->swappiness = 60;
	p->page_cluster = 3;
	p->least_priority = -1;
	spin_lock_init(&p->swap_lock);
	if (dir) {
		if (!sim_dir_exists(dir)) {
			pcpu_free(m, p->cpu);
			sim_release(p, sizeof(*p));
			return kmm_set_error(-ENOENT, "swapdir=%s: no such host directory", dir);
		}
		snprintf(p->swapdir, sizeof(p->swapdir), "%s", dir);
	}
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		if (m->node_data[nid])
			lruvec_init(&p->node[nid].lruvec, m->node_data[nid]);
	m->subsys[SUBSYS_PRESSURE] = p;
	if ((err = kswapd_init(m)) != 0) {
		kswapd_shutdown(m);
		m->subsys[SUBSYS_PRESSURE] = NULL;
		pcpu_free(m, p->cpu);
		sim_release(p, sizeof(*p));
		return err;
	}
	m->reclaim = try_to_free_pages;
	if (procs) {
		procs->swapin = do_swap_page;
		procs->swapin_range = swapin_walk_range;
		procs->swap_free = free_swap_and_cache;
		procs->swap_dup = swap_dup_pte;
	}
	return 0;
}

/* vm.swappiness 0..200 (default 60), vm.page-cluster 0..31 (default 3). */
static const struct ctl_table pressure_sysctls[] = {
	{ .procname = "vm/swappiness", .offset = offsetof(struct pressure, swappiness),
	  .maxlen = 1, .mode = 0644, .proc_handler = proc_dointvec_minmax, .extra1 = 0,
	  .extra2 = MAX_SWAPPINESS },
	{ .procname = "vm/page-cluster", .offset = offsetof(struct pressure, page_cluster),
	  .maxlen = 1, .mode = 0644, .proc_handler = proc_dointvec_minmax, .extra1 = 0,
	  .extra2 = 31 },
	{ 0 },
};

/* The pressure layer's entry of the subsystem table; its state is pressure_of(m). */
const struct kmm_subsys pressure_subsys = {
	.name = "pressure",
	.id = SUBSYS_PRESSURE,
	.boot_options = pressure_boot_options,
	.init = pressure_init,
	.check = pressure_check,
	.drain = pressure_drain,
	.shutdown = pressure_shutdown,
	.sysctls = pressure_sysctls,
	.meminfo = pressure_meminfo,
};
