// SPDX-License-Identifier: MIT
/*
 * lab/pool_buddy.c - the binary buddy system on a pool, with eager or lazy
 * coalescing.
 *
 * Linux counterpart: the idea of mm/page_alloc.c's __free_one_page (a block
 * of order k at offset x has its buddy at x ^ (granule << k)); none of its
 * code (the lab does not call into mm/). Knuth, TAOCP vol. 1, 2.5, and
 * SQLite's mem5.c (a control byte per minimum block) are the models.
 *
 * Blocks are 2^k granules, aligned to their size from the arena's start.
 * Every block start has a tag byte in a tag array (one byte per granule, 0
 * for a granule inside a block): BT_START | BT_FREE? | order. A free block of
 * order k is on list k: circular, doubly linked, with a dummy head in the
 * control block, links in the block's first 8 bytes (metadata inside) or in
 * an 8-byte slot per granule of the metadata area (outside), addressed like
 * the fit family's descriptors: dbase + (offset >> dshift).
 *
 * eager (buddy): a freed block merges with its buddy while the buddy is free
 *   and of the same order (Linux's way).
 * lazy (buddy-lazy): the first seed's note 5 - "postpone the compacting when
 *   one block is released. Only when you require bigger block and can not
 *   get it, we will try to compact the small blocks": a freed block goes on
 *   its list unmerged; an allocation that finds no block of its order or
 *   larger merges every pair of free buddies, smallest order first, then
 *   tries again. Allocating and freeing one size over and over then costs no
 *   split and no merge after the first (tests/unit_lab_pool.c).
 *
 * Invariant: the blocks tile the arena; a block's tag is set at its start
 * and every other tag in its span is 0; a block of order k starts at a
 * multiple of granule << k from the arena start; each free block is on list
 * k and bit k of `nonempty` is set iff list k is non-empty; with eager
 * coalescing no free block has a free buddy of the same order.
 *
 * Locking: none (include/kmm/pool.h).
 */
#include <stdlib.h>
#include <string.h>

#include "lab/pool_buddy.h"
#include "lib/util.h"

/* The buddy of @b at order @k lies whole inside the arena. */
static inline bool buddy_exists(const struct buddy_ctl *c, uint32_t bud, uint32_t k)
{
	return bud >= c->c.arena_start && (uint64_t)(bud - c->c.arena_start) +
	       ((uint64_t)c->c.granule << k) <= c->c.arena_end - c->c.arena_start;
}

static inline void push(struct kmm_pool *p, uint32_t b, uint32_t k)
{
	struct buddy_ctl *c = bctl(p);
	uint32_t h = b_head(p, k), n = b_next(p, h);

	*tag(p, b) = (uint8_t)(BT_START | BT_FREE | k);
	b_next(p, b) = n;
	b_prev(p, b) = h;
	b_prev(p, n) = b;
	b_next(p, h) = b;
	c->nonempty |= 1ull << k;
	c->c.free_blocks++;
}

static inline void unlink_block(struct kmm_pool *p, uint32_t b, uint32_t k)
{
	struct buddy_ctl *c = bctl(p);
	uint32_t n = b_next(p, b), pr = b_prev(p, b);

	b_next(p, pr) = n;
	b_prev(p, n) = pr;
	if (n == pr && n == b_head(p, k))
		c->nonempty &= ~(1ull << k);
	c->c.free_blocks--;
}

/* The order whose blocks hold @n bytes. */
static inline uint32_t order_for(const struct buddy_ctl *c, size_t n)
{
	if (n <= c->c.granule)
		return 0;
	return (uint32_t)ilog2_ul((unsigned long)(n - 1)) + 1 - c->c.glog;
}

/* ---- Lazy coalescing ---- */

/* Merge every pair of free buddies, smallest order first. Return: any merged. */
static bool coalesce_all(struct kmm_pool *p, uint64_t *steps)
{
	struct buddy_ctl *c = bctl(p);
	bool merged = false;

	for (uint32_t k = 0; k < c->max_order; k++) {
		uint32_t h = b_head(p, k), b = b_next(p, h);
		while (b != h) {
			uint32_t nx = b_next(p, b), bud = buddy_of(c, b, k);
			(*steps)++;
			if (buddy_exists(c, bud, k) && *tag(p, bud) == (BT_START | BT_FREE | k)) {
				if (nx == bud)
					nx = b_next(p, bud);
				unlink_block(p, b, k);
				unlink_block(p, bud, k);
				uint32_t lo = KMM_MIN(b, bud);
				*tag(p, KMM_MAX(b, bud)) = 0;
				push(p, lo, k + 1);
				c->c.merges++;
				merged = true;
			}
			b = nx;
		}
	}
	return merged;
}

