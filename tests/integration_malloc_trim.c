// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_trim.c - the malloc shim's RAM trim (shim/trim.c,
 * "Returning memory to the host"), linked against the shim by
 * cmake/shim.cmake as integration_malloc_api.
 *
 * Covers: what the automatic trim spares follows what the program
 * re-allocates of big blocks (trim_keep()): nothing for a program that
 * frees big blocks it never allocates again, the blocks of one that
 * allocates them again and again (both counted by mincore over the freed
 * blocks); a free block that a trim gave back is not given back again by
 * the next trim (PageReported, mm/page_reporting.c), so a second
 * malloc_trim() in a row discards nothing and says so; a block reused
 * after a trim and freed again is given back by the next one; free blocks
 * still resident when the RAM in use reaches a new high are given back
 * (peak_trim()), those of 512 KiB and more, and so are they when huge blocks (above 4 MiB, host
 * mappings of their own) take the program to a new high; the free-growth
 * trim's floor is 4 MiB for each CPU slot that threads hold (two: 8 MiB).
 *
 * The first test must run first (as it does, in file order, or alone with
 * KMM_TEST): the shim counts big blocks allocated after its first
 * automatic trim as re-use, and the later tests allocate some.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "shim/shim.h"

#define MIB (1UL << 20)

static void keep(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static unsigned long trimmed(void)
{
	struct kmm_malloc_stats st;

	kmm_malloc_get_stats(&st);
	return st.trimmed_pages;
}

/* Resident pages of the @n blocks of @bytes at @b (mincore over the machine's RAM). */
static unsigned long resident_pages(unsigned char **b, int n, size_t bytes)
{
	static unsigned char vec[(4 * MIB) >> 12];
	unsigned long pages = 0;

	assert_true(bytes <= 4 * MIB && bytes % 4096 == 0);
	for (int i = 0; i < n; i++) {
		assert_true(((uintptr_t)b[i] & 4095) == 0);
		assert_eq(mincore(b[i], bytes, vec), 0);
		for (size_t j = 0; j < bytes >> 12; j++)
			pages += vec[j] & 1;
	}
	return pages;
}

/* @n blocks of @bytes, every byte written. */
static void written_blocks(unsigned char **b, int n, size_t bytes)
{
	for (int i = 0; i < n; i++) {
		b[i] = malloc(bytes);
		assert_true(b[i] != NULL);
		memset(b[i], 0x6b, bytes);
		keep(b[i]);
	}
}

/*
 * Every other one of the last 2 @nf of the @live blocks at @b freed, into
 * @freed: free blocks that stay resident and cannot merge (their buddies
 * are live).
 */
static void free_every_other_of_the_last(unsigned char **b, int live, unsigned char **freed,
					 int nf)
{
	for (int i = 0; i < nf; i++) {
		freed[i] = b[live - 2 * nf + 2 * i];
		free(freed[i]);
	}
}

/* The blocks of @b that free_every_other_of_the_last() left live, freed. */
static void free_the_rest(unsigned char **b, int live, int nf)
{
	for (int i = 0; i < live; i++)
		if (i < live - 2 * nf || i % 2)
			free(b[i]);
}

/*
 * The program grows a step at a time, at most @most steps, until fewer than
 * one block's pages of the @nf free blocks of @bytes at @freed are
 * resident. A step keeps a block of @step_bytes in @grown (written; a huge
 * one, above 4 MiB, only mapped: it counts as held all the same) and
 * allocates, writes and frees a 2 MiB block, whose free runs the trim
 * check. Returns the steps taken; *@left is what stayed resident, in pages.
 */
static int grow_until_given_back(unsigned char **grown, int most, size_t step_bytes,
				 unsigned char **freed, int nf, size_t bytes, unsigned long *left)
{
	int steps = 0;

	*left = resident_pages(freed, nf, bytes);
	while (steps < most && *left >= bytes >> 12) {
		unsigned char *spare;

		if (step_bytes > 4 * MIB) {
			grown[steps] = malloc(step_bytes);
			assert_true(grown[steps] != NULL);
			keep(grown[steps]);
		} else {
			written_blocks(&grown[steps], 1, step_bytes);
		}
		written_blocks(&spare, 1, 2 * MIB);
		free(spare);
		steps++;
		*left = resident_pages(freed, nf, bytes);
	}
	return steps;
}

/*
 * 24 blocks of 1 MiB (page blocks, order 8) allocated once and freed: the
 * automatic trims that the frees set off spare nothing, so at most what
 * was freed after the last of them (less than one trim limit, which is a
 * quarter of the RAM in use, here at most ~7 MiB) stays resident. With the
 * fixed keep of four limits (16 MiB or more) that session 10 had, 16 MiB
 * or more of them did.
 */
TEST(big_blocks_freed_and_never_allocated_again_are_not_kept)
{
	enum { N = 24 };
	unsigned char *b[N];

	assert_true(kmm_malloc_machine() != NULL);
	malloc_trim(0);		/* nothing unreported to start with */
	struct kmm_malloc_stats st0, st1;

	kmm_malloc_get_stats(&st0);
	written_blocks(b, N, MIB);
	expect_eq(resident_pages(b, N, MIB), N * (MIB >> 12));
	for (int i = 0; i < N; i++)
		free(b[i]);
	kmm_malloc_get_stats(&st1);
	expect_true(st1.trims > st0.trims);	/* the frees trimmed */
	unsigned long res = resident_pages(b, N, MIB);
	expect_true(res < (12 * MIB) >> 12);
	expect_true(st1.trimmed_pages - st0.trimmed_pages >= (N * MIB >> 12) - res);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * 8 blocks of 1 MiB allocated, written and freed, five times over: from
 * the second round on, the trims the frees set off spare what the program
 * allocates between them (8 MiB), so the freed blocks stay resident for the
 * next round. A trim that spared nothing would leave only what was freed
 * after it (at most a trim limit, ~4 MiB here) resident.
 */
TEST(big_blocks_allocated_again_and_again_are_kept)
{
	enum { N = 8, ROUNDS = 5 };
	unsigned char *b[N];
	struct kmm_malloc_stats st0, st1;

	malloc_trim(0);
	kmm_malloc_get_stats(&st0);
	for (int r = 0; r < ROUNDS; r++) {
		written_blocks(b, N, MIB);
		for (int i = 0; i < N; i++)
			free(b[i]);
	}
	kmm_malloc_get_stats(&st1);
	expect_true(st1.trims >= st0.trims + ROUNDS - 1);	/* each round's frees trimmed */
	expect_true(resident_pages(b, N, MIB) >= (7 * MIB) >> 12);
	malloc_trim(0);
	expect_eq(resident_pages(b, N, MIB), 0);	/* and malloc_trim gives them back */
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * 600,000 blocks of 64 bytes (~37 MiB of slabs) allocated and freed: the
 * frees set off automatic trims as the slabs they empty go back to the
 * page allocator, though most of them go into a CPU sheaf, uncounted,
 * and only the slow ones (a full sheaf giving half of it back) are
 * counted, each for the frees it stands for (shim/malloc.c,
 * slot_free_counted()). Counting those as one free each, no trim ran.
 */
TEST(small_blocks_freed_set_off_trims)
{
	enum { N = 600000 };
	void **v = malloc(N * sizeof(*v));
	struct kmm_malloc_stats st0, st1;

	assert_true(v != NULL);
	malloc_trim(0);
	kmm_malloc_get_stats(&st0);
	for (int i = 0; i < N; i++) {
		v[i] = malloc(64);
		assert_true(v[i] != NULL);
		memset(v[i], 0x2d, 64);
	}
	for (int i = 0; i < N; i++)
		free(v[i]);
	kmm_malloc_get_stats(&st1);
	printf("  %d frees of 64 bytes: %lu trims, %lu pages trimmed\n", N, st1.trims - st0.trims,
	       st1.trimmed_pages - st0.trimmed_pages);
	expect_true(st1.trims > st0.trims);
	expect_true(st1.trimmed_pages > st0.trimmed_pages);
	free(v);
	expect_eq(kmm_malloc_check(), 0);
}

TEST(a_second_malloc_trim_discards_nothing)
{
	enum { N = 16 };
	unsigned char *b[N];

	assert_true(kmm_malloc_machine() != NULL);
	for (int i = 0; i < N; i++) {
		b[i] = malloc(MIB);		/* page blocks (order 8) */
		assert_true(b[i] != NULL);
		memset(b[i], 0x5a, MIB);
		keep(b[i]);
	}
	for (int i = 0; i < N; i++)
		free(b[i]);
	unsigned long t0 = trimmed();
	int r1 = malloc_trim(0);
	unsigned long t1 = trimmed();
	int r2 = malloc_trim(0);
	unsigned long t2 = trimmed();

	expect_eq(r1, 1);
	/* At least what the trim after the frees spared (4 MiB) went now. */
	expect_true(t1 - t0 >= (4 * MIB) >> 12);
	expect_eq(t2, t1);	/* nothing freed in between: nothing discarded again */
	expect_eq(r2, 0);	/* and malloc_trim says no memory went back, as glibc's */
	expect_eq(kmm_malloc_check(), 0);
}

TEST(a_block_reused_after_a_trim_is_trimmed_again)
{
	malloc_trim(0);
	unsigned long t0 = trimmed();
	unsigned char *p = malloc(2 * MIB);

	assert_true(p != NULL);
	memset(p, 0x33, 2 * MIB);
	keep(p);
	free(p);
	malloc_trim(0);
	/* The block (order 9) and the rest of what it was split from, nothing else. */
	expect_true(trimmed() - t0 >= (2 * MIB) >> 12);
	unsigned long t1 = trimmed();

	malloc_trim(0);
	expect_eq(trimmed(), t1);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * The peak trim (shim/trim.c, peak_trim()): 64 blocks of 1 MiB live, then
 * every other one of the last 16 freed: 8 MiB of free blocks that stay
 * resident, since they cannot merge (their buddies are live) and the
 * free-growth trim does not reach them (8 MiB is under its limit, a quarter
 * of the RAM in use). Then the program grows by blocks of @step_bytes,
 * which those cannot serve (grow_until_given_back()), until the freed
 * blocks are given back, as they must be once the program is an eighth
 * above its high.
 */
static void free_blocks_go_at_a_new_high(size_t step_bytes)
{
	enum { LIVE = 64, FREED = 8, STEPS = 32 };
	static unsigned char *b[LIVE], *freed[FREED], *grown[STEPS];
	unsigned long after;

	malloc_trim(0);
	written_blocks(b, LIVE, MIB);
	free_every_other_of_the_last(b, LIVE, freed, FREED);
	unsigned long before = resident_pages(freed, FREED, MIB);

	expect_true(before >= (6 * MIB) >> 12);
	int steps = grow_until_given_back(grown, STEPS, step_bytes, freed, FREED, MIB, &after);
	printf("  %d MiB of free blocks resident: %lu KiB before the program grew, %lu KiB after "
	       "%zu MiB more in blocks of %zu MiB\n",
	       FREED, before * 4, after * 4, steps * (step_bytes / MIB), step_bytes / MIB);
	expect_true(after < MIB >> 12);
	for (int i = 0; i < steps; i++)
		free(grown[i]);
	free_the_rest(b, LIVE, FREED);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * Blocks of 2 MiB in the machine's RAM (each step allocates two and frees
 * one, and the free runs the trim check): once the RAM in use is an eighth
 * above its high, the freed blocks are given back. Without the peak trim
 * all 8 MiB stayed resident however far the program grew.
 */
TEST(free_blocks_go_when_the_ram_in_use_reaches_a_new_high)
{
	free_blocks_go_at_a_new_high(2 * MIB);
}

/*
 * The peak trim gives back free blocks of 512 KiB and more, not the 256
 * KiB ones (shim/trim.c, peak_trim_order): 8 free blocks of each size,
 * resident and unmergeable (every other one of the last 16 of 64 freed),
 * then the program grows by 2 MiB blocks as in the test above until the
 * 512 KiB ones are given back; the 256 KiB ones are still resident then.
 * (From 256 KiB, mixed_sizes faulted 1k pages more for a 1 MB higher peak
 * and mt_churn 1 100000 2000's peak was 2.3 MB higher: docs/malloc-measured.md.)
 */
TEST(a_peak_trim_leaves_free_blocks_under_512k_resident)
{
	enum { LIVE = 64, FREED = 8, STEPS = 32 };
	static unsigned char *small[LIVE], *big[LIVE], *fs[FREED], *fb[FREED], *grown[STEPS];
	const size_t s = 256 << 10, l = 512 << 10;
	unsigned long big_after;

	malloc_trim(0);
	written_blocks(small, LIVE, s);
	written_blocks(big, LIVE, l);
	free_every_other_of_the_last(small, LIVE, fs, FREED);
	free_every_other_of_the_last(big, LIVE, fb, FREED);
	unsigned long small_before = resident_pages(fs, FREED, s);

	expect_eq(small_before, FREED * (s >> 12));
	expect_eq(resident_pages(fb, FREED, l), FREED * (l >> 12));
	int steps = grow_until_given_back(grown, STEPS, 2 * MIB, fb, FREED, l, &big_after);
	unsigned long small_after = resident_pages(fs, FREED, s);
	printf("  after %d MiB more: free 512 KiB blocks %lu KiB resident, 256 KiB blocks %lu KiB\n",
	       2 * steps, big_after * 4, small_after * 4);
	expect_true(big_after < (l >> 12));
	expect_eq(small_after, small_before);
	for (int i = 0; i < steps; i++)
		free(grown[i]);
	free_the_rest(small, LIVE, FREED);
	free_the_rest(big, LIVE, FREED);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * The peak trim counts the live huge blocks' bytes too (trim_footprint()):
 * the program grows by huge blocks of 16 MiB, which live outside the
 * machine's RAM (each step also allocates and frees a 2 MiB block, whose
 * free runs the trim check with the RAM in use as it was). Once the huge
 * blocks take the program an eighth above its last high, the free blocks
 * are given back. Counting the RAM in use alone, they stayed resident
 * however many huge blocks the program held (big_reuse's peak held ~10 MB
 * of them).
 */
TEST(free_blocks_go_when_huge_blocks_take_the_program_to_a_new_high)
{
	free_blocks_go_at_a_new_high(16 * MIB);
}

static unsigned long trims(void)
{
	struct kmm_malloc_stats st;

	kmm_malloc_get_stats(&st);
	return st.trims;
}

static pthread_barrier_t slot_go, slot_freed;

/*
 * A second thread, on a CPU slot of its own: frees a 1 MiB block (its slot
 * runs the trim check) when the main thread says, then waits to exit.
 */
static void *slot_freer(void *arg)
{
	(void)arg;
	unsigned char *p;

	pthread_barrier_wait(&slot_go);
	written_blocks(&p, 1, MIB);
	free(p);
	pthread_barrier_wait(&slot_freed);
	return NULL;
}

/*
 * 12 blocks of 1 MiB written; one freed (the trim check marks the free
 * memory's low), then, with @other, a 1 MiB block freed by a second thread,
 * then @first more: the trims those frees set off, then the rest freed. The
 * RAM in use stays under 16 MiB, so the trim limit is its floor.
 */
static unsigned long trims_after_freeing(int first, bool other, unsigned long *rest)
{
	unsigned char *b[12];
	pthread_t t;

	if (other) {
		assert_eq(pthread_barrier_init(&slot_go, NULL, 2), 0);
		assert_eq(pthread_barrier_init(&slot_freed, NULL, 2), 0);
		assert_eq(pthread_create(&t, NULL, slot_freer, NULL), 0);
	}
	written_blocks(b, 12, MIB);
	free(b[0]);
	unsigned long t0 = trims();
	if (other) {
		pthread_barrier_wait(&slot_go);
		pthread_barrier_wait(&slot_freed);
	}
	for (int i = 1; i <= first; i++)
		free(b[i]);
	unsigned long t1 = trims();
	for (int i = first + 1; i < 12; i++)
		free(b[i]);
	*rest = trims() - t1;
	if (other) {
		assert_eq(pthread_join(t, NULL), 0);
		pthread_barrier_destroy(&slot_go);
		pthread_barrier_destroy(&slot_freed);
	}
	return t1 - t0;
}

/*
 * The free-growth trim's floor is 4 MiB for each CPU slot that freed since
 * the last trim (trim_floor(), session 26): freeing 6 MiB of page blocks
 * sets a trim off while only this thread frees, none when a second thread
 * on another slot has freed 1 MiB too (7 MiB under the 8 MiB floor), and
 * the 12 MiB freed in all do. A first round of 24 MiB puts the peak trim's
 * next high out of reach and leaves this thread's slot the only one
 * counted. The shim's machine has 16 slots at least (maxcpus), so the
 * second thread has one of its own on any host, one CPU or many.
 */
TEST(the_trim_floor_grows_with_the_slots_freeing)
{
	unsigned char *warm[24];
	unsigned long rest;

	written_blocks(warm, 24, MIB);
	for (int i = 0; i < 24; i++)
		free(warm[i]);
	malloc_trim(0);
	unsigned long one = trims_after_freeing(6, false, &rest);
	printf("  one slot freeing: %lu trims after 6 MiB freed\n", one);
	expect_true(one >= 1);
	malloc_trim(0);
	unsigned long two = trims_after_freeing(6, true, &rest);
	printf("  two slots freeing: %lu trims after 7 MiB freed, %lu after 5 MiB more\n", two, rest);
	expect_eq(two, 0);
	expect_true(rest >= 1);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}
