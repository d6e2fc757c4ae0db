// SPDX-License-Identifier: MIT
/*
 * tests/unit_xarray.c - lib/xarray: load/store/erase at small and huge
 * indices, marks and their summaries, xa_find over marks, and a seeded
 * random run against a plain reference table with xa_check after every step.
 */
#include <stdlib.h>

#include "lib/xarray.h"
#include "tests/harness.h"

static void check_ok(const struct xarray *xa)
{
	char why[160];

	if (xa_check(xa, why, sizeof(why)))
		kmm_test_fail(__FILE__, __LINE__, "%s", why);
}

TEST(store_load_erase_grow_and_shrink)
{
	struct xarray xa;
	static int v[4];

	xa_init(&xa);
	expect_true(xa_load(&xa, 0) == NULL);
	assert_eq(xa_store(&xa, 5, &v[0]), 0);
	assert_eq(xa_store(&xa, 70000, &v[1]), 0);	/* three levels */
	assert_eq(xa_store(&xa, ~0UL, &v[2]), 0);	/* the largest index: eleven levels */
	check_ok(&xa);
	expect_eq(xa.count, 3);
	expect_true(xa_load(&xa, 5) == &v[0]);
	expect_true(xa_load(&xa, 70000) == &v[1]);
	expect_true(xa_load(&xa, ~0UL) == &v[2]);
	expect_true(xa_load(&xa, 6) == NULL);
	expect_true(xa_erase(&xa, ~0UL) == &v[2]);
	check_ok(&xa);
	expect_eq(xa.head->shift, 12);		/* shrank back to cover 70000 */
	expect_true(xa_erase(&xa, 70000) == &v[1]);
	expect_eq(xa.head->shift, 0);
	expect_true(xa_erase(&xa, 5) == &v[0]);
	expect_true(xa_empty(&xa));
	check_ok(&xa);
	xa_destroy(&xa);
}

/* The update callback's view: leaf nodes with entries, on a list as the workingset keeps them. */
static LIST_HEAD(leaves);
static int nr_leaves, updates;

static void count_leaf(struct xa_node *node)
{
	updates++;
	if (node->count && list_empty(&node->private_list)) {
		list_add_tail(&node->private_list, &leaves);
		nr_leaves++;
	} else if (!node->count && !list_empty(&node->private_list)) {
		list_del_init(&node->private_list);
		nr_leaves--;
	}
}

TEST(update_callback_tracks_leaves_and_delete_node_empties_one)
{
	struct xarray xa;
	static int v;

	xa_init(&xa);
	xa.update = count_leaf;
	/* three leaves: 0..63, 64..127 and one far away (the tree grows above the first) */
	assert_eq(xa_store(&xa, 3, &v), 0);
	assert_eq(xa_store(&xa, 5, &v), 0);
	assert_eq(xa_store(&xa, 64 + 7, &v), 0);
	assert_eq(xa_store(&xa, 1UL << 20, &v), 0);
	assert_eq(xa_store(&xa, 5, &v), 0);	/* a replacement changes no count */
	check_ok(&xa);
	expect_eq(nr_leaves, 3);
	expect_eq(updates, 4);
	/* the first listed leaf is 0..63; deleting it whole tells the owner once */
	struct xa_node *first = list_first_entry(&leaves, struct xa_node, private_list);
	expect_eq(xa_node_index(first), 0);
	expect_true(first->array == &xa);
	struct xa_node *second = list_entry(first->private_list.next, struct xa_node, private_list);
	expect_eq(xa_node_index(second), 64);
	updates = 0;
	expect_eq(xa_delete_node(&xa, first), 2);
	expect_eq(updates, 1);
	expect_eq(nr_leaves, 2);
	expect_true(xa_load(&xa, 3) == NULL && xa_load(&xa, 5) == NULL && xa_load(&xa, 71) == &v);
	check_ok(&xa);
	/* erase empties a leaf; destroy takes the rest */
	expect_true(xa_erase(&xa, 71) == &v);
	expect_eq(nr_leaves, 1);
	xa_destroy(&xa);
	expect_eq(nr_leaves, 0);
	expect_true(list_empty(&leaves));
	expect_true(xa.update == count_leaf);
}

