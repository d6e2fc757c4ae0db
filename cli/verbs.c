// SPDX-License-Identifier: MIT
/*
 * cli/verbs.c - the list of verb tables, lookup, and `help`.
 *
 * Linux counterpart: none.
 *
 * HOW A LAYER ADDS VERBS: write cli/verbs_<layer>.c defining
 *     const struct verb_table <layer>_verbs = { "layer", verbs, n, terms, n };
 * then add ONE line to each of the two lists below (the extern and the
 * table entry). Nothing else changes: the parser finds verbs here, `help`
 * lists them in this order. The list is explicit rather than built by
 * constructors so that the tests and the fuzz target, which link the CLI as
 * a static library, see exactly the same verbs as the kmm command.
 *
 * Invariant: verb and term names are unique across all tables (checked by
 * tests/unit_cli_parse.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli/manual.h"
#include "cli/scenario.h"
#include "cli/verbs.h"
#include "lib/util.h"

/* ---- The registered tables: add one line per layer ---- */

static const struct verb_table *const tables[] = {
	&core_verbs,
	&machine_verbs,
	&page_verbs,
	&vmalloc_verbs,
	&slab_verbs,
	&process_verbs,
	&mlock_verbs,
	&pressure_verbs,
	&file_verbs,
	&trace_verbs,
	&oom_verbs,
	&lab_verbs,
	&report_verbs,
	&hotplug_verbs,
	/* later layers: &slab_verbs, &vmalloc_verbs, &process_verbs, ... */
};

const struct verb_table *const *verb_tables(size_t *n)
{
	*n = ARRAY_SIZE(tables);
	return tables;
}

const struct verb *verb_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		for (size_t j = 0; j < tables[i]->nr_verbs; j++)
			if (!strcmp(tables[i]->verbs[j].name, name))
				return &tables[i]->verbs[j];
	return NULL;
}

const char *gfp_flag_hint(const char *word, char *buf, size_t len)
{
	struct kmm_nearest near;
	char typed[64];
	const char *name;

	snprintf(typed, sizeof(typed), "%.*s", (int)strcspn(word, "|"), word);
	kmm_nearest_init(&near, 3);
	for (unsigned int i = 0; (name = kmm_gfp_flag_name(i)); i++)
		kmm_nearest_try(&near, typed, name);
	if (near.best)
		snprintf(buf, len, " (did you mean '%s'?)", near.best);
	else if (len)
		buf[0] = '\0';
	return buf;
}

const char *word_hint(const char *typed, const char *words, char *buf, size_t len)
{
	struct kmm_nearest near;
	char word[64];
	char best[64] = "";

	kmm_nearest_init(&near, 3);
	for (const char *p = words; *p;) {
		size_t n = strcspn(p, " ");
		if (n && n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
			kmm_nearest_try(&near, typed, word);
			if (near.best == word) {
				memcpy(best, word, n + 1);
				near.best = best;
			}
		}
		p += n + (p[n] == ' ');
	}
	if (near.best)
		snprintf(buf, len, "did you mean '%s'? ", best);
	else if (len)
		buf[0] = '\0';
	return buf;
}

const struct out_field *verb_fields(const struct verb *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		for (const struct verb_format *f = tables[i]->formats; f && f->verb; f++)
			if (!strcmp(f->verb, v->name))
				return f->fields;
	return NULL;
}

/* Exact names first; then the longest prefix ending in '.', ':' or '/'. */
const struct term *term_find(const char *name)
{
	const struct term *best = NULL;
	size_t bestlen = 0;

	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		for (size_t j = 0; j < tables[i]->nr_terms; j++) {
			const struct term *t = &tables[i]->terms[j];
			size_t n = strlen(t->name);
			char last = n ? t->name[n - 1] : 0;

			if (!strcmp(t->name, name))
				return t;
			if ((last == '.' || last == ':' || last == '/') && !strncmp(t->name, name, n) &&
			    name[n] && n > bestlen) {
				best = t;
				bestlen = n;
			}
		}
	}
	return best;
}

static void help_all(struct kmm_ctx *ctx)
{
	ctx_printf(ctx, "kmm scenario language: one command per line, # comments, $name "
		   "variables.\n"
		   "Type `help COMMAND` for details, `help values` for what expect/let/print "
		   "can read,\n`help syntax` for the language itself, `help shell` for the "
		   "shell's keys,\n`help environment` and `help status` for variables and exit "
		   "statuses.\n");
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		ctx_printf(ctx, "\n%s:\n", tables[i]->layer);
		for (size_t j = 0; j < tables[i]->nr_verbs; j++) {
			const struct verb *v = &tables[i]->verbs[j];
			ctx_printf(ctx, "  %-13s %s\n", v->name, v->summary);
		}
	}
}

static void help_values(struct kmm_ctx *ctx)
{
	ctx_printf(ctx, "Values for expect, let and print (combine with + - * / %% == != < <= "
		   "> >= contains !contains && || !):\n");
	for (size_t i = 0; i < nr_value_docs; i++)
		ctx_printf(ctx, "  %-30s %s\n", value_docs[i].name, value_docs[i].text);
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		for (size_t j = 0; j < tables[i]->nr_terms; j++) {
			const struct term *t = &tables[i]->terms[j];
			ctx_printf(ctx, "  %-30s %s\n", t->synopsis ? t->synopsis : t->name,
				   t->summary);
		}
}

int verbs_help(struct kmm_ctx *ctx, const char *name)
{
	if (!name) {
		help_all(ctx);
		return VERB_OK;
	}
	if (!strcmp(name, "values") || !strcmp(name, "terms")) {
		help_values(ctx);
		return VERB_OK;
	}
	if (!strcmp(name, "syntax") || !strcmp(name, "language")) {
		ctx_printf(ctx, "%s", syntax_help);
		return VERB_OK;
	}
	if (!strcmp(name, "shell")) {
		ctx_printf(ctx, "%s", shell_help);
		return VERB_OK;
	}
	if (!strcmp(name, "environment") || !strcmp(name, "env") || !strcmp(name, "status")) {
		bool env = strcmp(name, "status") != 0;
		const struct doc_item *d = env ? env_docs : exit_docs;
		size_t n = env ? nr_env_docs : nr_exit_docs;

		ctx_printf(ctx, "%s\n", env ? "Environment variables:" : "Exit status of kmm:");
		for (size_t i = 0; i < n; i++) {
			struct strbuf sb;
			sb_init(&sb);
			sb_printf(&sb, "  %-20s ", d[i].name);
			doc_wrap(&sb, d[i].text, 23, 79, (int)sb.len);
			ctx_printf(ctx, "%s", sb.buf ? sb.buf : "");
			sb_free(&sb);
		}
		return VERB_OK;
	}
	const struct verb *v = verb_find(name);
	if (!v) {
		const struct term *t = term_find(name);
		if (t) {
			ctx_printf(ctx, "%s\n    %s\n", t->synopsis ? t->synopsis : t->name, t->summary);
			return VERB_OK;
		}
		return -1;
	}
	ctx_printf(ctx, "usage: %s\n    %s\n", v->synopsis, v->summary);
	if (v->help)
		ctx_printf(ctx, "\n%s", v->help);
	const struct out_field *f = verb_fields(v);
	if (f) {
		ctx_printf(ctx, "\nWith --format json|csv, one record per row with these fields:\n");
		for (; f->name; f++)
			ctx_printf(ctx, "  %-12s %s\n", f->name, f->doc);
	}
	return VERB_OK;
}
