// SPDX-License-Identifier: MIT
/*
 * mm/mm_init.c - booting a machine: the address-space layout, the firmware
 * map and memblock, nodes and zones, the struct page array, handing memory
 * to the buddy allocator, the later layers' init list, and shutdown. The
 * command line is parsed by mm/mm_init_cmdline.c.
 *
 * Linux counterpart: init/main.c (start_kernel, the command line),
 * arch/x86/kernel/setup.c (setup_arch), arch/x86/mm/init.c, init_32.c,
 * init_64.c, pgtable_32.c (zone_sizes_init, find_low_pfn_range,
 * initmem_init, __VMALLOC_RESERVE), arch/x86/mm/numa_emulation.c, mm/mm_init.c
 * (free_area_init, find_zone_movable_pfns_for_nodes, memmap_init,
 * alloc_large_system_hash, mem_init_print_info), mm/memblock.c
 * (memblock_free_all), mm/sparse.c.
 *
 * Kept: the order of setup_arch and start_kernel, and their dmesg lines word
 * for word (the e820 map, "last_pfn", LOWMEM/HIGHMEM available, "Zone
 * ranges:", "Movable zone start for each node", "Early memory node ranges",
 * "Initmem setup node", "On node N, zone X: N pages in unavailable ranges",
 * the percpu and hash-table lines, "Memory: ...", "Freeing unused kernel
 * image (initmem) memory"); i386's MAXMEM arithmetic from the fixmap down;
 * x86's zone limits; kernelcore=/movablecore= spread over nodes as Linux
 * does; the whole first MiB reserved (x86 since 5.13); mem_map from memblock
 * top-down (per node, in sections on x86_64, one flat array on i386);
 * memblock_free_all()'s largest-aligned-order walk, in ascending pfn order.
 * Simplified: no ACPI/SRAT, no initrd, no CMA areas, no memory hotplug;
 * numa=fake=N splits RAM into N equal parts on 32 MiB boundaries (Linux also
 * hands out leftover 32 MiB chunks one per node); the kernel image is five
 * contiguous page-aligned sections of a fixed plausible size per arch.
 * Added (sparse struct pages): a section that is wholly free and in one zone
 * goes to the buddy allocator untouched (SECTION_DEFERRED, its struct pages
 * initialised when the allocator first reaches for it); a section that is
 * wholly reserved and in one zone (most of the mem_map of a big machine)
 * stays untouched (SECTION_RESERVED) until kmm_pfn_to_page() asks for one of
 * its pages; only the few mixed sections are initialised at boot. So a
 * 64 GiB machine commits a few MiB of struct pages and a 1 TiB machine boots.
 *
 * Invariant (checked by the "boot" layer): the present pages of all zones
 * add up to m->physpages, which is the RAM memblock knows below max_pfn;
 * managed <= present <= spanned in every zone; every zone lies inside its
 * node's span; totalram_pages is the sum of managed pages.
 *
 * Locking: kmm_boot() builds a machine on one thread and publishes it only
 * when done, so it takes no machine locks; several threads may boot several
 * machines at once. The layers' boot options are registered once per
 * process (boot_options_state, an atomic once-flag).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/addr.h"
#include "mm/include/slab.h"
#include "mm/internal.h"

#define SZ_4G (1ULL << 32)
#define MAX_DMA_PFN (16UL << (20 - PAGE_SHIFT))		/* 16 MiB */
#define MAX_DMA32_PFN (1UL << (32 - PAGE_SHIFT))	/* 4 GiB */
#define KERNEL_PHYS_START (16ULL << 20)			/* CONFIG_PHYSICAL_START */
#define FAKE_NODE_MIN_SIZE (32ULL << 20)
#define VMALLOC_OFFSET (8ULL << 20)
#define I386_PAGE_OFFSET 0xC0000000ULL
#define I386_FIXADDR_TOP 0xfffff000ULL
#define SECTION_BYTES ((uint64_t)PAGES_PER_SECTION << PAGE_SHIFT)

static void free_pages_range(struct kmm_machine *m, unsigned long start, unsigned long end);

/* The command line and the later layers' boot options: mm/mm_init_cmdline.c. */

/* ==================================================================== */
/* ---- The layer list ---- */

