// SPDX-License-Identifier: MIT
/*
 * lab/pool_fit_check.c - the fit policies' walker and invariant checker.
 *
 * Linux counterpart: none (the idea is tlsf_check() / o1heap's invariant
 * check, as STYLE.md cites).
 *
 * The checker proves lab/pool_fit.h's invariant: it walks the blocks in
 * address order (sizes, tiling, start bits, F_PREV_ALLOC, footers, no two
 * free neighbours, the epilogue), then every free list (links both ways,
 * members free and in the arena, on the list their size and the policy
 * name, address order where the policy keeps it, TLSF/segregated bitmaps
 * set exactly for non-empty lists, next fit's rover on the list), and
 * finally the counters against what it counted.
 */
#include <string.h>

#include "lab/pool_fit.h"
#include "lib/util.h"

int fit_walk(struct kmm_pool *p, int (*fn)(void *, const struct kmm_pool_extent *), void *arg)
{
	struct fit_ctl *f = fit_ctl(p);

	for (uint32_t b = f->c.arena_start; b < f->c.arena_end;) {
		uint32_t h = f_hdr(p, b), size = h & F_SIZE_MASK;
		if (!size || size > f->c.arena_end - b)
			return -EUCLEAN;
		size_t pay = (size_t)((long)b + p->delta);
		struct kmm_pool_extent e = {
			.off = pay - f->hsz, .len = size, .payload = pay, .used = h & F_ALLOC,
		};
		int ret = fn(arg, &e);
		if (ret)
			return ret;
		b += size;
	}
	return 0;
}

#define FAIL(...) return pool_err(p, -EUCLEAN, __VA_ARGS__)

static size_t pay_of(const struct kmm_pool *p, uint32_t b)
{
	return (size_t)((long)b + p->delta);
}

static int check_blocks(struct kmm_pool *p, uint64_t *nfree, uint64_t *nused, uint64_t *used_bytes)
{
	struct fit_ctl *f = fit_ctl(p);
	const uint64_t *map = f_startmap(p);
	uint32_t g = f->c.granule, b = f->c.arena_start;
	bool prev_alloc = true;
	uint64_t nblocks = 0, bits = 0;

	*nfree = *nused = *used_bytes = 0;
	while (b < f->c.arena_end) {
		uint32_t h = f_hdr(p, b), size = h & F_SIZE_MASK;
		if (!size || size % g || size > f->c.arena_end - b)
			FAIL("block at 0x%zx: bad size %u", pay_of(p, b), size);
		if (!bit_test(map, f_index(p, b)))
			FAIL("block at 0x%zx: its start bit is clear", pay_of(p, b));
		if (!!(h & F_PREV_ALLOC) != prev_alloc)
			FAIL("block at 0x%zx: F_PREV_ALLOC is %d, the block before is %s",
			     pay_of(p, b), !!(h & F_PREV_ALLOC), prev_alloc ? "allocated" : "free");
		if (h & F_ALLOC) {
			(*nused)++;
			*used_bytes += size;
		} else {
			if (!prev_alloc)
				FAIL("block at 0x%zx: free next to a free block (not merged)",
				     pay_of(p, b));
			if (*f_prevsize(p, b + size) != size)
				FAIL("free block at 0x%zx: footer says %u, header %u", pay_of(p, b),
				     *f_prevsize(p, b + size), size);
			(*nfree)++;
		}
		prev_alloc = h & F_ALLOC;
		nblocks++;
		b += size;
	}
	uint32_t eh = f_hdr(p, f->c.arena_end);
	if ((eh & F_SIZE_MASK) || !(eh & F_ALLOC) || !!(eh & F_PREV_ALLOC) != prev_alloc)
		FAIL("epilogue: bad header 0x%x", eh);
	uint32_t ng = (f->c.arena_end - f->c.arena_start) >> f->c.glog;
	for (uint32_t w = 0; w < DIV_ROUND_UP(ng + 1, 64); w++) {
		uint64_t valid = w < ng / 64 ? ~0ull : 0;
		if (w == ng / 64 && ng % 64)
			valid = ~0ull >> (64 - ng % 64);
		if (map[w] & ~valid)
			FAIL("start bitmap: bits set past the arena (word %u)", w);
		bits += (uint64_t)__builtin_popcountll(map[w]);
	}
	if (bits != nblocks)
		FAIL("start bitmap: %llu bits set for %llu blocks", (unsigned long long)bits,
		     (unsigned long long)nblocks);
	return 0;
}

