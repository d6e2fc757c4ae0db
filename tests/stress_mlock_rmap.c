// SPDX-License-Identifier: MIT
/*
 * tests/stress_mlock_rmap.c - the reverse-map walkers that read vm_flags
 * without the mmap lock, against the system calls that change it, in
 * threads (review17 R9). Six processes map one disk file shared; each runs
 * on its own thread and faults random runs of its mapping in, zaps some
 * (MADV_DONTNEED), mprotects some (none / read / read-write: splits and
 * merges) and mlocks or munlocks some. Reclaim runs on two more threads,
 * over and over: folio_referenced() (referenced_one) and try_to_unmap()
 * (check_unmappable) walk every mapping of a file page and read its
 * vm_flags, and munlock_page() (find_locked) does the same for each page a
 * munlock or a zap leaves. mprotect_fixup() and mlock store vm_flags under
 * the mmap and VMA locks of their own process only, so each of those reads
 * meets a store of another thread: vm_flags_reset() and vm_flags_read_once()
 * (relaxed atomics) make it no data race, which ThreadSanitizer checks
 * (`make test-tsan`; with the walkers' reads made plain loads again it
 * reports the race).
 *
 * The main thread reclaims too and runs the checker after each of its
 * steps: every mapped page's mapcount, reverse map, PG_mlocked against the
 * VM_LOCKED mappings that map it, NR_MLOCK against the pages with
 * PG_mlocked. After the run every page of the file reads back, through
 * every mapping, what was written through one.
 *
 * The seed is printed on failure (KMM_SEED=N reruns it, as far as threads
 * rerun); KMM_QUICK=1 takes fewer steps.
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
#include <kmm/swap.h>

#include "mm/include/mm.h"

#define PG 4096UL
#define FILE_PAGES 48
#define NPROCS 6
#define PATH "/data/m"

static struct kmm_machine *machine;
static atomic_int stop;
static atomic_int ready;	/* workers that faulted a page in (or stopped on an error) */

struct worker {
	struct task_struct *t;
	int fd;
	uint64_t addr;		/* a shared, writable mapping of the whole file */
	uint64_t seed;
	bool locks;		/* does this process mlock and munlock? */
	long faults, mprotects, mlocks, munlocks, zaps;
	char error[256];
};

#define fail(r, ...) do { if (!(r)->error[0]) snprintf((r)->error, sizeof((r)->error), __VA_ARGS__); } while (0)

/*
 * One step on a random run of @r's mapping: fault it in (a read, or a
 * write), mprotect it, mlock or munlock it, or zap it. mlock may fail as
 * Linux's does when part of the run is PROT_NONE (ENOMEM; the VMAs are
 * locked all the same). Return: false, with the worker failed, on an
 * unexpected error.
 */
