// SPDX-License-Identifier: MIT
/*
 * cli/verbs_oom.c - scenario verbs of the overcommit policy and the OOM
 * killer: oom_scores (every process's badness, the way the killer computes
 * it, and whom it would choose now) and overcommit (the commit limit, the
 * charge, and how much a process may still map); the oom.* and commit.*
 * value terms.
 *
 * Linux counterpart: none (what a learner would work out by hand from
 * /proc/PID/status, /proc/PID/oom_score_adj and /proc/meminfo). The numbers
 * come from the same functions the kernel side uses (oom_badness,
 * vm_commit_limit), never from a second copy of the formulas.
 *
 * Locking: the task walk holds tasklist_lock (kmm_for_each_task); the counters
 * read are atomics. The runner is single-threaded.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/verbs.h"
#include "include/kmm/process.h"
#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "mm/include/oom.h"

/* A live process by name (the newest) or pid. */
static struct task_struct *find_live(struct kmm_machine *m, const char *name)
{
	struct task_struct *t = cli_find_task(m, name);

	return t && t->state != TASK_DEAD ? t : NULL;
}

static struct oom_state *layer(struct kmm_ctx *ctx, const struct args *a, struct kmm_machine **pm)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m)
		return NULL;
	if (!oom_state_of(m) || !procs_of(m)) {
		if (a)
			ctx_error(ctx, a, -1, "this machine has no overcommit/OOM layer");
		else
			ctx_value_error(ctx, "this machine has no overcommit/OOM layer");
		return NULL;
	}
	*pm = m;
	return oom_state_of(m);
}

/* ---- oom_scores ---- */

struct scores_ctx {
	struct kmm_ctx *ctx;
	unsigned long totalpages;
};

static int score_row(struct task_struct *t, void *arg)
{
	struct scores_ctx *s = arg;
	struct task_mm_info mi;

	if (t->state == TASK_DEAD)
		return 0;
	task_mm_info(t, &mi);
	if (!mi.alive)
		return 0;
	long points = oom_badness(t, s->totalpages);
	int adj = task_oom_score_adj(t);

	ctx_printf(s->ctx, "%5d %-12s %8lu %6ld %6lu %5d ", t->pid, t->comm,
		   (unsigned long)(mi.rss[MM_FILEPAGES] + mi.rss[MM_ANONPAGES] + mi.rss[MM_SHMEMPAGES]),
		   mi.rss[MM_SWAPENTS], mi.nr_ptes, adj);
	if (points == LONG_MIN)
		ctx_printf(s->ctx, "%9s %9lu  %s\n", "never", oom_score(t),
			   adj == OOM_SCORE_ADJ_MIN ? "(oom_score_adj -1000)" : "(reaped)");
	else
		ctx_printf(s->ctx, "%9ld %9lu\n", points, oom_score(t));
	return 0;
}

static int oom_scores_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m;
	struct scores_ctx s = { ctx, 0 };
	long points;

	if (!layer(ctx, a, &m))
		return VERB_ERROR;
	s.totalpages = oom_totalpages(m);
	ctx_printf(ctx, "totalpages %lu (RAM %lu + swap %lu); one point of oom_score_adj is "
		   "%lu pages\n", s.totalpages, (unsigned long)atomic_load(&m->totalram_pages),
		   total_swap_pages(m), s.totalpages / 1000);
	ctx_printf(ctx, "  PID COMM              RSS   SWAP PGTBLS   ADJ    POINTS OOM_SCORE\n");
	kmm_for_each_task(m, score_row, &s);
	ctx_printf(ctx, "points = RSS + SWAP + PGTBLS + ADJ * %lu; "
		   "oom_score = (1000 + points * 1000 / %lu) * 2 / 3\n", s.totalpages / 1000,
		   s.totalpages);
	struct task_struct *v = oom_would_choose(m, &points);
	if (!v)
		ctx_printf(ctx, "the OOM killer would find no process it may kill (a kernel panic)\n");
	else if (v == (struct task_struct *)-1L)
		ctx_printf(ctx, "the OOM killer would wait: a victim is still dying\n");
	else
		ctx_printf(ctx, "the OOM killer would choose %s (pid %d, %ld points)\n", v->comm, v->pid,
			   points);
	return VERB_OK;
}

/* ---- overcommit ---- */

static const char *const mode_text[] = {
	"0: heuristic, refuse only a single request larger than RAM + swap",
	"1: always grant",
	"2: never overcommit, keep Committed_AS below CommitLimit",
};

/*
 * How many pages @t could still have charged in one request now (the
 * largest mmap that __vm_enough_memory would let through), and the reserves
 * that went into it.
 */
