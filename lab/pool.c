// SPDX-License-Identifier: MIT
/*
 * lab/pool.c - the pool allocators' public calls: configuration checks,
 * init and attach, pointer/offset conversion, and dispatch to the family
 * that implements the policy (lab/pool_fit.c, pool_buddy.c, pool_fixed.c).
 *
 * Linux counterpart: none. The lab stands beside the kernel layers and
 * shares only lib/ with them (docs/lab.md).
 *
 * Invariant: a handle's cached fields (base, meta, dbase, dshift, psoff,
 * delta, ops) are a function of where the region and metadata are now and
 * of the control block; init and attach are the only writers.
 */
#include <stdio.h>
#include <string.h>

#include "lab/pool_internal.h"
#include "lib/util.h"

static const char *const policy_names[KMM_POOL_NR_POLICIES] = {
	[KMM_POOL_FIRST_FIT] = "first-fit",
	[KMM_POOL_FIRST_FIT_LIFO] = "first-fit-lifo",
	[KMM_POOL_NEXT_FIT] = "next-fit",
	[KMM_POOL_BEST_FIT] = "best-fit",
	[KMM_POOL_WORST_FIT] = "worst-fit",
	[KMM_POOL_SEGREGATED] = "segregated",
	[KMM_POOL_TLSF] = "tlsf",
	[KMM_POOL_BUDDY] = "buddy",
	[KMM_POOL_BUDDY_LAZY] = "buddy-lazy",
	[KMM_POOL_FIXED] = "fixed",
};

const char *kmm_pool_policy_name(enum kmm_pool_policy policy)
{
	return (unsigned int)policy < KMM_POOL_NR_POLICIES ? policy_names[policy] : NULL;
}

int kmm_pool_policy_parse(const char *name)
{
	for (int i = 0; i < KMM_POOL_NR_POLICIES; i++)
		if (!strcmp(name, policy_names[i]))
			return i;
	return -1;
}

const struct pool_ops *pool_ops_of(unsigned int policy)
{
	switch (policy) {
	case KMM_POOL_FIRST_FIT:
	case KMM_POOL_FIRST_FIT_LIFO:
	case KMM_POOL_NEXT_FIT:
	case KMM_POOL_BEST_FIT:
	case KMM_POOL_WORST_FIT:
	case KMM_POOL_SEGREGATED:
	case KMM_POOL_TLSF:
		return &pool_fit_ops[policy];
	case KMM_POOL_BUDDY:
		return &pool_buddy_ops;
	case KMM_POOL_BUDDY_LAZY:
		return &pool_buddy_lazy_ops;
	case KMM_POOL_FIXED:
		return &pool_fixed_ops;
	}
	return NULL;
}

int pool_err(struct kmm_pool *p, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	return err;
}

const char *kmm_pool_error(const struct kmm_pool *pool)
{
	return pool->err;
}

void pool_ctl_setup(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size,
		    size_t meta_size, const struct pool_arena *a)
{
	struct pool_ctl *c = pool_ctl(p);
	size_t g = cfg->align ? cfg->align : 16;

	memset(c, 0, a->ctl_bytes);
	*c = (struct pool_ctl){
		.magic = POOL_MAGIC, .version = POOL_VERSION,
		.policy = cfg->policy, .flags = cfg->flags,
		.region_size = size, .meta_size = meta_size,
		.granule = (uint32_t)g, .glog = (uint32_t)ilog2_ul(g),
		.ctl_bytes = a->ctl_bytes, .arena_start = a->start, .arena_end = a->end,
		.arena_region = a->region,
	};
}

long bit_prev(const uint64_t *map, uint32_t i)
{
	long w = i >> 6;
	uint64_t bits = map[w] & (~0ull >> (63 - (i & 63)));

	for (;;) {
		if (bits)
			return w * 64 + 63 - __builtin_clzll(bits);
		if (--w < 0)
			return -1;
		bits = map[w];
	}
}

/* ---- Configuration ---- */

