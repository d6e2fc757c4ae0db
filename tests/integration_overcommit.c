// SPDX-License-Identifier: MIT
/*
 * tests/integration_overcommit.c - vm.overcommit_memory 0/1/2 and the commit
 * limit, through the public API and /proc: CommitLimit's formula (checked on
 * real Linux 6.12's captures, then on kmm's machines), the three modes'
 * verdicts exactly at their boundaries, every kind of commit charge
 * (mmap, MAP_NORESERVE, shared anonymous memory, brk, stack growth, mremap,
 * mprotect, fork), the reserves, and the sysctls' parsing.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>
#include <kmm/process.h>

#include "mm/include/mm.h"
#include "mm/include/oom.h"
#include "tests/proc_test.h"
#include "tests/process_test.h"

#define RW (KMM_PROT_READ | KMM_PROT_WRITE)
#define PRIV (KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS)

static unsigned long sysctl_ul(struct kmm_machine *m, const char *name)
{
	char *v = NULL;
	unsigned long r = ULONG_MAX;

	if (!kmm_sysctl_read(m, name, &v))
		r = strtoul(v, NULL, 10);
	free(v);
	return r;
}

/* The hand computation: (MemTotal in pages) * ratio / 100 + swap, in kB. */
static unsigned long commit_limit_kb(unsigned long memtotal_kb, unsigned long ratio,
				     unsigned long swap_kb)
{
	return (memtotal_kb / 4 * ratio / 100 + swap_kb / 4) * 4;
}

/*
 * Real Linux 6.12 (reference/real-linux/real-*.txt, /proc/meminfo and
 * /proc/sys/vm/overcommit_ratio sections): no swap, ratio 50, mode 0.
 */
static const struct {
	const char *capture;
	unsigned long memtotal_kb, commitlimit_kb;
} real[] = {
	{ "real-i386-mem1G.txt", 1031196, 515596 },
	{ "real-i386-mem512M.txt", 511388, 255692 },
	{ "real-i386-mem256M.txt", 251484, 125740 },
	{ "real-i386pae-mem1G.txt", 1031084, 515540 },
	{ "real-x86_64-mem1G.txt", 990640, 495320 },
	{ "real-x86_64-mem4G.txt", 4016168, 2008084 },
	{ "real-x86_64-mem2G-numa2.txt", 2024196, 1012096 },
};

TEST(commit_limit_formula_matches_real_linux)
{
	for (size_t i = 0; i < ARRAY_SIZE(real); i++)
		if (!expect_eq(commit_limit_kb(real[i].memtotal_kb, 50, 0), real[i].commitlimit_kb))
			kmm_test_fail(__FILE__, __LINE__, "in %s", real[i].capture);
}

TEST(commit_limit_of_kmm_machines)
{
	static const char *const machines[] = {
		"mem=1G arch=i386", "mem=512M arch=i386", "mem=256M arch=i386",
		"mem=1G arch=i386-pae", "mem=1G", "mem=4G", "mem=2G numa=fake=2",
	};

	for (size_t i = 0; i < ARRAY_SIZE(machines); i++) {
		struct kmm_machine *m = boot(machines[i]);
		unsigned long total = meminfo_kb(m, "MemTotal");

		/* the defaults of the real captures */
		expect_eq(sysctl_ul(m, "vm.overcommit_memory"), 0);
		expect_eq(sysctl_ul(m, "vm.overcommit_ratio"), 50);
		expect_eq(sysctl_ul(m, "vm.overcommit_kbytes"), 0);
		expect_eq(meminfo_kb(m, "SwapTotal"), 0);
		expect_eq(meminfo_kb(m, "CommitLimit"), commit_limit_kb(total, 50, 0));
		expect_eq(vm_commit_limit(m) * 4, commit_limit_kb(total, 50, 0));
		sysctl_set(m, "vm.overcommit_ratio", "30");
		expect_eq(meminfo_kb(m, "CommitLimit"), commit_limit_kb(total, 30, 0));
		sysctl_set(m, "vm.overcommit_ratio", "150");
		expect_eq(meminfo_kb(m, "CommitLimit"), commit_limit_kb(total, 150, 0));
		/* the kbytes form replaces the ratio (and zeroes it), in whole pages */
		sysctl_set(m, "vm.overcommit_kbytes", "123459");
		expect_eq(meminfo_kb(m, "CommitLimit"), 123456);
		expect_eq(sysctl_ul(m, "vm.overcommit_ratio"), 0);
		/* writing the ratio zeroes the kbytes again */
		sysctl_set(m, "vm.overcommit_ratio", "50");
		expect_eq(sysctl_ul(m, "vm.overcommit_kbytes"), 0);
		expect_eq(meminfo_kb(m, "CommitLimit"), commit_limit_kb(total, 50, 0));
		done(m);
	}
}

