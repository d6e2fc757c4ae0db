// SPDX-License-Identifier: MIT
/*
 * tests/unit_lab_trace.c - allocation traces and replay (include/kmm/lab.h):
 * the mtrace, .rep and kmm readers (with their error messages), the seeded
 * generator (deterministic, well formed), and replay's metrics worked out by
 * hand on small traces, plus every policy's checker after every event of a
 * synthetic trace.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/lab.h>

#include "tests/harness.h"

static int read_text(struct kmm_lab_trace *t, const char *text, enum kmm_lab_trace_format fmt,
		     char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret = kmm_lab_trace_read(t, f, "t.trace", fmt, err, errlen);

	fclose(f);
	return ret;
}

/* Every FREE and REALLOC names a live id; every id is allocated once. */
static bool well_formed(const struct kmm_lab_trace *t, bool all_freed)
{
	char *live = calloc(t->nr_ids + 1, 1), *seen = calloc(t->nr_ids + 1, 1);
	bool ok = true;

	for (size_t i = 0; i < t->nr && ok; i++) {
		const struct kmm_lab_trace_event *e = &t->ev[i];
		if (e->id >= t->nr_ids)
			ok = false;
		else if (e->op == KMM_LAB_TRACE_ALLOC || e->op == KMM_LAB_TRACE_MEMALIGN)
			ok = !seen[e->id] && (seen[e->id] = live[e->id] = 1);
		else if (e->op == KMM_LAB_TRACE_FREE)
			ok = live[e->id] && !(live[e->id] = 0);
		else
			ok = live[e->id];
	}
	for (uint32_t i = 0; i < t->nr_ids && ok && all_freed; i++)
		ok = !live[i];
	free(live);
	free(seen);
	return ok;
}

TEST(mtrace_log_is_read_with_reallocs_and_foreign_frees)
{
	const char text[] =
		"= Start\n"
		"@ ./prog:[0x401136] + 0x4052a0 0x10\n"
		"@ ./prog:[0x401144] + 0x4052c0 0x20\n"
		"@ ./prog:[0x401152] < 0x4052a0\n"
		"@ ./prog:[0x401152] > 0x405300 0x40\n"
		"@ /lib/libc.so.6:(free+0x1a)[0x7f00] - 0x999000\n"	/* from before the trace */
		"- 0x4052c0\n"
		"@ ./prog:[0x4011] ! 0x405300 0x100000000\n"		/* a failed realloc */
		"@ ./prog:[0x4012] - 0x405300\n"
		"= End\n";
	struct kmm_lab_trace t;
	char err[256];

	assert_eq(read_text(&t, text, KMM_LAB_TRACE_AUTO, err, sizeof(err)), 0);
	expect_eq(strcmp(t.format, "mtrace"), 0);
	expect_eq(t.nr, 5);
	expect_eq(t.nr_ids, 2);
	expect_eq(t.dropped, 1);
	expect_eq(t.ev[2].op, KMM_LAB_TRACE_REALLOC);
	expect_eq(t.ev[2].id, t.ev[0].id);
	expect_eq(t.ev[2].size, 0x40);
	expect_eq(t.ev[4].op, KMM_LAB_TRACE_FREE);
	expect_eq(t.ev[4].id, t.ev[0].id);
	expect_true(well_formed(&t, true));
	kmm_lab_trace_free(&t);

	expect_eq(read_text(&t, "= Start\n+ 0x10 zz\n", KMM_LAB_TRACE_AUTO, err, sizeof(err)), -EINVAL);
	expect_str_contains(err, "t.trace:2: 'zz' is not a size");
	expect_eq(t.nr, 0);
}

