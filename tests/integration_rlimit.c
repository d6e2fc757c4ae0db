// SPDX-License-Identifier: MIT
/*
 * tests/integration_rlimit.c - the resource limits as Linux 6.12 keeps and
 * enforces them: INIT_RLIMITS and fork_init()'s NPROC/SIGPENDING for a task
 * from nothing, copy_signal() at fork, exec keeping them, do_prlimit() for
 * all sixteen, /proc/PID/limits (fs/proc/base.c proc_pid_limits), and the
 * limits the memory code enforces: RLIMIT_AS and RLIMIT_DATA through
 * may_expand_vm() (mmap_region, brk's do_brk_flags, vma_to_resize,
 * acct_stack_growth, mprotect_fixup), brk's check_data_rlimit(), the
 * ignore_rlimit_data boot option and its warning, and RLIMIT_STACK at stack
 * growth and at exec (the mmap layout, x86's mmap_base()).
 *
 * The expected errors were checked against the host's kernel (Linux 6.18;
 * these paths are 6.12's there) by a probe (linux20's report has it and its
 * output): with RLIMIT_AS 64 pages above VmSize a 32-page mmap passes, 64
 * more is ENOMEM; a MAP_FIXED mapping over one's own pages counts only the
 * pages it adds (48 over 32: ENOMEM with room for 8, passes with room for
 * 16); sbrk past the limit is ENOMEM, brk and VmSize unmoved; mremap growth
 * past it ENOMEM. With RLIMIT_DATA 32 pages above VmData a private writable
 * mapping of 64 is ENOMEM while read-only, shared and MAP_GROWSDOWN ones
 * pass; mprotect making 64 read-only pages writable is ENOMEM; sbrk is
 * ENOMEM; a soft limit of 0 with an unlimited hard one lets it pass, 0:0
 * does not. A heap above RLIMIT_DATA may not even shrink (brk returns the
 * old break) until the limit is raised. A MAP_GROWSDOWN mapping grows to
 * exactly RLIMIT_STACK. With an unlimited stack x86 keeps the top-down
 * layout, mmap_base at PAGE_ALIGN(TASK_SIZE - TASK_SIZE / 6 * 5). An mmap of
 * an fd wrong in two ways reports do_mmap()'s first: EEXIST, EPERM (MAP_LOCKED,
 * RLIMIT_MEMLOCK 0), EAGAIN (past RLIMIT_MEMLOCK) before EACCES for the fd's
 * mode, EACCES before ENOMEM for RLIMIT_AS; an unaligned offset is EINVAL
 * before a bad fd's EBADF.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/fs.h>
#include <kmm/proc.h>
#include <kmm/process.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

#define PRIV (KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS)
#define RW (KMM_PROT_READ | KMM_PROT_WRITE)
#define PG PAGE_SIZE
#define INF KMM_RLIM_INFINITY

static void set_limit(struct task_struct *t, int res, uint64_t soft, uint64_t hard)
{
	struct kmm_rlimit lim = { soft, hard };

	assert_eq(kmm_prlimit(t, res, &lim, NULL), 0);
}

static uint64_t soft_limit(struct task_struct *t, int res)
{
	struct kmm_rlimit lim;

	assert_eq(kmm_prlimit(t, res, NULL, &lim), 0);
	return lim.rlim_cur;
}

/* How many times @needle is in @hay. */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/*
 * A task from nothing has INIT_RLIMITS with fork_init()'s NPROC and
 * SIGPENDING (half of max_threads: free pages * 4096 / (THREAD_SIZE * 8));
 * fork copies every limit and exec keeps them; prlimit takes all sixteen
 * (EINVAL past them), refuses soft > hard (EINVAL), a NOFILE hard limit
 * past fs.nr_open and a raised hard limit without CAP_SYS_RESOURCE (EPERM),
 * each changing nothing.
 */
