// SPDX-License-Identifier: MIT
/*
 * shim/trim.h - the malloc shim's return of free RAM to the host: the trim
 * policy and the page reporting device that discards free buddy blocks
 * (shim/trim.c). Private to shim/.
 *
 * Locking: trim_lock serialises trims (taken inside shim_trim_locked());
 * it nests inside a slot's section and outside kmm's own locks, and
 * fork_prepare() takes it (shim/malloc.c has the whole order).
 */
#ifndef KMM_SHIM_TRIM_H
#define KMM_SHIM_TRIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/sim/sim.h"

struct kmm_machine;

extern spinlock_t trim_lock;
/* The trim limit's cap (KMM_MALLOC_TRIM, set at boot); 0: never trim but on malloc_trim(). */
extern unsigned long trim_threshold_pages;
/* kmm_slab_shadow_bias() in every mode (0 without a slab layer), set at boot, then immutable. */
extern uintptr_t trim_shadow_bias;
/* kmm_slab_shadow_shift(): a shadow byte covers 1 << it bytes (4: the shim boots slab_shadow_granule=16). */
extern unsigned int trim_shadow_shift;
/* The lowest nr_free_pages since the last trim (boot sets the first). */
extern atomic_ulong free_low_mark;
/* Trims done and the pages they discarded (kmm_malloc_get_stats()). */
extern atomic_ulong stat_trims, stat_trimmed_pages;
/* The pages of the page blocks of TRIM_BIG_PAGES or more allocated so far (trim_note_alloc()). */
extern atomic_ulong trim_big_alloc_pages;

/* The smallest free block a trim discards, in pages (256 KiB: order 6). */
#define TRIM_BIG_PAGES 64UL

/**
 * trim_note_alloc() - the shim allocated a page block of @pages pages; one
 * of TRIM_BIG_PAGES or more is counted, and what the program allocates of
 * such blocks between two trims sizes what the next trim spares.
 * Context: any; one relaxed atomic add per big block.
 */
static inline void trim_note_alloc(unsigned long pages)
{
	if (pages >= TRIM_BIG_PAGES)
		atomic_fetch_add_explicit(&trim_big_alloc_pages, pages, memory_order_relaxed);
}

/**
 * shim_trim_locked() - discard the free blocks of @m of order >= @order,
 * sparing @keep pages at the heads of the free lists; with @drain, flush
 * the CPU slabs and per-CPU page lists to the buddy lists first.
 * Context: inside the caller's slot section (in kmm); takes trim_lock.
 * Return: the pages discarded.
 */
unsigned long shim_trim_locked(struct kmm_machine *m, unsigned int order, unsigned long keep,
			       bool drain);

/**
 * trim_move_free() - move the pages of free RAM blocks that the next
 * automatic trim would give back to the host into [@to, @to + @len) (an
 * empty part of a huge block: no pages there), the largest blocks first,
 * none less than @min bytes; the blocks read as zero after, as trimmed ones.
 * *@err: 0, or the host's refusal (-errno) of a move.
 * Context: outside the slot's section, no shim lock held; enters the
 * section and takes trim_lock (none moved if a trim holds it).
 * Return: the bytes moved, from the start of the range.
 */
size_t trim_move_free(uintptr_t to, size_t len, size_t min, int *err);

/**
 * trim_slots_apart() - whether two CPU slots or more freed page blocks
 * since the last automatic trim (threads allocating apart: trim_floor()).
 * Context: any; one relaxed load.
 */
bool trim_slots_apart(void);

/**
 * trim_check() - the trim policy, run after frees: trim @m when its free
 * memory has grown by the trim limit since its lowest point.
 * Context: inside the caller's slot section (in kmm).
 */
void trim_check(struct kmm_machine *m);

#endif /* KMM_SHIM_TRIM_H */
