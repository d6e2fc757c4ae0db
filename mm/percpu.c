// SPDX-License-Identifier: MIT
/*
 * mm/percpu.c - a machine's per-CPU area: chunks of one reserved host
 * mapping each, nr_cpus units of PCPU_UNIT_SIZE per chunk, an allocation at
 * one offset of every unit of its chunk (mm/include/percpu.h has the
 * design and the contract).
 *
 * Linux counterpart: mm/percpu.c (pcpu_alloc(), free_percpu(),
 * pcpu_populate_chunk()). Kept: units by CPU, one offset per allocation,
 * chunks added as the area fills. Simplified: a bitmap of 64-byte blocks
 * per chunk, first fit (Linux: per-block hints and scan ranges), no chunk
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
 * Locking: m->percpu.lock guards the chunk list, each chunk's bitmap, the
 * list of allocations and populated[] (stored with release). Nothing is
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
};

/* One live allocation: where, how big, and its constructor. */
struct pcpu_alloc_rec {
	struct pcpu_alloc_rec *next;
	char *ptr;				/* CPU 0's copy */
	size_t size;				/* whole blocks */
	pcpu_ctor_fn ctor;
	void *arg;
};

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
	struct pcpu_alloc_rec *rec;
	struct pcpu_chunk *spare = NULL;

	if (!n || n > PCPU_BLOCKS || m->nr_cpus < 1 || m->nr_cpus > PCPU_MAX_CPUS)
		return NULL;
	rec = malloc(sizeof(*rec));
	if (!rec)
		return NULL;
	for (;;) {
		spin_lock(&pc->lock);
		for (struct pcpu_chunk *c = pc->chunks; c; c = c->next) {
			size_t first = find_blocks(c, n, ctor != NULL);
			if (first == PCPU_BLOCKS)
				continue;
			mark_blocks(c, first, n, true);
			*rec = (struct pcpu_alloc_rec){ .next = pc->allocs, .ptr = c->base + first * PCPU_MIN_ALLOC,
							.size = n * PCPU_MIN_ALLOC, .ctor = ctor, .arg = arg };
			pc->allocs = rec;
			if (ctor)
				for (int cpu = 0; cpu < m->nr_cpus; cpu++)
					if (cpu_populated(pc, cpu))
						ctor(arg, per_cpu_ptr(rec->ptr, cpu), cpu);
			spin_unlock(&pc->lock);
			if (spare) {	/* another thread added a chunk meanwhile */
				sim_release(spare->base, spare->bytes);
				free(spare);
			}
			return rec->ptr;
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

void pcpu_free(struct kmm_machine *m, void *ptr)
{
	struct kmm_percpu *pc = &m->percpu;
	struct pcpu_alloc_rec **link, *rec = NULL;

	if (!ptr)
		return;
	spin_lock(&pc->lock);
	for (link = &pc->allocs; *link; link = &(*link)->next) {
		if ((*link)->ptr == ptr) {
			rec = *link;
			*link = rec->next;
			break;
		}
	}
	if (!rec)
		sim_bug("pcpu_free: a pointer that is no per-CPU allocation");
	for (int cpu = 0; cpu < m->nr_cpus; cpu++)
		if (cpu_populated(pc, cpu))
			clear_piece(per_cpu_ptr(rec->ptr, cpu), rec->size);
	for (struct pcpu_chunk *c = pc->chunks; c; c = c->next) {
		if (rec->ptr >= c->base && rec->ptr < c->base + PCPU_UNIT_SIZE) {
			mark_blocks(c, (size_t)(rec->ptr - c->base) / PCPU_MIN_ALLOC,
				    rec->size / PCPU_MIN_ALLOC, false);
			break;
		}
	}
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
