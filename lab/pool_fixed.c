// SPDX-License-Identifier: MIT
/*
 * lab/pool_fixed.c - the fixed-size object pool: the first seed's "pool
 * mechanism" that a C++ runtime puts in front of malloc for its many small
 * objects.
 *
 * Linux counterpart: a single slab of mm/slub.c, without the slab layer
 * around it (no caches, no per-CPU lists).
 *
 * Objects are `stride` bytes (the object size rounded up to the granule) at
 * fixed places after the control block. Objects past `bump` have never been
 * handed out, so initialising a pool touches none of them. A freed object
 * goes on a LIFO free list: with metadata inside, a 32-bit link (object
 * index + 1, 0 ends the list) in the object itself; outside, a stack of
 * object indexes in the metadata area. An allocation bitmap (one bit per
 * object) makes double and invalid frees exact.
 *
 * Invariant: bits set == live objects, and only below `bump`; the free list
 * (or stack) holds each object below `bump` whose bit is clear, once.
 *
 * Locking: none (include/kmm/pool.h).
 */
#include <stdlib.h>
#include <string.h>

#include "lab/pool_fixed.h"
#include "lib/util.h"

static size_t fixed_alloc(struct kmm_pool *p, size_t n)
{
	struct fixed_ctl *x = xctl(p);
	uint32_t i;

	pool_account(&x->c, 1);
	if (n > x->object_size)
		goto fail;
	if (x->free_count) {
		if (outside(x)) {
			i = stack(p)[--x->free_count];
		} else {
			i = x->free_head - 1;
			x->free_head = *link_of(p, i);
			x->free_count--;
		}
	} else if (x->bump < x->nobj) {
		i = x->bump++;
	} else {
		goto fail;
	}
	bit_set(xmap(p), i);
	x->c.live_blocks++;
	x->c.live_bytes += x->stride;
	x->c.free_blocks--;
	x->c.allocs++;
	return x->c.arena_region + (size_t)i * x->stride;
fail:
	x->c.failed++;
	return KMM_POOL_NOFF;
}

static size_t fixed_aligned_alloc(struct kmm_pool *p, size_t align, size_t n)
{
	struct fixed_ctl *x = xctl(p);

	if ((x->stride | x->c.arena_region) & (align - 1)) {
		x->c.failed++;
		pool_err(p, -EINVAL, "objects of this pool are %u bytes apart from 0x%x: not "
			 "aligned to %zu", x->stride, x->c.arena_region, align);
		return KMM_POOL_NOFF;
	}
	return fixed_alloc(p, n);
}

static int fixed_lookup(struct kmm_pool *p, size_t off, uint32_t *out, const char *verb)
{
	struct fixed_ctl *x = xctl(p);

	if (off < x->c.arena_region || off >= x->c.arena_region + (size_t)x->nobj * x->stride)
		return pool_err(p, -EINVAL, "%s of offset 0x%zx: not an object of this pool", verb,
				off);
	size_t rel = off - x->c.arena_region;
	uint32_t i = (uint32_t)(rel / x->stride);
	if (rel % x->stride)
		return pool_err(p, -EINVAL, "%s of offset 0x%zx: not the start of an object (it "
				"lies inside object %u at 0x%zx)", verb, off, i,
				x->c.arena_region + (size_t)i * x->stride);
	if (!bit_test(xmap(p), i))
		return pool_err(p, -EALREADY, "%s of offset 0x%zx: double free (object %u is free)",
				verb, off, i);
	*out = i;
	return 0;
}

static int fixed_free(struct kmm_pool *p, size_t off)
{
	struct fixed_ctl *x = xctl(p);
	uint32_t i = 0;
	int ret = fixed_lookup(p, off, &i, "free");

	if (ret)
		return ret;
	bit_clear(xmap(p), i);
	if (outside(x)) {
		stack(p)[x->free_count++] = i;
	} else {
		*link_of(p, i) = x->free_head;
		x->free_head = i + 1;
		x->free_count++;
	}
	x->c.live_blocks--;
	x->c.live_bytes -= x->stride;
	x->c.free_blocks++;
	x->c.frees++;
	pool_account(&x->c, 1);
	return 0;
}

static int fixed_resize(struct kmm_pool *p, size_t off, size_t n)
{
	uint32_t i;
	int ret = fixed_lookup(p, off, &i, "resize");

	if (ret)
		return ret;
	return n <= xctl(p)->object_size ? 0 : -ENOMEM;
}

static size_t fixed_usable(struct kmm_pool *p, size_t off)
{
	char saved[sizeof(p->err)];
	uint32_t i;

	memcpy(saved, p->err, sizeof(saved));
	if (fixed_lookup(p, off, &i, "usable_size")) {
		memcpy(p->err, saved, sizeof(saved));
		return 0;
	}
	return xctl(p)->object_size;
}

static size_t fixed_largest_free(struct kmm_pool *p)
{
	return xctl(p)->c.free_blocks ? xctl(p)->stride : 0;
}

static int fixed_walk(struct kmm_pool *p, int (*fn)(void *, const struct kmm_pool_extent *),
		      void *arg)
{
	struct fixed_ctl *x = xctl(p);

	for (uint32_t i = 0; i < x->nobj; i++) {
		size_t off = x->c.arena_region + (size_t)i * x->stride;
		struct kmm_pool_extent e = { .off = off, .len = x->stride, .payload = off,
					     .used = bit_test(xmap(p), i) };
		int ret = fn(arg, &e);
		if (ret)
			return ret;
	}
	return 0;
}

