// SPDX-License-Identifier: MIT
/*
 * include/kmm/slab.h - object caches and kmalloc, the public API of kmm's slab
 * allocator (mm/slub.c, mm/slab_common.c, mm/shrinker.c).
 *
 * Linux counterpart: include/linux/slab.h, include/linux/shrinker.h (6.12).
 *
 * A cache belongs to the machine it was created on; kmem_cache_* calls on it
 * need no current machine. kmalloc() and friends act on the current machine
 * (kmm_use); kfree(), ksize() and krealloc() find the machine from the
 * pointer. Every object comes from the machine's RAM (the lowmem direct map),
 * so slab memory shows in /proc/meminfo (Slab, SReclaimable, SUnreclaim) and
 * in /proc/slabinfo exactly as Linux accounts it.
 *
 * Errors: allocation returns NULL (kmm_last_error() says why); bad frees
 * (double free, a pointer that is not an object start, a pointer of another
 * cache) are reported to dmesg as Linux's "BUG <cache> ..." blocks and
 * ignored, so the host process never crashes.
 */
#ifndef KMM_SLAB_H
#define KMM_SLAB_H

#include <stdarg.h>
#include <stddef.h>

#include <kmm/kmm.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kmem_cache;
typedef unsigned int slab_flags_t;

/* Cache flags (Linux's classic bit values). */
#define SLAB_CONSISTENCY_CHECKS	0x00000100U	/* slab_debug=F: sanity checks */
#define SLAB_RED_ZONE		0x00000400U	/* slab_debug=Z: red zones around objects */
#define SLAB_POISON		0x00000800U	/* slab_debug=P: 0x6b/0xa5 poison when free */
#define SLAB_KMALLOC		0x00001000U	/* a kmalloc-* cache */
#define SLAB_HWCACHE_ALIGN	0x00002000U	/* align objects to cache lines */
#define SLAB_CACHE_DMA		0x00004000U	/* slabs from ZONE_DMA */
#define SLAB_CACHE_DMA32	0x00008000U	/* slabs from ZONE_DMA32 */
#define SLAB_STORE_USER		0x00010000U	/* slab_debug=U: alloc/free call sites */
#define SLAB_RECLAIM_ACCOUNT	0x00020000U	/* reclaimable: __GFP_RECLAIMABLE, SReclaimable */
#define SLAB_PANIC		0x00040000U	/* creation failure is a "Kernel panic" */
#define SLAB_TYPESAFE_BY_RCU	0x00080000U	/* slab pages freed after a grace period */
#define SLAB_TRACE		0x00200000U	/* slab_debug=T (accepted, logs alloc/free) */
#define SLAB_NO_MERGE		0x01000000U	/* accepted; kmm never merges caches */
#define SLAB_ACCOUNT		0x04000000U	/* accepted; no memcg in kmm */

#define NUMA_NO_NODE (-1)
#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

/* kmalloc limits (x86-64, 4 KiB pages). */
#define KMALLOC_SHIFT_LOW	3
#define KMALLOC_SHIFT_HIGH	13	/* PAGE_SHIFT + 1: kmalloc-8k is the largest cache */
#define KMALLOC_MAX_CACHE_SIZE	(1UL << KMALLOC_SHIFT_HIGH)
#define KMALLOC_MAX_SIZE	(1UL << 22)	/* 4 MiB: MAX_PAGE_ORDER + PAGE_SHIFT */
#define KMALLOC_MIN_SIZE	8

/* ---- Caches ---- */

/**
 * kmem_cache_create() - a cache of @size-byte objects on the current machine.
 * @name: shown in /proc/slabinfo; copied. Must be unique on the machine.
 * @size: object size, 1 .. KMALLOC_MAX_SIZE bytes.
 * @align: required alignment (0 or a power of two).
 * @flags: SLAB_* flags; slab_debug= may add debug flags.
 * @ctor: called on each object when its slab is created (may be NULL).
 *
 * Return: the cache, or NULL with kmm_last_error() naming the bad argument.
 * With SLAB_PANIC a failure also logs Linux's "Kernel panic - not syncing"
 * line to dmesg (kmm never stops the host; the machine is marked panicked).
 */
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *));
/** kmm_kmem_cache_create() - kmem_cache_create() on machine @m. */
struct kmem_cache *kmm_kmem_cache_create(struct kmm_machine *m, const char *name,
					 unsigned int size, unsigned int align,
					 slab_flags_t flags, void (*ctor)(void *));
/**
 * kmem_cache_destroy() - destroy @s: flush per-CPU slabs, return every slab
 * to the buddy allocator (after an RCU grace period for TYPESAFE_BY_RCU).
 * If objects are still allocated, Linux's "kmem_cache_destroy X: Slab cache
 * still has objects" report goes to dmesg, listing them, and the cache is
 * kept (so the caller may free them and destroy again). NULL is a no-op.
 */
void kmem_cache_destroy(struct kmem_cache *s);
/** kmem_cache_alloc() - an object of @s. Return: the object or NULL. */
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
/** kmem_cache_alloc_node() - an object from a slab on node @node (NUMA_NO_NODE: any). */
void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node);
/** kmem_cache_zalloc() - kmem_cache_alloc() with the object zeroed. */
void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp);
/** kmem_cache_free() - free @obj of @s. Bad pointers are reported and ignored. */
void kmem_cache_free(struct kmem_cache *s, void *obj);
/**
 * kmem_cache_alloc_bulk() - allocate @nr objects into @p.
 * Return: @nr, or 0 (nothing allocated) if memory ran out.
 */
