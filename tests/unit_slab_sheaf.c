// SPDX-License-Identifier: MIT
/*
 * tests/unit_slab_sheaf.c - white-box tests of the CPUs' sheaves
 * (slab_sheaves=on, mm/slab.h) and of the lock-free paths the malloc shim
 * calls alone (kmem_cache_alloc_fast(), kfree_fast()), on the hand-built
 * two-CPU machine of tests/slab_fake.h; also built for the slab's fallback
 * without cmpxchg16b (unit_slab_sheaf_nocx16). Each CPU's barn, where full
 * sheaves hand their newer half, has its own tests: tests/unit_slab_barn.c.
 */
#include <errno.h>
#include <pthread.h>

#include <kmm/trace.h>

#include "mm/slab_fast.h"
#include "tests/slab_fake.h"

/* This thread's kmem_cache_cpu of @s (its slot, as the fast paths find it). */
static struct kmem_cache_cpu *my_cpu(struct kmem_cache *s)
{
	return per_cpu_ptr(s->cpu_slab, kmm_this_cpu(s->machine));
}

TEST(sheaves_are_off_by_default_and_for_debug_caches)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("plain", 64, 0, 0, NULL);

	expect_eq(s->sheaf_capacity, 0);
	void *a = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, a);
	expect_eq(my_cpu(s)->sheaf_nr, 0);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);

	m = slab_fake("slab_sheaves=on slab_debug=F,dbg");
	base = slab_nr_free(m);
	s = kmem_cache_create("dbg", 64, 0, 0, NULL);
	struct kmem_cache *t = kmem_cache_create("nodbg", 64, 0, 0, NULL);
	expect_eq(s->sheaf_capacity, 0);
	expect_eq(t->sheaf_capacity, SLAB_SHEAF_MAX);
	kmem_cache_destroy(s);
	kmem_cache_destroy(t);
	slab_fake_done(m, base);
}

/*
 * A cache with sheaves whose fast paths run takes a shadow code at its
 * creation (kmem_cache_free() and kfree() then know its objects by their
 * shadow byte); a cache without sheaves, a debug cache and a hardened one
 * keep the plain byte (their frees read the struct page).
 */
TEST(a_cache_with_sheaves_takes_a_shadow_code_at_creation)
{
	static const struct {
		const char *cmdline;
		bool coded;
	} cases[] = {
		{ "slab_sheaves=on", true },
		{ "", false },
		{ "slab_sheaves=on slab_debug=F,coded", false },
		{ "slab_sheaves=on slab_freelist_hardened=on", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kmm_machine *m = slab_fake(cases[i].cmdline);
		unsigned long base = slab_nr_free(m);
		struct slab_machine *st = slab_state(m);
		unsigned int given = st->nr_shadow_codes;
		struct kmem_cache *s = kmem_cache_create("coded", 64, 0, 0, NULL);

		assert_true(s != NULL);
		unsigned char v = kmem_cache_shadow_value(s);
		char *p = kmem_cache_alloc(s, GFP_KERNEL);
		assert_true(p != NULL);
		expect_eq(*cache_shadow(s, p), v);
		if (cases[i].coded) {
			expect_eq(v, KMM_SLAB_SHADOW_CODE_BASE + given);
			expect_eq(st->nr_shadow_codes, given + 1);
			expect_true(st->shadow_coded[given] == s);
		} else {
			printf("  %s: plain\n", cases[i].cmdline);
			expect_eq(v, SHADOW_ALLOCATED);
			expect_eq(st->nr_shadow_codes, given);
		}
		kmem_cache_free(s, p);
		kmem_cache_destroy(s);
		slab_fake_done(m, base);
	}
}

/*
 * A CPU of a cache costs one cache line, sheaves on or off: the sheaves are
 * one block after the CPUs' structures, in caches that have them only
 * (inline, the array made every kmem_cache_cpu 320 bytes).
 */
TEST(a_cpu_of_a_cache_is_one_cache_line_and_the_sheaves_are_a_block_of_their_own)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on slab_debug=F,dbg");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("blocked", 64, 0, 0, NULL);
	struct kmem_cache *d = kmem_cache_create("dbg", 64, 0, 0, NULL);

	expect_eq(sizeof(struct kmem_cache_cpu), 64);
	assert_true(m->nr_cpus >= 2);
	/* Every CPU set up, as if each had had a thread (mm/include/percpu.h). */
	for (int cpu = 0; cpu < m->nr_cpus; cpu++)
		pcpu_populate(m, cpu);
	void **block = sheaf_home(s, 0);
	assert_true(block != NULL);
	for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
		expect_true(per_cpu_ptr(s->cpu_slab, cpu)->sheaf == per_cpu_ptr(block, cpu));
		expect_true(per_cpu_ptr(d->cpu_slab, cpu)->sheaf == NULL);
	}
	/* Each CPU's frees land in its own part of the block. */
	void *a = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, a);
	expect_true(my_cpu(s)->sheaf[0] == a);
	expect_eq(slub_check(m), 0);
	/* The checker knows where each sheaf belongs. */
	int other_cpu = (kmm_this_cpu(m) + 1) % m->nr_cpus;

	pcpu_populate(m, other_cpu);	/* as if a thread had taken it */
	struct kmem_cache_cpu *other = per_cpu_ptr(s->cpu_slab, other_cpu);
	void **home = other->sheaf;
	other->sheaf = my_cpu(s)->sheaf;
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "sheaf is not its part of the cache's sheaf block");
	other->sheaf = home;
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	kmem_cache_destroy(d);
	slab_fake_done(m, base);
}

