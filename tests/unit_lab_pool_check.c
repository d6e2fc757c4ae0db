// SPDX-License-Identifier: MIT
/*
 * tests/unit_lab_pool_check.c - each pool allocator's checker catches what
 * it claims to. For every policy, metadata inside and outside, a pool with
 * live and free blocks is corrupted one way at a time (a block's size, its
 * start bit, a boundary tag, a list link, a bitmap, a counter...):
 * kmm_pool_check() must return -EUCLEAN and name the fault; with the bytes
 * put back it must pass again (so each case plants exactly one fault). A
 * checker that accepted everything would let every stress test pass; these
 * fail then.
 *
 * White-box: the corruptions use the families' private layouts
 * (lab/pool_fit.h, lab/pool_buddy.h, lab/pool_fixed.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lab/pool_buddy.h"
#include "lab/pool_fit.h"
#include "lab/pool_fixed.h"
#include "tests/harness.h"
#include "tests/lab_test.h"

#define NBLK 10
#define POOL_BYTES (1 << 16)

/* A pool with blocks 0..NBLK-1 allocated and the odd ones freed. */
struct scene {
	struct tpool t;
	size_t off[NBLK];	/* public offsets (payload) */
	void *save_region, *save_meta;
};

static void scene_make(struct scene *s, int pol, bool outside_meta)
{
	struct kmm_pool_config c = lab_cfg(pol, outside_meta);
	static const size_t sizes[NBLK] = { 40, 100, 24, 300, 48, 64, 200, 16, 90, 33 };

	tpool_make(&s->t, &c, POOL_BYTES);
	for (int i = 0; i < NBLK; i++) {
		s->off[i] = kmm_pool_alloc_off(&s->t.p, pol == KMM_POOL_FIXED ? 48 : sizes[i]);
		assert_true(s->off[i] != KMM_POOL_NOFF);
	}
	for (int i = 1; i < NBLK; i += 2)
		assert_eq(kmm_pool_free_off(&s->t.p, s->off[i]), 0);
	assert_eq(kmm_pool_check(&s->t.p), 0);
	s->save_region = malloc(s->t.size);
	s->save_meta = s->t.meta_size ? malloc(s->t.meta_size) : NULL;
	assert_true(s->save_region && (!s->t.meta_size || s->save_meta));
	memcpy(s->save_region, s->t.region, s->t.size);
	if (s->t.meta_size)
		memcpy(s->save_meta, s->t.meta, s->t.meta_size);
}

/* @msg contains @what, or one of its '|'-separated alternatives. */
static bool names(const char *msg, const char *what)
{
	char alt[128];

	for (const char *w = what;;) {
		const char *bar = strchr(w, '|');
		size_t n = bar ? (size_t)(bar - w) : strlen(w);
		snprintf(alt, sizeof(alt), "%.*s", (int)n, w);
		if (strstr(msg, alt))
			return true;
		if (!bar)
			return false;
		w = bar + 1;
	}
}

/*
 * The checker must fail naming @what (or one of "a|b"); after the bytes are put back it must
 * pass. @name says which corruption, for the failure message.
 */
static void expect_caught(struct scene *s, const char *name, const char *what)
{
	struct kmm_pool *p = &s->t.p;
	const char *pol = kmm_pool_policy_name((enum kmm_pool_policy)s->t.policy);
	const char *where = s->t.meta_size ? "outside" : "inside";
	int ret = kmm_pool_check(p);

	if (ret != -EUCLEAN)
		kmm_test_fail(__FILE__, __LINE__, "%s %s, %s: check returned %d, not -EUCLEAN", pol,
			      where, name, ret);
	else if (!names(kmm_pool_error(p), what))
		kmm_test_fail(__FILE__, __LINE__, "%s %s, %s: \"%s\" does not say \"%s\"", pol,
			      where, name, kmm_pool_error(p), what);
	memcpy(s->t.region, s->save_region, s->t.size);
	if (s->t.meta_size)
		memcpy(s->t.meta, s->save_meta, s->t.meta_size);
	if (kmm_pool_check(p))
		kmm_test_fail(__FILE__, __LINE__, "%s %s, %s: restored pool fails: %s", pol, where,
			      name, kmm_pool_error(p));
}

