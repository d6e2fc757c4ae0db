// SPDX-License-Identifier: MIT
/*
 * arch/x86/include/asm/layout.h - the three x86 flavours kmm boots (i386,
 * i386 with PAE, x86_64): the kernel virtual address layout, the simulated
 * kernel image, and the physical limits of the DMA zones.
 *
 * Linux counterpart: arch/x86/include/asm/page_32_types.h, page_64_types.h,
 * pgtable_32_areas.h, pgtable_64_types.h, fixmap.h, dma.h, sections.h (6.12).
 * The arithmetic that fills struct kmm_layout is in arch/x86/mm/init.c; the
 * kernel image sizes are in arch/x86/kernel/setup.c.
 *
 * Locking: both structures are filled at boot and immutable afterwards.
 */
#ifndef KMM_ASM_LAYOUT_H
#define KMM_ASM_LAYOUT_H

#include <stdint.h>

enum kmm_arch {
	KMM_ARCH_X86_64,
	KMM_ARCH_I386,
	KMM_ARCH_I386_PAE,
};

#define SZ_4G (1ULL << 32)
#define MAX_DMA_PFN (16UL << (20 - PAGE_SHIFT))		/* 16 MiB */
#define MAX_DMA32_PFN (1UL << (32 - PAGE_SHIFT))	/* 4 GiB */
#define KERNEL_PHYS_START (16ULL << 20)			/* CONFIG_PHYSICAL_START */
#define VMALLOC_OFFSET (8ULL << 20)
#define I386_PAGE_OFFSET 0xC0000000ULL
#define I386_FIXADDR_TOP 0xfffff000ULL
#define FAKE_NODE_MIN_SIZE (32ULL << 20)		/* numa=fake node granularity */
/* (PAGE_SHIFT comes from mm/include/mmzone.h.) */

/* ---- The kernel virtual address layout ---- */

/* Page-table levels of a mapping (Linux's enum pg_level, from 4k up). */
enum pg_level { PG_LEVEL_4K, PG_LEVEL_2M, PG_LEVEL_1G, PG_LEVEL_NUM };

struct kmm_layout {
	uint64_t page_offset;		/* start of the direct map */
	uint64_t task_size;		/* end of user space */
	uint64_t vmalloc_start, vmalloc_end;
	uint64_t pkmap_base;		/* i386: permanent kmaps; 0 on x86_64 */
	uint64_t fixaddr_start, fixaddr_top;
	uint64_t vmemmap_base;		/* x86_64 */
	uint64_t kernel_text;		/* virtual address of _text */
	uint64_t high_memory;		/* virtual end of lowmem */
	int pgtable_levels;		/* 2 (i386), 3 (PAE), 4 (x86_64) */
	int last_pkmap;			/* 1024, 512 with PAE, 0 on x86_64 */
	uint64_t cpu_entry_area;	/* i386: CPU_ENTRY_AREA_BASE (0 on x86_64) */
	uint64_t cpu_entry_area_size;	/* i386: CPU_ENTRY_AREA_MAP_SIZE in bytes */
	uint64_t vmalloc_reserve;	/* i386: __VMALLOC_RESERVE in bytes */
	int nr_cpus_config;		/* NR_CPUS the layout was sized for */
	/*
	 * x86_64: the direct map's 4k, 2M and 1G mappings as Linux counts them
	 * (direct_pages_count[], arch/x86/mm/init_64.c). Set at boot; memory
	 * hot-add changes them with atomic RMWs under its lock
	 * (mm/memory_hotplug.c); /proc/meminfo reads them with READ_ONCE.
	 */
	unsigned long direct_pages_count[PG_LEVEL_NUM];
};

/*
 * The (simulated) kernel image: where it sits, the section sizes the
 * "Memory:" line prints (bytes), and where memblock's reservation of it ends.
 * Where each section lies is the build's (mm/include/kconfig.h).
 */
struct kmm_kernel_image {
	uint64_t phys_start;		/* _text physical (16 MiB: CONFIG_PHYSICAL_START) */
	uint64_t text, rodata, data, init, bss;
	uint64_t end;			/* end of the image's reservation (brk included); 0: the sum */
};

struct kmm_kconfig;

/* ---- arch/x86/kernel/setup.c ---- */

/** kernel_image_of() - the kernel image of the build @c (sizes, load address, end). */
void kernel_image_of(const struct kmm_kconfig *c, struct kmm_kernel_image *k);
/** kernel_image_end() - physical address just past the image's reservation. */
uint64_t kernel_image_end(const struct kmm_kernel_image *k);
/** kmm_arch_name() - "x86_64", "i386" or "i386-pae". */
const char *kmm_arch_name(enum kmm_arch arch);

#endif /* KMM_ASM_LAYOUT_H */
