// SPDX-License-Identifier: MIT
/*
 * tests/buddy_fake.h - a hand-built machine for the buddy allocator's
 * white-box tests: zones laid out exactly as the test says, every free frame
 * handed to the buddy in ascending, maximally aligned blocks (as memblock
 * does), optionally with whole sections deferred. No boot layer involved, so
 * every number a test checks can be worked out by hand.
 */
#ifndef KMM_TESTS_BUDDY_FAKE_H
#define KMM_TESTS_BUDDY_FAKE_H

#include <stdlib.h>
#include <string.h>

#include "mm/internal.h"
#include "tests/harness.h"

struct fake_zone_spec {
	enum zone_type type;
	unsigned long start, end;	/* pfns */
	int nid;			/* node (0 unless given) */
};

struct fake_spec {
	enum kmm_arch arch;
	int nr_zones;
	struct fake_zone_spec zones[MAX_NR_ZONES];
	unsigned long first_free;	/* pfns below are reserved */
	unsigned long defer_from;	/* whole sections at or above are deferred (0: none) */
	bool lazy;
	int pageblock_order;
	int nr_cpus;
};

static inline void fake_free_range(struct kmm_machine *m, unsigned long start, unsigned long end)
{
	while (start < end) {
		unsigned int order = MAX_PAGE_ORDER;

		while (order && (!IS_ALIGNED(start, 1UL << order) || start + (1UL << order) > end))
			order--;
		__free_pages_core(pfn_to_page_m(m, start), order);
		start += 1UL << order;
	}
}

static inline struct kmm_machine *fake_boot(const struct fake_spec *fs)
{
	struct kmm_machine *m = kmm_machine_alloc();
	unsigned long max_pfn = fs->zones[fs->nr_zones - 1].end;
	int nr_nodes = 1;

	assert_true(m != NULL);
	for (int i = 0; i < fs->nr_zones; i++)
		nr_nodes = KMM_MAX(nr_nodes, fs->zones[i].nid + 1);
	m->opts.arch = fs->arch;
	m->opts.buddy_lazy = fs->lazy;
	m->nr_cpus = fs->nr_cpus;
	assert_eq(kmm_cpus_init(m), 0);
	m->cpu_lockless = false;	/* slots under their locks (slab_fake.h's own_this_slot()) */
	m->pageblock_order = fs->pageblock_order;
	m->pageblock_nr_pages = 1UL << fs->pageblock_order;
	m->max_pfn = max_pfn;
	m->max_low_pfn = max_pfn;
	m->nr_node_ids = nr_nodes;
	for (int n = 0; n < nr_nodes; n++) {
		pg_data_t *pgdat = pgdat_alloc(nr_nodes);

		assert_true(pgdat != NULL);
		m->node_data[n] = pgdat;
		pgdat->node_id = n;
		for (int t = 0; t < MAX_NR_ZONES; t++) {
			struct zone *z = &pgdat->node_zones[t];

			z->type = (enum zone_type)t;
			z->node = n;
			z->machine = m;
			z->zone_pgdat = pgdat;
		}
	}
	m->zone_types_mask = 1u << ZONE_MOVABLE;
	for (int i = 0; i < fs->nr_zones; i++) {
		m->zone_types_mask |= 1u << fs->zones[i].type;
		if (fs->zones[i].type == ZONE_HIGHMEM)
			m->max_low_pfn = fs->zones[i].start;
	}
	if (fs->arch != KMM_ARCH_X86_64)
		m->zone_types_mask |= 1u << ZONE_HIGHMEM;
	else
		m->zone_types_mask |= 1u << ZONE_DMA32;
	assert_eq(sim_ram_create(&m->ram, max_pfn << PAGE_SHIFT, m->max_low_pfn << PAGE_SHIFT,
				 false, false), 0);
	m->nr_sections = DIV_ROUND_UP(max_pfn, PAGES_PER_SECTION);
	m->vmemmap_bytes = m->nr_sections * PAGES_PER_SECTION * sizeof(struct page);
	m->vmemmap = sim_reserve(m->vmemmap_bytes, true);
	m->section_state = calloc(m->nr_sections, 1);
	m->section_deferred = calloc(m->nr_sections, sizeof(*m->section_deferred));
	assert_true(m->vmemmap && m->section_state && m->section_deferred);
	for (int i = 0; i < fs->nr_zones; i++) {
		pg_data_t *pgdat = m->node_data[fs->zones[i].nid];
		struct zone *z = &pgdat->node_zones[fs->zones[i].type];

		z->zone_start_pfn = fs->zones[i].start;
		z->spanned_pages = z->present_pages = fs->zones[i].end - fs->zones[i].start;
		assert_eq(zone_init_free_lists(z), 0);
		if ((int)fs->zones[i].type + 1 > pgdat->nr_zones)
			pgdat->nr_zones = (int)fs->zones[i].type + 1;
	}
	for (unsigned long s = 0; s < m->nr_sections; s++)
		m->section_state[s] = SECTION_ONLINE;
	for (int i = 0; i < fs->nr_zones; i++) {
		const struct fake_zone_spec *zs = &fs->zones[i];
		struct zone *z = &m->node_data[zs->nid]->node_zones[zs->type];
		unsigned long eager_end = zs->end;

		if (fs->defer_from) {
			unsigned long d = ALIGN_UP(KMM_MAX(fs->defer_from, zs->start), PAGES_PER_SECTION);

			if (d + PAGES_PER_SECTION <= zs->end)
				eager_end = d;
		}
		for (unsigned long pfn = zs->start; pfn < eager_end; pfn++)
			__init_single_page(m, pfn_to_page_m(m, pfn), pfn, zs->type, zs->nid);
		fake_free_range(m, KMM_MAX(zs->start, fs->first_free), eager_end);
		for (unsigned long s = eager_end; s + PAGES_PER_SECTION <= zs->end; s += PAGES_PER_SECTION)
			zone_add_deferred_section(z, s);
	}
	build_all_zonelists(m);
	init_per_zone_wmark_min(m);
	kmm_use(m);
	return m;
}

