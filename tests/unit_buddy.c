// SPDX-License-Identifier: MIT
/*
 * tests/unit_buddy.c - white-box tests of the buddy allocator on a small
 * hand-built machine whose every number is known: a 1 GiB i386 box with
 * DMA (pfn 256..4095 free, 0..255 reserved), Normal (4096..229375) and
 * HighMem (229376..262143), two CPU slots, pageblock order 10.
 *
 * The machine is built here rather than booted so the watermark arithmetic
 * can be checked against values worked out by hand from Linux 6.12's
 * formulas, independent of the boot layer's reservations.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/vmstat.h"
#include "mm/include/addr.h"
#include "mm/include/page_block.h"
#include "tests/buddy_fake.h"
#include "mm/page_alloc.h"

#define DMA_END 4096UL
#define NORMAL_END 229376UL
#define HIGH_END 262144UL

static struct kmm_machine *fake_machine(bool lazy)
{
	return fake_i386_1g(lazy);
}

static struct zone *Z(struct kmm_machine *m, enum zone_type t)
{
	return &m->node_data[0]->node_zones[t];
}

static unsigned long pfn_of(struct kmm_machine *m, struct page *p)
{
	return page_to_pfn_m(m, p);
}

static void check_ok(struct kmm_machine *m)
{
	int err = page_alloc_check(m);

	if (err)
		kmm_test_fail(__FILE__, __LINE__, "page_alloc_check: %s", kmm_last_error());
	assert_eq(err, 0);
}

/* ---- Watermarks, reserves, pcp sizes against hand-computed 6.12 values ---- */

TEST(watermarks_i386_1g)
{
	struct kmm_machine *m = fake_machine(false);

	expect_eq(zone_managed_pages(Z(m, ZONE_DMA)), 3840);
	expect_eq(zone_managed_pages(Z(m, ZONE_NORMAL)), 225280);
	expect_eq(zone_managed_pages(Z(m, ZONE_HIGHMEM)), 32768);
	/* lowmem 229120 pages = 916480 kB; int_sqrt(916480 * 16) = 3829. */
	expect_eq(m->min_free_kbytes, 3829);
	/* pages_min 957: DMA 957*3840/229120 = 16, gap max(4, 3) = 4. */
	expect_eq(Z(m, ZONE_DMA)->_watermark[WMARK_MIN], 16);
	expect_eq(Z(m, ZONE_DMA)->_watermark[WMARK_LOW], 20);
	expect_eq(Z(m, ZONE_DMA)->_watermark[WMARK_HIGH], 24);
	expect_eq(Z(m, ZONE_DMA)->_watermark[WMARK_PROMO], 28);
	/* Normal: 957*225280/229120 = 940, gap max(235, 225) = 235. */
	expect_eq(Z(m, ZONE_NORMAL)->_watermark[WMARK_MIN], 940);
	expect_eq(Z(m, ZONE_NORMAL)->_watermark[WMARK_LOW], 1175);
	expect_eq(Z(m, ZONE_NORMAL)->_watermark[WMARK_HIGH], 1410);
	/* HighMem: min clamp(32, 32, 128) = 32, gap max(136/4, 32) = 34. */
	expect_eq(Z(m, ZONE_HIGHMEM)->_watermark[WMARK_MIN], 32);
	expect_eq(Z(m, ZONE_HIGHMEM)->_watermark[WMARK_LOW], 66);
	expect_eq(Z(m, ZONE_HIGHMEM)->_watermark[WMARK_HIGH], 100);
	/* protection: DMA (256) sees Normal 225280/256, +HighMem 258048/256. */
	expect_eq(Z(m, ZONE_DMA)->lowmem_reserve[ZONE_DMA], 0);
	expect_eq(Z(m, ZONE_DMA)->lowmem_reserve[ZONE_NORMAL], 880);
	expect_eq(Z(m, ZONE_DMA)->lowmem_reserve[ZONE_HIGHMEM], 1008);
	expect_eq(Z(m, ZONE_DMA)->lowmem_reserve[ZONE_MOVABLE], 1008);
	expect_eq(Z(m, ZONE_NORMAL)->lowmem_reserve[ZONE_HIGHMEM], 1024);
	expect_eq(Z(m, ZONE_HIGHMEM)->lowmem_reserve[ZONE_MOVABLE], 0);
	/* totalreserve = (1008+24) + (1024+1410) + (0+100). */
	expect_eq(m->totalreserve_pages, 3566);
	/* pcp: Normal batch rounddown_pow2(55+27)-1 = 63, high max(1175/2, 252). */
	expect_eq(Z(m, ZONE_NORMAL)->pageset_batch, 63);
	expect_eq(Z(m, ZONE_NORMAL)->pageset_high_min, 587);
	expect_eq(Z(m, ZONE_NORMAL)->pageset_high_max, 14080);
	expect_eq(Z(m, ZONE_DMA)->pageset_batch, 1);
	expect_eq(Z(m, ZONE_DMA)->pageset_high_min, 10);
	expect_eq(Z(m, ZONE_HIGHMEM)->pageset_batch, 7);
	expect_eq(Z(m, ZONE_HIGHMEM)->pageset_high_min, 33);
	/* A slot's pageset is set up at its first hand-out, with the zone's batch. */
	expect_true(!cpu_populated(&m->percpu, 1));
	pcpu_populate(m, 1);
	expect_eq(per_cpu_ptr(Z(m, ZONE_NORMAL)->per_cpu_pageset, 1)->batch, 63);
	expect_str_contains(t_dmesg(m), "Built 1 zonelists, mobility grouping on.  Total pages: 261888");

	/* Sysctls at run time: the hooks the proc layer calls. */
	m->min_free_kbytes = m->user_min_free_kbytes = 16384;
	setup_per_zone_wmarks(m);
	expect_eq(Z(m, ZONE_NORMAL)->_watermark[WMARK_MIN], 4027);	/* 4096*225280/229120 */
	m->watermark_scale_factor = 1000;	/* 10%: gap = 22528 */
	setup_per_zone_wmarks(m);
	expect_eq(Z(m, ZONE_NORMAL)->_watermark[WMARK_LOW], 4027 + 22528);
	m->lowmem_reserve_ratio[ZONE_DMA] = 128;
	setup_per_zone_lowmem_reserve(m);
	expect_eq(Z(m, ZONE_DMA)->lowmem_reserve[ZONE_NORMAL], 1760);
	m->percpu_pagelist_high_fraction = 100;
	zone_pcp_update_all(m);
	expect_eq(Z(m, ZONE_NORMAL)->pageset_high_min, 1126);	/* 225280/100/2 */
	expect_eq(Z(m, ZONE_NORMAL)->pageset_high_max, 1126);
	fake_done(m);
}

/* ---- Zones and zonelists ---- */

