// SPDX-License-Identifier: MIT
/*
 * proc/vmstat.c - /proc/buddyinfo, /proc/pagetypeinfo, /proc/zoneinfo and
 * /proc/vmstat, and Linux's names of every counter.
 *
 * Linux counterpart: mm/vmstat.c (6.12): frag_show_print,
 * pagetypeinfo_showfree_print, pagetypeinfo_showblockcount_print,
 * zoneinfo_show_print, vmstat_start/vmstat_show and vmstat_text[].
 * Kept: every format string's layout, byte for byte; the 100000 cap with ">"
 * in pagetypeinfo; the THP counters shown in huge pages and pgpgin/pgpgout
 * halved; "nr_unstable 0" at the end of /proc/vmstat; all configured zones
 * in zoneinfo, populated or not. Which counters, migrate types and zones
 * exist follows the machine's build (config=, mm/include/kconfig.h): NUMA,
 * NUMA balancing, THP, CMA, zswap, KSM, balloon, memory isolation and
 * ZONE_DEVICE's empty Device zone only where the build has them (issue 11:
 * no numa_* counters on i386 defconfig, as no HIGHMEM4G kernel has NUMA).
 * Simplified: no PAGE_OWNER
 * "mixed blocks" table.
 *
 * Added: sections whose struct pages are still deferred (deferred struct page
 * init) hold only free MAX_PAGE_ORDER blocks of movable pageblocks; their
 * blocks are counted in nr_free by the allocator, and here in the Movable row
 * of pagetypeinfo, as Linux shows them once its deferred init has run.
 *
 * Invariant: the name arrays are indexed by the vm_event_item.h enums (designated
 * initialisers), so a new enum entry without a name is caught by the unit
 * test, never printed in the wrong place.
 *
 * Locking: zone->lock around each zone's lines (as Linux's
 * walk_zones_in_node); the CPU slots (kmm_cpu_lock_all), before zone->lock,
 * for the pagesets (a slot's owner nests zone->lock inside its section); counters
 * are atomics read without locks, as Linux reads them.
 */
#include <errno.h>
#include <string.h>

#include "mm/include/filemap.h"
#include "mm/include/vmstat.h"
#include "mm/include/machine.h"
#include "proc/proc.h"

/* ---- Counter names (mm/vmstat.c vmstat_text, 6.12) ---- */

const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS] = {
	[NR_FREE_PAGES] = "nr_free_pages",
	[NR_ZONE_INACTIVE_ANON] = "nr_zone_inactive_anon",
	[NR_ZONE_ACTIVE_ANON] = "nr_zone_active_anon",
	[NR_ZONE_INACTIVE_FILE] = "nr_zone_inactive_file",
	[NR_ZONE_ACTIVE_FILE] = "nr_zone_active_file",
	[NR_ZONE_UNEVICTABLE] = "nr_zone_unevictable",
	[NR_ZONE_WRITE_PENDING] = "nr_zone_write_pending",
	[NR_MLOCK] = "nr_mlock",
	[NR_BOUNCE] = "nr_bounce",
	[NR_ZSPAGES] = "nr_zspages",
	[NR_FREE_CMA_PAGES] = "nr_free_cma",
	[NR_UNACCEPTED] = "nr_unaccepted",
};

const char *const numa_stat_names[NR_VM_NUMA_EVENT_ITEMS] = {
	[NUMA_HIT] = "numa_hit",
	[NUMA_MISS] = "numa_miss",
	[NUMA_FOREIGN] = "numa_foreign",
	[NUMA_INTERLEAVE_HIT] = "numa_interleave",
	[NUMA_LOCAL] = "numa_local",
	[NUMA_OTHER] = "numa_other",
};

