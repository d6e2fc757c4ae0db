// SPDX-License-Identifier: MIT
/*
 * cli/verbs_proc.c - scenario verbs for processes: spawn, fork, exec,
 * exit_task, kill, mmap, munmap, mprotect, mremap, madvise, brk, write,
 * read, touch, fetch, pagetable, ps; and the proc.NAME.FIELD and
 * process.FIELD value terms. (mlock and its kin: cli/verbs_mlock.c.)
 *
 * Linux counterpart: none (what a test program would do with fork(), mmap()
 * and a pointer). A process is named by its comm (the name given to spawn or
 * fork) or by its pid. Addresses are user virtual addresses (numbers, or
 * variables holding one). A bad access is not a script error: the process
 * gets its signal, the verb prints which, and the script goes on, so an
 * example can show a SIGSEGV and then `expect proc.B.alive == 0`.
 *
 * Locking: none (the runner is single-threaded).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/format.h"
#include "cli/verbs.h"
#include "include/kmm/fs.h"
#include "include/kmm/process.h"
#include "mm/include/mm.h"

/* ---- Argument helpers ---- */

/*
 * A task by comm (the newest one, preferring live tasks) or by pid: through
 * the process layer's indexes, so a script that has made a million tasks
 * finds one as fast as a script that has made two.
 */
static struct task_struct *find_task(struct kmm_machine *m, const char *name)
{
	long long pid;

	if (!parse_long(name, &pid) && pid > 0)
		return pid <= INT32_MAX ? kmm_task_by_pid(m, (int)pid) : NULL;
	return kmm_task_by_comm(m, name);
}

/*
 * A new process takes the name @name: the dead ones of that name are reaped
 * (their exit status, readable by name until now, is superseded), as a shell
 * waits for its finished jobs. So a script that forks and exits processes in
 * a loop keeps one zombie per name, not one per round.
 */
static void reap_name(struct kmm_machine *m, const char *name)
{
	struct task_struct *t;

	while ((t = kmm_task_by_comm(m, name)) != NULL && !kmm_task_alive(t))
		kmm_task_release(t);
}

/* After a kernel panic the machine's processes are frozen. */
static int halted(struct kmm_ctx *ctx, const struct args *a, struct kmm_machine *m)
{
	if (!atomic_load(&m->halted))
		return 0;
	return ctx_error(ctx, a, -1, "the machine has halted (kernel panic, see dmesg): boot or "
			 "reboot to go on");
}

struct task_struct *cli_find_task(struct kmm_machine *m, const char *name)
{
	return find_task(m, name);
}

static int arg_task(struct kmm_ctx *ctx, const struct args *a, int i, struct task_struct **out,
		    bool live)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m || halted(ctx, a, m))
		return VERB_ERROR;
	struct task_struct *t = find_task(m, a->argv[i].text);
	if (!t)
		return ctx_error(ctx, a, i, "no process named '%s' (spawn one first)", a->argv[i].text);
	if (live && !kmm_task_alive(t))
		return ctx_error(ctx, a, i, "process '%s' (pid %d) is dead", a->argv[i].text,
				 kmm_task_pid(t));
	*out = t;
	return 0;
}

int arg_u64(struct kmm_ctx *ctx, const struct args *a, int i, uint64_t *out, bool size)
{
	const struct word *w = &a->argv[i];

	if (w->is_var) {
		const struct value *v = ctx_var(ctx, w->text);
		if (!v || v->kind != V_INT)
			return ctx_error(ctx, a, i, "$%s does not hold a number", w->text);
		*out = (uint64_t)v->i;
		return 0;
	}
	if (size ? kmm_parse_size(w->text, out, NULL) != 0 : 0) {
		return ctx_error(ctx, a, i, "'%s' is not a size (e.g. 4K, 16M)", w->text);
	} else if (!size && parse_addr(w->text, out)) {
		return ctx_error(ctx, a, i, "'%s' is not an address", w->text);
	}
	return 0;
}

static int parse_prot(const char *s)
{
	int prot = 0;

	if (!strcmp(s, "none") || !strcmp(s, "---"))
		return 0;
	for (; *s; s++) {
		if (*s == 'r')
			prot |= KMM_PROT_READ;
		else if (*s == 'w')
			prot |= KMM_PROT_WRITE;
		else if (*s == 'x')
			prot |= KMM_PROT_EXEC;
		else if (*s != '-')
			return -1;
	}
	return prot;
}

static bool is_prot(const char *s)
{
	return parse_prot(s) >= 0;
}

static void set_result(struct kmm_ctx *ctx, const struct args *a, long long v)
{
	struct value val = { 0 };

	if (!a->result)
		return;
	value_set_int(&val, v);
	ctx_set_var(ctx, a->result, &val);
}

/* A system call of @t that failed: a value when captured, else the script stops (status 2). */
static int syscall_failed(struct kmm_ctx *ctx, const struct args *a, struct task_struct *t,
			  const char *what, int err, long long fail_value)
{
	char name[64];

	snprintf(name, sizeof(name), "%s: %s", kmm_task_comm(t), what);
	return ctx_syscall_failed(ctx, a, name, err, fail_value);
}

static const char *signame(int sig)
{
	switch (sig) {
	case KMM_SIGSEGV: return "SIGSEGV";
	case KMM_SIGBUS: return "SIGBUS";
	case KMM_SIGKILL: return "SIGKILL";
	case KMM_SIGXFSZ: return "SIGXFSZ";
	case 15: return "SIGTERM";
	default: return "signal";
	}
}

/* After an access that failed: say how the process died. */
static int report_death(struct kmm_ctx *ctx, const struct args *a, struct task_struct *t)
{
	struct kmm_task_exit e = kmm_task_exit_info(t);

	if (kmm_task_alive(t) && atomic_load(&t->machine->halted)) {
		/* the access ran into a kernel panic: shown after this statement */
		ctx_printf(ctx, "%s[%d]: stopped: the machine halted\n", kmm_task_comm(t), kmm_task_pid(t));
		return VERB_OK;
	}
	if (kmm_task_alive(t))
		return ctx_error(ctx, a, -1, "%s", kmm_last_error());
	/*
	 * A fault the access itself took is its result, kept under -q as read's
	 * is (touch and write are VERB_ACK); an OOM kill is the kernel's report.
	 */
	if (e.signal == KMM_SIGSEGV || e.signal == KMM_SIGBUS)
		ctx_output_is_news(ctx);
	ctx_printf(ctx, "%s[%d]: killed by %s", kmm_task_comm(t), kmm_task_pid(t), signame(e.signal));
	if (e.signal == KMM_SIGSEGV)
		ctx_printf(ctx, " (%s) at 0x%" PRIx64, e.si_code == KMM_SEGV_MAPERR ? "SEGV_MAPERR" : "SEGV_ACCERR",
			   e.addr);
	else if (e.signal == KMM_SIGBUS)
		ctx_printf(ctx, " (%s) at 0x%" PRIx64,
			   e.si_code == KMM_BUS_MCEERR_AR ? "BUS_MCEERR_AR: its page's contents were lost"
							  : "BUS_ADRERR", e.addr);
	ctx_printf(ctx, "; its memory is freed\n");
	return VERB_OK;
}

