// SPDX-License-Identifier: MIT
/*
 * mm/include/page_block.h - the page allocator's entry points for the malloc
 * shim's page blocks (shim/blocks.h), beside alloc_pages_exact() and its
 * family (include/kmm/kmm.h).
 *
 * Linux counterpart: none (Linux's free_pages_exact() takes an address and
 * frees page by page). A block the shim keeps whole is an alloc_pages()
 * block without __GFP_COMP: its first page counted once, the rest not at
 * all, as Linux hands out a non-compound block; it becomes an exact block
 * (order-0 pages, each counted once) with split_page() when realloc resizes
 * it in place.
 */
#ifndef KMM_MM_INCLUDE_PAGE_BLOCK_H
#define KMM_MM_INCLUDE_PAGE_BLOCK_H

#include <kmm/kmm.h>

struct kmm_machine;
struct page;

/* alloc_pages(@gfp, @order) from inside the caller's CPU slot section on @m (no __GFP_COMP). */
struct page *alloc_pages_whole(struct kmm_machine *m, gfp_t gfp, unsigned int order);

/* Free the exact block's @nr pages from @page (mm/page_alloc_exact.c). */
void free_pages_exact_page(struct page *page, unsigned long nr);
/* Free a whole (never split, not compound) block of 2^@order pages to the buddy. */
void free_pages_whole(struct page *page, unsigned int order);

#endif /* KMM_MM_INCLUDE_PAGE_BLOCK_H */