TEST(rep_files_are_read_and_their_errors_named)
{
	const char text[] = "1000\n3\n6\n1\na 0 100\na 1 20\nr 0 300\nf 1\na 2 8\nf 0\n";
	struct kmm_lab_trace t;
	char err[256];

	assert_eq(read_text(&t, text, KMM_LAB_TRACE_AUTO, err, sizeof(err)), 0);
	expect_eq(strcmp(t.format, "rep"), 0);
	expect_eq(t.heap_hint, 1000);
	expect_eq(t.nr, 6);
	expect_true(well_formed(&t, false));
	struct kmm_lab_trace_summary s;
	kmm_lab_trace_summarize(&t, &s);
	expect_eq(s.peak_live, 320);	/* 300 + 20 after the realloc */
	expect_eq(s.allocs, 3);
	expect_eq(s.reallocs, 1);

	/* written back out, it reads the same */
	char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	assert_eq(kmm_lab_trace_write_rep(&t, f), 0);
	fclose(f);
	struct kmm_lab_trace u;
	assert_eq(read_text(&u, buf, KMM_LAB_TRACE_REP, err, sizeof(err)), 0);
	expect_eq(u.nr, t.nr);
	expect_eq(memcmp(u.ev, t.ev, t.nr * sizeof(*t.ev)), 0);
	kmm_lab_trace_free(&u);
	kmm_lab_trace_free(&t);

	expect_eq(read_text(&t, "10\n2\n2\n1\na 0 5\nf 1\n", KMM_LAB_TRACE_AUTO, err, sizeof(err)),
		  -EINVAL);
	expect_str_contains(err, "t.trace:6: f 1: block 1 is not allocated");
	expect_eq(read_text(&t, "10\n2\n2\n1\na 7 5\n", KMM_LAB_TRACE_AUTO, err, sizeof(err)), -EINVAL);
	expect_str_contains(err, "below 2");
	expect_eq(read_text(&t, "10\n2\n", KMM_LAB_TRACE_AUTO, err, sizeof(err)), -EINVAL);
	expect_str_contains(err, "four numbers");
	expect_eq(read_text(&t, "hello\n", KMM_LAB_TRACE_AUTO, err, sizeof(err)), -EINVAL);
	expect_str_contains(err, "not an allocation trace");
}

TEST(kmm_shim_traces_are_read)
{
	const char text[] =
		"# kmm malloc trace 1\n"
		"a 7f0000001000 100\n"
		"m 7f0000002000 64 4096\n"
		"r 7f0000001000 7f0000003000 500\n"
		"r 0 7f0000004000 8\n"
		"f 7f0000003000\n"
		"f 7f0000002000\n"
		"f 7f0000004000\n";
	struct kmm_lab_trace t;
	char err[256];

	assert_eq(read_text(&t, text, KMM_LAB_TRACE_AUTO, err, sizeof(err)), 0);
	expect_eq(strcmp(t.format, "kmm"), 0);
	expect_eq(t.nr, 7);
	expect_eq(t.ev[1].op, KMM_LAB_TRACE_MEMALIGN);
	expect_eq(t.ev[1].align_log, 12);
	expect_eq(t.ev[2].op, KMM_LAB_TRACE_REALLOC);
	expect_eq(t.ev[3].op, KMM_LAB_TRACE_ALLOC);
	expect_true(well_formed(&t, true));
	kmm_lab_trace_free(&t);
	expect_eq(read_text(&t, "# kmm malloc trace 1\nm 10 8 24\n", KMM_LAB_TRACE_AUTO, err,
			    sizeof(err)), -EINVAL);
	expect_str_contains(err, "not a power of two");
}

