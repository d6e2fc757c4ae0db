// SPDX-License-Identifier: MIT
/*
 * tests/stress_page_alloc.c - seeded random stress of the page allocator:
 * mixed orders 0..10, every zone (DMA, Normal, HighMem; DMA32 with deferred
 * sections on the x86_64 box), every pcp migrate type, atomic and blocking
 * requests, compound and zeroed pages, from two threads at once, with the
 * invariant checker after every step (KMM_DEBUG_CHECKS) or every
 * CHECK_EVERY steps, and the contents of each lowmem page stamped and
 * verified so a page handed out twice is caught.
 *
 * At the end every page is freed and the books must balance: free pages
 * back to the boot value, NR_FREE_PAGES equal to the buddy lists, and
 * /proc/buddyinfo and /proc/vmstat printing exactly those numbers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/addr.h"
#include "tests/buddy_fake.h"

#ifdef KMM_DEBUG_CHECKS
#define CHECK_EVERY 1
#define FULL_OPS 100000L	/* the checker on every step costs 50-500 us */
#else
#define CHECK_EVERY 1000
#define FULL_OPS 1000000L
#endif

struct held {
	struct page *page;
	unsigned int order;
	gfp_t gfp;
};

struct worker {
	struct kmm_machine *m;
	uint64_t seed;
	long ops;
	int id;
	int max_held;
	struct held *held;
	int nr_held;
	long allocs, frees, failures;
	int failed;		/* first failure message printed */
	char msg[512];
};

static const gfp_t gfp_choices[] = {
	GFP_KERNEL, GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_HIGHUSER_MOVABLE,
	GFP_KERNEL | __GFP_RECLAIMABLE, GFP_ATOMIC, GFP_NOWAIT, GFP_HIGHUSER,
	GFP_KERNEL | __GFP_DMA, GFP_DMA32, GFP_KERNEL | __GFP_COMP, GFP_KERNEL | __GFP_ZERO,
};

static unsigned int pick_order(uint64_t r)
{
	unsigned int x = (unsigned int)(r % 100);

	if (x < 55)
		return 0;
	if (x < 80)
		return 1 + (unsigned int)(r >> 8) % 3;	/* pcp orders 1..3 */
	if (x < 95)
		return 4 + (unsigned int)(r >> 8) % 5;	/* 4..8 */
	return 9 + (unsigned int)(r >> 8) % 2;	/* 9, 10 */
}

static bool has_address(struct kmm_machine *m, struct page *p)
{
	return page_to_pfn_m(m, p) < m->max_low_pfn;
}

static uint64_t *stamp_of(struct kmm_machine *m, struct page *p)
{
	return kmm_phys_to_host(m, PFN_PHYS(page_to_pfn_m(m, p)));
}

static bool fail(struct worker *w, const char *fmt, unsigned long a, unsigned long b)
{
	if (!w->failed) {
		snprintf(w->msg, sizeof(w->msg), fmt, a, b);
		w->failed = 1;
	}
	return false;
}

static bool do_alloc(struct worker *w, uint64_t r)
{
	struct kmm_machine *m = w->m;
	unsigned int order = pick_order(r);
	gfp_t gfp = gfp_choices[(r >> 16) % ARRAY_SIZE(gfp_choices)];
	struct page *p;

	if (!((r >> 24) & 63) && order > 3)
		gfp &= ~__GFP_NOWARN;	/* now and then a real failure report */
	else
		gfp |= __GFP_NOWARN;
	p = kmm_alloc_pages(m, gfp, order, -1);
	if (!p) {
		w->failures++;
		return true;
	}
	w->allocs++;
	unsigned long pfn = page_to_pfn_m(m, p);

	if (!IS_ALIGNED(pfn, 1UL << order))
		return fail(w, "pfn %#lx not aligned to order %lu", pfn, order);
	if (page_zonenum(p) > (unsigned int)gfp_zone_m(m, gfp))
		return fail(w, "pfn %#lx from a zone above gfp_zone (gfp %#lx)", pfn, gfp);
	if (page_ref_count(p) != 1)
		return fail(w, "pfn %#lx refcount %lu", pfn, (unsigned long)page_ref_count(p));
	if ((gfp & __GFP_COMP) && order && (!PageHead(p) || compound_order(p) != order))
		return fail(w, "pfn %#lx not a compound head of order %lu", pfn, order);
	if (has_address(m, p)) {
		uint64_t *s = stamp_of(m, p);

		if ((gfp & __GFP_ZERO) && (s[0] || s[511]))
			return fail(w, "pfn %#lx not zeroed (%#lx)", pfn, (unsigned long)s[0]);
		s[0] = pfn ^ 0xabcdef;
	}
	w->held[w->nr_held++] = (struct held){ p, order, gfp };
	return true;
}

