// SPDX-License-Identifier: MIT
/*
 * mm/page_alloc_exact.c - exact-size blocks: alloc_pages_exact() and
 * free_pages_exact(), and growing or shrinking such a block in place
 * (extend_pages_exact(), shrink_pages_exact(): the malloc shim's realloc).
 *
 * Linux counterpart: mm/page_alloc.c alloc_pages_exact(), make_alloc_exact(),
 * free_pages_exact() (6.12). Kept: the power-of-two block split into order-0
 * pages (split_page()), the pages past PAGE_ALIGN(size) freed at once, to
 * the tails of the free lists (FPI_TO_TAIL). Changed: pages are freed as the
 * largest aligned runs they hold, straight to the buddy (Linux: one page at
 * a time, and free_pages_exact() through the CPU lists). Added: the in-place
 * growth and shrink; Linux has no counterpart (krealloc() grows only within
 * ksize(); take_page_off_buddy() takes single free pages off the lists).
 *
 * Added for the malloc shim's page blocks (mm/include/page_block.h): a
 * block kept whole, not split, given back to the buddy in one piece
 * (free_pages_whole(); it is taken by alloc_pages_whole(), beside the
 * allocation fast path in mm/page_alloc_slowpath.c), and free_pages_exact()
 * by page (free_pages_exact_page()).
 *
 * Invariant: an exact block is a run of allocated order-0 pages, each
 * counted once; its owner knows its size (the page allocator keeps none).
 *
 * Locking: zone->lock for the buddy lists (extend_pages_exact() takes it
 * itself; the frees through __free_pages_ok()).
 */
#include <errno.h>

#include "mm/include/machine.h"
#include "mm/include/page_block.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"

/*
 * Free the independently counted pages [@pfn, @end) of one zone, each a
 * page of count 1 (split_page()'s, or alloc_pages_exact()'s), as the
 * largest naturally aligned power-of-two runs they hold, each straight to
 * the buddy (none to a CPU's list, where a run would sit unmerged: the
 * block could not form again, and the next of its size would take other,
 * untouched memory - sqlite3's peak RSS grew by a quarter that way). The
 * pages end up merged as page-at-a-time freeing would leave them, in a
 * handful of frees instead of one per page. @tail: at the tail of the free
 * lists (a fresh block's unused end, likely to be asked for again by an
 * in-place growth, extend_pages_exact()); else where __free_one_page()
 * puts a block.
 */
static void free_pages_run(struct kmm_machine *m, unsigned long pfn, unsigned long end, bool tail)
{
	while (pfn < end) {
		unsigned int order = (unsigned int)ilog2_ul(end - pfn);

		if (pfn && (unsigned int)__builtin_ctzl(pfn) < order)
			order = (unsigned int)__builtin_ctzl(pfn);
		if (order > MAX_PAGE_ORDER)
			order = MAX_PAGE_ORDER;
		struct page *page = pfn_to_page_m(m, pfn);
		for (unsigned long i = 0; i < (1UL << order); i++)
			set_page_count(&page[i], 0);
		__free_pages_ok(page, order, tail ? FPI_TO_TAIL : FPI_NONE);
		pfn += 1UL << order;
	}
}

/**
 * alloc_pages_exact() - PAGE_ALIGN(@size) bytes of physically contiguous
 * lowmem: the power-of-two block that holds them, split into order-0 pages,
 * its pages past the size given back at once.
 * @size: bytes, at least 1, at most PAGE_SIZE << MAX_PAGE_ORDER.
 * @gfp: as alloc_pages(); __GFP_COMP and __GFP_HIGHMEM are dropped (Linux
 * warns about them: a split block cannot be compound, and the caller wants
 * an address). __GFP_ZERO clears the whole block before the split.
 * Context: as alloc_pages().
 * Return: the direct-map address of the first page, or NULL (no memory, or
 * @size 0 or too big). Free with free_pages_exact(@addr, @size), or any
 * page of it with free_page().
 */
void *alloc_pages_exact(size_t size, gfp_t gfp)
{
	if (!size || size > (PAGE_SIZE << MAX_PAGE_ORDER))
		return NULL;
	unsigned long nr = ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT;
	unsigned int order = nr > 1 ? (unsigned int)fls_ul(nr - 1) : 0;
	struct page *page = alloc_pages(gfp & ~(__GFP_COMP | __GFP_HIGHMEM), order);

	if (!page)
		return NULL;
	struct kmm_machine *m = page_machine(page);
	unsigned long pfn = page_to_pfn_m(m, page);

	split_page(page, order);
	free_pages_run(m, pfn + nr, pfn + (1UL << order), true);
	return page_address(page);
}

