// SPDX-License-Identifier: MIT
/*
 * tests/integration_memory_hotplug.c - memory hotplug through the public API
 * and /sys/devices/system/memory: the memory blocks of boot RAM as Linux
 * 6.12 shows them, add_memory() of a range of the board's hotplug area
 * (maxmem=), onlining into Normal or Movable, what moves in /proc (MemTotal,
 * the zones, min_free_kbytes, the watermarks, pcp batch, nr_memmap_pages,
 * /proc/iomem), allocating all of the new memory with the checkers holding,
 * and bad requests refused with nothing changed.
 *
 * The facts held to (Linux 6.12 drivers/base/memory.c and
 * arch/x86/mm/init_64.c): block_size_bytes "%lx" of 128 MiB below 64 GiB of
 * boot RAM; phys_index "%08lx"; state "online"/"offline"; removable "1" with
 * CONFIG_MEMORY_HOTREMOVE (Debian's kernel); valid_zones of an online block
 * its zone, or "none" when it straddles two; of an offline one the default
 * zone first, then the others allowed. tests/real-linux/ holds no capture of
 * /sys/devices/system/memory; the block count of mem=1G is checked against
 * the capture's System RAM instead (real-x86_64-mem1G.txt: RAM up to 1 GiB,
 * so memory0..memory7).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/kmm.h>
#include <kmm/proc.h>
#include <kmm/trace.h>

#include "mm/include/memory_hotplug.h"

#include "tests/harness.h"
#include "tests/proc_test.h"

#define BLOCK (128ULL << 20)
#define HOT_START 0x100000000ULL	/* QEMU's device memory: the first GiB at or above 4G */
#define HOT_PFN (HOT_START >> 12)

static char *sys(struct kmm_machine *m, const char *fmt, unsigned long id)
{
	char path[128];

	snprintf(path, sizeof(path), fmt, id);
	return t_proc(m, path);
}

/* kmm_boot, current, and shut down by the test itself (its own leak arithmetic). */
static struct kmm_machine *hboot(const char *cmdline)
{
	struct kmm_machine *m = kmm_boot(cmdline);

	if (!m) {
		kmm_test_fail(__FILE__, __LINE__, "kmm_boot(\"%s\"): %s", cmdline, kmm_last_error());
		kmm_test_abort();
	}
	kmm_use(m);
	return m;
}

static void hdone(struct kmm_machine *m)
{
	expect_eq(kmm_check(m), 0);
	kmm_use(NULL);
	kmm_shutdown(m);
}

#define expect_sys(m, fmt, id, want)                                            \
	do {                                                                    \
		char *_t = sys((m), (fmt), (id));                               \
		if (!_t || strcmp(_t, (want)))                                  \
			kmm_test_fail(__FILE__, __LINE__, "%s (memory%lu): \"%s\", want \"%s\"", \
				      (fmt), (unsigned long)(id), _t ? _t : "(null)", (want)); \
		free(_t);                                                       \
	} while (0)

/* A zone's field in /proc/zoneinfo ("managed", "present", "min", "batch:"), or -1. */
static long zone_field(struct kmm_machine *m, const char *zone, const char *field)
{
	char *text = t_proc(m, "/proc/zoneinfo"), head[64];
	const char *p, *next, *f;
	long v = -1;

	snprintf(head, sizeof(head), "zone %8s", zone);
	if (text && (p = strstr(text, head))) {
		next = strstr(p + 1, "Node ");
		f = strstr(p, field);
		if (f && (!next || f < next))
			v = strtol(f + strlen(field), NULL, 10);
	}
	free(text);
	return v;
}

static long min_free_kbytes(struct kmm_machine *m)
{
	return proc_field(m, "/proc/sys/vm/min_free_kbytes", "", "");
}

