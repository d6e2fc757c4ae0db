// SPDX-License-Identifier: MIT
/*
 * tests/stress_hostile.c - kmm against hostile input and starvation:
 *
 * - malformed boot command lines: seeded mutations of good lines (bytes
 *   replaced, spans cut, hostile tokens put in: huge and negative numbers,
 *   lone '=', bad suffixes, control and high bytes, very long words and
 *   lines). Every line either boots a machine whose checkers all pass, or is
 *   refused with a message that names an option, leaving no machine behind.
 * - the smallest machines of each arch exhausted: pages of every zone, then
 *   kmalloc of every size class, then vmalloc, each until it fails; the
 *   machine's checkers pass while it is full, the failures are clean NULLs,
 *   and after everything is freed the free page count is what it was.
 *
 * KMM_QUICK=1 runs fewer lines; the seed is printed on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kmm/slab.h"
#include "kmm/vmalloc.h"
#include "lib/util.h"

/* Good lines to start from: every option kmm knows appears in some. */
static const char *const good[] = {
	"mem=64M",
	"arch=x86_64 mem=128M maxcpus=4",
	"arch=i386 mem=1G highmem=256M vmalloc=128M",
	"arch=i386-pae mem=3G buddy=lazy",
	"mem=256M numa=fake=2 movablecore=25%",
	"mem=512M kernelcore=128M memmap=16M$64M",
	"mem=96M deferred_struct_pages=off slab_debug=FZPU",
	"arch=x86_64 mem=200M maxcpus=2 numa=fake=4 buddy=eager",
	"mem=80M slab_freelist_hardened=on debug_checks=off",
};

/* Tokens a hostile or careless user puts in. */
static const char *const nasty[] = {
	"=", "==", " = ", "mem=", "arch=", "maxcpus=", "numa=fake=", "memmap=", "$", "@", "#",
	"%", ",", "-", "-1", "0", "00000000000000000000001", "18446744073709551615",
	"18446744073709551616", "99999999999999999999999999", "9223372036854775808",
	"4294967296", "0x", "0x10000000000000000", "1e9", "K", "M", "G", "T", "P", "E", "Z",
	"mem=1", "mem=4T", "mem=5T", "mem=999P", "numa=fake=0", "numa=fake=65", "maxcpus=0",
	"maxcpus=65", "movablecore=101%", "memmap=1M$", "memmap=$1M", "memmap=1M!2M",
	"memmap=0$0", "kernelcore=mirror", "arch=i386 mem=64G", "slab_debug=,,,", "buddy=",
	"\t", "\n", "\r", "\x01", "\x7f", "\x80", "\xff", "\xc3\xa9", "\"", "'", "\\",
	"mem=64M mem=64M mem=64M", "highmem=-1", "vmalloc=0", "vmalloc=1T",
};

static void mutate(uint64_t *rng, char *buf, size_t cap)
{
	size_t n = strlen(buf);

	switch (t_rnd(rng, 6)) {
	case 0:	/* replace a byte */
		if (n) {
			const char *t = nasty[t_rnd(rng, ARRAY_SIZE(nasty))];
			buf[t_rnd(rng, n)] = t[0];
		}
		break;
	case 1:	/* cut a span */
		if (n) {
			size_t at = t_rnd(rng, n), len = 1 + t_rnd(rng, n - at);
			memmove(buf + at, buf + at + len, n - at - len + 1);
		}
		break;
	case 2:	/* put a hostile token in */
	case 3: {
		const char *t = nasty[t_rnd(rng, ARRAY_SIZE(nasty))];
		size_t at = t_rnd(rng, n + 1), tl = strlen(t);
		if (n + tl + 1 < cap) {
			memmove(buf + at + tl, buf + at, n - at + 1);
			memcpy(buf + at, t, tl);
		}
		break;
	}
	case 4:	/* truncate */
		buf[t_rnd(rng, n + 1)] = '\0';
		break;
	case 5:	/* repeat the line */
		if (2 * n + 2 < cap) {
			buf[n] = ' ';
			memcpy(buf + n + 1, buf, n);
			buf[2 * n + 1] = '\0';
		}
		break;
	}
}

