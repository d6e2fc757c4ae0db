// SPDX-License-Identifier: MIT
/*
 * tests/integration_swap_io.c - how swap's bytes reach the host file: a
 * reclaim batch's writes to adjacent slots go in one host call per run
 * (swap_write_unplug, Linux's swap_iocb), and a run whose host write fails
 * part way is written again page by page, so that each page gets its own
 * result - the pages the host took count as written (pswpout) and are
 * freed; the others stay in RAM, dirty, with their bytes. Swap-in
 * readahead reads a run of adjacent slots in one host call too, and a run
 * whose read fails is read again page by page (the pages the host has read
 * back intact, a read error for each of the others). The counts of host
 * calls are the swap area's host_reads / host_writes.
 */
#include "tests/swap_test.h"

#include <kmm/proc.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define CHECK(m) check_now((m), __FILE__, __LINE__)

static struct swap_info_struct *area0(struct kmm_machine *m)
{
	return pressure_of(m)->swap_info[0];
}

/* The swap offset in the PTE of page @i of @base, 0 when the page is not swapped out. */
static unsigned long slot_of(struct task_struct *t, uint64_t base, uint64_t i)
{
	const struct pgtable_geometry *g = t->mm->pgt.geo;
	pteval_t v = pte_of(t, base + i * PAGE_SIZE);

	return pte_none(v) || pte_present(v) ? 0 : pte_swp_offset(g, v);
}

TEST(a_reclaim_batch_writes_each_run_of_adjacent_slots_in_one_host_call)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 16UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	uint64_t a = map_filled(t, 256, 3);
	unsigned long out0 = vm_event(m, PSWPOUT);
	unsigned long w0 = __atomic_load_n(&area0(m)->host_writes, __ATOMIC_RELAXED);

	kmm_reclaim(m, 1UL << 20);
	kmm_writeback_wait(m);
	unsigned long written = vm_event(m, PSWPOUT) - out0;
	unsigned long calls = __atomic_load_n(&area0(m)->host_writes, __ATOMIC_RELAXED) - w0;
	unsigned long swapped = 0;
	for (uint64_t i = 0; i < 256; i++)
		swapped += is_swapped(t, a + i * PAGE_SIZE);
	expect_true(swapped >= 200);
	expect_true(written >= swapped);
	/* batches of SWAP_CLUSTER_MAX pages whose slots follow each other: a call per batch or so
	 * (one per page before swap_write_unplug) */
	expect_true(calls > 0);
	expect_true(calls * 8 <= written);
	expect_true(verify_range(t, a, 0, 256, 3));
	CHECK(m);
	kmm_exit(t, 0);
	expect_swap_all_free(m);
	done(m);
}

#define FIRST_OK 8	/* slots that fit under the host's file size limit */

/*
 * A machine whose process has 64 pages written and reclaimed, the host's
 * file size limit @limit bytes (0: none) during the reclaim. *@first gets
 * the lowest slot the pages took; *@under and *@over count the pages whose
 * slot lies below @limit and those beyond it; *@written is pswpout's rise.
 * The pages are read back and checked.
 */
static void reclaim_under_limit(uint64_t limit, unsigned long *first, unsigned long *under,
				unsigned long *over, unsigned long *written)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 16UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	uint64_t a = map_filled(t, 64, 4);
	unsigned long out0 = vm_event(m, PSWPOUT);
	struct rlimit saved, cap;

	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &saved);
	cap = saved;
	if (limit)
		cap.rlim_cur = limit;
	assert_eq(setrlimit(RLIMIT_FSIZE, &cap), 0);
	kmm_reclaim(m, 1UL << 20);
	setrlimit(RLIMIT_FSIZE, &saved);
	kmm_writeback_wait(m);
	*written = vm_event(m, PSWPOUT) - out0;
	*first = ULONG_MAX;
	*under = *over = 0;
	for (uint64_t i = 0; i < 64; i++) {
		unsigned long off = slot_of(t, a, i);
		if (!off)
			continue;
		if (off < *first)
			*first = off;
		if (!limit || (off + 1) * PAGE_SIZE <= limit)
			(*under)++;
		else
			(*over)++;
	}
	/* a write error is reported for the slots beyond the limit, and only for them */
	const char *key = "Write-error on swap-device (/swapfile, offset ", *d = t_dmesg(m);
	unsigned long errors = 0;
	while ((d = strstr(d, key)) != NULL) {
		d += strlen(key);
		unsigned long off = strtoul(d, NULL, 10);
		errors++;
		if (limit && (off + 1) * PAGE_SIZE <= limit)
			kmm_test_fail(__FILE__, __LINE__, "slot %lu (under the limit) failed", off);
	}
	expect_eq(errors > 0, *over > 0);
	expect_true(verify_range(t, a, 0, 64, 4));
	CHECK(m);
	kmm_exit(t, 0);
	expect_swap_all_free(m);
	done(m);
}

/*
 * The host file may grow only to FIRST_OK slots past the first slot the
 * pages take (RLIMIT_FSIZE, EFBIG; a first machine, booted and run the same
 * way without the limit, tells which slot that is): the first run's pwritev
 * stops there. Written again page by page, the pages of the slots under the
 * limit count as swapped out and are freed; each page beyond fails alone
 * ("Write-error" names its slot), stays in RAM, dirty, and reads back
 * intact. A run failed as a whole would report the pages the host took as
 * write errors too (a later pass would write them again).
 */