const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS] = {
	[NR_INACTIVE_ANON] = "nr_inactive_anon",
	[NR_ACTIVE_ANON] = "nr_active_anon",
	[NR_INACTIVE_FILE] = "nr_inactive_file",
	[NR_ACTIVE_FILE] = "nr_active_file",
	[NR_UNEVICTABLE] = "nr_unevictable",
	[NR_SLAB_RECLAIMABLE_B] = "nr_slab_reclaimable",
	[NR_SLAB_UNRECLAIMABLE_B] = "nr_slab_unreclaimable",
	[NR_ISOLATED_ANON] = "nr_isolated_anon",
	[NR_ISOLATED_FILE] = "nr_isolated_file",
	[WORKINGSET_NODES] = "workingset_nodes",
	[WORKINGSET_REFAULT_ANON] = "workingset_refault_anon",
	[WORKINGSET_REFAULT_FILE] = "workingset_refault_file",
	[WORKINGSET_ACTIVATE_ANON] = "workingset_activate_anon",
	[WORKINGSET_ACTIVATE_FILE] = "workingset_activate_file",
	[WORKINGSET_RESTORE_ANON] = "workingset_restore_anon",
	[WORKINGSET_RESTORE_FILE] = "workingset_restore_file",
	[WORKINGSET_NODERECLAIM] = "workingset_nodereclaim",
	[NR_ANON_MAPPED] = "nr_anon_pages",
	[NR_FILE_MAPPED] = "nr_mapped",
	[NR_FILE_PAGES] = "nr_file_pages",
	[NR_FILE_DIRTY] = "nr_dirty",
	[NR_WRITEBACK] = "nr_writeback",
	[NR_WRITEBACK_TEMP] = "nr_writeback_temp",
	[NR_SHMEM] = "nr_shmem",
	[NR_SHMEM_THPS] = "nr_shmem_hugepages",
	[NR_SHMEM_PMDMAPPED] = "nr_shmem_pmdmapped",
	[NR_FILE_THPS] = "nr_file_hugepages",
	[NR_FILE_PMDMAPPED] = "nr_file_pmdmapped",
	[NR_ANON_THPS] = "nr_anon_transparent_hugepages",
	[NR_VMSCAN_WRITE] = "nr_vmscan_write",
	[NR_VMSCAN_IMMEDIATE] = "nr_vmscan_immediate_reclaim",
	[NR_DIRTIED] = "nr_dirtied",
	[NR_WRITTEN] = "nr_written",
	[NR_THROTTLED_WRITTEN] = "nr_throttled_written",
	[NR_KERNEL_MISC_RECLAIMABLE] = "nr_kernel_misc_reclaimable",
	[NR_FOLL_PIN_ACQUIRED] = "nr_foll_pin_acquired",
	[NR_FOLL_PIN_RELEASED] = "nr_foll_pin_released",
	[NR_KERNEL_STACK_KB] = "nr_kernel_stack",
	[NR_PAGETABLE] = "nr_page_table_pages",
	[NR_SECONDARY_PAGETABLE] = "nr_sec_page_table_pages",
	[NR_IOMMU_PAGES] = "nr_iommu_pages",
	[NR_SWAPCACHE] = "nr_swapcached",
	[PGPROMOTE_SUCCESS] = "pgpromote_success",
	[PGPROMOTE_CANDIDATE] = "pgpromote_candidate",
	[PGDEMOTE_KSWAPD] = "pgdemote_kswapd",
	[PGDEMOTE_DIRECT] = "pgdemote_direct",
	[PGDEMOTE_KHUGEPAGED] = "pgdemote_khugepaged",
};

const char *const vm_stat_names[NR_VM_STAT_ITEMS] = {
	[NR_DIRTY_THRESHOLD] = "nr_dirty_threshold",
	[NR_DIRTY_BG_THRESHOLD] = "nr_dirty_background_threshold",
	[NR_MEMMAP_PAGES] = "nr_memmap_pages",
	[NR_MEMMAP_BOOT_PAGES] = "nr_memmap_boot_pages",
};

