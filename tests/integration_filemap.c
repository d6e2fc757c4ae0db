// SPDX-License-Identifier: MIT
/*
 * tests/integration_filemap.c - files through the page cache: bytes written
 * by write(), pwrite() and a shared mapping read back identically by read(),
 * by another process's mapping and from the host image after sync; a
 * MAP_PRIVATE store never reaches the file; SIGBUS past the end after a
 * truncate, private COW copies there included; drop_caches drops clean pages only; dirty accounting in
 * /proc/meminfo; the readahead window's growth; an image mounted again by a
 * second boot; clean file pages reclaimed before anonymous ones at the
 * default swappiness, dirty ones written before they are dropped, no stale
 * page cached by readahead when a page is written back during its read, with
 * checksums over everything. Each test unlinks its files, and the harness's
 * leak check proves every page came back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmm/fs.h>
#include <kmm/proc.h>
#include <kmm/process.h>
#include <kmm/swap.h>
#include <kmm/trace.h>

#include "fs/kmmfs.h"
#include "mm/include/mm.h"
#include "mm/include/subsys.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"
#include "mm/pagecache.h"
#include "tests/filemap_test.h"

#define PG 4096

TEST(write_pwrite_read_and_the_image_agree)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char w[5 * PG + 100], r[5 * PG + 100], pg[PG];
	unsigned char vec[8];
	int fd;

	assert_true(a != NULL);
	fd = kmm_open(a, "/data/f", KMM_O_CREAT | KMM_O_RDWR);
	assert_true(fd >= 3);
	fill(w, sizeof(w), 0, 1);
	expect_eq(kmm_write(a, fd, w, 3 * PG), 3 * PG);
	expect_eq(kmm_pwrite(a, fd, w + 3 * PG, sizeof(w) - 3 * PG, 3 * PG), (long)sizeof(w) - 3 * PG);
	uint64_t size = 0;
	expect_eq(kmm_file_size(m, "/data/f", &size), 0);
	expect_eq(size, sizeof(w));
	/* six dirty pages, counted */
	expect_eq(kmm_fincore(m, "/data/f", vec, 8), 6);
	expect_eq(vec[0], 3);
	expect_eq(vec[5], 3);
	expect_eq(vec[6], 0);
	expect_eq(meminfo_kb(m, "Dirty:"), 6 * 4);
	expect_eq(kmm_pread(a, fd, r, sizeof(r), 0), (long)sizeof(r));
	expect_true(!memcmp(r, w, sizeof(w)));
	/* reading past the end gives 0 bytes; a short read at the end */
	expect_eq(kmm_pread(a, fd, r, 10, sizeof(w)), 0);
	expect_eq(kmm_pread(a, fd, r, 200, sizeof(w) - 50), 50);
	/* nothing is in the image yet */
	expect_ne(image_page(m, "/data/f", 0, pg), 0);
	expect_eq(kmm_fsync(a, fd), 0);
	expect_eq(meminfo_kb(m, "Dirty:"), 0);
	expect_eq(kmm_fincore(m, "/data/f", vec, 8), 6);
	expect_eq(vec[0], 1);
	for (uint64_t i = 0; i < 6; i++) {
		assert_eq(image_page(m, "/data/f", i, pg), 0);
		size_t n = i == 5 ? 100 : PG;
		expect_true(!memcmp(pg, w + i * PG, n));
	}
	/* the descriptor's position moved with write() only */
	expect_eq(kmm_lseek(a, fd, 0, KMM_SEEK_CUR), 3 * PG);
	expect_eq(kmm_close(a, fd), 0);
	expect_eq(kmm_close(a, fd), -EBADF);
	expect_eq(kmm_unlink(m, "/data/f"), 0);
	expect_eq(kmm_unlink(m, "/data/f"), -ENOENT);
	expect_eq(kmm_open(a, "/data/f", KMM_O_RDONLY), -ENOENT);
	kmm_exit(a, 0);
	done(m);
}

TEST(shared_mapping_stores_reach_the_file_and_other_mappers_private_ones_do_not)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A"), *b = kmm_spawn(m, "B");
	static unsigned char w[4 * PG], r[4 * PG], pg[PG];
	uint64_t ma, mb, mp;
	int fa, fb;

	fa = kmm_open(a, "/data/m", KMM_O_CREAT | KMM_O_RDWR);
	assert_true(fa >= 3);
	fill(w, sizeof(w), 0, 2);
	assert_eq(kmm_write(a, fa, w, sizeof(w)), (long)sizeof(w));
	assert_eq(kmm_fsync(a, fa), 0);
	assert_eq(kmm_mmap_fd(a, fa, 0, sizeof(w), KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_SHARED, 0, &ma), 0);
	fb = kmm_open(b, "/data/m", KMM_O_RDONLY);
	assert_true(fb >= 3);
	/* a read-only descriptor may not map shared writable */
	expect_eq(kmm_mmap_fd(b, fb, 0, PG, KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_SHARED, 0, &mb), -EACCES);
	assert_eq(kmm_mmap_fd(b, fb, 0, sizeof(w), KMM_PROT_READ, KMM_MAP_SHARED, 0, &mb), 0);
	assert_eq(kmm_mmap_fd(b, fb, 0, sizeof(w), KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_PRIVATE, 0, &mp), 0);
	/* B reads first: the pages are mapped clean and read-only */
	assert_eq(kmm_access(b, mb, r, sizeof(r), false), 0);
	expect_true(!memcmp(r, w, sizeof(w)));
	expect_eq(meminfo_kb(m, "Dirty:"), 0);
	/* A stores through its shared mapping: page 1 and the end of page 3 */
	fill(w + PG, PG, 1000, 3);
	memset(w + 4 * PG - 10, 0x5a, 10);
	assert_eq(kmm_access(a, ma + PG, w + PG, PG, true), 0);
	assert_eq(kmm_access(a, ma + 4 * PG - 10, w + 4 * PG - 10, 10, true), 0);
	expect_eq(meminfo_kb(m, "Dirty:"), 2 * 4);
	expect_true(kmm_check(m) == 0);		/* write-notify: writable shared PTEs map dirty pages */
	/* smaps: A's two pages are dirty and B maps them too: Shared_Dirty */
	{
		char path[64], *text, *p;
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", kmm_task_pid(a));
		text = t_proc(m, path);
		p = text ? strstr(text, "Shared_Dirty:") : NULL;
		expect_true(p && strtol(p + 13, NULL, 10) == 8);
		free(text);
	}
	/* B sees them through its mapping and through read() */
	assert_eq(kmm_access(b, mb, r, sizeof(r), false), 0);
	expect_true(!memcmp(r, w, sizeof(w)));
	assert_eq(kmm_pread(b, fb, r, sizeof(r), 0), (long)sizeof(r));
	expect_true(!memcmp(r, w, sizeof(w)));
	/* B's private copy-on-write store stays private */
	unsigned char x = 0xee;
	assert_eq(kmm_access(b, mp + 2 * PG, &x, 1, true), 0);
	assert_eq(kmm_pread(a, fa, r, sizeof(r), 0), (long)sizeof(r));
	expect_true(!memcmp(r, w, sizeof(w)));
	/* sync: the image holds the shared stores, not the private one */
	assert_eq(kmm_sync(m), 0);
	expect_eq(meminfo_kb(m, "Dirty:"), 0);
	for (uint64_t i = 0; i < 4; i++) {
		assert_eq(image_page(m, "/data/m", i, pg), 0);
		expect_true(!memcmp(pg, w + i * PG, PG));
	}
	/* after writeback the mapping is write-protected again: the next store re-dirties */
	assert_eq(kmm_access(a, ma, &x, 1, true), 0);
	expect_eq(meminfo_kb(m, "Dirty:"), 4);
	expect_true(kmm_check(m) == 0);
	expect_true(meminfo_kb(m, "Mapped:") >= 4 * 4);
	kmm_exit(a, 0);
	kmm_exit(b, 0);
	expect_eq(kmm_unlink(m, "/data/m"), 0);
	done(m);
}

TEST(truncate_gives_sigbus_past_the_end)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char w[4 * PG];
	uint64_t ma;
	unsigned char x;
	int fd = kmm_open(a, "/data/t", KMM_O_CREAT | KMM_O_RDWR);

	assert_true(fd >= 3);
	fill(w, sizeof(w), 0, 4);
	assert_eq(kmm_write(a, fd, w, sizeof(w)), (long)sizeof(w));
	assert_eq(kmm_mmap_fd(a, fd, 0, sizeof(w), KMM_PROT_READ, KMM_MAP_SHARED, 0, &ma), 0);
	assert_eq(kmm_access(a, ma + 3 * PG, &x, 1, false), 0);
	expect_eq(x, w[3 * PG]);
	assert_eq(kmm_ftruncate(a, fd, PG + 100), 0);
	expect_true(kmm_check(m) == 0);
	/* the head of page 1 survives, its tail reads as zeros */
	assert_eq(kmm_access(a, ma + PG + 99, &x, 1, false), 0);
	expect_eq(x, w[PG + 99]);
	assert_eq(kmm_access(a, ma + PG + 100, &x, 1, false), 0);
	expect_eq(x, 0);
	/* page 3 is gone: SIGBUS */
	expect_eq(kmm_access(a, ma + 3 * PG, &x, 1, false), -EFAULT);
	struct kmm_task_exit e = kmm_task_exit_info(a);
	expect_true(e.exited);
	expect_eq(e.signal, KMM_SIGBUS);
	expect_eq(kmm_unlink(m, "/data/t"), 0);
	done(m);
}

