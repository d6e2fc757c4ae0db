// SPDX-License-Identifier: MIT
/*
 * tests/fuzz_cli_corpus.c - the committed fuzz corpus (fuzz/corpus/) through
 * the real kmm binary: `kmm run -n FILE` (parse only) and `kmm run FILE`
 * (parse and run, with KMM_STEP_LIMIT bounding loops and a time limit per
 * file). No crash, no hang; every input answered with exit status 0, 1 or 2
 * (0 or 2 for -n); a status 2 comes with one "FILE:LINE:COL: message" line
 * on stderr. fuzz/replay.c checks the in-process parser contract on the
 * same files (ctest fuzz_scenario_replay).
 */
#include <dirent.h>

#include "tests/cli_run.h"
#include "tests/harness.h"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* stderr of a status-2 run: exactly one line "NAME:L:C: text" at its end. */
static bool located_error(const char *err, const char *name)
{
	size_t n = strlen(err);
	const char *last;
	int line = 0, col = 0, used = 0;
	char fmt[300];

	if (!n || err[n - 1] != '\n')
		return false;
	last = err + n - 1;
	while (last > err && last[-1] != '\n')
		last--;
	snprintf(fmt, sizeof(fmt), "%s:%%d:%%d: %%n", name);
	return sscanf(last, fmt, &line, &col, &used) == 2 && used > 0 && line >= 1 && col >= 1;
}

TEST(corpus_through_the_binary)
{
	const char *src = getenv("KMM_SOURCE_DIR");
	char dir[4096];
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, status_count[3] = { 0 };

	snprintf(dir, sizeof(dir), "%s/fuzz/corpus", src ? src : "..");
	assert_true((d = opendir(dir)) != NULL);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	assert_true(n >= 30);
	assert_true(chdir(dir) == 0);
	setenv("KMM_STEP_LIMIT", "100000", 1);
	/*
	 * Under AddressSanitizer the leak check at each child's exit is half
	 * the test's time. It stays on for every 8th file; `make fuzz` parses
	 * and runs every corpus file in-process (fuzz_run) with it on.
	 */
	const char *asan = getenv("ASAN_OPTIONS");
	char *asan_keep = asan ? strdup(asan) : NULL;
	char asan_noleak[1024];
	snprintf(asan_noleak, sizeof(asan_noleak), "%s%sdetect_leaks=0", asan ? asan : "",
		 asan && asan[0] ? ":" : "");
	for (size_t i = 0; i < n; i++) {
		char *out, *err;
		if (i % 8 == 0 && asan_keep)
			setenv("ASAN_OPTIONS", asan_keep, 1);
		else if (i % 8 == 0)
			unsetenv("ASAN_OPTIONS");
		else
			setenv("ASAN_OPTIONS", asan_noleak, 1);
		int rc = kmm_run((const char *const[]){ "kmm", "run", "-n", names[i], NULL }, NULL,
				 &out, &err, 20);
		if (rc != 0 && rc != 2)
			kmm_test_fail(__FILE__, __LINE__, "kmm run -n %s: status %d", names[i], rc);
		if (rc == 2 && !located_error(err, names[i]))
			kmm_test_fail(__FILE__, __LINE__, "kmm run -n %s: no file:line:col message: %s",
				      names[i], err);
		if (rc == 0 && (out[0] || err[0]))
			kmm_test_fail(__FILE__, __LINE__, "kmm run -n %s printed something", names[i]);
		free(out);
		free(err);

		rc = kmm_run((const char *const[]){ "kmm", "run", names[i], NULL }, NULL, &out, &err, 20);
		if (rc < 0 || rc > 2)
			kmm_test_fail(__FILE__, __LINE__, "kmm run %s: status %d%s", names[i], rc,
				      rc >= 128 ? " (killed by a signal, or it hung)" : "");
		else
			status_count[rc]++;
		if (rc == 2 && !located_error(err, names[i]))
			kmm_test_fail(__FILE__, __LINE__, "kmm run %s: no file:line:col message: %s",
				      names[i], err);
		free(out);
		free(err);
		free(names[i]);
	}
	free(names);
	free(asan_keep);
	printf("%zu inputs: %zu ran clean, %zu failed an expect, %zu rejected\n", n,
	       status_count[0], status_count[1], status_count[2]);
	expect_true(status_count[0] > 0 && status_count[2] > 0);
}
