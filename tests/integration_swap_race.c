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
#include <kmm/proc.h>

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
	int stall_point;		/* where the reader stalls: SWAPIN_HOOK_READ (0) or _CLAIM */
};

static void spin_until(atomic_int *a, atomic_int *b)
{
	while (!atomic_load(a) && (!b || !atomic_load(b)))
		sched_yield();
}

/*
 * The pressure layer's test hook: stall (and perhaps fail) the read of
 * r->entry once - before the read, or (stall_point SWAPIN_HOOK_CLAIM)
 * earlier, once the reader has claimed the slot but not yet put its page in
 * the swap cache.
 */
static int race_hook(void *arg, int point, struct page *page, swp_entry_t entry)
{
	struct race *r = arg;

	if (entry.val != r->entry.val)
		return 0;
	if (point == SWAPIN_HOOK_WAIT) {
		atomic_store(&r->waiting, 1);
		return 0;
	}
	if (point != r->stall_point)
		return 0;
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
	/*
	 * A second fault that takes the claimed slot for "no page" (the bug)
	 * gets VM_FAULT_OOM and faults again and again: a few such faults end
	 * the stall too (the second thread cannot return while this one is
	 * stalled: its exit from the process layer waits for this fault).
	 */
	unsigned long faults = vm_event(r->m, PGFAULT);
	while (!atomic_load(&r->waiting) && !atomic_load(&r->second_done) &&
	       !(r->swapoff && !__atomic_load_n(&pressure_of(r->m)->swap_info[swp_type(entry)],
						 __ATOMIC_ACQUIRE)) &&
	       vm_event(r->m, PGFAULT) - faults < 8)
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

static void fork_race_run(struct fork_race *f, int fail, int stall_point)
{
	uint64_t a;

	f->m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	f->t = swapped_process(f->m, &f->base, &f->i);
	a = f->base + f->i * PAGE_SIZE;
	assert_true(is_swapped(f->t, a));
	f->c = kmm_fork(f->t, "child");
	assert_true(f->c != NULL && is_swapped(f->c, a));
	race_init(&f->r, f->m, pte_entry(f->t, a), fail);
	f->r.stall_point = stall_point;
	f->pa = (struct access){ .t = f->t, .addr = a, .fd = -1 };
	f->ca = (struct access){ .t = f->c, .addr = a, .fd = -1 };
	assert_true(run_race(&f->r, &f->pa, &f->ca));
	race_off(f->m);
}

/* The end of a fork race both faults won: each read the page's true bytes; all swap freed. */
static void both_faults_got_the_page(struct fork_race *f)
{
	expect_eq(f->pa.ret, 0);
	expect_eq(f->ca.ret, 0);
	expect_true(buf_holds(f->pa.buf, f->i, 1, __LINE__));
	expect_true(buf_holds(f->ca.buf, f->i, 1, __LINE__));
	expect_true(verify_range(f->c, f->base, 0, NPAGES, 1));
	expect_true(verify_range(f->t, f->base, 0, NPAGES, 1));
	CHECK(f->m);
	kmm_exit(f->c, 0);
	kmm_exit(f->t, 0);
	expect_swap_all_free(f->m);
	done(f->m);
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

	fork_race_run(&f, 0, SWAPIN_HOOK_READ);
	expect_eq(atomic_load(&f.r.stalled), 1);
	expect_eq(atomic_load(&f.r.waiting), 1);	/* the child waited for the read */
	both_faults_got_the_page(&f);
}

/*
 * The read the child waits for fails: both faults are a SIGBUS - the child
 * finds the page not uptodate once it has the lock, and never maps it.
 */
TEST(when_the_read_a_second_fault_waited_for_fails_both_get_sigbus)
{
	struct fork_race f;

	fork_race_run(&f, -EIO, SWAPIN_HOOK_READ);
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

/* swapoff of the entry a fault is swapping in, the fault stalled at @stall_point. */
static void swapoff_meets_a_stalled_fault(int stall_point)
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
	r.stall_point = stall_point;
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

TEST(swapoff_waits_for_a_fault_s_read_of_the_page_it_unuses)
{
	swapoff_meets_a_stalled_fault(SWAPIN_HOOK_READ);
}

/*
 * The window before the read: a fault has claimed the slot (SWAP_HAS_CACHE)
 * and not yet put its page in the swap cache. swapoff (and a second fault,
 * below) finding the slot so must wait for the page, not take it for "no
 * page": kmm's read_swap_cache_async returned NULL there, and swapoff
 * failed with -ENOMEM ("expected off.ret == 0, got -12" in
 * stress_swap_threads), a fault with VM_FAULT_OOM. The fault is stopped in
 * the window until the second thread reports its wait or returns.
 */
TEST(swapoff_waits_for_a_fault_that_has_claimed_the_slot_it_unuses)
{
	swapoff_meets_a_stalled_fault(SWAPIN_HOOK_CLAIM);
}

/* The same window met by a second fault, the child's on an entry it shares with its parent. */
TEST(a_second_fault_waits_for_a_fault_that_has_claimed_the_slot)
{
	struct fork_race f;

	fork_race_run(&f, 0, SWAPIN_HOOK_CLAIM);
	expect_eq(atomic_load(&f.r.stalled), 1);
	expect_eq(atomic_load(&f.r.waiting), 1);	/* the child waited for the claim */
	expect_eq(vm_event(f.m, OOM_KILL), 0);
	both_faults_got_the_page(&f);
}

/*
 * Reclaim puts pages back on swap behind swapoff's walk, pass after pass:
 * swapoff goes on until the area is empty, as Linux's try_to_unuse retries
 * while inuse_pages (kmm's gave up after 4 passes with -ENOMEM, the area
 * back in service). Forced with the hooks, on swapoff's own thread:
 * the first read of each pass faults in every other page still on swap (a
 * read fault: the swap cache keeps its copy, and the walk finds the PTEs
 * present), and after the walk a reclaim sends those pages back to their
 * old entries. Each pass so frees one slot: CHASED pages need CHASED passes.
 */
#define CHASED 8

struct chase {
	struct kmm_machine *m;
	struct task_struct *t;
	uint64_t base;
	uint64_t page[CHASED];	/* the pages chased: swapped out at the start */
	bool nested;		/* inside the hook's own faults and reclaim */
	unsigned int mapped;	/* pages this pass's faults mapped (bit i: page i) */
	bool faulted;		/* this pass's faults are done */
	int passes;
	int stuck;		/* pages a reclaim could not send back */
};

static int chase_hook(void *arg, int point, struct page *page, swp_entry_t entry)
{
	struct chase *c = arg;

	(void)page;
	if (c->nested || point == SWAPIN_HOOK_WAIT)
		return 0;
	c->nested = true;
	if (point == SWAPIN_HOOK_READ && !c->faulted) {
		/* the walk reads its first page of the pass: fault in the others on swap */
		uint64_t buf[PAGE_SIZE / 8];
		c->faulted = true;
		for (int i = 0; i < CHASED; i++) {
			uint64_t a = c->base + c->page[i] * PAGE_SIZE;
			if (is_swapped(c->t, a) && pte_entry(c->t, a).val != entry.val &&
			    kmm_access(c->t, a, buf, PAGE_SIZE, false) == 0)
				c->mapped |= 1u << i;
		}
	} else if (point == SWAPIN_HOOK_UNUSE) {
		/* behind the walk: what this pass's faults mapped goes back to its entries */
		c->passes++;
		lru_add_drain_all(c->m);	/* the faults' pages onto the LRU */
		for (int tries = 0; tries < 16 && c->mapped; tries++) {
			kmm_reclaim(c->m, 1UL << 20);
			for (int i = 0; i < CHASED; i++)
				if (is_swapped(c->t, c->base + c->page[i] * PAGE_SIZE))
					c->mapped &= ~(1u << i);
		}
		c->stuck += __builtin_popcount(c->mapped);
		c->mapped = 0;
		c->faulted = false;
	}
	c->nested = false;
	return 0;
}

TEST(swapoff_goes_on_while_reclaim_puts_pages_back_behind_its_walk)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct chase c = { .m = m, .t = kmm_spawn(m, "t") };

	assert_true(c.t != NULL);
	/*
	 * A second area, of lower priority, keeps free slots while the first
	 * goes (nr_swap_pages > 0), so reclaim still takes anonymous pages:
	 * with no free swap it would not (can_reclaim_anon_pages).
	 */
	unsigned long first = total_swap_pages(m);
	assert_true(kmm_mkswap(m, "/swapfile2", 16UL << 20) > 0);
	assert_eq(kmm_swapon(m, "/swapfile2", KMM_SWAP_PRIO_DEFAULT), 0);
	unsigned long second = total_swap_pages(m) - first;
	/* page-cluster 0: a fault reads its own page only */
	assert_eq(kmm_sysctl_write(m, "vm.page-cluster", "0"), 0);
	/* NPAGES pages, reclaimed; the first CHASED found on swap are chased */
	c.base = map_filled(c.t, NPAGES, 4);
	kmm_reclaim(m, 1UL << 20);
	kmm_writeback_wait(m);
	int n = 0;
	for (uint64_t i = 0; i < NPAGES && n < CHASED; i++)
		if (is_swapped(c.t, c.base + i * PAGE_SIZE))
			c.page[n++] = i;
	assert_eq(n, CHASED);
	pressure_of(m)->swapin_hook_arg = &c;
	pressure_of(m)->swapin_hook = chase_hook;
	expect_eq(kmm_swapoff(m, "/swapfile"), 0);
	pressure_of(m)->swapin_hook = NULL;
	pressure_of(m)->swapin_hook_arg = NULL;
	expect_eq(c.stuck, 0);			/* each reclaim sent its pages back */
	expect_true(c.passes >= CHASED - 1);	/* about one chased page freed per pass */
	expect_eq(total_swap_pages(m), second);	/* the first area went */
	expect_true(verify_range(c.t, c.base, 0, NPAGES, 4));
	CHECK(m);
	kmm_exit(c.t, 0);
	done(m);
}

/*
 * A fault that read a swap PTE before swapoff ended (review14 R4). swapoff
 * puts every page of its area back in its PTE and then takes the area out
 * of swap_info[]; a fault between its read of the PTE and its look-up of
 * the area finds no area. The page is in RAM: the fault must be retried,
 * as Linux's get_swap_device() failing makes do_swap_page return 0 - kmm's
 * returned -EFAULT, and the process got SIGBUS. The interleaving is made
 * with no timing, on one thread: the PTE's old value is kept, swapoff runs
 * to its end, and the swap fault is entered with the stale value, as
 * handle_mm_fault() enters it after its read of the PTE.
 */
static int swap_fault_with(struct task_struct *t, uint64_t addr, pteval_t orig)
{
	struct kmm_machine *m = t->machine;
	struct mm_struct *mm = t->mm;
	int token = procs_enter(m);
	struct task_struct *prev = set_current_task(t);
	int ret = -ESRCH;

	mmap_read_lock(mm);
	struct vm_area_struct *vma = find_vma(mm, addr);
	void *ptep = pgtable_walk(&mm->pgt, addr, false, NULL);
	if (vma && vma->vm_start <= addr && ptep)
		ret = procs_of(m)->swapin(m, vma, addr, ptep, orig, 0);
	mmap_read_unlock(mm);
	task_leave(prev);
	procs_exit(m, token);
	return ret;
}

TEST(a_fault_that_read_its_swap_pte_before_swapoff_ended_is_retried)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	uint64_t base, i;
	struct task_struct *t = swapped_process(m, &base, &i);
	uint64_t a = base + i * PAGE_SIZE;
	pteval_t orig = pte_of(t, a);

	assert_true(is_swapped(t, a));
	assert_eq(kmm_swapoff(m, "/swapfile"), 0);
	assert_true(is_present(t, a));		/* swapoff brought the page back */
	expect_eq(swap_fault_with(t, a, orig), 0);	/* no area, PTE changed: retry */
	expect_true(strstr(t_dmesg(m), "Bad swap") == NULL);	/* not a bad entry */
	/* an area of the same type again: the stale entry's slot is free there */
	assert_eq(kmm_swapon(m, "/swapfile", KMM_SWAP_PRIO_DEFAULT), 0);
	expect_eq(swap_fault_with(t, a, orig), 0);
	expect_true(t->state != TASK_DEAD);
	expect_true(verify_range(t, base, 0, NPAGES, 1));
	CHECK(m);
	kmm_exit(t, 0);
	expect_swap_all_free(m);
	done(m);
}