/* Pages of @t's private copies and their swap entries (MM_ANONPAGES + MM_SWAPENTS). */
static long cow_copies(struct task_struct *t)
{
	return get_mm_counter(t->mm, MM_ANONPAGES) + get_mm_counter(t->mm, MM_SWAPENTS);
}

/*
 * Truncation against private COW copies past the new end. Linux 6.12's
 * truncate_pagecache() ends with unmap_mapping_range(mapping, holebegin, 0,
 * even_cows = 1): a private mapping's copies of the pages past the end go
 * too - the anonymous page, or its swap entry and slot - so a touch there is
 * SIGBUS, as in a shared mapping. kmm unmapped only the page-cache pages:
 * the copies stayed mapped and read back. Here the copies are shared with a
 * forked child, on swap, and the mapping is split in two VMAs.
 */
TEST(truncate_unmaps_private_cow_copies_past_the_end)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char w[4 * PG];
	uint64_t ma;
	unsigned char x = 0x5a, y = 0;
	int fd = kmm_open(a, "/data/cow", KMM_O_CREAT | KMM_O_RDWR);

	assert_true(fd >= 3);
	assert_true(kmm_mkswap(m, "/swapfile", 16 << 20) > 0);
	assert_eq(kmm_swapon(m, "/swapfile", KMM_SWAP_PRIO_DEFAULT), 0);
	fill(w, sizeof(w), 0, 4);
	assert_eq(kmm_write(a, fd, w, sizeof(w)), (long)sizeof(w));
	assert_eq(kmm_mmap_fd(a, fd, 0, sizeof(w), KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_PRIVATE, 0, &ma), 0);
	/* private copies of pages 0, 2 and 3; page 1 stays the file's */
	long a0 = cow_copies(a);	/* the program image's own anonymous pages */
	assert_eq(kmm_access(a, ma + 0 * PG + 7, &x, 1, true), 0);
	assert_eq(kmm_access(a, ma + 2 * PG + 7, &x, 1, true), 0);
	assert_eq(kmm_access(a, ma + 3 * PG + 7, &x, 1, true), 0);
	assert_eq(kmm_access(a, ma + 1 * PG, &y, 1, false), 0);
	assert_eq(kmm_mprotect(a, ma + 3 * PG, PG, KMM_PROT_READ), 0);	/* two VMAs: pgoff 0 and 3 */
	struct task_struct *b = kmm_fork(a, "B");
	assert_true(b != NULL);
	expect_eq(cow_copies(a), a0 + 3);
	expect_eq(cow_copies(b), a0 + 3);
	/* every copy out to swap, shared by both; page 0's back in A */
	lru_add_drain_all(m);
	kmm_reclaim(m, 1UL << 20);
	kmm_writeback_wait(m);
	for (int i = 0; i < 4; i++) {
		pteval_t v = pgtable_get_pte(&a->mm->pgt, ma + (uint64_t)i * PG);
		assert_true(i == 1 || (!pte_none(v) && !pte_present(v)));	/* on swap */
	}
	assert_eq(kmm_access(a, ma + 7, &y, 1, false), 0);
	expect_eq(y, 0x5a);
	unsigned long used = total_swap_pages(m) - get_nr_swap_pages(m);	/* the copies' 3 and the images' */

	assert_eq(kmm_ftruncate(a, fd, PG + 100), 0);
	expect_true(kmm_check(m) == 0);
	/* the copies of pages 2 and 3 are gone from both, and their slots */
	expect_eq(cow_copies(a), a0 + 1);
	expect_eq(cow_copies(b), a0 + 1);
	expect_eq(total_swap_pages(m) - get_nr_swap_pages(m), used - 2);
	/* page 0's copy is left in both; page 1 reads the file's head */
	assert_eq(kmm_access(b, ma + 7, &y, 1, false), 0);
	expect_eq(y, 0x5a);
	assert_eq(kmm_access(a, ma + PG + 99, &y, 1, false), 0);
	expect_eq(y, w[PG + 99]);
	/* past the end: SIGBUS, in either VMA */
	expect_eq(kmm_access(b, ma + 2 * PG + 7, &y, 1, false), -EFAULT);
	expect_eq(kmm_task_exit_info(b).signal, KMM_SIGBUS);
	expect_eq(kmm_task_exit_info(b).si_code, KMM_BUS_ADRERR);
	expect_eq(kmm_access(a, ma + 3 * PG + 7, &y, 1, false), -EFAULT);
	expect_eq(kmm_task_exit_info(a).signal, KMM_SIGBUS);
	expect_true(kmm_check(m) == 0);
	expect_eq(kmm_unlink(m, "/data/cow"), 0);
	done(m);
}

TEST(drop_caches_drops_clean_pages_only)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char w[8 * PG];
	unsigned char vec[8];
	int fc = kmm_open(a, "/data/clean", KMM_O_CREAT | KMM_O_RDWR);
	int fdirty = kmm_open(a, "/data/dirty", KMM_O_CREAT | KMM_O_RDWR);
	long cached0 = meminfo_kb(m, "Cached:");

	fill(w, sizeof(w), 0, 5);
	assert_eq(kmm_write(a, fc, w, sizeof(w)), (long)sizeof(w));
	assert_eq(kmm_fsync(a, fc), 0);
	assert_eq(kmm_write(a, fdirty, w, 4 * PG), 4 * PG);
	expect_eq(meminfo_kb(m, "Cached:") - cached0, 12 * 4);
	expect_eq(meminfo_kb(m, "Dirty:"), 4 * 4);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	expect_eq(kmm_fincore(m, "/data/clean", vec, 8), 0);
	expect_eq(kmm_fincore(m, "/data/dirty", vec, 8), 4);
	expect_eq(meminfo_kb(m, "Cached:") - cached0, 4 * 4);
	expect_str_contains(t_dmesg(m), "drop_caches: 1");
	/* a bad value changes nothing */
	expect_eq(kmm_sysctl_write(m, "vm.drop_caches", "5"), -EINVAL);
	/* the clean file reads back from the image */
	static unsigned char r[8 * PG];
	assert_eq(kmm_pread(a, fc, r, sizeof(r), 0), (long)sizeof(r));
	expect_true(!memcmp(r, w, sizeof(r)));
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/clean"), 0);
	expect_eq(kmm_unlink(m, "/data/dirty"), 0);
	done(m);
}

TEST(readahead_window_grows_on_sequential_reads)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char w[64 * PG], vec[64];
	unsigned char b[PG];
	int fd = kmm_open(a, "/data/ra", KMM_O_CREAT | KMM_O_RDWR);

	fill(w, sizeof(w), 0, 6);
	assert_eq(kmm_write(a, fd, w, sizeof(w)), (long)sizeof(w));
	assert_eq(kmm_fsync(a, fd), 0);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	expect_eq(kmm_fincore(m, "/data/ra", vec, 64), 0);
	kmm_close(a, fd);
	fd = kmm_open(a, "/data/ra", KMM_O_RDONLY);
	/* page 0: a first window of 4 (get_init_ra_size(1, 32)), the marker on page 1 */
	assert_eq(kmm_read(a, fd, b, PG), PG);
	expect_eq(kmm_fincore(m, "/data/ra", vec, 64), 4);
	/* page 1 hits the marker: the next window, 8 pages (4..11) */
	assert_eq(kmm_read(a, fd, b, PG), PG);
	expect_eq(kmm_fincore(m, "/data/ra", vec, 64), 12);
	expect_true(!memcmp(b, w + PG, PG));
	/* reading on to page 4 (the next marker): 16 more (12..27) */
	for (int i = 2; i <= 4; i++)
		assert_eq(kmm_read(a, fd, b, PG), PG);
	expect_eq(kmm_fincore(m, "/data/ra", vec, 64), 28);
	/* everything read back is what was written */
	static unsigned char r[64 * PG];
	assert_eq(kmm_pread(a, fd, r, sizeof(r), 0), (long)sizeof(r));
	expect_true(!memcmp(r, w, sizeof(r)));
	/* read_ahead_kb = 0: no window, a file opened now reads one page at a time */
	char *text = NULL;
	assert_eq(kmm_proc_read(m, "/sys/block/kmmd0/queue/read_ahead_kb", &text), 0);
	expect_true(text && !strcmp(text, "128\n"));
	free(text);
	expect_eq(kmm_proc_write(m, "/sys/block/kmmd0/queue/read_ahead_kb", "-1"), -EINVAL);
	assert_eq(kmm_proc_write(m, "/sys/block/kmmd0/queue/read_ahead_kb", "0"), 0);
	kmm_close(a, fd);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	fd = kmm_open(a, "/data/ra", KMM_O_RDONLY);
	for (int i = 0; i < 3; i++)
		assert_eq(kmm_read(a, fd, b, PG), PG);
	expect_eq(kmm_fincore(m, "/data/ra", vec, 64), 3);
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/ra"), 0);
	done(m);
}


