// SPDX-License-Identifier: MIT
/*
 * tests/integration_swap_tlb_copy.c - kmm_access()'s copy through a TLB hit
 * is an access in flight that reclaim's TLB shootdown waits for.
 *
 * Reclaim unmaps a page, flushes every TLB, then waits until no TLB is
 * inside an access bracket (sim_mmu_shootdown_wait) before it writes the
 * page out and, later, frees the frame. A copy made outside the bracket can
 * still be reading the frame after it was freed and refilled by another
 * swap-in: stress_swap_threads saw a page whose first 20 words were its own
 * and the rest another page's (kmm_access's one-page hit path copied with
 * no bracket).
 *
 * The copy is stopped in its middle with no timing: the caller's buffer is
 * a host page with no access, so the copy's first store into it (or load
 * from it, for a write) faults; the SIGSEGV handler, on the copying thread,
 * records whether this thread's TLB is inside a bracket, gives the buffer
 * access back and returns, and the copy goes on. Without the bracket the
 * count is 0 there, and a shootdown would not have waited for the copy.
 */
#include "tests/swap_test.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include <kmm/mmu.h>

static void *guard;			/* the host page the copy faults on */
static atomic_uint busy_in_copy;	/* kmm_tlb_this->busy seen by the handler */
static atomic_int faults;		/* the handler's runs */

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if ((char *)si->si_addr < (char *)guard || (char *)si->si_addr >= (char *)guard + PAGE_SIZE) {
		signal(SIGSEGV, SIG_DFL);	/* not ours: crash as usual */
		return;
	}
	atomic_store(&busy_in_copy, __atomic_load_n(&kmm_tlb_this->busy, __ATOMIC_RELAXED));
	atomic_fetch_add(&faults, 1);
	mprotect(guard, PAGE_SIZE, PROT_READ | PROT_WRITE);
}

/* One kmm_access() of page 0 at @base through the guard page; it must be a TLB hit. */
static void copy_through_guard(struct task_struct *t, uint64_t base, bool write)
{
	uint64_t warm[PAGE_SIZE / 8];
	struct kmm_tlb *tlb;
	unsigned long hits;

	/* fill this thread's TLB for the access (a read; a write puts the bytes back) */
	assert_eq(kmm_access(t, base, warm, PAGE_SIZE, false), 0);
	if (write)
		assert_eq(kmm_access(t, base, warm, PAGE_SIZE, true), 0);
	tlb = kmm_tlb_this;
	hits = tlb->hits;
	assert_eq(mprotect(guard, PAGE_SIZE, PROT_NONE), 0);
	atomic_store(&faults, 0);
	atomic_store(&busy_in_copy, 0);
	assert_eq(kmm_access(t, base, guard, PAGE_SIZE, write), 0);
	expect_eq(atomic_load(&faults), 1);		/* stopped in the copy */
	expect_eq(tlb->hits, hits + 1);			/* the hit path's copy */
	expect_true(atomic_load(&busy_in_copy) > 0);	/* inside the bracket */
	expect_eq(__atomic_load_n(&tlb->busy, __ATOMIC_RELAXED), 0);	/* closed after */
}

TEST(a_copy_through_a_tlb_hit_is_inside_the_shootdown_bracket)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 16UL << 20);
	struct task_struct *t = kmm_spawn(m, "copier");
	struct sigaction sa, old;

	assert_true(t != NULL);
	uint64_t base = map_filled(t, 1, 7);
	guard = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(guard != MAP_FAILED);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	assert_eq(sigaction(SIGSEGV, &sa, &old), 0);

	/* a load: the copy's stores into the guard fault */
	copy_through_guard(t, base, false);
	uint64_t *words = guard;
	for (size_t w = 0; w < PAGE_SIZE / 8; w++)
		if (words[w] != pattern(7, 0, w)) {
			expect_eq(words[w], pattern(7, 0, w));
			break;
		}
	/* a store: the copy's loads from the guard fault; it writes the page back unchanged */
	copy_through_guard(t, base, true);
	expect_true(verify_page(t, base, 0, 7));

	sigaction(SIGSEGV, &old, NULL);
	munmap(guard, PAGE_SIZE);
	CHECK(m);
	kmm_exit(t, 0);
	done(m);
}