static int need_args(struct verb_check *vc, const struct args *a, int min, int max, const char *usage)
{
	if (a->argc < min || (max >= 0 && a->argc > max))
		return verb_check_error(vc, a, -1, "usage: %s", usage);
	return 0;
}

static int check_size_arg(struct verb_check *vc, const struct args *a, int i)
{
	uint64_t sz;

	if (i < a->argc && !a->argv[i].is_var && kmm_parse_size(a->argv[i].text, &sz, NULL))
		return verb_check_error(vc, a, i, "'%s' is not a size (e.g. 4K, 16M)", a->argv[i].text);
	return 0;
}

static int check_addr_arg(struct verb_check *vc, const struct args *a, int i)
{
	uint64_t x;

	if (i < a->argc && !a->argv[i].is_var && parse_addr(a->argv[i].text, &x))
		return verb_check_error(vc, a, i, "'%s' is not an address (a number or $var)",
					a->argv[i].text);
	return 0;
}

/* ---- spawn, fork, exec, exit_task, kill ---- */

/* uid=N: the process's (and its children's) user id; not root means no capability */
static int spawn_uid(const struct args *a, long long *uid)
{
	*uid = 0;
	if (a->argc < 2)
		return 0;
	if (strncmp(a->argv[1].text, "uid=", 4) || parse_long(a->argv[1].text + 4, uid) ||
	    *uid < 0 || *uid > 65535)
		return -1;
	return 0;
}

static int spawn_check(struct verb_check *vc, const struct args *a)
{
	long long uid;

	if (need_args(vc, a, 1, 2, "spawn NAME [uid=N]"))
		return VERB_ERROR;
	if (spawn_uid(a, &uid))
		return verb_check_error(vc, a, 1, "expected uid=N (0..65535)");
	return 0;
}

static int spawn_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m || halted(ctx, a, m))
		return VERB_ERROR;
	struct task_struct *old = find_task(m, a->argv[0].text);
	if (old && kmm_task_alive(old))
		return ctx_error(ctx, a, 0, "a live process is already named '%s'", a->argv[0].text);
	reap_name(m, a->argv[0].text);
	struct task_struct *t = kmm_spawn(m, a->argv[0].text);
	long long uid;
	if (!t)
		return ctx_error(ctx, a, 0, "spawn failed: %s", kmm_last_error());
	spawn_uid(a, &uid);
	kmm_task_setuid(t, (unsigned int)uid);	/* setuid() from root: no capability left */
	ctx_printf(ctx, "%s: pid %d\n", kmm_task_comm(t), kmm_task_pid(t));
	set_result(ctx, a, kmm_task_pid(t));
	return VERB_OK;
}

static int fork_check(struct verb_check *vc, const struct args *a)
{
	return need_args(vc, a, 2, 2, "fork PARENT CHILD");
}

static int fork_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *p = NULL, *c;
	int err = arg_task(ctx, a, 0, &p, true);

	if (err)
		return err;
	struct task_struct *old = find_task(ctx_machine(ctx), a->argv[1].text);
	if (old && kmm_task_alive(old))
		return ctx_error(ctx, a, 1, "a live process is already named '%s'", a->argv[1].text);
	reap_name(ctx_machine(ctx), a->argv[1].text);
	c = kmm_fork(p, a->argv[1].text);
	if (!c)
		return syscall_failed(ctx, a, p, "fork", kmm_last_errno() ? kmm_last_errno() : -ENOMEM, -1);
	ctx_printf(ctx, "%s: pid %d, child of %s[%d]\n", kmm_task_comm(c), kmm_task_pid(c),
		   kmm_task_comm(p), kmm_task_pid(p));
	set_result(ctx, a, kmm_task_pid(c));
	return VERB_OK;
}

static int exec_check(struct verb_check *vc, const struct args *a)
{
	if (need_args(vc, a, 2, 7, "exec NAME PATH [text=SIZE] [data=SIZE] [bss=SIZE] [heap=SIZE] [stack=SIZE]"))
		return VERB_ERROR;
	for (int i = 2; i < a->argc; i++) {
		const char *key, *val;
		size_t kl;
		uint64_t sz;
		if (!arg_kv(&a->argv[i], &key, &kl, &val) || kmm_parse_size(val, &sz, NULL) ||
		    !((kl == 4 && (!strncmp(key, "text", 4) || !strncmp(key, "data", 4) ||
				   !strncmp(key, "heap", 4))) ||
		      (kl == 3 && !strncmp(key, "bss", 3)) || (kl == 5 && !strncmp(key, "stack", 5))))
			return verb_check_error(vc, a, i, "expected text=, data=, bss=, heap= or stack= with a size");
	}
	return 0;
}

static int exec_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	struct kmm_exec_image img = { .path = a->argv[1].text, .text = 64 * 1024, .data = 16 * 1024,
				      .bss = 16 * 1024, .heap = 132 * 1024 };
	int err = arg_task(ctx, a, 0, &t, true);

	if (err)
		return err;
	for (int i = 2; i < a->argc; i++) {
		const char *key, *val;
		size_t kl;
		uint64_t sz = 0;
		arg_kv(&a->argv[i], &key, &kl, &val);
		kmm_parse_size(val, &sz, NULL);
		if (!strncmp(key, "text", 4))
			img.text = sz;
		else if (!strncmp(key, "data", 4))
			img.data = sz;
		else if (!strncmp(key, "bss", 3))
			img.bss = sz;
		else if (!strncmp(key, "heap", 4))
			img.heap = sz;
		else
			img.stack = sz;
	}
	if ((err = kmm_exec(t, &img)) != 0)
		return ctx_error(ctx, a, 1, "exec failed: %s", kmm_last_error());
	ctx_printf(ctx, "%s[%d]: exec %s\n", kmm_task_comm(t), kmm_task_pid(t), a->argv[1].text);
	return VERB_OK;
}

