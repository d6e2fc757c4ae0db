// SPDX-License-Identifier: MIT
/*
 * tests/integration_vmalloc.c - vmalloc, vmap, ioremap through the public API.
 *
 * The first group follows Linux's lib/test_vmalloc.c cases (fix_size,
 * full_fit, long_busy_list, fix_align, random_size_align, align_shift,
 * random_size); then filling the vmalloc space exactly, lazy purging, the
 * views, and the point of it all: bytes written through a vmalloc address
 * are the bytes of the frames it was built from.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/vmalloc_test.h"

#define PAGE 4096UL

static unsigned long free_bytes(struct kmm_machine *m)
{
	struct kmm_vmalloc_stats st;

	kmm_vmalloc_stats(m, &st);
	return (unsigned long)st.free_bytes;
}

static void done(struct kmm_machine *m)
{
	vdone(m);
}

TEST(fix_size_alloc)
{
	struct kmm_machine *m = vboot("mem=256M");
	int loops = kmm_test_quick() ? 200 : 1000;

	for (int i = 0; i < loops; i++) {
		char *p = vmalloc(3 * PAGE);
		assert_true(p != NULL);
		p[0] = 1;
		p[3 * PAGE - 1] = 2;
		vfree(p);
	}
	expect_eq(kmm_check(m), 0);
	done(m);
}

/*
 * full_fit: allocate a run of equal areas, free every other one, and ask
 * for the same size again: each request fills a hole exactly (fit type FL).
 */
TEST(full_fit_alloc)
{
	struct kmm_machine *m = vboot("mem=256M arch=i386");
	enum { N = 64 };
	void *p[N];
	struct kmm_vmalloc_stats st;

	for (int i = 0; i < N; i++)
		assert_true((p[i] = vmalloc(PAGE)) != NULL);
	for (int i = 0; i < N; i += 2)
		vfree(p[i]);
	vm_unmap_aliases_m(m);
	kmm_vmalloc_stats(m, &st);
	unsigned long long holes = st.nr_free_areas;
	for (int i = 0; i < N; i += 2) {
		void *q = vmalloc(PAGE);
		assert_true(q != NULL);
		/* The lowest hole is taken: where the freed area was. */
		expect_true(q == p[i]);
		p[i] = q;
	}
	kmm_vmalloc_stats(m, &st);
	expect_eq(st.nr_free_areas, holes - N / 2);
	assert_eq(kmm_check(m), 0);
	for (int i = 0; i < N; i++)
		vfree(p[i]);
	done(m);
}

/* Many live areas with holes, then allocations keep working in O(log n). */
TEST(long_busy_list_alloc)
{
	struct kmm_machine *m = vboot("mem=512M");
	int n = kmm_test_quick() ? 2000 : 10000;
	void **p = calloc((size_t)n, sizeof(*p));
	struct page *pg = alloc_page(GFP_KERNEL);

	assert_true(p && pg);
	for (int i = 0; i < n; i++)
		assert_true((p[i] = vmap(&pg, 1, VM_MAP, KMM_PAGE_KERNEL)) != NULL);
	for (int i = 0; i < n; i += 3)
		vunmap(p[i]);
	assert_eq(kmm_check(m), 0);
	for (int i = 0; i < 500; i++) {
		char *q = vmalloc(PAGE);
		assert_true(q != NULL);
		q[0] = (char)i;
		vfree(q);
	}
	for (int i = 0; i < n; i++)
		if (i % 3)
			vunmap(p[i]);
	assert_eq(kmm_check(m), 0);
	__free_page(pg);
	free(p);
	done(m);
}

TEST(fix_align_alloc)
{
	struct kmm_machine *m = vboot("mem=256M");

	for (int shift = 12; shift <= 22; shift++) {
		unsigned long align = 1UL << shift;
		void *p = kmm_vmalloc_caller(m, 5 * PAGE, align, GFP_KERNEL, -1, 0, "fix_align");
		assert_true(p != NULL);
		expect_eq(kmm_virt_addr(m, p) % align, 0);
		vfree(p);
	}
	assert_eq(kmm_check(m), 0);
	done(m);
}