/*
 * No two CPUs' sheaves share a cache line, whatever the capacity: a sheaf
 * of 25 entries (320-byte objects) or 12 (640) starts a line of its own,
 * the next CPU's a whole number of lines further on (sheaf_stride()).
 */
TEST(each_cpus_sheaf_starts_a_cache_line_of_its_own)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	static const unsigned int size[] = { 320, 448, 640, 768, 896 };

	assert_true(m->nr_cpus >= 2);
	for (int cpu = 0; cpu < m->nr_cpus; cpu++)
		pcpu_populate(m, cpu);	/* every CPU's sheaf set up */
	for (size_t i = 0; i < ARRAY_SIZE(size); i++) {
		char name[32];
		snprintf(name, sizeof(name), "line-%u", size[i]);
		struct kmem_cache *s = kmem_cache_create(name, size[i], 0, 0, NULL);
		assert_true(s != NULL && s->sheaf_capacity % 8 != 0);
		for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
			void **sheaf = per_cpu_ptr(s->cpu_slab, cpu)->sheaf;
			if ((uintptr_t)sheaf % 64 != 0)
				kmm_test_fail(__FILE__, __LINE__, "%u-byte objects (capacity %u): "
					      "cpu%d's sheaf is %u bytes into a cache line",
					      size[i], s->sheaf_capacity, cpu,
					      (unsigned int)((uintptr_t)sheaf % 64));
			if (cpu + 1 < m->nr_cpus)
				expect_true(per_cpu_ptr(s->cpu_slab, cpu + 1)->sheaf >= sheaf + s->sheaf_capacity);
		}
		/* Every CPU's sheaf filled and given back: the block holds them. */
		void *obj[2 * SLAB_SHEAF_MAX];
		unsigned int n = 2 * s->sheaf_capacity;
		for (unsigned int k = 0; k < n; k++)
			assert_true((obj[k] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
		for (unsigned int k = 0; k < n; k++)
			kmem_cache_free(s, obj[k]);
		expect_eq(slub_check(m), 0);
		kmem_cache_destroy(s);
	}
	slab_fake_done(m, base);
}

/*
 * A sheaf holds two pages' worth of objects (4 to SLAB_SHEAF_MAX): at 32
 * for every size, a CPU freeing 8 KiB objects kept 256 KiB of them out of
 * their slabs. A full sheaf of a large class gives its older half back too.
 */
