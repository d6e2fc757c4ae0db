// SPDX-License-Identifier: MIT
/*
 * cli/verbs_core.c - the verbs every scenario has, whatever the layers:
 * print, echo, expect, check, help, exit, the text filters (grep, head,
 * tail, wc) and the values any expression can read (output, /proc files,
 * sysctls, dmesg).
 *
 * Linux counterpart: the shell tools people use at a Linux prompt
 * (echo, grep, head, tail, wc) with their everyday options.
 *
 * Invariant: filters only transform their input text; they never touch the
 * machine, so `cat X | grep Y` reads the machine exactly once.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kmm/proc.h>

#include "cli/expr.h"
#include "cli/scenario.h"
#include "lib/util.h"

/* ---- print / echo ---- */

static int print_run(struct kmm_ctx *ctx, const struct args *a)
{
	for (int i = 0; i < a->nexprs; i++) {
		struct value v;
		char buf[256];

		if (ctx_eval(ctx, a, a->exprs[i], &v) != VERB_OK)
			return VERB_ERROR;
		if (i)
			ctx_printf(ctx, " ");
		if (v.kind == V_STR)
			ctx_printf(ctx, "%s", v.s ? v.s : "");
		else {
			value_format(&v, buf, sizeof(buf));
			ctx_printf(ctx, "%s", buf);
		}
		value_clear(&v);
	}
	ctx_printf(ctx, "\n");
	return VERB_OK;
}

static int echo_run(struct kmm_ctx *ctx, const struct args *a)
{
	int i = 0;
	bool newline = true;

	if (a->argc && !a->argv[0].quoted && !strcmp(a->argv[0].text, "-n")) {
		newline = false;
		i = 1;
	}
	for (int first = i; i < a->argc; i++) {
		const struct word *w = &a->argv[i];
		if (i > first)
			ctx_printf(ctx, " ");
		if (w->is_var) {
			char name[128], buf[256];
			const char *dot = strchr(w->text, '.');
			size_t n = dot ? (size_t)(dot - w->text) : strlen(w->text);
			snprintf(name, sizeof(name), "%.*s", (int)KMM_MIN(n, sizeof(name) - 1), w->text);
			const struct value *v = ctx_var(ctx, name);
			if (!v)
				return ctx_error(ctx, a, i, "$%s is not set", name);
			if (dot) {
				struct value f = { 0 };
				char err[200] = "";
				if (v->kind != V_PAGES && strcmp(dot + 1, "errno"))
					return ctx_error(ctx, a, i, "$%s has no fields", name);
				if (value_field(ctx, v, dot + 1, &f, err, sizeof(err)))
					return ctx_error(ctx, a, i, "$%s: %s", w->text, err);
				if (f.kind == V_STR)
					snprintf(buf, sizeof(buf), "%s", f.s ? f.s : "");
				else
					value_format(&f, buf, sizeof(buf));
				value_clear(&f);
			} else if (v->kind == V_STR) {
				ctx_printf(ctx, "%s", v->s ? v->s : "");
				continue;
			} else {
				value_format(v, buf, sizeof(buf));
			}
			ctx_printf(ctx, "%s", buf);
		} else {
			ctx_printf(ctx, "%s", w->text);
		}
	}
	if (newline)
		ctx_printf(ctx, "\n");
	return VERB_OK;
}

static int echo_check(struct verb_check *vc, const struct args *a)
{
	for (int i = 0; i < a->argc; i++) {
		const struct word *w = &a->argv[i];
		if (w->is_var && strchr(w->text, '.') && !value_field_known(strchr(w->text, '.') + 1))
			return verb_check_error(vc, a, i, "unknown field in $%s (fields: errno pfn phys "
						"order pages zone node count freed)", w->text);
	}
	return VERB_OK;
}

/* ---- expect ---- */

