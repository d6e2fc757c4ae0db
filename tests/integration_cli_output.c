// SPDX-License-Identifier: MIT
/*
 * tests/integration_cli_output.c - kmm's output for other tools:
 *   --format json parses with python3's json module and has exactly the
 *   documented fields, in order, for every verb that offers it (zones, page,
 *   slabinfo, ps); --format csv's header is the same names, with as many rows;
 *   kmm run -q prints exactly the scenario's own output (print, echo, cat,
 *   zones) and none of the acknowledgments, kswapd reports or kernel panic
 *   lines, which plain kmm run prints; on every example, -q only ever
 *   removes lines;
 *   COMMAND > FILE and >> FILE write and append host files, and a bad path is
 *   an error naming it; kmm boot -q --cat prints only the file.
 * Runs the real binary ($KMM_BINARY_DIR/kmm); test code may use POSIX.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/verbs.h"
#include "tests/cli_run.h"
#include "tests/harness.h"

static char tmpdir[] = "/tmp/kmm-output-XXXXXX";

__attribute__((constructor)) static void make_tmpdir(void)
{
	if (!mkdtemp(tmpdir))
		tmpdir[0] = '\0';
}

__attribute__((destructor)) static void remove_tmpdir(void)
{
	char cmd[256];

	if (tmpdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

static const struct verb *verb_named(const char *name)
{
	const struct verb *v = verb_find(name);

	if (!v)
		kmm_test_fail(__FILE__, __LINE__, "no verb %s", name);
	return v;
}

/* Run `kmm run -q -e SETUP... -e LAST` and return stdout (exit 0 and no stderr required). */
static char *run_q(const char *setup, const char *last)
{
	char *out, *err;
	int rc = kmm_run((const char *const[]){ "kmm", "run", "-q", "-e", setup, "-e", last, NULL },
			 NULL, &out, &err, 300);

	if (rc != 0 || err[0])
		kmm_test_fail(__FILE__, __LINE__, "kmm run -q -e '%s' -e '%s': exit %d: %s", setup,
			      last, rc, err);
	free(err);
	return out;
}

/* Write @text to a file in the temporary directory; return its path (static). */
static const char *save(const char *name, const char *text)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		kmm_test_fail(__FILE__, __LINE__, "cannot write %s", path);
	return path;
}

/*
 * python3 reads @json_text with json.load and @csv_text with csv.reader and
 * checks: a non-empty list of objects whose keys are exactly @fields in
 * order; a CSV header equal to the names and one line per JSON object.
 */
static void check_formats(const char *verb, const char *json_text, const char *csv_text,
			  int min_rows)
{
	const struct out_field *f = verb_fields(verb_named(verb));
	char names[512] = "", cmd[2048], jpath[512];

	assert_true(f != NULL);
	for (; f->name; f++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 names[0] ? "," : "", f->name);
	snprintf(jpath, sizeof(jpath), "%s", save("out.json", json_text));
	const char *cpath = save("out.csv", csv_text);
	snprintf(cmd, sizeof(cmd),
		 "python3 - '%s' '%s' '%s' %d <<'PY'\n"
		 "import csv, json, sys\n"
		 "jpath, cpath, names, min_rows = sys.argv[1], sys.argv[2], sys.argv[3].split(','), int(sys.argv[4])\n"
		 "rows = json.load(open(jpath))\n"
		 "assert isinstance(rows, list), 'not a list'\n"
		 "assert len(rows) >= min_rows, 'only %%d rows' %% len(rows)\n"
		 "for r in rows:\n"
		 "    assert isinstance(r, dict) and list(r.keys()) == names, 'keys %%s' %% list(r.keys())\n"
		 "c = list(csv.reader(open(cpath, newline='')))\n"
		 "assert c[0] == names, 'csv header %%s' %% c[0]\n"
		 "assert len(c) - 1 == len(rows), 'csv has %%d rows, json %%d' %% (len(c) - 1, len(rows))\n"
		 "for line in c[1:]:\n"
		 "    assert len(line) == len(names), 'csv row %%s' %% line\n"
		 "print('%s: %%d rows, %%d fields' %% (len(rows), len(names)))\n"
		 "PY",
		 jpath, cpath, names, min_rows, verb);
	int rc = system(cmd);
	if (rc != 0)
		kmm_test_fail(__FILE__, __LINE__, "%s --format json|csv did not parse as documented "
			      "(python3 exit %d); json:\n%s\ncsv:\n%s", verb, rc, json_text, csv_text);
}

