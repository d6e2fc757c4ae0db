// SPDX-License-Identifier: MIT
/*
 * mm/include/oom.h - overcommit accounting (mm/util.c) and the OOM killer
 * (mm/oom_kill.c): their per-machine state, sysctls and entry points.
 *
 * Linux counterpart: include/linux/mman.h (OVERCOMMIT_*, vm_commit_limit),
 * include/linux/oom.h (struct oom_control, oom_badness, out_of_memory),
 * include/uapi/linux/oom.h (OOM_SCORE_ADJ_*, OOM_DISABLE).
 *
 * The two files are one layer (the "oom" entry of the subsystem table,
 * oom_subsys in mm/oom_kill.c, with the eight vm.* sysctl rows): the
 * overcommit policy decides, at mmap/brk/fork time, whether a commit charge
 * may be made; the OOM killer decides, at fault time, who dies when the
 * pages behind those charges cannot be found. Both sit above the process
 * layer and reach it through its hooks (procs->vm_enough_memory,
 * procs->overcommit_policy) and the allocator's m->oom.
 *
 * Locking: the sysctl values are written under m->sysctl_lock with atomic
 * stores and read with relaxed atomic loads (Linux reads its globals the same
 * way, unlocked); oom_lock is only ever try-locked (out_of_memory), so it
 * nests inside procs->lock in either order without deadlock.
 */
#ifndef KMM_MM_OOM_H
#define KMM_MM_OOM_H

#include <limits.h>
#include <stdbool.h>

#include "mm/include/machine.h"

struct mm_struct;
struct task_struct;

/* include/uapi/linux/mman.h */
#define OVERCOMMIT_GUESS	0
#define OVERCOMMIT_ALWAYS	1
#define OVERCOMMIT_NEVER	2

/* include/uapi/linux/oom.h */
#define OOM_SCORE_ADJ_MIN	(-1000)
#define OOM_SCORE_ADJ_MAX	1000
#define OOM_DISABLE		(-17)	/* the legacy oom_adj's "never kill" */
#define OOM_ADJUST_MIN		(-16)
#define OOM_ADJUST_MAX		15

/* A printk ratelimit on the virtual clock (lib/ratelimit.c's rules). */
struct kmm_ratelimit {
	uint64_t begin_ns;
	int printed, missed;
};

/* Per machine: m->subsys[SUBSYS_OOM]. */
struct oom_state {
	/* vm.* sysctls (mm/util.c); see the header's locking note */
	int overcommit_memory;			/* OVERCOMMIT_GUESS */
	int overcommit_ratio;			/* 50 */
	unsigned long overcommit_kbytes;	/* 0: use the ratio */
	unsigned long admin_reserve_kbytes;	/* init_admin_reserve(): min(free/32, 8 MiB) */
	unsigned long user_reserve_kbytes;	/* init_user_reserve(): min(free/32, 128 MiB) */
	/* vm.* sysctls (mm/oom_kill.c) */
	int panic_on_oom;			/* 0 */
	int oom_kill_allocating_task;		/* 0 */
	int oom_dump_tasks;			/* 1 */

	spinlock_t oom_lock;			/* try-locked only: one OOM kill at a time */
	spinlock_t rs_lock;			/* the ratelimits below */
	struct kmm_ratelimit vm_enough_rs;	/* __vm_enough_memory's warning */
	struct kmm_ratelimit oom_rs;		/* oom_kill_process's report */
	struct kmm_ratelimit pfoom_rs;		/* pagefault_out_of_memory's warning */
	char panic_msg[128];			/* the panic() text, "" while running */
	bool oom_adj_warned;			/* the oom_adj deprecation warning (once) */
};

/* The "oom" subsystem's state, NULL while the entry is not up. */
static inline struct oom_state *oom_state_of(const struct kmm_machine *m)
{
	return (struct oom_state *)m->subsys[SUBSYS_OOM];
}

/* ---- mm/util.c: overcommit ---- */

/**
 * overcommit_init() - the overcommit half of the "oom" layer: sysctl
 * defaults, the boot-time reserves (init_admin_reserve, init_user_reserve,
 * computed from the free pages at this point of boot) and the process
 * layer's hooks. Called by oom_init(). Return: 0.
 */
int overcommit_init(struct kmm_machine *m);
/**
 * vm_commit_limit() - CommitLimit in pages: vm.overcommit_kbytes in pages, or
 * (totalram - hugetlb) * vm.overcommit_ratio / 100, plus total swap.
 * Context: lock-free. kmm has no hugetlb pools, so hugetlb is 0.
 */
