// SPDX-License-Identifier: MIT
/*
 * mm/pressure_views.c - what proc/ and cli/ may see of the pressure layer:
 * swap area paths, kswapd's reports and counters, a peek at the LRU lists,
 * and where one page of a process is (on which list, or out in swap).
 *
 * Linux counterpart: none as such (Linux shows its LRU lists only as
 * counters and kswapd runs unseen); the facts come from the same state
 * mm/swapfile.c, mm/vmscan.c and mm/memory.c keep.
 *
 * Locking: each view takes what it reads under (swap_lock, a kswapd's lock,
 * lru_lock, the mm's mmap_lock and a PTE table's lock) and copies it out.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mm/swap.h"

bool pressure_up(const struct kmm_machine *m)
{
	return m && pressure_of(m);
}

void swap_entry_path(struct kmm_machine *m, swp_entry_t e, char *buf, size_t len)
{
	struct pressure *p = pressure_of(m);
	struct swap_info_struct *si;

	snprintf(buf, len, "?");
	if (!p || swp_type(e) >= MAX_SWAPFILES)
		return;
	spin_lock(&p->swap_lock);
	si = p->swap_info[swp_type(e)];
	if (si)
		snprintf(buf, len, "%s", si->path);
	spin_unlock(&p->swap_lock);
}

bool swap_first_active_area(struct kmm_machine *m, char *buf, size_t len)
{
	struct pressure *p = pressure_of(m);
	bool found = false;

	if (!p)
		return false;
	spin_lock(&p->swap_lock);
	for (int t = 0; t < p->nr_swapfiles && !found; t++) {
		struct swap_info_struct *si = p->swap_info[t];
		if (si && (si->flags & SWP_WRITEOK)) {
			snprintf(buf, len, "%s", si->path);
			found = true;
		}
	}
	spin_unlock(&p->swap_lock);
	return found;
}

/* ---- kswapd ---- */

bool kswapd_take_report(struct kmm_machine *m, int nid, struct kswapd_report *r)
{
	struct pressure *p = pressure_of(m);
	struct kswapd *k;
	bool ret = false;

	if (!p || nid < 0 || nid >= m->nr_node_ids)
		return false;
	k = &p->node[nid].kswapd;
	if (!k->pgdat)
		return false;
	spin_lock(&k->lock);
	if (k->has_report) {
		*r = k->last;
		k->has_report = false;
		ret = true;
	}
	spin_unlock(&k->lock);
	return ret;
}

bool kswapd_thread_mode(struct kmm_machine *m)
{
	struct pressure *p = pressure_of(m);

	return p && p->kswapd_mode == KSWAPD_THREAD;
}

void kswapd_totals(struct kmm_machine *m, struct kswapd_totals *t)
{
	struct pressure *p = pressure_of(m);

	memset(t, 0, sizeof(*t));
	if (!p)
		return;
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		struct kswapd *k = &p->node[nid].kswapd;
		if (!k->pgdat)
			continue;
		spin_lock(&k->lock);
		t->runs += k->runs;
		t->reclaimed += k->reclaimed;
		spin_unlock(&k->lock);
		t->woken += atomic_load(&k->woken);
	}
}

/* ---- The LRU lists ---- */

unsigned long lru_list_peek(struct kmm_machine *m, int nid, enum lru_list lru, struct page **head,
			    unsigned long *nh, struct page **tail, unsigned long *nt,
			    unsigned long max)
{
	struct lruvec *lruvec = node_lruvec(m, nid);
	struct list_head *list = &lruvec->lists[lru], *pos;
	unsigned long n = 0;

	*nh = *nt = 0;
	spin_lock(&lruvec->lru_lock);
	list_for_each(pos, list) {
		if (*nh < max)
			head[(*nh)++] = list_entry(pos, struct page, lru);
		n++;
	}
	for (pos = list->prev; pos != list && *nt < max && *nt + *nh < n; pos = pos->prev)
		tail[(*nt)++] = list_entry(pos, struct page, lru);
	spin_unlock(&lruvec->lru_lock);
	return n;
}