TEST(random_size_align_alloc)
{
	struct kmm_machine *m = vboot("mem=256M");
	uint64_t rng = kmm_test_seed();
	int loops = kmm_test_quick() ? 300 : 2000;

	for (int i = 0; i < loops; i++) {
		unsigned long align = PAGE << (kmm_test_rand(&rng) % 8);
		unsigned long size = 1 + kmm_test_rand(&rng) % (16 * PAGE);
		void *p = kmm_vmalloc_caller(m, size, align, GFP_KERNEL, -1, 0, "random_align");
		assert_true(p != NULL);
		expect_eq(kmm_virt_addr(m, p) % align, 0);
		vfree(p);
#ifdef KMM_DEBUG_CHECKS
		assert_eq(kmm_check(m), 0);
#endif
	}
	assert_eq(kmm_check(m), 0);
	done(m);
}

/*
 * align_shift: every power-of-two alignment from 1 byte up. Small ones mean
 * PAGE_SIZE; the ones the space can still honour succeed; beyond that the
 * request fails cleanly (Linux's test is expected to fail there too).
 */
TEST(align_shift_alloc)
{
	struct kmm_machine *m = vboot("mem=256M arch=i386");
	struct kmm_vmalloc_stats st;
	unsigned long before = free_bytes(m);

	kmm_vmalloc_stats(m, &st);
	for (int shift = 0; shift < 32; shift++) {
		unsigned long align = 1UL << shift;
		void *p = kmm_vmalloc_caller(m, PAGE, align, GFP_KERNEL, -1, 0, "align_shift");
		/* Some aligned address in [vstart, vend) leaves room for page + guard? */
		uint64_t first = (st.vstart + align - 1) & ~((uint64_t)align - 1);
		bool can = align <= PAGE || first + 2 * PAGE <= st.vend;
		expect_eq(p != NULL, can);
		if (p) {
			expect_eq(kmm_virt_addr(m, p) % align, 0);
			vfree(p);
		} else {
			expect_str_contains(kmm_last_error(), "vmap allocation");
		}
		vm_unmap_aliases_m(m);
		expect_eq(free_bytes(m), before);
	}
	expect_true(kmm_vmalloc_caller(m, PAGE, 3 * PAGE, GFP_KERNEL, -1, 0, "x") == NULL);
	expect_str_contains(kmm_last_error(), "power of two");
	done(m);
}

/* random_size: a random mix of live areas, checked as it goes. */
TEST(random_size_alloc)
{
	struct kmm_machine *m = vboot("mem=512M arch=i386");
	uint64_t rng = kmm_test_seed();
	enum { SLOTS = 256 };
	char *p[SLOTS] = { 0 };
	unsigned long sz[SLOTS] = { 0 };
	int steps = kmm_test_quick() ? 2000 : 10000;

	for (int s = 0; s < steps; s++) {
		int i = (int)(kmm_test_rand(&rng) % SLOTS);
		if (p[i]) {
			/*
			 * The bytes written at allocation are still there. A
			 * one-byte area has one byte: its first is its last.
			 */
			expect_eq(p[i][0], (char)i);
			if (sz[i] > 1)
				expect_eq(p[i][sz[i] - 1], (char)~i);
			vfree(p[i]);
			p[i] = NULL;
		} else {
			sz[i] = 1 + kmm_test_rand(&rng) % (64 * PAGE);
			p[i] = vmalloc(sz[i]);
			assert_true(p[i] != NULL);
			p[i][0] = (char)i;
			if (sz[i] > 1)
				p[i][sz[i] - 1] = (char)~i;
		}
#ifndef KMM_DEBUG_CHECKS
		if (s % 128 == 0)
#endif
			assert_eq(kmm_check(m), 0);
	}
	for (int i = 0; i < SLOTS; i++)
		vfree(p[i]);
	done(m);
}

