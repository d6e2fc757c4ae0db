// SPDX-License-Identifier: MIT
/*
 * tests/integration_filemap_fault.c - the fault path of file mappings as
 * Linux 6.12's: fault-around maps the cached pages of the 64 KiB-aligned
 * window (clamped to the VMA and the page table) on a read fault, so the
 * neighbours of a touched page need no fault of their own; a miss is a
 * major fault that reads ra_pages around the page, and touching the page
 * marked PG_readahead reads the next window; MADV_RANDOM reads just the
 * page, MADV_SEQUENTIAL a window from it; faults that keep missing stop
 * reading around (mmap_miss); fault_around_bytes; madvise and fadvise
 * WILLNEED/DONTNEED/SEQUENTIAL/RANDOM/NOREUSE with Linux's range rules.
 * Mappings are placed at fixed, 2 MiB-aligned addresses so the windows are
 * known; every test ends with the checkers and the leak check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/fs.h>
#include <kmm/proc.h>
#include <kmm/process.h>

#include "mm/include/mm.h"
#include "mm/include/pgtable.h"
#include "tests/filemap_test.h"

#define PG 4096UL
#define BASE 0x40000000UL	/* 2 MiB aligned: page i of a mapping here is PTE slot i */

static long rss_file(struct task_struct *t)
{
	return get_mm_counter(t->mm, MM_FILEPAGES);
}

static bool mapped(struct task_struct *t, uint64_t addr)
{
	return pte_present(pgtable_get_pte(&t->mm->pgt, addr));
}

static long cached(struct kmm_machine *m, const char *path, unsigned long first, unsigned long last)
{
	static unsigned char vec[1 << 14];
	long n = 0;

	if (kmm_fincore(m, path, vec, sizeof(vec)) < 0)
		return -1;
	for (unsigned long i = first; i <= last && i < sizeof(vec); i++)
		n += vec[i] & 1;
	return n;
}

#define expect_text(text, want) expect_true((text) && !strcmp((text), (want)))

static void touch(struct task_struct *t, uint64_t addr)
{
	unsigned char x;

	if (kmm_access(t, addr, &x, 1, false))
		kmm_test_fail(__FILE__, __LINE__, "load at %#llx failed: %s", (unsigned long long)addr,
			      kmm_last_error());
}

/* A file of @size bytes, written, synced and then dropped from the cache (cold) unless @warm. */
static int make_file(struct kmm_machine *m, struct task_struct *t, const char *path, uint64_t size, bool warm)
{
	int fd;

	if (kmm_mkfile(m, path, size, -1))
		return -1;
	fd = kmm_open(t, path, KMM_O_RDWR);
	if (fd < 0 || kmm_fsync(t, fd))
		return -1;
	if (!warm && kmm_fadvise(t, fd, 0, 0, KMM_POSIX_FADV_DONTNEED))
		return -1;
	return fd;
}

static int map_at(struct task_struct *t, int fd, uint64_t addr, uint64_t len, uint64_t off)
{
	uint64_t out = 0;
	int err = kmm_mmap_fd(t, fd, addr, len, KMM_PROT_READ, KMM_MAP_SHARED | KMM_MAP_FIXED, off, &out);

	return err ? err : out == addr ? 0 : -EFAULT;
}

