// SPDX-License-Identifier: MIT
/*
 * shim/core.h - the malloc shim's state that shim/malloc.c (the allocation
 * API) shares with shim/introspect.c (shim/shim.h's calls, the statistics
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

#endif /* KMM_SHIM_CORE_H */
