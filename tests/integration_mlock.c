// SPDX-License-Identifier: MIT
/*
 * tests/integration_mlock.c - mlock and munlock over ranges that are not one
 * plain readable mapping, as Linux 6.12 treats them (mm/mlock.c do_mlock,
 * apply_vma_lock_flags; mm/gup.c __mm_populate, populate_vma_page_range):
 * the flags are applied first, then the range is faulted in and the first
 * failure stops it. A PROT_NONE VMA is a failure (gup gives it no
 * FOLL_FORCE, check_vma_flags() says -EFAULT, mlock ENOMEM); a write-only or
 * exec-only one is not. A hole ends the flag pass with ENOMEM, the VMAs
 * before it changed. Then truncation of mlocked pages, and
 * MADV_POPULATE_READ/WRITE, the populate without mlock and without
 * FOLL_FORCE. The checkers hold after each step.
 */
#include "mm/include/vmstat.h"
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/fs.h>
#include <kmm/process.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

#define PRIV (KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS)
#define RW (KMM_PROT_READ | KMM_PROT_WRITE)

/*
 * 16K read-write, its second page PROT_NONE, mlock of all four pages
 * (review16's host check on Linux 6.18, same code as 6.12: -1 ENOMEM, smaps
 * Locked 4K / 0 / 0): ENOMEM, every VMA VM_LOCKED (VmLck 16 kB), the first
 * page faulted in and mlocked, the pages after the PROT_NONE VMA not.
 */
TEST(mlock_over_a_prot_none_vma_is_enomem_and_stops_there)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t q;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 4 * PAGE_SIZE, RW, PRIV, &q), 0);
	assert_eq(kmm_mprotect(t, q + PAGE_SIZE, PAGE_SIZE, KMM_PROT_NONE), 0);
	unsigned long rss = get_mm_rss(t->mm);
	expect_eq(kmm_mlock(t, q, 4 * PAGE_SIZE), -ENOMEM);
	expect_str_contains(kmm_last_error(), "PROT_NONE");
	for (int i = 0; i < 4; i++)
		expect_true(pt_vm_flags(t, q + (uint64_t)i * PAGE_SIZE) & VM_LOCKED);
	expect_eq(t->mm->locked_vm, 4);
	expect_true(pt_present(t, q));
	expect_true(!pt_present(t, q + PAGE_SIZE));
	expect_true(!pt_present(t, q + 2 * PAGE_SIZE));
	expect_true(!pt_present(t, q + 3 * PAGE_SIZE));
	expect_eq(get_mm_rss(t->mm), rss + 1);
	expect_eq(global_zone_page_state(m, NR_MLOCK), 1);
	pt_check(m);
	/* a touch after it faults the page in, mlocked (the VMA is VM_LOCKED) */
	assert_eq(kmm_fill(t, q + 2 * PAGE_SIZE, 1, 1), 0);
	expect_eq(global_zone_page_state(m, NR_MLOCK), 2);
	/* the range before the PROT_NONE VMA alone locks fine */
	expect_eq(kmm_mlock(t, q, PAGE_SIZE), 0);
	/* a wholly PROT_NONE mapping: ENOMEM, and it stays locked */
	uint64_t n;
	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, KMM_PROT_NONE, PRIV, &n), 0);
	expect_eq(kmm_mlock(t, n, 2 * PAGE_SIZE), -ENOMEM);
	expect_true(pt_vm_flags(t, n) & VM_LOCKED);
	expect_eq(t->mm->locked_vm, 6);
	/* munlock of all of it: 0, nothing locked */
	expect_eq(kmm_munlock(t, q, 4 * PAGE_SIZE), 0);
	expect_eq(kmm_munlock(t, n, 2 * PAGE_SIZE), 0);
	expect_eq(t->mm->locked_vm, 0);
	expect_eq(global_zone_page_state(m, NR_MLOCK), 0);
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * Linux gives populate FOLL_FORCE for a VMA with any access: a write-only
 * private mapping is write-faulted, an exec-only one read-faulted, and mlock
 * succeeds on both. MAP_POPULATE of a PROT_NONE mapping succeeds (its
 * populate ignores errors) and faults nothing.
 */
