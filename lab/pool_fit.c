// SPDX-License-Identifier: MIT
/*
 * lab/pool_fit.c - the fit policies: first fit over an address-ordered
 * circular list with a dummy head, first fit over a LIFO list, next fit,
 * best fit, worst fit, segregated fit and TLSF, on boundary-tag blocks
 * (lab/pool_fit.h) with immediate coalescing.
 *
 * Linux counterpart: none. Sources: Knuth, TAOCP vol. 1, 2.5 (first fit,
 * boundary tags, the roving pointer); Wilson, Johnstone, Neely, Boles,
 * "Dynamic Storage Allocation: A Survey and Critical Review" (1995) for the
 * policy names; Masmano, Ripoll, Crespo, Real, "TLSF: a new dynamic memory
 * allocator for real-time systems" (ECRTS 2004) for TLSF's two-level
 * mapping: round the request up to the next list boundary, so that the head
 * of the first non-empty list at or above it always fits, found with two
 * bit scans.
 *
 * How each policy searches and where a freed block goes:
 *   first-fit       one address-ordered list; the first block that fits
 *   first-fit-lifo  one list, freed blocks at its front; the first that fits
 *   next-fit        first-fit's list, searched from where the last search
 *                   ended (the rover), wrapping once
 *   best-fit        the whole list; the smallest that fits (exact: stop)
 *   worst-fit       the whole list; the largest
 *   segregated      a LIFO list per power-of-two class; first fit in the
 *                   request's class, else the head of a larger class
 *   tlsf            2^5 lists per power of two (below 2^5 granules, one per
 *                   granule); the head of the first non-empty list at or
 *                   above the rounded-up request
 * A block larger than the request is split when the rest is at least a
 * granule; the rest keeps the block's place in an ordered list, or goes to
 * its class. A freed block merges with free neighbours at once; on an
 * address-ordered list the merged block takes a neighbour's place, so only
 * a block with no free neighbour pays the O(n) ordered insertion.
 *
 * Each policy's operations are the generic functions below instantiated
 * with the policy as a constant (always_inline), so a policy's fast path
 * contains only its own branches.
 *
 * Locking: none (include/kmm/pool.h).
 */
#include <string.h>

#include "lab/pool_fit.h"
#include "lib/util.h"

#define FF	KMM_POOL_FIRST_FIT
#define LIFO	KMM_POOL_FIRST_FIT_LIFO
#define NF	KMM_POOL_NEXT_FIT
#define BF	KMM_POOL_BEST_FIT
#define WF	KMM_POOL_WORST_FIT
#define SEG	KMM_POOL_SEGREGATED
#define TLSF	KMM_POOL_TLSF

static pool_always_inline bool has_classes(int pol)
{
	return pol == SEG || pol == TLSF;
}

/* ---- Free lists ---- */

/* The list a free block of @size belongs on under @pol (a constant here). */
static pool_always_inline uint32_t list_of(const struct kmm_pool *p, uint32_t size, int pol)
{
	if (pol == SEG)
		return seg_class(pool_ctl(p)->glog, size);
	if (pol == TLSF)
		return tlsf_index(pool_ctl(p)->glog, size);
	return 0;
}

static pool_always_inline void list_link(struct kmm_pool *p, uint32_t at, uint32_t b)
{
	uint32_t n = f_next(p, at);

	f_next(p, b) = n;
	f_prev(p, b) = at;
	f_prev(p, n) = b;
	f_next(p, at) = b;
}

static pool_always_inline void class_mark(struct fit_ctl *f, uint32_t i, int pol)
{
	if (pol == TLSF) {
		f->sl_bitmap[i / TLSF_SL_COUNT] |= 1u << (i % TLSF_SL_COUNT);
		f->fl_bitmap |= 1u << (i / TLSF_SL_COUNT);
	} else {
		f->fl_bitmap |= 1u << i;
	}
}

static pool_always_inline void class_unmark(struct fit_ctl *f, uint32_t i, int pol)
{
	if (pol == TLSF) {
		f->sl_bitmap[i / TLSF_SL_COUNT] &= ~(1u << (i % TLSF_SL_COUNT));
		if (!f->sl_bitmap[i / TLSF_SL_COUNT])
			f->fl_bitmap &= ~(1u << (i / TLSF_SL_COUNT));
	} else {
		f->fl_bitmap &= ~(1u << i);
	}
}

