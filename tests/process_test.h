// SPDX-License-Identifier: MIT
/*
 * tests/process_test.h - boot and leak-check helpers of the process layer's
 * tests. Freed pages may sit on the per-CPU lists, which NR_FREE_PAGES does
 * not count, so the leak check drains them at both ends; the harness shuts
 * the machine down after the test.
 */
#ifndef KMM_TESTS_PROCESS_TEST_H
#define KMM_TESTS_PROCESS_TEST_H

#include "tests/harness.h"

#include "mm/internal.h"

static struct { struct kmm_machine *m; unsigned long free; } pt_bases[8];

static inline unsigned long nr_free(struct kmm_machine *m)
{
	drain_all_pages(m, NULL);
	return kmm_nr_free_pages(m);
}

static inline struct kmm_machine *boot(const char *cmdline)
{
	struct kmm_machine *m = t_boot(cmdline);

	for (size_t i = 0; i < ARRAY_SIZE(pt_bases); i++) {
		if (!pt_bases[i].m) {
			pt_bases[i].m = m;
			pt_bases[i].free = nr_free(m);
			break;
		}
	}
	return m;
}

/* kmm_check, then every page is back (pcp drained). */
static inline void done(struct kmm_machine *m)
{
	if (kmm_check(m))
		kmm_test_fail(__FILE__, __LINE__, "kmm_check: %s", kmm_last_error());
	for (size_t i = 0; i < ARRAY_SIZE(pt_bases); i++) {
		if (pt_bases[i].m != m)
			continue;
		unsigned long now = nr_free(m);
		if (now != pt_bases[i].free)
			kmm_test_fail(__FILE__, __LINE__, "leak check: %lu free pages after boot, %lu now",
				      pt_bases[i].free, now);
		pt_bases[i].m = NULL;
	}
}

#endif /* KMM_TESTS_PROCESS_TEST_H */
