// SPDX-License-Identifier: MIT
/*
 * tests/filemap_test.h - the helpers the page-cache tests share
 * (integration_filemap.c, integration_filemap_fault.c, stress_filemap.c):
 * one /proc/meminfo or /proc/vmstat field as a number, a deterministic
 * byte pattern for test files, and a page of a file as the host image
 * holds it. Static inline, so a test that uses some of them compiles
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

#include "tests/process_test.h"

/* The number after @field ("Dirty:") in /proc/meminfo, or -1. */
static inline long meminfo_kb(struct kmm_machine *m, const char *field)
{
	char *text = t_proc(m, "/proc/meminfo");
	char *p = text ? strstr(text, field) : NULL;
	long v = p ? strtol(p + strlen(field), NULL, 10) : -1;

	free(text);
	return v;
}

/* The value of the /proc/vmstat line @field ("workingset_nodes"), or -1. */
static inline long vmstat_val(struct kmm_machine *m, const char *field)
{
	char *text = t_proc(m, "/proc/vmstat"), key[64], *p;
	long v = -1;

	snprintf(key, sizeof(key), "\n%s ", field);
	if (text && (p = strstr(text, key)))
		v = strtol(p + strlen(key), NULL, 10);
	free(text);
	return v;
}

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
