// SPDX-License-Identifier: MIT
/*
 * cli/verbs.h - the verb table of the kmm scenario language, and the small API
 * a verb uses to talk to the runner.
 *
 * Linux counterpart: none (the shell side of a Linux session: sysctl, free,
 * cat, grep). The language itself lives in cli/scenario.c; it never learns a
 * layer's verbs. A layer adds commands by defining a `struct verb_table` in
 * its own cli/verbs_<layer>.c and naming it once in the list in cli/verbs.c
 * (one line; static-library linking needs the explicit reference, and an
 * explicit list keeps `help` in a stable, documented order).
 *
 * A verb has two hooks:
 *   check(vc, a)  at parse time, before anything runs: reject bad arguments
 *                 with verb_check_error() so that a bad script runs nothing.
 *   run(ctx, a)   at run time: print with ctx_printf(), return VERB_OK,
 *                 ctx_error(...) (exit status 2) or VERB_EXPECT_FAILED (1).
 * Value terms (`zone.Normal.free`, `/proc/meminfo:MemFree`) usable in
 * `expect`, `let` and `print` are registered the same way, in `terms`.
 *
 * Invariant: every word handed to a verb is already unquoted; a word that was
 * written `$name` is a variable reference (word->is_var) and is resolved with
 * ctx_var() at run time. Output is deterministic: verbs print nothing that
 * depends on host time, addresses or scheduling.
 *
 * Locking: none; a runner is single-threaded.
 */
#ifndef KMM_CLI_VERBS_H
#define KMM_CLI_VERBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kmm/kmm.h>

struct kmm_ctx;
struct expr;

/* ---- Values: what variables and expressions hold ---- */

enum value_kind {
	V_NONE,		/* no value (an unset result) */
	V_INT,		/* a signed 64-bit number */
	V_STR,		/* text (owned by the value) */
	V_PAGES,	/* blocks from alloc_pages; NULL when the allocation failed */
};

/*
 * A set of blocks returned by one alloc_pages. count=1 gives one block;
 * count=N or count=max gives up to N blocks. A pageset is never freed while a
 * variable refers to it; `freed` records free_pages.
 */
struct pageset {
	struct page **pages;	/* nr entries, each a block of 2^order pages */
	unsigned long nr;	/* 0: the allocation failed (the value is NULL) */
	unsigned int order;
	gfp_t gfp;
	int nid;		/* node= asked for, -1 for any */
	bool freed;
	unsigned long gen;	/* machine generation it came from */
	unsigned long pfn0;	/* first block's pfn and zone, kept so that the */
	const char *zone0;	/* value prints even after its machine is gone */
	const char *file;	/* where it was allocated */
	int line;
	int refs;		/* variables referring to it */
	struct pageset *next;	/* ctx->pagesets */
};

struct value {
	enum value_kind kind;
	long long i;
	char *s;
	struct pageset *ps;
	int err;	/* the errno of the system call that produced it; 0 = success */
};

void value_clear(struct value *v);
void value_set_int(struct value *v, long long i);
void value_set_str(struct value *v, const char *s);
/** value_format() - human text of @v into @buf ("NULL", "42", "pfn 0x..."). */
void value_format(const struct value *v, char *buf, size_t len);

/* ---- What a verb is handed ---- */

struct word {
	char *text;	/* unquoted text */
	int col;	/* 1-based column of the word in its line */
	bool quoted;	/* it was written in quotes */
	bool is_var;	/* written as $name (text holds "name") */
};

struct verb;

struct args {
	const struct verb *verb;
	const char *file;	/* source name, e.g. "examples/tour.kmm" or "-e" */
	int line;		/* 1-based */
	int argc;		/* words after the verb name */
	struct word *argv;	/* argv[0] is the first argument */
	int verb_col;		/* column of the verb name */
	const char *input;	/* output of the previous pipeline stage, or NULL */
	const char *result;	/* "-> $name" target (without '$'), "_" (below), or NULL */
	bool captured;		/* @result was written (`-> $name`), not the implicit $_ */
	int nexprs;		/* VERB_EXPR verbs: the parsed expressions */
	struct expr **exprs;
	const char *text;	/* the statement's source text (for messages) */
};

enum {
	VERB_OK = 0,
	VERB_EXPECT_FAILED = 1,	/* an assertion failed; the script goes on */
	VERB_ERROR = 2,		/* bad input at run time; the script stops */
	VERB_EXIT = 3,		/* `exit`/`quit`: stop without error */
};

