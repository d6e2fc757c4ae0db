// SPDX-License-Identifier: MIT
/*
 * shim/misuse.c - a program that misuses malloc on purpose, one way per run,
 * for tests/shim_programs.sh: it shows which misuse an allocator catches
 * (the program aborts) and which it lets through (it prints "survived").
 *
 * usage: misuse CASE, CASE one of
 *   double          free(p) twice in a row
 *   double-later    free(a); free(b); free(a), after filling glibc's tcache
 *   double-page     double free of a 64 KiB block
 *   double-huge     double free of a 16 MiB block
 *   interior        free(p + 16)
 *   realloc-freed   realloc of a freed pointer
 *   overflow        write one byte past a 32-byte block, then free it
 *   use-after-free  write into a freed 32-byte block, then allocate again
 * Before the misuse it prints "ptr 0x..." naming the pointer involved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Through a volatile pointer, so the compiler lets the bugs happen. */
static void (*volatile free_fn)(void *) = free;
static void *(*volatile realloc_fn)(void *, size_t) = realloc;
static volatile size_t past_end = 32;

static void name(const void *p)
{
	fprintf(stderr, "ptr %#lx\n", (unsigned long)p);
	fflush(stderr);
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	char *p, *q, *keep[8];

	if (!strcmp(c, "double")) {
		p = malloc(40);
		name(p);
		free_fn(p);
		free_fn(p);
	} else if (!strcmp(c, "double-later")) {
		for (int i = 0; i < 8; i++)
			keep[i] = malloc(40);
		p = malloc(40);
		q = malloc(40);
		for (int i = 0; i < 8; i++)
			free_fn(keep[i]);
		name(p);
		free_fn(p);
		free_fn(q);
		free_fn(p);
	} else if (!strcmp(c, "double-page")) {
		p = malloc(65536);
		name(p);
		free_fn(p);
		free_fn(p);
	} else if (!strcmp(c, "double-huge")) {
		p = malloc(16 << 20);
		name(p);
		free_fn(p);
		free_fn(p);
	} else if (!strcmp(c, "interior")) {
		p = malloc(64);
		name(p + 16);
		free_fn(p + 16);
	} else if (!strcmp(c, "realloc-freed")) {
		p = malloc(100);
		free_fn(p);
		name(p);
		p = realloc_fn(p, 200);
	} else if (!strcmp(c, "overflow")) {
		p = malloc(32);
		name(p);
		((volatile char *)p)[past_end] = 'x';
		free_fn(p);
	} else if (!strcmp(c, "use-after-free")) {
		p = malloc(32);
		name(p);
		free_fn(p);
		((volatile char *)p)[8] = 1;
		for (int i = 0; i < 64; i++)
			free_fn(malloc(32));
	} else {
		fprintf(stderr, "usage: misuse double|double-later|double-page|double-huge|"
				"interior|realloc-freed|overflow|use-after-free\n");
		return 2;
	}
	puts("survived");
	return 0;
}
