// SPDX-License-Identifier: MIT
/*
 * tests/unit_cli_parse.c - the scenario parser: what parses, and the exact
 * file:line:col: message for what does not; the verb table's consistency.
 * Nothing here boots a machine: parsing never needs one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/expr.h"
#include "cli/scenario.h"
#include "tests/harness.h"

static char err[512];

/* Parse @text as file "t.kmm"; return NULL if it parsed, else the message. */
static const char *parse(const char *text)
{
	struct script_source src = { "t.kmm", text, strlen(text), 1 };
	struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);

	if (s) {
		script_free(s);
		return NULL;
	}
	return err;
}

static bool parses(const char *text)
{
	const char *e = parse(text);

	if (e)
		kmm_test_fail(__FILE__, __LINE__, "expected to parse: %s\n  got: %s", text, e);
	return !e;
}

#define expect_error(text, msg)                                                     \
	do {                                                                        \
		const char *_e = parse(text);                                       \
		if (!_e || strcmp(_e, msg))                                         \
			kmm_test_fail(__FILE__, __LINE__, "parsing %s\n  expected: %s\n  got:      %s", \
				      #text, msg, _e ? _e : "(parsed)");            \
	} while (0)

TEST(valid_scripts)
{
	parses("");
	parses("# only a comment\n\n   \n");
	parses("boot mem=512M arch=i386\nfree -m\ncat /proc/buddyinfo\n");
	parses("boot mem=1G arch=i386 memmap=64M$0x1000000\n");	/* '$' inside a word is text */
	parses("alloc_pages order=9 gfp=GFP_KERNEL|__GFP_ZERO -> $p\nfree_pages $p\n");
	parses("cat /proc/vmstat | grep pgalloc | head -n 3\n");
	parses("echo 2048 > /proc/sys/vm/min_free_kbytes\n");
	parses("sysctl -w vm.min_free_kbytes=2048; sysctl vm.watermark_scale_factor\n");
	parses("repeat 3 {\n  alloc_pages order=9 -> $p\n  free_pages $p\n}\n");
	parses("repeat 2 { repeat 2 { print \"x\" } }\n");
	parses("let $n = 4\nrepeat $n { print $n * 2 }\n");
	parses("alloc_pages -> $p\nexpect $p != NULL && $p.zone == \"Normal\"\n");
	parses("expect output contains \"HighMem\" || !(1 > 2)\n");
	parses("expect /proc/meminfo:MemFree > 0\nexpect vm.min_free_kbytes >= 128\n");
	parses("expect zone.Normal.free >= zone.Normal.min + zone.Normal.reserve.HighMem\n");
	parses("expect zone.DMA@0.order10 == 0\n");
	parses("print \"a\\tb\\n\" 'single $p'\n");
	parses("dmesg | grep -E 'HIGHMEM|LOWMEM' # trailing comment\n");
	parses("free -m\\\n -l\n");		/* backslash-newline continues */
	parses("boot \"slab_debug=FZ;P\"\n");	/* ';' inside quotes is text */
	parses("help; help alloc_pages; exit 0\n");
}

TEST(statement_errors)
{
	expect_error("alocate order=3", "t.kmm:1:1: unknown command 'alocate' (`help` lists the commands)");
	expect_error("\n  fre -m", "t.kmm:2:3: unknown command 'fre' (did you mean 'free'? `help` lists the commands)");
	expect_error("free_pages $p", "t.kmm:1:12: $p is not set: assign it first with `-> $p` or `let $p = ...`");
	expect_error("writeback bogus", "t.kmm:1:11: expected start or wait");
	expect_error("writeback start wait", "t.kmm:1:1: usage: writeback [start|wait] -> $n");
	parses("writeback\nwriteback start -> $n\nwriteback wait\n");
	expect_error("free_pages $p\nalloc_pages -> $p", "t.kmm:1:12: $p is not set: assign it first with `-> $p` or `let $p = ...`");
	expect_error("}", "t.kmm:1:1: unexpected '}' without a `repeat N {`");
	expect_error("repeat 3 {\nfree -m\n", "t.kmm:3:1: missing '}' to close the repeat block opened on line 1");
	expect_error("repeat x { free }", "t.kmm:1:8: repeat count must be a number from 0 to 100000000, not 'x'");
	expect_error("repeat 3 free", "t.kmm:1:10: expected '{' after the repeat count, found 'free'");
	expect_error("echo \"abc", "t.kmm:1:6: unterminated double-quoted string");
	expect_error("echo 'a\nb'", "t.kmm:1:6: unterminated single-quoted string");
	expect_error("echo \"a\\q\"", "t.kmm:1:8: unknown escape \\q in a string (use \\\" \\\\ \\n or \\t)");
	expect_error("cat /proc/vmstat | free", "t.kmm:1:20: 'free' does not read input, so it cannot follow '|' (filters: grep, head, tail, wc)");
	expect_error("grep foo", "t.kmm:1:1: 'grep' filters another command's output: write `COMMAND | grep ...`");
	expect_error("cat /proc/vmstat |", "t.kmm:1:19: expected a command after '|'");
	expect_error("free -m -> $x", "t.kmm:1:9: 'free' does not return a value to store with '->'");
	expect_error("alloc_pages -> p", "t.kmm:1:16: expected a variable after '->' (like $p), found 'p'");
	expect_error("echo 3 >/proc/sys/vm/x", "t.kmm:1:8: write a space after '>': `echo N > /proc/sys/vm/...`");
	expect_error("echo 3 > $x", "t.kmm:1:10: '>' needs a file name: a /proc or /sys file of the machine, or a file on the host (`cat /proc/meminfo > meminfo.txt`)");
	expect_error("echo 3 >> /proc/sys/vm/x", "t.kmm:1:8: '>>' appends to a host file; write a /proc or /sys file with '>'");
	expect_error("free -m junk\x01", "t.kmm:1:13: control character 0x01 in a word");
	expect_error("let x = 1", "t.kmm:1:5: let needs a variable: let $name = EXPRESSION");
	expect_error("let $x 1", "t.kmm:1:8: expected '=' after $x");
	expect_error("let $x = $x + 1", "t.kmm:1:10: $x is not set: assign it first with `-> $x` or `let $x = ...`");
}

TEST(verb_argument_errors)
{
	expect_error("alloc_pages order=11", "t.kmm:1:13: order must be 0..10 (MAX_PAGE_ORDER), not '11'");
	expect_error("alloc_pages gfp=GFP_KERNEL|__GFP_ZEROO", "t.kmm:1:13: unknown GFP flag '__GFP_ZEROO' (did you mean '__GFP_ZERO'?)");
	expect_error("alloc_pages size=3", "t.kmm:1:13: unknown option 'size' (alloc_pages takes order= gfp= node= count=)");
	expect_error("alloc_pages count=0", "t.kmm:1:13: count must be 1..100000000 or max, not '0'");
	expect_error("free_pages", "t.kmm:1:1: free_pages takes one variable, e.g. free_pages $p");
	expect_error("free -m -g", "t.kmm:1:9: free: Multiple unit options don't make sense.");
	expect_error("free -x", "t.kmm:1:6: free: invalid option -- 'x' (kmm's free has -b -k -m -g -h -l -t -v -w)");
	expect_error("cat /etc/passwd", "t.kmm:1:5: cat: /etc/passwd: only /proc/... and /sys/... exist on the machine");
	expect_error("cat", "t.kmm:1:1: cat needs a file, e.g. cat /proc/buddyinfo");
	expect_error("sysctl -w vm.min_free_kbytes", "t.kmm:1:11: sysctl -w: 'vm.min_free_kbytes' must be in the form NAME=VALUE");
	expect_error("sysctl", "t.kmm:1:1: sysctl needs a NAME, NAME=VALUE or -a");
	expect_error("dmesg | grep -E '(x'", "t.kmm:1:17: grep: bad pattern: Unmatched ( or \\(");
	expect_error("dmesg | head -n x", "t.kmm:1:17: head: bad line count 'x'");
	expect_error("dmesg extra", "t.kmm:1:7: dmesg takes no arguments (filter with `| grep`)");
	expect_error("exit 300", "t.kmm:1:6: exit status must be 0..255");
	expect_error("help a b", "t.kmm:1:8: help takes at most one name");
}

TEST(expression_errors)
{
	expect_error("expect", "t.kmm:1:1: expect needs a condition, e.g. expect $p != NULL");
	expect_error("expect 1 2", "t.kmm:1:1: expect takes one expression (join conditions with && or ||)");
	expect_error("expect zone.Nromal.free > 3", "t.kmm:1:8: unknown zone 'Nromal' (did you mean 'Normal'? zones: DMA DMA32 Normal HighMem Movable)");
	expect_error("expect zone.Normal.fre > 3", "t.kmm:1:8: unknown zone field 'fre' (did you mean 'free'? free min low high promo boost managed present spanned start_pfn end_pfn pcp lazy orderN reserve.ZONE)");
	expect_error("expect zone.Normal.xyzzy > 3", "t.kmm:1:8: unknown zone field 'xyzzy' (free min low high promo boost managed present spanned start_pfn end_pfn pcp lazy orderN reserve.ZONE)");
	expect_error("print slab.kmalloc-64.objcts", "t.kmm:1:7: unknown field 'objcts' (did you mean 'objects'? slabs full partial empty cpu_slabs cpu_partial objects active_objs)");
	expect_error("alloc_pages gfp=GFP_KERNAL", "t.kmm:1:13: unknown GFP flag 'GFP_KERNAL' (did you mean 'GFP_KERNEL'?)");
	expect_error("expect 1 < 2 < 3", "t.kmm:1:14: comparisons do not chain: write `a < b && b < c`");
	expect_error("expect 1 = 1", "t.kmm:1:10: use '==' to compare");
	expect_error("expect (1", "t.kmm:1:10: expected ')'");
	expect_error("print 1 +", "t.kmm:1:10: expected a value (a number, \"text\", $name, NULL or a name such as zone.Normal.free)");
	expect_error("expect bogus > 1", "t.kmm:1:8: unknown value 'bogus' (`help values` lists them)");
	expect_error("alloc_pages -> $p\nexpect $p.nope", "t.kmm:2:10: unknown field '.nope' (errno; fields of a page result: pfn, phys, order, pages, zone, node, count, freed)");
	expect_error("expect 12abc == 1", "t.kmm:1:8: bad number (write decimal like 512 or hex like 0x200)");
	expect_error("expect /etc/x > 1", "t.kmm:1:8: unknown value '/etc/x' (`help values` lists them)");
	expect_error("expect /proc/meminfo:a:b > 1", "t.kmm:1:8: write /proc/FILE:FIELD, e.g. /proc/meminfo:MemFree");
	expect_error("expect \"abc", "t.kmm:1:8: unterminated string");
	expect_error("print @", "t.kmm:1:7: unexpected '@' in an expression");
}

TEST(nothing_half_runs)
{
	/* an error on the last line rejects the whole script */
	expect_error("boot mem=512M\nfree -m\nalloc_pages order=42\n",
		     "t.kmm:3:13: order must be 0..10 (MAX_PAGE_ORDER), not '42'");
}

TEST(incomplete_input_for_the_shell)
{
	struct script_source src = { "s", "repeat 2 {\n", 11, 1 };
	bool inc = false;
	struct script *s = script_parse(&src, 1, err, sizeof(err), &inc);

	expect_true(!s && inc);
	src.text = "echo \"abc\n";
	src.len = strlen(src.text);
	s = script_parse(&src, 1, err, sizeof(err), &inc);
	expect_true(!s && inc);
	src.text = "frobnicate\n";
	src.len = strlen(src.text);
	s = script_parse(&src, 1, err, sizeof(err), &inc);
	expect_true(!s && !inc);
}

TEST(several_sources_keep_their_names)
{
	struct script_source src[2] = {
		{ "a.kmm", "free -m\n", 8, 1 },
		{ "-e", "free -m\nfree -q\n", 16, 1 },
	};
	struct script *s = script_parse(src, 2, err, sizeof(err), NULL);

	expect_true(s == NULL);
	expect_eq(strcmp(err, "-e:2:6: free: invalid option -- 'q' (kmm's free has -b -k -m -g -h -l -t -v -w)"), 0);
	src[1].text = "free -m\n";
	src[1].len = 8;
	s = script_parse(src, 2, err, sizeof(err), NULL);
	assert_true(s != NULL);
	expect_eq(script_nr_statements(s), 2);
	script_free(s);
}

TEST(verb_table_is_consistent)
{
	size_t nt;
	const struct verb_table *const *t = verb_tables(&nt);
	int verbs = 0;

	for (size_t i = 0; i < nt; i++) {
		for (size_t j = 0; j < t[i]->nr_verbs; j++) {
			const struct verb *v = &t[i]->verbs[j];
			verbs++;
			expect_true(v->name && v->synopsis && v->summary && v->run);
			expect_true(verb_find(v->name) == v);	/* unique names */
			expect_true(strlen(v->summary) < 90);	/* one line in `help` */
		}
		for (size_t j = 0; j < t[i]->nr_terms; j++)
			expect_true(t[i]->terms[j].eval && t[i]->terms[j].summary);
	}
	expect_true(verbs >= 20);
	expect_true(verb_find("alloc_pages") && verb_find("free") && verb_find("sysctl"));
}

TEST(help_answers_every_verb)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct ctx_opts opts = { .out = out, .err = out };
	struct kmm_ctx *ctx = ctx_create(&opts);
	size_t nt;
	const struct verb_table *const *t = verb_tables(&nt);
	char line[128];

	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i]->nr_verbs; j++) {
			snprintf(line, sizeof(line), "help %s", t[i]->verbs[j].name);
			struct script_source src = { "h", line, strlen(line), 1 };
			struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);
			assert_true(s != NULL);
			expect_eq(script_run(ctx, s), VERB_OK);
			script_free(s);
		}
	struct script_source src = { "h", "help\nhelp values\nhelp syntax\n", 28, 1 };
	struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);
	assert_true(s != NULL);
	expect_eq(script_run(ctx, s), VERB_OK);
	script_free(s);
	/* help runs without booting a machine */
	expect_true(ctx_machine_if_booted(ctx) == NULL);
	ctx_destroy(ctx);
	fclose(out);
	expect_str_contains(buf, "usage: alloc_pages [order=N]");
	expect_str_contains(buf, "  free_pages    give back the blocks an alloc_pages returned\n");
	expect_str_contains(buf, "zone.NAME[@NODE].FIELD");
	free(buf);
}

