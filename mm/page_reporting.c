// SPDX-License-Identifier: MIT
/*
 * mm/page_reporting.c - free page reporting: hand a device the free buddy
 * blocks whose memory it may take back, each block once.
 *
 * Linux counterpart: mm/page_reporting.c (6.12). Kept: a device registers a
 * report callback and a minimum order; every free block of at least that
 * order in every populated zone is reported, the Isolate lists excepted; a
 * reported block is marked PageReported and skipped by later walks until it
 * leaves its free list (allocated, split or merged with its buddy:
 * __del_page_from_free_list() clears the mark, so a merged block is
 * unreported and a later walk reports it whole). 6.12 keeps no count of
 * reported pages per zone (its __del_page_from_free_list() comment speaks
 * of one; there is none), and neither does kmm. Simplified: the walk is run
 * by the device when it wants (Linux schedules it from the free path once
 * enough high-order memory is free), and it reports one block at a time
 * under zone->lock with the block left on its free list (Linux isolates a
 * batch, drops the lock, reports a scatterlist and puts the batch back).
 * Added: @keep spares the unreported blocks at the head of each list; a
 * block once reported moves to the tail of its list, so the allocator,
 * which takes from the head, reuses blocks whose memory is still there
 * before those the device took (Linux puts a reported batch back where
 * __free_one_page() would, head or tail); and where every block of the
 * smallest order that fits is reported, the allocator splits an unreported
 * block of a higher order instead (__rmqueue_smallest(), mm/page_alloc.h).
 * And a device may ask for the orders from the highest down (@high_first:
 * the malloc shim moves free blocks' pages into huge blocks, the largest
 * first, each one host call).
 *
 * Cost: a walk steps over the reported blocks of each list (as Linux's
 * does) and calls the device for the unreported ones only, so a second walk
 * with nothing freed in between reports nothing.
 *
 * Locking: zone->lock, one zone at a time; the mark is written under it.
 */
#include "mm/include/page_reporting.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"

static unsigned long report_list(struct list_head *head, unsigned int order,
				 struct page_reporting_dev_info *prdev, unsigned long *keep, int *err)
{
	struct list_head *pos = head->next, *stop = head;
	unsigned long pages = 0;

	/*
	 * Blocks reported here go to the tail: the walk ends at the first of
	 * them (or at the head), having seen every block that was on the list.
	 */
	while (pos != head && pos != stop) {
		struct list_head *next = pos->next;
		struct page *page = list_entry(pos, struct page, buddy_list);

		if (PageReported(page)) {
			pos = next;
			continue;
		}
		if (*keep) {
			*keep -= KMM_MIN(*keep, 1UL << order);
			pos = next;
			continue;
		}
		*err = prdev->report(prdev, page, order);
		if (*err)
			break;
		owner_flag_set(page, PG_reported);
		fl_unlink(pos);
		fl_link(pos, head->prev, head);
		if (stop == head)
			stop = pos;
		pages += 1UL << order;
		pos = next;
	}
	return pages;
}

static unsigned long report_zone(struct zone *z, struct page_reporting_dev_info *prdev,
				 unsigned long *keep, int *err)
{
	unsigned long pages = 0;

	spin_lock(&z->lock);
	for (unsigned int i = prdev->order; i < NR_PAGE_ORDERS && !*err; i++) {
		unsigned int o = prdev->high_first ? NR_PAGE_ORDERS - 1 - (i - prdev->order) : i;

		for (int mt = 0; mt < MIGRATE_TYPES && !*err; mt++) {
			struct list_head *head = &z->free_area[o].free_list[mt];

			if (mt == MIGRATE_ISOLATE || !head->next)
				continue;	/* isolated, or lists of a zone never initialised */
			pages += report_list(head, o, prdev, keep, err);
		}
	}
	spin_unlock(&z->lock);
	return pages;
}

unsigned long page_reporting_process(struct kmm_machine *m, struct page_reporting_dev_info *prdev,
				     unsigned long keep)
{
	unsigned long pages = 0;
	int err = 0;

	for (int nid = 0; nid < m->nr_node_ids && !err; nid++) {
		pg_data_t *pgdat = m->node_data[nid];
		struct zone *z;

		if (!pgdat)
			continue;
		for_each_zone_in_node(z, pgdat) {
			if (managed_zone(z) && !err)
				pages += report_zone(z, prdev, &keep, &err);
		}
	}
	return pages;
}
