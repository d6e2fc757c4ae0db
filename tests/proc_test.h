// SPDX-License-Identifier: MIT
/*
 * tests/proc_test.h - what the tests read from /proc and the kernel log and
 * write to /proc/sys, shared so that each exists once: one /proc/meminfo or
 * /proc/vmstat field as a number, "does dmesg say this", and a sysctl write
 * that fails the test when it is refused. Static inline, so a test that
 * uses some of them compiles warning-free; it needs only the harness.
 */
#ifndef KMM_TESTS_PROC_TEST_H
#define KMM_TESTS_PROC_TEST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>

#include "tests/harness.h"

/*
 * The number after "@name@sep" where that begins a line of the /proc file
 * @path, or -1 when no line does (or the file cannot be read: t_proc fails
 * the test then). Anchored at a line's start, so "Cached" never finds
 * "SwapCached:" and "nr_dirty" never finds "nr_dirty_threshold".
 */
static inline long proc_field(struct kmm_machine *m, const char *path, const char *name,
			      const char *sep)
{
	char *text = t_proc(m, path), key[80];
	const char *p = NULL;
	long v = -1;

	snprintf(key, sizeof(key), "\n%s%s", name, sep);
	if (text && !strncmp(text, key + 1, strlen(key + 1)))
		p = text + strlen(key + 1);	/* the first line */
	else if (text && (p = strstr(text, key)))
		p += strlen(key);
	if (p)
		v = strtol(p, NULL, 10);
	free(text);
	return v;
}

/* The /proc/meminfo line @field ("Dirty" or "Dirty:"), in kB, or -1. */
static inline long meminfo_kb(struct kmm_machine *m, const char *field)
{
	char name[64];
	size_t n = strlen(field);

	snprintf(name, sizeof(name), "%.*s", (int)(n && field[n - 1] == ':' ? n - 1 : n), field);
	return proc_field(m, "/proc/meminfo", name, ":");
}

/* The value of the /proc/vmstat line @field ("workingset_nodes"), or -1. */
static inline long vmstat_val(struct kmm_machine *m, const char *field)
{
	return proc_field(m, "/proc/vmstat", field, " ");
}

/* dmesg of @m contains @needle (a copy of the log, freed here). */
static inline bool dmesg_has(struct kmm_machine *m, const char *needle)
{
	char *log = kmm_dmesg_dup(m);
	bool has = log && strstr(log, needle);

	free(log);
	return has;
}
#define expect_dmesg(m, needle) \
	(dmesg_has((m), (needle)) ? true : kmm_test_fail(__FILE__, __LINE__, \
		"expected dmesg to contain \"%s\"", (needle)))

/* sysctl @name = @value; a refused write fails the test (at the caller's line) and goes on. */
#define sysctl_set(m, name, value) sysctl_set_at((m), (name), (value), __FILE__, __LINE__)
static inline void sysctl_set_at(struct kmm_machine *m, const char *name, const char *value,
				 const char *file, int line)
{
	if (kmm_sysctl_write(m, name, value))
		kmm_test_fail(file, line, "sysctl %s=%s: %s", name, value, kmm_last_error());
}

/*
 * ---- /proc readers beside working threads (the threaded stress tests) ----
 *
 * A monitoring tool reads /proc while other threads change the machine; its
 * lockless reads meet their writes, which is what ThreadSanitizer checks.
 * Left free, a reader reads as fast as the host lets it, takes the CPU slots
 * and zone locks the workers need, and a run on two loaded cores spends its
 * time handing CPUs back and forth (stress_threads measured 116,000 context
 * switches for 12,000 steps) instead of stepping. So readers keep pace with
 * the workers: at most one read per step done, waiting on a condition
 * variable when ahead. Workers call proc_pace_step() after each step and
 * proc_pace_leave() when they stop; a reader loops while proc_pace_turn()
 * says a read is due and counts each read with proc_pace_read().
 */
struct proc_pace {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_long steps;	/* steps the workers took */
	atomic_long reads;	/* reads the readers made */
	atomic_int running;	/* workers still stepping */
	atomic_int waiting;	/* readers asleep in proc_pace_turn() */
};

/* Before any thread starts: @workers will step. */
static inline void proc_pace_init(struct proc_pace *p, int workers)
{
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	atomic_store(&p->steps, 0);
	atomic_store(&p->reads, 0);
	atomic_store(&p->running, workers);
	atomic_store(&p->waiting, 0);
}

static inline void proc_pace_destroy(struct proc_pace *p)
{
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

static inline void proc_pace_wake(struct proc_pace *p)
{
	pthread_mutex_lock(&p->lock);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* A worker took a step: a reader waiting for one may read. */
static inline void proc_pace_step(struct proc_pace *p)
{
	/* seq_cst, as in proc_pace_turn(): the waker sees the waiter, or the waiter the step */
	atomic_fetch_add(&p->steps, 1);
	if (atomic_load(&p->waiting))
		proc_pace_wake(p);
}

/* A worker stopped stepping; when the last one does, the readers stop. */
static inline void proc_pace_leave(struct proc_pace *p)
{
	atomic_fetch_sub(&p->running, 1);
	proc_pace_wake(p);
}

/*
 * A reader's turn: waits while it is ahead of the workers. Return: true
 * when a read is due, false once every worker has stopped.
 */
static inline bool proc_pace_turn(struct proc_pace *p)
{
	if (atomic_load(&p->reads) >= atomic_load(&p->steps)) {
		pthread_mutex_lock(&p->lock);
		atomic_fetch_add(&p->waiting, 1);
		while (atomic_load(&p->reads) >= atomic_load(&p->steps) &&
		       atomic_load(&p->running) > 0)
			pthread_cond_wait(&p->cond, &p->lock);
		atomic_fetch_sub(&p->waiting, 1);
		pthread_mutex_unlock(&p->lock);
	}
	return atomic_load(&p->running) > 0;
}

static inline void proc_pace_read(struct proc_pace *p)
{
	atomic_fetch_add(&p->reads, 1);
}

#endif /* KMM_TESTS_PROC_TEST_H */
