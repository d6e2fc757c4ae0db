// SPDX-License-Identifier: MIT
/*
 * shim/blocks.h - what the malloc shim records in the first page of a page
 * block (8 KiB .. 4 MiB, shim/malloc.c): its page count and the bytes its
 * malloc asked for. Private to shim/.
 *
 * Page blocks. Hardened, a block is a compound page (its red zone and guard
 * page sit at the end of the power-of-two block, shim/harden.c). Otherwise
 * it is the whole power-of-two block, kept as one unit while it lives as
 * malloc made it: an alloc_pages() block, not compound (its first page
 * counted, the rest not), given back to the buddy whole
 * (alloc_pages_whole(), free_pages_whole(), mm/include/page_block.h: no
 * split into order-0 pages and no page-by-page free; mt_churn, ~1,200
 * instructions per block's allocation and free in the page allocator with
 * them, ~650 without). realloc makes
 * it an exact block (order-0 pages, each counted: split_page()) before it
 * grows or shrinks it in place. Giving back its unused end at once
 * (alloc_pages_exact()'s own use) was measured and lost: the end is soon
 * taken by smaller allocations, the block cannot merge again when freed,
 * and the next block of its size takes memory of its own. bench/malloc/mixed_sizes 100000 1000
 * peak RSS 346.5 MB with compound blocks, 348.7 keeping the whole block,
 * 353.9 / 356.0 / 426.3 giving back an end of 3/8 / 1/8 / any of the block;
 * sqlite3 (bench/malloc/run.sh's query) 12.2-12.4 MB either way, 13.3 with
 * compound blocks (docs/malloc.md, "Page blocks"). With no compound head to
 * give its size, the first page's ->index (the owner's word of an allocated
 * page: nothing else reads it) records the page count, and BLOCK_WHOLE. An
 * exact block grows into the free pages after it (extend_pages_exact()) or
 * gives its end back (shrink_pages_exact(); ram_resize() in shim/malloc.c).
 */
#ifndef KMM_SHIM_BLOCKS_H
#define KMM_SHIM_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <kmm/kmm.h>
#include "arch/sim/sim.h"
#include "mm/include/page_block.h"
#include "shim/harden.h"
#include "shim/huge.h"

/*
 * In ->index of a block's first page, beside its page count: the block is
 * whole (one alloc_pages() block, not compound, not split), as malloc makes
 * it; an exact block, order-0 pages, once realloc has split it
 * (block_make_exact()).
 */
#define BLOCK_WHOLE (1UL << 62)

/* Pages of the page block whose first page is @head (not a slab page). */
static inline unsigned long block_pages(const struct page *head)
{
	return PageHead(head) ? 1UL << compound_order(head) : head->index & ~BLOCK_WHOLE;
}

/* Free the live page block at @head (not hardened), however it is kept. */
static inline void block_free(struct page *head)
{
	unsigned long nr = block_pages(head);

	if (PageHead(head))
		__free_pages(head, compound_order(head));
	else if (head->index & BLOCK_WHOLE)
		free_pages_whole(head, (unsigned int)ilog2_ul(nr));
	else
		free_pages_exact_page(head, nr);
}

/* Make the block at @head (not compound) an exact block, order-0 pages. Return: its pages. */
static inline unsigned long block_make_exact(struct page *head)
{
	unsigned long nr = block_pages(head);

	if (head->index & BLOCK_WHOLE) {
		split_page(head, (unsigned int)ilog2_ul(nr));
		head->index = nr;
	}
	return nr;
}

/*
 * A page block's head keeps the bytes its malloc asked for in ->private
 * (the owner's word of an allocated page; the free path clears it), so
 * that realloc copies those and not the whole power-of-two block: a 1.1
 * MiB block in a 2 MiB one copied 2 MiB, faulting in the new block's pages
 * past what the program could have written and reading the old block's
 * untouched ones. A record is the size with ASKED_TAG set, a bit that no
 * other user of the word sets (a free buddy or pcp block's order, at most
 * MAX_PAGE_ORDER; a slab's counters, whose top 16 bits are the first
 * object's colour offset, far below 32 KiB in any cache the shim makes).
 * 0: unknown, the whole block (hardened, or the program has asked
 * malloc_usable_size(), after which it may use every usable byte).
 */
#define ASKED_TAG (1UL << 63)

/* The bytes of the live block whose first page is @head (@usable of them) worth copying. */
static inline size_t block_bytes_asked(const struct page *head, size_t usable)
{
	if (PageSlab(head) || !(head->private & ASKED_TAG))
		return usable;
	return KMM_MIN((size_t)(head->private & ~ASKED_TAG), usable);
}

