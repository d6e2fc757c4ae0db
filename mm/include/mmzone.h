// SPDX-License-Identifier: MIT
/*
 * mm/include/mmzone.h - nodes, zones, free areas, per-CPU page lists.
 *
 * Linux counterpart: include/linux/mmzone.h (6.12).
 *
 * Invariant (buddy): a free block of order k starts at a pfn that is a
 * multiple of 2^k, has PGTY_buddy and private == k on its head page, and sits
 * on exactly one free_area[k].free_list[mt] of its zone; nr_free counts the
 * blocks (not pages) of that order over all migrate types, including blocks
 * whose struct pages are not initialised yet (zone->deferred_ranges).
 */
#ifndef KMM_MMZONE_H
#define KMM_MMZONE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "arch/sim/sim.h"
#include "lib/list.h"
#include "mm/include/mm_types.h"
#include "mm/include/vm_event_item.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PFN_UP(x) (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define PFN_DOWN(x) ((x) >> PAGE_SHIFT)
#define PFN_PHYS(x) ((uint64_t)(x) << PAGE_SHIFT)

#define MAX_PAGE_ORDER 10
#define NR_PAGE_ORDERS (MAX_PAGE_ORDER + 1)
#define MAX_ORDER_NR_PAGES (1UL << MAX_PAGE_ORDER)
#define PAGE_ALLOC_COSTLY_ORDER 3

/* Sparse memory sections: 2^15 pages (128 MiB) each, as on x86-64. */
#define SECTION_SHIFT 15
#define PAGES_PER_SECTION (1UL << SECTION_SHIFT)

#define MAX_NUMNODES 64
#define KMM_MAX_CPUS 64

enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES,
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_CMA,
	MIGRATE_ISOLATE,
	MIGRATE_TYPES
};
extern const char *const migratetype_names[MIGRATE_TYPES];

enum zone_type {
	ZONE_DMA,
	ZONE_DMA32,
	ZONE_NORMAL,
	ZONE_HIGHMEM,
	ZONE_MOVABLE,
	/*
	 * CONFIG_ZONE_DEVICE (config=debian): device memory that memremap_pages()
	 * would add at run time. kmm adds none, so the zone is always empty; it
	 * exists so that the build's /proc files and dmesg show it as Linux's do.
	 */
	ZONE_DEVICE,
	MAX_NR_ZONES
};
extern const char *const zone_names[MAX_NR_ZONES];

enum zone_watermarks {
	WMARK_MIN,
	WMARK_LOW,
	WMARK_HIGH,
	WMARK_PROMO,
	NR_WMARK
};

struct free_area {
	struct list_head free_list[MIGRATE_TYPES];
	unsigned long nr_free;
};

/* pcp lists: one per (pcp migrate type, order 0..PAGE_ALLOC_COSTLY_ORDER). */
#define NR_PCP_LISTS (MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))

/* Guarded by the CPU slot's guard (mm/include/cpu_slot.h). */
struct per_cpu_pages {
	int count;		/* pages on the lists */
	int high;		/* above this, free batch pages to the buddy */
	int high_min, high_max;
	int batch;		/* chunk size for buddy add/remove */
	short free_count;
	struct list_head lists[NR_PCP_LISTS];
	unsigned char alloc_factor;	/* batch scale factor during allocate */
	unsigned char flags;		/* PCPF_* */
	/* Linux's per-CPU vm_numa_event: the slot writes, readers fold (zone_numa_event_state) */
	unsigned long numa_event[NR_VM_NUMA_EVENT_ITEMS];
} __attribute__((aligned(64)));

/*
 * A run of MAX_PAGE_ORDER blocks, all in one section, whose struct pages are
 * not initialised yet: all their frames are free and belong to one zone
 * (deferred struct page init, one block at a time).
 */
struct deferred_range {
	unsigned long start_pfn;	/* next block to hand out; zone->lock */
	unsigned long nr_blocks;	/* blocks left from start_pfn; zone->lock */
	struct list_head list;		/* zone->deferred_ranges, zone->lock */
};

/*
 * A CPU slot's share of a node's stat items not yet in the node's base
 * (Linux's per_cpu_nodestat.vm_node_stat_diff, s8 there): ints, updated
 * with atomic adds, since threads beyond the slots share one
 * (mm/include/vmstat.h). Each stays within +-stat_threshold but while an
 * update is between its add and its fold.
 */
struct per_cpu_nodestat {
	atomic_int vm_node_stat_diff[NR_VM_NODE_STAT_ITEMS];
};

struct kmm_machine;
struct pglist_data;