/* Put free block @b of @size on its list. */
static pool_always_inline void free_insert(struct kmm_pool *p, uint32_t b, uint32_t size,
					   int pol, uint64_t *steps)
{
	struct fit_ctl *f = fit_ctl(p);

	f->c.free_blocks++;
	if (has_classes(pol)) {
		uint32_t i = list_of(p, size, pol);
		list_link(p, f_head(p, i), b);
		class_mark(f, i, pol);
	} else if (pol == LIFO) {
		list_link(p, f_head(p, 0), b);
	} else {
		/* address order: after the last block below b */
		uint32_t head = f_head(p, 0), at = head;
		while (f_next(p, at) != head && f_next(p, at) < b) {
			at = f_next(p, at);
			(*steps)++;
		}
		list_link(p, at, b);
	}
}

/* Take free block @b (of @size) off its list. */
static pool_always_inline void free_remove(struct kmm_pool *p, uint32_t b, uint32_t size, int pol)
{
	struct fit_ctl *f = fit_ctl(p);
	uint32_t n = f_next(p, b), pr = f_prev(p, b);

	f->c.free_blocks--;
	if (pol == NF && f->rover == b)
		f->rover = n;
	f_next(p, pr) = n;
	f_prev(p, n) = pr;
	if (has_classes(pol) && n == pr) {
		uint32_t i = list_of(p, size, pol);
		if (n == f_head(p, i))
			class_unmark(f, i, pol);
	}
}

/* Free block @nb takes free block @b's place on a single list. */
static pool_always_inline void free_replace(struct kmm_pool *p, uint32_t b, uint32_t nb, int pol)
{
	struct fit_ctl *f = fit_ctl(p);
	uint32_t n = f_next(p, b), pr = f_prev(p, b);

	f_next(p, nb) = n;
	f_prev(p, nb) = pr;
	f_next(p, pr) = nb;
	f_prev(p, n) = nb;
	if (pol == NF && f->rover == b)
		f->rover = nb;
}

/* ---- Search ---- */

/* A free block of at least @need bytes, still on its list, or POOL_NIL. */
static pool_always_inline uint32_t fit_find(struct kmm_pool *p, uint32_t need, int pol,
					    uint64_t *steps)
{
	struct fit_ctl *f = fit_ctl(p);
	uint32_t head = f_head(p, 0), b, s;

	switch (pol) {
	case FF:
	case LIFO:
		for (b = f_next(p, head); b != head; b = f_next(p, b)) {
			(*steps)++;
			if ((f_hdr(p, b) & F_SIZE_MASK) >= need)
				return b;
		}
		return POOL_NIL;
	case NF: {
		uint32_t start = f->rover == head ? f_next(p, head) : f->rover;
		if (start == head)
			return POOL_NIL;
		b = start;
		do {
			if (b != head) {
				(*steps)++;
				if ((f_hdr(p, b) & F_SIZE_MASK) >= need)
					return b;
			}
			b = f_next(p, b);
		} while (b != start);
		return POOL_NIL;
	}
	case BF: {
		uint32_t best = POOL_NIL, bsz = UINT32_MAX;
		for (b = f_next(p, head); b != head; b = f_next(p, b)) {
			(*steps)++;
			s = f_hdr(p, b) & F_SIZE_MASK;
			if (s >= need && s < bsz) {
				best = b;
				bsz = s;
				if (s == need)
					break;
			}
		}
		return best;
	}
	case WF: {
		uint32_t best = POOL_NIL, bsz = 0;
		for (b = f_next(p, head); b != head; b = f_next(p, b)) {
			(*steps)++;
			s = f_hdr(p, b) & F_SIZE_MASK;
			if (s > bsz) {
				best = b;
				bsz = s;
			}
		}
		return bsz >= need ? best : POOL_NIL;
	}
	case SEG: {
		uint32_t cl = seg_class(f->c.glog, need), h = f_head(p, cl), map;
		if (f->fl_bitmap & (1u << cl)) {
			for (b = f_next(p, h); b != h; b = f_next(p, b)) {
				(*steps)++;
				if ((f_hdr(p, b) & F_SIZE_MASK) >= need)
					return b;
			}
		}
		map = cl + 1 < SEG_CLASSES ? f->fl_bitmap & (~0u << (cl + 1)) : 0;
		if (!map)
			return POOL_NIL;
		(*steps)++;
		return f_next(p, f_head(p, (uint32_t)__builtin_ctz(map)));
	}
	case TLSF: {
		uint32_t fl, sl, r = need, map;
		if (r >= 1u << (TLSF_SL_LOG + f->c.glog)) {
			/* round up to the next list boundary: every block there fits */
			uint32_t t = (uint32_t)(31 - __builtin_clz(r));
			r += (1u << (t - TLSF_SL_LOG)) - 1;
		}
		tlsf_mapping(f->c.glog, r, &fl, &sl);
		if (fl >= TLSF_FL_MAX)
			return POOL_NIL;
		map = f->sl_bitmap[fl] & (~0u << sl);
		if (!map) {
			uint32_t fmap = fl + 1 < 32 ? f->fl_bitmap & (~0u << (fl + 1)) : 0;
			if (!fmap)
				return POOL_NIL;
			fl = (uint32_t)__builtin_ctz(fmap);
			map = f->sl_bitmap[fl];
		}
		sl = (uint32_t)__builtin_ctz(map);
		(*steps)++;
		return f_next(p, f_head(p, fl * TLSF_SL_COUNT + sl));
	}
	}
	return POOL_NIL;
}