TEST(format_json_and_csv_parse_with_the_documented_fields)
{
	static const struct {
		const char *verb, *setup, *json, *csv;
		int min_rows;
	} cases[] = {
		{ "zones", "boot mem=1G arch=i386", "zones --format json", "zones --format=csv", 3 },
		{ "page", "alloc_pages order=2 count=3 gfp=GFP_HIGHUSER -> $p; "
		  "alloc_pages order=1 -> $q", "page $p --format json", "page $p --format csv", 3 },
		{ "slabinfo", "kmem_cache_create \"a,b\" 64; kmalloc 100",
		  "slabinfo --format json", "slabinfo --format csv", 30 },
		{ "slabinfo", "kmem_cache_create foo 64",
		  "slabinfo foo --format json", "slabinfo foo --format csv", 1 },
		{ "ps", "spawn A; fork A B; kill B; spawn \"C \\\"x\\\"\"", "ps --format json",
		  "ps --format csv", 3 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *json = run_q(cases[i].setup, cases[i].json);
		char *csv = run_q(cases[i].setup, cases[i].csv);
		check_formats(cases[i].verb, json, csv, cases[i].min_rows);
		free(json);
		free(csv);
	}
	/* a NULL pageset is an empty table, still valid JSON */
	char *json = run_q("alloc_pages order=10 count=max gfp=GFP_DMA|__GFP_NOWARN -> $all; "
			   "alloc_pages order=10 gfp=GFP_DMA|__GFP_NOWARN -> $none",
			   "page $none --format json");
	expect_eq(strcmp(json, "[]\n"), 0);
	free(json);
}

TEST(format_errors_name_the_word)
{
	char *out, *err;
	int rc = kmm_run((const char *const[]){ "kmm", "run", "-e", "zones --format jsn", NULL },
			 NULL, &out, &err, 300);

	expect_eq(rc, 2);
	expect_eq(strcmp(err, "-e:1:16: unknown format 'jsn' (did you mean 'json'? formats: text "
		      "json csv)\n"), 0);
	expect_eq(out[0], '\0');
	free(out);
	free(err);
	rc = kmm_run((const char *const[]){ "kmm", "run", "-e", "ps --format json extra", NULL },
		     NULL, &out, &err, 300);
	expect_eq(rc, 2);
	expect_str_contains(err, "--format json comes last");
	free(out);
	free(err);
}

/* A scenario full of acknowledgments, with its own output marked. */
static const char chatty[] =
	"boot mem=256M arch=i386\n"
	"print \"== start\"\n"
	"spawn A\n"
	"mmap A 1M rw private anon -> $a\n"
	"write A $a 4K 0xaa\n"
	"fork A B\n"
	"kmem_cache_create foo 64\n"
	"kmem_cache_alloc foo count=2 -> $o\n"
	"kmem_cache_free foo $o\n"
	"kmalloc 100 -> $k\n"
	"kfree $k\n"
	"vmalloc 8K -> $v\n"
	"vfree $v\n"
	"alloc_pages order=1 -> $p\n"
	"free_pages $p\n"
	"exit_task B\n"
	"check\n"
	"echo \"echoed\"\n"
	"cat /proc/sys/vm/min_free_kbytes\n"
	"spawn C | grep -c pid\n"
	"print \"== end\"\n";

TEST(quiet_prints_only_the_scenarios_own_output)
{
	char *out, *err, *qout, *qerr;
	int rc = kmm_run((const char *const[]){ "kmm", "run", "-", NULL }, chatty, &out, &err, 300);
	int qrc = kmm_run((const char *const[]){ "kmm", "run", "-q", "-", NULL }, chatty, &qout,
			  &qerr, 300);

	expect_eq(rc, 0);
	expect_eq(qrc, 0);
	expect_eq(err[0], '\0');
	expect_eq(qerr[0], '\0');
	/* without -q the acknowledgments are there */
	expect_str_contains(out, "A: pid 1");
	expect_str_contains(out, "kmalloc 100");
	expect_str_contains(out, "check: all invariants hold");
	/* with -q: exactly what print, echo, cat and the piped grep printed */
	/* min_free_kbytes depends on the machine: take its line from the plain run */
	char *want = NULL;
	size_t wl = 0;
	const char *mfk = strstr(out, "echoed\n");
	assert_true(mfk != NULL);
	mfk += strlen("echoed\n");
	append(&want, &wl, "== start\nechoed\n", strlen("== start\nechoed\n"));
	append(&want, &wl, mfk, strcspn(mfk, "\n") + 1);
	append(&want, &wl, "1\n== end\n", strlen("1\n== end\n"));
	if (strcmp(qout, want))
		kmm_test_fail(__FILE__, __LINE__, "kmm run -q printed:\n%s\nexpected:\n%s", qout,
			      want);
	free(want);
	free(out);
	free(err);
	free(qout);
	free(qerr);
}

/*
 * Background work and the kernel's own messages are not the scenario's
 * output: kswapd's reports (kswapd=step), an OOM kill and a kernel panic
 * (panic_on_oom) print with plain `run` and not with -q, where the panic
 * gets one line on standard error; so do the echo of sysctl settings (as
 * sysctl -q) and mkswap's acknowledgment, while a sysctl read is kept.
 */
static const char background[] =
	"boot mem=64M arch=x86_64\n"
	"print \"== start\"\n"
	"mkswap /swapfile 1M\n"
	"spawn A\n"
	"mmap A 48M rw private anon noreserve -> $a\n"
	"write A $a 48M 0x11\n"
	"spawn B\n"
	"mmap B 48M rw private anon noreserve -> $b\n"
	"write B $b 48M 0x22\n"
	"print \"== killed\"\n"
	"sysctl vm.panic_on_oom=1\n"
	"sysctl vm.panic_on_oom\n"
	"spawn C\n"
	"mmap C 80M rw private anon noreserve -> $c\n"
	"write C $c 80M 0x33\n"
	"print \"== end\"\n";

TEST(quiet_drops_background_reports_and_kernel_messages)
{
	char *out, *err, *qout, *qerr;
	int rc = kmm_run((const char *const[]){ "kmm", "run", "-", NULL }, background, &out, &err,
			 300);
	int qrc = kmm_run((const char *const[]){ "kmm", "run", "-q", "-", NULL }, background,
			  &qout, &qerr, 300);

	expect_eq(rc, 0);
	expect_eq(qrc, 0);
	/* the plain run shows them all: the scenario does what it should */
	expect_str_contains(out, "kswapd0: woken by");
	expect_str_contains(out, "killed by SIGKILL");
	expect_str_contains(out, "Kernel panic - not syncing");
	expect_str_contains(out, "Setting up swapspace");
	expect_str_contains(out, "vm.panic_on_oom = 1\nvm.panic_on_oom = 1\n");
	expect_eq(err[0], '\0');
	if (strcmp(qout, "== start\n== killed\nvm.panic_on_oom = 1\n== end\n"))
		kmm_test_fail(__FILE__, __LINE__, "kmm run -q printed:\n%s", qout);
	expect_eq(strcmp(qerr, "kmm: kernel panic: the machine has halted; its processes are "
			 "frozen (dmesg shows why; boot or reboot to go on)\n"), 0);
	free(out);
	free(err);
	free(qout);
	free(qerr);
}

/*
 * A process that its own access killed is the access's result, not an
 * acknowledgment: -q keeps the line for touch and write (VERB_ACK verbs) as
 * for read (review17 R4: touch and write printed nothing under -q).
 */
static const char faulting[] =
	"boot mem=64M\n"
	"spawn a\n"
	"mmap a 16K rw -> $q\n"
	"touch a $q 64K\n"
	"spawn b\n"
	"mmap b 16K rw -> $w\n"
	"write b $w 64K 0x11\n"
	"spawn c\n"
	"mmap c 16K rw -> $r\n"
	"touch c $r 16K\n"
	"print \"== end\"\n";

TEST(quiet_keeps_a_process_killed_by_its_own_access)
{
	char *qout, *qerr;
	int qrc = kmm_run((const char *const[]){ "kmm", "run", "-q", "-", NULL }, faulting, &qout,
			  &qerr, 300);

	expect_eq(qrc, 0);
	expect_eq(qerr[0], '\0');
	/* the two deaths and the print; the touch that succeeded acknowledges nothing */
	const char *a = strstr(qout, "a[1]: killed by SIGSEGV (SEGV_MAPERR) at 0x");
	const char *b = strstr(qout, "b[2]: killed by SIGSEGV (SEGV_ACCERR) at 0x");	/* [vdso] */
	expect_true(a != NULL);
	expect_true(b != NULL && b > a);
	expect_true(!strstr(qout, "c[3]"));
	expect_true(!strstr(qout, ": pid "));
	size_t lines = 0;
	for (const char *c = qout; *c; c++)
		lines += *c == '\n';
	if (lines != 3)
		kmm_test_fail(__FILE__, __LINE__, "kmm run -q printed:\n%s", qout);
	free(qout);
	free(qerr);
}

/* Every line -q prints is printed by the plain run too, in the same order. */
TEST(quiet_only_removes_lines_from_every_example)
{
	char dir[4096];
	const char *src = getenv("KMM_SOURCE_DIR");
	int examples = 0;

	snprintf(dir, sizeof(dir), "%s/examples", src ? src : "..");
	DIR *d = opendir(dir);
	assert_true(d != NULL);
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".kmm"))
			continue;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		char *out, *err, *qout, *qerr;
		int rc = kmm_run((const char *const[]){ "kmm", "run", path, NULL }, NULL, &out, &err,
				 300);
		int qrc = kmm_run((const char *const[]){ "kmm", "run", "-q", path, NULL }, NULL, &qout,
				  &qerr, 300);
		expect_eq(rc, qrc);
		/* walk the quiet lines through the plain ones */
		const char *p = out;
		for (const char *q = qout; *q;) {
			size_t ql = strcspn(q, "\n") + 1;
			const char *hit = NULL;
			for (; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ? 1 : 0)) {
				if (!strncmp(p, q, ql)) {
					hit = p;
					break;
				}
			}
			if (!hit) {
				kmm_test_fail(__FILE__, __LINE__, "%s: -q printed a line the plain run "
					      "does not: %.*s", e->d_name, (int)ql, q);
				break;
			}
			p = hit + ql;
			q += ql;
		}
		examples++;
		free(out);
		free(err);
		free(qout);
		free(qerr);
	}
	closedir(d);
	expect_true(examples >= 10);
}

