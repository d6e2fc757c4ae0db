// SPDX-License-Identifier: MIT
/*
 * mm/slab.h - private to the slab allocator: struct slab (overlaid on struct
 * page), struct kmem_cache and its per-CPU and per-node parts.
 *
 * Linux counterpart: mm/slab.h (6.12). Kept: struct slab lives in the head
 * struct page of the slab's pages (flags, page_type and _refcount where
 * struct page has them); the per-CPU slab with its lockless-to-others
 * freelist; per-node partial lists. Added, from the classic SLAB: a full list
 * and an empty list per node (SLUB keeps empty slabs on its partial list), and
 * slab colouring. Full slabs are on no list, as in SLUB, except those of debug
 * caches, which keep the full list SLUB keeps for SLAB_STORE_USER.
 *
 * Invariant (per cache, per node, under n->list_lock):
 *   every slab of the cache is in exactly one place: a CPU slot's cpu slab
 *   (frozen), a CPU slot's partial list (any inuse < objects: remote frees
 *   may empty it), n->partial (0 < inuse < objects), n->full (inuse ==
 *   objects, debug caches), full on no list (inuse == objects, every other
 *   cache: SLAB_LIST_FULL_OFF), n->empty (inuse == 0), or the machine's RCU
 *   queue (discarded, waiting for a grace period); a CPU's partial list holds
 *   at most cpu_partial_slabs slabs; the slabs full on no list of a node are
 *   nr_slabs - nr_partial - nr_full - its CPU slabs - its CPU partial slabs
 *   (counted holding every CPU slot and list_lock: slab_full_off()); and
 *   objects - inuse == length(slab->freelist) for an unfrozen slab,
 *   objects - inuse == length(slab->freelist) for a frozen one too, where the
 *   objects on the owning CPU's c->freelist count as in use (as in SLUB).
 *
 * Layout: the private section below (helpers shared by mm/slub.c and
 * mm/slub_debug.c) follows the per-file declarations.
 *
 * Locking: CPU slot guard (the c->... fields of every cache of the slot) ->
 * n->list_lock -> slab_lock (PG_locked bit of the slab's head page). The
 * fast paths enter only the slot guard, which takes no lock at all when the
 * thread owns its slot (mm/include/cpu_slot.h).
 */
#ifndef KMM_MM_SLAB_H
#define KMM_MM_SLAB_H

#include <stddef.h>
#include <string.h>

#include "include/kmm/slab.h"
#include "mm/include/addr.h"
#include "mm/include/mmdebug.h"
#include "mm/include/slab.h"
#include "mm/internal.h"

/* Where a slab is (slab->list), for the checker and the per-cache view. */
enum slab_list_id {
	SLAB_LIST_NONE,
	SLAB_LIST_CPU,		/* a CPU slot's cpu slab (frozen) */
	SLAB_LIST_CPU_PARTIAL,	/* on a CPU slot's partial list (not frozen) */
	SLAB_LIST_PARTIAL,
	SLAB_LIST_FULL,		/* on n->full (debug caches) */
	SLAB_LIST_EMPTY,
	SLAB_LIST_RCU,		/* discarded, freed at the end of the grace period */
	/*
	 * Full, on no list (every cache without debug flags, as in SLUB): enters
	 * and leaves this state only inside a CPU slot's section, so a thread
	 * holding every slot sees these slabs stand still; the first free into
	 * one moves it to the freeing CPU's partial list without list_lock
	 * (__slab_free(), Linux's put_cpu_partial).
	 */
	SLAB_LIST_FULL_OFF,
};

/*
 * struct slab - the slab view of a (head) struct page.
 *
 *   word 0   flags            == page->flags (PG_locked is the slab lock)
 *   words 1-2 slab_list       node list link             n->list_lock
 *   word 3   slab_cache       owner                      immutable
 *   word 4   freelist         objects not owned by a CPU  slab_lock, or cmpxchg16b
 *   word 5   counters: inuse, objects, frozen, list, colour    see each field
 *
 * Words 4 and 5 are swapped together (slab_cmpxchg(), Linux's
 * cmpxchg_double on freelist+counters): __slab_free() pushes an object
 * with one cmpxchg16b and no lock. The slab lock is a bit of the same 16
 * bytes (SLAB_FROZEN_LOCKED in the frozen byte), taken and dropped with the
 * same instruction, so a lock holder sees no push land under it; the lock
 * holder writes freelist, inuse and frozen with relaxed stores.
 *   +48      page_type        PGTY_slab                   immutable
 *   +52      _refcount        as the page allocator left it
 *   +56      rcu_seq          grace period it waits for   rcu_lock
 *            (frozen_by)      the slot that froze it last  its freezer; read
 *                             under list_lock (get_partial() prefers a slot's
 *                             own slabs); a slab waits for a grace period only
 *                             once it has left every list, so the two share
 */
struct slab {
	unsigned long flags;
	struct list_head slab_list;
	struct kmem_cache *slab_cache;
	void *freelist;			/* slab_lock, or slab_cmpxchg() */
	union {
		struct {
			unsigned short inuse;	/* as freelist; slab_count() reads it: READ_ONCE */
			unsigned short objects;	/* immutable */
			unsigned char frozen;	/* bit 0: slab_lock (+ list_lock); bit 7: the lock */
			unsigned char list;	/* enum slab_list_id, n->list_lock */
			unsigned short colour;	/* byte offset of the first object, immutable */
		};
		unsigned long counters;	/* the five, as one word for slab_cmpxchg() */
	};
	unsigned int __page_type;
	atomic_int __page_refcount;
	union {
		unsigned long rcu_seq;
		unsigned long frozen_by;
	};
};

_Static_assert(sizeof(struct slab) == sizeof(struct page), "struct slab must overlay struct page");
_Static_assert(offsetof(struct slab, flags) == offsetof(struct page, flags), "slab flags");
_Static_assert(offsetof(struct slab, __page_type) == offsetof(struct page, page_type),
	       "slab page_type");
_Static_assert(offsetof(struct slab, __page_refcount) == offsetof(struct page, _refcount),
	       "slab refcount");
_Static_assert(offsetof(struct slab, rcu_seq) == offsetof(struct page, memcg_data),
	       "slab rcu_seq");
_Static_assert(offsetof(struct slab, freelist) % 16 == 0 &&
	       offsetof(struct slab, counters) == offsetof(struct slab, freelist) + 8,
	       "freelist and counters: one aligned 16-byte pair");

#if defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_16) && defined(__x86_64__)
#define SLAB_CMPXCHG_DOUBLE 1
/* The slab lock: bit 7 of the frozen byte, inside the pair slab_cmpxchg() swaps. */
#define SLAB_FROZEN_LOCKED 0x80
#else
#define SLAB_CMPXCHG_DOUBLE 0
#define SLAB_FROZEN_LOCKED 0	/* the slab lock is PG_locked */
#endif
_Static_assert(offsetof(struct slab, inuse) == offsetof(struct slab, counters),
	       "inuse is the low half-word of counters: counters - 1 drops it");
#define SLAB_COUNTERS_LOCKED \
	((unsigned long)SLAB_FROZEN_LOCKED \
	 << (8 * (offsetof(struct slab, frozen) - offsetof(struct slab, counters))))

/* Is @slab frozen (a CPU slot's cpu slab)? */
static inline bool slab_frozen(const struct slab *slab)
{
	return __atomic_load_n(&slab->frozen, __ATOMIC_RELAXED) & 1;
}

/* Freeze or unfreeze @slab. Context: its slab lock held (kept held). */
static inline void slab_set_frozen_locked(struct slab *slab, bool frozen)
{
	__atomic_store_n(&slab->frozen, (unsigned char)(SLAB_FROZEN_LOCKED | frozen),
			 __ATOMIC_RELAXED);
}

/*
 * ThreadSanitizer's runtimes (gcc's libtsan, clang's compiler-rt) swap 16
 * bytes without cmpxchg16b: under a spin lock of their own they load the
 * pair, compare it and store it back, and nothing that does not take that
 * lock - a one-byte store - is kept out of the gap between the load and
 * the store. A store there is lost: the swap writes back the byte it
 * loaded. On the hardware, lock cmpxchg16b is atomic against every store.
 */
#if SLAB_CMPXCHG_DOUBLE && defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SLAB_PAIR_EMULATED 1
#endif
#endif
#if SLAB_CMPXCHG_DOUBLE && defined(__SANITIZE_THREAD__)
#define SLAB_PAIR_EMULATED 1
#endif
#ifndef SLAB_PAIR_EMULATED
#define SLAB_PAIR_EMULATED 0
#endif
/* Where the list byte sits in counters. */
#define SLAB_LIST_SHIFT (8 * (offsetof(struct slab, list) - offsetof(struct slab, counters)))