TEST(gfp_zone_rules)
{
	struct kmm_machine *m = fake_machine(false);

	expect_eq(gfp_zone_m(m, GFP_KERNEL), ZONE_NORMAL);
	expect_eq(gfp_zone_m(m, GFP_DMA), ZONE_DMA);
	expect_eq(gfp_zone_m(m, GFP_HIGHUSER), ZONE_HIGHMEM);
	expect_eq(gfp_zone_m(m, GFP_HIGHUSER_MOVABLE), ZONE_MOVABLE);
	expect_eq(gfp_zone_m(m, __GFP_MOVABLE), ZONE_NORMAL);
	expect_eq(gfp_zone_m(m, GFP_DMA32), ZONE_NORMAL);	/* no DMA32 on i386 */
	m->zone_types_mask = (1u << ZONE_DMA) | (1u << ZONE_DMA32) | (1u << ZONE_NORMAL) |
			     (1u << ZONE_MOVABLE);	/* x86_64 */
	expect_eq(gfp_zone_m(m, GFP_DMA32), ZONE_DMA32);
	expect_eq(gfp_zone_m(m, GFP_HIGHUSER), ZONE_NORMAL);	/* no HighMem on x86_64 */
	expect_true(gfp_zone_bad(__GFP_DMA | __GFP_HIGHMEM));
	expect_eq(gfp_migratetype(GFP_KERNEL), MIGRATE_UNMOVABLE);
	expect_eq(gfp_migratetype(GFP_HIGHUSER_MOVABLE), MIGRATE_MOVABLE);
	expect_eq(gfp_migratetype(GFP_KERNEL | __GFP_RECLAIMABLE), MIGRATE_RECLAIMABLE);
	/* The zonelist: highest to lowest. */
	struct zone **zl = m->node_data[0]->node_zonelists[ZONELIST_FALLBACK].zones;
	expect_true(zl[0] == Z(m, ZONE_HIGHMEM) && zl[1] == Z(m, ZONE_NORMAL) &&
		    zl[2] == Z(m, ZONE_DMA) && zl[3] == NULL);
	m->zone_types_mask |= 1u << ZONE_HIGHMEM;
	fake_done(m);
}

TEST(gfp_dma_never_leaves_dma)
{
	struct kmm_machine *m = fake_machine(false);
	unsigned long normal_free = zone_page_state(Z(m, ZONE_NORMAL), NR_FREE_PAGES);
	struct page **pages = calloc(DMA_END, sizeof(*pages));
	int n = 0;

	while (n < (int)DMA_END) {
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_NOWARN, 0);

		if (!p)
			break;
		expect_true(pfn_of(m, p) < DMA_END);
		pages[n++] = p;
	}
	/* It stops at the DMA min mark plus the protection from nothing higher. */
	expect_true(n > 3700 && n < 3840);
	expect_eq(zone_page_state(Z(m, ZONE_NORMAL), NR_FREE_PAGES), normal_free);
	check_ok(m);
	/* GFP_HIGHUSER prefers HighMem. */
	struct page *h = alloc_pages(GFP_HIGHUSER, 0);

	assert_true(h != NULL);
	expect_true(pfn_of(m, h) >= NORMAL_END);
	__free_pages(h, 0);
	while (n)
		__free_pages(pages[--n], 0);
	free(pages);
	drain_all_pages(m, NULL);
	check_ok(m);
	fake_done(m);
}

/* ---- Split and merge ---- */

static void snapshot(struct zone *z, unsigned long nr[NR_PAGE_ORDERS])
{
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		nr[o] = z->free_area[o].nr_free;
}

TEST(split_and_merge_exact)
{
	struct kmm_machine *m = fake_machine(false);
	struct zone *z = Z(m, ZONE_NORMAL);
	unsigned long before[NR_PAGE_ORDERS], after[NR_PAGE_ORDERS];

	snapshot(z, before);
	/* Boot freed blocks to the tail in ascending order: the lowest comes first. */
	struct page *p = alloc_pages(GFP_KERNEL, 4);

	assert_true(p != NULL);
	expect_eq(pfn_of(m, p), DMA_END);
	snapshot(z, after);
	expect_eq(after[10], before[10] - 1);
	for (int o = 4; o < 10; o++)
		expect_eq(after[o], before[o] + 1);
	/* The halves are the upper buddies, each on its order's Unmovable list. */
	for (int o = 4; o < 10; o++) {
		struct page *b = pfn_to_page_m(m, DMA_END + (1UL << o));

		expect_true(PageBuddy(b));
		expect_eq(b->private, (unsigned long)o);
	}
	/* The pageblock was claimed for Unmovable (order 10 >= pageblock order). */
	expect_eq(get_pageblock_migratetype(p), MIGRATE_UNMOVABLE);
	check_ok(m);
	__free_pages(p, 4);
	snapshot(z, after);
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		expect_eq(after[o], before[o]);
	expect_true(PageBuddy(pfn_to_page_m(m, DMA_END)));
	expect_eq(pfn_to_page_m(m, DMA_END)->private, 10);
	check_ok(m);
	fake_done(m);
}

/*
 * Exact blocks (mm/page_alloc_exact.c) on the hand-built machine, where a
 * sanitizer build sees them too (the malloc shim, their only other user,
 * is not built under ASan): 5 pages, grown in place to 8, shrunk to 3,
 * freed; after each step the checker passes, each page of the block is
 * counted once, and the zone's free pages (CPU lists drained) are exactly
 * what the block does not hold.
 */
static unsigned long free_drained(struct kmm_machine *m, struct zone *z)
{
	drain_all_pages(m, NULL);
	return zone_page_state(z, NR_FREE_PAGES);
}

static void expect_block(struct kmm_machine *m, unsigned long pfn, unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++) {
		struct page *p = pfn_to_page_m(m, pfn + i);

		expect_eq(page_ref_count(p), 1);
		expect_true(!PageBuddy(p));
	}
	check_ok(m);
}

TEST(exact_block_alloc_extend_shrink_free)
{
	struct kmm_machine *m = fake_machine(false);
	struct zone *z = Z(m, ZONE_NORMAL);
	unsigned long free0 = free_drained(m, z);
	void *v = alloc_pages_exact(5 * PAGE_SIZE - 100, GFP_KERNEL);

	assert_true(v != NULL);
	unsigned long pfn = pfn_of(m, virt_to_page(v));

	expect_eq(pfn & 7, 0);	/* the order-3 block it came from */
	expect_block(m, pfn, 5);
	/* The block's unused end went straight back to the buddy. */
	expect_true(PageBuddy(pfn_to_page_m(m, pfn + 5)));
	expect_eq(free_drained(m, z), free0 - 5);

	expect_eq(extend_pages_exact(v, 5 * PAGE_SIZE, 8 * PAGE_SIZE), 0);
	expect_block(m, pfn, 8);
	expect_eq(free_drained(m, z), free0 - 8);

	/* By more than a MAX_PAGE_ORDER block's worth: refused, nothing changed. */
	expect_eq(extend_pages_exact(v, 8 * PAGE_SIZE, (8 + MAX_ORDER_NR_PAGES + 1) * PAGE_SIZE),
		  -ENOMEM);
	expect_block(m, pfn, 8);
	expect_eq(free_drained(m, z), free0 - 8);

	/*
	 * Past the MAX_PAGE_ORDER block that holds its end, into the next one,
	 * free: in place (a realloc'ed buffer keeps growing where it is).
	 */
	unsigned long to_edge = ((pfn >> MAX_PAGE_ORDER) + 1) << MAX_PAGE_ORDER;

	assert_true(PageBuddy(pfn_to_page_m(m, to_edge)));
	expect_eq(extend_pages_exact(v, 8 * PAGE_SIZE, (to_edge - pfn + 1) * PAGE_SIZE), 0);
	expect_block(m, pfn, to_edge - pfn + 1);
	expect_eq(free_drained(m, z), free0 - (to_edge - pfn + 1));
	check_ok(m);
	shrink_pages_exact(v, (to_edge - pfn + 1) * PAGE_SIZE, 8 * PAGE_SIZE);
	expect_block(m, pfn, 8);
	expect_true(PageBuddy(pfn_to_page_m(m, to_edge)));
	expect_eq(free_drained(m, z), free0 - 8);

	shrink_pages_exact(v, 8 * PAGE_SIZE, 3 * PAGE_SIZE);
	expect_block(m, pfn, 3);
	expect_eq(free_drained(m, z), free0 - 3);

	free_pages_exact(v, 3 * PAGE_SIZE);
	expect_eq(free_drained(m, z), free0);
	check_ok(m);
	fake_done(m);
}

