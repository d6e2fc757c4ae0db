// SPDX-License-Identifier: MIT
/*
 * tests/stress_ptl_threads.c - split PTE locks: each PTE table of a process
 * has its own lock (page->ptl), so threads of one process that fault, unmap,
 * mprotect and fork different VMAs at once meet only where their VMAs share
 * a table. First the locks themselves: one per table, the one of the table
 * that holds the slot, a fault in another table while one is held, a table
 * unlinked by munmap never returned; the RSS counted per CPU and summed
 * exactly. Then eight threads of one process, each with a VMA in a table of
 * its own and one in a table it shares with one other thread (so a munmap
 * that empties the shared table frees it while the other thread faults into
 * it), mapping, writing, reading back, mprotecting, zapping and forking at
 * random; afterwards the checker runs and every frame must be back.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <sched.h>
#include <stdatomic.h>

#include <kmm/process.h>

#include "mm/include/mm.h"

#define PG PAGE_SIZE
#define TABLE_SPAN (512 * PG)		/* what one x86-64 PTE table maps: 2 MiB */
#define BASE 0x40000000UL		/* 1 GiB: table-aligned, below what mmap picks */
#define RW (KMM_PROT_READ | KMM_PROT_WRITE)
#define ANON_FIXED (KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_FIXED)
#define NTHREADS_RSS 8

static struct task_struct *map_at(struct kmm_machine *m, uint64_t addr, uint64_t pages)
{
	struct task_struct *t = kmm_spawn(m, "ptl");
	uint64_t got;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, addr, pages * PG, RW, ANON_FIXED, &got), 0);
	assert_eq(got, addr);
	return t;
}

/* The lock of the table that maps @addr, the slot found under it (NULL: no table). */
static spinlock_t *lock_of(struct mm_struct *mm, uint64_t addr)
{
	spinlock_t *ptl = NULL;

	if (pte_offset_map_lock(mm, addr, &ptl))
		pte_unmap_unlock(ptl);
	return ptl;
}

TEST(one_lock_per_pte_table)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64 maxcpus=2");
	struct task_struct *t = map_at(m, BASE, 1024);	/* two tables' worth */
	struct mm_struct *mm = t->mm;

	assert_eq(kmm_touch(t, BASE, 1024 * PG, true), 0);
	int token = procs_enter(m);
	spinlock_t *ptl;
	void *slot = pte_offset_map_lock(mm, BASE + 3 * PG, &ptl);
	assert_true(slot != NULL);
	/* held, and it is the lock of the table frame that holds the slot */
	expect_true(spin_is_locked(ptl));
	expect_true(ptl == &virt_to_page_m(m, slot)->ptl);
	expect_true(ptl == pte_lockptr(mm, slot));
	pte_unmap_unlock(ptl);
	expect_true(!spin_is_locked(ptl));
	/* the same table: the same lock; the next table: another; neither is the mm's */
	expect_true(lock_of(mm, BASE) == ptl);
	expect_true(lock_of(mm, BASE + TABLE_SPAN - PG) == ptl);
	spinlock_t *next = lock_of(mm, BASE + TABLE_SPAN);
	assert_true(next != NULL);
	expect_true(next != ptl);
	expect_true(next == lock_of(mm, BASE + 2 * TABLE_SPAN - PG));
	expect_true(ptl != &mm->page_table_lock && next != &mm->page_table_lock);
	procs_exit(m, token);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

struct fault_arg {
	struct task_struct *t;
	uint64_t addr;
	int ret;
};

static void *fault_thread(void *arg)
{
	struct fault_arg *a = arg;

	kmm_use(a->t->machine);
	a->ret = kmm_fill(a->t, a->addr, 0x5c, 4 * PG);
	return NULL;
}

/*
 * While this thread holds the lock of one table, another thread faults four
 * pages of the next table in (with one lock per mm it would wait for ever).
 */
TEST(a_fault_in_another_table_runs_while_one_table_is_locked)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64 maxcpus=2");
	struct task_struct *t = map_at(m, BASE, 1024);
	struct fault_arg a = { t, BASE + TABLE_SPAN + 8 * PG, -1 };
	unsigned char b = 0;
	sim_thread *th;

	assert_eq(kmm_touch(t, BASE, PG, true), 0);
	assert_eq(kmm_touch(t, BASE + TABLE_SPAN, PG, true), 0);	/* the second table exists */
	int token = procs_enter(m);
	spinlock_t *ptl, *other = lock_of(t->mm, BASE + TABLE_SPAN);
	assert_true(pte_offset_map_lock(t->mm, BASE, &ptl) != NULL);
	assert_true(ptl != other);
	assert_eq(sim_thread_start(&th, fault_thread, &a), 0);
	sim_thread_join(th);
	pte_unmap_unlock(ptl);
	procs_exit(m, token);
	expect_eq(a.ret, 0);
	expect_eq(kmm_access(t, a.addr + 3 * PG + 7, &b, 1, false), 0);
	expect_eq(b, 0x5c);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

