// SPDX-License-Identifier: MIT
/*
 * tests/integration_kpageflags.c - kmm_kpageflags() (proc/page.c), what
 * /proc/kpageflags holds: every frame of a machine is described once and
 * agrees with the allocator's own books. Free blocks add up to each zone's
 * NR_FREE_PAGES and to /proc/buddyinfo's counts per order; a block we hold,
 * a slab page, a process's anonymous page and its page table have the bits
 * Linux gives them; frames beyond the last one have no struct page; reading
 * a wholly reserved section does not initialise it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/kmm.h>
#include <kmm/proc.h>
#include <kmm/process.h>
#include <kmm/slab.h>

#include "mm/include/machine.h"
#include "mm/include/mm.h"
#include "mm/include/mm_types.h"
#include "mm/include/vmstat.h"
#include "tests/harness.h"

#define BIT(b) (1ULL << (b))

static uint64_t *all_flags(struct kmm_machine *m, unsigned long extra)
{
	uint64_t *f = calloc(m->max_pfn + extra, sizeof(*f));

	assert_true(f != NULL);
	assert_eq(kmm_kpageflags(m, 0, m->max_pfn + extra, f), 0);
	return f;
}

static int order_of(uint64_t k)
{
	return (int)((k >> KPF_KMM_ORDER_SHIFT) & 15);
}

/* Free blocks per zone and order, from the words, against the allocator's counts. */
static void check_free_books(struct kmm_machine *m, const uint64_t *f)
{
	unsigned long blocks[MAX_NUMNODES][MAX_NR_ZONES][NR_PAGE_ORDERS];
	unsigned long free_pages[MAX_NUMNODES][MAX_NR_ZONES];

	memset(blocks, 0, sizeof(blocks));
	memset(free_pages, 0, sizeof(free_pages));
	for (unsigned long pfn = 0; pfn < m->max_pfn; pfn++) {
		uint64_t k = f[pfn];
		int nid = (int)(k >> KPF_KMM_NODE_SHIFT) & 63, zt = (int)(k >> KPF_KMM_ZONE_SHIFT) & 7;
		if (k & BIT(KPF_NOPAGE))
			continue;
		if (k & BIT(KPF_BUDDY)) {
			int o = order_of(k);
			blocks[nid][zt][o]++;
			free_pages[nid][zt] += 1UL << o;
			/* the block's other pages say so, with the same order */
			for (unsigned long i = 1; i < (1UL << o); i++) {
				if (!expect_true(f[pfn + i] & BIT(KPF_KMM_BUDDY_TAIL)) ||
				    !expect_eq(order_of(f[pfn + i]), o))
					return;
			}
			expect_eq(pfn & ((1UL << o) - 1), 0);	/* aligned */
		}
	}
	for (int n = 0; n < m->nr_node_ids; n++)
		for (int t = 0; t < MAX_NR_ZONES; t++) {
			const struct zone *z = &m->node_data[n]->node_zones[t];
			if (!populated_zone(z))
				continue;
			expect_eq(free_pages[n][t], zone_page_state(z, NR_FREE_PAGES));
			for (int o = 0; o < NR_PAGE_ORDERS; o++)
				expect_eq(blocks[n][t][o], z->free_area[o].nr_free);
		}
}

TEST(free_blocks_match_the_allocators_books)
{
	struct kmm_machine *m = t_boot("mem=256M arch=i386 maxcpus=1");
	struct page *held = alloc_pages(GFP_KERNEL, 3);
	void *obj = kmalloc(64, GFP_KERNEL);

	assert_true(held && obj);
	kmm_drain(m);	/* no pages on per-CPU lists: every free page is a buddy page */
	uint64_t *f = all_flags(m, 100);
	check_free_books(m, f);
	/* beyond the last frame: no struct page, nothing else */
	for (unsigned long i = 0; i < 100; i++)
		expect_eq(f[m->max_pfn + i], BIT(KPF_NOPAGE));
	/* the block we hold: allocated, not free, not on a per-CPU list */
	unsigned long pfn = page_to_pfn_m(m, held);
	for (unsigned long i = 0; i < 8; i++) {
		uint64_t k = f[pfn + i];
		expect_eq(k & (BIT(KPF_BUDDY) | BIT(KPF_KMM_BUDDY_TAIL) | BIT(KPF_KMM_PCP) |
			       BIT(KPF_NOPAGE) | BIT(KPF_SLAB)), 0);
		expect_eq((int)((k >> KPF_KMM_ZONE_SHIFT) & 7), ZONE_NORMAL);
	}
	/* the slab page of the object */
	unsigned long opfn = page_to_pfn_m(m, virt_to_page(obj));
	expect_true(f[opfn] & BIT(KPF_SLAB));
	free(f);
	kfree(obj);
	__free_pages(held, 3);
	t_done(m);
}

