// SPDX-License-Identifier: MIT
/*
 * tests/integration_swap_page_lock.c - the page lock keeps a swap-backed
 * page as it is: whoever holds it (a swap-in reading the slot, swapoff,
 * reclaim) may count on the page staying in the swap cache, mapped and
 * unwritten by others, as Linux's folio lock does. Reclaim leaves a page
 * someone holds locked (shrink_folio_list's trylock), and the callers of
 * folio_free_swap() outside reclaim - MADV_FREE, a zap, a write fault that
 * would reuse the page - trylock it first and leave its swap copy alone
 * when they cannot. The test takes the lock itself, standing for such a
 * holder; one thread.
 */
#include "tests/swap_test.h"

#include "mm/include/filemap.h"

#define PG 4096UL
#define CHECK(m) check_now((m), __FILE__, __LINE__)

/* The page mapped at @addr of @t (looked up with a reference, which is dropped: one thread). */
static struct page *page_at(struct task_struct *t, uint64_t addr)
{
	struct page *page;

	assert_eq(get_user_pages_remote(t->mm, addr, 1, 0, &page), 1);
	kmm_put_user_page(page);
	return page;
}

#define NPAGES 64

/*
 * NPAGES pages of @t written with @tag and swapped out; the first read
 * back: mapped, and in the swap cache. Return: the address of that page.
 */
static uint64_t swapped_in_page(struct kmm_machine *m, struct task_struct *t, uint64_t tag)
{
	uint64_t a = map_filled(t, NPAGES, tag);

	kmm_reclaim(m, 1UL << 20);
	kmm_writeback_wait(m);
	assert_true(is_swapped(t, a));
	assert_true(verify_page(t, a, 0, tag));
	assert_true(is_present(t, a));
	assert_true(PageSwapCache(page_at(t, a)));
	return a;
}

/* Reclaim passes over a page someone holds locked: it stays mapped, not swapped. */
TEST(reclaim_leaves_a_locked_page)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 16UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	uint64_t a = map_filled(t, NPAGES, 1);
	struct page *page = page_at(t, a);

	lock_page(page);
	kmm_reclaim(m, 1UL << 20);
	kmm_writeback_wait(m);
	expect_true(is_present(t, a));
	expect_true(!PageSwapCache(page));
	expect_true(is_swapped(t, a + PG));		/* its neighbours went */
	unlock_page(page);
	kmm_reclaim(m, 1UL << 20);			/* and now it goes too */
	kmm_writeback_wait(m);
	expect_true(is_swapped(t, a));
	expect_true(verify_range(t, a, 0, NPAGES, 1));
	CHECK(m);
	kmm_exit(t, 0);
	done(m);
}

/* MADV_FREE drops the swap copy of a page only when it can take the page lock. */
TEST(madv_free_leaves_the_swap_copy_of_a_locked_page)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 16UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	uint64_t a = swapped_in_page(m, t, 2);
	struct page *page = page_at(t, a);

	lock_page(page);
	assert_eq(kmm_madvise(t, a, PG, KMM_MADV_FREE), 0);
	expect_true(PageSwapCache(page));
	expect_true(page_flag_test(page, PG_swapbacked));	/* not made lazy-free either */
	unlock_page(page);
	assert_eq(kmm_madvise(t, a, PG, KMM_MADV_FREE), 0);
	expect_true(!PageSwapCache(page));
	expect_true(!page_flag_test(page, PG_swapbacked));
	CHECK(m);
	kmm_exit(t, 0);
	expect_eq(get_nr_swap_pages(m), (long)total_swap_pages(m));
	done(m);
}

/* munmap's zap leaves a locked page in the swap cache; reclaim drops it later. */
TEST(zap_leaves_the_swap_copy_of_a_locked_page)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 16UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	uint64_t a = swapped_in_page(m, t, 3);
	struct page *page = page_at(t, a);

	long used = slots_used(m);

	get_page(page);		/* ours, to look at it after the unmap */
	lock_page(page);
	assert_eq(kmm_munmap(t, a, PG), 0);
	expect_true(PageSwapCache(page));
	expect_eq(slots_used(m), used);		/* the cache's copy is kept */
	unlock_page(page);
	kmm_put_user_page(page);
	lru_add_drain_all(m);				/* (the swap-in left it in an add batch) */
	kmm_reclaim(m, 1UL << 20);			/* an unmapped swap-cache page: dropped */
	expect_eq(slots_used(m), used - 1);
	CHECK(m);
	kmm_exit(t, 0);
	done(m);
}

/*
 * A write fault reuses a page that only its PTE and the swap cache hold by
 * dropping the swap copy first (wp_can_reuse_anon_folio) - under the page
 * lock; a page someone holds is copied instead, its swap copy left.
 */
TEST(a_write_fault_copies_a_locked_swap_cache_page)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 16UL << 20);
	struct task_struct *p = kmm_spawn(m, "p"), *c;
	uint64_t a = map_filled(p, NPAGES, 4);

	c = kmm_fork(p, "c");
	assert_true(c != NULL);
	kmm_reclaim(m, 1UL << 20);
	kmm_writeback_wait(m);
	assert_true(is_swapped(p, a) && is_swapped(c, a));
	assert_true(verify_page(p, a, 0, 4));	/* back, read-only: c's entry shares it */
	kmm_exit(c, 0);				/* now only p's PTE and the swap cache hold it */
	struct page *page = page_at(p, a);
	assert_true(PageSwapCache(page));
	assert_eq(page_mapcount(page), 1);

	unsigned long copies = procs_of(m)->cow_copies;
	lock_page(page);
	assert_eq(write_page(p, a, 0, 5), 0);
	expect_eq(procs_of(m)->cow_copies, copies + 1);
	expect_true(PageSwapCache(page));
	expect_true(page_at(p, a) != page);
	unlock_page(page);
	expect_true(verify_page(p, a, 0, 5));
	lru_add_drain_all(m);				/* (the swap-in left it in an add batch) */
	kmm_reclaim(m, 1UL << 20);			/* the old page and its slot go */
	kmm_writeback_wait(m);
	expect_true(verify_page(p, a, 0, 5));
	CHECK(m);
	kmm_exit(p, 0);
	expect_eq(get_nr_swap_pages(m), (long)total_swap_pages(m));
	done(m);
}