/* ---- Allocation ---- */

static size_t take_order(struct kmm_pool *p, uint32_t k)
{
	struct buddy_ctl *c = bctl(p);
	uint64_t steps = 1;
	uint64_t map = k < 64 ? c->nonempty & (~0ull << k) : 0;

	if (k > c->max_order) {
		c->c.failed++;
		return KMM_POOL_NOFF;
	}
	if (!map && c->lazy && coalesce_all(p, &steps))
		map = c->nonempty & (~0ull << k);
	if (!map) {
		pool_account(&c->c, steps);
		c->c.failed++;
		return KMM_POOL_NOFF;
	}
	uint32_t j = (uint32_t)__builtin_ctzll(map);
	uint32_t b = b_next(p, b_head(p, j));
	unlink_block(p, b, j);
	while (j > k) {
		j--;
		push(p, b + (c->c.granule << j), j);
		c->c.splits++;
		steps++;
	}
	*tag(p, b) = (uint8_t)(BT_START | k);
	c->c.live_blocks++;
	c->c.live_bytes += (uint64_t)c->c.granule << k;
	c->c.allocs++;
	pool_account(&c->c, steps);
	return (size_t)((long)b + p->delta);
}

static size_t buddy_alloc(struct kmm_pool *p, size_t n)
{
	struct buddy_ctl *c = bctl(p);

	if (n > c->c.arena_end - c->c.arena_start) {
		c->c.failed++;
		return KMM_POOL_NOFF;
	}
	return take_order(p, order_for(c, n));
}

static size_t buddy_aligned_alloc(struct kmm_pool *p, size_t align, size_t n)
{
	struct buddy_ctl *c = bctl(p);

	if (n > c->c.arena_end - c->c.arena_start || align > c->c.arena_end - c->c.arena_start) {
		c->c.failed++;
		return KMM_POOL_NOFF;
	}
	if (c->c.arena_region % align) {
		c->c.failed++;
		pool_err(p, -EINVAL, "this buddy pool's blocks start at 0x%x: alignment %zu needs "
			 "metadata outside", c->c.arena_region, align);
		return KMM_POOL_NOFF;
	}
	return take_order(p, KMM_MAX(order_for(c, n), order_for(c, align)));
}

/* Why @off is not a live block's payload: the error to return. */
static __attribute__((noinline)) int buddy_bad_offset(struct kmm_pool *p, size_t off,
						      const char *verb)
{
	struct buddy_ctl *c = bctl(p);
	long b = (long)off - p->delta;
	uint32_t g = c->c.granule;

	if (off >= c->c.region_size || b < (long)c->c.arena_start || b >= (long)c->c.arena_end)
		return pool_err(p, -EINVAL, "%s of offset 0x%zx: not a block of this pool", verb, off);
	uint32_t rel = (uint32_t)b - c->c.arena_start;
	/* the block holding @off starts at @off rounded down to its own size */
	for (uint32_t k = 0; k <= c->max_order; k++) {
		uint32_t s = c->c.arena_start + (rel & ~((g << k) - 1));
		uint8_t st = *tag(p, s);
		if ((st & BT_START) && (st & BT_ORDER) >= k) {
			if (st & BT_FREE)
				return pool_err(p, -EALREADY, "%s of offset 0x%zx: double free (it lies "
						"in the free block at 0x%zx, order %u)", verb, off,
						(size_t)((long)s + p->delta), st & BT_ORDER);
			return pool_err(p, -EINVAL, "%s of offset 0x%zx: not the start of a block "
					"(it lies inside the block at 0x%zx)", verb, off,
					(size_t)((long)s + p->delta));
		}
	}
	return pool_err(p, -EINVAL, "%s of offset 0x%zx: no block holds it (corrupt tags?)", verb,
			off);
}

