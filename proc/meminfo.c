// SPDX-License-Identifier: MIT
/*
 * proc/meminfo.c - /proc/meminfo.
 *
 * Linux counterpart: fs/proc/meminfo.c (6.12) with si_mem_available()
 * (mm/show_mem.c), hugetlb_report_meminfo()
 * (mm/hugetlb.c) and x86's arch_report_meminfo() (arch/x86/mm/pat/
 * set_memory.c). Kept: every field of Debian's 6.12 x86 configs in Linux's
 * order and format ("%-16s%8lu kB", with Linux's few exceptions). i386 adds
 * HighTotal/HighFree/LowTotal/LowFree and DirectMap4M; x86-64 has
 * Unaccepted and DirectMap1G.
 *
 * Every number is read from live state when the file is read: the page
 * allocator's zone and node counters, and for what lives in later layers
 * (swap, commit charge, vmalloc, hugetlb) a struct meminfo_extra that each
 * such layer fills in through the meminfo hook of its subsystem entry
 * (mm/include/subsys.h). Until a layer lands its fields are 0. CommitLimit
 * is mm/util.c's vm_commit_limit().
 *
 * The DirectMap lines are modelled: kmm maps its direct map with one host
 * mapping, so the split into 4k/2M(4M)/1G pages is what Linux's page tables
 * would hold. x86_64's is counted at boot as Linux 6.12 counts it
 * (arch/x86/mm/init_64.c); i386's is computed here as split_mem_range()
 * would map the e820 RAM ranges (the first MiB in 4k pages), less the large
 * pages the image's protections split.
 *
 * Locking: none; counters are read racily, as Linux does.
 */
#include <errno.h>

#include "mm/include/oom.h"
#include "mm/include/vmstat.h"
#include "mm/include/machine.h"
#include "proc/proc.h"

void meminfo_collect(struct kmm_machine *m, struct meminfo_extra *x)
{
	/* The first per-CPU chunk is what boot embedded from memblock. */
	*x = (struct meminfo_extra){ .percpu = memblock_reserved_by(m, "percpu") >> PAGE_SHIFT };
	subsys_meminfo(m, x);	/* each up layer's meminfo hook sets the fields it owns */
}

static unsigned long sum_low_wmarks(struct kmm_machine *m)
{
	unsigned long sum = 0;

	for (int n = 0; n < m->nr_node_ids; n++) {
		pg_data_t *pgdat = m->node_data[n];

		if (!pgdat)
			continue;
		for (int t = 0; t < MAX_NR_ZONES; t++)
			sum += low_wmark_pages(&pgdat->node_zones[t]);
	}
	return sum;
}

unsigned long si_mem_available_m(struct kmm_machine *m)
{
	unsigned long wmark_low = sum_low_wmarks(m);
	unsigned long pagecache, reclaimable;
	long available;

	available = (long)global_zone_page_state(m, NR_FREE_PAGES) -
		    (long)READ_ONCE(m->totalreserve_pages);

	pagecache = global_node_page_state(m, NR_ACTIVE_FILE) +
		    global_node_page_state(m, NR_INACTIVE_FILE);
	pagecache -= KMM_MIN(pagecache / 2, wmark_low);
	available += (long)pagecache;

	reclaimable = global_node_page_state_pages(m, NR_SLAB_RECLAIMABLE_B) +
		      global_node_page_state(m, NR_KERNEL_MISC_RECLAIMABLE);
	reclaimable -= KMM_MIN(reclaimable / 2, wmark_low);
	available += (long)reclaimable;

	return available < 0 ? 0 : (unsigned long)available;
}

/* Free pages of the zones Linux counts as highmem (HighMem, Movable above lowmem). */
static unsigned long nr_free_highpages(struct kmm_machine *m)
{
	unsigned long sum = 0;

	if (!kmm_arch_is_32(m))
		return 0;
	for (int n = 0; n < m->nr_node_ids; n++) {
		pg_data_t *pgdat = m->node_data[n];

		if (!pgdat)
			continue;
		for (int t = ZONE_HIGHMEM; t < MAX_NR_ZONES; t++) {
			struct zone *z = &pgdat->node_zones[t];

			if (populated_zone(z) && z->zone_start_pfn >= READ_ONCE(m->max_low_pfn))
				sum += zone_page_state(z, NR_FREE_PAGES);
		}
	}
	return sum;
}