#define FAIL(...) return pool_err(p, -EUCLEAN, __VA_ARGS__)

static int fixed_check(struct kmm_pool *p)
{
	struct fixed_ctl *x = xctl(p);
	uint64_t *map = xmap(p), live = 0;

	if (x->bump > x->nobj || x->free_count > x->bump)
		FAIL("bump %u / free %u out of range (%u objects)", x->bump, x->free_count, x->nobj);
	for (uint32_t i = 0; i < x->nobj; i++) {
		if (!bit_test(map, i))
			continue;
		if (i >= x->bump)
			FAIL("object %u is marked live but was never handed out", i);
		live++;
	}
	if (live != x->c.live_blocks || x->c.live_bytes != live * x->stride ||
	    x->c.free_blocks != x->nobj - live)
		FAIL("counters: live %llu, bitmap says %llu", (unsigned long long)x->c.live_blocks,
		     (unsigned long long)live);
	if (live + x->free_count != x->bump)
		FAIL("%llu live + %u free != %u handed out", (unsigned long long)live,
		     x->free_count, x->bump);
	uint64_t *seen = calloc(DIV_ROUND_UP(x->nobj, 64) + 1, sizeof(uint64_t));
	if (!seen)
		FAIL("out of memory for the check");
	uint32_t cur = x->free_head;
	for (uint32_t n = 0; n < x->free_count; n++) {
		uint32_t i = outside(x) ? stack(p)[n] : cur - 1;
		if (!outside(x) && !cur) {
			free(seen);
			FAIL("free list ends after %u of %u objects", n, x->free_count);
		}
		if (i >= x->bump || bit_test(map, i) || bit_test(seen, i)) {
			free(seen);
			FAIL("free list entry %u: object %u is %s", n, i,
			     i >= x->bump ? "past bump" : bit_test(map, i) ? "live" : "listed twice");
		}
		bit_set(seen, i);
		if (!outside(x))
			cur = *link_of(p, i);
	}
	free(seen);
	if (!outside(x) && cur)
		FAIL("free list continues past its %u objects", x->free_count);
	return 0;
}

/* ---- Layout ---- */

struct fixed_layout {
	struct pool_arena a;
	uint32_t stride, nobj, bitmap_pos, stack_pos;
	size_t meta_need;
};

static int fixed_plan(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size,
		      struct fixed_layout *L)
{
	uint64_t g = cfg->align ? cfg->align : 16;
	uint64_t stride = ALIGN_UP(KMM_MAX(cfg->object_size, (size_t)4), g), pos;

	memset(L, 0, sizeof(*L));
	if (stride > size)
		return pool_err(p, -EINVAL, "objects of %zu bytes do not fit a %zu-byte region",
				cfg->object_size, size);
	L->stride = (uint32_t)stride;
	L->bitmap_pos = (uint32_t)ALIGN_UP(sizeof(struct fixed_ctl), 8);
	uint64_t max_obj = size / stride;
	pos = L->bitmap_pos + 8 * DIV_ROUND_UP(max_obj, 64);
	if (cfg->flags & KMM_POOL_META_OUTSIDE) {
		L->stack_pos = (uint32_t)pos;
		pos += 4 * max_obj;
		L->a.ctl_bytes = (uint32_t)ALIGN_UP(pos, 16);
		L->nobj = (uint32_t)max_obj;
		L->a.end = L->nobj * L->stride;
		L->meta_need = L->a.ctl_bytes;
		return 0;
	}
	pos = ALIGN_UP(pos, g);
	if (pos + stride > size)
		return pool_err(p, -EINVAL, "a region of %zu bytes is too small: the control block "
				"takes %llu", size, (unsigned long long)pos);
	L->a.ctl_bytes = L->a.region = L->a.start = (uint32_t)pos;
	L->nobj = (uint32_t)((size - pos) / stride);
	L->a.end = L->a.start + L->nobj * L->stride;
	return 0;
}

static size_t fixed_meta_size(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size)
{
	struct fixed_layout L;

	return fixed_plan(p, cfg, size, &L) ? 0 : L.meta_need;
}

static size_t fixed_arena_of(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size)
{
	struct fixed_layout L;

	return fixed_plan(p, cfg, size, &L) ? 0 : (size_t)L.nobj * L.stride;
}

static void fixed_bind(struct kmm_pool *p)
{
	p->dbase = p->meta;
	p->dshift = 0;
	p->psoff = 0;
	p->delta = 0;
}

static int fixed_init(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size,
		      size_t meta_size)
{
	struct fixed_layout L;
	int ret = fixed_plan(p, cfg, size, &L);

	if (ret)
		return ret;
	pool_ctl_setup(p, cfg, size, meta_size, &L.a);
	struct fixed_ctl *x = xctl(p);
	x->c.free_blocks = L.nobj;
	x->object_size = (uint32_t)cfg->object_size;
	x->stride = L.stride;
	x->nobj = L.nobj;
	x->bitmap_pos = L.bitmap_pos;
	x->stack_pos = L.stack_pos;
	fixed_bind(p);
	return 0;
}

const struct pool_ops pool_fixed_ops = {
	.alloc = fixed_alloc, .aligned_alloc = fixed_aligned_alloc, .free = fixed_free,
	.resize = fixed_resize, .usable = fixed_usable, .check = fixed_check,
	.walk = fixed_walk, .largest_free = fixed_largest_free, .meta_size = fixed_meta_size,
	.arena_of = fixed_arena_of, .init = fixed_init, .bind = fixed_bind,
};
