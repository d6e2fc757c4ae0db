// SPDX-License-Identifier: MIT
/*
 * mm/include/boot.h - the boot sequence's steps, shared by init/main.c
 * (kmm_boot, Linux's start_kernel), arch/x86/ (setup_arch, the layouts,
 * nodes) and mm/mm_init.c (zones, struct pages, handing memory to the buddy
 * allocator).
 *
 * Linux counterpart: the __init declarations of include/linux/mm.h,
 * include/linux/memblock.h, arch/x86/include/asm/setup.h and mm/internal.h
 * that init/main.c and arch/x86/ call. Boot code outside mm/ includes this
 * header, never mm/internal.h (tests/boundaries.py checks it).
 *
 * The command line: mm/include/boot_options.h; e820:
 * arch/x86/include/asm/e820.h; memblock: mm/include/memblock.h.
 *
 * Locking: none; boot runs on one thread and publishes the machine only when
 * it is complete.
 */
#ifndef KMM_MM_INCLUDE_BOOT_H
#define KMM_MM_INCLUDE_BOOT_H

#include "mm/include/machine.h"

/* The state one boot carries between its steps (one thread, not published). */
struct boot {
	struct kmm_machine *m;
	unsigned long arch_zone_lowest[MAX_NR_ZONES];
	unsigned long arch_zone_highest[MAX_NR_ZONES];
	enum zone_type movable_zone;
	unsigned long nr_kernel_pages, nr_all_pages;
	unsigned long node_start[MAX_NUMNODES], node_end[MAX_NUMNODES];
	uint64_t init_start, init_size;		/* the kernel's .init section */
	uint64_t initrd_loaded;			/* where the boot loader put the initrd */
	uint64_t initrd_start;			/* where it is now (after reserve_initrd) */
	uint64_t swiotlb_start, swiotlb_end;	/* the bounce buffers; 0 without */
};

#define SECTION_BYTES ((uint64_t)PAGES_PER_SECTION << PAGE_SHIFT)

/** zone_configured() - is zone type @z part of @m's arch (zone_types_mask)? */
static inline bool zone_configured(const struct kmm_machine *m, int z)
{
	return m->zone_types_mask & (1u << z);
}

/* arch/x86/kernel/setup.c */
/** arch_setup_params() - pageblock order, struct page size, zone types, image, layout of @m's arch. */
void arch_setup_params(struct kmm_machine *m);
/** setup_arch() - the e820 map, max_pfn, lowmem, memblock, nodes, zones (Linux's setup_arch). */
int setup_arch(struct boot *b);
/** setup_per_cpu_areas() - the percpu first chunk from memblock, with its dmesg lines. */
int setup_per_cpu_areas(struct kmm_machine *m);
/** swiotlb_init() - 64 MiB of bounce buffers in low memory when RAM reaches above 4 GiB. */
int swiotlb_init(struct boot *b);
/** swiotlb_print_info() - "software IO TLB: mapped [mem ...]", late in boot (pci_iommu_init). */
void swiotlb_print_info(struct boot *b);

/* arch/x86/mm/init.c */
void setup_layout_i386(struct kmm_machine *m);
void setup_layout_x86_64(struct kmm_machine *m);
/** find_low_pfn_range() - i386: max_low_pfn from MAXMEM, highmem= and vmalloc=. */
int find_low_pfn_range(struct kmm_machine *m);
/** initmem_init() - i386: the lowmem/highmem split reported, high_memory set. */
void initmem_init(struct kmm_machine *m);
/* arch/x86/mm/init_64.c */
/**
 * init_mem_mapping() - x86_64: count the direct map's 4k/2M/1G mappings as
 * Linux 6.12 makes them (init_mem_mapping over memblock.memory as it is now,
 * then the kernel image's protections at the end of boot; @smp_locks_freed:
 * alternative_instructions() frees .smp_locks). Sets m->layout.direct_pages_count.
 * Return: 0, or -ENOMEM (host memory for the model).
 */
int init_mem_mapping(struct kmm_machine *m, bool smp_locks_freed);

/*
 * alternative_instructions(): once the kernel is patched for SMP, the
 * .smp_locks pages that would let it repatch for one CPU go - unless it was
 * patched for one CPU (maxcpus=0 or 1 on a board with more), when they stay
 * for the CPUs that may come online later.
 */
static inline bool smp_alternatives_freed(const struct kmm_machine *m)
{
	bool uniproc_patched = m->nr_cpu_ids == 1 || m->opts.maxcpus <= 1;

	return !uniproc_patched || m->nr_cpu_ids == 1;
}

/** alloc_kernel_page_tables() - memblock for the direct map's and fixmap's tables. */
int alloc_kernel_page_tables(struct kmm_machine *m);
/** arch_zone_limits() - zone_sizes_init(): each zone type's pfn range, the movable zone. */
void arch_zone_limits(struct boot *b);
/** set_highmem_pages_init() - i386: "Initializing HighMem for node N (start:end)" per highmem zone. */
void set_highmem_pages_init(struct boot *b);

