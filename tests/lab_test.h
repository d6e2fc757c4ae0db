// SPDX-License-Identifier: MIT
/*
 * tests/lab_test.h - helpers for the lab's tests: a pool over a fresh
 * region (and metadata area), and a config per policy.
 */
#ifndef KMM_TESTS_LAB_TEST_H
#define KMM_TESTS_LAB_TEST_H

#include <stdlib.h>
#include <string.h>

#include <kmm/pool.h>

#include "tests/harness.h"

#define LAB_ALL_POLICIES(pol) for (int pol = 0; pol < KMM_POOL_NR_POLICIES; pol++)
#define LAB_ROUND64(n) (((n) + 63) & ~(size_t)63)

/* The config the tests use for @pol: defaults, 48-byte objects for fixed. */
static inline struct kmm_pool_config lab_cfg(int pol, bool outside)
{
	struct kmm_pool_config c = { .policy = (enum kmm_pool_policy)pol,
				     .flags = outside ? KMM_POOL_META_OUTSIDE : 0 };
	if (pol == KMM_POOL_FIXED)
		c.object_size = 48;
	return c;
}

struct tpool {
	struct kmm_pool p;
	void *region, *meta;
	size_t size, meta_size;
	int policy;
};

/* A pool of @size bytes for @c, on fresh memory; fails the test if init does. */
static inline void tpool_make(struct tpool *t, const struct kmm_pool_config *c, size_t size)
{
	memset(t, 0, sizeof(*t));
	t->size = size;
	t->policy = (int)c->policy;
	t->region = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	assert_true(t->region != NULL);
	if (c->flags & KMM_POOL_META_OUTSIDE) {
		t->meta_size = kmm_pool_meta_size(c, size);
		assert_true(t->meta_size > 0);
		t->meta = aligned_alloc(64, LAB_ROUND64(t->meta_size));
		assert_true(t->meta != NULL);
	}
	int ret = kmm_pool_init(&t->p, c, t->region, size, t->meta, t->meta_size);
	if (ret)
		kmm_test_fail(__FILE__, __LINE__, "init %s: %s", kmm_pool_policy_name(c->policy),
			      kmm_pool_error(&t->p));
	assert_eq(ret, 0);
	assert_eq(kmm_pool_check(&t->p), 0);
}

/* The checker passes; the memory goes back. */
static inline void tpool_done(struct tpool *t)
{
	if (kmm_pool_check(&t->p))
		kmm_test_fail(__FILE__, __LINE__, "%s: %s",
			      kmm_pool_policy_name((enum kmm_pool_policy)t->policy),
			      kmm_pool_error(&t->p));
	free(t->region);
	free(t->meta);
}

#endif /* KMM_TESTS_LAB_TEST_H */
