// SPDX-License-Identifier: MIT
/*
 * cli/verbs_mlock.c - scenario verbs for locking memory: mlock, munlock,
 * mlockall, munlockall.
 *
 * Linux counterpart: none (what a test program would do with mlock() and
 * mlockall()); the calls are include/kmm/process.h's. A process is named by
 * its comm or pid (cli_find_task); a failed call whose result is captured is
 * a value ($v -1, $v.errno its name), uncaptured it stops the script.
 *
 * Locking: none (the runner is single-threaded).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/verbs.h"
#include "include/kmm/process.h"
#include "lib/util.h"
#include "mm/include/mm.h"

/* ---- Argument helpers (the shapes cli/verbs_proc.c uses) ---- */

static int need_args(struct verb_check *vc, const struct args *a, int min, int max, const char *usage)
{
	if (a->argc < min || (max >= 0 && a->argc > max))
		return verb_check_error(vc, a, -1, "usage: %s", usage);
	return 0;
}

/* A live process named by argument @i, or a script error. */
static int arg_task(struct kmm_ctx *ctx, const struct args *a, int i, struct task_struct **out)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m)
		return VERB_ERROR;
	if (atomic_load(&m->halted))
		return ctx_error(ctx, a, -1, "the machine has halted (kernel panic, see dmesg): boot or "
				 "reboot to go on");
	struct task_struct *t = cli_find_task(m, a->argv[i].text);
	if (!t)
		return ctx_error(ctx, a, i, "no process named '%s' (spawn one first)", a->argv[i].text);
	if (!kmm_task_alive(t))
		return ctx_error(ctx, a, i, "process '%s' (pid %d) is dead", a->argv[i].text,
				 kmm_task_pid(t));
	*out = t;
	return 0;
}

/* 0 (-> $v gets 0), or the failure: a value when captured, else the script stops (status 2). */
static int sys_result(struct kmm_ctx *ctx, const struct args *a, struct task_struct *t,
		      const char *what, int err)
{
	char name[64];

	if (err) {
		snprintf(name, sizeof(name), "%s: %s", kmm_task_comm(t), what);
		return ctx_syscall_failed(ctx, a, name, err, -1);
	}
	if (a->result) {
		struct value val = { 0 };
		value_set_int(&val, 0);
		ctx_set_var(ctx, a->result, &val);
	}
	return VERB_OK;
}

/* NAME ADDR SIZE [more]: the common shape. */
static int range_check(struct verb_check *vc, const struct args *a, int extra_min, int extra_max,
		       const char *usage)
{
	uint64_t x;

	if (need_args(vc, a, 3 + extra_min, 3 + extra_max, usage))
		return VERB_ERROR;
	if (!a->argv[1].is_var && parse_addr(a->argv[1].text, &x))
		return verb_check_error(vc, a, 1, "'%s' is not an address (a number or $var)",
					a->argv[1].text);
	if (!a->argv[2].is_var && kmm_parse_size(a->argv[2].text, &x, NULL))
		return verb_check_error(vc, a, 2, "'%s' is not a size (e.g. 4K, 16M)", a->argv[2].text);
	return 0;
}

static int range_args(struct kmm_ctx *ctx, const struct args *a, struct task_struct **t,
		      uint64_t *addr, uint64_t *len)
{
	int err = arg_task(ctx, a, 0, t);

	if (err || (err = arg_u64(ctx, a, 1, addr, false)) || (err = arg_u64(ctx, a, 2, len, true)))
		return err;
	return 0;
}

/* ---- mlock, munlock ---- */

static int mlock_check(struct verb_check *vc, const struct args *a)
{
	return range_check(vc, a, 0, 0, "mlock|munlock NAME ADDR SIZE");
}

static int mlock_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr, len;
	int err = range_args(ctx, a, &t, &addr, &len);

	return err ? err : sys_result(ctx, a, t, "mlock", kmm_mlock(t, addr, len));
}

