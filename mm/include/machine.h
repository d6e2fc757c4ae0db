// SPDX-License-Identifier: MIT
/*
 * mm/include/machine.h - struct kmm_machine: one booted machine.
 *
 * Linux keeps this state in globals (node_data[], mem_map, memblock, the
 * sysctl variables); kmm keeps it in a value so that several machines can
 * coexist. The machine is the core (physical memory, zones, the page
 * allocator's sysctls, CPUs, the log); every layer above it (slab, vmalloc,
 * processes, reclaim) is one entry of the subsystem table
 * (mm/include/subsys.h) and keeps its state in m->subsys[its id].
 *
 * The types a machine embeds have their own headers: the e820 map and the
 * layout (arch/x86/include/asm/), memblock and the boot options
 * (mm/include/); the vm counter helpers are in mm/include/vmstat.h.
 */
#ifndef KMM_MACHINE_H
#define KMM_MACHINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/sim/sim.h"
#include "arch/x86/include/asm/e820.h"
#include "arch/x86/include/asm/layout.h"
#include "include/kmm/kmm.h"
#include "lib/util.h"
#include "mm/include/boot_options.h"
#include "mm/include/cpu_slot.h"
#include "mm/include/kconfig.h"
#include "mm/include/memblock.h"
#include "mm/include/mmzone.h"
#include "mm/include/percpu.h"
#include "mm/include/subsys.h"

#define KMM_MAX_MACHINES 255	/* slot 0 unused: a zeroed page maps to no machine */
/* A serial no machine has and no thread caches (kmm_cpu_cache.serial is one, or 0). */
#define KMM_SERIAL_NONE (~0UL)

/* ---- Per-CPU slot ---- */

/*
 * A slot's vm event counters (Linux's struct vm_event_state), one per CPU
 * slot in the per-CPU area (m->vm_events): the slot's owner writes, readers
 * sum the populated slots racily (sum_vm_event()).
 */
struct vm_event_state {
	unsigned long event[NR_VM_EVENT_ITEMS];
};

/*
 * One line per slot, packed (64 slots in one page): kmm_cpu_lock_all() and
 * the slot hand-out read or write every slot's guard, so the guards are
 * kept apart from the slots' per-CPU data, which stays untouched for a
 * slot no thread takes.
 */
struct kmm_cpu {
	struct kmm_cpu_guard guard;			/* mm/include/cpu_slot.h */
	struct vm_event_state *events;			/* this slot's; immutable after boot */
} __attribute__((aligned(64)));

/* ---- Hooks of later layers ---- */

/*
 * Reclaim hook: called by the page allocator's slow path where Linux would
 * run direct reclaim. Return: pages reclaimed (0 if nothing could be freed).
 * NULL until the reclaim layer installs itself.
 */
typedef unsigned long (*kmm_reclaim_fn)(struct kmm_machine *m, gfp_t gfp,
					unsigned int order, enum zone_type highest_zoneidx);
/* OOM hook: Linux's out_of_memory(); returns true if it freed something. */
typedef bool (*kmm_oom_fn)(struct kmm_machine *m, gfp_t gfp, unsigned int order);

struct kmm_events;