TEST(sixteen_limits_start_as_linux_gives_them_and_fork_and_exec_carry_them)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *a = kmm_spawn(m, "a");
	struct kmm_rlimit lim;
	static const struct { int res; uint64_t soft, hard; } init[] = {
		{ KMM_RLIMIT_CPU, INF, INF }, { KMM_RLIMIT_FSIZE, INF, INF },
		{ KMM_RLIMIT_DATA, INF, INF }, { KMM_RLIMIT_STACK, 8 << 20, INF },
		{ KMM_RLIMIT_CORE, 0, INF }, { KMM_RLIMIT_RSS, INF, INF },
		{ KMM_RLIMIT_NOFILE, 1024, 4096 }, { KMM_RLIMIT_MEMLOCK, 8 << 20, 8 << 20 },
		{ KMM_RLIMIT_AS, INF, INF }, { KMM_RLIMIT_LOCKS, INF, INF },
		{ KMM_RLIMIT_MSGQUEUE, 819200, 819200 }, { KMM_RLIMIT_NICE, 0, 0 },
		{ KMM_RLIMIT_RTPRIO, 0, 0 }, { KMM_RLIMIT_RTTIME, INF, INF },
	};

	assert_true(a != NULL);
	for (size_t i = 0; i < sizeof(init) / sizeof(init[0]); i++) {
		assert_eq(kmm_prlimit(a, init[i].res, NULL, &lim), 0);
		expect_eq(lim.rlim_cur, init[i].soft);
		expect_eq(lim.rlim_max, init[i].hard);
	}
	/*
	 * max_threads: the pages memblock leaves free when the process layer
	 * starts (fork_init's time: before boot frees its init memory, so a
	 * little under what it leaves free after boot) * 4096 / (16 KiB * 8)
	 */
	uint64_t free_pages = (m->memblock.memory.total_size - m->memblock.reserved.total_size) >> PAGE_SHIFT;
	uint64_t nproc = procs_of(m)->max_threads / 2;
	expect_true(nproc <= free_pages / 32 / 2 && nproc >= free_pages / 32 / 2 * 98 / 100);
	assert_eq(kmm_prlimit(a, KMM_RLIMIT_NPROC, NULL, &lim), 0);
	expect_eq(lim.rlim_cur, nproc);
	expect_eq(lim.rlim_max, nproc);
	assert_eq(kmm_prlimit(a, KMM_RLIMIT_SIGPENDING, NULL, &lim), 0);
	expect_eq(lim.rlim_cur, nproc);
	expect_eq(lim.rlim_max, nproc);

	/* set every one of the sixteen (distinct values; NOFILE's hard within fs.nr_open) */
	struct kmm_rlimit want[KMM_RLIM_NLIMITS];
	for (int r = 0; r < KMM_RLIM_NLIMITS; r++) {
		want[r] = (struct kmm_rlimit){ (1ull << 40) + (uint64_t)r, (1ull << 41) + (uint64_t)r };
		if (r == KMM_RLIMIT_NOFILE)
			want[r] = (struct kmm_rlimit){ 1000, 1u << 19 };
		set_limit(a, r, want[r].rlim_cur, want[r].rlim_max);
	}
	/* fork copies them, exec keeps them */
	assert_eq(kmm_task_set_capability(a, KMM_CAP_SYS_RESOURCE, false), 0);
	struct task_struct *b = kmm_fork(a, "b");
	assert_true(b != NULL);
	struct kmm_exec_image img = { .path = "/bin/prog", .text = 64 << 10, .data = 16 << 10 };
	assert_eq(kmm_exec(b, &img), 0);
	for (int r = 0; r < KMM_RLIM_NLIMITS; r++) {
		assert_eq(kmm_prlimit(b, r, NULL, &lim), 0);
		expect_eq(lim.rlim_cur, want[r].rlim_cur);
		expect_eq(lim.rlim_max, want[r].rlim_max);
	}

	/* refused, nothing changed */
	lim = (struct kmm_rlimit){ 1, 2 };
	expect_eq(kmm_prlimit(b, KMM_RLIM_NLIMITS, &lim, NULL), -EINVAL);
	expect_eq(kmm_prlimit(b, -1, NULL, &lim), -EINVAL);
	lim = (struct kmm_rlimit){ 3, 2 };
	expect_eq(kmm_prlimit(b, KMM_RLIMIT_AS, &lim, NULL), -EINVAL);
	lim = (struct kmm_rlimit){ 10, (1u << 20) + 1 };	/* fs.nr_open is 1048576 */
	expect_eq(kmm_prlimit(b, KMM_RLIMIT_NOFILE, &lim, NULL), -EPERM);
	expect_str_contains(kmm_last_error(), "nr_open");
	lim = (struct kmm_rlimit){ 10, want[KMM_RLIMIT_STACK].rlim_max + 1 };	/* no CAP_SYS_RESOURCE */
	expect_eq(kmm_prlimit(b, KMM_RLIMIT_STACK, &lim, NULL), -EPERM);
	expect_str_contains(kmm_last_error(), "CAP_SYS_RESOURCE");
	for (int r = 0; r < KMM_RLIM_NLIMITS; r++) {
		assert_eq(kmm_prlimit(b, r, NULL, &lim), 0);
		expect_eq(lim.rlim_cur, want[r].rlim_cur);
		expect_eq(lim.rlim_max, want[r].rlim_max);
	}
	/* lowering is allowed, and the parent keeps its own */
	lim = (struct kmm_rlimit){ 5, 5 };
	expect_eq(kmm_prlimit(b, KMM_RLIMIT_CPU, &lim, NULL), 0);
	expect_eq(soft_limit(a, KMM_RLIMIT_CPU), want[KMM_RLIMIT_CPU].rlim_cur);
	kmm_exit(b, 0);
	kmm_exit(a, 0);
	pt_check(m);
	done(m);

	/* i386's THREAD_SIZE is 8 KiB: twice the threads for the same memory */
	m = boot("mem=256M arch=i386");
	free_pages = (m->memblock.memory.total_size - m->memblock.reserved.total_size) >> PAGE_SHIFT;
	nproc = procs_of(m)->max_threads / 2;
	expect_true(nproc <= free_pages / 16 / 2 && nproc >= free_pages / 16 / 2 * 98 / 100);
	a = kmm_spawn(m, "a");
	assert_true(a != NULL);
	expect_eq(soft_limit(a, KMM_RLIMIT_NPROC), nproc);
	kmm_exit(a, 0);
	done(m);
}

