// SPDX-License-Identifier: MIT
/*
 * mm/include/memblock.h - early physical memory: the memory and reserved
 * region lists boot allocates from before the buddy allocator exists, and
 * the functions of mm/memblock.c.
 *
 * Linux counterpart: include/linux/memblock.h (6.12). Kept: two region
 * types (memory, reserved), sorted and non-overlapping, a node id per
 * region, top-down allocation below current_limit. Added: the owner of each
 * reservation, for debugging and checks.
 *
 * Locking: built by kmm_boot() on one thread; immutable after boot except
 * memblock_phys_free() of the init section at the end of boot.
 */
#ifndef KMM_MEMBLOCK_H
#define KMM_MEMBLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct kmm_machine;

struct memblock_region {
	uint64_t base, size;
	int nid;
	const char *owner;	/* what reserved it (for debugging and checks) */
};

/*
 * Each type starts in a small array inside struct memblock and doubles into
 * host memory when it fills (Linux's memblock_double_array(), which starts
 * at INIT_MEMBLOCK_REGIONS = 128), up to MEMBLOCK_MAX_REGIONS. A boot uses
 * a few regions of memory and ~20 reservations: the arrays the machine
 * struct carries are the ones it touches (two fixed arrays of 256 regions
 * put the used heads of memory and reserved 8 KB apart, two more host pages
 * in every process of the malloc shim).
 */
#define MEMBLOCK_MAX_REGIONS		256
#define INIT_MEMBLOCK_MEMORY_REGIONS	8
#define INIT_MEMBLOCK_RESERVED_REGIONS	32
struct memblock_type {
	int cnt;
	int max;			/* room in @regions; 0 until the first region */
	bool on_heap;			/* @regions came from the host heap (doubled) */
	uint64_t total_size;
	struct memblock_region *regions;	/* the init array below, or host memory */
};

struct memblock {
	struct memblock_type memory;
	struct memblock_type reserved;
	uint64_t current_limit;		/* allocations stay below this (lowmem) */
	struct memblock_region init_memory[INIT_MEMBLOCK_MEMORY_REGIONS];
	struct memblock_region init_reserved[INIT_MEMBLOCK_RESERVED_REGIONS];
};

/* ---- mm/memblock.c ---- */

int memblock_add_node(struct kmm_machine *m, uint64_t base, uint64_t size, int nid);
int memblock_reserve(struct kmm_machine *m, uint64_t base, uint64_t size, const char *owner);
/** memblock_alloc_range() - top-down allocation below @limit. Return: phys or 0. */
uint64_t memblock_alloc_range(struct kmm_machine *m, uint64_t size, uint64_t align,
			      uint64_t limit, int nid, const char *owner);
/** memblock_alloc_try_nid() - memblock_alloc_range() on @nid if it has room, else anywhere. */
uint64_t memblock_alloc_try_nid(struct kmm_machine *m, uint64_t size, uint64_t align,
				uint64_t limit, int nid, const char *owner);
bool memblock_is_reserved(struct kmm_machine *m, uint64_t addr);
/** memblock_remove() - drop [base, base+size) from memory. */
int memblock_remove(struct kmm_machine *m, uint64_t base, uint64_t size);
/** memblock_phys_free() - give back a reservation (whole pages). */
int memblock_phys_free(struct kmm_machine *m, uint64_t base, uint64_t size);
/** memblock_set_node() - memory inside [base, base+size) belongs to @nid. */
int memblock_set_node(struct kmm_machine *m, uint64_t base, uint64_t size, int nid);
/** memblock_overlap() - bytes of [start, end) covered by @type's regions. */
uint64_t memblock_overlap(const struct memblock_type *type, uint64_t start, uint64_t end);
/**
 * memblock_next_free_range() - the lowest range at or above @pos, below
 * @limit, that is memory and not reserved. Return: false if there is none.
 */
bool memblock_next_free_range(const struct kmm_machine *m, uint64_t pos, uint64_t limit,
			      uint64_t *start, uint64_t *end);
/** memblock_free_bytes() - bytes of [start, end) that are memory and not reserved. */
uint64_t memblock_free_bytes(const struct kmm_machine *m, uint64_t start, uint64_t end);
/**
 * memblock_discard() - at the end of boot, a type whose array doubled into
 * host memory and whose regions fit struct memblock's own array again
 * moves back and frees the host's (Linux frees its doubled arrays then too,
 * and keeps no memblock; kmm keeps the regions). A boot with many CPUs
 * doubles reserved's array while its per-CPU units are carved out, then
 * merges back to ~10 regions: 4 KB of host heap it no longer keeps.
 * Context: boot, or memory hotplug's lock held.
 */
void memblock_discard(struct kmm_machine *m);
/**
 * memblock_release() - give the host back the region arrays that outgrew
 * struct memblock's own (the machine is going away); @m's memblock is then
 * empty. Context: nothing else uses @m.
 */
void memblock_release(struct kmm_machine *m);

#endif /* KMM_MEMBLOCK_H */
