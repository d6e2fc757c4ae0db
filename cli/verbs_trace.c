// SPDX-License-Identifier: MIT
/*
 * cli/verbs_trace.c - the event stream as a prompt shows it: trace (the
 * ring), sleep (virtual time passing), inject (failure injection); the
 * value terms clock and injected.TARGET.
 *
 * Linux counterpart: the tracefs ring (`echo 1 > events/kmem/enable; cat
 * trace`), sleep(1), and the fault-injection knobs of debugfs
 * (fail_page_alloc/, failslab/: interval, probability, space, times).
 *
 * Invariant: these verbs use only the public API (include/kmm/trace.h).
 * Output is deterministic: events carry the virtual clock and machine
 * addresses only.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/trace.h>

#include "cli/scenario.h"
#include "cli/trace.h"
#include "cli/verbs.h"
#include "lib/util.h"

/* ---- trace ---- */

#define TRACE_RING_DEFAULT 4096

/* trace start [EVENTS] [size=N] | stop | show [N] | list */
static int trace_parse(const struct args *a, uint64_t *mask, long long *size, int *bad, char *err,
		       size_t len)
{
	const char *sub = a->argc ? a->argv[0].text : "";

	*mask = KMM_EVMASK_TRACEPOINTS;
	*size = TRACE_RING_DEFAULT;
	*bad = 0;
	if (!a->argc) {
		snprintf(err, len, "trace wants start, stop, show or list");
		return -1;
	}
	for (int i = 0; i < a->argc; i++) {
		if (a->argv[i].is_var) {
			*bad = i;
			snprintf(err, len, "trace takes words, not $variables");
			return -1;
		}
	}
	if (!strcmp(sub, "start")) {
		for (int i = 1; i < a->argc; i++) {
			const char *key, *val;
			size_t klen;

			*bad = i;
			if (arg_kv(&a->argv[i], &key, &klen, &val)) {
				if (klen != 4 || strncmp(key, "size", 4) || parse_long(val, size) ||
				    *size < 1 || *size > (1 << 20)) {
					snprintf(err, len, "size=N wants 1..%d events", 1 << 20);
					return -1;
				}
				continue;
			}
			if (!(*mask = trace_parse_events(a->argv[i].text, err, len)))
				return -1;
		}
		return 0;
	}
	if (!strcmp(sub, "show")) {
		if (a->argc > 2 || (a->argc == 2 && (parse_long(a->argv[1].text, size) || *size < 1))) {
			*bad = a->argc > 2 ? 2 : 1;
			snprintf(err, len, "trace show [N] wants a positive count");
			return -1;
		}
		if (a->argc == 1)
			*size = -1;
		return 0;
	}
	if (!strcmp(sub, "stop") || !strcmp(sub, "list")) {
		if (a->argc > 1) {
			*bad = 1;
			snprintf(err, len, "trace %s takes nothing more", sub);
			return -1;
		}
		return 0;
	}
	snprintf(err, len, "trace wants start, stop, show or list, not \"%s\"", sub);
	return -1;
}

static int trace_check(struct verb_check *vc, const struct args *a)
{
	uint64_t mask;
	long long size;
	char err[200];
	int bad;

	if (trace_parse(a, &mask, &size, &bad, err, sizeof(err)))
		return verb_check_error(vc, a, bad, "%s", err);
	return VERB_OK;
}

struct show_state {
	struct kmm_ctx *ctx;
	uint64_t skip;		/* events to pass over before printing */
};

static void show_one(const struct kmm_event *ev, void *arg)
{
	struct show_state *st = arg;
	char line[512];

	if (st->skip) {
		st->skip--;
		return;
	}
	kmm_trace_format(ev, line, sizeof(line));
	ctx_printf(st->ctx, "%s\n", line);
}

static void count_one(const struct kmm_event *ev, void *arg)
{
	(void)ev;
	(*(uint64_t *)arg)++;
}

