// SPDX-License-Identifier: MIT
/*
 * tests/integration_shmem_swap.c - shmem under memory pressure (mm/shmem.c):
 * tmpfs files and MAP_SHARED|MAP_ANONYMOUS memory go to swap when reclaim
 * takes them (Shmem falls, pswpout rises, their PTEs become none, the slots
 * are held by the files' indexes) and come back on every kind of lookup -
 * read(), write(), a fault of any process mapping them, truncation, swapoff -
 * with every checksummed word intact; truncate and unlink free their slots;
 * smaps shows their Swap; clean (never written) shmem pages are dropped, not
 * written. kmm_check runs after every step.
 */
#include "tests/swap_test.h"
#include "tests/filemap_test.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <kmm/fs.h>
#include <kmm/proc.h>
#include <kmm/trace.h>

/* pwrite page @i of @fd with @tag's pattern. */
static void file_write_page(struct task_struct *t, int fd, uint64_t i, uint64_t tag)
{
	uint64_t buf[PAGE_SIZE / 8];

	fill_page(buf, i, tag);
	if (kmm_pwrite(t, fd, buf, PAGE_SIZE, i * PAGE_SIZE) != PAGE_SIZE) {
		kmm_test_fail(__FILE__, __LINE__, "pwrite of page %" PRIu64 ": %s", i, kmm_last_error());
		kmm_test_abort();
	}
}

/* pread page @i of @fd: does it hold @tag's pattern (tag ~0: zeros)? */
static bool file_verify_page(struct task_struct *t, int fd, uint64_t i, uint64_t tag)
{
	uint64_t buf[PAGE_SIZE / 8];

	if (kmm_pread(t, fd, buf, PAGE_SIZE, i * PAGE_SIZE) != PAGE_SIZE)
		return kmm_test_fail(__FILE__, __LINE__, "pread of page %" PRIu64 ": %s", i,
				     kmm_last_error());
	for (size_t w = 0; w < PAGE_SIZE / 8; w++) {
		uint64_t want = tag == ~0ULL ? 0 : pattern(tag, i, w);
		if (buf[w] != want)
			return kmm_test_fail(__FILE__, __LINE__, "file page %" PRIu64 " word %zu: %#" PRIx64
					     ", expected %#" PRIx64, i, w, buf[w], want);
	}
	return true;
}

static int count_entry(void *arg, struct kmm_file *f, unsigned long idx, swp_entry_t e)
{
	(void)f;
	(void)idx;
	(void)e;
	++*(long *)arg;
	return 0;
}

/* Swap entries held by shmem indexes (the processes' own anonymous pages may be on swap too). */
static long shmem_on_swap(struct kmm_machine *m)
{
	long n = 0;
	int token = procs_stop(m);

	shmem_for_each_swap_entry(m, count_entry, &n);
	if (token != -EDEADLK)
		procs_resume(m);
	return n;
}

/* ---- tmpfs files ---- */

