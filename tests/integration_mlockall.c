// SPDX-License-Identifier: MIT
/*
 * tests/integration_mlockall.c - mlockall and munlockall as Linux 6.12
 * (mm/mlock.c SYSCALL_DEFINE1(mlockall), apply_mlockall_flags, mlock_fixup;
 * mm/gup.c populate_vma_page_range's VM_LOCKONFAULT): the flags accepted
 * and refused, MCL_CURRENT locking and faulting in every mapping, MCL_FUTURE
 * through mm->def_flags for later mmaps and brk but not for a forked child,
 * MCL_ONFAULT locking pages as they fault, a second call replacing the
 * first, munlockall undoing both. VmLck (locked_vm) and NR_MLOCK follow;
 * the checkers hold after each step.
 */
#include "mm/include/vmstat.h"
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>

#include <kmm/process.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

#define PRIV (KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS)
#define RW (KMM_PROT_READ | KMM_PROT_WRITE)

/* Every VMA's pages, VM_LOCKED or not: what VmLck would be if all were locked. */
static unsigned long total_pages(struct task_struct *t)
{
	unsigned long n = 0;
	struct vm_area_struct *v;
	VMA_ITERATOR(vmi, t->mm, 0);

	for_each_vma(vmi, v)
		if (!(v->vm_flags & VM_SPECIAL))
			n += vma_pages(v);
	return n;
}

/*
 * sys_mlockall(): flags 0, a bit past MCL_ONFAULT, and MCL_ONFAULT alone
 * are EINVAL, and nothing changes; every other combination is accepted.
 */
TEST(mlockall_refuses_what_linux_refuses)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t q;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 4 * PAGE_SIZE, RW, PRIV, &q), 0);
	static const int bad[] = { 0, KMM_MCL_ONFAULT, 8, KMM_MCL_CURRENT | 8, -1 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_eq(kmm_mlockall(t, bad[i]), -EINVAL);
		expect_eq(t->mm->locked_vm, 0);
		expect_eq(t->mm->def_flags & VM_LOCKED_MASK, 0);
		expect_true(!(pt_vm_flags(t, q) & VM_LOCKED));
	}
	static const int good[] = { KMM_MCL_CURRENT, KMM_MCL_FUTURE, KMM_MCL_CURRENT | KMM_MCL_FUTURE,
				    KMM_MCL_CURRENT | KMM_MCL_ONFAULT, KMM_MCL_FUTURE | KMM_MCL_ONFAULT,
				    KMM_MCL_CURRENT | KMM_MCL_FUTURE | KMM_MCL_ONFAULT };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		expect_eq(kmm_mlockall(t, good[i]), 0);
		pt_check(m);
	}
	expect_eq(kmm_munlockall(t), 0);
	expect_eq(t->mm->locked_vm, 0);
	expect_eq(global_zone_page_state(m, NR_MLOCK), 0);
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * MCL_CURRENT: every mapping VM_LOCKED (VmLck all of them) and faulted in,
 * a PROT_NONE one too (locked, not faulted: errors are ignored); a later
 * mmap is not locked. munlockall: nothing locked, the pages stay.
 */
TEST(mlockall_current_locks_and_faults_in_every_mapping)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t q, n, later;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 4 * PAGE_SIZE, RW, PRIV, &q), 0);
	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, KMM_PROT_NONE, PRIV, &n), 0);
	expect_eq(kmm_mlockall(t, KMM_MCL_CURRENT), 0);
	expect_eq(t->mm->locked_vm, total_pages(t));
	for (int i = 0; i < 4; i++)
		expect_true(pt_present(t, q + (uint64_t)i * PAGE_SIZE));
	expect_true(pt_vm_flags(t, n) & VM_LOCKED);
	expect_true(!pt_present(t, n));
	expect_true(global_zone_page_state(m, NR_MLOCK) >= 4);
	pt_check(m);
	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, RW, PRIV, &later), 0);
	expect_true(!(pt_vm_flags(t, later) & VM_LOCKED));
	expect_true(!pt_present(t, later));
	expect_eq(kmm_munlockall(t), 0);
	expect_eq(t->mm->locked_vm, 0);
	expect_true(!(pt_vm_flags(t, q) & VM_LOCKED));
	expect_true(pt_present(t, q));
	expect_eq(global_zone_page_state(m, NR_MLOCK), 0);
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * MCL_FUTURE: the mappings there now stay unlocked; a later mmap and a
 * brk are VM_LOCKED, counted in VmLck and faulted in; a forked child's
 * later mmap is not (mm_init keeps only VM_INIT_DEF_MASK), nor are its
 * copies of the parent's locked VMAs. munlockall ends it.
 */
