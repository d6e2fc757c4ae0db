// SPDX-License-Identifier: MIT
/*
 * tests/integration_fault_counts_threads.c - a process's minor fault count
 * when two host threads on two CPU slots fault for it: every fault counted
 * once, whichever slot's line of the task's counts it went to
 * (struct task_flt_line, mm/include/mm.h; Linux sums its threads' min_flt
 * for /proc/PID/stat).
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <kmm/process.h>

#include "mm/include/mm.h"

#define PG PAGE_SIZE
#define PAGES 64
#define RW (KMM_PROT_READ | KMM_PROT_WRITE)

struct toucher {
	struct task_struct *t;
	uint64_t addr;
	int cpu;
	int ret;
};

static void *touch_pages(void *arg)
{
	struct toucher *w = arg;

	kmm_use(w->t->machine);
	w->cpu = kmm_this_cpu(w->t->machine);
	w->ret = kmm_touch(w->t, w->addr, PAGES * PG, true);
	kmm_use(NULL);
	return NULL;
}

TEST(faults_of_one_process_on_two_slots_are_each_counted_once)
{
	struct kmm_machine *m = boot("mem=128M maxcpus=2");
	struct task_struct *p = kmm_spawn(m, "two");
	struct task_mm_info before, after;
	struct toucher w = { p, 0, -1, -1 };
	uint64_t mine;
	sim_thread *th;

	assert_true(p != NULL);
	assert_eq(kmm_this_cpu(m), 0);
	assert_eq(kmm_mmap(p, 0, PAGES * PG, RW, KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &mine), 0);
	assert_eq(kmm_mmap(p, 0, PAGES * PG, RW, KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &w.addr), 0);
	task_mm_info(p, &before);
	assert_eq(kmm_touch(p, mine, PAGES * PG, true), 0);	/* slot 0 */
	assert_eq(sim_thread_start(&th, touch_pages, &w), 0);
	sim_thread_join(th);
	assert_eq(w.cpu, 1);
	assert_eq(w.ret, 0);
	task_mm_info(p, &after);
	expect_eq(after.min_flt - before.min_flt, 2 * PAGES);	/* one demand-zero fault a page */
	expect_eq(after.maj_flt, before.maj_flt);
	expect_eq(task_flt(p, false), after.min_flt);
	kmm_exit(p, 0);
	kmm_task_release(p);
	done(m);
}