/*
 * The malloc shim's whole blocks (mm/include/page_block.h): alloc_pages_whole()
 * inside the slot's section gives what alloc_pages() gives - a block not
 * compound and not split (first page counted, the rest not), counted as an
 * allocation, order 2 through the CPU's list (refilled), order 4 straight
 * from the buddy - and free_pages_whole() gives it back to the buddy in one
 * piece, merged, none of it to the CPU's list.
 */
TEST(whole_blocks_as_alloc_pages_gives_them_and_back_in_one_piece)
{
	struct kmm_machine *m = fake_machine(false);
	struct zone *z = Z(m, ZONE_NORMAL);
	int cpu = kmm_this_cpu(m);
	struct kmm_cpu_guard *g = &m->cpus[cpu].guard;
	struct per_cpu_pages *pcp = per_cpu_ptr(z->per_cpu_pageset, cpu);
	unsigned long free0 = zone_page_state(z, NR_FREE_PAGES);

	for (unsigned int order = 2; order <= 4; order += 2) {
		unsigned long nr = 1UL << order;
		unsigned long pgalloc = sum_vm_event(m, PGALLOC_NORMAL);
		unsigned long pgfree = sum_vm_event(m, PGFREE);
		long hit = zone_numa_event_state(z, NUMA_HIT);
		int token = kmm_cpu_enter(g);
		struct page *p = alloc_pages_whole(m, GFP_KERNEL | __GFP_MOVABLE, order);

		kmm_cpu_exit(g, token);
		assert_true(p != NULL);
		unsigned long pfn = pfn_of(m, p);

		expect_eq(pfn & (nr - 1), 0);
		expect_true(page_zone(p) == z);
		expect_eq(page_ref_count(p), 1);
		expect_true(!PageHead(p) && !PageBuddy(p));
		for (unsigned long i = 1; i < nr; i++) {
			expect_eq(page_ref_count(&p[i]), 0);
			expect_true(!PageBuddy(&p[i]) && !PageTail(&p[i]));
		}
		/* order 2: the rest of the refill waits on the CPU's list; order 4: no list */
		expect_true(order == 2 ? pcp->count > 0 : pcp->count == 0);
		expect_eq(free0 - zone_page_state(z, NR_FREE_PAGES), nr + (unsigned long)pcp->count);
		int pcp_count = pcp->count;
		expect_eq(sum_vm_event(m, PGALLOC_NORMAL), pgalloc + nr);
		expect_eq(zone_numa_event_state(z, NUMA_HIT), hit + 1);
		check_ok(m);

		free_pages_whole(p, order);
		expect_eq(sum_vm_event(m, PGFREE), pgfree + nr);
		expect_eq(pcp->count, pcp_count);	/* the block went to the buddy */
		expect_eq(free_drained(m, z), free0);
		expect_true(PageBuddy(pfn_to_page_m(m, pfn & ~(MAX_ORDER_NR_PAGES - 1))));
		check_ok(m);
	}
	fake_done(m);
}

/*
 * expand()'s memmap chunk mask (mm/page_alloc.h expand_chunk_mask()) names
 * exactly the chunks of a MAX_PAGE_ORDER block that the split of a block of
 * order high at pfn down to low touches: the pages handed out and each new
 * head. Every order pair at every aligned place in a block.
 */
TEST(expand_chunk_mask_names_the_chunks_a_split_touches)
{
	for (unsigned int high = 0; high <= MAX_PAGE_ORDER; high++)
		for (unsigned int low = 0; low <= high; low++)
			for (unsigned long off = 0; off < MAX_ORDER_NR_PAGES; off += 1UL << high) {
				unsigned long pfn = 7 * MAX_ORDER_NR_PAGES + off;
				unsigned int want = 0;

				for (unsigned long q = pfn; q < pfn + (1UL << low); q++)
					want |= memmap_chunk_bit(q);
				for (unsigned int h = low; h < high; h++)
					want |= memmap_chunk_bit(pfn + (1UL << h));
				if (expand_chunk_mask(pfn, low, high) != want) {
					kmm_test_fail(__FILE__, __LINE__, "order %u->%u at +%lu: %#x, want %#x",
						      high, low, off, expand_chunk_mask(pfn, low, high), want);
					return;
				}
			}
}

TEST(pcp_fast_path_and_counters)
{
	struct kmm_machine *m = fake_machine(false);
	struct zone *z = Z(m, ZONE_NORMAL);
	unsigned long free0 = zone_page_state(z, NR_FREE_PAGES);
	int cpu = kmm_this_cpu(m);
	struct page *p = alloc_pages(GFP_KERNEL, 0);

	assert_true(p != NULL);
	/* A refill takes batch pages out of the buddy; NR_FREE_PAGES excludes pcp. */
	struct per_cpu_pages *pcp = per_cpu_ptr(z->per_cpu_pageset, cpu);

	expect_eq(pcp->count + 1, (int)(free0 - zone_page_state(z, NR_FREE_PAGES)));
	expect_eq(sum_vm_event(m, PGALLOC_NORMAL), 1);
	expect_eq(zone_numa_event_state(z, NUMA_HIT), 1);
	expect_eq(zone_numa_event_state(z, NUMA_LOCAL), 1);
	unsigned long pgfree0 = sum_vm_event(m, PGFREE);

	__free_pages(p, 0);
	expect_eq(sum_vm_event(m, PGFREE), pgfree0 + 1);
	check_ok(m);
	drain_all_pages(m, NULL);
	expect_eq(pcp->count, 0);
	expect_eq(zone_page_state(z, NR_FREE_PAGES), free0);
	check_ok(m);
	fake_done(m);
}

/* The fast path's pop from a filled list counts exactly what rmqueue() would. */
TEST(pcp_pop_from_filled_list_counts_like_rmqueue)
{
	struct kmm_machine *m = fake_machine(false);
	struct zone *z = Z(m, ZONE_NORMAL);
	struct per_cpu_pages *pcp = per_cpu_ptr(z->per_cpu_pageset, kmm_this_cpu(m));
	struct page *a = alloc_pages(GFP_KERNEL, 0);	/* refills the list */

	assert_true(a != NULL);
	int count = pcp->count;
	unsigned long free1 = zone_page_state(z, NR_FREE_PAGES);
	unsigned long pgalloc = sum_vm_event(m, PGALLOC_NORMAL);
	long hit = zone_numa_event_state(z, NUMA_HIT);
	long local = zone_numa_event_state(z, NUMA_LOCAL);

	assert_true(count > 0);
	struct page *b = alloc_pages(GFP_KERNEL, 0);	/* served from the list */

	assert_true(b != NULL && b != a);
	expect_eq(pcp->count, count - 1);
	expect_eq(zone_page_state(z, NR_FREE_PAGES), free1);	/* the buddy untouched */
	expect_eq(sum_vm_event(m, PGALLOC_NORMAL), pgalloc + 1);
	expect_eq(zone_numa_event_state(z, NUMA_HIT), hit + 1);
	expect_eq(zone_numa_event_state(z, NUMA_LOCAL), local + 1);
	expect_eq(page_ref_count(b), 1);
	expect_eq(b->private, 0);
	expect_true(!PageBuddy(b));
	__free_pages(b, 0);
	expect_eq(pcp->count, count);	/* back on the list, not in the buddy */
	expect_eq(zone_page_state(z, NR_FREE_PAGES), free1);
	__free_pages(a, 0);
	check_ok(m);
	fake_done(m);
}

