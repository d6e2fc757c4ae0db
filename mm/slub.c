// SPDX-License-Identifier: MIT
/*
 * mm/slub.c - the slab allocator: caches of equal-sized objects carved out of
 * page-allocator blocks, with a per-CPU slab whose fast path takes no shared
 * lock.
 *
 * Linux counterpart: mm/slub.c (6.12). Kept: a slab is one compound block
 * from alloc_pages at calculate_order()'s order, its metadata in the head
 * struct page (struct slab), free objects chained through a free pointer
 * inside each object (optionally hardened: ptr ^ random ^ swab(&slot)), one
 * frozen "cpu slab" per CPU slot that allocates and frees without touching
 * shared state, per-node lists under list_lock, empty slabs beyond
 * min_partial returned to the buddy allocator, slab_debug=FZPU with Linux's
 * byte values and report format, and per-CPU partial lists with 6.12's
 * cpu_partial (set_cpu_partial): a refill from a node takes more partial
 * slabs along to this CPU's list (get_partial_node), and the next refills
 * need no list_lock. Changed: the CPU slot guard (mm/include/cpu_slot.h)
 * replaces the tid/cmpxchg_double dance: an owning thread enters with a
 * plain store and a load, no locked instruction (see slab_alloc_fast() for
 * why not a cmpxchg); a free into another slab is Linux's lockless
 * __slab_free (one cmpxchg16b on freelist+counters; the slab lock is a bit
 * inside that pair; PG_locked without a 16-byte compare-and-swap). A full
 * slab is on no list (a debug cache's is on n->full, as SLUB keeps it for
 * SLAB_STORE_USER), and the first free into it moves it to the freeing CPU's
 * partial list in the same swap, without list_lock (put_cpu_partial(),
 * draining that list to the nodes first when it is already full).
 * Added, from the classic SLAB: an empty list per node (and the full list of
 * debug caches), so the picture of full/partial/empty slabs stays visible
 * (full slabs on no list are found by their frames); slab colouring (each new slab
 * of a node starts its first object colour_next * colour_off bytes in; the
 * metadata stays in struct page, so the colour only shifts where objects
 * start, the offset is kept in slab->colour and every address-to-index
 * computation subtracts it); a shadow byte per 8-byte granule of the direct
 * map (KASAN's ratio) that marks allocated object starts, so a double free or
 * a free of an interior pointer is caught on every free for the cost of one
 * byte load and store.
 *
 * Invariant: see mm/slab.h. Checked by slub_check().
 *
 * The debug reports and checks, the counts and drawing, and the checker are
 * in mm/slub_debug.c; a cache's layout (calculate_sizes() and the orders) is
 * in mm/slub_layout.c; a machine's slab state, its RCU grace periods and its
 * teardown in mm/slub_machine.c; the helpers these files use are in mm/slab.h.
 *
 * Locking: CPU slot guard (every s->cpu_slab[cpu] of the slot) ->
 *          n->list_lock -> slab_lock (mm/slab.h) -> zone->lock (page
 *          allocator) -> log_lock. No slab lock is held across alloc_pages
 *          (reclaim may call shrinkers that kfree); a slot section may nest
 *          the page allocator's free path (discarding a slab).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/vmstat.h"
#include "mm/slab.h"

/* ---- Small helpers ---- */

void *slab_address(const struct slab *slab)
{
	return slab_addr_m(page_machine(slab_page(slab)), slab);
}

/* This thread's CPU slot: kmm_this_cpu()'s per-thread cache, one TLS load. */
static inline int slab_this_cpu(struct kmm_machine *m)
{
	return kmm_this_cpu_inline(m);
}

/*
 * The guard of CPU slot @cpu: Linux's local lock of every kmem_cache_cpu of
 * that CPU (s->cpu_slab[cpu] of every cache). An owning thread enters it with
 * no locked instruction (mm/include/cpu_slot.h).
 */
static inline struct kmm_cpu_guard *slot_guard(struct kmem_cache *s, int cpu)
{
	return &s->machine->cpus[cpu].guard;
}

/* ---- Addresses to slabs ---- */

struct slab *virt_to_slab_m(struct kmm_machine *m, const void *addr)
{
	return virt_to_slab_fast(m, addr);
}


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

static struct slab *new_slab(struct kmem_cache *s, gfp_t gfp, int node)
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
	memset(shadow_of(st, m, addr), 0, bytes >> 3);

	if (s->flags & SLAB_POISON)
		memset(addr, POISON_INUSE, bytes);

	/* Set up every object, then chain them (in shuffled order if asked). */
	for (unsigned int i = 0; i < objects; i++) {
		void *p = index_to_obj(s, slab, i);
		if (kmem_cache_debug(s)) {
			init_object(s, p, SLUB_RED_INACTIVE);
			init_tracking(s, p);
		}
		if (s->ctor)
			s->ctor(p);
	}
	void *prev = NULL;
	if (s->random_seq) {
		unsigned int pos = (unsigned int)(slab_rng_next(st) % s->objects);
		for (unsigned int k = 0; k < s->objects; k++) {
			unsigned int idx = s->random_seq[(pos + k) % s->objects];
			if (idx >= objects)
				continue;
			void *p = index_to_obj(s, slab, idx);
			if (prev)
				set_freepointer(s, prev, p);
			else
				slab->freelist = p;
			prev = p;
		}
	} else {
		for (unsigned int i = 0; i < objects; i++) {
			void *p = index_to_obj(s, slab, i);
			if (prev)
				set_freepointer(s, prev, p);
			else
				slab->freelist = p;
			prev = p;
		}
	}
	set_freepointer(s, prev, NULL);
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
	slab->slab_cache = NULL;
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
static void discard_slab(struct kmem_cache *s, struct slab *slab)
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

