// SPDX-License-Identifier: MIT
/*
 * tests/integration_oom.c - the OOM killer: who is chosen (the highest
 * badness, checked against the task table it prints; never a task at -1000;
 * the allocating task with vm.oom_kill_allocating_task), what a kill gives
 * back (every page of the victim, to the page), which requests may kill
 * (not costly orders, __GFP_NORETRY, __GFP_RETRY_MAYFAIL or no direct
 * reclaim; __GFP_NOFAIL and plain GFP_KERNEL do), Linux's report lines,
 * /proc/PID/oom_score, oom_score_adj and oom_adj, and vm.panic_on_oom.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>
#include <kmm/slab.h>
#include <kmm/process.h>

#include "mm/include/mm.h"
#include "mm/include/oom.h"
#include "tests/proc_test.h"
#include "tests/process_test.h"

#define RW (KMM_PROT_READ | KMM_PROT_WRITE)
#define PRIV (KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS)

/* A process holding @mb MiB of touched anonymous memory, filled with @byte. */
static struct task_struct *hold(struct kmm_machine *m, const char *name, unsigned mb, int byte,
				uint64_t *addr)
{
	struct task_struct *t = kmm_spawn(m, name);
	uint64_t a;

	if (!t || kmm_mmap(t, 0, (uint64_t)mb << 20, RW, PRIV, &a) ||
	    kmm_fill(t, a, byte, (uint64_t)mb << 20)) {
		kmm_test_fail(__FILE__, __LINE__, "%s: %s", name, kmm_last_error());
		return t;
	}
	if (addr)
		*addr = a;
	return t;
}

/* Every byte of [a, a+len) of @t is @byte. */
static bool intact(struct task_struct *t, uint64_t a, uint64_t len, int byte)
{
	unsigned char buf[4096];

	for (uint64_t off = 0; off < len; off += sizeof(buf)) {
		if (kmm_access(t, a + off, buf, sizeof(buf), false))
			return false;
		for (size_t i = 0; i < sizeof(buf); i++)
			if (buf[i] != (unsigned char)byte)
				return false;
	}
	return true;
}

static unsigned long oom_kills(struct kmm_machine *m)
{
	return sum_vm_event(m, OOM_KILL);
}

/*
 * The last task table in dmesg, re-scored with Linux's formula: the victim
 * named on the "Killed process" line after it must hold the highest points
 * (a later row wins a tie), skipping rows at -1000.
 */
static void check_choice_against_table(struct kmm_machine *m, const char *message)
{
	char *log = kmm_dmesg_dup(m);
	const char *p, *table = NULL, *kill;
	unsigned long totalpages = oom_totalpages(m);
	long best = LONG_MIN;
	int best_pid = -1, victim = -1;

	for (p = log; (p = strstr(p, "[  pid  ]   uid  tgid")) != NULL; p++)
		table = p;
	assert_true(table != NULL);
	kill = strstr(table, message);
	assert_true(kill != NULL);
	assert_eq(sscanf(kill + strlen(message), ": Killed process %d", &victim), 1);
	for (p = strchr(table, '\n') + 1; p < kill; p = strchr(p, '\n') + 1) {
		const char *row = strstr(p, "] [");
		int pid, tgid, adj;
		unsigned uid;
		unsigned long total_vm, rss, anon, file, shmem, pgtables, swapents;

		row = strchr(p, ']') + 2;	/* the log stamp's ']' */
		if (sscanf(row, "[%d] %u %d %lu %lu %lu %lu %lu %lu %lu %d", &pid, &uid, &tgid,
			   &total_vm, &rss, &anon, &file, &shmem, &pgtables, &swapents, &adj) != 11)
			break;
		expect_eq(rss, anon + file + shmem);
		if (adj == OOM_SCORE_ADJ_MIN)
			continue;
		long points = (long)(rss + swapents + pgtables / 4096) + adj * (long)(totalpages / 1000);
		if (points >= best) {
			best = points;
			best_pid = pid;
		}
	}
	expect_eq(victim, best_pid);
	free(log);
}