/* ---- Allocation ---- */

/* Block bytes for a request of @n bytes (n no larger than the arena). */
static pool_always_inline uint32_t block_size(const struct kmm_pool *p, size_t n)
{
	const struct fit_ctl *f = fit_ctl(p);
	uint32_t g = f->c.granule;
	uint32_t s = (uint32_t)n + f->hsz;

	s = (s + g - 1) & ~(g - 1);
	return s ? s : g;
}

/* Allocate free block @b (on its list) for @need bytes, splitting off the rest. */
static pool_always_inline void fit_take(struct kmm_pool *p, uint32_t b, uint32_t need, int pol)
{
	struct fit_ctl *f = fit_ctl(p);
	uint32_t *h = fd(p, b);
	uint32_t size = *h & F_SIZE_MASK, rest = size - need;

	if (pol == NF)
		f->rover = b;
	if (rest >= f->c.granule) {
		uint32_t nb = b + need;
		*fd(p, nb) = rest | F_PREV_ALLOC;
		*f_prevsize(p, nb + rest) = rest;
		bit_set(f_startmap(p), f_index(p, nb));
		if (has_classes(pol)) {
			uint64_t unused = 0;
			free_remove(p, b, size, pol);
			free_insert(p, nb, rest, pol, &unused);
		} else {
			free_replace(p, b, nb, pol);
		}
		*h = need | F_ALLOC | (*h & F_PREV_ALLOC);
		f->c.splits++;
		size = need;
	} else {
		free_remove(p, b, size, pol);
		*h |= F_ALLOC;
		f_hdr(p, b + size) |= F_PREV_ALLOC;
	}
	f->c.live_blocks++;
	f->c.live_bytes += size;
}

/*
 * Free allocated block @b: merge with free neighbours, put the result on its
 * list. No counters but the live ones and merges.
 */
