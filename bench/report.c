// SPDX-License-Identifier: MIT
/*
 * bench/report.c - what the HTML report costs: the time the recorder adds to
 * each scenario command (it samples the machine after every one), and the
 * size of the HTML file for a scenario of 10^5 commands.
 *
 * Four scenarios, each run in this process with the recorder off and on
 * (ctx_opts.record), alternately, ROUNDS times; each figure is the median
 * nanoseconds per command, and the ratio on/off is measured in the same
 * run, so a loaded host moves both alike:
 *   pages:   alloc_pages; free_pages            (the buddy allocator)
 *   process: mmap 64K; touch it; munmap         (faults, page tables, RSS)
 *   expect:  expect 1 == 1                       (the cheapest command that
 *                                                 goes through a verb: the
 *                                                 recorder reads the machine
 *                                                 after it)
 *   let:     let $x = 1                          (the cheapest statement; it
 *                                                 cannot touch the machine, so
 *                                                 the recorder reads nothing
 *                                                 after it: docs/report.md)
 * The goal (issue 18): the report makes a scenario at most 10% slower.
 * Each scenario is measured at 10^5 commands, then pages, expect and let at 10^6
 * (the recorder's points stand for 256 commands each there, so most
 * commands take only its inline fast path).
 * Then the report of the pages scenario with 10^5 commands is written twice,
 * with the default 4096 points per machine and with one point per command
 * (--report-points 0), and the file sizes are printed.
 *
 * No peer: the ratio on/off compares kmm with itself (lower is better, as
 * every ratio of make bench), so nothing goes to the closing summary. One
 * thread by nature: one scenario runner; -t N is checked (make bench passes
 * it) and does not apply.
 *
 * Usage: bench/report [-t N]   (KMM_QUICK=1: fewer rounds and commands, no 10^6 runs)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "cli/report.h"
#include "cli/scenario.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

struct scenario {
	const char *name;
	const char *setup;	/* run first, not timed */
	const char *body;	/* one round of the loop */
	int cmds;		/* commands per round, the loop's own step included */
	bool long_run;		/* measured at 10^6 commands too */
};

static const struct scenario scenarios[] = {
	{ "pages", "boot mem=1G arch=i386 maxcpus=1\n",
	  "alloc_pages order=0 -> $p; free_pages $p", 3, true },
	{ "process", "boot mem=1G arch=i386 maxcpus=1\nspawn a\n",
	  "mmap a 64K rw private anon -> $m; touch a $m 64K write; munmap a $m 64K", 4, false },
	{ "expect", "boot mem=1G arch=i386 maxcpus=1\n", "expect 1 == 1", 2, true },
	{ "let", "boot mem=1G arch=i386 maxcpus=1\n", "let $x = 1", 2, true },
};

static struct script *parse(const char *text)
{
	char err[512];
	struct script_source src = { "bench", text, strlen(text), 1 };
	struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);

	if (!s) {
		fprintf(stderr, "bench/report: %s\n", err);
		exit(2);
	}
	return s;
}

/*
 * Run @sc's setup, then @rounds rounds of its body; with @record the
 * recorder samples every command (and @html, if set, gets the report).
 * Return: nanoseconds per command of the timed part.
 */
static double run(const struct scenario *sc, long rounds, bool record, long points,
		  const char *html)
{
	char text[512], err[512];
	FILE *devnull = fopen("/dev/null", "w");
	struct ctx_opts opts = { .out = devnull, .err = stderr, .record = record,
				 .report_points = points, .step_limit = -1, .host_files = true };
	struct kmm_ctx *ctx = ctx_create(&opts);
	struct script *setup = parse(sc->setup);

	snprintf(text, sizeof(text), "repeat %ld { %s }\n", rounds, sc->body);
	struct script *loop = parse(text);
	if (script_run(ctx, setup) != VERB_OK) {
		fprintf(stderr, "bench/report: %s: the setup failed\n", sc->name);
		exit(2);
	}
	double t0 = now_ns();
	int r = script_run(ctx, loop);
	double t = now_ns() - t0;
	if (r != VERB_OK) {
		fprintf(stderr, "bench/report: %s: the loop failed\n", sc->name);
		exit(2);
	}
	if (html && report_write(ctx_report(ctx), ctx_machine_if_booted(ctx), html, sc->name, err,
				 sizeof(err))) {
		fprintf(stderr, "bench/report: %s\n", err);
		exit(2);
	}
	ctx_destroy(ctx);
	script_free(setup);
	script_free(loop);
	fclose(devnull);
	return t / ((double)rounds * sc->cmds);
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long)st.st_size;
}

/* The medians of @rounds runs of about @n commands of each scenario (only the long ones if @long_only). */
static void measure(long n, int rounds, bool long_only)
{
	printf("bench/report: ns per command, median of %d runs of %ld commands, recorder off/on "
	       "(same process, alternating)\n", rounds, n);
	printf("%-10s %10s %10s %8s\n", "scenario", "off", "on", "on/off");
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *sc = &scenarios[i];
		double off[16], on[16];
		long loops = n / sc->cmds;
		if (long_only && !sc->long_run)
			continue;
		run(sc, loops / 10, false, 0, NULL);	/* warm the caches and the allocator */
		for (int k = 0; k < rounds; k++) {
			off[k] = run(sc, loops, false, 0, NULL);
			on[k] = run(sc, loops, true, 0, NULL);
		}
		double a = median(off, rounds), b = median(on, rounds);
		printf("%-10s %10.0f %10.0f %8.3f\n", sc->name, a, b, b / a);
	}
}

int main(int argc, char **argv)
{
	bool quick = getenv("KMM_QUICK") != NULL;

	bench_one_thread(argc, argv, "report [-t N] (one thread by nature: -t does not apply)");
	printf("bench/report: one thread by nature (-t N does not apply); no peer\n");
	measure(quick ? 20000 : 100000, quick ? 3 : 9, false);
	if (!quick)
		measure(1000000, 5, true);

	char path[64];
	snprintf(path, sizeof(path), "/tmp/kmm-bench-report-%d.html", (int)getpid());
	const struct scenario *pages = &scenarios[0];
	long loops = 100000 / pages->cmds;
	run(pages, loops, true, 0, path);
	long dflt = file_size(path);
	run(pages, loops, true, -1, path);
	long all = file_size(path);
	remove(path);
	printf("HTML of the pages scenario, %ld commands: %ld bytes with the default %d points, "
	       "%ld bytes with one point per command\n", loops * pages->cmds, dflt,
	       REPORT_DEFAULT_POINTS, all);
	return 0;
}