TEST(victim_has_the_highest_badness)
{
	struct kmm_machine *m = boot("mem=128M");
	uint64_t a = 0, b = 0, c = 0;
	struct task_struct *A = hold(m, "A", 44, 0xaa, &a);
	struct task_struct *B = hold(m, "B", 30, 0xbb, &b);
	struct task_struct *C = kmm_spawn(m, "C");

	assert_true(C != NULL);
	expect_true(oom_score(A) > oom_score(B));
	assert_eq(kmm_mmap(C, 0, 40 << 20, RW, PRIV, &c), 0);
	/* C's faults run out of memory: A, the biggest, is killed; C goes on. */
	expect_eq(kmm_fill(C, c, 0xcc, 40 << 20), 0);
	expect_eq(oom_kills(m), 1);
	expect_true(!kmm_task_alive(A));
	expect_eq(kmm_task_exit_info(A).signal, KMM_SIGKILL);
	check_choice_against_table(m, "Out of memory");
	/* kmm's fault path passes GFP_HIGHUSER_MOVABLE (Linux 6.12 adds __GFP_COMP|__GFP_ZERO) */
	expect_dmesg(m, "C invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, "
			    "oom_score_adj=0");
	expect_dmesg(m, "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,"
			    "mems_allowed=0,global_oom,task_memcg=/,task=A,pid=1,uid=0");
	expect_dmesg(m, "Out of memory: Killed process 1 (A) total-vm:");
	expect_dmesg(m, "oom_reaper: reaped process 1 (A), now anon-rss:0kB, "
			    "file-rss:0kB, shmem-rss:0kB");
	/* nothing but the victim lost data */
	expect_true(intact(B, b, 30 << 20, 0xbb));
	expect_true(intact(C, c, 40 << 20, 0xcc));
	expect_eq(kmm_check(m), 0);
	char *vmstat = t_proc(m, "/proc/vmstat");
	expect_str_contains(vmstat, "\noom_kill 1\n");
	free(vmstat);
	kmm_exit(B, 0);
	kmm_exit(C, 0);
	done(m);
}

TEST(minus_1000_is_never_chosen)
{
	struct kmm_machine *m = boot("mem=128M");
	uint64_t a = 0, b = 0, c = 0;
	struct task_struct *A = hold(m, "A", 44, 0xaa, &a);
	struct task_struct *B = hold(m, "B", 30, 0xbb, &b);
	struct task_struct *C = kmm_spawn(m, "C");

	assert_true(C != NULL);
	assert_eq(kmm_proc_write(m, "/proc/1/oom_score_adj", "-1000"), 0);
	expect_eq(oom_score(A), 0);
	assert_eq(kmm_mmap(C, 0, 40 << 20, RW, PRIV, &c), 0);
	expect_eq(kmm_fill(C, c, 0xcc, 40 << 20), 0);
	expect_true(oom_kills(m) >= 1);
	expect_true(kmm_task_alive(A));
	expect_true(!kmm_task_alive(B));
	check_choice_against_table(m, "Out of memory");
	expect_true(intact(A, a, 44 << 20, 0xaa));
	expect_true(intact(C, c, 40 << 20, 0xcc));
	expect_eq(kmm_check(m), 0);
	kmm_exit(A, 0);
	kmm_exit(C, 0);
	done(m);
}

TEST(oom_kill_allocating_task_kills_the_allocator)
{
	struct kmm_machine *m = boot("mem=128M");
	uint64_t a = 0, b = 0, c = 0;
	struct task_struct *A = hold(m, "A", 44, 0xaa, &a);
	struct task_struct *B = hold(m, "B", 30, 0xbb, &b);
	struct task_struct *C = kmm_spawn(m, "C");

	assert_true(C != NULL);
	sysctl_set(m, "vm.oom_kill_allocating_task", "1");
	assert_eq(kmm_mmap(C, 0, 40 << 20, RW, PRIV, &c), 0);
	/* the fill fails: C itself dies in its fault */
	expect_eq(kmm_fill(C, c, 0xcc, 40 << 20), -EFAULT);
	expect_true(!kmm_task_alive(C));
	expect_eq(kmm_task_exit_info(C).signal, KMM_SIGKILL);
	expect_dmesg(m, "Out of memory (oom_kill_allocating_task): Killed process 3 (C)");
	expect_dmesg(m, "oom_reaper: reaped process 3 (C)");
	expect_true(intact(A, a, 44 << 20, 0xaa));
	expect_true(intact(B, b, 30 << 20, 0xbb));
	expect_eq(oom_kills(m), 1);
	expect_eq(kmm_check(m), 0);
	kmm_exit(A, 0);
	kmm_exit(B, 0);
	done(m);
}

