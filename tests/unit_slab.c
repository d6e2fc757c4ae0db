// SPDX-License-Identifier: MIT
/*
 * tests/unit_slab.c - white-box tests of the slab allocator on a hand-built
 * x86_64 machine (tests/buddy_fake.h: 768 MiB, 2 CPUs, no boot layer), so
 * every number below can be worked out by hand from Linux's formulas.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "mm/include/vmstat.h"
#include "tests/slab_fake.h"

/* End of test: checker passes, every slab page back once the caches are drained. */
static void slab_done(struct kmm_machine *m, unsigned long baseline)
{
	slab_fake_check_drained(m, baseline);
	/* left: the slabs of kmem_cache and kmem_cache_node (every cache's structure) */
	expect_eq(global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B), slab_boot_cache_bytes(m));
	expect_eq(global_node_page_state(m, NR_SLAB_RECLAIMABLE_B), 0);
	slab_fake_stop(m);
}

TEST(kmalloc_cache_geometry_matches_linux_on_two_cpus)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	static const struct { const char *name; unsigned int size, objs, order; } want[] = {
		{ "kmalloc-8", 8, 512, 0 },     { "kmalloc-16", 16, 256, 0 },
		{ "kmalloc-32", 32, 128, 0 },   { "kmalloc-64", 64, 64, 0 },
		{ "kmalloc-96", 96, 42, 0 },    { "kmalloc-128", 128, 32, 0 },
		{ "kmalloc-192", 192, 21, 0 },  { "kmalloc-256", 256, 16, 0 },
		{ "kmalloc-512", 512, 16, 1 },  { "kmalloc-1k", 1024, 16, 2 },
		{ "kmalloc-2k", 2048, 16, 3 },  { "kmalloc-4k", 4096, 8, 3 },
		{ "kmalloc-8k", 8192, 4, 3 },   { "kmalloc-rcl-64", 64, 64, 0 },
		{ "dma-kmalloc-512", 512, 16, 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		struct kmem_cache *s = kmm_find_cache(m, want[i].name);
		assert_true(s != NULL);
		expect_eq(s->size, want[i].size);
		expect_eq(s->objects, want[i].objs);
		expect_eq(s->order, want[i].order);
	}
	/* min_partial = clamp(ilog2(size)/2, 5, 10) */
	expect_eq(kmm_find_cache(m, "kmalloc-8")->min_partial, 5);
	expect_eq(kmm_find_cache(m, "kmalloc-8k")->min_partial, 6);
	slab_done(m, base);
}

TEST(kmalloc_size_classes_and_types)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	static const struct { size_t req; size_t ks; } cls[] = {
		{ 1, 8 }, { 8, 8 }, { 9, 16 }, { 33, 64 }, { 65, 96 }, { 96, 96 }, { 97, 128 },
		{ 129, 192 }, { 192, 192 }, { 193, 256 }, { 1000, 1024 }, { 4097, 8192 },
		{ 8192, 8192 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cls); i++) {
		void *p = kmalloc(cls[i].req, GFP_KERNEL);
		assert_true(p != NULL);
		expect_eq(ksize(p), cls[i].ks);
		memset(p, 0x11, cls[i].req);
		kfree(p);
	}
	expect_true(kmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR);
	kfree(ZERO_SIZE_PTR);
	kfree(NULL);

	/* > 8 KiB: a compound block from the page allocator, counted as slab. */
	unsigned long unrecl = global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B);
	void *big = kmalloc(8193, GFP_KERNEL);
	assert_true(big != NULL);
	expect_eq(ksize(big), 16384);
	expect_eq(global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B), unrecl + 16384);
	struct page *head = compound_head(virt_to_page(big));
	expect_true(PageHead(head) && !PageSlab(head));
	kfree(big);
	expect_eq(global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B), unrecl);
	expect_true(kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL) == NULL);

	/* GFP_DMA -> dma-kmalloc-*, a ZONE_DMA page; __GFP_RECLAIMABLE -> kmalloc-rcl-*. */
	void *d = kmalloc(64, GFP_KERNEL | GFP_DMA);
	assert_true(d != NULL);
	struct slab *ds = virt_to_slab_m(m, d);
	expect_true(!strcmp(ds->slab_cache->name, "dma-kmalloc-64"));
	expect_eq(page_zonenum(slab_page(ds)), ZONE_DMA);
	void *r = kmalloc(100, GFP_KERNEL | __GFP_RECLAIMABLE);
	expect_true(!strcmp(virt_to_slab_m(m, r)->slab_cache->name, "kmalloc-rcl-128"));
	expect_eq(global_node_page_state(m, NR_SLAB_RECLAIMABLE_B), 4096);
	kfree(d);
	kfree(r);
	slab_done(m, base);
}

TEST(kmalloc_family_helpers)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);

	char *s = kstrdup("hello, slab", GFP_KERNEL);
	expect_true(s && !strcmp(s, "hello, slab"));
	char *n = kstrndup("abcdef", 3, GFP_KERNEL);
	expect_true(n && !strcmp(n, "abc"));
	int v[4] = { 1, 2, 3, 4 };
	int *dup = kmemdup(v, sizeof(v), GFP_KERNEL);
	expect_true(dup && dup[3] == 4);
	unsigned char *z = kzalloc(200, GFP_KERNEL);
	bool zero = true;
	for (int i = 0; i < 200; i++)
		zero &= z[i] == 0;
	expect_true(zero);
	expect_true(kcalloc(SIZE_MAX / 2, 4, GFP_KERNEL) == NULL);
	expect_true(kmalloc_array(SIZE_MAX / 8, 16, GFP_KERNEL) == NULL);
	int *arr = kcalloc(10, sizeof(int), GFP_KERNEL);
	expect_true(arr && arr[9] == 0);

	/* krealloc keeps the contents, grows across classes, shrinks in place. */
	char *p = kmalloc(10, GFP_KERNEL);
	memcpy(p, "0123456789", 10);
	char *q = krealloc(p, 5000, GFP_KERNEL);
	assert_true(q != NULL);
	expect_true(!memcmp(q, "0123456789", 10));
	expect_eq(ksize(q), 8192);
	char *q2 = krealloc(q, 100, GFP_KERNEL);
	expect_true(q2 == q);
	expect_true(krealloc(q2, 0, GFP_KERNEL) == ZERO_SIZE_PTR);

	/* kfree_sensitive zeroes the whole object before freeing it. */
	unsigned char *secret = kmalloc(32, GFP_KERNEL);
	memset(secret, 0x42, 32);
	kfree_sensitive(secret);
	/* The object is free now; only its free pointer word may be non-zero. */
	unsigned int fp = kmm_find_cache(m, "kmalloc-32")->offset;
	int nonzero = 0;
	for (unsigned int i = 0; i < 32; i++)
		if (i < fp || i >= fp + 8)
			nonzero += secret[i] == 0x42;
	expect_eq(nonzero, 0);

	kfree(s);
	kfree(n);
	kfree(dup);
	kfree(z);
	kfree(arr);
	slab_done(m, base);
}

