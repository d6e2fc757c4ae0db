// SPDX-License-Identifier: MIT
/*
 * mm/slub_cache.c - a cache's slabs as a whole: making a slab and giving it
 * back (new_slab, __free_slab, discard_slab), the node lists' bookkeeping,
 * the cache-wide operations (flush_all, shrink, shutdown), and handing a
 * cache its shadow code and taking it back.
 *
 * Linux counterpart: mm/slub.c (6.12): allocate_slab/new_slab, __free_slab
 * and discard_slab, add_partial/remove_partial (here with the classic
 * SLAB's empty and full lists), flush_all, __kmem_cache_shrink and
 * __kmem_cache_shutdown. Split from mm/slub.c, which keeps the per-CPU
 * fast and slow paths, to keep both under STYLE.md's 1,500 lines.
 *
 * Invariant: see mm/slab.h.
 *
 * Locking: as mm/slub.c: CPU slot guard -> n->list_lock -> slab lock ->
 * zone->lock; no slab lock across alloc_pages (new_slab takes none).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/vmstat.h"
#include "mm/slab.h"

/* ---- Slab creation and destruction ---- */

unsigned long slab_rng_next(struct slab_machine *st)
{
	spin_lock(&st->rng_lock);
	uint64_t x = st->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	st->rng = x;
	spin_unlock(&st->rng_lock);
	return (unsigned long)(x * 0x2545f4914f6cdd1dull);
}

static inline enum node_stat_item slab_stat_item(const struct kmem_cache *s)
{
	return (s->flags & SLAB_RECLAIM_ACCOUNT) ? NR_SLAB_RECLAIMABLE_B : NR_SLAB_UNRECLAIMABLE_B;
}

/*
 * chain_objects() - link a new slab's @objects objects, from @first on, into
 * its freelist: in address order, or in the cache's shuffled order
 * (slab_freelist_random=on); the last one's link is @tail. Return: the
 * chain's first object. Address
 * order walks one pointer up by s->size and stores each link plain when
 * the free pointers are not hardened (s->random 0): a store, an add and a
 * compare per object, where index_to_obj() and set_freepointer() per
 * object cost ~30 instructions (callgrind, free_storm 1 100 10000: new_slab
 * 51 -> 20 M of 321 M; every round's slabs are new there).
 */
static void *chain_objects(struct kmem_cache *s, char *first, unsigned int objects, void *tail)
{
	struct slab_machine *st = slab_state(s->machine);
	size_t size = s->size;

	if (s->random_seq) {
		void *head = NULL, *prev = NULL;
		unsigned int pos = (unsigned int)(slab_rng_next(st) % s->objects);
		for (unsigned int k = 0; k < s->objects; k++) {
			unsigned int idx = s->random_seq[(pos + k) % s->objects];
			if (idx >= objects)
				continue;
			void *p = first + (size_t)idx * size;
			if (prev)
				set_freepointer(s, prev, p);
			else
				head = p;
			prev = p;
		}
		set_freepointer(s, prev, tail);
		return head;
	}
	char *p = first, *last = first + (size_t)(objects - 1) * size;
	if (!s->random) {
		for (; p < last; p += size)
			set_freepointer_plain(s, p, p + size);
		set_freepointer_plain(s, p, tail);
	} else {
		for (; p < last; p += size)
			set_freepointer(s, p, p + size);
		set_freepointer(s, p, tail);
	}
	return first;
}

/* slab_chain_fresh(): mm/slab.h */
void *slab_chain_fresh(struct kmem_cache *s, struct slab *slab, bool all, void *tail)
{
	unsigned int from = slab_fresh(slab), n = slab->objects - from;

	if (!n)
		return tail;
	char *first = index_to_obj(s, slab, from);
	if (!all) {
		/* the objects whose free pointer lies in the first one's page */
		uintptr_t fp = (uintptr_t)first + s->offset;
		uintptr_t room = ALIGN_DOWN(fp, PAGE_SIZE) + PAGE_SIZE - fp;
		n = KMM_MIN(n, (unsigned int)((room - 1) / s->size) + 1);
	}
	slab_set_fresh(slab, from + n);
	return chain_objects(s, first, n, tail);
}

