// SPDX-License-Identifier: MIT
/*
 * mm/memory_hotplug.c - memory hotplug: the board grows RAM after boot.
 *
 * A machine booted with maxmem= (the board's largest RAM, QEMU's -m
 * SIZE,maxmem=MAX) has a hotplug area: MAX - mem bytes of physical address
 * space at the first GiB boundary at or above both 4 GiB and the end of boot
 * RAM, where QEMU's pc machine puts its hot-pluggable DIMMs. add_memory()
 * puts a range of it into service in 128 MiB memory blocks; onlining a block
 * hands its pages to a zone, as /sys/devices/system/memory/memoryN/state
 * does on Linux. The malloc shim uses it to boot small and grow.
 *
 * Linux counterpart: mm/memory_hotplug.c (add_memory_resource,
 * arch_add_memory, online_pages, zone_for_pfn_range, move_pfn_range_to_zone,
 * memhp_default_state=), drivers/base/memory.c (memory blocks and their
 * sysfs files), arch/x86/mm/init_64.c (update_end_of_memory_vars, the
 * direct map and vmemmap of the new range).
 *
 * Kept: 128 MiB blocks named by section number; add_memory() adds the range
 * to memblock, maps it (DirectMap counts in 2M pages, or 1G where a whole
 * aligned GiB comes at once, one page-table page from the page allocator per
 * new GiB), allocates each section's vmemmap (a 2 MiB block of the existing
 * memory, counted in nr_memmap_pages) and moves max_pfn; the blocks are
 * offline unless memhp_default_state= / auto_online_blocks say otherwise.
 * online_pages(): the zone (ZONE_NORMAL or ZONE_MOVABLE by the online type and
 * the "contig-zones" policy), zone and node spans, present pages, physpages,
 * the pages freed to the tail of the zone's free lists (managed pages,
 * totalram), the zonelists rebuilt when the zone was empty (with Linux's
 * "Built N zonelists" line), then init_per_zone_wmark_min(): min_free_kbytes
 * recomputed, watermarks, lowmem reserves, totalreserve_pages and the pcp
 * batch/high; khugepaged's recommended min_free_kbytes when THP is on.
 * Simplified: x86_64 only (i386 has no hotplug in Linux's defconfig);
 * the block size is 128 MiB on every machine (Linux picks up to 2 GiB at
 * 64 GiB of boot RAM and more); the added pages join the zone as deferred
 * blocks (their struct pages initialised when the allocator first takes them,
 * as for boot's free sections; the free lists come out as Linux's
 * free-to-tail leaves them); no memory groups, no notifier chain.
 * memory_hotplug.memmap_on_memory=1 puts each block's vmemmap in its own
 * first pageblock instead (present, not managed), so that memory can be
 * added when none is left to hold a vmemmap: the malloc shim grows so. Not built: offlining and removal (writing "offline" is
 * refused with EBUSY and a message).
 *
 * Invariant (checked by the "hotplug" layer): the added bytes are
 * [area_start, next), whole blocks; an online block's pages are present in
 * exactly one zone, which spans them; the zones' present pages still add up
 * to physpages (the boot checker) and max_pfn is the end of the last added
 * range or of boot RAM.
 *
 * Locking: hp->lock (Linux's mem_hotplug_lock) serialises add and online;
 * zone->lock is taken inside it to move a zone's span and pageblock array.
 * hp->lock spins, so nothing under it may sleep or reclaim: add_memory()
 * takes the vmemmaps before it (Linux's lock is a sleeping percpu rwsem).
 * The memory block files of sysfs read the blocks, memblock and the zones'
 * spans under hp->lock (Linux's device_hotplug_lock does that for them).
 * Other readers (/proc/meminfo, zoneinfo, pagetypeinfo, node meminfo) take
 * no lock, as Linux's read under the seqlocks this leaves out: every count
 * and span this file changes after boot is stored with __atomic stores
 * (RMWs for the DirectMap counts) and read with __atomic loads there, so a
 * reader sees one value or the other, never a torn one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/include/asm/layout.h"
#include "mm/include/boot.h"
#include "mm/include/memblock.h"
#include "mm/include/memory_hotplug.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"

#define GB (1ULL << 30)
#define PUD_PAGES (GB >> PAGE_SHIFT)
#define VMEMMAP_ORDER 9		/* a section's 2 MiB of struct pages (64 bytes each) */

/* One hot-added memory block. */
struct hot_block {		/* every field: hp->lock */
	bool added;
	bool online;
	signed char zone;	/* enum zone_type once online */
	int nid;
	struct page *vmemmap;	/* the section's vmemmap, 2^VMEMMAP_ORDER pages */
	bool self_hosted;	/* memmap_on_memory: the vmemmap is the block's first pages */
};

struct memory_hotplug {
	spinlock_t lock;		/* mem_hotplug_lock: add and online */
	uint64_t area_start, area_end;	/* immutable after init */
	unsigned long first_section;	/* area_start's, immutable */
	uint64_t next;			/* first byte not added yet; lock */
	int auto_online;		/* auto_online_blocks (MMOP_*); lock, read racily */
	bool memmap_on_memory;		/* memory_hotplug.memmap_on_memory=, immutable */
	struct hot_block *blocks;	/* one per section of the area; lock */
	uint64_t (*ranges)[2];		/* the added ranges, for /proc/iomem; lock */
	int nr_ranges;
	struct page **tables;		/* direct-map page-table pages; lock */
	int nr_tables;
	void **retired;			/* pageblock arrays a zone grew out of; lock */
	int nr_retired;
};

static struct memory_hotplug *hp_of(const struct kmm_machine *m)
{
	return subsys_up(m, SUBSYS_HOTPLUG) ? m->subsys[SUBSYS_HOTPLUG] : NULL;
}

/* The sysfs directory exists where Linux builds memory hotplug: x86_64. */
static struct memory_hotplug *sysfs_hp(const struct kmm_machine *m)
{
	return kmm_arch_is_32(m) ? NULL : hp_of(m);
}

static const char *const online_type_names[] = {
	[MMOP_OFFLINE] = "offline",
	[MMOP_ONLINE] = "online",
	[MMOP_ONLINE_KERNEL] = "online_kernel",
	[MMOP_ONLINE_MOVABLE] = "online_movable",
};

int mhp_online_type_from_str(const char *str)
{
	size_t len = strlen(str);

	if (len && str[len - 1] == '\n')	/* sysfs_streq */
		len--;
	for (int i = 0; i < (int)ARRAY_SIZE(online_type_names); i++)
		if (strlen(online_type_names[i]) == len && !strncmp(str, online_type_names[i], len))
			return i;
	return -EINVAL;
}

