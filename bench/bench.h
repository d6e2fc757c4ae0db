// SPDX-License-Identifier: MIT
/*
 * bench/bench.h - helpers every benchmark shares: the median of a sample,
 * the thread count (-t N), runs on N threads started together, and the
 * rows and the summary file that `make bench` turns into one table.
 *
 * Benchmarks print medians (never means) so one preempted run on a shared
 * host does not move the figure. Every benchmark takes -t N (default: the
 * host's online CPUs; bench_threads_arg() refuses anything but a count from
 * 1 to BENCH_MAX_THREADS) and, where running on several threads means
 * something, measures at 1, 2, 4, ... threads up to N (and N itself): per
 * thread count, kmm's throughput, its speedup over one thread, and the
 * peer's throughput from the same run. A benchmark that is one thread by
 * nature says so in its usage line and its output (bench_one_thread()).
 *
 * Every ratio, in every table and in the summary, runs one way: kmm / peer
 * of time per operation (or of memory, where memory is measured), so lower
 * is better and below 1.00 kmm leads. A benchmark that measures throughput
 * (MiB/s, events/s) turns it into time with bench_time_ratio(). Each ratio
 * goes to $KMM_BENCH_SUMMARY (when set) as
 *   bench<TAB>workload<TAB>threads<TAB>peer<TAB>ratio
 * which bench/summary.sh prints as one table at the end of `make bench`.
 */
#ifndef KMM_BENCH_H
#define KMM_BENCH_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* median() - sorts @v in place and returns its median (n >= 1). */
static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline uint64_t bench_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * bench_thread_ns() - CPU time of the calling thread, in nanoseconds: the
 * build machine is shared, and wall time would mostly measure how long the
 * scheduler kept a thread waiting.
 */
static inline uint64_t bench_thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The most threads a benchmark runs: per-thread arrays (bench_run_threads()'s,
 * the benchmarks' own) have this many slots, and both -t and the default
 * (the online CPUs) stay within it. 63: a kmm machine takes at most 64 CPU
 * slots (nr_cpus=), and the benchmarks boot one slot per thread
 * (bench/fault.c one more, for its own set-up).
 */
#define BENCH_MAX_THREADS 63

/* bench_default_threads() - the default of -t for a host with @online CPUs: 1..BENCH_MAX_THREADS. */
static inline int bench_default_threads(long online)
{
	return online < 1 ? 1 : online > BENCH_MAX_THREADS ? BENCH_MAX_THREADS : (int)online;
}

/*
 * bench_parse_threads() - @s as a thread count: decimal digits only, 1 to
 * BENCH_MAX_THREADS. Return: the count, or -1 (nothing, a sign, a letter,
 * a trailing character, out of range).
 */
static inline int bench_parse_threads(const char *s)
{
	long v = 0;

	if (!s || !*s)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if (v > BENCH_MAX_THREADS)
			return -1;
	}
	return v < 1 ? -1 : (int)v;
}

/*
 * bench_threads_arg() - the -t N option: the largest thread count (default
 * the online CPUs, at most BENCH_MAX_THREADS). Removes "-t N" from argv and
 * returns the new argc. A bad N ("abc", "0", "3x", more than
 * BENCH_MAX_THREADS) or a -t without one is refused: a message naming it on
 * stderr, exit status 2.
 */
static inline int bench_threads_arg(int argc, char **argv, int *max_threads)
{
	int out = 1;

	*max_threads = bench_default_threads(sysconf(_SC_NPROCESSORS_ONLN));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-t")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: -t wants a thread count (1 to %d)\n", argv[0],
					BENCH_MAX_THREADS);
				exit(2);
			}
			*max_threads = bench_parse_threads(argv[++i]);
			if (*max_threads < 0) {
				fprintf(stderr, "%s: -t '%s': want a thread count from 1 to %d\n",
					argv[0], argv[i], BENCH_MAX_THREADS);
				exit(2);
			}
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	return out;
}

/*
 * bench_one_thread() - the options of a benchmark that is one thread by
 * nature: -t N is checked as everywhere (bench_threads_arg()) but changes
 * nothing, and any other argument is refused with @usage (exit status 2).
 * The benchmark says so in its output too ("one thread by nature").
 */
static inline void bench_one_thread(int argc, char **argv, const char *usage)
{
	int max_threads;

	if (bench_threads_arg(argc, argv, &max_threads) != 1) {
		fprintf(stderr, "%s: unexpected argument '%s'\nusage: %s\n", argv[0], argv[1], usage);
		exit(2);
	}
}

/* bench_thread_counts() - 1, 2, 4, ... below @max, then @max. Return: how many. */
static inline int bench_thread_counts(int max, int *out)
{
	int n = 0;

	for (int t = 1; t < max; t *= 2)
		out[n++] = t;
	out[n++] = max;
	return n;
}

struct bench_thread {
	pthread_t tid;
	void (*fn)(void *arg, int idx);
	void *arg;
	int idx;
	pthread_barrier_t *start;
};