TEST(reserves_computed_at_boot)
{
	/* min(free/32, cap): large machines hit the caps ... */
	struct kmm_machine *m = boot("mem=8G");
	expect_eq(sysctl_ul(m, "vm.user_reserve_kbytes"), 131072);
	expect_eq(sysctl_ul(m, "vm.admin_reserve_kbytes"), 8192);
	done(m);
	/*
	 * ... a small one gets free/32 for both (below 8 MiB), computed from the
	 * free memory of that moment: before boot frees initmem (and a few
	 * pages still on per-CPU lists), so from MemFree less the initmem line.
	 */
	m = boot("mem=128M");
	unsigned long user = sysctl_ul(m, "vm.user_reserve_kbytes"), initmem = 0;
	char *log = kmm_dmesg_dup(m);
	const char *line = strstr(log, "Freeing unused kernel image (initmem) memory: ");
	assert_true(line != NULL);
	initmem = strtoul(strchr(line, ':') + 1, NULL, 10);
	free(log);
	unsigned long at_init = (meminfo_kb(m, "MemFree") - initmem) / 32;
	expect_eq(sysctl_ul(m, "vm.admin_reserve_kbytes"), user);
	expect_true(user <= at_init && user + 8 >= at_init);
	done(m);
	/* 1G: user reserve is free/32 (about 31 MiB), admin is capped */
	m = boot("mem=1G");
	user = sysctl_ul(m, "vm.user_reserve_kbytes");
	expect_true(user > 8192 && user < 131072 && (long)user <= meminfo_kb(m, "MemTotal") / 32);
	expect_eq(sysctl_ul(m, "vm.admin_reserve_kbytes"), 8192);
	done(m);
}

TEST(sysctl_parsing)
{
	struct kmm_machine *m = boot("mem=256M");

	expect_eq(kmm_sysctl_write(m, "vm.overcommit_memory", "3"), -EINVAL);
	expect_eq(kmm_sysctl_write(m, "vm.overcommit_memory", "-1"), -EINVAL);
	expect_eq(kmm_sysctl_write(m, "vm.overcommit_memory", "1 2"), -EINVAL);
	expect_eq(kmm_sysctl_write(m, "vm.overcommit_ratio", "-5"), -EINVAL);
	expect_eq(kmm_sysctl_write(m, "vm.overcommit_kbytes", "-5"), -EINVAL);
	expect_eq(kmm_sysctl_write(m, "vm.user_reserve_kbytes", "lots"), -EINVAL);
	expect_eq(kmm_sysctl_write(m, "vm.panic_on_oom", "3"), -EINVAL);
	expect_eq(sysctl_ul(m, "vm.overcommit_memory"), 0);	/* nothing changed */
	sysctl_set(m, "vm.overcommit_memory", "0x2");
	expect_eq(sysctl_ul(m, "vm.overcommit_memory"), 2);
	sysctl_set(m, "vm.admin_reserve_kbytes", " 4096\n");
	expect_eq(sysctl_ul(m, "vm.admin_reserve_kbytes"), 4096);
	sysctl_set(m, "vm.oom_kill_allocating_task", "-3");	/* proc_dointvec: any int, non-zero is on */
	expect_eq((int)sysctl_ul(m, "vm.oom_kill_allocating_task"), -3);
	expect_eq(sysctl_ul(m, "vm.oom_dump_tasks"), 1);
	expect_eq(sysctl_ul(m, "vm.panic_on_oom"), 0);
	done(m);
}

/*
 * Mode 2's boundary for a root task: Committed_AS + pages must stay below
 * CommitLimit - min(total_vm/32, user_reserve). One page more than that fails,
 * exactly that succeeds, and Committed_AS then sits one page under the limit.
 */
static long mode2_room(struct kmm_machine *m, struct task_struct *t, bool root)
{
	long allowed = (long)vm_commit_limit(m);
	long reserve = (long)(sysctl_ul(m, "vm.user_reserve_kbytes") / 4);

	if (!root)
		allowed -= (long)(sysctl_ul(m, "vm.admin_reserve_kbytes") / 4);
	allowed -= KMM_MIN((long)(t->mm->total_vm / 32), reserve);
	return allowed - (long)kmm_committed_pages(m) - 1;
}