/*
 * review20 R6: readahead reads a run from the disk before it caches the
 * run's pages. If, in between, someone else makes one of those pages,
 * writes new bytes into it, writes it back and sees it reclaimed, the
 * disk's older bytes read for it must not be cached. The interleaving is
 * made deterministic by the page cache's test hook right after the run's
 * read (on the reading thread): it writes page 3 through the cache, writes
 * it back and drops it. Both ways of reading a run: into pages allocated
 * first (x86_64 with memory to spare) and into a buffer (i386: user pages
 * may be highmem, with no direct-map address to read into).
 */
struct stale_ra {
	struct kmm_file *f;
	int hooked, direct;		/* runs read, and how many into their pages */
	int injected;			/* pages the hook wrote back and dropped */
};

static int find_stale_file(struct kmm_file *f, void *arg)
{
	struct stale_ra *s = arg;

	if (!strcmp(f->path, "/data/stale"))
		s->f = f;
	return 0;
}

static void write_back_and_drop_page_3(void *arg, struct kmm_file *f, unsigned long index, unsigned int nr,
				       bool direct)
{
	struct stale_ra *s = arg;
	static unsigned char w[PG];

	if (f != s->f || s->hooked++ || index > 3 || index + nr <= 3)
		return;		/* once, for the run that holds page 3 */
	s->direct += direct;
	fill(w, PG, 3 * PG, 2);
	if (generic_perform_write(f, w, PG, 3 * PG) == PG && !filemap_write_and_wait_range(f, 3 * PG, 4 * PG - 1)) {
		lru_add_drain_all(f->m);
		s->injected = (int)invalidate_mapping_pages(f, 3, 3);
	}
}

static void stale_page_scenario(const char *cmdline, int direct)
{
	struct kmm_machine *m = boot(cmdline);
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char r[8 * PG], w[PG];
	static struct stale_ra s;
	int fd = kmm_open(a, "/data/stale", KMM_O_CREAT | KMM_O_RDWR);

	write_pages(a, fd, 8, 1);
	assert_eq(kmm_fsync(a, fd), 0);
	kmm_close(a, fd);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	fd = kmm_open(a, "/data/stale", KMM_O_RDONLY);
	s = (struct stale_ra){ 0 };
	filemap_for_each_file(m, find_stale_file, &s);
	assert_true(s.f != NULL);
	pagecache_of(m)->ra_read_hook_arg = &s;
	pagecache_of(m)->ra_read_hook = write_back_and_drop_page_3;
	/* one window of 8 pages: one host read of the run, then its pages */
	assert_eq(kmm_pread(a, fd, r, sizeof(r), 0), (long)sizeof(r));
	pagecache_of(m)->ra_read_hook = NULL;
	expect_eq(s.hooked, 1);
	expect_eq(s.direct, direct);
	expect_eq(s.injected, 1);
	for (int i = 0; i < 8; i++) {
		fill(w, PG, (uint64_t)i * PG, i == 3 ? 2 : 1);
		if (memcmp(r + i * PG, w, PG))
			kmm_test_fail(__FILE__, __LINE__, "%s: page %d of the read differs from the file", cmdline, i);
	}
	/* and what stays cached is the new page 3 */
	assert_eq(kmm_pread(a, fd, r, PG, 3 * PG), PG);
	fill(w, PG, 3 * PG, 2);
	expect_true(!memcmp(r, w, PG));
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/stale"), 0);
	done(m);
}

TEST(readahead_never_caches_bytes_older_than_a_write_back_during_its_read)
{
	stale_page_scenario("mem=128M arch=x86_64", 1);
	stale_page_scenario("mem=128M arch=i386", 0);
}

/*
 * A readahead window's run of consecutive blocks is one read of the disk,
 * not one per page (kmmfs's read_ahead): a cold 256 KiB read is two
 * windows of 32 pages (the first, then the one its marker starts), two host
 * reads for 64 blocks, and the bytes are the ones written.
 */
TEST(a_readahead_window_is_one_read_of_the_disk)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char w[64 * PG], r[64 * PG];
	int fd = kmm_open(a, "/data/ra", KMM_O_CREAT | KMM_O_RDWR);

	fill(w, sizeof(w), 0, 7);
	assert_eq(kmm_write(a, fd, w, sizeof(w)), (long)sizeof(w));
	assert_eq(kmm_fsync(a, fd), 0);
	kmm_close(a, fd);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	fd = kmm_open(a, "/data/ra", KMM_O_RDONLY);
	struct kmmfs_sb *sb = fs_of(m)->sb;
	unsigned long blocks = sb->reads, calls = sb->read_calls;
	assert_eq(kmm_pread(a, fd, r, sizeof(r), 0), (long)sizeof(r));
	expect_true(!memcmp(r, w, sizeof(r)));
	expect_eq(sb->reads - blocks, 64);
	expect_eq(sb->read_calls - calls, 2);
	/* a random read (no window) is one page, one read */
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	calls = sb->read_calls;
	assert_eq(kmm_pread(a, fd, r, PG, 40 * PG), PG);
	assert_eq(kmm_pread(a, fd, r + PG, PG, 7 * PG), PG);
	expect_true(!memcmp(r, w + 40 * PG, PG) && !memcmp(r + PG, w + 7 * PG, PG));
	expect_eq(sb->read_calls - calls, 2);
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/ra"), 0);
	done(m);
}

TEST(an_image_is_mounted_again_by_the_next_boot)
{
	char dir[] = "/tmp/kmm-fs-test-XXXXXX", cmd[256], img[128];
	static unsigned char w[3 * PG + 7], r[3 * PG + 7];
	struct kmm_machine *m;
	struct task_struct *a;
	int fd;

	assert_true(mkdtemp(dir) != NULL);
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	snprintf(cmd, sizeof(cmd), "mem=64M fsimage=%s fssize=8M", img);
	fill(w, sizeof(w), 0, 7);
	m = kmm_boot(cmd);	/* not the harness's: its cache is not empty at the end */
	assert_true(m != NULL);
	a = kmm_spawn(m, "A");
	fd = kmm_open(a, "/keep", KMM_O_CREAT | KMM_O_WRONLY);
	assert_true(fd >= 3);
	assert_eq(kmm_write(a, fd, w, sizeof(w)), (long)sizeof(w));
	expect_str_contains(t_dmesg(m), "kmmfs (kmmd0): new filesystem, 2048 blocks of 4096");
	kmm_exit(a, 0);
	assert_eq(kmm_sync(m), 0);
	expect_eq(kmm_unlink(m, "/keep"), 0);	/* the cache goes, and so would the file ... */
	fd = kmm_open(kmm_spawn(m, "B"), "/keep2", KMM_O_CREAT | KMM_O_RDWR);
	assert_true(fd >= 3);
	assert_eq(kmm_pwrite(kmm_task_by_pid(m, 2), fd, w, sizeof(w), 0), (long)sizeof(w));
	kmm_exit(kmm_task_by_pid(m, 2), 0);
	/* ... so /keep2 is kept: its dirty pages are written by the unmount at shutdown */
	expect_true(meminfo_kb(m, "Dirty:") >= 4 * 4);
	expect_eq(kmm_check(m), 0);
	kmm_shutdown(m);

	m = t_boot(cmd);
	a = kmm_spawn(m, "A");
	expect_eq(kmm_open(a, "/keep", KMM_O_RDONLY), -ENOENT);
	fd = kmm_open(a, "/keep2", KMM_O_RDONLY);
	assert_true(fd >= 3);
	expect_str_contains(t_dmesg(m), "kmmfs (kmmd0): mounted filesystem");
	assert_eq(kmm_read(a, fd, r, sizeof(r) + 100), (long)sizeof(r));
	expect_true(!memcmp(r, w, sizeof(r)));
	kmm_exit(a, 0);
	expect_eq(kmm_task_release(a), 0);	/* the zombie's task_struct is a slab object */
	expect_eq(kmm_unlink(m, "/keep2"), 0);
	t_done(m);
	unlink(img);
	rmdir(dir);
}

TEST(tmpfs_files_are_shared_memory)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A"), *b = kmm_spawn(m, "B");
	uint64_t ma, mb;
	unsigned char x = 0x77, y = 0;
	int fa = kmm_open(a, "/dev/shm/seg", KMM_O_CREAT | KMM_O_RDWR);
	int fb = kmm_open(b, "/dev/shm/seg", KMM_O_RDWR);
	long shmem0 = meminfo_kb(m, "Shmem:");

	assert_true(fa >= 3 && fb >= 3);
	assert_eq(kmm_ftruncate(a, fa, 16 * PG), 0);
	assert_eq(kmm_mmap_fd(a, fa, 0, 16 * PG, KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_SHARED, 0, &ma), 0);
	assert_eq(kmm_mmap_fd(b, fb, 0, 16 * PG, KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_SHARED, 0, &mb), 0);
	assert_eq(kmm_access(a, ma + 5 * PG, &x, 1, true), 0);
	assert_eq(kmm_access(b, mb + 5 * PG, &y, 1, false), 0);
	expect_eq(y, 0x77);
	expect_eq(meminfo_kb(m, "Shmem:") - shmem0, 4);
	expect_eq(meminfo_kb(m, "Dirty:"), 0);		/* shmem is never counted dirty */
	assert_eq(kmm_pread(b, fb, &y, 1, 5 * PG), 1);
	expect_eq(y, 0x77);
	kmm_exit(a, 0);
	kmm_exit(b, 0);
	expect_eq(kmm_unlink(m, "/dev/shm/seg"), 0);
	expect_eq(meminfo_kb(m, "Shmem:"), shmem0);
	done(m);
}