static int ctor_calls;
static void count_ctor(void *p)
{
	ctor_calls++;
	memset(p, 0x77, 24);
}

TEST(cache_lifecycle_full_partial_empty_back_to_buddy)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	/* 256-byte objects: order 0, 16 per slab. */
	struct kmem_cache *s = kmem_cache_create("lifecycle", 256, 0, 0, NULL);
	void *objs[16 * 8];
	struct slab_counts sc;

	assert_true(s != NULL);
	expect_eq(s->objects, 16);
	for (int i = 0; i < 16 * 8; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		assert_true(objs[i] != NULL);
	}
	slab_count(s, &sc);
	expect_eq(sc.nr_slabs, 8);
	expect_eq(sc.nr_full, 7);	/* the eighth is the cpu slab */
	expect_eq(sc.nr_cpu, 1);
	expect_eq(sc.nr_objs, 128);
	expect_eq(sc.active_objs, 128);
	expect_eq(slub_check(m), 0);

	/*
	 * Free one object of the first slab: full -> this CPU's partial list
	 * (Linux's put_cpu_partial); /proc/slabinfo still counts all its
	 * objects active (only the node lists' free objects are subtracted).
	 */
	expect_eq(s->cpu_partial_slabs, 7);	/* 52 objects * 2 / 16 per slab, rounded up */
	kmem_cache_free(s, objs[0]);
	slab_count(s, &sc);
	expect_eq(sc.nr_full, 6);
	expect_eq(sc.nr_partial, 0);
	expect_eq(sc.nr_cpu_partial, 1);
	expect_eq(sc.active_objs, 128);
	/* Free the rest of the first slab: it stays on the CPU's list, empty. */
	for (int i = 1; i < 16; i++)
		kmem_cache_free(s, objs[i]);
	slab_count(s, &sc);
	expect_eq(sc.nr_empty, 0);
	expect_eq(sc.nr_cpu_partial, 1);
	expect_eq(sc.active_objs, 128);
	expect_eq(slub_check(m), 0);

	/* Free everything: the other six full slabs join it (7 = cpu_partial_slabs). */
	for (int i = 16; i < 128; i++)
		kmem_cache_free(s, objs[i]);
	slab_count(s, &sc);
	expect_eq(sc.nr_cpu_partial, 7);
	expect_eq(sc.nr_full, 0);
	expect_eq(sc.nr_slabs, 8);
	expect_eq(slub_check(m), 0);
	/* The shrink flushes them to the node and frees every empty slab. */
	expect_eq(kmem_cache_shrink(s), 0);
	slab_count(s, &sc);
	expect_eq(sc.nr_slabs, 0);
	kmem_cache_destroy(s);
	expect_true(kmm_find_cache(m, "lifecycle") == NULL);
	slab_done(m, base);
}

/*
 * A CPU's new slab is chained a page at a time (mm/slab.h, slab_fresh()):
 * its other objects stay untouched - on no chain, counted free on the CPU -
 * until the CPU's freelist runs dry, and go onto the slab's freelist when
 * it stops being the CPU's (a shrink). The checker and the counts hold at
 * every step; Linux's allocate_slab() (and kmm before) chained them all.
 */
