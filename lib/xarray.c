// SPDX-License-Identifier: MIT
/*
 * lib/xarray.c - the sparse pointer array of lib/xarray.h.
 *
 * A tree of 64-slot nodes; a node of shift s covers 2^(s+6) indices and its
 * slot i holds the child (or, at shift 0, the entry) for the indices whose
 * bits [s, s+6) equal i. The head's shift is the smallest that covers the
 * largest index stored. Each node keeps, per mark, a 64-bit word: bit i set
 * when slot i (or something below it) carries the mark.
 */
#include "lib/xarray.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* The mask of the index bits a node of @shift resolves (itself and below). */
static unsigned long node_span_mask(unsigned int shift)
{
	return shift + XA_CHUNK_SHIFT >= 64 ? ~0UL : (1UL << (shift + XA_CHUNK_SHIFT)) - 1;
}

static unsigned long node_max(const struct xa_node *node)
{
	return node_span_mask(node->shift);
}

static unsigned int node_offset(const struct xa_node *node, unsigned long index)
{
	return (unsigned int)((index >> node->shift) & (XA_CHUNK_SIZE - 1));
}

static struct xa_node *node_alloc(struct xarray *xa, unsigned int shift, struct xa_node *parent,
				  unsigned int offset)
{
	struct xa_node *n = calloc(1, sizeof(*n));

	if (n) {
		n->shift = (unsigned char)shift;
		n->parent = parent;
		n->offset = (unsigned char)offset;
		n->array = xa;
		INIT_LIST_HEAD(&n->private_list);
	}
	return n;
}

/* A leaf's count changed: tell the owner. */
static void node_update(struct xarray *xa, struct xa_node *leaf)
{
	if (xa->update)
		xa->update(leaf);
}

/* The leaf holding @index, or NULL. */
static struct xa_node *find_leaf(const struct xarray *xa, unsigned long index)
{
	struct xa_node *node = xa->head;

	if (!node || index > node_max(node))
		return NULL;
	while (node && node->shift)
		node = node->slots[node_offset(node, index)];
	return node;
}

void *xa_load(const struct xarray *xa, unsigned long index)
{
	struct xa_node *leaf = find_leaf(xa, index);

	return leaf ? leaf->slots[node_offset(leaf, index)] : NULL;
}

/* Free @node and its empty ancestors (each is unlinked from its parent first). */
static void delete_empty(struct xarray *xa, struct xa_node *node)
{
	while (node && !node->count) {
		struct xa_node *parent = node->parent;
		if (parent) {
			parent->slots[node->offset] = NULL;
			parent->count--;
			for (unsigned int k = 0; k < XA_MAX_MARKS; k++)
				parent->marks[k] &= ~(1ULL << node->offset);
		} else {
			xa->head = NULL;
		}
		free(node);
		node = parent;
	}
}

/* Drop head nodes whose only child is slot 0 (the tree covers less now). */
static void shrink(struct xarray *xa)
{
	struct xa_node *head = xa->head;

	while (head && head->shift && head->count == 1 && head->slots[0]) {
		struct xa_node *child = head->slots[0];
		child->parent = NULL;
		child->offset = 0;
		free(head);
		xa->head = head = child;
	}
}

int xa_store(struct xarray *xa, unsigned long index, void *entry)
{
	struct xa_node *node;

	if (!entry)
		return -EINVAL;
	if (!xa->head) {
		unsigned int shift = 0;
		while (index > node_span_mask(shift))
			shift += XA_CHUNK_SHIFT;
		if (!(xa->head = node_alloc(xa, shift, NULL, 0)))
			return -ENOMEM;
	}
	/* Grow until the head covers @index. */
	while (index > node_max(xa->head)) {
		struct xa_node *old = xa->head, *n = node_alloc(xa, old->shift + XA_CHUNK_SHIFT, NULL, 0);
		if (!n) {
			delete_empty(xa, old);
			return -ENOMEM;
		}
		n->slots[0] = old;
		n->count = 1;
		for (unsigned int k = 0; k < XA_MAX_MARKS; k++)
			if (old->marks[k])
				n->marks[k] = 1;
		old->parent = n;
		old->offset = 0;
		xa->head = n;
	}
	node = xa->head;
	while (node->shift) {
		unsigned int off = node_offset(node, index);
		struct xa_node *child = node->slots[off];
		if (!child) {
			child = node_alloc(xa, node->shift - XA_CHUNK_SHIFT, node, off);
			if (!child) {
				delete_empty(xa, node);
				shrink(xa);
				return -ENOMEM;
			}
			node->slots[off] = child;
			node->count++;
		}
		node = child;
	}
	unsigned int off = node_offset(node, index);
	if (!node->slots[off]) {
		node->slots[off] = entry;
		node->count++;
		xa->count++;
		node_update(xa, node);
		return 0;
	}
	node->slots[off] = entry;
	return 0;
}

