// SPDX-License-Identifier: MIT
/*
 * tests/slab_stamp.h - stamped objects for the threaded slab stress tests
 * (stress_slab, stress_slab_sheaf).
 *
 * Each test allocates from three caches of its own (caches[], kinds 0..2)
 * and from kmalloc (kind -1). Every live object carries a stamp in its first
 * and last words; a stamp that changed while the object was live means the
 * allocator handed it out twice. At the end the caches must hold exactly the
 * objects the test still has, and none once those are freed.
 */
#ifndef KMM_TESTS_SLAB_STAMP_H
#define KMM_TESTS_SLAB_STAMP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tests/slab_test.h"

struct obj {
	unsigned char *p;
	int kind;		/* cache index, or -1 for kmalloc */
	size_t size;		/* kmalloc's objects: the size asked for */
	uint64_t stamp;
};

static struct kmem_cache *caches[3];

/* The bytes @o may use: its cache's object size, or what kmalloc was asked for. */
static inline size_t obj_size(const struct obj *o)
{
	return o->kind >= 0 ? caches[o->kind]->object_size : o->size;
}

static inline void stamp(struct obj *o)
{
	size_t n = obj_size(o);
	memcpy(o->p, &o->stamp, 8);
	memcpy(o->p + n - 8, &o->stamp, 8);
}

static inline bool stamp_ok(const struct obj *o)
{
	uint64_t a, b;
	size_t n = obj_size(o);
	memcpy(&a, o->p, 8);
	memcpy(&b, o->p + n - 8, 8);
	return a == o->stamp && b == o->stamp;
}

/* How many of the @n objects at @o are of caches[] (not kmalloc's). */
static inline unsigned long objs_of_caches(const struct obj *o, int n)
{
	unsigned long nr = 0;

	for (int j = 0; j < n; j++)
		nr += o[j].kind >= 0;
	return nr;
}

/* Objects in use in caches[], counted after a shrink (CPU slabs flushed: exact counts). */
static inline unsigned long caches_objects_in_use(void)
{
	unsigned long nr = 0;

	for (int k = 0; k < 3; k++) {
		struct slab_counts sc;
		kmem_cache_shrink(caches[k]);
		slab_count(caches[k], &sc);
		nr += sc.nr_objs - sc.partial_free;
	}
	return nr;
}

/* Every cache of caches[] holds no object once shrunk; then each is destroyed. */
static inline void caches_expect_empty_and_destroy(void)
{
	for (int k = 0; k < 3; k++) {
		struct slab_counts sc;
		kmem_cache_shrink(caches[k]);
		slab_count(caches[k], &sc);
		expect_eq(sc.nr_objs - sc.partial_free, 0);
		kmem_cache_destroy(caches[k]);
	}
}

#endif /* KMM_TESTS_SLAB_STAMP_H */