/*
 * slab->list: node lists change it under list_lock, the CPU partial lists
 * and freezing under the slab lock too; __slab_free() reads it under the
 * slab lock alone, so it is read and written with relaxed atomics. The
 * node lists' writes (place_slab_locked(), list_remove_locked()) hold no
 * slab lock, so a remote free may swap the pair meanwhile: on the hardware
 * the store lands before the swap (which then fails and retries) or after
 * it. Under ThreadSanitizer (SLAB_PAIR_EMULATED) the store is a swap of the
 * pair itself, or a swap in progress could undo it: a slab put on n->partial
 * would keep the byte of no list, and list_remove_locked() would leave it
 * linked there when it moves to a CPU (stress_slab_owned's hang).
 */
static inline void slab_set_list(struct slab *slab, enum slab_list_id id)
{
#if SLAB_PAIR_EMULATED
	unsigned __int128 *pair = __builtin_assume_aligned(&slab->freelist, 16);

	for (;;) {
		void *fl = __atomic_load_n(&slab->freelist, __ATOMIC_RELAXED);
		unsigned long cnt = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);
		unsigned long want = (cnt & ~(0xffUL << SLAB_LIST_SHIFT)) |
				     ((unsigned long)id << SLAB_LIST_SHIFT);
		unsigned __int128 o = ((unsigned __int128)cnt << 64) | (uintptr_t)fl;
		unsigned __int128 n = ((unsigned __int128)want << 64) | (uintptr_t)fl;

		if (__atomic_compare_exchange_n(pair, &o, n, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return;
	}
#else
	__atomic_store_n(&slab->list, (unsigned char)id, __ATOMIC_RELAXED);
#endif
}
static inline enum slab_list_id slab_list_id(const struct slab *slab)
{
	return (enum slab_list_id)__atomic_load_n(&slab->list, __ATOMIC_RELAXED);
}

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

/*
 * A CPU's sheaf (slab_sheaves=on; the malloc shim boots its machine so):
 * an array of up to s->sheaf_capacity freed objects of any slab of the
 * cache (two pages' worth, 4 to SLAB_SHEAF_MAX: mm/slub_layout.c), as Linux
 * 6.18's per-CPU sheaves. A free pushes the object there and
 * an allocation pops the last one pushed, before the cpu slab: a program
 * that frees objects scattered over many slabs (any long-lived heap) would
 * otherwise pay a lockless swap on a remote slab per free and, per refill of
 * the cpu slab, a freeze of a partial slab that holds only the few objects
 * freed into it. A full sheaf gives its older half back to their slabs
 * (sheaf_flush()). An object in a sheaf counts as in use in its slab
 * (slab->inuse) and its shadow byte says FREE: a second free of it is a
 * double free, as for any free object, and the checker accounts for it.
 * A cache's sheaves are one per-CPU allocation of their own, apart from
 * s->cpu_slab (mm/slub_layout.c alloc_cpu_slabs()), allocated only for a
 * cache with sheaves and never cleared: an entry at or above sheaf_nr is
 * never read, so the pages of CPUs that never free into the cache stay
 * untouched (inline, the array cost 256 bytes per CPU per cache in every
 * machine, sheaves on or off).
 */
/*
 * 64 (32 before session 15): a full sheaf gives half back, one object at a
 * time into slabs scattered over the heap (sheaf_flush(): ~90 instructions
 * each), and refills come half as often; with two pages' worth per sheaf
 * (sheaf_capacity_for()) small_churn 2000000 100000 spent 9 M instructions
 * fewer (callgrind) at the peak RSS of 32 (sessions 14 and 15).
 */
#define SLAB_SHEAF_MAX 64

/* Per CPU slot. */
/* Guarded by the CPU slot's guard (mm/include/cpu_slot.h), as Linux's local lock. */
struct kmem_cache_cpu {
	void *freelist;			/* next free object of the cpu slab (encoded chain) */
	struct slab *slab;		/* the cpu slab, frozen; NULL if none */
	char *lo;			/* first object of the cpu slab, for pointer checks */
	/* Bytes from lo to its last object's start, + 1: a slab is at most 4 MiB. */
	unsigned int span;
	unsigned int nr_free;		/* objects on freelist */
	unsigned int nr_partial;	/* slabs on @partial */
	unsigned int sheaf_nr;		/* objects in @sheaf */
	struct list_head partial;	/* per-CPU partial slabs (slab->slab_list) */
	/*
	 * Freed objects, newest last (see above): this CPU's s->sheaf_capacity
	 * entries of the cache's sheaf block; NULL in a cache without sheaves.
	 * Immutable after creation (the entries are the slot's).
	 */
	void **sheaf;
} __attribute__((aligned(64)));

/* One cache line per CPU per cache: the sheaves live outside (review8-shim #1). */
_Static_assert(sizeof(struct kmem_cache_cpu) == 64, "struct kmem_cache_cpu outgrew a cache line");

/* Per node. */
struct kmem_cache_node {
	spinlock_t list_lock;		/* protects everything below */
	unsigned long nr_partial;	/* partial + empty slabs (Linux's meaning) */
	unsigned long nr_full;		/* slabs on @full (debug caches; see slab_full_off()) */
	unsigned long nr_empty;
	unsigned long nr_slabs;		/* all slabs of the node (cpu slabs too) */
	unsigned long total_objects;
	unsigned int colour_next;	/* next slab's colour index */
	struct list_head partial, full, empty;
} __attribute__((aligned(64)));

/* kmem_cache_node's objects (/proc/slabinfo) keep their size: 128 bytes. */
_Static_assert(sizeof(struct kmem_cache_node) == 128, "struct kmem_cache_node is no longer 128 bytes");

/*
 * The barn's bound (s->barn_max sheaves of barn_unit() objects,
 * kmem_cache_keep_sheaves()):
 * bound in objects, SHEAF_BARN_OBJECTS, and in their bytes, SHEAF_BARN_BYTES,
 * rather than in sheaves (Linux's MAX_FULL_SHEAVES is 10; kmm kept 8). A
 * sheaf is two pages' worth of objects but at most SLAB_SHEAF_MAX, so 8
 * sheaves were 512 objects of 16 to 128 bytes (8 to 64 KiB) and 64 KiB of
 * every larger size. A program that frees a batch of small objects and
 * allocates the next (free_storm: ~660 objects of each class from 16 to 128
 * bytes, ~1,300 of each from 160 to 256) overflowed the barn of each class
 * and gave the rest back to the slabs one object at a time (sheaf_flush()),
 * to freeze the same slabs again on its next round. Now a barn holds up to
 * 2,048 objects of 16 to 128 bytes (32 to 256 KiB: 32 full sheaves of 64
 * until session 23, 64 half sheaves of 32 since, barn_put()) and 256 KiB of
 * any larger size (in the objects themselves: no room). callgrind,
 * free_storm 1 100 10000: 202.9 M instructions (8 sheaves), 191.7 M (1,024
 * objects, 128 KiB), 182.8 M (1,024, 256 KiB), 178.1 M (these); VmHWM at
 * exit of ten bench/malloc workloads unchanged (session 19). At least 1
 * sheaf, at most SHEAF_BARN_MAX (SHEAF_BARN_OBJECTS / 2: a barn's smallest
 * sheaf, half of the smallest CPU sheaf of 4). Since the barn is per CPU
 * (struct sheaf_barn, session 24), a cache's barns that hold sheaves share
 * this bound two to a share (barn_room(); the slots threads held, until
 * session 28).
 */
#define SHEAF_BARN_OBJECTS 2048
#define SHEAF_BARN_BYTES (256u << 10)
#define SHEAF_BARN_MAX (SHEAF_BARN_OBJECTS / 2)

/* s->slowpath_flags: free pointers hardened (outside the debug flags' bits). */
#define SLAB_FAST_HARDENED 0x80000000U
/*
 * s->slowpath_flags, set by tests alone: kfree_fast() runs the machine's
 * kfree_fast_hook in the window between its read of the slab's cache and
 * its claim of the object, then goes on; every other path takes the slow way.
 */
#define SLAB_FAST_TEST_HOOK 0x40000000U
/*
 * s->slowpath_flags of slab_no_cache (mm/slub_kfree.c): the cache of every
 * shadow code no cache holds (st->shadow_coded[]), so that kfree_fast() tests
 * what it finds there once, for slowpath_flags, and not for NULL first.
 */
#define SLAB_FAST_NO_CACHE 0x20000000U
extern struct kmem_cache slab_no_cache;

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
	/*
	 * CPU 0's copy of a per-CPU allocation (mm/include/percpu.h): CPU k's
	 * is per_cpu_ptr(s->cpu_slab, k), set up when CPU k is populated
	 * (mm/slub_layout.c alloc_cpu_slabs()). Immutable after creation.
	 */
	struct kmem_cache_cpu *cpu_slab;
	struct kmm_machine *machine;
	slab_flags_t flags;
	/* The machine's st->shadow_shift and its granule's low bits (7 or 15), immutable. */
	unsigned char shadow_shift, shadow_mask;
	unsigned long min_partial;
	/*
	 * An empty slab stays on its node, whatever min_partial says, while the
	 * machine's budget allows (kmem_cache_keep_empty(), st->empty_kept).
	 * Immutable once the cache is in use.
	 */
	bool keep_empty;
	/*
	 * A CPU's full sheaf gives its newer half to the CPU's barn while there is room
	 * (kmem_cache_keep_sheaves(), struct sheaf_barn). Immutable once
	 * the cache is in use.
	 */
	bool keep_sheaves;
	/* Sheaves (barn_unit()) a CPU's barn holds (barn_sheaves_for()); 0 without keep_sheaves. */
	unsigned short barn_max;
	/* Where an object in the barn keeps its barn link (barn_next()), from its start. Likewise. */
	unsigned short barn_link;
	/* A barn link was found overwritten: barn_flush() looks for what it lost. Atomic. */
	bool barn_broken;
	uintptr_t shadow_bias;		/* shadow of obj = shadow_bias + (obj >> shadow_shift), immutable */
	unsigned int cpu_partial;	/* objects a CPU's partial list aims at (set_cpu_partial) */
	unsigned int cpu_partial_slabs;	/* the list's limit in slabs */
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
	uint64_t div_magic;		/* ceil(2^64 / size), 64 bits: cpu_fp_ok's divisibility test */
	gfp_t allocflags;		/* __GFP_DMA, __GFP_RECLAIMABLE, __GFP_COMP */
	void (*ctor)(void *);
	/*
	 * Why the fast paths step aside for this cache (0: they run): its
	 * debug flags, SLAB_FAST_HARDENED. Immutable after creation.
	 */
	unsigned int slowpath_flags;
	/* Objects a CPU's sheaf holds at most; 0: no sheaves (immutable after creation). */
	unsigned int sheaf_capacity;
	/*
	 * The shadow byte of an object this cache hands out: SHADOW_ALLOCATED,
	 * or the cache's code (kmem_cache_shadow_code(); set once, before other
	 * threads use the cache; relaxed atomics).
	 */
	unsigned char shadow_alloc;
	/* This cache's CPU barns that hold sheaves (barn_room()); atomic. In padding. */
	unsigned int barns_used;
	unsigned long random;		/* freelist hardening key (0 if off) */
	unsigned long swab_mask;	/* ~0 with hardening, 0 without */
	unsigned int *random_seq;	/* freelist shuffle sequence, or NULL */
	int refcount;			/* slab_mutex */
	char name[64];
	struct list_head list;		/* the machine's caches, slab_mutex */
	atomic_long errors;		/* reports made for this cache */
	/*
	 * Where this structure and its nodes live: objects of the kmem_cache
	 * and kmem_cache_node caches, or, for those two boot caches until
	 * bootstrap() moves them (mm/slab_common.c), the host heap. Immutable
	 * after creation (boot, single-threaded, for the boot caches).
	 */
	bool host_struct, host_nodes;
	struct kmem_cache_node *node[];	/* [nr_node_ids], immutable */
};