/* ---- Boot options and the area ---- */

static int parse_size(const char *s, uint64_t *out)
{
	const char *end;

	if (!s || !*s || *s == '-' || kmm_parse_size(s, out, &end) || *end)
		return -EINVAL;
	return 0;
}

static int validate_maxmem(const char *val, char *err, size_t errlen)
{
	uint64_t v;

	if (parse_size(val, &v) || !v || v > (4ULL << 40)) {
		snprintf(err, errlen, "expected maxmem=SIZE (K/M/G/T, at most 4T)");
		return -EINVAL;
	}
	return 0;
}

static int validate_default_state(const char *val, char *err, size_t errlen)
{
	if (!val || mhp_online_type_from_str(val) < 0) {
		snprintf(err, errlen, "expected memhp_default_state=online, offline, "
			 "online_kernel or online_movable");
		return -EINVAL;
	}
	return 0;
}

/*
 * kstrtobool's words, and 6.12's "force" or "FORCE" (the two spellings its
 * parser knows; taken as on: a kmm block's memmap is one pageblock). Asked
 * first: kstrtobool() would read the 'f' of "force" as false.
 */
static int parse_bool(const char *val, bool *out)
{
	if (!val || !strcmp(val, "force") || !strcmp(val, "FORCE")) {
		*out = true;
		return 0;
	}
	return kstrtobool(val, out);
}

static int validate_memmap_on_memory(const char *val, char *err, size_t errlen)
{
	bool b;

	if (parse_bool(val, &b)) {
		snprintf(err, errlen, "expected memory_hotplug.memmap_on_memory=1 or 0");
		return -EINVAL;
	}
	return 0;
}

static void memory_hotplug_boot_options(void)
{
	kmm_register_boot_option("maxmem", validate_maxmem);
	kmm_register_boot_option("memhp_default_state", validate_default_state);
	kmm_register_boot_option("memory_hotplug.memmap_on_memory", validate_memmap_on_memory);
}

void memory_hotplug_area(const struct kmm_machine *m, uint64_t *start, uint64_t *end)
{
	const struct memory_hotplug *hp = hp_of(m);
	const char *opt = kmm_boot_option((struct kmm_machine *)m, "maxmem");
	uint64_t max = 0, ram_end, room;

	/*
	 * Once the layer is up, its own copy: the area is fixed at boot, while
	 * max_pfn grows with every plug (a reader here, /proc/iomem, may run
	 * beside one).
	 */
	if (hp) {
		*start = hp->area_start;
		*end = hp->area_end;
		return;
	}
	ram_end = PFN_PHYS(m->max_pfn);
	*start = *end = 0;
	if (!opt || parse_size(opt, &max) || kmm_arch_is_32(m) || max <= m->opts.mem)
		return;
	room = ALIGN_DOWN(max - m->opts.mem, (uint64_t)MEMORY_BLOCK_SIZE);
	if (!room)
		return;
	*start = ALIGN_UP(KMM_MAX(ram_end, 4 * GB), GB);
	*end = *start + room;
}

unsigned long memory_hotplug_max_sections(const struct kmm_machine *m)
{
	uint64_t s, e;

	memory_hotplug_area(m, &s, &e);
	return KMM_MAX(m->nr_sections, (unsigned long)(e / MEMORY_BLOCK_SIZE));
}

/* ---- Zones ---- */

static bool zone_intersects(const struct zone *z, unsigned long pfn, unsigned long nr)
{
	return z->spanned_pages && pfn < zone_end_pfn(z) && pfn + nr > z->zone_start_pfn;
}

/* default_kernel_zone_for_pfn(): the first kernel zone the range falls in, else Normal. */
static struct zone *default_kernel_zone(pg_data_t *pgdat, unsigned long pfn, unsigned long nr)
{
	for (int z = 0; z <= ZONE_NORMAL; z++)
		if (zone_intersects(&pgdat->node_zones[z], pfn, nr))
			return &pgdat->node_zones[z];
	return &pgdat->node_zones[ZONE_NORMAL];
}

/*
 * zone_for_pfn_range() with the default "contig-zones" policy: kernel types
 * go to the kernel zone, online_movable to Movable, plain "online" to
 * whichever of the two the range already lies in, else to the kernel zone.
 */
static struct zone *zone_for_pfn_range(pg_data_t *pgdat, int type, unsigned long pfn,
				       unsigned long nr)
{
	struct zone *kernel = default_kernel_zone(pgdat, pfn, nr);
	struct zone *movable = &pgdat->node_zones[ZONE_MOVABLE];
	bool in_kernel, in_movable;

	if (type == MMOP_ONLINE_KERNEL)
		return kernel;
	if (type == MMOP_ONLINE_MOVABLE)
		return movable;
	in_kernel = zone_intersects(kernel, pfn, nr);
	in_movable = zone_intersects(movable, pfn, nr);
	if (in_kernel != in_movable)
		return in_kernel ? kernel : movable;
	return kernel;
}

/*
 * Why @zone may not grow over [pfn, pfn + nr), or NULL when it may.
 * - kmm keeps zones from overlapping (its pfn walkers go by span): no other
 *   zone of the node may span any of the pages between the zone's present
 *   span and the range. Linux lets zones interleave here.
 * - A zone that has pages grows only upward: its start_pfn and pageblock
 *   array are read without a lock by every page allocation and free (the
 *   index of a pfn's pageblock is taken from the start), so the start stays
 *   where the zone's first pages put it. Linux keeps pageblock bits per
 *   section, where they never move, and guards the span with
 *   zone_span_seqlock.
 * kmm refuses such an online with EINVAL and this message.
 */
static const char *zone_growth_refused(pg_data_t *pgdat, const struct zone *zone,
				       unsigned long pfn, unsigned long nr)
{
	unsigned long lo = pfn, hi = pfn + nr;

	if (populated_zone(zone) && pfn < zone->zone_start_pfn)
		return "starts above it, and a zone with pages only grows upward in kmm";
	if (zone->spanned_pages) {
		lo = KMM_MIN(lo, zone->zone_start_pfn);
		hi = KMM_MAX(hi, zone_end_pfn(zone));
	}
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *o = &pgdat->node_zones[z];

		if (o != zone && o->spanned_pages && o->zone_start_pfn < hi && zone_end_pfn(o) > lo)
			return "cannot be grown over without spanning another zone's pages "
			       "(kmm keeps zones apart)";
	}
	return NULL;
}

static bool zone_may_grow(pg_data_t *pgdat, const struct zone *zone, unsigned long pfn,
			  unsigned long nr)
{
	return !zone_growth_refused(pgdat, zone, pfn, nr);
}

