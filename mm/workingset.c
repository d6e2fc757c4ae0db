// SPDX-License-Identifier: MIT
/*
 * mm/workingset.c - refault detection: a page evicted from memory leaves
 * a shadow entry behind, and when it is faulted in again the shadow tells
 * whether it would have stayed resident had the active list been smaller.
 * Such a page starts on the active list.
 *
 * The idea (Johannes Weiner's, Linux 3.15 onwards). Each lruvec counts
 * "non-resident age": every eviction and every activation moves it by one
 * page. A shadow records the count at eviction. At refault, the distance
 * (count now - count then) is how much the inactive list would have had
 * to grow to keep the page; if that is no more than the workingset the
 * page competes with, the page is part of the workingset: it is activated
 * (workingset_activate_*), and if it was active before it went
 * (PG_workingset at eviction) the refault also counts as a restore
 * (workingset_restore_*) and as an I/O cost of its type for
 * get_scan_count (lru_note_cost).
 *
 * Linux counterpart: mm/workingset.c (6.12): workingset_age_nonresident,
 * workingset_eviction, workingset_test_recent, workingset_refault,
 * workingset_activation, pack_shadow/unpack_shadow. Kept: the distance
 * test and the workingset size (an anon refault competes with the file
 * lists and, while swap has room, the active anon list; a file refault
 * with active file and, while swap has room, both anon lists); the
 * counters workingset_refault_*, _activate_*, _restore_*. Simplified: no
 * memcg (the node's lruvec), no bucket_order (a 64-bit shadow keeps every
 * bit of the age), no MGLRU; shadows live beside the swap cache (one word
 * per swap slot, mm/swap.h) rather than in an xarray, so there is no
 * shadow-node shrinker (workingset_nodes stays 0). The page cache's file
 * half (shadows in i_pages) is the page cache's to call.
 *
 * Locking: the age is an atomic; callers hold what they need for the
 * place a shadow is stored (si->lock for the swap cache).
 */
#include "mm/swap.h"

/*
 * A shadow: bit 0 set (Linux's xa_mk_value tag, so 0 is "no shadow"),
 * bit 1 PG_workingset at eviction, then the node id, then the age.
 */
#define SHADOW_NODE_BITS	6	/* MAX_NUMNODES <= 64 */
#define SHADOW_AGE_SHIFT	(2 + SHADOW_NODE_BITS)
#define SHADOW_AGE_MASK		(~0UL >> SHADOW_AGE_SHIFT)

_Static_assert(MAX_NUMNODES <= (1 << SHADOW_NODE_BITS), "node id must fit a shadow");

static unsigned long pack_shadow(int nid, unsigned long age, bool workingset)
{
	return ((age & SHADOW_AGE_MASK) << SHADOW_AGE_SHIFT) | ((unsigned long)nid << 2) |
	       ((unsigned long)workingset << 1) | 1UL;
}

static void unpack_shadow(unsigned long shadow, int *nid, unsigned long *age, bool *workingset)
{
	*workingset = shadow & 2UL;
	*nid = (int)((shadow >> 2) & ((1UL << SHADOW_NODE_BITS) - 1));
	*age = shadow >> SHADOW_AGE_SHIFT;
}

void workingset_age_nonresident(struct lruvec *lruvec, unsigned long nr_pages)
{
	atomic_fetch_add_explicit(&lruvec->nonresident_age, nr_pages, memory_order_relaxed);
}

unsigned long workingset_eviction(struct page *page)
{
	struct lruvec *lruvec = folio_lruvec(page);
	unsigned long age = atomic_load_explicit(&lruvec->nonresident_age, memory_order_relaxed);

	workingset_age_nonresident(lruvec, 1);
	return pack_shadow(page_to_nid(page), age, page_flag_test(page, PG_workingset));
}

bool workingset_test_recent(struct kmm_machine *m, unsigned long shadow, bool file,
			    bool *workingset)
{
	unsigned long eviction, refault, distance, size;
	struct lruvec *lruvec;
	pg_data_t *pgdat;
	int nid;

	unpack_shadow(shadow, &nid, &eviction, workingset);
	if (nid >= m->nr_node_ids || !(pgdat = m->node_data[nid]))
		return false;
	lruvec = node_lruvec(m, nid);
	refault = atomic_load_explicit(&lruvec->nonresident_age, memory_order_relaxed);
	/* Both counts wrap alike: the distance is their difference in the age's bits. */
	distance = (refault - eviction) & SHADOW_AGE_MASK;
	size = node_page_state(pgdat, NR_ACTIVE_FILE);
	if (!file)
		size += node_page_state(pgdat, NR_INACTIVE_FILE);
	if (get_nr_swap_pages(m) > 0) {
		size += node_page_state(pgdat, NR_ACTIVE_ANON);
		if (file)
			size += node_page_state(pgdat, NR_INACTIVE_ANON);
	}
	return distance <= size;
}

void workingset_refault(struct page *page, unsigned long shadow)
{
	struct kmm_machine *m = page_machine(page);
	bool file = folio_is_file_lru(page), workingset;
	pg_data_t *pgdat = page_pgdat(page);
	struct lruvec *lruvec = folio_lruvec(page);

	mod_node_page_state(pgdat, file ? WORKINGSET_REFAULT_FILE : WORKINGSET_REFAULT_ANON, 1);
	if (!workingset_test_recent(m, shadow, file, &workingset))
		return;
	page_flag_set(page, PG_active);
	workingset_age_nonresident(lruvec, 1);
	mod_node_page_state(pgdat, file ? WORKINGSET_ACTIVATE_FILE : WORKINGSET_ACTIVATE_ANON, 1);
	if (workingset) {
		/* it was active before it went: the refault is an I/O cost of its type */
		page_flag_set(page, PG_workingset);
		lru_note_cost(lruvec, file, 1, 0);
		mod_node_page_state(pgdat, file ? WORKINGSET_RESTORE_FILE : WORKINGSET_RESTORE_ANON, 1);
	}
}

void workingset_activation(struct page *page)
{
	workingset_age_nonresident(folio_lruvec(page), 1);
}