static bool policy_ordered(unsigned int pol)
{
	return pol == KMM_POOL_FIRST_FIT || pol == KMM_POOL_NEXT_FIT ||
	       pol == KMM_POOL_BEST_FIT || pol == KMM_POOL_WORST_FIT;
}

static int check_lists(struct kmm_pool *p, uint64_t nfree)
{
	struct fit_ctl *f = fit_ctl(p);
	const uint64_t *map = f_startmap(p);
	uint32_t pol = f->c.policy, fl_bits = 0, sl_bits[TLSF_FL_MAX] = { 0 };
	uint64_t listed = 0;
	bool rover_seen = f->rover == f_head(p, 0);

	for (uint32_t i = 0; i < f->nr_lists; i++) {
		uint32_t h = f_head(p, i), prev = h, b;
		if (f_next(p, f_prev(p, h)) != h)
			FAIL("list %u: the head's prev does not lead back to it", i);
		for (b = f_next(p, h); b != h; prev = b, b = f_next(p, b)) {
			if (++listed > nfree)
				FAIL("lists hold more nodes than the %llu free blocks (a cycle?)",
				     (unsigned long long)nfree);
			if (b < f->c.arena_start || b >= f->c.arena_end ||
			    (b - f->c.arena_start) % f->c.granule || !bit_test(map, f_index(p, b)))
				FAIL("list %u: node 0x%x is not a block", i, b);
			uint32_t hd = f_hdr(p, b);
			if (hd & F_ALLOC)
				FAIL("list %u: block at 0x%zx is allocated", i, pay_of(p, b));
			if (f_prev(p, b) != prev)
				FAIL("list %u: block at 0x%zx: prev link broken", i, pay_of(p, b));
			if (fit_list_of(p, hd & F_SIZE_MASK) != i)
				FAIL("block at 0x%zx (%u bytes) is on list %u, not %u", pay_of(p, b),
				     hd & F_SIZE_MASK, i, fit_list_of(p, hd & F_SIZE_MASK));
			if (policy_ordered(pol) && prev != h && prev >= b)
				FAIL("list: block at 0x%zx after 0x%zx breaks address order",
				     pay_of(p, b), pay_of(p, prev));
			if (b == f->rover)
				rover_seen = true;
		}
		if (b != h || f_prev(p, h) != prev)
			FAIL("list %u: the head's prev is not the last node", i);
		if (f_next(p, h) != h) {
			if (pol == KMM_POOL_TLSF) {
				fl_bits |= 1u << (i / TLSF_SL_COUNT);
				sl_bits[i / TLSF_SL_COUNT] |= 1u << (i % TLSF_SL_COUNT);
			} else if (pol == KMM_POOL_SEGREGATED) {
				fl_bits |= 1u << i;
			}
		}
	}
	if (listed != nfree)
		FAIL("%llu free blocks, %llu on the lists", (unsigned long long)nfree,
		     (unsigned long long)listed);
	if ((pol == KMM_POOL_TLSF || pol == KMM_POOL_SEGREGATED) && f->fl_bitmap != fl_bits)
		FAIL("first-level bitmap 0x%x, non-empty lists say 0x%x", f->fl_bitmap, fl_bits);
	if (pol == KMM_POOL_TLSF && memcmp(f->sl_bitmap, sl_bits, sizeof(sl_bits)))
		FAIL("a second-level bitmap disagrees with its lists");
	if (pol == KMM_POOL_NEXT_FIT && !rover_seen)
		FAIL("next fit's rover 0x%x is neither the head nor a free block", f->rover);
	return 0;
}

int fit_check(struct kmm_pool *p)
{
	struct fit_ctl *f = fit_ctl(p);
	uint64_t nfree, nused, used_bytes;
	int ret;

	if (f->c.arena_start >= f->c.arena_end || f->c.granule != 1u << f->c.glog)
		FAIL("control block: bad arena or granule");
	ret = check_blocks(p, &nfree, &nused, &used_bytes);
	if (!ret)
		ret = check_lists(p, nfree);
	if (ret)
		return ret;
	if (f->c.live_blocks != nused || f->c.live_bytes != used_bytes || f->c.free_blocks != nfree)
		FAIL("counters: live %llu blocks/%llu bytes, free %llu; counted %llu/%llu, %llu",
		     (unsigned long long)f->c.live_blocks, (unsigned long long)f->c.live_bytes,
		     (unsigned long long)f->c.free_blocks, (unsigned long long)nused,
		     (unsigned long long)used_bytes, (unsigned long long)nfree);
	return 0;
}