static int exit_check(struct verb_check *vc, const struct args *a)
{
	long long x;

	if (need_args(vc, a, 1, 2, "exit_task NAME [CODE]"))
		return VERB_ERROR;
	if (a->argc == 2 && parse_long(a->argv[1].text, &x))
		return verb_check_error(vc, a, 1, "'%s' is not an exit code", a->argv[1].text);
	return 0;
}

static int exit_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	long long code = 0;
	int err = arg_task(ctx, a, 0, &t, true);

	if (err)
		return err;
	if (a->argc == 2)
		parse_long(a->argv[1].text, &code);
	kmm_exit(t, (int)code);
	ctx_printf(ctx, "%s[%d]: exited with %lld; its memory is freed\n", kmm_task_comm(t),
		   kmm_task_pid(t), code);
	return VERB_OK;
}

static int parse_signal(const char *s)
{
	long long n;

	if (!strncmp(s, "SIG", 3))
		s += 3;
	if (!strcmp(s, "KILL"))
		return KMM_SIGKILL;
	if (!strcmp(s, "SEGV"))
		return KMM_SIGSEGV;
	if (!strcmp(s, "BUS"))
		return KMM_SIGBUS;
	if (!strcmp(s, "TERM"))
		return 15;
	if (!parse_long(s, &n) && n > 0 && n < 65)
		return (int)n;
	return -1;
}

static int kill_check(struct verb_check *vc, const struct args *a)
{
	if (need_args(vc, a, 1, 2, "kill NAME [SIGNAL]"))
		return VERB_ERROR;
	if (a->argc == 2 && parse_signal(a->argv[1].text) < 0)
		return verb_check_error(vc, a, 1, "unknown signal '%s' (KILL, TERM, SEGV, BUS or 1..64)",
					a->argv[1].text);
	return 0;
}

static int kill_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	int sig = a->argc == 2 ? parse_signal(a->argv[1].text) : KMM_SIGKILL;
	int err = arg_task(ctx, a, 0, &t, true);

	if (err)
		return err;
	kmm_kill(t, sig);
	ctx_printf(ctx, "%s[%d]: killed by %s; its memory is freed\n", kmm_task_comm(t),
		   kmm_task_pid(t), signame(sig));
	return VERB_OK;
}

/* ---- mmap and friends ---- */

static const char *mmap_usage =
	"mmap NAME SIZE [PROT] [private|shared] [anon|file=PATH [offset=N]] "
	"[fixed=ADDR|noreplace=ADDR|hint=ADDR] [populate] [locked] [noreserve] [growsdown] -> $v";

static int mmap_parse(const struct args *a, int *prot, int *flags, int *bad, int *addr_arg)
{
	*prot = KMM_PROT_READ | KMM_PROT_WRITE;
	*flags = KMM_MAP_ANONYMOUS;
	*addr_arg = -1;
	int type = 0;
	for (int i = 2; i < a->argc; i++) {
		const char *w = a->argv[i].text;
		if (a->argv[i].is_var) {
			*bad = i;
			return -1;
		}
		if (!strcmp(w, "private"))
			type = KMM_MAP_PRIVATE;
		else if (!strcmp(w, "shared"))
			type = KMM_MAP_SHARED;
		else if (!strcmp(w, "anon"))
			continue;
		else if (!strncmp(w, "file=", 5) || !strncmp(w, "offset=", 7))
			continue;	/* a file mapping: mmap_run's file_mapping() */
		else if (!strcmp(w, "populate"))
			*flags |= KMM_MAP_POPULATE;
		else if (!strcmp(w, "locked"))
			*flags |= KMM_MAP_LOCKED;
		else if (!strcmp(w, "noreserve"))
			*flags |= KMM_MAP_NORESERVE;
		else if (!strcmp(w, "growsdown"))
			*flags |= KMM_MAP_GROWSDOWN;
		else if (!strncmp(w, "fixed=", 6)) {
			*flags |= KMM_MAP_FIXED;
			*addr_arg = i;
		} else if (!strncmp(w, "noreplace=", 10)) {
			*flags |= KMM_MAP_FIXED_NOREPLACE;
			*addr_arg = i;
		} else if (!strncmp(w, "hint=", 5))
			*addr_arg = i;
		else if (is_prot(w))
			*prot = parse_prot(w);
		else {
			*bad = i;
			return -1;
		}
	}
	*flags |= type ? type : KMM_MAP_PRIVATE;
	return 0;
}

static int mmap_check(struct verb_check *vc, const struct args *a)
{
	int prot, flags, bad = -1, addr_arg;

	if (need_args(vc, a, 2, -1, mmap_usage) || check_size_arg(vc, a, 1))
		return VERB_ERROR;
	if (mmap_parse(a, &prot, &flags, &bad, &addr_arg))
		return verb_check_error(vc, a, bad, "unknown mmap argument '%s' (usage: %s)",
					a->argv[bad].text, mmap_usage);
	return 0;
}

static int mmap_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	int prot, flags, bad, addr_arg;
	uint64_t len, addr = 0, out;
	int err = arg_task(ctx, a, 0, &t, true);

	if (err || (err = arg_u64(ctx, a, 1, &len, true)))
		return err;
	mmap_parse(a, &prot, &flags, &bad, &addr_arg);
	if (addr_arg >= 0) {
		const char *eq = strchr(a->argv[addr_arg].text, '=') + 1;
		if (*eq == '$') {
			const struct value *v = ctx_var(ctx, eq + 1);
			if (!v || v->kind != V_INT)
				return ctx_error(ctx, a, addr_arg, "%s does not hold an address", eq);
			addr = (uint64_t)v->i;
		} else if (parse_addr(eq, &addr)) {
			return ctx_error(ctx, a, addr_arg, "'%s' is not an address", eq);
		}
	}
	const char *path = NULL;
	uint64_t off = 0;
	for (int i = 2; i < a->argc; i++) {
		if (!strncmp(a->argv[i].text, "file=", 5))
			path = a->argv[i].text + 5;
		else if (!strncmp(a->argv[i].text, "offset=", 7) && kmm_parse_size(a->argv[i].text + 7, &off, NULL))
			return ctx_error(ctx, a, i, "'%s' is not an offset", a->argv[i].text + 7);
	}
	if (path) {
		/* open, mmap, close: the mapping keeps the file (include/kmm/fs.h) */
		int fd = kmm_open(t, path, (flags & KMM_MAP_SHARED) && (prot & KMM_PROT_WRITE) ? KMM_O_RDWR
											 : KMM_O_RDONLY);
		if (fd < 0)
			return syscall_failed(ctx, a, t, "open", fd, -1);
		err = kmm_mmap_fd(t, fd, addr, len, prot, flags & ~KMM_MAP_ANONYMOUS, off, &out);
		kmm_close(t, fd);
	} else {
		err = kmm_mmap(t, addr, len, prot, flags, &out);
	}
	if (err)
		return syscall_failed(ctx, a, t, "mmap", err, -1);
	ctx_printf(ctx, "%s: mmap 0x%" PRIx64 "-0x%" PRIx64 " %c%c%c%c%s%s\n", kmm_task_comm(t), out,
		   out + ALIGN_UP(len, PAGE_SIZE), prot & KMM_PROT_READ ? 'r' : '-',
		   prot & KMM_PROT_WRITE ? 'w' : '-', prot & KMM_PROT_EXEC ? 'x' : '-',
		   flags & KMM_MAP_SHARED ? 's' : 'p', path ? " " : "", path ? path : "");
	set_result(ctx, a, (long long)out);
	return VERB_OK;
}

