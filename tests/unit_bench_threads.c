// SPDX-License-Identifier: MIT
/*
 * tests/unit_bench_threads.c - bench/bench.h's thread count: the default of
 * -t (the host's online CPUs) and -t itself stay within BENCH_MAX_THREADS,
 * the size of every per-thread array of the benchmarks, so that a host with
 * more CPUs than that runs the benchmarks at the cap instead of writing past
 * the arrays (bench/page_alloc.c's ns[] did on hosts above 256 CPUs), and
 * a machine boots with one CPU slot per thread and one more (bench/fault.c).
 * Also: -t refuses what is not a thread count, in every benchmark program;
 * ratios run one way (kmm / peer of time) and print no 0.00 for a small one;
 * bench/summary.sh's table (issue 19, review17 R6); bench/slab's rows with
 * and without sheaves; run.sh's peak RSS and how make bench runs it;
 * bench/vmalloc's live-area rows apart from scattered frames.
 */
#include "tests/harness.h"

#include <sys/wait.h>
#include <unistd.h>

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

TEST(thread_count_is_digits_from_one_to_the_cap)
{
	expect_eq(bench_parse_threads("1"), 1);
	expect_eq(bench_parse_threads("2"), 2);
	expect_eq(bench_parse_threads("63"), BENCH_MAX_THREADS);
	expect_eq(bench_parse_threads("007"), 7);
	static const char *const bad[] = { "abc", "0", "3x", "x3", "-1", "+2", " 2", "2 ", "",
					   "64", "99999999999999999999", "1.5", "0x10" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!expect_eq(bench_parse_threads(bad[i]), -1))
			printf("  bench_parse_threads(\"%s\") took it\n", bad[i]);
	expect_eq(bench_parse_threads(NULL), -1);
}

TEST(ratios_are_kmm_over_peer_of_time_and_never_print_as_zero)
{
	char buf[16];

	/* kmm 100 MiB/s, host 400 MiB/s: kmm takes 4 times as long per MiB */
	expect_true(bench_time_ratio(100, 400) == 4.0);
	expect_true(bench_time_ratio(400, 100) == 0.25);
	expect_true(bench_time_ratio(0, 100) == 0);
	expect_true(!strcmp(bench_fmt_ratio(buf, sizeof(buf), 1.0 / 7888), "0.00013"));
	expect_true(!strcmp(bench_fmt_ratio(buf, sizeof(buf), 0.01), "0.01"));
	expect_true(!strcmp(bench_fmt_ratio(buf, sizeof(buf), 3.04), "3.04"));
	expect_true(!strcmp(bench_fmt_ratio(buf, sizeof(buf), 0), "0.00"));
}

/*
 * Under a sanitizer (make test-asan, test-tsan) the benchmarks that load the
 * peer allocators end with the leak checker's report of theirs (tcmalloc's
 * MallocExtension), and run.sh's VmHWM reader cannot be preloaded ahead of
 * the sanitizer's runtime: those two tests run in the plain builds only, as
 * the shim's program tests do (cmake/shim.cmake).
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

/* Run @cmd with stdout and stderr in @out; return its exit status (-1: it did not exit). */
static int run_cmd(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	int st;

	out[0] = 0;
	if (!p)
		return -1;
	while (n + 1 < size) {
		size_t got = fread(out + n, 1, size - 1 - n, p);
		if (!got)
			break;
		n += got;
	}
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Every benchmark program refuses a -t that is not a thread count, naming
 * it, before it measures anything (review17 R6: `bench/pagecache -t abc`
 * ran the whole benchmark). The timeout stops one that ignores -t.
 */
TEST(every_benchmark_refuses_a_bad_thread_count)
{
	static const char *const progs[] = { "boot", "fault", "lab_fit", "lab_objects",
					     "lab_replay", "lab_worst", "page_alloc", "pagecache",
					     "report", "scenario_parse", "slab", "swap", "vmalloc" };
	const char *bin = getenv("KMM_BINARY_DIR");
	char cmd[4096], out[4096];

	assert_true(bin != NULL);
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		snprintf(cmd, sizeof(cmd), "timeout 60 %s/bench/%s -t abc 2>&1", bin, progs[i]);
		int rc = run_cmd(cmd, out, sizeof(out));
		if (!expect_eq(rc, 2) || !expect_str_contains(out, "-t 'abc'"))
			printf("  %s -t abc: exit %d, said: %s\n", progs[i], rc, out);
		/* slab and vmalloc take a boot command line there: kmm_boot() refuses it */
		if (!strcmp(progs[i], "slab") || !strcmp(progs[i], "vmalloc"))
			continue;
		snprintf(cmd, sizeof(cmd), "timeout 60 %s/bench/%s -t 2 no-such-argument 2>&1", bin,
			 progs[i]);
		rc = run_cmd(cmd, out, sizeof(out));
		if (!expect_eq(rc, 2) || !expect_str_contains(out, "no-such-argument"))
			printf("  %s -t 2 no-such-argument: exit %d, said: %s\n", progs[i], rc, out);
	}
}

