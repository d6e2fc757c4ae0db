// SPDX-License-Identifier: MIT
/*
 * tests/slab_bytes.h - what the slab layer keeps for itself after every
 * cache is drained, and the free pages a slab leak check compares, shared
 * by the slab tests on booted machines (tests/slab_test.h) and on the
 * hand-built machine of tests/buddy_fake.h (tests/unit_slab.c), which
 * cannot include slab_test.h (its leak-check table and boot helpers need a
 * booted machine).
 */
#ifndef KMM_TESTS_SLAB_BYTES_H
#define KMM_TESTS_SLAB_BYTES_H

#include "mm/slab.h"

/*
 * Bytes of the slabs of the slab layer's own caches (kmem_cache and
 * kmem_cache_node: a structure and a node for every cache), which stay
 * after the caches are drained, as in Linux.
 */
static inline unsigned long slab_boot_cache_bytes(struct kmm_machine *m)
{
	struct kmem_cache *caches[2] = { slab_state(m)->kmem_cache, slab_state(m)->kmem_cache_node };
	unsigned long bytes = 0;

	for (int i = 0; i < 2; i++) {
		struct slab_counts c;
		slab_count(caches[i], &c);
		bytes += c.nr_slabs * (PAGE_SIZE << caches[i]->order);
	}
	return bytes;
}

/*
 * Free pages once the per-CPU lists are drained (NR_FREE_PAGES does not
 * count them); the slab caches are left as they are.
 */
static inline unsigned long slab_nr_free(struct kmm_machine *m)
{
	drain_all_pages(m, NULL);
	return kmm_nr_free_pages(m);
}

/*
 * Withdraw the shadow code __kmem_cache_create() gave @s (a cache with
 * sheaves), as __kmem_cache_release() withdraws it, before @s hands out an
 * object: for the tests of the ways a cache without a code takes (the
 * struct page way of kfree_fast() and kmem_cache_free(), the re-check of a
 * stale free's slab). The code is not given again (codes are never reused).
 */
static inline void slab_test_uncode(struct kmem_cache *s)
{
	struct slab_machine *st = slab_state(s->machine);
	unsigned char code = cache_shadow_alloc(s);

	if (code == SHADOW_ALLOCATED)
		return;
	spin_lock(&st->slab_mutex);
	__atomic_store_n(&st->shadow_coded[code - KMM_SLAB_SHADOW_CODE_BASE], &slab_no_cache,
			 __ATOMIC_RELAXED);
	spin_unlock(&st->slab_mutex);
	__atomic_store_n(&s->shadow_alloc, SHADOW_ALLOCATED, __ATOMIC_RELAXED);
}

#endif /* KMM_TESTS_SLAB_BYTES_H */
