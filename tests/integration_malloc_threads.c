// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_threads.c - the malloc shim and threads that come
 * and go: CPU slots handed out at a thread's first call and given back when
 * it exits (mm/cpu_slot.c), and what runs after that.
 *
 * Each test runs in a child that is this program again, exec'd with its own
 * KMM_MALLOC_CPUS (the shim boots at the first malloc, from the environment),
 * so that which thread gets which slot is known; and what a new thread costs
 * in the shim's TLS. The child's alarm turns a hang (a thread spinning on a
 * slot it holds itself) into a failure with a name instead of ctest's
 * timeout; it is no measure of speed.
 */
#include <link.h>
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
#include "mm/internal.h"
#include "shim/shim.h"

#define HANG_GUARD_S 300

/* Run test @name again in a child with KMM_MALLOC_CPUS=@cpus (NULL: unset). Return: its exit status. */
static int run_child(const char *name, const char *cpus)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		if (cpus)
			setenv("KMM_MALLOC_CPUS", cpus, 1);
		else
			unsetenv("KMM_MALLOC_CPUS");	/* the shim's default */
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

/*
 * A destructor that sets its key again on every round and mallocs each
 * time: glibc runs at most PTHREAD_DESTRUCTOR_ITERATIONS (4) rounds, and in
 * each the destructor runs after kmm's exit hook (its key was made later).
 * In rounds 1-3 its malloc registers the thread again and re-queues the
 * hook, which the next round runs; in round 4 there is no next round, and
 * that registration must be given back at the end of the call itself
 * (review9-shim #2: it stayed, one user too many for good, and the slot
 * was never lock-free again).
 */
#define ROUND_THREADS 3
#define ROUNDS 4	/* PTHREAD_DESTRUCTOR_ITERATIONS in glibc */

static pthread_key_t round_key;
static atomic_int round_calls;
static __thread int my_rounds;

static void round_destructor(void *v)
{
	atomic_fetch_add(&round_calls, 1);
	free(v);
	free(malloc(64));
	/* set again while a round is left (the last value would have no destructor call) */
	if (++my_rounds < ROUNDS) {
		void *w = malloc(8);
		if (w && pthread_setspecific(round_key, w))
			free(w);
	}
}

static void *round_thread(void *arg)
{
	(void)arg;
	free(malloc(100));
	pthread_setspecific(round_key, malloc(8));
	return NULL;
}

TEST(a_malloc_in_the_last_destructor_round_gives_its_slot_back)
{
	if (!in_child()) {
		expect_eq(run_child("a_malloc_in_the_last_destructor_round_gives_its_slot_back", "4"),
			  0);
		return;
	}
	struct kmm_machine *m = kmm_malloc_machine();
	pthread_t t;

	assert_true(m != NULL);
	free(malloc(100));	/* this thread registered: kmm's exit key is made before ours */
	assert_eq(pthread_key_create(&round_key, round_destructor), 0);
	for (int i = 0; i < ROUND_THREADS; i++) {
		assert_eq(pthread_create(&t, NULL, round_thread, NULL), 0);
		assert_eq(pthread_join(t, NULL), 0);
	}
	expect_eq(atomic_load(&round_calls), ROUND_THREADS * ROUNDS);
	/* this thread alone holds a slot again */
	expect_eq(kmm_cpu_threads(m), 1);
	expect_eq(kmm_cpu_users(m, 0), 1);
	expect_eq(kmm_malloc_check(), 0);
	pthread_key_delete(round_key);
}

/*
 * fork() while other threads register with a slot and give it back (a pool
 * of short-lived threads beside a thread that forks). The fork must not copy
 * m->cpu_lock or the machine registry's lock held by a thread that does not
 * exist in the child: the child's first new thread would spin on it for
 * ever (review11 R1). Each child starts a thread that mallocs; a child that
 * has not exited within FORK_CHILD_GUARD_S hung.
 */
#define FORK_CHILD_GUARD_S 60

static atomic_int churn_stop;

static void *short_life(void *arg)
{
	(void)arg;
	free(malloc(64));	/* registers with a slot; the exit hook gives it back */
	return NULL;
}

