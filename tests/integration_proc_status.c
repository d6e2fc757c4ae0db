// SPDX-License-Identifier: MIT
/*
 * tests/integration_proc_status.c - /proc/PID/status after CapAmb, as Linux
 * 6.12's proc_pid_status() ends it (fs/proc/array.c task_seccomp,
 * task_cpus_allowed, kernel/cgroup/cpuset.c cpuset_task_status_allowed,
 * task_context_switch_counts), and THP_enabled (task_thp_status) by the
 * machine's kernel build.
 *
 * The line names and their order are those this host's kernel prints (Linux
 * 6.18: `cat /proc/self/status`, the same from NoNewPrivs to
 * nonvoluntary_ctxt_switches as 6.12's array.c); the mask formats are
 * vsprintf's %*pb (32-bit groups from the top, the first as wide as its
 * bits) and %*pbl, as the host's "Cpus_allowed:\t3", "Cpus_allowed_list:\t0-1"
 * and its Mems_allowed of 32 groups (NODES_SHIFT 10) show.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/process.h>

/* The lines after CapAmb with the two masks given. */
static void tail_want(char *buf, size_t len, const char *cpus, const char *cpu_list, const char *mems,
		      const char *mem_list)
{
	snprintf(buf, len,
		 "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n"
		 "Speculation_Store_Bypass:\tvulnerable\nSpeculationIndirectBranch:\talways enabled\n"
		 "Cpus_allowed:\t%s\nCpus_allowed_list:\t%s\nMems_allowed:\t%s\nMems_allowed_list:\t%s\n"
		 "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n",
		 cpus, cpu_list, mems, mem_list);
}

/*
 * x86_64's defconfig (NR_CPUS 64, NODES_SHIFT 6, no THP) with two possible
 * CPUs: THP_enabled 0, the CPU mask "3", 64 node bits in two groups. The
 * lines follow CapAmb directly and end the file; a zombie (no mm) prints
 * them too, as Linux prints them without an mm.
 */
TEST(status_ends_as_linux_on_a_build_without_thp)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *t = kmm_spawn(m, "a");
	char want[1024];

	assert_true(t != NULL);
	expect_str_contains(proc_status_from(m, t, "CoreDumping:"),
			    "CoreDumping:\t0\nTHP_enabled:\t0\n");
	tail_want(want, sizeof(want), "3", "0-1", "00000000,00000001", "0");
	const char *amb = proc_status_from(m, t, "CapAmb:");
	expect_true(!strncmp(amb, "CapAmb:\t0000000000000000\n", 25));
	expect_true(!strcmp(amb + 25, want));

	kmm_exit(t, 0);
	expect_true(!strcmp(proc_status_from(m, t, "NoNewPrivs:"), want));
	expect_true(!strstr(proc_status_from(m, t, "Name:"), "THP_enabled"));
	done(m);
}

/*
 * Debian's build (NR_CPUS 8192, NODES_SHIFT 10, THP): THP_enabled 1 even
 * with transparent_hugepage=never (only prctl clears it), 1024 node bits in
 * 32 groups with both fake nodes set, and 40 possible CPUs in two groups.
 */
TEST(status_masks_follow_the_build_and_the_machine)
{
	struct kmm_machine *m = boot("mem=256M numa=fake=2 config=debian nr_cpus=40 "
				     "transparent_hugepage=never");
	struct task_struct *t = kmm_spawn(m, "a");
	char mems[400] = "", want[1024];

	assert_true(t != NULL);
	expect_str_contains(proc_status_from(m, t, "CoreDumping:"), "CoreDumping:\t0\nTHP_enabled:\t1\n");
	for (int i = 0; i < 31; i++)
		strcat(mems, "00000000,");
	strcat(mems, "00000003");
	tail_want(want, sizeof(want), "ff,ffffffff", "0-39", mems, "0-1");
	expect_true(!strcmp(proc_status_from(m, t, "NoNewPrivs:"), want));
	kmm_exit(t, 0);
	done(m);

	/* one node of the same build: only bit 0 */
	m = boot("mem=128M config=debian nr_cpus=1");
	t = kmm_spawn(m, "a");
	assert_true(t != NULL);
	mems[strlen(mems) - 1] = '1';
	tail_want(want, sizeof(want), "1", "0", mems, "0");
	expect_true(!strcmp(proc_status_from(m, t, "NoNewPrivs:"), want));
	kmm_exit(t, 0);
	done(m);
}

/* i386's defconfig: no NUMA (NODES_SHIFT 0: one node bit), no THP. */
TEST(status_on_i386_has_one_node_bit_and_no_thp)
{
	struct kmm_machine *m = boot("mem=64M arch=i386 nr_cpus=8");
	struct task_struct *t = kmm_spawn(m, "a");
	char want[1024];

	assert_true(t != NULL);
	expect_str_contains(proc_status_from(m, t, "CoreDumping:"),
			    "CoreDumping:\t0\nTHP_enabled:\t0\nuntag_mask:\t0xffffffff\n");
	tail_want(want, sizeof(want), "ff", "0-7", "1", "0");
	expect_true(!strcmp(proc_status_from(m, t, "NoNewPrivs:"), want));
	kmm_exit(t, 0);
	done(m);
}
