// SPDX-License-Identifier: MIT
/*
 * tests/integration_mprotect.c - mprotect over ranges that are not one
 * mapping, as Linux 6.12's do_mprotect_pkey() walks them: a range that
 * starts in a hole is ENOMEM with nothing changed; otherwise VMA by VMA,
 * each checked and changed in turn, so a hole later in the range (ENOMEM)
 * or a VMA that may not be made writable (EACCES) stops the walk with the
 * VMAs before it changed (review18 R5: the host kernel, 6.18, leaves
 * [16K rw][hole] r--p after mprotect of 32K to PROT_READ; kmm changed
 * nothing). The checkers hold after each step.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/fs.h>
#include <kmm/process.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

#define PRIV (KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS)
#define RW (KMM_PROT_READ | KMM_PROT_WRITE)

TEST(a_hole_stops_mprotect_with_the_vmas_before_it_changed)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t a;

	assert_true(t != NULL);
	/* [a, a+16K) rw, [a+16K, a+32K) a hole, [a+32K, a+48K) rw */
	assert_eq(kmm_mmap(t, 0, 12 * PAGE_SIZE, RW, PRIV, &a), 0);
	assert_eq(kmm_munmap(t, a + 4 * PAGE_SIZE, 4 * PAGE_SIZE), 0);
	expect_eq(kmm_mprotect(t, a, 8 * PAGE_SIZE, KMM_PROT_READ), -ENOMEM);
	expect_eq(pt_vm_flags(t, a) & (VM_READ | VM_WRITE), VM_READ);
	expect_eq(pt_vm_flags(t, a + 3 * PAGE_SIZE) & (VM_READ | VM_WRITE), VM_READ);
	pt_check(m);
	/* across the hole to the VMA after it: the one after is not reached */
	expect_eq(kmm_mprotect(t, a + 2 * PAGE_SIZE, 10 * PAGE_SIZE, KMM_PROT_NONE), -ENOMEM);
	expect_eq(pt_vm_flags(t, a) & (VM_READ | VM_WRITE), VM_READ);
	expect_eq(pt_vm_flags(t, a + 2 * PAGE_SIZE) & (VM_READ | VM_WRITE | VM_EXEC), 0);
	expect_eq(pt_vm_flags(t, a + 8 * PAGE_SIZE) & (VM_READ | VM_WRITE), VM_READ | VM_WRITE);
	pt_check(m);
	/* a range that starts in the hole changes nothing */
	expect_eq(kmm_mprotect(t, a + 6 * PAGE_SIZE, 4 * PAGE_SIZE, KMM_PROT_READ), -ENOMEM);
	expect_eq(pt_vm_flags(t, a + 8 * PAGE_SIZE) & (VM_READ | VM_WRITE), VM_READ | VM_WRITE);
	/*
	 * [a+8 pages, +1) rw and [a+9 pages, +3) read-only: making the first
	 * read-only merges it with the next, and the walk goes on inside it.
	 */
	expect_eq(kmm_mprotect(t, a + 9 * PAGE_SIZE, 3 * PAGE_SIZE, KMM_PROT_READ), 0);
	expect_eq(find_vma(t->mm, a + 8 * PAGE_SIZE)->vm_end, a + 9 * PAGE_SIZE);
	expect_eq(kmm_mprotect(t, a + 8 * PAGE_SIZE, 4 * PAGE_SIZE, KMM_PROT_READ), 0);
	expect_eq(find_vma(t->mm, a + 8 * PAGE_SIZE)->vm_end, a + 12 * PAGE_SIZE);
	expect_eq(kmm_mprotect(t, a + 8 * PAGE_SIZE, 4 * PAGE_SIZE, RW), 0);
	/* a range that ends in a hole after its last VMA */
	expect_eq(kmm_mprotect(t, a + 8 * PAGE_SIZE, 8 * PAGE_SIZE, KMM_PROT_READ), -ENOMEM);
	expect_eq(pt_vm_flags(t, a + 11 * PAGE_SIZE) & (VM_READ | VM_WRITE), VM_READ);
	pt_check(m);
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * A private mapping of a file opened read-only may be made writable (its
 * pages are copied); a shared one may not (no VM_MAYWRITE): mprotect of
 * [private rw][shared ro] to read-write changes the first, then EACCES.
 */
