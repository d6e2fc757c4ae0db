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
#include "mm/include/kconfig.h"

/* ---- Early arch setup: e820, max_pfn, lowmem ---- */

static void print_banner(struct kmm_machine *m)
{
	kmm_printk(m, "Linux version 6.12.0-kmm (kmm@localhost) (kmm: Linux memory management "
		      "in C11, arch %s) #1 SMP PREEMPT_DYNAMIC", kmm_arch_name(m->opts.arch));
	/* x86_64's setup_arch prints the command line first; i386's does not. */
	if (!kmm_arch_is_32(m))
		kmm_printk(m, "Command line: %s", m->cmdline);
}

/*
 * A rebuild of the map that found no host memory for its scratch table fails
 * the boot; one with more pieces than the map holds (-ENOSPC) leaves the map
 * as it was, as it always did, except for memmap= (its own message).
 */
static int e820_oom(int err)
{
	return err == -ENOMEM ? kmm_set_error(err, "boot: out of host memory for the e820 map") : 0;
}

/*
 * e820__memory_setup(), then the early parameters that edit the map (mem=,
 * memmap=) and e820__finish_early_params(): when the user changed it, the
 * "user-defined physical RAM map:" follows.
 */
static int setup_memory_map(struct kmm_machine *m)
{
	int err;

	if ((err = e820_oom(e820_setup_firmware(m))))
		return err;
	kmm_printk(m, "BIOS-provided physical RAM map:");
	e820__print_table(m, "BIOS-e820");
	if (m->opts.mem_limit && (err = e820_oom(e820_apply_mem_limit(m))))	/* parse_memopt() */
		return err;
	if (m->opts.nr_memmap && (err = e820_apply_memmap(m)))
		return err == -ENOMEM ? e820_oom(err)
				      : kmm_set_error(-ENOSPC, "memmap=: too many e820 entries");
	if (m->opts.mem_limit || m->opts.nr_memmap) {
		kmm_printk(m, "user-defined physical RAM map:");
		e820__print_table(m, "user");
	}
	return e820_oom(trim_bios_range(m));
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

/*
 * Where QEMU's Linux loader puts an initrd (hw/i386/x86.c): as high as it
 * may below the RAM under 4 GiB less the 128 KiB it keeps for the ACPI
 * tables, and below the kernel's initrd_addr_max (2 GiB for i386 kernels;
 * x86_64 ones say they can be loaded anywhere), page aligned.
 */
static uint64_t initrd_load_address(const struct kmm_machine *m)
{
	uint64_t below_4g = KMM_MIN(m->opts.mem, 3ULL << 30);
	uint64_t max = kmm_arch_is_32(m) ? 0x7fffffffULL : 0xffffffffULL;

	if (!m->opts.initrd_size)
		return 0;
	max = KMM_MIN(max, below_4g - 0x20000 - 1);
	return ALIGN_DOWN(max - m->opts.initrd_size, (uint64_t)PAGE_SIZE);
}

/* ---- memblock: memory, the first reservations, page tables ---- */

static int memblock_setup(struct kmm_machine *m)
{
	const struct kmm_image_layout *img = &m->kconfig->image;
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
	/*
	 * early_reserve_memory(): [_text, __end_of_kernel_reserve), then
	 * reserve_brk() the part of the brk area the early boot used. kmm
	 * records each section's owner.
	 */
	err |= memblock_reserve(m, img->text, img->rodata - img->text, "kernel code");
	err |= memblock_reserve(m, img->rodata, img->sdata - img->rodata, "kernel rodata");
	err |= memblock_reserve(m, img->sdata, img->init - img->sdata, "kernel data");
	err |= memblock_reserve(m, img->init, img->init_end - img->init, "kernel init");
	err |= memblock_reserve(m, img->init_end, img->bss - img->init_end, "kernel smp_locks");
	err |= memblock_reserve(m, img->bss, img->bss_end - img->bss, "kernel bss");
	err |= memblock_reserve(m, img->bss_end, img->reserve_end - img->bss_end, "kernel brk");
	if (err)
		return kmm_set_error(-ENOSPC, "memblock: out of region slots");
	return 0;
}

/*
 * reserve_initrd(): an initramfs the boot loader left where the kernel's
 * direct map does not reach (above lowmem on i386, above mem=) moves down,
 * top-down below the mapped memory ("Allocated new RAMDISK", "Move
 * RAMDISK"); memblock keeps it reserved until free_initrd_mem().
 */
static int reserve_initrd(struct boot *b)
{
	struct kmm_machine *m = b->m;
	uint64_t size = m->opts.initrd_size, area = ALIGN_UP(size, (uint64_t)PAGE_SIZE);
	uint64_t start = b->initrd_loaded, mapped = PFN_PHYS(m->max_low_pfn), pa;

	if (!size)
		return 0;
	kmm_printk(m, "RAMDISK: [mem %#010llx-%#010llx]", (unsigned long long)start,
		   (unsigned long long)(start + area - 1));
	if (start + area <= mapped &&
	    memblock_overlap(&m->memblock.memory, start, start + area) == area) {
		pa = start;
		if (memblock_reserve(m, pa, area, "initrd"))
			return kmm_set_error(-ENOSPC, "memblock: out of region slots");
	} else {
		pa = memblock_alloc_range(m, area, PAGE_SIZE, mapped, -1, "initrd");
		if (!pa)
			return boot_no_room(m, "the initrd");
		kmm_printk(m, "Allocated new RAMDISK: [mem %#010llx-%#010llx]",
			   (unsigned long long)pa, (unsigned long long)(pa + size - 1));
		kmm_printk(m, "Move RAMDISK from [mem %#010llx-%#010llx] to [mem %#010llx-%#010llx]",
			   (unsigned long long)start, (unsigned long long)(start + size - 1),
			   (unsigned long long)pa, (unsigned long long)(pa + size - 1));
	}
	b->initrd_start = pa;
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
	if (m->kconfig->zone_device)	/* CONFIG_ZONE_DEVICE: an always empty Device zone */
		m->zone_types_mask |= 1u << ZONE_DEVICE;
	kernel_image_of(m->kconfig, &m->kimage);
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
	b->initrd_loaded = initrd_load_address(m);
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
	b->init_start = m->kconfig->image.init;
	b->init_size = m->kconfig->image.init_end - m->kconfig->image.init;
	/*
	 * x86_64's init_mem_mapping() takes the direct map's tables before the
	 * initrd moves; i386's come later, from paging_init() (the pkmap and
	 * fixmap tables), so a moved initrd tops lowmem there.
	 */
	if (!kmm_arch_is_32(m)) {
		err = init_mem_mapping(m, smp_alternatives_freed(m));
		if (!err)
			err = alloc_kernel_page_tables(m);
	}
	if (!err)
		err = reserve_initrd(b);
	if (!err && kmm_arch_is_32(m)) {
		initmem_init(m);
		err = alloc_kernel_page_tables(m);
	}
	if (err)
		return err;
	err = setup_nodes(b);
	if (err)
		return err;
	err = alloc_node_data(b);	/* first, so NODE_DATA tops the node as on Linux */
	if (err)
		return err;

	/* paging_init() -> zone_sizes_init() -> free_area_init() */
	m->nr_sections = DIV_ROUND_UP(m->max_pfn, PAGES_PER_SECTION);
	arch_zone_limits(b);
	return free_area_init(b);
}

/* The possible CPUs of node @nid: x86_64 deals CPU c to node c % nodes (numa_init_array). */
static int cpus_of_node(const struct kmm_machine *m, int nid)
{
	int n = 0;

	for (int c = 0; c < m->nr_cpu_ids; c++)
		if (c % m->nr_node_ids == nid)
			n++;
	return n;
}

/*
 * pcpu_build_alloc_info(): the unit size and how many units share one
 * allocation (upa). Units are at least the first chunk's size and 32 KiB,
 * allocations are whole atoms (a PMD on x86_64, a page on i386); each group
 * (the CPUs of one node) gets whole allocations, and the most units per
 * allocation win that waste at most a third of a unit per possible CPU.
 */
static unsigned long pcpu_unit_size(struct kmm_machine *m, unsigned long size_sum,
				    unsigned long atom, int *upa_out)
{
	unsigned long min_unit = KMM_MAX(size_sum, 32768UL);
	unsigned long alloc = ALIGN_UP(min_unit, atom);
	int upa = (int)(alloc / min_unit), best = 0, last_allocs = 1 << 30;

	while (alloc % (unsigned long)upa || ((alloc / (unsigned long)upa) & (PAGE_SIZE - 1)))
		upa--;
	for (; upa; upa--) {
		int allocs = 0, wasted = 0;

		if (alloc % (unsigned long)upa || ((alloc / (unsigned long)upa) & (PAGE_SIZE - 1)))
			continue;
		for (int nid = 0; nid < m->nr_node_ids; nid++) {
			int cnt = cpus_of_node(m, nid), this_allocs = (cnt + upa - 1) / upa;

			allocs += this_allocs;
			wasted += this_allocs * upa - cnt;
		}
		if (wasted > m->nr_cpu_ids / 3)
			continue;
		if (allocs > last_allocs)
			break;
		last_allocs = allocs;
		best = upa;
	}
	*upa_out = best;
	return alloc / (unsigned long)best;
}

/*
 * setup_per_cpu_areas(): pcpu_embed_first_chunk for every possible CPU, one
 * group per node (x86_64 places CPU c on node c % nodes). Each group's units
 * come from memblock in whole atoms on its node; the tail of each unit beyond
 * the first chunk goes back to memblock at once, as pcpu_fc_free() does.
 */
int setup_per_cpu_areas(struct kmm_machine *m)
{
	const struct kmm_kconfig *c = m->kconfig;
	bool is32 = kmm_arch_is_32(m);
	unsigned long s = c->percpu_static, r = c->percpu_reserved;
	unsigned long size_sum = ALIGN_UP(s + r + c->percpu_dynamic, (unsigned long)PAGE_SIZE);
	unsigned long d = size_sum - s - r, atom = is32 ? PAGE_SIZE : 2UL << 20, unit;
	int upa, gw = m->nr_node_ids > 10 ? 2 : 1, cw = m->nr_cpu_ids > 10 ? 2 : 1;
	char line[256];
	size_t n = 0;

	kmm_printk(m, "setup_percpu: NR_CPUS:%d nr_cpumask_bits:%d nr_cpu_ids:%d nr_node_ids:%d",
		   m->layout.nr_cpus_config, m->nr_cpu_ids, m->nr_cpu_ids, m->nr_node_ids);
	unit = pcpu_unit_size(m, size_sum, atom, &upa);
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		int cpus = cpus_of_node(m, nid), units = (cpus + upa - 1) / upa * upa;
		uint64_t pa;

		if (!cpus)
			continue;
		pa = memblock_alloc_try_nid(m, (uint64_t)units * unit, atom, 0, is32 ? -1 : nid,
					    "percpu");
		if (!pa)
			return boot_no_room(m, "the per-CPU areas");
		for (int u = 0; u < units; u++) {
			uint64_t at = pa + (uint64_t)u * unit;

			if (u < cpus)
				memblock_phys_free(m, at + size_sum, unit - size_sum);
			else
				memblock_phys_free(m, at, unit);	/* no CPU: the whole unit */
		}
	}
	/* The first chunk's maps and the other small early allocations (kconfig.h). */
	if (c->early_alloc_pages &&
	    !memblock_alloc_range(m, PFN_PHYS(c->early_alloc_pages), PAGE_SIZE, 0, -1,
				  "early allocations"))
		return boot_no_room(m, "the early allocations");
	kmm_printk(m, "percpu: Embedded %lu pages/cpu s%lu r%lu d%lu u%lu", size_sum >> PAGE_SHIFT,
		   s, r, d, unit);
	kmm_printk(m, "pcpu-alloc: s%lu r%lu d%lu u%lu alloc=%lu*%lu", s, r, d, unit,
		   unit * (unsigned long)upa / atom, atom);
	/* pcpu_dump_alloc_info(): "[group] cpu cpu ..." per allocation. */
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		int cpus = cpus_of_node(m, nid), units = (cpus + upa - 1) / upa * upa, u = 0;

		for (int a = 0; a < units / upa; a++) {
			n += (size_t)snprintf(line + n, sizeof(line) - n, "[%0*d] ", gw, nid);
			for (int k = 0; k < upa; k++, u++) {
				if (u < cpus)
					n += (size_t)snprintf(line + n, sizeof(line) - n, "%0*d ", cw,
							      nid + u * m->nr_node_ids);
				else
					n += (size_t)snprintf(line + n, sizeof(line) - n, "%.*s ", cw,
							      "--");
			}
			if (n > sizeof(line) - 16) {
				kmm_printk(m, "pcpu-alloc: %s", line);
				n = 0;
			}
		}
	}
	if (n)
		kmm_printk(m, "pcpu-alloc: %s", line);
	return 0;
}

