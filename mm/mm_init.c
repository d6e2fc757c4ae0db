// SPDX-License-Identifier: MIT
/*
 * mm/mm_init.c - the core of memory init: ZONE_MOVABLE, zone spans and
 * present pages, the mem_map, the early hash tables, the struct page array
 * and handing free memory to the buddy allocator, the "Memory:" line, and
 * the boot layer's checker. The boot sequence that calls these is in
 * init/main.c; the arch's part (layouts, e820, lowmem, nodes, zone limits)
 * is under arch/x86/.
 *
 * Linux counterpart: mm/mm_init.c (free_area_init,
 * find_zone_movable_pfns_for_nodes, memmap_init, alloc_large_system_hash,
 * mem_init_print_info), mm/memblock.c (memblock_free_all), mm/sparse.c.
 *
 * Kept: the dmesg lines word for word ("Zone ranges:", "Movable zone start
 * for each node", "Early memory node ranges", "Initmem setup node", "On node
 * N, zone X: N pages in unavailable ranges", the hash-table lines, "Memory:
 * ...", "Freeing unused kernel image (initmem) memory"); kernelcore= and
 * movablecore= spread over nodes as Linux does; mem_map from memblock
 * top-down (per node, in sections on x86_64, one flat array on i386);
 * memblock_free_all()'s largest-aligned-order walk, in ascending pfn order.
 * Simplified: no CMA areas. Memory hotplug: mm/memory_hotplug.c (the host
 * reservations below are sized for its area).
 * Added (sparse struct pages): a section that is wholly free and in one zone
 * goes to the buddy allocator untouched (SECTION_DEFERRED, its struct pages
 * initialised a MAX_PAGE_ORDER block at a time as the allocator reaches for
 * them), and so do the wholly free blocks of the mixed sections; a section that is
 * wholly reserved and in one zone (most of the mem_map of a big machine)
 * stays untouched (SECTION_RESERVED) until kmm_pfn_to_page() asks for one of
 * its pages; only the few mixed sections are initialised at boot. So a
 * 64 GiB machine commits a few MiB of struct pages and a 1 TiB machine boots.
 * With mixed_blocks=reserved (kmm only; the malloc shim boots so) the free
 * pages of the MAX_PAGE_ORDER blocks that also hold boot reservations, and
 * the boot areas Linux frees at the end of boot (initmem, SMP alternatives),
 * stay reserved: their struct pages are never touched, as the reserved
 * chunks' are not. A 128M machine then commits 76 KB of struct pages at
 * boot instead of 296, for about 15 MB of RAM it never hands out.
 *
 * Invariant (checked by the "boot" layer): the present pages of all zones
 * add up to m->physpages, which is the RAM memblock knows below max_pfn;
 * managed <= present <= spanned in every zone; every zone lies inside its
 * node's span; totalram_pages is the sum of managed pages.
 *
 * Locking: boot runs on one thread on an unpublished machine (init/main.c),
 * so nothing here takes a machine lock except what the buddy allocator's
 * own entry points take.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/include/asm/layout.h"
#include "mm/include/addr.h"
#include "include/kmm/vmalloc.h"
#include "mm/include/memblock.h"
#include "mm/include/memory_hotplug.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"

/*
 * A boot allocation found no room: say where it looked and which options
 * shaped that memory, e.g. "boot: no room for the per-CPU areas in 51M of
 * lowmem (mem=3500M vmalloc=938M)".
 */
int boot_no_room(struct kmm_machine *m, const char *what)
{
	char opts[96] = "";
	size_t n = (size_t)snprintf(opts, sizeof(opts), "mem=%lluM",
				    (unsigned long long)(m->opts.mem >> 20));

	if (m->opts.vmalloc_size)
		n += (size_t)snprintf(opts + n, sizeof(opts) - n, " vmalloc=%lluM",
				      (unsigned long long)(m->opts.vmalloc_size >> 20));
	if (m->opts.highmem_size)
		n += (size_t)snprintf(opts + n, sizeof(opts) - n, " highmem=%lluM",
				      (unsigned long long)(m->opts.highmem_size >> 20));
	if (m->opts.nr_memmap)
		snprintf(opts + n, sizeof(opts) - n, " memmap=");
	return kmm_set_error(-ENOMEM, "boot: no room for %s in %luM of %s (%s)", what,
			     m->max_low_pfn >> (20 - PAGE_SHIFT),
			     kmm_arch_is_32(m) ? "lowmem" : "RAM", opts);
}

/* get_pfn_range_for_nid(): the node's first and last RAM pfn. */
static void node_pfn_range(const struct kmm_machine *m, int nid, unsigned long *start,
			   unsigned long *end)
{
	const struct memblock_type *mem = &m->memblock.memory;

	*start = ~0UL;
	*end = 0;
	for (int i = 0; i < mem->cnt; i++) {
		const struct memblock_region *r = &mem->regions[i];

		if (r->nid != nid)
			continue;
		*start = KMM_MIN(*start, (unsigned long)PFN_DOWN(r->base));
		*end = KMM_MAX(*end, (unsigned long)PFN_DOWN(r->base + r->size));
	}
	if (*start == ~0UL)
		*start = 0;
}

/* ---- Zones ---- */

static unsigned long memory_pages(const struct kmm_machine *m, int nid, unsigned long start,
				  unsigned long end)
{
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned long sum = 0;

	for (int i = 0; i < mem->cnt; i++) {
		const struct memblock_region *r = &mem->regions[i];
		unsigned long s = (unsigned long)PFN_DOWN(r->base);
		unsigned long e = (unsigned long)PFN_DOWN(r->base + r->size);

		if (nid >= 0 && r->nid != nid)
			continue;
		s = KMM_MAX(s, start);
		e = KMM_MIN(e, end);
		if (s < e)
			sum += e - s;
	}
	return sum;
}

/*
 * find_zone_movable_pfns_for_nodes(): where ZONE_MOVABLE starts in each node.
 * kernelcore= is the memory that must stay usable for any allocation; it is
 * spread evenly over the nodes (a node too small for its share gives it all
 * and the rest is spread again over the others). movablecore= is turned into
 * kernelcore = total - movablecore (rounded so Movable is at least what was
 * asked). Memory below the highest zone counts as kernelcore for free. The
 * start is then rounded up to MAX_ORDER_NR_PAGES; a node whose start falls at
 * or beyond its end gets no Movable zone.
 */