struct slab *new_slab(struct kmem_cache *s, gfp_t gfp, int node, bool lazy)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	gfp_t flags = (gfp & (__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_NOWARN | __GFP_NORETRY |
			      __GFP_NOFAIL | __GFP_HIGH | __GFP_MEMALLOC | __GFP_NOMEMALLOC |
			      __GFP_THISNODE | __GFP_HARDWALL | __GFP_RETRY_MAYFAIL)) |
		      s->allocflags;
	unsigned int order = s->order, objects = s->objects;
	struct page *page;

	page = kmm_alloc_pages(m, (flags | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL, order,
			       node);
	/* as allocate_slab(): the first try may fail under pressure; the second,
	 * at the minimum order (maybe the same), has the caller's own flags */
	if (!page) {
		order = s->min_order;
		objects = s->min_objects;
		page = kmm_alloc_pages(m, flags, order, node);
	}
	if (!page)
		return NULL;

	struct slab *slab = page_slab(page);
	char *addr = slab_addr_m(m, slab);
	size_t bytes = PAGE_SIZE << order;
	unsigned int colours = (unsigned int)((bytes - (size_t)objects * s->size) / s->colour_off);
	struct kmem_cache_node *n = get_node(s, page_to_nid(page));

	slab->slab_list.next = slab->slab_list.prev = NULL;
	slab->slab_cache = s;
	slab->freelist = NULL;
	slab->inuse = 0;
	slab->objects = (unsigned short)objects;
	slab->frozen = 0;
	slab_set_list(slab, SLAB_LIST_NONE);
	slab->colour = 0;
	if (colours > 1)
		slab->colour = (unsigned short)((__atomic_fetch_add(&n->colour_next, 1,
								    __ATOMIC_RELAXED) %
						 colours) * s->colour_off);
	slab->rcu_seq = 0;
	__page_set_type_release(page, PGTY_slab);	/* for_each_full_off_slab() */
	/* No FREE marks left by an earlier slab here: those starts were never this slab's. */
	memset(shadow_of(st, m, addr), 0, bytes >> st->shadow_shift);

	if (s->flags & SLAB_POISON)
		memset(addr, POISON_INUSE, bytes);

	/* Set up every object (debug caches, constructors), then chain them. */
	if (kmem_cache_debug(s) || s->ctor) {
		for (unsigned int i = 0; i < objects; i++) {
			void *p = index_to_obj(s, slab, i);
			if (kmem_cache_debug(s)) {
				init_object(s, p, SLUB_RED_INACTIVE);
				init_tracking(s, p);
			}
			if (s->ctor)
				s->ctor(p);
		}
	}
	/*
	 * Lazily (mm/slab.h's slab_fresh()): the first page's objects now, the
	 * rest as its CPU reaches them. Not with a shuffle (it spreads the
	 * first objects over every page) nor where every object was set up above.
	 */
	slab_set_fresh(slab, objects);
	if (lazy && !s->random_seq && !kmem_cache_debug(s) && !s->ctor && PageHead(page)) {
		slab_set_fresh(slab, 0);
		slab->freelist = slab_chain_fresh(s, slab, false, NULL);
	} else {
		slab->freelist = chain_objects(s, slab_first_obj(s, slab), objects, NULL);
	}
	mod_node_page_state(NODE_DATA_M(m, page_to_nid(page)), slab_stat_item(s), (long)bytes);
	return slab;
}

/* Return the slab's pages to the buddy allocator. No slab lock held. */
void __free_slab(struct kmem_cache *s, struct slab *slab)
{
	struct kmm_machine *m = s->machine;
	struct page *page = slab_page(slab);
	unsigned int order = slab_order(slab);

	if (kmem_cache_debug(s))
		slab_pad_check(s, slab);
	mod_node_page_state(NODE_DATA_M(m, page_to_nid(page)), slab_stat_item(s),
			    -(long)(PAGE_SIZE << order));
	slab->slab_list.next = slab->slab_list.prev = NULL;
	WRITE_ONCE(slab->slab_cache, NULL);	/* kfree_fast() may be reading it (a stale free) */
	slab->freelist = NULL;
	slab->inuse = slab->objects = 0;
	slab->frozen = 0;
	slab_set_list(slab, SLAB_LIST_NONE);
	slab->colour = 0;
	slab->rcu_seq = 0;
	__page_clear_type(page);
	__free_pages(page, order);
}