/* NAME ADDR SIZE [more]: the common shape. */
static int range_check(struct verb_check *vc, const struct args *a, int extra_min, int extra_max,
		       const char *usage)
{
	if (need_args(vc, a, 3 + extra_min, 3 + extra_max, usage))
		return VERB_ERROR;
	if (check_addr_arg(vc, a, 1) || check_size_arg(vc, a, 2))
		return VERB_ERROR;
	return 0;
}

static int range_args(struct kmm_ctx *ctx, const struct args *a, struct task_struct **t,
		      uint64_t *addr, uint64_t *len)
{
	int err = arg_task(ctx, a, 0, t, true);

	if (err || (err = arg_u64(ctx, a, 1, addr, false)) || (err = arg_u64(ctx, a, 2, len, true)))
		return err;
	return 0;
}

/* munmap, mprotect, madvise: 0 (-> $v gets 0) or a failure as above. */
static int sys_result(struct kmm_ctx *ctx, const struct args *a, struct task_struct *t,
		      const char *what, int err)
{
	if (err)
		return syscall_failed(ctx, a, t, what, err, -1);
	set_result(ctx, a, 0);
	return VERB_OK;
}

static int munmap_check(struct verb_check *vc, const struct args *a)
{
	return range_check(vc, a, 0, 0, "munmap NAME ADDR SIZE");
}

static int munmap_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr, len;
	int err = range_args(ctx, a, &t, &addr, &len);

	return err ? err : sys_result(ctx, a, t, "munmap", kmm_munmap(t, addr, len));
}

static int mprotect_check(struct verb_check *vc, const struct args *a)
{
	if (range_check(vc, a, 1, 1, "mprotect NAME ADDR SIZE PROT (r, rw, rwx, none...)"))
		return VERB_ERROR;
	if (!is_prot(a->argv[3].text))
		return verb_check_error(vc, a, 3, "'%s' is not a protection (r, rw, rx, rwx, none)",
					a->argv[3].text);
	return 0;
}

static int mprotect_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr, len;
	int err = range_args(ctx, a, &t, &addr, &len);

	return err ? err : sys_result(ctx, a, t, "mprotect",
				      kmm_mprotect(t, addr, len, parse_prot(a->argv[3].text)));
}

static int madvise_advice(const char *s)
{
	static const struct { const char *name; int v; } adv[] = {
		{ "normal", KMM_MADV_NORMAL }, { "dontneed", KMM_MADV_DONTNEED },
		{ "willneed", KMM_MADV_WILLNEED }, { "free", KMM_MADV_FREE },
		{ "dontfork", KMM_MADV_DONTFORK }, { "dofork", KMM_MADV_DOFORK },
		{ "sequential", KMM_MADV_SEQUENTIAL }, { "random", KMM_MADV_RANDOM },
		{ "populate_read", KMM_MADV_POPULATE_READ }, { "populate_write", KMM_MADV_POPULATE_WRITE },
	};
	for (size_t i = 0; i < ARRAY_SIZE(adv); i++)
		if (!strcmp(s, adv[i].name))
			return adv[i].v;
	return -1;
}

static int madvise_check(struct verb_check *vc, const struct args *a)
{
	if (range_check(vc, a, 1, 1, "madvise NAME ADDR SIZE dontneed|willneed|free|dontfork|dofork|"
			"sequential|random|normal|populate_read|populate_write"))
		return VERB_ERROR;
	if (madvise_advice(a->argv[3].text) < 0)
		return verb_check_error(vc, a, 3, "unknown advice '%s' (dontneed, willneed, free, "
					"dontfork, dofork, sequential, random, normal, populate_read, "
					"populate_write)", a->argv[3].text);
	return 0;
}

static int madvise_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr, len;
	int err = range_args(ctx, a, &t, &addr, &len);

	return err ? err : sys_result(ctx, a, t, "madvise",
				      kmm_madvise(t, addr, len, madvise_advice(a->argv[3].text)));
}

static int mremap_check(struct verb_check *vc, const struct args *a)
{
	if (range_check(vc, a, 1, 3, "mremap NAME ADDR OLDSIZE NEWSIZE [maymove] [fixed=ADDR] -> $v"))
		return VERB_ERROR;
	if (check_size_arg(vc, a, 3))
		return VERB_ERROR;
	for (int i = 4; i < a->argc; i++)
		if (strcmp(a->argv[i].text, "maymove") && strncmp(a->argv[i].text, "fixed=", 6))
			return verb_check_error(vc, a, i, "expected maymove or fixed=ADDR");
	return 0;
}

static int mremap_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr, len, nlen, naddr = 0, out;
	int flags = 0;
	int err = range_args(ctx, a, &t, &addr, &len);

	if (err || (err = arg_u64(ctx, a, 3, &nlen, true)))
		return err;
	for (int i = 4; i < a->argc; i++) {
		if (!strcmp(a->argv[i].text, "maymove")) {
			flags |= KMM_MREMAP_MAYMOVE;
			continue;
		}
		const char *v = a->argv[i].text + 6;
		if (*v == '$') {
			const struct value *val = ctx_var(ctx, v + 1);
			if (!val || val->kind != V_INT)
				return ctx_error(ctx, a, i, "%s does not hold an address", v);
			naddr = (uint64_t)val->i;
		} else if (parse_addr(v, &naddr)) {
			return ctx_error(ctx, a, i, "'%s' is not an address", v);
		}
		flags |= KMM_MREMAP_FIXED | KMM_MREMAP_MAYMOVE;
	}
	err = kmm_mremap(t, addr, len, nlen, flags, naddr, &out);
	if (err)
		return syscall_failed(ctx, a, t, "mremap", err, -1);
	ctx_printf(ctx, "%s: mremap 0x%" PRIx64 " -> 0x%" PRIx64 "-0x%" PRIx64 "\n", kmm_task_comm(t),
		   addr, out, out + ALIGN_UP(nlen, PAGE_SIZE));
	set_result(ctx, a, (long long)out);
	return VERB_OK;
}

