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
 * counters workingset_refault_*, _activate_*, _restore_*.
 * Kept too, for the page cache's shadows: the shadow nodes (leaf nodes
 * holding only shadows) on a list, oldest first, counted as
 * workingset_nodes, and the "mm-shadow" shrinker that frees whole nodes
 * (workingset_nodereclaim) once there are more than present_pages >> 3
 * of them (Linux's worst-case density of 1/8: a node may hold a single
 * shadow, and a refault farther than memory is dismissed anyway).
 * Simplified: no memcg (the node's lruvec), no bucket_order (a 64-bit
 * shadow keeps every bit of the age), no MGLRU; anonymous shadows live
 * beside the swap cache (one word per swap slot, mm/swap.h) rather than in
 * an xarray, so only the page cache's count as nodes; a file's shadows are
 * an xarray of their own (kmm_file.i_shadows, beside i_pages), so every
 * leaf of it is a shadow-only node; one node list per machine, its
 * counters on the first node.
 *
 * Locking: the age is an atomic; callers hold what they need for the
 * place a shadow is stored (si->lock for the swap cache, i_pages_lock for
 * a file's). The node list: i_pages_lock -> shadow_lock; the shrinker holds
 * shadow_lock and only tries i_pages_lock.
 */
#include <errno.h>

#include "mm/pagecache.h"
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

/* ---- Shadow nodes: the page cache's, and their shrinker ---- */

/* The node counters live on the first node (kmm's xa_nodes are host memory, on no node). */
static pg_data_t *shadow_pgdat(struct kmm_machine *m)
{
	return NODE_DATA_M(m, 0);
}

void workingset_update_node(struct xa_node *node)
{
	struct kmm_file *f = container_of(node->array, struct kmm_file, i_shadows);
	struct pagecache_state *st = pagecache_of(f->m);

	if (!st)
		return;		/* the layer is gone (shutdown took every node off) */
	spin_lock(&st->shadow_lock);
	if (node->count && list_empty(&node->private_list)) {
		list_add_tail(&node->private_list, &st->shadow_nodes);
		st->nr_shadow_nodes++;
		mod_node_page_state(shadow_pgdat(f->m), WORKINGSET_NODES, 1);
	} else if (!node->count && !list_empty(&node->private_list)) {
		list_del_init(&node->private_list);
		st->nr_shadow_nodes--;
		mod_node_page_state(shadow_pgdat(f->m), WORKINGSET_NODES, -1);
	}
	spin_unlock(&st->shadow_lock);
}

/*
 * count_shadow_nodes(): the nodes past what is worth keeping. A refault
 * farther than the memory of the node cannot be detected, and a node may
 * hold a single shadow, so Linux keeps at most present_pages >> 3 nodes
 * (a worst-case density of 1/8). kmm has one list for the machine: its
 * limit is the present pages of every node.
 */
static unsigned long count_shadow_nodes(struct shrinker *s, struct shrink_control *sc)
{
	struct kmm_machine *m = s->machine;
	struct pagecache_state *st = s->private_data;
	unsigned long nodes, pages = 0, max_nodes;

	(void)sc;
	spin_lock(&st->shadow_lock);
	nodes = st->nr_shadow_nodes;
	spin_unlock(&st->shadow_lock);
	if (!nodes)
		return SHRINK_EMPTY;
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		if (m->node_data[nid])
			pages += m->node_data[nid]->node_present_pages;
	max_nodes = pages >> (XA_CHUNK_SHIFT - 3);
	return nodes > max_nodes ? nodes - max_nodes : 0;
}

/*
 * scan_shadow_nodes(): free up to nr_to_scan of the oldest nodes, every
 * shadow in them (shadow_lru_isolate). Holding shadow_lock pins the file of
 * a node on the list (its shadows, hence its nodes, go before it does); its
 * i_pages_lock is only tried, since the usual order takes it first.
 */
static unsigned long scan_shadow_nodes(struct shrinker *s, struct shrink_control *sc)
{
	struct pagecache_state *st = s->private_data;
	unsigned long freed = 0;

	for (unsigned long i = 0; i < sc->nr_to_scan; i++) {
		struct xa_node *node;
		struct kmm_file *f;

		spin_lock(&st->shadow_lock);
		if (list_empty(&st->shadow_nodes)) {
			spin_unlock(&st->shadow_lock);
			sc->nr_scanned = i;
			break;
		}
		node = list_first_entry(&st->shadow_nodes, struct xa_node, private_list);
		f = container_of(node->array, struct kmm_file, i_shadows);
		if (!spin_trylock(&f->i_pages_lock)) {
			list_move_tail(&node->private_list, &st->shadow_nodes);	/* busy: later */
			spin_unlock(&st->shadow_lock);
			continue;
		}
		list_del_init(&node->private_list);
		st->nr_shadow_nodes--;
		mod_node_page_state(shadow_pgdat(f->m), WORKINGSET_NODES, -1);
		spin_unlock(&st->shadow_lock);
		xa_delete_node(&f->i_shadows, node);	/* off the list: no callback finds it there */
		spin_unlock(&f->i_pages_lock);
		mod_node_page_state(shadow_pgdat(f->m), WORKINGSET_NODERECLAIM, 1);
		freed++;
	}
	return freed;
}

int workingset_shadow_init(struct kmm_machine *m, struct pagecache_state *st)
{
	spin_lock_init(&st->shadow_lock);
	INIT_LIST_HEAD(&st->shadow_nodes);
	st->shadow_shrinker.count_objects = count_shadow_nodes;
	st->shadow_shrinker.scan_objects = scan_shadow_nodes;
	st->shadow_shrinker.seeks = 0;		/* count reports only nodes past the limit: scan half */
	st->shadow_shrinker.private_data = st;
	return kmm_register_shrinker(m, &st->shadow_shrinker, "mm-shadow");
}

void workingset_shadow_shutdown(struct kmm_machine *m, struct pagecache_state *st)
{
	unregister_shrinker(&st->shadow_shrinker);
	/*
	 * Files still mapped outlive the layer: their nodes leave the list and
	 * the count with it (WORKINGSET_NODES counts the list, as the checker
	 * holds), and are freed with their files uncounted.
	 */
	spin_lock(&st->shadow_lock);
	while (!list_empty(&st->shadow_nodes))
		list_del_init(st->shadow_nodes.next);
	mod_node_page_state(shadow_pgdat(m), WORKINGSET_NODES, -(long)st->nr_shadow_nodes);
	st->nr_shadow_nodes = 0;
	spin_unlock(&st->shadow_lock);
}

int workingset_shadow_check(struct kmm_machine *m, unsigned long leaves)
{
	struct pagecache_state *st = pagecache_of(m);
	unsigned long listed = 0;
	struct list_head *pos;
	long counted;

	if (!st)
		return 0;
	spin_lock(&st->shadow_lock);
	list_for_each(pos, &st->shadow_nodes)
		listed++;
	spin_unlock(&st->shadow_lock);
	counted = (long)node_page_state(shadow_pgdat(m), WORKINGSET_NODES);
	if (listed != leaves || listed != st->nr_shadow_nodes || counted != (long)listed)
		return kmm_set_error(-EUCLEAN, "workingset: %lu shadow nodes listed, %lu counted, "
				     "WORKINGSET_NODES %ld, %lu leaf nodes in the files' shadows",
				     listed, st->nr_shadow_nodes, counted, leaves);
	return 0;
}
