// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_grow.c - the malloc shim boots small and grows by
 * memory hotplug (mm/memory_hotplug.c) up to KMM_MALLOC_MEM.
 *
 * Each test runs in a child that is this program again, exec'd with its own
 * KMM_MALLOC_MEM (the shim boots at the first malloc, from the environment).
 * The child's machine starts with 128M of RAM and no block plugged in (a
 * small program pays for none); a program that allocates more than that
 * gets it, in blocks of 128M, until the total reaches KMM_MALLOC_MEM;
 * beyond it malloc fails with ENOMEM as before, and threads that run it
 * short together all get their memory. The checkers hold throughout.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmm/kmm.h>
#include <kmm/proc.h>

#include "harness.h"
#include "shim/shim.h"

#define MB (1UL << 20)

/*
 * Run test @name again in a child with KMM_MALLOC_MEM=@mem and, unless 0, an
 * address-space limit of @as_limit bytes. Return: its exit status.
 */
static int run_child(const char *name, const char *mem, unsigned long long as_limit)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		struct rlimit rl = { as_limit, as_limit };

		if (as_limit && setrlimit(RLIMIT_AS, &rl))
			_exit(126);
		setenv("KMM_MALLOC_MEM", mem, 1);
		setenv("KMM_TEST", name, 1);
		setenv("KMM_GROW_CHILD", "1", 1);
		unsetenv("KMM_MALLOC_CMDLINE");
		execl("/proc/self/exe", "integration_malloc_grow", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool in_child(void)
{
	return getenv("KMM_GROW_CHILD") != NULL;
}

static long mem_total_kb(void)
{
	char *text = NULL, *p;
	long kb = -1;

	if (kmm_proc_read(kmm_malloc_machine(), "/proc/meminfo", &text))
		return -1;
	p = strstr(text, "MemTotal:");
	if (p)
		kb = strtol(p + 9, NULL, 10);
	free(text);
	return kb;
}

TEST(a_program_larger_than_the_boot_ram_gets_its_memory)
{
	if (!in_child()) {
		expect_eq(run_child("a_program_larger_than_the_boot_ram_gets_its_memory", "1G", 0), 0);
		return;
	}
	static char *blocks[1024];
	static char *small[200000];
	long start, grown;
	size_t n = 0;

	assert_true(kmm_malloc_machine() != NULL);
	expect_str_contains(kmm_malloc_cmdline(), "mem=128M maxmem=1G");
	start = mem_total_kb();
	expect_true(start > 0 && start < 256 * 1024);
	/* 640 MiB in 1 MiB blocks (compound pages) and 12 MiB of 64-byte objects (slab) */
	for (; n < 640; n++) {
		blocks[n] = malloc(MB);
		assert_true(blocks[n] != NULL);
		memset(blocks[n], (int)n, 4096);
	}
	for (size_t i = 0; i < 200000; i++) {
		small[i] = malloc(64);
		assert_true(small[i] != NULL);
		small[i][0] = (char)i;
	}
	grown = mem_total_kb();
	expect_true(grown >= 640L * 1024);
	expect_true(grown <= 1024L * 1024);
	assert_eq(kmm_malloc_check(), 0);
	/* up to the bound: KMM_MALLOC_MEM is the most there is, then ENOMEM */
	for (; n < 1024; n++) {
		blocks[n] = malloc(MB);
		if (!blocks[n])
			break;
	}
	expect_true(n < 1024);
	expect_eq(errno, ENOMEM);
	expect_true(mem_total_kb() <= 1024L * 1024);
	expect_true(n > 800);	/* nearly all of 1G went to the program */
	assert_eq(kmm_malloc_check(), 0);
	for (size_t i = 0; i < n; i++)
		free(blocks[i]);
	for (size_t i = 0; i < 200000; i++)
		free(small[i]);
	assert_eq(kmm_malloc_check(), 0);
}

TEST(a_small_program_plugs_in_no_block)
{
	if (!in_child()) {
		expect_eq(run_child("a_small_program_plugs_in_no_block", "1G", 0), 0);
		return;
	}
	static char *blocks[200];
	char *p = malloc(64);
	long start, grown;

	assert_true(p != NULL);
	expect_str_contains(kmm_malloc_cmdline(), "mem=128M maxmem=1G");
	/* the boot's 128M less its reservations: no hot-plugged block yet */
	start = mem_total_kb();
	printf("  MemTotal after one malloc: %ld kB\n", start);
	expect_true(start > 0 && start <= 128 * 1024);
	/* 200 MiB: the first growth plugs in what is needed */
	for (size_t i = 0; i < 200; i++) {
		blocks[i] = malloc(MB);
		assert_true(blocks[i] != NULL);
		memset(blocks[i], 0x5a, 4096);
	}
	grown = mem_total_kb();
	expect_true(grown >= start + 120 * 1024);	/* a block less its own vmemmap */
	assert_eq(kmm_malloc_check(), 0);
	for (size_t i = 0; i < 200; i++)
		free(blocks[i]);
	free(p);
	assert_eq(kmm_malloc_check(), 0);
}

#define GROW_THREADS 4
#define GROW_BLOCKS 48	/* 4 x 48 MiB: past the boot's 128M together */

static pthread_barrier_t grow_start;

static void *grow_worker(void *arg)
{
	char **mine = arg;

	pthread_barrier_wait(&grow_start);
	for (int i = 0; i < GROW_BLOCKS; i++) {
		mine[i] = malloc(MB);
		if (!mine[i])
			return "malloc failed";
		memset(mine[i], i, 4096);
		char *small = malloc(64);
		if (!small)
			return "small malloc failed";
		free(small);
	}
	return NULL;
}

/*
 * Four threads run the 128M machine short at about the same time: the
 * first growth onlines the empty Normal zone while the others allocate
 * (and some of them wait on grow_lock to grow it again). Every malloc
 * succeeds, the bytes stay, the checkers hold.
 */
TEST(threads_grow_the_machine_together)
{
	if (!in_child()) {
		expect_eq(run_child("threads_grow_the_machine_together", "1G", 0), 0);
		return;
	}
	static char *blocks[GROW_THREADS][GROW_BLOCKS];
	pthread_t t[GROW_THREADS];
	void *r;

	assert_true(kmm_malloc_machine() != NULL);
	/* no block yet: the threads' growth is the first, into an empty Normal */
	expect_true(mem_total_kb() <= 128 * 1024);
	assert_eq(pthread_barrier_init(&grow_start, NULL, GROW_THREADS), 0);
	for (int i = 0; i < GROW_THREADS; i++)
		assert_eq(pthread_create(&t[i], NULL, grow_worker, blocks[i]), 0);
	for (int i = 0; i < GROW_THREADS; i++) {
		assert_eq(pthread_join(t[i], &r), 0);
		if (r)
			printf("  thread %d: %s\n", i, (const char *)r);
		expect_true(r == NULL);
	}
	expect_true(mem_total_kb() >= 192L * 1024);
	assert_eq(kmm_malloc_check(), 0);
	for (int i = 0; i < GROW_THREADS; i++)
		for (int j = 0; j < GROW_BLOCKS; j++) {
			expect_true(blocks[i][j] != NULL && blocks[i][j][4095] == (char)j);
			free(blocks[i][j]);
		}
	pthread_barrier_destroy(&grow_start);
	assert_eq(kmm_malloc_check(), 0);
}

TEST(a_small_bound_boots_as_before)
{
	if (!in_child()) {
		expect_eq(run_child("a_small_bound_boots_as_before", "192M", 0), 0);
		return;
	}
	char *p = malloc(64);

	assert_true(p != NULL);
	free(p);
	/* KMM_MALLOC_MEM at or below the start size: that RAM, no hotplug area */
	expect_str_contains(kmm_malloc_cmdline(), "mem=192M ");
	expect_true(strstr(kmm_malloc_cmdline(), "maxmem=") == NULL);
	assert_eq(kmm_malloc_check(), 0);
}

TEST(no_address_space_for_the_area_boots_the_whole_bound)
{
	if (!in_child()) {
		/* ulimit -v 8G: the area at 4G needs ~9 GiB of reservations, the old machine ~6 */
		expect_eq(run_child("no_address_space_for_the_area_boots_the_whole_bound", "4G",
				    8ULL << 30), 0);
		return;
	}
	char *p = malloc(64);

	assert_true(p != NULL);
	free(p);
	assert_true(kmm_malloc_machine() != NULL);	/* kmm serves, not glibc */
	expect_str_contains(kmm_malloc_cmdline(), "mem=4G ");
	expect_true(strstr(kmm_malloc_cmdline(), "maxmem=") == NULL);
	assert_eq(kmm_malloc_check(), 0);
}

/*
 * Threads that run the machine short together plug in one block, not one
 * each (review9-shim #3). Deterministic: the machine is first filled with
 * 4 MiB blocks, growth refused by the test's hook (malloc then fails), so
 * that no 4 MiB block is left; then each thread mallocs 4 MiB, fails, and
 * waits in the hook at a barrier until all have failed, before any grows.
 * One growth is enough for all of them: the others find it done.
 */
#define SHORT_THREADS 4
#define FILL_MAX 64

static pthread_barrier_t short_all;
static atomic_int short_refuse = 1;	/* the filling phase: no growth */
static atomic_int short_asks;
static __thread bool short_armed;

static bool short_hook(size_t bytes)
{
	(void)bytes;
	if (atomic_load(&short_refuse))
		return false;
	if (short_armed) {
		short_armed = false;
		atomic_fetch_add(&short_asks, 1);
		pthread_barrier_wait(&short_all);
	}
	return true;
}

static void *short_worker(void *arg)
{
	char **mine = arg;

	short_armed = true;
	*mine = malloc(4 * MB);
	if (!*mine)
		return "malloc failed";
	memset(*mine, 0x3c, 4 * MB);
	return NULL;
}

TEST(threads_that_run_short_together_plug_in_one_block)
{
	if (!in_child()) {
		expect_eq(run_child("threads_that_run_short_together_plug_in_one_block", "1G", 0), 0);
		return;
	}
	static char *fill[FILL_MAX], *got[SHORT_THREADS];
	pthread_t t[SHORT_THREADS];
	size_t n = 0;
	void *r;

	assert_true(kmm_malloc_machine() != NULL);
	kmm_malloc_set_grow_hook(short_hook);
	for (; n < FILL_MAX; n++) {
		fill[n] = malloc(4 * MB);
		if (!fill[n])
			break;
	}
	expect_true(n > 16 && n < FILL_MAX);	/* the boot's 128M, then refused */
	long before = mem_total_kb();
	expect_true(before <= 128 * 1024);	/* nothing plugged in yet */
	atomic_store(&short_refuse, 0);
	assert_eq(pthread_barrier_init(&short_all, NULL, SHORT_THREADS), 0);
	for (int i = 0; i < SHORT_THREADS; i++)
		assert_eq(pthread_create(&t[i], NULL, short_worker, &got[i]), 0);
	for (int i = 0; i < SHORT_THREADS; i++) {
		assert_eq(pthread_join(t[i], &r), 0);
		if (r)
			printf("  thread %d: %s\n", i, (const char *)r);
		expect_true(r == NULL);
	}
	kmm_malloc_set_grow_hook(NULL);
	long after = mem_total_kb();
	printf("  %d threads ran short together: MemTotal %ld -> %ld kB\n", atomic_load(&short_asks),
	       before, after);
	expect_eq(atomic_load(&short_asks), SHORT_THREADS);
	/* one 128M block (less its own memmap), not one per thread */
	expect_true(after > before + 120 * 1024);
	expect_true(after <= before + 128 * 1024);
	assert_eq(kmm_malloc_check(), 0);
	for (int i = 0; i < SHORT_THREADS; i++)
		free(got[i]);
	for (size_t i = 0; i < n; i++)
		free(fill[i]);
	pthread_barrier_destroy(&short_all);
	assert_eq(kmm_malloc_check(), 0);
}