struct kmm_machine {
	int slot;			/* index in the machine registry, immutable */
	/* classes someone listens to (mm/events.c); read by every fast path */
	uint64_t event_mask;		/* atomic; written under events->lock */
	struct kmm_events *events;	/* the stream, the ring, the clock; boot to shutdown */
	unsigned long serial;		/* unique for the process lifetime */
	/*
	 * @serial while nobody listens to the slab's object events
	 * (KMM_EVMASK_SLAB_FAST), else KMM_SERIAL_NONE: the slab's lock-free
	 * paths compare the thread's cached slot serial (kmm_cpu_cache) with
	 * it, one test for "this machine's slot" and "no listener".
	 * Atomic; written with @event_mask (mm/events.c).
	 */
	unsigned long obj_fast_serial;
	char cmdline[1024];
	struct kmm_boot_opts opts;
	const struct kmm_kconfig *kconfig;	/* the kernel build (config=), immutable */
	bool init_on_alloc;		/* init_on_alloc=, or the build's default; immutable */
	struct kmm_layout layout;
	struct kmm_kernel_image kimage;
	struct memblock memblock;	/* its arrays start small: mm/include/memblock.h */

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
	/*
	 * Per section, bit b: MAX_PAGE_ORDER block b of the section is deferred
	 * (struct pages untouched, on a zone's deferred_ranges). Every bit is
	 * set while the section is SECTION_DEFERRED; an ONLINE section may keep
	 * some (a partly reserved section's wholly free blocks, or a deferred
	 * section the allocator has begun to take from). Written under the
	 * zone's lock (boot: before the machine is published); read with
	 * acquire by pfn_init_state().
	 */
	uint32_t *section_deferred;
	/*
	 * Per section, bit b: block b of an ONLINE section holds reserved
	 * struct pages not initialised yet (reserved_chunks[] says which);
	 * kmm_pfn_to_page() initialises them a chunk at a time (under
	 * reserved_block_lock) and clears the bit with release once none is
	 * left. Read with acquire by pfn_init_state().
	 */
	uint32_t *section_reserved;
	/*
	 * Per section, bit b: block b of an ONLINE section is a deferred block
	 * the allocator has begun to take from, whose struct pages are
	 * initialised a chunk at a time as its pages come into use (its
	 * reserved_chunks[] mask says which chunks are still untouched: free
	 * pages, each a tail of a free block whose head is initialised). Set
	 * under zone->lock before the block's section_deferred bit is cleared;
	 * cleared with release once no chunk is left; read with acquire by
	 * pfn_init_state().
	 */
	uint32_t *section_lazy;
	/*
	 * Per MAX_PAGE_ORDER block (index pfn >> MAX_PAGE_ORDER), bit c: the
	 * c-th run of MEMMAP_CHUNK_PAGES frames of the block (one host page of
	 * struct pages) has struct pages not initialised yet. In a block whose
	 * section_reserved bit is set, such a run is all RAM, all reserved and
	 * in one zone (a wholly reserved block has every bit); in a block whose
	 * section_lazy bit is set (never both), it is free pages of a deferred
	 * block the allocator has split. The section bit is set while the mask
	 * is not 0. Cleared under reserved_block_lock with release, before the
	 * block's section bit; read with acquire by pfn_init_state(). In the
	 * pages after the struct (kmm_machine_tail()) when it fits there.
	 */
	uint16_t *reserved_chunks;
	spinlock_t reserved_block_lock;
	/* struct pages initialised so far: at boot, deferred blocks, reserved ones (atomic) */
	atomic_ulong memmap_init_pages;
	unsigned long nr_sections;

	/*
	 * RAM (arch/sim): ram.direct is the direct map's host base, read only by
	 * mm/addr.c and mm/include/addr.h (tests/boundaries.py checks it).
	 */
	struct sim_ram ram;
	/*
	 * The host window over kernel virtual space beyond the direct map
	 * (vmalloc, PKMAP, fixmap): virtual address va lives at host
	 * kwin.host + (va - kwin.va). Reserved by the vmalloc layer's init and
	 * released by its shutdown; converted only by mm/addr.c (addr.h).
	 */
	struct {
		char *host;
		uint64_t va;
		uint64_t bytes;
	} kwin;

	/* Accounting (pages) */
	atomic_long totalram_pages;
	atomic_long totalhigh_pages;
	unsigned long totalreserve_pages;	/* WRITE_ONCE at boot, sysctl, online; READ_ONCE */
	unsigned long totalcma_pages;
	long vm_stat[NR_VM_STAT_ITEMS];		/* atomic RMWs after boot (hot-add); READ_ONCE */

