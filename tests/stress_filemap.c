// SPDX-License-Identifier: MIT
/*
 * tests/stress_filemap.c - random file operations against a model: pwrite,
 * pread, ftruncate, fsync, sync, drop_caches, fadvise (every advice), stores
 * and loads through shared mappings with madvise on them and fault_around_bytes
 * changing, unlink and re-create, and bursts of anonymous
 * memory that push reclaim through the page cache (and swap), on a small
 * machine whose dirty limits are low. kmm_check runs after every step; every
 * byte read back (by pread or through a mapping) must equal the model. The
 * seed is printed on failure (KMM_SEED=N reruns it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/fs.h>
#include <kmm/proc.h>
#include <kmm/process.h>
#include <kmm/swap.h>

#include "tests/filemap_test.h"

#define PG 4096
#define NFILES 4
#define MAXSIZE (192 * PG)

struct mfile {
	const char *path;
	unsigned char *data;	/* the model: MAXSIZE bytes, zero past size */
	uint64_t size;
	int fd;			/* -1 when closed */
	uint64_t map;		/* 0 when not mapped */
	uint64_t map_len;
};

static void check_now(struct kmm_machine *m, uint64_t seed, int step, const char *what)
{
	if (kmm_check(m)) {
		kmm_test_fail(__FILE__, __LINE__, "seed %llu step %d (%s): kmm_check: %s",
			      (unsigned long long)seed, step, what, kmm_last_error());
		kmm_test_abort();
	}
}

