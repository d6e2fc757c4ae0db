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

#include <kmm/proc.h>
#include <kmm/slab.h>

#include "mm/include/addr.h"
#include "mm/internal.h"
#include "tests/harness.h"

/* A lowmem pfn of a reserved chunk that boot left untouched in an ONLINE section, or 0. */
static unsigned long untouched_reserved_pfn(struct kmm_machine *m)
{
	for (unsigned long pfn = 0; pfn < m->max_low_pfn; pfn += MEMMAP_CHUNK_PAGES)
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
