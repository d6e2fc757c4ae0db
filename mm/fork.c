// SPDX-License-Identifier: MIT
/*
 * mm/fork.c - tasks: the task table, spawn, fork with copy-on-write, exit,
 * kill; and the process layer's init and shutdown.
 *
 * Linux counterpart: kernel/fork.c (dup_mm, dup_mmap), mm/memory.c
 * (copy_page_range, copy_present_pte, copy_present_page), kernel/exit.c
 * (do_exit -> exit_mm -> mmput).
 * Kept: VM_DONTCOPY VMAs are skipped (and unaccounted) in the child;
 * VM_LOCKED is not inherited; VMAs without an anon_vma (file and shmem
 * mappings that can refault) get no PTEs copied; private writable PTEs are
 * write-protected in parent and child, pages shared with an extra reference
 * and mapcount; anonymous pages that may be DMA-pinned are copied at fork
 * when the parent has ever pinned (MMF_HAS_PINNED); child PTEs are old, and
 * clean in shared mappings.
 * Simplified: a dead task stays as a zombie holding its exit status until
 * kmm_task_release(); it has no memory by then. Of the credentials and
 * limits (kernel/sys.c do_prlimit, kernel/capability.c): the sixteen
 * resource limits and the capabilities; a task from nothing is root (every
 * capability) with INIT_RLIMITS (fork_init()'s NPROC and SIGPENDING from
 * the machine's memory), fork copies both, exec keeps both.
 *
 * Locking: every entry point runs inside procs_enter(). fork holds the
 * parent's mmap_write_lock() with every parent VMA write-locked (no fault of
 * the parent runs meanwhile), then the child's; each parent entry is copied
 * under its PTE table's lock, the child table's nested inside. The task list,
 * pids and t->mm change under tasklist_lock; an exiting task drops its mm
 * after leaving the list's lock, so mmput() runs with no process lock held.
 *
 * Events: each process call (spawn, fork, exec, exit, kill, release) is its
 * body (__do_sys_NAME) between trace_sys_enter() and trace_sys_exit() on
 * the machine's stream (mm/events.c), which also charge its virtual time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/kstrtox.h"
#include "mm/include/boot_options.h"
#include "mm/include/highmem.h"
#include "mm/include/kconfig.h"
#include "mm/include/mm.h"
#include "mm/include/slab.h"
#include "mm/include/swap.h"
#include "mm/internal.h"

/* ---- current ---- */

static _Thread_local struct task_struct *current_tsk;

struct task_struct *current_task(void)
{
	return current_tsk;
}

struct task_struct *set_current_task(struct task_struct *t)
{
	struct task_struct *prev = current_tsk;

	current_tsk = t;
	kmm_set_task_comm(t ? t->comm : NULL);
	kmm_set_current_oom_victim(t && atomic_load(&t->oom_victim));
	return prev;
}

void task_return_to_user(struct task_struct *t)
{
	struct kmm_procs *p;

	if (!t || !atomic_load(&t->oom_victim) || t->state == TASK_DEAD)
		return;
	p = procs_of(t->machine);
	if (p->oom_victim_exit)
		p->oom_victim_exit(t);
	else
		kill_task(t, KMM_SIGKILL, 0, 0);
}

void task_leave(struct task_struct *prev)
{
	task_return_to_user(current_tsk);
	set_current_task(prev);
}

/* ---- The task table ---- */

static void task_free(struct task_struct *t);

static int proc_objects_make(struct kmm_machine *m, struct kmm_procs *p);

struct task_struct *task_alloc(struct kmm_machine *m, const char *comm, struct task_struct *parent)
{
	struct kmm_procs *p = procs_of(m);

	/* proc_caches=lazy: the first task makes the caches and the zero page. */
	if (unlikely(!atomic_load_explicit(&p->objects_ready, memory_order_acquire)) &&
	    proc_objects_make(m, p))
		return NULL;
	struct task_struct *t = kmem_cache_zalloc(p->task_struct_cachep, GFP_KERNEL);

	if (!t)
		return NULL;
	tasklist_lock(m);
	t->pid = p->next_pid++;
	t->machine = m;
	snprintf(t->comm, sizeof(t->comm), "%s", comm ? comm : "task");
	t->parent = parent;
	t->oom_score_adj = parent ? parent->oom_score_adj : 0;
	t->uid = parent ? parent->uid : 0;
	/* copy_signal() copies the limits; capabilities go with the credentials */
	for (int r = 0; r < KMM_RLIM_NLIMITS; r++) {
		t->rlim[r].rlim_cur = parent ? task_rlimit(parent, r) : p->init_rlim[r].rlim_cur;
		t->rlim[r].rlim_max = parent ? task_rlimit_max(parent, r) : p->init_rlim[r].rlim_max;
	}
	if (parent) {
		t->cap_effective = __atomic_load_n(&parent->cap_effective, __ATOMIC_RELAXED);
		t->cap_permitted = __atomic_load_n(&parent->cap_permitted, __ATOMIC_RELAXED);
		t->cap_inheritable = __atomic_load_n(&parent->cap_inheritable, __ATOMIC_RELAXED);
		t->cap_ambient = __atomic_load_n(&parent->cap_ambient, __ATOMIC_RELAXED);
		t->cap_bset = __atomic_load_n(&parent->cap_bset, __ATOMIC_RELAXED);
	} else {	/* init's children: root, every capability, none inheritable or ambient */
		t->cap_effective = t->cap_permitted = t->cap_bset = CAP_FULL_SET;
	}
	t->state = TASK_RUNNING;
	atomic_init(&t->usage, 1);
	INIT_LIST_HEAD(&t->children);
	INIT_LIST_HEAD(&t->comm_node);
	if (parent)
		list_add_tail(&t->sibling, &parent->children);
	else
		INIT_LIST_HEAD(&t->sibling);
	list_add_tail(&t->tasks, &p->tasks);
	int err = task_index_add(t);
	tasklist_unlock(m);
	if (err) {
		task_free(t);	/* unlinks it, drops the list's reference: freed */
		return NULL;
	}
	return t;
}