TEST(boot_memory_blocks_as_linux_shows_them)
{
	struct kmm_machine *m = t_boot("mem=1G");
	char *text;

	assert_true(m != NULL);
	text = t_proc(m, "/sys/devices/system/memory/block_size_bytes");
	expect_true(text && !strcmp(text, "8000000\n"));
	free(text);
	text = t_proc(m, "/sys/devices/system/memory/auto_online_blocks");
	expect_true(text && !strcmp(text, "offline\n"));
	free(text);
	/* mem=1G: RAM up to 1 GiB, 8 blocks; memory0 holds DMA and DMA32 */
	expect_sys(m, "/sys/devices/system/memory/memory%lu/valid_zones", 0, "none\n");
	expect_sys(m, "/sys/devices/system/memory/memory%lu/valid_zones", 1, "DMA32\n");
	expect_sys(m, "/sys/devices/system/memory/memory%lu/phys_index", 7, "00000007\n");
	expect_sys(m, "/sys/devices/system/memory/memory%lu/state", 7, "online\n");
	expect_sys(m, "/sys/devices/system/memory/memory%lu/online", 7, "1\n");
	expect_sys(m, "/sys/devices/system/memory/memory%lu/removable", 7, "1\n");
	expect_sys(m, "/sys/devices/system/memory/memory%lu/phys_device", 7, "0\n");
	char *none = NULL;

	expect_eq(kmm_proc_read(m, "/sys/devices/system/memory/memory8/state", &none), -ENOENT);
	free(none);
	/* no hotplug area without maxmem=: the add is refused, nothing changes */
	long total = meminfo_kb(m, "MemTotal");

	expect_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_ONLINE, NULL), -ENOSPC);
	expect_str_contains(kmm_last_error(), "maxmem=");
	expect_eq(meminfo_kb(m, "MemTotal"), total);
	t_done(m);
}

TEST(add_online_and_allocate_all)
{
	struct kmm_machine *m = hboot("mem=256M maxmem=512M");
	unsigned long free0, free1, got = 0, hot = 0;
	long total0, min0, memmap0;
	uint64_t start = 0;
	struct page **pages;

	assert_true(m != NULL);
	free0 = t_nr_free_drained(m);
	total0 = meminfo_kb(m, "MemTotal");
	min0 = min_free_kbytes(m);
	memmap0 = vmstat_val(m, "nr_memmap_pages");
	expect_eq(zone_field(m, "Normal", "present"), 0);	/* no Normal RAM below 4G */

	/* add_memory(): offline blocks, their vmemmap taken from existing memory */
	assert_eq(kmm_memory_hotplug_add(m, 256ULL << 20, KMM_MHP_DEFAULT, &start), 0);
	expect_eq(start, HOT_START);
	expect_eq(meminfo_kb(m, "MemTotal"), total0);
	expect_eq(vmstat_val(m, "nr_memmap_pages"), memmap0 + 1024);
	expect_sys(m, "/sys/devices/system/memory/memory%lu/state", 32, "offline\n");
	expect_sys(m, "/sys/devices/system/memory/memory%lu/online", 33, "0\n");
	expect_sys(m, "/sys/devices/system/memory/memory%lu/valid_zones", 32, "Normal Movable\n");
	expect_sys(m, "/sys/devices/system/memory/memory%lu/phys_index", 33, "00000021\n");
	char *iomem = t_proc(m, "/proc/iomem");

	expect_str_contains(iomem, "\n100000000-10fffffff : System RAM\n");
	free(iomem);
	assert_eq(kmm_check(m), 0);

	/* online both through sysfs, as udev or a person would */
	assert_eq(kmm_proc_write(m, "/sys/devices/system/memory/memory32/state", "online\n"), 0);
	assert_eq(kmm_proc_write(m, "/sys/devices/system/memory/memory33/online", "1"), 0);
	expect_sys(m, "/sys/devices/system/memory/memory%lu/valid_zones", 33, "Normal\n");
	expect_eq(meminfo_kb(m, "MemTotal"), total0 + 262144);
	expect_eq(zone_field(m, "Normal", "present"), 65536);
	expect_eq(zone_field(m, "Normal", "managed"), 65536);
	expect_eq(zone_field(m, "Normal", "start_pfn:"), (long)HOT_PFN);
	/* zone_pcp_update(): the batch of 65536 managed pages (zone_batchsize) */
	expect_eq(zone_field(m, "Normal", "batch:"), 15);
	/*
	 * init_per_zone_wmark_min(): more lowmem, a larger min_free_kbytes
	 * (4 * sqrt(lowmem kB)), and the lowmem zones' min marks share it out
	 * (each rounded down).
	 */
	long min1 = min_free_kbytes(m), pages_min, sum;

	expect_true(min1 > min0);
	pages_min = min1 / 4;
	sum = zone_field(m, "DMA", "min") + zone_field(m, "DMA32", "min") +
	      zone_field(m, "Normal", "min");
	expect_true(sum <= pages_min && sum >= pages_min - 3);
	assert_eq(kmm_check(m), 0);

	/* every hot-added page can be allocated (and only the added ones lie above 4G) */
	pages = calloc(200000, sizeof(*pages));
	assert_true(pages != NULL);
	while (got < 200000 && (pages[got] = alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_NORETRY |
							 __GFP_NOWARN, 0)) != NULL) {
		if (page_to_pfn(pages[got]) >= HOT_PFN) {
			expect_true(page_to_pfn(pages[got]) < HOT_PFN + 65536);
			hot++;
		}
		got++;
	}
	/* all of Normal is taken but what its min watermark keeps back */
	kmm_drain(m);
	expect_eq(hot + (unsigned long)zone_field(m, "Normal", "pages free"), 65536);
	expect_true(hot >= 65536 - 1024);
	assert_eq(kmm_check(m), 0);
	for (unsigned long i = 0; i < got; i++)
		__free_pages(pages[i], 0);
	free(pages);
	assert_eq(kmm_check(m), 0);

	/* the leak check: the added pages less the 2 vmemmaps and one page table */
	free1 = t_nr_free_drained(m);
	expect_eq(free1, free0 + 65536 - 1024 - 1);
	hdone(m);
}

