// SPDX-License-Identifier: MIT
/*
 * tests/integration_zap_copy.c - an unmap on another thread (munmap,
 * MADV_DONTNEED, truncation of a shared file by another process) waits for
 * a kmm_access() copy in flight through the translation it flushes before
 * the page can be freed.
 *
 * Linux's order is unmap, flush the TLBs (the shootdown IPI is acknowledged
 * only once no CPU is inside an instruction using the old entry), then free
 * the pages (mmu_gather). kmm_access()'s TLB-hit copy runs inside its TLB's
 * access bracket; a zap or a truncation that drops the page without waiting
 * for the brackets open at its flush lets the copy go on reading or writing
 * a frame that was freed and maybe given to someone else meanwhile.
 *
 * The copy is stopped in its middle with no timing, as in
 * integration_swap_tlb_copy: the caller's buffer is a host page with no
 * access, so the copy's first load from it faults. The SIGSEGV handler, on
 * the copying thread, lets a second thread start the unmap and then waits
 * until one of two things happens: the unmap returns (the page went while
 * the copy was in flight: the bug) or the MMU's shootdown counts a wait for
 * a busy TLB (the unmap is waiting for this copy: right, if the page still
 * has a reference then: zap must free its pages after the wait, not before
 * the flush). Then it gives the buffer access back and returns, the copy
 * ends, and the unmap finishes.
 */
#include "tests/swap_test.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <kmm/fs.h>
#include <kmm/mmu.h>

#include "mm/include/filemap.h"

enum zap_kind { ZAP_MUNMAP, ZAP_DONTNEED, ZAP_TRUNCATE, ZAP_LONGTERM_PIN, ZAP_MADV_FREE, ZAP_RECLAIM,
		ZAP_FSYNC };

static void *guard;			/* the host page the copy faults on */
static struct sim_mmu *mmu;		/* the machine's MMU */
static unsigned long waits_before;	/* mmu->busy_waits when the copy started */
static atomic_int go;			/* the handler lets the unmap start */
static atomic_int unmap_done;		/* the unmap returned */
static atomic_int faults;		/* the handler's runs */
static atomic_uint busy_in_copy;	/* kmm_tlb_this->busy seen by the handler */
static atomic_int returned_in_flight;	/* the unmap returned while the copy was stopped */
static atomic_int waited_for_copy;	/* the shootdown waited for this TLB */
static struct page *copied;		/* the page the copy goes to */
static atomic_int refs_at_wait;		/* its reference count when the shootdown waited */
static atomic_int backed_at_wait;	/* it was still PG_swapbacked (not lazy-free) then */
static atomic_int written_at_wait;	/* it was under writeback (its bytes taken) then */

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if ((char *)si->si_addr < (char *)guard || (char *)si->si_addr >= (char *)guard + PAGE_SIZE) {
		signal(SIGSEGV, SIG_DFL);	/* not ours: crash as usual */
		return;
	}
	atomic_fetch_add(&faults, 1);
	atomic_store(&busy_in_copy, __atomic_load_n(&kmm_tlb_this->busy, __ATOMIC_RELAXED));
	atomic_store(&go, 1);
	for (;;) {
		if (atomic_load(&unmap_done)) {
			atomic_store(&returned_in_flight, 1);
			break;
		}
		if (__atomic_load_n(&mmu->busy_waits, __ATOMIC_RELAXED) != waits_before) {
			atomic_store(&refs_at_wait, page_ref_count(copied));
			atomic_store(&backed_at_wait, page_flag_test(copied, PG_swapbacked));
			atomic_store(&written_at_wait, page_flag_test(copied, PG_writeback));
			atomic_store(&waited_for_copy, 1);
			break;
		}
		sched_yield();
	}
	mprotect(guard, PAGE_SIZE, PROT_READ | PROT_WRITE);
}

struct unmapper {
	struct kmm_machine *m;
	enum zap_kind kind;
	struct task_struct *t;	/* the process that unmaps (or truncates) */
	uint64_t addr;		/* munmap, madvise: the page */
	int fd;			/* truncate: @t's fd of the file */
	int ret;
	struct page *pinned;	/* longterm pin: the page pinned */
};

