// SPDX-License-Identifier: MIT
/*
 * cli/manual.h - what the kmm command documents about itself, as tables:
 * its commands (kmm boot, run, ...), their options, the environment
 * variables, the exit statuses and the help topics; and the writer that
 * turns these tables and the verb tables (cli/verbs.h) into the manual
 * page, docs/kmm.1 (`kmm help --man`, `make man`).
 *
 * Linux counterpart: none.
 *
 * One source for `--help`, `help TOPIC` and the manual: a command, verb,
 * value, option or variable exists in the manual exactly when it exists in
 * a table. HOW TO ADD:
 *   - a kmm command (kmm lab, kmm trace): one `struct kmm_command` row in
 *     cli/main.c's commands[] (its options in a `struct kmm_option_doc`
 *     array beside it);
 *   - verbs and values: rows in a verb table (cli/verbs.h); a new table
 *     gives itself an intro and a short example, shown as its section;
 *   - an environment variable read anywhere in kmm: one row in env_docs[]
 *     (cli/manual.c); tests/integration_cli_manual.c fails on a getenv()
 *     of a name the table lacks.
 * Then run `make man` to regenerate docs/kmm.1 (the test compares it with
 * what the tables give, so it cannot go stale).
 */
#ifndef KMM_CLI_MANUAL_H
#define KMM_CLI_MANUAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One option of a kmm command: "-e LINE", "--format json|csv". */
struct kmm_option_doc {
	const char *flags;	/* "-e, --expression" */
	const char *arg;	/* "LINE", or NULL */
	const char *help;	/* one or two sentences */
};

/* A kmm command: `kmm NAME ARGS`. */
struct kmm_command {
	const char *name;		/* "run" */
	const char *synopsis;		/* "[-x] [-n] [-q] [FILE.kmm | -] [-e LINE]..." */
	const char *summary;		/* one line for `kmm --help` */
	const char *description;	/* paragraphs (blank-line separated) */
	const struct kmm_option_doc *options;
	size_t nr_options;
	const char *examples;		/* one command per line, or NULL */
	const char *exit_status;	/* one line, or NULL: the common statuses */
	int (*main)(int argc, char **argv);	/* argv[0] is the first argument */
	bool boot_options;		/* takes boot options: --help lists them */
};

/* A named piece of documentation: an environment variable, an exit status. */
struct doc_item {
	const char *name;
	const char *text;
};

extern const struct doc_item env_docs[];
extern const size_t nr_env_docs;
extern const struct doc_item exit_docs[];
extern const size_t nr_exit_docs;
extern const struct doc_item value_docs[];	/* values every expression has */
extern const size_t nr_value_docs;
extern const struct doc_item boot_option_docs[];
extern const size_t nr_boot_option_docs;
/** The scenario language in brief (`help syntax`). */
extern const char syntax_help[];
/** The interactive shell's keys, history and completion (`help shell`). */
extern const char shell_help[];

struct strbuf;
/**
 * doc_wrap() - append @text to @sb wrapped at @width columns, each line
 * indented by @indent; a newline in @text breaks the line, a blank line
 * separates paragraphs. @col0: the column the text starts at (0 at the
 * start of a line; then the first line gets no indent).
 */
void doc_wrap(struct strbuf *sb, const char *text, int indent, int width, int col0);

/** command_usage() - `kmm NAME --help`: synopsis, description, options, examples. */
void command_usage(FILE *out, const struct kmm_command *cmd);
/** commands_usage() - `kmm --help`: every command with its summary. */
void commands_usage(FILE *out, const struct kmm_command *const *cmds, size_t n);
/** command_find() - the command called @name, or NULL. */
const struct kmm_command *command_find(const struct kmm_command *const *cmds, size_t n,
				       const char *name);

/**
 * manual_write() - the whole manual page in roff (man(7)) from the tables.
 * @version: printed in the page's header ("0.1.0").
 * Deterministic: no date, nothing from the build host.
 */
void manual_write(FILE *out, const struct kmm_command *const *cmds, size_t n,
		  const char *version);

#endif /* KMM_CLI_MANUAL_H */
