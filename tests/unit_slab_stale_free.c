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
	/*
	 * Without a code the other cache's objects say SHADOW_ALLOCATED, which
	 * the claim takes for s's: only the re-check of the slab's cache refuses.
	 */
	slab_test_uncode(r.other);
	char *p = kmem_cache_alloc(s, GFP_KERNEL);
	assert_true(p != NULL);
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, kmm_this_cpu(m));
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
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, kmm_this_cpu(m));

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

/* Counts the kmem_cache_alloc and kmem_cache_free events of the stream. */
static int count_cache_events(struct kmm_machine *m, const struct kmm_event *ev, void *arg)
{
	int *n = arg;

	(void)m;
	n[ev->type == KMM_EV_KMEM_CACHE_FREE]++;
	return 0;
}

/*
 * kmem_cache_free() of an object of a cache with sheaves, which has a code
 * from its creation: the byte saying the cache's code is the proof, and
 * the struct page is not read (made to name another cache here, which the
 * struct page way reports as "Wrong slab cache"). A second free, an object
 * of another cache and a pointer inside an object find no such byte and
 * are reported the long way, nothing freed; a listener on the cache's
 * events sees every allocation and free.
 */
TEST(kmem_cache_free_frees_a_coded_object_without_its_struct_page)
{
	struct kmm_machine *m = coded_boot();
	if (!m)
		return;
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("coded_free", 64, 0, 0, NULL);
	struct kmem_cache *t = kmem_cache_create("coded_other", 64, 0, 0, NULL);

	assert_true(s != NULL && t != NULL && s->sheaf_capacity > 0);
	unsigned char code = s->shadow_alloc;
	expect_true(code != SHADOW_ALLOCATED && code != t->shadow_alloc);
	char *p = kmem_cache_alloc(s, GFP_KERNEL), *q = kmem_cache_alloc(s, GFP_KERNEL);
	char *x = kmem_cache_alloc(t, GFP_KERNEL);
	assert_true(p != NULL && q != NULL && x != NULL);
	expect_eq(*cache_shadow(s, p), code);
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, kmm_this_cpu(m));
	unsigned int nr = c->sheaf_nr;

	struct slab *slab = virt_to_slab_m(m, p);
	WRITE_ONCE(slab->slab_cache, t);
	kmem_cache_free(s, p);
	WRITE_ONCE(slab->slab_cache, s);
	expect_eq(c->sheaf_nr, nr + 1);
	expect_true(in_this_sheaf(m, s, p));
	expect_eq(*cache_shadow(s, p), SHADOW_FREE);
	expect_true(strstr(t_dmesg(m), "Wrong slab cache") == NULL);

	kmem_cache_free(s, p);		/* a double free */
	expect_str_contains(t_dmesg(m), "BUG coded_free (Not tainted): Object already free");
	kmem_cache_free(s, x);		/* another cache's object */
	expect_str_contains(t_dmesg(m), "Wrong slab cache. coded_free but object is from coded_other");
	kmem_cache_free(s, q + 8);	/* inside an object */
	expect_str_contains(t_dmesg(m), "Invalid object pointer (not an object start)");
	expect_eq(c->sheaf_nr, nr + 1);
	expect_eq(*cache_shadow(s, q), code);
	expect_eq(*cache_shadow(t, x), t->shadow_alloc);
	if (slub_check(m))
		kmm_test_fail(__FILE__, __LINE__, "slub_check: %s", kmm_last_error());

	/* A listener sees every allocation and free (the fast paths step aside). */
	int seen[2] = { 0, 0 };
	struct kmm_trace_sub sub = { "count", KMM_EVBIT(KMM_EV_KMEM_CACHE_ALLOC) |
				     KMM_EVBIT(KMM_EV_KMEM_CACHE_FREE), count_cache_events, seen };
	int id = kmm_trace_subscribe(m, &sub);
	assert_true(id >= 0);
	for (int i = 0; i < 10; i++)
		kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	kmem_cache_free(s, q);
	kmm_trace_unsubscribe(m, id);
	expect_eq(seen[0], 10);
	expect_eq(seen[1], 11);
	kmem_cache_free(t, x);
	kmem_cache_destroy(t);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);
}

/*
 * A shadow code no cache holds (never given, or withdrawn) reads as
 * slab_no_cache, never NULL: kfree_fast() tests only the flags of what it
 * finds there (mm/slub_kfree.c). An object whose byte says such a code
 * (written here, as a stray store could) is refused by the lock-free path
 * and left as it was; kfree() is then the one to report it.
 */