	/* Sysctls (vm.*), under sysctl_lock */
	spinlock_t sysctl_lock;
	int min_free_kbytes;
	int user_min_free_kbytes;	/* -1 when never set by the user */
	int watermark_scale_factor;
	int watermark_boost_factor;
	int lowmem_reserve_ratio[MAX_NR_ZONES];
	int percpu_pagelist_high_fraction;

	/* CPUs */
	int nr_cpu_ids;			/* possible CPUs (nr_cpus=): per-CPU areas */
	int nr_cpus;			/* online CPUs (maxcpus=): the CPU slots */
	spinlock_t cpu_lock;		/* slot assignment (mm/cpu_slot.c) */
	atomic_int cpu_free;		/* slots no thread holds: cpu_lock writes, read anywhere */
	bool cpu_lockless;		/* owned slots may skip their lock (membarrier works) */
	struct kmm_cpu *cpus;		/* the slots' guards, by slot */
	struct vm_event_state *vm_events;	/* per-CPU (per_cpu_ptr()); set with @cpus */
	/* Every CPU's copy of the per-CPU allocations (mm/include/percpu.h) */
	struct kmm_percpu percpu;

	/* Kernel log, under log_lock */
	spinlock_t log_lock;
	struct strbuf log;

	/*
	 * The subsystems (mm/include/subsys.h): each one's state, read only
	 * through its owner's typed accessor (slab_state(), procs_of(), ...),
	 * and which are up. Written at boot and shutdown only.
	 */
	void *subsys[NR_SUBSYS];
	unsigned long subsys_up;	/* bit enum subsys_id */
	kmm_reclaim_fn reclaim;		/* set by the reclaim layer's init; NULL without it */
	kmm_oom_fn oom;			/* set by the OOM layer's init; NULL without it */
	atomic_bool halted;		/* a kernel panic stopped the machine (kmm_panic) */
	bool host_tail;			/* KMM_MACHINE_TAIL_BYTES follow the struct; immutable */

	/*
	 * Last: a boot fills a few of the table's E820_MAX_ENTRIES, and the
	 * rest stays untouched (the struct comes as zero pages, mm/machine.c),
	 * as does the tail of reserved_chunks, which follows the struct in the
	 * same pages (kmm_machine_tail()). Whatever goes before the table is
	 * written by every boot; the struct stays within two pages
	 * (integration_boot_footprint).
	 */
	struct e820_table e820;
};

/*
 * After the struct, in the zero pages kmm_machine_alloc() reserves with it:
 * room for the machine's reserved_chunks[] (mm/mm_init.c), whose first
 * entries (the boot memory's blocks) then share the struct's last page and
 * whose others (a hotplug area's blocks) stay untouched until used: 4 KB of
 * every malloc shim process's host heap. NULL for a machine made otherwise
 * (a test's calloc()).
 */
#define KMM_MACHINE_TAIL_BYTES	(16UL << 10)
static inline void *kmm_machine_tail(struct kmm_machine *m)
{
	return m->host_tail ? (void *)(m + 1) : NULL;
}

enum section_state {
	SECTION_ABSENT,		/* no RAM, or outside max_pfn */
	SECTION_ONLINE,		/* struct pages initialised */
	SECTION_DEFERRED,	/* all free, struct pages untouched, on a zone's deferred ranges */
	SECTION_RESERVED,	/* all RAM, all reserved, in one zone: struct pages are
				 * initialised on first kmm_pfn_to_page() (mm/addr.c) */
	SECTION_INITIALIZING,	/* transient: a thread is initialising a reserved section */
	SECTION_LAZY_FREE,	/* free pages of a block the allocator has begun to take
				 * from, struct pages untouched: tails of a free block
				 * whose head is initialised (mm/page_alloc.c) */
};

_Static_assert((PAGES_PER_SECTION >> MAX_PAGE_ORDER) <= 32, "section_deferred holds 32 blocks");