static void scene_done(struct scene *s)
{
	free(s->save_region);
	free(s->save_meta);
	tpool_done(&s->t);
}

/* ---- The fit family: first/next/best/worst fit, segregated, TLSF ---- */

/* The block offset (the family's coordinate) of public offset @off. */
static uint32_t fit_block(const struct kmm_pool *p, size_t off)
{
	return (uint32_t)((long)off - p->delta);
}

static uint32_t fit_size(const struct kmm_pool *p, uint32_t b)
{
	return f_hdr(p, b) & F_SIZE_MASK;
}

/* The list @b is on: its head, found by following the links. */
static uint32_t fit_head_of(const struct kmm_pool *p, uint32_t b)
{
	const struct fit_ctl *f = fit_ctl(p);

	for (uint32_t x = f_next(p, b);; x = f_next(p, x))
		for (uint32_t i = 0; i < f->nr_lists; i++)
			if (x == f_head(p, i))
				return x;
}

static void fit_unlink(struct kmm_pool *p, uint32_t b)
{
	f_next(p, f_prev(p, b)) = f_next(p, b);
	f_prev(p, f_next(p, b)) = f_prev(p, b);
}

/* Put @b first on the list headed by @h. */
static void fit_push(struct kmm_pool *p, uint32_t h, uint32_t b)
{
	uint32_t n = f_next(p, h);

	f_next(p, b) = n;
	f_prev(p, b) = h;
	f_prev(p, n) = b;
	f_next(p, h) = b;
}

static void fit_cases(struct scene *s)
{
	struct kmm_pool *p = &s->t.p;
	struct fit_ctl *f = fit_ctl(p);
	uint32_t live = fit_block(p, s->off[2]), live2 = fit_block(p, s->off[4]);
	uint32_t fr = fit_block(p, s->off[3]), fr2 = fit_block(p, s->off[5]);
	uint32_t pol = f->c.policy, g = f->c.granule;

	f_hdr(p, live) = (f_hdr(p, live) & ~F_SIZE_MASK) | (fit_size(p, live) + 8 * g);
	expect_caught(s, "a live block's size grown", "block at 0x");

	f_hdr(p, live) &= ~F_SIZE_MASK;
	expect_caught(s, "a live block's size zeroed", "bad size 0");

	bit_clear(f_startmap(p), f_index(p, live));
	expect_caught(s, "a block's start bit cleared", "start bit is clear");

	bit_set(f_startmap(p), f_index(p, live) + 1);
	expect_caught(s, "a stray start bit inside a block", "bits set for");

	/* block 2 follows block 1, which is free: its F_PREV_ALLOC is clear */
	f_hdr(p, fit_block(p, s->off[1]) + fit_size(p, fit_block(p, s->off[1]))) ^= F_PREV_ALLOC;
	expect_caught(s, "F_PREV_ALLOC flipped", "F_PREV_ALLOC");

	*f_prevsize(p, fr + fit_size(p, fr)) += g;
	expect_caught(s, "a free block's footer", "footer says");

	/* a live block made free in place (its successor told): two free neighbours */
	uint32_t after = live + fit_size(p, live);
	f_hdr(p, live) &= ~F_ALLOC;
	f_hdr(p, after) &= ~F_PREV_ALLOC;
	*f_prevsize(p, after) = fit_size(p, live);
	expect_caught(s, "a live block between free ones marked free", "not merged");

	/* a free block marked allocated, its successor told: still on a list */
	f_hdr(p, fr) |= F_ALLOC;
	f_hdr(p, fr + fit_size(p, fr)) |= F_PREV_ALLOC;
	expect_caught(s, "a listed block marked allocated", "is allocated");

	fit_unlink(p, fr);
	expect_caught(s, "a free block dropped from its list", "on the lists");

	f_prev(p, fr) = fr;
	expect_caught(s, "a prev link", "prev link broken");

	/* a live block linked in place of a free one */
	f_next(p, f_prev(p, fr)) = live2;
	f_prev(p, f_next(p, fr)) = live2;
	f_next(p, live2) = f_next(p, fr);
	f_prev(p, live2) = f_prev(p, fr);
	expect_caught(s, "a live block on a list", "is allocated");

	f->c.live_blocks++;
	expect_caught(s, "the live-block counter", "counters");

	f->c.free_blocks--;
	expect_caught(s, "the free-block counter", "counters");

	if (pol == KMM_POOL_TLSF || pol == KMM_POOL_SEGREGATED) {
		/* a block on another size's list */
		uint32_t h = fit_head_of(p, fr), other = f_head(p, fit_list_of(p, 1u << 20));
		assert_true(h != other);
		fit_unlink(p, fr);
		fit_push(p, other, fr);
		expect_caught(s, "a block on the wrong list", "is on list");

		f->fl_bitmap ^= 1u << 20;
		expect_caught(s, "the first-level bitmap", "first-level bitmap");
	}
	if (pol == KMM_POOL_TLSF) {
		f->sl_bitmap[3] ^= 1u << 7;
		expect_caught(s, "a second-level bitmap", "second-level bitmap");
	}
	if (pol == KMM_POOL_FIRST_FIT || pol == KMM_POOL_NEXT_FIT || pol == KMM_POOL_BEST_FIT ||
	    pol == KMM_POOL_WORST_FIT) {
		/* the higher free block moved to the front: address order broken */
		uint32_t h = fit_head_of(p, fr2);
		fit_unlink(p, fr2);
		fit_push(p, h, fr2);
		expect_caught(s, "the address order", "breaks address order");
	}
	if (pol == KMM_POOL_NEXT_FIT) {
		f->rover = live;
		expect_caught(s, "the roving pointer on a live block", "rover");
	}
}

