// SPDX-License-Identifier: MIT
/*
 * tests/integration_swap_race.c - a page read from swap is not used before
 * its read has ended. The reader puts the page in the swap cache locked and
 * unlocks it when the read is over (mm/swap_state.c); a second fault on the
 * same entry (a forked child sharing it), a second read() of the same shmem
 * index, and swapoff all find the page in the swap cache meanwhile, and
 * must wait for the lock, then map the bytes read - or, when the read
 * failed, give the fault its SIGBUS and read() its -EIO.
 *
 * The interleaving is forced, with no timing: the pressure layer's test
 * hook stops the reader just before its read, with the page in the swap
 * cache and its bytes not yet there (the hook fills them with a marker, as
 * a page whose read has not landed holds whatever was there before), and
 * lets it go on only once the second thread has either finished (the bug:
 * it used the page without waiting; its bytes are the marker) or reported
 * that it is about to wait for the page lock.
 */
#include "tests/swap_test.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include <kmm/fs.h>

#include "mm/include/highmem.h"

#define MARKER 0xdb

struct race {
	struct kmm_machine *m;
	swp_entry_t entry;		/* the slot whose read is stalled */
	int fail;			/* the read's result: 0, or an -errno to inject */
	atomic_int reading;		/* the reader is in the hook */
	atomic_int waiting;		/* the second thread reported its wait */
	atomic_int second_done;		/* the second thread's call returned */
	atomic_int stalled;		/* reads stalled (once) */
	bool swapoff;			/* the second thread is swapoff */
};

static void spin_until(atomic_int *a, atomic_int *b)
{
	while (!atomic_load(a) && (!b || !atomic_load(b)))
		sched_yield();
}

/* The pressure layer's test hook: stall (and perhaps fail) the read of r->entry once. */
static int race_hook(void *arg, int point, struct page *page, swp_entry_t entry)
{
	struct race *r = arg;

	if (entry.val != r->entry.val)
		return 0;
	if (point == SWAPIN_HOOK_WAIT) {
		atomic_store(&r->waiting, 1);
		return 0;
	}
	if (atomic_fetch_add(&r->stalled, 1))
		return 0;		/* only the first read stalls */
	void *addr = kmap_local_page(page);
	memset(addr, MARKER, PAGE_SIZE);	/* what the page held before the read */
	kunmap_local(addr);
	atomic_store(&r->reading, 1);
	/*
	 * swapoff ends with a grace period that waits for this fault: the
	 * reader stops waiting too once the area has left swap_info (swapoff
	 * is done with the area's pages, having waited or not).
	 */
	while (!atomic_load(&r->waiting) && !atomic_load(&r->second_done) &&
	       !(r->swapoff && !__atomic_load_n(&pressure_of(r->m)->swap_info[swp_type(entry)],
						 __ATOMIC_ACQUIRE)))
		sched_yield();
	return r->fail;
}

static void race_init(struct race *r, struct kmm_machine *m, swp_entry_t entry, int fail)
{
	memset(r, 0, sizeof(*r));
	r->m = m;
	r->entry = entry;
	r->fail = fail;
	pressure_of(m)->swapin_hook_arg = r;
	pressure_of(m)->swapin_hook = race_hook;
}

static void race_off(struct kmm_machine *m)
{
	pressure_of(m)->swapin_hook = NULL;
	pressure_of(m)->swapin_hook_arg = NULL;
}

/* The swap entry in the PTE of @addr in @t (a swapped-out page). */
static swp_entry_t pte_entry(struct task_struct *t, uint64_t addr)
{
	const struct pgtable_geometry *g = t->mm->pgt.geo;
	pteval_t v = pte_of(t, addr);

	return swp_entry(pte_swp_type(g, v), pte_swp_offset(g, v));
}

/* One thread's access: a page of a process, or of a file through read(). */
struct access {
	struct race *race;
	struct task_struct *t;
	uint64_t addr;			/* the process's address, or the file offset */
	int fd;				/* >= 0: pread the file instead */
	bool second;			/* sets race->second_done when it returns */
	long ret;
	uint64_t buf[PAGE_SIZE / 8];
};

static void *access_main(void *arg)
{
	struct access *a = arg;

	kmm_use(a->race->m);
	if (a->fd >= 0)
		a->ret = kmm_pread(a->t, a->fd, a->buf, PAGE_SIZE, a->addr);
	else
		a->ret = kmm_access(a->t, a->addr, a->buf, PAGE_SIZE, false);
	if (a->second)
		atomic_store(&a->race->second_done, 1);
	return NULL;
}

/*
 * Run @first until its read is stalled in the hook, then @second; wait for
 * both. Return: false when a thread could not be started (the test failed).
 */
