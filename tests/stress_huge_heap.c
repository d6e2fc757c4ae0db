// SPDX-License-Identifier: MIT
/*
 * tests/stress_huge_heap.c - the malloc shim's heap of freed huge ranges
 * (shim/huge_cache.c) and its table of huge blocks (shim/huge_table.c) on
 * four threads at once, compiled into this test rather than preloaded, so
 * that ThreadSanitizer runs them (label tsan, cmake/harden.cmake): the
 * shim's own tests are off under sanitizers, whose runtime's malloc wins
 * over the shim's (cmake/shim.cmake), so until session 27 no TSan run
 * reached the huge heap's locking, its host calls outside huge_lock and
 * its page moves between threads' ranges.
 *
 * Each thread does what shim/huge.c does for a block above 4 MiB: take
 * its bytes from the heap (with moved pages, or a fresh mapping) or map
 * them, record it in the table, write a tag into one byte of every 16th
 * page and its last byte; and later check the tag, take it out of the
 * table and put its range back into the heap. A block carved twice, or a
 * page moved out of a live block, shows as another thread's tag. The
 * RAM side (shim/trim.c's moves of free RAM blocks' pages) is not here:
 * this test boots no machine; trim_move_free() gives nothing.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "shim/huge_cache.c"
#include "shim/huge_table.c"

bool harden_on;

size_t trim_move_free(uintptr_t to, size_t len, size_t min, int *err)
{
	(void)to;
	(void)len;
	(void)min;
	*err = 0;
	return 0;
}

/* As if two CPU slots freed: fresh blocks count in the heap's re-use high. */
bool trim_slots_apart(void)
{
	return true;
}

#define THREADS 4
#define LIVE 3
#define TAG_STRIDE (16 * PAGE_SIZE)

static uint64_t seed;
static atomic_long bad, reused, fresh_maps;

struct block {
	unsigned char *p;
	size_t usable;
	uint32_t tag;
};

static void tag_block(const struct block *b)
{
	for (size_t off = 0; off < b->usable; off += TAG_STRIDE)
		memcpy(b->p + off, &b->tag, sizeof(b->tag));
	b->p[b->usable - 1] = (unsigned char)b->tag;
}

static bool tag_holds(const struct block *b)
{
	for (size_t off = 0; off < b->usable; off += TAG_STRIDE) {
		uint32_t t;
		memcpy(&t, b->p + off, sizeof(t));
		if (t != b->tag)
			return false;
	}
	return b->p[b->usable - 1] == (unsigned char)b->tag;
}

/* shim/huge.c's huge_alloc() without alignment or hardening. */
static bool block_alloc(struct block *b, size_t size, bool fill)
{
	size_t usable = ALIGN_UP(size, PAGE_SIZE), len = usable + PAGE_SIZE, got = 0;
	unsigned char *base = huge_cache_take(len, fill, &got);

	if (base) {
		len = got;
		atomic_fetch_add(&reused, 1);
	} else {
		base = sim_reserve(len, true);
		if (!base)
			return false;
		sim_protect(base + usable, PAGE_SIZE, false);
		atomic_fetch_add(&fresh_maps, 1);
	}
	if (!huge_insert((uintptr_t)base, base, len, usable)) {
		sim_release(base, len);
		return false;
	}
	b->p = base;
	b->usable = usable;
	return true;
}

/* shim/huge.c's huge_free(). */
static void block_free(struct block *b)
{
	struct huge_entry e;
	bool was_freed;

	if (!huge_remove((uintptr_t)b->p, &e, &was_freed)) {
		atomic_fetch_add(&bad, 1);
		return;
	}
	huge_cache_put(e.base, e.len, e.usable);
	b->p = NULL;
}

static void *worker(void *arg)
{
	int id = (int)(uintptr_t)arg;
	uint64_t s = seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(id + 1));
	struct block live[LIVE] = { 0 };
	int rounds = getenv("KMM_QUICK") ? 60 : 300;

	for (int r = 0; r < rounds; r++) {
		struct block *b = &live[t_rnd(&s, LIVE)];
		if (b->p) {
			if (!tag_holds(b))
				atomic_fetch_add(&bad, 1);
			block_free(b);
		}
		size_t size = (4UL << 20) + t_rnd(&s, 12UL << 20);
		if (!block_alloc(b, size, t_rnd(&s, 4) != 0)) {
			atomic_fetch_add(&bad, 1);
			continue;
		}
		b->tag = (uint32_t)id << 24 | (uint32_t)r;
		tag_block(b);
	}
	for (int k = 0; k < LIVE; k++)
		if (live[k].p) {
			if (!tag_holds(&live[k]))
				atomic_fetch_add(&bad, 1);
			block_free(&live[k]);
		}
	return NULL;
}

TEST(four_threads_carve_move_and_free_huge_ranges_apart)
{
	pthread_t t[THREADS];

	seed = kmm_test_seed();
	for (int i = 0; i < THREADS; i++)
		assert_eq(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("  %ld blocks from the heap, %ld fresh mappings, %ld wrong\n", atomic_load(&reused),
	       atomic_load(&fresh_maps), atomic_load(&bad));
	expect_eq(atomic_load(&bad), 0);
	expect_true(atomic_load(&reused) > 0);
	expect_eq(huge_cache_check(), 0);
	spin_lock(&huge_lock);
	size_t live = huge_live_bytes;
	spin_unlock(&huge_lock);
	expect_eq(live, 0);
	huge_cache_trim();
	expect_eq(huge_cache_check(), 0);
}

