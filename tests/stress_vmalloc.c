// SPDX-License-Identifier: MIT
/*
 * tests/stress_vmalloc.c - seeded random mixes of vmalloc, vzalloc, vmap,
 * vfree, vunmap, kmap/kunmap and kmap_local on i386 (highmem) and x86_64,
 * with the checkers every step under KMM_DEBUG_CHECKS (every 64 otherwise)
 * and every area's contents verified before it is freed.
 */
#include <stdlib.h>

#include "tests/vmalloc_test.h"

#define PAGE 4096UL
#define SLOTS 96

struct slot {
	unsigned char *p;
	unsigned long size;
	unsigned char tag;
	bool is_vmap;
	struct page *pages[8];	/* vmap: the caller's pages */
	unsigned int nr;
};

static void fill(struct slot *s)
{
	for (unsigned long i = 0; i < s->size; i += 509)
		s->p[i] = (unsigned char)(s->tag + i);
}

static bool verify(const struct slot *s)
{
	for (unsigned long i = 0; i < s->size; i += 509)
		if (s->p[i] != (unsigned char)(s->tag + i))
			return false;
	return true;
}

/* vfree the area, or vunmap it and free the caller's pages. */
static void release(const struct slot *s)
{
	if (s->is_vmap) {
		vunmap(s->p);
		for (unsigned int k = 0; k < s->nr; k++)
			__free_page(s->pages[k]);
	} else {
		vfree(s->p);
	}
}

static void run(const char *cmdline)
{
	struct kmm_machine *m = vboot(cmdline);
	uint64_t rng = kmm_test_seed();
	struct slot s[SLOTS] = { 0 };
	int steps = kmm_test_quick() ? 1500 : 8000;

	for (int step = 0; step < steps; step++) {
		int i = (int)(kmm_test_rand(&rng) % SLOTS);
		unsigned int op = (unsigned int)(kmm_test_rand(&rng) % 10);

		if (s[i].p) {
			assert_true(verify(&s[i]));
			release(&s[i]);
			s[i].p = NULL;
		} else if (op < 6) {
			s[i].size = 1 + kmm_test_rand(&rng) % (32 * PAGE);
			s[i].p = op < 3 ? vmalloc(s[i].size) : vzalloc(s[i].size);
			assert_true(s[i].p != NULL);
			if (op >= 3)
				expect_eq(s[i].p[s[i].size - 1], 0);
			s[i].is_vmap = false;
		} else if (op < 8) {
			s[i].nr = 1 + (unsigned int)(kmm_test_rand(&rng) % 8);
			for (unsigned int k = 0; k < s[i].nr; k++)
				assert_true((s[i].pages[k] = alloc_page(GFP_HIGHUSER)) != NULL);
			s[i].p = vmap(s[i].pages, s[i].nr, VM_MAP, KMM_PAGE_KERNEL);
			assert_true(s[i].p != NULL);
			s[i].size = s[i].nr * PAGE;
			s[i].is_vmap = true;
		} else {
			/* kmap and kmap_local a page of some live area: same bytes */
			int j = (int)(kmm_test_rand(&rng) % SLOTS);
			if (s[j].p) {
				struct page *pg = vmalloc_to_page(s[j].p);
				unsigned char *a = kmap(pg);
				assert_true(a != NULL);
				expect_eq(a[0], s[j].p[0]);
				unsigned char *l = kmap_local_page(pg);
				assert_true(l != NULL);
				expect_eq(l[0], s[j].p[0]);
				expect_eq(kunmap_local(l), 0);
				expect_eq(kunmap(pg), 0);
			}
			continue;
		}
		if (s[i].p) {
			s[i].tag = (unsigned char)kmm_test_rand(&rng);
			fill(&s[i]);
		}
#ifndef KMM_DEBUG_CHECKS
		if (step % 64 == 0)
#endif
			assert_eq(kmm_check(m), 0);
	}
	for (int i = 0; i < SLOTS; i++) {
		if (!s[i].p)
			continue;
		expect_true(verify(&s[i]));
		release(&s[i]);
	}
	vdone(m);
}

TEST(random_ops_i386)
{
	run("mem=1G arch=i386");
}

TEST(random_ops_i386_pae)
{
	run("mem=2G arch=i386-pae");
}

TEST(random_ops_x86_64)
{
	run("mem=512M");
}