TEST(online_movable_keeps_kernel_allocations_out)
{
	struct kmm_machine *m = hboot("mem=256M maxmem=640M");
	unsigned long got = 0;
	struct page **pages;

	assert_true(m != NULL);
	assert_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_ONLINE_MOVABLE, NULL), 0);
	expect_sys(m, "/sys/devices/system/memory/memory%lu/valid_zones", 32, "Movable\n");
	expect_eq(zone_field(m, "Movable", "present"), 32768);
	/* min of Movable: managed / 1024, clamped to [32, 128] */
	expect_eq(zone_field(m, "Movable", "min"), 32);
	/* a Normal block above a Movable one is fine; Movable growing over it is not */
	assert_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_ONLINE_KERNEL, NULL), 0);
	expect_sys(m, "/sys/devices/system/memory/memory%lu/valid_zones", 33, "Normal\n");
	assert_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_OFFLINE, NULL), 0);
	expect_sys(m, "/sys/devices/system/memory/memory%lu/valid_zones", 34, "Normal\n");
	long total = meminfo_kb(m, "MemTotal");

	expect_eq(kmm_memory_block_online(m, 34, KMM_MHP_ONLINE_MOVABLE), -EINVAL);
	expect_str_contains(kmm_last_error(), "kmm keeps zones apart");
	expect_eq(meminfo_kb(m, "MemTotal"), total);
	assert_eq(kmm_check(m), 0);

	/* GFP_KERNEL never gets a Movable page */
	pages = calloc(200000, sizeof(*pages));
	assert_true(pages != NULL);
	while (got < 200000 &&
	       (pages[got] = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0)) != NULL) {
		unsigned long pfn = page_to_pfn(pages[got]);

		expect_true(pfn < HOT_PFN || pfn >= HOT_PFN + 32768);
		got++;
	}
	expect_true(got > 32768);	/* Normal's block was used */
	for (unsigned long i = 0; i < got; i++)
		__free_pages(pages[i], 0);
	free(pages);
	assert_eq(kmm_check(m), 0);
	hdone(m);
}