TEST(bad_calls_are_refused_and_change_nothing)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *a = kmm_spawn(m, "A");
	unsigned char b[16] = { 0 };
	uint64_t out;
	int fd;

	expect_eq(kmm_open(a, "relative", KMM_O_CREAT | KMM_O_RDWR), -EINVAL);
	expect_eq(kmm_open(a, "/dir/", KMM_O_CREAT | KMM_O_RDWR), -EINVAL);
	expect_eq(kmm_open(a, "/a/very/long/name/that/goes/on/and/on/and/on/past/sixty/four/bytes", KMM_O_CREAT),
		  -ENAMETOOLONG);
	expect_eq(kmm_open(a, "/x", KMM_O_ACCMODE), -EINVAL);
	fd = kmm_open(a, "/x", KMM_O_CREAT | KMM_O_RDONLY);
	assert_true(fd >= 3);
	expect_eq(kmm_open(a, "/x", KMM_O_CREAT | KMM_O_EXCL | KMM_O_RDWR), -EEXIST);
	expect_eq(kmm_write(a, fd, b, sizeof(b)), -EBADF);
	expect_eq(kmm_read(a, fd + 1, b, sizeof(b)), -EBADF);
	expect_eq(kmm_mmap_fd(a, fd, 0, PG, KMM_PROT_READ, KMM_MAP_SHARED, 1, &out), -EINVAL);
	expect_eq(kmm_fadvise(a, fd, 0, 0, 99), -EINVAL);
	expect_eq(kmm_lseek(a, fd, -1, KMM_SEEK_SET), -EINVAL);
	/*
	 * Offsets and lengths are loff_t: a negative one is EINVAL, for pread,
	 * pwrite and ftruncate before the fd is looked at (review17 R3: EFBIG,
	 * or 0 bytes read, before).
	 */
	expect_eq(kmm_pread(a, fd, b, 1, ~0ULL), -EINVAL);
	expect_eq(kmm_pwrite(a, fd + 1, b, 1, 1ULL << 63), -EINVAL);
	expect_eq(kmm_ftruncate(a, fd + 1, ~0ULL), -EINVAL);
	expect_eq(kmm_fadvise(a, fd, 0, ~0ULL, KMM_POSIX_FADV_DONTNEED), -EINVAL);
	expect_eq(kmm_pread(a, fd, b, 2, (uint64_t)INT64_MAX - 1), -EINVAL);	/* ends past it */
	expect_eq(kmm_pread(a, fd, b, 1, (uint64_t)INT64_MAX - 1), 0);
	/* mapping an empty file succeeds; touching it is SIGBUS */
	assert_eq(kmm_mmap_fd(a, fd, 0, PG, KMM_PROT_READ, KMM_MAP_PRIVATE, 0, &out), 0);
	expect_eq(kmm_access(a, out, b, 1, false), -EFAULT);
	expect_eq(kmm_task_exit_info(a).signal, KMM_SIGBUS);
	expect_eq(kmm_unlink(m, "/x"), 0);
	done(m);
}

/*
 * generic_write_check_limits(): a write that starts below the largest file
 * size and runs past it is cut short there; one that starts at it is EFBIG
 * (kmm refused the whole write before).
 */
TEST(a_write_past_the_largest_size_is_cut_short)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *a = kmm_spawn(m, "A");
	unsigned char b[16], r[16];
	const uint64_t max = 64ULL << 30;	/* kmmfs's s_maxbytes */
	int fd = kmm_open(a, "/big", KMM_O_CREAT | KMM_O_RDWR);

	assert_true(fd >= 3);
	memset(b, 0x5c, sizeof(b));
	expect_eq(kmm_pwrite(a, fd, b, sizeof(b), max - 10), 10);
	expect_eq(kmm_pwrite(a, fd, b, sizeof(b), max), -EFBIG);
	/* nothing to write is 0 even there (generic_write_checks_count() looks at the count first) */
	expect_eq(kmm_pwrite(a, fd, b, 0, max), 0);
	expect_eq(kmm_pwrite(a, fd, b, 0, max + PG), 0);
	expect_eq(kmm_pread(a, fd, r, sizeof(r), max - 10), 10);
	expect_eq(memcmp(r, b, 10), 0);
	/* the file position moves by what was written */
	expect_eq(kmm_lseek(a, fd, (int64_t)max - 4, KMM_SEEK_SET), (int64_t)max - 4);
	expect_eq(kmm_write(a, fd, b, sizeof(b)), 4);
	expect_eq(kmm_lseek(a, fd, 0, KMM_SEEK_CUR), (int64_t)max);
	expect_eq(kmm_write(a, fd, b, sizeof(b)), -EFBIG);
	expect_eq(kmm_write(a, fd, b, 0), 0);
	expect_eq(kmm_lseek(a, fd, 0, KMM_SEEK_CUR), (int64_t)max);
	expect_eq(kmm_ftruncate(a, fd, 0), 0);
	expect_eq(kmm_close(a, fd), 0);
	expect_eq(kmm_unlink(m, "/big"), 0);
	kmm_exit(a, 0);
	done(m);
}

/*
 * Memory pressure: a file bigger than what is free is written (the flusher
 * keeps Dirty under the limits), an anonymous working set is touched, and
 * more anonymous memory is asked for. At the default swappiness reclaim
 * takes clean file pages long before it swaps; every byte still reads back.
 */
TEST(reclaim_takes_clean_file_pages_first_and_writes_dirty_ones)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *a = kmm_spawn(m, "A");
	const size_t file_pages = 12000;	/* 47 MiB of file on a 64 MiB machine */
	static unsigned char w[PG];
	unsigned long bg, thresh;
	uint64_t anon;
	int fd;

	assert_true(kmm_mkswap(m, "/swapfile", 32 << 20) > 0);
	assert_eq(kmm_swapon(m, "/swapfile", -1), 0);
	fd = kmm_open(a, "/big", KMM_O_CREAT | KMM_O_RDWR);
	assert_true(fd >= 3);
	for (size_t i = 0; i < file_pages; i++) {
		fill(w, PG, i * PG, 8);
		assert_eq(kmm_write(a, fd, w, PG), PG);
		if (i % 1000 == 0) {
			/* the dirty limit holds while writing */
			char *s = NULL;
			assert_eq(kmm_sysctl_read(m, "vm.dirty_ratio", &s), 0);
			free(s);
			long dirty = vmstat_val(m, "nr_dirty"), lim = vmstat_val(m, "nr_dirty_background_threshold");
			expect_true(dirty <= lim);
		}
	}
	(void)bg;
	(void)thresh;
	expect_true(vmstat_val(m, "nr_written") > 0);
	long pswpout0 = vmstat_val(m, "pswpout"), steal_file0 = vmstat_val(m, "pgsteal_file");
	/* 24 MiB of anonymous memory, written */
	assert_eq(kmm_mmap(a, 0, 24 << 20, KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_PRIVATE, &anon), 0);
	for (uint64_t off = 0; off < (24 << 20); off += PG) {
		uint64_t v = off * 7 + 1;
		assert_eq(kmm_access(a, anon + off, &v, sizeof(v), true), 0);
	}
	long steal_file = vmstat_val(m, "pgsteal_file") - steal_file0;
	long swapped = vmstat_val(m, "pswpout") - pswpout0;
	expect_true(steal_file > 1000);
	expect_true(swapped * 10 < steal_file);
	expect_true(kmm_check(m) == 0);
	/* every byte is intact: the file and the anonymous memory */
	expect_true(reads_back_every(a, fd, file_pages, 7, 8));
	for (uint64_t off = 0; off < (24 << 20); off += 13 * PG) {
		uint64_t v = 0;
		assert_eq(kmm_access(a, anon + off, &v, sizeof(v), false), 0);
		expect_eq(v, off * 7 + 1);
	}
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/big"), 0);
	assert_eq(kmm_swapoff(m, "/swapfile"), 0);
	done(m);
}

/*
 * With the background and hard limits out of the way, dirty pages pile up;
 * anonymous memory then makes reclaim write them (pageout) before it frees
 * them. Every byte reads back.
 */
TEST(reclaim_writes_dirty_file_pages_before_dropping_them)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	const size_t file_pages = 12288;	/* 48 MiB, all dirty */
	static unsigned char w[PG];
	uint64_t anon;
	int fd;

	assert_eq(kmm_sysctl_write(m, "vm.dirty_background_ratio", "90"), 0);
	assert_eq(kmm_sysctl_write(m, "vm.dirty_ratio", "100"), 0);
	fd = kmm_open(a, "/dirty", KMM_O_CREAT | KMM_O_RDWR);
	assert_true(fd >= 3);
	for (size_t i = 0; i < file_pages; i++) {
		fill(w, PG, i * PG, 9);
		assert_eq(kmm_write(a, fd, w, PG), PG);
	}
	expect_eq(vmstat_val(m, "nr_dirty"), (long)file_pages);
	expect_eq(vmstat_val(m, "nr_written"), 0);
	/* no swap: reclaim can only take file pages, and these must be written first */
	assert_eq(kmm_mmap(a, 0, 80 << 20, KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_PRIVATE, &anon), 0);
	assert_eq(kmm_touch(a, anon, 80 << 20, true), 0);
	long written = vmstat_val(m, "nr_written");
	expect_true(written > 1000);
	/* every page is dirty, under writeback (started, not completed) or written */
	expect_eq(vmstat_val(m, "nr_dirty") + vmstat_val(m, "nr_writeback") + written, (long)file_pages);
	expect_true(kmm_check(m) == 0);
	assert_eq(kmm_munmap(a, anon, 80 << 20), 0);
	expect_true(reads_back_every(a, fd, file_pages, 5, 9));
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/dirty"), 0);
	done(m);
}

