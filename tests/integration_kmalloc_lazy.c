// SPDX-License-Identifier: MIT
/*
 * tests/integration_kmalloc_lazy.c - kmalloc_caches=lazy (mm/slab_common.c,
 * kmm only): boot makes the kmalloc-* caches alone; a kmalloc-rcl-* or
 * dma-kmalloc-* cache is made by the first kmalloc of its type and size.
 * The malloc shim boots so: it never asks for those 26 caches, whose
 * structures (a struct kmem_cache, a node, the CPUs' slots and sheaves)
 * every process paid for at start (docs/malloc-measured.md "Start cost").
 *
 * Covers: /proc/slabinfo and the kmem_cache objects after boot with and
 * without the option, on the shim's boot line; the first kmalloc of each
 * type making its cache (once), the object coming from it and, for GFP_DMA,
 * from ZONE_DMA; the checkers; the default is Linux's eager boot; a bad
 * value refused by name.
 *
 * And proc_caches=lazy (mm/fork.c, kmm only), which the shim boots with too:
 * the process layer's four caches and its zero page are not made at boot
 * but by the first task, once, listed newest first; a task of such a
 * machine runs as one of an eager machine does (its first read of an
 * untouched page maps the zero page); a bad value is refused by name.
 */
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>
#include <kmm/process.h>

#include "mm/include/mm.h"
#include "mm/include/slab.h"
#include "mm/slab.h"
#include "mm/internal.h"
#include "tests/harness.h"
#include "tests/shim_line.h"

/* The shim's boot line for 4 CPUs, less @without (NULL: whole): tests/shim_line.h. */
static const char *shim_line(const char *without)
{
	static char line[512];

	return t_shim_line(line, sizeof(line), 4, without);
}


/* The number of caches /proc/slabinfo lists, and the kmem_cache row's active objects. */
static int nr_caches(struct kmm_machine *m, long *kmem_cache_objs)
{
	char *text = t_proc(m, "/proc/slabinfo");
	int n = 0;

	assert_true(text != NULL);
	for (const char *l = strchr(text, '\n'); l && l[1]; l = strchr(l + 1, '\n'))
		if (l[1] != '#')
			n++;
	const char *kc = strstr(text, "\nkmem_cache ");
	assert_true(kc != NULL);
	*kmem_cache_objs = strtol(kc + strlen("\nkmem_cache "), NULL, 10);
	free(text);
	return n;
}

static bool has_cache(struct kmm_machine *m, const char *name)
{
	char *text = t_proc(m, "/proc/slabinfo"), key[64];

	assert_true(text != NULL);
	snprintf(key, sizeof(key), "\n%s ", name);
	bool found = strstr(text, key) != NULL;
	free(text);
	return found;
}

TEST(lazy_boot_makes_only_the_normal_kmalloc_caches)
{
	struct kmm_machine *eager = kmm_boot(shim_line(" kmalloc_caches=lazy"));
	struct kmm_machine *lazy = kmm_boot(shim_line(NULL));
	long eager_objs, lazy_objs;

	assert_true(eager != NULL && lazy != NULL);
	int ne = nr_caches(eager, &eager_objs), nl = nr_caches(lazy, &lazy_objs);
	printf("  eager: %d caches, %ld kmem_cache objects; lazy: %d, %ld\n", ne, eager_objs, nl,
	       lazy_objs);
	/* 12 sizes (16..8k with 96 and 192; no 8 with slab_shadow_granule=16) of two types are left out. */
	expect_eq(ne - nl, 24);
	/* Their struct kmem_cache objects (the row counts a CPU slab's objects as active). */
	expect_true(lazy_objs + 20 <= eager_objs);
	expect_true(has_cache(eager, "kmalloc-rcl-64") && has_cache(eager, "dma-kmalloc-64"));
	expect_true(!has_cache(lazy, "kmalloc-rcl-64") && !has_cache(lazy, "dma-kmalloc-64"));
	expect_true(has_cache(lazy, "kmalloc-64") && has_cache(lazy, "kmalloc-8k"));
	expect_eq(kmm_check(lazy), 0);
	kmm_shutdown(lazy);
	kmm_shutdown(eager);
}

TEST(lazy_caches_are_made_by_their_first_kmalloc)
{
	struct kmm_machine *m = kmm_boot(shim_line(NULL));
	long objs0, objs;

	assert_true(m != NULL);
	int n0 = nr_caches(m, &objs0);
	struct kmm_machine *old = kmm_use(m);

	/* A normal kmalloc makes nothing. */
	void *n = kmalloc(100, GFP_KERNEL);
	assert_true(n != NULL);
	expect_eq(nr_caches(m, &objs), n0);

	/* __GFP_RECLAIMABLE: kmalloc-rcl-128 is made, once, and serves both. */
	void *r1 = kmalloc(100, GFP_KERNEL | __GFP_RECLAIMABLE);
	void *r2 = kmalloc(120, GFP_KERNEL | __GFP_RECLAIMABLE);
	assert_true(r1 != NULL && r2 != NULL);
	expect_eq(nr_caches(m, &objs), n0 + 1);
	expect_true(objs >= objs0);
	expect_true(has_cache(m, "kmalloc-rcl-128"));
	expect_true(virt_to_cache_m(m, r1) != NULL && virt_to_cache_m(m, r1) == virt_to_cache_m(m, r2));
	expect_true(!strcmp(virt_to_cache_m(m, r1)->name, "kmalloc-rcl-128"));

	/* GFP_DMA: dma-kmalloc-96 is made, and its slabs come from ZONE_DMA. */
	void *d = kmalloc(80, GFP_KERNEL | __GFP_DMA);
	assert_true(d != NULL);
	expect_eq(nr_caches(m, &objs), n0 + 2);
	expect_true(!strcmp(virt_to_cache_m(m, d)->name, "dma-kmalloc-96"));
	expect_eq(page_zonenum(virt_to_page(d)), ZONE_DMA);
	expect_eq(kmm_check(m), 0);

	kfree(d);
	kfree(r2);
	kfree(r1);
	kfree(n);
	expect_eq(kmm_check(m), 0);
	kmm_use(old);
	kmm_shutdown(m);
}