TEST(redirect_to_host_files)
{
	char file[512], cmd1[600], cmd2[600], *out, *err;

	snprintf(file, sizeof(file), "%s/meminfo.txt", tmpdir);
	snprintf(cmd1, sizeof(cmd1), "cat /proc/meminfo > %s", file);
	snprintf(cmd2, sizeof(cmd2), "cat /proc/buddyinfo >> %s", file);
	int rc = kmm_run((const char *const[]){ "kmm", "run", "-e", "boot mem=128M", "-e", cmd1,
						"-e", cmd2, NULL }, NULL, &out, &err, 300);
	expect_eq(rc, 0);
	expect_eq(out[0], '\0');	/* it went to the file, not to stdout */
	free(out);
	free(err);
	rc = kmm_run((const char *const[]){ "kmm", "run", "-e", "boot mem=128M", "-e",
					   "cat /proc/meminfo /proc/buddyinfo", NULL }, NULL, &out, &err,
		     300);
	char *saved = slurp(file);
	assert_true(saved != NULL);
	expect_eq(strcmp(saved, out), 0);
	free(saved);
	free(out);
	free(err);

	/* a path that cannot be written: status 2, the path and the reason, nothing run after */
	rc = kmm_run((const char *const[]){ "kmm", "run", "-e", "echo hi > /nonexistent-dir/x",
					   "-e", "print 1", NULL }, NULL, &out, &err, 300);
	expect_eq(rc, 2);
	expect_eq(strcmp(err, "-e:1:11: /nonexistent-dir/x: No such file or directory\n"), 0);
	expect_eq(out[0], '\0');
	free(out);
	free(err);

	/* >> onto a machine file is refused at parse time */
	rc = kmm_run((const char *const[]){ "kmm", "run", "-e", "echo 5 >> /proc/sys/vm/x", NULL },
		     NULL, &out, &err, 300);
	expect_eq(rc, 2);
	expect_str_contains(err, "'>>' appends to a host file");
	free(out);
	free(err);
}

TEST(boot_quiet_prints_only_the_files)
{
	char *out, *err, *bout, *berr;
	int rc = kmm_run((const char *const[]){ "kmm", "boot", "-q", "mem=64M", "--cat",
					       "/proc/buddyinfo", NULL }, NULL, &out, &err, 300);
	int brc = kmm_run((const char *const[]){ "kmm", "run", "-e", "boot mem=64M", "-e",
						"cat /proc/buddyinfo", NULL }, NULL, &bout, &berr, 300);

	expect_eq(rc, 0);
	expect_eq(brc, 0);
	expect_eq(strcmp(out, bout), 0);
	expect_true(!strstr(out, "Linux version") && !strstr(out, "BIOS-e820"));
	free(out);
	free(err);
	free(bout);
	free(berr);
}
