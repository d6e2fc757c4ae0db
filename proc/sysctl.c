// SPDX-License-Identifier: MIT
/*
 * proc/sysctl.c - the page allocator's files in /proc/sys/vm/, and the
 * integer parsing every sysctl shares.
 *
 * Linux counterpart: kernel/sysctl.c (proc_dointvec_minmax: how numbers are
 * read and printed) and the handlers in mm/page_alloc.c (6.12):
 * min_free_kbytes_sysctl_handler, watermark_scale_factor_sysctl_handler,
 * lowmem_reserve_ratio_sysctl_handler,
 * percpu_pagelist_high_fraction_sysctl_handler; vm.watermark_boost_factor is
 * a plain proc_dointvec_minmax.
 *
 * Kept: ranges (min_free_kbytes >= 0, watermark_scale_factor 1..3000,
 * watermark_boost_factor >= 0, percpu_pagelist_high_fraction 0 or >= 8,
 * lowmem_reserve_ratio any int with values < 1 stored as 0); numbers in base
 * 0 as strtoul reads them (42, 0x2a, 052); arrays printed tab-separated; a
 * write of min_free_kbytes also becomes user_min_free_kbytes; each write
 * takes effect at once through the page allocator's own recomputation
 * (setup_per_zone_wmarks, setup_per_zone_lowmem_reserve,
 * zone_pcp_update_all). Stricter than Linux: a scalar given two numbers is
 * refused instead of silently taking the first.
 *
 * Invariant: a write that returns an error has changed nothing.
 *
 * Locking: m->sysctl_lock around reading and updating a value and running the
 * recomputation (sysctl_lock -> pcp->lock -> zone->lock, mm/internal.h).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "mm/internal.h"
#include "proc/proc.h"

#define MIN_PERCPU_PAGELIST_HIGH_FRACTION 8

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

static int show_int_locked(struct kmm_machine *m, struct strbuf *sb, const int *val)
{
	int v;

	spin_lock(&m->sysctl_lock);
	v = *val;
	spin_unlock(&m->sysctl_lock);
	sb_printf(sb, "%d\n", v);
	return 0;
}

/* ---- vm.min_free_kbytes ---- */

int min_free_kbytes_show(struct kmm_machine *m, struct strbuf *sb)
{
	return show_int_locked(m, sb, &m->min_free_kbytes);
}

int min_free_kbytes_write(struct kmm_machine *m, const char *text)
{
	int v;

	if (proc_parse_int_range(text, 0, INT_MAX, &v))
		return -EINVAL;
	spin_lock(&m->sysctl_lock);
	m->min_free_kbytes = v;
	m->user_min_free_kbytes = v;
	setup_per_zone_wmarks(m);
	spin_unlock(&m->sysctl_lock);
	return 0;
}

/* ---- vm.watermark_scale_factor ---- */

int watermark_scale_factor_show(struct kmm_machine *m, struct strbuf *sb)
{
	return show_int_locked(m, sb, &m->watermark_scale_factor);
}

int watermark_scale_factor_write(struct kmm_machine *m, const char *text)
{
	int v;

	if (proc_parse_int_range(text, 1, 3000, &v))
		return -EINVAL;
	spin_lock(&m->sysctl_lock);
	m->watermark_scale_factor = v;
	setup_per_zone_wmarks(m);
	spin_unlock(&m->sysctl_lock);
	return 0;
}

/* ---- vm.watermark_boost_factor (read when a boost happens) ---- */

int watermark_boost_factor_show(struct kmm_machine *m, struct strbuf *sb)
{
	return show_int_locked(m, sb, &m->watermark_boost_factor);
}

int watermark_boost_factor_write(struct kmm_machine *m, const char *text)
{
	int v;

	if (proc_parse_int_range(text, 0, INT_MAX, &v))
		return -EINVAL;
	spin_lock(&m->sysctl_lock);
	m->watermark_boost_factor = v;
	spin_unlock(&m->sysctl_lock);
	return 0;
}

/* ---- vm.lowmem_reserve_ratio: one int per zone type of the arch ---- */

int lowmem_reserve_ratio_show(struct kmm_machine *m, struct strbuf *sb)
{
	int ratio[MAX_NR_ZONES];
	bool first = true;

	spin_lock(&m->sysctl_lock);
	for (int t = 0; t < MAX_NR_ZONES; t++)
		ratio[t] = m->lowmem_reserve_ratio[t];
	spin_unlock(&m->sysctl_lock);
	for (int t = 0; t < MAX_NR_ZONES; t++) {
		if (!zone_type_configured(m, (enum zone_type)t))
			continue;
		sb_printf(sb, first ? "%d" : "\t%d", ratio[t]);
		first = false;
	}
	sb_puts(sb, "\n");
	return 0;
}

int lowmem_reserve_ratio_write(struct kmm_machine *m, const char *text)
{
	long vals[16];
	int n = proc_parse_ints(text, vals, (int)ARRAY_SIZE(vals)), i = 0;

	if (n < 0)
		return -EINVAL;
	spin_lock(&m->sysctl_lock);
	/* Values beyond the number of zone types are ignored, as Linux does. */
	for (int t = 0; t < MAX_NR_ZONES && i < n; t++) {
		if (!zone_type_configured(m, (enum zone_type)t))
			continue;
		m->lowmem_reserve_ratio[t] = vals[i] < 1 ? 0 : (int)vals[i];
		i++;
	}
	setup_per_zone_lowmem_reserve(m);
	spin_unlock(&m->sysctl_lock);
	return 0;
}

/* ---- vm.percpu_pagelist_high_fraction ---- */

int percpu_pagelist_high_fraction_show(struct kmm_machine *m, struct strbuf *sb)
{
	return show_int_locked(m, sb, &m->percpu_pagelist_high_fraction);
}

int percpu_pagelist_high_fraction_write(struct kmm_machine *m, const char *text)
{
	int v;

	if (proc_parse_int_range(text, 0, INT_MAX, &v))
		return -EINVAL;
	if (v && v < MIN_PERCPU_PAGELIST_HIGH_FRACTION)
		return -EINVAL;		/* would unbalance the pcp lists */
	spin_lock(&m->sysctl_lock);
	if (m->percpu_pagelist_high_fraction != v) {
		m->percpu_pagelist_high_fraction = v;
		zone_pcp_update_all(m);
	}
	spin_unlock(&m->sysctl_lock);
	return 0;
}
