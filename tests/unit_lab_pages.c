// SPDX-License-Identifier: MIT
/*
 * tests/unit_lab_pages.c - the page-replacement policies (include/kmm/lab.h)
 * against the textbooks' counts (Silberschatz's reference string; Belady's
 * anomaly under FIFO), OPT's optimality and the stack property on seeded
 * random strings, scan resistance of 2Q, ARC and the two Linux lists, and the
 * reference-string and lackey readers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/lab.h>

#include "tests/harness.h"

static const char silberschatz[] = "7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1";
static const char belady[] = "1 2 3 4 1 2 5 1 2 3 4 5";

static uint64_t faults_of(enum kmm_pr_policy pol, const char *text, unsigned int frames)
{
	struct kmm_refs r;
	struct kmm_pr_result res;
	char err[128];

	if (kmm_refs_parse(&r, text, err, sizeof(err))) {
		kmm_test_fail(__FILE__, __LINE__, "%s", err);
		return 0;
	}
	expect_eq(kmm_pr_run(pol, &r, frames, NULL, &res), 0);
	expect_eq(res.faults + res.hits, r.nr);
	kmm_refs_free(&r);
	return res.faults;
}

TEST(silberschatz_fifo_15_lru_12_opt_9)
{
	expect_eq(faults_of(KMM_PR_FIFO, silberschatz, 3), 15);
	expect_eq(faults_of(KMM_PR_LRU, silberschatz, 3), 12);
	expect_eq(faults_of(KMM_PR_OPT, silberschatz, 3), 9);
}

TEST(belady_anomaly_fifo_9_faults_with_3_frames_10_with_4)
{
	uint64_t f[2] = { faults_of(KMM_PR_FIFO, belady, 3), faults_of(KMM_PR_FIFO, belady, 4) };
	unsigned int at[4];

	expect_eq(f[0], 9);
	expect_eq(f[1], 10);
	expect_eq(kmm_pr_belady(f, 2, at, 4), 1);
	expect_eq(at[0], 0);
	/* the stack algorithms cannot do that */
	uint64_t l[2] = { faults_of(KMM_PR_LRU, belady, 3), faults_of(KMM_PR_LRU, belady, 4) };
	uint64_t o[2] = { faults_of(KMM_PR_OPT, belady, 3), faults_of(KMM_PR_OPT, belady, 4) };
	expect_eq(l[0], 10);
	expect_eq(l[1], 8);
	expect_eq(o[0], 7);
	expect_eq(o[1], 6);
	expect_eq(kmm_pr_belady(l, 2, at, 4), 0);
	expect_eq(kmm_pr_belady(o, 2, at, 4), 0);
	expect_true(kmm_pr_stack_policy(KMM_PR_LRU) && !kmm_pr_stack_policy(KMM_PR_FIFO));
}

TEST(clock_gives_second_chances)
{
	/*
	 * 3 frames: 1 2 3 fill them (R set); 4 sweeps every R bit off and
	 * replaces 1; 2 is a hit (R on again); 5 gives 2 its second chance
	 * and replaces 3; 2 and 4 are hits; 1 finds every R bit set, clears
	 * them all and replaces 4: 6 faults.
	 */
	expect_eq(faults_of(KMM_PR_CLOCK, "1 2 3 4 2 5 2 4 1", 3), 6);
	/* with no re-references clock is FIFO */
	expect_eq(faults_of(KMM_PR_CLOCK, silberschatz, 3) >= 9, true);
}

static void random_string(struct kmm_refs *r, uint64_t *s, int n, int pages)
{
	char *text = malloc((size_t)n * 8 + 1), *p = text;

	for (int i = 0; i < n; i++) {
		/* some locality: mostly near the last page */
		int pg = (int)(kmm_test_rand(s) % (uint64_t)pages);
		p += sprintf(p, "%d%s ", pg, kmm_test_rand(s) % 4 ? "" : "w");
	}
	char err[128];
	if (kmm_refs_parse(r, text, err, sizeof(err)))
		kmm_test_fail(__FILE__, __LINE__, "%s", err);
	free(text);
}

