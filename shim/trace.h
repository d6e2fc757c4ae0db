// SPDX-License-Identifier: MIT
/*
 * shim/trace.h - KMM_MALLOC_TRACE: libkmm-malloc.so writes every malloc,
 * free, realloc and aligned allocation it serves to a file, in the format
 * the allocator lab reads (lab/trace_read.c, docs/lab.md):
 *
 *   # kmm malloc trace 1
 *   a ADDR SIZE          malloc, calloc (SIZE: the bytes asked for)
 *   m ADDR SIZE ALIGN    posix_memalign, aligned_alloc, memalign, valloc, pvalloc
 *   r OLD NEW SIZE       realloc (NEW == OLD when it stayed in place)
 *   f ADDR               free
 *
 * ADDR in hex. Order: an allocation is written after the block is taken, a
 * free before it is given back, a realloc after the new block is taken and
 * before the old one is given back, so that the file's order is one the
 * program's threads could have made. kmm's own allocations (served by glibc
 * while kmm runs) and glibc's pointers are not recorded.
 *
 * Which processes write: each program image loaded with KMM_MALLOC_TRACE set
 * starts the file over (a %p in its name becomes the process id), unless
 * KMM_MALLOC_TRACE_PID names another process. A forked child stops writing
 * (the parent owns the file) until it runs a program. `kmm lab record` sets
 * KMM_MALLOC_TRACE_PID to the program's pid: a wrapper script that execs
 * the real program leaves the real program's trace, and the processes it
 * starts write nothing.
 */
#ifndef KMM_SHIM_TRACE_H
#define KMM_SHIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>

/* Set once, before main (shim/trace.c's constructor); read-only after but to stop. */
extern bool shim_trace_on;

/*
 * shim_trace_began() - shim/malloc.c: tracing was set on (its constructor
 * may run after a malloc booted the shim): malloc, calloc and free leave
 * their lock-free paths for good, which record nothing (lockfree_on, and
 * malloc()'s class_code[], say both "lock-free" and "not tracing").
 */
void shim_trace_began(void);

void shim_trace_alloc(const void *p, size_t size, size_t align);
void shim_trace_free(const void *p);
void shim_trace_realloc(const void *old, const void *p, size_t size);

/* One line in shim/malloc.c per event: nothing but a test when tracing is off. */
#define SHIM_TRACE(call)                                                                \
	do {                                                                            \
		if (__builtin_expect(shim_trace_on, 0))                                 \
			call;                                                           \
	} while (0)

#endif /* KMM_SHIM_TRACE_H */