/*
 * bench/summary.sh: rows written by bench_summary() come out sorted, one way
 * (lead below 1.00, trail above), a tiny ratio with its digits, and a pair
 * whose run failed as not compared, never with a ratio.
 */
TEST(summary_table_marks_leads_trails_and_failed_pairs)
{
	const char *src = getenv("KMM_SOURCE_DIR");
	char path[] = "/tmp/kmm-bench-summary-XXXXXX", cmd[4096], out[8192];
	int fd = mkstemp(path);

	assert_true(src != NULL && fd >= 0);
	close(fd);
	setenv("KMM_BENCH_SUMMARY", path, 1);
	bench_summary("swap", "swap-out (write)", 1, "dd", bench_time_ratio(160, 487));
	bench_summary("boot", "mem=64G boot", 1, "eager", 1.0 / 7888);
	bench_summary("pagecache", "seq warm", 1, "host", 1.0);
	/*
	 * A ratio just above 1.005: its bench's table rounds it to 1.01, and so
	 * must the summary (review19: with six digits in the file it read
	 * "1.005", which rounds to 1.00 as a double).
	 */
	char table[16];
	bench_fmt_ratio(table, sizeof(table), 1.0050000001);
	expect_true(strcmp(table, "1.01") == 0);
	bench_summary("vmalloc", "16 pages", 1, "host mmap", 1.0050000001);
	unsetenv("KMM_BENCH_SUMMARY");
	FILE *f = fopen(path, "a");
	assert_true(f != NULL);
	fprintf(f, "malloc\tcxx_churn time\t1\tmimalloc\tfailed:mimalloc\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "bash %s/bench/summary.sh %s 2>&1", src, path);
	int rc = run_cmd(cmd, out, sizeof(out));
	remove(path);
	expect_eq(rc, 0);
	expect_str_contains(out, "lower is better");
	expect_str_contains(out, "0.00013  lead");
	expect_str_contains(out, "3.04  trail");
	expect_str_contains(out, "1.00  even");
	expect_str_contains(out, "1.01  trail");
	expect_str_contains(out, "-  not compared: mimalloc's run failed");
	/* sorted by benchmark: boot before malloc before pagecache before swap */
	const char *b = strstr(out, "\nboot "), *m = strstr(out, "\nmalloc "),
		   *pc = strstr(out, "\npagecache "), *sw = strstr(out, "\nswap ");
	expect_true(b && m && pc && sw && b < m && m < pc && pc < sw);
	expect_str_contains(out, "4 ratios: kmm leads in 1, trails in 2, even in 1; 1 not compared (a run failed)");
}

/*
 * bench/slab measures each workload twice, on CMDLINE (6.12's SLUB: a locked
 * compare-exchange per free) and on CMDLINE slab_sheaves=on (6.18's sheaves:
 * a load and a store), and both rows reach the summary beside the same peer
 * (issue 19's kmem_cache_alloc+free target is read on both). KMM_BENCH_CASE
 * 3..5 are the sheaf machine's workloads, for callgrind.
 */
TEST(slab_bench_has_a_sheaf_row_beside_each_slub_row)
{
	if (UNDER_SANITIZER) {
		printf("  not run under a sanitizer (see UNDER_SANITIZER above)\n");
		return;
	}
	static const char *const names[] = { "kmem_cache_alloc+free (64 B)",
					     "kmalloc+kfree mixed 16..4096 B",
					     "alloc_bulk+free_bulk of 16 (64 B)" };
	const char *bin = getenv("KMM_BINARY_DIR");
	char path[] = "/tmp/kmm-bench-slab-XXXXXX", cmd[4096], out[16384], want[256];
	int fd = mkstemp(path);

	assert_true(bin != NULL && fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "KMM_QUICK=1 KMM_BENCH_SUMMARY=%s timeout 600 %s/bench/slab -t 1 "
		 "'mem=256M nr_cpus=1' 2>&1", path, bin);
	int rc = run_cmd(cmd, out, sizeof(out));
	expect_eq(rc, 0);
	expect_str_contains(out, "on 'mem=256M nr_cpus=1' as Linux 6.12's SLUB");
	expect_str_contains(out, "on 'mem=256M nr_cpus=1 slab_sheaves=on' (Linux 6.18's");
	FILE *f = fopen(path, "r");
	assert_true(f != NULL);
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	fclose(f);
	remove(path);
	for (int w = 0; w < 3; w++) {
		snprintf(want, sizeof(want), "slab\t%s\t1\tglibc\t", names[w]);
		expect_str_contains(out, want);
		snprintf(want, sizeof(want), "slab\t%s, sheaves\t1\tglibc\t", names[w]);
		expect_str_contains(out, want);
	}
	/* one sheaf workload, one run: ns per pair */
	snprintf(cmd, sizeof(cmd), "KMM_QUICK=1 KMM_BENCH_CASE=3 timeout 600 %s/bench/slab -t 1 "
		 "'mem=256M nr_cpus=1' 2>&1", bin);
	rc = run_cmd(cmd, out, sizeof(out));
	expect_eq(rc, 0);
	expect_true(strtod(out, NULL) > 0);
}

/*
 * bench/malloc/run.sh reads each run's peak RSS as VmHWM at the program's
 * exit (a reader it builds and preloads) and says so; -r keeps every run's
 * figures. /usr/bin/time's %M reads up to ~160 KB low on this kernel
 * (session 17), as much as the gaps measured. The figure is the mean of the
 * runs with address randomisation on (where libc lands moves a small
 * program's peak by ~300 KB from run to run, session 18: a median of such
 * values picks one of them), and -R turns randomisation off (setarch -R):
 * the table's kmm/glibc peak RSS ratio is the ratio of the raw runs' means.
 */
TEST(malloc_run_reads_peak_rss_as_vmhwm_at_exit)
{
	if (UNDER_SANITIZER) {
		printf("  not run under a sanitizer (see UNDER_SANITIZER above)\n");
		return;
	}
	const char *src = getenv("KMM_SOURCE_DIR"), *bin = getenv("KMM_BINARY_DIR");
	char path[] = "/tmp/kmm-bench-raw-XXXXXX", cmd[4096], out[16384];
	int fd = mkstemp(path);

	assert_true(src != NULL && bin != NULL && fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "timeout 600 bash %s/bench/malloc/run.sh -P -q -n 3 -t 1 "
		 "-w '^thread_relay@1$' -b %s -r %s 2>&1", src, bin, path);
	int rc = run_cmd(cmd, out, sizeof(out));
	expect_eq(rc, 0);
	expect_str_contains(out, "wall time: medians of 3 runs; peak RSS: means of 3 runs (VmHWM at "
			    "exit, address randomisation on)");
	FILE *f = fopen(path, "r");
	assert_true(f != NULL);
	char w[64], a[64], how[8];
	long us, kb, mkb, sum[2] = { 0, 0 };
	int ok, rows = 0;
	while (fscanf(f, "%63s %63s %ld %ld %d %7s %ld", w, a, &us, &kb, &ok, how, &mkb) == 7) {
		rows++;
		if (!expect_true(!strcmp(w, "thread_relay@1") && ok == 1 && !strcmp(how, "hwm") &&
				 kb > 500 && mkb > 500))
			printf("  row %d: %s %s %ld us %ld KB ok %d how %s %%M %ld KB\n", rows, w, a,
			       us, kb, ok, how, mkb);
		sum[strcmp(a, "glibc") != 0] += kb;
	}
	fclose(f);
	remove(path);
	expect_eq(rows, 6);	/* three runs each of glibc and kmm */
	/* the row: "thread_relay@1  glibc-s  glibc-MiB  kmm-xT  time/RSS" */
	const char *row = strstr(out, "\nthread_relay@1 ");
	double gs, gmib, t, r;
	char xt[16];
	if (expect_true(row != NULL) &&
	    expect_eq(sscanf(row, " thread_relay@1 %lf %lf %15s %lf/%lf", &gs, &gmib, xt, &t, &r), 5)) {
		double want = (double)sum[1] / (double)sum[0];	/* mean / mean: the same 3 runs */
		if (!expect_true(r > want - 0.006 && r < want + 0.006))
			printf("  peak RSS ratio printed %.2f, the raw runs' means give %.4f\n", r, want);
	}
	/* -R: the runs with randomisation off, said so */
	snprintf(cmd, sizeof(cmd), "timeout 600 bash %s/bench/malloc/run.sh -P -q -R -n 1 -t 1 "
		 "-w '^thread_relay@1$' -b %s 2>&1", src, bin);
	expect_eq(run_cmd(cmd, out, sizeof(out)), 0);
	expect_str_contains(out, "peak RSS: means of 1 runs (VmHWM at exit, setarch -R: address "
			    "randomisation off)");
}

/*
 * make bench's summary carries the per-process start cost (issue 19: <= 2 ms
 * and <= 2 MiB): start_cost, a program that mallocs once, under kmm and
 * glibc, its CPU time and mean peak RSS as kmm / glibc ratios; make bench
 * runs it.
 */
TEST(start_cost_puts_its_ratios_in_make_bench_summary)
{
	if (UNDER_SANITIZER) {
		printf("  not run under a sanitizer (see UNDER_SANITIZER above)\n");
		return;
	}
	const char *src = getenv("KMM_SOURCE_DIR"), *bin = getenv("KMM_BINARY_DIR");
	char path[] = "/tmp/kmm-bench-sum-XXXXXX", cmd[4096], out[16384];
	int fd = mkstemp(path);

	assert_true(src != NULL && bin != NULL && fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "KMM_BENCH_SUMMARY=%s timeout 600 %s/bench/malloc/start_cost -n 3 "
		 "2>&1 && cat %s", path, bin, path);
	expect_eq(run_cmd(cmd, out, sizeof(out)), 0);
	remove(path);
	expect_str_contains(out, "VmHWM KB, mean");
	expect_str_contains(out, "malloc\tstart_cost time\t1\tglibc\t");
	expect_str_contains(out, "malloc\tstart_cost peak RSS\t1\tglibc\t");
	snprintf(cmd, sizeof(cmd), "make -s -n -C %s bench 2>&1 | grep -A1 'KMM_BENCH_SUMMARY=.*'", src);
	expect_eq(run_cmd(cmd, out, sizeof(out)), 0);
	expect_str_contains(out, "bench/malloc/start_cost -n 21");
}

/*
 * make bench's malloc figures are run.sh's documented ones: full inputs
 * (not -q, a smoke run: session 17's make bench printed mt_churn@1's peak
 * RSS at 1.69x glibc from its quick input, run.sh 1.13x), run.sh's default
 * five repetitions, on the Release build.
 */
TEST(make_bench_runs_malloc_workloads_as_run_sh_documents)
{
	const char *src = getenv("KMM_SOURCE_DIR");
	char cmd[4096], out[16384];

	assert_true(src != NULL);
	snprintf(cmd, sizeof(cmd), "make -s -n -C %s bench 2>&1 | grep -A1 'KMM_BENCH_SUMMARY=.*run.sh'",
		 src);
	int rc = run_cmd(cmd, out, sizeof(out));
	expect_eq(rc, 0);
	expect_str_contains(out, "-n 5 -t ");
	expect_str_contains(out, "-b build-release");
	if (!expect_true(strstr(out, " -q") == NULL))
		printf("  make bench runs: %s\n", out);
	snprintf(cmd, sizeof(cmd), "grep -c 'repetitions (default 5)' %s/bench/malloc/run.sh", src);
	expect_eq(run_cmd(cmd, out, sizeof(out)), 0);
}

/*
 * bench/vmalloc's "10,000 live areas" rows measure the free tree with the
 * holes' frames held, so their areas map as one run of frames like the
 * plain rows' (session 18: the 16-page row trailed the host 3.45x because
 * each area got 16 scattered frames, one host mmap each); the cost of
 * scattered frames is a row of its own. kmm is deterministic: the runs are
 * exact.
 */
TEST(vmalloc_bench_measures_live_areas_apart_from_scattered_frames)
{
	const char *bin = getenv("KMM_BINARY_DIR");
	char path[] = "/tmp/kmm-bench-vmalloc-XXXXXX", cmd[4096], out[16384];
	int fd = mkstemp(path);

	assert_true(bin != NULL && fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "KMM_QUICK=1 KMM_BENCH_SUMMARY=%s timeout 600 %s/bench/vmalloc -t 1 "
		 "2>&1", path, bin);
	int rc = run_cmd(cmd, out, sizeof(out));
	expect_eq(rc, 0);
	if (!expect_str_contains(out, "frame runs of a 16-page area: 16 with the holes' frames free, "
				 "1 with them held"))
		printf("  bench/vmalloc said: %s\n", out);
	FILE *f = fopen(path, "r");
	assert_true(f != NULL);
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	fclose(f);
	remove(path);
	expect_str_contains(out, "vmalloc\t16 pages, 10,000 live areas\t1\thost mmap\t");
	expect_str_contains(out, "vmalloc\t16 pages, 10,000 live areas, scattered\t1\thost mmap\t");
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