static pool_always_inline void fit_release(struct kmm_pool *p, uint32_t b, int pol,
					   uint64_t *steps)
{
	struct fit_ctl *f = fit_ctl(p);
	uint32_t *h = fd(p, b);
	uint32_t size = *h & F_SIZE_MASK, prev_alloc = *h & F_PREV_ALLOC;
	uint32_t nb = b + size, nhdr = f_hdr(p, nb), start = b, total = size;
	bool next_free = !(nhdr & F_ALLOC);
	uint64_t *map = f_startmap(p);

	f->c.live_blocks--;
	f->c.live_bytes -= size;
	if (!prev_alloc) {
		uint32_t ps = *f_prevsize(p, b), pb = b - ps;
		f->c.merges++;
		bit_clear(map, f_index(p, b));
		if (has_classes(pol))
			free_remove(p, pb, ps, pol);
		total += ps;
		start = pb;
		if (next_free) {
			uint32_t ns = nhdr & F_SIZE_MASK;
			f->c.merges++;
			bit_clear(map, f_index(p, nb));
			if (pol == NF && f->rover == nb)
				f->rover = pb;
			free_remove(p, nb, ns, pol);
			total += ns;
		}
		f_hdr(p, pb) = total | F_PREV_ALLOC;
		if (has_classes(pol))
			free_insert(p, pb, total, pol, steps);
	} else if (next_free) {
		uint32_t ns = nhdr & F_SIZE_MASK;
		f->c.merges++;
		bit_clear(map, f_index(p, nb));
		total += ns;
		*h = total | F_PREV_ALLOC;
		if (has_classes(pol)) {
			free_remove(p, nb, ns, pol);
			free_insert(p, b, total, pol, steps);
		} else {
			free_replace(p, nb, b, pol);
		}
	} else {
		*h = size | F_PREV_ALLOC;
		free_insert(p, b, size, pol, steps);
	}
	*f_prevsize(p, start + total) = total;
	f_hdr(p, start + total) &= ~F_PREV_ALLOC;
}

/* Cut allocated block @b (of @size) down to @need, freeing the tail. */
static pool_always_inline void fit_shrink(struct kmm_pool *p, uint32_t b, uint32_t need,
					  uint32_t size, int pol, uint64_t *steps)
{
	struct fit_ctl *f = fit_ctl(p);
	uint32_t t = b + need;

	*fd(p, t) = (size - need) | F_ALLOC | F_PREV_ALLOC;
	bit_set(f_startmap(p), f_index(p, t));
	f_hdr(p, b) = need | F_ALLOC | (f_hdr(p, b) & F_PREV_ALLOC);
	f->c.live_blocks++;
	f->c.splits++;
	fit_release(p, t, pol, steps);
}

static pool_always_inline size_t fit_alloc(struct kmm_pool *p, size_t n, int pol)
{
	struct fit_ctl *f = fit_ctl(p);
	uint64_t steps = 0;
	uint32_t b = POOL_NIL, need = 0;

	if (likely(n <= f->c.arena_end - f->c.arena_start)) {
		need = block_size(p, n);
		b = fit_find(p, need, pol, &steps);
	}
	pool_account(&f->c, steps);
	if (unlikely(b == POOL_NIL)) {
		f->c.failed++;
		return KMM_POOL_NOFF;
	}
	fit_take(p, b, need, pol);
	f->c.allocs++;
	return (size_t)((long)b + p->delta);
}

/* Why public offset @off is not a live block's payload: the error to return. */
static __attribute__((noinline)) int fit_bad_offset(struct kmm_pool *p, size_t off,
						    const char *verb)
{
	struct fit_ctl *f = fit_ctl(p);
	long b = (long)off - p->delta;
	uint64_t *map = f_startmap(p);

	if (off >= f->c.region_size || b < (long)f->c.arena_start || b >= (long)f->c.arena_end)
		return pool_err(p, -EINVAL, "%s of offset 0x%zx: not a block of this pool", verb, off);
	long s = bit_prev(map, f_index(p, (uint32_t)b));
	uint32_t e = f->c.arena_start + ((uint32_t)(s < 0 ? 0 : s) << f->c.glog);
	size_t epay = (size_t)((long)e + p->delta);
	uint32_t esize = f_hdr(p, e) & F_SIZE_MASK;
	if (!(f_hdr(p, e) & F_ALLOC))
		return pool_err(p, -EALREADY, "%s of offset 0x%zx: double free (it lies in the free "
				"block at 0x%zx, %u bytes)", verb, off, epay - f->hsz, esize);
	return pool_err(p, -EINVAL, "%s of offset 0x%zx: not the start of a block (it lies inside "
			"the block at 0x%zx)", verb, off, epay);
}

/*
 * The block whose payload is at public offset @off, or an error that says
 * what @off is instead. @verb names the call in the message.
 */