TEST(a_run_whose_host_write_fails_part_way_is_written_again_page_by_page)
{
	unsigned long first, under, over, written;

	reclaim_under_limit(0, &first, &under, &over, &written);
	assert_true(first != ULONG_MAX);
	assert_eq(under, 64);
	assert_true(written >= under);
	/* pages of the process beside the region (its stack): the same on the second machine */
	unsigned long others = written - under;
	reclaim_under_limit((first + FIRST_OK) * PAGE_SIZE, &first, &under, &over, &written);
	expect_eq(under, FIRST_OK);
	expect_true(over > 0);
	expect_eq(written, under + others);
}

/*
 * Reading 256 swapped-out pages back in order: readahead's windows (8
 * pages, page-cluster 3) take the faulting page alone and the rest of the
 * window in one call: two calls per window, at most a third of pswpin
 * with the windows' ramp-up (one per page before the runs: fails); every page comes back
 * with its bytes, the window's pages counted swap_ra and hit.
 */
TEST(swap_in_readahead_reads_each_run_of_adjacent_slots_in_one_host_call)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 16UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	uint64_t a = map_filled(t, 256, 5);

	kmm_reclaim(m, 1UL << 20);
	kmm_writeback_wait(m);
	for (uint64_t i = 0; i < 256; i++)
		assert_true(is_swapped(t, a + i * PAGE_SIZE));
	unsigned long in0 = vm_event(m, PSWPIN), ra0 = vm_event(m, SWAP_RA);
	unsigned long hit0 = vm_event(m, SWAP_RA_HIT);
	unsigned long r0 = __atomic_load_n(&area0(m)->host_reads, __ATOMIC_RELAXED);
	expect_true(verify_range(t, a, 0, 256, 5));
	unsigned long read = vm_event(m, PSWPIN) - in0;
	unsigned long calls = __atomic_load_n(&area0(m)->host_reads, __ATOMIC_RELAXED) - r0;
	expect_true(read >= 256);
	expect_true(calls > 0);
	expect_true(calls * 3 <= read);	/* 68 calls for 256 pages */
	expect_true(vm_event(m, SWAP_RA) - ra0 >= 128);
	expect_true(vm_event(m, SWAP_RA_HIT) - hit0 >= 128);
	CHECK(m);
	kmm_exit(t, 0);
	expect_swap_all_free(m);
	done(m);
}

/*
 * review21 R4: a readahead run whose host read fails is read again page by
 * page, each page its own result. The host swap file is cut short at slot
 * CUT (a multiple of 8 plus 4, past the first slots the pages took, so
 * that once the window is 8 pages the faulting page at CUT - 4 is read
 * alone and the run CUT - 3 .. CUT + 3 straddles the end); reading the
 * pages below CUT back in slot order, every one comes back intact and the
 * run's pages below the end are read by the fallback without an error; a
 * read error is reported for slots at or past CUT (each, as its page fails
 * alone), and for no slot below it. A run failed as a whole would report
 * CUT - 3 .. CUT - 1 too. (No swapin_hook: with one, every page is read
 * alone and the run is never tried.)
 */
TEST(a_swap_in_run_whose_host_read_fails_is_read_again_page_by_page)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 16UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	uint64_t a = map_filled(t, 64, 6);
	unsigned long slot[64], first = ULONG_MAX, cut;
	uint64_t order[64];
	unsigned int n = 0;

	assert_eq(kmm_sysctl_write(m, "vm.page-cluster", "3"), 0);
	kmm_reclaim(m, 1UL << 20);
	kmm_writeback_wait(m);
	for (uint64_t i = 0; i < 64; i++) {
		slot[i] = slot_of(t, a, i);
		assert_true(slot[i] != 0);
		if (slot[i] < first)
			first = slot[i];
	}
	cut = ((first + 16) | 7) - 3;		/* 8k + 4, at least 13 slots past the first */
	/* the pages of slots CUT - 4 .. CUT - 1, to be read, all the region's */
	for (unsigned long s = cut - 4; s < cut; s++) {
		bool found = false;
		for (uint64_t i = 0; i < 64; i++)
			found |= slot[i] == s;
		assert_true(found);
	}
	/* the region's pages under the cut, in slot order */
	for (unsigned long s = first; s < cut; s++)
		for (uint64_t i = 0; i < 64; i++)
			if (slot[i] == s)
				order[n++] = i;
	unsigned long ra0 = vm_event(m, SWAP_RA);
	assert_eq(truncate(area0(m)->host_path, (off_t)(cut * PAGE_SIZE)), 0);
	for (unsigned int k = 0; k < n; k++)
		if (!verify_page(t, a, order[k], 6))
			kmm_test_fail(__FILE__, __LINE__, "page %llu (slot %lu) did not come back",
				      (unsigned long long)order[k], slot[order[k]]);
	expect_true(vm_event(m, SWAP_RA) - ra0 >= 3);
	const char *key = "Read-error on swap-device (/swapfile, offset ", *d = t_dmesg(m);
	unsigned long errors = 0;
	while ((d = strstr(d, key)) != NULL) {
		d += strlen(key);
		unsigned long off = strtoul(d, NULL, 10);
		errors++;
		if (off < cut)
			kmm_test_fail(__FILE__, __LINE__, "slot %lu (below the cut at %lu) failed", off, cut);
	}
	expect_true(errors > 0);	/* the window reached past the cut */
	CHECK(m);
	kmm_exit(t, 0);
	expect_swap_all_free(m);
	done(m);
}
