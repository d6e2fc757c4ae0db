// SPDX-License-Identifier: MIT
/*
 * mm/internal.h - functions shared inside mm/, grouped by the file that
 * defines them, so this header reads as a map of the layer.
 *
 * Lock order (outermost first), written once here and in docs/locking.md:
 *   sysctl_lock -> pcp->lock -> zone->lock -> log_lock (as Linux: the pcp
 * lock is taken first, by trylock on the own slot, then zone->lock to refill);
 * zone->lock is never held while calling the reclaim or OOM hooks.
 */
#ifndef KMM_MM_INTERNAL_H
#define KMM_MM_INTERNAL_H

#include "mm/include/machine.h"

/* ---- mm/machine.c: registry, current machine, log, errors, layers ---- */

/** kmm_machine_alloc() - a zeroed machine with a registry slot. NULL if none left. */
struct kmm_machine *kmm_machine_alloc(void);
/** kmm_machine_free() - release the slot and the struct (layers already shut down). */
void kmm_machine_free(struct kmm_machine *m);
/** kmm_vprintk() - kmm_printk() with a va_list: append to the dmesg buffer. */
void kmm_vprintk(struct kmm_machine *m, const char *fmt, va_list ap);

/* ---- mm/mm_init.c, mm/mm_init_cmdline.c: the boot sequence and its command line ---- */

/** kmm_parse_cmdline() - fill @opts from @cmdline. Return: 0 or -EINVAL (message set). */
int kmm_parse_cmdline(const char *cmdline, struct kmm_boot_opts *opts);
/** register_layer_boot_options() - run the layer list's boot_options hooks (once per process). */
void register_layer_boot_options(void);
/** kernel_image_of() - the simulated kernel image of @arch (sizes, load address). */
void kernel_image_of(enum kmm_arch arch, struct kmm_kernel_image *k);
/** kernel_image_end() - physical address just past the image's .bss. */
uint64_t kernel_image_end(const struct kmm_kernel_image *k);
/** kmm_arch_name() - "x86_64", "i386" or "i386-pae". */
const char *kmm_arch_name(enum kmm_arch arch);
/** init_single_page() - make vmemmap[pfn] a fresh page of @zone (refcount 1, reserved). */
void init_single_page(struct kmm_machine *m, struct page *page, unsigned long pfn,
		      enum zone_type zone, int nid);

/**
 * kmm_register_boot_option() - let a later layer own a boot option.
 * @name: the option's name, without '=' ("slab_debug", "slab_freelist_random").
 * @validate: checks the value (NULL when the option has no '='); returns 0,
 *	or -EINVAL after writing a short reason into @err (@len bytes). NULL
 *	accepts anything.
 *
 * Layers call this from the boot_options hook of their line in mm_init.c's
 * layer list (static-library objects are only linked when referenced, so
 * there are no constructors); kmm_boot() runs those hooks once per process
 * before it parses the first command line. Registering the same name with
 * the same function again is a no-op.
 * Context: any thread. Return: 0, -EEXIST (name taken by another validator
 * or a built-in option), -ENOSPC (table full).
 */
typedef int (*kmm_boot_option_validate_fn)(const char *val, char *err, size_t len);
int kmm_register_boot_option(const char *name, kmm_boot_option_validate_fn validate);
/**
 * kmm_boot_option() - the value a registered option had on @m's command line.
 * Return: the text after '=' ("" for a bare "name"), the last occurrence
 * winning; NULL if the option was not given. Valid as long as @m.
 */
const char *kmm_boot_option(struct kmm_machine *m, const char *name);

/* ---- mm/e820.c: the firmware memory map ---- */

const char *e820_type_name(enum e820_type type);
int e820_range_add(struct e820_table *t, uint64_t start, uint64_t size, enum e820_type type);
/** e820_update_table() - sort and merge; the highest type wins where entries overlap. */
int e820_update_table(struct e820_table *t);
/** e820_print_table() - "<who>: [mem 0x...-0x...] type" for every entry of m->e820. */
void e820_print_table(struct kmm_machine *m, const char *who);
/** e820_setup_firmware() - the QEMU-like BIOS map for m->opts.mem bytes of RAM. */
void e820_setup_firmware(struct kmm_machine *m);
/** e820_apply_memmap() - carve the memmap= ranges into m->e820. Return: 0/-ENOSPC. */
int e820_apply_memmap(struct kmm_machine *m);
/** e820_trim_bios_range() - page 0 reserved, 640K-1M not RAM (with Linux's debug lines). */
void e820_trim_bios_range(struct kmm_machine *m);
/** e820_end_pfn() - one past the last RAM pfn below @limit_pfn. */
unsigned long e820_end_pfn(const struct kmm_machine *m, unsigned long limit_pfn);
/** e820_overlaps_type() - does any entry of @type intersect [start, end)? */
bool e820_overlaps_type(const struct kmm_machine *m, uint64_t start, uint64_t end,
			enum e820_type type);

