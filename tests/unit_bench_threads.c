// SPDX-License-Identifier: MIT
/*
 * tests/unit_bench_threads.c - bench/bench.h's thread count: the default of
 * -t (the host's online CPUs) and -t itself stay within BENCH_MAX_THREADS,
 * the size of every per-thread array of the benchmarks, so that a host with
 * more CPUs than that runs the benchmarks at the cap instead of writing past
 * the arrays (bench/page_alloc.c's ns[] did on hosts above 256 CPUs), and
 * a machine boots with one CPU slot per thread and one more (bench/fault.c).
 */
#include "tests/harness.h"

#include "bench/bench.h"
#include <kmm/kmm.h>

TEST(default_thread_count_is_the_online_cpus_within_the_cap)
{
	expect_eq(bench_default_threads(1), 1);
	expect_eq(bench_default_threads(2), 2);
	expect_eq(bench_default_threads(BENCH_MAX_THREADS), BENCH_MAX_THREADS);
	/* A 384-CPU host runs its benchmarks at the cap. */
	expect_eq(bench_default_threads(384), BENCH_MAX_THREADS);
	expect_eq(bench_default_threads(1L << 20), BENCH_MAX_THREADS);
	/* sysconf() failing (-1) or saying 0: one thread. */
	expect_eq(bench_default_threads(0), 1);
	expect_eq(bench_default_threads(-1), 1);
}

TEST(threads_arg_takes_t_and_removes_it)
{
	char a0[] = "bench", a1[] = "x", a2[] = "-t", a3[] = "3", a4[] = "y";
	char *argv[] = { a0, a1, a2, a3, a4, NULL };
	int max = 0;

	expect_eq(bench_threads_arg(5, argv, &max), 3);
	expect_eq(max, 3);
	expect_true(!strcmp(argv[1], "x") && !strcmp(argv[2], "y") && argv[3] == NULL);

	char *plain[] = { a0, NULL };
	expect_eq(bench_threads_arg(1, plain, &max), 1);
	expect_true(max >= 1 && max <= BENCH_MAX_THREADS);
}

static int ran[BENCH_MAX_THREADS];

static void mark(void *arg, int idx)
{
	(void)arg;
	__atomic_fetch_add(&ran[idx], 1, __ATOMIC_RELAXED);
}

TEST(run_threads_runs_each_index_once_up_to_the_cap)
{
	bench_run_threads(BENCH_MAX_THREADS, mark, NULL);
	for (int i = 0; i < BENCH_MAX_THREADS; i++)
		if (!expect_eq(ran[i], 1))
			break;
}

TEST(a_machine_boots_with_a_slot_for_every_thread_and_one_more)
{
	char cmd[64];
	struct kmm_machine *m;

	snprintf(cmd, sizeof(cmd), "mem=256M nr_cpus=%d", BENCH_MAX_THREADS + 1);
	m = kmm_boot(cmd);
	assert_true(m != NULL);
	kmm_shutdown(m);
}