/* kmalloc cache types, in Linux's creation order. */
enum kmalloc_cache_type {
	KMALLOC_NORMAL,
	KMALLOC_RECLAIM,
	KMALLOC_DMA,
	NR_KMALLOC_TYPES
};

/* Per-machine slab state: m->subsys[SUBSYS_SLAB], through slab_state(). */
struct slab_machine {
	spinlock_t slab_mutex;		/* caches list, cache create/destroy */
	struct list_head caches;	/* newest first, as slab_caches */
	struct kmem_cache *kmalloc_caches[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1];
	/* The caches of struct kmem_cache and struct kmem_cache_node (immutable after boot) */
	struct kmem_cache *kmem_cache, *kmem_cache_node;
	/* Boot options */
	slab_flags_t debug_flags;	/* slab_debug= letters */
	char debug_slabs[256];		/* ",a,b" cache list; "" means all caches */
	bool hardened;			/* slab_freelist_hardened=on */
	bool randomize;			/* slab_freelist_random=on */
	bool sheaves;			/* slab_sheaves=on: per-CPU sheaves for caches without debug */
	bool freeptr_start;		/* slab_freeptr=start: free pointer at offset 0 (calculate_sizes()) */
	bool kmalloc_lazy;		/* kmalloc_caches=lazy: rcl and dma caches made on first use */
	spinlock_t kmalloc_lazy_lock;	/* one maker of a lazy kmalloc cache at a time */
	uint64_t rng;			/* deterministic per machine; rng_lock */
	spinlock_t rng_lock;
	/*
	 * Shadow: one byte per granule of the direct map, 8 bytes (KASAN's
	 * ratio) or, with slab_shadow_granule=16, 16 bytes (every object is
	 * then 16-byte aligned: calculate_sizes()); shadow_shift is 3 or 4.
	 * Immutable after boot.
	 */
	unsigned char *shadow;
	size_t shadow_len;
	unsigned int shadow_shift;
	unsigned int shadow_mask;	/* the granule's low bits: 7 or 15 */
	uintptr_t shadow_bias;		/* shadow of obj = shadow_bias + (obj >> shadow_shift) */
	/*
	 * The cache of each shadow code (kmem_cache_shadow_code()),
	 * &slab_no_cache before it is given and once withdrawn; entries and
	 * nr_shadow_codes under slab_mutex, entries read by kfree_fast() with
	 * relaxed atomics. Codes are never reused.
	 */
	struct kmem_cache *shadow_coded[KMM_SLAB_SHADOW_CODES];
	unsigned int nr_shadow_codes;
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
	/* Tests: see SLAB_FAST_TEST_HOOK (set while no other thread frees) */
	void (*kfree_fast_hook)(void *arg, struct kmem_cache *s, const void *obj);
	void *kfree_fast_hook_arg;
	/*
	 * Tests: run by kfree_fast() of a SLAB_FAST_TEST_HOOK cache between its
	 * claim's load (which found the object allocated) and its store of
	 * FREE (tests/unit_slab_stale_free.c forces two frees' race there).
	 */
	void (*kfree_claim_hook)(void *arg, struct kmem_cache *s, const void *obj);
	/*
	 * Pages of the empty slabs on the nodes of the caches that keep them
	 * (s->keep_empty), all caches together: at most SLAB_KEEP_EMPTY_PAGES
	 * but for a race's moment (place_slab_locked()). Relaxed atomics: each
	 * change is made under the list_lock of the slab's node.
	 */
	unsigned long empty_kept;
};

/*
 * The most a machine keeps in empty slabs of the caches that keep them
 * (kmem_cache_keep_empty()): 4 MiB. Beyond it an emptied slab goes back to
 * the page allocator, as with min_partial 0.
 */
#define SLAB_KEEP_EMPTY_PAGES ((4UL << 20) >> PAGE_SHIFT)

/** slab_state() - @m's slab state, NULL when the slab layer is not set up. */
static inline struct slab_machine *slab_state(const struct kmm_machine *m)
{
	return m->subsys[SUBSYS_SLAB];
}

/*
 * Shadow bytes (public values in mm/include/slab.h): an object start is
 * ALLOCATED (or its cache's code: s->shadow_alloc) while allocated and FREE
 * once freed; 0 is every other granule and the starts of objects not
 * allocated since their slab was made (new_slab() clears the slab's shadow).
 * A cache's code is in an object's byte only while the object is allocated
 * in a slab of that cache: slabs are freed empty, and new_slab() clears.
 */
#define SHADOW_FREE KMM_SLAB_SHADOW_FREED
#define SHADOW_FLUSHED KMM_SLAB_SHADOW_FLUSHED
#define SHADOW_ALLOCATED KMM_SLAB_SHADOW_ALLOCATED

/* ---- mm/slub.c ---- */

