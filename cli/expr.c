// SPDX-License-Identifier: MIT
/*
 * cli/expr.c - parse and evaluate the expressions of `expect`, `let` and
 * `print`.
 *
 * Linux counterpart: none. Values are 64-bit integers, text, or the blocks an
 * alloc_pages returned (NULL when it failed). Comparisons report both sides
 * so that a failed `expect` says what it saw.
 *
 * Invariant: every node keeps the source text it was parsed from (for
 * messages) and its column.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/expr.h"
#include "cli/scenario.h"
#include "lib/util.h"

enum expr_op {
	E_INT, E_STR, E_NULL, E_VAR, E_TERM,
	E_NEG, E_NOT,
	E_ADD, E_SUB, E_MUL, E_DIV, E_MOD,
	E_EQ, E_NE, E_LT, E_LE, E_GT, E_GE, E_CONTAINS, E_NCONTAINS,
	E_AND, E_OR,
};

struct expr {
	enum expr_op op;
	int col;
	char *text;		/* source text */
	long long i;
	char *s;		/* string literal, variable name, or term name */
	char *field;		/* $name.field */
	const struct term *term;
	struct expr *l, *r;
};

static const char *const op_names[] = {
	[E_ADD] = "+", [E_SUB] = "-", [E_MUL] = "*", [E_DIV] = "/", [E_MOD] = "%",
	[E_EQ] = "==", [E_NE] = "!=", [E_LT] = "<", [E_LE] = "<=", [E_GT] = ">",
	[E_GE] = ">=", [E_CONTAINS] = "contains", [E_NCONTAINS] = "!contains",
	[E_AND] = "&&", [E_OR] = "||",
};

/* ---- Parsing ---- */

static struct expr *new_node(enum expr_op op, const struct expr_parser *ep, const char *at)
{
	struct expr *e = calloc(1, sizeof(*e));

	if (!e) {
		fprintf(stderr, "kmm: out of memory\n");
		exit(KMM_EXIT_USAGE);
	}
	e->op = op;
	e->col = (int)(at - ep->line_start) + 1;
	return e;
}

static char *dup_range(const char *a, const char *b)
{
	char *s = malloc((size_t)(b - a) + 1);

	if (!s) {
		fprintf(stderr, "kmm: out of memory\n");
		exit(KMM_EXIT_USAGE);
	}
	memcpy(s, a, (size_t)(b - a));
	s[b - a] = '\0';
	return s;
}

/*
 * Iterative along the left spine: a chain `a + b + c + ...` of n terms is a
 * left-deep tree n nodes tall, which recursion would follow n frames deep.
 * Right operands are at most one precedence level or one '(' deeper.
 */
void expr_free(struct expr *e)
{
	while (e) {
		struct expr *l = e->l;
		expr_free(e->r);
		free(e->text);
		free(e->s);
		free(e->field);
		free(e);
		e = l;
	}
}

int expr_col(const struct expr *e)
{
	return e->col;
}

bool expr_reads_machine(const struct expr *e)
{
	for (; e; e = e->l) {	/* the left spine in a loop, as expr_free() walks it */
		if (e->op == E_TERM || e->field || expr_reads_machine(e->r))
			return true;
	}
	return false;
}

const char *expr_text(const struct expr *e)
{
	return e->text ? e->text : "";
}

static bool fail(struct expr_parser *ep, const char *at, const char *msg)
{
	if (!ep->err[0]) {
		snprintf(ep->err, sizeof(ep->err), "%s", msg);
		ep->err_at = at;
	}
	return false;
}

static void skip_ws(struct expr_parser *ep)
{
	while (ep->p < ep->end && (*ep->p == ' ' || *ep->p == '\t' || *ep->p == '\r'))
		ep->p++;
}

static bool at_stop(const struct expr_parser *ep)
{
	return ep->p >= ep->end || *ep->p == '\n' || *ep->p == ';' || *ep->p == '#' ||
	       *ep->p == '}';
}

static bool name_start(int c)
{
	return isalpha(c) || c == '_' || c == '/';
}

static bool name_char(const struct expr_parser *ep, const char *q)
{
	int c = (unsigned char)*q;

	if (isalnum(c) || c == '_' || c == '.' || c == '/' || c == ':' || c == '@' || c == '[' ||
	    c == ']')
		return true;
	/* '-' inside a name (kmalloc-64) when between letters or digits */
	return c == '-' && q + 1 < ep->end && isalnum((unsigned char)q[-1]) &&
	       isalnum((unsigned char)q[1]);
}