#define ZONE_EVENT_NAMES(item, text)                                            \
	[item##_DMA] = text "_dma", [item##_DMA32] = text "_dma32",             \
	[item##_NORMAL] = text "_normal", [item##_HIGH] = text "_high",         \
	[item##_MOVABLE] = text "_movable", [item##_DEVICE] = text "_device"

const char *const vm_event_names[NR_VM_EVENT_ITEMS] = {
	[PGPGIN] = "pgpgin",
	[PGPGOUT] = "pgpgout",
	[PSWPIN] = "pswpin",
	[PSWPOUT] = "pswpout",
	ZONE_EVENT_NAMES(PGALLOC, "pgalloc"),
	ZONE_EVENT_NAMES(ALLOCSTALL, "allocstall"),
	ZONE_EVENT_NAMES(PGSKIP, "pgskip"),
	[PGFREE] = "pgfree",
	[PGACTIVATE] = "pgactivate",
	[PGDEACTIVATE] = "pgdeactivate",
	[PGLAZYFREE] = "pglazyfree",
	[PGFAULT] = "pgfault",
	[PGMAJFAULT] = "pgmajfault",
	[PGLAZYFREED] = "pglazyfreed",
	[PGREFILL] = "pgrefill",
	[PGREUSE] = "pgreuse",
	[PGSTEAL_KSWAPD] = "pgsteal_kswapd",
	[PGSTEAL_DIRECT] = "pgsteal_direct",
	[PGSTEAL_KHUGEPAGED] = "pgsteal_khugepaged",
	[PGSCAN_KSWAPD] = "pgscan_kswapd",
	[PGSCAN_DIRECT] = "pgscan_direct",
	[PGSCAN_KHUGEPAGED] = "pgscan_khugepaged",
	[PGSCAN_DIRECT_THROTTLE] = "pgscan_direct_throttle",
	[PGSCAN_ANON] = "pgscan_anon",
	[PGSCAN_FILE] = "pgscan_file",
	[PGSTEAL_ANON] = "pgsteal_anon",
	[PGSTEAL_FILE] = "pgsteal_file",
	[PGSCAN_ZONE_RECLAIM_SUCCESS] = "zone_reclaim_success",
	[PGSCAN_ZONE_RECLAIM_FAILED] = "zone_reclaim_failed",
	[PGINODESTEAL] = "pginodesteal",
	[SLABS_SCANNED] = "slabs_scanned",
	[KSWAPD_INODESTEAL] = "kswapd_inodesteal",
	[KSWAPD_LOW_WMARK_HIT_QUICKLY] = "kswapd_low_wmark_hit_quickly",
	[KSWAPD_HIGH_WMARK_HIT_QUICKLY] = "kswapd_high_wmark_hit_quickly",
	[PAGEOUTRUN] = "pageoutrun",
	[PGROTATED] = "pgrotated",
	[DROP_PAGECACHE] = "drop_pagecache",
	[DROP_SLAB] = "drop_slab",
	[OOM_KILL] = "oom_kill",
	[NUMA_PTE_UPDATES] = "numa_pte_updates",
	[NUMA_HUGE_PTE_UPDATES] = "numa_huge_pte_updates",
	[NUMA_HINT_FAULTS] = "numa_hint_faults",
	[NUMA_HINT_FAULTS_LOCAL] = "numa_hint_faults_local",
	[NUMA_PAGE_MIGRATE] = "numa_pages_migrated",
	[PGMIGRATE_SUCCESS] = "pgmigrate_success",
	[PGMIGRATE_FAIL] = "pgmigrate_fail",
	[THP_MIGRATION_SUCCESS] = "thp_migration_success",
	[THP_MIGRATION_FAIL] = "thp_migration_fail",
	[THP_MIGRATION_SPLIT] = "thp_migration_split",
	[COMPACTMIGRATE_SCANNED] = "compact_migrate_scanned",
	[COMPACTFREE_SCANNED] = "compact_free_scanned",
	[COMPACTISOLATED] = "compact_isolated",
	[COMPACTSTALL] = "compact_stall",
	[COMPACTFAIL] = "compact_fail",
	[COMPACTSUCCESS] = "compact_success",
	[KCOMPACTD_WAKE] = "compact_daemon_wake",
	[KCOMPACTD_MIGRATE_SCANNED] = "compact_daemon_migrate_scanned",
	[KCOMPACTD_FREE_SCANNED] = "compact_daemon_free_scanned",
	[HTLB_BUDDY_PGALLOC] = "htlb_buddy_alloc_success",
	[HTLB_BUDDY_PGALLOC_FAIL] = "htlb_buddy_alloc_fail",
	[CMA_ALLOC_SUCCESS] = "cma_alloc_success",
	[CMA_ALLOC_FAIL] = "cma_alloc_fail",
	[UNEVICTABLE_PGCULLED] = "unevictable_pgs_culled",
	[UNEVICTABLE_PGSCANNED] = "unevictable_pgs_scanned",
	[UNEVICTABLE_PGRESCUED] = "unevictable_pgs_rescued",
	[UNEVICTABLE_PGMLOCKED] = "unevictable_pgs_mlocked",
	[UNEVICTABLE_PGMUNLOCKED] = "unevictable_pgs_munlocked",
	[UNEVICTABLE_PGCLEARED] = "unevictable_pgs_cleared",
	[UNEVICTABLE_PGSTRANDED] = "unevictable_pgs_stranded",
	[THP_FAULT_ALLOC] = "thp_fault_alloc",
	[THP_FAULT_FALLBACK] = "thp_fault_fallback",
	[THP_FAULT_FALLBACK_CHARGE] = "thp_fault_fallback_charge",
	[THP_COLLAPSE_ALLOC] = "thp_collapse_alloc",
	[THP_COLLAPSE_ALLOC_FAILED] = "thp_collapse_alloc_failed",
	[THP_FILE_ALLOC] = "thp_file_alloc",
	[THP_FILE_FALLBACK] = "thp_file_fallback",
	[THP_FILE_FALLBACK_CHARGE] = "thp_file_fallback_charge",
	[THP_FILE_MAPPED] = "thp_file_mapped",
	[THP_SPLIT_PAGE] = "thp_split_page",
	[THP_SPLIT_PAGE_FAILED] = "thp_split_page_failed",
	[THP_DEFERRED_SPLIT_PAGE] = "thp_deferred_split_page",
	[THP_UNDERUSED_SPLIT_PAGE] = "thp_underused_split_page",
	[THP_SPLIT_PMD] = "thp_split_pmd",
	[THP_SCAN_EXCEED_NONE_PTE] = "thp_scan_exceed_none_pte",
	[THP_SCAN_EXCEED_SWAP_PTE] = "thp_scan_exceed_swap_pte",
	[THP_SCAN_EXCEED_SHARED_PTE] = "thp_scan_exceed_share_pte",
	[THP_SPLIT_PUD] = "thp_split_pud",
	[THP_ZERO_PAGE_ALLOC] = "thp_zero_page_alloc",
	[THP_ZERO_PAGE_ALLOC_FAILED] = "thp_zero_page_alloc_failed",
	[THP_SWPOUT] = "thp_swpout",
	[THP_SWPOUT_FALLBACK] = "thp_swpout_fallback",
	[BALLOON_INFLATE] = "balloon_inflate",
	[BALLOON_DEFLATE] = "balloon_deflate",
	[BALLOON_MIGRATE] = "balloon_migrate",
	[SWAP_RA] = "swap_ra",
	[SWAP_RA_HIT] = "swap_ra_hit",
	[SWPIN_ZERO] = "swpin_zero",
	[SWPOUT_ZERO] = "swpout_zero",
	[KSM_SWPIN_COPY] = "ksm_swpin_copy",
	[COW_KSM] = "cow_ksm",
	[ZSWPIN] = "zswpin",
	[ZSWPOUT] = "zswpout",
	[ZSWPWB] = "zswpwb",
	[DIRECT_MAP_LEVEL2_SPLIT] = "direct_map_level2_splits",
	[DIRECT_MAP_LEVEL3_SPLIT] = "direct_map_level3_splits",
};

/*
 * What the machine's build (config=, mm/include/kconfig.h) compiles in. A
 * machine without one (unit tests' fakes) shows everything kmm knows.
 */
#define CONFIGURED(m, opt) (!(m)->kconfig || (m)->kconfig->opt)

/* Items that only exist in some of the builds kmm reproduces. */
static bool zone_stat_configured(const struct kmm_machine *m, int item)
{
	if (item == NR_UNACCEPTED)
		return !kmm_arch_is_32(m);
	if (item == NR_ZSPAGES)		/* CONFIG_ZSMALLOC (zswap's allocator) */
		return CONFIGURED(m, zswap);
	return true;
}

/* numa_hit ... numa_other: CONFIG_NUMA (issue 11: no i386 HIGHMEM4G kernel has NUMA). */
static bool numa_events_configured(const struct kmm_machine *m)
{
	return CONFIGURED(m, numa);
}

static bool node_stat_configured(const struct kmm_machine *m, int item)
{
	if (item == PGPROMOTE_SUCCESS || item == PGPROMOTE_CANDIDATE)
		return CONFIGURED(m, numa_balancing);	/* CONFIG_NUMA_BALANCING */
	return true;
}

static bool vm_event_configured(const struct kmm_machine *m, int item)
{
	/* Per-zone events: one per configured zone type, in zone order. */
	static const struct { int first; } zone_events[] = {
		{ PGALLOC_DMA }, { ALLOCSTALL_DMA }, { PGSKIP_DMA },
	};

	for (size_t i = 0; i < ARRAY_SIZE(zone_events); i++) {
		int off = item - zone_events[i].first;

		if (off >= 0 && off < MAX_NR_ZONES)
			return zone_type_configured(m, (enum zone_type)off);
	}
	if (item == THP_SPLIT_PUD)	/* HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD: x86-64 only */
		return !kmm_arch_is_32(m) && CONFIGURED(m, thp);
	if (item >= THP_FAULT_ALLOC && item <= THP_SWPOUT_FALLBACK)
		return CONFIGURED(m, thp);	/* CONFIG_TRANSPARENT_HUGEPAGE */
	if (item >= NUMA_PTE_UPDATES && item <= NUMA_PAGE_MIGRATE)
		return CONFIGURED(m, numa_balancing);
	if (item == PGSCAN_ZONE_RECLAIM_SUCCESS || item == PGSCAN_ZONE_RECLAIM_FAILED)
		return CONFIGURED(m, numa);
	if (item == CMA_ALLOC_SUCCESS || item == CMA_ALLOC_FAIL)
		return CONFIGURED(m, cma);
	if (item >= BALLOON_INFLATE && item <= BALLOON_MIGRATE)
		return CONFIGURED(m, balloon);
	if (item == KSM_SWPIN_COPY || item == COW_KSM)
		return CONFIGURED(m, ksm);
	if (item >= ZSWPIN && item <= ZSWPWB)
		return CONFIGURED(m, zswap);
	return true;
}

unsigned long hpage_pmd_nr(const struct kmm_machine *m)
{
	return m->opts.arch == KMM_ARCH_I386 ? 1024 : 512;
}

static bool vmstat_item_print_in_thp(enum node_stat_item item)
{
	return item == NR_ANON_THPS || item == NR_FILE_THPS || item == NR_SHMEM_THPS ||
	       item == NR_SHMEM_PMDMAPPED || item == NR_FILE_PMDMAPPED;
}

static bool vmstat_item_in_bytes(enum node_stat_item item)
{
	return item == NR_SLAB_RECLAIMABLE_B || item == NR_SLAB_UNRECLAIMABLE_B;
}

unsigned long node_page_state_pages(const pg_data_t *pgdat, enum node_stat_item item)
{
	unsigned long v = node_page_state(pgdat, item);

	return vmstat_item_in_bytes(item) ? v >> PAGE_SHIFT : v;
}

unsigned long global_node_page_state_pages(struct kmm_machine *m, enum node_stat_item item)
{
	unsigned long v = global_node_page_state(m, item);

	return vmstat_item_in_bytes(item) ? v >> PAGE_SHIFT : v;
}

/* A node counter as /proc prints it: pages, THP items in huge pages. */
static unsigned long node_stat_shown(struct kmm_machine *m, const pg_data_t *pgdat,
				     enum node_stat_item item)
{
	unsigned long v = pgdat ? node_page_state_pages(pgdat, item)
				: global_node_page_state_pages(m, item);

	return vmstat_item_print_in_thp(item) ? v / hpage_pmd_nr(m) : v;
}

/* Bytes of boot-time (memblock) reservations made for @owner. */
unsigned long memblock_reserved_by(const struct kmm_machine *m, const char *owner)
{
	unsigned long bytes = 0;

	for (int i = 0; i < m->memblock.reserved.cnt; i++) {
		const struct memblock_region *r = &m->memblock.reserved.regions[i];

		if (r->owner && !strcmp(r->owner, owner))
			bytes += (unsigned long)r->size;
	}
	return bytes;
}

/*
 * The vm_stat items: the dirty limits are computed from live counters as
 * Linux's global_dirty_limits() does; nr_memmap_boot_pages is the mem_map
 * boot allocated from memblock unless the boot code keeps its own count.
 */
static unsigned long vm_stat_value(struct kmm_machine *m, int item, unsigned long bg,
				   unsigned long thresh)
{
	long v = READ_ONCE(m->vm_stat[item]);	/* hot-add adds memmap pages meanwhile */

	switch (item) {
	case NR_DIRTY_THRESHOLD:
		return thresh;
	case NR_DIRTY_BG_THRESHOLD:
		return bg;
	case NR_MEMMAP_BOOT_PAGES:
		if (!v)
			return memblock_reserved_by(m, "mem_map") >> PAGE_SHIFT;
		break;
	}
	return v < 0 ? 0 : (unsigned long)v;
}

/* ---- Walking zones ---- */

static const char *zone_name_of(const struct zone *z)
{
	return z->name ? z->name : zone_names[z->type];
}

static pg_data_t *node_of(struct kmm_machine *m, int nid)
{
	return nid < m->nr_node_ids ? m->node_data[nid] : NULL;
}

/* Free blocks of order MAX_PAGE_ORDER in sections not yet initialised. */
static unsigned long deferred_max_order_blocks(const struct zone *z)
{
	return z->nr_deferred_blocks;
}

/* ---- /proc/buddyinfo ---- */

int buddyinfo_show(struct kmm_machine *m, struct strbuf *sb)
{
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		pg_data_t *pgdat = node_of(m, nid);

		if (!pgdat)
			continue;
		for (int t = 0; t < MAX_NR_ZONES; t++) {
			struct zone *z = &pgdat->node_zones[t];
			unsigned long nr_free[NR_PAGE_ORDERS];

			if (!populated_zone(z))
				continue;
			spin_lock(&z->lock);
			for (int o = 0; o < NR_PAGE_ORDERS; o++)
				nr_free[o] = z->free_area[o].nr_free;
			spin_unlock(&z->lock);
			sb_printf(sb, "Node %d, zone %8s ", pgdat->node_id, zone_name_of(z));
			for (int o = 0; o < NR_PAGE_ORDERS; o++)
				sb_printf(sb, "%6lu ", nr_free[o]);
			sb_puts(sb, "\n");
		}
	}
	return 0;
}

/* ---- /proc/pagetypeinfo ---- */

#define PAGETYPEINFO_CAP 100000UL	/* Linux stops counting a list here */
#define MAX_RECLAIM_RETRIES 16		/* kswapd_failures that make a node unreclaimable */

/* MIGRATE_CMA and MIGRATE_ISOLATE exist only with CONFIG_CMA and CONFIG_MEMORY_ISOLATION. */
static bool migratetype_configured(const struct kmm_machine *m, int mt)
{
	if (mt == MIGRATE_CMA)
		return CONFIGURED(m, cma);
	if (mt == MIGRATE_ISOLATE)
		return CONFIGURED(m, memory_isolation);
	return true;
}

static void pagetypeinfo_showfree_print(struct kmm_machine *m, struct strbuf *sb,
					pg_data_t *pgdat, struct zone *z)
{
	for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
		if (!migratetype_configured(m, mt))
			continue;
		sb_printf(sb, "Node %4d, zone %8s, type %12s ", pgdat->node_id,
			  zone_name_of(z), migratetype_names[mt]);
		for (int o = 0; o < NR_PAGE_ORDERS; o++) {
			unsigned long count = 0;
			struct list_head *pos;

			if (mt == MIGRATE_MOVABLE && o == MAX_PAGE_ORDER)
				count = deferred_max_order_blocks(z);
			list_for_each(pos, &z->free_area[o].free_list[mt]) {
				if (count >= PAGETYPEINFO_CAP)
					break;
				count++;
			}
			if (count >= PAGETYPEINFO_CAP)
				sb_printf(sb, ">%6lu ", PAGETYPEINFO_CAP);
			else
				sb_printf(sb, "%6lu ", count);
		}
		sb_puts(sb, "\n");
	}
}

static void pagetypeinfo_showblockcount_print(struct kmm_machine *m, struct strbuf *sb,
					      pg_data_t *pgdat, struct zone *z)
{
	unsigned long count[MIGRATE_TYPES] = { 0 };
	/* memory hot-add moves the span, max_pfn and nr_sections meanwhile: read each once */
	const unsigned char *pageblock_mt = __atomic_load_n(&z->pageblock_mt, __ATOMIC_ACQUIRE);
	unsigned long start = READ_ONCE(z->zone_start_pfn), end = zone_end_pfn(z);
	unsigned long max_pfn = READ_ONCE(m->max_pfn), nr_sections = READ_ONCE(m->nr_sections);

	for (unsigned long pfn = start; pfn < end; pfn += m->pageblock_nr_pages) {
		unsigned long sec = pfn >> SECTION_SHIFT;
		int state = m->section_state && sec < nr_sections ? pfn_init_state(m, pfn)
								   : SECTION_ONLINE;
		const struct page *page;
		int mt;

		if (pfn >= max_pfn || state == SECTION_ABSENT)
			continue;
		if (state == SECTION_DEFERRED) {
			count[MIGRATE_MOVABLE]++;
			continue;
		}
		if (state == SECTION_LAZY_FREE) {
			/* free pages of a split deferred block: its first page says whose */
			page = pfn_to_page_m(m, ALIGN_DOWN(pfn, MAX_ORDER_NR_PAGES));
			if (page_zonenum(page) != (unsigned int)z->type || page_to_nid(page) != z->node)
				continue;
			state = SECTION_RESERVED;	/* then counted as an untouched block is */
		}
		if (state == SECTION_RESERVED &&
		    __atomic_load_n(&m->section_state[sec], __ATOMIC_ACQUIRE) == SECTION_ONLINE) {
			/*
			 * a reserved block boot left untouched, wholly in this zone (or the
			 * free pages above): its pageblock's type
			 */
			mt = pageblock_mt ? pageblock_mt[(pfn >> m->pageblock_order) -
							 (start >> m->pageblock_order)]
					  : MIGRATE_MOVABLE;
			if (mt >= 0 && mt < MIGRATE_TYPES)
				count[mt]++;
			continue;
		}
		page = pfn_to_page_m(m, pfn);
		if (page_zonenum(page) != (unsigned int)z->type || page_to_nid(page) != z->node)
			continue;
		mt = get_pageblock_migratetype(page);
		if (mt >= 0 && mt < MIGRATE_TYPES)
			count[mt]++;
	}
	sb_printf(sb, "Node %d, zone %8s ", pgdat->node_id, zone_name_of(z));
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		if (migratetype_configured(m, mt))
			sb_printf(sb, "%12lu ", count[mt]);
	sb_puts(sb, "\n");
}

int pagetypeinfo_show(struct kmm_machine *m, struct strbuf *sb)
{
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		pg_data_t *pgdat = node_of(m, nid);

		if (!pgdat || !READ_ONCE(pgdat->node_present_pages))	/* memoryless node */
			continue;
		sb_printf(sb, "Page block order: %d\n", m->pageblock_order);
		sb_printf(sb, "Pages per block:  %lu\n", m->pageblock_nr_pages);
		sb_puts(sb, "\n");

		sb_printf(sb, "%-43s ", "Free pages count per migrate type at order");
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			sb_printf(sb, "%6d ", o);
		sb_puts(sb, "\n");
		for (int t = 0; t < MAX_NR_ZONES; t++) {
			struct zone *z = &pgdat->node_zones[t];

			if (!populated_zone(z))
				continue;
			spin_lock(&z->lock);
			pagetypeinfo_showfree_print(m, sb, pgdat, z);
			spin_unlock(&z->lock);
		}

		sb_printf(sb, "\n%-23s", "Number of blocks type ");
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			if (migratetype_configured(m, mt))
				sb_printf(sb, "%12s ", migratetype_names[mt]);
		sb_puts(sb, "\n");
		for (int t = 0; t < MAX_NR_ZONES; t++) {
			struct zone *z = &pgdat->node_zones[t];

			if (!populated_zone(z))
				continue;
			spin_lock(&z->lock);
			pagetypeinfo_showblockcount_print(m, sb, pgdat, z);
			spin_unlock(&z->lock);
		}
	}
	return 0;
}

