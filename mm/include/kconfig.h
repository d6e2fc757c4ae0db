// SPDX-License-Identifier: MIT
/*
 * mm/include/kconfig.h - the kernel build a machine runs: its configuration
 * options (NR_CPUS, NUMA, THP, ZONE_DEVICE, CMA, ...) and the figures of that
 * build that move memory numbers (the kernel image's sections, the static
 * per-CPU area, sizeof(pg_data_t)). Chosen at boot with config= (init/kconfig.c).
 *
 * Linux counterpart: the .config a kernel was built from (include/generated/
 * autoconf.h) and what `size vmlinux` would say about the result. A real
 * kernel has exactly one; a kmm machine picks one of the profiles below, each
 * the build one of reference/real-linux/'s captures ran (or, for x86_64's
 * defconfig, an estimate; the profile says which).
 *
 * Locking: profiles are immutable; a machine points at its profile from
 * boot to shutdown.
 */
#ifndef KMM_MM_INCLUDE_KCONFIG_H
#define KMM_MM_INCLUDE_KCONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/include/asm/layout.h"

/*
 * The kernel image in physical memory, as its linker script lays it out
 * (arch/x86/kernel/vmlinux.lds.S): every field a physical address, ends
 * exclusive. /proc/iomem shows [text, etext) as "Kernel code", [rodata,
 * rodata_end) "Kernel rodata", [sdata, edata) "Kernel data", [bss, bss_end)
 * "Kernel bss". memblock reserves [text, reserve_end): the image, then the
 * part of the brk area the early boot used (its first page tables).
 */
struct kmm_image_layout {
	uint64_t text, stext, etext;
	uint64_t rodata, rodata_end;
	uint64_t sdata, edata;
	uint64_t init, init_end;		/* __init_begin, __init_end */
	uint64_t smp_locks, smp_locks_end;	/* freed once SMP alternatives are patched */
	uint64_t bss, bss_end;
	uint64_t reserve_end;			/* _brk_end: end of the memblock reservation */
	uint64_t decrypted, decrypted_end;	/* x86_64: unused .bss..decrypted, freed late */
	uint64_t gap, gap_end;			/* x86_64: the rodata/data gap, freed late */
};

struct kmm_kconfig {
	const char *name;		/* config=NAME */
	enum kmm_arch arch;		/* the arch this build is for */
	const char *about;		/* one line: what build this is */
	bool measured;			/* figures read from a boot of this very build */

	/* Options (CONFIG_*) that change what kmm shows or computes */
	int nr_cpus;			/* NR_CPUS */
	int nodes_shift;		/* NODES_SHIFT: 0 without NUMA */
	bool numa;			/* NUMA (and NUMA_EMU on x86_64): numa=fake=, numa_* counters */
	bool numa_balancing;		/* NUMA_BALANCING: pgpromote_*, numa_pte_updates... */
	bool thp;			/* TRANSPARENT_HUGEPAGE: THP counters, khugepaged's min_free_kbytes */
	bool thp_always;		/* TRANSPARENT_HUGEPAGE_ALWAYS (else MADVISE) */
	bool zone_device;		/* ZONE_DEVICE: an empty "Device" zone */
	bool cma;			/* CMA */
	bool zswap;			/* ZSWAP with ZSMALLOC */
	bool memory_failure;		/* MEMORY_FAILURE: HardwareCorrupted */
	bool memory_isolation;		/* MEMORY_ISOLATION: the Isolate migrate type */
	bool ksm;			/* KSM */
	bool balloon;			/* MEMORY_BALLOON with BALLOON_COMPACTION */
	bool unaccepted_memory;		/* UNACCEPTED_MEMORY */
	bool init_on_alloc;		/* INIT_ON_ALLOC_DEFAULT_ON */
	bool deferred_struct_pages;	/* DEFERRED_STRUCT_PAGE_INIT: "node N deferred pages..." */
	bool hpet_timer;		/* HPET_TIMER: the "HPET 0" resource in /proc/iomem */

	/* Figures of the build */
	struct kmm_image_layout image;
	/* Memory: line's section sizes in KiB, as Linux rounds them */
	unsigned long text_kb, rwdata_kb, rodata_kb, init_kb, bss_kb;
	unsigned long percpu_static, percpu_reserved, percpu_dynamic;	/* s, r, d bytes */
	unsigned long node_data_size;	/* sizeof(pg_data_t), x86_64's NODE_DATA */
	/*
	 * Small early memblock allocations kmm does not make one by one, in
	 * pages, calibrated on the captures (init/kconfig.c): what sparse_init()
	 * keeps beside the mem_map on the first node (usemaps, the mem_section
	 * root page, vmemmap's own page tables), and what follows the per-CPU
	 * first chunk top-down (its allocation maps, the mem_section root array,
	 * the CPU entry area's page tables).
	 */
	unsigned long section_alloc_pages, early_alloc_pages;
	/*
	 * The size of the kernel's own objects (slabinfo's <objsize>, Linux's
	 * s->size), read from the captures' /proc/slabinfo; a cache is created
	 * with the larger of this and kmm's own structure (docs/fidelity.md,
	 * "Kernel objects"). 0: not known, kmm's structure alone. anon_vma is
	 * the object itself (Linux's object_size): its cache is
	 * SLAB_TYPESAFE_BY_RCU with a constructor, so the free pointer sits
	 * after the object and slabinfo's objsize is this plus a pointer
	 * (x86_64 96 + 8 = 104, i386 52 + 4 = 56).
	 */
	struct {
		unsigned int task_struct, mm_struct, vm_area_struct, anon_vma;
		unsigned int kmem_cache, kmem_cache_node;
	} objsize;
};

/* ---- init/kconfig.c ---- */

/**
 * kmm_kconfig_find() - the profile config=@name names for @arch.
 * @name: "defconfig", "debian", or NULL for @arch's default (defconfig).
 * Return: the profile, or NULL when @arch has no such build (no message set).
 */
const struct kmm_kconfig *kmm_kconfig_find(const char *name, enum kmm_arch arch);
/** kmm_kconfig_names() - "defconfig, debian": the names config= accepts, for messages. */
const char *kmm_kconfig_names(void);

#endif /* KMM_MM_INCLUDE_KCONFIG_H */