/* Does @err name something of @cmd: one of its words, or a word's name before '='? */
static bool names_a_word(const char *err, const char *cmd)
{
	static const char space[] = " \t\n\r\v\f";
	char word[32 * 4 + 1];

	if (strstr(err, "too long"))
		return true;
	while (*cmd) {
		size_t n = strcspn(cmd, space);
		size_t name = KMM_MIN(strcspn(cmd, "="), n);

		/* A long word may be cut short in the message: its first 32 bytes do. */
		size_t len = KMM_MIN(n, (size_t)32);

		if (n) {
			/* Control bytes as the message shows them: \xNN. */
			size_t w = 0;
			for (size_t i = 0; i < len; i++) {
				unsigned char c = (unsigned char)cmd[i];
				if (c < 0x20 || c == 0x7f)
					w += (size_t)snprintf(word + w, sizeof(word) - w, "\\x%02x", c);
				else
					word[w++] = (char)c;
				if (i + 1 == name)
					name = w;
			}
			len = w;
			word[len] = '\0';
			if (strstr(err, word))
				return true;
			word[KMM_MIN(name, len)] = '\0';
			if (name && strstr(err, word))
				return true;
		}
		cmd += n;
		cmd += strspn(cmd, space);
	}
	return false;
}

/* Boot @cmd: a machine whose checkers pass, or a refusal naming what was wrong. */
static void boot_or_refuse(const char *cmd, int *booted, int *refused)
{
	int before = kmm_test_machines_alive();
	struct kmm_machine *m = kmm_boot(cmd);

	if (!m) {
		const char *err = kmm_last_error();

		++*refused;
		if (!err[0] || !names_a_word(err, cmd))
			kmm_test_fail(__FILE__, __LINE__, "\"%.200s\": unhelpful error \"%.200s\"",
				      cmd, err);
		if (strlen(err) > 4096)
			kmm_test_fail(__FILE__, __LINE__, "\"%.60s...\": error of %zu bytes", cmd,
				      strlen(err));
		expect_eq(kmm_test_machines_alive(), before);
		return;
	}
	++*booted;
	if (kmm_check(m))
		kmm_test_fail(__FILE__, __LINE__, "\"%.200s\": kmm_check: %s", cmd,
			      kmm_last_error());
	kmm_shutdown(m);
	expect_eq(kmm_test_machines_alive(), before);
}

TEST(malformed_command_lines)
{
	uint64_t rng = kmm_test_seed() | 1;
	int lines = kmm_test_quick() ? 300 : 2000, booted = 0, refused = 0;

	for (int i = 0; i < lines; i++) {
		char cmd[1024];

		snprintf(cmd, sizeof(cmd), "%s", good[t_rnd(&rng, ARRAY_SIZE(good))]);
		for (int k = 1 + (int)t_rnd(&rng, 4); k > 0; k--)
			mutate(&rng, cmd, sizeof(cmd));
		/* Keep the machines small: this is about parsing, not booting big. */
		if (strlen(cmd) + 9 < sizeof(cmd) && t_rnd(&rng, 4))
			strcat(cmd, " mem=64M");
		boot_or_refuse(cmd, &booted, &refused);
	}
	/* Both outcomes must be exercised. */
	expect_true(booted > lines / 20);
	expect_true(refused > lines / 4);
}

TEST(long_command_lines)
{
	int booted = 0, refused = 0;
	size_t big = 1 << 20;
	char *cmd = malloc(big + 64);

	assert_true(cmd != NULL);
	/* Just under the limit (1023 bytes): good options, then a bad one last. */
	cmd[0] = '\0';
	for (size_t n = 0; n + 8 < 1000; n += 8)
		memcpy(cmd + n, "mem=64M ", 9);
	boot_or_refuse(cmd, &booted, &refused);
	expect_eq(booted, 1);
	strcat(cmd, "mem=64Q");
	boot_or_refuse(cmd, &booted, &refused);
	expect_eq(refused, 1);
	expect_str_contains(kmm_last_error(), "mem=64Q");
	/* 1 MB of good options, one word of 1 MB, 1 MB of spaces: refused as too long. */
	for (size_t n = 0; n + 8 < big; n += 8)
		memcpy(cmd + n, "mem=64M ", 9);
	boot_or_refuse(cmd, &booted, &refused);
	memset(cmd, 'A', big);
	cmd[big] = '\0';
	boot_or_refuse(cmd, &booted, &refused);
	memset(cmd, ' ', big);
	boot_or_refuse(cmd, &booted, &refused);
	expect_eq(refused, 4);
	expect_str_contains(kmm_last_error(), "too long");
	/* A word just under the limit. */
	memset(cmd, 'A', 1000);
	cmd[1000] = '\0';
	boot_or_refuse(cmd, &booted, &refused);
	expect_eq(refused, 5);
	free(cmd);
}

/* ---- Exhaustion of the smallest machines ---- */

struct held {
	void **p;
	size_t n, cap;
};

static void hold(struct held *h, void *p)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 1024;
		h->p = realloc(h->p, h->cap * sizeof(*h->p));
		assert_true(h->p != NULL);
	}
	h->p[h->n++] = p;
}

