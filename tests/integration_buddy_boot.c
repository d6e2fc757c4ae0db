// SPDX-License-Identifier: MIT
/*
 * tests/integration_buddy_boot.c - the page allocator on booted machines:
 * the zones boot builds, the public entry points, the checker through
 * kmm_check(), /proc agreeing with the free lists, deferred sections on a
 * big x86_64 box, and a leak check.
 *
 * The leak check here drains the per-CPU lists before counting, at boot and
 * at the end: NR_FREE_PAGES (what kmm_nr_free_pages() sums) leaves out pages
 * parked on pcp lists, exactly as Linux's does, so counting without a drain
 * would see pcp traffic as leaks or gains.
 */
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>

#include "mm/internal.h"
#include "tests/harness.h"

static unsigned long baseline;

static struct kmm_machine *boot(const char *cmdline)
{
	struct kmm_machine *m = kmm_boot(cmdline);

	if (!m) {
		kmm_test_fail(__FILE__, __LINE__, "kmm_boot(\"%s\"): %s", cmdline, kmm_last_error());
		kmm_test_abort();
	}
	kmm_use(m);
	drain_all_pages(m, NULL);
	baseline = kmm_nr_free_pages(m);
	return m;
}

static void done(struct kmm_machine *m)
{
	drain_all_pages(m, NULL);
	if (kmm_check(m))
		kmm_test_fail(__FILE__, __LINE__, "kmm_check: %s", kmm_last_error());
	expect_eq(kmm_nr_free_pages(m), baseline);
	kmm_use(NULL);
	kmm_shutdown(m);
}

static struct zone *zone_of(struct kmm_machine *m, int nid, enum zone_type t)
{
	return &m->node_data[nid]->node_zones[t];
}

TEST(i386_1g_zones_and_entry_points)
{
	struct kmm_machine *m = boot("mem=1G arch=i386");
	struct page *dma = alloc_pages(GFP_KERNEL | __GFP_DMA, 0);
	struct page *high = alloc_pages(GFP_HIGHUSER, 0);
	struct page *norm = alloc_pages(GFP_KERNEL | __GFP_COMP, 3);

	assert_true(dma && high && norm);
	expect_eq(page_zonenum(dma), ZONE_DMA);
	expect_eq(page_zonenum(high), ZONE_HIGHMEM);
	expect_eq(page_zonenum(norm), ZONE_NORMAL);
	expect_true(page_address(high) == NULL || page_flag_test(high, PG_highmem_mapped));
	expect_true(page_address(norm) != NULL);
	unsigned long addr = get_zeroed_page(GFP_KERNEL);

	assert_true(addr != 0);
	expect_eq(((unsigned char *)addr)[100], 0);
	/* __get_free_pages() drops __GFP_HIGHMEM: the caller wants an address. */
	unsigned long a2 = __get_free_pages(GFP_HIGHUSER, 1);

	assert_true(a2 != 0);
	expect_eq(page_zonenum(virt_to_page((void *)a2)), ZONE_NORMAL);
	free_pages(a2, 1);
	free_page(addr);
	__free_pages(dma, 0);
	__free_pages(high, 0);
	__free_pages(norm, 3);
	expect_eq(kmm_check(m), 0);
	/* The allocator's books against /proc. */
	drain_all_pages(m, NULL);
	char *bi = NULL;

	expect_eq(kmm_proc_read(m, "/proc/buddyinfo", &bi), 0);
	char line[256];
	struct zone *z = zone_of(m, 0, ZONE_NORMAL);
	int n = snprintf(line, sizeof(line), "Node 0, zone   Normal ");

	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%6lu ", z->free_area[o].nr_free);
	expect_str_contains(bi, line);
	free(bi);
	done(m);
}

TEST(i386_failure_report_and_reserves)
{
	struct kmm_machine *m = boot("mem=256M arch=i386");
	struct page **held = calloc(65536, sizeof(*held));
	int n = 0;

	while ((held[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0)))
		n++;
	expect_true(n > 50000);
	/* GFP_KERNEL stopped at min; GFP_ATOMIC may still dip below it. */
	struct page *atomic = alloc_pages(GFP_ATOMIC, 0);

	expect_true(atomic != NULL);
	expect_true(alloc_pages(GFP_KERNEL, 2) == NULL);
	expect_str_contains(t_dmesg(m), "page allocation failure: order:2, mode:0xcc0(GFP_KERNEL)");
	expect_str_contains(t_dmesg(m), "Mem-Info:");
	expect_str_contains(t_dmesg(m), "pages RAM");
	expect_eq(kmm_check(m), 0);
	if (atomic)
		__free_pages(atomic, 0);
	while (n)
		__free_pages(held[--n], 0);
	free(held);
	drain_all_pages(m, NULL);
	done(m);
}

