// SPDX-License-Identifier: MIT
/*
 * tests/unit_lab_pool.c - the lab's pool allocators (include/kmm/pool.h):
 * the first seed's claims (first fit can beat best fit and the reverse, the
 * buddy thrash and lazy coalescing), double and invalid frees, alignment,
 * metadata outside the region, offsets that survive a move (a copy, a second
 * mapping, a file mapped again and by a child process), the fixed pool.
 * Every test ends with the pool's checker.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmm/pool.h>

#include "tests/harness.h"
#include "tests/lab_test.h"

/* ---- The seed's point 3: no fit policy is best on every input ---- */

/*
 * Make a pool whose only free space is two holes: @h1 bytes, then higher up
 * @h2 bytes (block sizes, headers included), kept apart by allocated blocks.
 */
static void make_holes(struct tpool *t, int pol, uint32_t h1, uint32_t h2)
{
	struct kmm_pool_config c = lab_cfg(pol, false);

	tpool_make(t, &c, 16384);
	size_t a = kmm_pool_alloc_off(&t->p, h1 - 8);
	size_t s1 = kmm_pool_alloc_off(&t->p, 8);
	size_t b = kmm_pool_alloc_off(&t->p, h2 - 8);
	size_t rest = kmm_pool_largest_free(&t->p);
	size_t s2 = kmm_pool_alloc_off(&t->p, rest - 8);
	assert_true(a != KMM_POOL_NOFF && s1 != KMM_POOL_NOFF && b != KMM_POOL_NOFF &&
		    s2 != KMM_POOL_NOFF);
	expect_eq(kmm_pool_largest_free(&t->p), 0);
	expect_eq(kmm_pool_free_off(&t->p, a), 0);
	expect_eq(kmm_pool_free_off(&t->p, b), 0);
	expect_eq(kmm_pool_largest_free(&t->p), h1 > h2 ? h1 : h2);
	expect_eq(kmm_pool_check(&t->p), 0);
}

/* Allocate blocks of these sizes (headers included); return how many failed. */
static int run_requests(struct tpool *t, const uint32_t *blocks, int n)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		if (kmm_pool_alloc_off(&t->p, blocks[i] - 8) == KMM_POOL_NOFF)
			failed++;
		assert_eq(kmm_pool_check(&t->p), 0);
	}
	return failed;
}

TEST(first_fit_fails_where_best_fit_succeeds)
{
	/* holes 2048 and 1536; ask 1024 then 2048 */
	static const uint32_t req[] = { 1024, 2048 };
	struct tpool ff, bf;

	make_holes(&ff, KMM_POOL_FIRST_FIT, 2048, 1536);
	make_holes(&bf, KMM_POOL_BEST_FIT, 2048, 1536);
	/* first fit cuts 1024 from the 2048 hole: 1024 and 1536 left, 2048 fails */
	expect_eq(run_requests(&ff, req, 2), 1);
	/* best fit takes the 1536 hole for 1024: the 2048 hole is still whole */
	expect_eq(run_requests(&bf, req, 2), 0);
	tpool_done(&ff);
	tpool_done(&bf);
}

TEST(best_fit_fails_where_first_fit_succeeds)
{
	/* Knuth's example, in 16-byte units: holes 1312 and 1200; ask 1008, 1104, 256 */
	static const uint32_t req[] = { 1008, 1104, 256 };
	struct tpool ff, bf;

	make_holes(&ff, KMM_POOL_FIRST_FIT, 1312, 1200);
	make_holes(&bf, KMM_POOL_BEST_FIT, 1312, 1200);
	/* first fit: 1312 -> 304, 1200 -> 96, and 256 fits in the 304 */
	expect_eq(run_requests(&ff, req, 3), 0);
	/* best fit: 1200 -> 192, 1312 -> 208: no hole holds 256 */
	expect_eq(run_requests(&bf, req, 3), 1);
	tpool_done(&ff);
	tpool_done(&bf);
}

