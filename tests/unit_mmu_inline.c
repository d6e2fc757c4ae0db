// SPDX-License-Identifier: MIT
/*
 * tests/unit_mmu_inline.c - the inline accessors of <kmm/process.h>
 * (kmm_load64 and friends) and the per-thread TLBs behind them: a hit needs
 * a translation of this thread's TLB granting the access; a miss, a
 * protection change or a page-crossing access goes the slow way; a flush on
 * one thread reaches another thread's TLB; a thread's TLB goes when it
 * exits; after an exec, a new handle is needed.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/process.h>

#include "arch/sim/mmu.h"
#include "mm/include/mm.h"

TEST(loads_and_stores_hit_after_the_first_fault)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *t = kmm_spawn(m, "inline");
	struct kmm_as as;
	uint64_t x = 0, v = 0;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 2 * 4096, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &x), 0);
	assert_eq(kmm_as_of(t, &as), 0);
	expect_true(kmm_tlb_lookup(&as, x, 8, KMM_ACCESS_WRITE) == NULL);	/* nothing yet */
	assert_eq(kmm_store64(&as, x + 8, 0x1122334455667788ull), 0);	/* fault, then the walk */
	expect_true(kmm_tlb_lookup(&as, x + 8, 8, KMM_ACCESS_WRITE) != NULL);
	struct kmm_tlb *tlb = kmm_tlb_this;
	unsigned long misses = tlb->misses;
	assert_eq(kmm_load64(&as, x + 8, &v), 0);
	expect_eq(v, 0x1122334455667788ull);
	assert_eq(kmm_store32(&as, x + 16, 0xdeadbeef), 0);
	uint32_t w = 0;
	assert_eq(kmm_load32(&as, x + 16, &w), 0);
	expect_eq(w, 0xdeadbeef);
	expect_eq(tlb->misses, misses);		/* hits, inline */
	/* across the page end: the slow path, still correct */
	assert_eq(kmm_store64(&as, x + 4092, 0xaabbccddeeff0011ull), 0);
	assert_eq(kmm_load64(&as, x + 4092, &v), 0);
	expect_eq(v, 0xaabbccddeeff0011ull);
	/* read-only now: the cached write translation is gone, a load still hits after a walk */
	assert_eq(kmm_mprotect(t, x, 4096, KMM_PROT_READ), 0);
	expect_true(kmm_tlb_lookup(&as, x + 8, 8, KMM_ACCESS_WRITE) == NULL);
	assert_eq(kmm_load64(&as, x + 8, &v), 0);
	expect_eq(v, 0x1122334455667788ull);
	/* and a store kills the process as a real one would */
	expect_eq(kmm_store8(&as, x, 1), -EFAULT);
	expect_eq(kmm_task_exit_info(t).signal, KMM_SIGSEGV);
	kmm_task_release(t);
	done(m);
}

struct reader {
	struct kmm_as as;
	uint64_t addr;
	pthread_barrier_t *bar;
	uint64_t first, second;
	struct kmm_tlb *tlb;
	int err;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	r->err |= kmm_load64(&r->as, r->addr, &r->first);	/* fills this thread's TLB */
	r->tlb = kmm_tlb_this;
	pthread_barrier_wait(r->bar);	/* the main thread remaps the page */
	pthread_barrier_wait(r->bar);
	r->err |= kmm_load64(&r->as, r->addr, &r->second);
	return NULL;
}

TEST(a_flush_reaches_another_threads_tlb)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *t = kmm_spawn(m, "two");
	pthread_barrier_t bar;
	pthread_t th;
	uint64_t x = 0;
	struct reader r = { .bar = &bar };

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 4096, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &x), 0);
	assert_eq(kmm_as_of(t, &r.as), 0);
	assert_eq(kmm_store64(&r.as, x, 41), 0);
	r.addr = x;
	pthread_barrier_init(&bar, NULL, 2);
	assert_eq(pthread_create(&th, NULL, reader_main, &r), 0);
	pthread_barrier_wait(&bar);
	/* a fresh page at the same address: the reader's cached translation must go */
	assert_eq(kmm_mmap(t, x, 4096, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_FIXED, NULL), 0);
	assert_eq(kmm_store64(&r.as, x, 42), 0);
	pthread_barrier_wait(&bar);
	pthread_join(th, NULL);
	expect_eq(r.err, 0);
	expect_eq(r.first, 41);
	expect_eq(r.second, 42);
	/* the reader's TLB left the MMU with its thread */
	struct sim_mmu *mmu = procs_of(m)->mmu;
	bool attached = false;
	spin_lock(&mmu->tlbs_lock);
	for (struct kmm_tlb *tlb = mmu->tlbs; tlb; tlb = tlb->mmu_next)
		attached |= tlb == r.tlb;
	spin_unlock(&mmu->tlbs_lock);
	expect_true(!attached);
	pthread_barrier_destroy(&bar);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

TEST(exec_needs_a_new_handle)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *t = kmm_spawn(m, "old");
	struct kmm_as before, after;
	struct kmm_exec_image img = { .path = "/bin/new", .text = 4096, .heap = 4096 };

	assert_true(t != NULL);
	assert_eq(kmm_as_of(t, &before), 0);
	assert_eq(kmm_exec(t, &img), 0);
	assert_eq(kmm_as_of(t, &after), 0);
	expect_ne(before.asid, after.asid);
	kmm_exit(t, 0);
	expect_eq(kmm_as_of(t, &after), -ESRCH);
	kmm_task_release(t);
	done(m);
}

/*
 * The hit test compares the page of the access's last byte with the entry's
 * tag (<kmm/mmu.h>): with both pages in the TLB, bytes that end on the first
 * page hit, and bytes that cross into the second never do (the entry found
 * by the first page's index holds only that page); the host address of a
 * hit is the frame's plus the offset in the page, on each of the two pages.
 */