static void set_mark_up(struct xa_node *node, unsigned int off, xa_mark_t mark)
{
	while (node) {
		uint64_t bit = 1ULL << off;
		if (node->marks[mark] & bit)
			return;
		node->marks[mark] |= bit;
		off = node->offset;
		node = node->parent;
	}
}

static void clear_mark_up(struct xa_node *node, unsigned int off, xa_mark_t mark)
{
	while (node) {
		node->marks[mark] &= ~(1ULL << off);
		if (node->marks[mark])
			return;
		off = node->offset;
		node = node->parent;
	}
}

void xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	struct xa_node *leaf = find_leaf(xa, index);
	unsigned int off;

	if (!leaf || mark >= XA_MAX_MARKS)
		return;
	off = node_offset(leaf, index);
	if (!leaf->slots[off] || (leaf->marks[mark] >> off & 1))
		return;
	xa->marked[mark]++;
	set_mark_up(leaf, off, mark);
}

void xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	struct xa_node *leaf = find_leaf(xa, index);
	unsigned int off;

	if (!leaf || mark >= XA_MAX_MARKS)
		return;
	off = node_offset(leaf, index);
	if (!(leaf->marks[mark] >> off & 1))
		return;
	xa->marked[mark]--;
	clear_mark_up(leaf, off, mark);
}

bool xa_get_mark(const struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	struct xa_node *leaf = find_leaf(xa, index);

	return leaf && mark < XA_MAX_MARKS && (leaf->marks[mark] >> node_offset(leaf, index) & 1);
}

void *xa_erase(struct xarray *xa, unsigned long index)
{
	struct xa_node *leaf = find_leaf(xa, index);
	unsigned int off;
	void *old;

	if (!leaf)
		return NULL;
	off = node_offset(leaf, index);
	old = leaf->slots[off];
	if (!old)
		return NULL;
	for (xa_mark_t k = 0; k < XA_MAX_MARKS; k++)
		xa_clear_mark(xa, index, k);
	leaf->slots[off] = NULL;
	leaf->count--;
	xa->count--;
	node_update(xa, leaf);
	delete_empty(xa, leaf);
	shrink(xa);
	return old;
}

static bool slot_matches(const struct xa_node *node, unsigned int off, xa_mark_t filter)
{
	if (filter == XA_PRESENT)
		return node->slots[off] != NULL;
	return filter < XA_MAX_MARKS && (node->marks[filter] >> off & 1);
}

void *xa_find(const struct xarray *xa, unsigned long *indexp, unsigned long max, xa_mark_t filter)
{
	struct xa_node *node = xa->head;
	unsigned long index = *indexp;
	unsigned int off;

	if (!node || index > max || index > node_max(node))
		return NULL;
	off = node_offset(node, index);
	for (;;) {
		unsigned int start = off;
		while (off < XA_CHUNK_SIZE && !slot_matches(node, off, filter))
			off++;
		if (off == XA_CHUNK_SIZE) {
			/* nothing more here: continue after this node in its parent */
			if (!node->parent)
				return NULL;
			off = node->offset + 1u;
			node = node->parent;
			index &= ~node_span_mask(node->shift - XA_CHUNK_SHIFT);
			if (off == XA_CHUNK_SIZE) {
				index &= ~node_span_mask(node->shift);
				continue;	/* the while loop above sees off == 64 and climbs */
			}
			index = (index & ~node_span_mask(node->shift)) |
				((unsigned long)off << node->shift);
			if (index > max)
				return NULL;
			continue;
		}
		if (off != start)
			index = (index & ~node_span_mask(node->shift)) | ((unsigned long)off << node->shift);
		if (index > max)
			return NULL;
		if (!node->shift) {
			*indexp = index;
			return node->slots[off];
		}
		node = node->slots[off];
		off = node_offset(node, index);
	}
}