TEST(expressions_evaluate_without_a_machine)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct ctx_opts opts = { .out = out, .err = out };
	struct kmm_ctx *ctx = ctx_create(&opts);
	const char *text =
		"let $a = 7 * 6 - 2 / 2 + 10 % 4\n"
		"print \"a is\" $a (1 + 2) * 3\n"
		"expect $a == 43\n"
		"expect \"abc\" < \"abd\" && !(2 > 3)\n"
		"expect $a == 44\n"
		"expect output contains \"a is 43\"\n"
		"echo x | wc -c\n"
		"let $s = \"hello\"\n"
		"expect $s contains \"ell\" && $s !contains \"z\"\n"
		"repeat 3 { let $a = $a + 1 }\n"
		"print $a\n";
	struct script_source src = { "e.kmm", text, strlen(text), 1 };
	struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);

	assert_true(s != NULL);
	expect_eq(script_run(ctx, s), VERB_EXPECT_FAILED);
	expect_eq(ctx_expect_failures(ctx), 1);
	script_free(s);
	ctx_destroy(ctx);
	fclose(out);
	const char *want = "a is 43 9\n"
			   "e.kmm:5: expect failed: $a == 44 (left: 43, right: 44)\n"
			   "2\n"
			   "46\n";
	if (strcmp(buf, want))
		kmm_test_fail(__FILE__, __LINE__, "expected [%s], got [%s]", want, buf);
	free(buf);
}