/* The block whose payload is at @off, or an error saying what @off is. */
static inline int buddy_lookup(struct kmm_pool *p, size_t off, uint32_t *out, const char *verb)
{
	struct buddy_ctl *c = bctl(p);
	uint32_t rel = (uint32_t)((long)off - p->delta) - c->c.arena_start;

	if (likely((uint64_t)(long)off - (uint64_t)p->delta - c->c.arena_start <
		   c->c.arena_end - c->c.arena_start && !(rel & (c->c.granule - 1)))) {
		uint8_t t = p->meta[c->tags_pos + (rel >> c->c.glog)];
		if (likely((t & (BT_START | BT_FREE)) == BT_START)) {
			*out = rel + c->c.arena_start;
			return 0;
		}
	}
	*out = 0;
	return buddy_bad_offset(p, off, verb);
}

static int buddy_free(struct kmm_pool *p, size_t off)
{
	struct buddy_ctl *c = bctl(p);
	uint64_t steps = 1;
	uint32_t b;
	int ret = buddy_lookup(p, off, &b, "free");

	if (ret)
		return ret;
	uint32_t k = *tag(p, b) & BT_ORDER;
	c->c.live_blocks--;
	c->c.live_bytes -= (uint64_t)c->c.granule << k;
	while (!c->lazy && k < c->max_order) {
		uint32_t bud = buddy_of(c, b, k);
		if (!buddy_exists(c, bud, k) || *tag(p, bud) != (BT_START | BT_FREE | k))
			break;
		unlink_block(p, bud, k);
		*tag(p, KMM_MAX(b, bud)) = 0;
		b = KMM_MIN(b, bud);
		k++;
		c->c.merges++;
		steps++;
	}
	push(p, b, k);
	c->c.frees++;
	pool_account(&c->c, steps);
	return 0;
}

/* In place: shrink by giving back upper halves; growing always moves. */
static int buddy_resize(struct kmm_pool *p, size_t off, size_t n)
{
	struct buddy_ctl *c = bctl(p);
	uint32_t b;
	int ret = buddy_lookup(p, off, &b, "resize");

	if (ret)
		return ret;
	if (n > c->c.arena_end - c->c.arena_start)
		return -ENOMEM;
	uint32_t k = *tag(p, b) & BT_ORDER, want = order_for(c, n);
	if (want > k)
		return -ENOMEM;
	while (k > want) {
		k--;
		push(p, b + (c->c.granule << k), k);
		c->c.splits++;
		c->c.live_bytes -= (uint64_t)c->c.granule << k;
	}
	*tag(p, b) = (uint8_t)(BT_START | k);
	return 0;
}

static size_t buddy_usable(struct kmm_pool *p, size_t off)
{
	char saved[sizeof(p->err)];
	uint32_t b;

	memcpy(saved, p->err, sizeof(saved));
	if (buddy_lookup(p, off, &b, "usable_size")) {
		memcpy(p->err, saved, sizeof(saved));
		return 0;
	}
	return (size_t)bctl(p)->c.granule << (*tag(p, b) & BT_ORDER);
}

static size_t buddy_largest_free(struct kmm_pool *p)
{
	struct buddy_ctl *c = bctl(p);

	if (!c->nonempty)
		return 0;
	return (size_t)c->c.granule << (63 - __builtin_clzll(c->nonempty));
}

/* ---- Walk and check ---- */

static int buddy_walk(struct kmm_pool *p, int (*fn)(void *, const struct kmm_pool_extent *),
		      void *arg)
{
	struct buddy_ctl *c = bctl(p);

	for (uint32_t b = c->c.arena_start; b < c->c.arena_end;) {
		uint8_t t = *tag(p, b);
		uint32_t size = c->c.granule << (t & BT_ORDER);
		if (!(t & BT_START) || size > c->c.arena_end - b)
			return -EUCLEAN;
		size_t pay = (size_t)((long)b + p->delta);
		struct kmm_pool_extent e = { .off = pay, .len = size, .payload = pay,
					     .used = !(t & BT_FREE) };
		int ret = fn(arg, &e);
		if (ret)
			return ret;
		b += size;
	}
	return 0;
}

#define FAIL(...) return pool_err(p, -EUCLEAN, __VA_ARGS__)