static bool word_is(const struct expr_parser *ep, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(ep->end - ep->p) >= n && !memcmp(ep->p, w, n) &&
	       (ep->p + n == ep->end || !name_char(ep, ep->p + n));
}

static struct expr *parse_or(struct expr_parser *ep);


/* The exact-name value closest to @name (at most 3 edits away), or NULL. */
static const char *closest_term(const char *name)
{
	size_t nt;
	const struct verb_table *const *t = verb_tables(&nt);
	const char *best = NULL;
	int bestd = 4;

	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i]->nr_terms; j++) {
			const char *tn = t[i]->terms[j].name;
			size_t n = strlen(tn);
			if (n && strchr("./:", tn[n - 1]))
				continue;	/* prefixes: their own check explains */
			int d = kmm_edit_distance(name, tn);
			if (strlen(name) >= 3 && !strncmp(tn, name, strlen(name)))
				d = 1;	/* a prefix: nr_free -> nr_free_pages */
			if (d < bestd) {
				bestd = d;
				best = tn;
			}
		}
	return best;
}

static bool too_deep(struct expr_parser *ep)
{
	if (ep->depth < EXPR_MAX_DEPTH)
		return false;
	fail(ep, ep->p, "expression nested too deeply");
	return true;
}

/*
 * A number as written: decimal or hex within the signed 64-bit range, or a
 * hex literal of up to 64 bits (0xffffc90000000000, an address kmm prints),
 * read as the same 64-bit pattern, as a variable holding that address does.
 * Return: 0 or -1.
 */
static int parse_literal(const char *s, long long *out)
{
	uint64_t u;

	if (!parse_long(s, out))
		return 0;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || parse_addr(s, &u))
		return -1;
	*out = u > (uint64_t)LLONG_MAX ? -(long long)~u - 1 : (long long)u;
	return 0;
}

static struct expr *parse_primary(struct expr_parser *ep)
{
	skip_ws(ep);
	const char *at = ep->p;

