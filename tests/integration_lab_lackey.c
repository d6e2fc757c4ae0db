// SPDX-License-Identifier: MIT
/*
 * tests/integration_lab_lackey.c - the lackey reader against valgrind's own
 * output, not a log typed by hand: this program runs itself again under
 * `valgrind --tool=lackey --trace-mem=yes`, and the traced run writes one
 * byte into pages 1 2 3 4 1 2 5 1 2 3 4 5 of a page-aligned buffer (the
 * textbook string of Belady's anomaly). kmm_refs_read() must find exactly
 * those twelve writes among the run's hundred thousand accesses (libc's
 * start-up included), and FIFO over them must fault 9 times with 3 frames
 * and 10 with 4: the anomaly, from a real program's memory trace.
 *
 * Needs valgrind (found by cmake/lab.cmake, passed as KMM_VALGRIND; the
 * test is disabled when it is missing, and under sanitizers, which do not
 * run under valgrind).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmm/lab.h>

#include "tests/harness.h"

#define CHILD_ENV "KMM_LAB_LACKEY_CHILD"
#define PAGE 4096

static unsigned char buf[6 * PAGE] __attribute__((aligned(PAGE)));
static const unsigned char belady[12] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };

/* In the child (run again under valgrind), before the harness starts. */
__attribute__((constructor)) static void child_mode(void)
{
	if (!getenv(CHILD_ENV))
		return;
	printf("%" PRIxPTR "\n", (uintptr_t)buf / PAGE);
	fflush(stdout);
	for (int i = 0; i < 12; i++)
		((volatile unsigned char *)buf)[belady[i] * PAGE + i] = (unsigned char)i;
	_exit(0);
}

TEST(valgrind_lackey_output_gives_the_program_s_references)
{
	const char *vg = getenv("KMM_VALGRIND");
	char log[] = "/tmp/kmm_lab_lackeyXXXXXX", cmd[1024], err[256];
	int fd = mkstemp(log);

	assert_true(vg != NULL && fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s=1 %s --tool=lackey --trace-mem=yes --log-file=%s "
		 "/proc/%d/exe", CHILD_ENV, vg, log, (int)getpid());
	FILE *p = popen(cmd, "r");
	assert_true(p != NULL);
	unsigned long long base = 0;
	int got = fscanf(p, "%llx", &base);
	int st = pclose(p);
	assert_eq(got, 1);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	FILE *f = fopen(log, "r");
	assert_true(f != NULL);
	struct kmm_refs r;
	int ret = kmm_refs_read(&r, f, log, 12, false, err, sizeof(err));
	fclose(f);
	if (ret)
		kmm_test_fail(__FILE__, __LINE__, "%s", err);
	assert_eq(ret, 0);
	expect_eq(strcmp(r.format, "lackey"), 0);
	expect_true(r.nr > 1000);	/* the whole run: start-up, printf, exit */

	/* the references to the buffer's pages 1-5, in order */
	char text[256] = "";
	size_t len = 0, n = 0;
	for (size_t i = 0; i < r.nr; i++) {
		uint64_t pg = r.number[r.page[i]];
		if (pg <= base || pg > base + 5)
			continue;
		if (n < 12 && (pg - base != belady[n] || !r.write[i]))
			kmm_test_fail(__FILE__, __LINE__, "reference %zu to the buffer: page %llu%s, "
				      "want %u (a write)", n, (unsigned long long)(pg - base),
				      r.write[i] ? " (write)" : "", belady[n]);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%llu ",
					(unsigned long long)(pg - base));
		n++;
	}
	expect_eq(n, 12);
	kmm_refs_free(&r);

	/* FIFO over them: Belady's anomaly, 9 faults with 3 frames, 10 with 4 */
	struct kmm_refs s;
	struct kmm_pr_result res3, res4, opt3;
	assert_eq(kmm_refs_parse(&s, text, err, sizeof(err)), 0);
	assert_eq(kmm_pr_run(KMM_PR_FIFO, &s, 3, NULL, &res3), 0);
	assert_eq(kmm_pr_run(KMM_PR_FIFO, &s, 4, NULL, &res4), 0);
	assert_eq(kmm_pr_run(KMM_PR_OPT, &s, 3, NULL, &opt3), 0);
	expect_eq(res3.faults, 9);
	expect_eq(res4.faults, 10);
	expect_eq(opt3.faults, 7);
	kmm_refs_free(&s);
	unlink(log);
}
