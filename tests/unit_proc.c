// SPDX-License-Identifier: MIT
/*
 * tests/unit_proc.c - the /proc formatters on hand-built machines, byte for
 * byte against Linux 6.12's formats, plus the dispatcher, the sysctl name
 * mapping and the integer parser. No boot needed: every zone, counter and
 * e820 entry here is set by the test, so every expected number is known.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/vmstat.h"
#include "tests/harness.h"
#include "mm/internal.h"
#include "proc/proc.h"
#include "mm/include/boot.h"	/* init_mem_mapping */

/* ---- A hand-built machine ---- */

struct fake {
	struct kmm_machine *m;
	struct list_head blocks[64];	/* stand-ins for free blocks on lists */
	int nr_blocks;
};

static struct zone *fzone(struct kmm_machine *m, int nid, enum zone_type t)
{
	return &m->node_data[nid]->node_zones[t];
}

static void fake_zone(struct kmm_machine *m, int nid, enum zone_type t, unsigned long start,
		      unsigned long spanned, unsigned long present, unsigned long managed)
{
	struct zone *z = fzone(m, nid, t);

	z->zone_start_pfn = start;
	z->spanned_pages = spanned;
	z->present_pages = present;
	atomic_store(&z->managed_pages, (long)managed);
}

static struct kmm_machine *fake_machine(struct fake *f, enum kmm_arch arch, int nodes)
{
	struct kmm_machine *m = kmm_machine_alloc();

	assert_true(m != NULL);
	memset(f, 0, sizeof(*f));
	f->m = m;
	m->opts.arch = arch;
	m->nr_cpus = 2;
	assert_eq(kmm_cpus_init(m), 0);
	pcpu_populate(m, 1);	/* both slots' pagesets and counters are read and written */
	m->nr_node_ids = nodes;
	m->pageblock_order = arch == KMM_ARCH_I386 ? 10 : 9;
	m->pageblock_nr_pages = 1UL << m->pageblock_order;
	m->zone_types_mask = arch == KMM_ARCH_X86_64
				     ? (1u << ZONE_DMA | 1u << ZONE_DMA32 | 1u << ZONE_NORMAL |
					1u << ZONE_MOVABLE)
				     : (1u << ZONE_DMA | 1u << ZONE_NORMAL | 1u << ZONE_HIGHMEM |
					1u << ZONE_MOVABLE);
	if (arch == KMM_ARCH_X86_64) {
		m->layout.vmalloc_start = 0xffffc90000000000ULL;
		m->layout.vmalloc_end = 0xffffe8ffffffffffULL;
	} else {
		m->layout.vmalloc_start = 0xf8800000ULL;
		m->layout.vmalloc_end = 0xff7fe000ULL;
	}
	strcpy(m->cmdline, "mem=1G test=1");
	for (int n = 0; n < nodes; n++) {
		pg_data_t *pgdat = calloc(1, sizeof(*pgdat));

		m->node_data[n] = pgdat;
		pgdat->node_id = n;
		for (int t = 0; t < MAX_NR_ZONES; t++) {
			struct zone *z = &pgdat->node_zones[t];

			z->node = n;
			z->type = (enum zone_type)t;
			z->name = zone_names[t];
			z->machine = m;
			z->zone_pgdat = pgdat;
			spin_lock_init(&z->lock);
			INIT_LIST_HEAD(&z->deferred_ranges);
			for (int o = 0; o < NR_PAGE_ORDERS; o++)
				for (int mt = 0; mt < MIGRATE_TYPES; mt++)
					INIT_LIST_HEAD(&z->free_area[o].free_list[mt]);
			z->per_cpu_pageset = pcpu_alloc(m, sizeof(struct per_cpu_pages), NULL, NULL);
			assert_true(z->per_cpu_pageset != NULL);
		}
	}
	return m;
}

/* Put @n stand-in blocks on a free list and count them in nr_free. */
static void fake_free(struct fake *f, struct zone *z, int order, int mt, int n)
{
	for (int i = 0; i < n; i++) {
		assert_true(f->nr_blocks < (int)ARRAY_SIZE(f->blocks));
		list_add_tail(&f->blocks[f->nr_blocks++], &z->free_area[order].free_list[mt]);
		z->free_area[order].nr_free++;
	}
}

static void fake_done(struct fake *f)
{
	struct kmm_machine *m = f->m;

	for (int n = 0; n < m->nr_node_ids; n++) {
		for (int t = 0; t < MAX_NR_ZONES; t++)
			pcpu_free(m, m->node_data[n]->node_zones[t].per_cpu_pageset);
		free(m->node_data[n]);
	}
	kmm_machine_free(m);
}

static char *render(struct kmm_machine *m, const char *path)
{
	char *out = NULL;
	int err = kmm_proc_read(m, path, &out);

	if (err)
		kmm_test_fail(__FILE__, __LINE__, "kmm_proc_read(%s) = %d", path, err);
	return out;
}

/* A 1 GiB x86-64 node: DMA and DMA32 populated, Normal and Movable empty. */
static struct kmm_machine *fake_x86_64(struct fake *f)
{
	struct kmm_machine *m = fake_machine(f, KMM_ARCH_X86_64, 1);
	struct zone *dma = fzone(m, 0, ZONE_DMA), *dma32 = fzone(m, 0, ZONE_DMA32);