TEST(first_fit_list_is_address_ordered_with_a_dummy_head)
{
	struct kmm_pool_config c = lab_cfg(KMM_POOL_FIRST_FIT, false);
	struct tpool t;
	size_t off[8];

	tpool_make(&t, &c, 8192);
	for (int i = 0; i < 8; i++)
		off[i] = kmm_pool_alloc_off(&t.p, 100);
	/* free every other block, highest first: the list must come out in address order */
	for (int i = 6; i >= 0; i -= 2)
		expect_eq(kmm_pool_free_off(&t.p, off[i]), 0);
	expect_eq(kmm_pool_check(&t.p), 0);	/* the checker proves the order */
	/* the first fit is the lowest hole, whichever was freed last */
	expect_eq(kmm_pool_alloc_off(&t.p, 100), off[0]);
	tpool_done(&t);
}

TEST(lifo_first_fit_reuses_the_last_freed_block)
{
	struct kmm_pool_config c = lab_cfg(KMM_POOL_FIRST_FIT_LIFO, false);
	struct tpool t;
	size_t off[6];

	tpool_make(&t, &c, 8192);
	for (int i = 0; i < 6; i++)
		off[i] = kmm_pool_alloc_off(&t.p, 100);
	expect_eq(kmm_pool_free_off(&t.p, off[0]), 0);
	expect_eq(kmm_pool_free_off(&t.p, off[2]), 0);
	expect_eq(kmm_pool_alloc_off(&t.p, 100), off[2]);
	tpool_done(&t);
}

TEST(next_fit_resumes_where_the_last_search_ended)
{
	struct kmm_pool_config c = lab_cfg(KMM_POOL_NEXT_FIT, false);
	struct tpool t;
	size_t off[6];

	tpool_make(&t, &c, 8192);
	for (int i = 0; i < 6; i++)
		off[i] = kmm_pool_alloc_off(&t.p, 200);
	expect_eq(kmm_pool_free_off(&t.p, off[1]), 0);
	expect_eq(kmm_pool_free_off(&t.p, off[3]), 0);
	/* the rover sits at the tail (after the last allocation): wraps to hole 1 */
	size_t a = kmm_pool_alloc_off(&t.p, 8000 - 6 * 208 - 200);	/* takes most of the tail */
	expect_true(a > off[5]);
	expect_eq(kmm_pool_alloc_off(&t.p, 200), off[1]);
	/* first fit would take hole 1 again; next fit goes on to hole 3 */
	expect_eq(kmm_pool_free_off(&t.p, off[1]), 0);
	expect_eq(kmm_pool_alloc_off(&t.p, 200), off[3]);
	tpool_done(&t);
}

TEST(worst_fit_takes_the_largest_hole)
{
	struct tpool t;

	make_holes(&t, KMM_POOL_WORST_FIT, 1024, 2048);
	size_t a = kmm_pool_alloc_off(&t.p, 100);
	expect_eq(kmm_pool_largest_free(&t.p), 2048 - 112);
	expect_true(a != KMM_POOL_NOFF);
	tpool_done(&t);
}

TEST(segregated_fit_searches_the_request_class_then_a_larger_one)
{
	struct kmm_pool_config c = lab_cfg(KMM_POOL_SEGREGATED, false);
	struct tpool t;

	/* blocks (8-byte header, 16-byte granule): A 512 (class 512-1023), D and B
	 * 48 (class 32-63), C 208 (class 128-255), kept apart by small live ones */
	tpool_make(&t, &c, 16384);
	size_t a = kmm_pool_alloc_off(&t.p, 500), s1 = kmm_pool_alloc_off(&t.p, 8);
	size_t d = kmm_pool_alloc_off(&t.p, 40), s2 = kmm_pool_alloc_off(&t.p, 8);
	size_t b = kmm_pool_alloc_off(&t.p, 40), s3 = kmm_pool_alloc_off(&t.p, 8);
	size_t cc = kmm_pool_alloc_off(&t.p, 200), s4 = kmm_pool_alloc_off(&t.p, 8);
	size_t rest = kmm_pool_alloc_off(&t.p, kmm_pool_largest_free(&t.p) - 8);
	assert_true(a != KMM_POOL_NOFF && s1 != KMM_POOL_NOFF && d != KMM_POOL_NOFF &&
		    s2 != KMM_POOL_NOFF && b != KMM_POOL_NOFF && s3 != KMM_POOL_NOFF &&
		    cc != KMM_POOL_NOFF && s4 != KMM_POOL_NOFF && rest != KMM_POOL_NOFF);
	assert_true(a < d && d < b && b < cc);
	expect_eq(kmm_pool_free_off(&t.p, a), 0);
	expect_eq(kmm_pool_free_off(&t.p, d), 0);
	expect_eq(kmm_pool_free_off(&t.p, cc), 0);
	expect_eq(kmm_pool_free_off(&t.p, b), 0);
	expect_eq(kmm_pool_check(&t.p), 0);

	/* its own class first, last freed first: B (first fit would take A, the lowest) */
	expect_eq(kmm_pool_alloc_off(&t.p, 40), b);
	/* class 64-127 is empty: the head of the next non-empty class, C (not A),
	 * split (its 96-byte rest goes to class 64-127) */
	expect_eq(kmm_pool_alloc_off(&t.p, 100), cc);
	expect_eq(kmm_pool_alloc_off(&t.p, 40), d);
	/* 416 bytes: class 256-511 and the rest of C cannot serve it; A can */
	expect_eq(kmm_pool_alloc_off(&t.p, 400), a);
	expect_eq(kmm_pool_check(&t.p), 0);
	expect_eq(kmm_pool_alloc_off(&t.p, 2000), KMM_POOL_NOFF);
	struct kmm_pool_stats st;
	kmm_pool_get_stats(&t.p, &st);
	expect_eq(st.failed, 1);
	tpool_done(&t);
}