static void run(const char *cmdline, int steps, bool pressure)
{
	struct kmm_machine *m = boot(cmdline);
	uint64_t seed = kmm_test_seed(), s = seed | 1;
	struct task_struct *t = kmm_spawn(m, "io");
	static unsigned char buf[MAXSIZE];
	struct mfile f[NFILES] = {
		{ "/a", NULL, 0, -1, 0, 0 }, { "/b", NULL, 0, -1, 0, 0 },
		{ "/c", NULL, 0, -1, 0, 0 }, { "/dev/shm/d", NULL, 0, -1, 0, 0 },
	};

	assert_true(t != NULL);
	assert_true(kmm_mkswap(m, "/swapfile", 16 << 20) > 0);
	assert_eq(kmm_swapon(m, "/swapfile", -1), 0);
	assert_eq(kmm_sysctl_write(m, "vm.dirty_background_bytes", "262144"), 0);
	assert_eq(kmm_sysctl_write(m, "vm.dirty_bytes", "524288"), 0);
	for (int i = 0; i < NFILES; i++) {
		f[i].data = calloc(1, MAXSIZE);
		assert_true(f[i].data != NULL);
		f[i].fd = kmm_open(t, f[i].path, KMM_O_CREAT | KMM_O_RDWR);
		assert_true(f[i].fd >= 3);
	}
	for (int step = 0; step < steps; step++) {
		struct mfile *x = &f[t_rnd(&s, NFILES)];
		int op = (int)t_rnd(&s, 13);
		const char *what = "?";

		if (x->fd < 0 && op != 9) {
			x->fd = kmm_open(t, x->path, KMM_O_CREAT | KMM_O_RDWR);
			assert_true(x->fd >= 3);
		}
		switch (op) {
		case 0: case 1: case 2: {		/* pwrite */
			uint64_t off = t_rnd(&s, MAXSIZE - 1), len = 1 + t_rnd(&s, KMM_MIN(MAXSIZE - off, 8 * PG));
			for (uint64_t i = 0; i < len; i++)
				buf[i] = (unsigned char)kmm_test_rand(&s);
			what = "pwrite";
			assert_eq(kmm_pwrite(t, x->fd, buf, len, off), (long)len);
			memcpy(x->data + off, buf, len);
			if (off + len > x->size)
				x->size = off + len;
			break;
		}
		case 3: case 4: {			/* pread, compared */
			uint64_t off = t_rnd(&s, MAXSIZE), len = 1 + t_rnd(&s, 16 * PG);
			long want = off >= x->size ? 0 : (long)KMM_MIN(len, x->size - off);
			what = "pread";
			assert_eq(kmm_pread(t, x->fd, buf, len, off), want);
			if (want && memcmp(buf, x->data + off, (size_t)want)) {
				kmm_test_fail(__FILE__, __LINE__, "seed %llu step %d: %s [%llu, +%ld) differs",
					      (unsigned long long)seed, step, x->path, (unsigned long long)off, want);
				kmm_test_abort();
			}
			break;
		}
		case 5: {				/* ftruncate */
			uint64_t size = t_rnd(&s, MAXSIZE);
			what = "ftruncate";
			assert_eq(kmm_ftruncate(t, x->fd, size), 0);
			if (size < x->size)
				memset(x->data + size, 0, x->size - size);
			x->size = size;
			break;
		}
		case 6:
			what = "fsync";
			assert_eq(kmm_fsync(t, x->fd), 0);
			break;
		case 7:
			what = t_rnd(&s, 2) ? "sync" : "drop_caches";
			if (what[0] == 's')
				assert_eq(kmm_sync(m), 0);
			else
				assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "3"), 0);
			break;
		case 8: {				/* map, store, load through the mapping */
			what = "mmap";
			if (!x->map) {
				x->map_len = MAXSIZE;
				assert_eq(kmm_mmap_fd(t, x->fd, 0, x->map_len, KMM_PROT_READ | KMM_PROT_WRITE,
						      KMM_MAP_SHARED, 0, &x->map), 0);
			}
			if (t_rnd(&s, 3) == 0) {
				/* advice on part of the mapping: the faults' readahead, or unmap (DONTNEED) */
				static const int adv[] = { KMM_MADV_NORMAL, KMM_MADV_SEQUENTIAL, KMM_MADV_RANDOM,
							   KMM_MADV_WILLNEED, KMM_MADV_DONTNEED };
				uint64_t first = t_rnd(&s, MAXSIZE / PG), n = 1 + t_rnd(&s, MAXSIZE / PG - first);
				assert_eq(kmm_madvise(t, x->map + first * PG, n * PG, adv[t_rnd(&s, 5)]), 0);
			}
			if (t_rnd(&s, 8) == 0) {
				static const char *const fab[] = { "4096", "16384", "65536", "2097152" };
				assert_eq(kmm_proc_write(m, "/sys/kernel/debug/fault_around_bytes", fab[t_rnd(&s, 4)]), 0);
			}
			if (x->size) {
				uint64_t off = t_rnd(&s, x->size), len = 1 + t_rnd(&s, KMM_MIN(x->size - off, 2 * PG));
				for (uint64_t i = 0; i < len; i++)
					buf[i] = (unsigned char)kmm_test_rand(&s);
				assert_eq(kmm_access(t, x->map + off, buf, len, true), 0);
				memcpy(x->data + off, buf, len);
				off = t_rnd(&s, x->size);
				len = 1 + t_rnd(&s, KMM_MIN(x->size - off, 3 * PG));
				assert_eq(kmm_access(t, x->map + off, buf, len, false), 0);
				if (memcmp(buf, x->data + off, len)) {
					kmm_test_fail(__FILE__, __LINE__, "seed %llu step %d: mapping of %s at %llu differs",
						      (unsigned long long)seed, step, x->path, (unsigned long long)off);
					kmm_test_abort();
				}
			}
			break;
		}
		case 9:					/* unlink and start again */
			what = "unlink";
			if (x->map) {
				assert_eq(kmm_munmap(t, x->map, x->map_len), 0);
				x->map = 0;
			}
			if (x->fd >= 0)
				assert_eq(kmm_close(t, x->fd), 0);
			x->fd = -1;
			assert_eq(kmm_unlink(m, x->path), 0);
			memset(x->data, 0, MAXSIZE);
			x->size = 0;
			x->fd = kmm_open(t, x->path, KMM_O_CREAT | KMM_O_RDWR | KMM_O_EXCL);
			assert_true(x->fd >= 3);
			break;
		case 10:				/* fadvise */
			what = "fadvise";
			/* every advice: NORMAL, RANDOM, SEQUENTIAL, WILLNEED, DONTNEED, NOREUSE */
			assert_eq(kmm_fadvise(t, x->fd, t_rnd(&s, MAXSIZE), t_rnd(&s, 32 * PG), (int)t_rnd(&s, 6)), 0);
			break;
		default: {				/* memory pressure: anonymous memory, then freed */
			uint64_t len = (16 + t_rnd(&s, 24)) << 20, a;
			what = "pressure";
			if (kmm_mmap(t, 0, len, KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_PRIVATE, &a) == 0) {
				assert_eq(kmm_touch(t, a, len, true), 0);
				assert_eq(kmm_munmap(t, a, len), 0);
			}
			break;
		}
		}
		check_now(m, seed, step, what);
	}
	if (pressure) {
		/* the bursts did reclaim file pages, and writeback did write */
		expect_true(vmstat_val(m, "pgsteal_file") > 0);
		expect_true(vmstat_val(m, "nr_written") > 0);
	}
	/* at the end, everything reads back, from the image once the cache is dropped */
	assert_eq(kmm_sync(m), 0);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	for (int i = 0; i < NFILES; i++) {
		if (f[i].fd < 0)
			f[i].fd = kmm_open(t, f[i].path, KMM_O_RDWR);
		assert_eq(kmm_pread(t, f[i].fd, buf, MAXSIZE, 0), (long)f[i].size);
		for (uint64_t k = 0; k < f[i].size; k++)
			if (buf[k] != f[i].data[k]) {
				kmm_test_fail(__FILE__, __LINE__, "seed %llu: %s differs from the image at byte "
					      "%llu (page %llu) of %llu", (unsigned long long)seed, f[i].path,
					      (unsigned long long)k, (unsigned long long)(k / PG),
					      (unsigned long long)f[i].size);
				break;
			}
		if (f[i].map)
			assert_eq(kmm_munmap(t, f[i].map, f[i].map_len), 0);
		assert_eq(kmm_close(t, f[i].fd), 0);
		assert_eq(kmm_unlink(m, f[i].path), 0);
		free(f[i].data);
	}
	kmm_exit(t, 0);
	assert_eq(kmm_swapoff(m, "/swapfile"), 0);
	done(m);
}

TEST(random_file_operations_x86_64)
{
	run("mem=64M arch=x86_64", kmm_test_quick() ? 150 : 600, true);
}

TEST(random_file_operations_i386_highmem)
{
	run("mem=1G arch=i386", kmm_test_quick() ? 60 : 200, false);
}