static void list_remove_locked(struct kmem_cache_node *n, struct slab *slab)
{
	lockdep_assert_held(&n->list_lock);
	switch (slab_list_id(slab)) {
	case SLAB_LIST_PARTIAL:
		n->nr_partial--;
		break;
	case SLAB_LIST_EMPTY:
		n->nr_partial--;
		n->nr_empty--;
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
 * Put an unfrozen slab on the list its inuse count says. An empty slab is
 * kept only while the node has fewer than min_partial partial slabs (Linux's
 * rule); otherwise it leaves the node and the caller discards it. A full slab
 * goes on no list (SLAB_LIST_FULL_OFF), a debug cache's on n->full.
 * Return: true if the caller must discard @slab (after dropping list_lock).
 */
static bool place_slab_locked(struct kmem_cache *s, struct kmem_cache_node *n, struct slab *slab,
			      unsigned int inuse)
{
	lockdep_assert_held(&n->list_lock);
	if (inuse == 0) {
		if (n->nr_partial >= s->min_partial) {
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


/* ---- The per-CPU slab ---- */

static void cpu_set_slab(struct kmem_cache *s, struct kmem_cache_cpu *c, struct slab *slab)
{
	__atomic_store_n(&c->slab, slab, __ATOMIC_RELAXED);
	if (slab) {
		c->lo = slab_first_obj(s, slab);
		c->span = (size_t)(slab->objects - 1) * s->size + 1;
	} else {
		c->lo = NULL;
		c->span = 0;
	}
}

/*
 * Give the cpu slab back to its node: its CPU-owned free objects return to
 * slab->freelist and the slab goes on the list its count says.
 * Context: the slot's guard held; takes list_lock and the slab lock.
 */
static void deactivate_slab(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab *slab = c->slab;
	struct kmem_cache_node *n;
	bool discard;

	if (!slab)
		return;
	n = get_node(s, slab_nid(slab));
	spin_lock(&n->list_lock);
	slab_lock(slab);
	if (c->freelist) {
		void *p = c->freelist, *last = NULL;
		unsigned int cnt = 0;
		bool bad = false;
		while (p) {
			if (!fp_valid(s, slab, p) || ++cnt > slab->objects) {
				bad = true;
				break;
			}
			last = p;
			p = get_freepointer(s, p);
		}
		if (!bad) {
			set_freepointer(s, last, READ_ONCE(slab->freelist));
			WRITE_ONCE(slab->freelist, c->freelist);
			WRITE_ONCE(slab->inuse, (unsigned short)(slab->inuse - c->nr_free));
		} else {
			unsigned int nfree = freelist_repair(s, slab, last ? last : c->freelist, p);
			WRITE_ONCE(slab->inuse, (unsigned short)(slab->objects - nfree));
		}
	}
	slab_set_frozen_locked(slab, false);
	slab_set_list(slab, SLAB_LIST_NONE);
	unsigned int inuse = slab->inuse;
	slab_unlock(slab);
	c->freelist = NULL;
	c->nr_free = 0;
	cpu_set_slab(s, c, NULL);
	discard = place_slab_locked(s, n, slab, inuse);
	spin_unlock(&n->list_lock);
	if (discard)
		discard_slab(s, slab);
}

/* Freeze @slab (taken off its list) as @c's cpu slab. Caller holds list_lock. */
static void freeze_slab_locked(struct kmem_cache *s, struct kmem_cache_cpu *c, struct slab *slab)
{
	slab_lock(slab);
	c->freelist = READ_ONCE(slab->freelist);
	c->nr_free = slab->objects - slab->inuse;
	WRITE_ONCE(slab->freelist, NULL);
	WRITE_ONCE(slab->inuse, slab->objects);
	slab_set_frozen_locked(slab, true);
	slab_set_list(slab, SLAB_LIST_CPU);
	slab_unlock(slab);
	cpu_set_slab(s, c, slab);
}

/* The node of a CPU slot: 0, as the page allocator's numa_node_id(). */
static int local_node(struct kmm_machine *m, int cpu)
{
	(void)m;
	(void)cpu;
	return 0;
}

/* A node's first partial slab, else its first empty one, else NULL. Context: n->list_lock. */
static struct slab *node_pick_slab_locked(struct kmem_cache_node *n)
{
	lockdep_assert_held(&n->list_lock);
	if (!list_empty(&n->partial))
		return list_first_entry(&n->partial, struct slab, slab_list);
	if (!list_empty(&n->empty))
		return list_first_entry(&n->empty, struct slab, slab_list);
	return NULL;
}

/*
 * Move @slab (off every list) to @c's partial list.
 * Context: the slot's guard and @slab's node's list_lock held.
 */
static void put_cpu_partial_locked(struct kmem_cache_cpu *c, struct slab *slab)
{
	slab_lock(slab);
	slab_set_list(slab, SLAB_LIST_CPU_PARTIAL);
	slab_unlock(slab);
	list_add_tail(&slab->slab_list, &c->partial);
	c->nr_partial++;
}

/*
 * Give @c's partial slabs back to their nodes' lists (Linux's
 * __put_partials): each goes where its count says, an empty one beyond
 * min_partial back to the buddy allocator.
 * Context: the slot's guard held; takes each node's list_lock.
 */
static void put_partials(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	while (!list_empty(&c->partial)) {
		struct slab *slab = list_first_entry(&c->partial, struct slab, slab_list);
		struct kmem_cache_node *n = get_node(s, slab_nid(slab));

		spin_lock(&n->list_lock);
		list_del(&slab->slab_list);
		c->nr_partial--;
		slab_lock(slab);
		slab_set_list(slab, SLAB_LIST_NONE);
		unsigned int inuse = slab->inuse;
		slab_unlock(slab);
		bool discard = place_slab_locked(s, n, slab, inuse);
		spin_unlock(&n->list_lock);
		if (discard)
			discard_slab(s, slab);
	}
}

/*
 * put_cpu_partial() - @slab, full until the free into it that this CPU has
 * just made (whose swap set its list byte to SLAB_LIST_CPU_PARTIAL), onto
 * @c's partial list, at the head as Linux pushes it. When the list already
 * holds cpu_partial_slabs slabs, they go back to their nodes first (6.12's
 * drain); otherwise no list_lock is taken.
 * Context: the slot's guard held, no list_lock.
 */
static void put_cpu_partial(struct kmem_cache *s, struct kmem_cache_cpu *c, struct slab *slab)
{
	if (unlikely(c->nr_partial >= s->cpu_partial_slabs))
		put_partials(s, c);
	list_add(&slab->slab_list, &c->partial);
	c->nr_partial++;
}

/*
 * Refill the cpu slab (Linux's get_partial): from this CPU's partial list
 * without a shared lock, else from a node: a partial (else an empty) slab
 * becomes the cpu slab and, as get_partial_node() does, more partial slabs
 * follow it to this CPU's partial list (up to half of cpu_partial_slabs), so
 * the next refills need no list_lock.
 * Context: the slot's guard held.
 */
static bool get_partial(struct kmem_cache *s, struct kmem_cache_cpu *c, int cpu)
{
	struct kmm_machine *m = s->machine;
	int first = local_node(m, cpu);

	if (!list_empty(&c->partial)) {
		struct slab *slab = list_first_entry(&c->partial, struct slab, slab_list);
		list_del(&slab->slab_list);
		c->nr_partial--;
		freeze_slab_locked(s, c, slab);
		return true;
	}
	for (int k = 0; k < m->nr_node_ids; k++) {
		struct kmem_cache_node *n = get_node(s, (first + k) % m->nr_node_ids);
		spin_lock(&n->list_lock);
		struct slab *slab = node_pick_slab_locked(n);
		if (slab) {
			list_remove_locked(n, slab);
			freeze_slab_locked(s, c, slab);
			while (c->nr_partial < s->cpu_partial_slabs / 2 && !list_empty(&n->partial)) {
				struct slab *more = list_first_entry(&n->partial, struct slab, slab_list);
				list_remove_locked(n, more);
				put_cpu_partial_locked(c, more);
			}
		}
		spin_unlock(&n->list_lock);
		if (slab)
			return true;
	}
	return false;
}

/* Pop one object from c->freelist (non-empty). Context: the slot's guard held. */
static inline void *cpu_pop(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	void *obj = c->freelist;
	void *next = get_freepointer(s, obj);

	if (unlikely(!cpu_fp_ok(s, c, next))) {
		/* Corrupt: take the slab's chain back and rebuild it. */
		struct slab *slab = c->slab;
		slab_lock(slab);
		unsigned int nfree = freelist_repair(s, slab, obj, next);
		c->freelist = READ_ONCE(slab->freelist);
		c->nr_free = nfree;
		WRITE_ONCE(slab->freelist, NULL);
		WRITE_ONCE(slab->inuse, slab->objects);
		slab_unlock(slab);
		if (!c->freelist)
			return NULL;
		obj = c->freelist;
		next = get_freepointer(s, obj);
	}
	c->freelist = next;
	c->nr_free--;
	return obj;
}

/*
 * The slow path: the cpu slab has no free object. Take the remote frees of
 * the cpu slab, else a partial slab, else a new one.
 * Context: called in the slot's section (token *@owned); returns having left it.
 */
static void *__slab_alloc(struct kmem_cache *s, struct kmem_cache_cpu *c, int cpu, gfp_t gfp,
			  int *owned)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	void *obj;

	for (;;) {
		struct slab *slab = c->slab;

		if (c->freelist)
			goto pop;
		if (slab) {
			slab_lock(slab);
			if (READ_ONCE(slab->freelist)) {
				c->freelist = READ_ONCE(slab->freelist);
				c->nr_free = slab->objects - slab->inuse;
				WRITE_ONCE(slab->freelist, NULL);
				WRITE_ONCE(slab->inuse, slab->objects);
				slab_unlock(slab);
				goto pop;
			}
			slab_unlock(slab);
			deactivate_slab(s, c);
		}
		if (get_partial(s, c, cpu))
			continue;

		/* No slab section across alloc_pages (reclaim may drain the slots). */
		kmm_cpu_exit(slot_guard(s, cpu), *owned);
		slab = new_slab(s, gfp, NUMA_NO_NODE);
		*owned = kmm_cpu_enter(slot_guard(s, cpu));
		if (!slab) {
			kmm_cpu_exit(slot_guard(s, cpu), *owned);
			kmm_set_error(-ENOMEM, "%s: out of memory for a new slab", s->name);
			return NULL;
		}
		struct kmem_cache_node *n = get_node(s, slab_nid(slab));
		spin_lock(&n->list_lock);
		n->nr_slabs++;
		n->total_objects += slab->objects;
		if (c->slab || c->freelist) {
			/* Another thread of this slot refilled meanwhile. */
			bool discard = place_slab_locked(s, n, slab, 0);
			spin_unlock(&n->list_lock);
			if (discard)
				discard_slab(s, slab);
			continue;
		}
		freeze_slab_locked(s, c, slab);
		spin_unlock(&n->list_lock);
	}
pop:
	obj = cpu_pop(s, c);
	if (!obj) {
		/* The repair found nothing free: start over. */
		deactivate_slab(s, c);
		return __slab_alloc(s, c, cpu, gfp, owned);
	}
	shadow_set(st, m, obj, SHADOW_ALLOCATED);
	kmm_cpu_exit(slot_guard(s, cpu), *owned);
	return obj;
}

/* ---- The locked path: debug caches and node-specific allocations ---- */

/*
 * Enter @cpu's slot for alloc_single() when @s has no debug flag: a slab
 * it fills goes full on no list, a state that changes only inside a slot
 * section (mm/slab.h). Return: the token for slot_leave_nondebug().
 */
static int slot_enter_nondebug(struct kmem_cache *s, int cpu)
{
	return kmem_cache_debug(s) ? 0 : kmm_cpu_enter(slot_guard(s, cpu));
}

static void slot_leave_nondebug(struct kmem_cache *s, int cpu, int owned)
{
	if (!kmem_cache_debug(s))
		kmm_cpu_exit(slot_guard(s, cpu), owned);
}

static void *alloc_single(struct kmem_cache *s, gfp_t gfp, int node, unsigned long caller,
			  size_t orig_size)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	int cpu = kmm_this_cpu(m);
	int first = node == NUMA_NO_NODE ? local_node(m, cpu) : node;
	int tries = node == NUMA_NO_NODE ? m->nr_node_ids : 1;
	int owned;

	{
		owned = slot_enter_nondebug(s, cpu);
		for (int k = 0; k < tries; k++) {
			struct kmem_cache_node *n = get_node(s, (first + k) % m->nr_node_ids);
			spin_lock(&n->list_lock);
			struct slab *slab = node_pick_slab_locked(n);
			if (!slab) {
				spin_unlock(&n->list_lock);
				continue;
			}
			slab_lock(slab);
			void *obj = READ_ONCE(slab->freelist);
			void *next = obj ? get_freepointer(s, obj) : NULL;
			if (obj && !fp_valid(s, slab, next)) {
				unsigned int nfree = freelist_repair(s, slab, obj, next);
				WRITE_ONCE(slab->inuse, (unsigned short)(slab->objects - nfree));
				obj = READ_ONCE(slab->freelist);
				next = obj ? get_freepointer(s, obj) : NULL;
			}
			if (obj) {
				WRITE_ONCE(slab->freelist, next);
				WRITE_ONCE(slab->inuse, (unsigned short)(slab->inuse + 1));
				shadow_set(st, m, obj, SHADOW_ALLOCATED);
			}
			unsigned int inuse = slab->inuse;
			slab_unlock(slab);
			list_remove_locked(n, slab);
			place_slab_locked(s, n, slab, inuse);	/* inuse > 0: never discards */
			if (obj && kmem_cache_debug(s))
				alloc_debug_processing(s, slab, obj, caller, orig_size);
			spin_unlock(&n->list_lock);
			if (obj) {
				slot_leave_nondebug(s, cpu, owned);
				return obj;
			}
		}
		slot_leave_nondebug(s, cpu, owned);
		/* Nothing free on the nodes: allocate from a new slab (no slot section across it). */
		struct slab *slab = new_slab(s, node == NUMA_NO_NODE ? gfp : gfp | __GFP_THISNODE,
					     node);
		if (!slab)
			goto out_nomem;
		struct kmem_cache_node *n = get_node(s, slab_nid(slab));
		owned = slot_enter_nondebug(s, cpu);
		spin_lock(&n->list_lock);
		n->nr_slabs++;
		n->total_objects += slab->objects;
		slab_lock(slab);
		void *obj = slab->freelist;
		WRITE_ONCE(slab->freelist, get_freepointer(s, obj));
		WRITE_ONCE(slab->inuse, 1);
		shadow_set(st, m, obj, SHADOW_ALLOCATED);
		slab_unlock(slab);
		place_slab_locked(s, n, slab, 1);
		if (kmem_cache_debug(s))
			alloc_debug_processing(s, slab, obj, caller, orig_size);
		spin_unlock(&n->list_lock);
		slot_leave_nondebug(s, cpu, owned);
		return obj;
	}
out_nomem:
	kmm_set_error(-ENOMEM, "%s: out of memory for a new slab", s->name);
	return NULL;
}

/* ---- Allocation entry ---- */

/*
 * Every allocation the fast path below does not finish: debug caches, a
 * node, __GFP_ZERO, a busy slot lock, an empty or suspicious cpu freelist.
 * Out of line so that the fast path needs no callee-saved registers.
 */
static __attribute__((noinline)) void *
slab_alloc_full(struct kmem_cache *s, gfp_t gfp, int node, unsigned long caller, size_t orig_size)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	void *obj;

	if (unlikely(node != NUMA_NO_NODE)) {
		if (node < 0 || node >= m->nr_node_ids) {
			kmm_set_error(-EINVAL, "%s: no node %d", s->name, node);
			return NULL;
		}
		if (m->nr_node_ids == 1)
			node = NUMA_NO_NODE;
	}
	if (unlikely(kmem_cache_debug(s) || node != NUMA_NO_NODE)) {
		obj = alloc_single(s, gfp, node, caller, orig_size);
	} else {
		int cpu = slab_this_cpu(m);
		struct kmem_cache_cpu *c = &s->cpu_slab[cpu];
		int owned = kmm_cpu_enter(slot_guard(s, cpu));

		obj = c->freelist;
		if (likely(obj)) {
			void *next = get_freepointer(s, obj);
			if (likely(cpu_fp_ok(s, c, next))) {
				c->freelist = next;
				c->nr_free--;
				shadow_set(st, m, obj, SHADOW_ALLOCATED);
				kmm_cpu_exit(slot_guard(s, cpu), owned);
				goto out;
			}
		}
		obj = __slab_alloc(s, c, cpu, gfp, &owned);
	}
out:
	if (obj && (gfp & __GFP_ZERO))
		memset(obj, 0, s->object_size);
	return obj;
}

/*
 * The allocation fast path: a cache with no debug flag (s->slowpath_flags
 * says only whether its free pointers are hardened, and @hardened is that
 * answer as a constant: each variant is compiled without the other's test),
 * this thread's cached CPU slot, its guard entered in owned mode from depth 0
 * (kmm_cpu_enter_owned(): a load, a store and a load, no locked
 * instruction), the next object popped if its successor is an object of the
 * cpu slab, the shadow byte set. Anything else is slab_alloc_full()'s (a
 * nested or shared slot, a debug cache, a node, __GFP_ZERO, an empty cpu
 * freelist), which starts over.
 *
 * Why not SLUB's this_cpu_cmpxchg_double on (freelist, tid)? It is lockless
 * where preemption is the only interruption and a per-CPU cmpxchg needs no
 * lock prefix; a host thread can be preempted anywhere and a cmpxchg16b that
 * other threads may race with must be locked - one locked instruction per
 * operation (~20 cycles; 12 ns a lock+unlock pair on the 2-core VM this was
 * measured on). The owned slot guard costs a plain store and a load, and
 * moves the cost to the rare thread that reaches into another's slot.
 */
static inline __attribute__((always_inline)) void *
slab_alloc_fast_as(struct kmem_cache *s, gfp_t gfp, int node, unsigned long caller,
		   size_t orig_size, const bool hardened)
{
	struct kmm_machine *m = s->machine;

	/* The plain variant's caller has tested s->slowpath_flags and __GFP_ZERO. */
	if (likely(node == NUMA_NO_NODE &&
		   (!hardened || (s->slowpath_flags == SLAB_FAST_HARDENED && !(gfp & __GFP_ZERO))) &&
		   kmm_cpu_cache.serial == m->serial)) {
		struct kmm_cpu_guard *g = kmm_cpu_cache.guard;

		if (likely(kmm_cpu_enter_owned(g))) {
			struct kmem_cache_cpu *c = &s->cpu_slab[kmm_cpu_cache.cpu];
			void *obj = c->freelist;
			if (likely(obj)) {
				void *next = hardened ? get_freepointer(s, obj) :
							get_freepointer_plain(s, obj);
				if (likely(cpu_fp_ok(s, c, next))) {
					c->freelist = next;
					c->nr_free--;
					__atomic_store_n(cache_shadow(s, obj), SHADOW_ALLOCATED,
							 __ATOMIC_RELAXED);
					kmm_cpu_exit_owned(g);
					return obj;
				}
			}
			kmm_cpu_exit_owned(g);
		}
	}
	return slab_alloc_full(s, gfp, node, caller, orig_size);
}

static inline __attribute__((always_inline)) void *
slab_alloc_fast(struct kmem_cache *s, gfp_t gfp, int node, unsigned long caller, size_t orig_size)
{
	if (likely(!(s->slowpath_flags | (gfp & __GFP_ZERO))))
		return slab_alloc_fast_as(s, gfp, node, caller, orig_size, false);
	return slab_alloc_fast_as(s, gfp, node, caller, orig_size, true);
}

void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node, unsigned long caller,
		      size_t orig_size)
{
	return slab_alloc_fast(s, gfp, node, caller, orig_size);
}

/**
 * slab_alloc_bulk() - @nr objects into @p, taking the CPU slot lock once per
 * refill rather than once per object (Linux's kmem_cache_alloc_bulk).
 * Return: @nr, or 0 with nothing allocated.
 */
size_t slab_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr, void **p,
		       unsigned long caller)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	size_t i = 0;

	if (unlikely(kmem_cache_debug(s))) {
		for (; i < nr; i++)
			if (!(p[i] = slab_alloc_node(s, gfp, NUMA_NO_NODE, caller, s->object_size)))
				goto fail;
		return nr;
	}
	int cpu = slab_this_cpu(m);
	struct kmem_cache_cpu *c = &s->cpu_slab[cpu];
	int owned = kmm_cpu_enter(slot_guard(s, cpu));

	while (i < nr) {
		void *obj = c->freelist;
		void *next = obj ? get_freepointer(s, obj) : NULL;

		if (unlikely(!obj || !cpu_fp_ok(s, c, next))) {
			/* Refill (or repair): __slab_alloc returns having left the section. */
			obj = __slab_alloc(s, c, cpu, gfp, &owned);
			if (!obj)
				goto fail;
			p[i++] = obj;
			owned = kmm_cpu_enter(slot_guard(s, cpu));
			continue;
		}
		c->freelist = next;
		c->nr_free--;
		shadow_set(st, m, obj, SHADOW_ALLOCATED);
		p[i++] = obj;
	}
	kmm_cpu_exit(slot_guard(s, cpu), owned);
	if (gfp & __GFP_ZERO)
		for (size_t k = 0; k < nr; k++)
			memset(p[k], 0, s->object_size);
	return nr;
