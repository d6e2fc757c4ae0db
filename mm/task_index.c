// SPDX-License-Identifier: MIT
/*
 * mm/task_index.c - the task table's indexes: tasks by pid (an xarray, as
 * Linux's pid allocator keeps struct pid in an IDR) and by comm (a hash of
 * names, each with its tasks newest first), so that finding a task costs the
 * same whether the machine has made ten tasks or a million.
 *
 * Linux counterpart: kernel/pid.c (find_pid_ns, idr_find); finding a task by
 * its name has none (pgrep walks /proc) - kmm's scenario language names
 * processes by comm, so it gets an index.
 *
 * Invariants (task_index_check): every task on procs->tasks is in the pid
 * index at its pid and on its comm's list, which is in pid order, newest
 * first; the indexes hold nothing else.
 *
 * Locking: tasklist_lock for every change and lookup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

/* The tasks named one comm, newest (highest pid) first. */
struct comm_bucket {
	struct list_head tasks;		/* task_struct.comm_node */
};

/* Put @t on its comm's list in pid order. Return: 0 or -ENOMEM. */
static int comm_link(struct kmm_procs *p, struct task_struct *t)
{
	void **slot = strmap_put(&p->by_comm, t->comm);
	struct list_head *pos;

	if (!slot)
		return -ENOMEM;
	if (!*slot) {
		struct comm_bucket *b = malloc(sizeof(*b));
		if (!b)
			return -ENOMEM;
		INIT_LIST_HEAD(&b->tasks);
		*slot = b;
	}
	struct comm_bucket *b = *slot;
	/* New tasks have the highest pid: the loop stops at once but for exec's renames. */
	list_for_each(pos, &b->tasks)
		if (list_entry(pos, struct task_struct, comm_node)->pid < t->pid)
			break;
	list_add_tail(&t->comm_node, pos);
	return 0;
}

int task_index_add(struct task_struct *t)
{
	struct kmm_procs *p = procs_of(t->machine);
	int err = xa_store(&p->by_pid, (unsigned long)t->pid, t);

	if (err)
		return err;
	if ((err = comm_link(p, t)) != 0) {
		xa_erase(&p->by_pid, (unsigned long)t->pid);
		return err;
	}
	return 0;
}

void task_index_del(struct task_struct *t)
{
	struct kmm_procs *p = procs_of(t->machine);

	xa_erase(&p->by_pid, (unsigned long)t->pid);
	list_del_init(&t->comm_node);
}

void task_index_rename(struct task_struct *t)
{
	struct kmm_procs *p = procs_of(t->machine);

	list_del_init(&t->comm_node);
	if (comm_link(p, t))
		p->by_comm_lost++;	/* host out of memory: lookups by name walk the list */
}

struct task_struct *kmm_task_by_pid(struct kmm_machine *m, int pid)
{
	struct kmm_procs *p = procs_of(m);

	if (!p || pid <= 0)
		return NULL;
	tasklist_lock(m);
	struct task_struct *t = xa_load(&p->by_pid, (unsigned long)pid);
	tasklist_unlock(m);
	return t;
}

struct task_struct *get_task_by_pid(struct kmm_machine *m, int pid)
{
	struct kmm_procs *p = procs_of(m);
	struct task_struct *t;

	if (!p || pid <= 0)
		return NULL;
	tasklist_lock(m);
	t = xa_load(&p->by_pid, (unsigned long)pid);
	if (t)
		atomic_fetch_add_explicit(&t->usage, 1, memory_order_relaxed);
	tasklist_unlock(m);
	return t;
}

struct task_struct *kmm_task_by_comm(struct kmm_machine *m, const char *comm)
{
	struct kmm_procs *p = procs_of(m);
	struct task_struct *live = NULL, *any = NULL;
	struct list_head *pos;

	if (!p || !comm)
		return NULL;
	tasklist_lock(m);
	if (p->by_comm_lost) {
		/* The index missed a rename: every task, the newest last. */
		list_for_each(pos, &p->tasks) {
			struct task_struct *t = list_entry(pos, struct task_struct, tasks);
			if (!strcmp(t->comm, comm)) {
				any = t;
				if (t->state != TASK_DEAD)
					live = t;
			}
		}
	} else {
		void **slot = strmap_get(&p->by_comm, comm);
		struct comm_bucket *b = slot ? *slot : NULL;
		if (b) {
			list_for_each(pos, &b->tasks) {
				struct task_struct *t = list_entry(pos, struct task_struct, comm_node);
				if (!any)
					any = t;
				if (t->state != TASK_DEAD) {
					live = t;
					break;
				}
			}
		}
	}
	tasklist_unlock(m);
	return live ? live : any;
}

static void bucket_free(void *b)
{
	free(b);
}

void task_index_destroy(struct kmm_procs *p)
{
	xa_destroy(&p->by_pid);
	strmap_free(&p->by_comm, bucket_free);
}

int task_index_check(struct kmm_machine *m, char *why, size_t len)
{
	struct kmm_procs *p = procs_of(m);
	struct list_head *pos;
	unsigned long n = 0, in_pids = 0, on_lists = 0, idx = 0;

	list_for_each(pos, &p->tasks) {
		struct task_struct *t = list_entry(pos, struct task_struct, tasks);
		n++;
		if (xa_load(&p->by_pid, (unsigned long)t->pid) != t) {
			snprintf(why, len, "task %d (%s) is not in the pid index", t->pid, t->comm);
			return -EINVAL;
		}
		if (!p->by_comm_lost && list_empty(&t->comm_node)) {
			snprintf(why, len, "task %d (%s) is not in the name index", t->pid, t->comm);
			return -EINVAL;
		}
	}
	while (xa_find(&p->by_pid, &idx, ~0UL, XA_PRESENT)) {
		in_pids++;
		idx++;
	}
	if (in_pids != n) {
		snprintf(why, len, "the pid index holds %lu tasks, the task list %lu", in_pids, n);
		return -EINVAL;
	}
	if (p->by_comm_lost)
		return 0;
	for (size_t i = 0; i < p->by_comm.cap; i++) {
		const char *name = p->by_comm.slots[i].key;
		struct comm_bucket *b = name ? p->by_comm.slots[i].val : NULL;
		int prev = 0;
		if (!b)
			continue;
		list_for_each(pos, &b->tasks) {
			struct task_struct *t = list_entry(pos, struct task_struct, comm_node);
			on_lists++;
			if (strcmp(t->comm, name) || (prev && t->pid >= prev)) {
				snprintf(why, len, "task %d (%s) is out of place on the list of '%s'",
					 t->pid, t->comm, name);
				return -EINVAL;
			}
			prev = t->pid;
		}
	}
	if (on_lists != n) {
		snprintf(why, len, "the name index holds %lu tasks, the task list %lu", on_lists, n);
		return -EINVAL;
	}
	return 0;
}