static void *unmap_thread(void *arg)
{
	struct unmapper *u = arg;

	kmm_use(u->m);
	while (!atomic_load(&go))
		sched_yield();
	switch (u->kind) {
	case ZAP_MUNMAP:
		u->ret = kmm_munmap(u->t, u->addr, PAGE_SIZE);
		break;
	case ZAP_DONTNEED:
		u->ret = kmm_madvise(u->t, u->addr, PAGE_SIZE, KMM_MADV_DONTNEED);
		break;
	case ZAP_TRUNCATE:
		u->ret = kmm_ftruncate(u->t, u->fd, 0);
		break;
	case ZAP_LONGTERM_PIN:
		u->ret = pin_user_pages_remote(u->t->mm, u->addr, 1, KMM_FOLL_WRITE | KMM_FOLL_LONGTERM,
					       &u->pinned) == 1 ? 0 : -1;
		break;
	case ZAP_MADV_FREE:
		u->ret = kmm_madvise(u->t, u->addr, PAGE_SIZE, KMM_MADV_FREE);
		break;
	case ZAP_RECLAIM:
		u->ret = kmm_reclaim(u->m, 1UL << 20) > 0 ? 0 : -1;
		break;
	case ZAP_FSYNC:
		u->ret = kmm_fsync(u->t, u->fd);
		break;
	}
	atomic_store(&unmap_done, 1);
	return NULL;
}

/*
 * Store a page at @base of @t (its first page, already written so this
 * thread's TLB holds a writable entry) from the guard page while @u unmaps
 * it: the unmap must wait for the copy.
 */
static void store_while_unmapped(struct task_struct *t, uint64_t base, struct unmapper *u)
{
	uint64_t buf[PAGE_SIZE / 8];
	struct sigaction sa, old;
	pthread_t th;

	mmu = procs_of(u->m)->mmu;
	guard = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(guard != MAP_FAILED);
	fill_page(guard, 0, 9);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	assert_eq(sigaction(SIGSEGV, &sa, &old), 0);
	atomic_store(&go, 0);
	atomic_store(&unmap_done, 0);
	atomic_store(&faults, 0);
	atomic_store(&busy_in_copy, 0);
	atomic_store(&returned_in_flight, 0);
	atomic_store(&waited_for_copy, 0);
	assert_eq(pthread_create(&th, NULL, unmap_thread, u), 0);

	/* a hit of a writable entry: fill this thread's TLB by a write of the same bytes */
	assert_eq(kmm_access(t, base, buf, PAGE_SIZE, false), 0);
	assert_eq(kmm_access(t, base, buf, PAGE_SIZE, true), 0);
	struct kmm_tlb *tlb = kmm_tlb_this;
	unsigned long hits = tlb->hits;
	copied = pfn_to_page_m(u->m, pte_pfn_geo(t->mm->pgt.geo, pte_of(t, base)));
	atomic_store(&refs_at_wait, -1);
	atomic_store(&backed_at_wait, -1);
	atomic_store(&written_at_wait, -1);
	waits_before = __atomic_load_n(&mmu->busy_waits, __ATOMIC_RELAXED);
	assert_eq(mprotect(guard, PAGE_SIZE, PROT_NONE), 0);
	assert_eq(kmm_access(t, base, guard, PAGE_SIZE, true), 0);
	pthread_join(th, NULL);

	expect_eq(atomic_load(&faults), 1);		/* stopped in the copy */
	expect_eq(tlb->hits, hits + 1);			/* the hit path's copy */
	expect_true(atomic_load(&busy_in_copy) > 0);	/* inside the bracket */
	expect_eq(u->ret, 0);
	expect_eq(atomic_load(&returned_in_flight), 0);	/* the page did not go under the copy */
	expect_true(atomic_load(&waited_for_copy));	/* the unmap waited for it */
	expect_true(atomic_load(&refs_at_wait) > 0);	/* before it let the page go */
	sigaction(SIGSEGV, &old, NULL);
	munmap(guard, PAGE_SIZE);
}

