// SPDX-License-Identifier: MIT
/*
 * tests/integration_mlock_limit.c - RLIMIT_MEMLOCK and CAP_IPC_LOCK as Linux
 * 6.12 applies them (mm/mlock.c can_do_mlock, do_mlock,
 * count_mm_mlocked_page_nr, SYSCALL_DEFINE1(mlockall); mm/mmap.c
 * mlock_future_ok and its callers do_mmap, check_brk_limits, mm/mremap.c
 * resize_is_valid; kernel/sys.c do_prlimit), and mlock2(MLOCK_ONFAULT).
 *
 * Every expectation here was checked against the host's kernel (Linux
 * 6.18, the same code as 6.12 here) by a probe run under
 * `capsh --drop=cap_ipc_lock` (linux19's report has its output): a limit of
 * 0 makes mlock, mlock2, mlockall and MAP_LOCKED EPERM (munlock still
 * works; mlock2's bad flag is EINVAL first); with a 16K limit a 16K mlock
 * passes, 4K more is ENOMEM, the same 16K again passes (counted once), a
 * range overlapping it by half is ENOMEM; mlockall(MCL_CURRENT) is ENOMEM
 * once VmSize passes the limit; a full limit makes MAP_LOCKED and, after
 * mlockall(MCL_FUTURE), plain mmap EAGAIN, brk refused and a locked
 * mapping's mremap growth EAGAIN; setrlimit with soft > hard is EINVAL, a
 * raised hard limit EPERM without CAP_SYS_RESOURCE; mlock2(MLOCK_ONFAULT)
 * shows "lo lf" in smaps, faults nothing in, passes over PROT_NONE, and a
 * later mlock clears lf. Each error leaves the state as it was; the
 * checkers hold after each step.
 */
#include "mm/include/vmstat.h"
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/process.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

#define PRIV (KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS)
#define RW (KMM_PROT_READ | KMM_PROT_WRITE)
#define PG PAGE_SIZE

/* The page mapped at @addr (present). */
static struct page *page_at(struct task_struct *t, uint64_t addr)
{
	pteval_t v = pgtable_get_pte(&t->mm->pgt, addr);

	return kmm_pfn_to_page(t->machine, pte_pfn_geo(t->mm->pgt.geo, v));
}

/* A user's process: CAP_IPC_LOCK taken away, RLIMIT_MEMLOCK @soft (hard 8M). */
static struct task_struct *user_task(struct kmm_machine *m, const char *name, uint64_t soft)
{
	struct task_struct *t = kmm_spawn(m, name);
	struct kmm_rlimit lim = { soft, KMM_MLOCK_LIMIT };

	assert_true(t != NULL);
	assert_eq(kmm_task_set_capability(t, KMM_CAP_IPC_LOCK, false), 0);
	assert_eq(kmm_prlimit(t, KMM_RLIMIT_MEMLOCK, &lim, NULL), 0);
	return t;
}

/* The VmFlags line of the smaps entry that starts at @addr (static buffer). */
static const char *vmflags_of(struct kmm_machine *m, struct task_struct *t, uint64_t addr)
{
	static char line[256];
	char path[64], head[40];
	snprintf(path, sizeof(path), "/proc/%d/smaps", kmm_task_pid(t));
	snprintf(head, sizeof(head), "%08llx-", (unsigned long long)addr);
	char *text = t_proc(m, path), *at = text ? strstr(text, head) : NULL;
	char *fl = at ? strstr(at, "VmFlags:") : NULL;

	line[0] = 0;
	if (fl) {
		size_t n = strcspn(fl, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)n, fl);
	}
	free(text);
	return line;
}

/*
 * A process from nothing is root: every capability, Linux's 8 MiB limit
 * soft and hard. fork copies the limit and the capabilities, exec keeps
 * them. prlimit refuses soft > hard (EINVAL) and a raised hard limit
 * without CAP_SYS_RESOURCE (EPERM), changing nothing; a lowered one is
 * taken; a resource Linux has not got is EINVAL.
 */
