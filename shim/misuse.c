// SPDX-License-Identifier: MIT
/*
 * shim/misuse.c - a program that misuses malloc on purpose, one way per run,
 * for tests/shim_misuse.sh: it shows which misuse an allocator stops (the
 * program aborts with a message, or the call returns NULL with an errno)
 * and which it lets through (the program prints "survived").
 *
 * usage: misuse CASE    (misuse --list prints every case with its summary)
 * Before the misuse it prints "ptr 0x..." naming the pointer involved; API
 * cases print "result: NULL errno=E" or "result: pointer".
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Through volatile pointers, so the compiler lets the bugs happen. */
static void (*volatile free_fn)(void *) = free;
static void *(*volatile malloc_fn)(size_t) = malloc;
static void *(*volatile realloc_fn)(void *, size_t) = realloc;
static void *(*volatile calloc_fn)(size_t, size_t) = calloc;
static void *(*volatile memalign_fn)(size_t, size_t) = memalign;
static volatile size_t zero;
static char global_buf[64];

/*
 * The one format of the checked tree that prints a host pointer on purpose:
 * tests/shim_misuse.sh looks for it in kmm-malloc's report of the same run.
 * Listed, with that reason, in tests/host_pointer_formats.py's ALLOW.
 */
static void name(const void *p)
{
	fprintf(stderr, "ptr %#lx\n", (unsigned long)p);
	fflush(stderr);
}

static void result(const void *p)
{
	if (p)
		printf("result: pointer\n");
	else
		printf("result: NULL errno=%s\n", errno == ENOMEM ? "ENOMEM" :
		       errno == EINVAL ? "EINVAL" : "other");
}

static void poke(void *p, long off, int v)
{
	((volatile char *)p)[off + (long)zero] = (char)v;
}

/* ---- double frees ---- */

static void double_small(void)
{
	char *p = malloc_fn(40);
	name(p);
	free_fn(p);
	free_fn(p);
}

static void double_later(void)
{
	char *keep[8], *p, *q;
	for (int i = 0; i < 8; i++)
		keep[i] = malloc_fn(40);
	p = malloc_fn(40);
	q = malloc_fn(40);
	for (int i = 0; i < 8; i++)
		free_fn(keep[i]);
	name(p);
	free_fn(p);
	free_fn(q);
	free_fn(p);
}

static void double_page(void)
{
	char *p = malloc_fn(65536);
	name(p);
	free_fn(p);
	free_fn(p);
}

static void double_huge(void)
{
	char *p = malloc_fn(16 << 20);
	name(p);
	free_fn(p);
	free_fn(p);
}

/* The second free comes after 100 other huge blocks came and went. */
static void double_huge_later(void)
{
	char *p = malloc_fn(16 << 20);
	name(p);
	free_fn(p);
	for (int i = 0; i < 100; i++)
		free_fn(malloc_fn((size_t)(5 + i % 7) << 20));
	free_fn(p);
}

static void double_aligned(void)
{
	char *p = memalign_fn(4096, 100);
	name(p);
	free_fn(p);
	free_fn(p);
}

static void double_realloc0(void)
{
	char *p = malloc_fn(64);
	name(p);
	errno = 0;
	void *r = realloc_fn(p, 0);	/* frees p (glibc and kmm), returns NULL */
	(void)r;
	free_fn(p);
}

/* ---- invalid frees ---- */

static void interior_small(void)
{
	char *p = malloc_fn(64);
	name(p + 16);
	free_fn(p + 16);
}

static void interior_page(void)
{
	char *p = malloc_fn(65536);
	name(p + 4096);
	free_fn(p + 4096);
}

static void interior_huge(void)
{
	char *p = malloc_fn(16 << 20);
	name(p + 4096);
	free_fn(p + 4096);
}

static void misaligned(void)
{
	char *p = malloc_fn(64);
	name(p + 1);
	free_fn(p + 1);
}

/* An address in the middle of the heap that no malloc returned. */
static void never_allocated(void)
{
	char *p = malloc_fn(64);
	char *q = malloc_fn(64);
	char *wild = (char *)(((uintptr_t)p + (1 << 20)) & ~(uintptr_t)15);
	(void)q;
	name(wild);
	free_fn(wild);
}