fail:
	while (i--)
		slab_free(s, virt_to_slab_m(m, p[i]), p[i], caller);
	return 0;
}

/* ---- Freeing ---- */

/* Debug caches: free under list_lock with the checks Linux's free_debug_processing does. */
static void free_single(struct kmem_cache *s, struct slab *slab, void *obj, unsigned long caller)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));
	bool discard = false;

	spin_lock(&n->list_lock);
	slab_lock(slab);
	if (!free_check(s, slab, obj)) {
		slab_unlock(slab);
		spin_unlock(&n->list_lock);
		return;
	}
	if (s->flags & (SLAB_RED_ZONE | SLAB_POISON))
		check_object(s, slab, obj, SLUB_RED_ACTIVE);
	if (s->flags & SLAB_STORE_USER)
		set_track(s, obj, TRACK_FREE, caller);
	if (s->flags & SLAB_TRACE)
		kmm_printk(m, "TRACE %s free 0x%016lx inuse=%d fp=0x%016lx", s->name, kaddr(m, obj),
			   slab->inuse, kaddr(m, READ_ONCE(slab->freelist)));
	init_object(s, obj, SLUB_RED_INACTIVE);
	shadow_set(st, m, obj, SHADOW_FREE);
	set_freepointer(s, obj, READ_ONCE(slab->freelist));
	WRITE_ONCE(slab->freelist, obj);
	WRITE_ONCE(slab->inuse, (unsigned short)(slab->inuse - 1));
	unsigned int inuse = slab->inuse;
	bool frozen = slab_frozen(slab);
	slab_unlock(slab);
	if (!frozen) {
		list_remove_locked(n, slab);
		discard = place_slab_locked(s, n, slab, inuse);
	}
	spin_unlock(&n->list_lock);
	if (discard)
		discard_slab(s, slab);
}

