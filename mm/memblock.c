// SPDX-License-Identifier: MIT
/*
 * mm/memblock.c - the boot-time physical memory allocator.
 *
 * Linux counterpart: mm/memblock.c (6.12). Kept: two region arrays, memory
 * (what RAM exists, with its node) and reserved (what boot code has taken),
 * both sorted by address and free of overlaps; allocation top-down below a
 * limit (memblock.current_limit: the end of lowmem on i386), optionally on
 * one node; "free" means in memory and not in reserved.
 * Simplified: every region is page-aligned (reservations are rounded out to
 * whole pages, as memblock_free_all() would treat them anyway); no flags
 * (hotplug, mirror, nomap); a type's array starts inside struct memblock
 * (a few regions, not 128) and doubles into host memory, as
 * memblock_double_array() does, up to MEMBLOCK_MAX_REGIONS. Added: each reservation records its owner ("kernel code",
 * "mem_map", ...) so that tests and dmesg can say where memory went.
 *
 * Invariant: in each type, regions are sorted, page-aligned, non-empty and
 * non-overlapping; total_size is the sum of their sizes. Reserved regions of
 * different owners may touch; of the same owner they are merged.
 *
 * Locking: none at boot (kmm_boot() runs on one thread per machine). After
 * it, memory hotplug adds to memory under its hp->lock, and whoever reads
 * memory's regions while an add may run holds that lock too: a doubling
 * frees the array it replaces.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/memblock.h"
#include "mm/internal.h"

static inline uint64_t region_end(const struct memblock_region *r)
{
	return r->base + r->size;
}

/*
 * Point each type at its array inside struct memblock (a zeroed machine has
 * none yet). Inlined: the boot runs it, and shim/hot-symbols.txt lists the
 * functions that call it.
 */
static inline __attribute__((always_inline)) void memblock_ready(struct memblock *mb)
{
	if (!mb->memory.regions) {
		mb->memory.regions = mb->init_memory;
		mb->memory.max = INIT_MEMBLOCK_MEMORY_REGIONS;
	}
	if (!mb->reserved.regions) {
		mb->reserved.regions = mb->init_reserved;
		mb->reserved.max = INIT_MEMBLOCK_RESERVED_REGIONS;
	}
}

/*
 * Twice the room for @type, in host memory (Linux takes it from memblock
 * itself; kmm's regions are host metadata). Return: 0, or -ENOSPC at
 * MEMBLOCK_MAX_REGIONS or without host memory; @type is unchanged then.
 */
static int memblock_double_array(struct memblock_type *type)
{
	int max = KMM_MIN(type->max * 2, MEMBLOCK_MAX_REGIONS);
	struct memblock_region *regions;

	if (type->max >= MEMBLOCK_MAX_REGIONS)
		return -ENOSPC;
	regions = malloc((size_t)max * sizeof(*regions));
	if (!regions)
		return -ENOSPC;
	memcpy(regions, type->regions, (size_t)type->cnt * sizeof(*regions));
	if (type->on_heap)
		free(type->regions);
	type->regions = regions;
	type->max = max;
	type->on_heap = true;
	return 0;
}

static int insert_region(struct memblock_type *type, int idx, uint64_t base, uint64_t size,
			 int nid, const char *owner)
{
	if (type->cnt == type->max && memblock_double_array(type))
		return -ENOSPC;
	memmove(&type->regions[idx + 1], &type->regions[idx],
		(size_t)(type->cnt - idx) * sizeof(type->regions[0]));
	type->regions[idx] = (struct memblock_region){ base, size, nid, owner };
	type->cnt++;
	type->total_size += size;
	return 0;
}

static void remove_region(struct memblock_type *type, int idx)
{
	type->total_size -= type->regions[idx].size;
	memmove(&type->regions[idx], &type->regions[idx + 1],
		(size_t)(type->cnt - idx - 1) * sizeof(type->regions[0]));
	type->cnt--;
}

/* Merge neighbours that touch and agree on node and owner. */
static void merge_regions(struct memblock_type *type)
{
	int i = 0;

	while (i + 1 < type->cnt) {
		struct memblock_region *a = &type->regions[i], *b = &type->regions[i + 1];

		if (region_end(a) == b->base && a->nid == b->nid &&
		    (a->owner == b->owner || (a->owner && b->owner && !strcmp(a->owner, b->owner)))) {
			a->size += b->size;
			type->total_size += b->size;	/* remove_region subtracts it again */
			remove_region(type, i + 1);
			continue;
		}
		i++;
	}
}

/*
 * Add [base, base+size) to @type, skipping the parts already present, so the
 * array stays free of overlaps. Return: 0 or -ENOSPC (the array may then hold
 * part of the range; boot fails anyway).
 */
