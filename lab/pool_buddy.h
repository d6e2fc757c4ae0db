// SPDX-License-Identifier: MIT
/*
 * lab/pool_buddy.h - the buddy system's control block and how a block's tag
 * and list links are found: shared by lab/pool_buddy.c and the tests that
 * plant corruption for its checker (tests/unit_lab_pool_check.c). Private to
 * lab/; the layout is described in lab/pool_buddy.c.
 */
#ifndef KMM_LAB_POOL_BUDDY_H
#define KMM_LAB_POOL_BUDDY_H

#include "lab/pool_internal.h"

#define BT_START	0x80
#define BT_FREE		0x40
#define BT_ORDER	0x1f
#define BUDDY_ORDERS	32

struct buddy_ctl {
	struct pool_ctl c;
	uint32_t lazy;		/* immutable after init */
	uint32_t max_order;	/* immutable after init */
	uint32_t heads_pos;	/* dummy head of list k at heads_pos + 8k */
	uint32_t tags_pos;	/* tag byte of granule i at tags_pos + i */
	uint64_t nonempty;	/* bit k: list k has a block */
};

static inline struct buddy_ctl *bctl(const struct kmm_pool *p)
{
	return (struct buddy_ctl *)p->meta;
}

static inline uint32_t *bl(const struct kmm_pool *p, uint32_t b)
{
	return (uint32_t *)(p->dbase + (b >> p->dshift));
}
#define b_next(p, b)	(bl(p, b)[0])
#define b_prev(p, b)	(bl(p, b)[1])

static inline uint8_t *tag(const struct kmm_pool *p, uint32_t b)
{
	const struct buddy_ctl *c = bctl(p);

	return p->meta + c->tags_pos + ((b - c->c.arena_start) >> c->c.glog);
}

static inline uint32_t b_head(const struct kmm_pool *p, uint32_t k)
{
	return (bctl(p)->heads_pos + 8 * k) << p->dshift;
}

static inline uint32_t buddy_of(const struct buddy_ctl *c, uint32_t b, uint32_t k)
{
	return c->c.arena_start + ((b - c->c.arena_start) ^ (c->c.granule << k));
}

#endif /* KMM_LAB_POOL_BUDDY_H */