/* A value for a message: text quoted and cut, newlines shown as \n. */
static void describe(const struct value *v, char *buf, size_t len)
{
	if (v->kind != V_STR) {
		value_format(v, buf, len);
		return;
	}
	size_t o = 0;
	const char *s = v->s ? v->s : "";
	size_t n = strlen(s);
	buf[o++] = '"';
	for (size_t i = 0; i < n && o + 8 < len; i++) {
		if (i == 60) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			break;
		}
		if (s[i] == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (s[i] == '\t') {
			buf[o++] = '\\';
			buf[o++] = 't';
		} else {
			buf[o++] = s[i];
		}
	}
	if (o + 2 < len)
		buf[o++] = '"';
	buf[o] = '\0';
}

static int expect_check(struct verb_check *vc, const struct args *a)
{
	if (a->nexprs != 1)
		return verb_check_error(vc, a, -1, a->nexprs ? "expect takes one expression "
					"(join conditions with && or ||)" :
					"expect needs a condition, e.g. expect $p != NULL");
	return VERB_OK;
}

static int expect_run(struct kmm_ctx *ctx, const struct args *a)
{
	const struct expr *e = a->exprs[0];
	struct value res;
	int ret = ctx_eval(ctx, a, e, &res);

	if (ret != VERB_OK)
		return ret;
	bool ok = (res.kind == V_INT && res.i) || (res.kind == V_STR && res.s && res.s[0]) ||
		  (res.kind == V_PAGES && res.ps && res.ps->nr);
	value_clear(&res);
	if (ok)
		return VERB_OK;
	if (expr_is_comparison(e)) {
		const struct expr *l, *r;
		struct value lv, rv;
		char lb[160], rb[160];

		expr_operands(e, &l, &r);
		if (ctx_eval(ctx, a, l, &lv) != VERB_OK)
			return VERB_ERROR;
		if (ctx_eval(ctx, a, r, &rv) != VERB_OK) {
			value_clear(&lv);
			return VERB_ERROR;
		}
		describe(&lv, lb, sizeof(lb));
		describe(&rv, rb, sizeof(rb));
		value_clear(&lv);
		value_clear(&rv);
		return ctx_expect_failed(ctx, a, "expect failed: %s (left: %s, right: %s)",
					 expr_text(e), lb, rb);
	}
	struct value v;
	char b[160];
	if (ctx_eval(ctx, a, e, &v) != VERB_OK)
		return VERB_ERROR;
	describe(&v, b, sizeof(b));
	value_clear(&v);
	return ctx_expect_failed(ctx, a, "expect failed: %s (value: %s)", expr_text(e), b);
}

/* ---- check, help, exit ---- */

static int check_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m)
		return VERB_ERROR;
	if (kmm_check(m))
		return ctx_expect_failed(ctx, a, "check failed: %s", kmm_last_error());
	ctx_printf(ctx, "check: all invariants hold\n");
	return VERB_OK;
}

static int help_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc > 1)
		return verb_check_error(vc, a, 1, "help takes at most one name");
	return VERB_OK;
}

static int help_run(struct kmm_ctx *ctx, const struct args *a)
{
	if (verbs_help(ctx, a->argc ? a->argv[0].text : NULL))
		return ctx_error(ctx, a, 0, "no command or value named '%s' (`help` lists them)",
				 a->argv[0].text);
	return VERB_OK;
}

static int exit_check(struct verb_check *vc, const struct args *a)
{
	long long n;

	if (a->argc > 1)
		return verb_check_error(vc, a, 1, "exit takes at most one number");
	if (a->argc == 1 && !a->argv[0].is_var &&
	    (parse_long(a->argv[0].text, &n) || n < 0 || n > 255))
		return verb_check_error(vc, a, 0, "exit status must be 0..255");
	return VERB_OK;
}

static int exit_run(struct kmm_ctx *ctx, const struct args *a)
{
	long long n = 0;

	if (a->argc == 1) {
		if (a->argv[0].is_var) {
			const struct value *v = ctx_var(ctx, a->argv[0].text);
			if (!v || v->kind != V_INT || v->i < 0 || v->i > 255)
				return ctx_error(ctx, a, 0, "exit status must be 0..255");
			n = v->i;
		} else {
			parse_long(a->argv[0].text, &n);
		}
	}
	ctx_set_exit_code(ctx, (int)n);
	return VERB_EXIT;
}

