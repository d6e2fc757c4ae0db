// SPDX-License-Identifier: MIT
/*
 * tests/integration_capability.c - the capability sets as Linux 6.12 keeps
 * them (struct cred: effective, permitted, inheritable, ambient, bounding):
 * root's full sets for a task from nothing, setuid()'s clearing
 * (cap_emulate_setxuid), capset(2)'s rules (security/commoncap.c
 * cap_capset), exec's recomputation for a file without capabilities
 * (cap_bprm_creds_from_file, handle_privileged_root), and the lines
 * /proc/PID/status shows for them and the signals (fs/proc/array.c
 * task_sig, task_cap, and untag_mask before them).
 *
 * The exec rules were checked on the host (Linux 6.18, root; linux20's
 * report): capsh --keep=1 --user=nobody --caps=cap_ipc_lock+eip
 * --addamb=cap_ipc_lock shows CapInh/Prm/Eff/Amb 0x4000 after exec; without
 * --addamb CapPrm and CapEff are 0 (CapInh stays); with +ep only, all 0.
 * Root that clears only the effective bit gets it back at exec; root whose
 * bounding set lost it (capsh --drop) does not.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/process.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

#define FULL ((1ull << 41) - 1)
#define IPC (1ull << KMM_CAP_IPC_LOCK)
#define RES (1ull << KMM_CAP_SYS_RESOURCE)

static struct kmm_caps caps_of(struct task_struct *t)
{
	struct kmm_caps c;

	assert_eq(kmm_task_caps(t, &c), 0);
	return c;
}

#define expect_caps(t, e, p, i, a, b)                                   \
	do {                                                            \
		struct kmm_caps c_ = caps_of(t);                        \
		expect_eq(c_.effective, (uint64_t)(e));                 \
		expect_eq(c_.permitted, (uint64_t)(p));                 \
		expect_eq(c_.inheritable, (uint64_t)(i));               \
		expect_eq(c_.ambient, (uint64_t)(a));                   \
		expect_eq(c_.bounding, (uint64_t)(b));                  \
	} while (0)

static void run_exec(struct task_struct *t)
{
	struct kmm_exec_image img = { .path = "/bin/prog", .text = 64 << 10, .data = 16 << 10 };

	assert_eq(kmm_exec(t, &img), 0);
}

/*
 * Root from nothing: every capability effective, permitted and bounding,
 * none inheritable or ambient; fork copies the sets. setuid() to a user
 * clears permitted, effective and ambient (bounding and inheritable stay)
 * and cannot be undone.
 */
TEST(root_holds_every_capability_and_setuid_takes_them)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *r = kmm_spawn(m, "r");

	assert_true(r != NULL);
	expect_caps(r, FULL, FULL, 0, 0, FULL);
	struct task_struct *u = kmm_fork(r, "u");
	assert_true(u != NULL);
	expect_caps(u, FULL, FULL, 0, 0, FULL);
	assert_eq(kmm_task_setuid(u, 1000), 0);
	expect_caps(u, 0, 0, 0, 0, FULL);
	expect_true(!kmm_task_capable(u, KMM_CAP_IPC_LOCK));
	expect_eq(kmm_task_setuid(u, 0), -EPERM);
	expect_caps(u, 0, 0, 0, 0, FULL);
	expect_eq(kmm_task_setuid(u, 1000), 0);	/* its own uid: allowed, nothing changes */
	kmm_exit(u, 0);
	kmm_exit(r, 0);
	done(m);
}

/*
 * exec for a user's process: permitted = effective = ambient. A capability
 * given in every set (ambient) survives; the same capability left only in
 * permitted and effective (capset dropped it from inheritable, which drops
 * it from ambient) is gone - and with it mlock past RLIMIT_MEMLOCK.
 */
