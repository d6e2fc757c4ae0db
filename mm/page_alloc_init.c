// SPDX-License-Identifier: MIT
/*
 * mm/page_alloc_init.c - setting the page allocator up and retuning it:
 * free lists and per-CPU pagesets of a zone, zonelists, min_free_kbytes,
 * watermarks, lowmem reserves, totalreserve_pages and the pcp batch/high
 * sizes, computed exactly as Linux 6.12 computes them.
 *
 * Linux counterpart: mm/page_alloc.c (build_all_zonelists, zone_batchsize,
 * zone_highsize, __setup_per_zone_wmarks, setup_per_zone_lowmem_reserve,
 * calculate_totalreserve_pages, calculate_min_free_kbytes,
 * init_per_zone_wmark_min) and mm/mm_init.c (per_cpu_pages_init).
 *
 * It also holds the page allocator's entry of the subsystem table
 * (page_alloc_subsys) with its vm.* sysctl rows, whose writes rerun what
 * Linux's handlers (mm/page_alloc.c) rerun:
 *   vm.min_free_kbytes              -> setup_per_zone_wmarks() (0..INT_MAX;
 *                                      also becomes user_min_free_kbytes)
 *   vm.watermark_scale_factor       -> setup_per_zone_wmarks() (1..3000)
 *   vm.watermark_boost_factor       -> nothing; read when a boost happens (0..INT_MAX)
 *   vm.lowmem_reserve_ratio         -> setup_per_zone_lowmem_reserve() (one int
 *                                      per configured zone; values < 1 stored as 0)
 *   vm.percpu_pagelist_high_fraction -> zone_pcp_update_all() (0, or >= 8; only
 *                                      when the value changes)
 *
 * Invariant: after setup_per_zone_wmarks(), min <= low <= high <= promo in
 * every zone and every slot's pcp batch/high equal the zone's pageset_*.
 * Locking: sysctl_lock serialises recomputation; zone->lock guards the
 * watermark writes; each CPU slot's guard its pagesets' batch/high.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/subsys.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"

#define SWAP_CLUSTER_MAX 32UL
#define MIN_PERCPU_PAGELIST_HIGH_FRACTION 8

static void page_alloc_sysctl_defaults(struct kmm_machine *m)
{
	static const int ratio[MAX_NR_ZONES] = { 256, 256, 32, 0, 0 };

	if (m->watermark_scale_factor)	/* already set up */
		return;
	m->min_free_kbytes = 1024;
	m->user_min_free_kbytes = -1;
	m->watermark_scale_factor = 10;
	m->watermark_boost_factor = 15000;
	memcpy(m->lowmem_reserve_ratio, ratio, sizeof(ratio));
	m->percpu_pagelist_high_fraction = 0;
}

static void per_cpu_pages_init(struct per_cpu_pages *pcp)
{
	memset(pcp, 0, sizeof(*pcp));
	for (int i = 0; i < NR_PCP_LISTS; i++)
		INIT_LIST_HEAD(&pcp->lists[i]);
	pcp->high = 0;		/* BOOT_PAGESET_HIGH */
	pcp->batch = 1;		/* BOOT_PAGESET_BATCH */
}

/*
 * The constructor of a zone's pagesets (pcpu_alloc()): CPU slot @cpu's is
 * set up when the slot is first handed out, with empty lists and the
 * zone's batch and high limits as zone_set_pageset_high_and_batch() last
 * set them (before that, boot's: batch 1, no limits), so a slot no thread
 * ever takes costs no page. Context: m->percpu.lock held, under which the
 * zone's limits are written.
 */
static void pcp_ctor(void *arg, void *ptr, int cpu)
{
	struct zone *zone = arg;
	struct per_cpu_pages *pcp = ptr;

	(void)cpu;
	per_cpu_pages_init(pcp);
	if (zone->pageset_batch) {
		pcp->batch = zone->pageset_batch;
		pcp->high_min = zone->pageset_high_min;
		pcp->high_max = zone->pageset_high_max;
	}
}