static int add_range(struct memblock_type *type, uint64_t base, uint64_t size, int nid,
		     const char *owner)
{
	uint64_t end = base + size;
	int i = 0, err;

	while (base < end) {
		while (i < type->cnt && region_end(&type->regions[i]) <= base)
			i++;
		if (i < type->cnt && type->regions[i].base <= base) {
			base = region_end(&type->regions[i]);	/* already there */
			continue;
		}
		uint64_t piece_end = end;

		if (i < type->cnt && type->regions[i].base < piece_end)
			piece_end = type->regions[i].base;
		err = insert_region(type, i, base, piece_end - base, nid, owner);
		if (err)
			return err;
		base = piece_end;
	}
	merge_regions(type);
	return 0;
}

/* Remove [base, base+size) from @type, splitting regions as needed. */
static int remove_range(struct memblock_type *type, uint64_t base, uint64_t size)
{
	uint64_t end = base + size;

	for (int i = 0; i < type->cnt; i++) {
		struct memblock_region *r = &type->regions[i];
		uint64_t rend = region_end(r);

		if (rend <= base || r->base >= end)
			continue;
		if (r->base < base && rend > end) {
			/* Split in two. */
			int err = insert_region(type, i + 1, end, rend - end, r->nid, r->owner);

			if (err)
				return err;
			r = &type->regions[i];
			type->total_size -= rend - base;
			r->size = base - r->base;
			return 0;
		}
		if (r->base < base) {
			type->total_size -= rend - base;
			r->size = base - r->base;
		} else if (rend > end) {
			type->total_size -= end - r->base;
			r->size = rend - end;
			r->base = end;
		} else {
			remove_region(type, i);
			i--;
		}
	}
	return 0;
}

int memblock_add_node(struct kmm_machine *m, uint64_t base, uint64_t size, int nid)
{
	uint64_t end = ALIGN_DOWN(base + size, (uint64_t)PAGE_SIZE);

	memblock_ready(&m->memblock);
	base = ALIGN_UP(base, (uint64_t)PAGE_SIZE);
	if (end <= base)
		return 0;
	return add_range(&m->memblock.memory, base, end - base, nid, NULL);
}

int memblock_remove(struct kmm_machine *m, uint64_t base, uint64_t size)
{
	memblock_ready(&m->memblock);
	return remove_range(&m->memblock.memory, base, size);
}

int memblock_reserve(struct kmm_machine *m, uint64_t base, uint64_t size, const char *owner)
{
	uint64_t end = ALIGN_UP(base + size, (uint64_t)PAGE_SIZE);

	memblock_ready(&m->memblock);
	base = ALIGN_DOWN(base, (uint64_t)PAGE_SIZE);
	if (end <= base)
		return 0;
	return add_range(&m->memblock.reserved, base, end - base, -1, owner);
}

int memblock_phys_free(struct kmm_machine *m, uint64_t base, uint64_t size)
{
	uint64_t end = ALIGN_UP(base + size, (uint64_t)PAGE_SIZE);

	memblock_ready(&m->memblock);
	base = ALIGN_DOWN(base, (uint64_t)PAGE_SIZE);
	return remove_range(&m->memblock.reserved, base, end - base);
}

int memblock_set_node(struct kmm_machine *m, uint64_t base, uint64_t size, int nid)
{
	struct memblock_type *mem = &m->memblock.memory;
	uint64_t end = base + size;
	int err;

	memblock_ready(&m->memblock);
	/* Split at both ends so that whole regions fall inside [base, end). */
	for (int i = 0; i < mem->cnt; i++) {
		struct memblock_region *r = &mem->regions[i];
		uint64_t rend = region_end(r);

		if (r->base < base && rend > base) {
			err = insert_region(mem, i + 1, base, rend - base, r->nid, NULL);
			if (err)
				return err;
			mem->total_size -= rend - base;
			mem->regions[i].size = base - mem->regions[i].base;
			continue;
		}
		if (r->base < end && rend > end) {
			err = insert_region(mem, i + 1, end, rend - end, r->nid, NULL);
			if (err)
				return err;
			mem->total_size -= rend - end;
			mem->regions[i].size = end - mem->regions[i].base;
		}
	}
	for (int i = 0; i < mem->cnt; i++) {
		struct memblock_region *r = &mem->regions[i];

		if (r->base >= base && region_end(r) <= end)
			r->nid = nid;
	}
	merge_regions(mem);
	return 0;
}

/* Bytes of [start, end) covered by @type's regions. */
uint64_t memblock_overlap(const struct memblock_type *type, uint64_t start, uint64_t end)
{
	uint64_t sum = 0;

	for (int i = 0; i < type->cnt; i++) {
		const struct memblock_region *r = &type->regions[i];
		uint64_t s = KMM_MAX(r->base, start), e = KMM_MIN(region_end(r), end);

		if (r->base >= end)
			break;
		if (s < e)
			sum += e - s;
	}
	return sum;
}

bool memblock_is_reserved(struct kmm_machine *m, uint64_t addr)
{
	return memblock_overlap(&m->memblock.reserved, addr, addr + 1) != 0;
}