/* Fill the vmalloc space to the last page, then one more page must fail. */
TEST(fill_vmalloc_space_exactly)
{
	struct kmm_machine *m = vboot("mem=1G arch=i386");
	struct kmm_vmalloc_stats st;
	/* A 4 MiB block mapped over and over: few host mappings, no RAM needed. */
	struct page *pg = alloc_pages(GFP_KERNEL, 10);

	assert_true(pg != NULL);
	vm_unmap_aliases_m(m);
	kmm_vmalloc_stats(m, &st);
	/* One free block: the whole space. An area = its pages + one guard page. */
	assert_eq(st.nr_free_areas, 1);
	assert_eq(st.free_bytes, st.vend - st.vstart);
	unsigned int count = (unsigned int)(st.free_bytes / PAGE - 1);
	struct page **pages = malloc(count * sizeof(*pages));
	assert_true(pages != NULL);
	for (unsigned int i = 0; i < count; i++)
		pages[i] = pg + i % 1024;
	char *all = vmap(pages, count, VM_MAP, KMM_PAGE_KERNEL);
	if (!all)
		kmm_test_fail(__FILE__, __LINE__, "vmap: %s", kmm_last_error());
	assert_true(all != NULL);
	kmm_vmalloc_stats(m, &st);
	expect_eq(st.free_bytes, 0);
	expect_eq(st.nr_free_areas, 0);
	expect_eq(kmm_virt_addr(m, all), st.vstart);
	/* Every 1024th page of the area is the same frame: a write shows at each. */
	all[5] = 42;
	expect_eq(all[(size_t)((count - 1) / 1024 * 1024) * PAGE + 5], 42);
	expect_eq(((char *)page_address(pg))[5], 42);
	assert_eq(kmm_check(m), 0);

	expect_true(vmalloc(1) == NULL);
	expect_str_contains(kmm_last_error(), "vmap allocation for size 8192 failed");
	assert_eq(kmm_check(m), 0);
	vunmap(all);
	vm_unmap_aliases_m(m);
	char *p = vmalloc(1);
	expect_true(p != NULL);
	vfree(p);
	free(pages);
	__free_pages(pg, 10);
	done(m);
}

/*
 * The bytes written through vmalloc are the bytes of the frames: through
 * page_address() for lowmem frames and kmap() for highmem ones - and the
 * other way round.
 */
static void check_frames(const char *cmdline)
{
	struct kmm_machine *m = vboot(cmdline);
	enum { NP = 64 };
	unsigned char *v = vmalloc(NP * PAGE);
	int highmem = 0;

	assert_true(v != NULL);
	expect_true(is_vmalloc_addr(v));
	for (size_t i = 0; i < NP * PAGE; i++)
		v[i] = (unsigned char)(i * 7 + i / PAGE);
	for (int i = 0; i < NP; i++) {
		struct page *pg = vmalloc_to_page(v + (size_t)i * PAGE + 100);
		assert_true(pg != NULL);
		expect_eq(vmalloc_to_pfn(v + (size_t)i * PAGE), page_to_pfn(pg));
		unsigned char *d = page_address(pg);
		if (!d)
			highmem++;
		unsigned char *k = kmap(pg);
		assert_true(k != NULL);
		expect_true(k != v + (size_t)i * PAGE);	/* a second mapping, same frame */
		for (size_t j = 0; j < PAGE; j += 511)
			expect_eq(k[j], (unsigned char)((i * PAGE + j) * 7 + (size_t)i));
		k[9] = 0xAB;	/* and back */
		expect_eq(v[(size_t)i * PAGE + 9], 0xAB);
		kunmap(pg);
	}
	if (strstr(cmdline, "i386"))
		expect_true(highmem > 0);	/* vmalloc takes highmem pages on i386 */
	else
		expect_eq(highmem, 0);
	vfree(v);
	done(m);
}

TEST(data_visible_through_frames_i386)
{
	/* highmem=... is not needed: mem=1G leaves 128 MiB of highmem, used first. */
	check_frames("mem=1G arch=i386");
}

TEST(data_visible_through_frames_x86_64)
{
	check_frames("mem=256M");
}

