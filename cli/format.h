// SPDX-License-Identifier: MIT
/*
 * cli/format.h - output for other tools: `--format json|csv` on the verbs
 * whose output is a table (zones, ps, slabinfo, page, pagetable).
 *
 * Linux counterpart: none (procps prints text; kmm adds the machine-readable
 * twin of its own tables).
 *
 * A verb that offers --format declares its columns as a NULL-terminated
 * `struct out_field` array in its verb row (`fields`): those names are the
 * JSON keys and the CSV header, stable across releases, documented by
 * `help VERB` and the manual. Its check hook lets format_word() take the
 * option; its run hook gets the format with format_of() and, unless it is
 * FMT_TEXT, emits one record per row with rec_begin/rec_int/.../rec_end, in
 * the order of the fields.
 *
 * JSON: an array of objects, one per line; addresses are "0x..." strings
 * (a 64-bit address does not fit a JSON number exactly), counts are numbers.
 * CSV (RFC 4180): a header of the field names, then one line per record;
 * a text with a comma, quote or line break is quoted.
 */
#ifndef KMM_CLI_FORMAT_H
#define KMM_CLI_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/verbs.h"

enum out_format { FMT_TEXT, FMT_JSON, FMT_CSV };

/**
 * format_word() - does argument @i of @a start a format option?
 * Accepts `--format NAME` (two words) and `--format=NAME`.
 * @nwords: set to the words it takes (1 or 2) when it does.
 * @fmt: set to the format.
 * Return: 0 not a format option; 1 a valid one; -1 a bad one (message in
 * @err: no name, or an unknown name with a did-you-mean).
 */
int format_word(const struct args *a, int i, int *nwords, enum out_format *fmt, char *err,
		size_t errlen);
/** format_of() - the format a (checked) argument list asks for; FMT_TEXT if none. */
enum out_format format_of(const struct args *a);
/**
 * format_tail() - check an optional `--format F` at the end of @a's arguments.
 * Return: how many arguments come before it (a->argc without one), or -1
 * after reporting a bad or misplaced one through @vc.
 */
int format_tail(struct verb_check *vc, const struct args *a);
/** format_only_check() - a check hook for verbs whose only option is --format. */
int format_only_check(struct verb_check *vc, const struct args *a);

/* One table being written as records. */
struct records {
	struct kmm_ctx *ctx;
	enum out_format fmt;
	const struct out_field *fields;
	size_t nfields;
	size_t col;		/* next field of the current record */
	unsigned long rows;
};

void rec_begin(struct records *r, struct kmm_ctx *ctx, enum out_format fmt,
	       const struct out_field *fields);
void rec_int(struct records *r, long long v);
void rec_uint(struct records *r, unsigned long long v);
void rec_addr(struct records *r, unsigned long long v);	/* "0x..." text */
void rec_str(struct records *r, const char *s);		/* NULL: JSON null, CSV empty */
void rec_bool(struct records *r, bool v);
/** rec_end() - close the table (JSON's ']'). */
void rec_end(struct records *r);

/**
 * page_text() - print @text on @out, through a pager when @out is a
 * terminal and the text is taller than it: $PAGER (empty or "cat": none),
 * else less -FRX or more if installed.
 */
void page_text(FILE *out, const char *text);

#endif /* KMM_CLI_FORMAT_H */
