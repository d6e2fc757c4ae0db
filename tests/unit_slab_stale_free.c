// SPDX-License-Identifier: MIT
/*
 * tests/unit_slab_stale_free.c - kfree_fast(), the lock-free free the malloc
 * shim calls, and a stale free that races its slab's reuse.
 *
 * kfree_fast() reads the slab's cache, then claims the object's shadow byte
 * (allocated -> free). Between the two, another thread may give the slab
 * back and the page may become a slab of another cache, with the stale
 * pointer handed out there: the claim then succeeds on that cache's live
 * object. kfree_fast() must see that the slab changed hands, put the byte
 * back and leave the pointer to kfree() (review9-shim #4), not push the
 * other cache's object into the old cache's sheaf, where the old cache
 * would hand it out again with its own size. The window is opened on one
 * thread by the slab's test hook (SLAB_FAST_TEST_HOOK, mm/slab.h), on the
 * hand-built two-CPU machine of tests/slab_fake.h.
 *
 * The other tests: a cache with a shadow code (kmem_cache_shadow_code(),
 * which the shim gives its size classes), whose objects kfree_fast() frees
 * from the shadow byte alone, its struct page unread; objects allocated
 * before the code still free; and what the code allocator refuses.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <kmm/trace.h>

#include "tests/slab_fake.h"

#define MAX_TRIES 4096

struct reuse {
	struct kmm_machine *m;
	struct kmem_cache *other;	/* the cache the page goes to */
	void *objs[MAX_TRIES];		/* what it handed out, the stale pointer last */
	int nr;
	int runs;
};

/*
 * The hook, in kfree_fast()'s window: the stale pointer's slab (empty) is
 * given back, and @r->other takes the page and hands @p out.
 */
static void reuse_slab(void *arg, struct kmem_cache *s, const void *p)
{
	struct reuse *r = arg;

	r->runs++;
	expect_eq(kmem_cache_shrink(s), 0);	/* the sheaf flushed, the empty slab freed */
	while (r->nr < MAX_TRIES) {
		void *o = kmem_cache_alloc(r->other, GFP_KERNEL);
		if (!o)
			break;
		r->objs[r->nr++] = o;
		if (o == p)
			break;
	}
}

TEST(a_stale_free_whose_slab_went_to_another_cache_is_not_put_in_the_old_sheaf)
{
	struct kmm_machine *m = slab_fake_owned("slab_sheaves=on");

	if (!m->cpu_lockless) {
		/* kfree_fast() needs a slot owned lock-free (not under ThreadSanitizer or KMM_CPU_LOCKED) */
		printf("  skipped: CPU slots are not lock-free here\n");
		slab_fake_stop(m);
		return;
	}
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("stale_old", 64, 0, 0, NULL);
	static struct reuse r;

	r.m = m;
	r.other = kmem_cache_create("stale_new", 64, 0, 0, NULL);
	assert_true(s != r.other && s->sheaf_capacity > 0);
	char *p = kmem_cache_alloc(s, GFP_KERNEL);
	assert_true(p != NULL);
	struct kmem_cache_cpu *c = &s->cpu_slab[kmm_this_cpu(m)];
	kmem_cache_free(s, p);		/* into the sheaf: p is stale from here */
	expect_eq(c->sheaf_nr, 1);
	slab_state(m)->kfree_fast_hook = reuse_slab;
	slab_state(m)->kfree_fast_hook_arg = &r;
	s->slowpath_flags = SLAB_FAST_TEST_HOOK;

	/* The program frees p again; the hook reuses the slab in the window. */
	bool freed = kfree_fast(m, p);

	s->slowpath_flags = 0;
	slab_state(m)->kfree_fast_hook = NULL;
	expect_eq(r.runs, 1);
	assert_true(r.nr > 0 && r.objs[r.nr - 1] == p);	/* the page went to the other cache */
	assert_true(virt_to_slab_m(m, p)->slab_cache == r.other);
	/* Refused, nothing changed: p is the other cache's, allocated; the old sheaf is empty. */
	expect_true(!freed);
	expect_eq(c->sheaf_nr, 0);
	expect_eq(*cache_shadow(r.other, p), SHADOW_ALLOCATED);
	if (slub_check(m))
		kmm_test_fail(__FILE__, __LINE__, "slub_check: %s", kmm_last_error());
	/* The old cache hands out objects of its own slabs only. */
	void *q = kmem_cache_alloc(s, GFP_KERNEL);
	expect_true(q != p && virt_to_slab_m(m, q)->slab_cache == s);
	kmem_cache_free(s, q);
	for (int i = 0; i < r.nr; i++)
		kmem_cache_free(r.other, r.objs[i]);
	expect_true(strstr(t_dmesg(m), "BUG") == NULL);
	kmem_cache_destroy(s);
	kmem_cache_destroy(r.other);
	slab_fake_done(m, base);
}

/* The machine the tests below share: sheaves on, this thread's slot owned; NULL: skipped. */
static struct kmm_machine *coded_boot(void)
{
	struct kmm_machine *m = slab_fake_owned("slab_sheaves=on");

	if (!m->cpu_lockless) {
		printf("  skipped: CPU slots are not lock-free here\n");
		slab_fake_stop(m);
		return NULL;
	}
	return m;
}

static void coded_done(struct kmm_machine *m, unsigned long base)
{
	expect_true(strstr(t_dmesg(m), "BUG") == NULL);
	slab_fake_done(m, base);
}