/* Another thread holding a CPU slot (as a drain does) until told to let go. */
struct slot_holder {
	struct kmm_machine *m;
	int cpu;
	pthread_barrier_t bar;
};

static void *hold_slot(void *arg)
{
	struct slot_holder *h = arg;

	kmm_cpu_lock(h->m, h->cpu);
	pthread_barrier_wait(&h->bar);	/* held */
	pthread_barrier_wait(&h->bar);	/* let go */
	kmm_cpu_unlock(h->m, h->cpu);
	return NULL;
}

/* A busy CPU slot: the allocation and the free go to the buddy, counted once. */
TEST(pcp_busy_slot_uses_buddy)
{
	struct kmm_machine *m = fake_machine(false);
	struct zone *z = Z(m, ZONE_NORMAL);
	struct per_cpu_pages *pcp = per_cpu_ptr(z->per_cpu_pageset, kmm_this_cpu(m));
	struct page *warm = alloc_pages(GFP_KERNEL, 0);	/* fill the list */
	struct slot_holder h = { .m = m, .cpu = kmm_this_cpu(m) };
	pthread_t th;

	assert_true(warm != NULL);
	int count = pcp->count;
	unsigned long free1 = zone_page_state(z, NR_FREE_PAGES);
	unsigned long pgalloc = sum_vm_event(m, PGALLOC_NORMAL);
	unsigned long pgfree = sum_vm_event(m, PGFREE);

	pthread_barrier_init(&h.bar, NULL, 2);
	assert_eq(pthread_create(&th, NULL, hold_slot, &h), 0);
	pthread_barrier_wait(&h.bar);	/* another thread holds our slot now */
	struct page *p = alloc_pages(GFP_KERNEL, 0);

	assert_true(p != NULL);
	expect_eq(pcp->count, count);
	expect_eq(zone_page_state(z, NR_FREE_PAGES), free1 - 1);
	expect_eq(sum_vm_event(m, PGALLOC_NORMAL), pgalloc + 1);
	__free_pages(p, 0);
	expect_eq(pcp->count, count);
	expect_eq(zone_page_state(z, NR_FREE_PAGES), free1);
	expect_eq(sum_vm_event(m, PGFREE), pgfree + 1);
	pthread_barrier_wait(&h.bar);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&h.bar);
	__free_pages(warm, 0);
	check_ok(m);
	fake_done(m);
}

/* gfp_zone over all sixteen zone-modifier combinations (every zone type configured). */
TEST(gfp_zone_table_all_combinations)
{
	static const enum zone_type want[16] = {
		[0] = ZONE_NORMAL,
		[__GFP_DMA] = ZONE_DMA,
		[__GFP_HIGHMEM] = ZONE_HIGHMEM,
		[__GFP_DMA | __GFP_HIGHMEM] = ZONE_NORMAL,	/* bad */
		[__GFP_DMA32] = ZONE_DMA32,
		[__GFP_DMA | __GFP_DMA32] = ZONE_NORMAL,	/* bad */
		[__GFP_HIGHMEM | __GFP_DMA32] = ZONE_NORMAL,	/* bad */
		[__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32] = ZONE_NORMAL,	/* bad */
		[__GFP_MOVABLE] = ZONE_NORMAL,
		[__GFP_MOVABLE | __GFP_DMA] = ZONE_DMA,
		[__GFP_MOVABLE | __GFP_HIGHMEM] = ZONE_MOVABLE,
		[__GFP_MOVABLE | __GFP_DMA | __GFP_HIGHMEM] = ZONE_NORMAL,	/* bad */
		[__GFP_MOVABLE | __GFP_DMA32] = ZONE_DMA32,
		[__GFP_MOVABLE | __GFP_DMA | __GFP_DMA32] = ZONE_NORMAL,	/* bad */
		[__GFP_MOVABLE | __GFP_HIGHMEM | __GFP_DMA32] = ZONE_NORMAL,	/* bad */
		[__GFP_MOVABLE | __GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32] = ZONE_NORMAL,
	};

	for (gfp_t g = 0; g < 16; g++) {
		expect_eq(gfp_zone_m(NULL, g), want[g]);
		expect_eq(gfp_zone_m(NULL, g | __GFP_IO | __GFP_FS), want[g]);
	}
}

/* ---- Fallback and stealing ---- */

TEST(fallback_steals_pageblock)
{
	struct kmm_machine *m = fake_machine(false);
	struct zone *z = Z(m, ZONE_NORMAL);

	/* Fresh zone: everything is Movable; an Unmovable order-4 request must fall back. */
	struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 4);
	assert_true(p != NULL);
	expect_eq(get_pageblock_migratetype(p), MIGRATE_UNMOVABLE);
	expect_eq(z->free_area[9].nr_free, 1);
	expect_true(!list_empty(&z->free_area[9].free_list[MIGRATE_UNMOVABLE]));
	/* No fragmenting fallback at order >= pageblock order: no boost. */
	expect_eq(z->watermark_boost, 0);
	/* A Movable request stays on Movable blocks. */
	struct page *q = alloc_pages(GFP_HIGHUSER_MOVABLE & ~__GFP_HIGHMEM, 4);
	assert_true(q != NULL);
	expect_eq(get_pageblock_migratetype(q), MIGRATE_MOVABLE);
	check_ok(m);
	__free_pages(p, 4);
	__free_pages(q, 4);
	check_ok(m);
	fake_done(m);
}

TEST(fallback_small_block_boosts)
{
	struct kmm_machine *m = fake_machine(false);
	struct zone *z = Z(m, ZONE_DMA);
	enum { N = 4096 };
	struct page **pages = calloc(N, sizeof(*pages));
	int n = 0;

	/* Fill DMA with Movable order-0 pages, then free every other one. */
	while (n < N && (pages[n] = alloc_pages(__GFP_DMA | __GFP_MOVABLE | __GFP_NOWARN |
						__GFP_HIGH, 0)))
		n++;
	assert_true(n > 3800);
	for (int i = 0; i < n; i += 2) {
		__free_pages(pages[i], 0);
		pages[i] = NULL;
	}
	drain_all_pages(m, NULL);
	check_ok(m);
	/* An Unmovable order-0 request steals from Movable order-0 lists and boosts. */
	struct page *u = alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_HIGH | __GFP_NOWARN, 0);
	assert_true(u != NULL);
	(void)z;
	/* DMA has 3840 pages < 4 pageblocks: boost_watermark refuses small zones. */
	expect_eq(z->watermark_boost, 0);
	check_ok(m);
	__free_pages(u, 0);
	for (int i = 0; i < n; i++)
		if (pages[i])
			__free_pages(pages[i], 0);
	free(pages);
	drain_all_pages(m, NULL);
	check_ok(m);
	fake_done(m);
}

/* ---- Watermark reserves ---- */