TEST(exec_keeps_a_users_ambient_capability_and_drops_a_permitted_one)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *u = kmm_spawn(m, "u");
	struct kmm_rlimit lim = { 4 * PAGE_SIZE, 4 * PAGE_SIZE };
	uint64_t a;

	assert_true(u != NULL);
	assert_eq(kmm_task_setuid(u, 1000), 0);
	assert_eq(kmm_prlimit(u, KMM_RLIMIT_MEMLOCK, &lim, NULL), 0);
	assert_eq(kmm_task_set_capability(u, KMM_CAP_IPC_LOCK, true), 0);
	expect_caps(u, IPC, IPC, IPC, IPC, FULL);
	run_exec(u);
	expect_caps(u, IPC, IPC, IPC, IPC, FULL);
	assert_eq(kmm_mmap(u, 0, 8 * PAGE_SIZE, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &a), 0);
	expect_eq(kmm_mlock(u, a, 8 * PAGE_SIZE), 0);	/* past the limit: CAP_IPC_LOCK */
	expect_eq(kmm_munlock(u, a, 8 * PAGE_SIZE), 0);

	/* capset: inheritable without it; ambient follows */
	assert_eq(kmm_capset(u, IPC, IPC, 0), 0);
	expect_caps(u, IPC, IPC, 0, 0, FULL);
	expect_eq(kmm_mlock(u, a, 8 * PAGE_SIZE), 0);
	expect_eq(kmm_munlock(u, a, 8 * PAGE_SIZE), 0);
	run_exec(u);
	expect_caps(u, 0, 0, 0, 0, FULL);
	assert_eq(kmm_mmap(u, 0, 8 * PAGE_SIZE, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &a), 0);
	expect_eq(kmm_mlock(u, a, 8 * PAGE_SIZE), -ENOMEM);
	pt_check(m);
	kmm_exit(u, 0);
	done(m);
}

/*
 * exec for root: permitted = effective = bounding | inheritable | ambient.
 * A capability root cleared with capset comes back; one taken out of the
 * bounding set (kmm_task_set_capability off, capsh --drop) does not.
 */
TEST(exec_gives_root_its_bounding_set)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *r = kmm_spawn(m, "r");

	assert_true(r != NULL);
	assert_eq(kmm_capset(r, FULL & ~IPC, FULL & ~IPC, 0), 0);
	expect_true(!kmm_task_capable(r, KMM_CAP_IPC_LOCK));
	run_exec(r);
	expect_caps(r, FULL, FULL, 0, 0, FULL);
	assert_eq(kmm_task_set_capability(r, KMM_CAP_IPC_LOCK, false), 0);
	expect_caps(r, FULL & ~IPC, FULL & ~IPC, 0, 0, FULL & ~IPC);
	run_exec(r);
	expect_caps(r, FULL & ~IPC, FULL & ~IPC, 0, 0, FULL & ~IPC);
	kmm_exit(r, 0);
	done(m);
}

/*
 * capset(2)'s rules, each refusal changing nothing: permitted may only
 * shrink, effective stays within the new permitted, inheritable within the
 * old inheritable and permitted without CAP_SETPCAP, and within the old
 * inheritable and bounding sets always; bits past CAP_LAST_CAP are dropped.
 */
TEST(capset_refuses_what_cap_capset_refuses)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *r = kmm_spawn(m, "r");

	assert_true(r != NULL);
	/* root without CAP_IPC_LOCK in permitted: CAP_SETPCAP lets it put it in inheritable */
	assert_eq(kmm_capset(r, FULL & ~IPC, FULL & ~IPC, 0), 0);
	expect_eq(kmm_capset(r, FULL & ~IPC, FULL & ~IPC, IPC), 0);
	expect_caps(r, FULL & ~IPC, FULL & ~IPC, IPC, 0, FULL);
	expect_eq(kmm_capset(r, FULL, FULL, IPC), -EPERM);	/* permitted grows */
	expect_str_contains(kmm_last_error(), "not within the old permitted");
	expect_eq(kmm_capset(r, FULL, FULL & ~IPC, IPC), -EPERM);	/* effective past permitted */
	expect_str_contains(kmm_last_error(), "not within the new permitted");
	expect_caps(r, FULL & ~IPC, FULL & ~IPC, IPC, 0, FULL);
	expect_eq(kmm_capset(r, ~0ull, ~0ull & ~IPC, IPC | (1ull << 50)), -EPERM);
	expect_eq(kmm_capset(r, FULL & ~IPC, (FULL & ~IPC) | (1ull << 50), IPC | (1ull << 63)), 0);
	expect_caps(r, FULL & ~IPC, FULL & ~IPC, IPC, 0, FULL);	/* bit 50 and 63 dropped */

	/* a user without CAP_SETPCAP: inheritable only within inheritable | permitted */
	struct task_struct *u = kmm_fork(r, "u");
	assert_true(u != NULL);
	assert_eq(kmm_task_setuid(u, 1000), 0);
	expect_caps(u, 0, 0, IPC, 0, FULL);
	expect_eq(kmm_capset(u, 0, 0, IPC | RES), -EPERM);
	expect_str_contains(kmm_last_error(), "CAP_SETPCAP");
	expect_eq(kmm_capset(u, 0, 0, 0), 0);
	expect_eq(kmm_capset(u, 0, 0, IPC), -EPERM);	/* gone for good */
	/* bounding: nobody adds to inheritable what the bounding set lost */
	assert_eq(kmm_task_set_capability(r, KMM_CAP_SYS_RESOURCE, false), 0);
	expect_eq(kmm_capset(r, FULL & ~IPC & ~RES, FULL & ~IPC & ~RES, IPC | RES), -EPERM);
	expect_str_contains(kmm_last_error(), "bounding");
	kmm_exit(u, 0);
	kmm_exit(r, 0);
	done(m);
}