int zone_pcp_unused_batch(struct zone *zone)
{
	struct kmm_machine *m = zone->machine;
	int batch;

	spin_lock(&m->percpu.lock);
	batch = zone->pageset_batch ? zone->pageset_batch : 1;
	spin_unlock(&m->percpu.lock);
	return batch;
}

/**
 * zone_init_free_lists() - empty free lists, the zone lock, pageblock types
 * (all Movable, as memmap_init leaves them) and one pcp set per CPU slot.
 * @zone: node, type, machine, start and span already set.
 * Context: boot. Return: 0 or -ENOMEM.
 */
int zone_init_free_lists(struct zone *zone)
{
	struct kmm_machine *m = zone->machine;

	page_alloc_sysctl_defaults(m);
	spin_lock_init(&zone->lock);
	for (int o = 0; o < NR_PAGE_ORDERS; o++) {
		for (int t = 0; t < MIGRATE_TYPES; t++)
			INIT_LIST_HEAD(&zone->free_area[o].free_list[t]);
		zone->free_area[o].nr_free = 0;
	}
	INIT_LIST_HEAD(&zone->deferred_ranges);
	zone->nr_deferred_blocks = 0;
	zone->nr_lazy_free = 0;
	zone->name = zone_names[zone->type];

	if (!zone->pageblock_mt && zone->spanned_pages) {
		unsigned long first = zone->zone_start_pfn >> m->pageblock_order;
		unsigned long last = (zone_end_pfn(zone) - 1) >> m->pageblock_order;
		size_t n = last - first + 1;

		zone->pageblock_mt = malloc(n);
		if (!zone->pageblock_mt)
			return -ENOMEM;
		memset(zone->pageblock_mt, MIGRATE_MOVABLE, n);	/* as memmap_init does */
	}
	if (!zone->per_cpu_pageset && m->nr_cpus > 0) {
		zone->per_cpu_pageset = pcpu_alloc(m, sizeof(struct per_cpu_pages), pcp_ctor, zone);
		if (!zone->per_cpu_pageset) {
			free(zone->pageblock_mt);
			zone->pageblock_mt = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * zone_free_pcp() - free what zone_init_free_lists() and deferred blocks
 * allocated (pcp sets, pageblock types, deferred records). Context: shutdown.
 */
void zone_free_pcp(struct zone *zone)
{
	if (zone->per_cpu_pageset)
		pcpu_free(zone->machine, zone->per_cpu_pageset);
	zone->per_cpu_pageset = NULL;
	free(zone->pageblock_mt);
	zone->pageblock_mt = NULL;
	if (zone->deferred_ranges.next) {
		while (!list_empty(&zone->deferred_ranges)) {
			struct deferred_range *dr = list_first_entry(&zone->deferred_ranges,
								     struct deferred_range, list);

			list_del(&dr->list);
			free(dr);
		}
		zone->nr_deferred_blocks = 0;
	}
}

/* ---- Zonelists ---- */

static int build_zonerefs_node(pg_data_t *pgdat, struct zone **zones, int n)
{
	for (int t = MAX_NR_ZONES - 1; t >= 0; t--) {
		struct zone *z = &pgdat->node_zones[t];

		if (populated_zone(z))
			zones[n++] = z;
	}
	return n;
}

/*
 * Node order for @local: itself, then by distance. kmm's nodes (numa=fake)
 * are all at distance 20 from each other, and Linux's find_next_best_node()
 * then prefers higher node ids first (it penalises n < local), so the order
 * is local, local+1, ..., last, 0, ..., local-1. Written into @lists, a set
 * nobody reads yet.
 */
static void build_zonelists(struct kmm_machine *m, pg_data_t *pgdat, struct zonelist *lists)
{
	struct zone **fb = lists[ZONELIST_FALLBACK].zones;
	struct zone **nofb = lists[ZONELIST_NOFALLBACK].zones;
	int n = 0, local = pgdat->node_id;
	char order[4 * MAX_NUMNODES + 1];
	size_t len = 0;

	for (int i = 0; i < m->nr_node_ids; i++) {
		int nid = (local + i) % m->nr_node_ids;

		if (!m->node_data[nid])
			continue;
		n = build_zonerefs_node(m->node_data[nid], fb, n);
		len += (size_t)snprintf(order + len, sizeof(order) - len, "%d ", nid);
	}
	fb[n] = NULL;
	if (m->kconfig && m->kconfig->numa)	/* CONFIG_NUMA's build_zonelists() */
		kmm_printk(m, "Fallback order for Node %d: %s", local, order);
	n = build_zonerefs_node(pgdat, nofb, 0);
	nofb[n] = NULL;
}

static struct zonelist_set *zonelist_set_of(struct zonelist *lists)
{
	return container_of(lists, struct zonelist_set, lists[0]);
}

pg_data_t *pgdat_alloc(int nr_nodes)
{
	pg_data_t *pgdat = calloc(1, sizeof(*pgdat) + zonelist_set_bytes(nr_nodes));

	if (pgdat) {
		pgdat->boot_zonelists = (struct zonelist_set *)(pgdat + 1);
		zonelist_set_init(pgdat->boot_zonelists, nr_nodes);
	}
	return pgdat;
}

int zonelist_sets_alloc(struct kmm_machine *m, struct zonelist_set **sets)
{
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		sets[nid] = NULL;
		if (nid < m->nr_node_ids && m->node_data[nid] &&
		    !(sets[nid] = calloc(1, zonelist_set_bytes(m->nr_node_ids)))) {
			zonelist_sets_free(sets);
			return kmm_set_error(-ENOMEM, "zonelists: out of host memory");
		}
		if (sets[nid])
			zonelist_set_init(sets[nid], m->nr_node_ids);
	}
	return 0;
}

void zonelist_sets_free(struct zonelist_set **sets)
{
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		free(sets[nid]);
		sets[nid] = NULL;
	}
}

void free_old_zonelists(pg_data_t *pgdat)
{
	struct zonelist_set *set = pgdat->node_zonelists ? zonelist_set_of(pgdat->node_zonelists)
							 : NULL;

	while (set) {
		struct zonelist_set *older = set->older;

		if (set != pgdat->boot_zonelists)
			free(set);
		set = older;
	}
	pgdat->node_zonelists = NULL;
}

/**
 * nr_free_zone_pages_m() - managed pages above the high mark in node 0's
 * fallback zonelist, zones up to @offset (Linux's nr_free_zone_pages()).
 */
unsigned long nr_free_zone_pages_m(struct kmm_machine *m, int offset)
{
	unsigned long sum = 0;
	pg_data_t *pgdat = m->node_data[0];

	if (!pgdat)
		return 0;
	for (struct zone **zp = node_zonelist(pgdat, ZONELIST_FALLBACK)->zones; *zp; zp++) {
		struct zone *z = *zp;
		unsigned long size = zone_managed_pages(z), high = high_wmark_pages(z);

		if ((int)z->type > offset)
			continue;
		if (size > high)
			sum += size - high;
	}
	return sum;
}

/**
 * nr_free_buffer_pages() - nr_free_zone_pages() of gfp_zone(GFP_USER): lowmem.
 */
unsigned long nr_free_buffer_pages(struct kmm_machine *m)
{
	return nr_free_zone_pages_m(m, gfp_zone_m(m, GFP_USER));
}

/*
 * Build every node's zonelists into @sets (one per node, NULL: the nodes'
 * boot sets), publish each whole with one release store, then the fast
 * path's table; print "Built N zonelists" (and Linux's NUMA lines).
 */
static void publish_all_zonelists(struct kmm_machine *m, struct zonelist_set **sets)
{
	unsigned long total;
	int nodes = 0;

	page_alloc_sysctl_defaults(m);
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		pg_data_t *pgdat = m->node_data[nid];
		struct zonelist_set *set;

		if (!pgdat)
			continue;
		set = sets ? sets[nid] : pgdat->boot_zonelists;
		if (sets)
			sets[nid] = NULL;	/* the node owns it now */
		build_zonelists(m, pgdat, set->lists);
		set->older = pgdat->node_zonelists ? zonelist_set_of(pgdat->node_zonelists) : NULL;
		__atomic_store_n(&pgdat->node_zonelists, set->lists, __ATOMIC_RELEASE);
		build_fast_zones(m, pgdat);
		nodes++;
	}
	total = nr_free_zone_pages_m(m, gfp_zone_m(m, GFP_HIGHUSER_MOVABLE));
	kmm_printk(m, "Built %d zonelists, mobility grouping on.  Total pages: %lu", nodes, total);
	if (m->kconfig && m->kconfig->numa) {
		/* policy_zone: the highest populated zone below ZONE_MOVABLE (check_highest_zone). */
		int policy = 0;

		for (int nid = 0; nid < m->nr_node_ids; nid++)
			for (int z = 0; z < ZONE_MOVABLE; z++)
				if (m->node_data[nid] && populated_zone(&m->node_data[nid]->node_zones[z]))
					policy = KMM_MAX(policy, z);
		kmm_printk(m, "Policy zone: %s", zone_names[policy]);
	}
}