static int trace_run(struct kmm_ctx *ctx, const struct args *a)
{
	const char *sub = a->argv[0].text;
	uint64_t mask;
	long long size;
	char err[200];
	int bad;

	if (trace_parse(a, &mask, &size, &bad, err, sizeof(err)))
		return ctx_error(ctx, a, bad, "%s", err);
	if (!strcmp(sub, "list")) {
		for (int t = 0; t < KMM_EV_NR; t++)
			if (KMM_EVBIT(t) & KMM_EVMASK_TRACEPOINTS)
				ctx_printf(ctx, "%s\n", kmm_event_name(t));
		return VERB_OK;
	}
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m)
		return VERB_ERROR;
	if (!strcmp(sub, "start")) {
		if (kmm_trace_ring_start(m, mask, (size_t)size))
			return ctx_error(ctx, a, -1, "%s", kmm_last_error());
		return VERB_OK;
	}
	if (!strcmp(sub, "stop")) {
		kmm_trace_ring_stop(m);
		return VERB_OK;
	}
	/* show [N]: the last N events (all when N is not given) */
	struct show_state st = { ctx, 0 };
	uint64_t n = 0, lost;

	kmm_trace_ring_read(m, count_one, &n);
	if (size >= 0 && (uint64_t)size < n)
		st.skip = n - (uint64_t)size;
	lost = kmm_trace_ring_read(m, show_one, &st);
	if (lost && size < 0)
		ctx_printf(ctx, "# %llu older events were overwritten\n", (unsigned long long)lost);
	return VERB_OK;
}

/* ---- sleep ---- */

/* "10", "0.5", "250ms", "2s", "1m": nanoseconds, or -1. */
static long long parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	double scale = 1e9;

	if (end == s || v < 0)
		return -1;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		scale = 1e9;
	else if (!strcmp(end, "ms"))
		scale = 1e6;
	else if (!strcmp(end, "us"))
		scale = 1e3;
	else if (!strcmp(end, "ns"))
		scale = 1;
	else if (!strcmp(end, "m"))
		scale = 60e9;
	else if (!strcmp(end, "h"))
		scale = 3600e9;
	else
		return -1;
	if (v * scale > 1e18)
		return -1;
	return (long long)(v * scale + 0.5);
}

static int sleep_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc != 1 || a->argv[0].is_var || parse_duration(a->argv[0].text) < 0)
		return verb_check_error(vc, a, a->argc ? 0 : -1,
					"sleep wants one duration: 10, 0.5, 250ms, 1m");
	return VERB_OK;
}

static int sleep_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m)
		return VERB_ERROR;
	kmm_clock_advance(m, (uint64_t)parse_duration(a->argv[0].text));
	return VERB_OK;
}

/* ---- inject ---- */

static const char *const target_names[KMM_FAIL_NR] = {
	[KMM_FAIL_PAGE_ALLOC] = "fail_page_alloc",
	[KMM_FAIL_SLAB] = "failslab",
	[KMM_FAIL_VMALLOC] = "fail_vmalloc",
};

/*
 * inject off
 * inject TARGET off
 * inject TARGET=<interval>,<probability>,<space>,<times>[,<seed>]
 * inject TARGET [nth=N] [interval=N] [probability=P] [space=B] [times=T] [seed=S]
 *               [min_order=N] [ignore_gfp_wait] [ignore_gfp_highmem] [quiet]
 */