/* The unit of lazy reserved struct pages: 64 struct pages fill one 4 KiB host page. */
#define MEMMAP_CHUNK_SHIFT	6
#define MEMMAP_CHUNK_PAGES	(1UL << MEMMAP_CHUNK_SHIFT)
#define MEMMAP_CHUNKS_PER_BLOCK	(MAX_ORDER_NR_PAGES >> MEMMAP_CHUNK_SHIFT)
_Static_assert(MEMMAP_CHUNKS_PER_BLOCK <= 16, "reserved_chunks holds 16 chunks per block");

/* The bit of @pfn's chunk in its block's reserved_chunks mask. */
static inline uint16_t memmap_chunk_bit(unsigned long pfn)
{
	return (uint16_t)(1u << ((pfn >> MEMMAP_CHUNK_SHIFT) & (MEMMAP_CHUNKS_PER_BLOCK - 1)));
}

/*
 * pfn_init_state() - the enum section_state that holds for @pfn itself: its
 * section's, except SECTION_DEFERRED for a deferred block,
 * SECTION_RESERVED for a not yet initialised reserved chunk (a whole block,
 * or MEMMAP_CHUNK_PAGES frames of a partly reserved one) and
 * SECTION_LAZY_FREE for a not yet initialised chunk of free pages of a
 * block the allocator has split, of an ONLINE section. The caller checks
 * @pfn's section is below nr_sections.
 */
static inline int pfn_init_state(const struct kmm_machine *m, unsigned long pfn)
{
	unsigned long sec = pfn >> SECTION_SHIFT;
	int state = __atomic_load_n(&m->section_state[sec], __ATOMIC_ACQUIRE);
	unsigned int bit = (unsigned int)((pfn >> MAX_PAGE_ORDER) &
					  ((PAGES_PER_SECTION >> MAX_PAGE_ORDER) - 1));

	if (state != SECTION_ONLINE)
		return state;
	if (m->section_deferred &&
	    ((__atomic_load_n(&m->section_deferred[sec], __ATOMIC_ACQUIRE) >> bit) & 1))
		return SECTION_DEFERRED;
	if (m->section_reserved &&
	    ((__atomic_load_n(&m->section_reserved[sec], __ATOMIC_ACQUIRE) >> bit) & 1) &&
	    (__atomic_load_n(&m->reserved_chunks[pfn >> MAX_PAGE_ORDER], __ATOMIC_ACQUIRE) &
	     memmap_chunk_bit(pfn)))
		return SECTION_RESERVED;
	if (m->section_lazy &&
	    ((__atomic_load_n(&m->section_lazy[sec], __ATOMIC_ACQUIRE) >> bit) & 1) &&
	    (__atomic_load_n(&m->reserved_chunks[pfn >> MAX_PAGE_ORDER], __ATOMIC_ACQUIRE) &
	     memmap_chunk_bit(pfn)))
		return SECTION_LAZY_FREE;
	return state;
}

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

/** kmm_machine_alloc() - a zeroed machine with a registry slot. NULL if none left. */
struct kmm_machine *kmm_machine_alloc(void);
/** kmm_machine_free() - release the slot and the struct (layers already shut down). */
void kmm_machine_free(struct kmm_machine *m);

/*
 * kmm_this_cpu() (mm/include/cpu_slot.h), inline: the slot of the machine
 * this thread used last is one thread-local load and a compare away.
 */
static inline int kmm_this_cpu_inline(struct kmm_machine *m)
{
	if (__builtin_expect(kmm_cpu_cache.serial == m->serial, 1))
		return kmm_cpu_cache.cpu;
	return kmm_this_cpu(m);
}

/** kmm_set_comm() / kmm_comm(): this thread's "current->comm" for reports ("kmm" by default). */
void kmm_set_comm(const char *comm);
/**
 * kmm_set_task_comm(): kmm_set_comm() of a task's 16-byte comm array (NUL
 * inside), kept as a pointer while the task is current (NULL: "kmm").
 */
void kmm_set_task_comm(const char *comm);
const char *kmm_comm(struct kmm_machine *m);

/** kmm_set_error() - set this thread's kmm_last_error() text. Return: @err. */
int kmm_set_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* KMM_MACHINE_H */
