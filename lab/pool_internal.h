// SPDX-License-Identifier: MIT
/*
 * lab/pool_internal.h - what the pool allocators share: the control block
 * every pool starts with, the operations table each family fills in, and
 * small helpers. Private to lab/; the public side is include/kmm/pool.h.
 *
 * Grouped by the file that defines each function:
 *   lab/pool.c        config checks, the public calls, errors
 *   lab/pool_fit.c    first/next/best/worst fit, segregated fit, TLSF
 *   lab/pool_fit_check.c  their walker and checker
 *   lab/pool_buddy.c  the buddy system (eager and lazy)
 *   lab/pool_fixed.c  the fixed-size object pool
 *
 * Offsets. A "block offset" is a family's own 32-bit coordinate for a block
 * (for the fit family: where its header is); the public "offset" is where
 * its payload is, counted from the region's base. pool->delta converts:
 * payload = block + delta. With metadata outside, block offsets are shifted
 * up past the control block (see lab/pool_fit.h) so that a block's
 * descriptor is found with one shift; the public offsets never are.
 */
#ifndef KMM_LAB_POOL_INTERNAL_H
#define KMM_LAB_POOL_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/kmm/pool.h"

#define POOL_MAGIC	0x506d6d6bu	/* "kmmP" */
#define POOL_VERSION	1u
#define POOL_NIL	0xffffffffu

#define pool_always_inline inline __attribute__((always_inline))

/*
 * The control block: the first bytes of the metadata (the region itself, or
 * the outside area). Only offsets and counts, so it moves with the pool.
 * Each family's control block starts with this one.
 */
struct pool_ctl {
	uint32_t magic, version;
	uint32_t policy, flags;
	uint64_t region_size;	/* immutable after init */
	uint64_t meta_size;	/* the outside area's size (0 inside) */
	uint32_t granule, glog;	/* immutable after init */
	uint32_t ctl_bytes;	/* bytes of state from the start of meta */
	uint32_t arena_start;	/* first block offset */
	uint32_t arena_end;	/* block offset just past the last block */
	uint32_t arena_region;	/* region offset of the first block's bytes */
	uint64_t allocs, frees, failed, splits, merges, steps, max_steps;
	uint64_t live_blocks, live_bytes, free_blocks;
};

static inline struct pool_ctl *pool_ctl(const struct kmm_pool *p)
{
	return (struct pool_ctl *)p->meta;
}

/* One call examined @n nodes. */
static pool_always_inline void pool_account(struct pool_ctl *c, uint64_t n)
{
	c->steps += n;
	if (n > c->max_steps)
		c->max_steps = n;
}

/* The table a family fills in; offsets are the public ones (payload). */
struct pool_ops {
	size_t (*alloc)(struct kmm_pool *p, size_t size);
	size_t (*aligned_alloc)(struct kmm_pool *p, size_t align, size_t size);
	int (*free)(struct kmm_pool *p, size_t off);
	int (*resize)(struct kmm_pool *p, size_t off, size_t size);
	size_t (*usable)(struct kmm_pool *p, size_t off);
	int (*check)(struct kmm_pool *p);
	int (*walk)(struct kmm_pool *p, int (*fn)(void *, const struct kmm_pool_extent *),
		    void *arg);
	size_t (*largest_free)(struct kmm_pool *p);
	/* bytes of outside metadata for @size, or 0 with the reason in @p */
	size_t (*meta_size)(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size);
	/* bytes blocks can use in a region of @size, or 0 (too small, too big) */
	size_t (*arena_of)(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size);
	/*
	 * lay the pool out on p->base/p->meta: check that it fits (writing
	 * nothing if not), then pool_ctl_setup() and the family's own state
	 */
	int (*init)(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size,
		    size_t meta_size);
	/* set the handle's cached fields from the control block */
	void (*bind)(struct kmm_pool *p);
};

extern const struct pool_ops pool_fit_ops[KMM_POOL_NR_POLICIES];	/* lab/pool_fit.c */
extern const struct pool_ops pool_buddy_ops;	/* lab/pool_buddy.c */
extern const struct pool_ops pool_buddy_lazy_ops;
extern const struct pool_ops pool_fixed_ops;	/* lab/pool_fixed.c */

/* ---- lab/pool.c ---- */

/** pool_err() - record an error's text in @p. Return: @err (negative errno). */
int pool_err(struct kmm_pool *p, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Where a family's layout puts the control block's end and the arena. */
struct pool_arena {
	uint32_t ctl_bytes, start, end, region;
};

/**
 * pool_ctl_setup() - zero @a->ctl_bytes of control block and write its
 * common part (counters zero, the arena as @a says).
 */
void pool_ctl_setup(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size,
		    size_t meta_size, const struct pool_arena *a);

/** pool_ops_of() - the operations of @policy (NULL if unknown). */
const struct pool_ops *pool_ops_of(unsigned int policy);

/* A start bitmap: bit i set when granule i of the arena starts a block. */
static inline void bit_set(uint64_t *map, uint32_t i)
{
	map[i >> 6] |= 1ull << (i & 63);
}
static inline void bit_clear(uint64_t *map, uint32_t i)
{
	map[i >> 6] &= ~(1ull << (i & 63));
}
static inline bool bit_test(const uint64_t *map, uint32_t i)
{
	return map[i >> 6] >> (i & 63) & 1;
}
/** bit_prev() - the highest set bit at or below @i, or -1. */
long bit_prev(const uint64_t *map, uint32_t i);

static inline bool is_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

#endif /* KMM_LAB_POOL_INTERNAL_H */