/* ---- The seed's point 5: the buddy thrash, eager against lazy ---- */

TEST(buddy_thrash_costs_splits_and_merges_only_when_eager)
{
	for (int lazy = 0; lazy <= 1; lazy++) {
		struct kmm_pool_config c = lab_cfg(lazy ? KMM_POOL_BUDDY_LAZY : KMM_POOL_BUDDY, true);
		struct kmm_pool_stats st;
		struct tpool t;

		/* metadata outside: the arena is exactly 1 MiB, one order-16 block */
		tpool_make(&t, &c, 1 << 20);
		for (int i = 0; i < 1000; i++) {
			size_t a = kmm_pool_alloc_off(&t.p, 512);	/* order 5 */
			assert_true(a != KMM_POOL_NOFF);
			expect_eq(kmm_pool_free_off(&t.p, a), 0);
			assert_eq(kmm_pool_check(&t.p), 0);
		}
		kmm_pool_get_stats(&t.p, &st);
		if (!lazy) {
			/* every round: split 16 -> 5 (11 splits), merge back (11 merges) */
			expect_eq(st.splits, 11 * 1000);
			expect_eq(st.merges, 11 * 1000);
			expect_eq(kmm_pool_largest_free(&t.p), 1 << 20);
		} else {
			/* only the first round splits; nothing is merged */
			expect_eq(st.splits, 11);
			expect_eq(st.merges, 0);
			expect_eq(kmm_pool_largest_free(&t.p), 1 << 19);
			/* the merge is postponed, not lost: a 1 MiB request merges all */
			size_t big = kmm_pool_alloc_off(&t.p, 1 << 20);
			expect_eq(big, 0);
			kmm_pool_get_stats(&t.p, &st);
			expect_eq(st.merges, 11);
			expect_eq(kmm_pool_free_off(&t.p, big), 0);
		}
		tpool_done(&t);
	}
}

TEST(buddy_blocks_are_aligned_to_their_size)
{
	struct kmm_pool_config c = lab_cfg(KMM_POOL_BUDDY, true);
	struct tpool t;

	tpool_make(&t, &c, 1 << 16);
	size_t a = kmm_pool_alloc_off(&t.p, 16);
	size_t b = kmm_pool_alloc_off(&t.p, 1000);	/* order 6: 1024 bytes */
	size_t d = kmm_pool_alloc_off(&t.p, 17);	/* 32 bytes */
	expect_eq(a, 0);
	expect_eq(b % 1024, 0);
	expect_eq(d % 32, 0);
	expect_eq(kmm_pool_usable_size_off(&t.p, b), 1024);
	tpool_done(&t);
}

/* ---- Double and invalid frees ---- */