struct zone {
	/* Read-mostly fields */
	unsigned long _watermark[NR_WMARK];	/* zone->lock writers, lockless readers: READ_ONCE */
	unsigned long watermark_boost;		/* zone->lock writers, lockless readers: READ_ONCE */
	unsigned long nr_reserved_highatomic;
	unsigned long nr_free_highatomic;	/* zone->lock writers, lockless readers: READ_ONCE */
	long lowmem_reserve[MAX_NR_ZONES];	/* sysctl_lock writers, lockless readers: READ_ONCE */
	int node;				/* immutable */
	enum zone_type type;			/* immutable */
	struct pglist_data *zone_pgdat;		/* immutable */
	struct kmm_machine *machine;		/* immutable */
	/* per-CPU (per_cpu_ptr()): a slot's pageset is set up at the slot's first hand-out */
	struct per_cpu_pages *per_cpu_pageset;	/* immutable pointer */
	int pageset_high_min, pageset_high_max, pageset_batch;	/* m->percpu.lock writers */
	/*
	 * pageblock_mt: one migratetype per pageblock from zone_start_pfn's,
	 * entries under zone->lock. Memory hotplug replaces the array (release
	 * store) as the zone grows; the start moves only while the zone has no
	 * present pages. The span and present pages change under zone->lock
	 * (hotplug) and are read racily through the helpers below.
	 */
	unsigned char *pageblock_mt;
	unsigned long zone_start_pfn;
	atomic_long managed_pages;
	unsigned long spanned_pages;
	unsigned long present_pages;
	unsigned long present_early_pages;
	unsigned long cma_pages;
	const char *name;
	bool initialized;			/* has present pages */

	/* Write-intensive fields */
	spinlock_t lock;
	struct free_area free_area[NR_PAGE_ORDERS];	/* zone->lock */
	struct list_head deferred_ranges;		/* zone->lock; in hand-out order */
	unsigned long nr_deferred_blocks;		/* zone->lock; MAX_PAGE_ORDER blocks */
	unsigned long nr_lazy_free;	/* buddy=lazy: pages free but unmerged, zone->lock */
	atomic_long vm_stat[NR_VM_ZONE_STAT_ITEMS];
	atomic_long vm_numa_event[NR_VM_NUMA_EVENT_ITEMS];	/* base; the slots' counts fold in */
	unsigned long flags;		/* ZONE_BELOW_HIGH, ZONE_BOOSTED_WATERMARK bits; atomic */
};

static inline unsigned long zone_managed_pages(const struct zone *z)
{
	return (unsigned long)atomic_load_explicit(&((struct zone *)z)->managed_pages,
						   memory_order_relaxed);
}
/*
 * The span and present pages of a zone move when memory is onlined (memory
 * hotplug, under zone->lock); these lock-free readers load them atomically.
 */
static inline bool populated_zone(const struct zone *z)
{
	return __atomic_load_n(&z->present_pages, __ATOMIC_RELAXED) != 0;
}
static inline bool managed_zone(const struct zone *z)
{
	return zone_managed_pages(z) != 0;
}
static inline unsigned long zone_end_pfn(const struct zone *z)
{
	return __atomic_load_n(&z->zone_start_pfn, __ATOMIC_RELAXED) +
	       __atomic_load_n(&z->spanned_pages, __ATOMIC_RELAXED);
}
static inline bool zone_spans_pfn(const struct zone *z, unsigned long pfn)
{
	return pfn >= __atomic_load_n(&z->zone_start_pfn, __ATOMIC_RELAXED) && pfn < zone_end_pfn(z);
}
static inline unsigned long wmark_pages(const struct zone *z, enum zone_watermarks w)
{
	/* boost changes under zone->lock while allocators read it racily */
	return READ_ONCE(z->_watermark[w]) + READ_ONCE(z->watermark_boost);
}
#define min_wmark_pages(z) wmark_pages(z, WMARK_MIN)
#define low_wmark_pages(z) wmark_pages(z, WMARK_LOW)
#define high_wmark_pages(z) wmark_pages(z, WMARK_HIGH)
static inline bool is_highmem_idx(enum zone_type t)
{
	return t == ZONE_HIGHMEM;
}

/*
 * A zonelist: the zones to try, in order, ending with NULL. Linux's is an
 * array with room for every zone of MAX_NUMNODES nodes, two of them in every
 * pg_data_t (6 KB of a node's 16 here, 3 KB a list, of which a one-node
 * machine uses 56 B); kmm's points into its set's room, which is sized by the
 * nodes the machine has (zonelist_set_bytes()). The lists hold the same zones.
 */
struct zonelist {
	struct zone **zones;
};
enum {
	ZONELIST_FALLBACK,	/* all nodes, local first */
	ZONELIST_NOFALLBACK,	/* this node only (__GFP_THISNODE) */
	MAX_ZONELISTS
};

/*
 * A node's zonelists as build_all_zonelists() publishes them: built aside,
 * then never written again. A rebuild (memory hotplug populating a zone)
 * publishes a new set; the one it replaces stays until shutdown, since an
 * allocation may still be walking it.
 */
struct zonelist_set {
	struct zonelist lists[MAX_ZONELISTS];
	struct zonelist_set *older;	/* the set this one replaced, or NULL */
	struct zone *room[];		/* the lists' zones and their NULLs */
};

/* Bytes of a zonelist set for @nr_nodes nodes: every zone of them, then the node's own. */
static inline size_t zonelist_set_bytes(int nr_nodes)
{
	return sizeof(struct zonelist_set) +
	       ((size_t)nr_nodes * MAX_NR_ZONES + 1 + MAX_NR_ZONES + 1) * sizeof(struct zone *);
}