TEST(rlimit_memlock_starts_at_8m_and_fork_and_exec_carry_it)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *a = kmm_spawn(m, "a");
	struct kmm_rlimit lim, set;

	assert_true(a != NULL);
	assert_eq(kmm_prlimit(a, KMM_RLIMIT_MEMLOCK, NULL, &lim), 0);
	expect_eq(lim.rlim_cur, 8u << 20);
	expect_eq(lim.rlim_max, 8u << 20);
	expect_true(kmm_task_capable(a, KMM_CAP_IPC_LOCK));
	expect_true(kmm_task_capable(a, KMM_CAP_SYS_RESOURCE));

	/* root may raise the hard limit */
	set = (struct kmm_rlimit){ 64 << 10, 16 << 20 };
	assert_eq(kmm_prlimit(a, KMM_RLIMIT_MEMLOCK, &set, &lim), 0);
	expect_eq(lim.rlim_cur, 8u << 20);	/* the old one */
	assert_eq(kmm_task_set_capability(a, KMM_CAP_IPC_LOCK, false), 0);
	assert_eq(kmm_task_set_capability(a, KMM_CAP_SYS_RESOURCE, false), 0);

	struct task_struct *b = kmm_fork(a, "b");
	assert_true(b != NULL);
	assert_eq(kmm_prlimit(b, KMM_RLIMIT_MEMLOCK, NULL, &lim), 0);
	expect_eq(lim.rlim_cur, 64 << 10);
	expect_eq(lim.rlim_max, 16 << 20);
	expect_true(!kmm_task_capable(b, KMM_CAP_IPC_LOCK));
	expect_true(!kmm_task_capable(b, KMM_CAP_SYS_RESOURCE));
	struct kmm_exec_image img = { .path = "/bin/prog", .text = 64 << 10, .data = 16 << 10 };
	assert_eq(kmm_exec(b, &img), 0);
	assert_eq(kmm_prlimit(b, KMM_RLIMIT_MEMLOCK, NULL, &lim), 0);
	expect_eq(lim.rlim_cur, 64 << 10);
	expect_eq(lim.rlim_max, 16 << 20);
	expect_true(!kmm_task_capable(b, KMM_CAP_IPC_LOCK));

	/* refused, nothing changed */
	set = (struct kmm_rlimit){ 32 << 20, 16 << 20 };
	expect_eq(kmm_prlimit(b, KMM_RLIMIT_MEMLOCK, &set, NULL), -EINVAL);
	set = (struct kmm_rlimit){ 64 << 10, 32 << 20 };
	expect_eq(kmm_prlimit(b, KMM_RLIMIT_MEMLOCK, &set, NULL), -EPERM);
	expect_str_contains(kmm_last_error(), "CAP_SYS_RESOURCE");
	expect_eq(kmm_prlimit(b, KMM_RLIM_NLIMITS, &set, NULL), -EINVAL);	/* no such resource */
	expect_eq(kmm_task_set_capability(b, 21, true), -EINVAL);	/* CAP_SYS_ADMIN: not modelled */
	assert_eq(kmm_prlimit(b, KMM_RLIMIT_MEMLOCK, NULL, &lim), 0);
	expect_eq(lim.rlim_cur, 64 << 10);
	expect_eq(lim.rlim_max, 16 << 20);
	/* lowered: taken, and then it cannot go back up */
	set = (struct kmm_rlimit){ 4 << 10, 8 << 10 };
	expect_eq(kmm_prlimit(b, KMM_RLIMIT_MEMLOCK, &set, NULL), 0);
	set = (struct kmm_rlimit){ 4 << 10, 16 << 20 };
	expect_eq(kmm_prlimit(b, KMM_RLIMIT_MEMLOCK, &set, NULL), -EPERM);
	set = (struct kmm_rlimit){ KMM_RLIM_INFINITY, KMM_RLIM_INFINITY };
	expect_eq(kmm_prlimit(b, KMM_RLIMIT_MEMLOCK, &set, NULL), -EPERM);
	/* the parent's own limit did not move */
	assert_eq(kmm_prlimit(a, KMM_RLIMIT_MEMLOCK, NULL, &lim), 0);
	expect_eq(lim.rlim_cur, 64 << 10);
	kmm_exit(b, 0);
	kmm_exit(a, 0);
	pt_check(m);
	done(m);
}

