// SPDX-License-Identifier: MIT
/*
 * mm/ucount.c - a user's process count, and the RLIMIT_NPROC check fork
 * makes against it.
 *
 * Linux counterpart: kernel/ucount.c (UCOUNT_RLIMIT_NPROC, counted per user
 * and user namespace; is_rlimit_overlimit()), kernel/cred.c copy_creds()
 * (the child counted in), kernel/exit.c release_task() (counted out when its
 * parent reaps it), kernel/fork.c copy_process()'s check:
 *
 *	if (is_rlimit_overlimit(task_ucounts(p), UCOUNT_RLIMIT_NPROC,
 *				rlimit(RLIMIT_NPROC))) {
 *		if (p->real_cred->user != INIT_USER &&
 *		    !capable(CAP_SYS_RESOURCE) && !capable(CAP_SYS_ADMIN))
 *			-EAGAIN
 *
 * The count includes the child, so a fork fails when the user already has
 * RLIMIT_NPROC tasks (zombies included: they count until they are reaped).
 * root (INIT_USER: uid 0 of the initial namespace) is never refused, nor a
 * parent with CAP_SYS_RESOURCE or CAP_SYS_ADMIN in its effective set. The
 * limit is the parent's soft limit (rlimit() of current). The namespace's
 * own maximum does not apply: fork_init() sets init_user_ns's
 * UCOUNT_RLIMIT_NPROC maximum to RLIM_INFINITY, and kmm has one namespace.
 *
 * Simplified: kmm keeps no per-user counter; the check counts the user's
 * tasks on the task list under tasklist_lock when the fork begins (before
 * the child exists, so "count >= limit" is Linux's "count with the child >
 * limit"). Two forks of one user racing at the limit may then both pass
 * (Linux counts the child in atomically first); a single thread of control,
 * which is what a scenario is, sees Linux's rule exactly. Not kept: exec's
 * PF_NPROC_EXCEEDED (a setuid() that took the user past the limit makes
 * the next execve fail with EAGAIN).
 *
 * Locking: tasklist_lock (t->uid, the task list), taken here.
 */
#include <errno.h>
#include <inttypes.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

long user_nproc(struct kmm_machine *m, unsigned int uid)
{
	struct kmm_procs *p = procs_of(m);
	struct list_head *pos;
	long n = 0;

	if (!p)
		return 0;
	tasklist_lock(m);
	list_for_each(pos, &p->tasks)
		if (list_entry(pos, struct task_struct, tasks)->uid == uid)
			n++;
	tasklist_unlock(m);
	return n;
}

int fork_check_nproc(struct task_struct *parent)
{
	struct kmm_machine *m = parent->machine;
	uint64_t limit = task_rlimit(parent, KMM_RLIMIT_NPROC);
	unsigned int uid;
	long n = 0;

	tasklist_lock(m);	/* t->uid */
	uid = parent->uid;
	/* the cheap exemptions first: most forks are root's, and the limit may be infinite */
	if (uid != 0 && limit != KMM_RLIM_INFINITY && !task_capable(parent, KMM_CAP_SYS_RESOURCE) &&
	    !task_capable(parent, CAP_SYS_ADMIN))
		n = user_nproc(m, uid);
	tasklist_unlock(m);
	if (!n || (uint64_t)n < limit)
		return 0;
	return kmm_set_error(-EAGAIN, "fork: the processes of user %u (%ld, zombies included) reach "
			     "RLIMIT_NPROC %" PRIu64 " of process %d (root, CAP_SYS_RESOURCE and "
			     "CAP_SYS_ADMIN are exempt)", uid, n, limit, parent->pid);
}
