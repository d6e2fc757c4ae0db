// SPDX-License-Identifier: MIT
/*
 * mm/slab_fast.h - the slab's lock-free fast paths as inline functions:
 * kmem_cache_alloc_fast_inline() (this CPU's sheaf, else its cpu freelist)
 * and kfree_fast_inline() (into this CPU's sheaf), for the slab's own
 * callers (mm/slub.c, mm/slub_kfree.c: kmem_cache_alloc_fast() and
 * kfree_fast() are these, out of line) and for the malloc shim's malloc()
 * and free() (shim/malloc.c), which inline them (their forms through a
 * map: kmem_cache_alloc_mapped(), kfree_fast_mapped()): a call, its return and a
 * saved register less on each side, and the tests the two share made once
 * (callgrind, small_churn 2000000 100000: 461 -> 437 M instructions, glibc
 * 448 M). So shim/malloc.c sees the slab's private structures through this
 * header (mm/slab.h): the one file outside the slab that does
 * (tests/boundaries.py, docs/architecture.md "Boundaries").
 *
 * Linux counterpart: mm/slub.c's slab_alloc_node() and do_slab_free() fast
 * parts, inline there in kmem_cache_alloc() and kfree() (6.18's sheaves:
 * alloc_from_pcs(), free_to_pcs()).
 *
 * Invariant and locking: mm/slab.h (the shadow byte's claim; the CPU slot's
 * guard in owned mode, no locked instruction), moved here unchanged from
 * mm/slub.c (slab_alloc_try()) and mm/slub_kfree.c (kfree_fast()).
 */
#ifndef KMM_MM_SLAB_FAST_H
#define KMM_MM_SLAB_FAST_H

#include "mm/slab.h"

/*
 * This thread's struct of per-CPU @ptr on its cached slot (kmm_cpu_cache):
 * per_cpu_ptr(@ptr, kmm_cpu_cache.cpu) with the offset made when the slot
 * was cached (one load and an add, where the index took a shift more).
 */
#define this_cpu_cached_ptr(ptr) \
	((__typeof__(ptr))((char *)(ptr) + kmm_cpu_cache.pcpu_offset))

/* ---- Allocation (from mm/slub.c) ---- */

/*
 * The shadow granule's log2 that kmem_cache_alloc_mapped() builds in (the
 * malloc shim boots slab_shadow_granule=16 and fills its table of codes
 * only when its map says this): the shift a constant, not a load.
 */
#define SLAB_MAPPED_SHADOW_SHIFT 4

/*
 * The free pointer's offset (s->offset) that the map's paths build in: 0,
 * the malloc shim's slab_freeptr=start. slab_fast_map_fill() maps no cache
 * whose offset differs (its objects' frees and allocations take the long
 * way), so the sheaf link's address is the object's, not one load more.
 */
#define SLAB_MAPPED_LINK_OFFSET 0

/* The sheaf link of @obj of @s, at @s's offset or, @mapped, at SLAB_MAPPED_LINK_OFFSET. */
static inline __attribute__((always_inline)) void **
sheaf_link_at(const struct kmem_cache *s, void *obj, const bool mapped)
{
	return (void **)((char *)obj + (mapped ? SLAB_MAPPED_LINK_OFFSET : s->offset));
}

/*
 * cache_shadow(@s, @obj) with @shift (@s's shadow_shift, known to the
 * caller) and @bias (the machine's shadow_bias, which a map's caller holds:
 * struct slab_fast_map), or 0: read them from @s.
 */
static inline __attribute__((always_inline)) unsigned char *
cache_shadow_shifted(const struct kmem_cache *s, const void *obj, const unsigned int shift,
		     const uintptr_t bias)
{
	return (unsigned char *)((shift ? bias : s->shadow_bias) +
				 ((uintptr_t)obj >> (shift ? shift : s->shadow_shift)));
}

