// SPDX-License-Identifier: MIT
/*
 * mm/mmap_lock.c - the locks of the process layer: SRCU around every entry
 * point (with kmm's stop for the checker), mmap_lock, per-VMA locks, the
 * task list lock, mm references, frees deferred past a grace period, and
 * the accessors through which code outside the process layer reads an mm.
 *
 * Linux counterpart: include/linux/mmap_lock.h and mm/mmap_lock.c
 * (mmap_read_lock, mmap_write_lock, mm_lock_seq), include/linux/mm.h
 * (vma_start_read, vma_start_write, vma_end_read), mm/memory.c
 * (lock_vma_under_rcu), kernel/rcu/srcutree.c (srcu_read_lock,
 * synchronize_srcu: reduced to two counters per CPU slot and one flip),
 * kernel/fork.c (get_task_mm, mmput), kernel/exit.c (tasklist_lock).
 * Simplified: mmap_lock is a host reader/writer lock that prefers writers;
 * the per-VMA lock is one atomic word (readers >= 0, writer -1), released
 * for good by bumping mm_lock_seq at mmap_write_unlock() as in 6.12;
 * lock_vma_under_rcu() finds the VMA through a per-thread cache of the last
 * VMA it locked, validated by mm_lock_seq (Linux walks the maple tree under
 * RCU), and on a miss through a short mmap_read_lock() lookup.
 * Added: procs_stop(), SRCU's writer side made exclusive, so that the
 * checker sees every process at rest.
 *
 * Invariant: a VMA or page-table frame unlinked by a thread is freed only
 * after every SRCU reader that could have reached it has left; a VMA with
 * vm_lock_seq == mm_lock_seq (odd) is write-locked and no reader gets it.
 *
 * Locking: see docs/locking.md; this file implements the outer part of the
 * process layer's order: srcu -> tasklist_lock -> mmap_lock -> vma lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/mm.h"
#include "mm/include/slab.h"
#include "mm/internal.h"

/* ---- SRCU: the read side every entry point takes ---- */

/*
 * This thread's nesting depth in the sections of each machine it is inside
 * (the outermost section of a machine counts). A thread is inside few
 * machines at once, so the table is four entries, an entry free whenever
 * its depth is 0, and a fifth machine nested at once (no caller does) takes
 * an entry from the heap for as long as its section lasts. A table per
 * registry slot (4 KB) was static TLS that every thread of every process
 * that loads kmm zeroed at its start, the malloc shim's included.
 */
struct procs_nest {
	unsigned long serial;		/* the machine's (serials are never reused) */
	int depth;
	struct procs_nest *next;	/* the heap entries only */
};
#define PROCS_NEST_INLINE 4
static _Thread_local struct procs_nest procs_tls[PROCS_NEST_INLINE];
static _Thread_local struct procs_nest *procs_more;
/*
 * How many entries (the table's and the heap's) have a depth: 0 when this
 * thread is in no machine's section, as at every kmm_access() that misses
 * the TLB from outside: then procs_enter() takes the table's first entry
 * without a search (procs_nest_get() looked at all four and the heap list
 * to find none, ~40 instructions a fault).
 */
static _Thread_local int procs_busy;

/* The entry of @m's sections in this thread, a free one if it is in none. */
static struct procs_nest *procs_nest_get(struct kmm_machine *m)
{
	struct procs_nest *free_one = NULL;

	for (int i = 0; i < PROCS_NEST_INLINE; i++) {
		struct procs_nest *e = &procs_tls[i];

		if (e->depth && e->serial == m->serial)
			return e;
		if (!e->depth && !free_one)
			free_one = e;
	}
	for (struct procs_nest *e = procs_more; e; e = e->next)
		if (e->serial == m->serial)
			return e;
	if (!free_one) {
		free_one = calloc(1, sizeof(*free_one));
		if (!free_one)
			sim_bug("no host memory for a fifth machine's nested section");
		free_one->next = procs_more;
		procs_more = free_one;
	}
	free_one->serial = m->serial;
	return free_one;
}

/* How deep this thread is in @m's sections (0: outside them). */
static int procs_nest_depth(struct kmm_machine *m)
{
	for (int i = 0; i < PROCS_NEST_INLINE; i++)
		if (procs_tls[i].depth && procs_tls[i].serial == m->serial)
			return procs_tls[i].depth;
	for (struct procs_nest *e = procs_more; e; e = e->next)
		if (e->serial == m->serial)
			return e->depth;
	return 0;
}

