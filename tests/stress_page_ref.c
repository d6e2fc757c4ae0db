// SPDX-License-Identifier: MIT
/*
 * tests/stress_page_ref.c - references taken on pages the taker does not
 * hold: reclaim's isolation of a page on an LRU list (a try-get that fails
 * on a count of 0, as Linux's folio_try_get) and get_user_pages' lookup
 * (under the page-table lock, as Linux's follow_page_pte), against the
 * threads that drop those pages' last references; and the page allocator's
 * refusal to take a page still on an LRU list, on which the free fast
 * path's plain store of the count relies (mm/page_alloc.c, __free_pages);
 * and a last reference going while another CPU slot's thread drains the
 * add batch the page sits in (mm/swap.c). Threaded, with the checker
 * running meanwhile and after; built into `make test-tsan` too.
 * KMM_QUICK=1 takes fewer rounds.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <kmm/fs.h>
#include <kmm/proc.h>
#include <kmm/process.h>
#include <kmm/swap.h>

#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "mm/swap.h"

#define PG 4096UL

/* A clean file of @pages pages, nothing of it cached, opened by @t. */
static int clean_file(struct kmm_machine *m, struct task_struct *t, const char *path,
		      unsigned long pages)
{
	assert_eq(kmm_mkfile(m, path, pages * PG, 0x5a), 0);
	assert_eq(kmm_sync(m), 0);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	int fd = kmm_open(t, path, KMM_O_RDWR);
	assert_true(fd >= 3);
	return fd;
}

/*
 * The moment a page's last holder has dropped the count to 0 but not yet
 * taken the page off its LRU list (put_user_page() before
 * __page_cache_release()), made to last: reclaim must leave such a page
 * alone. Isolating it with a plain get_page() raised the count from 0 to 1,
 * took the page off the list into reclaim's hands, and the isolation's own
 * put then freed it under its page-cache entry. (Checkers off for the
 * moment: a list page with count 0 is what they report, and real freers
 * never let them see it.)
 */
TEST(reclaim_leaves_a_page_whose_last_reference_is_gone)
{
	struct kmm_machine *m = boot("mem=64M debug_checks=off");
	struct task_struct *t = kmm_spawn(m, "A");
	struct page *page;
	uint64_t addr;

	assert_true(t != NULL);
	int fd = clean_file(m, t, "/data/f", 64);
	assert_eq(kmm_mmap_fd(t, fd, 0, 64 * PG, KMM_PROT_READ, KMM_MAP_SHARED, 0, &addr), 0);
	assert_eq(get_user_pages_remote(t->mm, addr, 1, 0, &page), 1);
	kmm_put_user_page(page);
	assert_eq(kmm_munmap(t, addr, 64 * PG), 0);
	lru_add_drain_all(m);
	/* the page cache's reference only, on the inactive file list */
	assert_true(PageLRU(page));
	assert_eq(page_ref_count(page), 1);

	atomic_fetch_sub(&page->_refcount, 1);		/* its freer's put_page_testzero() */
	kmm_reclaim(m, 4096);
	assert_true(PageLRU(page));			/* still on its list, for its freer */
	assert_eq(page_ref_count(page), 0);
	atomic_fetch_add(&page->_refcount, 1);		/* the freer that never came */

	assert_eq(kmm_check(m), 0);
	assert_eq(kmm_close(t, fd), 0);
	kmm_exit(t, 0);
	assert_eq(kmm_unlink(m, "/data/f"), 0);
	done(m);
}

/*
 * The allocator refuses a page still on an LRU list (or in an add batch):
 * reported as Linux reports PAGE_FLAGS_CHECK_AT_FREE flags, the page kept
 * out of the free lists. Nothing may free such a page: isolation's try-get
 * could raise its count at any moment, and __free_pages() drops a count of
 * 1 with a plain store.
 */
TEST(a_page_on_an_lru_list_is_not_freed)
{
	struct kmm_machine *m = boot("mem=64M debug_checks=off");

	kmm_use(m);
	struct page *page = alloc_pages(GFP_KERNEL, 0);
	assert_true(page != NULL);
	unsigned long free0 = nr_free(m);
	for (int bit = 0; bit < 2; bit++) {
		page_flag_set(page, bit ? PG_lru_batch : PG_lru);
		__free_pages(page, 0);
		expect_str_contains(kmm_last_error(), "PAGE_FLAGS_CHECK_AT_FREE");
		expect_eq(nr_free(m), free0);		/* not freed */
		page_flag_clear(page, bit ? PG_lru_batch : PG_lru);
		set_page_count(page, 1);		/* the bad free dropped it */
	}
	__free_pages(page, 0);
	expect_eq(nr_free(m), free0 + 1);
	done(m);
}

/* ---- Threads: the last reference against isolation and GUP ---- */

#define FILE_PAGES 32
#define EXTRA_PINS 1024		/* pins elsewhere: GUP's pin records to search */

