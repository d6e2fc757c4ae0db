// SPDX-License-Identifier: MIT
/*
 * mm/slub_kfree.c - kfree_fast(): the slab's free with no lock and no call,
 * for the malloc shim's free() outside its kmm section.
 *
 * Linux counterpart: mm/slub.c's do_slab_free() fast part (6.18's
 * free_to_pcs(): into this CPU's sheaf). Added: the cache found from the
 * object's shadow byte when its cache has a shadow code (no struct page
 * read), and the re-check of a stale free's slab.
 *
 * Invariant: see mm/slab.h; the claim of the shadow byte and what a racing
 * double free does are written there, above shadow_owned_live().
 *
 * Locking: this thread's CPU slot guard in owned mode (no locked
 * instruction), or nothing done: kfree_fast() refuses what it cannot
 * finish so, and kfree() does it.
 */
#include "mm/slab.h"

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
	struct kmem_cache_cpu *c = &s->cpu_slab[kmm_cpu_cache.cpu];
	unsigned char *sh = cache_shadow(s, p);
	unsigned int k = c->sheaf_nr;
	bool done = false;
	if (likely(k < s->sheaf_capacity)) {
		if (likely(claim_free_kept(slab, s, p, sh, true, hooked))) {
			/* read here, not before the claim: one register fewer across it */
			void **sheaf = c->sheaf;
			sheaf_link(s, (void *)p, sheaf_below(sheaf, k), false);
			shadow_owned_free(sh);
			sheaf[k] = (void *)p;
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

/*
 * kfree_fast() of @p whose shadow byte @sh said the code of @s (a cache
 * with sheaves and no slowpath_flags): into this CPU's sheaf, claimed by
 * that load and, after the link, a store of FREE (shadow_owned_free(); mm/slab.h:
 * a second free racing this one is caught when its copy leaves its sheaf).
 * The byte is @s's code only while @p is an allocated object of a slab of
 * @s (mm/slab.h), so the claim needs no look at the slab: no re-check of
 * its cache as claim_free_kept() makes (a stale pointer whose page now
 * holds another cache's object finds that cache's code, or FREE, and fails
 * or frees that object into its own cache). A full sheaf is kfree()'s to
 * deal with. One test of s->sheaf_capacity: k < 0 is never true, so a
 * cache without sheaves is told apart only on the way out.
 * Return: 1 if freed; 0 if not (kfree() does it); -1 if @s has no sheaves
 * (the caller goes the struct page way, onto the cpu freelist).
 */
static inline __attribute__((always_inline)) int kfree_fast_coded(struct kmem_cache *s,
								  const void *p,
								  unsigned char *sh)
{
	struct kmm_cpu_guard *g = kmm_cpu_cache.guard;
	if (unlikely(!kmm_cpu_enter_owned(g)))
		return 0;
	struct kmem_cache_cpu *c = &s->cpu_slab[kmm_cpu_cache.cpu];
	unsigned int k = c->sheaf_nr;
	if (likely(k < s->sheaf_capacity)) {
		void **sheaf = c->sheaf;
		sheaf_link(s, (void *)p, sheaf_below(sheaf, k), false);
		shadow_owned_free(sh);
		sheaf[k] = (void *)p;
		c->sheaf_nr = k + 1;
		kmm_cpu_exit_owned(g);
		return 1;
	}
	kmm_cpu_exit_owned(g);
	return s->sheaf_capacity ? 0 : -1;
}

/*
 * kfree_fast() in a cache with slowpath_flags: a debug cache or hardened free
 * pointers leave the free to kfree() (false); a test's cache
 * (SLAB_FAST_TEST_HOOK alone) has the machine's hook run now, between the
 * read of the slab's cache and the claim, and goes on. Out of line and
 * reached by a tail call, so that kfree_fast() itself calls nothing and
 * saves no register.
 */
static __attribute__((noinline, cold)) bool kfree_fast_hooked(struct kmm_machine *m,
							       struct slab *slab,
							       struct kmem_cache *s, const void *p)
{
	struct slab_machine *st = slab_state(m);

	if (s->slowpath_flags != SLAB_FAST_TEST_HOOK || !st->kfree_fast_hook)
		return false;
	st->kfree_fast_hook(st->kfree_fast_hook_arg, s, p);
	return kfree_fast_push(slab, s, p, true);
}

/* Never a cache of any machine: its flags send kfree_fast() the struct page way. */
struct kmem_cache slab_no_cache = {
	.name = "(no cache)",
	.slowpath_flags = SLAB_FAST_NO_CACHE,
};

unsigned char kmem_cache_shadow_value(struct kmem_cache *s)
{
	return cache_shadow_alloc(s);
}

/**
 * kfree_fast() - kfree(@p) of an object of @m where no slow path is needed:
 * no listener on the stream, a cache without debug flags or hardened free
 * pointers, this thread alone on its CPU slot and in no section of it, @p
 * an allocated object's start (its shadow byte says so), room in this CPU's
 * sheaf - or, in a cache without sheaves, @p of this CPU's cpu slab. The
 * shadow byte is read first: when it is a cache's code, the free reads no
 * struct page (kfree_fast_coded()); else the cache comes from @p's slab.
 * Context: any thread; takes no lock and calls nothing.
 * Return: true if freed; false with nothing changed (kfree() then does it,
 * and reports what is wrong with @p).
 */
bool kfree_fast(struct kmm_machine *m, const void *p)
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
				int done = kfree_fast_coded(s, p, sh);
				if (likely(done >= 0))
					return done;
			}
		}
	}
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
		return kfree_fast_hooked(m, slab, s, p);
	return kfree_fast_push(slab, s, p, false);
}
