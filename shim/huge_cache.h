// SPDX-License-Identifier: MIT
/*
 * shim/huge_cache.h - the malloc shim's cache of freed huge mappings (blocks
 * above 4 MiB): a freed block's mapping is kept, closed, and handed to the
 * next huge block that fits, instead of a fresh host mapping each time.
 *
 * Locking: everything here takes huge_lock (shim/malloc.c's lock of the
 * huge-block table), held with no other lock; the host calls (mprotect,
 * mremap, munmap, mincore, madvise) run outside it.
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
 * huge_cache_take() - a cached mapping for @len bytes (a block and its
 * guard page), taken out of the cache: one of @len .. 2 * @len bytes
 * whole, else one cut or grown to @len (mremap). Open (read-write) but for
 * its page at @len - PAGE_SIZE, closed as the block's guard. Return: its
 * base with its length in *@got, or NULL (the cache is empty, or the host
 * refused to reshape it: then it is released).
 */
void *huge_cache_take(size_t len, size_t *got);
/**
 * huge_cache_put() - keep freed mapping @base/@len for reuse, as it is:
 * open but for the one page at @guard (the freed block's guard page; @len
 * if none), and without its pages unless at least 3/4 of the freed
 * block's bytes (those before @guard) are resident; the oldest ones go back to the host beyond the bounds (the
 * byte bound follows huge_live_bytes and the most bytes live after a block
 * came from the cache, until huge_cache_trim()), and a mapping that cannot be kept
 * is released at once.
 */
void huge_cache_put(void *base, size_t len, size_t guard);
/** huge_cache_holds() - whether @addr lies in a mapping the cache holds (rare paths only). */
bool huge_cache_holds(uintptr_t addr);
/**
 * huge_cache_trim() - every cached mapping back to the host (malloc_trim),
 * the re-use high-water forgotten. Return: bytes given back.
 */
size_t huge_cache_trim(void);

#endif /* KMM_SHIM_HUGE_CACHE_H */
