// SPDX-License-Identifier: MIT
/*
 * mm/internal.h - functions shared inside mm/, grouped by the file that
 * defines them, so this header reads as a map of the layer.
 *
 * Lock order (outermost first), written once here and in docs/locking.md:
 *   sysctl_lock -> CPU slot guard -> zone->lock -> log_lock (as Linux: the
 * slot's pcp first - owned: no lock; shared: trylock - then zone->lock to refill);
 * zone->lock is never held while calling the reclaim or OOM hooks.
 */
#ifndef KMM_MM_INTERNAL_H
#define KMM_MM_INTERNAL_H

#include "mm/include/events.h"
#include "mm/include/machine.h"
#include "mm/include/boot.h"
#include "mm/include/vmalloc.h"
#include "mm/include/vmstat.h"

/*
 * ---- The subsystem entries, each defined in its layer's file and listed in
 * mm/subsys.c's kmm_subsystems[] (mm/include/subsys.h) ----
 */
extern const struct kmm_subsys page_alloc_subsys;	/* mm/page_alloc_init.c */
extern const struct kmm_subsys boot_subsys;		/* mm/mm_init.c */
extern const struct kmm_subsys slab_subsys;		/* mm/slab_common.c */
extern const struct kmm_subsys vmalloc_subsys;		/* mm/vmalloc.c */
extern const struct kmm_subsys highmem_subsys;		/* mm/highmem.c */
extern const struct kmm_subsys process_subsys;		/* mm/fork.c */
extern const struct kmm_subsys pressure_subsys;		/* mm/pressure.c */
extern const struct kmm_subsys fail_inject_subsys;	/* mm/fail_inject.c */
extern const struct kmm_subsys debug_checks_subsys;	/* mm/debug_checks.c */
extern const struct kmm_subsys oom_subsys;		/* mm/oom_kill.c */
extern const struct kmm_subsys memory_hotplug_subsys;	/* mm/memory_hotplug.c */
extern const struct kmm_subsys filemap_subsys;		/* mm/filemap.c */
extern const struct kmm_subsys fs_subsys;		/* fs/super.c */

/* ---- mm/machine.c: registry, current machine, log, errors ---- */

/** kmm_registry_lock() / kmm_registry_unlock() - hold the machine registry (no machine is freed meanwhile). */
void kmm_registry_lock(void);
void kmm_registry_unlock(void);
/** kmm_vprintk() - kmm_printk() with a va_list: append to the dmesg buffer. */
void kmm_vprintk(struct kmm_machine *m, const char *fmt, va_list ap);

/* ---- Boot: the steps shared with init/ and arch/x86/ are in mm/include/boot.h ---- */

/* ---- mm/page_alloc.c: the buddy allocator ---- */

void setup_per_zone_wmarks(struct kmm_machine *m);
void setup_per_zone_lowmem_reserve(struct kmm_machine *m);
void calculate_totalreserve_pages(struct kmm_machine *m);
unsigned long nr_free_buffer_pages(struct kmm_machine *m);
unsigned long nr_free_zone_pages_m(struct kmm_machine *m, int offset);
enum zone_type gfp_zone_m(const struct kmm_machine *m, gfp_t gfp);
int gfp_migratetype(gfp_t gfp);
/**
 * free_frozen_pages() - free a block of @order whose count already reached
 * 0 (its last put_page_testzero() returned true): no reference is dropped
 * here, so no speculative getter can see the count rise from 0 again.
 * Linux: free_unref_page() of 6.12 (free_frozen_pages() from 6.15).
 * Context: any; may enter this CPU slot's guard and take zone->lock.
 */
void free_frozen_pages(struct page *page, unsigned int order);
/**
 * free_unref_folios() - free_frozen_pages() of @nr order-0 pages of one
 * machine, in one CPU slot section (Linux: free_unref_folios()).
 */
void free_unref_folios(struct page **pages, unsigned int nr);
/** gfp_zone_table - mm/gfp.c: highest zone by the four zone modifier bits, before folding. */
extern const unsigned char gfp_zone_table[GFP_ZONEMASK + 1];
/** page_alloc_check() - the page allocator's invariant checker. */
int page_alloc_check(struct kmm_machine *m);