static void find_zone_movable_pfns(struct boot *b)
{
	struct kmm_machine *m = b->m;
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned long total = (unsigned long)(mem->total_size >> PAGE_SHIFT);
	unsigned long required_kernelcore = 0, required_movablecore = 0;
	unsigned long usable_startpfn, kernelcore_node, remaining;
	int usable_nodes = m->nr_node_ids;

	memset(m->zone_movable_pfn, 0, sizeof(m->zone_movable_pfn));
	if (m->opts.kernelcore_percent >= 0)
		required_kernelcore = total * 100 * (unsigned long)m->opts.kernelcore_percent / 10000;
	else
		required_kernelcore = (unsigned long)(m->opts.kernelcore >> PAGE_SHIFT);
	if (m->opts.movablecore_percent >= 0)
		required_movablecore = total * 100 * (unsigned long)m->opts.movablecore_percent / 10000;
	else
		required_movablecore = (unsigned long)(m->opts.movablecore >> PAGE_SHIFT);

	if (required_movablecore) {
		required_movablecore = ALIGN_UP(required_movablecore, MAX_ORDER_NR_PAGES);
		required_movablecore = KMM_MIN(total, required_movablecore);
		required_kernelcore = KMM_MAX(required_kernelcore, total - required_movablecore);
	}
	if (!required_kernelcore || required_kernelcore >= total)
		return;

	usable_startpfn = b->arch_zone_lowest[b->movable_zone];
restart:
	kernelcore_node = required_kernelcore / (unsigned long)usable_nodes;
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		if (required_kernelcore < kernelcore_node)
			kernelcore_node = required_kernelcore / (unsigned long)usable_nodes;
		remaining = kernelcore_node;
		for (int i = 0; i < mem->cnt; i++) {
			const struct memblock_region *r = &mem->regions[i];
			unsigned long start = (unsigned long)PFN_DOWN(r->base);
			unsigned long end = (unsigned long)PFN_DOWN(r->base + r->size);
			unsigned long size;

			if (r->nid != nid)
				continue;
			start = KMM_MAX(start, m->zone_movable_pfn[nid]);
			if (start >= end)
				continue;
			if (start < usable_startpfn) {
				unsigned long kernel_pages = KMM_MIN(end, usable_startpfn) - start;

				remaining -= KMM_MIN(kernel_pages, remaining);
				required_kernelcore -= KMM_MIN(kernel_pages, required_kernelcore);
				if (end <= usable_startpfn) {
					m->zone_movable_pfn[nid] = end;
					continue;
				}
				start = usable_startpfn;
			}
			size = KMM_MIN(end - start, remaining);
			m->zone_movable_pfn[nid] = start + size;
			required_kernelcore -= KMM_MIN(required_kernelcore, size);
			remaining -= size;
			if (!remaining)
				break;
		}
	}
	usable_nodes--;
	if (usable_nodes && required_kernelcore > (unsigned long)usable_nodes)
		goto restart;

	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		unsigned long s, e;

		m->zone_movable_pfn[nid] = ALIGN_UP(m->zone_movable_pfn[nid], MAX_ORDER_NR_PAGES);
		node_pfn_range(m, nid, &s, &e);
		if (m->zone_movable_pfn[nid] >= e)
			m->zone_movable_pfn[nid] = 0;
	}
}

/* zone_spanned_pages_in_node() with adjust_zone_range_for_zone_movable(). */
static unsigned long zone_span_in_node(struct boot *b, int nid, int z, unsigned long node_start,
				       unsigned long node_end, unsigned long *zs, unsigned long *ze)
{
	struct kmm_machine *m = b->m;
	unsigned long lo = b->arch_zone_lowest[z], hi = b->arch_zone_highest[z];
	unsigned long movable = m->zone_movable_pfn[nid];

	*zs = KMM_CLAMP(node_start, lo, hi);
	*ze = KMM_CLAMP(node_end, lo, hi);
	if (movable) {
		if (z == ZONE_MOVABLE) {
			*zs = movable;
			*ze = KMM_MIN(node_end, b->arch_zone_highest[b->movable_zone]);
		} else if (*zs < movable && *ze > movable) {
			*ze = movable;
		} else if (*zs >= movable) {
			*zs = *ze;
		}
	}
	if (*ze < node_start || *zs > node_end)
		return 0;
	*ze = KMM_MIN(*ze, node_end);
	*zs = KMM_MAX(*zs, node_start);
	return *ze - *zs;
}

static void print_zone_ranges(struct boot *b)
{
	struct kmm_machine *m = b->m;
	const struct memblock_type *mem = &m->memblock.memory;

	kmm_printk(m, "Zone ranges:");
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		if (z == ZONE_MOVABLE || !zone_configured(m, z))
			continue;
		if (b->arch_zone_lowest[z] == b->arch_zone_highest[z])
			kmm_printk(m, "  %-8s empty", zone_names[z]);
		else
			kmm_printk(m, "  %-8s [mem 0x%016llx-0x%016llx]", zone_names[z],
				   (unsigned long long)PFN_PHYS(b->arch_zone_lowest[z]),
				   (unsigned long long)PFN_PHYS(b->arch_zone_highest[z]) - 1);
	}
	kmm_printk(m, "Movable zone start for each node");
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		if (m->zone_movable_pfn[nid])
			kmm_printk(m, "  Node %d: 0x%016llx", nid,
				   (unsigned long long)PFN_PHYS(m->zone_movable_pfn[nid]));
	kmm_printk(m, "Early memory node ranges");
	for (int i = 0; i < mem->cnt; i++)
		kmm_printk(m, "  node %3d: [mem 0x%016llx-0x%016llx]", mem->regions[i].nid,
			   (unsigned long long)mem->regions[i].base,
			   (unsigned long long)(mem->regions[i].base + mem->regions[i].size - 1));
}