/**
 * build_all_zonelists() - every node's fallback and no-fallback zonelists
 * (into its boot set), and the "Built N zonelists" line. Context: boot.
 */
void build_all_zonelists(struct kmm_machine *m)
{
	publish_all_zonelists(m, NULL);
}

/**
 * rebuild_all_zonelists() - build_all_zonelists() after boot, while other
 * threads allocate: each node's lists are built into @sets (from
 * zonelist_sets_alloc(); all of them are taken) and published whole. A walk
 * that started on the old lists finishes on them; the allocator's slow path
 * starts again on the new ones before it fails (Linux's zonelist_update_seq).
 * Context: the caller serialises rebuilds (memory hotplug's lock).
 */
void rebuild_all_zonelists(struct kmm_machine *m, struct zonelist_set **sets)
{
	publish_all_zonelists(m, sets);
}

/* ---- Watermarks and reserves ---- */

#define for_each_zone_m(m, z)                                                   \
	for (int _nid = 0; _nid < (m)->nr_node_ids; _nid++)                     \
		if ((m)->node_data[_nid])                                       \
			for ((z) = (m)->node_data[_nid]->node_zones;            \
			     (z) < (m)->node_data[_nid]->node_zones + MAX_NR_ZONES; (z)++)

static unsigned long mult_frac_ul(unsigned long x, unsigned long n, unsigned long d)
{
	return (x / d) * n + ((x % d) * n) / d;
}