/*
 * Later layers, in boot order. Each owner adds ONE line here:
 *   { "name", boot_options_hook_or_NULL, init_fn },
 * - boot_options(void) registers the layer's boot options with
 *   kmm_register_boot_option(); it runs once per process, before the first
 *   command line is parsed.
 * - init(m) runs after the page allocator is up (zonelists, watermarks, pcp
 *   lists), with @m as the thread's current machine. It returns 0 or -errno
 *   (with kmm_set_error() saying why); it registers its checker and shutdown
 *   with kmm_register_layer(). If one init fails, the layers already up are
 *   shut down in reverse order and kmm_boot() returns NULL.
 * On i386 the vmalloc layer's init prints the "virtual kernel memory layout:"
 * block; its line goes right after slab's so the block follows "Memory:" as
 * on Linux.
 */
struct layer_init {
	const char *name;
	void (*boot_options)(void);
	int (*init)(struct kmm_machine *m);
};

static const struct layer_init layer_inits[] = {
	{ "slab", slab_boot_options, kmem_cache_init },
	{ "vmalloc", vmalloc_boot_options, vmalloc_init },	/* i386: "virtual kernel memory layout:" */
	{ "process", NULL, process_init },	/* tasks, zero page, software MMU */
	{ NULL, NULL, NULL },	/* end */
};

static int boot_options_state;	/* 0 not yet, 1 in progress, 2 done */