/* free_area_init_node() for every node: spans, present pages, zone fields. */
static void init_zones(struct boot *b)
{
	struct kmm_machine *m = b->m;

	m->physpages = 0;
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		pg_data_t *pgdat = m->node_data[nid];
		unsigned long ns, ne, spanned_total = 0, present_total = 0;

		node_pfn_range(m, nid, &ns, &ne);
		b->node_start[nid] = ns;
		b->node_end[nid] = ne;
		pgdat->node_id = nid;
		pgdat->node_start_pfn = ns;
		if (ns != ne)
			kmm_printk(m, "Initmem setup node %d [mem 0x%016llx-0x%016llx]", nid,
				   (unsigned long long)PFN_PHYS(ns),
				   ne ? (unsigned long long)PFN_PHYS(ne) - 1 : 0ULL);
		else
			kmm_printk(m, "Initmem setup node %d as memoryless", nid);
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];
			unsigned long zs = 0, ze = 0, spanned = 0, present = 0;

			if (ns != ne && (zone_configured(m, z) || z == ZONE_MOVABLE))
				spanned = zone_span_in_node(b, nid, z, ns, ne, &zs, &ze);
			if (spanned)
				present = memory_pages(m, nid, zs, ze);
			zone->name = zone_names[z];
			zone->type = (enum zone_type)z;
			zone->node = nid;
			zone->machine = m;
			zone->zone_pgdat = pgdat;
			zone->zone_start_pfn = spanned ? zs : 0;
			zone->spanned_pages = spanned;
			zone->present_pages = present;
			zone->present_early_pages = present;
			zone->cma_pages = 0;
			zone->initialized = present != 0;
			/*
			 * zone_init_internals(): managed starts as present, so
			 * build_all_zonelists() reports "Total pages" as 6.12
			 * does; memblock_free_all() resets it and counts up.
			 */
			atomic_store(&zone->managed_pages, (long)present);
			spanned_total += spanned;
			present_total += present;
			if (spanned)
				pgdat->nr_zones = z + 1;
		}
		pgdat->node_spanned_pages = spanned_total;
		pgdat->node_present_pages = present_total;
		m->physpages += present_total;
	}
}

static int alloc_pageblock_arrays(struct kmm_machine *m)
{
	int pbo = m->pageblock_order;

	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &m->node_data[nid]->node_zones[z];
			size_t n;

			if (!zone->spanned_pages)
				continue;
			n = ((zone_end_pfn(zone) - 1) >> pbo) - (zone->zone_start_pfn >> pbo) + 1;
			zone->pageblock_mt = malloc(n);
			if (!zone->pageblock_mt)
				return kmm_set_error(-ENOMEM, "boot: out of host memory for pageblocks");
			/* memmap_init_range(): every pageblock starts out Movable. */
			memset(zone->pageblock_mt, MIGRATE_MOVABLE, n);
		}
	}
	return 0;
}

/* ---- mem_map and the other early allocations ---- */

static bool section_has_memory(const struct kmm_machine *m, unsigned long section)
{
	uint64_t s = (uint64_t)section * SECTION_BYTES;

	return memblock_overlap(&m->memblock.memory, s, s + SECTION_BYTES) != 0;
}

/* The node a section's struct pages are allocated on: that of its first RAM. */
static int section_nid(const struct kmm_machine *m, unsigned long section)
{
	const struct memblock_type *mem = &m->memblock.memory;
	uint64_t s = (uint64_t)section * SECTION_BYTES;

	for (int i = 0; i < mem->cnt; i++)
		if (mem->regions[i].base + mem->regions[i].size > s)
			return mem->regions[i].nid;
	return 0;
}

/*
 * The simulated mem_map, as Linux sizes it: x86_64 (SPARSEMEM_VMEMMAP) keeps
 * 64 bytes per page of every present section, allocated per node in one
 * buffer (sparse_buffer_init, PMD aligned); i386 (FLATMEM) keeps 32 bytes per
 * page of the node's span rounded out to MAX_ORDER_NR_PAGES, in lowmem.
 */
static int alloc_mem_map(struct boot *b)
{
	struct kmm_machine *m = b->m;

	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		uint64_t bytes = 0, pa;

		if (!kmm_arch_is_32(m)) {
			for (unsigned long s = 0; s < m->nr_sections; s++)
				if (section_has_memory(m, s) && section_nid(m, s) == nid)
					bytes += PAGES_PER_SECTION * (uint64_t)m->struct_page_size;
		} else if (b->node_end[nid] > b->node_start[nid]) {
			unsigned long s = ALIGN_DOWN(b->node_start[nid], MAX_ORDER_NR_PAGES);
			unsigned long e = ALIGN_UP(b->node_end[nid], MAX_ORDER_NR_PAGES);

			bytes = (uint64_t)(e - s) * m->struct_page_size;
		}
		if (!bytes)
			continue;
		pa = memblock_alloc_try_nid(m, bytes, kmm_arch_is_32(m) ? PAGE_SIZE : 2ULL << 20, 0,
				   kmm_arch_is_32(m) ? -1 : nid, "mem_map");
		if (!pa)
			return boot_no_room(m, "the mem_map");
	}
	/* sparse_init()'s small allocations beside the mem_map (kconfig.h). */
	if (m->kconfig->section_alloc_pages &&
	    !memblock_alloc_try_nid(m, PFN_PHYS(m->kconfig->section_alloc_pages), PAGE_SIZE, 0,
				    kmm_arch_is_32(m) ? -1 : 0, "sparse maps"))
		return boot_no_room(m, "the section maps");
	return 0;
}

/* calc_nr_kernel_pages(): free pages overall and below highmem. */
static void calc_nr_kernel_pages(struct boot *b)
{
	struct kmm_machine *m = b->m;
	uint64_t s, e, pos = 0, high = PFN_PHYS(m->max_low_pfn);

	b->nr_all_pages = b->nr_kernel_pages = 0;
	while (memblock_next_free_range(m, pos, ~0ULL, &s, &e)) {
		b->nr_all_pages += (unsigned long)((e - s) >> PAGE_SHIFT);
		if (s < high)
			b->nr_kernel_pages += (unsigned long)((KMM_MIN(e, high) - s) >> PAGE_SHIFT);
		pos = e;
	}
}

