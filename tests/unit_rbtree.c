// SPDX-License-Identifier: MIT
/*
 * tests/unit_rbtree.c - lib/rbtree: red-black invariants and augmentation
 * under random inserts and erases, checked against a brute-force model.
 *
 * The augmented value is vmalloc's: the largest block size in a subtree,
 * and the query is its lowest-address first fit.
 */
#include <stdlib.h>

#include "harness.h"
#include "lib/rbtree.h"

struct blk {
	struct rb_node rb;
	unsigned long start, size;
	unsigned long subtree_max;
	bool in_tree;
};

static unsigned long node_max(const struct rb_node *n)
{
	return n ? rb_entry(n, struct blk, rb)->subtree_max : 0;
}

static bool blk_recompute(struct rb_node *n)
{
	struct blk *b = rb_entry(n, struct blk, rb);
	unsigned long v = b->size;

	if (node_max(n->left) > v)
		v = node_max(n->left);
	if (node_max(n->right) > v)
		v = node_max(n->right);
	if (v == b->subtree_max)
		return false;
	b->subtree_max = v;
	return true;
}

static void blk_insert(struct rb_root *root, struct blk *b)
{
	struct rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = b->start < rb_entry(parent, struct blk, rb)->start ? &parent->left
									   : &parent->right;
	}
	rb_link_node(&b->rb, parent, link);
	b->subtree_max = 0;
	rb_insert_augmented(&b->rb, root, blk_recompute);
	b->in_tree = true;
}

/* Lowest-start block with size >= want, using the cached maxima. */
static struct blk *first_fit(struct rb_node *n, unsigned long want, int *visits)
{
	while (n) {
		(*visits)++;
		if (node_max(n->left) >= want) {
			n = n->left;
			continue;
		}
		struct blk *b = rb_entry(n, struct blk, rb);
		if (b->size >= want)
			return b;
		if (node_max(n->right) >= want)
			n = n->right;
		else
			return NULL;
	}
	return NULL;
}

TEST(empty_tree)
{
	struct rb_root root = RB_ROOT;

	expect_true(rb_empty(&root));
	expect_true(rb_first(&root) == NULL);
	expect_eq(rb_check(&root, blk_recompute), 0);
}

TEST(sorted_walk_and_invariants)
{
	enum { N = 1000 };
	static struct blk b[N];
	struct rb_root root = RB_ROOT;

	for (int i = 0; i < N; i++) {
		b[i].start = (unsigned long)((i * 7919) % N);	/* a permutation */
		b[i].size = 1;
		blk_insert(&root, &b[i]);
		if (i % 97 == 0)
			assert_eq(rb_check(&root, blk_recompute), 0);
	}
	assert_eq(rb_check(&root, blk_recompute), 0);
	expect_eq(rb_count(&root), N);
	unsigned long want = 0;
	for (struct rb_node *n = rb_first(&root); n; n = rb_next(n))
		expect_eq(rb_entry(n, struct blk, rb)->start, want++);
	want = N;
	for (struct rb_node *n = rb_last(&root); n; n = rb_prev(n))
		expect_eq(rb_entry(n, struct blk, rb)->start, --want);
}

TEST(random_insert_erase_first_fit)
{
	enum { N = 512 };
	static struct blk b[N];
	struct rb_root root = RB_ROOT;
	uint64_t rng = kmm_test_seed();
	int steps = kmm_test_quick() ? 5000 : 40000;

	for (int i = 0; i < N; i++) {
		b[i].start = (unsigned long)i * 1000;
		b[i].in_tree = false;
	}
	for (int s = 0; s < steps; s++) {
		int i = (int)(kmm_test_rand(&rng) % N);
		if (b[i].in_tree) {
			rb_erase_augmented(&b[i].rb, &root, blk_recompute);
			b[i].in_tree = false;
		} else {
			b[i].size = 1 + kmm_test_rand(&rng) % 999;
			blk_insert(&root, &b[i]);
		}
		/* An in-place size change, as vmalloc trims a free block. */
		int j = (int)(kmm_test_rand(&rng) % N);
		if (b[j].in_tree && b[j].size > 1) {
			b[j].size--;
			rb_propagate(&b[j].rb, blk_recompute);
		}
#ifndef KMM_DEBUG_CHECKS
		if (s % 64 == 0)
#endif
			assert_eq(rb_check(&root, blk_recompute), 0);
		unsigned long want = 1 + kmm_test_rand(&rng) % 999;
		int visits = 0;
		struct blk *got = first_fit(root.node, want, &visits);
		struct blk *model = NULL;
		for (int k = 0; k < N && !model; k++)
			if (b[k].in_tree && b[k].size >= want)
				model = &b[k];
		assert_true(got == model);
		/* O(log n): the descent visits at most the height, <= 2*log2(N+1). */
		assert_true(visits <= 2 * 10);
	}
	assert_eq(rb_check(&root, blk_recompute), 0);
}

/* The checker sees each kind of damage. */
TEST(check_detects_corruption)
{
	enum { N = 64 };
	static struct blk b[N];
	struct rb_root root = RB_ROOT;

	for (int i = 0; i < N; i++) {
		b[i].start = (unsigned long)i;
		b[i].size = (unsigned long)(i % 7 + 1);
		blk_insert(&root, &b[i]);
	}
	assert_eq(rb_check(&root, blk_recompute), 0);
	/* A stale cached maximum. */
	struct blk *r = rb_entry(root.node, struct blk, rb);
	r->subtree_max += 100;
	expect_eq(rb_check(&root, blk_recompute), -5);	/* (the check also repairs it) */
	expect_eq(rb_check(&root, blk_recompute), 0);
	/* A red root. */
	root.node->color = RB_RED;
	expect_eq(rb_check(&root, NULL), -1);
	root.node->color = RB_BLACK;
	/* Unequal black heights: paint one leaf-level black node red->black flip. */
	struct rb_node *leaf = rb_first(&root);
	unsigned char old = leaf->color;
	leaf->color = old == RB_RED ? RB_BLACK : RB_RED;
	expect_true(rb_check(&root, NULL) < 0);
	leaf->color = old;
	/* A broken parent link. */
	struct rb_node *saved = root.node->left->parent;
	root.node->left->parent = NULL;
	expect_eq(rb_check(&root, NULL), -4);
	root.node->left->parent = saved;
	expect_eq(rb_check(&root, blk_recompute), 0);
}