/**
 * calculate_totalreserve_pages() - sum over zones of min(managed,
 * max(lowmem_reserve[]) + high) into m->totalreserve_pages.
 * Context: boot, a sysctl or memory online; /proc/meminfo and the dirty
 * limits read the sums without a lock, so each is stored once, whole.
 */
void calculate_totalreserve_pages(struct kmm_machine *m)
{
	unsigned long reserve = 0;

	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		pg_data_t *pgdat = m->node_data[nid];

		if (!pgdat)
			continue;
		unsigned long node_reserve = 0;

		for (int i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *zone = &pgdat->node_zones[i];
			long max = 0;
			unsigned long managed = zone_managed_pages(zone);

			for (int j = i; j < MAX_NR_ZONES; j++)
				if (zone->lowmem_reserve[j] > max)
					max = zone->lowmem_reserve[j];
			max += (long)high_wmark_pages(zone);
			if (max > (long)managed)
				max = (long)managed;
			node_reserve += (unsigned long)max;
		}
		WRITE_ONCE(pgdat->totalreserve_pages, node_reserve);
		reserve += node_reserve;
	}
	WRITE_ONCE(m->totalreserve_pages, reserve);
}

static void __setup_per_zone_wmarks(struct kmm_machine *m)
{
	unsigned long pages_min = (unsigned long)m->min_free_kbytes >> (PAGE_SHIFT - 10);
	unsigned long lowmem_pages = 0;
	struct zone *zone;

	for_each_zone_m(m, zone)
		if (zone->type != ZONE_HIGHMEM && zone->type != ZONE_MOVABLE)
			lowmem_pages += zone_managed_pages(zone);

	for_each_zone_m(m, zone) {
		unsigned long managed = zone_managed_pages(zone);
		uint64_t tmp = lowmem_pages ? (uint64_t)pages_min * managed / lowmem_pages : 0;

		spin_lock(&zone->lock);
		if (zone->type == ZONE_HIGHMEM || zone->type == ZONE_MOVABLE) {
			/* __GFP_HIGH and PF_MEMALLOC rarely want these zones: cap min. */
			WRITE_ONCE(zone->_watermark[WMARK_MIN],
				   KMM_CLAMP(managed / 1024, SWAP_CLUSTER_MAX, 128UL));
		} else {
			WRITE_ONCE(zone->_watermark[WMARK_MIN], (unsigned long)tmp);
		}
		tmp = KMM_MAX(tmp >> 2, (uint64_t)mult_frac_ul(managed,
							       (unsigned long)m->watermark_scale_factor,
							       10000));
		WRITE_ONCE(zone->watermark_boost, 0);
		WRITE_ONCE(zone->_watermark[WMARK_LOW], zone->_watermark[WMARK_MIN] + (unsigned long)tmp);
		WRITE_ONCE(zone->_watermark[WMARK_HIGH], zone->_watermark[WMARK_LOW] + (unsigned long)tmp);
		WRITE_ONCE(zone->_watermark[WMARK_PROMO],
			   zone->_watermark[WMARK_HIGH] + (unsigned long)tmp);
		spin_unlock(&zone->lock);
	}
	calculate_totalreserve_pages(m);
}

