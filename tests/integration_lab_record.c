// SPDX-License-Identifier: MIT
/*
 * tests/integration_lab_record.c - recording real programs' allocations:
 * `kmm lab record -- PROGRAM` (libkmm-malloc.so with KMM_MALLOC_TRACE) gives
 * a trace that `kmm lab fit --check` replays through every pool allocator;
 * a wrapper that execs the program leaves the program's trace; %p in
 * KMM_MALLOC_TRACE names the file after the process. Not run under a
 * sanitizer (cmake/lab.cmake): its runtime would take malloc from the shim.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/cli_run.h"
#include "tests/harness.h"

static char input[64];

/* A fresh file of 3000 lines for sort, named in input[]. */
static void make_input(void)
{
	snprintf(input, sizeof(input), "/tmp/kmm_lab_inXXXXXX");
	int fd = mkstemp(input);
	FILE *f = fdopen(fd, "w");

	assert_true(f != NULL);
	for (int i = 3000; i > 0; i--)
		fprintf(f, "line %d %s\n", i * 7919 % 3001, i % 3 ? "abc" : "a longer line of text");
	fclose(f);
}

static int count_lines(const char *text, char op)
{
	int n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += p[0] == op && p[1] == ' ';
	return n;
}

TEST(record_sort_then_replay_it_through_every_pool)
{
	char trace[] = "/tmp/kmm_lab_traceXXXXXX";
	char *out, *err;
	int fd = mkstemp(trace);

	close(fd);
	make_input();
	const char *rec[] = { "kmm", "lab", "record", "-o", trace, "--", "sort", input, NULL };
	expect_eq(kmm_run(rec, NULL, &out, &err, 120), 0);
	expect_str_contains(err, "kmm lab record: sort exited with status 0; trace in ");
	expect_eq(count_lines(out, 'l'), 0);	/* "line ..." lines do not start "l " */
	expect_true(strstr(out, "line 2999 abc\n") || strstr(out, "line 2999 a longer"));
	free(out);
	free(err);

	char *text = slurp(trace);
	assert_true(text != NULL);
	expect_eq(strncmp(text, "# kmm malloc trace 1\n", 21), 0);
	/* sort reads 3000 lines: it allocates, and frees most of it */
	expect_true(count_lines(text, 'a') > 10);
	expect_true(count_lines(text, 'f') > 10);
	free(text);

	const char *fit[] = { "kmm", "lab", "fit", "--check", "--meta", "both", "--format", "csv",
			      trace, NULL };
	expect_eq(kmm_run(fit, NULL, &out, &err, 300), 0);
	expect_str_contains(out, ",tlsf,outside,");
	expect_eq(strcmp(err, ""), 0);
	free(out);
	free(err);
	unlink(trace);
	unlink(input);
}

TEST(a_wrapper_that_execs_leaves_the_programs_trace)
{
	char trace[] = "/tmp/kmm_lab_traceXXXXXX";
	char *out, *err;
	int fd = mkstemp(trace);

	close(fd);
	make_input();
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "exec sort %s", input);
	const char *rec[] = { "kmm", "lab", "record", "-o", trace, "--", "sh", "-c", cmd, NULL };
	expect_eq(kmm_run(rec, NULL, &out, &err, 120), 0);
	free(out);
	free(err);
	char *text = slurp(trace);
	assert_true(text != NULL);
	expect_true(count_lines(text, 'a') > 10);
	free(text);

	/* a program that does not exist: status 2 and a message */
	const char *bad[] = { "kmm", "lab", "record", "-o", trace, "--", "/no/such/program", NULL };
	expect_eq(kmm_run(bad, NULL, &out, &err, 60), 2);
	expect_str_contains(err, "/no/such/program");
	free(out);
	free(err);
	const char *none[] = { "kmm", "lab", "record", "-o", trace, NULL };
	expect_eq(kmm_run(none, NULL, &out, &err, 60), 2);
	expect_str_contains(err, "which program?");
	free(out);
	free(err);
	unlink(trace);
	unlink(input);
}

TEST(percent_p_names_the_trace_after_the_process)
{
	const char *lib = getenv("KMM_MALLOC_LIB");
	char pattern[64], path[96];

	assert_true(lib != NULL);
	snprintf(pattern, sizeof(pattern), "/tmp/kmm_lab_pid_%d.%%p", (int)getpid());
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("LD_PRELOAD", lib, 1);
		setenv("KMM_MALLOC_TRACE", pattern, 1);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execlp("ls", "ls", "/", (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	expect_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(path, sizeof(path), "/tmp/kmm_lab_pid_%d.%d", (int)getpid(), (int)pid);
	char *text = slurp(path);
	expect_true(text && !strncmp(text, "# kmm malloc trace 1\n", 21));
	expect_true(text && count_lines(text, 'a') > 0);
	free(text);
	unlink(path);
}

/*
 * A program that cannot run, or writes no trace, leaves no file behind and an
 * older trace of the same name as it was (review16 R7: an empty
 * ./nonexistent.trace was left, and -o FILE was truncated before the run).
 */
TEST(a_program_that_does_not_run_leaves_no_trace_and_an_old_one_as_it_was)
{
	char dir[] = "/tmp/kmm_lab_failXXXXXX", path[96];
	char *out, *err;

	assert_true(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/x.trace", dir);
	const char *bad[] = { "kmm", "lab", "record", "-o", path, "--", "/no/such/program", NULL };
	expect_eq(kmm_run(bad, NULL, &out, &err, 60), 2);
	expect_str_contains(err, "kmm lab record: /no/such/program did not run");
	expect_true(access(path, F_OK) != 0);
	free(out);
	free(err);
	FILE *f = fopen(path, "w");
	assert_true(f != NULL);
	fputs("# an older trace\n", f);
	fclose(f);
	expect_eq(kmm_run(bad, NULL, &out, &err, 60), 2);
	free(out);
	free(err);
	char *text = slurp(path);
	expect_true(text && !strcmp(text, "# an older trace\n"));
	free(text);
	unlink(path);
	expect_eq(rmdir(dir), 0);	/* and no partial file beside it */
}

/*
 * A %p in -o would be expanded by the shim inside the part file's name, so the
 * trace was left behind under another name and the run said "wrote no trace"
 * (review16 R11): the name is refused before anything runs or is written.
 */
TEST(a_trace_name_with_a_percent_is_refused_and_nothing_is_written)
{
	char dir[] = "/tmp/kmm_lab_pctXXXXXX", path[96];
	char *out, *err;

	assert_true(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/x.%%p.trace", dir);
	const char *argv[] = { "kmm", "lab", "record", "-o", path, "--", "ls", "/", NULL };
	expect_eq(kmm_run(argv, NULL, &out, &err, 60), 2);
	expect_str_contains(err, "a trace name with '%' is not taken");
	free(out);
	free(err);
	expect_eq(rmdir(dir), 0);	/* empty: no trace, no part file */
}