static const struct pool_ops *check_config(struct kmm_pool *p, const struct kmm_pool_config *cfg,
					   size_t *granule)
{
	const struct pool_ops *ops = pool_ops_of(cfg->policy);
	size_t g = cfg->align ? cfg->align : 16;
	size_t min = cfg->policy == KMM_POOL_FIXED ? 8 : 16;

	if (!ops) {
		pool_err(p, -EINVAL, "unknown pool policy %d", (int)cfg->policy);
		return NULL;
	}
	if (cfg->flags & ~(unsigned int)KMM_POOL_META_OUTSIDE) {
		pool_err(p, -EINVAL, "unknown pool flags 0x%x", cfg->flags);
		return NULL;
	}
	if (!is_pow2(g) || g < min || g > (1u << 20)) {
		pool_err(p, -EINVAL, "alignment %zu: want a power of two from %zu to 1M", g, min);
		return NULL;
	}
	if (cfg->policy == KMM_POOL_FIXED && !cfg->object_size) {
		pool_err(p, -EINVAL, "a fixed-size pool needs an object size");
		return NULL;
	}
	if (cfg->policy != KMM_POOL_FIXED && cfg->object_size) {
		pool_err(p, -EINVAL, "an object size is for the fixed policy only");
		return NULL;
	}
	*granule = g;
	return ops;
}

size_t kmm_pool_meta_size(const struct kmm_pool_config *cfg, size_t size)
{
	struct kmm_pool tmp = { 0 };
	size_t g;
	const struct pool_ops *ops = check_config(&tmp, cfg, &g);

	if (!ops || !(cfg->flags & KMM_POOL_META_OUTSIDE) || size > KMM_POOL_MAX_SIZE)
		return 0;
	return ops->meta_size(&tmp, cfg, size);
}

size_t kmm_pool_region_size(const struct kmm_pool_config *cfg, size_t arena)
{
	struct kmm_pool tmp = { 0 };
	size_t g, lo, hi;
	const struct pool_ops *ops = check_config(&tmp, cfg, &g);

	if (!ops || !arena || arena > KMM_POOL_MAX_SIZE)
		return 0;
	/* the arena grows with the region: the smallest region (in granules) that does it */
	lo = ALIGN_UP(arena, g) / g;
	hi = KMM_MIN(KMM_POOL_MAX_SIZE, 2 * arena + (1u << 20)) / g;
	if (ops->arena_of(&tmp, cfg, hi * g) < arena)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ops->arena_of(&tmp, cfg, mid * g) >= arena)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo * g;
}

int kmm_pool_init(struct kmm_pool *pool, const struct kmm_pool_config *cfg, void *region,
		  size_t size, void *meta, size_t meta_size)
{
	struct kmm_pool p = { 0 };
	bool outside = cfg->flags & KMM_POOL_META_OUTSIDE;
	size_t g, need = 0;
	const struct pool_ops *ops = check_config(&p, cfg, &g);
	int ret;

	if (!ops)
		goto fail;
	if (!region || (uintptr_t)region % g) {
		pool_err(&p, -EINVAL, "the region must be aligned to the granule (%zu bytes)", g);
		goto fail;
	}
	if (size > KMM_POOL_MAX_SIZE) {
		pool_err(&p, -EINVAL, "a pool region holds at most 2 GiB, not %zu bytes", size);
		goto fail;
	}
	if (outside) {
		need = ops->meta_size(&p, cfg, size);
		if (!need)
			goto fail;
		if (!meta || (uintptr_t)meta % 16) {
			pool_err(&p, -EINVAL, "outside metadata needs a 16-byte aligned area");
			goto fail;
		}
		if (meta_size < need) {
			pool_err(&p, -EINVAL, "the metadata area has %zu bytes; this pool needs %zu",
				 meta_size, need);
			goto fail;
		}
		if (meta_size > KMM_POOL_MAX_SIZE) {
			pool_err(&p, -EINVAL, "a metadata area holds at most 2 GiB");
			goto fail;
		}
		if ((unsigned char *)meta < (unsigned char *)region + size &&
		    (unsigned char *)region < (unsigned char *)meta + meta_size) {
			pool_err(&p, -EINVAL, "the metadata area overlaps the region");
			goto fail;
		}
	} else if (meta || meta_size) {
		pool_err(&p, -EINVAL, "a metadata area is only for KMM_POOL_META_OUTSIDE");
		goto fail;
	}
	p.base = region;
	p.meta = outside ? meta : region;
	p.ops = ops;

	ret = ops->init(&p, cfg, size, outside ? meta_size : 0);
	if (ret)
		goto fail;
	ops->bind(&p);
	p.err[0] = 0;
	*pool = p;
	return 0;
fail:
	memset(pool, 0, sizeof(*pool));
	memcpy(pool->err, p.err, sizeof(p.err));
	return -EINVAL;
}