TEST(vmalloc_32_is_lowmem)
{
	struct kmm_machine *m = vboot("mem=1G arch=i386");
	char *p = vmalloc_32(8 * PAGE);

	assert_true(p != NULL);
	for (int i = 0; i < 8; i++)
		expect_true(page_address(vmalloc_to_page(p + i * PAGE)) != NULL);
	vfree(p);
	done(m);
}

TEST(vzalloc_and_user_are_zeroed)
{
	struct kmm_machine *m = vboot("mem=256M arch=i386");
	/* Dirty some pages first so a recycled frame would show. */
	char *d = vmalloc(32 * PAGE);
	assert_true(d != NULL);
	memset(d, 0x5a, 32 * PAGE);
	vfree(d);
	char *z = vzalloc(32 * PAGE), *u = vmalloc_user(3 * PAGE);
	assert_true(z && u);
	for (size_t i = 0; i < 32 * PAGE; i++)
		if (z[i]) {
			expect_eq(z[i], 0);
			break;
		}
	for (size_t i = 0; i < 3 * PAGE; i++)
		if (u[i]) {
			expect_eq(u[i], 0);
			break;
		}
	char *info = t_proc(m, "/proc/vmallocinfo");
	expect_str_contains(info, " pages=3 vmalloc user");
	free(info);
	vfree(z);
	vfree(u);
	done(m);
}

TEST(guard_page_and_vmallocinfo_format)
{
	struct kmm_machine *m = vboot("mem=256M arch=i386");
	void *p = kmm_vmalloc_caller(m, PAGE, 0, GFP_KERNEL, -1, 0, "my_driver_init+0x10/0x40");
	struct page *pages[2];

	assert_true(p != NULL);
	pages[0] = alloc_page(GFP_KERNEL);
	pages[1] = alloc_page(GFP_KERNEL);
	void *q = kmm_vmap_caller(m, pages, 2, VM_MAP, "vmap_test");
	assert_true(q != NULL);
	char *info = t_proc(m, "/proc/vmallocinfo");
	char line[160];
	uint64_t a = kmm_virt_addr(m, p);
	/* One page shows as 8192 bytes: the guard page is counted. */
	snprintf(line, sizeof(line), "0x%08llx-0x%08llx    8192 my_driver_init+0x10/0x40 pages=1 vmalloc N0=1\n",
		 (unsigned long long)a, (unsigned long long)a + 8192);
	expect_str_contains(info, line);
	a = kmm_virt_addr(m, q);
	snprintf(line, sizeof(line), "0x%08llx-0x%08llx   12288 vmap_test vmap\n",
		 (unsigned long long)a, (unsigned long long)a + 12288);
	expect_str_contains(info, line);
	free(info);
	/* The guard page is not mapped: nothing maps there. */
	expect_true(vmalloc_to_page((char *)p + PAGE) == NULL);
	vunmap(q);
	vfree(p);
	/* Freed but not purged: listed as unpurged. */
	info = t_proc(m, "/proc/vmallocinfo");
	expect_str_contains(info, "    8192 unpurged vm_area\n");
	free(info);
	__free_page(pages[0]);
	__free_page(pages[1]);
	done(m);
}

TEST(caller_is_recorded_from_c)
{
	struct kmm_machine *m = vboot("mem=256M");
	void *p = vmalloc(PAGE);
	char *info = t_proc(m, "/proc/vmallocinfo");

	/* A line for the area, with some caller text between the size and pages=. */
	expect_str_contains(info, "    8192 ");
	expect_str_contains(info, " pages=1 vmalloc N0=1\n");
	free(info);
	vfree(p);
	done(m);
}