TEST(munmap_waits_for_a_copy_in_flight_before_it_frees_the_page)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 0);
	struct task_struct *t = kmm_spawn(m, "copier");

	assert_true(t != NULL);
	uint64_t base = map_filled(t, 2, 7);
	struct unmapper u = { .m = m, .kind = ZAP_MUNMAP, .t = t, .addr = base };

	store_while_unmapped(t, base, &u);
	expect_true(verify_page(t, base, 1, 7));	/* the page beside it stays */
	CHECK(m);
	kmm_exit(t, 0);
	done(m);
}

TEST(madvise_dontneed_waits_for_a_copy_in_flight_before_it_frees_the_page)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 0);
	struct task_struct *t = kmm_spawn(m, "copier");
	uint64_t zero[PAGE_SIZE / 8], want[PAGE_SIZE / 8];

	assert_true(t != NULL);
	uint64_t base = map_filled(t, 2, 7);
	struct unmapper u = { .m = m, .kind = ZAP_DONTNEED, .t = t, .addr = base };

	store_while_unmapped(t, base, &u);
	/* the copy went into the old frame: the page reads as zeros again */
	memset(want, 0, sizeof(want));
	assert_eq(kmm_access(t, base, zero, PAGE_SIZE, false), 0);
	expect_true(memcmp(zero, want, PAGE_SIZE) == 0);
	expect_true(verify_page(t, base, 1, 7));
	CHECK(m);
	kmm_exit(t, 0);
	done(m);
}

TEST(truncation_by_another_process_waits_for_a_copy_in_flight_through_a_shared_mapping)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 0);
	struct task_struct *a = kmm_spawn(m, "copier");
	struct task_struct *b = kmm_spawn(m, "truncator");
	uint64_t base = 0;

	assert_true(a != NULL && b != NULL);
	assert_eq(kmm_mkfile(m, "/zapfile", 2 * PAGE_SIZE, 0x33), 0);
	int fa = kmm_open(a, "/zapfile", KMM_O_RDWR);
	int fb = kmm_open(b, "/zapfile", KMM_O_RDWR);
	assert_true(fa >= 0 && fb >= 0);
	assert_eq(kmm_mmap_fd(a, fa, 0, 2 * PAGE_SIZE, RW, KMM_MAP_SHARED, 0, &base), 0);
	assert_eq(write_page(a, base, 0, 7), 0);
	struct unmapper u = { .m = m, .kind = ZAP_TRUNCATE, .t = b, .fd = fb };

	store_while_unmapped(a, base, &u);
	uint64_t size = 1;
	assert_eq(kmm_file_size(m, "/zapfile", &size), 0);
	expect_eq(size, 0);
	kmm_close(a, fa);
	kmm_close(b, fb);
	CHECK(m);
	kmm_exit(a, 0);
	kmm_exit(b, 0);
	kmm_unlink(m, "/zapfile");
	done(m);
}

/*
 * Truncation unmaps the range's pages first and waits once for the copies
 * in flight through all of them (Linux's truncate_pagecache(): unmap the
 * range, then truncate the cache), not once per mapped page: with the
 * asymmetric bracket each wait is a membarrier(2).
 */