TEST(the_allocating_task_itself_when_it_is_the_biggest)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *T = kmm_spawn(m, "hog");
	uint64_t h;

	assert_true(T != NULL);
	sysctl_set(m, "vm.overcommit_memory", "1");
	assert_eq(kmm_mmap(T, 0, 256 << 20, RW, PRIV, &h), 0);
	expect_eq(kmm_touch(T, h, 256 << 20, true), -EFAULT);
	expect_true(!kmm_task_alive(T));
	expect_dmesg(m, "hog invoked oom-killer");
	expect_dmesg(m, "Out of memory: Killed process 1 (hog)");
	expect_dmesg(m, "oom_reaper: reaped process 1 (hog), now anon-rss:0kB");
	expect_eq(oom_kills(m), 1);
	done(m);	/* leak check: every page of the victim is free again */
}

/* Take every page a kernel allocation may have without reclaim or OOM. */
struct held { struct page **pages; size_t n, cap; };

static void fill_kernel(struct kmm_machine *m, struct held *h)
{
	struct page *p;

	while ((p = kmm_alloc_pages(m, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0, -1)) != NULL) {
		if (h->n == h->cap) {
			h->cap = h->cap ? 2 * h->cap : 1024;
			h->pages = realloc(h->pages, h->cap * sizeof(*h->pages));
		}
		h->pages[h->n++] = p;
	}
}

static void release(struct held *h)
{
	for (size_t i = 0; i < h->n; i++)
		__free_pages(h->pages[i], 0);
	free(h->pages);
	*h = (struct held){ 0 };
}

TEST(which_requests_may_kill)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *A = hold(m, "A", 16, 0xaa, NULL);
	struct held h = { 0 };
	struct page *p;

	fill_kernel(m, &h);
	assert_true(h.n > 1000);
	/* Costly orders, __GFP_NORETRY, __GFP_RETRY_MAYFAIL, no direct reclaim: no OOM kill. */
	expect_true(kmm_alloc_pages(m, GFP_KERNEL | __GFP_NOWARN, 4, -1) == NULL);
	expect_true(kmm_alloc_pages(m, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0, -1) == NULL);
	expect_true(kmm_alloc_pages(m, GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN, 0, -1) == NULL);
	expect_true(kmm_alloc_pages(m, GFP_NOWAIT | __GFP_NOWARN, 0, -1) == NULL);
	/* !__GFP_FS: Linux's OOM killer claims progress and kills no one */
	expect_true(kmm_alloc_pages(m, GFP_NOFS | __GFP_NOWARN, 0, -1) == NULL);
	expect_eq(oom_kills(m), 0);
	expect_true(kmm_task_alive(A));

	/* The plain order-0 GFP_KERNEL request kills A and gets its page. */
	unsigned long rss = get_mm_rss(A->mm), tables = pgtable_nr_tables(&A->mm->pgt);
	unsigned long before = nr_free(m);
	unsigned long slab0 = global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B);
	p = kmm_alloc_pages(m, GFP_KERNEL, 0, -1);
	expect_true(p != NULL);
	expect_eq(oom_kills(m), 1);
	expect_true(!kmm_task_alive(A));
	expect_dmesg(m, "kmm invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, "
			    "oom_score_adj=0");
	/*
	 * Every page of the victim is back in the buddy allocator: its RSS, its
	 * page tables and the root table (which pgtables_bytes leaves out), the
	 * slabs of its mm_struct, VMAs and anon_vma (its task_struct stays with
	 * the zombie), less the one that went to p.
	 */
	unsigned long after = nr_free(m), slab1 = global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B);
	expect_true(slab1 < slab0);
	expect_eq(after, before + rss + tables + (slab0 - slab1) / PAGE_SIZE + 1 - 1);
	expect_eq(kmm_check(m), 0);
	__free_pages(p, 0);

	/* __GFP_NOFAIL kills too: B goes for it */
	struct task_struct *B = hold(m, "B", 8, 0xbb, NULL);
	fill_kernel(m, &h);
	p = kmm_alloc_pages(m, GFP_KERNEL | __GFP_NOFAIL, 0, -1);
	expect_true(p != NULL);
	expect_true(!kmm_task_alive(B));
	expect_eq(oom_kills(m), 2);
	__free_pages(p, 0);
	release(&h);
	done(m);
}

