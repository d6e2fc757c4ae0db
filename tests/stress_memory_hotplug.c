// SPDX-License-Identifier: MIT
/*
 * tests/stress_memory_hotplug.c - memory hotplug while other threads
 * allocate: the test ThreadSanitizer (`make test-tsan`) runs over the
 * zonelist rebuild and the zone spans and counts that onlining moves.
 *
 * One thread plugs memory in, step by step: a block added offline and
 * onlined through sysfs into the empty Normal zone (the zonelists are
 * rebuilt), Normal growing by one and two blocks, a block into the empty
 * Movable zone (rebuilt again), Movable growing by a block added online and
 * by two added offline and onlined one by one. Three
 * workers meanwhile allocate and free pages of orders 0..3 - GFP_KERNEL,
 * which prefers Normal once it exists, and GFP_HIGHUSER_MOVABLE, which
 * prefers Movable - through the allocator's fast path, its zonelist walk
 * and its slow path, and stamp each page they get so a page handed out
 * twice is caught. The plugger waits for the workers to take some steps
 * between its own; after each of its steps the checkers run with every
 * worker held between steps (a host rwlock: steps share it, a check takes it
 * alone). At the end every page goes back and the books balance exactly:
 * the free pages of boot plus every hot-added page, less the vmemmaps and
 * the one direct-map page table.
 * Meanwhile a reader, outside the step lock, renders the /proc files and the
 * memory block and node files of sysfs that hot-add and online change (the
 * DirectMap counts, max_pfn, the zones' spans and present pages, the
 * blocks' state, totalreserve_pages), one read per worker step, as a
 * monitoring tool would while the malloc shim grows the machine: each of
 * those lockless reads must be an atomic load against the writer's store, or
 * ThreadSanitizer reports the pair. KMM_SEED replays the workers' choices;
 * KMM_QUICK=1 takes fewer steps.
 */
#include "tests/harness.h"
#include "tests/proc_test.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/kmm.h>
#include <kmm/proc.h>

#include "lib/util.h"
#include "mm/include/addr.h"
#include "mm/include/memory_hotplug.h"
#include "mm/include/mmzone.h"

#define NR_WORKERS 3
#define HELD 48
#define BLOCK (128ULL << 20)
#define FIRST_BLOCK 32UL	/* 4 GiB: the hotplug area's start */

static struct kmm_machine *machine;
static pthread_rwlock_t step_lock;	/* writer first: the checks must not starve */
/* the workers' steps; pace.running: workers still in their loop (they leave it on an error) */
static struct proc_pace pace;
static atomic_bool plugging_done;

struct held {
	struct page *page;
	unsigned int order;
};

struct worker {
	int id;
	uint64_t seed;
	long steps;
	long allocs;
	char error[256];
	struct held h[HELD];
};

static void fail(struct worker *w, const char *what)
{
	if (!w->error[0])
		snprintf(w->error, sizeof(w->error), "worker %d: %s", w->id, what);
}

/*
 * While a worker holds a block, the first word of each of its pages names
 * the page, the worker and the slot: another holder of the same page would
 * overwrite it.
 */
static uint64_t *stamp(struct page *p, unsigned long i)
{
	return kmm_phys_to_host(machine, PFN_PHYS(page_to_pfn_m(machine, p) + i));
}

static uint64_t tag(struct worker *w, struct held *h, unsigned long i)
{
	return ((uint64_t)(w->id + 1) << 56) | ((uint64_t)(h - w->h) << 40) |
	       (page_to_pfn_m(machine, h->page) + i);
}

static void release(struct worker *w, struct held *h)
{
	for (unsigned long i = 0; i < (1UL << h->order); i++)
		if (*stamp(h->page, i) != tag(w, h, i))
			fail(w, "a page was written while this worker held it");
	__free_pages(h->page, h->order);
	h->page = NULL;
}

static void one_step(struct worker *w)
{
	struct held *h = &w->h[kmm_test_rand(&w->seed) % HELD];
	uint64_t r = kmm_test_rand(&w->seed);
	gfp_t gfp = (r & 1) ? GFP_HIGHUSER_MOVABLE : GFP_KERNEL;

	if (h->page) {
		release(w, h);
		return;
	}
	h->order = (unsigned int)(r >> 8) % 4;
	h->page = alloc_pages(gfp | __GFP_NOWARN, h->order);
	if (!h->page)
		return;
	w->allocs++;
	for (unsigned long i = 0; i < (1UL << h->order); i++)
		*stamp(h->page, i) = tag(w, h, i);
}

