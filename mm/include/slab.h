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

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "include/kmm/slab.h"

struct kmm_machine;

/**
 * kmalloc_orig_size() - an object of @m's kmalloc class for @want bytes that
 * records @orig_size (<= @want) as the size asked for, so that slab_debug=Z's
 * red zone starts right after it (Linux's slab_alloc_node(..., orig_size) in
 * __do_kmalloc_node). For callers that round a request up themselves (the
 * malloc shim's aligned requests).
 * Return: the object, or NULL (-EINVAL message for sizes kmalloc caches
 * do not hold, or without a slab layer).
 */
void *kmalloc_orig_size(struct kmm_machine *m, size_t want, size_t orig_size, gfp_t gfp,
			unsigned long caller);

/** slab_is_available_m() - is @m's slab layer up (Linux's slab_is_available())? */
bool slab_is_available_m(const struct kmm_machine *m);

/**
 * slab_taint_flag() - @m's "a slab BUG was reported" flag (what Linux's
 * TAINT_BAD_PAGE prints as "Tainted: B"), for fast paths that read it racily.
 * Return: the flag, or NULL when the slab layer is not up.
 */
atomic_int *slab_taint_flag(struct kmm_machine *m);

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

/*
 * ---- Views: what /proc/slabinfo, /sys/kernel/slab/ and the CLI read ----
 *
 * Each function takes the slab locks it needs and hands back data; callers
 * never see struct kmem_cache's insides (mm/slab.h is private to the slab
 * files) and never take a slab lock themselves.
 */

struct strbuf;

/**
 * struct kmem_cache_info - a cache's geometry, fixed at creation.
 * @name: the cache's name (lives as long as the cache).
 * @object_size: what the caller asked for; @size: the stride of one object
 * with its metadata; @align: the alignment; @objects: objects per slab;
 * @order: the slab's page order; @min_partial: partial slabs kept per node;
 * @flags: SLAB_* flags, slab_debug= ones included.
 */
struct kmem_cache_info {
	const char *name;
	unsigned int object_size, size, align, objects, order;
	unsigned long min_partial;
	unsigned int cpu_partial;	/* objects a CPU's partial list aims at (set_cpu_partial) */
	slab_flags_t flags;
};

/** kmem_cache_get_info() - fill @info from @s. Context: any (immutable fields). */
void kmem_cache_get_info(const struct kmem_cache *s, struct kmem_cache_info *info);
/**
 * kmem_cache_set_min_partial() - what a write to Linux's
 * /sys/kernel/slab/<cache>/min_partial does: it only sets the field. From
 * now on a slab of @s that empties on a node with @min partial slabs or more
 * is freed to the page allocator; empty slabs already on a node stay there
 * (kmem_cache_shrink() frees them).
 * Context: before @s is in use by more than the caller (the field is read
 * without a lock), as the malloc shim does while it boots.
 */
void kmem_cache_set_min_partial(struct kmem_cache *s, unsigned long min);
/**
 * kmem_cache_keep_empty() - from now on a slab of @s that empties stays on
 * its node's empty list, whatever min_partial says, while the empty slabs
 * kept so by all such caches of the machine hold at most 4 MiB
 * (SLAB_KEEP_EMPTY_PAGES); beyond that it is freed to the page allocator.
 * The next slab @s needs is then one of them, not a new one: no pages
 * allocated and freed, no freelist built. kmem_cache_shrink() frees them.
 * Context: as kmem_cache_set_min_partial().
 */
void kmem_cache_keep_empty(struct kmem_cache *s);
/**
 * kmem_cache_keep_sheaves() - from now on a CPU's sheaf of @s that a free
 * finds full hands its newer half to that CPU's barn while the barn has room
 * (mm/slab.h: SHEAF_BARN_OBJECTS objects, SHEAF_BARN_BYTES of them), where
 * it gave its older half back to the slabs;
 * an allocation that finds its CPU's sheaf and cpu freelist empty takes
 * such a half from the CPU's barn before a slab. kmem_cache_shrink() empties
 * the barns. The barn keeps its sheaves in the free objects themselves (a word
 * beside the free pointer), so nothing changes for a cache whose free
 * objects keep their bytes (a constructor, SLAB_TYPESAFE_BY_RCU), one of
 * 8-byte objects, or one without sheaves (slab_sheaves=off).
 * Context: as kmem_cache_set_min_partial().
 */