TEST(a_shadow_code_no_cache_holds_sends_kfree_fast_the_long_way)
{
	struct kmm_machine *m = coded_boot();
	if (!m)
		return;
	unsigned long base = slab_nr_free(m);
	struct slab_machine *st = slab_state(m);
	struct kmem_cache *s = kmem_cache_create("coded_none", 64, 0, 0, NULL);

	assert_true(s != NULL && s->sheaf_capacity > 0);
	assert_eq(kmem_cache_shadow_code(s), 0);
	for (unsigned int i = 0; i < KMM_SLAB_SHADOW_CODES; i++)
		expect_true(st->shadow_coded[i] != NULL);
	unsigned int unused = st->nr_shadow_codes;
	assert_true(unused < KMM_SLAB_SHADOW_CODES);
	expect_true(st->shadow_coded[unused] == &slab_no_cache);
	expect_true(slab_no_cache.slowpath_flags != 0);

	char *first = kmem_cache_alloc(s, GFP_KERNEL), *p = kmem_cache_alloc(s, GFP_KERNEL);
	assert_true(first != NULL && p != NULL && ((uintptr_t)p & (PAGE_SIZE - 1)));
	unsigned char *sh = cache_shadow(s, p), code = *sh;
	unsigned int nr = per_cpu_ptr(s->cpu_slab, kmm_this_cpu(m))->sheaf_nr;
	*sh = (unsigned char)(KMM_SLAB_SHADOW_CODE_BASE + unused);
	expect_true(!kfree_fast(m, p));
	expect_eq(*sh, KMM_SLAB_SHADOW_CODE_BASE + unused);
	expect_eq(per_cpu_ptr(s->cpu_slab, kmm_this_cpu(m))->sheaf_nr, nr);
	*sh = code;
	expect_true(kfree_fast(m, p));
	kmem_cache_free(s, first);
	if (slub_check(m))
		kmm_test_fail(__FILE__, __LINE__, "slub_check: %s", kmm_last_error());
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
	slab_test_uncode(s);	/* coded at creation: as a cache coded late */
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
	/* Each cache with sheaves takes the next code at creation, while codes last. */
	struct slab_machine *st = slab_state(m);
	int given = (int)st->nr_shadow_codes, n = KMM_SLAB_SHADOW_CODES - given;
	assert_true(n > 4);
	for (int i = 0; i <= n; i++) {
		snprintf(name, sizeof(name), "coded_%d", i);
		s[i] = kmem_cache_create(name, 32, 0, 0, NULL);
		assert_true(s[i] != NULL);
		if (i < n) {
			expect_eq(s[i]->shadow_alloc, KMM_SLAB_SHADOW_CODE_BASE + given + i);
			expect_true(st->shadow_coded[given + i] == s[i]);
		}
		expect_eq(kmem_cache_shadow_code(s[i]), i < n ? 0 : -ENOSPC);
	}
	expect_eq(kmem_cache_shadow_code(s[0]), 0);	/* coded already: kept */
	expect_eq(s[0]->shadow_alloc, KMM_SLAB_SHADOW_CODE_BASE + given);
	expect_eq(s[n]->shadow_alloc, SHADOW_ALLOCATED);
	unsigned char code = s[3]->shadow_alloc;
	kmem_cache_destroy(s[3]);
	expect_true(st->shadow_coded[code - KMM_SLAB_SHADOW_CODE_BASE] == &slab_no_cache);
	for (int i = 0; i <= n; i++)
		if (i != 3)
			kmem_cache_destroy(s[i]);
	kmem_cache_destroy(dbg);
	coded_done(m, base);
}

/* ---- Two frees of one object racing on two CPUs ---- */

/*
 * The worst order of a double free racing itself, forced: the first free
 * (this thread, CPU slot A) has loaded the object's shadow byte, found it
 * allocated, and not yet stored FREE when the second free (a thread on slot
 * B) loads and stores. The claim of a thread alone on its slot is a load
 * and a store, no locked instruction (mm/slab.h), so both frees go through
 * and the object sits in both CPUs' sheaves. The slab's claim hook
 * (kfree_claim_hook, run by kfree_fast() of a SLAB_FAST_TEST_HOOK cache
 * between the load and the store) holds the first free there while the
 * second thread frees. What must hold: the second copy is reported
 * ("double free detected", naming the object) and dropped when it leaves
 * its sheaf, handed out or given back, and the object is never handed out
 * twice nor given back twice.
 */