TEST(a_tmpfs_file_goes_to_swap_and_comes_back_intact)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	const uint64_t n = 2048;	/* 8 MiB */
	long shmem0 = meminfo_kb(m, "Shmem:");
	unsigned long out0, in0;
	unsigned char *vec = calloc(n, 1);
	int fd = kmm_open(t, "/dev/shm/seg", KMM_O_CREAT | KMM_O_RDWR);

	assert_true(fd >= 3 && vec);
	assert_eq(kmm_ftruncate(t, fd, n * PAGE_SIZE), 0);
	for (uint64_t i = 0; i < n; i++)
		file_write_page(t, fd, i, 3);
	CHECK(m);
	expect_eq(meminfo_kb(m, "Shmem:") - shmem0, (long)n * 4);
	out0 = vm_event(m, PSWPOUT);

	/* Reclaim takes the file's pages: to swap, the slots held by the file's indexes */
	kmm_reclaim(m, 1UL << 20);
	CHECK(m);
	long swapped = shmem_on_swap(m);
	expect_true(swapped > (long)n / 2);
	expect_true((long)(vm_event(m, PSWPOUT) - out0) >= swapped);
	long anon_slots = slots_used(m) - swapped;	/* the process's own pages */
	expect_true(anon_slots >= 0 && anon_slots < 16);
	expect_eq(global_node_page_state(m, NR_SWAPCACHE), 0);	/* written and freed in one pass */
	expect_eq(meminfo_kb(m, "Shmem:") - shmem0, ((long)n - swapped) * 4);
	expect_eq((long)kmm_fincore(m, "/dev/shm/seg", vec, n), (long)n - swapped);

	/* read() brings every page back, every word as written */
	in0 = vm_event(m, PSWPIN);
	for (uint64_t i = 0; i < n; i++)
		if (!file_verify_page(t, fd, i, 3))
			break;
	CHECK(m);
	expect_true(vm_event(m, PSWPIN) - in0 >= (unsigned long)swapped);
	expect_eq(shmem_on_swap(m), 0);
	expect_eq(slots_used(m), anon_slots);		/* back in RAM: their slots are free */
	expect_eq(meminfo_kb(m, "Shmem:") - shmem0, (long)n * 4);
	expect_eq((long)kmm_fincore(m, "/dev/shm/seg", vec, n), (long)n);

	/* write() of a part of a swapped page reads the rest back first */
	kmm_reclaim(m, 1UL << 20);
	CHECK(m);
	uint64_t word = 0x1122334455667788ULL;
	assert_eq(kmm_pwrite(t, fd, &word, 8, 5 * PAGE_SIZE + 16), 8);
	CHECK(m);
	uint64_t buf[PAGE_SIZE / 8];
	assert_eq(kmm_pread(t, fd, buf, PAGE_SIZE, 5 * PAGE_SIZE), PAGE_SIZE);
	for (size_t w = 0; w < PAGE_SIZE / 8; w++)
		expect_eq(buf[w], w == 2 ? word : pattern(3, 5, w));

	/* unlink with pages on swap gives every slot and page back */
	kmm_close(t, fd);
	expect_eq(kmm_unlink(m, "/dev/shm/seg"), 0);
	CHECK(m);
	expect_eq(shmem_on_swap(m), 0);
	expect_eq(meminfo_kb(m, "Shmem:"), shmem0);
	kmm_exit(t, 0);
	expect_eq(slots_used(m), 0);
	free(vec);
	done(m);
}

TEST(truncate_frees_the_slots_of_the_pages_it_cuts)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	const uint64_t n = 1024;
	int fd = kmm_open(t, "/dev/shm/cut", KMM_O_CREAT | KMM_O_RDWR);

	assert_true(fd >= 3);
	for (uint64_t i = 0; i < n; i++)
		file_write_page(t, fd, i, 5);
	kmm_reclaim(m, 1UL << 20);
	CHECK(m);
	long before = shmem_on_swap(m);
	assert_true(before > (long)n / 2);

	/* cut in the middle of page 300: pages 301.. go, their slots with them */
	assert_eq(kmm_ftruncate(t, fd, 300 * PAGE_SIZE + 100), 0);
	CHECK(m);
	expect_true(shmem_on_swap(m) < before);
	expect_true(shmem_on_swap(m) <= 301);
	for (uint64_t i = 0; i < 300; i++)
		if (!file_verify_page(t, fd, i, 5))
			break;
	/* page 300 keeps its head, and reads zeros past the cut once the file grows again */
	uint64_t buf[PAGE_SIZE / 8];
	assert_eq(kmm_ftruncate(t, fd, n * PAGE_SIZE), 0);
	assert_eq(kmm_pread(t, fd, buf, PAGE_SIZE, 300 * PAGE_SIZE), PAGE_SIZE);
	for (size_t w = 0; w < PAGE_SIZE / 8; w++) {
		uint64_t want = w < 12 ? pattern(5, 300, w) : w == 12 ? pattern(5, 300, w) & 0xffffffffULL : 0;
		if (buf[w] != want) {
			expect_eq(buf[w], want);
			break;
		}
	}
	for (uint64_t i = 301; i < n; i++)
		if (!file_verify_page(t, fd, i, ~0ULL))
			break;
	CHECK(m);
	expect_eq(shmem_on_swap(m), 0);
	kmm_close(t, fd);
	expect_eq(kmm_unlink(m, "/dev/shm/cut"), 0);
	kmm_exit(t, 0);
	expect_eq(slots_used(m), 0);
	done(m);
}