/* ---- Filters ---- */

struct grep_opts {
	bool invert, icase, count, fixed, extended, word;
	const char *pattern;
	int pattern_arg;
};

static int grep_parse(const struct args *a, struct grep_opts *o, char *err, size_t errlen, int *bad)
{
	memset(o, 0, sizeof(*o));
	o->pattern_arg = -1;
	for (int i = 0; i < a->argc; i++) {
		const struct word *w = &a->argv[i];
		if (!w->quoted && !w->is_var && w->text[0] == '-' && w->text[1] && o->pattern_arg < 0) {
			if (!strcmp(w->text, "--")) {
				if (i + 1 < a->argc) {
					o->pattern = a->argv[i + 1].text;
					o->pattern_arg = i + 1;
					i++;
				}
				continue;
			}
			for (const char *f = w->text + 1; *f; f++) {
				switch (*f) {
				case 'v': o->invert = true; break;
				case 'i': o->icase = true; break;
				case 'c': o->count = true; break;
				case 'F': o->fixed = true; break;
				case 'E': o->extended = true; break;
				case 'w': o->word = true; break;
				default:
					snprintf(err, errlen, "grep: unknown option -%c (kmm's grep has "
						 "-v -i -c -w -E -F)", *f);
					*bad = i;
					return -1;
				}
			}
			continue;
		}
		if (o->pattern_arg >= 0) {
			snprintf(err, errlen, "grep reads the piped output only; it takes one "
				 "PATTERN (quote a pattern with spaces)");
			*bad = i;
			return -1;
		}
		o->pattern = w->text;
		o->pattern_arg = i;
	}
	if (o->pattern_arg < 0) {
		snprintf(err, errlen, "grep needs a PATTERN");
		*bad = -1;
		return -1;
	}
	return 0;
}

static int grep_compile(const struct grep_opts *o, const char *pattern, regex_t *re, char *err,
			size_t errlen)
{
	struct strbuf sb;
	int flags = REG_NOSUB | (o->extended ? REG_EXTENDED : 0) | (o->icase ? REG_ICASE : 0);

	sb_init(&sb);
	if (o->fixed) {
		/* escape every special character, then use ERE */
		flags |= REG_EXTENDED;
		for (const char *p = pattern; *p; p++) {
			if (strchr("\\^$.[]|()*+?{}", *p))
				sb_printf(&sb, "\\");
			sb_printf(&sb, "%c", *p);
		}
	} else {
		sb_puts(&sb, pattern);
	}
	sb_puts(&sb, "");
	int rc = regcomp(re, sb.buf ? sb.buf : "", flags);
	sb_free(&sb);
	if (rc) {
		char msg[128];
		regerror(rc, re, msg, sizeof(msg));
		snprintf(err, errlen, "grep: bad pattern: %s", msg);
		return -1;
	}
	return 0;
}

static bool word_match(const char *line, size_t len, const char *pat, bool icase)
{
	size_t pl = strlen(pat);

	for (size_t i = 0; pl && i + pl <= len; i++) {
		bool eq = icase ? !strncasecmp(line + i, pat, pl) : !strncmp(line + i, pat, pl);
		if (!eq)
			continue;
		bool lb = i == 0 || !(isalnum((unsigned char)line[i - 1]) || line[i - 1] == '_');
		bool rb = i + pl == len ||
			  !(isalnum((unsigned char)line[i + pl]) || line[i + pl] == '_');
		if (lb && rb)
			return true;
	}
	return false;
}

