// SPDX-License-Identifier: MIT
/*
 * mm/include/page_reporting.h - free page reporting: tell a device which
 * free buddy blocks it may take the memory of.
 *
 * Linux counterpart: include/linux/page_reporting.h (struct
 * page_reporting_dev_info, page_reporting_order). A virtio-balloon device
 * registers there and the host reclaims the reported pages; in kmm the
 * malloc shim is the device and the host process gives the bytes back
 * (MADV_DONTNEED). Code outside mm/ reaches the buddy free lists only
 * through this interface.
 */
#ifndef KMM_MM_INCLUDE_PAGE_REPORTING_H
#define KMM_MM_INCLUDE_PAGE_REPORTING_H

#include <stdbool.h>

struct kmm_machine;
struct page;

/**
 * struct page_reporting_dev_info - a device that takes reports of free blocks.
 * @report: called once per unreported free block of order >= @order, with
 *	the block's head page. Context: under the block's zone->lock, so the
 *	block stays free and on its list while the device handles it; the
 *	device must not allocate or free pages. Return: 0 (the block is then
 *	PageReported and not reported again until it leaves its free list), or
 *	-errno to stop the walk (the block stays unreported).
 * @order: the smallest order reported (Linux's page_reporting_order).
 * @high_first: kmm only: walk each zone's orders from the highest down
 *	(Linux walks them up from @order), so that a device that wants a few
 *	large blocks gets them before the small ones.
 */
struct page_reporting_dev_info {
	int (*report)(struct page_reporting_dev_info *prdev, struct page *page,
		      unsigned int order);
	unsigned int order;
	bool high_first;
};

/**
 * page_reporting_process() - walk every populated zone of @m and report its
 * free blocks of order >= @prdev->order that no earlier walk reported.
 * @keep: pages of unreported blocks to leave unreported, counted from the
 *	head of each free list (a list hands out its head first and a freed
 *	block goes to the head, so these are the blocks most likely to be
 *	reused soon); 0 reports all. Blocks reported already do not count.
 *
 * A reported block moves to the tail of its list, behind the blocks whose
 * memory is still there, so that the allocator hands those out first.
 *
 * Context: takes each zone->lock in turn; no other kmm lock held.
 * Return: the number of pages reported by this walk (a walk with @keep 0
 * right after another reports 0: nothing is reported twice).
 */
unsigned long page_reporting_process(struct kmm_machine *m, struct page_reporting_dev_info *prdev,
				     unsigned long keep);

#endif /* KMM_MM_INCLUDE_PAGE_REPORTING_H */