/*
 * alloc_large_system_hash() for the dentry and inode hashes: one bucket per
 * 2^scale bytes of lowmem, scaled down further on 64-bit machines above 64
 * GiB, a power of two, at most 1/16 of memory. @early (HASH_EARLY, one node):
 * from memblock during boot, "linear"; otherwise (hashdist: NUMA with more
 * than one node) from vmalloc once the allocators are up, zeroed (HASH_ZERO),
 * spread over the nodes.
 */
int alloc_large_system_hash(struct boot *b, const char *name, unsigned long bucketsize,
			    int scale, bool early)
{
	struct kmm_machine *m = b->m;
	unsigned long numentries = ALIGN_UP(b->nr_kernel_pages, SZ_1M / PAGE_SIZE);
	unsigned long long max;
	unsigned long size;
	int log2qty;

	if (!kmm_arch_is_32(m)) {
		for (unsigned long adapt = (64UL << 30) >> PAGE_SHIFT; adapt < numentries; adapt <<= 2)
			scale++;
	}
	if (scale > PAGE_SHIFT)
		numentries >>= (scale - PAGE_SHIFT);
	else
		numentries <<= (PAGE_SHIFT - scale);
	if (numentries * bucketsize < PAGE_SIZE)
		numentries = PAGE_SIZE / bucketsize;
	numentries = numentries > 1 ? 1UL << fls_ul(numentries - 1) : 1;	/* roundup_pow_of_two */
	max = ((unsigned long long)b->nr_all_pages << PAGE_SHIFT) >> 4;
	max /= bucketsize;
	max = KMM_MIN(max, 0x80000000ULL);
	if (numentries > max)
		numentries = (unsigned long)max;
	log2qty = ilog2_ul(numentries);
	size = bucketsize << log2qty;
	if (early) {
		if (!memblock_alloc_range(m, size, PAGE_SIZE, 0, -1, name))
			return boot_no_room(m, name[0] == 'D' ? "the dentry hash table"
							     : "the inode hash table");
	} else if (!__vmalloc(size, GFP_KERNEL | __GFP_ZERO)) {
		return kmm_set_error(-ENOMEM, "boot: no room for the %s hash table in vmalloc space",
				     name);
	}
	kmm_printk(m, "%s hash table entries: %lu (order: %d, %lu bytes, %s)", name,
		   1UL << log2qty, ilog2_ul(size) - PAGE_SHIFT, size, early ? "linear" : "vmalloc");
	return 0;
}

/**
 * vfs_caches_init_hash() - the dentry and inode hash tables: from memblock
 * early in boot with one node (vfs_caches_init_early()), from vmalloc once
 * the allocators are up with several (hashdist: vfs_caches_init()).
 * @b: the boot. @early: which of the two calls this is.
 * Return: 0, or -ENOMEM (message set).
 */
int vfs_caches_init_hash(struct boot *b, bool early)
{
	struct kmm_machine *m = b->m;
	bool hashdist = m->kconfig->numa && m->nr_node_ids > 1;
	unsigned long bucket = kmm_arch_is_32(m) ? 4 : 8;	/* struct hlist_bl_head */
	int err;

	if (early == hashdist)
		return 0;
	err = alloc_large_system_hash(b, "Dentry cache", bucket, 13, early);
	if (!err)
		err = alloc_large_system_hash(b, "Inode-cache", bucket, 14, early);
	return err;
}

/* ---- Struct pages and handing memory to the buddy allocator ---- */

void __init_single_page(struct kmm_machine *m, struct page *page, unsigned long pfn,
		      enum zone_type zone, int nid)
{
	(void)pfn;
	memset(page, 0, sizeof(*page));
	set_page_links(page, zone, nid, (unsigned int)m->slot);
	set_page_count(page, 1);
	atomic_store_explicit(&page->_mapcount, -1, memory_order_relaxed);
	INIT_LIST_HEAD(&page->lru);
	__page_flag_set(page, PG_reserved);
}

/* The zone spanning @pfn, or NULL (holes between nodes, beyond the last). */
static struct zone *zone_of_pfn(struct kmm_machine *m, unsigned long pfn)
{
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &m->node_data[nid]->node_zones[z];

			if (zone->spanned_pages && zone_spans_pfn(zone, pfn))
				return zone;
		}
	return NULL;
}

/*
 * For a pfn no zone spans, the zone whose pages come next (as
 * init_unavailable_range() files a hole with the range after it), or the
 * last zone of the last node for the tail of the last section.
 */
static struct zone *zone_for_hole(struct kmm_machine *m, unsigned long pfn)
{
	struct zone *best = NULL, *last = NULL;

	for (int nid = 0; nid < m->nr_node_ids; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &m->node_data[nid]->node_zones[z];

			if (!zone->present_pages)
				continue;
			if (zone->zone_start_pfn > pfn &&
			    (!best || zone->zone_start_pfn < best->zone_start_pfn))
				best = zone;
			if (!last || zone_end_pfn(zone) >= zone_end_pfn(last))
				last = zone;
		}
	return best ? best : last;
}

/*
 * Initialise the struct pages of @section, except those of the MAX_PAGE_ORDER
 * blocks whose bit is set in @skip (deferred blocks, left untouched) and of
 * the reserved chunks m->reserved_chunks names (left for kmm_pfn_to_page()).
 */
static void init_section(struct kmm_machine *m, unsigned long section, uint32_t skip)
{
	unsigned long start = section << SECTION_SHIFT, pfn = start, done = 0;
	const uint16_t *lazy = &m->reserved_chunks[start >> MAX_PAGE_ORDER];

	while (pfn < start + PAGES_PER_SECTION) {
		struct zone *zone = zone_of_pfn(m, pfn);
		unsigned long end = start + PAGES_PER_SECTION;

		if (zone) {
			end = KMM_MIN(end, zone_end_pfn(zone));
		} else {
			struct zone *next = zone_for_hole(m, pfn);

			zone = next;
			/* Up to the next zone's start (if it is in this section). */
			if (next && next->zone_start_pfn > pfn)
				end = KMM_MIN(end, next->zone_start_pfn);
		}
		enum zone_type zt = zone ? zone->type : ZONE_NORMAL;
		int nid = zone ? zone->node : 0;

		/* A chunk at a time: skipped whole, or initialised up to its end or the zone's. */
		while (pfn < end) {
			unsigned long b = (pfn - start) >> MAX_PAGE_ORDER;
			unsigned long next = ALIGN_DOWN(pfn, MEMMAP_CHUNK_PAGES) + MEMMAP_CHUNK_PAGES;

			if ((skip >> b) & 1) {
				pfn = ALIGN_DOWN(pfn, MAX_ORDER_NR_PAGES) + MAX_ORDER_NR_PAGES;
				continue;
			}
			if (lazy[b] & memmap_chunk_bit(pfn)) {
				pfn = next;
				continue;
			}
			next = KMM_MIN(next, end);
			done += next - pfn;
			for (; pfn < next; pfn++)
				__init_single_page(m, pfn_to_page_m(m, pfn), pfn, zt, nid);
		}
	}
	atomic_fetch_add_explicit(&m->memmap_init_pages, done, memory_order_relaxed);
	m->section_state[section] = SECTION_ONLINE;
}