	fake_zone(m, 0, ZONE_DMA, 1, 4095, 3998, 3840);
	fake_zone(m, 0, ZONE_DMA32, 4096, 258016, 258016, 225000);
	dma->_watermark[WMARK_MIN] = 10;
	dma->_watermark[WMARK_LOW] = 13;
	dma->_watermark[WMARK_HIGH] = 16;
	dma->_watermark[WMARK_PROMO] = 19;
	dma->lowmem_reserve[ZONE_DMA32] = 878;
	dma->lowmem_reserve[ZONE_NORMAL] = 878;
	dma->lowmem_reserve[ZONE_MOVABLE] = 878;
	per_cpu_ptr(dma->per_cpu_pageset, 0)->count = 5;
	per_cpu_ptr(dma->per_cpu_pageset, 0)->high = 42;
	per_cpu_ptr(dma->per_cpu_pageset, 0)->batch = 7;
	per_cpu_ptr(dma->per_cpu_pageset, 1)->high = 42;
	per_cpu_ptr(dma->per_cpu_pageset, 1)->batch = 7;
	mod_zone_page_state(dma, NR_FREE_PAGES, 3000);
	mod_zone_page_state(dma32, NR_FREE_PAGES, 220000);
	fake_free(f, dma, 0, MIGRATE_UNMOVABLE, 1);
	fake_free(f, dma, 3, MIGRATE_MOVABLE, 1);
	fake_free(f, dma, 4, MIGRATE_MOVABLE, 3);
	fake_free(f, dma32, 10, MIGRATE_MOVABLE, 2);
	fake_free(f, dma32, 9, MIGRATE_RECLAIMABLE, 1);
	m->node_data[0]->node_present_pages = 3998 + 258016;
	atomic_store(&m->totalram_pages, 228840);
	return m;
}

/* ---- Tests ---- */

TEST(every_counter_has_a_name)
{
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		expect_true(zone_stat_names[i] != NULL);
	for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++)
		expect_true(numa_stat_names[i] != NULL);
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		expect_true(node_stat_names[i] != NULL);
	for (int i = 0; i < NR_VM_STAT_ITEMS; i++)
		expect_true(vm_stat_names[i] != NULL);
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		if (!expect_true(vm_event_names[i] != NULL))
			fprintf(stderr, "  vm_event_item %d has no name\n", i);
}

TEST(buddyinfo_format)
{
	struct fake f;
	struct kmm_machine *m = fake_x86_64(&f);
	char *s = render(m, "/proc/buddyinfo");

	assert_true(s != NULL);
	/* Populated zones only; "%6lu " per order; every line ends in a space. */
	expect_eq(strcmp(s, "Node 0, zone      DMA      1      0      0      1      3      0"
			    "      0      0      0      0      0 \n"
			    "Node 0, zone    DMA32      0      0      0      0      0      0"
			    "      0      0      0      1      2 \n"),
		  0);
	if (strcmp(s, "") && strstr(s, "Normal"))
		kmm_test_fail(__FILE__, __LINE__, "empty zone printed:\n%s", s);
	free(s);
	fake_done(&f);
}

TEST(pagetypeinfo_format)
{
	struct fake f;
	struct kmm_machine *m = fake_x86_64(&f);
	char *s = render(m, "/proc/pagetypeinfo");
	const char *want_head =
		"Page block order: 9\n"
		"Pages per block:  512\n"
		"\n"
		"Free pages count per migrate type at order       0      1      2      3      4"
		"      5      6      7      8      9     10 \n"
		"Node    0, zone      DMA, type    Unmovable      1      0      0      0      0"
		"      0      0      0      0      0      0 \n"
		"Node    0, zone      DMA, type      Movable      0      0      0      1      3"
		"      0      0      0      0      0      0 \n";
	const char *want_blocks =
		"\nNumber of blocks type     Unmovable      Movable  Reclaimable   HighAtomic"
		"          CMA      Isolate \n"
		"Node 0, zone      DMA            0            0            0            0"
		"            0            0 \n"
		"Node 0, zone    DMA32            0            0            0            0"
		"            0            0 \n";

	assert_true(s != NULL);
	expect_eq(strncmp(s, want_head, strlen(want_head)), 0);
	expect_str_contains(s, "Node    0, zone    DMA32, type  Reclaimable      0      0      0"
			       "      0      0      0      0      0      0      1      0 \n");
	expect_str_contains(s, "Node    0, zone    DMA32, type      Isolate      0");
	expect_str_contains(s, "Node    0, zone      DMA, type          CMA ");
	expect_str_contains(s, "Node    0, zone      DMA, type   HighAtomic ");
	expect_eq(strcmp(s + strlen(s) - strlen(want_blocks), want_blocks), 0);
	free(s);
	fake_done(&f);
}

TEST(pagetypeinfo_caps_long_lists_and_counts_deferred_sections)
{
	struct fake f;
	struct kmm_machine *m = fake_x86_64(&f);
	struct zone *dma32 = fzone(m, 0, ZONE_DMA32);
	char *s;

	/* Two deferred sections: 2 * 32 MAX_PAGE_ORDER blocks on no list yet. */
	dma32->nr_deferred_blocks = 64;
	dma32->free_area[10].nr_free += 64;
	s = render(m, "/proc/pagetypeinfo");
	expect_str_contains(s, "Node    0, zone    DMA32, type      Movable      0      0      0"
			       "      0      0      0      0      0      0      0     66 \n");
	free(s);
	/* 100000 or more blocks on a list print as ">100000". */
	dma32->nr_deferred_blocks = 100000 + 1;
	s = render(m, "/proc/pagetypeinfo");
	expect_str_contains(s, "type      Movable      0      0      0      0      0      0      0"
			       "      0      0      0 >100000 \n");
	free(s);
	dma32->nr_deferred_blocks = 0;
	fake_done(&f);
}