static struct kmm_machine *machine;
static atomic_int running;
static atomic_int started;	/* threads that have begun: the dropper waits for all 4 */
static atomic_long gups, rounds;

struct racer {
	struct task_struct *t;
	int fd;
	uint64_t addr;		/* the shared mapping GUP walks */
	long steps;
	char error[256];
};

#define fail(r, ...) do { if (!(r)->error[0]) snprintf((r)->error, sizeof((r)->error), __VA_ARGS__); } while (0)

/*
 * Read the file into the cache (LRU pages), then drop the cache
 * (POSIX_FADV_DONTNEED): every page's last reference goes.
 */
static void *dropper_main(void *arg)
{
	struct racer *r = arg;
	static unsigned char buf[FILE_PAGES * PG];

	kmm_use(machine);
	/* a start line: the other three run before the first round, whatever the scheduler does */
	atomic_fetch_add(&started, 1);
	while (atomic_load(&started) < 4)
		sched_yield();
	for (long i = 0; i < r->steps && !r->error[0]; i++) {
		if (kmm_pread(r->t, r->fd, buf, sizeof(buf), 0) != (long)sizeof(buf)) {
			fail(r, "pread: %s", kmm_last_error());
			break;
		}
		if (kmm_fadvise(r->t, r->fd, 0, 0, KMM_POSIX_FADV_DONTNEED)) {
			fail(r, "fadvise: %s", kmm_last_error());
			break;
		}
		atomic_fetch_add(&rounds, 1);
	}
	atomic_fetch_sub(&running, 1);
	return NULL;
}

/* get_user_pages() on the shared mapping of the file reclaim evicts, then put. */
static void *gup_main(void *arg)
{
	struct racer *r = arg;
	struct page *pages[FILE_PAGES];

	kmm_use(machine);
	atomic_fetch_add(&started, 1);
	do {	/* at least once, even when the dropper is done before this thread runs */
		long n = get_user_pages_remote(r->t->mm, r->addr, FILE_PAGES, 0, pages);
		for (long i = 0; i < n; i++)
			kmm_put_user_page(pages[i]);
		atomic_fetch_add(&gups, 1);
	} while (atomic_load(&running) > 1);
	atomic_fetch_sub(&running, 1);
	return NULL;
}

static void *reclaimer_main(void *arg)
{
	(void)arg;
	kmm_use(machine);
	atomic_fetch_add(&started, 1);
	do
		kmm_reclaim(machine, 64);
	while (atomic_load(&running) > 2);
	atomic_fetch_sub(&running, 1);
	return NULL;
}

static void *checker_main(void *arg)
{
	char *error = arg;

	kmm_use(machine);
	atomic_fetch_add(&started, 1);
	do
		if (kmm_check(machine) && !error[0])
			snprintf(error, 256, "kmm_check: %s", kmm_last_error());
	while (atomic_load(&running) > 3);
	atomic_fetch_sub(&running, 1);
	return NULL;
}

/*
 * One thread reads a file into the page cache and drops it, round after
 * round (each drop is the last reference of LRU pages going); one
 * reclaims all the while (isolating those pages from the LRU, and evicting
 * the pages of a second file that another process maps: unmapped, dropped
 * from the cache, freed); one runs get_user_pages() over that mapping
 * (looking up PTEs reclaim is clearing, faulting the pages back), with a
 * thousand pins recorded elsewhere so that its pin bookkeeping takes a
 * while; and one runs the checker. Every reference taken must be on a live
 * page, every page must come back.
 */
