// SPDX-License-Identifier: MIT
/*
 * include/kmm/pool.h - the allocator lab's pool allocators: one interface for
 * every classic way of carving a caller's region into blocks.
 *
 * A pool manages a region of memory the caller supplies (a static array, a
 * mapping, a file mapped twice, device memory...). Policies:
 *
 *   first-fit       address-ordered circular free list with a dummy head
 *   first-fit-lifo  first fit over a LIFO free list (freed blocks go first)
 *   next-fit        first fit from a roving pointer (Knuth), address-ordered
 *   best-fit        smallest block that fits (address-ordered, ties: lowest)
 *   worst-fit       largest block
 *   segregated      power-of-two size classes, first fit inside a class
 *   tlsf            two-level segregated fit: O(1) good fit (Masmano 2004)
 *   buddy           binary buddy system, buddies merged when freed
 *   buddy-lazy      the same, merged only when a larger block is missing
 *   fixed           fixed-size objects (the C++ small-object pool)
 *
 * The list policies, segregated fit and TLSF use boundary tags (a header per
 * block, a footer on free blocks) and merge free neighbours at once.
 *
 * Offsets, not pointers. Nothing a pool stores holds an address: every link
 * is an offset from the pool's base (the seed's "index of byte array"). A
 * pool's bytes can therefore be copied to another address, saved to a file
 * or mapped at different addresses in two processes, and kmm_pool_attach()
 * makes it usable there. The calls come in two forms: pointers (base +
 * offset) and offsets (the *_off calls), the latter for callers that share
 * a pool between address spaces.
 *
 * Metadata inside or outside. By default the pool's state (its control
 * block, free-list heads, bitmaps) sits at the start of the region and block
 * headers sit in the blocks. With KMM_POOL_META_OUTSIDE every byte of state
 * lives in a second area the caller supplies (kmm_pool_meta_size() says how
 * big), and the allocator never reads or writes the region itself: the pool
 * can manage memory the CPU must not touch (another device's memory, a file
 * range, an address range). Outside metadata costs a descriptor per granule.
 *
 * Alignment. Every block starts at a multiple of the pool's granule
 * (config.align, a power of two, default 16) counted from the base; aligned
 * requests align offsets from the base, so pointers are aligned as well when
 * the region is (kmm_pool_init requires base aligned to the granule).
 *
 * Errors. kmm_pool_free() of a pointer that is not the start of a live block
 * changes nothing and returns -EALREADY (it lies in a free block: a double
 * free) or -EINVAL (outside the pool, or inside a live block), with the
 * reason in kmm_pool_error(). Every pool has an invariant checker,
 * kmm_pool_check().
 *
 * Limits: a region or metadata area of at most 2 GiB; offsets are 32-bit.
 * Locking: none; a pool belongs to one thread at a time (the caller locks).
 */
#ifndef KMM_POOL_H
#define KMM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum kmm_pool_policy {
	KMM_POOL_FIRST_FIT,
	KMM_POOL_FIRST_FIT_LIFO,
	KMM_POOL_NEXT_FIT,
	KMM_POOL_BEST_FIT,
	KMM_POOL_WORST_FIT,
	KMM_POOL_SEGREGATED,
	KMM_POOL_TLSF,
	KMM_POOL_BUDDY,
	KMM_POOL_BUDDY_LAZY,
	KMM_POOL_FIXED,
	KMM_POOL_NR_POLICIES
};

/* config.flags */
#define KMM_POOL_META_OUTSIDE	0x1	/* state in the caller's metadata area */

/** The largest region (and metadata area) a pool manages. */
#define KMM_POOL_MAX_SIZE	((size_t)1 << 31)
/** What the *_off calls return when they fail. */
#define KMM_POOL_NOFF		((size_t)-1)

struct kmm_pool_config {
	enum kmm_pool_policy policy;
	unsigned int flags;	/* KMM_POOL_META_OUTSIDE */
	size_t align;		/* granule: power of two, 0 means 16 (fixed: 8 allowed) */
	size_t object_size;	/* fixed: the size of every object (required) */
	unsigned int max_order;	/* buddy: largest block 2^max_order granules; 0: no cap */
};

/*
 * The handle. It caches where the pool is now and is the only thing holding
 * addresses; the pool's state is in the region or the metadata area. The
 * fields are private to lab/.
 */
struct kmm_pool {
	unsigned char *base;	/* the region */
	unsigned char *meta;	/* the control block: base, or the outside area */
	unsigned char *dbase;	/* block descriptors: dbase + (offset >> dshift) */
	long delta;		/* payload offset = block offset + delta */
	/* 16-bit so that the allocators' 32-bit stores cannot alias them */
	uint16_t dshift;
	int16_t psoff;		/* a block's prev-size word, from its descriptor */
	const void *ops;
	char err[192];		/* the last error, for kmm_pool_error() */
};

/** Counters, kept in the pool (they move with it). */
struct kmm_pool_stats {
	uint64_t allocs, frees;	/* successful calls */
	uint64_t failed;	/* allocations that found no block */
	uint64_t splits;	/* blocks split to serve a smaller request */
	uint64_t merges;	/* free blocks merged with a neighbour or buddy */
	uint64_t steps;		/* free-list nodes (or objects) examined, all calls */
	uint64_t max_steps;	/* the most examined by one call */
	uint64_t live_blocks;	/* blocks allocated now */
	uint64_t live_bytes;	/* their bytes, headers and rounding included */
	uint64_t free_blocks;	/* blocks on free lists now */
	size_t region_size;	/* bytes of the region */
	size_t arena_bytes;	/* bytes of the region that blocks can use */
	size_t meta_bytes;	/* control block in the region, or the outside area */
	size_t granule;
};