TEST(lazy_purge_threshold_and_one_flush)
{
	struct kmm_machine *m = vboot("mem=1G arch=i386 maxcpus=2");
	struct kmm_vmalloc_stats st;
	struct page *pg = alloc_pages(GFP_KERNEL, 8);

	assert_true(pg != NULL);
	/* fls(2) * 32 MiB / 4 KiB */
	expect_eq(lazy_max_pages(m), 2 * 8192);
	vm_unmap_aliases_m(m);
	kmm_vmalloc_stats(m, &st);
	unsigned long long flushes = st.nr_tlb_flushes;
	/* 1 MiB areas (+ guard): the list crosses 16384 pages on the 64th vunmap. */
	struct page **pages = malloc(256 * sizeof(*pages));
	for (int i = 0; i < 256; i++)
		pages[i] = pg + i;
	void *v[70];
	for (int i = 0; i < 70; i++)
		assert_true((v[i] = vmap(pages, 256, VM_MAP, KMM_PAGE_KERNEL)) != NULL);
	for (int i = 0; i < 63; i++)
		vunmap(v[i]);
	kmm_vmalloc_stats(m, &st);
	expect_eq(st.lazy_pages, 63 * 257);
	expect_eq(st.nr_tlb_flushes, flushes);
	assert_eq(kmm_check(m), 0);
	vunmap(v[63]);	/* 64 * 257 = 16448 > 16384: one purge, one flush */
	kmm_vmalloc_stats(m, &st);
	expect_eq(st.lazy_pages, 0);
	expect_eq(st.nr_tlb_flushes, flushes + 1);
	assert_eq(kmm_check(m), 0);
	for (int i = 64; i < 70; i++)
		vunmap(v[i]);
	free(pages);
	__free_pages(pg, 8);
	done(m);
}

TEST(meminfo_vmalloc_used)
{
	struct kmm_machine *m = vboot("mem=256M");
	void *p = vmalloc(100 * PAGE);
	char *mi = t_proc(m, "/proc/meminfo");

	expect_str_contains(mi, "VmallocTotal:   34359738367 kB\n");
	expect_str_contains(mi, "VmallocUsed:         400 kB\n");
	free(mi);
	vfree(p);
	mi = t_proc(m, "/proc/meminfo");
	expect_str_contains(mi, "VmallocUsed:           0 kB\n");
	free(mi);
	done(m);
}

TEST(bad_frees_are_reported_and_change_nothing)
{
	struct kmm_machine *m = vboot("mem=256M");
	char *p = vmalloc(2 * PAGE);
	int x;

	assert_true(p != NULL);
	unsigned long before = free_bytes(m);
	vfree(p + PAGE);	/* not the start */
	expect_str_contains(kmm_last_error(), "nonexistent vm area");
	vfree(&x);		/* not vmalloc at all */
	expect_str_contains(kmm_last_error(), "not a vmalloc address");
	expect_eq(free_bytes(m), before);
	expect_true(vmalloc(0) == NULL);
	expect_str_contains(kmm_last_error(), "zero");
	assert_eq(kmm_check(m), 0);
	p[2 * PAGE - 1] = 1;	/* still mapped */
	vfree(p);
	vfree(p);		/* double free */
	expect_str_contains(kmm_last_error(), "nonexistent vm area");
	done(m);
}

TEST(allocation_failure_leaves_nothing)
{
	struct kmm_machine *m = vboot("mem=64M arch=i386");
	unsigned long before = t_nr_free_drained(m);

	/* More pages than the machine has: the page allocator fails part-way. */
	expect_true(__vmalloc(100UL << 20, GFP_KERNEL | __GFP_NOWARN) == NULL);
	expect_str_contains(kmm_last_error(), "failed to allocate pages");
	expect_eq(t_nr_free_drained(m), before);
	assert_eq(kmm_check(m), 0);
	done(m);
}

TEST(kvmalloc_small_and_large)
{
	struct kmm_machine *m = vboot("mem=256M");
	char *big = kvmalloc(1 << 20, GFP_KERNEL);

	assert_true(big != NULL);
	big[(1 << 20) - 1] = 1;
	char *small = kvzalloc(100, GFP_KERNEL);
	assert_true(small != NULL);
	expect_eq(small[99], 0);
	kvfree(small);
	kvfree(big);
	done(m);
}

