// SPDX-License-Identifier: MIT
/*
 * mm/page_reporting.c - free page reporting: hand a device the free buddy
 * blocks whose memory it may take back.
 *
 * Linux counterpart: mm/page_reporting.c (6.12). Kept: a device registers a
 * report callback and a minimum order; every free block of at least that
 * order in every populated zone is reported. Simplified: the walk is run by
 * the device when it wants (Linux schedules it from the free path once
 * enough high-order memory is free), it reports one block at a time under
 * zone->lock with the block left on its free list (Linux isolates a batch,
 * drops the lock, reports a scatterlist and puts the batch back), and a
 * block is reported again on the next walk (Linux marks it PageReported).
 * Added: @keep spares the blocks at the head of each list.
 *
 * Locking: zone->lock, one zone at a time.
 */
#include "mm/include/page_reporting.h"
#include "mm/internal.h"

static unsigned long report_zone(struct zone *z, struct page_reporting_dev_info *prdev,
				 unsigned long *keep, int *err)
{
	unsigned long pages = 0;

	spin_lock(&z->lock);
	for (unsigned int o = prdev->order; o < NR_PAGE_ORDERS && !*err; o++) {
		for (int mt = 0; mt < MIGRATE_TYPES && !*err; mt++) {
			struct list_head *pos, *head = &z->free_area[o].free_list[mt];

			if (!head->next)
				continue;	/* lists of a zone never initialised */
			list_for_each(pos, head) {
				struct page *page = list_entry(pos, struct page, buddy_list);

				if (*keep) {
					*keep -= KMM_MIN(*keep, 1UL << o);
					continue;
				}
				*err = prdev->report(prdev, page, o);
				if (*err)
					break;
				pages += 1UL << o;
			}
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
