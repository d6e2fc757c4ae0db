// SPDX-License-Identifier: MIT
/*
 * tests/integration_lru_batch_activate.c - a page accessed twice while it
 * still sits in the add batch of CPU slot 1 is marked active there
 * (Linux's folio_mark_accessed() -> lru_cache_activate_folio(): an
 * inactive page not yet on a list, found in this CPU's batch, only gets
 * PG_active; the drain puts it on the active list).
 *
 * The write and the read run on a second thread, which holds slot 1 (the
 * test's thread holds slot 0): the batch searched must be slot 1's per-CPU
 * copy. Indexing the per-CPU allocation as an array (p->cpu[1]) reads
 * something else of CPU 0's unit; the page is then not found, stays
 * inactive, and goes to the inactive list.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <kmm/fs.h>
#include <kmm/process.h>

#include "mm/include/filemap.h"
#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"

#define PG 4096

struct second {
	struct task_struct *t;
	int cpu;		/* the slot the thread ran on */
	long wrote, read;
};

/* Write page 0 of a new file (the page enters slot 1's batch, referenced), then read it. */
static void *write_then_read(void *arg)
{
	struct second *s = arg;
	unsigned char buf[PG];
	int fd;

	kmm_use(s->t->machine);
	s->cpu = kmm_this_cpu(s->t->machine);
	memset(buf, 0x5a, sizeof(buf));
	fd = kmm_open(s->t, "/activate", KMM_O_RDWR | KMM_O_CREAT);
	s->wrote = kmm_pwrite(s->t, fd, buf, PG, 0);
	s->read = kmm_pread(s->t, fd, buf, PG, 0);
	kmm_close(s->t, fd);
	kmm_use(NULL);
	return NULL;
}

TEST(a_page_accessed_twice_in_slot_1s_add_batch_goes_on_the_active_list)
{
	struct kmm_machine *m = boot("mem=128M maxcpus=2");
	struct second s = { kmm_spawn(m, "second"), -1, -1, -1 };
	sim_thread *th;

	assert_true(s.t != NULL);
	assert_eq(kmm_this_cpu(m), 0);		/* this thread holds slot 0 */
	lru_add_drain_all(m);
	unsigned long active = global_node_page_state(m, NR_ACTIVE_FILE);
	unsigned long inactive = global_node_page_state(m, NR_INACTIVE_FILE);

	assert_eq(sim_thread_start(&th, write_then_read, &s), 0);
	sim_thread_join(th);
	assert_eq(s.cpu, 1);
	assert_eq(s.wrote, PG);
	assert_eq(s.read, PG);
	lru_add_drain_all(m);
	expect_eq(global_node_page_state(m, NR_ACTIVE_FILE), active + 1);
	expect_eq(global_node_page_state(m, NR_INACTIVE_FILE), inactive);
	kmm_exit(s.t, 0);
	kmm_task_release(s.t);
	kmm_unlink(m, "/activate");
	done(m);
}