static int buddy_check(struct kmm_pool *p)
{
	struct buddy_ctl *c = bctl(p);
	uint32_t g = c->c.granule;
	uint64_t nfree = 0, nused = 0, used_bytes = 0, listed = 0, nonempty = 0;

	for (uint32_t b = c->c.arena_start; b < c->c.arena_end;) {
		uint8_t t = *tag(p, b);
		size_t pay = (size_t)((long)b + p->delta);
		uint32_t k = t & BT_ORDER, size = g << k, rel = b - c->c.arena_start;
		if (!(t & BT_START) || k > c->max_order)
			FAIL("offset 0x%zx: expected a block start, tag 0x%02x", pay, t);
		if (size > c->c.arena_end - b || rel % size)
			FAIL("block at 0x%zx: order %u does not fit or is misaligned", pay, k);
		for (uint32_t i = g; i < size; i += g)
			if (*tag(p, b + i))
				FAIL("block at 0x%zx: tag set inside it at +0x%x", pay, i);
		if (t & BT_FREE) {
			nfree++;
			uint32_t bud = buddy_of(c, b, k);
			if (!c->lazy && k < c->max_order && buddy_exists(c, bud, k) &&
			    *tag(p, bud) == (BT_START | BT_FREE | k))
				FAIL("free block at 0x%zx and its buddy are both free (not merged)", pay);
		} else {
			nused++;
			used_bytes += size;
		}
		b += size;
	}
	for (uint32_t k = 0; k < BUDDY_ORDERS; k++) {
		uint32_t h = b_head(p, k), prev = h, b;
		for (b = b_next(p, h); b != h; prev = b, b = b_next(p, b)) {
			if (++listed > nfree)
				FAIL("lists hold more nodes than the %llu free blocks (a cycle?)",
				     (unsigned long long)nfree);
			if (b < c->c.arena_start || b >= c->c.arena_end ||
			    (b - c->c.arena_start) % g)
				FAIL("list %u: node 0x%x is not a block", k, b);
			if (*tag(p, b) != (BT_START | BT_FREE | k))
				FAIL("list %u: block at 0x%zx has tag 0x%02x", k,
				     (size_t)((long)b + p->delta), *tag(p, b));
			if (b_prev(p, b) != prev)
				FAIL("list %u: prev link broken at 0x%zx", k, (size_t)((long)b + p->delta));
		}
		if (b_prev(p, h) != prev)
			FAIL("list %u: the head's prev is not the last node", k);
		if (prev != h)
			nonempty |= 1ull << k;
	}
	if (listed != nfree)
		FAIL("%llu free blocks, %llu on the lists", (unsigned long long)nfree,
		     (unsigned long long)listed);
	if (nonempty != c->nonempty)
		FAIL("non-empty mask 0x%llx, lists say 0x%llx", (unsigned long long)c->nonempty,
		     (unsigned long long)nonempty);
	if (c->c.live_blocks != nused || c->c.live_bytes != used_bytes || c->c.free_blocks != nfree)
		FAIL("counters: live %llu blocks/%llu bytes, free %llu; counted %llu/%llu, %llu",
		     (unsigned long long)c->c.live_blocks, (unsigned long long)c->c.live_bytes,
		     (unsigned long long)c->c.free_blocks, (unsigned long long)nused,
		     (unsigned long long)used_bytes, (unsigned long long)nfree);
	return 0;
}

/* ---- Layout ---- */

struct buddy_layout {
	struct pool_arena a;
	uint32_t heads_pos, tags_pos, dshift, max_order;
	size_t meta_need;
};

static int buddy_plan(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size,
		      struct buddy_layout *L)
{
	bool outside = cfg->flags & KMM_POOL_META_OUTSIDE;
	uint64_t g = cfg->align ? cfg->align : 16, ng = size / g, pos;
	uint32_t glog = (uint32_t)ilog2_ul((unsigned long)g);