static bool step(struct worker *r, uint64_t *s)
{
	static const int prots[] = { KMM_PROT_NONE, KMM_PROT_READ, KMM_PROT_READ | KMM_PROT_WRITE };
	unsigned long idx = (unsigned long)t_rnd(s, FILE_PAGES);
	unsigned long run = 1 + (unsigned long)t_rnd(s, 8);
	unsigned long n = KMM_MIN(run, FILE_PAGES - idx);
	uint64_t a = r->addr + idx * PG, len = n * PG;
	struct page *pages[8];
	int what = (int)t_rnd(s, 8), err;

	switch (what) {
	case 0: case 1: case 2: {
		/* a fault through get_user_pages: refused where the run is PROT_NONE */
		long got = get_user_pages_remote(r->t->mm, a, n, what == 2 ? KMM_FOLL_WRITE : 0, pages);
		if (got > 0) {
			r->faults += got;
			for (long i = 0; i < got; i++)
				kmm_put_user_page(pages[i]);
		}
		return true;
	}
	case 3: case 4:
		if (kmm_mprotect(r->t, a, len, prots[t_rnd(s, 3)])) {
			fail(r, "mprotect: %s", kmm_last_error());
			return false;
		}
		r->mprotects++;
		return true;
	case 5:
		if (!r->locks)
			break;
		err = kmm_mlock(r->t, a, len);
		if (err && err != -ENOMEM) {
			fail(r, "mlock: %s", kmm_last_error());
			return false;
		}
		r->mlocks++;
		return true;
	case 6:
		if (!r->locks)
			break;
		if (kmm_munlock(r->t, a, len)) {
			fail(r, "munlock: %s", kmm_last_error());
			return false;
		}
		r->munlocks++;
		return true;
	default:
		break;
	}
	err = kmm_madvise(r->t, a, len, KMM_MADV_DONTNEED);
	if (err && !(r->locks && err == -EINVAL)) {	/* EINVAL: part of the run is locked */
		fail(r, "madvise: %s", kmm_last_error());
		return false;
	}
	r->zaps++;
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *r = arg;
	uint64_t s = r->seed | 1;
	bool counted = false;

	kmm_use(machine);
	while (!atomic_load(&stop) && !r->error[0]) {
		long before = r->faults;
		if (!step(r, &s))
			break;
		if (r->faults > before && !counted) {
			counted = true;
			atomic_fetch_add(&ready, 1);
		}
	}
	/* unlocked and read-write again, for the checks after the run */
	if (!r->error[0] && (kmm_munlock(r->t, r->addr, FILE_PAGES * PG) ||
			     kmm_mprotect(r->t, r->addr, FILE_PAGES * PG, KMM_PROT_READ | KMM_PROT_WRITE)))
		fail(r, "back to unlocked read-write: %s", kmm_last_error());
	if (!counted)
		atomic_fetch_add(&ready, 1);	/* stopped early: main need not wait */
	return NULL;
}

static void *reclaimer_main(void *arg)
{
	long *passes = arg;

	kmm_use(machine);
	while (!atomic_load(&stop)) {
		kmm_reclaim(machine, 8);
		(*passes)++;
		sched_yield();
	}
	return NULL;
}

/* After the run: each page written through worker 0's mapping reads back the same everywhere. */
static void expect_every_page_shared(struct task_struct *tr, int fd, const struct worker *w)
{
	uint64_t want[PG / 8], got[PG / 8];

	for (unsigned long idx = 0; idx < FILE_PAGES; idx++) {
		for (size_t i = 0; i < PG / 8; i++)
			want[i] = (idx << 32) | i;
		if (kmm_access(w[0].t, w[0].addr + idx * PG, want, PG, true)) {
			kmm_test_fail(__FILE__, __LINE__, "page %lu: write through the mapping: %s", idx,
				      kmm_last_error());
			return;
		}
		for (int p = 0; p < NPROCS; p++)
			if (kmm_access(w[p].t, w[p].addr + idx * PG, got, PG, false) || memcmp(got, want, PG))
				kmm_test_fail(__FILE__, __LINE__, "page %lu: process %d's mapping does not "
					      "read what was written", idx, p);
		if (kmm_pread(tr, fd, got, PG, idx * PG) != (long)PG || memcmp(got, want, PG))
			kmm_test_fail(__FILE__, __LINE__, "page %lu: pread() does not read what was "
				      "written through the mapping", idx);
	}
}

/*
 * Run the six workers with @lockers of them mlocking and munlocking, two
 * reclaimers beside them, the checker after each of the main thread's
 * reclaim steps.
 */
