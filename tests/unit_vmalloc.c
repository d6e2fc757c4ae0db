// SPDX-License-Identifier: MIT
/*
 * tests/unit_vmalloc.c - the vmalloc and highmem layer on the buddy tests'
 * hand-built 1 GiB i386 machine (tests/buddy_fake.h), with the i386 layout
 * Linux 6.12 gives that machine written in by hand:
 *
 *   lowmem  0xc0000000-0xf8000000 (896 MiB), VMALLOC_START = +8 MiB,
 *   VMALLOC_END 0xff7fe000, PKMAP_BASE 0xff800000 (LAST_PKMAP 1024),
 *   fixmap below FIXADDR_TOP 0xfffff000, 2-level page tables.
 *
 * So these tests need no boot layer; tests/integration_vmalloc.c runs the
 * same API on booted machines.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "tests/buddy_fake.h"
#include "include/kmm/vmalloc.h"
#include "mm/include/pgtable.h"

#define PAGE 4096UL

static struct kmm_machine *vm_machine(void)
{
	struct kmm_machine *m = fake_i386_1g(false);
	struct kmm_layout *l = &m->layout;

	l->page_offset = 0xc0000000;
	l->high_memory = 0xf8000000;
	l->vmalloc_start = 0xf8800000;
	l->vmalloc_end = 0xff7fe000;
	l->pkmap_base = 0xff800000;
	l->last_pkmap = 1024;
	l->fixaddr_top = 0xfffff000;
	l->fixaddr_start = 0xfff4b000;
	l->kernel_text = 0xc1000000;
	l->pgtable_levels = 2;
	m->kimage.text = 5329 << 10;
	m->kimage.data = 2589 << 10;
	m->kimage.init = 696 << 10;
	int err = subsys_init(m, SUBSYS_VMALLOC);
	if (!err)
		err = subsys_init(m, SUBSYS_HIGHMEM);
	if (err)
		kmm_test_fail(__FILE__, __LINE__, "vmalloc/highmem init: %d %s", err, kmm_last_error());
	assert_eq(err, 0);
	assert_eq(vmalloc_prepare_pgtables(m), 0);
	drain_all_pages(m, NULL);
	return m;
}

static void vm_done(struct kmm_machine *m, unsigned long free_before)
{
	vm_unmap_aliases_m(m);
	drain_all_pages(m, NULL);	/* NR_FREE_PAGES does not count pcp lists */
	int err = kmm_check(m);
	if (err)
		kmm_test_fail(__FILE__, __LINE__, "kmm_check: %s", kmm_last_error());
	expect_eq(kmm_nr_free_pages(m), free_before);
	subsys_shutdown_all(m);
	fake_done(m);
}

TEST(init_window_and_no_layout_banner)
{
	struct kmm_machine *m = vm_machine();
	struct kmm_vmalloc_stats st;

	kmm_vmalloc_stats(m, &st);
	expect_eq(st.vstart, 0xf8800000);
	expect_eq(st.vend, 0xff7fe000);
	expect_eq(st.nr_free_areas, 1);
	expect_true(st.have_pgtables);
	expect_eq(lazy_max_pages(m), 2 * 8192);
	/* 6.12's x86 mem_init() prints no "virtual kernel memory layout:" block. */
	expect_true(strstr(t_dmesg(m), "virtual kernel memory layout") == NULL);
	vm_done(m, kmm_nr_free_pages(m));
}