TEST(double_and_invalid_frees_are_refused_and_change_nothing)
{
	for (int outside = 0; outside <= 1; outside++) {
		LAB_ALL_POLICIES(pol) {
			struct kmm_pool_config c = lab_cfg(pol, outside);
			struct kmm_pool_stats before, after;
			struct tpool t;

			tpool_make(&t, &c, 1 << 16);
			size_t a = kmm_pool_alloc_off(&t.p, 40);
			size_t b = kmm_pool_alloc_off(&t.p, 40);
			size_t d = kmm_pool_alloc_off(&t.p, 40);
			assert_true(a != KMM_POOL_NOFF && b != KMM_POOL_NOFF && d != KMM_POOL_NOFF);
			expect_eq(kmm_pool_free_off(&t.p, b), 0);
			kmm_pool_get_stats(&t.p, &before);

			expect_eq(kmm_pool_free_off(&t.p, b), -EALREADY);
			expect_str_contains(kmm_pool_error(&t.p), "double free");
			expect_eq(kmm_pool_free_off(&t.p, a + 8), -EINVAL);
			expect_str_contains(kmm_pool_error(&t.p), "inside");
			expect_eq(kmm_pool_free_off(&t.p, t.size + 64), -EINVAL);
			expect_str_contains(kmm_pool_error(&t.p), "not");
			expect_eq(kmm_pool_free(&t.p, (char *)t.region - 16), -EINVAL);

			kmm_pool_get_stats(&t.p, &after);
			expect_eq(memcmp(&before, &after, sizeof(before)), 0);
			expect_eq(kmm_pool_check(&t.p), 0);
			expect_eq(kmm_pool_free_off(&t.p, a), 0);
			expect_eq(kmm_pool_free_off(&t.p, d), 0);
			kmm_pool_get_stats(&t.p, &after);
			expect_eq(after.live_blocks, 0);
			tpool_done(&t);
		}
	}
}

/* ---- Alignment ---- */

TEST(aligned_allocations_are_aligned)
{
	for (int outside = 0; outside <= 1; outside++) {
		LAB_ALL_POLICIES(pol) {
			struct kmm_pool_config c = lab_cfg(pol, outside);
			struct tpool t;

			if (pol == KMM_POOL_FIXED)
				continue;	/* tested below: its objects have fixed places */
			tpool_make(&t, &c, 1 << 18);
			for (size_t align = 16; align <= 4096; align <<= 1) {
				void *x = kmm_pool_aligned_alloc(&t.p, align, 100);
				if (!x && (pol == KMM_POOL_BUDDY || pol == KMM_POOL_BUDDY_LAZY) &&
				    !outside)
					continue;	/* its arena starts where its tags end */
				assert_true(x != NULL);
				expect_eq((uintptr_t)x % align, 0);
				expect_true(kmm_pool_usable_size(&t.p, x) >= 100);
				memset(x, 0xab, 100);
				assert_eq(kmm_pool_check(&t.p), 0);
			}
			expect_true(kmm_pool_aligned_alloc(&t.p, 48, 10) == NULL);	/* not 2^n */
			tpool_done(&t);
		}
	}
}

TEST(every_block_is_granule_aligned)
{
	LAB_ALL_POLICIES(pol) {
		struct kmm_pool_config c = lab_cfg(pol, false);
		struct tpool t;

		c.align = 64;
		tpool_make(&t, &c, 1 << 16);
		for (int i = 1; i < 40; i++) {
			size_t a = kmm_pool_alloc_off(&t.p, (size_t)i);
			assert_true(a != KMM_POOL_NOFF);
			expect_eq(a % 64, 0);
		}
		tpool_done(&t);
	}
}

/* ---- Metadata outside: the region is never touched ---- */