TEST(bad_requests_change_nothing)
{
	struct kmm_machine *m = hboot("mem=256M maxmem=512M memhp_default_state=online");
	long total;
	char *text;

	assert_true(m != NULL);
	text = t_proc(m, "/sys/devices/system/memory/auto_online_blocks");
	expect_true(text && !strcmp(text, "online\n"));
	free(text);
	total = meminfo_kb(m, "MemTotal");
	expect_eq(kmm_memory_hotplug_add(m, 64ULL << 20, KMM_MHP_DEFAULT, NULL), -EINVAL);
	expect_str_contains(kmm_last_error(), "not whole memory blocks");
	expect_eq(kmm_memory_hotplug_add(m, 3 * BLOCK, KMM_MHP_DEFAULT, NULL), -ERANGE);
	expect_str_contains(kmm_last_error(), "outside the hotplug area");
	expect_eq(kmm_memory_hotplug_add(m, BLOCK, 7, NULL), -EINVAL);
	expect_eq(kmm_memory_block_online(m, 32, KMM_MHP_ONLINE), -EINVAL);	/* not added */
	expect_eq(kmm_memory_block_online(m, 1, KMM_MHP_ONLINE), -EINVAL);	/* boot memory */
	expect_str_contains(kmm_last_error(), "already online");
	expect_eq(meminfo_kb(m, "MemTotal"), total);
	expect_eq(vmstat_val(m, "nr_memmap_pages"), 0);

	/* memhp_default_state=online: added and onlined at once */
	assert_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_DEFAULT, NULL), 0);
	expect_eq(meminfo_kb(m, "MemTotal"), total + 131072);
	expect_sys(m, "/sys/devices/system/memory/memory%lu/state", 32, "online\n");
	expect_eq(kmm_proc_write(m, "/sys/devices/system/memory/memory32/state", "offline"),
		  -EBUSY);
	expect_str_contains(kmm_last_error(), "not built");
	expect_eq(kmm_proc_write(m, "/sys/devices/system/memory/memory32/state", "sideways"),
		  -EINVAL);
	expect_eq(kmm_proc_write(m, "/sys/devices/system/memory/memory32/phys_index", "1"),
		  -EACCES);
	expect_eq(kmm_memory_block_online(m, 32, KMM_MHP_ONLINE), -EINVAL);	/* twice */
	expect_eq(meminfo_kb(m, "MemTotal"), total + 131072);
	assert_eq(kmm_check(m), 0);
	hdone(m);

	/* 32-bit machines have no memory hotplug */
	m = t_boot("mem=256M arch=i386 maxmem=1G");
	assert_true(m != NULL);
	expect_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_ONLINE, NULL), -EOPNOTSUPP);
	t_done(m);
}

/* Fill @m with order-0 pages of @gfp until it fails; returns how many (in @pages). */
static unsigned long fill(struct page **pages, unsigned long max, gfp_t gfp)
{
	unsigned long n = 0;

	while (n < max && (pages[n] = alloc_pages(gfp | __GFP_NORETRY | __GFP_NOWARN, 0)) != NULL)
		n++;
	return n;
}