/* Record the bytes asked for of the page block at @head (malloc, realloc in place), which the caller owns. */
static inline void block_set_asked(struct page *head, size_t bytes)
{
	if (!PageSlab(head) && !harden_on)
		head->private = bytes | ASKED_TAG;
}

/*
 * malloc_usable_size() found the block at @head live: the program may now
 * use every usable byte, so the record goes. This runs in no section, after
 * an unlocked liveness test: another thread's wrong free of the block may
 * come in between and make @head a free block (->private its order, which
 * merging reads) or a slab's (its counters there). So only a record is
 * cleared, by compare and swap from the value read: a plain store of 0
 * there zeroed a free block's order, which stopped its merges and failed
 * the checker (review9-shim #5).
 */
static inline void block_forget_asked(struct page *head)
{
	unsigned long recorded = __atomic_load_n(&head->private, __ATOMIC_RELAXED);

	if (PageSlab(head) || !(recorded & ASKED_TAG))
		return;
	__atomic_compare_exchange_n(&head->private, &recorded, 0, false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
}

/*
 * realloc's move of @n bytes out of @src, a block it frees right after, to
 * @dst. With @discard (anonymous RAM; @src a page block, in RAM, not
 * hardened; @dst a huge block, its own mapping) and @n at least
 * BLOCK_MOVE_CHUNK, the bytes leave @src as they reach @dst, so they are
 * resident once while they move, as glibc's mremap() of a mapped chunk
 * moves them (huge_move_in(): the pages themselves, moved by the host;
 * else copied and discarded a chunk at a time). The freed block
 * went back to the buddy resident, and a program that grew a block past 4
 * MiB by realloc held it twice at its peak. mt_churn 1 10000 2000 (make
 * bench's quick input): a 2.4 MB block moved into a 4.8 MB one took its
 * peak RSS from 6.4 to 11.3 MB (glibc 6.4 -> 6.9). Not for a move within
 * RAM: the freed block is soon taken again there (mixed_sizes 100000 1000,
 * blocks to 2 MiB doubled by realloc: 3x the page faults, 17% more CPU
 * time, 2 MB less peak).
 */
static inline void block_move_bytes(void *dst, const void *src, size_t n, bool discard)
{
	if (!discard || n < BLOCK_MOVE_CHUNK) {
		memcpy(dst, src, n);
		return;
	}
	huge_move_in(dst, src, n);
}

/*
 * malloc of a whole page block of @span bytes at @a for @asked bytes: the
 * block's last 1/2^BLOCK_TOP_SHIFT (a 32nd), past what malloc asked, is
 * discarded when that is BLOCK_TOP_MIN or more (blocks of 2 MiB and 4
 * MiB). A block is the power of two above its size, and a freed block is
 * taken again by the next of its order (the head of its free list), so its
 * pages hold whatever the blocks before wrote: the end of each block, that
 * a block near the top of its octave wrote, stayed resident under every
 * smaller one after it (bench/malloc/mixed_sizes 100000 1000: the live
 * blocks' usable bytes, ~250 MB, all resident for ~190 MB asked).
 *
 * Why only the last 32nd: a discarded page costs a fault when a later
 * occupant writes it, and the pages nearest the block's end are written by
 * the fewest occupants (with sizes uniform in the octave, a page at 1 - u
 * of the block by 2u of them). A page saves RSS while held by an occupant
 * that does not write it (1 - 2u) and costs a fault each time such an
 * occupant is followed by one that does (2u(1 - 2u)): the top 32nd keeps
 * 28% of the top eighth's saving for 7% of its faults (session 19 took
 * the last eighth from 256 KiB: a third more faults than glibc, and
 * mixed_sizes 1.27x glibc's time). mixed_sizes 100000 1000 (Release,
 * VmHWM at exit, minor faults; glibc 267,920 KB / 110.6k): none 321,364 /
 * 99.4k; the last eighth from 256 KiB 304,952 / 143.7k; a 16th from 128
 * KiB 312,624 / 112.6k; a 32nd from 64 KiB (this) 316,860 / 103.0k; a
 * 32nd from 32 KiB 315,028 / 106.7k; a 64th from 32 KiB 319,056 / 100.4k
 * (docs/malloc-measured.md, session 23). Not a calloc'ed block (zeroed or
 * discarded whole) and not RAM that a discard does not zero.
 */
#define BLOCK_TOP_SHIFT 5
#define BLOCK_TOP_MIN (64UL << 10)

static inline void block_discard_top(uintptr_t a, size_t span, size_t asked)
{
	size_t from = KMM_MAX(ALIGN_UP(asked, PAGE_SIZE), span - (span >> BLOCK_TOP_SHIFT));

	if (from < span && span - from >= BLOCK_TOP_MIN)
		sim_discard((void *)(a + from), span - from);
}

#endif /* KMM_SHIM_BLOCKS_H */