struct twin {
	struct kmm_machine *m;
	struct kmem_cache *s;
	void *p;
	sim_thread *thread;
	atomic_int hooks;	/* claim hook runs */
	atomic_int phase;	/* 1: the thread freed; 2: go on; 3: the thread is done */
	int cpu;		/* the thread's slot */
	bool freed;		/* its kfree_fast() went through */
	bool alloc;		/* in phase 2, allocate once into @got */
	void *got;
	unsigned long base;	/* slab_nr_free() at boot */
};

static void twin_wait(struct twin *t, int phase)
{
	while (atomic_load(&t->phase) < phase)
		sim_cpu_relax();
}

/* The thread on the second slot: own it, free t->p, then maybe allocate once. */
static void *twin_thread(void *arg)
{
	struct twin *t = arg;
	int cpu = kmm_this_cpu(t->m);

	if (kmm_cpu_users(t->m, cpu) == 1)
		atomic_store(&t->m->cpus[cpu].guard.lockless, 1);
	t->cpu = cpu;
	t->freed = kfree_fast(t->m, t->p);
	atomic_store(&t->phase, 1);
	twin_wait(t, 2);
	if (t->alloc)
		t->got = kmem_cache_alloc(t->s, GFP_KERNEL);
	atomic_store(&t->phase, 3);
	return NULL;
}

static void twin_nothing(void *arg, struct kmem_cache *s, const void *p)
{
	(void)arg, (void)s, (void)p;
}

/* In the first free's window: the second thread frees the object, all of it. */
static void twin_claim(void *arg, struct kmem_cache *s, const void *p)
{
	struct twin *t = arg;

	(void)s, (void)p;
	if (atomic_fetch_add(&t->hooks, 1) != 0)
		return;		/* the second free's own claim: straight through */
	assert_eq(sim_thread_start(&t->thread, twin_thread, t), 0);
	twin_wait(t, 1);
}

/* Is @p in CPU @cpu's sheaf of @s? */
static bool in_cpu_sheaf(struct kmem_cache *s, int cpu, const void *p)
{
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);

	for (unsigned int k = 0; k < c->sheaf_nr; k++)
		if (c->sheaf[k] == p)
			return true;
	return false;
}

/*
 * Boot, make a cache, allocate the object, and free it twice at once in the
 * order above. Return: the cache, the object in both CPUs' sheaves; NULL:
 * skipped (no lock-free slots here).
 */
static struct kmem_cache *twin_race(struct twin *t, bool alloc)
{
	struct kmm_machine *m = slab_fake_owned("slab_sheaves=on");