	if (at_stop(ep)) {
		fail(ep, at, "expected a value (a number, \"text\", $name, NULL or a name "
		     "such as zone.Normal.free)");
		return NULL;
	}
	char c = *ep->p;
	if (c == '(') {
		ep->p++;
		if (too_deep(ep))
			return NULL;
		ep->depth++;
		struct expr *e = parse_or(ep);
		ep->depth--;
		if (!e)
			return NULL;
		skip_ws(ep);
		if (ep->p >= ep->end || *ep->p != ')') {
			fail(ep, ep->p, "expected ')'");
			expr_free(e);
			return NULL;
		}
		ep->p++;
		return e;
	}
	if (isdigit((unsigned char)c)) {
		const char *q = ep->p;
		while (q < ep->end && isalnum((unsigned char)*q))
			q++;
		char *num = dup_range(ep->p, q);
		long long v;
		if (parse_literal(num, &v)) {
			bool hex = num[0] == '0' && (num[1] == 'x' || num[1] == 'X');
			size_t n = hex ? strspn(num + 2, "0123456789abcdefABCDEF") + 2
				       : strspn(num, "0123456789");
			if (!num[n] && n > (hex ? 2u : 0u))	/* well written, too many digits */
				fail(ep, at, "number too large (at most 9223372036854775807, or "
				     "0xffffffffffffffff in hex)");
			else
				fail(ep, at, "bad number (write decimal like 512 or hex like 0x200)");
			free(num);
			return NULL;
		}
		free(num);
		struct expr *e = new_node(E_INT, ep, at);
		e->i = v;
		ep->p = q;
		return e;
	}
	if (c == '"' || c == '\'') {
		struct strbuf sb;
		const char *q = ep->p + 1;
		sb_init(&sb);
		sb_puts(&sb, "");
		for (;;) {
			if (q >= ep->end || *q == '\n') {
				ep->incomplete = true;
				sb_free(&sb);
				fail(ep, at, "unterminated string");
				return NULL;
			}
			if (*q == c)
				break;
			if (c == '"' && *q == '\\' && q + 1 < ep->end && q[1] != '\n') {
				char x = q[1];
				if (!strchr("nt\"\\", x)) {
					sb_free(&sb);
					fail(ep, q, "unknown escape in a string (use \\\" \\\\ \\n or \\t)");
					return NULL;
				}
				sb_printf(&sb, "%c", x == 'n' ? '\n' : x == 't' ? '\t' : x);
				q += 2;
				continue;
			}
			sb_printf(&sb, "%c", *q);
			q++;
		}
		struct expr *e = new_node(E_STR, ep, at);
		e->s = sb_detach(&sb);
		if (!e->s)
			e->s = dup_range(q, q);
		ep->p = q + 1;
		return e;
	}
	if (c == '$') {
		const char *q = ep->p + 1;
		if (q >= ep->end || !(isalpha((unsigned char)*q) || *q == '_')) {
			fail(ep, at, "expected a variable name after '$'");
			return NULL;
		}
		while (q < ep->end && (isalnum((unsigned char)*q) || *q == '_'))
			q++;
		struct expr *e = new_node(E_VAR, ep, at);
		e->s = dup_range(ep->p + 1, q);
		if (ep->var_known && !ep->var_known(ep->opaque, e->s)) {
			char msg[200];
			snprintf(msg, sizeof(msg), "$%s is not set: assign it first with `-> $%s` or "
				 "`let $%s = ...`", e->s, e->s, e->s);
			expr_free(e);
			fail(ep, at, msg);
			return NULL;
		}
		if (q + 1 < ep->end && *q == '.' && isalpha((unsigned char)q[1])) {
			const char *f = ++q;
			while (q < ep->end && (isalnum((unsigned char)*q) || *q == '_'))
				q++;
			e->field = dup_range(f, q);
			if (!value_field_known(e->field)) {
				char msg[200];
				snprintf(msg, sizeof(msg), "unknown field '.%s' (errno; fields of a page "
					 "result: pfn, phys, order, pages, zone, node, count, freed)",
					 e->field);
				expr_free(e);
				fail(ep, f - 1, msg);
				return NULL;
			}
		}
		ep->p = q;
		return e;
	}
	if (name_start((unsigned char)c)) {
		const char *q = ep->p;
		while (q < ep->end && name_char(ep, q))
			q++;
		/* a trailing '.' or ':' belongs to no name */
		while (q > ep->p + 1 && (q[-1] == '.' || q[-1] == ':'))
			q--;
		char *name = dup_range(ep->p, q);
		if (!strcmp(name, "NULL") || !strcmp(name, "null")) {
			free(name);
			struct expr *e = new_node(E_NULL, ep, at);
			ep->p = q;
			return e;
		}
		const struct term *t = term_find(name);
		if (!t) {
			char msg[256];
			const char *near = closest_term(name);
			if (near)
				snprintf(msg, sizeof(msg), "unknown value '%.100s' (did you mean '%s'? "
					 "`help values` lists them)", name, near);
			else
				snprintf(msg, sizeof(msg), "unknown value '%.100s' (`help values` lists "
					 "them)", name);
			free(name);
			fail(ep, at, msg);
			return NULL;
		}
		if (t->check) {
			char err[200] = "";
			if (t->check(name, err, sizeof(err))) {
				char msg[256];
				snprintf(msg, sizeof(msg), "%s", err[0] ? err : "bad name");
				free(name);
				fail(ep, at, msg);
				return NULL;
			}
		}
		struct expr *e = new_node(E_TERM, ep, at);
		e->s = name;
		e->term = t;
		ep->p = q;
		return e;
	}
	char msg[64];
	if (isprint((unsigned char)c))
		snprintf(msg, sizeof(msg), "unexpected '%c' in an expression", c);
	else
		snprintf(msg, sizeof(msg), "unexpected byte 0x%02x in an expression", (unsigned char)c);
	fail(ep, at, msg);
	return NULL;
}

static struct expr *binary(struct expr_parser *ep, enum expr_op op, struct expr *l,
			   struct expr *r, const char *start)
{
	struct expr *e = new_node(op, ep, start);

	e->col = l->col;
	e->l = l;
	e->r = r;
	return e;
}

static void set_text(struct expr *e, const char *start, const char *end)
{
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	free(e->text);
	e->text = dup_range(start, end);
}

static struct expr *parse_unary(struct expr_parser *ep)
{
	skip_ws(ep);
	const char *at = ep->p;

	if (ep->p < ep->end && *ep->p == '-') {
		ep->p++;
		if (too_deep(ep))
			return NULL;
		ep->depth++;
		struct expr *o = parse_unary(ep);
		ep->depth--;
		if (!o)
			return NULL;
		struct expr *e = new_node(E_NEG, ep, at);
		e->l = o;
		return e;
	}
	return parse_primary(ep);
}