static void *work(void *arg)
{
	struct worker *w = arg;

	kmm_use(machine);
	for (long i = 0; (i < w->steps || !atomic_load(&plugging_done)) && !w->error[0]; i++) {
		pthread_rwlock_rdlock(&step_lock);
		one_step(w);
		pthread_rwlock_unlock(&step_lock);
		proc_pace_step(&pace);
	}
	proc_pace_leave(&pace);
	pthread_rwlock_rdlock(&step_lock);
	for (int k = 0; k < HELD; k++)
		if (w->h[k].page)
			release(w, &w->h[k]);
	pthread_rwlock_unlock(&step_lock);
	kmm_use(NULL);
	return NULL;
}

/*
 * What the reader renders, in turn: the /proc files hot-add and online
 * change, a boot block's zone, and each hot-pluggable block's files
 * (missing until the block is added).
 */
static const char *const proc_files[] = {
	"/proc/meminfo", "/proc/zoneinfo", "/proc/iomem", "/proc/buddyinfo", "/proc/vmstat",
	"/proc/pagetypeinfo", "/sys/devices/system/node/node0/meminfo",
	"/sys/devices/system/memory/memory0/valid_zones",
};
static const char *const block_files[] = { "state", "online", "valid_zones" };

struct reader {
	long reads, errors;
	char first[160];	/* the first failed read */
};

static int count_file(const char *path, unsigned int mode, void *arg)
{
	(void)path;
	(void)mode;
	++*(long *)arg;
	return 0;
}

static void *read_proc(void *arg)
{
	struct reader *r = arg;
	char path[80];

	kmm_use(machine);
	for (unsigned int i = 0; proc_pace_turn(&pace); i++) {
		unsigned int k = i % (ARRAY_SIZE(proc_files) + 8 * ARRAY_SIZE(block_files) + 1);
		bool block = k >= ARRAY_SIZE(proc_files);
		char *text = NULL;
		long files = 0;
		int err;

		if (k == ARRAY_SIZE(proc_files) + 8 * ARRAY_SIZE(block_files)) {
			snprintf(path, sizeof(path), "/sys/devices/system/memory");
			err = kmm_proc_list(machine, path, count_file, &files);
		} else if (block) {
			k -= (unsigned int)ARRAY_SIZE(proc_files);
			snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%lu/%s",
				 FIRST_BLOCK + k / ARRAY_SIZE(block_files),
				 block_files[k % ARRAY_SIZE(block_files)]);
			err = kmm_proc_read(machine, path, &text);
		} else {
			snprintf(path, sizeof(path), "%s", proc_files[k]);
			err = kmm_proc_read(machine, path, &text);
		}
		/* a block not added yet has no files */
		if ((err || (!text && !files)) && !(block && err == -ENOENT)) {
			if (!r->errors++)
				snprintf(r->first, sizeof(r->first), "%s: %d %s", path, err,
					 kmm_last_error());
		}
		free(text);
		r->reads++;
		proc_pace_read(&pace);
	}
	kmm_use(NULL);
	return NULL;
}

/* The plugger's steps, in order: each leaves the machine checkable. */
enum step_kind { ADD, ONLINE_SYSFS, ONLINE_API };
static const struct plug_step {
	enum step_kind kind;
	int blocks;		/* ADD: how many */
	int type;		/* ADD: KMM_MHP_*; ONLINE_*: the type */
	unsigned long block;	/* ONLINE_*: which */
	const char *what;
} plan[] = {
	{ ADD, 1, KMM_MHP_OFFLINE, 0, "memory32 added offline" },
	{ ONLINE_SYSFS, 0, KMM_MHP_ONLINE_KERNEL, 32, "memory32 onlined into the empty Normal zone" },
	{ ADD, 1, KMM_MHP_ONLINE, 0, "Normal grows over memory33" },
	{ ADD, 2, KMM_MHP_ONLINE_KERNEL, 0, "Normal grows over memory34-35" },
	{ ADD, 1, KMM_MHP_ONLINE_MOVABLE, 0, "memory36 onlined into the empty Movable zone" },
	{ ADD, 1, KMM_MHP_ONLINE_MOVABLE, 0, "Movable grows over memory37" },
	{ ADD, 2, KMM_MHP_OFFLINE, 0, "memory38-39 added offline" },
	{ ONLINE_API, 0, KMM_MHP_ONLINE_MOVABLE, 38, "Movable grows over memory38" },
	{ ONLINE_API, 0, KMM_MHP_ONLINE_MOVABLE, 39, "Movable grows over memory39" },
};