/**
 * setup_per_zone_wmarks() - min/low/high/promo of every zone from
 * min_free_kbytes and watermark_scale_factor, then totalreserve and pcp sizes.
 * Context: boot or sysctl write; takes each zone->lock and holds each CPU slot in turn.
 */
void setup_per_zone_wmarks(struct kmm_machine *m)
{
	page_alloc_sysctl_defaults(m);
	__setup_per_zone_wmarks(m);
	zone_pcp_update_all(m);
}

/**
 * setup_per_zone_lowmem_reserve() - lowmem_reserve[] ("protection") from
 * lowmem_reserve_ratio, then totalreserve_pages. Context: boot or sysctl.
 */
void setup_per_zone_lowmem_reserve(struct kmm_machine *m)
{
	page_alloc_sysctl_defaults(m);
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		pg_data_t *pgdat = m->node_data[nid];

		if (!pgdat)
			continue;
		for (int i = 0; i < MAX_NR_ZONES - 1; i++) {
			struct zone *zone = &pgdat->node_zones[i];
			int ratio = m->lowmem_reserve_ratio[i];
			bool clear = ratio <= 0 || !zone_managed_pages(zone);
			unsigned long managed = 0;

			for (int j = i + 1; j < MAX_NR_ZONES; j++) {
				managed += zone_managed_pages(&pgdat->node_zones[j]);
				WRITE_ONCE(zone->lowmem_reserve[j],
					   clear ? 0 : (long)(managed / (unsigned long)ratio));
			}
		}
	}
	calculate_totalreserve_pages(m);
}

/**
 * calculate_min_free_kbytes() - min_free_kbytes = 4 * sqrt(lowmem kB),
 * clamped to [128, 262144], unless the user set a larger value.
 * @m: the machine.
 * Context: boot or sysctl; not concurrent with itself.
 */
void calculate_min_free_kbytes(struct kmm_machine *m)
{
	unsigned long lowmem_kbytes = nr_free_buffer_pages(m) * (PAGE_SIZE >> 10);
	long new_min = (long)int_sqrt(lowmem_kbytes * 16);

	if (new_min > m->user_min_free_kbytes)
		m->min_free_kbytes = (int)KMM_CLAMP(new_min, 128L, 262144L);
	else
		kmm_printk(m, "min_free_kbytes is not updated to %ld because user defined value %d is preferred",
			   new_min, m->user_min_free_kbytes);
}