static void *churner(void *arg)
{
	(void)arg;
	while (!atomic_load(&churn_stop)) {
		pthread_t t;
		if (pthread_create(&t, NULL, short_life, NULL) == 0)
			pthread_join(t, NULL);
	}
	return NULL;
}

TEST(a_fork_while_threads_come_and_go_leaves_no_slot_lock_held)
{
	if (!in_child()) {
		expect_eq(run_child("a_fork_while_threads_come_and_go_leaves_no_slot_lock_held", "2"),
			  0);
		return;
	}
	pthread_t c[2];
	int forks = kmm_test_quick() ? 40 : 100, hung = 0, failed = 0;

	free(malloc(100));
	for (int i = 0; i < 2; i++)
		assert_eq(pthread_create(&c[i], NULL, churner, NULL), 0);
	for (int i = 0; i < forks && !hung; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			pthread_t t;
			alarm(FORK_CHILD_GUARD_S);
			if (pthread_create(&t, NULL, short_life, NULL) || pthread_join(t, NULL))
				_exit(2);
			free(malloc(100));
			_exit(kmm_malloc_check() != 0);
		}
		int st = 0;
		assert_eq(waitpid(pid, &st, 0), pid);
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
			hung++;
		else if (!WIFEXITED(st) || WEXITSTATUS(st))
			failed++;
	}
	atomic_store(&churn_stop, 1);
	for (int i = 0; i < 2; i++)
		assert_eq(pthread_join(c[i], NULL), 0);
	expect_eq(hung, 0);
	expect_eq(failed, 0);
}

/*
 * In a forked child only the forking thread exists: the slots the parent's
 * other threads held are free there, and the forker's slot is its own (not
 * shared, so it may run lock-free), as the next threads' slots are.
 */
static atomic_int idle_stop;

static void *idle_thread(void *arg)
{
	atomic_int *registered = arg;
	free(malloc(100));
	atomic_fetch_add(registered, 1);
	wait_for(&idle_stop, 1);
	return NULL;
}

TEST(a_forked_child_holds_only_the_forking_threads_slot)
{
	if (!in_child()) {
		expect_eq(run_child("a_forked_child_holds_only_the_forking_threads_slot", "2"), 0);
		return;
	}
	struct kmm_machine *m = kmm_malloc_machine();
	atomic_int registered = 0;
	pthread_t t[2];

	assert_true(m != NULL);
	free(malloc(100));	/* this thread: slot 0 */
	for (int i = 0; i < 2; i++)
		assert_eq(pthread_create(&t[i], NULL, idle_thread, &registered), 0);
	wait_for(&registered, 2);
	/* slot 1 to the first, slot 0 or 1 shared by the second */
	expect_eq(kmm_cpu_threads(m), 3);
	pid_t pid = fork();
	if (pid == 0) {
		alarm(FORK_CHILD_GUARD_S);
		int bad = 0;
		bad |= kmm_cpu_threads(m) != 1;
		bad |= (kmm_cpu_users(m, 0) != 1) << 1;
		/* the free-slot count that slot moves read agrees (every slot but ours) */
		bad |= (atomic_load(&m->cpu_free) != m->nr_cpus - 1) << 5;
		pthread_t u;
		if (pthread_create(&u, NULL, short_life, NULL) || pthread_join(u, NULL))
			bad |= 4;
		bad |= (kmm_cpu_threads(m) != 1) << 3;
		bad |= (kmm_malloc_check() != 0) << 4;
		_exit(bad);
	}
	int st = 0;
	assert_eq(waitpid(pid, &st, 0), pid);
	expect_true(WIFEXITED(st));
	expect_eq(WEXITSTATUS(st), 0);
	atomic_store(&idle_stop, 1);
	for (int i = 0; i < 2; i++)
		assert_eq(pthread_join(t[i], NULL), 0);
	expect_eq(kmm_cpu_threads(m), 1);
}