/* A free that failed the shadow test: report it under the slab lock (nothing freed). */
static __attribute__((noinline, cold)) void slab_free_bad(struct kmem_cache *s, struct slab *slab,
							   void *obj)
{
	slab_lock(slab);
	free_check(s, slab, obj);
	slab_unlock(slab);
}

/*
 * The end of a free that may move @slab (both __slab_free() variants): with
 * list_lock held (@locked), a slab still on the node (@on_node) goes where
 * @inuse says and the lock is dropped; a slab this free claimed from full
 * (@to_cpu) goes on this CPU's partial list; an empty slab the node does
 * not keep is discarded. Context: this CPU's slot section.
 */
static void slab_free_settle(struct kmem_cache *s, struct kmem_cache_node *n, struct slab *slab,
			     bool locked, bool on_node, bool to_cpu, unsigned int inuse)
{
	bool discard = false;

	if (locked) {
		if (on_node) {
			list_remove_locked(n, slab);
			discard = place_slab_locked(s, n, slab, inuse);
		}
		spin_unlock(&n->list_lock);
	}
	if (to_cpu)
		put_cpu_partial(s, &s->cpu_slab[slab_this_cpu(s->machine)], slab);
	if (discard)
		discard_slab(s, slab);
}

#if SLAB_CMPXCHG_DOUBLE
/*
 * Does a free into a slab with @counters maybe move it? Not frozen, not on
 * a CPU's partial list, and full (on no list, or a transition's) or down to
 * its last object.
 */