static void stack_pointer(void)
{
	char local[64] = { 0 };
	name(local);
	free_fn(local);
}

static void global_pointer(void)
{
	name(global_buf);
	free_fn(global_buf);
}

static void realloc_freed(void)
{
	char *p = malloc_fn(100);
	free_fn(p);
	name(p);
	p = realloc_fn(p, 200);
}

static void realloc_freed_huge(void)
{
	char *p = malloc_fn(8 << 20);
	free_fn(p);
	name(p);
	p = realloc_fn(p, 16 << 20);
}

static void realloc_interior(void)
{
	char *p = malloc_fn(100);
	name(p + 16);
	p = realloc_fn(p + 16, 200);
}

/* ---- writes past the end and before the start ---- */

static void overflow_small(void)
{
	char *p = malloc_fn(32);
	name(p);
	poke(p, 32, 'x');
	free_fn(p);
}

/* Past the bytes asked for, but inside the 32-byte size class. */
static void overflow_in_class(void)
{
	char *p = malloc_fn(24);
	name(p);
	poke(p, 24, 0);
	free_fn(p);
}

static void overflow_far(void)
{
	char *p = malloc_fn(32);
	name(p);
	for (int i = 32; i < 48; i++)
		poke(p, i, 'x');
	free_fn(p);
}

static void overflow_page(void)
{
	char *p = malloc_fn(65536);
	name(p);
	poke(p, 65536 + 16, 'x');
	free_fn(p);
}

static void overflow_huge(void)
{
	char *p = malloc_fn(16 << 20);
	name(p);
	poke(p, (16 << 20) + 16, 'x');
	free_fn(p);
}

/*
 * The byte 16 past a 16 MiB block written with the value it held: no checker
 * of bytes can see it, only a guard page right after the data (the hardened
 * layout once kept a 16-byte trailer there, and this write went unnoticed).
 */
static void overflow_huge_same(void)
{
	char *p = malloc_fn(16 << 20);
	name(p);
	volatile char *q = p;
	q[(16 << 20) + 16 + (long)zero] = q[(16 << 20) + 16 + (long)zero];
	free_fn(p);
}

static void underflow_small(void)
{
	char *p = malloc_fn(32);
	name(p);
	poke(p, -1, 'x');
	free_fn(p);
}

/* ---- writes after free ---- */

static void uaf_small(void)
{
	char *p = malloc_fn(32);
	name(p);
	free_fn(p);
	poke(p, 8, 1);
	for (int i = 0; i < 5000; i++)
		free_fn(malloc_fn(32));
}

static void uaf_page(void)
{
	char *p = malloc_fn(65536);
	name(p);
	free_fn(p);
	poke(p, 100, 1);
	for (int i = 0; i < 64; i++)
		free_fn(malloc_fn(65536));
}

static void uaf_huge(void)
{
	char *p = malloc_fn(16 << 20);
	name(p);
	free_fn(p);
	poke(p, 100, 1);
}

/* Every word of a freed block overwritten: its free pointer is garbage. */
static void freelist_garbage(void)
{
	char *p = malloc_fn(64);
	name(p);
	free_fn(p);
	for (int i = 0; i < 64; i++)
		poke(p, i, 0x41);
	for (int i = 0; i < 5000; i++)
		free_fn(malloc_fn(64));
}

/* The free pointer aimed inside the next block, 8 bytes past its start. */
static void freelist_misaligned(void)
{
	char *a = malloc_fn(64), *b = malloc_fn(64);
	name(a);
	free_fn(b);
	free_fn(a);
	for (int i = 0; i + 8 <= 64; i += 8) {
		uintptr_t v = (uintptr_t)b + 8;
		memcpy(a + i + zero, &v, 8);
	}
	for (int i = 0; i < 5000; i++)
		free_fn(malloc_fn(64));
}

/* ---- more of the same classes: other sizes, other entry points ---- */

static void double_calloc(void)
{
	char *p = calloc_fn(10, 4);
	name(p);
	free_fn(p);
	free_fn(p);
}