/* munmap of all a table maps frees the table: its address gives no slot and no lock. */
TEST(a_table_munmap_freed_is_not_returned)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64 maxcpus=2");
	struct task_struct *t = map_at(m, BASE, 16);

	assert_eq(kmm_touch(t, BASE, 16 * PG, true), 0);
	int token = procs_enter(m);
	expect_true(lock_of(t->mm, BASE) != NULL);
	procs_exit(m, token);
	unsigned long tables = pgtable_nr_tables(&t->mm->pgt);
	assert_eq(kmm_munmap(t, BASE, 16 * PG), 0);
	expect_true(pgtable_nr_tables(&t->mm->pgt) < tables);
	token = procs_enter(m);
	expect_true(lock_of(t->mm, BASE) == NULL);
	expect_true(lock_of(t->mm, BASE + 5 * PG) == NULL);
	procs_exit(m, token);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

/* ---- RSS counted per CPU ---- */

#define RSS_PAGES 300

struct rss_arg {
	struct task_struct *t;
	uint64_t addr;
	atomic_int *arrived;
	int ret;
};

static void *rss_thread(void *arg)
{
	struct rss_arg *a = arg;

	kmm_use(a->t->machine);
	a->ret = kmm_touch(a->t, a->addr, PG, true);	/* this thread's CPU slot, taken */
	atomic_fetch_add(a->arrived, 1);
	while (atomic_load(a->arrived) < NTHREADS_RSS)	/* every thread holds its slot at once */
		sched_yield();
	if (!a->ret)
		a->ret = kmm_touch(a->t, a->addr + PG, (RSS_PAGES - 1) * PG, true);
	return NULL;
}

/*
 * Eight threads on eight CPU slots fault RSS_PAGES pages each: the adds land
 * in more than one of the mm's per-CPU lines, and the sum is exact in
 * get_mm_counter() and in /proc/PID/status.
 */
