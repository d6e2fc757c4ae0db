// SPDX-License-Identifier: MIT
/*
 * tests/unit_boot_libc.c - what the boot does by itself instead of calling
 * the C library (so that a process under the malloc shim faults in fewer of
 * its pages): kmm's own vsnprintf (lib/vsprintf.c), which the boot log,
 * /proc text and, through -Wl,--wrap=snprintf, every snprintf of the shim's
 * boot use, prints exactly what the C library prints, without calling its
 * printf for the conversions it handles; the host's online CPUs counted as
 * sysconf counts them; the command line split into words on the same white
 * space as strtok_r; the read-write locks' static initialisers.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "arch/sim/sim.h"
#include "lib/util.h"
#include "mm/include/boot_options.h"
#include "mm/internal.h"
#include "tests/harness.h"

/*
 * This program's vsnprintf stands in front of the C library's and counts the
 * calls, so a test can tell whether kmm_vsnprintf handed a format over.
 */
static int libc_calls;

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	static int (*real)(char *, size_t, const char *, va_list);

	if (!real)
		real = (int (*)(char *, size_t, const char *, va_list))dlsym(RTLD_NEXT,
									      "vsnprintf");
	libc_calls++;
	return real(buf, size, fmt, ap);
}

/* Both formatters on the same arguments; a failure names the format and the seed. */
static bool same(const char *file, int line, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool same(const char *file, int line, size_t size, const char *fmt, ...)
{
	char ours[512], theirs[512];
	va_list a, b;

	memset(ours, 'Q', sizeof(ours));
	memset(theirs, 'Q', sizeof(theirs));
	va_start(a, fmt);
	va_copy(b, a);
	int n1 = kmm_vsnprintf(size ? ours : NULL, size, fmt, a);
	int n2 = vsnprintf(size ? theirs : NULL, size, fmt, b);
	va_end(b);
	va_end(a);
	if (n1 != n2 || memcmp(ours, theirs, sizeof(ours)) != 0)
		return kmm_test_fail(file, line,
				     "format \"%s\", size %zu: kmm %d \"%.*s\", libc %d \"%.*s\" (seed %llu)",
				     fmt, size, n1, size ? (int)strnlen(ours, size) : 0, ours, n2,
				     size ? (int)strnlen(theirs, size) : 0, theirs,
				     (unsigned long long)kmm_test_seed());
	return true;
}

#define SAME(size, ...) same(__FILE__, __LINE__, size, __VA_ARGS__)

TEST(the_kernel_conversions_print_what_the_c_library_prints)
{
	int before = libc_calls;

	SAME(64, "plain text");
	SAME(64, "%d %i %u %x %X %o", -42, 17, 4000000000u, 0xbeefu, 0xbeefu, 8u);
	SAME(64, "%lu %lx %#lx %ld", 123456789012ul, 0xffff8000ul, 0x1000ul, -9l);
	SAME(64, "%llu %lld %zu %zd %jd %td", 18446744073709551615ull, -9223372036854775807ll - 1,
	     (size_t)77, (ptrdiff_t)-5, (intmax_t)-1, (ptrdiff_t)3);
	/* ints out of the hh/h types' range on purpose: the conversion narrows them (clang warns) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
	SAME(64, "%hhu %hhd %hu %hd", 300, 200, 70000, 40000);
#pragma GCC diagnostic pop
	SAME(64, "[%5d] [%-5d] [%05d] [%+d] [% d] [%+05d] [%-+5d]", 42, 42, -42, 42, 42, 42, 42);
	SAME(64, "[%.3d] [%8.3d] [%-8.3d] [%.0d] [%5.0d] [%.d]", 7, -7, 7, 0, 0, 0);
	SAME(64, "[%#o] [%#o] [%#.0o] [%#5o] [%#x] [%#X] [%#x] [%#08x]", 8u, 0u, 0u, 9u, 255u, 255u,
	     0u, 255u);
	SAME(64, "[%*d] [%-*d] [%*d] [%.*d] [%.*d]", 6, 1, 6, 1, -6, 1, 4, 3, -1, 3);
	SAME(64, "[%s] [%10s] [%-10s] [%.2s] [%*.*s] [%c] [%3c] [%-3c]", "abc", "abc", "abc",
	     "abc", 7, 1, "xyz", 'q', 'r', 's');
	SAME(64, "100%% sure, %d%%", 5);
	SAME(64, "%s", "");
	/* Truncation and the return value. */
	SAME(0, "%d items", 12345);
	SAME(1, "%d items", 12345);
	SAME(4, "%d items", 12345);
	SAME(9, "%s and %s", "left", "right");
	expect_eq(libc_calls - before, 16);	/* same()'s own: none of kmm_vsnprintf's */
}

TEST(formats_it_does_not_handle_go_to_the_c_library_whole)
{
	int before = libc_calls;

	/* Some of these are not valid C formats: what counts is that the C library decides. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#ifndef __clang__	/* clang has no such group */
#pragma GCC diagnostic ignored "-Wformat-overflow"
#endif
	SAME(64, "%5.2f|%d", 3.14159, 7);
	SAME(64, "%d %s", 1, (const char *)NULL);
	SAME(64, "%2$s %1$s", "a", "b");
	SAME(64, "%ls", L"wide");
	SAME(64, "%5%|%d", 1);
	SAME(64, "%Lf", (long double)2.5);
	SAME(64, "%'d", 1234567);
	SAME(64, "%05s", "ab");
	SAME(64, "trailing %");
#pragma GCC diagnostic pop
	/* Each: one call from kmm_vsnprintf's hand-over, one from same(). */
	expect_eq(libc_calls - before, 18);
}

/* One random conversion with its flags, width, precision and length. */
TEST(random_conversions_match_the_c_library)
{
	static const char *const lens[] = { "", "hh", "h", "l", "ll", "z", "j", "t" };
	static const char convs[] = "diuoxXcs";
	static const char *const words[] = { "", "a", "zone", "kmalloc-192", "Movable" };
	uint64_t s = kmm_test_seed();
	int rounds = kmm_test_quick() ? 2000 : 20000;

	for (int r = 0; r < rounds; r++) {
		char fmt[64];
		size_t n = 0;
		char conv = convs[t_rnd(&s, sizeof(convs) - 1)];
		bool num = conv != 'c' && conv != 's';
		bool star_w = t_rnd(&s, 4) == 0, star_p = t_rnd(&s, 4) == 0;
		int w = (int)t_rnd(&s, 25) - 5, p = (int)t_rnd(&s, 25) - 5;
		const char *len = num ? lens[t_rnd(&s, 8)] : "";

		n += (size_t)snprintf(fmt + n, sizeof(fmt) - n, "<");
		fmt[n++] = '%';
		if (num) {
			const char *fl = "-+ #0";
			for (int i = 0; i < 5; i++)
				if (t_rnd(&s, 3) == 0)
					fmt[n++] = fl[i];
		} else if (t_rnd(&s, 3) == 0) {
			fmt[n++] = '-';
		}
		bool has_w = star_w || t_rnd(&s, 2), has_p = conv != 'c' && (star_p || t_rnd(&s, 2));
		if (has_w) {
			if (star_w)
				fmt[n++] = '*';
			else
				n += (size_t)snprintf(fmt + n, sizeof(fmt) - n, "%d", w < 1 ? 1 : w);
		}
		if (has_p) {
			fmt[n++] = '.';
			if (star_p)
				fmt[n++] = '*';
			else if (p >= 0)
				n += (size_t)snprintf(fmt + n, sizeof(fmt) - n, "%d", p);
		}
		n += (size_t)snprintf(fmt + n, sizeof(fmt) - n, "%s%c>", len, conv);

		uint64_t bits = kmm_test_rand(&s) >> t_rnd(&s, 64);
		size_t size = t_rnd(&s, 4) == 0 ? t_rnd(&s, 12) : 128;
		int wa = has_w && star_w ? w : 0, pa = has_p && star_p ? p : 0;
		const char *word = words[t_rnd(&s, 5)];

#define ONE(arg)                                                                   \
	do {                                                                       \
		if (has_w && star_w && has_p && star_p)                            \
			same(__FILE__, __LINE__, size, fmt, wa, pa, arg);          \
		else if (has_w && star_w)                                          \
			same(__FILE__, __LINE__, size, fmt, wa, arg);              \
		else if (has_p && star_p)                                          \
			same(__FILE__, __LINE__, size, fmt, pa, arg);              \
		else                                                               \
			same(__FILE__, __LINE__, size, fmt, arg);                  \
	} while (0)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
		if (conv == 's')
			ONE(word);
		else if (conv == 'c')
			ONE((int)('a' + bits % 26));
		else if (!strcmp(len, "l") || !strcmp(len, "z") || !strcmp(len, "t"))
			ONE((long)bits);
		else if (!strcmp(len, "ll") || !strcmp(len, "j"))
			ONE((long long)bits);
		else
			ONE((int)bits);
#pragma GCC diagnostic pop
#undef ONE
	}
}

TEST(online_cpus_are_what_sysconf_counts)
{
	expect_eq(sim_online_cpus(), sysconf(_SC_NPROCESSORS_ONLN));
}

TEST(command_line_words_split_on_every_c_white_space)
{
	struct kmm_boot_opts o;

	assert_eq(kmm_parse_cmdline(" \t mem=64M\tnr_cpus=3\n\vmaxcpus=2\f\r debug_checks=off ", &o),
		  0);
	expect_eq(o.mem, 64ULL << 20);
	expect_eq(o.nr_cpus, 3);
	expect_eq(o.maxcpus, 2);
	assert_eq(kmm_parse_cmdline("\t\n", &o), 0);
	expect_eq(o.mem, 1ULL << 30);
	/* A word is refused whole, named as it was written. */
	expect_eq(kmm_parse_cmdline("mem=64M\tnr_cpus=x", &o), -EINVAL);
	expect_str_contains(kmm_last_error(), "nr_cpus=x");
}

TEST(read_write_locks_start_unlocked)
{
	struct sim_rwlock a, b;

	memset(&a, 0x5a, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	sim_rwlock_init(&a);
	sim_rwlock_init_writer_first(&b);
	for (int i = 0; i < 2; i++) {
		struct sim_rwlock *l = i ? &b : &a;

		expect_true(sim_read_trylock(l));
		expect_true(sim_read_trylock(l));	/* readers share */
		sim_read_unlock(l);
		sim_read_unlock(l);
		sim_write_lock(l);
		expect_true(!sim_read_trylock(l));	/* a writer excludes them */
		sim_write_unlock(l);
		expect_true(sim_read_trylock(l));
		sim_read_unlock(l);
		sim_rwlock_destroy(l);
	}
}