/**
 * init_per_zone_wmark_min() - min_free_kbytes, watermarks, pcp sizes,
 * lowmem reserves, totalreserve_pages: the boot-time initcall.
 */
void init_per_zone_wmark_min(struct kmm_machine *m)
{
	page_alloc_sysctl_defaults(m);
	calculate_min_free_kbytes(m);
	setup_per_zone_wmarks(m);
	refresh_zone_stat_thresholds(m);	/* the node stat items' (mm/vmstat.c) */
	setup_per_zone_lowmem_reserve(m);
}

/**
 * set_recommended_min_free_kbytes() - what khugepaged's start or stop does to
 * min_free_kbytes in a build with transparent hugepages (hugepage_init(), a
 * subsys initcall, after init_per_zone_wmark_min()).
 * @m: the machine.
 *
 * With PMD-sized THP enabled (always or madvise): at least two free
 * pageblocks per lowmem zone, plus MIGRATE_PCPTYPES^2 more for the fallbacks,
 * at most 5% of lowmem; min_free_kbytes only rises. Disabled (never): the
 * plain figure again - now computed with the high watermarks the first pass
 * set, which nr_free_buffer_pages() subtracts, so it comes out lower than the
 * first one (Linux 6.12's x86_64 numbers in tests/real-linux/ show it).
 * Then the watermarks again. Context: boot.
 */
void set_recommended_min_free_kbytes(struct kmm_machine *m)
{
	bool enabled = m->opts.thp == KMM_THP_ALWAYS || m->opts.thp == KMM_THP_MADVISE ||
		       m->opts.thp == KMM_THP_DEFAULT;
	unsigned long zones = 0, rec;

	if (!m->kconfig || !m->kconfig->thp)
		return;
	if (!enabled) {
		calculate_min_free_kbytes(m);
	} else {
		for (int nid = 0; nid < m->nr_node_ids; nid++) {
			pg_data_t *pgdat = m->node_data[nid];

			for (int z = 0; pgdat && z <= (int)gfp_zone_m(m, GFP_USER); z++)
				if (populated_zone(&pgdat->node_zones[z]))
					zones++;
		}
		rec = m->pageblock_nr_pages * zones * (2 + MIGRATE_PCPTYPES * MIGRATE_PCPTYPES);
		rec = KMM_MIN(rec, nr_free_buffer_pages(m) / 20) << (PAGE_SHIFT - 10);
		if (rec > (unsigned long)m->min_free_kbytes) {
			if (m->user_min_free_kbytes >= 0)
				kmm_printk(m, "raising min_free_kbytes from %d to %lu to help "
					   "transparent hugepage allocations", m->min_free_kbytes, rec);
			m->min_free_kbytes = (int)rec;
		}
	}
	setup_per_zone_wmarks(m);
}

/* ---- Per-CPU pageset sizing ---- */

static int zone_batchsize(struct zone *zone)
{
	int batch = (int)KMM_MIN(zone_managed_pages(zone) >> 10, SZ_1M / PAGE_SIZE);

	batch /= 4;
	if (batch < 1)
		batch = 1;
	/* A 2^n - 1 batch avoids cache aliasing between alternating tasks. */
	return (int)rounddown_pow_of_two((unsigned long)(batch + batch / 2)) - 1;
}

static int nr_cpus_of_node(struct kmm_machine *m, int nid)
{
	return nid == 0 ? m->nr_cpus : 0;	/* every CPU slot sits on node 0 */
}

static int zone_highsize(struct zone *zone, int batch, int cpu_online, int high_fraction)
{
	struct kmm_machine *m = zone->machine;
	unsigned long total;
	int nr_split, high;

	if (!high_fraction)
		total = low_wmark_pages(zone);
	else
		total = zone_managed_pages(zone) / (unsigned long)high_fraction;
	nr_split = nr_cpus_of_node(m, zone->node) + cpu_online;
	if (!nr_split)
		nr_split = m->nr_cpus;
	high = (int)(total / (unsigned long)nr_split);
	return KMM_MAX(high, batch << 2);
}