TEST(memory_added_when_none_is_left)
{
	struct kmm_machine *m = hboot("mem=256M maxmem=512M");
	struct page **pages = calloc(400000, sizeof(*pages));
	unsigned long n, more;
	long total;

	assert_true(pages != NULL);
	n = fill(pages, 400000, GFP_KERNEL);
	total = meminfo_kb(m, "MemTotal");
	/* no 2 MiB block is left for a vmemmap: refused, nothing changed */
	expect_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_ONLINE, NULL), -ENOMEM);
	expect_str_contains(kmm_last_error(), "vmemmap");
	expect_eq(meminfo_kb(m, "MemTotal"), total);
	expect_eq(vmstat_val(m, "nr_memmap_pages"), 0);
	char *none = NULL;

	expect_eq(kmm_proc_read(m, "/sys/devices/system/memory/memory32/state", &none), -ENOENT);
	free(none);
	assert_eq(kmm_check(m), 0);
	for (unsigned long i = 0; i < n; i++)
		__free_pages(pages[i], 0);
	hdone(m);

	/* memmap_on_memory: the block holds its own vmemmap, so it can be added now */
	m = hboot("mem=256M maxmem=512M memory_hotplug.memmap_on_memory=1");
	n = fill(pages, 400000, GFP_KERNEL);
	total = meminfo_kb(m, "MemTotal");
	assert_eq(kmm_memory_hotplug_add(m, 256ULL << 20, KMM_MHP_ONLINE, NULL), 0);
	expect_eq(vmstat_val(m, "nr_memmap_pages"), 0);
	/* the vmemmap pageblocks are present but never managed */
	expect_eq(zone_field(m, "Normal", "present"), 65536);
	expect_eq(zone_field(m, "Normal", "managed"), 65536 - 1024);
	expect_eq(meminfo_kb(m, "MemTotal"), total + 4 * (65536 - 1024));
	assert_eq(kmm_check(m), 0);
	more = fill(pages + n, 400000 - n, GFP_KERNEL);
	unsigned long hot = 0, vmemmap = 0;

	for (unsigned long i = n; i < n + more; i++) {
		unsigned long pfn = page_to_pfn(pages[i]);

		hot += pfn >= HOT_PFN;
		vmemmap += pfn >= HOT_PFN && (pfn & (32768 - 1)) < 512;
	}
	expect_eq(vmemmap, 0);			/* never a page of a block's own vmemmap */
	expect_true(hot >= 65536 - 1024 - 1024);	/* all but the min watermark's */
	assert_eq(kmm_check(m), 0);
	for (unsigned long i = 0; i < n + more; i++)
		__free_pages(pages[i], 0);
	free(pages);
	hdone(m);
}

/*
 * What the vmemmap allocations of an add saw: how many, and how many under
 * the hotplug lock; with @race set, the first one lets another thread add
 * the same range meanwhile (it can only when the lock is free).
 */
struct vmemmap_watch {
	struct kmm_machine *m;
	int allocs, locked;
	bool race;
	int racer_err;
};

static void *racing_adder(void *arg)
{
	struct vmemmap_watch *w = arg;

	kmm_use(w->m);
	w->racer_err = add_memory(w->m, 0, HOT_START, BLOCK, MMOP_OFFLINE);
	kmm_use(NULL);
	return NULL;
}

static int watch_vmemmap_alloc(struct kmm_machine *m, const struct kmm_event *ev, void *arg)
{
	struct vmemmap_watch *w = arg;
	bool locked;
	pthread_t t;

	if (ev->type != KMM_EV_SHOULD_FAIL_ALLOC_PAGE || ev->fail.order != 9)
		return 0;
	locked = mem_hotplug_lock_held(m);
	__atomic_fetch_add(&w->allocs, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->locked, locked, __ATOMIC_RELAXED);
	if (w->race && !locked) {
		w->race = false;
		if (pthread_create(&t, NULL, racing_adder, w) == 0)
			pthread_join(t, NULL);
	}
	return 0;
}

/*
 * add_memory()'s vmemmap allocations (GFP_KERNEL | __GFP_RETRY_MAYFAIL: they
 * may reclaim and throttle) run with the hotplug lock free, so that growers,
 * sysfs writers and /proc/iomem readers do not spin behind a reclaim.
 */