	memset(L, 0, sizeof(*L));
	if (cfg->max_order >= BUDDY_ORDERS)
		return pool_err(p, -EINVAL, "max_order %u: at most %u", cfg->max_order,
				BUDDY_ORDERS - 1);
	L->max_order = cfg->max_order ? cfg->max_order : BUDDY_ORDERS - 1;
	L->max_order = KMM_MIN(L->max_order, 31 - glog);
	L->heads_pos = (uint32_t)ALIGN_UP(sizeof(struct buddy_ctl), 8);
	L->tags_pos = L->heads_pos + 8 * BUDDY_ORDERS;
	pos = L->tags_pos + ng;
	if (outside) {
		pos = ALIGN_UP(pos, 16);
		L->a.ctl_bytes = (uint32_t)pos;
		L->dshift = glog - 3;
		uint64_t b0 = pos << L->dshift;
		if (!ng)
			return pool_err(p, -EINVAL, "a region of %zu bytes holds no %llu-byte block",
					size, (unsigned long long)g);
		if (b0 + (ng + 1) * g >= UINT32_MAX)
			return pool_err(p, -EINVAL, "region too large for granule %llu",
					(unsigned long long)g);
		L->a.start = (uint32_t)b0;
		L->a.end = (uint32_t)(b0 + ng * g);
		L->meta_need = pos + ng * 8;
		if (L->meta_need > KMM_POOL_MAX_SIZE)
			return pool_err(p, -EINVAL, "the metadata would exceed 2 GiB: use a larger granule");
		return 0;
	}
	pos = ALIGN_UP(pos, g);
	L->a.ctl_bytes = (uint32_t)pos;
	if (pos + g > size)
		return pool_err(p, -EINVAL, "a region of %zu bytes is too small: the control block "
				"takes %llu", size, (unsigned long long)pos);
	L->a.start = L->a.region = (uint32_t)pos;
	L->a.end = (uint32_t)(pos + ALIGN_DOWN(size - pos, g));
	return 0;
}

static size_t buddy_meta_size(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size)
{
	struct buddy_layout L;

	return buddy_plan(p, cfg, size, &L) ? 0 : L.meta_need;
}

static size_t buddy_arena_of(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size)
{
	struct buddy_layout L;

	return buddy_plan(p, cfg, size, &L) ? 0 : L.a.end - L.a.start;
}

static void buddy_bind(struct kmm_pool *p)
{
	struct buddy_ctl *c = bctl(p);

	if (c->c.flags & KMM_POOL_META_OUTSIDE) {
		p->dbase = p->meta;
		p->dshift = c->c.glog - 3;
		p->delta = -(long)c->c.arena_start;
	} else {
		p->dbase = p->base;
		p->dshift = 0;
		p->delta = 0;
	}
	p->psoff = 0;
}

static int buddy_init(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size,
		      size_t meta_size)
{
	struct buddy_layout L;
	int ret = buddy_plan(p, cfg, size, &L);

	if (ret)
		return ret;
	pool_ctl_setup(p, cfg, size, meta_size, &L.a);
	struct buddy_ctl *c = bctl(p);
	c->lazy = cfg->policy == KMM_POOL_BUDDY_LAZY;
	c->max_order = L.max_order;
	c->heads_pos = L.heads_pos;
	c->tags_pos = L.tags_pos;
	buddy_bind(p);
	for (uint32_t k = 0; k < BUDDY_ORDERS; k++) {
		uint32_t h = b_head(p, k);
		b_next(p, h) = h;
		b_prev(p, h) = h;
	}
	/* carve the arena into the largest aligned blocks, low addresses first */
	uint32_t g = c->c.granule, len = L.a.end - L.a.start;
	for (uint32_t rel = 0; rel + g <= len;) {
		uint32_t k = c->max_order;
		while (k && ((rel & ((g << k) - 1)) || (uint64_t)rel + (g << k) > len))
			k--;
		push(p, L.a.start + rel, k);
		rel += g << k;
	}
	return 0;
}

const struct pool_ops pool_buddy_ops = {
	.alloc = buddy_alloc, .aligned_alloc = buddy_aligned_alloc, .free = buddy_free,
	.resize = buddy_resize, .usable = buddy_usable, .check = buddy_check,
	.walk = buddy_walk, .largest_free = buddy_largest_free, .meta_size = buddy_meta_size,
	.arena_of = buddy_arena_of, .init = buddy_init, .bind = buddy_bind,
};

const struct pool_ops pool_buddy_lazy_ops = {
	.alloc = buddy_alloc, .aligned_alloc = buddy_aligned_alloc, .free = buddy_free,
	.resize = buddy_resize, .usable = buddy_usable, .check = buddy_check,
	.walk = buddy_walk, .largest_free = buddy_largest_free, .meta_size = buddy_meta_size,
	.arena_of = buddy_arena_of, .init = buddy_init, .bind = buddy_bind,
};
