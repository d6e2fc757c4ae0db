// SPDX-License-Identifier: MIT
/*
 * tests/integration_memmap_holes.c - the reserved chunks of struct pages
 * that boot leaves untouched (mm/mm_init.c, reserved_chunks()) include those
 * with holes in them, when one zone spans the chunk: the first MiB's BIOS
 * area (pfns 0x9f-0xff on x86_64) is two such chunks of 64 frames, and every
 * process under the malloc shim kept their two host pages of struct pages;
 * and so does pfn 0's chunk, whose first page is a hole below ZONE_DMA's
 * span that boot files with ZONE_DMA.
 *
 * Covers: on the malloc shim's boot line, the struct pages of pfns 0-63 and
 * 128-255 (RAM and hole, all reserved, in or below ZONE_DMA's span) are not
 * resident after boot;
 * a page of those chunks read through kmm_pfn_to_page() is the page an
 * eager boot (deferred_struct_pages=off, which initialises every struct
 * page at boot) has there: the same flags, zone, node, counts; the machine
 * passes its checkers before and after.
 */
#include <string.h>

#include "arch/sim/sim.h"
#include "mm/include/addr.h"
#include "mm/internal.h"
#include "tests/harness.h"
#include "tests/shim_line.h"

/*
 * The malloc shim's boot line (shim/boot_line.h, as shim/malloc.c boots it in
 * the default mode: 4G at most, grown from 128M; 16 CPUs on a host of up to 4).
 */
static const char *shim_line(void)
{
	static char line[512];

	return line[0] ? line : t_shim_line(line, sizeof(line), 16, NULL);
}

/* Host pages of struct pages resident for pfns [@first, @first + @nr). */
static size_t memmap_pages(struct kmm_machine *m, unsigned long first, unsigned long nr)
{
	return sim_resident(pfn_to_page_m(m, first), nr * sizeof(struct page)) / PAGE_SIZE;
}

TEST(the_first_mibs_chunks_with_holes_stay_untouched_on_the_shims_line)
{
	struct kmm_machine *m = kmm_boot(shim_line());

	assert_true(m != NULL);
	assert_eq(64 * sizeof(struct page), PAGE_SIZE);	/* a chunk is one host page */
	expect_eq(memmap_pages(m, 128, 128), 0);
	expect_eq(memmap_pages(m, 0, 64), 0);		/* pfn 0: a hole below ZONE_DMA's span */
	expect_eq(kmm_check(m), 0);
	kmm_shutdown(m);
}

TEST(a_page_of_a_late_chunk_with_holes_is_the_eager_boots_page)
{
	char eager_line[576];

	snprintf(eager_line, sizeof(eager_line), "%s deferred_struct_pages=off", shim_line());
	struct kmm_machine *lazy = kmm_boot(shim_line());
	struct kmm_machine *eager = kmm_boot(eager_line);

	assert_true(lazy != NULL);
	assert_true(eager != NULL);
	expect_eq(memmap_pages(eager, 128, 128), 2);
	for (unsigned long pfn = 0; pfn < 256; pfn++) {
		struct page *a = kmm_pfn_to_page(lazy, pfn), *b = kmm_pfn_to_page(eager, pfn);

		assert_true(a != NULL && b != NULL);
		/* The flags but the machine's slot (page_machine_slot()): two machines. */
		unsigned long slots = ((1UL << PG_MACHINE_BITS) - 1) << PG_MACHINE_SHIFT;

		expect_eq(page_machine(a), lazy);
		if (!expect_eq(a->flags & ~slots, b->flags & ~slots) ||
		    !expect_eq(page_zonenum(a), page_zonenum(b)) ||
		    !expect_eq(page_to_nid(a), page_to_nid(b)) ||
		    !expect_eq(page_ref_count(a), page_ref_count(b)) ||
		    !expect_eq(page_mapcount(a), page_mapcount(b)) ||
		    !expect_true(PageReserved(a)))
			kmm_test_fail(__FILE__, __LINE__, "pfn %lu differs", pfn);
	}
	expect_eq(memmap_pages(eager, 0, 64), 1);
	expect_eq(memmap_pages(lazy, 128, 128), 2);	/* read: initialised now */
	expect_eq(memmap_pages(lazy, 0, 64), 1);
	expect_eq(kmm_check(lazy), 0);
	expect_eq(kmm_check(eager), 0);
	kmm_shutdown(lazy);
	kmm_shutdown(eager);
}