/*
 * resize_zone_range() and resize_pgdat_range(): @zone grows to cover [pfn,
 * pfn + nr), its pageblock types with it (a new array, the old one kept until
 * shutdown: a lock-free reader may still hold it; new pageblocks Movable, as
 * memmap_init_range leaves them). Return: 0 or -ENOMEM.
 */
static int grow_zone_span(struct memory_hotplug *hp, struct zone *zone, unsigned long pfn,
			  unsigned long nr)
{
	struct kmm_machine *m = zone->machine;
	pg_data_t *pgdat = zone->zone_pgdat;
	int pbo = m->pageblock_order;
	unsigned long start = zone->spanned_pages ? KMM_MIN(zone->zone_start_pfn, pfn) : pfn;
	unsigned long end = zone->spanned_pages ? KMM_MAX(zone_end_pfn(zone), pfn + nr) : pfn + nr;
	size_t n = ((end - 1) >> pbo) - (start >> pbo) + 1;
	unsigned char *mt = malloc(n);
	void **retired = realloc(hp->retired, sizeof(*retired) * (size_t)(hp->nr_retired + 1));
	unsigned long node_end;

	if (retired)
		hp->retired = retired;
	if (!mt || !retired) {
		free(mt);
		return kmm_set_error(-ENOMEM, "memory hotplug: out of host memory for pageblocks");
	}
	memset(mt, MIGRATE_MOVABLE, n);
	spin_lock(&zone->lock);
	if (zone->pageblock_mt) {
		size_t off = (zone->zone_start_pfn >> pbo) - (start >> pbo);
		size_t old = ((zone_end_pfn(zone) - 1) >> pbo) - (zone->zone_start_pfn >> pbo) + 1;

		memcpy(mt + off, zone->pageblock_mt, old);
		hp->retired[hp->nr_retired++] = zone->pageblock_mt;
	}
	/*
	 * Lock-free readers: the start moves only while the zone has no pages
	 * (zone_growth_refused), so no allocation or free indexes the array
	 * from it meanwhile; the array and the span are published after it.
	 */
	if (start != zone->zone_start_pfn)
		__atomic_store_n(&zone->zone_start_pfn, start, __ATOMIC_RELAXED);
	__atomic_store_n(&zone->pageblock_mt, mt, __ATOMIC_RELEASE);
	__atomic_store_n(&zone->spanned_pages, end - start, __ATOMIC_RELEASE);
	spin_unlock(&zone->lock);

	node_end = KMM_MAX(pgdat->node_start_pfn + pgdat->node_spanned_pages, end);
	if (!pgdat->node_spanned_pages || start < pgdat->node_start_pfn)
		__atomic_store_n(&pgdat->node_start_pfn, pgdat->node_spanned_pages ?
				 KMM_MIN(pgdat->node_start_pfn, start) : start, __ATOMIC_RELAXED);
	__atomic_store_n(&pgdat->node_spanned_pages, node_end - pgdat->node_start_pfn,
			 __ATOMIC_RELAXED);
	if ((int)zone->type + 1 > pgdat->nr_zones)
		__atomic_store_n(&pgdat->nr_zones, (int)zone->type + 1, __ATOMIC_RELAXED);
	return 0;
}

static bool thp_enabled(const struct kmm_machine *m)
{
	return m->kconfig && m->kconfig->thp &&
	       (m->opts.thp == KMM_THP_ALWAYS || m->opts.thp == KMM_THP_MADVISE ||
		m->opts.thp == KMM_THP_DEFAULT);
}

static int block_index(const struct memory_hotplug *hp, unsigned long block_id)
{
	if (block_id < hp->first_section ||
	    block_id >= hp->first_section + (hp->area_end - hp->area_start) / MEMORY_BLOCK_SIZE)
		return -1;
	return (int)(block_id - hp->first_section);
}

/*
 * memory_block_online() of a block that hosts its own memmap
 * (memmap_on_memory): mhp_init_memmap_on_memory() makes the first
 * 2^VMEMMAP_ORDER pages (one pageblock, Unmovable) the vmemmap - present,
 * never managed, reserved - and online_pages() the rest: the other half of
 * the first MAX_PAGE_ORDER block to the buddy allocator now, the other
 * blocks deferred. Struct pages of the first block are initialised here.
 */
static void online_self_hosted(struct kmm_machine *m, struct zone *zone, unsigned long pfn)
{
	unsigned long vm = 1UL << VMEMMAP_ORDER;

	for (unsigned long p = pfn; p < pfn + MAX_ORDER_NR_PAGES; p++)
		__init_single_page(m, pfn_to_page_m(m, p), p, zone->type, zone->node);
	atomic_fetch_add_explicit(&m->memmap_init_pages, MAX_ORDER_NR_PAGES, memory_order_relaxed);
	spin_lock(&zone->lock);
	set_pageblock_migratetype(pfn_to_page_m(m, pfn), MIGRATE_UNMOVABLE);
	spin_unlock(&zone->lock);
	__atomic_store_n(&m->section_state[pfn >> SECTION_SHIFT], SECTION_ONLINE, __ATOMIC_RELEASE);
	__free_pages_core(pfn_to_page_m(m, pfn + vm), VMEMMAP_ORDER);
	zone_add_deferred_blocks(zone, pfn + MAX_ORDER_NR_PAGES,
				 (PAGES_PER_SECTION >> MAX_PAGE_ORDER) - 1);
	atomic_fetch_add(&m->totalram_pages, (long)(PAGES_PER_SECTION - vm));
}

/*
 * online_pages() of one block, hp->lock held: the zone grows over the block,
 * the pages go to its free lists, the counts and the watermarks follow.
 */