static pool_always_inline int fit_lookup(struct kmm_pool *p, size_t off, uint32_t *out,
					 const char *verb)
{
	struct fit_ctl *f = fit_ctl(p);
	uint32_t rel = (uint32_t)((long)off - p->delta) - f->c.arena_start;

	/* in the arena (one unsigned compare), on a granule, a block start, allocated */
	if (likely((uint64_t)(long)off - (uint64_t)p->delta - f->c.arena_start <
		   f->c.arena_end - f->c.arena_start && !(rel & (f->c.granule - 1)) &&
		   bit_test(f_startmap(p), rel >> f->c.glog))) {
		uint32_t b = rel + f->c.arena_start;
		if (likely(f_hdr(p, b) & F_ALLOC)) {
			*out = b;
			return 0;
		}
	}
	*out = 0;
	return fit_bad_offset(p, off, verb);
}

static pool_always_inline int fit_free(struct kmm_pool *p, size_t off, int pol)
{
	struct fit_ctl *f = fit_ctl(p);
	uint64_t steps = 0;
	uint32_t b;
	int ret = fit_lookup(p, off, &b, "free");

	if (ret)
		return ret;
	fit_release(p, b, pol, &steps);
	pool_account(&f->c, steps);
	f->c.frees++;
	return 0;
}

static pool_always_inline int fit_resize(struct kmm_pool *p, size_t off, size_t n, int pol)
{
	struct fit_ctl *f = fit_ctl(p);
	uint64_t steps = 0;
	uint32_t b;
	int ret = fit_lookup(p, off, &b, "resize");

	if (ret)
		return ret;
	if (n > f->c.arena_end - f->c.arena_start)
		return -ENOMEM;
	uint32_t need = block_size(p, n), size = f_hdr(p, b) & F_SIZE_MASK;
	if (need > size) {
		uint32_t nb = b + size, nh = f_hdr(p, nb), ns = nh & F_SIZE_MASK;
		if ((nh & F_ALLOC) || size + ns < need)
			return -ENOMEM;
		free_remove(p, nb, ns, pol);
		bit_clear(f_startmap(p), f_index(p, nb));
		size += ns;
		f_hdr(p, b) = size | F_ALLOC | (f_hdr(p, b) & F_PREV_ALLOC);
		f_hdr(p, b + size) |= F_PREV_ALLOC;
		f->c.live_bytes += ns;
	}
	if (size - need >= f->c.granule)
		fit_shrink(p, b, need, size, pol, &steps);
	pool_account(&f->c, steps);
	return 0;
}

static pool_always_inline size_t fit_aligned_alloc(struct kmm_pool *p, size_t align, size_t n,
						   int pol)
{
	struct fit_ctl *f = fit_ctl(p);
	uint32_t g = f->c.granule, arena = f->c.arena_end - f->c.arena_start;
	uint64_t steps = 0;
	uint32_t b = POOL_NIL, need = 0;

	if (n <= arena && align <= arena) {
		need = block_size(p, n);
		uint64_t want = (uint64_t)need + align + g;
		if (want <= arena)
			b = fit_find(p, (uint32_t)want, pol, &steps);
	}
	if (b == POOL_NIL) {
		pool_account(&f->c, steps);
		f->c.failed++;
		return KMM_POOL_NOFF;
	}
	fit_take(p, b, (uint32_t)(need + align + g), pol);
	size_t pay = (size_t)((long)b + p->delta), at = ALIGN_UP(pay, align);
	if (at != pay && at - pay < g)
		at += align;
	if (at != pay) {
		/* free the front: its neighbour before is allocated, so it stays apart */
		uint32_t gap = (uint32_t)(at - pay), size = f_hdr(p, b) & F_SIZE_MASK;
		uint32_t nb = b + gap;
		*fd(p, nb) = (size - gap) | F_ALLOC | F_PREV_ALLOC;
		bit_set(f_startmap(p), f_index(p, nb));
		f_hdr(p, b) = gap | F_ALLOC | (f_hdr(p, b) & F_PREV_ALLOC);
		f->c.live_blocks++;
		f->c.splits++;
		fit_release(p, b, pol, &steps);
		b = nb;
	}
	uint32_t size = f_hdr(p, b) & F_SIZE_MASK;
	if (size - need >= g)
		fit_shrink(p, b, need, size, pol, &steps);
	pool_account(&f->c, steps);
	f->c.allocs++;
	return at;
}