TEST(ioremap_of_an_mmio_region)
{
	struct kmm_machine *m = kmm_boot("mem=256M arch=i386 mmio=mydev@0xfebf0000+64K");

	if (!m) {
		/* The boot option belongs to the boot layer; say what is missing. */
		kmm_test_fail(__FILE__, __LINE__, "boot with mmio= failed: %s", kmm_last_error());
		return;
	}
	kmm_shutdown(m);
	m = vboot("mem=256M arch=i386 mmio=mydev@0xfebf0000+64K");
	expect_true(ioremap(0x10000000, PAGE) == NULL);
	expect_str_contains(kmm_last_error(), "not inside an mmio= region");
	volatile unsigned int *regs = ioremap(0xfebf0010, 0x100);
	if (regs) {
		regs[0] = 0xdeadbeef;
		expect_eq(regs[0], 0xdeadbeef);
		expect_eq(kmm_virt_addr(m, (void *)regs) & (PAGE - 1), 0x10);
		char *info = t_proc(m, "/proc/vmallocinfo");
		expect_str_contains(info, " phys=0xfebf0000 ioremap\n");
		free(info);
		iounmap((void *)regs);
	} else {
		kmm_test_fail(__FILE__, __LINE__, "ioremap failed: %s", kmm_last_error());
	}
	done(m);
}

TEST(ram_anon_cannot_remap)
{
	struct kmm_machine *m = vboot("mem=256M ram=anon");

	expect_true(vmalloc(PAGE) == NULL);
	expect_str_contains(kmm_last_error(), "ram=anon");
	assert_eq(kmm_check(m), 0);
	done(m);
}

/*
 * The VmFlags of the host mapping that holds @addr (/proc/self/smaps): @flag
 * ("hg": MADV_HUGEPAGE, "nh": MADV_NOHUGEPAGE) among them? The flag records
 * the advice whatever the host's THP setting, so the check holds on any host.
 */
static bool host_vm_flag(const void *addr, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false, found = false;

	assert_true(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char c;

		/* a mapping's first line: "lo-hi perms ..."; its fields are "Name: ..." */
		if (sscanf(line, "%lx-%lx %c", &lo, &hi, &c) == 3)
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			for (char *t = strtok(line + 8, " \n"); t; t = strtok(NULL, " \n"))
				found |= !strcmp(t, flag);
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * ram=huge: anonymous RAM (no remapping, as ram=anon) whose direct map and
 * struct pages the host is asked to put on transparent huge pages; ram=anon
 * (the malloc shim's) asks for 4 KiB pages, and the last ram= wins.
 */
TEST(ram_huge_advises_huge_pages_and_ram_anon_does_not)
{
	static const char *const lines[] = { "mem=256M ram=huge", "mem=256M ram=anon",
					      "mem=256M ram=huge ram=anon" };

	for (int k = 0; k < 3; k++) {
		struct kmm_machine *m = vboot(lines[k]);
		bool huge = k == 0;

		expect_eq(m->opts.ram_anon, true);
		expect_eq(m->ram.huge, huge);
		expect_eq(host_vm_flag(m->ram.direct, "hg"), huge);
		expect_eq(host_vm_flag(m->ram.direct, "nh"), !huge);
		expect_eq(host_vm_flag(m->vmemmap, "hg"), huge);
		expect_true(vmalloc(PAGE) == NULL);	/* anonymous RAM either way */
		assert_eq(kmm_check(m), 0);
		done(m);
	}
}

/* The checker notices a frame freed while still vmapped (a caller's bug). */
TEST(checker_sees_a_freed_mapped_frame)
{
	struct kmm_machine *m = vboot("mem=256M arch=i386");
	struct page *pg = alloc_page(GFP_KERNEL);
	void *v = vmap(&pg, 1, VM_MAP, KMM_PAGE_KERNEL);

	assert_true(v != NULL);
	assert_eq(kmm_check(m), 0);
	__free_page(pg);
	drain_all_pages(m, NULL);	/* into the buddy free lists, where the checker looks */
	expect_ne(kmm_check(m), 0);
	expect_str_contains(kmm_last_error(), "which is free");
	vunmap(v);
	expect_eq(kmm_check(m), 0);
	done(m);
}