void lru_page_flags(const struct page *page, char *buf)
{
	char *p = buf;

	if (page_flag_test(page, PG_referenced))
		*p++ = 'R';
	if (page_flag_test(page, PG_dirty))
		*p++ = 'D';
	if (PageSwapCache(page))
		*p++ = 'S';
	if (page_flag_test(page, PG_workingset))
		*p++ = 'W';
	if (page_flag_test(page, PG_mlocked))
		*p++ = 'L';
	if (p == buf)
		*p++ = '-';
	*p = '\0';
}

/* ---- One page of a process ---- */

static void view_swap_entry(struct kmm_machine *m, swp_entry_t e, struct page_view *v)
{
	v->has_swap = true;
	swap_entry_path(m, e, v->swap_path, sizeof(v->swap_path));
	v->swap_slot = swp_offset(e);
	v->swap_type = swp_type(e);
	v->swap_count = swp_swapcount(m, e);
}

static void view_page(struct page *page, struct page_view *v)
{
	v->pfn = page_to_pfn(page);
	v->zone = zone_names[page_zonenum(page)];
	v->lru = PageLRU(page) ? (int)folio_lru_list(page) : PageLRUBatch(page) ? -2 : -1;
	lru_page_flags(page, v->flags);
	v->mapcount = page_mapcount(page);
}

int page_view_of(struct task_struct *t, unsigned long va, struct page_view *v)
{
	struct kmm_machine *m = t->machine;
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	struct page *page = NULL;
	spinlock_t *ptl;
	pteval_t pte;
	int token;

	memset(v, 0, sizeof(*v));
	v->va = va & PAGE_MASK;
	v->lru = -1;
	token = procs_enter(m);
	mm = get_task_mm(t);
	if (!mm) {
		procs_exit(m, token);
		return -ESRCH;
	}
	mmap_read_lock(mm);
	vma = find_vma(mm, v->va);
	if (vma && vma->vm_start > v->va)
		vma = NULL;
	/*
	 * The page a present PTE maps is taken with a reference under the
	 * page-table lock (as follow_page_pte): once the lock is dropped a zap
	 * may free it, and its frame could be viewed as someone else's page.
	 */
	void *slot = pte_offset_map_lock(mm, v->va, &ptl);
	pte = slot ? pte_get(&mm->pgt, slot) : 0;
	if (vma && pte_present(pte) && (page = vm_normal_page(vma, v->va, pte)) != NULL)
		get_page(page);
	if (slot)
		pte_unmap_unlock(ptl);
	if (!vma) {
		v->where = PAGE_WHERE_UNMAPPED;
	} else if (pte_none(pte)) {
		v->where = PAGE_WHERE_NONE;
	} else if (is_poisoned_pte(mm->pgt.geo, pte)) {
		v->where = PAGE_WHERE_POISONED;	/* no slot behind it: nothing to look up */
	} else if (!pte_present(pte)) {
		const struct pgtable_geometry *g = mm->pgt.geo;
		swp_entry_t e = swp_entry(pte_swp_type(g, pte), pte_swp_offset(g, pte));
		struct page *cached = pressure_of(m) ? swap_cache_get(m, e) : NULL;

		v->where = PAGE_WHERE_SWAPPED;
		view_swap_entry(m, e, v);
		if (cached) {
			v->in_swap_cache = true;
			view_page(cached, v);
			put_user_page_ref(cached);
		}
	} else {
		v->young = pte_young(pte);
		v->dirty = pte_dirty(pte);
		if (!page) {
			v->where = PAGE_WHERE_ZERO;
		} else {
			v->where = PAGE_WHERE_PRESENT;
			view_page(page, v);
			if (PageSwapCache(page))
				view_swap_entry(m, page_swap_entry(page), v);
		}
	}
	if (page)
		put_user_page_ref(page);
	mmap_read_unlock(mm);
	mmput(mm);
	procs_exit(m, token);
	return 0;
}