static int grep_check(struct verb_check *vc, const struct args *a)
{
	struct grep_opts o;
	char err[200];
	int bad = -1;
	regex_t re;

	if (grep_parse(a, &o, err, sizeof(err), &bad))
		return verb_check_error(vc, a, bad, "%s", err);
	if (a->argv[o.pattern_arg].is_var)
		return verb_check_error(vc, a, o.pattern_arg, "grep's PATTERN must be written out "
					"(quote it: \"$x\")");
	if (grep_compile(&o, o.pattern, &re, err, sizeof(err)))
		return verb_check_error(vc, a, o.pattern_arg, "%s", err);
	regfree(&re);
	return VERB_OK;
}

static int grep_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct grep_opts o;
	char err[200];
	int bad = 0;
	regex_t re;
	long count = 0;

	if (grep_parse(a, &o, err, sizeof(err), &bad) ||
	    grep_compile(&o, o.pattern, &re, err, sizeof(err)))
		return ctx_error(ctx, a, bad, "%s", err);
	const char *p = a->input ? a->input : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, len);
		bool hit;
		if (!line) {
			regfree(&re);
			return ctx_error(ctx, a, -1, "out of memory");
		}
		if (o.word && o.fixed)
			hit = word_match(line, len, o.pattern, o.icase);
		else
			hit = regexec(&re, line, 0, NULL, 0) == 0;
		if (hit && o.word && !o.fixed)
			hit = true;	/* -w with a regex: approximated by the match itself */
		if (hit != o.invert) {
			count++;
			if (!o.count)
				ctx_printf(ctx, "%s\n", line);
		}
		free(line);
		p += len + (nl ? 1 : 0);
	}
	regfree(&re);
	if (o.count)
		ctx_printf(ctx, "%ld\n", count);
	return VERB_OK;
}

/* head/tail: -n N, -N, or -n +N for tail. */
static int lines_parse(const struct args *a, long *n, bool *from_start, char *err, size_t errlen,
		       int *bad)
{
	*n = 10;
	*from_start = false;
	for (int i = 0; i < a->argc; i++) {
		const struct word *w = &a->argv[i];
		const char *num = NULL;
		long long v;

		*bad = i;
		if (w->is_var) {
			snprintf(err, errlen, "%s: write the number out", a->verb->name);
			return -1;
		}
		if (!strcmp(w->text, "-n")) {
			if (i + 1 >= a->argc) {
				snprintf(err, errlen, "%s: -n needs a number", a->verb->name);
				return -1;
			}
			num = a->argv[++i].text;
			*bad = i;
		} else if (!strncmp(w->text, "-n", 2)) {
			num = w->text + 2;
		} else if (w->text[0] == '-') {
			num = w->text + 1;
		} else {
			snprintf(err, errlen, "%s reads the piped output; it takes only -n N",
				 a->verb->name);
			return -1;
		}
		if (*num == '+') {
			*from_start = true;
			num++;
		}
		if (parse_long(num, &v) || v < 0 || v > 100000000) {
			snprintf(err, errlen, "%s: bad line count '%s'", a->verb->name, num);
			return -1;
		}
		*n = (long)v;
	}
	return 0;
}

static int lines_check(struct verb_check *vc, const struct args *a)
{
	long n;
	bool fs;
	char err[200];
	int bad = -1;

	if (lines_parse(a, &n, &fs, err, sizeof(err), &bad))
		return verb_check_error(vc, a, bad, "%s", err);
	return VERB_OK;
}

static int head_run(struct kmm_ctx *ctx, const struct args *a)
{
	long n, k = 0;
	bool fs;
	char err[200];
	int bad = 0;
	const char *p = a->input ? a->input : "";

	if (lines_parse(a, &n, &fs, err, sizeof(err), &bad))
		return ctx_error(ctx, a, bad, "%s", err);
	while (*p && k < n) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		ctx_write(ctx, p, len);
		p += len;
		k++;
	}
	return VERB_OK;
}

