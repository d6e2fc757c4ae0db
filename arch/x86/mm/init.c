// SPDX-License-Identifier: MIT
/*
 * arch/x86/mm/init.c - the x86 arithmetic of the kernel's address space:
 * the i386 (2-level and PAE) and x86_64 layouts, where i386's lowmem ends,
 * the boot page tables, and the zone limits.
 *
 * Linux counterpart: arch/x86/include/asm/fixmap.h, pgtable_32_areas.h,
 * page_64_types.h, pgtable_64_types.h (the layouts), arch/x86/mm/init_32.c
 * (find_low_pfn_range, lowmem_pfn_init, highmem_pfn_init, initmem_init),
 * arch/x86/mm/pgtable_32.c (__VMALLOC_RESERVE), arch/x86/mm/init.c
 * (init_mem_mapping, zone_sizes_init). Kept: i386's MAXMEM arithmetic from
 * the fixmap down; x86's zone limits (DMA below 16 MiB, DMA32 below 4 GiB,
 * HIGHMEM above max_low_pfn); the highmem= and vmalloc= messages.
 *
 * Locking: boot runs on one thread on an unpublished machine (init/main.c).
 */
#include <errno.h>

#include "arch/x86/include/asm/layout.h"
#include "mm/include/memblock.h"
#include "mm/include/boot.h"

/* ---- Layout ---- */

/*
 * i386: where lowmem ends. Linux computes it from the top of the address
 * space down (arch/x86/include/asm/fixmap.h, pgtable_32_areas.h):
 *
 *   FIXADDR_TOP = 0xfffff000; the fixmap below it has the permanent slots
 *     (FIX_HOLE, DBGP, EARLYCON, APIC, MAX_IO_APICS=64 IO-APICs,
 *     KM_MAX_IDX=16 kmap_local slots per NR_CPUS, PCIE_MCFG) and 512
 *     early-ioremap slots, aligned so they share one page table;
 *   CPU_ENTRY_AREA_BASE = (FIXADDR_TOT_START - (CPU_ENTRY_AREA_PAGES+1) pages)
 *     rounded down to a PMD (4 MiB, 2 MiB with PAE); the entry area is
 *     struct cpu_entry_area per CPU - GDT, guard, entry stack, guard,
 *     doublefault stack, TSS with I/O bitmaps (5 pages), debug store and
 *     the 2 x 64 KiB BTS/PEBS buffers: 43 pages;
 *   LDT_BASE_ADDR = one PMD below that, PKMAP_BASE one PMD below the LDT;
 *   VMALLOC_END = PKMAP_BASE - 2 pages;
 *   MAXMEM = VMALLOC_END - PAGE_OFFSET - __VMALLOC_RESERVE, where
 *     __VMALLOC_RESERVE = 128 MiB, or vmalloc= + 8 MiB (VMALLOC_OFFSET).
 *
 * NR_CPUS is the build's (8 for i386_defconfig). For that config this gives
 * VMALLOC_END 0xfeffe000 and 879 MiB of lowmem (885 MiB with PAE); the "896 MiB" of the textbooks is
 * 1 GiB - 128 MiB from kernels whose MAXMEM ignored the fixmap (2.6.2x), and
 * "887MB LOWMEM available." is what 2.6.3x-4.x printed before the CPU entry
 * area grew.
 */
#define I386_FIX_PERMANENT_BASE 68	/* HOLE, DBGP, EARLYCON, APIC, 64 IO-APICs */
#define I386_KM_MAX_IDX 16
#define I386_CEA_PAGES_PER_CPU 43
#define NR_FIX_BTMAPS_TOTAL 512

