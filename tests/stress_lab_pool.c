// SPDX-License-Identifier: MIT
/*
 * tests/stress_lab_pool.c - every pool allocator, metadata inside and
 * outside, two granules: a seeded random mix of malloc, aligned malloc,
 * realloc, free, double and invalid frees, with the pool's checker after
 * every operation and every live block's bytes verified (a block that
 * overlaps another, or a header written over a payload, shows as changed
 * bytes). The seed is printed on failure (KMM_SEED=N repeats a run).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/pool.h>

#include "tests/harness.h"
#include "tests/lab_test.h"

#define SLOTS 192

struct live {
	size_t off;	/* KMM_POOL_NOFF: empty slot */
	size_t len;
	unsigned char fill;
};

static void fill(struct kmm_pool *p, struct live *l)
{
	memset(kmm_pool_ptr(p, l->off), l->fill, l->len);
}

static bool intact(struct kmm_pool *p, const struct live *l)
{
	const unsigned char *x = kmm_pool_ptr(p, l->off);

	for (size_t i = 0; i < l->len; i++)
		if (x[i] != l->fill)
			return false;
	return true;
}

static size_t rand_size(uint64_t *s, int pol)
{
	uint64_t r = kmm_test_rand(s);

	if (pol == KMM_POOL_FIXED)
		return r % 60;		/* objects are 48 bytes: some fail */
	switch (r % 8) {
	case 0:
		return (r >> 8) % 6000;	/* now and then large */
	case 1:
		return 0;
	default:
		return (r >> 8) % 200 + 1;
	}
}

static void stress_one(int pol, bool outside, size_t granule, uint64_t seed, int steps)
{
	struct kmm_pool_config c = lab_cfg(pol, outside);
	struct live live[SLOTS];
	struct tpool t;
	uint64_t s = seed;
	size_t last_freed = KMM_POOL_NOFF;

	c.align = granule;
	tpool_make(&t, &c, 1 << 16);
	for (int i = 0; i < SLOTS; i++)
		live[i].off = KMM_POOL_NOFF;
	for (int step = 0; step < steps; step++) {
		struct live *l = &live[kmm_test_rand(&s) % SLOTS];
		uint64_t r = kmm_test_rand(&s) % 16;
		const char *what = "";

		if (l->off == KMM_POOL_NOFF) {
			size_t n = rand_size(&s, pol), align = 0;
			if (r < 2)
				align = (size_t)16 << (kmm_test_rand(&s) % 7);
			what = align ? "aligned alloc" : "alloc";
			l->off = align ? kmm_pool_aligned_alloc_off(&t.p, align, n)
				       : kmm_pool_alloc_off(&t.p, n);
			if (l->off != KMM_POOL_NOFF) {
				if (align)
					assert_eq(l->off % align, 0);
				assert_true(kmm_pool_usable_size_off(&t.p, l->off) >= n);
				l->len = n;
				l->fill = (unsigned char)(kmm_test_rand(&s) | 1);
				fill(&t.p, l);
			}
		} else if (r < 3) {
			size_t n = rand_size(&s, pol);
			void *old = kmm_pool_ptr(&t.p, l->off);
			what = "realloc";
			if (!intact(&t.p, l))
				kmm_test_fail(__FILE__, __LINE__, "%s %s: block 0x%zx changed before "
					      "step %d", kmm_pool_policy_name(c.policy),
					      outside ? "outside" : "inside", l->off, step);
			void *x = kmm_pool_realloc(&t.p, old, n ? n : 1);
			if (x) {
				l->off = kmm_pool_offset(&t.p, x);
				l->len = l->len < (n ? n : 1) ? l->len : (n ? n : 1);
				assert_true(intact(&t.p, l));
				l->len = n ? n : 1;
				fill(&t.p, l);
			} else {
				assert_true(intact(&t.p, l));	/* a failed realloc keeps the block */
			}
		} else {
			what = "free";
			if (!intact(&t.p, l))
				kmm_test_fail(__FILE__, __LINE__, "%s %s: block 0x%zx changed before "
					      "step %d", kmm_pool_policy_name(c.policy),
					      outside ? "outside" : "inside", l->off, step);
			assert_eq(kmm_pool_free_off(&t.p, l->off), 0);
			last_freed = l->off;
			l->off = KMM_POOL_NOFF;
			if (r == 15) {
				/* a second free of it (unless reused since) is refused */
				what = "double free";
				bool reused = false;
				for (int i = 0; i < SLOTS; i++)
					reused |= live[i].off == last_freed;
				if (!reused)
					assert_eq(kmm_pool_free_off(&t.p, last_freed), -EALREADY);
			}
		}
		if (kmm_pool_check(&t.p)) {
			kmm_test_fail(__FILE__, __LINE__, "%s %s granule %zu, step %d (%s): %s",
				      kmm_pool_policy_name(c.policy), outside ? "outside" : "inside",
				      granule, step, what, kmm_pool_error(&t.p));
			kmm_test_abort();
		}
	}
	for (int i = 0; i < SLOTS; i++) {
		if (live[i].off == KMM_POOL_NOFF)
			continue;
		assert_true(intact(&t.p, &live[i]));
		assert_eq(kmm_pool_free_off(&t.p, live[i].off), 0);
	}
	struct kmm_pool_stats st;
	kmm_pool_get_stats(&t.p, &st);
	expect_eq(st.live_blocks, 0);
	expect_eq(st.live_bytes, 0);
	/* everything merged back (lazy buddy: once a full-size request asks) */
	if (pol == KMM_POOL_BUDDY_LAZY)
		kmm_pool_free_off(&t.p, kmm_pool_alloc_off(&t.p, st.arena_bytes / 2 + 1));
	if (pol != KMM_POOL_FIXED && pol != KMM_POOL_BUDDY && pol != KMM_POOL_BUDDY_LAZY)
		expect_eq(kmm_pool_largest_free(&t.p), st.arena_bytes);
	tpool_done(&t);
}

TEST(every_checker_after_every_operation)
{
	uint64_t seed = kmm_test_seed();
	int steps = kmm_test_quick() ? 1500 : 6000;

	for (int outside = 0; outside <= 1; outside++)
		for (size_t g = 16; g <= 64; g *= 4)
			LAB_ALL_POLICIES(pol)
				stress_one(pol, outside, g, seed + (uint64_t)pol, steps);
}