/* The other side: an entry of no area still in the PTE is a bad entry, not a retry. */
TEST(a_swap_pte_that_names_no_area_is_a_bad_entry)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	uint64_t base = map_filled(t, 2, 1) + PAGE_SIZE;	/* page 1's table exists */
	struct mm_struct *mm = t->mm;

	assert_eq(kmm_madvise(t, base, PAGE_SIZE, KMM_MADV_DONTNEED), 0);
	assert_true(pte_none(pte_of(t, base)));
	pteval_t bad = swp_entry_to_pte(mm->pgt.geo, MAX_SWAPFILES - 1, 1);
	int token = procs_enter(m);
	spinlock_t *ptl;
	void *slot = pte_offset_map_lock(mm, base, &ptl);
	assert_true(slot != NULL);
	pte_set(&mm->pgt, slot, bad);
	pte_unmap_unlock(ptl);
	procs_exit(m, token);
	expect_eq(swap_fault_with(t, base, bad), -EFAULT);
	expect_str_contains(t_dmesg(m), "swap_info_get: Bad swap file entry");
	token = procs_enter(m);
	slot = pte_offset_map_lock(mm, base, &ptl);
	assert_true(slot != NULL);
	pte_set(&mm->pgt, slot, 0);
	pte_unmap_unlock(ptl);
	procs_exit(m, token);
	CHECK(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * swapoff's unuse of a page frees its slot and takes the page out of the
 * swap cache before it stores the PTE, all under the page-table lock. A
 * fault on that page in between finds no page in the cache and a free slot
 * (the read comes back empty) while the PTE still holds the entry: it must
 * wait for the lock and find the PTE changed (Linux backs out under the
 * lock), not take it for no memory. kmm looked without the lock: the fault
 * returned VM_FAULT_OOM ("Huh VM_FAULT_OOM leaked out" in dmesg) and was
 * retried again and again while swapoff's thread stood there - kmm_access()
 * gave up after 16 and killed the process (review14 R3, TSan at load).
 * Forced with the hooks: swapoff stops in the window; the fault runs; the
 * stop ends when the fault is about to look again under the lock (the fix)
 * or has faulted 4 times (the bug).
 */
struct unuse_window {
	struct kmm_machine *m;
	swp_entry_t entry;
	atomic_int in_window;		/* swapoff is stopped there */
	atomic_int rechecking;		/* the fault is about to look again */
	atomic_int fault_done;
};

static int unuse_window_hook(void *arg, int point, struct page *page, swp_entry_t entry)
{
	struct unuse_window *w = arg;

	(void)page;
	if (entry.val != w->entry.val)
		return 0;
	if (point == SWAPIN_HOOK_RECHECK) {
		atomic_store(&w->rechecking, 1);
	} else if (point == SWAPIN_HOOK_MAP && !atomic_load(&w->in_window)) {
		unsigned long faults = vm_event(w->m, PGFAULT);
		atomic_store(&w->in_window, 1);
		while (!atomic_load(&w->rechecking) && !atomic_load(&w->fault_done) &&
		       vm_event(w->m, PGFAULT) - faults < 4)
			sched_yield();
	}
	return 0;
}

struct window_swapoff {
	struct kmm_machine *m;
	int ret;
};

static void *window_swapoff_main(void *arg)
{
	struct window_swapoff *o = arg;

	kmm_use(o->m);
	o->ret = kmm_swapoff(o->m, "/swapfile");
	return NULL;
}

TEST(a_fault_in_swapoff_s_unuse_window_waits_for_the_pte_instead_of_ooming)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	uint64_t base, i;
	struct task_struct *t = swapped_process(m, &base, &i);
	uint64_t a = base + i * PAGE_SIZE;
	struct unuse_window w = { .m = m, .entry = pte_entry(t, a) };
	struct window_swapoff off = { .m = m };
	struct race r = { .m = m };	/* access_main's machine; no stall */
	struct access fa = { .race = &r, .t = t, .addr = a, .fd = -1 };
	pthread_t st, ft;

	assert_true(is_swapped(t, a));
	pressure_of(m)->swapin_hook_arg = &w;
	pressure_of(m)->swapin_hook = unuse_window_hook;
	assert_eq(pthread_create(&st, NULL, window_swapoff_main, &off), 0);
	spin_until(&w.in_window, NULL);
	unsigned long faults = vm_event(m, PGFAULT);
	assert_eq(pthread_create(&ft, NULL, access_main, &fa), 0);
	pthread_join(ft, NULL);
	atomic_store(&w.fault_done, 1);
	pthread_join(st, NULL);
	race_off(m);

	expect_eq(off.ret, 0);
	expect_eq(fa.ret, 0);
	expect_true(buf_holds(fa.buf, i, 1, __LINE__));
	expect_eq(atomic_load(&w.rechecking), 1);
	expect_true(strstr(t_dmesg(m), "VM_FAULT_OOM") == NULL);
	expect_true(vm_event(m, PGFAULT) - faults <= 2);	/* the empty read, then the hit */
	expect_true(verify_range(t, base, 0, NPAGES, 1));
	CHECK(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * The area's lifetime. A fault that found an area in swap_info[] may use it
 * until its section ends: swapoff frees the area only after a grace period
 * that waits for every section open when the area went. swapoff called
 * inside such a section itself (by code a fault runs, an event listener
 * say) cannot wait for the others, and freed the area at once under them.
 * The test's own thread plays the fault: it looks the area up in its
 * section, as do_swap_page does, runs swapoff in that section, and reads
 * the area afterwards - freed memory before the fix (ASan: a
 * heap-use-after-free). The area is freed by the next swapoff that waits.
 */
TEST(swapoff_inside_a_section_keeps_the_area_for_the_faults_that_hold_it)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	uint64_t base, i;
	struct task_struct *t = swapped_process(m, &base, &i);
	struct pressure *p = pressure_of(m);
	int token = procs_enter(m);
	struct swap_info_struct *si = swap_info_lockless(p, 0);

	assert_true(si != NULL && token >= 0);
	unsigned long max = si->max;
	assert_eq(kmm_swapoff(m, "/swapfile"), 0);
	expect_true(swap_info_lockless(p, 0) == NULL);
	expect_eq(si->max, max);			/* still the area */
	expect_eq(strcmp(si->path, "/swapfile"), 0);
	expect_true(p->retired == si);
	procs_exit(m, token);
	assert_eq(kmm_swapon(m, "/swapfile", KMM_SWAP_PRIO_DEFAULT), 0);
	assert_eq(kmm_swapoff(m, "/swapfile"), 0);	/* waits: frees the retired area too */
	expect_true(p->retired == NULL);
	expect_true(verify_range(t, base, 0, NPAGES, 1));
	CHECK(m);
	kmm_exit(t, 0);
	done(m);
}