static bool run_race(struct race *r, struct access *first, struct access *second)
{
	pthread_t a, b;

	first->race = second->race = r;
	second->second = true;
	if (pthread_create(&a, NULL, access_main, first))
		return kmm_test_fail(__FILE__, __LINE__, "pthread_create");
	spin_until(&r->reading, NULL);
	if (pthread_create(&b, NULL, access_main, second)) {
		atomic_store(&r->second_done, 1);
		pthread_join(a, NULL);
		return kmm_test_fail(__FILE__, __LINE__, "pthread_create");
	}
	pthread_join(b, NULL);
	pthread_join(a, NULL);
	return true;
}

/* Does @buf hold tag @tag's pattern for page @i? Names the first bad word. */
static bool buf_holds(const uint64_t *buf, uint64_t i, uint64_t tag, int line)
{
	for (size_t w = 0; w < PAGE_SIZE / 8; w++)
		if (buf[w] != pattern(tag, i, w))
			return kmm_test_fail(__FILE__, line, "page %" PRIu64 " word %zu: %#" PRIx64
					     ", expected %#" PRIx64, i, w, buf[w], pattern(tag, i, w));
	return true;
}

#define NPAGES 256

/*
 * A process with NPAGES pages of tag 1 at *@base, reclaimed; *@i: the
 * first of them on swap.
 */
static struct task_struct *swapped_process(struct kmm_machine *m, uint64_t *base, uint64_t *i)
{
	struct task_struct *t = kmm_spawn(m, "t");

	*base = map_filled(t, NPAGES, 1);
	kmm_reclaim(m, 1UL << 20);
	kmm_writeback_wait(m);
	for (*i = 0; *i < NPAGES - 1 && !is_swapped(t, *base + *i * PAGE_SIZE); ++*i)
		;
	return t;
}

/*
 * A process with its pages on swap and its forked child, sharing the entry
 * of page i: the parent's fault reads it, stalled in the hook (the read
 * then fails with @fail, or not), while the child's fault on it runs.
 */
struct fork_race {
	struct kmm_machine *m;
	struct task_struct *t, *c;
	uint64_t base, i;
	struct race r;
	struct access pa, ca;		/* the parent's and the child's fault */
};

static void fork_race_run(struct fork_race *f, int fail)
{
	uint64_t a;

	f->m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	f->t = swapped_process(f->m, &f->base, &f->i);
	a = f->base + f->i * PAGE_SIZE;
	assert_true(is_swapped(f->t, a));
	f->c = kmm_fork(f->t, "child");
	assert_true(f->c != NULL && is_swapped(f->c, a));
	race_init(&f->r, f->m, pte_entry(f->t, a), fail);
	f->pa = (struct access){ .t = f->t, .addr = a, .fd = -1 };
	f->ca = (struct access){ .t = f->c, .addr = a, .fd = -1 };
	assert_true(run_race(&f->r, &f->pa, &f->ca));
	race_off(f->m);
}

/*
 * A parent and its forked child share the swap entry of a page. The
 * parent's fault reads it; the child's fault, meanwhile, finds the page in
 * the swap cache: it waits for the read and maps the page's true bytes.
 * Without the page lock held across the read, the child mapped the page
 * before the bytes arrived.
 */
TEST(a_second_fault_on_a_shared_entry_waits_for_the_read)
{
	struct fork_race f;

	fork_race_run(&f, 0);
	expect_eq(atomic_load(&f.r.stalled), 1);
	expect_eq(atomic_load(&f.r.waiting), 1);	/* the child waited for the read */
	expect_eq(f.pa.ret, 0);
	expect_eq(f.ca.ret, 0);
	expect_true(buf_holds(f.pa.buf, f.i, 1, __LINE__));
	expect_true(buf_holds(f.ca.buf, f.i, 1, __LINE__));
	expect_true(verify_range(f.c, f.base, 0, NPAGES, 1));
	expect_true(verify_range(f.t, f.base, 0, NPAGES, 1));
	CHECK(f.m);
	kmm_exit(f.c, 0);
	kmm_exit(f.t, 0);
	expect_swap_all_free(f.m);
	done(f.m);
}

/*
 * The read the child waits for fails: both faults are a SIGBUS - the child
 * finds the page not uptodate once it has the lock, and never maps it.
 */
TEST(when_the_read_a_second_fault_waited_for_fails_both_get_sigbus)
{
	struct fork_race f;

	fork_race_run(&f, -EIO);
	expect_eq(atomic_load(&f.r.waiting), 1);
	expect_eq(f.pa.ret, -EFAULT);
	expect_eq(f.ca.ret, -EFAULT);
	expect_eq(kmm_task_exit_info(f.t).signal, KMM_SIGBUS);
	expect_eq(kmm_task_exit_info(f.c).signal, KMM_SIGBUS);
	expect_str_contains(t_dmesg(f.m), "Read-error on swap-device (/swapfile, offset");
	CHECK(f.m);
	expect_swap_all_free(f.m);
	done(f.m);
}

