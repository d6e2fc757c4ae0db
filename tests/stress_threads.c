// SPDX-License-Identifier: MIT
/*
 * tests/stress_threads.c - every layer at once from eight threads, with
 * /proc readers: the mix ThreadSanitizer (`make test-tsan`) looks at.
 *
 * Eight workers, one CPU slot each, on one i386 machine with HighMem: each
 * step is a random operation of some layer - pages of every order (some
 * order-10 requests fail and print Linux's allocation-failure report, which
 * reads every zone), kmalloc of 8 B .. 16 KiB, a shared kmem_cache, vmalloc,
 * kmap of HighMem pages, a process that maps, writes, forks and exits - or
 * a free of something it holds. After every step the worker runs
 * kmm_check() with the others held between steps (a host rwlock: steps
 * share it, a check takes it alone). Meanwhile two readers, outside that
 * lock, render /proc and /sys files and dmesg over and over, as a monitoring
 * tool would: their lockless reads meet the workers' writes, which is what
 * READ_ONCE/WRITE_ONCE pairs (atomic loads and stores here) are for.
 * The readers keep pace with the workers, one read per step done
 * (struct proc_pace, tests/proc_test.h). At the end every worker frees
 * what it holds and every page is back.
 * KMM_SEED replays the per-thread choices; KMM_QUICK=1 takes fewer steps.
 */
#include "tests/harness.h"
#include "tests/proc_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <kmm/process.h>
#include <kmm/slab.h>
#include <kmm/vmalloc.h>

#include "lib/util.h"
#include "mm/include/mmzone.h"

#define NR_WORKERS 8
#define NR_READERS 2
#define HELD 24

static struct kmm_machine *machine;
static struct kmem_cache *shared_cache;
static pthread_rwlock_t step_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct proc_pace pace;

enum kind { K_NONE, K_PAGES, K_KMALLOC, K_CACHE, K_VMALLOC, K_KMAP };

struct held {
	enum kind kind;
	void *p;
	struct page *page;
	unsigned int order;
};

struct worker {
	int id;
	uint64_t seed;
	long steps;
	char error[256];
	struct held h[HELD];
};

static void fail(struct worker *w, const char *what)
{
	if (!w->error[0])
		snprintf(w->error, sizeof(w->error), "worker %d: %s", w->id, what);
}

static void release(struct held *h)
{
	switch (h->kind) {
	case K_PAGES:
		__free_pages(h->page, h->order);
		break;
	case K_KMALLOC:
		kfree(h->p);
		break;
	case K_CACHE:
		kmem_cache_free(shared_cache, h->p);
		break;
	case K_VMALLOC:
		vfree(h->p);
		break;
	case K_KMAP:
		kunmap(h->page);
		__free_pages(h->page, 0);
		break;
	case K_NONE:
		break;
	}
	h->kind = K_NONE;
}

/* A process that maps, writes, forks and exits: the process layer's share. */
static void process_step(struct worker *w)
{
	char name[16];
	uint64_t x;
	unsigned char b = 0;

	snprintf(name, sizeof(name), "w%d", w->id);
	struct task_struct *t = kmm_spawn(machine, name);
	if (!t)
		return;		/* out of memory: allowed */
	if (!kmm_mmap(t, 0, 8 * PAGE_SIZE, KMM_PROT_READ | KMM_PROT_WRITE,
		      KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &x) &&
	    !kmm_fill(t, x, 0x40 + w->id, 8 * PAGE_SIZE)) {
		struct task_struct *c = kmm_fork(t, "child");
		if (c) {
			kmm_fill(c, x, 0x60, PAGE_SIZE);
			if (!kmm_access(t, x, &b, 1, false) && b != 0x40 + w->id)
				fail(w, "a child's write showed in its parent");
			kmm_exit(c, 0);
			kmm_task_release(c);
		}
	}
	kmm_exit(t, 0);
	kmm_task_release(t);
}