TEST(a_sheaf_holds_two_pages_worth_of_objects)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	static const unsigned int size[] = { 8, 64, 256, 512, 1024, 2048, 4096, 8192 };
	static const unsigned int cap[] = { 64, 64, 32, 16, 8, 4, 4, 4 };
	struct kmem_cache *s;

	for (size_t i = 0; i < ARRAY_SIZE(size); i++) {
		char name[32];
		snprintf(name, sizeof(name), "cap-%u", size[i]);
		s = kmem_cache_create(name, size[i], 0, 0, NULL);
		assert_true(s != NULL);
		if (s->sheaf_capacity != cap[i])
			kmm_test_fail(__FILE__, __LINE__, "%u-byte objects: sheaf capacity %u, "
				      "expected %u", size[i], s->sheaf_capacity, cap[i]);
		kmem_cache_destroy(s);
	}
	s = kmem_cache_create("big", 4096, 0, 0, NULL);
	void *obj[5];
	for (int i = 0; i < 5; i++)
		assert_true((obj[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	for (int i = 0; i < 4; i++)
		kmem_cache_free(s, obj[i]);
	expect_eq(my_cpu(s)->sheaf_nr, 4);
	kmem_cache_free(s, obj[4]);
	expect_eq(my_cpu(s)->sheaf_nr, 3);
	expect_true(my_cpu(s)->sheaf[2] == obj[4]);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);
}

TEST(a_free_goes_to_the_sheaf_and_the_next_alloc_takes_it_back)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("sheafy", 64, 0, 0, NULL);
	void *obj[100];

	for (int i = 0; i < 100; i++)
		assert_true((obj[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	/* Freed objects wait in the sheaf, counted in use by their slabs, shadow FREE. */
	for (int i = 0; i < 10; i++)
		kmem_cache_free(s, obj[i]);
	struct kmem_cache_cpu *c = my_cpu(s);
	expect_eq(c->sheaf_nr, 10);
	expect_eq(c->sheaf[9], obj[9]);
	expect_eq(kmm_kfree_verdict(m, s, obj[3], (char[80]){ 0 }, 80), -EALREADY);
	expect_eq(slub_check(m), 0);
	/* Last in, first out. */
	expect_eq(kmem_cache_alloc(s, GFP_KERNEL), obj[9]);
	expect_eq(kmem_cache_alloc(s, GFP_KERNEL), obj[8]);
	expect_eq(c->sheaf_nr, 8);
	/* A full sheaf gives its older half back to the slabs. */
	for (int i = 10; i < 10 + SLAB_SHEAF_MAX - 8; i++)
		kmem_cache_free(s, obj[i]);
	expect_eq(c->sheaf_nr, SLAB_SHEAF_MAX);
	kmem_cache_free(s, obj[99]);
	expect_eq(c->sheaf_nr, SLAB_SHEAF_MAX / 2 + 1);
	expect_eq(c->sheaf[c->sheaf_nr - 1], obj[99]);
	expect_eq(slub_check(m), 0);
	kmem_cache_free(s, obj[8]);
	kmem_cache_free(s, obj[9]);
	for (int i = 10 + SLAB_SHEAF_MAX - 8; i < 99; i++)
		kmem_cache_free(s, obj[i]);
	expect_eq(slub_check(m), 0);
	/* Destroying the cache gives every sheaf back first: nothing is reported left. */
	kmem_cache_destroy(s);
	expect_true(strstr(t_dmesg(m), "still has objects") == NULL);
	expect_true(strstr(t_dmesg(m), "BUG") == NULL);
	expect_true(kmm_find_cache(m, "sheafy") == NULL);
	slab_fake_done(m, base);
}

TEST(a_second_free_of_an_object_in_the_sheaf_is_a_double_free)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("victim", 64, 0, 0, NULL);
	char *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	expect_true(!kfree_fast(m, a));		/* the lock-free path refuses it, changing nothing */
	kmem_cache_free(s, a);
	expect_str_contains(t_dmesg(m), "BUG victim (Not tainted): Object already free");
	expect_eq(my_cpu(s)->sheaf_nr, 2);
	expect_eq(slub_check(m), 0);
	/* Nothing was handed out twice. */
	void *x = kmem_cache_alloc(s, GFP_KERNEL), *y = kmem_cache_alloc(s, GFP_KERNEL);
	void *z = kmem_cache_alloc(s, GFP_KERNEL);
	expect_true(x != y && y != z && x != z);
	kmem_cache_free(s, x);
	kmem_cache_free(s, y);
	kmem_cache_free(s, z);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);
}

TEST(the_checker_accounts_for_every_object_in_a_sheaf)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("watched", 64, 0, 0, NULL);
	void *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL);
	struct kmem_cache_cpu *c = my_cpu(s);

	/* An allocated object slipped into the sheaf. */
	c->sheaf[c->sheaf_nr++] = a;
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "sheaf entry 0: shadow says it is not free");
	c->sheaf_nr--;
	/* An object in the sheaf twice. */
	kmem_cache_free(s, a);
	c->sheaf[c->sheaf_nr++] = a;
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "in the sheaves twice");
	c->sheaf_nr--;
	/* A free object that is in no sheaf and on no freelist (lost). */
	c->sheaf_nr--;
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "free but it is on no freelist");
	c->sheaf_nr++;
	/* Something that is no object of the cache. */
	c->sheaf[c->sheaf_nr++] = (char *)b + 8;
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "is not an object of this cache");
	c->sheaf_nr--;
	expect_eq(slub_check(m), 0);
	kmem_cache_free(s, b);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);
}

/* The checker looks at every CPU's sheaf of every cache, sheaves on or not. */
TEST(the_checker_finds_an_object_in_the_sheaf_of_a_cache_without_sheaves)
{
	struct kmm_machine *m = slab_fake("");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("unsheafed", 64, 0, 0, NULL);
	void *a = kmem_cache_alloc(s, GFP_KERNEL);
	struct kmem_cache_cpu *c = my_cpu(s);

	expect_eq(s->sheaf_capacity, 0);
	expect_true(c->sheaf == NULL);
	/* A count in a cache without a sheaf: the next alloc would pop from it. */
	c->sheaf_nr++;
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "sheaf holds 1 objects, capacity 0");
	c->sheaf_nr--;
	expect_eq(slub_check(m), 0);
	kmem_cache_free(s, a);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);
}

TEST(the_checker_finds_an_object_in_two_sheaves_or_in_a_sheaf_and_on_a_freelist)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("twice", 64, 0, 0, NULL);
	void *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL);
	struct kmem_cache_cpu *c = my_cpu(s);
	int other_cpu = (kmm_this_cpu(m) + 1) % m->nr_cpus;

	pcpu_populate(m, other_cpu);	/* as if a thread had taken it */
	struct kmem_cache_cpu *other = per_cpu_ptr(s->cpu_slab, other_cpu);

	assert_true(m->nr_cpus >= 2);
	kmem_cache_free(s, a);
	expect_eq(c->sheaf_nr, 1);
	/* The same object in another CPU's sheaf too (two racing frees could put it there). */
	other->sheaf[other->sheaf_nr++] = a;
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "an object is in the sheaves twice");
	other->sheaf_nr--;
	expect_eq(slub_check(m), 0);
	/*
	 * Back on its slab's freelist (a is of the cpu slab) and still in a
	 * sheaf: the flush marked it FLUSHED (mm/slab.h), so the checker finds
	 * the sheaf's copy by its byte first.
	 */
	sheaf_flush(s, c, 1);
	expect_eq(c->sheaf_nr, 0);
	other->sheaf[other->sheaf_nr++] = a;
	expect_eq(slub_check(m), -EUCLEAN);
	expect_str_contains(kmm_last_error(), "shadow says it is not free");
	other->sheaf_nr--;
	expect_eq(slub_check(m), 0);
	kmem_cache_free(s, b);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);
}