static inline bool slab_free_relists(unsigned long counters)
{
	struct slab c;

	c.counters = counters;
	return !(c.frozen & 1) && c.list != SLAB_LIST_CPU_PARTIAL &&
	       (c.inuse == c.objects || c.inuse == 1);
}

/*
 * __slab_free() of a free that may move its slab: a full slab's first free
 * (Linux's put_cpu_partial: the swap itself sets the list byte to
 * SLAB_LIST_CPU_PARTIAL, so exactly one free claims the slab, and it goes
 * to this CPU's partial list with no list_lock), or an unfrozen node slab's
 * last object or a slab between states (n->list_lock first, as Linux takes
 * it, then the swap, then the slab goes where its count says). Out of line:
 * most remote frees move nothing and save no registers for it (nor look up
 * this CPU's kmem_cache_cpu).
 * Context: this CPU's slot section.
 */
static __attribute__((noinline)) void __slab_free_relist(struct kmem_cache *s, struct slab *slab,
							 void *obj)
{
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));
	bool locked = false, on_node = false, to_cpu = false;
	unsigned int inuse = 0;
	int spins = 0;

	for (;;) {
		void *prior = __atomic_load_n(&slab->freelist, __ATOMIC_RELAXED);
		unsigned long counters = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);
		struct slab new;

		new.counters = counters;
		if (unlikely(counters & SLAB_COUNTERS_LOCKED)) {
			slab_lock_wait(&spins);
			continue;
		}
		new.inuse--;
		set_freepointer(s, obj, prior);
		if (!(new.frozen & 1) && new.list == SLAB_LIST_FULL_OFF && s->cpu_partial_slabs) {
			new.list = SLAB_LIST_CPU_PARTIAL;
			if (slab_cmpxchg(slab, prior, counters, obj, new.counters)) {
				to_cpu = true;
				break;
			}
			continue;
		}
		if (!locked && slab_free_relists(counters)) {
			spin_lock(&n->list_lock);
			locked = true;
			continue;
		}
		/* Looked at again under list_lock: another free may have moved it meanwhile. */
		on_node = locked && !(new.frozen & 1) && new.list != SLAB_LIST_CPU_PARTIAL;
		if (slab_cmpxchg(slab, prior, counters, obj, new.counters)) {
			inuse = new.inuse;
			break;
		}
	}
	slab_free_settle(s, n, slab, locked, on_node, to_cpu, inuse);
}

