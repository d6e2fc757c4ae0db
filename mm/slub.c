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
 * need no list_lock (changed: a refill prefers the partial slabs its own
 * slot froze last, get_partial()). Changed: the CPU slot guard (mm/include/cpu_slot.h)
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
 * map (KASAN's ratio; per 16 bytes with slab_shadow_granule=16, every
 * object then 16-byte aligned) that marks allocated object starts, so a double free or
 * a free of an interior pointer is caught on every free for the cost of a
 * load and a store of that byte (a double free racing itself on two CPUs
 * is caught late, when its second copy leaves a sheaf: mm/slab.h); in a
 * cache given a shadow code (every cache with sheaves, at creation, while
 * codes last) the byte also names the cache, so kfree_fast() and
 * kmem_cache_free() know an object's cache without reading its struct page.
 *
 * Invariant: see mm/slab.h. Checked by slub_check().
 *
 * The debug reports and checks, the counts and drawing, and the checker are
 * in mm/slub_debug.c; a cache's layout (calculate_sizes() and the orders) is
 * in mm/slub_layout.c; making and discarding slabs, the node lists and the
 * cache-wide operations (flush_all, shrink, shutdown) in mm/slub_cache.c;
 * the free half (kmem_cache_free() and its fast path, __slab_free(),
 * sheaf_flush(), the bulk free) in mm/slub_free.c; kfree_fast(), the
 * shim's free with no lock, in mm/slub_kfree.c, and both lock-free fast
 * paths (slab_alloc_try(), kfree_fast()'s body) inline in mm/slab_fast.h,
 * which the shim's malloc() and free() include; a
 * machine's slab state, its RCU grace periods and its
 * teardown in mm/slub_machine.c; the helpers these files use are in mm/slab.h.
 *
 * Locking: CPU slot guard (every per_cpu_ptr(s->cpu_slab, cpu) of the slot) ->
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
#include "mm/slab_fast.h"

/* ---- Small helpers ---- */

void *slab_address(const struct slab *slab)
{
	return slab_addr_m(page_machine(slab_page(slab)), slab);
}

/* ---- Addresses to slabs ---- */

struct slab *virt_to_slab_m(struct kmm_machine *m, const void *addr)
{
	return virt_to_slab_fast(m, addr);
}


/* ---- The per-CPU slab ---- */

static void cpu_set_slab(struct kmem_cache *s, struct kmem_cache_cpu *c, struct slab *slab)
{
	__atomic_store_n(&c->slab, slab, __ATOMIC_RELAXED);
	if (slab) {
		c->lo = slab_first_obj(s, slab);
		c->span = (unsigned int)((size_t)(slab->objects - 1) * s->size + 1);
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
void deactivate_slab(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab *slab = c->slab;
	struct kmem_cache_node *n;
	bool discard;

	if (!slab)
		return;
	/* Its untouched objects (slab_fresh()) go with the others: a node's slab has none. */
	c->freelist = slab_chain_fresh(s, slab, true, c->freelist);
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

#if SLAB_CMPXCHG_DOUBLE
/*
 * Freeze @slab (taken off its list, or off this CPU's partial list) as @c's
 * cpu slab: its free objects become the CPU's, inuse goes to objects, the
 * frozen bit and the list byte are set - all in one slab_cmpxchg(), which
 * is all a lockless free racing with it needs (it retries), where
 * slab_lock() and slab_unlock() took two. Linux's get_partial freezes with
 * one cmpxchg_double too (acquire_slab). Context: the slot's guard held
 * (list_lock too when @slab came off a node list).
 */
static void freeze_slab(struct kmem_cache *s, struct kmem_cache_cpu *c, struct slab *slab)
{
	int spins = 0;

	for (;;) {
		void *fl;
		unsigned long counters = slab_read_unlocked(slab, &fl, &spins);
		struct slab new;

		new.counters = counters;
		new.inuse = new.objects;
		new.frozen = 1;
		new.list = SLAB_LIST_CPU;
		if (slab_cmpxchg(slab, fl, counters, NULL, new.counters)) {
			struct slab old;
			old.counters = counters;
			c->freelist = fl;
			c->nr_free = (unsigned int)(old.objects - old.inuse);
			break;
		}
	}
	slab->frozen_by = (unsigned long)per_cpu_index(s->cpu_slab, c);
	cpu_set_slab(s, c, slab);
}

/*
 * The cpu slab's CPU freelist is empty: in one slab_cmpxchg(), take the
 * objects other CPUs freed into it meanwhile (the slab stays frozen); when
 * there are none, chain its next untouched objects (slab_fresh()), or,
 * when none is left either, unfreeze it, full, onto no list (as
 * deactivate_slab() would leave it: a full slab needs no list_lock) -
 * Linux's get_freelist(). c->nr_free counts the untouched objects all along.
 * Return: true if @c->freelist was refilled; false if @c has no cpu slab now.
 * Context: the slot's guard held, @c->freelist NULL.
 */
static bool refill_or_unfreeze(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab *slab = c->slab;
	unsigned int untouched = slab->objects - slab_fresh(slab);
	int spins = 0;

	for (;;) {
		void *fl;
		unsigned long counters = slab_read_unlocked(slab, &fl, &spins);
		struct slab new;

		if (!fl && untouched) {
			c->freelist = slab_chain_fresh(s, slab, false, NULL);
			return true;
		}
		new.counters = counters;
		if (fl) {
			new.inuse = new.objects;
		} else {
			new.frozen = 0;
			new.list = SLAB_LIST_FULL_OFF;
		}
		if (!slab_cmpxchg(slab, fl, counters, NULL, new.counters))
			continue;
		if (fl) {
			struct slab old;
			old.counters = counters;
			c->freelist = fl;
			c->nr_free = (unsigned int)(old.objects - old.inuse) + untouched;
			return true;
		}
		c->nr_free = 0;
		cpu_set_slab(s, c, NULL);
		return false;
	}
}
#else
/* Freeze @slab (taken off its list) as @c's cpu slab, under the slab lock. */
static void freeze_slab(struct kmem_cache *s, struct kmem_cache_cpu *c, struct slab *slab)
{
	slab_lock(slab);
	c->freelist = READ_ONCE(slab->freelist);
	c->nr_free = slab->objects - slab->inuse;
	WRITE_ONCE(slab->freelist, NULL);
	WRITE_ONCE(slab->inuse, slab->objects);
	slab_set_frozen_locked(slab, true);
	slab_set_list(slab, SLAB_LIST_CPU);
	slab_unlock(slab);
	slab->frozen_by = (unsigned long)per_cpu_index(s->cpu_slab, c);
	cpu_set_slab(s, c, slab);
}

/* refill_or_unfreeze() under the slab lock: remote frees, else untouched objects, else deactivate. */
static bool refill_or_unfreeze(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab *slab = c->slab;
	unsigned int untouched = slab->objects - slab_fresh(slab);

	slab_lock(slab);
	if (!READ_ONCE(slab->freelist) && untouched) {
		slab_unlock(slab);
		c->freelist = slab_chain_fresh(s, slab, false, NULL);
		return true;
	}
	if (READ_ONCE(slab->freelist)) {
		c->freelist = READ_ONCE(slab->freelist);
		c->nr_free = slab->objects - slab->inuse + untouched;
		WRITE_ONCE(slab->freelist, NULL);
		WRITE_ONCE(slab->inuse, slab->objects);
		slab_unlock(slab);
		return true;
	}
	slab_unlock(slab);
	deactivate_slab(s, c);
	return false;
}
#endif

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
 * How far down a node's partial list get_partial() looks for a slab its own
 * slot froze last: each entry is one cache line (slab_list and frozen_by
 * share the struct page's). small_churn at two threads keeps ~36 partial
 * slabs per cache on the node; looking at 16 missed an own slab that was
 * there in 15-25% of refills, at 64 in under 0.1%.
 */
#define NODE_OWN_SCAN 64

/*
 * A node's partial slab that @cpu's slot froze last (slab->frozen_by),
 * among the first NODE_OWN_SCAN; NULL if none. Context: n->list_lock.
 */
static struct slab *node_own_partial_locked(struct kmem_cache_node *n, int cpu)
{
	struct list_head *pos;
	unsigned int k = 0;

	lockdep_assert_held(&n->list_lock);
	list_for_each(pos, &n->partial) {
		struct slab *slab = list_entry(pos, struct slab, slab_list);

		if (slab->frozen_by == (unsigned long)cpu)
			return slab;
		if (++k == NODE_OWN_SCAN)
			break;
	}
	return NULL;
}

/*
 * The slab get_partial() refills @cpu's slot from: its own partial slab
 * (node_own_partial_locked()), else an empty one, else the first partial
 * one - another slot's, whose live objects are that slot's. With one slot
 * every slab is its own and the first partial slab is taken, as before
 * (and as node_pick_slab_locked() takes for the locked path).
 * Context: n->list_lock.
 */
static struct slab *node_pick_own_locked(struct kmem_cache_node *n, int cpu)
{
	struct slab *slab = node_own_partial_locked(n, cpu);

	if (slab)
		return slab;
	if (!list_empty(&n->empty))
		return list_first_entry(&n->empty, struct slab, slab_list);
	return node_pick_slab_locked(n);
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
void put_partials(struct kmem_cache *s, struct kmem_cache_cpu *c)
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
 * Refill the cpu slab (Linux's get_partial): from this CPU's partial list
 * without a shared lock, else from a node: a partial (else an empty) slab
 * becomes the cpu slab and, as get_partial_node() does, more partial slabs
 * follow it to this CPU's partial list (up to half of cpu_partial_slabs), so
 * the next refills need no list_lock. Unlike Linux, a slot takes its own
 * slabs first and brings only its own along (node_pick_own_locked()): a
 * slab another slot froze last holds that slot's live objects, whose frees
 * would then write the lines this slot allocates from.
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
		freeze_slab(s, c, slab);
		return true;
	}
	for (int k = 0; k < m->nr_node_ids; k++) {
		struct kmem_cache_node *n = get_node(s, (first + k) % m->nr_node_ids);
		spin_lock(&n->list_lock);
		struct slab *slab = node_pick_own_locked(n, cpu);
		if (slab) {
			struct slab *more;

			list_remove_locked(n, slab);
			freeze_slab(s, c, slab);
			/* Only this slot's own slabs come along (node_own_partial_locked()). */
			while (c->nr_partial < s->cpu_partial_slabs / 2 &&
			       (more = node_own_partial_locked(n, cpu))) {
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

again:
	for (;;) {
		struct slab *slab = c->slab;

		if (c->freelist)
			goto pop;
		if (slab && refill_or_unfreeze(s, c))
			goto pop;
		if (get_partial(s, c, cpu))
			continue;

		/* No slab section across alloc_pages (reclaim may drain the slots). */
		kmm_cpu_exit(slot_guard(s, cpu), *owned);
		slab = new_slab(s, gfp, NUMA_NO_NODE, true);
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
			/* Another thread of this slot refilled meanwhile: the slab chained whole. */
			slab->freelist = slab_chain_fresh(s, slab, true, slab->freelist);
			slab->frozen_by = (unsigned long)cpu;
			bool discard = place_slab_locked(s, n, slab, 0);
			spin_unlock(&n->list_lock);
			if (discard)
				discard_slab(s, slab);
			continue;
		}
		freeze_slab(s, c, slab);
		spin_unlock(&n->list_lock);
	}
pop:
	obj = cpu_pop(s, c);
	if (!obj) {
		/* The repair found nothing free: start over. */
		deactivate_slab(s, c);
		return __slab_alloc(s, c, cpu, gfp, owned);
	}
	if (unlikely(shadow_live_in(s, shadow_get(st, m, obj)))) {
		/* Live on a freelist: a double free's second copy (mm/slab.h), dropped. */
		sheaf_double_free(s, obj, shadow_get(st, m, obj));
		goto again;
	}
	shadow_set(st, m, obj, cache_shadow_alloc(s));
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
				shadow_set(st, m, obj, cache_shadow_alloc(s));
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
					     node, false);
		if (!slab)
			goto out_nomem;
		struct kmem_cache_node *n = get_node(s, slab_nid(slab));
		owned = slot_enter_nondebug(s, cpu);
		spin_lock(&n->list_lock);
		n->nr_slabs++;
		n->total_objects += slab->objects;
		slab->frozen_by = (unsigned long)cpu;	/* as if frozen: see node_pick_own_locked() */
		slab_lock(slab);
		void *obj = slab->freelist;
		WRITE_ONCE(slab->freelist, get_freepointer(s, obj));
		WRITE_ONCE(slab->inuse, 1);
		shadow_set(st, m, obj, cache_shadow_alloc(s));
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
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
		int owned = kmm_cpu_enter(slot_guard(s, cpu));
again:
		while (c->sheaf_nr) {
			obj = c->sheaf[--c->sheaf_nr];
			if (unlikely(shadow_get(st, m, obj) != SHADOW_FREE)) {
				/* The second copy of a double free (mm/slab.h): dropped. */
				sheaf_double_free(s, obj, shadow_get(st, m, obj));
				continue;
			}
			if (unlikely(!sheaf_link_ok(s, obj, true)))
				sheaf_bad_link(s, obj);
			shadow_set(st, m, obj, cache_shadow_alloc(s));
			sheaf_link_spent(s, obj);	/* a twin's pop fails (mm/slab.h) */
			kmm_cpu_exit(slot_guard(s, cpu), owned);
			goto out;
		}
		obj = c->freelist;
		if (likely(obj)) {
			void *next = get_freepointer(s, obj);
			if (likely(cpu_fp_ok(s, c, next) &&
				   !shadow_live_in(s, shadow_get(st, m, obj)))) {
				c->freelist = next;
				c->nr_free--;
				shadow_set(st, m, obj, cache_shadow_alloc(s));
				kmm_cpu_exit(slot_guard(s, cpu), owned);
				goto out;
			}
		}
		/* A full sheaf from the barn (a cache that keeps sheaves), then the sheaf's top. */
		if (barn_take(s, c))
			goto again;
		obj = __slab_alloc(s, c, cpu, gfp, &owned);
	}
out:
	if (obj && (gfp & __GFP_ZERO))
		memset(obj, 0, s->object_size);
	return obj;
}

static inline __attribute__((always_inline)) void *
slab_alloc_fast_as(struct kmem_cache *s, gfp_t gfp, int node, unsigned long caller,
		   size_t orig_size, const bool hardened)
{
	void *obj = slab_alloc_try(s, gfp, node, hardened);

	if (likely(obj))
		return obj;
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
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
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
		shadow_set(st, m, obj, cache_shadow_alloc(s));
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

/* ---- The cache API's allocations (the fast path: mm/slab_fast.h; the frees: mm/slub_free.c) ---- */

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

/*
 * Every kmem_cache_alloc() its fast path below does not finish: a listener
 * (the traced way), a cache with slowpath_flags or __GFP_ZERO (both
 * variants of slab_alloc_fast()), else slab_alloc_full(). Out of line, and
 * reached by a tail call with the caller's return address, so that the
 * fast path keeps nothing for it.
 */
static __attribute__((noinline)) void *cache_alloc_slow(struct kmem_cache *s, gfp_t gfp,
							unsigned long caller)
{
	if (kmm_trace_on(s->machine, KMM_EVMASK_CACHE_ALLOC))
		return cache_alloc_traced(s, gfp, NUMA_NO_NODE, caller);
	if (likely(!(s->slowpath_flags | (gfp & __GFP_ZERO))))
		return slab_alloc_full(s, gfp, NUMA_NO_NODE, caller, s->object_size);
	return slab_alloc_fast(s, gfp, NUMA_NO_NODE, caller, s->object_size);
}

/*
 * kmem_cache_alloc() is shaped as the malloc shim's malloc(): the plain
 * fast path inline (slab_alloc_try(): this CPU's sheaf or cpu freelist),
 * which calls nothing and needs no callee-saved register, and the rest
 * tail-called (cache_alloc_slow()). No test of the event mask here:
 * kmm_slab_fast_on() in slab_alloc_try() already says no while anyone
 * listens to KMM_EVMASK_CACHE_ALLOC (part of KMM_EVMASK_SLAB_FAST), so a
 * listener sees every allocation through cache_alloc_slow(). callgrind,
 * KMM_QUICK=1 KMM_BENCH_CASE=3 bench/slab: see docs/malloc-measured.md.
 */
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	if (likely(!(s->slowpath_flags | (gfp & __GFP_ZERO)))) {
		void *obj = slab_alloc_try(s, gfp, NUMA_NO_NODE, false);
		if (likely(obj))
			return obj;
	}
	return cache_alloc_slow(s, gfp, (unsigned long)__builtin_return_address(0));
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	if (kmm_trace_on(s->machine, KMM_EVMASK_CACHE_ALLOC))
		return cache_alloc_traced(s, gfp, node, (unsigned long)__builtin_return_address(0));
	return slab_alloc_fast(s, gfp, node, (unsigned long)__builtin_return_address(0),
			       s->object_size);
}

/**
 * kmem_cache_alloc_fast() - kmem_cache_alloc(@s, GFP_KERNEL) where its fast
 * path serves it: no listener on the stream, @s without debug flags or
 * hardened free pointers, this thread alone on its CPU slot and in no
 * section of it, an object in this CPU's sheaf or on its cpu freelist.
 * Context: any thread; takes no lock and calls nothing.
 * Return: the object, or NULL with nothing changed (kmem_cache_alloc() then
 * does the rest).
 */
void *kmem_cache_alloc_fast(struct kmem_cache *s)
{
	return kmem_cache_alloc_fast_inline(s);
}

void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	if (kmm_trace_on(s->machine, KMM_EVMASK_CACHE_ALLOC))
		return cache_alloc_traced(s, gfp | __GFP_ZERO, NUMA_NO_NODE,
					  (unsigned long)__builtin_return_address(0));
	return slab_alloc_fast(s, gfp | __GFP_ZERO, NUMA_NO_NODE,
			       (unsigned long)__builtin_return_address(0), s->object_size);
}