bool memblock_next_free_range(const struct kmm_machine *m, uint64_t pos, uint64_t limit,
			      uint64_t *start, uint64_t *end)
{
	const struct memblock_type *mem = &m->memblock.memory;
	const struct memblock_type *rsv = &m->memblock.reserved;
	int j = 0;

	for (int i = 0; i < mem->cnt && pos < limit; i++) {
		const struct memblock_region *r = &mem->regions[i];
		uint64_t s = KMM_MAX(r->base, pos), e = KMM_MIN(region_end(r), limit);

		if (s >= e)
			continue;
		/* Walk the reserved regions that may cut into [s, e). */
		while (s < e) {
			while (j < rsv->cnt && region_end(&rsv->regions[j]) <= s)
				j++;
			if (j < rsv->cnt && rsv->regions[j].base <= s) {
				s = region_end(&rsv->regions[j]);
				continue;
			}
			*start = s;
			*end = (j < rsv->cnt && rsv->regions[j].base < e) ? rsv->regions[j].base : e;
			return true;
		}
	}
	return false;
}

uint64_t memblock_free_bytes(const struct kmm_machine *m, uint64_t start, uint64_t end)
{
	uint64_t s, e, sum = 0, pos = start;

	while (memblock_next_free_range(m, pos, end, &s, &e)) {
		sum += e - s;
		pos = e;
	}
	return sum;
}

uint64_t memblock_alloc_range(struct kmm_machine *m, uint64_t size, uint64_t align,
			      uint64_t limit, int nid, const char *owner)
{
	const struct memblock_type *mem = &m->memblock.memory;
	const struct memblock_type *rsv = &m->memblock.reserved;

	size = ALIGN_UP(size, (uint64_t)PAGE_SIZE);
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	if (!limit || limit > m->memblock.current_limit)
		limit = m->memblock.current_limit;
	/*
	 * Top-down: walk memory regions from the highest, and inside each the
	 * gaps between reservations from the highest, taking the first gap
	 * that holds an aligned block of @size.
	 */
	for (int i = mem->cnt - 1; i >= 0; i--) {
		const struct memblock_region *r = &mem->regions[i];
		uint64_t lo = r->base, hi = KMM_MIN(region_end(r), limit);
		int j = rsv->cnt - 1;

		if (nid >= 0 && r->nid != nid)
			continue;
		while (hi > lo) {
			uint64_t gap_lo = lo;

			/* The reservation just below hi bounds this gap. */
			while (j >= 0 && rsv->regions[j].base >= hi)
				j--;
			if (j >= 0 && region_end(&rsv->regions[j]) > hi) {
				hi = rsv->regions[j].base;	/* hi was inside a reservation */
				continue;
			}
			if (j >= 0 && region_end(&rsv->regions[j]) > gap_lo)
				gap_lo = region_end(&rsv->regions[j]);
			if (hi - gap_lo >= size) {
				uint64_t base = ALIGN_DOWN(hi - size, align);

				if (base >= gap_lo) {
					if (memblock_reserve(m, base, size, owner))
						return 0;
					return base;
				}
			}
			if (j < 0 || rsv->regions[j].base < lo)
				break;
			hi = rsv->regions[j].base;
		}
	}
	return 0;
}

/**
 * memblock_alloc_try_nid() - allocate on @nid if it has room, else anywhere.
 * @m: the machine. @size, @align, @limit, @owner: as memblock_alloc_range().
 * @nid: the preferred node, or -1 for any.
 * Context: boot. Return: the physical address, or 0 if no node had room.
 */
uint64_t memblock_alloc_try_nid(struct kmm_machine *m, uint64_t size, uint64_t align,
				uint64_t limit, int nid, const char *owner)
{
	uint64_t pa = memblock_alloc_range(m, size, align, limit, nid, owner);

	if (!pa && nid >= 0)
		pa = memblock_alloc_range(m, size, align, limit, -1, owner);
	return pa;
}

void memblock_discard(struct kmm_machine *m)
{
	struct memblock_type *types[] = { &m->memblock.memory, &m->memblock.reserved };
	struct memblock_region *init[] = { m->memblock.init_memory, m->memblock.init_reserved };
	const int init_max[] = { INIT_MEMBLOCK_MEMORY_REGIONS, INIT_MEMBLOCK_RESERVED_REGIONS };

	for (int i = 0; i < 2; i++) {
		struct memblock_type *t = types[i];

		if (!t->on_heap || t->cnt > init_max[i])
			continue;
		memcpy(init[i], t->regions, (size_t)t->cnt * sizeof(*init[i]));
		free(t->regions);
		t->regions = init[i];
		t->max = init_max[i];
		t->on_heap = false;
	}
}

void memblock_release(struct kmm_machine *m)
{
	struct memblock_type *types[] = { &m->memblock.memory, &m->memblock.reserved };

	for (int i = 0; i < 2; i++) {
		if (types[i]->on_heap)
			free(types[i]->regions);
		*types[i] = (struct memblock_type){ 0 };
	}
}
