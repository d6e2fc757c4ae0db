// SPDX-License-Identifier: MIT
/*
 * tests/stress_truncate_fault.c - faults on shared mappings of a file
 * against truncation of that file, in threads: three faulters fault random
 * pages of the mappings in (get_user_pages, reads and writes; a fault past
 * the end fails instead of killing a process) and zap them again
 * (MADV_DONTNEED); one thread truncates the files to random sizes, shrinking
 * and growing them, and runs the checker after every step. A fault that
 * maps a page truncation took out of the file, or a fault or its
 * readahead that adds a page past the end behind truncation's back, is
 * what the checker reports (a mapped page its file's reverse map cannot
 * find; a page or shadow past the end of its file). The faulters also
 * mprotect runs of their mappings, whose vm_flags truncation's reverse-map
 * walks read without the mmap lock (TSan checks that those accesses are
 * atomic), and mlock and munlock runs of them (several processes lock and
 * unlock one page at once; truncation unmaps locked pages). Each faulter has a
 * private mapping of each file too, where its write faults make COW
 * copies: after every truncation no entry of a private mapping is left past
 * the new end (Linux's truncate_pagecache() unmaps even the COW copies). A disk file and a
 * shmem file. After the run the files grow back to the whole mapping and
 * every page is written through one faulter's mapping and read back
 * through every faulter's and by pread(): each mapping must reach the
 * file's own page, not one truncation left behind; every private mapping
 * reads it too, after a truncation to nothing took every COW copy. The seed is printed on failure (KMM_SEED=N reruns it, as far
 * as threads rerun); KMM_QUICK=1 takes fewer steps. Built into
 * `make test-tsan` too.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <kmm/fs.h>
#include <kmm/proc.h>
#include <kmm/process.h>

#include "mm/include/mm.h"

#define PG 4096UL
#define FILE_PAGES 16
#define NFILES 2
#define NFAULTERS 3

static const char *const paths[NFILES] = { "/data/t", "/dev/shm/t" };

static struct kmm_machine *machine;
static atomic_int stop;
static atomic_int ready;	/* faulters that faulted a page in (or stopped on an error) */

struct faulter {
	struct task_struct *t;
	int fd[NFILES];
	uint64_t addr[NFILES];	/* a shared, writable mapping of FILE_PAGES pages */
	uint64_t priv[NFILES];	/* a private, writable one: its write faults make COW copies */
	uint64_t seed;
	long faults, sigbus, mprotects, mlocks;
	char error[256];
};

#define fail(r, ...) do { if (!(r)->error[0]) snprintf((r)->error, sizeof((r)->error), __VA_ARGS__); } while (0)

/*
 * mprotect [@addr, +@len) to none, read or read-write (splitting the VMA,
 * merging it back) while truncation's reverse-map walks read vm_flags:
 * mprotect_fixup() stores it under the mmap and VMA locks, the walkers hold
 * neither (vm_flags_reset() and vm_flags_read_once(), relaxed atomics).
 * Return: false, with the faulter failed, if it fails.
 */
static bool change_protection(struct faulter *r, uint64_t addr, uint64_t len, uint64_t *s)
{
	static const int prots[] = { KMM_PROT_NONE, KMM_PROT_READ, KMM_PROT_READ | KMM_PROT_WRITE };

	if (kmm_mprotect(r->t, addr, len, prots[t_rnd(s, 3)])) {
		fail(r, "mprotect: %s", kmm_last_error());
		return false;
	}
	r->mprotects++;
	return true;
}

/*
 * mlock or munlock [@addr, +@len): several faulters lock and unlock their
 * mappings of one page at once, and truncation unmaps locked pages
 * (NR_MLOCK and PG_mlocked must count each page once, exactly while a
 * locked mapping maps it). mlock is ENOMEM where part of the run is
 * PROT_NONE or past the end of the file (gup's EFAULT); the VMAs are locked
 * all the same. Return: false, with the faulter failed, on another error.
 */