/* Point @set's lists into its room (zonelist_set_bytes(@nr_nodes) of it). */
static inline void zonelist_set_init(struct zonelist_set *set, int nr_nodes)
{
	set->lists[ZONELIST_FALLBACK].zones = set->room;
	set->lists[ZONELIST_NOFALLBACK].zones = set->room + (size_t)nr_nodes * MAX_NR_ZONES + 1;
}

typedef struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	/*
	 * node_zonelists[ZONELIST_*]: the lists of the published set (at boot
	 * @boot_zonelists). Replaced whole, with a release store, when the
	 * zonelists are rebuilt; code that may run meanwhile loads it once with
	 * node_zonelist() (acquire) and keeps what it got.
	 */
	struct zonelist *node_zonelists;
	struct zonelist_set *boot_zonelists;	/* in the node's host block, after it (pgdat_alloc()) */
	/*
	 * The allocation fast path's answer for each value of a mask's four
	 * zone modifier bits (gfp & GFP_ZONEMASK): the preferred zone of
	 * node_zonelists[ZONELIST_FALLBACK] when it is a zone of this node,
	 * else NULL (a bad combination of modifiers, or the slow path's
	 * business); fast_zoneidx holds the mask's highest_zoneidx (which
	 * depends on the mask alone). Written by build_all_zonelists():
	 * fast_zoneidx first, then fast_zone with a release store; read with
	 * an acquire load of fast_zone, then fast_zoneidx.
	 */
	struct zone *fast_zone[16];
	unsigned char fast_zoneidx[16];
	int nr_zones;			/* highest populated zone index + 1 */
	int node_id;
	unsigned long node_start_pfn;
	unsigned long node_present_pages;
	unsigned long node_spanned_pages;
	unsigned long totalreserve_pages;
	/*
	 * The node's stat items (mm/include/vmstat.h): vm_stat[] is the base,
	 * per_cpu_nodestats each CPU slot's diff, folded into the base when
	 * it passes stat_threshold (set by node_stat_init(), boot; NULL
	 * before: updates go to the base). stat_serial is the machine's
	 * serial, to match the thread's cached slot against. The three are
	 * read on every update; stat_threshold is rewritten (rarely) by a
	 * fold when the formula's inputs moved.
	 */
	struct per_cpu_nodestat *per_cpu_nodestats;	/* per-CPU (per_cpu_ptr()) */
	unsigned long stat_serial;
	int stat_threshold;				/* relaxed atomic */
	atomic_long vm_stat[NR_VM_NODE_STAT_ITEMS] __attribute__((aligned(64)));
	void *kswapd;			/* owned by the reclaim layer */
	int kswapd_order;
	enum zone_type kswapd_highest_zoneidx;
	int kswapd_failures;		/* reclaim layer: runs in a row that freed nothing
					 * (zoneinfo's node_unreclaimable: >= 16) */
	unsigned long flags;		/* enum pgdat_flags bits; atomic (reclaim layer) */
} pg_data_t;

/* pgdat->flags (Linux's enum pgdat_flags; the bits kmm's reclaim uses). */
enum pgdat_flags {
	PGDAT_DIRTY,	/* kswapd found only dirty file pages, none queued, at the
			 * inactive tail: it may write the ones it meets again */
};

/* node_zonelist() - @pgdat's published zonelist @which (ZONELIST_FALLBACK, ...). */
static inline struct zonelist *node_zonelist(const pg_data_t *pgdat, int which)
{
	return __atomic_load_n(&pgdat->node_zonelists, __ATOMIC_ACQUIRE) + which;
}

#define for_each_zone_in_node(z, pgdat) \
	for ((z) = (pgdat)->node_zones; (z) < (pgdat)->node_zones + MAX_NR_ZONES; (z)++)

/* ---- The page allocator's zone-wide operations (mm/page_alloc*.c) ---- */

struct kmm_machine;
/** zone_pcp_update_all() - recompute pcp batch/high for every zone (after wmarks change). */
void zone_pcp_update_all(struct kmm_machine *m);
/**
 * zone_pcp_unused_batch() - the batch of @zone's pageset on a CPU slot never
 * handed out: what the slot's pageset will start with (boot's 1 until the
 * zone's limits are first computed), for /proc/zoneinfo.
 * Context: takes m->percpu.lock (a leaf).
 */
int zone_pcp_unused_batch(struct zone *zone);
/** drain_all_pages() - return every pcp page of @zone (or all zones if NULL) to the buddy. */
void drain_all_pages(struct kmm_machine *m, struct zone *zone);
/** zone_type_configured() - is zone type @t part of @m's arch (Linux's x86 configs before boot)? */
bool zone_type_configured(const struct kmm_machine *m, enum zone_type t);
/** get_pageblock_migratetype() / set_pageblock_migratetype(): pageblock bits. */
int get_pageblock_migratetype(const struct page *page);
void set_pageblock_migratetype(struct page *page, int migratetype);

#endif /* KMM_MMZONE_H */