TEST(marks_and_find)
{
	struct xarray xa;
	static int v[300];
	unsigned long idx, n = 0;
	void *e;

	xa_init(&xa);
	for (unsigned long i = 0; i < 300; i++)
		assert_eq(xa_store(&xa, i * 3, &v[i]), 0);
	for (unsigned long i = 0; i < 300; i += 10)
		xa_set_mark(&xa, i * 3, XA_MARK_0);
	xa_set_mark(&xa, 1, XA_MARK_0);		/* absent: no-op */
	check_ok(&xa);
	expect_eq(xa.marked[XA_MARK_0], 30);
	xa_for_each_marked(&xa, idx, e, XA_MARK_0) {
		expect_eq(idx % 30, 0);
		expect_true(e == &v[idx / 3]);
		n++;
	}
	expect_eq(n, 30);
	idx = 31;
	expect_true(xa_find(&xa, &idx, ~0UL, XA_MARK_0) == &v[20]);
	expect_eq(idx, 60);
	idx = 61;
	expect_true(xa_find(&xa, &idx, 80, XA_MARK_0) == NULL);	/* 90 is past max */
	idx = 100;
	expect_true(xa_find(&xa, &idx, ~0UL, XA_PRESENT) == &v[34]);
	expect_eq(idx, 102);
	xa_clear_mark(&xa, 60, XA_MARK_0);
	expect_true(!xa_get_mark(&xa, 60, XA_MARK_0));
	xa_erase(&xa, 90);			/* takes its mark along */
	check_ok(&xa);
	expect_eq(xa.marked[XA_MARK_0], 28);
	n = 0;
	xa_for_each(&xa, idx, e)
		n++;
	expect_eq(n, 299);
	xa_destroy(&xa);
}

TEST(random_against_reference)
{
	enum { N = 5000, SPAN = 200000 };
	unsigned int seed = (unsigned int)kmm_test_seed();
	static unsigned long keys[N];
	static unsigned char present[N], marked[N][2];
	struct xarray xa;

	srand(seed);
	for (int i = 0; i < N; i++)
		keys[i] = (i % 7 == 0) ? (unsigned long)rand() * 65536UL + (unsigned long)i
				       : (unsigned long)i * 37 % SPAN;
	/* keys must be distinct for the reference: make them so */
	for (int i = 0; i < N; i++)
		keys[i] = keys[i] * N + (unsigned long)i;
	xa_init(&xa);
	for (int step = 0; step < 20000; step++) {
		int i = rand() % N, op = rand() % 5;
		if (op <= 1) {
			assert_eq(xa_store(&xa, keys[i], &keys[i]), 0);
			present[i] = 1;
		} else if (op == 2) {
			expect_true(xa_erase(&xa, keys[i]) == (present[i] ? &keys[i] : NULL));
			present[i] = marked[i][0] = marked[i][1] = 0;
		} else {
			unsigned int k = (unsigned int)(op - 3);
			if (rand() & 1) {
				xa_set_mark(&xa, keys[i], k);
				marked[i][k] = present[i];
			} else {
				xa_clear_mark(&xa, keys[i], k);
				marked[i][k] = 0;
			}
		}
		if (step % 97 == 0 || step < 200) {
			char why[160];
			if (xa_check(&xa, why, sizeof(why))) {
				kmm_test_fail(__FILE__, __LINE__, "seed %u step %d: %s", seed, step, why);
				kmm_test_abort();
			}
		}
	}
	unsigned long count = 0, m0 = 0, idx;
	void *e;
	for (int i = 0; i < N; i++) {
		expect_true(xa_load(&xa, keys[i]) == (present[i] ? &keys[i] : NULL));
		count += present[i];
		m0 += marked[i][0];
	}
	expect_eq(xa.count, count);
	expect_eq(xa.marked[0], m0);
	unsigned long seen = 0, prev = 0;
	xa_for_each(&xa, idx, e) {
		expect_true(seen == 0 || idx > prev);
		expect_true(*(unsigned long *)e == idx);
		prev = idx;
		seen++;
	}
	expect_eq(seen, count);
	seen = 0;
	xa_for_each_marked(&xa, idx, e, XA_MARK_0)
		seen++;
	expect_eq(seen, m0);
	check_ok(&xa);
	xa_destroy(&xa);
}
