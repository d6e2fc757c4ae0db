// SPDX-License-Identifier: MIT
/*
 * shim/huge_cache.h - the malloc shim's heap of freed huge ranges (blocks
 * above 4 MiB): what a freed block leaves is kept, split for the next
 * blocks and merged with its free neighbours, instead of a fresh host
 * mapping each time, and given back to the host under a bound.
 *
 * Locking: everything here takes huge_lock (shim/malloc.c's lock of the
 * huge-block table), held with no other lock; the host calls (mprotect,
 * munmap, mincore, madvise) run outside it.
 */
#ifndef KMM_SHIM_HUGE_CACHE_H
#define KMM_SHIM_HUGE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/sim/sim.h"

extern spinlock_t huge_lock;

/** huge_cache_set_limit() - the byte bound (KMM_MALLOC_HUGE_CACHE); 0 turns the cache off. Before the first huge block. */
void huge_cache_set_limit(size_t bytes);
/**
 * huge_cache_take() - @len bytes (a block and its guard page) out of the
 * heap: where its free ranges, next to each other, hold them with the
 * fewest pages not resident. Open (read-write) but for its page at @len -
 * PAGE_SIZE, closed as the block's guard. With @fill, its parts without
 * pages take those of resident free ranges elsewhere (moved: their bytes
 * are not zero; calloc asks without), and where no run of free ranges is
 * long enough, a fresh mapping takes them. Return: its base with @len in
 * *@got, or NULL (no run of free ranges is long enough and no pages move,
 * or the host refused to reshape it: then it is released).
 */
void *huge_cache_take(size_t len, bool fill, size_t *got);
/**
 * huge_cache_extend() - the @more bytes at @end (right past a live block's
 * mapping, which will be @total bytes with them) out of the heap, if its
 * free ranges hold all of them: open but for their last page, which
 * *@guard_ready says is already closed. Return: whether they were taken
 * (realloc grows the block there, in place, with their pages).
 */
bool huge_cache_extend(uintptr_t end, size_t more, size_t total, bool *guard_ready);
/**
 * huge_cache_fill() - give [@to, @to + @len) (a live block's new part, no
 * pages there: a block grown by mremap) the pages of resident free ranges,
 * the oldest first, then those of free RAM blocks the next trim would give
 * back (trim_move_free()), moved, as huge_cache_take() fills a block's
 * empty parts: pages the heap or the RAM would discard serve the block
 * instead of faulting in. The bytes moved are not zero.
 */
void huge_cache_fill(uintptr_t to, size_t len);
/**
 * huge_cache_put() - keep freed range @base/@len for reuse: open but for
 * the one page at @guard (the freed block's guard page; @len if none),
 * with its pages if at least 3/4 of the freed block's bytes (those before
 * @guard) are resident, else discarded. Beyond the bounds the oldest
 * resident bytes are discarded (the live and resident free bytes together
 * stay within the most bytes live right after a block came from the heap,
 * until huge_cache_trim(), or 24 MiB) and the largest empty ranges are
 * given back; a range that cannot be kept is released at once.
 */
void huge_cache_put(void *base, size_t len, size_t guard);
/**
 * huge_cache_check() - the heap's invariant (shim/huge_cache.c): its free
 * ranges sorted, page-aligned and apart, each closed page inside its range,
 * the byte counts their sums. Return: 0, or -EUCLEAN if any of it fails.
 */
int huge_cache_check(void);
/** huge_cache_holds() - whether @addr lies in a free range of the heap (rare paths only). */
bool huge_cache_holds(uintptr_t addr);
/**
 * huge_cache_trim() - every free range back to the host (malloc_trim),
 * the re-use high-water forgotten. Return: bytes given back.
 */
size_t huge_cache_trim(void);

#endif /* KMM_SHIM_HUGE_CACHE_H */
