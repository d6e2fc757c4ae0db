// SPDX-License-Identifier: MIT
/*
 * mm/slub_free.c - the slab's free half: kmem_cache_free() and its fast
 * path, the lockless free into another slab (__slab_free), the move of a
 * full slab's first free to this CPU's partial list, sheaf_flush(), and the
 * bulk free.
 *
 * Linux counterpart: mm/slub.c (6.12) from do_slab_free() on, and 6.18's
 * sheaves (free_to_pcs, sheaf_flush_unused). What is kept, changed and
 * added is written at the top of mm/slub.c, which holds the allocation half;
 * split from it at 1,500 lines (STYLE) with no change of behaviour.
 *
 * Invariant: see mm/slab.h (the shadow byte's states, and what a racing
 * double free does). Checked by slub_check().
 *
 * Locking: as mm/slub.c: CPU slot guard -> n->list_lock -> slab_lock ->
 *          zone->lock. A free into another slab takes no lock but its one
 *          swap; list_lock only when the slab changes node list.
 */
#include <stdlib.h>
#include <string.h>

#include "mm/slab_fast.h"

/* ---- Into this CPU's partial list ---- */

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
		put_cpu_partial(s, per_cpu_ptr(s->cpu_slab, slab_this_cpu(s->machine)), slab);
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
	if (unlikely(shadow_misaligned(s, obj) || !shadow_claim_free(s, cache_shadow(s, obj)))) {
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
	if (claim && (shadow_misaligned(s, head) || !shadow_claim_free(s, shadow_of(st, m, head)))) {
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
static inline __attribute__((always_inline)) void
sheaf_give_back_as(struct kmem_cache *s, struct kmem_cache_cpu *c, void **sheaf, unsigned int nr,
		   const bool hardened)
{
	/*
	 * The run of objects of one slab being chained: newest (head) down to
	 * oldest (tail); its slab's pages are the @run_bytes from @run_lo.
	 */
	struct slab *run = NULL;
	void *head = NULL, *tail = NULL;
	unsigned int run_nr = 0;
	uintptr_t run_lo = 0;
	unsigned long run_bytes = 0;

	for (unsigned int i = 0; i < nr; i++) {
		void *obj = sheaf[i];
		unsigned char v = SHADOW_FREE;

		if (unlikely(!__atomic_compare_exchange_n(cache_shadow(s, obj), &v, SHADOW_FLUSHED,
							  false, __ATOMIC_ACQUIRE,
							  __ATOMIC_RELAXED))) {
			sheaf_double_free(s, obj, v);
			continue;
		}
		if (unlikely(!sheaf_link_ok(s, obj, hardened)))
			sheaf_bad_link(s, obj);
		/*
		 * Outside the run's slab's pages (none yet: @run_bytes 0), the
		 * object's slab is looked up; inside, it is one of that slab's
		 * objects, and no struct page is read (the run's objects count
		 * in its inuse, so it stays this cache's slab until its push).
		 * A batch freed in order flushes as runs of ~27 objects
		 * (free_storm); small_churn's are runs of one, which compute no
		 * range: it is taken from the run's second object on.
		 */
		if ((uintptr_t)obj - run_lo >= run_bytes) {
			struct slab *slab = virt_to_slab_fast(s->machine, obj);

			if (slab == c->slab) {
				if (hardened)
					set_freepointer(s, obj, c->freelist);
				else
					set_freepointer_plain(s, obj, c->freelist);
				c->freelist = obj;
				c->nr_free++;
				continue;
			}
			/* (a NULL slab, never met, starts no range: dropped as before) */
			if (slab != run || unlikely(!slab)) {
				if (run)
					sheaf_return(s, run, head, tail, run_nr);
				run = slab;
				run_bytes = 0;
				head = tail = obj;
				run_nr = 1;
				continue;
			}
			run_lo = (uintptr_t)slab_addr_m(s->machine, slab);
			run_bytes = PAGE_SIZE << slab_order(slab);
		}
		if (hardened)
			set_freepointer(s, obj, head);
		else
			set_freepointer_plain(s, obj, head);
		head = obj;
		run_nr++;
	}
	if (run)
		sheaf_return(s, run, head, tail, run_nr);
}

static inline __attribute__((always_inline)) void
sheaf_flush_as(struct kmem_cache *s, struct kmem_cache_cpu *c, unsigned int nr, const bool hardened)
{
	void **sheaf = c->sheaf;

	/* The objects left keep their links (sheaf_link(): no link names its place). */
	sheaf_give_back_as(s, c, sheaf, nr, hardened);
	c->sheaf_nr -= nr;
	memmove(sheaf, sheaf + nr, sizeof(sheaf[0]) * c->sheaf_nr);
}

/*
 * Two copies: free pointers in the clear (s->random 0, every cache but
 * slab_freelist_hardened=on's) are read and written plain, with no key and
 * no byte swap (callgrind, free_storm 1 100 10000: every object leaves
 * through here).
 */
void sheaf_flush(struct kmem_cache *s, struct kmem_cache_cpu *c, unsigned int nr)
{
	if (s->random)
		sheaf_flush_as(s, c, nr, true);
	else
		sheaf_flush_as(s, c, nr, false);
}

/* ---- The barn ---- */

/*
 * How many sheaves (barn_unit() objects each) a barn of @s holds:
 * SHEAF_BARN_OBJECTS, SHEAF_BARN_BYTES (mm/slab.h).
 */
static unsigned int barn_sheaves_for(const struct kmem_cache *s)
{
	unsigned int unit = barn_unit(s);
	unsigned int by_objects = SHEAF_BARN_OBJECTS / unit;
	unsigned int by_bytes = SHEAF_BARN_BYTES / (unit * s->size);
	unsigned int n = by_objects < by_bytes ? by_objects : by_bytes;

	return n < 1 ? 1 : n > SHEAF_BARN_MAX ? SHEAF_BARN_MAX : n;
}

/*
 * How many sheaves CPU barn @b of @s may hold now: s->barn_max shared by
 * every two of @s's barns that hold sheaves (s->barns_used, read relaxed:
 * a hint), @b counted, so that they hold together at most about twice
 * what the node's one barn held until session 24 (the malloc shim's machine
 * has 16 slots or more, one per thread: a barn each with the whole bound,
 * up to 256 KiB of a class, would multiply it by the threads). A barn over
 * its share after more barns filled takes no more hand-ins until it is
 * under. Until session 28 the bound was shared by the CPU slots threads
 * held (aa8fc0e), and a thread that freed nothing into @s took a share
 * all the same: free_storm 2 100 10000's main thread, in pthread_join(),
 * cut each worker's barn to two thirds, and a third of what the workers
 * freed overflowed into sheaf_flush() and came back by __slab_alloc().
 * A slot a thread gave back keeps its barn, and its share, until a shrink
 * empties it. 0 for a cache that keeps no sheaves.
 */
static unsigned int barn_room(const struct kmem_cache *s, const struct sheaf_barn *b)
{
	unsigned int room = s->barn_max;
	unsigned int used = __atomic_load_n(&s->barns_used, __ATOMIC_RELAXED) + !b->nr;

	if (used > 2) {
		room = room * 2 / used;
		if (!room && s->barn_max)
			room = 1;
	}
	return room;
}

/* @b, of @s, went from empty to holding a sheaf (@on) or back: s->barns_used. */
static void barn_count(struct kmem_cache *s, bool on)
{
	__atomic_fetch_add(&s->barns_used, on ? 1u : -1u, __ATOMIC_RELAXED);
}

/*
 * A cache keeps sheaves if its free objects have a word for the barn link
 * beside the free pointer, *@link: the next word, else the one before. Not
 * a cache whose free pointer lies after its objects (a constructor's,
 * SLAB_TYPESAFE_BY_RCU's: their free objects' bytes are kept as they were)
 * nor one of 8-byte objects (slab_shadow_granule=8's kmalloc-8).
 */
static bool barn_link_for(const struct kmem_cache *s, unsigned int *link)
{
	if (!s->sheaf_capacity || s->ctor || (s->flags & SLAB_TYPESAFE_BY_RCU) ||
	    s->offset + sizeof(void *) > s->object_size)
		return false;
	if (s->offset + 2 * sizeof(void *) <= s->size)
		*link = s->offset + (unsigned int)sizeof(void *);
	else if (s->offset >= sizeof(void *))
		*link = s->offset - (unsigned int)sizeof(void *);
	else
		return false;
	return true;
}

void kmem_cache_keep_sheaves(struct kmem_cache *s)
{
	unsigned int link = 0;

	s->keep_sheaves = barn_link_for(s, &link);
	s->barn_link = (unsigned short)link;
	s->barn_max = s->keep_sheaves ? (unsigned short)barn_sheaves_for(s) : 0;
}

/*
 * Chain @half's @unit objects (barn_put(): the newer half of a CPU's full
 * sheaf, oldest first) onto barn @b, in its barn_chains() chains (struct
 * sheaf_barn): each object's link names the object k below it, the lowest
 * k name the barn's old tops, and the highest k are its new tops.
 */
static inline __attribute__((always_inline)) void
barn_chain(const struct kmem_cache *s, void **half, unsigned int unit, struct sheaf_barn *b,
	   const bool hardened)
{
	unsigned int k = barn_chains(s);

	/* Object by object, down to the lowest k: the link k places below */
#pragma GCC unroll 4
	for (void **at = half + unit - 1; at >= half + k; at--)
		barn_set_next(s, *at, *(at - k), hardened);
	for (unsigned int i = 0; i < k; i++) {
		barn_set_next(s, half[k - 1 - i], b->top[i], hardened);
		b->top[i] = half[unit - 1 - i];
	}
}

/*
 * barn_put() - hand the newer half of @c's full sheaf (its top
 * barn_unit() objects) to @c's barn (struct sheaf_barn), if @s keeps
 * sheaves and the barn has room: those objects chained in their order
 * (every object's sheaf link, sheaf_link(), stays as it was), on top of the
 * barn's; @c keeps the older half.
 *
 * Half, not the whole sheaf (as until session 23): a CPU whose sheaf is
 * then half full needs half a sheaf of frees more, or of allocations, before
 * its next trade with the barn, where an empty sheaf after a hand-in (a full
 * one after a take) traded again at the next allocation (free): a program
 * whose frees and allocations of a class alternate at random (small_churn)
 * moved a sheaf to the barn and back every few calls, each object's line
 * written at the hand-in and read at the take (Linux keeps a spare sheaf
 * per CPU for the same). The newer half, not the older: its objects were
 * freed last, so their lines are likely still in the cache when their
 * links are written, and the half the CPU keeps needs no move down.
 * callgrind, small_churn 1000000 20000 1: 186.06 -> 178.53 M instructions,
 * 5.47 -> 5.08 M D1 misses (cachegrind); docs/malloc-measured-2.md.
 * Allocates nothing, takes no lock (the barn is @c's, as its sheaf).
 * Context: @c's slot section. Return: true if handed in.
 */
static bool barn_put(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct sheaf_barn *b = cpu_barn(s, c);
	unsigned int cap = s->sheaf_capacity, unit = barn_unit(s);
	void **sheaf = c->sheaf;
	bool hardened = s->random != 0;

	if (b->nr >= barn_room(s, b))
		return false;
	if (!b->nr)
		barn_count(s, true);
	/* The sheaf's objects are this CPU's, and so is the barn. */
	if (hardened)
		barn_chain(s, sheaf + (cap - unit), unit, b, true);
	else
		barn_chain(s, sheaf + (cap - unit), unit, b, false);
	b->nr++;
	c->sheaf_nr = cap - unit;
	return true;
}

/* sheaf_hand_in(): mm/slab_fast.h */
bool sheaf_hand_in(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	return barn_put(s, c);
}

/* kfree_fast_full(): mm/slab_fast.h */
void *kfree_fast_full(struct kmem_cache *s, struct kmem_cache_cpu *c, const void *p,
		      unsigned char *sh, struct kmm_cpu_guard *g)
{
	void *left = (void *)p;

	if (sheaf_hand_in(s, c)) {
		unsigned int k = c->sheaf_nr;
		sheaf_link(s, (void *)p, false);
		shadow_owned_free(sh);
		c->sheaf[k] = (void *)p;
		c->sheaf_nr = k + 1;
		left = NULL;
	}
	kmm_cpu_exit_owned(g);
	return left;
}

/*
 * An object in @s's barn whose barn link (the word beside its free pointer)
 * was overwritten (written after free): the barn's objects below it, @lost,
 * cannot be followed; they stay in use in their slabs until the next
 * barn_flush() finds them by their shadow (barn_recover()).
 */
static __attribute__((noinline, cold)) void barn_bad_link(struct kmem_cache *s, void *obj,
							  unsigned int lost)
{
	struct kmm_machine *m = s->machine;

	slab_bug(s, "Freepointer corrupt");
	kmm_printk(m, "Object 0x%016lx: the barn link of a freed object in a CPU's barn was "
		   "overwritten (written after free)", kaddr(m, obj));
	slab_fix(s, "Left the %u objects of the barn below object 0x%016lx to the next shrink",
		 lost, kaddr(m, obj));
}

/*
 * The newest sheaf (barn_unit() objects) off barn @b into @to, in the
 * order it was handed in, each object's barn link tested before it is
 * followed: a link that names no object of the direct map (barn_link_bad():
 * written after free) ends the barn there, the entries the take had reached
 * kept (those above the place the bad link was to fill), *@bad set to the
 * object and *@lost to the objects left behind. Context: @b's CPU slot held,
 * the barn not empty. Return: the entries put in @to, from @to[0].
 */
static inline __attribute__((always_inline)) unsigned int
barn_unchain(struct kmem_cache *s, struct sheaf_barn *b, void **to, void **bad,
	     unsigned int *lost, const bool hardened)
{
	struct kmm_machine *m = s->machine;
	uintptr_t base = (uintptr_t)kmm_direct_map_base(m);
	uintptr_t bytes = (uintptr_t)kmm_direct_map_bytes(m);
	unsigned int unit = barn_unit(s), k = barn_chains(s), left = b->nr - 1, from = 0;
	void **at = to + unit - k, *next;

	for (unsigned int i = 0; i < k; i++)
		to[unit - 1 - i] = b->top[i];
	/*
	 * Down from the top: place p's object is the link of the one k above
	 * it, so the loads of the k chains do not wait for each other (the
	 * objects' lines are fetched k at a time). With BARN_CHAINS chains
	 * (every cache whose barn_unit() is 4 or more), k places at a time,
	 * each chain's newest object kept in a register: the loop below, one
	 * place at a time, read it back from @to, a load waiting on the store
	 * of the round before (free_storm 1 1000 10000, perf: barn_take()
	 * 19.9% of the samples, 17.8-18.5% since; cachegrind, free_storm 1 100
	 * 10000: its instructions 13.19 -> 12.97 M).
	 */
	if (k == BARN_CHAINS) {
		void *h[BARN_CHAINS];

		for (unsigned int i = 0; i < BARN_CHAINS; i++)
			h[i] = b->top[i];
		while (at - to >= BARN_CHAINS) {
			/* place at - 1 - i takes the link of chain i's newest, h[i] */
#pragma GCC unroll 4
			for (unsigned int i = 0; i < BARN_CHAINS; i++) {
				next = barn_next(s, h[i], hardened);
				if (unlikely(barn_link_bad(next, base, bytes))) {
					*bad = h[i];
					from = (unsigned int)(at - to) - i;
					goto broken;
				}
				at[-1 - (int)i] = h[i] = next;
			}
			at -= BARN_CHAINS;
		}
	}
	/* One place at a time: the rest (fewer than k), or all with fewer chains. */
	for (; at != to;) {
		next = barn_next(s, at[k - 1], hardened);
		if (unlikely(barn_link_bad(next, base, bytes))) {
			*bad = at[k - 1];
			from = (unsigned int)(at - to);
			goto broken;
		}
		*--at = next;
	}
	/* The next sheaf's tops (the barn's last objects link to NULL). */
	for (unsigned int i = 0; i < k; i++) {
		next = NULL;
		if (left) {
			next = barn_next(s, to[k - 1 - i], hardened);
			if (unlikely(barn_link_bad(next, base, bytes))) {
				*bad = to[k - 1 - i];
				goto broken;
			}
		}
		b->top[i] = next;
	}
	b->nr = left;
	if (!left)
		barn_count(s, false);
	return unit;
broken:
	*lost = from + left * unit;
	__atomic_store_n(&s->barn_broken, true, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < BARN_CHAINS; i++)
		b->top[i] = NULL;
	b->nr = 0;
	barn_count(s, false);
	memmove(to, to + from, sizeof(*to) * (unit - from));
	return unit - from;
}

/* barn_take(): mm/slab.h */
bool barn_take(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct sheaf_barn *b;
	unsigned int nr = 0, lost = 0;
	void *bad = NULL;

	if (!s->keep_sheaves || c->sheaf_nr || !(b = cpu_barn(s, c))->nr)
		return false;
	nr = s->random ? barn_unchain(s, b, c->sheaf, &bad, &lost, true)
		       : barn_unchain(s, b, c->sheaf, &bad, &lost, false);
	if (unlikely(bad))
		barn_bad_link(s, bad, lost);
	c->sheaf_nr = nr;
	return nr != 0;
}

/* kmem_cache_alloc_barn(): mm/slab_fast.h */
void *kmem_cache_alloc_barn(struct kmem_cache *s)
{
	void *obj = NULL;

	/* This thread's slot on the cache's machine, no listener; then its guard. */
	if (!s->keep_sheaves || s->slowpath_flags || !kmm_slab_fast_on(s->machine))
		return NULL;
	struct kmm_cpu_guard *g = kmm_cpu_cache.guard;
	if (!kmm_cpu_enter_owned(g))
		return NULL;
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, kmm_cpu_cache.cpu);
	/*
	 * Only into an empty sheaf; then its newest object in the same
	 * section, with any pop's checks (one that fails leaves the sheaf to
	 * slab_alloc_full()): not a second entry of the slot through
	 * kmem_cache_alloc_fast_inline().
	 */
	if (!c->freelist && barn_take(s, c))
		obj = slab_pop_owned(s, c, false, 0, 0, 0, NULL);
	kmm_cpu_exit_owned(g);
	return obj;
}

/*
 * After a barn link was found overwritten (barn_bad_link()): the objects the
 * barn lost are FREE in their slabs and, every sheaf and barn being empty
 * now, in none: every slab of @s is looked at by a walk of the frames (a
 * lost object's slab may be on any list, or full on none), and what it
 * finds is given back as a sheaf's objects are. Rare (a write after free
 * the machine has already reported): the walk's cost is not on any path
 * a program repeats. Context: as barn_flush(), after the barns emptied.
 */
static __attribute__((noinline, cold)) void barn_recover(struct kmem_cache *s,
							 struct kmem_cache_cpu *c)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	void **v = NULL;
	size_t nr = 0, max = 0;

	for (unsigned long pfn = 0; pfn < m->max_low_pfn; pfn++) {
		/* A chunk whose struct pages are not initialised holds no slab. */
		if (m->section_state && pfn_init_state(m, pfn) != SECTION_ONLINE)
			continue;
		struct page *page = pfn_to_page_m(m, pfn);
		if (!page_has_type_acquire(page, PGTY_slab) || page_slab(page)->slab_cache != s)
			continue;
		struct slab *slab = page_slab(page);
		for (unsigned int i = 0; i < slab->objects; i++) {
			void *obj = index_to_obj(s, slab, i);
			if (shadow_get(st, m, obj) != SHADOW_FREE)
				continue;
			if (nr == max) {
				void **more = realloc(v, sizeof(*v) * (max = max ? 2 * max : 256));
				if (!more)
					goto out;	/* no host memory: the rest stays lost */
				v = more;
			}
			v[nr++] = obj;
		}
	}
out:
	for (size_t k = 0; k < nr; k += SLAB_SHEAF_MAX) {
		unsigned int part = (unsigned int)KMM_MIN(nr - k, (size_t)SLAB_SHEAF_MAX);
		if (s->random)
			sheaf_give_back_as(s, c, v + k, part, true);
		else
			sheaf_give_back_as(s, c, v + k, part, false);
	}
	if (nr)
		slab_fix(s, "Gave %zu objects the barn had lost back to their slabs", nr);
	free(v);
}

