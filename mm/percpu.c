// SPDX-License-Identifier: MIT
/*
 * mm/percpu.c - a machine's per-CPU area: chunks of one reserved host
 * mapping each, nr_cpus units of PCPU_UNIT_SIZE per chunk, an allocation at
 * one offset of every unit of its chunk (mm/include/percpu.h has the
 * design and the contract).
 *
 * Linux counterpart: mm/percpu.c (pcpu_alloc(), free_percpu(),
 * pcpu_populate_chunk()). Kept: units by CPU, one offset per allocation,
 * chunks added as the area fills; an allocation's size is found from its
 * chunk's maps, a map of blocks in use and one of where each allocation
 * starts (Linux's alloc_map and bound_map), so only an allocation with a
 * constructor keeps a record in the host's heap. Simplified: bitmaps of
 * 64-byte blocks per chunk, first fit (Linux: per-block hints and scan
 * ranges), no chunk
 * given back before the machine goes (kmm creates its caches at boot and a
 * few later). Changed: a CPU's units are populated when its slot is first
 * handed out, not at allocation for every possible CPU: the malloc shim
 * boots with many slots and a program that runs on a few touches those
 * few CPUs' pages only (docs/malloc.md, "maxcpus").
 *
 * Invariant (the header's): CPU k's piece of every allocation is zero
 * while k is not populated; pcpu_free() clears the pieces of populated
 * CPUs, so a block handed out again is zero in every unit.
 *
 * Locking: m->percpu.lock guards the chunk list, each chunk's bitmaps, the
 * list of records and populated[] (stored with release). Nothing is
 * called under it but constructors, which write their piece only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm/internal.h"
#include "mm/include/percpu.h"

#define PCPU_BLOCKS (PCPU_UNIT_SIZE / PCPU_MIN_ALLOC)
#define BITS_PER_WORD (8 * sizeof(unsigned long))

/* One reserved mapping: nr_cpus units, CPU k's at base + k * PCPU_UNIT_SIZE. */
struct pcpu_chunk {
	struct pcpu_chunk *next;
	char *base;
	size_t bytes;				/* nr_cpus units */
	unsigned long map[PCPU_BLOCKS / BITS_PER_WORD];	/* blocks in use, of every unit */
	unsigned long bound[PCPU_BLOCKS / BITS_PER_WORD]; /* the first block of each allocation */
};

/*
 * A live allocation with a constructor (or an argument): where, and what
 * runs on a CPU's piece when the CPU is populated. The ~40 plain
 * allocations of a boot (sheaves, event counters) have none: each record
 * was 48 bytes of the host's heap in every malloc shim process.
 */
struct pcpu_alloc_rec {
	struct pcpu_alloc_rec *next;
	char *ptr;				/* CPU 0's copy */
	pcpu_ctor_fn ctor;
	void *arg;
};

static inline bool block_bit(const unsigned long *bits, size_t b)
{
	return (bits[b / BITS_PER_WORD] >> (b % BITS_PER_WORD)) & 1;
}

/* Blocks @first to @first + @n - 1 of @c used (@used) or free: a word at a time (inline: no symbol of its own for shim/hot-symbols.txt). */
static inline __attribute__((always_inline)) void
mark_blocks(struct pcpu_chunk *c, size_t first, size_t n, bool used)
{
	while (n) {
		size_t bit = first % BITS_PER_WORD;
		size_t k = BITS_PER_WORD - bit < n ? BITS_PER_WORD - bit : n;
		unsigned long mask = (k == BITS_PER_WORD ? ~0UL : (1UL << k) - 1) << bit;

		if (used)
			c->map[first / BITS_PER_WORD] |= mask;
		else
			c->map[first / BITS_PER_WORD] &= ~mask;
		first += k;
		n -= k;
	}
}

/*
 * The first run of @n free blocks of @c: from the unit's start if @low,
 * else the last such run from its end. A word at a time: a run of used or
 * free blocks is skipped by counting its bits (a boot makes ~100
 * allocations into a unit that fills from both ends; bit by bit, their
 * scans were the boot's largest cost of its own, 44.7 K of a malloc-once
 * process's 681 K instructions). Return: its first block, or PCPU_BLOCKS
 * if none. Context: m->percpu.lock held.
 */