TEST(zoneinfo_format)
{
	struct fake f;
	struct kmm_machine *m = fake_x86_64(&f);
	char *s = render(m, "/proc/zoneinfo");
	const char *dma_tail =
		"\n  pages free     3000"
		"\n        boost    0"
		"\n        min      10"
		"\n        low      13"
		"\n        high     16"
		"\n        promo    19"
		"\n        spanned  4095"
		"\n        present  3998"
		"\n        managed  3840"
		"\n        cma      0"
		"\n        protection: (0, 878, 878, 878)"
		"\n      nr_free_pages 3000"
		"\n      nr_zone_inactive_anon 0";
	const char *pagesets =
		"\n  pagesets"
		"\n    cpu: 0"
		"\n              count: 5"
		"\n              high:  42"
		"\n              batch: 7"
		"\n  vm stats threshold: 4"	/* 2*fls(2)*(1+fls(3840>>15)) */
		"\n    cpu: 1"
		"\n              count: 0"
		"\n              high:  42"
		"\n              batch: 7"
		"\n  vm stats threshold: 4"
		"\n  node_unreclaimable:  0"
		"\n  start_pfn:           1\n"
		"Node 0, zone    DMA32\n  pages free     220000\n";
	const char *empty =
		"Node 0, zone   Normal"
		"\n  pages free     0"
		"\n        boost    0"
		"\n        min      0"
		"\n        low      0"
		"\n        high     0"
		"\n        promo    0"
		"\n        spanned  0"
		"\n        present  0"
		"\n        managed  0"
		"\n        cma      0"
		"\n        protection: (0, 0, 0, 0)\n"
		"Node 0, zone  Movable\n";

	assert_true(s != NULL);
	/* The per-node block sits on the first populated zone only. */
	expect_eq(strncmp(s, "Node 0, zone      DMA\n  per-node stats\n      nr_inactive_anon 0\n"
			     "      nr_active_anon 0\n",
			  strlen("Node 0, zone      DMA\n  per-node stats\n      nr_inactive_anon 0\n"
				 "      nr_active_anon 0\n")),
		  0);
	expect_eq(strstr(s + 30, "per-node stats") == NULL, true);
	expect_str_contains(s, "\n      nr_unevictable 0\n");	/* %-12s pads to 12 */
	expect_str_contains(s, "\n      nr_mlock     0\n");
	expect_str_contains(s, "\n      numa_hit     0\n");
	expect_str_contains(s, "\n      pgdemote_khugepaged 0\n  pages free     3000\n");
	expect_str_contains(s, dma_tail);
	expect_str_contains(s, pagesets);
	expect_str_contains(s, empty);
	/* x86-64 has no HighMem zone; threshold of 225000 managed pages: 2*2*(1+3). */
	expect_true(strstr(s, "HighMem") == NULL);
	expect_str_contains(s, "\n  vm stats threshold: 16\n");
	expect_eq(s[strlen(s) - 1], '\n');
	free(s);
	fake_done(&f);
}

/* Linux 6.12's /proc/vmstat names for Debian's x86-64 config, in order. */
static const char *const vmstat_x86_64[] = {
	"nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon",
	"nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable",
	"nr_zone_write_pending", "nr_mlock", "nr_bounce", "nr_zspages", "nr_free_cma",
	"nr_unaccepted", "numa_hit", "numa_miss", "numa_foreign", "numa_interleave",
	"numa_local", "numa_other", "nr_inactive_anon", "nr_active_anon", "nr_inactive_file",
	"nr_active_file", "nr_unevictable", "nr_slab_reclaimable", "nr_slab_unreclaimable",
	"nr_isolated_anon", "nr_isolated_file", "workingset_nodes", "workingset_refault_anon",
	"workingset_refault_file", "workingset_activate_anon", "workingset_activate_file",
	"workingset_restore_anon", "workingset_restore_file", "workingset_nodereclaim",
	"nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_dirty", "nr_writeback",
	"nr_writeback_temp", "nr_shmem", "nr_shmem_hugepages", "nr_shmem_pmdmapped",
	"nr_file_hugepages", "nr_file_pmdmapped", "nr_anon_transparent_hugepages",
	"nr_vmscan_write", "nr_vmscan_immediate_reclaim", "nr_dirtied", "nr_written",
	"nr_throttled_written", "nr_kernel_misc_reclaimable", "nr_foll_pin_acquired",
	"nr_foll_pin_released", "nr_kernel_stack", "nr_page_table_pages",
	"nr_sec_page_table_pages", "nr_iommu_pages", "nr_swapcached", "pgpromote_success",
	"pgpromote_candidate", "pgdemote_kswapd", "pgdemote_direct", "pgdemote_khugepaged",
	"nr_dirty_threshold", "nr_dirty_background_threshold", "nr_memmap_pages",
	"nr_memmap_boot_pages", "pgpgin", "pgpgout", "pswpin", "pswpout", "pgalloc_dma",
	"pgalloc_dma32", "pgalloc_normal", "pgalloc_movable", "allocstall_dma",
	"allocstall_dma32", "allocstall_normal", "allocstall_movable", "pgskip_dma",
	"pgskip_dma32", "pgskip_normal", "pgskip_movable", "pgfree", "pgactivate",
	"pgdeactivate", "pglazyfree", "pgfault", "pgmajfault", "pglazyfreed", "pgrefill",
	"pgreuse", "pgsteal_kswapd", "pgsteal_direct", "pgsteal_khugepaged", "pgscan_kswapd",
	"pgscan_direct", "pgscan_khugepaged", "pgscan_direct_throttle", "pgscan_anon",
	"pgscan_file", "pgsteal_anon", "pgsteal_file", "zone_reclaim_success",
	"zone_reclaim_failed", "pginodesteal", "slabs_scanned", "kswapd_inodesteal",
	"kswapd_low_wmark_hit_quickly", "kswapd_high_wmark_hit_quickly", "pageoutrun",
	"pgrotated", "drop_pagecache", "drop_slab", "oom_kill", "numa_pte_updates",
	"numa_huge_pte_updates", "numa_hint_faults", "numa_hint_faults_local",
	"numa_pages_migrated", "pgmigrate_success", "pgmigrate_fail", "thp_migration_success",
	"thp_migration_fail", "thp_migration_split", "compact_migrate_scanned",
	"compact_free_scanned", "compact_isolated", "compact_stall", "compact_fail",
	"compact_success", "compact_daemon_wake", "compact_daemon_migrate_scanned",
	"compact_daemon_free_scanned", "htlb_buddy_alloc_success", "htlb_buddy_alloc_fail",
	"cma_alloc_success", "cma_alloc_fail", "unevictable_pgs_culled",
	"unevictable_pgs_scanned", "unevictable_pgs_rescued", "unevictable_pgs_mlocked",
	"unevictable_pgs_munlocked", "unevictable_pgs_cleared", "unevictable_pgs_stranded",
	"thp_fault_alloc", "thp_fault_fallback", "thp_fault_fallback_charge",
	"thp_collapse_alloc", "thp_collapse_alloc_failed", "thp_file_alloc",
	"thp_file_fallback", "thp_file_fallback_charge", "thp_file_mapped", "thp_split_page",
	"thp_split_page_failed", "thp_deferred_split_page", "thp_underused_split_page",
	"thp_split_pmd", "thp_scan_exceed_none_pte", "thp_scan_exceed_swap_pte",
	"thp_scan_exceed_share_pte", "thp_split_pud", "thp_zero_page_alloc",
	"thp_zero_page_alloc_failed", "thp_swpout", "thp_swpout_fallback", "balloon_inflate",
	"balloon_deflate", "balloon_migrate", "swap_ra", "swap_ra_hit", "swpin_zero",
	"swpout_zero", "ksm_swpin_copy", "cow_ksm", "zswpin", "zswpout", "zswpwb",
	"direct_map_level2_splits", "direct_map_level3_splits", "nr_unstable",
};