/* ---- DirectMap ---- */

struct direct_pages {
	unsigned long k4, large, g1;	/* counts of 4k, 2M/4M and 1G mappings */
};

static void split_range(uint64_t s, uint64_t e, uint64_t large, struct direct_pages *d)
{
	while (s < e) {
		if ((s & (large - 1)) == 0 && e - s >= large) {
			d->large++;
			s += large;
		} else {
			d->k4++;
			s += PAGE_SIZE;
		}
	}
}

/*
 * i386's direct map is also the kernel's own mapping, so the protections
 * set once boot is done split the large pages a boundary falls inside:
 * mark_rodata_ro() makes [_text, __end_rodata) read-only, mark_nxdata_nx()
 * (PAE) makes [_etext, _end) no-execute, and the freed .init is unmapped
 * (PTI's set_memory_np in free_kernel_image_pages). Each large page holding
 * such a boundary becomes 4k pages, once. The i386 captures in
 * tests/real-linux/ show it: one 4M page on i386, two 2M pages with PAE.
 * (x86_64's direct map is an alias of the image: arch/x86/mm/init_64.c.)
 */
static void split_kernel_image(struct kmm_machine *m, uint64_t large, struct direct_pages *d)
{
	const struct kmm_image_layout *img = &m->kconfig->image;
	bool pae = m->opts.arch == KMM_ARCH_I386_PAE;
	uint64_t b[] = { img->rodata_end, img->init, img->init_end, pae ? img->etext : 0,
			 pae ? img->bss_end : 0 };
	uint64_t split[ARRAY_SIZE(b)];
	int n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(b); i++) {
		uint64_t page = ALIGN_DOWN(b[i], large);
		bool seen = false;

		if (!b[i] || !(b[i] & (large - 1)) ||
		    page + large > PFN_PHYS(READ_ONCE(m->max_low_pfn)))
			continue;
		for (int j = 0; j < n; j++)
			seen |= split[j] == page;
		if (seen || !d->large)
			continue;
		split[n++] = page;
		d->large--;
		d->k4 += (unsigned long)(large >> PAGE_SHIFT);
	}
}

static void direct_map_pages(struct kmm_machine *m, struct direct_pages *d)
{
	bool is32 = kmm_arch_is_32(m);
	uint64_t large = m->opts.arch == KMM_ARCH_I386 ? (4ULL << 20) : (2ULL << 20);
	uint64_t limit = (uint64_t)READ_ONCE(m->max_low_pfn) << PAGE_SHIFT;
	uint64_t isa_end = 1ULL << 20;

	if (!is32) {
		/* memory hot-add changes the counts under its own lock, not taken here */
		const unsigned long *c = m->layout.direct_pages_count;

		*d = (struct direct_pages){ READ_ONCE(c[PG_LEVEL_4K]), READ_ONCE(c[PG_LEVEL_2M]),
					    READ_ONCE(c[PG_LEVEL_1G]) };
		return;
	}
	*d = (struct direct_pages){ 0 };
	/* init_memory_mapping(0, ISA_END_ADDRESS): the first MiB in 4k pages. */
	d->k4 = KMM_MIN(isa_end, limit) >> PAGE_SHIFT;
	for (int i = 0; i < m->e820.nr_entries; i++) {
		const struct e820_entry *en = &m->e820.entries[i];
		uint64_t s = ALIGN_UP(en->addr, (uint64_t)PAGE_SIZE);
		uint64_t e = ALIGN_DOWN(en->addr + en->size, (uint64_t)PAGE_SIZE);

		if (en->type != E820_TYPE_RAM)
			continue;
		s = KMM_MAX(s, isa_end);
		e = KMM_MIN(e, limit);
		if (s < e)
			split_range(s, e, large, d);
	}
	if (m->kconfig)
		split_kernel_image(m, large, d);
}

/* ---- The file ---- */

unsigned long hugepage_kb(const struct kmm_machine *m)
{
	return m->opts.arch == KMM_ARCH_I386 ? 4096 : 2048;
}

