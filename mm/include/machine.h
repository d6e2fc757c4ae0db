// SPDX-License-Identifier: MIT
/*
 * mm/include/machine.h - struct kmm_machine: one booted machine.
 *
 * Linux keeps this state in globals (node_data[], mem_map, memblock, the
 * sysctl variables); kmm keeps it in a value so that several machines can
 * coexist. Everything a layer needs hangs off the machine; a layer that comes
 * later (slab, vmalloc, processes, reclaim) owns a pointer here and registers
 * its checker and shutdown with kmm_register_layer().
 */
#ifndef KMM_MACHINE_H
#define KMM_MACHINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/sim/sim.h"
#include "include/kmm/kmm.h"
#include "lib/util.h"
#include "mm/include/mmzone.h"

#define KMM_MAX_MACHINES 255	/* slot 0 unused: a zeroed page maps to no machine */

enum kmm_arch {
	KMM_ARCH_X86_64,
	KMM_ARCH_I386,
	KMM_ARCH_I386_PAE,
};

/* ---- Firmware map and memblock ---- */

enum e820_type {
	E820_TYPE_RAM = 1,
	E820_TYPE_RESERVED = 2,
	E820_TYPE_ACPI = 3,
	E820_TYPE_NVS = 4,
	E820_TYPE_UNUSABLE = 5,
	E820_TYPE_PMEM = 7,
};

struct e820_entry {
	uint64_t addr, size;
	enum e820_type type;
};

#define E820_MAX_ENTRIES 128
struct e820_table {
	int nr_entries;
	struct e820_entry entries[E820_MAX_ENTRIES];
};

struct memblock_region {
	uint64_t base, size;
	int nid;
	const char *owner;	/* what reserved it (for debugging and checks) */
};

#define MEMBLOCK_MAX_REGIONS 256
struct memblock_type {
	int cnt;
	uint64_t total_size;
	struct memblock_region regions[MEMBLOCK_MAX_REGIONS];
};

struct memblock {
	struct memblock_type memory;
	struct memblock_type reserved;
	uint64_t current_limit;		/* allocations stay below this (lowmem) */
};

/* MMIO ranges declared at boot (ioremap targets, /proc/iomem). */
struct kmm_mmio {
	uint64_t start, size;
	char name[32];
};

/* ---- Boot options, parsed from the command line ---- */

#define KMM_MAX_MEMMAP 16
#define KMM_MAX_MMIO 16
struct kmm_boot_opts {
	uint64_t mem;			/* mem=, bytes of RAM (default 1G) */
	enum kmm_arch arch;		/* arch= */
	int maxcpus;			/* maxcpus= (default 2) */
	int numa_fake;			/* numa=fake=N (0: one node) */
	uint64_t kernelcore, movablecore;	/* bytes; 0 = unset */
	int kernelcore_percent, movablecore_percent;	/* N% forms, -1 = unset */
	uint64_t vmalloc_size;		/* vmalloc= (i386), 0 = default */
	uint64_t highmem_size;		/* highmem= (i386), 0 = unset */
	int nr_memmap;
	struct {
		uint64_t start, size;
		enum e820_type type;	/* E820_TYPE_RESERVED ($) or E820_TYPE_ACPI (#) */
	} memmap[KMM_MAX_MEMMAP];	/* memmap=nn$ss */
	bool buddy_lazy;		/* buddy=lazy */
	bool ram_anon;			/* ram=anon: anonymous RAM, never remapped (malloc shim) */
	bool eager_memmap;		/* deferred_struct_pages=off: initialise every struct page at boot */
	int nr_mmio;
	struct kmm_mmio mmio[KMM_MAX_MMIO];
	char extra[512];		/* options owned by later layers: "a=b\0c\0\0" (kmm_boot_option) */
};

/* ---- The kernel virtual address layout ---- */

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
};

/* Sizes of the (simulated) kernel image, in bytes, and where it sits. */
struct kmm_kernel_image {
	uint64_t phys_start;		/* _text physical (16 MiB on x86_64, 16 MiB on i386) */
	uint64_t text, rodata, data, init, bss;
};

/* ---- Per-CPU slot ---- */

struct kmm_cpu {
	unsigned long events[NR_VM_EVENT_ITEMS];	/* owner slot writes, readers sum racily */
	void *layer_data[8];				/* per-CPU state of later layers */
} __attribute__((aligned(64)));

/* ---- Layers ---- */