/* __free_pages_memory(): the largest naturally aligned blocks, ascending. */
static void free_pages_range(struct kmm_machine *m, unsigned long start, unsigned long end)
{
	while (start < end) {
		int order = start ? KMM_MIN(MAX_PAGE_ORDER, __builtin_ctzl(start)) : MAX_PAGE_ORDER;

		while (start + (1UL << order) > end)
			order--;
		__free_pages_core(pfn_to_page_m(m, start), (unsigned int)order);
		start += 1UL << order;
	}
}

/*
 * Free the free ranges of a mixed (initialised) section, split at zone ends,
 * leaving out the deferred blocks in @skip. A deferred block is aligned to
 * its own size, so the blocks around it are those an undivided walk frees.
 */
static void free_section_ranges(struct kmm_machine *m, unsigned long section, uint32_t skip)
{
	uint64_t pos = (uint64_t)section * SECTION_BYTES, limit = pos + SECTION_BYTES, s, e;
	unsigned long first = section << SECTION_SHIFT;

	while (memblock_next_free_range(m, pos, limit, &s, &e)) {
		unsigned long pfn = (unsigned long)PFN_DOWN(s), end = (unsigned long)PFN_DOWN(e);

		while (pfn < end) {
			struct zone *zone = zone_of_pfn(m, pfn);
			unsigned long stop = zone ? KMM_MIN(end, zone_end_pfn(zone)) : end;

			while (zone && pfn < stop) {
				unsigned long block = ALIGN_DOWN(pfn, MAX_ORDER_NR_PAGES);
				unsigned long next = KMM_MIN(stop, block + MAX_ORDER_NR_PAGES);

				if (!((skip >> ((block - first) >> MAX_PAGE_ORDER)) & 1))
					free_pages_range(m, pfn, next);
				pfn = next;
			}
			pfn = stop;
		}
		pos = e;
	}
}

/*
 * The MAX_PAGE_ORDER blocks of a mixed section that are wholly free and in
 * one zone; with @defer, deferred like a whole free section
 * (zone_add_deferred_blocks, in runs per zone, here in the first pass:
 * where an eager boot frees them).
 * Return: their bits, for init_section() and free_section_ranges() to skip
 * (and for reserve_mixed_free(), which leaves them free).
 */
static uint32_t free_blocks_of(struct kmm_machine *m, unsigned long section, bool defer)
{
	unsigned long first = section << SECTION_SHIFT;
	unsigned int nr = PAGES_PER_SECTION >> MAX_PAGE_ORDER, run = 0;
	struct zone *run_zone = NULL;
	uint32_t skip = 0;

	for (unsigned int b = 0; b <= nr; b++) {
		unsigned long pfn = first + ((unsigned long)b << MAX_PAGE_ORDER);
		struct zone *zone = NULL;

		if (b < nr) {
			zone = zone_of_pfn(m, pfn);
			if (zone && (!zone_spans_pfn(zone, pfn + MAX_ORDER_NR_PAGES - 1) ||
				     memblock_free_bytes(m, PFN_PHYS(pfn),
							 PFN_PHYS(pfn + MAX_ORDER_NR_PAGES)) !=
				     PFN_PHYS(MAX_ORDER_NR_PAGES)))
				zone = NULL;
		}
		if (run && zone != run_zone) {
			if (defer)
				zone_add_deferred_blocks(run_zone,
							 pfn - ((unsigned long)run << MAX_PAGE_ORDER), run);
			run = 0;
		}
		if (zone) {
			skip |= 1u << b;
			run_zone = zone;
			run++;
		}
	}
	return skip;
}

/*
 * The one zone that spans @pfn spans [@pfn, @pfn + @nr) too, holes and all:
 * init_section() then files every page of the range, RAM or hole, under
 * that zone, as kmm_init_reserved_block() does later (pfn_zone_nid()). Or
 * no zone spans @pfn, and the zone that comes next (zone_for_hole(), with
 * which init_section() files the hole up to that zone's start) spans the
 * range's end: pfn 0, below ZONE_DMA's first pfn, and the late
 * initialisation then takes the zone of the chunk's last page.
 */
static bool span_in_one_zone(struct kmm_machine *m, unsigned long pfn, unsigned long nr)
{
	struct zone *zone = zone_of_pfn(m, pfn);

	if (!zone) {
		zone = zone_for_hole(m, pfn);
		return zone && zone->zone_start_pfn > pfn && zone_of_pfn(m, pfn + nr - 1) == zone;
	}
	return zone_spans_pfn(zone, pfn + nr - 1);
}

/*
 * The reserved chunks of a mixed section (MEMMAP_CHUNK_PAGES frames, one
 * host page of struct pages, no free page, all in one zone's span): left
 * untouched, as a wholly reserved section is, until kmm_pfn_to_page() asks
 * for one of their pages (kmm_init_reserved_block). A wholly reserved block
 * has all its chunks. A hole inside the zone's span (the first MiB's BIOS
 * area) does not keep a chunk out: boot would initialise its pages as the
 * reserved pages of that zone, as the late initialisation does (rss24: the
 * first MiB's chunks with holes were 12 KB of every malloc shim process).
 * No free page is in them: the buddy allocator reads them only as the
 * neighbours or pageblock-mates of free pages, where PageBuddy and PageLRU
 * read false on an untouched page as on a reserved one.
 * Writes each block's mask to m->reserved_chunks.
 * Return: the bits of the blocks that have such chunks.
 */