/* barn_flush(): mm/slab.h */
void barn_flush(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct kmm_machine *m = s->machine;

	if (!s->keep_sheaves)
		return;
	for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
		if (!cpu_populated(&m->percpu, cpu))
			continue;
		struct sheaf_barn *b = cpu_barn(s, per_cpu_ptr(s->cpu_slab, cpu));

		while (b->nr) {
			void *sheaf[SLAB_SHEAF_MAX], *bad = NULL;
			unsigned int nr, lost = 0;

			nr = s->random ? barn_unchain(s, b, sheaf, &bad, &lost, true)
				       : barn_unchain(s, b, sheaf, &bad, &lost, false);
			if (unlikely(bad))
				barn_bad_link(s, bad, lost);
			if (s->random)
				sheaf_give_back_as(s, c, sheaf, nr, true);
			else
				sheaf_give_back_as(s, c, sheaf, nr, false);
		}
	}
	if (unlikely(__atomic_exchange_n(&s->barn_broken, false, __ATOMIC_RELAXED)))
		barn_recover(s, c);
}

/* Every free the fast path below does not finish (see slab_alloc_full(), mm/slub.c). */
static __attribute__((noinline)) void
slab_free_full(struct kmem_cache *s, struct slab *slab, void *obj, unsigned long caller)
{
	struct kmm_machine *m = s->machine;

	if (unlikely(kmem_cache_debug(s))) {
		free_single(s, slab, obj, caller);
		return;
	}
	int cpu = slab_this_cpu(m);
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
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
		if (c->sheaf_nr == s->sheaf_capacity && !barn_put(s, c))
			sheaf_flush(s, c, s->sheaf_capacity / 2);
		/*
		 * Claimed as FLUSHED until the link is written (a second copy
		 * given back meanwhile finds it so and is dropped: mm/slab.h).
		 */
		unsigned char *sh = cache_shadow(s, obj);
		if (unlikely(shadow_misaligned(s, obj) || !shadow_claim_to(s, sh, SHADOW_FLUSHED))) {
			kmm_cpu_exit(slot_guard(s, cpu), owned);
			slab_free_bad(s, slab, obj);
			return;
		}
		sheaf_link(s, obj, true);
		shadow_owned_free(sh);
		c->sheaf[c->sheaf_nr++] = obj;
		kmm_cpu_exit(slot_guard(s, cpu), owned);
		return;
	}
	if (likely(slab == c->slab)) {
		if (unlikely(shadow_misaligned(s, obj) || !shadow_claim_free(s, cache_shadow(s, obj)))) {
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
 * free pointers are, as in mm/slub.c's slab_alloc_fast_as()), the slot's guard entered
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
		   !shadow_misaligned(s, obj))) {
		struct kmm_cpu_guard *g = kmm_cpu_cache.guard;

		if (likely(kmm_cpu_enter_owned(g))) {
			struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, kmm_cpu_cache.cpu);
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
					sheaf_link(s, obj, hardened);
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

/* ---- The cache API's frees ---- */

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

/*
 * Every kmem_cache_free() its fast path below does not finish: NULL, a
 * listener (the traced way), else cache_free() (the struct page way, which
 * reports a bad pointer, a double free or an object of another cache).
 * Out of line and reached by a tail call with the caller's return address.
 */
static __attribute__((noinline)) void cache_free_slow(struct kmem_cache *s, void *obj,
						      unsigned long caller)
{
	if (!obj)
		return;
	if (kmm_trace_on(s->machine, KMM_EVMASK_CACHE_FREE)) {
		cache_free_traced(s, obj, caller);
		return;
	}
	cache_free(s, obj, caller);
}

/*
 * kmem_cache_free() is shaped as the malloc shim's free(): a fast path that
 * calls nothing and needs no callee-saved register, the rest tail-called
 * (cache_free_slow()). Neither of its two pushes reads @obj's struct page:
 * - a cache with sheaves and a shadow code (__kmem_cache_create() gives one
 *   while codes last): @obj's byte saying @s's code proves it an allocated
 *   object of a slab of @s (mm/slab.h), and that load is the claim's first
 *   half (shadow_owned_live(), kfree_fast_coded()'s reasoning); then the
 *   sheaf link, FREE, the push;
 * - a cache without sheaves (Linux 6.12's SLUB): @obj between the first and
 *   last object of this CPU's cpu slab (c->lo, c->span, set with c->slab)
 *   is of that slab, so of @s; then the exact claim (shadow_claim_free(),
 *   a compare-exchange: mm/slab.h says why it must be), the free pointer,
 *   the push on the cpu freelist.
 * No test of the event mask: kmm_slab_fast_on() says no while anyone
 * listens to KMM_EVMASK_CACHE_FREE. A second free finds FREE or FLUSHED,
 * not the code, or loses the compare-exchange, and cache_free() reports it
 * as before; so does an object of another cache (another code, or
 * SHADOW_ALLOCATED, or outside the cpu slab).
 */
void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	struct kmm_machine *m = s->machine;

	if (likely(kmm_slab_fast_on(m) && !s->slowpath_flags && !shadow_misaligned(s, obj))) {
		struct kmm_cpu_guard *g = kmm_cpu_cache.guard;

		if (likely(kmm_cpu_enter_owned(g))) {
			struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, kmm_cpu_cache.cpu);
			unsigned char *sh = cache_shadow(s, obj);
			unsigned int k = c->sheaf_nr;

			if (likely(k < s->sheaf_capacity)) {
				unsigned char code = cache_shadow_alloc(s);
				if (likely(virt_addr_valid_m(m, obj) && code != SHADOW_ALLOCATED &&
					   __atomic_load_n(sh, __ATOMIC_RELAXED) == code)) {
					sheaf_link(s, obj, false);
					shadow_owned_free(sh);
					c->sheaf[k] = obj;
					c->sheaf_nr = k + 1;
					kmm_cpu_exit_owned(g);
					return;
				}
			} else if (!s->sheaf_capacity &&
				   (uintptr_t)obj - (uintptr_t)c->lo < c->span &&
				   likely(shadow_claim_free(s, sh))) {
				set_freepointer_plain(s, obj, c->freelist);
				c->freelist = obj;
				c->nr_free++;
				kmm_cpu_exit_owned(g);
				return;
			}
			kmm_cpu_exit_owned(g);
		}
	}
	cache_free_slow(s, obj, (unsigned long)__builtin_return_address(0));
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
	c = per_cpu_ptr(s->cpu_slab, cpu);
	int owned = kmm_cpu_enter(slot_guard(s, cpu));
	for (; i < nr; i++) {
		void *obj = p[i];
		struct slab *slab = obj ? virt_to_slab_m(m, obj) : NULL;
		/* On a freelist, a cache with sheaves marks it FLUSHED (FREE: in a sheaf). */
		if (!slab || slab != c->slab || shadow_misaligned(s, obj) ||
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
