// SPDX-License-Identifier: MIT
/*
 * mm/util.c - overcommit accounting: the commit limit, the test every commit
 * charge passes (__vm_enough_memory), the reserves computed at boot, and the
 * hooks through which the process layer asks.
 *
 * Linux counterpart: mm/util.c (6.12: vm_commit_limit, __vm_enough_memory,
 * the overcommit sysctl handlers), mm/mmap.c (init_user_reserve,
 * init_admin_reserve), security/commoncap.c (cap_vm_enough_memory),
 * Documentation/mm/overcommit-accounting.rst.
 *
 * What is charged (the process layer does it, see mm/mmap.c vm_charge):
 * every private writable mapping (anonymous or file) unless MAP_NORESERVE,
 * brk, the stack and its growth, mremap growth, mprotect making a private
 * mapping writable, a shared anonymous mapping (its shmem object), and at
 * fork the child's copy of every charged mapping. MAP_NORESERVE is honoured
 * only while vm.overcommit_memory is not 2.
 *
 * Kept: the three modes and their rules, the ratelimited warning, the
 * reserves' formulas. Simplified: Committed_AS is exact (Linux reads a
 * per-CPU counter that may lag by its batch); no hugetlb pools, so CommitLimit
 * subtracts nothing for them; the reserves are not recomputed on memory
 * hotplug (kmm has none).
 *
 * Locking: see mm/include/oom.h (relaxed atomic reads of the sysctls).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "mm/include/oom.h"
#include "mm/internal.h"

#define K(pages) ((unsigned long)(pages) << (PAGE_SHIFT - 10))

#define DEFAULT_RATELIMIT_INTERVAL_NS (5ull * 1000000000ull)	/* 5 * HZ */
#define DEFAULT_RATELIMIT_BURST 10

bool kmm_ratelimit_ok(struct kmm_machine *m, struct kmm_ratelimit *rs, uint64_t interval_ns,
		      int burst, const char *func)
{
	struct oom_state *os = oom_state_of(m);
	uint64_t now = kmm_clock_ns(m);
	int missed = 0;
	bool ok;

	spin_lock(&os->rs_lock);
	if (!rs->begin_ns && !rs->printed && !rs->missed)
		rs->begin_ns = now;
	if (now - rs->begin_ns >= interval_ns) {
		missed = rs->missed;
		rs->begin_ns = now;
		rs->printed = rs->missed = 0;
	}
	ok = rs->printed < burst;
	if (ok)
		rs->printed++;
	else
		rs->missed++;
	spin_unlock(&os->rs_lock);
	if (missed)
		kmm_printk(m, "%s: %d callbacks suppressed", func, missed);
	return ok;
}

/* ---- The commit limit and the test ---- */

unsigned long vm_commit_limit(struct kmm_machine *m)
{
	struct oom_state *os = oom_state_of(m);
	unsigned long kbytes = os ? __atomic_load_n(&os->overcommit_kbytes, __ATOMIC_RELAXED) : 0;
	unsigned long ratio = os ? (unsigned long)__atomic_load_n(&os->overcommit_ratio, __ATOMIC_RELAXED)
				 : 50;
	unsigned long allowed;

	if (kbytes)
		allowed = kbytes >> (PAGE_SHIFT - 10);
	else
		allowed = (unsigned long)atomic_load(&m->totalram_pages) * ratio / 100;
	return allowed + total_swap_pages(m);
}

int __vm_enough_memory(struct mm_struct *mm, long pages, bool cap_sys_admin)
{
	struct kmm_machine *m = mm->m;
	struct oom_state *os = oom_state_of(m);
	long allowed, committed;

	if (!os)
		return 0;
	switch (__atomic_load_n(&os->overcommit_memory, __ATOMIC_RELAXED)) {
	case OVERCOMMIT_ALWAYS:
		return 0;
	case OVERCOMMIT_GUESS:
		if (pages > (long)((unsigned long)atomic_load(&m->totalram_pages) + total_swap_pages(m)))
			goto error;
		return 0;
	default:
		break;
	}
	allowed = (long)vm_commit_limit(m);
	/* Reserve some for root. */
	if (!cap_sys_admin)
		allowed -= (long)(__atomic_load_n(&os->admin_reserve_kbytes, __ATOMIC_RELAXED) >>
				  (PAGE_SHIFT - 10));
	/* Don't let a single process grow so big a user can't recover. */
	long reserve = (long)(__atomic_load_n(&os->user_reserve_kbytes, __ATOMIC_RELAXED) >>
			      (PAGE_SHIFT - 10));
	allowed -= KMM_MIN((long)(mm_total_vm(mm) / 32), reserve);
	/* Linux adds @pages to vm_committed_as first, then compares. */
	committed = (long)kmm_committed_pages(m) + pages;
	if (committed < allowed)
		return 0;
error:
	if (kmm_ratelimit_ok(m, &os->vm_enough_rs, DEFAULT_RATELIMIT_INTERVAL_NS,
			     DEFAULT_RATELIMIT_BURST, "__vm_enough_memory")) {
		struct task_struct *t = current_task();

		kmm_printk(m, "__vm_enough_memory: pid: %d, comm: %s, bytes: %lu not enough memory "
			   "for the allocation", t ? t->pid : 0, t ? t->comm : kmm_comm(m),
			   (unsigned long)pages << PAGE_SHIFT);
	}
	return -ENOMEM;
}

int security_vm_enough_memory_mm(struct mm_struct *mm, long pages)
{
	struct task_struct *t = current_task();

	return __vm_enough_memory(mm, pages, !t || t->uid == 0);
}

/* ---- The process layer's hooks ---- */

static int vm_enough_memory_hook(struct mm_struct *mm, long pages)
{
	return security_vm_enough_memory_mm(mm, pages);
}

static int overcommit_policy_hook(struct kmm_machine *m)
{
	struct oom_state *os = oom_state_of(m);

	return os ? __atomic_load_n(&os->overcommit_memory, __ATOMIC_RELAXED) : OVERCOMMIT_GUESS;
}

/* ---- Boot ---- */

int overcommit_init(struct kmm_machine *m)
{
	struct oom_state *os = oom_state_of(m);
	struct kmm_procs *p = procs_of(m);
	unsigned long free_kbytes = K(global_zone_page_state(m, NR_FREE_PAGES));

	os->overcommit_memory = OVERCOMMIT_GUESS;
	os->overcommit_ratio = 50;
	os->overcommit_kbytes = 0;
	/* init_user_reserve() and init_admin_reserve(): subsys_initcalls, from the free pages now */
	os->user_reserve_kbytes = KMM_MIN(free_kbytes / 32, 1UL << 17);	/* 128 MiB */
	os->admin_reserve_kbytes = KMM_MIN(free_kbytes / 32, 1UL << 13);	/* 8 MiB */
	if (p) {
		p->vm_enough_memory = vm_enough_memory_hook;
		p->overcommit_policy = overcommit_policy_hook;
	}
	return 0;
}