/*
 * Binary operators of one precedence level. A matcher looks at ep->p and
 * returns the operator's length (0: no operator of this level here) and its
 * kind in *op.
 */
typedef size_t (*op_matcher)(const struct expr_parser *ep, enum expr_op *op);

static size_t match_prod(const struct expr_parser *ep, enum expr_op *op)
{
	if (ep->p >= ep->end)
		return 0;
	if (*ep->p == '*')
		*op = E_MUL;
	else if (*ep->p == '/' && !(ep->p[-1] == ' ' || ep->p[-1] == '\t'
				     ? ep->p + 1 < ep->end && isalpha((unsigned char)ep->p[1])
				     : false))
		*op = E_DIV;	/* " /proc/..." after a blank starts a path instead */
	else if (*ep->p == '%')
		*op = E_MOD;
	else
		return 0;
	return 1;
}

static size_t match_sum(const struct expr_parser *ep, enum expr_op *op)
{
	if (ep->p >= ep->end || (*ep->p != '+' && *ep->p != '-'))
		return 0;
	/* "->" is not a minus */
	if (*ep->p == '-' && ep->p + 1 < ep->end && ep->p[1] == '>')
		return 0;
	*op = *ep->p == '+' ? E_ADD : E_SUB;
	return 1;
}

static size_t match_two(const struct expr_parser *ep, const char text[2])
{
	return ep->end - ep->p >= 2 && !memcmp(ep->p, text, 2) ? 2 : 0;
}

static size_t match_and(const struct expr_parser *ep, enum expr_op *op)
{
	*op = E_AND;
	return match_two(ep, "&&");
}

static size_t match_or(const struct expr_parser *ep, enum expr_op *op)
{
	*op = E_OR;
	return match_two(ep, "||");
}

/* A left-associative chain "operand OP operand OP ..."; @next parses operands. */
static struct expr *parse_chain(struct expr_parser *ep, op_matcher match,
				struct expr *(*next)(struct expr_parser *))
{
	skip_ws(ep);
	const char *start = ep->p;
	struct expr *l = next(ep);

	while (l) {
		enum expr_op op;
		size_t len;

		skip_ws(ep);
		if (!(len = match(ep, &op)))
			break;
		ep->p += len;
		struct expr *r = next(ep);
		if (!r) {
			expr_free(l);
			return NULL;
		}
		l = binary(ep, op, l, r, start);
	}
	return l;
}

static struct expr *parse_prod(struct expr_parser *ep)
{
	return parse_chain(ep, match_prod, parse_unary);
}

static struct expr *parse_sum(struct expr_parser *ep)
{
	return parse_chain(ep, match_sum, parse_prod);
}

static struct expr *parse_cmp(struct expr_parser *ep)
{
	skip_ws(ep);
	const char *start = ep->p;
	struct expr *l = parse_sum(ep);

	if (!l)
		return NULL;
	skip_ws(ep);
	enum expr_op op;
	size_t len;
	const char *p = ep->p;
	size_t left = (size_t)(ep->end - p);

	if (left >= 2 && !memcmp(p, "==", 2)) {
		op = E_EQ; len = 2;
	} else if (left >= 2 && !memcmp(p, "!=", 2)) {
		op = E_NE; len = 2;
	} else if (left >= 2 && !memcmp(p, "<=", 2)) {
		op = E_LE; len = 2;
	} else if (left >= 2 && !memcmp(p, ">=", 2)) {
		op = E_GE; len = 2;
	} else if (left >= 1 && *p == '<') {
		op = E_LT; len = 1;
	} else if (left >= 1 && *p == '>') {
		op = E_GT; len = 1;
	} else if (word_is(ep, "contains")) {
		op = E_CONTAINS; len = 8;
	} else if (left >= 9 && *p == '!' && !memcmp(p + 1, "contains", 8) &&
		   (p + 9 == ep->end || !name_char(ep, p + 9))) {
		op = E_NCONTAINS; len = 9;
	} else {
		if (left >= 1 && *p == '=') {
			fail(ep, p, "use '==' to compare");
			expr_free(l);
			return NULL;
		}
		return l;
	}
	ep->p += len;
	struct expr *r = parse_sum(ep);
	if (!r) {
		expr_free(l);
		return NULL;
	}
	l = binary(ep, op, l, r, start);
	skip_ws(ep);
	if (ep->p + 1 < ep->end && (strchr("<>=", *ep->p) || (*ep->p == '!' && ep->p[1] == '='))) {
		fail(ep, ep->p, "comparisons do not chain: write `a < b && b < c`");
		expr_free(l);
		return NULL;
	}
	return l;
}