/* ---- MAP_SHARED|MAP_ANONYMOUS ---- */

TEST(shared_anonymous_memory_goes_to_swap_and_both_sides_of_a_fork_see_it_back)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct task_struct *p = kmm_spawn(m, "parent"), *c;
	const uint64_t n = 2048;
	uint64_t a = 0;
	char path[64], *text;

	assert_eq(kmm_mmap(p, 0, n * PAGE_SIZE, RW, KMM_MAP_SHARED | KMM_MAP_ANONYMOUS, &a), 0);
	for (uint64_t i = 0; i < n; i++)
		assert_eq(write_page(p, a, i, 11), 0);
	c = kmm_fork(p, "child");
	assert_true(c != NULL);
	CHECK(m);

	unsigned long out0 = vm_event(m, PSWPOUT);
	kmm_reclaim(m, 1UL << 20);
	CHECK(m);
	long swapped = shmem_on_swap(m);
	expect_true(swapped > (long)n / 2);
	expect_true((long)(vm_event(m, PSWPOUT) - out0) >= swapped);
	/* shmem PTEs become none (the fault looks in the object), not swap entries */
	unsigned long none = 0;
	for (uint64_t i = 0; i < n; i++)
		none += pte_none(pte_of(p, a + i * PAGE_SIZE)) && pte_none(pte_of(c, a + i * PAGE_SIZE));
	expect_eq((long)none, swapped);
	/* smaps: the mapping's Swap is the object's pages on swap */
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", kmm_task_pid(p));
	text = t_proc(m, path);
	char line[64];
	snprintf(line, sizeof(line), "Swap:           %8ld kB\n",
		 (swapped + get_mm_counter(p->mm, MM_SWAPENTS)) * 4);	/* plus its own anonymous pages */
	expect_str_contains(text, line);
	free(text);

	/* the child faults them back (major faults); the parent then sees the same frames */
	unsigned long maj0 = vm_event(m, PGMAJFAULT);
	for (uint64_t i = 0; i < n; i++)
		if (!verify_page(c, a, i, 11))
			break;
	CHECK(m);
	expect_true(vm_event(m, PGMAJFAULT) > maj0);
	expect_eq(shmem_on_swap(m), 0);

	/* out again; the parent rewrites the odd pages, the child reads what the parent wrote */
	kmm_reclaim(m, 1UL << 20);
	CHECK(m);
	for (uint64_t i = 1; i < n; i += 2)
		assert_eq(write_page(p, a, i, 12), 0);
	CHECK(m);
	kmm_reclaim(m, 1UL << 20);
	CHECK(m);
	for (uint64_t i = 0; i < n; i++)
		if (!verify_page(c, a, i, i % 2 ? 12 : 11))
			break;
	CHECK(m);
	/* exit with pages on swap: the object's last reference frees the slots */
	kmm_reclaim(m, 1UL << 20);
	assert_true(shmem_on_swap(m) > 0);
	kmm_exit(c, 0);
	CHECK(m);
	expect_true(shmem_on_swap(m) > 0);	/* the parent still maps the object */
	kmm_exit(p, 0);
	CHECK(m);
	expect_eq(slots_used(m), 0);
	expect_eq(global_node_page_state(m, NR_SWAPCACHE), 0);
	done(m);
}