TEST(vmstat_names_and_order_x86_64)
{
	struct fake f;
	struct kmm_machine *m = fake_x86_64(&f);
	char *s = render(m, "/proc/vmstat"), *line, *save = NULL;
	size_t i = 0;

	assert_true(s != NULL);
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		char name[64];
		unsigned long v;
		int used = 0;

		if (!expect_eq(sscanf(line, "%63s %lu%n", name, &v, &used), 2) ||
		    !expect_eq(used, (int)strlen(line)))
			break;
		if (i >= ARRAY_SIZE(vmstat_x86_64) || strcmp(name, vmstat_x86_64[i])) {
			kmm_test_fail(__FILE__, __LINE__, "line %zu is \"%s\", want \"%s\"", i,
				      name, i < ARRAY_SIZE(vmstat_x86_64) ? vmstat_x86_64[i] : "");
			break;
		}
		if (!strcmp(name, "nr_free_pages"))
			expect_eq(v, 223000);
		if (!strcmp(name, "nr_unstable"))
			expect_eq(v, 0);
	}
	expect_eq(i, ARRAY_SIZE(vmstat_x86_64));
	free(s);
	fake_done(&f);
}

TEST(vmstat_i386_zone_events_and_config)
{
	struct fake f;
	struct kmm_machine *m = fake_machine(&f, KMM_ARCH_I386, 1);
	char *s;

	per_cpu_ptr(m->vm_events, 0)->event[PGALLOC_HIGH] = 7;
	per_cpu_ptr(m->vm_events, 1)->event[PGALLOC_HIGH] = 5;
	per_cpu_ptr(m->vm_events, 0)->event[PGPGIN] = 9;	/* sectors: shown as kB, halved */
	s = render(m, "/proc/vmstat");
	expect_str_contains(s, "\npgalloc_dma 0\npgalloc_normal 0\npgalloc_high 12\n"
			       "pgalloc_movable 0\nallocstall_dma 0\n");
	expect_str_contains(s, "\npgpgin 4\n");
	expect_true(strstr(s, "dma32") == NULL);
	expect_true(strstr(s, "nr_unaccepted") == NULL);
	expect_true(strstr(s, "thp_split_pud") == NULL);
	free(s);
	fake_done(&f);
}

static const char *const meminfo_x86_64[] = {
	"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapCached", "Active",
	"Inactive", "Active(anon)", "Inactive(anon)", "Active(file)", "Inactive(file)",
	"Unevictable", "Mlocked", "SwapTotal", "SwapFree", "Zswap", "Zswapped", "Dirty",
	"Writeback", "AnonPages", "Mapped", "Shmem", "KReclaimable", "Slab", "SReclaimable",
	"SUnreclaim", "KernelStack", "PageTables", "SecPageTables", "NFS_Unstable", "Bounce",
	"WritebackTmp", "CommitLimit", "Committed_AS", "VmallocTotal", "VmallocUsed",
	"VmallocChunk", "Percpu", "HardwareCorrupted", "AnonHugePages", "ShmemHugePages",
	"ShmemPmdMapped", "FileHugePages", "FilePmdMapped", "CmaTotal", "CmaFree", "Unaccepted",
	"HugePages_Total", "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp", "Hugepagesize",
	"Hugetlb", "DirectMap4k", "DirectMap2M", "DirectMap1G",
};

/* Check every line's shape; return the value of @field (kB or count). */
static unsigned long meminfo_check(const char *text, const char *const *names, size_t n,
				   const char *field)
{
	char *s = strdup(text), *line, *save = NULL;
	unsigned long found = ~0UL;
	size_t i = 0;

	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		const char *colon = strchr(line, ':');
		size_t len = strlen(line);
		unsigned long v;
		char unit[4] = "";

		if (!expect_true(colon != NULL) || !expect_true(i < n))
			break;
		if (strncmp(line, names[i], (size_t)(colon - line)) ||
		    strlen(names[i]) != (size_t)(colon - line)) {
			kmm_test_fail(__FILE__, __LINE__, "line %zu is \"%s\", want %s", i, line,
				      names[i]);
			break;
		}
		if (!strncmp(line, "HugePages_", 10)) {
			/* "HugePages_Total:   %5lu" */
			expect_eq(len, 24);
			expect_eq(sscanf(line + 19, "%5lu", &v), 1);
		} else if (!strcmp(names[i], "HardwareCorrupted")) {
			expect_eq(len, strlen("HardwareCorrupted: ") + 5 + 3);
			expect_eq(sscanf(colon + 1, "%lu %3s", &v, unit), 2);
		} else {
			/* "%-16s%8lu kB": the value right-aligned to column 24 (or wider). */
			int used = 0;

			expect_true(len >= 27);
			expect_eq(strcmp(line + len - 3, " kB"), 0);
			expect_true(line[len - 4] >= '0' && line[len - 4] <= '9');
			expect_eq(sscanf(line + 16, "%lu%n", &v, &used), 1);
			expect_eq(16 + used, (int)len - 3);
			if (len == 27)
				expect_true(line[16] == ' ' || v >= 10000000);
		}
		if (!strcmp(names[i], field))
			found = v;
	}
	expect_eq(i, n);
	free(s);
	return found;
}

