// SPDX-License-Identifier: MIT
/*
 * tests/filemap_test.h - the helpers the page-cache tests share
 * (integration_filemap.c, integration_filemap_fault.c, stress_filemap.c,
 * integration_writeback.c): a deterministic byte pattern for test files,
 * files written and read back with it a page at a time, and a page of a
 * file as the host image holds it; /proc/meminfo and
 * /proc/vmstat fields come from tests/proc_test.h. Static inline, so a test that uses some of them compiles
 * warning-free.
 */
#ifndef KMM_TESTS_FILEMAP_TEST_H
#define KMM_TESTS_FILEMAP_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/fs.h>
#include <kmm/proc.h>

#include "tests/proc_test.h"
#include "tests/process_test.h"

/* A deterministic pattern for byte @i of a test file. */
static inline unsigned char pat(uint64_t i, unsigned seed)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ seed;
	x ^= x >> 29;
	return (unsigned char)(x * 0xbf58476d1ce4e5b9ull >> 56);
}

static inline void fill(unsigned char *buf, size_t n, uint64_t off, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = pat(off + i, seed);
}

/* Write pages [0, @pages) of @fd with pattern @seed, one pwrite() a page; a short write ends the test. */
static inline void write_pages(struct task_struct *t, int fd, uint64_t pages, unsigned seed)
{
	static unsigned char w[4096];

	for (uint64_t i = 0; i < pages; i++) {
		fill(w, 4096, i * 4096, seed);
		assert_eq(kmm_pwrite(t, fd, w, 4096, i * 4096), 4096);
	}
}

/*
 * Do pages 0, @step, 2 * @step ... below @pages of @fd hold pattern @seed
 * (one pread() a page)? The first that reads short or differs fails the
 * test, naming the page.
 */
static inline bool reads_back_every(struct task_struct *t, int fd, uint64_t pages, uint64_t step,
				    unsigned seed)
{
	static unsigned char w[4096], r[4096];

	for (uint64_t i = 0; i < pages; i += step) {
		fill(w, 4096, i * 4096, seed);
		if (kmm_pread(t, fd, r, 4096, i * 4096) != 4096 || memcmp(r, w, 4096))
			return kmm_test_fail(__FILE__, __LINE__, "page %llu differs", (unsigned long long)i);
	}
	return true;
}

/* Do the first @pages pages of @fd hold pattern @seed? (reads_back_every() every page) */
static inline bool reads_back(struct task_struct *t, int fd, uint64_t pages, unsigned seed)
{
	return reads_back_every(t, fd, pages, 1, seed);
}

/* The 4096 bytes of page @index of @path as the host image holds them. Return: 0 or -1. */
static inline int image_page(struct kmm_machine *m, const char *path, uint64_t index, unsigned char *out)
{
	uint64_t off;
	const char *img = kmm_fs_image(m);
	FILE *fp;
	int ok;

	if (!img || kmm_fs_bmap(m, path, index, &off))
		return -1;
	if (!(fp = fopen(img, "rb")))
		return -1;
	ok = fseek(fp, (long)off, SEEK_SET) == 0 && fread(out, 1, 4096, fp) == 4096;
	fclose(fp);
	return ok ? 0 : -1;
}

#endif /* KMM_TESTS_FILEMAP_TEST_H */