static uint32_t reserved_chunks(struct kmm_machine *m, unsigned long section)
{
	unsigned long first = section << SECTION_SHIFT;
	uint16_t *masks = &m->reserved_chunks[first >> MAX_PAGE_ORDER];
	const uint64_t chunk_bytes = PFN_PHYS(MEMMAP_CHUNK_PAGES);
	uint32_t bits = 0;

	for (unsigned int b = 0; b < (PAGES_PER_SECTION >> MAX_PAGE_ORDER); b++) {
		unsigned long pfn = first + ((unsigned long)b << MAX_PAGE_ORDER);
		uint64_t s = PFN_PHYS(pfn), e = PFN_PHYS(pfn + MAX_ORDER_NR_PAGES), fs, fe;
		uint16_t mask = (uint16_t)((1u << MEMMAP_CHUNKS_PER_BLOCK) - 1);

		/* No chunk that a free range touches. */
		for (uint64_t pos = s; mask && memblock_next_free_range(m, pos, e, &fs, &fe); pos = fe)
			for (uint64_t c = (fs - s) / chunk_bytes; c <= (fe - 1 - s) / chunk_bytes; c++)
				mask &= (uint16_t)~(1u << c);
		/* Nor one with a zone edge in it. */
		if (mask && !span_in_one_zone(m, pfn, MAX_ORDER_NR_PAGES))
			for (unsigned long c = 0; c < MEMMAP_CHUNKS_PER_BLOCK; c++)
				if (!span_in_one_zone(m, pfn + (c << MEMMAP_CHUNK_SHIFT), MEMMAP_CHUNK_PAGES))
					mask &= (uint16_t)~(1u << c);
		masks[b] = mask;
		if (mask)
			bits |= 1u << b;
	}
	return bits;
}

/* mixed_blocks=reserved on @m's command line (docs/boot-options.md). */
static bool mixed_blocks_reserved(struct kmm_machine *m)
{
	const char *val = kmm_boot_option(m, "mixed_blocks");

	return val && !strcmp(val, "reserved");
}

/*
 * mixed_blocks=reserved: reserve in memblock the free ranges of @section's
 * blocks that are not wholly free (those in @skip are deferred), so that
 * reserved_chunks() leaves their struct pages untouched and
 * free_section_ranges() finds nothing more to free (a range memblock has
 * no room to record is freed as without the option).
 */
static void reserve_mixed_free(struct kmm_machine *m, unsigned long section, uint32_t skip)
{
	uint64_t pos = (uint64_t)section * SECTION_BYTES, limit = pos + SECTION_BYTES, s, e;
	unsigned long first = section << SECTION_SHIFT;

	while (memblock_next_free_range(m, pos, limit, &s, &e)) {
		for (uint64_t p = s; p < e;) {
			unsigned long block = ALIGN_DOWN((unsigned long)PFN_DOWN(p), MAX_ORDER_NR_PAGES);
			uint64_t next = KMM_MIN(e, PFN_PHYS(block + MAX_ORDER_NR_PAGES));

			if (!((skip >> ((block - first) >> MAX_PAGE_ORDER)) & 1))
				memblock_reserve(m, p, next - p, "mixed_blocks=reserved");
			p = next;
		}
		pos = e;
	}
}

/*
 * memblock_free_all(), section by section. A section is
 *   without RAM                      -> SECTION_ABSENT;
 *   all RAM, all reserved, one zone  -> SECTION_RESERVED, untouched;
 *   all RAM, all free, one zone      -> handed over in the second pass;
 *   anything else (mixed)            -> its wholly free MAX_PAGE_ORDER blocks
 *     deferred where they lie in the walk (free_blocks_of), its
 *     reserved chunks of 64 frames left untouched (reserved_chunks), every
 *     other struct page initialised (holes and reservations stay PG_reserved), its
 *     other free ranges handed over with the largest aligned orders, in
 *     ascending pfn order; with mixed_blocks=reserved those free ranges
 *     are reserved instead (reserve_mixed_free), before the chunks are found.
 * The second pass gives the wholly free sections, in ascending order, to
 * zone_add_deferred_section() untouched - or, with deferred_struct_pages=off,
 * initialises them and frees them like the others. Either way their blocks
 * come after every block of the first pass, as Linux's deferred init frees
 * them after memblock_free_all(); so both settings build the same free lists
 * (the buddy allocator puts deferred blocks at the list tail, in the order
 * they were deferred, when its MAX_PAGE_ORDER list runs empty).
 */
void memblock_free_all(struct boot *b)
{
	struct kmm_machine *m = b->m;
	bool keep_mixed = mixed_blocks_reserved(m);

	/* reset_all_zones_managed_pages() */
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			atomic_store(&m->node_data[nid]->node_zones[z].managed_pages, 0);

	for (unsigned long sec = 0; sec < m->nr_sections; sec++) {
		uint64_t s = (uint64_t)sec * SECTION_BYTES, e = s + SECTION_BYTES;
		uint64_t ram = memblock_overlap(&m->memblock.memory, s, e), free_bytes;
		unsigned long pfn = sec << SECTION_SHIFT;
		struct zone *zone;
		uint32_t skip, reserved;

		if (!ram) {
			m->section_state[sec] = SECTION_ABSENT;
			continue;
		}
		zone = zone_of_pfn(m, pfn);
		free_bytes = memblock_free_bytes(m, s, e);
		if (ram == SECTION_BYTES && zone && zone_end_pfn(zone) >= pfn + PAGES_PER_SECTION) {
			if (free_bytes == SECTION_BYTES) {
				m->section_state[sec] = SECTION_DEFERRED;	/* second pass */
				continue;
			}
			if (!free_bytes && !m->opts.eager_memmap) {
				m->section_state[sec] = SECTION_RESERVED;
				continue;
			}
		}
		skip = m->opts.eager_memmap ? 0 : free_blocks_of(m, sec, true);
		if (keep_mixed)	/* wholly free blocks are not mixed, deferred or not */
			reserve_mixed_free(m, sec,
					   m->opts.eager_memmap ? free_blocks_of(m, sec, false) : skip);
		reserved = m->opts.eager_memmap ? 0 : reserved_chunks(m, sec);
		init_section(m, sec, skip);
		m->section_reserved[sec] = reserved;
		free_section_ranges(m, sec, skip);
	}

	for (unsigned long sec = 0; sec < m->nr_sections; sec++) {
		unsigned long pfn = sec << SECTION_SHIFT;

		if (m->section_state[sec] != SECTION_DEFERRED)
			continue;
		if (m->opts.eager_memmap) {
			init_section(m, sec, 0);
			free_section_ranges(m, sec, 0);
		} else {
			zone_add_deferred_section(zone_of_pfn(m, pfn), pfn);
		}
	}
}