/* Forget @t; its children are reparented (to no one: kmm has no init to adopt them). */
static void task_free(struct task_struct *t)
{
	struct kmm_machine *m = t->machine;

	if (current_tsk == t)
		current_tsk = NULL;
	tasklist_lock(m);
	list_del(&t->tasks);
	list_del_init(&t->sibling);
	while (!list_empty(&t->children)) {
		struct task_struct *c = list_first_entry(&t->children, struct task_struct, sibling);
		c->parent = NULL;
		list_del_init(&c->sibling);
	}
	task_index_del(t);
	tasklist_unlock(m);
	put_task_struct(t);	/* the task list's reference */
}

void put_task_struct(struct task_struct *t)
{
	if (atomic_fetch_sub_explicit(&t->usage, 1, memory_order_acq_rel) == 1)
		kmem_cache_free(procs_of(t->machine)->task_struct_cachep, t);
}

int kmm_task_pid(const struct task_struct *t) { return t->pid; }
const char *kmm_task_comm(const struct task_struct *t) { return t->comm; }
struct kmm_task_exit kmm_task_exit_info(const struct task_struct *t) { return t->exit; }
bool kmm_task_alive(const struct task_struct *t) { return t->state != TASK_DEAD; }

/* ---- Resource limits and capabilities (kernel/sys.c, kernel/capability.c) ---- */

/* The capabilities kmm consults; kmm_task_set_capability() refuses the others. */
static bool cap_modelled(int cap)
{
	return cap == KMM_CAP_IPC_LOCK || cap == KMM_CAP_SYS_RESOURCE;
}

bool kmm_task_capable(const struct task_struct *t, int cap)
{
	return t && cap_modelled(cap) && task_capable(t, cap);
}

/* Write @t's five sets (tasklist_lock held; capable() reads them unlocked). */
static void caps_store(struct task_struct *t, const struct kmm_caps *c)
{
	__atomic_store_n(&t->cap_effective, c->effective, __ATOMIC_RELAXED);
	__atomic_store_n(&t->cap_permitted, c->permitted, __ATOMIC_RELAXED);
	__atomic_store_n(&t->cap_inheritable, c->inheritable, __ATOMIC_RELAXED);
	__atomic_store_n(&t->cap_ambient, c->ambient, __ATOMIC_RELAXED);
	__atomic_store_n(&t->cap_bset, c->bounding, __ATOMIC_RELAXED);
}

int kmm_task_caps(const struct task_struct *t, struct kmm_caps *c)
{
	if (!t)
		return kmm_set_error(-ESRCH, "no such process");
	c->effective = __atomic_load_n(&t->cap_effective, __ATOMIC_RELAXED);
	c->permitted = __atomic_load_n(&t->cap_permitted, __ATOMIC_RELAXED);
	c->inheritable = __atomic_load_n(&t->cap_inheritable, __ATOMIC_RELAXED);
	c->ambient = __atomic_load_n(&t->cap_ambient, __ATOMIC_RELAXED);
	c->bounding = __atomic_load_n(&t->cap_bset, __ATOMIC_RELAXED);
	return 0;
}

int kmm_task_set_capability(struct task_struct *t, int cap, bool on)
{
	struct kmm_caps c;
	uint64_t bit = 1ull << cap;
	int err = 0;

	if (!t)
		return kmm_set_error(-ESRCH, "no such process");
	if (!cap_modelled(cap))
		return kmm_set_error(-EINVAL, "capability %d: kmm models CAP_IPC_LOCK (%d) and "
				     "CAP_SYS_RESOURCE (%d) only", cap, KMM_CAP_IPC_LOCK, KMM_CAP_SYS_RESOURCE);
	tasklist_lock(t->machine);
	if (!kmm_task_alive(t)) {
		err = kmm_set_error(-ESRCH, "process %d is dead", t->pid);
	} else {
		kmm_task_caps(t, &c);
		c.effective = on ? c.effective | bit : c.effective & ~bit;
		c.permitted = on ? c.permitted | bit : c.permitted & ~bit;
		c.inheritable = on ? c.inheritable | bit : c.inheritable & ~bit;
		c.ambient = on ? c.ambient | bit : c.ambient & ~bit;
		c.bounding = on ? c.bounding | bit : c.bounding & ~bit;
		caps_store(t, &c);
	}
	tasklist_unlock(t->machine);
	return err;
}

int kmm_capset(struct task_struct *t, uint64_t effective, uint64_t permitted, uint64_t inheritable)
{
	struct kmm_caps c;
	int err = 0;

	if (!t)
		return kmm_set_error(-ESRCH, "no such process");
	effective &= CAP_FULL_SET;	/* mk_kernel_cap(): only the capabilities that exist */
	permitted &= CAP_FULL_SET;
	inheritable &= CAP_FULL_SET;
	tasklist_lock(t->machine);
	kmm_task_caps(t, &c);
	if (!kmm_task_alive(t))
		err = kmm_set_error(-ESRCH, "process %d is dead", t->pid);
	else if (!(c.effective & (1ull << CAP_SETPCAP)) && (inheritable & ~(c.inheritable | c.permitted)))
		err = kmm_set_error(-EPERM, "capset: inheritable %#llx is not within the old inheritable "
				    "and permitted sets (%#llx) and the process lacks CAP_SETPCAP",
				    (unsigned long long)inheritable,
				    (unsigned long long)(c.inheritable | c.permitted));
	else if (inheritable & ~(c.inheritable | c.bounding))
		err = kmm_set_error(-EPERM, "capset: inheritable %#llx is not within the old inheritable "
				    "and bounding sets", (unsigned long long)inheritable);
	else if (permitted & ~c.permitted)
		err = kmm_set_error(-EPERM, "capset: permitted %#llx is not within the old permitted "
				    "set %#llx", (unsigned long long)permitted, (unsigned long long)c.permitted);
	else if (effective & ~permitted)
		err = kmm_set_error(-EPERM, "capset: effective %#llx is not within the new permitted "
				    "set %#llx", (unsigned long long)effective, (unsigned long long)permitted);
	if (!err) {
		c.effective = effective;
		c.permitted = permitted;
		c.inheritable = inheritable;
		c.ambient &= permitted & inheritable;
		caps_store(t, &c);
	}
	tasklist_unlock(t->machine);
	return err;
}

