// SPDX-License-Identifier: MIT
/*
 * lab/pool_fixed.h - the fixed-size object pool's control block and how its
 * bitmap, free links and free stack are found: shared by lab/pool_fixed.c
 * and the tests that plant corruption for its checker
 * (tests/unit_lab_pool_check.c). Private to lab/; the layout is described
 * in lab/pool_fixed.c.
 */
#ifndef KMM_LAB_POOL_FIXED_H
#define KMM_LAB_POOL_FIXED_H

#include "lab/pool_internal.h"

struct fixed_ctl {
	struct pool_ctl c;
	uint32_t object_size;	/* immutable after init */
	uint32_t stride;	/* immutable after init */
	uint32_t nobj;		/* immutable after init */
	uint32_t bump;		/* objects below have been handed out at least once */
	uint32_t free_head;	/* inside: first free object's index + 1, or 0 */
	uint32_t free_count;	/* objects on the free list (or stack) */
	uint32_t bitmap_pos;	/* allocation bitmap */
	uint32_t stack_pos;	/* outside: the free stack (u32 indexes) */
};

static inline struct fixed_ctl *xctl(const struct kmm_pool *p)
{
	return (struct fixed_ctl *)p->meta;
}

static inline uint64_t *xmap(const struct kmm_pool *p)
{
	return (uint64_t *)(p->meta + xctl(p)->bitmap_pos);
}

static inline bool outside(const struct fixed_ctl *x)
{
	return x->c.flags & KMM_POOL_META_OUTSIDE;
}

static inline uint32_t *link_of(const struct kmm_pool *p, uint32_t i)
{
	const struct fixed_ctl *x = xctl(p);

	return (uint32_t *)(p->base + x->c.arena_region + (size_t)i * x->stride);
}

static inline uint32_t *stack(const struct kmm_pool *p)
{
	return (uint32_t *)(p->meta + xctl(p)->stack_pos);
}

#endif /* KMM_LAB_POOL_FIXED_H */
