// SPDX-License-Identifier: MIT
/*
 * tests/integration_layouts.c - machines booted from real command lines:
 * zone layouts of i386, PAE and x86_64 machines of several sizes, NUMA
 * emulation, ZONE_MOVABLE, the "Memory:" line recomputed from the machine,
 * the address conversions, host memory of big machines (64G, 1T), deferred
 * struct pages giving the same free lists as eager ones, and two machines
 * booted side by side from two threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mm/include/addr.h"
#include "mm/include/memblock.h"
#include "mm/internal.h"
#include "tests/boot_test.h"

static struct zone *Z(struct kmm_machine *m, int nid, enum zone_type z)
{
	return &m->node_data[nid]->node_zones[z];
}

/* A zone spans [start, end) and has @present pages; managed is below present. */
#define expect_zone(m, nid, z, start, end, present)                                   \
	do {                                                                           \
		struct zone *_z = Z((m), (nid), (z));                                  \
		expect_eq(_z->zone_start_pfn, (start));                                \
		expect_eq(zone_end_pfn(_z), (end));                                    \
		expect_eq(_z->present_pages, (present));                               \
		expect_true(zone_managed_pages(_z) <= _z->present_pages);              \
		if ((present) > 4096)                                                  \
			expect_true(zone_managed_pages(_z) > _z->present_pages * 9 / 10 || \
				    (z) == ZONE_NORMAL || (z) == ZONE_DMA32);          \
	} while (0)

#define expect_empty_zone(m, nid, z)                                                   \
	do {                                                                           \
		expect_eq(Z((m), (nid), (z))->spanned_pages, 0);                       \
		expect_eq(Z((m), (nid), (z))->present_pages, 0);                       \
		expect_eq(zone_managed_pages(Z((m), (nid), (z))), 0);                  \
	} while (0)

/*
 * Parse "Memory: ..." back from dmesg and recompute every figure the way
 * mem_init_print_info() does, from the machine itself. The init section was
 * freed after the line was printed, so the totals then were init smaller.
 */
static void check_memory_line(struct kmm_machine *m)
{
	const char *log = t_dmesg(m);
	const char *p = strstr(log, "Memory: ");
	const char *f = strstr(log, "Freeing unused kernel image (initmem) memory: ");
	unsigned long avail, total, code, rw, ro, init, bss, resv, cma, high = 0, freed;
	unsigned long init_pages = (unsigned long)(m->kimage.init >> PAGE_SHIFT);
	unsigned long totalram = (unsigned long)atomic_load(&m->totalram_pages);
	unsigned long ram_then = totalram - init_pages;
	int n;

	assert_true(p != NULL && f != NULL);
	expect_true(p < f);
	n = sscanf(p, "Memory: %luK/%luK available (%luK kernel code, %luK rwdata, %luK rodata, "
		      "%luK init, %luK bss, %luK reserved, %luK cma-reserved, %luK highmem)",
		   &avail, &total, &code, &rw, &ro, &init, &bss, &resv, &cma, &high);
	expect_eq(n, kmm_arch_is_32(m) ? 10 : 9);
	expect_eq(total, m->physpages * 4);
	expect_eq(avail, ram_then * 4);		/* nothing allocated before the line */
	expect_eq(resv, (m->physpages - ram_then - m->totalcma_pages) * 4);
	expect_eq(avail + resv, total);
	expect_eq(cma, 0);
	expect_eq(code, m->kimage.text >> 10);
	expect_eq(rw, m->kimage.data >> 10);
	expect_eq(ro, m->kimage.rodata >> 10);
	expect_eq(init, m->kimage.init >> 10);
	expect_eq(bss, m->kimage.bss >> 10);
	/* Every reserved page is a memblock reservation (plus .init, freed since). */
	expect_eq(resv / 4, reserved_ram_pages(m) + init_pages);
	if (kmm_arch_is_32(m))
		expect_eq(high, (unsigned long)atomic_load(&m->totalhigh_pages) * 4);
	expect_eq(sscanf(f, "Freeing unused kernel image (initmem) memory: %luK", &freed), 1);
	expect_eq(freed, init);
	/* MemTotal grew by the init section, as on Linux. */
	expect_eq(totalram, ram_then + init_pages);
}