static int brk_check(struct verb_check *vc, const struct args *a)
{
	if (need_args(vc, a, 2, 2, "brk NAME ADDR|+SIZE|-SIZE -> $v"))
		return VERB_ERROR;
	const char *s = a->argv[1].text;
	uint64_t sz, x;
	if (!a->argv[1].is_var && ((*s == '+' || *s == '-') ? kmm_parse_size(s + 1, &sz, NULL) != 0
							    : parse_addr(s, &x) != 0))
		return verb_check_error(vc, a, 1, "expected an address, +SIZE or -SIZE");
	return 0;
}

static int brk_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t target, out;
	const char *s = a->argv[1].text;
	int err = arg_task(ctx, a, 0, &t, true);

	if (err)
		return err;
	if (!a->argv[1].is_var && (*s == '+' || *s == '-')) {
		uint64_t sz = 0;
		struct task_mm_info info;
		kmm_parse_size(s + 1, &sz, NULL);
		task_mm_info(t, &info);
		target = *s == '+' ? info.brk + sz : info.brk - sz;
	} else if ((err = arg_u64(ctx, a, 1, &target, false)) != 0) {
		return err;
	}
	kmm_set_error(0, "%s", "");	/* so that a message below is this call's */
	err = kmm_brk(t, target, &out);
	if (err && !a->captured)	/* help mmap: uncaptured, a refused brk stops the script */
		return syscall_failed(ctx, a, t, "brk", err, (long long)out);
	ctx_printf(ctx, "%s: brk 0x%" PRIx64 "%s\n", kmm_task_comm(t), out, err ? " (unchanged: refused)" : "");
	if (a->result) {
		/* brk(2) returns the break (the old one when refused); libc's brk() says ENOMEM */
		struct value v = { 0 };
		value_set_int(&v, (long long)out);
		v.err = -err;
		ctx_set_var(ctx, a->result, &v);
	}
	return VERB_OK;
}

/* ---- Touching memory ---- */

static int write_check(struct verb_check *vc, const struct args *a)
{
	long long b;

	if (range_check(vc, a, 0, 1, "write NAME ADDR SIZE [BYTE]"))
		return VERB_ERROR;
	if (a->argc == 4 && (parse_long(a->argv[3].text, &b) || b < 0 || b > 255))
		return verb_check_error(vc, a, 3, "'%s' is not a byte value (0..255)", a->argv[3].text);
	return 0;
}

static int write_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr, len;
	long long b = 0x5a;
	int err = range_args(ctx, a, &t, &addr, &len);

	if (err)
		return err;
	if (a->argc == 4)
		parse_long(a->argv[3].text, &b);
	if (kmm_fill(t, addr, (int)b, len))
		return report_death(ctx, a, t);
	return VERB_OK;
}

static int read_check(struct verb_check *vc, const struct args *a)
{
	if (need_args(vc, a, 2, 3, "read NAME ADDR [SIZE] -> $v"))
		return VERB_ERROR;
	if (check_addr_arg(vc, a, 1) || check_size_arg(vc, a, 2))
		return VERB_ERROR;
	return 0;
}

static int read_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr, len = 1;
	int err = arg_task(ctx, a, 0, &t, true);

	if (err || (err = arg_u64(ctx, a, 1, &addr, false)))
		return err;
	if (a->argc == 3 && (err = arg_u64(ctx, a, 2, &len, true)))
		return err;
	unsigned char buf[16];
	size_t show = len < sizeof(buf) ? (size_t)len : sizeof(buf);
	if (kmm_access(t, addr, buf, show, false))
		return report_death(ctx, a, t);
	if (len > show && kmm_touch(t, addr + show, len - show, false))
		return report_death(ctx, a, t);
	ctx_printf(ctx, "%s: 0x%" PRIx64 ":", kmm_task_comm(t), addr);
	for (size_t i = 0; i < show; i++)
		ctx_printf(ctx, " %02x", buf[i]);
	ctx_printf(ctx, "%s\n", len > show ? " ..." : "");
	set_result(ctx, a, buf[0]);
	return VERB_OK;
}

static int touch_check(struct verb_check *vc, const struct args *a)
{
	if (range_check(vc, a, 0, 1, "touch NAME ADDR SIZE [read|write]"))
		return VERB_ERROR;
	if (a->argc == 4 && strcmp(a->argv[3].text, "read") && strcmp(a->argv[3].text, "write"))
		return verb_check_error(vc, a, 3, "expected read or write");
	return 0;
}

static int touch_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr, len;
	int err = range_args(ctx, a, &t, &addr, &len);

	if (err)
		return err;
	bool w = a->argc == 4 && !strcmp(a->argv[3].text, "write");
	if (kmm_touch(t, addr, len, w))
		return report_death(ctx, a, t);
	return VERB_OK;
}

static int fetch_check(struct verb_check *vc, const struct args *a)
{
	if (need_args(vc, a, 2, 2, "fetch NAME ADDR"))
		return VERB_ERROR;
	return check_addr_arg(vc, a, 1);
}

static int fetch_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr;
	unsigned char b;
	int err = arg_task(ctx, a, 0, &t, true);

	if (err || (err = arg_u64(ctx, a, 1, &addr, false)))
		return err;
	if (kmm_fetch(t, addr, &b, 1))
		return report_death(ctx, a, t);
	ctx_printf(ctx, "%s: fetched an instruction byte at 0x%" PRIx64 "\n", kmm_task_comm(t), addr);
	return VERB_OK;
}

/* ---- pin / unpin ---- */

/*
 * Pins taken by scripts, remembered per machine (by its serial) so that
 * `unpin` can find the page again; a pin left at reboot dies with the machine.
 */
#define MAX_VERB_PINS 64
static struct {
	unsigned long serial;
	int pid;
	uint64_t addr;
	struct page *page;
} verb_pins[MAX_VERB_PINS];