TEST(outside_metadata_never_touches_the_region)
{
	long pg = sysconf(_SC_PAGESIZE);

	LAB_ALL_POLICIES(pol) {
		struct kmm_pool_config c = lab_cfg(pol, true);
		size_t size = 64 * (size_t)pg;
		struct kmm_pool p;
		void *region = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t msize = kmm_pool_meta_size(&c, size);
		void *meta = aligned_alloc(64, (msize + 63) & ~(size_t)63);

		assert_true(region != MAP_FAILED && meta != NULL);
		/* any access to the region would fault: the pool must not make one */
		assert_eq(kmm_pool_init(&p, &c, region, size, meta, msize), 0);
		size_t off[64];
		int n = 0;
		for (int i = 0; i < 64; i++) {
			size_t want = (size_t)(i * 37 % (pol == KMM_POOL_FIXED ? 48 : 700)) + 1;
			off[n] = kmm_pool_alloc_off(&p, want);
			if (off[n] != KMM_POOL_NOFF)
				n++;
		}
		expect_true(n > 10);
		for (int i = 0; i < n; i += 2)
			expect_eq(kmm_pool_free_off(&p, off[i]), 0);
		expect_eq(kmm_pool_free_off(&p, off[0]), -EALREADY);
		for (int i = 1; i < n; i += 2)
			expect_eq(kmm_pool_resize_off(&p, off[i], 8), 0);
		expect_eq(kmm_pool_check(&p), 0);
		munmap(region, size);
		free(meta);
	}
}

TEST(metadata_sizes_and_bad_configs_are_reported)
{
	struct kmm_pool p;
	static _Alignas(64) unsigned char region[4096];
	struct kmm_pool_config c = lab_cfg(KMM_POOL_TLSF, false);

	c.align = 24;
	expect_eq(kmm_pool_init(&p, &c, region, sizeof(region), NULL, 0), -EINVAL);
	expect_str_contains(kmm_pool_error(&p), "power of two");
	c.align = 16;
	expect_eq(kmm_pool_init(&p, &c, region + 8, 1024, NULL, 0), -EINVAL);
	expect_str_contains(kmm_pool_error(&p), "aligned");
	expect_eq(kmm_pool_init(&p, &c, region, 64, NULL, 0), -EINVAL);
	expect_str_contains(kmm_pool_error(&p), "too small");
	c.flags = KMM_POOL_META_OUTSIDE;
	size_t need = kmm_pool_meta_size(&c, sizeof(region));
	expect_true(need > sizeof(region) / 16 * 16);	/* a descriptor per granule */
	static _Alignas(64) unsigned char meta[16384];
	expect_eq(kmm_pool_init(&p, &c, region, sizeof(region), meta, need - 1), -EINVAL);
	expect_str_contains(kmm_pool_error(&p), "needs");
	expect_eq(kmm_pool_init(&p, &c, region, sizeof(region), meta, need), 0);
	c.policy = KMM_POOL_FIXED;
	c.flags = 0;
	expect_eq(kmm_pool_init(&p, &c, region, sizeof(region), NULL, 0), -EINVAL);
	expect_str_contains(kmm_pool_error(&p), "object size");
	expect_eq(kmm_pool_policy_parse("tlsf"), KMM_POOL_TLSF);
	expect_eq(kmm_pool_policy_parse("best"), -1);
}

/* ---- Offsets, not pointers: a pool that moves keeps working ---- */

TEST(pools_copied_to_another_address_keep_working)
{
	for (int outside = 0; outside <= 1; outside++) {
		LAB_ALL_POLICIES(pol) {
			struct kmm_pool_config c = lab_cfg(pol, outside);
			struct tpool t;
			struct kmm_pool q;
			size_t off[32];

			tpool_make(&t, &c, 1 << 16);
			for (int i = 0; i < 32; i++) {
				off[i] = kmm_pool_alloc_off(&t.p, 40);
				assert_true(off[i] != KMM_POOL_NOFF);
				memset(kmm_pool_ptr(&t.p, off[i]), 'a' + i % 26, 40);
			}
			for (int i = 0; i < 32; i += 3)
				expect_eq(kmm_pool_free_off(&t.p, off[i]), 0);

			/* copy the bytes somewhere else and wipe the original */
			unsigned char *r2 = aligned_alloc(4096, t.size);
			unsigned char *m2 = outside ? aligned_alloc(64, LAB_ROUND64(t.meta_size)) : NULL;
			assert_true(r2 != NULL);
			memcpy(r2, t.region, t.size);
			memset(t.region, 0x5a, t.size);
			if (outside) {
				memcpy(m2, t.meta, t.meta_size);
				memset(t.meta, 0x5a, t.meta_size);
			}
			assert_eq(kmm_pool_attach(&q, r2, t.size, m2, t.meta_size), 0);
			assert_eq(kmm_pool_check(&q), 0);
			for (int i = 0; i < 32; i++) {
				if (i % 3 == 0)
					continue;
				unsigned char *x = kmm_pool_ptr(&q, off[i]);
				expect_true(x[0] == 'a' + i % 26 && x[39] == 'a' + i % 26);
				expect_eq(kmm_pool_free_off(&q, off[i]), 0);
			}
			expect_eq(kmm_pool_free_off(&q, off[0]), -EALREADY);
			struct kmm_pool_stats st;
			kmm_pool_get_stats(&q, &st);
			expect_eq(st.live_blocks, 0);
			expect_true(kmm_pool_alloc(&q, 40) != NULL);
			expect_eq(kmm_pool_check(&q), 0);
			/* attach refuses what is not a pool */
			expect_eq(kmm_pool_attach(&q, t.region, t.size, t.meta, t.meta_size), -EINVAL);
			expect_str_contains(kmm_pool_error(&q), "no pool");
			free(r2);
			free(m2);
			free(t.region);
			free(t.meta);
		}
	}
}

