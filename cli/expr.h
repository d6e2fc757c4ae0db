// SPDX-License-Identifier: MIT
/*
 * cli/expr.h - expressions of the scenario language (expect, let, print).
 *
 * Linux counterpart: none. Grammar, loosest first:
 *   expr  := and { '||' and }
 *   and   := not { '&&' not }
 *   not   := '!' not | cmp
 *   cmp   := sum [ ('=='|'!='|'<'|'<='|'>'|'>='|'contains'|'!contains') sum ]
 *   sum   := prod { ('+'|'-') prod }
 *   prod  := unary { ('*'|'/'|'%') unary }
 *   unary := '-' unary | primary
 *   primary := NUMBER | "string" | 'string' | NULL | $name[.field] | TERM | '(' expr ')'
 * A TERM is a registered name (cli/verbs.h struct term): `zone.Normal.free`,
 * `/proc/meminfo:MemFree`, `output`, ... Names may contain letters, digits and
 * _ . / : @ [ ], and '-' between two letters or digits.
 *
 * Invariant: a parsed expression only names variables that var_known()
 * accepted and terms whose check() accepted them.
 */
#ifndef KMM_CLI_EXPR_H
#define KMM_CLI_EXPR_H

#include <stdbool.h>

#include "cli/verbs.h"

struct expr_parser {
	const char *p, *end;		/* in: text; out: p after the expression */
	const char *line_start;		/* for columns */
	bool (*var_known)(void *opaque, const char *name);
	void *opaque;
	char err[256];			/* out: message on failure */
	const char *err_at;		/* out: where */
	bool incomplete;		/* out: text ended inside a string */
	int depth;			/* nesting, capped at EXPR_MAX_DEPTH */
};
#define EXPR_MAX_DEPTH 200

/** expr_parse() - parse one expression. Return: the tree, or NULL (ep->err set). */
struct expr *expr_parse(struct expr_parser *ep);
void expr_free(struct expr *e);
/** expr_col() - 1-based column of @e in its line. */
int expr_col(const struct expr *e);
/**
 * expr_reads_machine() - may evaluating @e look at a machine? True when it
 * names a term or a field ($p.pfn); false when it computes on literals and
 * variables only (the report's recorder need not sample after such a `let`).
 */
bool expr_reads_machine(const struct expr *e);

/* cli/verbs_page.c: fields of a pageset value ($p.pfn, $p.zone, ...). */
int page_field(struct kmm_ctx *ctx, const struct pageset *ps, const char *field,
	       struct value *out, char *err, size_t errlen);
bool page_field_known(const char *field);
/*
 * cli/runner.c: fields of any value: .errno (every value: the name of the
 * error of the call that produced it, "" on success), then the page fields.
 */
int value_field(struct kmm_ctx *ctx, const struct value *v, const char *field, struct value *out,
		char *err, size_t errlen);
bool value_field_known(const char *field);
/* pageset_unusable(): declared in cli/verbs.h. */
const char *pageset_unusable(struct kmm_ctx *ctx, const struct pageset *ps);

/* cli/scenario.c: extras for main.c, shell.c and the fuzz target. */
struct script_source;
struct script *script_parse_ctx(struct kmm_ctx *ctx, const struct script_source *src, int n,
				 char *err, size_t errlen, bool *incomplete);
int script_nr_statements(const struct script *s);
void ctx_set_exit_code(struct kmm_ctx *ctx, int code);

#endif /* KMM_CLI_EXPR_H */