TEST(vmemmap_allocated_outside_the_hotplug_lock)
{
	struct kmm_machine *m = hboot("mem=256M maxmem=768M");
	struct vmemmap_watch w = { .m = m };
	struct kmm_trace_sub sub = {
		.name = "vmemmap_watch",
		.mask = KMM_EVBIT(KMM_EV_SHOULD_FAIL_ALLOC_PAGE),
		.fn = watch_vmemmap_alloc,
		.arg = &w,
	};
	unsigned long free0 = t_nr_free_drained(m);
	int id = kmm_trace_subscribe(m, &sub);

	assert_true(id >= 0);
	assert_eq(kmm_memory_hotplug_add(m, 2 * BLOCK, KMM_MHP_OFFLINE, NULL), 0);
	expect_eq(w.allocs, 2);		/* one 2 MiB vmemmap per block */
	expect_eq(w.locked, 0);
	/* a second adder asking for the same start loses: EEXIST, its vmemmaps returned */
	expect_eq(add_memory(m, 0, HOT_START, BLOCK, MMOP_OFFLINE), -EEXIST);
	expect_eq(w.allocs, 2);
	expect_eq(w.locked, 0);
	kmm_trace_unsubscribe(m, id);
	expect_eq(vmstat_val(m, "nr_memmap_pages"), 1024);
	expect_eq(t_nr_free_drained(m), free0 - 1024 - 1);
	assert_eq(kmm_check(m), 0);
	hdone(m);

	/*
	 * Two adders of one range: the second takes its block's vmemmap while
	 * the first is still taking its own, and wins; the first finds the
	 * range taken under the lock and gives its vmemmaps back.
	 */
	m = hboot("mem=256M maxmem=768M");
	w = (struct vmemmap_watch){ .m = m, .race = true, .racer_err = 1 };
	free0 = t_nr_free_drained(m);
	sub.arg = &w;
	id = kmm_trace_subscribe(m, &sub);
	assert_true(id >= 0);
	expect_eq(kmm_memory_hotplug_add(m, 2 * BLOCK, KMM_MHP_OFFLINE, NULL), -EEXIST);
	kmm_trace_unsubscribe(m, id);
	expect_eq(w.racer_err, 0);
	expect_eq(w.locked, 0);
	expect_eq(w.allocs, 3);		/* the loser's first, the winner's, the loser's second */
	expect_eq(vmstat_val(m, "nr_memmap_pages"), 512);
	expect_sys(m, "/sys/devices/system/memory/memory%lu/state", 32, "offline\n");
	char *none = NULL;

	expect_eq(kmm_proc_read(m, "/sys/devices/system/memory/memory33/state", &none), -ENOENT);
	free(none);
	expect_eq(t_nr_free_drained(m), free0 - 512 - 1);
	assert_eq(kmm_check(m), 0);
	hdone(m);
}

/*
 * An add whose onlining fails still added the blocks (Linux's add_memory()
 * returns 0 and leaves them offline): the caller learns where they are, and
 * they can be onlined later.
 */
TEST(failed_online_leaves_the_blocks_added_and_offline)
{
	struct kmm_machine *m = hboot("mem=256M maxmem=768M");
	uint64_t start = 0;
	long total;
	char *none = NULL;

	assert_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_ONLINE_KERNEL, NULL), 0);	/* 32 */
	assert_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_ONLINE_MOVABLE, NULL), 0);	/* 33 */
	total = meminfo_kb(m, "MemTotal");
	/* 34 would go to Normal, which cannot grow over Movable's block 33 */
	expect_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_ONLINE, &start), 0);
	expect_eq(start, HOT_START + 2 * BLOCK);
	expect_sys(m, "/sys/devices/system/memory/memory%lu/state", 34, "offline\n");
	expect_eq(meminfo_kb(m, "MemTotal"), total);
	assert_eq(kmm_check(m), 0);
	/* growth tries block 34 first, and adds no more blocks it could not online either */
	expect_eq(memory_hotplug_grow(m, BLOCK), -EINVAL);
	expect_eq(kmm_proc_read(m, "/sys/devices/system/memory/memory35/state", &none), -ENOENT);
	free(none);
	/* the block can still be onlined, into a zone that may grow over it */
	assert_eq(kmm_memory_block_online(m, 34, KMM_MHP_ONLINE_MOVABLE), 0);
	expect_sys(m, "/sys/devices/system/memory/memory%lu/valid_zones", 34, "Movable\n");
	expect_eq(meminfo_kb(m, "MemTotal"), total + 131072);
	assert_eq(kmm_check(m), 0);
	hdone(m);
}