static int inject_parse(const struct args *a, int *target, bool *off, struct kmm_fault_attr *attr,
			int *bad, char *err, size_t len)
{
	const char *first = a->argc ? a->argv[0].text : "";
	size_t tlen = strcspn(first, "=");

	*bad = 0;
	*off = false;
	*target = -1;
	memset(attr, 0, sizeof(*attr));
	for (int i = 0; i < a->argc; i++) {
		if (a->argv[i].is_var) {
			*bad = i;
			snprintf(err, len, "inject takes words, not $variables");
			return -1;
		}
	}
	if (a->argc == 1 && !strcmp(first, "off")) {
		*off = true;
		return 0;
	}
	for (int t = 0; t < KMM_FAIL_NR; t++)
		if (strlen(target_names[t]) == tlen && !strncmp(first, target_names[t], tlen))
			*target = t;
	if (*target < 0) {
		snprintf(err, len, "inject wants fail_page_alloc, failslab, fail_vmalloc or off");
		return -1;
	}
	if (first[tlen] == '=') {
		if (a->argc > 1) {
			*bad = 1;
			snprintf(err, len, "nothing may follow %s=...", target_names[*target]);
			return -1;
		}
		if (kmm_fail_parse(first + tlen + 1, attr)) {
			snprintf(err, len, "%s", kmm_last_error());
			return -1;
		}
		return 0;
	}
	if (a->argc == 2 && !strcmp(a->argv[1].text, "off")) {
		*off = true;
		return 0;
	}
	/* Key words: the default is "fail every call" (interval 1, probability 100, no limit). */
	attr->interval = 1;
	attr->probability = 100;
	attr->times = -1;
	attr->verbose = true;
	for (int i = 1; i < a->argc; i++) {
		const char *key, *val;
		size_t klen;
		long long v = 0;

		*bad = i;
		if (!arg_kv(&a->argv[i], &key, &klen, &val)) {
			const char *w = a->argv[i].text;
			if (!strcmp(w, "ignore_gfp_wait"))
				attr->ignore_gfp_reclaim = true;
			else if (!strcmp(w, "ignore_gfp_highmem"))
				attr->ignore_gfp_highmem = true;
			else if (!strcmp(w, "quiet"))
				attr->verbose = false;
			else
				goto bad_word;
			continue;
		}
		char *end;
		if (klen == 11 && !strncmp(key, "probability", 11)) {
			/* a percentage; "5%" reads as 5 */
			v = strtoll(val, &end, 10);
			if (end == val || (*end && strcmp(end, "%")) || v < 0 || v > 100) {
				snprintf(err, len, "inject %s: \"%s\": probability is a percentage from 0 to 100",
					 target_names[*target], a->argv[i].text);
				return -1;
			}
			attr->probability = (unsigned int)v;
			continue;
		}
		/* each key's lowest and highest value (review19 R3: nth=0 was "not one of ...") */
		static const struct { const char *key; long long lo, hi; const char *what; } keys[] = {
			{ "nth", 1, LLONG_MAX, "a number from 1" },
			{ "interval", 1, LLONG_MAX, "a number from 1" },
			{ "space", 0, LLONG_MAX, "a number of bytes from 0" },
			{ "times", -1, LLONG_MAX, "a number from -1 (no limit)" },
			{ "seed", LLONG_MIN, LLONG_MAX, "a number" },
			{ "min_order", 0, 10, "an order from 0 to 10" },
		};
		size_t k = 0;
		while (k < ARRAY_SIZE(keys) && (strlen(keys[k].key) != klen || strncmp(key, keys[k].key, klen)))
			k++;
		if (k == ARRAY_SIZE(keys))
			goto bad_word;
		if (parse_long(val, &v) || v < keys[k].lo || v > keys[k].hi) {
			snprintf(err, len, "inject %s: \"%s\": %s takes %s", target_names[*target],
				 a->argv[i].text, keys[k].key, keys[k].what);
			return -1;
		}
		if (k == 0) {
			attr->interval = (unsigned long)v;
			attr->times = 1;
		} else if (k == 1) {
			attr->interval = (unsigned long)v;
		} else if (k == 2) {
			attr->space = (long)v;
		} else if (k == 3) {
			attr->times = (long)v;
		} else if (k == 4) {
			attr->seed = (uint64_t)v;
		} else {
			attr->min_order = (unsigned int)v;
		}
	}
	return 0;
bad_word:
	snprintf(err, len, "inject %s: \"%s\" is not one of nth=N interval=N probability=P "
		 "space=BYTES times=T seed=S min_order=N ignore_gfp_wait ignore_gfp_highmem quiet",
		 target_names[*target], a->argv[*bad].text);
	return -1;
}

static int inject_check(struct verb_check *vc, const struct args *a)
{
	struct kmm_fault_attr attr;
	char err[300];
	int target, bad;
	bool off;

	if (inject_parse(a, &target, &off, &attr, &bad, err, sizeof(err)))
		return verb_check_error(vc, a, bad, "%s", err);
	return VERB_OK;
}

static int inject_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct kmm_fault_attr attr;
	char err[300];
	int target, bad;
	bool off;

	if (!m)
		return VERB_ERROR;
	if (inject_parse(a, &target, &off, &attr, &bad, err, sizeof(err)))
		return ctx_error(ctx, a, bad, "%s", err);
	for (int t = 0; t < KMM_FAIL_NR; t++) {
		if (target >= 0 && t != target)
			continue;
		if (kmm_fail_inject(m, (enum kmm_fail_target)t, off ? NULL : &attr))
			return ctx_error(ctx, a, -1, "%s", kmm_last_error());
	}
	return VERB_OK;
}