TEST(a_new_cpu_slab_is_chained_a_page_at_a_time)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("lazy1k", 1024, 0, 0, NULL);
	static void *obj[64];
	struct slab_counts sc;

	assert_true(s != NULL && s->order >= 1 && s->objects <= 64);
	/* The objects whose free pointer lies in the first page (colour 0: the first slab). */
	unsigned int per_page = (unsigned int)((PAGE_SIZE - 1 - s->offset) / s->size) + 1;
	assert_true((obj[0] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, kmm_this_cpu(m));
	struct slab *slab = c->slab;
	assert_true(slab != NULL && per_page < s->objects);
	expect_eq(slab_fresh(slab), per_page);
	expect_eq(c->nr_free, s->objects - 1);	/* the untouched ones count as free */
	expect_eq(slub_check(m), 0);
	/* The first page's objects, then one more: the next page's are chained. */
	for (unsigned int i = 1; i <= per_page; i++)
		assert_true((obj[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	expect_true(obj[per_page] == (char *)obj[0] + (size_t)per_page * s->size);
	expect_eq(slab_fresh(slab), 2 * per_page);
	expect_eq(slub_check(m), 0);
	/* A shrink deactivates the slab: every free object onto its freelist. */
	expect_eq(kmem_cache_shrink(s), 1);
	expect_true(c->slab == NULL);
	expect_eq(slab_fresh(slab), s->objects);
	expect_eq(slab->inuse, per_page + 1);
	slab_count(s, &sc);
	expect_eq(sc.active_objs, per_page + 1);	/* /proc/slabinfo's, on the node's partial list */
	expect_eq(slub_check(m), 0);
	for (unsigned int i = per_page + 1; i < s->objects; i++)
		assert_true((obj[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	expect_eq(slub_check(m), 0);
	for (unsigned int i = 0; i < s->objects; i++)
		kmem_cache_free(s, obj[i]);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	slab_done(m, base);
}

/*
 * A free that empties a slab on a node's partial list: the node keeps the
 * empty slab only while it has fewer than min_partial partial slabs (Linux's
 * rule in __slab_free); beyond that the slab goes back to the buddy
 * allocator at once, its page free again.
 */
TEST(empty_slab_beyond_min_partial_goes_back_to_the_buddy_when_freed_into)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	/* 256-byte objects: order 0, 16 per slab, min_partial 5. */
	struct kmem_cache *s = kmem_cache_create("minpartial", 256, 0, 0, NULL);
	enum { SLABS = 10, PER = 16 };
	void *objs[SLABS * PER];
	struct slab_counts sc;

	assert_true(s != NULL);
	assert_eq(s->objects, PER);
	assert_eq(s->order, 0);
	expect_eq(s->min_partial, 5);
	for (int i = 0; i < SLABS * PER; i++)
		assert_true((objs[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	/* Slab k holds objs[k * PER .. k * PER + PER - 1]. */
	for (int i = 0; i < SLABS * PER; i++)
		assert_true(virt_to_slab_m(m, objs[i]) == virt_to_slab_m(m, objs[i / PER * PER]));
	/*
	 * One object of slabs 0..8 freed, then a shrink flushes the CPU's slab
	 * and partial list: nine partial slabs on the node, the tenth (the cpu
	 * slab, full) on no list.
	 */
	for (int k = 0; k < SLABS - 1; k++)
		kmem_cache_free(s, objs[k * PER]);
	expect_eq(kmem_cache_shrink(s), 1);	/* 1: slabs still hold objects */
	slab_count(s, &sc);
	expect_eq(sc.nr_slabs, SLABS);
	expect_eq(sc.nr_partial, SLABS - 1);
	expect_eq(sc.nr_full, 1);
	expect_eq(sc.nr_cpu + sc.nr_cpu_partial, 0);
	expect_eq(slub_check(m), 0);

	/*
	 * Empty slabs 0..3 one by one: each time the node still has 8, 7, 6 and
	 * 5 other partial slabs (>= min_partial), so the empty one is freed.
	 */
	for (int k = 0; k < 4; k++) {
		unsigned long free_before = slab_nr_free(m);
		long bytes = (long)global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B);

		for (int i = 1; i < PER; i++)
			kmem_cache_free(s, objs[k * PER + i]);
		slab_count(s, &sc);
		expect_eq(sc.nr_slabs, SLABS - 1 - k);
		expect_eq(sc.nr_empty, 0);
		expect_eq(sc.nr_partial, SLABS - 2 - k);
		expect_eq(slab_nr_free(m), free_before + 1);
		expect_eq((long)global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B),
			  bytes - (long)PAGE_SIZE);
		expect_eq(slub_check(m), 0);
	}
	/* Slab 4: four other partial slabs are left (< min_partial): kept, empty. */
	unsigned long free_before = slab_nr_free(m);

	for (int i = 1; i < PER; i++)
		kmem_cache_free(s, objs[4 * PER + i]);
	slab_count(s, &sc);
	expect_eq(sc.nr_slabs, SLABS - 4);
	expect_eq(sc.nr_empty, 1);
	expect_eq(sc.nr_partial, 4);
	expect_eq(slab_nr_free(m), free_before);
	expect_eq(slub_check(m), 0);

	for (int k = 5; k < SLABS; k++)
		for (int i = k == SLABS - 1 ? 0 : 1; i < PER; i++)
			kmem_cache_free(s, objs[k * PER + i]);
	expect_eq(kmem_cache_shrink(s), 0);
	slab_count(s, &sc);
	expect_eq(sc.nr_slabs, 0);
	kmem_cache_destroy(s);
	slab_done(m, base);
}

/*
 * A cache that keeps its empty slabs (kmem_cache_keep_empty(), the malloc
 * shim's): a slab that empties stays on the node's empty list whatever
 * min_partial says, its pages counted in the machine's st->empty_kept,
 * while that count stays within SLAB_KEEP_EMPTY_PAGES (4 MiB); beyond it
 * the slab goes back to the buddy allocator. The next refill takes a kept
 * slab, not a new one. kmem_cache_shrink() frees them and the count is 0
 * again. A cache with min_partial 0 alone keeps none.
 */
TEST(a_cache_that_keeps_empty_slabs_keeps_them_within_the_machine_budget)
{
	struct kmm_machine *m = slab_fake("");
	struct slab_machine *st = slab_state(m);
	unsigned long base = slab_nr_free(m);
	/* 256-byte objects: order 0, 16 per slab; 4 MiB and 64 slabs more emptied */
	enum { PER = 16, SLABS = (int)SLAB_KEEP_EMPTY_PAGES + 64 };
	struct kmem_cache *keep = kmem_cache_create("keep", 256, 0, 0, NULL);
	struct kmem_cache *none = kmem_cache_create("none", 256, 0, 0, NULL);
	void **objs = calloc((size_t)SLABS * PER, sizeof(*objs));
	struct slab_counts sc;

	assert_true(keep != NULL && none != NULL && objs != NULL);
	assert_eq(keep->objects, PER);
	assert_eq(keep->order, 0);
	kmem_cache_set_min_partial(keep, 0);
	kmem_cache_keep_empty(keep);
	kmem_cache_set_min_partial(none, 0);
	for (int round = 0; round < 2; round++) {
		struct kmem_cache *s = round ? none : keep;
		unsigned long free_before = slab_nr_free(m);

		for (int i = 0; i < SLABS * PER; i++)
			assert_true((objs[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
		for (int i = 0; i < SLABS * PER; i++)
			kmem_cache_free(s, objs[i]);
		flush_all(s);	/* the CPU's slab and partial list to the node */
		slab_count(s, &sc);
		expect_eq(sc.nr_empty, s == keep ? SLAB_KEEP_EMPTY_PAGES : 0);
		expect_eq(sc.nr_slabs, sc.nr_empty);
		expect_eq(st->empty_kept, SLAB_KEEP_EMPTY_PAGES);	/* keep's, both rounds */
		expect_eq(slab_nr_free(m), free_before - (s == keep ? SLAB_KEEP_EMPTY_PAGES : 0));
		expect_eq(slub_check(m), 0);
	}
	/* The next slabs keep needs are the kept ones: no page taken from the buddy. */
	unsigned long free_before = slab_nr_free(m);
	for (int i = 0; i < 8 * PER; i++)
		assert_true((objs[i] = kmem_cache_alloc(keep, GFP_KERNEL)) != NULL);
	expect_eq(slab_nr_free(m), free_before);
	expect_eq(st->empty_kept, SLAB_KEEP_EMPTY_PAGES - 8);
	expect_eq(slub_check(m), 0);
	for (int i = 0; i < 8 * PER; i++)
		kmem_cache_free(keep, objs[i]);
	expect_eq(kmem_cache_shrink(keep), 0);
	slab_count(keep, &sc);
	expect_eq(sc.nr_slabs, 0);
	expect_eq(st->empty_kept, 0);
	free(objs);
	kmem_cache_destroy(keep);
	kmem_cache_destroy(none);
	slab_done(m, base);
}

TEST(ctor_alignment_and_colouring)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);

	ctor_calls = 0;
	struct kmem_cache *s = kmem_cache_create("ctor24", 24, 0, SLAB_HWCACHE_ALIGN, count_ctor);
	assert_true(s != NULL);
	/* HWCACHE_ALIGN: 64 halves to 32 while 24 <= half of it; the free pointer goes after. */
	expect_eq(s->align, 32);
	expect_eq(s->size, 32);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);
	expect_eq(ctor_calls, (int)s->objects);
	expect_eq(p[0], 0x77);
	expect_eq((unsigned long)p % 32, 0);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);

	/* 1000-byte objects, order 2: 16 objects, 384 bytes left = 6 colours of 64. */
	struct kmem_cache *c = kmem_cache_create("colour", 1000, 8, 0, NULL);
	assert_true(c != NULL);
	expect_eq(c->order, 2);
	expect_eq(c->colour, (16384 - 16 * 1000) / 64);
	void *objs[16 * 3];
	unsigned int colours[3];
	for (int i = 0; i < 48; i++)
		objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
	for (int k = 0; k < 3; k++)
		colours[k] = virt_to_slab_m(m, objs[16 * k])->colour;
	expect_eq(colours[0], 0);
	expect_eq(colours[1], 64);
	expect_eq(colours[2], 128);
	for (int k = 0; k < 3; k++)	/* objects start at the colour offset */
		expect_eq((unsigned long)((char *)objs[16 * k] -
					  (char *)slab_address(virt_to_slab_m(m, objs[16 * k]))) %
				  1000,
			  colours[k] % 1000);
	for (int i = 0; i < 48; i++)
		kmem_cache_free(c, objs[i]);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(c);
	slab_done(m, base);
}

/*
 * kmem_cache_free() in a cache without sheaves (Linux 6.12's SLUB), this
 * thread's slot owned: an object between the first and the last object of
 * this CPU's cpu slab goes onto the cpu freelist with its struct page
 * unread (made to name another cache here, which the struct page way
 * reports as "Wrong slab cache"), claimed by the compare-exchange; a second
 * free loses it and is reported, and an object of another slab of the
 * cache takes the struct page way (__slab_free()).
 */
TEST(kmem_cache_free_pushes_a_cpu_slab_object_without_its_struct_page)
{
	struct kmm_machine *m = slab_fake_owned("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("cpu_push", 64, 0, 0, NULL);
	struct kmem_cache *t = kmem_cache_create("cpu_other", 64, 0, 0, NULL);

	assert_true(s != NULL && t != NULL && s->sheaf_capacity == 0);
	char *old = kmem_cache_alloc(s, GFP_KERNEL);
	assert_true(old != NULL);
	/* A slab's worth more: the cpu slab is another one by then. */
	void **more = calloc(s->objects + 1, sizeof(void *));
	assert_true(more != NULL);
	for (unsigned int i = 0; i <= s->objects; i++)
		assert_true((more[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, kmm_this_cpu(m));
	char *p = more[s->objects];
	struct slab *slab = virt_to_slab_m(m, p);
	assert_true(slab == c->slab && virt_to_slab_m(m, old) != slab);
	if (!m->cpu_lockless) {
		printf("  no owned CPU slot here: the fast path is not taken\n");
	} else {
		unsigned int nr_free = c->nr_free;
		WRITE_ONCE(slab->slab_cache, t);
		kmem_cache_free(s, p);
		WRITE_ONCE(slab->slab_cache, s);
		expect_true(c->freelist == p);
		expect_eq(c->nr_free, nr_free + 1);
		expect_eq(shadow_get(slab_state(m), m, p), SHADOW_FREE);
		expect_true(strstr(t_dmesg(m), "Wrong slab cache") == NULL);
		kmem_cache_free(s, p);		/* a double free */
		expect_str_contains(t_dmesg(m), "Object already free");
		expect_true(c->freelist == p);
		expect_eq(c->nr_free, nr_free + 1);
		expect_eq(slub_check(m), 0);
		more[s->objects] = NULL;
	}
	kmem_cache_free(s, old);	/* another slab's */
	expect_eq(shadow_get(slab_state(m), m, old), SHADOW_FREE);
	expect_eq(slub_check(m), 0);
	for (unsigned int i = 0; i <= s->objects; i++)
		kmem_cache_free(s, more[i]);
	free(more);
	kmem_cache_destroy(t);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);
}

TEST(bad_frees_are_reported_and_ignored_without_debug)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("victim", 64, 0, 0, NULL);
	struct kmem_cache *t = kmem_cache_create("other", 64, 0, 0, NULL);
	char *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL);

	/* Double free: a then b then a again (not just the freelist head). */
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	kmem_cache_free(s, a);
	expect_str_contains(t_dmesg(m), "BUG victim (Not tainted): Object already free");
	expect_str_contains(t_dmesg(m), "FIX victim: Object at 0x");
	expect_eq(slub_check(m), 0);

	/* A pointer inside an object. */
	char *c = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, c + 8);
	expect_str_contains(t_dmesg(m), "Invalid object pointer (not an object start)");
	expect_str_contains(t_dmesg(m), "is 8 bytes into object");
	/* The wrong cache. */
	kmem_cache_free(t, c);
	expect_str_contains(t_dmesg(m), "Wrong slab cache. other but object is from victim");
	expect_eq(slub_check(m), 0);
	kfree(c + 1);
	kmem_cache_free(s, c);
	/* Nothing was handed out twice. */
	void *x = kmem_cache_alloc(s, GFP_KERNEL), *y = kmem_cache_alloc(s, GFP_KERNEL);
	expect_true(x != y);
	kmem_cache_free(s, x);
	kmem_cache_free(s, y);
	kmem_cache_destroy(s);
	kmem_cache_destroy(t);
	slab_done(m, base);
}

TEST(destroy_with_objects_reports_them)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("leaky", 128, 0, 0, NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_destroy(s);
	expect_str_contains(t_dmesg(m), "kmem_cache_destroy leaky: Slab cache still has objects");
	expect_str_contains(t_dmesg(m), "Objects remaining in leaky on __kmem_cache_shutdown()");
	expect_true(kmm_find_cache(m, "leaky") == s);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
	expect_true(kmm_find_cache(m, "leaky") == NULL);
	slab_done(m, base);
}

TEST(create_rejects_bad_arguments_and_panic_is_logged)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);

	expect_true(kmem_cache_create(NULL, 8, 0, 0, NULL) == NULL);
	expect_true(kmem_cache_create("zero", 0, 0, 0, NULL) == NULL);
	expect_str_contains(kmm_last_error(), "size 0");
	expect_true(kmem_cache_create("align", 32, 3, 0, NULL) == NULL);
	expect_str_contains(kmm_last_error(), "align 3");
	expect_true(kmem_cache_create("kmalloc-64", 64, 0, 0, NULL) == NULL);
	expect_true(kmem_cache_create("huge", 8u << 20, 0, SLAB_PANIC, NULL) == NULL);
	expect_str_contains(t_dmesg(m), "Kernel panic - not syncing: kmem_cache_create: "
					  "Failed to create slab 'huge'. Error -22");
	expect_true(slab_state(m)->panicked);
	slab_done(m, base);
}

TEST(bulk_and_node_alloc)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("bulk", 100, 0, 0, NULL);
	void *p[100];

	for (int round = 0; round < 3; round++) {
		gfp_t gfp = round == 1 ? GFP_KERNEL | __GFP_ZERO : GFP_KERNEL;
		expect_eq(kmem_cache_alloc_bulk(s, gfp, 100, p), 100);
		for (int i = 0; i < 100; i++) {
			for (int j = i + 1; j < 100; j++)
				assert_true(p[i] != p[j]);
			if (round == 1)
				expect_eq(((unsigned char *)p[i])[57], 0);
			memset(p[i], 0xee, 100);
		}
		expect_eq(slub_check(m), 0);
		kmem_cache_free_bulk(s, 100, p);
	}
	/* A bulk free with a duplicate and a stranger: both reported, the rest freed. */
	struct kmem_cache *t = kmem_cache_create("stranger", 100, 0, 0, NULL);
	void *x = kmem_cache_alloc(s, GFP_KERNEL), *y = kmem_cache_alloc(t, GFP_KERNEL);
	void *mix[3] = { x, x, y };
	kmem_cache_free_bulk(s, 3, mix);
	expect_str_contains(t_dmesg(m), "BUG bulk (Not tainted): Object already free");
	expect_str_contains(t_dmesg(m), "is not in cache bulk; not freed");
	expect_eq(slub_check(m), 0);
	kmem_cache_free(t, y);
	kmem_cache_destroy(t);
	void *q = kmem_cache_alloc_node(s, GFP_KERNEL, 0);
	expect_true(q != NULL);
	expect_true(kmem_cache_alloc_node(s, GFP_KERNEL, 5) == NULL);
	kmem_cache_free(s, q);
	void *z = kmem_cache_zalloc(s, GFP_KERNEL);
	expect_true(z && ((char *)z)[99] == 0);
	kmem_cache_free(s, z);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	slab_done(m, base);
}

TEST(typesafe_by_rcu_frees_pages_after_the_grace_period)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("rcu", 512, 0, SLAB_TYPESAFE_BY_RCU, NULL);
	void *p[32];

	for (int i = 0; i < 32; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	strcpy(p[0], "still readable");
	for (int i = 0; i < 32; i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_shrink(s);
	/* The slabs left the cache but wait for the grace period. */
	expect_true(slab_nr_free(m) < base);
	expect_true(!strcmp(p[0], "still readable"));	/* type-safe: not reused, not freed */
	kmm_synchronize_rcu(m);
	expect_eq(slab_nr_free(m), base);
	kmem_cache_destroy(s);
	slab_done(m, base);
}

/*
 * A free pointer overwritten with an address inside the cpu slab that is not
 * an object start: the fast path must not hand it out as an overlapping
 * block (it did: only the range was checked, not the object boundary).
 */
TEST(misaligned_free_pointer_is_never_handed_out)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("misaligned", 96, 0, 0, NULL);
	char *a = kmem_cache_alloc(s, GFP_KERNEL);
	char *b = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, b);
	kmem_cache_free(s, a);	/* a -> b on the cpu freelist */
	*(void **)(a + s->offset) = b + 8;	/* inside the slab, not an object */
	char *x = kmem_cache_alloc(s, GFP_KERNEL);
	char *y = kmem_cache_alloc(s, GFP_KERNEL);
	expect_true(x == a);
	expect_true(y != NULL && y != b + 8);
	expect_eq((unsigned long)(y - a) % s->size, 0);
	expect_str_contains(t_dmesg(m), "BUG misaligned (Not tainted): Freepointer corrupt");
	expect_eq(slub_check(m), 0);
	kmem_cache_free(s, x);
	kmem_cache_free(s, y);
	kmem_cache_destroy(s);
	slab_done(m, base);
}