/* memory_hotplug_grow() onlines blocks already added before it adds new ones. */
TEST(grow_onlines_blocks_left_offline_first)
{
	struct kmm_machine *m = hboot("mem=256M maxmem=768M");
	char *none = NULL;
	long total;

	assert_eq(kmm_memory_hotplug_add(m, 2 * BLOCK, KMM_MHP_OFFLINE, NULL), 0);	/* 32, 33 */
	total = meminfo_kb(m, "MemTotal");
	assert_eq(memory_hotplug_grow(m, 1), 0);
	expect_sys(m, "/sys/devices/system/memory/memory%lu/state", 32, "online\n");
	expect_sys(m, "/sys/devices/system/memory/memory%lu/state", 33, "offline\n");
	expect_eq(kmm_proc_read(m, "/sys/devices/system/memory/memory34/state", &none), -ENOENT);
	free(none);
	none = NULL;
	expect_eq(meminfo_kb(m, "MemTotal"), total + 131072);
	/* asked for two blocks: the one left offline is onlined, nothing is added */
	assert_eq(memory_hotplug_grow(m, 2 * BLOCK), 0);
	expect_sys(m, "/sys/devices/system/memory/memory%lu/state", 33, "online\n");
	expect_eq(kmm_proc_read(m, "/sys/devices/system/memory/memory34/state", &none), -ENOENT);
	free(none);
	/* none left offline: the next block is added and onlined */
	assert_eq(memory_hotplug_grow(m, 1), 0);
	expect_sys(m, "/sys/devices/system/memory/memory%lu/state", 34, "online\n");
	expect_eq(meminfo_kb(m, "MemTotal"), total + 3 * 131072);
	assert_eq(kmm_check(m), 0);
	hdone(m);
}

/*
 * A zone that has pages grows only upward: every allocation and free reads
 * its start_pfn and pageblock array without a lock, so the start stays put.
 * An empty zone's first block may lie anywhere.
 */
TEST(populated_zone_grows_only_upward)
{
	struct kmm_machine *m = hboot("mem=256M maxmem=768M");
	long total;

	assert_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_OFFLINE, NULL), 0);		/* 32 */
	assert_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_ONLINE_KERNEL, NULL), 0);	/* 33 */
	total = meminfo_kb(m, "MemTotal");
	expect_eq(kmm_memory_block_online(m, 32, KMM_MHP_ONLINE_KERNEL), -EINVAL);
	expect_str_contains(kmm_last_error(), "only grows upward");
	expect_eq(zone_field(m, "Normal", "start_pfn:"), (long)(HOT_PFN + 32768));
	expect_eq(meminfo_kb(m, "MemTotal"), total);
	expect_sys(m, "/sys/devices/system/memory/memory%lu/valid_zones", 32, "Movable\n");
	/* Movable is empty: its first block may go below Normal */
	assert_eq(kmm_memory_block_online(m, 32, KMM_MHP_ONLINE_MOVABLE), 0);
	expect_eq(zone_field(m, "Movable", "start_pfn:"), (long)HOT_PFN);
	assert_eq(kmm_check(m), 0);
	hdone(m);
}

/*
 * /proc/iomem lists every hot-added range as its own "System RAM", as each
 * add_memory() registers one on Linux: 300 single-block adds show 300 lines
 * (the tree had room for 256 of them, and 512 resources in all).
 */
TEST(iomem_lists_every_hot_added_range)
{
	struct kmm_machine *m = hboot("mem=256M maxmem=40G memory_hotplug.memmap_on_memory=1");
	char want[96], *text;
	const char *p;
	int lines = 0;

	for (int i = 0; i < 300; i++)
		assert_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_OFFLINE, NULL), 0);
	text = t_proc(m, "/proc/iomem");
	assert_true(text != NULL);
	for (p = text; (p = strstr(p, " : System RAM\n")) != NULL; p++) {
		const char *line = p;

		while (line > text && line[-1] != '\n')
			line--;
		lines += strtoull(line, NULL, 16) >= HOT_START;
	}
	expect_eq(lines, 300);
	snprintf(want, sizeof(want), "\n%llx-%llx : System RAM\n",
		 (unsigned long long)(HOT_START + 299 * BLOCK),
		 (unsigned long long)(HOT_START + 300 * BLOCK - 1));
	expect_str_contains(text, want);
	free(text);
	assert_eq(kmm_check(m), 0);
	hdone(m);
}