/* smaps of a private writable mapping of a tmpfs file: Swap counts the file's swapped pages under none PTEs */
TEST(smaps_counts_a_private_tmpfs_mapping_s_swapped_holes)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	const uint64_t n = 256;
	uint64_t a = 0, x;
	char path[64], *text, line[64];
	int fd = kmm_open(t, "/dev/shm/priv", KMM_O_CREAT | KMM_O_RDWR);

	assert_true(fd >= 3);
	for (uint64_t i = 0; i < n; i++)
		file_write_page(t, fd, i, 51);
	assert_eq(kmm_mmap_fd(t, fd, 0, n * PAGE_SIZE, RW, KMM_MAP_PRIVATE, 0, &a), 0);
	for (uint64_t i = 0; i < n; i++)		/* read faults: the file's pages */
		assert_eq(kmm_access(t, a + i * PAGE_SIZE, &x, 8, false), 0);
	assert_eq(write_page(t, a, 7, 52), 0);		/* page 7: a private copy (anonymous) */
	kmm_reclaim(m, 1UL << 20);
	CHECK(m);
	long swapped = shmem_on_swap(m);
	assert_true(swapped > (long)n / 2);
	/* the file's page 7 may be on swap too, but the mapping shows its own copy there */
	uint64_t idx7 = 7;
	int token = procs_enter(m);
	mmap_read_lock(t->mm);
	bool file7 = shmem_next_swapped(find_vma(t->mm, a)->vm_file, &idx7, 7);
	mmap_read_unlock(t->mm);
	procs_exit(m, token);
	long anon = get_mm_counter(t->mm, MM_SWAPENTS);
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", kmm_task_pid(t));
	text = t_proc(m, path);
	snprintf(line, sizeof(line), "Swap:           %8ld kB\n", (swapped - (file7 ? 1 : 0) + anon) * 4);
	expect_str_contains(text, line);
	free(text);
	for (uint64_t i = 0; i < n; i++)
		if (!verify_page(t, a, i, i == 7 ? 52 : 51))
			break;
	CHECK(m);
	kmm_close(t, fd);
	expect_eq(kmm_unlink(m, "/dev/shm/priv"), 0);
	kmm_exit(t, 0);
	done(m);
}

TEST(clean_shmem_pages_are_dropped_not_written)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	const uint64_t n = 1024;
	uint64_t a = 0, x;
	long shmem0 = meminfo_kb(m, "Shmem:");

	assert_eq(kmm_mmap(t, 0, n * PAGE_SIZE, RW, KMM_MAP_SHARED | KMM_MAP_ANONYMOUS, &a), 0);
	for (uint64_t i = 0; i < n; i++)	/* read faults: zero-filled pages, never written */
		assert_eq(kmm_access(t, a + i * PAGE_SIZE, &x, 8, false), 0);
	expect_eq(meminfo_kb(m, "Shmem:") - shmem0, (long)n * 4);
	kmm_reclaim(m, 1UL << 20);
	CHECK(m);
	expect_eq(shmem_on_swap(m), 0);
	expect_true(vm_event(m, PSWPOUT) < 16);		/* the process's own few pages at most */
	expect_true(meminfo_kb(m, "Shmem:") - shmem0 < (long)n);	/* most of them dropped */
	for (uint64_t i = 0; i < n; i++) {
		assert_eq(kmm_access(t, a + i * PAGE_SIZE + 8, &x, 8, false), 0);
		if (x) {
			expect_eq(x, 0);
			break;
		}
	}
	CHECK(m);
	kmm_exit(t, 0);
	done(m);
}

/* ---- mincore and MADV_WILLNEED ---- */

TEST(willneed_reads_swapped_shmem_into_the_swap_cache_and_mincore_sees_it)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	const uint64_t n = 1024;
	uint64_t a = 0;
	unsigned char *vec = calloc(n, 1);
	unsigned long incore = 0;

	assert_true(vec != NULL);
	assert_eq(kmm_mmap(t, 0, n * PAGE_SIZE, RW, KMM_MAP_SHARED | KMM_MAP_ANONYMOUS, &a), 0);
	for (uint64_t i = 0; i < n; i++)
		assert_eq(write_page(t, a, i, 41), 0);
	kmm_reclaim(m, 1UL << 20);
	CHECK(m);
	long swapped = shmem_on_swap(m);
	assert_true(swapped > (long)n / 2);
	assert_eq(kmm_mincore(t, a, n * PAGE_SIZE, vec), 0);
	for (uint64_t i = 0; i < n; i++)
		incore += vec[i];
	expect_eq((long)incore, (long)n - swapped);	/* on swap, not in the swap cache: not in core */

	/* WILLNEED: read into the swap cache, nothing mapped, the entries stay in the object */
	unsigned long in0 = vm_event(m, PSWPIN);
	assert_eq(kmm_madvise(t, a, n * PAGE_SIZE, KMM_MADV_WILLNEED), 0);
	CHECK(m);
	expect_eq((long)(vm_event(m, PSWPIN) - in0), swapped);
	expect_eq((long)global_node_page_state(m, NR_SWAPCACHE), swapped);
	expect_eq(shmem_on_swap(m), swapped);
	assert_eq(kmm_mincore(t, a, n * PAGE_SIZE, vec), 0);
	incore = 0;
	for (uint64_t i = 0; i < n; i++)
		incore += vec[i];
	expect_eq((long)incore, (long)n);

	/* the faults find them in the swap cache: minor, no more reads */
	unsigned long maj0 = vm_event(m, PGMAJFAULT);
	in0 = vm_event(m, PSWPIN);
	for (uint64_t i = 0; i < n; i++)
		if (!verify_page(t, a, i, 41))
			break;
	CHECK(m);
	expect_eq(vm_event(m, PGMAJFAULT), maj0);
	expect_eq(vm_event(m, PSWPIN), in0);
	expect_eq(shmem_on_swap(m), 0);
	expect_eq(global_node_page_state(m, NR_SWAPCACHE), 0);
	kmm_exit(t, 0);
	free(vec);
	done(m);
}