	if (!m->cpu_lockless) {
		printf("  skipped: CPU slots are not lock-free here\n");
		slab_fake_stop(m);
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	t->m = m;
	t->base = slab_nr_free(m);
	t->alloc = alloc;
	t->s = kmem_cache_create("twin", 64, 0, 0, NULL);
	assert_true(t->s != NULL && t->s->sheaf_capacity > 0);
	void *first = kmem_cache_alloc(t->s, GFP_KERNEL);	/* may be page-aligned */
	t->p = kmem_cache_alloc(t->s, GFP_KERNEL);
	assert_true(first != NULL && t->p != NULL);
	kmem_cache_free(t->s, first);
	struct slab_machine *st = slab_state(m);
	st->kfree_fast_hook = twin_nothing;
	st->kfree_claim_hook = twin_claim;
	st->kfree_fast_hook_arg = t;
	t->s->slowpath_flags = SLAB_FAST_TEST_HOOK;

	bool freed = kfree_fast(m, t->p);	/* the second free runs in its window */

	t->s->slowpath_flags = 0;
	st->kfree_fast_hook = NULL;
	st->kfree_claim_hook = NULL;
	int cpu = kmm_this_cpu(m);
	assert_eq(atomic_load(&t->hooks), 2);
	assert_true(t->cpu != cpu);	/* two slots, each owned */
	/* Both went through: the object is in both sheaves, its byte FREE. */
	expect_true(freed && t->freed);
	expect_true(in_cpu_sheaf(t->s, cpu, t->p) && in_cpu_sheaf(t->s, t->cpu, t->p));
	expect_eq(*cache_shadow(t->s, t->p), SHADOW_FREE);
	expect_true(strstr(t_dmesg(m), "BUG") == NULL);		/* nothing seen yet */
	return t->s;
}

/* The dmesg has one report of the double free of @p, and no other BUG. */
static void expect_one_late_report(struct twin *t, const char *how)
{
	char want[96];
	const char *log = t_dmesg(t->m);

	snprintf(want, sizeof(want), "double free detected 0x%016lx", kaddr(t->m, t->p));
	expect_true(strstr(log, want) != NULL);
	expect_true(strstr(log, how) != NULL);
	expect_eq(atomic_load(&t->s->errors), 1);
	const char *bug = strstr(log, "BUG ");
	expect_true(bug != NULL && strstr(bug + 4, "BUG ") == NULL);
}

/* The end of both tests: the checker passes, every slab page is back. */
static void twin_done(struct twin *t)
{
	kmem_cache_destroy(t->s);
	slab_fake_done(t->m, t->base);
}

/*
 * This CPU has handed out @mine, the first copy of @t's double free; the
 * other CPU's copy comes up now and must be dropped and reported once, not
 * handed out a second time.
 */
static void twin_second_copy_comes_up(struct twin *t, struct kmem_cache *s, void *mine)
{
	expect_true(mine == t->p);
	atomic_store(&t->phase, 2);
	twin_wait(t, 3);
	sim_thread_join(t->thread);
	expect_true(t->got != NULL && t->got != t->p);	/* not handed out twice */
	expect_true(!in_cpu_sheaf(s, t->cpu, t->p));	/* the copy was dropped */
	expect_one_late_report(t, "after the first was handed out again");
	if (slub_check(t->m))
		kmm_test_fail(__FILE__, __LINE__, "slub_check: %s", kmm_last_error());
	kmem_cache_free(s, mine);
	kmem_cache_free(s, t->got);
	twin_done(t);
}

TEST(a_double_free_racing_on_two_cpus_is_caught_when_its_second_copy_is_handed_out)
{
	static struct twin t;
	struct kmem_cache *s = twin_race(&t, true);

	if (!s)
		return;
	/* This CPU hands the object out; then the other CPU's copy comes up. */
	twin_second_copy_comes_up(&t, s, kmem_cache_alloc(s, GFP_KERNEL));
}

/*
 * The same, the first copy handed out the long way (kmem_cache_alloc_node()
 * of node 0 on a machine of one node: slab_alloc_full(), which clears
 * nothing, where __GFP_ZERO would clear the link with the rest) and the
 * second by the other CPU's lock-free pop, which tests the object's sheaf
 * link and not its shadow byte: the long way's pop must spend the link as
 * the lock-free one does (sheaf_link_spent()).
 */
TEST(a_racing_double_free_is_caught_when_the_first_copy_left_the_long_way)
{
	static struct twin t;
	struct kmem_cache *s = twin_race(&t, true);

	if (!s)
		return;
	assert_eq(t.m->nr_node_ids, 1);
	twin_second_copy_comes_up(&t, s, kmem_cache_alloc_node(s, GFP_KERNEL, 0));
}

/*
 * The same race, then both sheaves given back (a shrink): the first copy
 * goes back to its slab, the second is reported and dropped, so the slab's
 * freelist holds the object once and it is handed out once.
 */
TEST(a_double_free_racing_on_two_cpus_is_caught_when_its_second_copy_is_given_back)
{
	static struct twin t;
	struct kmem_cache *s = twin_race(&t, false);

	if (!s)
		return;
	atomic_store(&t.phase, 2);
	twin_wait(&t, 3);
	sim_thread_join(t.thread);
	/*
	 * flush_all() goes up the CPUs: this CPU's copy first (both copies'
	 * links are the object's own, sheaf_link(), so neither reads as a
	 * write after free).
	 */
	assert_true(kmm_this_cpu(t.m) < t.cpu);
	expect_eq(kmem_cache_shrink(s), 0);	/* every CPU's sheaf given back */
	expect_true(!in_cpu_sheaf(s, 0, t.p) && !in_cpu_sheaf(s, 1, t.p));
	expect_eq(*cache_shadow(s, t.p), SHADOW_FLUSHED);	/* (the empty slab may be gone) */
	expect_one_late_report(&t, "after the first was given back to its slab");
	if (slub_check(t.m))
		kmm_test_fail(__FILE__, __LINE__, "slub_check: %s", kmm_last_error());
	/* Two slabs' worth of objects: the object comes out once. */
	unsigned int n = 2 * s->objects, seen = 0;
	void **v = calloc(n, sizeof(*v));
	assert_true(v != NULL);
	for (unsigned int i = 0; i < n; i++) {
		v[i] = kmem_cache_alloc(s, GFP_KERNEL);
		assert_true(v[i] != NULL);
		seen += v[i] == t.p;
	}
	expect_eq(seen, 1);
	expect_eq(atomic_load(&s->errors), 1);
	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, v[i]);
	free(v);
	twin_done(&t);
}