static bool change_lock(struct faulter *r, uint64_t addr, uint64_t len, uint64_t *s)
{
	bool lock = t_rnd(s, 2);
	int err = lock ? kmm_mlock(r->t, addr, len) : kmm_munlock(r->t, addr, len);

	if (err && !(lock && err == -ENOMEM)) {
		fail(r, "%s: %s", lock ? "mlock" : "munlock", kmm_last_error());
		return false;
	}
	r->mlocks++;
	return true;
}

/*
 * Fault random runs of pages in (reading or writing), drop the references,
 * zap some, change the protection of some, lock or unlock some.
 */
static void *faulter_main(void *arg)
{
	struct faulter *r = arg;
	uint64_t s = r->seed | 1;
	struct page *pages[4];

	bool counted = false;

	kmm_use(machine);
	while (!atomic_load(&stop) && !r->error[0]) {
		int fi = (int)t_rnd(&s, NFILES);
		unsigned long idx = (unsigned long)t_rnd(&s, FILE_PAGES);
		unsigned long run = 1 + (unsigned long)t_rnd(&s, 4);	/* (KMM_MIN evaluates twice) */
		unsigned long n = KMM_MIN(run, FILE_PAGES - idx);
		unsigned int flags = t_rnd(&s, 2) ? KMM_FOLL_WRITE : 0;
		uint64_t base = t_rnd(&s, 3) ? r->addr[fi] : r->priv[fi];
		long got = get_user_pages_remote(r->t->mm, base + idx * PG, n, flags, pages);

		if (got < 0) {
			r->sigbus++;	/* past the end: SIGBUS for a process */
		} else {
			r->faults += got;
			for (long i = 0; i < got; i++)
				kmm_put_user_page(pages[i]);
			if (got && !counted) {
				counted = true;
				atomic_fetch_add(&ready, 1);
			}
		}
		if (!t_rnd(&s, 8) && !change_protection(r, base + idx * PG, n * PG, &s))
			break;
		if (!t_rnd(&s, 8) && !change_lock(r, base + idx * PG, n * PG, &s))
			break;
		/* (EINVAL: part of the run is locked) */
		int err = t_rnd(&s, 2) ? kmm_madvise(r->t, base + idx * PG, n * PG, KMM_MADV_DONTNEED) : 0;
		if (err && err != -EINVAL) {
			fail(r, "madvise: %s", kmm_last_error());
			break;
		}
	}
	/* every mapping unlocked and read-write again, for the checks after the run */
	for (int f = 0; f < NFILES && !r->error[0]; f++) {
		if (kmm_munlock(r->t, r->addr[f], FILE_PAGES * PG) ||
		    kmm_munlock(r->t, r->priv[f], FILE_PAGES * PG) ||
		    kmm_mprotect(r->t, r->addr[f], FILE_PAGES * PG, KMM_PROT_READ | KMM_PROT_WRITE) ||
		    kmm_mprotect(r->t, r->priv[f], FILE_PAGES * PG, KMM_PROT_READ | KMM_PROT_WRITE))
			fail(r, "munlock and mprotect back to rw: %s", kmm_last_error());
	}
	if (!counted)
		atomic_fetch_add(&ready, 1);	/* stopped on an error: main need not wait */
	return NULL;
}

/*
 * Right after a truncation of file @f to @size: no entry of any faulter's
 * private mapping is left at or past the new end - no page-cache page (the
 * checker sees those too), no COW copy. Faults cannot make one there until
 * the file grows again. Return: false, with the test failed, if one is.
 */
