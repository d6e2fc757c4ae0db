// SPDX-License-Identifier: MIT
/*
 * shim/shim.h - what libkmm-malloc.so offers beyond the C allocation API:
 * a look at the machine behind malloc, for tests, benchmarks and tools.
 *
 * Everything here is exported from libkmm-malloc.so with C linkage; the
 * library's other symbols (all of libkmm) are local to it.
 */
#ifndef KMM_SHIM_H
#define KMM_SHIM_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kmm_machine;

struct kmm_malloc_stats {
	long current_bytes;		/* usable bytes allocated now (KMM_MALLOC_STATS only) */
	long peak_bytes;		/* their maximum */
	unsigned long mallocs, frees;	/* counted with the bytes */
	unsigned long huge_mappings;	/* blocks beyond 4 MiB mapped from the host */
	unsigned long trims;		/* times free RAM was given back to the host */
	unsigned long trimmed_pages;	/* pages discarded by those trims */
	bool kmalloc;			/* small sizes come from kmalloc (false: pages) */
};

/** kmm_malloc_machine() - the machine behind malloc (booting it), or NULL if glibc serves. */
struct kmm_machine *kmm_malloc_machine(void);
/** kmm_malloc_cmdline() - the machine's command line ("" if none). */
const char *kmm_malloc_cmdline(void);
/**
 * kmm_malloc_injected() - allocations failed on that machine by failure
 * injection (fail_page_alloc=, failslab= in KMM_MALLOC_CMDLINE); 0 when
 * glibc serves.
 */
unsigned long kmm_malloc_injected(void);
/** kmm_malloc_check() - kmm_check() of that machine, then the heap of freed huge blocks. Return: 0, -EUCLEAN, -ENODEV. */
int kmm_malloc_check(void);
/** kmm_malloc_owns() - true if @p lies in the machine's RAM or is a huge block of ours. */
bool kmm_malloc_owns(const void *p);
/**
 * kmm_malloc_live_map_resident() - for tests: the bytes of the shim's live
 * map (two bits per granule of the machine's RAM, shim/malloc.c) that the
 * host holds in memory (mincore); 0 when glibc serves.
 */
size_t kmm_malloc_live_map_resident(void);
/** kmm_malloc_get_stats() - the counters; byte counts need KMM_MALLOC_STATS set. */
void kmm_malloc_get_stats(struct kmm_malloc_stats *st);
/** kmm_malloc_print_stats() - what KMM_MALLOC_STATS prints at exit, written to @fd. */
void kmm_malloc_print_stats(int fd);
/**
 * kmm_malloc_set_grow_hook() - for tests: @hook is called by every thread
 * that runs the machine short, with the bytes it needs, before it grows the
 * machine by memory hotplug. It runs outside the shim's locks and must not
 * call malloc. If it returns false the allocation fails (ENOMEM) without
 * growing. NULL: none.
 */
void kmm_malloc_set_grow_hook(bool (*hook)(size_t bytes));

#ifdef __cplusplus
}
#endif

#endif /* KMM_SHIM_H */