/* ---- swapoff ---- */

TEST(swapoff_brings_every_shmem_page_back)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	const uint64_t n = 1024;
	uint64_t a = 0;
	long shmem0 = meminfo_kb(m, "Shmem:");
	int fd = kmm_open(t, "/dev/shm/off", KMM_O_CREAT | KMM_O_RDWR);

	assert_true(fd >= 3);
	assert_eq(kmm_mmap(t, 0, n * PAGE_SIZE, RW, KMM_MAP_SHARED | KMM_MAP_ANONYMOUS, &a), 0);
	for (uint64_t i = 0; i < n; i++) {
		assert_eq(write_page(t, a, i, 21), 0);
		file_write_page(t, fd, i, 22);
	}
	kmm_reclaim(m, 1UL << 20);
	CHECK(m);
	assert_true(shmem_on_swap(m) > (long)n);
	assert_eq(kmm_swapoff(m, "/swapfile"), 0);
	CHECK(m);
	expect_eq(total_swap_pages(m), 0);
	expect_eq(meminfo_kb(m, "Shmem:") - shmem0, 2 * (long)n * 4);	/* every page resident */
	for (uint64_t i = 0; i < n; i++)
		if (!verify_page(t, a, i, 21) || !file_verify_page(t, fd, i, 22))
			break;
	CHECK(m);
	kmm_close(t, fd);
	expect_eq(kmm_unlink(m, "/dev/shm/off"), 0);
	kmm_exit(t, 0);
	done(m);
}

/* ---- without swap ---- */

TEST(without_swap_shmem_stays_resident)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 0);
	struct task_struct *t = kmm_spawn(m, "t");
	const uint64_t n = 512;
	uint64_t a = 0;

	assert_eq(kmm_mmap(t, 0, n * PAGE_SIZE, RW, KMM_MAP_SHARED | KMM_MAP_ANONYMOUS, &a), 0);
	for (uint64_t i = 0; i < n; i++)
		assert_eq(write_page(t, a, i, 31), 0);
	kmm_reclaim(m, 1UL << 20);
	CHECK(m);
	expect_eq(vm_event(m, PSWPOUT), 0);
	for (uint64_t i = 0; i < n; i++)
		if (!verify_page(t, a, i, 31))
			break;
	kmm_exit(t, 0);
	done(m);
}

/* ---- Read errors ---- */

/*
 * A swapped tmpfs page whose slot cannot be read: read() and pread() fail
 * with -EIO (shmem_swapin_folio's error) and a fault on a mapping of it is
 * a SIGBUS (VM_FAULT_SIGBUS), not the OOM path. The disk loses the data:
 * the area's host file is cut back to its header. Unlink still frees every
 * slot.
 */
