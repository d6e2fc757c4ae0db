// SPDX-License-Identifier: MIT
/*
 * Swap with several host threads at once, for ThreadSanitizer (make
 * test-tsan): the places where one thread's swap work meets another's
 * without a common lock.
 *
 * - Two processes fault their swapped-out pages back in at once, from one
 *   swap area, in an order readahead cannot guess: both run
 *   swapin_nr_pages() on the same area (its readahead hint).
 * - The same, while a third thread reclaims and a fourth turns the area off:
 *   swapoff clears the area's swap_info[] slot while faults look it up
 *   without swap_lock.
 * - kswapd on its own host thread reclaims for a process that writes past
 *   RAM while another thread reads /proc (zoneinfo prints whether a node is
 *   unreclaimable, which reclaim resets), and the machine is shut down with
 *   kswapd still woken.
 *
 * Each test also checks that every page comes back with its bytes and that
 * the checkers hold afterwards. Before the accesses were made atomic,
 * ThreadSanitizer reported races in each of the three (the readahead hint,
 * swap_info[], zoneinfo's kswapd_failures: review9-mm P2-4, P2-5, P2-10);
 * the race on kswapd's stop flag at shutdown (P2-9) was never seen in those
 * runs. Without ThreadSanitizer the tests check the data only.
 */
#include "tests/swap_test.h"

#include <kmm/proc.h>
#include <pthread.h>
#include <stdatomic.h>

#define NPAGES	512		/* per process */
#define STRIDE	97		/* coprime to NPAGES: every page once, no neighbour next */

struct faulter {
	struct kmm_machine *m;
	struct task_struct *t;
	uint64_t base;
	int rounds;
	int bad;		/* pages that came back wrong */
};

static void *faulter_main(void *arg)
{
	struct faulter *f = arg;

	kmm_use(f->m);
	for (int r = 0; r < f->rounds; r++)
		for (uint64_t j = 0; j < NPAGES; j++)
			if (!verify_page(f->t, f->base, (j * STRIDE + (uint64_t)r) % NPAGES, 5))
				f->bad++;
	return NULL;
}

struct helper {
	struct kmm_machine *m;
	atomic_int *stop;
	long ret;
};

static void *swapoff_main(void *arg)
{
	struct helper *h = arg;

	kmm_use(h->m);
	h->ret = kmm_swapoff(h->m, "/swapfile");
	return NULL;
}

static void *reclaimer_main(void *arg)
{
	struct helper *h = arg;

	kmm_use(h->m);
	do
		kmm_reclaim(h->m, 64UL << 10);
	while (!atomic_load(h->stop));
	return NULL;
}

/* Two processes of NPAGES pages each, written with tag 5, then swapped out whole. */
static void two_swapped_processes(struct kmm_machine *m, struct faulter f[2], int rounds)
{
	for (int k = 0; k < 2; k++) {
		f[k] = (struct faulter){ .m = m, .t = kmm_spawn(m, k ? "b" : "a"), .rounds = rounds };
		assert_true(f[k].t != NULL);
		f[k].base = map_filled(f[k].t, NPAGES, 5);
	}
	kmm_reclaim(m, 2 * NPAGES * PAGE_SIZE);
	kmm_writeback_wait(m);
	expect_true(vm_event(m, PSWPOUT) > 0);
}

static void start(pthread_t *th, void *(*fn)(void *), void *arg)
{
	assert_eq(pthread_create(th, NULL, fn, arg), 0);
}

TEST(two_processes_swap_in_from_one_area_at_once)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64 maxcpus=3", 64UL << 20);
	struct faulter f[2];
	pthread_t th[2];

	two_swapped_processes(m, f, 1);
	unsigned long in = vm_event(m, PSWPIN);
	for (int k = 0; k < 2; k++)
		start(&th[k], faulter_main, &f[k]);
	for (int k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	expect_eq(f[0].bad + f[1].bad, 0);
	expect_true(vm_event(m, PSWPIN) > in);
	CHECK(m);
	for (int k = 0; k < 2; k++)
		kmm_exit(f[k].t, 0);
	done(m);
}

TEST(swapoff_while_two_processes_fault_and_a_third_thread_reclaims)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64 maxcpus=5", 128UL << 20);
	atomic_int stop = 0;
	struct helper off = { .m = m }, rec = { .m = m, .stop = &stop };
	struct faulter f[2];
	pthread_t th[4];

	two_swapped_processes(m, f, 2);
	for (int k = 0; k < 2; k++)
		start(&th[k], faulter_main, &f[k]);
	start(&th[2], reclaimer_main, &rec);
	start(&th[3], swapoff_main, &off);
	pthread_join(th[3], NULL);
	for (int k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	atomic_store(&stop, 1);
	pthread_join(th[2], NULL);
	expect_eq(off.ret, 0);
	expect_eq(f[0].bad + f[1].bad, 0);
	/* swapoff brought every page in: a last pass reads RAM only */
	for (int k = 0; k < 2; k++)
		expect_true(verify_range(f[k].t, f[k].base, 0, NPAGES, 5));
	CHECK(m);
	for (int k = 0; k < 2; k++)
		kmm_exit(f[k].t, 0);
	done(m);
}

struct reader {
	struct kmm_machine *m;
	atomic_int *stop;
	unsigned long reads;
	int errors;
};

static void *proc_reader_main(void *arg)
{
	static const char *const files[] = {
		"/proc/zoneinfo", "/proc/meminfo", "/proc/vmstat", "/proc/buddyinfo", "/proc/swaps",
	};
	struct reader *r = arg;

	kmm_use(r->m);
	do {
		char *text = NULL;
		if (kmm_proc_read(r->m, files[r->reads % 5], &text) < 0 || !text)
			r->errors++;
		free(text);
		r->reads++;
	} while (!atomic_load(r->stop));
	return NULL;
}

TEST(proc_reader_beside_kswapd_on_its_thread)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64 kswapd=thread maxcpus=3", 256UL << 20);
	struct task_struct *t = kmm_spawn(m, "writer");
	atomic_int stop = 0;
	struct reader r = { .m = m, .stop = &stop };
	pthread_t th;

	assert_true(t != NULL);
	start(&th, proc_reader_main, &r);
	/* 20000 pages (78 MiB) in 64 MiB: reclaim must run, kswapd's or direct */
	uint64_t base = map_filled(t, 20000, 3);
	expect_true(verify_range(t, base, 0, 20000, 3));
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	expect_eq(r.errors, 0);
	expect_true(r.reads > 0);
	expect_true(vm_event(m, PSWPOUT) > 0);
	CHECK(m);
	kmm_exit(t, 0);
	done(m);	/* kswapd's thread is stopped and joined here */
}
