// SPDX-License-Identifier: MIT
/*
 * shim/huge.h - the malloc shim's huge blocks (above 4 MiB, a host mapping
 * each) and its verdict on pointers that are neither in the machine's RAM
 * nor huge (glibc's, or a misuse): shim/huge.c. Private to shim/; the
 * mapping table and the cache of freed mappings under it are
 * shim/huge_table.h and shim/huge_cache.h.
 *
 * Locking: none held on entry; huge_lock is taken inside (shim/huge_table.h).
 */
#ifndef KMM_SHIM_HUGE_H
#define KMM_SHIM_HUGE_H

#include <stdbool.h>
#include <stddef.h>

#include "mm/include/mmzone.h"

/* The largest page block (KMALLOC_MAX_SIZE, 4 MiB): a block above it is huge. */
#define PAGES_MAX	(PAGE_SIZE << MAX_PAGE_ORDER)

/**
 * huge_alloc() - a huge block of @size bytes aligned to @align (a power of
 * two), zeroed if @zero: a cached mapping that fits, else a fresh one, with
 * a closed guard page after the block (hardened: red zones, the block
 * against the guard).
 * Return: the block, recorded in the huge table; NULL without host memory
 * (or an injected failure).
 */
void *huge_alloc(size_t size, size_t align, bool zero);

/**
 * huge_free() - free @p, a pointer outside the machine's RAM: a live huge
 * block goes to the cache of freed mappings (hardened: to the quarantine);
 * a pointer that passes as glibc's goes to glibc's free; any other aborts,
 * naming @call (a double free, a pointer inside a block, never returned by
 * malloc).
 * Return: the freed huge block's usable bytes, 0 for glibc's pointer.
 */
size_t huge_free(void *p, const char *call);

enum huge_resize {
	HUGE_KEEP,	/* the block stays where it is */
	HUGE_MOVE,	/* a new block of *size bytes, *old of them copied */
	HUGE_FOREIGN,	/* glibc's pointer: glibc's realloc */
};

/**
 * huge_realloc() - realloc(@p, *@size) of a pointer outside the machine's
 * RAM: keep a live huge block the size still suits, else ask for a new one
 * (half as big again when it grows, so that repeated growth copies O(n)
 * bytes). A freed or foreign pointer that is not glibc's aborts.
 * Return: what to do; for HUGE_MOVE, the bytes to allocate in *@size and
 * those to copy in *@old.
 */
enum huge_resize huge_realloc(void *p, size_t *size, size_t *old);

/**
 * huge_grow() - grow live huge block @p to @size bytes without copying
 * them, as glibc grows a mapped chunk: into its mapping's spare tail when
 * it has one, or into the free range right after it, else with mremap (in place, or moved with its pages: no byte
 * copied, no page faulted again); the guard page moves to the new end (a
 * moved block whose new guard the host refuses is kept unguarded). Not
 * in the hardened mode, nor for a block with alignment slack before it.
 * Return: the block (@p, or where it moved, @p then freed), in the table;
 * NULL when it cannot, @p unchanged and live (the caller moves it).
 */
void *huge_grow(void *p, size_t size);

/* The bytes huge_move_in() takes a host call for at a time (realloc's moves out of RAM). */
#define BLOCK_MOVE_CHUNK (256UL << 10)

/**
 * huge_move_in() - move @n bytes (BLOCK_MOVE_CHUNK or more) of page block
 * @src (the machine's anonymous RAM; freed by the caller right after) into
 * huge block @dst, leaving @src's whole pages reading as zero, as
 * discarded: at the same offset in their pages, @src's whole pages move
 * (sim_move(): page table entries, as mremap() moves a mapped chunk; no
 * byte copied, none faulted in) and only the partial pages at the ends
 * are copied; else, or where the host refuses the move, a
 * BLOCK_MOVE_CHUNK at a time is copied and then discarded from @src.
 */
void huge_move_in(void *dst, const void *src, size_t n);

#endif /* KMM_SHIM_HUGE_H */