struct kmm_layer {
	const char *name;
	int (*check)(struct kmm_machine *m);		/* 0 if invariants hold */
	void (*shutdown)(struct kmm_machine *m);	/* frees the layer's state */
	/* gives cached memory (per-CPU caches, deferred frees) back to the buddy */
	void (*drain)(struct kmm_machine *m);
};
#define KMM_MAX_LAYERS 16

/*
 * Reclaim hook: called by the page allocator's slow path where Linux would
 * run direct reclaim. Return: pages reclaimed (0 if nothing could be freed).
 * NULL until the reclaim layer installs itself.
 */
typedef unsigned long (*kmm_reclaim_fn)(struct kmm_machine *m, gfp_t gfp,
					unsigned int order, enum zone_type highest_zoneidx);
/* OOM hook: Linux's out_of_memory(); returns true if it freed something. */
typedef bool (*kmm_oom_fn)(struct kmm_machine *m, gfp_t gfp, unsigned int order);

struct kmm_machine {
	int slot;			/* index in the machine registry, immutable */
	unsigned long serial;		/* unique for the process lifetime */
	char cmdline[1024];
	struct kmm_boot_opts opts;
	struct kmm_layout layout;
	struct kmm_kernel_image kimage;
	struct e820_table e820;
	struct memblock memblock;

	/* Physical memory (immutable after boot) */
	unsigned long max_pfn;		/* one past the last RAM pfn */
	unsigned long max_low_pfn;	/* one past the last lowmem pfn */
	unsigned long min_low_pfn;
	unsigned long highstart_pfn, highend_pfn;	/* i386 */
	unsigned long physpages;	/* present pages, all nodes */
	int pageblock_order;
	unsigned long pageblock_nr_pages;
	unsigned int struct_page_size;	/* simulated sizeof(struct page) for accounting */
	int nr_node_ids;
	pg_data_t *node_data[MAX_NUMNODES];
	unsigned int zone_types_mask;	/* configured zone types of this arch */
	unsigned long zone_movable_pfn[MAX_NUMNODES];

	/* struct page array: vmemmap[pfn]; a reservation committed when touched */
	struct page *vmemmap;
	size_t vmemmap_bytes;
	unsigned char *section_state;	/* per section: enum section_state */
	unsigned long nr_sections;

	struct sim_ram ram;

	/* Accounting (pages) */
	atomic_long totalram_pages;
	atomic_long totalhigh_pages;
	unsigned long totalreserve_pages;
	unsigned long totalcma_pages;
	long vm_stat[NR_VM_STAT_ITEMS];

	/* Sysctls (vm.*), under sysctl_lock */
	spinlock_t sysctl_lock;
	int min_free_kbytes;
	int user_min_free_kbytes;	/* -1 when never set by the user */
	int watermark_scale_factor;
	int watermark_boost_factor;
	int lowmem_reserve_ratio[MAX_NR_ZONES];
	int percpu_pagelist_high_fraction;

	/* CPUs */
	int nr_cpus;
	atomic_int next_cpu;		/* round-robin slot assignment */
	struct kmm_cpu *cpus;

	/* Kernel log, under log_lock */
	spinlock_t log_lock;
	struct strbuf log;
	uint64_t clock_ns;		/* the virtual clock, advanced by events */

	/* Later layers */
	int nr_layers;
	struct kmm_layer layers[KMM_MAX_LAYERS];
	void *slab;			/* mm/slub.c */
	void *vmalloc;			/* mm/vmalloc.c */
	void *highmem;			/* mm/highmem.c */
	void *procs;			/* process layer */
	void *pressure;			/* vmscan/swap/oom */
	void *cli;			/* the scenario runner's per-machine state */
	kmm_reclaim_fn reclaim;
	kmm_oom_fn oom;
};

enum section_state {
	SECTION_ABSENT,		/* no RAM, or outside max_pfn */
	SECTION_ONLINE,		/* struct pages initialised */
	SECTION_DEFERRED,	/* all free, struct pages untouched, on a zone's deferred list */
	SECTION_RESERVED,	/* all RAM, all reserved, in one zone: struct pages are
				 * initialised on first kmm_pfn_to_page() (mm/addr.c) */
	SECTION_INITIALIZING,	/* transient: a thread is initialising a reserved section */
};

/* ---- The registry and the current machine (mm/machine.c) ---- */

extern struct kmm_machine *kmm_machines[KMM_MAX_MACHINES + 1];

