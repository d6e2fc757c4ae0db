// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_percpu.c - what a CPU slot of the machine behind
 * libkmm-malloc.so costs the process when it is set up (linked against the
 * shim by cmake/shim.cmake, as every tests/integration_malloc_ test).
 *
 * Covers: the per-CPU pieces that have a constructor (every zone's pcp
 * lists, every cache's kmem_cache_cpu: mm/include/percpu.h places them
 * from a unit's start) fit one page of the shim's machine, its own size
 * classes' caches included, so populating a slot touches one host page;
 * the pieces without one (sheaves, event counters, the kmap_local stack,
 * which is zero when empty) are touched by their first use only. The
 * kmap_local stack had a constructor and pushed the constructed pieces to
 * 4,160 bytes, two pages of every slot a thread took
 * (docs/malloc-measured-2.md, session 24).
 */
#include <kmm/kmm.h>
#include "harness.h"
#include "mm/include/percpu.h"
#include "mm/internal.h"
#include "shim/shim.h"

TEST(setting_up_a_cpu_slot_of_the_shims_machine_touches_one_page)
{
	struct kmm_machine *m = kmm_malloc_machine();

	assert_true(m != NULL);
	int cpu = m->nr_cpus - 1;	/* a slot no thread of this test takes */

	assert_true(cpu > 0);
	expect_true(!cpu_populated(&m->percpu, cpu));
	expect_eq(pcpu_resident_pages(m, cpu), 0);
	pcpu_populate(m, cpu);
	expect_true(cpu_populated(&m->percpu, cpu));
	expect_eq(pcpu_resident_pages(m, cpu), 1);
	/* The boot CPU's slot: the constructed page and what malloc touched. */
	expect_true(pcpu_resident_pages(m, 0) >= 1);
	expect_eq(kmm_malloc_check(), 0);
}
