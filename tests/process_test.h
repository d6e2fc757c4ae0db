// SPDX-License-Identifier: MIT
/*
 * tests/process_test.h - boot and leak-check helpers of the process layer's
 * tests. Freed pages may sit on the per-CPU lists, which NR_FREE_PAGES does
 * not count, and freed tasks, mms, VMAs and anon_vmas leave their slabs
 * cached in the process caches (as in Linux), so the leak check shrinks
 * those caches (kmem_cache_shrink: only empty slabs go; a slab holding a
 * leaked object stays and is counted), ends the RCU grace period (the
 * anon_vma cache is SLAB_TYPESAFE_BY_RCU) and drains the lists at both ends;
 * the harness shuts the machine down after the test. Also: the end of
 * /proc/PID/status from a given line.
 */
#ifndef KMM_TESTS_PROCESS_TEST_H
#define KMM_TESTS_PROCESS_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/kmm/fs.h"
#include "include/kmm/process.h"
#include "tests/harness.h"

#include "mm/include/mm.h"
#include "mm/include/slab.h"
#include "mm/internal.h"

static struct t_bases pt_bases;

static inline unsigned long nr_free(struct kmm_machine *m)
{
	struct kmm_procs *p = procs_of(m);

	if (p) {
		kmem_cache_shrink(p->vm_area_cachep);
		kmem_cache_shrink(p->anon_vma_cachep);
		kmem_cache_shrink(p->mm_cachep);
		kmem_cache_shrink(p->task_struct_cachep);
		/* anon_vma's empty slabs wait for a grace period (SLAB_TYPESAFE_BY_RCU). */
		kmm_synchronize_rcu(m);
	}
	drain_all_pages(m, NULL);
	return kmm_nr_free_pages(m);
}

static inline struct kmm_machine *boot(const char *cmdline)
{
	struct kmm_machine *m = t_boot(cmdline);

	t_base_record(&pt_bases, m, nr_free(m));
	return m;
}

/*
 * Reap what the test left dead: a zombie keeps its task_struct (as in Linux,
 * until its parent waits for it), which is no leak.
 */
static inline void reap_zombies(struct kmm_machine *m)
{
	struct kmm_procs *p = procs_of(m);

	for (;;) {
		struct task_struct *dead = NULL;
		struct list_head *pos;

		if (!p)
			return;
		tasklist_lock(m);
		list_for_each(pos, &p->tasks) {
			struct task_struct *t = list_entry(pos, struct task_struct, tasks);
			if (t->state == TASK_DEAD) {
				dead = t;
				break;
			}
		}
		tasklist_unlock(m);
		if (!dead)
			return;
		if (kmm_task_release(dead)) {
			kmm_test_fail(__FILE__, __LINE__, "reaping a zombie: %s", kmm_last_error());
			return;
		}
	}
}

/*
 * kmm_check, then every page is back (zombies reaped, caches shrunk, pcp
 * drained, writes in flight completed: a page under writeback is held by
 * its write until then). The clean page cache is dropped first: the programs
 * the test ran are files (exec installs them on kmmfs) whose pages stay
 * cached after their processes exit, as in Linux; a page leaked is in no
 * cache, so dropping the caches does not hide it.
 */
static inline void done(struct kmm_machine *m)
{
	kmm_writeback_wait(m);
	if (kmm_check(m))
		kmm_test_fail(__FILE__, __LINE__, "kmm_check: %s", kmm_last_error());
	reap_zombies(m);
	if (kmm_proc_write(m, "/proc/sys/vm/drop_caches", "1"))
		kmm_test_fail(__FILE__, __LINE__, "drop_caches: %s", kmm_last_error());
	unsigned long base, now;
	if (t_base_take(&pt_bases, m, &base) && (now = nr_free(m)) != base)
		kmm_test_fail(__FILE__, __LINE__, "leak check: %lu free pages after boot, %lu now",
			      base, now);
}

/* kmm_check(), failing at the caller's line. */
static inline void pt_check_at(struct kmm_machine *m, const char *file, int line)
{
	if (kmm_check(m))
		kmm_test_fail(file, line, "kmm_check: %s", kmm_last_error());
}
#define pt_check(m) pt_check_at((m), __FILE__, __LINE__)

/* Is @addr of @t mapped by a present PTE? */
static inline bool pt_present(struct task_struct *t, uint64_t addr)
{
	return pte_present(pgtable_get_pte(&t->mm->pgt, addr));
}

/* The vm_flags of the VMA of @t holding @addr, or 0 where none does. */
static inline unsigned long pt_vm_flags(struct task_struct *t, uint64_t addr)
{
	struct vm_area_struct *v = find_vma(t->mm, addr);

	return v && v->vm_start <= addr ? v->vm_flags : 0;
}

/*
 * The lines of /proc/PID/status of @t from the first that starts with
 * @from to the end, or "" (a static buffer: the next call overwrites it).
 */
static inline const char *proc_status_from(struct kmm_machine *m, struct task_struct *t,
					   const char *from)
{
	static char out[4096];
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", kmm_task_pid(t));
	char *text = t_proc(m, path), *at = text ? strstr(text, from) : NULL;
	snprintf(out, sizeof(out), "%s", at ? at : "");
	free(text);
	return out;
}

#endif /* KMM_TESTS_PROCESS_TEST_H */