TEST(fit_checkers_catch_every_planted_fault)
{
	static const int pols[] = { KMM_POOL_FIRST_FIT, KMM_POOL_FIRST_FIT_LIFO, KMM_POOL_NEXT_FIT,
				    KMM_POOL_BEST_FIT, KMM_POOL_WORST_FIT, KMM_POOL_SEGREGATED,
				    KMM_POOL_TLSF };

	for (int o = 0; o <= 1; o++) {
		for (size_t i = 0; i < sizeof(pols) / sizeof(pols[0]); i++) {
			struct scene s;
			scene_make(&s, pols[i], o);
			fit_cases(&s);
			scene_done(&s);
		}
	}
}

/* ---- The buddy system, eager and lazy ---- */

static uint32_t buddy_block(const struct kmm_pool *p, size_t off)
{
	return (uint32_t)((long)off - p->delta);
}

struct find {
	size_t min_len;
	size_t live, free;	/* first such block's offset, or KMM_POOL_NOFF */
};

static int find_blocks(void *arg, const struct kmm_pool_extent *e)
{
	struct find *f = arg;

	if (e->used && e->len >= f->min_len && f->live == KMM_POOL_NOFF)
		f->live = e->off;
	if (!e->used && f->free == KMM_POOL_NOFF)
		f->free = e->off;
	return 0;
}

