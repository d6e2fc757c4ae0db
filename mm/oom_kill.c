// SPDX-License-Identifier: MIT
/*
 * mm/oom_kill.c - the OOM killer: when an allocation finds no page and
 * reclaim can make no progress, choose the task whose death frees the most
 * memory (oom_badness), report it in Linux's words, kill it, and let the OOM
 * reaper take its private memory at once.
 *
 * Linux counterpart: mm/oom_kill.c (6.12): oom_badness, oom_evaluate_task,
 * select_bad_process, dump_header, dump_tasks, dump_oom_victim,
 * __oom_kill_process, oom_reap_task_mm, out_of_memory, check_panic_on_oom,
 * pagefault_out_of_memory; kernel/panic.c (panic's lines); fs/proc/base.c
 * (oom_score's scaling).
 *
 * Kept: the badness formula and tie rule (a later task with equal points
 * wins), oom_score_adj -1000 immunity, an undead victim aborting a new
 * choice, vm.oom_kill_allocating_task, vm.panic_on_oom (1: global OOMs, 2:
 * all), vm.oom_dump_tasks, the dmesg report line for line (Mem-Info, the
 * unreclaimable-slab table, the task table, the oom-kill summary, "Out of
 * memory: Killed process", the reaper's line), the report's ratelimit (10 per
 * 5 s of virtual time), the vmstat oom_kill count, no OOM kill for !__GFP_FS.
 *
 * Simplified or different, and why:
 *  - Every OOM is global (CONSTRAINT_NONE): kmm has no cpusets, mempolicies
 *    or memory cgroups. The summary prints the root cpuset, and on x86_64
 *    (whose Debian kernel has CONFIG_MEMCG) ",global_oom,task_memcg=/".
 *  - kmm has no kernel threads and no init: every task is a candidate, pid 1
 *    included (Linux never picks global init). A task is its own thread
 *    group, and no other process shares its mm. A machine with no process
 *    at all (a kernel on its own, as the allocator examples use) has nothing
 *    to choose from: the OOM killer stays silent and the allocation fails;
 *    Linux, which always has init, would panic there. With processes of
 *    which none may be killed (all at oom_score_adj -1000) kmm panics as
 *    Linux does.
 *  - kmm's tasks run only when a caller drives them, so the reaper always
 *    reaches a victim before the victim could exit by itself: it runs at
 *    once (Linux 6.12 waits 2 s, and prints nothing when the victim exited
 *    first) and its line is printed for every victim. A victim other than
 *    the current task then exits at once (the reaper takes its mmap_lock
 *    by trylock, as Linux's does; if that fails its memory goes at its
 *    exit); the current task is reaped and exits when its fault or system
 *    call returns (task_return_to_user), having had ALLOC_OOM access to the
 *    reserves in between.
 *  - panic() stops the machine (m->halted), never the host; dump_stack()
 *    prints kmm's function names without offsets, as warn_alloc does.
 *  - The header's gfp_mask is what the allocation really asked for. A user
 *    page fault in kmm asks GFP_HIGHUSER_MOVABLE (0x100cca); Linux 6.12's
 *    folio allocation adds __GFP_COMP|__GFP_ZERO (0x140dca). kmm zeroes user
 *    pages through the MMU's window rather than the allocator's kmap, which
 *    on i386 costs a host mapping per page.
 *
 * Invariant (oom_check): after any operation returns, no live task is an OOM
 * victim, and a machine is halted exactly when it holds a panic message.
 *
 * Locking (docs/locking.md has the reasoning): os->oom_lock is try-locked
 * (contention means another thread is killing for us: progress); inside
 * procs_enter(), the choice and the report run under tasklist_lock (counters
 * are atomics); then, with tasklist_lock dropped, the victim is reaped under
 * its mmap_read_lock (trylock) and exits. Never called with a PTE lock,
 * zone->lock or slab lock held.
 */
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/events.h"
#include "mm/include/swap.h"
#include "mm/include/mm.h"
#include "mm/include/oom.h"
#include "mm/internal.h"
#include "mm/include/slab.h"

