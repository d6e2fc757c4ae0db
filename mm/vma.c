// SPDX-License-Identifier: MIT
/*
 * mm/vma.c - the VMA tree of an address space: a red-black tree by address
 * with the largest free gap of each subtree cached in its root, and the VMAs
 * on a sorted list beside it.
 *
 * Linux counterpart: mm/vma.c and mm/mmap.c of 6.12 keep VMAs in a maple
 * tree; this is the structure Linux used from 3.9 to 6.0 (mm_rb with
 * rb_subtree_gap, vma_gap_update, unmapped_area_topdown, and the vm_next /
 * vm_prev list). Kept: O(log n) find_vma, insertion and removal, and a
 * top-down search for a free range that skips every subtree whose largest
 * gap is too small.
 *
 * Invariant (vma_tree_check, run by process_check): the in-order walk of the
 * tree and the list give the same VMAs in the same order, map_count of them,
 * sorted and disjoint; each node's rb_subtree_gap is the largest of its own
 * gap (vm_start_gap(vma) - vm_end_gap(vm_prev), 0 if negative) and its
 * children's; the tree keeps lib/rbtree's invariants.
 *
 * Locking: the tree and the list change under mmap_write_lock() (with the
 * VMA write-locked, see vma_start_write()); find_vma() and the search need
 * mmap_lock held for read or write.
 */
#include <errno.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

static inline struct vm_area_struct *rb_vma(const struct rb_node *n)
{
	return n ? rb_entry(n, struct vm_area_struct, vm_rb) : NULL;
}

static inline unsigned long vm_end_gap(const struct vm_area_struct *vma)
{
	return vma->vm_end;
}

/* The free room below @vma, down to the end of the VMA before it (or 0). */
static unsigned long vma_gap(const struct vm_area_struct *vma)
{
	unsigned long start = vm_start_gap(vma);
	unsigned long prev_end = vma->vm_prev ? vm_end_gap(vma->vm_prev) : 0;

	return start > prev_end ? start - prev_end : 0;
}

static unsigned long subtree_gap_of(const struct vm_area_struct *vma)
{
	unsigned long max = vma_gap(vma);
	struct vm_area_struct *l = rb_vma(vma->vm_rb.left), *r = rb_vma(vma->vm_rb.right);

	if (l && l->rb_subtree_gap > max)
		max = l->rb_subtree_gap;
	if (r && r->rb_subtree_gap > max)
		max = r->rb_subtree_gap;
	return max;
}

/* rb_recompute_fn: the tree's augmentation callback. */
static bool vma_gap_recompute(struct rb_node *n)
{
	struct vm_area_struct *vma = rb_vma(n);
	unsigned long max = subtree_gap_of(vma);

	if (vma->rb_subtree_gap == max)
		return false;
	vma->rb_subtree_gap = max;
	return true;
}

/* ---- Lookup ---- */

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct rb_node *n = mm->mm_rb.node;
	struct vm_area_struct *found = NULL;

	while (n) {
		struct vm_area_struct *v = rb_vma(n);
		if (v->vm_end > addr) {
			found = v;
			if (v->vm_start <= addr)
				break;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return found;
}

struct vm_area_struct *find_vma_prev(struct mm_struct *mm, unsigned long addr,
				     struct vm_area_struct **pprev)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	*pprev = vma ? vma->vm_prev : rb_vma(rb_last(&mm->mm_rb));
	return vma;
}

/* ---- Insertion and removal ---- */

int vma_insert(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct rb_node **link = &mm->mm_rb.node, *parent = NULL;
	struct vm_area_struct *prev = NULL, *next = NULL;

	while (*link) {
		struct vm_area_struct *v = rb_vma(*link);
		parent = *link;
		if (vma->vm_start < v->vm_start) {
			next = v;
			link = &parent->left;
		} else {
			prev = v;
			link = &parent->right;
		}
	}
	/*
	 * The rebalancing recomputes the gaps of the nodes it rotates, and
	 * assumes every other value is current: so @next learns of its new
	 * neighbour only afterwards, and its shrunk gap is propagated then.
	 */
	vma->vm_prev = prev;
	vma->vm_next = next;
	vma->rb_subtree_gap = 0;
	rb_link_node(&vma->vm_rb, parent, link);
	rb_insert_augmented(&vma->vm_rb, &mm->mm_rb, vma_gap_recompute);
	if (prev)
		prev->vm_next = vma;
	else
		mm->mmap = vma;
	if (next) {
		next->vm_prev = vma;
		rb_propagate(&next->vm_rb, vma_gap_recompute);
	}
	mm->map_count++;
	vma->linked = true;
	vma->detached = false;
	return 0;
}

