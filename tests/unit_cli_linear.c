// SPDX-License-Identifier: MIT
/*
 * tests/unit_cli_linear.c - the scenario language is linear in its input
 * (and so is process churn: a lookup by name or pid does not walk every task).
 * No timing here (speed is bench/scenario_parse's): what is checked is what a
 * quadratic parser or a recursive evaluator gets wrong on large input -
 * the heap a parsed expression holds per term (each node used to copy the
 * text of its whole prefix: 1 GB for a 64 KB expression), and evaluating a
 * chain far longer than any stack (the evaluator recursed once per term).
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "cli/expr.h"
#include "cli/scenario.h"
#include "cli/scenario_tree.h"
#include "tests/harness.h"

static char err[512];

/* "let $x = 1+1+...+1" with @terms ones, then "expect $x == terms". */
static char *chain_script(long terms, const char *op, size_t *len)
{
	char *text = malloc((size_t)terms * 2 + 64);
	size_t n = (size_t)sprintf(text, "let $x = 1");

	for (long i = 1; i < terms; i++) {
		memcpy(text + n, op, 1);
		text[n + 1] = '1';
		n += 2;
	}
	n += (size_t)sprintf(text + n, "\nexpect $x == %ld\n", terms);
	*len = n;
	return text;
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

TEST(expression_memory_is_linear_in_its_terms)
{
	size_t len;
	char *text = chain_script(32000, "+", &len);
	struct script_source src = { "chain.kmm", text, len, 1 };
	size_t before = heap_in_use();
	struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);
	size_t used = heap_in_use() - before;

	assert_true(s != NULL);
	/* one node per term and operator, a few hundred bytes at most each */
	if (used > 32000 * 2 * 256)
		kmm_test_fail(__FILE__, __LINE__, "parsing 32000 terms holds %zu bytes", used);
	script_free(s);
	free(text);
}

/*
 * A one-line script of many `repeat` blocks: each repeat keeps its own text,
 * not the rest of the line (every repeat used to copy the line from its start
 * to the end: 8 GB for a 1 MB line, which is how the CI fuzzer ran out of
 * memory).
 */
TEST(one_line_of_repeats_is_linear)
{
	const char *unit = "repeat 1 { let $a = 1 }; ";
	size_t ulen = strlen(unit), n = 0;
	int count = 8000;
	char *text = malloc(ulen * (size_t)count + 16);

	for (int i = 0; i < count; i++, n += ulen)
		memcpy(text + n, unit, ulen);
	memcpy(text + n, "\n", 2);
	n++;
	struct script_source src = { "rep.kmm", text, n, 1 };
	size_t before = heap_in_use();
	struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);
	size_t used = heap_in_use() - before;

	assert_true(s != NULL);
	expect_eq(s->nstmts, count);
	expect_true(!strcmp(s->stmts[0].text, "repeat 1 { let $a = 1 }"));
	expect_true(!strcmp(s->stmts[count - 1].text, "repeat 1 { let $a = 1 }"));
	/* a statement, its body and two short texts: a few hundred bytes each */
	if (used > (size_t)count * 2048)
		kmm_test_fail(__FILE__, __LINE__, "parsing %d one-line repeats holds %zu bytes",
			      count, used);
	script_free(s);
	/* a repeat whose block goes on over several lines keeps its header line */
	const char *multi = "repeat 2 {\n  let $b = 2\n}\n";
	struct script_source src2 = { "rep.kmm", multi, strlen(multi), 1 };
	s = script_parse(&src2, 1, err, sizeof(err), NULL);
	assert_true(s != NULL);
	expect_true(!strcmp(s->stmts[0].text, "repeat 2 {"));
	script_free(s);
	free(text);
}

/* Run @text (@len bytes); its output (stdout and errors) in a malloc'd string. */
static char *run_capture_len(const char *text, size_t len, int want)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *out = open_memstream(&buf, &blen);
	struct ctx_opts opts = { .out = out, .err = out };
	struct kmm_ctx *ctx = ctx_create(&opts);
	struct script_source src = { "t.kmm", text, len, 1 };
	struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);

	assert_true(s != NULL);
	expect_eq(script_run(ctx, s), want);
	script_free(s);
	ctx_destroy(ctx);
	fclose(out);
	return buf;
}

static char *run_capture(const char *text, int want)
{
	return run_capture_len(text, strlen(text), want);
}

