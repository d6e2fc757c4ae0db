// SPDX-License-Identifier: MIT
/*
 * cli/scenario_tree.h - the parse tree shared by the parser (cli/scenario.c)
 * and the runner (cli/runner.c), and their small allocation helpers.
 *
 * Linux counterpart: none. Private to those two files, and to the report's
 * recorder (cli/report_sample.c), which reads a statement's source.
 *
 * Invariant: a tree handed to the runner passed every check of the parser
 * (verbs exist, arguments accepted, variables assigned before use).
 */
#ifndef KMM_CLI_SCENARIO_TREE_H
#define KMM_CLI_SCENARIO_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/expr.h"
#include "cli/scenario.h"


enum stmt_kind { STMT_CMD, STMT_REPEAT, STMT_LET };

struct stage {
	const struct verb *verb;
	int verb_col;
	int nwords;
	struct word *words;
	int nexprs;
	struct expr **exprs;
};

struct stmt {
	enum stmt_kind kind;
	const char *file;	/* points into script->names */
	int line, col;
	char *text;		/* source text of the statement, trimmed */
	/* STMT_CMD */
	int nstages;
	struct stage *stages;
	char *redirect;		/* "> PATH" or ">> PATH" */
	int redirect_col;
	bool redirect_append;	/* ">>": a host file, appended to */
	char *result;		/* "-> $name" */
	/* STMT_REPEAT: count (literal or variable), body */
	long long count;
	char *count_var;
	int count_col;
	struct stmt *body;
	int nbody;
	/* STMT_LET */
	char *var;
	struct expr *expr;
	bool host_only;		/* the expression reads no machine (expr_reads_machine) */
};

struct script {
	struct stmt *stmts;
	int nstmts;
	char **names;		/* source names, owned */
	int nnames;
};

/**
 * redirect_is_machine() - does `> @path` write the machine's /proc or /sys
 * file (rather than a file on the host)? (cli/runner.c)
 */
bool redirect_is_machine(const char *path);

/* cli/scenario.c: one-line messages (the allocation helpers are in cli/scenario.h). */
/** sanitize() - make @msg one line: control characters become '?'. */
void sanitize(char *msg);

#endif /* KMM_CLI_SCENARIO_TREE_H */
