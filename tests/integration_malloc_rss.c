// SPDX-License-Identifier: MIT
/*
 * tests/integration_malloc_rss.c - what libkmm-malloc.so keeps resident
 * that no live block needs (linked against the shim by cmake/shim.cmake,
 * as integration_malloc_api).
 *
 * Covers: a freed huge block used sparsely is cached without its pages,
 * one used densely with them (for the next block's reuse); the cache's
 * byte bound; glibc's memory where a freed huge block was. docs/malloc.md
 * has the figures these behaviours were measured by.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/sim/sim.h"
#include "harness.h"
#include "shim/shim.h"

#define MIB (1UL << 20)

/* The stores into a block are not dead and its bytes are not assumed fresh. */
static void keep(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/*
 * A 16 MiB block of which the program wrote 4 MiB, freed: cached (the
 * next 16 MiB block gets the same address) but without its pages, so the
 * process's RSS falls by about what was written, and the next block reads
 * zero where the old one was written. Before, the cache kept all 4 MiB
 * resident for a block that might write only its first bytes.
 */
TEST(sparse_huge_block_cached_without_its_pages)
{
	malloc_trim(0);		/* nothing cached */
	unsigned char *a = malloc(16 * MIB);

	assert_true(a != NULL);
	memset(a, 0xab, 4 * MIB);
	keep(a);
	long written = (long)sim_host_rss_kb();
	free(a);
	long after = (long)sim_host_rss_kb();
	printf("  rss: 4 MiB written of a 16 MiB block: %ld KiB left after free\n",
	       after - (written - 4096));
	expect_true(after <= written - 3 * 1024);
	unsigned char *b = malloc(16 * MIB);
	expect_true(b == a);	/* the mapping was cached */
	keep(b);
	expect_eq(b[0], 0);
	expect_eq(b[4 * MIB - 1], 0);
	free(b);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * A block written through keeps its pages in the cache: the next block of
 * its size reuses them (no fault, no zeroing), so RSS stays and the bytes
 * are still there (malloc does not clear them, as glibc's reuse does not).
 */
TEST(dense_huge_block_cached_with_its_pages)
{
	malloc_trim(0);
	unsigned char *a = malloc(16 * MIB);

	assert_true(a != NULL);
	memset(a, 0xcd, 16 * MIB);
	keep(a);
	long written = (long)sim_host_rss_kb();
	free(a);
	expect_true((long)sim_host_rss_kb() >= written - 1024);
	unsigned char *b = malloc(16 * MIB);
	expect_true(b == a);
	keep(b);
	expect_eq(b[0], 0xcd);
	expect_eq(b[16 * MIB - 1], 0xcd);
	free(b);
	malloc_trim(0);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * The cache's bound: no more bytes than the live huge blocks hold, or 24
 * MiB (HUGE_CACHE_FLOOR), whichever is more, and 64 MiB at most (the
 * default KMM_MALLOC_HUGE_CACHE): of six dense 16 MiB blocks freed one
 * after the other, the last one freed stays resident, the others go.
 */
TEST(huge_cache_bound)
{
	unsigned char *v[6];

	malloc_trim(0);
	long base = (long)sim_host_rss_kb();
	for (int i = 0; i < 6; i++) {
		v[i] = malloc(16 * MIB);
		assert_true(v[i] != NULL);
		memset(v[i], 0x5a, 16 * MIB);
		keep(v[i]);
	}
	long grown = (long)sim_host_rss_kb() - base;
	for (int i = 0; i < 6; i++)
		free(v[i]);
	long after = (long)sim_host_rss_kb() - base;
	printf("  rss: 6 x 16 MiB written: grew %ld MiB, %ld MiB cached after free\n",
	       grown / 1024, after / 1024);
	expect_true(grown >= 90 * 1024);
	expect_true(after <= (24 + 4) * 1024);
	expect_true(after >= 14 * 1024);	/* the last ones freed stay for reuse */
	malloc_trim(0);
	expect_true((long)sim_host_rss_kb() - base <= 4 * 1024);
	expect_eq(kmm_malloc_check(), 0);
}

/*
 * Once a freed huge block's mapping is given back, the host may map
 * glibc's memory there (a thread's arena did, in this file's first runs:
 * its TSD destructor's free aborted as "inside a freed block"). A chunk
 * glibc mapped for itself at such an address is glibc's to free: here
 * one laid out as glibc lays out a chunk it mmapped (prev_size 0, size
 * with IS_MMAPPED), which __libc_free unmaps.
 */
TEST(glibc_memory_where_a_freed_huge_block_was)
{
	malloc_trim(0);
	unsigned char *a = malloc(16 * MIB);

	assert_true(a != NULL);
	free(a);
	malloc_trim(0);		/* the mapping goes back to the host */
	size_t *chunk = mmap(a, 64 << 10, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (chunk != (size_t *)a) {
		printf("  the address was taken meanwhile: nothing to test\n");
		if (chunk != MAP_FAILED)
			munmap(chunk, 64 << 10);
		return;
	}
	chunk[0] = 0;			/* prev_size: the chunk starts its mapping */
	chunk[1] = (64 << 10) | 2;	/* size | IS_MMAPPED */
	free(chunk + 2);
	expect_true(!sim_mapped(chunk));	/* glibc unmapped it */
	expect_eq(kmm_malloc_check(), 0);
}
