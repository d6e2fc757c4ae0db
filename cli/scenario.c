// SPDX-License-Identifier: MIT
/*
 * cli/scenario.c - the scenario language: lexer and parser (the runner is
 * cli/runner.c).
 *
 * Linux counterpart: none; it reads like a session at a Linux prompt. The
 * parser knows the language (statements, quoting, pipes, `>`, `-> $var`,
 * `repeat N { }`, `let`, comments) and nothing about what a verb does: verbs
 * come from the tables in cli/verbs.c, and each verb checks its own arguments
 * at parse time through its check hook.
 *
 * The whole script is parsed before anything runs. A bad line is reported
 * once as "file:line:col: message" and the script does not start, so a
 * scenario never half-runs because of a typo on its last line. Run-time
 * errors (a failed boot, freeing a block twice) stop the script at that line
 * with the same message format.
 *
 * Invariant: a variable is used only after a statement that assigns it
 * appears earlier in the text (checked at parse time); a pageset is on
 * ctx->pagesets until the ctx is destroyed.
 *
 * Locking: none; one thread owns a ctx.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/expr.h"
#include "cli/scenario.h"
#include "cli/scenario_tree.h"
#include "lib/strmap.h"
#include "lib/util.h"

/* ---- Parser state ---- */

struct parser {
	const char *name;
	const char *p, *end;
	const char *line_start;
	int line;
	char *err;
	size_t errlen;
	bool failed;
	bool incomplete;
	struct strmap vars;	/* variables assigned so far (in the text) */
	struct kmm_ctx *ctx;	/* the shell's ctx: its variables count as assigned */
	int depth;		/* repeat nesting */
};
#define MAX_BLOCK_DEPTH 64

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "kmm: out of memory\n");
		exit(KMM_EXIT_USAGE);
	}
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p) {
		fprintf(stderr, "kmm: out of memory\n");
		exit(KMM_EXIT_USAGE);
	}
	return p;
}

/*
 * Make room for element @n of an array that holds @n elements: capacities
 * 4, 8, 16, ..., so that n appends cost O(n) copying in all.
 */
static void *grow_for(void *p, int n, size_t elem)
{
	if (n == 0 || (n >= 4 && !(n & (n - 1))))
		p = xrealloc(p, (size_t)(n ? 2 * n : 4) * elem);
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *d = xcalloc(1, n + 1);

	memcpy(d, s, n);
	return d;
}

/* A message is one line: control characters from quoted words become '?'. */
void sanitize(char *msg)
{
	for (unsigned char *q = (unsigned char *)msg; *q; q++)
		if (*q < 0x20 || *q == 0x7f)
			*q = '?';
}

static int col_of(const struct parser *ps, const char *at)
{
	return (int)(at - ps->line_start) + 1;
}