/*
 * /proc/PID/limits is proc_pid_limits()'s text: the header, then sixteen
 * rows in resource order, columns of 25, 20 and 20 and a unit padded to
 * 10, "unlimited" for RLIM_INFINITY, nothing after the hard column for the
 * three limits with no unit. (The host's own /proc/self/limits has the
 * same bytes for the same values.)
 */
TEST(proc_pid_limits_is_linux_text)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "a");
	char path[64], want[2048];

	assert_true(t != NULL);
	set_limit(t, KMM_RLIMIT_NPROC, 3000, 3000);
	set_limit(t, KMM_RLIMIT_SIGPENDING, 3000, 3000);
	set_limit(t, KMM_RLIMIT_AS, 1u << 30, INF);
	snprintf(want, sizeof(want),
		 "Limit                     Soft Limit           Hard Limit           Units     \n"
		 "Max cpu time              unlimited            unlimited            seconds   \n"
		 "Max file size             unlimited            unlimited            bytes     \n"
		 "Max data size             unlimited            unlimited            bytes     \n"
		 "Max stack size            8388608              unlimited            bytes     \n"
		 "Max core file size        0                    unlimited            bytes     \n"
		 "Max resident set          unlimited            unlimited            bytes     \n"
		 "Max processes             3000                 3000                 processes \n"
		 "Max open files            1024                 4096                 files     \n"
		 "Max locked memory         8388608              8388608              bytes     \n"
		 "Max address space         1073741824           unlimited            bytes     \n"
		 "Max file locks            unlimited            unlimited            locks     \n"
		 "Max pending signals       3000                 3000                 signals   \n"
		 "Max msgqueue size         819200               819200               bytes     \n"
		 "Max nice priority         0                    0                    \n"
		 "Max realtime priority     0                    0                    \n"
		 "Max realtime timeout      unlimited            unlimited            us        \n");
	snprintf(path, sizeof(path), "/proc/%d/limits", kmm_task_pid(t));
	char *text = t_proc(m, path);
	assert_true(text != NULL);
	if (!expect_true(!strcmp(text, want)))
		fprintf(stderr, "got:\n%s", text);
	free(text);
	expect_eq(kmm_proc_mode(m, path), 0444);
	expect_eq(kmm_proc_write(m, path, "1"), -EACCES);
	kmm_exit(t, 0);
	done(m);
}