static size_t find_blocks(const struct pcpu_chunk *c, size_t n, bool low)
{
	size_t run = 0;

	if (low) {
		/* @b the next block; the @run blocks below it are free */
		for (size_t b = 0; b < PCPU_BLOCKS;) {
			size_t left = BITS_PER_WORD - b % BITS_PER_WORD;
			unsigned long w = c->map[b / BITS_PER_WORD] >> (b % BITS_PER_WORD);

			if (w & 1) {	/* used blocks from @b: their count, at most @left */
				size_t used = ~w ? (size_t)__builtin_ctzl(~w) : BITS_PER_WORD;
				b += used < left ? used : left;
				run = 0;
				continue;
			}
			size_t free_bits = w ? (size_t)__builtin_ctzl(w) : left;
			if (free_bits > left)
				free_bits = left;
			if (run + free_bits >= n)
				return b - run;
			run += free_bits;
			b += free_bits;
		}
	} else {
		/* @b one past the next block down; the @run blocks from @b up are free */
		for (size_t b = PCPU_BLOCKS; b > 0;) {
			size_t top = b - 1, left = top % BITS_PER_WORD + 1;
			unsigned long w = c->map[top / BITS_PER_WORD] << (BITS_PER_WORD - left);

			if (w >> (BITS_PER_WORD - 1)) {
				size_t used = ~w ? (size_t)__builtin_clzl(~w) : BITS_PER_WORD;
				b -= used < left ? used : left;
				run = 0;
				continue;
			}
			size_t free_bits = w ? (size_t)__builtin_clzl(w) : left;
			if (free_bits > left)
				free_bits = left;
			if (run + free_bits >= n)
				return b + run - n;
			run += free_bits;
			b -= free_bits;
		}
	}
	return PCPU_BLOCKS;
}

/* A new chunk for @m's nr_cpus CPUs, all zero, on no list. */
static struct pcpu_chunk *new_chunk(struct kmm_machine *m)
{
	struct pcpu_chunk *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->bytes = (size_t)m->nr_cpus << PCPU_UNIT_SHIFT;
	c->base = sim_reserve_sparse(c->bytes);
	if (!c->base) {
		free(c);
		return NULL;
	}
	return c;
}

void *pcpu_alloc(struct kmm_machine *m, size_t size, pcpu_ctor_fn ctor, void *arg)
{
	struct kmm_percpu *pc = &m->percpu;
	size_t n = (size + PCPU_MIN_ALLOC - 1) / PCPU_MIN_ALLOC;
	struct pcpu_alloc_rec *rec = NULL;
	struct pcpu_chunk *spare = NULL;

	if (!n || n > PCPU_BLOCKS || m->nr_cpus < 1 || m->nr_cpus > PCPU_MAX_CPUS)
		return NULL;
	if ((ctor || arg) && !(rec = malloc(sizeof(*rec))))
		return NULL;
	for (;;) {
		spin_lock(&pc->lock);
		for (struct pcpu_chunk *c = pc->chunks; c; c = c->next) {
			size_t first = find_blocks(c, n, ctor != NULL);
			if (first == PCPU_BLOCKS)
				continue;
			char *ptr = c->base + first * PCPU_MIN_ALLOC;

			mark_blocks(c, first, n, true);
			c->bound[first / BITS_PER_WORD] |= 1UL << (first % BITS_PER_WORD);
			if (rec) {
				*rec = (struct pcpu_alloc_rec){ .next = pc->allocs, .ptr = ptr,
								.ctor = ctor, .arg = arg };
				pc->allocs = rec;
			}
			if (ctor)
				for (int cpu = 0; cpu < m->nr_cpus; cpu++)
					if (cpu_populated(pc, cpu))
						ctor(arg, per_cpu_ptr(ptr, cpu), cpu);
			spin_unlock(&pc->lock);
			if (spare) {	/* another thread added a chunk meanwhile */
				sim_release(spare->base, spare->bytes);
				free(spare);
			}
			return ptr;
		}
		if (spare) {
			/* The newest chunk first: the next allocations look there first. */
			spare->next = pc->chunks;
			pc->chunks = spare;
			spare = NULL;
			spin_unlock(&pc->lock);
			continue;
		}
		spin_unlock(&pc->lock);
		spare = new_chunk(m);	/* not under the lock: it maps host memory */
		if (!spare) {
			free(rec);
			return NULL;
		}
	}
}

/* Clear @p's @size bytes unless they are zero already (a read maps no memory). */
static void clear_piece(char *p, size_t size)
{
	const unsigned long *w = (const unsigned long *)p;

	for (size_t i = 0; i < size / sizeof(*w); i++) {
		if (w[i]) {
			memset(p, 0, size);
			return;
		}
	}
}