static int tail_run(struct kmm_ctx *ctx, const struct args *a)
{
	long n, total = 0, k = 0;
	bool from_start;
	char err[200];
	int bad = 0;
	const char *in = a->input ? a->input : "", *p;

	if (lines_parse(a, &n, &from_start, err, sizeof(err), &bad))
		return ctx_error(ctx, a, bad, "%s", err);
	for (p = in; *p; p++)
		if (*p == '\n')
			total++;
	if (*in && in[strlen(in) - 1] != '\n')
		total++;
	long skip = from_start ? (n ? n - 1 : 0) : (total > n ? total - n : 0);
	for (p = in; *p && k < skip; k++) {
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : p + strlen(p);
	}
	ctx_write(ctx, p, strlen(p));
	return VERB_OK;
}

static int wc_check(struct verb_check *vc, const struct args *a)
{
	for (int i = 0; i < a->argc; i++) {
		const char *t = a->argv[i].text;
		if (a->argv[i].is_var || t[0] != '-' || !t[1] || strspn(t + 1, "lwc") != strlen(t + 1))
			return verb_check_error(vc, a, i, "wc reads the piped output; options: "
						"-l -w -c");
	}
	return VERB_OK;
}

static int wc_run(struct kmm_ctx *ctx, const struct args *a)
{
	bool l = false, w = false, c = false;
	long lines = 0, words = 0, bytes = 0;
	bool inword = false;

	for (int i = 0; i < a->argc; i++) {
		l |= strchr(a->argv[i].text, 'l') != NULL;
		w |= strchr(a->argv[i].text, 'w') != NULL;
		c |= strchr(a->argv[i].text, 'c') != NULL;
	}
	if (!l && !w && !c)
		l = w = c = true;
	for (const char *p = a->input ? a->input : ""; *p; p++) {
		bytes++;
		if (*p == '\n')
			lines++;
		bool sp = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
		if (!sp && !inword)
			words++;
		inword = !sp;
	}
	/* GNU wc on a pipe: one count alone unpadded, several in width 7 */
	int n = l + w + c;
	const char *sep = "";
	if (l) {
		ctx_printf(ctx, n > 1 ? "%7ld" : "%ld", lines);
		sep = " ";
	}
	if (w) {
		ctx_printf(ctx, n > 1 ? "%s%7ld" : "%s%ld", sep, words);
		sep = " ";
	}
	if (c)
		ctx_printf(ctx, n > 1 ? "%s%7ld" : "%s%ld", sep, bytes);
	ctx_printf(ctx, "\n");
	return VERB_OK;
}

static int syntax_run(struct kmm_ctx *ctx, const struct args *a)
{
	return ctx_error(ctx, a, -1, "internal: syntax verb run");
}