static void buddy_cases(struct scene *s)
{
	struct kmm_pool *p = &s->t.p;
	struct buddy_ctl *c = bctl(p);
	/* buddies merge, so blocks are found by walking: a live one of two granules or more */
	struct find fb = { .min_len = 2 * c->c.granule, .live = KMM_POOL_NOFF,
			   .free = KMM_POOL_NOFF };
	assert_eq(kmm_pool_walk(p, find_blocks, &fb), 0);
	assert_true(fb.live != KMM_POOL_NOFF && fb.free != KMM_POOL_NOFF);
	uint32_t live = buddy_block(p, fb.live), fr = buddy_block(p, fb.free);
	uint32_t k = *tag(p, live) & BT_ORDER;

	*tag(p, live + c->c.granule) = (uint8_t)(BT_START | 0);
	expect_caught(s, "a tag inside a block", "tag set inside it");

	*tag(p, live) = 0;
	expect_caught(s, "a live block's tag cleared", "expected a block start");

	*tag(p, live) = (uint8_t)(BT_START | (k + 1));
	expect_caught(s, "a live block's order raised", "block at 0x");

	uint32_t kf = *tag(p, fr) & BT_ORDER;
	b_next(p, b_prev(p, fr)) = b_next(p, fr);
	b_prev(p, b_next(p, fr)) = b_prev(p, fr);
	expect_caught(s, "a free block dropped from its list", "on the lists");

	b_prev(p, fr) = fr;
	expect_caught(s, "a prev link", "prev link broken");

	*tag(p, fr) = (uint8_t)(BT_START | kf);
	expect_caught(s, "a listed block tagged allocated", "has tag|more nodes than");

	c->nonempty ^= 1ull << 30;
	expect_caught(s, "the non-empty mask", "non-empty mask");

	c->c.live_bytes += c->c.granule;
	expect_caught(s, "the live-byte counter", "counters");

	/*
	 * Two free buddies left unmerged: the state lazy coalescing keeps on
	 * purpose and eager coalescing never allows. Made from two fresh
	 * one-granule blocks that are buddies, freed by hand without merging
	 * (the restore puts the bytes back as they were before they were
	 * allocated).
	 */
	uint32_t got[8], a = 0, b = 0;
	for (int i = 0; i < 8 && !b; i++) {
		size_t off = kmm_pool_alloc_off(p, 1);
		assert_true(off != KMM_POOL_NOFF);
		got[i] = buddy_block(p, off);
		for (int j = 0; j < i; j++)
			if (got[j] == buddy_of(c, got[i], 0)) {
				a = got[j];
				b = got[i];
			}
	}
	assert_true(b != 0);
	for (int i = 0; i < 2; i++) {
		uint32_t x = i ? b : a, h = b_head(p, 0), n = b_next(p, h);
		*tag(p, x) = (uint8_t)(BT_START | BT_FREE);
		b_next(p, x) = n;
		b_prev(p, x) = h;
		b_prev(p, n) = x;
		b_next(p, h) = x;
		c->c.live_blocks--;
		c->c.live_bytes -= c->c.granule;
		c->c.free_blocks++;
	}
	c->nonempty |= 1;
	if (c->lazy) {
		/* legal here; the same bytes judged as an eager pool are not */
		if (kmm_pool_check(p))
			kmm_test_fail(__FILE__, __LINE__, "buddy-lazy %s: unmerged free buddies "
				      "refused: %s", s->t.meta_size ? "outside" : "inside",
				      kmm_pool_error(p));
		c->lazy = 0;
		expect_caught(s, "two free buddies (judged eager)", "not merged");
	} else {
		expect_caught(s, "two free buddies", "not merged");
	}
}

TEST(buddy_checkers_catch_every_planted_fault)
{
	for (int o = 0; o <= 1; o++) {
		for (int pol = KMM_POOL_BUDDY; pol <= KMM_POOL_BUDDY_LAZY; pol++) {
			struct scene s;
			scene_make(&s, pol, o);
			buddy_cases(&s);
			scene_done(&s);
		}
	}
}

/* ---- The fixed-size object pool ---- */

static void fixed_cases(struct scene *s)
{
	struct kmm_pool *p = &s->t.p;
	struct fixed_ctl *x = xctl(p);

	bit_set(xmap(p), x->bump + 3);
	expect_caught(s, "a live bit past bump", "never handed out");

	bit_clear(xmap(p), 2);
	expect_caught(s, "a live object's bit cleared", "counters");

	bit_set(xmap(p), 3);	/* object 3 is free, on the list */
	x->c.live_blocks++;
	x->c.live_bytes += x->stride;
	x->c.free_blocks--;
	x->free_count--;
	expect_caught(s, "a listed object marked live", "is live");

	if (outside(x))
		stack(p)[0] = stack(p)[1];
	else
		*link_of(p, x->free_head - 1) = x->free_head;	/* points at itself */
	expect_caught(s, "the free list's second entry", "listed twice");

	x->free_count++;
	expect_caught(s, "the free count", "handed out");

	x->bump = x->nobj + 1;
	expect_caught(s, "bump past the last object", "out of range");
}

TEST(fixed_checker_catches_every_planted_fault)
{
	for (int o = 0; o <= 1; o++) {
		struct scene s;
		scene_make(&s, KMM_POOL_FIXED, o);
		fixed_cases(&s);
		scene_done(&s);
	}
}
