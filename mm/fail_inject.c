// SPDX-License-Identifier: MIT
/*
 * mm/fail_inject.c - failure injection: a subscriber to the stream's
 * decision points that makes chosen allocations fail.
 *
 * Linux counterpart: lib/fault-inject.c (struct fault_attr, should_fail_ex)
 * with mm/fail_page_alloc.c and mm/failslab.c, and their boot options
 * fail_page_alloc= and failslab= ("<interval>,<probability>,<space>,<times>").
 * Kept: the fault_attr fields and the order in which they are tested (times,
 * space, interval, probability), the page filters (min-order, __GFP_NOFAIL,
 * ignore-gfp-highmem, ignore-gfp-wait) and the "FAULT_INJECTION: forcing a
 * failure." report. Changed: the probability draws come from a seeded
 * generator (a fifth boot-option field, default 0), so a run repeats; the
 * filters start off (Linux starts with ignore-gfp-wait and min-order 1), so
 * that "fail the Nth allocation" counts every allocation; verbose reports
 * print the two lines without a stack dump. Added: fail_vmalloc, the same
 * knobs for vmalloc's virtual area allocation.
 *
 * Each machine has its own attributes and counters (a per-slot table, as
 * Linux has one set per kernel). The decision points are emitted before the
 * allocator takes any lock, so a failure leaves nothing half-done: the
 * caller sees NULL exactly as from a real shortage.
 *
 * Locking: fail_lock (a leaf) around one machine's counters; the subscriber
 * is added and removed under it too.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/subsys.h"
#include "mm/internal.h"

struct fail_target {
	bool on;
	struct kmm_fault_attr attr;
	unsigned long count;		/* candidates seen (the interval counter) */
	unsigned long failed;		/* failures injected */
	uint64_t rng;
};

struct fail_state {
	unsigned long serial;		/* the machine these belong to */
	int sub;			/* subscriber id, -1 when none */
	struct fail_target t[KMM_FAIL_NR];
};

static struct fail_state fail_states[KMM_MAX_MACHINES + 1];
static spinlock_t fail_lock = SPINLOCK_INIT;

static const char *const target_names[KMM_FAIL_NR] = {
	[KMM_FAIL_PAGE_ALLOC] = "fail_page_alloc",
	[KMM_FAIL_SLAB] = "failslab",
	[KMM_FAIL_VMALLOC] = "fail_vmalloc",
};

/* The machine's state, reset when the slot holds a new machine; fail_lock held. */
static struct fail_state *state_locked(struct kmm_machine *m)
{
	struct fail_state *st = &fail_states[m->slot];

	if (st->serial != m->serial) {
		memset(st, 0, sizeof(*st));
		st->serial = m->serial;
		st->sub = -1;
	}
	return st;
}

/* splitmix64: a small generator whose stream depends only on the seed. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * should_fail_ex(): times, then space, then interval, then probability, in
 * Linux's order. fail_lock held.
 */
static bool should_fail_locked(struct fail_target *t, uint64_t size)
{
	struct kmm_fault_attr *a = &t->attr;

	if (a->times == 0)
		return false;
	if (a->space > 0 && (uint64_t)a->space > size) {
		a->space -= (long)size;
		return false;
	}
	if (a->interval > 1 && ++t->count % a->interval)
		return false;
	if (a->probability < 100 && rng_next(&t->rng) % 100 >= a->probability)
		return false;
	if (a->times > 0)
		a->times--;
	t->failed++;
	return true;
}