/*
 * A thread that registered while every slot was taken shares one; when
 * another slot frees up, one of the sharers moves there at its next call,
 * and both slots are owned again (review11 R2: the pair stayed on one slot,
 * every section a spin lock, for the rest of their lives). KMM_MALLOC_CPUS=2:
 * this thread takes slot 0, a short-lived thread slot 1, a long-lived one
 * then shares slot 0; the short one exits, and this thread's next malloc
 * finds its slot shared and slot 1 free.
 */
static atomic_int move_stage;	/* 1 S registered, 2 L registered, 3 S may exit, 4 L may malloc, 5 L done, 6 L may exit */

static void *move_short(void *arg)
{
	(void)arg;
	free(malloc(100));
	atomic_store(&move_stage, 1);
	wait_for(&move_stage, 3);
	return NULL;
}

static void *move_long(void *arg)
{
	(void)arg;
	free(malloc(100));
	atomic_store(&move_stage, 2);
	wait_for(&move_stage, 4);
	for (int i = 0; i < 100; i++)
		free(malloc(16 + (size_t)i * 8));
	atomic_store(&move_stage, 5);
	wait_for(&move_stage, 6);
	return NULL;
}

/* Slot @cpu is in owned mode exactly when the machine allows it. */
static bool slot_owned_as_allowed(struct kmm_machine *m, int cpu)
{
	return atomic_load(&m->cpus[cpu].guard.lockless) == (int)m->cpu_lockless;
}

TEST(a_thread_sharing_a_slot_moves_when_one_frees_up)
{
	if (!in_child()) {
		expect_eq(run_child("a_thread_sharing_a_slot_moves_when_one_frees_up", "2"), 0);
		return;
	}
	struct kmm_machine *m = kmm_malloc_machine();
	pthread_t s, l;

	assert_true(m != NULL);
	free(malloc(100));	/* this thread: slot 0 */
	assert_eq(pthread_create(&s, NULL, move_short, NULL), 0);
	wait_for(&move_stage, 1);
	assert_eq(pthread_create(&l, NULL, move_long, NULL), 0);
	wait_for(&move_stage, 2);
	/* S alone on slot 1; this thread and L share slot 0, which is locked */
	expect_eq(kmm_cpu_users(m, 0), 2);
	expect_eq(kmm_cpu_users(m, 1), 1);
	expect_eq(atomic_load(&m->cpus[0].guard.lockless), 0);
	atomic_store(&move_stage, 3);
	assert_eq(pthread_join(s, NULL), 0);
	expect_eq(kmm_cpu_users(m, 1), 0);
	expect_eq(atomic_load(&m->cpu_free), 1);
	/* this thread's next call moves it to slot 1: each slot has one user, owned */
	free(malloc(100));
	expect_eq(kmm_cpu_users(m, 0), 1);
	expect_eq(kmm_cpu_users(m, 1), 1);
	expect_eq(atomic_load(&m->cpu_free), 0);
	expect_true(slot_owned_as_allowed(m, 0));
	expect_true(slot_owned_as_allowed(m, 1));
	/* L, alone on slot 0 now, has nowhere to move and stays */
	atomic_store(&move_stage, 4);
	wait_for(&move_stage, 5);
	expect_eq(kmm_cpu_users(m, 0), 1);
	expect_eq(kmm_cpu_users(m, 1), 1);
	for (int i = 0; i < 100; i++)
		free(malloc(16 + (size_t)i * 8));
	expect_eq(kmm_cpu_users(m, 1), 1);
	expect_eq(kmm_malloc_check(), 0);
	atomic_store(&move_stage, 6);
	assert_eq(pthread_join(l, NULL), 0);
	expect_eq(kmm_cpu_threads(m), 1);
	expect_eq(atomic_load(&m->cpu_free), 1);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * A new thread's start clears the static TLS of every library loaded with
 * the program (glibc's _dl_allocate_tls_init()), the shim's too: it must
 * stay small. A registration table of all 256 machine registry slots
 * (mm/cpu_slot.c) made the shim's 4,920 bytes: ~550 instructions and 77
 * cache lines written per new thread, for a thread that uses one machine.
 */
struct tls_probe {
	uintptr_t inside;	/* an address of the shim's code */
	size_t tls_bytes;	/* its PT_TLS p_memsz */
	bool found;
};

static int find_shim_tls(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct tls_probe *p = arg;
	bool ours = false;
	size_t tls = 0;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && p->inside - start < ph->p_memsz)
			ours = true;
		if (ph->p_type == PT_TLS)
			tls = ph->p_memsz;
	}
	if (!ours)
		return 0;
	p->found = true;
	p->tls_bytes = tls;
	return 1;
}