static const struct verb verbs[] = {
	{ "print", "print VALUE...", "print values and text: print \"free:\" zone.Normal.free",
	  "Evaluates each value (see `help values`) and prints them separated by spaces.\n"
	  "Text in quotes prints as it is; pages print as pfn, order and zone.\n",
	  VERB_EXPR | VERB_NO_MACHINE, NULL, print_run },
	{ "echo", "echo [-n] WORD...", "print words ($name expands); with > FILE, write a file",
	  "  echo hello world\n  echo $p\n  echo 2048 > /proc/sys/vm/min_free_kbytes\n",
	  VERB_NO_MACHINE, echo_check, echo_run },
	{ "expect", "expect CONDITION", "check a condition; report file:line: and both values if false",
	  "  expect $p != NULL\n  expect $p.zone == \"DMA\"\n"
	  "  expect zone.Normal.free >= zone.Normal.min\n"
	  "  expect /proc/meminfo:MemTotal == 1030032\n"
	  "  expect output contains \"HighMem\"      (output: what the last command printed)\n"
	  "A failed expect prints `file:line: expect failed: CONDITION (left: X, right: Y)`,\n"
	  "the script goes on, and kmm exits with status 1 at the end.\n",
	  VERB_EXPR | VERB_NO_MACHINE | VERB_KEEPS_OUTPUT, expect_check, expect_run },
	{ "check", "check", "run every layer's invariant checker now",
	  "Runs kmm_check() on the machine: every frame accounted once, buddy blocks\n"
	  "aligned and on exactly one list, counters matching. A violation is reported\n"
	  "like a failed expect (exit status 1).\n", VERB_ACK, NULL, check_run },
	{ "help", "help [COMMAND|TOPIC]", "list the commands, or explain one (topics: values syntax shell environment status)",
	  NULL, VERB_NO_MACHINE | VERB_PAGED, help_check, help_run },
	{ "exit", "exit [N]", "stop the script (or leave the shell) with status N",
	  NULL, VERB_NO_MACHINE, exit_check, exit_run },
	{ "quit", "quit [N]", "the same as exit", NULL, VERB_NO_MACHINE, exit_check, exit_run },
	{ "grep", "COMMAND | grep [-v] [-i] [-c] [-w] [-E|-F] PATTERN",
	  "keep the lines of a command's output that match PATTERN",
	  "PATTERN is a POSIX basic regular expression (-E extended, -F fixed text).\n"
	  "  cat /proc/vmstat | grep pgalloc\n  dmesg | grep -E 'HIGHMEM|LOWMEM'\n",
	  VERB_FILTER | VERB_NO_MACHINE, grep_check, grep_run },
	{ "head", "COMMAND | head [-n N]", "the first N lines (10) of a command's output",
	  NULL, VERB_FILTER | VERB_NO_MACHINE, lines_check, head_run },
	{ "tail", "COMMAND | tail [-n N|-n +N]", "the last N lines (10), or from line N on",
	  NULL, VERB_FILTER | VERB_NO_MACHINE, lines_check, tail_run },
	{ "wc", "COMMAND | wc [-l] [-w] [-c]", "count lines, words and bytes of a command's output",
	  NULL, VERB_FILTER | VERB_NO_MACHINE, wc_check, wc_run },
	{ "repeat", "repeat N { COMMANDS }", "run a block N times (N a number or $name)",
	  "  repeat 100 {\n      alloc_pages order=9 -> $p\n      free_pages $p\n  }\n"
	  "Blocks nest; ';' separates commands on one line: repeat 3 { free -m; dmesg | tail -n 1 }\n",
	  VERB_SYNTAX | VERB_NO_MACHINE, NULL, syntax_run },
	{ "let", "let $name = EXPRESSION", "compute a value and keep it in $name",
	  "  let $before = zone.Normal.free\n  ...\n  expect zone.Normal.free == $before\n",
	  VERB_SYNTAX | VERB_NO_MACHINE, NULL, syntax_run },
};

/* ---- Values any expression can read ---- */

static int output_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	value_set_str(out, ctx_last_output(ctx));
	return VERB_OK;
}

static int dmesg_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m)
		return VERB_ERROR;
	char *log = kmm_dmesg_dup(m);
	if (!log)
		return ctx_value_error(ctx, "out of host memory");
	value_clear(out);
	out->kind = V_STR;
	out->s = log;
	return VERB_OK;
}

static int nr_free_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m)
		return VERB_ERROR;
	value_set_int(out, (long long)kmm_nr_free_pages(m));
	return VERB_OK;
}

/* A text is a number if it is one (possibly followed by " kB" or a newline). */
static void set_text_or_number(struct value *out, const char *s, size_t n)
{
	char buf[64];
	long long v;

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n < sizeof(buf)) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		char *kb = strstr(buf, " kB");
		if (kb && kb[3] == '\0')
			*kb = '\0';
		if (!parse_long(buf, &v)) {
			value_set_int(out, v);
			return;
		}
	}
	char *t = strndup(s, n);
	value_set_str(out, t ? t : "");
	free(t);
}

static int proc_term_check(const char *name, char *err, size_t errlen)
{
	const char *colon = strchr(name, ':');

	if (colon && (!colon[1] || strchr(colon + 1, ':'))) {
		snprintf(err, errlen, "write /proc/FILE:FIELD, e.g. /proc/meminfo:MemFree");
		return -1;
	}
	if (strncmp(name, "/proc/", 6) && strncmp(name, "/sys/", 5)) {
		snprintf(err, errlen, "only /proc/... and /sys/... files can be read");
		return -1;
	}
	return 0;
}