#define K(pages) ((unsigned long)(pages) << (PAGE_SHIFT - 10))

#define OOM_RATELIMIT_INTERVAL_NS (5ull * 1000000000ull)	/* DEFAULT_RATELIMIT_INTERVAL */
#define OOM_RATELIMIT_BURST 10

static const char *const oom_constraint_text[] = {
	[CONSTRAINT_NONE] = "CONSTRAINT_NONE",
	[CONSTRAINT_CPUSET] = "CONSTRAINT_CPUSET",
	[CONSTRAINT_MEMORY_POLICY] = "CONSTRAINT_MEMORY_POLICY",
	[CONSTRAINT_MEMCG] = "CONSTRAINT_MEMCG",
};

/* ---- Badness ---- */

unsigned long oom_totalpages(struct kmm_machine *m)
{
	return (unsigned long)atomic_load(&m->totalram_pages) + total_swap_pages(m);
}

static unsigned long mm_pgtables_bytes(const struct mm_struct *mm)
{
	return pgtable_nr_tables(&mm->pgt) * PAGE_SIZE;
}

long oom_badness(struct task_struct *p, unsigned long totalpages)
{
	/*
	 * Read without tasklist_lock (a /proc reader's oom_score): exit_mm()
	 * stores both with relaxed atomics. That reader holds the task's mm
	 * (get_task_mm()), so an exit meanwhile leaves the mm read valid.
	 */
	struct mm_struct *mm = __atomic_load_n(&p->mm, __ATOMIC_RELAXED);
	long points, adj;

	/* find_lock_task_mm() found no mm: nothing to free by killing it */
	if (__atomic_load_n(&p->state, __ATOMIC_RELAXED) == TASK_DEAD || !mm)
		return LONG_MIN;
	adj = task_oom_score_adj(p);
	if (adj == OOM_SCORE_ADJ_MIN || atomic_load(&mm->oom_skip))
		return LONG_MIN;
	/* The proportion of RAM that the task's rss, page tables and swap use. */
	points = (long)get_mm_rss(mm) + get_mm_counter(mm, MM_SWAPENTS) +
		 (long)(mm_pgtables_bytes(mm) / PAGE_SIZE);
	/* Normalise to oom_score_adj units (integer division: a no-op below 1000 pages). */
	adj *= (long)(totalpages / 1000);
	return points + adj;
}

unsigned long oom_score(struct task_struct *p)
{
	unsigned long totalpages = oom_totalpages(p->machine);
	long badness = oom_badness(p, totalpages);

	/* proc_oom_score(): -1000 shows 0, everything else is scaled into 0..2000 */
	if (badness == LONG_MIN)
		return 0;
	return (unsigned long)((1000 + badness * 1000 / (long)totalpages) * 2 / 3);
}

/* oom_evaluate_task(): 0 to go on, 1 to abort (an undead victim). */
static int oom_evaluate_task(struct task_struct *task, struct oom_control *oc)
{
	long points;

	if (task->state == TASK_DEAD || !task->mm)
		return 0;
	/*
	 * A victim still dying has the reserves and will free its memory:
	 * no second kill unless the reaper already gave up on it.
	 */
	if (atomic_load(&task->oom_victim)) {
		if (atomic_load(&task->mm->oom_skip))
			return 0;
		oc->chosen = (struct task_struct *)-1L;
		return 1;
	}
	points = oom_badness(task, oc->totalpages);
	if (points == LONG_MIN || points < oc->chosen_points)
		return 0;
	oc->chosen = task;
	oc->chosen_points = points;
	return 0;
}

static void select_bad_process(struct oom_control *oc)
{
	struct list_head *pos;

	oc->chosen_points = LONG_MIN;
	list_for_each(pos, &procs_of(oc->m)->tasks)
		if (oom_evaluate_task(list_entry(pos, struct task_struct, tasks), oc))
			break;
}

struct task_struct *oom_would_choose(struct kmm_machine *m, long *points)
{
	struct oom_control oc = { .m = m, .gfp_mask = GFP_KERNEL, .order = 0 };

