// SPDX-License-Identifier: MIT
/*
 * tests/unit_slab_granule.c - slab_shadow_granule=16 (mm/slub_machine.c,
 * kmm only): one shadow byte per 16 bytes of the direct map instead of per
 * 8, every cache's objects 16-byte aligned. The malloc shim boots so.
 *
 * Covers: the shadow's size and every cache's alignment and stride with
 * and without the option (with it no kmalloc-8 cache: sizes 1..8 take
 * kmalloc-16, as in Linux when KMALLOC_MIN_SIZE is 16, also for a lazy
 * type's first kmalloc; without it kmalloc-8's objects are 8 bytes apart);
 * a pointer 8 bytes into an object - which shares the object's
 * shadow byte under a 16-byte granule - refused by every free (kfree,
 * kmem_cache_free, kfree_fast, kmm_kfree_verdict), in caches with and
 * without sheaves, the object staying allocated; double frees still
 * caught; nothing handed out twice; the checkers; a bad value refused by
 * name.
 */
#include <errno.h>
#include <stdlib.h>

#include "mm/include/slab.h"
#include "mm/slab.h"
#include "mm/internal.h"
#include "tests/harness.h"
#include "tests/slab_bytes.h"

#define LINE "mem=128M nr_cpus=2 debug_checks=off kmalloc_caches=lazy"

struct align_seen {
	unsigned int min_align, bad_size;
};

static int note_cache(struct kmem_cache *s, void *arg)
{
	struct align_seen *a = arg;

	if (s->align < a->min_align)
		a->min_align = s->align;
	if (s->size % 16)
		a->bad_size++;
	return 0;
}

TEST(granule_16_halves_the_shadow_and_aligns_every_cache)
{
	struct kmm_machine *m8 = kmm_boot(LINE);
	struct kmm_machine *m16 = kmm_boot(LINE " slab_shadow_granule=16");

	assert_true(m8 != NULL && m16 != NULL);
	expect_eq(kmm_slab_shadow_shift(m8), 3);
	expect_eq(kmm_slab_shadow_shift(m16), 4);
	/* The same direct map: half the bytes of shadow (each reservation has one byte more). */
	expect_eq(slab_state(m16)->shadow_len - 1, (slab_state(m8)->shadow_len - 1) / 2);

	struct align_seen a8 = { ~0u, 0 }, a16 = { ~0u, 0 };
	kmem_cache_for_each(m8, note_cache, &a8);
	kmem_cache_for_each(m16, note_cache, &a16);
	expect_eq(a8.min_align, 8);	/* kmalloc-8 */
	expect_eq(a16.min_align, 16);
	expect_eq(a16.bad_size, 0);

	struct kmm_machine *old = kmm_use(m16);
	char *x = kmalloc(8, GFP_KERNEL), *y = kmalloc(8, GFP_KERNEL);
	assert_true(x != NULL && y != NULL);
	expect_true(!strcmp(virt_to_cache_m(m16, x)->name, "kmalloc-16"));
	expect_eq(virt_to_cache_m(m16, x)->size, 16);
	expect_true(kmm_find_cache(m16, "kmalloc-8") == NULL);
	expect_eq((uintptr_t)x % 16, 0);
	expect_eq((uintptr_t)y % 16, 0);
	/* A lazy type's first kmalloc of 1..8 bytes makes its 16-byte cache, once, for both. */
	char *r8 = kmalloc(8, GFP_KERNEL | __GFP_RECLAIMABLE);
	char *r16 = kmalloc(16, GFP_KERNEL | __GFP_RECLAIMABLE);
	assert_true(r8 != NULL && r16 != NULL);
	expect_true(!strcmp(virt_to_cache_m(m16, r8)->name, "kmalloc-rcl-16"));
	expect_true(virt_to_cache_m(m16, r16) == virt_to_cache_m(m16, r8));
	expect_true(kmm_find_cache(m16, "kmalloc-rcl-8") == NULL);
	kfree(r16);
	kfree(r8);
	kfree(y);
	kfree(x);
	kmm_use(m8);
	x = kmalloc(8, GFP_KERNEL);
	assert_true(x != NULL);
	expect_true(!strcmp(virt_to_cache_m(m8, x)->name, "kmalloc-8"));
	expect_eq(virt_to_cache_m(m8, x)->size, 8);
	kfree(x);
	expect_eq(kmm_check(m8), 0);
	expect_eq(kmm_check(m16), 0);
	kmm_use(old);
	kmm_shutdown(m16);
	kmm_shutdown(m8);
}