TEST(mlockall_future_locks_later_mappings_not_a_childs)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t q, later, brk0, brk1, cq;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, RW, PRIV, &q), 0);
	expect_eq(kmm_mlockall(t, KMM_MCL_FUTURE), 0);
	expect_true(!(pt_vm_flags(t, q) & VM_LOCKED));
	expect_eq(t->mm->locked_vm, 0);
	assert_eq(kmm_mmap(t, 0, 3 * PAGE_SIZE, RW, PRIV, &later), 0);
	expect_true(pt_vm_flags(t, later) & VM_LOCKED);
	expect_eq(t->mm->locked_vm, 3);
	for (int i = 0; i < 3; i++)
		expect_true(pt_present(t, later + (uint64_t)i * PAGE_SIZE));
	brk0 = t->mm->brk;
	assert_eq(kmm_brk(t, brk0 + 2 * PAGE_SIZE, &brk1), 0);
	expect_eq(brk1, brk0 + 2 * PAGE_SIZE);
	expect_true(pt_vm_flags(t, brk0) & VM_LOCKED);
	expect_true(pt_present(t, brk0) && pt_present(t, brk0 + PAGE_SIZE));
	expect_eq(t->mm->locked_vm, 5);
	pt_check(m);
	struct task_struct *c = kmm_fork(t, "c");
	assert_true(c != NULL);
	expect_eq(c->mm->def_flags & VM_LOCKED_MASK, 0);
	expect_eq(c->mm->locked_vm, 0);
	expect_true(!(pt_vm_flags(c, later) & VM_LOCKED));
	assert_eq(kmm_mmap(c, 0, PAGE_SIZE, RW, PRIV, &cq), 0);
	expect_true(!(pt_vm_flags(c, cq) & VM_LOCKED));
	pt_check(m);
	kmm_exit(c, 0);
	reap_zombies(m);
	expect_eq(kmm_munlockall(t), 0);
	expect_eq(t->mm->def_flags & VM_LOCKED_MASK, 0);
	expect_eq(t->mm->locked_vm, 0);
	assert_eq(kmm_mmap(t, 0, PAGE_SIZE, RW, PRIV, &cq), 0);
	expect_true(!(pt_vm_flags(t, cq) & VM_LOCKED));
	expect_eq(global_zone_page_state(m, NR_MLOCK), 0);
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * MCL_ONFAULT: VM_LOCKED | VM_LOCKONFAULT, counted in VmLck, nothing faulted
 * in (populate_vma_page_range() leaves a VM_LOCKONFAULT VMA); a page that
 * faults later is mlocked. With MCL_FUTURE a later mmap is lock-on-fault
 * too, MAP_POPULATE or not. mlock() of such a range locks it the plain way
 * and faults it in; a second mlockall without MCL_ONFAULT replaces it.
 */
TEST(mlockall_onfault_locks_pages_as_they_fault)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t q, later;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 4 * PAGE_SIZE, RW, PRIV, &q), 0);
	expect_eq(kmm_mlockall(t, KMM_MCL_CURRENT | KMM_MCL_FUTURE | KMM_MCL_ONFAULT), 0);
	expect_eq(pt_vm_flags(t, q) & VM_LOCKED_MASK, VM_LOCKED_MASK);
	expect_eq(t->mm->locked_vm, total_pages(t));
	expect_true(!pt_present(t, q));
	/* (pages present already - the stack's - are mlocked now, as mlock_vma_pages_range() does) */
	unsigned long base = global_zone_page_state(m, NR_MLOCK);
	assert_eq(kmm_fill(t, q + PAGE_SIZE, 1, 1), 0);
	expect_true(pt_present(t, q + PAGE_SIZE));
	expect_eq(global_zone_page_state(m, NR_MLOCK), base + 1);
	pt_check(m);
	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, RW, PRIV | KMM_MAP_POPULATE, &later), 0);
	expect_eq(pt_vm_flags(t, later) & VM_LOCKED_MASK, VM_LOCKED_MASK);
	expect_true(!pt_present(t, later));
	/* mlock(): VM_LOCKONFAULT goes (apply_vma_lock_flags), the range is faulted in */
	expect_eq(kmm_mlock(t, q, 4 * PAGE_SIZE), 0);
	expect_eq(pt_vm_flags(t, q) & VM_LOCKED_MASK, VM_LOCKED);
	expect_true(pt_present(t, q) && pt_present(t, q + 3 * PAGE_SIZE));
	expect_eq(global_zone_page_state(m, NR_MLOCK), base + 4);
	unsigned long vmlck = t->mm->locked_vm;
	/* mlockall(MCL_CURRENT): no VM_LOCKONFAULT anywhere, every VMA faulted in, VmLck unchanged */
	expect_eq(kmm_mlockall(t, KMM_MCL_CURRENT), 0);
	expect_eq(pt_vm_flags(t, later) & VM_LOCKED_MASK, VM_LOCKED);
	expect_true(pt_present(t, later));
	expect_eq(t->mm->def_flags & VM_LOCKED_MASK, 0);
	expect_eq(t->mm->locked_vm, vmlck);
	pt_check(m);
	expect_eq(kmm_munlockall(t), 0);
	expect_eq(t->mm->locked_vm, 0);
	expect_eq(global_zone_page_state(m, NR_MLOCK), 0);
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}