static int munlock_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr, len;
	int err = range_args(ctx, a, &t, &addr, &len);

	return err ? err : sys_result(ctx, a, t, "munlock", kmm_munlock(t, addr, len));
}

/* ---- mlockall, munlockall ---- */

/* mlockall NAME [current] [future] [onfault]: the words are MCL_ flags, none of them EINVAL */
static int mlockall_check(struct verb_check *vc, const struct args *a)
{
	if (need_args(vc, a, 1, 4, "mlockall NAME [current] [future] [onfault] -> $v"))
		return VERB_ERROR;
	for (int i = 1; i < a->argc; i++)
		if (strcmp(a->argv[i].text, "current") && strcmp(a->argv[i].text, "future") &&
		    strcmp(a->argv[i].text, "onfault"))
			return verb_check_error(vc, a, i, "expected current, future or onfault");
	return 0;
}

static int mlockall_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	int flags = 0, err = arg_task(ctx, a, 0, &t);

	if (err)
		return err;
	for (int i = 1; i < a->argc; i++)
		flags |= !strcmp(a->argv[i].text, "current") ? KMM_MCL_CURRENT
			 : !strcmp(a->argv[i].text, "future") ? KMM_MCL_FUTURE : KMM_MCL_ONFAULT;
	return sys_result(ctx, a, t, "mlockall", kmm_mlockall(t, flags));
}

static int munlockall_check(struct verb_check *vc, const struct args *a)
{
	return need_args(vc, a, 1, 1, "munlockall NAME -> $v") ? VERB_ERROR : 0;
}

static int munlockall_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	int err = arg_task(ctx, a, 0, &t);

	return err ? err : sys_result(ctx, a, t, "munlockall", kmm_munlockall(t));
}

/* ---- The table ---- */

static const struct verb verbs[] = {
	{ "mlock", "mlock NAME ADDR SIZE -> $v", "lock a range in memory (faults it in; VmLck)",
	  "As Linux: the range is locked first, then faulted in up to the first failure:\n"
	  "a PROT_NONE mapping in the range, or a page no fault can make (one swapoff could\n"
	  "not read back, one past the end of its file), is ENOMEM, no memory EAGAIN; the\n"
	  "range stays locked, the pages after the failure are not faulted. mmap's populate\n"
	  "ignores all three. A hole in the range is ENOMEM too, the mappings before it\n"
	  "locked (munlock: unlocked) and nothing faulted in.\n",
	  VERB_RESULT | VERB_ACK, mlock_check, mlock_run },
	{ "munlock", "munlock NAME ADDR SIZE -> $v", "unlock a range", NULL, VERB_RESULT | VERB_ACK, mlock_check,
	  munlock_run },
	{ "mlockall", "mlockall NAME [current] [future] [onfault] -> $v",
	  "lock every mapping (current) and every later one (future) in memory",
	  "As Linux 6.12's mlockall: current locks every mapping and faults it in, errors\n"
	  "ignored; future locks every later mmap and brk (a forked child does not inherit\n"
	  "it); onfault, with either, locks pages as they fault instead of faulting them in.\n"
	  "No word, or onfault alone, is EINVAL. A second mlockall replaces the first's\n"
	  "words. VmLck in /proc/PID/status counts the locked mappings.\n",
	  VERB_RESULT | VERB_ACK, mlockall_check, mlockall_run },
	{ "munlockall", "munlockall NAME -> $v", "unlock every mapping and undo mlockall's future", NULL,
	  VERB_RESULT | VERB_ACK, munlockall_check, munlockall_run },
};

const struct verb_table mlock_verbs = {
	.layer = "memory locking",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.intro =
		"Locking a process's memory: mlock and munlock a range, mlockall and munlockall "
		"every mapping; /proc/PID/status shows VmLck, /proc/meminfo Mlocked and "
		"Unevictable.",
	.example =
		"spawn A\n"
		"mmap A 1M rw private anon -> $a\n"
		"mlock A $a 64K\n"
		"cat /proc/1/status | grep VmLck\n"
		"munlock A $a 64K\n",
};
