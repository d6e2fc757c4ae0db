// SPDX-License-Identifier: MIT
/*
 * bench/lab_fit.c - how much memory each fit policy needs for the real
 * programs' allocation traces in examples/lab/ (recorded by kmm's own
 * malloc shim: examples/lab/record.sh), next to glibc's malloc on the same
 * trace.
 *
 * A pool's footprint is the highest byte of it ever in use (docs/lab.md),
 * its control block included when the metadata is inside; utilisation is
 * the trace's peak live bytes over it. glibc's footprint is the most its
 * heaps and mappings held (mallinfo2: arena + hblkhd) over the replay, less
 * what they held before it; the replay runs on a thread of its own, so that
 * glibc gives it a fresh arena (the main arena's free space, left by loading
 * the trace, would otherwise hide its growth), in a child process of its
 * own (so that no arena of an earlier replay is there to be reused), and
 * the new arena's first heap counts as the replay's. Every pool figure is
 * deterministic; glibc's is too for a given glibc. The ratio kmm/glibc is
 * the pool's footprint over glibc's (lower is better, as every ratio of
 * make bench; each goes to the closing summary). One thread by nature: a
 * footprint does not depend on how many threads replay; -t N is checked
 * (make bench passes it) and does not apply.
 *
 * usage: lab_fit [-t N]
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/lab_bench.h"

static size_t glibc_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.arena + mi.hblkhd;
}

struct glibc_run {
	const struct kmm_lab_trace *t;
	void **slot;		/* allocated before the baseline */
	size_t base, peak;
};

/* glibc's peak footprint over a replay of run->t, on this (fresh) thread's arena. */
static void *glibc_footprint(void *arg)
{
	struct glibc_run *run = arg;
	const struct kmm_lab_trace *t = run->t;
	void **slot = run->slot;
	size_t peak = run->base;

	for (size_t i = 0; i < t->nr; i++) {
		glibc_event(slot, &t->ev[i]);
		size_t now = glibc_bytes();
		if (now > peak)
			peak = now;
	}
	for (uint32_t i = 0; i < t->nr_ids; i++)
		free(slot[i]);
	run->peak = peak;
	return NULL;
}

int main(int argc, char **argv)
{
	static const char *const traces[] = {
		"examples/lab/sqlite3.trace",
		"examples/lab/perl.trace",
	};
	static const char *const labels[] = { "sqlite3", "perl" };

	bench_one_thread(argc, argv, "lab_fit [-t N] (one thread by nature: -t does not apply)");
	printf("bench/lab_fit: peak footprint per policy on real programs' traces (pool: the\n"
	       "highest byte ever in use; glibc: arena + mappings held, over the replay);\n"
	       "kmm/glibc: footprint over glibc's (lower is better); one thread by nature\n"
	       "(-t N does not apply)\n");
	for (size_t k = 0; k < sizeof(traces) / sizeof(traces[0]); k++) {
		struct bench_trace bt;
		struct kmm_lab_trace_summary s;

		if (bench_load(&bt, traces[k]))
			return 2;
		kmm_lab_trace_summarize(&bt.t, &s);
		size_t glibc = 0;
		int fd[2];
		if (pipe(fd))
			return 2;
		pid_t pid = fork();
		if (pid == 0) {
			struct glibc_run run = { .t = &bt.t,
						 .slot = calloc(bt.t.nr_ids + 1, sizeof(void *)) };
			pthread_t th;
			run.base = glibc_bytes();
			if (!run.slot || pthread_create(&th, NULL, glibc_footprint, &run) ||
			    pthread_join(th, NULL))
				_exit(2);
			size_t fp = run.peak - run.base;
			_exit(write(fd[1], &fp, sizeof(fp)) == sizeof(fp) ? 0 : 2);
		}
		close(fd[1]);
		if (pid < 0 || read(fd[0], &glibc, sizeof(glibc)) != sizeof(glibc))
			return 2;
		close(fd[0]);
		waitpid(pid, NULL, 0);
		printf("\n%s: %zu events, peak live %llu bytes; glibc's footprint %zu bytes "
		       "(utilisation %.1f%%)\n", traces[k], bt.t.nr, (unsigned long long)s.peak_live,
		       glibc, glibc ? 100.0 * (double)s.peak_live / (double)glibc : 0.0);
		printf("%-15s %-7s %12s %6s %8s %9s\n", "policy", "meta", "footprint", "util",
		       "int.frag", "kmm/glibc");
		for (int pol = 0; pol < KMM_POOL_NR_POLICIES; pol++) {
			if (pol == KMM_POOL_FIXED)
				continue;	/* one object size: most requests fail */
			for (int outside = 0; outside <= 1; outside++) {
				struct kmm_replay_config c = {
					.pool = { .policy = (enum kmm_pool_policy)pol,
						  .flags = outside ? KMM_POOL_META_OUTSIDE : 0 },
				};
				struct kmm_replay_result r;
				char err[256];
				if (kmm_replay(&bt.t, &c, &r, err, sizeof(err))) {
					fprintf(stderr, "%s: %s\n", kmm_pool_policy_name(c.pool.policy), err);
					return 2;
				}
				double ratio = glibc ? (double)r.peak_footprint / (double)glibc : 0;
				char rs[16], what[96];
				printf("%-15s %-7s %12llu %5.1f%% %7.1f%% %9s\n",
				       kmm_pool_policy_name(c.pool.policy), outside ? "outside" : "inside",
				       (unsigned long long)r.peak_footprint, 100 * r.utilisation,
				       100 * r.internal, bench_fmt_ratio(rs, sizeof(rs), ratio));
				snprintf(what, sizeof(what), "%s %s meta-%s footprint", labels[k],
					 kmm_pool_policy_name(c.pool.policy), outside ? "outside" : "inside");
				if (glibc)
					bench_summary("lab_fit", what, 1, "glibc", ratio);
				kmm_replay_result_free(&r);
			}
		}
		kmm_lab_trace_free(&bt.t);
	}
	return 0;
}