/*
 * The lock-free paths run only on a slot this thread owns lock-free (where
 * the host allows it: membarrier, no KMM_CPU_LOCKED, no ThreadSanitizer);
 * elsewhere they must refuse everything.
 */
TEST(the_lock_free_paths_finish_or_change_nothing)
{
	struct kmm_machine *m = slab_fake_owned("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("quick", 128, 0, 0, NULL);
	struct kmem_cache_cpu *c = my_cpu(s);

	/* No cpu slab and an empty sheaf yet: the fast path cannot serve. */
	expect_true(kmem_cache_alloc_fast(s) == NULL);
	void *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL);
	if (!m->cpu_lockless) {
		/* No owned slot (no membarrier, KMM_CPU_LOCKED, or ThreadSanitizer): they refuse. */
		printf("  no owned CPU slot here: only the refusals are checked\n");
		expect_true(!kfree_fast(m, a));
		expect_true(kmem_cache_alloc_fast(s) == NULL);
		kfree(a);
		kfree(b);
		kmem_cache_destroy(s);
		slab_fake_done(m, base);
		return;
	}
	expect_true(kfree_fast(m, a));
	expect_eq(c->sheaf_nr, 1);
	expect_eq(kmem_cache_alloc_fast(s), a);
	expect_eq(c->sheaf_nr, 0);
	/* From the cpu freelist when the sheaf is empty. */
	void *d = kmem_cache_alloc_fast(s);
	expect_true(d != NULL && d != a && d != b);
	/* Not an object start, not a slab object: refused. */
	expect_true(!kfree_fast(m, (char *)b + 8));
	expect_true(!kfree_fast(m, m));
	/* A full sheaf: refused (kfree() gives half of it back). */
	void *more[SLAB_SHEAF_MAX];
	for (int i = 0; i < SLAB_SHEAF_MAX; i++)
		more[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < SLAB_SHEAF_MAX; i++)
		expect_true(kfree_fast(m, more[i]));
	expect_true(!kfree_fast(m, b));
	expect_eq(c->sheaf_nr, SLAB_SHEAF_MAX);
	kfree(b);
	expect_eq(c->sheaf_nr, SLAB_SHEAF_MAX / 2 + 1);
	expect_eq(slub_check(m), 0);
	kfree(a);
	kfree(d);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);
}

/*
 * A stale free racing the slab's discard: __free_slab() clears
 * slab->slab_cache before the page stops being a slab, and kfree_fast(),
 * reading it in that window, must refuse (kfree() then reports the pointer)
 * rather than follow NULL. The window is made by hand here.
 */
TEST(kfree_fast_refuses_an_object_of_a_slab_being_given_back)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("going", 64, 0, 0, NULL);
	slab_test_uncode(s);	/* the struct page way: a coded object's byte names its cache */
	void *a = kmem_cache_alloc(s, GFP_KERNEL);
	struct slab *slab = virt_to_slab_m(m, a);

	assert_true(slab != NULL && slab->slab_cache == s);
	slab->slab_cache = NULL;
	expect_true(!kfree_fast(m, a));
	slab->slab_cache = s;
	expect_eq(my_cpu(s)->sheaf_nr, 0);
	kmem_cache_free(s, a);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);
}

/*
 * kmem_cache_obj_align() holds for every object of a slab of the fallback
 * order too (review8-shim #8 asked): new_slab() colours such a slab by its
 * own leftover, which s->colour does not count. Each size from 64 to 8192
 * bytes whose slabs have a smaller fallback order: page allocations of
 * s->order and up fail (fail_page_alloc, min_order), so three slabs' worth
 * of objects come from min-order slabs, the 2nd and 3rd of them coloured
 * where there is room; every object's address must be a multiple of the
 * alignment. (Not a sheaf test; it lives here for the slab-layout checks of
 * this session.)
 */
TEST(every_object_of_a_fallback_order_slab_has_the_alignment_obj_align_states)
{
	struct kmm_machine *m = t_boot("mem=256M");
	struct kmm_fault_attr attr = { .interval = 1, .probability = 100, .times = -1 };
	unsigned int tried = 0, coloured = 0;
	enum { MAX_OBJS = 3 * 64 };
	static void *obj[MAX_OBJS];

	for (unsigned int size = 64; size <= 8192; size += 32) {
		char name[32];
		snprintf(name, sizeof(name), "align-%u", size);
		struct kmem_cache *s = kmem_cache_create(name, size, 0, 0, NULL);
		assert_true(s != NULL);
		unsigned long align = kmem_cache_obj_align(s);
		unsigned int n = 3 * s->min_objects;
		if (s->min_order == s->order || n > MAX_OBJS) {
			kmem_cache_destroy(s);
			continue;
		}
		tried++;
		attr.min_order = s->order;
		assert_eq(kmm_fail_inject(m, KMM_FAIL_PAGE_ALLOC, &attr), 0);
		for (unsigned int i = 0; i < n; i++) {
			obj[i] = kmem_cache_alloc(s, GFP_KERNEL);
			assert_true(obj[i] != NULL);
			struct slab *slab = virt_to_slab_m(m, obj[i]);
			expect_eq(slab_order(slab), s->min_order);
			coloured += slab->colour != 0;
			if ((uintptr_t)obj[i] % align)
				kmm_test_fail(__FILE__, __LINE__, "%u-byte objects (order %u, "
					      "fallback %u, colour %u): object %u at offset %u "
					      "of its slab, not a multiple of %lu", size, s->order,
					      s->min_order, slab->colour, i,
					      (unsigned int)((uintptr_t)obj[i] & ((PAGE_SIZE <<
						s->min_order) - 1)), align);
		}
		assert_eq(kmm_fail_inject(m, KMM_FAIL_PAGE_ALLOC, NULL), 0);
		for (unsigned int i = 0; i < n; i++)
			kmem_cache_free(s, obj[i]);
		kmem_cache_destroy(s);
	}
	printf("%u sizes with a fallback order, %u objects in coloured fallback slabs\n", tried,
	       coloured);
	expect_true(tried > 0 && coloured > 0);
	t_done(m);
}