TEST(truncation_of_many_mapped_pages_waits_once_for_the_range)
{
	enum { NPAGES = 8 };
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 0);
	struct task_struct *a = kmm_spawn(m, "mapper");
	struct task_struct *b = kmm_spawn(m, "truncator");
	struct sim_mmu *mm_mmu = procs_of(m)->mmu;
	uint64_t base = 0;

	assert_true(a != NULL && b != NULL);
	assert_eq(kmm_mkfile(m, "/manyfile", NPAGES * PAGE_SIZE, 0x33), 0);
	int fa = kmm_open(a, "/manyfile", KMM_O_RDWR);
	int fb = kmm_open(b, "/manyfile", KMM_O_RDWR);
	assert_true(fa >= 0 && fb >= 0);
	assert_eq(kmm_mmap_fd(a, fa, 0, NPAGES * PAGE_SIZE, RW, KMM_MAP_SHARED, 0, &base), 0);
	for (uint64_t i = 0; i < NPAGES; i++) {
		assert_eq(write_page(a, base, i, 5), 0);
		assert_true(is_present(a, base + i * PAGE_SIZE));
	}
	unsigned long before = __atomic_load_n(&mm_mmu->shootdowns, __ATOMIC_RELAXED);
	assert_eq(kmm_ftruncate(b, fb, 0), 0);
	unsigned long waits = __atomic_load_n(&mm_mmu->shootdowns, __ATOMIC_RELAXED) - before;
	expect_eq(waits, 1);
	for (uint64_t i = 0; i < NPAGES; i++)
		expect_true(!is_present(a, base + i * PAGE_SIZE));
	kmm_close(a, fa);
	kmm_close(b, fb);
	CHECK(m);
	kmm_exit(a, 0);
	kmm_exit(b, 0);
	kmm_unlink(m, "/manyfile");
	done(m);
}

/*
 * A long-term pin moves a ZONE_MOVABLE page out (mm/gup.c migrate_one): the
 * copy must wait for a store in flight into the old frame, else the store
 * lands after the copy and is lost, in a frame that is then freed.
 */
TEST(longterm_pin_migration_waits_for_a_store_in_flight_before_it_copies)
{
	struct kmm_machine *m = boot_swap("mem=256M movablecore=128M arch=x86_64", 0);
	struct task_struct *t = kmm_spawn(m, "copier");

	assert_true(t != NULL);
	uint64_t base = map_filled(t, 2, 7);
	struct page *before = pfn_to_page_m(m, pte_pfn_geo(t->mm->pgt.geo, pte_of(t, base)));
	assert_eq(page_zonenum(before), ZONE_MOVABLE);
	struct unmapper u = { .m = m, .kind = ZAP_LONGTERM_PIN, .t = t, .addr = base };
	unsigned long mig = sum_vm_event(m, PGMIGRATE_SUCCESS);

	store_while_unmapped(t, base, &u);
	expect_eq(sum_vm_event(m, PGMIGRATE_SUCCESS), mig + 1);
	assert_true(u.pinned != NULL);
	expect_ne(page_zonenum(u.pinned), ZONE_MOVABLE);
	expect_eq(pte_pfn_geo(t->mm->pgt.geo, pte_of(t, base)), page_to_pfn(u.pinned));
	expect_true(verify_page(t, base, 0, 9));	/* the store in flight is in the new page */
	expect_true(verify_page(t, base, 1, 7));
	CHECK(m);
	unpin_user_page(u.pinned);
	kmm_exit(t, 0);
	done(m);
}

/*
 * MADV_FREE cleans the PTE, flushes, and waits for a store in flight
 * through the old dirty translation before the page counts as clean (lazy
 * free): reclaim would drop a store that lands after that without a trace.
 */