static int online_block_locked(struct kmm_machine *m, struct memory_hotplug *hp,
			       unsigned long block_id, int type)
{
	int i = block_index(hp, block_id);
	struct hot_block *b;
	unsigned long pfn = block_id << SECTION_SHIFT, nr = PAGES_PER_SECTION;
	struct zonelist_set *sets[MAX_NUMNODES];
	const char *why;
	pg_data_t *pgdat;
	struct zone *zone;
	bool rebuild;
	int err;

	if (i < 0 || !hp->blocks[i].added) {
		bool boot = block_id < m->nr_sections &&
			    memblock_overlap(&m->memblock.memory, PFN_PHYS(pfn), PFN_PHYS(pfn + nr));

		return kmm_set_error(-EINVAL, "memory%lu: %s", block_id,
				     boot ? "already online (boot memory)" : "no such memory block");
	}
	b = &hp->blocks[i];
	if (b->online)
		return kmm_set_error(-EINVAL, "memory%lu: already online", block_id);
	if (type == MMOP_OFFLINE)
		return 0;
	pgdat = m->node_data[b->nid];
	zone = zone_for_pfn_range(pgdat, type, pfn, nr);
	why = zone_growth_refused(pgdat, zone, pfn, nr);
	if (why)
		return kmm_set_error(-EINVAL, "memory%lu: zone %s %s", block_id, zone->name, why);
	/* an empty zone gets pages: new zonelists, their room taken before anything changes */
	rebuild = !populated_zone(zone);
	if (rebuild && zonelist_sets_alloc(m, sets))
		return -ENOMEM;
	err = grow_zone_span(hp, zone, pfn, nr);
	if (err) {
		if (rebuild)
			zonelist_sets_free(sets);
		return err;
	}

	if (b->self_hosted) {
		online_self_hosted(m, zone, pfn);
	} else {
		/* online_pages_range(): free to the tail, counted in managed pages. */
		zone_add_deferred_section(zone, pfn);
		atomic_fetch_add(&m->totalram_pages, (long)nr);
	}
	/* adjust_present_page_count() */
	spin_lock(&zone->lock);
	__atomic_fetch_add(&zone->present_pages, nr, __ATOMIC_RELAXED);
	__atomic_store_n(&zone->initialized, true, __ATOMIC_RELAXED);
	spin_unlock(&zone->lock);
	__atomic_fetch_add(&pgdat->node_present_pages, nr, __ATOMIC_RELAXED);
	__atomic_fetch_add(&m->physpages, nr, __ATOMIC_RELAXED);
	b->online = true;
	b->zone = (signed char)zone->type;
	if (rebuild)
		rebuild_all_zonelists(m, sets);
	/* init_per_zone_wmark_min(), and khugepaged's figure when it runs */
	init_per_zone_wmark_min(m);
	if (thp_enabled(m))
		set_recommended_min_free_kbytes(m);
	return 0;
}

/* ---- Adding memory ---- */

/*
 * Undo map_range_locked() of [s, e) while hp->next is still where it was:
 * the counts come off and the tables from @tables_before on are freed.
 */
static void unmap_range_locked(struct kmm_machine *m, struct memory_hotplug *hp, uint64_t s,
			       uint64_t e, int tables_before)
{
	for (uint64_t g = ALIGN_DOWN(s, GB); g < e; g += GB) {
		uint64_t lo = KMM_MAX(s, g), hi = KMM_MIN(e, g + GB);

		if (lo == g && hi == g + GB && hp->next <= g)
			__atomic_fetch_sub(&m->layout.direct_pages_count[PG_LEVEL_1G], 1,
					   __ATOMIC_RELAXED);
		else
			__atomic_fetch_sub(&m->layout.direct_pages_count[PG_LEVEL_2M],
					   (unsigned long)((hi - lo) >> 21), __ATOMIC_RELAXED);
	}
	while (hp->nr_tables > tables_before)
		__free_pages(hp->tables[--hp->nr_tables], 0);
}

/*
 * The 1G page or the 2M pages of the direct map over [s, e), and its new
 * tables. The counts are read without a lock by /proc/meminfo's DirectMap
 * lines: changed with atomic RMWs. Return: 0, or -ENOMEM with the counts and
 * tables as they were (the GiBs counted before the failing one are taken back).
 */
static int map_range_locked(struct kmm_machine *m, struct memory_hotplug *hp, uint64_t s,
			    uint64_t e)
{
	int tables_before = hp->nr_tables;

	for (uint64_t g = ALIGN_DOWN(s, GB); g < e; g += GB) {
		uint64_t lo = KMM_MAX(s, g), hi = KMM_MIN(e, g + GB);
		bool fresh = hp->next <= g;	/* nothing of this GiB was mapped before */

		if (lo == g && hi == g + GB && fresh) {
			__atomic_fetch_add(&m->layout.direct_pages_count[PG_LEVEL_1G], 1,
					   __ATOMIC_RELAXED);
			continue;
		}
		if (fresh) {
			struct page *pt = alloc_pages_node(0, GFP_ATOMIC | __GFP_ZERO, 0);
			struct page **t = pt ? realloc(hp->tables, sizeof(*t) * (size_t)(hp->nr_tables + 1))
					     : NULL;

			if (!t) {
				if (pt)
					__free_pages(pt, 0);
				/* [s, g) is counted: take it back */
				unmap_range_locked(m, hp, s, g, tables_before);
				return kmm_set_error(-ENOMEM, "memory hotplug: no page for the "
						     "direct map's page table");
			}
			hp->tables = t;
			t[hp->nr_tables++] = pt;
		}
		__atomic_fetch_add(&m->layout.direct_pages_count[PG_LEVEL_2M],
				   (unsigned long)((hi - lo) >> 21), __ATOMIC_RELAXED);
	}
	return 0;
}

/*
 * arch_add_memory()'s vmemmap: one 2 MiB block of the existing memory per
 * section. Taken before hp->lock, because the allocation may reclaim, write
 * back and throttle: nobody waits behind a spinning lock meanwhile (Linux
 * holds a sleeping mem_hotplug_lock here; kmm's is a spinlock, so nothing
 * that can sleep runs under it). Return: the @nr blocks (a host array), or
 * NULL with the error set and nothing allocated. @first_id names the first
 * block in the message.
 */
static struct page **alloc_vmemmaps(unsigned long first_id, int nid, int nr)
{
	struct page **v = calloc((size_t)nr, sizeof(*v));

	if (!v) {
		kmm_set_error(-ENOMEM, "memory hotplug: out of host memory");
		return NULL;
	}
	for (int i = 0; i < nr; i++) {
		v[i] = alloc_pages_node(nid, GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN,
					VMEMMAP_ORDER);
		if (!v[i]) {
			kmm_set_error(-ENOMEM, "memory hotplug: no 2M block for the vmemmap of "
				      "memory%lu", first_id + (unsigned long)i);
			for (int j = 0; j < i; j++)
				__free_pages(v[j], VMEMMAP_ORDER);
			free(v);
			return NULL;
		}
	}
	return v;
}

static void free_vmemmaps(struct page **v, int nr)
{
	for (int i = 0; v && i < nr; i++)
		if (v[i])
			__free_pages(v[i], VMEMMAP_ORDER);
	free(v);
}

/*
 * add_memory_resource(): add the range, then online its blocks as
 * @online_type says. Onlining that fails leaves the blocks from the failing
 * one on added and offline, as Linux leaves them: the add still succeeded.
 * *@onlined: blocks onlined; *@online_err: why the next one was not (0: all
 * were, or MMOP_OFFLINE). Return: 0 (added) or -errno (nothing changed).
 */