/*
 * A new slab whose order is already the cache's minimum: the first try (Linux's
 * __GFP_NORETRY one) fails, the second, with the caller's own GFP_KERNEL, may
 * kill as a page allocation does (allocate_slab always makes that second try;
 * kmm skipped it when the two orders were the same, and an mmap failed with
 * "out of memory for the VMA" while processes could have been killed).
 */
TEST(a_slab_of_minimum_order_may_kill_too)
{
	struct kmm_machine *m = boot("mem=128M");
	struct kmem_cache *c = kmm_kmem_cache_create(m, "oom-test-64", 64, 0, 0, NULL);
	struct held h = { 0 };
	void *obj;

	assert_true(c != NULL);
	struct task_struct *A = hold(m, "A", 16, 0xaa, NULL);
	fill_kernel(m, &h);
	assert_true(h.n > 1000);
	obj = kmem_cache_alloc(c, GFP_KERNEL);
	expect_true(obj != NULL);
	expect_eq(oom_kills(m), 1);
	expect_true(!kmm_task_alive(A));
	expect_eq(kmm_check(m), 0);
	if (obj)
		kmem_cache_free(c, obj);
	release(&h);
	kmem_cache_destroy(c);
	done(m);
}

TEST(nothing_killable_panics)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *A = hold(m, "A", 8, 0xaa, NULL);
	struct held h = { 0 };

	assert_eq(kmm_proc_write(m, "/proc/1/oom_score_adj", "-1000"), 0);
	fill_kernel(m, &h);
	expect_true(kmm_alloc_pages(m, GFP_KERNEL | __GFP_NOWARN, 0, -1) == NULL);
	expect_true(atomic_load(&m->halted));
	expect_true(kmm_task_alive(A));
	expect_dmesg(m, "Out of memory and no killable processes...");
	expect_dmesg(m, "Kernel panic - not syncing: System is deadlocked on memory");
	expect_dmesg(m, "---[ end Kernel panic - not syncing: System is deadlocked "
			    "on memory ]---");
	/* a process touching memory now is frozen, not killed */
	uint64_t x;
	assert_eq(kmm_mmap(A, 0, 1 << 20, RW, PRIV, &x), 0);
	expect_eq(kmm_touch(A, x, 1 << 20, true), -EIO);
	expect_true(kmm_task_alive(A));
	expect_eq(kmm_check(m), 0);
	release(&h);
	kmm_exit(A, 0);
	done(m);
}

TEST(panic_on_oom)
{
	static const char *const modes[] = { "1", "2" };

	for (int i = 0; i < 2; i++) {
		struct kmm_machine *m = boot("mem=64M");
		struct task_struct *T = kmm_spawn(m, "hog");
		uint64_t h;

		assert_true(T != NULL);
		sysctl_set(m, "vm.overcommit_memory", "1");
		sysctl_set(m, "vm.panic_on_oom", modes[i]);
		assert_eq(kmm_mmap(T, 0, 256 << 20, RW, PRIV, &h), 0);
		expect_eq(kmm_touch(T, h, 256 << 20, true), -EIO);
		expect_true(kmm_task_alive(T));
		expect_eq(oom_kills(m), 0);
		expect_dmesg(m, "hog invoked oom-killer");
		expect_dmesg(m, i == 0 ? "Kernel panic - not syncing: Out of memory: "
				    "system-wide panic_on_oom is enabled"
				    : "Kernel panic - not syncing: Out of memory: compulsory "
				    "panic_on_oom is enabled");
		expect_eq(kmm_check(m), 0);
		kmm_exit(T, 0);
		done(m);
	}
}