void vma_remove(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = vma->vm_prev, *next = vma->vm_next;

	if (!vma->linked || vma->detached)
		return;
	/* As in vma_insert(): the neighbour's gap changes after the rebalancing. */
	rb_erase_augmented(&vma->vm_rb, &mm->mm_rb, vma_gap_recompute);
	if (prev)
		prev->vm_next = next;
	else
		mm->mmap = next;
	if (next) {
		next->vm_prev = prev;
		rb_propagate(&next->vm_rb, vma_gap_recompute);	/* its gap grew */
	}
	vma->vm_prev = vma->vm_next = NULL;
	mm->map_count--;
	vma->detached = true;
}

void vma_adjust_tree(struct vm_area_struct *vma)
{
	if (!vma->linked || vma->detached)
		return;
	rb_propagate(&vma->vm_rb, vma_gap_recompute);
	if (vma->vm_next)
		rb_propagate(&vma->vm_next->vm_rb, vma_gap_recompute);
}

/* ---- The top-down search ---- */

struct gap_search {
	unsigned long len, low, high;
	unsigned long found;	/* gap end - len, or 0 */
};

/* The gap below @vma clipped to [low, high): does @len fit? */
static bool gap_fits(struct gap_search *s, const struct vm_area_struct *vma)
{
	unsigned long end = vm_start_gap(vma);
	unsigned long start = vma->vm_prev ? vm_end_gap(vma->vm_prev) : s->low;

	if (end > s->high)
		end = s->high;
	if (start < s->low)
		start = s->low;
	if (end > start && end - start >= s->len) {
		s->found = end - s->len;
		return true;
	}
	return false;
}

/* Right to left (highest first), skipping subtrees whose largest gap is too small. */
static bool search_topdown(struct gap_search *s, const struct rb_node *n)
{
	const struct vm_area_struct *vma = rb_vma(n);

	if (!vma || vma->rb_subtree_gap < s->len)
		return false;
	/* Every gap of the right subtree starts at or above vm_end. */
	if (vma->vm_end < s->high && search_topdown(s, n->right))
		return true;
	if (gap_fits(s, vma))
		return true;
	return search_topdown(s, n->left);
}

unsigned long unmapped_area_topdown(struct mm_struct *mm, unsigned long len, unsigned long low_limit,
				    unsigned long high_limit)
{
	struct vm_area_struct *last = rb_vma(rb_last(&mm->mm_rb));
	unsigned long end = mm->task_size < high_limit ? mm->task_size : high_limit;
	unsigned long start = last ? vm_end_gap(last) : low_limit;
	struct gap_search s = { len, low_limit, high_limit, 0 };

	/* The gap above the last VMA. */
	if (start < low_limit)
		start = low_limit;
	if (end > start && end - start >= len)
		return end - len;
	if (search_topdown(&s, mm->mm_rb.node))
		return s.found;
	return (unsigned long)-ENOMEM;
}

/* ---- The checker ---- */

int vma_tree_check(struct mm_struct *mm, int pid)
{
	struct vm_area_struct *prev = NULL;
	struct rb_node *n = rb_first(&mm->mm_rb);
	int count = 0, r;

	if ((r = rb_check(&mm->mm_rb, vma_gap_recompute)) != 0)
		return kmm_set_error(-EUCLEAN, "process %d: VMA tree broken (rb_check %d)", pid, r);
	for (struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next, n = rb_next(n)) {
		if (rb_vma(n) != vma)
			return kmm_set_error(-EUCLEAN, "process %d: VMA list and tree differ at 0x%lx",
					     pid, vma->vm_start);
		if (vma->vm_prev != prev || !vma->linked || vma->detached)
			return kmm_set_error(-EUCLEAN, "process %d: VMA 0x%lx badly linked", pid,
					     vma->vm_start);
		prev = vma;
		count++;
	}
	if (n)
		return kmm_set_error(-EUCLEAN, "process %d: VMA tree has more nodes than the list", pid);
	if (count != mm->map_count)
		return kmm_set_error(-EUCLEAN, "process %d: map_count %d but %d VMAs", pid,
				     mm->map_count, count);
	return 0;
}