/*
 * The blocks of the allocation that starts at block @first of @c: up to the
 * next block that is free or starts another allocation (Linux's
 * pcpu_find_block_fit() reads sizes off bound_map the same way).
 */
static size_t alloc_blocks(const struct pcpu_chunk *c, size_t first)
{
	size_t end = first + 1;

	while (end < PCPU_BLOCKS && block_bit(c->map, end) && !block_bit(c->bound, end))
		end++;
	return end - first;
}

void pcpu_free(struct kmm_machine *m, void *ptr)
{
	struct kmm_percpu *pc = &m->percpu;
	struct pcpu_alloc_rec **link, *rec = NULL;
	struct pcpu_chunk *c;
	size_t first = 0, n;

	if (!ptr)
		return;
	spin_lock(&pc->lock);
	for (c = pc->chunks; c; c = c->next) {
		if ((char *)ptr >= c->base && (char *)ptr < c->base + PCPU_UNIT_SIZE) {
			first = (size_t)((char *)ptr - c->base) / PCPU_MIN_ALLOC;
			break;
		}
	}
	if (!c || (size_t)((char *)ptr - c->base) % PCPU_MIN_ALLOC || !block_bit(c->bound, first))
		sim_bug("pcpu_free: a pointer that is no per-CPU allocation");
	n = alloc_blocks(c, first);
	for (link = &pc->allocs; *link; link = &(*link)->next) {
		if ((*link)->ptr == ptr) {
			rec = *link;
			*link = rec->next;
			break;
		}
	}
	for (int cpu = 0; cpu < m->nr_cpus; cpu++)
		if (cpu_populated(pc, cpu))
			clear_piece(per_cpu_ptr((char *)ptr, cpu), n * PCPU_MIN_ALLOC);
	c->bound[first / BITS_PER_WORD] &= ~(1UL << (first % BITS_PER_WORD));
	mark_blocks(c, first, n, false);
	spin_unlock(&pc->lock);
	free(rec);
}

void *pcpu_ctor_arg(struct kmm_machine *m, const void *ptr)
{
	struct kmm_percpu *pc = &m->percpu;
	void *arg = NULL;

	spin_lock(&pc->lock);
	for (struct pcpu_alloc_rec *rec = pc->allocs; rec; rec = rec->next) {
		if (rec->ptr == ptr) {
			arg = rec->arg;
			break;
		}
	}
	spin_unlock(&pc->lock);
	return arg;
}

void pcpu_populate(struct kmm_machine *m, int cpu)
{
	struct kmm_percpu *pc = &m->percpu;

	if (cpu_populated(pc, cpu))
		return;
	spin_lock(&pc->lock);
	if (!cpu_populated(pc, cpu)) {
		for (struct pcpu_alloc_rec *rec = pc->allocs; rec; rec = rec->next)
			if (rec->ctor)
				rec->ctor(rec->arg, per_cpu_ptr(rec->ptr, cpu), cpu);
		atomic_store_explicit(&pc->populated[cpu], 1, memory_order_release);
	}
	spin_unlock(&pc->lock);
}

void pcpu_release(struct kmm_machine *m)
{
	struct kmm_percpu *pc = &m->percpu;

	while (pc->allocs) {
		struct pcpu_alloc_rec *rec = pc->allocs;
		pc->allocs = rec->next;
		free(rec);
	}
	while (pc->chunks) {
		struct pcpu_chunk *c = pc->chunks;
		pc->chunks = c->next;
		sim_release(c->base, c->bytes);
		free(c);
	}
	for (int cpu = 0; cpu < PCPU_MAX_CPUS; cpu++)
		atomic_store_explicit(&pc->populated[cpu], 0, memory_order_relaxed);
}

int pcpu_resident_units(struct kmm_machine *m, int cpu)
{
	struct kmm_percpu *pc = &m->percpu;
	int n = 0;

	spin_lock(&pc->lock);
	for (struct pcpu_chunk *c = pc->chunks; c; c = c->next)
		n += sim_resident(per_cpu_ptr(c->base, cpu), PCPU_UNIT_SIZE) != 0;
	spin_unlock(&pc->lock);
	return n;
}

int pcpu_resident_pages(struct kmm_machine *m, int cpu)
{
	struct kmm_percpu *pc = &m->percpu;
	size_t bytes = 0;

	spin_lock(&pc->lock);
	for (struct pcpu_chunk *c = pc->chunks; c; c = c->next)
		bytes += sim_resident(per_cpu_ptr(c->base, cpu), PCPU_UNIT_SIZE);
	spin_unlock(&pc->lock);
	return (int)(bytes / PAGE_SIZE);
}
