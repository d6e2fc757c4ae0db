// SPDX-License-Identifier: MIT
/*
 * lib/rbtree.c - red-black tree rebalancing with augmentation hooks.
 *
 * Linux counterpart: lib/rbtree.c. This is the textbook algorithm (Cormen et
 * al., "Introduction to Algorithms", ch. 13) written with NULL leaves and
 * parent pointers; an augmented tree is kept current by recomputing the two
 * nodes of every rotation (lower first: the upper one then covers exactly
 * the set the lower one covered before, so nothing above changes) and the
 * path above a structural change.
 *
 * Invariant and locking: see lib/rbtree.h.
 */
#include "lib/rbtree.h"

static inline bool is_red(const struct rb_node *n)
{
	return n && n->color == RB_RED;
}

static void change_child(struct rb_root *root, struct rb_node *parent,
			 struct rb_node *old, struct rb_node *new)
{
	if (!parent)
		root->node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

static void rotate_left(struct rb_root *root, struct rb_node *x, rb_recompute_fn recompute)
{
	struct rb_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	change_child(root, x->parent, x, y);
	y->left = x;
	x->parent = y;
	if (recompute) {
		recompute(x);
		recompute(y);
	}
}

static void rotate_right(struct rb_root *root, struct rb_node *x, rb_recompute_fn recompute)
{
	struct rb_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	change_child(root, x->parent, x, y);
	y->right = x;
	x->parent = y;
	if (recompute) {
		recompute(x);
		recompute(y);
	}
}

void rb_propagate(struct rb_node *node, rb_recompute_fn recompute)
{
	while (node && recompute(node))
		node = node->parent;
}

/* Recompute every node from @node to the root, without early stop. */
static void propagate_all(struct rb_node *node, rb_recompute_fn recompute)
{
	for (; node; node = node->parent)
		recompute(node);
}

void rb_insert_augmented(struct rb_node *z, struct rb_root *root,
			       rb_recompute_fn recompute)
{
	if (recompute) {
		recompute(z);
		rb_propagate(z->parent, recompute);
	}
	struct rb_node *p;

	while ((p = z->parent) && p->color == RB_RED) {
		struct rb_node *g = p->parent;	/* exists: a red node is not the root */

		if (p == g->left) {
			struct rb_node *u = g->right;

			if (is_red(u)) {
				p->color = RB_BLACK;
				u->color = RB_BLACK;
				g->color = RB_RED;
				z = g;
				continue;
			}
			if (z == p->right) {
				z = p;
				rotate_left(root, z, recompute);
				p = z->parent;
			}
			p->color = RB_BLACK;
			g->color = RB_RED;
			rotate_right(root, g, recompute);
		} else {
			struct rb_node *u = g->left;

			if (is_red(u)) {
				p->color = RB_BLACK;
				u->color = RB_BLACK;
				g->color = RB_RED;
				z = g;
				continue;
			}
			if (z == p->left) {
				z = p;
				rotate_right(root, z, recompute);
				p = z->parent;
			}
			p->color = RB_BLACK;
			g->color = RB_RED;
			rotate_left(root, g, recompute);
		}
	}
	root->node->color = RB_BLACK;
}

static void transplant(struct rb_root *root, struct rb_node *u, struct rb_node *v)
{
	change_child(root, u->parent, u, v);
	if (v)
		v->parent = u->parent;
}

static void erase_fixup(struct rb_root *root, struct rb_node *x, struct rb_node *xp,
			rb_recompute_fn recompute)
{
	while (x != root->node && !is_red(x)) {
		if (x == xp->left) {
			struct rb_node *w = xp->right;

			if (is_red(w)) {
				w->color = RB_BLACK;
				xp->color = RB_RED;
				rotate_left(root, xp, recompute);
				w = xp->right;
			}
			if (!is_red(w->left) && !is_red(w->right)) {
				w->color = RB_RED;
				x = xp;
				xp = x->parent;
			} else {
				if (!is_red(w->right)) {
					w->left->color = RB_BLACK;
					w->color = RB_RED;
					rotate_right(root, w, recompute);
					w = xp->right;
				}
				w->color = xp->color;
				xp->color = RB_BLACK;
				if (w->right)
					w->right->color = RB_BLACK;
				rotate_left(root, xp, recompute);
				x = root->node;
				break;
			}
		} else {
			struct rb_node *w = xp->left;

			if (is_red(w)) {
				w->color = RB_BLACK;
				xp->color = RB_RED;
				rotate_right(root, xp, recompute);
				w = xp->left;
			}
			if (!is_red(w->left) && !is_red(w->right)) {
				w->color = RB_RED;
				x = xp;
				xp = x->parent;
			} else {
				if (!is_red(w->left)) {
					w->right->color = RB_BLACK;
					w->color = RB_RED;
					rotate_left(root, w, recompute);
					w = xp->left;
				}
				w->color = xp->color;
				xp->color = RB_BLACK;
				if (w->left)
					w->left->color = RB_BLACK;
				rotate_right(root, xp, recompute);
				x = root->node;
				break;
			}
		}
	}
	if (x)
		x->color = RB_BLACK;
}

void rb_erase_augmented(struct rb_node *z, struct rb_root *root, rb_recompute_fn recompute)
{
	struct rb_node *x, *xp;
	unsigned char removed_color = z->color;

	if (!z->left) {
		x = z->right;
		xp = z->parent;
		transplant(root, z, z->right);
	} else if (!z->right) {
		x = z->left;
		xp = z->parent;
		transplant(root, z, z->left);
	} else {
		struct rb_node *y = z->right;

		while (y->left)
			y = y->left;
		removed_color = y->color;
		x = y->right;
		if (y->parent == z) {
			xp = y;
		} else {
			xp = y->parent;
			transplant(root, y, y->right);
			y->right = z->right;
			y->right->parent = y;
		}
		transplant(root, z, y);
		y->left = z->left;
		y->left->parent = y;
		y->color = z->color;
	}
	if (recompute)
		propagate_all(xp, recompute);
	if (removed_color == RB_BLACK)
		erase_fixup(root, x, xp, recompute);
	z->parent = z->left = z->right = NULL;
}

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->node;

