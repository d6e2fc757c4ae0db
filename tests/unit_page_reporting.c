// SPDX-License-Identifier: MIT
/*
 * tests/unit_page_reporting.c - free page reporting (mm/page_reporting.c)
 * and its PageReported mark on the hand-built 1 GiB i386 box of
 * tests/buddy_fake.h (pageblock order 10, so the Normal zone starts as
 * order-10 blocks only): a block is reported once; a block that leaves
 * its free list (allocated, split, merged, coalesced in buddy=lazy) is
 * unreported when it comes back and the next walk reports it again; a
 * device that refuses leaves the block unreported; @keep spares unreported
 * blocks only; where every block of the smallest order that could serve
 * an allocation is reported, an unreported block of a higher order is
 * split instead (kmm's __rmqueue_smallest()); the checker proves that only
 * free blocks carry the mark.
 */
#include <errno.h>
#include <stdlib.h>

#include "mm/include/page_reporting.h"
#include "mm/page_alloc.h"
#include "tests/buddy_fake.h"

struct counting_dev {
	struct page_reporting_dev_info dev;
	unsigned long calls, pages;
	unsigned long refuse_after;	/* calls to accept before -EIO; 0: accept all */
};

static int count_report(struct page_reporting_dev_info *prdev, struct page *page,
			unsigned int order)
{
	struct counting_dev *d = (struct counting_dev *)prdev;

	if (!PageBuddy(page) || buddy_order(page) != order || PageReported(page))
		kmm_test_fail(__FILE__, __LINE__, "reported a block that is not an unreported free order-%u block",
			      order);
	if (d->refuse_after && d->calls == d->refuse_after)
		return -EIO;
	d->calls++;
	d->pages += 1UL << order;
	return 0;
}

static unsigned long walk(struct kmm_machine *m, unsigned int order, unsigned long keep)
{
	struct counting_dev d = { .dev = { .report = count_report, .order = order } };
	unsigned long pages = page_reporting_process(m, &d.dev, keep);

	expect_eq(pages, d.pages);
	return pages;
}

static void check_ok(struct kmm_machine *m)
{
	int err = page_alloc_check(m);

	if (err)
		kmm_test_fail(__FILE__, __LINE__, "page_alloc_check: %s", kmm_last_error());
	assert_eq(err, 0);
}

/* The free block holding @page (NULL if it is not free). */
static struct page *free_block_of(struct kmm_machine *m, struct page *page)
{
	unsigned long pfn = page_to_pfn_m(m, page);

	for (unsigned int o = 0; o <= MAX_PAGE_ORDER; o++) {
		struct page *head = pfn_to_page_m(m, pfn & ~((1UL << o) - 1));

		if (PageBuddy(head) && buddy_order(head) == o)
			return head;
	}
	return NULL;
}

TEST(a_second_walk_reports_nothing)
{
	struct kmm_machine *m = fake_i386_1g(false);
	unsigned long first = walk(m, 5, 0);

	/* All of Normal (225280 pages) is free in blocks of order 10. */
	expect_true(first >= 225280);
	check_ok(m);
	expect_eq(walk(m, 5, 0), 0);
	expect_eq(walk(m, 0, 0), 0);	/* a lower order finds nothing new either */
	check_ok(m);
	fake_done(m);
}

TEST(a_block_taken_and_given_back_is_reported_again)
{
	struct kmm_machine *m = fake_i386_1g(false);

	walk(m, 5, 0);
	/* Part of a reported order-10 block: the block is split, its halves unreported. */
	struct page *p = alloc_pages(GFP_KERNEL, 5);

	assert_true(p != NULL);
	expect_true(!PageReported(p));
	check_ok(m);			/* no page outside a free list carries the mark */
	/* The split's halves (orders 5..9) are new free blocks: 1024 - 32 pages. */
	expect_eq(walk(m, 5, 0), 1024 - 32);
	__free_pages(p, 5);
	/* Merged back with its (reported) halves: one unreported order-10 block. */
	struct page *head = free_block_of(m, p);

	assert_true(head != NULL);
	expect_eq(buddy_order(head), 10);
	expect_true(!PageReported(head));
	check_ok(m);
	expect_eq(walk(m, 5, 0), 1024);
	expect_true(PageReported(head));
	expect_eq(walk(m, 5, 0), 0);
	fake_done(m);
}

static struct zone *Z(struct kmm_machine *m, enum zone_type t)
{
	return &m->node_data[0]->node_zones[t];
}

/*
 * A walk stopped by its device leaves the head blocks of Normal's order-10
 * list reported and the rest not; the allocator must hand out one of the
 * rest (reported blocks went to the tail), so a full walk after the
 * allocation finds all the unreported pages but the allocated block's.
 */
TEST(the_allocator_hands_out_unreported_blocks_first)
{
	struct kmm_machine *m = fake_i386_1g(false);
	unsigned long blocks = 0;

	for (enum zone_type t = ZONE_DMA; t <= ZONE_HIGHMEM; t++)
		blocks += Z(m, t)->free_area[10].nr_free;
	/* DMA's three order-10 blocks (1024..4095), then Normal's first two. */
	assert_eq(Z(m, ZONE_DMA)->free_area[10].nr_free, 3);
	struct counting_dev d = { .dev = { .report = count_report, .order = 10 },
				  .refuse_after = 5 };

	expect_eq(page_reporting_process(m, &d.dev, 0), 5 * 1024);
	struct page *c = alloc_pages(GFP_KERNEL, 10);

	assert_true(c != NULL);
	expect_eq(walk(m, 10, 0), (blocks - 5 - 1) * 1024);
	__free_pages(c, 10);
	expect_eq(walk(m, 10, 0), 1024);
	check_ok(m);
	fake_done(m);
}