static void zone_set_pageset_high_and_batch(struct zone *zone, int cpu_online)
{
	struct kmm_machine *m = zone->machine;
	int batch = KMM_MAX(1, zone_batchsize(zone)), high_min, high_max;

	if (m->percpu_pagelist_high_fraction) {
		high_min = zone_highsize(zone, batch, cpu_online, m->percpu_pagelist_high_fraction);
		high_max = high_min;	/* tuned by hand: no auto-tuning */
	} else {
		high_min = zone_highsize(zone, batch, cpu_online, 0);
		high_max = zone_highsize(zone, batch, cpu_online, MIN_PERCPU_PAGELIST_HIGH_FRACTION);
	}
	/*
	 * Under the per-CPU area's lock: a slot populated from now on starts
	 * with these (pcp_ctor()), and one populated before is marked so by
	 * the time the lock is ours, so the loop below sees it.
	 */
	spin_lock(&m->percpu.lock);
	zone->pageset_high_min = high_min;
	zone->pageset_high_max = high_max;
	zone->pageset_batch = batch;
	spin_unlock(&m->percpu.lock);
	if (!zone->per_cpu_pageset)
		return;
	for (int c = 0; c < m->nr_cpus; c++) {
		struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, c);

		if (!cpu_populated(&m->percpu, c))
			continue;	/* set up with the zone's limits when first handed out */
		kmm_cpu_lock(m, c);
		pcp->batch = batch;
		pcp->high_min = high_min;
		pcp->high_max = high_max;
		/*
		 * pageset_update(): pcp->high itself stays as it is - 0
		 * (BOOT_PAGESET_HIGH) on a list never used, which /proc/zoneinfo
		 * shows as "high: 0" as Linux 6.12 does; the next refill or free
		 * of the list clamps it into [high_min, high_max] (nr_pcp_alloc,
		 * nr_pcp_high).
		 */
		kmm_cpu_unlock(m, c);
	}
}

/**
 * zone_pcp_update_all() - pcp batch, high_min and high_max of every zone and
 * slot from the current watermarks and percpu_pagelist_high_fraction.
 * Context: holds each CPU slot in turn (kmm_cpu_lock).
 */
void zone_pcp_update_all(struct kmm_machine *m)
{
	struct zone *zone;

	for_each_zone_m(m, zone)
		zone_set_pageset_high_and_batch(zone, 0);
}

/* ---- The zone types of the arch ---- */

/**
 * zone_type_configured() - is zone type @t compiled into @m's arch?
 * @m: the machine; before boot fills zone_types_mask in, Linux's x86 configs.
 */
bool zone_type_configured(const struct kmm_machine *m, enum zone_type t)
{
	unsigned int mask = m->zone_types_mask;

	if (!mask)	/* before boot filled it in: Linux's x86 configs */
		mask = kmm_arch_is_32(m)
			       ? (1u << ZONE_DMA | 1u << ZONE_NORMAL | 1u << ZONE_HIGHMEM |
				  1u << ZONE_MOVABLE)
			       : (1u << ZONE_DMA | 1u << ZONE_DMA32 | 1u << ZONE_NORMAL |
				  1u << ZONE_MOVABLE);
	return mask & (1u << t);
}

/* ---- Sysctls: the page allocator's rows ---- */

/* vm.min_free_kbytes: a user's value also stays the user's (user_min_free_kbytes). */
static void min_free_kbytes_changed(struct kmm_machine *m)
{
	m->user_min_free_kbytes = m->min_free_kbytes;
	setup_per_zone_wmarks(m);
}

