// SPDX-License-Identifier: MIT
/*
 * tests/unit_boot_memblock.c - the boot allocators on their own: e820 table
 * normalisation (the highest type wins where entries overlap), and memblock
 * (sorted non-overlapping regions, top-down allocation below a limit and on a
 * node, reservations given back, free ranges).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/include/asm/e820.h"
#include "harness.h"
#include "mm/include/memblock.h"
#include "mm/internal.h"
#include "tests/boot_test.h"

#define MB (1ULL << 20)

static struct kmm_machine *bare_machine(void)
{
	struct kmm_machine *m = calloc(1, sizeof(*m));

	assert_true(m != NULL);
	return m;
}

static void expect_region(const struct memblock_type *t, int i, uint64_t base, uint64_t size)
{
	if (!expect_true(i < t->cnt))
		return;
	expect_eq(t->regions[i].base, base);
	expect_eq(t->regions[i].size, size);
}

TEST(e820_highest_type_wins_and_neighbours_merge)
{
	struct e820_table t = { 0 };

	__e820__range_add(&t, 0x100000, 255 * MB, E820_TYPE_RAM);		/* 1M..256M */
	__e820__range_add(&t, 64 * MB, 16 * MB, E820_TYPE_RESERVED);	/* hole 64M..80M */
	__e820__range_add(&t, 70 * MB, 2 * MB, E820_TYPE_ACPI);		/* inside the hole */
	__e820__range_add(&t, 256 * MB, 16 * MB, E820_TYPE_RAM);		/* touches: merges */
	assert_eq(e820__update_table(&t), 0);
	assert_eq(t.nr_entries, 5);
	expect_eq(t.entries[0].addr, 0x100000);
	expect_eq(t.entries[0].size, 63 * MB);
	expect_eq(t.entries[0].type, E820_TYPE_RAM);
	expect_eq(t.entries[1].addr, 64 * MB);
	expect_eq(t.entries[1].size, 6 * MB);
	expect_eq(t.entries[1].type, E820_TYPE_RESERVED);
	expect_eq(t.entries[2].type, E820_TYPE_ACPI);
	expect_eq(t.entries[3].addr, 72 * MB);
	expect_eq(t.entries[3].type, E820_TYPE_RESERVED);
	expect_eq(t.entries[4].addr, 80 * MB);
	expect_eq(t.entries[4].size, 192 * MB);	/* 80M..272M in one piece */
	expect_eq(t.entries[4].type, E820_TYPE_RAM);
	expect_true(!strcmp(e820_type_name(E820_TYPE_RAM), "usable"));
	expect_true(!strcmp(e820_type_name(E820_TYPE_ACPI), "ACPI data"));
}

