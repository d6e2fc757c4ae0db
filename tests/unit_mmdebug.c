// SPDX-License-Identifier: MIT
/*
 * tests/unit_mmdebug.c - mm/'s assertions (mm/include/mmdebug.h) and the
 * spinlock's holder tracking (arch/sim/sim.h).
 *
 * In a debug build (KMM_DEBUG_VM: `make debug`, and the ASan build CI runs)
 * each case below must stop its process with "kernel BUG at FILE:LINE!" on
 * stderr: a lock-held helper called without the lock, a lock held by another
 * thread, an unlock by a thread that does not hold the lock, a mapcount
 * going below zero. In a release build the same calls must go through (the
 * assertions compile to nothing). Each case runs in a forked child, so the
 * test itself survives the stop and reads the child's stderr.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch/sim/sim.h"
#include "mm/include/mm.h"
#include "mm/include/mmdebug.h"
#include "mm/vmalloc.h"
#include "tests/harness.h"

struct outcome {
	bool stopped;		/* killed by a signal (sim_bug aborts) */
	char err[2048];		/* the child's stderr */
};

/* Run @fn(@arg) in a child; collect how it ended and what it said. */
static struct outcome run_child(void (*fn)(void *), void *arg)
{
	struct outcome o = { false, "" };
	int pipefd[2];

	if (pipe(pipefd)) {
		kmm_test_fail(__FILE__, __LINE__, "pipe: %s", strerror(errno));
		return o;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		dup2(pipefd[1], 2);
		fn(arg);
		_exit(0);
	}
	close(pipefd[1]);
	size_t n = 0;
	ssize_t r;
	while ((r = read(pipefd[0], o.err + n, sizeof(o.err) - 1 - n)) > 0)
		n += (size_t)r;
	o.err[n] = 0;
	close(pipefd[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	o.stopped = WIFSIGNALED(status);
	if (!o.stopped && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		kmm_test_fail(__FILE__, __LINE__, "child exited with status %d", status);
	return o;
}

/* Debug builds: stopped with the report naming @what. Release: went through. */
static void expect_assertion(const struct outcome *o, const char *what)
{
#ifdef KMM_DEBUG_VM
	expect_true(o->stopped);
	expect_str_contains(o->err, "kernel BUG at");
	expect_str_contains(o->err, what);
#else
	(void)what;
	expect_true(!o->stopped);
	expect_eq(strlen(o->err), 0);
#endif
}

/* ---- The spinlock's holder ---- */

TEST(held_lock_is_held_by_this_thread)
{
	spinlock_t l;

	spin_lock_init(&l);
	expect_true(!spin_is_held_by_current(&l));
	spin_lock(&l);
	expect_true(spin_is_held_by_current(&l));
	lockdep_assert_held(&l);		/* holds: no stop in any build */
	spin_unlock(&l);
	expect_true(!spin_is_held_by_current(&l));
	expect_true(spin_trylock(&l));
	expect_true(spin_is_held_by_current(&l));
	spin_unlock(&l);
}

static void assert_unheld(void *arg)
{
	spinlock_t l;

	(void)arg;
	spin_lock_init(&l);
	lockdep_assert_held(&l);
}

TEST(lockdep_assert_held_stops_on_a_free_lock)
{
	struct outcome o = run_child(assert_unheld, NULL);

	expect_assertion(&o, "lockdep_assert_held(&l)");
}

static spinlock_t other_lock = SPINLOCK_INIT;
static atomic_int other_state;	/* 1: the other thread holds the lock; 2: let go */

static void *hold_other(void *arg)
{
	(void)arg;
	spin_lock(&other_lock);
	atomic_store(&other_state, 1);
	while (atomic_load(&other_state) != 2)
		sim_yield();
	spin_unlock(&other_lock);
	return NULL;
}

static void assert_held_by_other(void *arg)
{
	pthread_t t;

	(void)arg;
	pthread_create(&t, NULL, hold_other, NULL);
	while (atomic_load(&other_state) != 1)
		sim_yield();
	lockdep_assert_held(&other_lock);	/* locked, but not by this thread */
	atomic_store(&other_state, 2);
	pthread_join(t, NULL);
}

TEST(lockdep_assert_held_stops_when_another_thread_holds_it)
{
	struct outcome o = run_child(assert_held_by_other, NULL);

	expect_assertion(&o, "lockdep_assert_held(&other_lock)");
}

static void unlock_unheld(void *arg)
{
	spinlock_t l;

	(void)arg;
	spin_lock_init(&l);
	atomic_store(&l.locked, 1);	/* locked behind the lock's back: no holder */
	spin_unlock(&l);
}

TEST(unlock_by_a_thread_that_does_not_hold_the_lock_stops)
{
	struct outcome o = run_child(unlock_unheld, NULL);

#ifdef KMM_DEBUG_VM
	expect_true(o.stopped);
	expect_str_contains(o.err, "spin_unlock of a lock this thread does not hold");
#else
	expect_true(!o.stopped);
#endif
}

/* ---- Assertions inside mm/ ---- */

static void find_area_unlocked(void *arg)
{
	struct kmm_machine *m = arg;

	/* vmalloc's lookup expects vs->lock (its __ name says a lock is needed) */
	__find_vmap_area(m->subsys[SUBSYS_VMALLOC], m->layout.vmalloc_start);
}

TEST(vmalloc_lookup_without_its_lock_stops)
{
	struct kmm_machine *m = t_boot("mem=256M arch=i386");
	struct outcome o = run_child(find_area_unlocked, m);

	expect_assertion(&o, "lockdep_assert_held(&vs->lock)");
	t_done(m);
}

static void unmap_unmapped(void *arg)
{
	struct kmm_machine *m = arg;
	struct page *page = alloc_pages(GFP_KERNEL, 0);

	(void)m;
	folio_remove_rmap_pte(page);	/* no PTE maps it: _mapcount is -1 */
}

TEST(rmap_removal_of_an_unmapped_page_stops)
{
	struct kmm_machine *m = t_boot("mem=256M");
	struct outcome o = run_child(unmap_unmapped, m);

	expect_assertion(&o, "VM_BUG_ON_PAGE(old < 0)");
#ifdef KMM_DEBUG_VM
	expect_str_contains(o.err, "page: refcount:1 mapcount:-1");
#endif
	t_done(m);
}