/* ---- Terms ---- */

static int clock_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m = ctx_machine(ctx);

	(void)name;
	if (!m)
		return VERB_ERROR;
	value_set_int(out, (long long)kmm_clock_ns(m));
	return VERB_OK;
}

static int injected_target(const char *name)
{
	const char *t = name + strlen("injected.");

	for (int i = 0; i < KMM_FAIL_NR; i++)
		if (!strcmp(t, target_names[i]))
			return i;
	return -1;
}

static int injected_check(const char *name, char *err, size_t len)
{
	if (injected_target(name) < 0) {
		snprintf(err, len, "injected.fail_page_alloc, injected.failslab or "
			 "injected.fail_vmalloc");
		return -1;
	}
	return 0;
}

static int injected_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m)
		return VERB_ERROR;
	value_set_int(out, (long long)kmm_fail_count(m, (enum kmm_fail_target)injected_target(name)));
	return VERB_OK;
}

static const struct verb verbs[] = {
	{ "trace", "trace start [EVENT,...|all] [size=N] | trace stop | trace show [N] | trace list",
	  "keep the machine's events in a ring and print them (Linux's tracepoint names)",
	  "  trace start mm_page_alloc,mm_page_free\n  write A $a 4K 0xaa\n  trace show\n"
	  "Each line: seconds of virtual time, CPU slot, pid (0: the kernel), the event and\n"
	  "its fields, as in docs/trace-format.md. The ring keeps the last N events (4096);\n"
	  "`trace show N` prints the last N. `kmm trace record` writes a whole run to a file.\n",
	  0, trace_check, trace_run },
	{ "sleep", "sleep DURATION", "let virtual time pass (10, 0.5, 250ms, 1m)",
	  "The machine's clock counts work (docs/trace-format.md); sleep adds idle time,\n"
	  "so that dmesg stamps move on and rate limits (warn_alloc's 10 s) expire.\n",
	  0, sleep_check, sleep_run },
	{ "inject", "inject TARGET nth=N | probability=P [seed=S] [times=T] ... | inject [TARGET] off",
	  "make allocations fail: fail_page_alloc, failslab, fail_vmalloc (Linux's fault injection)",
	  "  inject failslab nth=3             fail the 3rd slab allocation from now, once\n"
	  "  inject fail_page_alloc probability=10 seed=7 times=5\n"
	  "  inject fail_page_alloc=1,100,0,2  Linux's boot-option form: interval,probability,space,times[,seed]\n"
	  "  inject off\n"
	  "Knobs as Linux's: interval=N (every Nth candidate), probability=P (percent),\n"
	  "space=BYTES (let that much through first), times=T (-1: no limit), min_order=N,\n"
	  "ignore_gfp_wait, ignore_gfp_highmem; quiet drops the FAULT_INJECTION lines.\n"
	  "`injected.TARGET` counts the failures made.\n",
	  0, inject_check, inject_run },
};

static const struct term terms[] = {
	{ "clock", "clock", "the machine's virtual clock in nanoseconds", NULL, clock_eval },
	{ "injected.", "injected.fail_page_alloc|failslab|fail_vmalloc",
	  "allocations failed by `inject` since it was set", injected_check, injected_eval },
};

const struct verb_table trace_verbs = {
	.layer = "events and time",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.terms = terms,
	.nr_terms = ARRAY_SIZE(terms),
	.intro =
		"Every machine has an event stream: pages, objects, faults, system calls, kswapd "
		"and log lines go onto it under Linux's tracepoint names, and each moves the "
		"machine's virtual clock by a fixed cost (dmesg stamps, rate limits). trace keeps "
		"the last events in a ring and prints them; sleep lets idle time pass; inject "
		"fails chosen allocations as Linux's fail_page_alloc and failslab do. `kmm trace "
		"record` writes a whole run to a file (docs/trace-format.md).",
	.example =
		"boot mem=64M arch=i386\n"
		"trace start mm_page_alloc,mm_page_free,kmalloc,kfree\n"
		"alloc_pages order=1 -> $p\n"
		"free_pages $p\n"
		"trace show\n"
		"inject failslab nth=1\n"
		"kmalloc 64 -> $k\n"
		"expect injected.failslab == 1\n"
		"let $t = clock\n"
		"sleep 10\n"
		"expect clock == $t + 10000000000\n",
};
