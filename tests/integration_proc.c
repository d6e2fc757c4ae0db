// SPDX-License-Identifier: MIT
/*
 * tests/integration_proc.c - the /proc views of booted machines: every file
 * parsed line by line in Linux's exact shapes, the files agreeing with each
 * other and with the allocator (buddyinfo sums = zoneinfo "pages free" =
 * MemFree = nr_free_pages; MemTotal = sum of managed pages; pagetypeinfo
 * rows add up to buddyinfo), watermarks and protection equal to Linux's
 * formulas recomputed here from zoneinfo's managed pages, sysctl writes
 * taking effect at run time, bad writes refused with nothing changed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>

#include "arch/sim/sim.h"
#include "mm/internal.h"	/* drain_all_pages() before the leak check */
#include "tests/harness.h"

#define MAX_ZONES 64
#define MAX_CPUS 8

struct zinfo {
	int nid;
	char name[16];
	bool populated;
	unsigned long free, boost, min, low, high, promo, spanned, present, managed, cma;
	long prot[8];
	int nprot;
	int ncpus;
	int count[MAX_CPUS], high_pcp[MAX_CPUS], batch[MAX_CPUS], threshold[MAX_CPUS];
	unsigned long start_pfn;
};

struct binfo {
	int nid;
	char name[16];
	unsigned long nr_free[11];
};

/*
 * Freed pages may sit on the per-CPU lists, which NR_FREE_PAGES does not
 * count: tests that allocate take their leak baseline and their final count
 * with the lists drained (the harness shuts the machine down afterwards).
 */
static struct kmm_machine *base_m;
static unsigned long base_free;

static struct kmm_machine *boot_drained(const char *cmdline)
{
	struct kmm_machine *m = t_boot(cmdline);

	drain_all_pages(m, NULL);
	base_m = m;
	base_free = kmm_nr_free_pages(m);
	return m;
}

static void done_drained(struct kmm_machine *m)
{
	if (kmm_check(m))
		kmm_test_fail(__FILE__, __LINE__, "kmm_check: %s", kmm_last_error());
	drain_all_pages(m, NULL);
	if (m == base_m && kmm_nr_free_pages(m) != base_free)
		kmm_test_fail(__FILE__, __LINE__, "leak check: %lu free pages after boot, %lu now",
			      base_free, kmm_nr_free_pages(m));
	base_m = NULL;
}

/* ---- Parsers (strict: a line of another shape fails the test) ---- */

static int parse_buddyinfo(const char *text, struct binfo *b, int max)
{
	int n = 0;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char name[16];
		int nid, used = 0;

		if (!expect_true(nl != NULL) || !expect_true(n < max))
			return -1;
		/* "Node %d, zone %8s " then 11 x "%6lu " */
		if (!expect_eq(sscanf(p, "Node %d, zone %15s %n", &nid, name, &used) >= 2, true))
			return -1;
		expect_eq(len, (size_t)(strchr(p, ',') - p) + strlen(", zone ") + 8 + 1 + 11 * 7);
		expect_eq(p[len - 1], ' ');
		b[n].nid = nid;
		strcpy(b[n].name, name);
		const char *q = p + (strchr(p, ',') - p) + strlen(", zone ") + 9;
		for (int o = 0; o < 11; o++, q += 7) {
			expect_eq(q[6], ' ');
			expect_eq(sscanf(q, "%6lu", &b[n].nr_free[o]), 1);
		}
		n++;
		p += len + 1;
	}
	return n;
}

static bool field(const char **p, const char *label, unsigned long *v)
{
	size_t l = strlen(label);
	int used = 0;

	if (strncmp(*p, label, l) || sscanf(*p + l, "%lu%n", v, &used) != 1 || (*p)[l + used] != '\n')
		return kmm_test_fail(__FILE__, __LINE__, "want \"%s<n>\" at: %.60s", label, *p);
	*p += l + used + 1;
	return true;
}

static bool skip_stat_lines(const char **p)
{
	/* "      %-12s %lu" lines */
	while (!strncmp(*p, "      ", 6) && (*p)[6] != ' ') {
		char name[64];
		unsigned long v;
		int used = 0;

		if (sscanf(*p + 6, "%63s %lu%n", name, &v, &used) != 2)
			return kmm_test_fail(__FILE__, __LINE__, "bad stat line: %.60s", *p);
		if (strlen(name) < 12 && (*p)[6 + 12] != ' ')
			return kmm_test_fail(__FILE__, __LINE__, "name not padded to 12: %.60s", *p);
		*p = strchr(*p, '\n') + 1;
	}
	return true;
}

