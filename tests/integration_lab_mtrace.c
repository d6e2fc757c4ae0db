// SPDX-License-Identifier: MIT
/*
 * tests/integration_lab_mtrace.c - the mtrace reader against a log that
 * glibc itself wrote, not one typed by hand: this program runs itself again
 * with glibc's malloc debugging library preloaded
 * (LD_PRELOAD=libc_malloc_debug.so.0, MALLOC_TRACE=FILE, as mtrace(3) says
 * for glibc 2.34 and later), makes a known series of malloc, realloc, calloc,
 * memalign and free calls between mtrace() and muntrace(), and the parent
 * reads the log with kmm_lab_trace_read(): the events, sizes and ids must be
 * exactly those calls (a calloc that gets a freed block's address back is a
 * new id), and the trace must replay cleanly with the checker on.
 *
 * Disabled under sanitizers (cmake/lab.cmake): their runtime owns malloc,
 * so glibc's mtrace sees nothing.
 */
#include <errno.h>
#include <malloc.h>
#include <mcheck.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmm/lab.h>

#include "tests/harness.h"

#define CHILD_ENV "KMM_LAB_MTRACE_CHILD"

/* The traced calls; volatile so that no malloc/free pair is folded away. */
static void traced_calls(void)
{
	mtrace();
	char *volatile a = malloc(16), *volatile b = malloc(32);
	a[0] = 1;
	b[0] = 2;
	a = realloc(a, 4000);
	a[100] = 3;
	free(b);
	char *volatile c = calloc(3, 8);
	char *volatile d = memalign(64, 100);
	d[0] = 4;
	free(a);
	free(c);
	free(d);
	muntrace();
}

/* In the child (run again by the test), before the harness starts. */
__attribute__((constructor)) static void child_mode(void)
{
	if (getenv(CHILD_ENV)) {
		traced_calls();
		_exit(0);
	}
}

TEST(a_log_written_by_glibcs_mtrace_is_read_exactly)
{
	char path[] = "/tmp/kmm_lab_mtraceXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv(CHILD_ENV, "1", 1);
		setenv("MALLOC_TRACE", path, 1);
		setenv("LD_PRELOAD", "libc_malloc_debug.so.0", 1);
		execl("/proc/self/exe", "integration_lab_mtrace", (char *)NULL);
		_exit(127);
	}
	int st;
	assert_eq(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	FILE *f = fopen(path, "r");
	assert_true(f != NULL);
	struct kmm_lab_trace t;
	char err[256];
	int ret = kmm_lab_trace_read(&t, f, path, KMM_LAB_TRACE_AUTO, err, sizeof(err));
	fclose(f);
	if (ret)
		kmm_test_fail(__FILE__, __LINE__, "reading glibc's log: %s", err);
	assert_eq(ret, 0);
	if (!t.nr)
		kmm_test_fail(__FILE__, __LINE__, "glibc wrote no events to %s (is "
			      "libc_malloc_debug.so.0 installed?)", path);
	expect_eq(strcmp(t.format, "mtrace"), 0);

	/* the calls, in order: ids A B C D */
	static const struct {
		int op, id;
		uint64_t size;
	} want[] = {
		{ KMM_LAB_TRACE_ALLOC, 0, 16 },	  { KMM_LAB_TRACE_ALLOC, 1, 32 },
		{ KMM_LAB_TRACE_REALLOC, 0, 4000 }, { KMM_LAB_TRACE_FREE, 1, 0 },
		{ KMM_LAB_TRACE_ALLOC, 2, 24 },	  { KMM_LAB_TRACE_ALLOC, 3, 100 },
		{ KMM_LAB_TRACE_FREE, 0, 0 },	  { KMM_LAB_TRACE_FREE, 2, 0 },
		{ KMM_LAB_TRACE_FREE, 3, 0 },
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	expect_eq(t.nr, n);
	expect_eq(t.nr_ids, 4);
	expect_eq(t.dropped, 0);
	uint32_t id[4] = { UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX };
	for (size_t i = 0; i < n && i < t.nr; i++) {
		const struct kmm_lab_trace_event *e = &t.ev[i];
		if (id[want[i].id] == UINT32_MAX)
			id[want[i].id] = e->id;
		if (e->op != want[i].op || e->id != id[want[i].id] ||
		    (want[i].op != KMM_LAB_TRACE_FREE && e->size != want[i].size))
			kmm_test_fail(__FILE__, __LINE__, "event %zu: op %d id %u size %llu; want op %d "
				      "id %u size %llu", i, e->op, e->id, (unsigned long long)e->size,
				      want[i].op, id[want[i].id], (unsigned long long)want[i].size);
	}
	/* four different ids, though the calloc got a freed block's address back */
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			expect_ne(id[i], id[j]);

	/* and it replays with the checker after every event */
	struct kmm_replay_config c = { .pool = { .policy = KMM_POOL_TLSF }, .check = true };
	struct kmm_replay_result r;
	expect_eq(kmm_replay(&t, &c, &r, err, sizeof(err)), 0);
	expect_eq(r.failed, 0);
	kmm_replay_result_free(&r);
	kmm_lab_trace_free(&t);
	unlink(path);
}
