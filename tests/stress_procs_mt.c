// SPDX-License-Identifier: MIT
/*
 * tests/stress_procs_mt.c - the process layer under threads: eight workers,
 * each driving its own processes (spawn, mmap, write and read back, fork,
 * copy-on-write in parent and child, munmap, mprotect, exit), and eight
 * threads faulting, unmapping and remapping their own VMAs of one shared
 * process, while another thread runs kmm_check() over and over. The
 * checker stops the world (procs_stop) and must find every invariant
 * holding every time; every worker checks the bytes it wrote (COW
 * isolation across processes run by different threads). At the end every
 * frame is back. Built into `make test-tsan` (ThreadSanitizer) as well.
 * KMM_SEED replays a run's per-thread random choices (the interleaving is
 * the host scheduler's); KMM_QUICK=1 takes fewer steps.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <kmm/process.h>

#include "mm/include/mm.h"

#define NR_WORKERS 8
#define MAX_PROCS 3
#define REGION_PAGES 16

static struct kmm_machine *machine;
static atomic_int workers_left;
static atomic_long checks_run;

struct region {
	uint64_t addr;			/* 0: none */
	unsigned char bytes[REGION_PAGES];	/* what each page's first byte must read */
};

struct proc {
	struct task_struct *t;
	struct region r;
};

struct worker {
	int id;
	uint64_t seed;
	long steps;
	char error[256];		/* first failure, reported by the main thread */
	struct proc procs[MAX_PROCS];
	struct task_struct *shared;	/* the process of the second test */
};

/* Keep working past the planned steps until the checker has run this often. */
#define MIN_CHECKS 20

static bool keep_going(const struct worker *w, long i)
{
	if (w->error[0] || i >= w->steps * 50)
		return false;
	return i < w->steps || atomic_load(&checks_run) < MIN_CHECKS;
}

#define fail(w, ...) do { if (!(w)->error[0]) snprintf((w)->error, sizeof((w)->error), __VA_ARGS__); } while (0)

static void region_fill(struct worker *w, struct task_struct *t, struct region *r, uint64_t *s)
{
	for (int i = 0; i < REGION_PAGES; i++) {
		unsigned char b = (unsigned char)t_rnd(s, 256);
		if (kmm_access(t, r->addr + (uint64_t)i * 4096, &b, 1, true)) {
			fail(w, "worker %d: write to 0x%llx failed: %s", w->id,
			     (unsigned long long)(r->addr + (uint64_t)i * 4096), kmm_last_error());
			return;
		}
		r->bytes[i] = b;
	}
}

static void region_verify(struct worker *w, struct task_struct *t, const struct region *r)
{
	for (int i = 0; i < REGION_PAGES; i++) {
		unsigned char b = 0;
		if (kmm_access(t, r->addr + (uint64_t)i * 4096, &b, 1, false) || b != r->bytes[i]) {
			fail(w, "worker %d: page %d of 0x%llx reads 0x%02x, wrote 0x%02x", w->id, i,
			     (unsigned long long)r->addr, b, r->bytes[i]);
			return;
		}
	}
}

static void proc_exit(struct proc *p)
{
	kmm_exit(p->t, 0);
	kmm_task_release(p->t);
	p->t = NULL;
	p->r.addr = 0;
}

/* One random step on one of the worker's own processes. */
static void worker_step(struct worker *w, uint64_t *s)
{
	struct proc *p = &w->procs[t_rnd(s, MAX_PROCS)];
	char name[16];

	if (!p->t) {
		snprintf(name, sizeof(name), "w%d", w->id);
		p->t = kmm_spawn(machine, name);
		if (!p->t)
			fail(w, "worker %d: spawn failed: %s", w->id, kmm_last_error());
		return;
	}
	switch (t_rnd(s, 7)) {
	case 0:		/* map and fill a region */
		if (p->r.addr) {
			region_verify(w, p->t, &p->r);
			if (kmm_munmap(p->t, p->r.addr, REGION_PAGES * 4096))
				fail(w, "worker %d: munmap failed: %s", w->id, kmm_last_error());
			p->r.addr = 0;
		}
		if (kmm_mmap(p->t, 0, REGION_PAGES * 4096, KMM_PROT_READ | KMM_PROT_WRITE,
			     KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &p->r.addr)) {
			fail(w, "worker %d: mmap failed: %s", w->id, kmm_last_error());
			return;
		}
		region_fill(w, p->t, &p->r, s);
		break;
	case 1:		/* fork into a free slot: the child sees the parent's bytes */
		for (int i = 0; i < MAX_PROCS; i++) {
			struct proc *c = &w->procs[i];
			if (c->t)
				continue;
			snprintf(name, sizeof(name), "w%dc", w->id);
			c->t = kmm_fork(p->t, name);
			if (!c->t) {
				fail(w, "worker %d: fork failed: %s", w->id, kmm_last_error());
				return;
			}
			c->r = p->r;
			if (c->r.addr)
				region_verify(w, c->t, &c->r);
			break;
		}
		break;
	case 2:		/* rewrite: copy-on-write if shared with a relative */
	case 3:
		if (p->r.addr)
			region_fill(w, p->t, &p->r, s);
		break;
	case 4:
		if (p->r.addr)
			region_verify(w, p->t, &p->r);
		break;
	case 5:		/* a read-only window and back */
		if (p->r.addr) {
			if (kmm_mprotect(p->t, p->r.addr, 4 * 4096, KMM_PROT_READ) ||
			    kmm_mprotect(p->t, p->r.addr, 4 * 4096, KMM_PROT_READ | KMM_PROT_WRITE))
				fail(w, "worker %d: mprotect failed: %s", w->id, kmm_last_error());
			region_verify(w, p->t, &p->r);
		}
		break;
	case 6:
		if (t_rnd(s, 3) == 0)
			proc_exit(p);
		break;
	}
}