int kmm_task_setuid(struct task_struct *t, unsigned int uid)
{
	struct kmm_caps c;
	int err = 0;

	if (!t)
		return kmm_set_error(-ESRCH, "no such process");
	tasklist_lock(t->machine);
	if (!kmm_task_alive(t)) {
		err = kmm_set_error(-ESRCH, "process %d is dead", t->pid);
	} else if (t->uid != 0 && uid != t->uid) {
		err = kmm_set_error(-EPERM, "setuid: process %d (uid %u) is not root", t->pid, t->uid);
	} else if (t->uid == 0 && uid != 0) {
		/* cap_emulate_setxuid(): every uid leaves 0, no SECBIT_KEEP_CAPS */
		kmm_task_caps(t, &c);
		c.permitted = c.effective = c.ambient = 0;
		caps_store(t, &c);
		t->uid = uid;
	}
	tasklist_unlock(t->machine);
	return err;
}

/*
 * cap_bprm_creds_from_file() for a file without capabilities or set-id
 * bits: root (handle_privileged_root) gets permitted = bounding |
 * inheritable, then | ambient, all effective; anyone else permitted =
 * effective = ambient. Inheritable, ambient and bounding stay.
 */
static void exec_creds(struct task_struct *t)
{
	struct kmm_caps c;

	tasklist_lock(t->machine);
	kmm_task_caps(t, &c);
	c.permitted = (t->uid == 0 ? c.bounding | c.inheritable : 0) | c.ambient;
	c.effective = t->uid == 0 ? c.permitted : c.ambient;
	caps_store(t, &c);
	tasklist_unlock(t->machine);
}

/*
 * do_prlimit(), a task on itself: EINVAL for a resource Linux has not got
 * or a soft limit above the hard one, EPERM for a NOFILE hard limit above
 * fs.nr_open, then EPERM for a hard limit raised without
 * CAP_SYS_RESOURCE; the old limit read and the new one written under
 * tasklist_lock (Linux: the group leader's task_lock).
 */
static int __do_sys_prlimit(struct task_struct *t, int resource, const struct kmm_rlimit *new_rlim,
			    struct kmm_rlimit *old_rlim)
{
	struct kmm_machine *m = t->machine;
	int err = 0;

	/* a 32-bit kernel keeps unsigned longs: rlim64_to_rlim() makes 2^32 - 1 and up infinite */
	struct kmm_rlimit narrow;
	if (new_rlim && kmm_arch_is_32(m)) {
		narrow = *new_rlim;
		if (narrow.rlim_cur >= 0xffffffffu)
			narrow.rlim_cur = KMM_RLIM_INFINITY;
		if (narrow.rlim_max >= 0xffffffffu)
			narrow.rlim_max = KMM_RLIM_INFINITY;
		new_rlim = &narrow;
	}
	if (resource < 0 || resource >= KMM_RLIM_NLIMITS)
		return kmm_set_error(-EINVAL, "prlimit: resource %d: Linux's are 0..%d", resource,
				     KMM_RLIM_NLIMITS - 1);
	if (new_rlim && new_rlim->rlim_cur > new_rlim->rlim_max)
		return kmm_set_error(-EINVAL, "prlimit: the soft limit %llu is above the hard limit %llu",
				     (unsigned long long)new_rlim->rlim_cur,
				     (unsigned long long)new_rlim->rlim_max);
	if (new_rlim && resource == KMM_RLIMIT_NOFILE && new_rlim->rlim_max > KMM_NR_OPEN)
		return kmm_set_error(-EPERM, "prlimit: RLIMIT_NOFILE's hard limit %llu is above "
				     "fs.nr_open (%u)", (unsigned long long)new_rlim->rlim_max, KMM_NR_OPEN);
	int token = procs_enter(m);
	tasklist_lock(m);
	struct kmm_rlimit *rlim = &t->rlim[resource];
	if (!kmm_task_alive(t))
		err = kmm_set_error(-ESRCH, "process %d is dead", t->pid);
	else if (new_rlim && new_rlim->rlim_max > rlim->rlim_max &&
		 !task_capable(t, KMM_CAP_SYS_RESOURCE))
		err = kmm_set_error(-EPERM, "prlimit: raising the hard limit (%llu to %llu) takes "
				    "CAP_SYS_RESOURCE", (unsigned long long)rlim->rlim_max,
				    (unsigned long long)new_rlim->rlim_max);
	if (!err && old_rlim)
		*old_rlim = *rlim;
	if (!err && new_rlim) {
		__atomic_store_n(&rlim->rlim_cur, new_rlim->rlim_cur, __ATOMIC_RELAXED);
		__atomic_store_n(&rlim->rlim_max, new_rlim->rlim_max, __ATOMIC_RELAXED);
	}
	tasklist_unlock(m);
	procs_exit(m, token);
	return err;
}

int kmm_prlimit(struct task_struct *t, int resource, const struct kmm_rlimit *new_rlim,
		struct kmm_rlimit *old_rlim)
{
	if (!t)
		return kmm_set_error(-ESRCH, "no such process");
	trace_sys_enter(t->machine, t->pid, KMM_SYS_PRLIMIT64, (uint64_t)resource,
			new_rlim ? new_rlim->rlim_cur : 0, new_rlim ? new_rlim->rlim_max : 0);
	int r = __do_sys_prlimit(t, resource, new_rlim, old_rlim);

	trace_sys_exit(t->machine, KMM_SYS_PRLIMIT64, r);
	return r;
}

int kmm_for_each_task(struct kmm_machine *m, int (*fn)(struct task_struct *t, void *arg), void *arg)
{
	struct kmm_procs *p = procs_of(m);
	struct list_head *pos, *n;

	int r = 0;

	if (!p)
		return 0;
	int token = procs_enter(m);
	tasklist_lock(m);
	list_for_each_safe(pos, n, &p->tasks) {
		r = fn(list_entry(pos, struct task_struct, tasks), arg);
		if (r)
			break;
	}
	tasklist_unlock(m);
	procs_exit(m, token);
	return r;
}