TEST(fault_around_maps_the_cached_window_of_a_read_fault)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	int fd = make_file(m, a, "/data/fa", 1 << 20, true);
	unsigned long min0, maj0;

	assert_true(fd >= 3);
	expect_eq(cached(m, "/data/fa", 0, 255), 256);
	assert_eq(map_at(a, fd, BASE, 1 << 20, 0), 0);
	min0 = task_flt(a, false);
	maj0 = task_flt(a, true);
	/* one minor fault at page 5 maps the aligned 16 pages 0..15, nothing more */
	touch(a, BASE + 5 * PG);
	expect_eq(task_flt(a, false), min0 + 1);
	expect_eq(task_flt(a, true), maj0);
	expect_eq(rss_file(a), 16);
	expect_true(mapped(a, BASE) && mapped(a, BASE + 15 * PG));
	expect_true(!(mapped(a, BASE + 16 * PG)));
	/* page 10 was mapped around: no fault */
	touch(a, BASE + 10 * PG);
	expect_eq(task_flt(a, false), min0 + 1);
	/* page 17: the next window */
	touch(a, BASE + 17 * PG);
	expect_eq(task_flt(a, false), min0 + 2);
	expect_eq(rss_file(a), 32);
	/* fault_around_bytes 4096 turns it off: one page per fault */
	assert_eq(kmm_proc_write(m, "/sys/kernel/debug/fault_around_bytes", "4096"), 0);
	touch(a, BASE + 40 * PG);
	expect_eq(rss_file(a), 33);
	expect_true(!(mapped(a, BASE + 41 * PG)));
	assert_eq(kmm_proc_write(m, "/sys/kernel/debug/fault_around_bytes", "65536"), 0);
	expect_eq(kmm_munmap(a, BASE, 1 << 20), 0);
	expect_eq(rss_file(a), 0);

	/* clamped to the VMA: 4 pages of the file (3..6) mapped alone map 4 */
	assert_eq(map_at(a, fd, BASE, 4 * PG, 3 * PG), 0);
	touch(a, BASE + PG);
	expect_eq(rss_file(a), 4);
	expect_eq(kmm_munmap(a, BASE, 4 * PG), 0);

	/* clamped to the page table: a VMA across a 2 MiB boundary maps only its side's pages */
	assert_eq(map_at(a, fd, BASE + (2 << 20) - 8 * PG, 32 * PG, 0), 0);
	touch(a, BASE + (2 << 20) - 6 * PG);
	expect_eq(rss_file(a), 8);
	expect_true(mapped(a, BASE + (2 << 20) - 8 * PG) && mapped(a, BASE + (2 << 20) - PG));
	expect_true(!(mapped(a, BASE + (2 << 20))));
	expect_eq(kmm_munmap(a, BASE + (2 << 20) - 8 * PG, 32 * PG), 0);
	expect_true(kmm_check(m) == 0);

	/* clamped to the end of the file: 5 pages and 100 bytes, mapped 8 pages long */
	int f2 = make_file(m, a, "/data/short", 5 * PG + 100, true);
	assert_true(f2 >= 3);
	assert_eq(map_at(a, f2, BASE, 8 * PG, 0), 0);
	touch(a, BASE + 2 * PG);
	expect_eq(rss_file(a), 6);
	expect_true(!(mapped(a, BASE + 6 * PG)));
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/fa"), 0);
	expect_eq(kmm_unlink(m, "/data/short"), 0);
	done(m);
}

TEST(a_miss_is_major_reads_around_and_the_marker_reads_the_next_window)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	int fd = make_file(m, a, "/data/cold", 1 << 20, false);
	unsigned long min0, maj0;
	long pgmaj0;

	assert_true(fd >= 3);
	expect_eq(cached(m, "/data/cold", 0, 255), 0);
	assert_eq(map_at(a, fd, BASE, 1 << 20, 0), 0);
	min0 = task_flt(a, false);
	maj0 = task_flt(a, true);
	pgmaj0 = vmstat_val(m, "pgmajfault");
	/* page 100: major; ra_pages (32) read around it, 84..115; only the page itself is mapped */
	touch(a, BASE + 100 * PG);
	expect_eq(task_flt(a, true), maj0 + 1);
	expect_eq(vmstat_val(m, "pgmajfault"), pgmaj0 + 1);
	expect_eq(cached(m, "/data/cold", 0, 255), 32);
	expect_eq(cached(m, "/data/cold", 84, 115), 32);
	expect_eq(rss_file(a), 1);
	/* page 101: minor; fault-around maps 96..111 except 108, the PG_readahead marker */
	touch(a, BASE + 101 * PG);
	expect_eq(task_flt(a, true), maj0 + 1);
	expect_eq(task_flt(a, false), min0 + 1);
	expect_eq(rss_file(a), 15);
	expect_true(!(mapped(a, BASE + 108 * PG)));
	/* page 108: a minor fault that reads the next window, 116..147 */
	touch(a, BASE + 108 * PG);
	expect_eq(task_flt(a, true), maj0 + 1);
	expect_eq(cached(m, "/data/cold", 0, 255), 64);
	expect_eq(cached(m, "/data/cold", 116, 147), 32);
	/* reading on to the end of the file takes no other major fault */
	for (unsigned long i = 102; i < 256; i++)
		touch(a, BASE + i * PG);
	expect_eq(task_flt(a, true), maj0 + 1);
	expect_eq(cached(m, "/data/cold", 84, 255), 256 - 84);
	expect_eq(rss_file(a), 256 - 96);
	/* a fault far fewer than one per page: fault-around maps 16 at a time */
	expect_true(task_flt(a, false) - min0 <= 16);
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/cold"), 0);
	done(m);
}