/*
 * RLIMIT_AS (may_expand_vm: total_vm): mmap past it is ENOMEM with nothing
 * mapped; MAP_FIXED counts only the pages it adds; brk, mremap growth and
 * stack growth are refused the same way, each changing nothing.
 */
TEST(rlimit_as_holds_mmap_brk_mremap_and_stack_growth)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t a, q, brk0, brk1;

	assert_true(t != NULL);
	struct mm_struct *mm = t->mm;
	set_limit(t, KMM_RLIMIT_AS, (mm_total_vm(mm) + 64) * PG, INF);
	assert_eq(kmm_mmap(t, 0, 32 * PG, RW, PRIV, &a), 0);
	unsigned long vm0 = mm_total_vm(mm);
	int vmas = mm->map_count;
	expect_eq(kmm_mmap(t, 0, 64 * PG, KMM_PROT_READ, PRIV, &q), -ENOMEM);
	expect_str_contains(kmm_last_error(), "RLIMIT_AS");
	expect_eq(mm_total_vm(mm), vm0);
	expect_eq(mm->map_count, vmas);

	/* MAP_FIXED over its own 32 pages and 16 free: 16 more; room for 8, then 16 */
	assert_eq(kmm_munmap(t, a, 32 * PG), 0);
	assert_eq(kmm_mmap(t, 0, 48 * PG, RW, PRIV, &a), 0);
	assert_eq(kmm_munmap(t, a + 32 * PG, 16 * PG), 0);
	set_limit(t, KMM_RLIMIT_AS, (mm_total_vm(mm) + 8) * PG, INF);
	expect_eq(kmm_mmap(t, a, 48 * PG, RW, PRIV | KMM_MAP_FIXED, &q), -ENOMEM);
	expect_true(pt_vm_flags(t, a) & VM_WRITE);	/* the old mapping is still there */
	set_limit(t, KMM_RLIMIT_AS, (mm_total_vm(mm) + 16) * PG, INF);
	expect_eq(kmm_mmap(t, a, 48 * PG, RW, PRIV | KMM_MAP_FIXED, &q), 0);
	expect_eq(q, a);
	pt_check(m);

	/* the limit is full now */
	assert_eq(kmm_brk(t, 0, &brk0), -ENOMEM);	/* brk(0): asks, moves nothing */
	vm0 = mm_total_vm(mm);
	expect_eq(kmm_brk(t, brk0 + 8 * PG, &brk1), -ENOMEM);
	expect_eq(brk1, brk0);
	expect_eq(mm_total_vm(mm), vm0);
	expect_eq(kmm_mremap(t, a, 48 * PG, 64 * PG, KMM_MREMAP_MAYMOVE, 0, &q), -ENOMEM);
	expect_str_contains(kmm_last_error(), "RLIMIT_AS");
	expect_eq(kmm_mremap(t, a, 48 * PG, 32 * PG, 0, 0, &q), 0);	/* shrinking is fine */

	/*
	 * MREMAP_FIXED growing past the limit: ENOMEM, and the target is still
	 * mapped (kmm and the host's 6.18 check first; 6.12 unmapped it first)
	 */
	uint64_t src, tgt;
	set_limit(t, KMM_RLIMIT_AS, INF, INF);
	assert_eq(kmm_mmap(t, 0, 16 * PG, RW, PRIV, &tgt), 0);
	assert_eq(kmm_mmap(t, 0, 4 * PG, RW, PRIV, &src), 0);
	set_limit(t, KMM_RLIMIT_AS, (mm_total_vm(mm) + 2) * PG, INF);
	expect_eq(kmm_mremap(t, src, 4 * PG, 16 * PG, KMM_MREMAP_MAYMOVE | KMM_MREMAP_FIXED, tgt, &q), -ENOMEM);
	expect_true(pt_vm_flags(t, tgt) & VM_WRITE);
	expect_true(pt_vm_flags(t, src) & VM_WRITE);
	assert_eq(kmm_munmap(t, tgt, 16 * PG), 0);
	assert_eq(kmm_munmap(t, src, 4 * PG), 0);
	set_limit(t, KMM_RLIMIT_AS, (mm_total_vm(mm) + 16) * PG, INF);
	vm0 = mm_total_vm(mm);

	/* the stack grows by 16 pages into the room, and no further */
	struct vm_area_struct *stack = find_vma(mm, mm->start_stack);
	uint64_t low = stack->vm_start, byte = 1;
	expect_eq(kmm_access(t, low - 16 * PG, &byte, 1, true), 0);
	expect_eq(find_vma(mm, mm->start_stack)->vm_start, low - 16 * PG);
	expect_eq(mm_total_vm(mm), vm0 + 16);
	expect_true(kmm_access(t, low - 17 * PG, &byte, 1, true) < 0);	/* SIGSEGV */
	expect_true(!kmm_task_alive(t));
	done(m);
}

