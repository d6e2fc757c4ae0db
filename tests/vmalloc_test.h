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

static struct { struct kmm_machine *m; unsigned long free; } vt_bases[8];

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

	/* A test that aborted left its entry; a new machine may reuse the address. */
	for (size_t i = 0; i < ARRAY_SIZE(vt_bases); i++)
		if (vt_bases[i].m == m)
			vt_bases[i].m = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(vt_bases); i++) {
		if (!vt_bases[i].m) {
			vt_bases[i].m = m;
			vt_bases[i].free = vt_nr_free(m);
			break;
		}
	}
	return m;
}

static inline void vdone(struct kmm_machine *m)
{
	unsigned long now = vt_nr_free(m);

	if (kmm_check(m))
		kmm_test_fail(__FILE__, __LINE__, "kmm_check: %s", kmm_last_error());
	for (size_t i = 0; i < ARRAY_SIZE(vt_bases); i++) {
		if (vt_bases[i].m != m)
			continue;
		if (now != vt_bases[i].free)
			kmm_test_fail(__FILE__, __LINE__, "leak check: %lu free pages after boot, "
				      "%lu at the end", vt_bases[i].free, now);
		vt_bases[i].m = NULL;
	}
}

#endif /* KMM_TESTS_VMALLOC_TEST_H */