/*
 * swiotlb_init() (kernel/dma/swiotlb.c), which x86's pci_iommu_alloc() runs
 * when RAM reaches above 4 GiB (pci_swiotlb_detect: max_possible_pfn >
 * MAX_DMA32_PFN), PAE included: 64 MiB of bounce buffers from low memory
 * (below 4 GiB, and below lowmem on i386), one area per possible CPU rounded
 * to a power of two, and the slot array beside them. "mapped [mem ...]" is
 * printed later, by pci_iommu_init() (swiotlb_print_info()).
 */
int swiotlb_init(struct boot *b)
{
	struct kmm_machine *m = b->m;
	uint64_t size = 64ULL << 20, pa, nslabs = size >> 11;
	uint64_t slot = kmm_arch_is_32(m) ? 16 : 24;	/* sizeof(struct io_tlb_slot) */
	int nareas = 1;

	if (m->max_pfn <= MAX_DMA32_PFN)
		return 0;
	while (nareas < m->nr_cpu_ids)
		nareas <<= 1;
	if (nareas > 1)
		kmm_printk(m, "software IO TLB: area num %d.", nareas);
	pa = memblock_alloc_range(m, size, PAGE_SIZE, SZ_4G, -1, "swiotlb");
	if (!pa)
		return boot_no_room(m, "the swiotlb bounce buffers");
	/* (The area array, 16 bytes an area, shares a page with other small allocations.) */
	if (!memblock_alloc_range(m, nslabs * slot, PAGE_SIZE, 0, -1, "swiotlb slots"))
		return boot_no_room(m, "the swiotlb slots");
	b->swiotlb_start = pa;
	b->swiotlb_end = pa + size;
	return 0;
}