static long room_of(struct kmm_machine *m, struct task_struct *t, long *user_res, long *admin_res)
{
	struct oom_state *os = oom_state_of(m);
	int mode = __atomic_load_n(&os->overcommit_memory, __ATOMIC_RELAXED);

	*user_res = *admin_res = 0;
	if (mode == OVERCOMMIT_ALWAYS)
		return LONG_MAX;
	if (mode == OVERCOMMIT_GUESS)
		return (long)((unsigned long)atomic_load(&m->totalram_pages) + total_swap_pages(m));
	long allowed = (long)vm_commit_limit(m);
	if (t->uid != 0)
		*admin_res = (long)(__atomic_load_n(&os->admin_reserve_kbytes, __ATOMIC_RELAXED) >> 2);
	long reserve = (long)(__atomic_load_n(&os->user_reserve_kbytes, __ATOMIC_RELAXED) >> 2);
	struct mm_struct *mm = t->mm;
	*user_res = mm ? (long)KMM_MIN((long)(mm_total_vm(mm) / 32), reserve) : 0;
	long room = allowed - *admin_res - *user_res - (long)kmm_committed_pages(m) - 1;
	return room < 0 ? 0 : room;
}

static int overcommit_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc > 1)
		return verb_check_error(vc, a, 1, "usage: overcommit [NAME]");
	return 0;
}

static int overcommit_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m;
	struct oom_state *os = layer(ctx, a, &m);

	if (!os)
		return VERB_ERROR;
	int mode = __atomic_load_n(&os->overcommit_memory, __ATOMIC_RELAXED);
	unsigned long kbytes = __atomic_load_n(&os->overcommit_kbytes, __ATOMIC_RELAXED);
	unsigned long ram = (unsigned long)atomic_load(&m->totalram_pages);
	unsigned long swap = total_swap_pages(m), limit = vm_commit_limit(m);
	unsigned long committed = kmm_committed_pages(m);

	ctx_printf(ctx, "vm.overcommit_memory = %s\n", mode_text[mode]);
	if (kbytes)
		ctx_printf(ctx, "CommitLimit  = overcommit_kbytes %lu kB + swap %lu = %lu pages (%lu kB)\n",
			   kbytes, swap, limit, limit << 2);
	else
		ctx_printf(ctx, "CommitLimit  = RAM %lu * overcommit_ratio %d / 100 + swap %lu = %lu "
			   "pages (%lu kB)\n", ram, __atomic_load_n(&os->overcommit_ratio, __ATOMIC_RELAXED),
			   swap, limit, limit << 2);
	ctx_printf(ctx, "Committed_AS = %lu pages (%lu kB)%s\n", committed, committed << 2,
		   committed > limit ? ", above the limit (only mode 2 enforces it)" : "");
	if (a->argc == 0)
		return VERB_OK;
	struct task_struct *t = find_live(m, a->argv[0].text);
	if (!t)
		return ctx_error(ctx, a, 0, "no live process named '%s'", a->argv[0].text);
	long user_res, admin_res, room = room_of(m, t, &user_res, &admin_res);
	if (mode == OVERCOMMIT_ALWAYS) {
		ctx_printf(ctx, "%s may map any amount: every request is granted\n", t->comm);
	} else if (mode == OVERCOMMIT_GUESS) {
		ctx_printf(ctx, "%s may map up to RAM + swap = %ld pages (%ld kB) in one request\n",
			   t->comm, room, room << 2);
	} else {
		ctx_printf(ctx, "%s (uid %u): CommitLimit %lu - admin reserve %ld - user reserve "
			   "min(total_vm %lu / 32, %lu) = %ld - Committed_AS %lu - 1\n", t->comm, t->uid,
			   limit, admin_res, t->mm ? mm_total_vm(t->mm) : 0,
			   __atomic_load_n(&os->user_reserve_kbytes, __ATOMIC_RELAXED) >> 2, user_res,
			   committed);
		ctx_printf(ctx, "  = %ld pages (%ld kB): the largest private writable mapping it may "
			   "add now\n", room, room << 2);
	}
	return VERB_OK;
}

/* ---- Terms ---- */