TEST(hardened_freelist_encodes_pointers_and_catches_corruption)
{
	struct kmm_machine *m = slab_fake("slab_freelist_hardened=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("hard", 64, 0, 0, NULL);
	char *a = kmem_cache_alloc(s, GFP_KERNEL);
	char *b = kmem_cache_alloc(s, GFP_KERNEL);

	expect_ne(s->random, 0);
	kmem_cache_free(s, b);
	kmem_cache_free(s, a);	/* a -> b on the cpu freelist */
	unsigned long stored = *(unsigned long *)(a + s->offset);
	expect_ne(stored, (unsigned long)b);
	/* Write after free over the free pointer: the next allocations notice. */
	*(unsigned long *)(a + s->offset) = 0x4141414141414141UL;
	void *x = kmem_cache_alloc(s, GFP_KERNEL);
	void *y = kmem_cache_alloc(s, GFP_KERNEL);
	expect_true(x == a);
	expect_true(y != NULL && y != a);
	expect_str_contains(t_dmesg(m), "BUG hard (Not tainted): Freepointer corrupt");
	expect_str_contains(t_dmesg(m), "FIX hard: Rebuilt the freelist");
	expect_eq(slub_check(m), 0);
	kmem_cache_free(s, x);
	kmem_cache_free(s, y);
	kmem_cache_destroy(s);
	slab_done(m, base);
}

TEST(random_freelist_shuffles_object_order)
{
	struct kmm_machine *m = slab_fake("slab_freelist_random=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("shuffled", 64, 0, 0, NULL);
	char *p[64];
	int ascending = 0;

	for (int i = 0; i < 64; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 1; i < 64; i++)
		ascending += p[i] == p[i - 1] + 64;
	expect_true(ascending < 32);
	for (int i = 0; i < 64; i++)
		kmem_cache_free(s, p[i]);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	slab_done(m, base);
}

TEST(slabinfo_and_sysfs_views)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("view", 200, 0, 0, NULL);
	void *p[30];
	struct strbuf sb;

	for (int i = 0; i < 30; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	/* 200 bytes: order 0 wastes 4096 % 200 = 96 <= 4096/16, so 20 objects per page. */
	sb_init(&sb);
	extern int slabinfo_show(struct kmm_machine *, struct strbuf *);
	extern int slab_sysfs_show(struct kmm_machine *, const char *, struct strbuf *);
	slabinfo_show(m, &sb);
	static const char header[] =
		"slabinfo - version: 2.1\n# name            <active_objs> "
		"<num_objs> <objsize> <objperslab> <pagesperslab> : tunables "
		"<limit> <batchcount> <sharedfactor> : slabdata <active_slabs> "
		"<num_slabs> <sharedavail>\n";
	expect_true(!strncmp(sb.buf, header, strlen(header)));
	char line[200];
	snprintf(line, sizeof(line), "%-17s %6lu %6lu %6u %4u %4d : tunables    0    0    0 : "
		 "slabdata %6lu %6lu      0\n", "view", 40UL, 40UL, s->size, s->objects,
		 1 << s->order, 40UL / s->objects, 40UL / s->objects);
	expect_eq(s->objects, 20);
	expect_str_contains(sb.buf, line);
	/* The first line after the header is the newest cache. */
	expect_true(!strncmp(sb.buf + strlen(header), "view ", 5));
	sb_free(&sb);
	sb_init(&sb);
	slab_sysfs_show(m, "view/objs_per_slab", &sb);
	expect_true(!strcmp(sb.buf, "20\n"));
	sb_free(&sb);
	sb_init(&sb);
	slab_sysfs_show(m, "view/partial", &sb);
	expect_true(!strcmp(sb.buf, "0\n"));
	sb_free(&sb);
	sb_init(&sb);
	slab_sysfs_show(m, "view/cpu_slabs", &sb);
	expect_true(!strcmp(sb.buf, "1 N0=1\n"));
	sb_free(&sb);
	sb_init(&sb);
	slab_sysfs_show(m, "view/kmm_picture", &sb);
	expect_str_contains(sb.buf, "full: 1");
	expect_str_contains(sb.buf, "cpu0: slab pfn");
	sb_free(&sb);
	for (int i = 0; i < 30; i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_destroy(s);
	slab_done(m, base);
}

/* A fake shrinker holding N objects it frees on request. */
static unsigned long fake_objects;
static unsigned long fake_count(struct shrinker *s, struct shrink_control *sc)
{
	return fake_objects ? fake_objects : SHRINK_EMPTY;
}
static unsigned long fake_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long n = KMM_MIN(sc->nr_to_scan, fake_objects);
	if (!fake_objects)
		return SHRINK_STOP;
	fake_objects -= n;
	return n;
}

TEST(shrinker_count_scan_semantics)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct shrinker sh = { .count_objects = fake_count, .scan_objects = fake_scan,
			       .seeks = DEFAULT_SEEKS };

	expect_eq(register_shrinker(&sh, "fake"), 0);
	expect_eq(register_shrinker(&sh, "fake"), -EBUSY);
	fake_objects = 4096;
	/* priority 12: delta = (4096 >> 12) * 4 / 2 = 2 < batch 128: deferred, nothing freed */
	expect_eq(shrink_slab(m, GFP_KERNEL, 0, 12), 0);
	expect_eq(sh.nr_deferred, 2);
	/* priority 0: delta = 4096 * 2, capped at 2 * freeable; scans everything in batches */
	expect_eq(shrink_slab(m, GFP_KERNEL, 0, 0), 4096);
	expect_eq(fake_objects, 0);
	expect_eq(sum_vm_event(m, SLABS_SCANNED), 4096);
	unregister_shrinker(&sh);
	fake_objects = 100;
	expect_eq(shrink_slab(m, GFP_KERNEL, 0, 0), 0);
	slab_done(m, base);
}

/*
 * A slab linked into a list twice makes a loop that never comes back to the
 * list's head. The checker walks the lists holding every CPU slot and list
 * lock, so a walk that never ended would hang every thread of the machine
 * (stress_slab_owned did so in a TSan build, where a list byte store was
 * lost): the walks are bounded and a loop is a check failure.
 */
TEST(checker_reports_a_loop_in_a_slab_list)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("loop", 256, 0, 0, NULL);
	void *objs[16 * 4];

	assert_true(s != NULL);
	expect_eq(s->objects, 16);
	for (int i = 0; i < 16 * 4; i++)
		assert_true((objs[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	/* One free into each of the first two (full) slabs: both on this CPU's partial list. */
	kmem_cache_free(s, objs[0]);
	kmem_cache_free(s, objs[16]);
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, kmm_this_cpu(m));
	assert_eq(c->nr_partial, 2);
	expect_eq(slub_check(m), 0);

	struct list_head *last = c->partial.prev;
	last->next = c->partial.next;		/* the last slab leads back to the first */
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "partial list holds more than cpu_partial_slabs");
	last->next = &c->partial;
	expect_eq(slub_check(m), 0);

	/* The same on the node: both slabs, partial, go there. */
	flush_all(s);
	struct kmem_cache_node *n = s->node[0];
	assert_eq(n->nr_partial, 2);
	last = n->partial.prev;
	last->next = n->partial.next;
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "node 0's lists hold more slabs than its");
	last->next = &n->partial;
	expect_eq(slub_check(m), 0);

	for (int i = 0; i < 16 * 4; i++)
		if (i != 0 && i != 16)
			kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);
	slab_done(m, base);
}