static struct expr *parse_not(struct expr_parser *ep)
{
	skip_ws(ep);
	const char *at = ep->p;

	if (ep->p + 1 < ep->end && *ep->p == '!' && ep->p[1] != '=') {
		ep->p++;
		if (too_deep(ep))
			return NULL;
		ep->depth++;
		struct expr *o = parse_not(ep);
		ep->depth--;
		if (!o)
			return NULL;
		struct expr *e = new_node(E_NOT, ep, at);
		e->l = o;
		return e;
	}
	return parse_cmp(ep);
}

static struct expr *parse_and(struct expr_parser *ep)
{
	return parse_chain(ep, match_and, parse_not);
}

static struct expr *parse_or(struct expr_parser *ep)
{
	return parse_chain(ep, match_or, parse_and);
}

/*
 * Only the whole expression keeps its source text (an `expect` quotes it);
 * copying it into every node of a chain made parsing quadratic.
 */
struct expr *expr_parse(struct expr_parser *ep)
{
	ep->err[0] = '\0';
	ep->err_at = NULL;
	ep->incomplete = false;
	ep->depth = 0;
	skip_ws(ep);
	const char *start = ep->p;
	struct expr *e = parse_or(ep);
	if (e)
		set_text(e, start, ep->p);
	return e;
}

bool expr_is_comparison(const struct expr *e)
{
	return e->op >= E_EQ && e->op <= E_NCONTAINS;
}

void expr_operands(const struct expr *e, const struct expr **l, const struct expr **r)
{
	*l = e->l;
	*r = e->r;
}

const char *expr_op_name(const struct expr *e)
{
	return e->op < ARRAY_SIZE(op_names) && op_names[e->op] ? op_names[e->op] : "?";
}

/* ---- Evaluation ---- */

static bool truthy(const struct value *v)
{
	switch (v->kind) {
	case V_INT:
		return v->i != 0;
	case V_STR:
		return v->s && v->s[0];
	case V_PAGES:
		return v->ps && v->ps->nr;
	default:
		return false;
	}
}

static const char *kind_name(const struct value *v)
{
	switch (v->kind) {
	case V_INT:
		return "a number";
	case V_STR:
		return "text";
	case V_PAGES:
		return v->ps && v->ps->nr ? "pages" : "NULL";
	default:
		return "nothing";
	}
}

/* Text that parses whole as a number compares as that number. */
static bool as_number(const struct value *v, long long *out)
{
	if (v->kind == V_INT) {
		*out = v->i;
		return true;
	}
	if (v->kind == V_STR && v->s) {
		char buf[64];
		size_t n = strlen(v->s);
		while (n && (v->s[n - 1] == '\n' || v->s[n - 1] == ' '))
			n--;
		if (!n || n >= sizeof(buf))
			return false;
		memcpy(buf, v->s, n);
		buf[n] = '\0';
		return parse_literal(buf, out) == 0;
	}
	return false;
}

static int eval(struct kmm_ctx *ctx, const struct args *a, const struct expr *e, struct value *out);

static int err_at(struct kmm_ctx *ctx, const struct args *a, const struct expr *e,
		  const char *msg, const char *x, const char *y)
{
	return ctx_error_at(ctx, a->file, a->line, e->col, msg, x, y);
}