static bool private_past_end_is_empty(const struct faulter *fl, int f, uint64_t size, uint64_t seed,
				      int step)
{
	for (int i = 0; i < NFAULTERS; i++) {
		struct mm_struct *mm = fl[i].t->mm;
		for (unsigned long idx = DIV_ROUND_UP(size, PG); idx < FILE_PAGES; idx++) {
			spinlock_t *ptl;
			void *slot = pte_offset_map_lock(mm, fl[i].priv[f] + idx * PG, &ptl);
			pteval_t v = slot ? pte_get(&mm->pgt, slot) : 0;
			if (slot)
				pte_unmap_unlock(ptl);
			if (!pte_none(v))
				return kmm_test_fail(__FILE__, __LINE__, "seed %llu step %d: %s truncated to "
						     "%llu bytes, faulter %d's private mapping still has an "
						     "entry at page %lu (%#llx)", (unsigned long long)seed, step,
						     paths[f], (unsigned long long)size, i, idx,
						     (unsigned long long)v);
		}
	}
	return true;
}

/*
 * After the run, file @f whole again: each page stamped through faulter 0's
 * mapping must read back the same through every faulter's mapping and
 * through @fd of @tr.
 */
static void expect_every_page_shared(struct task_struct *tr, int fd, int f,
				     const struct faulter *fl)
{
	uint64_t want[PG / 8], got[PG / 8];

	for (unsigned long idx = 0; idx < FILE_PAGES; idx++) {
		for (size_t w = 0; w < PG / 8; w++)
			want[w] = ((uint64_t)(f + 1) << 48) | (idx << 16) | w;
		if (kmm_access(fl[0].t, fl[0].addr[f] + idx * PG, want, PG, true)) {
			kmm_test_fail(__FILE__, __LINE__, "%s page %lu: write through the mapping: %s",
				      paths[f], idx, kmm_last_error());
			return;
		}
		for (int i = 0; i < NFAULTERS; i++) {
			if (kmm_access(fl[i].t, fl[i].addr[f] + idx * PG, got, PG, false) ||
			    memcmp(got, want, PG))
				kmm_test_fail(__FILE__, __LINE__, "%s page %lu: faulter %d's mapping "
					      "does not read what was written", paths[f], idx, i);
			if (kmm_access(fl[i].t, fl[i].priv[f] + idx * PG, got, PG, false) ||
			    memcmp(got, want, PG))
				kmm_test_fail(__FILE__, __LINE__, "%s page %lu: faulter %d's private "
					      "mapping does not read the file's page", paths[f], idx, i);
		}
		if (kmm_pread(tr, fd, got, PG, idx * PG) != (long)PG || memcmp(got, want, PG))
			kmm_test_fail(__FILE__, __LINE__, "%s page %lu: pread() does not read what "
				      "was written through the mapping", paths[f], idx);
	}
}

/*
 * Faulters fault pages of a disk file and a shmem file in and out while
 * this thread truncates the files to random sizes (page-aligned or not,
 * down to nothing and back up to the whole mapping), the checker after each
 * truncation. Then every page must come back: written through one mapping,
 * the same bytes through every other and through the file.
 */
