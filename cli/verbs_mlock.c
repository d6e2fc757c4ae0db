// SPDX-License-Identifier: MIT
/*
 * cli/verbs_mlock.c - scenario verbs for locking memory: mlock, mlock2,
 * munlock, mlockall, munlockall, and what limits them: prlimit
 * (RLIMIT_MEMLOCK and the other fifteen) and capset (CAP_IPC_LOCK,
 * CAP_SYS_RESOURCE).
 *
 * Linux counterpart: none (what a test program would do with mlock() and
 * mlockall(), and util-linux prlimit, capsh); the calls are
 * include/kmm/process.h's. A process is named by
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

/* mlock2 NAME ADDR SIZE [onfault]: MLOCK_ONFAULT locks the pages as they fault */
static int mlock2_check(struct verb_check *vc, const struct args *a)
{
	if (range_check(vc, a, 0, 1, "mlock2 NAME ADDR SIZE [onfault] -> $v"))
		return VERB_ERROR;
	if (a->argc == 4 && strcmp(a->argv[3].text, "onfault"))
		return verb_check_error(vc, a, 3, "'%s' is not onfault (MLOCK_ONFAULT), the one flag "
					"mlock2 takes", a->argv[3].text);
	return 0;
}

static int mlock2_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr, len;
	int err = range_args(ctx, a, &t, &addr, &len);

	return err ? err : sys_result(ctx, a, t, "mlock2",
				      kmm_mlock2(t, addr, len, a->argc == 4 ? KMM_MLOCK_ONFAULT : 0));
}

/* ---- prlimit and capset: the resource limits and the capabilities kmm models ---- */

/*
 * util-linux prlimit's resources: its option name, column text and unit, in
 * its order (the order `prlimit --pid` lists them); bytes marks the limits
 * whose values are sizes (K, M, G accepted), the others are counts.
 */
static const struct rlimit_name {
	const char *name, *description, *unit;
	int resource;
	bool bytes;
} rlimit_names[] = {
	{ "as", "address space limit", "bytes", KMM_RLIMIT_AS, true },
	{ "core", "max core file size", "bytes", KMM_RLIMIT_CORE, true },
	{ "cpu", "CPU time", "seconds", KMM_RLIMIT_CPU, false },
	{ "data", "max data size", "bytes", KMM_RLIMIT_DATA, true },
	{ "fsize", "max file size", "bytes", KMM_RLIMIT_FSIZE, true },
	{ "locks", "max number of file locks held", "locks", KMM_RLIMIT_LOCKS, false },
	{ "memlock", "max locked-in-memory address space", "bytes", KMM_RLIMIT_MEMLOCK, true },
	{ "msgqueue", "max bytes in POSIX mqueues", "bytes", KMM_RLIMIT_MSGQUEUE, true },
	{ "nice", "max nice prio allowed to raise", "", KMM_RLIMIT_NICE, false },
	{ "nofile", "max number of open files", "files", KMM_RLIMIT_NOFILE, false },
	{ "nproc", "max number of processes", "processes", KMM_RLIMIT_NPROC, false },
	{ "rss", "max resident set size", "bytes", KMM_RLIMIT_RSS, true },
	{ "rtprio", "max real-time priority", "", KMM_RLIMIT_RTPRIO, false },
	{ "rttime", "timeout for real-time tasks", "microsecs", KMM_RLIMIT_RTTIME, false },
	{ "sigpending", "max number of pending signals", "signals", KMM_RLIMIT_SIGPENDING, false },
	{ "stack", "max stack size", "bytes", KMM_RLIMIT_STACK, true },
};