	if (!n)
		return NULL;
	while (n->left)
		n = n->left;
	return n;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *n = root->node;

	if (!n)
		return NULL;
	while (n->right)
		n = n->right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct rb_node *)n;
	}
	const struct rb_node *p;

	while ((p = n->parent) && n == p->right)
		n = p;
	return (struct rb_node *)p;
}

struct rb_node *rb_prev(const struct rb_node *n)
{
	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (struct rb_node *)n;
	}
	const struct rb_node *p;

	while ((p = n->parent) && n == p->left)
		n = p;
	return (struct rb_node *)p;
}

/* Black height of the subtree at @n, or a negative error. Recursion depth is the height. */
static int check_subtree(const struct rb_node *n, rb_recompute_fn recompute)
{
	if (!n)
		return 1;
	if ((n->left && n->left->parent != n) || (n->right && n->right->parent != n))
		return -4;
	if (n->color == RB_RED && (is_red(n->left) || is_red(n->right)))
		return -2;
	int hl = check_subtree(n->left, recompute);
	if (hl < 0)
		return hl;
	int hr = check_subtree(n->right, recompute);
	if (hr < 0)
		return hr;
	if (hl != hr)
		return -3;
	/* Children checked first, so recompute sees current children. */
	if (recompute && recompute((struct rb_node *)n))
		return -5;
	return hl + (n->color == RB_BLACK);
}

int rb_check(const struct rb_root *root, rb_recompute_fn recompute)
{
	if (!root->node)
		return 0;
	if (root->node->color != RB_BLACK)
		return -1;
	if (root->node->parent)
		return -4;
	int h = check_subtree(root->node, recompute);
	return h < 0 ? h : 0;
}

size_t rb_count(const struct rb_root *root)
{
	size_t n = 0;

	for (struct rb_node *p = rb_first(root); p; p = rb_next(p))
		n++;
	return n;
}