/* __slab_free() once its first swap did not go through: the retry loop, waits included. */
static __attribute__((noinline)) void __slab_free_retry(struct kmem_cache *s, struct slab *slab,
							void *obj)
{
	int spins = 0;

	for (;;) {
		void *prior = __atomic_load_n(&slab->freelist, __ATOMIC_RELAXED);
		unsigned long counters = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);

		if (unlikely(counters & SLAB_COUNTERS_LOCKED)) {
			slab_lock_wait(&spins);
			continue;
		}
		if (slab_free_relists(counters)) {
			__slab_free_relist(s, slab, obj);
			return;
		}
		set_freepointer(s, obj, prior);
		/* inuse is the low half-word of counters (> 0: the object was allocated) */
		if (slab_cmpxchg(slab, prior, counters, obj, counters - 1))
			return;
	}
}

/*
 * A free into a slab that is not this CPU's cpu slab: Linux's lockless
 * __slab_free(). The object is pushed on slab->freelist and inuse dropped
 * in one slab_cmpxchg(), no lock taken, whoever else frees into the slab at
 * the same time. A full slab's first free moves it to this CPU's partial
 * list, claimed in that same swap and still without a lock; only a free
 * that moves a slab between node lists (an unfrozen node slab's last
 * object) takes list_lock (both in __slab_free_relist()); a cpu slab
 * (frozen) or a slab on a CPU's partial list moves nowhere. One locked
 * instruction per free, where the slab lock took two. The shadow byte goes
 * to FREE before the swap (after it the object may be allocated again at
 * once); the caller is inside its CPU slot's section, so the checker
 * (which holds every slot) never sees an object marked free and not yet
 * pushed, nor a slab claimed and not yet on the CPU's list. While a slab
 * lock holder has the pair, the swap fails and the free waits for it
 * (__slab_free_retry()). The first attempt calls nothing but these two, as
 * tail calls, so it saves no registers.
 * Context: this thread's slot section (owned: no lock).
 */
static void __slab_free(struct kmem_cache *s, struct slab *slab, void *obj)
{
	unsigned char *sh = cache_shadow(s, obj);
	void *prior;
	unsigned long counters;

	if (unlikely(((unsigned long)obj & 7) ||
		     __atomic_load_n(sh, __ATOMIC_RELAXED) != SHADOW_ALLOCATED)) {
		slab_free_bad(s, slab, obj);
		return;
	}
	__atomic_store_n(sh, SHADOW_FREE, __ATOMIC_RELAXED);
	prior = __atomic_load_n(&slab->freelist, __ATOMIC_RELAXED);
	counters = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);
	if (likely(!(counters & SLAB_COUNTERS_LOCKED))) {
		if (unlikely(slab_free_relists(counters))) {
			__slab_free_relist(s, slab, obj);
			return;
		}
		set_freepointer(s, obj, prior);
		if (likely(slab_cmpxchg(slab, prior, counters, obj, counters - 1)))
			return;
	}
	__slab_free_retry(s, slab, obj);
}
#else
/* A free into a slab that is not this CPU's cpu slab, under the slab lock. */
static void __slab_free(struct kmem_cache *s, struct slab *slab, void *obj)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));
	bool locked = false, to_cpu = false;

	bool on_node;

	for (;;) {
		slab_lock(slab);
		/* A cpu slab or one on a CPU's partial list changes no node list. */
		on_node = !slab_frozen(slab) && slab_list_id(slab) != SLAB_LIST_CPU_PARTIAL;
		if (on_node && slab_list_id(slab) == SLAB_LIST_FULL_OFF && s->cpu_partial_slabs) {
			/* Full on no list: to this CPU's partial list (put_cpu_partial()). */
			on_node = false;
			to_cpu = true;
			break;
		}
		if (on_node && !locked &&
		    (slab->inuse == slab->objects || slab->inuse == 1)) {
			/* The slab changes list: take list_lock first (lock order). */
			slab_unlock(slab);
			spin_lock(&n->list_lock);
			locked = true;
			continue;
		}
		break;
	}
	if (!free_check(s, slab, obj)) {
		slab_unlock(slab);
		if (locked)
			spin_unlock(&n->list_lock);
		return;
	}
	if (to_cpu)
		slab_set_list(slab, SLAB_LIST_CPU_PARTIAL);
	shadow_set(st, m, obj, SHADOW_FREE);
	set_freepointer(s, obj, slab->freelist);
	slab->freelist = obj;
	/* Without list_lock: slab_count() reads a partial slab's inuse under it. */
	WRITE_ONCE(slab->inuse, (unsigned short)(slab->inuse - 1));
	unsigned int inuse = slab->inuse;
	slab_unlock(slab);
	slab_free_settle(s, n, slab, locked, on_node, to_cpu, inuse);
}
#endif