/* One limit value: "unlimited", a size (a byte limit: K, M, G...) or a number. */
static int rlimit_value(const struct rlimit_name *r, const char *s, size_t n, uint64_t *out)
{
	char buf[64];
	long long v;

	if (!n || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (!strcmp(buf, "unlimited")) {
		*out = KMM_RLIM_INFINITY;
		return 0;
	}
	if (r->bytes)
		return kmm_parse_size(buf, out, NULL) ? -1 : 0;
	if (parse_long(buf, &v) || v < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* The resource a word names (RES or RES=...), or NULL. */
static const struct rlimit_name *rlimit_word(const char *w)
{
	size_t n = strcspn(w, "=");

	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (strlen(rlimit_names[i].name) == n && !strncmp(w, rlimit_names[i].name, n))
			return &rlimit_names[i];
	return NULL;
}

/*
 * RES=SOFT:HARD as util-linux prlimit takes it: one value sets both,
 * SOFT: the soft limit only, :HARD the hard one only. @lim keeps what is
 * not given. Return: 0, or -1 for a value that is none of these.
 */
static int rlimit_arg(const struct rlimit_name *r, const char *w, struct kmm_rlimit *lim)
{
	const char *v = strchr(w, '=') + 1, *colon;

	if (!(colon = strchr(v, ':'))) {
		if (rlimit_value(r, v, strlen(v), &lim->rlim_cur))
			return -1;
		lim->rlim_max = lim->rlim_cur;
		return 0;
	}
	if (colon == v && !colon[1])
		return -1;
	if (colon > v && rlimit_value(r, v, (size_t)(colon - v), &lim->rlim_cur))
		return -1;
	if (colon[1] && rlimit_value(r, colon + 1, strlen(colon + 1), &lim->rlim_max))
		return -1;
	return 0;
}

#define PRLIMIT_USAGE "prlimit NAME [all] [RESOURCE[=SOFT[:HARD]]]... -> $v"

static int prlimit_check(struct verb_check *vc, const struct args *a)
{
	if (need_args(vc, a, 1, 1 + (int)ARRAY_SIZE(rlimit_names), PRLIMIT_USAGE))
		return VERB_ERROR;
	for (int i = 1; i < a->argc; i++) {
		const char *w = a->argv[i].text;
		const struct rlimit_name *r = rlimit_word(w);
		struct kmm_rlimit lim = { 0, 0 };

		if (!strcmp(w, "all") && a->argc == 2)
			continue;
		if (!r)
			return verb_check_error(vc, a, i, "'%s' is not a resource (as, core, cpu, data, fsize, "
						"locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, "
						"rttime, sigpending, stack; or all, alone)", w);
		if (strchr(w, '=') && rlimit_arg(r, w, &lim))
			return verb_check_error(vc, a, i, "'%s' is not %s=SOFT[:HARD], each %s or unlimited "
						"(%s=VALUE sets both limits, %s=SOFT: the soft one only, "
						"%s=:HARD the hard one only)", w, r->name,
						r->bytes ? "a size" : "a number", r->name, r->name, r->name);
	}
	return 0;
}

static void print_limit(struct kmm_ctx *ctx, uint64_t v)
{
	if (v == KMM_RLIM_INFINITY)
		ctx_printf(ctx, " %9s", "unlimited");
	else
		ctx_printf(ctx, " %9" PRIu64, v);
}

/*
 * Set what the words set, in their order (the first refusal stops there,
 * as util-linux stops), then print the table of the words' resources in
 * their order - memlock alone without a word, every resource for "all" -
 * as util-linux prints it: the first two columns as wide as their widest
 * text, SOFT and HARD nine wide (util-linux fits them to their values).
 */
static int prlimit_run(struct kmm_ctx *ctx, const struct args *a)
{
	const struct rlimit_name *rows[ARRAY_SIZE(rlimit_names)];
	struct kmm_rlimit lims[ARRAY_SIZE(rlimit_names)];
	struct task_struct *t = NULL;
	size_t n = 0, name_w = strlen("RESOURCE"), desc_w = strlen("DESCRIPTION");
	int err = arg_task(ctx, a, 0, &t);

	if (err)
		return err;
	/* a line that sets a limit prints an acknowledgement (-q drops it); a query prints its answer */
	for (int i = 1; i < a->argc; i++)
		if (strchr(a->argv[i].text, '='))
			ctx_output_is_ack(ctx);
	if (a->argc == 1)
		rows[n++] = rlimit_word("memlock");
	else if (!strcmp(a->argv[1].text, "all"))
		for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
			rows[n++] = &rlimit_names[i];
	for (int i = 1; i < a->argc && strcmp(a->argv[i].text, "all"); i++) {
		const struct rlimit_name *r = rlimit_word(a->argv[i].text);
		struct kmm_rlimit lim;

		if ((err = kmm_prlimit(t, r->resource, NULL, &lim)) != 0)
			return sys_result(ctx, a, t, "prlimit", err);
		if (strchr(a->argv[i].text, '=')) {
			rlimit_arg(r, a->argv[i].text, &lim);
			if ((err = kmm_prlimit(t, r->resource, &lim, NULL)) != 0)
				return sys_result(ctx, a, t, "prlimit", err);
		}
		rows[n++] = r;
	}
	for (size_t i = 0; i < n; i++) {
		if ((err = kmm_prlimit(t, rows[i]->resource, NULL, &lims[i])) != 0)
			return sys_result(ctx, a, t, "prlimit", err);
		if (strlen(rows[i]->name) > name_w)
			name_w = strlen(rows[i]->name);
		if (strlen(rows[i]->description) > desc_w)
			desc_w = strlen(rows[i]->description);
	}
	ctx_printf(ctx, "%-*s %-*s %9s %9s UNITS\n", (int)name_w, "RESOURCE", (int)desc_w, "DESCRIPTION",
		   "SOFT", "HARD");
	for (size_t i = 0; i < n; i++) {
		char upper[16];
		size_t k = 0;

		for (; rows[i]->name[k] && k < sizeof(upper) - 1; k++)
			upper[k] = (char)(rows[i]->name[k] - 'a' + 'A');
		upper[k] = 0;
		ctx_printf(ctx, "%-*s %-*s", (int)name_w, upper, (int)desc_w, rows[i]->description);
		print_limit(ctx, lims[i].rlim_cur);
		print_limit(ctx, lims[i].rlim_max);
		ctx_printf(ctx, " %s\n", rows[i]->unit);
	}
	return sys_result(ctx, a, t, "prlimit", 0);
}

static const struct { const char *name; int cap; } cap_names[] = {
	{ "ipc_lock", KMM_CAP_IPC_LOCK }, { "sys_resource", KMM_CAP_SYS_RESOURCE },
};

/*
 * +ipc_lock / -sys_resource, or ipc_lock=SETS with SETS some of e, i, p:
 * the capability's number, or -1. @sets gets the letters' sets (bit 0 e,
 * 1 i, 2 p), or -1 for the +/- form.
 */
static int cap_word(const char *w, int *sets)
{
	const char *name = w, *eq = strchr(w, '=');
	size_t n;

	*sets = -1;
	if (w[0] == '+' || w[0] == '-') {
		if (eq)
			return -1;
		name = w + 1;
	} else if (!eq) {
		return -1;
	} else {
		*sets = 0;
		for (const char *c = eq + 1; *c; c++) {
			const char *at = strchr("eip", *c);
			if (!at || (*sets & (1 << (at - "eip"))))
				return -1;
			*sets |= 1 << (at - "eip");
		}
	}
	if (!strncmp(name, "cap_", 4))
		name += 4;
	n = eq ? (size_t)(eq - name) : strlen(name);
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (strlen(cap_names[i].name) == n && !strncmp(name, cap_names[i].name, n))
			return cap_names[i].cap;
	return -1;
}

#define CAPSET_USAGE "capset NAME [+|-ipc_lock] [+|-sys_resource] [ipc_lock=SETS] [sys_resource=SETS] -> $v"

static int capset_check(struct verb_check *vc, const struct args *a)
{
	int sets;

	if (need_args(vc, a, 1, 5, CAPSET_USAGE))
		return VERB_ERROR;
	for (int i = 1; i < a->argc; i++)
		if (cap_word(a->argv[i].text, &sets) < 0)
			return verb_check_error(vc, a, i, "'%s' is not +ipc_lock, -ipc_lock, +sys_resource or "
						"-sys_resource (the capabilities kmm models), or ipc_lock=SETS, "
						"sys_resource=SETS with SETS some of e, i, p (capset(2))",
						a->argv[i].text);
	return 0;
}

static int capset_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	int err = arg_task(ctx, a, 0, &t);

	if (err)
		return err;
	if (a->argc > 1)	/* giving or taking: the line acknowledges it; bare capset is a query */
		ctx_output_is_ack(ctx);
	for (int i = 1; i < a->argc; i++) {
		int sets, cap = cap_word(a->argv[i].text, &sets);
		uint64_t bit = 1ull << cap;
		struct kmm_caps c;

		if (sets < 0) {
			err = kmm_task_set_capability(t, cap, a->argv[i].text[0] == '+');
		} else if (!(err = kmm_task_caps(t, &c))) {
			c.effective = (c.effective & ~bit) | (sets & 1 ? bit : 0);
			c.inheritable = (c.inheritable & ~bit) | (sets & 2 ? bit : 0);
			c.permitted = (c.permitted & ~bit) | (sets & 4 ? bit : 0);
			err = kmm_capset(t, c.effective, c.permitted, c.inheritable);
		}
		if (err)
			return sys_result(ctx, a, t, "capset", err);
	}
	ctx_printf(ctx, "%s: capabilities:", kmm_task_comm(t));
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		ctx_printf(ctx, " %ccap_%s", kmm_task_capable(t, cap_names[i].cap) ? '+' : '-', cap_names[i].name);
	ctx_printf(ctx, "\n");
	return sys_result(ctx, a, t, "capset", 0);
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
	  "locked (munlock: unlocked) and nothing faulted in. Without CAP_IPC_LOCK (root\n"
	  "has it) RLIMIT_MEMLOCK holds: EPERM when it is 0, ENOMEM when the locked total\n"
	  "would pass it (nothing changed); mmap locked, mlockall and its future mappings\n"
	  "(mmap EAGAIN, brk refused, mremap EAGAIN) are held to it too:\n"
	  "  spawn A uid=1000\n  mmap A 16M -> $a\n  mlock A $a 16M -> $r\n  expect $r.errno == \"ENOMEM\"\n",
	  VERB_RESULT | VERB_ACK, mlock_check, mlock_run },
	{ "mlock2", "mlock2 NAME ADDR SIZE [onfault] -> $v", "mlock, or lock pages only as they fault",
	  "Without onfault it is mlock. With onfault (MLOCK_ONFAULT) the range is locked and\n"
	  "counted in VmLck but nothing is faulted in: the pages there now are locked, the\n"
	  "others as they fault; smaps shows VmFlags lo lf. mlock of the range later faults\n"
	  "it all in.\n", VERB_RESULT | VERB_ACK, mlock2_check, mlock2_run },
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
	{ "prlimit", PRLIMIT_USAGE,
	  "show or set a process's resource limits, as util-linux prlimit",
	  "Each RESOURCE is util-linux's option name: as, core, cpu, data, fsize, locks,\n"
	  "memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack.\n"
	  "A word alone shows that limit; RESOURCE=SOFT:HARD sets both, RESOURCE=VALUE\n"
	  "sets both to VALUE, RESOURCE=SOFT: (with the colon) the soft limit only,\n"
	  "RESOURCE=:HARD the hard one only: a plain value lowers the hard limit too, which\n"
	  "only CAP_SYS_RESOURCE can raise again. Values: unlimited, or a size (K, M, G)\n"
	  "for the byte limits, a number for the others. The table lists the words'\n"
	  "resources in their order; with no word, memlock; with all, every resource\n"
	  "(cat /proc/PID/limits is Linux's own view). A process starts with Linux 6.12's\n"
	  "limits for init's children (stack 8M soft, memlock 8M, nofile 1024:4096, nproc\n"
	  "and sigpending from the machine's memory, most others unlimited); fork copies\n"
	  "them and exec keeps them. A soft limit above the hard one is EINVAL; raising a\n"
	  "hard limit takes CAP_SYS_RESOURCE (EPERM). Lowering one takes nothing away; the\n"
	  "next growth fails. kmm holds mappings to memlock, as (mmap, brk, mremap, stack\n"
	  "growth: ENOMEM), data (private writable mappings and brk) and stack (stack\n"
	  "growth; exec's mmap_base); fork to nproc (EAGAIN once the user has that many\n"
	  "processes, zombies included; not for root, CAP_SYS_RESOURCE or CAP_SYS_ADMIN);\n"
	  "open to nofile (EMFILE: every descriptor below it is taken); write, pwrite and\n"
	  "ftruncate to fsize (EFBIG, and SIGXFSZ kills the process; a write that starts\n"
	  "below the limit is cut short at it). The others are stored and shown only.\n",
	  VERB_RESULT, prlimit_check, prlimit_run },
	{ "capset", CAPSET_USAGE,
	  "give or take a process's CAP_IPC_LOCK and CAP_SYS_RESOURCE, and show them",
	  "+CAP gives the capability as an administrator would (capsh --addamb): in every\n"
	  "set, ambient and bounding included, so fork copies it and exec keeps it for\n"
	  "any user. -CAP takes it out of every set (capsh --drop): exec does not bring it\n"
	  "back, not even for root. CAP=SETS is capset(2) by the process itself: the\n"
	  "capability in exactly the sets named, e (effective), i (inheritable), p\n"
	  "(permitted); EPERM to add one outside the old permitted set, or e without p.\n"
	  "Ambient keeps only what stays both permitted and inheritable, and exec gives\n"
	  "a user's process (not root) only its ambient set: ipc_lock=ep is lost at\n"
	  "exec. The line printed is the effective set; /proc/PID/status has all five\n"
	  "(CapInh, CapPrm, CapEff, CapBnd, CapAmb). A process with CAP_IPC_LOCK may lock\n"
	  "past RLIMIT_MEMLOCK:\n"
	  "  spawn A uid=1000\n  capset A +ipc_lock\n", VERB_RESULT, capset_check, capset_run },
	{ "munlockall", "munlockall NAME -> $v", "unlock every mapping and undo mlockall's future", NULL,
	  VERB_RESULT | VERB_ACK, munlockall_check, munlockall_run },
};

const struct verb_table mlock_verbs = {
	.layer = "memory locking",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.intro =
		"Locking a process's memory: mlock, mlock2 and munlock a range, mlockall and "
		"munlockall every mapping; /proc/PID/status shows VmLck, /proc/meminfo Mlocked and "
		"Unevictable. A process without CAP_IPC_LOCK (root has it) is held to its "
		"RLIMIT_MEMLOCK: prlimit shows and sets it, capset gives and takes the capability.",
	.example =
		"spawn A\n"
		"mmap A 1M rw private anon -> $a\n"
		"mlock A $a 64K\n"
		"cat /proc/1/status | grep VmLck\n"
		"munlock A $a 64K\n"
		"spawn U uid=1000\n"
		"prlimit U memlock=16K\n"
		"mmap U 64K -> $u\n"
		"mlock U $u 32K -> $r\n"
		"expect $r.errno == \"ENOMEM\"\n",
};
