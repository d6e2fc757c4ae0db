// SPDX-License-Identifier: MIT
/*
 * tests/integration_trace_cli.c - the recorder and the verbs of the event
 * stream through the kmm command: `kmm trace record` writes the documented
 * format (docs/trace-format.md), the same bytes on every run; `kmm run
 * --trace`; `kmm trace report`; the `trace`, `sleep` and `inject` verbs;
 * and clear errors for bad input.
 */
#include "tests/cli_test.h"

static void tmp_path(char *buf, size_t len, const char *name)
{
	const char *dir = getenv("KMM_BINARY_DIR");

	snprintf(buf, len, "%s/trace_cli_%d_%s", dir ? dir : ".", (int)getpid(), name);
}

/* Every line is a comment or "SECONDS CPU PID EVENT key=value...". */
static int check_lines(const char *text)
{
	int events = 0;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[2048], name[64];
		unsigned long long s, ns;
		int cpu, pid;

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		if (line[0] != '#') {
			if (!expect_eq(sscanf(line, "%llu.%9llu %d %d %63s", &s, &ns, &cpu, &pid, name), 5))
				fprintf(stderr, "bad line: %s\n", line);
			events++;
		}
		p += n + (nl ? 1 : 0);
	}
	return events;
}

TEST(record_writes_the_documented_format_the_same_every_run)
{
	char a[512], b[512];
	const char *src = getenv("KMM_SOURCE_DIR");
	char script[512];

	snprintf(script, sizeof(script), "%s/examples/cow.kmm", src ? src : "..");
	tmp_path(a, sizeof(a), "a.trace");
	tmp_path(b, sizeof(b), "b.trace");
	assert_eq(RUN("trace", "record", "-o", a, script), 0);
	assert_eq(RUN("trace", "record", "-o", b, script), 0);
	char *ta = slurp(a), *tb = slurp(b);
	assert_true(ta && tb);
	expect_true(!strcmp(ta, tb));
	expect_true(!strncmp(ta, "# kmm-trace 1\n# machine ", 24));
	expect_true(check_lines(ta) > 50);
	/* the boot log, a fork's system call, faults, pages */
	expect_str_contains(ta, " console msg=\"Linux version 6.12.0-kmm");
	expect_str_contains(ta, " sys_exit NR=57 name=fork ret=");
	expect_str_contains(ta, " page_fault_user address=0x");
	expect_str_contains(ta, " mm_page_alloc pfn=0x");
	free(ta);
	free(tb);
	/* the report reads it */
	expect_eq(RUN("trace", "report", a), 0);
	expect_str_contains(out, "machine 1: mem=1G arch=i386");
	expect_str_contains(out, "sys_exit");
	unlink(a);
	unlink(b);
}

TEST(run_trace_with_an_event_list)
{
	char a[512];

	tmp_path(a, sizeof(a), "c.trace");
	assert_eq(RUN("run", "--trace", a, "--trace-events", "kmalloc,kfree", "-e",
		      "boot mem=64M arch=i386", "-e", "kmalloc 100 -> $k", "-e", "kfree $k"), 0);
	char *t = slurp(a);
	assert_true(t != NULL);
	expect_eq(check_lines(t), 2);
	expect_str_contains(t, " kmalloc ptr=0x");
	expect_str_contains(t, " bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL node=-1\n");
	expect_str_contains(t, " kfree ptr=0x");
	free(t);
	unlink(a);
}