/* A slab that left every list: free it, or queue it for the grace period. */
void discard_slab(struct kmem_cache *s, struct slab *slab)
{
	if (s->flags & SLAB_TYPESAFE_BY_RCU) {
		struct slab_machine *st = slab_state(s->machine);
		spin_lock(&st->rcu_lock);
		slab_set_list(slab, SLAB_LIST_RCU);
		slab->rcu_seq = st->rcu_seq;
		list_add_tail(&slab->slab_list, &st->rcu_pending);
		st->nr_rcu_pending++;
		spin_unlock(&st->rcu_lock);
		return;
	}
	__free_slab(s, slab);
}

/* ---- Node lists (n->list_lock held) ---- */

void list_remove_locked(struct kmem_cache_node *n, struct slab *slab)
{
	lockdep_assert_held(&n->list_lock);
	switch (slab_list_id(slab)) {
	case SLAB_LIST_PARTIAL:
		n->nr_partial--;
		break;
	case SLAB_LIST_EMPTY:
		n->nr_partial--;
		n->nr_empty--;
		if (slab->slab_cache->keep_empty)
			__atomic_fetch_sub(&slab_state(slab->slab_cache->machine)->empty_kept,
					   1UL << slab_order(slab), __ATOMIC_RELAXED);
		break;
	case SLAB_LIST_FULL:
		n->nr_full--;
		break;
	case SLAB_LIST_FULL_OFF:	/* on no list */
		slab_set_list(slab, SLAB_LIST_NONE);
		return;
	default:
		return;
	}
	list_del(&slab->slab_list);
	slab_set_list(slab, SLAB_LIST_NONE);
}

/*
 * May the node keep @slab, empty, of a cache that keeps empty slabs
 * (kmem_cache_keep_empty())? Yes while the machine's kept pages, this
 * slab's counted in, stay within SLAB_KEEP_EMPTY_PAGES. Two caches racing
 * at the bound may both pass it by a slab: a bound, not an invariant.
 * Context: n->list_lock.
 */
static bool keep_empty_locked(struct kmem_cache *s, struct slab *slab)
{
	struct slab_machine *st = slab_state(s->machine);
	unsigned long pages = 1UL << slab_order(slab);

	if (__atomic_add_fetch(&st->empty_kept, pages, __ATOMIC_RELAXED) <= SLAB_KEEP_EMPTY_PAGES)
		return true;
	__atomic_fetch_sub(&st->empty_kept, pages, __ATOMIC_RELAXED);
	return false;
}

/*
 * Put an unfrozen slab on the list its inuse count says. An empty slab is
 * kept only while the node has fewer than min_partial partial slabs (Linux's
 * rule), or, in a cache that keeps empty slabs, while the machine's budget
 * allows (keep_empty_locked()); otherwise it leaves the node and the caller
 * discards it. A full slab goes on no list (SLAB_LIST_FULL_OFF), a debug
 * cache's on n->full.
 * Return: true if the caller must discard @slab (after dropping list_lock).
 */
bool place_slab_locked(struct kmem_cache *s, struct kmem_cache_node *n, struct slab *slab,
			      unsigned int inuse)
{
	lockdep_assert_held(&n->list_lock);
	if (inuse == 0) {
		if (s->keep_empty ? !keep_empty_locked(s, slab) : n->nr_partial >= s->min_partial) {
			n->nr_slabs--;
			n->total_objects -= slab->objects;
			slab_set_list(slab, SLAB_LIST_NONE);
			return true;
		}
		list_add(&slab->slab_list, &n->empty);
		slab_set_list(slab, SLAB_LIST_EMPTY);
		n->nr_partial++;
		n->nr_empty++;
	} else if (inuse == slab->objects) {
		if (kmem_cache_debug(s)) {
			list_add(&slab->slab_list, &n->full);
			slab_set_list(slab, SLAB_LIST_FULL);
			n->nr_full++;
		} else {
			slab_set_list(slab, SLAB_LIST_FULL_OFF);
		}
	} else {
		list_add_tail(&slab->slab_list, &n->partial);
		slab_set_list(slab, SLAB_LIST_PARTIAL);
		n->nr_partial++;
	}
	return false;
}


/* ---- Cache-wide operations ---- */

