// SPDX-License-Identifier: MIT
/*
 * cli/format.c - `--format json|csv`: the option, and tables written as
 * records (see cli/format.h).
 *
 * Linux counterpart: none.
 *
 * Invariant: a record has exactly one value per field, in field order; the
 * JSON written is one array, whatever the number of rows.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/format.h"
#include "lib/util.h"

static const char *const format_names[] = { "text", "json", "csv" };

static int format_named(const char *name, enum out_format *fmt, char *err, size_t errlen)
{
	struct kmm_nearest near;

	kmm_nearest_init(&near, 3);
	for (size_t i = 0; i < ARRAY_SIZE(format_names); i++) {
		if (!strcmp(name, format_names[i])) {
			*fmt = (enum out_format)i;
			return 1;
		}
		kmm_nearest_try(&near, name, format_names[i]);
	}
	if (near.best)
		snprintf(err, errlen, "unknown format '%s' (did you mean '%s'? formats: text json "
			 "csv)", name, near.best);
	else
		snprintf(err, errlen, "unknown format '%s' (formats: text json csv)", name);
	return -1;
}

int format_word(const struct args *a, int i, int *nwords, enum out_format *fmt, char *err,
		size_t errlen)
{
	const struct word *w = &a->argv[i];

	if (w->quoted || w->is_var || strncmp(w->text, "--format", 8))
		return 0;
	if (w->text[8] == '=') {
		*nwords = 1;
		return format_named(w->text + 9, fmt, err, errlen);
	}
	if (w->text[8])
		return 0;
	*nwords = 2;
	if (i + 1 >= a->argc) {
		snprintf(err, errlen, "--format needs a format: text, json or csv");
		return -1;
	}
	return format_named(a->argv[i + 1].text, fmt, err, errlen);
}

enum out_format format_of(const struct args *a)
{
	enum out_format fmt = FMT_TEXT;
	char err[160];
	int n;

	for (int i = 0; i < a->argc; i++)
		if (format_word(a, i, &n, &fmt, err, sizeof(err)) == 1)
			return fmt;
	return FMT_TEXT;
}

int format_tail(struct verb_check *vc, const struct args *a)
{
	char err[160];
	enum out_format fmt;
	int n;

	for (int i = 0; i < a->argc; i++) {
		int r = format_word(a, i, &n, &fmt, err, sizeof(err));
		if (r < 0) {
			verb_check_error(vc, a, n == 2 && i + 1 < a->argc ? i + 1 : i, "%s", err);
			return -1;
		}
		if (r == 0)
			continue;
		if (i + n != a->argc) {
			verb_check_error(vc, a, i + n, "--format %s comes last",
					 format_names[fmt]);
			return -1;
		}
		return i;
	}
	return a->argc;
}

int format_only_check(struct verb_check *vc, const struct args *a)
{
	int n = format_tail(vc, a);

	if (n < 0)
		return VERB_ERROR;
	if (n > 0)
		return verb_check_error(vc, a, 0, "%s takes no arguments but --format json|csv",
					a->verb->name);
	return VERB_OK;
}

/* ---- Records ---- */

void rec_begin(struct records *r, struct kmm_ctx *ctx, enum out_format fmt,
	       const struct out_field *fields)
{
	memset(r, 0, sizeof(*r));
	r->ctx = ctx;
	r->fmt = fmt;
	r->fields = fields;
	while (fields[r->nfields].name)
		r->nfields++;
	if (fmt == FMT_JSON) {
		ctx_printf(ctx, "[");
	} else if (fmt == FMT_CSV) {
		for (size_t i = 0; i < r->nfields; i++)
			ctx_printf(ctx, "%s%s", i ? "," : "", fields[i].name);
		ctx_printf(ctx, "\n");
	}
}

/* Before a value: open the record or separate it from the previous value. */
static void rec_sep(struct records *r)
{
	if (r->fmt == FMT_JSON)
		ctx_printf(r->ctx, "%s\"%s\": ", r->col ? ", " : r->rows ? ",\n  {" : "\n  {",
			   r->fields[r->col].name);
	else if (r->col)
		ctx_printf(r->ctx, ",");
}

/* After a value: close the record after its last field. */
static void rec_next(struct records *r)
{
	if (++r->col < r->nfields)
		return;
	ctx_printf(r->ctx, r->fmt == FMT_JSON ? "}" : "\n");
	r->col = 0;
	r->rows++;
}

void rec_int(struct records *r, long long v)
{
	rec_sep(r);
	ctx_printf(r->ctx, "%lld", v);
	rec_next(r);
}

void rec_uint(struct records *r, unsigned long long v)
{
	rec_sep(r);
	ctx_printf(r->ctx, "%llu", v);
	rec_next(r);
}

void rec_addr(struct records *r, unsigned long long v)
{
	rec_sep(r);
	ctx_printf(r->ctx, r->fmt == FMT_JSON ? "\"0x%llx\"" : "0x%llx", v);
	rec_next(r);
}

void rec_bool(struct records *r, bool v)
{
	rec_sep(r);
	ctx_printf(r->ctx, "%s", v ? "true" : "false");
	rec_next(r);
}

void rec_str(struct records *r, const char *s)
{
	rec_sep(r);
	if (!s) {
		if (r->fmt == FMT_JSON)
			ctx_printf(r->ctx, "null");
	} else if (r->fmt == FMT_JSON) {
		ctx_printf(r->ctx, "\"");
		for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
			if (*p == '"' || *p == '\\')
				ctx_printf(r->ctx, "\\%c", *p);
			else if (*p < 0x20 || *p == 0x7f)
				ctx_printf(r->ctx, "\\u%04x", *p);
			else
				ctx_printf(r->ctx, "%c", *p);
		}
		ctx_printf(r->ctx, "\"");
	} else if (strpbrk(s, ",\"\n\r") || (*s && (s[0] == ' ' || s[strlen(s) - 1] == ' '))) {
		ctx_printf(r->ctx, "\"");
		for (const char *p = s; *p; p++) {
			if (*p == '"')
				ctx_printf(r->ctx, "\"");	/* a quote is doubled */
			ctx_printf(r->ctx, "%c", *p);
		}
		ctx_printf(r->ctx, "\"");
	} else {
		ctx_printf(r->ctx, "%s", s);
	}
	rec_next(r);
}

void rec_end(struct records *r)
{
	if (r->fmt == FMT_JSON)
		ctx_printf(r->ctx, r->rows ? "\n]\n" : "]\n");
}

/* ---- The pager ---- */

/* Is @prog an executable in $PATH? */
static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char file[4096];

	for (const char *p = path; p && *p;) {
		size_t n = strcspn(p, ":");
		snprintf(file, sizeof(file), "%.*s/%s", (int)n, p, prog);
		if (n && !access(file, X_OK))
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

void page_text(FILE *out, const char *text)
{
	struct winsize ws;
	int rows = 0, lines = 0;
	const char *pager = getenv("PAGER");

	if (isatty(fileno(out)) && !ioctl(fileno(out), TIOCGWINSZ, &ws))
		rows = ws.ws_row;
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	if (pager && (!*pager || !strcmp(pager, "cat")))
		pager = NULL;
	else if (!pager)
		pager = in_path("less") ? "less -FRX" : in_path("more") ? "more" : NULL;
	if (!rows || lines < rows || !pager) {
		fputs(text, out);
		return;
	}
	fflush(out);
	FILE *p = popen(pager, "w");
	if (!p) {
		fputs(text, out);
		return;
	}
	/* a pager quit early closes the pipe: that is not an error */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	fputs(text, p);
	pclose(p);
	sigaction(SIGPIPE, &old, NULL);
}