TEST(memblock_regions_stay_sorted_and_disjoint)
{
	struct kmm_machine *m = bare_machine();
	struct memblock_type *mem = &m->memblock.memory, *rsv = &m->memblock.reserved;

	assert_eq(memblock_add_node(m, 64 * MB, 64 * MB, 0), 0);
	assert_eq(memblock_add_node(m, 0x1000, 0x9e000, 0), 0);
	assert_eq(memblock_add_node(m, 32 * MB, 40 * MB, 0), 0);	/* overlaps: merges */
	expect_eq(mem->cnt, 2);
	expect_region(mem, 0, 0x1000, 0x9e000);
	expect_region(mem, 1, 32 * MB, 96 * MB);
	expect_eq(mem->total_size, 0x9e000 + 96 * MB);
	/* Unaligned ranges are trimmed to whole pages. */
	assert_eq(memblock_add_node(m, 200 * MB + 1, 8192, 0), 0);
	expect_region(mem, 2, 200 * MB + 4096, 4096);
	assert_eq(memblock_remove(m, 200 * MB, MB), 0);
	expect_eq(mem->cnt, 2);

	/* Reservations: rounded out to pages, different owners stay apart. */
	assert_eq(memblock_reserve(m, 40 * MB + 1, 10, "a"), 0);
	expect_region(rsv, 0, 40 * MB, 4096);
	assert_eq(memblock_reserve(m, 40 * MB + 4096, 4096, "a"), 0);
	expect_eq(rsv->cnt, 1);				/* same owner, touching: merged */
	assert_eq(memblock_reserve(m, 40 * MB + 8192, 4096, "b"), 0);
	expect_eq(rsv->cnt, 2);
	assert_eq(memblock_reserve(m, 40 * MB, 16384, "c"), 0);	/* only the new page */
	expect_eq(rsv->cnt, 3);
	expect_eq(rsv->total_size, 16384);
	expect_true(memblock_is_reserved(m, 40 * MB + 12288));
	expect_true(!memblock_is_reserved(m, 40 * MB + 16384));
	expect_eq(memblock_overlap(rsv, 0, ~0ULL), 16384);

	/* Giving back the middle splits a region. */
	assert_eq(memblock_reserve(m, 50 * MB, 3 * 4096, "d"), 0);
	assert_eq(memblock_phys_free(m, 50 * MB + 4096, 4096), 0);
	expect_true(memblock_is_reserved(m, 50 * MB));
	expect_true(!memblock_is_reserved(m, 50 * MB + 4096));
	expect_true(memblock_is_reserved(m, 50 * MB + 8192));
	expect_eq(rsv->total_size, 16384 + 8192);
	free(m);
}

TEST(memblock_alloc_top_down)
{
	struct kmm_machine *m = bare_machine();
	uint64_t a, b, c, s, e;

	memblock_add_node(m, 0x1000, 0x9e000, 0);
	memblock_add_node(m, MB, 127 * MB, 0);		/* 1M..128M: node 0 */
	memblock_add_node(m, 128 * MB, 128 * MB, 1);	/* 128M..256M: node 1 */
	m->memblock.current_limit = 256 * MB;
	memblock_reserve(m, 0, MB, "low");

	a = memblock_alloc_range(m, 8192, 4096, 0, -1, "a");
	expect_eq(a, 256 * MB - 8192);
	b = memblock_alloc_range(m, 2 * MB, 2 * MB, 0, -1, "b");	/* aligned down below a */
	expect_eq(b, 252 * MB);
	c = memblock_alloc_range(m, 4096, 4096, 0, 0, "c");		/* on node 0 */
	expect_eq(c, 128 * MB - 4096);
	/* Below a limit (lowmem). */
	expect_eq(memblock_alloc_range(m, 4096, 4096, 64 * MB, -1, "d"), 64 * MB - 4096);
	/* It fills the gap between b and a (2M-aligned b left 2M - 8K). */
	expect_eq(memblock_alloc_range(m, 4096, 4096, 0, -1, "e"), 256 * MB - 3 * 4096);
	/* Too big for any gap: 0, nothing reserved. */
	uint64_t before = m->memblock.reserved.total_size;
	expect_eq(memblock_alloc_range(m, 512 * MB, 4096, 0, -1, "f"), 0);
	expect_eq(m->memblock.reserved.total_size, before);

	/* The free ranges walk around every reservation. */
	expect_true(memblock_next_free_range(m, 0, ~0ULL, &s, &e));
	expect_eq(s, MB);
	expect_eq(e, 64 * MB - 4096);
	expect_eq(memblock_free_bytes(m, 0, ~0ULL),
		  m->memblock.memory.total_size - reserved_ram_bytes(m));
	/* Node assignment splits regions at the boundary. */
	assert_eq(memblock_set_node(m, 96 * MB, 64 * MB, 2), 0);
	for (int i = 0; i < m->memblock.memory.cnt; i++) {
		const struct memblock_region *r = &m->memblock.memory.regions[i];

		if (r->base >= 96 * MB && r->base + r->size <= 160 * MB)
			expect_eq(r->nid, 2);
		else
			expect_ne(r->nid, 2);
	}
	free(m);
}