TEST(mode2_refuses_exactly_at_the_boundary)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "A");
	uint64_t a;

	assert_true(t != NULL);
	sysctl_set(m, "vm.overcommit_memory", "2");
	long room = mode2_room(m, t, true);
	assert_true(room > 1000);
	unsigned long before = meminfo_kb(m, "Committed_AS");
	expect_eq(kmm_mmap(t, 0, (uint64_t)(room + 1) * 4096, RW, PRIV, &a), -ENOMEM);
	expect_eq(meminfo_kb(m, "Committed_AS"), before);		/* refused: no charge */
	expect_dmesg(m, "__vm_enough_memory: pid: 1, comm: A, bytes: ");
	expect_eq(kmm_mmap(t, 0, (uint64_t)room * 4096, RW, PRIV, &a), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), before + (unsigned long)room * 4);
	/* read-only and shared file-less read-only maps cost nothing, even now */
	uint64_t ro;
	expect_eq(kmm_mmap(t, 0, 64 << 20, KMM_PROT_READ, PRIV, &ro), 0);
	/* MAP_NORESERVE is ignored in mode 2: still charged, so refused */
	uint64_t nr;
	expect_eq(kmm_mmap(t, 0, 1 << 20, RW, PRIV | KMM_MAP_NORESERVE, &nr), -ENOMEM);
	/* every other charge is refused too, and changes nothing */
	uint64_t brk0 = t->mm->brk, out;
	expect_eq(kmm_brk(t, brk0 + (1 << 20), &out), -ENOMEM);
	expect_eq(out, brk0);
	expect_eq(kmm_mprotect(t, ro, 1 << 20, RW), -ENOMEM);
	expect_eq(kmm_mremap(t, a, (uint64_t)room * 4096, (uint64_t)room * 4096 + (1 << 20),
			     KMM_MREMAP_MAYMOVE, 0, &out), -ENOMEM);
	expect_true(kmm_fork(t, "B") == NULL);
	/* ... unmapping gives the room back */
	expect_eq(kmm_munmap(t, a, (uint64_t)room * 4096), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), before);
	expect_eq(kmm_check(m), 0);
	kmm_exit(t, 0);
	done(m);
}

TEST(mode2_admin_reserve_for_non_root)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "user");
	uint64_t a;

	assert_true(t != NULL);
	t->uid = 1000;
	sysctl_set(m, "vm.overcommit_memory", "2");
	long room = mode2_room(m, t, false);
	assert_eq(room + 1 + (long)(sysctl_ul(m, "vm.admin_reserve_kbytes") / 4), mode2_room(m, t, true) + 1);
	expect_eq(kmm_mmap(t, 0, (uint64_t)(room + 1) * 4096, RW, PRIV, &a), -ENOMEM);
	expect_eq(kmm_mmap(t, 0, (uint64_t)room * 4096, RW, PRIV, &a), 0);
	kmm_exit(t, 0);
	done(m);
}

TEST(mode2_fork_needs_the_childs_charge)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "A"), *c;
	uint64_t a;

	assert_true(t != NULL);
	sysctl_set(m, "vm.overcommit_memory", "2");
	long room = mode2_room(m, t, true);
	/* Leave room for a child whose charge is one page too big, then one that fits. */
	long parent = (long)t->mm->committed_vm;
	long big = (room - parent) / 2;
	assert_eq(kmm_mmap(t, 0, (uint64_t)big * 4096, RW, PRIV, &a), 0);
	long left = mode2_room(m, t, true);
	long child = (long)t->mm->committed_vm;
	expect_true(left < child);
	c = kmm_fork(t, "B");
	expect_true(c == NULL);
	expect_str_contains(kmm_last_error(), "fork");
	expect_eq(kmm_check(m), 0);
	/* shrink the parent until the child fits */
	long give = child - left;
	assert_eq(kmm_munmap(t, a + (uint64_t)(big - give) * 4096, (uint64_t)give * 4096), 0);
	left = mode2_room(m, t, true);
	expect_true(left >= (long)t->mm->committed_vm);
	c = kmm_fork(t, "B");
	expect_true(c != NULL);
	expect_eq(c->mm->committed_vm, t->mm->committed_vm);
	expect_eq(kmm_check(m), 0);
	kmm_exit(c, 0);
	kmm_exit(t, 0);
	done(m);
}

TEST(mode1_grants_ten_times_ram)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "A");
	uint64_t a;
	unsigned long ram = meminfo_kb(m, "MemTotal");

	assert_true(t != NULL);
	sysctl_set(m, "vm.overcommit_memory", "1");
	expect_eq(kmm_mmap(t, 0, (uint64_t)ram * 1024 * 10, RW, PRIV, &a), 0);
	expect_true(meminfo_kb(m, "Committed_AS") > (long)ram * 10);
	expect_true(meminfo_kb(m, "Committed_AS") > meminfo_kb(m, "CommitLimit"));
	/* touching a little is fine: the pages are only taken when used */
	expect_eq(kmm_touch(t, a, 1 << 20, true), 0);
	expect_eq(kmm_check(m), 0);
	kmm_exit(t, 0);
	done(m);
}