/* ---- /proc/zoneinfo ---- */

static bool is_zone_first_populated(pg_data_t *pgdat, const struct zone *z)
{
	for (int t = 0; t < MAX_NR_ZONES; t++)
		if (populated_zone(&pgdat->node_zones[t]))
			return z == &pgdat->node_zones[t];
	return false;
}

struct pcp_snapshot {
	int count, high, batch;
};

/*
 * Each CPU slot's pageset, read holding every slot (kmm_cpu_lock_all) before
 * zone->lock is taken: a slot's owner takes zone->lock inside its section
 * (refilling its lists), so holding zone->lock while waiting for a slot
 * could deadlock.
 */
static void snapshot_pagesets(struct kmm_machine *m, struct zone *z, struct pcp_snapshot *pcp)
{
	if (z->per_cpu_pageset)
		kmm_cpu_lock_all(m);	/* one process-wide barrier, not one per slot */
	for (int cpu = 0; cpu < m->nr_cpus && cpu < KMM_MAX_CPUS; cpu++) {
		struct per_cpu_pages *p = z->per_cpu_pageset ? per_cpu_ptr(z->per_cpu_pageset, cpu) : NULL;

		if (p && !cpu_populated(&m->percpu, cpu))	/* what it will start with */
			pcp[cpu] = (struct pcp_snapshot){ 0, 0, zone_pcp_unused_batch(z) };
		else
			pcp[cpu] = p ? (struct pcp_snapshot){ p->count, p->high, p->batch } :
				       (struct pcp_snapshot){ 0, 0, 0 };
	}
	if (z->per_cpu_pageset)
		kmm_cpu_unlock_all(m);
}