/* realloc moved the block; the old pointer is freed again. */
static void double_realloc_moved(void)
{
	char *p = malloc_fn(32);
	char *q = realloc_fn(p, 100000);
	name(p);
	if (q == p)
		printf("realloc did not move\n");
	free_fn(p);
	free_fn(q);
}

/* An address where nothing is mapped at all. */
static void wild_pointer(void)
{
	char *p = (char *)(uintptr_t)0x10000;
	name(p);
	free_fn(p);
}

static void realloc_stack(void)
{
	char local[64] = { 0 };
	name(local);
	void *r = realloc_fn(local, 200);
	(void)r;
}

static void underflow_page(void)
{
	char *p = malloc_fn(65536);
	name(p);
	poke(p, -1, 'x');
	free_fn(p);
}

static void underflow_huge(void)
{
	char *p = malloc_fn(16 << 20);
	name(p);
	poke(p, -1, 'x');
	free_fn(p);
}

/* Past the bytes asked for of a page block, inside its last page. */
static void overflow_page_in_class(void)
{
	char *p = malloc_fn(10000);
	name(p);
	poke(p, 10000, 0);
	free_fn(p);
}

/* realloc shrank the block in place; a write past the new size. */
static void overflow_realloc(void)
{
	char *p = malloc_fn(100);
	char *q = realloc_fn(p, 40);
	name(q);
	poke(q, 40, 'x');
	free_fn(q);
}

static void overflow_aligned(void)
{
	char *p = memalign_fn(64, 40);
	name(p);
	poke(p, 40, 'x');
	free_fn(p);
}

static void overflow_calloc(void)
{
	char *p = calloc_fn(10, 3);
	name(p);
	poke(p, 30, 'x');
	free_fn(p);
}

static void uaf_aligned(void)
{
	char *p = memalign_fn(64, 64);
	name(p);
	free_fn(p);
	poke(p, 8, 1);
	for (int i = 0; i < 5000; i++)
		free_fn(memalign_fn(64, 64));
}

/* The old pointer of a block realloc moved, written to. */
static void uaf_realloc(void)
{
	char *p = malloc_fn(32);
	char *q = realloc_fn(p, 100000);
	name(p);
	poke(p, 8, 1);
	for (int i = 0; i < 5000; i++)
		free_fn(malloc_fn(32));
	free_fn(q);
}

/* ---- the API's own limits ---- */

static void calloc_overflow(void)
{
	errno = 0;
	result(calloc_fn(SIZE_MAX / 2, 3));
}

static void malloc_max(void)
{
	errno = 0;
	result(malloc_fn(SIZE_MAX));
}

static void memalign_max(void)
{
	errno = 0;
	result(memalign_fn(SIZE_MAX, 16));
}

static void memalign_2_63_plus_1(void)
{
	errno = 0;
	result(memalign_fn((1UL << 63) + 1, 16));
}

static void realloc_max(void)
{
	char *p = malloc_fn(100);
	strcpy(p, "kept");
	errno = 0;
	void *q = realloc_fn(p, SIZE_MAX - 4096);
	result(q);
	if (!q && strcmp(p, "kept"))
		printf("realloc failed and changed the block\n");
}

static void posix_memalign_bad(void)
{
	void *p = NULL;
	int err = posix_memalign(&p, 24, 100);
	printf("result: %s\n", err == EINVAL ? "NULL errno=EINVAL" : err ? "NULL errno=other"
	       : "pointer");
}

