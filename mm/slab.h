// SPDX-License-Identifier: MIT
/*
 * mm/slab.h - private to the slab allocator: struct slab (overlaid on struct
 * page), struct kmem_cache and its per-CPU and per-node parts.
 *
 * Linux counterpart: mm/slab.h (6.12). Kept: struct slab lives in the head
 * struct page of the slab's pages (flags, page_type and _refcount where
 * struct page has them); the per-CPU slab with its lockless-to-others
 * freelist; per-node partial lists. Added, from the classic SLAB: a full list
 * and an empty list per node (SLUB keeps empty slabs on its partial list and
 * full slabs nowhere), and slab colouring.
 *
 * Invariant (per cache, per node, under n->list_lock):
 *   every slab of the cache is in exactly one place: a CPU slot's cpu slab
 *   (frozen), n->partial (0 < inuse < objects), n->full (inuse == objects),
 *   n->empty (inuse == 0), or the machine's RCU queue (discarded, waiting for a
 *   grace period); and
 *   objects - inuse == length(slab->freelist) for an unfrozen slab,
 *   objects - inuse == length(slab->freelist) for a frozen one too, where the
 *   objects on the owning CPU's c->freelist count as in use (as in SLUB).
 *
 * Locking: c->lock (CPU slot) -> n->list_lock -> slab_lock (PG_locked bit of
 * the slab's head page). The allocation fast path takes only c->lock, which
 * no other slot's thread touches unless threads outnumber CPU slots.
 */
#ifndef KMM_MM_SLAB_H
#define KMM_MM_SLAB_H

#include <stddef.h>

#include "include/kmm/slab.h"
#include "mm/internal.h"

/* Where a slab is (slab->list), for the checker and the per-cache view. */
enum slab_list_id {
	SLAB_LIST_NONE,
	SLAB_LIST_CPU,		/* a CPU slot's cpu slab (frozen) */
	SLAB_LIST_PARTIAL,
	SLAB_LIST_FULL,
	SLAB_LIST_EMPTY,
	SLAB_LIST_RCU,		/* discarded, freed at the end of the grace period */
};

/*
 * struct slab - the slab view of a (head) struct page.
 *
 *   word 0   flags            == page->flags (PG_locked is the slab lock)
 *   words 1-2 slab_list       node list link             n->list_lock
 *   word 3   slab_cache       owner                      immutable
 *   word 4   freelist         objects not owned by a CPU  slab_lock
 *   word 5   inuse, objects, frozen, list, colour         see each field
 *   +48      page_type        PGTY_slab                   immutable
 *   +52      _refcount        as the page allocator left it
 *   +56      rcu_seq          grace period it waits for   rcu_lock
 */
struct slab {
	unsigned long flags;
	struct list_head slab_list;
	struct kmem_cache *slab_cache;
	void *freelist;
	unsigned short inuse;		/* slab_lock */
	unsigned short objects;		/* immutable */
	unsigned char frozen;		/* slab_lock (set/cleared with list_lock too) */
	unsigned char list;		/* enum slab_list_id, n->list_lock */
	unsigned short colour;		/* byte offset of the first object, immutable */
	unsigned int __page_type;
	atomic_int __page_refcount;
	unsigned long rcu_seq;
};

_Static_assert(sizeof(struct slab) == sizeof(struct page), "struct slab must overlay struct page");
_Static_assert(offsetof(struct slab, flags) == offsetof(struct page, flags), "slab flags");
_Static_assert(offsetof(struct slab, __page_type) == offsetof(struct page, page_type),
	       "slab page_type");
_Static_assert(offsetof(struct slab, __page_refcount) == offsetof(struct page, _refcount),
	       "slab refcount");
_Static_assert(offsetof(struct slab, rcu_seq) == offsetof(struct page, memcg_data),
	       "slab rcu_seq");

static inline struct slab *page_slab(const struct page *page)
{
	return (struct slab *)page;
}
static inline struct page *slab_page(const struct slab *slab)
{
	return (struct page *)slab;
}

