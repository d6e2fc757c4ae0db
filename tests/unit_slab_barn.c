// SPDX-License-Identifier: MIT
/*
 * tests/unit_slab_barn.c - white-box tests of the CPUs' barns (a cache that
 * keeps its sheaves, kmem_cache_keep_sheaves(): the malloc shim's caches):
 * a full sheaf hands its newer half to the barn, a CPU with nothing left
 * takes one back whole, the barn's bound, its chain through the objects'
 * barn links and what an overwritten link does, on the hand-built two-CPU
 * machine of tests/slab_fake.h; also built for the slab's fallback without
 * cmpxchg16b (unit_slab_barn_nocx16). Split from tests/unit_slab_sheaf.c,
 * which tests the CPUs' sheaves themselves.
 */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>

#include "mm/slab_fast.h"
#include "tests/slab_fake.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KMM_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define KMM_UNDER_SANITIZER 1
#endif
#endif
#ifndef KMM_UNDER_SANITIZER
#define KMM_UNDER_SANITIZER 0
#endif

/* This thread's kmem_cache_cpu of @s (its slot, as the fast paths find it). */
static struct kmem_cache_cpu *my_cpu(struct kmem_cache *s)
{
	return per_cpu_ptr(s->cpu_slab, kmm_this_cpu(s->machine));
}

/*
 * The @k-th object down this thread's CPU's barn of @s from its top, in the
 * order takes hand them out (struct sheaf_barn: sheaf by sheaf, each from its
 * newest down, place p's object the link of the one barn_chains() above
 * it); NULL past its last sheaf.
 */
static void *barn_at(struct kmem_cache *s, unsigned int k)
{
	struct sheaf_barn *b = cpu_barn(s, my_cpu(s));
	unsigned int unit = barn_unit(s), ch = barn_chains(s);
	void *top[BARN_CHAINS], *sheaf[SLAB_SHEAF_MAX];

	memcpy(top, b->top, sizeof(top));
	for (unsigned long sh = 0; sh < b->nr; sh++) {
		for (unsigned int i = 0; i < ch; i++)
			sheaf[unit - 1 - i] = top[i];
		for (unsigned int p = unit - ch; p--;)
			sheaf[p] = barn_next(s, sheaf[p + ch], s->random != 0);
		if (k < unit)
			return sheaf[unit - 1 - k];
		k -= unit;
		for (unsigned int i = 0; i < ch; i++)
			top[i] = barn_next(s, sheaf[ch - 1 - i], s->random != 0);
	}
	return NULL;
}

/*
 * A cache that keeps sheaves (kmem_cache_keep_sheaves(), the malloc
 * shim's): a full sheaf hands its newer half to its CPU's barn instead of
 * giving its older half back to the slabs, keeping the older half, and a
 * CPU whose sheaf and cpu freelist are empty takes that half back whole,
 * before any slab. Objects in the barn are free objects: a second free is a
 * double free, the checker finds them, a write after free into one is
 * reported when it leaves, kmem_cache_shrink() gives them back.
 */