/*
 * Every way to free @p + 8, a pointer inside a live object @p of @s that
 * shares its shadow byte: refused, reported, @p still allocated.
 */
static void refuse_inside(struct kmm_machine *m, struct kmem_cache *s, char *p)
{
	char why[128];

	expect_true(!kfree_fast(m, p + 8));
	expect_eq(kmm_kfree_verdict(m, NULL, p + 8, why, sizeof(why)), -EINVAL);
	expect_str_contains(why, "not the start of an object");
	kmem_cache_free(s, p + 8);
	expect_str_contains(t_dmesg(m), "Invalid object pointer (not an object start)");
	expect_str_contains(t_dmesg(m), "is 8 bytes into object");
	kfree(p + 8);
	expect_eq(kmm_kfree_verdict(m, s, p, why, sizeof(why)), 0);
	expect_eq(kmm_check(m), 0);
}

static void frees_inside_a_granule(const char *extra)
{
	char line[256];

	snprintf(line, sizeof(line), LINE " slab_shadow_granule=16%s", extra);
	struct kmm_machine *m = kmm_boot(line);
	assert_true(m != NULL);
	struct kmm_machine *old = kmm_use(m);
	struct kmem_cache *plain = kmem_cache_create("granule-plain", 48, 0, 0, NULL);
	struct kmem_cache *coded = kmem_cache_create("granule-coded", 64, 0, 0, NULL);
	assert_true(plain != NULL && coded != NULL);
	/* plain: no shadow code (with sheaves it had one from creation), the struct page way. */
	slab_test_uncode(plain);
	/* A cache with a shadow code: kfree_fast() reads only the byte (the shim's classes). */
	expect_eq(kmem_cache_shadow_code(coded), 0);

	struct kmem_cache *caches[] = { plain, coded };
	for (size_t k = 0; k < ARRAY_SIZE(caches); k++) {
		struct kmem_cache *s = caches[k];
		char *p = kmem_cache_alloc(s, GFP_KERNEL);
		assert_true(p != NULL);
		expect_eq((uintptr_t)p % 16, 0);
		memset(p, 0x5a, s->object_size);
		refuse_inside(m, s, p);
		/* Still p's: freed once, then a second free is a double free. */
		kmem_cache_free(s, p);
		kmem_cache_free(s, p);
		expect_str_contains(t_dmesg(m), "Object already free");
		expect_eq(kmm_check(m), 0);

		/* Nothing handed out twice: 64 objects, all distinct, all 16-aligned. */
		char *objs[64];
		for (int i = 0; i < 64; i++) {
			objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
			assert_true(objs[i] != NULL);
			expect_eq((uintptr_t)objs[i] % 16, 0);
			for (int j = 0; j < i; j++)
				expect_true(objs[j] != objs[i]);
		}
		for (int i = 0; i < 64; i++)
			kmem_cache_free(s, objs[i]);
		expect_eq(kmm_check(m), 0);
	}
	kmem_cache_destroy(coded);
	kmem_cache_destroy(plain);
	expect_eq(kmm_check(m), 0);
	kmm_use(old);
	kmm_shutdown(m);
}

TEST(a_pointer_8_bytes_in_is_refused_without_sheaves)
{
	frees_inside_a_granule("");
}

TEST(a_pointer_8_bytes_in_is_refused_with_sheaves)
{
	frees_inside_a_granule(" slab_sheaves=on");
}

TEST(granule_bad_value_is_refused_by_name)
{
	struct kmm_machine *m = kmm_boot("mem=128M slab_shadow_granule=32");

	expect_true(m == NULL);
	expect_str_contains(kmm_last_error(), "slab_shadow_granule");
	expect_str_contains(kmm_last_error(), "expected 8 or 16, not '32'");
}