TEST(free_pages_on_per_cpu_lists_are_marked)
{
	struct kmm_machine *m = t_boot("mem=128M arch=i386 maxcpus=1");
	struct page *p = alloc_pages(GFP_KERNEL, 0);

	assert_true(p != NULL);
	unsigned long pfn = page_to_pfn_m(m, p);
	__free_pages(p, 0);	/* order 0 goes to this CPU's list */
	uint64_t k;
	assert_eq(kmm_kpageflags(m, pfn, 1, &k), 0);
	expect_true(k & BIT(KPF_KMM_PCP));
	expect_eq(k & (BIT(KPF_BUDDY) | BIT(KPF_KMM_BUDDY_TAIL)), 0);
	kmm_drain(m);
	assert_eq(kmm_kpageflags(m, pfn, 1, &k), 0);
	expect_eq(k & BIT(KPF_KMM_PCP), 0);
	expect_true(k & (BIT(KPF_BUDDY) | BIT(KPF_KMM_BUDDY_TAIL)));
	t_done(m);
}

TEST(a_range_starting_inside_a_free_block)
{
	struct kmm_machine *m = t_boot("mem=128M arch=i386 maxcpus=1");
	uint64_t *f = all_flags(m, 0);

	/* any window gives the same words as the whole scan */
	for (unsigned long pfn = 1; pfn + 3 < m->max_pfn; pfn += 997) {
		uint64_t w[3];
		assert_eq(kmm_kpageflags(m, pfn, 3, w), 0);
		for (int i = 0; i < 3; i++)
			expect_eq(w[i], f[pfn + i]);
	}
	free(f);
	t_done(m);
}

struct pt_check {
	const uint64_t *f;
	uint64_t mask;
	unsigned long present, tables;
};

/* Every upper entry points at a page-table page; every present leaf at a mapped page. */
static int check_entry(const struct kmm_pt_entry *e, void *arg)
{
	struct pt_check *c = arg;
	unsigned long pfn = (unsigned long)((e->value & c->mask) >> 12);

	expect_true(c->f[e->table >> 12] & BIT(KPF_PGTABLE) || e->level == 0);
	if (e->level < 4) {
		expect_true(c->f[pfn] & BIT(KPF_PGTABLE));
		c->tables++;
	} else if (e->value & 1) {
		expect_true(c->f[pfn] & BIT(KPF_MMAP));
		c->present++;
	}
	return 0;
}

TEST(a_process_anon_page_and_its_page_table)
{
	struct kmm_machine *m = t_boot("mem=128M arch=i386 maxcpus=1");
	struct task_struct *t = kmm_spawn(m, "p");
	uint64_t addr = 0;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 16 << 12, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &addr), 0);
	assert_eq(kmm_touch(t, addr, 16 << 12, true), 0);
	uint64_t *f = all_flags(m, 0);
	unsigned long anon = 0, tables = 0;
	for (unsigned long pfn = 0; pfn < m->max_pfn; pfn++) {
		if ((f[pfn] & (BIT(KPF_ANON) | BIT(KPF_MMAP))) == (BIT(KPF_ANON) | BIT(KPF_MMAP)))
			anon++;
		if (f[pfn] & BIT(KPF_PGTABLE))
			tables++;
	}
	expect_eq(anon, global_node_page_state(m, NR_ANON_MAPPED));
	expect_true(anon >= 16);
	/* the root table is not counted in NR_PAGETABLE (as x86's pgd_alloc) */
	expect_eq(tables, global_node_page_state(m, NR_PAGETABLE) + 1);

	/* the tables as kmm_pagetable_for_each() hands them out agree */
	struct kmm_pt_shape shape;
	struct pt_check c = { .f = f };
	assert_eq(kmm_pagetable_for_each(t, &shape, NULL, NULL), 0);
	expect_eq(shape.levels, 2);
	expect_eq(shape.entry_size, 4);
	expect_true(!shape.real[1] && !shape.real[2] && !shape.real[3]);
	expect_eq(shape.shift[0], 22);
	expect_eq(shape.bits[4], 10);
	c.mask = shape.addr_mask;
	assert_eq(kmm_pagetable_for_each(t, NULL, check_entry, &c), 0);
	struct task_mm_info mi;
	task_mm_info(t, &mi);
	expect_eq(c.present, (unsigned long)(mi.rss[MM_ANONPAGES] + mi.rss[MM_FILEPAGES] +
					     mi.rss[MM_SHMEMPAGES]));
	expect_eq(c.tables, mi.nr_ptes);
	free(f);
	kmm_exit(t, 0);
	expect_eq(kmm_pagetable_for_each(t, NULL, check_entry, &c), -ESRCH);	/* a zombie */
	kmm_task_release(t);
	t_done(m);
}

