// SPDX-License-Identifier: MIT
/*
 * bench/scenario_parse.c - how long the scenario parser takes over 1 MB
 * scripts of three shapes, and over sizes 128 KB .. 1 MB of the mixed one,
 * so that linear growth shows as a constant time per MB:
 *   expr:  one `let` with a single expression of ~500,000 terms (1+1+...)
 *   lets:  `let $vN = N + 1` lines, every name new (the variable table)
 *   mixed: commands, pipes, comments, repeats, lets and expects, as an
 *          example file has them
 * Each figure is the median of 7 parses (script_parse + script_free), in
 * milliseconds. Nothing is run: parsing needs no machine. There is no peer:
 * the figure is for the closing note of issue 12 and for spotting a
 * quadratic path (ms per MB growing with the size).
 *
 * Then 1 MB mixed scripts parsed on 1, 2, 4 ... -t N threads at once.
 *
 * Usage: bench/scenario_parse [-t N]   (KMM_QUICK=1: 3 repetitions)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
#include "cli/scenario.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *make_script(const char *shape, size_t bytes, size_t *len)
{
	char *t = malloc(bytes + 256);
	size_t n = 0;
	unsigned long i = 0;

	if (!strcmp(shape, "expr")) {
		n = (size_t)sprintf(t, "let $x = 1");
		while (n + 2 < bytes) {
			t[n++] = '+';
			t[n++] = '1';
		}
		t[n++] = '\n';
	} else if (!strcmp(shape, "lets")) {
		while (n < bytes)
			n += (size_t)sprintf(t + n, "let $v%lu = %lu + 1\n", i, i), i++;
	} else {
		static const char *const lines[] = {
			"boot mem=512M arch=i386\n",
			"alloc_pages order=2 gfp=GFP_KERNEL|__GFP_ZERO -> $p%lu\n",
			"cat /proc/buddyinfo | grep Normal | head -n 1\n",
			"# a comment, as examples have them %lu\n",
			"repeat 3 { kmalloc 64 -> $o ; kfree $o }\n",
			"let $a%lu = zone.Normal.free * 4 + (3 - 1) / 2\n",
			"expect zone.Normal.free > 0 && $a%lu >= 0\n",
			"print \"step %lu\" zone.Normal.free\n",
		};
		while (n < bytes) {
			const char *l = lines[i % 8];
			if (i % 8 == 6)	/* uses $aN, set by the line before */
				n += (size_t)sprintf(t + n, l, i - 1);
			else
				n += (size_t)sprintf(t + n, l, i);
			i++;
		}
	}
	t[n] = '\0';
	*len = n;
	return t;
}

static double parse_ms(const char *text, size_t len, int reps)
{
	double v[16];
	char err[512];

	for (int r = 0; r < reps; r++) {
		struct script_source src = { "bench.kmm", text, len, 1 };
		double t0 = now_ms();
		struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);
		double t1 = now_ms();
		if (!s) {
			fprintf(stderr, "scenario_parse: the script does not parse: %s\n", err);
			exit(1);
		}
		script_free(s);
		v[r] = t1 - t0;
	}
	return median(v, reps);
}

struct parse_job {
	const char *text;
	size_t len;
};

static void parse_worker(void *arg, int idx)
{
	struct parse_job *j = arg;

	(void)idx;
	parse_ms(j->text, j->len, 1);
}

int main(int argc, char **argv)
{
	int max_threads;
	argc = bench_threads_arg(argc, argv, &max_threads);
	if (argc > 1) {
		fprintf(stderr, "%s: unexpected argument '%s'\nusage: scenario_parse [-t N]\n", argv[0],
			argv[1]);
		return 2;
	}
	const char *quick = getenv("KMM_QUICK");
	int reps = quick && *quick && *quick != '0' ? 3 : 7;
	const char *shapes[] = { "expr", "lets", "mixed" };

	printf("scenario parse: median of %d parses, milliseconds\n", reps);
	printf("%-6s %10s %10s %10s\n", "shape", "bytes", "ms", "ms/MB");
	for (int i = 0; i < 3; i++) {
		size_t len;
		char *t = make_script(shapes[i], 1 << 20, &len);
		double ms = parse_ms(t, len, reps);
		printf("%-6s %10zu %10.1f %10.1f\n", shapes[i], len, ms, ms / ((double)len / (1 << 20)));
		free(t);
	}
	for (size_t kb = 128; kb <= 1024; kb *= 2) {
		size_t len;
		char *t = make_script("mixed", kb << 10, &len);
		double ms = parse_ms(t, len, reps);
		printf("%-6s %10zu %10.1f %10.1f\n", "mixed", len, ms, ms / ((double)len / (1 << 20)));
		free(t);
	}
	/* Parsers on 1, 2, 4 ... -t N threads at once, each its own 1 MB mixed script. */
	int counts[16], nc = bench_thread_counts(max_threads, counts);
	size_t len;
	char *t = make_script("mixed", 1 << 20, &len);
	struct parse_job j = { t, len };
	double one = 0;
	printf("\nscenario parse, per thread count: script bytes parsed per second, threads each "
	       "parsing a 1 MB mixed script at once (no peer)\n");
	bench_header();
	for (int c = 0; c < nc; c++) {
		double v[16];
		for (int r = 0; r < reps; r++)
			v[r] = (double)len * counts[c] /
			       ((double)bench_run_threads(counts[c], parse_worker, &j) / 1e9);
		double ops = median(v, reps);
		if (counts[c] == 1)
			one = ops;
		bench_row_nopeer("parse mixed script (MB/s)", counts[c], ops, one);
	}
	free(t);
	return 0;
}