/* ---- exit ---- */

void exit_mm(struct task_struct *t)
{
	struct kmm_machine *m = t->machine;
	struct mm_struct *mm;

	tasklist_lock(m);
	mm = t->mm;
	/* relaxed stores: oom_badness() reads both without tasklist_lock (/proc's oom_score) */
	__atomic_store_n(&t->state, TASK_DEAD, __ATOMIC_RELAXED);
	t->exit.exited = true;
	if (mm) {
		update_hiwater(mm);
		t->last_hiwater_rss = __atomic_load_n(&mm->hiwater_rss, __ATOMIC_RELAXED);
		t->last_hiwater_vm = __atomic_load_n(&mm->hiwater_vm, __ATOMIC_RELAXED);
		__atomic_store_n(&t->mm, NULL, __ATOMIC_RELAXED);
	}
	tasklist_unlock(m);
	mmput(mm);
	/* do_exit(): exit_files() after exit_mm() */
	if (procs_of(m)->exit_files)
		procs_of(m)->exit_files(t);
}

static void __do_sys_exit(struct task_struct *t, int code)
{
	if (!t)
		return;
	struct kmm_machine *m = t->machine;
	int token = procs_enter(m);
	if (t->state != TASK_DEAD) {
		t->exit.code = code;
		exit_mm(t);
	}
	procs_exit(m, token);
}

void kmm_exit(struct task_struct *t, int code)
{
	if (!t)
		return;
	trace_sys_enter(t->machine, t->pid, KMM_SYS_EXIT, (uint64_t)code, 0, 0);
	__do_sys_exit(t, code);
	trace_sys_exit(t->machine, KMM_SYS_EXIT, 0);
}

static int __do_sys_kill(struct task_struct *t, int sig)
{
	if (!t)
		return kmm_set_error(-ESRCH, "kill: no such process");
	if (sig <= 0 || sig > 64)
		return kmm_set_error(-EINVAL, "kill: bad signal %d", sig);
	struct kmm_machine *m = t->machine;
	int token = procs_enter(m);
	if (t->state == TASK_DEAD) {
		procs_exit(m, token);
		return kmm_set_error(-ESRCH, "kill: process %d is dead", t->pid);
	}
	kill_task(t, sig, 0, 0);
	procs_exit(m, token);
	return 0;
}

int kmm_kill(struct task_struct *t, int sig)
{
	if (!t)
		return __do_sys_kill(t, sig);
	trace_sys_enter(t->machine, t->pid, KMM_SYS_KILL, (uint64_t)t->pid, (uint64_t)sig, 0);
	int r = __do_sys_kill(t, sig);

	trace_sys_exit(t->machine, KMM_SYS_KILL, r);
	return r;
}

static int __do_sys_wait4(struct task_struct *t)
{
	if (t->state != TASK_DEAD)
		return kmm_set_error(-EBUSY, "process %d is still running", t->pid);
	struct kmm_machine *m = t->machine;
	int token = procs_enter(m);
	task_free(t);
	procs_exit(m, token);
	return 0;
}

int kmm_task_release(struct task_struct *t)
{
	struct kmm_machine *m = t->machine;
	int pid = t->pid;

	trace_sys_enter(m, pid, KMM_SYS_WAIT4, (uint64_t)pid, 0, 0);
	int r = __do_sys_wait4(t);

	trace_sys_exit(m, KMM_SYS_WAIT4, r ? r : pid);
	return r;
}

/* ---- fork ---- */

struct copy_ctx {
	struct vm_area_struct *src, *dst;
	int err;
};

/* copy_present_page(): the child gets its own copy @n of a maybe-pinned page. */
static void copy_pinned(struct copy_ctx *c, unsigned long addr, struct page *page, struct page *n,
			void *dslot)
{
	struct mm_struct *dst = c->dst->vm_mm;
	struct kmm_machine *m = dst->m;

	copy_user_highpage(n, page, addr, c->dst);
	folio_add_new_anon_rmap(n, c->dst, addr);
	pteval_t pte = pfn_pte_geo(dst->pgt.geo, page_to_pfn_m(m, n), c->dst->vm_page_prot) |
		       _PAGE_DIRTY | _PAGE_SOFT_DIRTY;
	if (c->dst->vm_flags & VM_WRITE)
		pte |= _PAGE_RW;
	folio_add_lru(n);
	pte_set(&dst->pgt, dslot, pte);
}

/*
 * copy_nonpresent_pte(): a swap entry (the pressure layer takes a slot
 * reference: swap_duplicate) or the poisoned marker (kept, no slot).
 * Return: 0, or -ENOMEM when no slot reference could be taken.
 */
static int copy_nonpresent(struct mm_struct *dst, void *dslot, pteval_t pte, long *rss)
{
	struct kmm_procs *p = procs_of(dst->m);

	if (!is_poisoned_pte(dst->pgt.geo, pte)) {
		if (p->swap_dup && p->swap_dup(dst->m, pte))
			return -ENOMEM;
		rss[MM_SWAPENTS]++;
	}
	pte_set(&dst->pgt, dslot, pte);
	return 0;
}

/* PageAnon() read in line, as it reads ->mapping (racily: truncation may clear a file page's). */
static inline bool page_is_anon(const struct page *page)
{
	return ((unsigned long)__atomic_load_n(&page->mapping, __ATOMIC_RELAXED) & PAGE_MAPPING_ANON) != 0;
}

/*
 * copy_pte_range(): the entries of one parent table (@nr from @sslot, the
 * first mapping @va) into the child. The child's table is allocated with no
 * lock held, and only when the parent's part has an entry (pte_alloc); the
 * entries are then copied under the parent table's PTE lock and the child's
 * (nested inside it), dropped only to allocate the copy of a maybe-pinned page. What 6.12's copy_present_pte()
 * does per entry is done here in line, without a call: one more reference and
 * mapcount on the page, the parent's entry write-protected for a private
 * writable mapping, the child's old (and clean when shared). The child's RSS
 * counters are added once per table (add_mm_rss_vec), also when the copy
 * stops on an error, so that they match the entries it holds.
 */