TEST(x86_64_64g_deferred_sections)
{
	struct kmm_machine *m = boot("mem=64G");
	unsigned long deferred = 0;

	for (int t = 0; t < MAX_NR_ZONES; t++)
		deferred += zone_of(m, 0, (enum zone_type)t)->nr_deferred_blocks;
	/* Whatever boot deferred is counted free and survives a checker run. */
	expect_eq(kmm_check(m), 0);
	struct page *p = alloc_pages(GFP_KERNEL, 10);

	assert_true(p != NULL);
	expect_eq(page_zonenum(p), ZONE_NORMAL);
	__free_pages(p, 10);
	expect_eq(kmm_check(m), 0);
	printf("  mem=64G: %lu deferred blocks on node 0\n", deferred);
	done(m);
}

/*
 * The wholly free 4 MiB blocks of partly reserved sections are deferred too,
 * and the allocator initialises one block at a time; the blocks come out in
 * the order an eager boot (deferred_struct_pages=off) hands them out.
 */
static void take_blocks(const char *cmdline, unsigned long *pfns, int n, unsigned long *deferred)
{
	struct kmm_machine *m = boot(cmdline);
	struct page **held = calloc((size_t)n, sizeof(*held));
	struct zone *dma32 = zone_of(m, 0, ZONE_DMA32);

	assert_true(held != NULL);
	deferred[0] = dma32->nr_deferred_blocks;
	for (int i = 0; i < n; i++) {
		unsigned int order = (unsigned int)(i % 3 == 0 ? MAX_PAGE_ORDER : i % 11);

		held[i] = alloc_pages(GFP_DMA32 | __GFP_NOWARN, order);
		assert_true(held[i] != NULL);
		pfns[i] = page_to_pfn_m(m, held[i]);
	}
	deferred[1] = dma32->nr_deferred_blocks;
	expect_eq(kmm_check(m), 0);
	for (int i = 0; i < n; i++)
		__free_pages(held[i], (unsigned int)(i % 3 == 0 ? MAX_PAGE_ORDER : i % 11));
	free(held);
	done(m);
}

TEST(x86_64_partly_reserved_sections_defer_their_free_blocks)
{
	enum { N = 60 };
	unsigned long eager[N], lazy[N], de[2], dl[2];
	struct kmm_machine *m = boot("mem=4G");
	unsigned long mixed_deferred = 0;

	/* Section 0 holds the first MiB, ZONE_DMA and the kernel image: mixed, yet mostly deferred. */
	expect_eq(m->section_state[0], SECTION_ONLINE);
	for (unsigned long s = 0; s < m->nr_sections; s++)
		if (m->section_state[s] == SECTION_ONLINE)
			mixed_deferred += (unsigned long)__builtin_popcount(m->section_deferred[s]);
	expect_true(mixed_deferred > 0);
	expect_true((m->section_deferred[0] >> 1) & 1);	/* 4..8 MiB: free */
	expect_eq(pfn_init_state(m, 1024), SECTION_DEFERRED);
	/* pfn 0's chunk (a hole, then reserved RAM) is left for kmm_pfn_to_page() */
	expect_eq(pfn_init_state(m, 0), SECTION_RESERVED);
	expect_true(kmm_pfn_to_page(m, 0) != NULL);
	expect_eq(pfn_init_state(m, 0), SECTION_ONLINE);
	done(m);

	take_blocks("mem=4G deferred_struct_pages=off", eager, N, de);
	take_blocks("mem=4G", lazy, N, dl);
	expect_eq(de[0], 0);
	for (int i = 0; i < N; i++)
		if (eager[i] != lazy[i]) {
			kmm_test_fail(__FILE__, __LINE__, "step %d: eager pfn %#lx, deferred %#lx", i,
				      eager[i], lazy[i]);
			break;
		}
	/* Only about the blocks taken were initialised: whole ones, and enough for the rest. */
	unsigned long whole = 0, small = 0;

	for (int i = 0; i < N; i++) {
		unsigned int order = (unsigned int)(i % 3 == 0 ? MAX_PAGE_ORDER : i % 11);

		if (order == MAX_PAGE_ORDER)
			whole++;
		else
			small += 1UL << order;
	}
	printf("  DMA32: %lu deferred blocks, %lu after %lu whole blocks and %lu pages more\n",
	       dl[0], dl[1], whole, small);
	expect_true(dl[0] - dl[1] >= whole && dl[0] - dl[1] <= whole + small / 1024 + 2);
}