TEST(bad_input_gets_a_clear_error)
{
	char a[512];

	tmp_path(a, sizeof(a), "d.trace");
	expect_eq(RUN("run", "--trace", a, "--trace-events", "mm_page_allok", "-e", "free"), 2);
	expect_str_contains(err, "no event \"mm_page_allok\"");
	expect_eq(RUN("run", "--trace-events", "kmalloc", "-e", "free"), 2);
	expect_str_contains(err, "--trace-events needs --trace FILE");
	expect_eq(RUN("trace", "report", "/nonexistent/x.trace"), 2);
	expect_str_contains(err, "cannot read /nonexistent/x.trace");
	expect_eq(RUN("trace", "frobnicate"), 2);
	expect_str_contains(err, "unknown subcommand 'frobnicate'");
	/* a file that is not a trace */
	FILE *f = fopen(a, "w");
	assert_true(f != NULL);
	fputs("hello\n", f);
	fclose(f);
	expect_eq(RUN("trace", "report", a), 2);
	expect_str_contains(err, "not a kmm trace");
	unlink(a);
	/* the verbs check their words before anything runs */
	expect_eq(RUN("run", "-e", "trace start bogus_event"), 2);
	expect_str_contains(err, "no event \"bogus_event\"");
	expect_eq(RUN("run", "-e", "sleep 10 years"), 2);
	expect_eq(RUN("run", "-e", "inject failslab nth=0"), 2);
	expect_str_contains(err, "inject failslab: \"nth=0\": nth takes a number from 1");
	expect_eq(RUN("run", "-e", "inject failslab min_order=99"), 2);
	expect_str_contains(err, "min_order takes an order from 0 to 10");
	expect_eq(RUN("run", "-e", "inject failslab probability=101"), 2);
	expect_str_contains(err, "probability is a percentage from 0 to 100");
	expect_eq(RUN("run", "-e", "inject failslab times=-2"), 2);
	expect_str_contains(err, "times takes a number from -1 (no limit)");
	expect_eq(RUN("run", "-e", "inject failslab often=3"), 2);
	expect_str_contains(err, "\"often=3\" is not one of nth=N");
	expect_eq(RUN("run", "-e", "inject fail_page_alloc=1,200,0,1"), 2);
	expect_str_contains(err, "<interval>,<probability>,<space>,<times>");
}

TEST(trace_show_and_sleep_in_a_scenario)
{
	assert_eq(RUN("run", "-e", "boot mem=64M arch=i386", "-e", "trace start mm_page_alloc",
		      "-e", "alloc_pages order=2 -> $p", "-e", "trace show", "-e", "let $t = clock",
		      "-e", "sleep 1.5", "-e", "expect clock == $t + 1500000000"), 0);
	expect_str_contains(out, " 0 0 mm_page_alloc pfn=0x");
	expect_str_contains(out, " order=2 gfp_flags=GFP_KERNEL migratetype=0\n");
	/* the ring is deterministic too */
	char *first = strdup(out);
	assert_eq(RUN("run", "-e", "boot mem=64M arch=i386", "-e", "trace start mm_page_alloc",
		      "-e", "alloc_pages order=2 -> $p", "-e", "trace show", "-e", "let $t = clock",
		      "-e", "sleep 1.5", "-e", "expect clock == $t + 1500000000"), 0);
	expect_true(!strcmp(first, out));
	free(first);
}

TEST(inject_fails_what_it_names)
{
	expect_eq(RUN("run", "-e", "boot mem=64M arch=i386", "-e", "inject failslab nth=2 quiet",
		      "-e", "kmalloc 64 -> $a", "-e", "kmalloc 64 -> $b", "-e", "kmalloc 64 -> $c",
		      "-e", "print $b injected.failslab", "-e", "expect injected.failslab == 1",
		      "-e", "inject off", "-e", "kfree $a", "-e", "kfree $c"), 0);
	expect_str_contains(out, "failed by failslab");
	/*
	 * the boot option acts from the start of boot: the first allocations are
	 * boot's (two: the slab retries a failed page once, as Linux does)
	 */
	expect_eq(RUN("boot", "mem=64M", "arch=i386", "fail_page_alloc=1,100,0,2"), 2);
	expect_true(err[0] != 0);
}

/* `kmm trace record` names itself and -o, which the user typed (review16 R7). */
TEST(trace_record_names_the_options_the_user_typed)
{
	expect_eq(RUN("trace", "record", "-o", "/nonexistent/x", "-e", "boot mem=64M"), 2);
	expect_str_contains(err, "kmm trace record: -o: cannot write /nonexistent/x");
	expect_true(!strstr(err, "--trace"));
	expect_true(!strstr(err, "kmm run"));
	expect_eq(RUN("trace", "record", "-o", "/tmp/kmm-never-written.trace", "-E", "nosuch",
		      "-e", "free"), 2);
	expect_str_contains(err, "kmm trace record: -E: no event \"nosuch\"");
	expect_true(access("/tmp/kmm-never-written.trace", F_OK) != 0);
}