/*
 * RLIMIT_DATA (may_expand_vm: data_vm): a private writable mapping past it
 * is ENOMEM, read-only, shared and stack ones are not data; mprotect making
 * pages writable is held to it; brk too (check_data_rlimit first: even a
 * shrink is refused while the heap and data are past the limit). A soft
 * limit of 0 lets the hard one decide (Valgrind's way). The first refusal
 * prints Linux's warning once.
 */
TEST(rlimit_data_holds_private_writable_mappings_and_brk)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "db");
	uint64_t a, q, brk0, brk1;

	assert_true(t != NULL);
	struct mm_struct *mm = t->mm;
	set_limit(t, KMM_RLIMIT_DATA, (mm->data_vm + 32) * PG, INF);
	unsigned long data0 = mm->data_vm, vm0 = mm_total_vm(mm);
	expect_eq(kmm_mmap(t, 0, 64 * PG, RW, PRIV, &q), -ENOMEM);
	expect_str_contains(kmm_last_error(), "RLIMIT_DATA");
	expect_eq(mm->data_vm, data0);
	expect_eq(mm_total_vm(mm), vm0);
	char line[160];
	snprintf(line, sizeof(line), "db (%d): VmData %lu exceed data ulimit %lu. Update limits or use "
		 "boot option ignore_rlimit_data.", kmm_task_pid(t), (data0 + 64) * PG, (data0 + 32) * PG);
	expect_str_contains(t_dmesg(m), line);
	expect_eq(kmm_mmap(t, 0, 64 * PG, KMM_PROT_READ, PRIV, &a), 0);
	expect_eq(kmm_mmap(t, 0, 64 * PG, RW, KMM_MAP_SHARED | KMM_MAP_ANONYMOUS, &q), 0);
	expect_eq(kmm_mmap(t, 0, 64 * PG, RW, PRIV | KMM_MAP_GROWSDOWN, &q), 0);
	expect_eq(mm->data_vm, data0);
	expect_eq(kmm_mprotect(t, a, 64 * PG, RW), -ENOMEM);
	expect_true(!(pt_vm_flags(t, a) & VM_WRITE));
	expect_eq(kmm_mprotect(t, a, 16 * PG, RW), 0);	/* 16 fit */
	expect_eq(mm->data_vm, data0 + 16);
	assert_eq(kmm_brk(t, 0, &brk0), -ENOMEM);
	expect_eq(kmm_brk(t, brk0 + 32 * PG, &brk1), -ENOMEM);
	expect_eq(brk1, brk0);
	expect_eq(count_of(t_dmesg(m), "exceed data ulimit"), 1);	/* pr_warn_once */

	/* soft 0: the hard limit decides; 0:0 refuses */
	set_limit(t, KMM_RLIMIT_DATA, 0, INF);
	expect_eq(kmm_mmap(t, 0, 64 * PG, RW, PRIV, &q), 0);
	set_limit(t, KMM_RLIMIT_DATA, 0, 0);
	expect_eq(kmm_mmap(t, 0, 64 * PG, RW, PRIV, &q), -ENOMEM);

	/* a heap past the limit cannot even shrink until the limit is raised */
	set_limit(t, KMM_RLIMIT_DATA, INF, INF);
	assert_eq(kmm_brk(t, brk0 + 64 * PG, &brk1), 0);
	set_limit(t, KMM_RLIMIT_DATA, 4 * PG, INF);
	expect_eq(kmm_brk(t, brk0 + 63 * PG, &brk1), -ENOMEM);
	expect_eq(brk1, brk0 + 64 * PG);
	expect_str_contains(kmm_last_error(), "RLIMIT_DATA");
	set_limit(t, KMM_RLIMIT_DATA, INF, INF);
	expect_eq(kmm_brk(t, brk0 + 63 * PG, &brk1), 0);
	pt_check(m);
	kmm_exit(t, 0);
	done(m);
}