/*
 * can_do_mlock(): RLIMIT_MEMLOCK 0 without CAP_IPC_LOCK makes mlock, mlock2,
 * mlockall and mmap(MAP_LOCKED) EPERM - even of nothing - and changes
 * nothing; munlock still works; mlock2's unknown flag is EINVAL before it.
 * Given CAP_IPC_LOCK back, the same calls pass.
 */
TEST(a_limit_of_0_without_cap_ipc_lock_is_eperm)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = user_task(m, "u", 0);
	uint64_t a, q;

	assert_eq(kmm_mmap(t, 0, 16 * PG, RW, PRIV, &a), 0);
	int vmas = t->mm->map_count;
	expect_eq(kmm_mlock2(t, a, PG, 2), -EINVAL);
	expect_eq(kmm_mlock(t, a, PG), -EPERM);
	expect_str_contains(kmm_last_error(), "CAP_IPC_LOCK");
	expect_eq(kmm_mlock(t, a, 0), -EPERM);
	expect_eq(kmm_mlock2(t, a, PG, KMM_MLOCK_ONFAULT), -EPERM);
	expect_eq(kmm_mlockall(t, KMM_MCL_CURRENT), -EPERM);
	expect_eq(kmm_mlockall(t, KMM_MCL_FUTURE), -EPERM);
	expect_eq(kmm_mlockall(t, 0), -EINVAL);		/* the flags first */
	expect_eq(kmm_mmap(t, 0, PG, KMM_PROT_READ, PRIV | KMM_MAP_LOCKED, &q), -EPERM);
	expect_eq(kmm_munlock(t, a, PG), 0);
	expect_eq(t->mm->locked_vm, 0);
	expect_eq(t->mm->def_flags & VM_LOCKED_MASK, 0);
	expect_eq(t->mm->map_count, vmas);
	expect_true(!(pt_vm_flags(t, a) & VM_LOCKED));
	expect_true(!pt_present(t, a));
	pt_check(m);

	assert_eq(kmm_task_set_capability(t, KMM_CAP_IPC_LOCK, true), 0);
	expect_eq(kmm_mlock(t, a, 4 * PG), 0);
	expect_eq(t->mm->locked_vm, 4);
	expect_eq(kmm_mmap(t, 0, PG, KMM_PROT_READ, PRIV | KMM_MAP_LOCKED, &q), 0);
	expect_eq(t->mm->locked_vm, 5);
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * do_mlock()'s limit: locked_vm + the range may not pass RLIMIT_MEMLOCK,
 * the range's pages locked already counted once (count_mm_mlocked_page_nr).
 * Over it: ENOMEM, no VMA split or locked, nothing faulted in.
 */