/*
 * The malloc shim's machine (shim/malloc.c boots this line) initialises at
 * boot only the struct pages of 64-frame chunks (one host page of struct
 * pages) that hold a frame which is not reserved, or a hole: the reserved
 * chunks of partly reserved blocks stay untouched as wholly reserved blocks
 * do, and a chunk is initialised alone when someone asks for one of its
 * pages. m->memmap_init_pages counts every struct page initialised.
 */
TEST(shim_machine_initialises_only_chunks_with_free_or_used_frames)
{
	struct kmm_machine *m = boot("mem=4G nr_cpus=4 ram=anon debug_checks=off");
	unsigned long need = 0, partly = 0, lazy_pfn = 0, init0;
	uint64_t *f = malloc(MEMMAP_CHUNK_PAGES * sizeof(*f));

	assert_true(f != NULL);
	init0 = atomic_load(&m->memmap_init_pages);
	for (unsigned long pfn = 0; pfn < m->max_pfn; pfn += MEMMAP_CHUNK_PAGES) {
		int state = pfn_init_state(m, pfn);
		bool used = false;

		if (state == SECTION_ABSENT || state == SECTION_DEFERRED)
			continue;
		assert_eq(kmm_kpageflags(m, pfn, MEMMAP_CHUNK_PAGES, f), 0);
		for (unsigned long i = 0; i < MEMMAP_CHUNK_PAGES; i++)
			used |= !(f[i] & (1ULL << KPF_RESERVED));
		if (used || memblock_overlap(&m->memblock.memory, PFN_PHYS(pfn),
					     PFN_PHYS(pfn + MEMMAP_CHUNK_PAGES)) !=
				    PFN_PHYS(MEMMAP_CHUNK_PAGES))
			need++;
		else if (state == SECTION_RESERVED && m->section_state[pfn >> SECTION_SHIFT] ==
							      SECTION_ONLINE &&
			 m->reserved_chunks[pfn >> MAX_PAGE_ORDER] !=
				 (1u << MEMMAP_CHUNKS_PER_BLOCK) - 1) {
			partly++;	/* a reserved chunk of a block with free or used frames */
			lazy_pfn = pfn + 3;
		}
	}
	printf("  %lu struct pages initialised; %lu chunks hold free or used frames or holes, "
	       "%lu reserved chunks of such blocks untouched\n", init0, need, partly);
	expect_true(init0 <= need * MEMMAP_CHUNK_PAGES);
	expect_true(partly > 0);
	/* Reading every frame's flags initialised nothing. */
	expect_eq(atomic_load(&m->memmap_init_pages), init0);
	/* Asking for one page initialises its chunk alone, as boot would have. */
	assert_true(lazy_pfn != 0);
	struct page *p = kmm_pfn_to_page(m, lazy_pfn);

	assert_true(p != NULL);
	expect_true(PageReserved(p));
	expect_eq(page_ref_count(p), 1);
	expect_eq(page_zone(p), zone_of(m, 0, ZONE_NORMAL));
	expect_eq(atomic_load(&m->memmap_init_pages), init0 + MEMMAP_CHUNK_PAGES);
	expect_eq(pfn_init_state(m, lazy_pfn - 3), SECTION_ONLINE);
	expect_eq(pfn_init_state(m, lazy_pfn - 3 + MEMMAP_CHUNK_PAGES - 1), SECTION_ONLINE);
	kmm_pfn_to_page(m, lazy_pfn + 1);
	expect_eq(atomic_load(&m->memmap_init_pages), init0 + MEMMAP_CHUNK_PAGES);
	free(f);
	done(m);
}

TEST(numa_fake_two_nodes)
{
	struct kmm_machine *m = boot("mem=2G numa=fake=2");

	assert_eq(m->nr_node_ids, 2);
	struct page *p = alloc_pages_node(1, GFP_KERNEL, 0);

	assert_true(p != NULL);
	expect_eq(page_to_nid(p), 1);
	__free_pages(p, 0);
	expect_str_contains(t_dmesg(m), "Built 2 zonelists");
	done(m);
}