static int pin_check(struct verb_check *vc, const struct args *a)
{
	if (need_args(vc, a, 2, 4, "pin NAME ADDR [write] [longterm]"))
		return VERB_ERROR;
	if (check_addr_arg(vc, a, 1))
		return VERB_ERROR;
	for (int i = 2; i < a->argc; i++)
		if (strcmp(a->argv[i].text, "write") && strcmp(a->argv[i].text, "longterm"))
			return verb_check_error(vc, a, i, "expected write or longterm");
	return 0;
}

static int pin_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	struct page *page;
	uint64_t addr;
	unsigned int flags = 0;
	int err = arg_task(ctx, a, 0, &t, true), slot = -1;

	if (err || (err = arg_u64(ctx, a, 1, &addr, false)))
		return err;
	addr &= PAGE_MASK;
	for (int i = 2; i < a->argc; i++)
		flags |= !strcmp(a->argv[i].text, "write") ? KMM_FOLL_WRITE : KMM_FOLL_LONGTERM;
	for (int i = 0; i < MAX_VERB_PINS && slot < 0; i++)
		if (!verb_pins[i].page)
			slot = i;
	if (slot < 0)
		return ctx_error(ctx, a, -1, "too many pins (%d); unpin some first", MAX_VERB_PINS);
	struct mm_struct *mm = get_task_mm(t);
	long pinned = mm ? pin_user_pages_remote(mm, addr, 1, flags, &page) : -1;
	if (mm)
		mmput(mm);
	if (pinned != 1)
		return ctx_error(ctx, a, 1, "pin failed: %s", mm ? kmm_last_error() : "the process is dead");
	verb_pins[slot].serial = t->machine->serial;
	verb_pins[slot].pid = t->pid;
	verb_pins[slot].addr = addr;
	verb_pins[slot].page = page;
	ctx_printf(ctx, "%s: pinned 0x%" PRIx64 ": pfn 0x%lx (%s), refcount %d\n", t->comm, addr,
		   page_to_pfn(page), zone_names[page_zonenum(page)], page_ref_count(page));
	return VERB_OK;
}

static int unpin_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct task_struct *t;
	uint64_t addr;
	int err;

	if (!m)
		return VERB_ERROR;
	t = find_task(m, a->argv[0].text);
	if (!t)
		return ctx_error(ctx, a, 0, "no process named '%s'", a->argv[0].text);
	if ((err = arg_u64(ctx, a, 1, &addr, false)))
		return err;
	addr &= PAGE_MASK;
	for (int i = 0; i < MAX_VERB_PINS; i++) {
		if (verb_pins[i].page && verb_pins[i].serial == m->serial &&
		    verb_pins[i].pid == t->pid && verb_pins[i].addr == addr) {
			unpin_user_page(verb_pins[i].page);
			verb_pins[i].page = NULL;
			ctx_printf(ctx, "%s: unpinned 0x%" PRIx64 "\n", t->comm, addr);
			return VERB_OK;
		}
	}
	return ctx_error(ctx, a, 1, "no pin of 0x%" PRIx64 " by %s", addr, t->comm);
}

static int unpin_check(struct verb_check *vc, const struct args *a)
{
	if (need_args(vc, a, 2, 2, "unpin NAME ADDR"))
		return VERB_ERROR;
	return check_addr_arg(vc, a, 1) ? VERB_ERROR : 0;
}

/* ---- Views ---- */

static int pagetable_check(struct verb_check *vc, const struct args *a)
{
	if (need_args(vc, a, 2, 2, "pagetable NAME ADDR"))
		return VERB_ERROR;
	return check_addr_arg(vc, a, 1);
}

static int pagetable_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr;
	int err = arg_task(ctx, a, 0, &t, true);

	if (err || (err = arg_u64(ctx, a, 1, &addr, false)))
		return err;
	char *s = kmm_pagetable_walk(t, addr);
	if (!s)
		return ctx_error(ctx, a, -1, "out of memory");
	ctx_printf(ctx, "%s[%d] %s", kmm_task_comm(t), kmm_task_pid(t), s);
	free(s);
	return VERB_OK;
}

static const struct out_field ps_fields[] = {
	{ "pid", "process id" },
	{ "ppid", "parent's process id (0: none)" },
	{ "vsz_kb", "virtual size, KiB (total_vm)" },
	{ "rss_kb", "resident set, KiB" },
	{ "min_flt", "minor faults" },
	{ "maj_flt", "major faults" },
	{ "state", "R running, Z exited (a zombie until a new process takes its name)" },
	{ "exit_code", "exit code of an exited process, else null" },
	{ "signal", "the signal that killed it (SIGSEGV, ...), else null" },
	{ "comm", "name" },
	{ NULL, NULL },
};

struct ps_out {
	struct kmm_ctx *ctx;
	enum out_format fmt;
	struct records r;
};

static int ps_cb(struct task_struct *t, void *arg)
{
	struct ps_out *po = arg;
	struct task_mm_info mi;
	struct kmm_task_exit e = kmm_task_exit_info(t);
	bool alive = kmm_task_alive(t);
	char stat[32];

	task_mm_info(t, &mi);
	unsigned long vsz = mi.total_vm << (PAGE_SHIFT - 10);
	unsigned long rss = (unsigned long)(mi.rss[MM_FILEPAGES] + mi.rss[MM_ANONPAGES] +
					    mi.rss[MM_SHMEMPAGES]) << (PAGE_SHIFT - 10);
	if (po->fmt != FMT_TEXT) {
		struct records *r = &po->r;
		rec_int(r, t->pid);
		rec_int(r, t->parent ? t->parent->pid : 0);
		rec_uint(r, vsz);
		rec_uint(r, rss);
		rec_uint(r, mi.min_flt);
		rec_uint(r, mi.maj_flt);
		rec_str(r, alive ? "R" : "Z");
		if (alive || e.signal)
			rec_str(r, NULL);
		else
			rec_int(r, e.code);
		rec_str(r, !alive && e.signal ? signame(e.signal) : NULL);
		rec_str(r, t->comm);
		return 0;
	}
	if (alive)
		snprintf(stat, sizeof(stat), "R");
	else if (e.signal)
		snprintf(stat, sizeof(stat), "Z %s", signame(e.signal));
	else
		snprintf(stat, sizeof(stat), "Z exit %d", e.code);
	ctx_printf(po->ctx, "%5d %5d %8lu %8lu %7lu %7lu %-10s %s\n", t->pid,
		   t->parent ? t->parent->pid : 0, vsz, rss, mi.min_flt, mi.maj_flt, stat, t->comm);
	return 0;
}

