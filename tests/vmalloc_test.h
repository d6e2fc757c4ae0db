// SPDX-License-Identifier: MIT
/*
 * tests/vmalloc_test.h - boot and leak-check helpers of the vmalloc tests.
 *
 * The leak check compares free pages after kmm_drain() at both ends (slab
 * caches, pcp lists, and the vmalloc layer's drain: lazy areas purged,
 * unused PKMAP slots flushed, the kernel's tables freed when nothing is
 * mapped), and runs the checkers; the harness's own t_done check runs as well when it
 * shuts the machine down after the test.
 */
#ifndef KMM_TESTS_VMALLOC_TEST_H
#define KMM_TESTS_VMALLOC_TEST_H

#include "tests/harness.h"
#include "include/kmm/vmalloc.h"
#include "mm/internal.h"

static struct t_bases vt_bases;

static inline struct kmm_machine *vboot(const char *cmdline)
{
	struct kmm_machine *m = t_boot(cmdline);

	t_base_record(&vt_bases, m, t_nr_free_drained(m));
	return m;
}

static inline void vdone(struct kmm_machine *m)
{
	unsigned long now = t_nr_free_drained(m), base;

	if (kmm_check(m))
		kmm_test_fail(__FILE__, __LINE__, "kmm_check: %s", kmm_last_error());
	if (t_base_take(&vt_bases, m, &base) && now != base)
		kmm_test_fail(__FILE__, __LINE__, "leak check: %lu free pages after boot, "
			      "%lu at the end", base, now);
}

#endif /* KMM_TESTS_VMALLOC_TEST_H */