static int oom_term_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m;
	const char *rest = name + 4;
	long points;

	if (!layer(ctx, NULL, &m))
		return VERB_ERROR;
	if (!strcmp(rest, "victim")) {
		struct task_struct *v = oom_would_choose(m, &points);
		value_set_int(out, v && v != (struct task_struct *)-1L ? v->pid : 0);
		return 0;
	}
	if (!strcmp(rest, "totalpages")) {
		value_set_int(out, (long long)oom_totalpages(m));
		return 0;
	}
	bool score = !strncmp(rest, "score.", 6), pts = !strncmp(rest, "points.", 7);
	if (!score && !pts)
		return ctx_value_error(ctx, "unknown term '%s' (oom.victim, oom.totalpages, "
				       "oom.score.NAME, oom.points.NAME)", name);
	const char *who = rest + (score ? 6 : 7);
	struct task_struct *t = find_live(m, who);
	if (!t)
		return ctx_value_error(ctx, "no live process named '%s'", who);
	if (score) {
		value_set_int(out, (long long)oom_score(t));
	} else {
		points = oom_badness(t, oom_totalpages(m));
		if (points == LONG_MIN)
			return ctx_value_error(ctx, "%s may not be killed (oom_score_adj -1000 or "
					       "reaped): it has no points", who);
		value_set_int(out, points);
	}
	return 0;
}

static int commit_term_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m;
	const char *rest = name + 7;

	if (!layer(ctx, NULL, &m))
		return VERB_ERROR;
	if (!strcmp(rest, "limit")) {
		value_set_int(out, (long long)vm_commit_limit(m));
	} else if (!strcmp(rest, "committed")) {
		value_set_int(out, (long long)kmm_committed_pages(m));
	} else if (!strncmp(rest, "room.", 5)) {
		struct task_struct *t = find_live(m, rest + 5);
		long u, ad;
		if (!t)
			return ctx_value_error(ctx, "no live process named '%s'", rest + 5);
		value_set_int(out, room_of(m, t, &u, &ad));
	} else {
		return ctx_value_error(ctx, "unknown term '%s' (commit.limit, commit.committed, "
				       "commit.room.NAME)", name);
	}
	return 0;
}

/* ---- The table ---- */

static const struct verb verbs[] = {
	{ "oom_scores", "oom_scores",
	  "every process's OOM badness as the killer computes it, and whom it would kill now",
	  "Points are RSS + swap entries + page-table pages, plus oom_score_adj times\n"
	  "totalpages/1000; the most points is the victim (a later process wins a tie),\n"
	  "-1000 never. oom_score is /proc/PID/oom_score:\n"
	  "  echo -500 > /proc/1/oom_score_adj\n  oom_scores\n", 0, NULL, oom_scores_run },
	{ "overcommit", "overcommit [NAME]",
	  "the commit limit, the charge so far, and how much NAME may still map",
	  "Shows vm.overcommit_memory's rule and CommitLimit worked out; with NAME, the\n"
	  "largest private writable mapping that process may add now (mode 2: CommitLimit\n"
	  "less the admin reserve for non-root, less min(total_vm/32, user reserve), less\n"
	  "Committed_AS):\n  sysctl vm.overcommit_memory=2\n  overcommit A\n", 0,
	  overcommit_check, overcommit_run },
};

static const struct term terms[] = {
	{ "oom.", "oom.victim|oom.totalpages|oom.score.NAME|oom.points.NAME",
	  "the pid the OOM killer would choose now (0: none), RAM + swap in pages, a process's "
	  "oom_score and badness points", NULL, oom_term_eval },
	{ "commit.", "commit.limit|commit.committed|commit.room.NAME",
	  "CommitLimit and Committed_AS in pages; the largest request NAME may make now "
	  "(pages; in mode 1 the largest number there is: everything is granted)",
	  NULL, commit_term_eval },
};

const struct verb_table oom_verbs = {
	.layer = "overcommit and the OOM killer",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.terms = terms,
	.nr_terms = ARRAY_SIZE(terms),
	.intro =
		"vm.overcommit_memory decides at mmap, brk, mremap, mprotect and fork time whether "
		"a commit charge may be made: 0 refuses only a single request larger than RAM + "
		"swap, 1 grants everything, 2 keeps Committed_AS below CommitLimit = RAM * "
		"overcommit_ratio / 100 + swap. When the pages behind the charges cannot be "
		"found, the OOM killer kills the process with the most badness points and writes "
		"Linux's report to dmesg; vm.panic_on_oom makes it a kernel panic instead. "
		"overcommit and oom_scores show the arithmetic; a failed system call captured "
		"with -> $v is a value ($v.errno).",
	.example =
		"boot mem=128M\n"
		"spawn A\n"
		"sysctl vm.overcommit_memory=2\n"
		"overcommit A\n"
		"mmap A 1G -> $m\n"
		"expect $m.errno == \"ENOMEM\"\n"
		"sysctl vm.overcommit_memory=1\n"
		"mmap A 256M -> $m\n"
		"spawn B\n"
		"mmap B 16M -> $b\n"
		"write B $b 16M\n"
		"oom_scores\n"
		"touch A $m 256M write\n"
		"expect proc.A.alive == 0\n"
		"dmesg | grep -E 'Killed process|oom_reaper'\n",
};
