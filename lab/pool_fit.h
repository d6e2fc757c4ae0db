// SPDX-License-Identifier: MIT
/*
 * lab/pool_fit.h - the boundary-tag block layer shared by the fit policies
 * (first, next, best, worst fit, segregated fit, TLSF): block descriptors,
 * free lists with dummy heads, the start bitmap. Private to lab/.
 *
 * A block is described by four 32-bit words:
 *   +0  size | F_ALLOC | F_PREV_ALLOC   (size a multiple of the granule)
 *   +4  next free block  } only while the block is free
 *   +8  previous one     }
 *   prev-size: the size of the block just before, valid when that one is free
 *
 * Inside the pool (the default) the descriptor is the block's own first
 * bytes: an 8-byte header before the payload, links in the free block's
 * payload, and prev-size is the footer in the last 4 bytes of the block
 * before (Knuth's boundary tag, written only on free blocks). The pool's
 * block offsets are region offsets, and desc(b) = base + b.
 *
 * Outside the pool the descriptor is 16 bytes in the metadata area, one per
 * granule of the region, and prev-size is its fourth word. Block offsets are
 * region offsets plus B0 = H << dshift (H: the control block's size), so
 * desc(b) = meta + (b >> dshift) with dshift = log2(granule) - 4: one shift
 * from a block to its descriptor, and offsets below B0 name the control
 * block's own words.
 *
 * Free lists are circular and doubly linked, each with a dummy head in the
 * control block (the seed's "a dummy element is helpful"): a head is a
 * descriptor whose next/prev words sit in the control block, so insertion
 * and removal never test for an empty list or an end. Heads are 8 bytes
 * apart (a head never uses its size word, which overlaps the previous
 * head's prev word).
 *
 * Invariant: blocks tile [arena_start, arena_end) and are followed by an
 * epilogue descriptor (size 0, allocated); a block's start bit is set and no
 * other bit in its span is; F_PREV_ALLOC of a block equals F_ALLOC of the
 * one before; no two free blocks are adjacent; every free block is on
 * exactly one list, the one its size and the policy say.
 */
#ifndef KMM_LAB_POOL_FIT_H
#define KMM_LAB_POOL_FIT_H

#include "lab/pool_internal.h"

#define F_ALLOC		1u
#define F_PREV_ALLOC	2u
#define F_SIZE_MASK	(~15u)

/* TLSF: 2^TLSF_SL_LOG second-level lists per power of two. */
#define TLSF_SL_LOG	5
#define TLSF_SL_COUNT	(1u << TLSF_SL_LOG)
#define TLSF_FL_MAX	24
#define SEG_CLASSES	32

struct fit_ctl {
	struct pool_ctl c;
	uint32_t hsz;		/* header bytes before a payload: 8 inside, 0 outside */
	uint32_t nr_lists;
	uint32_t heads_pos;	/* byte position of head 0 in the control block */
	uint32_t bitmap_pos;	/* byte position of the start bitmap */
	uint32_t rover;		/* next-fit: where the next search starts */
	uint32_t fl_bitmap;	/* tlsf: first level; segregated: non-empty classes */
	uint32_t sl_bitmap[TLSF_FL_MAX];	/* tlsf: second level */
};

static inline struct fit_ctl *fit_ctl(const struct kmm_pool *p)
{
	return (struct fit_ctl *)p->meta;
}

static inline uint32_t *fd(const struct kmm_pool *p, uint32_t b)
{
	return (uint32_t *)(p->dbase + (b >> p->dshift));
}
#define f_hdr(p, b)	(fd(p, b)[0])
#define f_next(p, b)	(fd(p, b)[1])
#define f_prev(p, b)	(fd(p, b)[2])

static inline uint32_t *f_prevsize(const struct kmm_pool *p, uint32_t b)
{
	return (uint32_t *)(p->dbase + (b >> p->dshift) + p->psoff);
}

static inline uint32_t f_head(const struct kmm_pool *p, uint32_t i)
{
	return (fit_ctl(p)->heads_pos + 8 * i) << p->dshift;
}

static inline uint64_t *f_startmap(const struct kmm_pool *p)
{
	return (uint64_t *)(p->meta + fit_ctl(p)->bitmap_pos);
}

static inline uint32_t f_index(const struct kmm_pool *p, uint32_t b)
{
	const struct pool_ctl *c = pool_ctl(p);

	return (b - c->arena_start) >> c->glog;
}

/* ---- Size classes ---- */

static inline uint32_t seg_class(uint32_t glog, uint32_t size)
{
	return (uint32_t)(31 - __builtin_clz(size)) - glog;
}

/* TLSF's mapping of a size to its (first, second) level list, rounding down. */
static inline void tlsf_mapping(uint32_t glog, uint32_t size, uint32_t *fl, uint32_t *sl)
{
	uint32_t small_log = TLSF_SL_LOG + glog;

	if (size < (1u << small_log)) {
		*fl = 0;
		*sl = size >> glog;
	} else {
		uint32_t t = (uint32_t)(31 - __builtin_clz(size));
		*fl = t - small_log + 1;
		*sl = (size >> (t - TLSF_SL_LOG)) - TLSF_SL_COUNT;
	}
}

static inline uint32_t tlsf_index(uint32_t glog, uint32_t size)
{
	uint32_t fl, sl;

	tlsf_mapping(glog, size, &fl, &sl);
	return fl * TLSF_SL_COUNT + sl;
}

/* The list a free block of @size belongs on. */
static inline uint32_t fit_list_of(const struct kmm_pool *p, uint32_t size)
{
	const struct pool_ctl *c = pool_ctl(p);

	switch (c->policy) {
	case KMM_POOL_SEGREGATED:
		return seg_class(c->glog, size);
	case KMM_POOL_TLSF:
		return tlsf_index(c->glog, size);
	default:
		return 0;
	}
}

/* ---- lab/pool_fit_check.c ---- */

int fit_check(struct kmm_pool *p);
int fit_walk(struct kmm_pool *p, int (*fn)(void *, const struct kmm_pool_extent *), void *arg);

#endif /* KMM_LAB_POOL_FIT_H */
