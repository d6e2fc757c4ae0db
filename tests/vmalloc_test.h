// SPDX-License-Identifier: MIT
/*
 * tests/vmalloc_test.h - boot and leak-check helpers of the vmalloc tests.
 *
 * The leak check compares free pages with the per-CPU lists drained at both
 * ends (NR_FREE_PAGES does not count pcp pages) and after purging the lazy
 * vmalloc areas, whose kernel page tables come back with the purge. The
 * harness shuts the machine down after the test.
 */
#ifndef KMM_TESTS_VMALLOC_TEST_H
#define KMM_TESTS_VMALLOC_TEST_H

#include "tests/harness.h"
#include "include/kmm/vmalloc.h"
#include "mm/internal.h"

static struct { struct kmm_machine *m; unsigned long free; } vt_bases[8];

/* kvmalloc's kmalloc side keeps slabs cached; give them back when slab is up. */
void kmm_slab_drain(struct kmm_machine *m);

static inline unsigned long vt_nr_free(struct kmm_machine *m)
{
	if (m->slab)
		kmm_slab_drain(m);
	vm_unmap_aliases_m(m);
	drain_all_pages(m, NULL);
	return kmm_nr_free_pages(m);
}

static inline struct kmm_machine *vboot(const char *cmdline)
{
	struct kmm_machine *m = t_boot(cmdline);

	/* The kernel's vmalloc/kmap tables are made at first use: make them now. */
	if (vmalloc_prepare_pgtables(m))
		kmm_test_fail(__FILE__, __LINE__, "vmalloc_prepare_pgtables: %s", kmm_last_error());

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