static void destroy_node(struct xarray *xa, struct xa_node *node)
{
	if (node->shift) {
		for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++)
			if (node->slots[i])
				destroy_node(xa, node->slots[i]);
	} else {
		node->count = 0;
		node_update(xa, node);
	}
	free(node);
}

void xa_destroy(struct xarray *xa)
{
	xa_update_node_t update = xa->update;

	if (xa->head)
		destroy_node(xa, xa->head);
	xa_init(xa);
	xa->update = update;	/* the owner's choice outlives the entries */
}

unsigned long xa_node_index(const struct xa_node *node)
{
	unsigned long index = 0;

	for (; node->parent; node = node->parent)
		index |= (unsigned long)node->offset << node->parent->shift;
	return index;
}

unsigned int xa_delete_node(struct xarray *xa, struct xa_node *node)
{
	unsigned long base = xa_node_index(node);
	xa_update_node_t update = xa->update;
	uint64_t present = 0;
	unsigned int n = 0;

	for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++)
		if (node->slots[i])
			present |= 1ULL << i;
	/* the node goes with its last entry: only that erase may tell the owner */
	xa->update = NULL;
	for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++) {
		if (!(present >> i & 1))
			continue;
		if (++n == (unsigned int)__builtin_popcountll(present))
			xa->update = update;
		xa_erase(xa, base + i);
	}
	xa->update = update;
	return n;
}

/* Check @node's subtree; add its entries and marked entries to the totals. */
static int check_node(const struct xa_node *node, unsigned long *entries, unsigned long *marked,
		      char *why, unsigned long len)
{
	unsigned int count = 0;

	for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++) {
		const struct xa_node *child = node->slots[i];
		if (!child) {
			for (unsigned int k = 0; k < XA_MAX_MARKS; k++)
				if (node->marks[k] >> i & 1) {
					snprintf(why, len, "xarray: mark %u set on empty slot %u (shift %u)",
						 k, i, node->shift);
					return -1;
				}
			continue;
		}
		count++;
		if (!node->shift) {
			(*entries)++;
			for (unsigned int k = 0; k < XA_MAX_MARKS; k++)
				marked[k] += node->marks[k] >> i & 1;
			continue;
		}
		if (child->parent != node || child->offset != i || child->array != node->array ||
		    child->shift + XA_CHUNK_SHIFT != node->shift) {
			snprintf(why, len, "xarray: child %u of a shift-%u node is linked wrongly", i,
				 node->shift);
			return -1;
		}
		if (!child->count) {
			snprintf(why, len, "xarray: empty node kept at slot %u (shift %u)", i, node->shift);
			return -1;
		}
		for (unsigned int k = 0; k < XA_MAX_MARKS; k++)
			if ((node->marks[k] >> i & 1) != (child->marks[k] != 0)) {
				snprintf(why, len, "xarray: mark %u summary of slot %u (shift %u) is stale",
					 k, i, node->shift);
				return -1;
			}
		if (check_node(child, entries, marked, why, len))
			return -1;
	}
	if (count != node->count) {
		snprintf(why, len, "xarray: node count %u, %u slots used (shift %u)", node->count, count,
			 node->shift);
		return -1;
	}
	return 0;
}

int xa_check(const struct xarray *xa, char *why, unsigned long len)
{
	unsigned long entries = 0, marked[XA_MAX_MARKS] = { 0 };

	if (xa->head) {
		if (xa->head->parent || !xa->head->count || xa->head->array != xa) {
			snprintf(why, len, "xarray: head has a parent, no entries or another array");
			return -1;
		}
		if (check_node(xa->head, &entries, marked, why, len))
			return -1;
	}
	if (entries != xa->count) {
		snprintf(why, len, "xarray: %lu entries counted, %lu found", xa->count, entries);
		return -1;
	}
	for (unsigned int k = 0; k < XA_MAX_MARKS; k++)
		if (marked[k] != xa->marked[k]) {
			snprintf(why, len, "xarray: mark %u: %lu counted, %lu found", k, xa->marked[k],
				 marked[k]);
			return -1;
		}
	return 0;
}