static bool smaps_has_flag(struct kmm_machine *m, struct task_struct *t, uint64_t addr, const char *flag)
{
	char path[64], head[32], *text, *p, *e;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/smaps", kmm_task_pid(t));
	snprintf(head, sizeof(head), "%llx-", (unsigned long long)addr);
	text = t_proc(m, path);
	p = text ? strstr(text, head) : NULL;
	p = p ? strstr(p, "VmFlags:") : NULL;
	if (p) {
		e = strchr(p, '\n');
		if (e)
			*e = '\0';
		found = strstr(p, flag) != NULL;
	}
	free(text);
	return found;
}

TEST(madvise_random_sequential_and_willneed_steer_fault_readahead)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	int fd = make_file(m, a, "/data/adv", 1 << 20, false);
	unsigned long maj0;
	int vmas;

	assert_true(fd >= 3);
	assert_eq(map_at(a, fd, BASE, 1 << 20, 0), 0);
	/* RANDOM: every miss reads just its page and is major */
	assert_eq(kmm_madvise(a, BASE, 1 << 20, KMM_MADV_RANDOM), 0);
	expect_true(smaps_has_flag(m, a, BASE, " rr"));
	maj0 = task_flt(a, true);
	touch(a, BASE + 10 * PG);
	touch(a, BASE + 11 * PG);
	expect_eq(task_flt(a, true), maj0 + 2);
	expect_eq(cached(m, "/data/adv", 0, 255), 2);
	/* SEQUENTIAL: a miss reads ra_pages from the page on */
	assert_eq(kmm_madvise(a, BASE, 1 << 20, KMM_MADV_SEQUENTIAL), 0);
	expect_true(smaps_has_flag(m, a, BASE, " sr"));
	expect_true(!(smaps_has_flag(m, a, BASE, " rr")));
	touch(a, BASE + 40 * PG);
	expect_eq(task_flt(a, true), maj0 + 3);
	expect_eq(cached(m, "/data/adv", 40, 71), 32);
	expect_eq(cached(m, "/data/adv", 0, 255), 34);
	/* NORMAL clears both; advice on part of a VMA splits it */
	assert_eq(kmm_madvise(a, BASE, 1 << 20, KMM_MADV_NORMAL), 0);
	expect_true(!(smaps_has_flag(m, a, BASE, " sr")));
	vmas = a->mm->map_count;
	assert_eq(kmm_madvise(a, BASE + 64 * PG, 64 * PG, KMM_MADV_RANDOM), 0);
	expect_eq(a->mm->map_count, vmas + 2);
	expect_true(smaps_has_flag(m, a, BASE + 64 * PG, " rr"));
	expect_true(!(smaps_has_flag(m, a, BASE, " rr")));
	assert_eq(kmm_madvise(a, BASE + 64 * PG, 64 * PG, KMM_MADV_NORMAL), 0);
	expect_eq(a->mm->map_count, vmas);	/* merged again */
	/* WILLNEED reads the range's file pages in and maps none of them */
	long rss = rss_file(a);
	assert_eq(kmm_madvise(a, BASE + 200 * PG, 8 * PG, KMM_MADV_WILLNEED), 0);
	expect_eq(cached(m, "/data/adv", 200, 207), 8);
	expect_eq(cached(m, "/data/adv", 208, 255), 0);
	expect_eq(rss_file(a), rss);
	expect_true(!(mapped(a, BASE + 200 * PG)));
	/* DONTNEED unmaps; the pages stay cached */
	touch(a, BASE + 201 * PG);
	expect_true(mapped(a, BASE + 201 * PG));
	assert_eq(kmm_madvise(a, BASE + 192 * PG, 16 * PG, KMM_MADV_DONTNEED), 0);
	expect_true(!(mapped(a, BASE + 201 * PG)));
	expect_eq(cached(m, "/data/adv", 200, 207), 8);
	expect_eq(kmm_madvise(a, BASE, PG, 77), -EINVAL);
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/adv"), 0);
	done(m);
}