TEST(atomic_dips_below_min_where_kernel_fails)
{
	struct kmm_machine *m = fake_machine(false);
	struct zone *z = Z(m, ZONE_NORMAL);
	struct page **pages = calloc(NORMAL_END, sizeof(*pages));
	int n = 0;

	while ((pages[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0)))
		n++;
	/* GFP_KERNEL stopped at min (+ protection) in Normal and DMA. */
	unsigned long free_normal = zone_page_state(z, NR_FREE_PAGES);

	expect_true(free_normal <= min_wmark_pages(z) + 1);
	/* GFP_ATOMIC gets min - min/2 - min/4: it still succeeds. */
	struct page *a = alloc_pages(GFP_ATOMIC, 0);

	assert_true(a != NULL);
	/*
	 * GFP_NOWAIT cannot block but has no __GFP_HIGH: ALLOC_NON_BLOCK alone
	 * gives no access to the min reserve, so it fails where GFP_KERNEL did.
	 * __GFP_HIGH may use half of min: a blocking __GFP_HIGH request still
	 * succeeds.
	 */
	expect_true(alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0) == NULL);
	struct page *high = alloc_pages(GFP_KERNEL | __GFP_HIGH | __GFP_NOWARN, 0);

	expect_true(high != NULL);
	/* __GFP_MEMALLOC ignores watermarks entirely. */
	struct page *mem = alloc_pages(GFP_KERNEL | __GFP_MEMALLOC, 0);

	expect_true(mem != NULL);
	check_ok(m);
	/* The watermark check itself, with hand-computed marks. */
	expect_true(!__zone_watermark_ok(z, 0, 940, ZONE_NORMAL, ALLOC_WMARK_MIN, 940));
	expect_true(__zone_watermark_ok(z, 0, 940, ZONE_NORMAL, ALLOC_WMARK_MIN,
					941 + (long)z->nr_free_highatomic));
	expect_true(__zone_watermark_ok(z, 0, 940, ZONE_NORMAL, ALLOC_MIN_RESERVE, 471));
	expect_true(!__zone_watermark_ok(z, 0, 940, ZONE_NORMAL, ALLOC_MIN_RESERVE, 470));
	/* min 940 -> 470 -> 353 with NON_BLOCK. */
	expect_true(__zone_watermark_ok(z, 0, 940, ZONE_NORMAL,
					ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK, 354));
	expect_true(!__zone_watermark_ok(z, 0, 940, ZONE_NORMAL,
					 ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK, 353));
	/* A HighMem request also has to leave Normal's protection (1024) free. */
	expect_true(!__zone_watermark_ok(z, 0, 940, ZONE_HIGHMEM, ALLOC_WMARK_MIN,
					 1964 + (long)z->nr_free_highatomic));
	expect_true(__zone_watermark_ok(z, 0, 940, ZONE_HIGHMEM, ALLOC_WMARK_MIN,
					1965 + (long)z->nr_free_highatomic));
	__free_pages(a, 0);
	if (high)
		__free_pages(high, 0);
	__free_pages(mem, 0);
	while (n)
		__free_pages(pages[--n], 0);
	free(pages);
	drain_all_pages(m, NULL);
	check_ok(m);
	fake_done(m);
}

TEST(failure_report_in_dmesg)
{
	struct kmm_machine *m = fake_machine(false);
	struct page **pages = calloc(512, sizeof(*pages));
	int n = 0;

	while ((pages[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 10)))
		n++;
	expect_true(strstr(t_dmesg(m), "page allocation failure") == NULL);
	struct page *p = alloc_pages(GFP_KERNEL, 10);

	expect_true(p == NULL);
	expect_str_contains(t_dmesg(m),
			    "kmm: page allocation failure: order:10, mode:0xcc0(GFP_KERNEL), nodemask=(null)");
	expect_str_contains(t_dmesg(m), "Mem-Info:");
	/* One entry per zone type of the arch: i386 has no DMA32 (Linux's MAX_NR_ZONES is 4). */
	expect_str_contains(t_dmesg(m), "lowmem_reserve[]: 0 880 1008 1008\n");
	expect_str_contains(t_dmesg(m), "262144 pages RAM");
	expect_str_contains(t_dmesg(m), "32768 pages HighMem/MovableOnly");
	expect_str_contains(t_dmesg(m), "Node 0 DMA: ");
	while (n)
		__free_pages(pages[--n], 10);
	free(pages);
	check_ok(m);
	fake_done(m);
}

/* ---- Compound pages, zeroing, split_page, refcounts ---- */

TEST(compound_zero_split)
{
	struct kmm_machine *m = fake_machine(false);
	struct page *c = alloc_pages(GFP_KERNEL | __GFP_COMP, 3);

	assert_true(c != NULL);
	expect_true(PageHead(c));
	expect_eq(compound_order(c), 3);
	for (int i = 1; i < 8; i++) {
		expect_true(PageTail(&c[i]));
		expect_true(compound_head(&c[i]) == c);
	}
	__free_pages(c, 3);
	check_ok(m);

	/* Dirty a page, free it, get it back zeroed. */
	struct page *d = alloc_pages(GFP_KERNEL, 0);
	unsigned char *va = kmm_phys_to_host(m, PFN_PHYS(pfn_of(m, d)));

	memset(va, 0x5a, PAGE_SIZE);
	__free_pages(d, 0);
	struct page *zp = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);

	expect_true(zp == d);	/* pcp lists are LIFO */
	unsigned char *zva = kmm_phys_to_host(m, PFN_PHYS(pfn_of(m, zp)));
	int nonzero = 0;

	for (unsigned long i = 0; i < PAGE_SIZE; i++)
		nonzero += zva[i] != 0;
	expect_eq(nonzero, 0);
	__free_pages(zp, 0);

	/* split_page: an order-2 block becomes four order-0 pages. */
	struct page *s = alloc_pages(GFP_KERNEL, 2);

	split_page(s, 2);
	for (int i = 3; i >= 0; i--)
		__free_pages(&s[i], 0);
	check_ok(m);

	/* Put semantics: a second ref on the head keeps it; the tails are freed now. */
	struct page *t = alloc_pages(GFP_KERNEL, 2);
	unsigned long free_before = zone_page_state(Z(m, ZONE_NORMAL), NR_FREE_PAGES);

	get_page(t);
	__free_pages(t, 2);
	drain_all_pages(m, NULL);
	expect_eq(page_ref_count(t), 1);
	expect_true(zone_page_state(Z(m, ZONE_NORMAL), NR_FREE_PAGES) >= free_before + 3);
	check_ok(m);
	__free_pages(t, 0);
	/* A double free is reported, not performed. */
	drain_all_pages(m, NULL);
	__free_pages(t, 0);
	expect_str_contains(t_dmesg(m), "BUG: Bad page state");
	drain_all_pages(m, NULL);
	check_ok(m);
	fake_done(m);
}

/* ---- HighAtomic ---- */

TEST(highatomic_reserve)
{
	struct kmm_machine *m = fake_machine(false);
	struct zone *z = Z(m, ZONE_NORMAL);
	struct page **pages = calloc(NORMAL_END, sizeof(*pages));
	int n = 0;

	/* The fast path never reserves: get below the low mark first. */
	struct page *fast = alloc_pages(GFP_ATOMIC, 2);

	assert_true(fast != NULL);
	expect_eq(z->nr_reserved_highatomic, 0);
	while ((pages[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0)))
		n++;
	struct page *p = alloc_pages(GFP_ATOMIC, 2);

	assert_true(p != NULL);
	/* A high-order non-blocking allocation in the slow path reserves its pageblock. */
	expect_eq(z->nr_reserved_highatomic, 1024);
	expect_eq(get_pageblock_migratetype(p), MIGRATE_HIGHATOMIC);
	check_ok(m);
	/* The reserve is hidden from the watermark check of ordinary requests. */
	__free_pages(p, 2);
	drain_all_pages(m, NULL);
	expect_true(z->nr_free_highatomic >= 4);
	check_ok(m);
	__free_pages(fast, 2);
	while (n)
		__free_pages(pages[--n], 0);
	free(pages);
	drain_all_pages(m, NULL);
	check_ok(m);
	fake_done(m);
}

