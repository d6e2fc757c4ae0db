// SPDX-License-Identifier: MIT
/*
 * tests/cli_test.h - the way most CLI tests run the kmm binary: run(argv)
 * or RUN("run", "-e", ...) (argv[0] "kmm" supplied), run_in() with text on
 * standard input; what the last run printed stays in out and err (freed by
 * the next run), its exit status is returned (tests/cli_run.h: kmm_run, a
 * 120 s limit).
 */
#ifndef KMM_TESTS_CLI_TEST_H
#define KMM_TESTS_CLI_TEST_H

#include "tests/cli_run.h"
#include "tests/harness.h"

/* stdout and stderr of the last run (malloc()ed). */
static char *out, *err;

static inline int run_in(const char *const *argv, const char *input)
{
	free(out);
	free(err);
	return kmm_run(argv, input, &out, &err, 120);
}

static inline int run(const char *const *argv)
{
	return run_in(argv, NULL);
}

#define RUN(...) run((const char *const[]){ "kmm", __VA_ARGS__, NULL })

#endif /* KMM_TESTS_CLI_TEST_H */