TEST(one_pool_mapped_at_two_addresses)
{
	/* the same bytes at two addresses, as two processes sharing a pool see them */
	size_t size = 1 << 16;
	FILE *f = tmpfile();
	assert_true(f != NULL);
	int fd = fileno(f);
	assert_eq(ftruncate(fd, (off_t)size), 0);
	unsigned char *a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	unsigned char *b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(a != MAP_FAILED && b != MAP_FAILED && a != b);

	struct kmm_pool_config c = lab_cfg(KMM_POOL_TLSF, false);
	struct kmm_pool pa, pb;
	assert_eq(kmm_pool_init(&pa, &c, a, size, NULL, 0), 0);
	assert_eq(kmm_pool_attach(&pb, b, size, NULL, 0), 0);
	size_t x = kmm_pool_alloc_off(&pa, 100);
	strcpy(kmm_pool_ptr(&pa, x), "written through the first mapping");
	expect_eq(strcmp(kmm_pool_ptr(&pb, x), "written through the first mapping"), 0);
	expect_eq(kmm_pool_free_off(&pb, x), 0);	/* freed through the second */
	expect_eq(kmm_pool_free_off(&pa, x), -EALREADY);
	expect_eq(kmm_pool_check(&pa), 0);
	munmap(a, size);
	munmap(b, size);
	fclose(f);
}

/*
 * A pool kept in a file: made through one mapping, unmapped, mapped again
 * at another address, then used by a child process through a mapping of
 * its own (at a third address) while the parent still holds one. Each side
 * sees the other's allocations, frees and bytes; every policy, metadata
 * inside and outside (the metadata area is the file's second part).
 */
#define SHARED_REGION (1 << 16)

static int child_uses_the_pool(int fd, size_t meta_off, size_t meta_size, size_t keep,
			       size_t drop, size_t *made)
{
	unsigned char *r = mmap(NULL, meta_off + meta_size, PROT_READ | PROT_WRITE, MAP_SHARED,
				fd, 0);
	struct kmm_pool q;

	if (r == MAP_FAILED)
		return 1;
	if (kmm_pool_attach(&q, r, SHARED_REGION, meta_size ? r + meta_off : NULL, meta_size) ||
	    kmm_pool_check(&q))
		return 2;
	if (strcmp(kmm_pool_ptr(&q, keep), "from the parent"))
		return 3;
	if (kmm_pool_free_off(&q, drop))
		return 4;
	*made = kmm_pool_alloc_off(&q, 40);
	if (*made == KMM_POOL_NOFF)
		return 5;
	strcpy(kmm_pool_ptr(&q, *made), "from the child");
	return kmm_pool_check(&q) ? 6 : 0;
}