TEST(eager_is_the_default_and_linux_boot)
{
	struct kmm_machine *dflt = kmm_boot("mem=128M");
	struct kmm_machine *eager = kmm_boot("mem=128M kmalloc_caches=eager");

	assert_true(dflt != NULL && eager != NULL);
	char *a = t_proc(dflt, "/proc/slabinfo"), *b = t_proc(eager, "/proc/slabinfo");
	assert_true(a != NULL && b != NULL);
	expect_true(!strcmp(a, b));
	expect_str_contains(a, "\ndma-kmalloc-8k ");
	free(a);
	free(b);
	kmm_shutdown(eager);
	kmm_shutdown(dflt);
}

TEST(kmalloc_caches_bad_value_is_refused_by_name)
{
	struct kmm_machine *m = kmm_boot("mem=128M kmalloc_caches=sometimes");

	expect_true(m == NULL);
	expect_str_contains(kmm_last_error(), "kmalloc_caches");
	expect_str_contains(kmm_last_error(), "expected eager or lazy, not 'sometimes'");
}

static const char *const proc_cache_names[] = { "mm_struct", "anon_vma", "task_struct",
						 "vm_area_struct" };

TEST(proc_caches_lazy_makes_the_process_caches_at_the_first_task)
{
	struct kmm_machine *eager = kmm_boot(shim_line(" proc_caches=lazy"));
	struct kmm_machine *m = kmm_boot(shim_line(NULL));
	long eager_objs, objs, objs1;

	assert_true(eager != NULL && m != NULL);
	expect_str_contains(shim_line(NULL), " proc_caches=lazy");
	int ne = nr_caches(eager, &eager_objs), n0 = nr_caches(m, &objs);
	for (size_t i = 0; i < 4; i++) {
		expect_true(has_cache(eager, proc_cache_names[i]));
		expect_true(!has_cache(m, proc_cache_names[i]));
	}
	expect_eq(ne - n0, 4);
	expect_true(procs_of(eager)->zero_page != NULL);
	expect_true(procs_of(m)->zero_page == NULL);
	expect_eq(kmm_check(m), 0);

	/* The first task makes them (newest first in slabinfo), and the zero page. */
	struct task_struct *t = kmm_spawn(m, "first");
	assert_true(t != NULL);
	expect_eq(nr_caches(m, &objs1), n0 + 4);
	for (size_t i = 0; i < 4; i++)
		expect_true(has_cache(m, proc_cache_names[i]));
	/* Newest first: the four above the caches boot made, in Linux's order of creation. */
	char *text = t_proc(m, "/proc/slabinfo");
	assert_true(text != NULL);
	const char *row = strstr(text, "\nvm_area_struct ");
	assert_true(row != NULL);
	expect_true(strstr(row, "\ntask_struct ") < strstr(row, "\nanon_vma "));
	expect_true(strstr(row, "\nanon_vma ") < strstr(row, "\nmm_struct "));
	expect_true(strstr(row, "\nmm_struct ") < strstr(row, "\nkmalloc-8k "));
	expect_true(strstr(text, "\nkmalloc-8k ") > row);
	free(text);
	struct page *zero = procs_of(m)->zero_page;
	assert_true(zero != NULL);
	expect_eq(procs_of(m)->zero_pfn, page_to_pfn_m(m, zero));

	/* A read of an untouched anonymous page maps the zero page, as on an eager machine. */
	uint64_t x;
	unsigned char b = 0xee;
	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &x), 0);
	expect_eq(kmm_access(t, x, &b, 1, false), 0);
	expect_eq(b, 0);
	pteval_t v = pgtable_get_pte(&t->mm->pgt, x);
	expect_true(pte_present(v));
	expect_eq(pte_pfn_geo(t->mm->pgt.geo, v), procs_of(m)->zero_pfn);
	assert_eq(kmm_fill(t, x, 0x5a, 1), 0);
	expect_ne(pte_pfn_geo(t->mm->pgt.geo, pgtable_get_pte(&t->mm->pgt, x)), procs_of(m)->zero_pfn);
	expect_eq(kmm_check(m), 0);

	/* A second task and a fork make nothing more. */
	struct task_struct *t2 = kmm_spawn(m, "second");
	assert_true(t2 != NULL);
	struct task_struct *c = kmm_fork(t, "child");
	assert_true(c != NULL);
	expect_eq(nr_caches(m, &objs1), n0 + 4);
	expect_true(procs_of(m)->zero_page == zero);
	expect_eq(kmm_check(m), 0);
	kmm_shutdown(m);
	kmm_shutdown(eager);
}

TEST(proc_caches_eager_is_the_default_and_a_bad_value_is_refused_by_name)
{
	struct kmm_machine *m = kmm_boot("mem=128M");

	assert_true(m != NULL);
	for (size_t i = 0; i < 4; i++)
		expect_true(has_cache(m, proc_cache_names[i]));
	expect_true(procs_of(m)->zero_page != NULL);
	kmm_shutdown(m);
	m = kmm_boot("mem=128M proc_caches=later");
	expect_true(m == NULL);
	expect_str_contains(kmm_last_error(), "proc_caches");
	expect_str_contains(kmm_last_error(), "expected eager or lazy, not 'later'");
}