/* Every free the fast path below does not finish (see slab_alloc_full()). */
static __attribute__((noinline)) void
slab_free_full(struct kmem_cache *s, struct slab *slab, void *obj, unsigned long caller)
{
	struct kmm_machine *m = s->machine;

	if (unlikely(kmem_cache_debug(s))) {
		free_single(s, slab, obj, caller);
		return;
	}
	int cpu = slab_this_cpu(m);
	struct kmem_cache_cpu *c = &s->cpu_slab[cpu];
	/*
	 * A free into another slab happens inside the slot's section too (owned:
	 * a store, no lock), so the checker, holding every slot, sees no free
	 * half done (see __slab_free()).
	 */
	int owned = kmm_cpu_enter(slot_guard(s, cpu));
	if (likely(slab == c->slab)) {
		struct slab_machine *st = slab_state(m);
		if (unlikely(((unsigned long)obj & 7) ||
			     shadow_get(st, m, obj) != SHADOW_ALLOCATED)) {
			kmm_cpu_exit(slot_guard(s, cpu), owned);
			slab_free_bad(s, slab, obj);
			return;
		}
		shadow_set(st, m, obj, SHADOW_FREE);
		set_freepointer(s, obj, c->freelist);
		c->freelist = obj;
		c->nr_free++;
		kmm_cpu_exit(slot_guard(s, cpu), owned);
		return;
	}
	__slab_free(s, slab, obj);
	kmm_cpu_exit(slot_guard(s, cpu), owned);
}

/*
 * A free the fast path below has entered the slot for, into a slab that is
 * not this CPU's cpu slab: __slab_free() inside the section (as
 * slab_free_full() does it), then the section left. Out of line, and a tail
 * call from the fast path, so that the fast path saves no register for it.
 */
static __attribute__((noinline)) void slab_free_other(struct kmem_cache *s, struct slab *slab,
						      void *obj, struct kmm_cpu_guard *g)
{
	__slab_free(s, slab, obj);
	kmm_cpu_exit_owned(g);
}

/*
 * The free fast path: a cache with no debug flag (@hardened: whether its
 * free pointers are, as in slab_alloc_fast_as()), the slot's guard entered
 * in owned mode from depth 0 (no locked instruction), then: @obj of this
 * thread's cpu slab, aligned, its shadow byte saying allocated (the cheap
 * double free and interior pointer check): pushed on the cpu freelist; of
 * another slab: __slab_free() in the same section (slab_free_other()).
 * Anything else is slab_free_full()'s.
 */
static inline __attribute__((always_inline)) void
slab_free_fast_as(struct kmem_cache *s, struct slab *slab, void *obj, unsigned long caller,
		  const bool hardened)
{
	struct kmm_machine *m = s->machine;

	/* The plain variant's caller has tested s->slowpath_flags. */
	if (likely((!hardened || s->slowpath_flags == SLAB_FAST_HARDENED) &&
		   kmm_cpu_cache.serial == m->serial &&
		   !((unsigned long)obj & 7))) {
		struct kmm_cpu_guard *g = kmm_cpu_cache.guard;

		if (likely(kmm_cpu_enter_owned(g))) {
			struct kmem_cache_cpu *c = &s->cpu_slab[kmm_cpu_cache.cpu];
			unsigned char *sh = cache_shadow(s, obj);

			if (likely(__atomic_load_n(sh, __ATOMIC_RELAXED) == SHADOW_ALLOCATED)) {
				if (unlikely(slab != c->slab)) {
					slab_free_other(s, slab, obj, g);
					return;
				}
				__atomic_store_n(sh, SHADOW_FREE, __ATOMIC_RELAXED);
				if (hardened)
					set_freepointer(s, obj, c->freelist);
				else
					set_freepointer_plain(s, obj, c->freelist);
				c->freelist = obj;
				c->nr_free++;
				kmm_cpu_exit_owned(g);
				return;
			}
			kmm_cpu_exit_owned(g);
		}
	}
	slab_free_full(s, slab, obj, caller);
}

static inline __attribute__((always_inline)) void
slab_free_fast(struct kmem_cache *s, struct slab *slab, void *obj, unsigned long caller)
{
	if (likely(!s->slowpath_flags))
		slab_free_fast_as(s, slab, obj, caller, false);
	else
		slab_free_fast_as(s, slab, obj, caller, true);
}

void slab_free(struct kmem_cache *s, struct slab *slab, void *obj, unsigned long caller)
{
	slab_free_fast(s, slab, obj, caller);
}

/* ---- The cache API entry points (the fast paths inline here) ---- */

/*
 * kmem_cache_alloc() while someone listens (mm/events.c): one bracketed
 * operation, should_failslab() first (Linux's slab_pre_alloc_hook), then
 * the kmem_cache_alloc event, also when it failed (ptr 0).
 */