static void zoneinfo_show_print(struct kmm_machine *m, struct strbuf *sb, pg_data_t *pgdat,
				struct zone *z, const struct pcp_snapshot *pcp)
{
	bool first = true;

	sb_printf(sb, "Node %d, zone %8s", pgdat->node_id, zone_name_of(z));
	if (is_zone_first_populated(pgdat, z)) {
		sb_puts(sb, "\n  per-node stats");
		for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
			if (node_stat_configured(m, i))
				sb_printf(sb, "\n      %-12s %lu", node_stat_names[i],
					  node_stat_shown(m, pgdat, (enum node_stat_item)i));
	}
	sb_printf(sb,
		  "\n  pages free     %lu"
		  "\n        boost    %lu"
		  "\n        min      %lu"
		  "\n        low      %lu"
		  "\n        high     %lu"
		  "\n        promo    %lu"
		  "\n        spanned  %lu"
		  "\n        present  %lu"
		  "\n        managed  %lu"
		  "\n        cma      %lu",
		  zone_page_state(z, NR_FREE_PAGES), READ_ONCE(z->watermark_boost),
		  min_wmark_pages(z), low_wmark_pages(z), high_wmark_pages(z),
		  wmark_pages(z, WMARK_PROMO), READ_ONCE(z->spanned_pages),
		  READ_ONCE(z->present_pages), zone_managed_pages(z), z->cma_pages);