static void run(int lockers)
{
	static struct worker w[NPROCS];
	uint64_t seed = kmm_test_seed(), s = seed | 1;
	int steps = kmm_test_quick() ? 200 : 3000;
	pthread_t th[NPROCS], rth;
	long passes = 0;
	struct task_struct *tr;
	int fd;

	machine = boot("mem=128M nr_cpus=9");
	tr = kmm_spawn(machine, "owner");
	assert_true(tr != NULL);
	fd = kmm_open(tr, PATH, KMM_O_RDWR | KMM_O_CREAT);
	assert_true(fd >= 3);
	assert_eq(kmm_ftruncate(tr, fd, FILE_PAGES * PG), 0);
	for (int i = 0; i < NPROCS; i++) {
		struct worker *r = &w[i];
		memset(r, 0, sizeof(*r));
		r->t = kmm_spawn(machine, "worker");
		assert_true(r->t != NULL);
		r->seed = seed + 1 + (uint64_t)i;
		r->locks = i < lockers;
		r->fd = kmm_open(r->t, PATH, KMM_O_RDWR);
		assert_true(r->fd >= 3);
		assert_eq(kmm_mmap_fd(r->t, r->fd, 0, FILE_PAGES * PG, KMM_PROT_READ | KMM_PROT_WRITE,
				      KMM_MAP_SHARED, 0, &r->addr), 0);
	}
	atomic_store(&stop, 0);
	atomic_store(&ready, 0);
	for (int i = 0; i < NPROCS; i++)
		assert_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	assert_eq(pthread_create(&rth, NULL, reclaimer_main, &passes), 0);
	while (atomic_load(&ready) < NPROCS)
		sched_yield();
	for (int i = 0; i < steps; i++) {
		kmm_reclaim(machine, 1 + t_rnd(&s, 32));
		if (kmm_check(machine)) {
			kmm_test_fail(__FILE__, __LINE__, "seed %llu step %d: kmm_check: %s",
				      (unsigned long long)seed, i, kmm_last_error());
			break;
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < NPROCS; i++)
		pthread_join(th[i], NULL);
	pthread_join(rth, NULL);
	for (int i = 0; i < NPROCS; i++) {
		if (w[i].error[0])
			kmm_test_fail(__FILE__, __LINE__, "seed %llu: process %d: %s",
				      (unsigned long long)seed, i, w[i].error);
		expect_true(w[i].faults > 0);
		if (getenv("KMM_VERBOSE"))
			printf("process %d: %ld pages faulted, %ld mprotects, %ld mlocks, %ld munlocks, "
			       "%ld zaps\n", i, w[i].faults, w[i].mprotects, w[i].mlocks, w[i].munlocks,
			       w[i].zaps);
	}
	if (getenv("KMM_VERBOSE"))
		printf("reclaimer: %ld passes\n", passes);
	if (kmm_check(machine))
		kmm_test_fail(__FILE__, __LINE__, "seed %llu, after the run: kmm_check: %s",
			      (unsigned long long)seed, kmm_last_error());
	expect_every_page_shared(tr, fd, w);
	expect_eq(kmm_check(machine), 0);
	for (int i = 0; i < NPROCS; i++) {
		assert_eq(kmm_munmap(w[i].t, w[i].addr, FILE_PAGES * PG), 0);
		assert_eq(kmm_close(w[i].t, w[i].fd), 0);
		kmm_exit(w[i].t, 0);
	}
	assert_eq(kmm_close(tr, fd), 0);
	assert_eq(kmm_unlink(machine, PATH), 0);
	kmm_exit(tr, 0);
	done(machine);
}

/*
 * One process mlocks and munlocks runs of the file while five mprotect
 * theirs: its munlocks walk their VMAs (find_locked), reclaim walks
 * everyone's (referenced_one, check_unmappable).
 */
TEST(reclaim_and_munlock_walk_mappings_that_mprotect_and_mlock_change)
{
	run(1);
}

/*
 * Every process mlocks and munlocks runs of the file: two of them may
 * change their locked mappings of one page at once, and PG_mlocked and
 * NR_MLOCK must still count the page once, exactly while a locked mapping
 * maps it (mm/mlock.c's munlock_page()).
 */
TEST(every_process_mlocks_and_munlocks_pages_the_others_map)
{
	run(NPROCS);
}