void kmem_cache_keep_sheaves(struct kmem_cache *s);

/**
 * kmem_cache_for_each() - call @fn for every cache of @m, in creation order,
 * under slab_mutex (Linux's slab_start/slab_next for /proc/slabinfo).
 * @fn must not create or destroy caches; a nonzero return stops the walk.
 * Return: 0, @fn's nonzero return, or -ENOENT when @m has no slab layer.
 */
int kmem_cache_for_each(struct kmm_machine *m, int (*fn)(struct kmem_cache *s, void *arg),
			void *arg);

/**
 * struct slab_counts - one cache's slabs and objects, counted under its CPU
 * and node locks by slab_count().
 * @active_objs: Linux's slabinfo rule: objects minus the free objects on the
 * node partial lists; @partial_free: free objects on partial and empty slabs;
 * @cpu_free: free objects held by CPU slots (cpu slabs and their partial lists).
 */
struct slab_counts {
	unsigned long nr_slabs, nr_objs, active_objs;
	unsigned long nr_partial, nr_full, nr_empty, nr_cpu;
	unsigned long nr_cpu_partial;	/* slabs on the CPUs' partial lists */
	unsigned long partial_free;
	unsigned long cpu_free;
};
/** slab_count() - fill @out for @s. Context: takes @s's CPU and node locks. */
void slab_count(struct kmem_cache *s, struct slab_counts *out);
/**
 * slab_cpu_partial_slabs() - the slabs on each CPU's partial list of @s into
 * @per_cpu[0 .. @n) (0 past the machine's CPUs). Context: holds each CPU slot in turn.
 */
void slab_cpu_partial_slabs(struct kmem_cache *s, unsigned int *per_cpu, int n);

/* What slab_node_counts() counts, per node (the /sys/kernel/slab/ files). */
enum slab_node_stat {
	SO_PARTIAL,		/* partial slabs */
	SO_CPU,			/* CPU slabs and their partial lists (Linux's cpu_slabs) */
	SO_SLABS,		/* all slabs */
	SO_OBJECTS,		/* objects in use */
	SO_TOTAL,		/* objects, free or not */
	SO_OBJECTS_PARTIAL,	/* objects in use on partial slabs */
};

/**
 * slab_node_counts() - the data of Linux's show_slab_objects(): @what of
 * @s per node into @nodes[0..nr_node_ids).
 * Context: takes @s's CPU or node locks.
 */
void slab_node_counts(struct kmem_cache *s, enum slab_node_stat what, unsigned long *nodes);

/** slab_draw() - the per-cache picture: slabs per list, per CPU slots' contents. */
void slab_draw(struct kmem_cache *s, struct strbuf *sb);

/**
 * virt_to_cache_m() - the cache whose slab holds @obj on @m (Linux's
 * virt_to_cache()). Return: the cache, or NULL if @obj is in no slab.
 */
struct kmem_cache *virt_to_cache_m(struct kmm_machine *m, const void *obj);

/*
 * The slab's shadow: one byte per 8-byte granule of the direct map (16 with
 * slab_shadow_granule=16: kmm_slab_shadow_shift()), read by
 * the malloc shim to tell a live kmalloc block, a freed one and a pointer
 * kmalloc never returned apart without a record of its own.
 */
#define KMM_SLAB_SHADOW_ALLOCATED 0xa1	/* an allocated object's start */
#define KMM_SLAB_SHADOW_FREED 0xf5	/* a freed object's start (until reallocated) */
/*
 * A freed object's start that a CPU's sheaf gave back to its slab's freelist
 * (sheaf_flush()): freed, as KMM_SLAB_SHADOW_FREED, but no longer in a sheaf,
 * so a second copy of it in another sheaf (two frees that raced, mm/slab.h)
 * is told apart and reported when it leaves that sheaf.
 */
#define KMM_SLAB_SHADOW_FLUSHED 0xf6
/*
 * An allocated object's start of a cache given a shadow code
 * (kmem_cache_shadow_code()): KMM_SLAB_SHADOW_CODE_BASE + the code, so the
 * byte also names the cache. Codes are 0..KMM_SLAB_SHADOW_CODES - 1.
 */
#define KMM_SLAB_SHADOW_CODE_BASE 0x40
#define KMM_SLAB_SHADOW_CODES 64

