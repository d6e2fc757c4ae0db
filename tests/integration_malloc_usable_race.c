// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_usable_race.c - malloc_usable_size() of a page
 * block that another thread frees during the call (a program's bug the
 * shim must survive with its books intact; review9-shim #5).
 *
 * A page block's head keeps the bytes its malloc asked for in ->private,
 * tagged (ASKED_TAG, shim/malloc.c); malloc_usable_size() clears that
 * record after an unlocked liveness test, in no section. If the block is
 * freed between the call's read of the record and its write, ->private has
 * become the free block's buddy order: a plain store of 0 there makes an
 * order-4 block on the order-4 free list say order 0, which the buddy
 * checker reports ("has order 0") and which stops its merges. The shim
 * clears only the value it read, by compare-and-swap.
 *
 * The window is a few instructions, so the test stops the caller inside it
 * on purpose, without a hook in the shim. A caller thread allocates a batch
 * of fresh blocks (each with its record) and runs malloc_usable_size() once
 * on each (the first call clears the record; a later one finds none). A
 * timer signals it every 50 us, wherever it is running or the host stopped
 * it: an arbitrary instruction of its loop. When the signal lands inside a
 * call, the handler holds the caller there while the main thread frees
 * that very block; the caller then finishes the call, and the machine must
 * pass its checker before the block can be handed out again. The test runs
 * until 100 (KMM_QUICK) or 300 calls were stopped so (a count of events,
 * not a time). Where in the call each lands is up to the host. With the
 * compare-and-swap replaced by a plain store (the tag test kept), 8 of 8
 * runs on the team's loaded 2-CPU machine failed the checker, at the 1st
 * to 33rd stopped call; with it, the machine passes every check.
 *
 * Linked against the shim (cmake/shim.cmake): malloc here is kmm's. Not run
 * under a sanitizer, whose malloc would win.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "shim/shim.h"

#define BLOCK (64 * 1024)	/* an order-4 page block: freed to a buddy list, not a pcp list */
#define BATCH 64		/* blocks the caller allocates, then asks about, then frees */

static struct {
	void *blocks[BATCH];		/* the caller's batch */
	atomic_int cur;			/* the block the caller's current call is on */
	atomic_int in_call;		/* the caller is inside malloc_usable_size(blocks[cur]) */
	_Atomic(void *) to_free;	/* handler -> main: free this block now */
	atomic_ulong requests;		/* blocks the handler handed to main */
	atomic_ulong freed;		/* main -> handler: blocks it freed */
	atomic_ulong returned;		/* caller -> main: calls on a freed block that returned */
	atomic_ulong checked;		/* main -> caller: checks run after those */
	atomic_ulong signals;		/* signals taken, inside a call or not */
	atomic_int bad;			/* a check failed */
	atomic_int done;		/* the caller stopped */
} race;

/*
 * SIGUSR1, on the caller's thread: inside a call, have main free the block
 * the call is on, and hold the caller here until it has. Async-signal-safe:
 * lock-free atomics only.
 */
static void on_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&race.signals, 1);
	if (!atomic_load_explicit(&race.in_call, memory_order_relaxed))
		return;
	int i = atomic_load_explicit(&race.cur, memory_order_relaxed);
	if (!race.blocks[i])
		return;
	unsigned long n = atomic_load(&race.requests) + 1;
	atomic_store(&race.to_free, race.blocks[i]);
	atomic_store(&race.requests, n);
	while (atomic_load(&race.freed) < n)
		;
	race.blocks[i] = NULL;	/* freed by main: not the caller's to free */
}

struct caller_args {
	unsigned long stops;		/* run until this many calls were stopped and their block freed */
	unsigned long max_batches;	/* or this many batches, whichever first */
	unsigned long batches;
	int timer_err;
};

static void *caller(void *arg)
{
	struct caller_args *a = arg;
	struct sigevent sev;
	timer_t timer;
	sigset_t set;

	/*
	 * A timer every 50 us; only this thread takes its signal (main blocks
	 * it). It interrupts this thread wherever it is running, or wherever
	 * the host stopped it: an arbitrary instruction of the loop below.
	 */
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	if (timer_create(CLOCK_MONOTONIC, &sev, &timer)) {
		a->timer_err = 1;
		atomic_store(&race.done, 1);
		return NULL;
	}
	struct itimerspec its = { .it_value = { 0, 50000 }, .it_interval = { 0, 50000 } };
	timer_settime(timer, 0, &its, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	for (a->batches = 0; a->batches < a->max_batches; a->batches++) {
		if (atomic_load(&race.freed) >= a->stops || atomic_load(&race.bad))
			break;
		for (int i = 0; i < BATCH; i++) {
			void *p = malloc(BLOCK);
			if (!p) {
				atomic_store(&race.bad, 1);
				break;
			}
			race.blocks[i] = p;
		}
		for (int i = 0; i < BATCH && !atomic_load(&race.bad); i++) {
			unsigned long before = atomic_load(&race.freed);
			atomic_store_explicit(&race.cur, i, memory_order_relaxed);
			atomic_store_explicit(&race.in_call, 1, memory_order_relaxed);
			atomic_signal_fence(memory_order_seq_cst);
			(void)malloc_usable_size(race.blocks[i]);
			atomic_signal_fence(memory_order_seq_cst);
			atomic_store_explicit(&race.in_call, 0, memory_order_relaxed);
			unsigned long now = atomic_load(&race.freed);
			if (now != before) {
				/* Stopped inside that call, its block freed: main checks before we go on. */
				atomic_store(&race.returned, now);
				while (atomic_load(&race.checked) < now)
					;
			}
		}
		for (int i = 0; i < BATCH; i++) {
			void *p = race.blocks[i];
			race.blocks[i] = NULL;	/* (before the free: the handler reads it) */
			atomic_signal_fence(memory_order_seq_cst);
			free(p);
		}
	}
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	timer_delete(timer);
	atomic_store(&race.done, 1);
	return NULL;
}

TEST(a_block_freed_inside_malloc_usable_size_keeps_its_buddy_order)
{
	/* ~1,200 batches give 100 stops here; the batch bound only ends a host that never stops one. */
	struct caller_args a = { .stops = kmm_test_quick() ? 100 : 300, .max_batches = 200000 };
	struct sigaction sa;
	sigset_t set;
	pthread_t t;
	unsigned long served = 0;

	void *first = malloc(1);	/* the shim boots at its first call */
	assert_true(kmm_malloc_machine() != NULL);
	free(first);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	/* Only the caller takes SIGUSR1 (its timer's signal is the process's). */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	assert_eq(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
	assert_eq(pthread_create(&t, NULL, caller, &a), 0);
	while (!atomic_load(&race.done)) {
		if (atomic_load(&race.requests) == served)
			continue;
		/* The program's bug: the block freed while the caller's call on it is stopped. */
		free(atomic_load(&race.to_free));
		atomic_store(&race.freed, ++served);
		while (atomic_load(&race.returned) < served && !atomic_load(&race.done))
			;
		int err = kmm_malloc_check();
		if (err && !atomic_exchange(&race.bad, 1))
			kmm_test_fail(__FILE__, __LINE__, "call %lu stopped with its block freed: "
				      "kmm_malloc_check() %d", served, err);
		atomic_store(&race.checked, served);
	}
	pthread_join(t, NULL);
	assert_true(!a.timer_err);
	printf("%lu batches of %d blocks, %lu signals, %lu calls stopped with their block freed\n",
	       a.batches, BATCH, atomic_load(&race.signals), served);
	expect_true(served > 0);
	expect_eq(kmm_malloc_check(), 0);
}