static int copy_pte_range(void *arg, uint64_t va, void *sslot, unsigned long nr)
{
	struct copy_ctx *c = arg;
	struct vm_area_struct *svma = c->src;
	struct mm_struct *src = svma->vm_mm, *dst = c->dst->vm_mm;
	struct kmm_pgtable *spt = &src->pgt, *dpt = &dst->pgt;
	const struct pgtable_geometry *geo = spt->geo;
	const struct kmm_machine *m = dst->m;
	bool cow = is_cow_mapping(svma->vm_flags), shared = (svma->vm_flags & VM_SHARED) != 0;
	long rss[NR_MM_COUNTERS] = { 0 };
	struct page *copy = NULL;
	unsigned long i = 0;
	int err = 0;

	while (i < nr && pte_none(pte_get(spt, pte_slot_at(spt, sslot, i))))
		i++;
	if (i == nr)
		return 0;
	void *dslot = pgtable_walk(dpt, va + i * PAGE_SIZE, true, NULL);
	if (!dslot) {
		c->err = -ENOMEM;
		return 1;
	}
	dslot = (char *)dslot - i * (size_t)geo->entry_size;	/* the part's first entry */
	/* the parent's table's lock, then the child's nested (Linux's SINGLE_DEPTH_NESTING) */
	spinlock_t *src_ptl = pte_lockptr(src, sslot), *dst_ptl = pte_lockptr(dst, dslot);
	spin_lock(src_ptl);
	spin_lock(dst_ptl);
	for (; i < nr; i++) {
		void *s = pte_slot_at(spt, sslot, i), *d = pte_slot_at(dpt, dslot, i);
		pteval_t pte = pte_get(spt, s);	/* again after a drop: reclaim may have changed it */

		if (__builtin_expect(copy != NULL, 0) && (pte_none(pte) || !pte_present(pte))) {
			__free_pages(copy, 0);	/* it went while the lock was dropped */
			copy = NULL;
		}
		if (pte_none(pte))
			continue;
		if (!pte_present(pte)) {
			err = copy_nonpresent(dst, d, pte, rss);
			if (err)
				break;
			continue;
		}
		struct page *page = pte_special(pte) ? NULL : pfn_to_page_m(m, pte_pfn_geo(geo, pte));
		if (page) {
			bool anon = page_is_anon(page);

			if (anon && atomic_load(&src->has_pinned) && page_maybe_dma_pinned(page)) {
				if (!copy) {
					/* Allocate with the lock dropped, then look at the entry again. */
					spin_unlock(dst_ptl);
					spin_unlock(src_ptl);
					copy = kmm_alloc_pages(dst->m, procs_of(dst->m)->user_gfp, 0, -1);
					spin_lock(src_ptl);
					spin_lock(dst_ptl);
					if (!copy) {
						err = -ENOMEM;
						break;
					}
					i--;
					continue;
				}
				copy_pinned(c, (unsigned long)va + i * PAGE_SIZE, page, copy, d);
				rss[MM_ANONPAGES]++;
				copy = NULL;
				continue;
			}
			get_page(page);
			/* folio_dup_file_rmap_pte / folio_try_dup_anon_rmap_pte */
			if (atomic_fetch_add_explicit(&page->_mapcount, 1, memory_order_relaxed) == -1)
				folio_count_first_map(page, anon);
			if (anon)
				rss[MM_ANONPAGES]++;
			else
				rss[page_flag_test(page, PG_swapbacked) ? MM_SHMEMPAGES : MM_FILEPAGES]++;
		}
		if (copy) {	/* the page stopped being pinned while the lock was dropped */
			__free_pages(copy, 0);
			copy = NULL;
		}
		if (cow && pte_write(pte)) {
			pte_clear_bits(spt, s, _PAGE_RW);
			pte &= ~(pteval_t)_PAGE_RW;
		}
		if (shared)
			pte &= ~(pteval_t)_PAGE_DIRTY;
		pte_set(dpt, d, pte & ~(pteval_t)_PAGE_ACCESSED);
	}
	spin_unlock(dst_ptl);
	spin_unlock(src_ptl);
	if (copy)
		__free_pages(copy, 0);
	for (int k = 0; k < NR_MM_COUNTERS; k++)
		if (rss[k])
			add_mm_counter(dst, (enum mm_counter)k, rss[k]);
	if (err) {
		c->err = err;
		return 1;
	}
	return 0;
}

/*
 * dup_mmap(): copy @old's VMAs and entries into a new mm for @t.
 * Context: @old's mmap_write_lock() held with every VMA write-locked.
 */
struct mm_struct *dup_mm(struct task_struct *t, struct mm_struct *old)
{
	struct kmm_machine *m = old->m;
	struct mm_struct *mm = mm_alloc(m);
	struct vm_area_struct *src;

