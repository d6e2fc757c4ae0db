// SPDX-License-Identifier: MIT
/*
 * tests/integration_lab_cli.c - `kmm lab` as a user runs it: the textbook
 * page-replacement counts in a table, CSV and JSON (checked by python3's
 * json module), the first-fit/best-fit story through `fit`, errors that
 * name what was wrong (exit status 2), `gen` giving the same trace twice,
 * the `lab` scenario verb refusing bad options before anything runs, and
 * the progress bar: on stderr under a terminal, never into a pipe.
 */
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/cli_run.h"
#include "tests/harness.h"

static const char silberschatz[] = "7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1";
static const char belady[] = "1 2 3 4 1 2 5 1 2 3 4 5";

/* Run kmm with @argv (argv[0] ignored); stdout in *out, stderr in *err. */
static int run(const char *const *argv, const char *input, char **out, char **err)
{
	return kmm_run(argv, input, out, err, 120);
}

static char *path_of(const char *rel)
{
	static char buf[4][4096];
	static int k;
	const char *src = getenv("KMM_SOURCE_DIR");

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", src ? src : ".", rel);
	return buf[k];
}

/* python3 parses @json and prints the value of @expr (a Python expression on `d`). */
static char *json_eval(const char *json, const char *expr)
{
	char tmp[] = "/tmp/kmm_lab_jsonXXXXXX", cmd[512];
	int fd = mkstemp(tmp);
	static char result[256];

	if (fd < 0)
		return NULL;
	if (write(fd, json, strlen(json)) != (ssize_t)strlen(json)) {
		close(fd);
		return NULL;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys; d=json.load(open(\"%s\")); "
		 "print(%s)'", tmp, expr);
	FILE *p = popen(cmd, "r");
	result[0] = 0;
	if (p) {
		if (!fgets(result, sizeof(result), p))
			result[0] = 0;
		pclose(p);
	}
	unlink(tmp);
	result[strcspn(result, "\n")] = 0;
	return result;
}

TEST(pages_prints_the_textbook_counts_and_belady)
{
	char *out, *err;
	const char *a1[] = { "kmm", "lab", "pages", "--policy", "fifo,lru,opt", "--frames", "3",
			     silberschatz, NULL };

	expect_eq(run(a1, NULL, &out, &err), 0);
	expect_str_contains(out, "frames     fifo      lru      opt\n     3       15       12        9\n");
	expect_eq(strcmp(err, ""), 0);
	free(out);
	free(err);

	const char *a2[] = { "kmm", "lab", "pages", "--policy", "fifo", "--frames", "3..4", belady,
			     NULL };
	expect_eq(run(a2, NULL, &out, &err), 0);
	expect_str_contains(out, "Belady's anomaly: fifo has 9 faults with 3 frames, 10 with 4");
	free(out);
	free(err);
}

TEST(pages_csv_and_json_carry_the_same_numbers)
{
	char *out, *err;
	const char *csv[] = { "kmm", "lab", "pages", "--policy", "fifo,opt", "--frames", "3..4",
			      "--format", "csv", belady, NULL };

	expect_eq(run(csv, NULL, &out, &err), 0);
	expect_str_contains(out, "refs,policy,frames,faults,hits,evictions,writebacks\n");
	expect_str_contains(out, "string,fifo,3,9,3,6,0\n");
	expect_str_contains(out, "string,fifo,4,10,2,6,0\n");
	expect_str_contains(out, "string,opt,3,7,5,4,0\n");
	free(out);
	free(err);

	const char *js[] = { "kmm", "lab", "pages", "--policy", "fifo,opt", "--frames", "3..4",
			     "--format", "json", belady, NULL };
	expect_eq(run(js, NULL, &out, &err), 0);
	expect_eq(strcmp(json_eval(out, "d[\"references\"][0][\"results\"][1][\"faults\"]"), "10"), 0);
	expect_eq(strcmp(json_eval(out, "d[\"references\"][0][\"anomalies\"][0][\"frames\"]"), "3"), 0);
	expect_eq(strcmp(json_eval(out, "d[\"references\"][0][\"pages\"]"), "5"), 0);
	free(out);
	free(err);
}

TEST(fit_tells_the_first_fit_best_fit_story)
{
	char *out, *err;
	const char *a[] = { "kmm", "lab", "fit", "--policy", "first-fit,best-fit", "--meta",
			    "outside", "--pool", "1K", "--format", "csv",
			    path_of("examples/lab/first_fit_fails.rep"), NULL };

	expect_eq(run(a, NULL, &out, &err), 0);
	/* after meta_bytes: 8 events, 6 allocs, 2 frees, 0 reallocs, failed, skipped, peak
	 * live 1024, footprint 1024 */
	const char *ff = strstr(out, ",first-fit,outside,1024,16,");
	const char *bf = strstr(out, ",best-fit,outside,1024,16,");
	assert_true(ff && bf);
	expect_true(strstr(ff, ",8,6,2,0,1,0,1024,1024,") && strstr(ff, ",8,6,2,0,1,0,1024,1024,") <
		    bf);
	expect_str_contains(bf, ",8,6,2,0,0,0,1024,1024,");
	free(out);
	free(err);

	const char *js[] = { "kmm", "lab", "fit", "--policy", "tlsf", "--map=16", "--samples", "4",
			     "--format", "json", "synthetic:seed=5,allocs=3000", NULL };
	expect_eq(run(js, NULL, &out, &err), 0);
	expect_eq(strcmp(json_eval(out, "d[\"traces\"][0][\"results\"][0][\"max_steps\"]"), "1"), 0);
	expect_eq(strcmp(json_eval(out, "len(d[\"traces\"][0][\"results\"][0][\"samples\"])"), "4"), 0);
	expect_eq(strcmp(json_eval(out, "len(d[\"traces\"][0][\"results\"][0][\"samples\"][3][\"map\"])"),
			 "16"), 0);
	free(out);
	free(err);
}

TEST(bad_input_gets_status_2_and_a_message_naming_it)
{
	char *out, *err;
	char bad[] = "/tmp/kmm_lab_badXXXXXX";
	int fd = mkstemp(bad);
	const char text[] = "100\n2\n2\n1\na 0 10\nf 1\n";

	assert_true(fd >= 0);
	assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);

	const char *a1[] = { "kmm", "lab", "fit", "--policy", "firstfit", "x", NULL };
	expect_eq(run(a1, NULL, &out, &err), 2);
	expect_str_contains(err, "unknown policy 'firstfit'");
	expect_eq(strcmp(out, ""), 0);
	free(out);
	free(err);

	const char *a2[] = { "kmm", "lab", "fit", bad, NULL };
	expect_eq(run(a2, NULL, &out, &err), 2);
	char want[128];
	snprintf(want, sizeof(want), "%s:6: f 1: block 1 is not allocated", bad);
	expect_str_contains(err, want);
	free(out);
	free(err);
	unlink(bad);

	const char *a3[] = { "kmm", "lab", "pages", "1 x 2", NULL };
	expect_eq(run(a3, NULL, &out, &err), 2);
	expect_str_contains(err, "'x' is not a page number");
	free(out);
	free(err);

	const char *a4[] = { "kmm", "lab", NULL };
	expect_eq(run(a4, NULL, &out, &err), 2);
	expect_str_contains(err, "which experiment?");
	free(out);
	free(err);

	const char *a5[] = { "kmm", "lab", "fit", "--pool", "3G", "x", NULL };
	expect_eq(run(a5, NULL, &out, &err), 2);
	expect_str_contains(err, "--pool 3G");
	free(out);
	free(err);

	const char *a6[] = { "kmm", "lab", "fit", "--map=4", "x", NULL };
	expect_eq(run(a6, NULL, &out, &err), 2);
	expect_str_contains(err, "--map=4: columns from 8");
	free(out);
	free(err);

	/* review18 R3: the field and the value that are wrong are named */
	static const struct { const char *arg, *want; } r3[] = {
		{ "synthetic:allocs=-5", "synthetic: allocs=-5 is not a number" },
		{ "synthetic:allocs=5000000000", "synthetic: allocs=5000000000: at most 4294967295" },
		{ "synthetic:realloc=150", "synthetic: realloc=150: a percentage, 0 to 100" },
		{ "/", "/: cannot read it: Is a directory" },
	};
	for (size_t i = 0; i < sizeof(r3) / sizeof(r3[0]); i++) {
		const char *a7[] = { "kmm", "lab", "fit", r3[i].arg, NULL };
		expect_eq(run(a7, NULL, &out, &err), 2);
		expect_str_contains(err, r3[i].want);
		free(out);
		free(err);
	}
	/* no sample, no ext.frag figure: --samples 0 is refused */
	const char *a8[] = { "kmm", "lab", "fit", "--samples", "0", "synthetic:allocs=10", NULL };
	expect_eq(run(a8, NULL, &out, &err), 2);
	expect_str_contains(err, "--samples 0: 1 to 10000");
	free(out);
	free(err);
}

TEST(gen_is_deterministic_and_replays_clean)
{
	char *out1, *out2, *err, *out3;
	const char *g[] = { "kmm", "lab", "gen", "seed=3,allocs=2000,size=exp:100,realloc=10", NULL };

	expect_eq(run(g, NULL, &out1, &err), 0);
	free(err);
	expect_eq(run(g, NULL, &out2, &err), 0);
	free(err);
	expect_eq(strcmp(out1, out2), 0);
	expect_str_contains(out1, "\n2000\n");	/* ids, in the .rep header */
	/* replayed from standard input with every checker after every event */
	const char *f[] = { "kmm", "lab", "fit", "--check", "--format", "csv", "-", NULL };
	expect_eq(run(f, out1, &out3, &err), 0);
	expect_str_contains(out3, "\n-,first-fit,inside,");
	expect_str_contains(out3, "\n-,fixed,inside,");
	free(out1);
	free(out2);
	free(out3);
	free(err);
}

TEST(the_lab_verb_checks_its_options_before_anything_runs)
{
	char *out, *err;
	const char *a[] = { "kmm", "run", "-e", "print \"started\"", "-e", "lab fit --bogus x",
			    NULL };

	expect_eq(run(a, NULL, &out, &err), 2);
	expect_eq(strcmp(out, ""), 0);	/* the script was refused whole */
	expect_str_contains(err, "-e:2:1: kmm lab fit: unknown option '--bogus'");
	free(out);
	free(err);

	const char *b[] = { "kmm", "run", "-e", "lab pages --frames 3 \"1 2 3 4 1 2 5 1 2 3 4 5\"",
			    "-e", "expect output contains \"     3        9 \"", NULL };
	expect_eq(run(b, NULL, &out, &err), 0);
	free(out);
	free(err);
}

TEST(progress_bar_only_on_a_terminal)
{
	const char *trace = "synthetic:seed=2,allocs=600000,life=exp:100";
	char *out, *err;
	const char *a[] = { "kmm", "lab", "fit", "--policy", "tlsf", trace, NULL };

	/* a pipe: no bar */
	expect_eq(run(a, NULL, &out, &err), 0);
	expect_eq(strcmp(err, ""), 0);
	expect_str_contains(out, "tlsf ");
	free(out);
	free(err);

	/* a terminal: the bar is drawn, then erased before the table */
	int fd;
	pid_t pid = forkpty(&fd, NULL, NULL, NULL);
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(kmm_binary(), "kmm", "lab", "fit", "--policy", "tlsf", trace, (char *)NULL);
		_exit(127);
	}
	char buf[65536];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len >= sizeof(buf) - 1)
			break;
	}
	buf[len] = 0;
	int status;
	waitpid(pid, &status, 0);
	close(fd);
	expect_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	expect_str_contains(buf, "[====");
	expect_str_contains(buf, "100%");
	expect_str_contains(buf, "tlsf ");
}

