// SPDX-License-Identifier: MIT
/*
 * tests/swap_test.h - helpers of the pressure layer's tests: a machine with
 * a swap area, page contents that name their owner and page, the vmstat
 * events, PTE states and swap slots the tests look at, and the steps the
 * seeded random walks share.
 *
 * Page contents: every 8-byte word of page i written with tag t is
 * pattern(t, i, word), so a page that comes back from swap into the wrong
 * place, or with one stale word, fails verify_page().
 */
#ifndef KMM_TESTS_SWAP_TEST_H
#define KMM_TESTS_SWAP_TEST_H

#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>
#include <stdlib.h>

#include <kmm/process.h>
#include <kmm/swap.h>

#include "mm/include/mm.h"
#include "mm/swap.h"

#define RW (KMM_PROT_READ | KMM_PROT_WRITE)
#define PRIV (KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS)

/* Boot @cmdline and swap on a @swap_bytes area /swapfile (0: no swap). */
static inline struct kmm_machine *boot_swap(const char *cmdline, uint64_t swap_bytes)
{
	struct kmm_machine *m = boot(cmdline);

	if (swap_bytes) {
		long pages = kmm_mkswap(m, "/swapfile", swap_bytes);
		if (pages <= 0 || kmm_swapon(m, "/swapfile", KMM_SWAP_PRIO_DEFAULT))
			kmm_test_fail(__FILE__, __LINE__, "swap setup: %s", kmm_last_error());
	}
	return m;
}

static inline uint64_t pattern(uint64_t tag, uint64_t page, uint64_t word)
{
	uint64_t x = (tag + 1) * 0x9e3779b97f4a7c15ull ^ (page + 1) * 0xbf58476d1ce4e5b9ull ^
		     (word + 1) * 0x94d049bb133111ebull;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 32);
}

/* Fill @buf, one page, with tag @tag's pattern for page @i. */
static inline void fill_page(uint64_t *buf, uint64_t i, uint64_t tag)
{
	for (size_t w = 0; w < PAGE_SIZE / 8; w++)
		buf[w] = pattern(tag, i, w);
}

/* Write page @i of the region at @base with tag @tag. Return: 0 or -errno. */
static inline int write_page(struct task_struct *t, uint64_t base, uint64_t i, uint64_t tag)
{
	uint64_t buf[PAGE_SIZE / 8];

	fill_page(buf, i, tag);
	return kmm_access(t, base + i * PAGE_SIZE, buf, PAGE_SIZE, true);
}

/* Does page @i hold tag @tag's pattern? Fails the test (once) with the first bad word. */
static inline bool verify_page(struct task_struct *t, uint64_t base, uint64_t i, uint64_t tag)
{
	uint64_t buf[PAGE_SIZE / 8];

	if (kmm_access(t, base + i * PAGE_SIZE, buf, PAGE_SIZE, false))
		return kmm_test_fail(__FILE__, __LINE__, "read of page %" PRIu64 " failed: %s", i,
				     kmm_last_error());
	for (size_t w = 0; w < PAGE_SIZE / 8; w++)
		if (buf[w] != pattern(tag, i, w))
			return kmm_test_fail(__FILE__, __LINE__, "page %" PRIu64 " word %zu: %#" PRIx64
					     ", expected %#" PRIx64 " (tag %" PRIu64 ")", i, w, buf[w],
					     pattern(tag, i, w), tag);
	return true;
}

/* mmap @npages private anonymous pages in @t and write each with @tag. Return: the address. */
static inline uint64_t map_filled(struct task_struct *t, uint64_t npages, uint64_t tag)
{
	uint64_t a = 0;

	if (kmm_mmap(t, 0, npages * PAGE_SIZE, RW, PRIV, &a)) {
		kmm_test_fail(__FILE__, __LINE__, "mmap: %s", kmm_last_error());
		kmm_test_abort();
	}
	for (uint64_t i = 0; i < npages; i++)
		if (write_page(t, a, i, tag)) {
			kmm_test_fail(__FILE__, __LINE__, "write: %s", kmm_last_error());
			kmm_test_abort();
		}
	return a;
}

/* verify_page() for pages [@from, @to); stops at the first bad one. */
static inline bool verify_range(struct task_struct *t, uint64_t base, uint64_t from, uint64_t to,
				uint64_t tag)
{
	for (uint64_t i = from; i < to; i++)
		if (!verify_page(t, base, i, tag))
			return false;
	return true;
}

