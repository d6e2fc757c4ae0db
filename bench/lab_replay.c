// SPDX-License-Identifier: MIT
/*
 * bench/lab_replay.c - how fast the allocator lab replays a trace: events
 * per second through each pool allocator (kmm_replay()'s rate pass: the
 * bare loop over the events, a fresh pool, metadata inside), next to glibc's
 * malloc replaying the same trace in the same process. Both are timed in
 * the thread's CPU time: one core's rate, however busy the host is.
 *
 * Traces: a seeded synthetic one of half a million allocations (sizes "mix",
 * exponential lifetimes of mean 1000), one of small fixed sizes (16-64 B,
 * where the fixed pool of 64-byte objects serves every request), and the
 * real programs' traces in examples/lab/ (sqlite3, perl), each repeated
 * until it is a million events long (the copies' ids apart, each copy's
 * leftovers freed before the next).
 *
 * Each figure is the median of RUNS replays (LAB_RUNS overrides); the ratio
 * kmm/glibc is kmm's time per event over glibc's in the same run (glibc's
 * events/s over the pool's: lower is better, as every ratio of make bench;
 * each goes to the closing summary). The goal: 20 million events
 * per second for the fast allocators on one core.
 *
 * Then, at 1, 2, 4 ... -t N threads, each thread replays the sqlite3 trace
 * through a pool of its own (TLSF, segregated fit, lazy buddy: the fast
 * policies), next to glibc's malloc replaying it on as many threads: per
 * thread count the events/s of all threads together (each thread's events
 * over its own CPU time, summed), the speedup over one thread, glibc's, and
 * kmm/glibc; medians of RUNS rounds, kmm and glibc interleaved.
 *
 * `lab_replay POLICY TRACE` replays once and prints events/s only (for
 * perf stat or callgrind).
 *
 * usage: lab_replay [-t N] [POLICY TRACE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/lab_bench.h"


/* @t repeated until it has at least @min events; leftovers freed per copy. */
static void lengthen(struct kmm_lab_trace *t, size_t min)
{
	size_t n = t->nr, copies = n ? (min + n - 1) / n : 1;
	uint32_t ids = t->nr_ids;
	char *live = calloc(ids + 1, 1);

	if (copies <= 1 || !live) {
		free(live);
		return;
	}
	for (size_t i = 0; i < n; i++)
		live[t->ev[i].id] = t->ev[i].op != KMM_LAB_TRACE_FREE;
	size_t extra = 0;
	for (uint32_t i = 0; i < ids; i++)
		extra += live[i];
	struct kmm_lab_trace_event *ev = malloc((n + extra) * copies * sizeof(*ev));
	if (!ev) {
		free(live);
		return;
	}
	size_t k = 0;
	for (size_t c = 0; c < copies; c++) {
		for (size_t i = 0; i < n; i++) {
			ev[k] = t->ev[i];
			ev[k++].id += (uint32_t)c * ids;
		}
		for (uint32_t i = 0; i < ids; i++)
			if (live[i])
				ev[k++] = (struct kmm_lab_trace_event){ .op = KMM_LAB_TRACE_FREE,
									.id = (uint32_t)c * ids + i };
	}
	free(t->ev);
	t->ev = ev;
	t->nr = t->cap = k;
	t->nr_ids = ids * (uint32_t)copies;
	free(live);
}