/* What `kmm run` prints for @boot followed by @cmd (NULL if it fails); the caller frees it. */
static char *run_after_boot(const char *boot, const char *cmd)
{
	char script[] = "/tmp/kmm_lab_slabXXXXXX", text[256], *out = NULL, *err = NULL;
	int fd = mkstemp(script);

	if (fd < 0)
		return NULL;
	snprintf(text, sizeof(text), "%s\n%s\n", boot, cmd);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(script);
		return NULL;
	}
	close(fd);
	const char *a[] = { "kmm", "run", script, NULL };
	if (run(a, NULL, &out, &err) != 0) {
		free(out);
		out = NULL;
	}
	free(err);
	unlink(script);
	return out;
}

/* /sys/kernel/slab/@cache/object_size (the bytes each kmem_cache_alloc asks for); -1 if none. */
static long object_size_of(const char *boot, const char *cache)
{
	char cmd[128];
	long size = -1;

	snprintf(cmd, sizeof(cmd), "cat /sys/kernel/slab/%s/object_size", cache);
	char *out = run_after_boot(boot, cmd);
	if (out && sscanf(out, "%ld", &size) != 1)
		size = -1;
	free(out);
	return size;
}

/* The caches /proc/slabinfo lists after @boot; -1 if it cannot be read. */
static long nr_caches_of(const char *boot)
{
	char *out = run_after_boot(boot, "cat /proc/slabinfo");
	long lines = 0;

	if (!out)
		return -1;
	for (const char *p = out; *p; p++)
		lines += *p == '\n';
	free(out);
	return lines - 2;	/* the version line and the header */
}