static bool zone_is_highmem(const struct boot *b, const struct zone *zone)
{
	return zone->type == ZONE_HIGHMEM ||
	       (zone->type == ZONE_MOVABLE && b->movable_zone == ZONE_HIGHMEM);
}

/* totalram_pages and totalhigh_pages from the zones' managed pages. */
void update_totals(struct boot *b)
{
	struct kmm_machine *m = b->m;
	long ram = 0, high = 0;

	for (int nid = 0; nid < m->nr_node_ids; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &m->node_data[nid]->node_zones[z];

			ram += (long)zone_managed_pages(zone);
			if (zone_is_highmem(b, zone))
				high += (long)zone_managed_pages(zone);
		}
	atomic_store(&m->totalram_pages, ram);
	atomic_store(&m->totalhigh_pages, high);
}

/*
 * "On node N, zone X: N pages in unavailable ranges": memmap_init()'s walk
 * over the memory ranges, counting the holes between them. x86_64 is
 * SPARSEMEM: only holes in sections with memory count (pfn_valid), and the
 * walk goes on to the end of the last section. i386 is FLATMEM: every pfn
 * below max_pfn has a struct page, so a whole hole counts (the PCI hole of a
 * PAE machine with RAM above 4 GiB), and the walk stops at the last range.
 */
static unsigned long present_section_pages(const struct kmm_machine *m, unsigned long s,
					   unsigned long e)
{
	unsigned long n = 0;

	if (kmm_arch_is_32(m))
		return e > s ? e - s : 0;	/* FLATMEM */

	while (s < e) {
		unsigned long next = KMM_MIN(e, ALIGN_UP(s + 1, PAGES_PER_SECTION));

		if (section_has_memory(m, s >> SECTION_SHIFT))
			n += next - s;
		s = next;
	}
	return n;
}

static void print_unavailable_ranges(struct boot *b)
{
	struct kmm_machine *m = b->m;
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned long hole = 0, end_pfn = 0;
	int zone_id = 0, nid = 0;

	for (int i = 0; i < mem->cnt; i++) {
		const struct memblock_region *r = &mem->regions[i];
		pg_data_t *pgdat = m->node_data[r->nid];

		nid = r->nid;
		end_pfn = (unsigned long)PFN_DOWN(r->base + r->size);
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &pgdat->node_zones[z];
			unsigned long s = (unsigned long)PFN_DOWN(r->base), e = end_pfn, n;

			if (!populated_zone(zone))
				continue;
			s = KMM_CLAMP(s, zone->zone_start_pfn, zone_end_pfn(zone));
			e = KMM_CLAMP(e, zone->zone_start_pfn, zone_end_pfn(zone));
			if (s >= e)
				continue;
			if (hole < s && (n = present_section_pages(m, hole, s)))
				kmm_printk(m, "On node %d, zone %s: %lu pages in unavailable ranges",
					   nid, zone_names[z], n);
			hole = e;
			zone_id = z;
		}
	}
	if (!kmm_arch_is_32(m))
		end_pfn = ALIGN_UP(end_pfn, PAGES_PER_SECTION);	/* CONFIG_SPARSEMEM */
	if (hole < end_pfn) {
		unsigned long n = present_section_pages(m, hole, end_pfn);

		if (n)
			kmm_printk(m, "On node %d, zone %s: %lu pages in unavailable ranges", nid,
				   zone_names[zone_id], n);
	}
}

/**
 * free_area_init() - the zones of every node, after arch_zone_limits().
 * @b: the boot in progress.
 *
 * Where ZONE_MOVABLE starts, "Zone ranges:" and the node ranges, the spans
 * and present pages of every zone, the mem_map from memblock, and the
 * "unavailable ranges" lines, in Linux's order.
 * Context: boot. Return: 0, or -ENOMEM when memblock has no room for the mem_map.
 */
int free_area_init(struct boot *b)
{
	int err;

	find_zone_movable_pfns(b);
	print_zone_ranges(b);
	init_zones(b);
	err = alloc_mem_map(b);
	if (err)
		return err;
	calc_nr_kernel_pages(b);
	print_unavailable_ranges(b);
	return 0;
}

/* mem_init_print_info(). */
void mem_init_print_info(struct kmm_machine *m)
{
	const struct kmm_kernel_image *k = &m->kimage;
	unsigned long physpages = m->physpages;
	unsigned long totalram = (unsigned long)atomic_load(&m->totalram_pages);
	char high[48] = "";

	if (kmm_arch_is_32(m))
		snprintf(high, sizeof(high), ", %luK highmem",
			 (unsigned long)atomic_load(&m->totalhigh_pages) << (PAGE_SHIFT - 10));
	kmm_printk(m, "Memory: %luK/%luK available (%luK kernel code, %luK rwdata, %luK rodata, "
		      "%luK init, %luK bss, %luK reserved, %luK cma-reserved%s)",
		   kmm_nr_free_pages(m) << (PAGE_SHIFT - 10), physpages << (PAGE_SHIFT - 10),
		   (unsigned long)(k->text >> 10), (unsigned long)(k->data >> 10),
		   (unsigned long)(k->rodata >> 10), (unsigned long)(k->init >> 10),
		   (unsigned long)(k->bss >> 10),
		   (physpages - totalram - m->totalcma_pages) << (PAGE_SHIFT - 10),
		   m->totalcma_pages << (PAGE_SHIFT - 10), high);
}