/**
 * free_pages_exact() - free the pages of @size bytes from @virt, each of
 * them still counted once (alloc_pages_exact()'s block, or any run of it).
 * @virt: a page-aligned direct-map address (NULL is a no-op).
 * @size: bytes; PAGE_ALIGN(@size) of them are freed.
 * Context: as __free_pages().
 */
void free_pages_exact(void *virt, size_t size)
{
	if (!virt || !size)
		return;
	struct page *page = virt_to_page(virt);
	struct kmm_machine *m = page_machine(page);
	unsigned long pfn = page_to_pfn_m(m, page);

	free_pages_run(m, pfn, pfn + (ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT), false);
}

/**
 * free_pages_exact_page() - free_pages_exact() of the @nr pages from @page:
 * the same frees, for a caller that holds the first page already (the
 * malloc shim), without the address's round trip (virt_to_page()).
 * Context: as __free_pages().
 */
void free_pages_exact_page(struct page *page, unsigned long nr)
{
	struct kmm_machine *m = page_machine(page);
	unsigned long pfn = page_to_pfn_m(m, page);

	free_pages_run(m, pfn, pfn + nr, false);
}

/**
 * free_pages_whole() - free a block of 2^@order pages allocated without
 * __GFP_COMP and never split (its first page counted once, the rest not at
 * all), whole, straight to the buddy, as free_pages_exact() of it would
 * leave the pages, with no page-by-page work. The malloc shim's page
 * blocks (shim/blocks.h): not to a CPU's list, free_pages_run() says why.
 * Context: as __free_pages().
 */
void free_pages_whole(struct page *page, unsigned int order)
{
	set_page_count(page, 0);
	__free_pages_ok(page, order, FPI_NONE);
}

/**
 * shrink_pages_exact() - give back the end of the exact block of @size
 * bytes at @virt, keeping its first @new_size bytes.
 * @virt: an alloc_pages_exact() block. @new_size: at most @size.
 * The pages past PAGE_ALIGN(@new_size) go straight to the buddy, at the
 * tail of its free lists, as alloc_pages_exact() gives back a block's
 * unused end: a later extend_pages_exact() may find them there still.
 * Context: takes zone->lock.
 */
void shrink_pages_exact(void *virt, size_t size, size_t new_size)
{
	unsigned long nr = ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT;
	unsigned long keep = ALIGN_UP(new_size, PAGE_SIZE) >> PAGE_SHIFT;

	if (!virt || keep >= nr)
		return;
	struct page *page = virt_to_page(virt);
	struct kmm_machine *m = page_machine(page);
	unsigned long pfn = page_to_pfn_m(m, page);

	free_pages_run(m, pfn + keep, pfn + nr, true);
}

/*
 * The free buddy block that holds @pfn, whose order goes to *@order; NULL
 * when @pfn is not free in the buddy (allocated, on a CPU's list, in an
 * isolated pageblock). Only a free block's first page is PageBuddy, so the
 * first aligned candidate that is one answers. Caller holds zone->lock; the
 * candidates stay inside @pfn's MAX_PAGE_ORDER block.
 */
static struct page *free_block_holding(struct kmm_machine *m, struct zone *zone,
				       unsigned long pfn, unsigned int *order)
{
	for (unsigned int o = 0; o <= MAX_PAGE_ORDER; o++) {
		unsigned long head = pfn & ~((1UL << o) - 1);
		struct page *page = pfn_to_page_m(m, head);

		if (PageBuddy(page)) {
			if (buddy_order(page) < o || pfn >= head + (1UL << buddy_order(page)) ||
			    page_zone(page) != zone ||
			    get_pfnblock_migratetype(zone, head) == MIGRATE_ISOLATE)
				return NULL;
			*order = buddy_order(page);
			return page;
		}
	}
	return NULL;
}

/*
 * Put the free pages [@pfn, @end) of @zone back on its lists, as the
 * largest aligned blocks they hold, unmerged: they are the ends of one free
 * block that extend_pages_exact() took a range out of, so each block's
 * buddy lies inside that range (taken) or is a larger end of it, never
 * free. Caller holds zone->lock.
 */
