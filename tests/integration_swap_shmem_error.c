// SPDX-License-Identifier: MIT
/*
 * tests/integration_swap_shmem_error.c - a shmem page that cannot be read
 * back from swap (mm/shmem.c, Linux 6.12's shmem_set_folio_swapin_error):
 * its index gets a poisoned entry, its slot is freed at once, and every
 * later lookup - read(), write(), a fault - fails with -EIO (a fault:
 * SIGBUS) without reading again, until truncation takes the index; swapoff
 * meets such a page and still completes. The checkers hold throughout.
 *
 * One slot is unreadable: the pressure layer's test hook fails its read
 * with -EIO, every time it is asked; the other slots read normally.
 */
#include "tests/swap_test.h"

#include <errno.h>
#include <string.h>

#include <kmm/fs.h>

static int count_entry(void *arg, struct kmm_file *f, unsigned long idx, swp_entry_t e)
{
	(void)f;
	(void)idx;
	(void)e;
	++*(long *)arg;
	return 0;
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

/* Swap entries held by shmem indexes; *@first: the first of them (if any). */
static long shmem_on_swap(struct kmm_machine *m, struct first_entry *first)
{
	long n = 0;
	int token = procs_stop(m);

	shmem_for_each_swap_entry(m, count_entry, &n);
	if (first)
		shmem_for_each_swap_entry(m, take_first, first);
	if (token != -EDEADLK)
		procs_resume(m);
	return n;
}

#define NPAGES 64

/* pread page @i of @fd: -errno, or whether it holds @tag's pattern (tag ~0: zeros). */
static long file_page_is(struct task_struct *t, int fd, uint64_t i, uint64_t tag)
{
	uint64_t buf[PAGE_SIZE / 8];
	long n = kmm_pread(t, fd, buf, PAGE_SIZE, i * PAGE_SIZE);

	if (n < 0)
		return n;
	for (size_t w = 0; w < PAGE_SIZE / 8; w++)
		if (buf[w] != (tag == ~0ULL ? 0 : pattern(tag, i, w)))
			return 0;
	return n == PAGE_SIZE;
}

/* A tmpfs file /dev/shm/bad of NPAGES pages of tag 7, reclaimed; its first index on swap. */
static int file_on_swap(struct kmm_machine *m, struct task_struct *t, struct first_entry *first)
{
	uint64_t buf[PAGE_SIZE / 8];
	int fd = kmm_open(t, "/dev/shm/bad", KMM_O_CREAT | KMM_O_RDWR);

	if (fd < 0 || kmm_ftruncate(t, fd, NPAGES * PAGE_SIZE))
		return -1;
	for (uint64_t i = 0; i < NPAGES; i++) {
		fill_page(buf, i, 7);
		if (kmm_pwrite(t, fd, buf, PAGE_SIZE, i * PAGE_SIZE) != PAGE_SIZE)
			return -1;
	}
	kmm_reclaim(m, 1UL << 20);
	kmm_writeback_wait(m);
	memset(first, 0, sizeof(*first));
	shmem_on_swap(m, first);
	return first->entry.val ? fd : -1;
}

TEST(an_unreadable_shmem_page_leaves_a_poisoned_entry_and_frees_its_slot)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct task_struct *t = kmm_spawn(m, "t"), *u = kmm_spawn(m, "u");
	struct first_entry fe;
	int fd = file_on_swap(m, t, &fe);
	struct unreadable_slot bad = { { 0 }, 0 };
	uint64_t buf[PAGE_SIZE / 8], map = 0;
	unsigned char vec[NPAGES];

	assert_true(fd >= 3);
	int ufd = kmm_open(u, "/dev/shm/bad", KMM_O_RDWR);
	assert_true(ufd >= 3);
	assert_eq(kmm_mmap_fd(u, ufd, 0, NPAGES * PAGE_SIZE, KMM_PROT_READ, KMM_MAP_SHARED, 0, &map), 0);
	bad.entry = fe.entry;
	pressure_of(m)->swapin_hook_arg = &bad;
	pressure_of(m)->swapin_hook = fail_unreadable_slot;
	long used0 = slots_used(m), on0 = shmem_on_swap(m, NULL);

	/* The read fails: -EIO; the index is poisoned and the slot free at once */
	expect_eq(file_page_is(t, fd, fe.idx, 7), -EIO);
	expect_eq(bad.reads, 1);
	expect_str_contains(t_dmesg(m), "Read-error on swap-device (/swapfile, offset");
	expect_eq(slots_used(m), used0 - 1);
	expect_eq(shmem_on_swap(m, NULL), on0 - 1);
	CHECK(m);

	/* Every later lookup is -EIO without a read: read(), write(), a fault */
	expect_eq(file_page_is(t, fd, fe.idx, 7), -EIO);
	fill_page(buf, fe.idx, 8);
	expect_eq(kmm_pwrite(t, fd, buf, PAGE_SIZE, fe.idx * PAGE_SIZE), -EIO);
	expect_eq(kmm_access(u, map + fe.idx * PAGE_SIZE, buf, 8, false), -EFAULT);
	expect_eq(kmm_task_exit_info(u).signal, KMM_SIGBUS);
	/* shmem_fault(): vmf_error(-EIO) is VM_FAULT_SIGBUS, a plain bus error (not hwpoison) */
	expect_eq(kmm_task_exit_info(u).si_code, KMM_BUS_ADRERR);
	expect_eq(bad.reads, 1);
	/*
	 * MAP_POPULATE over it: mm_populate() ignores the fault it cannot make
	 * (Linux 6.12: __mm_populate(ignore_errors = 1)), so the mmap succeeds and
	 * the process lives; mlock() does not ignore it: gup's -EFAULT is ENOMEM.
	 */
	struct task_struct *v = kmm_spawn(m, "v");
	uint64_t vmap = 0;
	int vfd = kmm_open(v, "/dev/shm/bad", KMM_O_RDWR);
	assert_true(vfd >= 3);
	expect_eq(kmm_mmap_fd(v, vfd, 0, NPAGES * PAGE_SIZE, KMM_PROT_READ, KMM_MAP_SHARED | KMM_MAP_POPULATE, 0,
			      &vmap), 0);
	expect_true(kmm_task_alive(v));
	if (fe.idx)
		expect_true(is_present(v, vmap));	/* populated up to the bad index */
	expect_eq(kmm_mlock(v, vmap, NPAGES * PAGE_SIZE), -ENOMEM);
	expect_true(kmm_task_alive(v));
	expect_eq(bad.reads, 1);
	CHECK(m);
	kmm_exit(v, 0);
	memset(vec, 0, sizeof(vec));
	kmm_fincore(m, "/dev/shm/bad", vec, NPAGES);
	expect_eq(vec[fe.idx], 0);		/* not in core */
	/* the other pages are intact */
	for (uint64_t i = 0; i < NPAGES; i++)
		if (i != fe.idx)
			expect_eq(file_page_is(t, fd, i, 7), 1);
	CHECK(m);

	/* Truncation takes the poisoned index: a hole again, reading zeros */
	assert_eq(kmm_ftruncate(t, fd, fe.idx * PAGE_SIZE), 0);
	assert_eq(kmm_ftruncate(t, fd, NPAGES * PAGE_SIZE), 0);
	expect_eq(file_page_is(t, fd, fe.idx, ~0ULL), 1);
	CHECK(m);
	pressure_of(m)->swapin_hook = NULL;
	kmm_close(t, fd);
	expect_eq(kmm_unlink(m, "/dev/shm/bad"), 0);
	kmm_exit(t, 0);
	CHECK(m);
	expect_swap_all_free(m);
	done(m);
}