TEST(synthetic_traces_are_deterministic_and_well_formed)
{
	static const char *const sizes[] = { "mix", "exp:64", "uniform:1-4096", "pow2:16-8192" };
	static const char *const lives[] = { "exp:500", "uniform:100", "lifo", "forever" };
	char err[256];

	for (int si = 0; si < 4; si++) {
		for (int li = 0; li < 4; li++) {
			struct kmm_synth s = { .seed = 42, .allocs = 5000, .size = sizes[si],
					       .life = lives[li], .realloc_pct = 10 };
			struct kmm_lab_trace a, b;
			assert_eq(kmm_lab_trace_synthetic(&a, &s, err, sizeof(err)), 0);
			assert_eq(kmm_lab_trace_synthetic(&b, &s, err, sizeof(err)), 0);
			expect_eq(a.nr, b.nr);
			expect_eq(memcmp(a.ev, b.ev, a.nr * sizeof(*a.ev)), 0);
			expect_eq(a.nr_ids, 5000);
			expect_true(well_formed(&a, li != 3));
			kmm_lab_trace_free(&a);
			kmm_lab_trace_free(&b);
		}
	}
	char spec[] = "seed=7,allocs=100,size=exp:32,life=lifo,realloc=5";
	struct kmm_synth s;
	assert_eq(kmm_synth_parse(&s, spec, err, sizeof(err)), 0);
	expect_eq(s.seed, 7);
	expect_eq(s.allocs, 100);
	expect_eq(strcmp(s.life, "lifo"), 0);
	char bad[] = "seed=7,colour=blue";
	expect_eq(kmm_synth_parse(&s, bad, err, sizeof(err)), -EINVAL);
	expect_str_contains(err, "colour=blue");
	struct kmm_lab_trace t;
	s = (struct kmm_synth){ .allocs = 10, .size = "exp:0" };
	expect_eq(kmm_lab_trace_synthetic(&t, &s, err, sizeof(err)), -EINVAL);
	expect_str_contains(err, "size 'exp:0'");
}

TEST(replay_metrics_worked_out_by_hand)
{
	/*
	 * First fit, metadata outside, 16-byte granule: blocks are the request
	 * rounded up to 16. a0 100 -> [0,112); a1 40 -> [112,160); f0 leaves a
	 * hole of 112; a2 100 fits it exactly; a3 200 -> [160,368).
	 * Peak live: 40 + 100 + 200 = 340 bytes in 112 + 48 + 208 = 368.
	 */
	const char text[] = "0\n4\n6\n1\na 0 100\na 1 40\nf 0\na 2 100\na 3 200\nf 1\n";
	struct kmm_lab_trace t;
	struct kmm_replay_result r;
	char err[256];

	assert_eq(read_text(&t, text, KMM_LAB_TRACE_REP, err, sizeof(err)), 0);
	struct kmm_replay_config c = {
		.pool = { .policy = KMM_POOL_FIRST_FIT, .flags = KMM_POOL_META_OUTSIDE },
		.pool_size = 1024, .samples = 6, .map_width = 8, .check = true,
	};
	assert_eq(kmm_replay(&t, &c, &r, err, sizeof(err)), 0);
	expect_eq(r.events, 6);
	expect_eq(r.failed, 0);
	expect_eq(r.peak_live, 340);
	expect_eq(r.peak_footprint, 368);
	expect_true(r.utilisation > 0.9239 && r.utilisation < 0.924);	/* 340/368 */
	expect_true(r.internal > 0.0760 && r.internal < 0.0761);		/* 1 - 340/368 */
	expect_eq(r.nr_samples, 6);
	/* after the last event: [0,112) used, [112,160) free, [160,368) used, rest free */
	struct kmm_replay_sample *last = &r.samples[5];
	expect_eq(last->used, 320);
	expect_eq(last->free, 1024 - 320);
	expect_eq(last->largest_free, 1024 - 368);
	expect_eq(strcmp(last->map, "+++....."), 0);	/* 128-byte cells: 112, 96, 112 used */
	kmm_replay_result_free(&r);

	/* a pool too small for the last block: one failure, and its free skipped */
	c.pool_size = 320;
	c.pool.policy = KMM_POOL_BEST_FIT;
	assert_eq(kmm_replay(&t, &c, &r, err, sizeof(err)), 0);
	expect_eq(r.failed, 1);
	expect_eq(r.skipped, 0);	/* the failed block (3) is never freed in this trace */
	kmm_replay_result_free(&r);
	kmm_lab_trace_free(&t);
}