/* @e's section ended with depth 0: a heap entry goes back. */
static void procs_nest_put(struct procs_nest *e)
{
	if (e >= procs_tls && e < procs_tls + PROCS_NEST_INLINE)
		return;
	for (struct procs_nest **pp = &procs_more; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			free(e);
			return;
		}
}

int procs_enter(struct kmm_machine *m)
{
	struct srcu_struct *sp = &procs_of(m)->srcu;
	struct procs_nest *e;
	int cpu;

	if (likely(!procs_busy)) {
		e = &procs_tls[0];	/* in no section: every entry is free */
		e->serial = m->serial;
	} else {
		e = procs_nest_get(m);
	}
	if (e->depth++)
		return -1;	/* nested: the outermost section counts */
	procs_busy++;
	cpu = kmm_this_cpu_inline(m);
	for (;;) {
		int idx = atomic_load_explicit(&sp->idx, memory_order_relaxed) & 1;
		atomic_fetch_add_explicit(&sp->cpu[cpu].count[idx], 1, memory_order_seq_cst);
		if (!atomic_load_explicit(&sp->stopped, memory_order_seq_cst))
			return cpu * 2 + idx;
		/* The checker is stopping the world: back out and wait at the door. */
		atomic_fetch_sub_explicit(&sp->cpu[cpu].count[idx], 1, memory_order_seq_cst);
		while (atomic_load_explicit(&sp->stopped, memory_order_acquire))
			sim_yield();
	}
}

static void synchronize_srcu(struct srcu_struct *sp)
{
	spin_lock(&sp->gp_lock);
	int old = atomic_fetch_add_explicit(&sp->idx, 1, memory_order_seq_cst) & 1;
	for (int c = 0; c < sp->nr_cpus; c++) {
		int spins = 0;
		while (atomic_load_explicit(&sp->cpu[c].count[old], memory_order_seq_cst)) {
			if (++spins > 100) {
				sim_yield();
				spins = 0;
			} else {
				sim_cpu_relax();
			}
		}
	}
	spin_unlock(&sp->gp_lock);
}

/* Free what was unlinked before now, once no reader can still hold it. */
static void flush_deferred(struct kmm_procs *p)
{
	struct list_head vmas, tables;

	INIT_LIST_HEAD(&vmas);
	INIT_LIST_HEAD(&tables);
	spin_lock(&p->deferred_lock);
	list_splice_tail_init(&p->deferred, &vmas);
	list_splice_tail_init(&p->deferred_tables, &tables);
	atomic_store_explicit(&p->nr_deferred, 0, memory_order_relaxed);
	spin_unlock(&p->deferred_lock);
	if (list_empty(&vmas) && list_empty(&tables))
		return;
	synchronize_srcu(&p->srcu);
	while (!list_empty(&vmas)) {
		struct vm_area_struct *vma = list_first_entry(&vmas, struct vm_area_struct, free_node);
		list_del(&vma->free_node);
		kmem_cache_free(p->vm_area_cachep, vma);
	}
	while (!list_empty(&tables)) {
		struct page *page = list_first_entry(&tables, struct page, lru);
		list_del(&page->lru);
		__free_pages(page, 0);
	}
}

void procs_exit(struct kmm_machine *m, int token)
{
	struct kmm_procs *p = procs_of(m);
	struct procs_nest *e = &procs_tls[0];

	/* most often the first entry: procs_enter() takes it outside every section */
	if (!e->depth || e->serial != m->serial)
		e = procs_nest_get(m);
	if (!--e->depth) {
		procs_busy--;
		procs_nest_put(e);
	}
	if (token < 0)
		return;
	atomic_fetch_sub_explicit(&p->srcu.cpu[token >> 1].count[token & 1], 1, memory_order_seq_cst);
	if (atomic_load_explicit(&p->nr_deferred, memory_order_relaxed))
		flush_deferred(p);
}

int procs_stop(struct kmm_machine *m)
{
	struct srcu_struct *sp = &procs_of(m)->srcu;

	if (procs_nest_depth(m))
		return -EDEADLK;
	spin_lock(&sp->gp_lock);
	atomic_store_explicit(&sp->stopped, 1, memory_order_seq_cst);
	for (int c = 0; c < sp->nr_cpus; c++)
		for (int i = 0; i < 2; i++)
			while (atomic_load_explicit(&sp->cpu[c].count[i], memory_order_seq_cst))
				sim_yield();
	return 0;
}

void procs_resume(struct kmm_machine *m)
{
	struct srcu_struct *sp = &procs_of(m)->srcu;

	atomic_store_explicit(&sp->stopped, 0, memory_order_release);
	spin_unlock(&sp->gp_lock);
}