static const struct {
	const char *name, *what;
	void (*fn)(void);
} cases[] = {
	{ "double", "free(p) twice, 40 bytes", double_small },
	{ "double-later", "free(a); free(b); free(a), glibc's tcache full", double_later },
	{ "double-page", "free twice, 64 KiB", double_page },
	{ "double-huge", "free twice, 16 MiB", double_huge },
	{ "double-huge-later", "free twice, 16 MiB, 100 huge blocks between", double_huge_later },
	{ "double-aligned", "free twice, memalign(4096, 100)", double_aligned },
	{ "double-realloc0", "realloc(p, 0) then free(p)", double_realloc0 },
	{ "interior", "free(p + 16), 64 bytes", interior_small },
	{ "interior-page", "free(p + 4096), 64 KiB", interior_page },
	{ "interior-huge", "free(p + 4096), 16 MiB", interior_huge },
	{ "misaligned", "free(p + 1)", misaligned },
	{ "never-allocated", "free of a heap address no malloc returned", never_allocated },
	{ "stack", "free of a stack address", stack_pointer },
	{ "global", "free of a global array", global_pointer },
	{ "realloc-freed", "realloc of a freed 100-byte block", realloc_freed },
	{ "realloc-freed-huge", "realloc of a freed 8 MiB block", realloc_freed_huge },
	{ "realloc-interior", "realloc(p + 16, 200)", realloc_interior },
	{ "overflow", "1 byte past a 32-byte block, then free", overflow_small },
	{ "overflow-in-class", "malloc(24); p[24] = 0 (inside the 32-byte class)",
	  overflow_in_class },
	{ "overflow-far", "16 bytes past a 32-byte block, then free", overflow_far },
	{ "overflow-page", "1 byte, 16 past a 64 KiB block", overflow_page },
	{ "overflow-huge", "1 byte, 16 past a 16 MiB block", overflow_huge },
	{ "overflow-huge-same", "the byte 16 past a 16 MiB block rewritten with its own value",
	  overflow_huge_same },
	{ "underflow", "1 byte before a 32-byte block, then free", underflow_small },
	{ "use-after-free", "write into a freed 32-byte block, then 5000 mallocs", uaf_small },
	{ "use-after-free-page", "write into a freed 64 KiB block, then 64 mallocs", uaf_page },
	{ "use-after-free-huge", "write into a freed 16 MiB block", uaf_huge },
	{ "freelist-garbage", "a freed 64-byte block overwritten with 0x41", freelist_garbage },
	{ "freelist-misaligned", "a freed block's words aimed 8 bytes into the next block",
	  freelist_misaligned },
	{ "double-calloc", "free twice, calloc(10, 4)", double_calloc },
	{ "double-realloc-moved", "free of the old pointer after realloc moved the block",
	  double_realloc_moved },
	{ "wild", "free((void *)0x10000), nothing mapped there", wild_pointer },
	{ "realloc-stack", "realloc of a stack address", realloc_stack },
	{ "underflow-page", "1 byte before a 64 KiB block, then free", underflow_page },
	{ "underflow-huge", "1 byte before a 16 MiB block, then free", underflow_huge },
	{ "overflow-page-in-class", "malloc(10000); p[10000] = 0 (inside its last page)",
	  overflow_page_in_class },
	{ "overflow-realloc", "realloc(p, 40) shrinks 100 bytes; p[40] = 'x'", overflow_realloc },
	{ "overflow-aligned", "memalign(64, 40); p[40] = 'x'", overflow_aligned },
	{ "overflow-calloc", "calloc(10, 3); p[30] = 'x'", overflow_calloc },
	{ "use-after-free-aligned", "write into a freed memalign(64, 64) block, then 5000 more",
	  uaf_aligned },
	{ "use-after-free-realloc", "write through the old pointer of a moved block",
	  uaf_realloc },
	{ "calloc-overflow", "calloc(SIZE_MAX / 2, 3)", calloc_overflow },
	{ "malloc-max", "malloc(SIZE_MAX)", malloc_max },
	{ "memalign-max", "memalign(SIZE_MAX, 16)", memalign_max },
	{ "memalign-2^63+1", "memalign(2^63 + 1, 16)", memalign_2_63_plus_1 },
	{ "realloc-max", "realloc(p, SIZE_MAX - 4096)", realloc_max },
	{ "posix_memalign-24", "posix_memalign(&p, 24, 100)", posix_memalign_bad },
};

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	if (!strcmp(c, "--list")) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			printf("%s\t%s\n", cases[i].name, cases[i].what);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!strcmp(c, cases[i].name)) {
			cases[i].fn();
			puts("survived");
			return 0;
		}
	}
	fprintf(stderr, "usage: misuse CASE (misuse --list shows them)\n");
	return 2;
}