TEST(faults_race_truncation)
{
	static struct faulter fl[NFAULTERS];
	uint64_t seed = kmm_test_seed(), s = seed | 1;
	int steps = kmm_test_quick() ? 1000 : 12000;
	struct task_struct *tr;
	pthread_t th[NFAULTERS];
	int fd[NFILES];

	machine = boot("mem=128M nr_cpus=5");
	tr = kmm_spawn(machine, "truncate");
	assert_true(tr != NULL);
	for (int f = 0; f < NFILES; f++) {
		fd[f] = kmm_open(tr, paths[f], KMM_O_RDWR | KMM_O_CREAT);
		assert_true(fd[f] >= 3);
		assert_eq(kmm_ftruncate(tr, fd[f], FILE_PAGES * PG), 0);
	}
	for (int i = 0; i < NFAULTERS; i++) {
		struct faulter *r = &fl[i];
		memset(r, 0, sizeof(*r));
		r->t = kmm_spawn(machine, "fault");
		assert_true(r->t != NULL);
		r->seed = seed + 1 + (uint64_t)i;
		for (int f = 0; f < NFILES; f++) {
			r->fd[f] = kmm_open(r->t, paths[f], KMM_O_RDWR);
			assert_true(r->fd[f] >= 3);
			assert_eq(kmm_mmap_fd(r->t, r->fd[f], 0, FILE_PAGES * PG,
					      KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_SHARED, 0, &r->addr[f]), 0);
			assert_eq(kmm_mmap_fd(r->t, r->fd[f], 0, FILE_PAGES * PG,
					      KMM_PROT_READ | KMM_PROT_WRITE, KMM_MAP_PRIVATE, 0, &r->priv[f]), 0);
		}
	}
	atomic_store(&stop, 0);
	atomic_store(&ready, 0);
	for (int i = 0; i < NFAULTERS; i++)
		assert_eq(pthread_create(&th[i], NULL, faulter_main, &fl[i]), 0);
	/* a start line: every faulter has faulted before truncation begins (the files are whole) */
	while (atomic_load(&ready) < NFAULTERS)
		sched_yield();
	for (int step = 0; step < steps; step++) {
		int f = (int)t_rnd(&s, NFILES);
		uint64_t size = t_rnd(&s, FILE_PAGES + 1) * PG;

		if (t_rnd(&s, 2) && size)
			size -= 1 + t_rnd(&s, PG - 1);	/* a partial last page */
		if (kmm_ftruncate(tr, fd[f], size)) {
			kmm_test_fail(__FILE__, __LINE__, "seed %llu step %d: ftruncate(%s, %llu): %s",
				      (unsigned long long)seed, step, paths[f], (unsigned long long)size,
				      kmm_last_error());
			break;
		}
		if (kmm_check(machine)) {
			kmm_test_fail(__FILE__, __LINE__, "seed %llu step %d (%s to %llu bytes): kmm_check: %s",
				      (unsigned long long)seed, step, paths[f], (unsigned long long)size,
				      kmm_last_error());
			break;
		}
		if (!private_past_end_is_empty(fl, f, size, seed, step))
			break;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < NFAULTERS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < NFAULTERS; i++) {
		if (fl[i].error[0])
			kmm_test_fail(__FILE__, __LINE__, "seed %llu: faulter %d: %s",
				      (unsigned long long)seed, i, fl[i].error);
		expect_true(fl[i].faults > 0);
		if (getenv("KMM_VERBOSE"))
			printf("faulter %d: %ld pages faulted, %ld past the end or refused, %ld mprotects, "
			       "%ld mlocks or munlocks\n", i, fl[i].faults, fl[i].sigbus, fl[i].mprotects,
			       fl[i].mlocks);
	}
	expect_eq(kmm_check(machine), 0);
	for (int f = 0; f < NFILES; f++) {
		/* to nothing (every private copy goes) and whole again */
		assert_eq(kmm_ftruncate(tr, fd[f], 0), 0);
		assert_eq(kmm_ftruncate(tr, fd[f], FILE_PAGES * PG), 0);
		expect_every_page_shared(tr, fd[f], f, fl);
	}
	expect_eq(kmm_check(machine), 0);
	for (int i = 0; i < NFAULTERS; i++) {
		for (int f = 0; f < NFILES; f++) {
			assert_eq(kmm_munmap(fl[i].t, fl[i].addr[f], FILE_PAGES * PG), 0);
			assert_eq(kmm_munmap(fl[i].t, fl[i].priv[f], FILE_PAGES * PG), 0);
			assert_eq(kmm_close(fl[i].t, fl[i].fd[f]), 0);
		}
		kmm_exit(fl[i].t, 0);
	}
	for (int f = 0; f < NFILES; f++) {
		assert_eq(kmm_close(tr, fd[f]), 0);
		assert_eq(kmm_unlink(machine, paths[f]), 0);
	}
	kmm_exit(tr, 0);
	done(machine);
}
