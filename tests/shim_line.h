/* SPDX-License-Identifier: MIT */
/*
 * tests/shim_line.h - the malloc shim's boot line for the tests that boot
 * its machine: shim/boot_line.h's text, as shim/malloc.c boots it in the
 * default mode (at most SHIM_MEM_DEFAULT, grown from SHIM_BOOT_MEM_TEXT),
 * so that a change to the shim's line shows in these tests' figures.
 * Include after tests/harness.h.
 */
#ifndef KMM_TESTS_SHIM_LINE_H
#define KMM_TESTS_SHIM_LINE_H

#include <string.h>

#include "shim/boot_line.h"

/*
 * The shim's line for @cpus CPUs into @buf (@size bytes), and with @without
 * non-NULL the same line less that option, which the line must carry: a
 * shim that stopped booting with the option under test fails here, not in a
 * hand copy of its old line. Returns @buf.
 */
static inline const char *t_shim_line(char *buf, size_t size, int cpus, const char *without)
{
	assert_true(shim_boot_line(buf, size, SHIM_MEM_DEFAULT, true, cpus, SHIM_BOOT_TAIL_DEFAULT) <
		    (int)size);
	if (without) {
		char *at = strstr(buf, without);

		assert_true(at != NULL);
		memmove(at, at + strlen(without), strlen(at + strlen(without)) + 1);
	}
	return buf;
}

#endif /* KMM_TESTS_SHIM_LINE_H */
