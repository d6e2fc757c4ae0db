// SPDX-License-Identifier: MIT
/*
 * tests/slab_test.h - boot and leak-check helpers for the slab tests.
 *
 * The harness's t_done() compares NR_FREE_PAGES, which does not count pages
 * parked on the per-CPU (pcp) lists, and the slab layer keeps empty slabs
 * (up to min_partial) and per-CPU slabs by design. So the leak check here
 * drains both at both ends: after boot, and at the end after
 * kmm_slab_drain() (every cache shrunk, the RCU grace period ended, pcp lists
 * drained). What slab is left then is the slabs of kmem_cache and
 * kmem_cache_node, which hold every cache's structure (as in Linux). The
 * harness shuts the machine down after the test.
 */
#ifndef KMM_TESTS_SLAB_TEST_H
#define KMM_TESTS_SLAB_TEST_H

#include "mm/include/vmstat.h"
#include "mm/slab.h"
#include "tests/harness.h"
#include "tests/slab_bytes.h"

static struct t_bases slab_bases;

static inline struct kmm_machine *slab_boot(const char *cmdline)
{
	struct kmm_machine *m = t_boot(cmdline);

	t_base_record(&slab_bases, m, slab_nr_free(m));
	return m;
}

/* End of test: the checkers pass and every slab page is back in the buddy allocator. */
static inline void slab_done(struct kmm_machine *m)
{
	if (kmm_check(m))
		kmm_test_fail(__FILE__, __LINE__, "kmm_check: %s", kmm_last_error());
	kmm_slab_drain(m);
	unsigned long base, now;
	if (t_base_take(&slab_bases, m, &base) && (now = slab_nr_free(m)) != base)
		kmm_test_fail(__FILE__, __LINE__, "leak check: %lu free pages after boot, "
			      "%lu at the end", base, now);
	if (global_node_page_state(m, NR_SLAB_RECLAIMABLE_B) +
	    global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B) != slab_boot_cache_bytes(m))
		kmm_test_fail(__FILE__, __LINE__, "slab bytes left in the node counters: %lu, "
			      "the boot caches' slabs %lu",
			      global_node_page_state(m, NR_SLAB_RECLAIMABLE_B) +
			      global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B),
			      slab_boot_cache_bytes(m));
}

#endif /* KMM_TESTS_SLAB_TEST_H */