static int compare(struct kmm_ctx *ctx, const struct args *a, const struct expr *e,
		   const struct value *l, const struct value *r, bool *res)
{
	long long x, y;
	bool lnull = l->kind == V_PAGES && !(l->ps && l->ps->nr);
	bool rnull = r->kind == V_PAGES && !(r->ps && r->ps->nr);

	if (e->op == E_CONTAINS || e->op == E_NCONTAINS) {
		char lb[64], rb[64];
		const char *ls = l->kind == V_STR ? l->s : (value_format(l, lb, sizeof(lb)), lb);
		const char *rs = r->kind == V_STR ? r->s : (value_format(r, rb, sizeof(rb)), rb);
		bool has = strstr(ls ? ls : "", rs ? rs : "") != NULL;
		*res = e->op == E_CONTAINS ? has : !has;
		return VERB_OK;
	}
	/* pages against NULL or pages */
	if (l->kind == V_PAGES || r->kind == V_PAGES) {
		bool eq;
		if (e->op != E_EQ && e->op != E_NE)
			return err_at(ctx, a, e, "pages can only be compared with == or != "
				      "(e.g. $p != NULL); use $p.pfn for numbers%s%s", "", "");
		if (l->kind == V_PAGES && r->kind == V_PAGES)
			eq = (lnull && rnull) || l->ps == r->ps;
		else
			return err_at(ctx, a, e, "cannot compare %s with %s", kind_name(l),
				      kind_name(r));
		*res = e->op == E_EQ ? eq : !eq;
		return VERB_OK;
	}
	if (as_number(l, &x) && as_number(r, &y)) {
		switch (e->op) {
		case E_EQ: *res = x == y; break;
		case E_NE: *res = x != y; break;
		case E_LT: *res = x < y; break;
		case E_LE: *res = x <= y; break;
		case E_GT: *res = x > y; break;
		default: *res = x >= y; break;
		}
		return VERB_OK;
	}
	if (l->kind == V_STR && r->kind == V_STR) {
		int c = strcmp(l->s ? l->s : "", r->s ? r->s : "");
		switch (e->op) {
		case E_EQ: *res = c == 0; break;
		case E_NE: *res = c != 0; break;
		case E_LT: *res = c < 0; break;
		case E_LE: *res = c <= 0; break;
		case E_GT: *res = c > 0; break;
		default: *res = c >= 0; break;
		}
		return VERB_OK;
	}
	return err_at(ctx, a, e, "cannot compare %s with %s", kind_name(l), kind_name(r));
}

/*
 * Numbers are 64-bit signed: a result outside -9223372036854775808 ..
 * 9223372036854775807 is a run-time error naming the operation, not a
 * silently wrapped value (@y unused for negation).
 */
static int overflow_error(struct kmm_ctx *ctx, const struct args *a, const struct expr *e,
			  long long x, long long y)
{
	char what[96];

	if (e->op == E_NEG)
		snprintf(what, sizeof(what), "-(%lld)", x);
	else
		snprintf(what, sizeof(what), "%lld %s %lld", x, op_names[e->op], y);
	return err_at(ctx, a, e, "integer overflow: %s does not fit in 64 bits%s", what,
		      " (numbers are -9223372036854775808 .. 9223372036854775807)");
}

static bool is_binary(const struct expr *e)
{
	return e->op >= E_ADD;
}

/*
 * Apply binary node @e to its left value @l (consumed) and its right operand,
 * into @out. && and || evaluate the right operand only when they must.
 */
static int apply(struct kmm_ctx *ctx, const struct args *a, const struct expr *e, struct value *l,
		 struct value *out)
{
	struct value r = { 0 };
	int ret = VERB_OK;

	if (e->op == E_AND || e->op == E_OR) {
		if (truthy(l) == (e->op == E_OR)) {
			value_clear(l);
			value_set_int(out, e->op == E_OR);
			return VERB_OK;
		}
		value_clear(l);
		if ((ret = eval(ctx, a, e->r, &r)))
			return ret;
		value_set_int(out, truthy(&r));
		value_clear(&r);
		return VERB_OK;
	}
	if ((ret = eval(ctx, a, e->r, &r))) {
		value_clear(l);
		return ret;
	}
	if (e->op >= E_EQ && e->op <= E_NCONTAINS) {
		bool res = false;
		ret = compare(ctx, a, e, l, &r, &res);
		if (!ret)
			value_set_int(out, res);
	} else {
		long long x, y, z = 0;
		if (!as_number(l, &x) || !as_number(&r, &y)) {
			ret = err_at(ctx, a, e, "arithmetic needs numbers, not %s and %s",
				     kind_name(l), kind_name(&r));
		} else if ((e->op == E_DIV || e->op == E_MOD) && y == 0) {
			ret = err_at(ctx, a, e, "division by zero%s%s", "", "");
		} else {
			bool over = false;
			switch (e->op) {
			case E_ADD: over = __builtin_add_overflow(x, y, &z); break;
			case E_SUB: over = __builtin_sub_overflow(x, y, &z); break;
			case E_MUL: over = __builtin_mul_overflow(x, y, &z); break;
			case E_DIV: over = x == LLONG_MIN && y == -1; z = over ? 0 : x / y; break;
			default: z = y == -1 ? 0 : x % y; break;	/* LLONG_MIN % -1 is 0 */
			}
			if (over)
				ret = overflow_error(ctx, a, e, x, y);
			else
				value_set_int(out, z);
		}
	}
	value_clear(l);
	value_clear(&r);
	return ret;
}

