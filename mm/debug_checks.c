// SPDX-License-Identifier: MIT
/*
 * mm/debug_checks.c - the debug checker: every layer's checker (kmm_check)
 * after every outermost operation, as a subscriber to the stream.
 *
 * Linux counterpart: CONFIG_DEBUG_VM's VM_BUG_ON checks and
 * check_pages/debug_pagealloc in spirit; the checkers are kmm's own.
 *
 * When it runs: on KMM_EV_OP_END, which the stream emits when the outermost
 * bracketed operation of a thread ends - an alloc_pages, __free_pages,
 * kmalloc, kfree, kmem_cache_alloc/free, vmalloc/vfree, a system call or a
 * user fault. An allocation made inside another operation (the pages of a
 * new slab, the page tables of a fault) is checked when the outer one ends,
 * because in between the layers may disagree by design.
 *
 * Turned on by (first match wins):
 *   the boot option debug_checks=off|on|fatal (on/off as kstrtobool() reads them),
 *   the environment variable KMM_DEBUG_CHECKS=0|1|fatal,
 *   a build with -DKMM_DEBUG_CHECKS=ON (cmake), which means fatal,
 *   or kmm_debug_checks(m, true) from the library API.
 * "on" logs each violation to dmesg (kmm_check's own line) and counts it;
 * "fatal" stops the host process with the violation on stderr (Linux's
 * BUG()), so that a test run cannot miss it.
 *
 * Locking: debug_lock (a leaf) around the per-machine records; the check
 * itself runs with no lock of ours held, and kmm_check takes the layers'.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/kstrtox.h"
#include "mm/include/subsys.h"
#include "mm/internal.h"

struct debug_state {
	unsigned long serial;		/* the machine these belong to */
	int sub;			/* subscriber id, -1 when off */
	bool fatal;
	unsigned long checks, failed;
	char first[256];		/* the first violation */
};

static struct debug_state debug_states[KMM_MAX_MACHINES + 1];
static spinlock_t debug_lock = SPINLOCK_INIT;
static _Thread_local bool in_check;	/* kmm_check's own events are not operations */

static struct debug_state *state_locked(struct kmm_machine *m)
{
	struct debug_state *st = &debug_states[m->slot];

	if (st->serial != m->serial) {
		memset(st, 0, sizeof(*st));
		st->serial = m->serial;
		st->sub = -1;
	}
	return st;
}

static int on_op_end(struct kmm_machine *m, const struct kmm_event *ev, void *arg)
{
	char why[256];
	bool fatal;
	int err;

	(void)ev;
	(void)arg;
	if (in_check)
		return 0;
#ifdef KMM_DEBUG_CHECKS
	/*
	 * An operation that ends with a lock of ours still held is nested in
	 * one nobody bracketed (kmm_op_begin/kmm_op_end): checking now would
	 * deadlock on that lock. That is a bug to fix where the lock is taken.
	 */
	if (sim_locks_held) {
		snprintf(why, sizeof(why), "debug_checks: an operation ended with %d kmm lock(s) "
			 "held: its caller takes a lock without kmm_op_begin()", sim_locks_held);
		sim_bug(why);
	}
#endif
	in_check = true;
	err = kmm_check(m);
	in_check = false;
	spin_lock(&debug_lock);
	struct debug_state *st = state_locked(m);
	st->checks++;
	if (err && !st->failed++)
		snprintf(st->first, sizeof(st->first), "%s", kmm_last_error());
	fatal = st->fatal;
	spin_unlock(&debug_lock);
	if (err && fatal) {
		snprintf(why, sizeof(why), "debug_checks: %s", kmm_last_error());
		sim_bug(why);
	}
	return 0;
}

static int debug_checks_set(struct kmm_machine *m, bool on, bool fatal)
{
	int err = 0;

	spin_lock(&debug_lock);
	struct debug_state *st = state_locked(m);

	st->fatal = fatal;
	if (on && st->sub < 0) {
		struct kmm_trace_sub sub = {
			.name = "debug_checks",
			.mask = KMM_EVBIT(KMM_EV_OP_END),
			.fn = on_op_end,
		};
		int id = kmm_trace_subscribe(m, &sub);
		if (id < 0)
			err = id;
		else
			st->sub = id;
	} else if (!on && st->sub >= 0) {
		kmm_trace_unsubscribe(m, st->sub);
		st->sub = -1;
	}
	spin_unlock(&debug_lock);
	return err;
}