static inline void fake_done(struct kmm_machine *m)
{
	int err = page_alloc_check(m);

	if (err)
		kmm_test_fail(__FILE__, __LINE__, "page_alloc_check: %s", kmm_last_error());
	for (int n = 0; n < m->nr_node_ids; n++) {
		for (int t = 0; t < MAX_NR_ZONES; t++)
			zone_free_pcp(&m->node_data[n]->node_zones[t]);
		free(m->node_data[n]);
	}
	sim_release(m->vmemmap, m->vmemmap_bytes);
	sim_ram_destroy(&m->ram);
	free(m->section_state);
	free(m->section_deferred);
	if (kmm_current() == m)
		kmm_use(NULL);
	kmm_machine_free(m);
}

/* The 1 GiB i386 box: DMA 256..4095 free, Normal to 896 MiB, HighMem to 1 GiB. */
static inline struct kmm_machine *fake_i386_1g(bool lazy)
{
	struct fake_spec fs = {
		.arch = KMM_ARCH_I386, .nr_zones = 3,
		.zones = { { ZONE_DMA, 0, 4096, 0 }, { ZONE_NORMAL, 4096, 229376, 0 },
			   { ZONE_HIGHMEM, 229376, 262144, 0 } },
		.first_free = 256, .lazy = lazy, .pageblock_order = 10, .nr_cpus = 2,
	};

	return fake_boot(&fs);
}

/* A 768 MiB x86_64 box, sections above 256 MiB deferred (or not). */
static inline struct kmm_machine *fake_x86_64_768m(bool lazy, bool deferred)
{
	struct fake_spec fs = {
		.arch = KMM_ARCH_X86_64, .nr_zones = 3,
		.zones = { { ZONE_DMA, 0, 4096, 0 }, { ZONE_DMA32, 4096, 131072, 0 },
			   { ZONE_NORMAL, 131072, 196608, 0 } },
		.first_free = 256, .defer_from = deferred ? 65536 : 0, .lazy = lazy,
		.pageblock_order = 9, .nr_cpus = 2,
	};

	return fake_boot(&fs);
}

#endif /* KMM_TESTS_BUDDY_FAKE_H */