/* Seeded walk: allocations and frees of three sizes, the checker after every few steps. */
TEST(random_walk_with_sheaves_keeps_the_checker_holding)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	uint64_t seed = kmm_test_seed();
	struct kmem_cache *cs[3] = {
		kmem_cache_create("w24", 24, 0, 0, NULL),
		kmem_cache_create("w200", 200, 0, 0, NULL),
		kmem_cache_create("w1000", 1000, 0, 0, NULL),
	};
	enum { LIVE = 600 };
	static void *live[LIVE];
	static int which[LIVE];
	int steps = kmm_test_quick() ? 3000 : 20000;

	memset(live, 0, sizeof(live));
	for (int i = 0; i < steps; i++) {
		int k = (int)t_rnd(&seed, LIVE);
		if (live[k]) {
			if (t_rnd(&seed, 2))
				kmem_cache_free(cs[which[k]], live[k]);
			else
				kfree(live[k]);
			live[k] = NULL;
		} else {
			which[k] = (int)t_rnd(&seed, 3);
			live[k] = kmem_cache_alloc(cs[which[k]], GFP_KERNEL);
			assert_true(live[k] != NULL);
		}
		if (i % 97 == 0 && slub_check(m))
			kmm_test_fail(__FILE__, __LINE__, "step %d: %s", i, kmm_last_error());
		if (i % 2003 == 0)
			kmem_cache_shrink(cs[i % 3]);
	}
	for (int k = 0; k < LIVE; k++)
		if (live[k])
			kmem_cache_free(cs[which[k]], live[k]);
	expect_eq(slub_check(m), 0);
	for (int i = 0; i < 3; i++)
		kmem_cache_destroy(cs[i]);
	expect_true(strstr(t_dmesg(m), "still has objects") == NULL);
	expect_true(strstr(t_dmesg(m), "BUG") == NULL);
	slab_fake_done(m, base);
}

TEST(a_write_after_free_into_a_sheaf_object_is_reported_when_it_leaves)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("uaf", 64, 0, 0, NULL);
	char *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	memset(b, 0x41, 64);	/* b's link (to a) overwritten */
	expect_true(kmem_cache_alloc_fast(s) == NULL);	/* the lock-free path leaves it to the report */
	expect_true(strstr(t_dmesg(m), "Freepointer corrupt") == NULL);
	expect_eq(kmem_cache_alloc(s, GFP_KERNEL), b);
	expect_str_contains(t_dmesg(m), "BUG uaf (Not tainted): Freepointer corrupt");
	expect_str_contains(t_dmesg(m), "in a CPU's sheaf was overwritten");
	expect_eq(slub_check(m), 0);
	kmem_cache_free(s, b);
	/* The same found when the sheaf gives the object back to its slab. */
	memset(a, 0x42, 64);
	kmem_cache_shrink(s);
	expect_str_contains(t_dmesg(m), "BUG uaf (Tainted: B): Freepointer corrupt");
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);
}

/* A listener that only listens (a slab event on the stream turns the fast paths off). */
static int count_event(struct kmm_machine *m, const struct kmm_event *ev, void *arg)
{
	return 0;
}

/*
 * kfree_fast_mapped() (the malloc shim's free()) reads the machine through
 * a struct slab_fast_map filled once: it must take every way kfree_fast()
 * takes - a coded cache's object into this CPU's sheaf, an uncoded cache's
 * through its struct page, and refuse (changing nothing) a double free, an
 * interior pointer, a pointer outside the RAM, a full sheaf, a listener.
 */