void register_layer_boot_options(void)
{
	int expect = 0;

	if (__atomic_load_n(&boot_options_state, __ATOMIC_ACQUIRE) == 2)
		return;
	if (__atomic_compare_exchange_n(&boot_options_state, &expect, 1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		for (const struct layer_init *l = layer_inits; l->name; l++)
			if (l->boot_options)
				l->boot_options();
		__atomic_store_n(&boot_options_state, 2, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&boot_options_state, __ATOMIC_ACQUIRE) != 2)
		sim_yield();
}

/* ==================================================================== */
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
 * NR_CPUS is 8, the 32-bit default, or 64 when maxcpus= asks for more (a
 * BIGSMP kernel). For the default config that gives VMALLOC_END 0xfeffe000
 * and 879 MiB of lowmem (885 MiB with PAE); the "896 MiB" of the textbooks is
 * 1 GiB - 128 MiB from kernels whose MAXMEM ignored the fixmap (2.6.2x), and
 * "887MB LOWMEM available." is what 2.6.3x-4.x printed before the CPU entry
 * area grew.
 */
#define I386_FIX_PERMANENT_BASE 68	/* HOLE, DBGP, EARLYCON, APIC, 64 IO-APICs */
#define I386_KM_MAX_IDX 16
#define I386_CEA_PAGES_PER_CPU 43
#define NR_FIX_BTMAPS_TOTAL 512

static void setup_layout_i386(struct kmm_machine *m)
{
	struct kmm_layout *l = &m->layout;
	bool pae = m->opts.arch == KMM_ARCH_I386_PAE;
	uint64_t pmd = pae ? 2ULL << 20 : 4ULL << 20, pg = PAGE_SIZE;
	uint64_t ptrs_per_pte = pae ? 512 : 1024;
	int nr_cpus = m->opts.maxcpus <= 8 ? 8 : 64;
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

static void setup_layout_x86_64(struct kmm_machine *m)
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
	l->nr_cpus_config = 64;
}

/* ==================================================================== */
/* ---- Boot state ---- */

struct boot {
	struct kmm_machine *m;
	unsigned long arch_zone_lowest[MAX_NR_ZONES];
	unsigned long arch_zone_highest[MAX_NR_ZONES];
	enum zone_type movable_zone;
	unsigned long nr_kernel_pages, nr_all_pages;
	unsigned long node_start[MAX_NUMNODES], node_end[MAX_NUMNODES];
	uint64_t init_start, init_size;		/* the kernel's .init section */
};

static bool zone_configured(const struct kmm_machine *m, int z)
{
	return m->zone_types_mask & (1u << z);
}

/* ---- Early arch setup: e820, max_pfn, lowmem ---- */

static void print_banner(struct kmm_machine *m)
{
	kmm_printk(m, "Linux version 6.12.0-kmm (kmm@localhost) (kmm: Linux memory management "
		      "in C11, arch %s) #1 SMP PREEMPT_DYNAMIC", kmm_arch_name(m->opts.arch));
	/* x86_64's setup_arch prints the command line first; i386's does not. */
	if (!kmm_arch_is_32(m))
		kmm_printk(m, "Command line: %s", m->cmdline);
}

static int setup_memory_map(struct kmm_machine *m)
{
	e820_setup_firmware(m);
	kmm_printk(m, "BIOS-provided physical RAM map:");
	e820_print_table(m, "BIOS-e820");
	if (m->opts.nr_memmap) {
		if (e820_apply_memmap(m))
			return kmm_set_error(-ENOSPC, "memmap=: too many e820 entries");
		kmm_printk(m, "user-defined physical RAM map:");
		e820_print_table(m, "user");
	}
	e820_trim_bios_range(m);
	return 0;
}

/* max_pfn from the map, clamped to what the arch can address (e820__end_of_ram_pfn). */
static void find_max_pfn(struct kmm_machine *m)
{
	unsigned long max_arch_pfn;

	switch (m->opts.arch) {
	case KMM_ARCH_X86_64:
		max_arch_pfn = 1UL << (46 - PAGE_SHIFT);	/* MAX_PHYSMEM_BITS 46 */
		break;
	case KMM_ARCH_I386_PAE:
		max_arch_pfn = 1UL << (36 - PAGE_SHIFT);
		break;
	default:
		max_arch_pfn = 1UL << (32 - PAGE_SHIFT);
		break;
	}
	m->max_pfn = e820_end_pfn(m, max_arch_pfn);
	kmm_printk(m, "last_pfn = %#lx max_arch_pfn = %#lx", m->max_pfn, max_arch_pfn);
	if (m->opts.arch == KMM_ARCH_I386 && e820_end_pfn(m, ~0UL) > max_arch_pfn) {
		/*
		 * 6.12 already clamps last_pfn above, so its highmem_pfn_init()
		 * check stays silent; kmm says why the RAM above 4G is gone.
		 */
		kmm_printk(m, "Warning: only 4GB will be used. Use a HIGHMEM64G enabled kernel!");
	}
	if (!kmm_arch_is_32(m) && m->max_pfn > MAX_DMA32_PFN) {
		unsigned long low = e820_end_pfn(m, MAX_DMA32_PFN);

		kmm_printk(m, "last_pfn = %#lx max_arch_pfn = %#lx", low, max_arch_pfn);
	}
}

/* i386: find_low_pfn_range() with lowmem_pfn_init()/highmem_pfn_init(). */
static int find_low_pfn_range(struct kmm_machine *m)
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
static void initmem_init_32(struct kmm_machine *m)
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
 * A boot allocation found no room: say where it looked and which options
 * shaped that memory, e.g. "boot: no room for the per-CPU areas in 51M of
 * lowmem (mem=3500M vmalloc=938M)".
 */
static int no_room(struct kmm_machine *m, const char *what)
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

/* ---- memblock: memory, the first reservations, page tables ---- */

static int memblock_setup(struct kmm_machine *m)
{
	const struct kmm_kernel_image *k = &m->kimage;
	uint64_t pos = k->phys_start;
	int err = 0;

	for (int i = 0; i < m->e820.nr_entries; i++) {
		const struct e820_entry *e = &m->e820.entries[i];

		if (e->type == E820_TYPE_RAM)
			err |= memblock_add_node(m, e->addr, e->size, 0);
	}
	err |= memblock_remove(m, PFN_PHYS(m->max_pfn), ~0ULL - PFN_PHYS(m->max_pfn));
	m->memblock.current_limit = PFN_PHYS(m->max_pfn);

	/* x86 keeps the whole first MiB: BIOS data, EBDA, real-mode trampoline. */
	err |= memblock_reserve(m, 0, 1ULL << 20, "BIOS and real-mode area");
	err |= memblock_reserve(m, pos, k->text, "kernel code");
	pos += k->text;
	err |= memblock_reserve(m, pos, k->rodata, "kernel rodata");
	pos += k->rodata;
	err |= memblock_reserve(m, pos, k->data, "kernel data");
	pos += k->data;
	err |= memblock_reserve(m, pos, k->init, "kernel init");
	pos += k->init;
	err |= memblock_reserve(m, pos, k->bss, "kernel bss");
	if (err)
		return kmm_set_error(-ENOSPC, "memblock: out of region slots");
	return 0;
}

/*
 * The page tables of the direct map and the fixed mappings (init_mem_mapping,
 * early_ioremap_page_table_range_init, permanent_kmaps_init):
 *  x86_64 (1 GiB pages): a PUD page per 512 GiB, a PMD page for the first
 *    GiB (2 MiB pages there) and a PTE page for the first 2 MiB (4 KiB pages
 *    around the legacy ISA hole);
 *  i386: a PTE page for the PKMAP window, PTE pages for the fixmap and a PTE
 *    page for the first PMD; with PAE also the PMD page of the kernel's GiB.
 */
static int alloc_kernel_page_tables(struct kmm_machine *m)
{
	const struct kmm_layout *l = &m->layout;
	unsigned long pages;

	if (!kmm_arch_is_32(m)) {
		pages = DIV_ROUND_UP(PFN_PHYS(m->max_pfn), 512ULL << 30) + 2;
	} else {
		uint64_t pmd = l->pgtable_levels == 3 ? 2ULL << 20 : 4ULL << 20;

		pages = 1 + DIV_ROUND_UP(l->fixaddr_top + PAGE_SIZE - (l->fixaddr_start & ~(pmd - 1)),
					 pmd) + 1;
		if (l->pgtable_levels == 3)
			pages++;
	}
	if (!memblock_alloc_range(m, PFN_PHYS(pages), PAGE_SIZE, 0, -1, "page tables"))
		return no_room(m, "the kernel page tables");
	return 0;
}

/* ---- NUMA: one node, or numa=fake=N equal ones ---- */

/* memblock_alloc_try_nid(): on @nid if it has room, else anywhere. */
static uint64_t alloc_try_nid(struct kmm_machine *m, uint64_t size, uint64_t align,
			      uint64_t limit, int nid, const char *owner)
{
	uint64_t pa = memblock_alloc_range(m, size, align, limit, nid, owner);

	if (!pa && nid >= 0)
		pa = memblock_alloc_range(m, size, align, limit, -1, owner);
	return pa;
}

static int setup_nodes(struct boot *b)
{
	struct kmm_machine *m = b->m;
	int nr = m->opts.numa_fake > 1 ? m->opts.numa_fake : 1;
	uint64_t max_addr = PFN_PHYS(m->max_pfn), start = 0, size;

	if (!kmm_arch_is_32(m)) {
		kmm_printk(m, "No NUMA configuration found");
		kmm_printk(m, "Faking a node at [mem 0x%016llx-0x%016llx]", 0ULL,
			   (unsigned long long)max_addr - 1);
	}
	m->nr_node_ids = nr;
	if (nr == 1) {
		b->node_start[0] = 0;
		b->node_end[0] = m->max_pfn;
		return memblock_set_node(m, 0, max_addr, 0) ? -ENOSPC : 0;
	}
	/*
	 * split_nodes_equally(): each node gets the same amount of RAM (holes
	 * do not count), rounded down to FAKE_NODE_MIN_SIZE; a node ends on a
	 * 32 MiB boundary; the last node takes the rest.
	 */
	size = ALIGN_DOWN(m->memblock.memory.total_size / (uint64_t)nr, FAKE_NODE_MIN_SIZE);
	for (int nid = 0; nid < nr; nid++) {
		uint64_t end = start + size;

		if (nid == nr - 1) {
			end = max_addr;
		} else {
			while (end < max_addr && memblock_overlap(&m->memblock.memory, start, end) < size)
				end += FAKE_NODE_MIN_SIZE;
			end = KMM_MIN(end, max_addr);
		}
		if (memblock_set_node(m, start, end - start, nid))
			return kmm_set_error(-ENOSPC, "numa=fake: out of memblock region slots");
		kmm_printk(m, "Faking node %d at [mem 0x%016llx-0x%016llx] (%lluMB)", nid,
			   (unsigned long long)start, (unsigned long long)end - 1,
			   (unsigned long long)((end - start) >> 20));
		b->node_start[nid] = (unsigned long)PFN_DOWN(start);
		b->node_end[nid] = (unsigned long)PFN_DOWN(end);
		start = end;
	}
	return 0;
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

static int alloc_node_data(struct boot *b)
{
	struct kmm_machine *m = b->m;

	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		m->node_data[nid] = calloc(1, sizeof(pg_data_t));
		if (!m->node_data[nid])
			return kmm_set_error(-ENOMEM, "boot: out of host memory for node data");
		m->node_data[nid]->node_id = nid;
		if (kmm_arch_is_32(m))
			continue;	/* i386 uses the static contig_page_data */
		/* x86_64 alloc_node_data(): a pg_data_t in the node's own memory. */
		uint64_t nd_size = 0x2b000, pa;

		pa = alloc_try_nid(m, nd_size, PAGE_SIZE, 0, nid, "NODE_DATA");
		if (!pa)
			return no_room(m, "NODE_DATA");
		kmm_printk(m, "NODE_DATA(%d) allocated [mem 0x%08llx-0x%08llx]", nid,
			   (unsigned long long)pa, (unsigned long long)(pa + nd_size - 1));
	}
	return 0;
}

/* ---- Zones ---- */

/* zone_sizes_init() + the arch_zone_{lowest,highest}_possible_pfn walk. */
static void arch_zone_limits(struct boot *b)
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
		pa = alloc_try_nid(m, bytes, kmm_arch_is_32(m) ? PAGE_SIZE : 2ULL << 20, 0,
				   kmm_arch_is_32(m) ? -1 : nid, "mem_map");
		if (!pa)
			return no_room(m, "the mem_map");
	}
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