TEST(a_swap_read_error_is_eio_for_read_and_sigbus_for_a_fault)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct task_struct *t = kmm_spawn(m, "t"), *u = kmm_spawn(m, "u");
	const uint64_t n = 64;
	unsigned char vec[64];
	uint64_t buf[PAGE_SIZE / 8], map = 0, i = 0;
	int fd = kmm_open(t, "/dev/shm/lost", KMM_O_CREAT | KMM_O_RDWR);
	int ufd = kmm_open(u, "/dev/shm/lost", KMM_O_RDWR);

	assert_true(fd >= 3 && ufd >= 3);
	assert_eq(kmm_ftruncate(t, fd, n * PAGE_SIZE), 0);
	for (uint64_t p = 0; p < n; p++)
		file_write_page(t, fd, p, 5);
	assert_eq(kmm_mmap_fd(u, ufd, 0, n * PAGE_SIZE, KMM_PROT_READ, KMM_MAP_SHARED, 0, &map), 0);
	kmm_reclaim(m, 1UL << 20);
	kmm_writeback_wait(m);
	assert_true(shmem_on_swap(m) > 0);
	assert_eq((long)kmm_fincore(m, "/dev/shm/lost", vec, n), (long)n - shmem_on_swap(m));
	while (vec[i])
		i++;		/* the first page on swap */
	assert_eq(truncate(pressure_of(m)->swap_info[0]->host_path, PAGE_SIZE), 0);

	expect_eq(kmm_pread(t, fd, buf, PAGE_SIZE, i * PAGE_SIZE), -EIO);
	expect_str_contains(t_dmesg(m), "Read-error on swap-device (/swapfile, offset");
	expect_eq(kmm_access(u, map + i * PAGE_SIZE, buf, 8, false), -EFAULT);
	struct kmm_task_exit e = kmm_task_exit_info(u);
	expect_true(e.exited);
	expect_eq(e.signal, KMM_SIGBUS);
	expect_str_contains(t_dmesg(m), "bus error at");
	expect_true(strstr(t_dmesg(m), "fault loop") == NULL);
	CHECK(m);
	/* the unreadable page's slot went with the failed read (its index is poisoned);
	 * the other pages are still on swap: unlink frees their slots */
	assert_true(shmem_on_swap(m) > 0);
	kmm_close(t, fd);
	expect_eq(kmm_unlink(m, "/dev/shm/lost"), 0);
	CHECK(m);
	kmm_exit(t, 0);
	expect_eq(slots_used(m), 0);
	done(m);
}

/* ---- A swap-out that fails while truncation takes the index ---- */

struct cut_on_write_error {
	struct task_struct *t;
	int fd, fired, err;
};

/* At the first swap write error while a shmem index holds a swap entry: truncate the file. */
static int cut_on_write_error(struct kmm_machine *m, const struct kmm_event *ev, void *arg)
{
	struct cut_on_write_error *c = arg;
	long n = 0;

	if (c->fired || !ev->str || !strstr(ev->str, "Write-error on swap-device"))
		return 0;
	shmem_for_each_swap_entry(m, count_entry, &n);
	if (n) {
		c->fired = 1;
		c->err = kmm_ftruncate(c->t, c->fd, 0);
	}
	return 0;
}

/*
 * A shmem page whose swap write fails after truncation took its index (the
 * swap entry that stood for it) cannot go back to the file: it leaves the
 * swap cache, reclaim puts it back on its list with no mapping, and the
 * isolation reference, its last, frees it there (done's leak check proves
 * it). Every swap write fails: the host refuses writes past the area's
 * header (RLIMIT_FSIZE, EFBIG); truncation runs inside the write's error
 * report, between the failed write and its undo.
 */
