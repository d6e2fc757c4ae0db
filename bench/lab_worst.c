// SPDX-License-Identifier: MIT
/*
 * bench/lab_worst.c - the costliest single call of each pool allocator,
 * against TLSF's published bound: "TLSF executes a maximum of 168 processor
 * instructions in a x86 architecture" (Masmano, Ripoll, Crespo, Real; the
 * TLSF page, rtportal.upv.es/rtmalloc) for any malloc or free.
 *
 * Each trace is replayed through each policy's pool via <kmm/pool.h> (the
 * calls a program makes), every call measured alone:
 *   - user-space instructions, from the CPU's counter (perf_event_open;
 *     exclude_kernel), less the cost of an empty measurement, when the host
 *     lets a process count its own instructions; where it does not (a
 *     virtual machine often), by single-stepping a child process through
 *     each call with ptrace (exact, but slow: the real traces only);
 *   - TSC ticks, the smallest over RUNS replays of the same call (a call
 *     that an interrupt lengthened in one run is measured again), less the
 *     cost of an empty measurement, shown in nanoseconds (scaled by the
 *     TSC's rate measured against the clock).
 * The figures are the worst malloc and the worst free (a realloc or a
 * memalign can be several operations: they are left out of those columns)
 * and the median call. glibc's malloc, measured the same
 * way on the same trace, is the peer. The list policies' worst case grows
 * with the free list; TLSF's and the buddy system's do not.
 *
 * Traces: a seeded synthetic one (100,000 allocations, sizes "mix",
 * exponential lifetimes of mean 1000) and the real programs' traces in
 * examples/lab/. RUNS is 5 (LAB_RUNS overrides).
 *
 * The ratio kmm/glibc is the pool's worst call over glibc's, in ns (lower
 * is better, as every ratio of make bench; each goes to the closing
 * summary). One thread by nature: the cost of one call, alone; -t N is
 * checked (make bench passes it) and does not apply.
 *
 * usage: lab_worst [-t N]
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "bench/bench.h"
#include "bench/lab_bench.h"

#define NIL ((size_t)-1)

static inline uint64_t ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	return (uint64_t)(bench_now_s() * 1e9);
#endif
}

static int instr_fd = -1;
static uint64_t instr_overhead, tick_overhead;
static double ns_per_tick;

static uint64_t instructions(void)
{
	uint64_t v = 0;

	if (instr_fd >= 0 && read(instr_fd, &v, sizeof(v)) != sizeof(v))
		v = 0;
	return v;
}

static void calibrate(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	instr_fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (instr_fd < 0)
		printf("instructions: not counted here (perf_event_open: %s)\n", strerror(errno));
	instr_overhead = tick_overhead = UINT64_MAX;
	for (int i = 0; i < 2000; i++) {
		uint64_t i0 = instructions(), t0 = ticks(), t1 = ticks(), i1 = instructions();
		if (t1 - t0 < tick_overhead)
			tick_overhead = t1 - t0;
		if (i1 - i0 < instr_overhead)
			instr_overhead = i1 - i0;
	}
	double s0 = bench_now_s();
	uint64_t k0 = ticks();
	while (bench_now_s() - s0 < 0.05)
		;
	ns_per_tick = (bench_now_s() - s0) * 1e9 / (double)(ticks() - k0);
}

struct cost {
	uint64_t ticks, instr;
};

/* One event through @p (NULL: glibc); its cost in *c. */
static void event(struct kmm_pool *p, void **gslot, size_t *slot,
		  const struct kmm_lab_trace_event *e, struct cost *c)
{
	size_t *s = &slot[e->id], off;
	uint64_t i0 = instructions(), t0 = ticks();

	if (!p) {
		glibc_event(gslot, e);
	} else {
		switch (e->op) {
		case KMM_LAB_TRACE_ALLOC:
			*s = kmm_pool_alloc_off(p, e->size);
			break;
		case KMM_LAB_TRACE_MEMALIGN:
			*s = kmm_pool_aligned_alloc_off(p, (size_t)1 << e->align_log, e->size);
			break;
		case KMM_LAB_TRACE_FREE:
			if (*s != NIL)
				kmm_pool_free_off(p, *s);
			*s = NIL;
			break;
		case KMM_LAB_TRACE_REALLOC:
			if (*s == NIL) {
				*s = kmm_pool_alloc_off(p, e->size);
			} else if (kmm_pool_resize_off(p, *s, e->size)) {
				off = kmm_pool_alloc_off(p, e->size);
				if (off != NIL) {
					kmm_pool_free_off(p, *s);
					*s = off;
				}
			}
			break;
		}
	}
	uint64_t t1 = ticks(), i1 = instructions();
	c->ticks = t1 - t0 > tick_overhead ? t1 - t0 - tick_overhead : 0;
	c->instr = i1 - i0 > instr_overhead ? i1 - i0 - instr_overhead : 0;
}