TEST(lazy_boot_option)
{
	struct kmm_machine *m = boot("mem=128M buddy=lazy");

	unsigned long lazy0 = 0, lazy = 0;

	expect_true(m->opts.buddy_lazy);
	for (int t = 0; t < MAX_NR_ZONES; t++)
		lazy0 += zone_of(m, 0, (enum zone_type)t)->nr_lazy_free;
	struct page *p = alloc_pages(GFP_KERNEL, 9);

	assert_true(p != NULL);
	__free_pages(p, 9);
	for (int t = 0; t < MAX_NR_ZONES; t++)
		lazy += zone_of(m, 0, (enum zone_type)t)->nr_lazy_free;
	expect_eq(lazy, lazy0 + 512);
	expect_eq(kmm_check(m), 0);
	done(m);
}

TEST(movable_zone_only_for_movable_requests)
{
	struct kmm_machine *m = boot("mem=1G movablecore=256M");
	struct zone *mov = zone_of(m, 0, ZONE_MOVABLE);

	assert_true(populated_zone(mov));
	struct page *u = alloc_pages(GFP_HIGHUSER_MOVABLE, 0);
	struct page *k = alloc_pages(GFP_KERNEL | __GFP_MOVABLE, 0);

	assert_true(u && k);
	expect_eq(page_zonenum(u), ZONE_MOVABLE);	/* highest zone first */
	expect_true(page_zonenum(k) != ZONE_MOVABLE);	/* MOVABLE alone means Normal */
	/* HighMem/Movable min is managed/1024 clamped to [32, 128]. */
	expect_eq(mov->_watermark[WMARK_MIN],
		  KMM_CLAMP(zone_managed_pages(mov) / 1024, 32UL, 128UL));
	__free_pages(u, 0);
	__free_pages(k, 0);
	done(m);
}

/*
 * movablecore= can leave the kernel's own zones with nothing for the boot's
 * own allocations (here memmap= also takes most of DMA): the boot is refused
 * with a message that names the option and says which allocation failed and
 * why, and no machine is left behind. An injected failure at the same point
 * is not blamed on the zones.
 */
TEST(kernel_zones_too_small_for_the_boot_name_the_option)
{
	int before = kmm_test_machines_alive();
	struct kmm_machine *m = kmm_boot("arch=x86_64 mem=64M memmap=15M$1M movablecore=87%");
	const char *err = kmm_last_error();

	expect_true(m == NULL);
	if (m)
		kmm_shutdown(m);
	/* the first of them is the slab's own (kmem_cache_init, as in Linux) */
	expect_str_contains(err, "boot: movablecore=87%: out of memory for the kernel's own "
			    "allocations (slab: kmem_cache_create(kmem_cache): out of memory");
	expect_str_contains(err, "the zones they may use (below HighMem and Movable) manage only ");
	expect_str_contains(err, "(memmap= among them), the rest being ZONE_MOVABLE; give the "
			    "kernel more (a smaller movablecore=, a larger kernelcore=)");
	expect_eq(kmm_test_machines_alive(), before);
	/* the same machine without movablecore= boots */
	m = boot("arch=x86_64 mem=64M memmap=15M$1M");
	done(m);
	/*
	 * An injected failure of the same allocation keeps its own message. Two
	 * in a row: the slab absorbs one failed try by retrying at its minimum
	 * order with the caller's flags, as Linux's allocate_slab() does.
	 */
	m = kmm_boot("arch=x86_64 mem=64M fail_page_alloc=1,100,0,2");
	expect_true(m == NULL);
	if (m)
		kmm_shutdown(m);
	expect_true(strstr(kmm_last_error(), "kernel's own allocations") == NULL);
	expect_str_contains(kmm_last_error(), "slab: ");
	expect_eq(kmm_test_machines_alive(), before);
}

TEST(nowarn_and_ratelimit)
{
	struct kmm_machine *m = boot("mem=64M arch=i386");

	expect_true(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 11) == NULL);
	struct page **held = calloc(16384, sizeof(*held));
	int n = 0;

	while ((held[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 10)))
		n++;
	expect_true(strstr(t_dmesg(m), "page allocation failure") == NULL);
	expect_true(alloc_pages(GFP_KERNEL, 10) == NULL);
	expect_true(alloc_pages(GFP_KERNEL, 10) == NULL);
	/* Two failures within 10 s of virtual time: one report (Linux's ratelimit). */
	const char *log = t_dmesg(m), *first = strstr(log, "page allocation failure");

	assert_true(first != NULL);
	expect_true(strstr(first + 1, "page allocation failure") == NULL);
	warn_alloc_reset_ratelimit(m);
	expect_true(alloc_pages(GFP_KERNEL | __GFP_ZERO, 10) == NULL);
	expect_str_contains(t_dmesg(m), "mode:0xdc0(GFP_KERNEL|__GFP_ZERO)");
	while (n)
		__free_pages(held[--n], 10);
	free(held);
	done(m);
}