/* Two processes running the same image map the same text frames from the page cache. */
TEST(text_pages_of_one_image_are_shared)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A"), *b = kmm_spawn(m, "B");
	const struct kmm_exec_image img = { .path = "/usr/bin/app", .text = 64 << 10, .data = 16 << 10 };
	struct page *pa = NULL, *pb = NULL;
	unsigned char x, y;

	assert_eq(kmm_exec(a, &img), 0);
	assert_eq(kmm_exec(b, &img), 0);
	uint64_t text = a->mm->start_code + 5 * PG;
	expect_eq(text, b->mm->start_code + 5 * PG);
	unsigned long maj_a = task_flt(a, true), maj_b = task_flt(b, true);
	assert_eq(kmm_access(a, text, &x, 1, false), 0);
	assert_eq(kmm_access(b, text, &y, 1, false), 0);
	expect_eq(x, y);
	expect_eq(task_flt(a, true), maj_a + 1);	/* read from the image */
	expect_eq(task_flt(b, true), maj_b);		/* found in the page cache: minor */
	assert_eq(get_user_pages_remote(a->mm, text, 1, 0, &pa), 1);
	assert_eq(get_user_pages_remote(b->mm, text, 1, 0, &pb), 1);
	expect_true(pa == pb);
	expect_eq(page_mapcount(pa), 2);
	put_user_page_ref(pa);
	put_user_page_ref(pb);
	/* a different image is a different file */
	const struct kmm_exec_image other = { .path = "/usr/bin/other", .text = 64 << 10, .data = 16 << 10 };
	assert_eq(kmm_exec(b, &other), 0);
	assert_eq(kmm_access(b, text, &y, 1, false), 0);
	assert_eq(get_user_pages_remote(b->mm, text, 1, 0, &pb), 1);
	expect_true(pa != pb);
	put_user_page_ref(pb);
	kmm_exit(a, 0);
	kmm_exit(b, 0);
	done(m);
}

/* msync(MS_SYNC) writes what a shared mapping dirtied; mincore sees the page cache. */
TEST(msync_and_mincore)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A"), *b = kmm_spawn(m, "B");
	static unsigned char w[8 * PG], pg[PG];
	unsigned char vec[8], x = 0x99;
	uint64_t ma;
	int fa = kmm_open(a, "/data/ms", KMM_O_CREAT | KMM_O_RDWR);

	fill(w, sizeof(w), 0, 10);
	assert_eq(kmm_write(a, fa, w, sizeof(w)), (long)sizeof(w));
	assert_eq(kmm_fsync(a, fa), 0);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	assert_eq(kmm_mmap_fd(a, fa, 0, sizeof(w), KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_SHARED, 0, &ma), 0);
	/* nothing resident yet; A reads page 2, B reads page 5 with pread */
	assert_eq(kmm_mincore(a, ma, sizeof(w), vec), 0);
	for (int i = 0; i < 8; i++)
		expect_eq(vec[i], 0);
	assert_eq(kmm_access(a, ma + 2 * PG, &x, 1, false), 0);
	int fb = kmm_open(b, "/data/ms", KMM_O_RDONLY);
	assert_eq(kmm_pread(b, fb, pg, 1, 5 * PG), 1);	/* B's read fills A's view too */
	kmm_close(b, fb);
	assert_eq(kmm_mincore(a, ma, sizeof(w), vec), 0);
	expect_eq(vec[2], 1);
	expect_eq(vec[5], 1);
	/* a store, then msync: the image has it and Dirty is 0 */
	x = 0x99;
	assert_eq(kmm_access(a, ma + 6 * PG + 7, &x, 1, true), 0);
	w[6 * PG + 7] = 0x99;
	expect_eq(meminfo_kb(m, "Dirty:"), 4);
	expect_eq(kmm_msync(a, ma, sizeof(w), KMM_MS_ASYNC), 0);
	expect_eq(meminfo_kb(m, "Dirty:"), 4);
	expect_eq(kmm_msync(a, ma, sizeof(w), KMM_MS_SYNC), 0);
	expect_eq(meminfo_kb(m, "Dirty:"), 0);
	assert_eq(image_page(m, "/data/ms", 6, pg), 0);
	expect_true(!memcmp(pg, w + 6 * PG, PG));
	/* errors: a hole, bad flags, an unaligned start */
	expect_eq(kmm_msync(a, ma, sizeof(w) + 64 * PG, KMM_MS_SYNC), -ENOMEM);
	expect_eq(kmm_msync(a, ma, PG, KMM_MS_SYNC | KMM_MS_ASYNC), -EINVAL);
	expect_eq(kmm_mincore(a, ma + 1, PG, vec), -EINVAL);
	/*
	 * lengths near 2^64 (review19 R1): sys_mincore's access_ok() gives -ENOMEM
	 * (its page count does not wrap to 0); sys_msync -ENOMEM when the rounded end
	 * wraps, and 0 when the length itself rounds up to 0 bytes.
	 */
	expect_eq(kmm_mincore(a, ma, UINT64_MAX, vec), -ENOMEM);
	expect_eq(kmm_mincore(a, ma, UINT64_MAX - 2 * PG, vec), -ENOMEM);
	expect_eq(kmm_msync(a, ma, UINT64_MAX - 2 * PG, KMM_MS_SYNC), -ENOMEM);
	expect_eq(kmm_msync(a, ma, UINT64_MAX, KMM_MS_SYNC), 0);
	kmm_exit(a, 0);
	kmm_exit(b, 0);
	expect_eq(kmm_unlink(m, "/data/ms"), 0);
	done(m);
}

/* Periodic writeback: dirty data older than vm.dirty_expire_centisecs goes out. */
TEST(old_dirty_data_is_written_by_the_periodic_flusher)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char w[4 * PG];
	int fd = kmm_open(a, "/data/old", KMM_O_CREAT | KMM_O_RDWR);

	fill(w, sizeof(w), 0, 11);
	assert_eq(kmm_write(a, fd, w, sizeof(w)), (long)sizeof(w));
	expect_eq(meminfo_kb(m, "Dirty:"), 16);
	kmm_clock_advance(m, 10ull * 1000000000);	/* 10 s: younger than 30 s */
	kmm_writeback_run_pending(m);
	expect_eq(meminfo_kb(m, "Dirty:"), 16);
	kmm_clock_advance(m, 21ull * 1000000000);	/* 31 s */
	expect_eq(kmm_writeback_run_pending(m), 4);
	expect_eq(meminfo_kb(m, "Dirty:"), 0);
	/* dirty_writeback_centisecs = 0 turns the periodic flusher off */
	assert_eq(kmm_sysctl_write(m, "vm.dirty_writeback_centisecs", "0"), 0);
	assert_eq(kmm_pwrite(a, fd, w, 10, 0), 10);
	kmm_clock_advance(m, 60ull * 1000000000);
	expect_eq(kmm_writeback_run_pending(m), 0);
	expect_eq(meminfo_kb(m, "Dirty:"), 4);
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/old"), 0);
	done(m);
}

/* The file calls are on the event stream as sys_enter/sys_exit with Linux's numbers. */
struct sys_seen {
	int enter[256], exit[256];
	long ret[256];
};

static int count_sys(struct kmm_machine *m, const struct kmm_event *ev, void *arg)
{
	struct sys_seen *s = arg;

	(void)m;
	if (ev->sys.nr < 0 || ev->sys.nr >= 256)
		return 0;
	if (ev->type == KMM_EV_SYS_ENTER)
		s->enter[ev->sys.nr]++;
	else {
		s->exit[ev->sys.nr]++;
		s->ret[ev->sys.nr] = (long)ev->sys.ret;
	}
	return 0;
}

TEST(file_calls_are_on_the_event_stream)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	static struct sys_seen seen;
	struct kmm_trace_sub sub = { "test", KMM_EVBIT(KMM_EV_SYS_ENTER) | KMM_EVBIT(KMM_EV_SYS_EXIT),
				     count_sys, &seen };
	unsigned char b[100] = { 0 };
	int id = kmm_trace_subscribe(m, &sub), fd;

	assert_true(id >= 0);
	fd = kmm_open(a, "/t", KMM_O_CREAT | KMM_O_RDWR);
	assert_eq(kmm_write(a, fd, b, sizeof(b)), (long)sizeof(b));
	assert_eq(kmm_pread(a, fd, b, 10, 0), 10);
	assert_eq(kmm_fsync(a, fd), 0);
	assert_eq(kmm_close(a, fd), 0);
	assert_eq(kmm_unlink(m, "/t"), 0);
	kmm_trace_unsubscribe(m, id);
	expect_eq(seen.enter[KMM_SYS_OPEN], 1);
	expect_eq(seen.ret[KMM_SYS_OPEN], fd);
	expect_eq(seen.exit[KMM_SYS_WRITE], 1);
	expect_eq(seen.ret[KMM_SYS_WRITE], 100);
	expect_eq(seen.ret[KMM_SYS_PREAD64], 10);
	expect_eq(seen.exit[KMM_SYS_FSYNC], 1);
	expect_eq(seen.exit[KMM_SYS_CLOSE], 1);
	expect_eq(seen.ret[KMM_SYS_UNLINK], 0);
	kmm_exit(a, 0);
	done(m);
}