TEST(meminfo_fields_x86_64)
{
	struct fake f;
	struct kmm_machine *m = fake_x86_64(&f);
	char *s;

	/* e820: 639 KiB + (1 GiB - 1 MiB - 128 KiB) of RAM. */
	m->e820.nr_entries = 2;
	m->e820.entries[0] = (struct e820_entry){ 0x1000, 0x9e000, E820_TYPE_RAM };
	m->e820.entries[1] = (struct e820_entry){ 0x100000, 0x3fee0000, E820_TYPE_RAM };
	m->max_pfn = m->max_low_pfn = 0x3ffe0;
	/* memblock's memory as setup_arch() leaves it, and the direct map counted on it. */
	assert_eq(memblock_add_node(m, 0x1000, 0x9e000, 0), 0);
	assert_eq(memblock_add_node(m, 0x100000, 0x3fee0000, 0), 0);
	m->memblock.current_limit = PFN_PHYS(m->max_pfn);
	assert_eq(init_mem_mapping(m, false), 0);
	s = render(m, "/proc/meminfo");
	assert_true(s != NULL);
	expect_eq(meminfo_check(s, meminfo_x86_64, ARRAY_SIZE(meminfo_x86_64), "MemTotal"),
		  228840UL * 4);
	expect_eq(meminfo_check(s, meminfo_x86_64, ARRAY_SIZE(meminfo_x86_64), "MemFree"),
		  223000UL * 4);
	/* MemAvailable: free - totalreserve (0) + nothing reclaimable. */
	expect_eq(meminfo_check(s, meminfo_x86_64, ARRAY_SIZE(meminfo_x86_64), "MemAvailable"),
		  223000UL * 4);
	/* CommitLimit: totalram * 50% + no swap. */
	expect_eq(meminfo_check(s, meminfo_x86_64, ARRAY_SIZE(meminfo_x86_64), "CommitLimit"),
		  228840UL / 2 * 4);
	expect_str_contains(s, "\nVmallocTotal:   34359738367 kB\n");
	expect_str_contains(s, "\nHugepagesize:       2048 kB\n");
	expect_str_contains(s, "\nHardwareCorrupted:     0 kB\n");
	/*
	 * DirectMap, as init_mem_mapping() walks it: the first MiB 4k (256
	 * pages); top-down from the free 2M block below 1024M-128K: [1020M,
	 * 1022M) 2M, [512M, 1020M) 2M (254), [1M, 2M) 4k (256), [2M, 512M) 2M
	 * (255); then above that block [1022M, 1024M-128K) 4k (480 pages);
	 * no GiB of memory starts at a GiB boundary, so no 1G page.
	 */
	expect_str_contains(s, "\nDirectMap4k:        3968 kB\nDirectMap2M:     1044480 kB\n"
			       "DirectMap1G:           0 kB\n");
	free(s);
	fake_done(&f);
}

TEST(meminfo_i386_highmem_fields)
{
	struct fake f;
	struct kmm_machine *m = fake_machine(&f, KMM_ARCH_I386, 1);
	struct zone *high = fzone(m, 0, ZONE_HIGHMEM), *normal = fzone(m, 0, ZONE_NORMAL);
	char *s;

	m->max_low_pfn = 0x37ffe;
	fake_zone(m, 0, ZONE_NORMAL, 4096, 0x37ffe - 4096, 0x37ffe - 4096, 200000);
	fake_zone(m, 0, ZONE_HIGHMEM, 0x37ffe, 0x8002, 0x8002, 0x8002);
	mod_zone_page_state(high, NR_FREE_PAGES, 30000);
	mod_zone_page_state(normal, NR_FREE_PAGES, 150000);
	atomic_store(&m->totalram_pages, 200000 + 0x8002);
	atomic_store(&m->totalhigh_pages, 0x8002);
	s = render(m, "/proc/meminfo");
	expect_str_contains(s, "\nMlocked:               0 kB\nHighTotal:        131080 kB\n"
			       "HighFree:         120000 kB\nLowTotal:         800000 kB\n"
			       "LowFree:          600000 kB\nSwapTotal:");
	expect_str_contains(s, "\nHugepagesize:       4096 kB\n");
	/* VMALLOC_END - VMALLOC_START of the fake layout. */
	expect_str_contains(s, "\nVmallocTotal:     114680 kB\n");
	expect_str_contains(s, "\nDirectMap4M:");
	expect_true(strstr(s, "DirectMap1G") == NULL);
	expect_true(strstr(s, "DirectMap2M") == NULL);
	expect_true(strstr(s, "Unaccepted") == NULL);
	free(s);
	fake_done(&f);
}

TEST(iomem_tree)
{
	struct fake f;
	struct kmm_machine *m = fake_machine(&f, KMM_ARCH_X86_64, 1);
	struct e820_entry e[] = {
		{ 0x0, 0x1000, E820_TYPE_RESERVED },
		{ 0x1000, 0x9ec00, E820_TYPE_RAM },
		{ 0x9fc00, 0x400, E820_TYPE_RESERVED },
		{ 0xf0000, 0x10000, E820_TYPE_RESERVED },
		{ 0x100000, 0x3fe00000, E820_TYPE_RAM },
		{ 0x3ffe0000, 0x20000, E820_TYPE_RESERVED },
		{ 0xfffc0000, 0x40000, E820_TYPE_RESERVED },
		{ 0x100000000ULL, 0x40000000, E820_TYPE_RAM },
	};
	char *s;

	memcpy(m->e820.entries, e, sizeof(e));
	m->e820.nr_entries = (int)ARRAY_SIZE(e);
	/* The image's sections as the build lays them out (ends exclusive). */
	static const struct kmm_kconfig build = {
		.name = "test", .arch = KMM_ARCH_X86_64,
		.image = { .text = 0x1000000, .etext = 0x1a00000, .rodata = 0x1a00000,
			   .rodata_end = 0x1e00000, .sdata = 0x1e00000, .edata = 0x2000000,
			   .init = 0x2000000, .init_end = 0x2100000, .bss = 0x2100000,
			   .bss_end = 0x2400000, .reserve_end = 0x2400000 },
		.hpet_timer = true,
	};
	const struct kmm_kconfig *saved = m->kconfig;

	m->kconfig = &build;
	m->opts.nr_mmio = 2;
	m->opts.mmio[0] = (struct kmm_mmio){ 0xe0000000, 0x1000000, "fb" };
	m->opts.mmio[1] = (struct kmm_mmio){ 0xfebff000, 0x2000, "straddles" };
	s = render(m, "/proc/iomem");
	expect_eq(strcmp(s, "00000000-00000fff : Reserved\n"
			    "00001000-0009fbff : System RAM\n"
			    "0009fc00-0009ffff : Reserved\n"
			    "000a0000-000bffff : PCI Bus 0000:00\n"
			    "000c0000-000c05ff : Video ROM\n"
			    "000f0000-000fffff : Reserved\n"
			    "  000f0000-000fffff : System ROM\n"
			    "00100000-3fefffff : System RAM\n"
			    "  01000000-019fffff : Kernel code\n"
			    "  01a00000-01dfffff : Kernel rodata\n"
			    "  01e00000-01ffffff : Kernel data\n"
			    "  02100000-023fffff : Kernel bss\n"
			    "3ff00000-3ffdffff : RAM buffer\n"
			    "3ffe0000-3fffffff : Reserved\n"
			    "40000000-febfffff : PCI Bus 0000:00\n"
			    "  e0000000-e0ffffff : fb\n"
			    "fec00000-fec003ff : IOAPIC 0\n"
			    "fed00000-fed003ff : HPET 0\n"
			    "  fed00000-fed003ff : PNP0103:00\n"
			    "fffc0000-ffffffff : Reserved\n"
			    "100000000-13fffffff : System RAM\n"
			    "140000000-1bfffffff : PCI Bus 0000:00\n"),
		  0);
	if (strstr(s, "straddles"))
		kmm_test_fail(__FILE__, __LINE__, "a partially overlapping region was inserted");
	free(s);
	m->kconfig = saved;
	fake_done(&f);
}