/** kmm_slab_shadow_live() - does shadow byte @v mark an allocated object's start? */
static inline bool kmm_slab_shadow_live(unsigned char v)
{
	return v == KMM_SLAB_SHADOW_ALLOCATED ||
	       (unsigned char)(v - KMM_SLAB_SHADOW_CODE_BASE) < KMM_SLAB_SHADOW_CODES;
}

/** kmm_slab_shadow_freed() - does shadow byte @v mark a freed object's start? */
static inline bool kmm_slab_shadow_freed(unsigned char v)
{
	return v == KMM_SLAB_SHADOW_FREED || v == KMM_SLAB_SHADOW_FLUSHED;
}

/**
 * kmem_cache_shadow_code() - give @s a shadow code: from now on the shadow
 * byte of each object it hands out names @s, and kfree_fast() and
 * kmem_cache_free() find the cache of such an object from that byte alone,
 * without reading the object's struct page (one cache miss less per free).
 * A cache with sheaves and no slowpath_flags is given one at creation
 * while codes last; this is for the others (a cache without sheaves, a
 * hardened one). Objects allocated before keep KMM_SLAB_SHADOW_ALLOCATED;
 * both mean allocated. Codes are never reused; __kmem_cache_release()
 * withdraws @s's.
 * Context: @s has no debug flags; before other threads use @s.
 * Return: 0 (@s has a code, given now or before); -ENOSPC when every code
 * is taken (@s keeps the plain value); -EINVAL for a debug cache.
 */
int kmem_cache_shadow_code(struct kmem_cache *s);
/**
 * kmem_cache_shadow_value() - the shadow byte an object of @s starts with
 * while allocated now: KMM_SLAB_SHADOW_CODE_BASE + its code once it has one
 * (kmem_cache_shadow_code()), else KMM_SLAB_SHADOW_ALLOCATED. So a byte
 * that says that code is a live object of @s, of kmem_cache_size(@s)
 * usable bytes when @s has no debug flags (the malloc shim's realloc).
 */
unsigned char kmem_cache_shadow_value(struct kmem_cache *s);
/**
 * kmm_slab_shadow_bias() - where the shadow byte of direct-map address a
 * lives: (unsigned char *)(bias + (a >> kmm_slab_shadow_shift(@m))); 0 when
 * @m has no slab layer. Only a granule's first address (a multiple of
 * 1 << shift) can be an object; another's byte is its granule's.
 * Any other byte (0) is neither. A read races with the slab's own writes by
 * nature: kfree() checks the byte again inside its section.
 */
uintptr_t kmm_slab_shadow_bias(struct kmm_machine *m);
/**
 * kmm_slab_shadow_shift() - log2 of @m's shadow granule: 3 (a byte per 8
 * bytes), or 4 when booted with slab_shadow_granule=16 (every slab object
 * 16-byte aligned). Immutable after boot.
 */
unsigned int kmm_slab_shadow_shift(struct kmm_machine *m);

/*
 * The lock-free paths alone, for a caller that must not run the slow paths
 * where it stands (the malloc shim outside its kmm section: a slow path may
 * call malloc). Each either finishes the whole operation with no lock taken
 * and nothing called, or changes nothing and says so; the caller then makes
 * the ordinary call. Kernel-doc in mm/slub.c.
 */
void *kmem_cache_alloc_fast(struct kmem_cache *s);
/* kmem_cache_obj_align() - the alignment every object of @s has (kernel-doc in mm/slab_common.c). */
unsigned long kmem_cache_obj_align(const struct kmem_cache *s);
bool kfree_fast(struct kmm_machine *m, const void *p);

/* kmm_kfree_verdict() - would this free be reported? (kernel-doc in mm/slab_common.c) */
int kmm_kfree_verdict(struct kmm_machine *m, struct kmem_cache *cache, const void *p,
		      char *why, size_t len);

/**
 * dump_unreclaimable_slab() - the OOM report's "Unreclaimable slab info:"
 * block: each cache without SLAB_RECLAIM_ACCOUNT that holds objects.
 * Context: the OOM path; gives up (one line) if slab_mutex is taken.
 */
void dump_unreclaimable_slab(struct kmm_machine *m);

/** slub_check() - the slab layer's invariant checker. Return: 0 or -EUCLEAN (reported). */
int slub_check(struct kmm_machine *m);

#endif /* KMM_MM_INCLUDE_SLAB_H */