/* Is @p in this CPU's sheaf of @s? */
static bool in_this_sheaf(struct kmm_machine *m, struct kmem_cache *s, const void *p)
{
	struct kmem_cache_cpu *c = &s->cpu_slab[kmm_this_cpu(m)];

	for (unsigned int k = 0; k < c->sheaf_nr; k++)
		if (c->sheaf[k] == p)
			return true;
	return false;
}

/*
 * The object's slab is made to look as __free_slab() leaves it (its cache
 * NULL), which makes the struct page path refuse: kfree_fast() must free the
 * object all the same, finding its cache from the shadow byte.
 */
TEST(kfree_fast_frees_a_coded_object_without_its_struct_page)
{
	struct kmm_machine *m = coded_boot();
	if (!m)
		return;
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("coded", 64, 0, 0, NULL);

	assert_true(s != NULL && s->sheaf_capacity > 0);
	assert_eq(kmem_cache_shadow_code(s), 0);
	unsigned char code = s->shadow_alloc;
	expect_true(code != SHADOW_ALLOCATED && kmm_slab_shadow_live(code));
	expect_true(slab_state(m)->shadow_coded[code - KMM_SLAB_SHADOW_CODE_BASE] == s);
	/* The slab's first object may be page-aligned: such a pointer takes the struct page way. */
	char *first = kmem_cache_alloc(s, GFP_KERNEL);
	char *p = kmem_cache_alloc(s, GFP_KERNEL);
	char *q = kmem_cache_alloc(s, GFP_KERNEL);
	assert_true(first != NULL && p != NULL && q != NULL);
	assert_true(((uintptr_t)p & (PAGE_SIZE - 1)) && ((uintptr_t)q & (PAGE_SIZE - 1)));
	expect_eq(*cache_shadow(s, p), code);

	struct slab *slab = virt_to_slab_m(m, p);
	WRITE_ONCE(slab->slab_cache, NULL);
	bool freed = kfree_fast(m, p);
	bool again = kfree_fast(m, p);		/* a double free: refused */
	bool inner = kfree_fast(m, q + 8);	/* not an object's start: refused */
	WRITE_ONCE(slab->slab_cache, s);

	expect_true(freed);
	expect_true(!again);
	expect_true(!inner);
	expect_true(in_this_sheaf(m, s, p));
	expect_eq(*cache_shadow(s, p), SHADOW_FREE);
	expect_eq(*cache_shadow(s, q), code);
	if (slub_check(m))
		kmm_test_fail(__FILE__, __LINE__, "slub_check: %s", kmm_last_error());
	expect_true(kfree_fast(m, q));
	kmem_cache_free(s, first);
	kmem_cache_destroy(s);
	coded_done(m, base);
}

/*
 * Objects handed out before the cache had its code carry the plain
 * ALLOCATED byte: both frees (kfree_fast() and kmem_cache_free()) and the
 * checker must still take them for allocated.
 */
TEST(objects_allocated_before_the_code_still_free)
{
	struct kmm_machine *m = coded_boot();
	if (!m)
		return;
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("coded_late", 64, 0, 0, NULL);

	assert_true(s != NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	void *r = kmem_cache_alloc(s, GFP_KERNEL);
	assert_true(p != NULL && r != NULL);
	assert_eq(kmem_cache_shadow_code(s), 0);
	void *q = kmem_cache_alloc(s, GFP_KERNEL);
	assert_true(q != NULL);
	expect_eq(*cache_shadow(s, p), SHADOW_ALLOCATED);
	expect_eq(*cache_shadow(s, q), s->shadow_alloc);
	if (slub_check(m))
		kmm_test_fail(__FILE__, __LINE__, "slub_check: %s", kmm_last_error());
	expect_true(kfree_fast(m, p));
	expect_true(in_this_sheaf(m, s, p));
	kmem_cache_free(s, r);
	expect_eq(*cache_shadow(s, r), SHADOW_FREE);
	expect_true(kfree_fast(m, q));
	kmem_cache_destroy(s);
	coded_done(m, base);
}

TEST(shadow_codes_are_refused_to_debug_caches_run_out_and_are_withdrawn)
{
	struct kmm_machine *m = coded_boot();
	if (!m)
		return;
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *dbg = kmem_cache_create("coded_debug", 64, 0, SLAB_RED_ZONE, NULL);
	struct kmem_cache *s[KMM_SLAB_SHADOW_CODES + 1];
	char name[32];

	assert_true(dbg != NULL);
	expect_eq(kmem_cache_shadow_code(dbg), -EINVAL);
	expect_eq(dbg->shadow_alloc, SHADOW_ALLOCATED);
	for (int i = 0; i <= KMM_SLAB_SHADOW_CODES; i++) {
		snprintf(name, sizeof(name), "coded_%d", i);
		s[i] = kmem_cache_create(name, 32, 0, 0, NULL);
		assert_true(s[i] != NULL);
		expect_eq(kmem_cache_shadow_code(s[i]), i < KMM_SLAB_SHADOW_CODES ? 0 : -ENOSPC);
	}
	expect_eq(kmem_cache_shadow_code(s[0]), -EINVAL);	/* coded already */
	expect_eq(s[KMM_SLAB_SHADOW_CODES]->shadow_alloc, SHADOW_ALLOCATED);
	unsigned char code = s[3]->shadow_alloc;
	kmem_cache_destroy(s[3]);
	expect_true(slab_state(m)->shadow_coded[code - KMM_SLAB_SHADOW_CODE_BASE] == NULL);
	for (int i = 0; i <= KMM_SLAB_SHADOW_CODES; i++)
		if (i != 3)
			kmem_cache_destroy(s[i]);
	kmem_cache_destroy(dbg);
	coded_done(m, base);
}