static int ps_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct ps_out po = { .ctx = ctx, .fmt = format_of(a) };

	if (!m)
		return VERB_ERROR;
	if (po.fmt == FMT_TEXT)
		ctx_printf(ctx, "  PID  PPID      VSZ      RSS  MINFLT  MAJFLT STAT       COMMAND\n");
	else
		rec_begin(&po.r, ctx, po.fmt, ps_fields);
	kmm_for_each_task(m, ps_cb, &po);
	if (po.fmt != FMT_TEXT)
		rec_end(&po.r);
	return VERB_OK;
}

/* ---- Terms ---- */

static int proc_term_check(const char *name, char *err, size_t errlen)
{
	const char *dot = strrchr(name, '.');

	if (!dot || dot == name + 4) {
		snprintf(err, errlen, "expected proc.NAME.FIELD");
		return -1;
	}
	return 0;
}

static int proc_term_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m = ctx_machine(ctx);
	char who[64];
	const char *dot = strrchr(name, '.'), *field = dot + 1;
	size_t n = (size_t)(dot - (name + 5));

	if (!m)
		return VERB_ERROR;
	if (n >= sizeof(who))
		return ctx_value_error(ctx, "process name too long");
	memcpy(who, name + 5, n);
	who[n] = 0;
	struct task_struct *t = find_task(m, who);
	if (!t)
		return ctx_value_error(ctx, "no process named '%s'", who);
	struct task_mm_info mi;
	long long v;
	task_mm_info(t, &mi);
	if (!strcmp(field, "pid"))
		v = t->pid;
	else if (!strcmp(field, "alive"))
		v = kmm_task_alive(t);
	else if (!strcmp(field, "signal"))
		v = kmm_task_exit_info(t).signal;
	else if (!strcmp(field, "min_flt"))
		v = (long long)mi.min_flt;
	else if (!strcmp(field, "maj_flt"))
		v = (long long)mi.maj_flt;
	else if (!strcmp(field, "rss"))
		v = mi.rss[MM_FILEPAGES] + mi.rss[MM_ANONPAGES] + mi.rss[MM_SHMEMPAGES];
	else if (!strcmp(field, "rss_anon"))
		v = mi.rss[MM_ANONPAGES];
	else if (!strcmp(field, "rss_file"))
		v = mi.rss[MM_FILEPAGES];
	else if (!strcmp(field, "rss_shmem"))
		v = mi.rss[MM_SHMEMPAGES];
	else if (!strcmp(field, "vm_pages"))
		v = (long long)mi.total_vm;
	else if (!strcmp(field, "nr_vmas"))
		v = mi.map_count;
	else if (!strcmp(field, "pgtables"))
		v = (long long)mi.nr_ptes;
	else
	{
		static const char fields[] = "pid alive signal min_flt maj_flt rss rss_anon "
			"rss_file rss_shmem vm_pages nr_vmas pgtables";
		char hint[96];
		return ctx_value_error(ctx, "unknown field '%s' (%s%s)", field,
				       word_hint(field, fields, hint, sizeof(hint)), fields);
	}
	value_set_int(out, v);
	return 0;
}

static int process_term_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m || !procs_of(m))
		return ctx_value_error(ctx, "no process layer on this machine");
	unsigned long copies, reuses;
	procs_cow_stats(m, &copies, &reuses);
	if (!strcmp(name, "process.cow_copies"))
		value_set_int(out, (long long)copies);
	else if (!strcmp(name, "process.cow_reuses"))
		value_set_int(out, (long long)reuses);
	else
		return ctx_value_error(ctx, "unknown term '%s' (process.cow_copies, process.cow_reuses)", name);
	return 0;
}

/* ---- The table ---- */