/* flush_all(): mm/slab.h */
void flush_all(struct kmem_cache *s)
{
	struct kmm_machine *m = s->machine;

	/*
	 * The sheaves first, all of them: a remote free may move a slab to this
	 * thread's CPU partial list, which the second pass then empties. This
	 * thread's slot is registered before every slot is held.
	 */
	if (s->sheaf_capacity)
		(void)kmm_this_cpu_inline(m);
	kmm_cpu_lock_all(m);
	for (int cpu = 0; cpu < m->nr_cpus; cpu++)
		if (cpu_populated(&m->percpu, cpu) && per_cpu_ptr(s->cpu_slab, cpu)->sheaf_nr)
			sheaf_flush(s, per_cpu_ptr(s->cpu_slab, cpu), per_cpu_ptr(s->cpu_slab, cpu)->sheaf_nr);
	if (s->keep_sheaves)
		barn_flush(s, per_cpu_ptr(s->cpu_slab, 0));	/* its cpu slab leaves below, as every CPU's */
	for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
		if (!cpu_populated(&m->percpu, cpu))
			continue;	/* never set up: all zero */
		deactivate_slab(s, c);
		put_partials(s, c);
	}
	kmm_cpu_unlock_all(m);
}

/* Discard every empty slab of @s. Return: slabs still holding objects. */
static unsigned long free_empty_slabs(struct kmem_cache *s)
{
	struct kmm_machine *m = s->machine;
	unsigned long busy = 0;

	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		struct kmem_cache_node *n = get_node(s, nid);
		struct list_head discard;

		INIT_LIST_HEAD(&discard);
		spin_lock(&n->list_lock);
		while (!list_empty(&n->empty)) {
			struct slab *slab = list_first_entry(&n->empty, struct slab, slab_list);
			list_remove_locked(n, slab);
			n->nr_slabs--;
			n->total_objects -= slab->objects;
			list_add(&slab->slab_list, &discard);
		}
		busy += n->nr_slabs;
		spin_unlock(&n->list_lock);
		while (!list_empty(&discard)) {
			struct slab *slab = list_first_entry(&discard, struct slab, slab_list);
			list_del(&slab->slab_list);
			discard_slab(s, slab);
		}
	}
	return busy;
}

int __kmem_cache_shrink(struct kmem_cache *s)
{
	flush_all(s);
	return free_empty_slabs(s) ? 1 : 0;
}

int __kmem_cache_shutdown(struct kmem_cache *s, unsigned long caller)
{
	struct kmm_machine *m = s->machine;
	char sym[160];

	flush_all(s);
	if (!free_empty_slabs(s)) {
		slab_rcu_barrier(m);
		return 0;
	}
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		struct kmem_cache_node *n = get_node(s, nid);
		struct list_head *lists[2] = { &n->partial, &n->full };
		spin_lock(&n->list_lock);
		for (int l = 0; l < 2; l++) {
			struct list_head *pos;
			list_for_each(pos, lists[l])
				list_slab_objects(s, list_entry(pos, struct slab, slab_list));
		}
		spin_unlock(&n->list_lock);
	}
	format_caller(caller, sym, sizeof(sym));
	kmm_printk(m, "kmem_cache_destroy %s: Slab cache still has objects when called from %s",
		   s->name, sym);
	slab_rcu_barrier(m);
	return -EBUSY;
}

int kmem_cache_shadow_code(struct kmem_cache *s)
{
	struct slab_machine *st = slab_state(s->machine);
	int err = 0;

	if (kmem_cache_debug(s))
		return -EINVAL;
	if (cache_shadow_alloc(s) != SHADOW_ALLOCATED)
		return 0;	/* coded already (at creation: __kmem_cache_create()) */
	spin_lock(&st->slab_mutex);
	if (st->nr_shadow_codes == KMM_SLAB_SHADOW_CODES) {
		err = -ENOSPC;
	} else {
		unsigned int code = st->nr_shadow_codes++;
		__atomic_store_n(&st->shadow_coded[code], s, __ATOMIC_RELAXED);
		__atomic_store_n(&s->shadow_alloc, (unsigned char)(KMM_SLAB_SHADOW_CODE_BASE + code),
				 __ATOMIC_RELAXED);
	}
	spin_unlock(&st->slab_mutex);
	return err;
}

void __kmem_cache_release(struct kmem_cache *s)
{
	unsigned char code = cache_shadow_alloc(s);

	if (code != SHADOW_ALLOCATED) {
		/* kfree_fast() no longer finds @s by its code (which no cache gets again). */
		struct slab_machine *st = slab_state(s->machine);
		spin_lock(&st->slab_mutex);
		__atomic_store_n(&st->shadow_coded[code - KMM_SLAB_SHADOW_CODE_BASE],
				 &slab_no_cache, __ATOMIC_RELAXED);
		spin_unlock(&st->slab_mutex);
	}
	free(s->random_seq);
	free_cpu_slabs(s);
}