void setup_layout_i386(struct kmm_machine *m)
{
	struct kmm_layout *l = &m->layout;
	bool pae = m->opts.arch == KMM_ARCH_I386_PAE;
	uint64_t pmd = pae ? 2ULL << 20 : 4ULL << 20, pg = PAGE_SIZE;
	uint64_t ptrs_per_pte = pae ? 512 : 1024;
	int nr_cpus = m->kconfig->nr_cpus;
	uint64_t permanent = I386_FIX_PERMANENT_BASE + (uint64_t)I386_KM_MAX_IDX * nr_cpus + 1;
	uint64_t btmap_end, total, tot_start, cea_pages, cea_base, ldt, pkmap;

	/* FIX_BTMAP_END: round up so the 512 boot-time slots share one page table. */
	if ((permanent ^ (permanent + NR_FIX_BTMAPS_TOTAL - 1)) & ~(ptrs_per_pte - 1))
		btmap_end = permanent + NR_FIX_BTMAPS_TOTAL - (permanent & (NR_FIX_BTMAPS_TOTAL - 1));
	else
		btmap_end = permanent;
	total = btmap_end + NR_FIX_BTMAPS_TOTAL;	/* __end_of_fixed_addresses */
	tot_start = I386_FIXADDR_TOP - total * pg;
	cea_pages = (uint64_t)nr_cpus * I386_CEA_PAGES_PER_CPU;
	cea_base = (tot_start - pg * (cea_pages + 1)) & ~(pmd - 1);
	ldt = (cea_base - pg) & ~(pmd - 1);
	pkmap = (ldt - pg) & ~(pmd - 1);

	l->page_offset = I386_PAGE_OFFSET;
	l->task_size = I386_PAGE_OFFSET;
	l->fixaddr_top = I386_FIXADDR_TOP;
	l->fixaddr_start = I386_FIXADDR_TOP - permanent * pg;
	l->cpu_entry_area = cea_base;
	l->cpu_entry_area_size = (cea_pages + 1) * pg;
	l->pkmap_base = pkmap;
	l->vmalloc_end = pkmap - 2 * pg;
	l->vmalloc_reserve = m->opts.vmalloc_size ? m->opts.vmalloc_size + VMALLOC_OFFSET
						  : 128ULL << 20;
	l->kernel_text = I386_PAGE_OFFSET + KERNEL_PHYS_START;
	l->pgtable_levels = pae ? 3 : 2;
	l->last_pkmap = pae ? 512 : 1024;
	l->nr_cpus_config = nr_cpus;
	l->vmemmap_base = 0;
}

void setup_layout_x86_64(struct kmm_machine *m)
{
	struct kmm_layout *l = &m->layout;

	l->page_offset = 0xffff888000000000ULL;
	l->task_size = 0x00007ffffffff000ULL;
	l->vmalloc_start = 0xffffc90000000000ULL;
	l->vmalloc_end = 0xffffe8ffffffffffULL;	/* inclusive, as Linux's VMALLOC_END */
	l->vmemmap_base = 0xffffea0000000000ULL;
	l->kernel_text = 0xffffffff80000000ULL + KERNEL_PHYS_START;
	/* FIXADDR_TOP: the PMD above the vsyscall page, less one page; ~0.5 MiB of slots. */
	l->fixaddr_top = 0xffffffffff7ff000ULL;
	l->fixaddr_start = l->fixaddr_top - 0x7f000;
	l->pkmap_base = 0;
	l->last_pkmap = 0;
	l->pgtable_levels = 4;
	l->nr_cpus_config = m->kconfig->nr_cpus;
}