/* Flags of a verb. */
#define VERB_FILTER	0x01	/* reads the previous stage's output: `| grep x` */
#define VERB_RESULT	0x02	/* may end with `-> $name` */
#define VERB_EXPR	0x04	/* arguments are expressions (expect, print) */
#define VERB_NO_MACHINE	0x08	/* runs without booting the default machine */
#define VERB_SYNTAX	0x10	/* a language construct (repeat, let): help only */
#define VERB_KEEPS_OUTPUT 0x20	/* does not replace `output` (expect) */
#define VERB_PAGED	0x80	/* long output (help): through a pager on a terminal */
#define VERB_ACK	0x40	/* its output only acknowledges the action
				 * ("A: pid 1"): `kmm run -q` drops it unless
				 * it is piped or redirected */

/* Parse-time context for a verb's check hook. */
struct verb_check {
	const char *file;
	int line;
	int col;		/* set by verb_check_error() */
	char msg[256];
	bool failed;
};

/**
 * verb_check_error() - reject argument @argi (or the verb itself if -1).
 * Return: VERB_ERROR, so a check hook can `return verb_check_error(...)`.
 */
int verb_check_error(struct verb_check *vc, const struct args *a, int argi,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * A column of a verb's table output under --format json|csv (cli/format.h).
 * The names are an interface: never rename one, add new ones at the end.
 */
struct out_field {
	const char *name;	/* JSON key and CSV header: lower_case */
	const char *doc;	/* what it holds, with its unit */
};

struct verb {
	const char *name;
	const char *synopsis;	/* "alloc_pages [order=N] ... -> $p" */
	const char *summary;	/* one line for `help` */
	const char *help;	/* details for `help VERB` (may be NULL) */
	unsigned int flags;
	int (*check)(struct verb_check *vc, const struct args *a);	/* may be NULL */
	int (*run)(struct kmm_ctx *ctx, const struct args *a);
};

/* The --format columns of one verb of a table (struct verb_table.formats). */
struct verb_format {
	const char *verb;
	const struct out_field *fields;	/* NULL-terminated */
};

/*
 * A value term: a name usable inside expressions. @name is matched exactly,
 * or as a prefix when it ends with '.', ':' or '/' ("zone." matches
 * "zone.Normal.free"). check() may reject a name at parse time.
 */
struct term {
	const char *name;
	const char *synopsis;
	const char *summary;
	int (*check)(const char *name, char *err, size_t errlen);	/* 0 or -1 */
	int (*eval)(struct kmm_ctx *ctx, const char *name, struct value *out);
};

struct verb_table {
	const char *layer;	/* heading in `help`, e.g. "machine" */
	const struct verb *verbs;
	size_t nr_verbs;
	const struct term *terms;
	size_t nr_terms;
	/*
	 * The layer's section of the manual (cli/manual.c): a paragraph on what
	 * its commands are for, and a short scenario that shows them. Every
	 * table has both; tests/integration_cli_manual.c runs each example and
	 * fails unless it exits 0.
	 */
	const char *intro;
	const char *example;
	/* verbs of this table that take --format json|csv: {verb, fields}, NULL-ended */
	const struct verb_format *formats;
};

/* ---- Lookup (cli/verbs.c) ---- */

const struct verb *verb_find(const char *name);
const struct term *term_find(const char *name);
/** verb_fields() - the --format columns of @v, or NULL if it has no table output. */
const struct out_field *verb_fields(const struct verb *v);
/** verb_tables() - the registered tables, in help order; @n receives the count. */
const struct verb_table *const *verb_tables(size_t *n);
/** verbs_help() - `help` (name NULL) or `help NAME` text appended to the ctx output. */
int verbs_help(struct kmm_ctx *ctx, const char *name);

/* ---- The runner, as seen by a verb (cli/scenario.c) ---- */

/** ctx_machine() - the current machine, booting the default one if none yet. NULL on failure. */
struct kmm_machine *ctx_machine(struct kmm_ctx *ctx);
/** ctx_machine_if_booted() - the current machine, or NULL (never boots). */
struct kmm_machine *ctx_machine_if_booted(struct kmm_ctx *ctx);
/** ctx_boot() - shut the current machine down and boot @cmdline. Return: 0 or VERB_ERROR. */
int ctx_boot(struct kmm_ctx *ctx, const struct args *a, const char *cmdline);
/** ctx_cmdline() - the command line the current machine was booted with ("" if none). */
const char *ctx_cmdline(struct kmm_ctx *ctx);
/** ctx_generation() - bumped at every boot; pagesets remember theirs. */
unsigned long ctx_generation(struct kmm_ctx *ctx);

/** ctx_printf() / ctx_write(): append to this statement's output. */
void ctx_printf(struct kmm_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctx_write(struct kmm_ctx *ctx, const char *text, size_t len);

/**
 * ctx_error() - report a run-time error at argument @argi (-1: the verb) as
 * "file:line:col: message". Return: VERB_ERROR.
 */
int ctx_error(struct kmm_ctx *ctx, const struct args *a, int argi, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/**
 * ctx_host_mem_check() - may a command that is about to commit about
 * @next_bytes more host memory go on? Verbs that loop (count=N) ask before
 * each batch. Return: VERB_OK, or VERB_ERROR after the message (KMM_HOST_MEM).
 */
int ctx_host_mem_check(struct kmm_ctx *ctx, const struct args *a, uint64_t next_bytes);
/**
 * ctx_syscall_failed() - a system call made by verb @what failed with -@err.
 * "Failed calls are values": when the statement captures its result
 * (`-> $v`), $v becomes @fail_value with $v.errno the error's name, a line
 * saying so is printed, and the scenario goes on (VERB_OK). Otherwise (no
 * `-> $v`, even though $_ keeps a successful call's result) it is the
 * run-time error it always was (VERB_ERROR, exit status 2).
 */
int ctx_syscall_failed(struct kmm_ctx *ctx, const struct args *a, const char *what, int err,
		       long long fail_value);
/** errno_name() - "ENOMEM" for ENOMEM (positive), "" for 0, "E<n>" when unknown. */
const char *errno_name(int err);

/** ctx_error_at() - the same at an explicit column. */
int ctx_error_at(struct kmm_ctx *ctx, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/** ctx_expect_failed() - report a failed assertion ("file:line: ..."). Return: VERB_EXPECT_FAILED. */
int ctx_expect_failed(struct kmm_ctx *ctx, const struct args *a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** ctx_var() - the value of variable @name, or NULL if unset. */
const struct value *ctx_var(struct kmm_ctx *ctx, const char *name);
/** ctx_set_var() - store @v (moved: @v is cleared) in variable @name. */
void ctx_set_var(struct kmm_ctx *ctx, const char *name, struct value *v);
/**
 * pageset_unusable() - NULL if the blocks of @ps may be used now, else why not
 * (they belong to a machine a later boot replaced). A verb that touches the
 * pages of a $variable checks this and ps->freed first (cli/verbs_page.c).
 */
const char *pageset_unusable(struct kmm_ctx *ctx, const struct pageset *ps);
/** ctx_new_pageset() - a pageset owned by the runner (refs 0, on ctx's list). */
struct pageset *ctx_new_pageset(struct kmm_ctx *ctx, const struct args *a);

/** ctx_eval() - evaluate an expression. Return: 0, or VERB_ERROR (message printed). */
int ctx_eval(struct kmm_ctx *ctx, const struct args *a, const struct expr *e, struct value *out);
/** expr_text() - the source text of @e (for messages). */
const char *expr_text(const struct expr *e);
/** expr_is_comparison() - @e is `a OP b`; then expr_operands() gives a and b. */
bool expr_is_comparison(const struct expr *e);
void expr_operands(const struct expr *e, const struct expr **l, const struct expr **r);

/**
 * ctx_value_error() - report a run-time error while evaluating a value term
 * (at the term's position). Return: VERB_ERROR.
 */
int ctx_value_error(struct kmm_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** ctx_set_value_loc() - where the term being evaluated is (set by the evaluator). */
void ctx_set_value_loc(struct kmm_ctx *ctx, const char *file, int line, int col);

/** ctx_interactive() - the shell is reading from a terminal: verbs may print results. */
bool ctx_interactive(struct kmm_ctx *ctx);
/**
 * ctx_output_is_ack() - what this stage printed only acknowledges an action
 * (a verb that is VERB_ACK only sometimes: `sysctl NAME=VALUE`); `kmm run -q`
 * then drops it unless it is piped or redirected.
 */
void ctx_output_is_ack(struct kmm_ctx *ctx);
/**
 * ctx_output_is_news() - what this stage printed is more than an
 * acknowledgment (a process its own access killed): `kmm run -q` keeps it
 * even for a VERB_ACK verb.
 */
void ctx_output_is_news(struct kmm_ctx *ctx);
/** ctx_last_output() - output of the previous statement (for `output` in expressions). */
const char *ctx_last_output(struct kmm_ctx *ctx);

/* ---- Helpers for argument parsing ---- */

/**
 * gfp_flag_hint() - " (did you mean 'GFP_KERNEL'?)" for a mistyped GFP flag
 * @word (the part of a gfp= value kmm_gfp_parse() stopped at, up to its
 * next '|'), or "" when no flag name is close. Written into @buf.
 */
const char *gfp_flag_hint(const char *word, char *buf, size_t len);
/**
 * word_hint() - "did you mean 'X'? " when one of the blank-separated @words
 * is close to @typed (for a value name typed wrong), else "". Into @buf.
 */
const char *word_hint(const char *typed, const char *words, char *buf, size_t len);

/**
 * arg_kv() - split argument @w as key=value.
 * Return: true if it has an '=' (then key, keylen and val are set).
 */
bool arg_kv(const struct word *w, const char **key, size_t *keylen, const char **val);
/**
 * arg_u64() - argument @i as a size (@size: 4K, 16M, ...) or an address, or a
 * $variable holding a number (cli/verbs_proc.c). Return: 0, or the error
 * reported through ctx_error().
 */
int arg_u64(struct kmm_ctx *ctx, const struct args *a, int i, uint64_t *out, bool size);
/** parse_long() - whole-string decimal/hex integer. Return: 0 or -1. */
int parse_long(const char *s, long long *out);
/**
 * parse_addr() - whole-string decimal/hex address, 0 .. 2^64-1 with no sign, so
 * that an x86_64 kernel address (0xffffc90000000000) is one. Return: 0 or -1.
 */
int parse_addr(const char *s, uint64_t *out);

/* ---- Shared tables ---- */

extern const struct verb_table core_verbs;	/* cli/verbs_core.c */
extern const struct verb_table machine_verbs;	/* cli/verbs_machine.c */
extern const struct verb_table page_verbs;	/* cli/verbs_page.c */
extern const struct verb_table vmalloc_verbs;	/* cli/verbs_vmalloc.c */
extern const struct verb_table slab_verbs;	/* cli/verbs_slab.c */
extern const struct verb_table process_verbs;	/* cli/verbs_proc.c */
extern const struct verb_table mlock_verbs;	/* cli/verbs_mlock.c */
extern const struct verb_table trace_verbs;	/* cli/verbs_trace.c */
extern const struct verb_table oom_verbs;	/* cli/verbs_oom.c */
extern const struct verb_table lab_verbs;	/* cli/verbs_lab.c */
extern const struct verb_table pressure_verbs;	/* cli/verbs_pressure.c */
extern const struct verb_table file_verbs;	/* cli/verbs_file.c */
extern const struct verb_table report_verbs;	/* cli/verbs_report.c */
extern const struct verb_table hotplug_verbs;	/* cli/verbs_hotplug.c */

struct task_struct;
/** cli_find_task() - a process by name (the newest, live ones first) or pid (cli/verbs_proc.c). */
struct task_struct *cli_find_task(struct kmm_machine *m, const char *name);
/** pressure_page_run() - `page NAME ADDR`: where one page of a process is (cli/verbs_pressure.c). */
int pressure_page_run(struct kmm_ctx *ctx, const struct args *a);
/**
 * pressure_after_command() - run the kswapds the last command woke (kswapd=step)
 * and print their reports; the runner calls it after every command.
 */
void pressure_after_command(struct kmm_ctx *ctx);

/**
 * file_after_command() - the flusher's periodic writeback (kmm_writeback_run_pending)
 * of the current machine; the runner calls it after every command (cli/verbs_file.c).
 */
void file_after_command(struct kmm_ctx *ctx);

/* cli/free.c: procps-ng free(1) over a /proc/meminfo text. */
/**
 * free_format() - print `free` as procps-ng 4.0.2 does, from @meminfo.
 * @argc/@argv: the options (-b -k -m -g -h --si -l -t -w -v ...).
 * @out/@outlen: receives a malloc()ed text.
 * Return: 0, or -1 with @err describing the bad option.
 */
int free_format(const char *meminfo, int argc, const char *const *argv,
		char **out, char *err, size_t errlen);
/** free_check_args() - validate free's options. Return: -1 and @bad the index of a bad one, or 0. */
int free_check_args(int argc, const char *const *argv, int *bad, char *err, size_t errlen);

#endif /* KMM_CLI_VERBS_H */
