// SPDX-License-Identifier: MIT
/*
 * A fault's install of a page table against a munmap that frees an empty
 * upper table, in two threads of one process (review25's reproducer).
 *
 * Each thread maps its own 16-page VMA at a fixed address, touches one page
 * of it and unmaps it, again and again. The two VMAs sit 46 MiB apart in one
 * 1 GiB region, so they share a PMD table but never a PTE table. The
 * unmapping thread frees its PTE table and then finds the PMD table empty
 * whenever the other thread has no table there at that moment; the other
 * thread's fault may be walking down to that PMD table to install a PTE
 * table in it at the same time.
 *
 * Before 8aa9773 the fault installed the table with a compare-and-swap and
 * no lock, so it could put its table into a PMD table already unlinked: the
 * table (and the page mapped in it) was out of the process's reach. The
 * checker counted more tables than its walk found, and the leak check found
 * the frames (review25: 7 of 12 runs failed on ea74276). Now a missing table
 * is installed under mm->page_table_lock after walking again, as Linux's
 * pmd_install() does, and free_pgtables unlinks under the same lock.
 *
 * Afterwards: no errors from either thread, the process's table count and
 * anonymous RSS back where they began, the page-table checker and the leak
 * check clean. No randomness; KMM_QUICK=1 runs a tenth of the rounds.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <kmm/process.h>

#include "mm/include/mm.h"

#define PG		PAGE_SIZE
#define REGION		0x40000000UL		/* a 1 GiB-aligned region */
#define PTE_SPAN	(512 * PG)		/* what one PTE table maps */
#define VMA_PAGES	16
#define RW		(KMM_PROT_READ | KMM_PROT_WRITE)
#define ANON_FIXED	(KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_FIXED)

struct churner {
	struct task_struct *t;
	uint64_t addr;		/* this thread's VMA */
	long rounds;
	int errors;
};

static void *churn(void *arg)
{
	struct churner *c = arg;
	uint64_t got;

	kmm_use(c->t->machine);
	for (long i = 0; i < c->rounds; i++) {
		uint64_t page = c->addr + (uint64_t)(i % VMA_PAGES) * PG;

		if (kmm_mmap(c->t, c->addr, VMA_PAGES * PG, RW, ANON_FIXED, &got) ||
		    kmm_touch(c->t, page, PG, true) || kmm_munmap(c->t, c->addr, VMA_PAGES * PG))
			c->errors++;
	}
	return NULL;
}

TEST(a_table_installed_while_another_vma_frees_the_upper_table)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64 maxcpus=2");
	struct task_struct *t = kmm_spawn(m, "install");
	long rounds = kmm_test_quick() ? 20000 : 200000;
	struct churner c[2] = {
		{ t, REGION + 8 * PTE_SPAN, rounds, 0 },
		{ t, REGION + 100 * PTE_SPAN, rounds, 0 },
	};
	sim_thread *th[2];

	assert_true(t != NULL);
	unsigned long tables = pgtable_nr_tables(&t->mm->pgt);
	long anon = get_mm_counter(t->mm, MM_ANONPAGES);
	for (int i = 0; i < 2; i++)
		assert_eq(sim_thread_start(&th[i], churn, &c[i]), 0);
	for (int i = 0; i < 2; i++) {
		sim_thread_join(th[i]);
		expect_eq(c[i].errors, 0);
	}
	expect_eq(get_mm_counter(t->mm, MM_ANONPAGES), anon);
	expect_eq(pgtable_nr_tables(&t->mm->pgt), tables);
	pt_check(m);
	kmm_exit(t, 0);
	expect_eq(kmm_task_release(t), 0);
	done(m);
}
