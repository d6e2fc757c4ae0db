// SPDX-License-Identifier: MIT
/*
 * tests/proc_test.h - what the tests read from /proc and the kernel log and
 * write to /proc/sys, shared so that each exists once: one /proc/meminfo or
 * /proc/vmstat field as a number, "does dmesg say this", and a sysctl write
 * that fails the test when it is refused. Static inline, so a test that
 * uses some of them compiles warning-free; it needs only the harness.
 */
#ifndef KMM_TESTS_PROC_TEST_H
#define KMM_TESTS_PROC_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>

#include "tests/harness.h"

/*
 * The number after "@name@sep" where that begins a line of the /proc file
 * @path, or -1 when no line does (or the file cannot be read: t_proc fails
 * the test then). Anchored at a line's start, so "Cached" never finds
 * "SwapCached:" and "nr_dirty" never finds "nr_dirty_threshold".
 */
static inline long proc_field(struct kmm_machine *m, const char *path, const char *name,
			      const char *sep)
{
	char *text = t_proc(m, path), key[80];
	const char *p = NULL;
	long v = -1;

	snprintf(key, sizeof(key), "\n%s%s", name, sep);
	if (text && !strncmp(text, key + 1, strlen(key + 1)))
		p = text + strlen(key + 1);	/* the first line */
	else if (text && (p = strstr(text, key)))
		p += strlen(key);
	if (p)
		v = strtol(p, NULL, 10);
	free(text);
	return v;
}

/* The /proc/meminfo line @field ("Dirty" or "Dirty:"), in kB, or -1. */
static inline long meminfo_kb(struct kmm_machine *m, const char *field)
{
	char name[64];
	size_t n = strlen(field);

	snprintf(name, sizeof(name), "%.*s", (int)(n && field[n - 1] == ':' ? n - 1 : n), field);
	return proc_field(m, "/proc/meminfo", name, ":");
}

/* The value of the /proc/vmstat line @field ("workingset_nodes"), or -1. */
static inline long vmstat_val(struct kmm_machine *m, const char *field)
{
	return proc_field(m, "/proc/vmstat", field, " ");
}

/* dmesg of @m contains @needle (a copy of the log, freed here). */
static inline bool dmesg_has(struct kmm_machine *m, const char *needle)
{
	char *log = kmm_dmesg_dup(m);
	bool has = log && strstr(log, needle);

	free(log);
	return has;
}
#define expect_dmesg(m, needle) \
	(dmesg_has((m), (needle)) ? true : kmm_test_fail(__FILE__, __LINE__, \
		"expected dmesg to contain \"%s\"", (needle)))

/* sysctl @name = @value; a refused write fails the test (at the caller's line) and goes on. */
#define sysctl_set(m, name, value) sysctl_set_at((m), (name), (value), __FILE__, __LINE__)
static inline void sysctl_set_at(struct kmm_machine *m, const char *name, const char *value,
				 const char *file, int line)
{
	if (kmm_sysctl_write(m, name, value))
		kmm_test_fail(file, line, "sysctl %s=%s: %s", name, value, kmm_last_error());
}

#endif /* KMM_TESTS_PROC_TEST_H */
