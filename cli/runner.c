// SPDX-License-Identifier: MIT
/*
 * cli/runner.c - the scenario runner: runs a parsed script on a machine,
 * holds the variables and the pages they name, prints output and messages.
 *
 * Linux counterpart: none. Commands that need a machine before any `boot`
 * boot the default one (KMM_DEFAULT_CMDLINE) at that moment. A command's
 * output is collected per pipeline stage and handed to the next stage, so
 * filters never touch the machine. Run-time errors print
 * "file:line:col: message" and stop the script; a failed expect prints
 * "file:line: expect failed: ..." and the script goes on.
 *
 * Invariant: a pageset stays on ctx->pagesets while a variable refers to it
 * or it still holds blocks; freed, unreferenced ones are swept.
 *
 * Locking: none; one thread owns a ctx.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/expr.h"
#include "cli/format.h"
#include "cli/progress.h"
#include "cli/report.h"
#include "cli/scenario.h"
#include "cli/scenario_tree.h"
#include "arch/sim/sim.h"
#include "lib/strmap.h"
#include "lib/util.h"
#include "mm/include/machine.h"	/* kmm_set_error() */
#include <kmm/trace.h>

/* ---- The runner ---- */

struct var {
	struct value v;
};

struct kmm_ctx {
	struct ctx_opts opts;
	struct kmm_machine *m;
	char cmdline[1024];
	unsigned long gen;
	struct strmap vars;	/* name -> struct var */
	struct pageset *pagesets;
	unsigned long dead_pagesets;	/* freed and unreferenced, not yet swept */
	struct strbuf out;	/* the current stage's output */
	char *last_output;
	int expect_failures;
	int check_failures;
	int exit_code;
	int depth;		/* repeat nesting while running */
	long long steps;	/* statements run so far by this script_run */
	long long step_limit;	/* 0: none */
	uint64_t host_mem_limit;	/* bytes of host RSS; 0: none */
	const char *loc_file;	/* the value term being evaluated */
	int loc_line, loc_col;
	bool panic_reported;	/* the current machine's kernel panic was shown */
	bool ack_output;	/* the current stage printed only an acknowledgment */
	bool news_output;	/* ... or more than one, whatever its verb (ctx_output_is_news()) */
	struct report *report;	/* the history a report draws (opts.record), or NULL */
	uint64_t progress_total;	/* steps the script will take (0: not known) */
	bool progress_on;	/* opts.progress and a long run: the bar may be drawn */
	bool progress_drawn;	/* the bar is on the screen (cleared before output) */
	const char *src_name;	/* the shell's current input, for carets (opts.carets) */
	const char *src_text;
	int src_first_line;
};

/*
 * A limit: the option if set (< 0: none), else the environment variable
 * @env (a number, or a size with @size; 0: none), else @def. A bad value is
 * reported and the default kept.
 */
static long long limit_setting(struct kmm_ctx *ctx, long long opt, const char *env,
			       long long def, bool size)
{
	const char *v = getenv(env);
	long long n;
	uint64_t bytes;

	if (opt)
		return opt < 0 ? 0 : opt;
	if (!v || !*v)
		return def;
	if (size && kmm_parse_size(v, &bytes, NULL) == 0 && bytes <= (uint64_t)LLONG_MAX)
		return (long long)bytes;
	if (!size && parse_long(v, &n) == 0 && n >= 0)
		return n;
	fprintf(ctx->opts.err, "kmm: %s=%s is not %s; using %lld\n", env, v,
		size ? "a size such as 8G" : "a number of steps", def);
	return def;
}

struct kmm_ctx *ctx_create(const struct ctx_opts *opts)
{
	struct kmm_ctx *ctx = xcalloc(1, sizeof(*ctx));

	ctx->opts = *opts;
	if (!ctx->opts.out)
		ctx->opts.out = stdout;
	if (!ctx->opts.err)
		ctx->opts.err = stderr;
	if (!ctx->opts.default_cmdline)
		ctx->opts.default_cmdline = KMM_DEFAULT_CMDLINE;
	sb_init(&ctx->out);
	ctx->last_output = xstrndup("", 0);
	ctx->step_limit = limit_setting(ctx, opts->step_limit, "KMM_STEP_LIMIT",
					KMM_DEFAULT_STEP_LIMIT, false);
	ctx->host_mem_limit = (uint64_t)limit_setting(ctx, opts->host_mem_limit, "KMM_HOST_MEM",
						      (long long)KMM_DEFAULT_HOST_MEM, true);
	if (opts->record)
		ctx->report = report_new(opts->report_points < 0 ? 0
					 : opts->report_points ? (size_t)opts->report_points
					 : REPORT_DEFAULT_POINTS);
	return ctx;
}