/*
 * Linux 6.12's unreserve_highatomic_pageblock() re-types a free block of
 * pageblock order or more with move_to_free_list(), without merging it: a
 * HighAtomic block and its free Movable buddy stay two blocks once both are
 * Movable. The checker must accept that state (the 2-thread stress reached
 * it at random) and still report unmerged buddies below pageblock order.
 */
TEST(unreserved_highatomic_block_stays_unmerged)
{
	struct kmm_machine *m = fake_x86_64_768m(false, false);
	struct zone *z = Z(m, ZONE_DMA32);
	struct alloc_context ac;
	struct page *p;

	assert_eq(m->pageblock_order, 9);
	p = alloc_pages(GFP_DMA32, MAX_PAGE_ORDER);
	assert_true(p != NULL);
	split_page(p, MAX_PAGE_ORDER);
	reserve_highatomic_pageblock(p, 0, z);
	assert_eq(get_pageblock_migratetype(p), MIGRATE_HIGHATOMIC);
	for (unsigned long i = 0; i < MAX_ORDER_NR_PAGES; i++)
		__free_pages(p + i, 0);
	drain_all_pages(m, NULL);
	/* Two order-9 blocks: a HighAtomic one and its Movable buddy. */
	assert_true(PageBuddy(p) && buddy_order(p) == 9);
	assert_true(PageBuddy(p + 512) && buddy_order(p + 512) == 9);
	check_ok(m);
	ac = (struct alloc_context){ .zonelist = &m->node_data[0]->node_zonelists[ZONELIST_FALLBACK],
				     .highest_zoneidx = ZONE_DMA32, .migratetype = MIGRATE_MOVABLE };
	while (ac.zonelist->zones[ac.preferred_idx]->type > ZONE_DMA32)
		ac.preferred_idx++;
	expect_true(unreserve_highatomic_pageblock(&ac, true));
	expect_eq(get_pageblock_migratetype(p), MIGRATE_MOVABLE);
	expect_true(PageBuddy(p) && buddy_order(p) == 9);
	check_ok(m);
	/* Below pageblock order an unmerged pair is still a bug. */
	struct page *q = alloc_pages(GFP_DMA32, 1);

	assert_true(q != NULL);
	__free_pages(q, 1);
	drain_all_pages(m, NULL);
	check_ok(m);
	fake_done(m);
}

/*
 * A block above pageblock order goes back to the buddy whole when all its
 * pageblocks have one migrate type (one merge walk: the end state of
 * split_large_buddy's pageblock-by-pageblock frees, which merge back), and
 * pageblock by pageblock when one of them cannot merge (a HighAtomic one).
 */
TEST(a_block_above_pageblock_order_frees_whole_or_by_pageblock)
{
	struct kmm_machine *m = fake_x86_64_768m(false, false);
	struct zone *z = Z(m, ZONE_DMA32);
	unsigned long nr9 = z->free_area[9].nr_free, nr10 = z->free_area[10].nr_free;
	struct page *p = alloc_pages(GFP_DMA32, MAX_PAGE_ORDER);

	assert_eq(m->pageblock_order, 9);
	assert_true(p != NULL);
	int mt = get_pageblock_migratetype(p);

	expect_eq(get_pageblock_migratetype(p + 512), mt);
	expect_eq(z->free_area[MAX_PAGE_ORDER].nr_free, nr10 - 1);
	__free_pages(p, MAX_PAGE_ORDER);
	expect_true(PageBuddy(p) && buddy_order(p) == MAX_PAGE_ORDER);
	expect_eq(z->free_area[9].nr_free, nr9);
	expect_eq(z->free_area[MAX_PAGE_ORDER].nr_free, nr10);
	expect_eq(get_pageblock_migratetype(p), mt);
	check_ok(m);
	p = alloc_pages(GFP_DMA32, MAX_PAGE_ORDER);
	assert_true(p != NULL);
	reserve_highatomic_pageblock(p + 512, 0, z);
	assert_eq(get_pageblock_migratetype(p + 512), MIGRATE_HIGHATOMIC);
	__free_pages(p, MAX_PAGE_ORDER);
	expect_true(PageBuddy(p) && buddy_order(p) == 9);
	expect_true(PageBuddy(p + 512) && buddy_order(p + 512) == 9);
	expect_eq(get_pageblock_migratetype(p), mt);
	expect_eq(get_pageblock_migratetype(p + 512), MIGRATE_HIGHATOMIC);
	check_ok(m);
	fake_done(m);
}

/*
 * Above PAGE_ALLOC_COSTLY_ORDER and for compound pages __free_pages() goes
 * the slow way, which drops a count of 1 with a plain store and anything
 * higher with an atomic decrement: the last reference frees the block, an
 * earlier one frees only what the holder of the first page does not keep.
 */
TEST(a_high_order_block_goes_back_with_its_last_reference)
{
	struct kmm_machine *m = fake_machine(false);
	struct zone *z = Z(m, ZONE_NORMAL);
	unsigned long free0 = zone_page_state(z, NR_FREE_PAGES);

	/* Not compound, a second reference: the rest goes now, the first page later. */
	struct page *p = alloc_pages(GFP_KERNEL, 5);

	assert_true(p != NULL);
	get_page(p);
	__free_pages(p, 5);
	drain_all_pages(m, NULL);
	expect_eq(page_ref_count(p), 1);
	expect_true(!PageBuddy(p));
	expect_eq(zone_page_state(z, NR_FREE_PAGES), free0 - 1);
	check_ok(m);
	__free_pages(p, 0);
	drain_all_pages(m, NULL);
	expect_eq(zone_page_state(z, NR_FREE_PAGES), free0);

	/* Compound, a second reference: nothing goes until the last one. */
	p = alloc_pages(GFP_KERNEL | __GFP_COMP, 5);
	assert_true(p != NULL);
	get_page(p);
	__free_pages(p, 5);
	drain_all_pages(m, NULL);
	expect_eq(page_ref_count(p), 1);
	expect_true(PageHead(p));
	expect_eq(zone_page_state(z, NR_FREE_PAGES), free0 - 32);
	check_ok(m);
	__free_pages(p, 5);
	drain_all_pages(m, NULL);
	expect_eq(zone_page_state(z, NR_FREE_PAGES), free0);

	/* The only reference of an order-10 block: back whole, its count 0. */
	p = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER);
	assert_true(p != NULL);
	expect_eq(zone_page_state(z, NR_FREE_PAGES), free0 - 1024);
	__free_pages(p, MAX_PAGE_ORDER);
	expect_eq(page_ref_count(p), 0);
	expect_true(PageBuddy(p) && buddy_order(p) == MAX_PAGE_ORDER);
	expect_eq(zone_page_state(z, NR_FREE_PAGES), free0);
	check_ok(m);
	fake_done(m);
}

/* ---- buddy=lazy ---- */