TEST(oom_dump_tasks_off_leaves_out_the_table)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *T = kmm_spawn(m, "hog");
	uint64_t h;

	assert_true(T != NULL);
	sysctl_set(m, "vm.overcommit_memory", "1");
	sysctl_set(m, "vm.oom_dump_tasks", "0");
	assert_eq(kmm_mmap(T, 0, 256 << 20, RW, PRIV, &h), 0);
	kmm_touch(T, h, 256 << 20, true);
	expect_dmesg(m, "Out of memory: Killed process 1 (hog)");
	expect_true(!dmesg_has(m, "Tasks state (memory values in pages):"));
	done(m);
}

TEST(oom_score_and_its_files)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *A = hold(m, "A", 16, 0xaa, NULL);
	unsigned long totalpages = oom_totalpages(m);
	char *s;

	/* oom_score by hand: (1000 + points*1000/totalpages) * 2/3, points = rss + pte pages + swap */
	long points = (long)get_mm_rss(A->mm) + (long)pgtable_nr_tables(&A->mm->pgt);
	s = t_proc(m, "/proc/1/oom_score");
	expect_eq(strtoul(s, NULL, 10), (unsigned long)((1000 + points * 1000 / (long)totalpages) * 2 / 3));
	free(s);
	assert_eq(kmm_proc_write(m, "/proc/1/oom_score_adj", "500\n"), 0);
	points += 500 * (long)(totalpages / 1000);
	s = t_proc(m, "/proc/1/oom_score");
	expect_eq(strtoul(s, NULL, 10), (unsigned long)((1000 + points * 1000 / (long)totalpages) * 2 / 3));
	free(s);
	/* range-checked, nothing changed on error */
	expect_eq(kmm_proc_write(m, "/proc/1/oom_score_adj", "1001"), -EINVAL);
	expect_eq(kmm_proc_write(m, "/proc/1/oom_score_adj", "-1001"), -EINVAL);
	expect_eq(kmm_proc_write(m, "/proc/1/oom_score_adj", "12abc"), -EINVAL);
	expect_eq(A->oom_score_adj, 500);
	/* oom_adj: Linux's scaling both ways */
	s = t_proc(m, "/proc/1/oom_adj");
	expect_eq(strtol(s, NULL, 10), 500 * 17 / 1000);
	free(s);
	assert_eq(kmm_proc_write(m, "/proc/1/oom_adj", "-17"), 0);
	expect_eq(A->oom_score_adj, -1000);
	s = t_proc(m, "/proc/1/oom_score");
	expect_eq(strtoul(s, NULL, 10), 0);
	free(s);
	assert_eq(kmm_proc_write(m, "/proc/1/oom_adj", "15"), 0);
	expect_eq(A->oom_score_adj, 1000);
	assert_eq(kmm_proc_write(m, "/proc/1/oom_adj", "8"), 0);
	expect_eq(A->oom_score_adj, 8 * 1000 / 17);
	expect_eq(kmm_proc_write(m, "/proc/1/oom_adj", "16"), -EINVAL);
	expect_eq(kmm_proc_write(m, "/proc/1/oom_adj", "-18"), -EINVAL);
	expect_dmesg(m, "/proc/1/oom_adj is deprecated, please use /proc/1/oom_score_adj instead.");
	/* oom_score is read-only; fork inherits the adjustment */
	expect_eq(kmm_proc_write(m, "/proc/1/oom_score", "1"), -EACCES);
	struct task_struct *B = kmm_fork(A, "B");
	assert_true(B != NULL);
	expect_eq(B->oom_score_adj, 8 * 1000 / 17);
	kmm_exit(A, 0);
	kmm_exit(B, 0);
	done(m);
}