#define CANDIDATES 32

/* 0: malloc, 1: free, 2: realloc or memalign (several operations; not in the worst columns) */
static int kind_of(const struct kmm_lab_trace_event *e)
{
	return e->op == KMM_LAB_TRACE_ALLOC ? 0 : e->op == KMM_LAB_TRACE_FREE ? 1 : 2;
}

struct result {
	uint64_t max_instr[3], max_ticks[3];	/* by kind_of() */
	double median_ns;
	uint64_t max_steps;
	/* calls worth single-stepping: the CANDIDATES slowest of each kind and the
	 * one of each kind that examined most free-list nodes */
	uint8_t *candidate;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Replay @t RUNS times through @policy (-1: glibc), each call measured. */
static int measure(const struct kmm_lab_trace *t, int policy, int runs, struct result *res)
{
	struct kmm_lab_trace_summary sum;
	uint64_t *best = malloc(t->nr * sizeof(*best)), *instr = calloc(t->nr, sizeof(*instr));
	uint64_t *order = malloc(t->nr * sizeof(*order)), most_steps[3] = { 0, 0, 0 };
	size_t most_at[3] = { 0, 0, 0 };
	size_t *slot = malloc((t->nr_ids + 1) * sizeof(*slot));
	void **gslot = calloc(t->nr_ids + 1, sizeof(*gslot));
	struct kmm_pool_config cfg = { .policy = (enum kmm_pool_policy)(policy < 0 ? 0 : policy) };
	void *region = NULL;
	size_t size = 0;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	res->candidate = calloc(t->nr, 1);
	kmm_lab_trace_summarize(t, &sum);
	if (policy >= 0) {
		uint64_t want = sum.peak_live * 4 > 65536 ? sum.peak_live * 4 : 65536;
		size = kmm_pool_region_size(&cfg, (size_t)1 << (64 - __builtin_clzll(want - 1)));
		region = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	}
	if (!best || !instr || !order || !res->candidate || !slot || !gslot ||
	    (policy >= 0 && (!size || !region)))
		goto out;
	for (size_t i = 0; i < t->nr; i++)
		best[i] = UINT64_MAX;
	for (int r = 0; r < runs; r++) {
		struct kmm_pool pool, *p = NULL;
		if (policy >= 0) {
			if (kmm_pool_init(&pool, &cfg, region, size, NULL, 0))
				goto out;
			p = &pool;
		}
		for (uint32_t i = 0; i <= t->nr_ids; i++)
			slot[i] = NIL;
		for (size_t i = 0; i < t->nr; i++) {
			struct cost c;
			struct kmm_pool_stats st0, st1;
			if (p && !r)
				kmm_pool_get_stats(p, &st0);
			event(p, gslot, slot, &t->ev[i], &c);
			if (c.ticks < best[i])
				best[i] = c.ticks;
			if (!r)
				instr[i] = c.instr;
			if (p && !r) {
				int k = kind_of(&t->ev[i]);
				kmm_pool_get_stats(p, &st1);
				if (st1.steps - st0.steps > most_steps[k]) {
					most_steps[k] = st1.steps - st0.steps;
					most_at[k] = i;
				}
			}
		}
		if (p) {
			struct kmm_pool_stats st;
			kmm_pool_get_stats(p, &st);
			res->max_steps = st.max_steps;
		} else {
			for (uint32_t i = 0; i < t->nr_ids; i++) {
				free(gslot[i]);
				gslot[i] = NULL;
			}
		}
	}
	for (size_t i = 0; i < t->nr; i++) {
		int k = kind_of(&t->ev[i]);
		if (best[i] > res->max_ticks[k])
			res->max_ticks[k] = best[i];
		if (instr[i] > res->max_instr[k])
			res->max_instr[k] = instr[i];
	}
	/* the candidates: slowest first (ticks in the high bits, the index below) */
	for (int k = 0; k < 2; k++) {
		size_t n = 0;
		for (size_t i = 0; i < t->nr; i++)
			if (kind_of(&t->ev[i]) == k)
				order[n++] = ((best[i] < UINT32_MAX ? best[i] : UINT32_MAX) << 32) | i;
		qsort(order, n, sizeof(*order), cmp_u64);
		for (size_t j = 0; j < n && j < CANDIDATES; j++)
			res->candidate[order[n - 1 - j] & 0xffffffffu] = 1;
		if (most_steps[k])
			res->candidate[most_at[k]] = 1;
	}
	qsort(best, t->nr, sizeof(*best), cmp_u64);
	res->median_ns = (double)best[t->nr / 2] * ns_per_tick;
	ret = 0;
out:
	free(best);
	free(order);
	free(instr);
	free(slot);
	free(gslot);
	free(region);
	return ret;
}

/* ---- Instructions by single-stepping (when the CPU's counter is not ours) ---- */

static inline void marker(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("int3" ::: "memory");
#endif
}

/*
 * The child: every event between two int3 markers, first a pair around an
 * event that does nothing (what event() itself costs is taken off).
 */
static void stepped_child(const struct kmm_lab_trace *t, int policy, const uint8_t *candidate)
{
	struct kmm_pool_config cfg = { .policy = (enum kmm_pool_policy)(policy < 0 ? 0 : policy) };
	struct kmm_lab_trace_summary sum;
	struct kmm_pool pool, *p = NULL;
	size_t *slot = malloc((t->nr_ids + 1) * sizeof(*slot));
	void **gslot = calloc(t->nr_ids + 1, sizeof(*gslot));
	struct cost c;

	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	raise(SIGSTOP);
	kmm_lab_trace_summarize(t, &sum);
	if (policy >= 0) {
		uint64_t want = sum.peak_live * 4 > 65536 ? sum.peak_live * 4 : 65536;
		size_t size = kmm_pool_region_size(&cfg, (size_t)1 << (64 - __builtin_clzll(want - 1)));
		void *region = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
		if (!region || kmm_pool_init(&pool, &cfg, region, size, NULL, 0))
			_exit(2);
		p = &pool;
	}
	for (uint32_t i = 0; i <= t->nr_ids; i++)
		slot[i] = NIL;
	instr_fd = -1;
	/* the empty pair: the same call with no event in it, for the overhead */
	struct kmm_lab_trace_event nop = { .op = 255 };
	marker();
	event(p, gslot, slot, &nop, &c);
	marker();
	for (size_t i = 0; i < t->nr; i++) {
		if (candidate[i])
			marker();
		event(p, gslot, slot, &t->ev[i], &c);
		if (candidate[i])
			marker();
	}
	_exit(0);
}

/* Count the candidates' instructions; the most per kind in @max. Return: 0 or -1. */
static int stepped(const struct kmm_lab_trace *t, int policy, const uint8_t *candidate,
		   uint64_t max[2])
{
	pid_t pid = fork();
	long k = -1, overhead = 0;
	size_t next = 0;
	int st;

	max[0] = max[1] = 0;
	if (pid < 0)
		return -1;
	if (pid == 0)
		stepped_child(t, policy, candidate);
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st))
		return -1;
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	for (;;) {
		siginfo_t si;
		if (waitpid(pid, &st, 0) < 0 || WIFEXITED(st) || WIFSIGNALED(st))
			break;
		if (ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) || si.si_code != SI_KERNEL) {
			ptrace(PTRACE_CONT, pid, NULL, NULL);
			continue;
		}
		long n = 0;
		for (;;) {
			if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) || waitpid(pid, &st, 0) < 0 ||
			    !WIFSTOPPED(st) || ptrace(PTRACE_GETSIGINFO, pid, NULL, &si))
				goto fail;
			if (si.si_code == SI_KERNEL)
				break;
			n++;
		}
		if (k < 0) {
			overhead = n;	/* the empty pair */
		} else {
			while (next < t->nr && !candidate[next])
				next++;
			if (next >= t->nr)
				goto fail;
			int kind = kind_of(&t->ev[next]);
			uint64_t v = (uint64_t)(n > overhead ? n - overhead : 0);
			if (kind < 2 && v > max[kind])
				max[kind] = v;
			next++;
		}
		k++;
		ptrace(PTRACE_CONT, pid, NULL, NULL);
	}
	while (next < t->nr && !candidate[next])
		next++;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 && next == t->nr ? 0 : -1;