static void release_pageset_ref(struct kmm_ctx *ctx, struct pageset *ps)
{
	if (ps && ps->refs > 0 && --ps->refs == 0 && ps->freed)
		ctx->dead_pagesets++;
}

/*
 * Free the pagesets nothing refers to any more whose blocks were freed, so
 * that `repeat 1000000 { alloc_pages -> $p; free_pages $p }` runs in constant
 * memory. Unreferenced pagesets still holding blocks stay: `kmm check`
 * reports them.
 */
static void sweep_pagesets(struct kmm_ctx *ctx)
{
	struct pageset **pp = &ctx->pagesets;

	while (*pp) {
		struct pageset *ps = *pp;
		if (!ps->refs && ps->freed) {
			*pp = ps->next;
			free(ps->pages);
			free(ps);
		} else {
			pp = &ps->next;
		}
	}
	ctx->dead_pagesets = 0;
}

void value_clear(struct value *v)
{
	free(v->s);
	memset(v, 0, sizeof(*v));
}

void value_set_int(struct value *v, long long i)
{
	value_clear(v);
	v->kind = V_INT;
	v->i = i;
}

void value_set_str(struct value *v, const char *s)
{
	value_clear(v);
	v->kind = V_STR;
	v->s = xstrndup(s, strlen(s));
}