TEST(madvise_free_waits_for_a_store_in_flight_before_the_page_counts_as_clean)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 0);
	struct task_struct *t = kmm_spawn(m, "copier");

	assert_true(t != NULL);
	uint64_t base = map_filled(t, 2, 7);
	struct unmapper u = { .m = m, .kind = ZAP_MADV_FREE, .t = t, .addr = base };
	unsigned long lazy = sum_vm_event(m, PGLAZYFREE);

	store_while_unmapped(t, base, &u);
	expect_eq(atomic_load(&backed_at_wait), 1);	/* not lazy-free while the store ran */
	expect_eq(sum_vm_event(m, PGLAZYFREE), lazy + 1);
	expect_true(!page_flag_test(copied, PG_swapbacked));
	expect_true(verify_page(t, base, 0, 9));	/* nothing reclaimed it yet */
	CHECK(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * Reclaim unmaps a batch of pages, waits once for the accesses in flight
 * through all of them, and only then writes any out or frees it (Linux's
 * TTU_BATCH_FLUSH and try_to_unmap_flush()): a store in flight into a page
 * being swapped out lands before the write takes its bytes.
 */
TEST(reclaim_waits_for_a_store_in_flight_before_it_writes_the_page_out)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 16UL << 20);
	struct task_struct *t = kmm_spawn(m, "copier");

	assert_true(t != NULL);
	uint64_t base = map_filled(t, 2, 7);
	struct unmapper u = { .m = m, .kind = ZAP_RECLAIM, .t = t };
	lru_add_drain_all(m);	/* on the LRU, not in this thread's batch: the reclaimer sees them */

	store_while_unmapped(t, base, &u);
	expect_eq(atomic_load(&written_at_wait), 0);	/* not yet written when it waited */
	expect_true(is_swapped(t, base));
	kmm_writeback_wait(m);
	kmm_reclaim(m, 1UL << 20);	/* the written pages leave the swap cache */
	unsigned long in = vm_event(m, PSWPIN);
	expect_true(verify_page(t, base, 0, 9));	/* the store in flight went out with the page */
	expect_true(vm_event(m, PSWPIN) > in);		/* read back from the swap area */
	expect_true(verify_page(t, base, 1, 7));
	CHECK(m);
	kmm_exit(t, 0);
	expect_swap_all_free(m);
	done(m);
}

/* Reclaim of a batch of mapped pages waits once for the batch, not once per page. */
TEST(reclaim_of_many_mapped_pages_waits_once_for_the_batch)
{
	enum { NPAGES = 8 };
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 16UL << 20);
	struct task_struct *t = kmm_spawn(m, "mapper");
	struct sim_mmu *mm_mmu = procs_of(m)->mmu;

	assert_true(t != NULL);
	uint64_t base = map_filled(t, NPAGES, 5);
	/* no recency (accessed bits not asked): the first pass over them takes them all */
	assert_eq(kmm_madvise(t, base, NPAGES * PAGE_SIZE, KMM_MADV_RANDOM), 0);
	lru_add_drain_all(m);
	unsigned long before = __atomic_load_n(&mm_mmu->shootdowns, __ATOMIC_RELAXED);
	kmm_reclaim(m, 1UL << 20);
	unsigned long waits = __atomic_load_n(&mm_mmu->shootdowns, __ATOMIC_RELAXED) - before;
	for (uint64_t i = 0; i < NPAGES; i++)
		expect_true(is_swapped(t, base + i * PAGE_SIZE));
	expect_eq(waits, 1);
	expect_true(verify_range(t, base, 0, NPAGES, 5));
	CHECK(m);
	kmm_exit(t, 0);
	expect_swap_all_free(m);
	done(m);
}

/* The bytes of page @index of /path in the file system's image, into @buf. */
static void read_image_page(struct kmm_machine *m, const char *path, uint64_t index, void *buf)
{
	uint64_t off = 0;
	FILE *img;

	assert_eq(kmm_fs_bmap(m, path, index, &off), 0);
	img = fopen(kmm_fs_image(m), "rb");
	assert_true(img != NULL);
	assert_eq(fseek(img, (long)off, SEEK_SET), 0);
	assert_eq(fread(buf, 1, PAGE_SIZE, img), PAGE_SIZE);
	fclose(img);
}

/*
 * Writeback write-protects and cleans a shared mapping's PTEs (folio_mkclean)
 * and waits for a store in flight through the old writable entry before
 * the write takes the page's bytes: a store landing after it would be in
 * memory only, on a page that counts as clean.
 */