TEST(opt_is_never_beaten_and_stack_policies_never_get_worse_with_more_frames)
{
	uint64_t s = kmm_test_seed();

	for (int round = 0; round < 20; round++) {
		struct kmm_refs r;
		random_string(&r, &s, 400, 3 + round);
		for (unsigned int frames = 1; frames <= 10; frames++) {
			struct kmm_pr_result opt, res, more;
			assert_eq(kmm_pr_run(KMM_PR_OPT, &r, frames, NULL, &opt), 0);
			for (int pol = 0; pol < KMM_PR_NR_POLICIES; pol++) {
				assert_eq(kmm_pr_run((enum kmm_pr_policy)pol, &r, frames, NULL, &res), 0);
				if (res.faults < opt.faults)
					kmm_test_fail(__FILE__, __LINE__, "%s beat OPT: %llu < %llu "
						      "faults with %u frames", kmm_pr_policy_name(pol),
						      (unsigned long long)res.faults,
						      (unsigned long long)opt.faults, frames);
				expect_true(res.faults >= r.nr_pages);	/* compulsory misses */
				expect_eq(res.faults + res.hits, r.nr);
				expect_true(res.faults - res.evictions <= frames);
				expect_true(res.writebacks <= res.faults);
				if (frames >= r.nr_pages)
					expect_eq(res.faults, r.nr_pages);
				if (kmm_pr_stack_policy((enum kmm_pr_policy)pol)) {
					kmm_pr_run((enum kmm_pr_policy)pol, &r, frames + 1, NULL, &more);
					expect_true(more.faults <= res.faults);
				}
			}
		}
		kmm_refs_free(&r);
	}
}

TEST(two_queue_arc_and_linux_resist_a_scan_that_flushes_lru)
{
	/* a hot set of 4 pages used twice, then 6 pages never seen again; repeat */
	char *text = malloc(200 * 64), *p = text;
	int next_scan = 100;

	for (int round = 0; round < 200; round++) {
		p += sprintf(p, "0 1 2 3 0 1 2 3 ");
		for (int k = 0; k < 6; k++)
			p += sprintf(p, "%d ", next_scan++);
	}
	uint64_t lru = faults_of(KMM_PR_LRU, text, 8);
	uint64_t twoq = faults_of(KMM_PR_2Q, text, 8);
	uint64_t arc = faults_of(KMM_PR_ARC, text, 8);
	uint64_t lin = faults_of(KMM_PR_LINUX, text, 8);
	uint64_t scan = 200 * 6;

	/* LRU: the 9 distinct pages between two uses of a hot page flush it */
	expect_eq(lru, scan + 200 * 4);
	/* the others keep the hot pages after warming up: little beyond the scan */
	expect_true(twoq < scan + 20);
	expect_true(arc < scan + 20);
	expect_true(lin < scan + 20);
	free(text);
}

TEST(nru_aging_lfu_and_wsclock_follow_their_rules)
{
	struct kmm_refs r;
	struct kmm_pr_result res;
	struct kmm_pr_params tick2 = { .tick = 2 };
	char err[128];

	/* LFU keeps the page used most: 1 is used 3 times, 2 once, so 3 evicts 2 */
	assert_eq(kmm_refs_parse(&r, "1 1 1 2 3 1 2", err, sizeof(err)), 0);
	kmm_pr_run(KMM_PR_LFU, &r, 2, NULL, &res);
	expect_eq(res.faults, 4);	/* 1, 2, 3 (evicts 2), 2 (evicts 3) */
	kmm_refs_free(&r);

	/* NRU: after a tick clears R, the clean page (class 0) goes before the dirty one */
	assert_eq(kmm_refs_parse(&r, "1w 2 3 1", err, sizeof(err)), 0);
	kmm_pr_run(KMM_PR_NRU, &r, 2, &tick2, &res);
	expect_eq(res.faults, 3);	/* 3 evicts clean 2; 1 is still there */
	expect_eq(res.writebacks, 0);
	kmm_refs_free(&r);

	/* aging: 1 used in each of the last ticks, 2 only long ago: 2 goes */
	assert_eq(kmm_refs_parse(&r, "1 2 1 1 1 1 3 1", err, sizeof(err)), 0);
	kmm_pr_run(KMM_PR_AGING, &r, 2, &tick2, &res);
	expect_eq(res.faults, 3);
	kmm_refs_free(&r);

	/* WSClock writes a dirty old page back instead of evicting it at once */
	struct kmm_pr_params ws = { .tick = 1, .tau = 1 };
	assert_eq(kmm_refs_parse(&r, "1w 2 3 4 5", err, sizeof(err)), 0);
	kmm_pr_run(KMM_PR_WSCLOCK, &r, 2, &ws, &res);
	expect_eq(res.faults, 5);
	expect_eq(res.writebacks, 1);
	kmm_refs_free(&r);
}