/* vm.lowmem_reserve_ratio: one int per zone type of the arch (lowmem_reserve_ratio_sysctl_handler). */
static int lowmem_reserve_ratio_sysctl_handler(struct kmm_machine *m, const struct ctl_table *t,
					       int *data, const char *text, struct strbuf *sb)
{
	long vals[16];
	int n, i = 0;

	if (!text) {
		int ratio[MAX_NR_ZONES];
		bool first = true;

		spin_lock(&m->sysctl_lock);
		for (int z = 0; z < MAX_NR_ZONES; z++)
			ratio[z] = data[z];
		spin_unlock(&m->sysctl_lock);
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			if (!zone_type_configured(m, (enum zone_type)z))
				continue;
			sb_printf(sb, first ? "%d" : "\t%d", ratio[z]);
			first = false;
		}
		sb_puts(sb, "\n");
		return 0;
	}
	n = proc_parse_ints(text, vals, (int)ARRAY_SIZE(vals));
	if (n < 0)
		return -EINVAL;
	spin_lock(&m->sysctl_lock);
	/* Values beyond the number of zone types are ignored, as Linux does. */
	for (int z = 0; z < t->maxlen && i < n; z++) {
		if (!zone_type_configured(m, (enum zone_type)z))
			continue;
		data[z] = vals[i] < 1 ? 0 : (int)vals[i];
		i++;
	}
	t->changed(m);
	spin_unlock(&m->sysctl_lock);
	return 0;
}

/* vm.percpu_pagelist_high_fraction: 0, or at least 8; pcp sizes redone only on a change. */
static int percpu_pagelist_high_fraction_sysctl_handler(struct kmm_machine *m,
							const struct ctl_table *t, int *data,
							const char *text, struct strbuf *sb)
{
	int v;

	if (!text)
		return proc_dointvec_minmax(m, t, data, text, sb);
	if (proc_parse_int_range(text, t->extra1, t->extra2, &v))
		return -EINVAL;
	if (v && v < MIN_PERCPU_PAGELIST_HIGH_FRACTION)
		return -EINVAL;		/* would unbalance the pcp lists */
	spin_lock(&m->sysctl_lock);
	if (*data != v) {
		*data = v;
		t->changed(m);
	}
	spin_unlock(&m->sysctl_lock);
	return 0;
}

static const struct ctl_table page_alloc_sysctls[] = {
	{ .procname = "vm/min_free_kbytes", .offset = offsetof(struct kmm_machine, min_free_kbytes),
	  .maxlen = 1, .mode = 0644, .proc_handler = proc_dointvec_minmax, .extra1 = 0,
	  .extra2 = INT_MAX, .changed = min_free_kbytes_changed },
	{ .procname = "vm/watermark_scale_factor",
	  .offset = offsetof(struct kmm_machine, watermark_scale_factor), .maxlen = 1,
	  .mode = 0644, .proc_handler = proc_dointvec_minmax, .extra1 = 1, .extra2 = 3000,
	  .changed = setup_per_zone_wmarks },
	{ .procname = "vm/watermark_boost_factor",
	  .offset = offsetof(struct kmm_machine, watermark_boost_factor), .maxlen = 1,
	  .mode = 0644, .proc_handler = proc_dointvec_minmax, .extra1 = 0, .extra2 = INT_MAX },
	{ .procname = "vm/lowmem_reserve_ratio",
	  .offset = offsetof(struct kmm_machine, lowmem_reserve_ratio), .maxlen = MAX_NR_ZONES,
	  .mode = 0644, .proc_handler = lowmem_reserve_ratio_sysctl_handler,
	  .changed = setup_per_zone_lowmem_reserve },
	{ .procname = "vm/percpu_pagelist_high_fraction",
	  .offset = offsetof(struct kmm_machine, percpu_pagelist_high_fraction), .maxlen = 1,
	  .mode = 0644, .proc_handler = percpu_pagelist_high_fraction_sysctl_handler,
	  .extra1 = 0, .extra2 = INT_MAX, .changed = zone_pcp_update_all },
	{ 0 },
};

/* ---- The subsystem entry ---- */

/* kmm_drain()'s last step: every per-CPU list back to the buddy. */
static void page_alloc_drain(struct kmm_machine *m)
{
	drain_all_pages(m, NULL);
}

/* The core: always up, its state is the machine; it is set up by kmm_boot() itself. */
const struct kmm_subsys page_alloc_subsys = {
	.name = "page allocator",
	.id = SUBSYS_PAGE_ALLOC,
	.core = true,
	.check = page_alloc_check,
	.drain = page_alloc_drain,
	.sysctls = page_alloc_sysctls,
};