TEST(a_new_thread_clears_at_most_1_kib_of_the_shims_tls)
{
	struct tls_probe p = { (uintptr_t)&kmm_malloc_machine, 0, false };

	dl_iterate_phdr(find_shim_tls, &p);
	assert_true(p.found);
	if (p.tls_bytes > 1024)
		printf("  the shim's static TLS: %zu bytes\n", p.tls_bytes);
	expect_true(p.tls_bytes <= 1024);
}

/*
 * The shim's default slot count (four times the online CPUs, at least 16,
 * at most 64: docs/malloc.md "maxcpus"): eight threads that come and go
 * together, with the main thread, each own a slot, none shared (on 4 slots,
 * twice this box's 2 CPUs, five of them shared and ran every call the locked
 * way: 54 ms of CPU against 23 ms, measured in session 18: docs/malloc.md). The slots no thread
 * took stay unpopulated: their per-CPU units cost no memory.
 */
#define RELAY_THREADS 8
static pthread_barrier_t relay_all_in, relay_may_exit;

static void *relay_worker(void *arg)
{
	void *volatile p = malloc(40 + (size_t)(uintptr_t)arg);

	free(p);	/* registered: a slot of its own */
	pthread_barrier_wait(&relay_all_in);
	pthread_barrier_wait(&relay_may_exit);
	return NULL;
}

TEST(eight_threads_at_once_each_own_a_slot_under_the_default_count)
{
	if (!in_child()) {
		expect_eq(run_child("eight_threads_at_once_each_own_a_slot_under_the_default_count",
				    NULL), 0);
		return;
	}
	struct kmm_machine *m = kmm_malloc_machine();
	pthread_t th[RELAY_THREADS];

	assert_true(m != NULL);
	void *volatile p = malloc(100);
	free(p);	/* this thread: slot 0 */
	expect_eq(m->nr_cpus, KMM_CLAMP(KMM_MAX(sim_online_cpus() * 4, 16), 1, 64));
	assert_true(m->nr_cpus > RELAY_THREADS);
	for (int round = 0; round < 3; round++) {
		pthread_barrier_init(&relay_all_in, NULL, RELAY_THREADS + 1);
		pthread_barrier_init(&relay_may_exit, NULL, RELAY_THREADS + 1);
		for (int i = 0; i < RELAY_THREADS; i++)
			assert_eq(pthread_create(&th[i], NULL, relay_worker, (void *)(uintptr_t)i), 0);
		pthread_barrier_wait(&relay_all_in);
		expect_eq(kmm_cpu_threads(m), RELAY_THREADS + 1);
		for (int cpu = 0; cpu < m->nr_cpus; cpu++)
			if (kmm_cpu_users(m, cpu) > 1)
				kmm_test_fail(__FILE__, __LINE__, "round %d: slot %d has %d threads",
					      round, cpu, kmm_cpu_users(m, cpu));
		pthread_barrier_wait(&relay_may_exit);
		for (int i = 0; i < RELAY_THREADS; i++)
			assert_eq(pthread_join(th[i], NULL), 0);
		pthread_barrier_destroy(&relay_all_in);
		pthread_barrier_destroy(&relay_may_exit);
		expect_eq(kmm_cpu_threads(m), 1);
	}
	/* The lowest free slot each time: the slots above the ninth were never set up. */
	for (int cpu = 0; cpu < m->nr_cpus; cpu++)
		expect_eq(cpu_populated(&m->percpu, cpu), cpu <= RELAY_THREADS);
	expect_eq(kmm_malloc_check(), 0);
}
