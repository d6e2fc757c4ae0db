// SPDX-License-Identifier: MIT
/*
 * tests/unit_memory_hotplug.c - the failure paths of add_memory(), driven by
 * fail_page_alloc: an add that fails part-way leaves the machine as it was
 * (/proc/meminfo's DirectMap lines, MemTotal, every page back), and its
 * message names the memory block that failed.
 *
 * Where the allocations are: each 128 MiB block's vmemmap is an order-9
 * allocation that may reclaim (GFP_KERNEL), taken before the hotplug lock;
 * the direct map's page-table page for a GiB that is only partly added is
 * an order-0 GFP_ATOMIC one, taken under it. A GiB added whole is one 1G
 * mapping and needs no table. *
 * Also memory_hotplug_grow() (the malloc shim's growth) past a block it
 * cannot online.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/kmm.h>
#include <kmm/trace.h>

#include "mm/include/memory_hotplug.h"
#include "tests/harness.h"
#include "tests/proc_test.h"

#define BLOCK (128ULL << 20)

/* Fail the @nth allocation of order >= @min_order, once; @atomic_only: leave those that may reclaim alone. */
static void fail_nth_page_alloc(struct kmm_machine *m, unsigned long nth, unsigned int min_order,
				bool atomic_only)
{
	struct kmm_fault_attr a = {
		.interval = nth, .probability = 100, .times = 1,
		.min_order = min_order, .ignore_gfp_reclaim = atomic_only,
	};

	assert_eq(kmm_fail_inject(m, KMM_FAIL_PAGE_ALLOC, &a), 0);
}

/*
 * An add of @bytes as @type whose direct-map page-table allocation (the
 * first atomic one) fails: -ENOMEM, and DirectMap, MemTotal and
 * nr_memmap_pages as they were.
 */
static void expect_table_failure_changes_nothing(struct kmm_machine *m, uint64_t bytes, int type)
{
	long g1 = meminfo_kb(m, "DirectMap1G"), m2 = meminfo_kb(m, "DirectMap2M");
	long total = meminfo_kb(m, "MemTotal"), memmap = vmstat_val(m, "nr_memmap_pages");

	assert_true(g1 >= 0 && m2 >= 0);
	fail_nth_page_alloc(m, 1, 0, true);
	expect_eq(kmm_memory_hotplug_add(m, bytes, type, NULL), -ENOMEM);
	expect_str_contains(kmm_last_error(), "direct map's page table");
	expect_eq(kmm_fail_count(m, KMM_FAIL_PAGE_ALLOC), 1);
	assert_eq(kmm_fail_inject(m, KMM_FAIL_PAGE_ALLOC, NULL), 0);
	expect_eq(meminfo_kb(m, "DirectMap1G"), g1);
	expect_eq(meminfo_kb(m, "DirectMap2M"), m2);
	expect_eq(meminfo_kb(m, "MemTotal"), total);
	expect_eq(vmstat_val(m, "nr_memmap_pages"), memmap);
	expect_eq(kmm_check(m), 0);
}

/*
 * An add of 1.5 GiB at 4 GiB: the first GiB is one 1G mapping, counted at
 * once; the half GiB after it needs a page-table page, and that allocation
 * fails. The add fails with nothing changed: the 1G already counted is
 * taken back. Then the same add succeeds and counts each mapping once.
 */
TEST(failed_direct_map_leaves_directmap_unchanged)
{
	struct kmm_machine *m = kmm_boot("mem=256M maxmem=4G");
	long g1, m2, total;

	assert_true(m != NULL);
	kmm_use(m);
	g1 = meminfo_kb(m, "DirectMap1G");
	m2 = meminfo_kb(m, "DirectMap2M");
	total = meminfo_kb(m, "MemTotal");
	expect_table_failure_changes_nothing(m, 12 * BLOCK, KMM_MHP_ONLINE);

	/* the same add again, nothing failing: one 1G and 256 2M mappings more */
	assert_eq(kmm_memory_hotplug_add(m, 12 * BLOCK, KMM_MHP_ONLINE, NULL), 0);
	expect_eq(meminfo_kb(m, "DirectMap1G"), g1 + (1L << 20));
	expect_eq(meminfo_kb(m, "DirectMap2M"), m2 + (512L << 10));
	expect_eq(meminfo_kb(m, "MemTotal"), total + 12 * 131072);
	expect_eq(kmm_check(m), 0);
	kmm_use(NULL);
	kmm_shutdown(m);
}

