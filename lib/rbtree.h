// SPDX-License-Identifier: MIT
/*
 * lib/rbtree.h - an intrusive red-black tree with optional augmentation.
 *
 * Linux counterpart: include/linux/rbtree.h, rbtree_augmented.h. Kept: the
 * intrusive node embedded in the caller's struct, the caller doing the key
 * descent and linking (rb_link_node) and the tree doing the rebalancing.
 * Simplified: the colour is a plain byte, and augmentation is one callback,
 * recompute(node), that rebuilds a node's cached value from the node and its
 * two children (e.g. the largest free gap below it, as vmalloc's free tree
 * keeps it). The tree calls it on every node whose subtree changed: the two
 * nodes of each rotation (lower one first) and the path from a changed leaf
 * up to the root.
 *
 * Invariants (rb_check): the root is black; no red node has a red child;
 * every path from a node to a leaf passes the same number of black nodes;
 * parent pointers agree with child pointers. Height <= 2*log2(n+1).
 *
 * Locking: none; the owner of the tree serialises access.
 */
#ifndef KMM_LIB_RBTREE_H
#define KMM_LIB_RBTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/list.h"	/* container_of */

enum { RB_RED = 0, RB_BLACK = 1 };

struct rb_node {
	struct rb_node *parent;
	struct rb_node *left, *right;
	unsigned char color;
};

struct rb_root {
	struct rb_node *node;
};

#define RB_ROOT ((struct rb_root){ NULL })
#define rb_entry(ptr, type, member) container_of(ptr, type, member)
#define rb_entry_safe(ptr, type, member) \
	__extension__({ struct rb_node *_p = (ptr); _p ? rb_entry(_p, type, member) : NULL; })

/*
 * rb_recompute_fn - rebuild @n's augmented value from @n, @n->left, @n->right.
 * Return: true if the value changed (the tree may stop propagating).
 */
typedef bool (*rb_recompute_fn)(struct rb_node *n);

static inline bool rb_empty(const struct rb_root *root)
{
	return root->node == NULL;
}

/* rb_link_node() - attach @node as the child at *@link of @parent (a leaf). */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->parent = parent;
	node->left = node->right = NULL;
	node->color = RB_RED;
	*link = node;
}

/**
 * rb_insert_augmented() - rebalance after rb_link_node().
 * @recompute: NULL for a plain tree.
 * Context: caller serialises the tree. O(log n).
 */
void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			       rb_recompute_fn recompute);
/** rb_erase_augmented() - unlink @node and rebalance. O(log n). */
void rb_erase_augmented(struct rb_node *node, struct rb_root *root, rb_recompute_fn recompute);

static inline void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	rb_insert_augmented(node, root, NULL);
}
static inline void rb_erase(struct rb_node *node, struct rb_root *root)
{
	rb_erase_augmented(node, root, NULL);
}

/**
 * rb_propagate() - recompute from @node up to the root (or until a node's
 * value does not change). Call after changing a node's own key data in place.
 */
void rb_propagate(struct rb_node *node, rb_recompute_fn recompute);

/* In-order walking. NULL at the ends. */
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/**
 * rb_check() - verify the red-black invariants of @root.
 * @recompute: if non-NULL, also verify that every node's augmented value is
 *             current: recompute() must return false on every node.
 * Return: 0 if all hold, else a negative number naming the first failure
 * (-1 red root, -2 red-red, -3 black heights differ, -4 parent link,
 *  -5 stale augmented value).
 */
int rb_check(const struct rb_root *root, rb_recompute_fn recompute);

/** rb_count() - number of nodes (O(n)). */
size_t rb_count(const struct rb_root *root);

#endif /* KMM_LIB_RBTREE_H */