#define K(pages) ((unsigned long)(pages) << (PAGE_SHIFT - 10))

static void show_val_kb(struct strbuf *sb, const char *label, unsigned long pages)
{
	sb_printf(sb, "%-16s%8lu kB\n", label, K(pages));
}

int meminfo_show(struct kmm_machine *m, struct strbuf *sb)
{
	struct meminfo_extra x;
	struct direct_pages d;
	unsigned long totalram = (unsigned long)atomic_load(&m->totalram_pages);
	unsigned long totalhigh = (unsigned long)atomic_load(&m->totalhigh_pages);
	unsigned long freeram = global_zone_page_state(m, NR_FREE_PAGES);
	unsigned long freehigh = nr_free_highpages(m);
	unsigned long lru[NR_UNEVICTABLE - NR_LRU_BASE + 1];
	unsigned long sreclaimable = global_node_page_state_pages(m, NR_SLAB_RECLAIMABLE_B);
	unsigned long sunreclaim = global_node_page_state_pages(m, NR_SLAB_UNRECLAIMABLE_B);
	long cached;

	meminfo_collect(m, &x);
	for (int i = NR_LRU_BASE; i <= NR_UNEVICTABLE; i++)
		lru[i - NR_LRU_BASE] = global_node_page_state(m, (enum node_stat_item)i);
	cached = (long)global_node_page_state(m, NR_FILE_PAGES) -
		 (long)global_node_page_state(m, NR_SWAPCACHE) - (long)x.buffers;
	if (cached < 0)
		cached = 0;

	show_val_kb(sb, "MemTotal:", totalram);
	show_val_kb(sb, "MemFree:", freeram);
	show_val_kb(sb, "MemAvailable:", si_mem_available_m(m));
	show_val_kb(sb, "Buffers:", x.buffers);
	show_val_kb(sb, "Cached:", (unsigned long)cached);
	show_val_kb(sb, "SwapCached:", global_node_page_state(m, NR_SWAPCACHE));
	show_val_kb(sb, "Active:", lru[NR_ACTIVE_ANON] + lru[NR_ACTIVE_FILE]);
	show_val_kb(sb, "Inactive:", lru[NR_INACTIVE_ANON] + lru[NR_INACTIVE_FILE]);
	show_val_kb(sb, "Active(anon):", lru[NR_ACTIVE_ANON]);
	show_val_kb(sb, "Inactive(anon):", lru[NR_INACTIVE_ANON]);
	show_val_kb(sb, "Active(file):", lru[NR_ACTIVE_FILE]);
	show_val_kb(sb, "Inactive(file):", lru[NR_INACTIVE_FILE]);
	show_val_kb(sb, "Unevictable:", lru[NR_UNEVICTABLE]);
	show_val_kb(sb, "Mlocked:", global_zone_page_state(m, NR_MLOCK));
	if (kmm_arch_is_32(m)) {	/* CONFIG_HIGHMEM */
		show_val_kb(sb, "HighTotal:", totalhigh);
		show_val_kb(sb, "HighFree:", freehigh);
		show_val_kb(sb, "LowTotal:", totalram - totalhigh);
		show_val_kb(sb, "LowFree:", freeram - KMM_MIN(freeram, freehigh));
	}
	show_val_kb(sb, "SwapTotal:", x.swap_total);
	show_val_kb(sb, "SwapFree:", x.swap_free);
	if (!m->kconfig || m->kconfig->zswap) {	/* CONFIG_ZSWAP */
		show_val_kb(sb, "Zswap:", x.zswap);
		sb_printf(sb, "Zswapped:       %8lu kB\n", K(x.zswapped));
	}
	show_val_kb(sb, "Dirty:", global_node_page_state(m, NR_FILE_DIRTY));
	show_val_kb(sb, "Writeback:", global_node_page_state(m, NR_WRITEBACK));
	show_val_kb(sb, "AnonPages:", global_node_page_state(m, NR_ANON_MAPPED));
	show_val_kb(sb, "Mapped:", global_node_page_state(m, NR_FILE_MAPPED));
	show_val_kb(sb, "Shmem:", global_node_page_state(m, NR_SHMEM));
	show_val_kb(sb, "KReclaimable:",
		    sreclaimable + global_node_page_state(m, NR_KERNEL_MISC_RECLAIMABLE));
	show_val_kb(sb, "Slab:", sreclaimable + sunreclaim);
	show_val_kb(sb, "SReclaimable:", sreclaimable);
	show_val_kb(sb, "SUnreclaim:", sunreclaim);
	sb_printf(sb, "KernelStack:    %8lu kB\n", global_node_page_state(m, NR_KERNEL_STACK_KB));
	show_val_kb(sb, "PageTables:", global_node_page_state(m, NR_PAGETABLE));
	show_val_kb(sb, "SecPageTables:", global_node_page_state(m, NR_SECONDARY_PAGETABLE));
	show_val_kb(sb, "NFS_Unstable:", 0);
	show_val_kb(sb, "Bounce:", global_zone_page_state(m, NR_BOUNCE));
	show_val_kb(sb, "WritebackTmp:", global_node_page_state(m, NR_WRITEBACK_TEMP));
	show_val_kb(sb, "CommitLimit:", vm_commit_limit(m));
	show_val_kb(sb, "Committed_AS:", x.committed_as);
	sb_printf(sb, "VmallocTotal:   %8lu kB\n",
		  (unsigned long)((m->layout.vmalloc_end - m->layout.vmalloc_start) >> 10));
	show_val_kb(sb, "VmallocUsed:", x.vmalloc_used);
	show_val_kb(sb, "VmallocChunk:", 0);
	show_val_kb(sb, "Percpu:", x.percpu);
	if (!m->kconfig || m->kconfig->memory_failure)	/* CONFIG_MEMORY_FAILURE */
		sb_printf(sb, "HardwareCorrupted: %5lu kB\n", K(x.hardware_corrupted));
	if (!m->kconfig || m->kconfig->thp) {	/* CONFIG_TRANSPARENT_HUGEPAGE */
		show_val_kb(sb, "AnonHugePages:", global_node_page_state(m, NR_ANON_THPS));
		show_val_kb(sb, "ShmemHugePages:", global_node_page_state(m, NR_SHMEM_THPS));
		show_val_kb(sb, "ShmemPmdMapped:", global_node_page_state(m, NR_SHMEM_PMDMAPPED));
		show_val_kb(sb, "FileHugePages:", global_node_page_state(m, NR_FILE_THPS));
		show_val_kb(sb, "FilePmdMapped:", global_node_page_state(m, NR_FILE_PMDMAPPED));
	}
	if (!m->kconfig || m->kconfig->cma) {	/* CONFIG_CMA */
		show_val_kb(sb, "CmaTotal:", m->totalcma_pages);
		show_val_kb(sb, "CmaFree:", global_zone_page_state(m, NR_FREE_CMA_PAGES));
	}
	if (!kmm_arch_is_32(m))	/* CONFIG_UNACCEPTED_MEMORY */
		show_val_kb(sb, "Unaccepted:", global_zone_page_state(m, NR_UNACCEPTED));

	sb_printf(sb,
		  "HugePages_Total:   %5lu\n"
		  "HugePages_Free:    %5lu\n"
		  "HugePages_Rsvd:    %5lu\n"
		  "HugePages_Surp:    %5lu\n"
		  "Hugepagesize:   %8lu kB\n",
		  x.hugepages_total, x.hugepages_free, x.hugepages_rsvd, x.hugepages_surp,
		  hugepage_kb(m));
	sb_printf(sb, "Hugetlb:        %8lu kB\n", x.hugetlb_kb);

	direct_map_pages(m, &d);
	sb_printf(sb, "DirectMap4k:    %8lu kB\n", d.k4 << 2);
	if (m->opts.arch == KMM_ARCH_I386)
		sb_printf(sb, "DirectMap4M:    %8lu kB\n", d.large << 12);
	else
		sb_printf(sb, "DirectMap2M:    %8lu kB\n", d.large << 11);
	if (!kmm_arch_is_32(m))	/* direct_gbpages */
		sb_printf(sb, "DirectMap1G:    %8lu kB\n", d.g1 << 20);
	return 0;
}