void procs_defer_free_table(struct kmm_machine *m, struct page *page)
{
	struct kmm_procs *p = procs_of(m);

	spin_lock(&p->deferred_lock);
	list_add_tail(&page->lru, &p->deferred_tables);
	atomic_fetch_add_explicit(&p->nr_deferred, 1, memory_order_relaxed);
	spin_unlock(&p->deferred_lock);
}

/* vm_area_free()'s last step for a VMA that was in a tree. */
void procs_defer_free_vma(struct vm_area_struct *vma)
{
	struct kmm_procs *p = procs_of(vma->vm_mm->m);

	spin_lock(&p->deferred_lock);
	list_add_tail(&vma->free_node, &p->deferred);
	atomic_fetch_add_explicit(&p->nr_deferred, 1, memory_order_relaxed);
	spin_unlock(&p->deferred_lock);
}

int procs_srcu_init(struct kmm_procs *p, int nr_cpus)
{
	struct srcu_struct *sp = &p->srcu;

	sp->cpu = aligned_alloc(_Alignof(struct srcu_cpu), (size_t)nr_cpus * sizeof(*sp->cpu));
	if (!sp->cpu)
		return -ENOMEM;
	for (int c = 0; c < nr_cpus; c++)
		for (int i = 0; i < 2; i++)
			atomic_init(&sp->cpu[c].count[i], 0);
	sp->nr_cpus = nr_cpus;
	atomic_init(&sp->idx, 0);
	atomic_init(&sp->stopped, 0);
	spin_lock_init(&sp->gp_lock);
	spin_lock_init(&p->deferred_lock);
	INIT_LIST_HEAD(&p->deferred);
	INIT_LIST_HEAD(&p->deferred_tables);
	return 0;
}

void procs_srcu_shutdown(struct kmm_procs *p)
{
	flush_deferred(p);
	free(p->srcu.cpu);
	p->srcu.cpu = NULL;
}

/* ---- mmap_lock ---- */

void mmap_read_lock(struct mm_struct *mm)
{
	sim_read_lock(&mm->mmap_lock);
}

bool mmap_read_trylock(struct mm_struct *mm)
{
	return sim_read_trylock(&mm->mmap_lock);
}

void mmap_read_unlock(struct mm_struct *mm)
{
	sim_read_unlock(&mm->mmap_lock);
}

void mmap_write_lock(struct mm_struct *mm)
{
	sim_write_lock(&mm->mmap_lock);
	atomic_fetch_add_explicit(&mm->mm_lock_seq, 1, memory_order_release);	/* odd */
}

void mmap_write_unlock(struct mm_struct *mm)
{
	atomic_fetch_add_explicit(&mm->mm_lock_seq, 1, memory_order_release);	/* even */
	sim_write_unlock(&mm->mmap_lock);
}

/* ---- Per-VMA locks ---- */

void vma_start_write(struct vm_area_struct *vma)
{
	int seq = atomic_load_explicit(&vma->vm_mm->mm_lock_seq, memory_order_relaxed);
	int spins = 0;

	if (atomic_load_explicit(&vma->vm_lock_seq, memory_order_relaxed) == seq)
		return;
	for (;;) {
		int expect = 0;
		if (atomic_compare_exchange_weak_explicit(&vma->vm_lock, &expect, -1,
							  memory_order_acquire, memory_order_relaxed))
			break;
		if (++spins > 100) {
			sim_yield();
			spins = 0;
		}
	}
	atomic_store_explicit(&vma->vm_lock_seq, seq, memory_order_relaxed);
	atomic_store_explicit(&vma->vm_lock, 0, memory_order_release);
}

/* Linux's vma_start_read(): fails while the VMA is write-locked, never waits. */
static bool vma_start_read(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	int c;

	if (atomic_load_explicit(&vma->vm_lock_seq, memory_order_relaxed) ==
	    atomic_load_explicit(&mm->mm_lock_seq, memory_order_acquire))
		return false;
	c = atomic_load_explicit(&vma->vm_lock, memory_order_relaxed);
	do {
		if (c < 0)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&vma->vm_lock, &c, c + 1, memory_order_acquire,
							memory_order_relaxed));
	if (atomic_load_explicit(&vma->vm_lock_seq, memory_order_relaxed) ==
	    atomic_load_explicit(&mm->mm_lock_seq, memory_order_acquire)) {
		vma_end_read(vma);
		return false;
	}
	return true;
}

void vma_end_read(struct vm_area_struct *vma)
{
	atomic_fetch_sub_explicit(&vma->vm_lock, 1, memory_order_release);
}

