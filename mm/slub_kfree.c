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
#include "mm/slab_fast.h"

/*
 * kfree_fast() in a cache with slowpath_flags: a debug cache or hardened free
 * pointers leave the free to kfree() (false); a test's cache
 * (SLAB_FAST_TEST_HOOK alone) has the machine's hook run now, between the
 * read of the slab's cache and the claim, and goes on. Out of line and
 * reached by a tail call, so that kfree_fast() itself calls nothing and
 * saves no register.
 */
__attribute__((noinline, cold)) bool kfree_fast_hooked(struct kmm_machine *m, struct slab *slab,
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

/* slab_fast_map_fill(): mm/slab_fast.h */
void slab_fast_map_fill(struct slab_fast_map *fm, struct kmm_machine *m)
{
	struct slab_machine *st = slab_state(m);

	fm->m = m;
	/* Another granule than the paths build in: the gate stays shut (free() the long way). */
	if (st->shadow_shift != SLAB_MAPPED_SHADOW_SHIFT)
		return;
	uintptr_t direct = (uintptr_t)kmm_direct_map_base(m);
	__atomic_store_n(&fm->direct, direct, __ATOMIC_RELAXED);
	__atomic_store_n(&fm->shadow_shift, st->shadow_shift, __ATOMIC_RELAXED);
	/* The direct map starts on a page, so on a granule: shadow byte of direct + off at [off >> shift]. */
	fm->shadow_direct = (unsigned char *)(st->shadow_bias + (direct >> st->shadow_shift));
	__atomic_store_n(&fm->shadow_bias, st->shadow_bias, __ATOMIC_RELAXED);
	for (int v = 0; v < 256; v++) {
		fm->cache_of[v] = &slab_no_cache;
		fm->cpu_slab_of[v] = NULL;	/* the struct page way */
	}
	spin_lock(&st->slab_mutex);
	for (int i = 0; i < KMM_SLAB_SHADOW_CODES; i++) {
		struct kmem_cache *s = st->shadow_coded[i];
		if (s->slowpath_flags || s->offset != SLAB_MAPPED_LINK_OFFSET)
			continue;	/* the map's paths may not take it (mm/slab_fast.h) */
		fm->cache_of[KMM_SLAB_SHADOW_CODE_BASE + i] = s;
		fm->cpu_slab_of[KMM_SLAB_SHADOW_CODE_BASE + i] = s->cpu_slab;
	}
	spin_unlock(&st->slab_mutex);
	/* Last: the map's gate (kfree_fast_mapped() loads it with acquire). */
	__atomic_store_n(&fm->granules, kmm_direct_map_bytes(m) >> st->shadow_shift, __ATOMIC_RELEASE);
}

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
	return kfree_fast_inline(m, p, true);
}