/* ---- mm/memblock.c: early physical memory ---- */

int memblock_add_node(struct kmm_machine *m, uint64_t base, uint64_t size, int nid);
int memblock_reserve(struct kmm_machine *m, uint64_t base, uint64_t size, const char *owner);
/** memblock_alloc_range() - top-down allocation below @limit. Return: phys or 0. */
uint64_t memblock_alloc_range(struct kmm_machine *m, uint64_t size, uint64_t align,
			      uint64_t limit, int nid, const char *owner);
bool memblock_is_reserved(struct kmm_machine *m, uint64_t addr);
/** memblock_remove() - drop [base, base+size) from memory. */
int memblock_remove(struct kmm_machine *m, uint64_t base, uint64_t size);
/** memblock_phys_free() - give back a reservation (whole pages). */
int memblock_phys_free(struct kmm_machine *m, uint64_t base, uint64_t size);
/** memblock_set_node() - memory inside [base, base+size) belongs to @nid. */
int memblock_set_node(struct kmm_machine *m, uint64_t base, uint64_t size, int nid);
/** memblock_overlap() - bytes of [start, end) covered by @type's regions. */
uint64_t memblock_overlap(const struct memblock_type *type, uint64_t start, uint64_t end);
/**
 * memblock_next_free_range() - the lowest range at or above @pos, below
 * @limit, that is memory and not reserved. Return: false if there is none.
 */
bool memblock_next_free_range(const struct kmm_machine *m, uint64_t pos, uint64_t limit,
			      uint64_t *start, uint64_t *end);
/** memblock_free_bytes() - bytes of [start, end) that are memory and not reserved. */
uint64_t memblock_free_bytes(const struct kmm_machine *m, uint64_t start, uint64_t end);

/* ---- mm/page_alloc.c: the buddy allocator ---- */

/** zone_init_free_lists() - empty free lists, lock, pcp sets for @m->nr_cpus. Return: 0/-ENOMEM. */
int zone_init_free_lists(struct zone *zone);
void zone_free_pcp(struct zone *zone);
/**
 * __free_pages_core() - hand a boot-time free block to the buddy allocator:
 * the pages are initialised and not reserved; adds to managed pages.
 * Context: boot, single-threaded.
 */
void __free_pages_core(struct page *page, unsigned int order);
/**
 * zone_add_deferred_section() - hand a wholly free section whose struct pages
 * are not initialised; they are initialised when the allocator first needs
 * them. Adds PAGES_PER_SECTION to managed and free pages.
 */
void zone_add_deferred_section(struct zone *zone, unsigned long start_pfn);
void build_all_zonelists(struct kmm_machine *m);
/** init_per_zone_wmark_min() - min_free_kbytes, watermarks, lowmem reserve, totalreserve. */
void init_per_zone_wmark_min(struct kmm_machine *m);
void setup_per_zone_wmarks(struct kmm_machine *m);
void setup_per_zone_lowmem_reserve(struct kmm_machine *m);
void calculate_totalreserve_pages(struct kmm_machine *m);
/** zone_pcp_update_all() - recompute pcp batch/high for every zone (after wmarks change). */
void zone_pcp_update_all(struct kmm_machine *m);
unsigned long nr_free_buffer_pages(struct kmm_machine *m);
unsigned long nr_free_zone_pages_m(struct kmm_machine *m, int offset);
enum zone_type gfp_zone_m(const struct kmm_machine *m, gfp_t gfp);
int gfp_migratetype(gfp_t gfp);
/** gfp_zone_table - mm/gfp.c: highest zone by the four zone modifier bits, before folding. */
extern const unsigned char gfp_zone_table[GFP_ZONEMASK + 1];
/** drain_all_pages() - return every pcp page of @zone (or all zones if NULL) to the buddy. */
void drain_all_pages(struct kmm_machine *m, struct zone *zone);
/** page_alloc_check() - the page allocator's invariant checker. */
int page_alloc_check(struct kmm_machine *m);
/** get_pageblock_migratetype() / set_pageblock_migratetype(): pageblock bits. */
int get_pageblock_migratetype(const struct page *page);
void set_pageblock_migratetype(struct page *page, int migratetype);

/*
 * ---- mm/page_alloc*.c, mm/gfp.c, mm/show_mem.c: shared inside the page allocator ----
 * (zone_init_free_lists & co. live in mm/page_alloc_init.c, the checker in
 * mm/page_alloc_check.c.) The vm.* sysctl handlers call, after storing the
 * value: min_free_kbytes (also set user_min_free_kbytes) and
 * watermark_scale_factor -> setup_per_zone_wmarks(); lowmem_reserve_ratio ->
 * setup_per_zone_lowmem_reserve(); percpu_pagelist_high_fraction ->
 * zone_pcp_update_all(). Lock order in practice: pcp->lock -> zone->lock.
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
/** rmqueue_pcp_fast() - rmqueue() from a non-empty pcp list of the preferred zone, else NULL with no effect. */
struct page *rmqueue_pcp_fast(struct zone *zone, unsigned int order, int mt,
			      unsigned int alloc_flags);
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
/**
 * clear_highpage() - zero one page whether or not it has a direct-map
 * address. page_alloc.c holds a weak default (direct map, or a temporary
 * mapping of the frame); mm/highmem.c may override it with kmap_local.
 */
