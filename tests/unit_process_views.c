// SPDX-License-Identifier: MIT
/*
 * tests/unit_process_views.c - /proc/<pid>/maps, smaps, status, statm,
 * pagemap and oom_score_adj: exact 6.12 line formats (maps name column at 73
 * on 64-bit and 49 on 32-bit machines, "Name:\t%8lu kB" status lines, smaps
 * "%-16s%8lu kB" fields, PSS split between sharers, VmFlags mnemonics),
 * values that follow the process's life, and bad writes refused.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>
#include <stdlib.h>

#include <kmm/process.h>

#include "mm/include/mm.h"

#define RW (KMM_PROT_READ | KMM_PROT_WRITE)
#define PRIV (KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS)

/* The line of @text that contains @needle (malloc()ed), or NULL. */
static char *line_with(const char *text, const char *needle)
{
	const char *p = text ? strstr(text, needle) : NULL;

	if (!p)
		return NULL;
	while (p > text && p[-1] != '\n')
		p--;
	const char *e = strchr(p, '\n');
	size_t n = e ? (size_t)(e - p) : strlen(p);
	char *l = malloc(n + 1);
	memcpy(l, p, n);
	l[n] = 0;
	return l;
}

TEST(maps_format_64_and_32_bit)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *t = kmm_spawn(m, "init");
	char *maps = t_proc(m, "/proc/1/maps");
	char *l;

	l = line_with(maps, "[stack]");
	assert_true(l != NULL);
	expect_eq(strcmp(l, "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]"), 0);
	expect_eq(strlen(l) - strlen("[stack]"), 73);
	free(l);
	l = line_with(maps, "/bin/init");
	expect_eq(strncmp(l, "00400000-00408000 r-xp 00000000 ", 32), 0);
	free(l);
	expect_str_contains(maps, "[heap]");
	expect_str_contains(maps, "[vdso]");
	free(maps);
	kmm_exit(t, 0);
	/* a zombie has no mappings */
	maps = t_proc(m, "/proc/1/maps");
	expect_eq(strlen(maps), 0);
	free(maps);
	done(m);

	m = boot("mem=512M arch=i386");
	t = kmm_spawn(m, "init");
	maps = t_proc(m, "/proc/1/maps");
	l = line_with(maps, "[stack]");
	expect_eq(strcmp(l, "bffdf000-c0000000 rw-p 00000000 00:00 0          [stack]"), 0);
	expect_eq(strlen(l) - strlen("[stack]"), 49);
	free(l);
	l = line_with(maps, "/bin/init");
	expect_eq(strncmp(l, "08048000-08050000 r-xp 00000000 ", 32), 0);
	free(l);
	free(maps);
	kmm_exit(t, 0);
	done(m);
}

TEST(status_vm_block)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *t = kmm_spawn(m, "init");
	uint64_t x;

	assert_eq(kmm_mmap(t, 0, 1 << 20, RW, PRIV, &x), 0);
	assert_eq(kmm_fill(t, x, 1, 256 * 1024), 0);
	assert_eq(kmm_mlock(t, x, 64 * 1024), 0);
	char *st = t_proc(m, "/proc/1/status");
	char *l;

	expect_str_contains(st, "Name:\tinit\n");
	expect_str_contains(st, "State:\tR (running)\n");
	expect_str_contains(st, "Pid:\t1\nPPid:\t0\n");
	l = line_with(st, "VmRSS:");
	/* 64 pages written + the argv page; mlock faulted no new pages (already there) */
	expect_eq(strcmp(l, "VmRSS:\t     260 kB"), 0);
	free(l);
	l = line_with(st, "RssAnon:");
	expect_eq(strcmp(l, "RssAnon:\t     260 kB"), 0);
	free(l);
	l = line_with(st, "VmLck:");
	expect_eq(strcmp(l, "VmLck:\t      64 kB"), 0);
	free(l);
	l = line_with(st, "VmStk:");
	expect_eq(strcmp(l, "VmStk:\t     132 kB"), 0);
	free(l);
	/* the order of the Vm block is Linux's */
	const char *order[] = { "VmPeak:", "VmSize:", "VmLck:", "VmPin:", "VmHWM:", "VmRSS:", "RssAnon:",
				"RssFile:", "RssShmem:", "VmData:", "VmStk:", "VmExe:", "VmLib:", "VmPTE:",
				"VmSwap:", "HugetlbPages:" };
	const char *prev = st;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		const char *p = strstr(st, order[i]);
		expect_true(p != NULL && p > prev);
		prev = p ? p : prev;
	}
	free(st);
	/* VmHWM keeps the peak after munmap */
	assert_eq(kmm_munmap(t, x, 1 << 20), 0);
	st = t_proc(m, "/proc/1/status");
	l = line_with(st, "VmHWM:");
	expect_eq(strcmp(l, "VmHWM:\t     260 kB"), 0);
	free(l);
	l = line_with(st, "VmRSS:");
	expect_eq(strcmp(l, "VmRSS:\t       4 kB"), 0);
	free(l);
	free(st);
	kmm_kill(t, KMM_SIGKILL);
	st = t_proc(m, "/proc/1/status");
	expect_str_contains(st, "State:\tZ (zombie)\n");
	expect_true(strstr(st, "VmRSS") == NULL);
	free(st);
	done(m);
}

