// SPDX-License-Identifier: MIT
/*
 * tests/unit_cli_boot_options.c - no boot option goes undocumented: every
 * option kmm knows (the built-in ones and those every layer registers,
 * kmm_boot_option_name()) has an entry of the manual's boot option table
 * (cli/manual.c, hence `kmm help` and docs/kmm.1) and a row of
 * docs/boot-options.md. An option a layer adds without its documentation
 * fails here, named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/manual.h"
#include "mm/include/boot_options.h"
#include "tests/harness.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (text = malloc((size_t)n + 1)) != NULL) {
		text[fread(text, 1, (size_t)n, f)] = 0;
	}
	fclose(f);
	return text;
}

/* @doc's name is @name followed by '=' or its end ("slab_debug=FLAGS", "debug_checks=off|on"). */
static bool names(const char *doc, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(doc, name, n) && (doc[n] == '=' || doc[n] == 0);
}

/* An entry whose name is @name, or whose text calls it an alias ("also slub_debug="). */
static bool in_manual(const char *name)
{
	char alias[64];

	snprintf(alias, sizeof(alias), "also %s=", name);
	for (size_t i = 0; i < nr_boot_option_docs; i++)
		if (names(boot_option_docs[i].name, name) || strstr(boot_option_docs[i].text, alias))
			return true;
	return false;
}

TEST(every_boot_option_is_in_the_manual_and_in_boot_options_md)
{
	struct kmm_boot_opts o;
	const char *dir = getenv("KMM_SOURCE_DIR");
	char path[4096], row[96], alias[96];
	int n = 0;

	/* The layers register their options before the first command line is parsed. */
	assert_eq(kmm_parse_cmdline("mem=64M", &o), 0);
	snprintf(path, sizeof(path), "%s/docs/boot-options.md", dir ? dir : "..");
	char *md = slurp(path);
	assert_true(md != NULL);
	for (const char *name; (name = kmm_boot_option_name(n)) != NULL; n++) {
		if (!in_manual(name))
			kmm_test_fail(__FILE__, __LINE__, "boot option %s= has no entry in "
				      "boot_option_docs[] (cli/manual.c; then `make man` for "
				      "docs/kmm.1)", name);
		/* a row of its own ("| `numa=fake=` |"), or an alias in another's */
		snprintf(row, sizeof(row), "| `%s=", name);
		snprintf(alias, sizeof(alias), "(alias `%s=`)", name);
		if (!strstr(md, row) && !strstr(md, alias))
			kmm_test_fail(__FILE__, __LINE__, "boot option %s= has no row %s in "
				      "docs/boot-options.md", name, row);
	}
	free(md);
	/* Both kinds were seen: the built-in mem= and a layer's slab_debug=. */
	expect_true(n > 20);
	expect_true(kmm_boot_option_name(0) != NULL && !strcmp(kmm_boot_option_name(0), "mem"));
	bool layer = false;
	for (int i = 0; i < n; i++)
		layer |= !strcmp(kmm_boot_option_name(i), "slab_debug");
	expect_true(layer);
	expect_true(kmm_boot_option_name(-1) == NULL);
}