TEST(a_free_through_the_map_takes_the_ways_kfree_fast_takes)
{
	/* The map's paths build in the shim's granule and free pointer (mm/slab_fast.h). */
	struct kmm_machine *m = slab_fake_owned("slab_sheaves=on slab_shadow_granule=16 slab_freeptr=start");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *coded = kmem_cache_create("mapped-coded", 64, 0, 0, NULL);
	struct kmem_cache *plain = kmem_cache_create("mapped-plain", 96, 0, 0, NULL);
	static struct slab_fast_map fm;

	assert_true(coded != NULL && plain != NULL);
	expect_eq(kmem_cache_shadow_code(coded), 0);	/* coded at creation already */
	slab_test_uncode(plain);
	slab_fast_map_fill(&fm, m);
	unsigned char v = kmem_cache_shadow_value(coded);
	expect_true(fm.cache_of[v] == coded && fm.cpu_slab_of[v] == coded->cpu_slab);
	expect_true(fm.cache_of[SHADOW_FREE] == &slab_no_cache);
	expect_true(fm.cache_of[SHADOW_ALLOCATED] == &slab_no_cache);
	char *a = kmem_cache_alloc(coded, GFP_KERNEL), *b = kmem_cache_alloc(plain, GFP_KERNEL);
	assert_true(a != NULL && b != NULL);
	expect_true(kfree_fast_mapped(&fm, NULL) == NULL);	/* nothing left to do */
	expect_true(kfree_fast_mapped(&fm, &fm) == &fm);
	if (!m->cpu_lockless) {
		printf("  no owned CPU slot here: only the refusals are checked\n");
		expect_true(kfree_fast_mapped(&fm, a) == a);
		kfree(a);
		kfree(b);
	} else {
		expect_true(kfree_fast_mapped(&fm, a + 16) == a + 16);	/* inside: refused */
		expect_true(kfree_fast_mapped(&fm, a) == NULL);
		expect_eq(my_cpu(coded)->sheaf_nr, 1);
		expect_true(my_cpu(coded)->sheaf[0] == a);
		expect_true(kfree_fast_mapped(&fm, a) == a);	/* a double free: refused */
		expect_eq(my_cpu(coded)->sheaf_nr, 1);
		expect_true(kfree_fast_mapped(&fm, b) == NULL);		/* no code: the struct page way */
		expect_eq(my_cpu(plain)->sheaf_nr, 1);
		/* A listener on the slab's frees: the lock-free paths step aside. */
		char *d = kmem_cache_alloc(coded, GFP_KERNEL);
		struct kmm_trace_sub on_free = { "t", KMM_EVBIT(KMM_EV_KFREE), count_event, NULL };
		int id = kmm_trace_subscribe(m, &on_free);
		assert_true(id >= 0);
		expect_true(kfree_fast_mapped(&fm, d) == d);
		kmm_trace_unsubscribe(m, id);
		/* A full sheaf, no barn (the cache keeps none): refused, kfree() gives half back. */
		void *more[SLAB_SHEAF_MAX];
		unsigned int n = coded->sheaf_capacity - my_cpu(coded)->sheaf_nr;
		assert_true(n <= SLAB_SHEAF_MAX);
		for (unsigned int i = 0; i < n; i++)
			more[i] = kmem_cache_alloc(coded, GFP_KERNEL);
		for (unsigned int i = 0; i < n; i++)
			expect_true(kfree_fast_mapped(&fm, more[i]) == NULL);
		expect_eq(my_cpu(coded)->sheaf_nr, coded->sheaf_capacity);
		expect_true(kfree_fast_mapped(&fm, d) == d);
		kfree(d);
		expect_eq(slub_check(m), 0);
	}
	kmem_cache_destroy(plain);
	kmem_cache_destroy(coded);
	slab_fake_done(m, base);
}

/*
 * The _sole paths (the shim's malloc() and free(): mm/slab_fast.h) ask no
 * serial: a thread that holds no slot must find kmm_cpu_cache's guard the
 * closed one (kmm_cpu_guard_closed), which refuses the owned entry - as a
 * new thread, and as one whose slots were given back (its exit hook's
 * give_back_slots(), here kmm_cpu_release_thread()), not the guard of the
 * slot it held, which another thread may own by then.
 */
struct sole_probe {
	struct slab_fast_map *fm;
	struct kmem_cache *s;
	char *obj;
	bool fresh_free_refused, fresh_alloc_refused, given_back_free_refused,
		given_back_alloc_refused, own_slot_freed;
};

static void *sole_probe_thread(void *arg)
{
	struct sole_probe *pr = arg;
	unsigned char v = kmem_cache_shadow_value(pr->s);

	pr->fresh_free_refused = kfree_fast_mapped_sole(pr->fm, pr->obj) == pr->obj;
	pr->fresh_alloc_refused = kmem_cache_alloc_mapped_sole(pr->fm, v) == NULL;
	kmm_this_cpu(pr->s->machine);	/* a slot of its own: owned, the fast paths open */
	if (kfree_fast_mapped_sole(pr->fm, pr->obj) == NULL) {
		pr->own_slot_freed = true;
		pr->obj = kmem_cache_alloc_mapped_sole(pr->fm, v);	/* back out of this CPU's sheaf */
	}
	kmm_cpu_release_thread();
	pr->given_back_free_refused = kfree_fast_mapped_sole(pr->fm, pr->obj) == pr->obj;
	pr->given_back_alloc_refused = kmem_cache_alloc_mapped_sole(pr->fm, v) == NULL;
	return NULL;
}

TEST(the_sole_paths_refuse_a_thread_without_a_slot)
{
	struct kmm_machine *m = slab_fake_owned("slab_sheaves=on slab_shadow_granule=16 slab_freeptr=start");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("sole", 64, 0, 0, NULL);
	static struct slab_fast_map fm;
	pthread_t t;

	assert_true(s != NULL);
	expect_eq(kmem_cache_shadow_code(s), 0);
	slab_fast_map_fill(&fm, m);
	struct sole_probe pr = { .fm = &fm, .s = s, .obj = kmem_cache_alloc(s, GFP_KERNEL) };
	assert_true(pr.obj != NULL);
	assert_true(pthread_create(&t, NULL, sole_probe_thread, &pr) == 0);
	pthread_join(t, NULL);
	expect_true(pr.fresh_free_refused);
	expect_true(pr.fresh_alloc_refused);
	expect_true(pr.given_back_free_refused);
	expect_true(pr.given_back_alloc_refused);
	if (m->cpu_lockless) {
		expect_true(pr.own_slot_freed);
		expect_true(pr.obj != NULL);
	}
	if (pr.obj)
		kfree(pr.obj);
	expect_eq(slub_check(m), 0);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);
}