static int __add_memory(struct kmm_machine *m, int nid, uint64_t start, uint64_t size,
			int online_type, int *onlined, int *online_err)
{
	struct memory_hotplug *hp = hp_of(m);
	struct page **vmemmaps = NULL;
	struct kmm_machine *prev;
	uint64_t end = start + size;
	int first, nr, tables_before, err = 0;
	uint64_t (*ranges)[2];

	*onlined = *online_err = 0;
	if (!hp)
		return kmm_set_error(-EOPNOTSUPP, "memory hotplug: not on this machine");
	if (kmm_arch_is_32(m))
		return kmm_set_error(-EOPNOTSUPP, "memory hotplug: x86_64 only (arch=%s)",
				     m->opts.arch == KMM_ARCH_I386 ? "i386" : "i386-pae");
	if (hp->area_end == hp->area_start)
		return kmm_set_error(-ENOSPC, "memory hotplug: the board has no hotplug area "
				     "(boot with maxmem=SIZE above mem=)");
	if (!size || (start | size) % MEMORY_BLOCK_SIZE)
		return kmm_set_error(-EINVAL, "memory hotplug: %llu bytes at %#llx: not whole "
				     "memory blocks of %luM", (unsigned long long)size,
				     (unsigned long long)start,
				     (unsigned long)(MEMORY_BLOCK_SIZE >> 20));
	if (nid < 0 || nid >= m->nr_node_ids || !m->node_data[nid])
		return kmm_set_error(-EINVAL, "memory hotplug: no node %d", nid);
	if (online_type < MMOP_OFFLINE || online_type > MMOP_ONLINE_MOVABLE)
		return kmm_set_error(-EINVAL, "memory hotplug: bad online type %d", online_type);
	/* the area is immutable: no lock needed to refuse a range outside it */
	if (start < hp->area_start || end > hp->area_end || end < start)
		return kmm_set_error(-ERANGE, "memory hotplug: [%#llx-%#llx] is outside the "
				     "hotplug area [%#llx-%#llx] (maxmem=)",
				     (unsigned long long)start, (unsigned long long)end - 1,
				     (unsigned long long)hp->area_start,
				     (unsigned long long)hp->area_end - 1);
	first = block_index(hp, (unsigned long)(start / MEMORY_BLOCK_SIZE));
	nr = (int)(size / MEMORY_BLOCK_SIZE);

	prev = kmm_use(m);
	/* A look without the lock spares the vmemmaps when another adder got there first. */
	if (start != __atomic_load_n(&hp->next, __ATOMIC_RELAXED))
		goto out_exists;
	if (!hp->memmap_on_memory) {
		vmemmaps = alloc_vmemmaps((unsigned long)(start / MEMORY_BLOCK_SIZE), nid, nr);
		if (!vmemmaps) {
			kmm_use(prev);
			return -ENOMEM;
		}
	}
	spin_lock(&hp->lock);
	if (start != hp->next) {
		spin_unlock(&hp->lock);
		free_vmemmaps(vmemmaps, nr);
		goto out_exists;
	}
	ranges = realloc(hp->ranges, sizeof(*ranges) * (size_t)(hp->nr_ranges + 1));
	if (!ranges) {
		err = kmm_set_error(-ENOMEM, "memory hotplug: out of host memory");
		goto out_unlock;
	}
	hp->ranges = ranges;

	/* arch_add_memory(): the direct map (the vmemmaps are already taken) */
	tables_before = hp->nr_tables;
	err = map_range_locked(m, hp, start, end);
	if (!err && memblock_add_node(m, start, size, nid)) {
		err = kmm_set_error(-ENOMEM, "memory hotplug: memblock has no room for the range");
		unmap_range_locked(m, hp, start, end, tables_before);
	}
	if (err)
		goto out_unlock;
	if (!hp->memmap_on_memory)
		__atomic_fetch_add(&m->vm_stat[NR_MEMMAP_PAGES], (long)nr << VMEMMAP_ORDER,
				   __ATOMIC_RELAXED);
	for (int i = first; i < first + nr; i++) {
		hp->blocks[i].vmemmap = vmemmaps ? vmemmaps[i - first] : NULL;
		hp->blocks[i].self_hosted = hp->memmap_on_memory;
		hp->blocks[i].added = true;
		hp->blocks[i].nid = nid;
		hp->blocks[i].zone = -1;
	}
	free(vmemmaps);		/* the blocks own them now */
	vmemmaps = NULL;
	hp->ranges[hp->nr_ranges][0] = start;
	hp->ranges[hp->nr_ranges++][1] = end;
	__atomic_store_n(&hp->next, end, __ATOMIC_RELAXED);
	/* update_end_of_memory_vars(); the section maps reach the new sections */
	__atomic_store_n(&m->max_pfn, (unsigned long)PFN_DOWN(end), __ATOMIC_RELAXED);
	__atomic_store_n(&m->max_low_pfn, (unsigned long)PFN_DOWN(end), __ATOMIC_RELAXED);
	__atomic_store_n(&m->layout.high_memory, m->layout.page_offset + end, __ATOMIC_RELAXED);
	__atomic_store_n(&m->nr_sections, (unsigned long)(end / MEMORY_BLOCK_SIZE),
			 __ATOMIC_RELEASE);

	/* memhp_default_state / the caller's type: online the new blocks now */
	for (int i = first; online_type != MMOP_OFFLINE && i < first + nr; i++) {
		*online_err = online_block_locked(m, hp, hp->first_section + (unsigned long)i,
						  online_type);
		if (*online_err)
			break;	/* added, left offline from here on, as Linux leaves them */
		++*onlined;
	}
out_unlock:
	spin_unlock(&hp->lock);
	free_vmemmaps(vmemmaps, nr);	/* the add failed: they go back */
	kmm_use(prev);
	return err;

out_exists:
	kmm_use(prev);
	return kmm_set_error(-EEXIST, "memory hotplug: %#llx: the next free address of the "
			     "hotplug area is %#llx", (unsigned long long)start,
			     (unsigned long long)__atomic_load_n(&hp->next, __ATOMIC_RELAXED));
}

int add_memory(struct kmm_machine *m, int nid, uint64_t start, uint64_t size, int online_type)
{
	int onlined, online_err;

	return __add_memory(m, nid, start, size, online_type, &onlined, &online_err);
}

int memory_block_online(struct kmm_machine *m, unsigned long block_id, int online_type)
{
	struct memory_hotplug *hp = hp_of(m);
	struct kmm_machine *prev;
	int err;

	if (!hp)
		return kmm_set_error(-EOPNOTSUPP, "memory hotplug: not on this machine");
	if (online_type < MMOP_ONLINE || online_type > MMOP_ONLINE_MOVABLE)
		return kmm_set_error(-EINVAL, "memory%lu: bad online type %d", block_id,
				     online_type);
	prev = kmm_use(m);
	spin_lock(&hp->lock);
	err = online_block_locked(m, hp, block_id, online_type);
	spin_unlock(&hp->lock);
	kmm_use(prev);
	return err;
}