/* The slab's node, read atomically: the slab lock bit shares the flags word. */
static inline int slab_nid(const struct slab *slab)
{
	unsigned long flags = __atomic_load_n(&slab->flags, __ATOMIC_RELAXED);
	return (int)((flags >> PG_NODE_SHIFT) & ((1u << PG_NODE_BITS) - 1));
}

/* Per CPU slot. */
struct kmem_cache_cpu {
	spinlock_t lock;		/* protects everything below */
	void *freelist;			/* next free object of the cpu slab (encoded chain) */
	struct slab *slab;		/* the cpu slab, frozen; NULL if none */
	char *lo, *hi;			/* object area of the cpu slab, for pointer checks */
	unsigned int nr_free;		/* objects on freelist */
	unsigned long alloc_fast, alloc_slow, free_fast, free_slow;	/* stats */
} __attribute__((aligned(64)));

/* Per node. */
struct kmem_cache_node {
	spinlock_t list_lock;		/* protects everything below */
	unsigned long nr_partial;	/* partial + empty slabs (Linux's meaning) */
	unsigned long nr_full, nr_empty;
	unsigned long nr_slabs;		/* all slabs of the node (cpu slabs too) */
	unsigned long total_objects;
	unsigned int colour_next;	/* next slab's colour index */
	struct list_head partial, full, empty;
} __attribute__((aligned(64)));

/* Debug flags slab_debug= can set. */
#define SLAB_DEBUG_FLAGS (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | \
			  SLAB_STORE_USER | SLAB_TRACE)

/* A call site with the time and CPU, for SLAB_STORE_USER (Linux's struct track). */
struct track {
	unsigned long addr;	/* caller address */
	int cpu;
	int pid;
	unsigned long when;	/* virtual clock, in jiffies-like ms */
};
enum track_item { TRACK_ALLOC, TRACK_FREE };

struct kmem_cache {
	struct kmem_cache_cpu *cpu_slab;	/* [nr_cpus] */
	struct kmm_machine *machine;
	slab_flags_t flags;
	unsigned long min_partial;
	unsigned int size;		/* stride of one object with its metadata */
	unsigned int object_size;	/* what the user asked for */
	unsigned int offset;		/* free pointer offset from the object */
	unsigned int inuse;		/* offset of the metadata after the object */
	unsigned int align;
	unsigned int red_left_pad;	/* left red zone bytes (slab_debug=Z) */
	unsigned int order;		/* slab order */
	unsigned int objects;		/* objects per slab */
	unsigned int min_order, min_objects;	/* fallback when the order fails */
	unsigned int colour_off;	/* colour step (cache line), bytes */
	unsigned int colour;		/* number of colours: leftover / colour_off */
	unsigned __int128 reciprocal;	/* ceil(2^64 / size), for obj_to_index */
	gfp_t allocflags;		/* __GFP_DMA, __GFP_RECLAIMABLE, __GFP_COMP */
	void (*ctor)(void *);
	unsigned long random;		/* freelist hardening key (0 if off) */
	unsigned long swab_mask;	/* ~0 with hardening, 0 without */
	unsigned int *random_seq;	/* freelist shuffle sequence, or NULL */
	int refcount;			/* slab_mutex */
	char name[64];
	struct list_head list;		/* the machine's caches, slab_mutex */
	atomic_long errors;		/* reports made for this cache */
	struct kmem_cache_node node[];	/* [nr_node_ids] */
};

/* kmalloc cache types, in Linux's creation order. */
enum kmalloc_cache_type {
	KMALLOC_NORMAL,
	KMALLOC_RECLAIM,
	KMALLOC_DMA,
	NR_KMALLOC_TYPES
};