static void one_step(struct worker *w)
{
	struct held *h = &w->h[kmm_test_rand(&w->seed) % HELD];
	unsigned int r = (unsigned int)(kmm_test_rand(&w->seed) % 100);

	if (h->kind != K_NONE) {
		release(h);
		return;
	}
	if (r < 20) {
		unsigned int order = (unsigned int)(kmm_test_rand(&w->seed) % 4);
		gfp_t gfp = (r & 1) ? GFP_HIGHUSER_MOVABLE : GFP_KERNEL;
		if ((h->page = alloc_pages(gfp | __GFP_NOWARN, order)) != NULL) {
			h->kind = K_PAGES;
			h->order = order;
		}
	} else if (r < 22) {
		/* Big enough to fail now and then: the report reads every zone. */
		struct page *pg = alloc_pages(GFP_KERNEL | __GFP_NORETRY, 10);
		if (pg) {
			h->kind = K_PAGES;
			h->page = pg;
			h->order = 10;
		}
	} else if (r < 45) {
		size_t n = 8 + kmm_test_rand(&w->seed) % (kmm_test_rand(&w->seed) % 8 ? 512 : 16384);
		if ((h->p = kmalloc(n, GFP_KERNEL | __GFP_NOWARN)) != NULL) {
			memset(h->p, w->id, n);
			h->kind = K_KMALLOC;
		}
	} else if (r < 60) {
		if ((h->p = kmem_cache_alloc(shared_cache, GFP_KERNEL)) != NULL) {
			memset(h->p, w->id, 200);
			h->kind = K_CACHE;
		}
	} else if (r < 72) {
		unsigned long n = (1 + kmm_test_rand(&w->seed) % 16) * PAGE_SIZE;
		if ((h->p = vmalloc(n)) != NULL) {
			memset(h->p, w->id, n);
			h->kind = K_VMALLOC;
		}
	} else if (r < 82) {
		struct page *pg = alloc_pages(GFP_HIGHUSER | __GFP_NOWARN, 0);
		if (pg) {
			void *v = kmap(pg);
			if (!v) {
				__free_pages(pg, 0);
				return;
			}
			memset(v, w->id, PAGE_SIZE);
			h->kind = K_KMAP;
			h->page = pg;
		}
	} else {
		process_step(w);
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;

	kmm_use(machine);
	for (long i = 0; i < w->steps && !w->error[0]; i++) {
		pthread_rwlock_rdlock(&step_lock);
		one_step(w);
		pthread_rwlock_unlock(&step_lock);
		proc_pace_step(&pace);
		/* The checkers after every step, with every other worker between steps. */
		pthread_rwlock_wrlock(&step_lock);
		if (kmm_check(machine))
			fail(w, kmm_last_error());
		pthread_rwlock_unlock(&step_lock);
	}
	pthread_rwlock_rdlock(&step_lock);
	for (int k = 0; k < HELD; k++)
		release(&w->h[k]);
	pthread_rwlock_unlock(&step_lock);
	proc_pace_leave(&pace);
	return NULL;
}

static const char *const files[] = {
	"/proc/buddyinfo", "/proc/pagetypeinfo", "/proc/zoneinfo", "/proc/meminfo",
	"/proc/vmstat", "/proc/slabinfo", "/proc/vmallocinfo", "/proc/sys/vm/min_free_kbytes",
	"/sys/kernel/slab/kmalloc-64/objects", "/sys/kernel/slab/stress/slabs",
	"/sys/devices/system/node/node0/meminfo",
};

struct reader {
	long errors;
	char first[160];	/* the first failed read */
};

/*
 * A monitoring tool: reads outside the step lock, as /proc readers do. Its
 * first read waits for no turn, so every reader reads at least once on any
 * schedule (they start after the workers, which may all be done by then).
 */
static void *read_proc(void *arg)
{
	struct reader *r = arg;
	unsigned int i = 0;

	kmm_use(machine);
	do {
		char *text = NULL;
		const char *f = files[i % ARRAY_SIZE(files)];
		int err = kmm_proc_read(machine, f, &text);
		/* (vmallocinfo is empty whenever no area is allocated) */
		if (err || !text) {
			if (!r->errors++)
				snprintf(r->first, sizeof(r->first), "%s: %d %s", f, err,
					 kmm_last_error());
		}
		free(text);
		if (i % 16 == 0)
			free(kmm_dmesg_dup(machine));
		proc_pace_read(&pace);
		i++;
	} while (proc_pace_turn(&pace));
	return NULL;
}

TEST(eight_threads_every_layer_with_proc_readers)
{
	struct worker w[NR_WORKERS];
	pthread_t t[NR_WORKERS], rd[NR_READERS];
	struct reader readers[NR_READERS];
	long steps = kmm_test_quick() ? 150 : 1500;

	machine = t_boot("mem=512M arch=i386 nr_cpus=8");
	kmm_use(machine);
	shared_cache = kmem_cache_create("stress", 200, 0, SLAB_HWCACHE_ALIGN, NULL);
	assert_true(shared_cache != NULL);
	proc_pace_init(&pace, NR_WORKERS);
	for (int i = 0; i < NR_WORKERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		w[i].seed = kmm_test_seed() * 0x9e3779b97f4a7c15ULL + (uint64_t)i + 1;
		w[i].steps = steps;
		assert_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	memset(readers, 0, sizeof(readers));
	for (int i = 0; i < NR_READERS; i++)
		assert_eq(pthread_create(&rd[i], NULL, read_proc, &readers[i]), 0);
	for (int i = 0; i < NR_WORKERS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < NR_READERS; i++)
		pthread_join(rd[i], NULL);
	for (int i = 0; i < NR_WORKERS; i++)
		if (w[i].error[0])
			kmm_test_fail(__FILE__, __LINE__, "%s", w[i].error);
	for (int i = 0; i < NR_READERS; i++)
		if (readers[i].errors)
			kmm_test_fail(__FILE__, __LINE__, "%ld reads failed, the first %s",
				      readers[i].errors, readers[i].first);
	/* Each reader's first read is unpaced; the others kept pace with the steps. */
	expect_true(atomic_load(&pace.reads) >= NR_READERS);
	printf("  %d workers x %ld steps, %ld /proc and /sys reads meanwhile\n", NR_WORKERS,
	       steps, atomic_load(&pace.reads));
	kmem_cache_destroy(shared_cache);
	t_done(machine);
	proc_pace_destroy(&pace);
}
