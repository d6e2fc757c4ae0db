// SPDX-License-Identifier: MIT
/*
 * proc/oom.c - /proc/<pid>/oom_score, oom_score_adj and oom_adj. (The vm.*
 * sysctls of overcommit and the OOM killer are rows of the "oom" subsystem
 * entry, mm/oom_kill.c.)
 *
 * Linux counterpart: fs/proc/base.c (proc_oom_score, oom_adj_read/write,
 * oom_score_adj_read/write, __set_oom_adj).
 *
 * Kept: oom_score_adj -1000..1000 in base 0 (kstrtoint); oom_adj -16..15 or
 * -17, mapped onto oom_score_adj with Linux's arithmetic both ways and its
 * one-time deprecation warning. Simplified: the writer is root, so there is
 * no oom_score_adj_min to respect.
 *
 * Invariant: a write that returns an error has changed nothing.
 * Locking: inside procs_enter() (proc/pid.c); oom_score_adj is one atomic int.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/mm.h"
#include "mm/include/oom.h"
#include "mm/include/machine.h"
#include "proc/proc.h"

/* ---- /proc/<pid>/oom_score, oom_score_adj, oom_adj ---- */

bool oom_pid_file(const char *file)
{
	return !strcmp(file, "oom_score") || !strcmp(file, "oom_score_adj") || !strcmp(file, "oom_adj");
}

int oom_pid_show(struct task_struct *t, const char *file, struct strbuf *sb)
{
	if (!strcmp(file, "oom_score")) {
		sb_printf(sb, "%lu\n", oom_score(t));
	} else if (!strcmp(file, "oom_score_adj")) {
		sb_printf(sb, "%d\n", task_oom_score_adj(t));
	} else if (!strcmp(file, "oom_adj")) {
		/* oom_adj_read(): the legacy scale, -17..15 */
		int cur = task_oom_score_adj(t);
		int adj = cur == OOM_SCORE_ADJ_MAX ? OOM_ADJUST_MAX
			: cur * -OOM_DISABLE / OOM_SCORE_ADJ_MAX;
		sb_printf(sb, "%d\n", adj);
	} else {
		return -ENOENT;
	}
	return 0;
}

int oom_pid_write(struct kmm_machine *m, struct task_struct *t, const char *file, const char *text)
{
	int v;

	if (!strcmp(file, "oom_score_adj")) {
		if (proc_parse_int_range(text, OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX, &v))
			return kmm_set_error(-EINVAL, "oom_score_adj: '%s' is not an integer in -1000..1000",
					     text);
	} else if (!strcmp(file, "oom_adj")) {
		if (proc_parse_int_range(text, INT_MIN, INT_MAX, &v) ||
		    ((v < OOM_ADJUST_MIN || v > OOM_ADJUST_MAX) && v != OOM_DISABLE))
			return kmm_set_error(-EINVAL, "oom_adj: '%s' is not an integer in -16..15 or -17",
					     text);
		/* Scale so that the maximum is attainable (oom_adj_write). */
		v = v == OOM_ADJUST_MAX ? OOM_SCORE_ADJ_MAX : v * OOM_SCORE_ADJ_MAX / -OOM_DISABLE;
		if (oom_state_of(m) && !__atomic_exchange_n(&oom_state_of(m)->oom_adj_warned, true, __ATOMIC_RELAXED)) {
			struct task_struct *cur = current_task();
			kmm_printk(m, "%s (%d): /proc/%d/oom_adj is deprecated, please use "
				   "/proc/%d/oom_score_adj instead.", kmm_comm(m), cur ? cur->pid : 0,
				   t->pid, t->pid);
		}
	} else {
		return -ENOENT;
	}
	__atomic_store_n(&t->oom_score_adj, v, __ATOMIC_RELAXED);
	return 0;
}
