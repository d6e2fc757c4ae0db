// SPDX-License-Identifier: MIT
/*
 * tests/integration_fault_unlinked_table.c - a fault whose PTE table is
 * unlinked (munmap of another VMA emptied it) while the fault waits must
 * not map its page into that table.
 *
 * The fault path walks to the PTE slot without a lock and takes the
 * table's lock only to install; under the lock it trusts the slot it
 * walked to only if mm->pgt.pte_unlinks, read before the walk, has not
 * moved (pte_lock_seen(), mm/memory.c), else it walks again. This test
 * stops a fault inside that window with no timing: a private file mapping
 * A and an anonymous VMA B share one PTE table; B is touched (the table
 * exists, A has no entry in it); the test locks the page cache page of
 * A's page 1, and a second thread write-faults A + 1 page: it walks to
 * the slot, then filemap_fault() takes a reference to the page and the
 * fault waits for the page lock (lock_fault_page()). Once the reference
 * shows, a third thread unmaps B: the table is empty and free_pgtables
 * unlinks it (and waits for the fault's read section to end before it
 * frees it). Once the unlink is counted the test unlocks the page: the
 * fault copies it (do_cow_fault) and, under the lock of the slot it walked
 * to, must see the count moved and give up (the access retries and faults
 * into a new table). Without the
 * check the copy is mapped into the unlinked table: the process's RSS
 * counts two pages, and the copy and the table are never freed.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <sched.h>
#include <stdatomic.h>

#include <kmm/fs.h>
#include <kmm/process.h>

#include "mm/include/filemap.h"
#include "mm/include/mm.h"

#define PG PAGE_SIZE
#define BASE 0x40000000UL		/* 1 GiB: a PTE table's span (2 MiB) starts here */
#define A_ADDR BASE			/* the file mapping: 4 pages */
#define B_ADDR (BASE + 64 * PG)		/* the anonymous VMA: 4 pages, same PTE table */
#define RW (KMM_PROT_READ | KMM_PROT_WRITE)

struct faulter {
	struct task_struct *t;
	int ret;
};

static void *write_fault(void *arg)
{
	struct faulter *f = arg;
	unsigned char byte = 0xab;

	kmm_use(f->t->machine);
	f->ret = kmm_access(f->t, A_ADDR + PG, &byte, 1, true);
	kmm_use(NULL);
	return NULL;
}

struct unmapper {
	struct task_struct *t;
	int ret;
};

/*
 * munmap() of B: it unlinks the emptied table at once, then waits for the
 * fault's read section to end before it frees the table (a grace period):
 * so on a thread of its own, while the fault waits for the page lock.
 */
static void *unmap_b(void *arg)
{
	struct unmapper *u = arg;

	kmm_use(u->t->machine);
	u->ret = kmm_munmap(u->t, B_ADDR, 4 * PG);
	kmm_use(NULL);
	return NULL;
}

/* The page cache page behind @addr of @t's shared mapping (read in). */
static struct page *cached_page(struct task_struct *t, uint64_t addr)
{
	spinlock_t *ptl;
	int token = procs_enter(t->machine);
	void *slot = pte_offset_map_lock(t->mm, addr, &ptl);
	struct page *page = NULL;

	if (slot) {
		pteval_t v = pte_get(&t->mm->pgt, slot);

		if (pte_present(v))
			page = pfn_to_page_m(t->machine, pte_pfn_geo(t->mm->pgt.geo, v));
		pte_unmap_unlock(ptl);
	}
	procs_exit(t->machine, token);
	return page;
}

TEST(a_fault_whose_pte_table_is_unlinked_while_it_waits_maps_into_a_new_table)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64 maxcpus=2");
	struct task_struct *p = kmm_spawn(m, "faulter");
	struct task_struct *q = kmm_spawn(m, "reader");
	uint64_t got, qaddr;
	unsigned char byte = 0;

	assert_true(p != NULL && q != NULL);
	assert_eq(kmm_mkfile(m, "/unlinkfile", 4 * PG, 0x5a), 0);
	int fp = kmm_open(p, "/unlinkfile", KMM_O_RDWR);
	int fq = kmm_open(q, "/unlinkfile", KMM_O_RDWR);
	assert_true(fp >= 0 && fq >= 0);
	assert_eq(kmm_mmap_fd(p, fp, A_ADDR, 4 * PG, RW, KMM_MAP_PRIVATE | KMM_MAP_FIXED, 0, &got), 0);
	assert_eq(got, A_ADDR);
	assert_eq(kmm_mmap(p, B_ADDR, 4 * PG, RW, KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_FIXED,
			   &got), 0);
	assert_eq(got, B_ADDR);
	long anon = get_mm_counter(p->mm, MM_ANONPAGES);	/* a new process's own (its stack) */

	assert_eq(kmm_touch(p, B_ADDR, 4 * PG, true), 0);	/* the table, with B's entries only */

	/* A's page 1, through another process: in the cache, not mapped by p */
	assert_eq(kmm_mmap_fd(q, fq, 0, 4 * PG, KMM_PROT_READ, KMM_MAP_SHARED, 0, &qaddr), 0);
	assert_eq(kmm_access(q, qaddr + PG, &byte, 1, false), 0);
	struct page *page = cached_page(q, qaddr + PG);
	assert_true(page != NULL);
	expect_true(!pt_present(p, A_ADDR + PG));

	lock_page(page);
	int refs = page_ref_count(page);
	unsigned int unlinks = atomic_load(&p->mm->pgt.pte_unlinks);
	struct faulter f = { p, -1 };
	sim_thread *th;

	struct unmapper u = { p, -1 };
	sim_thread *uth;

	assert_eq(sim_thread_start(&th, write_fault, &f), 0);
	while (page_ref_count(page) == refs)	/* it walked, and waits for the page lock */
		sched_yield();
	assert_eq(sim_thread_start(&uth, unmap_b, &u), 0);
	while (atomic_load(&p->mm->pgt.pte_unlinks) == unlinks)	/* the table it walked to goes */
		sched_yield();
	unlock_page(page);
	sim_thread_join(th);
	sim_thread_join(uth);
	expect_eq(f.ret, 0);
	expect_eq(u.ret, 0);

	/* One private copy, mapped where the VMA's table now is, and counted once. */
	assert_eq(kmm_access(p, A_ADDR + PG, &byte, 1, false), 0);
	expect_eq(byte, 0xab);
	assert_eq(kmm_access(p, A_ADDR, &byte, 1, false), 0);
	expect_eq(byte, 0x5a);
	expect_eq(get_mm_counter(p->mm, MM_ANONPAGES), anon + 1);
	pt_check(m);
	kmm_close(p, fp);
	kmm_close(q, fq);
	kmm_exit(p, 0);
	kmm_exit(q, 0);
	kmm_task_release(p);
	kmm_task_release(q);
	kmm_unlink(m, "/unlinkfile");
	done(m);
}