	if (!mm)
		return NULL;
	mmap_write_lock(mm);
	mm->start_code = old->start_code;
	mm->end_code = old->end_code;
	mm->start_data = old->start_data;
	mm->end_data = old->end_data;
	mm->start_brk = old->start_brk;
	mm->brk = old->brk;
	mm->start_stack = old->start_stack;
	mm->mmap_base = old->mmap_base;
	mm->task_size = old->task_size;
	/* mm_init(): def_flags & VM_INIT_DEF_MASK - mlockall(MCL_FUTURE) is not inherited */
	mm->def_flags = old->def_flags & ~VM_LOCKED_MASK;
	atomic_store(&mm->has_pinned, false);
	long charge = 0;
	VMA_ITERATOR(vmi, old, 0);
	for_each_vma(vmi, src)
		if ((src->vm_flags & (VM_ACCOUNT | VM_DONTCOPY)) == VM_ACCOUNT)
			charge += (long)vma_pages(src);
	/* dup_mmap(): the child's charge is asked for on the parent's mm */
	if (vm_charge(old, VM_ACCOUNT, charge))
		goto fail;
	if (old->exe_file) {
		mm->exe_file = old->exe_file;
		kmm_file_get(mm->exe_file);
	}
	/* The walk is over the parent's tree, which only the child's insertions below leave alone. */
	vma_iter_init(&vmi, old, 0);
	for_each_vma(vmi, src) {
		struct vm_area_struct *vma;
		if (src->vm_flags & VM_DONTCOPY)
			continue;
		/* vma_iter_prealloc(): vma_insert() below cannot fail */
		if (vma_tree_prealloc(mm) || !(vma = vm_area_alloc(mm)))
			goto fail;
		vma->vm_start = src->vm_start;
		vma->vm_end = src->vm_end;
		vma->vm_flags = src->vm_flags & ~(VM_LOCKED | VM_LOCKONFAULT);
		vma->vm_pgoff = src->vm_pgoff;
		vma->kind = src->kind;
		vma_set_page_prot(vma);
		if (src->anon_vma)
			anon_vma_link(vma, src->anon_vma);
		if (src->vm_file) {
			vma->vm_file = src->vm_file;
			kmm_file_get(src->vm_file);
			sim_write_lock(&src->vm_file->i_mmap_lock);
			list_add_tail(&vma->shared_node, &src->vm_file->i_mmap);
			sim_write_unlock(&src->vm_file->i_mmap_lock);
		}
		vma_insert(mm, vma);
		vm_stat_account(mm, vma->vm_flags, (long)vma_pages(vma));
		/* Mappings that can refault (no anon pages) need no PTE copies. */
		if (!src->anon_vma)
			continue;
		struct copy_ctx c = { src, vma, 0 };
		pgtable_for_each_pte_table(&old->pgt, src->vm_start, src->vm_end, copy_pte_range, &c);
		if (c.err)
			goto fail;
	}
	flush_tlb_mm(old);	/* the parent's writable PTEs are read-only now */
	__atomic_store_n(&mm->hiwater_rss, get_mm_rss(mm), __ATOMIC_RELAXED);
	__atomic_store_n(&mm->hiwater_vm, mm_total_vm(mm), __ATOMIC_RELAXED);
	mmap_write_unlock(mm);
	return mm;
fail:
	flush_tlb_mm(old);
	mmap_write_unlock(mm);
	mmput(mm);
	return NULL;
}

static struct task_struct *__do_sys_fork(struct task_struct *parent, const char *comm)
{
	if (!parent) {
		kmm_set_error(-ESRCH, "fork: no parent");
		return NULL;
	}
	struct kmm_machine *m = parent->machine;
	int token = procs_enter(m);
	struct mm_struct *old = get_task_mm(parent);
	struct vm_area_struct *vma;
	struct task_struct *t = NULL;

	if (!old) {
		procs_exit(m, token);
		kmm_set_error(-ESRCH, "fork: the parent is not running");
		return NULL;
	}
	int err = fork_check_nproc(parent);	/* copy_process's RLIMIT_NPROC (mm/ucount.c) */
	if (err) {
		mmput(old);
		procs_exit(m, token);
		return NULL;
	}
	struct task_struct *prev = set_current_task(parent);
	mmap_write_lock(old);
	VMA_ITERATOR(vmi, old, 0);
	for_each_vma(vmi, vma)
		vma_start_write(vma);	/* no fault of the parent while its entries are copied */
	t = task_alloc(m, comm ? comm : parent->comm, parent);
	kmm_set_error(0, "%s", "");	/* so that a reason dup_mm gives is kept below */
	if (t) {
		struct mm_struct *mm = dup_mm(t, old);
		if (mm) {
			tasklist_lock(m);
			t->mm = mm;
			tasklist_unlock(m);
		} else {
			task_free(t);
			t = NULL;
		}
	}
	mmap_write_unlock(old);
	mmput(old);
	task_leave(prev);	/* an OOM victim chosen meanwhile dies now */
	procs_exit(m, token);
	if (!t) {
		char why[200];

		snprintf(why, sizeof(why), "%s", kmm_last_error()[0] ? kmm_last_error() : "out of memory");
		kmm_set_error(-ENOMEM, "fork: %s", why);
	}
	return t;
}

struct task_struct *kmm_fork(struct task_struct *parent, const char *comm)
{
	if (!parent)
		return __do_sys_fork(parent, comm);
	struct kmm_machine *m = parent->machine;

	trace_sys_enter(m, parent->pid, KMM_SYS_FORK, 0, 0, 0);
	struct task_struct *t = __do_sys_fork(parent, comm);

	trace_sys_exit(m, KMM_SYS_FORK, t ? t->pid : kmm_last_errno());
	return t;
}

/* ---- spawn ---- */

static struct task_struct *__do_sys_spawn(struct kmm_machine *m, const char *comm)
{
	char path[48];
	struct kmm_exec_image img = { .text = 8 * PAGE_SIZE, .data = 2 * PAGE_SIZE,
				      .bss = 2 * PAGE_SIZE, .heap = 33 * PAGE_SIZE };

	if (!procs_of(m)) {
		kmm_set_error(-ENODEV, "spawn: the process layer is not initialised");
		return NULL;
	}
	snprintf(path, sizeof(path), "/bin/%s", comm ? comm : "task");
	img.path = path;
	int token = procs_enter(m);
	struct task_struct *t = task_alloc(m, comm, NULL);
	if (!t) {
		procs_exit(m, token);
		kmm_set_error(-ENOMEM, "spawn: out of memory");
		return NULL;
	}
	struct task_struct *prev = set_current_task(t);
	int err = exec_mmap(m, t, &img);
	if (err) {
		set_current_task(prev);
		task_free(t);
		procs_exit(m, token);
		kmm_set_error(err, "spawn: exec failed (%d)", err);
		return NULL;
	}
	task_leave(prev);
	procs_exit(m, token);
	return t;
}

struct task_struct *kmm_spawn(struct kmm_machine *m, const char *comm)
{
	if (!m)
		return __do_sys_spawn(m, comm);
	trace_sys_enter(m, 0, KMM_SYS_SPAWN, 0, 0, 0);
	struct task_struct *t = __do_sys_spawn(m, comm);