TEST(mlock_past_rlimit_memlock_is_enomem_and_changes_nothing)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = user_task(m, "u", 4 * PG);
	uint64_t a;

	assert_eq(kmm_mmap(t, 0, 64 * PG, RW, PRIV, &a), 0);
	int vmas = t->mm->map_count;
	expect_eq(kmm_mlock(t, a, 4 * PG), 0);
	expect_eq(t->mm->locked_vm, 4);
	expect_true(pt_present(t, a + 3 * PG));
	vmas = t->mm->map_count;	/* split in two */
	expect_eq(kmm_mlock(t, a + 4 * PG, PG), -ENOMEM);
	expect_str_contains(kmm_last_error(), "RLIMIT_MEMLOCK");
	expect_eq(t->mm->locked_vm, 4);
	expect_eq(t->mm->map_count, vmas);
	expect_true(!(pt_vm_flags(t, a + 4 * PG) & VM_LOCKED));
	expect_true(!pt_present(t, a + 4 * PG));
	/* the same range again: its pages are locked already, so it fits */
	expect_eq(kmm_mlock(t, a, 4 * PG), 0);
	expect_eq(t->mm->locked_vm, 4);
	/* half over the locked range, half past it: 4 + 4 - 2 > 4 */
	expect_eq(kmm_mlock(t, a + 2 * PG, 4 * PG), -ENOMEM);
	/* an unaligned length reaches one page past: 4 + 3 - 2 > 4 */
	expect_eq(kmm_mlock(t, a + 2 * PG, 2 * PG + 1), -ENOMEM);
	expect_eq(t->mm->locked_vm, 4);
	expect_eq(t->mm->map_count, vmas);
	pt_check(m);
	/* mlock2(MLOCK_ONFAULT) counts the same (VM_LOCKED is set) */
	expect_eq(kmm_mlock2(t, a + 8 * PG, PG, KMM_MLOCK_ONFAULT), -ENOMEM);
	/* after munlock there is room again */
	expect_eq(kmm_munlock(t, a, 2 * PG), 0);
	expect_eq(kmm_mlock2(t, a + 8 * PG, 2 * PG, KMM_MLOCK_ONFAULT), 0);
	expect_eq(t->mm->locked_vm, 4);
	/* a limit lowered below what is locked unlocks nothing; the next lock fails */
	struct kmm_rlimit low = { PG, KMM_MLOCK_LIMIT };
	assert_eq(kmm_prlimit(t, KMM_RLIMIT_MEMLOCK, &low, NULL), 0);
	expect_eq(t->mm->locked_vm, 4);
	expect_eq(kmm_mlock(t, a + 20 * PG, PG), -ENOMEM);
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * mlockall(MCL_CURRENT) weighs the whole address space (total_vm) against
 * the limit: past it, ENOMEM and nothing locked; MCL_FUTURE alone passes.
 * Then every later mapping is held to the limit (mlock_future_ok): mmap is
 * EAGAIN, brk refused, a locked mapping's mremap growth EAGAIN, each
 * changing nothing; MAP_LOCKED the same without mlockall. With
 * CAP_IPC_LOCK none of it applies.
 */
TEST(mlockall_and_later_locked_mappings_are_held_to_the_limit)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = user_task(m, "u", 4 * PG);
	uint64_t a, q, brk0, brk1;

	assert_eq(kmm_mmap(t, 0, 8 * PG, RW, PRIV, &a), 0);
	expect_true(mm_total_vm(t->mm) > 4);
	expect_eq(kmm_mlockall(t, KMM_MCL_CURRENT), -ENOMEM);
	expect_eq(kmm_mlockall(t, KMM_MCL_CURRENT | KMM_MCL_FUTURE), -ENOMEM);
	expect_eq(t->mm->locked_vm, 0);
	expect_eq(t->mm->def_flags & VM_LOCKED_MASK, 0);
	expect_true(!(pt_vm_flags(t, a) & VM_LOCKED));

	/* MAP_LOCKED past the limit: EAGAIN, nothing mapped */
	int vmas = t->mm->map_count;
	expect_eq(kmm_mmap(t, 0, 8 * PG, KMM_PROT_READ, PRIV | KMM_MAP_LOCKED, &q), -EAGAIN);
	expect_eq(t->mm->map_count, vmas);
	expect_eq(kmm_mmap(t, 0, 4 * PG, KMM_PROT_READ, PRIV | KMM_MAP_LOCKED, &q), 0);
	expect_eq(t->mm->locked_vm, 4);
	expect_eq(kmm_mmap(t, 0, PG, KMM_PROT_READ, PRIV | KMM_MAP_LOCKED, &q), -EAGAIN);

	/* the limit is full: every mapping after MCL_FUTURE fails */
	expect_eq(kmm_mlockall(t, KMM_MCL_FUTURE), 0);
	vmas = t->mm->map_count;
	expect_eq(kmm_mmap(t, 0, PG, RW, PRIV, &q), -EAGAIN);
	expect_eq(t->mm->map_count, vmas);
	assert_eq(kmm_brk(t, 0, &brk0), -ENOMEM);	/* brk(0): asks, moves nothing */
	expect_eq(kmm_brk(t, brk0 + 8 * PG, &brk1), -ENOMEM);
	expect_eq(brk1, brk0);
	expect_eq(kmm_mremap(t, q, 4 * PG, 8 * PG, KMM_MREMAP_MAYMOVE, 0, &q), -EAGAIN);
	expect_eq(t->mm->locked_vm, 4);
	expect_eq(t->mm->map_count, vmas);
	pt_check(m);

	/* with CAP_IPC_LOCK the same calls pass */
	assert_eq(kmm_task_set_capability(t, KMM_CAP_IPC_LOCK, true), 0);
	expect_eq(kmm_mmap(t, 0, PG, RW, PRIV, &q), 0);
	expect_eq(t->mm->locked_vm, 5);
	expect_eq(kmm_brk(t, brk0 + 8 * PG, &brk1), 0);
	expect_eq(t->mm->locked_vm, 13);
	expect_eq(kmm_mlockall(t, KMM_MCL_CURRENT), 0);
	pt_check(m);
	expect_eq(kmm_munlockall(t), 0);
	expect_eq(t->mm->locked_vm, 0);
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * mlock2(MLOCK_ONFAULT): VM_LOCKED | VM_LOCKONFAULT, smaps "lo lf", VmLck
 * counts the range, the page present already is mlocked, nothing else is
 * faulted in; a store faults its page in mlocked. A PROT_NONE range locks
 * on fault (no populate to fail), where mlock is ENOMEM. mlock over the
 * range clears lf and faults it all in; munlock clears both.
 */