/* setup_per_cpu_areas(): pcpu_embed_first_chunk, one group per node. */
static int setup_per_cpu_areas(struct kmm_machine *m)
{
	bool is32 = kmm_arch_is_32(m);
	unsigned long s = is32 ? 98304 : 225280, r = is32 ? 0 : 8192;
	unsigned long d = is32 ? 32768 : 28672, unit = s + r + d;

	kmm_printk(m, "setup_percpu: NR_CPUS:%d nr_cpumask_bits:%d nr_cpu_ids:%d nr_node_ids:%d",
		   m->layout.nr_cpus_config, m->nr_cpus, m->nr_cpus, m->nr_node_ids);
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		int cpus = 0;

		for (int c = 0; c < m->nr_cpus; c++)
			if (c % m->nr_node_ids == nid)
				cpus++;
		if (!cpus)
			continue;
		if (!alloc_try_nid(m, (uint64_t)cpus * unit, PAGE_SIZE, 0, is32 ? -1 : nid, "percpu"))
			return no_room(m, "the per-CPU areas");
	}
	kmm_printk(m, "percpu: Embedded %lu pages/cpu s%lu r%lu d%lu u%lu", unit >> PAGE_SHIFT, s, r,
		   d, unit);
	return 0;
}

/*
 * alloc_large_system_hash() for the dentry and inode hashes with HASH_EARLY:
 * one bucket per 2^scale bytes of lowmem, scaled down further on 64-bit
 * machines above 64 GiB, a power of two, at most 1/16 of memory.
 */