/*
 * Online, as MMOP_ONLINE, every block that is added and offline, for
 * whatever reason (an earlier add whose onlining failed, or one added
 * offline on purpose: KMM_MHP_OFFLINE, memhp_default_state=offline),
 * lowest first, until @want bytes are online. Offlining is not built, so
 * no block gets here from online. A block that cannot be onlined so is
 * passed over and stays offline: one below a zone that only grows upward
 * says nothing of the blocks above it. *@err: the first failure (0 if
 * none); *@top_failed: the highest added block was one that failed.
 * Return: bytes onlined.
 */
static uint64_t online_offline_blocks(struct kmm_machine *m, struct memory_hotplug *hp,
				      uint64_t want, int *err, bool *top_failed)
{
	size_t nr = (size_t)((hp->area_end - hp->area_start) / MEMORY_BLOCK_SIZE);
	struct kmm_machine *prev = kmm_use(m);
	uint64_t done = 0;

	*err = 0;
	*top_failed = false;
	spin_lock(&hp->lock);
	for (size_t i = 0; i < nr && hp->blocks[i].added && done < want; i++) {
		int e;

		if (hp->blocks[i].online)
			continue;
		e = online_block_locked(m, hp, hp->first_section + i, MMOP_ONLINE);
		*top_failed = e && (i + 1 == nr || !hp->blocks[i + 1].added);
		if (e && !*err)
			*err = e;
		if (!e)
			done += MEMORY_BLOCK_SIZE;
	}
	spin_unlock(&hp->lock);
	kmm_use(prev);
	return done;
}

int memory_hotplug_grow(struct kmm_machine *m, uint64_t bytes)
{
	struct memory_hotplug *hp = hp_of(m);
	uint64_t start, size, want = ALIGN_UP(KMM_MAX(bytes, 1), (uint64_t)MEMORY_BLOCK_SIZE);
	int err, onlined, online_err;
	bool top_failed;

	if (!hp)
		return -ENOSPC;
	/*
	 * Blocks already added come first. If the highest of them cannot be
	 * onlined, a new block, right above it, would meet the same zones (Normal
	 * may not grow over Movable's blocks): fail without spending more of the
	 * area. Blocks below it that fail (say, below a zone with pages, which
	 * only grows upward) do not stop a new block going above them.
	 */
	if (online_offline_blocks(m, hp, want, &err, &top_failed))
		return 0;
	if (top_failed)
		return err;
	start = __atomic_load_n(&hp->next, __ATOMIC_RELAXED);
	if (start >= hp->area_end)
		return -ENOSPC;
	size = KMM_MIN(want, hp->area_end - start);
	err = __add_memory(m, 0, start, size, MMOP_ONLINE, &onlined, &online_err);
	/* Another thread grew the machine first: there is more memory either way. */
	if (err == -EEXIST)
		return 0;
	if (err)
		return err;
	/* Added but none onlined: they stay offline for the next grow to try. */
	return onlined ? 0 : online_err;
}

/* ---- The public API ---- */

int kmm_memory_hotplug_add(struct kmm_machine *m, uint64_t bytes, int online_type,
			   uint64_t *start)
{
	struct memory_hotplug *hp = m ? hp_of(m) : NULL;
	uint64_t at;
	int err;

	if (!m)
		return kmm_set_error(-EINVAL, "kmm_memory_hotplug_add: no machine");
	if (!hp)
		return add_memory(m, 0, 0, bytes, MMOP_OFFLINE);	/* says why */
	if (online_type == KMM_MHP_DEFAULT)
		online_type = __atomic_load_n(&hp->auto_online, __ATOMIC_RELAXED);
	at = __atomic_load_n(&hp->next, __ATOMIC_RELAXED);
	err = add_memory(m, 0, at, bytes, online_type);
	if (!err && start)
		*start = at;
	return err;
}

int kmm_memory_block_online(struct kmm_machine *m, unsigned long block, int online_type)
{
	if (!m)
		return kmm_set_error(-EINVAL, "kmm_memory_block_online: no machine");
	return memory_block_online(m, block, online_type);
}

/* ---- /sys/devices/system/memory/ ---- */

/*
 * The blocks of boot memory are online from boot; their zone is the one
 * zone holding all of their RAM, or none when they straddle zones.
 */
static const struct zone *boot_block_zone(struct kmm_machine *m, unsigned long block_id)
{
	uint64_t s = (uint64_t)block_id * MEMORY_BLOCK_SIZE, e = s + MEMORY_BLOCK_SIZE;
	uint64_t ram = memblock_overlap(&m->memblock.memory, s, e);

	for (int nid = 0; nid < m->nr_node_ids; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &m->node_data[nid]->node_zones[z];
			uint64_t zs, ze;

			if (!zone->present_pages)
				continue;
			zs = KMM_MAX(s, PFN_PHYS(zone->zone_start_pfn));
			ze = KMM_MIN(e, PFN_PHYS(zone_end_pfn(zone)));
			if (zs < ze && memblock_overlap(&m->memblock.memory, zs, ze) == ram)
				return zone;
		}
	return NULL;
}

/*
 * What kind of block @block_id is: 0 none, 1 boot (online), 2 hot-added. A
 * block's kind changes only from none to hot-added. Context: hp->lock (an
 * add moves nr_sections, the blocks and memblock).
 */
static int block_kind_locked(struct kmm_machine *m, struct memory_hotplug *hp,
			     unsigned long block_id)
{
	int i = block_index(hp, block_id);
	uint64_t s = (uint64_t)block_id * MEMORY_BLOCK_SIZE;

	if (i >= 0)
		return hp->blocks[i].added ? 2 : 0;
	if (block_id >= m->nr_sections || block_id >= hp->first_section)
		return 0;
	return memblock_overlap(&m->memblock.memory, s, s + MEMORY_BLOCK_SIZE) ? 1 : 0;
}

/* "memory42/state" -> 42 and "state". Return: false if the name is not of that form. */
static bool parse_block_path(const char *rest, unsigned long *id, const char **file)
{
	char *end;

	if (strncmp(rest, "memory", 6) || rest[6] < '0' || rest[6] > '9')
		return false;
	*id = strtoul(rest + 6, &end, 10);
	if (*end != '/' || (rest[6] == '0' && end != rest + 7))
		return false;
	*file = end + 1;
	return true;
}

static const char *const block_files[] = {
	"online", "phys_device", "phys_index", "removable", "state", "valid_zones",
};