/*
 * A type outgrows its array inside struct memblock by doubling into host
 * memory: every region kept, in order, and the totals right; at
 * MEMBLOCK_MAX_REGIONS the next disjoint range is refused and nothing changes.
 */
TEST(memblock_arrays_double_past_their_start_up_to_the_most)
{
	struct kmm_machine *m = bare_machine();
	struct memblock_type *rsv = &m->memblock.reserved, *mem = &m->memblock.memory;

	/* Every other page, highest first (each insert moves the ones above). */
	for (int i = MEMBLOCK_MAX_REGIONS - 1; i >= 0; i--)
		assert_eq(memblock_reserve(m, (uint64_t)i * 8192, 4096, "r"), 0);
	expect_eq(rsv->cnt, MEMBLOCK_MAX_REGIONS);
	expect_eq(rsv->total_size, (uint64_t)MEMBLOCK_MAX_REGIONS * 4096);
	expect_true(rsv->regions != m->memblock.init_reserved);
	for (int i = 0; i < rsv->cnt; i++)
		expect_region(rsv, i, (uint64_t)i * 8192, 4096);
	expect_eq(memblock_reserve(m, (uint64_t)MEMBLOCK_MAX_REGIONS * 8192, 4096, "r"), -ENOSPC);
	expect_eq(rsv->cnt, MEMBLOCK_MAX_REGIONS);
	expect_eq(rsv->total_size, (uint64_t)MEMBLOCK_MAX_REGIONS * 4096);
	/* A range inside an existing region needs no room. */
	assert_eq(memblock_reserve(m, 8192, 4096, "r"), 0);
	expect_eq(rsv->cnt, MEMBLOCK_MAX_REGIONS);

	/* Memory's array grows the same way; splitting by node inserts. */
	for (int i = 0; i < 3 * INIT_MEMBLOCK_MEMORY_REGIONS; i++)
		assert_eq(memblock_add_node(m, (uint64_t)i * 2 * MB, MB, 0), 0);
	expect_eq(mem->cnt, 3 * INIT_MEMBLOCK_MEMORY_REGIONS);
	assert_eq(memblock_set_node(m, MB / 2, MB, 1), 0);
	expect_eq(mem->cnt, 3 * INIT_MEMBLOCK_MEMORY_REGIONS + 1);
	expect_region(mem, 0, 0, MB / 2);
	expect_region(mem, 1, MB / 2, MB / 2);
	expect_eq(mem->regions[1].nid, 1);
	expect_region(mem, mem->cnt - 1, (uint64_t)(3 * INIT_MEMBLOCK_MEMORY_REGIONS - 1) * 2 * MB, MB);
	expect_eq(mem->total_size, (uint64_t)3 * INIT_MEMBLOCK_MEMORY_REGIONS * MB);
	/* Back into the arrays struct memblock holds once the regions fit, kept in order. */
	memblock_discard(m);
	expect_true(rsv->regions != m->memblock.init_reserved);	/* 256 do not fit */
	assert_eq(memblock_phys_free(m, 0, (uint64_t)(MEMBLOCK_MAX_REGIONS - 5) * 8192), 0);
	expect_eq(rsv->cnt, 5);
	memblock_discard(m);
	expect_true(rsv->regions == m->memblock.init_reserved);
	expect_eq(rsv->max, INIT_MEMBLOCK_RESERVED_REGIONS);
	for (int i = 0; i < 5; i++)
		expect_region(rsv, i, (uint64_t)(MEMBLOCK_MAX_REGIONS - 5 + i) * 8192, 4096);
	expect_true(mem->regions != m->memblock.init_memory);	/* 25 do not fit in 8 */
	memblock_release(m);
	expect_eq(rsv->cnt, 0);
	expect_eq(mem->cnt, 0);
	free(m);
}