/*
 * /proc/PID/status after the Vm lines, as proc_pid_status prints them:
 * CoreDumping, THP_enabled (0: x86_64's defconfig has no THP) and
 * untag_mask (with an mm), Threads, SigQ
 * (nothing queued / RLIMIT_SIGPENDING), the five signal sets (an OOM
 * victim's SIGKILL pending in ShdPnd, bit 9 - 1), the five capability sets
 * in 16 hex digits.
 */
TEST(status_shows_the_signal_and_capability_lines)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *u = kmm_spawn(m, "u");
	char want[1024];

	assert_true(u != NULL);
	assert_eq(kmm_task_setuid(u, 1000), 0);
	assert_eq(kmm_task_set_capability(u, KMM_CAP_IPC_LOCK, true), 0);
	struct kmm_rlimit lim = { 77, 77 };
	assert_eq(kmm_prlimit(u, KMM_RLIMIT_SIGPENDING, &lim, NULL), 0);
	snprintf(want, sizeof(want),
		 "CoreDumping:\t0\nTHP_enabled:\t0\nuntag_mask:\t0xffffffffffffffff\nThreads:\t1\n"
		 "SigQ:\t0/77\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n"
		 "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n"
		 "CapInh:\t0000000000004000\nCapPrm:\t0000000000004000\nCapEff:\t0000000000004000\n"
		 "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000004000\n");
	/* then NoNewPrivs... (tests/integration_proc_status.c) */
	strcat(want, "NoNewPrivs:\t0\n");
	expect_true(!strncmp(proc_status_from(m, u, "CoreDumping:"), want, strlen(want)));

	/* an OOM victim between the kill and its delivery */
	atomic_store(&u->oom_victim, true);
	expect_str_contains(proc_status_from(m, u, "ShdPnd:"), "ShdPnd:\t0000000000000100\n");
	atomic_store(&u->oom_victim, false);

	/* a zombie: no mm, so no Vm lines and none of the three after them */
	kmm_exit(u, 0);
	const char *zombie = "Kthread:\t0\nThreads:\t1\nSigQ:\t0/77\n";
	expect_true(!strncmp(proc_status_from(m, u, "Kthread:"), zombie, strlen(zombie)));
	expect_true(!strstr(proc_status_from(m, u, "Name:"), "CoreDumping"));
	done(m);

	/* i386: unsigned longs of 32 bits (untag_mask, an unlimited SigQ limit) */
	m = boot("mem=64M arch=i386");
	u = kmm_spawn(m, "u");
	assert_true(u != NULL);
	lim = (struct kmm_rlimit){ 1ull << 40, KMM_RLIM_INFINITY };	/* 2^32 - 1 and up: unlimited */
	assert_eq(kmm_prlimit(u, KMM_RLIMIT_SIGPENDING, &lim, &lim), 0);
	assert_eq(kmm_prlimit(u, KMM_RLIMIT_SIGPENDING, NULL, &lim), 0);
	expect_eq(lim.rlim_cur, KMM_RLIM_INFINITY);
	expect_str_contains(proc_status_from(m, u, "untag_mask:"), "untag_mask:\t0xffffffff\nThreads:\t1\n"
							       "SigQ:\t0/4294967295\n");
	kmm_exit(u, 0);
	done(m);
}