TEST(vmalloc_maps_the_frames_for_real)
{
	struct kmm_machine *m = vm_machine();
	unsigned long before = kmm_nr_free_pages(m);
	unsigned char *v = vmalloc(40 * PAGE);
	int high = 0;

	assert_true(v != NULL);
	expect_eq(kmm_virt_addr(m, v), 0xf8800000);
	expect_true(is_vmalloc_addr(v));
	for (size_t i = 0; i < 40 * PAGE; i++)
		v[i] = (unsigned char)(i ^ (i >> 12));
	for (int i = 0; i < 40; i++) {
		struct page *pg = vmalloc_to_page(v + i * PAGE + 5);
		assert_true(pg != NULL);
		if (page_zonenum(pg) == ZONE_HIGHMEM) {
			high++;
			expect_true(page_address(pg) == NULL);
		}
		unsigned char *k = kmap(pg);
		assert_true(k != NULL);
		for (size_t j = 0; j < PAGE; j += 97)
			expect_eq(k[j], (unsigned char)((i * PAGE + j) ^ (size_t)i));
		k[1] = 0xee;
		expect_eq(v[i * PAGE + 1], 0xee);
		kunmap(pg);
	}
	expect_eq(high, 40);	/* vmalloc uses __GFP_HIGHMEM */
	/* The kernel page table agrees: 2-level entries, present, with the frame. */
	char *info = NULL;
	struct strbuf sb;
	sb_init(&sb);
	assert_eq(vmalloc_info_show(m, &sb), 0);
	info = sb_detach(&sb);
	expect_str_contains(info, "0xf8800000-0xf8829000  167936 ");
	expect_str_contains(info, " pages=40 vmalloc N0=40\n");
	free(info);
	assert_eq(kmm_check(m), 0);
	vfree(v);
	sb_init(&sb);
	vmalloc_info_show(m, &sb);
	info = sb_detach(&sb);
	expect_str_contains(info, "0xf8800000-0xf8829000  167936 unpurged vm_area\n");
	free(info);
	vm_done(m, before);
}

TEST(fill_the_space_exactly_then_one_more_fails)
{
	struct kmm_machine *m = vm_machine();
	unsigned long before = kmm_nr_free_pages(m);
	struct page *pg = alloc_page(GFP_KERNEL);
	struct kmm_vmalloc_stats st;

	kmm_vmalloc_stats(m, &st);
	unsigned int count = (unsigned int)((st.vend - st.vstart) / PAGE - 1);
	struct page **pages = malloc(count * sizeof(*pages));
	for (unsigned int i = 0; i < count; i++)
		pages[i] = pg;
	char *all = vmap(pages, count, VM_MAP, KMM_PAGE_KERNEL);
	assert_true(all != NULL);
	kmm_vmalloc_stats(m, &st);
	expect_eq(st.free_bytes, 0);
	all[7] = 7;
	expect_eq(all[(size_t)(count - 1) * PAGE + 7], 7);
	expect_true(vmalloc(1) == NULL);
	expect_str_contains(kmm_last_error(), "vmap allocation for size 8192 failed");
	assert_eq(kmm_check(m), 0);
	vunmap(all);
	free(pages);
	__free_page(pg);
	vm_done(m, before);
}

TEST(area_tree_random_with_checker)
{
	struct kmm_machine *m = vm_machine();
	unsigned long before = kmm_nr_free_pages(m);
	uint64_t rng = kmm_test_seed();
	enum { SLOTS = 128 };
	char *p[SLOTS] = { 0 };
	int steps = kmm_test_quick() ? 1000 : 5000;

	for (int s = 0; s < steps; s++) {
		int i = (int)(kmm_test_rand(&rng) % SLOTS);
		if (p[i]) {
			expect_eq(p[i][0], (char)i);
			vfree(p[i]);
			p[i] = NULL;
		} else {
			unsigned long align = PAGE << (kmm_test_rand(&rng) % 6);
			unsigned long size = 1 + kmm_test_rand(&rng) % (24 * PAGE);
			p[i] = kmm_vmalloc_caller(m, size, align, GFP_KERNEL, -1, 0, "stress");
			assert_true(p[i] != NULL);
			expect_eq(kmm_virt_addr(m, p[i]) % align, 0);
			p[i][0] = (char)i;
		}
#ifndef KMM_DEBUG_CHECKS
		if (s % 50 == 0)
#endif
			assert_eq(kmm_check(m), 0);
	}
	for (int i = 0; i < SLOTS; i++)
		vfree(p[i]);
	vm_done(m, before);
}