static __attribute__((noinline)) void *cache_alloc_traced(struct kmem_cache *s, gfp_t gfp,
							  int node, unsigned long caller)
{
	struct kmm_machine *m = s->machine;
	void *obj = NULL;

	kmm_op_begin(m);
	if (should_failslab(m, s->name, s->object_size, gfp))
		kmm_set_error(-ENOMEM, "kmem_cache_alloc(%s): failed by failslab", s->name);
	else
		obj = slab_alloc_fast(s, gfp, node, caller, s->object_size);
	trace_obj_alloc(m, KMM_EV_KMEM_CACHE_ALLOC, s->name, kaddr(m, obj), s->object_size,
			s->size, gfp, node);
	kmm_op_end(m);
	return obj;
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	if (kmm_trace_on(s->machine, KMM_EVMASK_CACHE_ALLOC))
		return cache_alloc_traced(s, gfp, NUMA_NO_NODE,
					  (unsigned long)__builtin_return_address(0));
	return slab_alloc_fast(s, gfp, NUMA_NO_NODE, (unsigned long)__builtin_return_address(0),
			       s->object_size);
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	if (kmm_trace_on(s->machine, KMM_EVMASK_CACHE_ALLOC))
		return cache_alloc_traced(s, gfp, node, (unsigned long)__builtin_return_address(0));
	return slab_alloc_fast(s, gfp, node, (unsigned long)__builtin_return_address(0),
			       s->object_size);
}

void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	if (kmm_trace_on(s->machine, KMM_EVMASK_CACHE_ALLOC))
		return cache_alloc_traced(s, gfp | __GFP_ZERO, NUMA_NO_NODE,
					  (unsigned long)__builtin_return_address(0));
	return slab_alloc_fast(s, gfp | __GFP_ZERO, NUMA_NO_NODE,
			       (unsigned long)__builtin_return_address(0), s->object_size);
}

/* kmem_cache_free() of something that is no object of @s: report, free nothing. */
static __attribute__((noinline, cold)) void cache_free_bad(struct kmem_cache *s, void *obj,
							    struct slab *slab)
{
	struct kmm_machine *m = s->machine;

	if (!slab) {
		kmm_printk(m, "kmem_cache_free: Object 0x%lx is not a Slab page! (cache %s)",
			   (unsigned long)kmm_host_to_kva(m, obj),
			   s->name);
		kmm_set_error(-EINVAL, "kmem_cache_free(%s): 0x%lx is not a slab object", s->name,
			      (unsigned long)kmm_host_to_kva(m, obj));
		return;
	}
	kmm_printk(m, "cache_from_obj: Wrong slab cache. %s but object is from %s", s->name,
		   slab->slab_cache->name);
	kmm_set_error(-EINVAL, "kmem_cache_free(%s): the object is from %s", s->name,
		      slab->slab_cache->name);
}

static inline __attribute__((always_inline)) void cache_free(struct kmem_cache *s, void *obj,
							     unsigned long caller)
{
	struct slab *slab;

	if (!obj)
		return;
	slab = virt_to_slab_fast(s->machine, obj);
	if (unlikely(!slab || slab->slab_cache != s)) {
		cache_free_bad(s, obj, slab);
		return;
	}
	slab_free_fast(s, slab, obj, caller);
}

/* kmem_cache_free() while someone listens: the event first (as Linux), one bracketed operation. */
static __attribute__((noinline)) void cache_free_traced(struct kmem_cache *s, void *obj,
							unsigned long caller)
{
	struct kmm_machine *m = s->machine;

	kmm_op_begin(m);
	trace_obj_free(m, KMM_EV_KMEM_CACHE_FREE, s->name, kaddr(m, obj));
	cache_free(s, obj, caller);
	kmm_op_end(m);
}

void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	if (obj && kmm_trace_on(s->machine, KMM_EVMASK_CACHE_FREE)) {
		cache_free_traced(s, obj, (unsigned long)__builtin_return_address(0));
		return;
	}
	cache_free(s, obj, (unsigned long)__builtin_return_address(0));
}


/**
 * slab_free_bulk() - free @nr objects of @s, holding the CPU slot lock across
 * the ones that belong to the cpu slab (kmem_cache_free_bulk). Objects of
 * other slabs, other caches or bad pointers take the single-object path.
 */
void slab_free_bulk(struct kmem_cache *s, size_t nr, void **p, unsigned long caller)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	struct kmem_cache_cpu *c;
	size_t i = 0;

	if (unlikely(kmem_cache_debug(s)))
		goto slow;
	int cpu = slab_this_cpu(m);
	c = &s->cpu_slab[cpu];
	int owned = kmm_cpu_enter(slot_guard(s, cpu));
	for (; i < nr; i++) {
		void *obj = p[i];
		struct slab *slab = obj ? virt_to_slab_m(m, obj) : NULL;
		if (!slab || slab != c->slab || ((unsigned long)obj & 7) ||
		    shadow_get(st, m, obj) != SHADOW_ALLOCATED)
			break;
		shadow_set(st, m, obj, SHADOW_FREE);
		set_freepointer(s, obj, c->freelist);
		c->freelist = obj;
		c->nr_free++;
	}
	kmm_cpu_exit(slot_guard(s, cpu), owned);
slow:
	for (; i < nr; i++) {
		struct slab *slab = p[i] ? virt_to_slab_m(m, p[i]) : NULL;
		if (!p[i])
			continue;
		if (!slab || slab->slab_cache != s) {
			kmm_printk(m, "kmem_cache_free_bulk: object 0x%016lx is not in cache %s; "
				   "not freed", kaddr(m, p[i]), s->name);
			continue;
		}
		slab_free(s, slab, p[i], caller);
	}
}

/* ---- Cache-wide operations ---- */

/* flush_all(): mm/slab.h */
void flush_all(struct kmem_cache *s)
{
	struct kmm_machine *m = s->machine;

	kmm_cpu_lock_all(m);
	for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
		struct kmem_cache_cpu *c = &s->cpu_slab[cpu];
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

void __kmem_cache_release(struct kmem_cache *s)
{
	free(s->random_seq);
	free(s->cpu_slab);
}