static int alloc_large_system_hash(struct boot *b, const char *name, unsigned long bucketsize,
				   int scale)
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
	if (!memblock_alloc_range(m, size, PAGE_SIZE, 0, -1, name))
		return no_room(m, name[0] == 'D' ? "the dentry hash table" : "the inode hash table");
	kmm_printk(m, "%s hash table entries: %lu (order: %d, %lu bytes, linear)", name,
		   1UL << log2qty, ilog2_ul(size) - PAGE_SHIFT, size);
	return 0;
}

/* swiotlb: 64 MiB of bounce buffers below 4 GiB when RAM reaches above it. */
static int swiotlb_init(struct kmm_machine *m)
{
	uint64_t size = 64ULL << 20, pa;

	if (kmm_arch_is_32(m) || m->max_pfn <= MAX_DMA32_PFN)
		return 0;
	pa = memblock_alloc_range(m, size, PAGE_SIZE, SZ_4G, -1, "swiotlb");
	if (!pa)
		return no_room(m, "the swiotlb bounce buffers");
	kmm_printk(m, "software IO TLB: mapped [mem 0x%016llx-0x%016llx] (64MB)",
		   (unsigned long long)pa, (unsigned long long)(pa + size - 1));
	return 0;
}

/* ---- Struct pages and handing memory to the buddy allocator ---- */