TEST(kmap_exhaustion_and_local_stack)
{
	struct kmm_machine *m = vm_machine();
	unsigned long before = kmm_nr_free_pages(m);
	struct page *pg[1025];

	for (int i = 0; i < 1025; i++)
		assert_true((pg[i] = alloc_page(GFP_HIGHUSER)) != NULL);
	for (int i = 0; i < 1024; i++)
		assert_true(kmap(pg[i]) != NULL);
	expect_true(kmap(pg[1024]) == NULL);
	expect_str_contains(kmm_last_error(), "LAST_PKMAP=1024");
	assert_eq(kmm_check(m), 0);
	kunmap(pg[500]);
	expect_true(kmap(pg[1024]) != NULL);
	expect_true(page_address(pg[500]) == NULL);
	for (int i = 0; i < 1025; i++)
		if (i != 500)
			expect_eq(kunmap(pg[i]), 0);
	char *a = kmap_local_page(pg[0]), *b = kmap_atomic(pg[1]);
	assert_true(a && b);
	expect_eq(kunmap_local(a), -EINVAL);
	expect_eq(kunmap_atomic(b), 0);
	expect_eq(kunmap_local(a), 0);
	assert_eq(kmm_check(m), 0);
	for (int i = 0; i < 1025; i++)
		__free_page(pg[i]);
	vm_done(m, before);
}

struct worker {
	struct kmm_machine *m;
	uint64_t seed;
	int steps;
	int bad;
};

static void *vmalloc_worker(void *arg)
{
	struct worker *w = arg;
	uint64_t rng = w->seed;

	kmm_use(w->m);
	for (int s = 0; s < w->steps; s++) {
		unsigned long pages = 1 + kmm_test_rand(&rng) % 16;
		unsigned char *p = vmalloc(pages * PAGE);
		if (!p) {
			w->bad++;
			continue;
		}
		for (unsigned long i = 0; i < pages; i++)
			p[i * PAGE] = (unsigned char)(s + i);
		for (unsigned long i = 0; i < pages; i++)
			if (p[i * PAGE] != (unsigned char)(s + i))
				w->bad++;
		/* A highmem page through kmap_local, on this thread's CPU slot. */
		struct page *pg = vmalloc_to_page(p);
		unsigned char *k = kmap_local_page(pg);
		if (!k || k[0] != (unsigned char)s)
			w->bad++;
		if (k)
			kunmap_local(k);
		vfree(p);
	}
	return NULL;
}