static size_t fit_usable(struct kmm_pool *p, size_t off)
{
	struct fit_ctl *f = fit_ctl(p);
	char saved[sizeof(p->err)];
	uint32_t b;

	memcpy(saved, p->err, sizeof(saved));
	if (fit_lookup(p, off, &b, "usable_size")) {
		memcpy(p->err, saved, sizeof(saved));
		return 0;
	}
	return (f_hdr(p, b) & F_SIZE_MASK) - f->hsz;
}

static size_t fit_largest_free(struct kmm_pool *p)
{
	struct fit_ctl *f = fit_ctl(p);
	uint32_t best = 0;

	for (uint32_t i = 0; i < f->nr_lists; i++) {
		uint32_t h = f_head(p, i);
		for (uint32_t b = f_next(p, h); b != h; b = f_next(p, b))
			best = KMM_MAX(best, f_hdr(p, b) & F_SIZE_MASK);
	}
	return best;
}

/* ---- Layout ---- */

struct fit_layout {
	struct pool_arena a;
	uint32_t nr_lists, hsz, heads_pos, bitmap_pos, dshift;
	size_t meta_need;
};

static uint32_t lists_of(unsigned int policy)
{
	switch (policy) {
	case SEG:
		return SEG_CLASSES;
	case TLSF:
		return TLSF_FL_MAX * TLSF_SL_COUNT;
	default:
		return 1;
	}
}

static int fit_plan(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size,
		    struct fit_layout *L)
{
	bool outside = cfg->flags & KMM_POOL_META_OUTSIDE;
	uint64_t g = cfg->align ? cfg->align : 16;
	uint32_t glog = (uint32_t)ilog2_ul((unsigned long)g);
	uint64_t ng = size / g, pos;

	memset(L, 0, sizeof(*L));
	L->nr_lists = lists_of(cfg->policy);
	L->hsz = outside ? 0 : 8;
	L->heads_pos = (uint32_t)ALIGN_UP(sizeof(struct fit_ctl), 8);
	pos = L->heads_pos + 8ull * L->nr_lists + 8;
	L->bitmap_pos = (uint32_t)ALIGN_UP(pos, 8);
	pos = L->bitmap_pos + 8 * DIV_ROUND_UP(ng + 1, 64);
	pos = ALIGN_UP(pos, 16);
	L->a.ctl_bytes = (uint32_t)pos;
	if (outside) {
		L->dshift = glog - 4;
		uint64_t b0 = pos << L->dshift;
		if (!ng)
			return pool_err(p, -EINVAL, "a region of %zu bytes holds no %llu-byte block",
					size, (unsigned long long)g);
		if (b0 + (ng + 1) * g >= UINT32_MAX)
			return pool_err(p, -EINVAL, "region too large for granule %llu",
					(unsigned long long)g);
		L->a.start = (uint32_t)b0;
		L->a.end = (uint32_t)(b0 + ng * g);
		L->a.region = 0;
		L->meta_need = pos + (ng + 1) * 16;
		if (L->meta_need > KMM_POOL_MAX_SIZE)
			return pool_err(p, -EINVAL, "the metadata would exceed 2 GiB: use a larger granule");
		return 0;
	}
	/* payloads aligned: a block's header starts 8 bytes before a granule */
	uint64_t start = ALIGN_UP(pos + 8, g) - 8;
	if (start + g + 8 > size)
		return pool_err(p, -EINVAL, "a region of %zu bytes is too small: the control block "
				"takes %llu", size, (unsigned long long)start);
	L->a.start = (uint32_t)start;
	L->a.end = (uint32_t)(start + ALIGN_DOWN(size - 8 - start, g));
	L->a.region = (uint32_t)start;
	return 0;
}

static size_t fit_meta_size(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size)
{
	struct fit_layout L;

	return fit_plan(p, cfg, size, &L) ? 0 : L.meta_need;
}

static size_t fit_arena_of(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size)
{
	struct fit_layout L;

	return fit_plan(p, cfg, size, &L) ? 0 : L.a.end - L.a.start;
}