static void run_script(const char *text, size_t len, int want)
{
	char *buf = run_capture_len(text, len, want);

	if (want == VERB_OK && buf && *buf)
		kmm_test_fail(__FILE__, __LINE__, "unexpected output: %.200s", buf);
	free(buf);
}

/* 500,000 terms: a recursive evaluator (or free) needs ~100 MB of stack. */
TEST(long_chains_evaluate_without_deep_recursion)
{
	size_t len;
	char *text = chain_script(500000, "+", &len);

	run_script(text, len, VERB_OK);
	free(text);
	text = chain_script(500000, "*", &len);
	memcpy(strstr(text, "expect $x == "), "expect $x == 1     ", 19);
	run_script(text, len, VERB_OK);
	free(text);
	/* mixed levels and short-circuits come out as before */
	const char *ok = "expect 10 - 3 - 2 == 5\n"
			 "expect 100 / 10 / 5 == 2\n"
			 "expect 2 + 3 * 4 - 6 / 2 == 11\n"
			 "expect (0 || 0 || 3) == 1\n"
			 "expect (1 && 1 && 0) == 0\n"
			 "expect -2 * -3 == 6\n";
	run_script(ok, strlen(ok), VERB_OK);
}

/* Errors inside a long chain still name their column. */
TEST(errors_in_a_chain_keep_their_column)
{
	char *buf = run_capture("let $x = 1 + 2 + 3 / 0 + 4\n", VERB_ERROR);

	expect_str_contains(buf, "t.kmm:1:18: division by zero");
	free(buf);
}

/* 100,000 variables: each `let` finds its name in the table, not in a list. */
TEST(many_variables)
{
	size_t cap = 100000 * 40, n = 0;
	char *text = malloc(cap);

	for (int i = 0; i < 100000; i++)
		n += (size_t)sprintf(text + n, "let $v%d = %d\n", i, i);
	n += (size_t)sprintf(text + n, "expect $v99999 + $v0 == 99999\nexpect $v5000 == 5000\n");
	run_script(text, n, VERB_OK);
	free(text);
}

static int count_lines_with(const char *text, const char *needle)
{
	int n = 0;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *e = strchr(l, '\n');
		const char *hit = strstr(l, needle);
		if (hit && (!e || hit < e))
			n++;
	}
	return n;
}

/*
 * 20,000 rounds of fork and exit: each new B reaps the dead one before it,
 * so the task table holds two tasks, not 20,001 (a lookup by name walked
 * every task ever made: quadratic). Reaped pids are gone; the checker
 * (which checks the pid and name indexes against the task list) passes.
 */
TEST(process_churn_keeps_one_zombie_per_name)
{
	char *out = run_capture("spawn A\n"
				"repeat 20000 { fork A B; exit_task B }\n"
				"expect proc.B.alive == 0\n"
				"expect proc.20001.alive == 0\n"
				"ps\n"
				"check\n"
				"expect proc.2.alive == 0\n", VERB_ERROR);

	expect_eq(count_lines_with(out, " Z exit 0   B"), 1);
	expect_eq(count_lines_with(out, " R          A"), 1);
	expect_str_contains(out, "check: all invariants hold");
	expect_str_contains(out, "t.kmm:7:8: no process named '2'");
	expect_eq(count_lines_with(out, "t.kmm:"), 1);	/* every expect held */
	free(out);
}

/* exec renames: the name index follows, and a new process reaps the old name's zombie. */
TEST(lookup_by_name_follows_exec_and_reaping)
{
	char *out = run_capture("spawn x\n"
				"exec x /bin/foo\n"
				"expect proc.foo.alive == 1\n"
				"exit_task foo\n"
				"expect proc.foo.alive == 0\n"
				"spawn foo\n"
				"expect proc.foo.alive == 1\n"
				"expect proc.2.alive == 1\n"
				"fork foo foo2\n"
				"exit_task foo\n"
				"spawn foo\n"
				"expect proc.foo2.alive == 1\n"
				"ps\n"
				"check\n"
				"expect proc.1.alive == 0\n", VERB_ERROR);

	expect_eq(count_lines_with(out, " foo\n"), 1);
	expect_eq(count_lines_with(out, " R          foo2"), 1);
	expect_str_contains(out, "check: all invariants hold");
	expect_str_contains(out, "t.kmm:15:8: no process named '1'");
	expect_eq(count_lines_with(out, "t.kmm:"), 1);
	free(out);
}