TEST(smaps_pss_and_flags)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *p = kmm_spawn(m, "p");
	uint64_t x;

	assert_eq(kmm_mmap(p, 0, 4 * PAGE_SIZE, RW, PRIV, &x), 0);
	assert_eq(kmm_fill(p, x, 1, 4 * PAGE_SIZE), 0);
	struct task_struct *c = kmm_fork(p, "c");
	assert_true(c != NULL);
	char *sm = t_proc(m, "/proc/1/smaps");
	char head[64];
	snprintf(head, sizeof(head), "%08lx-%08lx rw-p", (unsigned long)x, (unsigned long)x + 4 * PAGE_SIZE);
	const char *v = strstr(sm, head);
	assert_true(v != NULL);
	/* 4 pages shared by 2: Pss 8 kB, all Shared_Dirty */
	expect_true(strstr(v, "Size:                 16 kB\n") != NULL);
	expect_true(strstr(v, "Rss:                  16 kB\n") != NULL);
	expect_true(strstr(v, "Pss:                   8 kB\n") != NULL);
	expect_true(strstr(v, "Shared_Dirty:         16 kB\n") != NULL);
	expect_true(strstr(v, "Anonymous:            16 kB\n") != NULL);
	expect_true(strstr(v, "THPeligible:    0\n") != NULL);
	expect_true(strstr(v, "VmFlags: rd wr mr mw me ac sd \n") != NULL);
	free(sm);
	/* smaps_rollup sums every VMA: 4 shared pages (8 kB of PSS) + the argv page */
	sm = t_proc(m, "/proc/1/smaps_rollup");
	expect_str_contains(sm, " [rollup]\n");
	expect_str_contains(sm, "Rss:                  20 kB\n");
	expect_str_contains(sm, "Pss:                  10 kB\n");
	expect_str_contains(sm, "Pss_Anon:             10 kB\n");
	free(sm);
	/* the stack says gd */
	sm = t_proc(m, "/proc/2/smaps");
	expect_str_contains(sm, "VmFlags: rd wr mr mw me gd ac sd \n");
	free(sm);
	/* after the child's copy, the parent's page is private again */
	assert_eq(kmm_fill(c, x, 2, PAGE_SIZE), 0);
	sm = t_proc(m, "/proc/1/smaps");
	v = strstr(sm, head);
	expect_true(strstr(v, "Pss:                  10 kB\n") != NULL);
	expect_true(strstr(v, "Private_Dirty:         4 kB\n") != NULL);
	free(sm);
	kmm_exit(c, 0);
	kmm_exit(p, 0);
	done(m);
}

TEST(pagemap_statm_oom_score_adj)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *t = kmm_spawn(m, "p");
	uint64_t x;
	char want[64];

	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, RW, PRIV, &x), 0);
	assert_eq(kmm_fill(t, x, 1, 1), 0);
	char *pm = t_proc(m, "/proc/1/pagemap");
	unsigned long pfn = (unsigned long)(pgtable_get_pte(&t->mm->pgt, x) >> 12) & 0xffffffffffUL;
	/* present | exclusive | soft-dirty | pfn */
	snprintf(want, sizeof(want), "%016lx %016llx\n", (unsigned long)x,
		 (1ULL << 63) | (1ULL << 56) | (1ULL << 55) | pfn);
	expect_str_contains(pm, want);
	free(pm);
	char *sm = t_proc(m, "/proc/1/statm");
	unsigned long size, res;
	expect_eq(sscanf(sm, "%lu %lu", &size, &res), 2);
	expect_eq(size, t->mm->total_vm);
	expect_eq(res, 2);
	free(sm);
	expect_eq(kmm_proc_write(m, "/proc/1/oom_score_adj", "500\n"), 0);
	char *o = t_proc(m, "/proc/1/oom_score_adj");
	expect_eq(strcmp(o, "500\n"), 0);
	free(o);
	expect_eq(kmm_proc_write(m, "/proc/1/oom_score_adj", "2000"), -EINVAL);
	expect_eq(kmm_proc_write(m, "/proc/1/oom_score_adj", "x"), -EINVAL);
	expect_eq(t->oom_score_adj, 500);
	expect_ne(kmm_proc_write(m, "/proc/1/maps", "1"), 0);
	char *none = NULL;
	expect_eq(kmm_proc_read(m, "/proc/9/maps", &none), -ENOENT);
	kmm_exit(t, 0);
	done(m);
}