void clear_highpage(struct page *page);
/** show_mem() - the Mem-Info block of dmesg (mm/show_mem.c). */
void show_mem(struct kmm_machine *m, int max_zone_idx);
/** warn_alloc() - "page allocation failure" + Mem-Info, unless __GFP_NOWARN; ratelimited. */
void warn_alloc(struct kmm_machine *m, gfp_t gfp, unsigned int order);
void warn_alloc_reset_ratelimit(struct kmm_machine *m);
/** kmm_set_comm() / kmm_comm(): this thread's "current->comm" for reports ("kmm" by default). */
void kmm_set_comm(const char *comm);
const char *kmm_comm(struct kmm_machine *m);

/* ---- mm/vmalloc.c: kernel virtual areas and the host window ---- */

struct strbuf;
/**
 * vmalloc_init() - the vmalloc layer of @m: free tree over the layout's
 * vmalloc range, host window (kernel page tables at first use), PKMAP/fixmap slots
 * (kmap_init), checker registration, and on i386 the "virtual kernel memory
 * layout:" dmesg block. Called once from mm_init.c's layer-init list, after
 * the page allocator is up. Return: 0 or -errno (message set).
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
/** vmalloc_nr_pages() - pages held by vmalloc areas: meminfo's VmallocUsed (proc calls this). */
unsigned long vmalloc_nr_pages(struct kmm_machine *m);
/** vmalloc_total_bytes() - VMALLOC_END - VMALLOC_START (meminfo's VmallocTotal, in bytes). */
uint64_t vmalloc_total_bytes(const struct kmm_machine *m);
/** vmalloc_info_show() - /proc/vmallocinfo. Return: 0, -ENOENT (no vmalloc layer), -ENOMEM. */
int vmalloc_info_show(struct kmm_machine *m, struct strbuf *sb);
/**
 * kernel_va_to_host() / kernel_host_to_va() - the vmalloc/PKMAP/fixmap half
 * of mm/addr.c's conversions: a simulated kernel virtual address in @m's
 * host window and back. Return: NULL / 0 when outside the window.
 */
void *kernel_va_to_host(struct kmm_machine *m, uint64_t va);
uint64_t kernel_host_to_va(struct kmm_machine *m, const void *p);
/**
 * kernel_map_pages() - map frames @pfns[0..n) at kernel virtual @va (host
 * window and, when linked, kernel PTEs with @prot, a pteval_t).
 * kernel_unmap_pages() undoes it. Return: 0 or -errno (nothing mapped).
 */
int kernel_map_pages(struct kmm_machine *m, uint64_t va, const unsigned long *pfns, size_t n,
		     uint64_t prot);
void kernel_unmap_pages(struct kmm_machine *m, uint64_t va, size_t n);
/** vmalloc_machine_of() - the machine whose window holds @p, or NULL. */
struct kmm_machine *vmalloc_machine_of(const void *p);
/** vmap_phys_range() / vunmap_phys_range() - ioremap's mapping half (mm/ioremap.c checks). */
void *vmap_phys_range(struct kmm_machine *m, uint64_t phys, unsigned long size, int region,
		      const char *caller, const void *ret);
int vunmap_phys_range(struct kmm_machine *m, const void *addr);
/** print_kernel_layout() - the i386 "virtual kernel memory layout:" block. */
void print_kernel_layout(struct kmm_machine *m);

/* ---- mm/highmem.c: kmap, kmap_local, kmap_atomic ---- */

/** kmap_init() - PKMAP and fixmap kmap slots of @m (called by vmalloc_init). */
int kmap_init(struct kmm_machine *m);
void kmap_shutdown(struct kmm_machine *m);
/**
 * kmap_drain() - unmap the PKMAP slots nobody uses (count 1), as the next
 * flush would. Return: true if no kmap or kmap_local mapping is left.
 */
bool kmap_drain(struct kmm_machine *m);
/** kmap_check() - slot counts agree with the pages' PG_highmem_mapped and the hash. */
int kmap_check(struct kmm_machine *m);
/**
 * kmap_page_address() - for page_address() of a highmem page: its PKMAP
 * host address while kmap()ped (PG_highmem_mapped set), else NULL.
 */
void *kmap_page_address(const struct page *page);

/* ---- mm/fork.c: the process layer (details in mm/include/mm.h) ---- */

/**
 * process_init() - the process layer of @m: task table, shared zero page,
 * software MMU (window onto the RAM file, per-CPU TLBs), checker. Called
 * from mm_init.c's layer list. Return: 0 or -ENOMEM.
 */
int process_init(struct kmm_machine *m);


#endif /* KMM_MM_INTERNAL_H */