static void perr_at(struct parser *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void perr_at(struct parser *ps, const char *at, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(msg);
	snprintf(ps->err, ps->errlen, "%s:%d:%d: %s", ps->name, ps->line, col_of(ps, at), msg);
}

static bool ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static bool ident_char(int c)
{
	return isalnum(c) || c == '_';
}

static bool var_known(struct parser *ps, const char *name)
{
	return strmap_get(&ps->vars, name) || (ps->ctx && ctx_var(ps->ctx, name));
}

static void var_define(struct parser *ps, const char *name)
{
	if (!strmap_put(&ps->vars, name)) {
		fprintf(stderr, "kmm: out of memory\n");
		exit(KMM_EXIT_USAGE);
	}
}

/* ---- Lexing words ---- */

static void skip_blanks(struct parser *ps)
{
	while (ps->p < ps->end) {
		if (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r') {
			ps->p++;
		} else if (*ps->p == '\\' && ps->p + 1 < ps->end && ps->p[1] == '\n') {
			/* backslash-newline continues the statement */
			ps->p += 2;
			ps->line++;
			ps->line_start = ps->p;
		} else {
			break;
		}
	}
}

/* Does a statement end here (in word mode)? */
static bool at_end(const struct parser *ps)
{
	return ps->p >= ps->end || *ps->p == '\n' || *ps->p == ';' || *ps->p == '#';
}

static bool word_boundary(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';';
}

/*
 * Read one word: bare characters, "double quoted" (with \" \\ \n \t) and
 * 'single quoted' parts, glued together until a blank, newline or ';'.
 * Return: false on error (unterminated quote).
 */
static bool read_word(struct parser *ps, struct word *w)
{
	struct strbuf sb;
	const char *start = ps->p;

	sb_init(&sb);
	sb_puts(&sb, "");
	memset(w, 0, sizeof(*w));
	w->col = col_of(ps, start);
	while (ps->p < ps->end && !word_boundary(*ps->p)) {
		char c = *ps->p;

		if (c == '\\' && ps->p + 1 < ps->end && ps->p[1] == '\n')
			break;	/* backslash-newline: a blank that continues the line */

		if (c == '"' || c == '\'') {
			const char *q = ps->p++;

			w->quoted = true;
			for (;;) {
				if (ps->p >= ps->end || *ps->p == '\n') {
					perr_at(ps, q, "unterminated %s string",
						c == '"' ? "double-quoted" : "single-quoted");
					ps->incomplete = true;
					sb_free(&sb);
					return false;
				}
				if (*ps->p == c) {
					ps->p++;
					break;
				}
				if (c == '"' && *ps->p == '\\' && ps->p + 1 < ps->end &&
				    ps->p[1] != '\n') {
					char e = ps->p[1];
					const char *tr = strchr("nt\"\\", e);
					if (!tr) {
						perr_at(ps, ps->p, "unknown escape \\%c in a string "
							"(use \\\" \\\\ \\n or \\t)", e);
						sb_free(&sb);
						return false;
					}
					sb_printf(&sb, "%c", e == 'n' ? '\n' : e == 't' ? '\t' : e);
					ps->p += 2;
					continue;
				}
				sb_printf(&sb, "%c", *ps->p);
				ps->p++;
			}
			continue;
		}
		if ((unsigned char)c < 0x20 && c != '\t') {
			perr_at(ps, ps->p, "control character 0x%02x in a word", (unsigned char)c);
			sb_free(&sb);
			return false;
		}
		sb_printf(&sb, "%c", c);
		ps->p++;
	}
	w->text = sb_detach(&sb);
	if (!w->text) {
		fprintf(stderr, "kmm: out of memory\n");
		exit(KMM_EXIT_USAGE);
	}
	/* $name or $name.field, unquoted, is a variable reference */
	if (!w->quoted && w->text[0] == '$' && ident_start((unsigned char)w->text[1])) {
		const char *s = w->text + 1;
		bool ok = true;

		while (*s) {
			if (*s == '.') {
				if (!ident_start((unsigned char)s[1])) {
					ok = false;
					break;
				}
				s++;
			} else if (!ident_char((unsigned char)*s)) {
				ok = false;
				break;
			}
			s++;
		}
		if (ok) {
			memmove(w->text, w->text + 1, strlen(w->text));
			w->is_var = true;
		}
	}
	return true;
}

static bool is_op(const struct word *w, const char *op)
{
	return !w->quoted && !w->is_var && !strcmp(w->text, op);
}

static void free_words(struct word *w, int n)
{
	for (int i = 0; i < n; i++)
		free(w[i].text);
	free(w);
}


static const char *closest_verb(const char *name)
{
	size_t nt;
	const struct verb_table *const *t = verb_tables(&nt);
	const char *best = NULL;
	int bestd = 3;

	for (size_t i = 0; i < nt; i++) {
		for (size_t j = 0; j < t[i]->nr_verbs; j++) {
			int d = kmm_edit_distance(name, t[i]->verbs[j].name);
			if (d < bestd) {
				bestd = d;
				best = t[i]->verbs[j].name;
			}
		}
	}
	return best;
}

/* ---- Statements ---- */

static void free_stmts(struct stmt *s, int n);

static void free_stage(struct stage *st)
{
	free_words(st->words, st->nwords);
	for (int i = 0; i < st->nexprs; i++)
		expr_free(st->exprs[i]);
	free(st->exprs);
}

static void free_stmt(struct stmt *s)
{
	for (int i = 0; i < s->nstages; i++)
		free_stage(&s->stages[i]);
	free(s->stages);
	free(s->text);
	free(s->redirect);
	free(s->result);
	free(s->count_var);
	free_stmts(s->body, s->nbody);
	free(s->var);
	expr_free(s->expr);
}

static void free_stmts(struct stmt *s, int n)
{
	for (int i = 0; i < n; i++)
		free_stmt(&s[i]);
	free(s);
}

static void set_text(struct stmt *s, const char *from, const char *to)
{
	while (to > from && (to[-1] == ' ' || to[-1] == '\t' || to[-1] == '\r'))
		to--;
	s->text = xstrndup(from, (size_t)(to - from));
}

/* Check the variables a word list uses; run the verb's check hook. */
static bool check_stage(struct parser *ps, struct stmt *s, struct stage *st, const char *result)
{
	for (int i = 0; i < st->nwords; i++) {
		struct word *w = &st->words[i];
		if (w->is_var) {
			char name[128];
			size_t n = strcspn(w->text, ".");
			snprintf(name, sizeof(name), "%.*s", (int)KMM_MIN(n, sizeof(name) - 1), w->text);
			if (!var_known(ps, name)) {
				ps->p = ps->line_start + w->col - 1;
				perr_at(ps, ps->p, "$%s is not set: assign it first with `-> $%s` "
					"or `let $%s = ...`", name, name, name);
				return false;
			}
		}
	}
	/*
	 * A verb whose synopsis is its bare name takes no words; one without a
	 * check hook of its own would run and ignore them (review20 R2:
	 * `check extra`, `oom_scores extra`).
	 */
	if (!st->verb->check && st->nwords && !strcmp(st->verb->synopsis, st->verb->name)) {
		if (!ps->failed) {
			ps->failed = true;
			snprintf(ps->err, ps->errlen, "%s:%d:%d: %s takes no arguments", ps->name,
				 s->line, st->words[0].col, st->verb->name);
		}
		return false;
	}
	if (st->verb->check) {
		struct verb_check vc = { .file = ps->name, .line = ps->line };
		struct args a = {
			.verb = st->verb, .file = ps->name, .line = s->line,
			.argc = st->nwords, .argv = st->words, .verb_col = st->verb_col,
			.result = result, .nexprs = st->nexprs, .exprs = st->exprs,
			.text = s->text,
		};
		if (st->verb->check(&vc, &a) != VERB_OK || vc.failed) {
			if (!ps->failed) {
				ps->failed = true;
				sanitize(vc.msg);
				snprintf(ps->err, ps->errlen, "%s:%d:%d: %s", ps->name, s->line,
					 vc.col ? vc.col : st->verb_col,
					 vc.msg[0] ? vc.msg : "bad arguments");
			}
			return false;
		}
	}
	return true;
}

/* Parse expressions up to the end of the statement (VERB_EXPR verbs). */
static bool parse_exprs(struct parser *ps, struct stage *st)
{
	for (;;) {
		skip_blanks(ps);
		if (ps->p >= ps->end || *ps->p == '\n' || *ps->p == ';' || *ps->p == '#' ||
		    *ps->p == '}')
			return true;
		struct expr_parser ep = {
			.p = ps->p, .end = ps->end, .line_start = ps->line_start,
			.var_known = (bool (*)(void *, const char *))var_known, .opaque = ps,
		};
		struct expr *e = expr_parse(&ep);
		if (!e) {
			ps->p = ep.err_at ? ep.err_at : ep.p;
			perr_at(ps, ps->p, "%s", ep.err);
			ps->incomplete = ps->incomplete || ep.incomplete;
			return false;
		}
		ps->p = ep.p;
		st->exprs = grow_for(st->exprs, st->nexprs, sizeof(*st->exprs));
		st->exprs[st->nexprs++] = e;
	}
}

static bool parse_block(struct parser *ps, struct stmt **out, int *nout, bool closing,
			const char *open_at, int open_line);

static bool parse_repeat(struct parser *ps, struct stmt *s, const struct word *kw)
{
	struct word w;

	skip_blanks(ps);
	if (at_end(ps)) {
		perr_at(ps, ps->p, "repeat needs a count: repeat N { ... }");
		return false;
	}
	if (!read_word(ps, &w))
		return false;
	s->count_col = w.col;
	if (w.is_var) {
		if (strchr(w.text, '.') || !var_known(ps, w.text)) {
			ps->p = ps->line_start + w.col - 1;
			perr_at(ps, ps->p, strchr(w.text, '.') ? "repeat count must be a number or $name"
				: "$%s is not set", w.text);
			free(w.text);
			return false;
		}
		s->count_var = w.text;
	} else {
		long long n;
		if (w.quoted || parse_long(w.text, &n) || n < 0 || n > 100000000) {
			perr_at(ps, ps->line_start + w.col - 1,
				"repeat count must be a number from 0 to 100000000, not '%s'", w.text);
			free(w.text);
			return false;
		}
		s->count = n;
		free(w.text);
	}
	skip_blanks(ps);
	const char *brace = ps->p;
	if (at_end(ps)) {
		perr_at(ps, ps->p, "expected '{' after the repeat count");
		return false;
	}
	if (!read_word(ps, &w))
		return false;
	if (!is_op(&w, "{")) {
		perr_at(ps, brace, "expected '{' after the repeat count, found '%s'", w.text);
		free(w.text);
		return false;
	}
	free(w.text);
	(void)kw;
	if (ps->depth >= MAX_BLOCK_DEPTH) {
		perr_at(ps, brace, "repeat blocks nested too deeply (at most %d)", MAX_BLOCK_DEPTH);
		return false;
	}
	ps->depth++;
	bool ok = parse_block(ps, &s->body, &s->nbody, true, brace, ps->line);
	ps->depth--;
	return ok;
}

static bool parse_let(struct parser *ps, struct stmt *s)
{
	skip_blanks(ps);
	const char *at = ps->p;

	if (ps->p >= ps->end || *ps->p != '$' || ps->p + 1 >= ps->end ||
	    !ident_start((unsigned char)ps->p[1])) {
		perr_at(ps, at, "let needs a variable: let $name = EXPRESSION");
		return false;
	}
	const char *n0 = ++ps->p;
	while (ps->p < ps->end && ident_char((unsigned char)*ps->p))
		ps->p++;
	char *name = xstrndup(n0, (size_t)(ps->p - n0));
	skip_blanks(ps);
	if (ps->p >= ps->end || *ps->p != '=' || (ps->p + 1 < ps->end && ps->p[1] == '=')) {
		perr_at(ps, ps->p, "expected '=' after $%s", name);
		free(name);
		return false;
	}
	ps->p++;
	skip_blanks(ps);
	if (ps->p >= ps->end || *ps->p == '\n' || *ps->p == ';' || *ps->p == '#') {
		perr_at(ps, ps->p, "expected an expression after '='");
		free(name);
		return false;
	}
	struct expr_parser ep = {
		.p = ps->p, .end = ps->end, .line_start = ps->line_start,
		.var_known = (bool (*)(void *, const char *))var_known, .opaque = ps,
	};
	s->expr = expr_parse(&ep);
	if (!s->expr) {
		ps->p = ep.err_at ? ep.err_at : ep.p;
		perr_at(ps, ps->p, "%s", ep.err);
		ps->incomplete = ps->incomplete || ep.incomplete;
		free(name);
		return false;
	}
	ps->p = ep.p;
	s->var = name;
	var_define(ps, name);
	return true;
}

/* A command: stages separated by '|', then '> PATH' and/or '-> $name'. */
static bool parse_command(struct parser *ps, struct stmt *s, struct word *first)
{
	struct word w = *first;

	for (;;) {
		const struct verb *v = verb_find(w.text);
		struct stage st = { 0 };

		if (!v || (v->flags & VERB_SYNTAX)) {
			const char *near = v ? NULL : closest_verb(w.text);
			ps->p = ps->line_start + w.col - 1;
			if (w.quoted || w.is_var)
				perr_at(ps, ps->p, "expected a command, found %s%s%s",
					w.is_var ? "$" : "'", w.text, w.is_var ? "" : "'");
			else if (v)
				perr_at(ps, ps->p, "'%s' is not allowed here", w.text);
			else if (near)
				perr_at(ps, ps->p, "unknown command '%s' (did you mean '%s'? "
					"`help` lists the commands)", w.text, near);
			else
				perr_at(ps, ps->p, "unknown command '%s' (`help` lists the commands)",
					w.text);
			free(w.text);
			return false;
		}
		if (s->nstages > 0 && !(v->flags & VERB_FILTER)) {
			ps->p = ps->line_start + w.col - 1;
			perr_at(ps, ps->p, "'%s' does not read input, so it cannot follow '|' "
				"(filters: grep, head, tail, wc)", w.text);
			free(w.text);
			return false;
		}
		if (s->nstages == 0 && (v->flags & VERB_FILTER)) {
			ps->p = ps->line_start + w.col - 1;
			perr_at(ps, ps->p, "'%s' filters another command's output: "
				"write `COMMAND | %s ...`", w.text, w.text);
			free(w.text);
			return false;
		}
		st.verb = v;
		st.verb_col = w.col;
		free(w.text);
		if (v->flags & VERB_EXPR) {
			if (!parse_exprs(ps, &st)) {
				free_stage(&st);
				return false;
			}
			s->stages = grow_for(s->stages, s->nstages, sizeof(*s->stages));
			s->stages[s->nstages++] = st;
			return check_stage(ps, s, &s->stages[s->nstages - 1], NULL);
		}
		/* words up to the end, '|', '>', '->' or '}' */
		bool more_stage = false;
		for (;;) {
			skip_blanks(ps);
			if (at_end(ps))
				break;
			const char *at = ps->p;
			if (!read_word(ps, &w)) {
				free_stage(&st);
				return false;
			}
			if (is_op(&w, "}")) {
				ps->p = at;	/* the block's closing brace */
				free(w.text);
				break;
			}
			if (is_op(&w, "|")) {
				free(w.text);
				more_stage = true;
				break;
			}
			if (is_op(&w, ">") || is_op(&w, ">>") || is_op(&w, "->")) {
				ps->p = at;
				free(w.text);
				break;
			}
			if (is_op(&w, "{")) {
				perr_at(ps, at, "unexpected '{' (only `repeat N {` opens a block)");
				free(w.text);
				free_stage(&st);
				return false;
			}
			if (!w.quoted && !w.is_var && w.text[0] == '>' ) {
				perr_at(ps, at, "write a space after '>': `echo N > /proc/sys/vm/...`");
				free(w.text);
				free_stage(&st);
				return false;
			}
			st.words = grow_for(st.words, st.nwords, sizeof(*st.words));
			st.words[st.nwords++] = w;
		}
		s->stages = grow_for(s->stages, s->nstages, sizeof(*s->stages));
		s->stages[s->nstages++] = st;
		if (!more_stage)
			break;
		skip_blanks(ps);
		if (at_end(ps)) {
			perr_at(ps, ps->p, "expected a command after '|'");
			return false;
		}
		if (!read_word(ps, &w))
			return false;
	}
	/* redirection and result */
	for (;;) {
		skip_blanks(ps);
		if (at_end(ps))
			break;
		const char *at = ps->p;
		if (!read_word(ps, &w))
			return false;
		if (is_op(&w, "}")) {
			ps->p = at;
			free(w.text);
			break;
		}
		if (is_op(&w, ">") || is_op(&w, ">>")) {
			bool append = w.text[1] == '>';
			free(w.text);
			if (s->redirect || s->result) {
				perr_at(ps, at, "only one '>' per command, before any '->'");
				return false;
			}
			skip_blanks(ps);
			if (at_end(ps)) {
				perr_at(ps, ps->p, "expected a file after '>': "
					"`echo N > /proc/sys/vm/NAME` or `cat /proc/meminfo > FILE`");
				return false;
			}
			const char *pat = ps->p;
			if (!read_word(ps, &w))
				return false;
			if (w.is_var || !w.text[0]) {
				perr_at(ps, pat, "'>' needs a file name: a /proc or /sys file of the "
					"machine, or a file on the host (`cat /proc/meminfo > meminfo.txt`)");
				free(w.text);
				return false;
			}
			if (append && redirect_is_machine(w.text)) {
				perr_at(ps, at, "'>>' appends to a host file; write a /proc or /sys file "
					"with '>'");
				free(w.text);
				return false;
			}
			s->redirect = w.text;
			s->redirect_col = w.col;
			s->redirect_append = append;
			continue;
		}
		if (is_op(&w, "->")) {
			free(w.text);
			if (s->result) {
				perr_at(ps, at, "only one '->' per command");
				return false;
			}
			const struct stage *last = &s->stages[s->nstages - 1];
			if (!(s->stages[0].verb->flags & VERB_RESULT) || s->nstages > 1) {
				perr_at(ps, at, "'%s' does not return a value to store with '->'",
					last->verb->name);
				return false;
			}
			skip_blanks(ps);
			const char *vat = ps->p;
			if (at_end(ps)) {
				perr_at(ps, ps->p, "expected a variable after '->', e.g. -> $p");
				return false;
			}
			if (!read_word(ps, &w))
				return false;
			if (!w.is_var || strchr(w.text, '.')) {
				perr_at(ps, vat, "expected a variable after '->' (like $p), found '%s'",
					w.text);
				free(w.text);
				return false;
			}
			s->result = w.text;
			continue;
		}
		perr_at(ps, at, "unexpected '%s' after %s", w.text,
			s->result ? "the result variable" : "the file name");
		free(w.text);
		return false;
	}
	if (s->redirect && s->result) {
		perr_at(ps, ps->p, "a command cannot both write to a file and return a value");
		return false;
	}
	for (int i = 0; i < s->nstages; i++) {
		/* the result is defined after the statement: check uses first */
		if (!check_stage(ps, s, &s->stages[i], i == 0 ? s->result : NULL))
			return false;
	}
	if (s->result)
		var_define(ps, s->result);
	else if (s->nstages == 1 && (s->stages[0].verb->flags & VERB_RESULT))
		var_define(ps, "_");	/* an uncaptured result is kept in $_ */
	return true;
}

/*
 * Parse statements until the end of the text or, with @closing, a '}'.
 */
static bool parse_block(struct parser *ps, struct stmt **out, int *nout, bool closing,
			const char *open_at, int open_line)
{
	struct stmt *stmts = NULL;
	int n = 0, cap = 0;

	for (;;) {
		skip_blanks(ps);
		if (ps->p >= ps->end) {
			if (closing) {
				(void)open_at;
				perr_at(ps, ps->p, "missing '}' to close the repeat block opened on "
					"line %d", open_line);
				ps->incomplete = true;
				free_stmts(stmts, n);
				return false;
			}
			break;
		}
		if (*ps->p == '\n') {
			ps->p++;
			ps->line++;
			ps->line_start = ps->p;
			continue;
		}
		if (*ps->p == ';') {
			ps->p++;
			continue;
		}
		if (*ps->p == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
			continue;
		}
		const char *start = ps->p;
		struct word w;
		if (!read_word(ps, &w)) {
			free_stmts(stmts, n);
			return false;
		}
		if (is_op(&w, "}")) {
			free(w.text);
			if (!closing) {
				perr_at(ps, start, "unexpected '}' without a `repeat N {`");
				free_stmts(stmts, n);
				return false;
			}
			*out = stmts;
			*nout = n;
			return true;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			stmts = xrealloc(stmts, (size_t)cap * sizeof(*stmts));
		}
		struct stmt *s = &stmts[n++];
		memset(s, 0, sizeof(*s));
		s->file = ps->name;
		s->line = ps->line;
		s->col = col_of(ps, start);
		bool ok;
		if (!w.quoted && !w.is_var && !strcmp(w.text, "repeat")) {
			s->kind = STMT_REPEAT;
			free(w.text);
			ok = parse_repeat(ps, s, NULL);
			if (ok) {
				/* the text of a repeat is its header line, or the repeat
				 * itself when it closes on that line: never the rest of a
				 * line that holds more statements (each repeat of a long
				 * one-line script would copy the whole line) */
				const char *eol = memchr(start, '\n', (size_t)(ps->end - start));
				if (!eol)
					eol = ps->end;
				set_text(s, start, ps->p < eol ? ps->p : eol);
			}
		} else if (!w.quoted && !w.is_var && !strcmp(w.text, "let")) {
			s->kind = STMT_LET;
			free(w.text);
			ok = parse_let(ps, s);
			if (ok) {
				set_text(s, start, ps->p);
				s->host_only = !expr_reads_machine(s->expr);
			}
		} else {
			s->kind = STMT_CMD;
			ok = parse_command(ps, s, &w);
			if (ok) {
				free(s->text);
				set_text(s, start, ps->p);
			}
		}
		if (!ok) {
			free_stmts(stmts, n);
			return false;
		}
		/* the statement must end here */
		skip_blanks(ps);
		if (ps->p < ps->end && !at_end(ps) && *ps->p != '}') {
			perr_at(ps, ps->p, "unexpected text after the command");
			free_stmts(stmts, n);
			return false;
		}
	}
	*out = stmts;
	*nout = n;
	return true;
}

struct script *script_parse_ctx(struct kmm_ctx *ctx, const struct script_source *src, int n,
				 char *err, size_t errlen, bool *incomplete)
{
	struct script *s = xcalloc(1, sizeof(*s));
	struct parser ps = { .err = err, .errlen = errlen, .ctx = ctx };
	bool ok = true;

	if (incomplete)
		*incomplete = false;
	if (errlen)
		err[0] = '\0';
	s->names = xcalloc((size_t)n, sizeof(char *));
	for (int i = 0; i < n && ok; i++) {
		struct stmt *stmts = NULL;
		int ns = 0;

		s->names[s->nnames++] = xstrndup(src[i].name, strlen(src[i].name));
		ps.name = s->names[i];
		ps.p = src[i].text;
		ps.end = src[i].text + src[i].len;
		ps.line_start = ps.p;
		ps.line = src[i].first_line > 0 ? src[i].first_line : 1;
		if (memchr(src[i].text, '\0', src[i].len)) {
			const char *z = memchr(src[i].text, '\0', src[i].len);
			for (const char *q = src[i].text; q < z; q++)
				if (*q == '\n') {
					ps.line++;
					ps.line_start = q + 1;
				}
			ps.p = z;
			perr_at(&ps, z, "NUL byte in the script");
			ok = false;
			break;
		}
		ok = parse_block(&ps, &stmts, &ns, false, NULL, 0);
		if (ok && ns) {
			s->stmts = xrealloc(s->stmts, (size_t)(s->nstmts + ns) * sizeof(*s->stmts));
			memcpy(s->stmts + s->nstmts, stmts, (size_t)ns * sizeof(*stmts));
			s->nstmts += ns;
			free(stmts);
		}
	}
	strmap_free(&ps.vars, NULL);
	if (incomplete)
		*incomplete = ps.incomplete;
	if (!ok) {
		script_free(s);
		return NULL;
	}
	return s;
}

struct script *script_parse(const struct script_source *src, int n, char *err, size_t errlen,
			    bool *incomplete)
{
	return script_parse_ctx(NULL, src, n, err, errlen, incomplete);
}

void script_free(struct script *s)
{
	if (!s)
		return;
	free_stmts(s->stmts, s->nstmts);
	for (int i = 0; i < s->nnames; i++)
		free(s->names[i]);
	free(s->names);
	free(s);
}

int script_nr_statements(const struct script *s)
{
	return s ? s->nstmts : 0;
}