TEST(cmdline_and_unknown_paths)
{
	struct fake f;
	struct kmm_machine *m = fake_machine(&f, KMM_ARCH_X86_64, 1);
	char *s = NULL;

	s = render(m, "/proc/cmdline");
	expect_eq(strcmp(s, "mem=1G test=1\n"), 0);
	free(s);
	s = (char *)1;
	expect_eq(kmm_proc_read(m, "/proc/nonexistent", &s), -ENOENT);
	expect_true(s == NULL);
	expect_str_contains(kmm_last_error(), "/proc/nonexistent");
	expect_eq(kmm_proc_read(m, "/proc/buddyinfo/", &s), -ENOENT);
	expect_eq(kmm_proc_read(m, "proc/buddyinfo", &s), -ENOENT);
	expect_eq(kmm_proc_write(m, "/proc/nonexistent", "1"), -ENOENT);
	expect_eq(kmm_proc_write(m, "/proc/buddyinfo", "1"), -EACCES);
	expect_eq(kmm_proc_write(m, "/proc/sys/vm/nope", "1"), -ENOENT);
	expect_eq(kmm_proc_mode(m, "/proc/pagetypeinfo"), 0400);
	expect_eq(kmm_proc_mode(m, "/proc/sys/vm/min_free_kbytes"), 0644);
	expect_eq(kmm_proc_mode(m, "/proc/nope"), -ENOENT);
	fake_done(&f);
}

static int list_cb(const char *path, unsigned int mode, void *arg)
{
	struct strbuf *sb = arg;

	sb_printf(sb, "%s %o\n", path, mode);
	return 0;
}

static int stop_cb(const char *path, unsigned int mode, void *arg)
{
	(*(int *)arg)++;
	return 42;
}

TEST(listing)
{
	struct fake f;
	struct kmm_machine *m = fake_machine(&f, KMM_ARCH_X86_64, 1);
	struct strbuf sb;
	int calls = 0;

	sb_init(&sb);
	expect_eq(kmm_proc_list(m, "/proc/sys/vm", list_cb, &sb), 0);
	/* This layer's sysctls (later layers add theirs), in byte order. */
	expect_str_contains(sb.buf, "/proc/sys/vm/lowmem_reserve_ratio 644\n");
	expect_str_contains(sb.buf, "/proc/sys/vm/min_free_kbytes 644\n");
	expect_str_contains(sb.buf, "/proc/sys/vm/percpu_pagelist_high_fraction 644\n");
	expect_str_contains(sb.buf, "/proc/sys/vm/watermark_boost_factor 644\n");
	expect_str_contains(sb.buf, "/proc/sys/vm/watermark_scale_factor 644\n");
	for (char *p = sb.buf, *nl; p && (nl = strchr(p, '\n')) && nl[1]; p = nl + 1) {
		expect_eq(strncmp(p, "/proc/sys/vm/", 13), 0);
		expect_true(strcmp(p, nl + 1) < 0);
	}
	sb_free(&sb);
	sb_init(&sb);
	expect_eq(kmm_proc_list(m, "/proc/", list_cb, &sb), 0);
	expect_str_contains(sb.buf, "/proc/buddyinfo 444\n/proc/cmdline 444\n/proc/iomem 444\n");
	expect_str_contains(sb.buf, "/proc/pagetypeinfo 400\n");
	sb_free(&sb);
	expect_eq(kmm_proc_list(m, "/proc/sys/kernel", list_cb, &sb), -ENOENT);
	expect_eq(kmm_proc_list(m, "/proc/sys/v", list_cb, &sb), -ENOENT);	/* not a prefix match */
	expect_eq(kmm_proc_list(m, "", stop_cb, &calls), 42);
	expect_eq(calls, 1);
	fake_done(&f);
}