static int parse_zoneinfo(const char *text, struct zinfo *z, int max)
{
	const char *p = text;
	int n = 0;

	while (*p) {
		struct zinfo *zi = &z[n];
		int used = 0;

		if (!expect_true(n < max))
			return -1;
		memset(zi, 0, sizeof(*zi));
		if (!expect_eq(sscanf(p, "Node %d, zone %15s%n", &zi->nid, zi->name, &used), 2))
			return -1;
		p = strchr(p, '\n') + 1;
		if (!strncmp(p, "  per-node stats\n", 17)) {
			p += 17;
			if (!skip_stat_lines(&p))
				return -1;
		}
		if (!field(&p, "  pages free     ", &zi->free) ||
		    !field(&p, "        boost    ", &zi->boost) ||
		    !field(&p, "        min      ", &zi->min) ||
		    !field(&p, "        low      ", &zi->low) ||
		    !field(&p, "        high     ", &zi->high) ||
		    !field(&p, "        promo    ", &zi->promo) ||
		    !field(&p, "        spanned  ", &zi->spanned) ||
		    !field(&p, "        present  ", &zi->present) ||
		    !field(&p, "        managed  ", &zi->managed) ||
		    !field(&p, "        cma      ", &zi->cma))
			return -1;
		if (!expect_eq(strncmp(p, "        protection: (", 21), 0))
			return -1;
		p += 21;
		for (;;) {
			long v;

			if (!expect_eq(sscanf(p, "%ld%n", &v, &used), 1))
				return -1;
			zi->prot[zi->nprot++] = v;
			p += used;
			if (*p == ')')
				break;
			if (!expect_eq(strncmp(p, ", ", 2), 0))
				return -1;
			p += 2;
		}
		expect_eq(p[1], '\n');
		p += 2;
		zi->populated = zi->present != 0;
		n++;
		if (!zi->populated)
			continue;
		if (!skip_stat_lines(&p) || !expect_eq(strncmp(p, "  pagesets\n", 11), 0))
			return -1;
		p += 11;
		while (!strncmp(p, "    cpu: ", 9)) {
			int cpu = atoi(p + 9);
			unsigned long c, h, b, t;

			if (!expect_true(cpu == zi->ncpus && cpu < MAX_CPUS))
				return -1;
			p = strchr(p, '\n') + 1;
			if (!field(&p, "              count: ", &c) ||
			    !field(&p, "              high:  ", &h) ||
			    !field(&p, "              batch: ", &b) ||
			    !field(&p, "  vm stats threshold: ", &t))
				return -1;
			zi->count[cpu] = (int)c;
			zi->high_pcp[cpu] = (int)h;
			zi->batch[cpu] = (int)b;
			zi->threshold[cpu] = (int)t;
			zi->ncpus++;
		}
		unsigned long unrecl;

		if (!field(&p, "  node_unreclaimable:  ", &unrecl) ||
		    !field(&p, "  start_pfn:           ", &zi->start_pfn))
			return -1;
	}
	return n;
}

/* A "Name: value" line of meminfo or "name value" of vmstat. */
static unsigned long value_of(const char *text, const char *name)
{
	size_t l = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, l) && (p[l] == ':' || p[l] == ' '))
			return strtoul(p + l + 1, NULL, 10);
	kmm_test_fail(__FILE__, __LINE__, "no field %s", name);
	return ~0UL;
}

/* ---- Linux's formulas, restated ---- */