/* ignore_rlimit_data: the data limit warns (without the hint) and refuses nothing; AS still holds. */
TEST(ignore_rlimit_data_warns_and_lets_the_mapping_pass)
{
	struct kmm_machine *m = boot("mem=64M ignore_rlimit_data");
	struct task_struct *t = kmm_spawn(m, "db");
	uint64_t q;

	assert_true(t != NULL);
	set_limit(t, KMM_RLIMIT_DATA, 0, 0);
	expect_eq(kmm_mmap(t, 0, 64 * PG, RW, PRIV, &q), 0);
	expect_str_contains(t_dmesg(m), "exceed data ulimit");
	expect_str_contains(t_dmesg(m), ". Update limits.");
	expect_true(!strstr(t_dmesg(m), "use boot option"));
	set_limit(t, KMM_RLIMIT_AS, mm_total_vm(t->mm) * PG, INF);
	expect_eq(kmm_mmap(t, 0, PG, KMM_PROT_READ, PRIV, &q), -ENOMEM);
	kmm_exit(t, 0);
	done(m);

	/* a value that is no boolean refuses the boot */
	expect_true(kmm_boot("mem=64M ignore_rlimit_data=maybe") == NULL);
	expect_str_contains(kmm_last_error(), "ignore_rlimit_data");
}

/*
 * RLIMIT_STACK: the stack grows to exactly the limit (acct_stack_growth's
 * size > limit), lowered at run time it holds the next growth; at exec it
 * sets the mmap layout (128 MiB floor below TASK_SIZE; unlimited: a sixth
 * of TASK_SIZE, rounded up) and caps the stack an image may ask for.
 */
TEST(rlimit_stack_holds_stack_growth_and_sets_exec_layout)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t byte = 1;

	assert_true(t != NULL);
	struct mm_struct *mm = t->mm;
	unsigned long top = find_vma(mm, mm->start_stack)->vm_end;
	expect_eq(mm->mmap_base, mm->task_size - (128UL << 20));	/* 8M + the gap: under the floor */
	set_limit(t, KMM_RLIMIT_STACK, 256 << 10, INF);
	expect_eq(kmm_access(t, top - (256 << 10), &byte, 1, true), 0);
	expect_eq(find_vma(mm, mm->start_stack)->vm_start, top - (256 << 10));
	expect_true(kmm_access(t, top - (256 << 10) - 1, &byte, 1, true) < 0);	/* SIGSEGV */
	expect_true(!kmm_task_alive(t));

	/* exec reads the limit: an unlimited stack moves mmap_base to a sixth of TASK_SIZE */
	struct task_struct *u = kmm_spawn(m, "u");
	assert_true(u != NULL);
	set_limit(u, KMM_RLIMIT_STACK, INF, INF);
	struct kmm_exec_image img = { .path = "/bin/prog", .text = 64 << 10, .stack = 4 << 20 };
	assert_eq(kmm_exec(u, &img), 0);
	expect_eq(u->mm->mmap_base, 0x155555556000UL);	/* the host's with ulimit -s unlimited */
	set_limit(u, KMM_RLIMIT_STACK, 1 << 30, INF);	/* 1 GiB + the gap: past the floor */
	assert_eq(kmm_exec(u, &img), 0);
	expect_eq(u->mm->mmap_base, u->mm->task_size - (1UL << 30) - procs_of(m)->stack_guard_gap);
	set_limit(u, KMM_RLIMIT_STACK, 1 << 20, INF);
	struct mm_struct *before = u->mm;
	expect_eq(kmm_exec(u, &img), -E2BIG);	/* a 4 MiB stack past a 1 MiB limit */
	expect_str_contains(kmm_last_error(), "RLIMIT_STACK");
	expect_true(u->mm == before);
	kmm_exit(u, 0);
	done(m);
}

