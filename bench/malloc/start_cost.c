// SPDX-License-Identifier: MIT
/*
 * bench/malloc/start_cost.c - what a process pays to start under an
 * allocator: a program that mallocs once and frees once, run again and again
 * under glibc and under the preloaded library, interleaved (A B A B ...).
 *
 * Per run it records the child's peak RSS (VmHWM, read by the child itself
 * from /proc/self/status just before it exits), its minor page faults
 * (getrusage in the child, the same moment) and its CPU time, user + system
 * (wait4's rusage in the parent: everything from spawn to exit). It prints
 * the medians of each, the mean peak RSS too, and the ratio of the library's
 * to glibc's from the same run; never a threshold. The children run with
 * address randomisation on, as programs do: where libc lands modulo 64 KiB
 * moves a small program's peak by up to ~300 KB from run to run (the host
 * maps file pages in 64 KiB windows around a fault), so the mean over runs
 * is the figure a process pays on average (bench/malloc/run.sh says more).
 *
 * With $KMM_BENCH_SUMMARY set (make bench), the first library's ratios to
 * glibc go to make bench's closing table (bench/summary.sh): "start_cost
 * time" (median CPU time) and "start_cost peak RSS" (mean VmHWM), so the
 * issue's start-cost target sits beside every other ratio.
 *
 * With -T N the child also starts N threads one after another, each of which
 * mallocs and frees once and exits: the cost of a thread that comes and goes
 * (divide the difference to -T 0 by N).
 *
 * usage: start_cost [-n RUNS] [-T THREADS] [LIB [LIB2]]  (defaults 11, 0, and
 *        $KMM_MALLOC_LIB or libkmm-malloc.so two folders above this program;
 *        a second library, e.g. a build before a change, runs interleaved too)
 *        start_cost --child THREADS                   (the measured program)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void *volatile sink;

static void *one_malloc(void *arg)
{
	char *p = malloc(32);

	(void)arg;
	if (!p)
		_exit(3);
	p[0] = 1;
	sink = p;
	free(p);
	return NULL;
}

/* The measured program: malloc once, free once, then report without stdio. */
static int child(int threads)
{
	char buf[4096], out[128];
	struct rusage ru;
	long hwm = -1;

	one_malloc(NULL);
	for (int i = 0; i < threads; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, one_malloc, NULL) || pthread_join(t, NULL))
			return 4;
	}
	getrusage(RUSAGE_SELF, &ru);
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[n] = 0;
		char *h = strstr(buf, "VmHWM:");
		if (h)
			hwm = strtol(h + 6, NULL, 10);
	}
	int len = snprintf(out, sizeof(out), "%ld %ld\n", hwm, ru.ru_minflt);
	return write(1, out, (size_t)len) == len ? 0 : 5;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double mean(const double *v, int n)
{
	double sum = 0;

	for (int i = 0; i < n; i++)
		sum += v[i];
	return sum / n;
}

/* A line of make bench's summary (bench/bench.h's bench_summary() format). */
static void summary_line(const char *what, double ratio)
{
	const char *path = getenv("KMM_BENCH_SUMMARY");
	FILE *f;

	if (!path || !*path || !(f = fopen(path, "a")))
		return;
	fprintf(f, "malloc\tstart_cost %s\t1\tglibc\t%.17g\n", what, ratio);
	fclose(f);
}