/*
 * The current machine as a TLS read: inside the library kmm_current() expands
 * to this, so the kernel-style entry points (alloc_pages, kmalloc) pay no call.
 */
extern _Thread_local struct kmm_machine *kmm_tls_current
	__attribute__((tls_model("initial-exec")));
static inline struct kmm_machine *kmm_current_inline(void)
{
	return kmm_tls_current;
}
#define kmm_current() kmm_current_inline()

static inline struct kmm_machine *page_machine(const struct page *p)
{
	return kmm_machines[page_machine_slot(p)];
}
static inline struct page *pfn_to_page_m(const struct kmm_machine *m, unsigned long pfn)
{
	return m->vmemmap + pfn;
}
static inline unsigned long page_to_pfn_m(const struct kmm_machine *m, const struct page *p)
{
	return (unsigned long)(p - m->vmemmap);
}
static inline struct zone *page_zone(const struct page *p)
{
	return &page_machine(p)->node_data[page_to_nid(p)]->node_zones[page_zonenum(p)];
}
static inline pg_data_t *NODE_DATA_M(const struct kmm_machine *m, int nid)
{
	return m->node_data[nid];
}
static inline bool kmm_arch_is_32(const struct kmm_machine *m)
{
	return m->opts.arch != KMM_ARCH_X86_64;
}
static inline bool pfn_is_highmem(const struct kmm_machine *m, unsigned long pfn)
{
	return pfn >= m->max_low_pfn;
}

/**
 * kmm_this_cpu() - this thread's CPU slot on @m (assigned on first use).
 * Context: any; lock-free after the first call on a thread.
 */
int kmm_this_cpu(struct kmm_machine *m);

static inline void count_vm_events(struct kmm_machine *m, enum vm_event_item item, long n)
{
	/*
	 * Only the slot's owner writes (threads beyond maxcpus share a slot and
	 * may, rarely, lose an increment, as Linux's __count_vm_events can);
	 * relaxed load+store keeps the fast path free of locked instructions
	 * while readers summing the counters see no torn values.
	 */
	unsigned long *ev = &m->cpus[kmm_this_cpu(m)].events[item];
	__atomic_store_n(ev, __atomic_load_n(ev, __ATOMIC_RELAXED) + (unsigned long)n,
			 __ATOMIC_RELAXED);
}
static inline void count_vm_event(struct kmm_machine *m, enum vm_event_item item)
{
	count_vm_events(m, item, 1);
}
/** sum_vm_event() - an event counter summed over CPU slots. */
unsigned long sum_vm_event(struct kmm_machine *m, enum vm_event_item item);

static inline void mod_zone_page_state(struct zone *z, enum zone_stat_item i, long delta)
{
	atomic_fetch_add_explicit(&z->vm_stat[i], delta, memory_order_relaxed);
}
static inline unsigned long zone_page_state(const struct zone *z, enum zone_stat_item i)
{
	long v = atomic_load_explicit(&((struct zone *)z)->vm_stat[i], memory_order_relaxed);
	return v < 0 ? 0 : (unsigned long)v;
}
static inline void mod_node_page_state(pg_data_t *pgdat, enum node_stat_item i, long delta)
{
	atomic_fetch_add_explicit(&pgdat->vm_stat[i], delta, memory_order_relaxed);
}
static inline unsigned long node_page_state(const pg_data_t *pgdat, enum node_stat_item i)
{
	long v = atomic_load_explicit(&((pg_data_t *)pgdat)->vm_stat[i], memory_order_relaxed);
	return v < 0 ? 0 : (unsigned long)v;
}
/** global_zone_page_state() / global_node_page_state() - sums over @m's nodes. */
unsigned long global_zone_page_state(struct kmm_machine *m, enum zone_stat_item i);
unsigned long global_node_page_state(struct kmm_machine *m, enum node_stat_item i);

/** kmm_register_layer() - attach a later layer's checker and shutdown. Return: 0 or -ENOSPC. */
int kmm_register_layer(struct kmm_machine *m, const struct kmm_layer *layer);

/** kmm_set_error() - set this thread's kmm_last_error() text. Return: @err. */
int kmm_set_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* For the direct map: physical <-> host pointer (lowmem only). */
static inline void *kmm_phys_to_host(const struct kmm_machine *m, uint64_t pa)
{
	return (char *)m->ram.direct + pa;
}

#endif /* KMM_MACHINE_H */