/** __kmem_cache_create() - lay out and set up @s (name, sizes, flags filled). Return: 0/-errno. */
int __kmem_cache_create(struct kmem_cache *s);	/* mm/slub_layout.c */
/** __kmem_cache_shutdown() - free every slab; Return: 0, or -EBUSY if objects remain (reported). */
int __kmem_cache_shutdown(struct kmem_cache *s, unsigned long caller);
void __kmem_cache_release(struct kmem_cache *s);
int __kmem_cache_shrink(struct kmem_cache *s);
void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node, unsigned long caller,
		      size_t orig_size);
void slab_free(struct kmem_cache *s, struct slab *slab, void *obj, unsigned long caller); /* slub_free.c */
size_t slab_usable_size(struct kmem_cache *s, void *obj);
size_t slab_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr, void **p, unsigned long caller);
void slab_free_bulk(struct kmem_cache *s, size_t nr, void **p, unsigned long caller); /* slub_free.c */
void slab_kmalloc_resize(struct kmem_cache *s, void *obj, size_t new_size);
/** slab_rng_next() - the next number of @st's deterministic generator (hardening keys, shuffles). */
unsigned long slab_rng_next(struct slab_machine *st);
/** virt_to_slab_m() - the slab holding @addr on @m, or NULL if its page is no slab. */
struct slab *virt_to_slab_m(struct kmm_machine *m, const void *addr);
void *slab_address(const struct slab *slab);
/** __free_slab() - return @slab's pages to the buddy allocator. Context: on no list, no slab lock. */
void __free_slab(struct kmem_cache *s, struct slab *slab);
/**
 * flush_all() - flush every CPU slot's cpu slab and partial slabs of @s back
 * to the node lists. Context: holds every slot (one process-wide barrier,
 * Linux's IPIs of flush_all); not from inside a slot section.
 */
void flush_all(struct kmem_cache *s);

/* ---- mm/slub_machine.c ---- */

/** slab_rcu_barrier() - free every slab waiting for a grace period. */
void slab_rcu_barrier(struct kmm_machine *m);
int slub_init_machine(struct kmm_machine *m);
/** slub_boot_options() - register slab_shadow_granule= (called by slab_boot_options()). */
void slub_boot_options(void);
void slub_shutdown_machine(struct kmm_machine *m);

/* ---- mm/slub_layout.c ---- */

/**
 * calculate_sizes() - lay out @s's objects (free pointer, red zones, tracks),
 * its size, order, object count, allocation flags and colours from its
 * object_size, align, flags and ctor. Return: 0, or -E2BIG when no order up
 * to MAX_PAGE_ORDER holds an object. Context: @s is not yet visible.
 */
int calculate_sizes(struct kmem_cache *s);
/** set_min_partial() - empty slabs a node keeps for @s: ilog2(size) / 2, within 5..10. */
void set_min_partial(struct kmem_cache *s);
/** set_cpu_partial() - @s's per-CPU partial target by object size (6.12's table). */
void set_cpu_partial(struct kmem_cache *s);


/*
 * ---- Private to mm/slub*.c ----
 *
 * The helpers both halves of the allocator use: byte values, object
 * addressing, free pointers, the shadow, the slab lock, address to slab, and
 * where the debug metadata sits inside an object. mm/slab_common.c uses the
 * address-to-slab helpers for kfree's fast path; nothing outside the slab
 * allocator includes these.
 */


#define POISON_INUSE 0x5a
#define POISON_FREE 0x6b
#define POISON_END 0xa5
#define SLUB_RED_INACTIVE 0xbb
#define SLUB_RED_ACTIVE 0xcc

#define MAX_OBJS_PER_PAGE 32767

/* ---- Small helpers ---- */

static inline bool kmem_cache_debug(const struct kmem_cache *s)
{
	return s->flags & (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON |
			   SLAB_STORE_USER | SLAB_TRACE);
}

/* This thread's CPU slot: kmm_this_cpu()'s per-thread cache, one TLS load. */
static inline int slab_this_cpu(struct kmm_machine *m)
{
	return kmm_this_cpu_inline(m);
}

/*
 * The guard of CPU slot @cpu: Linux's local lock of every kmem_cache_cpu of
 * that CPU (per_cpu_ptr(s->cpu_slab, cpu) of every cache). An owning thread enters it with
 * no locked instruction (mm/include/cpu_slot.h).
 */
static inline struct kmm_cpu_guard *slot_guard(struct kmem_cache *s, int cpu)
{
	return &s->machine->cpus[cpu].guard;
}

static inline bool object_poison(const struct kmem_cache *s)
{
	return (s->flags & SLAB_POISON) && !(s->flags & SLAB_TYPESAFE_BY_RCU) && !s->ctor;
}

static inline unsigned long slab_pfn(const struct kmm_machine *m, const struct slab *slab)
{
	return page_to_pfn_m(m, slab_page(slab));
}

static inline char *slab_addr_m(const struct kmm_machine *m, const struct slab *slab)
{
	return phys_to_virt_m(m, PFN_PHYS(slab_pfn(m, slab)));
}

static inline unsigned int slab_order(const struct slab *slab)
{
	return compound_order(slab_page(slab));
}

/* First object (after the colour and the left red zone). */
static inline char *slab_first_obj(const struct kmem_cache *s, const struct slab *slab)
{
	return slab_addr_m(s->machine, slab) + slab->colour + s->red_left_pad;
}

/*
 * A lazily chained slab (new_slab()'s @lazy): its objects from index
 * slab_fresh() on were never written since the slab was made - free, on no
 * chain, their shadow bytes 0, counted in the owning CPU's c->nr_free as if
 * they were on its freelist (so every count and /proc number is what a
 * whole chain gives). The CPU chains them a page at a time
 * (slab_chain_fresh()) when its freelist runs dry, and chains the rest when
 * the slab stops being its cpu slab (deactivate_slab()): only a frozen cpu
 * slab has untouched objects. Linux's allocate_slab() writes every free
 * pointer at once, so an order-3 slab of 2-8 KiB objects is resident whole
 * from its first object on. Kept in the first tail page's spare bytes
 * (compound_pad), written by the slab's owner alone: an order-0 slab has
 * none, and slab_fresh() is its object count.
 */
static inline unsigned int slab_fresh(const struct slab *slab)
{
	const struct page *page = slab_page(slab);
	unsigned short v;

	if (!PageHead(page))
		return slab->objects;
	memcpy(&v, &page[1].compound_pad[1], sizeof(v));
	return v;
}

static inline void slab_set_fresh(struct slab *slab, unsigned int from)
{
	struct page *page = slab_page(slab);
	unsigned short v = (unsigned short)from;

	if (PageHead(page))
		memcpy(&page[1].compound_pad[1], &v, sizeof(v));
}

static inline unsigned int obj_to_index(const struct kmem_cache *s, const struct slab *slab,
					const void *obj)
{
	unsigned long off = (unsigned long)((const char *)obj - slab_first_obj(s, slab));
	return (unsigned int)((off * s->reciprocal) >> 64);
}

static inline void *index_to_obj(const struct kmem_cache *s, const struct slab *slab,
				 unsigned int i)
{
	return slab_first_obj(s, slab) + (size_t)i * s->size;
}

/* The simulated kernel virtual address kmm prints for a host pointer. */
static inline unsigned long kaddr(const struct kmm_machine *m, const void *p)
{
	if (!p)
		return 0;
	return (unsigned long)kmm_direct_kva(m, p);
}

static inline struct kmem_cache_node *get_node(struct kmem_cache *s, int nid)
{
	return s->node[nid];
}

/* ---- Free pointers (hardened: ptr ^ random ^ swab(slot address)) ---- */

static inline void *freeptr_decode(const struct kmem_cache *s, unsigned long stored,
				   unsigned long slot)
{
	return (void *)(stored ^ s->random ^ (__builtin_bswap64(slot) & s->swab_mask));
}

static inline void *get_freepointer(const struct kmem_cache *s, void *obj)
{
	unsigned long slot = (unsigned long)obj + s->offset;
	return freeptr_decode(s, *(unsigned long *)slot, slot);
}

static inline void set_freepointer(const struct kmem_cache *s, void *obj, void *fp)
{
	unsigned long slot = (unsigned long)obj + s->offset;
	*(unsigned long *)slot = (unsigned long)fp ^ s->random ^
				 (__builtin_bswap64(slot) & s->swab_mask);
}

/* The same without hardening (s->random == 0): the fast paths, which test for it once. */
static inline void *get_freepointer_plain(const struct kmem_cache *s, void *obj)
{
	return *(void **)((char *)obj + s->offset);
}

