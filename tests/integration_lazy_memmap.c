// SPDX-License-Identifier: MIT
/*
 * tests/integration_lazy_memmap.c - what reaches the struct pages that boot
 * leaves untouched: the reserved 64-frame chunks of partly reserved blocks
 * (mm/mm_init.c, reserved_chunks()), whose vmemmap slots read as zero until
 * kmm_pfn_to_page() initialises them.
 *
 * Who may touch them and how: the pfn walkers (/proc/kpageflags,
 * /proc/pagetypeinfo, the checkers behind kmm_check) ask pfn_init_state()
 * first and describe such a chunk without reading it; kfree(), ksize(),
 * krealloc() and kmem_cache_free() of a pointer into one (bad input) read its
 * raw slot, where zero bytes say what an initialised reserved page says - no
 * slab, no compound page, no large kmalloc - so they refuse it and change
 * nothing; vmalloc_to_page() returns only pages a vmalloc area maps, which
 * were allocated. The checked entries (kmm_pfn_to_page(), virt_to_page())
 * initialise the chunk first.
 */
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>
#include <kmm/slab.h>

#include "mm/include/addr.h"
#include "mm/internal.h"
#include "tests/harness.h"

/*
 * A lowmem pfn of a reserved chunk that boot left untouched in an ONLINE
 * section, or 0. From the second chunk: pfn 0's, also left untouched, holds
 * a hole (pfn 0 itself, outside every zone: KPF_NOPAGE).
 */
static unsigned long untouched_reserved_pfn(struct kmm_machine *m)
{
	for (unsigned long pfn = MEMMAP_CHUNK_PAGES; pfn < m->max_low_pfn; pfn += MEMMAP_CHUNK_PAGES)
		if (m->section_state[pfn >> SECTION_SHIFT] == SECTION_ONLINE &&
		    pfn_init_state(m, pfn) == SECTION_RESERVED)
			return pfn + 5;
	return 0;
}

TEST(bad_pointers_into_an_untouched_reserved_chunk_are_refused_without_touching_it)
{
	/* The malloc shim's machine line: partly reserved blocks with untouched chunks. */
	struct kmm_machine *m = kmm_boot("mem=4G nr_cpus=4 ram=anon debug_checks=off");

	assert_true(m != NULL);
	kmm_use(m);
	unsigned long pfn = untouched_reserved_pfn(m), init0;
	assert_true(pfn != 0);
	struct kmem_cache *s = kmem_cache_create("lazy_memmap", 64, 0, 0, NULL);
	assert_true(s != NULL);
	drain_all_pages(m, NULL);
	unsigned long free0 = kmm_nr_free_pages(m);
	init0 = atomic_load(&m->memmap_init_pages);
	unsigned char *p = (unsigned char *)phys_to_virt_m(m, PFN_PHYS(pfn)) + 128;

	/* The walkers describe the chunk without initialising it. */
	uint64_t flags[MEMMAP_CHUNK_PAGES];
	assert_eq(kmm_kpageflags(m, ALIGN_DOWN(pfn, MEMMAP_CHUNK_PAGES), MEMMAP_CHUNK_PAGES, flags), 0);
	for (unsigned long i = 0; i < MEMMAP_CHUNK_PAGES; i++)
		if (!expect_true(flags[i] & (1ULL << KPF_RESERVED)))
			break;
	char *text = NULL;
	assert_eq(kmm_proc_read(m, "/proc/pagetypeinfo", &text), 0);
	free(text);
	expect_eq(kmm_check(m), 0);
	expect_eq(atomic_load(&m->memmap_init_pages), init0);

	/* Bad input into it: refused, nothing freed or written, the chunk still untouched. */
	kfree(p);
	expect_str_contains(kmm_last_error(), "is not a kmalloc'ed pointer");
	expect_eq(ksize(p), 0);
	kfree_sensitive(p);
	kmem_cache_free(s, p);
	expect_str_contains(kmm_last_error(), "is not a slab object");
	expect_str_contains(kmm_last_error(), "0xffff888");	/* the kernel address, never the host's */
	expect_true(vmalloc_to_page(p) == NULL);
	expect_eq(atomic_load(&m->memmap_init_pages), init0);
	expect_eq(pfn_init_state(m, pfn), SECTION_RESERVED);

	/* The checked entry initialises it: a reserved page, one chunk's worth. */
	struct page *page = virt_to_page(p);
	assert_true(page != NULL);
	expect_true(page == pfn_to_page_m(m, pfn));
	expect_true(PageReserved(page));
	expect_eq(page_ref_count(page), 1);
	expect_eq(atomic_load(&m->memmap_init_pages), init0 + MEMMAP_CHUNK_PAGES);
	expect_eq(pfn_init_state(m, pfn), SECTION_ONLINE);
	/* still refused once initialised (each call after one that set another message) */
	kfree(p);
	expect_str_contains(kmm_last_error(), "is not a kmalloc'ed pointer");
	kmem_cache_free(s, p);
	expect_str_contains(kmm_last_error(), "is not a slab object");
	expect_eq(page_ref_count(page), 1);

	drain_all_pages(m, NULL);
	expect_eq(kmm_nr_free_pages(m), free0);
	kmem_cache_destroy(s);
	expect_eq(kmm_check(m), 0);
	kmm_use(NULL);
	kmm_shutdown(m);
}