TEST(checker_catches_a_broken_count)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("broken", 64, 0, 0, NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	expect_eq(slub_check(m), 0);
	s->node[0]->nr_slabs++;
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "slab check: broken: node 0 has 2 slabs, found 1");
	s->node[0]->nr_slabs--;
	virt_to_slab_m(m, p)->inuse--;
	expect_eq(slub_check(m), -EUCLEAN);
	virt_to_slab_m(m, p)->inuse++;
	/* A full slab is on no list: the frame walk must find it, and find it sound. */
	void *q[64];
	for (int i = 0; i < 64; i++)
		assert_true((q[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	struct slab *full = virt_to_slab_m(m, p);
	expect_eq(slab_list_id(full), SLAB_LIST_FULL_OFF);
	expect_eq(slub_check(m), 0);
	slab_set_list(full, SLAB_LIST_NONE);		/* lost: counted, found nowhere */
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "slab check: broken: node 0 has 2 slabs, found 1");
	slab_set_list(full, SLAB_LIST_FULL_OFF);
	s->node[0]->nr_slabs--;				/* found, not counted */
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "slab check: broken: node 0 has 1 slabs, found 2");
	s->node[0]->nr_slabs++;
	shadow_set(slab_state(m), m, p, SHADOW_FREE);	/* an object of a full slab not allocated */
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "shadow says free but it is on no freelist");
	shadow_set(slab_state(m), m, p, SHADOW_ALLOCATED);
	expect_eq(slub_check(m), 0);
	for (int i = 0; i < 64; i++)
		kmem_cache_free(s, q[i]);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
	slab_done(m, base);
}