TEST(faults_that_keep_missing_stop_reading_around)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *a = kmm_spawn(m, "A");
	const uint64_t size = 110 * 48 * PG;
	int fd = make_file(m, a, "/data/sparse", size, false);

	assert_true(fd >= 3);
	assert_eq(map_at(a, fd, BASE, size, 0), 0);
	/*
	 * Pages 48 apart: each fault misses, and its read-around (32 pages
	 * centred on it) never reaches the next. MMAP_LOTSAMISS is 100: the
	 * 101st miss on reads only its own page.
	 */
	for (unsigned long i = 0; i < 110; i++)
		touch(a, BASE + i * 48 * PG);
	expect_eq(task_flt(a, true) >= 110, true);
	expect_eq(cached(m, "/data/sparse", 0, 110 * 48 - 1), 100 * 32 + 10);
	expect_eq(cached(m, "/data/sparse", 100 * 48 - 16, 100 * 48 + 15), 1);
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/sparse"), 0);
	done(m);
}

TEST(fault_around_bytes_as_debugfs_takes_it)
{
	struct kmm_machine *m = boot("mem=64M");
	struct kmm_machine *m32 = boot("mem=64M arch=i386");
	char *text;

	text = t_proc(m, "/sys/kernel/debug/fault_around_bytes");
	expect_text(text, "65536\n");
	free(text);
	static const struct { const char *in, *out; } ok[] = {
		{ "4096", "4096\n" }, { "10000", "8192\n" }, { "0", "4096\n" }, { "0x20000", "131072\n" },
		{ "2097152", "2097152\n" }, { "2097153\n", "2097152\n" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_eq(kmm_proc_write(m, "/sys/kernel/debug/fault_around_bytes", ok[i].in), 0);
		text = t_proc(m, "/sys/kernel/debug/fault_around_bytes");
		expect_text(text, ok[i].out);
		free(text);
	}
	/* more than one page table's span, or not a number: refused, the value stays */
	static const char *const bad[] = { "2101248", "4194304", "abc", "-1", "", "12x" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		expect_eq(kmm_proc_write(m, "/sys/kernel/debug/fault_around_bytes", bad[i]), -EINVAL);
	text = t_proc(m, "/sys/kernel/debug/fault_around_bytes");
	expect_text(text, "2097152\n");
	free(text);
	/* i386 without PAE: a page table maps 4 MiB */
	assert_eq(kmm_proc_write(m32, "/sys/kernel/debug/fault_around_bytes", "4194304"), 0);
	expect_eq(kmm_proc_write(m32, "/sys/kernel/debug/fault_around_bytes", "4198400"), -EINVAL);
	done(m32);
	done(m);
}

TEST(fadvise_ranges_and_readahead_modes_as_linux)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char buf[128 << 10];
	int fd = make_file(m, a, "/data/fadv", 8 << 20, false);

	assert_true(fd >= 3);
	/* WILLNEED: first and last partial pages included, nothing mapped */
	assert_eq(kmm_fadvise(a, fd, 10 * PG + 1, 5 * PG, KMM_POSIX_FADV_WILLNEED), 0);
	expect_eq(cached(m, "/data/fadv", 0, 2047), 6);
	expect_eq(cached(m, "/data/fadv", 10, 15), 6);
	/* to the end: at most the disk's largest I/O, 4 MiB */
	assert_eq(kmm_fadvise(a, fd, 0, 0, KMM_POSIX_FADV_WILLNEED), 0);
	expect_eq(cached(m, "/data/fadv", 0, 2047), 1024);
	/* DONTNEED drops whole pages only: [100, 100 + 3 pages) drops pages 1 and 2 */
	assert_eq(kmm_fadvise(a, fd, 100, 3 * PG, KMM_POSIX_FADV_DONTNEED), 0);
	expect_eq(cached(m, "/data/fadv", 0, 3), 2);
	expect_eq(cached(m, "/data/fadv", 0, 0), 1);
	expect_eq(cached(m, "/data/fadv", 3, 3), 1);
	/* a range to the end of the file takes its last page too */
	assert_eq(kmm_fadvise(a, fd, 5 * PG, 0, KMM_POSIX_FADV_DONTNEED), 0);
	expect_eq(cached(m, "/data/fadv", 0, 2047), 3);
	assert_eq(kmm_fadvise(a, fd, 0, 0, KMM_POSIX_FADV_DONTNEED), 0);
	expect_eq(cached(m, "/data/fadv", 0, 2047), 0);

	/* RANDOM: read() gets no window */
	assert_eq(kmm_fadvise(a, fd, 0, 0, KMM_POSIX_FADV_RANDOM), 0);
	for (int i = 0; i < 4; i++)
		assert_eq(kmm_pread(a, fd, buf, PG, (uint64_t)i * PG), (long)PG);
	expect_eq(cached(m, "/data/fadv", 0, 2047), 4);
	/*
	 * NORMAL: a sequential 128 KiB read from page 4 reads the usual window,
	 * 4..35, and crossing its marker (page 20) the next, 36..67.
	 */
	assert_eq(kmm_fadvise(a, fd, 0, 0, KMM_POSIX_FADV_NORMAL), 0);
	assert_eq(kmm_pread(a, fd, buf, sizeof(buf), 4 * PG), (long)sizeof(buf));
	expect_eq(cached(m, "/data/fadv", 4, 2047), 64);
	/* SEQUENTIAL doubles the largest window: the next read's marker reads 64 pages, not 32 */
	assert_eq(kmm_fadvise(a, fd, 0, 0, KMM_POSIX_FADV_SEQUENTIAL), 0);
	assert_eq(kmm_pread(a, fd, buf, sizeof(buf), 36 * PG), (long)sizeof(buf));
	expect_eq(cached(m, "/data/fadv", 36, 2047), 32 + 64);
	expect_eq(kmm_fadvise(a, fd, 0, 0, KMM_POSIX_FADV_NOREUSE), 0);
	expect_eq(kmm_fadvise(a, fd, 0, 0, 6), -EINVAL);
	expect_eq(kmm_fadvise(a, 99, 0, 0, KMM_POSIX_FADV_NORMAL), -EBADF);

	/* tmpfs: the advice is taken and does nothing (no pages appear) */
	int sh = kmm_open(a, "/dev/shm/adv", KMM_O_CREAT | KMM_O_RDWR);
	assert_true(sh >= 3);
	assert_eq(kmm_ftruncate(a, sh, 64 * PG), 0);
	assert_eq(kmm_fadvise(a, sh, 0, 0, KMM_POSIX_FADV_WILLNEED), 0);
	expect_eq(cached(m, "/dev/shm/adv", 0, 63), 0);
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/fadv"), 0);
	expect_eq(kmm_unlink(m, "/dev/shm/adv"), 0);
	done(m);
}