static void show_valid_zones(struct kmm_machine *m, struct memory_hotplug *hp,
			     unsigned long block_id, int kind, struct strbuf *sb)
{
	unsigned long pfn = block_id << SECTION_SHIFT, nr = PAGES_PER_SECTION;
	const struct zone *zone;
	pg_data_t *pgdat;
	int i;

	if (kind == 1) {
		zone = boot_block_zone(m, block_id);
		sb_printf(sb, "%s\n", zone ? zone->name : "none");
		return;
	}
	i = block_index(hp, block_id);
	if (hp->blocks[i].online) {
		sb_printf(sb, "%s\n", zone_names[hp->blocks[i].zone]);
		return;
	}
	/* Offline: the default zone first, then the other allowed ones ("none": no zone may). */
	pgdat = m->node_data[hp->blocks[i].nid];
	zone = zone_for_pfn_range(pgdat, MMOP_ONLINE, pfn, nr);
	const char *sep = "";

	if (zone_may_grow(pgdat, zone, pfn, nr)) {
		sb_puts(sb, zone->name);
		sep = " ";
	}
	for (int t = MMOP_ONLINE_KERNEL; t <= MMOP_ONLINE_MOVABLE; t++) {
		struct zone *z = zone_for_pfn_range(pgdat, t, pfn, nr);

		if (z != zone && zone_may_grow(pgdat, z, pfn, nr)) {
			sb_printf(sb, "%s%s", sep, z->name);
			sep = " ";
		}
	}
	sb_puts(sb, *sep ? "\n" : "none\n");
}

/* One file of memory@id/. Context: hp->lock (the block, its zone's span, memblock). */
static int show_block_locked(struct kmm_machine *m, struct memory_hotplug *hp, unsigned long id,
			     const char *file, struct strbuf *sb)
{
	int kind = block_kind_locked(m, hp, id);

	if (!kind)
		return -ENOENT;
	bool online = kind == 1 || hp->blocks[block_index(hp, id)].online;

	if (!strcmp(file, "online"))
		sb_printf(sb, "%d\n", online);
	else if (!strcmp(file, "phys_device"))
		sb_puts(sb, "0\n");
	else if (!strcmp(file, "phys_index"))
		sb_printf(sb, "%08lx\n", id);
	else if (!strcmp(file, "removable"))
		sb_puts(sb, "1\n");	/* CONFIG_MEMORY_HOTREMOVE, as Debian's kernel */
	else if (!strcmp(file, "state"))
		sb_puts(sb, online ? "online\n" : "offline\n");
	else if (!strcmp(file, "valid_zones"))
		show_valid_zones(m, hp, id, kind, sb);
	else
		return -ENOENT;
	return 0;
}

int memory_sysfs_show(struct kmm_machine *m, const char *rest, struct strbuf *sb)
{
	struct memory_hotplug *hp = sysfs_hp(m);
	unsigned long id;
	const char *file;
	int err;

	if (!hp)
		return -ENOENT;
	if (!strcmp(rest, "block_size_bytes")) {
		sb_printf(sb, "%lx\n", (unsigned long)MEMORY_BLOCK_SIZE);
		return 0;
	}
	if (!strcmp(rest, "auto_online_blocks")) {
		sb_printf(sb, "%s\n",
			  online_type_names[__atomic_load_n(&hp->auto_online, __ATOMIC_RELAXED)]);
		return 0;
	}
	if (!parse_block_path(rest, &id, &file))
		return -ENOENT;
	spin_lock(&hp->lock);
	err = show_block_locked(m, hp, id, file, sb);
	spin_unlock(&hp->lock);
	return err;
}

static int block_kind(struct kmm_machine *m, struct memory_hotplug *hp, unsigned long block_id)
{
	int kind;

	spin_lock(&hp->lock);
	kind = block_kind_locked(m, hp, block_id);
	spin_unlock(&hp->lock);
	return kind;
}

int memory_sysfs_mode(struct kmm_machine *m, const char *rest)
{
	struct memory_hotplug *hp = sysfs_hp(m);
	unsigned long id;
	const char *file;

	if (!hp)
		return -ENOENT;
	if (!strcmp(rest, "block_size_bytes"))
		return 0444;
	if (!strcmp(rest, "auto_online_blocks"))
		return 0644;
	if (!parse_block_path(rest, &id, &file) || !block_kind(m, hp, id))
		return -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(block_files); i++)
		if (!strcmp(file, block_files[i]))
			return !strcmp(file, "state") || !strcmp(file, "online") ? 0644 : 0444;
	return -ENOENT;
}

/*
 * @type written to the state or online file of block @id, of kind @kind
 * (boot or added: neither changes kind again). Whether it is online is read
 * under the lock that onlines it, so two writers cannot both online it.
 */
static int block_state_write(struct kmm_machine *m, struct memory_hotplug *hp,
			     unsigned long id, int kind, int type)
{
	struct kmm_machine *prev = kmm_use(m);
	int err = 0;

	spin_lock(&hp->lock);
	bool online = kind == 1 || hp->blocks[block_index(hp, id)].online;

	if (type == MMOP_OFFLINE) {
		if (online)
			err = kmm_set_error(-EBUSY, "memory%lu: offlining memory is not built in "
					    "kmm", id);
	} else if (!online) {	/* Linux: an online block asked to online again is left as it is */
		err = online_block_locked(m, hp, id, type);
	}
	spin_unlock(&hp->lock);
	kmm_use(prev);
	return err;
}

int memory_sysfs_write(struct kmm_machine *m, const char *rest, const char *text)
{
	struct memory_hotplug *hp = sysfs_hp(m);
	unsigned long id;
	const char *file;
	int type, kind;

	if (!hp)
		return -ENOENT;
	if (!strcmp(rest, "auto_online_blocks")) {
		type = mhp_online_type_from_str(text);
		if (type < 0)
			return kmm_set_error(-EINVAL, "auto_online_blocks: expected online, offline, "
					     "online_kernel or online_movable");
		spin_lock(&hp->lock);
		__atomic_store_n(&hp->auto_online, type, __ATOMIC_RELAXED);
		spin_unlock(&hp->lock);
		return 0;
	}
	if (!parse_block_path(rest, &id, &file) || !(kind = block_kind(m, hp, id)))
		return -ENOENT;
	if (!strcmp(file, "online")) {
		/* the device core's online file: 1 is "online" with the default zone */
		if (!strcmp(text, "1") || !strcmp(text, "1\n"))
			type = MMOP_ONLINE;
		else if (!strcmp(text, "0") || !strcmp(text, "0\n"))
			type = MMOP_OFFLINE;
		else
			return kmm_set_error(-EINVAL, "memory%lu/online: expected 0 or 1", id);
	} else if (!strcmp(file, "state")) {
		type = mhp_online_type_from_str(text);
		if (type < 0)
			return kmm_set_error(-EINVAL, "memory%lu/state: expected online, offline, "
					     "online_kernel or online_movable", id);
	} else {
		return memory_sysfs_mode(m, rest) < 0 ? -ENOENT : -EACCES;
	}
	return block_state_write(m, hp, id, kind, type);
}