int kmm_debug_checks(struct kmm_machine *m, bool on)
{
	if (!m)
		return kmm_set_error(-EINVAL, "debug_checks: no machine");
	return debug_checks_set(m, on, false);
}

bool kmm_debug_checks_on(struct kmm_machine *m)
{
	bool on;

	if (!m)
		return false;
	spin_lock(&debug_lock);
	on = state_locked(m)->sub >= 0;
	spin_unlock(&debug_lock);
	return on;
}

unsigned long kmm_debug_checks_failed(struct kmm_machine *m, char *buf, size_t len)
{
	unsigned long n;

	if (!m)
		return 0;
	spin_lock(&debug_lock);
	struct debug_state *st = state_locked(m);
	n = st->failed;
	if (buf && len)
		snprintf(buf, len, "%s", st->first);
	spin_unlock(&debug_lock);
	return n;
}

/* ---- Boot ---- */

/*
 * "fatal" in any case (Fatal, FATAL): 2; a kstrtobool() word (off/on, 0/1,
 * n/y, f/t): 0 or 1; no value ("debug_checks" alone): 1; -1 for anything
 * else. "fatal" is asked first, and without regard to case: kstrtobool()
 * alone would read the 'f' or 'F' of any spelling of it as false, and turn
 * the checks off for a user who asked for the strictest mode.
 */
static int parse_mode(const char *v)
{
	static const char fatal[] = "fatal";
	size_t i = 0;
	bool on;

	/*
	 * strcasecmp() by hand: every boot reads this option (the malloc
	 * shim's too), and the C library's strcasecmp would fault in its
	 * code and case tables, ~128 KB of resident pages in every process.
	 */
	while (v[i] && fatal[i] && (v[i] >= 'A' && v[i] <= 'Z' ? v[i] + 'a' - 'A' : v[i]) == fatal[i])
		i++;
	if (!v[i] && !fatal[i])
		return 2;
	if (!*v)
		return 1;
	if (kstrtobool(v, &on))
		return -1;
	return on;
}

static int validate_mode(const char *val, char *err, size_t len)
{
	if (parse_mode(val ? val : "") < 0) {
		snprintf(err, len, "wants off, on or fatal (or " KSTRTOBOOL_WORDS ")");
		return -EINVAL;
	}
	return 0;
}

static void debug_checks_boot_options(void)
{
	kmm_register_boot_option("debug_checks", validate_mode);
}

static int debug_checks_init(struct kmm_machine *m)
{
	const char *opt = kmm_boot_option(m, "debug_checks");
	const char *env = sim_getenv("KMM_DEBUG_CHECKS");
	int mode = 0;

#ifdef KMM_DEBUG_CHECKS
	mode = 2;
#endif
	if (opt)
		mode = parse_mode(opt);
	else if (env && *env && (mode = parse_mode(env)) < 0)
		/* refused as debug_checks= is: a typo would otherwise mean a silent choice */
		return kmm_set_error(-EINVAL, "KMM_DEBUG_CHECKS=\"%.64s\" wants off, on or fatal "
				     "(or " KSTRTOBOOL_WORDS "); the boot option debug_checks= "
				     "wins over it", env);
	if (mode <= 0)
		return 0;
	/* The machine just booted: it must hold its invariants before the first operation. */
	if (kmm_check(m)) {
		if (mode == 2) {
			char why[300];

			snprintf(why, sizeof(why), "debug_checks: after boot: %s", kmm_last_error());
			sim_bug(why);
		}
		return -EUCLEAN;
	}
	return debug_checks_set(m, true, mode == 2);
}

/* The checker: the subscriber id is one the stream can hold, or none. */
static int debug_checks_check(struct kmm_machine *m)
{
	int err = 0;

	spin_lock(&debug_lock);
	struct debug_state *st = state_locked(m);
	if (st->sub < -1 || st->sub >= KMM_TRACE_MAX_SUBS)
		err = kmm_set_error(-EUCLEAN, "debug_checks: subscriber id %d out of range", st->sub);
	spin_unlock(&debug_lock);
	return err;
}

static void debug_checks_shutdown(struct kmm_machine *m)
{
	debug_checks_set(m, false, false);
}

/* The table entry: last, so that it starts checking once every layer is up. */
const struct kmm_subsys debug_checks_subsys = {
	.name = "debug_checks",
	.id = SUBSYS_DEBUG_CHECKS,
	.boot_options = debug_checks_boot_options,
	.init = debug_checks_init,
	.check = debug_checks_check,
	.shutdown = debug_checks_shutdown,
};