int kmm_pool_attach(struct kmm_pool *pool, void *region, size_t size, void *meta,
		    size_t meta_size)
{
	struct kmm_pool p = { 0 };
	struct pool_ctl c;
	unsigned char *m = meta ? meta : region;

	if (!region || size < sizeof(c) || (meta && meta_size < sizeof(c))) {
		pool_err(&p, -EINVAL, "too small to hold a pool");
		goto fail;
	}
	memcpy(&c, m, sizeof(c));
	if (c.magic != POOL_MAGIC || c.version != POOL_VERSION) {
		pool_err(&p, -EINVAL, "no pool here (bad magic or version)");
		goto fail;
	}
	const struct pool_ops *ops = pool_ops_of(c.policy);
	bool outside = c.flags & KMM_POOL_META_OUTSIDE;
	if (!ops || outside != (meta != NULL)) {
		pool_err(&p, -EINVAL, outside ? "this pool keeps its metadata outside: give the area"
					      : "this pool keeps its metadata inside: no area");
		goto fail;
	}
	if (c.region_size != size || (outside && c.meta_size != meta_size)) {
		pool_err(&p, -EINVAL, "the pool was made for %llu bytes (and %llu of metadata)",
			 (unsigned long long)c.region_size, (unsigned long long)c.meta_size);
		goto fail;
	}
	if (c.granule < 8 || !is_pow2(c.granule) || (uintptr_t)region % c.granule ||
	    (uintptr_t)m % 16) {
		pool_err(&p, -EINVAL, "the copy must be aligned to the pool's granule (%u)",
			 c.granule);
		goto fail;
	}
	p.base = region;
	p.meta = m;
	p.ops = ops;
	ops->bind(&p);
	*pool = p;
	return 0;
fail:
	memset(pool, 0, sizeof(*pool));
	memcpy(pool->err, p.err, sizeof(p.err));
	return -EINVAL;
}

/* ---- Calls ---- */

static inline const struct pool_ops *ops(const struct kmm_pool *p)
{
	return p->ops;
}

void *kmm_pool_ptr(const struct kmm_pool *pool, size_t off)
{
	return off == KMM_POOL_NOFF ? NULL : pool->base + off;
}

size_t kmm_pool_offset(const struct kmm_pool *pool, const void *ptr)
{
	return ptr ? (size_t)((const unsigned char *)ptr - pool->base) : KMM_POOL_NOFF;
}

size_t kmm_pool_alloc_off(struct kmm_pool *pool, size_t size)
{
	return ops(pool)->alloc(pool, size);
}

size_t kmm_pool_aligned_alloc_off(struct kmm_pool *pool, size_t align, size_t size)
{
	if (!is_pow2(align)) {
		pool_ctl(pool)->failed++;
		pool_err(pool, -EINVAL, "alignment %zu is not a power of two", align);
		return KMM_POOL_NOFF;
	}
	if (align <= pool_ctl(pool)->granule)
		return ops(pool)->alloc(pool, size);
	return ops(pool)->aligned_alloc(pool, align, size);
}

int kmm_pool_free_off(struct kmm_pool *pool, size_t off)
{
	return ops(pool)->free(pool, off);
}