static void fit_bind(struct kmm_pool *p)
{
	struct fit_ctl *f = fit_ctl(p);

	if (f->c.flags & KMM_POOL_META_OUTSIDE) {
		p->dbase = p->meta;
		p->dshift = f->c.glog - 4;
		p->psoff = 12;
		p->delta = -(long)f->c.arena_start;
	} else {
		p->dbase = p->base;
		p->dshift = 0;
		p->psoff = -4;
		p->delta = 8;
	}
}

static int fit_init(struct kmm_pool *p, const struct kmm_pool_config *cfg, size_t size,
		    size_t meta_size)
{
	struct fit_layout L;
	int ret = fit_plan(p, cfg, size, &L);

	if (ret)
		return ret;
	pool_ctl_setup(p, cfg, size, meta_size, &L.a);
	struct fit_ctl *f = fit_ctl(p);
	f->hsz = L.hsz;
	f->nr_lists = L.nr_lists;
	f->heads_pos = L.heads_pos;
	f->bitmap_pos = L.bitmap_pos;
	fit_bind(p);
	for (uint32_t i = 0; i < L.nr_lists; i++) {
		uint32_t h = f_head(p, i);
		f_next(p, h) = h;
		f_prev(p, h) = h;
	}
	f->rover = f_head(p, 0);

	/* one free block over the whole arena, then the epilogue */
	uint32_t b = L.a.start, size0 = L.a.end - L.a.start;
	uint64_t unused = 0;
	f_hdr(p, b) = size0 | F_PREV_ALLOC;
	f_hdr(p, L.a.end) = F_ALLOC;
	*f_prevsize(p, L.a.end) = size0;
	bit_set(f_startmap(p), 0);
	switch ((int)cfg->policy) {
	case FF: free_insert(p, b, size0, FF, &unused); break;
	case LIFO: free_insert(p, b, size0, LIFO, &unused); break;
	case NF: free_insert(p, b, size0, NF, &unused); break;
	case BF: free_insert(p, b, size0, BF, &unused); break;
	case WF: free_insert(p, b, size0, WF, &unused); break;
	case SEG: free_insert(p, b, size0, SEG, &unused); break;
	case TLSF: free_insert(p, b, size0, TLSF, &unused); break;
	default: break;
	}
	return 0;
}

/* ---- One operations table per policy ---- */

#define FIT_POLICY(NAME, POL)                                                           \
	static size_t NAME##_alloc(struct kmm_pool *p, size_t n)                        \
	{                                                                               \
		return fit_alloc(p, n, POL);                                            \
	}                                                                               \
	static size_t NAME##_aligned(struct kmm_pool *p, size_t a, size_t n)            \
	{                                                                               \
		return fit_aligned_alloc(p, a, n, POL);                                 \
	}                                                                               \
	static int NAME##_free(struct kmm_pool *p, size_t off)                          \
	{                                                                               \
		return fit_free(p, off, POL);                                           \
	}                                                                               \
	static int NAME##_resize(struct kmm_pool *p, size_t off, size_t n)              \
	{                                                                               \
		return fit_resize(p, off, n, POL);                                      \
	}

FIT_POLICY(ff, FF)
FIT_POLICY(lifo, LIFO)
FIT_POLICY(nf, NF)
FIT_POLICY(bf, BF)
FIT_POLICY(wf, WF)
FIT_POLICY(seg, SEG)
FIT_POLICY(tlsf, TLSF)

#define FIT_OPS(NAME)                                                                   \
	{                                                                               \
		.alloc = NAME##_alloc, .aligned_alloc = NAME##_aligned,                 \
		.free = NAME##_free, .resize = NAME##_resize, .usable = fit_usable,     \
		.check = fit_check, .walk = fit_walk, .largest_free = fit_largest_free, \
		.meta_size = fit_meta_size, .arena_of = fit_arena_of,                   \
		.init = fit_init, .bind = fit_bind,                                     \
	}

const struct pool_ops pool_fit_ops[KMM_POOL_NR_POLICIES] = {
	[FF] = FIT_OPS(ff),
	[LIFO] = FIT_OPS(lifo),
	[NF] = FIT_OPS(nf),
	[BF] = FIT_OPS(bf),
	[WF] = FIT_OPS(wf),
	[SEG] = FIT_OPS(seg),
	[TLSF] = FIT_OPS(tlsf),
};