	/* One entry per zone type of this arch, as Linux's MAX_NR_ZONES. */
	sb_puts(sb, "\n        protection: (");
	for (int t = 0; t < MAX_NR_ZONES; t++) {
		if (!zone_type_configured(m, (enum zone_type)t))
			continue;
		sb_printf(sb, first ? "%ld" : ", %ld", READ_ONCE(z->lowmem_reserve[t]));
		first = false;
	}
	sb_puts(sb, ")");

	if (!populated_zone(z)) {
		sb_puts(sb, "\n");
		return;
	}
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		if (zone_stat_configured(m, i))
			sb_printf(sb, "\n      %-12s %lu", zone_stat_names[i],
				  zone_page_state(z, (enum zone_stat_item)i));
	for (int i = 0; numa_events_configured(m) && i < NR_VM_NUMA_EVENT_ITEMS; i++)
		sb_printf(sb, "\n      %-12s %lu", numa_stat_names[i],
			  zone_numa_event_state(z, (enum numa_stat_item)i));

	sb_puts(sb, "\n  pagesets");
	for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
		const struct pcp_snapshot *p = &pcp[cpu < KMM_MAX_CPUS ? cpu : 0];

		sb_printf(sb,
			  "\n    cpu: %i"
			  "\n              count: %i"
			  "\n              high:  %i"
			  "\n              batch: %i",
			  cpu, p->count, p->high, p->batch);
		sb_printf(sb, "\n  vm stats threshold: %d", calculate_normal_threshold(z));
	}
	sb_printf(sb,
		  "\n  node_unreclaimable:  %u"
		  "\n  start_pfn:           %lu",
		  __atomic_load_n(&pgdat->kswapd_failures, __ATOMIC_RELAXED) >= MAX_RECLAIM_RETRIES,
		  READ_ONCE(z->zone_start_pfn));
	sb_puts(sb, "\n");
}