	trace_sys_exit(m, KMM_SYS_SPAWN, t ? t->pid : -ENOMEM);
	return t;
}

static int __do_sys_execve(struct task_struct *t, const struct kmm_exec_image *img)
{
	if (!t)
		return kmm_set_error(-ESRCH, "exec: no such process");
	struct kmm_machine *m = t->machine;
	int token = procs_enter(m);
	if (t->state == TASK_DEAD) {
		procs_exit(m, token);
		return kmm_set_error(-ESRCH, "exec: process %d is dead", t->pid);
	}
	struct task_struct *prev = set_current_task(t);
	int err = exec_mmap(m, t, img);
	if (!err)	/* begin_new_exec(): the new credentials, past the point of no return */
		exec_creds(t);
	task_leave(prev);
	procs_exit(m, token);
	return err;
}

int kmm_exec(struct task_struct *t, const struct kmm_exec_image *img)
{
	if (!t)
		return __do_sys_execve(t, img);
	trace_sys_enter(t->machine, t->pid, KMM_SYS_EXECVE, 0, 0, 0);
	int r = __do_sys_execve(t, img);

	trace_sys_exit(t->machine, KMM_SYS_EXECVE, r);
	return r;
}

/* ---- The layer ---- */

/*
 * The caches of the process layer's objects, created as Linux 6.12's boot
 * creates them: mm_struct (mm_cache_init), anon_vma (anon_vma_init),
 * task_struct (fork_init), vm_area_struct (proc_caches_init). An object is
 * the kernel build's size for it (kconfig objsize, from the captures'
 * slabinfo) or kmm's structure, whichever is larger (docs/fidelity.md).
 */
static struct kmem_cache *proc_cache_create(struct kmm_machine *m, const char *name,
					    unsigned int linux_size, size_t kmm_size,
					    unsigned int align, slab_flags_t flags,
					    void (*ctor)(void *))
{
	unsigned int size = linux_size > kmm_size ? linux_size : (unsigned int)kmm_size;

	return kmm_kmem_cache_create(m, name, size, align, flags | SLAB_PANIC | SLAB_ACCOUNT, ctor);
}

static void proc_caches_destroy(struct kmm_procs *p)
{
	kmem_cache_destroy(p->vm_area_cachep);
	kmem_cache_destroy(p->task_struct_cachep);
	kmem_cache_destroy(p->anon_vma_cachep);
	kmem_cache_destroy(p->mm_cachep);
	p->vm_area_cachep = p->task_struct_cachep = p->anon_vma_cachep = p->mm_cachep = NULL;
}

static int proc_caches_init(struct kmm_machine *m, struct kmm_procs *p)
{
	/* Not const: in .bss, not a page of the malloc shim's .rodata (tests/shim_rodata.py). */
	static struct kmm_kconfig none;
	const struct kmm_kconfig *k = m->kconfig ? m->kconfig : &none;

	p->mm_cachep = proc_cache_create(m, "mm_struct", k->objsize.mm_struct,
					 sizeof(struct mm_struct), 0, SLAB_HWCACHE_ALIGN, NULL);
	/* Linux's anon_vma_init(): type-safe by RCU, with a constructor (mm/rmap.c). */
	p->anon_vma_cachep = proc_cache_create(m, "anon_vma", k->objsize.anon_vma,
					       sizeof(struct anon_vma), 0, SLAB_TYPESAFE_BY_RCU,
					       anon_vma_ctor);
	p->task_struct_cachep = proc_cache_create(m, "task_struct", k->objsize.task_struct,
						  sizeof(struct task_struct), 64, 0, NULL);
	p->vm_area_cachep = proc_cache_create(m, "vm_area_struct", k->objsize.vm_area_struct,
					      sizeof(struct vm_area_struct), 0, 0, NULL);
	if (p->mm_cachep && p->anon_vma_cachep && p->task_struct_cachep && p->vm_area_cachep)
		return 0;
	proc_caches_destroy(p);
	return -ENOMEM;
}

/*
 * fork_init()'s limits: set_max_threads(MAX_THREADS) sizes max_threads so
 * that thread stacks could take at most an eighth of memory (the pages
 * memblock estimates free: memory less reserved; THREAD_SIZE 16 KiB on
 * x86_64, 8 KiB on i386), clamped to [MIN_THREADS 20, FUTEX_TID_MASK];
 * init's RLIMIT_NPROC and RLIMIT_SIGPENDING are half of it, and the rest
 * are INIT_RLIMITS (include/asm-generic/resource.h).
 */
static void init_rlimits(struct kmm_machine *m, struct kmm_procs *p)
{
	uint64_t free_bytes = m->memblock.memory.total_size - m->memblock.reserved.total_size;
	uint64_t thread_size = kmm_arch_is_32(m) ? 8192 : 16384;
	uint64_t threads = (free_bytes & PAGE_MASK) / (thread_size * 8);

	if (threads < 20)
		threads = 20;
	if (threads > 0x3fffffff)
		threads = 0x3fffffff;
	p->max_threads = (unsigned long)threads;
	for (int r = 0; r < KMM_RLIM_NLIMITS; r++)
		p->init_rlim[r] = (struct kmm_rlimit){ KMM_RLIM_INFINITY, KMM_RLIM_INFINITY };
	p->init_rlim[KMM_RLIMIT_STACK].rlim_cur = KMM_STK_LIM;
	p->init_rlim[KMM_RLIMIT_CORE].rlim_cur = 0;
	p->init_rlim[KMM_RLIMIT_NPROC] = (struct kmm_rlimit){ threads / 2, threads / 2 };
	p->init_rlim[KMM_RLIMIT_NOFILE] = (struct kmm_rlimit){ 1024, 4096 };	/* INR_OPEN_CUR, _MAX */
	p->init_rlim[KMM_RLIMIT_MEMLOCK] = (struct kmm_rlimit){ KMM_MLOCK_LIMIT, KMM_MLOCK_LIMIT };
	p->init_rlim[KMM_RLIMIT_SIGPENDING] = p->init_rlim[KMM_RLIMIT_NPROC];
	p->init_rlim[KMM_RLIMIT_MSGQUEUE] = (struct kmm_rlimit){ 819200, 819200 };	/* MQ_BYTES_MAX */
	p->init_rlim[KMM_RLIMIT_NICE] = (struct kmm_rlimit){ 0, 0 };
	p->init_rlim[KMM_RLIMIT_RTPRIO] = (struct kmm_rlimit){ 0, 0 };
	const char *v = kmm_boot_option(m, "ignore_rlimit_data");
	bool on = false;

	if (v && !*v)	/* core_param bool: bare is true */
		on = true;
	else if (v && kstrtobool(v, &on))	/* validated at boot: cannot happen */
		on = false;
	p->ignore_rlimit_data = on;
}