static void free_range_locked(struct zone *zone, unsigned long pfn, unsigned long end)
{
	struct kmm_machine *m = zone->machine;

	while (pfn < end) {
		unsigned int order = (unsigned int)ilog2_ul(end - pfn);

		if (pfn && (unsigned int)__builtin_ctzl(pfn) < order)
			order = (unsigned int)__builtin_ctzl(pfn);
		struct page *page = pfn_to_page_m(m, pfn);
		int mt = get_pfnblock_migratetype(zone, pfn);

		account_freepages(zone, 1L << order, mt);
		set_buddy_order(page, order);
		__add_to_free_list(page, zone, order, mt, true);
		pfn += 1UL << order;
	}
}

/**
 * extend_pages_exact() - grow the exact block of @size bytes at @virt to
 * @new_size bytes in place, with the free pages right after it.
 * @virt: an alloc_pages_exact() block (or one this function grew).
 * @size: its bytes now. @new_size: the bytes wanted (no more than @size:
 * nothing to do).
 * The new pages must all be free in the buddy (not on a CPU's list) and in
 * the block's zone, at most a MAX_PAGE_ORDER block's worth; the zone must
 * stay above its high watermark; they are taken off their free lists,
 * whatever their order, under zone->lock, the rest of each free block they
 * sat in going back. They may run into the next MAX_PAGE_ORDER block when
 * that block is online (its head's struct page initialised: not deferred,
 * reserved or in a hole, whose pages free_block_holding() never finds
 * free). Until session 18 they had to lie in the block's own MAX_PAGE_ORDER
 * block: a buffer that grows by realloc grew in place only as far as that
 * block's end, then moved, copied, to other memory, its old pages left
 * resident (mt_churn 1 100000 2000: peak RSS 15.7 -> 13.2 MB, glibc 14.5).
 * The new pages are counted once each, as the block's own,
 * and keep whatever bytes they held. Linux has no counterpart (krealloc
 * grows only within ksize(); take_page_off_buddy() takes single pages).
 * Context: takes zone->lock; no slot section needed.
 * Return: 0, or -ENOMEM with nothing changed.
 */
int extend_pages_exact(void *virt, size_t size, size_t new_size)
{
	unsigned long nr = ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT;
	unsigned long want = ALIGN_UP(new_size, PAGE_SIZE) >> PAGE_SHIFT;

	if (!virt || want <= nr)
		return 0;
	struct page *page = virt_to_page(virt);
	struct kmm_machine *m = page_machine(page);
	struct zone *zone = page_zone(page);
	unsigned long start = page_to_pfn_m(m, page) + nr, end = start + (want - nr);

	if (end - start > MAX_ORDER_NR_PAGES || !zone_spans_pfn(zone, end - 1) ||
	    (((start - 1) ^ (end - 1)) >> MAX_PAGE_ORDER && m->section_state &&
	     pfn_init_state(m, ALIGN_DOWN(end - 1, MAX_ORDER_NR_PAGES)) != SECTION_ONLINE))
		return -ENOMEM;
	spin_lock(&zone->lock);
	if (zone_page_state(zone, NR_FREE_PAGES) < high_wmark_pages(zone) + (want - nr))
		goto out_busy;
	for (unsigned long pfn = start; pfn < end;) {
		unsigned int order;
		struct page *block = free_block_holding(m, zone, pfn, &order);

		if (!block)
			goto out_busy;
		pfn = page_to_pfn_m(m, block) + (1UL << order);
	}
	for (unsigned long pfn = start; pfn < end;) {
		unsigned int order;
		struct page *block = free_block_holding(m, zone, pfn, &order);
		unsigned long head = page_to_pfn_m(m, block), stop = head + (1UL << order);

		/* Heads are made anywhere in it: its struct pages first (a split deferred block). */
		init_lazy_chunks(zone, head, stop - head);
		del_page_from_free_list(block, zone, order, get_pfnblock_migratetype(zone, head));
		free_range_locked(zone, head, start > head ? start : head);
		free_range_locked(zone, end < stop ? end : stop, stop);
		pfn = stop;
	}
	for (unsigned long pfn = start; pfn < end; pfn++) {
		struct page *p = pfn_to_page_m(m, pfn);

		p->private = 0;
		set_page_count(p, 1);
	}
	spin_unlock(&zone->lock);
	if (m->cpus)
		count_events_cpu(m, kmm_this_cpu_inline(m), PGALLOC_DMA + zone->type,
				 (long)(want - nr));
	return 0;
out_busy:
	spin_unlock(&zone->lock);
	return -ENOMEM;
}
