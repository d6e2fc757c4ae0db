// SPDX-License-Identifier: MIT
/*
 * bench/boot.c - how long kmm_boot() takes and how much host memory it
 * commits, for big machines: mem=64G and mem=1T with deferred struct pages
 * (kmm's default), against the peer measured in the same run: the same
 * machine with deferred_struct_pages=off (every struct page initialised at
 * boot, as a kernel without CONFIG_DEFERRED_STRUCT_PAGE_INIT does).
 *
 * Each configuration runs in its own child process so that its peak RSS is
 * its own: the child boots it N times (median of the boot times; committed
 * memory = RSS after boot minus before, median; peak RSS of the child).
 * The eager 1T boot would commit 16 GiB of struct pages and is not run.
 *
 * Then machines of mem=4G booted and shut down on 1, 2, 4 ... -t N threads at
 * once (each its own machine), next to the same with deferred_struct_pages=off.
 *
 * Usage: bench/boot [-t N] [N]   (N boots per configuration, default 7; KMM_QUICK=1: 3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmm/kmm.h>

#include "arch/sim/sim.h"

#include "bench/bench.h"

struct result {
	double boot_ms, shutdown_ms;
	double committed_mib, peak_mib;
	int ok;
	char error[200];
};


static void run_child(const char *cmdline, int n, struct result *r)
{
	double boot[64], down[64], committed[64];

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < n; i++) {
		unsigned long before = sim_host_rss_kb();
		uint64_t t0 = sim_now_ns();
		struct kmm_machine *m = kmm_boot(cmdline);
		uint64_t t1 = sim_now_ns();

		if (!m) {
			snprintf(r->error, sizeof(r->error), "%s", kmm_last_error());
			return;
		}
		committed[i] = (double)(sim_host_rss_kb() - before) / 1024.0;
		boot[i] = (double)(t1 - t0) / 1e6;
		t0 = sim_now_ns();
		kmm_shutdown(m);
		down[i] = (double)(sim_now_ns() - t0) / 1e6;
	}
	r->boot_ms = median(boot, n);
	r->shutdown_ms = median(down, n);
	r->committed_mib = median(committed, n);
	r->peak_mib = (double)sim_host_peak_rss_kb() / 1024.0;
	r->ok = 1;
}

/* Run one configuration in a child process; its result comes back through a pipe. */
static struct result measure(const char *cmdline, int n)
{
	struct result r = { 0 };
	int fd[2];
	pid_t pid;

	if (pipe(fd)) {
		snprintf(r.error, sizeof(r.error), "pipe failed");
		return r;
	}
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		run_child(cmdline, n, &r);
		if (write(fd[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (pid < 0 || read(fd[0], &r, sizeof(r)) != (ssize_t)sizeof(r)) {
		memset(&r, 0, sizeof(r));
		snprintf(r.error, sizeof(r.error), "child failed");
	}
	close(fd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return r;
}

static void print_row(const char *label, const struct result *r)
{
	if (!r->ok) {
		printf("%-44s  failed: %s\n", label, r->error);
		return;
	}
	printf("%-44s %10.2f %12.2f %14.1f %12.1f\n", label, r->boot_ms, r->shutdown_ms,
	       r->committed_mib, r->peak_mib);
}

struct boot_job {
	const char *cmdline;
	int boots;
};

static void boot_worker(void *arg, int idx)
{
	struct boot_job *j = arg;

	(void)idx;
	for (int i = 0; i < j->boots; i++) {
		struct kmm_machine *m = kmm_boot(j->cmdline);
		if (!m) {
			fprintf(stderr, "boot: %s: %s\n", j->cmdline, kmm_last_error());
			exit(1);
		}
		kmm_shutdown(m);
	}
}

/* Machines booted (and shut down) per second on 1, 2, 4 ... threads at once. */
static void run_threaded(int max_threads, int n)
{
	int counts[16], nc = bench_thread_counts(max_threads, counts);
	struct boot_job k = { "mem=4G", 4 }, e = { "mem=4G deferred_struct_pages=off", 4 };
	double one = 0;

	printf("\nboot, per thread count: mem=4G boots+shutdowns per second, threads booting "
	       "their own machines at once; peer: deferred_struct_pages=off\n");
	bench_header();
	for (int c = 0; c < nc; c++) {
		double kv[64], ev[64];
		for (int r = 0; r < n; r++) {
			kv[r] = 4.0 * counts[c] / ((double)bench_run_threads(counts[c], boot_worker, &k) / 1e9);
			ev[r] = 4.0 * counts[c] / ((double)bench_run_threads(counts[c], boot_worker, &e) / 1e9);
		}
		double kops = median(kv, n), eops = median(ev, n);
		if (counts[c] == 1)
			one = kops;
		bench_row("boot", "mem=4G boot+shutdown", counts[c], kops, one, "eager", eops);
	}
}

int main(int argc, char **argv)
{
	int max_threads;
	argc = bench_threads_arg(argc, argv, &max_threads);
	int n = getenv("KMM_QUICK") ? 3 : 7;
	struct result r64, e64, r1t;

	if (argc > 2 || (argc == 2 && (n = (int)strtol(argv[1], NULL, 10), n < 1 || n > 64 ||
					strspn(argv[1], "0123456789") != strlen(argv[1])))) {
		fprintf(stderr, "%s: '%s': want N boots per configuration, 1 to 64\n"
			"usage: boot [-t N] [N]\n", argv[0], argv[argc - 1]);
		return 2;
	}
	printf("kmm boot benchmark: median of %d boots per configuration, each in its own process\n\n",
	       n);
	printf("%-44s %10s %12s %14s %12s\n", "configuration", "boot ms", "shutdown ms",
	       "committed MiB", "peak RSS MiB");
	r64 = measure("mem=64G", n);
	print_row("mem=64G (deferred struct pages)", &r64);
	e64 = measure("mem=64G deferred_struct_pages=off", n);
	print_row("mem=64G deferred_struct_pages=off (peer)", &e64);
	r1t = measure("mem=1T", n);
	print_row("mem=1T (deferred struct pages)", &r1t);
	printf("%-44s  not run: would commit 16 GiB of struct pages\n",
	       "mem=1T deferred_struct_pages=off");

	if (r64.ok && e64.ok && e64.boot_ms > 0 && e64.committed_mib > 0) {
		/* kmm / peer, as every ratio of make bench: deferred over eager */
		double rt = r64.boot_ms / e64.boot_ms, rc = r64.committed_mib / e64.committed_mib;
		char rs[2][16];
		printf("\nmem=64G, kmm/peer (deferred / eager; lower is better): boot time %s, "
		       "committed memory %s\n", bench_fmt_ratio(rs[0], sizeof(rs[0]), rt),
		       bench_fmt_ratio(rs[1], sizeof(rs[1]), rc));
		bench_summary("boot", "mem=64G boot", 1, "eager", rt);
		bench_summary("boot", "mem=64G committed memory", 1, "eager", rc);
	}
	if (r64.ok && r1t.ok && r64.boot_ms > 0)
		printf("mem=1T/mem=64G boot time with deferred struct pages: %.2fx (16x the RAM)\n",
		       r1t.boot_ms / r64.boot_ms);
	run_threaded(max_threads, n);
	printf("\nLinux reference (not measured here; Mel Gorman, \"Parallel struct page "
	       "initialisation v4\", 2015):\n"
	       "  deferred init per node: 64G machine 188-216 ms, 1TB machine 1116-1148 ms;\n"
	       "  boot saved on the 1TB machine: 16 s.\n");
	return 0;
}