TEST(replay_runs_every_checker_after_every_event)
{
	struct kmm_synth s = { .seed = kmm_test_seed(), .allocs = kmm_test_quick() ? 800 : 3000,
			       .size = "mix", .life = "exp:200", .realloc_pct = 20 };
	struct kmm_lab_trace t;
	char err[256];

	assert_eq(kmm_lab_trace_synthetic(&t, &s, err, sizeof(err)), 0);
	for (int outside = 0; outside <= 1; outside++) {
		for (int pol = 0; pol < KMM_POOL_NR_POLICIES; pol++) {
			struct kmm_replay_config c = {
				.pool = { .policy = (enum kmm_pool_policy)pol,
					  .flags = outside ? KMM_POOL_META_OUTSIDE : 0,
					  .object_size = pol == KMM_POOL_FIXED ? 4096 : 0 },
				.pool_size = 1 << 20, .samples = 4, .check = true,
			};
			struct kmm_replay_result r;
			int ret = kmm_replay(&t, &c, &r, err, sizeof(err));
			if (ret)
				kmm_test_fail(__FILE__, __LINE__, "%s: %s", kmm_pool_policy_name(pol), err);
			expect_eq(ret, 0);
			expect_eq(r.events, t.nr);
			expect_true(r.peak_footprint >= r.peak_live || r.failed);
			kmm_replay_result_free(&r);
		}
	}
	kmm_lab_trace_free(&t);
}

TEST(kmm_machine_traces_give_objects_or_page_blocks)
{
	const char text[] =
		"# kmm-trace 1\n"
		"# machine 1 cmdline: mem=64M arch=i386\n"
		"0.001 0 0 mm_page_alloc pfn=0x2004 order=2 gfp_flags=GFP_KERNEL migratetype=0\n"
		"0.002 0 0 kmalloc ptr=0xc2004000 bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL "
		"node=-1\n"
		"0.003 0 0 kmem_cache_alloc name=\"my cache\" ptr=0xc2005000 bytes_req=24 "
		"bytes_alloc=32 gfp_flags=GFP_KERNEL node=-1\n"
		"0.004 0 1 page_fault_user address=0xb7fee000 error_code=0x6\n"
		"0.005 0 0 kfree ptr=0xc2004000\n"
		"0.006 0 0 mm_page_alloc pfn=0xffffffffffffffff order=0 gfp_flags=GFP_KERNEL "
		"migratetype=0\n"
		"0.007 0 0 mm_page_free pfn=0x2004 order=2\n"
		"# machine 2 cmdline: mem=64M arch=i386\n"
		"0.001 0 0 kmalloc ptr=0xc2004000 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL "
		"node=-1\n";
	struct kmm_lab_trace t;
	char err[256];

	assert_eq(read_text(&t, text, KMM_LAB_TRACE_AUTO, err, sizeof(err)), 0);
	expect_eq(strcmp(t.format, "events"), 0);
	/* kmalloc 100, cache object 24, kfree, then machine 2: the object is freed, kmalloc 8 */
	expect_eq(t.nr, 5);
	expect_eq(t.ev[0].size, 100);
	expect_eq(t.ev[1].size, 24);
	expect_eq(t.ev[2].op, KMM_LAB_TRACE_FREE);
	expect_eq(t.ev[3].op, KMM_LAB_TRACE_FREE);
	expect_eq(t.ev[3].id, t.ev[1].id);
	expect_eq(t.ev[4].size, 8);
	expect_true(well_formed(&t, false));
	kmm_lab_trace_free(&t);

	assert_eq(read_text(&t, text, KMM_LAB_TRACE_EVENTS_PAGES, err, sizeof(err)), 0);
	expect_eq(strcmp(t.format, "events-pages"), 0);
	expect_eq(t.nr, 2);	/* the failed allocation is left out */
	expect_eq(t.ev[0].size, 4 * 4096);
	expect_eq(t.ev[1].op, KMM_LAB_TRACE_FREE);
	kmm_lab_trace_free(&t);

	expect_eq(read_text(&t, "# kmm-trace 1\n0.1 0\n", KMM_LAB_TRACE_AUTO, err, sizeof(err)),
		  -EINVAL);
	expect_str_contains(err, "t.trace:2: an event line has time, cpu, pid and event first");
}