static double replay_rate(const struct kmm_lab_trace *t, int policy, size_t object)
{
	struct kmm_replay_config c = {
		.pool = { .policy = (enum kmm_pool_policy)policy,
			  .object_size = policy == KMM_POOL_FIXED ? object : 0 },
		.rate_only = true,
	};
	struct kmm_replay_result r;
	char err[256];

	if (kmm_replay(t, &c, &r, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", kmm_pool_policy_name(c.pool.policy), err);
		return 0;
	}
	kmm_replay_result_free(&r);
	return r.events_per_sec;
}

struct replay_job {
	const struct kmm_lab_trace *t;
	int policy;		/* -1: glibc */
	double rate[BENCH_MAX_THREADS];
};

static void replay_job(void *arg, int idx)
{
	struct replay_job *j = arg;

	j->rate[idx] = j->policy < 0 ? (double)j->t->nr / glibc_replay(j->t)
				     : replay_rate(j->t, j->policy, 64);
}

/* Events/s of @nr threads replaying @t at once, each its own pool (or glibc). */
static double replay_threads(const struct kmm_lab_trace *t, int policy, int nr)
{
	struct replay_job j = { .t = t, .policy = policy };
	double sum = 0;

	bench_run_threads(nr, replay_job, &j);
	for (int i = 0; i < nr; i++)
		sum += j.rate[i];
	return sum;
}

/* The per-thread-count rows: the sqlite3 trace, a pool per thread, against glibc. */
static int run_threaded(int max_threads, int runs)
{
	static const int pols[] = { KMM_POOL_TLSF, KMM_POOL_SEGREGATED, KMM_POOL_BUDDY_LAZY };
	int counts[16], nc = bench_thread_counts(max_threads, counts);
	double one[3] = { 0, 0, 0 };
	struct bench_trace bt;

	if (bench_load(&bt, "examples/lab/sqlite3.trace"))
		return 2;
	lengthen(&bt.t, 1000000);
	printf("\nlab_replay, per thread count: each thread replays examples/lab/sqlite3.trace (%zu\n"
	       "events) through a pool of its own; events/s of all threads (each thread's CPU time),\n"
	       "median of %d rounds; peer: glibc's malloc replaying it on as many threads\n",
	       bt.t.nr, runs);
	bench_header();
	for (int p = 0; p < 3; p++) {
		char what[64];
		snprintf(what, sizeof(what), "per-thread sqlite3, %s",
			 kmm_pool_policy_name((enum kmm_pool_policy)pols[p]));
		for (int c = 0; c < nc; c++) {
			double k[LAB_MAX_RUNS], g[LAB_MAX_RUNS];
			for (int r = 0; r < runs; r++) {
				k[r] = replay_threads(&bt.t, pols[p], counts[c]);
				g[r] = replay_threads(&bt.t, -1, counts[c]);
			}
			double km = median(k, runs), gm = median(g, runs);
			if (counts[c] == 1)
				one[p] = km;
			bench_row("lab_replay", what, counts[c], km, one[p], "glibc", gm);
		}
	}
	kmm_lab_trace_free(&bt.t);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const traces[] = {
		"synthetic:seed=1,allocs=500000,size=mix,life=exp:1000",
		"synthetic:seed=2,allocs=500000,size=uniform:16-64,life=exp:1000",
		"examples/lab/sqlite3.trace",
		"examples/lab/perl.trace",
	};
	static const char *const labels[] = { "synthetic mix", "synthetic 16-64 B", "sqlite3",
					      "perl" };
	int runs = bench_lab_runs();
	int max_threads;

	argc = bench_threads_arg(argc, argv, &max_threads);
	if (argc != 1 && argc != 3) {
		fprintf(stderr, "%s: unexpected argument '%s'\nusage: lab_replay [-t N] [POLICY TRACE]\n",
			argv[0], argv[1]);
		return 2;
	}
	if (argc == 3) {
		struct bench_trace bt;
		int pol = kmm_pool_policy_parse(argv[1]);
		if (pol < 0 || bench_load(&bt, argv[2]))
			return 2;
		lengthen(&bt.t, 1000000);
		printf("%.0f events/s\n", replay_rate(&bt.t, pol, 64));
		return 0;
	}
	printf("bench/lab_replay: events/s replaying a trace through each pool (metadata inside),\n"
	       "median of %d runs, one thread; glibc: its malloc replaying the same trace in the same\n"
	       "run; kmm/glibc: time per event over glibc's (lower is better)\n", runs);
	for (size_t k = 0; k < sizeof(traces) / sizeof(traces[0]); k++) {
		struct bench_trace bt;
		double g[LAB_MAX_RUNS], v[LAB_MAX_RUNS];

		if (bench_load(&bt, traces[k]))
			return 2;
		lengthen(&bt.t, 1000000);
		for (int r = 0; r < runs; r++)
			g[r] = (double)bt.t.nr / glibc_replay(&bt.t);
		double glibc = median(g, runs);
		printf("\n%s: %zu events\n%-15s %10s %12s %9s\n", traces[k], bt.t.nr, "policy",
		       "Mev/s", "glibc Mev/s", "kmm/glibc");
		for (int pol = 0; pol < KMM_POOL_NR_POLICIES; pol++) {
			/* the fixed pool only where every request fits its objects */
			if (pol == KMM_POOL_FIXED && k != 1)
				continue;
			for (int r = 0; r < runs; r++)
				v[r] = replay_rate(&bt.t, pol, 64);
			double m = median(v, runs), ratio = bench_time_ratio(m, glibc);
			const char *name = kmm_pool_policy_name((enum kmm_pool_policy)pol);
			char rs[16], what[96];
			printf("%-15s %10.2f %12.2f %9s\n", name, m / 1e6, glibc / 1e6,
			       bench_fmt_ratio(rs, sizeof(rs), ratio));
			snprintf(what, sizeof(what), "replay %s, %s", labels[k], name);
			if (m > 0)
				bench_summary("lab_replay", what, 1, "glibc", ratio);
		}
		kmm_lab_trace_free(&bt.t);
	}
	return run_threaded(max_threads, runs);
}
