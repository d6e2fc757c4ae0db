// SPDX-License-Identifier: MIT
/*
 * proc/sysctl.c - /proc/sys/: the files behind the sysctl rows of the
 * subsystem table, the generic integer handler every row uses
 * (proc_dointvec_minmax, proc_doulongvec_minmax) and the number parsing they
 * share.
 *
 * Linux counterpart: kernel/sysctl.c (proc_dointvec_minmax: how numbers are
 * read and printed) and fs/proc/proc_sysctl.c (the files). The rows
 * themselves are the layers' own (struct ctl_table in mm/include/subsys.h;
 * the page allocator's are in mm/page_alloc_init.c).
 *
 * Kept: numbers in base 0 as strtoul reads them (42, 0x2a, 052); arrays
 * printed tab-separated; the range check of extra1..extra2. Stricter than
 * Linux: a scalar given two numbers is refused instead of silently taking
 * the first.
 *
 * Invariant: a write that returns an error has changed nothing.
 *
 * Locking: m->sysctl_lock around reading and updating a value and running the
 * row's recomputation (sysctl_lock -> pcp->lock -> zone->lock, mm/internal.h).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/machine.h"
#include "proc/proc.h"

/* ---- Parsing, as proc_dointvec ---- */

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int proc_parse_ints(const char *text, long *vals, int max)
{
	const char *p = text;
	int n = 0;

	if (!text)
		return -EINVAL;
	for (;;) {
		unsigned long v;
		bool neg = false;
		char *end;

		while (is_sep(*p))
			p++;
		if (!*p)
			break;
		if (n == max)
			return -EINVAL;
		if (*p == '-') {
			neg = true;
			p++;
		}
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		errno = 0;
		v = strtoul(p, &end, 0);
		if (errno || end == p || (*end && !is_sep(*end)))
			return -EINVAL;
		if (neg ? v > (unsigned long)INT_MAX + 1 : v > (unsigned long)INT_MAX)
			return -EINVAL;
		vals[n++] = neg ? -(long)v : (long)v;
		p = end;
	}
	return n ? n : -EINVAL;
}

int proc_parse_int_range(const char *text, long min, long max, int *out)
{
	long v;

	if (proc_parse_ints(text, &v, 1) != 1 || v < min || v > max)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* ---- The generic handler ---- */

int proc_dointvec_minmax(struct kmm_machine *m, const struct ctl_table *t, int *data,
			 const char *text, struct strbuf *sb)
{
	int v;

	if (!text) {
		spin_lock(&m->sysctl_lock);
		v = *data;
		spin_unlock(&m->sysctl_lock);
		sb_printf(sb, "%d\n", v);
		return 0;
	}
	if (proc_parse_int_range(text, t->extra1, t->extra2, &v))
		return -EINVAL;
	spin_lock(&m->sysctl_lock);
	*data = v;
	if (t->changed)
		t->changed(m);
	spin_unlock(&m->sysctl_lock);
	return 0;
}

/* proc_doulongvec_minmax's reading of one value: base 0, blanks around, no '-'. */
static int parse_ulong(const char *text, unsigned long *out)
{
	const char *p = text;
	char *end;

	while (is_sep(*p))
		p++;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	*out = strtoul(p, &end, 0);
	if (errno || end == p)
		return -EINVAL;
	while (is_sep(*end))
		end++;
	return *end ? -EINVAL : 0;
}

int proc_doulongvec_minmax(struct kmm_machine *m, const struct ctl_table *t, int *data,
			   const char *text, struct strbuf *sb)
{
	unsigned long *val = (unsigned long *)(void *)data, v;

	if (!text) {
		sb_printf(sb, "%lu\n", __atomic_load_n(val, __ATOMIC_RELAXED));
		return 0;
	}
	if (parse_ulong(text, &v) || (t->extra1 > 0 && v < (unsigned long)t->extra1))
		return -EINVAL;
	spin_lock(&m->sysctl_lock);
	__atomic_store_n(val, v, __ATOMIC_RELAXED);
	if (t->changed)
		t->changed(m);
	spin_unlock(&m->sysctl_lock);
	return 0;
}

/* ---- The files ---- */

#define PROC_SYS "/proc/sys/"

const struct ctl_table *proc_sys_find(struct kmm_machine *m, const char *path, int **data)
{
	if (strncmp(path, PROC_SYS, strlen(PROC_SYS)))
		return NULL;
	return subsys_find_sysctl(m, path + strlen(PROC_SYS), data);
}

struct sys_list {
	kmm_proc_list_fn fn;
	void *arg;
};

static int list_one(const struct ctl_table *t, void *arg)
{
	struct sys_list *l = arg;
	char path[256];

	snprintf(path, sizeof(path), PROC_SYS "%s", t->procname);
	return l->fn(path, t->mode, l->arg);
}

int proc_sys_list(struct kmm_machine *m, kmm_proc_list_fn fn, void *arg)
{
	struct sys_list l = { fn, arg };

	return subsys_for_each_sysctl(m, list_one, &l);
}