	oc.totalpages = oom_totalpages(m);
	int token = procs_enter(m);
	tasklist_lock(m);
	select_bad_process(&oc);
	tasklist_unlock(m);
	procs_exit(m, token);
	if (points)
		*points = oc.chosen_points;
	return oc.chosen;
}

/* ---- The report ---- */

static bool has_memcg(const struct kmm_machine *m)
{
	return !kmm_arch_is_32(m);	/* Debian's x86_64 kernel: CONFIG_MEMCG=y; i386 defconfig: not set */
}

/* dump_stack(): the CPU line and kmm's own frames, innermost first, without offsets. */
static void dump_stack(struct kmm_machine *m, const char *top)
{
	struct task_struct *cur = current_task();

	kmm_printk(m, "CPU: %d UID: %u PID: %d Comm: %s Not tainted 6.12.0-kmm #1", kmm_this_cpu(m),
		   cur ? cur->uid : 0, cur ? cur->pid : 0, kmm_comm(m));
	kmm_printk(m, "Call Trace:\n <TASK>\n%s __alloc_pages_may_oom\n __alloc_pages_slowpath\n"
		   " __alloc_pages\n kmm_alloc_pages\n </TASK>", top);
}

/* should_dump_unreclaim_slab(): unreclaimable slab larger than all LRU pages. */
static bool should_dump_unreclaim_slab(struct kmm_machine *m)
{
	unsigned long nr_lru = 0;

	for (int i = NR_LRU_BASE; i <= NR_UNEVICTABLE; i++)
		nr_lru += global_node_page_state(m, (enum node_stat_item)i);
	return (global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B) >> PAGE_SHIFT) > nr_lru;
}

static void dump_tasks(struct oom_control *oc)
{
	struct list_head *pos;

	kmm_printk(oc->m, "Tasks state (memory values in pages):");
	kmm_printk(oc->m, "[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem "
		   "pgtables_bytes swapents oom_score_adj name");
	list_for_each(pos, &procs_of(oc->m)->tasks) {
		struct task_struct *t = list_entry(pos, struct task_struct, tasks);
		struct mm_struct *mm = t->mm;

		if (t->state == TASK_DEAD || !mm)
			continue;
		kmm_printk(oc->m, "[%7d] %5u %5d %8lu %8lu %8ld %8ld %9ld %8lu %8ld         %5d %s",
			   t->pid, t->uid, t->pid, mm_total_vm(mm), get_mm_rss(mm),
			   get_mm_counter(mm, MM_ANONPAGES), get_mm_counter(mm, MM_FILEPAGES),
			   get_mm_counter(mm, MM_SHMEMPAGES), mm_pgtables_bytes(mm),
			   get_mm_counter(mm, MM_SWAPENTS), task_oom_score_adj(t), t->comm);
	}
}

static void dump_header(struct oom_control *oc, const char *caller)
{
	struct kmm_machine *m = oc->m;
	struct task_struct *cur = current_task();
	char flags[256];

	kmm_gfp_format(flags, sizeof(flags), oc->gfp_mask);
	kmm_printk(m, "%s invoked oom-killer: gfp_mask=%#x(%s), order=%d, oom_score_adj=%d",
		   kmm_comm(m), oc->gfp_mask, flags, oc->order, cur ? task_oom_score_adj(cur) : 0);
	char frames[96];

	snprintf(frames, sizeof(frames), " dump_header\n%s out_of_memory\n", caller);
	dump_stack(m, frames);
	show_mem(m, gfp_zone_m(m, oc->gfp_mask));
	if (should_dump_unreclaim_slab(m))
		dump_unreclaimable_slab(m);
	if (__atomic_load_n(&oom_state_of(m)->oom_dump_tasks, __ATOMIC_RELAXED))
		dump_tasks(oc);
}