TEST(mode0_refuses_only_one_request_larger_than_ram_plus_swap)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "A");
	uint64_t a, b;
	unsigned long ram_pages = (unsigned long)atomic_load(&m->totalram_pages);

	assert_true(t != NULL);
	expect_eq(kmm_mmap(t, 0, (uint64_t)(ram_pages + 1) * 4096, RW, PRIV, &a), -ENOMEM);
	expect_eq(kmm_mmap(t, 0, (uint64_t)ram_pages * 4096, RW, PRIV, &a), 0);
	/* the test is per request, not on the total: a second one of the same size passes */
	expect_eq(kmm_mmap(t, 0, (uint64_t)ram_pages * 4096, RW, PRIV, &b), 0);
	/* MAP_NORESERVE is honoured: not even counted */
	unsigned long c = meminfo_kb(m, "Committed_AS");
	expect_eq(kmm_mmap(t, 0, (uint64_t)(ram_pages + 1) * 4096, RW, PRIV | KMM_MAP_NORESERVE, &b), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), c);
	kmm_exit(t, 0);
	done(m);
}

TEST(every_charge_is_counted_and_given_back)
{
	struct kmm_machine *m = boot("mem=512M arch=i386");
	unsigned long empty = meminfo_kb(m, "Committed_AS");
	struct task_struct *t = kmm_spawn(m, "A"), *c;
	uint64_t a, s, ro, out;
	unsigned long base = meminfo_kb(m, "Committed_AS");

	assert_true(t != NULL);
	expect_eq(empty, 0);
	/* shared anonymous memory: its shmem object is charged, once for all mappers */
	assert_eq(kmm_mmap(t, 0, 8 << 20, RW, KMM_MAP_SHARED | KMM_MAP_ANONYMOUS, &s), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), base + 8192);
	/* brk */
	uint64_t brk0 = t->mm->brk;
	assert_eq(kmm_brk(t, brk0 + (4 << 20), &out), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), base + 8192 + 4096);
	/* mprotect making a private read-only mapping writable */
	assert_eq(kmm_mmap(t, 0, 2 << 20, KMM_PROT_READ, PRIV, &ro), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), base + 8192 + 4096);
	assert_eq(kmm_mprotect(t, ro, 1 << 20, RW), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), base + 8192 + 4096 + 1024);
	/* ... and back to read-only keeps the charge (VM_ACCOUNT stays, as on Linux) */
	assert_eq(kmm_mprotect(t, ro, 1 << 20, KMM_PROT_READ), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), base + 8192 + 4096 + 1024);
	/* mremap growth */
	assert_eq(kmm_mmap(t, 0, 1 << 20, RW, PRIV, &a), 0);
	assert_eq(kmm_mremap(t, a, 1 << 20, 3 << 20, KMM_MREMAP_MAYMOVE, 0, &a), 0);
	unsigned long now = base + 8192 + 4096 + 1024 + 3072;
	expect_eq(meminfo_kb(m, "Committed_AS"), now);
	/* stack growth, 64 KiB below the stack's VMA */
	struct vm_area_struct *stack = find_vma(t->mm, t->mm->start_stack);
	unsigned long stack_kb = vma_pages(stack) * 4;
	assert_eq(kmm_touch(t, stack->vm_start - 65536, 1, true), 0);
	expect_eq(vma_pages(find_vma(t->mm, t->mm->start_stack)) * 4, stack_kb + 64);
	now += 64;
	expect_eq(meminfo_kb(m, "Committed_AS"), now);
	/* fork: the child's private charges, not the shared object again */
	unsigned long parent_kb = t->mm->committed_vm * 4;
	c = kmm_fork(t, "B");
	assert_true(c != NULL);
	expect_eq(meminfo_kb(m, "Committed_AS"), now + parent_kb);
	expect_eq(kmm_check(m), 0);
	/* the shared object is given back with its last mapping */
	assert_eq(kmm_munmap(t, s, 8 << 20), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), now + parent_kb);
	kmm_exit(c, 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), now - 8192);
	kmm_exit(t, 0);
	kmm_task_release(c);
	kmm_task_release(t);
	expect_eq(meminfo_kb(m, "Committed_AS"), empty);
	done(m);
}

TEST(map_noreserve_shared_is_not_charged_unless_mode2)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "A");
	uint64_t s;
	unsigned long base = meminfo_kb(m, "Committed_AS");

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 4 << 20, RW, KMM_MAP_SHARED | KMM_MAP_ANONYMOUS | KMM_MAP_NORESERVE,
			   &s), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), base);
	assert_eq(kmm_munmap(t, s, 4 << 20), 0);
	sysctl_set(m, "vm.overcommit_memory", "2");
	assert_eq(kmm_mmap(t, 0, 4 << 20, RW, KMM_MAP_SHARED | KMM_MAP_ANONYMOUS | KMM_MAP_NORESERVE,
			   &s), 0);
	expect_eq(meminfo_kb(m, "Committed_AS"), base + 4096);
	expect_eq(kmm_check(m), 0);
	kmm_exit(t, 0);
	done(m);
}