static int plug(const struct plug_step *s)
{
	switch (s->kind) {
	case ADD:
		return kmm_memory_hotplug_add(machine, (uint64_t)s->blocks * BLOCK, s->type, NULL);
	case ONLINE_SYSFS: {
		char path[64];

		snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%lu/state", s->block);
		return kmm_proc_write(machine, path, "online_kernel\n");
	}
	case ONLINE_API:
		return kmm_memory_block_online(machine, s->block, s->type);
	}
	return -EINVAL;
}

TEST(plug_and_online_while_three_threads_allocate)
{
	struct worker w[NR_WORKERS];
	pthread_t t[NR_WORKERS], rd;
	struct reader reader = { 0 };
	long between = kmm_test_quick() ? 150 : 2000;
	unsigned long free0, free1;
	long allocs = 0;

	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	assert_eq(pthread_rwlock_init(&step_lock, &attr), 0);
	pthread_rwlockattr_destroy(&attr);
	/* (not t_boot: its leak check would count the added memory as a leak) */
	machine = kmm_boot("mem=256M maxmem=1280M nr_cpus=4");
	if (!machine)
		kmm_test_fail(__FILE__, __LINE__, "boot: %s", kmm_last_error());
	assert_true(machine != NULL);
	kmm_use(machine);
	free0 = t_nr_free_drained(machine);
	atomic_store(&plugging_done, false);
	proc_pace_init(&pace, NR_WORKERS);
	for (int i = 0; i < NR_WORKERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		w[i].seed = kmm_test_seed() * 0x9e3779b97f4a7c15ULL + (uint64_t)i + 1;
		w[i].steps = between;
		assert_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	assert_eq(pthread_create(&rd, NULL, read_proc, &reader), 0);
	for (size_t i = 0; i < sizeof(plan) / sizeof(plan[0]); i++) {
		long target = atomic_load(&pace.steps) + between;
		int err;

		/* let the workers run a while on what the last step left (while any runs) */
		while (atomic_load(&pace.steps) < target && atomic_load(&pace.running) > 0)
			sched_yield();
		pthread_rwlock_rdlock(&step_lock);
		err = plug(&plan[i]);
		pthread_rwlock_unlock(&step_lock);
		if (err)
			kmm_test_fail(__FILE__, __LINE__, "step %zu (%s): %d %s", i, plan[i].what,
				      err, kmm_last_error());
		pthread_rwlock_wrlock(&step_lock);
		if (kmm_check(machine))
			kmm_test_fail(__FILE__, __LINE__, "after step %zu (%s): %s", i, plan[i].what,
				      kmm_last_error());
		pthread_rwlock_unlock(&step_lock);
	}
	atomic_store(&plugging_done, true);
	for (int i = 0; i < NR_WORKERS; i++) {
		pthread_join(t[i], NULL);
		if (w[i].error[0])
			kmm_test_fail(__FILE__, __LINE__, "%s", w[i].error);
		allocs += w[i].allocs;
	}
	pthread_join(rd, NULL);
	if (reader.errors)
		kmm_test_fail(__FILE__, __LINE__, "%ld of %ld reads failed, the first %s",
			      reader.errors, reader.reads, reader.first);
	expect_true(reader.reads > 0);
	assert_eq(kmm_check(machine), 0);
	for (unsigned long b = FIRST_BLOCK; b < FIRST_BLOCK + 8; b++) {
		char path[64], *text = NULL;

		snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%lu/state", b);
		expect_eq(kmm_proc_read(machine, path, &text), 0);
		expect_true(text && !strcmp(text, "online\n"));
		free(text);
	}
	/* every page is back: boot's, the 8 blocks', less 8 vmemmaps and one page table */
	free1 = t_nr_free_drained(machine);
	expect_eq(free1, free0 + 8 * 32768 - 8 * 512 - 1);
	printf("  %d workers, %ld allocations, %zu hotplug steps, %ld /proc and /sys reads\n",
	       NR_WORKERS, allocs, sizeof(plan) / sizeof(plan[0]), reader.reads);
	kmm_use(NULL);
	kmm_shutdown(machine);
	pthread_rwlock_destroy(&step_lock);
	proc_pace_destroy(&pace);
}
