// SPDX-License-Identifier: MIT
/*
 * tests/stress_process_threads.c - two host threads (two CPU slots) drive
 * their own process families on one machine at the same time: map, write
 * through the MMU, fork, copy on write, munmap, exit. The process lock
 * serialises the kernel side; the TLB-hit path runs unlocked on each CPU's
 * own TLB. Afterwards the checker runs and every frame must be back.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <kmm/process.h>

#include "mm/include/mm.h"

struct worker {
	struct kmm_machine *m;
	uint64_t seed;
	unsigned long steps;
	int errors;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char name[16];

	kmm_use(w->m);
	snprintf(name, sizeof(name), "w%llu", (unsigned long long)(w->seed & 0xff));
	for (unsigned long i = 0; i < w->steps; i++) {
		struct task_struct *p = kmm_spawn(w->m, name), *c;
		uint64_t x;
		unsigned char b = 0;
		if (!p || kmm_mmap(p, 0, 32 * PAGE_SIZE, KMM_PROT_READ | KMM_PROT_WRITE,
				   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &x)) {
			w->errors++;
			continue;
		}
		unsigned char v = (unsigned char)(1 + kmm_test_rand(&w->seed) % 200);
		kmm_fill(p, x, v, 32 * PAGE_SIZE);
		c = kmm_fork(p, "child");
		if (c) {
			kmm_fill(c, x, (unsigned char)(v + 1), 16 * PAGE_SIZE);
			kmm_access(p, x, &b, 1, false);
			if (b != v)
				w->errors++;
			kmm_access(c, x + 20 * PAGE_SIZE, &b, 1, false);
			if (b != v)
				w->errors++;
			kmm_munmap(c, x, 8 * PAGE_SIZE);
			kmm_exit(c, 0);
			kmm_task_release(c);
		}
		kmm_exit(p, 0);
		kmm_task_release(p);
	}
	return NULL;
}

TEST(two_threads_two_families)
{
	struct kmm_machine *m = boot("mem=512M arch=x86_64 maxcpus=2");
	struct worker w[2];
	sim_thread *t[2];

	for (int i = 0; i < 2; i++) {
		w[i] = (struct worker){ m, kmm_test_seed() + (uint64_t)i * 7919 + 1,
					kmm_test_quick() ? 100 : 400, 0 };
		assert_eq(sim_thread_start(&t[i], worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		sim_thread_join(t[i]);
		expect_eq(w[i].errors, 0);
	}
	done(m);
}