/** A block, as kmm_pool_walk() reports it (offsets from the region's base). */
struct kmm_pool_extent {
	size_t off, len;	/* the block's bytes, its header included */
	size_t payload;		/* what alloc returned for it (used blocks) */
	bool used;
};

/** kmm_pool_policy_name() - "first-fit", ...; NULL for an unknown policy. */
const char *kmm_pool_policy_name(enum kmm_pool_policy policy);
/** kmm_pool_policy_parse() - the policy named @name. Return: it, or -1. */
int kmm_pool_policy_parse(const char *name);

/**
 * kmm_pool_meta_size() - bytes of metadata area that @cfg needs for a region
 * of @size bytes with KMM_POOL_META_OUTSIDE. Return: 0 if @cfg is invalid or
 * @size too small (kmm_pool_init then says why).
 */
size_t kmm_pool_meta_size(const struct kmm_pool_config *cfg, size_t size);

/**
 * kmm_pool_region_size() - the smallest region (a multiple of the granule)
 * whose blocks get at least @arena bytes under @cfg: @arena plus the control
 * block and the epilogue with metadata inside. A buddy pool whose arena is
 * a power of two has no odd-sized top blocks (which it would split first).
 * Return: the size, or 0 if @cfg is invalid or no region of at most 2 GiB does.
 */
size_t kmm_pool_region_size(const struct kmm_pool_config *cfg, size_t arena);

/**
 * kmm_pool_init() - make @region (@size bytes) a pool.
 * @meta/@meta_size: the metadata area with KMM_POOL_META_OUTSIDE (at least
 *                   kmm_pool_meta_size() bytes), else NULL/0.
 * Return: 0, or -EINVAL (bad config, misaligned region, too small, too big)
 * with the reason in kmm_pool_error(@pool).
 */
int kmm_pool_init(struct kmm_pool *pool, const struct kmm_pool_config *cfg, void *region,
		  size_t size, void *meta, size_t meta_size);

/**
 * kmm_pool_attach() - take up a pool whose bytes (and metadata area) were
 * copied or mapped to @region (@meta) from where kmm_pool_init made them.
 * Return: 0, or -EINVAL if the bytes are not such a pool (why in the error).
 */
int kmm_pool_attach(struct kmm_pool *pool, void *region, size_t size, void *meta,
		    size_t meta_size);

/** kmm_pool_alloc() - a block of at least @size bytes. Return: it, or NULL. */
void *kmm_pool_alloc(struct kmm_pool *pool, size_t size);
/**
 * kmm_pool_aligned_alloc() - a block whose address is a multiple of @align
 * (a power of two). Return: it, or NULL (also if the region is not aligned
 * to @align, or @align is not a power of two).
 */
void *kmm_pool_aligned_alloc(struct kmm_pool *pool, size_t align, size_t size);
/**
 * kmm_pool_free() - give back a block. NULL is a no-op.
 * Return: 0; -EALREADY (a double free) or -EINVAL (not a block of this pool),
 * changing nothing.
 */
int kmm_pool_free(struct kmm_pool *pool, void *ptr);
/**
 * kmm_pool_realloc() - resize in place when the neighbour allows, else move
 * (copy, free the old block). Return: the block, or NULL (the old block is
 * left as it was). realloc(NULL, n) allocates; realloc(p, 0) frees, NULL.
 */
void *kmm_pool_realloc(struct kmm_pool *pool, void *ptr, size_t size);
/** kmm_pool_usable_size() - bytes usable at @ptr (0 if not a live block). */
size_t kmm_pool_usable_size(struct kmm_pool *pool, const void *ptr);

/* The same calls with offsets from the region's base. */
size_t kmm_pool_alloc_off(struct kmm_pool *pool, size_t size);
size_t kmm_pool_aligned_alloc_off(struct kmm_pool *pool, size_t align, size_t size);
int kmm_pool_free_off(struct kmm_pool *pool, size_t off);
/** kmm_pool_resize_off() - resize in place only. Return: 0, or -ENOMEM (unchanged). */
int kmm_pool_resize_off(struct kmm_pool *pool, size_t off, size_t size);
size_t kmm_pool_usable_size_off(struct kmm_pool *pool, size_t off);

/** kmm_pool_ptr() / kmm_pool_offset() - convert between the two forms. */
void *kmm_pool_ptr(const struct kmm_pool *pool, size_t off);
size_t kmm_pool_offset(const struct kmm_pool *pool, const void *ptr);

/**
 * kmm_pool_check() - run the pool's invariant checker (block tiling, tags,
 * lists, bitmaps, counters). Return: 0, or -EUCLEAN with the first
 * violation in kmm_pool_error().
 */
int kmm_pool_check(struct kmm_pool *pool);

/**
 * kmm_pool_walk() - call @fn on every block in address order; stop early if
 * it returns non-zero. Return: 0, or what @fn returned.
 */
int kmm_pool_walk(struct kmm_pool *pool,
		  int (*fn)(void *arg, const struct kmm_pool_extent *e), void *arg);

void kmm_pool_get_stats(const struct kmm_pool *pool, struct kmm_pool_stats *st);
/** kmm_pool_largest_free() - bytes of the largest free block (header included). */
size_t kmm_pool_largest_free(struct kmm_pool *pool);
/** kmm_pool_error() - the last error's text ("" if none). */
const char *kmm_pool_error(const struct kmm_pool *pool);

#ifdef __cplusplus
}
#endif

#endif /* KMM_POOL_H */
