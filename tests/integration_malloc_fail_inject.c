// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_fail_inject.c - the shim's first malloc with its
 * 1st, 2nd, ... Nth allocation failed (the failure-injection loop of
 * tests/stress_fail_inject.c, for libkmm-malloc.so).
 *
 * Each round re-runs this program with KMM_MALLOC_CMDLINE naming
 * fail_page_alloc=N,100,0,1 (then failslab=N,...). In that child a
 * constructor makes the process's first malloc - the one that boots the
 * shim's machine - before anything else runs, and reports what happened:
 * whether kmm served it, how many failures were injected, and whether every
 * checker of the machine holds. The parent demands: no crash (the child
 * exits normally), an injected failure shows as NULL with errno ENOMEM (or,
 * when it fails the boot itself, the program runs on glibc's malloc with a
 * warning on stderr), and the rounds end with a malloc that kmm served
 * without any failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "shim/shim.h"

#define MAX_ROUNDS 200

static char self[4096];

/* The child: the first malloc of the process, before the harness runs. */
__attribute__((constructor(101))) static void first_malloc_child(void)
{
	if (!getenv("KMM_FI_CHILD"))
		return;
	errno = 0;
	char *p = malloc(100);
	int err = errno;
	int owned = p && kmm_malloc_owns(p);

	if (p) {
		memset(p, 0x5a, 100);
		if (p[99] != 0x5a)
			_exit(3);
		free(p);
	}
	/* every checker of the shim's machine; -ENODEV when glibc serves */
	int check = kmm_malloc_check();
	printf("served=%d owned=%d errno=%d injected=%lu check=%d\n", p != NULL, owned, err,
	       kmm_malloc_injected(), check);
	fflush(stdout);
	_exit(0);
}

/*
 * The churn child: a failslab= whose budget (<space>, 2 MB) outlasts the
 * boot, then malloc and free of one small size, 100,000 times (6.4 MB
 * asked). Every small malloc must reach the injection point: the shim's
 * malloc() asks no serial (mm/slab_fast.h's _sole paths), so its boot keeps
 * the lock-free path shut while a listener (this one) watches the slab.
 */
__attribute__((constructor(101))) static void churn_child(void)
{
	if (!getenv("KMM_FI_CHURN"))
		return;
	int nulls = 0;

	for (int i = 0; i < 100000; i++) {
		char *p = malloc(64);
		if (!p) {
			nulls++;
			continue;
		}
		p[0] = (char)i;
		free(p);
	}
	printf("nulls=%d injected=%lu\n", nulls, kmm_malloc_injected());
	fflush(stdout);
	_exit(0);
}

struct result {
	int served, owned, err, check;
	unsigned long injected;
	char stderr_text[512];
};

static bool run_child(const char *option, int n, struct result *r)
{
	int out[2], errp[2];
	char cmdline[128];

	snprintf(cmdline, sizeof(cmdline), "%s=%d,100,0,1", option, n);
	if (pipe(out) || pipe(errp))
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(errp[1], 2);
		close(out[0]);
		close(errp[0]);
		setenv("KMM_FI_CHILD", "1", 1);
		setenv("KMM_MALLOC_CMDLINE", cmdline, 1);
		setenv("KMM_MALLOC_MEM", "64M", 1);
		execl(self, self, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);
	/* Read to the end: stdio may write piecemeal when its buffer's malloc failed. */
	char line[256] = "";
	size_t len = 0;
	ssize_t got;
	while (len < sizeof(line) - 1 && (got = read(out[0], line + len, sizeof(line) - 1 - len)) > 0)
		len += (size_t)got;
	line[len] = 0;
	len = 0;
	while (len < sizeof(r->stderr_text) - 1 &&
	       (got = read(errp[0], r->stderr_text + len, sizeof(r->stderr_text) - 1 - len)) > 0)
		len += (size_t)got;
	r->stderr_text[len] = 0;
	close(out[0]);
	close(errp[0]);
	int status;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		kmm_test_fail(__FILE__, __LINE__, "%s: the child crashed (status %#x): %s", cmdline,
			      status, r->stderr_text);
		return false;
	}
	if (sscanf(line, "served=%d owned=%d errno=%d injected=%lu check=%d", &r->served,
		   &r->owned, &r->err, &r->injected, &r->check) != 5) {
		kmm_test_fail(__FILE__, __LINE__, "%s: the child said \"%s\"", cmdline, line);
		return false;
	}
	return true;
}

static void shim_loop(const char *option)
{
	int n, failed = 0, refused_boots = 0;

	for (n = 1; n <= MAX_ROUNDS; n++) {
		struct result r = { 0 };

		if (!run_child(option, n, &r))
			return;
		if (!r.owned && r.served) {
			/* the boot failed: glibc serves, and the shim said why */
			refused_boots++;
			expect_str_contains(r.stderr_text, "using glibc malloc");
			continue;
		}
		expect_eq(r.check, 0);
		if (!r.served) {
			/* the injected failure reached malloc: NULL and ENOMEM */
			failed++;
			expect_eq(r.err, ENOMEM);
			expect_eq(r.injected, 1);
			continue;
		}
		if (!r.injected)
			break;	/* served by kmm with nothing failed: the loop is done */
	}
	assert_true(n <= MAX_ROUNDS);
	printf("     shim's first malloc with %s: %d rounds, %d refused boots, %d NULLs\n",
	       option, n - 1, refused_boots, failed);
	expect_true(n > 1);
}

TEST(first_malloc_with_page_allocations_failed)
{
	shim_loop("fail_page_alloc");
}

TEST(first_malloc_with_slab_allocations_failed)
{
	shim_loop("failslab");
}

TEST(every_small_malloc_meets_failslab_once_its_budget_is_spent)
{
	int out[2];

	assert_true(pipe(out) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		setenv("KMM_FI_CHURN", "1", 1);
		setenv("KMM_MALLOC_CMDLINE", "failslab=1,100,2000000,1", 1);
		setenv("KMM_MALLOC_MEM", "64M", 1);
		execl(self, self, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	char line[128] = "";
	size_t len = 0;
	ssize_t got;
	while (len < sizeof(line) - 1 && (got = read(out[0], line + len, sizeof(line) - 1 - len)) > 0)
		len += (size_t)got;
	line[len] = 0;
	close(out[0]);
	int status, nulls = -1;
	unsigned long injected = 0;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(sscanf(line, "nulls=%d injected=%lu", &nulls, &injected) == 2);
	printf("     100,000 mallocs of 64 bytes after failslab's 2 MB: %d NULL, %lu injected\n",
	       nulls, injected);
	expect_eq(nulls, 1);
	expect_eq(injected, 1);
}

__attribute__((constructor(102))) static void find_self(void)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = 0;
}