/* swiotlb_print_info(), from pci_iommu_init(): the bounce buffers, end exclusive. */
void swiotlb_print_info(struct boot *b)
{
	struct kmm_machine *m = b->m;

	if (!b->swiotlb_end)
		return;
	kmm_printk(m, "PCI-DMA: Using software bounce buffering for IO (SWIOTLB)");
	kmm_printk(m, "software IO TLB: mapped [mem 0x%016llx-0x%016llx] (%lluMB)",
		   (unsigned long long)b->swiotlb_start, (unsigned long long)b->swiotlb_end,
		   (unsigned long long)((b->swiotlb_end - b->swiotlb_start) >> 20));
}

/* ---- The kernel image and the arch's name ---- */

/**
 * kernel_image_of() - the kernel image of the build @c.
 * @c: the build (mm/include/kconfig.h). @k: filled with the load address, the
 *	sizes the "Memory:" line prints, and the end of the image's reservation.
 */
void kernel_image_of(const struct kmm_kconfig *c, struct kmm_kernel_image *k)
{
	k->phys_start = c->image.text;
	k->text = (uint64_t)c->text_kb << 10;
	k->rodata = (uint64_t)c->rodata_kb << 10;
	k->data = (uint64_t)c->rwdata_kb << 10;
	k->init = (uint64_t)c->init_kb << 10;
	k->bss = (uint64_t)c->bss_kb << 10;
	k->end = c->image.reserve_end;
}

/** kernel_image_end() - physical address just past the image's reservation. */
uint64_t kernel_image_end(const struct kmm_kernel_image *k)
{
	if (k->end)
		return k->end;
	return k->phys_start + k->text + k->rodata + k->data + k->init + k->bss;
}

/** kmm_arch_name() - "x86_64", "i386" or "i386-pae". */
const char *kmm_arch_name(enum kmm_arch arch)
{
	return arch == KMM_ARCH_X86_64 ? "x86_64" : arch == KMM_ARCH_I386 ? "i386" : "i386-pae";
}