int kmm_pool_resize_off(struct kmm_pool *pool, size_t off, size_t size)
{
	return ops(pool)->resize(pool, off, size);
}

size_t kmm_pool_usable_size_off(struct kmm_pool *pool, size_t off)
{
	return ops(pool)->usable(pool, off);
}

void *kmm_pool_alloc(struct kmm_pool *pool, size_t size)
{
	return kmm_pool_ptr(pool, ops(pool)->alloc(pool, size));
}

void *kmm_pool_aligned_alloc(struct kmm_pool *pool, size_t align, size_t size)
{
	if (is_pow2(align) && (uintptr_t)pool->base % align) {
		pool_ctl(pool)->failed++;
		pool_err(pool, -EINVAL, "the region is not aligned to %zu bytes", align);
		return NULL;
	}
	return kmm_pool_ptr(pool, kmm_pool_aligned_alloc_off(pool, align, size));
}

int kmm_pool_free(struct kmm_pool *pool, void *ptr)
{
	if (!ptr)
		return 0;
	if ((unsigned char *)ptr < pool->base ||
	    (unsigned char *)ptr >= pool->base + pool_ctl(pool)->region_size)
		return pool_err(pool, -EINVAL, "free of %s: not in this pool", "a pointer");
	return ops(pool)->free(pool, kmm_pool_offset(pool, ptr));
}

void *kmm_pool_realloc(struct kmm_pool *pool, void *ptr, size_t size)
{
	if (!ptr)
		return kmm_pool_alloc(pool, size);
	size_t off = kmm_pool_offset(pool, ptr);
	size_t old = kmm_pool_usable_size(pool, ptr);
	if (!old) {
		pool_err(pool, -EINVAL, "realloc of offset 0x%zx: not a live block", off);
		return NULL;
	}
	if (!size) {
		kmm_pool_free(pool, ptr);
		return NULL;
	}
	if (!ops(pool)->resize(pool, off, size))
		return ptr;
	size_t noff = ops(pool)->alloc(pool, size);
	if (noff == KMM_POOL_NOFF)
		return NULL;
	memcpy(pool->base + noff, ptr, KMM_MIN(old, size));
	ops(pool)->free(pool, off);
	return pool->base + noff;
}

size_t kmm_pool_usable_size(struct kmm_pool *pool, const void *ptr)
{
	if (!ptr || (const unsigned char *)ptr < pool->base ||
	    (const unsigned char *)ptr >= pool->base + pool_ctl(pool)->region_size)
		return 0;
	return ops(pool)->usable(pool, kmm_pool_offset(pool, ptr));
}

int kmm_pool_check(struct kmm_pool *pool)
{
	struct pool_ctl *c = pool_ctl(pool);

	if (c->magic != POOL_MAGIC || c->version != POOL_VERSION)
		return pool_err(pool, -EUCLEAN, "control block: bad magic or version");
	return ops(pool)->check(pool);
}

int kmm_pool_walk(struct kmm_pool *pool,
		  int (*fn)(void *arg, const struct kmm_pool_extent *e), void *arg)
{
	return ops(pool)->walk(pool, fn, arg);
}

size_t kmm_pool_largest_free(struct kmm_pool *pool)
{
	return ops(pool)->largest_free(pool);
}

void kmm_pool_get_stats(const struct kmm_pool *pool, struct kmm_pool_stats *st)
{
	const struct pool_ctl *c = pool_ctl(pool);
	bool outside = c->flags & KMM_POOL_META_OUTSIDE;

	*st = (struct kmm_pool_stats){
		.allocs = c->allocs, .frees = c->frees, .failed = c->failed,
		.splits = c->splits, .merges = c->merges,
		.steps = c->steps, .max_steps = c->max_steps,
		.live_blocks = c->live_blocks, .live_bytes = c->live_bytes,
		.free_blocks = c->free_blocks,
		.region_size = c->region_size,
		.arena_bytes = c->arena_end - c->arena_start,
		.meta_bytes = outside ? (size_t)c->meta_size : c->arena_region,
		.granule = c->granule,
	};
}
