// SPDX-License-Identifier: MIT
/*
 * tests/integration_fault_loop.c - when kmm_access() stops retrying a fault
 * (mm/memory.c, access_loop). Linux retries a page fault for as long as it
 * returns without mapping the page; kmm gives up - SIGBUS and "BUG: fault
 * loop" in dmesg - only after FAULT_LOOP_LIMIT (1024) faults in a row that
 * left the address's PTE as it was, a fault that can never map its page
 * being a bug. Faults held up for a while (out of memory until an OOM victim
 * is gone, a PTE in the middle of another thread's update) must not be
 * killed: before session 15 any 16 faults in a row were (review14 R3).
 *
 * Out of memory is made with fail_page_alloc (kmm_fail_inject): every page
 * allocation fails, the fault returns VM_FAULT_OOM, and is retried ("Huh
 * VM_FAULT_OOM leaked out to the #PF handler. Retrying PF", as in 6.12).
 */
#include <errno.h>
#include <string.h>

#include <kmm/process.h>
#include <kmm/trace.h>

#include "tests/process_test.h"

#define RW (KMM_PROT_READ | KMM_PROT_WRITE)
#define PRIV (KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS)

/* A process with two private pages mapped at *@a, the second written (its page table exists). */
static struct task_struct *two_pages(struct kmm_machine *m, uint64_t *a)
{
	struct task_struct *t = kmm_spawn(m, "t");
	char byte = 1;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 2 * PAGE_SIZE, RW, PRIV, a), 0);
	assert_eq(kmm_access(t, *a + PAGE_SIZE, &byte, 1, true), 0);
	return t;
}

static void fail_pages(struct kmm_machine *m, long times)
{
	struct kmm_fault_attr attr = { .interval = 1, .probability = 100, .times = times };

	assert_eq(kmm_fail_inject(m, KMM_FAIL_PAGE_ALLOC, &attr), 0);
}

TEST(a_fault_retried_more_than_sixteen_times_for_memory_still_maps_its_page)
{
	struct kmm_machine *m = boot("mem=64M");
	uint64_t a;
	struct task_struct *t = two_pages(m, &a);
	char in[8] = "retried", out[8] = { 0 };

	fail_pages(m, 40);
	expect_eq(kmm_access(t, a, in, sizeof(in), true), 0);
	expect_eq(kmm_fail_count(m, KMM_FAIL_PAGE_ALLOC), 40);
	kmm_fail_inject(m, KMM_FAIL_PAGE_ALLOC, NULL);
	expect_str_contains(t_dmesg(m), "Huh VM_FAULT_OOM leaked out to the #PF handler");
	expect_true(strstr(t_dmesg(m), "fault loop") == NULL);
	expect_eq(kmm_access(t, a, out, sizeof(out), false), 0);
	expect_eq(memcmp(in, out, sizeof(in)), 0);
	kmm_exit(t, 0);
	done(m);
}

TEST(a_fault_that_never_maps_its_page_ends_in_sigbus_as_a_fault_loop)
{
	struct kmm_machine *m = boot("mem=64M");
	uint64_t a;
	struct task_struct *t = two_pages(m, &a);
	char byte = 2;

	fail_pages(m, -1);
	expect_eq(kmm_access(t, a, &byte, 1, true), -EFAULT);
	kmm_fail_inject(m, KMM_FAIL_PAGE_ALLOC, NULL);
	expect_str_contains(kmm_last_error(), "(fault loop): killed by signal 7");
	expect_str_contains(t_dmesg(m), "BUG: fault loop at");
	expect_true(t->state == TASK_DEAD);
	expect_eq(t->exit.signal, KMM_SIGBUS);
	done(m);
}
