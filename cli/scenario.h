// SPDX-License-Identifier: MIT
/*
 * cli/scenario.h - the scenario language: parse a whole script, then run it.
 *
 * Linux counterpart: none. The grammar (docs/kmm.1 has the user's version):
 *
 *   script    := { statement (NEWLINE | ';') }
 *   statement := command { '|' filter } [ '>' PATH ] [ '->' '$'NAME ]
 *              | 'repeat' COUNT '{' script '}'
 *              | 'let' '$'NAME '=' expr
 *              | expr-verb expr...            (expect, print)
 *   command   := VERB { WORD }                WORD: bare, "double" or 'single'
 *                                             quoted, or $NAME
 *   '#' starts a comment where a word could start.
 *
 * Invariant: script_parse() either returns a complete tree in which every
 * verb exists, every argument passed its verb's check and every variable is
 * assigned before it is used, or it returns NULL having printed exactly one
 * "file:line:col: message" and run nothing.
 *
 * Locking: none; a script and a ctx belong to one thread.
 */
#ifndef KMM_CLI_SCENARIO_H
#define KMM_CLI_SCENARIO_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/verbs.h"

struct script;
struct report;

/* Exit statuses of the kmm command. */
enum {
	KMM_EXIT_OK = 0,
	KMM_EXIT_EXPECT = 1,	/* an expect failed, or a checker found a violation */
	KMM_EXIT_USAGE = 2,	/* bad usage or bad input */
};

/** The machine a script gets when it needs one before any `boot`. */
#define KMM_DEFAULT_CMDLINE "mem=1G arch=i386"

/**
 * Limits of a run (docs/kmm.1, ENVIRONMENT). A script stops with status 2
 * after KMM_DEFAULT_STEP_LIMIT steps (statements run and loop rounds; a few
 * seconds of simple statements), or before a command would take the kmm
 * process's host memory (its resident set) past KMM_DEFAULT_HOST_MEM.
 * KMM_STEP_LIMIT and KMM_HOST_MEM in the environment raise them (0: none).
 */
#define KMM_DEFAULT_STEP_LIMIT 100000000LL
#define KMM_DEFAULT_HOST_MEM (4ULL << 30)

/**
 * struct script_source - one piece of script text with its name, for messages.
 */
struct script_source {
	const char *name;	/* "tour.kmm", "-e", "<stdin>" */
	const char *text;
	size_t len;
	int first_line;		/* line number of the text's first line (1 usually) */
};

/**
 * script_parse() - parse @n sources into one script.
 * @err: receives the error ("file:line:col: message", no newline) on failure.
 * @incomplete: if non-NULL, set to true when the text ended inside an open
 *              `{` or quote (the shell then reads another line).
 *
 * Return: the script, or NULL on a syntax error or an argument a verb rejects.
 */
struct script *script_parse(const struct script_source *src, int n, char *err, size_t errlen,
			    bool *incomplete);
void script_free(struct script *s);

/** Options of a run. */
struct ctx_opts {
	FILE *out;		/* command output (stdout) */
	FILE *err;		/* messages (stderr) */
	bool interactive;	/* shell on a terminal: print results of alloc_pages etc. */
	bool echo;		/* print "$ command" before each top-level command (-x) */
	bool check_each_boot;	/* `kmm check`: run the checkers before each shutdown */
	const char *default_cmdline;	/* NULL: KMM_DEFAULT_CMDLINE */
	long long step_limit;		/* 0: KMM_STEP_LIMIT or the default; < 0: none */
	long long host_mem_limit;	/* bytes; 0: KMM_HOST_MEM or the default; < 0: none */
	bool quiet;		/* -q: drop the output of VERB_ACK verbs (acknowledgments) */
	bool host_files;	/* `> FILE` may write host files (kmm run, check, shell) */
	bool carets;		/* run-time errors show the line and a caret (the shell) */
	bool pager;		/* long VERB_PAGED output (help) goes through $PAGER */
	volatile sig_atomic_t *interrupt;	/* set (by SIGINT): stop at the next step */
	bool record;		/* sample the machine after every command, for a report */
	long report_points;	/* points kept per machine: 0 the default, < 0 all */
	bool progress;		/* a progress bar on stderr for long runs (a terminal) */
};

struct kmm_ctx *ctx_create(const struct ctx_opts *opts);
/**
 * ctx_set_source() - the text about to run (the shell's input, from line
 * @first_line of @name), so that opts.carets can show the line of an error.
 * @text must live until the run ends; NULL forgets it.
 */
void ctx_set_source(struct kmm_ctx *ctx, const char *name, int first_line, const char *text);
/** ctx_for_each_var() - call @fn with each variable's name (in no set order). */
void ctx_for_each_var(struct kmm_ctx *ctx, void (*fn)(const char *name, void *arg), void *arg);
/**
 * ctx_destroy() - shut down the machine and free everything.
 * Return: KMM_EXIT_EXPECT if check_each_boot found a violation at shutdown, else 0.
 */
int ctx_destroy(struct kmm_ctx *ctx);

/**
 * script_run() - run @s on @ctx (variables and machine persist across calls,
 * as in the shell).
 * Return: VERB_OK, VERB_EXPECT_FAILED (ran to the end, an expect failed),
 * VERB_ERROR (stopped at a run-time error) or VERB_EXIT.
 */
int script_run(struct kmm_ctx *ctx, const struct script *s);

/** ctx_expect_failures() - how many expects failed so far. */
int ctx_expect_failures(struct kmm_ctx *ctx);
/**
 * ctx_check() - run kmm_check() on the current machine and print a report.
 * Return: KMM_EXIT_OK or KMM_EXIT_EXPECT.
 */
int ctx_check(struct kmm_ctx *ctx, bool verbose);
/** ctx_exit_code() - the N of `exit N` (0 if none). */
int ctx_exit_code(struct kmm_ctx *ctx);

/**
 * script_uses_verb() - does @s (its loops included) run verb @name anywhere?
 * (`kmm run` records a report's history only when something will write one.)
 */
bool script_uses_verb(const struct script *s, const char *name);

/** ctx_host_files() - may verbs write host files here (opts.host_files)? */
bool ctx_host_files(struct kmm_ctx *ctx);
/** ctx_report() - the run's report recorder, or NULL when it records none (opts.record). */
struct report *ctx_report(struct kmm_ctx *ctx);

/* cli/scenario.c: allocation that exits with status 2 when the host is out of memory. */
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrndup(const char *s, size_t n);

/* ---- cli/shell.c ---- */
/**
 * kmm_shell() - the interactive shell, on a machine booted from @cmdline
 * (NULL: the default machine, at the first command that needs one); when
 * it ends, the HTML report of the session goes to @report (NULL: none).
 * Return: the process exit status.
 */
int kmm_shell(const char *cmdline, const char *report);
/** kmm_line_editing() - "libedit", "readline" or "none" (what this build uses). */
const char *kmm_line_editing(void);

#endif /* KMM_CLI_SCENARIO_H */