static const struct verb verbs[] = {
	{ "spawn", "spawn NAME [uid=N]", "start a process running a small program image",
	  "The image has text and data (file-backed), bss, a 132K heap, a stack and a [vdso];\n"
	  "the program is the file /bin/NAME of the filesystem (installed as exec does):\n"
	  "  spawn A\n  cat /proc/1/maps\n"
	  "Processes run as root (uid 0, every capability) unless uid= says otherwise: then\n"
	  "as a user, with none (capset gives some back); fork copies the uid and the\n"
	  "capabilities. Only root may use vm.admin_reserve_kbytes in overcommit mode 2; a\n"
	  "process without CAP_IPC_LOCK may lock only RLIMIT_MEMLOCK (8M; see prlimit).\n",
	  VERB_RESULT | VERB_ACK, spawn_check, spawn_run },
	{ "fork", "fork PARENT CHILD", "copy a process: frames shared copy-on-write",
	  "Private writable PTEs become read-only in both; the first write copies (or reuses\n"
	  "the page when it is the only reference):\n  fork A B\n  write B $a 4K 0xbb\n",
	  VERB_RESULT | VERB_ACK, fork_check, fork_run },
	{ "exec", "exec NAME PATH [text=SIZE] [data=SIZE] [bss=SIZE] [heap=SIZE] [stack=SIZE]",
	  "replace a process's address space by a described program image",
	  "Text and data map PATH (file-backed, private), bss and heap are anonymous; defaults\n"
	  "text=64K data=16K bss=16K heap=132K. PATH is a file of the filesystem: text and data\n"
	  "are its bytes (it must hold text + data). When no file has that name, exec installs\n"
	  "one first: text + data bytes generated from the path, written to the disk (not the\n"
	  "page cache), so maps shows kmmd0 (fe:00) and its inode, and fincore sees it. As on\n"
	  "Linux the process's name becomes the base name of PATH:\n  exec A /usr/bin/python3 text=3M\n  ps    # now called python3\n", VERB_ACK,
	  exec_check, exec_run },
	{ "exit_task", "exit_task NAME [CODE]", "the process exits; all its memory is freed",
	  "It stays a zombie (ps shows Z and its exit code, proc.NAME.alive is 0)\n"
	  "until a new process takes its name with spawn or fork: then it is reaped, as a\n"
	  "shell waits for its finished jobs, and its pid is gone. So\n"
	  "  repeat 100000 { fork A B; exit_task B }\n"
	  "keeps one zombie B, and finding a process by name or pid costs the same\n"
	  "however many have been made.\n",
	  VERB_ACK, exit_check, exit_run },
	{ "kill", "kill NAME [SIGNAL]", "deliver a fatal signal (default SIGKILL)", NULL, VERB_ACK,
	  kill_check, kill_run },
	{ "mmap", "mmap NAME SIZE [PROT] [private|shared] [anon] [fixed=ADDR|noreplace=ADDR|hint=ADDR] "
	  "[populate] [locked] [noreserve] [growsdown] -> $v",
	  "map anonymous memory into a process (PROT: r, rw, rx, rwx, none; default rw private)",
	  "  mmap A 16M rw private anon -> $a\n  mmap A 4K r noreplace=$a   # fails with EEXIST\n"
	  "A failed system call whose result is captured is a value: $v is -1 and $v.errno\n"
	  "names the error (\"\" on success), and the script goes on:\n"
	  "  mmap A 4K r noreplace=$a -> $m\n  expect $m.errno == \"EEXIST\"\n"
	  "Uncaptured, the failure stops the script (exit status 2). The same holds for\n"
	  "fork, munmap, mprotect, mremap, madvise, mlock, munlock and brk.\n"
	  "file=PATH maps a file instead (offset=N from where, page aligned): shared stores\n"
	  "reach the file and its other mappers, private ones are copied on write:\n"
	  "  mmap A 16M r shared file=/data/big -> $m\n",
	  VERB_RESULT | VERB_ACK, mmap_check, mmap_run },
	{ "munmap", "munmap NAME ADDR SIZE -> $v", "unmap a range (splitting VMAs)", NULL,
	  VERB_RESULT | VERB_ACK, munmap_check, munmap_run },
	{ "mprotect", "mprotect NAME ADDR SIZE PROT -> $v", "change the protection of a range",
	  "Making a private mapping writable charges it to Committed_AS; with\n"
	  "vm.overcommit_memory=2 that can fail:\n  mprotect A $a 1G rw -> $r\n"
	  "  expect $r.errno == \"ENOMEM\"\n", VERB_RESULT | VERB_ACK, mprotect_check, mprotect_run },
	{ "mremap", "mremap NAME ADDR OLDSIZE NEWSIZE [maymove] [fixed=ADDR] -> $v",
	  "grow, shrink or move a mapping", NULL, VERB_RESULT | VERB_ACK, mremap_check, mremap_run },
	{ "madvise", "madvise NAME ADDR SIZE dontneed|willneed|free|dontfork|dofork|sequential|random|normal|populate_read|populate_write -> $v",
	  "give advice about a range (sequential, random: the readahead of file faults)",
	  "populate_read and populate_write fault the range in (a write breaks copy-on-write),\n"
	  "as Linux 6.12's MADV_POPULATE_READ/WRITE, and stop at the first failure: a hole is\n"
	  "ENOMEM, a mapping that does not allow the access (PROT_NONE, read-only for a\n"
	  "write) EINVAL, a page that was lost EHWPOISON, a fault that fails (past the end\n"
	  "of its file) EFAULT, no memory ENOMEM.\n", VERB_RESULT | VERB_ACK, madvise_check, madvise_run },
	{ "brk", "brk NAME ADDR|+SIZE|-SIZE -> $v", "move the program break (the [heap] end)", NULL,
	  VERB_RESULT | VERB_ACK, brk_check, brk_run },
	{ "write", "write NAME ADDR SIZE [BYTE]", "store SIZE bytes through the process's MMU",
	  "Faults fill the gaps: a fresh zeroed page, a COW copy, stack growth; a bad access\n"
	  "kills the process with SIGSEGV or SIGBUS (the script goes on). A page swapoff\n"
	  "could not read back is SIGBUS with BUS_MCEERR_AR and Linux's \"MCE: Killing\" line.\n",
	  VERB_ACK, write_check,
	  write_run },
	{ "read", "read NAME ADDR [SIZE] -> $v", "load bytes through the MMU (prints up to 16)",
	  NULL, VERB_RESULT, read_check, read_run },
	{ "touch", "touch NAME ADDR SIZE [read|write]", "access one byte in every page of a range",
	  NULL, VERB_ACK, touch_check, touch_run },
	{ "fetch", "fetch NAME ADDR", "an instruction fetch (NX is honoured where the arch has it)",
	  NULL, VERB_ACK, fetch_check, fetch_run },
	{ "pin", "pin NAME ADDR [write] [longterm]",
	  "pin_user_pages on one page (FOLL_PIN; longterm moves it out of ZONE_MOVABLE first)",
	  "A pinned anonymous page is copied at fork instead of shared, as Linux does:\n"
	  "  pin A $a write\n  fork A B        # B gets its own copy of that page\n  unpin A $a\n",
	  VERB_ACK, pin_check, pin_run },
	{ "unpin", "unpin NAME ADDR", "release a pin taken with pin", NULL, VERB_ACK, unpin_check, unpin_run },
	{ "pagetable", "pagetable NAME ADDR",
	  "the page-table walk of ADDR, level by level (PGD, P4D, PUD, PMD, PTE) with the bits",
	  NULL, 0, pagetable_check, pagetable_run },
	{ "ps", "ps [--format json|csv]", "the processes: pid, parent, VSZ and RSS in kB, faults, "
	  "state", NULL, 0, format_only_check, ps_run },
};

static const struct term terms[] = {
	{ "proc.", "proc.NAME.FIELD", "a process's pid, alive, signal, min_flt, maj_flt, rss, "
	  "rss_anon, rss_file, rss_shmem (pages), vm_pages, nr_vmas, pgtables", proc_term_check,
	  proc_term_eval },
	{ "process.", "process.cow_copies|cow_reuses", "COW faults that copied / reused a page",
	  NULL, process_term_eval },
};

static const struct verb_format formats[] = {
	{ "ps", ps_fields },
	{ NULL, NULL },
};

const struct verb_table process_verbs = {
	.layer = "processes",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.terms = terms,
	.nr_terms = ARRAY_SIZE(terms),
	.formats = formats,
	.intro =
		"Processes and their address spaces: spawn starts one, mmap, munmap, mprotect, "
		"mremap, madvise and brk shape its VMAs (mlock: cli/verbs_mlock.c), write, read, touch and fetch run its "
		"loads and stores through the MMU (page faults, copy-on-write after fork), pin holds "
		"pages as GUP does, and ps, pagetable and /proc/PID/{maps,smaps,status} show the "
		"result.",
	.example =
		"spawn A\n"
		"mmap A 1M rw private anon -> $a\n"
		"write A $a 8K 0xaa\n"
		"fork A B\n"
		"write B $a 1 0xbb\n"
		"expect process.cow_copies == 1\n"
		"ps\n"
		"cat /proc/2/status | grep -E 'VmRSS|RssAnon'\n"
		"exit_task B\n",
};