struct first_entry {
	unsigned long idx;
	swp_entry_t entry;
};

static int take_first(void *arg, struct kmm_file *f, unsigned long idx, swp_entry_t e)
{
	struct first_entry *fe = arg;

	(void)f;
	fe->idx = idx;
	fe->entry = e;
	return 1;
}

/* The first swap entry a shmem file holds, and its index. */
static unsigned long first_shmem_entry(struct kmm_machine *m, swp_entry_t *entry)
{
	struct first_entry fe = { 0, { 0 } };
	int token = procs_stop(m);

	shmem_for_each_swap_entry(m, take_first, &fe);
	if (token != -EDEADLK)
		procs_resume(m);
	*entry = fe.entry;
	return fe.idx;
}

/*
 * Two processes read() the same swapped-out page of a tmpfs file: the
 * second finds the first one's page in the swap cache and waits for its
 * read before putting it back in the file.
 */
TEST(a_second_read_of_a_swapped_shmem_page_waits_for_the_swap_in)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct task_struct *t = kmm_spawn(m, "t"), *u = kmm_spawn(m, "u");
	int fd = kmm_open(t, "/dev/shm/race", KMM_O_CREAT | KMM_O_RDWR);
	int ufd = kmm_open(u, "/dev/shm/race", KMM_O_RDWR);
	uint64_t buf[PAGE_SIZE / 8];
	struct race r;
	swp_entry_t entry = { 0 };

	assert_true(fd >= 3 && ufd >= 3);
	for (uint64_t i = 0; i < NPAGES; i++) {
		fill_page(buf, i, 2);
		assert_eq(kmm_pwrite(t, fd, buf, PAGE_SIZE, i * PAGE_SIZE), PAGE_SIZE);
	}
	kmm_reclaim(m, 1UL << 20);
	kmm_writeback_wait(m);
	unsigned long idx = first_shmem_entry(m, &entry);
	assert_true(entry.val != 0);
	race_init(&r, m, entry, 0);
	struct access ta = { .t = t, .addr = idx * PAGE_SIZE, .fd = fd };
	struct access ua = { .t = u, .addr = idx * PAGE_SIZE, .fd = ufd };
	assert_true(run_race(&r, &ta, &ua));
	race_off(m);

	expect_eq(atomic_load(&r.waiting), 1);
	expect_eq(ta.ret, PAGE_SIZE);
	expect_eq(ua.ret, PAGE_SIZE);
	expect_true(buf_holds(ta.buf, idx, 2, __LINE__));
	expect_true(buf_holds(ua.buf, idx, 2, __LINE__));
	CHECK(m);
	kmm_close(t, fd);
	kmm_close(u, ufd);
	expect_eq(kmm_unlink(m, "/dev/shm/race"), 0);
	kmm_exit(u, 0);
	kmm_exit(t, 0);
	expect_swap_all_free(m);
	done(m);
}

/*
 * swapoff meets a page that a fault is still reading: try_to_unuse waits
 * for the read before it maps the page, and the fault then finds it mapped.
 */
static void *swapoff_main(void *arg)
{
	struct race *r = arg;

	kmm_use(r->m);
	r->fail = kmm_swapoff(r->m, "/swapfile");	/* (the hook has read r->fail already) */
	atomic_store(&r->second_done, 1);
	return NULL;
}

TEST(swapoff_waits_for_a_fault_s_read_of_the_page_it_unuses)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	uint64_t base, i;
	struct task_struct *t = swapped_process(m, &base, &i);
	uint64_t a = base + i * PAGE_SIZE;
	struct race r;
	pthread_t ft, st;

	assert_true(is_swapped(t, a));
	race_init(&r, m, pte_entry(t, a), 0);
	r.swapoff = true;
	struct access pa = { .race = &r, .t = t, .addr = a, .fd = -1 };
	assert_eq(pthread_create(&ft, NULL, access_main, &pa), 0);
	spin_until(&r.reading, NULL);
	assert_eq(pthread_create(&st, NULL, swapoff_main, &r), 0);
	pthread_join(st, NULL);
	pthread_join(ft, NULL);
	race_off(m);

	expect_eq(atomic_load(&r.waiting), 1);
	expect_eq(r.fail, 0);				/* swapoff's result */
	expect_eq(pa.ret, 0);
	expect_true(buf_holds(pa.buf, i, 1, __LINE__));
	expect_true(verify_range(t, base, 0, NPAGES, 1));
	expect_eq(total_swap_pages(m), 0);
	CHECK(m);
	kmm_exit(t, 0);
	done(m);
}