/*
 * The map's paths build in the shadow granule (SLAB_MAPPED_SHADOW_SHIFT) and
 * the free pointer's offset (SLAB_MAPPED_LINK_OFFSET): a machine with
 * another granule keeps the map shut, and a coded cache whose free pointer
 * lies elsewhere (a constructor's: after the object) is left out of it, its
 * objects' frees going the struct page way - into the sheaf all the same,
 * their links where the cache keeps them.
 */
static void map_ctor(void *obj)
{
	(void)obj;
}

TEST(the_map_refuses_a_granule_or_a_free_pointer_its_paths_do_not_build_in)
{
	static struct slab_fast_map fm;
	struct kmm_machine *m = slab_fake_owned("slab_sheaves=on slab_shadow_granule=8");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("map-granule8", 64, 0, 0, NULL);

	assert_true(s != NULL);
	expect_eq(kmem_cache_shadow_code(s), 0);
	slab_fast_map_fill(&fm, m);
	expect_eq(fm.granules, 0);	/* shut */
	char *a = kmem_cache_alloc(s, GFP_KERNEL);
	assert_true(a != NULL);
	expect_true(kfree_fast_mapped(&fm, a) == a);	/* refused, nothing changed */
	expect_true(kmm_slab_shadow_live(*cache_shadow(s, a)));
	kfree(a);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);

	memset(&fm, 0, sizeof(fm));
	m = slab_fake_owned("slab_sheaves=on slab_shadow_granule=16 slab_freeptr=start");
	base = slab_nr_free(m);
	struct kmem_cache *at0 = kmem_cache_create("map-start", 64, 0, 0, NULL);
	struct kmem_cache *after = kmem_cache_create("map-ctor", 64, 0, 0, map_ctor);
	assert_true(at0 != NULL && after != NULL);
	expect_eq(at0->offset, 0);
	expect_true(after->offset != 0);
	expect_eq(kmem_cache_shadow_code(at0), 0);
	expect_eq(kmem_cache_shadow_code(after), 0);
	slab_fast_map_fill(&fm, m);
	expect_true(fm.granules != 0);
	unsigned char v0 = kmem_cache_shadow_value(at0), v1 = kmem_cache_shadow_value(after);
	expect_true(fm.cache_of[v0] == at0 && fm.cpu_slab_of[v0] == at0->cpu_slab);
	expect_true(fm.cpu_slab_of[v1] == NULL);
	char *b = kmem_cache_alloc(after, GFP_KERNEL);
	assert_true(b != NULL);
	if (m->cpu_lockless && ((uintptr_t)b & (PAGE_SIZE - 1))) {
		expect_true(kfree_fast_mapped(&fm, b) == NULL);	/* the struct page way */
		expect_eq(my_cpu(after)->sheaf_nr, 1);
		expect_true(sheaf_link_ok(after, b, false));	/* at its own offset */
		expect_true(*(void **)b != sheaf_link_value(b));	/* not at the map's */
		expect_eq(slub_check(m), 0);
	} else {
		kfree(b);
	}
	kmem_cache_destroy(after);
	kmem_cache_destroy(at0);
	slab_fake_done(m, base);
}

/*
 * A sheaf object's link is its own address poisoned (sheaf_link()), not the
 * object below it: the bottom object's link is no NULL, so a write of zeros
 * after free into the bottom object is caught as into any other, and an
 * object keeps its link wherever it moves (a flush, the barn, another
 * CPU's sheaf) with no link rewritten.
 */
TEST(a_zero_written_into_the_bottom_object_of_a_sheaf_is_reported_when_it_leaves)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("bottom", 64, 0, 0, NULL);
	char *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL);
	char *c3 = kmem_cache_alloc(s, GFP_KERNEL);
	struct kmem_cache_cpu *c = my_cpu(s);

	assert_true(a && b && c3);
	expect_eq(c->sheaf_nr, 0);
	kmem_cache_free(s, a);	/* the bottom */
	kmem_cache_free(s, b);
	kmem_cache_free(s, c3);
	expect_true(get_freepointer_plain(s, a) == sheaf_link_value(a));
	expect_true(get_freepointer_plain(s, a) != NULL);
	/* The two older ones given back: c3 is the bottom now, its link as it was. */
	sheaf_flush(s, c, 2);
	expect_eq(c->sheaf_nr, 1);
	expect_true(c->sheaf[0] == c3);
	expect_true(get_freepointer_plain(s, c3) == sheaf_link_value(c3));
	expect_eq(slub_check(m), 0);
	/* Zeros written after free into the bottom object's link. */
	memset(c3 + s->offset, 0, sizeof(void *));
	expect_true(kmem_cache_alloc_fast(s) == NULL);	/* the lock-free path leaves it to the report */
	expect_true(strstr(t_dmesg(m), "Freepointer corrupt") == NULL);
	expect_eq(kmem_cache_alloc(s, GFP_KERNEL), c3);
	expect_str_contains(t_dmesg(m), "BUG bottom (Not tainted): Freepointer corrupt");
	expect_str_contains(t_dmesg(m), "in a CPU's sheaf was overwritten");
	expect_eq(slub_check(m), 0);
	kmem_cache_free(s, c3);
	kmem_cache_destroy(s);
	slab_fake_done(m, base);
}