TEST(sysctl_names)
{
	char buf[64];

	expect_eq(kmm_sysctl_name_to_path("vm.min_free_kbytes", buf, sizeof(buf)), 0);
	expect_eq(strcmp(buf, "/proc/sys/vm/min_free_kbytes"), 0);
	expect_eq(kmm_sysctl_name_to_path("vm/swappiness", buf, sizeof(buf)), 0);
	expect_eq(strcmp(buf, "/proc/sys/vm/swappiness"), 0);
	expect_eq(kmm_sysctl_name_to_path("", buf, sizeof(buf)), -EINVAL);
	expect_eq(kmm_sysctl_name_to_path("vm..x", buf, sizeof(buf)), -EINVAL);
	expect_eq(kmm_sysctl_name_to_path(".vm", buf, sizeof(buf)), -EINVAL);
	expect_eq(kmm_sysctl_name_to_path("vm.", buf, sizeof(buf)), -EINVAL);
	expect_eq(kmm_sysctl_name_to_path("vm.a b", buf, sizeof(buf)), -EINVAL);
	expect_eq(kmm_sysctl_name_to_path("vm.x=1", buf, sizeof(buf)), -EINVAL);
	expect_eq(kmm_sysctl_name_to_path("vm.min_free_kbytes", buf, 20), -ENAMETOOLONG);
	expect_eq(kmm_sysctl_path_to_name("/proc/sys/vm/min_free_kbytes", buf, sizeof(buf)), 0);
	expect_eq(strcmp(buf, "vm.min_free_kbytes"), 0);
	expect_eq(kmm_sysctl_path_to_name("/proc/meminfo", buf, sizeof(buf)), -EINVAL);
	expect_eq(kmm_sysctl_path_to_name("/proc/sys/", buf, sizeof(buf)), -EINVAL);
	expect_eq(kmm_sysctl_path_to_name("/proc/sys/vm/min_free_kbytes", buf, 5), -ENAMETOOLONG);
}

TEST(proc_dointvec_parsing)
{
	long v[4];
	int i;

	expect_eq(proc_parse_ints("42", v, 4), 1);
	expect_eq(v[0], 42);
	expect_eq(proc_parse_ints("  7\n", v, 4), 1);
	expect_eq(v[0], 7);
	expect_eq(proc_parse_ints("0x10 010 -5", v, 4), 3);	/* base 0, as strtoul */
	expect_eq(v[0], 16);
	expect_eq(v[1], 8);
	expect_eq(v[2], -5);
	expect_eq(proc_parse_ints("256\t256\t32\t0\n", v, 4), 4);
	expect_eq(proc_parse_ints("1 2 3 4 5", v, 4), -EINVAL);
	expect_eq(proc_parse_ints("", v, 4), -EINVAL);
	expect_eq(proc_parse_ints(" \n", v, 4), -EINVAL);
	expect_eq(proc_parse_ints("12abc", v, 4), -EINVAL);
	expect_eq(proc_parse_ints("abc", v, 4), -EINVAL);
	expect_eq(proc_parse_ints("+5", v, 4), -EINVAL);
	expect_eq(proc_parse_ints("--5", v, 4), -EINVAL);
	expect_eq(proc_parse_ints("2147483648", v, 4), -EINVAL);
	expect_eq(proc_parse_ints("-2147483648", v, 4), 1);
	expect_eq(proc_parse_ints("99999999999999999999999", v, 4), -EINVAL);
	expect_eq(proc_parse_int_range("3000", 1, 3000, &i), 0);
	expect_eq(i, 3000);
	expect_eq(proc_parse_int_range("3001", 1, 3000, &i), -EINVAL);
	expect_eq(proc_parse_int_range("0", 1, 3000, &i), -EINVAL);
	expect_eq(proc_parse_int_range("5 6", 1, 3000, &i), -EINVAL);
	expect_eq(i, 3000);
}

TEST(vm_stats_threshold_formula)
{
	struct fake f;
	struct kmm_machine *m = fake_machine(&f, KMM_ARCH_X86_64, 1);
	struct zone *z = fzone(m, 0, ZONE_NORMAL);

	/* min(125, 2 * fls(cpus) * (1 + fls(managed >> 15))) */
	atomic_store(&z->managed_pages, 0);
	expect_eq(calculate_normal_threshold(z), 4);
	atomic_store(&z->managed_pages, 32768);		/* 128 MiB */
	expect_eq(calculate_normal_threshold(z), 8);
	atomic_store(&z->managed_pages, 4L << 18);	/* 4 GiB: mem 32, fls 6 */
	expect_eq(calculate_normal_threshold(z), 28);
	m->nr_cpus = 64;				/* fls(64) = 7 */
	atomic_store(&z->managed_pages, 1L << 28);	/* 1 TiB: mem 8192, fls 14 */
	expect_eq(calculate_normal_threshold(z), 125);
	m->nr_cpus = 2;
	fake_done(&f);
}

/* ---- Sysctl writes on the hand-built x86-64 node (hand-computed values) ---- */

static void fake_sysctl_defaults(struct kmm_machine *m)
{
	static const int ratio[MAX_NR_ZONES] = { 256, 256, 32, 0, 0 };

	m->min_free_kbytes = 1024;
	m->user_min_free_kbytes = -1;
	m->watermark_scale_factor = 10;
	m->watermark_boost_factor = 15000;
	memcpy(m->lowmem_reserve_ratio, ratio, sizeof(ratio));
}

static void expect_wmarks(struct zone *z, unsigned long min, unsigned long low,
			  unsigned long high, unsigned long promo)
{
	if (!expect_eq(z->_watermark[WMARK_MIN], min) || !expect_eq(z->_watermark[WMARK_LOW], low) ||
	    !expect_eq(z->_watermark[WMARK_HIGH], high) ||
	    !expect_eq(z->_watermark[WMARK_PROMO], promo))
		fprintf(stderr, "  in zone %s\n", z->name);
}