int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr, void **p);
/** kmem_cache_free_bulk() - free @nr objects of @p (each as kmem_cache_free). */
void kmem_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p);
/**
 * kmem_cache_shrink() - flush the per-CPU slabs of @s and return every empty
 * slab to the buddy allocator. Return: 0 if no object is allocated, else 1.
 */
int kmem_cache_shrink(struct kmem_cache *s);
/** kmem_cache_size() - the object size @s was created with. */
unsigned int kmem_cache_size(struct kmem_cache *s);
/** kmem_cache_name() - the name of @s. */
const char *kmem_cache_name(const struct kmem_cache *s);
/** kmm_find_cache() - the cache named @name on @m, or NULL. */
struct kmem_cache *kmm_find_cache(struct kmm_machine *m, const char *name);

/* ---- kmalloc (current machine) ---- */

void *kmalloc(size_t size, gfp_t gfp);
void *kzalloc(size_t size, gfp_t gfp);
void *kmalloc_node(size_t size, gfp_t gfp, int node);
void *kzalloc_node(size_t size, gfp_t gfp, int node);
/** kmalloc_array() / kcalloc(): NULL (not a wrapped size) if @n * @size overflows. */
void *kmalloc_array(size_t n, size_t size, gfp_t gfp);
void *kcalloc(size_t n, size_t size, gfp_t gfp);
/**
 * krealloc() - resize @p to @new_size, keeping the contents. Works in place
 * when ksize(@p) suffices. krealloc(NULL, n) is kmalloc; a zero size frees
 * @p and returns ZERO_SIZE_PTR. Return: NULL on failure (@p untouched).
 */
void *krealloc(const void *p, size_t new_size, gfp_t gfp);
/** kfree() - free a kmalloc'ed pointer; NULL and ZERO_SIZE_PTR are no-ops. */
void kfree(const void *p);
/** kfree_sensitive() - zero the whole allocation (ksize bytes), then kfree. */
void kfree_sensitive(const void *p);
/** ksize() - usable bytes at @p (the object size of its cache; 0 for NULL). */
size_t ksize(const void *p);
void *kmemdup(const void *src, size_t len, gfp_t gfp);
char *kstrdup(const char *s, gfp_t gfp);
char *kstrndup(const char *s, size_t max, gfp_t gfp);
/** kmm_kmalloc() - kmalloc_node() on machine @m. */
void *kmm_kmalloc(struct kmm_machine *m, size_t size, gfp_t gfp, int node);

/* ---- Machine-wide ---- */

/**
 * kmm_slab_drain() - flush every cache's per-CPU slabs, end the RCU grace
 * period, return every empty slab of every cache to the buddy allocator and
 * drain the pcp lists (what a leak check wants before counting free pages).
 */
void kmm_slab_drain(struct kmm_machine *m);
/**
 * kmm_synchronize_rcu() - end the current RCU grace period of @m: slab pages
 * of SLAB_TYPESAFE_BY_RCU caches discarded before the call are freed now.
 * kmm's grace-period model: no reader is ever inside an RCU read-side section
 * across this call, so a grace period is exactly one call.
 */
void kmm_synchronize_rcu(struct kmm_machine *m);
/** synchronize_rcu() - kmm_synchronize_rcu() on the current machine. */
void synchronize_rcu(void);

/* ---- Shrinkers ---- */

struct shrink_control {
	gfp_t gfp_mask;
	int nid;
	unsigned long nr_to_scan;	/* objects to scan this call */
	unsigned long nr_scanned;	/* set by scan_objects if it scanned != nr_to_scan */
};

#define SHRINK_STOP (~0UL)
#define SHRINK_EMPTY (~0UL - 1)
#define DEFAULT_SEEKS 2
#define SHRINKER_NUMA_AWARE 0x1

struct shrinker {
	/* Return the number of freeable objects, or SHRINK_EMPTY / 0 if none. */
	unsigned long (*count_objects)(struct shrinker *, struct shrink_control *sc);
	/* Free up to sc->nr_to_scan objects; return freed, or SHRINK_STOP. */
	unsigned long (*scan_objects)(struct shrinker *, struct shrink_control *sc);
	long batch;		/* objects per scan call; 0 means SHRINK_BATCH (128) */
	int seeks;		/* cost to recreate an object (DEFAULT_SEEKS); 0: scan half */
	unsigned int flags;
	void *private_data;
	/* Owned by mm/shrinker.c: */
	struct kmm_machine *machine;
	char name[32];
	long nr_deferred;	/* work carried to the next call */
	struct shrinker *next;
};

/**
 * register_shrinker() - add @s to the current machine's shrinkers, named
 * @name (as /sys/kernel/debug/shrinker shows). Return: 0, -EINVAL (no
 * callbacks), -EBUSY (already registered).
 */
int register_shrinker(struct shrinker *s, const char *name);
int kmm_register_shrinker(struct kmm_machine *m, struct shrinker *s, const char *name);
/** unregister_shrinker() - remove @s; a no-op if it is not registered. */
void unregister_shrinker(struct shrinker *s);

#ifdef __cplusplus
}
#endif

#endif /* KMM_SLAB_H */