/* Per-machine slab state: m->slab. */
struct slab_machine {
	spinlock_t slab_mutex;		/* caches list, cache create/destroy */
	struct list_head caches;	/* newest first, as slab_caches */
	struct kmem_cache *kmalloc_caches[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1];
	/* Boot options */
	slab_flags_t debug_flags;	/* slab_debug= letters */
	char debug_slabs[256];		/* ",a,b" cache list; "" means all caches */
	bool hardened;			/* slab_freelist_hardened=on */
	bool randomize;			/* slab_freelist_random=on */
	uint64_t rng;			/* deterministic per machine; rng_lock */
	spinlock_t rng_lock;
	/* Shadow: one byte per 8-byte granule of the direct map (KASAN's ratio). */
	unsigned char *shadow;
	size_t shadow_len;
	/* RCU model */
	spinlock_t rcu_lock;
	struct list_head rcu_pending;	/* slabs waiting for the grace period */
	unsigned long rcu_seq;		/* current grace period */
	unsigned long nr_rcu_pending;
	/* Reports */
	atomic_int tainted;		/* a BUG was reported: "Tainted: B" */
	bool panicked;			/* SLAB_PANIC fired */
	/* Shrinkers (mm/shrinker.c) */
	struct sim_rwlock shrinker_rwsem;	/* readers: shrink_slab; writers: (un)register */
	struct shrinker *shrinkers;		/* newest first, shrinker_rwsem */
};

static inline struct slab_machine *slab_state(const struct kmm_machine *m)
{
	return (struct slab_machine *)m->slab;
}

#define SHADOW_FREE 0
#define SHADOW_ALLOCATED 0xa1

/* ---- mm/slub.c ---- */

/** __kmem_cache_create() - lay out and set up @s (name, sizes, flags filled). Return: 0/-errno. */
int __kmem_cache_create(struct kmem_cache *s);
/** __kmem_cache_shutdown() - free every slab; Return: 0, or -EBUSY if objects remain (reported). */
int __kmem_cache_shutdown(struct kmem_cache *s, unsigned long caller);
void __kmem_cache_release(struct kmem_cache *s);
int __kmem_cache_shrink(struct kmem_cache *s);
void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node, unsigned long caller,
		      size_t orig_size);
void slab_free(struct kmem_cache *s, struct slab *slab, void *obj, unsigned long caller);
size_t slab_usable_size(struct kmem_cache *s, void *obj);
size_t slab_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr, void **p, unsigned long caller);
void slab_free_bulk(struct kmem_cache *s, size_t nr, void **p, unsigned long caller);
void slab_kmalloc_resize(struct kmem_cache *s, void *obj, size_t new_size);
/** virt_to_slab_m() - the slab holding @addr on @m, or NULL if its page is no slab. */
struct slab *virt_to_slab_m(struct kmm_machine *m, const void *addr);
/** kmm_addr_to_page() - the struct page of a direct-map address of any machine, or NULL. */
struct page *kmm_addr_to_page(const void *addr, struct kmm_machine **mp);
void *slab_address(const struct slab *slab);
void slab_check_report(struct kmem_cache *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int slub_check(struct kmm_machine *m);
/** slab_rcu_barrier() - free every slab waiting for a grace period. */
void slab_rcu_barrier(struct kmm_machine *m);
int slub_init_machine(struct kmm_machine *m);
void slub_shutdown_machine(struct kmm_machine *m);

/* Per-cache counts for slabinfo and the per-cache view (takes the locks). */
struct slab_counts {
	unsigned long nr_slabs, nr_objs, active_objs;
	unsigned long nr_partial, nr_full, nr_empty, nr_cpu;
	unsigned long partial_free;	/* free objects on partial + empty slabs */
	unsigned long cpu_free;		/* free objects held by CPU slots */
};
void slab_count(struct kmem_cache *s, struct slab_counts *out);
/** slab_draw() - the per-cache picture: slabs per list, per CPU slots' contents. */
void slab_draw(struct kmem_cache *s, struct strbuf *sb);

/* ---- mm/slab_common.c ---- */

unsigned int calculate_alignment(slab_flags_t flags, unsigned int align, unsigned int size);
struct kmem_cache *kmalloc_slab(struct kmm_machine *m, size_t size, gfp_t gfp);
/** slab_debug_flags_for() - debug flags slab_debug= gives the cache @name. */
slab_flags_t slab_debug_flags_for(struct kmm_machine *m, const char *name);

/* ---- mm/shrinker.c ---- */

void shrinker_shutdown_machine(struct kmm_machine *m);

#endif /* KMM_MM_SLAB_H */