/* i386: find_low_pfn_range() with lowmem_pfn_init()/highmem_pfn_init(). */
int find_low_pfn_range(struct kmm_machine *m)
{
	const struct kmm_layout *l = &m->layout;
	unsigned long maxmem_pfn = (unsigned long)PFN_DOWN(l->vmalloc_end - l->page_offset -
							  l->vmalloc_reserve);
	unsigned long highmem_pages = m->opts.highmem_size ? m->opts.highmem_size >> PAGE_SHIFT
							   : ~0UL;
	uint64_t min_low = kernel_image_end(&m->kimage) + (16ULL << 20);

	if (l->vmalloc_end - l->page_offset <= l->vmalloc_reserve + min_low)
		return kmm_set_error(-EINVAL, "vmalloc=%lluM: leaves no room for lowmem",
				     (unsigned long long)(m->opts.vmalloc_size >> 20));
	if (PFN_PHYS(maxmem_pfn) < min_low)
		return kmm_set_error(-EINVAL, "vmalloc=%lluM: leaves only %luM of lowmem",
				     (unsigned long long)(m->opts.vmalloc_size >> 20),
				     maxmem_pfn >> (20 - PAGE_SHIFT));
	if (m->max_pfn <= maxmem_pfn) {
		/* All of RAM fits; highmem= can still carve highmem out of it. */
		m->max_low_pfn = m->max_pfn;
		if (highmem_pages == ~0UL)
			highmem_pages = 0;
		if (highmem_pages >= m->max_pfn) {
			kmm_printk(m, "highmem size (%luMB) is bigger than pages available (%luMB)!",
				   highmem_pages >> 8, m->max_pfn >> 8);
			highmem_pages = 0;
		}
		if (highmem_pages) {
			if (m->max_low_pfn - highmem_pages < (64UL << 20) / PAGE_SIZE) {
				kmm_printk(m, "highmem size (%luMB) results in <64MB lowmem, "
					      "ignoring it!", highmem_pages >> 8);
				highmem_pages = 0;
			}
			m->max_low_pfn -= highmem_pages;
		}
	} else {
		m->max_low_pfn = maxmem_pfn;
		if (highmem_pages == ~0UL)
			highmem_pages = m->max_pfn - maxmem_pfn;
		if (highmem_pages + maxmem_pfn < m->max_pfn)
			m->max_pfn = maxmem_pfn + highmem_pages;
		if (highmem_pages + maxmem_pfn > m->max_pfn) {
			kmm_printk(m, "only %luMB highmem pages available, ignoring highmem size "
				      "of %luMB!", (m->max_pfn - maxmem_pfn) >> 8, highmem_pages >> 8);
			highmem_pages = 0;
		}
	}
	return 0;
}

/* i386 initmem_init(): the lowmem/highmem split reported, high_memory set. */
void initmem_init(struct kmm_machine *m)
{
	struct kmm_layout *l = &m->layout;

	m->highstart_pfn = m->highend_pfn = m->max_pfn;
	if (m->max_pfn > m->max_low_pfn)
		m->highstart_pfn = m->max_low_pfn;
	kmm_printk(m, "%luMB HIGHMEM available.", (m->highend_pfn - m->highstart_pfn) >> 8);
	l->high_memory = l->page_offset + PFN_PHYS(m->highstart_pfn);
	l->vmalloc_start = l->high_memory + VMALLOC_OFFSET;
	kmm_printk(m, "%luMB LOWMEM available.", m->max_low_pfn >> 8);
	kmm_printk(m, "  mapped low ram: 0 - %08lx", (unsigned long)PFN_PHYS(m->max_low_pfn));
	kmm_printk(m, "  low ram: 0 - %08lx", (unsigned long)PFN_PHYS(m->max_low_pfn));
}

/*
 * The page tables of the direct map and the fixed mappings that come from
 * memblock (init_memory_mapping, early_ioremap_page_table_range_init,
 * permanent_kmaps_init):
 *  x86_64 (1 GiB pages): the first GiB is mapped from the brk area, inside
 *    the image's reservation; above it, every GiB that RAM covers only in
 *    part needs a PMD page and a PTE page per 2 MiB RAM covers in part
 *    (e.g. RAM ending at 0xbffe0000 below the PCI hole: 2 pages), and every
 *    512 GiB past the first a PUD page; top-down, before the initrd moves;
 *  i386: a PTE page for the PKMAP window, PTE pages for the fixmap and a PTE
 *    page for the first PMD; with PAE also the PMD page of the kernel's GiB.
 */