static inline void set_freepointer_plain(const struct kmem_cache *s, void *obj, void *fp)
{
	*(void **)((char *)obj + s->offset) = fp;
}

/*
 * The chains a CPU's barn keeps its sheaves in (struct sheaf_barn), at most:
 * a take follows them side by side (barn_unchain()), so that the objects'
 * lines, cold by then, are fetched BARN_CHAINS at a time instead of one
 * after another.
 */
#define BARN_CHAINS 4
/* The words of a CPU's barn: its chains' tops and its count. */
#define BARN_WORDS (BARN_CHAINS + 1)

/*
 * sheaf_stride() - the entries between two CPUs' sheaves in @s's block:
 * s->sheaf_capacity and the BARN_WORDS words of the CPU's barn (struct
 * sheaf_barn) rounded up to a cache line (8 entries), so that no two
 * CPUs' sheaves share a line (a capacity of two pages' worth is no multiple
 * of 8 for objects of 160, 192, 224, 320, 384, 448 bytes: 51, 42, 36, 25,
 * 21, 18 entries, nor over 512), and a sheaf written on one CPU never
 * takes the line of its neighbour's away.
 */
static inline size_t sheaf_stride(const struct kmem_cache *s)
{
	return ((size_t)s->sheaf_capacity + BARN_WORDS + 7) & ~(size_t)7;
}

/*
 * A CPU's barn (a cache that keeps sheaves, kmem_cache_keep_sheaves();
 * Linux 6.18's struct node_barn, its full sheaves only, but one per CPU):
 * @nr sheaves of barn_unit() objects, the newer half of the CPU's full
 * sheaf each (barn_put()), for the same CPU to take whole when its sheaf
 * and cpu freelist run dry (barn_take()). A program that frees a batch and
 * allocates the next (free_storm) then moves each object from its sheaf to
 * its barn and back, where a sheaf_flush() gave it back to its slab (a
 * compare-exchange of its shadow byte, a run pushed on its slab) and a
 * refill froze that slab again. Objects in a barn are as those in a sheaf:
 * in use in their slabs, shadow FREE, every one with its link
 * (sheaf_link()). The barn keeps its sheaves in their own objects, as
 * barn_chains() chains side by side (barn_next()); with k of them, @top[i]
 * is the newest sheaf's object i below its newest (top[0]: the newest),
 * each object's barn link names the object k below it in its sheaf, and
 * a sheaf's lowest k, object k - 1 - i from the bottom, name the next
 * sheaf's @top[i] (NULL after the last). Until session 25 one chain, each
 * object naming the one right below it: a take then waited for each
 * object's line before it could ask for the next one's, and those lines
 * are cold by the time a sheaf is taken back (free_storm 1 300 10000:
 * barn_take() 23% of the samples, on its two loads of the links). No
 * memory of its own but these BARN_WORDS words, the last of the CPU's
 * piece of the sheaf block (sheaf_stride()): its room of 32-bit entries
 * (session 20), malloc'd from the host heap at the first hand-in, cost
 * 44-96 KB of a small program's peak (a glibc arena of a worker thread's;
 * rss20, rss21).
 *
 * Per CPU since session 24, per node before: through a node's barn, half
 * sheaves freed on one CPU were taken by another, so two threads each
 * churning objects of their own came to share the lines of those objects
 * and of their shadow bytes, each free and allocation pulling a line the
 * other CPU wrote last (perf, small_churn 4000000 20000 2: free()'s load
 * of the shadow byte 71% of its samples, free 33% of all against 15% on one
 * thread). Objects a CPU frees for another (free_storm, mt_churn) go back
 * to it through their slabs once this barn is full, as before there was one.
 * Guarded by the CPU slot's guard, as the sheaf; read by barn_flush() and
 * the checker with every slot held.
 */
struct sheaf_barn {
	void *top[BARN_CHAINS];	/* the newest sheaf's newest objects; NULL when empty */
	unsigned long nr;	/* sheaves of barn_unit() objects */
};
_Static_assert(sizeof(struct sheaf_barn) == BARN_WORDS * sizeof(void *), "sheaf_stride()");

static inline struct sheaf_barn *cpu_barn(const struct kmem_cache *s, const struct kmem_cache_cpu *c)
{
	return (struct sheaf_barn *)(c->sheaf + sheaf_stride(s) - BARN_WORDS);
}

/*
 * sheaf_home() - where CPU @cpu's sheaf lives: its piece of @s's per-CPU
 * sheaf allocation (s->sheaf_capacity entries, sheaf_stride() reserved),
 * NULL in a cache without sheaves. What a CPU's c->sheaf is set to when
 * the CPU is populated. Not for fast paths: it looks the allocation up.
 */
static inline void **sheaf_home(const struct kmem_cache *s, int cpu)
{
	void **sheaves = s->sheaf_capacity ? pcpu_ctor_arg(s->machine, s->cpu_slab) : NULL;

	return sheaves ? per_cpu_ptr(sheaves, cpu) : NULL;
}

/*
 * free_cpu_slabs() - give @s's kmem_cache_cpu and sheaves back to the
 * machine's per-CPU area (mm/slub_layout.c). Context: @s is going away.
 */
void free_cpu_slabs(struct kmem_cache *s);

/*
 * A sheaf's links: an object in a sheaf (or in the barn) keeps, at its free
 * pointer, its own address XOR SHEAF_LINK_POISON, so a write after free that
 * hits that word is caught when the object leaves the sheaf (its link no
 * longer matches), as a corrupt free pointer is on a freelist. The value is
 * no pointer a program stores (its top bits make it non-canonical on x86-64,
 * as Linux's POISON_POINTER_DELTA), NULL and self-pointers included. It
 * depends on the object alone, not on its place: a push reads no entry below
 * it and a pop compares with none (one dependent load and a branch less each
 * way: free()'s push waited on c->sheaf -> sheaf[k - 1]), a flush, a barn
 * hand-in or take, or a move between sheaves rewrites no link, and two
 * copies of a raced double free (below) write the same word the same.
 * @hardened: encoded as free pointers are.
 */
#define SHEAF_LINK_POISON 0xdead5eaf00000000UL

static inline void *sheaf_link_value(const void *obj)
{
	return (void *)((uintptr_t)obj ^ SHEAF_LINK_POISON);
}

static inline void sheaf_link(const struct kmem_cache *s, void *obj, bool hardened)
{
	if (hardened)
		set_freepointer(s, obj, sheaf_link_value(obj));
	else
		set_freepointer_plain(s, obj, sheaf_link_value(obj));
}

static inline bool sheaf_link_ok(const struct kmem_cache *s, void *obj, bool hardened)
{
	return (hardened ? get_freepointer(s, obj) : get_freepointer_plain(s, obj)) ==
	       sheaf_link_value(obj);
}

/*
 * sheaf_link_spent() - an object leaving a sheaf handed out: its link made
 * no link (0, which no object's link value or its encoding is but by a
 * chance of 2^-64 in a hardened cache). So a second copy of it that a raced
 * double free left in another sheaf (the claims below) fails its pop's
 * sheaf_link_ok() once this copy is handed out, as it fails once this copy
 * is given back (a free pointer in the same word): every pop that hands a
 * sheaf's object out spends its link, and the fast pop tests the link, not
 * the shadow byte, which slab_alloc_full() then reads to name the double
 * free. A store to the word the pop's test just read, not a load of the
 * byte's line.
 */
static inline void sheaf_link_spent(const struct kmem_cache *s, void *obj)
{
	set_freepointer_plain(s, obj, NULL);
}

/*
 * The objects of one of the barn's sheaves: the newer half of a CPU's full
 * sheaf (barn_put() says why half), at least 2 (a sheaf holds at least 4).
 */
static inline unsigned int barn_unit(const struct kmem_cache *s)
{
	return s->sheaf_capacity / 2;
}

/* The chains of @s's barns (struct sheaf_barn): BARN_CHAINS, fewer in a smaller barn_unit(). */
static inline unsigned int barn_chains(const struct kmem_cache *s)
{
	unsigned int unit = barn_unit(s);

	return unit < BARN_CHAINS ? unit : BARN_CHAINS;
}

/*
 * An object's barn link (struct sheaf_barn): the object below it in its
 * chain of the barn, in the word at s->barn_link, beside its free pointer
 * (which keeps its sheaf link), XOR SHEAF_LINK_POISON and, @hardened, encoded
 * as a free pointer is. The poison's top bits make a word a program wrote
 * after free read as no object of the direct map: barn_take() tests each
 * link before it follows it (barn_link_bad()).
 */