static void process_shutdown(struct kmm_machine *m)
{
	struct kmm_procs *p = procs_of(m);
	struct list_head *pos, *n;

	if (!p)
		return;
	list_for_each_safe(pos, n, &p->tasks) {
		struct task_struct *t = list_entry(pos, struct task_struct, tasks);
		exit_mm(t);
		task_free(t);
	}
	task_index_destroy(p);
	procs_srcu_shutdown(p);
	if (p->zero_page)
		__free_pages(p->zero_page, 0);
	sim_mmu_destroy(p->mmu);
	proc_caches_destroy(p);
	free(p->pins);
	free(p);
	m->subsys[SUBSYS_PROCESS] = NULL;
}

/* The zero page and the caches; on failure neither is left. Context: boot, or objects_lock. */
static int proc_objects_init(struct kmm_machine *m, struct kmm_procs *p)
{
	p->zero_page = kmm_alloc_pages(m, GFP_KERNEL | __GFP_ZERO, 0, -1);
	if (!p->zero_page)
		return -ENOMEM;
	p->zero_pfn = page_to_pfn_m(m, p->zero_page);
	if (proc_caches_init(m, p)) {
		__free_pages(p->zero_page, 0);
		p->zero_page = NULL;
		p->zero_pfn = 0;
		return -ENOMEM;
	}
	atomic_store_explicit(&p->objects_ready, true, memory_order_release);
	return 0;
}

/*
 * proc_caches=lazy: make the caches and the zero page for the first task
 * (one thread makes them; the others wait on the lock and find them).
 * Cold: every later task finds objects_ready set.
 */
static __attribute__((noinline, cold)) int proc_objects_make(struct kmm_machine *m,
							     struct kmm_procs *p)
{
	int err = 0;

	spin_lock(&p->objects_lock);
	if (!atomic_load_explicit(&p->objects_ready, memory_order_acquire))
		err = proc_objects_init(m, p);
	spin_unlock(&p->objects_lock);
	if (err)
		kmm_set_error(err, "process: no memory for the process layer's caches");
	return err;
}

/* proc_caches=lazy (kmm only): the caches and the zero page wait for the first task. */
static bool proc_caches_lazy(struct kmm_machine *m)
{
	const char *v = kmm_boot_option(m, "proc_caches");

	return v && !strcmp(v, "lazy");
}

int process_init(struct kmm_machine *m)
{
	struct kmm_procs *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->m = m;
	spin_lock_init(&p->tasklist_lock);
	spin_lock_init(&p->pins_lock);
	spin_lock_init(&p->objects_lock);
	INIT_LIST_HEAD(&p->tasks);
	xa_init(&p->by_pid);
	if (procs_srcu_init(p, m->nr_cpus)) {
		free(p);
		return -ENOMEM;
	}
	p->next_pid = 1;
	p->stack_guard_gap = STACK_GUARD_GAP_PAGES * PAGE_SIZE;
	init_rlimits(m, p);
	p->mmu = sim_mmu_create(&m->ram);
	if (!p->mmu)
		goto out_free;
	/* With ram=anon there is no memory file to map whole: the window is the
	   direct map, so user pages must come from lowmem. */
	p->user_gfp = p->mmu->window_len >= PFN_PHYS(m->max_pfn) ? GFP_HIGHUSER_MOVABLE
								 : (GFP_USER | __GFP_MOVABLE);
	if (!proc_caches_lazy(m) && proc_objects_init(m, p))
		goto out_mmu;
	m->subsys[SUBSYS_PROCESS] = p;
	return 0;
out_mmu:
	sim_mmu_destroy(p->mmu);
out_free:
	procs_srcu_shutdown(p);
	free(p);
	return -ENOMEM;
}

/* ignore_rlimit_data[=BOOL]: may_expand_vm() warns about RLIMIT_DATA but does not refuse. */
static int validate_ignore_rlimit_data(const char *val, char *err, size_t len)
{
	bool on;

	if (val && *val && kstrtobool(val, &on)) {
		snprintf(err, len, "wants " KSTRTOBOOL_WORDS " (bare: on)");
		return -EINVAL;
	}
	return 0;
}

/* proc_caches=eager|lazy (kmm only). */
static int validate_proc_caches(const char *val, char *err, size_t len)
{
	if (val && (!strcmp(val, "eager") || !strcmp(val, "lazy")))
		return 0;
	snprintf(err, len, "expected eager or lazy, not '%s'", val ? val : "");
	return -EINVAL;
}

static void process_boot_options(void)
{
	kmm_register_boot_option("ignore_rlimit_data", validate_ignore_rlimit_data);
	kmm_register_boot_option("proc_caches", validate_proc_caches);
}

/* meminfo's Committed_AS: the charge of every live VM_ACCOUNT mapping. */
static void process_meminfo(struct kmm_machine *m, struct meminfo_extra *x)
{
	x->committed_as += kmm_committed_pages(m);
}

/* The process layer's entry of the subsystem table; its state is procs_of(m). */
const struct kmm_subsys process_subsys = {
	.name = "process",
	.id = SUBSYS_PROCESS,
	.boot_options = process_boot_options,
	.init = process_init,
	.check = process_check,
	.shutdown = process_shutdown,
	.meminfo = process_meminfo,
};