const char *errno_name(int err)
{
	static const struct { int e; const char *name; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" }, { EINTR, "EINTR" },
		{ EIO, "EIO" }, { E2BIG, "E2BIG" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" },
		{ ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" }, { EOVERFLOW, "EOVERFLOW" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { ENXIO, "ENXIO" }, { ENOEXEC, "ENOEXEC" },
		{ ECHILD, "ECHILD" }, { ENOTBLK, "ENOTBLK" }, { EXDEV, "EXDEV" },
		{ ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" }, { ENFILE, "ENFILE" },
		{ EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" }, { ETXTBSY, "ETXTBSY" },
		{ EFBIG, "EFBIG" }, { ESPIPE, "ESPIPE" }, { EROFS, "EROFS" }, { EMLINK, "EMLINK" },
		{ EPIPE, "EPIPE" }, { EDOM, "EDOM" }, { EDEADLK, "EDEADLK" },
		{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENOLCK, "ENOLCK" }, { ENOTEMPTY, "ENOTEMPTY" },
		{ ELOOP, "ELOOP" }, { ENODATA, "ENODATA" }, { EPROTO, "EPROTO" },
		{ EBADMSG, "EBADMSG" }, { EILSEQ, "EILSEQ" }, { EALREADY, "EALREADY" },
		{ EINPROGRESS, "EINPROGRESS" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ ECANCELED, "ECANCELED" }, { EOWNERDEAD, "EOWNERDEAD" },
		{ ENOTRECOVERABLE, "ENOTRECOVERABLE" },
#ifdef EHWPOISON
		{ EHWPOISON, "EHWPOISON" },
#endif
	};
	static _Thread_local char other[16];

	if (!err)
		return "";
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].e == err)
			return names[i].name;
	snprintf(other, sizeof(other), "E%d", err);
	return other;
}

bool value_field_known(const char *field)
{
	return !strcmp(field, "errno") || page_field_known(field);
}

int value_field(struct kmm_ctx *ctx, const struct value *v, const char *field, struct value *out,
		char *err, size_t errlen)
{
	if (!strcmp(field, "errno")) {
		value_set_str(out, errno_name(v->err));
		return 0;
	}
	if (v->kind != V_PAGES) {
		snprintf(err, errlen, "no field '.%s'", field);
		return -1;
	}
	return page_field(ctx, v->ps, field, out, err, errlen);
}

static void free_pagesets(struct kmm_ctx *ctx)
{
	struct pageset *ps = ctx->pagesets, *next;

	for (; ps; ps = next) {
		next = ps->next;
		free(ps->pages);
		free(ps);
	}
	ctx->pagesets = NULL;
}

static void shutdown_machine(struct kmm_ctx *ctx)
{
	if (!ctx->m)
		return;
	if (ctx->report)	/* the report keeps what the machine looked like at the end */
		report_machine_end(ctx->report, ctx->m);
	if (ctx->opts.check_each_boot && ctx_check(ctx, false) != KMM_EXIT_OK)
		ctx->check_failures++;
	kmm_use(NULL);
	kmm_shutdown(ctx->m);
	ctx->m = NULL;
	/*
	 * The shutdown freed every page: mark the pagesets so that no verb (of
	 * any layer) touches their struct pages, which are gone with the machine.
	 */
	for (struct pageset *ps = ctx->pagesets; ps; ps = ps->next)
		if (ps->gen == ctx->gen)
			ps->freed = true;
	ctx->cmdline[0] = '\0';
}

static void free_var(void *p)
{
	struct var *var = p;

	value_clear(&var->v);
	free(var);
}

int ctx_destroy(struct kmm_ctx *ctx)
{
	int ret;

	if (!ctx)
		return 0;
	fflush(ctx->opts.out);
	report_free(ctx->report);	/* written already, if at all: no snapshot at exit */
	ctx->report = NULL;
	shutdown_machine(ctx);
	ret = ctx->check_failures ? KMM_EXIT_EXPECT : KMM_EXIT_OK;
	strmap_free(&ctx->vars, free_var);
	free_pagesets(ctx);
	sb_free(&ctx->out);
	free(ctx->last_output);
	free(ctx);
	return ret;
}

int ctx_expect_failures(struct kmm_ctx *ctx)
{
	return ctx->expect_failures;
}

int ctx_exit_code(struct kmm_ctx *ctx)
{
	return ctx->exit_code;
}

void ctx_set_exit_code(struct kmm_ctx *ctx, int code)
{
	ctx->exit_code = code;
}

struct report *ctx_report(struct kmm_ctx *ctx)
{
	return ctx->report;
}

bool ctx_host_files(struct kmm_ctx *ctx)
{
	return ctx->opts.host_files;
}

bool ctx_interactive(struct kmm_ctx *ctx)
{
	return ctx->opts.interactive;
}

void ctx_output_is_ack(struct kmm_ctx *ctx)
{
	ctx->ack_output = true;
}

void ctx_output_is_news(struct kmm_ctx *ctx)
{
	ctx->news_output = true;
}

const char *ctx_last_output(struct kmm_ctx *ctx)
{
	return ctx->last_output ? ctx->last_output : "";
}

unsigned long ctx_generation(struct kmm_ctx *ctx)
{
	return ctx->gen;
}

const char *ctx_cmdline(struct kmm_ctx *ctx)
{
	return ctx->m ? ctx->cmdline : "";
}

void ctx_printf(struct kmm_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&ctx->out, fmt, ap);
	va_end(ap);
}

void ctx_write(struct kmm_ctx *ctx, const char *text, size_t len)
{
	sb_printf(&ctx->out, "%.*s", (int)len, text);
}

/* Wipe the progress bar before anything else reaches the terminal. */
static void progress_off(struct kmm_ctx *ctx)
{
	if (unlikely(ctx->progress_drawn)) {
		fflush(ctx->opts.out);
		progress_clear(ctx->opts.err);
		ctx->progress_drawn = false;
	}
}

static void flush_out(struct kmm_ctx *ctx)
{
	progress_off(ctx);
	fflush(ctx->opts.out);
}

static void put_msg(struct kmm_ctx *ctx, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	sanitize(msg);
	fputs(msg, ctx->opts.err);
}

void ctx_set_source(struct kmm_ctx *ctx, const char *name, int first_line, const char *text)
{
	ctx->src_name = name;
	ctx->src_first_line = first_line;
	ctx->src_text = text;
}

/*
 * With opts.carets (the shell on a terminal): after a run-time error at
 * file:line:col of the input being run, show that line and a caret under
 * the column, as the shell does for a parse error.
 */
static void put_caret(struct kmm_ctx *ctx, const char *file, int line, int col)
{
	const char *p = ctx->src_text;

	if (!ctx->opts.carets || !p || !file || !ctx->src_name || strcmp(file, ctx->src_name) ||
	    line < ctx->src_first_line || col < 1)
		return;
	for (int l = ctx->src_first_line; l < line && p; l++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || !*p)
		return;
	int len = (int)strcspn(p, "\n");
	if (col > len + 1)
		return;
	fprintf(ctx->opts.err, "  %.*s\n  %*s^\n", len, p, col - 1, "");
}

int ctx_error_at(struct kmm_ctx *ctx, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	flush_out(ctx);
	fprintf(ctx->opts.err, "%s:%d:%d: ", file, line, col);
	va_start(ap, fmt);
	put_msg(ctx, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->opts.err);
	put_caret(ctx, file, line, col);
	fflush(ctx->opts.err);
	return VERB_ERROR;
}

int ctx_error(struct kmm_ctx *ctx, const struct args *a, int argi, const char *fmt, ...)
{
	va_list ap;
	int col = (argi >= 0 && argi < a->argc) ? a->argv[argi].col : a->verb_col;

	flush_out(ctx);
	fprintf(ctx->opts.err, "%s:%d:%d: ", a->file, a->line, col);
	va_start(ap, fmt);
	put_msg(ctx, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->opts.err);
	put_caret(ctx, a->file, a->line, col);
	fflush(ctx->opts.err);
	return VERB_ERROR;
}

int ctx_syscall_failed(struct kmm_ctx *ctx, const struct args *a, const char *what, int err,
		       long long fail_value)
{
	const char *detail = kmm_last_error();

	if (err < 0)
		err = -err;
	if (!a->captured)	/* $_ holds successes only: uncaptured, a failure stops */
		return ctx_error(ctx, a, -1, "%s failed (%s): %s", what, strerror(err), detail);
	struct value v = { 0 };
	value_set_int(&v, fail_value);
	v.err = err;
	ctx_set_var(ctx, a->result, &v);
	ctx_printf(ctx, "%s failed: %s (%s)\n", what, errno_name(err), detail && *detail ? detail
					: strerror(err));
	return VERB_OK;
}

int ctx_expect_failed(struct kmm_ctx *ctx, const struct args *a, const char *fmt, ...)
{
	va_list ap;

	flush_out(ctx);
	ctx->expect_failures++;
	fprintf(ctx->opts.err, "%s:%d: ", a->file, a->line);
	va_start(ap, fmt);
	put_msg(ctx, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->opts.err);
	fflush(ctx->opts.err);
	return VERB_EXPECT_FAILED;
}

void ctx_set_value_loc(struct kmm_ctx *ctx, const char *file, int line, int col)
{
	ctx->loc_file = file;
	ctx->loc_line = line;
	ctx->loc_col = col;
}

int ctx_value_error(struct kmm_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	flush_out(ctx);
	fprintf(ctx->opts.err, "%s:%d:%d: ", ctx->loc_file ? ctx->loc_file : "kmm", ctx->loc_line,
		ctx->loc_col);
	va_start(ap, fmt);
	put_msg(ctx, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->opts.err);
	put_caret(ctx, ctx->loc_file, ctx->loc_line, ctx->loc_col);
	fflush(ctx->opts.err);
	return VERB_ERROR;
}

int verb_check_error(struct verb_check *vc, const struct args *a, int argi, const char *fmt, ...)
{
	va_list ap;

	if (vc->failed)
		return VERB_ERROR;
	vc->failed = true;
	vc->col = (argi >= 0 && argi < a->argc) ? a->argv[argi].col : a->verb_col;
	va_start(ap, fmt);
	vsnprintf(vc->msg, sizeof(vc->msg), fmt, ap);
	va_end(ap);
	return VERB_ERROR;
}

int ctx_host_mem_check(struct kmm_ctx *ctx, const struct args *a, uint64_t next_bytes)
{
	if (!ctx->host_mem_limit)
		return VERB_OK;
	uint64_t rss = (uint64_t)sim_host_rss_kb() << 10;
	if (rss + next_bytes <= ctx->host_mem_limit)
		return VERB_OK;
	return ctx_error(ctx, a, -1, "%s: stopped: kmm's host memory (%llu MiB resident%s) would "
			 "pass its limit of %llu MiB (KMM_HOST_MEM; raise it, or 0 for none)",
			 a->verb ? a->verb->name : "scenario", (unsigned long long)(rss >> 20),
			 next_bytes ? ", plus what the next step needs" : "",
			 (unsigned long long)(ctx->host_mem_limit >> 20));
}

void ctx_for_each_var(struct kmm_ctx *ctx, void (*fn)(const char *name, void *arg), void *arg)
{
	for (size_t i = 0; i < ctx->vars.cap; i++)
		if (ctx->vars.slots[i].key)
			fn(ctx->vars.slots[i].key, arg);
}

const struct value *ctx_var(struct kmm_ctx *ctx, const char *name)
{
	void **slot = strmap_get(&ctx->vars, name);

	return slot ? &((struct var *)*slot)->v : NULL;
}

void ctx_set_var(struct kmm_ctx *ctx, const char *name, struct value *v)
{
	void **slot = strmap_put(&ctx->vars, name);

	if (!slot) {
		fprintf(stderr, "kmm: out of memory\n");
		exit(KMM_EXIT_USAGE);
	}
	if (!*slot)
		*slot = xcalloc(1, sizeof(struct var));
	struct var *var = *slot;
	if (var->v.kind == V_PAGES)
		release_pageset_ref(ctx, var->v.ps);
	value_clear(&var->v);
	var->v = *v;
	if (var->v.kind == V_PAGES && var->v.ps)
		var->v.ps->refs++;
	memset(v, 0, sizeof(*v));
}

struct pageset *ctx_new_pageset(struct kmm_ctx *ctx, const struct args *a)
{
	if (ctx->dead_pagesets >= 1024)
		sweep_pagesets(ctx);
	struct pageset *ps = xcalloc(1, sizeof(*ps));

	ps->gen = ctx->gen;
	ps->file = a->file;
	ps->line = a->line;
	ps->nid = -1;
	ps->next = ctx->pagesets;
	ctx->pagesets = ps;
	return ps;
}

/* Blocks still allocated by the script on the current machine. */
static void count_held(struct kmm_ctx *ctx, unsigned long *blocks, unsigned long *pages,
		       unsigned long *unreachable)
{
	*blocks = *pages = *unreachable = 0;
	for (struct pageset *ps = ctx->pagesets; ps; ps = ps->next) {
		if (ps->freed || ps->gen != ctx->gen || !ps->nr)
			continue;
		*blocks += ps->nr;
		*pages += ps->nr << ps->order;
		if (!ps->refs)
			*unreachable += ps->nr;
	}
}

int ctx_check(struct kmm_ctx *ctx, bool verbose)
{
	FILE *out = ctx->opts.out;

	if (!ctx->m) {
		if (verbose)
			fprintf(out, "kmm check: no machine was booted; nothing to check\n");
		return KMM_EXIT_OK;
	}
	int err = kmm_check(ctx->m);
	unsigned long blocks, pages, unreachable;

	count_held(ctx, &blocks, &pages, &unreachable);
	fflush(out);
	if (err) {
		fprintf(ctx->opts.err, "kmm check: %s: invariant violated: %s\n", ctx->cmdline,
			kmm_last_error());
		fflush(ctx->opts.err);
		return KMM_EXIT_EXPECT;
	}
	if (verbose) {
		fprintf(out, "kmm check: %s: all invariants hold\n", ctx->cmdline);
		if (blocks)
			fprintf(out, "kmm check: the script still holds %lu block%s (%lu page%s)"
				"%s\n", blocks, blocks == 1 ? "" : "s", pages, pages == 1 ? "" : "s",
				unreachable ? ", some no longer in any variable" : "");
	}
	return KMM_EXIT_OK;
}

struct kmm_machine *ctx_machine_if_booted(struct kmm_ctx *ctx)
{
	return ctx->m;
}

/*
 * Boot @cmdline and only then replace the machine in use: a boot that fails
 * (a bad option, too little memory for the kernel) leaves the old machine,
 * its command line and the variables that point into it as they were, so a
 * mistyped `boot` in the shell loses nothing. The two machines coexist for
 * the moment between (a machine is a value; kmm_boot() restores the
 * current one).
 */
static int do_boot(struct kmm_ctx *ctx, const char *file, int line, int col, const char *cmdline)
{
	struct kmm_machine *m;

	kmm_set_error(0, "%s", "");
	m = kmm_boot(cmdline);
	if (!m) {
		const char *msg = kmm_last_error();
		if (!ctx->m)
			return ctx_error_at(ctx, file, line, col, "boot failed: %s",
					    msg && *msg ? msg : "unknown error");
		return ctx_error_at(ctx, file, line, col, "boot failed: %s; the machine in use "
				    "is kept (%s)", msg && *msg ? msg : "unknown error",
				    ctx->cmdline[0] ? ctx->cmdline : "the kernel's defaults");
	}
	shutdown_machine(ctx);
	ctx->gen++;
	ctx->m = m;
	snprintf(ctx->cmdline, sizeof(ctx->cmdline), "%s", cmdline);
	kmm_use(ctx->m);
	ctx->panic_reported = false;
	return VERB_OK;
}

int ctx_boot(struct kmm_ctx *ctx, const struct args *a, const char *cmdline)
{
	int col = a->argc ? a->argv[0].col : a->verb_col;

	return do_boot(ctx, a->file, a->line, col, cmdline);
}

/* The statement being run, so that ctx_machine can report a failed default boot. */
static const struct args *current_args;

struct kmm_machine *ctx_machine(struct kmm_ctx *ctx)
{
	if (ctx->m)
		return ctx->m;
	const char *file = current_args ? current_args->file : "kmm";
	int line = current_args ? current_args->line : 0;
	int col = current_args ? current_args->verb_col : 0;
	if (do_boot(ctx, file, line, col, ctx->opts.default_cmdline) != VERB_OK)
		return NULL;
	return ctx->m;
}

bool redirect_is_machine(const char *path)
{
	return !strcmp(path, "/proc") || !strcmp(path, "/sys") || !strncmp(path, "/proc/", 6) ||
	       !strncmp(path, "/sys/", 5);
}

/*
 * `COMMAND > FILE` or `>> FILE` with FILE on the host: the command's whole
 * output, created (truncated) or appended to, relative to the current
 * directory. Return: 0, or VERB_ERROR with the reason printed.
 */
static int write_host_file(struct kmm_ctx *ctx, const struct stmt *s, const char *text)
{
	if (!ctx->opts.host_files)
		return ctx_error_at(ctx, s->file, s->line, s->redirect_col,
				    "%s: writing host files is not allowed here (only /proc and "
				    "/sys files)", s->redirect);
	FILE *f = fopen(s->redirect, s->redirect_append ? "a" : "w");
	size_t len = strlen(text);

	if (!f)
		return ctx_error_at(ctx, s->file, s->line, s->redirect_col, "%s: %s", s->redirect,
				    strerror(errno));
	if (fwrite(text, 1, len, f) != len || ferror(f)) {
		int e = errno;
		fclose(f);
		return ctx_error_at(ctx, s->file, s->line, s->redirect_col, "%s: %s", s->redirect,
				    strerror(e));
	}
	if (fclose(f))
		return ctx_error_at(ctx, s->file, s->line, s->redirect_col, "%s: %s", s->redirect,
				    strerror(errno));
	return 0;
}

/*
 * Where a command's result goes: its `-> $name`, or `$_` for a command that
 * returns a value and was not given one (so that `alloc_pages` typed alone
 * can still be freed: `free_pages $_`).
 */
static const char *stmt_result(const struct stmt *s)
{
	if (s->result)
		return s->result;
	return s->nstages == 1 && (s->stages[0].verb->flags & VERB_RESULT) ? "_" : NULL;
}

static int run_stmts(struct kmm_ctx *ctx, const struct stmt *s, int n);

static int run_command(struct kmm_ctx *ctx, const struct stmt *s)
{
	char *input = NULL;
	int ret = VERB_OK;

	for (int i = 0; i < s->nstages; i++) {
		const struct stage *st = &s->stages[i];
		struct args a = {
			.verb = st->verb, .file = s->file, .line = s->line,
			.argc = st->nwords, .argv = st->words, .verb_col = st->verb_col,
			.input = input, .result = i == 0 ? stmt_result(s) : NULL,
			.captured = i == 0 && s->result,
			.nexprs = st->nexprs, .exprs = st->exprs, .text = s->text,
		};
		sb_free(&ctx->out);
		sb_init(&ctx->out);
		sb_puts(&ctx->out, "");
		ctx->ack_output = false;
		ctx->news_output = false;
		current_args = &a;
		/*
		 * One statement is one operation for the stream's subscribers: the
		 * debug checker checks after `alloc_pages count=max` as a whole, not
		 * after each of its allocations (a boot's new machine is checked).
		 */
		struct kmm_machine *om = ctx_machine_if_booted(ctx);
		if (om)
			kmm_op_begin(om);
		ret = st->verb->run(ctx, &a);
		if (om)
			kmm_op_end(ctx_machine_if_booted(ctx));
		current_args = NULL;
		free(input);
		input = sb_detach(&ctx->out);
		sb_init(&ctx->out);
		if (!input)
			input = xstrndup("", 0);
		if (ret == VERB_ERROR || ret == VERB_EXIT)
			break;
	}
	if (ret == VERB_ERROR) {
		free(input);
		return ret;
	}
	if (s->redirect && !redirect_is_machine(s->redirect)) {
		ret = write_host_file(ctx, s, input) ? VERB_ERROR : ret;
		free(input);
		return ret;
	}
	if (s->redirect) {
		struct kmm_machine *m = ctx_machine(ctx);
		size_t len = strlen(input);

		if (!m) {
			free(input);
			return VERB_ERROR;
		}
		if (len && input[len - 1] == '\n')
			input[len - 1] = '\0';
		kmm_set_error(0, "%s", "");	/* so that a message below is this write's */
		int err = kmm_proc_write(m, s->redirect, input);
		if (err) {
			const char *why = err == -ENOENT ? "No such file or directory"
				: err == -EACCES ? "Permission denied (read-only file)"
				: err == -EINVAL ? "Invalid argument"
				: strerror(-err);
			const char *detail = kmm_last_error();
			if (detail && *detail && strstr(detail, s->redirect))
				ctx_error_at(ctx, s->file, s->line, s->redirect_col, "%s", detail);
			else if (detail && *detail)
				ctx_error_at(ctx, s->file, s->line, s->redirect_col, "%s: %s: %s",
					     s->redirect, why, detail);
			else
				ctx_error_at(ctx, s->file, s->line, s->redirect_col, "%s: %s",
					     s->redirect, why);
			free(input);
			return VERB_ERROR;
		}
		free(input);
		return ret;
	}
	/* -q: an acknowledgment printed for its own sake is dropped */
	unsigned int vflags = s->nstages == 1 ? s->stages[0].verb->flags : 0;
	bool ack = s->nstages == 1 && ((vflags & VERB_ACK) || ctx->ack_output) && !ctx->news_output;
	if (*input)
		progress_off(ctx);
	if (ctx->opts.pager && (vflags & VERB_PAGED))
		page_text(ctx->opts.out, input);
	else if (!(ctx->opts.quiet && ack))
		fputs(input, ctx->opts.out);
	if (!(s->stages[0].verb->flags & VERB_KEEPS_OUTPUT)) {
		free(ctx->last_output);
		ctx->last_output = input;
	} else {
		free(input);
	}
	return ret;
}

/*
 * Count one step. Return: nonzero when the run must stop: past the step
 * limit, or (looked at every 4096 steps) past the host memory limit.
 */
/* Steps of a run before its progress bar may appear, and between redraws. */
#define PROGRESS_MIN_STEPS (1LL << 20)
#define PROGRESS_EVERY 0xffff

static void progress_step(struct kmm_ctx *ctx)
{
	if (ctx->progress_total < PROGRESS_MIN_STEPS && ctx->steps < PROGRESS_MIN_STEPS)
		return;
	progress_draw(ctx->opts.err, (uint64_t)ctx->steps, ctx->progress_total, "steps");
	ctx->progress_drawn = true;
}

static int step(struct kmm_ctx *ctx)
{
	ctx->steps++;
	if (unlikely(ctx->progress_on) && !(ctx->steps & PROGRESS_EVERY))
		progress_step(ctx);
	if (ctx->opts.interrupt && *ctx->opts.interrupt)
		return 3;
	if (ctx->step_limit && ctx->steps > ctx->step_limit)
		return 1;
	if (!(ctx->steps & 4095) && ctx->host_mem_limit &&
	    ((uint64_t)sim_host_rss_kb() << 10) > ctx->host_mem_limit)
		return 2;
	return 0;
}

static int step_error(struct kmm_ctx *ctx, const struct stmt *st)
{
	if (ctx->opts.interrupt && *ctx->opts.interrupt) {
		*ctx->opts.interrupt = 0;
		return ctx_error_at(ctx, st->file, st->line, st->col, "interrupted (Ctrl-C) before "
				    "this command; the machine and the variables are kept");
	}
	if (ctx->step_limit && ctx->steps > ctx->step_limit)
		return ctx_error_at(ctx, st->file, st->line, st->col,
				    "stopped after %lld steps, the step limit (a runaway loop? "
				    "KMM_STEP_LIMIT raises it, 0 for none)", ctx->step_limit);
	struct args a = { .file = st->file, .line = st->line, .verb_col = st->col };
	return ctx_host_mem_check(ctx, &a, 0);
}

/*
 * A kernel panic (vm.panic_on_oom, or an OOM with nothing to kill) halts the
 * machine: show its lines as a console would, once, after the statement
 * that caused it. The script goes on; process verbs refuse until a boot.
 * Under -q the panic's lines stay in dmesg (the scenario did not print
 * them) and one line on standard error says the machine halted.
 */
static void report_panic(struct kmm_ctx *ctx)
{
	if (!ctx->m || ctx->panic_reported || !atomic_load(&ctx->m->halted))
		return;
	ctx->panic_reported = true;
	if (ctx->opts.quiet) {
		progress_off(ctx);
		fprintf(ctx->opts.err, "kmm: kernel panic: the machine has halted; its processes are "
			"frozen (dmesg shows why; boot or reboot to go on)\n");
		fflush(ctx->opts.err);
		return;
	}
	char *log = kmm_dmesg_dup(ctx->m);
	const char *p = log ? strstr(log, "Kernel panic - not syncing: ") : NULL;
	if (p) {
		while (p > log && p[-1] != '\n')
			p--;
		const char *end = strstr(p, "---[ end Kernel panic");
		end = end ? strchr(end, '\n') : NULL;
		fwrite(p, 1, end ? (size_t)(end - p) + 1 : strlen(p), ctx->opts.out);
		fputs("kmm: the machine has halted; its processes are frozen (boot or reboot to go "
		      "on)\n", ctx->opts.out);
	}
	free(log);
}

/*
 * Background work the command woke, run now so that it happens at a defined
 * point (kswapd=step): its report goes straight to the output, not into the
 * `output` of the command; under -q it is not printed (the scenario did not
 * ask for it: it is background chatter, as the flusher's silence is).
 */
static void after_command(struct kmm_ctx *ctx)
{
	char *text;

	sb_free(&ctx->out);
	sb_init(&ctx->out);
	pressure_after_command(ctx);
	file_after_command(ctx);
	text = sb_detach(&ctx->out);
	sb_init(&ctx->out);
	if (text && *text && !ctx->opts.quiet) {
		progress_off(ctx);	/* kswapd's report, not through the bar */
		fputs(text, ctx->opts.out);
	}
	free(text);
}

static int run_stmts(struct kmm_ctx *ctx, const struct stmt *s, int n)
{
	int status = VERB_OK;

	for (int i = 0; i < n; i++) {
		const struct stmt *st = &s[i];
		int r = VERB_OK;

		if (unlikely(step(ctx)))
			return step_error(ctx, st);
		if (ctx->opts.echo && ctx->depth == 0) {
			fprintf(ctx->opts.out, "$ %s\n", st->text);
		}
		switch (st->kind) {
		case STMT_REPEAT: {
			long long count = st->count;
			if (st->count_var) {
				const struct value *v = ctx_var(ctx, st->count_var);
				if (!v || v->kind != V_INT || v->i < 0 || v->i > 100000000)
					return ctx_error_at(ctx, st->file, st->line, st->count_col,
						"repeat count $%s must be a number from 0 to 100000000",
						st->count_var);
				count = v->i;
			}
			ctx->depth++;
			for (long long k = 0; k < count; k++) {
				if (unlikely(step(ctx))) {
					r = step_error(ctx, st);
					break;
				}
				r = run_stmts(ctx, st->body, st->nbody);
				if (r == VERB_ERROR || r == VERB_EXIT)
					break;
				if (r == VERB_EXPECT_FAILED)
					status = VERB_EXPECT_FAILED;
			}
			ctx->depth--;
			break;
		}
		case STMT_LET: {
			struct value v = { 0 };
			struct args a = { .file = st->file, .line = st->line, .verb_col = st->col,
					  .text = st->text };
			r = ctx_eval(ctx, &a, st->expr, &v);
			if (r == VERB_OK)
				ctx_set_var(ctx, st->var, &v);
			value_clear(&v);
			break;
		}
		case STMT_CMD:
			r = run_command(ctx, st);
			if (r != VERB_ERROR && r != VERB_EXIT)
				after_command(ctx);
			break;
		}
		report_panic(ctx);
		if (ctx->report && ctx->m && st->kind != STMT_REPEAT)
			report_sample(ctx->report, ctx->m, st, st->host_only);
		fflush(ctx->opts.out);
		if (r == VERB_ERROR || r == VERB_EXIT)
			return r;
		if (r == VERB_EXPECT_FAILED)
			status = VERB_EXPECT_FAILED;
	}
	return status;
}

/*
 * The steps (statements and loop rounds, as step() counts them) @s will
 * take: 0 when a loop's count is a variable, saturating at UINT64_MAX/2.
 */
static uint64_t estimate_steps(const struct stmt *s, int n)
{
	const uint64_t cap = UINT64_MAX / 2;
	uint64_t total = 0;

	for (int i = 0; i < n; i++) {
		uint64_t one = 1;
		if (s[i].kind == STMT_REPEAT) {
			if (s[i].count_var)
				return 0;
			uint64_t body = estimate_steps(s[i].body, s[i].nbody);
			if (!body && s[i].nbody)
				return 0;
			uint64_t count = (uint64_t)s[i].count;
			one += count && body + 1 > cap / count ? cap : count * (body + 1);
		}
		total = total + one > cap ? cap : total + one;
	}
	return total;
}

int script_run(struct kmm_ctx *ctx, const struct script *s)
{
	ctx->steps = 0;		/* the limit is per run: per line in the shell */
	if (ctx->opts.progress) {
		ctx->progress_total = estimate_steps(s->stmts, s->nstmts);
		ctx->progress_on = true;
	}
	int r = run_stmts(ctx, s->stmts, s->nstmts);

	progress_off(ctx);
	ctx->progress_on = false;

	if (ctx->report)	/* the shell frees the script: forget its statements' addresses */
		report_script_end(ctx->report);
	return r;
}

static bool stmts_use_verb(const struct stmt *s, int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		if (s[i].kind == STMT_REPEAT && stmts_use_verb(s[i].body, s[i].nbody, name))
			return true;
		for (int k = 0; s[i].kind == STMT_CMD && k < s[i].nstages; k++)
			if (!strcmp(s[i].stages[k].verb->name, name))
				return true;
	}
	return false;
}

bool script_uses_verb(const struct script *s, const char *name)
{
	return stmts_use_verb(s->stmts, s->nstmts, name);
}

/* ---- Helpers for verbs ---- */

bool arg_kv(const struct word *w, const char **key, size_t *keylen, const char **val)
{
	const char *eq = w->is_var ? NULL : strchr(w->text, '=');

	if (!eq)
		return false;
	*key = w->text;
	*keylen = (size_t)(eq - w->text);
	*val = eq + 1;
	return true;
}

/* A signed number: an optional '-', then what parse_addr() reads, within INT64. */
int parse_long(const char *s, long long *out)
{
	bool neg = *s == '-';
	uint64_t v;

	if (parse_addr(s + neg, &v) || v > (uint64_t)LLONG_MAX)
		return -1;
	*out = neg ? -(long long)v : (long long)v;
	return 0;
}

int parse_addr(const char *s, uint64_t *out)
{
	const char *p = s;
	uint64_t v = 0;
	unsigned int base = 10;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -1;
	for (; *p; p++) {
		unsigned int d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned int)(tolower((unsigned char)*p) - 'a' + 10);
		else
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}