/*
 * An order-5 allocation splits an order-10 block (free halves of orders
 * 5..9), and a walk reports every free block. The order-8 half is then
 * taken and freed again: unreported (its memory is back), while the order-5
 * half, the smallest block an order-5 allocation could take, is reported
 * (its memory gone). The next order-5 allocation splits the order-8 block,
 * whose memory is still there, not the reported order-5 one (Linux takes
 * the smallest order, whatever was reported).
 */
TEST(an_unreported_block_of_a_higher_order_goes_before_a_reported_one)
{
	struct kmm_machine *m = fake_i386_1g(false);
	struct page *a = alloc_pages(GFP_KERNEL, 5);

	assert_true(a != NULL);
	walk(m, 0, 0);
	unsigned long pfn = page_to_pfn_m(m, a);
	struct page *half5 = pfn_to_page_m(m, pfn + 32), *half8 = pfn_to_page_m(m, pfn + 256);

	assert_true(PageBuddy(half5) && buddy_order(half5) == 5 && PageReported(half5));
	assert_true(PageBuddy(half8) && buddy_order(half8) == 8 && PageReported(half8));
	struct page *b = alloc_pages(GFP_KERNEL, 8);

	assert_true(b == half8);
	__free_pages(b, 8);
	assert_true(PageBuddy(half8) && buddy_order(half8) == 8 && !PageReported(half8));
	check_ok(m);
	struct page *c = alloc_pages(GFP_KERNEL, 5);

	expect_true(c == half8);
	expect_true(PageBuddy(half5) && PageReported(half5));
	__free_pages(c, 5);
	__free_pages(a, 5);
	check_ok(m);
	fake_done(m);
}

TEST(a_refused_report_leaves_the_block_unreported)
{
	struct kmm_machine *m = fake_i386_1g(false);
	struct counting_dev d = { .dev = { .report = count_report, .order = 10 },
				  .refuse_after = 3 };

	expect_eq(page_reporting_process(m, &d.dev, 0), 3 * 1024);
	expect_eq(d.calls, 3);
	check_ok(m);
	unsigned long rest = walk(m, 10, 0);

	expect_true(rest >= 225280);
	expect_eq(walk(m, 10, 0), 0);
	fake_done(m);
}

TEST(keep_spares_unreported_blocks_only)
{
	struct kmm_machine *m = fake_i386_1g(false);
	unsigned long all = walk(m, 10, 2048);	/* the first two blocks walked (DMA's) kept */

	expect_true(all > 0);
	/* Kept blocks were not reported: a walk keeping nothing reports them. */
	expect_eq(walk(m, 10, 0), 2048);
	/* Now nothing is unreported: keeping any amount reports nothing, keeping nothing too. */
	expect_eq(walk(m, 10, 4096), 0);
	struct page *p = alloc_pages(GFP_KERNEL, 10);

	assert_true(p != NULL);
	__free_pages(p, 10);		/* one unreported block, at the head */
	expect_eq(walk(m, 10, 1024), 0);	/* kept */
	expect_eq(walk(m, 10, 0), 1024);
	check_ok(m);
	fake_done(m);
}

/*
 * buddy=lazy: freed blocks are parked unmerged; the coalescing pass that a
 * dry free list starts merges two reported buddies into an unreported block.
 */
TEST(a_lazy_merge_of_reported_buddies_is_unreported)
{
	struct kmm_machine *m = fake_i386_1g(true);
	struct page *a = alloc_pages(GFP_KERNEL, 5), *b = alloc_pages(GFP_KERNEL, 5);
	struct page *c = alloc_pages(GFP_KERNEL, 6);	/* keeps the merge at order 6 */

	assert_true(a && b && c);
	assert_true(page_to_pfn_m(m, b) == (page_to_pfn_m(m, a) ^ 32));
	assert_true(page_to_pfn_m(m, c) == (page_to_pfn_m(m, a) ^ 64));
	struct page *lo = page_to_pfn_m(m, a) < page_to_pfn_m(m, b) ? a : b;

	__free_pages(a, 5);
	__free_pages(b, 5);
	walk(m, 5, 0);
	expect_true(PageReported(a) && PageReported(b));
	/* Take every order-10 block: the last ones need the coalescing pass. */
	struct page **big = calloc(512, sizeof(*big));
	int n = 0;

	assert_true(big != NULL);
	while (n < 512 && (big[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 10)))
		n++;
	expect_true(n > 100);
	expect_true(PageBuddy(lo) && buddy_order(lo) == 6);
	/* Neither half keeps the mark: not the head, not the page that became a tail. */
	expect_true(!PageReported(a));
	expect_true(!PageReported(b));
	check_ok(m);
	while (n)
		__free_pages(big[--n], 10);
	free(big);
	__free_pages(c, 6);
	check_ok(m);
	fake_done(m);
}
