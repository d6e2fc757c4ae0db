// SPDX-License-Identifier: MIT
/*
 * tests/integration_cli_manual.c - the manual cannot go stale: docs/kmm.1 is
 * exactly what `kmm help --man` generates from the tables; every verb of
 * every verb table, and every value term, appears in the man page and in
 * `help`; every kmm command of `kmm --help` appears in the man page; every
 * environment variable kmm reads (a getenv("NAME") anywhere in cli/, shim/,
 * mm/, lib/, arch/, proc/) is documented; every layer's section has an
 * intro and a worked example, and each example runs with exit status 0.
 * Runs the real binary ($KMM_BINARY_DIR/kmm); the tables come from
 * kmm_cli_core, linked in.
 */
#include <ftw.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/manual.h"
#include "cli/verbs.h"
#include "tests/cli_run.h"
#include "tests/harness.h"

static char *man_page;	/* `kmm help --man` */

static const char *source_dir(void)
{
	const char *d = getenv("KMM_SOURCE_DIR");
	return d ? d : "..";
}

/* @s as roff_escape() in cli/manual.c writes it: \ -> \e, - -> \-. */
static char *roff(const char *s)
{
	char *out = calloc(1, 2 * strlen(s) + 1), *o = out;

	for (; *s; s++) {
		if (*s == '\\' || *s == '-')
			*o++ = '\\';
		*o++ = *s == '\\' ? 'e' : *s;
	}
	return out;
}

/* The man page has a .TP tag line starting with @bold in bold. */
static bool man_has_tag(const char *bold)
{
	char *r = roff(bold);
	char *needle = malloc(strlen(r) + 16);

	sprintf(needle, ".TP\n\\fB%s\\fR", r);
	bool yes = strstr(man_page, needle) != NULL;
	free(needle);
	free(r);
	return yes;
}

__attribute__((noinline)) static char *run_out(const char *const *argv, int *rc)
{
	char *out, *err;

	*rc = kmm_run(argv, NULL, &out, &err, 300);
	free(err);
	return out;
}

TEST(docs_kmm_1_is_what_the_tables_generate)
{
	int rc;
	char path[4096];

	man_page = run_out((const char *const[]){ "kmm", "help", "--man", NULL }, &rc);
	assert_eq(rc, 0);
	snprintf(path, sizeof(path), "%s/docs/kmm.1", source_dir());
	char *committed = slurp(path);
	assert_true(committed != NULL);
	if (strcmp(committed, man_page)) {
		const char *a = committed, *b = man_page;
		int line = 1;
		while (*a && *a == *b) {
			line += *a == '\n';
			a++;
			b++;
		}
		kmm_test_fail(__FILE__, __LINE__, "docs/kmm.1 is stale from line %d: run `make man` "
			      "and commit it (committed: \"%.60s\", generated: \"%.60s\")", line, a, b);
	}
	free(committed);
	/* a page man(1) can read */
	expect_true(!strncmp(strstr(man_page, ".TH KMM 1") ? strstr(man_page, ".TH KMM 1") : "",
			     ".TH KMM 1", 9));
}

TEST(every_verb_and_value_in_the_man_page_and_help)
{
	size_t nt;
	const struct verb_table *const *t = verb_tables(&nt);
	int rc;
	char *help = run_out((const char *const[]){ "kmm", "help", NULL }, &rc);
	char *values = run_out((const char *const[]){ "kmm", "help", "values", NULL }, &rc);
	int verbs = 0, terms = 0;

	assert_true(man_page != NULL);
	for (size_t i = 0; i < nt; i++) {
		char needle[256];

		snprintf(needle, sizeof(needle), "\n%s:\n", t[i]->layer);
		if (!strstr(help, needle))
			kmm_test_fail(__FILE__, __LINE__, "`help` has no heading for layer %s",
				      t[i]->layer);
		snprintf(needle, sizeof(needle), ".SS \"%s\"", t[i]->layer);
		if (!strstr(man_page, needle))
			kmm_test_fail(__FILE__, __LINE__, "no section for layer %s", t[i]->layer);
		for (size_t j = 0; j < t[i]->nr_verbs; j++, verbs++) {
			const struct verb *v = &t[i]->verbs[j];

			if (!man_has_tag(v->synopsis))
				kmm_test_fail(__FILE__, __LINE__, "verb %s (%s) is not in the man page",
					      v->name, v->synopsis);
			snprintf(needle, sizeof(needle), "\n  %-13s %s\n", v->name, v->summary);
			if (!strstr(help, needle))
				kmm_test_fail(__FILE__, __LINE__, "verb %s is not in `help`", v->name);
			char *one = run_out((const char *const[]){ "kmm", "help", v->name, NULL },
					    &rc);
			if (rc != 0 || !strstr(one, v->synopsis))
				kmm_test_fail(__FILE__, __LINE__, "`help %s` does not show its "
					      "synopsis", v->name);
			free(one);
		}
		for (size_t j = 0; j < t[i]->nr_terms; j++, terms++) {
			const struct term *term = &t[i]->terms[j];
			const char *syn = term->synopsis ? term->synopsis : term->name;

			if (!man_has_tag(syn))
				kmm_test_fail(__FILE__, __LINE__, "value %s is not in the man page", syn);
			if (!strstr(values, syn))
				kmm_test_fail(__FILE__, __LINE__, "value %s is not in `help values`", syn);
		}
	}
	for (size_t i = 0; i < nr_value_docs; i++)
		expect_true(man_has_tag(value_docs[i].name));
	printf("%d verbs and %d values in %zu tables checked\n", verbs, terms, nt);
	expect_true(verbs > 50);
	free(help);
	free(values);
}