TEST(huge_objects_take_one_high_order_slab_each)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("huge", 1u << 20, 0, 0, NULL);
	void *p[3];

	assert_true(s != NULL);
	expect_eq(s->order, 8);
	expect_eq(s->objects, 1);
	for (int i = 0; i < 3; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		assert_true(p[i] != NULL);
		memset(p[i], i, 1u << 20);
	}
	expect_eq(slub_check(m), 0);
	for (int i = 0; i < 3; i++)
		kmem_cache_free(s, p[i]);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	struct kmem_cache *t = kmem_cache_create("max", KMALLOC_MAX_SIZE, 0, 0, NULL);
	assert_true(t != NULL);
	expect_eq(t->order, 10);
	void *q = kmem_cache_alloc(t, GFP_KERNEL);
	expect_true(q != NULL);
	kmem_cache_free(t, q);
	kmem_cache_destroy(t);
	slab_done(m, base);
}

/* The order and object count of cache @name on @m. */
static void expect_geometry(struct kmm_machine *m, const char *name, unsigned int order,
			    unsigned int objects)
{
	struct kmem_cache *s = kmm_find_cache(m, name);

	assert_true(s != NULL);
	if (s->order != order || s->objects != objects)
		kmm_test_fail(__FILE__, __LINE__, "%s on \"%s\": order %u, %u objects; want %u, %u",
			      name, m->cmdline, s->order, s->objects, order, objects);
}

/*
 * slab_max_order= (Linux's, and its older name slub_max_order=) caps the
 * order calculate_order() picks; only an object bigger than a slab of that
 * order gets more, the smallest order it fits in. Above MAX_PAGE_ORDER it is
 * MAX_PAGE_ORDER, as Linux clamps it; a value that is no number fails the
 * boot, named. Each figure follows from Linux's formula with 2 CPUs
 * (at least 12 objects a slab where the cap allows).
 */
