// SPDX-License-Identifier: MIT
/*
 * tests/integration_kmalloc_lazy.c - kmalloc_caches=lazy (mm/slab_common.c,
 * kmm only): boot makes the kmalloc-* caches alone; a kmalloc-rcl-* or
 * dma-kmalloc-* cache is made by the first kmalloc of its type and size.
 * The malloc shim boots so: it never asks for those 26 caches, whose
 * structures (a struct kmem_cache, a node, the CPUs' slots and sheaves)
 * every process paid for at start (docs/malloc-measured.md "Start cost").
 *
 * Covers: /proc/slabinfo and the kmem_cache objects after boot with and
 * without the option, on the shim's boot line; the first kmalloc of each
 * type making its cache (once), the object coming from it and, for GFP_DMA,
 * from ZONE_DMA; the checkers; the default is Linux's eager boot; a bad
 * value refused by name.
 */
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>

#include "mm/include/slab.h"
#include "mm/slab.h"
#include "mm/internal.h"
#include "tests/harness.h"
#include "tests/shim_line.h"

/* The shim's boot line for 4 CPUs, less @without (NULL: whole): tests/shim_line.h. */
static const char *shim_line(const char *without)
{
	static char line[512];

	return t_shim_line(line, sizeof(line), 4, without);
}


/* The number of caches /proc/slabinfo lists, and the kmem_cache row's active objects. */
static int nr_caches(struct kmm_machine *m, long *kmem_cache_objs)
{
	char *text = t_proc(m, "/proc/slabinfo");
	int n = 0;

	assert_true(text != NULL);
	for (const char *l = strchr(text, '\n'); l && l[1]; l = strchr(l + 1, '\n'))
		if (l[1] != '#')
			n++;
	const char *kc = strstr(text, "\nkmem_cache ");
	assert_true(kc != NULL);
	*kmem_cache_objs = strtol(kc + strlen("\nkmem_cache "), NULL, 10);
	free(text);
	return n;
}

static bool has_cache(struct kmm_machine *m, const char *name)
{
	char *text = t_proc(m, "/proc/slabinfo"), key[64];

	assert_true(text != NULL);
	snprintf(key, sizeof(key), "\n%s ", name);
	bool found = strstr(text, key) != NULL;
	free(text);
	return found;
}

TEST(lazy_boot_makes_only_the_normal_kmalloc_caches)
{
	struct kmm_machine *eager = kmm_boot(shim_line(" kmalloc_caches=lazy"));
	struct kmm_machine *lazy = kmm_boot(shim_line(NULL));
	long eager_objs, lazy_objs;

	assert_true(eager != NULL && lazy != NULL);
	int ne = nr_caches(eager, &eager_objs), nl = nr_caches(lazy, &lazy_objs);
	printf("  eager: %d caches, %ld kmem_cache objects; lazy: %d, %ld\n", ne, eager_objs, nl,
	       lazy_objs);
	/* 13 sizes (8..8k with 96 and 192) of two types are left out. */
	expect_eq(ne - nl, 26);
	/* Their struct kmem_cache objects (the row counts a CPU slab's objects as active). */
	expect_true(lazy_objs + 20 <= eager_objs);
	expect_true(has_cache(eager, "kmalloc-rcl-64") && has_cache(eager, "dma-kmalloc-64"));
	expect_true(!has_cache(lazy, "kmalloc-rcl-64") && !has_cache(lazy, "dma-kmalloc-64"));
	expect_true(has_cache(lazy, "kmalloc-64") && has_cache(lazy, "kmalloc-8k"));
	expect_eq(kmm_check(lazy), 0);
	kmm_shutdown(lazy);
	kmm_shutdown(eager);
}

TEST(lazy_caches_are_made_by_their_first_kmalloc)
{
	struct kmm_machine *m = kmm_boot(shim_line(NULL));
	long objs0, objs;

	assert_true(m != NULL);
	int n0 = nr_caches(m, &objs0);
	struct kmm_machine *old = kmm_use(m);

	/* A normal kmalloc makes nothing. */
	void *n = kmalloc(100, GFP_KERNEL);
	assert_true(n != NULL);
	expect_eq(nr_caches(m, &objs), n0);

	/* __GFP_RECLAIMABLE: kmalloc-rcl-128 is made, once, and serves both. */
	void *r1 = kmalloc(100, GFP_KERNEL | __GFP_RECLAIMABLE);
	void *r2 = kmalloc(120, GFP_KERNEL | __GFP_RECLAIMABLE);
	assert_true(r1 != NULL && r2 != NULL);
	expect_eq(nr_caches(m, &objs), n0 + 1);
	expect_true(objs >= objs0);
	expect_true(has_cache(m, "kmalloc-rcl-128"));
	expect_true(virt_to_cache_m(m, r1) != NULL && virt_to_cache_m(m, r1) == virt_to_cache_m(m, r2));
	expect_true(!strcmp(virt_to_cache_m(m, r1)->name, "kmalloc-rcl-128"));

	/* GFP_DMA: dma-kmalloc-96 is made, and its slabs come from ZONE_DMA. */
	void *d = kmalloc(80, GFP_KERNEL | __GFP_DMA);
	assert_true(d != NULL);
	expect_eq(nr_caches(m, &objs), n0 + 2);
	expect_true(!strcmp(virt_to_cache_m(m, d)->name, "dma-kmalloc-96"));
	expect_eq(page_zonenum(virt_to_page(d)), ZONE_DMA);
	expect_eq(kmm_check(m), 0);

	kfree(d);
	kfree(r2);
	kfree(r1);
	kfree(n);
	expect_eq(kmm_check(m), 0);
	kmm_use(old);
	kmm_shutdown(m);
}

TEST(eager_is_the_default_and_linux_boot)
{
	struct kmm_machine *dflt = kmm_boot("mem=128M");
	struct kmm_machine *eager = kmm_boot("mem=128M kmalloc_caches=eager");

	assert_true(dflt != NULL && eager != NULL);
	char *a = t_proc(dflt, "/proc/slabinfo"), *b = t_proc(eager, "/proc/slabinfo");
	assert_true(a != NULL && b != NULL);
	expect_true(!strcmp(a, b));
	expect_str_contains(a, "\ndma-kmalloc-8k ");
	free(a);
	free(b);
	kmm_shutdown(eager);
	kmm_shutdown(dflt);
}

TEST(kmalloc_caches_bad_value_is_refused_by_name)
{
	struct kmm_machine *m = kmm_boot("mem=128M kmalloc_caches=sometimes");

	expect_true(m == NULL);
	expect_str_contains(kmm_last_error(), "kmalloc_caches");
	expect_str_contains(kmm_last_error(), "expected eager or lazy, not 'sometimes'");
}