/* The first lowmem pfn of a SECTION_LAZY_FREE chunk, or 0. */
static unsigned long lazy_free_pfn(struct kmm_machine *m)
{
	for (unsigned long pfn = 0; pfn < m->max_pfn; pfn += MEMMAP_CHUNK_PAGES)
		if (m->section_state[pfn >> SECTION_SHIFT] == SECTION_ONLINE &&
		    pfn_init_state(m, pfn) == SECTION_LAZY_FREE)
			return pfn;
	return 0;
}

/*
 * The deferred block boot's own allocations split has one chunk of struct
 * pages initialised per chunk the allocator has used (a head, pages handed
 * out), not all sixteen: the rest are free tails, described by the walkers
 * without being touched, initialised by the checked entry or when the
 * allocator reaches them, and read exactly as those of a machine that
 * initialised every struct page at boot.
 */
TEST(a_split_deferred_block_initialises_its_struct_pages_a_chunk_at_a_time)
{
	const char *line = "mem=4G nr_cpus=4 ram=anon debug_checks=off";
	char eager_line[96];

	snprintf(eager_line, sizeof(eager_line), "%s deferred_struct_pages=off", line);
	struct kmm_machine *e = kmm_boot(eager_line);
	assert_true(e != NULL);
	struct kmm_machine *m = kmm_boot(line);
	assert_true(m != NULL);
	unsigned long pfn = lazy_free_pfn(m), init0 = atomic_load(&m->memmap_init_pages);
	assert_true(pfn != 0);
	unsigned long block = ALIGN_DOWN(pfn, MAX_ORDER_NR_PAGES);
	unsigned int untouched = (unsigned int)__builtin_popcount(
		m->reserved_chunks[block >> MAX_PAGE_ORDER]);
	printf("  block at pfn %#lx: %u of %lu chunks untouched\n", block, untouched,
	       MEMMAP_CHUNKS_PER_BLOCK);
	expect_true(untouched > 0 && untouched < MEMMAP_CHUNKS_PER_BLOCK);
	expect_eq(pfn_init_state(m, block), SECTION_ONLINE);	/* the head's chunk */

	/* Every frame of the block reads as on the eager machine, touching nothing. */
	uint64_t fl[MAX_ORDER_NR_PAGES], fe[MAX_ORDER_NR_PAGES];
	assert_eq(kmm_kpageflags(m, block, MAX_ORDER_NR_PAGES, fl), 0);
	assert_eq(kmm_kpageflags(e, block, MAX_ORDER_NR_PAGES, fe), 0);
	for (unsigned long i = 0; i < MAX_ORDER_NR_PAGES; i++)
		if (fl[i] != fe[i]) {
			kmm_test_fail(__FILE__, __LINE__, "pfn %#lx: %#llx lazy, %#llx eager",
				      block + i, (unsigned long long)fl[i], (unsigned long long)fe[i]);
			break;
		}
	/* A range that starts inside the untouched chunk finds its block's head too. */
	assert_eq(kmm_kpageflags(m, pfn + 3, 8, fl), 0);
	assert_eq(kmm_kpageflags(e, pfn + 3, 8, fe), 0);
	for (int i = 0; i < 8; i++)
		expect_eq(fl[i], fe[i]);
	expect_true(fl[0] & (1ULL << KPF_KMM_BUDDY_TAIL));
	char *tl = NULL, *te = NULL;
	assert_eq(kmm_proc_read(m, "/proc/pagetypeinfo", &tl), 0);
	assert_eq(kmm_proc_read(e, "/proc/pagetypeinfo", &te), 0);
	expect_true(strcmp(tl, te) == 0);
	free(tl);
	free(te);
	expect_eq(kmm_check(m), 0);
	expect_eq(atomic_load(&m->memmap_init_pages), init0);
	expect_eq(pfn_init_state(m, pfn), SECTION_LAZY_FREE);

	/* The checked entry initialises one chunk: free tails of the block's zone. */
	struct page *page = kmm_pfn_to_page(m, pfn + 1);
	assert_true(page != NULL);
	expect_true(!PageReserved(page));
	expect_true(!PageBuddy(page));
	expect_eq(page_ref_count(page), 0);
	expect_eq(atomic_load(&page->_mapcount), -1);
	expect_true(page_zone(page) == page_zone(pfn_to_page_m(m, block)));
	expect_eq(atomic_load(&m->memmap_init_pages), init0 + MEMMAP_CHUNK_PAGES);
	expect_eq(pfn_init_state(m, pfn), SECTION_ONLINE);
	expect_eq(pfn_init_state(m, pfn + MEMMAP_CHUNK_PAGES - 1), SECTION_ONLINE);
	expect_eq(kmm_check(m), 0);

	/*
	 * The allocator reaches the others as it hands the block out: take
	 * order-0 pages of the block's migrate type (boot's own allocations
	 * made it unmovable; the smallest free blocks go first) until no chunk
	 * of it is untouched, then give them back.
	 */
	kmm_use(m);
	drain_all_pages(m, NULL);
	unsigned long free0 = kmm_nr_free_pages(m), n = 0, cap = 64 * MAX_ORDER_NR_PAGES;
	gfp_t gfp = get_pageblock_migratetype(pfn_to_page_m(m, block)) == MIGRATE_MOVABLE
			    ? GFP_KERNEL | __GFP_MOVABLE : GFP_KERNEL;
	struct page **pages = malloc(cap * sizeof(*pages));
	assert_true(pages != NULL);
	while (n < cap && (m->section_lazy[block >> SECTION_SHIFT] >>
			   ((block >> MAX_PAGE_ORDER) & ((PAGES_PER_SECTION >> MAX_PAGE_ORDER) - 1))) & 1) {
		pages[n] = alloc_pages(gfp, 0);
		if (!pages[n])
			break;
		n++;
		if (n % 256 == 0)
			expect_eq(kmm_check(m), 0);
	}
	printf("  %lu pages taken\n", n);
	expect_eq(m->reserved_chunks[block >> MAX_PAGE_ORDER], 0);
	/* (another deferred block may have been begun meanwhile: its head's chunk) */
	expect_true(atomic_load(&m->memmap_init_pages) >= init0 + untouched * MEMMAP_CHUNK_PAGES);
	expect_eq(kmm_check(m), 0);
	for (unsigned long i = 0; i < n; i++)
		__free_pages(pages[i], 0);
	free(pages);
	drain_all_pages(m, NULL);
	expect_eq(kmm_nr_free_pages(m), free0);
	expect_eq(kmm_check(m), 0);
	kmm_use(NULL);
	kmm_shutdown(m);
	kmm_shutdown(e);
}