TEST(slab_max_order_caps_the_order_of_new_caches)
{
	struct kmm_machine *m = kmm_boot("mem=128M slab_max_order=1");

	assert_true(m != NULL);
	kmm_use(m);
	expect_geometry(m, "kmalloc-512", 1, 16);	/* as without the cap */
	expect_geometry(m, "kmalloc-1k", 1, 8);	/* order 2 without it */
	expect_geometry(m, "kmalloc-2k", 1, 4);	/* 3 */
	expect_geometry(m, "kmalloc-4k", 1, 2);
	expect_geometry(m, "kmalloc-8k", 1, 1);
	struct kmem_cache *big = kmem_cache_create("big20k", 20000, 0, 0, NULL);
	assert_true(big != NULL);
	expect_eq(big->order, 3);	/* one object needs 5 pages */
	expect_eq(big->objects, 1);
	kmem_cache_destroy(big);
	kmm_shutdown(m);

	m = kmm_boot("mem=128M slub_max_order=0");
	assert_true(m != NULL);
	expect_geometry(m, "kmalloc-256", 0, 16);
	expect_geometry(m, "kmalloc-512", 0, 8);
	expect_geometry(m, "kmalloc-8k", 1, 1);
	kmm_shutdown(m);

	/* 10: kmalloc-8k reaches Linux's 12 objects (order 5); the last occurrence wins */
	m = kmm_boot("mem=128M slub_max_order=0 slab_max_order=99");
	assert_true(m != NULL);
	expect_geometry(m, "kmalloc-2k", 3, 16);
	expect_geometry(m, "kmalloc-8k", 5, 16);
	kmm_shutdown(m);

	m = kmm_boot("mem=128M");	/* the default, 3 */
	assert_true(m != NULL);
	expect_geometry(m, "kmalloc-8k", 3, 4);
	kmm_shutdown(m);

	expect_true(kmm_boot("mem=128M slab_max_order=one") == NULL);
	expect_str_contains(kmm_last_error(), "slab_max_order=one");
	expect_true(kmm_boot("mem=128M slub_max_order=-1") == NULL);
	expect_str_contains(kmm_last_error(), "slub_max_order=-1");
	/* Named as it is taken: 99 boots, clamped (review18 R4: "from 0 to 10" said it would not). */
	expect_str_contains(kmm_last_error(), "0 or more (above 10 it is taken as 10");
}

/*
 * Per-CPU partial lists: cpu_partial as Linux 6.12's set_cpu_partial()
 * computes it (by object size; 0 for debug caches), a refill from the node
 * takes more partial slabs along (at most cpu_partial_slabs / 2), the next
 * refill takes one from this CPU's list without the node, a remote free
 * into a slab on that list changes no node list, and a shrink gives them all
 * back. /sys/kernel/slab/<cache>/cpu_partial and slabs_cpu_partial show it.
 */