/**
 * free_reserved_area() - give the whole pages of [@start, @end) that boot
 * kept reserved to the buddy allocator, with Linux's "Freeing @s memory: NK".
 * @b: the boot. @start, @end: physical addresses. @s: what it was ("initrd",
 *	"unused kernel image (initmem)", ...).
 * With mixed_blocks=reserved the area stays reserved (and untouched): nothing
 * is freed or printed.
 * Context: boot, after memblock_free_all(). Return: the pages freed.
 */
unsigned long free_reserved_area(struct boot *b, uint64_t start, uint64_t end, const char *s)
{
	struct kmm_machine *m = b->m;
	unsigned long first = (unsigned long)PFN_UP(start), last = (unsigned long)PFN_DOWN(end);

	if (last <= first || mixed_blocks_reserved(m))
		return 0;
	/* Chunks of it that boot left untouched (reserved_chunks) are initialised first. */
	for (unsigned long pfn = first; pfn < last;
	     pfn = ALIGN_DOWN(pfn, MEMMAP_CHUNK_PAGES) + MEMMAP_CHUNK_PAGES)
		kmm_pfn_to_page(m, pfn);
	memblock_phys_free(m, PFN_PHYS(first), PFN_PHYS(last - first));
	free_pages_range(m, first, last);
	update_totals(b);
	kmm_printk(m, "Freeing %s memory: %luK", s, (last - first) << (PAGE_SHIFT - 10));
	return last - first;
}

/* free_initmem(): the .init section goes to the buddy allocator at the end of boot. */
void free_initmem(struct boot *b)
{
	free_reserved_area(b, b->init_start, b->init_start + b->init_size,
			   "unused kernel image (initmem)");
}

/* ---- The boot layer's checker ---- */

static int mm_init_check(struct kmm_machine *m)
{
	unsigned long present = 0, managed = 0;

	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		const pg_data_t *pgdat = m->node_data[nid];
		unsigned long ns, ne;

		node_pfn_range(m, nid, &ns, &ne);

		for (int z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &pgdat->node_zones[z];
			unsigned long zm = zone_managed_pages(zone);

			if (zm > zone->present_pages || zone->present_pages > zone->spanned_pages)
				return kmm_set_error(-EUCLEAN, "boot: node %d zone %s: managed %lu, "
						     "present %lu, spanned %lu", nid, zone->name, zm,
						     zone->present_pages, zone->spanned_pages);
			if (zone->spanned_pages &&
			    (zone->zone_start_pfn < ns || zone_end_pfn(zone) > ne))
				return kmm_set_error(-EUCLEAN, "boot: node %d zone %s outside its node",
						     nid, zone->name);
			if (zone->node != nid || zone->machine != m || (int)zone->type != z)
				return kmm_set_error(-EUCLEAN, "boot: node %d zone %d: bad identity",
						     nid, z);
			present += zone->present_pages;
			managed += zm;
		}
	}
	if (present != m->physpages)
		return kmm_set_error(-EUCLEAN, "boot: zones present %lu != physpages %lu", present,
				     m->physpages);
	if (managed != (unsigned long)atomic_load(&m->totalram_pages))
		return kmm_set_error(-EUCLEAN, "boot: managed pages %lu != totalram_pages %ld",
				     managed, (long)atomic_load(&m->totalram_pages));
	return 0;
}


/* The host side of struct pages, RAM, CPU slots and zone lists. */
int setup_host_memory(struct boot *b)
{
	struct kmm_machine *m = b->m;
	/* Room for the board's hotplug area (maxmem=): mm/memory_hotplug.c. */
	unsigned long secs = memory_hotplug_max_sections(m);
	uint64_t ram = KMM_MAX(PFN_PHYS(m->max_pfn), (uint64_t)secs * SECTION_BYTES);
	size_t rc_bytes;
	int err;

	if (secs == m->nr_sections)
		ram = PFN_PHYS(m->max_pfn);
	m->vmemmap_bytes = (size_t)secs * PAGES_PER_SECTION * sizeof(struct page);
	/* ram=huge: the memmap on huge pages too, as Linux's vmemmap on PMDs. */
	m->vmemmap = m->opts.ram_huge ? sim_reserve_huge(m->vmemmap_bytes) :
					sim_reserve_sparse(m->vmemmap_bytes);
	m->section_state = calloc(secs, 1);
	m->section_deferred = calloc(secs, sizeof(*m->section_deferred));
	m->section_reserved = calloc(secs, sizeof(*m->section_reserved));
	m->section_lazy = calloc(secs, sizeof(*m->section_lazy));
	rc_bytes = (secs << (SECTION_SHIFT - MAX_PAGE_ORDER)) * sizeof(*m->reserved_chunks);
	if (kmm_machine_tail(m) && rc_bytes <= KMM_MACHINE_TAIL_BYTES)
		m->reserved_chunks = kmm_machine_tail(m);	/* zero pages */
	else
		m->reserved_chunks = calloc(1, rc_bytes);
	if (!m->vmemmap || !m->section_state || !m->section_deferred || !m->section_reserved ||
	    !m->section_lazy || !m->reserved_chunks)
		return kmm_set_error(-ENOMEM, "boot: out of host address space for %lu struct pages",
				     m->nr_sections * PAGES_PER_SECTION);
	err = sim_ram_create(&m->ram, ram, secs == m->nr_sections ? PFN_PHYS(m->max_low_pfn) : ram,
			     m->opts.ram_anon, m->opts.ram_huge);
	if (err)
		return kmm_set_error(err, "boot: the host refused %lluM of RAM backing",
				     (unsigned long long)(ram >> 20));
	err = alloc_pageblock_arrays(m);
	if (err)
		return err;
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			err = zone_init_free_lists(&m->node_data[nid]->node_zones[z]);
			if (err)
				return kmm_set_error(err, "boot: zone_init_free_lists failed");
		}
	err = node_stat_init(m);	/* the nodes' per-CPU stat diffs */
	if (err)
		return kmm_set_error(err, "boot: node_stat_init failed");
	return 0;
}

/* The boot layer: no state of its own beyond the machine; up once kmm_boot() got this far. */
const struct kmm_subsys boot_subsys = {
	.name = "boot",
	.id = SUBSYS_BOOT,
	.check = mm_init_check,
};