TEST(sysctl_writes_recompute_exactly)
{
	struct fake f;
	struct kmm_machine *m = fake_x86_64(&f);
	struct zone *dma = fzone(m, 0, ZONE_DMA), *dma32 = fzone(m, 0, ZONE_DMA32);
	struct zone *movable = fzone(m, 0, ZONE_MOVABLE);
	char *s;

	fake_sysctl_defaults(m);
	/*
	 * min_free_kbytes 4096: pages_min 1024 over lowmem 3840 + 225000 pages.
	 * DMA: min 1024*3840/228840 = 17, gap max(17/4, 3840*10/10000) = 4.
	 * DMA32: min 1006, gap max(251, 225) = 251.
	 * Movable (empty, like HighMem): min clamp(0/1024, 32, 128) = 32, gap 0.
	 */
	expect_eq(kmm_proc_write(m, "/proc/sys/vm/min_free_kbytes", "4096\n"), 0);
	expect_eq(m->user_min_free_kbytes, 4096);
	expect_wmarks(dma, 17, 21, 25, 29);
	expect_wmarks(dma32, 1006, 1257, 1508, 1759);
	expect_wmarks(movable, 32, 32, 32, 32);
	/* pcp of DMA32: batch rounddown_pow2(54 + 27) - 1 = 63; high low/2 cpus = 628. */
	s = render(m, "/proc/zoneinfo");
	expect_str_contains(s, "\n        min      1006\n        low      1257\n        high     1508\n"
			       "        promo    1759\n");
	/* The limits move; the list's own high stays 0 until it is used (Linux 6.12). */
	expect_str_contains(s, "\n    cpu: 1\n              count: 0\n              high:  0\n"
			       "              batch: 63\n");
	expect_eq(per_cpu_ptr(dma32->per_cpu_pageset, 1)->high_min, 628);
	free(s);
	s = render(m, "/proc/sys/vm/min_free_kbytes");
	expect_eq(strcmp(s, "4096\n"), 0);
	free(s);

	/* watermark_scale_factor 3000 (30%): DMA32 gap max(251, 67500). */
	expect_eq(kmm_sysctl_write(m, "vm.watermark_scale_factor", "3000"), 0);
	expect_wmarks(dma32, 1006, 68506, 136006, 203506);
	expect_wmarks(dma, 17, 17 + 1152, 17 + 2 * 1152, 17 + 3 * 1152);

	/* lowmem_reserve_ratio: DMA keeps 225000/128 of DMA32+ allocations back. */
	expect_eq(kmm_proc_write(m, "/proc/sys/vm/lowmem_reserve_ratio", "128\t64\t32\t0\n"), 0);
	expect_eq(dma->lowmem_reserve[ZONE_DMA32], 1757);
	expect_eq(dma->lowmem_reserve[ZONE_MOVABLE], 1757);
	s = render(m, "/proc/sys/vm/lowmem_reserve_ratio");
	expect_eq(strcmp(s, "128\t64\t32\t0\n"), 0);
	free(s);
	s = render(m, "/proc/zoneinfo");
	expect_str_contains(s, "protection: (0, 1757, 1757, 1757)");
	free(s);
	/* Fewer values change only the first zones; values below 1 become 0. */
	expect_eq(kmm_proc_write(m, "/proc/sys/vm/lowmem_reserve_ratio", "-5"), 0);
	expect_eq(m->lowmem_reserve_ratio[ZONE_DMA], 0);
	expect_eq(m->lowmem_reserve_ratio[ZONE_DMA32], 64);
	expect_eq(dma->lowmem_reserve[ZONE_DMA32], 0);

	/* percpu_pagelist_high_fraction 8: high = 225000/8/2 = 14062 on DMA32. */
	expect_eq(kmm_sysctl_write(m, "vm.percpu_pagelist_high_fraction", "8"), 0);
	expect_eq(per_cpu_ptr(dma32->per_cpu_pageset, 0)->high_min, 14062);
	expect_eq(per_cpu_ptr(dma32->per_cpu_pageset, 0)->high_max, 14062);
	expect_eq(kmm_sysctl_write(m, "vm.watermark_boost_factor", "0"), 0);
	expect_eq(m->watermark_boost_factor, 0);
	fake_done(&f);
}

TEST(sysctl_bad_writes_change_nothing)
{
	struct fake f;
	struct kmm_machine *m = fake_x86_64(&f);
	struct zone *dma32 = fzone(m, 0, ZONE_DMA32);
	static const struct { const char *path, *text; } bad[] = {
		{ "/proc/sys/vm/min_free_kbytes", "-1" },
		{ "/proc/sys/vm/min_free_kbytes", "" },
		{ "/proc/sys/vm/min_free_kbytes", "12k" },
		{ "/proc/sys/vm/min_free_kbytes", "1 2" },
		{ "/proc/sys/vm/min_free_kbytes", "4294967296" },
		{ "/proc/sys/vm/watermark_scale_factor", "0" },
		{ "/proc/sys/vm/watermark_scale_factor", "3001" },
		{ "/proc/sys/vm/watermark_boost_factor", "-1" },
		{ "/proc/sys/vm/lowmem_reserve_ratio", "256 x" },
		{ "/proc/sys/vm/lowmem_reserve_ratio", "\n" },
		{ "/proc/sys/vm/percpu_pagelist_high_fraction", "7" },
		{ "/proc/sys/vm/percpu_pagelist_high_fraction", "1" },
		{ "/proc/sys/vm/percpu_pagelist_high_fraction", "-8" },
	};
	unsigned long wm[NR_WMARK];
	long reserve;
	char *before, *after;

	fake_sysctl_defaults(m);
	assert_eq(kmm_proc_write(m, "/proc/sys/vm/min_free_kbytes", "2048"), 0);
	memcpy(wm, dma32->_watermark, sizeof(wm));
	reserve = fzone(m, 0, ZONE_DMA)->lowmem_reserve[ZONE_DMA32];
	before = render(m, "/proc/zoneinfo");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (!expect_eq(kmm_proc_write(m, bad[i].path, bad[i].text), -EINVAL))
			fprintf(stderr, "  %s <- \"%s\" accepted\n", bad[i].path, bad[i].text);
		expect_str_contains(kmm_last_error(), bad[i].path);
	}
	expect_eq(kmm_sysctl_write(m, "vm.watermark_scale_factor", "0"), -EINVAL);
	expect_str_contains(kmm_last_error(), "vm.watermark_scale_factor");
	expect_eq(m->min_free_kbytes, 2048);
	expect_eq(m->watermark_scale_factor, 10);
	expect_eq(m->watermark_boost_factor, 15000);
	expect_eq(m->percpu_pagelist_high_fraction, 0);
	expect_eq(m->lowmem_reserve_ratio[ZONE_DMA], 256);
	expect_eq(memcmp(wm, dma32->_watermark, sizeof(wm)), 0);
	expect_eq(fzone(m, 0, ZONE_DMA)->lowmem_reserve[ZONE_DMA32], reserve);
	after = render(m, "/proc/zoneinfo");
	expect_eq(strcmp(before, after), 0);
	free(before);
	free(after);
	fake_done(&f);
}