TEST(pool_kept_in_a_file_and_shared_with_a_child_process)
{
	for (int outside = 0; outside <= 1; outside++) {
		LAB_ALL_POLICIES(pol) {
			struct kmm_pool_config c = lab_cfg(pol, outside);
			size_t meta_size = outside ? kmm_pool_meta_size(&c, SHARED_REGION) : 0;
			size_t meta_off = SHARED_REGION, len = meta_off + meta_size;
			FILE *f = tmpfile();
			assert_true(f != NULL);
			int fd = fileno(f);
			assert_eq(ftruncate(fd, (off_t)len), 0);

			/* made through a first mapping, which then goes away */
			unsigned char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			assert_true(a != MAP_FAILED);
			struct kmm_pool pa;
			assert_eq(kmm_pool_init(&pa, &c, a, SHARED_REGION,
						outside ? a + meta_off : NULL, meta_size), 0);
			size_t keep = kmm_pool_alloc_off(&pa, 40), drop = kmm_pool_alloc_off(&pa, 40);
			assert_true(keep != KMM_POOL_NOFF && drop != KMM_POOL_NOFF);
			strcpy(kmm_pool_ptr(&pa, keep), "from the parent");
			/* a placeholder takes the old address: the next map lands elsewhere */
			assert_eq(munmap(a, len), 0);
			void *hold = mmap(a, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			assert_true(hold != MAP_FAILED);
			unsigned char *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			assert_true(b != MAP_FAILED && b != a);
			struct kmm_pool pb;
			assert_eq(kmm_pool_attach(&pb, b, SHARED_REGION, outside ? b + meta_off : NULL,
						  meta_size), 0);
			assert_eq(kmm_pool_check(&pb), 0);

			/* a child maps it at a third address and uses it */
			int pfd[2];
			assert_eq(pipe(pfd), 0);
			pid_t pid = fork();
			assert_true(pid >= 0);
			if (pid == 0) {
				size_t made = KMM_POOL_NOFF;
				int ret = child_uses_the_pool(fd, meta_off, meta_size, keep, drop, &made);
				_exit(write(pfd[1], &made, sizeof(made)) == sizeof(made) ? ret : 9);
			}
			int st;
			size_t made = KMM_POOL_NOFF;
			assert_eq(waitpid(pid, &st, 0), pid);
			expect_eq(read(pfd[0], &made, sizeof(made)), (long)sizeof(made));
			close(pfd[0]);
			close(pfd[1]);
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				kmm_test_fail(__FILE__, __LINE__, "%s %s: the child failed (%d)",
					      kmm_pool_policy_name(c.policy),
					      outside ? "outside" : "inside", WEXITSTATUS(st));
			/* the parent sees what the child did */
			assert_eq(kmm_pool_check(&pb), 0);
			assert_true(made != KMM_POOL_NOFF);
			expect_eq(strcmp(kmm_pool_ptr(&pb, made), "from the child"), 0);
			if (made != drop)
				expect_eq(kmm_pool_free_off(&pb, drop), -EALREADY);
			expect_eq(kmm_pool_free_off(&pb, made), 0);
			expect_eq(kmm_pool_free_off(&pb, keep), 0);
			struct kmm_pool_stats st2;
			kmm_pool_get_stats(&pb, &st2);
			expect_eq(st2.live_blocks, 0);
			expect_eq(kmm_pool_check(&pb), 0);
			munmap(b, len);
			munmap(hold, len);
			fclose(f);
		}
	}
}

/* ---- realloc ---- */

TEST(realloc_grows_in_place_or_moves_keeping_the_bytes)
{
	LAB_ALL_POLICIES(pol) {
		struct kmm_pool_config c = lab_cfg(pol, false);
		struct tpool t;

		if (pol == KMM_POOL_FIXED)
			continue;
		tpool_make(&t, &c, 1 << 16);
		char *x = kmm_pool_alloc(&t.p, 30);
		assert_true(x != NULL);
		memcpy(x, "0123456789abcdefghijklmnopqrs", 30);
		char *y = kmm_pool_realloc(&t.p, x, 3000);
		assert_true(y != NULL);
		expect_eq(memcmp(y, "0123456789abcdefghijklmnopqrs", 30), 0);
		expect_true(kmm_pool_usable_size(&t.p, y) >= 3000);
		char *z = kmm_pool_realloc(&t.p, y, 10);
		expect_true(z == y);	/* shrinking never moves */
		expect_eq(memcmp(z, "0123456789", 10), 0);
		expect_true(kmm_pool_realloc(&t.p, z, 1 << 20) == NULL);	/* too big: z stays */
		expect_eq(memcmp(z, "0123456789", 10), 0);
		expect_true(kmm_pool_realloc(&t.p, z, 0) == NULL);
		struct kmm_pool_stats st;
		kmm_pool_get_stats(&t.p, &st);
		expect_eq(st.live_blocks, 0);
		tpool_done(&t);
	}
}

/* ---- The fixed-size pool ---- */

TEST(fixed_pool_hands_out_objects_lifo_and_refuses_bigger_requests)
{
	for (int outside = 0; outside <= 1; outside++) {
		struct kmm_pool_config c = lab_cfg(KMM_POOL_FIXED, outside);
		struct tpool t;

		c.object_size = 24;
		c.align = 8;
		tpool_make(&t, &c, 4096);
		size_t a = kmm_pool_alloc_off(&t.p, 24);
		size_t b = kmm_pool_alloc_off(&t.p, 1);
		expect_eq(b - a, 24);	/* objects are packed at the object size */
		expect_eq(kmm_pool_alloc_off(&t.p, 25), KMM_POOL_NOFF);
		expect_eq(kmm_pool_free_off(&t.p, a), 0);
		expect_eq(kmm_pool_free_off(&t.p, b), 0);
		expect_eq(kmm_pool_alloc_off(&t.p, 8), b);	/* last freed, first reused */
		expect_eq(kmm_pool_alloc_off(&t.p, 8), a);
		int n = 2;
		while (kmm_pool_alloc_off(&t.p, 24) != KMM_POOL_NOFF)
			n++;
		struct kmm_pool_stats st;
		kmm_pool_get_stats(&t.p, &st);
		expect_eq(st.live_blocks, (uint64_t)n);
		expect_eq(st.failed, 2);
		expect_eq(kmm_pool_free_off(&t.p, a + 4), -EINVAL);
		tpool_done(&t);
	}
}

/* ---- TLSF's bound ---- */

TEST(tlsf_examines_one_list_head_per_call)
{
	struct kmm_pool_config c = lab_cfg(KMM_POOL_TLSF, false);
	struct kmm_pool_stats st;
	struct tpool t;
	uint64_t seed = kmm_test_seed(), s = seed;
	size_t live[512] = { 0 };

	tpool_make(&t, &c, 1 << 20);
	for (int i = 0; i < 20000; i++) {
		int k = (int)(kmm_test_rand(&s) % 512);
		if (live[k]) {
			expect_eq(kmm_pool_free_off(&t.p, live[k] - 1), 0);
			live[k] = 0;
		} else {
			size_t o = kmm_pool_alloc_off(&t.p, kmm_test_rand(&s) % 4000 + 1);
			live[k] = o == KMM_POOL_NOFF ? 0 : o + 1;
		}
	}
	kmm_pool_get_stats(&t.p, &st);
	/* best fit on the same trace would walk the list; TLSF never does */
	expect_eq(st.max_steps, 1);
	expect_true(st.merges > 0 && st.splits > 0);
	tpool_done(&t);
}

TEST(region_size_gives_the_smallest_region_for_an_arena)
{
	for (int outside = 0; outside <= 1; outside++) {
		LAB_ALL_POLICIES(pol) {
			struct kmm_pool_config c = lab_cfg(pol, outside);
			struct kmm_pool_stats st;
			struct tpool t;
			size_t want = 1 << 16, size = kmm_pool_region_size(&c, want);

			assert_true(size >= want);
			tpool_make(&t, &c, size);
			kmm_pool_get_stats(&t.p, &st);
			expect_true(st.arena_bytes >= want);
			tpool_done(&t);
			/* a granule less is too little */
			if (pol != KMM_POOL_FIXED) {
				tpool_make(&t, &c, size - 16);
				kmm_pool_get_stats(&t.p, &st);
				expect_true(st.arena_bytes < want);
				tpool_done(&t);
			}
		}
	}
	/* a buddy pool with the power-of-two arena is one top block */
	struct kmm_pool_config c = lab_cfg(KMM_POOL_BUDDY, false);
	struct tpool t;
	tpool_make(&t, &c, kmm_pool_region_size(&c, 1 << 16));
	expect_eq(kmm_pool_largest_free(&t.p), 1 << 16);
	tpool_done(&t);
	expect_eq(kmm_pool_region_size(&c, (size_t)3 << 30), 0);
}