/*
 * Truncating into the middle of a page that is not cached, then extending
 * the file again: the bytes past the cut read as zeros (the partial page is
 * read in and its tail zeroed, as Linux's block_truncate_page). A store
 * through a mapping past the end of the file never reaches the image.
 */
TEST(bytes_past_a_truncation_read_as_zeros_after_extending)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char w[2 * PG], r[2 * PG];
	uint64_t ma;
	int fd = kmm_open(a, "/data/z", KMM_O_CREAT | KMM_O_RDWR);

	memset(w, 0xaa, sizeof(w));
	assert_eq(kmm_write(a, fd, w, sizeof(w)), (long)sizeof(w));
	assert_eq(kmm_fsync(a, fd), 0);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	assert_eq(kmm_ftruncate(a, fd, 100), 0);
	assert_eq(kmm_fsync(a, fd), 0);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	assert_eq(kmm_ftruncate(a, fd, sizeof(w)), 0);
	assert_eq(kmm_pread(a, fd, r, sizeof(r), 0), (long)sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++)
		if (r[i] != (i < 100 ? 0xaa : 0)) {
			kmm_test_fail(__FILE__, __LINE__, "byte %zu is %#x", i, r[i]);
			break;
		}
	/* a mapping's store past the end (in the last page) is not written */
	assert_eq(kmm_ftruncate(a, fd, 100), 0);
	assert_eq(kmm_mmap_fd(a, fd, 0, PG, KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_SHARED, 0, &ma), 0);
	unsigned char x = 0x77;
	assert_eq(kmm_access(a, ma + 50, &x, 1, true), 0);
	assert_eq(kmm_access(a, ma + 200, &x, 1, true), 0);
	assert_eq(kmm_fsync(a, fd), 0);
	assert_eq(kmm_munmap(a, ma, PG), 0);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	assert_eq(kmm_ftruncate(a, fd, PG), 0);
	assert_eq(kmm_pread(a, fd, r, PG, 0), PG);
	expect_eq(r[50], 0x77);
	expect_eq(r[200], 0);
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/z"), 0);
	done(m);
}

/*
 * Open files are closed when their process exits (do_exit's exit_files),
 * not later: an unlinked file's pages leave the cache the moment its last
 * opener dies, with no file call in between; a killed process's go too.
 */
TEST(open_files_are_closed_when_their_process_exits)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A"), *b = kmm_spawn(m, "B");
	long cached0 = meminfo_kb(m, "Cached:");
	int fa, fb;

	assert_eq(kmm_mkfile(m, "/data/gone", 64 * PG, 0x11), 0);
	fa = kmm_open(a, "/data/gone", KMM_O_RDONLY);
	fb = kmm_open(b, "/data/gone", KMM_O_RDONLY);
	assert_true(fa >= 3 && fb >= 3);
	assert_eq(kmm_unlink(m, "/data/gone"), 0);
	expect_eq(meminfo_kb(m, "Cached:"), cached0 + 64 * 4);
	/* A exits: B still holds the file */
	kmm_exit(a, 0);
	expect_eq(meminfo_kb(m, "Cached:"), cached0 + 64 * 4);
	/* B is killed: its descriptor closes at once, and the file with it */
	assert_eq(kmm_kill(b, KMM_SIGKILL), 0);
	expect_eq(meminfo_kb(m, "Cached:"), cached0);
	expect_eq(kmm_close(b, fb), -EBADF);
	done(m);
}

/*
 * pagecache_isize_extended(): what a shared mapping stored past the end of
 * the file, in its last page, stays out of the file when the file grows -
 * by a write() past the end, or by ftruncate() - while the page is still
 * cached and dirty (no writeback or drop between).
 */
TEST(stores_past_the_end_do_not_reappear_when_the_file_grows)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char r[2 * PG];
	unsigned char x = 0x77, w = 0x42;
	uint64_t ma;
	int fd = kmm_open(a, "/data/tail", KMM_O_CREAT | KMM_O_RDWR);

	assert_true(fd >= 3);
	memset(r, 0xaa, 100);
	assert_eq(kmm_write(a, fd, r, 100), 100);
	assert_eq(kmm_mmap_fd(a, fd, 0, PG, KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_SHARED, 0, &ma), 0);
	assert_eq(kmm_access(a, ma + 50, &x, 1, true), 0);	/* inside the file */
	assert_eq(kmm_access(a, ma + 200, &x, 1, true), 0);	/* past its end */
	assert_eq(kmm_access(a, ma + 3000, &x, 1, true), 0);	/* past its end */
	/* a write() at 1000 grows the file: 100..999 read as zeros, not the store at 200 */
	assert_eq(kmm_pwrite(a, fd, &w, 1, 1000), 1);
	assert_eq(kmm_pread(a, fd, r, PG, 0), 1001);
	expect_eq(r[50], 0x77);
	expect_eq(r[200], 0);
	expect_eq(r[1000], 0x42);
	/* ftruncate() grows it over the store at 3000: zeros too */
	assert_eq(kmm_ftruncate(a, fd, 2 * PG), 0);
	assert_eq(kmm_pread(a, fd, r, 2 * PG, 0), (long)(2 * PG));
	expect_eq(r[3000], 0);
	expect_eq(r[1000], 0x42);
	/* and so does the image after fsync */
	assert_eq(kmm_fsync(a, fd), 0);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	assert_eq(kmm_munmap(a, ma, PG), 0);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	assert_eq(kmm_pread(a, fd, r, 2 * PG, 0), (long)(2 * PG));
	expect_eq(r[50], 0x77);
	expect_eq(r[200], 0);
	expect_eq(r[3000], 0);
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/tail"), 0);
	done(m);
}

/*
 * exec of a path that names a file of the filesystem maps that file: text
 * and data are its bytes, every process running it shares its page-cache
 * frames, /proc/PID/maps shows kmmd0's device (fe:00) and its inode; a
 * file shorter than the image's text and data is refused.
 */
TEST(exec_of_a_file_of_the_filesystem_maps_its_bytes)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A"), *b = kmm_spawn(m, "B");
	const struct kmm_exec_image img = { .path = "/usr/bin/real", .text = 64 << 10, .data = 16 << 10 };
	static unsigned char want[PG], got[PG];
	struct page *pa = NULL, *pb = NULL;
	char path[64], *maps;
	int fd;

	assert_eq(kmm_mkfile(m, "/usr/bin/real", 80 << 10, -1), 0);
	fd = kmm_open(a, "/usr/bin/real", KMM_O_RDONLY);
	assert_true(fd >= 3);
	assert_eq(kmm_pread(a, fd, want, PG, 5 * PG), (long)PG);
	assert_eq(kmm_close(a, fd), 0);
	assert_eq(kmm_exec(a, &img), 0);
	assert_eq(kmm_exec(b, &img), 0);
	uint64_t text = a->mm->start_code + 5 * PG;
	assert_eq(kmm_access(a, text, got, PG, false), 0);
	expect_true(!memcmp(got, want, PG));
	assert_eq(kmm_access(b, text, got, PG, false), 0);
	expect_true(!memcmp(got, want, PG));
	assert_eq(get_user_pages_remote(a->mm, text, 1, 0, &pa), 1);
	assert_eq(get_user_pages_remote(b->mm, text, 1, 0, &pb), 1);
	expect_true(pa == pb);
	put_user_page_ref(pa);
	put_user_page_ref(pb);
	snprintf(path, sizeof(path), "/proc/%d/maps", kmm_task_pid(a));
	maps = t_proc(m, path);
	expect_true(maps && strstr(maps, "r-xp 00000000 fe:00 ") && strstr(maps, "/usr/bin/real"));
	free(maps);
	/* a store to the private data copies: the file keeps its bytes */
	unsigned char x = 0xee;
	assert_eq(kmm_access(a, a->mm->start_data, &x, 1, true), 0);
	fd = kmm_open(b, "/usr/bin/real", KMM_O_RDONLY);
	assert_eq(kmm_pread(b, fd, got, 1, 64 << 10), 1);
	expect_ne(got[0], 0xee);
	assert_eq(kmm_close(b, fd), 0);
	/* too short for the image */
	const struct kmm_exec_image big = { .path = "/usr/bin/real", .text = 1 << 20 };
	expect_eq(kmm_exec(b, &big), -ENOEXEC);
	/* a path that names no file gets one installed: on kmmd0 too */
	const struct kmm_exec_image other = { .path = "/usr/bin/other", .text = 64 << 10 };
	assert_eq(kmm_exec(b, &other), 0);
	snprintf(path, sizeof(path), "/proc/%d/maps", kmm_task_pid(b));
	maps = t_proc(m, path);
	expect_true(maps && strstr(maps, "r-xp 00000000 fe:00 ") && strstr(maps, "/usr/bin/other"));
	expect_true(maps && !strstr(maps, " 08:01 "));
	free(maps);
	kmm_exit(a, 0);
	kmm_exit(b, 0);
	expect_eq(kmm_unlink(m, "/usr/bin/real"), 0);
	expect_eq(kmm_unlink(m, "/usr/bin/other"), 0);
	done(m);
}