static void *bench_thread_main(void *p)
{
	struct bench_thread *t = (struct bench_thread *)p;

	pthread_barrier_wait(t->start);
	t->fn(t->arg, t->idx);
	return NULL;
}

/*
 * bench_run_threads() - run @fn(@arg, i) for i in 0 .. @n-1, each on its own
 * new thread, all released together (1 <= @n <= BENCH_MAX_THREADS). Return:
 * wall nanoseconds from the release to the last one's end.
 */
static inline uint64_t bench_run_threads(int n, void (*fn)(void *arg, int idx), void *arg)
{
	struct bench_thread t[BENCH_MAX_THREADS];
	pthread_barrier_t start;
	uint64_t t0;

	if (n < 1 || n > BENCH_MAX_THREADS) {
		fprintf(stderr, "bench_run_threads: %d threads, want 1..%d\n", n, BENCH_MAX_THREADS);
		exit(2);
	}
	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		t[i] = (struct bench_thread){ 0, fn, arg, i, &start };
		pthread_create(&t[i].tid, NULL, bench_thread_main, &t[i]);
	}
	t0 = bench_ns();
	pthread_barrier_wait(&start);
	for (int i = 0; i < n; i++)
		pthread_join(t[i].tid, NULL);
	uint64_t t1 = bench_ns();
	pthread_barrier_destroy(&start);
	return t1 - t0;
}

/*
 * bench_time_ratio() - kmm / peer of time per operation, from the two
 * throughputs (operations, bytes or events per second): lower is better.
 * Return: 0 when kmm's rate is not positive.
 */
static inline double bench_time_ratio(double kmm_rate, double peer_rate)
{
	return kmm_rate > 0 ? peer_rate / kmm_rate : 0;
}

/*
 * bench_fmt_ratio() - a ratio as the tables print it: two decimals, or two
 * significant digits below 0.01 (so 1/7888 prints as 0.00013, not 0.00).
 * Return: @buf.
 */
static inline const char *bench_fmt_ratio(char *buf, size_t size, double r)
{
	snprintf(buf, size, r > 0 && r < 0.01 ? "%.2g" : "%.2f", r);
	return buf;
}

/*
 * bench_summary() - one line for `make bench`'s closing table (when
 * $KMM_BENCH_SUMMARY is set): @ratio is kmm / peer of time per operation (or
 * of memory), lower is better; written with every digit of the double
 * (%.17g), so that bench/summary.sh's rounding of it (as bench_fmt_ratio()
 * rounds) starts from the value this program's table rounded: with six
 * digits, a ratio of 1.00500x printed 1.01 here and 1.00 in the summary.
 */
static inline void bench_summary(const char *bench, const char *workload, int threads,
				 const char *peer, double ratio)
{
	const char *path = getenv("KMM_BENCH_SUMMARY");
	FILE *f;

	if (!path || !*path || !(f = fopen(path, "a")))
		return;
	fprintf(f, "%s\t%s\t%d\t%s\t%.17g\n", bench, workload, threads, peer, ratio);
	fclose(f);
}

/*
 * The header of bench_row()'s table. Its columns are throughputs (higher is
 * better) but its last is a ratio of times (lower is better), as every ratio
 * of `make bench` is: the legend line says so where the reader looks.
 */
static inline void bench_header(void)
{
	printf("%-42s %7s %12s %8s %12s %-9s %8s\n", "workload", "threads", "kmm Mops/s", "speedup",
	       "peer Mops/s", "peer", "kmm/peer");
	printf("(Mops/s: higher is better; kmm/peer: kmm's time per operation over the peer's, "
	       "lower is better, below 1.00 kmm leads)\n");
}

/*
 * bench_row() - one thread count of a workload: kmm's throughput @kmm_ops
 * (operations per second, all threads), its speedup over @kmm_ops_1 (the
 * one-thread figure), and the peer's @peer_ops; the ratio (kmm / peer of
 * time per operation) goes to the summary too.
 */
static inline void bench_row(const char *bench, const char *workload, int threads, double kmm_ops,
			     double kmm_ops_1, const char *peer, double peer_ops)
{
	double ratio = bench_time_ratio(kmm_ops, peer_ops);
	char r[16];

	printf("%-42s %7d %12.4g %7.2fx %12.4g %-9s %8s\n", workload, threads, kmm_ops / 1e6,
	       kmm_ops_1 > 0 ? kmm_ops / kmm_ops_1 : 0, peer_ops / 1e6, peer,
	       bench_fmt_ratio(r, sizeof(r), ratio));
	bench_summary(bench, workload, threads, peer, ratio);
}

/* bench_row_nopeer() - a row of a benchmark that has no peer (nothing for the summary). */
static inline void bench_row_nopeer(const char *workload, int threads, double kmm_ops,
				    double kmm_ops_1)
{
	printf("%-42s %7d %12.4g %7.2fx %12s %-9s %8s\n", workload, threads, kmm_ops / 1e6,
	       kmm_ops_1 > 0 ? kmm_ops / kmm_ops_1 : 0, "-", "-", "-");
}

#endif /* KMM_BENCH_H */
