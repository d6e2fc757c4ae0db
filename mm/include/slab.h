// SPDX-License-Identifier: MIT
/*
 * mm/include/slab.h - the slab allocator as the rest of mm/ sees it.
 *
 * Linux counterpart: include/linux/slab.h (6.12) for the API, which kmm
 * keeps public in include/kmm/slab.h; this header adds what only kernel code
 * calls: the layer's init and boot options (the hooks of its entry in the
 * subsystem table) and shrink_slab() for the reclaim layer.
 */
#ifndef KMM_MM_INCLUDE_SLAB_H
#define KMM_MM_INCLUDE_SLAB_H

#include "include/kmm/slab.h"

struct kmm_machine;

/**
 * kmem_cache_init() - set up @m's slab layer: boot options, kmalloc caches
 * (the slab entry's init; tests reach it through subsys_init()).
 * Idempotent. Context: boot. Return: 0 or -errno (message set).
 */
int kmem_cache_init(struct kmm_machine *m);

/**
 * slab_boot_options() - register slab_debug=, slub_debug=,
 * slab_freelist_hardened= and slab_freelist_random= with the boot option
 * registry (the boot_options hook of the slab entry, mm/slab_common.c).
 */
void slab_boot_options(void);

/**
 * shrink_slab() - ask every registered shrinker to free objects, as Linux's
 * shrink_slab(): each shrinker scans count >> priority, scaled by 4/seeks
 * (priority 0 asks for everything), in batches, carrying unfinished work
 * to the next call.
 * @nid: the node under pressure (shrinkers without SHRINKER_NUMA_AWARE see 0).
 * Context: no slab or zone lock held; shrinkers may kfree.
 * Return: objects freed.
 */
unsigned long shrink_slab(struct kmm_machine *m, gfp_t gfp, int nid, int priority);

#endif /* KMM_MM_INCLUDE_SLAB_H */