/* The /proc/PID/maps line of a file mapping, as Linux 6.12 prints it on a 64-bit machine. */
static void maps_line(char *out, size_t len, const char *range, const char *perms, unsigned long long off,
		      unsigned long ino, const char *path)
{
	int n = snprintf(out, len, "%s %s %08llx fe:00 %lu ", range, perms, off, ino);

	/* seq_pad(): blanks to column 72 (25 + 6 * sizeof(void *) - 1), then one more */
	snprintf(out + n, len - (size_t)n, "%*s %s\n", n < 72 ? 72 - n : 0, "", path);
}

/* The bytes of page @idx of @t's text, loaded through its mapping. */
static void load_text(struct task_struct *t, unsigned long idx, unsigned char *out)
{
	if (kmm_access(t, t->mm->start_code + idx * PG, out, PG, false))
		kmm_test_fail(__FILE__, __LINE__, "load of text page %lu: %s", idx, kmm_last_error());
}

/*
 * exec of a path that names no file installs the program as a file of
 * kmmfs (its bytes generated from the path, written to the disk): maps
 * shows kmmd0's device and the file's inode as Linux does, the host image
 * holds the bytes the processes load, two processes running it share its
 * page-cache frames, fincore sees them, and drop_caches, reclaim and
 * refault detection treat them as any file's pages. spawn's /bin/COMM is
 * such a file too.
 */
TEST(exec_installs_its_program_as_a_file_of_the_filesystem)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A"), *b = kmm_spawn(m, "B");
	const struct kmm_exec_image img = { .path = "/usr/bin/tool", .text = 1 << 20, .data = 16 << 10 };
	static unsigned char got[PG], disk[PG], vec[512];
	char path[64], want[256], *maps;
	uint64_t size = 0;
	struct page *pa = NULL, *pb = NULL;

	assert_true(a && b);
	/* spawn ran /bin/A and /bin/B: 8 pages of text and 2 of data each, on the disk */
	expect_eq(kmm_file_size(m, "/bin/A", &size), 0);
	expect_eq(size, 10 * PG);
	expect_eq(kmm_file_size(m, "/bin/B", &size), 0);
	expect_eq(kmm_file_size(m, "/usr/bin/tool", &size), -ENOENT);
	assert_eq(kmm_exec(a, &img), 0);
	expect_eq(kmm_file_size(m, "/usr/bin/tool", &size), 0);
	expect_eq(size, (1 << 20) + (16 << 10));
	/* nothing read yet: installing wrote the disk, not the page cache */
	expect_eq(kmm_fincore(m, "/usr/bin/tool", vec, sizeof(vec)), 0);
	assert_eq(kmm_exec(b, &img), 0);
	/* maps: /bin/A was inode 12, /bin/B 13, the tool 14 (kmmfs's numbers) */
	snprintf(path, sizeof(path), "/proc/%d/maps", kmm_task_pid(a));
	maps = t_proc(m, path);
	maps_line(want, sizeof(want), "00400000-00500000", "r-xp", 0, 14, "/usr/bin/tool");
	expect_true(maps && !strncmp(maps, want, strlen(want)));
	maps_line(want, sizeof(want), "00500000-00504000", "rw-p", 1 << 20, 14, "/usr/bin/tool");
	expect_true(maps && strstr(maps, want));
	free(maps);
	/* the bytes a process loads are the disk's, and the same for both */
	unsigned long maj = task_flt(a, true);
	load_text(a, 3, got);
	expect_eq(task_flt(a, true), maj + 1);
	assert_eq(image_page(m, "/usr/bin/tool", 3, disk), 0);
	expect_true(!memcmp(got, disk, PG));
	maj = task_flt(b, true);
	load_text(b, 3, got);
	expect_eq(task_flt(b, true), maj);		/* in the page cache: minor */
	expect_true(!memcmp(got, disk, PG));
	assert_eq(get_user_pages_remote(a->mm, a->mm->start_code + 3 * PG, 1, 0, &pa), 1);
	assert_eq(get_user_pages_remote(b->mm, b->mm->start_code + 3 * PG, 1, 0, &pb), 1);
	expect_true(pa == pb);
	put_user_page_ref(pa);
	put_user_page_ref(pb);
	long cached = kmm_fincore(m, "/usr/bin/tool", vec, sizeof(vec));
	expect_true(cached >= 16);		/* read-around: ra_pages around page 3 */
	/* mapped pages stay through drop_caches; once no one runs it they go */
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	expect_true(kmm_fincore(m, "/usr/bin/tool", vec, sizeof(vec)) > 0);
	kmm_exit(b, 0);
	assert_eq(kmm_exec(a, &(struct kmm_exec_image){ .path = "/bin/A", .text = 8 * PG, .data = 2 * PG }), 0);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	expect_eq(kmm_fincore(m, "/usr/bin/tool", vec, sizeof(vec)), 0);
	/* read by a process again, then evicted by reclaim (unmapped, inactive): refaults counted */
	struct task_struct *c = kmm_spawn(m, "C");
	assert_true(c != NULL);
	assert_eq(kmm_exec(c, &img), 0);
	for (unsigned long i = 0; i < 256; i++)
		load_text(c, i, got);
	assert_eq(kmm_exec(c, &(struct kmm_exec_image){ .path = "/bin/C", .text = 8 * PG, .data = 2 * PG }), 0);
	lru_add_drain_all(m);
	long refault0 = vmstat_val(m, "workingset_refault_file");
	cached = kmm_fincore(m, "/usr/bin/tool", vec, sizeof(vec));
	expect_true(cached >= 256);
	expect_true(kmm_reclaim(m, 512) >= 256);
	long evicted = cached - kmm_fincore(m, "/usr/bin/tool", vec, sizeof(vec));
	expect_true(evicted > 0);
	assert_eq(kmm_exec(c, &img), 0);
	for (unsigned long i = 0; i < 256; i++)
		load_text(c, i, got);
	expect_eq(vmstat_val(m, "workingset_refault_file") - refault0, evicted);
	load_text(c, 3, got);
	expect_true(!memcmp(got, disk, PG));
	kmm_exit(a, 0);
	kmm_exit(c, 0);
	expect_eq(kmm_unlink(m, "/usr/bin/tool"), 0);
	done(m);
}

/*
 * Refault detection (mm/workingset.c): a clean file page reclaim evicts
 * leaves a shadow entry; reading it in again counts a refault, and one
 * within the working set (the active file pages) goes straight to the
 * active list. Truncation and drop_caches take the shadows with the pages.
 */
TEST(refaults_of_evicted_file_pages_are_counted_and_activated)
{
	struct kmm_machine *m = boot("mem=128M");
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char buf[1 << 20];
	static unsigned char vec[4096];
	int hot, cold;

	assert_eq(kmm_mkfile(m, "/data/hot", 4 << 20, 0x11), 0);
	assert_eq(kmm_mkfile(m, "/data/cold", 8 << 20, 0x22), 0);
	assert_eq(kmm_sync(m), 0);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	hot = kmm_open(a, "/data/hot", KMM_O_RDONLY);
	cold = kmm_open(a, "/data/cold", KMM_O_RDWR);
	assert_true(hot >= 3 && cold >= 3);
	/* the hot file read twice (active), the cold one once (inactive) */
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t off = 0; off < (4 << 20); off += sizeof(buf))
			assert_eq(kmm_pread(a, hot, buf, sizeof(buf), off), (long)sizeof(buf));
	for (uint64_t off = 0; off < (8 << 20); off += sizeof(buf))
		assert_eq(kmm_pread(a, cold, buf, sizeof(buf), off), (long)sizeof(buf));
	lru_add_drain_all(m);
	expect_true(meminfo_kb(m, "Active(file):") >= 4096);
	long refault0 = vmstat_val(m, "workingset_refault_file");
	long activate0 = vmstat_val(m, "workingset_activate_file");
	expect_eq(refault0, 0);
	/* reclaim takes inactive (cold) pages: each leaves a shadow */
	expect_true(kmm_reclaim(m, 1024) >= 1024);
	long evicted = 2048 - kmm_fincore(m, "/data/cold", vec, sizeof(vec));
	expect_true(evicted >= 1024);
	expect_eq(kmm_fincore(m, "/data/hot", vec, sizeof(vec)), 1024);
	expect_true(kmm_check(m) == 0);
	/* read again: every evicted page is a refault; those within the working set are activated */
	long active_before = meminfo_kb(m, "Active(file):");
	for (uint64_t off = 0; off < (8 << 20); off += sizeof(buf))
		assert_eq(kmm_pread(a, cold, buf, sizeof(buf), off), (long)sizeof(buf));
	lru_add_drain_all(m);
	long refaults = vmstat_val(m, "workingset_refault_file") - refault0;
	long activated = vmstat_val(m, "workingset_activate_file") - activate0;
	expect_eq(refaults, evicted);
	expect_true(activated > 0 && activated <= refaults);
	expect_eq(vmstat_val(m, "workingset_restore_file"), 0);	/* they were never the working set */
	expect_true(meminfo_kb(m, "Active(file):") >= active_before + activated * 4);
	/* evicted again, then truncated: the shadows go with the file's end */
	expect_true(kmm_reclaim(m, 1024) >= 1024);
	assert_eq(kmm_ftruncate(a, cold, 0), 0);
	expect_true(kmm_check(m) == 0);
	assert_eq(kmm_ftruncate(a, cold, 8 << 20), 0);
	assert_eq(kmm_pread(a, cold, buf, sizeof(buf), 0), (long)sizeof(buf));
	expect_eq(vmstat_val(m, "workingset_refault_file") - refault0, refaults);	/* no shadow was left */
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/hot"), 0);
	expect_eq(kmm_unlink(m, "/data/cold"), 0);
	done(m);
}

