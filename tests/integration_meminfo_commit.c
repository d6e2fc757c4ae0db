// SPDX-License-Identifier: MIT
/*
 * tests/integration_meminfo_commit.c - /proc/meminfo's Committed_AS follows
 * the process layer's commit charge: a private writable mapping adds its size,
 * a read-only or MAP_NORESERVE one does not, munmap and exit give it back.
 */
#include <stdlib.h>

#include <kmm/process.h>

#include "tests/proc_test.h"

TEST(committed_as_tracks_private_writable_mappings)
{
	struct kmm_machine *m = t_boot("mem=1G");
	unsigned long base = meminfo_kb(m, "Committed_AS");
	struct task_struct *t = kmm_spawn(m, "A");
	uint64_t rw, ro;

	assert_true(t != NULL);
	unsigned long with_task = meminfo_kb(m, "Committed_AS");
	expect_eq(with_task, base + kmm_committed_pages(m) * 4);

	assert_eq(kmm_mmap(t, 0, 16 << 20, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &rw), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), with_task + 16 * 1024);
	assert_eq(kmm_mmap(t, 0, 4 << 20, KMM_PROT_READ, KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &ro), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), with_task + 16 * 1024);	/* read-only: no charge */
	assert_eq(kmm_munmap(t, rw, 16 << 20), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), with_task);
	kmm_exit(t, 0);
	kmm_task_release(t);
	expect_eq(meminfo_kb(m, "Committed_AS"), base);
	t_done(m);
}