static int on_decision(struct kmm_machine *m, const struct kmm_event *ev, void *arg)
{
	enum kmm_fail_target which;
	bool fail = false;

	(void)arg;
	switch (ev->type) {
	case KMM_EV_SHOULD_FAIL_ALLOC_PAGE:
		which = KMM_FAIL_PAGE_ALLOC;
		break;
	case KMM_EV_SHOULD_FAILSLAB:
		which = KMM_FAIL_SLAB;
		break;
	case KMM_EV_SHOULD_FAIL_VMALLOC:
		which = KMM_FAIL_VMALLOC;
		break;
	default:
		return 0;
	}
	if (ev->fail.gfp & __GFP_NOFAIL)
		return 0;
	spin_lock(&fail_lock);
	struct fail_state *st = state_locked(m);
	struct fail_target *t = &st->t[which];
	struct kmm_fault_attr a = t->attr;

	if (t->on &&
	    !(which == KMM_FAIL_PAGE_ALLOC && ev->fail.order < a.min_order) &&
	    !(which == KMM_FAIL_PAGE_ALLOC && a.ignore_gfp_highmem && (ev->fail.gfp & __GFP_HIGHMEM)) &&
	    !(a.ignore_gfp_reclaim && (ev->fail.gfp & __GFP_DIRECT_RECLAIM)))
		fail = should_fail_locked(t, ev->fail.size);
	a = t->attr;
	spin_unlock(&fail_lock);
	if (fail && a.verbose) {
		kmm_printk(m, "FAULT_INJECTION: forcing a failure.");
		kmm_printk(m, "name %s, interval %lu, probability %u, space %ld, times %ld",
			   target_names[which], a.interval, a.probability, a.space, a.times);
	}
	return fail;
}

static uint64_t decision_bit(enum kmm_fail_target which)
{
	switch (which) {
	case KMM_FAIL_PAGE_ALLOC:
		return KMM_EVBIT(KMM_EV_SHOULD_FAIL_ALLOC_PAGE);
	case KMM_FAIL_SLAB:
		return KMM_EVBIT(KMM_EV_SHOULD_FAILSLAB);
	default:
		return KMM_EVBIT(KMM_EV_SHOULD_FAIL_VMALLOC);
	}
}

/* (Re)subscribe with the mask of the targets that are on; fail_lock held. */
static int resubscribe_locked(struct kmm_machine *m, struct fail_state *st)
{
	struct kmm_trace_sub sub = { .name = "fail_inject", .fn = on_decision };

	for (int i = 0; i < KMM_FAIL_NR; i++)
		if (st->t[i].on)
			sub.mask |= decision_bit((enum kmm_fail_target)i);
	if (st->sub >= 0)
		kmm_trace_unsubscribe(m, st->sub);
	st->sub = -1;
	if (!sub.mask)
		return 0;
	int id = kmm_trace_subscribe(m, &sub);
	if (id < 0)
		return id;
	st->sub = id;
	return 0;
}

int kmm_fail_inject(struct kmm_machine *m, enum kmm_fail_target target,
		    const struct kmm_fault_attr *attr)
{
	if (!m)
		return kmm_set_error(-EINVAL, "fail_inject: no machine");
	if ((unsigned int)target >= KMM_FAIL_NR)
		return kmm_set_error(-EINVAL, "fail_inject: no target %d", (int)target);
	if (attr && (attr->interval < 1 || attr->probability > 100 || attr->times < -1 ||
		     attr->space < 0))
		return kmm_set_error(-EINVAL, "%s: interval must be >= 1, probability 0..100, "
				     "space >= 0 and times >= -1", target_names[target]);
	spin_lock(&fail_lock);
	struct fail_state *st = state_locked(m);
	struct fail_target *t = &st->t[target];

	memset(t, 0, sizeof(*t));
	if (attr) {
		t->on = true;
		t->attr = *attr;
		t->rng = attr->seed;
	}
	int err = resubscribe_locked(m, st);
	spin_unlock(&fail_lock);
	return err;
}

unsigned long kmm_fail_count(struct kmm_machine *m, enum kmm_fail_target target)
{
	unsigned long n;

	if (!m || (unsigned int)target >= KMM_FAIL_NR)
		return 0;
	spin_lock(&fail_lock);
	n = state_locked(m)->t[target].failed;
	spin_unlock(&fail_lock);
	return n;
}

/* ---- The boot options ---- */