static inline void barn_set_next(const struct kmem_cache *s, void *obj, void *next,
				 const bool hardened)
{
	unsigned long slot = (unsigned long)obj + s->barn_link;
	unsigned long v = (unsigned long)next ^ SHEAF_LINK_POISON;

	if (hardened)
		v ^= s->random ^ (__builtin_bswap64(slot) & s->swab_mask);
	*(unsigned long *)slot = v;
}

static inline void *barn_next(const struct kmem_cache *s, const void *obj, const bool hardened)
{
	unsigned long slot = (unsigned long)obj + s->barn_link;
	unsigned long v = *(const unsigned long *)slot ^ SHEAF_LINK_POISON;

	if (hardened)
		v ^= s->random ^ (__builtin_bswap64(slot) & s->swab_mask);
	return (void *)v;
}

/*
 * barn_link_bad() - does @next lie outside the direct map from @base, @bytes
 * long: a barn link overwritten? (Inside it, a link is only read from: a
 * sheaf's pop tests what it finds there, as any object's.)
 */
static inline bool barn_link_bad(const void *next, uintptr_t base, uintptr_t bytes)
{
	return (uintptr_t)next - base >= bytes;
}

/* sheaf_bad_link() - report a sheaf object whose link was overwritten (mm/slub_debug.c). */
void sheaf_bad_link(struct kmem_cache *s, void *obj);
/*
 * sheaf_double_free() - report the second copy of a racing double free
 * (mm/slab.h's claims): a sheaf's object whose shadow byte says @v, not
 * FREE, as it leaves the sheaf (mm/slub_debug.c). The caller drops it.
 */
void sheaf_double_free(struct kmem_cache *s, void *obj, unsigned char v);

/* ---- The shadow: one byte per granule (8 or 16 bytes) of the direct map ---- */

static inline unsigned char *shadow_of(const struct slab_machine *st,
				       const struct kmm_machine *m, const void *obj)
{
	return st->shadow + (virt_to_phys_m(m, obj) >> st->shadow_shift);
}

/*
 * Is @obj off its shadow granule's start? Such a pointer is no object of
 * @s (every object starts a granule), and its shadow byte is some other
 * address's: every free tests this before it reads the byte.
 */
static inline bool shadow_misaligned(const struct kmem_cache *s, const void *obj)
{
	return (unsigned char)(uintptr_t)obj & s->shadow_mask;	/* one testb */
}

static inline unsigned char shadow_get(const struct slab_machine *st, const struct kmm_machine *m,
				       const void *obj)
{
	return __atomic_load_n(shadow_of(st, m, obj), __ATOMIC_RELAXED);
}

/* The shadow byte of @obj through the cache (the fast paths: no machine lookups). */
static inline unsigned char *cache_shadow(const struct kmem_cache *s, const void *obj)
{
	return (unsigned char *)(s->shadow_bias + ((uintptr_t)obj >> s->shadow_shift));
}

static inline void shadow_set(const struct slab_machine *st, const struct kmm_machine *m,
			      const void *obj, unsigned char v)
{
	__atomic_store_n(shadow_of(st, m, obj), v, __ATOMIC_RELAXED);
}

/* The value objects of @s are handed out with (SHADOW_ALLOCATED, or @s's code). */
static inline unsigned char cache_shadow_alloc(const struct kmem_cache *s)
{
	return __atomic_load_n(&s->shadow_alloc, __ATOMIC_RELAXED);
}

/*
 * Does shadow byte @v mark an allocated object of @s? (Before its code, @s's
 * were plain.) The code first: one compare for an object of a coded cache
 * (every cache with sheaves) as for one of a plain cache.
 */
static inline bool shadow_live_in(const struct kmem_cache *s, unsigned char v)
{
	return v == cache_shadow_alloc(s) || v == SHADOW_ALLOCATED;
}