TEST(every_command_option_status_and_boot_option_in_the_man_page)
{
	int rc;
	char *usage = run_out((const char *const[]){ "kmm", "--help", NULL }, &rc);
	int commands = 0;

	assert_eq(rc, 0);
	assert_true(man_page != NULL);
	for (const char *p = strstr(usage, "\n  kmm "); p; p = strstr(p + 1, "\n  kmm ")) {
		char name[64], head[80];
		if (sscanf(p, "\n  kmm %63s", name) != 1 || name[0] == '-')
			continue;
		snprintf(head, sizeof(head), "kmm %s", name);
		if (!man_has_tag(head))
			kmm_test_fail(__FILE__, __LINE__, "command %s is not in the man page", head);
		/* and its --help comes from the same row */
		char *one = run_out((const char *const[]){ "kmm", name, "--help", NULL }, &rc);
		char want[80];
		snprintf(want, sizeof(want), "usage: kmm %s ", name);
		if (rc != 0 || strncmp(one, want, strlen(want)))
			kmm_test_fail(__FILE__, __LINE__, "kmm %s --help: %.80s", name, one);
		free(one);
		commands++;
	}
	expect_true(commands >= 5);
	for (size_t i = 0; i < nr_exit_docs; i++)
		expect_true(man_has_tag(exit_docs[i].name));
	for (size_t i = 0; i < nr_boot_option_docs; i++)
		expect_true(man_has_tag(boot_option_docs[i].name));
	expect_str_contains(man_page, ".SH \"EXIT STATUS\"");
	expect_str_contains(man_page, ".SH ENVIRONMENT");
	free(usage);
}

/* ---- Every getenv("NAME") in the sources is documented ---- */

static regex_t getenv_re;
static int undocumented, scanned;

static int scan_source(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t n = strlen(path);
	(void)st;
	(void)ftw;
	if (type != FTW_F || !((n > 2 && !strcmp(path + n - 2, ".c")) ||
			       (n > 2 && !strcmp(path + n - 2, ".h")) ||
			       (n > 3 && !strcmp(path + n - 3, ".cc"))))
		return 0;
	char *text = slurp(path);
	regmatch_t m[3];
	scanned++;
	for (const char *p = text; p && !regexec(&getenv_re, p, 3, m, 0); p += m[0].rm_eo) {
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)(m[2].rm_eo - m[2].rm_so), p + m[2].rm_so);
		bool found = false;
		for (size_t i = 0; i < nr_env_docs; i++)
			found |= !strcmp(env_docs[i].name, name);
		if (!found || !man_has_tag(name)) {
			undocumented++;
			kmm_test_fail(__FILE__, __LINE__, "%s reads $%s, which env_docs[] "
				      "(cli/manual.c) and the man page do not document", path, name);
		}
	}
	free(text);
	return 0;
}

TEST(every_environment_variable_is_documented)
{
	static const char *const dirs[] = { "cli", "shim", "mm", "lib", "arch", "proc", "init",
					    "lab" };
	char path[4096];

	assert_true(man_page != NULL);
	assert_eq(regcomp(&getenv_re, "(getenv|env_true)\\(\"([A-Z_][A-Z0-9_]*)\"\\)",
			  REG_EXTENDED), 0);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", source_dir(), dirs[i]);
		nftw(path, scan_source, 16, FTW_PHYS);
	}
	regfree(&getenv_re);
	expect_eq(undocumented, 0);
	expect_true(scanned > 0);
	for (size_t i = 0; i < nr_env_docs; i++)
		expect_true(man_has_tag(env_docs[i].name));
}

TEST(every_layer_has_an_intro_and_an_example_that_runs)
{
	size_t nt;
	const struct verb_table *const *t = verb_tables(&nt);

	for (size_t i = 0; i < nt; i++) {
		if (!t[i]->intro || !t[i]->example) {
			kmm_test_fail(__FILE__, __LINE__, "table \"%s\" lacks %s", t[i]->layer,
				      t[i]->intro ? "an example" : "an intro");
			continue;
		}
		char *out, *err;
		int rc = kmm_run((const char *const[]){ "kmm", "run", "-", NULL }, t[i]->example,
				 &out, &err, 300);
		if (rc != 0 || err[0])
			kmm_test_fail(__FILE__, __LINE__, "the example of \"%s\" exits %d: %s",
				      t[i]->layer, rc, err);
		free(out);
		free(err);
	}
}