TEST(fsync_waits_for_a_store_in_flight_before_it_writes_a_mapped_page)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 0);
	struct task_struct *a = kmm_spawn(m, "copier");
	struct task_struct *b = kmm_spawn(m, "syncer");
	uint64_t base = 0, got[PAGE_SIZE / 8];

	assert_true(a != NULL && b != NULL);
	assert_eq(kmm_mkfile(m, "/wbfile", 2 * PAGE_SIZE, 0x33), 0);
	int fa = kmm_open(a, "/wbfile", KMM_O_RDWR);
	int fb = kmm_open(b, "/wbfile", KMM_O_RDWR);
	assert_true(fa >= 0 && fb >= 0);
	assert_eq(kmm_mmap_fd(a, fa, 0, 2 * PAGE_SIZE, RW, KMM_MAP_SHARED, 0, &base), 0);
	assert_eq(write_page(a, base, 0, 7), 0);
	assert_eq(write_page(a, base, 1, 7), 0);
	struct unmapper u = { .m = m, .kind = ZAP_FSYNC, .t = b, .fd = fb };

	store_while_unmapped(a, base, &u);
	expect_eq(atomic_load(&written_at_wait), 0);	/* not yet written when it waited */
	read_image_page(m, "/wbfile", 0, got);
	for (size_t w = 0; w < PAGE_SIZE / 8; w++)
		if (got[w] != pattern(9, 0, w)) {
			expect_eq(got[w], pattern(9, 0, w));	/* the store in flight reached the file */
			break;
		}
	expect_true(verify_page(a, base, 1, 7));
	kmm_close(a, fa);
	kmm_close(b, fb);
	CHECK(m);
	kmm_exit(a, 0);
	kmm_exit(b, 0);
	kmm_unlink(m, "/wbfile");
	done(m);
}

/* fsync of a file with many dirty mapped pages waits once per batch of them, not once per page. */
TEST(fsync_of_many_mapped_dirty_pages_waits_once)
{
	enum { NPAGES = 8 };
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 0);
	struct task_struct *a = kmm_spawn(m, "mapper");
	struct sim_mmu *mm_mmu = procs_of(m)->mmu;
	uint64_t base = 0;

	assert_true(a != NULL);
	assert_eq(kmm_mkfile(m, "/manywb", NPAGES * PAGE_SIZE, 0x33), 0);
	int fa = kmm_open(a, "/manywb", KMM_O_RDWR);
	assert_true(fa >= 0);
	assert_eq(kmm_mmap_fd(a, fa, 0, NPAGES * PAGE_SIZE, RW, KMM_MAP_SHARED, 0, &base), 0);
	for (uint64_t i = 0; i < NPAGES; i++)
		assert_eq(write_page(a, base, i, 5), 0);
	unsigned long before = __atomic_load_n(&mm_mmu->shootdowns, __ATOMIC_RELAXED);
	assert_eq(kmm_fsync(a, fa), 0);
	unsigned long waits = __atomic_load_n(&mm_mmu->shootdowns, __ATOMIC_RELAXED) - before;
	expect_eq(waits, 1);
	for (uint64_t i = 0; i < NPAGES; i++) {
		uint64_t got[PAGE_SIZE / 8];
		read_image_page(m, "/manywb", i, got);
		expect_eq(got[7], pattern(5, i, 7));
	}
	assert_eq(write_page(a, base, 3, 6), 0);	/* write-protected: the store faults, dirties it again */
	expect_eq(global_node_page_state(m, NR_FILE_DIRTY), 1);
	kmm_close(a, fa);
	CHECK(m);
	kmm_exit(a, 0);
	kmm_unlink(m, "/manywb");
	done(m);
}

struct lazy_freer {
	struct kmm_machine *m;
	struct task_struct *t;
	uint64_t addr, len;
	int cpu;	/* the freeing thread's CPU slot */
	int ret;
};

static void *lazy_free_thread(void *arg)
{
	struct lazy_freer *l = arg;

	kmm_use(l->m);
	l->cpu = kmm_this_cpu(l->m);
	l->ret = kmm_madvise(l->t, l->addr, l->len, KMM_MADV_FREE);
	return NULL;
}

/*
 * A page faulted on one CPU slot sits in that slot's LRU add batch until
 * the batch fills or is drained. MADV_FREE from a thread on another slot
 * makes it lazy-free all the same (it drains the batches), and reclaim
 * then discards it instead of swapping it.
 */