TEST(reference_strings_and_lackey_files_parse)
{
	struct kmm_refs r;
	char err[256];

	assert_eq(kmm_refs_parse(&r, "7,0, 1\t2 0w", err, sizeof(err)), 0);
	expect_eq(r.nr, 5);
	expect_eq(r.nr_pages, 4);
	expect_eq(r.number[r.page[4]], 0);
	expect_eq(r.write[4], 1);
	kmm_refs_free(&r);
	expect_eq(kmm_refs_parse(&r, "1 2 x3", err, sizeof(err)), -EINVAL);
	expect_str_contains(err, "'x3'");
	expect_eq(kmm_refs_parse(&r, "  ", err, sizeof(err)), -EINVAL);

	const char lackey[] =
		"==123== Lackey, an example Valgrind tool\n"
		"I  04016cbc,3\n"
		" L 7ff000a48,8\n"
		" S 7ff000ffc,8\n"	/* straddles two pages */
		" M 04222cac,4\n"
		"==123== Counted 1 call to main()\n";
	FILE *f = fmemopen((void *)lackey, sizeof(lackey) - 1, "r");
	assert_eq(kmm_refs_read(&r, f, "lackey.out", 12, false, err, sizeof(err)), 0);
	fclose(f);
	expect_eq(strcmp(r.format, "lackey"), 0);
	expect_eq(r.nr, 4);		/* L, S twice, M; the I is left out */
	expect_eq(r.number[r.page[0]], 0x7ff000);
	expect_eq(r.number[r.page[2]], 0x7ff001);
	expect_eq(r.write[1] && r.write[2] && r.write[3] && !r.write[0], true);
	kmm_refs_free(&r);
	f = fmemopen((void *)lackey, sizeof(lackey) - 1, "r");
	assert_eq(kmm_refs_read(&r, f, "lackey.out", 12, true, err, sizeof(err)), 0);
	fclose(f);
	expect_eq(r.nr, 5);
	kmm_refs_free(&r);

	const char bad[] = " L 7ff000a48,8\nhello\n";
	f = fmemopen((void *)bad, sizeof(bad) - 1, "r");
	expect_eq(kmm_refs_read(&r, f, "bad.out", 12, false, err, sizeof(err)), -EINVAL);
	fclose(f);
	expect_str_contains(err, "bad.out:2:");
}

TEST(a_kmm_trace_gives_the_faults_in_order)
{
	const char text[] =
		"# kmm-trace 1\n"
		"# machine 1 cmdline: mem=64M arch=i386\n"
		"0.001 0 1 sys_enter NR=9 name=mmap args=0x0,0x10000,0x3\n"
		"0.002 0 1 page_fault_user address=0xb7fee000 error_code=0x6\n"
		"0.003 0 1 page_fault_user address=0xb7fef004 error_code=0x4\n"
		"0.004 0 2 page_fault_user address=0xb7fee000 error_code=0x6\n"
		"0.005 0 1 page_fault_user address=0xb7fee000 error_code=0x6\n";
	struct kmm_refs r;
	char err[256];
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	assert_eq(kmm_refs_read(&r, f, "m.trace", 12, false, err, sizeof(err)), 0);
	fclose(f);
	expect_eq(strcmp(r.format, "kmm faults"), 0);
	expect_eq(r.nr, 4);
	expect_eq(r.nr_pages, 3);		/* process 2's page is another page */
	expect_eq(r.page[3], r.page[0]);
	expect_eq(r.write[0] && !r.write[1], true);
	kmm_refs_free(&r);

	f = fmemopen((void *)"# kmm-trace 1\n0.1 0 0 kfree ptr=0x1\n", 35, "r");
	expect_eq(kmm_refs_read(&r, f, "m.trace", 12, false, err, sizeof(err)), -EINVAL);
	fclose(f);
	expect_str_contains(err, "no page_fault_user events");
}
