// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_threads.c - the malloc shim and threads that come
 * and go: CPU slots handed out at a thread's first call and given back when
 * it exits (mm/cpu_slot.c), and what runs after that.
 *
 * Each test runs in a child that is this program again, exec'd with its own
 * KMM_MALLOC_CPUS (the shim boots at the first malloc, from the environment),
 * so that which thread gets which slot is known. The child's alarm turns a
 * hang (a thread spinning on a slot it holds itself) into a failure with a
 * name instead of ctest's timeout; it is no measure of speed.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmm/kmm.h>

#include "harness.h"
#include "mm/include/cpu_slot.h"
#include "shim/shim.h"

#define HANG_GUARD_S 300

/* Run test @name again in a child with KMM_MALLOC_CPUS=@cpus. Return: its exit status. */
static int run_child(const char *name, const char *cpus)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		setenv("KMM_MALLOC_CPUS", cpus, 1);
		setenv("KMM_TEST", name, 1);
		setenv("KMM_THREADS_CHILD", "1", 1);
		unsetenv("KMM_MALLOC_CMDLINE");
		execl("/proc/self/exe", "integration_malloc_threads", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		printf("  child killed by signal %d%s\n", WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? " (it hung)" : "");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool in_child(void)
{
	if (!getenv("KMM_THREADS_CHILD"))
		return false;
	alarm(HANG_GUARD_S);
	return true;
}

static void wait_for(atomic_int *v, int at_least)
{
	while (atomic_load(v) < at_least)
		sched_yield();
}

/*
 * A thread-exit destructor that runs after kmm's own exit hook (its key was
 * made later, so glibc runs it later) mallocs and frees. The hook has given
 * the thread's slot back and another thread has taken it meanwhile: the
 * destructor's calls must register the thread again, not enter that slot on
 * the shim's stale record of it (review8-shim #9: as the owner's second
 * user it then waited for itself to leave, for ever).
 */
static pthread_key_t late_key;
static atomic_int late_stage;	/* 1 A registered, 2 D registered, 3 A may exit, 4 A's slot given back, 5 B registered, 6 A's destructor done, 7 all may exit */
static atomic_int late_bad;

static void late_destructor(void *v)
{
	atomic_store(&late_stage, 4);	/* kmm's hook ran: A holds no slot */
	wait_for(&late_stage, 5);
	for (int i = 0; i < 64; i++) {
		char *p = malloc(16 + (size_t)i * 40);
		if (!p) {
			atomic_store(&late_bad, 1);
			break;
		}
		memset(p, i, 16 + (size_t)i * 40);
		free(p);
	}
	free(v);
	atomic_store(&late_stage, 6);
}

static void *late_a(void *arg)
{
	(void)arg;
	char *v = malloc(40);

	if (!v || pthread_setspecific(late_key, v))
		atomic_store(&late_bad, 2);
	free(malloc(100));
	atomic_store(&late_stage, 1);
	wait_for(&late_stage, 3);
	return NULL;
}

static void *late_d(void *arg)
{
	(void)arg;
	free(malloc(100));
	atomic_store(&late_stage, 2);
	wait_for(&late_stage, 7);
	free(malloc(100));
	return NULL;
}

static void *late_b(void *arg)
{
	(void)arg;
	free(malloc(100));
	atomic_store(&late_stage, 5);
	/* idle, outside any section, holding the slot A had */
	wait_for(&late_stage, 7);
	free(malloc(100));
	return NULL;
}

TEST(a_free_in_a_destructor_after_kmm_exit_hook_registers_again)
{
	if (!in_child()) {
		expect_eq(run_child("a_free_in_a_destructor_after_kmm_exit_hook_registers_again", "2"),
			  0);
		return;
	}
	struct kmm_machine *m = kmm_malloc_machine();
	pthread_t a, b, d;

	assert_true(m != NULL);
	free(malloc(100));	/* this thread: slot 0 */
	assert_eq(pthread_key_create(&late_key, late_destructor), 0);
	assert_eq(pthread_create(&a, NULL, late_a, NULL), 0);
	wait_for(&late_stage, 1);
	assert_eq(pthread_create(&d, NULL, late_d, NULL), 0);
	wait_for(&late_stage, 2);
	/* A alone on slot 1; this thread and D share slot 0 */
	expect_eq(kmm_cpu_users(m, 0), 2);
	expect_eq(kmm_cpu_users(m, 1), 1);
	atomic_store(&late_stage, 3);
	wait_for(&late_stage, 4);
	expect_eq(kmm_cpu_users(m, 1), 0);
	/* B takes slot 1, the lowest free one, and owns it */
	assert_eq(pthread_create(&b, NULL, late_b, NULL), 0);
	assert_eq(pthread_join(a, NULL), 0);
	expect_eq(atomic_load(&late_stage), 6);
	expect_eq(atomic_load(&late_bad), 0);
	/* A's second registration was given back too */
	expect_eq(kmm_cpu_users(m, 0), 2);
	expect_eq(kmm_cpu_users(m, 1), 1);
	expect_eq(kmm_cpu_threads(m), 3);
	expect_eq(kmm_malloc_check(), 0);
	atomic_store(&late_stage, 7);
	assert_eq(pthread_join(b, NULL), 0);
	assert_eq(pthread_join(d, NULL), 0);
	expect_eq(kmm_cpu_threads(m), 1);
	expect_eq(kmm_malloc_check(), 0);
	pthread_key_delete(late_key);
}
