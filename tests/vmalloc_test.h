// SPDX-License-Identifier: MIT
/*
 * tests/vmalloc_test.h - boot and leak-check helpers of the vmalloc tests.
 *
 * The leak check compares free pages after kmm_drain() at both ends, and
 * runs the checkers; the harness's own t_done check runs as well when it
 * shuts the machine down after the test.
 */
#ifndef KMM_TESTS_VMALLOC_TEST_H
#define KMM_TESTS_VMALLOC_TEST_H

#include "tests/harness.h"
#include "include/kmm/vmalloc.h"
#include "mm/internal.h"

static struct t_bases vt_bases;

/*
 * kmm_drain(): slab caches, pcp lists, and the vmalloc layer's drain (lazy
 * areas purged, unused PKMAP slots flushed, the kernel's tables freed when
 * nothing is mapped).
 */
static inline unsigned long vt_nr_free(struct kmm_machine *m)
{
	kmm_drain(m);
	return kmm_nr_free_pages(m);
}

static inline struct kmm_machine *vboot(const char *cmdline)
{
	struct kmm_machine *m = t_boot(cmdline);

	t_base_record(&vt_bases, m, vt_nr_free(m));
	return m;
}

static inline void vdone(struct kmm_machine *m)
{
	unsigned long now = vt_nr_free(m), base;

	if (kmm_check(m))
		kmm_test_fail(__FILE__, __LINE__, "kmm_check: %s", kmm_last_error());
	if (t_base_take(&vt_bases, m, &base) && now != base)
		kmm_test_fail(__FILE__, __LINE__, "leak check: %lu free pages after boot, "
			      "%lu at the end", base, now);
}

#endif /* KMM_TESTS_VMALLOC_TEST_H */