TEST(two_threads)
{
	struct kmm_machine *m = vm_machine();
	unsigned long before = kmm_nr_free_pages(m);
	struct worker w[2];
	pthread_t t[2];

	for (int i = 0; i < 2; i++) {
		w[i] = (struct worker){ m, kmm_test_seed() + (uint64_t)i, kmm_test_quick() ? 300 : 2000, 0 };
		assert_eq(pthread_create(&t[i], NULL, vmalloc_worker, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		expect_eq(w[i].bad, 0);
	}
	vm_done(m, before);
}

/* How many of the @n pages at @p the host reports resident in this mapping (mincore). */
static int host_resident(const void *p, int n)
{
	unsigned char vec[64];
	int r = 0;

	assert_true(n <= 64);
	assert_eq(mincore((void *)p, (size_t)n * PAGE, vec), 0);
	for (int i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

/*
 * A store under a sanitizer first touches the sanitizer's shadow of the
 * stored-to page, and the thread's fault count shows those faults (review20
 * R5: 2 under ASan, 30 under TSan): there the two tests below cannot count
 * the area's own faults, and check the rest.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define STORES_FAULT_IN_SHADOW 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define STORES_FAULT_IN_SHADOW 1
#else
#define STORES_FAULT_IN_SHADOW 0
#endif
#else
#define STORES_FAULT_IN_SHADOW 0
#endif

/*
 * The host maps an area's frames when vmalloc returns, as Linux writes
 * every PTE of the area then: storing to each page takes no host fault.
 * vfree clears the kernel's PTEs at once; the host's mapping of the range
 * stands, as a TLB's stale entries do, until the purge (the batch's one
 * flush), which makes the range an inaccessible reservation again.
 */
TEST(the_host_maps_an_area_at_once_and_forgets_it_at_the_purge)
{
	struct kmm_machine *m = vm_machine();
	unsigned long before = kmm_nr_free_pages(m);
	struct rusage r0, r1;
	unsigned char *v = vmalloc(16 * PAGE);

	assert_true(v != NULL);
	assert_eq(getrusage(RUSAGE_THREAD, &r0), 0);
	for (int i = 0; i < 16; i++)
		v[i * PAGE] = (unsigned char)(i + 1);
	assert_eq(getrusage(RUSAGE_THREAD, &r1), 0);
	if (!STORES_FAULT_IN_SHADOW)
		expect_eq(r1.ru_minflt - r0.ru_minflt, 0);
	expect_eq(host_resident(v, 17), 16);	/* the guard page is not mapped */
	vfree(v);
	expect_true(vmalloc_to_page(v) == NULL);	/* the PTE went with vfree */
	expect_eq(host_resident(v, 16), 16);	/* the host's stale mapping */
	vm_unmap_aliases_m(m);
	expect_eq(host_resident(v, 16), 0);
	vm_done(m, before);
}

/*
 * An area of scattered frames is one host mapping per run of them: those go
 * at vunmap, not at the purge (a thousand such areas left standing would be
 * tens of thousands of host mappings). Populated all the same: one madvise
 * for the runs, no fault at a store.
 */
TEST(an_area_of_scattered_frames_leaves_no_host_mappings_behind)
{
	struct kmm_machine *m = vm_machine();
	unsigned long before = kmm_nr_free_pages(m);
	struct page *block = alloc_pages(GFP_KERNEL, 3), *pages[4];
	struct rusage r0, r1;

	assert_true(block != NULL);
	for (int i = 0; i < 4; i++)
		pages[i] = block + 2 * i;	/* frames 0, 2, 4, 6 of the block: four runs */
	unsigned char *v = vmap(pages, 4, VM_MAP, KMM_PAGE_KERNEL);
	assert_true(v != NULL);
	assert_eq(getrusage(RUSAGE_THREAD, &r0), 0);
	for (int i = 0; i < 4; i++)
		v[i * PAGE] = (unsigned char)(i + 1);
	assert_eq(getrusage(RUSAGE_THREAD, &r1), 0);
	if (!STORES_FAULT_IN_SHADOW)
		expect_eq(r1.ru_minflt - r0.ru_minflt, 0);
	for (int i = 0; i < 4; i++)
		expect_eq(vmalloc_to_page(v + i * PAGE), pages[i]);
	expect_eq(host_resident(v, 4), 4);
	vunmap(v);
	expect_eq(host_resident(v, 4), 0);	/* gone before the purge */
	struct kmm_vmalloc_stats st;
	kmm_vmalloc_stats(m, &st);
	expect_eq(st.lazy_pages, 5);		/* the range itself waits for it */
	__free_pages(block, 3);
	vm_done(m, before);
}

/*
 * At most 1,024 lazy areas (VMALLOC_LAZY_HOST_MAX) keep their host mapping,
 * two host mappings each, against the host's per-process limit
 * (vm.max_map_count): the 1,025th vfree unmaps the newest on the host in one
 * sweep; they stay lazy (no purge, the same counts) until the purge.
 */
TEST(at_most_1024_lazy_areas_keep_their_host_mapping)
{
	struct kmm_machine *m = vm_machine();
	unsigned long before = kmm_nr_free_pages(m);
	struct kmm_vmalloc_stats st0, st;
	unsigned char *first = NULL;

	kmm_vmalloc_stats(m, &st0);
	for (int i = 0; i < 1025; i++) {
		unsigned char *v = vmalloc(PAGE);

		assert_true(v != NULL);
		v[0] = 1;
		if (!first)
			first = v;
		vfree(v);
		if (i == 1023)
			expect_eq(host_resident(first, 1), 1);	/* 1,024 standing */
	}
	expect_eq(host_resident(first, 1), 0);
	kmm_vmalloc_stats(m, &st);
	expect_eq(st.nr_purges, st0.nr_purges);
	expect_eq(st.lazy_pages, 1025 * 2);
	vm_done(m, before);
}