static void dump_oom_victim(struct oom_control *oc, struct task_struct *victim)
{
	struct kmm_machine *m = oc->m;

	kmm_printk(m, "oom-kill:constraint=%s,nodemask=(null),cpuset=/,mems_allowed=%s%d%s,"
		   "task=%s,pid=%d,uid=%u", oom_constraint_text[oc->constraint],
		   m->nr_node_ids > 1 ? "0-" : "", m->nr_node_ids > 1 ? m->nr_node_ids - 1 : 0,
		   has_memcg(m) ? ",global_oom,task_memcg=/" : "", victim->comm, victim->pid,
		   victim->uid);
}

/* ---- Panic ---- */

void kmm_panic(struct kmm_machine *m, const char *fmt, ...)
{
	struct oom_state *os = oom_state_of(m);
	char msg[sizeof(os->panic_msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (atomic_exchange(&m->halted, true))
		return;		/* the first panic stopped the machine already */
	snprintf(os->panic_msg, sizeof(os->panic_msg), "%s", msg);
	kmm_printk(m, "Kernel panic - not syncing: %s", msg);
	struct task_struct *cur = current_task();
	kmm_printk(m, "CPU: %d UID: %u PID: %d Comm: %s Not tainted 6.12.0-kmm #1", kmm_this_cpu(m),
		   cur ? cur->uid : 0, cur ? cur->pid : 0, kmm_comm(m));
	kmm_printk(m, "Call Trace:\n <TASK>\n panic\n out_of_memory\n __alloc_pages_may_oom\n"
		   " __alloc_pages_slowpath\n __alloc_pages\n kmm_alloc_pages\n </TASK>");
	kmm_printk(m, "Kernel Offset: disabled");
	kmm_printk(m, "---[ end Kernel panic - not syncing: %s ]---", msg);
}

/* check_panic_on_oom(): vm.panic_on_oom 1 panics on global OOMs, 2 on all. */
static bool check_panic_on_oom(struct oom_control *oc)
{
	int mode = __atomic_load_n(&oom_state_of(oc->m)->panic_on_oom, __ATOMIC_RELAXED);

	if (!mode)
		return false;
	if (mode != 2 && oc->constraint != CONSTRAINT_NONE)
		return false;
	dump_header(oc, " check_panic_on_oom\n");
	kmm_panic(oc->m, "Out of memory: %s panic_on_oom is enabled",
		  mode == 2 ? "compulsory" : "system-wide");
	return true;
}

/* ---- Killing and reaping ---- */

/*
 * oom_reap_task_mm(): unmap every private mapping of @t (anonymous memory,
 * COW copies, private file pages), the memory the victim would only give
 * back at exit. Shared mappings stay (their pages belong to the page cache).
 * Context: @mm's mmap_lock held for read (faults may run meanwhile: zap and
 * fault meet under each PTE table's lock, as with Linux's reaper).
 */
static void oom_reap_task_mm(struct kmm_machine *m, struct task_struct *t, struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	VMA_ITERATOR(vmi, mm, 0);

	if (atomic_load(&mm->oom_skip))
		return;
	for_each_vma(vmi, vma) {
		if (vma->vm_flags & (VM_HUGETLB | VM_PFNMAP))
			continue;
		if (vma_is_anonymous(vma) || !(vma->vm_flags & VM_SHARED))
			zap_page_range_single(vma, vma->vm_start, vma->vm_end - vma->vm_start);
	}
	kmm_printk(m, "oom_reaper: reaped process %d (%s), now anon-rss:%lukB, file-rss:%lukB, "
		   "shmem-rss:%lukB", t->pid, t->comm, K(get_mm_counter(mm, MM_ANONPAGES)),
		   K(get_mm_counter(mm, MM_FILEPAGES)), K(get_mm_counter(mm, MM_SHMEMPAGES)));
	atomic_store(&mm->oom_skip, true);	/* MMF_OOM_SKIP: hidden from the OOM killer now */
}

/*
 * The victim @t goes: the reaper takes its private memory (when its
 * mmap_lock can be had for reading now, or always when @wait), then it dies
 * of its SIGKILL. Context: no tasklist_lock; see docs/locking.md.
 */
static void reap_and_kill(struct task_struct *t, bool wait)
{
	struct kmm_machine *m = t->machine;
	struct mm_struct *mm = get_task_mm(t);

	if (mm) {
		if (wait)
			mmap_read_lock(mm);
		if (wait || mmap_read_trylock(mm)) {
			oom_reap_task_mm(m, t, mm);
			mmap_read_unlock(mm);
		}
		mmput(mm);
	}
	kill_task(t, KMM_SIGKILL, 0, 0);
}

/* procs->oom_victim_exit: the current task leaves its call as an OOM victim. */
static void oom_victim_exit(struct task_struct *t)
{
	if (t->state != TASK_DEAD)
		reap_and_kill(t, true);
}

/* mark_oom_victim(): SIGKILL pending, access to the ALLOC_OOM reserves. */
static void mark_oom_victim(struct task_struct *t)
{
	atomic_store(&t->oom_victim, true);
	if (t == current_task())
		kmm_set_current_oom_victim(true);
	trace_mark_victim(t->machine, t->pid);
}

/* __oom_kill_process()'s first half, under tasklist_lock: count, mark, report. */
static bool __oom_kill_process(struct oom_control *oc, struct task_struct *victim,
			       const char *message)
{
	struct kmm_machine *m = oc->m;
	struct mm_struct *mm = victim->mm;

	if (victim->state == TASK_DEAD || !mm) {
		kmm_printk(m, "%s: OOM victim %d (%s) is already exiting. Skip killing the task",
			   message, victim->pid, victim->comm);
		return false;
	}
	count_vm_event(m, OOM_KILL);
	mark_oom_victim(victim);
	kmm_printk(m, "%s: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB, "
		   "shmem-rss:%lukB, UID:%u pgtables:%lukB oom_score_adj:%d", message, victim->pid,
		   victim->comm, K(mm_total_vm(mm)), K(get_mm_counter(mm, MM_ANONPAGES)),
		   K(get_mm_counter(mm, MM_FILEPAGES)), K(get_mm_counter(mm, MM_SHMEMPAGES)),
		   victim->uid, mm_pgtables_bytes(mm) >> 10, task_oom_score_adj(victim));
	return true;
}

static bool oom_kill_process(struct oom_control *oc, const char *message)
{
	struct oom_state *os = oom_state_of(oc->m);
	struct task_struct *victim = oc->chosen;

	if (kmm_ratelimit_ok(oc->m, &os->oom_rs, OOM_RATELIMIT_INTERVAL_NS, OOM_RATELIMIT_BURST,
			     "oom_kill_process")) {
		dump_header(oc, " oom_kill_process\n");
		dump_oom_victim(oc, victim);
	}
	return __oom_kill_process(oc, victim, message);
}

static bool has_live_task(struct kmm_machine *m)
{
	struct list_head *pos;

	list_for_each(pos, &procs_of(m)->tasks)
		if (list_entry(pos, struct task_struct, tasks)->mm)
			return true;
	return false;
}

bool out_of_memory(struct oom_control *oc)
{
	struct kmm_machine *m = oc->m;
	struct oom_state *os = oom_state_of(m);
	struct task_struct *cur = current_task(), *victim = NULL;
	bool ret;

	if (!os || atomic_load(&m->halted) || !procs_of(m))
		return false;
	/* Linux's oom_lock: if another thread is killing, it makes progress for us. */
	if (!spin_trylock(&os->oom_lock))
		return true;
	int token = procs_enter(m);
	tasklist_lock(m);
	/*
	 * No process at all: a kernel on its own (allocator experiments). There
	 * is nothing to choose from; the allocation just fails, as it did before
	 * the OOM killer existed. (Linux always has init, and would panic.)
	 */
	if (!has_live_task(m)) {
		ret = false;
		goto out;
	}
	/* A dying current task goes first: let it allocate and exit. */
	if (cur && atomic_load(&cur->oom_victim)) {
		ret = true;
		goto out;
	}
	/* The OOM killer does not compensate for IO-less reclaim. */
	if (!(oc->gfp_mask & __GFP_FS)) {
		ret = true;
		goto out;
	}
	oc->constraint = CONSTRAINT_NONE;
	oc->totalpages = oom_totalpages(m);
	if (check_panic_on_oom(oc)) {
		ret = false;
		goto out;
	}
	if (__atomic_load_n(&os->oom_kill_allocating_task, __ATOMIC_RELAXED) && cur && cur->mm &&
	    cur->state != TASK_DEAD && task_oom_score_adj(cur) != OOM_SCORE_ADJ_MIN) {
		oc->chosen = cur;
		if (oom_kill_process(oc, "Out of memory (oom_kill_allocating_task)"))
			victim = cur;
		ret = true;
		goto out;
	}
	oc->chosen = NULL;
	select_bad_process(oc);
	if (!oc->chosen) {
		dump_header(oc, "");
		kmm_printk(m, "Out of memory and no killable processes...");
		kmm_panic(m, "System is deadlocked on memory");
		ret = false;
		goto out;
	}
	if (oc->chosen != (struct task_struct *)-1L && oom_kill_process(oc, "Out of memory"))
		victim = oc->chosen;
	ret = true;
out:
	tasklist_unlock(m);
	/*
	 * queue_oom_reaper(): the current task is in the middle of a fault or
	 * system call on its own mm and is reaped when it returns
	 * (task_return_to_user); any other victim is reaped and exits now.
	 */
	if (victim && victim != cur)
		reap_and_kill(victim, false);
	procs_exit(m, token);
	spin_unlock(&os->oom_lock);
	return ret;
}

void pagefault_out_of_memory(struct kmm_machine *m)
{
	struct oom_state *os = oom_state_of(m);

	if (kmm_ratelimit_ok(m, &os->pfoom_rs, OOM_RATELIMIT_INTERVAL_NS, OOM_RATELIMIT_BURST,
			     "pagefault_out_of_memory"))
		kmm_printk(m, "Huh VM_FAULT_OOM leaked out to the #PF handler. Retrying PF");
}

/* ---- The layer ---- */

/* m->oom: the allocator's __alloc_pages_may_oom() calls this. */
static bool oom_hook(struct kmm_machine *m, gfp_t gfp, unsigned int order)
{
	struct oom_control oc = { .m = m, .gfp_mask = gfp, .order = (int)order };

	return out_of_memory(&oc);
}

static int oom_check(struct kmm_machine *m)
{
	struct oom_state *os = oom_state_of(m);
	struct kmm_procs *p = procs_of(m);
	struct list_head *pos;
	int err = 0;

	if (!os)
		return 0;
	if (atomic_load(&m->halted) != (os->panic_msg[0] != 0))
		return kmm_set_error(-EUCLEAN, "oom: halted is %d but the panic message is \"%s\"",
				     (int)atomic_load(&m->halted), os->panic_msg);
	if (os->overcommit_memory < 0 || os->overcommit_memory > 2 || os->panic_on_oom < 0 ||
	    os->panic_on_oom > 2)
		return kmm_set_error(-EUCLEAN, "oom: sysctl out of range (overcommit_memory %d, "
				     "panic_on_oom %d)", os->overcommit_memory, os->panic_on_oom);
	if (!p)
		return 0;
	/* Stop the world so that no call is half-way (a current victim dies as it returns). */
	bool stopped = procs_stop(m) == 0;
	list_for_each(pos, &p->tasks) {
		struct task_struct *t = list_entry(pos, struct task_struct, tasks);

		int adj = task_oom_score_adj(t);

		if (adj < OOM_SCORE_ADJ_MIN || adj > OOM_SCORE_ADJ_MAX) {
			err = kmm_set_error(-EUCLEAN, "oom: process %d has oom_score_adj %d", t->pid, adj);
			break;
		}
		/* A victim never outlives the call that chose it. */
		if (stopped && atomic_load(&t->oom_victim) && t->state != TASK_DEAD) {
			err = kmm_set_error(-EUCLEAN, "oom: OOM victim %d (%s) is still alive", t->pid,
					    t->comm);
			break;
		}
	}
	if (stopped)
		procs_resume(m);
	return err;
}

static void oom_shutdown(struct kmm_machine *m)
{
	struct kmm_procs *p = procs_of(m);

	if (p) {
		p->vm_enough_memory = NULL;
		p->overcommit_policy = NULL;
		p->pagefault_oom = NULL;
		p->oom_victim_exit = NULL;
	}
	m->oom = NULL;
	free(m->subsys[SUBSYS_OOM]);
	m->subsys[SUBSYS_OOM] = NULL;
}

static int oom_init(struct kmm_machine *m)
{
	struct oom_state *os = calloc(1, sizeof(*os));
	struct kmm_procs *p = procs_of(m);

	if (!os)
		return kmm_set_error(-ENOMEM, "oom: out of memory for the layer's state");
	spin_lock_init(&os->oom_lock);
	spin_lock_init(&os->rs_lock);
	os->oom_dump_tasks = 1;
	m->subsys[SUBSYS_OOM] = os;
	overcommit_init(m);
	if (p) {
		p->pagefault_oom = pagefault_out_of_memory;
		p->oom_victim_exit = oom_victim_exit;
	}
	m->oom = oom_hook;
	return 0;
}

/* A write of overcommit_ratio zeroes overcommit_kbytes, and the other way round (mm/util.c). */
static void overcommit_ratio_changed(struct kmm_machine *m)
{
	__atomic_store_n(&oom_state_of(m)->overcommit_kbytes, 0UL, __ATOMIC_RELAXED);
}

static void overcommit_kbytes_changed(struct kmm_machine *m)
{
	__atomic_store_n(&oom_state_of(m)->overcommit_ratio, 0, __ATOMIC_RELAXED);
}

#define OOM_ROW(name, field, handler, lo, hi, hook)                                      \
	{ .procname = "vm/" name, .offset = offsetof(struct oom_state, field), .maxlen = 1, \
	  .mode = 0644, .proc_handler = handler, .extra1 = lo, .extra2 = hi, .changed = hook }

/*
 * mm/util.c's and mm/oom_kill.c's vm.* files. overcommit_memory and
 * panic_on_oom take 0..2 (proc_dointvec_minmax); oom_kill_allocating_task
 * and oom_dump_tasks any int (proc_dointvec: non-zero is on); the kbytes
 * files an unsigned long (proc_doulongvec_minmax: no minus sign). Stricter
 * than Linux: a negative overcommit_ratio is refused (Linux stores it and
 * computes a meaningless CommitLimit).
 */
static const struct ctl_table oom_sysctls[] = {
	OOM_ROW("overcommit_memory", overcommit_memory, proc_dointvec_minmax, 0, 2, NULL),
	OOM_ROW("overcommit_ratio", overcommit_ratio, proc_dointvec_minmax, 0, INT_MAX,
		overcommit_ratio_changed),
	OOM_ROW("overcommit_kbytes", overcommit_kbytes, proc_doulongvec_minmax, 0, 0,
		overcommit_kbytes_changed),
	OOM_ROW("admin_reserve_kbytes", admin_reserve_kbytes, proc_doulongvec_minmax, 0, 0, NULL),
	OOM_ROW("user_reserve_kbytes", user_reserve_kbytes, proc_doulongvec_minmax, 0, 0, NULL),
	OOM_ROW("panic_on_oom", panic_on_oom, proc_dointvec_minmax, 0, 2, NULL),
	OOM_ROW("oom_kill_allocating_task", oom_kill_allocating_task, proc_dointvec_minmax,
		INT_MIN, INT_MAX, NULL),
	OOM_ROW("oom_dump_tasks", oom_dump_tasks, proc_dointvec_minmax, INT_MIN, INT_MAX, NULL),
	{ 0 },
};

const struct kmm_subsys oom_subsys = {
	.name = "oom",
	.id = SUBSYS_OOM,
	.init = oom_init,
	.check = oom_check,
	.shutdown = oom_shutdown,
	.sysctls = oom_sysctls,
};