/* A failure on a later GiB than the first: every GiB before it is taken back. */
TEST(failed_direct_map_after_a_partial_gib_takes_back_its_2m_pages)
{
	struct kmm_machine *m = kmm_boot("mem=256M maxmem=4G");
	long g1, m2;

	assert_true(m != NULL);
	kmm_use(m);
	/* 4G..4.5G: a fresh partial GiB, its table taken */
	assert_eq(kmm_memory_hotplug_add(m, 4 * BLOCK, KMM_MHP_OFFLINE, NULL), 0);
	g1 = meminfo_kb(m, "DirectMap1G");
	m2 = meminfo_kb(m, "DirectMap2M");
	/* 4.5G..5.5G: the rest of that GiB (2M pages, no new table), then 5G..5.5G fails */
	expect_table_failure_changes_nothing(m, 8 * BLOCK, KMM_MHP_OFFLINE);
	assert_eq(kmm_memory_hotplug_add(m, 8 * BLOCK, KMM_MHP_OFFLINE, NULL), 0);
	expect_eq(meminfo_kb(m, "DirectMap1G"), g1);
	expect_eq(meminfo_kb(m, "DirectMap2M"), m2 + (1024L << 10));
	expect_eq(kmm_check(m), 0);
	kmm_use(NULL);
	kmm_shutdown(m);
}

/* The vmemmap of the @nth block of a 3-block add at memory32 fails: the message names that block. */
static void vmemmap_failure_names(unsigned long nth, const char *want)
{
	struct kmm_machine *m = t_boot("mem=256M maxmem=1G");

	assert_true(m != NULL);
	fail_nth_page_alloc(m, nth, 9, false);
	expect_eq(kmm_memory_hotplug_add(m, 3 * BLOCK, KMM_MHP_ONLINE, NULL), -ENOMEM);
	expect_eq(kmm_fail_count(m, KMM_FAIL_PAGE_ALLOC), 1);
	if (strcmp(kmm_last_error(), want))
		kmm_test_fail(__FILE__, __LINE__, "error \"%s\", want \"%s\"", kmm_last_error(),
			      want);
	assert_eq(kmm_fail_inject(m, KMM_FAIL_PAGE_ALLOC, NULL), 0);
	expect_eq(vmstat_val(m, "nr_memmap_pages"), 0);
	t_done(m);	/* the vmemmaps taken before the failing one are back */
}

TEST(vmemmap_failure_names_the_block_that_failed)
{
	vmemmap_failure_names(1, "memory hotplug: no 2M block for the vmemmap of memory32");
	vmemmap_failure_names(2, "memory hotplug: no 2M block for the vmemmap of memory33");
	vmemmap_failure_names(3, "memory hotplug: no 2M block for the vmemmap of memory34");
}

/* memoryN/state of @m is @want. */
static void expect_block_state(struct kmm_machine *m, unsigned long block, const char *want)
{
	char path[64], *text = NULL;

	snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%lu/state", block);
	if (kmm_proc_read(m, path, &text) || strcmp(text, want))
		kmm_test_fail(__FILE__, __LINE__, "%s: \"%s\", want \"%s\"", path,
			      text ? text : kmm_last_error(), want);
	free(text);
}

/*
 * Blocks 32 and 33 are left offline below Normal's first block, 34: Normal
 * has pages and grows only upward, so neither can be onlined as "online".
 * Growth passes over them and adds block 35 above Normal, where it may go;
 * it used to stop at block 32 and fail every time from then on.
 */
TEST(grow_passes_over_blocks_it_cannot_online)
{
	struct kmm_machine *m = kmm_boot("mem=256M maxmem=1G");
	long total;

	assert_true(m != NULL);
	kmm_use(m);
	assert_eq(kmm_memory_hotplug_add(m, 2 * BLOCK, KMM_MHP_OFFLINE, NULL), 0);	/* 32, 33 */
	assert_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_ONLINE_KERNEL, NULL), 0);	/* 34 */
	total = meminfo_kb(m, "MemTotal");
	assert_eq(memory_hotplug_grow(m, BLOCK), 0);
	expect_block_state(m, 32, "offline\n");
	expect_block_state(m, 33, "offline\n");
	expect_block_state(m, 35, "online\n");
	expect_eq(meminfo_kb(m, "MemTotal"), total + 131072);
	/* and again: the two are tried again, passed over again, and 36 goes above 35 */
	assert_eq(memory_hotplug_grow(m, BLOCK), 0);
	expect_block_state(m, 36, "online\n");
	expect_eq(meminfo_kb(m, "MemTotal"), total + 2 * 131072);
	expect_eq(kmm_check(m), 0);
	kmm_use(NULL);
	kmm_shutdown(m);
}