/* The files of /sys/devices/system/memory/, in block order. */
int memory_sysfs_list(struct kmm_machine *m, kmm_proc_list_fn fn, void *arg)
{
	struct memory_hotplug *hp = sysfs_hp(m);
	unsigned char *kinds;
	unsigned long last;
	char path[96];
	int err;

	if (!hp)
		return 0;
	err = fn("/sys/devices/system/memory/auto_online_blocks", 0644, arg);
	if (!err)
		err = fn("/sys/devices/system/memory/block_size_bytes", 0444, arg);
	if (err)
		return err;
	/*
	 * The blocks as they are now, taken under the lock: @fn runs without it
	 * (it may read a file). Blocks added meanwhile are left out.
	 */
	last = __atomic_load_n(&m->nr_sections, __ATOMIC_ACQUIRE);
	kinds = calloc(last ? last : 1, 1);
	if (!kinds)
		return -ENOMEM;
	spin_lock(&hp->lock);
	for (unsigned long id = 0; id < last; id++)
		kinds[id] = (unsigned char)block_kind_locked(m, hp, id);
	spin_unlock(&hp->lock);
	for (unsigned long id = 0; id < last && !err; id++) {
		if (!kinds[id])
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(block_files) && !err; i++) {
			snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%lu/%s", id,
				 block_files[i]);
			err = fn(path, !strcmp(block_files[i], "state") ||
					       !strcmp(block_files[i], "online") ? 0644 : 0444, arg);
		}
	}
	free(kinds);
	return err;
}

bool mem_hotplug_lock_held(struct kmm_machine *m)
{
	struct memory_hotplug *hp = hp_of(m);

	return hp && spin_is_locked(&hp->lock);
}

int memory_hotplug_ranges(struct kmm_machine *m, uint64_t (*r)[2], int max)
{
	struct memory_hotplug *hp = hp_of(m);
	int n;

	if (!hp)
		return 0;
	spin_lock(&hp->lock);
	n = hp->nr_ranges;
	for (int i = 0; i < n && i < max; i++) {
		r[i][0] = hp->ranges[i][0];
		r[i][1] = hp->ranges[i][1];
	}
	spin_unlock(&hp->lock);
	return n;
}

/* ---- The layer ---- */

static int memory_hotplug_init(struct kmm_machine *m)
{
	struct memory_hotplug *hp = calloc(1, sizeof(*hp));
	const char *state = kmm_boot_option(m, "memhp_default_state");
	const char *mom = kmm_boot_option(m, "memory_hotplug.memmap_on_memory");
	size_t nr;

	if (!hp)
		return kmm_set_error(-ENOMEM, "memory hotplug: out of host memory");
	spin_lock_init(&hp->lock);
	memory_hotplug_area(m, &hp->area_start, &hp->area_end);
	hp->next = hp->area_start;
	hp->first_section = hp->area_end ? (unsigned long)(hp->area_start / MEMORY_BLOCK_SIZE)
					 : m->nr_sections;
	hp->auto_online = state ? mhp_online_type_from_str(state) : MMOP_OFFLINE;
	if (mom)
		parse_bool(*mom ? mom : NULL, &hp->memmap_on_memory);
	nr = (size_t)((hp->area_end - hp->area_start) / MEMORY_BLOCK_SIZE);
	hp->blocks = calloc(nr ? nr : 1, sizeof(*hp->blocks));
	if (!hp->blocks) {
		free(hp);
		return kmm_set_error(-ENOMEM, "memory hotplug: out of host memory");
	}
	m->subsys[SUBSYS_HOTPLUG] = hp;
	return 0;
}

static void memory_hotplug_shutdown(struct kmm_machine *m)
{
	struct memory_hotplug *hp = m->subsys[SUBSYS_HOTPLUG];

	if (!hp)
		return;
	for (int i = 0; i < hp->nr_retired; i++)
		free(hp->retired[i]);
	free(hp->retired);
	free(hp->tables);
	free(hp->ranges);
	free(hp->blocks);
	free(hp);
	m->subsys[SUBSYS_HOTPLUG] = NULL;
}

/*
 * The added range is whole blocks from the area's start; an online block
 * lies in the zone it names, which spans it; max_pfn covers what was added.
 */
static int memory_hotplug_check(struct kmm_machine *m)
{
	struct memory_hotplug *hp = hp_of(m);
	size_t nr;

	if (!hp)
		return 0;
	spin_lock(&hp->lock);
	nr = (size_t)((hp->area_end - hp->area_start) / MEMORY_BLOCK_SIZE);
	for (size_t i = 0; i < nr; i++) {
		const struct hot_block *b = &hp->blocks[i];
		uint64_t s = hp->area_start + i * MEMORY_BLOCK_SIZE;
		unsigned long pfn = (unsigned long)PFN_DOWN(s);
		const char *bad = NULL;

		if (b->added != (s < hp->next))
			bad = "added flag disagrees with the area's next address";
		else if (b->online && !b->added)
			bad = "online but never added";
		else if (b->added && !b->vmemmap && !b->self_hosted)
			bad = "added without a vmemmap";
		else if (b->online &&
			 !zone_spans_pfn(&m->node_data[b->nid]->node_zones[b->zone], pfn))
			bad = "online outside its zone's span";
		if (bad) {
			spin_unlock(&hp->lock);
			return kmm_set_error(-EUCLEAN, "hotplug: memory%lu: %s",
					     hp->first_section + (unsigned long)i, bad);
		}
	}
	if (hp->next > hp->area_start && PFN_PHYS(m->max_pfn) != hp->next) {
		spin_unlock(&hp->lock);
		return kmm_set_error(-EUCLEAN, "hotplug: max_pfn %#lx is not the end of the added "
				     "memory %#llx", m->max_pfn, (unsigned long long)hp->next);
	}
	spin_unlock(&hp->lock);
	return 0;
}

const struct kmm_subsys memory_hotplug_subsys = {
	.name = "hotplug",
	.id = SUBSYS_HOTPLUG,
	.boot_options = memory_hotplug_boot_options,
	.init = memory_hotplug_init,
	.check = memory_hotplug_check,
	.shutdown = memory_hotplug_shutdown,
};
