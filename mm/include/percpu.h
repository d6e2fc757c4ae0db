// SPDX-License-Identifier: MIT
/*
 * mm/include/percpu.h - a machine's per-CPU area: one piece per CPU slot of
 * each per-CPU allocation, laid out by CPU (mm/percpu.c).
 *
 * Linux counterpart: mm/percpu.c's units (include/linux/percpu.h,
 * per_cpu_ptr()). Kept: an allocation is one offset, the same in every
 * CPU's unit, so CPU k's copy is the CPU 0 copy plus k unit strides, and
 * one CPU's copies of every allocation share that CPU's pages. Simplified:
 * the unit stride is a constant (PCPU_UNIT_SIZE; Linux computes
 * pcpu_unit_offsets[] at boot), so per_cpu_ptr() is a shift and an add
 * with no table to load; the area grows by whole chunks of nr_cpus units.
 * Changed: a unit is set up (its allocations' constructors run on it) when
 * its CPU slot is first handed to a thread, not for every possible CPU at
 * once, so the pages of a slot no thread ever takes stay untouched (the
 * host's zero pages): slots cost address space, not memory, until used.
 *
 * Invariant: the piece of allocation a for CPU k is all zero unless CPU k
 * is populated (cpu_populated()); a populated CPU's pieces of every
 * allocation with a constructor have had it run once.
 *
 * Locking: m->percpu.lock (allocation, freeing, population), a leaf: a
 * constructor only writes its piece. populated[] is written under it with
 * release and read anywhere with acquire.
 */
#ifndef KMM_MM_PERCPU_H
#define KMM_MM_PERCPU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "arch/sim/sim.h"

struct kmm_machine;

/* 64 KiB between one CPU's copy of an allocation and the next CPU's. */
#define PCPU_UNIT_SHIFT 16
#define PCPU_UNIT_SIZE ((size_t)1 << PCPU_UNIT_SHIFT)
/* The area hands out whole 64-byte lines: no two allocations share one. */
#define PCPU_MIN_ALLOC 64
/* KMM_MAX_CPUS (mm/include/mmzone.h), without its header. */
#define PCPU_MAX_CPUS 64

/* Run on CPU @cpu's piece @ptr of an allocation, when that CPU is populated. */
typedef void (*pcpu_ctor_fn)(void *arg, void *ptr, int cpu);

struct pcpu_chunk;
struct pcpu_alloc_rec;

/* A machine's per-CPU area (m->percpu). All zero is its empty state. */
struct kmm_percpu {
	spinlock_t lock;
	atomic_uchar populated[PCPU_MAX_CPUS];	/* written under @lock (release) */
	struct pcpu_chunk *chunks;		/* @lock */
	struct pcpu_alloc_rec *allocs;		/* @lock: live allocations with a constructor or argument */
};

/**
 * per_cpu_ptr() - CPU @cpu's copy of per-CPU allocation @ptr (its CPU 0 copy,
 * as pcpu_alloc() returned it). Context: any; reads nothing.
 */
#define per_cpu_ptr(ptr, cpu) \
	((__typeof__(ptr))((char *)(ptr) + ((size_t)(cpu) << PCPU_UNIT_SHIFT)))

/** per_cpu_index() - the CPU whose copy of per-CPU allocation @base @ptr is. */
static inline int per_cpu_index(const void *base, const void *ptr)
{
	return (int)(((const char *)ptr - (const char *)base) >> PCPU_UNIT_SHIFT);
}

/**
 * cpu_populated() - whether CPU slot @cpu's units are set up: the slot was
 * handed to a thread at least once (or is the boot CPU, 0). A loop over
 * every CPU's copy of an allocation skips the others: their copies are all
 * zero and were never constructed.
 * Context: any.
 */
static inline bool cpu_populated(struct kmm_percpu *pc, int cpu)
{
	return atomic_load_explicit(&pc->populated[cpu], memory_order_acquire);
}

/**
 * pcpu_alloc() - @size bytes (at most PCPU_UNIT_SIZE) for each of @m's
 * m->nr_cpus CPUs, at one offset of every CPU's unit; @ctor, if not NULL,
 * runs with @arg on each populated CPU's piece now and on each other CPU's
 * when it is populated. A piece is zero but for what @ctor writes.
 * @low: place it with the other allocations that have a constructor, from
 * the unit's start (they are all touched when a CPU is populated, so they
 * share pages); others are placed from the unit's end.
 * Context: takes m->percpu.lock; may map host memory.
 * Return: CPU 0's copy (per_cpu_ptr() finds the others), or NULL for no memory.
 */
void *pcpu_alloc(struct kmm_machine *m, size_t size, pcpu_ctor_fn ctor, void *arg);

/**
 * pcpu_free() - give back per-CPU allocation @ptr (pcpu_alloc()'s; NULL: nothing).
 * Each populated CPU's piece is cleared; nobody may use any copy any more.
 * Context: takes m->percpu.lock.
 */
void pcpu_free(struct kmm_machine *m, void *ptr);

/**
 * pcpu_ctor_arg() - the @arg that per-CPU allocation @ptr was made with
 * (pcpu_alloc()); NULL if none.
 * Context: takes m->percpu.lock; walks the records of those with a constructor or argument.
 */
void *pcpu_ctor_arg(struct kmm_machine *m, const void *ptr);

/**
 * pcpu_populate() - set up CPU slot @cpu's units if that is not done: run
 * every live allocation's constructor on its piece for @cpu. Called before
 * the slot's first thread uses it (mm/cpu_slot.c).
 * Context: takes m->percpu.lock unless @cpu is populated (one load).
 */
void pcpu_populate(struct kmm_machine *m, int cpu);

/**
 * pcpu_release() - unmap @m's per-CPU area and free its records, whatever
 * is still allocated (the machine is going away).
 * Context: single-threaded machine teardown.
 */
void pcpu_release(struct kmm_machine *m);

/**
 * pcpu_resident_units() - how many of @m's units hold any resident host
 * page (mincore), for tests: a CPU never populated should hold none.
 * @cpu: the CPU whose units are counted.
 * Return: that number of chunks.
 */
int pcpu_resident_units(struct kmm_machine *m, int cpu);

/**
 * pcpu_resident_pages() - how many host pages of CPU @cpu's units of @m's
 * per-CPU area are resident (mincore), for tests: what a CPU slot costs.
 * Context: takes m->percpu.lock.
 */
int pcpu_resident_pages(struct kmm_machine *m, int cpu);

#endif /* KMM_MM_PERCPU_H */