/*
 * The allocation fast path from the slot's entry on: @c is this CPU's
 * struct of @s, whose section this thread entered in owned mode; the next
 * object popped from @c's sheaf, else from its cpu freelist if its
 * successor is an object of the cpu slab, and its shadow byte set. @shift:
 * @s's shadow_shift if the caller knows it as a constant (a map's caller,
 * which knows the link's offset too: SLAB_MAPPED_LINK_OFFSET), else 0; @code:
 * @s's shadow code (cache_shadow_alloc()) if the caller has it, else 0. A
 * map's caller (@shift not 0) gives the code, the machine's shadow_bias in
 * @bias and, for @s, NULL and in @sp where to read it: the sheaf's pop then
 * reads nothing of the cache, the cpu freelist's reads it there (malloc()
 * loaded the cache's pointer on every call, for its shadow_bias alone). The
 * caller leaves the section. Return: the object, or NULL with nothing
 * changed.
 */
static inline __attribute__((always_inline)) void *
slab_pop_owned(struct kmem_cache *s, struct kmem_cache_cpu *c, const bool hardened,
	       const unsigned int shift, const unsigned char code, const uintptr_t bias,
	       struct kmem_cache *const *sp)
{
	unsigned int k = c->sheaf_nr;
	void *obj;
	if (k) {
		void **sheaf = c->sheaf;
		/* The object freed last, likely still in the cache. */
		obj = sheaf[k - 1];
		/* Never NULL (a sheaf holds objects): so the caller tests the freelist path's result alone. */
		if (!obj)
			__builtin_unreachable();
		/*
		 * A link that changed: written after free, or the second copy of
		 * a double free whose first copy left its sheaf (below), which
		 * slab_alloc_full() tells apart by the shadow byte and reports.
		 * The byte itself is not read here, only written: a sheaf's
		 * object whose link holds says FREE but for that second copy
		 * (sheaf_link_spent(), mm/slab.h), so the load was a test of
		 * the link's by other means, and it missed the cache where the
		 * link's line did not (free_storm 1 300 10000: 23% of malloc()'s
		 * samples on it).
		 */
		void **link = sheaf_link_at(s, obj, shift != 0);
		/*
		 * The count first, put back if the link fails (rare): no register
		 * kept for it across the test (a move less, gcc 12).
		 */
		c->sheaf_nr = k - 1;
		if (unlikely(hardened ? !sheaf_link_ok(s, obj, true)
				      : *link != sheaf_link_value(obj))) {
			c->sheaf_nr = k;
			return NULL;
		}
		unsigned char *sh = cache_shadow_shifted(s, obj, shift, bias);
		*link = NULL;	/* sheaf_link_spent() */
		__atomic_store_n(sh, shift ? code : code ? code : cache_shadow_alloc(s),
				 __ATOMIC_RELAXED);
		return obj;
	}
	obj = c->freelist;
	if (likely(obj)) {
		if (shift)
			s = __atomic_load_n(sp, __ATOMIC_RELAXED);	/* here, not before the sheaf */
		void *next = hardened ? get_freepointer(s, obj) : get_freepointer_plain(s, obj);
		unsigned char *sh = cache_shadow_shifted(s, obj, shift, bias);
		/* A live object on a freelist: slab_alloc_full() reports it. */
		if (likely(cpu_fp_ok(s, c, next) &&
			   !shadow_live_in(s, __atomic_load_n(sh, __ATOMIC_RELAXED)))) {
			c->freelist = next;
			c->nr_free--;
			__atomic_store_n(sh, cache_shadow_alloc(s), __ATOMIC_RELAXED);
			return obj;
		}
	}
	return NULL;
}

/*
 * The allocation fast path: a cache with no debug flag (s->slowpath_flags
 * says only whether its free pointers are hardened, and @hardened is that
 * answer as a constant: each variant is compiled without the other's test),
 * this thread's cached CPU slot, its guard entered in owned mode from depth 0
 * (kmm_cpu_enter_owned(): a load, a store and a load, no locked
 * instruction), the next object popped if its successor is an object of the
 * cpu slab, the shadow byte set (slab_pop_owned()). Anything else is
 * slab_alloc_full()'s (a nested or shared slot, a debug cache, a node,
 * __GFP_ZERO, an empty cpu freelist), which starts over.
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

	/*
	 * The plain variant's caller has tested s->slowpath_flags and __GFP_ZERO.
	 * This thread's slot on @m, and no listener on the slab's events (one
	 * test: kmm_slab_fast_on()).
	 */
	if (likely(node == NUMA_NO_NODE &&
		   (!hardened || (s->slowpath_flags == SLAB_FAST_HARDENED && !(gfp & __GFP_ZERO))) &&
		   kmm_slab_fast_on(m))) {
		struct kmm_cpu_guard *g = kmm_cpu_cache.guard;

		if (likely(kmm_cpu_enter_owned(g))) {
			struct kmem_cache_cpu *c = this_cpu_cached_ptr(s->cpu_slab);
			void *obj = slab_pop_owned(s, c, hardened, 0, 0, 0, NULL);
			kmm_cpu_exit_owned(g);
			return obj;
		}
	}
	return NULL;
}