TEST(lazy_thrash_and_coalesce)
{
	struct kmm_machine *m = fake_machine(true);
	struct zone *z = Z(m, ZONE_NORMAL);
	unsigned long nr10 = z->free_area[10].nr_free;
	struct page *p = alloc_pages(GFP_KERNEL, 9);

	assert_true(p != NULL);
	__free_pages(p, 9);
	/* Lazy: the 512-page block stays an order-9 block, not merged. */
	expect_eq(z->free_area[10].nr_free, nr10 - 1);
	expect_eq(z->free_area[9].nr_free, 2);
	expect_eq(z->nr_lazy_free, 512);
	check_ok(m);
	/* The thrash: the same block comes straight back. */
	struct page *q = alloc_pages(GFP_KERNEL, 9);

	expect_true(q == p);
	__free_pages(q, 9);
	/* Take every order-10 block: the last ones need the coalescing pass. */
	struct page **big = calloc(512, sizeof(*big));
	int n = 0;

	while ((big[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 10)))
		n++;
	expect_eq(z->nr_lazy_free, 0);
	expect_true(n >= (int)nr10 - 4);
	check_ok(m);
	while (n)
		__free_pages(big[--n], 10);
	free(big);
	check_ok(m);
	fake_done(m);
}

/* ---- GFP text ---- */

TEST(gfp_parse_format)
{
	char buf[256];
	gfp_t g;
	size_t bad;

	kmm_gfp_format(buf, sizeof(buf), GFP_KERNEL | __GFP_ZERO);
	expect_eq(strcmp(buf, "GFP_KERNEL|__GFP_ZERO"), 0);
	kmm_gfp_format(buf, sizeof(buf), GFP_HIGHUSER_MOVABLE | __GFP_COMP);
	expect_eq(strcmp(buf, "GFP_HIGHUSER_MOVABLE|__GFP_COMP"), 0);
	kmm_gfp_format(buf, sizeof(buf), GFP_ATOMIC);
	expect_eq(strcmp(buf, "GFP_ATOMIC"), 0);
	kmm_gfp_format(buf, sizeof(buf), GFP_NOWAIT);
	expect_eq(strcmp(buf, "GFP_NOWAIT"), 0);
	kmm_gfp_format(buf, sizeof(buf), GFP_KERNEL | __GFP_DMA);
	expect_eq(strcmp(buf, "GFP_KERNEL|GFP_DMA"), 0);
	kmm_gfp_format(buf, sizeof(buf), 0x1000000u | __GFP_HIGH);
	expect_eq(strcmp(buf, "__GFP_HIGH|0x1000000"), 0);
	kmm_gfp_format(buf, sizeof(buf), 0);
	expect_eq(strcmp(buf, ""), 0);
	expect_eq(kmm_gfp_format(NULL, 0, GFP_KERNEL), 10);
	expect_eq(kmm_gfp_parse("GFP_KERNEL|__GFP_ZERO", &g, &bad), 0);
	expect_eq(g, GFP_KERNEL | __GFP_ZERO);
	expect_eq(kmm_gfp_parse(" GFP_ATOMIC | 0x100 ", &g, &bad), 0);
	expect_eq(g, GFP_ATOMIC | __GFP_ZERO);
	g = 7;
	expect_eq(kmm_gfp_parse("GFP_KERNEL|GFP_BOGUS", &g, &bad), -EINVAL);
	expect_eq(bad, 11);
	expect_eq(g, 7);
	expect_str_contains(kmm_last_error(), "GFP_BOGUS");
	expect_eq(kmm_gfp_parse("GFP_KERNEL||__GFP_ZERO", &g, &bad), -EINVAL);
	expect_eq(bad, 11);
}

/* ---- Deferred sections ---- */

/* Hand out pages in a fixed pattern and record the pfns. */
static void run_pattern(struct kmm_machine *m, unsigned long *pfns, int n)
{
	static const unsigned int orders[] = { 0, 3, 10, 9, 2, 10, 0, 5, 10, 1 };
	static const gfp_t gfps[] = { GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE,
				      GFP_DMA32, GFP_KERNEL };
	struct page **held = calloc((size_t)n, sizeof(*held));

	for (int i = 0; i < n; i++) {
		unsigned int order = orders[i % 10];

		held[i] = alloc_pages(gfps[i % 5] | __GFP_NOWARN, order);
		pfns[i] = held[i] ? page_to_pfn_m(m, held[i]) : ~0UL;
		if (i % 3 == 2 && held[i - 1]) {
			__free_pages(held[i - 1], orders[(i - 1) % 10]);
			held[i - 1] = NULL;
		}
	}
	for (int i = 0; i < n; i++)
		if (held[i])
			__free_pages(held[i], orders[i % 10]);
	free(held);
}

TEST(deferred_sections_match_eager)
{
	enum { N = 600 };
	unsigned long a[N], b[N];
	struct kmm_machine *e = fake_x86_64_768m(false, false);
	unsigned long eager_free = kmm_nr_free_pages(e);
	unsigned long eager_nr10 = e->node_data[0]->node_zones[ZONE_DMA32].free_area[10].nr_free;

	run_pattern(e, a, N);
	check_ok(e);
	fake_done(e);

	struct kmm_machine *d = fake_x86_64_768m(false, true);
	struct zone *dma32 = Z(d, ZONE_DMA32), *normal = Z(d, ZONE_NORMAL);

	/* Deferred sections count as free and in buddyinfo before they exist. */
	expect_eq(kmm_nr_free_pages(d), eager_free);
	expect_eq(dma32->free_area[10].nr_free, eager_nr10);
	expect_eq(dma32->nr_deferred_blocks, 64);
	expect_eq(normal->nr_deferred_blocks, 64);
	expect_eq(zone_managed_pages(normal), 65536);
	expect_eq(d->section_state[3], SECTION_DEFERRED);
	check_ok(d);
	run_pattern(d, b, N);
	for (int i = 0; i < N; i++)
		if (a[i] != b[i]) {
			kmm_test_fail(__FILE__, __LINE__, "step %d: eager pfn %#lx, deferred %#lx", i,
				      a[i], b[i]);
			break;
		}
	/* Only what was needed got initialised. */
	expect_true(dma32->nr_deferred_blocks >= 1);
	check_ok(d);
	fake_done(d);
}

TEST(x86_64_nofragment_and_dma32)
{
	struct kmm_machine *m = fake_x86_64_768m(false, false);
	struct page *p = alloc_pages(GFP_DMA32, 0);

	assert_true(p != NULL);
	expect_true(page_to_pfn_m(m, p) >= 4096 && page_to_pfn_m(m, p) < 131072);
	struct page *q = alloc_pages(GFP_KERNEL, 0);

	expect_true(page_to_pfn_m(m, q) >= 131072);
	__free_pages(p, 0);
	__free_pages(q, 0);
	check_ok(m);
	fake_done(m);
}

TEST(lazy_parked_pages_satisfy_big_request)
{
	struct kmm_machine *m = fake_machine(true);
	struct page **big = calloc(512, sizeof(*big));
	int n = 0;

	/* Take every order-10 block, then give one back as 1024 single pages. */
	while ((big[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 10)))
		n++;
	assert_true(n > 100);
	struct page *p = big[--n];
	unsigned long pfn = pfn_of(m, p);

	split_page(p, 10);
	for (unsigned long j = 0; j < 1024; j++)
		__free_pages(pfn_to_page_m(m, pfn + j), 0);
	/* No order-10 block is listed; the watermark check must still let rmqueue coalesce. */
	struct page *q = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 10);

	assert_true(q != NULL);
	expect_eq(pfn_of(m, q), pfn);
	expect_eq(Z(m, ZONE_NORMAL)->nr_lazy_free, 0);
	check_ok(m);
	__free_pages(q, 10);
	while (n)
		__free_pages(big[--n], 10);
	free(big);
	check_ok(m);
	fake_done(m);
}

