// SPDX-License-Identifier: MIT
/*
 * tests/stress_node_stat.c - the node stat items' per-CPU-slot diffs
 * (mm/include/vmstat.h): an update within the threshold writes its slot's
 * diff and leaves the node's base alone; the diff folds into the base when
 * it passes the threshold; a read folds every slot and is exact; and
 * threads that share one slot (more threads than maxcpus) lose no count,
 * in the read and in /proc/vmstat.
 */
#include "tests/harness.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "mm/include/vmstat.h"

/* An item nothing else moves while these tests run: no process pins pages here. */
#define ITEM NR_FOLL_PIN_ACQUIRED

static long base_of(pg_data_t *pgdat)
{
	return atomic_load(&pgdat->vm_stat[ITEM]);
}

static int diff_of(struct kmm_machine *m, pg_data_t *pgdat, int cpu)
{
	return atomic_load(&per_cpu_ptr(pgdat->per_cpu_nodestats, cpu)->vm_node_stat_diff[ITEM]);
}

TEST(an_update_within_the_threshold_writes_the_slot_not_the_base)
{
	struct kmm_machine *m = t_boot("mem=512M arch=x86_64 maxcpus=2");
	pg_data_t *pgdat = m->node_data[0];
	int cpu = kmm_this_cpu(m);
	int t = pgdat->stat_threshold, want = 0;

	assert_true(pgdat->per_cpu_nodestats != NULL);
	/* The largest of the node's zones' (boot's last fold looked again) */
	for (int z = 0; z < MAX_NR_ZONES; z++)
		want = KMM_MAX(want, calculate_normal_threshold(&pgdat->node_zones[z]));
	expect_eq(t, want);
	expect_true(t > 1);
	expect_eq(base_of(pgdat), 0);
	expect_eq(diff_of(m, pgdat, cpu), 0);

	mod_node_page_state(pgdat, ITEM, 1);
	expect_eq(base_of(pgdat), 0);			/* nothing shared written */
	expect_eq(diff_of(m, pgdat, cpu), 1);
	expect_eq(node_page_state(pgdat, ITEM), 1);	/* the read folds the slot in */
	expect_eq(global_node_page_state(m, ITEM), 1);

	/* Up to the threshold the slot keeps it; one more folds it all into the base. */
	for (int i = 1; i < t; i++)
		mod_node_page_state(pgdat, ITEM, 1);
	expect_eq(base_of(pgdat), 0);
	expect_eq(diff_of(m, pgdat, cpu), t);
	mod_node_page_state(pgdat, ITEM, 1);
	expect_eq(base_of(pgdat), t + 1);
	expect_eq(diff_of(m, pgdat, cpu), 0);
	expect_eq(node_page_state(pgdat, ITEM), (unsigned long)t + 1);

	/* Downwards the same; an update beyond the threshold goes to the base whole. */
	mod_node_page_state(pgdat, ITEM, -3);
	expect_eq(diff_of(m, pgdat, cpu), -3);
	expect_eq(node_page_state(pgdat, ITEM), (unsigned long)t - 2);
	mod_node_page_state(pgdat, ITEM, -(long)t - 1);
	expect_eq(base_of(pgdat), 0);
	expect_eq(diff_of(m, pgdat, cpu), -3);
	expect_eq(node_page_state_signed(pgdat, ITEM), -3);
	expect_eq(node_page_state(pgdat, ITEM), 0);	/* a negative sum reads 0 */
	mod_node_page_state(pgdat, ITEM, 3);
	expect_eq(diff_of(m, pgdat, cpu), 0);
	expect_eq(node_page_state_signed(pgdat, ITEM), 0);
	t_done(m);
}

/* ---- Threads sharing slots ---- */

#define NTHREADS 8

struct worker {
	struct kmm_machine *m;
	atomic_int *arrived;
	long rounds;
	int cpu;
};

/*
 * Up and down by the threshold, twice each way (each second step passes
 * it: a fold), then one up: +rounds in all, and a fold every other update
 * while the other sharers of the slot add to the same diff.
 */
static void *worker(void *arg)
{
	struct worker *w = arg;
	pg_data_t *pgdat = w->m->node_data[0];
	long t;

	kmm_use(w->m);
	w->cpu = kmm_this_cpu(w->m);
	t = pgdat->stat_threshold;
	atomic_fetch_add(w->arrived, 1);
	while (atomic_load(w->arrived) < NTHREADS)	/* all on their slots at once */
		sched_yield();
	for (long i = 0; i < w->rounds; i++) {
		mod_node_page_state(pgdat, ITEM, t);
		mod_node_page_state(pgdat, ITEM, t);
		mod_node_page_state(pgdat, ITEM, -t);
		mod_node_page_state(pgdat, ITEM, -t);
		mod_node_page_state(pgdat, ITEM, 1);
	}
	kmm_use(NULL);
	return NULL;
}

/*
 * Eight threads on two CPU slots (four to a slot) move one item 2,000,000
 * times each (KMM_QUICK=1: a tenth): no count is lost, in node_page_state(), in the global sum
 * and in /proc/vmstat, and every slot's diff is left within the threshold.
 */
TEST(threads_sharing_a_slot_lose_no_count)
{
	struct kmm_machine *m = t_boot("mem=512M arch=x86_64 maxcpus=2");
	pg_data_t *pgdat = m->node_data[0];
	struct worker w[NTHREADS];
	sim_thread *th[NTHREADS];
	atomic_int arrived = 0;
	int on_slot[2] = { 0, 0 };
	int t = pgdat->stat_threshold;
	long rounds = kmm_test_quick() ? 40000 : 400000;
	char want[64];

	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ m, &arrived, rounds, -1 };
		assert_eq(sim_thread_start(&th[i], worker, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		sim_thread_join(th[i]);
		assert_true(w[i].cpu == 0 || w[i].cpu == 1);
		on_slot[w[i].cpu]++;
	}
	expect_true(on_slot[0] > 1 && on_slot[1] > 1);	/* both slots shared */
	expect_eq(node_page_state(pgdat, ITEM), (unsigned long)NTHREADS * rounds);
	expect_eq(global_node_page_state(m, ITEM), (unsigned long)NTHREADS * rounds);
	for (int c = 0; c < 2; c++) {
		expect_true(diff_of(m, pgdat, c) >= -t);
		expect_true(diff_of(m, pgdat, c) <= t);
	}
	snprintf(want, sizeof(want), "\nnr_foll_pin_acquired %ld\n", NTHREADS * rounds);
	char *vmstat = t_proc(m, "/proc/vmstat");

	expect_str_contains(vmstat, want);
	free(vmstat);
	mod_node_page_state(pgdat, ITEM, -NTHREADS * rounds);
	expect_eq(node_page_state(pgdat, ITEM), 0);
	t_done(m);
}