static bool do_free(struct worker *w, uint64_t r)
{
	struct kmm_machine *m = w->m;
	int i = (int)((r >> 8) % (uint64_t)w->nr_held);
	struct held h = w->held[i];

	w->held[i] = w->held[--w->nr_held];
	if (has_address(m, h.page)) {
		unsigned long pfn = page_to_pfn_m(m, h.page);

		if (stamp_of(m, h.page)[0] != (pfn ^ 0xabcdef))
			return fail(w, "pfn %#lx stamp overwritten: handed out twice? (%#lx)", pfn,
				    (unsigned long)stamp_of(m, h.page)[0]);
		stamp_of(m, h.page)[0] = 0;
		stamp_of(m, h.page)[511] = 0xdead;	/* __GFP_ZERO must clear this */
	}
	__free_pages(h.page, h.order);
	w->frees++;
	return true;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint64_t state = w->seed;

	kmm_use(w->m);
	for (long step = 0; step < w->ops && !w->failed; step++) {
		uint64_t r = kmm_test_rand(&state);
		bool want_alloc = w->nr_held == 0 ||
				  (w->nr_held < w->max_held && (r & 0xff) < 136);

		if (want_alloc ? !do_alloc(w, r) : !do_free(w, r))
			break;
		if ((r & 0xffff) == 7)
			drain_all_pages(w->m, NULL);
		if (step % CHECK_EVERY == 0 && page_alloc_check(w->m)) {
			snprintf(w->msg, sizeof(w->msg), "step %ld: %s", step, kmm_last_error());
			w->failed = 1;
		}
	}
	while (w->nr_held && !w->failed)
		do_free(w, 0);
	kmm_use(NULL);
	return NULL;
}

/* Parse one zone's line of /proc/buddyinfo and compare with nr_free. */
static void compare_buddyinfo(struct kmm_machine *m)
{
	char *text = NULL;

	assert_eq(kmm_proc_read(m, "/proc/buddyinfo", &text), 0);
	for (int t = 0; t < MAX_NR_ZONES; t++) {
		struct zone *z = &m->node_data[0]->node_zones[t];
		char key[64];

		if (!populated_zone(z))
			continue;
		snprintf(key, sizeof(key), "Node 0, zone %8s ", zone_names[t]);
		char *line = strstr(text, key);

		assert_true(line != NULL);
		line += strlen(key);
		for (int o = 0; o < NR_PAGE_ORDERS; o++) {
			unsigned long v = strtoul(line, &line, 10);

			expect_eq(v, z->free_area[o].nr_free);
		}
	}
	free(text);
	assert_eq(kmm_proc_read(m, "/proc/vmstat", &text), 0);
	char *nfp = strstr(text, "nr_free_pages ");

	assert_true(nfp != NULL);
	expect_eq(strtoul(nfp + 14, NULL, 10), kmm_nr_free_pages(m));
	free(text);
}

static void stress(struct kmm_machine *m, long total_ops, int max_held)
{
	unsigned long free0 = kmm_nr_free_pages(m);
	struct worker w[2];
	sim_thread *t[2];

	for (int i = 0; i < 2; i++) {
		w[i] = (struct worker){ .m = m, .seed = kmm_test_seed() * 2 + (uint64_t)i + 1,
					.ops = total_ops / 2, .id = i, .max_held = max_held };
		w[i].held = calloc((size_t)max_held, sizeof(struct held));
		assert_eq(sim_thread_start(&t[i], worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		sim_thread_join(t[i]);
	for (int i = 0; i < 2; i++) {
		if (w[i].failed)
			kmm_test_fail(__FILE__, __LINE__, "thread %d: %s", i, w[i].msg);
		expect_true(w[i].allocs > total_ops / 8);
		free(w[i].held);
	}
	printf("  %ld allocs, %ld frees, %ld failed allocations\n", w[0].allocs + w[1].allocs,
	       w[0].frees + w[1].frees, w[0].failures + w[1].failures);
	drain_all_pages(m, NULL);
	expect_eq(page_alloc_check(m), 0);
	expect_eq(kmm_nr_free_pages(m), free0);
	unsigned long listed = 0;

	for (int t2 = 0; t2 < MAX_NR_ZONES; t2++) {
		struct zone *z = &m->node_data[0]->node_zones[t2];

		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			listed += z->free_area[o].nr_free << o;
	}
	expect_eq(listed, kmm_nr_free_pages(m));
	compare_buddyinfo(m);
}

/* 64 MiB i386 box: DMA 16 MiB, Normal 32 MiB, HighMem 16 MiB. */
static struct kmm_machine *small_i386_cpus(bool lazy, int nr_cpus)
{
	struct fake_spec fs = {
		.arch = KMM_ARCH_I386, .nr_zones = 3,
		.zones = { { ZONE_DMA, 0, 4096, 0 }, { ZONE_NORMAL, 4096, 12288, 0 },
			   { ZONE_HIGHMEM, 12288, 16384, 0 } },
		.first_free = 256, .lazy = lazy, .pageblock_order = 10, .nr_cpus = nr_cpus,
	};

	return fake_boot(&fs);
}

static struct kmm_machine *small_i386(bool lazy)
{
	return small_i386_cpus(lazy, 2);
}

static long ops(void)
{
	return kmm_test_quick() ? FULL_OPS / 10 : FULL_OPS;
}

TEST(stress_eager_i386)
{
	struct kmm_machine *m = small_i386(false);

	stress(m, ops(), 600);
	fake_done(m);
}

TEST(stress_lazy_i386)
{
	struct kmm_machine *m = small_i386(true);

	stress(m, ops() / 2, 600);
	fake_done(m);
}

TEST(stress_deferred_x86_64)
{
	struct kmm_machine *m = fake_x86_64_768m(false, true);

	stress(m, ops() / 4, 3000);
	fake_done(m);
}

/* maxcpus=1: both threads share one CPU slot, so pcp trylocks fail and fall back to the zone. */
TEST(stress_shared_cpu_slot)
{
	struct kmm_machine *m = small_i386_cpus(false, 1);

	stress(m, ops() / 4, 600);
	fake_done(m);
}
