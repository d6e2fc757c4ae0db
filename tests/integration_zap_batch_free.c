// SPDX-License-Identifier: MIT
/*
 * tests/integration_zap_batch_free.c - munmap frees its pages a batch at a
 * time (mm/memory.c's free_user_pages(): Linux's free_pages_and_swap_cache()
 * -> folios_put_refs() -> free_unref_folios()): one reference dropped from
 * each page the zap gathered, the pages whose last one it was taken off
 * their LRU lists under one lru_lock (page_cache_release_batch()) with the
 * list counters moved once per run, and freed to the per-CPU lists in one
 * CPU slot section (free_unref_folios()).
 *
 * The batch mixes every kind of page a zap meets: pages on the inactive
 * list, mlocked pages on the unevictable list, pages still in this CPU
 * slot's add batch (faulted just before the munmap), pages a forked child
 * still maps (their count stays above 0: they must not be freed) and the
 * originals of pages the child copied on write (freed). After the munmap
 * the lists and their counters agree (kmm_check's LRU check), the anon
 * lists hold exactly the pages freed fewer, NR_MLOCK and the unevictable
 * list are back where they were, the child still reads every shared page,
 * and at the end every page is back (done()).
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <kmm/process.h>

#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"

#define PG PAGE_SIZE
#define NPAGES 310		/* 300 touched before the fork, 10 after it (in the add batch) */
#define RW (KMM_PROT_READ | KMM_PROT_WRITE)

static unsigned long anon_lru(struct kmm_machine *m)
{
	lru_add_drain_all(m);
	return global_node_page_state(m, NR_INACTIVE_ANON) + global_node_page_state(m, NR_ACTIVE_ANON) +
	       global_node_page_state(m, NR_UNEVICTABLE);
}

TEST(munmap_frees_a_mixed_batch_and_keeps_lists_counters_and_shared_pages)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *p = kmm_spawn(m, "zapper"), *c;
	uint64_t x;
	unsigned char byte = 0;

	assert_true(p != NULL);
	assert_eq(kmm_mmap(p, 0, NPAGES * PG, RW, KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &x), 0);
	unsigned long mlock0 = global_zone_page_state(m, NR_MLOCK);
	unsigned long unevictable0 = global_node_page_state(m, NR_UNEVICTABLE);

	assert_eq(kmm_touch(p, x, 300 * PG, true), 0);
	assert_eq(kmm_mlock(p, x + 100 * PG, 50 * PG), 0);	/* 50 pages to the unevictable list */
	expect_eq(global_zone_page_state(m, NR_MLOCK), mlock0 + 50);
	c = kmm_fork(p, "child");				/* shares all 300 (VM_LOCKED is not inherited) */
	assert_true(c != NULL);
	assert_eq(kmm_touch(c, x, 20 * PG, true), 0);		/* the child copies pages 0-19 */
	unsigned long before = anon_lru(m);

	/* 10 more pages, left in this slot's add batch (no drain until the munmap) */
	assert_eq(kmm_touch(p, x + 300 * PG, 10 * PG, true), 0);
	assert_eq(kmm_munmap(p, x, NPAGES * PG), 0);
	pt_check(m);

	/* freed: the 20 originals the child copied and the 10 new pages; the 280 shared stay */
	expect_eq(anon_lru(m), before + 10 - 30);
	expect_eq(global_zone_page_state(m, NR_MLOCK), mlock0);
	expect_eq(global_node_page_state(m, NR_UNEVICTABLE), unevictable0);
	for (unsigned long i = 20; i < 300; i += 7) {
		byte = 0;
		assert_eq(kmm_access(c, x + i * PG, &byte, 1, false), 0);
		expect_eq(byte, 0x5a);
	}
	assert_eq(kmm_access(c, x + 299 * PG, &byte, 1, false), 0);
	expect_eq(byte, 0x5a);
	kmm_exit(c, 0);
	kmm_exit(p, 0);
	kmm_task_release(c);
	kmm_task_release(p);
	done(m);
}