TEST(mlock2_onfault_locks_pages_as_they_fault)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t a, pn;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 16 * PG, RW, PRIV, &a), 0);
	assert_eq(kmm_fill(t, a, 1, 8), 0);
	long mlocked0 = global_zone_page_state(m, NR_MLOCK);
	expect_eq(kmm_mlock2(t, a, 16 * PG, KMM_MLOCK_ONFAULT), 0);
	expect_eq(pt_vm_flags(t, a) & VM_LOCKED_MASK, VM_LOCKED | VM_LOCKONFAULT);
	expect_eq(t->mm->locked_vm, 16);
	expect_true(pt_present(t, a) && page_flag_test(page_at(t, a), PG_mlocked));
	expect_true(!pt_present(t, a + PG));
	expect_eq(global_zone_page_state(m, NR_MLOCK), mlocked0 + 1);
	expect_str_contains(vmflags_of(m, t, a), "VmFlags: rd wr mr mw me lo lf ac sd ");
	pt_check(m);
	/* a store faults one page in, locked */
	assert_eq(kmm_fill(t, a + 5 * PG, 2, 8), 0);
	expect_true(pt_present(t, a + 5 * PG));
	expect_true(!pt_present(t, a + 4 * PG));
	expect_eq(global_zone_page_state(m, NR_MLOCK), mlocked0 + 2);
	pt_check(m);

	/* PROT_NONE: on-fault locking passes (nothing to populate); mlock is ENOMEM */
	assert_eq(kmm_mmap(t, 0, 4 * PG, KMM_PROT_NONE, PRIV, &pn), 0);
	expect_eq(kmm_mlock2(t, pn, 4 * PG, KMM_MLOCK_ONFAULT), 0);
	expect_eq(kmm_mlock(t, pn, 4 * PG), -ENOMEM);
	expect_eq(kmm_munlock(t, pn, 4 * PG), 0);

	/* mlock over it: lf goes, every page faulted in and locked, VmLck unchanged */
	expect_eq(kmm_mlock(t, a, 16 * PG), 0);
	expect_eq(pt_vm_flags(t, a) & VM_LOCKED_MASK, VM_LOCKED);
	expect_str_contains(vmflags_of(m, t, a), "VmFlags: rd wr mr mw me lo ac sd ");
	expect_true(pt_present(t, a + 15 * PG));
	expect_eq(t->mm->locked_vm, 16);
	expect_eq(global_zone_page_state(m, NR_MLOCK), mlocked0 + 16);
	/* and back on fault: the flag changes, the pages stay locked */
	expect_eq(kmm_mlock2(t, a, 16 * PG, KMM_MLOCK_ONFAULT), 0);
	expect_eq(pt_vm_flags(t, a) & VM_LOCKED_MASK, VM_LOCKED | VM_LOCKONFAULT);
	expect_eq(global_zone_page_state(m, NR_MLOCK), mlocked0 + 16);
	expect_eq(kmm_munlock(t, a, 16 * PG), 0);
	expect_eq(pt_vm_flags(t, a) & VM_LOCKED_MASK, 0);
	expect_eq(t->mm->locked_vm, 0);
	expect_eq(global_zone_page_state(m, NR_MLOCK), mlocked0);
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}
