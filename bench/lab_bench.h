// SPDX-License-Identifier: MIT
/*
 * bench/lab_bench.h - what the allocator lab's benchmarks share: the traces
 * they replay (a seeded synthetic one and the real programs' traces in
 * examples/lab/, recorded by kmm's malloc shim) and the peer, glibc's
 * malloc replaying the same trace in the same process.
 */
#ifndef KMM_BENCH_LAB_BENCH_H
#define KMM_BENCH_LAB_BENCH_H

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kmm/lab.h>

struct bench_trace {
	const char *name;
	struct kmm_lab_trace t;
};

static inline double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This thread's CPU time, as replay's rate pass measures it. */
static inline double bench_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define LAB_MAX_RUNS 31

/* Runs per figure: LAB_RUNS (default 5), within 1..LAB_MAX_RUNS. */
static inline int bench_lab_runs(void)
{
	const char *env = getenv("LAB_RUNS");
	int runs = env ? atoi(env) : 5;

	return runs < 1 ? 1 : runs > LAB_MAX_RUNS ? LAB_MAX_RUNS : runs;
}

/* A trace: "synthetic:SPEC" or a path under the source tree. Return: 0 or -1. */
static inline int bench_load(struct bench_trace *bt, const char *what)
{
	char err[512], path[4096];

	bt->name = what;
	if (!strncmp(what, "synthetic:", 10)) {
		struct kmm_synth s;
		char *spec = strdup(what + 10);
		int ret = kmm_synth_parse(&s, spec, err, sizeof(err));
		if (!ret)
			ret = kmm_lab_trace_synthetic(&bt->t, &s, err, sizeof(err));
		free(spec);
		if (ret)
			fprintf(stderr, "%s: %s\n", what, err);
		return ret ? -1 : 0;
	}
	const char *src = getenv("KMM_SOURCE_DIR");
	snprintf(path, sizeof(path), "%s/%s", src ? src : ".", what);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: cannot open (run from the source directory or set "
			"KMM_SOURCE_DIR)\n", path);
		return -1;
	}
	int ret = kmm_lab_trace_read(&bt->t, f, what, KMM_LAB_TRACE_AUTO, err, sizeof(err));
	fclose(f);
	if (ret)
		fprintf(stderr, "%s\n", err);
	return ret ? -1 : 0;
}

/* One event through glibc's malloc. */
static inline void glibc_event(void **slot, const struct kmm_lab_trace_event *e)
{
	void **p = &slot[e->id], *q;

	switch (e->op) {
	case KMM_LAB_TRACE_ALLOC:
		*p = malloc(e->size);
		break;
	case KMM_LAB_TRACE_MEMALIGN:
		*p = memalign((size_t)1 << e->align_log, e->size);
		break;
	case KMM_LAB_TRACE_FREE:
		free(*p);
		*p = NULL;
		break;
	case KMM_LAB_TRACE_REALLOC:
		q = realloc(*p, e->size);
		if (q || !e->size)
			*p = q;
		break;
	}
	__asm__ volatile("" : : "r"(*p) : "memory");
}

/* glibc's malloc replaying @t once: CPU seconds. Frees what the trace leaves live. */
static inline double glibc_replay(const struct kmm_lab_trace *t)
{
	void **slot = calloc(t->nr_ids + 1, sizeof(*slot));
	double t0 = bench_cpu_s();

	for (size_t i = 0; i < t->nr; i++)
		glibc_event(slot, &t->ev[i]);
	double s = bench_cpu_s() - t0;
	for (uint32_t i = 0; i < t->nr_ids; i++)
		free(slot[i]);
	free(slot);
	return s;
}

#endif /* KMM_BENCH_LAB_BENCH_H */