TEST(rss_of_eight_threads_is_counted_per_cpu_and_summed_exactly)
{
	struct kmm_machine *m = boot("mem=512M arch=x86_64 maxcpus=8");
	struct task_struct *t = map_at(m, BASE, NTHREADS_RSS * 2 * RSS_PAGES);
	struct rss_arg a[NTHREADS_RSS];
	sim_thread *th[NTHREADS_RSS];
	atomic_int arrived = 0;
	long before = get_mm_counter(t->mm, MM_ANONPAGES);
	int lines = 0;

	for (int i = 0; i < NTHREADS_RSS; i++) {
		a[i] = (struct rss_arg){ t, BASE + (uint64_t)i * 2 * RSS_PAGES * PG, &arrived, -1 };
		assert_eq(sim_thread_start(&th[i], rss_thread, &a[i]), 0);
	}
	for (int i = 0; i < NTHREADS_RSS; i++) {
		sim_thread_join(th[i]);
		expect_eq(a[i].ret, 0);
	}
	expect_eq(get_mm_counter(t->mm, MM_ANONPAGES), before + NTHREADS_RSS * RSS_PAGES);
	for (int i = 0; i < MM_RSS_LINES; i++)
		lines += atomic_load(&t->mm->rss_stat[i].count[MM_ANONPAGES]) != 0;
	expect_true(lines > 1);
	char want[64];
	snprintf(want, sizeof(want), "RssAnon:\t%8ld kB", (before + NTHREADS_RSS * RSS_PAGES) * 4);
	expect_str_contains(proc_status_from(m, t, "RssAnon:"), want);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

/* ---- Eight threads of one process ---- */

#define NTHREADS 8
#define VMA_PAGES 16
#define OWN_BASE (BASE + 64 * TABLE_SPAN)	/* thread i: a table of its own each */
#define SHARED_BASE (BASE + 128 * TABLE_SPAN)	/* threads 2k and 2k + 1: one table */

struct worker {
	struct task_struct *t;
	int idx;
	uint64_t seed;
	unsigned long steps;
	int errors;
	unsigned char val[2];		/* what each of its two VMAs holds; 0: unmapped */
};

static uint64_t vma_addr(int idx, int which)
{
	return which ? SHARED_BASE + (uint64_t)(idx / 2) * 2 * TABLE_SPAN + (uint64_t)(idx % 2) * 2 * VMA_PAGES * PG
		     : OWN_BASE + (uint64_t)idx * 2 * TABLE_SPAN;
}

/* Every byte of the first and last page of a VMA, read back: @v everywhere. */
static bool holds(struct task_struct *t, uint64_t addr, unsigned char v)
{
	unsigned char buf[64];

	for (uint64_t off = 0; off < VMA_PAGES * PG; off += 5 * PG + 128) {
		if (kmm_access(t, addr + off, buf, sizeof(buf), false))
			return false;
		for (size_t i = 0; i < sizeof(buf); i++)
			if (buf[i] != v)
				return false;
	}
	return true;
}

static void worker_step(struct worker *w)
{
	struct task_struct *t = w->t;
	int which = (int)t_rnd(&w->seed, 2);
	uint64_t a = vma_addr(w->idx, which), got;
	unsigned char *v = &w->val[which];

	switch (t_rnd(&w->seed, 6)) {
	case 0:	/* map (again) and fill: faults into a table others may be freeing */
	case 1:
		if (kmm_mmap(t, a, VMA_PAGES * PG, RW, ANON_FIXED, &got)) {
			w->errors++;
			return;
		}
		*v = (unsigned char)(1 + t_rnd(&w->seed, 250));
		if (kmm_fill(t, a, *v, VMA_PAGES * PG) || !holds(t, a, *v))
			w->errors++;
		return;
	case 2:	/* unmap: may free the table (the shared one when every VMA in it is gone) */
		if (kmm_munmap(t, a, VMA_PAGES * PG))
			w->errors++;
		*v = 0;
		return;
	case 3:	/* read-only and back: each table's entries under its lock */
		if (!*v)
			return;
		if (kmm_mprotect(t, a, VMA_PAGES * PG, KMM_PROT_READ) || !holds(t, a, *v) ||
		    kmm_mprotect(t, a, VMA_PAGES * PG, RW))
			w->errors++;
		return;
	case 4:	/* zap and refault */
		if (!*v)
			return;
		if (kmm_madvise(t, a, VMA_PAGES * PG, KMM_MADV_DONTNEED) || !holds(t, a, 0))
			w->errors++;
		*v = (unsigned char)(1 + t_rnd(&w->seed, 250));
		if (kmm_fill(t, a, *v, VMA_PAGES * PG))
			w->errors++;
		return;
	default: {	/* fork: the child's copy of this thread's VMAs, then a COW write */
		struct task_struct *c = kmm_fork(t, "ptl-child");
		if (!c) {
			w->errors++;
			return;
		}
		for (int k = 0; k < 2; k++) {
			uint64_t ca = vma_addr(w->idx, k);
			if (w->val[k] && (!holds(c, ca, w->val[k]) || kmm_fill(c, ca, 0xee, 2 * PG)))
				w->errors++;
		}
		kmm_exit(c, 0);
		kmm_task_release(c);
		if (*v && !holds(t, a, *v))	/* the parent's copy is its own */
			w->errors++;
		return;
	}
	}
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	kmm_use(w->t->machine);
	for (unsigned long i = 0; i < w->steps; i++)
		worker_step(w);
	return NULL;
}

TEST(eight_threads_of_one_process_fault_unmap_mprotect_and_fork)
{
	struct kmm_machine *m = boot("mem=512M arch=x86_64 maxcpus=8");
	struct task_struct *t = kmm_spawn(m, "ptl");
	struct worker w[NTHREADS];
	sim_thread *th[NTHREADS];

	assert_true(t != NULL);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ t, i, kmm_test_seed() * 31 + (uint64_t)i + 1,
					kmm_test_quick() ? 200 : 1500, 0, { 0, 0 } };
		assert_eq(sim_thread_start(&th[i], worker_run, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		sim_thread_join(th[i]);
		expect_eq(w[i].errors, 0);
	}
	/* what each thread left mapped holds its value still */
	for (int i = 0; i < NTHREADS; i++)
		for (int k = 0; k < 2; k++)
			if (w[i].val[k])
				expect_true(holds(t, vma_addr(i, k), w[i].val[k]));
	pt_check(m);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}