static void *checker_main(void *arg)
{
	char *error = arg;

	kmm_use(machine);
	while (atomic_load(&workers_left) > 0) {
		if (kmm_check(machine) && !error[0])
			snprintf(error, 256, "kmm_check: %s", kmm_last_error());
		atomic_fetch_add(&checks_run, 1);
	}
	return NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t s = w->seed;

	kmm_use(machine);
	for (long i = 0; keep_going(w, i); i++)
		worker_step(w, &s);
	for (int i = 0; i < MAX_PROCS; i++)
		if (w->procs[i].t)
			proc_exit(&w->procs[i]);
	atomic_fetch_sub(&workers_left, 1);
	return NULL;
}

static void run_threads(void *(*fn)(void *), struct worker *w)
{
	pthread_t th[NR_WORKERS], ck;
	char check_error[256] = "";

	atomic_store(&workers_left, NR_WORKERS);
	atomic_store(&checks_run, 0);
	for (int i = 0; i < NR_WORKERS; i++)
		assert_eq(pthread_create(&th[i], NULL, fn, &w[i]), 0);
	assert_eq(pthread_create(&ck, NULL, checker_main, check_error), 0);
	for (int i = 0; i < NR_WORKERS; i++)
		pthread_join(th[i], NULL);
	pthread_join(ck, NULL);
	for (int i = 0; i < NR_WORKERS; i++)
		if (w[i].error[0])
			kmm_test_fail(__FILE__, __LINE__, "%s", w[i].error);
	if (check_error[0])
		kmm_test_fail(__FILE__, __LINE__, "%s", check_error);
	expect_true(atomic_load(&checks_run) > 0);
	if (getenv("KMM_VERBOSE")) {
		char *vm = t_proc(machine, "/proc/vmstat");
		const char *f = vm ? strstr(vm, "\npgfault ") : NULL;
		printf("checks run: %ld,%.24s\n", atomic_load(&checks_run), f ? f : "");
		free(vm);
	}
}

TEST(processes_on_eight_threads_with_the_checker_running)
{
	static struct worker w[NR_WORKERS];

	machine = boot("mem=512M nr_cpus=8");
	memset(w, 0, sizeof(w));
	for (int i = 0; i < NR_WORKERS; i++) {
		w[i].id = i;
		w[i].seed = kmm_test_seed() * 31 + (uint64_t)i + 1;
		w[i].steps = kmm_test_quick() ? 200 : 3000;
	}
	run_threads(worker_main, w);
	expect_eq(kmm_check(machine), 0);
	done(machine);
}

/* ---- Eight threads in one process: faults of different VMAs in parallel ---- */

static void *sharer_main(void *arg)
{
	struct worker *w = arg;
	uint64_t s = w->seed;
	struct region r = { 0 };

	kmm_use(machine);
	for (long i = 0; keep_going(w, i); i++) {
		if (!r.addr || t_rnd(&s, 4) == 0) {
			if (r.addr) {
				region_verify(w, w->shared, &r);
				if (kmm_munmap(w->shared, r.addr, REGION_PAGES * 4096))
					fail(w, "sharer %d: munmap failed: %s", w->id, kmm_last_error());
			}
			if (kmm_mmap(w->shared, 0, REGION_PAGES * 4096, KMM_PROT_READ | KMM_PROT_WRITE,
				     KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &r.addr)) {
				fail(w, "sharer %d: mmap failed: %s", w->id, kmm_last_error());
				break;
			}
		}
		region_fill(w, w->shared, &r, &s);
		region_verify(w, w->shared, &r);
	}
	if (r.addr && kmm_munmap(w->shared, r.addr, REGION_PAGES * 4096))
		fail(w, "sharer %d: munmap failed: %s", w->id, kmm_last_error());
	atomic_fetch_sub(&workers_left, 1);
	return NULL;
}

TEST(threads_of_one_process_fault_their_own_vmas_in_parallel)
{
	static struct worker w[NR_WORKERS];

	machine = boot("mem=512M nr_cpus=8");
	struct task_struct *t = kmm_spawn(machine, "shared");
	assert_true(t != NULL);
	memset(w, 0, sizeof(w));
	for (int i = 0; i < NR_WORKERS; i++) {
		w[i].id = i;
		w[i].seed = kmm_test_seed() * 37 + (uint64_t)i + 1;
		w[i].steps = kmm_test_quick() ? 100 : 1500;
		w[i].shared = t;
	}
	run_threads(sharer_main, w);
	expect_eq(kmm_check(machine), 0);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(machine);
}