TEST(a_page_whose_swap_out_fails_while_truncation_takes_its_index_is_freed)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 16UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	long shmem0 = meminfo_kb(m, "Shmem:");
	struct cut_on_write_error c = { t, -1, 0, 0 };
	struct kmm_trace_sub sub = { .name = "cut", .mask = KMM_EVBIT(KMM_EV_CONSOLE),
				     .fn = cut_on_write_error, .arg = &c };
	struct rlimit saved, cap;
	int id;

	c.fd = kmm_open(t, "/dev/shm/cut", KMM_O_CREAT | KMM_O_RDWR);
	assert_true(c.fd >= 3);
	assert_eq(kmm_ftruncate(t, c.fd, 1024 * PAGE_SIZE), 0);
	for (uint64_t i = 0; i < 1024; i++)
		file_write_page(t, c.fd, i, 9);
	expect_eq(meminfo_kb(m, "Shmem:") - shmem0, 4096);
	id = kmm_trace_subscribe(m, &sub);
	assert_true(id >= 0);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &saved);
	cap = saved;
	cap.rlim_cur = PAGE_SIZE;
	assert_eq(setrlimit(RLIMIT_FSIZE, &cap), 0);
	kmm_reclaim(m, 1UL << 20);
	setrlimit(RLIMIT_FSIZE, &saved);
	kmm_trace_unsubscribe(m, id);
	expect_eq(c.fired, 1);
	expect_eq(c.err, 0);
	expect_str_contains(t_dmesg(m), "Write-error on swap-device (/swapfile, offset");
	CHECK(m);
	expect_eq(shmem_on_swap(m), 0);
	expect_eq(meminfo_kb(m, "Shmem:"), shmem0);
	kmm_close(t, c.fd);
	expect_eq(kmm_unlink(m, "/dev/shm/cut"), 0);
	kmm_exit(t, 0);
	/* (the process's own anonymous pages whose writes failed stayed in the swap cache until now) */
	expect_eq(global_node_page_state(m, NR_SWAPCACHE), 0);
	expect_eq(slots_used(m), 0);
	done(m);
}

/* ---- fincore of a file with pages on swap ---- */

/*
 * fincore (filemap_fincore + shmem_fincore) counts a swapped page as in core
 * exactly while the swap cache still holds it, for every page of a file
 * whose swap entries span many of shmem_fincore's batches (it looks at the
 * index once per batch, not once per page): it agrees page by page with
 * mincore of a mapping of the file, which asks shmem_incore() one page at
 * a time.
 */
TEST(fincore_of_a_file_with_swapped_pages_agrees_with_mincore_page_by_page)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct task_struct *t = kmm_spawn(m, "t");
	const uint64_t n = 512;
	unsigned char *fvec = calloc(n, 1), *mvec = calloc(n, 1);
	uint64_t a = 0;
	long in_cache = 0, resident, cached;
	int fd = kmm_open(t, "/dev/shm/core", KMM_O_CREAT | KMM_O_RDWR);

	assert_true(fd >= 3 && fvec && mvec);
	assert_eq(kmm_ftruncate(t, fd, n * PAGE_SIZE), 0);
	for (uint64_t i = 0; i < n; i++)
		file_write_page(t, fd, i, 13);
	kmm_reclaim(m, 1UL << 20);
	kmm_writeback_wait(m);
	long swapped = shmem_on_swap(m);
	assert_true(swapped > 100);
	resident = (long)n - swapped;
	expect_eq((long)kmm_fincore(m, "/dev/shm/core", fvec, n), resident);
	/* every third page read back into the swap cache (WILLNEED on a mapping), not mapped */
	assert_eq(kmm_mmap_fd(t, fd, 0, n * PAGE_SIZE, KMM_PROT_READ, KMM_MAP_SHARED, 0, &a), 0);
	for (uint64_t i = 0; i < n; i += 3)
		if (!fvec[i]) {
			assert_eq(kmm_madvise(t, a + i * PAGE_SIZE, PAGE_SIZE, KMM_MADV_WILLNEED), 0);
			in_cache++;
		}
	expect_eq((long)global_node_page_state(m, NR_SWAPCACHE), in_cache);
	expect_eq(shmem_on_swap(m), swapped);
	cached = (long)kmm_fincore(m, "/dev/shm/core", fvec, n);
	expect_eq(cached, resident + in_cache);
	assert_eq(kmm_mincore(t, a, n * PAGE_SIZE, mvec), 0);
	for (uint64_t i = 0; i < n; i++)
		if ((fvec[i] & 1) != mvec[i]) {
			kmm_test_fail(__FILE__, __LINE__, "page %" PRIu64 ": fincore %d, mincore %d", i,
				      fvec[i], mvec[i]);
			break;
		}
	CHECK(m);
	kmm_close(t, fd);
	expect_eq(kmm_unlink(m, "/dev/shm/core"), 0);
	kmm_exit(t, 0);
	expect_eq(slots_used(m), 0);
	free(fvec);
	free(mvec);
	done(m);
}