static inline unsigned long vm_event(struct kmm_machine *m, enum vm_event_item e)
{
	return sum_vm_event(m, e);
}

/* The PTE of @addr in @t: present, swapped out, or none. */
static inline pteval_t pte_of(struct task_struct *t, uint64_t addr)
{
	int token = procs_enter(t->machine);
	spinlock_t *ptl;
	void *slot = pte_offset_map_lock(t->mm, addr, &ptl);
	pteval_t v = slot ? pte_get(&t->mm->pgt, slot) : 0;
	if (slot)
		pte_unmap_unlock(ptl);
	procs_exit(t->machine, token);
	return v;
}
static inline bool is_swapped(struct task_struct *t, uint64_t addr)
{
	pteval_t v = pte_of(t, addr);

	return !pte_none(v) && !pte_present(v);
}
static inline bool is_present(struct task_struct *t, uint64_t addr)
{
	return pte_present(pte_of(t, addr));
}

static inline void check_now(struct kmm_machine *m, const char *file, int line)
{
	if (kmm_check(m))
		kmm_test_fail(file, line, "kmm_check: %s", kmm_last_error());
}
#define CHECK(m) check_now((m), __FILE__, __LINE__)

/* Swap slots in use: the swap map's, whoever holds them (PTEs, shmem indexes, the swap cache). */
static inline long slots_used(struct kmm_machine *m)
{
	return (long)total_swap_pages(m) - get_nr_swap_pages(m);
}

/*
 * The end of a test that swapped: once the writes in flight have ended (a
 * page still being written keeps its slot until then), every slot is free
 * and the swap cache is empty. A failure names the caller's line.
 */
#define expect_swap_all_free(m) expect_swap_all_free_at((m), __FILE__, __LINE__)
static inline void expect_swap_all_free_at(struct kmm_machine *m, const char *file, int line)
{
	kmm_writeback_wait(m);
	if (slots_used(m))
		kmm_test_fail(file, line, "%ld swap slots still in use", slots_used(m));
	if (global_node_page_state(m, NR_SWAPCACHE))
		kmm_test_fail(file, line, "%lu pages still in the swap cache",
			      global_node_page_state(m, NR_SWAPCACHE));
}

/* ---- Steps of the seeded random walks (stress_swap.c, stress_shmem.c) ---- */

/* Reclaim 1 to @most pages, or run kswapd once, as the seed @s says. */
static inline void reclaim_or_kswapd(struct kmm_machine *m, uint64_t *s, uint64_t most)
{
	if (t_rnd(s, 2))
		kmm_reclaim(m, 1 + t_rnd(s, most));
	else
		kmm_kswapd_run(m, 0);
}

/*
 * swapoff /swapfile and swapon again. swapoff may fail (not enough RAM for
 * what is on swap): then nothing changes. Return: false when swapon fails
 * (the test has failed).
 */
static inline bool swapoff_and_on(struct kmm_machine *m)
{
	if (!kmm_swapoff(m, "/swapfile") && kmm_swapon(m, "/swapfile", KMM_SWAP_PRIO_DEFAULT))
		return kmm_test_fail(__FILE__, __LINE__, "swapon: %s", kmm_last_error());
	return true;
}

/*
 * After step @n of a walk: what a scenario does after a command (kswapd, if
 * the step woke it), then every checker. Return: false when a checker fails
 * (the test has failed).
 */
static inline bool walk_after_step(struct kmm_machine *m, unsigned long n)
{
	kmm_kswapd_run_pending(m);
	if (kmm_check(m))
		return kmm_test_fail(__FILE__, __LINE__, "kmm_check after step %lu: %s", n,
				     kmm_last_error());
	return true;
}

/* The swap-in test hook (swapin_hook): every read of one slot fails with -EIO. */
struct unreadable_slot {
	swp_entry_t entry;
	int reads;			/* reads of it attempted */
};

static inline int fail_unreadable_slot(void *arg, int point, struct page *page, swp_entry_t entry)
{
	struct unreadable_slot *b = arg;

	(void)page;
	if (point != SWAPIN_HOOK_READ || entry.val != b->entry.val)
		return 0;
	b->reads++;
	return -EIO;
}

#endif /* KMM_TESTS_SWAP_TEST_H */