/* Present pages of every zone (/proc/zoneinfo): the shadow-node limit is a function of them. */
static long present_pages(struct kmm_machine *m)
{
	char *text = t_proc(m, "/proc/zoneinfo"), *p = text;
	long sum = 0;

	while (p && (p = strstr(p, "\n        present ")) != NULL) {
		p += strlen("\n        present ");
		sum += strtol(p, &p, 10);
	}
	free(text);
	return sum;
}

/*
 * Shadow nodes (mm/workingset.c): pages evicted one per 64-page stretch
 * of a file leave one shadow node each (workingset_nodes); below Linux's
 * limit (present pages >> 3) the "mm-shadow" shrinker leaves them alone,
 * past it reclaim and drop_caches 2 free whole nodes (workingset_nodereclaim)
 * and their refaults are no longer detected; truncation takes the rest.
 */
TEST(shadow_nodes_are_counted_and_shrunk_past_their_limit)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char vec[1 << 18];
	const unsigned long stride = 64;	/* one page per leaf node of the index */
	long max_nodes = present_pages(m) >> 3;
	unsigned long n = (unsigned long)max_nodes + 768;
	unsigned char x;
	int fd;

	assert_true(a && max_nodes > 1000);
	assert_true(n * stride <= sizeof(vec));
	fd = kmm_open(a, "/data/sparse", KMM_O_CREAT | KMM_O_RDWR);
	assert_true(fd >= 3);
	assert_eq(kmm_ftruncate(a, fd, (uint64_t)n * stride * PG), 0);	/* a hole: reads are zeros */
	assert_eq(kmm_fadvise(a, fd, 0, 0, KMM_POSIX_FADV_RANDOM), 0);	/* one page per read */
	expect_eq(vmstat_val(m, "workingset_nodes"), 0);
	/* a few shadows: counted, and below the limit the shrinker keeps them */
	for (unsigned long i = 0; i < 8; i++)
		assert_eq(kmm_pread(a, fd, &x, 1, i * stride * PG), 1);
	lru_add_drain_all(m);
	expect_true(kmm_reclaim(m, 64) >= 8);
	expect_eq(kmm_fincore(m, "/data/sparse", vec, sizeof(vec)), 0);
	expect_eq(vmstat_val(m, "workingset_nodes"), 8);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "2"), 0);
	expect_eq(vmstat_val(m, "workingset_nodes"), 8);
	expect_eq(vmstat_val(m, "workingset_nodereclaim"), 0);
	expect_true(kmm_check(m) == 0);
	/* past the limit: reclaim and drop_caches 2 free whole nodes */
	for (unsigned long i = 0; i < n; i++)
		assert_eq(kmm_pread(a, fd, &x, 1, i * stride * PG), 1);
	expect_eq(vmstat_val(m, "workingset_refault_file"), 8);
	expect_eq(vmstat_val(m, "workingset_nodes"), 0);	/* every shadow refaulted */
	lru_add_drain_all(m);
	expect_true(kmm_reclaim(m, n + 64) >= n);
	expect_eq(kmm_fincore(m, "/data/sparse", vec, sizeof(vec)), 0);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "2"), 0);
	long nodes = vmstat_val(m, "workingset_nodes"), freed = vmstat_val(m, "workingset_nodereclaim");
	expect_true(freed > 0);
	expect_eq(nodes + freed, (long)n);	/* each node held one shadow: none lost, none counted twice */
	expect_true(kmm_check(m) == 0);
	/* the freed nodes' shadows are gone: only the kept ones are refaults */
	long refault0 = vmstat_val(m, "workingset_refault_file");
	for (unsigned long i = 0; i < n; i++)
		assert_eq(kmm_pread(a, fd, &x, 1, i * stride * PG), 1);
	expect_eq(vmstat_val(m, "workingset_refault_file") - refault0, nodes);
	expect_eq(vmstat_val(m, "workingset_nodes"), 0);
	/* evicted again, then truncated: the nodes go with the shadows */
	lru_add_drain_all(m);
	expect_true(kmm_reclaim(m, n + 64) >= n);
	expect_true(vmstat_val(m, "workingset_nodes") > 0);
	assert_eq(kmm_ftruncate(a, fd, 0), 0);
	expect_eq(vmstat_val(m, "workingset_nodes"), 0);
	assert_eq(kmm_close(a, fd), 0);
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/sparse"), 0);
	done(m);
}

/*
 * fadvise DONTNEED writes the range (__filemap_fdatawrite_range) but does
 * not consume a write error: Linux's errseq keeps it for fsync, which
 * reports it once. The disk (fssize=1M) fills while a shared mapping's
 * dirty pages of a sparse file are written: ENOSPC.
 */
TEST(fadvise_dontneed_leaves_a_write_error_for_fsync)
{
	struct kmm_machine *m = boot("mem=128M fssize=1M");
	struct task_struct *a = kmm_spawn(m, "A");
	const uint64_t size = 2 << 20;
	unsigned char x = 0x5a;
	uint64_t map = 0;
	int fd;

	assert_true(a != NULL);
	fd = kmm_open(a, "/data/big", KMM_O_CREAT | KMM_O_RDWR);
	assert_true(fd >= 3);
	assert_eq(kmm_ftruncate(a, fd, size), 0);	/* sparse: no block yet */
	assert_eq(kmm_mmap_fd(a, fd, 0, size, KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_SHARED, 0, &map), 0);
	for (uint64_t off = 0; off < size; off += PG)
		assert_eq(kmm_access(a, map + off, &x, 1, true), 0);
	/* writing 2 MiB to a 1 MiB disk fails part way; the pages that failed stay dirty */
	assert_eq(kmm_fadvise(a, fd, 0, 0, KMM_POSIX_FADV_DONTNEED), 0);
	expect_true(meminfo_kb(m, "Dirty:") > 0);
	/* truncation drops them: the error is all that is left of them */
	assert_eq(kmm_ftruncate(a, fd, 0), 0);
	expect_eq(meminfo_kb(m, "Dirty:"), 0);
	expect_eq(kmm_fsync(a, fd), -ENOSPC);
	expect_eq(kmm_fsync(a, fd), 0);		/* reported once */
	assert_eq(kmm_close(a, fd), 0);
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/big"), 0);
	done(m);
}

/*
 * The page cache's shutdown takes the shadow nodes off its list; a file a
 * process still maps outlives it (the process layer shuts down later) and
 * its nodes are freed uncounted then: workingset_nodes falls with the list
 * at the layer's shutdown, so the counter agrees with the list to the end.
 */
TEST(workingset_nodes_fall_to_zero_when_the_page_cache_shuts_down)
{
	struct kmm_machine *m = kmm_boot("mem=64M");
	const unsigned long stride = 64;	/* one page per leaf node of the index */
	uint64_t map = 0;
	unsigned char x;

	assert_true(m != NULL);
	kmm_use(m);
	struct task_struct *a = kmm_spawn(m, "A");
	int fd = kmm_open(a, "/data/kept", KMM_O_CREAT | KMM_O_RDWR);
	assert_true(fd >= 3);
	assert_eq(kmm_ftruncate(a, fd, 8 * stride * PG), 0);
	assert_eq(kmm_fadvise(a, fd, 0, 0, KMM_POSIX_FADV_RANDOM), 0);	/* one page per read */
	for (unsigned long i = 0; i < 8; i++)
		assert_eq(kmm_pread(a, fd, &x, 1, i * stride * PG), 1);
	lru_add_drain_all(m);
	expect_true(kmm_reclaim(m, 64) >= 8);
	expect_eq(vmstat_val(m, "workingset_nodes"), 8);
	assert_eq(kmm_mmap_fd(a, fd, 0, PG, KMM_PROT_READ, KMM_MAP_SHARED, 0, &map), 0);
	expect_eq(kmm_check(m), 0);
	/* subsys_shutdown_all() down to the page cache; the process layer and below stay */
	for (int id = NR_SUBSYS - 1; id >= SUBSYS_FILEMAP; id--) {
		if (!(m->subsys_up & (1UL << id)))
			continue;
		if (kmm_subsystems[id]->shutdown)
			kmm_subsystems[id]->shutdown(m);
		m->subsys_up &= ~(1UL << id);
	}
	expect_eq(node_page_state(NODE_DATA_M(m, 0), WORKINGSET_NODES), 0);
	kmm_use(NULL);
	kmm_shutdown(m);
}