/**
 * kmem_cache_alloc_fast_inline() - kmem_cache_alloc_fast() (mm/include/slab.h), inline.
 * Context: any thread; takes no lock and calls nothing.
 * Return: the object, or NULL with nothing changed.
 */
static inline __attribute__((always_inline)) void *kmem_cache_alloc_fast_inline(struct kmem_cache *s)
{
	/* A listener on the stream: slab_alloc_try()'s kmm_slab_fast_on() says no. */
	if (unlikely(s->slowpath_flags))
		return NULL;
	return slab_alloc_try(s, GFP_KERNEL, NUMA_NO_NODE, false);
}

/**
 * kmem_cache_alloc_barn() - kmem_cache_alloc_fast_inline() for a CPU whose
 * sheaf and cpu freelist ran dry: a sheaf from the barn first
 * (barn_take(), in the slot's lock-free section), then its newest object.
 * The malloc shim's malloc_slow() asks it before kmm_alloc(), whose way to
 * the same barn_take() (kmem_cache_alloc(), slab_alloc_full()) cost ~290
 * instructions more per sheaf (free_storm: one malloc in 64). Out of line
 * (mm/slub_free.c): malloc() itself keeps no register for it.
 * Context: any thread; takes no lock, calls nothing that allocates.
 * Return: the object, or NULL with nothing changed (an empty barn, a cache
 * that keeps none, a nested or shared slot) but maybe a sheaf taken.
 */
void *kmem_cache_alloc_barn(struct kmem_cache *s);

/* ---- Free (from mm/slub_kfree.c) ---- */

/*
 * kfree_fast()'s claim of @p's shadow byte @sh, then its test: is @slab
 * still @s's? Between kfree_fast()'s read of slab->slab_cache and the
 * claim, a stale free's slab may have been given back and its page made a
 * slab of another cache, with the object live there: the byte then says
 * allocated for that cache's object, which must stay so (kfree() reports
 * the pointer). Into a sheaf (@owned, shadow_owned_live()'s load; the
 * caller stores FREE after the link): the byte is loaded with acquire, the
 * slab's cache read after it, and FREE stored only once both passed: an
 * object allocated at the load
 * counts in its slab's inuse, so the slab cannot leave before the store
 * but by a second free of that object racing this one (mm/slab.h). Onto
 * the cpu freelist of a cache without sheaves (!@owned): the
 * compare-exchange, with acquire, and the byte put back if the test fails.
 * (Not a fence after a relaxed claim: ThreadSanitizer refuses fences.)
 */