TEST(an_access_across_a_page_misses_even_with_both_pages_in_the_tlb)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *t = kmm_spawn(m, "cross");
	struct kmm_as as;
	uint64_t x = 0, v = 0;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 2 * 4096, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &x), 0);
	assert_eq(kmm_as_of(t, &as), 0);
	assert_eq(kmm_store64(&as, x + 4088, 0x0102030405060708ull), 0);
	assert_eq(kmm_store64(&as, x + 4096, 0x1112131415161718ull), 0);
	unsigned char *a = kmm_tlb_lookup(&as, x, 1, KMM_ACCESS_WRITE);
	unsigned char *b = kmm_tlb_lookup(&as, x + 4096, 1, KMM_ACCESS_WRITE);
	assert_true(a != NULL && b != NULL);
	for (unsigned int size = 1; size <= 8; size *= 2) {
		expect_true(kmm_tlb_lookup(&as, x + 4096 - size, size, KMM_ACCESS_READ) == a + 4096 - size);
		expect_true(kmm_tlb_lookup(&as, x + 4096 - size + 1, size, KMM_ACCESS_READ) == NULL ||
			    size == 1);
		expect_true(kmm_tlb_lookup(&as, x + 4097 - size, size, KMM_ACCESS_WRITE) == NULL ||
			    size == 1);
		expect_true(kmm_tlb_lookup(&as, x + 8192 - size, size, KMM_ACCESS_READ) == b + 4096 - size);
	}
	expect_true(kmm_tlb_lookup(&as, x + 1, 4096, KMM_ACCESS_READ) == NULL);
	expect_true(kmm_tlb_lookup(&as, x, 4096, KMM_ACCESS_READ) == a);
	/* across the end: the slow path, both halves right */
	struct kmm_tlb *tlb = kmm_tlb_this;
	unsigned long hits = tlb->hits;
	assert_eq(kmm_load64(&as, x + 4092, &v), 0);
	expect_eq(v, 0x1516171801020304ull);
	expect_true(tlb->hits > hits);		/* kmm_access's hits, one per page */
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

/*
 * What code compiled against a <kmm/mmu.h> before KMM_MMU_ABI existed
 * calls: the plain kmm_as_of symbol (it read an entry's host address where
 * entries now hold an addend).
 */
int kmm_as_of_unversioned(struct task_struct *t, struct kmm_as *as) __asm__("kmm_as_of");

TEST(a_caller_compiled_against_another_tlb_abi_is_refused_and_never_hits)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *t = kmm_spawn(m, "abi");
	struct kmm_as good, old, other;
	uint64_t x = 0, v = 0;

	assert_true(t != NULL);
	assert_eq(kmm_mmap(t, 0, 4096, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &x), 0);
	assert_eq(kmm_as_of(t, &good), 0);
	assert_eq(kmm_store64(&good, x + 8, 0x5eed5eed5eed5eedull), 0);
	expect_true(kmm_tlb_lookup(&good, x + 8, 8, KMM_ACCESS_WRITE) != NULL);	/* the TLB holds it */

	/* an old program: refused, told why, and its handle never hits */
	expect_eq(kmm_as_of_unversioned(t, &old), -ENOEXEC);
	expect_true(strstr(kmm_last_error(), "ABI 1") != NULL);
	expect_true(kmm_tlb_lookup(&old, x + 8, 8, KMM_ACCESS_READ) == NULL);
	expect_true(kmm_tlb_lookup(&old, x + 8, 8, KMM_ACCESS_WRITE) == NULL);
	struct kmm_tlb *tlb = kmm_tlb_this;
	unsigned long hits = tlb->hits;
	assert_eq(kmm_load64(&old, x + 8, &v), 0);	/* the slow way: right all the same */
	expect_eq(v, 0x5eed5eed5eed5eedull);
	assert_eq(kmm_store64(&old, x + 16, 7), 0);
	assert_eq(kmm_load64(&good, x + 16, &v), 0);
	expect_eq(v, 7);
	expect_eq(tlb->hits, hits + 2);			/* kmm_access()'s own lookups, not inline */

	/* a newer one too */
	expect_eq(kmm_as_of_abi(t, &other, KMM_MMU_ABI + 1), -ENOEXEC);
	expect_true(kmm_tlb_lookup(&other, x + 8, 8, KMM_ACCESS_READ) == NULL);
	expect_eq(kmm_as_of_abi(t, &other, KMM_MMU_ABI), 0);
	expect_true(kmm_tlb_lookup(&other, x + 8, 8, KMM_ACCESS_READ) != NULL);
	kmm_exit(t, 0);
	done(m);
}

/*
 * The access bracket's way (arch/sim/mmu.h) follows the host and the
 * environment: the plain-store open where membarrier(2) exists and
 * KMM_CPU_LOCKED is unset; under ThreadSanitizer only when
 * KMM_TSAN_ASYMMETRIC is set too (the *_asymmetric tests of
 * cmake/mmu_locked.cmake rely on it).
 */
TEST(the_bracket_takes_the_way_the_host_and_the_environment_ask_for)
{
	struct kmm_machine *m = boot("mem=64M");	/* the first MMU chose it, once */
	bool want = sim_membarrier_available() && !getenv("KMM_CPU_LOCKED");

#ifdef SIM_TLB_TSAN
	want = want && getenv("KMM_TSAN_ASYMMETRIC");
#endif
	expect_eq(__atomic_load_n(&sim_tlb_asymmetric, __ATOMIC_RELAXED), (int)want);
	done(m);
}
