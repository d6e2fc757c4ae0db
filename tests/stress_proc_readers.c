// SPDX-License-Identifier: MIT
/*
 * Every /proc and /sys file read on one host thread while another runs
 * processes through their whole life, for ThreadSanitizer (make test-tsan).
 *
 * The reader lists the machine's files again and again (pids come and go)
 * and reads each readable one, with dmesg now and then. The worker, in each
 * round: spawns a process; writes a disk file and a tmpfs file, maps the
 * disk file shared and dirties it, syncs; maps and fills anonymous memory
 * past RAM (swap-out); forks a child that writes some of it and is reaped;
 * reads it all back (swap-in) and unmaps it (swap slots freed); makes a slab
 * cache; writes vm sysctls; truncates, unlinks and exits.
 *
 * Found by review10-flake's scratch program before the fixes (F2, F3):
 * /proc/<pid> listing walked the task list with no lock (a task could be
 * freed under it); /proc/<pid>/status read the task's state and parent
 * while exit and reparenting wrote them; smaps and pagemap looked at the
 * page of a present PTE without the page-table lock while reclaim unmapped
 * and freed it; /proc/swaps read an area's used-slot count while a freed
 * slot decremented it; the reserve a min_free_kbytes write recomputes was
 * read by the dirty limits of /proc/vmstat.
 *
 * Checked without ThreadSanitizer too: every listed file reads as 0 or,
 * when what it shows went after the listing (a reaped process, the
 * destroyed cache's /sys/kernel/slab files), -ENOENT; every page comes back with its
 * bytes; the checkers hold. Each round's processes live until the reader
 * has read their files (a wait on a count, not on time).
 */
#include "tests/swap_test.h"

#include <kmm/fs.h>
#include <kmm/proc.h>
#include <kmm/slab.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define ROUNDS		2
#define ANON_PAGES	20000	/* 78 MiB: past the 64M machine's RAM */
#define MAX_PATHS	4096

struct reader {
	struct kmm_machine *m;
	atomic_int stop;
	atomic_int listed;	/* full listings done: the worker starts after the first */
	char *paths[MAX_PATHS];
	int npaths;
	long reads, gone;	/* files read; files whose owner went since the listing */
	atomic_long pid_reads;	/* /proc/<pid> files read with success */
	int bad;		/* reads that failed otherwise */
	char bad_path[128];
	int bad_err;
};

static int collect(const char *path, unsigned int mode, void *arg)
{
	struct reader *r = arg;

	/* readable files only (drop_caches and compact_memory are write-only) */
	if ((mode & 0444) && r->npaths < MAX_PATHS)
		r->paths[r->npaths++] = strdup(path);
	return 0;
}

static void relist(struct reader *r)
{
	for (int i = 0; i < r->npaths; i++)
		free(r->paths[i]);
	r->npaths = 0;
	kmm_proc_list(r->m, "/", collect, r);
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	kmm_use(r->m);
	for (unsigned long i = 0; !atomic_load(&r->stop); i++) {
		if (i % 400 == 0) {
			relist(r);
			atomic_fetch_add(&r->listed, 1);
		}
		if (!r->npaths)
			continue;
		const char *path = r->paths[i % (unsigned long)r->npaths];
		char *text = NULL;
		int err = kmm_proc_read(r->m, path, &text);
		bool pid_file = !strncmp(path, "/proc/", 6) && path[6] >= '1' && path[6] <= '9';

		free(text);
		r->reads++;
		if (!err && pid_file)
			atomic_fetch_add(&r->pid_reads, 1);
		else if (err == -ENOENT)
			r->gone++;	/* a process reaped or a slab cache destroyed since the listing */
		else if (err && !r->bad++) {
			snprintf(r->bad_path, sizeof(r->bad_path), "%s", path);
			r->bad_err = err;
		}
		if (i % 64 == 0)
			free(kmm_dmesg_dup(r->m));
	}
	for (int k = 0; k < r->npaths; k++)
		free(r->paths[k]);
	r->npaths = 0;
	return NULL;
}