TEST(eacces_stops_mprotect_at_the_vma_that_may_not_be_written)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t a, b;
	int fd;

	assert_true(t != NULL);
	fd = kmm_open(t, "/data/f", KMM_O_RDWR | KMM_O_CREAT);
	assert_true(fd >= 3);
	assert_eq(kmm_ftruncate(t, fd, 4 * PAGE_SIZE), 0);
	assert_eq(kmm_close(t, fd), 0);
	fd = kmm_open(t, "/data/f", KMM_O_RDONLY);
	assert_true(fd >= 3);
	assert_eq(kmm_mmap(t, 0, 8 * PAGE_SIZE, KMM_PROT_READ, PRIV, &a), 0);
	assert_eq(kmm_mmap_fd(t, fd, a + 4 * PAGE_SIZE, 4 * PAGE_SIZE, KMM_PROT_READ,
			      KMM_MAP_SHARED | KMM_MAP_FIXED, 0, &b), 0);
	assert_eq(b, a + 4 * PAGE_SIZE);
	expect_eq(kmm_mprotect(t, a, 8 * PAGE_SIZE, RW), -EACCES);
	expect_eq(pt_vm_flags(t, a) & (VM_READ | VM_WRITE), VM_READ | VM_WRITE);
	expect_eq(pt_vm_flags(t, b) & (VM_READ | VM_WRITE), VM_READ);
	pt_check(m);
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * Linux's do_mmap() gives a shared mapping of a file through an fd not open
 * for writing neither VM_MAYWRITE nor VM_SHARED; VM_MAYSHARE stays. The
 * host (6.18, linux19's probe) prints "r--s" in maps and "VmFlags: rd mr me
 * ms" in smaps for it ("rd sh mr mw me ms" through a read-write fd), and
 * refuses mprotect(PROT_WRITE). Its pages are still the page cache's: a
 * store through another process's read-write shared mapping shows through
 * it, in a forked child too, and msync(MS_SYNC) of it returns 0.
 */
TEST(a_shared_mapping_of_a_read_only_fd_is_mayshare_not_shared)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a"), *w = kmm_spawn(m, "w");
	uint64_t a, b, v = 0;
	int fd, wfd;

	assert_true(t != NULL && w != NULL);
	wfd = kmm_open(w, "/data/ro", KMM_O_RDWR | KMM_O_CREAT);
	assert_true(wfd >= 3);
	assert_eq(kmm_ftruncate(w, wfd, 4 * PAGE_SIZE), 0);
	assert_eq(kmm_mmap_fd(w, wfd, 0, 4 * PAGE_SIZE, RW, KMM_MAP_SHARED, 0, &b), 0);
	fd = kmm_open(t, "/data/ro", KMM_O_RDONLY);
	assert_true(fd >= 3);
	assert_eq(kmm_mmap_fd(t, fd, 0, 4 * PAGE_SIZE, KMM_PROT_READ, KMM_MAP_SHARED, 0, &a), 0);
	expect_eq(pt_vm_flags(t, a) & (VM_SHARED | VM_MAYSHARE | VM_MAYWRITE), VM_MAYSHARE);
	expect_eq(pt_vm_flags(w, b) & (VM_SHARED | VM_MAYSHARE | VM_MAYWRITE),
		  VM_SHARED | VM_MAYSHARE | VM_MAYWRITE);
	char path[64], head[64];
	snprintf(path, sizeof(path), "/proc/%d/smaps", kmm_task_pid(t));
	char *sm = t_proc(m, path);
	snprintf(head, sizeof(head), "%08llx-%08llx r--s ", (unsigned long long)a,
		 (unsigned long long)(a + 4 * PAGE_SIZE));
	char *at = sm ? strstr(sm, head) : NULL;
	expect_true(at != NULL);
	if (at)
		expect_str_contains(at, "VmFlags: rd mr me ms sd \n");
	free(sm);
	expect_eq(kmm_mprotect(t, a, 4 * PAGE_SIZE, RW), -EACCES);

	/* the page cache's pages: a store through w's mapping reads back through t's */
	assert_eq(kmm_fill(w, b + PAGE_SIZE, 0x5c, 8), 0);
	assert_eq(kmm_access(t, a + PAGE_SIZE, &v, 8, false), 0);
	expect_eq(v, 0x5c5c5c5c5c5c5c5cull);
	struct task_struct *c = kmm_fork(t, "c");
	assert_true(c != NULL);
	expect_eq(pt_vm_flags(c, a) & (VM_SHARED | VM_MAYSHARE | VM_MAYWRITE), VM_MAYSHARE);
	assert_eq(kmm_fill(w, b + PAGE_SIZE, 0x6d, 8), 0);
	v = 0;
	assert_eq(kmm_access(c, a + PAGE_SIZE, &v, 8, false), 0);
	expect_eq(v, 0x6d6d6d6d6d6d6d6dull);
	expect_eq(kmm_msync(t, a, 4 * PAGE_SIZE, KMM_MS_SYNC), 0);
	pt_check(m);
	kmm_exit(c, 0);
	expect_eq(kmm_close(t, fd), 0);
	expect_eq(kmm_close(w, wfd), 0);
	kmm_exit(t, 0);
	kmm_exit(w, 0);
	expect_eq(kmm_unlink(m, "/data/ro"), 0);
	done(m);
}