/*
 * A binary node heads a left spine (`a + b - c * d ...` parses as
 * ((a + b) - (c * d)) ...): walk down to its leftmost operand, evaluate it,
 * then apply the spine's nodes bottom up. The recursion goes only into right
 * operands, one precedence level or one '(' deeper each, so its depth stays
 * bounded however long the chain.
 */
static int eval_spine(struct kmm_ctx *ctx, const struct args *a, const struct expr *e,
		      struct value *out)
{
	const struct expr *small[64], **spine = small;
	size_t n = 0, cap = 64;
	int ret;

	for (const struct expr *x = e; is_binary(x); x = x->l) {
		if (n == cap) {
			const struct expr **bigger = malloc(2 * cap * sizeof(*bigger));
			if (!bigger) {
				if (spine != small)
					free(spine);
				return err_at(ctx, a, e, "out of host memory%s%s", "", "");
			}
			memcpy(bigger, spine, n * sizeof(*spine));
			if (spine != small)
				free(spine);
			spine = bigger;
			cap *= 2;
		}
		spine[n++] = x;
	}
	struct value cur = { 0 };
	ret = eval(ctx, a, spine[n - 1]->l, &cur);
	for (size_t i = n; !ret && i-- > 0;) {
		struct value next = { 0 };
		ret = apply(ctx, a, spine[i], &cur, &next);
		cur = next;
	}
	if (spine != small)
		free(spine);
	if (ret) {
		value_clear(&cur);
		return ret;
	}
	*out = cur;
	return VERB_OK;
}

static int eval(struct kmm_ctx *ctx, const struct args *a, const struct expr *e, struct value *out)
{
	struct value l = { 0 };
	int ret = VERB_OK;

	value_clear(out);
	switch (e->op) {
	case E_INT:
		value_set_int(out, e->i);
		return VERB_OK;
	case E_STR:
		value_set_str(out, e->s);
		return VERB_OK;
	case E_NULL:
		out->kind = V_PAGES;
		out->ps = NULL;
		return VERB_OK;
	case E_VAR: {
		const struct value *v = ctx_var(ctx, e->s);
		if (!v)
			return ctx_error_at(ctx, a->file, a->line, e->col, "$%s is not set", e->s);
		if (e->field) {
			char err[200] = "";
			if (v->kind != V_PAGES && strcmp(e->field, "errno"))
				return ctx_error_at(ctx, a->file, a->line, e->col,
						    "$%s holds %s, which has no field '.%s'", e->s,
						    kind_name(v), e->field);
			if (value_field(ctx, v, e->field, out, err, sizeof(err)))
				return ctx_error_at(ctx, a->file, a->line, e->col, "$%s.%s: %s", e->s,
						    e->field, err);
			return VERB_OK;
		}
		*out = *v;
		if (v->s)
			out->s = strdup(v->s);
		return VERB_OK;
	}
	case E_TERM:
		ctx_set_value_loc(ctx, a->file, a->line, e->col);
		ret = e->term->eval(ctx, e->s, out);
		if (ret == VERB_OK)
			return VERB_OK;
		return VERB_ERROR;
	case E_NEG:
	case E_NOT:
		if ((ret = eval(ctx, a, e->l, &l)))
			return ret;
		if (e->op == E_NOT) {
			value_set_int(out, !truthy(&l));
		} else {
			long long x;
			if (!as_number(&l, &x)) {
				ret = err_at(ctx, a, e, "cannot negate %s%s", kind_name(&l), "");
			} else if (x == LLONG_MIN) {
				ret = overflow_error(ctx, a, e, x, 0);
			} else {
				value_set_int(out, -x);
			}
		}
		value_clear(&l);
		return ret;
	default:
		return eval_spine(ctx, a, e, out);
	}
}

int ctx_eval(struct kmm_ctx *ctx, const struct args *a, const struct expr *e, struct value *out)
{
	memset(out, 0, sizeof(*out));
	return eval(ctx, a, e, out);
}
