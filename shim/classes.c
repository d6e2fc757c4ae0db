// SPDX-License-Identifier: MIT
/*
 * shim/classes.c - the malloc shim's size classes (shim/classes.h), moved
 * out of shim/malloc.c.
 *
 * Linux counterpart: none (kmalloc's own classes are mm/slab_common.c's
 * kmalloc_info[]; the shim adds caches between them).
 */
#include <stdint.h>
#include <stdio.h>

#include "mm/include/slab.h"
#include "shim/classes.h"

/*
 * Size classes of the default mode. kmalloc's classes (8, 16, 32, 64, 96,
 * 128, 192, 256, 512, 1k, 2k, 4k, 8k) round a small request up by a
 * quarter on average (257 bytes take 512); the shim adds caches of its own
 * between them up to 512 bytes (malloc-48 ... malloc-448), so that a block
 * of 33 .. 64 bytes wastes at most a third of itself and one of 65 .. 512
 * at most a fifth, as with mimalloc's and jemalloc's classes, spaced at
 * quarters of a power of two. Between 512 bytes and 4 KiB kmalloc's
 * classes stay: extra caches' slabs there are 16-32 KiB, and a small
 * program paid more for their first slabs than it saved (cxx_churn's peak
 * RSS +4%). Between 4 and 8 KiB a block took 8 KiB, nearly twice itself:
 * sqlite's page-cache entries (a 4 KiB page and its header, 4368 bytes)
 * held 7.5 MB of RAM for 4.0 MB asked, where glibc's heap held 4.1. There
 * every slab is of order 3 (32 KiB), which holds 8 blocks of 4 KiB and 4
 * of 8 KiB; the three classes between are the largest multiples of 128
 * (the slots' step above 1 KiB) of which 7, 6 and 5 fit in a slab
 * (malloc-4608, -5376, -6528): a class between 6528 and 8 KiB would still
 * hold only 4 per slab and save nothing. Each is a cache like any other:
 * kfree(), ksize(), the slab's shadow, slabinfo and the checker know it as
 * they know kmalloc's.
 * class_cache(class_index(size)) is the cache for 1 .. 8 KiB, once
 * shim_setup_classes() succeeded; the shim serves small sizes from kmalloc()
 * otherwise (hardened and debug modes, whose layouts need kmalloc's classes,
 * or a cache that could not be made). Immutable once SHIM_UP.
 */
static const unsigned short extra_classes[] = { 48, 80, 112, 160, 224, 320, 384, 448,
						 4608, 5376, 6528 };
struct kmem_cache *class_caches[CLASS_MAX];
unsigned char class_num[CLASS_SLOTS];
unsigned short class_code_size[CLASS_CODES];
_Static_assert(CLASS_CODES == KMM_SLAB_SHADOW_CODES, "class_code_size[] has a slot per code");

/*
 * Empty slabs: Linux's min_partial (5..10 per node and cache) is not the
 * shim's rule. A dozen busy caches kept 5 each idle at the peak (free_storm
 * 2 100 10000: 4.4 MB of RAM resident for 3.2 MB of blocks; docs/malloc.md),
 * so min_partial is 0, and every cache keeps its empty slabs on its node
 * instead, within the machine's budget of 4 MiB for all caches together
 * (kmem_cache_keep_empty()). A program that frees a batch and allocates the
 * next (free_storm) then takes the same slabs again: no page allocated and
 * freed, no freelist built, no pages stranded on the freeing CPU's page
 * list; min_partial 0 alone gave every emptied slab to the page allocator
 * and built it again the next round. malloc_trim() frees them
 * (kmm_slab_drain()).
 */
#define SHIM_MIN_PARTIAL 0

bool shim_setup_classes(struct kmm_machine *m)
{
	static const char *const kmalloc_names[] = {
		"kmalloc-8", "kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-96", "kmalloc-128",
		"kmalloc-192", "kmalloc-256", "kmalloc-512", "kmalloc-1k", "kmalloc-2k",
		"kmalloc-4k", "kmalloc-8k",
	};
	enum { NK = sizeof(kmalloc_names) / sizeof(kmalloc_names[0]),
	       NE = sizeof(extra_classes) / sizeof(extra_classes[0]) };
	_Static_assert(NK + NE == CLASS_MAX, "class_caches[] holds every class");
	struct kmem_cache *cand[NK + NE];
	char name[32];

	for (size_t i = 0; i < NK + NE; i++) {
		if (i < NK) {
			cand[i] = kmm_find_cache(m, kmalloc_names[i]);
			if (!cand[i] && i == 0)	/* slab_shadow_granule=16: no kmalloc-8 */
				cand[i] = kmm_find_cache(m, kmalloc_names[1]);
		} else {
			snprintf(name, sizeof(name), "malloc-%u", extra_classes[i - NK]);
			cand[i] = kmm_kmem_cache_create(m, name, extra_classes[i - NK], 16, 0, NULL);
		}
		if (!cand[i])
			return false;
		kmem_cache_set_min_partial(cand[i], SHIM_MIN_PARTIAL);
		kmem_cache_keep_empty(cand[i]);
		kmem_cache_keep_sheaves(cand[i]);
		/*
		 * free() then finds a block's cache from its shadow byte, not
		 * its struct page (kfree_fast()). A debug cache (slab_debug=)
		 * refuses, and takes the slow path anyway.
		 */
		(void)kmem_cache_shadow_code(cand[i]);
		unsigned int v = kmem_cache_shadow_value(cand[i]);
		if (v - KMM_SLAB_SHADOW_CODE_BASE < KMM_SLAB_SHADOW_CODES)
			class_code_size[v - KMM_SLAB_SHADOW_CODE_BASE] =
				(unsigned short)kmem_cache_size(cand[i]);
	}
	/*
	 * Each slot's cache: the smallest that holds the slot's largest size
	 * (slot * 8). The candidates sorted by size (stably: of two of one
	 * size, the first listed), then one walk up the slots, so the boot
	 * does not compare 1,024 slots with every candidate.
	 */
	size_t sizes[NK + NE];
	for (size_t i = 0; i < NK + NE; i++) {
		struct kmem_cache *c = cand[i];
		size_t size = kmem_cache_size(c), j = i;

		for (; j > 0 && sizes[j - 1] > size; j--) {
			sizes[j] = sizes[j - 1];
			cand[j] = cand[j - 1];
		}
		sizes[j] = size;
		cand[j] = c;
	}
	size_t i = 0;
	for (unsigned int slot = 1; slot < CLASS_SLOTS; slot++) {
		while (i < NK + NE && sizes[i] < slot * 8UL)
			i++;
		if (i == NK + NE)
			return false;	/* no cache of 8 KiB: kmalloc-8k is missing */
		class_num[slot] = (unsigned char)i;
	}
	for (i = 0; i < NK + NE; i++)
		class_caches[i] = cand[i];
	return true;
}

bool shim_classes_aligned(void)
{
	for (unsigned int slot = 1; slot < CLASS_SLOTS; slot++) {
		/* a run of slots shares one cache: asked once (the 16-byte rule from slot 2 on) */
		if (slot > 2 && class_num[slot] == class_num[slot - 1])
			continue;
		if (kmem_cache_obj_align(class_cache(slot)) < (slot == 1 ? 8UL : 16UL))
			return false;
	}
	return true;
}