/* One run of the child, with @lib preloaded (or none): 0, or -1 on failure. */
static int run_once(const char *self, const char *threads, const char *lib, double *hwm,
		    double *faults, double *cpu_ms)
{
	char *argv[] = { (char *)self, "--child", (char *)threads, NULL };
	char pre[PATH_MAX + 16];
	char *env[256];
	int ne = 0, fds[2];

	for (char **e = environ; *e && ne < 254; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) != 0)
			env[ne++] = *e;
	if (lib) {
		snprintf(pre, sizeof(pre), "LD_PRELOAD=%s", lib);
		env[ne++] = pre;
	}
	env[ne] = NULL;
	if (pipe(fds))
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	pid_t pid;
	int err = posix_spawn(&pid, self, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (err) {
		close(fds[0]);
		errno = err;
		return -1;
	}
	char buf[128];
	ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) || n <= 0)
		return -1;
	buf[n] = 0;
	long h, f;
	if (sscanf(buf, "%ld %ld", &h, &f) != 2)
		return -1;
	*hwm = (double)h;
	*faults = (double)f;
	*cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	return 0;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], deflib[PATH_MAX + 32], threads[16] = "0";
	const char *lib = getenv("KMM_MALLOC_LIB"), *libs[3] = { NULL };
	int nlibs = 2;
	int runs = 11, opt;

	if (argc == 3 && strcmp(argv[1], "--child") == 0)
		return child(atoi(argv[2]));
	while ((opt = getopt(argc, argv, "n:T:")) != -1) {
		if (opt == 'n')
			runs = atoi(optarg);
		else if (opt == 'T')
			snprintf(threads, sizeof(threads), "%d", atoi(optarg));
		else
			goto usage;
	}
	if (runs < 1 || runs > 1000 || optind < argc - 2)
		goto usage;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return perror("start_cost: /proc/self/exe"), 1;
	self[n] = 0;
	if (optind < argc) {
		lib = argv[optind];
	} else if (!lib || !*lib) {
		snprintf(deflib, sizeof(deflib), "%s", self);
		char *slash = strrchr(deflib, '/');
		*slash = 0;
		strcat(deflib, "/../../libkmm-malloc.so");
		lib = deflib;
	}
	libs[1] = lib;
	if (optind + 1 < argc)
		libs[nlibs++] = argv[optind + 1];
	for (int k = 1; k < nlibs; k++)
		if (access(libs[k], R_OK))
			return fprintf(stderr, "start_cost: cannot read %s\n", libs[k]), 1;

	double *v = calloc((size_t)runs * 3 * (size_t)nlibs, sizeof(double));
	if (!v)
		return 1;
	for (int i = 0; i < runs; i++) {
		/* Interleaved; which goes first rotates too. */
		for (int k = 0; k < nlibs; k++) {
			int which = (i + k) % nlibs;	/* 0 glibc, then the libraries */
			double *r = v + (size_t)which * 3 * runs;
			if (run_once(self, threads, libs[which], &r[i], &r[runs + i],
				     &r[2 * runs + i]))
				return fprintf(stderr, "start_cost: run %d under %s failed\n", i,
					       which ? libs[which] : "glibc"), 1;
		}
	}
	static const char *what[] = { "VmHWM KB", "minor faults", "CPU ms (user+sys)" };
	/* the means first: median() sorts the runs in place */
	double hwm_mean[3];
	for (int k = 0; k < nlibs; k++)
		hwm_mean[k] = mean(v + (size_t)(3 * k) * runs, runs);
	printf("start_cost: malloc once, free once%s%s; medians of %d interleaved runs\n",
	       strcmp(threads, "0") ? ", then threads one after another: " : "",
	       strcmp(threads, "0") ? threads : "", runs);
	for (int k = 1; k < nlibs; k++)
		printf("kmm%d: %s\n", k, libs[k]);
	printf("%-20s %10s", "", "glibc");
	for (int k = 1; k < nlibs; k++)
		printf("       kmm%d kmm%d/glibc", k, k);
	printf("\n");
	for (int m = 0; m < 3; m++) {
		double g = median(v + (size_t)m * runs, runs);
		printf("%-20s %10.*f", what[m], m == 2 ? 2 : 0, g);
		for (int k = 1; k < nlibs; k++) {
			double x = median(v + (size_t)(3 * k + m) * runs, runs);
			printf(" %10.*f %11.2f", m == 2 ? 2 : 0, x, g > 0 ? x / g : 0);
		}
		printf("\n");
	}
	printf("%-20s %10.0f", "VmHWM KB, mean", hwm_mean[0]);
	for (int k = 1; k < nlibs; k++)
		printf(" %10.0f %11.2f", hwm_mean[k], hwm_mean[0] > 0 ? hwm_mean[k] / hwm_mean[0] : 0);
	printf("\n");
	double g_cpu = median(v + 2 * (size_t)runs, runs), k_cpu = median(v + 5 * (size_t)runs, runs);
	if (g_cpu > 0 && hwm_mean[0] > 0) {
		summary_line("time", k_cpu / g_cpu);
		summary_line("peak RSS", hwm_mean[1] / hwm_mean[0]);
	}
	free(v);
	return 0;
usage:
	fprintf(stderr, "usage: start_cost [-n RUNS] [-T THREADS] [LIB [LIB2]]\n");
	return 2;
}