/*
 * swapoff meets a shmem page it cannot read: the index is poisoned, its
 * slot freed, and swapoff goes on and completes (Linux's shmem_unuse stops
 * only for memory); the file's other pages are back in RAM, intact.
 */
TEST(swapoff_poisons_an_unreadable_shmem_page_and_completes)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	struct first_entry fe;
	int fd = file_on_swap(m, t, &fe);
	struct unreadable_slot bad = { { 0 }, 0 };

	assert_true(fd >= 3);
	bad.entry = fe.entry;
	pressure_of(m)->swapin_hook_arg = &bad;
	pressure_of(m)->swapin_hook = fail_unreadable_slot;

	expect_eq(kmm_swapoff(m, "/swapfile"), 0);
	expect_eq(bad.reads, 1);
	expect_eq(total_swap_pages(m), 0);
	CHECK(m);
	pressure_of(m)->swapin_hook = NULL;
	expect_eq(file_page_is(t, fd, fe.idx, 7), -EIO);
	for (uint64_t i = 0; i < NPAGES; i++)
		if (i != fe.idx)
			expect_eq(file_page_is(t, fd, i, 7), 1);
	CHECK(m);
	kmm_close(t, fd);
	expect_eq(kmm_unlink(m, "/dev/shm/bad"), 0);
	kmm_exit(t, 0);
	CHECK(m);
	done(m);
}