static unsigned long present_sum(struct kmm_machine *m)
{
	unsigned long sum = 0;

	for (int nid = 0; nid < m->nr_node_ids; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			sum += Z(m, nid, z)->present_pages;
	return sum;
}

/* ---- i386 ---- */

TEST(i386_1G)
{
	struct kmm_machine *m = t_boot("mem=1G arch=i386");
	const char *log = t_dmesg(m);

	/* MAXMEM: VMALLOC_END 0xfeffe000 - PAGE_OFFSET - 128M = 0x36ffe000. */
	expect_eq(m->layout.vmalloc_end, 0xfeffe000ULL);
	expect_eq(m->layout.pkmap_base, 0xff000000ULL);
	expect_eq(m->layout.last_pkmap, 1024);
	expect_eq(m->layout.pgtable_levels, 2);
	expect_eq(m->max_low_pfn, 0x36ffe);
	expect_eq(m->max_pfn, 0x40000);
	expect_eq(m->layout.high_memory, 0xC0000000ULL + 0x36ffe000ULL);
	expect_eq(m->layout.vmalloc_start, m->layout.high_memory + (8 << 20));
	expect_eq(m->pageblock_order, 10);
	expect_eq(m->struct_page_size, 32);
	expect_str_contains(log, "879MB LOWMEM available.\n");
	expect_str_contains(log, "144MB HIGHMEM available.\n");
	expect_str_contains(log, "  DMA      [mem 0x0000000000001000-0x0000000000ffffff]\n");
	expect_str_contains(log, "  Normal   [mem 0x0000000001000000-0x0000000036ffdfff]\n");
	expect_str_contains(log, "  HighMem  [mem 0x0000000036ffe000-0x000000003fffffff]\n");
	expect_true(strstr(log, "DMA32") == NULL);
	expect_str_contains(log, "On node 0, zone DMA: 1 pages in unavailable ranges\n");
	expect_str_contains(log, "On node 0, zone DMA: 97 pages in unavailable ranges\n");
	expect_zone(m, 0, ZONE_DMA, 1, 0x1000, 0x1000 - 1 - 97);
	expect_empty_zone(m, 0, ZONE_DMA32);
	expect_zone(m, 0, ZONE_NORMAL, 0x1000, 0x36ffe, 0x36ffe - 0x1000);
	expect_zone(m, 0, ZONE_HIGHMEM, 0x36ffe, 0x40000, 0x40000 - 0x36ffe);
	expect_empty_zone(m, 0, ZONE_MOVABLE);
	/* The whole first MiB is reserved: DMA manages 16M - 1M. */
	expect_eq(zone_managed_pages(Z(m, 0, ZONE_DMA)), 0x1000 - 0x100);
	/* All of highmem is free: totalhigh is its present pages. */
	expect_eq(atomic_load(&m->totalhigh_pages), 0x40000 - 0x36ffe);
	expect_eq(m->physpages, 262046);
	check_memory_line(m);
	t_done(m);
}

TEST(i386_small_machines_are_all_lowmem)
{
	static const struct { const char *cmd; unsigned long pfns; const char *low; } cases[] = {
		{ "mem=512M arch=i386", 0x20000, "512MB LOWMEM available.\n" },
		{ "mem=256M arch=i386", 0x10000, "256MB LOWMEM available.\n" },
		{ "mem=512M arch=i386-pae", 0x20000, "512MB LOWMEM available.\n" },
		{ "mem=256M arch=i386-pae", 0x10000, "256MB LOWMEM available.\n" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct kmm_machine *m = t_boot(cases[i].cmd);

		expect_eq(m->max_pfn, cases[i].pfns);
		expect_eq(m->max_low_pfn, cases[i].pfns);
		expect_str_contains(t_dmesg(m), "0MB HIGHMEM available.\n");
		expect_str_contains(t_dmesg(m), cases[i].low);
		expect_str_contains(t_dmesg(m), "  HighMem  empty\n");
		expect_zone(m, 0, ZONE_NORMAL, 0x1000, cases[i].pfns, cases[i].pfns - 0x1000);
		expect_empty_zone(m, 0, ZONE_HIGHMEM);
		expect_eq(atomic_load(&m->totalhigh_pages), 0);
		check_memory_line(m);
		t_done(m);
	}
}

TEST(i386_5G_keeps_only_the_ram_below_4G)
{
	struct kmm_machine *m = t_boot("mem=5G arch=i386");

	/*
	 * RAM above 4G is beyond a non-PAE kernel; 3G-4G is the PCI hole. 6.12
	 * clamps last_pfn first, so its "only 4GB will be used" check is silent.
	 */
	expect_true(strstr(t_dmesg(m), "only 4GB will be used") == NULL);
	expect_str_contains(t_dmesg(m), "last_pfn = 0xc0000 max_arch_pfn = 0x100000\n");
	expect_eq(m->max_pfn, 0xc0000);
	expect_eq(m->max_low_pfn, 0x36ffe);
	expect_zone(m, 0, ZONE_HIGHMEM, 0x36ffe, 0xc0000, 0xc0000 - 0x36ffe);
	expect_str_contains(t_dmesg(m), "2192MB HIGHMEM available.\n");
	check_memory_line(m);
	t_done(m);
}

TEST(pae_1G_and_5G)
{
	struct kmm_machine *m = t_boot("mem=1G arch=i386-pae");

	/* PAE: 2 MiB PMDs move PKMAP_BASE up to 0xff600000: 885 MiB of lowmem. */
	expect_eq(m->layout.pkmap_base, 0xff600000ULL);
	expect_eq(m->layout.last_pkmap, 512);
	expect_eq(m->layout.pgtable_levels, 3);
	expect_eq(m->pageblock_order, 9);
	expect_eq(m->max_low_pfn, 0x375fe);
	expect_str_contains(t_dmesg(m), "885MB LOWMEM available.\n");
	expect_zone(m, 0, ZONE_HIGHMEM, 0x375fe, 0x40000, 0x40000 - 0x375fe);
	check_memory_line(m);
	t_done(m);

	/* 5G: 3G below the PCI hole, 2G above 4G. */
	m = t_boot("mem=5G arch=i386-pae");
	expect_eq(m->max_pfn, 0x180000);
	expect_str_contains(t_dmesg(m), "last_pfn = 0x180000 max_arch_pfn = 0x1000000\n");
	expect_true(strstr(t_dmesg(m), "only 4GB will be used") == NULL);
	/* HighMem spans the PCI hole; present pages skip it. */
	expect_zone(m, 0, ZONE_HIGHMEM, 0x375fe, 0x180000, (0xc0000 - 0x375fe) + 0x80000);
	expect_str_contains(t_dmesg(m), "5258MB HIGHMEM available.\n");
	/*
	 * Issue 11, item 4: FLATMEM has struct pages for the whole PCI hole,
	 * so memmap_init() reports it, in the zone of the range after it.
	 */
	expect_str_contains(t_dmesg(m), "On node 0, zone HighMem: 262144 pages in unavailable "
					"ranges\n");
	/*
	 * Items 3 and 9: RAM above 4 GiB means swiotlb on PAE too: one area per
	 * possible CPU, 64 MiB of lowmem (top-down below max_low_pfn), printed
	 * with Linux's exclusive end.
	 */
	{
		const char *log = t_dmesg(m), *p = strstr(log, "software IO TLB: mapped [mem 0x");
		const char *area = strstr(log, "software IO TLB: area num 2.\n");
		unsigned long long start, end;

		expect_true(area != NULL && p != NULL && area < p);
		assert_true(p != NULL);
		assert_eq(sscanf(p, "software IO TLB: mapped [mem 0x%llx-0x%llx] (64MB)", &start,
				 &end), 2);
		expect_eq(end - start, 64ULL << 20);
		expect_true(end <= PFN_PHYS(m->max_low_pfn));
	}
	check_memory_line(m);
	t_done(m);
	/* Without RAM above 4 GiB: no swiotlb, no unavailable HighMem range. */
	m = t_boot("mem=3G arch=i386-pae");
	expect_true(strstr(t_dmesg(m), "software IO TLB") == NULL);
	expect_true(strstr(t_dmesg(m), "zone HighMem: ") == NULL);
	t_done(m);
}

TEST(i386_vmalloc_and_highmem_options)
{
	/* vmalloc=256M: the reserve grows to 256M + 8M, lowmem shrinks by 136M. */
	struct kmm_machine *m = t_boot("mem=1G arch=i386 vmalloc=256M");

	expect_eq(m->layout.vmalloc_reserve, (256 + 8) << 20);
	expect_eq(m->max_low_pfn, 0x36ffe - (136 << 8));
	expect_str_contains(t_dmesg(m), "743MB LOWMEM available.\n");
	t_done(m);
	/* highmem=256M on a machine that fits in lowmem: forced highmem. */
	m = t_boot("mem=512M arch=i386 highmem=256M");
	expect_eq(m->max_low_pfn, 0x10000);
	expect_zone(m, 0, ZONE_HIGHMEM, 0x10000, 0x20000, 0x10000);
	expect_str_contains(t_dmesg(m), "256MB HIGHMEM available.\n");
	check_memory_line(m);
	t_done(m);
	/* highmem=64M on 1G: only 64M of highmem is used, the rest is dropped. */
	m = t_boot("mem=1G arch=i386 highmem=64M");
	expect_eq(m->max_pfn, 0x36ffe + (64 << 8));
	t_done(m);
}

/* ---- x86_64 ---- */

TEST(x86_64_4G)
{
	struct kmm_machine *m = t_boot("mem=4G");
	const char *log = t_dmesg(m);

	expect_eq(m->layout.page_offset, 0xffff888000000000ULL);
	expect_eq(m->layout.vmalloc_start, 0xffffc90000000000ULL);
	expect_eq(m->layout.vmalloc_end, 0xffffe8ffffffffffULL);
	expect_eq(m->layout.vmemmap_base, 0xffffea0000000000ULL);
	expect_eq(m->layout.kernel_text, 0xffffffff81000000ULL);
	expect_eq(m->layout.pgtable_levels, 4);
	expect_eq(m->struct_page_size, 64);
	expect_eq(m->max_pfn, 0x140000);
	expect_eq(m->max_low_pfn, m->max_pfn);
	expect_str_contains(log, "Command line: mem=4G\n");
	expect_str_contains(log, "BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable\n");
	expect_str_contains(log, "BIOS-e820: [mem 0x0000000100000000-0x000000013fffffff] usable\n");
	expect_str_contains(log, "last_pfn = 0x140000 max_arch_pfn = 0x400000000\n");
	expect_str_contains(log, "last_pfn = 0xc0000 max_arch_pfn = 0x400000000\n");
	expect_str_contains(log, "  DMA32    [mem 0x0000000001000000-0x00000000ffffffff]\n");
	expect_str_contains(log, "  Normal   [mem 0x0000000100000000-0x000000013fffffff]\n");
	expect_str_contains(log, "  node   0: [mem 0x0000000100000000-0x000000013fffffff]\n");
	expect_str_contains(log, "software IO TLB: mapped [mem ");
	expect_true(strstr(log, "HighMem") == NULL);
	expect_zone(m, 0, ZONE_DMA, 1, 0x1000, 3998);
	expect_eq(zone_managed_pages(Z(m, 0, ZONE_DMA)), 3840);
	expect_zone(m, 0, ZONE_DMA32, 0x1000, 0x100000, 0xc0000 - 0x1000);
	expect_zone(m, 0, ZONE_NORMAL, 0x100000, 0x140000, 0x40000);
	expect_empty_zone(m, 0, ZONE_HIGHMEM);
	expect_empty_zone(m, 0, ZONE_MOVABLE);
	expect_eq(atomic_load(&m->totalhigh_pages), 0);
	check_memory_line(m);
	/*
	 * The direct map counted as Linux 6.12 does (arch/x86/mm/init_64.c).
	 * init_mem_mapping(): the ISA MiB in 4k pages (256); then top-down from
	 * 5G: [5G-2M, 5G) as a new 1G page ([4G, 5G) is all memory), [4.5G,
	 * 5G-2M) keeps it and counts it again, then [1M, 4.5G): [1M, 2M) 4k
	 * (256), [2M, 1G) 2M (511), [1G, 3G) two 1G pages, [4G, 4.5G) the kept
	 * 1G page again: 4k 512, 2M 511, 1G 5 (5 GiB for 4 GiB of RAM). Then the
	 * image's protections split three 2M pages (x86_64 defconfig's layout):
	 * the IDT read-only at __bss_start (0x2afa000) splits the high mapping's
	 * and the direct map's page at 0x2a00000, freeing .init from 0x2822000
	 * the high mapping's page at 0x2800000; each split is 512 4k pages.
	 */
	char *mi = t_proc(m, "/proc/meminfo");

	expect_str_contains(mi, "\nDirectMap4k:        8192 kB\nDirectMap2M:     1040384 kB\n"
				"DirectMap1G:     5242880 kB\n");
	free(mi);
	t_done(m);
}

TEST(x86_64_64G_commits_little_host_memory)
{
	unsigned long before = sim_host_rss_kb(), after;
	struct kmm_machine *m = t_boot("mem=64G");

	after = sim_host_rss_kb();
	expect_eq(m->max_pfn, 0x1040000);
	expect_zone(m, 0, ZONE_NORMAL, 0x100000, 0x1040000, 0xf40000);
	check_memory_line(m);
	/* A resource check, not a timing: well under 256 MiB committed by boot. */
	if (after > before + 256 * 1024)
		kmm_test_fail(__FILE__, __LINE__, "mem=64G boot committed %lu KiB", after - before);
	t_done(m);
}

TEST(x86_64_1T_boots)
{
	unsigned long before = sim_host_rss_kb(), after, reserved = 0, deferred = 0;
	struct kmm_machine *m = t_boot("mem=1T");
	unsigned long pfn = ~0UL;
	struct page *page;

	after = sim_host_rss_kb();
	expect_eq(m->max_pfn, (1UL << 28) + (1UL << 18));	/* 3G below the hole, the rest from 4G */
	for (unsigned long s = 0; s < m->nr_sections; s++) {
		if (m->section_state[s] == SECTION_RESERVED) {
			reserved++;
			if (pfn == ~0UL)
				pfn = (s << SECTION_SHIFT) + 12345;
		}
		deferred += m->section_state[s] == SECTION_DEFERRED;
	}
	/* 16G of mem_map: 128 sections nobody touched. */
	expect_true(reserved >= 127);
	expect_true(deferred > 7000);
	if (after > before + 256 * 1024)
		kmm_test_fail(__FILE__, __LINE__, "mem=1T boot committed %lu KiB", after - before);
	check_memory_line(m);

	/* The first lookup initialises the whole reserved section. */
	assert_true(pfn != ~0UL);
	page = kmm_pfn_to_page(m, pfn);
	assert_true(page != NULL);
	expect_eq(m->section_state[pfn >> SECTION_SHIFT], SECTION_ONLINE);
	expect_true(PageReserved(page));
	expect_eq(page_zonenum(page), ZONE_NORMAL);
	expect_eq(page_to_nid(page), 0);
	expect_eq(page_ref_count(page), 1);
	expect_true(page_machine(page) == m);
	expect_eq(page_to_pfn(page), pfn);
	t_done(m);
}

TEST(numa_fake_2)
{
	struct kmm_machine *m = t_boot("mem=4G numa=fake=2");
	const char *log = t_dmesg(m);

	/*
	 * split_nodes_interleave() by hand: RAM [1M, 3G) and [4G, 5G), page 0
	 * and 640K-1M absent (98 pages). A share is (5G - 1G - 98 pages) / 2
	 * = 0x7ffcf000, 2016M once rounded down to 32M; the leftover 32M chunk
	 * makes node 0 "big": [0x1000, 0x80001000), 2048MB. Node 1 starts there
	 * and grows past the PCI hole until it holds its share; less than a
	 * share is left after it, so it takes the rest: 3071MB.
	 */
	assert_eq(m->nr_node_ids, 2);
	expect_str_contains(log, "Faking node 0 at [mem 0x0000000000001000-0x0000000080000fff] "
				 "(2048MB)\n");
	expect_str_contains(log, "Faking node 1 at [mem 0x0000000080001000-0x000000013fffffff] "
				 "(3071MB)\n");
	expect_str_contains(log, "NUMA: Initialized distance table, cnt=2\n");
	expect_str_contains(log, "NODE_DATA(0) allocated");
	expect_str_contains(log, "NODE_DATA(1) allocated");
	expect_str_contains(log, "Initmem setup node 1 [mem 0x0000000080001000-0x000000013fffffff]");
	expect_str_contains(log, "Fallback order for Node 0: 0 1 \n");
	expect_str_contains(log, "Fallback order for Node 1: 1 0 \n");
	expect_str_contains(log, "Policy zone: Normal\n");
	/* Each node has its own zones. */
	expect_zone(m, 0, ZONE_DMA, 1, 0x1000, 3998);
	expect_zone(m, 0, ZONE_DMA32, 0x1000, 0x80001, 0x7f001);
	expect_empty_zone(m, 0, ZONE_NORMAL);
	expect_empty_zone(m, 1, ZONE_DMA);
	expect_zone(m, 1, ZONE_DMA32, 0x80001, 0x100000, 0x3ffff);
	expect_zone(m, 1, ZONE_NORMAL, 0x100000, 0x140000, 0x40000);
	expect_eq(m->node_data[1]->node_start_pfn, 0x80001);
	expect_eq(m->node_data[0]->node_present_pages + m->node_data[1]->node_present_pages,
		  m->physpages);
	/*
	 * Several nodes: hashdist, so vfs_caches_init() takes the hashes from
	 * vmalloc once the allocators are up: 4G of lowmem at one bucket per
	 * 8K (dentry) and 16K (inode), 8-byte buckets.
	 */
	expect_str_contains(log, "Dentry cache hash table entries: 524288 (order: 10, 4194304 bytes, "
				 "vmalloc)\n");
	expect_str_contains(log, "Inode-cache hash table entries: 262144 (order: 9, 2097152 bytes, "
				 "vmalloc)\n");
	check_memory_line(m);
	t_done(m);
}

TEST(numa_fake_splits_as_linux_6_12)
{
	/*
	 * The two examples issue 11 quotes from real 6.12 under QEMU (SeaBIOS:
	 * the top 128K of low RAM reserved). mem=2G numa=fake=2: node 0 is one
	 * 32M chunk bigger than node 1 and starts at the first RAM page.
	 * mem=4G numa=fake=4: node 2 reaches 4G (less than 32M of DMA32 RAM
	 * would be left after it).
	 */
	struct kmm_machine *m = t_boot("board=4G mem=2G numa=fake=2 firmware=seabios");
	const char *log = t_dmesg(m);

	expect_str_contains(log, "Faking node 0 at [mem 0x0000000000001000-0x0000000040000fff] "
				 "(1024MB)\n");
	expect_str_contains(log, "Faking node 1 at [mem 0x0000000040001000-0x000000007fffffff] "
				 "(1023MB)\n");
	t_done(m);
	m = t_boot("board=4G numa=fake=4 firmware=seabios");
	log = t_dmesg(m);
	expect_str_contains(log, "Faking node 0 at [mem 0x0000000000001000-0x0000000040000fff] "
				 "(1024MB)\n");
	expect_str_contains(log, "Faking node 1 at [mem 0x0000000040001000-0x0000000080000fff] "
				 "(1024MB)\n");
	expect_str_contains(log, "Faking node 2 at [mem 0x0000000080001000-0x00000000ffffffff] "
				 "(2047MB)\n");
	expect_str_contains(log, "Faking node 3 at [mem 0x0000000100000000-0x000000013fffffff] "
				 "(1024MB)\n");
	t_done(m);
}

TEST(movablecore_and_kernelcore)
{
	struct kmm_machine *plain = t_boot("mem=4G");
	struct kmm_machine *m = t_boot("mem=4G movablecore=512M");
	struct zone *mov = Z(m, 0, ZONE_MOVABLE), *normal = Z(m, 0, ZONE_NORMAL);
	char line[64];

	assert_true(m->zone_movable_pfn[0] != 0);
	expect_eq(m->zone_movable_pfn[0] % MAX_ORDER_NR_PAGES, 0);
	expect_eq(mov->zone_start_pfn, m->zone_movable_pfn[0]);
	expect_eq(zone_end_pfn(mov), 0x140000);
	expect_true(mov->present_pages >= (512 << 8));
	expect_eq(zone_end_pfn(normal), mov->zone_start_pfn);
	expect_eq(present_sum(m), present_sum(plain));
	snprintf(line, sizeof(line), "Movable zone start for each node\n");
	expect_str_contains(t_dmesg(m), line);
	snprintf(line, sizeof(line), "  Node 0: 0x%016llx\n",
		 (unsigned long long)PFN_PHYS(m->zone_movable_pfn[0]));
	expect_str_contains(t_dmesg(m), line);
	check_memory_line(m);
	t_done(m);
	t_done(plain);

	/* kernelcore=: what is left for any allocation; the rest is Movable. */
	m = t_boot("mem=4G kernelcore=3584M");
	mov = Z(m, 0, ZONE_MOVABLE);
	expect_true(mov->present_pages > 0);
	expect_true(mov->present_pages <= (512 << 8));
	expect_true(mov->present_pages + 1024 > (512 << 8) - 158);
	t_done(m);

	/* On i386 Movable comes out of HighMem. */
	m = t_boot("mem=1G arch=i386 movablecore=64M");
	mov = Z(m, 0, ZONE_MOVABLE);
	expect_eq(zone_end_pfn(mov), 0x40000);
	expect_eq(zone_end_pfn(Z(m, 0, ZONE_HIGHMEM)), mov->zone_start_pfn);
	expect_eq(mov->present_pages, 64 << 8);
	/* Movable pages of a highmem Movable zone count as highmem. */
	expect_eq(atomic_load(&m->totalhigh_pages),
		  zone_managed_pages(Z(m, 0, ZONE_HIGHMEM)) + zone_managed_pages(mov));
	check_memory_line(m);
	t_done(m);

	/* Percentages; a request for everything leaves no Movable zone. */
	m = t_boot("mem=4G movablecore=25%");
	expect_true(Z(m, 0, ZONE_MOVABLE)->present_pages >= present_sum(m) / 4 - 1024);
	t_done(m);
	m = t_boot("mem=4G kernelcore=100%");
	expect_empty_zone(m, 0, ZONE_MOVABLE);
	t_done(m);
}

TEST(memmap_hole_is_not_present)
{
	struct kmm_machine *m = t_boot("mem=1G memmap=64M$256M");

	expect_str_contains(t_dmesg(m), "user: [mem 0x0000000010000000-0x0000000013ffffff] reserved\n");
	expect_str_contains(t_dmesg(m), "On node 0, zone DMA32: 16384 pages in unavailable ranges\n");
	expect_zone(m, 0, ZONE_DMA32, 0x1000, 0x40000, 0x40000 - 0x1000 - 16384);
	expect_eq(pfn_valid_m(m, 0x10000), true);	/* the hole's section has RAM too */
	expect_true(PageReserved(kmm_pfn_to_page(m, 0x10000 + 5)));
	check_memory_line(m);
	t_done(m);
}

/* ---- Addresses ---- */

static void check_addresses(struct kmm_machine *m)
{
	unsigned long pfn = 0x2000;	/* 32 MiB: lowmem, free at boot */
	struct page *page = kmm_pfn_to_page(m, pfn);
	char *host = page_address(page);
	uint64_t kva = page_to_kva(page);

	assert_true(page != NULL && host != NULL);
	expect_true(host == (char *)m->ram.direct + PFN_PHYS(pfn));
	expect_eq(kva, m->layout.page_offset + PFN_PHYS(pfn));
	expect_eq(__pa_m(m, kva), PFN_PHYS(pfn));
	expect_eq(__va_m(m, PFN_PHYS(pfn)), kva);
	expect_true(virt_to_page(host + 100) == page);
	expect_eq(page_to_pfn(page), pfn);
	expect_eq(kmm_host_to_kva(m, host + 5), kva + 5);
	expect_true(kmm_kva_to_host(m, kva + 5) == host + 5);
	expect_true(kmm_machine_of_host(host) == m);
	expect_true(kmm_page_machine(page) == m);
	expect_eq(kmm_host_to_phys(m, host), PFN_PHYS(pfn));
	/* Bytes written through the direct map are real. */
	host[0] = 0x5a;
	expect_eq(((volatile char *)m->ram.direct)[PFN_PHYS(pfn)], 0x5a);
	host[0] = 0;
	/* Outside the direct map. */
	expect_eq(__pa_m(m, m->layout.page_offset - 1), (uint64_t)-1);
	expect_true(kmm_pfn_to_page(m, m->nr_sections << SECTION_SHIFT) == NULL);
	expect_eq(pfn_valid_m(m, m->nr_sections << SECTION_SHIFT), false);
}

TEST(addresses)
{
	struct kmm_machine *m = t_boot("mem=1G arch=i386");
	struct page *high;

	check_addresses(m);
	/* Highmem has no direct-map address until kmapped. */
	high = kmm_pfn_to_page(m, 0x3f000);
	assert_true(high != NULL);
	expect_true(page_address(high) == NULL);
	expect_eq(page_to_kva(high), 0);
	expect_eq(__va_m(m, PFN_PHYS(0x3f000)), 0);
	expect_eq(__va_m(m, PFN_PHYS(0x2000)), 0xC2000000ULL);
	/* The PCI hole has no struct pages at all on a big machine. */
	t_done(m);
	m = t_boot("mem=5G");
	check_addresses(m);
	expect_eq(pfn_valid_m(m, 0xd0000), false);
	expect_true(kmm_pfn_to_page(m, 0xd0000) == NULL);
	expect_eq(pfn_valid_m(m, 0x100000), true);
	t_done(m);
}

/* ---- Deferred struct pages and the free lists ---- */

/* Allocate order-10 blocks until none is left; return how many, pfns in @out. */
static int drain_max_order(struct kmm_machine *m, unsigned long *out, int max)
{
	int n = 0;

	while (n < max) {
		struct page *p = kmm_alloc_pages(m, GFP_HIGHUSER_MOVABLE | __GFP_NOWARN,
						 MAX_PAGE_ORDER, -1);
		if (!p)
			break;
		out[n++] = page_to_pfn(p);
	}
	return n;
}

TEST(deferred_struct_pages_give_the_same_free_lists)
{
	static const char *const cmds[] = { "mem=1G", "mem=1G arch=i386" };

	for (size_t c = 0; c < ARRAY_SIZE(cmds); c++) {
		char eager_cmd[128];
		unsigned long *a = calloc(1024, sizeof(*a)), *b = calloc(1024, sizeof(*b));
		struct kmm_machine *lazy = t_boot(cmds[c]), *eager;
		int na, nb;

		snprintf(eager_cmd, sizeof(eager_cmd), "%s deferred_struct_pages=off", cmds[c]);
		eager = t_boot(eager_cmd);
		expect_eq(kmm_nr_free_pages(lazy), kmm_nr_free_pages(eager));
		for (int z = 0; z < MAX_NR_ZONES; z++)
			for (int o = 0; o < NR_PAGE_ORDERS; o++)
				expect_eq(Z(lazy, 0, z)->free_area[o].nr_free,
					  Z(eager, 0, z)->free_area[o].nr_free);
		kmm_use(lazy);
		na = drain_max_order(lazy, a, 1024);
		kmm_use(eager);
		nb = drain_max_order(eager, b, 1024);
		expect_eq(na, nb);
		expect_true(na > 100);
		for (int i = 0; i < na && i < nb; i++)
			if (a[i] != b[i]) {
				kmm_test_fail(__FILE__, __LINE__, "%s: block %d at pfn %#lx deferred, "
					      "%#lx eager", cmds[c], i, a[i], b[i]);
				break;
			}
		for (int i = 0; i < na; i++)
			__free_pages(kmm_pfn_to_page(lazy, a[i]), MAX_PAGE_ORDER);
		for (int i = 0; i < nb; i++)
			__free_pages(kmm_pfn_to_page(eager, b[i]), MAX_PAGE_ORDER);
		drain_all_pages(lazy, NULL);	/* the drain emptied their pcp lists */
		drain_all_pages(eager, NULL);
		t_done(eager);
		t_done(lazy);
		free(a);
		free(b);
	}
}

/* ---- Two machines at once ---- */

struct side {
	const char *cmd;
	struct kmm_machine *m;
	char *dmesg;
};

static void *boot_side(void *arg)
{
	struct side *s = arg;

	s->m = kmm_boot(s->cmd);
	if (s->m)
		s->dmesg = kmm_dmesg_dup(s->m);
	return NULL;
}

TEST(two_machines_side_by_side)
{
	struct side sides[2] = { { "mem=1G arch=i386", NULL, NULL }, { "mem=4G", NULL, NULL } };
	struct kmm_machine *ref[2];

	/* The same command lines booted alone give the reference logs. */
	for (int i = 0; i < 2; i++)
		ref[i] = t_boot(sides[i].cmd);
	for (int round = 0; round < 3; round++) {
		sim_thread *t[2];

		for (int i = 0; i < 2; i++)
			assert_eq(sim_thread_start(&t[i], boot_side, &sides[i]), 0);
		for (int i = 0; i < 2; i++)
			sim_thread_join(t[i]);
		for (int i = 0; i < 2; i++) {
			assert_true(sides[i].m != NULL);
			expect_true(!strcmp(sides[i].dmesg, t_dmesg(ref[i])));
			expect_eq(sides[i].m->physpages, ref[i]->physpages);
			expect_eq(kmm_nr_free_pages(sides[i].m), kmm_nr_free_pages(ref[i]));
			check_addresses(sides[i].m);
			expect_eq(kmm_check(sides[i].m), 0);
		}
		/* A page knows its machine. */
		expect_true(kmm_page_machine(kmm_pfn_to_page(sides[0].m, 0x2000)) == sides[0].m);
		expect_true(kmm_page_machine(kmm_pfn_to_page(sides[1].m, 0x2000)) == sides[1].m);
		for (int i = 0; i < 2; i++) {
			kmm_shutdown(sides[i].m);
			free(sides[i].dmesg);
			sides[i].m = NULL;
			sides[i].dmesg = NULL;
		}
	}
	for (int i = 0; i < 2; i++)
		t_done(ref[i]);
}