void init_single_page(struct kmm_machine *m, struct page *page, unsigned long pfn,
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

static void init_section(struct kmm_machine *m, unsigned long section)
{
	unsigned long start = section << SECTION_SHIFT, pfn = start;

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
		for (; pfn < end; pfn++)
			init_single_page(m, pfn_to_page_m(m, pfn), pfn,
					 zone ? zone->type : ZONE_NORMAL, zone ? zone->node : 0);
	}
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

/* Free the free ranges of a mixed (initialised) section, split at zone ends. */
static void free_section_ranges(struct kmm_machine *m, unsigned long section)
{
	uint64_t pos = (uint64_t)section * SECTION_BYTES, limit = pos + SECTION_BYTES, s, e;

	while (memblock_next_free_range(m, pos, limit, &s, &e)) {
		unsigned long pfn = (unsigned long)PFN_DOWN(s), end = (unsigned long)PFN_DOWN(e);

		while (pfn < end) {
			struct zone *zone = zone_of_pfn(m, pfn);
			unsigned long stop = zone ? KMM_MIN(end, zone_end_pfn(zone)) : end;

			if (zone)
				free_pages_range(m, pfn, stop);
			pfn = stop;
		}
		pos = e;
	}
}

/*
 * memblock_free_all(), section by section. A section is
 *   without RAM                      -> SECTION_ABSENT;
 *   all RAM, all reserved, one zone  -> SECTION_RESERVED, untouched;
 *   all RAM, all free, one zone      -> handed over in the second pass;
 *   anything else (mixed)            -> every struct page initialised (holes
 *     and reservations stay PG_reserved), its free ranges handed over with
 *     the largest aligned orders, in ascending pfn order.
 * The second pass gives the wholly free sections, in ascending order, to
 * zone_add_deferred_section() untouched - or, with deferred_struct_pages=off,
 * initialises them and frees them like the others. Either way their blocks
 * come after every block of the first pass, as Linux's deferred init frees
 * them after memblock_free_all(); so both settings build the same free lists
 * (the buddy allocator puts a deferred section's blocks at the list tail).
 */
static void memblock_free_all(struct boot *b)
{
	struct kmm_machine *m = b->m;

	/* reset_all_zones_managed_pages() */
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			atomic_store(&m->node_data[nid]->node_zones[z].managed_pages, 0);

	for (unsigned long sec = 0; sec < m->nr_sections; sec++) {
		uint64_t s = (uint64_t)sec * SECTION_BYTES, e = s + SECTION_BYTES;
		uint64_t ram = memblock_overlap(&m->memblock.memory, s, e), free_bytes;
		unsigned long pfn = sec << SECTION_SHIFT;
		struct zone *zone;

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
		init_section(m, sec);
		free_section_ranges(m, sec);
	}

	for (unsigned long sec = 0; sec < m->nr_sections; sec++) {
		unsigned long pfn = sec << SECTION_SHIFT;

		if (m->section_state[sec] != SECTION_DEFERRED)
			continue;
		if (m->opts.eager_memmap) {
			init_section(m, sec);
			free_section_ranges(m, sec);
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
static void update_totals(struct boot *b)
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
 * over the memory ranges, counting the holes between them (and up to the end
 * of the last section) that lie in sections with memory.
 */
static unsigned long present_section_pages(const struct kmm_machine *m, unsigned long s,
					   unsigned long e)
{
	unsigned long n = 0;

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
	end_pfn = ALIGN_UP(end_pfn, PAGES_PER_SECTION);
	if (hole < end_pfn) {
		unsigned long n = present_section_pages(m, hole, end_pfn);

		if (n)
			kmm_printk(m, "On node %d, zone %s: %lu pages in unavailable ranges", nid,
				   zone_names[zone_id], n);
	}
}

/* mem_init_print_info(). */
static void mem_init_print_info(struct kmm_machine *m)
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

/* free_initmem(): the .init section goes to the buddy allocator at the end of boot. */
static void free_initmem(struct boot *b)
{
	struct kmm_machine *m = b->m;
	unsigned long start = (unsigned long)PFN_DOWN(b->init_start);
	unsigned long end = (unsigned long)PFN_DOWN(b->init_start + b->init_size);

	memblock_phys_free(m, b->init_start, b->init_size);
	free_pages_range(m, start, end);
	update_totals(b);
	kmm_printk(m, "Freeing unused kernel image (initmem) memory: %luK",
		   (end - start) << (PAGE_SHIFT - 10));
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

/* ==================================================================== */
/* ---- kmm_boot / kmm_shutdown ---- */

static void machine_teardown(struct kmm_machine *m)
{
	for (int i = m->nr_layers - 1; i >= 0; i--)
		if (m->layers[i].shutdown)
			m->layers[i].shutdown(m);
	m->nr_layers = 0;
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		pg_data_t *pgdat = m->node_data[nid];

		if (!pgdat)
			continue;
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			if (zone->per_cpu_pageset)
				zone_free_pcp(zone);
			/* Sections still deferred at shutdown: their records. */
			if (zone->deferred_sections.next) {
				while (!list_empty(&zone->deferred_sections)) {
					struct deferred_section *ds = list_first_entry(
						&zone->deferred_sections, struct deferred_section, list);

					list_del(&ds->list);
					free(ds);
				}
			}
			free(zone->pageblock_mt);
			zone->pageblock_mt = NULL;
		}
		free(pgdat);
		m->node_data[nid] = NULL;
	}
	if (m->vmemmap)
		sim_release(m->vmemmap, m->vmemmap_bytes);
	m->vmemmap = NULL;
	free(m->section_state);
	m->section_state = NULL;
	sim_ram_destroy(&m->ram);
	kmm_machine_free(m);
}

static int alloc_cpus(struct kmm_machine *m)
{
	size_t bytes = ALIGN_UP(sizeof(struct kmm_cpu) * (size_t)m->nr_cpus, (size_t)64);

	m->cpus = aligned_alloc(64, bytes);
	if (!m->cpus)
		return kmm_set_error(-ENOMEM, "boot: out of host memory for CPU slots");
	memset(m->cpus, 0, bytes);
	return 0;
}

static void set_sysctl_defaults(struct kmm_machine *m)
{
	static const int ratio[MAX_NR_ZONES] = { 256, 256, 32, 0, 0 };

	m->min_free_kbytes = 0;		/* init_per_zone_wmark_min() computes it */
	m->user_min_free_kbytes = -1;
	m->watermark_scale_factor = 10;
	m->watermark_boost_factor = 15000;
	memcpy(m->lowmem_reserve_ratio, ratio, sizeof(ratio));
	m->percpu_pagelist_high_fraction = 0;
}

static void set_arch_params(struct kmm_machine *m)
{
	bool is32 = kmm_arch_is_32(m);

	m->pageblock_order = m->opts.arch == KMM_ARCH_I386 ? 10 : 9;
	m->pageblock_nr_pages = 1UL << m->pageblock_order;
	m->struct_page_size = is32 ? 32 : 64;
	m->zone_types_mask = is32 ? (1u << ZONE_DMA) | (1u << ZONE_NORMAL) | (1u << ZONE_HIGHMEM) |
					    (1u << ZONE_MOVABLE)
				  : (1u << ZONE_DMA) | (1u << ZONE_DMA32) | (1u << ZONE_NORMAL) |
					    (1u << ZONE_MOVABLE);
	kernel_image_of(m->opts.arch, &m->kimage);
	if (is32)
		setup_layout_i386(m);
	else
		setup_layout_x86_64(m);
}

/* setup_arch() up to paging_init(): everything memblock and the zones need. */
static int setup_arch(struct boot *b)
{
	struct kmm_machine *m = b->m;
	const struct kmm_kernel_image *k = &m->kimage;
	int err;

	print_banner(m);
	err = setup_memory_map(m);
	if (err)
		return err;
	find_max_pfn(m);
	if (kmm_arch_is_32(m)) {
		err = find_low_pfn_range(m);
		if (err)
			return err;
	} else {
		m->max_low_pfn = m->max_pfn;	/* init_mem_mapping() on x86_64 */
		m->layout.high_memory = m->layout.page_offset + PFN_PHYS(m->max_pfn);
	}
	m->min_low_pfn = (unsigned long)PFN_UP(kernel_image_end(k));
	err = memblock_setup(m);
	if (err)
		return err;
	m->memblock.current_limit = PFN_PHYS(m->max_low_pfn);
	if (kernel_image_end(k) > PFN_PHYS(m->max_low_pfn) ||
	    memblock_overlap(&m->memblock.memory, k->phys_start, kernel_image_end(k)) !=
		    kernel_image_end(k) - k->phys_start)
		return kmm_set_error(-EINVAL, "boot: the kernel image at [mem %#llx-%#llx] is not "
				     "in RAM", (unsigned long long)k->phys_start,
				     (unsigned long long)kernel_image_end(k) - 1);
	b->init_start = k->phys_start + k->text + k->rodata + k->data;
	b->init_size = k->init;
	if (kmm_arch_is_32(m))
		initmem_init_32(m);
	err = setup_nodes(b);
	if (err)
		return err;
	err = alloc_node_data(b);	/* first, so NODE_DATA tops the node as on Linux */
	if (err)
		return err;
	err = alloc_kernel_page_tables(m);
	if (err)
		return err;

	/* paging_init() -> zone_sizes_init() -> free_area_init() */
	m->nr_sections = DIV_ROUND_UP(m->max_pfn, PAGES_PER_SECTION);
	arch_zone_limits(b);
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

/* The host side of struct pages, RAM, CPU slots and zone lists. */
static int setup_host_memory(struct boot *b)
{
	struct kmm_machine *m = b->m;
	int err;

	m->vmemmap_bytes = (size_t)m->nr_sections * PAGES_PER_SECTION * sizeof(struct page);
	m->vmemmap = sim_reserve(m->vmemmap_bytes, true);
	m->section_state = calloc(m->nr_sections, 1);
	if (!m->vmemmap || !m->section_state)
		return kmm_set_error(-ENOMEM, "boot: out of host address space for %lu struct pages",
				     m->nr_sections * PAGES_PER_SECTION);
	err = sim_ram_create(&m->ram, PFN_PHYS(m->max_pfn), PFN_PHYS(m->max_low_pfn),
			     m->opts.ram_anon);
	if (err)
		return kmm_set_error(err, "boot: the host refused %lluM of RAM backing",
				     (unsigned long long)(PFN_PHYS(m->max_pfn) >> 20));
	err = alloc_pageblock_arrays(m);
	if (err)
		return err;
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			err = zone_init_free_lists(&m->node_data[nid]->node_zones[z]);
			if (err)
				return kmm_set_error(err, "boot: zone_init_free_lists failed");
		}
	return 0;
}

/* start_kernel() after setup_arch(), up to the page allocator being ready. */
static int start_kernel(struct boot *b)
{
	struct kmm_machine *m = b->m;
	int err;

	err = setup_per_cpu_areas(m);
	if (err)
		return err;
	kmm_printk(m, "Kernel command line: %s", m->cmdline);
	if (m->nr_node_ids == 1) {
		/* vfs_caches_init_early(): only without hashdist (one node). */
		err = alloc_large_system_hash(b, "Dentry cache", kmm_arch_is_32(m) ? 4 : 8, 13);
		if (!err)
			err = alloc_large_system_hash(b, "Inode-cache", kmm_arch_is_32(m) ? 4 : 8, 14);
		if (err)
			return err;
	}
	err = setup_host_memory(b);
	if (err)
		return err;

	/* mm_core_init() */
	build_all_zonelists(m);
	kmm_printk(m, "mem auto-init: stack:off, heap alloc:off, heap free:off");
	err = swiotlb_init(m);
	if (err)
		return err;
	memblock_free_all(b);
	update_totals(b);
	mem_init_print_info(m);
	init_per_zone_wmark_min(m);
	zone_pcp_update_all(m);
	return 0;
}

static int init_layers(struct kmm_machine *m)
{
	static const struct kmm_layer boot_layer = { .name = "boot", .check = mm_init_check };
	int err = kmm_register_layer(m, &boot_layer);

	for (const struct layer_init *l = layer_inits; !err && l->name; l++) {
		kmm_set_error(0, "%s", "");
		err = l->init(m);
		if (err && !kmm_last_error()[0])
			kmm_set_error(err, "%s: initialisation failed (%d)", l->name, err);
	}
	return err;
}

struct kmm_machine *kmm_boot(const char *cmdline)
{
	struct kmm_boot_opts opts;
	struct kmm_machine *m, *prev;
	struct boot b;
	int err;

	if (kmm_parse_cmdline(cmdline, &opts))
		return NULL;
	m = kmm_machine_alloc();
	if (!m) {
		kmm_set_error(-ENOMEM, "boot: too many machines (at most %d at once)",
			      KMM_MAX_MACHINES);
		return NULL;
	}
	m->ram.fd = -1;
	snprintf(m->cmdline, sizeof(m->cmdline), "%s", cmdline ? cmdline : "");
	m->opts = opts;
	m->nr_cpus = opts.maxcpus;
	set_sysctl_defaults(m);
	set_arch_params(m);
	memset(&b, 0, sizeof(b));
	b.m = m;

	prev = kmm_use(m);
	err = alloc_cpus(m);
	if (!err)
		err = setup_arch(&b);
	if (!err)
		err = start_kernel(&b);
	if (!err)
		err = init_layers(m);
	if (!err) {
		free_initmem(&b);
		/* Boot leaves no pages on per-CPU lists: the free count is exact. */
		drain_all_pages(m, NULL);
	}
	if (err) {
		machine_teardown(m);	/* layers shut down with @m still current */
		m = NULL;
	}
	kmm_use(prev);
	return m;
}

void kmm_shutdown(struct kmm_machine *m)
{
	struct kmm_machine *prev;

	if (!m)
		return;
	/* Layers' shutdown hooks may use kernel-style calls on the current machine. */
	prev = kmm_use(m);
	machine_teardown(m);
	kmm_use(prev == m ? NULL : prev);
}