int zoneinfo_show(struct kmm_machine *m, struct strbuf *sb)
{
	struct pcp_snapshot pcp[KMM_MAX_CPUS];

	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		pg_data_t *pgdat = node_of(m, nid);

		if (!pgdat)
			continue;
		for (int t = 0; t < MAX_NR_ZONES; t++) {
			struct zone *z = &pgdat->node_zones[t];

			if (!zone_type_configured(m, (enum zone_type)t))
				continue;
			snapshot_pagesets(m, z, pcp);
			spin_lock(&z->lock);
			zoneinfo_show_print(m, sb, pgdat, z, pcp);
			spin_unlock(&z->lock);
		}
	}
	return 0;
}

/* ---- /proc/vmstat ---- */

static unsigned long global_numa_event(struct kmm_machine *m, int item)
{
	long sum = 0;

	for (int n = 0; n < m->nr_node_ids; n++) {
		pg_data_t *pgdat = m->node_data[n];

		if (!pgdat)
			continue;
		for (int t = 0; t < MAX_NR_ZONES; t++)
			sum += (long)zone_numa_event_state(&pgdat->node_zones[t],
							  (enum numa_stat_item)item);
	}
	return sum < 0 ? 0 : (unsigned long)sum;
}

int vmstat_show(struct kmm_machine *m, struct strbuf *sb)
{
	unsigned long bg, thresh;

	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		if (zone_stat_configured(m, i))
			sb_printf(sb, "%s %lu\n", zone_stat_names[i],
				  global_zone_page_state(m, (enum zone_stat_item)i));
	for (int i = 0; numa_events_configured(m) && i < NR_VM_NUMA_EVENT_ITEMS; i++)
		sb_printf(sb, "%s %lu\n", numa_stat_names[i], global_numa_event(m, i));
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		if (node_stat_configured(m, i))
			sb_printf(sb, "%s %lu\n", node_stat_names[i],
				  node_stat_shown(m, NULL, (enum node_stat_item)i));

	global_dirty_limits(m, &bg, &thresh);	/* mm/page-writeback.c */
	for (int i = 0; i < NR_VM_STAT_ITEMS; i++)
		sb_printf(sb, "%s %lu\n", vm_stat_names[i], vm_stat_value(m, i, bg, thresh));

	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++) {
		unsigned long v;

		if (!vm_event_configured(m, i))
			continue;
		v = m->cpus ? sum_vm_event(m, (enum vm_event_item)i) : 0;
		if (i == PGPGIN || i == PGPGOUT)
			v /= 2;		/* sectors -> kB */
		sb_printf(sb, "%s %lu\n", vm_event_names[i], v);
	}
	sb_puts(sb, "nr_unstable 0\n");	/* deprecated, kept for old parsers */
	return 0;
}