TEST(runtime_errors_stop_the_script)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct ctx_opts opts = { .out = out, .err = out };
	struct kmm_ctx *ctx = ctx_create(&opts);
	const char *text = "print \"one\"\nprint 1 / 0\nprint \"never\"\n";
	struct script_source src = { "r.kmm", text, strlen(text), 1 };
	struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);

	assert_true(s != NULL);
	expect_eq(script_run(ctx, s), VERB_ERROR);
	script_free(s);
	ctx_destroy(ctx);
	fclose(out);
	expect_eq(strcmp(buf, "one\nr.kmm:2:7: division by zero\n"), 0);
	free(buf);
}

/* Run @text without a machine and return what it printed (stdout and stderr together). */
static char *run_text(const char *text, int *status)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct ctx_opts opts = { .out = out, .err = out };
	struct kmm_ctx *ctx = ctx_create(&opts);
	struct script_source src = { "w.kmm", text, strlen(text), 1 };
	struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);

	*status = s ? script_run(ctx, s) : -1;
	script_free(s);
	ctx_destroy(ctx);
	fclose(out);
	return buf;
}

#define expect_output(text, want)                                                   \
	do {                                                                        \
		int _st;                                                            \
		char *_o = run_text(text, &_st);                                    \
		if (_st != VERB_OK || strcmp(_o, want))                             \
			kmm_test_fail(__FILE__, __LINE__, "running %s\n  want [%s]\n  got  [%s] (status %d)", \
				      #text, want, _o, _st);                        \
		free(_o);                                                           \
	} while (0)

TEST(words_and_quotes)
{
	expect_output("echo \"a b\"c 'd  e'\n", "a bc d  e\n");
	expect_output("echo a#b # a comment\n", "a#b\n");
	expect_output("echo mem=64M$0x1000\n", "mem=64M$0x1000\n");
	expect_output("echo '$p' \"\\\"q\\\"\"\n", "$p \"q\"\n");
	expect_output("echo -n a; echo b\n", "ab\n");
	expect_output("echo one \\\n two\n", "one two\n");
	expect_output("echo a\r\necho b\r\n", "a\nb\n");	/* CRLF scripts */
	expect_output("let $x = 3\necho $x \"$x\"\n", "3 $x\n");
	expect_output("print 'it''s'\n", "it s\n");
}

TEST(filters)
{
	expect_output("echo \"a\\nb\\nc\" | grep -v b\n", "a\nc\n");
	expect_output("echo \"x1\\nx2\\nx3\" | tail -n 2 | head -n 1\n", "x2\n");
	expect_output("echo \"x1\\nx2\\nx3\" | tail -n +2\n", "x2\nx3\n");
	expect_output("echo \"Normal\\nnormal\" | grep -i -c NORMAL\n", "2\n");
	expect_output("echo \"a.b\\naxb\" | grep -F a.b\n", "a.b\n");
	expect_output("echo \"a b\\nc\" | wc\n", "      2       3       6\n");
	expect_output("echo hi | grep -E 'h|z' | wc -l\n", "1\n");
}

/*
 * Numbers are 64-bit signed and arithmetic does not wrap: a result out of
 * range stops the script at the operation, as a division by zero does, and
 * the operands are named. The largest and smallest values themselves work.
 */
TEST(integer_overflow_is_a_runtime_error)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "print 9223372036854775807 + 1\n",
		  "w.kmm:1:7: integer overflow: 9223372036854775807 + 1 does not fit in 64 bits" },
		{ "let $m = -9223372036854775807 - 1\nprint $m - 1\n",
		  "w.kmm:2:7: integer overflow: -9223372036854775808 - 1 does not fit" },
		{ "print 4294967296 * 4294967296\n",
		  "w.kmm:1:7: integer overflow: 4294967296 * 4294967296 does not fit" },
		{ "let $m = -9223372036854775807 - 1\nprint $m / -1\n",
		  "w.kmm:2:7: integer overflow: -9223372036854775808 / -1 does not fit" },
		{ "let $m = -9223372036854775807 - 1\nprint -$m\n",
		  "w.kmm:2:7: integer overflow: -(-9223372036854775808) does not fit" },
		{ "let $x = 1\nrepeat 64 { let $x = $x * 2 }\nprint \"never\"\n",
		  "w.kmm:2:22: integer overflow: 4611686018427387904 * 2 does not fit" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st;
		char *o = run_text(cases[i].text, &st);
		expect_eq(st, VERB_ERROR);
		expect_str_contains(o, cases[i].want);
		if (strstr(o, "never"))
			kmm_test_fail(__FILE__, __LINE__, "the script went on after the overflow: %s", o);
		free(o);
	}
	expect_output("print 9223372036854775806 + 1\n", "9223372036854775807\n");
	expect_output("print -9223372036854775807 - 1\n", "-9223372036854775808\n");
	expect_output("let $m = -9223372036854775807 - 1\nprint $m % -1\n", "0\n");
	expect_output("print 3037000499 * 3037000499\n", "9223372030926249001\n");
}