TEST(per_cpu_partial_lists)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("pcpu", 128, 0, 0, NULL);
	struct kmem_cache *big = kmem_cache_create("pcpu_big", 1100, 0, 0, NULL);
	extern int slab_sysfs_show(struct kmm_machine *, const char *, struct strbuf *);
	enum { N = 32 * 12 };
	void *p[N];
	struct strbuf sb;

	assert_true(s && big);
	expect_eq(s->cpu_partial, 120);			/* size < 256 */
	expect_eq(s->cpu_partial_slabs, (120 * 2 + s->objects - 1) / s->objects);
	expect_eq(big->cpu_partial, 24);		/* 1024 <= size < PAGE_SIZE */
	sb_init(&sb);
	slab_sysfs_show(m, "pcpu/cpu_partial", &sb);
	expect_true(!strcmp(sb.buf, "120\n"));
	sb_free(&sb);
	/*
	 * Twelve full slabs, then one object freed in each of the first ten:
	 * each goes to this CPU's partial list; the free that finds the list
	 * holding cpu_partial_slabs (8) slabs sends them to the node first.
	 */
	for (int i = 0; i < N; i++)
		assert_true((p[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	expect_eq(s->objects, 32);
	expect_eq(s->cpu_partial_slabs, 8);
	for (int k = 0; k < 10; k++) {
		kmem_cache_free(s, p[k * 32]);
		p[k * 32] = NULL;
	}
	struct kmem_cache_node *n = get_node(s, 0);
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, kmm_this_cpu(m));
	expect_eq(c->nr_partial, 2);
	expect_eq(n->nr_partial, 8);
	expect_eq(kmm_check(m), 0);
	/* A shrink gives the CPU's two back: ten partial slabs on the node, the cpu slab full. */
	kmem_cache_shrink(s);
	expect_eq(c->nr_partial, 0);
	expect_eq(n->nr_partial, 10);
	/* No cpu slab now: the next allocation refills from the node. */
	void *q = kmem_cache_alloc(s, GFP_KERNEL);
	assert_true(q != NULL);
	unsigned int took = s->cpu_partial_slabs / 2;
	expect_eq(c->nr_partial, took);
	expect_eq(n->nr_partial, 10 - 1 - took);
	expect_eq(kmm_check(m), 0);
	sb_init(&sb);
	slab_sysfs_show(m, "pcpu/slabs_cpu_partial", &sb);
	char want[64];
	snprintf(want, sizeof(want), "%u(%u) C%d=%u(%u)\n", took * s->objects / 2, took,
		 kmm_this_cpu(m), took * s->objects / 2, took);
	expect_str_contains(sb.buf, want);
	sb_free(&sb);
	/* Linux's cpu_slabs counts a CPU's partial slabs with its cpu slab. */
	sb_init(&sb);
	slab_sysfs_show(m, "pcpu/cpu_slabs", &sb);
	snprintf(want, sizeof(want), "%u N0=%u\n", 1 + took, 1 + took);
	expect_true(!strcmp(sb.buf, want));
	sb_free(&sb);
	/* The next refill comes from this CPU's list: the node list stays as it is. */
	unsigned long node_partial = n->nr_partial;
	void *r = kmem_cache_alloc(s, GFP_KERNEL);	/* q took the new cpu slab's one free object */
	assert_true(r != NULL);
	expect_eq(n->nr_partial, node_partial);
	expect_eq(c->nr_partial, took - 1);
	/* A free into a slab on the CPU's list (as a remote free): no node list changes. */
	struct slab *cp = list_first_entry(&c->partial, struct slab, slab_list);
	for (int i = 0; i < N; i++) {
		if (p[i] && virt_to_slab_m(m, p[i]) == cp) {
			kmem_cache_free(s, p[i]);
			p[i] = NULL;
			break;
		}
	}
	expect_eq(n->nr_partial, node_partial);
	expect_eq(kmm_check(m), 0);
	/* Everything back; a shrink returns the CPU's partial slabs to the node. */
	for (int i = 0; i < N; i++)
		if (p[i])
			kmem_cache_free(s, p[i]);
	kmem_cache_free(s, q);
	kmem_cache_free(s, r);
	kmem_cache_shrink(s);
	expect_eq(c->nr_partial, 0);
	expect_eq(kmm_check(m), 0);
	kmem_cache_destroy(s);
	kmem_cache_destroy(big);
	slab_done(m, base);
}

/*
 * A refill from the node takes a partial slab this slot froze last before
 * the node's first one (another slot's: its live objects are that slot's,
 * and both would write the slab's lines), and brings along only this
 * slot's own: the other slot's stay on the node for it (mm/slub.c,
 * node_pick_own_locked(); small_churn at two threads).
 */
TEST(a_refill_from_the_node_takes_this_slots_own_slab_first)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("own", 128, 0, 0, NULL);
	enum { N = 32 * 4 };
	void *p[N];
	int cpu = kmm_this_cpu(m), other = (cpu + 1) % m->nr_cpus;

	assert_true(s != NULL);
	assert_true(m->nr_cpus >= 2);
	for (int i = 0; i < N; i++)
		assert_true((p[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	expect_eq(s->objects, 32);
	/* One object freed in each of the first three slabs; a shrink puts them on the node. */
	for (int k = 0; k < 3; k++) {
		kmem_cache_free(s, p[k * 32]);
		p[k * 32] = NULL;
	}
	kmem_cache_shrink(s);
	struct kmem_cache_node *n = get_node(s, 0);
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
	expect_eq(n->nr_partial, 3);
	expect_eq(c->nr_partial, 0);
	/* As if the other CPU's slot had frozen all but the last of them last. */
	struct slab *own = NULL;
	struct list_head *pos;
	list_for_each(pos, &n->partial) {
		own = list_entry(pos, struct slab, slab_list);
		own->frozen_by = (unsigned long)other;
	}
	assert_true(own != NULL);
	own->frozen_by = (unsigned long)cpu;
	void *q = kmem_cache_alloc(s, GFP_KERNEL);
	assert_true(q != NULL);
	expect_true(c->slab == own);
	expect_true(virt_to_slab_m(m, q) == own);
	expect_eq(c->nr_partial, 0);
	expect_eq(n->nr_partial, 2);
	expect_eq(kmm_check(m), 0);
	kmem_cache_free(s, q);
	for (int i = 0; i < N; i++)
		if (p[i])
			kmem_cache_free(s, p[i]);
	kmem_cache_destroy(s);
	slab_done(m, base);
}

/* A thread standing in for another CPU: frees @objs[0 .. nr) and says which slot it was. */
struct remote_free {
	struct kmem_cache *s;
	void **objs;
	int nr;
	int cpu;
	atomic_int done;
};

static void *remote_free_thread(void *arg)
{
	struct remote_free *r = arg;

	r->cpu = kmm_this_cpu(r->s->machine);
	for (int i = 0; i < r->nr; i++)
		kmem_cache_free(r->s, r->objs[i]);
	atomic_store(&r->done, 1);
	return NULL;
}

/*
 * Linux 6.12's placement of a slab freed from full by another CPU: a full
 * slab is on no list, and the first free into it (here from a second
 * thread, another CPU slot) claims it in the same swap of freelist and
 * counters and puts it on the freeing CPU's partial list without taking
 * n->list_lock - this test holds that lock while the free runs. When that
 * CPU's list already holds cpu_partial_slabs slabs, the free sends them
 * all to the node first (put_cpu_partial's drain).
 */
TEST(remote_free_of_a_full_slab_goes_to_the_freeing_cpus_partial_list_without_list_lock)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("remote", 256, 0, 0, NULL);
	enum { PER = 16, SLABS = 9 };
	void *objs[PER * SLABS], *first[SLABS - 2];
	struct slab_counts sc;
	pthread_t t;

	assert_true(s != NULL);
	expect_eq(s->objects, PER);
	expect_eq(s->cpu_partial_slabs, 7);
	for (int i = 0; i < PER * SLABS; i++)
		assert_true((objs[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	slab_count(s, &sc);
	expect_eq(sc.nr_full, SLABS - 1);	/* and the cpu slab, full too */
	struct kmem_cache_node *n = get_node(s, 0);
	struct slab *slab0 = virt_to_slab_m(m, objs[0]);
	expect_eq(slab_list_id(slab0), SLAB_LIST_FULL_OFF);
	expect_eq(n->nr_full, 0);		/* no full list for a cache without debug flags */
	expect_eq(kmm_check(m), 0);

	/* The other CPU frees one object of the first slab while we hold list_lock. */
	struct remote_free r = { .s = s, .objs = objs, .nr = 1, .cpu = -1 };
	spin_lock(&n->list_lock);
	assert_eq(pthread_create(&t, NULL, remote_free_thread, &r), 0);
	/*
	 * No time limit: a free that waited for list_lock would never finish
	 * here, and ctest's TIMEOUT reports that (review9-mm P2-7).
	 */
	while (!atomic_load(&r.done))
		sched_yield();
	spin_unlock(&n->list_lock);
	pthread_join(t, NULL);
	assert_true(r.cpu >= 0 && r.cpu != kmm_this_cpu(m));
	struct kmem_cache_cpu *rc = per_cpu_ptr(s->cpu_slab, r.cpu);
	expect_eq(slab_list_id(slab0), SLAB_LIST_CPU_PARTIAL);
	expect_eq(rc->nr_partial, 1);
	expect_true(list_first_entry(&rc->partial, struct slab, slab_list) == slab0);
	expect_eq(n->nr_partial, 0);
	slab_count(s, &sc);
	expect_eq(sc.nr_full, SLABS - 2);
	expect_eq(sc.nr_cpu_partial, 1);
	expect_eq(sc.active_objs, PER * SLABS);	/* Linux counts CPU partial slabs' objects active */
	expect_eq(kmm_check(m), 0);
	/* cpu_slabs as Linux shows it: the freeing CPU has no cpu slab, so its list is skipped. */
	extern int slab_sysfs_show(struct kmm_machine *, const char *, struct strbuf *);
	struct strbuf sb;
	sb_init(&sb);
	slab_sysfs_show(m, "remote/cpu_slabs", &sb);
	expect_true(!strcmp(sb.buf, "1 N0=1\n"));
	sb_free(&sb);

	/*
	 * One object of each of the other seven full slabs: six more fill the
	 * list to cpu_partial_slabs, and the seventh free finds it full, sends
	 * all seven to the node (list_lock now) and starts the list again.
	 */
	for (int k = 1; k < SLABS - 1; k++)
		first[k - 1] = objs[k * PER];
	struct remote_free r2 = { .s = s, .objs = first, .nr = SLABS - 2, .cpu = -1 };
	assert_eq(pthread_create(&t, NULL, remote_free_thread, &r2), 0);
	pthread_join(t, NULL);
	rc = per_cpu_ptr(s->cpu_slab, r2.cpu);
	expect_eq(rc->nr_partial, 1);
	expect_eq(n->nr_partial, 7);
	expect_true(list_first_entry(&rc->partial, struct slab, slab_list) ==
		    virt_to_slab_m(m, objs[(SLABS - 2) * PER]));
	slab_count(s, &sc);
	expect_eq(sc.nr_full, 0);
	expect_eq(sc.nr_partial, 7);
	expect_eq(sc.active_objs, PER * SLABS - 7);	/* one free object in each node slab */
	expect_eq(kmm_check(m), 0);

	objs[0] = NULL;
	for (int k = 1; k < SLABS - 1; k++)
		objs[k * PER] = NULL;
	for (int i = 0; i < PER * SLABS; i++)
		if (objs[i])
			kmem_cache_free(s, objs[i]);
	expect_eq(kmm_check(m), 0);
	kmem_cache_shrink(s);
	slab_count(s, &sc);
	expect_eq(sc.nr_slabs, 0);
	kmem_cache_destroy(s);
	slab_done(m, base);
}
