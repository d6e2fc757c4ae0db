// SPDX-License-Identifier: MIT
/*
 * shim/core.h - the malloc shim's state that shim/malloc.c (malloc, free
 * and the allocator core) shares with shim/realloc.c (the rest of the C
 * allocation API) and shim/introspect.c (shim/shim.h's calls, the statistics
 * and check at exit, the fork handlers). Private to shim/.
 *
 * Everything here is defined in shim/malloc.c and hidden: the library
 * exports none of it (shim/exports.map), and the compiler reaches it
 * without the GOT. The boot sets what it says is immutable once SHIM_UP;
 * shim/malloc.c's header comment has the invariants and the lock order.
 */
#ifndef KMM_SHIM_CORE_H
#define KMM_SHIM_CORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/sim/sim.h"
#include "mm/include/cpu_slot.h"
#include "mm/include/machine.h"

#define SHIM_HIDDEN __attribute__((visibility("hidden")))

struct kmm_machine;

enum shim_state { SHIM_DOWN, SHIM_BOOTING, SHIM_UP, SHIM_GLIBC };

extern _Atomic int shim_state SHIM_HIDDEN;		/* enum shim_state */
extern struct kmm_machine *shim_m SHIM_HIDDEN;		/* immutable once SHIM_UP */
extern uintptr_t ram_start SHIM_HIDDEN, ram_end SHIM_HIDDEN;	/* the direct map */
extern uint64_t *live_map SHIM_HIDDEN;			/* two bits per granule of RAM */
extern size_t live_map_bytes SHIM_HIDDEN;
extern bool use_kmalloc SHIM_HIDDEN;			/* small sizes come from kmalloc */
extern bool stats_enabled SHIM_HIDDEN;			/* KMM_MALLOC_STATS */
extern const char *stats_dest SHIM_HIDDEN;		/* its value: "1" or a file */
extern bool check_at_exit SHIM_HIDDEN;			/* KMM_MALLOC_CHECK */
extern char boot_cmdline[512] SHIM_HIDDEN;
/* Statistics (only when stats_enabled); usable bytes. */
extern atomic_long stat_cur SHIM_HIDDEN, stat_peak SHIM_HIDDEN;
extern atomic_ulong stat_mallocs SHIM_HIDDEN, stat_frees SHIM_HIDDEN, stat_huge SHIM_HIDDEN;
/* Serialises growth by memory hotplug (shim_grow()); fork takes it first. */
extern spinlock_t grow_lock SHIM_HIDDEN;
/* Tests: asked by a thread that ran short, before it grows (kmm_malloc_set_grow_hook()). */
extern bool (*grow_hook)(size_t bytes) SHIM_HIDDEN;

/* Set while the shim calls into kmm: a nested malloc is glibc's (shim/malloc.c's header). */
#define in_kmm (kmm_cpu_cache.shim_depth)

static inline bool in_ram(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	return a - ram_start < ram_end - ram_start;
}

/* Boot the machine if no call has. Return: true when kmm serves this call, false when glibc must. */
bool shim_boot(void) SHIM_HIDDEN;

static inline bool shim_ready(void)
{
	if (__builtin_expect(atomic_load_explicit(&shim_state, memory_order_acquire) == SHIM_UP, 1))
		return true;
	return shim_boot();
}

/*
 * shim_enter_slot() / shim_leave_slot() - enter this thread's CPU slot's
 * section (and kmm: in_kmm set) and leave it, out of line, for the calls
 * of shim/introspect.c; the allocation API inlines the same steps
 * (kmm_enter(), kmm_leave()).
 */
void shim_enter_slot(void) SHIM_HIDDEN;
void shim_leave_slot(void) SHIM_HIDDEN;

/* The fork handlers (pthread_atfork); shim_atexit() runs fork_prepare()'s stop for its check. */
void fork_prepare(void) SHIM_HIDDEN;
void fork_parent(void) SHIM_HIDDEN;
void fork_child(void) SHIM_HIDDEN;
/* What the program's exit runs (atexit): the statistics and the check asked for. */
void shim_atexit(void) SHIM_HIDDEN;

/* ---- shim/malloc.c's allocator core, for the rest of the C API (shim/realloc.c) ---- */

/* glibc's allocator: foreign pointers and the calls made inside kmm (shim/malloc.c's header). */
extern void *__libc_malloc(size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t align, size_t size);

#define SMALL_MAX	8192UL			/* KMALLOC_MAX_CACHE_SIZE */

/*
 * The default mode with the shim's classes, all aligned, and no trace being
 * written: calloc, realloc and malloc's slow path try the slab's lock-free
 * paths (shim/malloc.c says more). Immutable once SHIM_UP but its gate.
 */
extern bool lockfree_on SHIM_HIDDEN;
/* kmm_slab_shadow_bias() in the default mode, else 0 (live_map for every block); immutable once SHIM_UP */
extern uintptr_t slab_shadow_bias SHIM_HIDDEN;
extern bool anon_ram SHIM_HIDDEN;	/* ram=anon: a discarded page reads as zero; immutable once SHIM_UP */
extern size_t (*glibc_usable_size)(void *) SHIM_HIDDEN;	/* immutable once SHIM_UP */

/* Abort the program, naming @call, what is wrong and the pointer (only write(2) and abort()). */
_Noreturn void report_bad_pointer(const char *call, const char *what, const void *ptr) SHIM_HIDDEN;
/*
 * kmm_alloc() - the one allocation path: @size bytes aligned to @align (a
 * power of two, 16 or more), cleared when @zero. Context: outside kmm.
 * Return: the block, or NULL with errno ENOMEM.
 */
void *kmm_alloc(size_t size, size_t align, bool zero) SHIM_HIDDEN;
/* The usable bytes of live block @p (RAM or huge), 0 if @p is no live block of ours. */
size_t kmm_usable(const void *p) SHIM_HIDDEN;
/* The usable bytes of live block @p (in RAM). */
size_t ram_usable(const void *p) SHIM_HIDDEN;
/* Is @p (in RAM) a live block's start? Was it one, freed since? */
bool block_live(const void *p) SHIM_HIDDEN;
bool block_freed(const void *p) SHIM_HIDDEN;
/*
 * ram_resize() - live page block @p (in RAM, not hardened) holds @size bytes
 * (SMALL_MAX < @size <= PAGES_MAX) without moving, if it can.
 * Return: true if it does now (and the block's record says so).
 */
bool ram_resize(void *p, size_t size) SHIM_HIDDEN;

/* The page of RAM that holds @p (in RAM). */
static inline struct page *ram_page(const void *p)
{
	return pfn_to_page_m(shim_m, ((uintptr_t)p - ram_start) >> PAGE_SHIFT);
}

/* The first page of the block that holds @p (in RAM): a compound head, or a page block's first page. */
static inline struct page *ram_head(const void *p)
{
	return compound_head(ram_page(p));
}

/* Count @bytes allocated (> 0) or freed (< 0) in the statistics (only when stats_enabled). */
static inline void stat_add(long bytes)
{
	long cur = atomic_fetch_add_explicit(&stat_cur, bytes, memory_order_relaxed) + bytes;
	long peak = atomic_load_explicit(&stat_peak, memory_order_relaxed);

	while (cur > peak &&
	       !atomic_compare_exchange_weak_explicit(&stat_peak, &peak, cur, memory_order_relaxed,
						      memory_order_relaxed))
		;
	if (bytes > 0)
		atomic_fetch_add_explicit(&stat_mallocs, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&stat_frees, 1, memory_order_relaxed);
}

#endif /* KMM_SHIM_CORE_H */