/*
 * The last VMA this thread locked for a fault: valid while its mm's
 * mm_lock_seq has not moved (no write section since, so the VMA is still in
 * the tree; a write section starting after the check frees it only after a
 * grace period, which waits for this reader).
 */
static _Thread_local struct {
	struct mm_struct *mm;
	unsigned long serial;
	uint32_t asid;
	int seq;
	struct vm_area_struct *vma;
} vma_cache;

struct vm_area_struct *lock_vma_under_rcu(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	if (vma_cache.mm == mm && vma_cache.serial == mm->m->serial && vma_cache.asid == mm->ctx.asid &&
	    vma_cache.seq == atomic_load_explicit(&mm->mm_lock_seq, memory_order_acquire)) {
		vma = vma_cache.vma;
		if (vma_start_read(vma)) {
			if (!vma->detached && vma->vm_start <= addr && addr < vma->vm_end)
				return vma;
			vma_end_read(vma);
		}
	}
	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (vma && (vma->vm_start > addr || !vma_start_read(vma)))
		vma = NULL;
	if (vma) {
		vma_cache.mm = mm;
		vma_cache.serial = mm->m->serial;
		vma_cache.asid = mm->ctx.asid;
		vma_cache.seq = atomic_load_explicit(&mm->mm_lock_seq, memory_order_relaxed);
		vma_cache.vma = vma;
	}
	mmap_read_unlock(mm);
	return vma;
}

/* ---- The task list ---- */

static _Thread_local int tasklist_token;

void tasklist_lock(struct kmm_machine *m)
{
	struct kmm_procs *p = procs_of(m);

	if (atomic_load_explicit(&p->tasklist_owner, memory_order_relaxed) == &tasklist_token) {
		p->tasklist_depth++;
		return;
	}
	spin_lock(&p->tasklist_lock);
	atomic_store_explicit(&p->tasklist_owner, &tasklist_token, memory_order_relaxed);
	p->tasklist_depth = 1;
}

void tasklist_unlock(struct kmm_machine *m)
{
	struct kmm_procs *p = procs_of(m);

	if (--p->tasklist_depth)
		return;
	atomic_store_explicit(&p->tasklist_owner, NULL, memory_order_relaxed);
	spin_unlock(&p->tasklist_lock);
}

/* ---- mm references and the accessors ---- */

void mmget(struct mm_struct *mm)
{
	atomic_fetch_add_explicit(&mm->mm_users, 1, memory_order_relaxed);
}

struct mm_struct *get_task_mm(struct task_struct *t)
{
	struct mm_struct *mm;

	tasklist_lock(t->machine);
	mm = t->mm;
	if (mm)
		mmget(mm);
	tasklist_unlock(t->machine);
	return mm;
}

void task_mm_info(struct task_struct *t, struct task_mm_info *out)
{
	struct kmm_machine *m = t->machine;
	int token = procs_enter(m);
	struct mm_struct *mm = get_task_mm(t);

	memset(out, 0, sizeof(*out));
	out->min_flt = task_flt(t, false);
	out->maj_flt = task_flt(t, true);
	if (mm) {
		mmap_read_lock(mm);
		out->alive = true;
		out->total_vm = mm_total_vm(mm);
		out->locked_vm = mm->locked_vm;
		out->pinned_vm = mm->pinned_vm;
		out->data_vm = mm->data_vm;
		out->exec_vm = mm->exec_vm;
		out->stack_vm = mm->stack_vm;
		out->hiwater_rss = get_mm_hiwater_rss(mm);
		out->hiwater_vm = __atomic_load_n(&mm->hiwater_vm, __ATOMIC_RELAXED);
		for (int i = 0; i < NR_MM_COUNTERS; i++)
			out->rss[i] = get_mm_counter(mm, i);
		out->start_code = mm->start_code;
		out->end_code = mm->end_code;
		out->start_data = mm->start_data;
		out->end_data = mm->end_data;
		out->start_brk = mm->start_brk;
		out->brk = mm->brk;
		out->start_stack = mm->start_stack;
		out->map_count = mm->map_count;
		out->nr_ptes = pgtable_nr_tables(&mm->pgt);
		out->pgtables_bytes = out->nr_ptes * PAGE_SIZE;
		mmap_read_unlock(mm);
		mmput(mm);
	}
	procs_exit(m, token);
}

void procs_cow_stats(struct kmm_machine *m, unsigned long *copies, unsigned long *reuses)
{
	struct kmm_procs *p = procs_of(m);

	*copies = p ? atomic_load_explicit(&p->cow_copies, memory_order_relaxed) : 0;
	*reuses = p ? atomic_load_explicit(&p->cow_reuses, memory_order_relaxed) : 0;
}
