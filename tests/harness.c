// SPDX-License-Identifier: MIT
/*
 * tests/harness.c - registry, runner and machine helpers of the test harness.
 */
#include "tests/harness.h"
#include "mm/internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

#define MAX_TESTS 512
#define MAX_MACHINES 32

static struct {
	const char *name;
	kmm_test_fn fn;
	const char *file;
	int line;
} tests[MAX_TESTS];
static int nr_tests;
static int cur_failures;
static jmp_buf cur_jmp;
static uint64_t seed;

static struct {
	struct kmm_machine *m;
	unsigned long free_after_boot;
} booted[MAX_MACHINES];

void kmm_test_register(const char *name, kmm_test_fn fn, const char *file, int line)
{
	if (nr_tests == MAX_TESTS) {
		fprintf(stderr, "harness: too many tests\n");
		exit(2);
	}
	tests[nr_tests].name = name;
	tests[nr_tests].fn = fn;
	tests[nr_tests].file = file;
	tests[nr_tests].line = line;
	nr_tests++;
}

bool kmm_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (seed %" PRIu64 ")\n", seed);
	cur_failures++;
	return false;
}

_Noreturn void kmm_test_abort(void)
{
	longjmp(cur_jmp, 1);
}

/*
 * The first use of the seed says it, on standard error, so that a run that
 * dies without reporting (a crash, a sanitizer's report, ctest's timeout)
 * still shows the seed that replays it; kmm_test_fail() repeats it.
 */
uint64_t kmm_test_seed(void)
{
	static bool said;

	if (!__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
		fprintf(stderr, "seed %" PRIu64 " (KMM_SEED=%" PRIu64 " replays this run)\n", seed,
			seed);
	return seed;
}

bool kmm_test_quick(void)
{
	const char *q = getenv("KMM_QUICK");
	return q && *q && *q != '0';
}

int kmm_test_machines_alive(void)
{
	int n = 0;

	for (int i = 1; i <= KMM_MAX_MACHINES; i++)
		n += kmm_machines[i] != NULL;
	return n;
}

uint64_t kmm_test_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

struct kmm_machine *t_boot(const char *cmdline)
{
	struct kmm_machine *m = kmm_boot(cmdline);

	if (!m) {
		kmm_test_fail(__FILE__, __LINE__, "kmm_boot(\"%s\") failed: %s", cmdline,
			      kmm_last_error());
		kmm_test_abort();
	}
	for (int i = 0; i < MAX_MACHINES; i++) {
		if (!booted[i].m) {
			booted[i].m = m;
			/* pcp pages are not counted as free */
			booted[i].free_after_boot = t_nr_free_drained(m);
			break;
		}
	}
	kmm_use(m);
	return m;
}

void t_done(struct kmm_machine *m)
{
	int err = kmm_check(m);

	if (err)
		kmm_test_fail(__FILE__, __LINE__, "kmm_check failed: %s", kmm_last_error());
	for (int i = 0; i < MAX_MACHINES; i++) {
		if (booted[i].m != m)
			continue;
		unsigned long now = t_nr_free_drained(m);
		if (now != booted[i].free_after_boot)
			kmm_test_fail(__FILE__, __LINE__,
				      "leak check: %lu free pages after boot, %lu at the end",
				      booted[i].free_after_boot, now);
		booted[i].m = NULL;
	}
	if (kmm_current() == m)
		kmm_use(NULL);
	kmm_shutdown(m);
}

char *t_proc(struct kmm_machine *m, const char *path)
{
	char *out = NULL;
	int err = kmm_proc_read(m, path, &out);

	if (err) {
		kmm_test_fail(__FILE__, __LINE__, "kmm_proc_read(%s) = %d", path, err);
		return NULL;
	}
	return out;
}

const char *t_dmesg(struct kmm_machine *m)
{
	static char *ring[16];
	static unsigned int next;
	char **slot = &ring[next++ % 16];

	free(*slot);
	*slot = kmm_dmesg_dup(m);
	if (!*slot) {
		kmm_test_fail(__FILE__, __LINE__, "kmm_dmesg_dup: no host memory");
		return "";
	}
	return *slot;
}

/* Run test @i; setjmp lives here so that main's locals are not clobbered. */
static void run_one(int i)
{
	cur_failures = 0;
	if (!setjmp(cur_jmp))
		tests[i].fn();
}

int main(void)
{
	const char *only = getenv("KMM_TEST");
	const char *s = getenv("KMM_SEED");
	int passed = 0, failed = 0;

	seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
	for (int i = 0; i < nr_tests; i++) {
		if (only && strcmp(only, tests[i].name))
			continue;
		run_one(i);
		/* A test that aborted may leave machines: release them quietly. */
		for (int j = 0; j < MAX_MACHINES; j++) {
			if (booted[j].m) {
				if (kmm_current() == booted[j].m)
					kmm_use(NULL);
				kmm_shutdown(booted[j].m);
				booted[j].m = NULL;
			}
		}
		if (cur_failures) {
			failed++;
			printf("FAIL %s (%s:%d, seed %" PRIu64 ")\n", tests[i].name, tests[i].file,
			       tests[i].line, seed);
		} else {
			passed++;
			printf("ok   %s\n", tests[i].name);
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
