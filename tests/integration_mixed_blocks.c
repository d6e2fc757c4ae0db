// SPDX-License-Identifier: MIT
/*
 * tests/integration_mixed_blocks.c - mixed_blocks=reserved (mm/mm_init.c):
 * the free pages of the MAX_PAGE_ORDER blocks that also hold boot
 * reservations, and the areas Linux frees at the end of boot (initmem), stay
 * reserved, so boot never touches their struct pages. The malloc shim boots
 * its machine so: a 128M machine's struct pages are most of a small
 * program's start cost (docs/malloc.md).
 *
 * Covers: the struct pages initialised at boot and the host pages of the
 * mem_map resident, with and without the option, on the shim's machine line;
 * the RAM the option keeps back; the machine passing its checkers, allocating
 * and freeing with it; a bad value refused by name.
 */
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>

#include "arch/sim/sim.h"
#include "mm/include/addr.h"
#include "mm/internal.h"
#include "tests/harness.h"
#include "tests/shim_line.h"

/* The shim's boot line for 4 CPUs, less @without (NULL: whole): tests/shim_line.h. */
static const char *shim_line(const char *without)
{
	static char line[512];

	return t_shim_line(line, sizeof(line), 4, without);
}


struct boot_cost {
	unsigned long init_pages;	/* struct pages initialised at boot */
	size_t memmap_kb;		/* host RSS of the mem_map */
	long totalram;			/* pages */
};

static struct boot_cost boot_cost(const char *line, bool expect_initmem_freed)
{
	struct boot_cost c = { 0 };
	struct kmm_machine *m = kmm_boot(line);

	assert_true(m != NULL);
	c.init_pages = atomic_load(&m->memmap_init_pages);
	c.memmap_kb = sim_resident(m->vmemmap, m->vmemmap_bytes) >> 10;
	c.totalram = atomic_load(&m->totalram_pages);
	if (expect_initmem_freed)
		expect_str_contains(t_dmesg(m), "Freeing unused kernel image (initmem) memory");
	else
		expect_true(strstr(t_dmesg(m), "Freeing unused kernel image") == NULL);
	expect_eq(kmm_check(m), 0);

	/* It allocates and frees like any machine: 4 MiB of pages and back. */
	struct kmm_machine *old = kmm_use(m);
	unsigned long free0 = t_nr_free_drained(m);
	struct page *pages[64];
	for (int i = 0; i < 64; i++) {
		pages[i] = alloc_pages(GFP_KERNEL, 4);
		assert_true(pages[i] != NULL);
	}
	expect_eq(kmm_check(m), 0);
	for (int i = 0; i < 64; i++)
		__free_pages(pages[i], 4);
	expect_eq(t_nr_free_drained(m), free0);
	kmm_use(old);
	kmm_shutdown(m);
	printf("  %s: %lu struct pages initialised, mem_map %zu KiB resident, %ld pages of RAM\n",
	       strstr(line, "mixed_blocks=reserved") ? "reserved" : "free", c.init_pages, c.memmap_kb,
	       c.totalram);
	return c;
}

/*
 * On the shim's line, boot initialises 4416 struct pages (the free parts of
 * the blocks with the first MiB, the kernel image's ends, the per-CPU areas
 * and the top of RAM; the freed initmem; the first deferred block, which
 * the boot's slabs take), 296 KiB of mem_map resident; with the option 1216
 * and 76 KiB, for 3092 pages (12 MiB) of RAM kept reserved. The bounds leave
 * room for layout changes, not for the old cost.
 */
TEST(mixed_blocks_reserved_leave_their_struct_pages_untouched)
{
	char free_line[512];

	snprintf(free_line, sizeof(free_line), "%s", shim_line(" mixed_blocks=reserved"));
	struct boot_cost free_ = boot_cost(free_line, true);
	struct boot_cost kept = boot_cost(shim_line(NULL), false);

	expect_true(kept.init_pages + 2048 <= free_.init_pages);
	expect_true(kept.memmap_kb + 128 <= free_.memmap_kb);
	expect_true(kept.memmap_kb <= 128);
	/* What it costs: RAM the machine never hands out (at most 16 MiB of its 128). */
	expect_true(kept.totalram < free_.totalram);
	expect_true(free_.totalram - kept.totalram <= 4096);

	/* The default, and the option spelled out as free, are Linux's boot. */
	char dflt_line[576];

	snprintf(dflt_line, sizeof(dflt_line), "%s mixed_blocks=free", free_line);
	struct boot_cost dflt = boot_cost(dflt_line, true);
	expect_eq(dflt.init_pages, free_.init_pages);
	expect_eq(dflt.totalram, free_.totalram);
}

/*
 * With deferred_struct_pages=off every struct page is initialised anyway;
 * the option still keeps back only the free parts of the mixed blocks, not
 * the wholly free blocks of a section that holds a reservation (review11 R4:
 * it reserved those too - 210 MiB of a 512M machine, and a 128M machine did
 * not boot).
 */
TEST(mixed_blocks_reserved_with_eager_struct_pages_keeps_back_the_same_ram)
{
	const char *const lines[] = { "mem=128M", "mem=512M", shim_line(" mixed_blocks=reserved") };

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		char deferred[576], eager[576];
		snprintf(deferred, sizeof(deferred), "%s mixed_blocks=reserved", lines[i]);
		snprintf(eager, sizeof(eager), "%s mixed_blocks=reserved deferred_struct_pages=off",
			 lines[i]);
		struct boot_cost d = boot_cost(deferred, false);
		struct boot_cost e = boot_cost(eager, false);
		expect_eq(e.totalram, d.totalram);
	}
}

TEST(mixed_blocks_bad_value_is_refused_by_name)
{
	struct kmm_machine *m = kmm_boot("mem=128M mixed_blocks=maybe");

	expect_true(m == NULL);
	expect_str_contains(kmm_last_error(), "mixed_blocks=maybe");
	expect_str_contains(kmm_last_error(), "expected mixed_blocks=free or mixed_blocks=reserved");
}