/*
 * ---- mm/page_alloc*.c, mm/gfp.c, mm/show_mem.c: shared inside the page allocator ----
 * (zone_init_free_lists & co. live in mm/page_alloc_init.c, the checker in
 * mm/page_alloc_check.c.) The vm.* sysctl handlers call, after storing the
 * value: min_free_kbytes (also set user_min_free_kbytes) and
 * watermark_scale_factor -> setup_per_zone_wmarks(); lowmem_reserve_ratio ->
 * setup_per_zone_lowmem_reserve(); percpu_pagelist_high_fraction ->
 * zone_pcp_update_all(). Lock order in practice: CPU slot guard -> zone->lock.
 */

/* alloc_flags, Linux 6.12 mm/internal.h values */
#define ALLOC_WMARK_MIN		WMARK_MIN
#define ALLOC_WMARK_LOW		WMARK_LOW
#define ALLOC_WMARK_HIGH	WMARK_HIGH
#define ALLOC_NO_WATERMARKS	0x04
#define ALLOC_WMARK_MASK	(ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM		0x08
#define ALLOC_NON_BLOCK		0x10	/* caller cannot block: 25-50% more of min */
#define ALLOC_MIN_RESERVE	0x20	/* __GFP_HIGH: half of min */
#define ALLOC_CPUSET		0x40
#define ALLOC_CMA		0x80
#define ALLOC_NOFRAGMENT	0x100
#define ALLOC_HIGHATOMIC	0x200
#define ALLOC_KSWAPD		0x800	/* == __GFP_KSWAPD_RECLAIM */
#define ALLOC_RESERVES (ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM)

/* zone->flags bits */
enum zone_flags {
	ZONE_BOOSTED_WATERMARK,	/* a fragmenting fallback boosted the watermarks */
	ZONE_BELOW_HIGH,	/* free pages below the high mark: shrink pcp high */
};
/* per_cpu_pages->flags bits, and the 6.12 CONFIG_PCP_BATCH_SCALE_MAX default */
#define PCPF_PREV_FREE_HIGH_ORDER 0x01
#define PCPF_FREE_HIGH_BATCH	0x02
#define PCP_BATCH_SCALE_MAX	5
/* free-path flags */
#define FPI_NONE		0x0
#define FPI_TO_TAIL		0x2	/* boot blocks: to the list tail, never lazy */
#define MAX_RECLAIM_RETRIES	16
/* kmm: the slow path loops at most this often (Linux may loop forever). */
#define KMM_SLOWPATH_MAX_ROUNDS	64

struct alloc_context {
	pg_data_t *pgdat;		/* whose published zonelists @zonelist is one of */
	struct zonelist *zonelist;
	int preferred_idx;		/* first zone in zonelist with type <= highest */
	enum zone_type highest_zoneidx;
	int migratetype;
};

/* mm/page_alloc.c building blocks used by mm/page_alloc_slowpath.c */
/** free_area_empty() - no free block of @order/@mt (deferred blocks count); lockless peek. */
bool free_area_empty(const struct zone *zone, unsigned int order, int mt);
/** rmqueue() - take a block from @zone (pcp for order <= 3). Context: takes pcp/zone locks. */
struct page *rmqueue(struct zone *preferred, struct zone *zone, unsigned int order,
		     gfp_t gfp, unsigned int alloc_flags, int mt);
/** build_fast_zones() - the allocation fast path's zone table of @pgdat (page_alloc_slowpath.c). */
void build_fast_zones(struct kmm_machine *m, pg_data_t *pgdat);
/**
 * rmqueue_pcp_bulk() - up to @nr order-0 pages of @mt from @zone's pcp list
 * of this CPU slot (refilled from the buddy as it runs dry), in one slot
 * section, into the NULL slots of @array from index @i on; counted as @nr
 * single allocations. Return: the index after the last page placed.
 */
unsigned long rmqueue_pcp_bulk(struct zone *zone, int mt, unsigned int alloc_flags,
			       unsigned long i, unsigned long nr, struct page **array);
void reserve_highatomic_pageblock(struct page *page, unsigned int order, struct zone *zone);
bool unreserve_highatomic_pageblock(const struct alloc_context *ac, bool force);
/** gfp_zone_bad() - two or more of __GFP_DMA/HIGHMEM/DMA32 together (mm/gfp.c). */
bool gfp_zone_bad(gfp_t gfp);
unsigned int gfp_to_alloc_flags(gfp_t gfp, unsigned int order);
/** __zone_watermark_ok() - Linux's watermark check with the ALLOC_* reserve rules. */
bool __zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
			 int highest_zoneidx, unsigned int alloc_flags, long free_pages);
bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
		       int highest_zoneidx, unsigned int alloc_flags);
void calculate_min_free_kbytes(struct kmm_machine *m);
/* clear_highpage(): mm/highmem.c (include/kmm/vmalloc.h), through kmap_local_page(). */
/** show_mem() - the Mem-Info block of dmesg (mm/show_mem.c). */
void show_mem(struct kmm_machine *m, int max_zone_idx);
/** warn_alloc() - "page allocation failure" + Mem-Info, unless __GFP_NOWARN; ratelimited. */
void warn_alloc(struct kmm_machine *m, gfp_t gfp, unsigned int order);
void warn_alloc_reset_ratelimit(struct kmm_machine *m);
/*
 * kmm_set_current_oom_victim() / kmm_current_oom_victim(): this thread's
 * tsk_is_oom_victim(current), set with the current task by the process layer
 * and by mark_oom_victim(). The slow path gives such a task ALLOC_OOM access
 * to the reserves once, then fails its allocation instead of killing again.
 */
void kmm_set_current_oom_victim(bool victim);
bool kmm_current_oom_victim(void);

/* ---- mm/vmalloc.c: kernel virtual areas and the host window ---- */

struct strbuf;
/**
 * vmalloc_init() - the vmalloc layer of @m (the vmalloc entry's init): free
 * tree over the layout's vmalloc range, host window (kernel page tables at
 * first use). Return: 0 or -errno (message set).
 */
int vmalloc_init(struct kmm_machine *m);
/**
 * vmalloc_prepare_pgtables() - make the kernel's page-table root and the
 * PKMAP/fixmap tables now (normally done at the first mapping; tests call it
 * before taking their free-page baseline). Return: 0 or -ENOMEM.
 */
int vmalloc_prepare_pgtables(struct kmm_machine *m);
/** vmalloc_boot_options() - registers vmalloc_window=SIZE (x86_64 host window). */
void vmalloc_boot_options(void);
/**
 * kernel_map_pages() - map frames @pfns[0..n) at kernel virtual @va (host
 * window and, when linked, kernel PTEs with @prot, a pteval_t).
 * kernel_unmap_pages() undoes it. Return: 0 or -errno (nothing mapped).
 */
int kernel_map_pages(struct kmm_machine *m, uint64_t va, const unsigned long *pfns, size_t n,
		     uint64_t prot);
void kernel_unmap_pages(struct kmm_machine *m, uint64_t va, size_t n);
/**
 * kernel_map_fixmap() - map frame @pfn at fixmap address @va for
 * kmap_local_page() (Linux's __set_fixmap). The host side is mapped unless
 * @host_mapped says it already shows @pfn; the PTE is written when the
 * kernel's page tables exist. Linux builds the fixmap tables at boot, where
 * kmm's boot only reserves their memblock, so they are never allocated here:
 * a fault that zeroes a highmem page costs no page-table frame.
 * kernel_unmap_fixmap() clears the PTE and, unless @keep_host, the host
 * mapping. Return: 0 or -errno (nothing mapped).
 */
int kernel_map_fixmap(struct kmm_machine *m, uint64_t va, unsigned long pfn, bool host_mapped);
void kernel_unmap_fixmap(struct kmm_machine *m, uint64_t va, bool keep_host);

/* ---- mm/highmem.c: kmap, kmap_local, kmap_atomic ---- */

/**
 * kmap_drain() - unmap the PKMAP slots nobody uses (count 1), as the next
 * flush would. Return: true if no kmap or kmap_local mapping is left.
 */
bool kmap_drain(struct kmm_machine *m);
/** kmap_idle() - no kmap or kmap_local mapping is left (kmap_drain() without the flush). */
bool kmap_idle(struct kmm_machine *m);
/** kmap_check() - slot counts agree with the pages' PG_highmem_mapped and the hash. */
int kmap_check(struct kmm_machine *m);

/* ---- mm/fork.c: the process layer (details in mm/include/mm.h) ---- */

/**
 * process_init() - the process layer of @m (the process entry's init): task
 * table, shared zero page, software MMU (window onto the RAM file, per-CPU
 * TLBs). Return: 0 or -ENOMEM.
 */
int process_init(struct kmm_machine *m);


#endif /* KMM_MM_INTERNAL_H */
