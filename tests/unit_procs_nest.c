// SPDX-License-Identifier: MIT
/*
 * tests/unit_procs_nest.c - mm/mmap_lock.c's per-thread record of how deep a
 * thread is in each machine's process-layer section (procs_enter() /
 * procs_exit()): four entries inline, a heap entry for a fifth machine and
 * beyond while its section lasts. The outermost section of each machine
 * counts (its token), nested ones do not, and procs_stop() refuses a thread
 * that is inside - for every machine, however many are nested.
 */
#include <errno.h>

#include "mm/include/mm.h"
#include "mm/internal.h"
#include "tests/harness.h"

#define NM 6

TEST(a_thread_nests_the_sections_of_six_machines)
{
	struct kmm_machine *m[NM];
	int outer[NM], inner[NM];

	for (int i = 0; i < NM; i++)
		m[i] = t_boot("mem=64M");
	for (int i = 0; i < NM; i++) {
		outer[i] = procs_enter(m[i]);
		expect_true(outer[i] >= 0);
	}
	for (int i = 0; i < NM; i++) {
		inner[i] = procs_enter(m[i]);
		expect_eq(inner[i], -1);		/* nested: the outermost counts */
		expect_eq(procs_stop(m[i]), -EDEADLK);	/* inside: it would wait for itself */
	}
	for (int i = NM - 1; i >= 0; i--) {
		procs_exit(m[i], inner[i]);
		expect_eq(procs_stop(m[i]), -EDEADLK);	/* still in the outer section */
	}
	/* Out of order: the record is per machine, not a stack. */
	for (int i = 0; i < NM; i += 2)
		procs_exit(m[i], outer[i]);
	for (int i = 0; i < NM; i++) {
		if (i % 2 == 0) {
			expect_eq(procs_stop(m[i]), 0);
			procs_resume(m[i]);
		} else {
			expect_eq(procs_stop(m[i]), -EDEADLK);
		}
	}
	for (int i = 1; i < NM; i += 2)
		procs_exit(m[i], outer[i]);
	for (int i = 0; i < NM; i++) {
		expect_eq(procs_stop(m[i]), 0);
		procs_resume(m[i]);
		/* A new outermost section after all that gets a token again. */
		int t = procs_enter(m[i]);
		expect_true(t >= 0);
		procs_exit(m[i], t);
	}
	for (int i = 0; i < NM; i++)
		t_done(m[i]);
}