static unsigned long x86_64_direct_map_tables(const struct kmm_machine *m)
{
	const struct memblock_type *mem = &m->memblock.memory;
	uint64_t gb = 1ULL << 30, pmd = 2ULL << 20, end = PFN_PHYS(m->max_pfn);
	unsigned long pages = (unsigned long)DIV_ROUND_UP(end, 512ULL << 30) - 1;

	for (uint64_t g = gb; g < end; g += gb) {
		uint64_t ram = memblock_overlap(mem, g, g + gb);

		if (!ram || ram == gb)
			continue;
		pages++;	/* the PMD page */
		for (uint64_t p = g; p < g + gb; p += pmd) {
			uint64_t r = memblock_overlap(mem, p, p + pmd);

			if (r && r != pmd)
				pages++;	/* a PTE page */
		}
	}
	return pages;
}

int alloc_kernel_page_tables(struct kmm_machine *m)
{
	const struct kmm_layout *l = &m->layout;
	unsigned long pages;

	if (!kmm_arch_is_32(m)) {
		pages = x86_64_direct_map_tables(m);
	} else {
		uint64_t pmd = l->pgtable_levels == 3 ? 2ULL << 20 : 4ULL << 20;

		pages = 1 + DIV_ROUND_UP(l->fixaddr_top + PAGE_SIZE - (l->fixaddr_start & ~(pmd - 1)),
					 pmd) + 1;
		if (l->pgtable_levels == 3)
			pages++;
	}
	if (pages && !memblock_alloc_range(m, PFN_PHYS(pages), PAGE_SIZE, 0, -1, "page tables"))
		return boot_no_room(m, "the kernel page tables");
	return 0;
}

/* zone_sizes_init() + the arch_zone_{lowest,highest}_possible_pfn walk. */
void arch_zone_limits(struct boot *b)
{
	struct kmm_machine *m = b->m;
	unsigned long max_zone_pfn[MAX_NR_ZONES] = { 0 };
	unsigned long start = (unsigned long)PFN_DOWN(m->memblock.memory.regions[0].base);

	max_zone_pfn[ZONE_DMA] = KMM_MIN(MAX_DMA_PFN, m->max_low_pfn);
	max_zone_pfn[ZONE_DMA32] = KMM_MIN(MAX_DMA32_PFN, m->max_low_pfn);
	max_zone_pfn[ZONE_NORMAL] = m->max_low_pfn;
	max_zone_pfn[ZONE_HIGHMEM] = m->max_pfn;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		unsigned long end;

		if (z == ZONE_MOVABLE || !zone_configured(m, z)) {
			b->arch_zone_lowest[z] = b->arch_zone_highest[z] = z == ZONE_MOVABLE ? 0 : start;
			continue;
		}
		end = KMM_MAX(max_zone_pfn[z], start);
		b->arch_zone_lowest[z] = start;
		b->arch_zone_highest[z] = end;
		start = end;
	}
	/* find_usable_zone_for_movable(): the highest zone with pages. */
	b->movable_zone = ZONE_DMA;
	for (int z = MAX_NR_ZONES - 1; z >= 0; z--) {
		if (z != ZONE_MOVABLE && b->arch_zone_highest[z] > b->arch_zone_lowest[z]) {
			b->movable_zone = (enum zone_type)z;
			break;
		}
	}
}

/*
 * i386 set_highmem_pages_init() (arch/x86/mm/highmem_32.c), as mem_init()
 * runs it just before memblock_free_all(): one line per highmem zone of every
 * node - ZONE_HIGHMEM always, ZONE_MOVABLE when it is carved from HighMem -
 * empty zones included. (The pages themselves go to the buddy allocator in
 * memblock_free_all(), which kmm runs for every zone.)
 */
void set_highmem_pages_init(struct boot *b)
{
	struct kmm_machine *m = b->m;

	if (!kmm_arch_is_32(m))
		return;
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &m->node_data[nid]->node_zones[z];

			if (!zone_configured(m, z) && z != ZONE_MOVABLE)
				continue;
			if (z != ZONE_HIGHMEM && !(z == ZONE_MOVABLE && b->movable_zone == ZONE_HIGHMEM))
				continue;
			kmm_printk(m, "Initializing %s for node %d (%08lx:%08lx)", zone_names[z], nid,
				   zone->zone_start_pfn, zone->zone_start_pfn + zone->spanned_pages);
		}
}