TEST(mlock_of_write_only_and_exec_only_mappings_populates_them)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t w, x, n;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, KMM_PROT_WRITE, PRIV, &w), 0);
	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, KMM_PROT_EXEC, PRIV, &x), 0);
	expect_eq(kmm_mlock(t, w, 2 * PAGE_SIZE), 0);
	expect_eq(kmm_mlock(t, x, 2 * PAGE_SIZE), 0);
	for (int i = 0; i < 2; i++) {
		expect_true(pt_present(t, w + (uint64_t)i * PAGE_SIZE));
		expect_true(pt_present(t, x + (uint64_t)i * PAGE_SIZE));
	}
	expect_eq(t->mm->locked_vm, 4);
	unsigned long rss = get_mm_rss(t->mm);
	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, KMM_PROT_NONE, PRIV | KMM_MAP_POPULATE, &n), 0);
	expect_eq(get_mm_rss(t->mm), rss);
	expect_true(!pt_present(t, n));
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * A hole in the range (Linux 6.12's apply_vma_lock_flags()): the VMAs
 * before it get their new flags, the call is ENOMEM and faults nothing in; a
 * range that starts in a hole changes nothing. munlock alike.
 */
TEST(mlock_over_a_hole_locks_the_vmas_before_it_then_is_enomem)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t q;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 5 * PAGE_SIZE, RW, PRIV, &q), 0);
	assert_eq(kmm_munmap(t, q + 2 * PAGE_SIZE, PAGE_SIZE), 0);
	uint64_t b = q + 3 * PAGE_SIZE;
	unsigned long rss = get_mm_rss(t->mm);
	expect_eq(kmm_mlock(t, q, 5 * PAGE_SIZE), -ENOMEM);
	expect_str_contains(kmm_last_error(), "is not mapped");
	expect_true(pt_vm_flags(t, q) & VM_LOCKED);
	expect_true(pt_vm_flags(t, q + PAGE_SIZE) & VM_LOCKED);
	expect_true(!(pt_vm_flags(t, b) & VM_LOCKED));
	expect_eq(t->mm->locked_vm, 2);
	expect_true(!pt_present(t, q));		/* nothing faulted in */
	expect_eq(get_mm_rss(t->mm), rss);
	/* a fault in the locked part mlocks its page */
	assert_eq(kmm_fill(t, q, 1, 1), 0);
	expect_eq(global_zone_page_state(m, NR_MLOCK), 1);
	expect_eq(kmm_mlock(t, b, 2 * PAGE_SIZE), 0);
	expect_eq(t->mm->locked_vm, 4);
	expect_eq(global_zone_page_state(m, NR_MLOCK), 3);
	pt_check(m);
	/* munlock over the hole: the part before it unlocked, then ENOMEM */
	expect_eq(kmm_munlock(t, q, 5 * PAGE_SIZE), -ENOMEM);
	expect_true(!(pt_vm_flags(t, q) & VM_LOCKED));
	expect_true(pt_vm_flags(t, b) & VM_LOCKED);
	expect_eq(t->mm->locked_vm, 2);
	expect_eq(global_zone_page_state(m, NR_MLOCK), 2);
	/* starting in the hole: nothing changes */
	expect_eq(kmm_munlock(t, q + 2 * PAGE_SIZE, 3 * PAGE_SIZE), -ENOMEM);
	expect_eq(kmm_mlock(t, q + 2 * PAGE_SIZE, PAGE_SIZE), -ENOMEM);
	expect_true(pt_vm_flags(t, b) & VM_LOCKED);
	expect_eq(t->mm->locked_vm, 2);
	expect_eq(kmm_munlock(t, b, 2 * PAGE_SIZE), 0);
	expect_eq(t->mm->locked_vm, 0);
	expect_eq(global_zone_page_state(m, NR_MLOCK), 0);
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * Truncation takes mlocked pages out of their file too: Linux's
 * truncate_pagecache() zaps the truncated range in every VMA of the file,
 * VM_LOCKED or not, and the pages lose PG_mlocked with their last locked
 * mapping. Before, kmm's truncation unmapped them with reclaim's
 * try_to_unmap(), which refuses a VM_LOCKED mapping: the page left the page
 * cache still mapped, its reverse map gone (the checker's "rmap finds 0
 * mappings"), found by stress_truncate_fault with an mlock step.
 */
TEST(truncation_unmaps_mlocked_pages_of_a_file)
{
	static const char *const paths[] = { "/data/m", "/dev/shm/m" };
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");

	assert_true(t != NULL);
	for (int f = 0; f < 2; f++) {
		int fd = kmm_open(t, paths[f], KMM_O_RDWR | KMM_O_CREAT);
		uint64_t sh, pr;
		assert_true(fd >= 3);
		assert_eq(kmm_ftruncate(t, fd, 4 * PAGE_SIZE), 0);
		assert_eq(kmm_mmap_fd(t, fd, 0, 4 * PAGE_SIZE, RW, KMM_MAP_SHARED, 0, &sh), 0);
		assert_eq(kmm_mmap_fd(t, fd, 0, 4 * PAGE_SIZE, KMM_PROT_READ, KMM_MAP_PRIVATE, 0, &pr), 0);
		assert_eq(kmm_fill(t, sh, 0x5a, 4 * PAGE_SIZE), 0);
		expect_eq(kmm_mlock(t, sh, 4 * PAGE_SIZE), 0);
		expect_eq(kmm_mlock(t, pr, 4 * PAGE_SIZE), 0);	/* the same pages, mapped twice */
		expect_eq(global_zone_page_state(m, NR_MLOCK), 4);
		pt_check(m);
		assert_eq(kmm_ftruncate(t, fd, PAGE_SIZE), 0);
		for (int i = 1; i < 4; i++) {
			expect_true(!pt_present(t, sh + (uint64_t)i * PAGE_SIZE));
			expect_true(!pt_present(t, pr + (uint64_t)i * PAGE_SIZE));
		}
		expect_true(pt_present(t, sh));
		expect_eq(global_zone_page_state(m, NR_MLOCK), 1);
		pt_check(m);
		unsigned char b;
		expect_eq(kmm_access(t, sh + 2 * PAGE_SIZE, &b, 1, false), -EFAULT);	/* SIGBUS */
		expect_eq(kmm_task_exit_info(t).signal, KMM_SIGBUS);
		kmm_task_release(t);
		expect_eq(global_zone_page_state(m, NR_MLOCK), 0);
		pt_check(m);
		if (f == 0)
			assert_true((t = kmm_spawn(m, "b")) != NULL);
	}
	expect_eq(kmm_unlink(m, paths[0]), 0);
	expect_eq(kmm_unlink(m, paths[1]), 0);
	done(m);
}

/* ---- MADV_POPULATE_READ / MADV_POPULATE_WRITE: populate without mlock ---- */

/*
 * Linux 6.12's madvise_populate(): READ maps what a read fault maps (the
 * zero page for untouched anonymous memory), WRITE what a write fault maps
 * (a page of its own, COW broken); no FOLL_FORCE, so a mapping that does not
 * allow the access is EINVAL and faults nothing; a hole is ENOMEM after the
 * part before it was populated; a fault that fails (past the end of a file)
 * is EFAULT, the pages before it in.
 */
TEST(madvise_populate_read_and_write_as_linux)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t a, ro, wo, n;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 4 * PAGE_SIZE, RW, PRIV, &a), 0);
	unsigned long rss = get_mm_rss(t->mm);
	expect_eq(kmm_madvise(t, a, 4 * PAGE_SIZE, KMM_MADV_POPULATE_READ), 0);
	for (int i = 0; i < 4; i++) {
		expect_true(pt_present(t, a + (uint64_t)i * PAGE_SIZE));
		expect_true(!pte_write(pgtable_get_pte(&t->mm->pgt, a + (uint64_t)i * PAGE_SIZE)));
	}
	expect_eq(get_mm_rss(t->mm), rss);		/* the zero page */
	expect_eq(kmm_madvise(t, a, 4 * PAGE_SIZE, KMM_MADV_POPULATE_WRITE), 0);
	for (int i = 0; i < 4; i++)
		expect_true(pte_write(pgtable_get_pte(&t->mm->pgt, a + (uint64_t)i * PAGE_SIZE)));
	expect_eq(get_mm_rss(t->mm), rss + 4);
	expect_eq(t->mm->locked_vm, 0);
	/* COW after fork: WRITE gives the parent its own copy, the child keeps the old bytes */
	assert_eq(kmm_fill(t, a, 0x11, PAGE_SIZE), 0);
	struct task_struct *c = kmm_fork(t, "c");
	assert_true(c != NULL);
	expect_eq(kmm_madvise(t, a, PAGE_SIZE, KMM_MADV_POPULATE_WRITE), 0);
	expect_true(pte_write(pgtable_get_pte(&t->mm->pgt, a)));
	expect_ne(pte_pfn_geo(t->mm->pgt.geo, pgtable_get_pte(&t->mm->pgt, a)),
		  pte_pfn_geo(c->mm->pgt.geo, pgtable_get_pte(&c->mm->pgt, a)));
	kmm_exit(c, 0);
	/* no access, no populate: EINVAL, nothing faulted */
	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, KMM_PROT_READ, PRIV, &ro), 0);
	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, KMM_PROT_WRITE, PRIV, &wo), 0);
	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, KMM_PROT_NONE, PRIV, &n), 0);
	expect_eq(kmm_madvise(t, ro, 2 * PAGE_SIZE, KMM_MADV_POPULATE_WRITE), -EINVAL);
	expect_true(!pt_present(t, ro));
	expect_eq(kmm_madvise(t, wo, 2 * PAGE_SIZE, KMM_MADV_POPULATE_READ), -EINVAL);
	expect_eq(kmm_madvise(t, n, 2 * PAGE_SIZE, KMM_MADV_POPULATE_READ), -EINVAL);
	expect_eq(kmm_madvise(t, n, 2 * PAGE_SIZE, KMM_MADV_POPULATE_WRITE), -EINVAL);
	expect_true(!pt_present(t, wo) && !pt_present(t, n));
	expect_eq(kmm_madvise(t, ro, 2 * PAGE_SIZE, KMM_MADV_POPULATE_READ), 0);
	expect_eq(kmm_madvise(t, wo, 2 * PAGE_SIZE, KMM_MADV_POPULATE_WRITE), 0);
	expect_true(pt_present(t, ro) && pt_present(t, wo + PAGE_SIZE));
	/* a hole: the part before it populated, then ENOMEM */
	uint64_t h;
	assert_eq(kmm_mmap(t, 0, 4 * PAGE_SIZE, RW, PRIV, &h), 0);
	assert_eq(kmm_munmap(t, h + 2 * PAGE_SIZE, PAGE_SIZE), 0);
	expect_eq(kmm_madvise(t, h, 4 * PAGE_SIZE, KMM_MADV_POPULATE_WRITE), -ENOMEM);
	expect_true(pt_present(t, h) && pt_present(t, h + PAGE_SIZE));
	expect_true(!pt_present(t, h + 3 * PAGE_SIZE));
	pt_check(m);
	/* past the end of its file: EFAULT (SIGBUS), the page before it in */
	int fd = kmm_open(t, "/data/p", KMM_O_RDWR | KMM_O_CREAT);
	uint64_t f;
	assert_true(fd >= 3);
	assert_eq(kmm_ftruncate(t, fd, PAGE_SIZE), 0);
	assert_eq(kmm_mmap_fd(t, fd, 0, 3 * PAGE_SIZE, RW, KMM_MAP_SHARED, 0, &f), 0);
	expect_eq(kmm_madvise(t, f, 3 * PAGE_SIZE, KMM_MADV_POPULATE_READ), -EFAULT);
	expect_true(pt_present(t, f));
	expect_true(!pt_present(t, f + PAGE_SIZE));
	expect_true(kmm_task_alive(t));			/* no signal: an error code */
	/* unaligned start: EINVAL; length 0: nothing */
	expect_eq(kmm_madvise(t, a + 1, PAGE_SIZE, KMM_MADV_POPULATE_READ), -EINVAL);
	expect_eq(kmm_madvise(t, h + 3 * PAGE_SIZE, 0, KMM_MADV_POPULATE_WRITE), 0);
	expect_true(!pt_present(t, h + 3 * PAGE_SIZE));
	pt_check(m);
	assert_eq(kmm_close(t, fd), 0);
	kmm_exit(t, 0);
	expect_eq(kmm_unlink(m, "/data/p"), 0);
	done(m);
}

