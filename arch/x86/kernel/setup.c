// SPDX-License-Identifier: MIT
/*
 * arch/x86/kernel/setup.c - setup_arch(): the banner, the firmware map,
 * max_pfn, the first memblock reservations, and the order of the arch's
 * boot steps up to the zones; the arch's parameters and kernel image; the
 * per-CPU areas and the swiotlb bounce buffers.
 *
 * Linux counterpart: arch/x86/kernel/setup.c (setup_arch), e820.c
 * (e820__memory_setup, e820__end_of_ram_pfn), setup_percpu.c
 * (setup_per_cpu_areas), pci-dma.c (pci_iommu_alloc -> swiotlb_init),
 * arch/x86/include/asm/sections.h (the image). Kept: the order of
 * setup_arch's steps and their dmesg lines word for word (the e820 map,
 * "last_pfn", the percpu and swiotlb lines); the whole first MiB reserved
 * (x86 since 5.13). Simplified: no ACPI, no initrd; the kernel image is five
 * contiguous page-aligned sections of a fixed plausible size per arch.
 *
 * Locking: boot runs on one thread on an unpublished machine (init/main.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/include/asm/e820.h"
#include "arch/x86/include/asm/layout.h"
#include "mm/include/memblock.h"
#include "mm/include/boot.h"

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
	e820__print_table(m, "BIOS-e820");
	if (m->opts.nr_memmap) {
		if (e820_apply_memmap(m))
			return kmm_set_error(-ENOSPC, "memmap=: too many e820 entries");
		kmm_printk(m, "user-defined physical RAM map:");
		e820__print_table(m, "user");
	}
	trim_bios_range(m);
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
	/*
	 * A HIGHMEM4G kernel on a board with RAM above 4 GiB: last_pfn is
	 * already clamped above, so 6.12's highmem_pfn_init() check stays
	 * silent and the RAM above 4 GiB is simply not used.
	 */
	if (!kmm_arch_is_32(m) && m->max_pfn > MAX_DMA32_PFN) {
		unsigned long low = e820_end_pfn(m, MAX_DMA32_PFN);

		kmm_printk(m, "last_pfn = %#lx max_arch_pfn = %#lx", low, max_arch_pfn);
	}
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

void arch_setup_params(struct kmm_machine *m)
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
int setup_arch(struct boot *b)
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
		initmem_init(m);
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
	return free_area_init(b);
}

/* setup_per_cpu_areas(): pcpu_embed_first_chunk, one group per node. */
int setup_per_cpu_areas(struct kmm_machine *m)
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
		if (!memblock_alloc_try_nid(m, (uint64_t)cpus * unit, PAGE_SIZE, 0, is32 ? -1 : nid, "percpu"))
			return boot_no_room(m, "the per-CPU areas");
	}
	kmm_printk(m, "percpu: Embedded %lu pages/cpu s%lu r%lu d%lu u%lu", unit >> PAGE_SHIFT, s, r,
		   d, unit);
	return 0;
}

/* swiotlb: 64 MiB of bounce buffers below 4 GiB when RAM reaches above it. */
int swiotlb_init(struct kmm_machine *m)
{
	uint64_t size = 64ULL << 20, pa;

	if (kmm_arch_is_32(m) || m->max_pfn <= MAX_DMA32_PFN)
		return 0;
	pa = memblock_alloc_range(m, size, PAGE_SIZE, SZ_4G, -1, "swiotlb");
	if (!pa)
		return boot_no_room(m, "the swiotlb bounce buffers");
	kmm_printk(m, "software IO TLB: mapped [mem 0x%016llx-0x%016llx] (64MB)",
		   (unsigned long long)pa, (unsigned long long)(pa + size - 1));
	return 0;
}

/* ---- The kernel image and the arch's name ---- */

/**
 * kernel_image_of() - the simulated kernel image of @arch.
 * @arch: the arch. @k: filled with the load address and the sizes of text,
 *	rodata, data, init and bss in bytes (plausible 6.12 defconfig figures).
 */
void kernel_image_of(enum kmm_arch arch, struct kmm_kernel_image *k)
{
	k->phys_start = KERNEL_PHYS_START;
	switch (arch) {
	default:
	case KMM_ARCH_X86_64:
		k->text = 16384 * SZ_1K;
		k->rodata = 5480 * SZ_1K;
		k->data = 2848 * SZ_1K;
		k->init = 2912 * SZ_1K;
		k->bss = 3516 * SZ_1K;
		break;
	case KMM_ARCH_I386:
		k->text = 9380 * SZ_1K;
		k->rodata = 3096 * SZ_1K;
		k->data = 1036 * SZ_1K;
		k->init = 1096 * SZ_1K;
		k->bss = 1472 * SZ_1K;
		break;
	case KMM_ARCH_I386_PAE:
		k->text = 9412 * SZ_1K;
		k->rodata = 3104 * SZ_1K;
		k->data = 1040 * SZ_1K;
		k->init = 1104 * SZ_1K;
		k->bss = 1480 * SZ_1K;
		break;
	}
}

/** kernel_image_end() - physical address just past @k's .bss. */
uint64_t kernel_image_end(const struct kmm_kernel_image *k)
{
	return k->phys_start + k->text + k->rodata + k->data + k->init + k->bss;
}

/** kmm_arch_name() - "x86_64", "i386" or "i386-pae". */
const char *kmm_arch_name(enum kmm_arch arch)
{
	return arch == KMM_ARCH_X86_64 ? "x86_64" : arch == KMM_ARCH_I386 ? "i386" : "i386-pae";
}