/* The slow half of shadow_claim_to(): an object of @s allocated before its code. */
static inline bool shadow_claim_plain(unsigned char *sh, unsigned char seen, unsigned char code,
				      unsigned char to)
{
	if (seen != SHADOW_ALLOCATED || code == SHADOW_ALLOCATED)
		return false;
	return __atomic_compare_exchange_n(sh, &seen, to, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

/*
 * Claiming an object's shadow byte (allocated -> FREE), and what a racing
 * double free does (issue 19: no locked instruction on the malloc/free fast
 * path; SLUB catches such a race late too, or not at all).
 *
 * - A free by a thread alone on its CPU slot into that CPU's sheaf
 *   (slab_free_fast_as(), kfree_fast(): every free of the malloc shim, which
 *   boots slab_sheaves=on): shadow_owned_live(), a plain load (allocated?
 *   else the free is refused, and reported at once as ever), then the
 *   sheaf link written, then shadow_owned_free(), a plain store of FREE
 *   (release). The link first: while the byte still says allocated, a
 *   second copy of the object that an earlier race left in a sheaf cannot
 *   be given back (below), so no push of it lands on the link word after
 *   ours. Two frees of one object racing on two CPUs can both pass
 *   the load before either stores (a load may pass an earlier store, x86
 *   included, without a full barrier - a locked instruction): both push the
 *   object, into two sheaves. No count changes on a push into a sheaf (its
 *   objects count as in use in their slab), so the second copy breaks no
 *   count; it is caught when it leaves its sheaf, whichever way:
 *   - handed out: every allocation from a sheaf first tests the object's
 *     sheaf link, which the other copy's leaving spent (sheaf_link_spent():
 *     handed out) or overwrote (a free pointer: given back); the fast pop
 *     (slab_pop_owned()) then refuses it, and slab_alloc_full() finds the
 *     byte not FREE (the other copy allocated, or FLUSHED): "double free
 *     detected" (sheaf_double_free()), the copy dropped, nothing counted;
 *   - given back: sheaf_flush() claims FREE -> FLUSHED by a
 *     compare-exchange (two copies given back at once must not both be
 *     pushed: a freelist holding an object twice is a cycle) and drops
 *     the second copy with the same report.
 *   A copy handed out from a freelist (the other given back first) is live
 *   when its twin leaves its sheaf: caught there. Left to chance, as in
 *   SLUB's freelist after a double free it did not see: a copy handed out
 *   on one CPU at the moment its twin is handed out or given back on
 *   another (the race a second time over: the object handed out twice, or
 *   live on a freelist), and, while one copy is given back and the other
 *   still in a sheaf, the slab counting one object less than it holds.
 * - Every other claim - the locked slot mode (slab_free_full()), a remote
 *   free into another slab (__slab_free()), slab_free_bulk(), and every free
 *   of a cache without sheaves - is shadow_claim_free(): one
 *   compare-exchange, exactly one of two racing frees wins. A cache without
 *   sheaves pushes on a freelist, whose counts (c->nr_free, slab->inuse)
 *   move with each push: a second copy there would wrap inuse.
 * - kfree_fast()'s stale-free re-check (claim_free_kept()) loads the byte
 *   with acquire, then slab->slab_cache, and only then stores: an object
 *   allocated at the load counts in its slab's inuse, so the slab cannot
 *   change hands before the store unless a second free of that same object
 *   races (the case above).
 * - The checker and kmm_kfree_verdict() only read: FLUSHED reads as freed
 *   (kmm_slab_shadow_freed()), never as live.
 */

/*
 * shadow_owned_live() - the first half of the claim of a free by a thread
 * alone on its slot, into a sheaf (see above): does @sh (of an object start
 * of @s) say allocated (cache_shadow_alloc(@s), or SHADOW_ALLOCATED for an
 * object allocated before @s had a code)? A load. The caller then writes
 * the object's sheaf link and calls shadow_owned_free().
 */
static inline bool shadow_owned_live(const struct kmem_cache *s, unsigned char *sh)
{
	return shadow_live_in(s, __atomic_load_n(sh, __ATOMIC_RELAXED));
}

/* shadow_owned_free() - the claim's second half: @sh says FREE, a store (release). */
static inline void shadow_owned_free(unsigned char *sh)
{
	__atomic_store_n(sh, SHADOW_FREE, __ATOMIC_RELEASE);
}

/*
 * shadow_claim_free() - the exact claim (see above): allocated becomes FREE
 * in one compare-exchange, so of two frees of one object racing on two CPUs
 * exactly one wins and the other finds it FREE (a double free, reported).
 * Return: true if this caller made it FREE; false, nothing changed, if it
 * did not say allocated.
 */
static inline bool shadow_claim_to(const struct kmem_cache *s, unsigned char *sh,
				   unsigned char to)
{
	unsigned char code = cache_shadow_alloc(s), want = code;

	if (likely(__atomic_compare_exchange_n(sh, &want, to, false, __ATOMIC_ACQUIRE,
					       __ATOMIC_RELAXED)))
		return true;
	return shadow_claim_plain(sh, want, code, to);
}

static inline bool shadow_claim_free(const struct kmem_cache *s, unsigned char *sh)
{
	return shadow_claim_to(s, sh, SHADOW_FREE);
}

/* ---- The slab lock, and the lockless swap of freelist + counters ---- */

#if SLAB_CMPXCHG_DOUBLE
/*
 * slab_cmpxchg() - swap @slab's (freelist, counters) from (@old_fl,
 * @old_cnt) to (@new_fl, @new_cnt) if they still hold the old pair: one
 * lock cmpxchg16b, a full barrier. Return: true if swapped.
 */
static inline bool slab_cmpxchg(struct slab *slab, void *old_fl, unsigned long old_cnt,
				void *new_fl, unsigned long new_cnt)
{
	unsigned __int128 o = ((unsigned __int128)old_cnt << 64) | (uintptr_t)old_fl;
	unsigned __int128 n = ((unsigned __int128)new_cnt << 64) | (uintptr_t)new_fl;

#if defined(__clang__) || defined(__SANITIZE_THREAD__)
	/*
	 * clang inlines this as lock cmpxchg16b; GCC's ThreadSanitizer needs it
	 * to see the barrier (it takes __sync's as relaxed).
	 */
	unsigned __int128 *pair = __builtin_assume_aligned(&slab->freelist, 16);

	return __atomic_compare_exchange_n(pair, &o, n, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
#else
	/* GCC inlines only the __sync form (its __atomic one calls libatomic). */
	return __sync_bool_compare_and_swap((unsigned __int128 *)&slab->freelist, o, n);
#endif
}

/* Wait a little for a slab lock holder (spins, then yields). */
static inline void slab_lock_wait(int *spins)
{
	if (++*spins > 1000) {
		sim_yield();
		*spins = 0;
	} else {
		sim_cpu_relax();
	}
}

/*
 * slab_read_unlocked() - @slab's freelist (into *@fl) and counters, the
 * pair a slab_cmpxchg() will compare, read once no slab lock holder has
 * them (SLAB_COUNTERS_LOCKED clear): the first step of every lockless
 * retry loop (freeze, refill, remote free). @spins: the caller's wait
 * count, kept across its retries (slab_lock_wait()).
 */
static inline unsigned long slab_read_unlocked(struct slab *slab, void **fl, int *spins)
{
	for (;;) {
		*fl = __atomic_load_n(&slab->freelist, __ATOMIC_RELAXED);
		unsigned long counters = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);

		if (likely(!(counters & SLAB_COUNTERS_LOCKED)))
			return counters;
		slab_lock_wait(spins);
	}
}

/*
 * slab_lock() - set SLAB_FROZEN_LOCKED with slab_cmpxchg(): a lockless
 * free fails its swap while the bit is set and waits, so the holder may
 * rewrite freelist, inuse and frozen (relaxed stores, the lock bit kept).
 */
static inline void slab_lock(struct slab *slab)
{
	int spins = 0;

	for (;;) {
		void *fl = __atomic_load_n(&slab->freelist, __ATOMIC_RELAXED);
		unsigned long cnt = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);

		if (!(cnt & SLAB_COUNTERS_LOCKED) &&
		    slab_cmpxchg(slab, fl, cnt, fl, cnt | SLAB_COUNTERS_LOCKED))
			return;
		slab_lock_wait(&spins);
	}
}

/*
 * slab_unlock() - clear the bit with slab_cmpxchg() too: the list byte may
 * change meanwhile, and a swap on the same 16 bytes is what orders this
 * holder's stores before the next swap (a store to the frozen byte alone
 * would not, in C11's model or ThreadSanitizer's).
 */
static inline void slab_unlock(struct slab *slab)
{
	for (;;) {
		void *fl = __atomic_load_n(&slab->freelist, __ATOMIC_RELAXED);
		unsigned long cnt = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);

		if (slab_cmpxchg(slab, fl, cnt, fl, cnt & ~SLAB_COUNTERS_LOCKED))
			return;
	}
}
#else
/* Without a 16-byte compare-and-swap: PG_locked of the head page, as SLUB's fallback. */
static inline void slab_lock(struct slab *slab)
{
	const unsigned long bit = 1UL << PG_locked;

	while (__atomic_fetch_or(&slab->flags, bit, __ATOMIC_ACQUIRE) & bit) {
		int spins = 0;
		while (__atomic_load_n(&slab->flags, __ATOMIC_RELAXED) & bit) {
			if (++spins > 1000) {
				sim_yield();
				spins = 0;
			} else {
				sim_cpu_relax();
			}
		}
	}
}

static inline void slab_unlock(struct slab *slab)
{
	__atomic_fetch_and(&slab->flags, ~(1UL << PG_locked), __ATOMIC_RELEASE);
}
#endif

static inline struct slab *virt_to_slab_fast(struct kmm_machine *m, const void *addr)
{
	if (!virt_addr_valid_m(m, addr))
		return NULL;
	struct page *page = virt_to_page_m(m, addr);
	/*
	 * A slab's head page is typed PGTY_slab: test that first, so word 1 of
	 * a head page (slab_list, rewritten under list_lock) is never read;
	 * only tail pages are asked for their compound_head.
	 */
	if (PageSlab(page))
		return page_slab(page);
	page = compound_head(page);
	return PageSlab(page) ? page_slab(page) : NULL;
}


static inline bool fp_valid(const struct kmem_cache *s, const struct slab *slab, void *fp)
{
	if (!fp)
		return true;
	char *first = slab_first_obj(s, slab);
	if ((char *)fp < first || (char *)fp >= first + (size_t)slab->objects * s->size)
		return false;
	unsigned long off = (unsigned long)((char *)fp - first);
	return (unsigned long)obj_to_index(s, slab, fp) * s->size == off;
}

/*
 * May the cpu slab's fast path follow @next? NULL or an object start of the
 * cpu slab. The boundary test is Lemire's: for off < 2^32, off is a multiple
 * of size iff off * ceil(2^64/size) mod 2^64 < ceil(2^64/size) - one multiply,
 * no division. A free pointer overwritten with an address inside the slab
 * but between objects would otherwise be handed out as an overlapping block.
 */
static inline bool cpu_fp_ok(const struct kmem_cache *s, const struct kmem_cache_cpu *c,
			     const void *next)
{
	if (!next)
		return true;
	uint64_t off = (uint64_t)((uintptr_t)next - (uintptr_t)c->lo);
	return off < c->span && off * s->div_magic < s->div_magic;
}

/* ---- Metadata inside an object (slab_debug=U keeps tracks after the free pointer) ---- */


static inline struct track *get_track(const struct kmem_cache *s, void *obj, enum track_item i)
{
	unsigned int off = s->offset >= s->inuse ? s->inuse + sizeof(void *) : s->inuse;
	return (struct track *)((char *)obj + off) + i;
}

/* Offset (from the object) where the metadata ends: free pointer, tracks. */
static inline unsigned int info_end(const struct kmem_cache *s)
{
	unsigned int off = s->offset >= s->inuse ? s->inuse + sizeof(void *) : s->inuse;
	if (s->flags & SLAB_STORE_USER)
		off += 2 * sizeof(struct track);
	return off;
}

/* kmalloc caches with U and Z keep the requested size after the tracks (Linux's orig_size). */
static inline bool slub_debug_orig_size(const struct kmem_cache *s)
{
	return (s->flags & SLAB_KMALLOC) && (s->flags & SLAB_STORE_USER);
}

static inline unsigned int *orig_size_slot(const struct kmem_cache *s, void *obj)
{
	return (unsigned int *)((char *)obj + info_end(s));
}

static inline unsigned int get_orig_size(const struct kmem_cache *s, void *obj)
{
	if (!slub_debug_orig_size(s))
		return s->object_size;
	return *orig_size_slot(s, obj);
}

/* Where the padding after the metadata starts. */
static inline unsigned int meta_end(const struct kmem_cache *s)
{
	return info_end(s) + (slub_debug_orig_size(s) ? sizeof(unsigned int) : 0);
}

/* ---- mm/slub_debug.c ---- */