TEST(reserved_sections_stay_untouched)
{
	/* 64 GiB: the mem_map reservation (1 GiB) fills whole sections */
	struct kmm_machine *m = t_boot("mem=64G arch=x86_64 maxcpus=1");
	unsigned long reserved = 0, after = 0;
	uint64_t *f = calloc(PAGES_PER_SECTION, sizeof(*f));

	assert_true(f != NULL);
	for (unsigned long s = 0; s < m->nr_sections; s++)
		reserved += m->section_state[s] == SECTION_RESERVED;
	assert_true(reserved > 0);
	for (unsigned long s = 0; s < m->nr_sections; s++) {
		int state = m->section_state[s];
		assert_eq(kmm_kpageflags(m, s << SECTION_SHIFT, PAGES_PER_SECTION, f), 0);
		for (unsigned long i = 0; i < PAGES_PER_SECTION; i += 1024) {
			uint64_t k = f[i];
			if (state == SECTION_RESERVED)
				expect_true(k & BIT(KPF_RESERVED));
			else if (state == SECTION_DEFERRED)	/* all free, in order-10 blocks */
				expect_true((k & BIT(KPF_BUDDY)) && order_of(k) == MAX_PAGE_ORDER);
			else if (state == SECTION_ABSENT)
				expect_eq(k, BIT(KPF_NOPAGE));
		}
		after += m->section_state[s] == SECTION_RESERVED;
	}
	expect_eq(after, reserved);	/* reading them initialised none */
	free(f);
	t_done(m);
}

/*
 * Blocks boot leaves untouched (free ones deferred, wholly reserved ones of
 * partly reserved sections, the untouched free chunks of the deferred block
 * boot's own allocations split) read exactly as if boot had initialised every
 * struct page (deferred_struct_pages=off): /proc/kpageflags of every frame
 * and /proc/pagetypeinfo; and reading them initialises none.
 */
TEST(untouched_blocks_read_as_initialised_ones)
{
	const char *lines[] = { "mem=4G arch=x86_64 maxcpus=1", "mem=1G arch=i386 maxcpus=1" };

	for (int l = 0; l < 2; l++) {
		char eager_line[96];
		snprintf(eager_line, sizeof(eager_line), "%s deferred_struct_pages=off", lines[l]);
		struct kmm_machine *e = t_boot(eager_line);
		uint64_t *fe = all_flags(e, 0);
		char *pte = NULL, *ptl = NULL;
		assert_eq(kmm_proc_read(e, "/proc/pagetypeinfo", &pte), 0);
		unsigned long nr = e->max_pfn;
		t_done(e);

		struct kmm_machine *m = t_boot(lines[l]);
		unsigned long untouched = 0, after = 0;
		for (unsigned long s = 0; s < m->nr_sections; s++)
			if (m->section_state[s] == SECTION_ONLINE)
				untouched += (unsigned long)__builtin_popcount(m->section_deferred[s] |
									   m->section_reserved[s] |
									   m->section_lazy[s]);
		expect_true(untouched > 0);
		assert_eq(m->max_pfn, nr);
		uint64_t *fl = all_flags(m, 0);
		for (unsigned long pfn = 0; pfn < nr; pfn++)
			if (fe[pfn] != fl[pfn]) {
				kmm_test_fail(__FILE__, __LINE__, "%s: pfn %#lx: %#llx eager, %#llx lazy",
					      lines[l], pfn, (unsigned long long)fe[pfn],
					      (unsigned long long)fl[pfn]);
				break;
			}
		assert_eq(kmm_proc_read(m, "/proc/pagetypeinfo", &ptl), 0);
		if (strcmp(ptl, pte))
			kmm_test_fail(__FILE__, __LINE__, "%s: /proc/pagetypeinfo differs:\n%s\n%s",
				      lines[l], pte, ptl);
		for (unsigned long s = 0; s < m->nr_sections; s++)
			if (m->section_state[s] == SECTION_ONLINE)
				after += (unsigned long)__builtin_popcount(m->section_deferred[s] |
									m->section_reserved[s] |
									m->section_lazy[s]);
		expect_eq(after, untouched);
		free(fe);
		free(fl);
		free(pte);
		free(ptl);
		t_done(m);
	}
}

TEST(bad_calls)
{
	uint64_t k;

	expect_eq(kmm_kpageflags(NULL, 0, 1, &k), -EINVAL);
	struct kmm_machine *m = t_boot("mem=64M arch=i386");
	expect_eq(kmm_kpageflags(m, 0, 1, NULL), -EINVAL);
	t_done(m);
}