static void one_life(struct kmm_machine *m, struct reader *r, int round)
{
	static char buf[65536];
	struct task_struct *t = kmm_spawn(m, "worker");
	uint64_t fa = 0;

	assert_true(t != NULL);
	int fd = kmm_open(t, "/data/f", KMM_O_RDWR | KMM_O_CREAT);
	int sfd = kmm_open(t, "/dev/shm/s", KMM_O_RDWR | KMM_O_CREAT);
	assert_true(fd >= 0 && sfd >= 0);
	memset(buf, 0x30 + round, sizeof(buf));
	for (uint64_t i = 0; i < 32; i++) {
		expect_eq(kmm_pwrite(t, fd, buf, sizeof(buf), i * sizeof(buf)), (long)sizeof(buf));
		expect_eq(kmm_pwrite(t, sfd, buf, sizeof(buf), i * sizeof(buf)), (long)sizeof(buf));
	}
	expect_eq(kmm_mmap_fd(t, fd, 0, 1 << 20, RW, KMM_MAP_SHARED, 0, &fa), 0);
	expect_eq(kmm_fill(t, fa, 0x44, 1 << 20), 0);
	expect_eq(kmm_fsync(t, fd), 0);

	uint64_t a = map_filled(t, ANON_PAGES, 7 + (uint64_t)round);
	struct task_struct *c = kmm_fork(t, "child");
	assert_true(c != NULL);
	expect_eq(kmm_fill(c, a, 0x55, 256 * PAGE_SIZE), 0);
	/* both processes live until the reader has read one of their files: no schedule assumed */
	long seen = atomic_load(&r->pid_reads);
	while (atomic_load(&r->pid_reads) < seen + 20)
		sched_yield();
	kmm_exit(c, 0);
	expect_eq(kmm_task_release(c), 0);
	expect_true(verify_range(t, a, 0, ANON_PAGES, 7 + (uint64_t)round));
	expect_eq(kmm_munmap(t, a, ANON_PAGES * PAGE_SIZE), 0);

	struct kmem_cache *s = kmem_cache_create("readers_test", 300, 0, 0, NULL);
	void *obj[100];
	assert_true(s != NULL);
	for (int i = 0; i < 100; i++)
		obj[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 100; i++)
		kmem_cache_free(s, obj[i]);
	kmem_cache_destroy(s);

	expect_eq(kmm_sysctl_write(m, "vm.min_free_kbytes", round & 1 ? "2048" : "1024"), 0);
	expect_eq(kmm_sysctl_write(m, "vm.drop_caches", "3"), 0);
	expect_eq(kmm_ftruncate(t, fd, 4096), 0);
	expect_eq(kmm_ftruncate(t, sfd, 0), 0);
	expect_eq(kmm_munmap(t, fa, 1 << 20), 0);
	expect_eq(kmm_close(t, fd), 0);
	expect_eq(kmm_close(t, sfd), 0);
	expect_eq(kmm_unlink(m, "/data/f"), 0);
	expect_eq(kmm_unlink(m, "/dev/shm/s"), 0);
	kmm_exit(t, 0);
	expect_eq(kmm_task_release(t), 0);
}

TEST(every_proc_file_read_while_processes_live_swap_and_die)
{
	/*
	 * 96 MiB of swap: the 64M machine manages ~8,400 pages and the worker's
	 * anon region is 20,000; with 64 MiB (16,383 slots) the round ran ~2,000
	 * pages from the end, and the slots that swap cache and writeback held at
	 * the moment decided whether the worker was OOM-killed (seen at load: the
	 * report said Free swap = 0kB). The test is about readers, not the edge.
	 */
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64 maxcpus=3", 96UL << 20);
	struct reader *r = calloc(1, sizeof(*r));
	pthread_t th;

	assert_true(r != NULL);
	r->m = m;
	kmm_use(m);
	assert_eq(pthread_create(&th, NULL, reader_main, r), 0);
	while (!atomic_load(&r->listed))
		sched_yield();
	for (int round = 0; round < ROUNDS; round++)
		one_life(m, r, round);
	atomic_store(&r->stop, 1);
	assert_eq(pthread_join(th, NULL), 0);

	if (r->bad)
		kmm_test_fail(__FILE__, __LINE__, "%d reads failed; first %s: %d", r->bad,
			      r->bad_path, r->bad_err);
	expect_true(r->reads > 0);
	expect_true(vm_event(m, PSWPOUT) > 0);
	expect_true(vm_event(m, PSWPIN) > 0);
	free(r);
	done(m);
}