TEST(madvise_free_from_another_cpu_frees_a_page_still_in_the_faulting_cpus_lru_batch)
{
	enum { NPAGES = 2 };
	struct kmm_machine *m = boot_swap("mem=64M maxcpus=2 arch=x86_64", 16UL << 20);
	struct task_struct *t = kmm_spawn(m, "faulter");
	uint64_t zero[PAGE_SIZE / 8], got[PAGE_SIZE / 8];
	pthread_t th;

	assert_true(t != NULL);
	uint64_t base = map_filled(t, NPAGES, 7);
	struct page *pages[NPAGES];
	for (uint64_t i = 0; i < NPAGES; i++) {
		pages[i] = pfn_to_page_m(m, pte_pfn_geo(t->mm->pgt.geo, pte_of(t, base + i * PAGE_SIZE)));
		assert_true(PageLRUBatch(pages[i]));	/* in this thread's slot's batch, on no list */
	}
	unsigned long lazy = sum_vm_event(m, PGLAZYFREE), freed = sum_vm_event(m, PGLAZYFREED);
	struct lazy_freer l = { .m = m, .t = t, .addr = base, .len = NPAGES * PAGE_SIZE, .cpu = -1 };
	assert_eq(pthread_create(&th, NULL, lazy_free_thread, &l), 0);
	pthread_join(th, NULL);
	assert_eq(l.ret, 0);
	assert_true(l.cpu != kmm_this_cpu(m));	/* the batch is another slot's */
	expect_eq(sum_vm_event(m, PGLAZYFREE), lazy + NPAGES);
	for (uint64_t i = 0; i < NPAGES; i++)
		expect_true(!page_flag_test(pages[i], PG_swapbacked));
	kmm_reclaim(m, 1UL << 20);
	expect_eq(sum_vm_event(m, PGLAZYFREED), freed + NPAGES);	/* discarded, not swapped */
	memset(zero, 0, sizeof(zero));
	for (uint64_t i = 0; i < NPAGES; i++) {
		assert_eq(kmm_access(t, base + i * PAGE_SIZE, got, PAGE_SIZE, false), 0);
		expect_true(memcmp(got, zero, PAGE_SIZE) == 0);
	}
	CHECK(m);
	kmm_exit(t, 0);
	expect_swap_all_free(m);
	done(m);
}

/*
 * Reclaim looks at a lazy-free (MADV_FREE) page's PTEs, finds them clean,
 * and unmaps it to discard it. A store between the look and the unmap
 * dirties the PTE: the unmap must then refuse, put the entry back and make
 * the page swap-backed again (Linux's try_to_unmap_one), or the store is
 * dropped with the page. The test makes that store before calling
 * try_to_unmap() as reclaim would.
 */
TEST(a_lazy_free_page_written_since_reclaim_looked_is_kept_mapped)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 16UL << 20);
	struct task_struct *t = kmm_spawn(m, "writer");

	assert_true(t != NULL);
	uint64_t base = map_filled(t, 1, 7);
	assert_eq(kmm_madvise(t, base, PAGE_SIZE, KMM_MADV_FREE), 0);
	struct page *page = pfn_to_page_m(m, pte_pfn_geo(t->mm->pgt.geo, pte_of(t, base)));
	assert_true(!page_flag_test(page, PG_swapbacked));
	assert_true(!pte_dirty(pte_of(t, base)));
	assert_eq(write_page(t, base, 0, 8), 0);	/* the walk dirties the PTE again */
	assert_true(pte_dirty(pte_of(t, base)));

	get_page(page);		/* reclaim's isolation reference */
	lock_page(page);
	expect_true(!try_to_unmap(page, 0));
	expect_true(is_present(t, base));
	expect_true(pte_dirty(pte_of(t, base)));
	expect_true(page_flag_test(page, PG_swapbacked));
	unlock_page(page);
	put_user_page_ref(page);
	expect_true(verify_page(t, base, 0, 8));
	kmm_reclaim(m, 1UL << 20);			/* swap-backed: it goes to swap, not away */
	expect_true(verify_page(t, base, 0, 8));
	CHECK(m);
	kmm_exit(t, 0);
	expect_swap_all_free(m);
	done(m);
}
