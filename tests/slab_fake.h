// SPDX-License-Identifier: MIT
/*
 * tests/slab_fake.h - the slab layer alone on the hand-built two-CPU x86_64
 * machine of tests/buddy_fake.h (768 MiB, no boot layer), for the white-box
 * slab tests (unit_slab, unit_slab_sheaf, unit_slab_barn,
 * unit_slab_stale_free): start it with a slab command line, end it with the
 * checker and a leak check.
 * (tests/slab_test.h is the same for a booted machine.)
 */
#ifndef KMM_TESTS_SLAB_FAKE_H
#define KMM_TESTS_SLAB_FAKE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mm/include/cpu_slot.h"
#include "mm/include/slab.h"
#include "mm/slab.h"
#include "tests/buddy_fake.h"
#include "tests/slab_bytes.h"

/* The *_nocx16 builds (cmake/slab_fallback.cmake) must test the slab lock's path. */
#if defined(KMM_SLAB_EXPECT_FALLBACK) && SLAB_CMPXCHG_DOUBLE
#error "built for the slab's fallback without cmpxchg16b, but mm/slab.h chose cmpxchg16b"
#endif

/*
 * The hand-built machine's slots are never lock-free (it sets no
 * cpu_lockless), and the lock-free paths (kfree_fast(),
 * kmem_cache_alloc_fast()) need this thread's slot owned: turn owned mode on
 * as kmm_cpus_init() would, where the host allows it. m->cpu_lockless says
 * whether it did.
 */
static inline void own_this_slot(struct kmm_machine *m)
{
	m->cpu_lockless = kmm_cpu_lockless_allowed();
	int cpu = kmm_this_cpu(m);
	if (m->cpu_lockless && kmm_cpu_users(m, cpu) == 1)
		atomic_store(&m->cpus[cpu].guard.lockless, 1);
}

/*
 * The shadow's layout options of @cmdline (slab_shadow_granule=,
 * slab_freeptr=), which the slab layer reads as parsed boot options
 * (kmm_boot_option(), mm/slub_machine.c), put where a boot puts them: the
 * hand-built machine parses no command line. No other option is.
 */
static inline void slab_fake_layout_options(struct kmm_machine *m, const char *cmdline)
{
	static const char *const names[] = { "slab_shadow_granule=", "slab_freeptr=" };
	size_t at = 0;

	for (const char *t = cmdline; *t;) {
		size_t len = strcspn(t, " ");
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (len > strlen(names[i]) && !strncmp(t, names[i], strlen(names[i])) &&
			    at + len + 2 <= sizeof(m->opts.extra)) {
				memcpy(m->opts.extra + at, t, len);
				at += len;
				m->opts.extra[at++] = '\0';
			}
		}
		t += len;
		t += strspn(t, " ");
	}
	m->opts.extra[at] = '\0';
}

/* The machine with @cmdline and the slab layer up; this thread's slot owned if @own_slot. */
static inline struct kmm_machine *slab_fake_start(const char *cmdline, bool own_slot)
{
	struct kmm_machine *m = fake_x86_64_768m(false, false);

	snprintf(m->cmdline, sizeof(m->cmdline), "%s", cmdline);
	slab_fake_layout_options(m, cmdline);
	m->layout.page_offset = 0xffff888000000000ull;
	if (own_slot)
		own_this_slot(m);
	assert_eq(subsys_init(m, SUBSYS_SLAB), 0);
	return m;
}

/* The machine with its slots under their locks, as the hand-built machine has them. */
static inline struct kmm_machine *slab_fake(const char *cmdline)
{
	return slab_fake_start(cmdline, false);
}

/* The machine with this thread's slot owned lock-free where the host allows (own_this_slot()). */
static inline struct kmm_machine *slab_fake_owned(const char *cmdline)
{
	return slab_fake_start(cmdline, true);
}

/* The slab's checker passes, and every slab page is back once the caches are drained. */
static inline void slab_fake_check_drained(struct kmm_machine *m, unsigned long baseline)
{
	if (slub_check(m))
		kmm_test_fail(__FILE__, __LINE__, "slub_check: %s", kmm_last_error());
	kmm_slab_drain(m);
	expect_eq(slab_nr_free(m), baseline);
}

/* The machine down (after slab_fake_check_drained(), or instead of it). */
static inline void slab_fake_stop(struct kmm_machine *m)
{
	subsys_shutdown_all(m);
	fake_done(m);
}

/* End of test: slab_fake_check_drained(), then the machine down. */
static inline void slab_fake_done(struct kmm_machine *m, unsigned long baseline)
{
	slab_fake_check_drained(m, baseline);
	slab_fake_stop(m);
}

#endif /* KMM_TESTS_SLAB_FAKE_H */