fail:
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

int main(int argc, char **argv)
{
	static const char *const traces[] = {
		"synthetic:seed=1,allocs=100000,size=mix,life=exp:1000",
		"examples/lab/sqlite3.trace",
		"examples/lab/perl.trace",
	};
	static const char *const labels[] = { "synthetic mix", "sqlite3", "perl" };
	int runs = bench_lab_runs();

	bench_one_thread(argc, argv, "lab_worst [-t N] (one thread by nature: -t does not apply)");
	printf("bench/lab_worst: the costliest single call of each pool (via <kmm/pool.h>,\n"
	       "metadata inside) and of glibc's malloc, on the same trace. TLSF's published\n"
	       "bound: at most 168 instructions per malloc or free on x86. ns: the least of %d\n"
	       "runs for each call, then the worst call. kmm/glibc: the worst call's ns over\n"
	       "glibc's (lower is better). One thread by nature (-t N does not apply).\n", runs);
	calibrate();
	bool step = instr_fd < 0;
	if (step)
		printf("instructions: counted by single-stepping (ptrace) the %d slowest calls of "
		       "each kind and the one that\nexamined most free-list nodes: the most among "
		       "those (the counter would give every call's)\n", CANDIDATES);
	printf("measurement overhead removed: %llu ticks, %llu instructions; 1 tick = %.3f ns\n",
	       (unsigned long long)tick_overhead,
	       (unsigned long long)(instr_fd >= 0 ? instr_overhead : 0), ns_per_tick);
	for (size_t k = 0; k < sizeof(traces) / sizeof(traces[0]); k++) {
		struct bench_trace bt;
		struct result g, r;

		if (bench_load(&bt, traces[k]))
			return 2;
		if (measure(&bt.t, -1, runs, &g))
			return 2;
		printf("\n%s: %zu events\n%-15s %14s %14s %12s %12s %9s %10s %9s\n", traces[k],
		       bt.t.nr, "policy", "malloc instr", "free instr", "malloc ns", "free ns",
		       "median ns", "max steps", "kmm/glibc");
		for (int pol = -1; pol < KMM_POOL_NR_POLICIES; pol++) {
			if (pol == KMM_POOL_FIXED)
				continue;	/* one size only: it fails the others at once */
			if (pol >= 0 && measure(&bt.t, pol, runs, &r))
				return 2;
			const struct result *x = pol < 0 ? &g : &r;
			char mi[24] = "-", fi[24] = "-";
			uint64_t ins[2] = { x->max_instr[0], x->max_instr[1] };
			bool have = instr_fd >= 0;
			if (step)
				have = !stepped(&bt.t, pol, x->candidate, ins);
			if (have) {
				snprintf(mi, sizeof(mi), "%llu", (unsigned long long)ins[0]);
				snprintf(fi, sizeof(fi), "%llu", (unsigned long long)ins[1]);
			}
			double wm = (double)x->max_ticks[0] * ns_per_tick;
			double wf = (double)x->max_ticks[1] * ns_per_tick;
			double gw = (double)(g.max_ticks[0] > g.max_ticks[1] ? g.max_ticks[0]
									      : g.max_ticks[1]) * ns_per_tick;
			if (pol >= 0)
				free(r.candidate);
			double ratio = gw > 0 ? (wm > wf ? wm : wf) / gw : 0;
			const char *name = pol < 0 ? "glibc" : kmm_pool_policy_name((enum kmm_pool_policy)pol);
			char rs[16], what[96];
			printf("%-15s %14s %14s %12.0f %12.0f %9.1f %10llu %9s\n", name, mi, fi, wm, wf,
			       x->median_ns, (unsigned long long)x->max_steps,
			       bench_fmt_ratio(rs, sizeof(rs), ratio));
			snprintf(what, sizeof(what), "worst call %s, %s", labels[k], name);
			if (pol >= 0 && gw > 0)
				bench_summary("lab_worst", what, 1, "glibc", ratio);
		}
		free(g.candidate);
		kmm_lab_trace_free(&bt.t);
	}
	return 0;
}