TEST(last_references_race_reclaim_and_gup)
{
	static struct racer drop, gup;
	struct page **extra = calloc(EXTRA_PINS, sizeof(*extra));
	char check_error[256] = "";
	pthread_t th[4];
	uint64_t anon;

	assert_true(extra != NULL);
	machine = boot("mem=128M nr_cpus=4");
	drop.t = kmm_spawn(machine, "drop");
	gup.t = kmm_spawn(machine, "gup");
	assert_true(drop.t && gup.t);
	drop.fd = clean_file(machine, drop.t, "/data/cache", FILE_PAGES);
	gup.fd = clean_file(machine, gup.t, "/data/mapped", FILE_PAGES);
	assert_eq(kmm_mmap_fd(gup.t, gup.fd, 0, FILE_PAGES * PG, KMM_PROT_READ, KMM_MAP_SHARED, 0,
			      &gup.addr), 0);
	assert_eq(kmm_mmap(gup.t, 0, EXTRA_PINS * PG, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &anon), 0);
	assert_eq(pin_user_pages_remote(gup.t->mm, anon, EXTRA_PINS, KMM_FOLL_WRITE, extra),
		  EXTRA_PINS);
	drop.steps = kmm_test_quick() ? 300 : 3000;
	atomic_store(&running, 4);
	atomic_store(&started, 0);
	atomic_store(&gups, 0);
	atomic_store(&rounds, 0);
	assert_eq(pthread_create(&th[0], NULL, dropper_main, &drop), 0);
	assert_eq(pthread_create(&th[1], NULL, gup_main, &gup), 0);
	assert_eq(pthread_create(&th[2], NULL, reclaimer_main, NULL), 0);
	assert_eq(pthread_create(&th[3], NULL, checker_main, check_error), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	if (drop.error[0])
		kmm_test_fail(__FILE__, __LINE__, "%s", drop.error);
	if (check_error[0])
		kmm_test_fail(__FILE__, __LINE__, "%s", check_error);
	expect_eq(atomic_load(&rounds), drop.steps);
	expect_true(atomic_load(&gups) > 0);
	if (getenv("KMM_VERBOSE"))
		printf("rounds %ld, gup calls %ld\n", atomic_load(&rounds), atomic_load(&gups));

	unpin_user_pages(extra, EXTRA_PINS);
	free(extra);
	expect_eq(kmm_check(machine), 0);
	assert_eq(kmm_close(drop.t, drop.fd), 0);
	kmm_exit(drop.t, 0);
	kmm_exit(gup.t, 0);
	assert_eq(kmm_unlink(machine, "/data/cache"), 0);
	assert_eq(kmm_unlink(machine, "/data/mapped"), 0);
	done(machine);
}

/* ---- Threads: the last reference against another slot's drain ---- */

static atomic_int drain_stop;
static atomic_long drains;

static void *drainer_main(void *arg)
{
	(void)arg;
	kmm_use(machine);
	atomic_fetch_add(&started, 1);
	while (!atomic_load(&drain_stop)) {
		lru_add_drain_all(machine);
		atomic_fetch_add_explicit(&drains, 1, memory_order_relaxed);
	}
	return NULL;
}

/*
 * A page's last reference goes (__page_cache_release) while another CPU
 * slot's thread drains the add batch the page sits in: the drain moves it
 * from the batch to its LRU list. Whichever way the two meet, the page must
 * be off every list and batch once __page_cache_release() returns: its
 * count is 0 and nothing may put it back. The freer puts each page in its
 * own slot's batch and releases it after a varying while (so that the
 * release falls before, during and after the drain's move of the page), or,
 * every other round, as soon as it sees the page leave the batch (the
 * drain's move under way); then, past the drain (its lru_lock), the page
 * must show neither PG_lru nor PG_lru_batch. The drain moved a page as two steps, PG_lru_batch
 * cleared and then PG_lru set: a release that read both between them saw a
 * page on no list and returned, and the drain then put the freed page on a
 * list (stress_ptl_threads saw that page leaked, refused by the allocator).
 */
TEST(a_page_released_while_another_slot_drains_its_batch_leaves_the_lists)
{
	const long rounds = kmm_test_quick() ? 400 : 5000;
	long escaped = 0;
	pthread_t th;

	machine = boot("mem=64M nr_cpus=2");
	kmm_use(machine);
	atomic_store(&started, 0);
	atomic_store(&drain_stop, 0);
	atomic_store(&drains, 0);
	unsigned long free0 = nr_free(machine);
	assert_eq(pthread_create(&th, NULL, drainer_main, NULL), 0);
	while (atomic_load(&started) < 1)
		sched_yield();
	for (long i = 0; i < rounds; i++) {
		struct page *page = alloc_pages(GFP_KERNEL, 0);
		assert_true(page != NULL);
		struct lruvec *lruvec = folio_lruvec(page);

		folio_add_lru(page);	/* this thread's slot's batch */
		assert_true(put_page_testzero(page));
		if (i % 2) {
			for (volatile long spin = (i * 7) % 61; spin > 0; spin--)
				;
		} else {
			/* the moment the drain takes the page out of the batch */
			for (long n = 0; PageLRUBatch(page); n++)
				if (n > 1000)
					sched_yield();
		}
		__page_cache_release(page);
		spin_lock(&lruvec->lru_lock);	/* a drain that holds the page is done with it */
		bool listed = PageLRU(page) || PageLRUBatch(page);
		spin_unlock(&lruvec->lru_lock);
		if (listed) {
			escaped++;
			__page_cache_release(page);	/* off the list it went back on */
		}
		set_page_count(page, 1);
		__free_pages(page, 0);
	}
	atomic_store(&drain_stop, 1);
	pthread_join(th, NULL);
	if (getenv("KMM_VERBOSE"))
		printf("rounds %ld, drains %ld, escaped %ld\n", rounds, atomic_load(&drains), escaped);
	expect_eq(escaped, 0);
	expect_true(atomic_load(&drains) > 0);
	lru_add_drain_all(machine);
	expect_eq(nr_free(machine), free0);
	expect_eq(kmm_check(machine), 0);
	done(machine);
}