int kmm_fail_parse(const char *text, struct kmm_fault_attr *attr)
{
	unsigned long long f[5] = { 0 };
	long long times = 0;
	int n = 0;
	const char *p = text;
	char *end;

	memset(attr, 0, sizeof(*attr));
	if (!text || !*text)
		goto bad;
	for (n = 0; n < 5; n++) {
		if (n == 3) {
			times = strtoll(p, &end, 10);
		} else {
			if (*p == '-')
				goto bad;
			f[n] = strtoull(p, &end, 0);
		}
		if (end == p)
			goto bad;
		p = end;
		if (!*p) {
			n++;
			break;
		}
		if (*p != ',')
			goto bad;
		p++;
	}
	if (n < 4 || *p)
		goto bad;
	if (f[0] < 1 || f[1] > 100 || times < -1 || f[2] > (unsigned long long)LONG_MAX)
		goto bad;
	attr->interval = (unsigned long)f[0];
	attr->probability = (unsigned int)f[1];
	attr->space = (long)f[2];
	attr->times = (long)times;
	attr->seed = f[4];
	attr->verbose = true;
	return 0;
bad:
	return kmm_set_error(-EINVAL, "\"%s\" is not <interval>,<probability>,<space>,<times>"
			     "[,<seed>] (interval >= 1, probability 0..100, times >= -1)",
			     text ? text : "");
}

static int validate_fail(const char *val, char *err, size_t len)
{
	struct kmm_fault_attr a;

	if (!val || kmm_fail_parse(val, &a)) {
		snprintf(err, len, "wants <interval>,<probability>,<space>,<times>[,<seed>]");
		return -EINVAL;
	}
	return 0;
}

static void fail_inject_boot_options(void)
{
	for (int i = 0; i < KMM_FAIL_NR; i++)
		kmm_register_boot_option(target_names[i], validate_fail);
}

static int fail_inject_init(struct kmm_machine *m)
{
	for (int i = 0; i < KMM_FAIL_NR; i++) {
		const char *val = kmm_boot_option(m, target_names[i]);
		struct kmm_fault_attr a;
		int err;

		if (!val)
			continue;
		err = kmm_fail_parse(val, &a);
		if (!err)
			err = kmm_fail_inject(m, (enum kmm_fail_target)i, &a);
		if (err) {
			char why[256];

			snprintf(why, sizeof(why), "%s", kmm_last_error());
			return kmm_set_error(err, "%s=%s: %s", target_names[i], val, why);
		}
	}
	return 0;
}

/*
 * The checker: every target's attributes are valid, and the subscriber is
 * on the stream exactly while some target is on.
 */
static int fail_inject_check(struct kmm_machine *m)
{
	bool any = false;
	int err = 0;

	spin_lock(&fail_lock);
	struct fail_state *st = state_locked(m);
	for (int i = 0; i < KMM_FAIL_NR && !err; i++) {
		const struct fail_target *t = &st->t[i];

		any |= t->on;
		if (t->on && (t->attr.interval < 1 || t->attr.probability > 100 ||
			      t->attr.times < -1 || t->attr.space < 0))
			err = kmm_set_error(-EUCLEAN, "%s: invalid attributes (interval %lu, "
					    "probability %u, space %ld, times %ld)", target_names[i],
					    t->attr.interval, t->attr.probability, t->attr.space,
					    t->attr.times);
	}
	if (!err && any != (st->sub >= 0))
		err = kmm_set_error(-EUCLEAN, "fail_inject: %s subscribed while %s target is on",
				    st->sub >= 0 ? "" : "not", any ? "a" : "no");
	spin_unlock(&fail_lock);
	return err;
}

static void fail_inject_shutdown(struct kmm_machine *m)
{
	for (int i = 0; i < KMM_FAIL_NR; i++)
		kmm_fail_inject(m, (enum kmm_fail_target)i, NULL);
}

/*
 * The table entry: before every layer that allocates, so that boot itself
 * can be failed (fail_page_alloc=1,100,0,1 fails boot's first allocation).
 */
const struct kmm_subsys fail_inject_subsys = {
	.name = "fail_inject",
	.id = SUBSYS_FAIL_INJECT,
	.boot_options = fail_inject_boot_options,
	.init = fail_inject_init,
	.check = fail_inject_check,
	.shutdown = fail_inject_shutdown,
};