/* arch/x86/mm/numa.c */
/** setup_nodes() - one node, or numa=fake=N equal ones. */
int setup_nodes(struct boot *b);
/** alloc_node_data() - the pg_data_t of every node (and its memblock on x86_64). */
int alloc_node_data(struct boot *b);

/* mm/mm_init.c */
/** boot_no_room() - a boot allocation found no room for @what: say where and why. */
int boot_no_room(struct kmm_machine *m, const char *what);
/**
 * free_area_init() - ZONE_MOVABLE, the zone spans and present pages, the
 * mem_map, with "Zone ranges:" and the other dmesg lines (after arch_zone_limits()).
 */
int free_area_init(struct boot *b);
/** alloc_large_system_hash() - a hash table (memblock when @early, else vmalloc), with its dmesg line. */
int alloc_large_system_hash(struct boot *b, const char *name, unsigned long bucketsize,
			    int scale, bool early);
/** vfs_caches_init_hash() - the dentry and inode hashes: early from memblock (one node) or later from vmalloc (hashdist). */
int vfs_caches_init_hash(struct boot *b, bool early);
/** setup_host_memory() - the host side of struct pages, RAM, pageblocks and free lists. */
int setup_host_memory(struct boot *b);
/** memblock_free_all() - hand free memory to the buddy allocator, section by section. */
void memblock_free_all(struct boot *b);
/** update_totals() - totalram_pages and totalhigh_pages from the zones' managed pages. */
void update_totals(struct boot *b);
/** mem_init_print_info() - the "Memory: ..." line. */
void mem_init_print_info(struct kmm_machine *m);
/** free_initmem() - the kernel's .init section to the buddy allocator. */
void free_initmem(struct boot *b);
/** free_reserved_area() - whole pages of a boot reservation to the buddy allocator, with "Freeing %s memory". */
unsigned long free_reserved_area(struct boot *b, uint64_t start, uint64_t end, const char *s);
/** __init_single_page() - make vmemmap[pfn] a fresh page of @zone (refcount 1, reserved). */
void __init_single_page(struct kmm_machine *m, struct page *page, unsigned long pfn,
		      enum zone_type zone, int nid);

/* mm/page_alloc_init.c, mm/page_alloc.c: the page allocator's boot steps */
/** zone_init_free_lists() - empty free lists, lock, pcp sets for @m->nr_cpus. Return: 0/-ENOMEM. */
int zone_init_free_lists(struct zone *zone);
void zone_free_pcp(struct zone *zone);
/**
 * __free_pages_core() - hand a boot-time free block to the buddy allocator:
 * the pages are initialised and not reserved; adds to managed pages.
 * Context: boot, single-threaded.
 */
void __free_pages_core(struct page *page, unsigned int order);
/**
 * zone_add_deferred_section() - hand a wholly free section whose struct pages
 * are not initialised; they are initialised when the allocator first needs
 * them. Adds PAGES_PER_SECTION to managed and free pages.
 */
void zone_add_deferred_section(struct zone *zone, unsigned long start_pfn);
/**
 * zone_add_deferred_blocks() - the same for @nr MAX_PAGE_ORDER blocks from
 * @start_pfn (aligned, all free, in one section and one zone). Adds their
 * pages to managed and free pages.
 */
void zone_add_deferred_blocks(struct zone *zone, unsigned long start_pfn, unsigned long nr);
void build_all_zonelists(struct kmm_machine *m);
/**
 * pgdat_alloc() - a zeroed pg_data_t from the host with its boot zonelist set
 * after it, sized for @nr_nodes nodes; free() frees both.
 * Return: the node, or NULL.
 */
pg_data_t *pgdat_alloc(int nr_nodes);
struct zonelist_set;
/**
 * zonelist_sets_alloc() - a new, empty zonelist set for each node of @m into
 * @sets[MAX_NUMNODES], for rebuild_all_zonelists().
 * Return: 0, or -ENOMEM with none allocated.
 */
int zonelist_sets_alloc(struct kmm_machine *m, struct zonelist_set **sets);
/** zonelist_sets_free() - free the sets of @sets[MAX_NUMNODES] still there. */
void zonelist_sets_free(struct zonelist_set **sets);
void rebuild_all_zonelists(struct kmm_machine *m, struct zonelist_set **sets);
/** free_old_zonelists() - the zonelist sets of @pgdat a rebuild left. Context: shutdown. */
void free_old_zonelists(pg_data_t *pgdat);
/** init_per_zone_wmark_min() - min_free_kbytes, watermarks, lowmem reserve, totalreserve. */
void init_per_zone_wmark_min(struct kmm_machine *m);
/** set_recommended_min_free_kbytes() - khugepaged's min_free_kbytes (THP builds), then the watermarks. */
void set_recommended_min_free_kbytes(struct kmm_machine *m);

#endif /* KMM_MM_INCLUDE_BOOT_H */