static inline __attribute__((always_inline)) bool
claim_free_kept(struct slab *slab, struct kmem_cache *s, const void *p, unsigned char *sh,
		const bool owned, const bool hooked)
{
	unsigned char code = cache_shadow_alloc(s), want = code;

	if (owned) {
		want = __atomic_load_n(sh, __ATOMIC_ACQUIRE);
		if (unlikely(want != code && want != SHADOW_ALLOCATED))
			return false;
		if (unlikely(READ_ONCE(slab->slab_cache) != s))
			return false;
		if (hooked) {
			/* A test's window between the load and the store (SLAB_FAST_TEST_HOOK). */
			struct slab_machine *st = slab_state(s->machine);
			if (st->kfree_claim_hook)
				st->kfree_claim_hook(st->kfree_fast_hook_arg, s, p);
		}
		return true;	/* the caller writes the link, then FREE (shadow_owned_free()) */
	}
	if (!__atomic_compare_exchange_n(sh, &want, SHADOW_FREE, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED)) {
		/* An object of @s allocated before @s had a code (shadow_claim_plain()). */
		if (want != SHADOW_ALLOCATED || code == SHADOW_ALLOCATED ||
		    !__atomic_compare_exchange_n(sh, &want, SHADOW_FREE, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			return false;
	}
	if (likely(READ_ONCE(slab->slab_cache) == s))
		return true;
	__atomic_store_n(sh, want, __ATOMIC_RELAXED);
	return false;
}

/*
 * kfree_fast() from the slot's entry on: @p of @slab of @s, read unlocked;
 * @hooked: a test's cache (kfree_fast_hooked()).
 */
static inline __attribute__((always_inline)) bool kfree_fast_push(struct slab *slab,
								  struct kmem_cache *s,
								  const void *p, const bool hooked)
{
	struct kmm_cpu_guard *g = kmm_cpu_cache.guard;
	if (unlikely(!kmm_cpu_enter_owned(g)))
		return false;
	struct kmem_cache_cpu *c = this_cpu_cached_ptr(s->cpu_slab);
	unsigned char *sh = cache_shadow(s, p);
	unsigned int k = c->sheaf_nr;
	bool done = false;
	if (likely(k < s->sheaf_capacity)) {
		if (likely(claim_free_kept(slab, s, p, sh, true, hooked))) {
			sheaf_link(s, (void *)p, false);
			shadow_owned_free(sh);
			/* read here, not before the claim: one register fewer across it */
			c->sheaf[k] = (void *)p;
			c->sheaf_nr = k + 1;
			done = true;
		}
	} else if (!s->sheaf_capacity && slab == c->slab &&
		   claim_free_kept(slab, s, p, sh, false, hooked)) {
		set_freepointer_plain(s, (void *)p, c->freelist);
		c->freelist = (void *)p;
		c->nr_free++;
		done = true;
	}
	kmm_cpu_exit_owned(g);
	return done;
}

/**
 * sheaf_hand_in() - hand the newer half of @c's full sheaf to @c's barn
 * (struct sheaf_barn), if @s keeps sheaves and the barn has room (mm/slub_free.c's
 * barn_put(), which allocates nothing: the barn keeps its sheaves in their
 * objects). Out of line: the fast paths reach it once half a sheaf of frees.
 * Context: @c's slot section, entered by this thread; takes no lock.
 * Return: true if handed in (@c's sheaf holds its older half now); false
 * with nothing changed.
 */
bool sheaf_hand_in(struct kmem_cache *s, struct kmem_cache_cpu *c);

/*
 * The rest of kfree_fast_coded() when @c's sheaf is full (a cache with
 * sheaves): the sheaf's newer half handed to the barn (sheaf_hand_in()),
 * then @p pushed on the older half; the section @g entered is left either
 * way. Out of line (once half a sheaf of frees). It returns @p when the
 * barn took nothing (kfree() then gives half the sheaf back to the slabs),
 * so that a caller that goes on to free @p the long way holds no register
 * across the call: free() pushed three callee-saved registers on every call
 * when it kept @p for after a call that said only yes or no.
 * Return: NULL if freed; @p with nothing changed.
 */
void *kfree_fast_full(struct kmem_cache *s, struct kmem_cache_cpu *c, const void *p,
		      unsigned char *sh, struct kmm_cpu_guard *g);

/* kfree_fast_coded()'s outcomes: */
enum {
	KFREE_FAST_NO_SHEAVES = -1,	/* the cache has no sheaves: the struct page way */
	KFREE_FAST_REFUSED = 0,		/* nothing changed: kfree() does it */
	KFREE_FAST_FREED = 1,
	KFREE_FAST_FULL = 2,		/* a full sheaf, the section still entered: kfree_fast_full() */
};

/*
 * kfree_fast() of @p whose shadow byte @sh said the code of @s (a cache
 * with sheaves and no slowpath_flags; @cpu_slab is s->cpu_slab, which the
 * caller may have read beside @s, not after it): into this CPU's sheaf, claimed by
 * that load and, after the link, a store of FREE (shadow_owned_free(); mm/slab.h:
 * a second free racing this one is caught when its copy leaves its sheaf).
 * The byte is @s's code only while @p is an allocated object of a slab of
 * @s (mm/slab.h), so the claim needs no look at the slab: no re-check of
 * its cache as claim_free_kept() makes (a stale pointer whose page now
 * holds another cache's object finds that cache's code, or FREE, and fails
 * or frees that object into its own cache). A full sheaf: the section is
 * left entered and this CPU's struct put in *@cp, for the caller's
 * kfree_fast_full() (the barn, else kfree()). One test of
 * s->sheaf_capacity: k < 0 is never true, so a cache without sheaves is
 * told apart only on the way out (by k: 0 there).
 * @mapped: the caller is a map's (kfree_fast_mapped()): the link at
 * SLAB_MAPPED_LINK_OFFSET.
 * Return: KFREE_FAST_FREED, _REFUSED, _NO_SHEAVES (the caller goes the
 * struct page way, onto the cpu freelist) or _FULL.
 */
static inline __attribute__((always_inline)) int
kfree_fast_coded(struct kmem_cache *s, struct kmem_cache_cpu *cpu_slab, const void *p,
		 unsigned char *sh, struct kmem_cache_cpu **cp, const bool mapped)
{
	struct kmm_cpu_guard *g = kmm_cpu_cache.guard;
	if (unlikely(!kmm_cpu_enter_owned(g)))
		return KFREE_FAST_REFUSED;
	struct kmem_cache_cpu *c = this_cpu_cached_ptr(cpu_slab);
	unsigned int k = c->sheaf_nr;
	if (likely(k < s->sheaf_capacity)) {
		*sheaf_link_at(s, (void *)p, mapped) = sheaf_link_value(p);	/* sheaf_link() */
		shadow_owned_free(sh);
		c->sheaf[k] = (void *)p;
		c->sheaf_nr = k + 1;
		kmm_cpu_exit_owned(g);
		return KFREE_FAST_FREED;
	}
	/* k >= capacity: k is 0 only for a cache without sheaves (no register kept for it). */
	if (k) {
		*cp = c;
		return KFREE_FAST_FULL;
	}
	kmm_cpu_exit_owned(g);
	return KFREE_FAST_NO_SHEAVES;
}

/*
 * kfree_fast_hooked() - kfree_fast() in a cache with slowpath_flags (mm/slub_kfree.c):
 * a test's hook run, or false. Out of line, reached by a tail call.
 */
bool kfree_fast_hooked(struct kmm_machine *m, struct slab *slab, struct kmem_cache *s,
		       const void *p);

/*
 * kfree_fast() the struct page way: @p (in @m's direct map, granule-aligned)
 * whose shadow byte names no cache with sheaves, or a page-aligned @p.
 * @hooks: see kfree_fast_inline().
 */
static inline __attribute__((always_inline)) bool
kfree_fast_paged(struct kmm_machine *m, const void *p, const bool hooks)
{
	struct slab *slab = virt_to_slab_fast(m, p);
	if (unlikely(!slab))
		return false;
	/*
	 * NULL when another thread is giving the slab back right now
	 * (__free_slab() clears it before the page stops being a slab): @p
	 * is then a stale pointer, which kfree() reports.
	 */
	struct kmem_cache *s = READ_ONCE(slab->slab_cache);
	if (unlikely(!s))
		return false;
	if (unlikely(s->slowpath_flags))
		return hooks && kfree_fast_hooked(m, slab, s, p);
	return kfree_fast_push(slab, s, p, false);
}

/**
 * kfree_fast_inline() - kfree_fast() (mm/include/slab.h), inline.
 * @hooks: run a test's hook (SLAB_FAST_TEST_HOOK: kfree_fast_hooked()), as
 * kfree_fast() does; false (the shim's free()): such a cache is refused
 * like any other with slowpath_flags, and kfree() takes it the slow way.
 * Then the inlined code makes no call that @p must outlive, and the
 * caller's tail call with @p needs no callee-saved register (free() pushed
 * and popped rbx on every call for it).
 * Context: any thread; takes no lock and calls nothing (nothing but the
 * hook's path with @hooks).
 * Return: true if freed; false with nothing changed.
 */
static inline __attribute__((always_inline)) bool
kfree_fast_inline(struct kmm_machine *m, const void *p, const bool hooks)
{
	struct slab_machine *st = slab_state(m);

	/*
	 * This thread's slot on @m and no listener (one test: kmm_slab_fast_on());
	 * off a shadow granule's start: no object (kfree() reports it).
	 */
	if (!kmm_slab_fast_on(m) || ((unsigned int)(uintptr_t)p & st->shadow_mask) ||
	    !virt_addr_valid_m(m, p))
		return false;
	/*
	 * First the object's shadow byte: when it names a cache (a shadow
	 * code), that is the cache, and the object's struct page is not read.
	 * Not for a page-aligned pointer (a page block's, most likely): a
	 * block's shadow the shim trimmed stays untouched (reading it raised
	 * integration_malloc_api's freed_ram_follows_heap_size RSS past its
	 * bound); the rare page-aligned object takes the struct page way.
	 */
	if (likely((uintptr_t)p & (PAGE_SIZE - 1))) {
		unsigned char *sh = shadow_of(st, m, p);
		unsigned char v = __atomic_load_n(sh, __ATOMIC_RELAXED);
		if (likely((unsigned char)(v - KMM_SLAB_SHADOW_CODE_BASE) < KMM_SLAB_SHADOW_CODES)) {
			struct kmem_cache *s = __atomic_load_n(
				&st->shadow_coded[v - KMM_SLAB_SHADOW_CODE_BASE], __ATOMIC_RELAXED);
			/* slab_no_cache for a code no cache holds: flagged too */
			if (likely(!s->slowpath_flags)) {
				struct kmem_cache_cpu *c;
				int done = kfree_fast_coded(s, s->cpu_slab, p, sh, &c, false);
				if (unlikely(done == KFREE_FAST_FULL))
					return !kfree_fast_full(s, c, p, sh, kmm_cpu_cache.guard);
				if (likely(done >= 0))
					return done;
			}
		}
	}
	return kfree_fast_paged(m, p, hooks);
}

/* ---- Free through a map (the malloc shim's free()) ---- */

/*
 * struct slab_fast_map - what kfree_fast_inline() reads of a machine before
 * an object's shadow byte, and of the byte's cache right after it, copied
 * into memory of the caller's (the malloc shim's free(): shim/malloc.c).
 * Through the machine the byte's address waited on three loads one after
 * the other (the machine, its slab state, the shadow's base), and this
 * CPU's struct of the cache on two after the byte (the code's cache, then
 * its cpu_slab); through the map on one load before the byte and one after
 * it (the cache and its cpu_slab side by side, by the byte's value: every
 * value that is no code names slab_no_cache, whose flags send the free the
 * struct page way, so there is no range test of the byte either). All of
 * it is immutable after boot but for the codes: the map is good while no
 * code of the machine is given or withdrawn after slab_fast_map_fill()
 * (the shim gives its codes first, and never destroys a coded cache), and
 * no mapped cache's slowpath_flags change (cpu_slab_of[] says NULL for a
 * cache flagged at the fill: its frees go the struct page way, which reads
 * the flags). The map's paths build in the shadow granule's log2
 * (SLAB_MAPPED_SHADOW_SHIFT) and the free pointer's offset
 * (SLAB_MAPPED_LINK_OFFSET): a machine with another granule keeps the
 * gate shut, and a cache with another offset is left unmapped (the long
 * way for its objects).
 * granules is also the map's gate: 0 (as zeroed, or stored by its owner
 * with release) refuses every pointer, and slab_fast_map_fill() stores it
 * last with release, so a free that loads it (acquire) non-zero reads the
 * rest filled: the malloc shim's free() tests nothing else before the map
 * (not booted yet, a trace begun, a mode without the lock-free path).
 */
struct slab_fast_map {
	struct kmm_machine *m;
	/*
	 * The direct map's start (kmm_direct_map_base()) and its shadow
	 * granules (kmm_direct_map_bytes() >> shadow_shift); atomic, with
	 * shadow_shift (read before the gate may be seen open).
	 */
	uintptr_t direct, granules;
	unsigned int shadow_shift;
	unsigned char *shadow_direct;	/* granule i's shadow byte, from direct on: shadow_direct[i] */
	/*
	 * The machine's shadow_bias (every cache's s->shadow_bias): malloc()'s
	 * pop from a sheaf finds the object's shadow byte without its cache.
	 * Atomic, as direct.
	 */
	uintptr_t shadow_bias;
	/*
	 * By shadow byte: the code's cache and its cpu_slab; &slab_no_cache
	 * and NULL for the rest, and NULL the cpu_slab of a cache the paths
	 * may not take (flagged, or another free pointer offset).
	 */
	struct kmem_cache *cache_of[256] __attribute__((aligned(64)));
	struct kmem_cache_cpu *cpu_slab_of[256];
};

/**
 * slab_fast_map_fill() - fill @fm from @m (mm/slub_kfree.c).
 * Context: after @m's last kmem_cache_shadow_code(), before any thread
 * reads @fm (publish it with a release store).
 */
void slab_fast_map_fill(struct slab_fast_map *fm, struct kmm_machine *m);

/*
 * kfree_fast_mapped() and kfree_fast_mapped_sole(): @slot_known says the
 * caller keeps the two questions kmm_slab_fast_on(@fm->m) asks (this
 * thread's cached slot is one of @fm->m's; nobody listens to the slab's
 * events) answered by other means: see kfree_fast_mapped_sole().
 */
static inline __attribute__((always_inline)) void *
kfree_fast_map_try(const struct slab_fast_map *fm, const void *p, const bool slot_known)
{
	uintptr_t n = __atomic_load_n(&fm->granules, __ATOMIC_ACQUIRE);
	uintptr_t off = (uintptr_t)p - __atomic_load_n(&fm->direct, __ATOMIC_RELAXED);
	const unsigned int k = SLAB_MAPPED_SHADOW_SHIFT;	/* an open map's (slab_fast_map_fill()) */
	uintptr_t i = (off >> k) | (off << (64 - k));

	if (i >= n || (!slot_known && !kmm_slab_fast_on(fm->m)))
		return (void *)p;
	if (likely((uintptr_t)p & (PAGE_SIZE - 1))) {
		unsigned char *sh = fm->shadow_direct + i;
		unsigned char v = __atomic_load_n(sh, __ATOMIC_RELAXED);
		struct kmem_cache_cpu *cpu_slab = fm->cpu_slab_of[v];
		/* NULL: no code, or a cache the map's paths may not take (slab_fast_map_fill()) */
		if (likely(cpu_slab)) {
			struct kmem_cache *s = fm->cache_of[v];
			struct kmem_cache_cpu *c;
			int done = kfree_fast_coded(s, cpu_slab, p, sh, &c, true);
			if (likely(done == KFREE_FAST_FREED))
				return NULL;
			if (done == KFREE_FAST_FULL)
				return kfree_fast_full(s, c, p, sh, kmm_cpu_cache.guard);
			if (done == KFREE_FAST_REFUSED)
				return (void *)p;
		}
	}
	/* The struct page way asks the machine itself (kmm_slab_fast_on() tested above or by the caller). */
	return kfree_fast_paged(fm->m, p, false) ? NULL : (void *)p;
}

/**
 * kfree_fast_mapped() - kfree_fast_inline(@fm->m, @p, false), its reads
 * before and after @p's shadow byte made through @fm (struct slab_fast_map).
 * The range test comes first and reads the map's gate (fm->granules): a
 * closed map (0) refuses @p before anything else of it is read. It tests
 * the granule's alignment too: @p's offset in the direct map rotated right
 * by the granule's log2 is its granule's index if @p is a granule's start;
 * otherwise the offset's low bits land on top, past any index (one compare
 * for both, and the index finds the shadow byte with an add).
 * Context: any thread; takes no lock and calls nothing but, once a sheaf
 * of frees, kfree_fast_full().
 * Return: NULL if freed; else @p, with nothing changed, for the caller to
 * free the long way (kfree_fast_full() says why a pointer).
 */
static inline __attribute__((always_inline)) void *kfree_fast_mapped(const struct slab_fast_map *fm,
								    const void *p)
{
	return kfree_fast_map_try(fm, p, false);
}

/**
 * kfree_fast_mapped_sole() - kfree_fast_mapped() without kmm_slab_fast_on()
 * (the malloc shim's free(): 4 instructions of its 47, a load of @fm->m, one
 * of its obj_fast_serial and the compare with kmm_cpu_cache.serial), for a
 * caller that answers its two questions by other means:
 *   - a listener on @fm->m's slab events: the caller keeps @fm's gate shut
 *     (granules 0) while there may be one (the shim: from its boot, and as
 *     soon as one appears, shim/malloc.c's class_codes_set());
 *   - this thread's slot: kmm_cpu_cache names a slot of @fm->m or none,
 *     whose guard (kmm_cpu_guard_closed, mm/include/cpu_slot.h) refuses the
 *     owned entry as a shared or nested one would be refused. So the
 *     caller's process uses no other machine through this copy of the
 *     library while @fm is open (the shim's one machine, which lives for
 *     good), nor a thread whose cache may name a machine freed since.
 * Context and Return: kfree_fast_mapped()'s.
 */
static inline __attribute__((always_inline)) void *
kfree_fast_mapped_sole(const struct slab_fast_map *fm, const void *p)
{
	return kfree_fast_map_try(fm, p, true);
}

/*
 * kmm_cpu_enter_owned() (mm/include/cpu_slot.h) for a caller that knows
 * this thread is inside no section of its own (the malloc shim's malloc()
 * with its in_kmm clear: every section the shim enters with in_kmm clear
 * is a lock-free path's, which calls nothing that could allocate): busy is
 * 0 then, so it is not looked at (a load and a branch fewer). The first
 * look at lockless stays: in a shared slot, busy stored even for a moment
 * would read as its own owned section to a sharer's kmm_cpu_enter().
 * Return: kmm_cpu_enter_owned()'s.
 */
static inline __attribute__((always_inline)) bool slab_enter_owned_outer(struct kmm_cpu_guard *g)
{
	if (!atomic_load_explicit(&g->lockless, memory_order_acquire))
		return false;
	atomic_store_explicit(&g->busy, 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	if (likely(atomic_load_explicit(&g->lockless, memory_order_acquire)))
		return true;
	atomic_store_explicit(&g->busy, 0, memory_order_release);
	return false;
}

/*
 * kmem_cache_alloc_mapped() and kmem_cache_alloc_mapped_sole(): @slot_known
 * as kfree_fast_map_try()'s.
 */
static inline __attribute__((always_inline)) void *
kmem_cache_alloc_map_try(const struct slab_fast_map *fm, unsigned long v, const bool slot_known)
{
	if (!slot_known && unlikely(!kmm_slab_fast_on(fm->m)))
		return NULL;
	struct kmm_cpu_guard *g = kmm_cpu_cache.guard;
	if (unlikely(slot_known ? !slab_enter_owned_outer(g) : !kmm_cpu_enter_owned(g)))
		return NULL;
	struct kmem_cache_cpu *c = this_cpu_cached_ptr(fm->cpu_slab_of[v]);
	void *obj = slab_pop_owned(NULL, c, false, SLAB_MAPPED_SHADOW_SHIFT, (unsigned char)v,
				   __atomic_load_n(&fm->shadow_bias, __ATOMIC_RELAXED),
				   &fm->cache_of[v]);
	kmm_cpu_exit_owned(g);
	return obj;
}

/**
 * kmem_cache_alloc_mapped() - kmem_cache_alloc_fast_inline() of the cache
 * whose shadow code is @v (@fm->cache_of[@v]), for the malloc shim's
 * malloc(), whose size classes map to codes (one byte a class): the machine
 * read from the map, not through the cache (s->machine), and no test of
 * the cache's slowpath_flags: the caller promises that @v is the code of a
 * cache without any (the shim's table holds only such codes), on a machine
 * whose shadow granule is 1 << SLAB_MAPPED_SHADOW_SHIFT bytes (@fm->shadow_shift)
 * and whose free pointer is at SLAB_MAPPED_LINK_OFFSET (slab_fast_map_fill()
 * maps no other cache). The cache's code is @v: the pop writes it, not s's.
 * Context: any thread; takes no lock and calls nothing.
 * Return: the object, or NULL with nothing changed.
 */
static inline __attribute__((always_inline)) void *kmem_cache_alloc_mapped(const struct slab_fast_map *fm,
									   unsigned long v)
{
	return kmem_cache_alloc_map_try(fm, v, false);
}

/**
 * kmem_cache_alloc_mapped_sole() - kmem_cache_alloc_mapped() without
 * kmm_slab_fast_on(), for a caller that answers its questions as
 * kfree_fast_mapped_sole()'s does (the shim's malloc(): its table of codes
 * holds none while there may be a listener), and that is in no section of
 * its slot (the shim's in_kmm clear): the slot entered without a look at
 * its depth (slab_enter_owned_outer()).
 * Context and Return: kmem_cache_alloc_mapped()'s.
 */
static inline __attribute__((always_inline)) void *
kmem_cache_alloc_mapped_sole(const struct slab_fast_map *fm, unsigned long v)
{
	return kmem_cache_alloc_map_try(fm, v, true);
}

#endif /* KMM_MM_SLAB_FAST_H */