static unsigned long isqrt(unsigned long x)
{
	unsigned long r = 0;

	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

static bool is_high_or_movable(const char *name)
{
	return !strcmp(name, "HighMem") || !strcmp(name, "Movable");
}

/* __setup_per_zone_wmarks() for every zone in @z[0..n), given min_free_kbytes and wsf. */
static void check_wmarks(struct zinfo *z, int n, unsigned long min_free_kbytes, unsigned long wsf)
{
	unsigned long pages_min = min_free_kbytes / 4, lowmem = 0;

	for (int i = 0; i < n; i++)
		if (!is_high_or_movable(z[i].name))
			lowmem += z[i].managed;
	for (int i = 0; i < n; i++) {
		unsigned long tmp = pages_min * z[i].managed / lowmem, min, gap;

		if (is_high_or_movable(z[i].name))
			min = z[i].managed / 1024 < 32 ? 32 : z[i].managed / 1024 > 128 ? 128
											  : z[i].managed / 1024;
		else
			min = tmp;
		gap = tmp / 4 > z[i].managed * wsf / 10000 ? tmp / 4 : z[i].managed * wsf / 10000;
		if (!expect_eq(z[i].boost, 0) || !expect_eq(z[i].min, min) ||
		    !expect_eq(z[i].low, min + gap) || !expect_eq(z[i].high, min + 2 * gap) ||
		    !expect_eq(z[i].promo, min + 3 * gap))
			fprintf(stderr, "  node %d zone %s managed %lu\n", z[i].nid, z[i].name,
				z[i].managed);
	}
}

/* setup_per_zone_lowmem_reserve(): protection of zone i against zone j. */
static void check_protection(struct zinfo *z, int n, const long *ratio)
{
	for (int i = 0; i < n; i++) {
		unsigned long sum = 0;
		int base = i;

		while (base > 0 && z[base - 1].nid == z[i].nid)
			base--;
		int idx = i - base;	/* zone's position among the node's zone types */

		if (!expect_true(z[i].nprot > idx))
			continue;
		for (int j = 0; j < z[i].nprot; j++) {
			long want = 0;

			if (j > idx) {
				sum += z[base + j].managed;
				want = ratio[idx] > 0 && z[i].managed ? (long)(sum / (unsigned long)ratio[idx])
								      : 0;
			}
			if (!expect_eq(z[i].prot[j], want))
				fprintf(stderr, "  node %d zone %s protection[%d]\n", z[i].nid,
					z[i].name, j);
		}
	}
}

/* ---- The consistency of all files ---- */

struct snapshot {
	char *buddy, *zone, *mem, *vm, *pti;
	struct binfo b[MAX_ZONES];
	struct zinfo z[MAX_ZONES];
	int nb, nz;
};

static void snap(struct kmm_machine *m, struct snapshot *s)
{
	s->buddy = t_proc(m, "/proc/buddyinfo");
	s->zone = t_proc(m, "/proc/zoneinfo");
	s->mem = t_proc(m, "/proc/meminfo");
	s->vm = t_proc(m, "/proc/vmstat");
	s->pti = t_proc(m, "/proc/pagetypeinfo");
	assert_true(s->buddy && s->zone && s->mem && s->vm && s->pti);
	s->nb = parse_buddyinfo(s->buddy, s->b, MAX_ZONES);
	s->nz = parse_zoneinfo(s->zone, s->z, MAX_ZONES);
	assert_true(s->nb > 0 && s->nz > 0);
}

static void unsnap(struct snapshot *s)
{
	free(s->buddy);
	free(s->zone);
	free(s->mem);
	free(s->vm);
	free(s->pti);
}

/* The pagetypeinfo free rows of one zone, summed over migrate types, per order. */
static void pagetype_sums(const char *pti, int nid, const char *zone, unsigned long *sum)
{
	char head[64];

	memset(sum, 0, 11 * sizeof(*sum));
	snprintf(head, sizeof(head), "Node %4d, zone %8s, type ", nid, zone);
	for (const char *p = strstr(pti, head); p; p = strstr(p + 1, head)) {
		const char *q = p + strlen(head) + 13;

		for (int o = 0; o < 11; o++, q += 7) {
			if (*q == '>') {
				sum[o] = ~0UL >> 1;	/* capped: no exact sum */
				q++;
			}
			sum[o] += strtoul(q, NULL, 10);
		}
	}
}

static void check_consistency(struct kmm_machine *m, const char *const *zones, int nzones)
{
	struct snapshot s;
	unsigned long total_free = 0, total_managed = 0;
	int bi = 0;

	snap(m, &s);
	for (int i = 0; i < s.nz; i++) {
		struct zinfo *z = &s.z[i];

		/* Every configured zone type, in order, per node. */
		expect_eq(strcmp(z->name, zones[i % nzones]), 0);
		expect_eq(z->nprot, nzones);
		expect_true(z->present <= z->spanned);
		expect_true(z->managed <= z->present);
		total_free += z->free;
		total_managed += z->managed;
		if (!z->populated)
			continue;
		expect_eq(z->ncpus, 2);
		/* buddyinfo lists exactly the populated zones, in the same order. */
		if (!expect_true(bi < s.nb) || !expect_eq(strcmp(s.b[bi].name, z->name), 0) ||
		    !expect_eq(s.b[bi].nid, z->nid))
			break;
		unsigned long sum = 0, pt[11];

		pagetype_sums(s.pti, z->nid, z->name, pt);
		for (int o = 0; o < 11; o++) {
			sum += s.b[bi].nr_free[o] << o;
			if (pt[o] < 100000 && !expect_eq(pt[o], s.b[bi].nr_free[o]))
				fprintf(stderr, "  pagetypeinfo vs buddyinfo: zone %s order %d\n",
					z->name, o);
		}
		if (!expect_eq(sum, z->free))
			fprintf(stderr, "  buddyinfo pages vs zoneinfo free: node %d zone %s\n",
				z->nid, z->name);
		bi++;
	}
	expect_eq(bi, s.nb);
	expect_eq(value_of(s.mem, "MemTotal"), total_managed * 4);
	expect_eq(value_of(s.mem, "MemFree"), total_free * 4);
	expect_eq(value_of(s.vm, "nr_free_pages"), total_free);
	expect_eq(kmm_nr_free_pages(m), total_free);
	expect_true(value_of(s.mem, "MemAvailable") <= value_of(s.mem, "MemFree"));
	expect_eq(value_of(s.mem, "CommitLimit"), total_managed / 2 * 4);
	/* Boot's memblock allocations: the mem_map and the first per-CPU chunk. */
	expect_true(value_of(s.vm, "nr_memmap_boot_pages") > 0);
	expect_true(value_of(s.mem, "Percpu") > 0);
	if (strstr(s.mem, "HighTotal:")) {
		unsigned long high = 0, highfree = 0;

		for (int i = 0; i < s.nz; i++)
			if (!strcmp(s.z[i].name, "HighMem") ||
			    (!strcmp(s.z[i].name, "Movable") && value_of(s.mem, "HighTotal"))) {
				high += s.z[i].managed;
				highfree += s.z[i].free;
			}
		expect_eq(value_of(s.mem, "HighTotal"), high * 4);
		expect_eq(value_of(s.mem, "HighFree"), highfree * 4);
		expect_eq(value_of(s.mem, "LowTotal") + value_of(s.mem, "HighTotal"),
			  value_of(s.mem, "MemTotal"));
	}
	unsnap(&s);
}

static const char *const zones_64[] = { "DMA", "DMA32", "Normal", "Movable" };
static const char *const zones_32[] = { "DMA", "Normal", "HighMem", "Movable" };

static void boot_and_check(const char *cmdline, bool is32)
{
	struct kmm_machine *m = t_boot(cmdline);
	struct snapshot s;
	/* lowmem_reserve_ratio defaults, one per configured zone type. */
	long ratio64[] = { 256, 256, 32, 0 }, ratio32[] = { 256, 32, 0, 0 };
	char *text;

	check_consistency(m, is32 ? zones_32 : zones_64, 4);
	snap(m, &s);
	text = t_proc(m, "/proc/sys/vm/min_free_kbytes");
	unsigned long mfk = strtoul(text, NULL, 10);
	free(text);
	/*
	 * calculate_min_free_kbytes() at boot: 4 * sqrt(lowmem kB), lowmem =
	 * managed pages up to ZONE_NORMAL. As on Linux, the boot computes the
	 * watermarks before the kernel's init sections are freed, so the boot
	 * values may lag the final managed counts by those few pages.
	 */
	unsigned long lowmem = 0, want;

	for (int i = 0; i < s.nz; i++)
		if (!is_high_or_movable(s.z[i].name))
			lowmem += s.z[i].managed;
	want = isqrt(lowmem * 4 * 16);
	want = want < 128 ? 128 : want > 262144 ? 262144 : want;
	expect_true(mfk <= want && mfk + want / 200 + 2 >= want);
	for (int i = 0; i < s.nz; i++)
		expect_true(s.z[i].min <= s.z[i].low && s.z[i].low <= s.z[i].high &&
			    s.z[i].high <= s.z[i].promo);
	unsnap(&s);

	/*
	 * Writing the sysctls back unchanged recomputes everything from the
	 * current managed pages: then Linux's formulas hold exactly.
	 */
	text = t_proc(m, "/proc/sys/vm/lowmem_reserve_ratio");
	expect_eq(strcmp(text, is32 ? "256\t32\t0\t0\n" : "256\t256\t32\t0\n"), 0);
	expect_eq(kmm_proc_write(m, "/proc/sys/vm/lowmem_reserve_ratio", text), 0);
	free(text);
	expect_eq(kmm_sysctl_write(m, "vm.watermark_scale_factor", "10"), 0);
	snap(m, &s);
	check_wmarks(s.z, s.nz, mfk, 10);	/* over all nodes' zones, as Linux */
	check_protection(s.z, s.nz, is32 ? ratio32 : ratio64);
	/* The vm stats threshold is Linux's calculate_normal_threshold(). */
	for (int i = 0; i < s.nz; i++) {
		unsigned long mem = s.z[i].managed >> 15;
		int fls_mem = 0;

		while (mem >> fls_mem)
			fls_mem++;
		int t = 2 * 2 * (1 + fls_mem);

		for (int c = 0; c < s.z[i].ncpus; c++)
			expect_eq(s.z[i].threshold[c], t > 125 ? 125 : t);
	}
	unsnap(&s);

	text = t_proc(m, "/proc/cmdline");
	expect_eq(strncmp(text, cmdline, strlen(cmdline)), 0);
	expect_eq(strcmp(text + strlen(cmdline), "\n"), 0);
	free(text);
	t_done(m);
}

TEST(x86_64_1G)
{
	boot_and_check("mem=1G", false);
}

TEST(x86_64_5G_two_nodes)
{
	boot_and_check("mem=5G numa=fake=2", false);
}

TEST(x86_64_64G_deferred_sections)
{
	boot_and_check("mem=64G", false);
}

TEST(i386_1G)
{
	boot_and_check("mem=1G arch=i386", true);
}

TEST(i386_pae_5G)
{
	boot_and_check("mem=5G arch=i386-pae", true);
}

TEST(x86_64_movablecore)
{
	boot_and_check("mem=2G movablecore=512M", false);
}

TEST(i386_movablecore)
{
	boot_and_check("mem=2G arch=i386 movablecore=256M", true);
}

TEST(x86_64_lazy_buddy)
{
	boot_and_check("mem=1G buddy=lazy", false);
}

/* ---- Allocation shows up everywhere ---- */

static void allocations_are_visible(const char *cmdline)
{
	struct kmm_machine *m = boot_drained(cmdline);
	struct page *pages[64];
	unsigned long allocated = 0;
	char *vm0 = t_proc(m, "/proc/vmstat"), *vm1, *vm2;
	unsigned long pgalloc0 = value_of(vm0, "pgalloc_dma") + value_of(vm0, "pgalloc_dma32") +
				 value_of(vm0, "pgalloc_normal") + value_of(vm0, "pgalloc_movable");

	for (int i = 0; i < 64; i++) {
		unsigned int order = (unsigned int)(i % 5) * 2;	/* 0, 2, 4, 6, 8 */

		pages[i] = alloc_pages(GFP_KERNEL, order);
		assert_true(pages[i] != NULL);
		allocated += 1UL << order;
	}
	check_consistency(m, zones_64, 4);
	vm1 = t_proc(m, "/proc/vmstat");
	expect_eq(value_of(vm1, "pgalloc_dma") + value_of(vm1, "pgalloc_dma32") +
			  value_of(vm1, "pgalloc_normal") + value_of(vm1, "pgalloc_movable") - pgalloc0,
		  allocated);
	for (int i = 0; i < 64; i++)
		__free_pages(pages[i], (unsigned int)(i % 5) * 2);
	vm2 = t_proc(m, "/proc/vmstat");
	expect_eq(value_of(vm2, "pgfree") - value_of(vm1, "pgfree"), allocated);
	check_consistency(m, zones_64, 4);
	free(vm0);
	free(vm1);
	free(vm2);
	done_drained(m);
}

TEST(allocations_are_visible_eager)
{
	allocations_are_visible("mem=512M");
}

TEST(allocations_are_visible_lazy)
{
	allocations_are_visible("mem=512M buddy=lazy");
}

/* ---- Sysctls at run time ---- */

static unsigned long sysctl_ul(struct kmm_machine *m, const char *name)
{
	char *text = NULL;
	unsigned long v;

	assert_eq(kmm_sysctl_read(m, name, &text), 0);
	v = strtoul(text, NULL, 10);
	free(text);
	return v;
}

TEST(sysctl_writes_take_effect)
{
	struct kmm_machine *m = boot_drained("mem=2G");
	struct snapshot s;
	long ratio[] = { 128, 64, 16, 0 };
	struct page *p;

	assert_eq(kmm_sysctl_write(m, "vm.min_free_kbytes", "65536"), 0);
	expect_eq(sysctl_ul(m, "vm.min_free_kbytes"), 65536);
	snap(m, &s);
	check_wmarks(s.z, s.nz, 65536, 10);
	unsnap(&s);

	assert_eq(kmm_sysctl_write(m, "vm.watermark_scale_factor", "200"), 0);
	snap(m, &s);
	check_wmarks(s.z, s.nz, 65536, 200);
	/*
	 * pcp limits follow the low watermark: high_min = low / 2 CPUs (at
	 * least 4 * batch); the free path may tune a list's high up to
	 * high_max = managed / 8 / 2 CPUs. As in Linux 6.12 the sysctl sets the
	 * limits only: a list's own high (zoneinfo's "high:") stays as it was,
	 * 0 on a list never used, until the list is next used (issue 11, item 8).
	 */
	for (int i = 0; i < s.nz; i++)
		for (int c = 0; c < s.z[i].ncpus; c++) {
			int lo = (int)(s.z[i].low / 2), hi = (int)(s.z[i].managed / 8 / 2);
			struct zone *zone = NULL, *z;

			lo = lo < 4 * s.z[i].batch[c] ? 4 * s.z[i].batch[c] : lo;
			hi = hi < 4 * s.z[i].batch[c] ? 4 * s.z[i].batch[c] : hi;
			for (int t = 0; t < MAX_NR_ZONES; t++) {
				z = &m->node_data[0]->node_zones[t];
				if (!strcmp(z->name, s.z[i].name) && populated_zone(z))
					zone = z;
			}
			assert_true(zone != NULL);
			if (!expect_true(zone->pageset_high_min == lo && zone->pageset_high_max == hi))
				fprintf(stderr, "  zone %s: high_min %d high_max %d, want %d and %d\n",
					s.z[i].name, zone->pageset_high_min, zone->pageset_high_max,
					lo, hi);
		}
	unsnap(&s);
	/* Using this CPU's DMA32 list pulls its high into [high_min, high_max]. */
	p = alloc_pages(GFP_DMA32, 0);
	assert_true(p != NULL);
	__free_pages(p, 0);
	{
		struct zone *dma32 = &m->node_data[0]->node_zones[ZONE_DMA32];
		int high = per_cpu_ptr(dma32->per_cpu_pageset, kmm_this_cpu(m))->high;

		expect_true(high >= dma32->pageset_high_min && high <= dma32->pageset_high_max);
	}

	assert_eq(kmm_proc_write(m, "/proc/sys/vm/lowmem_reserve_ratio", "128 64 16 0"), 0);
	snap(m, &s);
	check_protection(s.z, s.nz, ratio);
	unsnap(&s);

	assert_eq(kmm_sysctl_write(m, "vm.percpu_pagelist_high_fraction", "8"), 0);
	snap(m, &s);
	for (int i = 0; i < s.nz; i++)
		for (int c = 0; c < s.z[i].ncpus; c++) {
			int want = (int)(s.z[i].managed / 8 / 2);
			struct zone *z;

			if (want < 4 * s.z[i].batch[c])
				want = 4 * s.z[i].batch[c];
			for (int t = 0; t < MAX_NR_ZONES; t++) {
				z = &m->node_data[0]->node_zones[t];
				if (!strcmp(z->name, s.z[i].name) && populated_zone(z)) {
					/* a slot first handed out now starts with the new limits */
					pcpu_populate(m, c);
					expect_eq(per_cpu_ptr(z->per_cpu_pageset, c)->high_min, want);
					expect_eq(per_cpu_ptr(z->per_cpu_pageset, c)->high_max, want);
				}
			}
		}
	unsnap(&s);

	/* The allocator keeps working with the new marks; the views stay consistent. */
	p = alloc_pages(GFP_KERNEL, 3);
	assert_true(p != NULL);
	__free_pages(p, 3);
	check_consistency(m, zones_64, 4);

	done_drained(m);
}

TEST(sysctl_defaults_are_linux_defaults)
{
	struct kmm_machine *m = t_boot("mem=1G");

	expect_eq(sysctl_ul(m, "vm.watermark_scale_factor"), 10);
	expect_eq(sysctl_ul(m, "vm.watermark_boost_factor"), 15000);
	expect_eq(sysctl_ul(m, "vm.percpu_pagelist_high_fraction"), 0);
	/* Same value through the path and the name. */
	char *a = t_proc(m, "/proc/sys/vm/min_free_kbytes"), *b = NULL;

	expect_eq(kmm_sysctl_read(m, "vm.min_free_kbytes", &b), 0);
	expect_eq(strcmp(a, b), 0);
	free(a);
	free(b);
	t_done(m);
}

TEST(sysctl_bad_writes_are_refused)
{
	struct kmm_machine *m = t_boot("mem=1G arch=i386");
	char *zone0 = t_proc(m, "/proc/zoneinfo"), *zone1;
	static const char *const bad[][2] = {
		{ "vm.min_free_kbytes", "-4" },	{ "vm.min_free_kbytes", "lots" },
		{ "vm.watermark_scale_factor", "0" }, { "vm.watermark_scale_factor", "3001" },
		{ "vm.percpu_pagelist_high_fraction", "4" }, { "vm.lowmem_reserve_ratio", "1 2 x" },
		{ "vm.watermark_boost_factor", "-1" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (!expect_eq(kmm_sysctl_write(m, bad[i][0], bad[i][1]), -EINVAL))
			fprintf(stderr, "  %s=%s accepted\n", bad[i][0], bad[i][1]);
	expect_eq(kmm_sysctl_write(m, "vm.no_such_thing", "1"), -ENOENT);
	expect_eq(kmm_proc_write(m, "/proc/meminfo", "1"), -EACCES);
	zone1 = t_proc(m, "/proc/zoneinfo");
	expect_eq(strcmp(zone0, zone1), 0);
	expect_eq(sysctl_ul(m, "vm.watermark_scale_factor"), 10);
	free(zone0);
	free(zone1);
	t_done(m);
}

/* ---- Other files ---- */

TEST(iomem_matches_e820)
{
	struct kmm_machine *m = t_boot("mem=5G arch=i386-pae");
	char *io = t_proc(m, "/proc/iomem"), *line, *save = NULL;
	unsigned long long ram = 0;
	bool code = false;

	assert_true(io != NULL);
	for (line = strtok_r(io, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long a, b;
		int indent = 0, used = 0;

		while (line[indent] == ' ')
			indent++;
		expect_eq(indent % 2, 0);
		if (!expect_eq(sscanf(line + indent, "%llx-%llx : %n", &a, &b, &used), 2))
			break;
		expect_true(strchr(line + indent, '-') - (line + indent) >= 8);
		expect_true(a <= b);
		if (indent == 0 && !strcmp(line + indent + used, "System RAM"))
			ram += b - a + 1;
		if (!strcmp(line + indent + used, "Kernel code")) {
			code = true;
			expect_eq(indent, 2);
		}
	}
	expect_true(code);
	/* All of RAM is there: at least MemTotal, at most mem=. */
	char *mem = t_proc(m, "/proc/meminfo");
	expect_true(ram >= value_of(mem, "MemTotal") * 1024ULL);
	expect_true(ram <= 5ULL << 30);
	free(mem);
	free(io);
	t_done(m);
}

static int count_cb_any(const char *path, unsigned int mode, void *arg)
{
	(*(unsigned long *)arg)++;
	return 0;
}

static int count_cb(const char *path, unsigned int mode, void *arg)
{
	(*(int *)arg)++;
	return strncmp(path, "/proc/sys/vm/", 13) ? -1 : 0;
}

TEST(sysctl_listing_for_sysctl_a)
{
	struct kmm_machine *m = t_boot("mem=256M");
	int n = 0;

	expect_eq(kmm_proc_list(m, "/proc/sys/vm", count_cb, &n), 0);
	expect_true(n >= 5);
	t_done(m);
}

/* ---- Reading while another thread allocates ---- */

static void *churn(void *arg)
{
	struct kmm_machine *m = arg;
	uint64_t seed = kmm_test_seed() | 1;
	int steps = kmm_test_quick() ? 2000 : 20000;

	kmm_use(m);
	for (int i = 0; i < steps; i++) {
		unsigned int order = (unsigned int)(kmm_test_rand(&seed) % 4);
		struct page *p = alloc_pages(GFP_KERNEL, order);

		if (p)
			__free_pages(p, order);
	}
	return NULL;
}

TEST(reads_race_with_allocation)
{
	struct kmm_machine *m = boot_drained("mem=256M");
	static const char *const files[] = { "/proc/buddyinfo", "/proc/pagetypeinfo",
					     "/proc/zoneinfo", "/proc/vmstat", "/proc/meminfo" };
	sim_thread *t = NULL;

	assert_eq(sim_thread_start(&t, churn, m), 0);
	for (int i = 0; i < (kmm_test_quick() ? 50 : 300); i++) {
		char *text = t_proc(m, files[i % ARRAY_SIZE(files)]);

		expect_true(text && *text);
		free(text);
	}
	sim_thread_join(t);
	check_consistency(m, zones_64, 4);
	done_drained(m);
}

/* ---- /sys/devices/system/node ---- */

TEST(node_sysfs_files)
{
	struct kmm_machine *m = t_boot("mem=5G numa=fake=2");
	char *online = t_proc(m, "/sys/devices/system/node/online");
	char *mem = t_proc(m, "/proc/meminfo");
	struct snapshot s;
	unsigned long total = 0, out;
	char *text = NULL;

	expect_eq(strcmp(online, "0-1\n"), 0);
	snap(m, &s);
	for (int nid = 0; nid < 2; nid++) {
		char path[64], label[32];
		unsigned long nfree = 0;
		char *mi, *vm;

		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", nid);
		mi = t_proc(m, path);
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/vmstat", nid);
		vm = t_proc(m, path);
		assert_true(mi && vm);
		for (int i = 0; i < s.nz; i++)
			if (s.z[i].nid == nid)
				nfree += s.z[i].free;
		/* "Node N Name:" padded as meminfo's labels, value to column 8 + 24. */
		for (char *p = mi; *p; p = strchr(p, '\n') + 1) {
			size_t len = strcspn(p, "\n");

			expect_eq(strncmp(p, nid ? "Node 1 " : "Node 0 ", 7), 0);
			if (strncmp(p + 7, "HugePages_", 10))
				expect_eq(len, 7 + 27);
		}
		snprintf(label, sizeof(label), "Node %d MemFree:", nid);
		expect_eq(strtoul(strstr(mi, label) + strlen(label), NULL, 10), nfree * 4);
		snprintf(label, sizeof(label), "Node %d MemTotal:", nid);
		total += strtoul(strstr(mi, label) + strlen(label), NULL, 10);
		expect_eq(value_of(vm, "nr_free_pages"), nfree);
		free(mi);
		free(vm);
	}
	expect_eq(total, value_of(mem, "MemTotal"));
	unsnap(&s);
	expect_eq(kmm_proc_read(m, "/sys/devices/system/node/node2/meminfo", &text), -ENOENT);
	expect_eq(kmm_proc_read(m, "/sys/devices/system/node/node01/meminfo", &text), -ENOENT);
	expect_eq(kmm_proc_read(m, "/sys/devices/system/node/node0/meminfox", &text), -ENOENT);
	expect_eq(kmm_proc_write(m, "/sys/devices/system/node/node0/meminfo", "1"), -EACCES);
	out = 0;
	expect_eq(kmm_proc_list(m, "/sys/devices/system/node", count_cb_any, &out), 0);
	expect_eq(out, 4 + 2 * 3);
	free(online);
	free(mem);
	t_done(m);
}