/*
 * kmm_mmap_fd() leaves the fd's mode to do_mmap(), which checks it where
 * Linux 6.12's does: after the address (EINVAL, EEXIST), MAP_LOCKED's EPERM
 * and RLIMIT_MEMLOCK's EAGAIN, and before mmap_region's RLIMIT_AS. x86's
 * sys_mmap checks the offset before the fd. Each refusal maps nothing.
 */
TEST(an_fd_mapping_wrong_two_ways_reports_linux_first_error)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t x, q;

	assert_true(t != NULL);
	int w = kmm_open(t, "/data/f", KMM_O_RDWR | KMM_O_CREAT);
	assert_true(w >= 3);
	assert_eq(kmm_ftruncate(t, w, 16 * PG), 0);
	int ro = kmm_open(t, "/data/f", KMM_O_RDONLY), wo = kmm_open(t, "/data/f", KMM_O_WRONLY);
	assert_true(ro >= 3 && wo >= 3);
	assert_eq(kmm_mmap(t, 0, 4 * PG, KMM_PROT_READ, PRIV, &x), 0);
	assert_eq(kmm_task_set_capability(t, KMM_CAP_IPC_LOCK, false), 0);
	int vmas = t->mm->map_count;

	expect_eq(kmm_mmap_fd(t, ro, x, 4 * PG, RW, KMM_MAP_SHARED | KMM_MAP_FIXED_NOREPLACE, 0, &q), -EEXIST);
	expect_eq(kmm_mmap_fd(t, wo, x, 4 * PG, KMM_PROT_READ, KMM_MAP_PRIVATE | KMM_MAP_FIXED_NOREPLACE, 0, &q),
		  -EEXIST);
	expect_eq(kmm_mmap_fd(t, ro, x + 1, 4 * PG, RW, KMM_MAP_SHARED | KMM_MAP_FIXED, 0, &q), -EINVAL);
	expect_eq(kmm_mmap_fd(t, 99, 0, 4 * PG, KMM_PROT_READ, KMM_MAP_PRIVATE, 1, &q), -EINVAL);
	set_limit(t, KMM_RLIMIT_MEMLOCK, 4 * PG, 4 * PG);
	expect_eq(kmm_mmap_fd(t, ro, 0, 8 * PG, RW, KMM_MAP_SHARED | KMM_MAP_LOCKED, 0, &q), -EAGAIN);
	expect_eq(kmm_mmap_fd(t, wo, 0, 8 * PG, KMM_PROT_READ, KMM_MAP_PRIVATE | KMM_MAP_LOCKED, 0, &q), -EAGAIN);
	set_limit(t, KMM_RLIMIT_MEMLOCK, 0, 0);
	expect_eq(kmm_mmap_fd(t, ro, 0, 4 * PG, RW, KMM_MAP_SHARED | KMM_MAP_LOCKED, 0, &q), -EPERM);
	expect_eq(kmm_mmap_fd(t, wo, 0, 4 * PG, KMM_PROT_READ, KMM_MAP_PRIVATE | KMM_MAP_LOCKED, 0, &q), -EPERM);
	set_limit(t, KMM_RLIMIT_AS, mm_total_vm(t->mm) * PG, INF);
	expect_eq(kmm_mmap_fd(t, ro, 0, 4 * PG, RW, KMM_MAP_SHARED, 0, &q), -EACCES);
	expect_eq(kmm_mmap_fd(t, wo, 0, 4 * PG, KMM_PROT_READ, KMM_MAP_PRIVATE, 0, &q), -EACCES);
	expect_str_contains(kmm_last_error(), "not open for reading");
	expect_eq(kmm_mmap_fd(t, ro, 0, 4 * PG, KMM_PROT_READ, KMM_MAP_SHARED, 0, &q), -ENOMEM);
	expect_eq(t->mm->map_count, vmas);
	set_limit(t, KMM_RLIMIT_AS, INF, INF);
	expect_eq(kmm_mmap_fd(t, ro, 0, 4 * PG, KMM_PROT_READ, KMM_MAP_SHARED, 0, &q), 0);
	pt_check(m);
	expect_eq(kmm_close(t, ro), 0);
	expect_eq(kmm_close(t, wo), 0);
	expect_eq(kmm_close(t, w), 0);
	kmm_exit(t, 0);
	done(m);
}
