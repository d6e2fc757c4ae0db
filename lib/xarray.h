// SPDX-License-Identifier: MIT
/*
 * lib/xarray.h - a sparse array of pointers indexed by unsigned long: the
 * page cache's index (a file's pages by page index).
 *
 * Linux counterpart: include/linux/xarray.h (the radix tree under it).
 * Kept: 64-slot nodes (XA_CHUNK_SHIFT 6), a tree whose height grows with the
 * largest index stored and shrinks back, and marks (XA_MARK_0..1) kept per
 * slot and summarised upward, so xa_find() skips unmarked subtrees: the page
 * cache's PAGECACHE_TAG_DIRTY and PAGECACHE_TAG_WRITEBACK.
 * Kept too: a node's ->array and ->private_list, and an update callback
 * (xas_set_update's) called when a leaf node's count changes, so an owner
 * can keep its leaf nodes on a list of its own (the workingset's shadow
 * nodes) and delete one whole (xa_delete_node).
 * Simplified: no RCU readers, no value entries, no multi-index entries; the
 * owner serialises every call (the page cache's i_pages lock). Nodes come
 * from the host's malloc: the index is the machine's metadata, as the
 * struct page array is.
 *
 * Invariants (xa_check): a node's count equals its non-NULL slots; a node
 * has no empty child; an internal node's mark bit is set exactly when the
 * child below carries that mark; xa->count is the number of entries and
 * xa->marked[k] the number of entries carrying mark k.
 */
#ifndef KMM_LIB_XARRAY_H
#define KMM_LIB_XARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/list.h"

#define XA_CHUNK_SHIFT	6
#define XA_CHUNK_SIZE	(1UL << XA_CHUNK_SHIFT)
#define XA_MAX_MARKS	2

typedef unsigned int xa_mark_t;
#define XA_MARK_0	0U
#define XA_MARK_1	1U
#define XA_PRESENT	8U	/* xa_find(): any entry */

struct xa_node {
	unsigned char shift;		/* bits of the index below this node */
	unsigned char offset;		/* slot in the parent */
	unsigned short count;		/* non-NULL slots */
	struct xa_node *parent;
	struct xarray *array;		/* the array the node is in */
	struct list_head private_list;	/* the owner's (update callback's) list; empty if none */
	void *slots[XA_CHUNK_SIZE];
	uint64_t marks[XA_MAX_MARKS];
};

/*
 * xa_update_node_t - called with a leaf node whose count has just changed
 * (0: the node is about to be freed), under whatever serialises the array.
 */
typedef void (*xa_update_node_t)(struct xa_node *node);

struct xarray {
	struct xa_node *head;		/* NULL when empty */
	unsigned long count;		/* entries */
	unsigned long marked[XA_MAX_MARKS];
	xa_update_node_t update;	/* NULL: none */
};

static inline void xa_init(struct xarray *xa)
{
	xa->head = NULL;
	xa->count = 0;
	for (unsigned int k = 0; k < XA_MAX_MARKS; k++)
		xa->marked[k] = 0;
	xa->update = NULL;
}
static inline bool xa_empty(const struct xarray *xa)
{
	return !xa->head;
}

/** xa_load() - the entry at @index, or NULL. O(height). */
void *xa_load(const struct xarray *xa, unsigned long index);
/**
 * xa_store() - put @entry (non-NULL) at @index, replacing what was there
 * (its marks are kept). Return: 0, or -ENOMEM (nothing changed).
 */
int xa_store(struct xarray *xa, unsigned long index, void *entry);
/** xa_erase() - remove the entry at @index and its marks. Return: the old entry or NULL. */
void *xa_erase(struct xarray *xa, unsigned long index);
/** xa_set_mark() / xa_clear_mark() - mark the present entry at @index (no-op if absent). */
void xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
void xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
/** xa_get_mark() - does the entry at @index carry @mark? */
bool xa_get_mark(const struct xarray *xa, unsigned long index, xa_mark_t mark);
/**
 * xa_find() - the first entry at an index in [*@indexp, @max] that carries
 * @filter (XA_PRESENT: any entry); *@indexp gets its index.
 * Return: the entry, or NULL (*@indexp then unspecified).
 */
void *xa_find(const struct xarray *xa, unsigned long *indexp, unsigned long max, xa_mark_t filter);
/** xa_node_index() - the first index a node covers. */
unsigned long xa_node_index(const struct xa_node *node);
/**
 * xa_delete_node() - erase every entry of the leaf @node of @xa (freeing it),
 * calling the update callback only once, with count 0. Return: entries erased.
 */
unsigned int xa_delete_node(struct xarray *xa, struct xa_node *node);
/** xa_destroy() - free every node (the entries are the caller's; leaves pass through the update callback with count 0). */
void xa_destroy(struct xarray *xa);
/**
 * xa_check() - the invariants above. Return: 0, or -1 with a description
 * of the first violation in @why (@len bytes).
 */
int xa_check(const struct xarray *xa, char *why, unsigned long len);

/* Every entry at index >= @start in ascending order (the array may change between steps). */
#define xa_for_each_start(xa, index, entry, start)                                             \
	for ((index) = (start), (entry) = xa_find((xa), &(index), ~0UL, XA_PRESENT); (entry);   \
	     (entry) = (index) == ~0UL ? NULL : ((index)++, xa_find((xa), &(index), ~0UL, XA_PRESENT)))
#define xa_for_each(xa, index, entry) xa_for_each_start(xa, index, entry, 0)
#define xa_for_each_marked(xa, index, entry, mark)                                             \
	for ((index) = 0, (entry) = xa_find((xa), &(index), ~0UL, (mark)); (entry);              \
	     (entry) = (index) == ~0UL ? NULL : ((index)++, xa_find((xa), &(index), ~0UL, (mark))))

#endif /* KMM_LIB_XARRAY_H */
