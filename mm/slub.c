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
 * map (KASAN's ratio) that marks allocated object starts, so a double free or
 * a free of an interior pointer is caught on every free for the cost of a
 * load and a store of that byte (a double free racing itself on two CPUs
 * is caught late, when its second copy leaves a sheaf: mm/slab.h); in a
 * cache given a shadow code (the malloc shim's size classes) the byte also
 * names the cache, so kfree_fast() finds an object's cache without reading
 * its struct page.
 *
 * Invariant: see mm/slab.h. Checked by slub_check().
 *
 * The debug reports and checks, the counts and drawing, and the checker are
 * in mm/slub_debug.c; a cache's layout (calculate_sizes() and the orders) is
 * in mm/slub_layout.c; making and discarding slabs, the node lists and the
 * cache-wide operations (flush_all, shrink, shutdown) in mm/slub_cache.c;
 * kfree_fast(), the shim's free with no lock, in mm/slub_kfree.c; a
 * machine's slab state, its RCU grace periods and its
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
	slab->frozen_by = (unsigned long)(c - s->cpu_slab);
	cpu_set_slab(s, c, slab);
}

/*
 * The cpu slab's CPU freelist is empty: in one slab_cmpxchg(), take the
 * objects other CPUs freed into it meanwhile (the slab stays frozen), or,
 * when there are none, unfreeze it, full, onto no list (as deactivate_slab()
 * would leave it: a full slab needs no list_lock) - Linux's get_freelist().
 * Return: true if @c->freelist was refilled; false if @c has no cpu slab now.
 * Context: the slot's guard held, @c->freelist NULL.
 */
static bool refill_or_unfreeze(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab *slab = c->slab;
	int spins = 0;

	for (;;) {
		void *fl;
		unsigned long counters = slab_read_unlocked(slab, &fl, &spins);
		struct slab new;

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
			c->nr_free = (unsigned int)(old.objects - old.inuse);
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
	slab->frozen_by = (unsigned long)(c - s->cpu_slab);
	cpu_set_slab(s, c, slab);
}

/* refill_or_unfreeze() under the slab lock: remote frees, else deactivate. */
static bool refill_or_unfreeze(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab *slab = c->slab;

	slab_lock(slab);
	if (READ_ONCE(slab->freelist)) {
		c->freelist = READ_ONCE(slab->freelist);
		c->nr_free = slab->objects - slab->inuse;
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
					     node);
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
		struct kmem_cache_cpu *c = &s->cpu_slab[cpu];
		int owned = kmm_cpu_enter(slot_guard(s, cpu));

		while (c->sheaf_nr) {
			obj = c->sheaf[--c->sheaf_nr];
			if (unlikely(shadow_get(st, m, obj) != SHADOW_FREE)) {
				/* The second copy of a double free (mm/slab.h): dropped. */
				sheaf_double_free(s, obj, shadow_get(st, m, obj));
				continue;
			}
			if (unlikely(!sheaf_link_ok(s, obj, sheaf_below(c->sheaf, c->sheaf_nr), true)))
				sheaf_bad_link(s, obj);
			shadow_set(st, m, obj, cache_shadow_alloc(s));
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
slab_alloc_try(struct kmem_cache *s, gfp_t gfp, int node, const bool hardened)
{
	struct kmm_machine *m = s->machine;

	/* The plain variant's caller has tested s->slowpath_flags and __GFP_ZERO. */
	if (likely(node == NUMA_NO_NODE &&
		   (!hardened || (s->slowpath_flags == SLAB_FAST_HARDENED && !(gfp & __GFP_ZERO))) &&
		   kmm_cpu_cache.serial == m->serial)) {
		struct kmm_cpu_guard *g = kmm_cpu_cache.guard;

		if (likely(kmm_cpu_enter_owned(g))) {
			struct kmem_cache_cpu *c = &s->cpu_slab[kmm_cpu_cache.cpu];
			unsigned int k = c->sheaf_nr;
			void *obj;
			if (k) {
				void **sheaf = c->sheaf;
				/* The object freed last, likely still in the cache. */
				obj = sheaf[k - 1];
				unsigned char *sh = cache_shadow(s, obj);
				/*
				 * Not FREE: a second copy of a double free
				 * (mm/slab.h); a link that changed: written after
				 * free. slab_alloc_full() reports either.
				 */
				if (unlikely(__atomic_load_n(sh, __ATOMIC_RELAXED) != SHADOW_FREE ||
					     !sheaf_link_ok(s, obj, sheaf_below(sheaf, k - 1), hardened))) {
					kmm_cpu_exit_owned(g);
					return NULL;
				}
				c->sheaf_nr = k - 1;
				__atomic_store_n(sh, cache_shadow_alloc(s), __ATOMIC_RELAXED);
				kmm_cpu_exit_owned(g);
				return obj;
			}
			obj = c->freelist;
			if (likely(obj)) {
				void *next = hardened ? get_freepointer(s, obj) :
							get_freepointer_plain(s, obj);
				unsigned char *sh = cache_shadow(s, obj);
				/* A live object on a freelist: slab_alloc_full() reports it. */
				if (likely(cpu_fp_ok(s, c, next) &&
					   !shadow_live_in(s, __atomic_load_n(sh, __ATOMIC_RELAXED)))) {
					c->freelist = next;
					c->nr_free--;
					__atomic_store_n(sh, cache_shadow_alloc(s), __ATOMIC_RELAXED);
					kmm_cpu_exit_owned(g);
					return obj;
				}
			}
			kmm_cpu_exit_owned(g);
		}
	}
	return NULL;
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
 * Does a free of @nr objects into a slab with @counters maybe move it? Not
 * frozen, not on a CPU's partial list, and full (on no list, or a
 * transition's) or down to its last @nr objects.
 */
static inline bool slab_free_relists(unsigned long counters, unsigned int nr)
{
	struct slab c;

	c.counters = counters;
	return !(c.frozen & 1) && c.list != SLAB_LIST_CPU_PARTIAL &&
	       (c.inuse == c.objects || c.inuse == nr);
}

/*
 * __slab_free() of a free that may move its slab: a full slab's first free
 * (Linux's put_cpu_partial: the swap itself sets the list byte to
 * SLAB_LIST_CPU_PARTIAL, so exactly one free claims the slab, and it goes
 * to this CPU's partial list with no list_lock), or an unfrozen node slab's
 * last object or a slab between states (n->list_lock first, as Linux takes
 * it, then the swap, then the slab goes where its count says). Out of line:
 * most remote frees move nothing and save no registers for it (nor look up
 * this CPU's kmem_cache_cpu). The objects are a chain of @nr from @head to
 * @tail (one object: all three the same), linked but for @tail's pointer.
 * Context: this CPU's slot section.
 */
static __attribute__((noinline)) void __slab_free_relist(struct kmem_cache *s, struct slab *slab,
							 void *head, void *tail, unsigned int nr)
{
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));
	bool locked = false, on_node = false, to_cpu = false;
	unsigned int inuse = 0;
	int spins = 0;

	for (;;) {
		void *prior;
		unsigned long counters = slab_read_unlocked(slab, &prior, &spins);
		struct slab new;

		new.counters = counters;
		new.inuse = (unsigned short)(new.inuse - nr);
		set_freepointer(s, tail, prior);
		if (!(new.frozen & 1) && new.list == SLAB_LIST_FULL_OFF && s->cpu_partial_slabs) {
			new.list = SLAB_LIST_CPU_PARTIAL;
			if (slab_cmpxchg(slab, prior, counters, head, new.counters)) {
				to_cpu = true;
				break;
			}
			continue;
		}
		if (!locked && slab_free_relists(counters, nr)) {
			spin_lock(&n->list_lock);
			locked = true;
			continue;
		}
		/* Looked at again under list_lock: another free may have moved it meanwhile. */
		on_node = locked && !(new.frozen & 1) && new.list != SLAB_LIST_CPU_PARTIAL;
		if (slab_cmpxchg(slab, prior, counters, head, new.counters)) {
			inuse = new.inuse;
			break;
		}
	}
	slab_free_settle(s, n, slab, locked, on_node, to_cpu, inuse);
}

/* slab_push() once its first swap did not go through: the retry loop, waits included. */
static __attribute__((noinline)) void __slab_free_retry(struct kmem_cache *s, struct slab *slab,
							void *head, void *tail, unsigned int nr)
{
	int spins = 0;

	for (;;) {
		void *prior;
		unsigned long counters = slab_read_unlocked(slab, &prior, &spins);

		if (slab_free_relists(counters, nr)) {
			__slab_free_relist(s, slab, head, tail, nr);
			return;
		}
		set_freepointer(s, tail, prior);
		/* inuse is the low half-word of counters (>= @nr: the objects were allocated) */
		if (slab_cmpxchg(slab, prior, counters, head, counters - nr))
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
 * tail calls, so it saves no registers. slab_push() is the part after the
 * shadow test, for a chain of @nr objects from @head to @tail, linked but
 * for @tail's pointer (a single free: one object, @nr 1; sheaf_flush():
 * a slab's objects of the flush, whose shadow says FLUSHED, in one swap).
 * Context: this thread's slot section (owned: no lock).
 */
static inline __attribute__((always_inline)) void slab_push(struct kmem_cache *s, struct slab *slab,
							     void *head, void *tail, unsigned int nr)
{
	void *prior = __atomic_load_n(&slab->freelist, __ATOMIC_RELAXED);
	unsigned long counters = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);

	if (likely(!(counters & SLAB_COUNTERS_LOCKED))) {
		if (unlikely(slab_free_relists(counters, nr))) {
			__slab_free_relist(s, slab, head, tail, nr);
			return;
		}
		set_freepointer(s, tail, prior);
		if (likely(slab_cmpxchg(slab, prior, counters, head, counters - nr)))
			return;
	}
	__slab_free_retry(s, slab, head, tail, nr);
}

static void __slab_free(struct kmem_cache *s, struct slab *slab, void *obj)
{
	if (unlikely(((unsigned long)obj & 7) || !shadow_claim_free(s, cache_shadow(s, obj)))) {
		slab_free_bad(s, slab, obj);
		return;
	}
	slab_push(s, slab, obj, obj, 1);
}

/*
 * A sheaf's objects of @slab (their shadow says FLUSHED already), a chain
 * of @nr from @head to @tail, back into @slab, not this CPU's cpu slab.
 */
static inline __attribute__((always_inline)) void
sheaf_return(struct kmem_cache *s, struct slab *slab, void *head, void *tail, unsigned int nr)
{
	slab_push(s, slab, head, tail, nr);
}
#else
/*
 * A free into a slab that is not this CPU's cpu slab, under the slab lock,
 * of a chain of @nr objects from @head to @tail, linked but for @tail's
 * pointer (one object: @head, @tail the same, @nr 1); @claim (one object
 * only): claim the shadow byte there (a sheaf's objects come claimed,
 * FLUSHED: sheaf_flush()).
 */
static void slab_free_locked(struct kmem_cache *s, struct slab *slab, void *head, void *tail,
			     unsigned int nr, bool claim)
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
		    (slab->inuse == slab->objects || slab->inuse == nr)) {
			/* The slab changes list: take list_lock first (lock order). */
			slab_unlock(slab);
			spin_lock(&n->list_lock);
			locked = true;
			continue;
		}
		break;
	}
	/* The claim: a free of this object racing on another CPU's cpu slab path finds it FREE. */
	if (claim && (((unsigned long)head & 7) || !shadow_claim_free(s, shadow_of(st, m, head)))) {
		free_check(s, slab, head);
		slab_unlock(slab);
		if (locked)
			spin_unlock(&n->list_lock);
		return;
	}
	if (to_cpu)
		slab_set_list(slab, SLAB_LIST_CPU_PARTIAL);
	set_freepointer(s, tail, slab->freelist);
	slab->freelist = head;
	/* Without list_lock: slab_count() reads a partial slab's inuse under it. */
	WRITE_ONCE(slab->inuse, (unsigned short)(slab->inuse - nr));
	unsigned int inuse = slab->inuse;
	slab_unlock(slab);
	slab_free_settle(s, n, slab, locked, on_node, to_cpu, inuse);
}

static void __slab_free(struct kmem_cache *s, struct slab *slab, void *obj)
{
	slab_free_locked(s, slab, obj, obj, 1, true);
}

/* A sheaf's objects of @slab (FLUSHED already), a chain as slab_push()'s, back into @slab. */
static void sheaf_return(struct kmem_cache *s, struct slab *slab, void *head, void *tail,
			 unsigned int nr)
{
	slab_free_locked(s, slab, head, tail, nr, false);
}
#endif

/*
 * sheaf_flush() - give the @nr oldest objects of @c's sheaf back to their
 * slabs: an object of @c's cpu slab onto c->freelist; the others, a run of
 * objects of one slab at a time (the cpu slab's between them do not end a
 * run), chained and pushed on their slab in one swap, as a remote free of
 * that many objects (which may move that slab to this thread's CPU partial
 * list, or discard it), in the order one push each gave them. Only runs:
 * looking for each object's slab among all met cost small_churn (frees in
 * random order, few objects of a slab per flush) more instructions than
 * the swaps it saved. The younger objects move down. Each
 * object is claimed by a compare-exchange of its shadow byte from FREE to
 * FLUSHED: an object found otherwise is the second copy of a double free
 * whose first copy was handed out or given back already (mm/slab.h),
 * reported and dropped (its bytes, maybe a live object's now, are not
 * touched). The claim is exact, not a load and a store as a free's, because
 * two copies given back at once would both be pushed, and a freelist that
 * holds an object twice is a cycle. One locked instruction per object given
 * back, half a sheaf of frees at a time: not on the fast path.
 * Context: @c's slot held by this thread, which has a slot of its own.
 */
void sheaf_flush(struct kmem_cache *s, struct kmem_cache_cpu *c, unsigned int nr)
{
	void **sheaf = c->sheaf;
	/* The run of objects of one slab being chained: newest (head) down to oldest (tail). */
	struct slab *run = NULL;
	void *head = NULL, *tail = NULL;
	unsigned int run_nr = 0;

	for (unsigned int i = 0; i < nr; i++) {
		void *obj = sheaf[i];
		unsigned char v = SHADOW_FREE;

		if (unlikely(!__atomic_compare_exchange_n(cache_shadow(s, obj), &v, SHADOW_FLUSHED,
							  false, __ATOMIC_ACQUIRE,
							  __ATOMIC_RELAXED))) {
			sheaf_double_free(s, obj, v);
			continue;
		}
		struct slab *slab = virt_to_slab_fast(s->machine, obj);

		if (unlikely(!sheaf_link_ok(s, obj, sheaf_below(sheaf, i), true)))
			sheaf_bad_link(s, obj);
		if (slab == c->slab) {
			set_freepointer(s, obj, c->freelist);
			c->freelist = obj;
			c->nr_free++;
			continue;
		}
		if (slab == run) {
			set_freepointer(s, obj, head);
			head = obj;
			run_nr++;
			continue;
		}
		if (run)
			sheaf_return(s, run, head, tail, run_nr);
		run = slab;
		head = tail = obj;
		run_nr = 1;
	}
	if (run)
		sheaf_return(s, run, head, tail, run_nr);
	if (nr && nr < c->sheaf_nr) {
		/* The new bottom: its link checked against the object below, then cleared. */
		void *bottom = sheaf[nr];
		unsigned char *sh = cache_shadow(s, bottom), v = SHADOW_FREE;
		/*
		 * Held FLUSHED while its link is rewritten: a second copy of it
		 * given back meanwhile by another CPU (whose push writes the same
		 * word) is then the one dropped. Not FREE: this is that second
		 * copy, left for when it leaves (above).
		 */
		if (likely(__atomic_compare_exchange_n(sh, &v, SHADOW_FLUSHED, false,
						       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))) {
			if (unlikely(!sheaf_link_ok(s, bottom, sheaf[nr - 1], true)))
				sheaf_bad_link(s, bottom);
			sheaf_link(s, bottom, NULL, true);
			shadow_owned_free(sh);
		}
	}
	c->sheaf_nr -= nr;
	memmove(sheaf, sheaf + nr, sizeof(sheaf[0]) * c->sheaf_nr);
}

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
	if (s->sheaf_capacity) {
		/*
		 * Into the sheaf; a full one gives its older half back first,
		 * before the claim: a second copy of @obj there, left by a
		 * double free that raced (mm/slab.h), must find @obj allocated
		 * and be dropped, not find our FREE and be given back under the
		 * copy we push.
		 */
		if (c->sheaf_nr == s->sheaf_capacity)
			sheaf_flush(s, c, s->sheaf_capacity / 2);
		/*
		 * Claimed as FLUSHED until the link is written (a second copy
		 * given back meanwhile finds it so and is dropped: mm/slab.h).
		 */
		unsigned char *sh = cache_shadow(s, obj);
		if (unlikely(((unsigned long)obj & 7) || !shadow_claim_to(s, sh, SHADOW_FLUSHED))) {
			kmm_cpu_exit(slot_guard(s, cpu), owned);
			slab_free_bad(s, slab, obj);
			return;
		}
		sheaf_link(s, obj, sheaf_below(c->sheaf, c->sheaf_nr), true);
		shadow_owned_free(sh);
		c->sheaf[c->sheaf_nr++] = obj;
		kmm_cpu_exit(slot_guard(s, cpu), owned);
		return;
	}
	if (likely(slab == c->slab)) {
		if (unlikely(((unsigned long)obj & 7) || !shadow_claim_free(s, cache_shadow(s, obj)))) {
			kmm_cpu_exit(slot_guard(s, cpu), owned);
			slab_free_bad(s, slab, obj);
			return;
		}
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
			unsigned int k = c->sheaf_nr;
			void **sheaf = c->sheaf;

			/*
			 * Each branch that pushes claims the shadow byte first:
			 * into the sheaf by a load and, after the link, a store
			 * (shadow_owned_live(), shadow_owned_free()), on the cpu freelist of a cache
			 * without sheaves by a compare-exchange
			 * (shadow_claim_free(); mm/slab.h says why). One that
			 * cannot (not allocated, a full sheaf) leaves it to
			 * slab_free_full(), which reports or gives half the
			 * sheaf back.
			 */
			if (k < s->sheaf_capacity) {
				if (likely(shadow_owned_live(s, sh))) {
					sheaf_link(s, obj, sheaf_below(sheaf, k), hardened);
					shadow_owned_free(sh);
					sheaf[k] = obj;
					c->sheaf_nr = k + 1;
					kmm_cpu_exit_owned(g);
					return;
				}
			} else if (likely(!s->sheaf_capacity)) {
				if (unlikely(slab != c->slab)) {
					slab_free_other(s, slab, obj, g);
					return;
				}
				if (likely(shadow_claim_free(s, sh))) {
					if (hardened)
						set_freepointer(s, obj, c->freelist);
					else
						set_freepointer_plain(s, obj, c->freelist);
					c->freelist = obj;
					c->nr_free++;
					kmm_cpu_exit_owned(g);
					return;
				}
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
	if (unlikely(s->slowpath_flags) || kmm_trace_on(s->machine, KMM_EVMASK_CACHE_ALLOC))
		return NULL;
	return slab_alloc_try(s, GFP_KERNEL, NUMA_NO_NODE, false);
}

void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	if (kmm_trace_on(s->machine, KMM_EVMASK_CACHE_ALLOC))
		return cache_alloc_traced(s, gfp | __GFP_ZERO, NUMA_NO_NODE,
					  (unsigned long)__builtin_return_address(0));
	return slab_alloc_fast(s, gfp | __GFP_ZERO, NUMA_NO_NODE,
			       (unsigned long)__builtin_return_address(0), s->object_size);
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
		/* On a freelist, a cache with sheaves marks it FLUSHED (FREE: in a sheaf). */
		if (!slab || slab != c->slab || ((unsigned long)obj & 7) ||
		    !shadow_claim_to(s, shadow_of(st, m, obj),
				     s->sheaf_capacity ? SHADOW_FLUSHED : SHADOW_FREE))
			break;
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