/*
 * The 64-bit PCI window /proc/iomem shows past the hotplug area stays where
 * boot put it, however much is plugged: the area is fixed at boot (Linux
 * reserves it from maxmem= once). Until ae70684 the area was computed again
 * from max_pfn, which each plug raises, so after 2 GiB of plugs the window
 * moved two GiB up.
 */
static void pci_windows(struct kmm_machine *m, char *out, size_t len)
{
	char *text = t_proc(m, "/proc/iomem");
	size_t used = 0;

	out[0] = '\0';
	assert_true(text != NULL);
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, ": PCI Bus") && used + strlen(line) + 2 < len)
			used += (size_t)snprintf(out + used, len - used, "%s\n", line);
	free(text);
}

TEST(pci_window_stays_where_boot_put_it_after_plugs)
{
	struct kmm_machine *m = hboot("mem=256M maxmem=40G memory_hotplug.memmap_on_memory=1");
	char before[512], after[512];

	pci_windows(m, before, sizeof(before));
	expect_str_contains(before, "b00000000-b7fffffff : PCI Bus 0000:00\n");
	for (int i = 0; i < 16; i++)	/* 2 GiB */
		assert_eq(kmm_memory_hotplug_add(m, BLOCK, KMM_MHP_ONLINE_KERNEL, NULL), 0);
	pci_windows(m, after, sizeof(after));
	if (strcmp(after, before))
		kmm_test_fail(__FILE__, __LINE__, "the PCI windows moved; before the plugs:\n%safter:\n%s",
			      before, after);
	assert_eq(kmm_check(m), 0);
	hdone(m);
}

/*
 * An allocation that began before a zone came online sees the new zonelists
 * before it fails: while it reclaims (a hook standing in for the reclaim
 * layer), another thread onlines a block into the empty Normal zone; the
 * walk it was on (DMA32, DMA: full) finds nothing, and the slow path starts
 * again on the new lists instead of failing (Linux: zonelist_update_seq).
 */
static kmm_reclaim_fn real_reclaim;
static struct kmm_machine *plug_machine;
static int plugs, plug_err = 1;

static void *plug_normal_block(void *arg)
{
	(void)arg;
	kmm_use(plug_machine);
	plug_err = kmm_memory_hotplug_add(plug_machine, BLOCK, KMM_MHP_ONLINE_KERNEL, NULL);
	kmm_use(NULL);
	return NULL;
}

static unsigned long reclaim_while_a_block_is_plugged(struct kmm_machine *m, gfp_t gfp,
						      unsigned int order, enum zone_type zi)
{
	pthread_t t;

	if (!plugs++ && pthread_create(&t, NULL, plug_normal_block, NULL) == 0)
		pthread_join(t, NULL);
	return real_reclaim(m, gfp, order, zi);
}

TEST(allocation_under_way_retries_on_new_zonelists)
{
	struct kmm_machine *m = hboot("mem=256M maxmem=512M memory_hotplug.memmap_on_memory=1");
	struct page **pages = calloc(400000, sizeof(*pages));
	struct page *p;
	unsigned long n;

	assert_true(pages != NULL && m->reclaim != NULL);
	n = fill(pages, 400000, GFP_KERNEL);
	expect_eq(zone_field(m, "Normal", "present"), 0);
	plug_machine = m;
	real_reclaim = m->reclaim;
	m->reclaim = reclaim_while_a_block_is_plugged;
	p = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0);
	m->reclaim = real_reclaim;
	expect_eq(plugs, 1);
	expect_eq(plug_err, 0);
	expect_true(p != NULL);
	if (p) {
		expect_true(page_to_pfn(p) >= HOT_PFN);
		__free_pages(p, 0);
	}
	for (unsigned long i = 0; i < n; i++)
		__free_pages(pages[i], 0);
	free(pages);
	assert_eq(kmm_check(m), 0);
	hdone(m);
}