/*
 * /proc/FILE:FIELD - the first value after FIELD on the line that starts
 * with FIELD followed by ':' or a blank (meminfo, vmstat, status files).
 * /proc/FILE - the whole file (a number if it is one).
 */
static int proc_term_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m = ctx_machine(ctx);
	char path[512], *text = NULL;
	const char *colon = strchr(name, ':');
	size_t plen = colon ? (size_t)(colon - name) : strlen(name);

	if (!m)
		return VERB_ERROR;
	snprintf(path, sizeof(path), "%.*s", (int)KMM_MIN(plen, sizeof(path) - 1), name);
	int err = kmm_proc_read(m, path, &text);
	if (err)
		return ctx_value_error(ctx, "%s: %s", path,
				       err == -ENOENT ? "no such file" : strerror(-err));
	if (!colon) {
		set_text_or_number(out, text, strlen(text));
		free(text);
		return VERB_OK;
	}
	const char *field = colon + 1;
	size_t fl = strlen(field);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *q = p;
		while (q < p + len && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(p + len - q) > fl && !strncmp(q, field, fl) &&
		    (q[fl] == ':' || q[fl] == ' ' || q[fl] == '\t')) {
			q += fl;
			if (*q == ':')
				q++;
			while (q < p + len && (*q == ' ' || *q == '\t'))
				q++;
			set_text_or_number(out, q, (size_t)(p + len - q));
			free(text);
			return VERB_OK;
		}
		p += len + (nl ? 1 : 0);
	}
	free(text);
	return ctx_value_error(ctx, "%s has no line starting with '%s'", path, field);
}

static int sysctl_term_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m = ctx_machine(ctx);
	char *text = NULL;

	if (!m)
		return VERB_ERROR;
	int err = kmm_sysctl_read(m, name, &text);
	if (err)
		return ctx_value_error(ctx, "sysctl %s: %s", name,
				       err == -ENOENT ? "unknown key" : strerror(-err));
	set_text_or_number(out, text, strlen(text));
	free(text);
	return VERB_OK;
}

static const struct term terms[] = {
	{ "output", "output", "what the last command printed (text)", NULL, output_eval },
	{ "dmesg", "dmesg", "the kernel log (text)", NULL, dmesg_eval },
	{ "nr_free_pages", "nr_free_pages", "free pages in the buddy allocator, all zones",
	  NULL, nr_free_eval },
	{ "/proc/", "/proc/FILE[:FIELD]", "a /proc file, or the value after FIELD in it "
	  "(/proc/meminfo:MemFree, /proc/vmstat:pgalloc_normal)", proc_term_check, proc_term_eval },
	{ "/sys/", "/sys/FILE[:FIELD]", "a /sys file, or a field in it", proc_term_check,
	  proc_term_eval },
	{ "vm.", "vm.NAME", "a sysctl's value (vm.min_free_kbytes)", NULL, sysctl_term_eval },
};

const struct verb_table core_verbs = {
	.layer = "language and text",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.terms = terms,
	.nr_terms = ARRAY_SIZE(terms),
	.intro =
		"The verbs every scenario has, whatever the layers: print and echo, expect (the "
		"assertions that make a scenario check itself), check (every invariant checker, now), "
		"help, exit, and the text filters grep, head, tail and wc, which read the previous "
		"command's output after a |. Its values read what the last command printed (output), "
		"the kernel log, and any /proc or /sys file or one field of it.",
	.example =
		"let $free = /proc/meminfo:MemFree\n"
		"print \"MemFree:\" $free \"kB\"\n"
		"cat /proc/meminfo | grep -E '^(MemTotal|MemFree):'\n"
		"cat /proc/buddyinfo | wc -l\n"
		"expect output contains \"3\"\n"
		"check\n",
};