TEST(a_full_sheaf_hands_its_newer_half_to_the_barn_and_takes_it_back)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("barny", 64, 0, 0, NULL);
	struct sheaf_barn *n = cpu_barn(s, my_cpu(s));
	enum { CAP = SLAB_SHEAF_MAX, U = CAP / 2, MOST = 40 * CAP };
	static void *obj[MOST];

	kmem_cache_keep_sheaves(s);
	expect_true(s->keep_sheaves);
	expect_eq(barn_unit(s), U);
	/* 64-byte objects, 64 a sheaf, 32 a barn's: SHEAF_BARN_OBJECTS bound the barn (mm/slab.h). */
	expect_eq(s->barn_max, SHEAF_BARN_OBJECTS / U);
	const int NR = CAP + (s->barn_max + 2) * U;
	assert_true(NR <= MOST);
	for (int i = 0; i < NR; i++)
		assert_true((obj[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	struct kmem_cache_cpu *c = my_cpu(s);
	for (int i = 0; i <= CAP; i++)
		kmem_cache_free(s, obj[i]);
	/* The newer half went; the free that found the sheaf full lands on the older. */
	assert_eq(n->nr, 1);
	expect_eq(c->sheaf_nr, U + 1);
	expect_true(c->sheaf[0] == obj[0] && c->sheaf[U - 1] == obj[U - 1]);
	expect_true(c->sheaf[U] == obj[CAP]);
	/* Chained through its objects, newest first; their sheaf links as they were. */
	expect_true(n->top[0] == obj[CAP - 1] && barn_at(s, U - 1) == obj[U]);
	expect_true(barn_at(s, U) == NULL);
	for (int i = 0; i < CAP; i++)
		expect_true(sheaf_link_ok(s, obj[i], false));
	expect_eq(kmm_kfree_verdict(m, s, obj[CAP - 3], (char[80]){ 0 }, 80), -EALREADY);
	expect_eq(slub_check(m), 0);
	/* The sheaf, newest first, then the cpu freelist, then the barn's sheaf, newest first. */
	static void *drained[512];
	int nd = 0;
	expect_true(kmem_cache_alloc(s, GFP_KERNEL) == obj[CAP]);
	for (int i = U - 1; i >= 0; i--)
		expect_true(kmem_cache_alloc(s, GFP_KERNEL) == obj[i]);
	expect_eq(c->sheaf_nr, 0);
	expect_eq(n->nr, 1);
	while (c->freelist && nd < 512)
		assert_true((drained[nd++] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	assert_true(c->freelist == NULL);
	expect_true(kmem_cache_alloc(s, GFP_KERNEL) == obj[CAP - 1]);
	expect_eq(n->nr, 0);
	expect_eq(c->sheaf_nr, U - 1);
	expect_true(c->sheaf[U - 2] == obj[CAP - 2] && c->sheaf[0] == obj[U]);
	expect_eq(slub_check(m), 0);
	kmem_cache_free(s, obj[CAP - 1]);
	/* A barn with no room left: a full sheaf gives its older half back, as before. */
	for (int i = 0; i < U; i++)
		kmem_cache_free(s, obj[i]);
	for (int i = CAP + 1; i < NR; i++)
		kmem_cache_free(s, obj[i]);
	for (int i = 0; i < nd; i++)
		kmem_cache_free(s, drained[i]);
	kmem_cache_free(s, obj[CAP]);
	expect_eq(n->nr, s->barn_max);
	expect_true(c->sheaf_nr > CAP / 2 && c->sheaf_nr <= CAP);
	expect_eq(slub_check(m), 0);
	/* A write after free over the link of an object in the barn: reported as it leaves. */
	memset((char *)barn_at(s, 5) + s->offset, 0x41, sizeof(void *));
	kmem_cache_shrink(s);
	expect_str_contains(t_dmesg(m), "in a CPU's sheaf was overwritten");
	expect_eq(n->nr, 0);
	expect_true(n->top[0] == NULL);
	expect_eq(c->sheaf_nr, 0);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	expect_true(strstr(t_dmesg(m), "still has objects") == NULL);
	slab_fake_done(m, base);
}

/*
 * The lock-free free (kfree_fast(), the malloc shim's free()) of an object
 * of a coded cache that keeps sheaves hands a full sheaf's newer half to
 * the barn itself (kfree_fast_full()), where it went the long way through
 * kfree(), once the barn's room exists: it allocates nothing, so a barn
 * with no room yet, or a full one, is refused and left to kfree(). Objects
 * handed in stay free objects (a second free is refused, the checker finds
 * them).
 */
TEST(the_lock_free_free_hands_half_a_full_sheaf_to_the_barn)
{
	/* The map's paths build in the shim's granule and free pointer (mm/slab_fast.h). */
	struct kmm_machine *m = slab_fake_owned("slab_sheaves=on slab_shadow_granule=16 slab_freeptr=start");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("handy", 64, 0, 0, NULL);
	enum { CAP = SLAB_SHEAF_MAX, U = CAP / 2, MOST = 40 * CAP };
	static void *all[MOST], *obj[MOST];
	static struct slab_fast_map fm;

	assert_true(s != NULL);
	struct sheaf_barn *n = cpu_barn(s, my_cpu(s));
	expect_eq(kmem_cache_shadow_code(s), 0);
	kmem_cache_keep_sheaves(s);
	assert_eq(s->sheaf_capacity, CAP);
	const int NR = CAP + (s->barn_max + 4) * U;
	assert_true(NR <= MOST);
	slab_fast_map_fill(&fm, m);
	/* A page-aligned object takes the struct page way (kfree_fast_paged()): left out. */
	int nr = 0;
	for (int i = 0; i < NR; i++) {
		assert_true((all[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
		if ((uintptr_t)all[i] & (PAGE_SIZE - 1))
			obj[nr++] = all[i];
	}
	if (!m->cpu_lockless) {
		printf("  no owned CPU slot here: only the refusals are checked\n");
		expect_true(!kfree_fast(m, obj[0]));
		goto out;
	}
	struct kmem_cache_cpu *c = my_cpu(s);
	int i = 0;
	for (; i < CAP; i++)
		expect_true(kfree_fast(m, obj[i]));
	expect_eq(c->sheaf_nr, CAP);
	/*
	 * The barn allocates nothing (its sheaves are chained through their
	 * objects): the first full sheaf goes from the lock-free path too, where
	 * a barn with no room yet refused it (session 20).
	 */
	expect_true(n->top[0] == NULL);
	expect_true(kfree_fast_mapped(&fm, obj[i++]) == NULL);
	assert_eq(n->nr, 1);
	expect_eq(c->sheaf_nr, U + 1);
	expect_true(n->top[0] == obj[CAP - 1]);
	/* Half a sheaf of frees more fills it again. */
	for (; i < CAP + U; i++)
		expect_true(kfree_fast(m, obj[i]));
	expect_eq(c->sheaf_nr, CAP);
	expect_true(kfree_fast(m, obj[i]));
	expect_eq(n->nr, 2);
	expect_eq(c->sheaf_nr, U + 1);
	expect_true(c->sheaf[U - 1] == obj[U - 1] && c->sheaf[U] == obj[i]);
	expect_true(barn_at(s, 0) == obj[CAP + U - 1] && barn_at(s, U - 1) == obj[CAP] &&
		    barn_at(s, U) == obj[CAP - 1] && barn_at(s, 2 * U - 1) == obj[U]);
	/* A second free of an object handed in, or of the new top: refused. */
	expect_true(!kfree_fast(m, obj[CAP + 3]));
	expect_true(kfree_fast_mapped(&fm, obj[i]) == obj[i]);
	expect_eq(kmm_kfree_verdict(m, s, obj[CAP + 3], (char[80]){ 0 }, 80), -EALREADY);
	expect_eq(slub_check(m), 0);
	/* The same through the malloc shim's map, until the barn is full. */
	for (i++; i < nr && n->nr < s->barn_max; i++)
		expect_true(kfree_fast_mapped(&fm, obj[i]) == NULL);
	expect_eq(n->nr, s->barn_max);
	expect_eq(c->sheaf_nr, U + 1);
	expect_eq(slub_check(m), 0);
	/* A full barn: refused again; kfree() gives half the sheaf back to the slabs. */
	for (; c->sheaf_nr < CAP; i++)
		expect_true(kfree_fast_mapped(&fm, obj[i]) == NULL);
	assert_true(i < nr);
	expect_true(kfree_fast_mapped(&fm, obj[i]) == obj[i]);
	expect_true(!kfree_fast(m, obj[i]));
	expect_eq(c->sheaf_nr, CAP);
	kmem_cache_free(s, obj[i]);
	expect_eq(n->nr, s->barn_max);
	expect_eq(c->sheaf_nr, CAP / 2 + 1);
	expect_eq(slub_check(m), 0);
out:
	/* The rest (and the page-aligned ones) the long way. */
	for (int k = 0; k < NR; k++) {
		unsigned char sh = *cache_shadow(s, all[k]);
		if (sh != SHADOW_FREE && sh != SHADOW_FLUSHED)
			kmem_cache_free(s, all[k]);
	}
	kmem_cache_shrink(s);
	expect_eq(n->nr, 0);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	expect_true(strstr(t_dmesg(m), "still has objects") == NULL);
	expect_true(strstr(t_dmesg(m), "BUG") == NULL);
	slab_fake_done(m, base);
}

/*
 * A barn is bound in objects and in their bytes (mm/slab.h), not in
 * sheaves: a cache of 64-byte objects keeps SHEAF_BARN_OBJECTS of them
 * (64 half sheaves of 32, where 8 sheaves of 64 were the bound), one of
 * 4 KiB objects SHEAF_BARN_BYTES' worth (32 half sheaves of 2); past that a
 * full sheaf gives its older half back to the slabs.
 */
TEST(a_barn_holds_its_bound_in_objects_and_bytes)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *cs[2] = {
		kmem_cache_create("barn64", 64, 0, 0, NULL),
		kmem_cache_create("barn4k", 4096, 0, 0, NULL),
	};
	enum { MOST = SHEAF_BARN_OBJECTS + 2 * SLAB_SHEAF_MAX };
	static void *obj[MOST];

	for (int k = 0; k < 2; k++) {
		struct kmem_cache *s = cs[k];
		assert_true(s != NULL);
		kmem_cache_keep_sheaves(s);
		unsigned int cap = s->sheaf_capacity, unit = barn_unit(s);
		unsigned int want = k == 0 ? SHEAF_BARN_OBJECTS / unit
					   : SHEAF_BARN_BYTES / (unit * s->size);
		printf("  %s: %u a sheaf, %u sheaves of %u in the barn\n", s->name, cap, want,
		       unit);
		expect_eq(unit, cap / 2);
		expect_eq(s->barn_max, want);
		expect_true(want > 8);
		/* the CPU's own sheaf, every sheaf the barn may hold, and one more */
		int nr = (int)(cap + (want + 1) * unit + 1);
		assert_true(nr <= MOST);
		for (int i = 0; i < nr; i++)
			assert_true((obj[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
		for (int i = 0; i < nr; i++)
			kmem_cache_free(s, obj[i]);
		expect_eq(cpu_barn(s, my_cpu(s))->nr, want);
		expect_eq(my_cpu(s)->sheaf_nr, cap / 2 + 1);
		expect_true((unsigned long)cpu_barn(s, my_cpu(s))->nr * unit * s->size <= SHEAF_BARN_BYTES);
		expect_eq(slub_check(m), 0);
		kmem_cache_shrink(s);
		expect_eq(cpu_barn(s, my_cpu(s))->nr, 0);
		kmem_cache_destroy(s);
	}
	expect_true(strstr(t_dmesg(m), "BUG") == NULL);
	slab_fake_done(m, base);
}

/*
 * The barn keeps its sheaves in their own objects (a word beside the
 * free pointer, mm/slab.h): a full barn takes no host memory, where its
 * room of 32-bit entries (session 20) was malloc'd at the first hand-in,
 * 8 KiB for a cache of small objects (a glibc arena of its own when a
 * worker thread handed in first). A cache whose free objects keep their
 * bytes (a constructor, SLAB_TYPESAFE_BY_RCU) keeps no barn.
 */
static void ctor_mark(void *p)
{
	memset(p, 0x5a, 64);
}

TEST(a_barn_takes_no_host_memory)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("barn-heap", 32, 0, 0, NULL);
	struct kmem_cache *ctor = kmem_cache_create("barn-ctor", 64, 0, 0, ctor_mark);
	struct kmem_cache *rcu = kmem_cache_create("barn-rcu", 64, 0, SLAB_TYPESAFE_BY_RCU, NULL);
	enum { MOST = SHEAF_BARN_OBJECTS + 2 * SLAB_SHEAF_MAX };
	static void *obj[MOST];

	assert_true(s && ctor && rcu);
	kmem_cache_keep_sheaves(s);
	kmem_cache_keep_sheaves(ctor);
	kmem_cache_keep_sheaves(rcu);
	expect_true(s->keep_sheaves);
	expect_true(!ctor->keep_sheaves && ctor->barn_max == 0);
	expect_true(!rcu->keep_sheaves && rcu->barn_max == 0);
	/* The link word is not the free pointer's, and inside the object. */
	expect_true(s->barn_link != s->offset && s->barn_link + sizeof(void *) <= s->size);
	int nr = (int)(s->sheaf_capacity + (s->barn_max + 1) * barn_unit(s) + 1);
	assert_true(nr <= MOST);
	for (int i = 0; i < nr; i++)
		assert_true((obj[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
#if KMM_UNDER_SANITIZER
	printf("  (the host heap not measured under a sanitizer)\n");
#else
	struct mallinfo2 before = mallinfo2();
#endif
	for (int i = 0; i < nr; i++)
		kmem_cache_free(s, obj[i]);
	expect_eq(cpu_barn(s, my_cpu(s))->nr, s->barn_max);
#if !KMM_UNDER_SANITIZER
	struct mallinfo2 after = mallinfo2();
	printf("  %u sheaves of %u in the barn: host heap in use %zu -> %zu bytes\n",
	       s->barn_max, barn_unit(s), before.uordblks, after.uordblks);
	expect_eq(after.uordblks, before.uordblks);
#endif
	expect_eq(slub_check(m), 0);
	kmem_cache_shrink(s);
	expect_eq(cpu_barn(s, my_cpu(s))->nr, 0);
	/* The constructor's bytes survive a free and an allocation (no link written there). */
	void *a = kmem_cache_alloc(ctor, GFP_KERNEL);
	assert_true(a != NULL);
	kmem_cache_free(ctor, a);
	void *b = kmem_cache_alloc(ctor, GFP_KERNEL);
	expect_true(b == a);
	kmem_cache_free(ctor, b);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	kmem_cache_destroy(ctor);
	kmem_cache_destroy(rcu);
	expect_true(strstr(t_dmesg(m), "BUG") == NULL);
	slab_fake_done(m, base);
}

/*
 * The end of a test of an overwritten barn link: the @lost objects below the
 * bad link are free on no freelist until the shrink (the checker fails),
 * which gives them back and says so (the checker holds); then the @nd
 * objects of @got, every one the test still holds, are freed and the
 * machine must be whole again: none was lost.
 */
static void barn_waf_end(struct kmm_machine *m, unsigned long base, struct kmem_cache *s,
			 unsigned int lost, void **got, unsigned int nd)
{
	char want[96];

	expect_true(slub_check(m) != 0);
	kmem_cache_shrink(s);
	snprintf(want, sizeof(want), "Gave %u objects the barn had lost back to their slabs", lost);
	expect_str_contains(t_dmesg(m), want);
	expect_eq(slub_check(m), 0);
	for (unsigned int i = 0; i < nd; i++)
		kmem_cache_free(s, got[i]);
	kmem_cache_shrink(s);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	expect_true(strstr(t_dmesg(m), "still has objects") == NULL);
	slab_fake_done(m, base);
}

/*
 * A write after free over an object's barn link, the word the barn's chains
 * run through: the take that meets it reports it ("barn link ... was
 * overwritten"), never follows it, and keeps the entries it had reached (the
 * object itself and those above it, and the other chains' down to the place
 * the bad link was to fill: BARN_CHAINS - 1 more); the objects below stay
 * in use in their slabs until the next shrink finds them by their shadow
 * and gives them back, so none is lost and the checker holds after it.
 */
TEST(an_overwritten_barn_link_is_reported_and_nothing_is_lost)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("barn-waf", 64, 0, 0, NULL);
	enum { CAP = SLAB_SHEAF_MAX, U = CAP / 2, NR = CAP + 2 * U + 1 };
	static void *obj[NR];

	assert_true(s != NULL);
	kmem_cache_keep_sheaves(s);
	assert_eq(s->sheaf_capacity, CAP);
	for (int i = 0; i < NR; i++)
		assert_true((obj[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	for (int i = 0; i < NR; i++)
		kmem_cache_free(s, obj[i]);
	struct kmem_cache_cpu *c = my_cpu(s);
	/* The barn: obj[CAP + U .. CAP + 2U - 1], obj[CAP .. CAP + U - 1], obj[U .. CAP - 1]. */
	assert_eq(cpu_barn(s, my_cpu(s))->nr, 3);
	assert_eq(c->sheaf_nr, U + 1);
	/* The second sheaf (obj[CAP .. CAP + U - 1]): its object 10 from the top. */
	void *victim = barn_at(s, U + 10);
	assert_true(victim == obj[CAP + U - 1 - 10]);
	memset((char *)victim + s->barn_link, 0x41, sizeof(void *));
	/* Empty the CPU: its sheaf (obj[2 CAP], obj[U - 1 .. 0]), its cpu freelist, then the barn. */
	expect_true(kmem_cache_alloc(s, GFP_KERNEL) == obj[NR - 1]);
	static void *got[NR + 512];
	int nd = 0;
	for (int i = U - 1; i >= 0; i--)
		expect_true((got[nd++] = kmem_cache_alloc(s, GFP_KERNEL)) == obj[i]);
	while (c->freelist && nd < 512 + U)
		assert_true((got[nd++] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	/* The newest sheaf whole, as ever. */
	expect_true(kmem_cache_alloc(s, GFP_KERNEL) == obj[CAP + 2 * U - 1]);
	expect_eq(cpu_barn(s, my_cpu(s))->nr, 2);
	expect_true(strstr(t_dmesg(m), "barn link") == NULL);
	for (int i = 0; i < U - 1; i++)
		assert_true((got[nd++] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	/* The next: its top 14 objects (the victim and 3 below it: 4 chains); no more barn. */
	_Static_assert(BARN_CHAINS == 4, "the counts below");
	expect_true(kmem_cache_alloc(s, GFP_KERNEL) == obj[CAP + U - 1]);
	expect_str_contains(t_dmesg(m), "the barn link of a freed object in a CPU's barn was "
					 "overwritten");
	/* below those: its sheaf's U - 14, and the oldest sheaf's U */
	expect_str_contains(t_dmesg(m), "Left the 50 objects of the barn below object");
	expect_eq(cpu_barn(s, my_cpu(s))->nr, 0);
	expect_true(cpu_barn(s, my_cpu(s))->top[0] == NULL);
	expect_eq(c->sheaf_nr, 13);
	expect_true(c->sheaf[3] == victim && c->sheaf[0] == obj[CAP + U - 1 - 13]);
	got[nd++] = obj[NR - 1];
	got[nd++] = obj[CAP + 2 * U - 1];
	got[nd++] = obj[CAP + U - 1];
	barn_waf_end(m, base, s, 50, got, (unsigned int)nd);
}

/*
 * One case of the test below: on a machine booted with @cmdline, a cache of
 * @size-byte objects, its barn three sheaves (barn_unit() objects each)
 * deep, the link of the middle sheaf's object @depth from its top
 * overwritten. The take that meets it keeps the @depth + 1 objects down to
 * the bad link and the barn_chains() - 1 below it that the other chains had
 * reached (at most the sheaf), reports it and loses the rest, which the
 * shrink gives back.
 */
static void barn_waf_case(const char *cmdline, unsigned int size, unsigned int want_unit,
			  unsigned int depth)
{
	struct kmm_machine *m = slab_fake(cmdline);
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("barn-waf", size, 0, 0, NULL);
	static void *obj[2 * SLAB_SHEAF_MAX + 1], *got[4 * SLAB_SHEAF_MAX + 512];
	char want[96];

	assert_true(s != NULL);
	kmem_cache_keep_sheaves(s);
	unsigned int cap = s->sheaf_capacity, u = barn_unit(s);
	/* the CPU keeps cap - u, each later u frees hand u in: three sheaves, and one on top */
	unsigned int kept = KMM_MIN(depth + barn_chains(s), u);
	unsigned int nr = cap + 2 * u + 1, lost = u - kept + u;
	assert_eq(u, want_unit);
	assert_true(depth < u);
	for (unsigned int i = 0; i < nr; i++)
		assert_true((obj[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	for (unsigned int i = 0; i < nr; i++)
		kmem_cache_free(s, obj[i]);
	struct kmem_cache_cpu *c = my_cpu(s);
	assert_eq(cpu_barn(s, my_cpu(s))->nr, 3);
	assert_eq(c->sheaf_nr, cap - u + 1);
	void *victim = barn_at(s, u + depth);
	assert_true(victim == obj[cap + u - 1 - depth]);
	memset((char *)victim + s->barn_link, 0x41, sizeof(void *));
	expect_true(kmem_cache_alloc(s, GFP_KERNEL) == obj[nr - 1]);
	unsigned int nd = 0;
	for (unsigned int i = 0; i < cap - u; i++)
		assert_true((got[nd++] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	while (c->freelist && nd < 512 + cap)
		assert_true((got[nd++] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	for (unsigned int i = 0; i < u; i++)
		assert_true((got[nd++] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	expect_true(strstr(t_dmesg(m), "barn link") == NULL);
	expect_true(kmem_cache_alloc(s, GFP_KERNEL) == obj[cap + u - 1]);
	expect_str_contains(t_dmesg(m), "the barn link of a freed object in a CPU's barn was "
					 "overwritten");
	snprintf(want, sizeof(want), "Left the %u objects of the barn below object", lost);
	expect_str_contains(t_dmesg(m), want);
	expect_eq(cpu_barn(s, my_cpu(s))->nr, 0);
	expect_eq(c->sheaf_nr, kept - 1);
	if (depth)
		expect_true(c->sheaf[kept - 1 - depth] == victim);
	got[nd++] = obj[nr - 1];
	got[nd++] = obj[cap + u - 1];
	barn_waf_end(m, base, s, lost, got, nd);
}

/*
 * The take follows the barn's chains side by side (struct sheaf_barn): an
 * overwritten link is caught wherever it lies in a sheaf, at the top, at
 * the bottom (the links to the next sheaf), in any of the chains, in a
 * barn's sheaf of an even size (64-byte objects: 32, half of 64), an odd
 * one (160-byte objects: 25 of 51) and ones smaller than BARN_CHAINS
 * (1176 and 2048-byte objects: 3 of 6 and 2 of 4, as many chains), with
 * plain and hardened links.
 */
TEST(an_overwritten_barn_link_is_caught_at_every_place_in_its_sheaf)
{
	static const char *const cmdlines[] = {
		"slab_sheaves=on",
		"slab_sheaves=on slab_freelist_hardened=on",
	};
	static const struct { unsigned int size, unit; } caches[] = {
		{ 64, 32 }, { 160, 25 }, { 1176, 3 }, { 2048, 2 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cmdlines); i++) {
		for (unsigned int j = 0; j < ARRAY_SIZE(caches); j++) {
			unsigned int u = caches[j].unit;
			const unsigned int depths[] = { 0, 1, 2, 3, 4, 10, 11, u - 5, u - 4, u - 3,
							u - 2, u - 1 };
			for (unsigned int k = 0; k < ARRAY_SIZE(depths); k++)
				if (depths[k] < u)
					barn_waf_case(cmdlines[i], caches[j].size, u, depths[k]);
		}
	}
}

/*
 * kmem_cache_alloc_barn() (the malloc shim's malloc_slow()): a CPU whose
 * sheaf and cpu freelist are empty takes a sheaf from the barn in the
 * lock-free section and pops its newest object; with an empty barn, a cpu
 * freelist that still holds objects, or a cache that keeps no barn, it
 * returns NULL and changes nothing.
 */
TEST(the_lock_free_alloc_takes_a_sheaf_from_the_barn)
{
	struct kmm_machine *m = slab_fake_owned("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("barnpop", 64, 0, 0, NULL);
	struct kmem_cache *plain = kmem_cache_create("nobarn", 64, 0, 0, NULL);
	enum { CAP = SLAB_SHEAF_MAX, U = CAP / 2, NR = 2 * CAP + 1 };
	static void *obj[NR];

	assert_true(s != NULL && plain != NULL);
	kmem_cache_keep_sheaves(s);
	for (int i = 0; i < NR; i++)
		assert_true((obj[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	struct kmem_cache_cpu *c = my_cpu(s);
	struct sheaf_barn *n = cpu_barn(s, my_cpu(s));
	/* Half a sheaf to the barn, the CPU's sheaf the older half and the last one freed. */
	for (int i = 0; i < CAP + 1; i++)
		kmem_cache_free(s, obj[i]);
	assert_eq(n->nr, 1);
	assert_eq(c->sheaf_nr, U + 1);
	void *p = kmem_cache_alloc_barn(plain);		/* keeps no barn */
	expect_true(p == NULL);
	if (p)
		kmem_cache_free(plain, p);
	expect_true(kmem_cache_alloc_barn(s) == NULL);	/* the sheaf is not empty */
	expect_true(kmem_cache_alloc(s, GFP_KERNEL) == obj[CAP]);
	for (int i = U - 1; i >= 0; i--)
		expect_true(kmem_cache_alloc(s, GFP_KERNEL) == obj[i]);
	/* Drain the cpu freelist: the barn is taken only when it is empty too. */
	static void *drained[512];
	int nd = 0;
	if (c->freelist && m->cpu_lockless) {
		expect_true(kmem_cache_alloc_barn(s) == NULL);
		expect_eq(n->nr, 1);
	}
	while (c->freelist && nd < 512)
		assert_true((drained[nd++] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	assert_true(c->freelist == NULL && c->sheaf_nr == 0);
	if (!m->cpu_lockless) {
		printf("  no owned CPU slot here: only the refusal is checked\n");
		expect_true(kmem_cache_alloc_barn(s) == NULL);
		expect_eq(n->nr, 1);
		for (int i = 0; i < U; i++)
			kmem_cache_free(s, obj[i]);
	} else {
		expect_true(kmem_cache_alloc_barn(s) == obj[CAP - 1]);
		expect_eq(n->nr, 0);
		expect_eq(c->sheaf_nr, U - 1);
		expect_true(c->sheaf[U - 2] == obj[CAP - 2] && c->sheaf[0] == obj[U]);
		expect_eq(slub_check(m), 0);
		/* The sheaf emptied again and the barn empty: nothing taken, nothing changed. */
		for (int i = CAP - 2; i >= U; i--)
			expect_true(kmem_cache_alloc(s, GFP_KERNEL) == obj[i]);
		assert_true(c->freelist == NULL && c->sheaf_nr == 0);
		expect_true(kmem_cache_alloc_barn(s) == NULL);
		expect_eq(c->sheaf_nr, 0);
		for (int i = 0; i < CAP; i++)
			kmem_cache_free(s, obj[i]);
	}
	expect_eq(slub_check(m), 0);
	for (int i = 0; i < nd; i++)
		kmem_cache_free(s, drained[i]);
	for (int i = CAP + 1; i < NR; i++)
		kmem_cache_free(s, obj[i]);
	kmem_cache_free(s, obj[CAP]);
	kmem_cache_shrink(s);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(plain);
	kmem_cache_destroy(s);
	expect_true(strstr(t_dmesg(m), "BUG") == NULL);
	expect_true(strstr(t_dmesg(m), "still has objects") == NULL);
	slab_fake_done(m, base);
}

TEST(random_walk_with_barns_keeps_the_checker_holding)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	uint64_t seed = kmm_test_seed();
	struct kmem_cache *cs[2] = {
		kmem_cache_create("b32", 32, 0, 0, NULL),
		kmem_cache_create("b700", 700, 0, 0, NULL),
	};
	enum { LIVE = 1500 };
	static void *live[LIVE];
	static int order[LIVE];
	int rounds = kmm_test_quick() ? 4 : 20;
	unsigned int most = 0;

	kmem_cache_keep_sheaves(cs[0]);
	kmem_cache_keep_sheaves(cs[1]);
	memset(live, 0, sizeof(live));
	/*
	 * Rounds: fill the empty slots (even ones from the 32-byte cache, odd
	 * ones from the 700-byte one), then free all but a random few in a
	 * random order, so sheaves fill and hand halves to the barn, which
	 * come back whole to the next round's allocations.
	 */
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < LIVE; k++)
			if (!live[k])
				assert_true((live[k] = kmem_cache_alloc(cs[k % 2], GFP_KERNEL)) != NULL);
		for (int k = 0; k < LIVE; k++)
			order[k] = k;
		for (int k = LIVE - 1; k > 0; k--) {
			int j = (int)t_rnd(&seed, (uint64_t)k + 1), t = order[k];
			order[k] = order[j];
			order[j] = t;
		}
		int keep = (int)t_rnd(&seed, LIVE / 4);
		for (int j = 0; j < LIVE - keep; j++) {
			int k = order[j];
			kmem_cache_free(cs[k % 2], live[k]);
			live[k] = NULL;
			if (cpu_barn(cs[0], my_cpu(cs[0]))->nr > most)
				most = cpu_barn(cs[0], my_cpu(cs[0]))->nr;
			if (j % 151 == 0 && slub_check(m))
				kmm_test_fail(__FILE__, __LINE__, "round %d, free %d: %s", r, j,
					      kmm_last_error());
		}
		if (r % 3 == 2)
			kmem_cache_shrink(cs[r % 2]);
	}
	for (int k = 0; k < LIVE; k++)
		if (live[k])
			kmem_cache_free(cs[k % 2], live[k]);
	/* each round frees over 560 objects of 32 bytes: over 8 full sheaves of 64 */
	expect_true(most > 0);
	expect_eq(slub_check(m), 0);
	for (int i = 0; i < 2; i++)
		kmem_cache_destroy(cs[i]);
	expect_true(strstr(t_dmesg(m), "still has objects") == NULL);
	expect_true(strstr(t_dmesg(m), "BUG") == NULL);
	slab_fake_done(m, base);
}

/*
 * A CPU's barn is that CPU's (struct sheaf_barn): the half sheaves a CPU's
 * frees hand in come back to that CPU alone, and another CPU whose sheaf
 * runs dry takes none of them, here a second thread on the second slot.
 * (Until session 24 the barn was the node's, and the other CPU's first
 * allocation took the half sheaf: two threads each churning objects of
 * their own came to share those objects' lines.)
 */
enum { OWN_CAP = SLAB_SHEAF_MAX, OWN_U = OWN_CAP / 2, OWN_NR = OWN_CAP + 1 };

struct other_cpu {
	struct kmm_machine *m;
	struct kmem_cache *s;
	void *const *mine;	/* the first thread's objects, obj[0 .. OWN_NR - 1] */
	int cpu;		/* the slot this thread got */
	int got_mine;		/* its allocations that were one of @mine */
	unsigned long barn_after_frees;	/* its own barn's sheaves after its frees */
};

static struct kmem_cache_cpu *cpu_of(struct kmem_cache *s, int cpu)
{
	return per_cpu_ptr(s->cpu_slab, cpu);
}

/* The second thread: allocate a sheaf and one of objects, then free them all on its slot. */
static void *other_cpu_thread(void *arg)
{
	struct other_cpu *o = arg;
	void *got[OWN_NR];

	o->cpu = kmm_this_cpu(o->m);
	for (int i = 0; i < OWN_NR; i++) {
		got[i] = kmem_cache_alloc(o->s, GFP_KERNEL);
		assert_true(got[i] != NULL);
		for (int k = 0; k < OWN_NR; k++)
			o->got_mine += got[i] == o->mine[k];
	}
	for (int i = 0; i < OWN_NR; i++)
		kmem_cache_free(o->s, got[i]);
	o->barn_after_frees = cpu_barn(o->s, cpu_of(o->s, o->cpu))->nr;
	return NULL;
}

TEST(a_cpus_barn_gives_its_half_sheaves_back_to_that_cpu_alone)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("barn_own", 64, 0, 0, NULL);
	static void *obj[OWN_NR];

	assert_true(s != NULL);
	kmem_cache_keep_sheaves(s);
	assert_true(s->keep_sheaves);
	assert_eq(s->sheaf_capacity, OWN_CAP);
	int me = kmm_this_cpu(m);
	struct sheaf_barn *b = cpu_barn(s, cpu_of(s, me));
	for (int i = 0; i < OWN_NR; i++)
		assert_true((obj[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	/* A full sheaf, then one free more: its newer half (obj[OWN_U .. OWN_CAP - 1]) to this CPU's barn. */
	for (int i = 0; i < OWN_NR; i++)
		kmem_cache_free(s, obj[i]);
	assert_eq(b->nr, 1);
	expect_true(b->top[0] == obj[OWN_CAP - 1]);
	expect_eq(cpu_of(s, me)->sheaf_nr, OWN_U + 1);

	/* The other CPU, its sheaf and cpu freelist empty: a slab's objects, not the barn's. */
	struct other_cpu o = { .m = m, .s = s, .mine = obj, .cpu = -1 };
	sim_thread *t;
	assert_eq(sim_thread_start(&t, other_cpu_thread, &o), 0);
	sim_thread_join(t);
	expect_true(o.cpu >= 0 && o.cpu != me);
	expect_eq(o.got_mine, 0);
	/* Its own frees went to its own barn, and this CPU's barn is as it was. */
	expect_eq(o.barn_after_frees, 1);
	expect_eq(b->nr, 1);
	expect_true(b->top[0] == obj[OWN_CAP - 1]);
	expect_eq(slub_check(m), 0);

	/* This CPU's sheaf, its cpu freelist, then its barn's half sheaf, newest first. */
	for (int i = 0; i < OWN_U + 1; i++)
		assert_true(kmem_cache_alloc(s, GFP_KERNEL) != NULL);
	static void *drained[512];
	int nd = 0;
	while (cpu_of(s, me)->freelist && nd < 512)
		assert_true((drained[nd++] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	expect_true(kmem_cache_alloc(s, GFP_KERNEL) == obj[OWN_CAP - 1]);
	expect_eq(b->nr, 0);
	expect_eq(cpu_of(s, me)->sheaf_nr, OWN_U - 1);
	expect_eq(slub_check(m), 0);

	/* Everything back; a shrink empties every CPU's barn. */
	for (int i = 0; i < OWN_NR; i++)
		if (*cache_shadow(s, obj[i]) != SHADOW_FREE)
			kmem_cache_free(s, obj[i]);
	for (int i = 0; i < nd; i++)
		kmem_cache_free(s, drained[i]);
	kmem_cache_shrink(s);
	expect_eq(b->nr, 0);
	expect_eq(cpu_barn(s, cpu_of(s, o.cpu >= 0 ? o.cpu : me))->nr, 0);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	expect_true(strstr(t_dmesg(m), "still has objects") == NULL);
	slab_fake_done(m, base);
}

struct slot_holder {
	struct kmm_machine *m;
	struct kmem_cache *s;
	atomic_int *held, *go;
};

/*
 * Hold a CPU slot of h->m; at *h->go == 1 free a sheaf and a half of h->s
 * into this slot's sheaf, which hands its newer half to the slot's barn,
 * and count in *h->held again; at 2 exit (the exit hook gives the slot
 * back, its barn as it is).
 */
static void *hold_a_slot(void *arg)
{
	struct slot_holder *h = arg;
	void *obj[SLAB_SHEAF_MAX * 2];
	int nr = (int)(h->s->sheaf_capacity + barn_unit(h->s));

	kmm_use(h->m);
	(void)kmm_this_cpu(h->m);
	atomic_fetch_add(h->held, 1);
	while (atomic_load(h->go) < 1)
		sim_cpu_relax();
	for (int i = 0; i < nr; i++)
		obj[i] = kmem_cache_alloc(h->s, GFP_KERNEL);
	for (int i = 0; i < nr; i++)
		if (obj[i])
			kmem_cache_free(h->s, obj[i]);
	atomic_fetch_add(h->held, 1);
	while (atomic_load(h->go) < 2)
		sim_cpu_relax();
	return NULL;
}

/* Free @nr objects of @s allocated first; Return: this CPU's barn's sheaves then. */
static unsigned long fill_barn(struct kmem_cache *s, void **obj, int nr)
{
	for (int i = 0; i < nr; i++)
		assert_true((obj[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	for (int i = 0; i < nr; i++)
		kmem_cache_free(s, obj[i]);
	return cpu_barn(s, my_cpu(s))->nr;
}

/*
 * A cache's barns that hold sheaves share its bound two to a share
 * (barn_room(), s->barns_used): threads that hold CPU slots and free
 * nothing into the cache leave this CPU's barn the whole s->barn_max (with
 * the slots as sharers, until session 28, three such threads halved it);
 * once their barns hold sheaves too, four barns, it takes half; their
 * threads gone, their barns keep their sheaves and their shares, until a
 * shrink empties them. (Each barn with the whole bound would hold the
 * threads' number of times the node barn's; the malloc shim's machine has
 * a slot per thread.) The checker counts the barns that hold sheaves
 * against s->barns_used at each step.
 */
TEST(the_barns_in_use_share_the_barns_bound)
{
	struct kmm_machine *m = kmm_boot("mem=256M nr_cpus=8 slab_sheaves=on");
	enum { HOLDERS = 3, MANY = 3000 };
	static void *obj[MANY];
	atomic_int held = 0, go = 0;
	struct slot_holder h = { .m = NULL, .s = NULL, .held = &held, .go = &go };
	sim_thread *t[HOLDERS];

	assert_true(m != NULL);
	kmm_use(m);
	h.m = m;
	struct kmem_cache *s = kmem_cache_create("barn_share", 64, 0, 0, NULL);
	assert_true(s != NULL);
	h.s = s;
	kmem_cache_keep_sheaves(s);
	assert_eq(s->barn_max, 64);	/* 64-byte objects: 64 half sheaves of 32 */
	(void)kmm_this_cpu(m);
	for (int i = 0; i < HOLDERS; i++)
		assert_eq(sim_thread_start(&t[i], hold_a_slot, &h), 0);
	while (atomic_load(&held) < HOLDERS)
		sim_cpu_relax();
	/* Four slots held, one barn in use: the whole bound. */
	expect_eq(fill_barn(s, obj, MANY), 64);
	expect_eq(s->barns_used, 1);
	expect_eq(kmm_check(m), 0);
	kmem_cache_shrink(s);
	expect_eq(s->barns_used, 0);
	atomic_store(&go, 1);
	while (atomic_load(&held) < 2 * HOLDERS)
		sim_cpu_relax();
	/* Their three barns and this one: half the bound. */
	expect_eq(s->barns_used, HOLDERS);
	expect_eq(fill_barn(s, obj, MANY), 32);
	expect_eq(s->barns_used, HOLDERS + 1);
	atomic_store(&go, 2);
	for (int i = 0; i < HOLDERS; i++)
		sim_thread_join(t[i]);
	/* Their slots given back, their barns still hold: half. */
	expect_eq(fill_barn(s, obj, MANY), 32);
	expect_eq(kmm_check(m), 0);
	/* A shrink empties every barn: this one alone, the whole bound. */
	kmem_cache_shrink(s);
	expect_eq(s->barns_used, 0);
	expect_eq(fill_barn(s, obj, MANY), 64);
	expect_eq(kmm_check(m), 0);
	kmem_cache_destroy(s);
	kmm_shutdown(m);
}