/*
 * slab_freeptr=start: a free object's link is its first word (the line its
 * user touches first), in caches whose free pointer may overlay the object;
 * Linux's place, mid-object, stays the default and stays where a
 * constructor or poisoning keeps the pointer after the object. A write into
 * that first word after free is reported when the object leaves its sheaf.
 */
TEST(slab_freeptr_start_keeps_the_link_in_the_first_word)
{
	struct kmm_machine *m = kmm_boot("mem=128M slab_sheaves=on slab_freeptr=start "
					 "slab_debug=P,poisoned");
	assert_true(m != NULL);
	struct kmm_machine *old = kmm_use(m);
	struct kmem_cache *s = kmem_cache_create("first", 256, 0, 0, NULL);
	struct kmem_cache *p = kmem_cache_create("poisoned", 256, 0, 0, NULL);

	assert_true(s != NULL && p != NULL);
	expect_eq(s->offset, 0);
	expect_eq(p->offset, p->inuse);	/* after the object, as without the option */
	char *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL);
	assert_true(a != NULL && b != NULL);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	expect_true(*(void **)b == sheaf_link_value(b));	/* b's link, in its first word */
	memset(b, 0x41, 8);
	expect_true(kmem_cache_alloc_fast(s) == NULL);
	expect_eq(kmem_cache_alloc(s, GFP_KERNEL), b);
	expect_str_contains(t_dmesg(m), "in a CPU's sheaf was overwritten");
	kmem_cache_free(s, b);
	kmem_cache_destroy(s);
	kmem_cache_destroy(p);
	expect_eq(kmm_check(m), 0);
	kmm_use(old);
	kmm_shutdown(m);

	/* The default: mid-object, as Linux. */
	m = kmm_boot("mem=128M slab_sheaves=on");
	assert_true(m != NULL);
	old = kmm_use(m);
	s = kmem_cache_create("middle", 256, 0, 0, NULL);
	assert_true(s != NULL);
	expect_eq(s->offset, 128);
	kmem_cache_destroy(s);
	expect_eq(kmm_check(m), 0);
	kmm_use(old);
	kmm_shutdown(m);
}

TEST(slab_freeptr_bad_value_is_refused_by_name)
{
	struct kmm_machine *m = kmm_boot("mem=128M slab_freeptr=end");

	expect_true(m == NULL);
	expect_str_contains(kmm_last_error(), "slab_freeptr");
	expect_str_contains(kmm_last_error(), "expected middle or start, not 'end'");
}

/*
 * freelist_repair() rebuilds a corrupt chain from the shadow bytes: in a
 * cache with sheaves, an object in a CPU's sheaf (FREE, counted in use by
 * its slab) stays out of the new chain, or it would be handed out from the
 * chain and again from the sheaf.
 */
TEST(a_chain_rebuilt_from_the_shadow_leaves_out_the_objects_in_sheaves)
{
	struct kmm_machine *m = slab_fake("slab_sheaves=on");
	unsigned long base = slab_nr_free(m);
	struct kmem_cache *s = kmem_cache_create("rebuilt", 64, 0, 0, NULL);
	void *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL);
	struct kmem_cache_cpu *c = my_cpu(s);
	int other_cpu = (kmm_this_cpu(m) + 1) % m->nr_cpus;

	pcpu_populate(m, other_cpu);	/* as if a thread had taken it */
	struct kmem_cache_cpu *other = per_cpu_ptr(s->cpu_slab, other_cpu);
	struct slab *slab = virt_to_slab_m(m, a);

	assert_true(m->nr_cpus >= 2);
	assert_true(c->slab == slab && c->freelist != NULL);
	/* a freed into this CPU's sheaf, then moved to the other CPU's (its link goes with it). */
	kmem_cache_free(s, a);
	expect_eq(c->sheaf_nr, 1);
	c->sheaf_nr = 0;
	other->sheaf[other->sheaf_nr++] = a;
	expect_eq(slub_check(m), 0);
	/* The cpu freelist's first object overwritten: the next allocation rebuilds the chain. */
	memset(c->freelist, 0x41, s->object_size);
	void *x = kmem_cache_alloc(s, GFP_KERNEL);
	expect_str_contains(t_dmesg(m), "BUG rebuilt (Not tainted): Freepointer corrupt");
	char want[80];
	snprintf(want, sizeof(want), "from the shadow (%u free objects)", slab->objects - 2u);
	expect_str_contains(t_dmesg(m), want);
	expect_true(x != NULL && x != a);
	expect_eq(slub_check(m), 0);
	kmem_cache_free(s, x);
	kmem_cache_free(s, b);
	kmem_cache_destroy(s);
	expect_true(strstr(t_dmesg(m), "still has objects") == NULL);
	expect_true(strstr(t_dmesg(m), "double free") == NULL);
	slab_fake_done(m, base);
}