static void check_full(struct kmm_machine *m, const char *cmd, const char *what)
{
	if (kmm_check(m))
		kmm_test_fail(__FILE__, __LINE__, "%s, %s exhausted: kmm_check: %s", cmd, what,
			      kmm_last_error());
}

static void exhaust(const char *cmd)
{
	struct kmm_machine *m = kmm_boot(cmd);
	struct held h = { 0 };
	static const gfp_t zones[] = { GFP_KERNEL | __GFP_NOWARN, GFP_HIGHUSER | __GFP_NOWARN,
				       GFP_DMA | __GFP_NOWARN };
	static const size_t sizes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096,
					8192, 3000, 100000 };

	if (!m)
		kmm_test_fail(__FILE__, __LINE__, "%s: %s", cmd, kmm_last_error());
	unsigned long before = t_nr_free_drained(m);

	/* Pages of every zone, orders 3 and 0, until none is left. */
	for (size_t z = 0; z < ARRAY_SIZE(zones); z++) {
		for (int order = 3; order >= 0; order -= 3) {
			struct page *pg;
			while ((pg = kmm_alloc_pages(m, zones[z], (unsigned int)order, -1)) != NULL)
				hold(&h, (void *)((uintptr_t)pg | (uintptr_t)order));
		}
	}
	expect_true(h.n > 0);
	check_full(m, cmd, "pages");
	/* With no page left, every other allocator fails cleanly. */
	void *k = kmm_kmalloc(m, 100000, GFP_KERNEL | __GFP_NOWARN, -1);
	expect_true(k == NULL);
	kmm_use(m);
	void *v = vmalloc(1 << 20);
	expect_true(v == NULL);
	check_full(m, cmd, "pages, then kmalloc and vmalloc");
	for (size_t i = 0; i < h.n; i++) {
		uintptr_t e = (uintptr_t)h.p[i];
		__free_pages((struct page *)(e & ~(uintptr_t)7), (unsigned int)(e & 7));
	}
	h.n = 0;
	expect_eq(t_nr_free_drained(m), before);

	/* kmalloc of every size class, round robin, until every size fails. */
	for (bool any = true; any;) {
		any = false;
		for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
			void *p = kmm_kmalloc(m, sizes[s], GFP_KERNEL | __GFP_NOWARN, -1);
			if (p) {
				memset(p, 0xa5, sizes[s]);
				hold(&h, p);
				any = true;
			}
		}
	}
	expect_true(h.n > 0);
	check_full(m, cmd, "kmalloc");
	for (size_t i = 0; i < h.n; i++)
		kfree(h.p[i]);
	h.n = 0;
	check_full(m, cmd, "kmalloc freed");

	/* vmalloc of 64 KiB until it fails (pages or the window run out). */
	kmm_use(m);
	for (;;) {
		void *p = __vmalloc(65536, GFP_KERNEL | __GFP_NOWARN);
		if (!p)
			break;
		memset(p, 0x5a, 65536);
		hold(&h, p);
	}
	expect_true(h.n > 0);
	check_full(m, cmd, "vmalloc");
	for (size_t i = 0; i < h.n; i++)
		vfree(h.p[i]);
	h.n = 0;
	check_full(m, cmd, "vmalloc freed");
	kmm_slab_drain(m);
	/* kmalloc's slabs may keep a few empty slabs per node (min_partial). */
	unsigned long after = t_nr_free_drained(m);
	expect_true(after <= before);
	expect_true(before - after < 64);
	free(h.p);
	kmm_shutdown(m);
}

TEST(smallest_machines_exhausted)
{
	exhaust("arch=x86_64 mem=55M");
	exhaust("arch=i386 mem=40M");
	exhaust("arch=i386-pae mem=40M maxcpus=8");
	exhaust("arch=i386 mem=1G highmem=960M");
	exhaust("arch=x86_64 mem=64M numa=fake=2 maxcpus=64");
}

TEST(white_space_and_control_bytes)
{
	struct kmm_machine *m;

	/* Words are separated by any white space, as Linux's next_arg does. */
	m = kmm_boot("mem=64M\rmaxcpus=2\vbuddy=lazy\fnuma=fake=2\n");
	assert_true(m != NULL);
	expect_eq(kmm_check(m), 0);
	kmm_shutdown(m);
	/* A control byte inside a word is refused, shown escaped. */
	expect_true(kmm_boot("mem=64M maxcpus=2\x01") == NULL);
	expect_str_contains(kmm_last_error(), "'maxcpus=2\\x01': a control character (byte 10)");
	expect_true(kmm_boot("\x7fmem=64M") == NULL);
	expect_str_contains(kmm_last_error(), "'\\x7fmem=64M'");
}
