// SPDX-License-Identifier: MIT
/*
 * tests/integration_dmesg.c - the kernel log read while another thread writes
 * it. kmm_dmesg() copies into the caller's buffer and kmm_dmesg_dup() hands
 * the caller a snapshot, both taken under log_lock: a reader never sees the
 * log's own buffer, which kmm_printk reallocates as it grows (before this
 * contract the reader got that buffer and ASan saw a use after free).
 */
#include "tests/harness.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "arch/sim/sim.h"

struct writer {
	struct kmm_machine *m;
	int lines;
	atomic_int done;
};

static void *write_log(void *arg)
{
	struct writer *w = arg;

	for (int i = 0; i < w->lines; i++)
		kmm_printk(w->m, "writer line %d of %d, padding to grow the log quickly", i, w->lines);
	atomic_store(&w->done, 1);
	return NULL;
}

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* Every line of a snapshot is whole: "[stamp] text\n". */
static bool lines_whole(const char *s)
{
	size_t n = strlen(s);

	if (n && s[n - 1] != '\n')
		return false;
	for (const char *p = s; *p; p = strchr(p, '\n') + 1)
		if (*p != '[')
			return false;
	return true;
}

TEST(snapshot_survives_a_concurrent_writer)
{
	struct kmm_machine *m = t_boot("mem=64M");
	struct writer w = { .m = m, .lines = kmm_test_quick() ? 5000 : 20000 };
	sim_thread *t;
	int reads = 0, bad = 0;

	assert_eq(sim_thread_start(&t, write_log, &w), 0);
	while (!atomic_load(&w.done) || reads < 3) {
		char *snap = kmm_dmesg_dup(m);
		assert_true(snap != NULL);
		size_t len = strlen(snap);
		uint64_t h = hash(snap, len);
		if (!lines_whole(snap))
			bad++;
		/* Let the writer append (and reallocate) before looking again. */
		for (int i = 0; i < 200; i++)
			sim_yield();
		if (strlen(snap) != len || hash(snap, len) != h)
			bad++;
		free(snap);
		reads++;
	}
	sim_thread_join(t);
	expect_eq(bad, 0);
	expect_true(reads >= 3);
	char *final = kmm_dmesg_dup(m);
	assert_true(final != NULL);
	expect_str_contains(final, "writer line 0 of");
	char last[64];
	snprintf(last, sizeof(last), "writer line %d of %d", w.lines - 1, w.lines);
	expect_str_contains(final, last);
	free(final);
	t_done(m);
}

TEST(copy_into_buffer_truncates_like_snprintf)
{
	struct kmm_machine *m = t_boot("mem=64M");
	char *whole = kmm_dmesg_dup(m);
	char small[16];

	assert_true(whole != NULL);
	size_t len = strlen(whole);
	expect_eq(kmm_dmesg(m, NULL, 0), len);
	expect_eq(kmm_dmesg(m, small, sizeof(small)), len);
	expect_eq(strlen(small), sizeof(small) - 1);
	expect_true(!strncmp(small, whole, sizeof(small) - 1));
	char *big = malloc(len + 1);
	assert_true(big != NULL);
	expect_eq(kmm_dmesg(m, big, len + 1), len);
	expect_true(!strcmp(big, whole));
	free(big);
	free(whole);
	t_done(m);
}

/*
 * kmm_vprintk() formats on the stack up to 255 bytes and into a buffer of
 * its own beyond: messages on both sides of that edge, and a multi-line one
 * longer than it, reach the log whole, each line with its stamp.
 */
TEST(messages_on_both_sides_of_the_stack_buffer_are_logged_whole)
{
	static const size_t lens[] = { 1, 254, 255, 256, 257, 600, 4000 };
	struct kmm_machine *m = t_boot("mem=64M");
	char text[4001];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = lens[i];

		for (size_t j = 0; j < n; j++)
			text[j] = (char)('a' + (j + i) % 26);
		text[n] = '\0';
		kmm_printk(m, "%s", text);
		char *log = kmm_dmesg_dup(m);
		assert_true(log != NULL);
		size_t len = strlen(log);
		/* The last line: "[stamp] " then the text, then '\n'. */
		expect_true(len > n + 1 && log[len - 1] == '\n');
		expect_eq(strncmp(log + len - 1 - n, text, n), 0);
		expect_eq(log[len - 2 - n], ' ');
		expect_true(lines_whole(log));
		free(log);
	}
	/* Three lines, 300 bytes in all: three stamps. */
	memset(text, 'x', 300);
	text[99] = text[199] = '\n';
	text[300] = '\0';
	char *before = kmm_dmesg_dup(m);
	assert_true(before != NULL);
	kmm_printk(m, "%s", text);
	char *after = kmm_dmesg_dup(m);
	assert_true(after != NULL);
	const char *added = after + strlen(before);
	int stamps = 0;
	for (const char *p = added; *p; p = strchr(p, '\n') + 1) {
		expect_eq(*p, '[');
		stamps++;
	}
	expect_eq(stamps, 3);
	expect_true(strstr(added, "] xxxxxxxxxx") != NULL);
	expect_true(lines_whole(after));
	free(before);
	free(after);
	t_done(m);
}