/** slab_bug() - open a "BUG cache: msg" report in dmesg; taints the machine. */
void slab_bug(struct kmem_cache *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** slab_fix() - the report's "FIX cache: msg" line. */
void slab_fix(struct kmem_cache *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** format_caller() - @addr as "symbol+0xoff" into @buf. */
void format_caller(unsigned long addr, char *buf, size_t len);
/** set_track() - record the call site @addr of alloc or free (SLAB_STORE_USER). */
void set_track(struct kmem_cache *s, void *obj, enum track_item i, unsigned long addr);
/** print_slab_info() - the "Slab 0x... objects= used= fp=" line. */
void print_slab_info(struct kmem_cache *s, const struct slab *slab);
/** print_trailer() - tracks, slab line, and hex dumps of object @p and its red zones. */
void print_trailer(struct kmem_cache *s, struct slab *slab, unsigned char *p);
/** object_err() - slab_bug(@reason) followed by the object's trailer. */
void object_err(struct kmem_cache *s, struct slab *slab, void *obj, const char *reason);
/** init_object() - paint red zones with @val and poison the object (slab_debug=ZP). */
void init_object(struct kmem_cache *s, void *object, unsigned char val);
/** init_tracking() - clear a new object's alloc and free tracks (slab_debug=U). */
void init_tracking(struct kmem_cache *s, void *obj);
/** check_object() - check red zones/poison against @val; Return: true if intact (repaired if not). */
bool check_object(struct kmem_cache *s, struct slab *slab, void *object, unsigned char val);
/** slab_pad_check() - check (and restore) the slab's padding bytes (slab_debug=P). */
void slab_pad_check(struct kmem_cache *s, struct slab *slab);
/**
 * freelist_repair() - report a corrupt free pointer @bad found in @obj and
 * rebuild @slab's freelist from the shadow. Context: slab lock held.
 * Return: the number of free objects now on slab->freelist.
 */
unsigned int freelist_repair(struct kmem_cache *s, struct slab *slab, void *obj, void *bad);
/**
 * alloc_debug_processing() - a debug cache's checks and records on @obj, just
 * taken from @slab: red zone and poison checked, the alloc track, TRACE,
 * orig_size, the object painted active. Context: @slab's node list_lock held.
 */
void alloc_debug_processing(struct kmem_cache *s, struct slab *slab, void *obj,
			    unsigned long caller, size_t orig_size);
/**
 * free_check() - may @obj of @slab be freed? Return: true when it is an
 * allocated object start (its shadow byte says so); false after reporting,
 * as Linux does, an invalid pointer, an interior one or a double free.
 */
bool free_check(struct kmem_cache *s, struct slab *slab, void *obj);
/* slab_free_bad() - a free that failed the shadow test: report it under the slab lock (nothing freed). */
void slab_free_bad(struct kmem_cache *s, struct slab *slab, void *obj);
/* cache_free_bad() - kmem_cache_free() of something that is no object of @s: report, free nothing. */
void cache_free_bad(struct kmem_cache *s, void *obj, struct slab *slab);
/** list_slab_objects() - report the objects still allocated in @slab (cache destroy). */
void list_slab_objects(struct kmem_cache *s, struct slab *slab);
/**
 * slab_full_off() - the slabs of @s on node @nid that are full on no list:
 * the node's slabs less those on its lists, its CPU slabs and its CPU
 * partial slabs. Context: every CPU slot and the node's list_lock held.
 */
unsigned long slab_full_off(struct kmem_cache *s, int nid);
/**
 * for_each_full_off_slab() - call @fn(slab, @arg) on every slab of @m that is
 * full on no list (SLAB_LIST_FULL_OFF), walking @m's initialised lowmem
 * frames in pfn order; a nonzero return stops the walk.
 * Return: 0, or @fn's nonzero return.
 * Context: every CPU slot held (such slabs stand still), or single-threaded.
 */
int for_each_full_off_slab(struct kmm_machine *m, int (*fn)(struct slab *slab, void *arg),
			   void *arg);
/* slub_check(), slab_count(), slab_node_counts(), slab_draw(): mm/include/slab.h */

/* ---- mm/slub_cache.c ---- */

/**
 * new_slab() - a fresh slab of @s from the page allocator; NULL if none.
 * @lazy: for a slab the caller freezes as its CPU's cpu slab at once: only
 * the objects of its first page are chained, the rest left untouched
 * (slab_fresh()), where the cache allows (no debug flag, constructor or
 * shuffle; order >= 1). Otherwise every object is chained.
 */
struct slab *new_slab(struct kmem_cache *s, gfp_t gfp, int node, bool lazy);
/**
 * slab_chain_fresh() - chain @slab's next untouched objects (slab_fresh()):
 * those whose free pointer lies in the page of the first one's, or with
 * @all every one left, and move the slab's mark past them; the last one's
 * link is @tail.
 * Context: @slab is the caller's alone to change (its CPU's cpu slab, in the
 * slot's section, or a slab on no list yet).
 * Return: the chain's head, or @tail if none was left.
 */
void *slab_chain_fresh(struct kmem_cache *s, struct slab *slab, bool all, void *tail);
/** discard_slab() - a slab that left every list: free it, or queue it for the grace period. */
void discard_slab(struct kmem_cache *s, struct slab *slab);
/** list_remove_locked() - take @slab off the node list it is on. Context: n->list_lock. */
void list_remove_locked(struct kmem_cache_node *n, struct slab *slab);
/**
 * place_slab_locked() - put an unfrozen slab with @inuse objects in use on
 * the list that count says (an empty one beyond min_partial leaves the
 * node). Return: true if the caller must discard @slab after dropping
 * list_lock. Context: n->list_lock.
 */
bool place_slab_locked(struct kmem_cache *s, struct kmem_cache_node *n, struct slab *slab,
		       unsigned int inuse);

/* ---- mm/slub.c and mm/slub_free.c (the slow paths mm/slub_cache.c uses) ---- */

/** deactivate_slab() - give @c's cpu slab back to its node. Context: the slot's guard held. */
void deactivate_slab(struct kmem_cache *s, struct kmem_cache_cpu *c);
/** put_partials() - give @c's partial slabs back to their nodes. Context: the slot's guard held. */
void put_partials(struct kmem_cache *s, struct kmem_cache_cpu *c);
/**
 * sheaf_flush() - give the @nr oldest objects of @c's sheaf back to their
 * slabs. Context: @c's slot held by this thread, which has a slot of its own.
 */
void sheaf_flush(struct kmem_cache *s, struct kmem_cache_cpu *c, unsigned int nr); /* slub_free.c */
/**
 * barn_take() - a sheaf of @c's barn (barn_unit() objects) into @c's empty
 * sheaf, if @s keeps sheaves and the barn holds one. Context: @c's slot
 * section; takes no lock. Return: true if @c's sheaf holds objects now.
 */
bool barn_take(struct kmem_cache *s, struct kmem_cache_cpu *c); /* slub_free.c */
/**
 * barn_flush() - give every object in @s's barns (every CPU's) back to its slab (an object
 * of @c's cpu slab onto @c's freelist, as sheaf_flush()), and after a barn
 * link was found overwritten what that barn lost. Context: every CPU slot
 * held (flush_all()), no list_lock.
 */
void barn_flush(struct kmem_cache *s, struct kmem_cache_cpu *c); /* slub_free.c */

/* ---- mm/slab_common.c ---- */

unsigned int calculate_alignment(slab_flags_t flags, unsigned int align, unsigned int size);
struct kmem_cache *kmalloc_slab(struct kmm_machine *m, size_t size, gfp_t gfp);
/* kmm_kfree_verdict(), kmem_cache_get_info(), kmem_cache_for_each(): mm/include/slab.h */
/** slab_debug_flags_for() - debug flags slab_debug= gives the cache @name. */
slab_flags_t slab_debug_flags_for(struct kmm_machine *m, const char *name);
/** parse_slab_options() - the slab options of @m's command line into its slab state. Return: 0/-EINVAL. */
int parse_slab_options(struct kmm_machine *m);	/* mm/slab_options.c */
/**
 * kmem_cache_free_struct() - free @s's node structures and @s (after
 * __kmem_cache_release()): back to the kmem_cache_node and kmem_cache caches
 * when @into_slab, else only what sits on the host heap (the machine's RAM
 * is going away: slub_shutdown_machine()).
 */
void kmem_cache_free_struct(struct kmem_cache *s, bool into_slab);

/* ---- mm/shrinker.c ---- */

void shrinker_shutdown_machine(struct kmm_machine *m);

#endif /* KMM_MM_SLAB_H */