static const char script_boot[] = "boot mem=64M arch=i386";

TEST(traces_recorded_from_a_scenario_by_kmm_itself)
{
	char trace[] = "/tmp/kmm_lab_ktraceXXXXXX", script[] = "/tmp/kmm_lab_scriptXXXXXX";
	char *out, *err;
	int fd = mkstemp(trace), sfd = mkstemp(script);
	const char text[] =
		"boot mem=64M arch=i386\n"
		"spawn A\n"
		"repeat 3 {\n"
		"    mmap A 16K rw private anon -> $a\n"
		"    write A $a 16K 0xaa\n"
		"    munmap A $a 16K\n"
		"}\n"
		"kmalloc 100 -> $k\n"
		"kmalloc 3000 -> $l\n"
		"kfree $k\n";

	assert_true(fd >= 0 && sfd >= 0);
	close(fd);
	assert_eq(write(sfd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(sfd);
	const char *rec[] = { "kmm", "trace", "record", "-o", trace, script, NULL };
	expect_eq(run(rec, NULL, &out, &err), 0);
	free(out);
	free(err);

	/* the MMU's faults: 4 pages touched, 3 times (each mmap gets the same range) */
	const char *pages[] = { "kmm", "lab", "pages", "--policy", "lru,opt", "--frames", "3..4",
				"--format", "csv", trace, NULL };
	expect_eq(run(pages, NULL, &out, &err), 0);
	expect_str_contains(out, ",lru,3,12,0,");	/* a loop of 4 in 3 frames: every one */
	expect_str_contains(out, ",lru,4,4,8,");	/* fits: the first touches only */
	free(out);
	free(err);

	/* its kmalloc objects, replayed */
	const char *fit[] = { "kmm", "lab", "fit", "--policy", "tlsf", "--check", "--format", "csv",
			      trace, NULL };
	expect_eq(run(fit, NULL, &out, &err), 0);
	expect_str_contains(out, ",tlsf,inside,");
	/*
	 * peak live: 100 + 3000 bytes asked, beside the kernel's own objects
	 * (slab caches, as Linux's), recorded from boot on: every cache's
	 * struct kmem_cache and its one struct kmem_cache_node, and A's
	 * task_struct, mm_struct and anon_vma and its five VMAs (text, data,
	 * heap, stack, vdso).
	 */
	long task = object_size_of(script_boot, "task_struct");
	long mm = object_size_of(script_boot, "mm_struct");
	long av = object_size_of(script_boot, "anon_vma");
	long vma = object_size_of(script_boot, "vm_area_struct");
	long kc = object_size_of(script_boot, "kmem_cache");
	long kcn = object_size_of(script_boot, "kmem_cache_node");
	long caches = nr_caches_of(script_boot);
	char peak[32];
	assert_true(task > 0 && mm > 0 && av > 0 && vma > 0 && kc > 0 && kcn > 0 && caches > 0);
	snprintf(peak, sizeof(peak), ",%ld,",
		 3100 + task + mm + av + 5 * vma + caches * (kc + kcn));
	expect_str_contains(out, peak);
	free(out);
	free(err);
	unlink(trace);
	unlink(script);
}