/*
 * Lengths near 2^64 (review17 R1, R2; the host, Linux 6.18, checked with
 * mprotect(p, -1, ...) and madvise(p, -1, ...)): do_mprotect_pkey() takes a
 * zero length as 0 before anything else, and a length that rounds up past
 * the top - to 0 included - is ENOMEM; do_madvise() says EINVAL for a
 * length that rounds to 0. kmm_touch() over a range that runs past the top
 * touches up to the first unmapped page and dies there: it used to wrap to
 * an empty range and touch nothing.
 */
TEST(lengths_that_wrap_past_the_top_are_refused_or_fault)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t a;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 4 * PAGE_SIZE, RW, PRIV, &a), 0);
	expect_eq(kmm_mprotect(t, a, ~0ULL, KMM_PROT_READ), -ENOMEM);
	expect_eq(kmm_mprotect(t, a, ~0ULL - PAGE_SIZE + 1, KMM_PROT_READ), -ENOMEM);
	expect_eq(kmm_mprotect(t, a, 0, 0x100), 0);	/* zero length: before the bits */
	expect_eq(kmm_mprotect(t, a, PAGE_SIZE, 0x100), -EINVAL);
	expect_eq(kmm_madvise(t, a, ~0ULL, KMM_MADV_DONTNEED), -EINVAL);
	expect_eq(kmm_madvise(t, a, ~0ULL, KMM_MADV_POPULATE_WRITE), -EINVAL);
	expect_eq(kmm_madvise(t, a, 0, KMM_MADV_DONTNEED), 0);
	expect_true(pt_vm_flags(t, a) & VM_WRITE);	/* nothing changed */
	pt_check(m);
	/* touch from the mapping to the top: its four pages, then SIGSEGV past them */
	expect_eq(kmm_touch(t, a, ~0ULL, true), -EFAULT);
	expect_true(!kmm_task_alive(t));
	expect_eq(kmm_task_exit_info(t).signal, KMM_SIGSEGV);
	pt_check(m);
	done(m);
}