/* ---- NUMA: zonelists across nodes, numa_* events, __GFP_THISNODE ---- */

TEST(numa_two_nodes)
{
	struct fake_spec fs = {
		.arch = KMM_ARCH_X86_64, .nr_zones = 3,
		.zones = { { ZONE_DMA, 0, 4096, 0 }, { ZONE_DMA32, 4096, 65536, 0 },
			   { ZONE_NORMAL, 65536, 131072, 1 } },
		.first_free = 256, .pageblock_order = 9, .nr_cpus = 2,
	};
	struct kmm_machine *m = fake_boot(&fs);
	struct zone *n0 = &m->node_data[0]->node_zones[ZONE_DMA32];
	struct zone *n1 = &m->node_data[1]->node_zones[ZONE_NORMAL];

	/* Local node first, highest zone first; node 1's list falls back to node 0. */
	struct zone **zl0 = m->node_data[0]->node_zonelists[ZONELIST_FALLBACK].zones;
	struct zone **zl1 = m->node_data[1]->node_zonelists[ZONELIST_FALLBACK].zones;

	expect_true(zl0[0] == n0 && zl0[1] == &m->node_data[0]->node_zones[ZONE_DMA] &&
		    zl0[2] == n1 && zl0[3] == NULL);
	expect_true(zl1[0] == n1 && zl1[1] == n0 && zl1[3] == NULL);
	expect_true(m->node_data[1]->node_zonelists[ZONELIST_NOFALLBACK].zones[1] == NULL);
	expect_str_contains(t_dmesg(m), "Built 2 zonelists");

	struct page *a = alloc_pages(GFP_KERNEL, 0);	/* node 0, DMA32 */
	struct page *b = alloc_pages_node(1, GFP_KERNEL, 0);	/* node 1 */

	assert_true(a && b);
	expect_eq(page_to_nid(a), 0);
	expect_eq(page_to_nid(b), 1);
	expect_eq(zone_numa_event_state(n0, NUMA_HIT), 1);
	expect_eq(zone_numa_event_state(n0, NUMA_LOCAL), 1);
	expect_eq(zone_numa_event_state(n1, NUMA_HIT), 1);
	expect_eq(zone_numa_event_state(n1, NUMA_OTHER), 1);	/* CPUs sit on node 0 */
	/* DMA32 from node 1: the first zone that fits is node 0's, so it is preferred (a hit). */
	struct page *c = alloc_pages_node(1, GFP_DMA32, 0);

	assert_true(c != NULL);
	expect_eq(page_to_nid(c), 0);
	expect_eq(zone_numa_event_state(n0, NUMA_HIT), 2);
	/* Exhaust node 1 with order-10 requests: the overflow is a miss on node 0, foreign on 1. */
	struct page *big[80];
	int nb = 0;

	while (nb < 80 && (big[nb] = alloc_pages_node(1, GFP_KERNEL, 10)) && page_to_nid(big[nb]) == 1)
		nb++;
	assert_true(nb < 80 && big[nb] != NULL);
	nb++;
	expect_eq(zone_numa_event_state(n0, NUMA_MISS), 1);
	expect_eq(zone_numa_event_state(n1, NUMA_FOREIGN), 1);
	while (nb)
		__free_pages(big[--nb], 10);
	/* ...but not with __GFP_THISNODE, which fails without leaving node 1. */
	expect_true(alloc_pages_node(1, GFP_DMA32 | __GFP_THISNODE | __GFP_NOWARN, 0) == NULL);
	expect_true(alloc_pages_node(7, GFP_KERNEL, 0) == NULL);
	expect_str_contains(kmm_last_error(), "no node 7");
	__free_pages(a, 0);
	__free_pages(b, 0);
	__free_pages(c, 0);
	check_ok(m);
	fake_done(m);
}

/* ---- The checker catches what it claims to ---- */

static void expect_check_fails(struct kmm_machine *m, const char *what)
{
	int err = page_alloc_check(m);

	expect_eq(err, -EUCLEAN);
	expect_str_contains(kmm_last_error(), what);
	expect_str_contains(t_dmesg(m), "page_alloc check failed");
}

TEST(checker_catches_corruption)
{
	struct kmm_machine *m = fake_machine(false);
	struct zone *z = Z(m, ZONE_NORMAL);

	check_ok(m);
	/* nr_free out of step with the lists. */
	z->free_area[3].nr_free++;
	expect_check_fails(m, "nr_free[3]");
	z->free_area[3].nr_free--;
	/* NR_FREE_PAGES out of step with the lists. */
	mod_zone_page_state(z, NR_FREE_PAGES, 1);
	expect_check_fails(m, "NR_FREE_PAGES");
	mod_zone_page_state(z, NR_FREE_PAGES, -1);
	check_ok(m);

	/* Two free buddies left unmerged: split a free order-1 block by hand. */
	struct page *p = alloc_pages(GFP_KERNEL, 4);
	unsigned long pfn = pfn_of(m, p);

	__free_pages(p, 4);	/* merges back */
	p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 1);
	pfn = pfn_of(m, p);
	struct page *a = pfn_to_page_m(m, pfn), *b = pfn_to_page_m(m, pfn + 1);
	int mt = get_pageblock_migratetype(a);

	/* Hand-made state: both halves on the order-0 list without merging. */
	set_page_count(a, 0);
	set_page_count(b, 0);
	spin_lock(&z->lock);
	a->private = 0;
	b->private = 0;
	__page_set_type(a, PGTY_buddy);
	__page_set_type(b, PGTY_buddy);
	list_add(&a->buddy_list, &z->free_area[0].free_list[mt]);
	list_add(&b->buddy_list, &z->free_area[0].free_list[mt]);
	z->free_area[0].nr_free += 2;
	mod_zone_page_state(z, NR_FREE_PAGES, 2);
	spin_unlock(&z->lock);
	expect_check_fails(m, "not merged");
	/* Undo: take them off again and free the order-1 block properly. */
	spin_lock(&z->lock);
	list_del(&a->buddy_list);
	list_del(&b->buddy_list);
	__page_clear_type(a);
	__page_clear_type(b);
	z->free_area[0].nr_free -= 2;
	mod_zone_page_state(z, NR_FREE_PAGES, -2);
	spin_unlock(&z->lock);
	set_page_count(a, 1);
	__free_pages(a, 1);
	check_ok(m);

	/* A pcp count that lies. */
	struct page *q = alloc_pages(GFP_KERNEL, 0);

	__free_pages(q, 0);
	struct per_cpu_pages *pcp = per_cpu_ptr(z->per_cpu_pageset, kmm_this_cpu(m));

	pcp->count++;
	expect_check_fails(m, "pcp count");
	pcp->count--;
	check_ok(m);
	drain_all_pages(m, NULL);
	/* A managed page that vanished: allocated count no longer adds up. */
	atomic_fetch_add(&z->managed_pages, 1);
	expect_check_fails(m, "managed");
	atomic_fetch_sub(&z->managed_pages, 1);
	check_ok(m);
	fake_done(m);
}