unsigned long vm_commit_limit(struct kmm_machine *m);
/**
 * __vm_enough_memory() - may @pages more pages be committed for @mm?
 * Linux's rules for the three vm.overcommit_memory modes: ALWAYS says yes;
 * GUESS refuses only a single request larger than RAM + swap; NEVER allows
 * Committed_AS + @pages to stay below CommitLimit, less admin_reserve_kbytes
 * for a caller without CAP_SYS_ADMIN and less min(total_vm/32,
 * user_reserve_kbytes) when @mm is given. A refusal logs Linux's ratelimited
 * warning. kmm's callers add the charge themselves (vm_stat_account) right
 * after a yes, under the same process lock, so the test is made as if the
 * pages were already added, as Linux's vm_acct_memory-first order does.
 * Return: 0 or -ENOMEM. Context: @mm's mmap_write_lock held.
 */
int __vm_enough_memory(struct mm_struct *mm, long pages, bool cap_sys_admin);
/**
 * security_vm_enough_memory_mm() - __vm_enough_memory() with CAP_SYS_ADMIN
 * taken from the current task (uid 0, as every kmm process is unless spawned
 * otherwise; root when no task is current).
 */
int security_vm_enough_memory_mm(struct mm_struct *mm, long pages);
/* total_swap_pages(): mm/include/swap.h (mm/swapfile.c's count of usable slots). */

/* ---- mm/oom_kill.c: the OOM killer ---- */

enum oom_constraint {
	CONSTRAINT_NONE,
	CONSTRAINT_CPUSET,
	CONSTRAINT_MEMORY_POLICY,
	CONSTRAINT_MEMCG,
};

/* What out_of_memory() is working on (include/linux/oom.h). */
struct oom_control {
	struct kmm_machine *m;
	gfp_t gfp_mask;
	int order;			/* -1 for a sysrq-like forced kill */
	unsigned long totalpages;	/* RAM + swap: the badness scale */
	struct task_struct *chosen;	/* (void *)-1: abort, a victim is still dying */
	long chosen_points;
	enum oom_constraint constraint;
};

/**
 * oom_badness() - Linux's heuristic: RSS + swap entries + page-table pages of
 * @p's mm, plus oom_score_adj * (@totalpages / 1000).
 * Return: the points, or LONG_MIN when @p may not be chosen (no mm, dead,
 * oom_score_adj -1000, already reaped). Context: tasklist_lock, or a reference
 * on @p's mm (the counters are atomics).
 */
long oom_badness(struct task_struct *p, unsigned long totalpages);
/** oom_score() - /proc/PID/oom_score: (1000 + badness*1000/totalpages)*2/3, 0 if unkillable. */
unsigned long oom_score(struct task_struct *p);
/**
 * oom_would_choose() - select_bad_process() without killing: the task a
 * global OOM would kill now, with its points in *@points; NULL if none may
 * be killed, (struct task_struct *)-1 if a victim is still dying (the killer
 * would wait for it). Context: enters procs_enter() and takes tasklist_lock.
 */
struct task_struct *oom_would_choose(struct kmm_machine *m, long *points);
/** oom_totalpages() - RAM + swap, the scale of a global OOM. */
unsigned long oom_totalpages(struct kmm_machine *m);
/**
 * out_of_memory() - pick a victim and kill it (Linux's rules: a dying
 * current goes first; !__GFP_FS gives up; vm.panic_on_oom; the allocating
 * task with vm.oom_kill_allocating_task; else select_bad_process). A victim
 * other than the current task is reaped at once (its private memory freed by
 * the OOM reaper) and then exits; the current task is marked and dies when
 * its system call or fault returns. No killable task: a kernel panic
 * ("System is deadlocked on memory").
 * Return: true if progress can be expected (a victim was chosen or is dying).
 * Context: the allocator's; no page_table_lock, zone->lock or slab lock held
 * (the allocating task's VMA or mmap_lock may be).
 */
bool out_of_memory(struct oom_control *oc);
/**
 * pagefault_out_of_memory() - a fault came back with VM_FAULT_OOM and its task
 * is not dying (6.12 runs no OOM kill here): a ratelimited warning; the fault
 * is retried.
 */
void pagefault_out_of_memory(struct kmm_machine *m);
/**
 * kmm_panic() - the machine's "kernel panic": log Linux's lines and stop @m
 * (m->halted); the host process goes on. Later calls keep the first message.
 */
void kmm_panic(struct kmm_machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- helpers shared by the two files ---- */

/** kmm_ratelimit_ok() - Linux's __ratelimit: @burst messages per @interval_ns on @m's clock. */
bool kmm_ratelimit_ok(struct kmm_machine *m, struct kmm_ratelimit *rs, uint64_t interval_ns,
		      int burst, const char *func);

#endif /* KMM_MM_OOM_H */
